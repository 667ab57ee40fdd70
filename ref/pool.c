/*
 * Average, max and global pools: CMSIS-NN arm_avgpool_s8 / arm_max_pool_s8 (ARITHMETIC.md
 * 2.6, 2.7) and ONNX AveragePool / MaxPool / QLinearAveragePool (float mean, round half to
 * even, count_include_pad). A window with no tap inside the input is rejected for the
 * average (CMSIS-NN returns ARG_ERROR for count 0); the max of such a window is the
 * dtype's lowest value.
 */
#include <math.h>

#include "fixedpoint.h"
#include "ref.h"
#include "ref_int.h"

enum qt { QT_S8, QT_U8, QT_F32 };

struct pool_geo {
    struct ref_nhwc in, out;
};

static bool pool_check(const struct ref_pool_params *p, const struct ref_shape *in_shape,
                       const struct ref_shape *out_shape, struct pool_geo *g)
{
    if (p == NULL || !ref_nhwc_of(in_shape, p->layout, &g->in) ||
        !ref_nhwc_of(out_shape, p->layout, &g->out) || g->in.n != g->out.n ||
        g->in.c != g->out.c)
        return false;
    return g->out.h == ref_window_out(g->in.h, p->kernel_h, p->stride_h, p->dilation_h,
                                      p->pad_top, p->pad_bottom, p->ceil_mode) &&
           g->out.w == ref_window_out(g->in.w, p->kernel_w, p->stride_w, p->dilation_w,
                                      p->pad_left, p->pad_right, p->ceil_mode);
}

/* Taps of output row/column o along one axis: in-bounds and inside the padded extent. */
static void axis_taps(int32_t o, int32_t k, int32_t stride, int32_t dil, int32_t pad0,
                      int32_t pad1, int32_t in, int32_t *n_in, int32_t *n_padded)
{
    *n_in = 0;
    *n_padded = 0;
    for (int32_t t = 0; t < k; t++) {
        /* int64: with ceil_mode the last window may reach past in + pad1 */
        const int64_t i = (int64_t)o * stride - pad0 + (int64_t)t * dil;
        if (i >= 0 && i < in)
            (*n_in)++;
        if (i >= -pad0 && i < in + pad1)
            (*n_padded)++;
    }
}

/* True when every window has at least one in-bounds tap. */
static bool windows_nonempty(const struct ref_pool_params *p, const struct pool_geo *g)
{
    int32_t a, b;
    for (int32_t oy = 0; oy < g->out.h; oy++) {
        axis_taps(oy, p->kernel_h, p->stride_h, p->dilation_h, p->pad_top, p->pad_bottom,
                  g->in.h, &a, &b);
        if (a == 0)
            return false;
    }
    for (int32_t ox = 0; ox < g->out.w; ox++) {
        axis_taps(ox, p->kernel_w, p->stride_w, p->dilation_w, p->pad_left, p->pad_right,
                  g->in.w, &a, &b);
        if (a == 0)
            return false;
    }
    return true;
}

static double load(const void *d, enum qt t, size_t i)
{
    if (t == QT_S8)
        return ((const int8_t *)d)[i];
    if (t == QT_U8)
        return ((const uint8_t *)d)[i];
    return (double)((const float *)d)[i];
}

