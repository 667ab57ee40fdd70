/*
 * 2-D convolution: CMSIS-NN arm_convolve_wrapper_s8 / TFLite CONV_2D (NHWC, OHWI) and ONNX
 * QLinearConv / Conv (NCHW, OIHW), with groups, strides, dilations and explicit padding
 * (ARITHMETIC.md 2.1, 4). One loop nest serves every dtype combination; padding taps are
 * skipped, which equals filling them with the input zero point.
 */
#include "fixedpoint.h"
#include "ref.h"
#include "ref_int.h"

enum qt { QT_S8, QT_U8, QT_S32 /* output only: the raw accumulator */ };

static int32_t qt_load(const void *p, enum qt t, size_t i)
{
    return t == QT_S8 ? (int32_t)((const int8_t *)p)[i] : (int32_t)((const uint8_t *)p)[i];
}

static void qt_store(void *p, enum qt t, size_t i, int32_t v)
{
    if (t == QT_S8)
        ((int8_t *)p)[i] = (int8_t)v;
    else if (t == QT_U8)
        ((uint8_t *)p)[i] = (uint8_t)v;
    else
        ((int32_t *)p)[i] = v;
}

struct conv_geo {
    struct ref_nhwc in, out;
    int32_t kh, kw;
    int32_t cg_in, cg_out;   /* channels per group */
};

/* Validates the geometry shared by the integer and float kernels. */
static bool conv_check(const struct ref_conv2d_params *p, const struct ref_shape *in_shape,
                       const struct ref_shape *w_shape, const struct ref_shape *bias_shape,
                       bool has_bias, const struct ref_shape *out_shape, struct conv_geo *g)
{
    size_t n;
    if (p == NULL || !ref_nhwc_of(in_shape, p->layout, &g->in) ||
        !ref_nhwc_of(out_shape, p->layout, &g->out) || !ref_shape_count(w_shape, &n) ||
        w_shape->rank != 4 || p->groups < 1)
        return false;
    const int32_t c_out = w_shape->dims[0];
    if (p->layout == REF_LAYOUT_NHWC) {
        g->kh = w_shape->dims[1], g->kw = w_shape->dims[2], g->cg_in = w_shape->dims[3];
    } else {
        g->cg_in = w_shape->dims[1], g->kh = w_shape->dims[2], g->kw = w_shape->dims[3];
    }
    if (g->in.c % p->groups != 0 || c_out % p->groups != 0 ||
        g->cg_in != g->in.c / p->groups || g->out.c != c_out || g->out.n != g->in.n)
        return false;
    g->cg_out = c_out / p->groups;
    if (g->out.h != ref_window_out(g->in.h, g->kh, p->stride_h, p->dilation_h, p->pad_top,
                                   p->pad_bottom, false) ||
        g->out.w != ref_window_out(g->in.w, g->kw, p->stride_w, p->dilation_w, p->pad_left,
                                   p->pad_right, false))
        return false;
    if (has_bias) {
        if (!ref_shape_count(bias_shape, &n) || n != (size_t)c_out)
            return false;
    }
    return true;
}

static size_t w_index(const struct ref_conv2d_params *p, const struct conv_geo *g, int32_t oc,
                      int32_t ky, int32_t kx, int32_t ci)
{
    if (p->layout == REF_LAYOUT_NHWC)
        return (((size_t)oc * (size_t)g->kh + (size_t)ky) * (size_t)g->kw + (size_t)kx) *
                   (size_t)g->cg_in + (size_t)ci;
    return (((size_t)oc * (size_t)g->cg_in + (size_t)ci) * (size_t)g->kh + (size_t)ky) *
               (size_t)g->kw + (size_t)kx;
}

