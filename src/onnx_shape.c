/*
 * onnx_shape: static shape and dtype propagation over a finished ONNX graph, for the ops the
 * interpreter supports (ONNX operator specs, opset-dependent inputs vs attributes noted per
 * op). Unknown dims stay -1 (a symbolic name is carried along where the op keeps the dim).
 * Ops not handled here keep what the file's value_info said.
 */
#include "onnx.h"

#include <string.h>

#include "mem.h"
#include "banned.h"

struct shp {
    int rank;                               /* -1 = unknown */
    int64_t d[GRAPH_MAX_RANK];              /* -1 = unknown */
    const char *p[GRAPH_MAX_RANK];          /* symbolic names kept from an input */
};

struct ctx {
    struct graph *g;
    const struct node *n;
    struct errbuf *eb;
};

static const struct tensor *in_t(const struct ctx *c, size_t i)
{
    if (i >= c->n->n_inputs || c->n->inputs[i] < 0)
        return NULL;
    return &c->g->tensors[c->n->inputs[i]];
}

static bool in_shape(const struct ctx *c, size_t i, struct shp *s)
{
    const struct tensor *t = in_t(c, i);
    memset(s, 0, sizeof *s);
    s->rank = -1;
    if (t == NULL || t->rank < 0)
        return false;
    s->rank = t->rank;
    for (int d = 0; d < t->rank; d++) {
        s->d[d] = t->dims[d];
        s->p[d] = t->dim_param[d];
    }
    return true;
}

static enum dtype in_dtype(const struct ctx *c, size_t i)
{
    const struct tensor *t = in_t(c, i);
    return t != NULL ? t->dtype : DTYPE_UNKNOWN;
}

/* Writes output k; rejects an element count that overflows. */
static int set_out(struct ctx *c, size_t k, const struct shp *s, enum dtype dt)
{
    if (k >= c->n->n_outputs || c->n->outputs[k] < 0)
        return 0;
    struct tensor *t = &c->g->tensors[c->n->outputs[k]];
    if (dt != DTYPE_UNKNOWN)
        t->dtype = dt;
    if (s == NULL || s->rank < 0)
        return 0;
    size_t n = 1;
    for (int d = 0; d < s->rank; d++)
        if (s->d[d] >= 0 && !size_mul(n, (size_t)s->d[d], &n))
            return errbuf_set(c->eb, ST_EPARSE, "%s: node %s: output '%s' element count overflows",
                              c->g->path, c->n->name, t->name);
    t->rank = s->rank;
    for (int d = 0; d < s->rank; d++) {
        t->dims[d] = s->d[d];
        t->dim_param[d] = s->d[d] < 0 ? s->p[d] : NULL;
    }
    return 0;
}

static int bad(struct ctx *c, const char *what)
{
    return errbuf_set(c->eb, ST_EPARSE, "%s: node %s (%s): %s", c->g->path, c->n->name,
                      c->n->op, what);
}

/* Integer values of a constant int64/int32 input; false when not constant. */
static bool const_ints(const struct ctx *c, size_t i, int64_t *out, size_t max, size_t *n_out)
{
    const struct tensor *t = in_t(c, i);
    if (t == NULL || t->data == NULL || !(t->flags & TENSOR_CONST))
        return false;
    size_t es = dtype_bytes(t->dtype);
    if ((t->dtype != DTYPE_S64 && t->dtype != DTYPE_S32) || es == 0)
        return false;
    size_t n = t->data_bytes / es;
    if (n > max)
        return false;
    for (size_t k = 0; k < n; k++) {
        if (t->dtype == DTYPE_S64) {
            int64_t v;
            memcpy(&v, (const char *)t->data + k * 8, 8);
            out[k] = v;
        } else {
            int32_t v;
            memcpy(&v, (const char *)t->data + k * 4, 4);
            out[k] = v;
        }
    }
    *n_out = n;
    return true;
}

static bool const_floats(const struct ctx *c, size_t i, float *out, size_t max, size_t *n_out)
{
    const struct tensor *t = in_t(c, i);
    if (t == NULL || t->data == NULL || t->dtype != DTYPE_F32)
        return false;
    size_t n = t->data_bytes / 4;
    if (n > max)
        return false;
    memcpy(out, t->data, n * 4);
    *n_out = n;
    return true;
}

/* Ints from an attribute (when present) or from constant input `idx` (newer opsets). */
static bool ints_attr_or_input(const struct ctx *c, const char *attr, size_t idx, int64_t *out,
                               size_t max, size_t *n)
{
    const struct attr *a = node_attr(c->n, attr);
    if (a != NULL && a->type == ATTR_INTS) {
        if (a->n > max)
            return false;
        memcpy(out, a->ints, a->n * sizeof *out);
        *n = a->n;
        return true;
    }
    return const_ints(c, idx, out, max, n);
}

/* True when optional input i is given (whether or not it is constant). */
static bool has_input(const struct ctx *c, size_t i)
{
    return i < c->n->n_inputs && c->n->inputs[i] >= 0;
}

static bool norm_axis(int64_t axis, int rank, int *out)
{
    if (axis < 0)
        axis += rank;
    if (axis < 0 || axis >= rank)
        return false;
    *out = (int)axis;
    return true;
}

