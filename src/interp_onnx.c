/*
 * ONNX ops for the interpreter, in ONNX semantics as ONNX Runtime (CPU, optimizations off)
 * computes them: float ops in float32, quantized ops with integer accumulation and ORT's
 * float requantization (MLAS: float32 scale product, round half to even). Shapes are taken
 * from the runtime values, so they need no static shape inference. Convolutions and pools
 * are written once for 1-, 2- and 3-D by padding the spatial dimensions to three.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp_int.h"
#include "interp_kernels.h"
#include "mem.h"
#include "ref/ref.h"

#include "banned.h"

#define MAXR GRAPH_MAX_RANK

/* ---- small helpers ---- */

static long attr_ints(const struct node *n, const char *name, int64_t *out, size_t max)
{
    const struct attr *a = node_attr(n, name);
    if (!a || a->type != ATTR_INTS)
        return -1;
    if (a->n > max)
        return -2;
    memcpy(out, a->ints, a->n * sizeof(int64_t));
    return (long)a->n;
}

static int64_t opset(const struct interp_ctx *c)
{
    return graph_opset(c->g, c->node->domain[0] ? c->node->domain : "");
}

static int err(struct interp_ctx *c, struct errbuf *eb, const char *what)
{
    return interp_node_error(c->g, c->node, ST_EINVAL, eb, "%s", what);
}

static bool is_int_type(enum dtype t)
{
    return t == DTYPE_S8 || t == DTYPE_U8 || t == DTYPE_S32 || t == DTYPE_S64 ||
           t == DTYPE_S16 || t == DTYPE_U16 || t == DTYPE_BOOL || t == DTYPE_U32;
}

/* Stores x into element i, wrapping to the type (as numpy casts do). */
static void set_i(void *data, enum dtype t, size_t i, int64_t x)
{
    char *d = data;
    switch (t) {
    case DTYPE_U8:
    case DTYPE_BOOL:
        ((uint8_t *)d)[i] = (uint8_t)((uint64_t)x & 0xff);
        break;
    case DTYPE_S8:
        ((int8_t *)d)[i] = (int8_t)(int64_t)(int8_t)(uint8_t)((uint64_t)x & 0xff);
        break;
    case DTYPE_S16: {
        int16_t v = (int16_t)(uint16_t)((uint64_t)x & 0xffff);
        memcpy(d + i * 2, &v, 2);
        break;
    }
    case DTYPE_U16: {
        uint16_t v = (uint16_t)((uint64_t)x & 0xffff);
        memcpy(d + i * 2, &v, 2);
        break;
    }
    case DTYPE_S32: {
        int32_t v = (int32_t)(uint32_t)((uint64_t)x & 0xffffffffu);
        memcpy(d + i * 4, &v, 4);
        break;
    }
    case DTYPE_U32: {
        uint32_t v = (uint32_t)((uint64_t)x & 0xffffffffu);
        memcpy(d + i * 4, &v, 4);
        break;
    }
    case DTYPE_S64:
        memcpy(d + i * 8, &x, 8);
        break;
    case DTYPE_F32: {
        float f = (float)x;
        memcpy(d + i * 4, &f, 4);
        break;
    }
    default:
        break;
    }
}

static int32_t qmin_of(enum dtype t)
{
    return t == DTYPE_U8 ? 0 : t == DTYPE_S8 ? -128 : t == DTYPE_U16 ? 0 : t == DTYPE_S16
        ? -32768 : INT32_MIN;
}

static int32_t qmax_of(enum dtype t)
{
    return t == DTYPE_U8 ? 255 : t == DTYPE_S8 ? 127 : t == DTYPE_U16 ? 65535 : t == DTYPE_S16
        ? 32767 : INT32_MAX;
}

static bool need(struct interp_ctx *c, size_t k, struct errbuf *eb, int *rc)
{
    if (k >= c->node->n_inputs || !c->in[k]) {
        *rc = interp_node_error(c->g, c->node, ST_EINVAL, eb, "input %zu is missing", k);
        return false;
    }
    return true;
}

#define NEED(k)                        \
    do {                               \
        int rc_ = 0;                   \
        if (!need(c, (k), eb, &rc_))   \
            return rc_;                \
    } while (0)

#define TRY(expr)                      \
    do {                               \
        int rc_ = (expr);              \
        if (rc_)                       \
            return rc_;                \
    } while (0)

/* ---- elementwise ---- */

enum binop { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN };

static float fbin(enum binop op, float a, float b)
{
    switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_POW: return powf(a, b);
    case B_MAX: return a > b ? a : b;
    case B_MIN: return a < b ? a : b;
    }
    return 0.0f;
}

static int64_t ibin(enum binop op, int64_t a, int64_t b)
{
    switch (op) {
    case B_ADD: return (int64_t)((uint64_t)a + (uint64_t)b);
    case B_SUB: return (int64_t)((uint64_t)a - (uint64_t)b);
    case B_MUL: return (int64_t)((uint64_t)a * (uint64_t)b);
    case B_DIV: return b == 0 ? 0 : (a == INT64_MIN && b == -1) ? a : a / b;
    case B_POW: {
        int64_t r = 1;
        for (int64_t i = 0; i < b && i < 64; i++)
            r = (int64_t)((uint64_t)r * (uint64_t)a);
        return r;
    }
    case B_MAX: return a > b ? a : b;
    case B_MIN: return a < b ? a : b;
    }
    return 0;
}

static int binary(struct interp_ctx *c, enum binop op, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    const struct tensor_value *a = c->in[0], *b = c->in[1];
    int rank;
    int64_t dims[MAXR];
    if (a->dtype != b->dtype)
        return err(c, eb, "inputs have different types");
    if (!interp_broadcast(a->rank, a->dims, b->rank, b->dims, &rank, dims))
        return err(c, eb, "input shapes do not broadcast");
    void *o;
    TRY(interp_out(c, 0, a->dtype, rank, dims, &o, eb));
    size_t n = interp_elems(&c->out[0]);
    struct interp_bcast it;
    interp_bcast_init(&it, rank, dims, a, b);
    if (a->dtype == DTYPE_F32) {
        const float *pa = a->data, *pb = b->data;
        float *po = o;
        /* the common cases without index bookkeeping */
        if (interp_elems(a) == n && interp_elems(b) == n) {
            for (size_t i = 0; i < n; i++)
                po[i] = fbin(op, pa[i], pb[i]);
        } else if (interp_elems(a) == n && interp_elems(b) == 1) {
            for (size_t i = 0; i < n; i++)
                po[i] = fbin(op, pa[i], pb[0]);
        } else {
            for (size_t i = 0; i < n; i++, interp_bcast_next(&it))
                po[i] = fbin(op, pa[it.oa], pb[it.ob]);
        }
    } else if (is_int_type(a->dtype)) {
        for (size_t i = 0; i < n; i++, interp_bcast_next(&it))
            set_i(o, a->dtype, i,
                  ibin(op, interp_get_i(a, (size_t)it.oa), interp_get_i(b, (size_t)it.ob)));
    } else {
        return interp_node_error(c->g, c->node, ST_EUNSUPPORTED, eb, "unsupported type %s",
                                 dtype_name(a->dtype));
    }
    return 0;
}

static int op_add(struct interp_ctx *c, struct errbuf *eb) { return binary(c, B_ADD, eb); }
static int op_sub(struct interp_ctx *c, struct errbuf *eb) { return binary(c, B_SUB, eb); }
static int op_mul(struct interp_ctx *c, struct errbuf *eb) { return binary(c, B_MUL, eb); }
static int op_div(struct interp_ctx *c, struct errbuf *eb) { return binary(c, B_DIV, eb); }
static int op_pow(struct interp_ctx *c, struct errbuf *eb) { return binary(c, B_POW, eb); }

/* Max/Min/Mean/Sum: variadic with broadcasting, folded pairwise in float32. */
static int variadic(struct interp_ctx *c, enum binop op, bool mean, struct errbuf *eb)
{
    NEED(0);
    int rank = c->in[0]->rank;
    int64_t dims[MAXR];
    memcpy(dims, c->in[0]->dims, sizeof dims);
    for (size_t k = 1; k < c->node->n_inputs; k++) {
        NEED(k);
        if (!interp_broadcast(rank, dims, c->in[k]->rank, c->in[k]->dims, &rank, dims))
            return err(c, eb, "input shapes do not broadcast");
    }
    if (c->in[0]->dtype != DTYPE_F32)
        return interp_node_error(c->g, c->node, ST_EUNSUPPORTED, eb, "only float32 supported");
    float *o;
    TRY(interp_out(c, 0, DTYPE_F32, rank, dims, (void **)&o, eb));
    size_t n = interp_elems(&c->out[0]);
    for (size_t k = 0; k < c->node->n_inputs; k++) {
        struct interp_bcast it;
        interp_bcast_init(&it, rank, dims, c->in[k], NULL);
        const float *p = c->in[k]->data;
        for (size_t i = 0; i < n; i++, interp_bcast_next(&it))
            o[i] = k == 0 ? p[it.oa] : fbin(op, o[i], p[it.oa]);
    }
    if (mean) {
        for (size_t i = 0; i < n; i++)
            o[i] /= (float)c->node->n_inputs;
    }
    return 0;
}

static int op_mean(struct interp_ctx *c, struct errbuf *eb) { return variadic(c, B_ADD, true, eb); }
static int op_sum(struct interp_ctx *c, struct errbuf *eb) { return variadic(c, B_ADD, false, eb); }
static int op_max(struct interp_ctx *c, struct errbuf *eb) { return variadic(c, B_MAX, false, eb); }
static int op_min(struct interp_ctx *c, struct errbuf *eb) { return variadic(c, B_MIN, false, eb); }

enum unop { U_RELU, U_SIGMOID, U_TANH, U_LEAKY, U_HSIG, U_HSWISH, U_EXP, U_NEG, U_ABS, U_SQRT,
            U_ROUND, U_FLOOR, U_CEIL, U_RECIP, U_LOG, U_ERF };

static int unary(struct interp_ctx *c, enum unop op, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    void *o;
    TRY(interp_out(c, 0, x->dtype, x->rank, x->dims, &o, eb));
    size_t n = interp_elems(x);
    if (x->dtype != DTYPE_F32) {
        if (op == U_RELU || op == U_NEG || op == U_ABS) {
            for (size_t i = 0; i < n; i++) {
                int64_t v = interp_get_i(x, i);
                set_i(o, x->dtype, i, op == U_RELU ? (v > 0 ? v : 0) : op == U_NEG ? -v
                                      : (v < 0 ? -v : v));
            }
            return 0;
        }
        return interp_node_error(c->g, c->node, ST_EUNSUPPORTED, eb, "unsupported type %s",
                                 dtype_name(x->dtype));
    }
    const float *p = x->data;
    float *q = o;
    float alpha = node_attr_float(c->node, "alpha", op == U_LEAKY ? 0.01f : 0.2f);
    float beta = node_attr_float(c->node, "beta", 0.5f);
    for (size_t i = 0; i < n; i++) {
        float v = p[i], r = 0.0f;
        switch (op) {
        case U_RELU: r = v > 0.0f ? v : 0.0f; break;
        case U_SIGMOID: r = v >= 0.0f ? 1.0f / (1.0f + expf(-v)) : expf(v) / (1.0f + expf(v));
            break;
        case U_TANH: r = tanhf(v); break;
        case U_LEAKY: r = v >= 0.0f ? v : v * alpha; break;
        case U_HSIG: r = fmaxf(0.0f, fminf(1.0f, alpha * v + beta)); break;
        case U_HSWISH: r = v * fmaxf(0.0f, fminf(1.0f, v / 6.0f + 0.5f)); break;
        case U_EXP: r = expf(v); break;
        case U_NEG: r = -v; break;
        case U_ABS: r = fabsf(v); break;
        case U_SQRT: r = sqrtf(v); break;
        case U_ROUND: r = nearbyintf(v); break;
        case U_FLOOR: r = floorf(v); break;
        case U_CEIL: r = ceilf(v); break;
        case U_RECIP: r = 1.0f / v; break;
        case U_LOG: r = logf(v); break;
        case U_ERF: r = erff(v); break;
        }
        q[i] = r;
    }
    return 0;
}

