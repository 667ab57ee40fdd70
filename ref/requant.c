/*
 * The output stage shared by every accumulating integer kernel: requantize with the
 * runtime's rounding, add the output zero point, clamp (struct ref_requant, ref/ref.h).
 * Integer modes use ref/fixedpoint.h; REF_ROUND_ONNX_FLOAT uses a double multiply and a
 * round-half-even without <math.h>.
 */
#include "fixedpoint.h"
#include "ref.h"
#include "ref_int.h"

bool ref_requant_check(const struct ref_requant *rq, size_t n_ch, int32_t lo, int32_t hi)
{
    if (rq == NULL || (rq->n != 1 && rq->n != n_ch) || rq->n == 0)
        return false;
    if (!ref_act_ok(rq->act_min, rq->act_max, lo, hi))
        return false;
    switch (rq->round) {
    case REF_ROUND_CMSIS_DOUBLE:
    case REF_ROUND_CMSIS_SINGLE:
    case REF_ROUND_TVM_UPWARD:
        return rq->mult != NULL && rq->shift != NULL;
    case REF_ROUND_ONNX_FLOAT:
        return rq->scale != NULL;
    case REF_ROUND_COUNT:
        break;
    }
    return false;
}

int32_t ref_requant_apply(const struct ref_requant *rq, size_t ch, int32_t acc)
{
    const size_t i = rq->n == 1 ? 0 : ch;
    int32_t v;
    switch (rq->round) {
    case REF_ROUND_CMSIS_DOUBLE:
        v = ref_requantize_cmsis(acc, rq->mult[i], rq->shift[i]);
        break;
    case REF_ROUND_CMSIS_SINGLE:
        v = ref_requantize_cmsis_single(acc, rq->mult[i], rq->shift[i]);
        break;
    case REF_ROUND_TVM_UPWARD:
        v = ref_q_multiply_shift_tvm(acc, rq->mult[i], rq->shift[i]);
        break;
    case REF_ROUND_ONNX_FLOAT:
    default:
        /* onnx/reference/ops/op_qlinear_conv.py: R = acc * float32 scale (float64 under
         * numpy promotion), R += y_zp, clip, np.round (ties to even). Clip and rounding
         * commute here because the bounds are integers. */
        return ref_round_half_even_sat((double)acc * (double)rq->scale[i] + (double)rq->out_zp,
                                       rq->act_min, rq->act_max);
    }
    /* The runtimes add the offset in int32 (wrapping) and clamp after. */
    v = ref_add_wrap(v, rq->out_zp);
    return v < rq->act_min ? rq->act_min : (v > rq->act_max ? rq->act_max : v);
}
