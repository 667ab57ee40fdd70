/*
 * Float scales to integer requantization parameters, the way each runtime derives them
 * offline: TVM GetFixedPointMultiplierShift, TFLite QuantizeMultiplier, ONNX's float32
 * scale product, TVM's softmax constants (ARITHMETIC.md 1.6, 3, 4). Not an integer path,
 * so <math.h> (frexp, round) is allowed here.
 */
#include <math.h>

#include "ref.h"

/* m = q * 2^e, q in [0.5, 1); M = round(q * 2^31) ties away; M == 2^31 renormalized. */
static int frexp_q31(double m, int32_t *mult, int32_t *shift)
{
    if (!(m >= 0.0) || isinf(m))
        return REF_EARG;
    if (m == 0.0) {
        *mult = 0;
        *shift = 0;
        return REF_OK;
    }
    int e = 0;
    const double q = frexp(m, &e);
    double qf = round(q * 2147483648.0);   /* std::round: ties away from zero */
    if (qf == 2147483648.0) {
        qf /= 2.0;
        e++;
    }
    *mult = (int32_t)qf;
    *shift = (int32_t)e;
    return REF_OK;
}

int ref_multiplier_tvm(double m, int32_t *mult, int32_t *shift)
{
    if (mult == NULL || shift == NULL)
        return REF_EARG;
    return frexp_q31(m, mult, shift);
}

int ref_multiplier_tflite(double m, int32_t *mult, int32_t *shift)
{
    int32_t mm, ss;
    if (mult == NULL || shift == NULL || frexp_q31(m, &mm, &ss) != REF_OK)
        return REF_EARG;
    if (ss < -31) {   /* QuantizeMultiplier flushes to exactly 0 */
        mm = 0;
        ss = 0;
    }
    *mult = mm;
    *shift = ss;
    return REF_OK;
}

float ref_onnx_scale(float x_scale, float w_scale, float y_scale)
{
    /* numpy float32 scalars: the product and the quotient are each rounded to float32 */
    const float p = x_scale * w_scale;
    return p / y_scale;
}

int ref_softmax_params_tvm(float in_scale, int32_t *mult, int32_t *shift, int32_t *diff_min)
{
    if (mult == NULL || shift == NULL || diff_min == NULL || !(in_scale > 0.0f) ||
        isinf(in_scale))
        return REF_EARG;
    /* EmitSoftMax: beta = 1, kInputBits = 5, kScaledDiffIntegerBits = 5 */
    double real = (double)in_scale * (double)(1 << 26);
    if (real > 2147483647.0)
        real = 2147483647.0;
    int32_t m, s;
    if (frexp_q31(real, &m, &s) != REF_OK || s < 0 || s > 31)
        return REF_EARG;
    /* diff_min = -floor((2^5 - 1) * 2^(31-5) / 2^shift) */
    const double max_diff = floor(31.0 * 67108864.0 / ldexp(1.0, s));
    *mult = m;
    *shift = s;
    *diff_min = -(int32_t)max_diff;
    return REF_OK;
}