/* Numpy-style broadcast of s into acc. */
static bool broadcast(struct shp *acc, const struct shp *s)
{
    struct shp r;
    if (acc->rank < 0 || s->rank < 0) {
        acc->rank = -1;
        return true;
    }
    memset(&r, 0, sizeof r);
    r.rank = acc->rank > s->rank ? acc->rank : s->rank;
    for (int d = 0; d < r.rank; d++) {
        int ia = d - (r.rank - acc->rank), is = d - (r.rank - s->rank);
        int64_t a = ia >= 0 ? acc->d[ia] : 1, b = is >= 0 ? s->d[is] : 1;
        const char *pa = ia >= 0 ? acc->p[ia] : NULL, *pb = is >= 0 ? s->p[is] : NULL;
        if (a == 1) {
            r.d[d] = b;
            r.p[d] = pb;
        } else if (b == 1 || a == b) {
            r.d[d] = a;
            r.p[d] = pa;
        } else if (a < 0 || b < 0) {
            r.d[d] = a < 0 ? b : a;
            r.p[d] = a < 0 ? pb : pa;
            if (a < 0 && b < 0)
                r.d[d] = -1;
        } else {
            return false;
        }
    }
    *acc = r;
    return true;
}

static int op_broadcast(struct ctx *c, const size_t *idx, size_t n_idx, enum dtype dt)
{
    struct shp acc, s;
    if (!in_shape(c, idx[0], &acc))
        return set_out(c, 0, NULL, dt);
    for (size_t i = 1; i < n_idx; i++) {
        in_shape(c, idx[i], &s);
        if (!broadcast(&acc, &s))
            return bad(c, "input shapes do not broadcast");
    }
    return set_out(c, 0, &acc, dt);
}

static int op_same(struct ctx *c, size_t from, enum dtype dt)
{
    struct shp s;
    bool ok = in_shape(c, from, &s);
    return set_out(c, 0, ok ? &s : NULL, dt != DTYPE_UNKNOWN ? dt : in_dtype(c, from));
}

/* Spatial output dims for Conv/pool-like ops (kernel from attr or weights). */
static int spatial(struct ctx *c, const struct shp *x, const int64_t *kernel, int n_sp,
                   bool pool, struct shp *out)
{
    const struct attr *a_str = node_attr(c->n, "strides");
    const struct attr *a_dil = node_attr(c->n, "dilations");
    const struct attr *a_pad = node_attr(c->n, "pads");
    const char *auto_pad = node_attr_string(c->n, "auto_pad", "NOTSET");
    bool ceil_mode = pool && node_attr_int(c->n, "ceil_mode", 0) != 0;

    if ((a_str && a_str->type == ATTR_INTS && a_str->n != (size_t)n_sp) ||
        (a_dil && a_dil->type == ATTR_INTS && a_dil->n != (size_t)n_sp) ||
        (a_pad && a_pad->type == ATTR_INTS && a_pad->n != (size_t)(2 * n_sp)))
        return bad(c, "strides/dilations/pads do not match the spatial rank");
    for (int i = 0; i < n_sp; i++) {
        int64_t in = x->d[2 + i];
        int64_t s = a_str && a_str->type == ATTR_INTS ? a_str->ints[i] : 1;
        int64_t dl = a_dil && a_dil->type == ATTR_INTS ? a_dil->ints[i] : 1;
        int64_t pb = a_pad && a_pad->type == ATTR_INTS ? a_pad->ints[i] : 0;
        int64_t pe = a_pad && a_pad->type == ATTR_INTS ? a_pad->ints[i + n_sp] : 0;
        int64_t k = kernel[i];
        if (s <= 0 || dl <= 0 || k <= 0 || pb < 0 || pe < 0 || k > (1LL << 32) ||
            dl > (1LL << 32) || pb > (1LL << 40) || pe > (1LL << 40))
            return bad(c, "bad kernel, stride, dilation or pads");
        int64_t ek = (k - 1) * dl + 1;
        int64_t o = -1;
        if (in >= 0) {
            if (strcmp(auto_pad, "SAME_UPPER") == 0 || strcmp(auto_pad, "SAME_LOWER") == 0) {
                o = (in + s - 1) / s;
            } else if (strcmp(auto_pad, "VALID") == 0) {
                o = in < ek ? 0 : (in - ek) / s + 1;
            } else {
                int64_t span = in + pb + pe - ek;
                if (span < 0)
                    return bad(c, "kernel larger than the padded input");
                o = ceil_mode ? (span + s - 1) / s + 1 : span / s + 1;
                /* The last window must start inside the input or its left padding. */
                if (ceil_mode && (o - 1) * s >= in + pb)
                    o--;
            }
        }
        out->d[2 + i] = o;
        out->p[2 + i] = NULL;
    }
    return 0;
}

/* Conv, ConvInteger, QLinearConv: x at xi, weights at wi. */
static int op_conv(struct ctx *c, size_t xi, size_t wi, enum dtype dt)
{
    struct shp x, w, o;
    if (!in_shape(c, xi, &x) || !in_shape(c, wi, &w))
        return set_out(c, 0, NULL, dt);
    if (x.rank < 3 || w.rank != x.rank)
        return bad(c, "input and weights need the same rank (at least 3)");
    int n_sp = x.rank - 2;
    int64_t kernel[GRAPH_MAX_RANK];
    const struct attr *ks = node_attr(c->n, "kernel_shape");
    for (int i = 0; i < n_sp; i++)
        kernel[i] = ks && ks->type == ATTR_INTS && ks->n == (size_t)n_sp ? ks->ints[i]
                                                                         : w.d[2 + i];
    int64_t group = node_attr_int(c->n, "group", 1);
    if (group <= 0)
        return bad(c, "group must be positive");
    if (x.d[1] >= 0 && w.d[1] >= 0 && x.d[1] != w.d[1] * group)
        return bad(c, "input channels do not match weights x group");
    o = x;
    o.d[1] = w.d[0];
    o.p[1] = NULL;
    int rc = spatial(c, &x, kernel, n_sp, false, &o);
    return rc != 0 ? rc : set_out(c, 0, &o, dt);
}

