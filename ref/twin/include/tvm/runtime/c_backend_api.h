/*
 * TVM's backend API as generated MLF code calls it. The host twin implements the workspace
 * functions with a stack allocator laid out like TVM's CRT StackMemoryManager
 * (ref/twin/twin_runtime.c), so that buffers sit where they sit on the board.
 */
#ifndef MLFSCOPE_TWIN_TVM_C_BACKEND_API_H
#define MLFSCOPE_TWIN_TVM_C_BACKEND_API_H

#include <stdint.h>

#include "tvm/runtime/c_runtime_api.h"

#ifdef __cplusplus
extern "C" {
#endif

TVM_DLL void *TVMBackendAllocWorkspace(int device_type, int device_id, uint64_t nbytes,
                                       int dtype_code_hint, int dtype_bits_hint);
TVM_DLL int TVMBackendFreeWorkspace(int device_type, int device_id, void *ptr);

#ifdef __cplusplus
}
#endif

#endif
