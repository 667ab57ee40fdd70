/*
 * Strided slice (ONNX Slice, TFLite SLICE / STRIDED_SLICE after the caller has clamped
 * begin/end and dropped shrink axes): out[i] = in[begin + i*stride] per axis.
 */
#include <string.h>

#include "ref.h"
#include "ref_int.h"

int ref_slice_any(const struct ref_slice_params *p,
                  const struct ref_shape *in_shape, const void *in,
                  const struct ref_shape *out_shape, void *out)
{
    size_t n_in, n_out, st[REF_MAX_RANK];
    if (p == NULL || in == NULL || out == NULL || p->elem_bytes < 1 || p->elem_bytes > 8 ||
        !ref_shape_count(in_shape, &n_in) || !ref_shape_count(out_shape, &n_out) ||
        in_shape->rank != out_shape->rank)
        return REF_EARG;
    for (int i = 0; i < in_shape->rank; i++) {
        if (p->stride[i] == 0)
            return REF_EARG;
        if (out_shape->dims[i] == 0)
            continue;
        const int64_t first = p->begin[i];
        const int64_t last = first + (int64_t)(out_shape->dims[i] - 1) * p->stride[i];
        if (first < 0 || first >= in_shape->dims[i] || last < 0 || last >= in_shape->dims[i])
            return REF_EARG;
    }
    ref_shape_strides(in_shape, st);
    for (size_t o = 0; o < n_out; o++) {
        size_t lin = o, off = 0;
        for (int d = out_shape->rank - 1; d >= 0; d--) {
            const int64_t c = p->begin[d] +
                              (int64_t)(lin % (size_t)out_shape->dims[d]) * p->stride[d];
            lin /= (size_t)out_shape->dims[d];
            off += (size_t)c * st[d];
        }
        memcpy((unsigned char *)out + o * p->elem_bytes,
               (const unsigned char *)in + off * p->elem_bytes, p->elem_bytes);
    }
    return REF_OK;
}