static int op_conv_transpose(struct ctx *c)
{
    struct shp x, w, o;
    if (!in_shape(c, 0, &x) || !in_shape(c, 1, &w))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    if (x.rank < 3 || w.rank != x.rank)
        return bad(c, "input and weights need the same rank (at least 3)");
    int n_sp = x.rank - 2;
    int64_t group = node_attr_int(c->n, "group", 1);
    const struct attr *os = node_attr(c->n, "output_shape");
    const struct attr *op = node_attr(c->n, "output_padding");
    const struct attr *st = node_attr(c->n, "strides");
    const struct attr *dl = node_attr(c->n, "dilations");
    const struct attr *pd = node_attr(c->n, "pads");
    const struct attr *ks = node_attr(c->n, "kernel_shape");
    o = x;
    o.d[1] = w.d[1] >= 0 ? w.d[1] * group : -1;
    o.p[1] = NULL;
    for (int i = 0; i < n_sp; i++) {
        int64_t in = x.d[2 + i];
        int64_t k = ks && ks->type == ATTR_INTS && ks->n == (size_t)n_sp ? ks->ints[i]
                                                                          : w.d[2 + i];
        int64_t s = st && st->n == (size_t)n_sp ? st->ints[i] : 1;
        int64_t d = dl && dl->n == (size_t)n_sp ? dl->ints[i] : 1;
        int64_t p = pd && pd->n == (size_t)(2 * n_sp) ? pd->ints[i] + pd->ints[i + n_sp] : 0;
        int64_t opad = op && op->n == (size_t)n_sp ? op->ints[i] : 0;
        o.p[2 + i] = NULL;
        if (os != NULL && os->type == ATTR_INTS && os->n >= (size_t)n_sp) {
            o.d[2 + i] = os->ints[os->n - (size_t)n_sp + (size_t)i];
            continue;
        }
        if (in < 0 || k < 0 || s <= 0 || d <= 0 || k > (1LL << 32) || s > (1LL << 32) ||
            d > (1LL << 32) || in > (1LL << 40)) {
            o.d[2 + i] = -1;
            continue;
        }
        o.d[2 + i] = s * (in - 1) + opad + (k - 1) * d + 1 - p;
        if (o.d[2 + i] < 0)
            return bad(c, "negative output size");
    }
    return set_out(c, 0, &o, in_dtype(c, 0));
}

static int op_pool(struct ctx *c)
{
    struct shp x, o;
    if (!in_shape(c, 0, &x))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    if (x.rank < 3)
        return bad(c, "input needs rank 3 or more");
    int n_sp = x.rank - 2;
    const struct attr *ks = node_attr(c->n, "kernel_shape");
    if (ks == NULL || ks->type != ATTR_INTS || ks->n != (size_t)n_sp)
        return bad(c, "kernel_shape missing or not matching the spatial rank");
    o = x;
    int rc = spatial(c, &x, ks->ints, n_sp, true, &o);
    if (rc == 0)
        rc = set_out(c, 0, &o, in_dtype(c, 0));
    if (rc == 0 && c->n->n_outputs > 1)
        rc = set_out(c, 1, &o, DTYPE_S64);
    return rc;
}

static int op_global_pool(struct ctx *c, bool channels_last)
{
    struct shp x;
    if (!in_shape(c, 0, &x))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    if (x.rank < 3)
        return bad(c, "input needs rank 3 or more");
    for (int d = channels_last ? 1 : 2; d < (channels_last ? x.rank - 1 : x.rank); d++) {
        x.d[d] = 1;
        x.p[d] = NULL;
    }
    return set_out(c, 0, &x, in_dtype(c, 0));
}

static int op_matmul(struct ctx *c, size_t ai, size_t bi, enum dtype dt)
{
    struct shp a, b, ba, bb, o;
    if (!in_shape(c, ai, &a) || !in_shape(c, bi, &b))
        return set_out(c, 0, NULL, dt);
    if (a.rank < 1 || b.rank < 1)
        return bad(c, "matmul of a scalar");
    bool a1 = a.rank == 1, b1 = b.rank == 1;
    if (a1) {
        a.rank = 2, a.d[1] = a.d[0], a.p[1] = a.p[0], a.d[0] = 1, a.p[0] = NULL;
    }
    if (b1) {
        b.rank = 2, b.d[1] = 1, b.p[1] = NULL;
    }
    int64_t ka = a.d[a.rank - 1], kb = b.d[b.rank - 2];
    if (ka >= 0 && kb >= 0 && ka != kb)
        return bad(c, "inner dimensions differ");
    ba = a, bb = b;
    ba.rank -= 2, bb.rank -= 2;
    if (!broadcast(&ba, &bb))
        return bad(c, "batch dimensions do not broadcast");
    o = ba;
    if (!a1) {
        o.d[o.rank] = a.d[a.rank - 2];
        o.p[o.rank++] = a.p[a.rank - 2];
    }
    if (!b1) {
        o.d[o.rank] = b.d[b.rank - 1];
        o.p[o.rank++] = b.p[b.rank - 1];
    }
    return set_out(c, 0, &o, dt);
}

