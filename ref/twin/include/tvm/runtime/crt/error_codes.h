/*
 * TVM CRT status codes referenced by generated operator functions (host twin).
 */
#ifndef MLFSCOPE_TWIN_TVM_CRT_ERROR_CODES_H
#define MLFSCOPE_TWIN_TVM_CRT_ERROR_CODES_H

typedef enum {
    kTvmErrorNoError = 0,
    kTvmErrorPlatformNoMemory = 0x0101,
    kTvmErrorFunctionCallNumArguments = 0x0401,
    kTvmErrorFunctionCallWrongArgType = 0x0402,
    kTvmErrorFunctionCallNotImplemented = 0x0403,
    kTvmErrorFunctionCallInvalidArg = 0x0404,
    kTvmErrorSystemErrorMask = 0x8000,
} tvm_crt_error_t;

#endif
