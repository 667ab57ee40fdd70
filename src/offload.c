/*
 * offload: TVM's CMSIS-NN partitioning rules (python/tvm/relay/op/contrib/cmsisnn.py, up to
 * 0.18) applied to the model graph, the actual outcome from the map, and the hazards the MLF
 * holds (shift range, context-buffer sizes per CMSIS-NN version, metadata sizes, workspace
 * overlaps between live steps).
 */
#include "offload.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "sbuf.h"
#include "banned.h"

static const char *const rule_ids[] = {
#define RULE_ID(e, id, text, fix) id,
    OFFLOAD_RULE_LIST(RULE_ID)
#undef RULE_ID
};
static const char *const rule_texts[] = {
#define RULE_TEXT(e, id, text, fix) text,
    OFFLOAD_RULE_LIST(RULE_TEXT)
#undef RULE_TEXT
};
static const char *const rule_fixes[] = {
#define RULE_FIX(e, id, text, fix) fix,
    OFFLOAD_RULE_LIST(RULE_FIX)
#undef RULE_FIX
};
static_assert(sizeof rule_ids / sizeof rule_ids[0] == OFFLOAD_RULE_COUNT, "rule ids");
static_assert(sizeof rule_texts / sizeof rule_texts[0] == OFFLOAD_RULE_COUNT, "rule texts");
static_assert(sizeof rule_fixes / sizeof rule_fixes[0] == OFFLOAD_RULE_COUNT, "rule fixes");

static const char *const hazard_names[] = {
#define HAZ_NAME(e, name) name,
    OFFLOAD_HAZARD_LIST(HAZ_NAME)
#undef HAZ_NAME
};
static_assert(sizeof hazard_names / sizeof hazard_names[0] == OFFLOAD_HAZARD_COUNT, "hazards");

const char *offload_rule_id(enum offload_rule r)
{
    return (unsigned)r < OFFLOAD_RULE_COUNT ? rule_ids[r] : "?";
}

const char *offload_rule_text(enum offload_rule r)
{
    return (unsigned)r < OFFLOAD_RULE_COUNT ? rule_texts[r] : "?";
}

const char *offload_rule_fix(enum offload_rule r)
{
    return (unsigned)r < OFFLOAD_RULE_COUNT ? rule_fixes[r] : "?";
}

const char *offload_hazard_name(enum offload_hazard_kind k)
{
    return (unsigned)k < OFFLOAD_HAZARD_COUNT ? hazard_names[k] : "?";
}

void offload_init(struct offload_report *r)
{
    memset(r, 0, sizeof *r);
    arena_init(&r->arena);
}

void offload_release(struct offload_report *r)
{
    arena_release(&r->arena);
    offload_init(r);
}

/* --- predictions --------------------------------------------------------------------- */

struct opnd { int x, x2, w, b, y; };   /* tensor indices, -1 none */

/* The integer tensor behind a DequantizeLinear output (QDQ groups), else t itself. */
static int through_dq(const struct graph *g, int t)
{
    if (t < 0 || g->tensors[t].producer < 0)
        return t;
    const struct node *n = &g->nodes[g->tensors[t].producer];
    if (strcmp(n->op, "DequantizeLinear") == 0 && n->n_inputs > 0)
        return n->inputs[0];
    return t;
}

static int in_at(const struct node *n, size_t i)
{
    return i < n->n_inputs ? n->inputs[i] : -1;
}

static struct opnd operands(const struct graph *g, const struct layer *l)
{
    struct opnd o = {-1, -1, -1, -1, -1};
    if (l->main_node < 0)
        return o;
    const struct node *n = &g->nodes[l->main_node];
    o.y = l->n_outputs > 0 ? l->outputs[0] : -1;
    if (strcmp(n->op, "QLinearConv") == 0) {
        o.x = in_at(n, 0);
        o.w = in_at(n, 3);
        o.b = in_at(n, 8);
    } else if (strcmp(n->op, "QLinearMatMul") == 0) {
        o.x = in_at(n, 0);
        o.w = in_at(n, 3);
    } else if (strcmp(n->op, "QLinearAdd") == 0 || strcmp(n->op, "QLinearMul") == 0) {
        o.x = in_at(n, 0);
        o.x2 = in_at(n, 3);
    } else if (l->kind == LAYER_QDQ) {
        o.x = through_dq(g, in_at(n, 0));
        int second = through_dq(g, in_at(n, 1));
        if (second >= 0 && (g->tensors[second].flags & TENSOR_CONST))
            o.w = second;
        else
            o.x2 = second;
        o.b = through_dq(g, in_at(n, 2));
    } else {
        o.x = in_at(n, 0);
        int second = in_at(n, 1);
        if (strcmp(n->op, "ADD") == 0 || strcmp(n->op, "MUL") == 0 ||
            strcmp(n->op, "Add") == 0 || strcmp(n->op, "Mul") == 0)
            o.x2 = second;
        else
            o.w = second;
        o.b = in_at(n, 2);
    }
    return o;
}