static int op_relu(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_RELU, eb); }
static int op_sigmoid(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_SIGMOID, eb); }
static int op_tanh(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_TANH, eb); }
static int op_leaky(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_LEAKY, eb); }
static int op_hsig(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_HSIG, eb); }
static int op_hswish(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_HSWISH, eb); }
static int op_exp(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_EXP, eb); }
static int op_neg(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_NEG, eb); }
static int op_abs(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_ABS, eb); }
static int op_sqrt(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_SQRT, eb); }
static int op_round(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_ROUND, eb); }
static int op_floor(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_FLOOR, eb); }
static int op_ceil(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_CEIL, eb); }
static int op_recip(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_RECIP, eb); }
static int op_log(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_LOG, eb); }
static int op_erf(struct interp_ctx *c, struct errbuf *eb) { return unary(c, U_ERF, eb); }

/* Clip: bounds from attributes (opset < 11) or optional inputs 1 and 2. */
static int op_clip(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    void *o;
    TRY(interp_out(c, 0, x->dtype, x->rank, x->dims, &o, eb));
    size_t n = interp_elems(x);
    bool has_lo = false, has_hi = false;
    double lo = 0, hi = 0;
    if (opset(c) < 11) {
        const struct attr *a = node_attr(c->node, "min"), *b = node_attr(c->node, "max");
        if (a) { has_lo = true; lo = a->f; }
        if (b) { has_hi = true; hi = b->f; }
    } else {
        if (c->node->n_inputs > 1 && c->in[1]) { has_lo = true; lo = interp_scalar(c->in[1], 0); }
        if (c->node->n_inputs > 2 && c->in[2]) { has_hi = true; hi = interp_scalar(c->in[2], 0); }
    }
    if (x->dtype == DTYPE_F32) {
        const float *p = x->data;
        float *q = o;
        for (size_t i = 0; i < n; i++) {
            float v = p[i];
            if (has_lo && v < (float)lo)
                v = (float)lo;
            if (has_hi && v > (float)hi)
                v = (float)hi;
            q[i] = v;
        }
    } else if (is_int_type(x->dtype)) {
        for (size_t i = 0; i < n; i++) {
            int64_t v = interp_get_i(x, i);
            if (has_lo && v < (int64_t)lo)
                v = (int64_t)lo;
            if (has_hi && v > (int64_t)hi)
                v = (int64_t)hi;
            set_i(o, x->dtype, i, v);
        }
    } else {
        return err(c, eb, "unsupported type");
    }
    return 0;
}

static int op_identity(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    return interp_out_alias(c, 0, 0, c->in[0]->rank, c->in[0]->dims, eb);
}

static int op_where(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    NEED(2);
    const struct tensor_value *cond = c->in[0], *x = c->in[1], *y = c->in[2];
    int rank;
    int64_t dims[MAXR];
    if (!interp_broadcast(cond->rank, cond->dims, x->rank, x->dims, &rank, dims) ||
        !interp_broadcast(rank, dims, y->rank, y->dims, &rank, dims))
        return err(c, eb, "input shapes do not broadcast");
    void *o;
    TRY(interp_out(c, 0, x->dtype, rank, dims, &o, eb));
    size_t n = interp_elems(&c->out[0]), es = dtype_bytes(x->dtype);
    struct interp_bcast it1, it2;
    interp_bcast_init(&it1, rank, dims, cond, x);
    interp_bcast_init(&it2, rank, dims, y, NULL);
    for (size_t i = 0; i < n; i++, interp_bcast_next(&it1), interp_bcast_next(&it2)) {
        bool t = ((const uint8_t *)cond->data)[it1.oa] != 0;
        const char *src = t ? (const char *)x->data + (size_t)it1.ob * es
                            : (const char *)y->data + (size_t)it2.oa * es;
        memcpy((char *)o + i * es, src, es);
    }
    return 0;
}

static int op_cast(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    int64_t to = node_attr_int(c->node, "to", 0);
    /* TensorProto.DataType numbers */
    enum dtype t;
    switch (to) {
    case 1: t = DTYPE_F32; break;
    case 2: t = DTYPE_U8; break;
    case 3: t = DTYPE_S8; break;
    case 5: t = DTYPE_S16; break;
    case 6: t = DTYPE_S32; break;
    case 7: t = DTYPE_S64; break;
    case 9: t = DTYPE_BOOL; break;
    default:
        return interp_unsupported_attr(c->g, c->node, "to", "target type", eb);
    }
    void *o;
    TRY(interp_out(c, 0, t, x->rank, x->dims, &o, eb));
    size_t n = interp_elems(x);
    for (size_t i = 0; i < n; i++) {
        if (t == DTYPE_F32) {
            float f = x->dtype == DTYPE_F32 ? interp_get_f(x, i) : (float)interp_get_i(x, i);
            ((float *)o)[i] = f;
        } else if (x->dtype == DTYPE_F32) {
            float f = interp_get_f(x, i);
            /* float to integer: truncation toward zero (C cast), saturation is undefined in
               ONNX; numpy (the reference) wraps through int64 */
            int64_t v = isfinite(f) ? (int64_t)f : 0;
            set_i(o, t, i, t == DTYPE_BOOL ? (f != 0.0f) : v);
        } else {
            int64_t v = interp_get_i(x, i);
            set_i(o, t, i, t == DTYPE_BOOL ? (v != 0) : v);
        }
    }
    return 0;
}

/* ---- shape ops ---- */

static int op_reshape(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    int64_t shape[MAXR];
    long r;
    if (opset(c) < 5) {
        r = attr_ints(c->node, "shape", shape, MAXR);
    } else {
        NEED(1);
        r = interp_read_ints(c->in[1], shape, MAXR);
    }
    if (r < 0)
        return err(c, eb, "bad shape");
    bool allowzero = node_attr_int(c->node, "allowzero", 0) != 0;
    int64_t known = 1;
    int minus = -1;
    for (long i = 0; i < r; i++) {
        if (shape[i] == 0 && !allowzero) {
            if (i >= x->rank)
                return err(c, eb, "shape 0 beyond input rank");
            shape[i] = x->dims[i];
        }
        if (shape[i] == -1) {
            if (minus >= 0)
                return err(c, eb, "two -1 in shape");
            minus = (int)i;
        } else if (shape[i] < 0) {
            return err(c, eb, "negative dimension in shape");
        } else {
            known *= shape[i];
        }
    }
    size_t n = interp_elems(x);
    if (minus >= 0)
        shape[minus] = known ? (int64_t)n / known : 0;
    return interp_out_alias(c, 0, 0, (int)r, shape, eb);
}

static int op_flatten(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    int axis = interp_axis(node_attr_int(c->node, "axis", 1), x->rank);
    if (axis < 0 && node_attr_int(c->node, "axis", 1) == x->rank)
        axis = x->rank;
    if (axis < 0)
        return err(c, eb, "bad axis");
    int64_t d[2] = {1, 1};
    for (int i = 0; i < x->rank; i++)
        d[i < axis ? 0 : 1] *= x->dims[i];
    return interp_out_alias(c, 0, 0, 2, d, eb);
}

static int squeeze_axes(struct interp_ctx *c, int64_t *axes, long *n)
{
    if (opset(c) < 13) {
        *n = attr_ints(c->node, "axes", axes, MAXR);
    } else if (c->node->n_inputs > 1 && c->in[1]) {
        *n = interp_read_ints(c->in[1], axes, MAXR);
    } else {
        *n = -1;
    }
    return 0;
}

static int op_squeeze(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    int64_t axes[MAXR];
    long na;
    squeeze_axes(c, axes, &na);
    bool drop[MAXR] = {false};
    if (na < 0) {
        for (int i = 0; i < x->rank; i++)
            drop[i] = x->dims[i] == 1;
    } else {
        for (long i = 0; i < na; i++) {
            int a = interp_axis(axes[i], x->rank);
            if (a < 0 || x->dims[a] != 1)
                return err(c, eb, "squeezed axis is not of size 1");
            drop[a] = true;
        }
    }
    int64_t d[MAXR];
    int r = 0;
    for (int i = 0; i < x->rank; i++)
        if (!drop[i])
            d[r++] = x->dims[i];
    return interp_out_alias(c, 0, 0, r, d, eb);
}

static int op_unsqueeze(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    int64_t axes[MAXR];
    long na;
    squeeze_axes(c, axes, &na);
    if (na < 0)
        return err(c, eb, "axes missing");
    int r = x->rank + (int)na;
    if (r > MAXR)
        return err(c, eb, "rank too large");
    bool ins[MAXR] = {false};
    for (long i = 0; i < na; i++) {
        int a = interp_axis(axes[i], r);
        if (a < 0 || ins[a])
            return err(c, eb, "bad axes");
        ins[a] = true;
    }
    int64_t d[MAXR];
    for (int i = 0, j = 0; i < r; i++)
        d[i] = ins[i] ? 1 : x->dims[j++];
    return interp_out_alias(c, 0, 0, r, d, eb);
}

static int op_transpose(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    int64_t perm[MAXR];
    long np = attr_ints(c->node, "perm", perm, MAXR);
    if (np < 0) {
        np = x->rank;
        for (int i = 0; i < x->rank; i++)
            perm[i] = x->rank - 1 - i;
    }
    if (np != x->rank)
        return err(c, eb, "perm does not match the input rank");
    int64_t d[MAXR], in_strides[MAXR], s = 1;
    for (int i = x->rank - 1; i >= 0; i--) {
        in_strides[i] = s;
        s *= x->dims[i];
    }
    int64_t st[MAXR];
    for (int i = 0; i < x->rank; i++) {
        if (perm[i] < 0 || perm[i] >= x->rank)
            return err(c, eb, "bad perm");
        d[i] = x->dims[perm[i]];
        st[i] = in_strides[perm[i]];
    }
    void *o;
    TRY(interp_out_uninit(c, 0, x->dtype, x->rank, d, &o, eb));
    interp_k_permute(x->data, o, dtype_bytes(x->dtype), x->rank, d, st);
    return 0;
}

static int op_concat(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x0 = c->in[0];
    int axis = interp_axis(node_attr_int(c->node, "axis", 0), x0->rank);
    if (axis < 0)
        return err(c, eb, "bad axis");
    int64_t d[MAXR];
    memcpy(d, x0->dims, sizeof d);
    d[axis] = 0;
    for (size_t k = 0; k < c->node->n_inputs; k++) {
        NEED(k);
        const struct tensor_value *x = c->in[k];
        if (x->rank != x0->rank || x->dtype != x0->dtype)
            return err(c, eb, "inputs differ in rank or type");
        for (int i = 0; i < x->rank; i++)
            if (i != axis && x->dims[i] != x0->dims[i])
                return err(c, eb, "input shapes do not match");
        d[axis] += x->dims[axis];
    }
    void *o;
    TRY(interp_out_uninit(c, 0, x0->dtype, x0->rank, d, &o, eb));
    size_t es = dtype_bytes(x0->dtype), outer = 1, inner = es;
    for (int i = 0; i < axis; i++)
        outer *= (size_t)d[i];
    for (int i = axis + 1; i < x0->rank; i++)
        inner *= (size_t)d[i];
    size_t row = inner * (size_t)d[axis], off = 0;
    for (size_t k = 0; k < c->node->n_inputs; k++) {
        const struct tensor_value *x = c->in[k];
        size_t chunk = inner * (size_t)x->dims[axis];
        /* an input its producer already wrote into place (interp.c plans that) */
        if (outer == 1 && x->data == (const void *)((char *)o + off)) {
            off += chunk;
            continue;
        }
        for (size_t o_ = 0; o_ < outer; o_++)
            memcpy((char *)o + o_ * row + off, (const char *)x->data + o_ * chunk, chunk);
        off += chunk;
    }
    return 0;
}