static int pool_run(const struct ref_pool_params *p, const struct ref_shape *in_shape,
                    const void *in, const struct ref_shape *out_shape, void *out, enum qt t,
                    bool is_max)
{
    struct pool_geo g;
    if (in == NULL || out == NULL || !pool_check(p, in_shape, out_shape, &g))
        return REF_EARG;
    const int32_t lo = t == QT_S8 ? INT8_MIN : 0, hi = t == QT_S8 ? INT8_MAX : UINT8_MAX;
    if (t != QT_F32 && !ref_act_ok(p->act_min, p->act_max, lo, hi))
        return REF_EARG;
    if (t == QT_F32 && !(p->act_min_f <= p->act_max_f))
        return REF_EARG;
    if (!is_max) {
        if (!windows_nonempty(p, &g))
            return REF_EARG;
        if (t != QT_F32) {
            const bool cmsis =
                p->round == REF_ROUND_CMSIS_DOUBLE || p->round == REF_ROUND_CMSIS_SINGLE;
            if (cmsis ? p->count_include_pad : p->round != REF_ROUND_ONNX_FLOAT)
                return REF_EARG;
            if (!cmsis && !(p->in_scale > 0.0f && p->out_scale > 0.0f))
                return REF_EARG;
        }
    }

    for (int32_t n = 0; n < g.out.n; n++) {
        for (int32_t oy = 0; oy < g.out.h; oy++) {
            int32_t ny, py;
            axis_taps(oy, p->kernel_h, p->stride_h, p->dilation_h, p->pad_top, p->pad_bottom,
                      g.in.h, &ny, &py);
            for (int32_t ox = 0; ox < g.out.w; ox++) {
                int32_t nx, px;
                axis_taps(ox, p->kernel_w, p->stride_w, p->dilation_w, p->pad_left,
                          p->pad_right, g.in.w, &nx, &px);
                for (int32_t c = 0; c < g.out.c; c++) {
                    int32_t isum = 0;   /* raw integer sum (|sum| < 2^31 for int8 inputs
                                         * unless the window has > 2^23 taps) */
                    float fsum = 0.0f;
                    double mx = t == QT_S8 ? INT8_MIN : (t == QT_U8 ? 0 : -(double)INFINITY);
                    for (int32_t ky = 0; ky < p->kernel_h; ky++) {
                        const int64_t iy64 =
                            (int64_t)oy * p->stride_h - p->pad_top + (int64_t)ky * p->dilation_h;
                        if (iy64 < 0 || iy64 >= g.in.h)
                            continue;
                        const int32_t iy = (int32_t)iy64;
                        for (int32_t kx = 0; kx < p->kernel_w; kx++) {
                            const int64_t ix64 = (int64_t)ox * p->stride_w - p->pad_left +
                                                 (int64_t)kx * p->dilation_w;
                            if (ix64 < 0 || ix64 >= g.in.w)
                                continue;
                            const int32_t ix = (int32_t)ix64;
                            const double v =
                                load(in, t, ref_nhwc_index(&g.in, p->layout, n, iy, ix, c));
                            if (v > mx)
                                mx = v;
                            if (t == QT_F32)
                                fsum += (float)v;
                            else
                                isum = ref_add_wrap(isum, (int32_t)v);
                        }
                    }
                    const size_t oi = ref_nhwc_index(&g.out, p->layout, n, oy, ox, c);
                    if (t == QT_F32) {
                        const int32_t cnt = p->count_include_pad ? py * px : ny * nx;
                        float v = is_max ? (float)mx : fsum / (float)cnt;
                        v = v < p->act_min_f ? p->act_min_f : (v > p->act_max_f ? p->act_max_f : v);
                        ((float *)out)[oi] = v;
                        continue;
                    }
                    int32_t r;
                    if (is_max) {
                        r = (int32_t)mx;
                        r = r < p->act_min ? p->act_min : (r > p->act_max ? p->act_max : r);
                    } else if (p->round != REF_ROUND_ONNX_FLOAT) {
                        /* arm_avgpool_s8: C division of the offset sum, ties away */
                        const int32_t cnt = ny * nx;
                        r = isum > 0 ? ref_add_wrap(isum, cnt / 2) / cnt
                                     : ref_sub_wrap(isum, cnt / 2) / cnt;
                        r = r < p->act_min ? p->act_min : (r > p->act_max ? p->act_max : r);
                    } else {
                        /* ONNX: padding counts as the zero point when included */
                        const int32_t cnt = p->count_include_pad ? py * px : ny * nx;
                        const int64_t centered = (int64_t)isum - (int64_t)ny * nx * p->in_zp;
                        const float mean = (float)centered / (float)cnt;
                        const float q = mean * p->in_scale / p->out_scale;
                        r = ref_round_half_even_sat((double)q + (double)p->out_zp, p->act_min,
                                                    p->act_max);
                    }
                    if (t == QT_S8)
                        ((int8_t *)out)[oi] = (int8_t)r;
                    else
                        ((uint8_t *)out)[oi] = (uint8_t)r;
                }
            }
        }
    }
    return REF_OK;
}