static enum dtype dt(const struct graph *g, int t)
{
    return t >= 0 ? g->tensors[t].dtype : DTYPE_UNKNOWN;
}

struct pred {
    struct offload_reason reasons[OFFLOAD_RULE_COUNT];
    size_t n;
    const char *predicted;
};

static int add_reason(struct pred *p, struct arena *a, enum offload_rule rule, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static int add_reason(struct pred *p, struct arena *a, enum offload_rule rule, const char *fmt,
                      ...)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->reasons[i].rule == rule)
            return 0;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *d = arena_strdup(a, buf);
    if (d == NULL)
        return ST_ENOMEM;
    p->reasons[p->n].rule = rule;
    p->reasons[p->n].detail = d;
    p->n++;
    return 0;
}

static bool is_nchw_op(const struct graph *g, const struct layer *l, int x)
{
    if (g->format != GRAPH_FORMAT_ONNX)
        return false;
    (void)l;
    if (x < 0)
        return true;
    const struct tensor *t = &g->tensors[x];
    return t->layout != LAYOUT_NHWC;
}

/* dtypes of a conv / fc: (int8, int8, int32) or (int16, int8, int64). */
static int check_dtypes(struct pred *p, struct arena *a, const struct graph *g,
                        const struct opnd *o)
{
    enum dtype x = dt(g, o->x), w = dt(g, o->w), b = dt(g, o->b), y = dt(g, o->y);
    bool ok8 = x == DTYPE_S8 && w == DTYPE_S8 && (o->b < 0 || b == DTYPE_S32) && y == DTYPE_S8;
    bool ok16 = x == DTYPE_S16 && w == DTYPE_S8 && (o->b < 0 || b == DTYPE_S64) &&
                y == DTYPE_S16;
    if (ok8 || ok16)
        return 0;
    return add_reason(p, a, OFF_DTYPE, "input %s, weights %s, bias %s, output %s",
                      dtype_name(x), dtype_name(w), o->b >= 0 ? dtype_name(b) : "none",
                      dtype_name(y));
}

static int check_weights(struct pred *p, struct arena *a, const struct graph *g,
                         const struct opnd *o)
{
    int rc = 0;
    if (o->w < 0 || !(g->tensors[o->w].flags & TENSOR_CONST))
        rc = add_reason(p, a, OFF_PARAMS_NOT_BOUND, "weights %s are not a constant",
                        o->w >= 0 ? g->tensors[o->w].name : "(none)");
    else if (o->b >= 0 && !(g->tensors[o->b].flags & TENSOR_CONST))
        rc = add_reason(p, a, OFF_PARAMS_NOT_BOUND, "bias %s is not a constant",
                        g->tensors[o->b].name);
    if (rc != 0 || o->w < 0)
        return rc;
    const struct quant *q = &g->tensors[o->w].quant;
    for (size_t i = 0; i < q->n; i++)
        if (q->zero_point && q->zero_point[i] != 0)
            return add_reason(p, a, OFF_WEIGHT_ZP, "weight zero point %d (channel %zu)",
                              (int)q->zero_point[i], i);
    return 0;
}