static int op_split(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    int axis = interp_axis(node_attr_int(c->node, "axis", 0), x->rank);
    if (axis < 0)
        return err(c, eb, "bad axis");
    size_t no = c->node->n_outputs;
    int64_t *sz = mem_calloc(no ? no : 1, sizeof *sz);
    if (!sz)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    long ns = -1;
    if (opset(c) < 13) {
        const struct attr *a = node_attr(c->node, "split");
        if (a && a->n == no) {
            memcpy(sz, a->ints, no * sizeof *sz);
            ns = (long)no;
        }
    } else if (c->node->n_inputs > 1 && c->in[1]) {
        if (interp_elems(c->in[1]) == no)
            ns = interp_read_ints(c->in[1], sz, no);
    }
    int64_t total = x->dims[axis];
    if (ns < 0) {
        /* equal parts; opset 18 allows the last one smaller (ceil) */
        int64_t part = (total + (int64_t)no - 1) / (int64_t)no;
        for (size_t k = 0; k < no; k++) {
            int64_t left = total - part * (int64_t)k;
            sz[k] = left < part ? (left < 0 ? 0 : left) : part;
        }
    }
    int64_t sum = 0;
    for (size_t k = 0; k < no; k++)
        sum += sz[k];
    if (sum != total) {
        mem_free(sz);
        return err(c, eb, "split sizes do not add up to the axis");
    }
    size_t es = dtype_bytes(x->dtype), outer = 1, inner = es;
    for (int i = 0; i < axis; i++)
        outer *= (size_t)x->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        inner *= (size_t)x->dims[i];
    size_t row = inner * (size_t)total, off = 0;
    int rc = 0;
    for (size_t k = 0; k < no && !rc; k++) {
        int64_t d[MAXR];
        memcpy(d, x->dims, sizeof d);
        d[axis] = sz[k];
        void *o;
        size_t chunk = inner * (size_t)sz[k], at = off;
        off += chunk;
        if (c->node->outputs[k] < 0)
            continue;
        if (outer == 1) {   /* one contiguous part of x: share it */
            rc = interp_out_view(c, k, 0, x->rank, d, at, eb);
            continue;
        }
        rc = interp_out_uninit(c, k, x->dtype, x->rank, d, &o, eb);
        if (rc)
            break;
        for (size_t o_ = 0; o_ < outer; o_++)
            memcpy((char *)o + o_ * chunk, (const char *)x->data + o_ * row + at, chunk);
    }
    mem_free(sz);
    return rc;
}

static int op_slice(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    int64_t starts[MAXR], ends[MAXR], axes[MAXR], steps[MAXR];
    long ns, ne, na = -1, nst = -1;
    if (opset(c) < 10) {
        ns = attr_ints(c->node, "starts", starts, MAXR);
        ne = attr_ints(c->node, "ends", ends, MAXR);
        na = attr_ints(c->node, "axes", axes, MAXR);
    } else {
        NEED(1);
        NEED(2);
        ns = interp_read_ints(c->in[1], starts, MAXR);
        ne = interp_read_ints(c->in[2], ends, MAXR);
        if (c->node->n_inputs > 3 && c->in[3])
            na = interp_read_ints(c->in[3], axes, MAXR);
        if (c->node->n_inputs > 4 && c->in[4])
            nst = interp_read_ints(c->in[4], steps, MAXR);
    }
    if (ns < 0 || ne != ns || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        return err(c, eb, "bad starts/ends/axes/steps");
    int64_t st[MAXR], step[MAXR], d[MAXR];
    for (int i = 0; i < x->rank; i++) {
        st[i] = 0;
        step[i] = 1;
        d[i] = x->dims[i];
    }
    for (long k = 0; k < ns; k++) {
        int a = interp_axis(na >= 0 ? axes[k] : k, x->rank);
        if (a < 0)
            return err(c, eb, "bad axis");
        int64_t s = nst >= 0 ? steps[k] : 1, dim = x->dims[a];
        if (s == 0)
            return err(c, eb, "step 0");
        int64_t b = starts[k], e = ends[k];
        if (b < 0)
            b += dim;
        if (e < 0)
            e += dim;
        if (s > 0) {
            b = b < 0 ? 0 : b > dim ? dim : b;
            e = e < 0 ? 0 : e > dim ? dim : e;
            d[a] = e > b ? (e - b + s - 1) / s : 0;
        } else {
            b = b < 0 ? -1 : b > dim - 1 ? dim - 1 : b;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
            d[a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
        }
        st[a] = b;
        step[a] = s;
    }
    void *o;
    TRY(interp_out(c, 0, x->dtype, x->rank, d, &o, eb));
    size_t es = dtype_bytes(x->dtype), n = interp_elems(&c->out[0]);
    int64_t istr[MAXR], s = 1, idx[MAXR] = {0};
    for (int i = x->rank - 1; i >= 0; i--) {
        istr[i] = s;
        s *= x->dims[i];
    }
    for (size_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int j = 0; j < x->rank; j++)
            off += (st[j] + idx[j] * step[j]) * istr[j];
        memcpy((char *)o + i * es, (const char *)x->data + (size_t)off * es, es);
        interp_index_next(x->rank, d, idx);
    }
    return 0;
}

static int op_gather(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    const struct tensor_value *x = c->in[0], *ix = c->in[1];
    int axis = interp_axis(node_attr_int(c->node, "axis", 0), x->rank);
    if (axis < 0 || x->rank + ix->rank - 1 > MAXR)
        return err(c, eb, "bad axis");
    int64_t d[MAXR];
    int r = 0;
    for (int i = 0; i < axis; i++)
        d[r++] = x->dims[i];
    for (int i = 0; i < ix->rank; i++)
        d[r++] = ix->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        d[r++] = x->dims[i];
    void *o;
    TRY(interp_out(c, 0, x->dtype, r, d, &o, eb));
    size_t es = dtype_bytes(x->dtype), outer = 1, inner = es, ni = interp_elems(ix);
    for (int i = 0; i < axis; i++)
        outer *= (size_t)x->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        inner *= (size_t)x->dims[i];
    int64_t dim = x->dims[axis];
    for (size_t a = 0; a < outer; a++) {
        for (size_t j = 0; j < ni; j++) {
            int64_t k = interp_get_i(ix, j);
            if (k < 0)
                k += dim;
            if (k < 0 || k >= dim)
                return err(c, eb, "index out of range");
            memcpy((char *)o + (a * ni + j) * inner,
                   (const char *)x->data + (a * (size_t)dim + (size_t)k) * inner, inner);
        }
    }
    return 0;
}

static int op_expand(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    const struct tensor_value *x = c->in[0];
    int64_t shape[MAXR], d[MAXR];
    long r = interp_read_ints(c->in[1], shape, MAXR);
    int rank;
    if (r < 0 || !interp_broadcast(x->rank, x->dims, (int)r, shape, &rank, d))
        return err(c, eb, "shape does not broadcast");
    void *o;
    TRY(interp_out(c, 0, x->dtype, rank, d, &o, eb));
    size_t es = dtype_bytes(x->dtype), n = interp_elems(&c->out[0]);
    struct interp_bcast it;
    interp_bcast_init(&it, rank, d, x, NULL);
    for (size_t i = 0; i < n; i++, interp_bcast_next(&it))
        memcpy((char *)o + i * es, (const char *)x->data + (size_t)it.oa * es, es);
    return 0;
}

static int op_shape(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    int64_t d = c->in[0]->rank;
    int64_t *o;
    TRY(interp_out(c, 0, DTYPE_S64, 1, &d, (void **)&o, eb));
    for (int i = 0; i < c->in[0]->rank; i++)
        o[i] = c->in[0]->dims[i];
    return 0;
}

static int op_pad(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    int64_t pads[2 * MAXR], axes[MAXR];
    long np, na = -1;
    const char *mode = node_attr_string(c->node, "mode", "constant");
    double cval = 0.0;
    if (opset(c) < 11) {
        np = attr_ints(c->node, "pads", pads, 2 * MAXR);
        cval = node_attr_float(c->node, "value", 0.0f);
    } else {
        NEED(1);
        np = interp_read_ints(c->in[1], pads, 2 * MAXR);
        if (c->node->n_inputs > 2 && c->in[2] && interp_elems(c->in[2]) > 0)
            cval = interp_scalar(c->in[2], 0);
        if (c->node->n_inputs > 3 && c->in[3])
            na = interp_read_ints(c->in[3], axes, MAXR);
    }
    int64_t pb[MAXR] = {0}, pe[MAXR] = {0};
    if (na >= 0) {
        if (np != 2 * na)
            return err(c, eb, "pads do not match axes");
        for (long k = 0; k < na; k++) {
            int a = interp_axis(axes[k], x->rank);
            if (a < 0)
                return err(c, eb, "bad axis");
            pb[a] = pads[k];
            pe[a] = pads[k + na];
        }
    } else {
        if (np != 2 * x->rank)
            return err(c, eb, "pads do not match the input rank");
        for (int i = 0; i < x->rank; i++) {
            pb[i] = pads[i];
            pe[i] = pads[i + x->rank];
        }
    }
    int m = strcmp(mode, "constant") == 0 ? 0 : strcmp(mode, "edge") == 0 ? 1
            : strcmp(mode, "reflect") == 0 ? 2 : strcmp(mode, "wrap") == 0 ? 3 : -1;
    if (m < 0)
        return interp_unsupported_attr(c->g, c->node, "mode", mode, eb);
    int64_t d[MAXR];
    for (int i = 0; i < x->rank; i++) {
        d[i] = x->dims[i] + pb[i] + pe[i];
        if (d[i] < 0)
            return err(c, eb, "negative output size");
    }
    void *o;
    TRY(interp_out(c, 0, x->dtype, x->rank, d, &o, eb));
    size_t es = dtype_bytes(x->dtype), n = interp_elems(&c->out[0]);
    int64_t istr[MAXR], s = 1, idx[MAXR] = {0};
    for (int i = x->rank - 1; i >= 0; i--) {
        istr[i] = s;
        s *= x->dims[i];
    }
    char cbytes[8] = {0};
    set_i(cbytes, x->dtype == DTYPE_F32 ? DTYPE_S64 : x->dtype, 0, (int64_t)cval);
    if (x->dtype == DTYPE_F32) {
        float f = (float)cval;
        memcpy(cbytes, &f, 4);
    }
    for (size_t i = 0; i < n; i++) {
        int64_t off = 0;
        bool outside = false;
        for (int j = 0; j < x->rank; j++) {
            int64_t p = idx[j] - pb[j], dim = x->dims[j];
            if (p < 0 || p >= dim) {
                if (m == 0 || dim == 0) {
                    outside = true;
                    break;
                } else if (m == 1) {
                    p = p < 0 ? 0 : dim - 1;
                } else if (m == 2) {
                    int64_t period = 2 * (dim - 1);
                    if (period == 0) {
                        p = 0;
                    } else {
                        p = ((p % period) + period) % period;
                        if (p >= dim)
                            p = period - p;
                    }
                } else {
                    p = ((p % dim) + dim) % dim;
                }
            }
            off += p * istr[j];
        }
        if (outside)
            memcpy((char *)o + i * es, cbytes, es);
        else
            memcpy((char *)o + i * es, (const char *)x->data + (size_t)off * es, es);
        interp_index_next(x->rank, d, idx);
    }
    return 0;
}

/* ---- reductions, softmax ---- */

static int reduce_axes(struct interp_ctx *c, const struct tensor_value *x, bool *red,
                       struct errbuf *eb)
{
    int64_t axes[MAXR];
    long na = -1;
    if (opset(c) < 18)
        na = attr_ints(c->node, "axes", axes, MAXR);
    else if (c->node->n_inputs > 1 && c->in[1])
        na = interp_read_ints(c->in[1], axes, MAXR);
    bool noop = node_attr_int(c->node, "noop_with_empty_axes", 0) != 0;
    for (int i = 0; i < x->rank; i++)
        red[i] = na <= 0 && !(na == 0 && noop);
    if (na == 0 && !noop)
        for (int i = 0; i < x->rank; i++)
            red[i] = true;
    for (long k = 0; k < na; k++) {
        int a = interp_axis(axes[k], x->rank);
        if (a < 0)
            return err(c, eb, "bad axis");
        red[a] = true;
    }
    return 0;
}

enum redop { R_MEAN, R_SUM, R_MAX, R_MIN };

/*
 * x's dims without the size-1 ones, neighbours of the same kind (reduced or kept) merged:
 * walking them in row-major order visits x in memory order. ostr: the stride of each merged
 * dim in the output (0 for reduced ones). Returns the count.
 */
static int reduce_coalesce(const struct tensor_value *x, const bool *red, const int64_t *kd,
                           int64_t *cd, int64_t *ostr, bool *cred)
{
    int64_t s = 1, st[MAXR];
    for (int i = x->rank - 1; i >= 0; i--) {
        st[i] = red[i] ? 0 : s;
        s *= kd[i];
    }
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (x->dims[i] == 1)
            continue;
        if (r > 0 && cred[r - 1] == red[i]) {
            cd[r - 1] *= x->dims[i];
            ostr[r - 1] = st[i];
            continue;
        }
        cd[r] = x->dims[i];
        ostr[r] = st[i];
        cred[r] = red[i];
        r++;
    }
    return r;
}