static int conv_int(const struct ref_conv2d_params *p, const struct ref_shape *in_shape,
                    const void *in, enum qt tin, const struct ref_shape *w_shape, const void *w,
                    enum qt tw, const struct ref_shape *bias_shape, const int32_t *bias,
                    const struct ref_shape *out_shape, void *out, enum qt tout)
{
    struct conv_geo g;
    if (in == NULL || w == NULL || out == NULL ||
        !conv_check(p, in_shape, w_shape, bias_shape, bias != NULL, out_shape, &g))
        return REF_EARG;
    const int32_t lo = tout == QT_S8 ? INT8_MIN : 0, hi = tout == QT_S8 ? INT8_MAX : UINT8_MAX;
    if (tout != QT_S32 && !ref_requant_check(&p->rq, (size_t)g.out.c, lo, hi))
        return REF_EARG;
    if (p->w_zp != NULL && p->n_w_zp != 1 && p->n_w_zp != (size_t)g.out.c)
        return REF_EARG;

    for (int32_t n = 0; n < g.out.n; n++) {
        for (int32_t oy = 0; oy < g.out.h; oy++) {
            for (int32_t ox = 0; ox < g.out.w; ox++) {
                for (int32_t oc = 0; oc < g.out.c; oc++) {
                    const int32_t grp = oc / g.cg_out;
                    const int64_t wzp =
                        p->w_zp == NULL ? 0 : p->w_zp[p->n_w_zp == 1 ? 0 : (size_t)oc];
                    /* int64 sum, truncated to int32 at the end: the same value as the
                     * runtimes' wrapping int32 accumulation, in any order. */
                    int64_t acc = bias != NULL ? bias[oc] : 0;
                    for (int32_t ky = 0; ky < g.kh; ky++) {
                        const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
                        if (iy < 0 || iy >= g.in.h)
                            continue;
                        for (int32_t kx = 0; kx < g.kw; kx++) {
                            const int32_t ix =
                                ox * p->stride_w - p->pad_left + kx * p->dilation_w;
                            if (ix < 0 || ix >= g.in.w)
                                continue;
                            for (int32_t ci = 0; ci < g.cg_in; ci++) {
                                const int32_t c = grp * g.cg_in + ci;
                                const int64_t xv =
                                    qt_load(in, tin, ref_nhwc_index(&g.in, p->layout, n, iy,
                                                                    ix, c)) -
                                    (int64_t)p->in_zp;
                                const int64_t wv =
                                    qt_load(w, tw, w_index(p, &g, oc, ky, kx, ci)) - wzp;
                                acc = ref_s64_from_bits((uint64_t)acc + (uint64_t)(xv * wv));
                            }
                        }
                    }
                    const int32_t v =
                        tout == QT_S32 ? ref_s32_trunc(acc)
                                       : ref_requant_apply(&p->rq, (size_t)oc, ref_s32_trunc(acc));
                    qt_store(out, tout, ref_nhwc_index(&g.out, p->layout, n, oy, ox, oc), v);
                }
            }
        }
    }
    return REF_OK;
}

int ref_conv2d_s8(const struct ref_conv2d_params *p,
                  const struct ref_shape *in_shape, const int8_t *in,
                  const struct ref_shape *w_shape, const int8_t *w,
                  const struct ref_shape *bias_shape, const int32_t *bias,
                  const struct ref_shape *out_shape, int8_t *out)
{
    return conv_int(p, in_shape, in, QT_S8, w_shape, w, QT_S8, bias_shape, bias, out_shape, out,
                    QT_S8);
}

int ref_conv2d_u8(const struct ref_conv2d_params *p,
                  const struct ref_shape *in_shape, const uint8_t *in,
                  const struct ref_shape *w_shape, const uint8_t *w,
                  const struct ref_shape *bias_shape, const int32_t *bias,
                  const struct ref_shape *out_shape, uint8_t *out)
{
    return conv_int(p, in_shape, in, QT_U8, w_shape, w, QT_U8, bias_shape, bias, out_shape, out,
                    QT_U8);
}