static int predict(const struct graph *g, size_t li, enum map_class cls, struct pred *p,
                   struct arena *a, const struct pred *preds)
{
    const struct layer *l = &g->layers[li];
    struct opnd o = operands(g, l);
    int rc = 0;
    p->n = 0;
    p->predicted = "cmsis-nn";
    if (cls == MAP_CLASS_VIEW) {
        p->predicted = "folded";
        return 0;
    }
    if (l->kind == LAYER_QDQ)
        rc = add_reason(p, a, OFF_QDQ_UNFOLDED, "%s between DequantizeLinear and "
                        "QuantizeLinear stays float32", l->op);
    else if (l->kind == LAYER_FLOAT && g->format == GRAPH_FORMAT_ONNX &&
             cls != MAP_CLASS_OTHER && cls != MAP_CLASS_QUANT &&
             (dt(g, o.x) == DTYPE_F32 || dt(g, o.x) == DTYPE_F16 || dt(g, o.x) == DTYPE_F64))
        rc = add_reason(p, a, OFF_DTYPE, "float %s (%s)", l->op, dtype_name(dt(g, o.x)));
    if (rc != 0)
        return rc;
    switch (cls) {
    case MAP_CLASS_CONV:
    case MAP_CLASS_DWCONV:
        if (is_nchw_op(g, l, o.x))
            rc = add_reason(p, a, OFF_NCHW, "%s is NCHW", l->op);
        if (rc == 0 && l->kind != LAYER_QDQ && l->kind != LAYER_FLOAT)
            rc = check_dtypes(p, a, g, &o);
        if (rc == 0)
            rc = check_weights(p, a, g, &o);
        if (rc == 0 && cls == MAP_CLASS_DWCONV && o.b < 0)
            rc = add_reason(p, a, OFF_DW_NO_BIAS, "%s has no bias input", l->op);
        break;
    case MAP_CLASS_FC:
        if (l->kind != LAYER_QDQ && l->kind != LAYER_FLOAT)
            rc = check_dtypes(p, a, g, &o);
        if (rc == 0)
            rc = check_weights(p, a, g, &o);
        break;
    case MAP_CLASS_AVGPOOL:
    case MAP_CLASS_MAXPOOL: {
        enum dtype x = dt(g, o.x);
        if (l->kind != LAYER_QDQ && l->kind != LAYER_FLOAT && x != DTYPE_S8 && x != DTYPE_S16)
            rc = add_reason(p, a, OFF_DTYPE, "input %s", dtype_name(x));
        int64_t batch = o.x >= 0 && g->tensors[o.x].rank > 0 ? g->tensors[o.x].dims[0] : -1;
        if (rc == 0 && (is_nchw_op(g, l, o.x) || batch != 1))
            rc = add_reason(p, a, OFF_POOL_SHAPE, "batch %lld, %s", (long long)batch,
                            is_nchw_op(g, l, o.x) ? "NCHW" : "NHWC");
        break;
    }
    case MAP_CLASS_SOFTMAX: {
        enum dtype x = dt(g, o.x);
        if (l->kind != LAYER_QDQ && l->kind != LAYER_FLOAT && x != DTYPE_S8)
            rc = add_reason(p, a, OFF_DTYPE, "input %s", dtype_name(x));
        const struct quant *q = o.y >= 0 ? &g->tensors[o.y].quant : NULL;
        if (rc == 0 && (q == NULL || q->n != 1 || fabs(q->scale[0] - 1.0 / 256) > 1e-9 ||
                        q->zero_point[0] != -128)) {
            if (q && q->n == 1)
                rc = add_reason(p, a, OFF_SOFTMAX_QPARAMS, "output scale %g, zero point %d",
                                (double)q->scale[0], (int)q->zero_point[0]);
            else
                rc = add_reason(p, a, OFF_SOFTMAX_QPARAMS, "output not quantized per tensor");
        }
        break;
    }
    case MAP_CLASS_ADD:
    case MAP_CLASS_MUL: {
        enum dtype x = dt(g, o.x), x2 = dt(g, o.x2), y = dt(g, o.y);
        if (l->kind != LAYER_QDQ && l->kind != LAYER_FLOAT &&
            !((x == DTYPE_S8 && x2 == DTYPE_S8 && y == DTYPE_S8) ||
              (x == DTYPE_S16 && x2 == DTYPE_S16 && y == DTYPE_S16)))
            rc = add_reason(p, a, OFF_DTYPE, "inputs %s, %s, output %s", dtype_name(x),
                            dtype_name(x2), dtype_name(y));
        if (rc == 0 && x == DTYPE_S16) {
            int ts[3] = {o.x, o.x2, o.y};
            for (int i = 0; i < 3 && rc == 0; i++) {
                const struct quant *q = ts[i] >= 0 ? &g->tensors[ts[i]].quant : NULL;
                if (q && q->n > 0 && q->zero_point[0] != 0)
                    rc = add_reason(p, a, OFF_DTYPE, "int16 with zero point %d",
                                    (int)q->zero_point[0]);
            }
        }
        break;
    }
    default:
        /* activations after a conv or dense run inside its CMSIS-NN call (clip) */
        if (l->n_inputs > 0 && l->inputs[0] >= 0 && g->tensors[l->inputs[0]].producer >= 0 &&
            (strcmp(l->op, "RELU") == 0 || strcmp(l->op, "RELU6") == 0 ||
             strcmp(l->op, "Relu") == 0 || strcmp(l->op, "Clip") == 0)) {
            int pl = g->nodes[g->tensors[l->inputs[0]].producer].layer;
            if (pl >= 0 && (size_t)pl < li && preds[pl].n == 0 &&
                strcmp(preds[pl].predicted, "cmsis-nn") == 0)
                return 0;
        }
        rc = add_reason(p, a, OFF_NO_PATTERN, "%s", l->op);
        break;
    }
    if (p->n > 0)
        p->predicted = "c";
    return rc;
}

/* --- hazards ------------------------------------------------------------------------- */

/* a*b*c for kernel dims, 0 when a factor is negative or the product leaves int32 */
static int64_t prod3(int32_t a, int32_t b, int32_t c)
{
    if (a < 0 || b < 0 || c < 0)
        return 0;
    int64_t p = (int64_t)a * b;
    if (p > INT32_MAX)
        return 0;
    p *= c;
    return p > INT32_MAX / 8 ? 0 : p;
}