static inline float reduce_one(enum redop op, float acc, float v)
{
    switch (op) {
    case R_MEAN:
    case R_SUM: return acc + v;
    case R_MAX: return v > acc ? v : acc;
    case R_MIN: return v < acc ? v : acc;
    }
    return acc;
}

/* len contiguous inputs into one output (reduced) or into len outputs (kept), in order. */
static void reduce_run(enum redop op, float *restrict o, const float *restrict p, size_t len,
                       bool reduced)
{
    if (reduced) {
        float acc = o[0];
        for (size_t j = 0; j < len; j++)
            acc = reduce_one(op, acc, p[j]);
        o[0] = acc;
    } else if (op <= R_SUM) {
        for (size_t j = 0; j < len; j++)
            o[j] += p[j];
    } else {
        for (size_t j = 0; j < len; j++)
            o[j] = reduce_one(op, o[j], p[j]);
    }
}

#define REDUCE_ROWS 8

/* Sums of REDUCE_ROWS consecutive rows of len into consecutive outputs, each in order. */
static void reduce_rows(float *restrict o, const float *restrict p, size_t len)
{
    float acc[REDUCE_ROWS];
    for (int r = 0; r < REDUCE_ROWS; r++)
        acc[r] = o[r];
    for (size_t j = 0; j < len; j++)
        for (int r = 0; r < REDUCE_ROWS; r++)
            acc[r] += p[(size_t)r * len + j];
    for (int r = 0; r < REDUCE_ROWS; r++)
        o[r] = acc[r];
}

static int reduce(struct interp_ctx *c, enum redop op, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    if (x->dtype != DTYPE_F32)
        return err(c, eb, "only float32 supported");
    bool red[MAXR];
    TRY(reduce_axes(c, x, red, eb));
    bool keep = node_attr_int(c->node, "keepdims", 1) != 0;
    int64_t d[MAXR], kd[MAXR];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        kd[i] = red[i] ? 1 : x->dims[i];
        if (!red[i] || keep)
            d[r++] = kd[i];
    }
    float *o;
    TRY(interp_out_uninit(c, 0, DTYPE_F32, r, d, (void **)&o, eb));
    size_t no = interp_elems(&c->out[0]), n = interp_elems(x);
    size_t cnt = no ? n / no : 0;
    for (size_t i = 0; i < no; i++)
        o[i] = op == R_MAX ? -INFINITY : op == R_MIN ? INFINITY : 0.0f;
    /* accumulate in the order ONNX Runtime's reduction walks (inner loop over the reduced
       elements of each output), in float32: each output sums its elements in input order */
    int64_t cd[MAXR], cstr[MAXR];
    bool cred[MAXR];
    int cr = reduce_coalesce(x, red, kd, cd, cstr, cred);
    if (cr == 0) {              /* one element (all dims 1) */
        reduce_run(op, o, x->data, 1, true);
    } else if (n > 0) {
        size_t len = (size_t)cd[cr - 1], nb = n / len;
        int64_t idx[MAXR] = {0};
        const float *p = x->data;
        size_t off = 0;
        for (size_t b = 0; b < nb; b++) {
            if (cred[cr - 1] && op <= R_SUM && cr >= 2 && !cred[cr - 2] && cstr[cr - 2] == 1 &&
                idx[cr - 2] + REDUCE_ROWS <= cd[cr - 2]) {
                /* REDUCE_ROWS outputs side by side, each summed in order (independent adds) */
                reduce_rows(o + off, p + b * len, len);
                b += REDUCE_ROWS - 1;
                off += REDUCE_ROWS - 1;
                idx[cr - 2] += REDUCE_ROWS - 1;
            } else {
                reduce_run(op, o + off, p + b * len, len, cred[cr - 1]);
            }
            for (int j = cr - 2; j >= 0; j--) {
                off += (size_t)cstr[j];
                if (++idx[j] < cd[j])
                    break;
                off -= (size_t)(cstr[j] * idx[j]);
                idx[j] = 0;
            }
        }
    }
    if (op == R_MEAN)
        for (size_t i = 0; i < no; i++)
            o[i] /= (float)cnt;
    return 0;
}

static int op_reduce_mean(struct interp_ctx *c, struct errbuf *eb) { return reduce(c, R_MEAN, eb); }
static int op_reduce_sum(struct interp_ctx *c, struct errbuf *eb) { return reduce(c, R_SUM, eb); }
static int op_reduce_max(struct interp_ctx *c, struct errbuf *eb) { return reduce(c, R_MAX, eb); }
static int op_reduce_min(struct interp_ctx *c, struct errbuf *eb) { return reduce(c, R_MIN, eb); }

/* Softmax/LogSoftmax: opset < 13 flattens to 2-D at axis (default 1); >= 13 one axis (-1). */
static int softmax(struct interp_ctx *c, bool logsm, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    if (x->dtype != DTYPE_F32)
        return err(c, eb, "only float32 supported");
    bool old = opset(c) < 13;
    int axis = interp_axis(node_attr_int(c->node, "axis", old ? 1 : -1), x->rank);
    if (axis < 0)
        return err(c, eb, "bad axis");
    float *o;
    TRY(interp_out(c, 0, DTYPE_F32, x->rank, x->dims, (void **)&o, eb));
    size_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= (size_t)x->dims[i];
    for (int i = axis; i < x->rank; i++) {
        if (old || i == axis)
            len *= (size_t)x->dims[i];
        else
            inner *= (size_t)x->dims[i];
    }
    interp_k_softmax_f32(x->data, o, outer, len, inner, logsm);
    return 0;
}

static int op_softmax(struct interp_ctx *c, struct errbuf *eb) { return softmax(c, false, eb); }
static int op_logsoftmax(struct interp_ctx *c, struct errbuf *eb) { return softmax(c, true, eb); }

/* ---- matmul family ---- */

static int op_matmul(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    const struct tensor_value *a = c->in[0], *b = c->in[1];
    if (a->dtype != DTYPE_F32 || b->dtype != DTYPE_F32)
        return err(c, eb, "only float32 supported");
    struct interp_mm mm;
    int64_t d[MAXR];
    int r;
    if (!interp_k_matmul_shape(a->rank, a->dims, b->rank, b->dims, &mm, &r, d))
        return err(c, eb, "input shapes do not go together");
    float *o;
    TRY(interp_out(c, 0, DTYPE_F32, r, d, (void **)&o, eb));
    interp_k_matmul_f32(&mm, a->data, b->data, o);
    return 0;
}

static int op_gemm(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    const struct tensor_value *a = c->in[0], *b = c->in[1];
    const struct tensor_value *bias = interp_in(c, 2);
    if (a->rank != 2 || b->rank != 2 || a->dtype != DTYPE_F32 || b->dtype != DTYPE_F32)
        return err(c, eb, "expected two float32 matrices");
    bool ta = node_attr_int(c->node, "transA", 0) != 0;
    bool tb = node_attr_int(c->node, "transB", 0) != 0;
    float alpha = node_attr_float(c->node, "alpha", 1.0f);
    float beta = node_attr_float(c->node, "beta", 1.0f);
    int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
    int64_t K2 = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
    if (K != K2)
        return err(c, eb, "inner dimensions differ");
    int64_t d[2] = {M, N};
    float *o;
    TRY(interp_out(c, 0, DTYPE_F32, 2, d, (void **)&o, eb));
    interp_k_gemm_f32(a->data, b->data, o, (size_t)M, (size_t)N, (size_t)K, ta, tb, alpha);
    if (bias && beta != 0.0f) {
        if (bias->dtype != DTYPE_F32)
            return err(c, eb, "bias must be float32");
        int rank;
        int64_t bd[MAXR];
        if (!interp_broadcast(2, d, bias->rank, bias->dims, &rank, bd) || rank != 2 ||
            bd[0] != M || bd[1] != N)
            return err(c, eb, "C does not broadcast to the output");
        struct interp_bcast it;
        interp_bcast_init(&it, 2, d, bias, NULL);
        const float *pb = bias->data;
        for (size_t i = 0; i < (size_t)(M * N); i++, interp_bcast_next(&it))
            o[i] += beta * pb[it.oa];
    }
    return 0;
}

/* ---- conv and pool geometry ---- */

struct geom {
    int nsp;                /* spatial dims in the model (1..3) */
    int64_t n, c;           /* batch, channels */
    int64_t in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];  /* padded to 3, leading 1s */
};