int ref_avgpool_s8(const struct ref_pool_params *p,
                   const struct ref_shape *in_shape, const int8_t *in,
                   const struct ref_shape *out_shape, int8_t *out)
{
    return pool_run(p, in_shape, in, out_shape, out, QT_S8, false);
}

int ref_avgpool_u8(const struct ref_pool_params *p,
                   const struct ref_shape *in_shape, const uint8_t *in,
                   const struct ref_shape *out_shape, uint8_t *out)
{
    return pool_run(p, in_shape, in, out_shape, out, QT_U8, false);
}

int ref_avgpool_f32(const struct ref_pool_params *p,
                    const struct ref_shape *in_shape, const float *in,
                    const struct ref_shape *out_shape, float *out)
{
    return pool_run(p, in_shape, in, out_shape, out, QT_F32, false);
}

int ref_maxpool_s8(const struct ref_pool_params *p,
                   const struct ref_shape *in_shape, const int8_t *in,
                   const struct ref_shape *out_shape, int8_t *out)
{
    return pool_run(p, in_shape, in, out_shape, out, QT_S8, true);
}

int ref_maxpool_u8(const struct ref_pool_params *p,
                   const struct ref_shape *in_shape, const uint8_t *in,
                   const struct ref_shape *out_shape, uint8_t *out)
{
    return pool_run(p, in_shape, in, out_shape, out, QT_U8, true);
}

int ref_maxpool_f32(const struct ref_pool_params *p,
                    const struct ref_shape *in_shape, const float *in,
                    const struct ref_shape *out_shape, float *out)
{
    return pool_run(p, in_shape, in, out_shape, out, QT_F32, true);
}

/* p with the window set to the whole H x W plane. */
static bool global_params(const struct ref_pool_params *p, const struct ref_shape *in_shape,
                          struct ref_pool_params *g)
{
    struct ref_nhwc d;
    if (p == NULL || !ref_nhwc_of(in_shape, p->layout, &d) || d.h < 1 || d.w < 1)
        return false;
    *g = *p;
    g->kernel_h = d.h, g->kernel_w = d.w;
    g->stride_h = g->stride_w = 1;
    g->dilation_h = g->dilation_w = 1;
    g->pad_top = g->pad_left = g->pad_bottom = g->pad_right = 0;
    g->ceil_mode = false;
    g->count_include_pad = false;
    return true;
}

int ref_global_avgpool_s8(const struct ref_pool_params *p,
                          const struct ref_shape *in_shape, const int8_t *in,
                          const struct ref_shape *out_shape, int8_t *out)
{
    struct ref_pool_params g;
    if (!global_params(p, in_shape, &g))
        return REF_EARG;
    return pool_run(&g, in_shape, in, out_shape, out, QT_S8, false);
}

int ref_global_avgpool_f32(const struct ref_pool_params *p,
                           const struct ref_shape *in_shape, const float *in,
                           const struct ref_shape *out_shape, float *out)
{
    struct ref_pool_params g;
    if (!global_params(p, in_shape, &g))
        return REF_EARG;
    return pool_run(&g, in_shape, in, out_shape, out, QT_F32, false);
}

int ref_global_maxpool_s8(const struct ref_pool_params *p,
                          const struct ref_shape *in_shape, const int8_t *in,
                          const struct ref_shape *out_shape, int8_t *out)
{
    struct ref_pool_params g;
    if (!global_params(p, in_shape, &g))
        return REF_EARG;
    return pool_run(&g, in_shape, in, out_shape, out, QT_S8, true);
}

int ref_global_maxpool_f32(const struct ref_pool_params *p,
                           const struct ref_shape *in_shape, const float *in,
                           const struct ref_shape *out_shape, float *out)
{
    struct ref_pool_params g;
    if (!global_params(p, in_shape, &g))
        return REF_EARG;
    return pool_run(&g, in_shape, in, out_shape, out, QT_F32, true);
}