int32_t offload_context_needed(const struct mlf_kernel *k, int version)
{
    switch (k->kind) {
    case MLF_K_CONV: {
        if (k->s16)
            return 0;
        bool unit = k->dilation.w <= 1 && k->dilation.h <= 1;
        if (unit && k->padding.w == 0 && k->padding.h == 0 && k->input.c % 4 == 0 &&
            k->stride.w == 1 && k->stride.h == 1 && k->filter.w == 1 && k->filter.h == 1)
            return 0;   /* arm_convolve_1x1_s8_fast */
        int64_t col = prod3(k->input.c, k->filter.w, k->filter.h);
        if (unit && k->input.n == 1 && k->input.h == 1 && k->filter.h == 1 &&
            k->output.w % 4 == 0 && k->stride.h == 1 && k->padding.h == 0)
            return (int32_t)(2 * col * 2);   /* arm_convolve_1_x_n_s8 */
        if (version >= 5)
            col = (col + 3) & ~(int64_t)3;   /* newer arm_convolve_s8 pads im2col rows to 4 */
        return (int32_t)(2 * col * 2);
    }
    case MLF_K_DWCONV:
        if (k->s16)
            return 0;
        /* the 3x3 fast path (padding <= 1) uses no buffer */
        if (k->filter.w == 3 && k->filter.h == 3 && k->padding.w <= 1 && k->padding.h <= 1)
            return 0;
        if (k->input.c == k->output.c && k->input.n == 1 && k->dilation.w <= 1 &&
            k->dilation.h <= 1)
            return (int32_t)(prod3(k->input.c, k->filter.w, k->filter.h) * 2);
        return 0;
    case MLF_K_AVGPOOL:
        return k->s16 || k->input.c < 0 || k->input.c > INT32_MAX / 8 ? 0 : k->input.c * 4;
    default:
        return 0;
    }
}

static int add_hazard(struct offload_report *r, size_t *cap, const struct offload_hazard *h)
{
    if (r->n_hazards == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct offload_hazard *n = arena_array(&r->arena, nc, sizeof *n);
        if (n == NULL)
            return ST_ENOMEM;
        if (r->n_hazards)
            memcpy(n, r->hazards, r->n_hazards * sizeof *n);
        r->hazards = n;
        *cap = nc;
    }
    r->hazards[r->n_hazards++] = *h;
    return 0;
}

static void hazard_at(struct offload_hazard *h, const struct map *mp, size_t si,
                      enum offload_hazard_kind kind)
{
    memset(h, 0, sizeof *h);
    h->kind = kind;
    h->step = (int)si;
    h->function = mp->m->steps[si].function;
    h->layer = map_layer_of_step(mp, si);
    h->layer_name = h->layer >= 0 ? mp->g->layers[h->layer].name : NULL;
}

static int shift_hazards(struct offload_report *r, size_t *cap, const struct map *mp,
                         struct map *scratch, struct errbuf *eb)
{
    const struct mlf *m = mp->m;
    for (size_t si = 0; si < m->n_steps; si++) {
        const struct mlf_step *s = &m->steps[si];
        if (s->func < 0)
            continue;
        const struct mlf_function *f = &m->functions[s->func];
        for (size_t ki = 0; ki < f->n_kernels; ki++) {
            struct map_params p;
            if (map_step_params(scratch, si, (int)ki, &p, eb) != 0)
                return ST_ENOMEM;
            const struct mlf_kernel *k = &f->kernels[ki];
            int32_t extra[3];
            size_t n_extra = 0;
            if (k->kind == MLF_K_ADD || k->kind == MLF_K_MUL) {
                extra[n_extra++] = k->in1_shift;
                extra[n_extra++] = k->in2_shift;
                extra[n_extra++] = k->out_shift;
            }
            size_t n_bad = 0;
            for (size_t c = 0; c < p.n_quant; c++)
                n_bad += p.shift[c] < -31;
            for (size_t c = 0; c < n_extra; c++)
                n_bad += extra[c] < -31;
            if (n_bad == 0)
                continue;
            int *ch = arena_array(&r->arena, n_bad, sizeof *ch);
            struct sbuf sb;
            sbuf_init(&sb);
            if (ch == NULL) {
                sbuf_release(&sb);
                return ST_ENOMEM;
            }
            size_t j = 0;
            sbuf_printf(&sb, "%s: shifts below -31 (channel:shift)", k->name);
            for (size_t c = 0; c < p.n_quant; c++)
                if (p.shift[c] < -31) {
                    ch[j++] = (int)c;
                    sbuf_printf(&sb, " %zu:%d", c, (int)p.shift[c]);
                }
            for (size_t c = 0; c < n_extra; c++)
                if (extra[c] < -31) {
                    ch[j++] = -1;
                    sbuf_printf(&sb, " %s:%d", c == 0 ? "in1" : c == 1 ? "in2" : "out",
                                (int)extra[c]);
                }
            sbuf_add(&sb, "; undefined in C: Arm saturates, x86 masks the shift count");
            struct offload_hazard h;
            hazard_at(&h, mp, si, HAZ_SHIFT);
            h.n_channels = j;
            h.channels = ch;
            h.detail = sbuf_failed(&sb) ? NULL : arena_strdup(&r->arena, sbuf_str(&sb));
            sbuf_release(&sb);
            if (h.detail == NULL || add_hazard(r, cap, &h) != 0)
                return ST_ENOMEM;
        }
    }
    return 0;
}