/* Fills g from the input shape and attributes; kernel from `kernel` (weights) if given. */
static int geometry(struct interp_ctx *c, const struct tensor_value *x, const int64_t *kernel,
                    bool pool, struct geom *g, struct errbuf *eb)
{
    const struct node *n = c->node;
    int nsp = x->rank - 2;
    if (nsp < 1 || nsp > 3)
        return interp_node_error(c->g, n, ST_EUNSUPPORTED, eb,
                                 "unsupported input rank %d (1-D to 3-D only)", x->rank);
    int64_t ks[3], st[3], dl[3], pads[6];
    long nk = attr_ints(n, "kernel_shape", ks, 3);
    if (nk < 0 && kernel) {
        memcpy(ks, kernel, sizeof(int64_t) * (size_t)nsp);
        nk = nsp;
    }
    if (nk != nsp)
        return err(c, eb, "kernel_shape does not match the input rank");
    long ns = attr_ints(n, "strides", st, 3), nd = attr_ints(n, "dilations", dl, 3);
    long np = attr_ints(n, "pads", pads, 6);
    if ((ns >= 0 && ns != nsp) || (nd >= 0 && nd != nsp) || (np >= 0 && np != 2 * nsp))
        return err(c, eb, "strides/dilations/pads do not match the input rank");
    const char *ap = node_attr_string(n, "auto_pad", "NOTSET");
    bool ceil_mode = pool && node_attr_int(n, "ceil_mode", 0) != 0;
    memset(g, 0, sizeof *g);
    g->nsp = nsp;
    g->n = x->dims[0];
    g->c = x->dims[1];
    int off = 3 - nsp;
    for (int i = 0; i < 3; i++) {
        g->in[i] = g->out[i] = g->k[i] = g->s[i] = g->d[i] = 1;
    }
    for (int i = 0; i < nsp; i++) {
        int j = i + off;
        g->in[j] = x->dims[2 + i];
        g->k[j] = ks[i];
        g->s[j] = ns >= 0 ? st[i] : 1;
        g->d[j] = nd >= 0 ? dl[i] : 1;
        g->pb[j] = np >= 0 ? pads[i] : 0;
        g->pe[j] = np >= 0 ? pads[i + nsp] : 0;
        if (g->k[j] < 1 || g->s[j] < 1 || g->d[j] < 1 || g->pb[j] < 0 || g->pe[j] < 0)
            return err(c, eb, "bad kernel, stride, dilation or pad");
        int64_t ek = (g->k[j] - 1) * g->d[j] + 1;
        if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
            int64_t o = (g->in[j] + g->s[j] - 1) / g->s[j];
            int64_t tot = (o - 1) * g->s[j] + ek - g->in[j];
            if (tot < 0)
                tot = 0;
            bool upper = ap[5] == 'U';
            g->pb[j] = upper ? tot / 2 : tot - tot / 2;
            g->pe[j] = tot - g->pb[j];
            g->out[j] = o;
        } else if (strcmp(ap, "VALID") == 0) {
            g->pb[j] = g->pe[j] = 0;
            g->out[j] = g->in[j] >= ek ? (g->in[j] - ek) / g->s[j] + 1 : 0;
        } else if (strcmp(ap, "NOTSET") == 0) {
            int64_t span = g->in[j] + g->pb[j] + g->pe[j] - ek;
            if (span < 0)
                return err(c, eb, "kernel larger than the padded input");
            if (ceil_mode) {
                g->out[j] = (span + g->s[j] - 1) / g->s[j] + 1;
                /* the last window must start inside the input or the left padding */
                if ((g->out[j] - 1) * g->s[j] >= g->in[j] + g->pb[j])
                    g->out[j]--;
            } else {
                g->out[j] = span / g->s[j] + 1;
            }
        } else {
            return interp_unsupported_attr(c->g, n, "auto_pad", ap, eb);
        }
    }
    return 0;
}

static void out_dims(const struct geom *g, int64_t ch, int64_t *d)
{
    d[0] = g->n;
    d[1] = ch;
    for (int i = 0; i < g->nsp; i++)
        d[2 + i] = g->out[3 - g->nsp + i];
}

static void fill_kgeom(const struct geom *g, struct interp_kgeom *k)
{
    for (int i = 0; i < 3; i++) {
        k->in[i] = (size_t)g->in[i];
        k->out[i] = (size_t)g->out[i];
        k->k[i] = (size_t)g->k[i];
        k->s[i] = (size_t)g->s[i];
        k->d[i] = (size_t)g->d[i];
        k->pb[i] = (size_t)g->pb[i];
    }
}

/*
 * Conv's geometry (ONNX Conv / QLinearConv / ConvInteger) from x and OIHW-style weights w:
 * same rank, C_in = group * w.dims[1], C_out divisible by group, kernel_shape as the weights.
 */
static int conv_geometry(struct interp_ctx *c, const struct tensor_value *x,
                         const struct tensor_value *w, struct geom *g, int64_t *groups,
                         struct errbuf *eb)
{
    if (w->rank != x->rank)
        return err(c, eb, "weights rank differs from input rank");
    TRY(geometry(c, x, w->dims + 2, false, g, eb));
    int64_t grp = node_attr_int(c->node, "group", 1), M = w->dims[0];
    if (grp < 1 || g->c % grp || M % grp || w->dims[1] * grp != g->c)
        return err(c, eb, "channels do not match the group count");
    for (int i = 0; i < g->nsp; i++)
        if (w->dims[2 + i] != g->k[3 - g->nsp + i])
            return err(c, eb, "kernel_shape differs from the weights");
    *groups = grp;
    return 0;
}

static int op_conv(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    const struct tensor_value *x = c->in[0], *w = c->in[1];
    const struct tensor_value *b = interp_in(c, 2);
    if (x->dtype != DTYPE_F32 || w->dtype != DTYPE_F32 || (b && b->dtype != DTYPE_F32))
        return err(c, eb, "only float32 supported");
    struct geom g;
    int64_t groups;
    TRY(conv_geometry(c, x, w, &g, &groups, eb));
    int64_t M = w->dims[0];
    if (b && (int64_t)interp_elems(b) != M)
        return err(c, eb, "bias size differs from the output channels");
    int64_t d[MAXR];
    out_dims(&g, M, d);
    float *o;
    TRY(interp_out(c, 0, DTYPE_F32, x->rank, d, (void **)&o, eb));
    struct interp_kgeom k;
    fill_kgeom(&g, &k);
    return interp_k_conv_f32(&k, (size_t)g.n, (size_t)g.c, (size_t)M, (size_t)groups, x->data,
                             w->data, b ? b->data : NULL, o, eb);
}

/*
 * ConvTranspose (float32, 1-D to 3-D): every input pixel scatters x * w over the kernel
 * window into the output, which is then cropped by the pads. Explicit pads and
 * output_padding; output_shape and auto_pad are not supported.
 */
