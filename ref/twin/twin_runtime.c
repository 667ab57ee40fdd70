/*
 * Host-twin runtime: TVMBackendAllocWorkspace/FreeWorkspace as TVM's CRT stack allocator
 * does them (MLF-FORMAT.md 4: bump allocation, sizes rounded up to 16, free resets the top
 * to the freed pointer), and hazard reporting.
 */
#include "twin_runtime.h"

#include <stdio.h>
#include <stdlib.h>

#include "tvm/runtime/c_backend_api.h"

#define TWIN_ALLOC_ALIGN 16u

/* One twin program = one model run: the allocator is process state (see the header). */
static uint8_t *workspace_start;
static uint8_t *workspace_end;
static uint8_t *workspace_top;
static int workspace_malloc;
static int current_step = -1;
static const char *current_function = "";
static int cmsis_version = 4;

void ref_twin_workspace_init(uint8_t *arena, size_t bytes, int use_malloc)
{
    workspace_start = arena;
    workspace_end = arena + bytes;
    workspace_top = arena;
    workspace_malloc = use_malloc;
}

void ref_twin_set_step(int step, const char *function)
{
    current_step = step;
    current_function = function;
}

void ref_twin_hazard(const char *kind, const char *detail)
{
    fprintf(stderr, "mlfscope-twin: hazard %s step %d %s: %s\n", kind, current_step,
            current_function, detail);
}

int ref_twin_cmsis_version(void)
{
    return cmsis_version;
}

void ref_twin_set_cmsis_version(int version)
{
    cmsis_version = version;
}

void *TVMBackendAllocWorkspace(int device_type, int device_id, uint64_t nbytes,
                               int dtype_code_hint, int dtype_bits_hint)
{
    (void)device_type;
    (void)device_id;
    (void)dtype_code_hint;
    (void)dtype_bits_hint;
    if (workspace_malloc)
        return malloc(nbytes ? (size_t)nbytes : 1);
    uint64_t rounded = (nbytes + TWIN_ALLOC_ALIGN - 1) & ~(uint64_t)(TWIN_ALLOC_ALIGN - 1);
    if (rounded > (uint64_t)(workspace_end - workspace_top)) {
        char detail[128];
        snprintf(detail, sizeof detail, "workspace exhausted: %llu bytes asked, %llu left",
                 (unsigned long long)nbytes,
                 (unsigned long long)(workspace_end - workspace_top));
        ref_twin_hazard("workspace-exhausted", detail);
        return NULL;
    }
    uint8_t *p = workspace_top;
    workspace_top += rounded;
    return p;
}

int TVMBackendFreeWorkspace(int device_type, int device_id, void *ptr)
{
    (void)device_type;
    (void)device_id;
    if (workspace_malloc) {
        free(ptr);
        return 0;
    }
    uint8_t *p = ptr;
    if (p < workspace_start || p > workspace_top)
        return -1;
    workspace_top = p;
    return 0;
}

void TVMAPISetLastError(const char *msg)
{
    fprintf(stderr, "mlfscope-twin: TVM error: %s\n", msg);
}