int ref_conv2d_u8s8(const struct ref_conv2d_params *p,
                    const struct ref_shape *in_shape, const uint8_t *in,
                    const struct ref_shape *w_shape, const int8_t *w,
                    const struct ref_shape *bias_shape, const int32_t *bias,
                    const struct ref_shape *out_shape, uint8_t *out)
{
    return conv_int(p, in_shape, in, QT_U8, w_shape, w, QT_S8, bias_shape, bias, out_shape, out,
                    QT_U8);
}

int ref_conv2d_u8_s32(const struct ref_conv2d_params *p,
                      const struct ref_shape *in_shape, const uint8_t *in,
                      const struct ref_shape *w_shape, const uint8_t *w,
                      const struct ref_shape *bias_shape, const int32_t *bias,
                      const struct ref_shape *out_shape, int32_t *out)
{
    return conv_int(p, in_shape, in, QT_U8, w_shape, w, QT_U8, bias_shape, bias, out_shape, out,
                    QT_S32);
}

int ref_conv2d_s8_s32(const struct ref_conv2d_params *p,
                      const struct ref_shape *in_shape, const int8_t *in,
                      const struct ref_shape *w_shape, const int8_t *w,
                      const struct ref_shape *bias_shape, const int32_t *bias,
                      const struct ref_shape *out_shape, int32_t *out)
{
    return conv_int(p, in_shape, in, QT_S8, w_shape, w, QT_S8, bias_shape, bias, out_shape, out,
                    QT_S32);
}

int ref_conv2d_f32(const struct ref_conv2d_f32_params *p,
                   const struct ref_shape *in_shape, const float *in,
                   const struct ref_shape *w_shape, const float *w,
                   const struct ref_shape *bias_shape, const float *bias,
                   const struct ref_shape *out_shape, float *out)
{
    struct conv_geo g;
    if (p == NULL || in == NULL || w == NULL || out == NULL ||
        !conv_check(&p->geo, in_shape, w_shape, bias_shape, bias != NULL, out_shape, &g) ||
        !(p->act_min <= p->act_max))
        return REF_EARG;
    const struct ref_conv2d_params *q = &p->geo;
    for (int32_t n = 0; n < g.out.n; n++) {
        for (int32_t oy = 0; oy < g.out.h; oy++) {
            for (int32_t ox = 0; ox < g.out.w; ox++) {
                for (int32_t oc = 0; oc < g.out.c; oc++) {
                    const int32_t grp = oc / g.cg_out;
                    float acc = 0.0f;
                    /* tap order: the weight memory order of the layout */
                    for (int32_t t = 0; t < g.kh * g.kw * g.cg_in; t++) {
                        int32_t ky, kx, ci;
                        if (q->layout == REF_LAYOUT_NHWC) {
                            ci = t % g.cg_in, kx = (t / g.cg_in) % g.kw,
                            ky = t / (g.cg_in * g.kw);
                        } else {
                            kx = t % g.kw, ky = (t / g.kw) % g.kh, ci = t / (g.kw * g.kh);
                        }
                        const int32_t iy = oy * q->stride_h - q->pad_top + ky * q->dilation_h;
                        const int32_t ix = ox * q->stride_w - q->pad_left + kx * q->dilation_w;
                        if (iy < 0 || iy >= g.in.h || ix < 0 || ix >= g.in.w)
                            continue;
                        const int32_t c = grp * g.cg_in + ci;
                        acc += in[ref_nhwc_index(&g.in, q->layout, n, iy, ix, c)] *
                               w[w_index(q, &g, oc, ky, kx, ci)];
                    }
                    if (bias != NULL)
                        acc += bias[oc];
                    acc = acc < p->act_min ? p->act_min : (acc > p->act_max ? p->act_max : acc);
                    out[ref_nhwc_index(&g.out, q->layout, n, oy, ox, oc)] = acc;
                }
            }
        }
    }
    return REF_OK;
}