static int context_hazards(struct offload_report *r, size_t *cap, const struct map *mp,
                           int version)
{
    const struct mlf *m = mp->m;
    for (size_t si = 0; si < m->n_steps; si++) {
        const struct mlf_step *s = &m->steps[si];
        if (s->func < 0)
            continue;
        const struct mlf_function *f = &m->functions[s->func];
        for (size_t ki = 0; ki < f->n_kernels; ki++) {
            const struct mlf_kernel *k = &f->kernels[ki];
            int32_t need = offload_context_needed(k, version);
            size_t have = k->ctx_null ? 0 : k->ctx_bytes;
            if (need <= 0 || have >= (size_t)need)
                continue;
            struct offload_hazard h;
            hazard_at(&h, mp, si, HAZ_CONTEXT);
            h.detail = arena_printf(&r->arena, "%s: context buffer %zu bytes, CMSIS-NN v%d "
                                    "needs %d: the kernel writes past it", k->name, have,
                                    version, (int)need);
            if (h.detail == NULL || add_hazard(r, cap, &h) != 0)
                return ST_ENOMEM;
        }
    }
    return 0;
}

static int meta_hazard(struct offload_report *r, size_t *cap, const char *detail)
{
    struct offload_hazard h;
    memset(&h, 0, sizeof h);
    h.kind = HAZ_METADATA;
    h.step = h.layer = -1;
    h.detail = arena_strdup(&r->arena, detail);
    return h.detail == NULL ? ST_ENOMEM : add_hazard(r, cap, &h);
}

static int metadata_hazards(struct offload_report *r, size_t *cap, const struct mlf *m)
{
    char d[256];
    const struct mlf_pool *ws = NULL, *cs = NULL;
    for (size_t i = 0; i < m->n_pools; i++) {
        if (m->pools[i].is_const && cs == NULL)
            cs = &m->pools[i];
        else if (!m->pools[i].is_const && ws == NULL)
            ws = &m->pools[i];
    }
    long long mw = m->meta.workspace_bytes;
    if (mw >= 0 && ws != NULL && (long long)ws->bytes != mw) {
        snprintf(d, sizeof d, "metadata.json workspace_size_bytes %lld, %s[%zu] in %s", mw,
                 ws->name, ws->bytes, ws->file ? ws->file : "the C");
        if (meta_hazard(r, cap, d) != 0)
            return ST_ENOMEM;
    }
    if (mw >= 0 && m->header_workspace_bytes >= 0 && m->header_workspace_bytes != mw) {
        snprintf(d, sizeof d, "metadata.json workspace_size_bytes %lld, header "
                 "WORKSPACE_SIZE %lld", mw, m->header_workspace_bytes);
        if (meta_hazard(r, cap, d) != 0)
            return ST_ENOMEM;
    }
    long long mc = m->meta.constants_bytes;
    if (mc > 0 && cs != NULL && (long long)cs->bytes != mc) {
        snprintf(d, sizeof d, "metadata.json constants_size_bytes %lld, %s of total size %zu",
                 mc, cs->name, cs->bytes);
        if (meta_hazard(r, cap, d) != 0)
            return ST_ENOMEM;
    }
    for (size_t i = 0; i < m->n_functions; i++) {
        const struct mlf_function *f = &m->functions[i];
        for (size_t k = 0; k < f->n_kernels; k++) {
            const struct mlf_kernel *kk = &f->kernels[k];
            if (kk->ctx_pool < 0 || (size_t)kk->ctx_pool >= m->n_pools || kk->ctx_null)
                continue;
            const struct mlf_pool *p = &m->pools[kk->ctx_pool];
            if (kk->ctx_offset > p->bytes || kk->ctx_bytes > p->bytes - kk->ctx_offset) {
                snprintf(d, sizeof d, "%s: context buffer at %zu + %zu bytes ends past %s[%zu]",
                         f->name, kk->ctx_offset, kk->ctx_bytes, p->name, p->bytes);
                if (meta_hazard(r, cap, d) != 0)
                    return ST_ENOMEM;
            }
        }
    }
    return 0;
}

