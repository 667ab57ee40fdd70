/*
 * Softmax. int8: the fixed-point pipeline of CMSIS-NN arm_softmax_s8 (non-MVE
 * arm_nn_softmax_common_s8, ACCUM_BITS = 12), which equals TFLite's int8 reference
 * softmax (ARITHMETIC.md 2.8); or, for ONNX, dequantize, float softmax, quantize.
 * float32: ONNX Softmax / LogSoftmax (opset 13) over one axis.
 */
#include <math.h>

#include "fixedpoint.h"
#include "ref.h"
#include "ref_int.h"

#define ACCUM_BITS 12

/* outer x len x inner decomposition of `axis`. */
static bool axis_split(const struct ref_shape *s, int32_t axis, size_t *outer, size_t *len,
                       size_t *inner)
{
    size_t n;
    if (!ref_shape_count(s, &n) || axis < 0 || axis >= s->rank)
        return false;
    *outer = 1, *inner = 1;
    for (int i = 0; i < axis; i++)
        *outer *= (size_t)s->dims[i];
    for (int i = axis + 1; i < s->rank; i++)
        *inner *= (size_t)s->dims[i];
    *len = (size_t)s->dims[axis];
    return true;
}

/* exp(diff) in Q0.31 for diff = x - max (<= 0), the input scaled by (mult, shift). */
static int32_t softmax_exp(int32_t diff, int32_t mult, int32_t shift)
{
    const int32_t scaled = ref_mul_wrap(diff, ref_shl_wrap(1, shift));   /* diff * 2^shift */
    return ref_exp_on_negative_values(ref_doubling_high_mult(scaled, mult));
}

static void softmax_row_fixed(const struct ref_softmax_params *p, const int8_t *in,
                              int8_t *out, size_t len, size_t stride)
{
    int32_t mx = in[0];
    for (size_t i = 1; i < len; i++)
        mx = in[i * stride] > mx ? in[i * stride] : mx;
    int32_t sum = 0;
    for (size_t i = 0; i < len; i++) {
        const int32_t d = in[i * stride] - mx;
        if (d >= p->diff_min)
            sum = ref_add_wrap(sum, ref_divide_by_power_of_two(
                                        softmax_exp(d, p->mult, p->shift), ACCUM_BITS));
    }
    const int32_t headroom = ref_clz32((uint32_t)sum);
    /* 1/sum: sum << headroom is in [1, 2) as Q1.31, minus 1 gives x in [0, 1) */
    const int32_t shifted_scale = ref_one_over_one_plus_x_for_x_in_0_1(
        ref_sub_wrap(sum > 0 ? ref_shl_wrap(sum, headroom) : 0, INT32_MIN));
    const int32_t bits_over_unit = ACCUM_BITS - headroom + 23;   /* s8 output */
    for (size_t i = 0; i < len; i++) {
        const int32_t d = in[i * stride] - mx;
        int32_t r = INT8_MIN;
        if (d >= p->diff_min) {
            const int32_t e = softmax_exp(d, p->mult, p->shift);
            r = ref_add_wrap(ref_divide_by_power_of_two(ref_doubling_high_mult(shifted_scale, e),
                                                        bits_over_unit),
                             INT8_MIN);
            r = r < INT8_MIN ? INT8_MIN : (r > INT8_MAX ? INT8_MAX : r);
        }
        out[i * stride] = (int8_t)r;
    }
}

static void softmax_row_float_q(const struct ref_softmax_params *p, const int8_t *in,
                                int8_t *out, size_t len, size_t stride)
{
    float mx = -INFINITY;
    for (size_t i = 0; i < len; i++) {
        const float x = (float)(in[i * stride] - p->in_zp) * p->in_scale;
        mx = x > mx ? x : mx;
    }
    float sum = 0.0f;
    for (size_t i = 0; i < len; i++)
        sum += expf((float)(in[i * stride] - p->in_zp) * p->in_scale - mx);
    for (size_t i = 0; i < len; i++) {
        const float y = expf((float)(in[i * stride] - p->in_zp) * p->in_scale - mx) / sum;
        out[i * stride] = (int8_t)ref_round_half_even_sat(
            (double)(y / p->out_scale) + (double)p->out_zp, INT8_MIN, INT8_MAX);
    }
}

int ref_softmax_s8(const struct ref_softmax_params *p,
                   const struct ref_shape *in_shape, const int8_t *in,
                   const struct ref_shape *out_shape, int8_t *out)
{
    size_t outer, len, inner;
    if (p == NULL || in == NULL || out == NULL || out_shape == NULL ||
        !axis_split(in_shape, p->axis, &outer, &len, &inner) ||
        !ref_shape_equal(in_shape, out_shape))
        return REF_EARG;
    if (p->round == REF_ROUND_ONNX_FLOAT) {
        if (!(p->in_scale > 0.0f && p->out_scale > 0.0f))
            return REF_EARG;
    } else if ((p->round != REF_ROUND_CMSIS_DOUBLE && p->round != REF_ROUND_CMSIS_SINGLE) ||
               p->shift < 0 || p->shift > 31) {
        /* CMSIS_NN_USE_SINGLE_ROUNDING changes arm_nn_requantize only, not softmax */
        return REF_EARG;
    }
    if (len == 0)
        return REF_OK;
    for (size_t o = 0; o < outer; o++) {
        for (size_t j = 0; j < inner; j++) {
            const size_t base = o * len * inner + j;
            if (p->round == REF_ROUND_ONNX_FLOAT)
                softmax_row_float_q(p, in + base, out + base, len, inner);
            else
                softmax_row_fixed(p, in + base, out + base, len, inner);
        }
    }
    return REF_OK;
}

static int softmax_f32_run(const struct ref_softmax_params *p,
                           const struct ref_shape *in_shape, const float *in,
                           const struct ref_shape *out_shape, float *out, bool log_out)
{
    size_t outer, len, inner;
    if (p == NULL || in == NULL || out == NULL || out_shape == NULL ||
        !axis_split(in_shape, p->axis, &outer, &len, &inner) ||
        !ref_shape_equal(in_shape, out_shape))
        return REF_EARG;
    for (size_t o = 0; o < outer; o++) {
        for (size_t j = 0; j < inner; j++) {
            const size_t base = o * len * inner + j;
            float mx = -INFINITY, sum = 0.0f;
            for (size_t i = 0; i < len; i++)
                mx = in[base + i * inner] > mx ? in[base + i * inner] : mx;
            for (size_t i = 0; i < len; i++)
                sum += expf(in[base + i * inner] - mx);
            for (size_t i = 0; i < len; i++) {
                const float d = in[base + i * inner] - mx;
                out[base + i * inner] = log_out ? d - logf(sum) : expf(d) / sum;
            }
        }
    }
    return REF_OK;
}

int ref_softmax_f32(const struct ref_softmax_params *p,
                    const struct ref_shape *in_shape, const float *in,
                    const struct ref_shape *out_shape, float *out)
{
    return softmax_f32_run(p, in_shape, in, out_shape, out, false);
}

int ref_logsoftmax_f32(const struct ref_softmax_params *p,
                       const struct ref_shape *in_shape, const float *in,
                       const struct ref_shape *out_shape, float *out)
{
    return softmax_f32_run(p, in_shape, in, out_shape, out, true);
}
