/* ONNX Gather (TFLite GATHER): index-select along one axis; negative indices count back. */
#include <string.h>

#include "ref.h"
#include "ref_int.h"

int ref_gather_any(const struct ref_gather_params *p,
                   const struct ref_shape *in_shape, const void *in,
                   const struct ref_shape *idx_shape, const int32_t *idx,
                   const struct ref_shape *out_shape, void *out)
{
    size_t n_in, n_idx, n_out;
    if (p == NULL || in == NULL || idx == NULL || out == NULL || p->elem_bytes < 1 ||
        p->elem_bytes > 8 || !ref_shape_count(in_shape, &n_in) ||
        !ref_shape_count(idx_shape, &n_idx) || !ref_shape_count(out_shape, &n_out) ||
        p->axis < 0 || p->axis >= in_shape->rank ||
        in_shape->rank - 1 + idx_shape->rank != out_shape->rank)
        return REF_EARG;
    const int ax = p->axis;
    for (int i = 0; i < ax; i++) {
        if (out_shape->dims[i] != in_shape->dims[i])
            return REF_EARG;
    }
    for (int i = 0; i < idx_shape->rank; i++) {
        if (out_shape->dims[ax + i] != idx_shape->dims[i])
            return REF_EARG;
    }
    for (int i = ax + 1; i < in_shape->rank; i++) {
        if (out_shape->dims[i - 1 + idx_shape->rank] != in_shape->dims[i])
            return REF_EARG;
    }
    const int32_t len = in_shape->dims[ax];
    for (size_t k = 0; k < n_idx; k++) {
        if (idx[k] < -len || idx[k] >= len)
            return REF_EARG;
    }
    size_t outer = 1, inner = 1;
    for (int i = 0; i < ax; i++)
        outer *= (size_t)in_shape->dims[i];
    for (int i = ax + 1; i < in_shape->rank; i++)
        inner *= (size_t)in_shape->dims[i];
    const size_t blk = inner * p->elem_bytes;
    for (size_t o = 0; o < outer; o++) {
        for (size_t k = 0; k < n_idx; k++) {
            const size_t j = (size_t)(idx[k] < 0 ? idx[k] + len : idx[k]);
            if (blk > 0)
                memcpy((unsigned char *)out + (o * n_idx + k) * blk,
                       (const unsigned char *)in + (o * (size_t)len + j) * blk, blk);
        }
    }
    return REF_OK;
}
