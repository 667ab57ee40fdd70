/*
 * Depthwise convolution in the TFLite / CMSIS-NN form: NHWC input, [1, KH, KW, C_out]
 * weights, channel multiplier (arm_depthwise_conv_wrapper_s8, ARITHMETIC.md 2.2).
 * Out-of-bounds taps are skipped, the same as padding with the input zero point.
 */
#include "fixedpoint.h"
#include "ref.h"
#include "ref_int.h"

int ref_dwconv2d_s8(const struct ref_dwconv2d_params *p,
                    const struct ref_shape *in_shape, const int8_t *in,
                    const struct ref_shape *w_shape, const int8_t *w,
                    const struct ref_shape *bias_shape, const int32_t *bias,
                    const struct ref_shape *out_shape, int8_t *out)
{
    struct ref_nhwc gi, go;
    size_t n;
    if (p == NULL || in == NULL || w == NULL || out == NULL ||
        !ref_nhwc_of(in_shape, REF_LAYOUT_NHWC, &gi) ||
        !ref_nhwc_of(out_shape, REF_LAYOUT_NHWC, &go) || !ref_shape_count(w_shape, &n) ||
        w_shape->rank != 4 || w_shape->dims[0] != 1 || p->ch_mult < 1)
        return REF_EARG;
    const int32_t kh = w_shape->dims[1], kw = w_shape->dims[2];
    if ((int64_t)gi.c * p->ch_mult != go.c || w_shape->dims[3] != go.c || go.n != gi.n ||
        go.h != ref_window_out(gi.h, kh, p->stride_h, p->dilation_h, p->pad_top,
                               p->pad_bottom, false) ||
        go.w != ref_window_out(gi.w, kw, p->stride_w, p->dilation_w, p->pad_left,
                               p->pad_right, false))
        return REF_EARG;
    if (bias != NULL && (!ref_shape_count(bias_shape, &n) || n != (size_t)go.c))
        return REF_EARG;
    if (!ref_requant_check(&p->rq, (size_t)go.c, INT8_MIN, INT8_MAX))
        return REF_EARG;

    for (int32_t b = 0; b < go.n; b++) {
        for (int32_t oy = 0; oy < go.h; oy++) {
            for (int32_t ox = 0; ox < go.w; ox++) {
                for (int32_t ci = 0; ci < gi.c; ci++) {
                    for (int32_t m = 0; m < p->ch_mult; m++) {
                        const int32_t oc = ci * p->ch_mult + m;
                        int64_t acc = bias != NULL ? bias[oc] : 0;
                        for (int32_t ky = 0; ky < kh; ky++) {
                            const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
                            if (iy < 0 || iy >= gi.h)
                                continue;
                            for (int32_t kx = 0; kx < kw; kx++) {
                                const int32_t ix =
                                    ox * p->stride_w - p->pad_left + kx * p->dilation_w;
                                if (ix < 0 || ix >= gi.w)
                                    continue;
                                const int64_t xv =
                                    in[ref_nhwc_index(&gi, REF_LAYOUT_NHWC, b, iy, ix, ci)] -
                                    (int64_t)p->in_zp;
                                const int64_t wv =
                                    w[((size_t)ky * (size_t)kw + (size_t)kx) * (size_t)go.c +
                                      (size_t)oc] -
                                    (int64_t)p->w_zp;
                                acc = ref_s64_from_bits((uint64_t)acc + (uint64_t)(xv * wv));
                            }
                        }
                        const int32_t v =
                            ref_requant_apply(&p->rq, (size_t)oc, ref_s32_trunc(acc));
                        out[ref_nhwc_index(&go, REF_LAYOUT_NHWC, b, oy, ox, oc)] = (int8_t)v;
                    }
                }
            }
        }
    }
    return REF_OK;
}
