/*
 * Element-wise add and sub with numpy broadcasting. Integer pipeline of CMSIS-NN
 * arm_elementwise_add_s8 / TFLite ADD and SUB int8 (ARITHMETIC.md 2.4: left shift, three
 * requantizations); float pipeline of ONNX QLinearAdd (dequantize, add, quantize, §4.5).
 */
#include "fixedpoint.h"
#include "ref.h"
#include "ref_int.h"

static int32_t requant(enum ref_round r, int32_t x, int32_t m, int32_t s)
{
    return r == REF_ROUND_CMSIS_SINGLE ? ref_requantize_cmsis_single(x, m, s)
                                       : ref_requantize_cmsis(x, m, s);
}

static int add_run(const struct ref_add_params *p, const struct ref_shape *as, const void *a,
                   const struct ref_shape *bs, const void *b, const struct ref_shape *os,
                   void *out, bool is_s8, bool sub)
{
    struct ref_bcast ba, bb;
    size_t n;
    if (p == NULL || a == NULL || b == NULL || out == NULL || !ref_shape_count(os, &n) ||
        !ref_bcast_init(&ba, as, os) || !ref_bcast_init(&bb, bs, os))
        return REF_EARG;
    if (!ref_act_ok(p->act_min, p->act_max, is_s8 ? INT8_MIN : 0, is_s8 ? INT8_MAX : UINT8_MAX))
        return REF_EARG;
    if (p->round == REF_ROUND_ONNX_FLOAT) {
        if (!(p->out_scale > 0.0f))
            return REF_EARG;
    } else if (p->round != REF_ROUND_CMSIS_DOUBLE && p->round != REF_ROUND_CMSIS_SINGLE) {
        return REF_EARG;
    } else if (p->left_shift < 0 || p->left_shift > 30) {
        return REF_EARG;
    }
    for (size_t i = 0; i < n; i++) {
        const size_t ia = ref_bcast_offset(&ba, i), ib = ref_bcast_offset(&bb, i);
        const int32_t av = is_s8 ? ((const int8_t *)a)[ia] : ((const uint8_t *)a)[ia];
        const int32_t bv = is_s8 ? ((const int8_t *)b)[ib] : ((const uint8_t *)b)[ib];
        int32_t r;
        if (p->round == REF_ROUND_ONNX_FLOAT) {
            const float fa = (float)ref_sub_wrap(av, p->in1_zp) * p->in1_scale;
            const float fb = (float)ref_sub_wrap(bv, p->in2_zp) * p->in2_scale;
            const float q = (sub ? fa - fb : fa + fb) / p->out_scale;
            r = ref_round_half_even_sat((double)q + (double)p->out_zp, p->act_min, p->act_max);
        } else {
            const int32_t a1 = ref_shl_wrap(ref_sub_wrap(av, p->in1_zp), p->left_shift);
            const int32_t b1 = ref_shl_wrap(ref_sub_wrap(bv, p->in2_zp), p->left_shift);
            const int32_t a2 = requant(p->round, a1, p->in1_mult, p->in1_shift);
            const int32_t b2 = requant(p->round, b1, p->in2_mult, p->in2_shift);
            const int32_t s = sub ? ref_sub_wrap(a2, b2) : ref_add_wrap(a2, b2);
            r = ref_add_wrap(requant(p->round, s, p->out_mult, p->out_shift), p->out_zp);
            r = r < p->act_min ? p->act_min : (r > p->act_max ? p->act_max : r);
        }
        if (is_s8)
            ((int8_t *)out)[i] = (int8_t)r;
        else
            ((uint8_t *)out)[i] = (uint8_t)r;
    }
    return REF_OK;
}

int ref_add_s8(const struct ref_add_params *p,
               const struct ref_shape *a_shape, const int8_t *a,
               const struct ref_shape *b_shape, const int8_t *b,
               const struct ref_shape *out_shape, int8_t *out)
{
    return add_run(p, a_shape, a, b_shape, b, out_shape, out, true, false);
}

int ref_add_u8(const struct ref_add_params *p,
               const struct ref_shape *a_shape, const uint8_t *a,
               const struct ref_shape *b_shape, const uint8_t *b,
               const struct ref_shape *out_shape, uint8_t *out)
{
    return add_run(p, a_shape, a, b_shape, b, out_shape, out, false, false);
}

int ref_sub_s8(const struct ref_add_params *p,
               const struct ref_shape *a_shape, const int8_t *a,
               const struct ref_shape *b_shape, const int8_t *b,
               const struct ref_shape *out_shape, int8_t *out)
{
    return add_run(p, a_shape, a, b_shape, b, out_shape, out, true, true);
}
