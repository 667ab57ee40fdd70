/*
 * Constant padding (ONNX Pad mode "constant", TFLite PAD/PADV2): every output element is
 * the input element it maps to, or `value` (for int8 tensors the zero point).
 */
#include <string.h>

#include "ref.h"
#include "ref_int.h"

int ref_pad_any(const struct ref_pad_params *p,
                const struct ref_shape *in_shape, const void *in,
                const struct ref_shape *out_shape, void *out)
{
    size_t n_in, n_out, st[REF_MAX_RANK];
    if (p == NULL || in == NULL || out == NULL || p->value == NULL || p->elem_bytes < 1 ||
        p->elem_bytes > 8 || !ref_shape_count(in_shape, &n_in) ||
        !ref_shape_count(out_shape, &n_out) || in_shape->rank != out_shape->rank)
        return REF_EARG;
    for (int i = 0; i < in_shape->rank; i++) {
        if (p->before[i] < 0 || p->after[i] < 0 ||
            (int64_t)in_shape->dims[i] + p->before[i] + p->after[i] != out_shape->dims[i])
            return REF_EARG;
    }
    ref_shape_strides(in_shape, st);
    const size_t eb = p->elem_bytes;
    for (size_t o = 0; o < n_out; o++) {
        size_t lin = o, off = 0;
        bool inside = true;
        for (int d = out_shape->rank - 1; d >= 0; d--) {
            const int64_t c = (int64_t)(lin % (size_t)out_shape->dims[d]) - p->before[d];
            lin /= (size_t)out_shape->dims[d];
            if (c < 0 || c >= in_shape->dims[d])
                inside = false;
            else
                off += (size_t)c * st[d];
        }
        memcpy((unsigned char *)out + o * eb,
               inside ? (const unsigned char *)in + off * eb : (const unsigned char *)p->value,
               eb);
    }
    return REF_OK;
}
