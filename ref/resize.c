/*
 * ONNX Resize on the two spatial axes of a 4-D tensor: nearest (any dtype, raw copy) and
 * bilinear (float32). Coordinates follow the ONNX coordinate_transformation_mode formulas
 * in float32; source indices are clamped to the input (edge replication).
 */
#include <math.h>
#include <string.h>

#include "ref.h"
#include "ref_int.h"

static bool resize_check(const struct ref_resize_params *p, const struct ref_shape *is,
                         const struct ref_shape *os, struct ref_nhwc *gi, struct ref_nhwc *go)
{
    return p != NULL && ref_nhwc_of(is, p->layout, gi) && ref_nhwc_of(os, p->layout, go) &&
           gi->n == go->n && gi->c == go->c && (gi->h > 0 || go->h == 0) &&
           (gi->w > 0 || go->w == 0) && (unsigned)p->coord <= (unsigned)REF_COORD_ASYMMETRIC;
}

/* Source coordinate of output index o along an axis (ONNX Resize). */
static float src_coord(enum ref_resize_coord mode, float scale, int32_t o, int32_t in_len,
                       int32_t out_len)
{
    const float of = (float)o;
    switch (mode) {
    case REF_COORD_HALF_PIXEL:
        return (of + 0.5f) / scale - 0.5f;
    case REF_COORD_PYTORCH_HALF_PIXEL:
        return out_len > 1 ? (of + 0.5f) / scale - 0.5f : 0.0f;
    case REF_COORD_ALIGN_CORNERS:
        return out_len == 1 ? 0.0f : of * (float)(in_len - 1) / (float)(out_len - 1);
    case REF_COORD_ASYMMETRIC:
    default:
        return of / scale;
    }
}

static int32_t clampi(int64_t v, int32_t len)
{
    return v < 0 ? 0 : (v >= len ? len - 1 : (int32_t)v);
}

static int32_t nearest_index(enum ref_resize_nearest mode, float x, int32_t len)
{
    float r;
    switch (mode) {
    case REF_NEAREST_ROUND_PREFER_FLOOR:
        r = (x - floorf(x) == 0.5f) ? floorf(x) : roundf(x);
        break;
    case REF_NEAREST_ROUND_PREFER_CEIL:
        r = (x - floorf(x) == 0.5f) ? ceilf(x) : roundf(x);
        break;
    case REF_NEAREST_FLOOR:
        r = floorf(x);
        break;
    case REF_NEAREST_CEIL:
    default:
        r = ceilf(x);
        break;
    }
    if (!(r > -1e9f))
        return 0;
    if (r > 1e9f)
        return len - 1;
    return clampi((int64_t)r, len);
}

static float axis_scale(float given, int32_t in_len, int32_t out_len)
{
    return given > 0.0f ? given : (in_len > 0 ? (float)out_len / (float)in_len : 1.0f);
}

int ref_resize_nearest_any(const struct ref_resize_params *p,
                           const struct ref_shape *in_shape, const void *in,
                           const struct ref_shape *out_shape, void *out)
{
    struct ref_nhwc gi, go;
    if (in == NULL || out == NULL || !resize_check(p, in_shape, out_shape, &gi, &go) ||
        p->elem_bytes < 1 || p->elem_bytes > 8 ||
        (unsigned)p->nearest > (unsigned)REF_NEAREST_CEIL)
        return REF_EARG;
    const float sh = axis_scale(p->scale_h, gi.h, go.h), sw = axis_scale(p->scale_w, gi.w, go.w);
    for (int32_t n = 0; n < go.n; n++) {
        for (int32_t y = 0; y < go.h; y++) {
            const int32_t iy =
                nearest_index(p->nearest, src_coord(p->coord, sh, y, gi.h, go.h), gi.h);
            for (int32_t x = 0; x < go.w; x++) {
                const int32_t ix =
                    nearest_index(p->nearest, src_coord(p->coord, sw, x, gi.w, go.w), gi.w);
                for (int32_t c = 0; c < go.c; c++) {
                    memcpy((unsigned char *)out +
                               ref_nhwc_index(&go, p->layout, n, y, x, c) * p->elem_bytes,
                           (const unsigned char *)in +
                               ref_nhwc_index(&gi, p->layout, n, iy, ix, c) * p->elem_bytes,
                           p->elem_bytes);
                }
            }
        }
    }
    return REF_OK;
}

int ref_resize_linear_f32(const struct ref_resize_params *p,
                          const struct ref_shape *in_shape, const float *in,
                          const struct ref_shape *out_shape, float *out)
{
    struct ref_nhwc gi, go;
    if (in == NULL || out == NULL || !resize_check(p, in_shape, out_shape, &gi, &go))
        return REF_EARG;
    const float sh = axis_scale(p->scale_h, gi.h, go.h), sw = axis_scale(p->scale_w, gi.w, go.w);
    for (int32_t n = 0; n < go.n; n++) {
        for (int32_t y = 0; y < go.h; y++) {
            float fy = src_coord(p->coord, sh, y, gi.h, go.h);
            fy = fy < 0.0f ? 0.0f : (fy > (float)(gi.h - 1) ? (float)(gi.h - 1) : fy);
            const int32_t y0 = (int32_t)fy, y1 = y0 + 1 < gi.h ? y0 + 1 : y0;
            const float wy = fy - (float)y0;
            for (int32_t x = 0; x < go.w; x++) {
                float fx = src_coord(p->coord, sw, x, gi.w, go.w);
                fx = fx < 0.0f ? 0.0f : (fx > (float)(gi.w - 1) ? (float)(gi.w - 1) : fx);
                const int32_t x0 = (int32_t)fx, x1 = x0 + 1 < gi.w ? x0 + 1 : x0;
                const float wx = fx - (float)x0;
                for (int32_t c = 0; c < go.c; c++) {
                    const float v00 = in[ref_nhwc_index(&gi, p->layout, n, y0, x0, c)];
                    const float v01 = in[ref_nhwc_index(&gi, p->layout, n, y0, x1, c)];
                    const float v10 = in[ref_nhwc_index(&gi, p->layout, n, y1, x0, c)];
                    const float v11 = in[ref_nhwc_index(&gi, p->layout, n, y1, x1, c)];
                    const float top = v00 + (v01 - v00) * wx;
                    const float bot = v10 + (v11 - v10) * wx;
                    out[ref_nhwc_index(&go, p->layout, n, y, x, c)] = top + (bot - top) * wy;
                }
            }
        }
    }
    return REF_OK;
}
