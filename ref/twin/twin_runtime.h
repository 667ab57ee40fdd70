/*
 * Runtime of a host-twin program: the workspace allocator TVM-generated code calls, laid
 * out like TVM's CRT StackMemoryManager on the board, and the per-step hazard reports the
 * ref/cmsis entry points make. Compiled by `mlfscope twin` together with the MLF's C and a
 * generated driver; never linked into mlfscope itself.
 *
 * State: one twin program runs one model, so the allocator and the current step live in
 * file-scope variables of twin_runtime.c (the documented exception to "no globals").
 */
#ifndef MLFSCOPE_TWIN_RUNTIME_H
#define MLFSCOPE_TWIN_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Uses `arena` (bytes long, 16-byte aligned) as the workspace. With `use_malloc` set every
 * allocation is a separate malloc instead, so that AddressSanitizer sees each buffer's bounds.
 */
void ref_twin_workspace_init(uint8_t *arena, size_t bytes, int use_malloc);

/* Marks which AOT step runs now, so hazards are reported against it (-1 = none). */
void ref_twin_set_step(int step, const char *function);

/* Reports a hazard found while step `ref_twin_set_step` named runs: one line on stderr. */
void ref_twin_hazard(const char *kind, const char *detail);

/* The CMSIS-NN version whose buffer-size rules the entry points apply (4 or 7). */
int ref_twin_cmsis_version(void);
void ref_twin_set_cmsis_version(int version);

#endif