/* A range of a workspace pool a step reads or writes. */
struct region { int pool; size_t off, bytes; size_t step; int role; };   /* role 0 in 1 out 2 ctx */

static size_t dims_bytes(const struct mlf_dims *d, bool s16)
{
    if (!d->set || d->n <= 0 || d->h <= 0 || d->w <= 0 || d->c <= 0)
        return 0;
    return (size_t)d->n * (size_t)d->h * (size_t)d->w * (size_t)d->c * (s16 ? 2 : 1);
}

static size_t tensor_bytes(const struct graph *g, int t)
{
    size_t e;
    if (t < 0 || !tensor_elems(&g->tensors[t], &e))
        return 0;
    return e * dtype_bytes(g->tensors[t].dtype);
}

/* Regions of one step: kernel pointers with kernel dims, else arguments with layer sizes. */
static size_t step_regions(const struct map *mp, size_t si, struct region *out, size_t cap)
{
    const struct mlf *m = mp->m;
    const struct mlf_step *s = &m->steps[si];
    const struct mlf_function *f = s->func >= 0 ? &m->functions[s->func] : NULL;
    size_t n = 0;
    const struct mlf_kernel *k = NULL;
    for (size_t i = 0; f && i < f->n_kernels; i++)
        if (f->kernels[i].kind != MLF_K_OTHER) {
            k = &f->kernels[i];
            break;
        }
    if (k != NULL) {
        static const enum mlf_kptr ptrs[] = {MLF_KP_INPUT, MLF_KP_INPUT2, MLF_KP_OUTPUT};
        for (size_t i = 0; i < 3 && n < cap; i++) {
            int pi = k->ptr_param[ptrs[i]];
            if (pi < 0 || (size_t)pi >= s->n_args || s->args[pi].kind != MLF_ARG_WORKSPACE)
                continue;
            size_t bytes = ptrs[i] == MLF_KP_OUTPUT ? dims_bytes(&k->output, k->s16)
                                                    : dims_bytes(&k->input, k->s16);
            if ((k->kind == MLF_K_ADD || k->kind == MLF_K_MUL) && k->block_size > 0)
                bytes = (size_t)k->block_size * (k->s16 ? 2 : 1);
            if (k->kind == MLF_K_SOFTMAX && k->num_rows > 0 && k->row_size > 0)
                bytes = (size_t)k->num_rows * (size_t)k->row_size;
            if (k->kind == MLF_K_FC && ptrs[i] == MLF_KP_INPUT && k->filter.set)
                bytes = (size_t)(k->input.n > 0 ? k->input.n : 1) * (size_t)k->filter.n;
            if (bytes == 0)
                continue;
            out[n++] = (struct region){s->args[pi].pool, s->args[pi].offset, bytes, si,
                                       ptrs[i] == MLF_KP_OUTPUT ? 1 : 0};
        }
        if (!k->ctx_null && k->ctx_pool >= 0 && k->ctx_bytes > 0 && n < cap)
            out[n++] = (struct region){k->ctx_pool, k->ctx_offset, k->ctx_bytes, si, 2};
        return n;
    }
    /* a C step: workspace arguments are inputs in order, then the output */
    int li = map_layer_of_step(mp, si);
    if (li < 0)
        return 0;
    const struct graph *g = mp->g;
    const struct layer *l = &g->layers[li];
    size_t n_ws = 0;
    for (size_t i = 0; i < s->n_args; i++)
        n_ws += s->args[i].kind == MLF_ARG_WORKSPACE || s->args[i].kind == MLF_ARG_INPUT ||
                s->args[i].kind == MLF_ARG_OUTPUT;
    size_t act = 0;
    for (size_t i = 0, seen = 0; i < s->n_args && n < cap; i++) {
        const struct mlf_arg *a = &s->args[i];
        if (a->kind != MLF_ARG_WORKSPACE && a->kind != MLF_ARG_INPUT && a->kind != MLF_ARG_OUTPUT)
            continue;
        bool is_out = ++seen == n_ws;
        size_t bytes = 0;
        if (is_out) {
            bytes = tensor_bytes(g, l->n_outputs ? l->outputs[0] : -1);
        } else {
            while (act < l->n_inputs && l->inputs[act] >= 0 &&
                   (g->tensors[l->inputs[act]].flags & TENSOR_CONST))
                act++;
            if (act < l->n_inputs)
                bytes = tensor_bytes(g, l->inputs[act++]);
        }
        if (a->kind == MLF_ARG_WORKSPACE && bytes > 0)
            out[n++] = (struct region){a->pool, a->offset, bytes, si, is_out ? 1 : 0};
    }
    return n;
}