static int check_convtranspose(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    if (node_attr(n, "output_shape") != NULL)
        return interp_unsupported_attr(g, n, "output_shape", NULL, eb);
    const char *ap = node_attr_string(n, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") != 0)
        return interp_unsupported_attr(g, n, "auto_pad", ap, eb);
    return 0;
}

static int op_convtranspose(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    const struct tensor_value *x = c->in[0], *w = c->in[1];
    const struct tensor_value *b = interp_in(c, 2);
    if (x->dtype != DTYPE_F32 || w->dtype != DTYPE_F32 || (b && b->dtype != DTYPE_F32))
        return err(c, eb, "only float32 supported");
    int nsp = x->rank - 2;
    if (nsp < 1 || nsp > 3 || w->rank != x->rank)
        return err(c, eb, "unsupported input rank");
    int64_t groups = node_attr_int(c->node, "group", 1);
    int64_t C = x->dims[1], N = x->dims[0];
    if (groups < 1 || C % groups || w->dims[0] != C)
        return err(c, eb, "weights do not match the input channels and group");
    int64_t mg = w->dims[1], M = mg * groups, cg = C / groups;
    int64_t st[3] = {1, 1, 1}, dl[3] = {1, 1, 1}, pads[6] = {0}, op[3] = {0, 0, 0};
    int64_t tmp[6];
    long r;
    if ((r = attr_ints(c->node, "strides", tmp, 3)) == nsp)
        memcpy(st, tmp, sizeof(int64_t) * (size_t)nsp);
    if ((r = attr_ints(c->node, "dilations", tmp, 3)) == nsp)
        memcpy(dl, tmp, sizeof(int64_t) * (size_t)nsp);
    if ((r = attr_ints(c->node, "pads", tmp, 6)) == 2 * nsp)
        memcpy(pads, tmp, sizeof(int64_t) * (size_t)(2 * nsp));
    if ((r = attr_ints(c->node, "output_padding", tmp, 3)) == nsp)
        memcpy(op, tmp, sizeof(int64_t) * (size_t)nsp);
    int64_t in[3] = {1, 1, 1}, k[3] = {1, 1, 1}, out[3] = {1, 1, 1}, full[3] = {1, 1, 1};
    int64_t s3[3] = {1, 1, 1}, d3[3] = {1, 1, 1}, pb3[3] = {0, 0, 0};
    int off = 3 - nsp;
    int64_t d[MAXR] = {N, M};
    for (int i = 0; i < nsp; i++) {
        in[off + i] = x->dims[2 + i];
        k[off + i] = w->dims[2 + i];
        s3[off + i] = st[i];
        d3[off + i] = dl[i];
        pb3[off + i] = pads[i];
        if (st[i] < 1 || dl[i] < 1)
            return err(c, eb, "bad strides or dilations");
        out[off + i] = st[i] * (in[off + i] - 1) + op[i] + ((k[off + i] - 1) * dl[i] + 1) -
                       pads[i] - pads[nsp + i];
        full[off + i] = out[off + i];
        if (out[off + i] < 0)
            return err(c, eb, "negative output size");
        d[2 + i] = out[off + i];
    }
    float *o;
    TRY(interp_out(c, 0, DTYPE_F32, x->rank, d, (void **)&o, eb));
    size_t P = (size_t)(out[0] * out[1] * out[2]), I = (size_t)(in[0] * in[1] * in[2]);
    size_t T = (size_t)(k[0] * k[1] * k[2]);
    const float *px = x->data, *pw = w->data;
    for (int64_t n = 0; n < N; n++)
        for (int64_t m = 0; m < M; m++) {
            float *orow = o + (size_t)(n * M + m) * P;
            float bv = b ? ((const float *)b->data)[m] : 0.0f;
            for (size_t p = 0; p < P; p++)
                orow[p] = bv;
            int64_t gi = m / mg, mi = m % mg;
            for (int64_t ci = 0; ci < cg; ci++) {
                int64_t ch = gi * cg + ci;
                const float *xp = px + (size_t)(n * C + ch) * I;
                const float *wk = pw + (size_t)(ch * mg + mi) * T;
                for (int64_t i0 = 0; i0 < in[0]; i0++)
                    for (int64_t i1 = 0; i1 < in[1]; i1++)
                        for (int64_t i2 = 0; i2 < in[2]; i2++) {
                            float xv = xp[(i0 * in[1] + i1) * in[2] + i2];
                            size_t t = 0;
                            for (int64_t k0 = 0; k0 < k[0]; k0++)
                                for (int64_t k1 = 0; k1 < k[1]; k1++)
                                    for (int64_t k2 = 0; k2 < k[2]; k2++, t++) {
                                        int64_t o0 = i0 * s3[0] + k0 * d3[0] - pb3[0];
                                        int64_t o1 = i1 * s3[1] + k1 * d3[1] - pb3[1];
                                        int64_t o2 = i2 * s3[2] + k2 * d3[2] - pb3[2];
                                        if (o0 < 0 || o0 >= full[0] || o1 < 0 ||
                                            o1 >= full[1] || o2 < 0 || o2 >= full[2])
                                            continue;
                                        orow[(o0 * out[1] + o1) * out[2] + o2] += xv * wk[t];
                                    }
                        }
            }
        }
    return 0;
}

enum pool_kind { P_MAX, P_AVG, P_LP };

/* MaxPool's optional second output (Indices) and storage_order are not implemented. */
static int check_maxpool(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    if (n->n_outputs > 1 && n->outputs[1] >= 0 && g->tensors[n->outputs[1]].name[0] != '\0')
        return interp_unsupported_attr(g, n, "Indices output", NULL, eb);
    if (node_attr_int(n, "storage_order", 0) != 0)
        return interp_unsupported_attr(g, n, "storage_order", NULL, eb);
    return 0;
}

static int pool(struct interp_ctx *c, enum pool_kind kind, bool global, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    if (c->node->n_outputs > 1 && c->node->outputs[1] >= 0)
        return interp_unsupported_attr(c->g, c->node, "Indices output", NULL, eb);
    if (node_attr_int(c->node, "storage_order", 0) != 0)
        return interp_unsupported_attr(c->g, c->node, "storage_order", NULL, eb);
    struct geom g;
    if (global) {
        int nsp = x->rank - 2;
        if (nsp < 1 || nsp > 3)
            return err(c, eb, "unsupported input rank");
        memset(&g, 0, sizeof g);
        g.nsp = nsp;
        g.n = x->dims[0];
        g.c = x->dims[1];
        for (int i = 0; i < 3; i++) {
            int j = i - (3 - nsp);
            g.in[i] = g.k[i] = j >= 0 ? x->dims[2 + j] : 1;
            g.out[i] = g.s[i] = g.d[i] = 1;
        }
    } else {
        TRY(geometry(c, x, NULL, true, &g, eb));
    }
    int64_t d[MAXR];
    out_dims(&g, g.c, d);
    void *o;
    TRY(interp_out_uninit(c, 0, x->dtype, x->rank, d, &o, eb));
    struct interp_kgeom k;
    fill_kgeom(&g, &k);
    bool include_pad = node_attr_int(c->node, "count_include_pad", 0) != 0;
    size_t planes = (size_t)(g.n * g.c);
    if (kind == P_MAX) {
        if (x->dtype == DTYPE_F32)
            interp_k_maxpool_f32(&k, planes, x->data, o);
        else if (x->dtype == DTYPE_U8)
            interp_k_maxpool_u8(&k, planes, x->data, o);
        else if (x->dtype == DTYPE_S8)
            interp_k_maxpool_s8(&k, planes, x->data, o);
        else
            return err(c, eb, "unsupported type");
    } else {
        if (x->dtype != DTYPE_F32)
            return err(c, eb, "only float32 supported");
        interp_k_avgpool_f32(&k, planes, include_pad, g.pe, x->data, o);
    }
    return 0;
}

static int op_maxpool(struct interp_ctx *c, struct errbuf *eb) { return pool(c, P_MAX, false, eb); }
static int op_avgpool(struct interp_ctx *c, struct errbuf *eb) { return pool(c, P_AVG, false, eb); }
static int op_gmaxpool(struct interp_ctx *c, struct errbuf *eb) { return pool(c, P_MAX, true, eb); }
static int op_gavgpool(struct interp_ctx *c, struct errbuf *eb) { return pool(c, P_AVG, true, eb); }

static int op_batchnorm(struct interp_ctx *c, struct errbuf *eb)
{
    for (size_t k = 0; k < 5; k++)
        NEED(k);
    if (node_attr_int(c->node, "training_mode", 0) != 0)
        return interp_unsupported_attr(c->g, c->node, "training_mode", NULL, eb);
    const struct tensor_value *x = c->in[0];
    float eps = node_attr_float(c->node, "epsilon", 1e-5f);
    if (x->dtype != DTYPE_F32 || x->rank < 2)
        return err(c, eb, "expected float32 [N, C, ...]");
    float *o;
    TRY(interp_out(c, 0, DTYPE_F32, x->rank, x->dims, (void **)&o, eb));
    size_t C = (size_t)x->dims[1], N = (size_t)x->dims[0];
    size_t inner = N * C != 0 ? interp_elems(x) / (N * C) : 0;
    for (size_t k = 1; k < 5; k++)
        if (interp_elems(c->in[k]) != C || c->in[k]->dtype != DTYPE_F32)
            return err(c, eb, "scale/bias/mean/var must have C float32 elements");
    const float *sc = c->in[1]->data, *bi = c->in[2]->data, *mu = c->in[3]->data,
                *va = c->in[4]->data;
    const float *p = x->data;
    for (size_t n = 0; n < N; n++)
        for (size_t ch = 0; ch < C; ch++) {
            float a = sc[ch] / sqrtf(va[ch] + eps);
            for (size_t i = 0; i < inner; i++) {
                size_t j = (n * C + ch) * inner + i;
                o[j] = (p[j] - mu[ch]) * a + bi[ch];
            }
        }
    return 0;
}

/* ---- quantization ---- */

/* Per-tensor, per-axis or blocked parameters of Quantize/DequantizeLinear. */
struct qaxis {
    size_t outer, axis_len, inner;  /* x viewed as [outer, axis_len, inner] */
    size_t n;                       /* scale elements */
    int64_t block;                  /* 0 = not blocked */
};

static int qaxis_of(struct interp_ctx *c, const struct tensor_value *x,
                    const struct tensor_value *scale, struct qaxis *q, struct errbuf *eb)
{
    memset(q, 0, sizeof *q);
    q->n = interp_elems(scale);
    q->block = node_attr_int(c->node, "block_size", 0);
    q->outer = 1;
    q->inner = 1;
    if (scale->rank == 0 || (q->n == 1 && q->block == 0)) {
        q->axis_len = interp_elems(x);
        return 0;
    }
    int axis = interp_axis(node_attr_int(c->node, "axis", 1), x->rank);
    if (axis < 0)
        return err(c, eb, "bad axis");
    for (int i = 0; i < axis; i++)
        q->outer *= (size_t)x->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        q->inner *= (size_t)x->dims[i];
    q->axis_len = (size_t)x->dims[axis];
    if (q->block > 0) {
        size_t nb = (q->axis_len + (size_t)q->block - 1) / (size_t)q->block;
        if (q->n != q->outer * nb * q->inner)
            return err(c, eb, "blocked scale shape does not match");
    } else if (q->n != q->axis_len) {
        return err(c, eb, "per-axis scale length differs from the axis");
    }
    return 0;
}

/* Index into scale/zero point for element (o, a, i). */
static size_t qidx(const struct qaxis *q, size_t o, size_t a, size_t i)
{
    if (q->n == 1 && q->block == 0)
        return 0;
    if (q->block > 0) {
        size_t nb = (q->axis_len + (size_t)q->block - 1) / (size_t)q->block;
        return (o * nb + a / (size_t)q->block) * q->inner + i;
    }
    return a;
}

static int op_dequantize(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    const struct tensor_value *x = c->in[0], *sc = c->in[1];
    const struct tensor_value *zp = interp_in(c, 2);
    if (sc->dtype != DTYPE_F32)
        return err(c, eb, "only float32 scales supported");
    struct qaxis q;
    TRY(qaxis_of(c, x, sc, &q, eb));
    if (zp && interp_elems(zp) != q.n)
        return err(c, eb, "zero point and scale sizes differ");
    float *o;
    TRY(interp_out_uninit(c, 0, DTYPE_F32, x->rank, x->dims, (void **)&o, eb));
    const float *s = sc->data;
    size_t j = 0;
    if ((x->dtype == DTYPE_S8 || x->dtype == DTYPE_U8) && q.block == 0) {
        /* runs of one scale: the whole tensor, or `inner` elements per axis index */
        size_t run = q.n == 1 ? interp_elems(x) : q.inner;
        for (size_t r = 0; r * run < interp_elems(x) && run > 0; r++) {
            size_t k = q.n == 1 ? 0 : r % q.axis_len;
            interp_k_dequantize((const char *)x->data + r * run, x->dtype == DTYPE_S8,
                                o + r * run, run, s[k], zp ? (int32_t)interp_get_i(zp, k) : 0);
        }
        return 0;
    }
    for (size_t a0 = 0; a0 < q.outer; a0++)
        for (size_t a = 0; a < q.axis_len; a++)
            for (size_t i = 0; i < q.inner; i++, j++) {
                size_t k = qidx(&q, a0, a, i);
                int32_t z = zp ? (int32_t)interp_get_i(zp, k) : 0;
                /* ORT: float(int32(x) - zp) * scale */
                o[j] = (float)((int32_t)interp_get_i(x, j) - z) * s[k];
            }
    return 0;
}

static int op_quantize(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    const struct tensor_value *x = c->in[0], *sc = c->in[1];
    const struct tensor_value *zp = interp_in(c, 2);
    if (x->dtype != DTYPE_F32 || sc->dtype != DTYPE_F32)
        return err(c, eb, "only float32 input and scale supported");
    enum dtype t = zp ? zp->dtype : DTYPE_U8;
    int64_t od = node_attr_int(c->node, "output_dtype", 0);
    if (!zp && od)
        t = od == 3 ? DTYPE_S8 : od == 2 ? DTYPE_U8 : od == 5 ? DTYPE_S16 : od == 4 ? DTYPE_U16
            : DTYPE_UNKNOWN;
    if (t != DTYPE_U8 && t != DTYPE_S8 && t != DTYPE_U16 && t != DTYPE_S16)
        return interp_node_error(c->g, c->node, ST_EUNSUPPORTED, eb,
                                 "unsupported output type %s", dtype_name(t));
    struct qaxis q;
    TRY(qaxis_of(c, x, sc, &q, eb));
    if (zp && interp_elems(zp) != q.n)
        return err(c, eb, "zero point and scale sizes differ");
    void *o;
    TRY(interp_out_uninit(c, 0, t, x->rank, x->dims, &o, eb));
    const float *s = sc->data, *p = x->data;
    float lo = (float)qmin_of(t), hi = (float)qmax_of(t);
    size_t j = 0;
    if ((t == DTYPE_S8 || t == DTYPE_U8) && q.block == 0) {
        size_t run = q.n == 1 ? interp_elems(x) : q.inner;
        for (size_t r = 0; r * run < interp_elems(x) && run > 0; r++) {
            size_t k = q.n == 1 ? 0 : r % q.axis_len;
            interp_k_quantize(p + r * run, (char *)o + r * run, t == DTYPE_S8, run, s[k],
                              zp ? (int32_t)interp_get_i(zp, k) : 0);
        }
        return 0;
    }
    for (size_t a0 = 0; a0 < q.outer; a0++)
        for (size_t a = 0; a < q.axis_len; a++)
            for (size_t i = 0; i < q.inner; i++, j++) {
                size_t k = qidx(&q, a0, a, i);
                float z = zp ? (float)interp_get_i(zp, k) : 0.0f;
                /* MLAS: x / scale in float32, round half to even, + zp, saturate */
                float v = nearbyintf(p[j] / s[k]) + z;
                v = v < lo ? lo : v > hi ? hi : v;
                set_i(o, t, j, (int64_t)v);
            }
    return 0;
}

static int op_dynquant(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    if (x->dtype != DTYPE_F32)
        return err(c, eb, "only float32 supported");
    const float *p = x->data;
    size_t n = interp_elems(x);
    float mn = 0.0f, mx = 0.0f;
    for (size_t i = 0; i < n; i++) {
        mn = p[i] < mn ? p[i] : mn;
        mx = p[i] > mx ? p[i] : mx;
    }
    float scale = (mx - mn) / 255.0f;
    float zpf = scale != 0.0f ? nearbyintf(0.0f - mn / scale) : 0.0f;
    zpf = zpf < 0.0f ? 0.0f : zpf > 255.0f ? 255.0f : zpf;
    uint8_t *o;
    float *os;
    uint8_t *oz;
    int64_t none[1] = {0};
    TRY(interp_out(c, 0, DTYPE_U8, x->rank, x->dims, (void **)&o, eb));
    TRY(interp_out(c, 1, DTYPE_F32, 0, none, (void **)&os, eb));
    TRY(interp_out(c, 2, DTYPE_U8, 0, none, (void **)&oz, eb));
    *os = scale;
    *oz = (uint8_t)zpf;
    for (size_t i = 0; i < n; i++) {
        float v = scale != 0.0f ? nearbyintf(p[i] / scale) + zpf : zpf;
        v = v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
        o[i] = (uint8_t)v;
    }
    return 0;
}

/* Zero point vector of a (per-tensor or per-channel) zero-point input, as int32. */
static int zp_vec(struct interp_ctx *c, const struct tensor_value *zp, size_t n, int32_t *out,
                  struct errbuf *eb)
{
    if (!zp) {
        for (size_t i = 0; i < n; i++)
            out[i] = 0;
        return 0;
    }
    size_t m = interp_elems(zp);
    if (m != 1 && m != n)
        return err(c, eb, "zero point size differs from the channels");
    for (size_t i = 0; i < n; i++)
        out[i] = (int32_t)interp_get_i(zp, m == 1 ? 0 : i);
    return 0;
}

static int check_q8(struct interp_ctx *c, const struct tensor_value *v, struct errbuf *eb)
{
    if (v->dtype != DTYPE_U8 && v->dtype != DTYPE_S8)
        return interp_node_error(c->g, c->node, ST_EUNSUPPORTED, eb,
                                 "unsupported type %s (int8/uint8 only)", dtype_name(v->dtype));
    return 0;
}

/*
 * Integer convolution shared by QLinearConv and ConvInteger: acc = sum (x - xzp)(w - wzp)
 * (+ bias), then either stored as int32 (ConvInteger) or requantized.
 */
int interp_int_conv(struct interp_ctx *c, const struct tensor_value *x, int32_t xzp,
                    const struct tensor_value *w, const struct tensor_value *wzp,
                    const struct tensor_value *bias, const struct interp_requant *rq,
                    enum dtype out_t, size_t out_k, bool cacheable, struct errbuf *eb)
{
    TRY(check_q8(c, x, eb));
    TRY(check_q8(c, w, eb));
    struct geom g;
    int64_t groups;
    TRY(conv_geometry(c, x, w, &g, &groups, eb));
    int64_t M = w->dims[0];
    if (bias && (bias->dtype != DTYPE_S32 || (int64_t)interp_elems(bias) != M))
        return err(c, eb, "bias must be int32 with one value per output channel");
    int32_t *wz = mem_alloc((size_t)M * sizeof *wz);
    if (!wz)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    int rc = zp_vec(c, wzp, (size_t)M, wz, eb);
    int64_t d[MAXR];
    out_dims(&g, M, d);
    void *o = NULL;
    if (!rc)
        rc = interp_out(c, out_k, out_t, x->rank, d, &o, eb);
    if (!rc) {
        struct interp_kgeom k;
        fill_kgeom(&g, &k);
        bool wz0 = true;
        for (int64_t i = 0; i < M; i++)
            wz0 &= wz[i] == 0;
        /* the prepared weights can be kept when weights, bias and x_zp are constants: the
           cache is keyed on their data pointers, which constants keep between runs */
        bool w_const = cacheable;
        struct interp_qconv qc = {
            .geom = k, .n = (size_t)g.n, .c = (size_t)g.c, .m = (size_t)M,
            .groups = (size_t)groups, .x = x->data, .x_signed = x->dtype == DTYPE_S8,
            .x_zp = xzp, .w = w->data, .w_signed = w->dtype == DTYPE_S8, .w_zp = wz,
            .bias = bias ? bias->data : NULL, .rq = rq, .out = o,
            .out_signed = out_t == DTYPE_S8,
            .ort_u8s8_pairs = c->opts->ort_avx2_u8s8 && wz0 && rq != NULL &&
                              rq->arith == INTERP_ARITH_ONNX,
            .scratch = c->scratch,
            .cache = w_const ? c->cache : NULL,
        };
        rc = interp_k_conv_q8(&qc, eb);
    }
    mem_free(wz);
    return rc;
}

/* Effective scales x_s * w_s[c] / y_s in float32, as ORT computes them. */
static int ort_scales(struct interp_ctx *c, float xs, const struct tensor_value *ws, float ys,
                      size_t m, float **out, struct errbuf *eb)
{
    size_t n = interp_elems(ws);
    if (n != 1 && n != m)
        return err(c, eb, "weight scale size differs from the output channels");
    float *s = mem_alloc(n * sizeof *s);
    if (!s)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        volatile float t = xs * interp_get_f(ws, i);   /* keep the float32 rounding step */
        s[i] = t / ys;
    }
    *out = s;
    return 0;
}