static int op_gemm(struct ctx *c, size_t ai, size_t bi, enum dtype dt)
{
    struct shp a, b, o;
    if (!in_shape(c, ai, &a) || !in_shape(c, bi, &b))
        return set_out(c, 0, NULL, dt);
    if (a.rank != 2 || b.rank != 2)
        return bad(c, "Gemm needs 2-D inputs");
    bool ta = node_attr_int(c->n, "transA", 0) != 0, tb = node_attr_int(c->n, "transB", 0) != 0;
    memset(&o, 0, sizeof o);
    o.rank = 2;
    o.d[0] = a.d[ta ? 1 : 0], o.p[0] = a.p[ta ? 1 : 0];
    o.d[1] = b.d[tb ? 0 : 1], o.p[1] = b.p[tb ? 0 : 1];
    int64_t ka = a.d[ta ? 0 : 1], kb = b.d[tb ? 1 : 0];
    if (ka >= 0 && kb >= 0 && ka != kb)
        return bad(c, "inner dimensions differ");
    return set_out(c, 0, &o, dt);
}

/* Concat over the tensors at first, first+step, ... */
static int op_concat(struct ctx *c, size_t first, size_t step, enum dtype dt)
{
    struct shp acc, s;
    if (c->n->n_inputs <= first || !in_shape(c, first, &acc))
        return set_out(c, 0, NULL, dt);
    int axis;
    if (!norm_axis(node_attr_int(c->n, "axis", 0), acc.rank, &axis))
        return bad(c, "axis out of range");
    for (size_t i = first + step; i < c->n->n_inputs; i += step) {
        if (!in_shape(c, i, &s))
            return set_out(c, 0, NULL, dt);
        if (s.rank != acc.rank)
            return bad(c, "inputs have different ranks");
        for (int d = 0; d < acc.rank; d++) {
            if (d == axis)
                acc.d[d] = acc.d[d] >= 0 && s.d[d] >= 0 ? acc.d[d] + s.d[d] : -1;
            else if (acc.d[d] >= 0 && s.d[d] >= 0 && acc.d[d] != s.d[d])
                return bad(c, "inputs differ outside the concat axis");
        }
        acc.p[axis] = NULL;
    }
    return set_out(c, 0, &acc, dt);
}

static int op_reshape(struct ctx *c)
{
    struct shp x, o;
    int64_t v[GRAPH_MAX_RANK];
    size_t n;
    bool have_x = in_shape(c, 0, &x);
    if (!const_ints(c, 1, v, GRAPH_MAX_RANK, &n))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    bool allowzero = node_attr_int(c->n, "allowzero", 0) != 0;
    memset(&o, 0, sizeof o);
    o.rank = (int)n;
    int infer = -1;
    size_t known = 1, total = 0;
    bool total_known = false;
    if (have_x) {
        total_known = true;
        total = 1;
        for (int d = 0; d < x.rank; d++)
            if (x.d[d] < 0 || !size_mul(total, (size_t)x.d[d], &total))
                total_known = false;
    }
    for (size_t i = 0; i < n; i++) {
        if (v[i] == -1) {
            if (infer >= 0)
                return bad(c, "more than one -1 in the shape");
            infer = (int)i;
            continue;
        }
        if (v[i] == 0 && !allowzero) {
            if (!have_x || (int)i >= x.rank)
                return set_out(c, 0, NULL, in_dtype(c, 0));
            o.d[i] = x.d[i];
            o.p[i] = x.p[i];
        } else if (v[i] < 0) {
            return bad(c, "negative dimension in the shape");
        } else {
            o.d[i] = v[i];
        }
        if (o.d[i] < 0 || !size_mul(known, (size_t)o.d[i], &known))
            known = 0;
    }
    if (infer >= 0) {
        o.d[infer] = total_known && known > 0 ? (int64_t)(total / known) : -1;
        if (total_known && known > 0 && total % known != 0)
            return bad(c, "shape does not divide the element count");
    } else if (total_known && known != total && known != 0) {
        return bad(c, "shape does not keep the element count");
    }
    return set_out(c, 0, &o, in_dtype(c, 0));
}

static int op_transpose(struct ctx *c)
{
    struct shp x, o;
    if (!in_shape(c, 0, &x))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    const struct attr *perm = node_attr(c->n, "perm");
    o = x;
    bool used[GRAPH_MAX_RANK] = {false};
    for (int d = 0; d < x.rank; d++) {
        int64_t p = x.rank - 1 - d;
        if (perm != NULL && perm->type == ATTR_INTS) {
            if (perm->n != (size_t)x.rank)
                return bad(c, "perm length differs from the input rank");
            p = perm->ints[d];
            if (p < 0)
                p += x.rank;
        }
        if (p < 0 || p >= x.rank || used[p])
            return bad(c, "perm is not a permutation");
        used[p] = true;
        o.d[d] = x.d[p];
        o.p[d] = x.p[p];
    }
    return set_out(c, 0, &o, in_dtype(c, 0));
}