static bool overlaps(const struct region *a, const struct region *b)
{
    return a->pool == b->pool && a->off < b->off + b->bytes && b->off < a->off + a->bytes;
}

static int overlap_hazards(struct offload_report *r, size_t *cap, const struct map *mp)
{
    const struct mlf *m = mp->m;
    size_t n_all = 0, cap_all = 0;
    struct region *all = NULL;
    for (size_t si = 0; si < m->n_steps; si++) {
        if (!mem_grow((void **)&all, &cap_all, n_all + 8, sizeof *all)) {
            mem_free(all);
            return ST_ENOMEM;
        }
        n_all += step_regions(mp, si, all + n_all, 8);
    }
    int rc = 0;
    /*
     * A buffer lives from the step that writes it to the last step that reads it before
     * another step writes the same (pool, offset) again (reaching definitions).
     */
    for (size_t i = 0; i < n_all && rc == 0; i++) {
        const struct region *w = &all[i];
        if (w->role != 1)
            continue;
        size_t last = w->step, redefined = SIZE_MAX;
        for (size_t j = 0; j < n_all; j++)
            if (all[j].role == 1 && all[j].step > w->step && all[j].pool == w->pool &&
                all[j].off == w->off && all[j].step < redefined)
                redefined = all[j].step;
        for (size_t j = 0; j < n_all; j++)
            if (all[j].role == 0 && all[j].step > w->step && all[j].step <= redefined &&
                all[j].pool == w->pool && all[j].off == w->off && all[j].step > last)
                last = all[j].step;
        for (size_t j = 0; j < n_all && rc == 0; j++) {
            const struct region *o = &all[j];
            if (o->role == 0 || o->step <= w->step || o->step > last || !overlaps(w, o))
                continue;
            /* the last reader writing its output over its input: elementwise in place */
            if (o->role == 1 && o->step == last) {
                const struct mlf_step *os = &m->steps[o->step];
                const struct mlf_function *f = os->func >= 0 ? &m->functions[os->func] : NULL;
                bool elementwise = f && f->n_kernels &&
                                   (f->kernels[0].kind == MLF_K_ADD ||
                                    f->kernels[0].kind == MLF_K_MUL ||
                                    f->kernels[0].kind == MLF_K_SOFTMAX);
                bool has_kernel = false;
                for (size_t k = 0; f && k < f->n_kernels; k++)
                    has_kernel = has_kernel || f->kernels[k].kind != MLF_K_OTHER;
                /* TVM's own C loops: USMP placed them in place on purpose */
                if ((elementwise && o->off == w->off) || !has_kernel)
                    continue;
            }
            struct offload_hazard h;
            hazard_at(&h, mp, o->step, HAZ_OVERLAP);
            h.detail = arena_printf(&r->arena, "its %s [%zu, %zu) overlaps [%zu, %zu), the "
                                    "output of step %zu (%s), still read by step %zu",
                                    o->role == 2 ? "context buffer" : "output", o->off,
                                    o->off + o->bytes, w->off, w->off + w->bytes, w->step,
                                    m->steps[w->step].function, last);
            if (h.detail == NULL || add_hazard(r, cap, &h) != 0)
                rc = ST_ENOMEM;
        }
    }
    mem_free(all);
    return rc;
}

/* --- report -------------------------------------------------------------------------- */

static int count_target(struct offload_report *r, size_t *cap, const char *target,
                        int64_t macs)
{
    for (size_t i = 0; i < r->n_targets; i++)
        if (strcmp(r->targets[i].target, target) == 0) {
            r->targets[i].layers++;
            r->targets[i].macs += macs;
            return 0;
        }
    if (r->n_targets == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        struct offload_target_count *n = arena_array(&r->arena, nc, sizeof *n);
        if (n == NULL)
            return ST_ENOMEM;
        if (r->n_targets)
            memcpy(n, r->targets, r->n_targets * sizeof *n);
        r->targets = n;
        *cap = nc;
    }
    r->targets[r->n_targets++] = (struct offload_target_count){target, 1, macs};
    return 0;
}

static const char *kernel_of_step(const struct mlf *m, int step)
{
    if (step < 0 || m->steps[step].func < 0)
        return NULL;
    const struct mlf_function *f = &m->functions[m->steps[step].func];
    for (size_t i = 0; i < f->n_kernels; i++)
        if (f->kernels[i].kind != MLF_K_OTHER)
            return f->kernels[i].name;
    return f->n_kernels ? f->kernels[0].name : NULL;
}