static int op_qlinearconv(struct interp_ctx *c, struct errbuf *eb)
{
    for (size_t k = 0; k < 8; k++)
        NEED(k);
    const struct tensor_value *x = c->in[0], *w = c->in[3], *y_zp = c->in[7];
    const struct tensor_value *bias = interp_in(c, 8);
    float xs = interp_get_f(c->in[1], 0), ys = interp_get_f(c->in[6], 0);
    if (interp_elems(c->in[1]) != 1 || interp_elems(c->in[2]) != 1 ||
        interp_elems(c->in[6]) != 1 || interp_elems(y_zp) != 1)
        return err(c, eb, "x and y quantization must be per tensor");
    size_t M = w->rank > 0 ? (size_t)w->dims[0] : 0;
    float *sc;
    TRY(ort_scales(c, xs, c->in[4], ys, M, &sc, eb));
    struct interp_requant rq = {
        .arith = INTERP_ARITH_ONNX, .n = interp_elems(c->in[4]), .scale = sc,
        .zp = (int32_t)interp_get_i(y_zp, 0), .qmin = qmin_of(y_zp->dtype),
        .qmax = qmax_of(y_zp->dtype),
    };
    /* prepared weights can be kept when weights, bias and zero points are constants (the
       cache is keyed on their data pointers, which constants keep between runs) */
    bool cacheable = true;
    for (size_t k = 1; k < c->node->n_inputs; k++) {
        int t = c->node->inputs[k];
        if (t >= 0 && !(c->g->tensors[t].flags & TENSOR_CONST))
            cacheable = false;
    }
    int rc = interp_int_conv(c, x, (int32_t)interp_get_i(c->in[2], 0), w, c->in[5], bias, &rq,
                             y_zp->dtype, 0, cacheable, eb);
    mem_free(sc);
    return rc;
}

static int op_convinteger(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    const struct tensor_value *xzp = interp_in(c, 2);
    const struct tensor_value *wzp = interp_in(c, 3);
    if (xzp && interp_elems(xzp) != 1)
        return err(c, eb, "x_zero_point must be a scalar");
    return interp_int_conv(c, c->in[0], xzp ? (int32_t)interp_get_i(xzp, 0) : 0, c->in[1], wzp,
                           NULL, NULL, DTYPE_S32, 0, false, eb);
}

/* Integer matmul for QLinearMatMul / MatMulInteger: acc = sum (a - azp)(b - bzp[col]). */
int interp_int_matmul(struct interp_ctx *c, const struct tensor_value *a, int32_t azp,
                      const struct tensor_value *b, const struct tensor_value *bzp,
                      const struct interp_requant *rq, enum dtype out_t, size_t out_k,
                      bool cacheable, struct errbuf *eb)
{
    TRY(check_q8(c, a, eb));
    TRY(check_q8(c, b, eb));
    struct interp_mm mm;
    int64_t d[MAXR];
    int r;
    if (!interp_k_matmul_shape(a->rank, a->dims, b->rank, b->dims, &mm, &r, d))
        return err(c, eb, "input shapes do not go together");
    int32_t *bz = mem_alloc((mm.n ? mm.n : 1) * sizeof *bz);
    if (!bz)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    int rc = zp_vec(c, bzp, mm.n, bz, eb);
    void *o = NULL;
    if (!rc)
        rc = interp_out(c, out_k, out_t, r, d, &o, eb);
    bool a_s = a->dtype == DTYPE_S8, b_s = b->dtype == DTYPE_S8;
    bool pairs = c->opts->ort_avx2_u8s8 && rq != NULL && rq->arith == INTERP_ARITH_ONNX;
    /* ORT's u8 x s8 pairs (zero b_zp) sum differently: those stay on the plain kernel */
    bool pairs_used = pairs && !a_s && b_s;
    for (size_t j = 0; pairs_used && j < mm.n; j++)
        pairs_used = bz[j] == 0;
    /* a constant 2-D B is packed once and kept in the node's cache slot; a's batch dims and
       rows are then rows of one [rows, k] x [k, n] product */
    if (!rc && cacheable && !pairs_used && b->rank == 2 && mm.k > 0 && mm.n > 0 &&
        interp_k_matmul_q8_packs(a_s, azp)) {
        size_t rows = interp_elems(a) / mm.k;
        struct interp_mmq8_b *p = *c->cache;
        if (!interp_k_matmul_q8_prepared_for(p, b->data, b_s, mm.k, mm.n)) {
            mem_free(*c->cache);
            *c->cache = p = interp_k_matmul_q8_prepare(b->data, b_s, mm.k, mm.n);
        }
        int32_t *ap = interp_kbuf_get(&c->scratch[0], interp_k_matmul_q8_scratch_len(rows, mm.k) *
                                                          sizeof(int32_t));
        if (!p || !ap) {
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        } else {
            interp_k_matmul_q8_packed(p, rows, a->data, a_s, azp, bz, rq, o, out_t == DTYPE_S8,
                                      true, ap);
        }
    } else if (!rc) {
        interp_k_matmul_q8(&mm, a->data, a_s, azp, b->data, b_s, bz, rq, o, out_t == DTYPE_S8,
                           pairs);
    }
    mem_free(bz);
    return rc;
}

/* Node inputs k0 and k1 are constants or omitted (B and its zero point can be cached). */
static bool inputs_const(const struct interp_ctx *c, size_t k0, size_t k1)
{
    size_t ks[2] = {k0, k1};
    for (int i = 0; i < 2; i++) {
        int t = ks[i] < c->node->n_inputs ? c->node->inputs[ks[i]] : -1;
        if (t >= 0 && !(c->g->tensors[t].flags & TENSOR_CONST))
            return false;
    }
    return true;
}

static int op_qlinearmatmul(struct interp_ctx *c, struct errbuf *eb)
{
    for (size_t k = 0; k < 8; k++)
        NEED(k);
    const struct tensor_value *y_zp = c->in[7];
    if (interp_elems(c->in[1]) != 1 || interp_elems(c->in[2]) != 1 ||
        interp_elems(c->in[6]) != 1 || interp_elems(y_zp) != 1)
        return err(c, eb, "a and y quantization must be per tensor");
    const struct tensor_value *b = c->in[3];
    size_t N = b->rank >= 1 ? (size_t)b->dims[b->rank - 1] : 1;
    float *sc;
    TRY(ort_scales(c, interp_get_f(c->in[1], 0), c->in[4], interp_get_f(c->in[6], 0), N, &sc,
                   eb));
    struct interp_requant rq = {
        .arith = INTERP_ARITH_ONNX, .n = interp_elems(c->in[4]), .scale = sc,
        .zp = (int32_t)interp_get_i(y_zp, 0), .qmin = qmin_of(y_zp->dtype),
        .qmax = qmax_of(y_zp->dtype),
    };
    int rc = interp_int_matmul(c, c->in[0], (int32_t)interp_get_i(c->in[2], 0), b, c->in[5], &rq,
                               y_zp->dtype, 0, inputs_const(c, 3, 5), eb);
    mem_free(sc);
    return rc;
}

static int op_matmulinteger(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    NEED(1);
    const struct tensor_value *azp = interp_in(c, 2);
    const struct tensor_value *bzp = interp_in(c, 3);
    if (azp && interp_elems(azp) != 1)
        return interp_node_error(c->g, c->node, ST_EUNSUPPORTED, eb,
                                 "per-row a_zero_point not supported");
    return interp_int_matmul(c, c->in[0], azp ? (int32_t)interp_get_i(azp, 0) : 0, c->in[1], bzp,
                             NULL, DTYPE_S32, 0, inputs_const(c, 1, 3), eb);
}

