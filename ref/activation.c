/*
 * Element-wise activations: ONNX Relu, Clip, LeakyRelu, Sigmoid, Tanh, HardSwish in
 * float32, and an int8 form that dequantizes, applies the float op and quantizes (round
 * half to even). The int8 form is not TFLite's integer LOGISTIC/TANH/HARD_SWISH.
 */
#include <math.h>

#include "fixedpoint.h"
#include "ref.h"
#include "ref_int.h"

static float act_one(const struct ref_act_params *p, float x)
{
    switch (p->kind) {
    case REF_ACT_RELU:
        return x > 0.0f ? x : 0.0f;
    case REF_ACT_CLIP:
        return x < p->lo ? p->lo : (x > p->hi ? p->hi : x);
    case REF_ACT_LEAKY_RELU:
        return x >= 0.0f ? x : p->alpha * x;
    case REF_ACT_SIGMOID:
        return 1.0f / (1.0f + expf(-x));
    case REF_ACT_TANH:
        return tanhf(x);
    case REF_ACT_HARD_SWISH: {
        float t = x / 6.0f + 0.5f;
        t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
        return x * t;
    }
    case REF_ACT_COUNT:
        break;
    }
    return x;
}

static bool act_ok(const struct ref_act_params *p)
{
    return p != NULL && (unsigned)p->kind < (unsigned)REF_ACT_COUNT &&
           (p->kind != REF_ACT_CLIP || p->lo <= p->hi);
}

int ref_act_f32(const struct ref_act_params *p,
                const struct ref_shape *in_shape, const float *in,
                const struct ref_shape *out_shape, float *out)
{
    size_t n;
    if (!act_ok(p) || in == NULL || out == NULL || out_shape == NULL ||
        !ref_shape_count(in_shape, &n) || !ref_shape_equal(in_shape, out_shape))
        return REF_EARG;
    for (size_t i = 0; i < n; i++)
        out[i] = act_one(p, in[i]);
    return REF_OK;
}

int ref_act_s8(const struct ref_act_params *p,
               const struct ref_shape *in_shape, const int8_t *in,
               const struct ref_shape *out_shape, int8_t *out)
{
    size_t n;
    if (!act_ok(p) || in == NULL || out == NULL || out_shape == NULL ||
        !ref_shape_count(in_shape, &n) || !ref_shape_equal(in_shape, out_shape))
        return REF_EARG;
    if (p->round == REF_QROUND_ONNX ? !(p->out_scale > 0.0f) : p->round != REF_QROUND_TVM)
        return REF_EARG;
    /* one table per call, as a LUT kernel would build it */
    int8_t lut[256];
    for (int32_t q = INT8_MIN; q <= INT8_MAX; q++) {
        const float x = (float)((int64_t)q - p->in_zp) * p->in_scale;
        const float y = act_one(p, x);
        const int32_t r =
            p->round == REF_QROUND_ONNX
                ? ref_round_half_even_sat((double)(y / p->out_scale), -(1 << 24), 1 << 24)
                : ref_round_half_away_sat((double)(y * p->out_inv_scale), -(1 << 24), 1 << 24);
        const int64_t v = (int64_t)r + p->out_zp;
        lut[q - INT8_MIN] = (int8_t)(v < INT8_MIN ? INT8_MIN : (v > INT8_MAX ? INT8_MAX : v));
    }
    for (size_t i = 0; i < n; i++)
        out[i] = lut[in[i] - INT8_MIN];
    return REF_OK;
}