static int op_flatten(struct ctx *c)
{
    struct shp x, o;
    if (!in_shape(c, 0, &x))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    int64_t axis = node_attr_int(c->n, "axis", 1);
    if (axis < 0)
        axis += x.rank;
    if (axis < 0 || axis > x.rank)
        return bad(c, "axis out of range");
    memset(&o, 0, sizeof o);
    o.rank = 2;
    o.d[0] = o.d[1] = 1;
    for (int d = 0; d < x.rank; d++) {
        int k = d < axis ? 0 : 1;
        if (x.d[d] < 0 || o.d[k] < 0)
            o.d[k] = -1;
        else if (x.d[d] != 0 && o.d[k] > INT64_MAX / x.d[d])
            return bad(c, "element count overflows");
        else
            o.d[k] *= x.d[d];
    }
    return set_out(c, 0, &o, in_dtype(c, 0));
}

static int op_squeeze(struct ctx *c, bool unsqueeze)
{
    struct shp x, o;
    int64_t axes[GRAPH_MAX_RANK];
    size_t n_axes = 0;
    bool have_axes = ints_attr_or_input(c, "axes", 1, axes, GRAPH_MAX_RANK, &n_axes);
    if (!in_shape(c, 0, &x) || (!have_axes && has_input(c, 1)))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    memset(&o, 0, sizeof o);
    if (unsqueeze) {
        if (!have_axes)
            return set_out(c, 0, NULL, in_dtype(c, 0));
        int out_rank = x.rank + (int)n_axes;
        bool ins[GRAPH_MAX_RANK] = {false};
        if (out_rank > GRAPH_MAX_RANK)
            return bad(c, "output rank too large");
        for (size_t i = 0; i < n_axes; i++) {
            int a;
            if (!norm_axis(axes[i], out_rank, &a) || ins[a])
                return bad(c, "bad axes");
            ins[a] = true;
        }
        o.rank = out_rank;
        for (int d = 0, k = 0; d < out_rank; d++) {
            if (ins[d]) {
                o.d[d] = 1;
            } else {
                o.d[d] = x.d[k];
                o.p[d] = x.p[k++];
            }
        }
        return set_out(c, 0, &o, in_dtype(c, 0));
    }
    bool drop[GRAPH_MAX_RANK] = {false};
    if (have_axes && n_axes > 0) {
        for (size_t i = 0; i < n_axes; i++) {
            int a;
            if (!norm_axis(axes[i], x.rank, &a))
                return bad(c, "bad axes");
            if (x.d[a] >= 0 && x.d[a] != 1)
                return bad(c, "squeezed dimension is not 1");
            drop[a] = true;
        }
    } else {
        for (int d = 0; d < x.rank; d++) {
            if (x.d[d] < 0)
                return set_out(c, 0, NULL, in_dtype(c, 0));
            drop[d] = x.d[d] == 1;
        }
    }
    for (int d = 0; d < x.rank; d++) {
        if (!drop[d]) {
            o.d[o.rank] = x.d[d];
            o.p[o.rank++] = x.p[d];
        }
    }
    return set_out(c, 0, &o, in_dtype(c, 0));
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int op_slice(struct ctx *c, int64_t opset)
{
    struct shp x, o;
    int64_t starts[GRAPH_MAX_RANK], ends[GRAPH_MAX_RANK], axes[GRAPH_MAX_RANK],
        steps[GRAPH_MAX_RANK];
    size_t ns, ne, na, nst;
    if (!in_shape(c, 0, &x))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    bool ok;
    if (opset < 10)
        ok = ints_attr_or_input(c, "starts", 99, starts, GRAPH_MAX_RANK, &ns) &&
             ints_attr_or_input(c, "ends", 99, ends, GRAPH_MAX_RANK, &ne);
    else
        ok = const_ints(c, 1, starts, GRAPH_MAX_RANK, &ns) &&
             const_ints(c, 2, ends, GRAPH_MAX_RANK, &ne);
    if (!ok)
        return set_out(c, 0, NULL, in_dtype(c, 0));
    if (ns != ne)
        return bad(c, "starts and ends differ in length");
    if (!(opset < 10 ? ints_attr_or_input(c, "axes", 99, axes, GRAPH_MAX_RANK, &na)
                     : const_ints(c, 3, axes, GRAPH_MAX_RANK, &na))) {
        na = ns;
        for (size_t i = 0; i < ns; i++)
            axes[i] = (int64_t)i;
    }
    if (opset < 10 || !const_ints(c, 4, steps, GRAPH_MAX_RANK, &nst)) {
        nst = ns;
        for (size_t i = 0; i < ns; i++)
            steps[i] = 1;
    }
    if (na != ns || nst != ns)
        return bad(c, "starts, ends, axes and steps differ in length");
    o = x;
    for (size_t i = 0; i < ns; i++) {
        int a;
        if (!norm_axis(axes[i], x.rank, &a))
            return bad(c, "axis out of range");
        int64_t dim = x.d[a], st = steps[i];
        o.p[a] = NULL;
        if (st == 0)
            return bad(c, "step is 0");
        if (dim < 0) {
            o.d[a] = -1;
            continue;
        }
        int64_t b = starts[i], e = ends[i];
        if (b < 0)
            b += dim;
        if (e < 0 && e > INT64_MIN / 2)
            e += dim;
        if (st > 0) {
            b = clamp64(b, 0, dim);
            e = clamp64(e, 0, dim);
            o.d[a] = e > b ? (e - b + st - 1) / st : 0;
        } else {
            b = clamp64(b, 0, dim - 1);
            e = clamp64(e, -1, dim - 1);
            o.d[a] = b > e ? (b - e + (-st) - 1) / (-st) : 0;
        }
    }
    return set_out(c, 0, &o, in_dtype(c, 0));
}

static int op_split(struct ctx *c, int64_t opset)
{
    struct shp x;
    int64_t split[64];
    size_t n_split = 0;
    size_t n_out = c->n->n_outputs;
    if (!in_shape(c, 0, &x) || n_out == 0)
        return 0;
    int axis;
    if (!norm_axis(node_attr_int(c->n, "axis", 0), x.rank, &axis))
        return bad(c, "axis out of range");
    bool have = opset < 13 ? ints_attr_or_input(c, "split", 99, split, 64, &n_split)
                           : const_ints(c, 1, split, 64, &n_split);
    if (!have && opset >= 13 && has_input(c, 1))
        return 0;
    if (have && n_split != n_out)
        return bad(c, "split sizes do not match the number of outputs");
    int64_t dim = x.d[axis];
    for (size_t k = 0; k < n_out; k++) {
        struct shp o = x;
        o.p[axis] = NULL;
        if (have) {
            o.d[axis] = split[k];
        } else if (dim < 0) {
            o.d[axis] = -1;
        } else {
            /* Equal parts; opset 18 lets the last one be smaller (ceil division). */
            int64_t part = (dim + (int64_t)n_out - 1) / (int64_t)n_out;
            int64_t start = part * (int64_t)k;
            o.d[axis] = start >= dim ? 0 : (dim - start < part ? dim - start : part);
        }
        int rc = set_out(c, k, &o, in_dtype(c, 0));
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int op_gather(struct ctx *c)
{
    struct shp x, ix, o;
    if (!in_shape(c, 0, &x) || !in_shape(c, 1, &ix))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    int axis;
    if (!norm_axis(node_attr_int(c->n, "axis", 0), x.rank, &axis))
        return bad(c, "axis out of range");
    if (x.rank + ix.rank - 1 > GRAPH_MAX_RANK)
        return bad(c, "output rank too large");
    memset(&o, 0, sizeof o);
    for (int d = 0; d < axis; d++)
        o.d[o.rank] = x.d[d], o.p[o.rank++] = x.p[d];
    for (int d = 0; d < ix.rank; d++)
        o.d[o.rank] = ix.d[d], o.p[o.rank++] = ix.p[d];
    for (int d = axis + 1; d < x.rank; d++)
        o.d[o.rank] = x.d[d], o.p[o.rank++] = x.p[d];
    return set_out(c, 0, &o, in_dtype(c, 0));
}

static int op_pad(struct ctx *c, int64_t opset)
{
    struct shp x, o;
    int64_t pads[2 * GRAPH_MAX_RANK], axes[GRAPH_MAX_RANK];
    size_t np, na;
    if (!in_shape(c, 0, &x))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    bool have = opset < 11 ? ints_attr_or_input(c, "pads", 99, pads, 2 * GRAPH_MAX_RANK, &np)
                           : const_ints(c, 1, pads, 2 * GRAPH_MAX_RANK, &np);
    if (!have)
        return set_out(c, 0, NULL, in_dtype(c, 0));
    if (!const_ints(c, 3, axes, GRAPH_MAX_RANK, &na)) {
        na = (size_t)x.rank;
        for (size_t i = 0; i < na; i++)
            axes[i] = (int64_t)i;
    }
    if (np != 2 * na)
        return bad(c, "pads length does not match the axes");
    o = x;
    for (size_t i = 0; i < na; i++) {
        int a;
        if (!norm_axis(axes[i], x.rank, &a))
            return bad(c, "axis out of range");
        o.p[a] = NULL;
        if (x.d[a] < 0)
            continue;
        if (pads[i] < -(1LL << 40) || pads[i] > (1LL << 40) || pads[i + na] < -(1LL << 40) ||
            pads[i + na] > (1LL << 40))
            return bad(c, "pads out of range");
        o.d[a] = x.d[a] + pads[i] + pads[i + na];
        if (o.d[a] < 0)
            return bad(c, "pads make a negative dimension");
    }
    return set_out(c, 0, &o, in_dtype(c, 0));
}

static int op_resize(struct ctx *c, int64_t opset)
{
    struct shp x, o;
    float scales[GRAPH_MAX_RANK];
    int64_t sizes[GRAPH_MAX_RANK], axes[GRAPH_MAX_RANK];
    size_t n = 0, na = 0;
    if (!in_shape(c, 0, &x))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    o = x;
    const struct attr *aa = node_attr(c->n, "axes");
    if (aa != NULL && aa->type == ATTR_INTS && aa->n <= GRAPH_MAX_RANK) {
        na = aa->n;
        memcpy(axes, aa->ints, na * sizeof *axes);
    } else {
        na = (size_t)x.rank;
        for (size_t i = 0; i < na; i++)
            axes[i] = (int64_t)i;
    }
    size_t si = opset < 11 ? 1 : 2;
    if (opset >= 11 && const_ints(c, 3, sizes, GRAPH_MAX_RANK, &n) && n > 0) {
        if (n != na)
            return bad(c, "sizes length does not match the axes");
        for (size_t i = 0; i < n; i++) {
            int a;
            if (!norm_axis(axes[i], x.rank, &a))
                return bad(c, "axis out of range");
            o.d[a] = sizes[i], o.p[a] = NULL;
        }
    } else if (const_floats(c, si, scales, GRAPH_MAX_RANK, &n) && n > 0) {
        if (n != na)
            return bad(c, "scales length does not match the axes");
        for (size_t i = 0; i < n; i++) {
            int a;
            if (!norm_axis(axes[i], x.rank, &a))
                return bad(c, "axis out of range");
            if (!(scales[i] > 0.0f) || scales[i] > 1e6f)
                return bad(c, "scale out of range");
            if (x.d[a] >= 0 && x.d[a] < (1LL << 40))
                o.d[a] = (int64_t)((double)x.d[a] * (double)scales[i]);
            else
                o.d[a] = -1;
            o.p[a] = NULL;
        }
    } else {
        return set_out(c, 0, NULL, in_dtype(c, 0));
    }
    return set_out(c, 0, &o, in_dtype(c, 0));
}

static int op_expand(struct ctx *c)
{
    struct shp x, s;
    int64_t v[GRAPH_MAX_RANK];
    size_t n;
    if (!in_shape(c, 0, &x) || !const_ints(c, 1, v, GRAPH_MAX_RANK, &n))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    memset(&s, 0, sizeof s);
    s.rank = (int)n;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < 0)
            return bad(c, "negative dimension in the shape");
        s.d[i] = v[i];
    }
    if (!broadcast(&x, &s))
        return bad(c, "shape does not broadcast with the input");
    return set_out(c, 0, &x, in_dtype(c, 0));
}

static int op_reduce(struct ctx *c, int64_t opset)
{
    struct shp x, o;
    int64_t axes[GRAPH_MAX_RANK];
    size_t na = 0;
    if (!in_shape(c, 0, &x))
        return set_out(c, 0, NULL, in_dtype(c, 0));
    bool keep = node_attr_int(c->n, "keepdims", 1) != 0;
    /* axes: an attribute before opset 18 (13 for ReduceSum), then an optional input. */
    bool have = true;
    if (opset < 18 || !has_input(c, 1))
        have = ints_attr_or_input(c, "axes", 99, axes, GRAPH_MAX_RANK, &na) ||
               node_attr(c->n, "axes") == NULL;
    else
        have = const_ints(c, 1, axes, GRAPH_MAX_RANK, &na);
    if (!have)
        return set_out(c, 0, NULL, in_dtype(c, 0));
    bool red[GRAPH_MAX_RANK] = {false};
    if (na == 0) {
        if (node_attr_int(c->n, "noop_with_empty_axes", 0) != 0)
            return op_same(c, 0, DTYPE_UNKNOWN);
        for (int d = 0; d < x.rank; d++)
            red[d] = true;
    }
    for (size_t i = 0; i < na; i++) {
        int a;
        if (!norm_axis(axes[i], x.rank, &a))
            return bad(c, "axis out of range");
        red[a] = true;
    }
    memset(&o, 0, sizeof o);
    for (int d = 0; d < x.rank; d++) {
        if (!red[d]) {
            o.d[o.rank] = x.d[d];
            o.p[o.rank++] = x.p[d];
        } else if (keep) {
            o.d[o.rank++] = 1;
        }
    }
    return set_out(c, 0, &o, in_dtype(c, 0));
}

static enum dtype dtype_from_onnx_code(int64_t code)
{
    static const enum dtype map[] = {
        DTYPE_UNKNOWN, DTYPE_F32, DTYPE_U8, DTYPE_S8, DTYPE_U16, DTYPE_S16, DTYPE_S32,
        DTYPE_S64, DTYPE_STRING, DTYPE_BOOL, DTYPE_F16, DTYPE_F64, DTYPE_U32, DTYPE_U64,
    };
    return code >= 0 && code < (int64_t)(sizeof map / sizeof map[0]) ? map[code]
                                                                      : DTYPE_UNKNOWN;
}

/* The quantized dtype of an op's output zero point input, or `dflt`. */
static enum dtype zp_dtype(const struct ctx *c, size_t i, enum dtype dflt)
{
    enum dtype dt = in_dtype(c, i);
    return dt != DTYPE_UNKNOWN ? dt : dflt;
}

static bool is(const struct node *n, const char *op)
{
    return strcmp(n->op, op) == 0;
}

static bool is_any(const struct node *n, const char *const *ops)
{
    for (; *ops != NULL; ops++)
        if (strcmp(n->op, *ops) == 0)
            return true;
    return false;
}

static int infer_node(struct ctx *c)
{
    const struct node *n = c->n;
    int64_t opset = graph_opset(c->g, "");
    static const char *const unary[] = {
        "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Softmax",
        "LogSoftmax", "Identity", "Elu", "Selu", "Abs", "Neg", "Exp", "Log", "Sqrt", "Erf",
        "Floor", "Ceil", "Round", "Reciprocal", "Dropout", "Softplus", "Softsign", "Gelu",
        "LRN", "InstanceNormalization", "LayerNormalization", "BatchNormalization",
        "QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax", "Not", "Sign", NULL,
    };
    static const char *const binary[] = {
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu", "Mod",
        "And", "Or", "Xor", NULL,
    };
    static const char *const compare[] = {
        "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", NULL,
    };
    size_t idx[64];
    size_t n_idx = n->n_inputs < 64 ? n->n_inputs : 64;
    for (size_t i = 0; i < n_idx; i++)
        idx[i] = i;

    if (is_any(n, unary))
        return op_same(c, 0, DTYPE_UNKNOWN);
    if (is_any(n, binary) && n->n_inputs > 0)
        return op_broadcast(c, idx, n_idx, in_dtype(c, 0));
    if (is_any(n, compare) && n->n_inputs > 0)
        return op_broadcast(c, idx, n_idx, DTYPE_BOOL);
    if (is(n, "Where") && n->n_inputs == 3)
        return op_broadcast(c, idx, 3, in_dtype(c, 1));
    if (is(n, "QLinearAdd") || is(n, "QLinearMul")) {
        static const size_t q[] = {0, 3};
        return op_broadcast(c, q, 2, zp_dtype(c, 7, in_dtype(c, 0)));
    }
    if (is(n, "Cast"))
        return op_same(c, 0, dtype_from_onnx_code(node_attr_int(n, "to", 0)));
    if (is(n, "QuantizeLinear")) {
        int64_t od = node_attr_int(n, "output_dtype", 0);
        enum dtype dt = od != 0 ? dtype_from_onnx_code(od) : zp_dtype(c, 2, DTYPE_U8);
        return op_same(c, 0, dt);
    }
    if (is(n, "DequantizeLinear"))
        return op_same(c, 0, zp_dtype(c, 1, DTYPE_F32) == DTYPE_F16 ? DTYPE_F16 : DTYPE_F32);
    if (is(n, "DynamicQuantizeLinear")) {
        struct shp scalar = {.rank = 0};
        int rc = op_same(c, 0, DTYPE_U8);
        if (rc == 0)
            rc = set_out(c, 1, &scalar, DTYPE_F32);
        if (rc == 0)
            rc = set_out(c, 2, &scalar, DTYPE_U8);
        return rc;
    }
    if (is(n, "Conv"))
        return op_conv(c, 0, 1, in_dtype(c, 0));
    if (is(n, "ConvInteger"))
        return op_conv(c, 0, 1, DTYPE_S32);
    if (is(n, "QLinearConv"))
        return op_conv(c, 0, 3, zp_dtype(c, 7, in_dtype(c, 0)));
    if (is(n, "ConvTranspose"))
        return op_conv_transpose(c);
    if (is(n, "MaxPool") || is(n, "AveragePool") || is(n, "LpPool") ||
        is(n, "QLinearAveragePool"))
        return op_pool(c);
    if (is(n, "GlobalAveragePool") || is(n, "GlobalMaxPool") || is(n, "GlobalLpPool"))
        return op_global_pool(c, false);
    if (is(n, "QLinearGlobalAveragePool"))
        return op_global_pool(c, node_attr_int(n, "channels_last", 0) != 0);
    if (is(n, "MatMul"))
        return op_matmul(c, 0, 1, in_dtype(c, 0));
    if (is(n, "MatMulInteger"))
        return op_matmul(c, 0, 1, DTYPE_S32);
    if (is(n, "QLinearMatMul"))
        return op_matmul(c, 0, 3, zp_dtype(c, 7, in_dtype(c, 0)));
    if (is(n, "Gemm"))
        return op_gemm(c, 0, 1, in_dtype(c, 0));
    if (is(n, "QGemm"))
        return op_gemm(c, 0, 3, n->n_inputs > 8 ? zp_dtype(c, 8, DTYPE_F32) : DTYPE_F32);
    if (is(n, "Concat"))
        return op_concat(c, 0, 1, in_dtype(c, 0));
    if (is(n, "QLinearConcat"))
        return op_concat(c, 2, 3, zp_dtype(c, 1, in_dtype(c, 2)));
    if (is(n, "Reshape"))
        return op_reshape(c);
    if (is(n, "Transpose"))
        return op_transpose(c);
    if (is(n, "Flatten"))
        return op_flatten(c);
    if (is(n, "Squeeze"))
        return op_squeeze(c, false);
    if (is(n, "Unsqueeze"))
        return op_squeeze(c, true);
    if (is(n, "Slice"))
        return op_slice(c, opset);
    if (is(n, "Split"))
        return op_split(c, opset);
    if (is(n, "Gather"))
        return op_gather(c);
    if (is(n, "Pad"))
        return op_pad(c, opset);
    if (is(n, "Resize") || is(n, "Upsample"))
        return op_resize(c, is(n, "Upsample") ? 9 : opset);
    if (is(n, "Expand"))
        return op_expand(c);
    if (strncmp(n->op, "Reduce", 6) == 0)
        return op_reduce(c, is(n, "ReduceSum") ? (opset >= 13 ? 18 : opset) : opset);
    if (is(n, "Shape")) {
        struct shp s = {.rank = 1};
        const struct tensor *x = in_t(c, 0);
        s.d[0] = x != NULL ? x->rank : -1;
        return set_out(c, 0, &s, DTYPE_S64);
    }
    return 0;
}

int onnx_shape_infer(struct graph *g, struct errbuf *eb)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        struct ctx c = {.g = g, .n = &g->nodes[i], .eb = eb};
        int rc = infer_node(&c);
        if (rc != 0)
            return rc;
    }
    return 0;
}
