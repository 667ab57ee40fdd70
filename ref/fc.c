/*
 * Fully connected: CMSIS-NN arm_fully_connected_s8 / TFLite FULLY_CONNECTED int8
 * (ARITHMETIC.md 2.3). Weights one row per output; every leading input dim is a batch.
 */
#include "fixedpoint.h"
#include "ref.h"
#include "ref_int.h"

int ref_fc_s8(const struct ref_fc_params *p,
              const struct ref_shape *in_shape, const int8_t *in,
              const struct ref_shape *w_shape, const int8_t *w,
              const struct ref_shape *bias_shape, const int32_t *bias,
              const struct ref_shape *out_shape, int8_t *out)
{
    size_t n_in, n_w, n_out, n;
    if (p == NULL || in == NULL || w == NULL || out == NULL ||
        !ref_shape_count(in_shape, &n_in) || !ref_shape_count(w_shape, &n_w) ||
        !ref_shape_count(out_shape, &n_out) || in_shape->rank < 1 || w_shape->rank != 2 ||
        out_shape->rank != in_shape->rank)
        return REF_EARG;
    const int32_t depth = in_shape->dims[in_shape->rank - 1];
    const int32_t c_out = w_shape->dims[0];
    if (w_shape->dims[1] != depth || out_shape->dims[out_shape->rank - 1] != c_out)
        return REF_EARG;
    for (int i = 0; i < in_shape->rank - 1; i++) {
        if (in_shape->dims[i] != out_shape->dims[i])
            return REF_EARG;
    }
    if (bias != NULL && (!ref_shape_count(bias_shape, &n) || n != (size_t)c_out))
        return REF_EARG;
    if (!ref_requant_check(&p->rq, (size_t)c_out, INT8_MIN, INT8_MAX))
        return REF_EARG;
    const size_t batches = depth == 0 ? (c_out == 0 ? 0 : n_out / (size_t)c_out)
                                      : n_in / (size_t)depth;

    for (size_t b = 0; b < batches; b++) {
        for (int32_t o = 0; o < c_out; o++) {
            int64_t acc = bias != NULL ? bias[o] : 0;
            for (int32_t k = 0; k < depth; k++) {
                const int64_t xv = in[b * (size_t)depth + (size_t)k] - (int64_t)p->in_zp;
                const int64_t wv = w[(size_t)o * (size_t)depth + (size_t)k] - (int64_t)p->w_zp;
                acc = ref_s64_from_bits((uint64_t)acc + (uint64_t)(xv * wv));
            }
            out[b * (size_t)c_out + (size_t)o] =
                (int8_t)ref_requant_apply(&p->rq, (size_t)o, ref_s32_trunc(acc));
        }
    }
    return REF_OK;
}
