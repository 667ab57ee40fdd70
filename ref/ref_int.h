/*
 * Private helpers shared by the ref/ kernels: shape validation, numpy broadcasting and 4-D
 * layout indexing. Included only from the kernel sources in ref/. Everything is static
 * inline and pure.
 */
#ifndef MLFSCOPE_REF_INT_H
#define MLFSCOPE_REF_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ref.h"

/* True when s is a valid shape whose element count fits int32; *n = that count. */
static inline bool ref_shape_count(const struct ref_shape *s, size_t *n)
{
    if (s == NULL || s->rank < 0 || s->rank > REF_MAX_RANK)
        return false;
    uint64_t c = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->dims[i] < 0)
            return false;
        c *= (uint64_t)s->dims[i];
        if (c > (uint64_t)INT32_MAX)
            return false;
    }
    *n = (size_t)c;
    return true;
}

static inline bool ref_shape_equal(const struct ref_shape *a, const struct ref_shape *b)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++) {
        if (a->dims[i] != b->dims[i])
            return false;
    }
    return true;
}

/* Row-major strides (elements) of s into st[0..rank-1]. s must be valid. */
static inline void ref_shape_strides(const struct ref_shape *s, size_t *st)
{
    size_t acc = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        st[i] = acc;
        acc *= (size_t)s->dims[i];
    }
}

/* numpy broadcasting of one input onto the output: stride 0 on stretched axes. */
struct ref_bcast {
    int rank;                         /* output rank */
    int32_t dims[REF_MAX_RANK];       /* output dims */
    size_t strides[REF_MAX_RANK];     /* input element stride per output axis */
};

/* True when `in` broadcasts to `out` (right-aligned; each in dim equals out's or is 1). */
static inline bool ref_bcast_init(struct ref_bcast *b, const struct ref_shape *in,
                                  const struct ref_shape *out)
{
    size_t n, st[REF_MAX_RANK];
    if (!ref_shape_count(in, &n) || in->rank > out->rank)
        return false;
    ref_shape_strides(in, st);
    b->rank = out->rank;
    const int off = out->rank - in->rank;
    for (int i = 0; i < out->rank; i++) {
        b->dims[i] = out->dims[i];
        if (i < off) {
            b->strides[i] = 0;
            continue;
        }
        const int32_t d = in->dims[i - off];
        if (d == out->dims[i])
            b->strides[i] = st[i - off];
        else if (d == 1)
            b->strides[i] = 0;
        else
            return false;
    }
    return true;
}

/* Input element offset for output linear index `lin`. */
static inline size_t ref_bcast_offset(const struct ref_bcast *b, size_t lin)
{
    size_t off = 0;
    for (int i = b->rank - 1; i >= 0; i--) {
        const size_t d = (size_t)b->dims[i];
        off += (lin % d) * b->strides[i];
        lin /= d;
    }
    return off;
}

/* A 4-D activation seen through its layout. */
struct ref_nhwc {
    int32_t n, h, w, c;
};

static inline bool ref_nhwc_of(const struct ref_shape *s, enum ref_layout layout,
                               struct ref_nhwc *o)
{
    size_t cnt;
    if (!ref_shape_count(s, &cnt) || s->rank != 4)
        return false;
    if (layout == REF_LAYOUT_NHWC) {
        o->n = s->dims[0], o->h = s->dims[1], o->w = s->dims[2], o->c = s->dims[3];
    } else if (layout == REF_LAYOUT_NCHW) {
        o->n = s->dims[0], o->c = s->dims[1], o->h = s->dims[2], o->w = s->dims[3];
    } else {
        return false;
    }
    return true;
}

/* Element index of (n, y, x, c) in a tensor of geometry g stored in `layout`. */
static inline size_t ref_nhwc_index(const struct ref_nhwc *g, enum ref_layout layout,
                                    int32_t n, int32_t y, int32_t x, int32_t c)
{
    if (layout == REF_LAYOUT_NHWC)
        return (((size_t)n * (size_t)g->h + (size_t)y) * (size_t)g->w + (size_t)x) *
                   (size_t)g->c + (size_t)c;
    return (((size_t)n * (size_t)g->c + (size_t)c) * (size_t)g->h + (size_t)y) *
               (size_t)g->w + (size_t)x;
}

/*
 * Output length of a sliding window: floor (or ceil with ceil_mode) of
 * (in + pads - dil*(k-1) - 1) / stride + 1; with ceil_mode the last window must start
 * inside the input or the leading padding (ONNX / PyTorch). -1 when no window fits or a
 * parameter is out of range.
 */
static inline int32_t ref_window_out(int32_t in, int32_t k, int32_t stride, int32_t dil,
                                     int32_t pad0, int32_t pad1, bool ceil_mode)
{
    if (in < 0 || k < 1 || stride < 1 || dil < 1 || pad0 < 0 || pad1 < 0 ||
        (int64_t)in + pad0 + pad1 > INT32_MAX)
        return -1;
    const int64_t span = (int64_t)dil * (k - 1) + 1;
    const int64_t room = (int64_t)in + pad0 + pad1 - span;
    if (room < 0)
        return -1;
    int64_t out = room / stride + 1;
    if (ceil_mode && room % stride != 0) {
        out++;
        if ((out - 1) * stride >= (int64_t)in + pad0)
            out--;
    }
    return out > INT32_MAX ? -1 : (int32_t)out;
}

/* Range check of an integer clamp against the output dtype. */
static inline bool ref_act_ok(int32_t act_min, int32_t act_max, int32_t lo, int32_t hi)
{
    return lo <= act_min && act_min <= act_max && act_max <= hi;
}

#endif
