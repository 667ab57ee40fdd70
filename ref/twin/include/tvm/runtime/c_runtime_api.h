/*
 * The declarations TVM-generated MLF C needs from TVM's C runtime API, written here for the
 * host twin (the MLF's own runtime/ folder is used instead when it ships one).
 */
#ifndef MLFSCOPE_TWIN_TVM_C_RUNTIME_API_H
#define MLFSCOPE_TWIN_TVM_C_RUNTIME_API_H

#include <stddef.h>
#include <stdint.h>

#include "dlpack/dlpack.h"

#ifndef TVM_DLL
#define TVM_DLL
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t tvm_index_t;
typedef DLTensor *TVMArrayHandle;
typedef void *TVMFunctionHandle;
typedef void *TVMModuleHandle;

typedef union {
    int64_t v_int64;
    double v_float64;
    void *v_handle;
    const char *v_str;
    DLDataType v_type;
    DLDevice v_device;
} TVMValue;

typedef enum {
    kTVMArgInt = kDLInt,
    kTVMArgFloat = kDLFloat,
    kTVMOpaqueHandle = 3,
    kTVMNullptr = 4,
    kTVMDataType = 5,
    kDLDevice = 6,
    kTVMDLTensorHandle = 7,
} TVMArgTypeCode;

TVM_DLL void TVMAPISetLastError(const char *msg);

#ifdef __cplusplus
}
#endif

#endif
