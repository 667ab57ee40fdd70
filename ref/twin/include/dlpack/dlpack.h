/*
 * The DLPack types TVM's runtime headers and packed-API MLF code use (host twin).
 */
#ifndef MLFSCOPE_TWIN_DLPACK_H
#define MLFSCOPE_TWIN_DLPACK_H

#include <stdint.h>

typedef enum {
    kDLCPU = 1,
} DLDeviceType;

typedef struct {
    DLDeviceType device_type;
    int32_t device_id;
} DLDevice;

typedef enum {
    kDLInt = 0U,
    kDLUInt = 1U,
    kDLFloat = 2U,
} DLDataTypeCode;

typedef struct {
    uint8_t code;
    uint8_t bits;
    uint16_t lanes;
} DLDataType;

typedef struct {
    void *data;
    DLDevice device;
    int32_t ndim;
    DLDataType dtype;
    int64_t *shape;
    int64_t *strides;
    uint64_t byte_offset;
} DLTensor;

#endif
