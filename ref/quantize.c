/*
 * QuantizeLinear / DequantizeLinear, per tensor. ONNX (reference op_quantize_linear.py and
 * MLAS quantize.cpp): float32 x / scale, round half to even, then + zero point, saturate.
 * TVM generated C (ARITHMETIC.md 3): roundf(x * inv_scale) + zp, ties away from zero.
 */
#include "fixedpoint.h"
#include "ref.h"
#include "ref_int.h"

static int quant_run(const struct ref_quantize_params *p, const struct ref_shape *is,
                     const float *in, const struct ref_shape *os, void *out, bool is_s8)
{
    size_t n;
    if (p == NULL || in == NULL || out == NULL || os == NULL || !ref_shape_count(is, &n) ||
        !ref_shape_equal(is, os))
        return REF_EARG;
    if (p->round == REF_QROUND_ONNX ? !(p->scale > 0.0f) : p->round != REF_QROUND_TVM)
        return REF_EARG;
    const int32_t lo = is_s8 ? INT8_MIN : 0, hi = is_s8 ? INT8_MAX : UINT8_MAX;
    /* the rounded value is clamped to a range wide enough that adding zp cannot overflow
     * and the final saturation still sees the true side */
    const int32_t wide = 1 << 24;
    for (size_t i = 0; i < n; i++) {
        int32_t r;
        if (p->round == REF_QROUND_ONNX)
            r = ref_round_half_even_sat((double)(in[i] / p->scale), -wide, wide);
        else
            r = ref_round_half_away_sat((double)(in[i] * p->inv_scale), -wide, wide);
        const int64_t v = (int64_t)r + p->zp;
        r = v < lo ? lo : (v > hi ? hi : (int32_t)v);
        if (is_s8)
            ((int8_t *)out)[i] = (int8_t)r;
        else
            ((uint8_t *)out)[i] = (uint8_t)r;
    }
    return REF_OK;
}

int ref_quantize_s8(const struct ref_quantize_params *p,
                    const struct ref_shape *in_shape, const float *in,
                    const struct ref_shape *out_shape, int8_t *out)
{
    return quant_run(p, in_shape, in, out_shape, out, true);
}

int ref_quantize_u8(const struct ref_quantize_params *p,
                    const struct ref_shape *in_shape, const float *in,
                    const struct ref_shape *out_shape, uint8_t *out)
{
    return quant_run(p, in_shape, in, out_shape, out, false);
}

static int dequant_run(const struct ref_quantize_params *p, const struct ref_shape *is,
                       const void *in, const struct ref_shape *os, float *out, bool is_s8)
{
    size_t n;
    if (p == NULL || in == NULL || out == NULL || os == NULL || !ref_shape_count(is, &n) ||
        !ref_shape_equal(is, os))
        return REF_EARG;
    for (size_t i = 0; i < n; i++) {
        const int32_t q = is_s8 ? ((const int8_t *)in)[i] : ((const uint8_t *)in)[i];
        out[i] = (float)((int64_t)q - p->zp) * p->scale;
    }
    return REF_OK;
}

int ref_dequantize_s8(const struct ref_quantize_params *p,
                      const struct ref_shape *in_shape, const int8_t *in,
                      const struct ref_shape *out_shape, float *out)
{
    return dequant_run(p, in_shape, in, out_shape, out, true);
}

int ref_dequantize_u8(const struct ref_quantize_params *p,
                      const struct ref_shape *in_shape, const uint8_t *in,
                      const struct ref_shape *out_shape, float *out)
{
    return dequant_run(p, in_shape, in, out_shape, out, false);
}