/* com.microsoft QLinearAdd / QLinearMul, as MLAS's scalar path: float per element. */
static int qlinear_binary(struct interp_ctx *c, bool mul, struct errbuf *eb)
{
    for (size_t k = 0; k < 8; k++)
        if (k != 2 && k != 5)
            NEED(k);
    const struct tensor_value *a = c->in[0], *b = c->in[3];
    const struct tensor_value *czp = interp_in(c, 7);
    TRY(check_q8(c, a, eb));
    if (b->dtype != a->dtype)
        return err(c, eb, "inputs have different types");
    float sa = interp_get_f(c->in[1], 0), sb = interp_get_f(c->in[4], 0);
    float sc = interp_get_f(c->in[6], 0);
    int32_t za = c->in[2] ? (int32_t)interp_get_i(c->in[2], 0) : 0;
    int32_t zb = c->in[5] ? (int32_t)interp_get_i(c->in[5], 0) : 0;
    int32_t zc = czp ? (int32_t)interp_get_i(czp, 0) : 0;
    int rank;
    int64_t d[MAXR];
    if (!interp_broadcast(a->rank, a->dims, b->rank, b->dims, &rank, d))
        return err(c, eb, "input shapes do not broadcast");
    void *o;
    TRY(interp_out(c, 0, a->dtype, rank, d, &o, eb));
    size_t n = interp_elems(&c->out[0]);
    int32_t lo = qmin_of(a->dtype), hi = qmax_of(a->dtype);
    struct interp_bcast it;
    interp_bcast_init(&it, rank, d, a, b);
    for (size_t i = 0; i < n; i++, interp_bcast_next(&it)) {
        float va = sa * (float)((int32_t)interp_get_i(a, (size_t)it.oa) - za);
        float vb = sb * (float)((int32_t)interp_get_i(b, (size_t)it.ob) - zb);
        float r = mul ? va * vb / sc : (va + vb) / sc;
        int32_t q = (int32_t)nearbyintf(r) + zc;
        q = q < lo ? lo : q > hi ? hi : q;
        set_i(o, a->dtype, i, q);
    }
    return 0;
}

static int op_qlinearadd(struct interp_ctx *c, struct errbuf *eb)
{
    return qlinear_binary(c, false, eb);
}

static int op_qlinearmul(struct interp_ctx *c, struct errbuf *eb)
{
    return qlinear_binary(c, true, eb);
}

/*
 * Resize (opsets 10-19) on the two spatial axes of a 4-D NCHW tensor, through ref/'s nearest
 * and bilinear kernels: scales or sizes, coordinate modes half_pixel, pytorch_half_pixel,
 * align_corners, asymmetric; nearest modes round_prefer_floor/ceil, floor, ceil.
 */
static int check_resize(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    const char *mode = node_attr_string(n, "mode", "nearest");
    if (strcmp(mode, "nearest") != 0 && strcmp(mode, "linear") != 0)
        return interp_unsupported_attr(g, n, "mode", mode, eb);
    const char *ct = node_attr_string(n, "coordinate_transformation_mode", "half_pixel");
    if (strcmp(ct, "half_pixel") != 0 && strcmp(ct, "pytorch_half_pixel") != 0 &&
        strcmp(ct, "align_corners") != 0 && strcmp(ct, "asymmetric") != 0)
        return interp_unsupported_attr(g, n, "coordinate_transformation_mode", ct, eb);
    const char *nm = node_attr_string(n, "nearest_mode", "round_prefer_floor");
    if (strcmp(nm, "round_prefer_floor") != 0 && strcmp(nm, "round_prefer_ceil") != 0 &&
        strcmp(nm, "floor") != 0 && strcmp(nm, "ceil") != 0)
        return interp_unsupported_attr(g, n, "nearest_mode", nm, eb);
    if (node_attr_int(n, "antialias", 0) != 0)
        return interp_unsupported_attr(g, n, "antialias", NULL, eb);
    if (node_attr(n, "axes") != NULL)
        return interp_unsupported_attr(g, n, "axes", NULL, eb);
    if (strcmp(node_attr_string(n, "keep_aspect_ratio_policy", "stretch"), "stretch") != 0)
        return interp_unsupported_attr(g, n, "keep_aspect_ratio_policy", NULL, eb);
    if (node_attr_int(n, "exclude_outside", 0) != 0)
        return interp_unsupported_attr(g, n, "exclude_outside", NULL, eb);
    return 0;
}

static int op_resize(struct interp_ctx *c, struct errbuf *eb)
{
    NEED(0);
    const struct tensor_value *x = c->in[0];
    if (x->rank != 4)
        return interp_node_error(c->g, c->node, ST_EUNSUPPORTED, eb,
                                 "unsupported input rank %d (4-D NCHW only)", x->rank);
    bool old = opset(c) < 11;
    const struct tensor_value *scales = old ? interp_in(c, 1) : interp_in(c, 2);
    const struct tensor_value *sizes = old ? NULL : interp_in(c, 3);
    if (scales && interp_elems(scales) == 0)
        scales = NULL;
    if (sizes && interp_elems(sizes) == 0)
        sizes = NULL;
    int64_t d[4];
    float sc[4] = {1, 1, 1, 1};
    if (sizes) {
        if (interp_read_ints(sizes, d, 4) != 4)
            return err(c, eb, "sizes must have 4 values");
        for (int i = 0; i < 4; i++)
            sc[i] = x->dims[i] ? (float)d[i] / (float)x->dims[i] : 1.0f;
    } else if (scales) {
        if (interp_elems(scales) != 4 || scales->dtype != DTYPE_F32)
            return err(c, eb, "scales must be 4 float32 values");
        for (int i = 0; i < 4; i++) {
            sc[i] = interp_get_f(scales, (size_t)i);
            d[i] = (int64_t)floorf((float)x->dims[i] * sc[i]);
        }
    } else {
        return err(c, eb, "neither scales nor sizes given");
    }
    if (d[0] != x->dims[0] || d[1] != x->dims[1])
        return interp_node_error(c->g, c->node, ST_EUNSUPPORTED, eb,
                                 "resizing N or C is not supported");
    const char *mode = node_attr_string(c->node, "mode", "nearest");
    const char *ct = node_attr_string(c->node, "coordinate_transformation_mode",
                                      old ? "asymmetric" : "half_pixel");
    const char *nm = node_attr_string(c->node, "nearest_mode", "round_prefer_floor");
    struct ref_resize_params p = {
        .layout = REF_LAYOUT_NCHW,
        .coord = strcmp(ct, "pytorch_half_pixel") == 0 ? REF_COORD_PYTORCH_HALF_PIXEL
                 : strcmp(ct, "align_corners") == 0    ? REF_COORD_ALIGN_CORNERS
                 : strcmp(ct, "asymmetric") == 0       ? REF_COORD_ASYMMETRIC
                                                       : REF_COORD_HALF_PIXEL,
        .nearest = strcmp(nm, "round_prefer_ceil") == 0 ? REF_NEAREST_ROUND_PREFER_CEIL
                   : strcmp(nm, "floor") == 0           ? REF_NEAREST_FLOOR
                   : strcmp(nm, "ceil") == 0            ? REF_NEAREST_CEIL
                                                        : REF_NEAREST_ROUND_PREFER_FLOOR,
        /* with sizes, ONNX derives the scale from the lengths (ref: <= 0) */
        .scale_h = sizes ? 0.0f : sc[2], .scale_w = sizes ? 0.0f : sc[3],
        .elem_bytes = dtype_bytes(x->dtype),
    };
    void *o;
    TRY(interp_out(c, 0, x->dtype, 4, d, &o, eb));
    struct ref_shape si = {4, {(int32_t)x->dims[0], (int32_t)x->dims[1], (int32_t)x->dims[2],
                               (int32_t)x->dims[3]}};
    struct ref_shape so = {4, {(int32_t)d[0], (int32_t)d[1], (int32_t)d[2], (int32_t)d[3]}};
    int r;
    if (strcmp(mode, "linear") == 0) {
        if (x->dtype != DTYPE_F32)
            return interp_node_error(c->g, c->node, ST_EUNSUPPORTED, eb,
                                     "linear resize of %s", dtype_name(x->dtype));
        r = ref_resize_linear_f32(&p, &si, x->data, &so, o);
    } else {
        r = ref_resize_nearest_any(&p, &si, x->data, &so, o);
    }
    if (r != REF_OK)
        return err(c, eb, "resize parameters out of range");
    return 0;
}

static const struct interp_op onnx_ops[] = {
    {"", "Abs", NULL, op_abs},
    {"", "Add", NULL, op_add},
    {"", "AveragePool", NULL, op_avgpool},
    {"", "BatchNormalization", NULL, op_batchnorm},
    {"", "Cast", NULL, op_cast},
    {"", "Ceil", NULL, op_ceil},
    {"", "Clip", NULL, op_clip},
    {"", "Concat", NULL, op_concat},
    {"", "Conv", NULL, op_conv},
    {"", "ConvInteger", NULL, op_convinteger},
    {"", "ConvTranspose", check_convtranspose, op_convtranspose},
    {"", "DequantizeLinear", NULL, op_dequantize},
    {"", "Div", NULL, op_div},
    {"", "DynamicQuantizeLinear", NULL, op_dynquant},
    {"", "Erf", NULL, op_erf},
    {"", "Exp", NULL, op_exp},
    {"", "Expand", NULL, op_expand},
    {"", "Flatten", NULL, op_flatten},
    {"", "Floor", NULL, op_floor},
    {"", "Gather", NULL, op_gather},
    {"", "Gemm", NULL, op_gemm},
    {"", "GlobalAveragePool", NULL, op_gavgpool},
    {"", "GlobalMaxPool", NULL, op_gmaxpool},
    {"", "HardSigmoid", NULL, op_hsig},
    {"", "HardSwish", NULL, op_hswish},
    {"", "Identity", NULL, op_identity},
    {"", "LeakyRelu", NULL, op_leaky},
    {"", "Log", NULL, op_log},
    {"", "LogSoftmax", NULL, op_logsoftmax},
    {"", "MatMul", NULL, op_matmul},
    {"", "MatMulInteger", NULL, op_matmulinteger},
    {"", "Max", NULL, op_max},
    {"", "MaxPool", check_maxpool, op_maxpool},
    {"", "Mean", NULL, op_mean},
    {"", "Min", NULL, op_min},
    {"", "Mul", NULL, op_mul},
    {"", "Neg", NULL, op_neg},
    {"", "Pad", NULL, op_pad},
    {"", "Pow", NULL, op_pow},
    {"", "QLinearConv", NULL, op_qlinearconv},
    {"", "QLinearMatMul", NULL, op_qlinearmatmul},
    {"", "QuantizeLinear", NULL, op_quantize},
    {"", "Reciprocal", NULL, op_recip},
    {"", "ReduceMax", NULL, op_reduce_max},
    {"", "ReduceMean", NULL, op_reduce_mean},
    {"", "ReduceMin", NULL, op_reduce_min},
    {"", "ReduceSum", NULL, op_reduce_sum},
    {"", "Relu", NULL, op_relu},
    {"", "Resize", check_resize, op_resize},
    {"", "Reshape", NULL, op_reshape},
    {"", "Round", NULL, op_round},
    {"", "Shape", NULL, op_shape},
    {"", "Sigmoid", NULL, op_sigmoid},
    {"", "Slice", NULL, op_slice},
    {"", "Softmax", NULL, op_softmax},
    {"", "Split", NULL, op_split},
    {"", "Sqrt", NULL, op_sqrt},
    {"", "Squeeze", NULL, op_squeeze},
    {"", "Sub", NULL, op_sub},
    {"", "Sum", NULL, op_sum},
    {"", "Tanh", NULL, op_tanh},
    {"", "Transpose", NULL, op_transpose},
    {"", "Unsqueeze", NULL, op_unsqueeze},
    {"", "Where", NULL, op_where},
    {"com.microsoft", "QLinearAdd", NULL, op_qlinearadd},
    {"com.microsoft", "QLinearMul", NULL, op_qlinearmul},
};

const struct interp_op_table interp_ops_onnx = {
    onnx_ops, sizeof onnx_ops / sizeof onnx_ops[0], NULL, 0,
};
