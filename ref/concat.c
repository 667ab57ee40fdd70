/* Concat (ONNX Concat, TFLite CONCATENATION with equal quantization): raw element copy. */
#include <string.h>

#include "ref.h"
#include "ref_int.h"

int ref_concat_any(const struct ref_concat_params *p,
                   const struct ref_shape *const *in_shapes, const void *const *ins,
                   const struct ref_shape *out_shape, void *out)
{
    size_t n;
    if (p == NULL || in_shapes == NULL || ins == NULL || out == NULL || p->n_inputs < 1 ||
        p->elem_bytes < 1 || p->elem_bytes > 8 || !ref_shape_count(out_shape, &n) ||
        p->axis < 0 || p->axis >= out_shape->rank)
        return REF_EARG;
    const int ax = p->axis;
    int64_t total = 0;
    for (size_t k = 0; k < p->n_inputs; k++) {
        const struct ref_shape *s = in_shapes[k];
        if (ins[k] == NULL || !ref_shape_count(s, &n) || s->rank != out_shape->rank)
            return REF_EARG;
        for (int i = 0; i < s->rank; i++) {
            if (i != ax && s->dims[i] != out_shape->dims[i])
                return REF_EARG;
        }
        total += s->dims[ax];
    }
    if (total != out_shape->dims[ax])
        return REF_EARG;
    size_t outer = 1, inner = 1;
    for (int i = 0; i < ax; i++)
        outer *= (size_t)out_shape->dims[i];
    for (int i = ax + 1; i < out_shape->rank; i++)
        inner *= (size_t)out_shape->dims[i];
    const size_t out_row = (size_t)out_shape->dims[ax] * inner * p->elem_bytes;
    size_t col = 0;
    for (size_t k = 0; k < p->n_inputs; k++) {
        const size_t row = (size_t)in_shapes[k]->dims[ax] * inner * p->elem_bytes;
        for (size_t o = 0; o < outer; o++) {
            if (row > 0)
                memcpy((unsigned char *)out + o * out_row + col,
                       (const unsigned char *)ins[k] + o * row, row);
        }
        col += row;
    }
    return REF_OK;
}
