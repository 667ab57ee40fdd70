/*
 * Element-wise multiply with numpy broadcasting: CMSIS-NN arm_elementwise_mul_s8 / TFLite
 * MUL int8 (ARITHMETIC.md 2.5) and, with REF_ROUND_ONNX_FLOAT, QLinearMul-style float
 * requantization of the integer product.
 */
#include "fixedpoint.h"
#include "ref.h"
#include "ref_int.h"

static int mul_run(const struct ref_mul_params *p, const struct ref_shape *as, const void *a,
                   const struct ref_shape *bs, const void *b, const struct ref_shape *os,
                   void *out, bool is_s8)
{
    struct ref_bcast ba, bb;
    size_t n;
    if (p == NULL || a == NULL || b == NULL || out == NULL || !ref_shape_count(os, &n) ||
        !ref_bcast_init(&ba, as, os) || !ref_bcast_init(&bb, bs, os) || p->rq.n != 1 ||
        !ref_requant_check(&p->rq, 1, is_s8 ? INT8_MIN : 0, is_s8 ? INT8_MAX : UINT8_MAX))
        return REF_EARG;
    for (size_t i = 0; i < n; i++) {
        const size_t ia = ref_bcast_offset(&ba, i), ib = ref_bcast_offset(&bb, i);
        const int32_t av = is_s8 ? ((const int8_t *)a)[ia] : ((const uint8_t *)a)[ia];
        const int32_t bv = is_s8 ? ((const int8_t *)b)[ib] : ((const uint8_t *)b)[ib];
        const int32_t prod = ref_mul_wrap(ref_sub_wrap(av, p->in1_zp), ref_sub_wrap(bv, p->in2_zp));
        const int32_t r = ref_requant_apply(&p->rq, 0, prod);
        if (is_s8)
            ((int8_t *)out)[i] = (int8_t)r;
        else
            ((uint8_t *)out)[i] = (uint8_t)r;
    }
    return REF_OK;
}

int ref_mul_s8(const struct ref_mul_params *p,
               const struct ref_shape *a_shape, const int8_t *a,
               const struct ref_shape *b_shape, const int8_t *b,
               const struct ref_shape *out_shape, int8_t *out)
{
    return mul_run(p, a_shape, a, b_shape, b, out_shape, out, true);
}

int ref_mul_u8(const struct ref_mul_params *p,
               const struct ref_shape *a_shape, const uint8_t *a,
               const struct ref_shape *b_shape, const uint8_t *b,
               const struct ref_shape *out_shape, uint8_t *out)
{
    return mul_run(p, a_shape, a, b_shape, b, out_shape, out, false);
}
