/* Transpose by a generic N-D permutation (ONNX Transpose, TFLite TRANSPOSE). */
#include <string.h>

#include "ref.h"
#include "ref_int.h"

int ref_transpose_any(const struct ref_transpose_params *p,
                      const struct ref_shape *in_shape, const void *in,
                      const struct ref_shape *out_shape, void *out)
{
    size_t n, st[REF_MAX_RANK];
    bool seen[REF_MAX_RANK] = {false};
    if (p == NULL || in == NULL || out == NULL || p->elem_bytes < 1 || p->elem_bytes > 8 ||
        !ref_shape_count(in_shape, &n) || out_shape == NULL ||
        out_shape->rank != in_shape->rank)
        return REF_EARG;
    for (int i = 0; i < in_shape->rank; i++) {
        const int32_t a = p->perm[i];
        if (a < 0 || a >= in_shape->rank || seen[a] || out_shape->dims[i] != in_shape->dims[a])
            return REF_EARG;
        seen[a] = true;
    }
    ref_shape_strides(in_shape, st);
    for (size_t o = 0; o < n; o++) {
        size_t lin = o, off = 0;
        for (int d = out_shape->rank - 1; d >= 0; d--) {
            off += (lin % (size_t)out_shape->dims[d]) * st[p->perm[d]];
            lin /= (size_t)out_shape->dims[d];
        }
        memcpy((unsigned char *)out + o * p->elem_bytes,
               (const unsigned char *)in + off * p->elem_bytes, p->elem_bytes);
    }
    return REF_OK;
}