static int analyse(struct offload_report *r, const struct graph *g, const struct map *mp,
                   const struct offload_options *opt, struct errbuf *eb)
{
    const struct mlf *m = mp ? mp->m : NULL;
    size_t tcap = 0, hcap = 0;
    r->has_model = g != NULL;
    r->has_mlf = m != NULL;
    r->n_rows = g ? g->n_layers : m->n_steps;
    r->rows = arena_array(&r->arena, r->n_rows ? r->n_rows : 1, sizeof *r->rows);
    struct pred *preds = mem_calloc(g && g->n_layers ? g->n_layers : 1, sizeof *preds);
    if (r->rows == NULL || preds == NULL) {
        mem_free(preds);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    memset(r->rows, 0, (r->n_rows ? r->n_rows : 1) * sizeof *r->rows);
    int rc = 0;
    bool any_cmsis = false;
    for (size_t i = 0; mp && i < mp->n_steps; i++)
        any_cmsis = any_cmsis || strcmp(mp->steps[i].target, "cmsis-nn") == 0;
    for (size_t i = 0; i < r->n_rows && rc == 0; i++) {
        struct offload_row *row = &r->rows[i];
        row->status = MAP_MISSING;
        if (g == NULL) {
            const struct mlf_step *s = &m->steps[i];
            row->layer = -1;
            row->step = (int)i;
            row->name = s->function;
            row->function = s->function;
            row->kernel = kernel_of_step(m, (int)i);
            row->op = row->kernel ? row->kernel : map_class_name(mp->steps[i].cls);
            row->target = mp->steps[i].target;
            row->status = MAP_STEP;
        } else {
            const struct layer *l = &g->layers[i];
            enum map_class cls = map_layer_class(g, l);
            row->layer = (int)i;
            row->step = -1;
            row->name = l->name;
            row->op = l->op;
            row->macs = l->macs;
            if ((rc = predict(g, i, cls, &preds[i], &r->arena, preds)) != 0)
                break;
            row->predicted = preds[i].predicted;
            if (mp != NULL) {
                const struct map_layer *ml = &mp->layers[i];
                row->status = ml->status;
                row->step = ml->step;
                row->function = ml->function;
                row->target = ml->target;
                row->kernel = ml->status == MAP_STEP ? kernel_of_step(m, ml->step) : NULL;
            }
            struct pred *p = &preds[i];
            bool offloaded = row->target ? strcmp(row->target, "cmsis-nn") == 0
                                         : strcmp(p->predicted, "cmsis-nn") == 0;
            struct pred shown = {.n = 0};
            if (!offloaded)
                shown = *p;
            if (row->target && strcmp(row->target, "folded") != 0 &&
                (strcmp(row->target, "cmsis-nn") == 0 || strcmp(row->target, "c") == 0) &&
                (strcmp(row->target, "cmsis-nn") == 0) != (strcmp(p->predicted, "cmsis-nn") == 0)) {
                rc = add_reason(&shown, &r->arena, OFF_MISMATCH, "predicted %s, the MLF runs it "
                                "in %s%s", p->predicted, row->target,
                                any_cmsis ? "" : " (the MLF has no CMSIS-NN function at all: "
                                "the build did not partition for CMSIS-NN)");
                r->n_mismatches++;
            }
            if (rc == 0 && shown.n > 0) {
                row->reasons = arena_memdup(&r->arena, shown.reasons,
                                            shown.n * sizeof *row->reasons);
                row->n_reasons = shown.n;
                if (row->reasons == NULL)
                    rc = ST_ENOMEM;
            }
        }
        const char *t = row->target ? row->target
                        : (mp == NULL && row->predicted) ? row->predicted : "missing";
        if (rc == 0)
            rc = count_target(r, &tcap, t, row->macs);
        if (strcmp(t, "cmsis-nn") == 0)
            r->macs_cmsis += row->macs;
        else if (strcmp(t, "c") == 0)
            r->macs_c += row->macs;
    }
    mem_free(preds);
    if (rc != 0)
        return errbuf_set(eb, rc, "out of memory");
    if (m == NULL)
        return 0;
    struct map scratch;
    map_init(&scratch);
    scratch.m = m;
    scratch.g = g;
    rc = shift_hazards(r, &hcap, mp, &scratch, eb);
    map_release(&scratch);
    if (rc == 0)
        rc = context_hazards(r, &hcap, mp, opt && opt->cmsis_nn_version > 0
                                                ? opt->cmsis_nn_version : 4);
    if (rc == 0)
        rc = metadata_hazards(r, &hcap, m);
    if (rc == 0)
        rc = overlap_hazards(r, &hcap, mp);
    if (rc != 0)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    return 0;
}

int offload_analyse(struct offload_report *r, const struct graph *g, const struct map *mp,
                    const struct offload_options *opt, struct errbuf *eb)
{
    if (g == NULL && mp == NULL)
        return errbuf_set(eb, ST_EINVAL, "offload_analyse: neither a model nor an MLF");
    int rc = analyse(r, g, mp, opt, eb);
    if (rc != 0)
        offload_release(r);
    return rc;
}
