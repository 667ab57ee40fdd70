/*
 * map: ties MLF steps to model layers. Every (layer, step) pair gets a score from the
 * evidence (span names, op class, output shape, identical or permuted constant bytes, and
 * position as a tie-breaker); pairs are taken greedily, best first, one step per layer.
 * Layers left over are folded (views), fused (into a neighbour's C step) or missing.
 */
#include "map.h"

#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "mem.h"
#include "banned.h"

static const char *const status_names[] = {
#define MAP_STATUS_NAME(e, name) name,
    MAP_STATUS_LIST(MAP_STATUS_NAME)
#undef MAP_STATUS_NAME
};
static_assert(sizeof status_names / sizeof status_names[0] == MAP_STATUS_COUNT, "status names");

static const char *const how_names[] = {
#define MAP_HOW_NAME(e, name) name,
    MAP_HOW_LIST(MAP_HOW_NAME)
#undef MAP_HOW_NAME
};
static_assert(sizeof how_names / sizeof how_names[0] == MAP_HOW_COUNT, "how names");

static const char *const class_names[] = {
#define MAP_CLASS_NAME(e, name) name,
    MAP_CLASS_LIST(MAP_CLASS_NAME)
#undef MAP_CLASS_NAME
};
static_assert(sizeof class_names / sizeof class_names[0] == MAP_CLASS_COUNT, "class names");

const char *map_status_name(enum map_status s)
{
    return (unsigned)s < MAP_STATUS_COUNT ? status_names[s] : "?";
}

const char *map_how_name(enum map_how h)
{
    return (unsigned)h < MAP_HOW_COUNT ? how_names[h] : "?";
}

const char *map_class_name(enum map_class c)
{
    return (unsigned)c < MAP_CLASS_COUNT ? class_names[c] : "?";
}

static bool is_one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

enum map_class map_layer_class(const struct graph *g, const struct layer *l)
{
    static const char *const conv[] = {"CONV_2D", "Conv", "QLinearConv", "ConvInteger", NULL};
    static const char *const dw[] = {"DEPTHWISE_CONV_2D", NULL};
    static const char *const fc[] = {"FULLY_CONNECTED", "Gemm", "MatMul", "QLinearMatMul",
                                     "MatMulInteger", "BATCH_MATMUL", NULL};
    static const char *const avg[] = {"AVERAGE_POOL_2D", "AveragePool", "GlobalAveragePool",
                                      "QLinearAveragePool", "QLinearGlobalAveragePool", NULL};
    static const char *const mx[] = {"MAX_POOL_2D", "MaxPool", "GlobalMaxPool", NULL};
    static const char *const sm[] = {"SOFTMAX", "Softmax", "QLinearSoftmax", NULL};
    static const char *const add[] = {"ADD", "Add", "QLinearAdd", "Sum", NULL};
    static const char *const mul[] = {"MUL", "Mul", "QLinearMul", NULL};
    static const char *const view[] = {"RESHAPE", "Reshape", "Flatten", "Squeeze", "Unsqueeze",
                                       "SQUEEZE", "EXPAND_DIMS", "Identity", "Dropout", NULL};
    static const char *const quant[] = {"QUANTIZE", "DEQUANTIZE", "QuantizeLinear",
                                        "DequantizeLinear", NULL};
    const char *op = l->op ? l->op : "";
    if (is_one_of(op, dw))
        return MAP_CLASS_DWCONV;
    if (is_one_of(op, conv)) {
        if (g != NULL && l->main_node >= 0 && (size_t)l->main_node < g->n_nodes) {
            const struct node *n = &g->nodes[l->main_node];
            int64_t group = node_attr_int(n, "group", 1);
            if (group > 1 && n->n_inputs > 0 && n->inputs[0] >= 0) {
                const struct tensor *x = &g->tensors[n->inputs[0]];
                int64_t c = -1;
                if (x->rank == 4)
                    c = x->layout == LAYOUT_NHWC ? x->dims[3] : x->dims[1];
                if (c == group)
                    return MAP_CLASS_DWCONV;
            }
        }
        return MAP_CLASS_CONV;
    }
    if (is_one_of(op, fc))
        return MAP_CLASS_FC;
    if (is_one_of(op, avg))
        return MAP_CLASS_AVGPOOL;
    if (is_one_of(op, mx))
        return MAP_CLASS_MAXPOOL;
    if (is_one_of(op, sm))
        return MAP_CLASS_SOFTMAX;
    if (is_one_of(op, add))
        return MAP_CLASS_ADD;
    if (is_one_of(op, mul))
        return MAP_CLASS_MUL;
    if (is_one_of(op, view))
        return MAP_CLASS_VIEW;
    if (is_one_of(op, quant))
        return MAP_CLASS_QUANT;
    return MAP_CLASS_OTHER;
}

enum map_class map_function_class(const struct mlf_function *f)
{
    if (f == NULL)
        return MAP_CLASS_OTHER;
    for (size_t i = 0; i < f->n_kernels; i++) {
        switch (f->kernels[i].kind) {
        case MLF_K_CONV: return MAP_CLASS_CONV;
        case MLF_K_DWCONV: return MAP_CLASS_DWCONV;
        case MLF_K_FC: return MAP_CLASS_FC;
        case MLF_K_AVGPOOL: return MAP_CLASS_AVGPOOL;
        case MLF_K_MAXPOOL: return MAP_CLASS_MAXPOOL;
        case MLF_K_SOFTMAX: return MAP_CLASS_SOFTMAX;
        case MLF_K_ADD: return MAP_CLASS_ADD;
        case MLF_K_MUL: return MAP_CLASS_MUL;
        case MLF_K_OTHER: break;
        }
    }
    /* TVM names fused C functions after their Relay ops, the anchor op first */
    static const struct { const char *tok; enum map_class cls; } toks[] = {
        {"depthwise", MAP_CLASS_DWCONV}, {"conv2d", MAP_CLASS_CONV}, {"dense", MAP_CLASS_FC},
        {"matmul", MAP_CLASS_FC}, {"avg_pool", MAP_CLASS_AVGPOOL},
        {"adaptive_avg", MAP_CLASS_AVGPOOL}, {"max_pool", MAP_CLASS_MAXPOOL},
        {"softmax", MAP_CLASS_SOFTMAX}, {"reshape", MAP_CLASS_VIEW},
        {"_add", MAP_CLASS_ADD}, {"multiply", MAP_CLASS_MUL}, {"quantize", MAP_CLASS_QUANT},
        {"cast_subtract", MAP_CLASS_QUANT},
    };
    const char *fused = strstr(f->name, "fused_");
    if (fused == NULL)
        return MAP_CLASS_OTHER;
    for (size_t i = 0; i < sizeof toks / sizeof toks[0]; i++)
        if (strstr(fused, toks[i].tok) != NULL)
            return toks[i].cls;
    return MAP_CLASS_OTHER;
}

const char *map_target_name(const struct mlf_function *f)
{
    if (f == NULL || f->target == NULL)
        return "c";
    if (strcmp(f->target, "cmsis_nn") == 0 || strcmp(f->target, "cmsis-nn") == 0)
        return "cmsis-nn";
    if (strcmp(f->target, "ethos_u") == 0)
        return "ethos-u";
    return f->target;
}

void map_init(struct map *mp)
{
    memset(mp, 0, sizeof *mp);
    arena_init(&mp->arena);
}

void map_release(struct map *mp)
{
    arena_release(&mp->arena);
    memset(mp, 0, sizeof *mp);
    arena_init(&mp->arena);
}

/* --- features ------------------------------------------------------------------------ */

struct cref { const void *data; size_t bytes; size_t elem; };   /* a constant's bytes */

struct lfeat {                 /* per layer */
    enum map_class cls;
    size_t elems;              /* output elements, 0 unknown */
    int rank;
    int64_t dims[4];
    struct cref *consts;
    size_t n_consts;
};

struct sfeat {                 /* per step */
    enum map_class cls;
    const struct mlf_function *f;
    size_t elems;              /* output elements from the kernel, 0 unknown */
    struct mlf_dims out;
    struct cref *consts;
    size_t n_consts;
    const char **spans;        /* spans of its partition, the output span first */
    size_t n_spans;
};

static size_t kernel_out_elems(const struct mlf_kernel *k, struct mlf_dims *out)
{
    size_t e2;
    memset(out, 0, sizeof *out);
    if (k->output.set) {
        *out = k->output;
        const int32_t d[4] = {k->output.n, k->output.h, k->output.w, k->output.c};
        size_t e = 1;
        for (int i = 0; i < 4; i++)
            if (d[i] <= 0 || !size_mul(e, (size_t)d[i], &e))
                return 0;
        return e;
    }
    if (k->kind == MLF_K_SOFTMAX && k->num_rows > 0 && k->row_size > 0)
        return size_mul((size_t)k->num_rows, (size_t)k->row_size, &e2) ? e2 : 0;
    if ((k->kind == MLF_K_ADD || k->kind == MLF_K_MUL) && k->block_size > 0)
        return (size_t)k->block_size;
    return 0;
}

static int find_constant(const struct mlf *m, const char *name)
{
    for (size_t i = 0; i < m->n_constants; i++)
        if (strcmp(m->constants[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Constants a step reads: its arguments, then its function's pool lets and named arrays. */
static int step_consts(struct map *mp, size_t si, int **out, size_t *n_out)
{
    const struct mlf *m = mp->m;
    const struct mlf_step *s = &m->steps[si];
    const struct mlf_function *f = s->func >= 0 ? &m->functions[s->func] : NULL;
    size_t cap = s->n_args + (f ? f->n_lets + f->n_uses : 0), n = 0;
    int *list = arena_array(&mp->arena, cap ? cap : 1, sizeof *list);
    if (list == NULL)
        return ST_ENOMEM;
    for (size_t i = 0; i < s->n_args; i++)
        if (s->args[i].constant >= 0)
            list[n++] = s->args[i].constant;
    for (size_t i = 0; f && i < f->n_lets; i++)
        if (f->lets[i].constant >= 0)
            list[n++] = f->lets[i].constant;
    for (size_t i = 0; f && i < f->n_uses; i++) {
        int c = find_constant(m, f->uses[i]);
        if (c >= 0)
            list[n++] = c;
    }
    *out = list;
    *n_out = n;
    return 0;
}

int map_step_params(struct map *mp, size_t step, int kernel, struct map_params *p,
                    struct errbuf *eb)
{
    const struct mlf *m = mp->m;
    memset(p, 0, sizeof *p);
    if (step >= m->n_steps)
        return 0;
    const struct mlf_step *s = &m->steps[step];
    int *consts;
    if (step_consts(mp, step, &consts, &p->n_consts) != 0)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    p->consts = consts;
    const struct mlf_function *f = s->func >= 0 ? &m->functions[s->func] : NULL;
    if (f == NULL || kernel < 0 || (size_t)kernel >= f->n_kernels)
        return 0;
    const struct mlf_kernel *k = &f->kernels[kernel];
    p->kernel = k;
    const struct mlf_constant *c = mlf_step_kernel_const(m, s, k, MLF_KP_FILTER);
    if (c && c->data && (c->dtype == MLF_DT_S8 || c->dtype == MLF_DT_U8)) {
        p->filter = c->data;
        p->filter_bytes = c->bytes;
    }
    c = mlf_step_kernel_const(m, s, k, MLF_KP_BIAS);
    if (c && c->data && c->dtype == MLF_DT_S32) {
        p->bias = c->data;
        p->n_bias = c->count;
    }
    if (k->per_channel) {
        const struct mlf_constant *cm = mlf_step_kernel_const(m, s, k, MLF_KP_MULT);
        const struct mlf_constant *cs = mlf_step_kernel_const(m, s, k, MLF_KP_SHIFT);
        if (cm && cs && cm->data && cs->data && cm->dtype == MLF_DT_S32 &&
            cs->dtype == MLF_DT_S32) {
            p->mult = cm->data;
            p->shift = cs->data;
            p->n_quant = cm->count < cs->count ? cm->count : cs->count;
            if (k->output.set && k->output.c > 0 && (size_t)k->output.c < p->n_quant)
                p->n_quant = (size_t)k->output.c;
        }
    } else if (k->kind == MLF_K_FC || k->kind == MLF_K_SOFTMAX || k->kind == MLF_K_MUL) {
        p->mult = &k->mult;
        p->shift = &k->shift;
        p->n_quant = 1;
    }
    return 0;
}

static void layer_features(const struct graph *g, size_t li, struct lfeat *lf,
                           struct cref *pool, size_t *pool_used)
{
    const struct layer *l = &g->layers[li];
    lf->cls = map_layer_class(g, l);
    lf->rank = -1;
    if (l->n_outputs > 0 && l->outputs[0] >= 0) {
        const struct tensor *t = &g->tensors[l->outputs[0]];
        size_t e;
        if (tensor_elems(t, &e))
            lf->elems = e;
        if (t->rank >= 0 && t->rank <= 4) {
            lf->rank = t->rank;
            for (int d = 0; d < t->rank; d++)
                lf->dims[d] = t->dims[d];
        }
    }
    lf->consts = pool + *pool_used;
    for (size_t i = 0; i < l->n_inputs; i++) {
        if (l->inputs[i] < 0)
            continue;
        const struct tensor *t = &g->tensors[l->inputs[i]];
        if (!(t->flags & TENSOR_CONST) || t->data == NULL || t->data_bytes == 0)
            continue;
        pool[*pool_used].data = t->data;
        pool[*pool_used].bytes = t->data_bytes;
        pool[*pool_used].elem = dtype_bytes(t->dtype);
        (*pool_used)++;
        lf->n_consts++;
    }
}

static bool same_histogram(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t ha[256] = {0}, hb[256] = {0};
    for (size_t i = 0; i < n; i++) {
        ha[a[i]]++;
        hb[b[i]]++;
    }
    return memcmp(ha, hb, sizeof ha) == 0;
}

/* Evidence that the layer's constants are the step's: exact copies, or permuted bytes. */
static double const_score(const struct lfeat *lf, const struct sfeat *sf)
{
    double s = 0;
    for (size_t i = 0; i < lf->n_consts; i++) {
        const struct cref *a = &lf->consts[i];
        if (a->bytes < 8)
            continue;
        for (size_t j = 0; j < sf->n_consts; j++) {
            const struct cref *b = &sf->consts[j];
            if (a->bytes != b->bytes || b->data == NULL)
                continue;
            if (memcmp(a->data, b->data, a->bytes) == 0) {
                s += 20;
                break;
            }
            if (a->elem == 1 && b->elem == 1 && a->bytes >= 16 &&
                same_histogram(a->data, b->data, a->bytes)) {
                s += 10;   /* transposed (OIHW -> OHWI, conv -> depthwise) */
                break;
            }
        }
    }
    return s;
}

static double class_score(enum map_class l, enum map_class s)
{
    if (l == s)
        return l == MAP_CLASS_OTHER ? 4 : 10;
    if ((l == MAP_CLASS_CONV && s == MAP_CLASS_DWCONV) ||
        (l == MAP_CLASS_DWCONV && s == MAP_CLASS_CONV))
        return 6;   /* TVM rewrites a one-input-channel conv as depthwise, and back */
    return -1;
}

static double shape_score(const struct lfeat *lf, const struct sfeat *sf)
{
    if (lf->elems == 0 || sf->elems == 0)
        return 0;
    if (lf->elems != sf->elems)
        return -8;
    double s = 4;
    if (lf->rank == 4 && sf->out.set) {
        const int64_t *d = lf->dims;
        const struct mlf_dims *o = &sf->out;
        if ((d[1] == o->h && d[2] == o->w && d[3] == o->c) ||
            (d[1] == o->c && d[2] == o->h && d[3] == o->w))
            s += 2;
    } else if (lf->rank >= 1 && sf->out.set && lf->dims[lf->rank - 1] == sf->out.c) {
        s += 2;
    }
    return s;
}

/* Whether a span names this layer: its output tensors or its nodes. */
static bool span_names_layer(const struct graph *g, const struct layer *l, const char *span)
{
    for (size_t i = 0; i < l->n_outputs; i++)
        if (l->outputs[i] >= 0 && strcmp(g->tensors[l->outputs[i]].name, span) == 0)
            return true;
    for (size_t i = 0; i < l->n_nodes; i++)
        if (strcmp(g->nodes[l->nodes[i]].name, span) == 0)
            return true;
    return false;
}

static double span_score(const struct graph *g, const struct layer *l, const struct sfeat *sf)
{
    for (size_t i = 0; i < sf->n_spans; i++)
        if (span_names_layer(g, l, sf->spans[i]))
            return i == 0 ? 100 : 20;
    return 0;
}

static const struct mlf_partition *partition_of(const struct mlf *m, const char *fname)
{
    for (size_t i = 0; i < m->n_partitions; i++) {
        const struct mlf_partition *p = &m->partitions[i];
        if ((p->global_symbol && strcmp(p->global_symbol, fname) == 0) ||
            (p->name && strcmp(p->name, fname) == 0))
            return p;
    }
    return NULL;
}

static int step_features(struct map *mp, size_t si, struct sfeat *sf)
{
    const struct mlf *m = mp->m;
    const struct mlf_step *s = &m->steps[si];
    sf->f = s->func >= 0 ? &m->functions[s->func] : NULL;
    sf->cls = map_function_class(sf->f);
    if (sf->f)
        for (size_t k = 0; k < sf->f->n_kernels; k++) {
            if (sf->f->kernels[k].kind == MLF_K_OTHER)
                continue;
            sf->elems = kernel_out_elems(&sf->f->kernels[k], &sf->out);
            break;
        }
    int *ci;
    size_t nc;
    if (step_consts(mp, si, &ci, &nc) != 0)
        return ST_ENOMEM;
    sf->consts = arena_array(&mp->arena, nc ? nc : 1, sizeof *sf->consts);
    if (sf->consts == NULL)
        return ST_ENOMEM;
    for (size_t i = 0; i < nc; i++) {
        const struct mlf_constant *c = &m->constants[ci[i]];
        sf->consts[i].data = c->data;
        sf->consts[i].bytes = c->bytes;
        sf->consts[i].elem = mlf_dtype_bytes(c->dtype);
    }
    sf->n_consts = nc;
    const struct mlf_partition *p = partition_of(m, s->function);
    if (p != NULL && p->n_ops > 0) {
        sf->spans = arena_array(&mp->arena, p->n_ops, sizeof *sf->spans);
        if (sf->spans == NULL)
            return ST_ENOMEM;
        for (size_t i = p->n_ops; i-- > 0;)   /* last op (the output) first */
            if (p->ops[i].span != NULL)
                sf->spans[sf->n_spans++] = p->ops[i].span;
        if (sf->n_spans > 0)
            mp->spans = true;
    }
    return 0;
}

/* --- assignment ---------------------------------------------------------------------- */

struct pair { double score; size_t layer, step; bool span; };

static int pair_cmp(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;
    if (x->score != y->score)
        return x->score > y->score ? -1 : 1;
    if (x->step != y->step)
        return x->step < y->step ? -1 : 1;
    return x->layer < y->layer ? -1 : x->layer > y->layer;
}

static int add_warning(struct map *mp, const char *text)
{
    const char **w = arena_array(&mp->arena, mp->n_warnings + 1, sizeof *w);
    char *t = arena_strdup(&mp->arena, text);
    if (w == NULL || t == NULL)
        return ST_ENOMEM;
    if (mp->n_warnings)
        memcpy(w, mp->warnings, mp->n_warnings * sizeof *w);
    w[mp->n_warnings++] = t;
    mp->warnings = w;
    return 0;
}

static int set_step(struct map *mp, size_t li, size_t si, enum map_how how, double score,
                    struct errbuf *eb)
{
    const struct mlf *m = mp->m;
    const struct mlf_step *s = &m->steps[si];
    struct map_layer *ml = &mp->layers[li];
    ml->status = MAP_STEP;
    ml->how = how;
    ml->step = (int)si;
    ml->func = s->func;
    ml->function = s->function;
    ml->target = mp->steps[si].target;
    ml->score = score;
    ml->kernel = -1;
    ml->fused_into = -1;
    const struct mlf_function *f = s->func >= 0 ? &m->functions[s->func] : NULL;
    for (size_t k = 0; f && k < f->n_kernels; k++)
        if (f->kernels[k].kind != MLF_K_OTHER) {
            ml->kernel = (int)k;
            break;
        }
    if (map_step_params(mp, si, ml->kernel, &ml->params, eb) != 0)
        return ST_ENOMEM;
    /* the output buffer: the kernel's output pointer, else the last non-pool argument */
    int ai = -1;
    if (ml->params.kernel != NULL)
        ai = ml->params.kernel->ptr_param[MLF_KP_OUTPUT];
    if (ai < 0 || (size_t)ai >= s->n_args)
        for (size_t i = s->n_args; i-- > 0;)
            if (s->args[i].kind != MLF_ARG_POOL && s->args[i].kind != MLF_ARG_LITERAL) {
                ai = (int)i;
                break;
            }
    ml->out.kind = MLF_ARG_UNKNOWN;
    ml->out.pool = -1;
    if (ai >= 0 && (size_t)ai < s->n_args) {
        const struct mlf_arg *a = &s->args[ai];
        ml->out.kind = a->kind;
        ml->out.pool = a->kind == MLF_ARG_WORKSPACE ? a->pool : -1;
        ml->out.offset = a->offset;
        ml->out.var = a->var;
        ml->out.bytes = a->kind == MLF_ARG_ALLOC ? a->bytes : 0;
    }
    const struct layer *l = &mp->g->layers[li];
    if (l->n_outputs > 0 && l->outputs[0] >= 0) {
        const struct tensor *t = &mp->g->tensors[l->outputs[0]];
        size_t e;
        if (tensor_elems(t, &e) && dtype_bytes(t->dtype) > 0)
            ml->out.bytes = e * dtype_bytes(t->dtype);
    }
    mp->steps[si].layer = (int)li;
    return 0;
}

static void clear_layer(struct map_layer *ml, enum map_class cls)
{
    memset(ml, 0, sizeof *ml);
    ml->status = MAP_MISSING;
    ml->step = ml->func = ml->kernel = ml->fused_into = -1;
    ml->out.pool = -1;
    ml->cls = cls;
}

/* The Relay op token TVM uses in fused function names for a layer of this class. */
static const char *relay_token(enum map_class c, const char *op)
{
    switch (c) {
    case MAP_CLASS_ADD: return "add";
    case MAP_CLASS_MUL: return "multiply";
    case MAP_CLASS_SOFTMAX: return "softmax";
    case MAP_CLASS_AVGPOOL: return "avg_pool";
    case MAP_CLASS_MAXPOOL: return "max_pool";
    case MAP_CLASS_QUANT: return "quantize";   /* also matches "dequantize" */
    default: break;
    }
    if (op && (strcmp(op, "PAD") == 0 || strcmp(op, "Pad") == 0))
        return "pad";
    if (op && (strcmp(op, "RELU") == 0 || strcmp(op, "RELU6") == 0 || strcmp(op, "Relu") == 0 ||
               strcmp(op, "Clip") == 0))
        return "clip";
    return NULL;
}

static bool is_activation(const char *op)
{
    static const char *const acts[] = {"RELU", "RELU6", "RELU_N1_TO_1", "Relu", "Clip", NULL};
    return op && is_one_of(op, acts);
}

/* The layer that produces tensor t, or -1. */
static int producer_layer(const struct graph *g, int t)
{
    if (t < 0 || g->tensors[t].producer < 0)
        return -1;
    return g->nodes[g->tensors[t].producer].layer;
}

static int add_fused(struct map *mp, size_t si, size_t li)
{
    struct map_step *ms = &mp->steps[si];
    int *f = arena_array(&mp->arena, ms->n_fused + 1, sizeof *f);
    if (f == NULL)
        return ST_ENOMEM;
    if (ms->n_fused)
        memcpy(f, ms->fused, ms->n_fused * sizeof *f);
    f[ms->n_fused++] = (int)li;
    ms->fused = f;
    return 0;
}

/* Layers no step computes: folded views, activations and ops fused into a neighbour. */
static int settle_unmatched(struct map *mp, struct errbuf *eb)
{
    const struct graph *g = mp->g;
    for (size_t li = 0; li < mp->n_layers; li++) {
        struct map_layer *ml = &mp->layers[li];
        if (ml->status != MAP_MISSING || ml->how == MAP_HOW_OVERRIDE)
            continue;
        const struct layer *l = &g->layers[li];
        if (ml->cls == MAP_CLASS_VIEW) {
            ml->status = MAP_FOLDED;
            ml->target = "folded";
            ml->note = "no step computes it: TVM made it an alias of its input buffer";
            continue;
        }
        /* a neighbour's C step whose fused name holds this op (fused_..._add_...) */
        const char *tok = relay_token(ml->cls, l->op);
        int host_p = -1, host_c = -1;
        int prod = l->n_inputs > 0 ? producer_layer(g, l->inputs[0]) : -1;
        if (prod >= 0 && mp->layers[prod].status == MAP_STEP) {
            const struct map_layer *pl = &mp->layers[prod];
            if (is_activation(l->op) ||
                (tok && pl->function && strstr(pl->function, "fused_") &&
                 strstr(pl->function, tok)))
                host_p = prod;
        }
        for (size_t i = 0; host_c < 0 && tok && l->n_outputs > 0 && i < g->n_layers; i++) {
            const struct map_layer *cl = &mp->layers[i];
            if (cl->status != MAP_STEP || cl->function == NULL)
                continue;
            const struct layer *c = &g->layers[i];
            bool consumes = false;
            for (size_t k = 0; k < c->n_inputs; k++)
                consumes = consumes || c->inputs[k] == l->outputs[0];
            if (consumes && strstr(cl->function, "fused_") && strstr(cl->function, tok))
                host_c = (int)i;
        }
        /* a dequantize runs at the start of its consumer's fused function */
        bool dq = strcmp(l->op, "DequantizeLinear") == 0 || strcmp(l->op, "DEQUANTIZE") == 0;
        int host = dq ? (host_c >= 0 ? host_c : host_p) : (host_p >= 0 ? host_p : host_c);
        if (host >= 0) {
            const struct map_layer *hl = &mp->layers[host];
            ml->status = MAP_FUSED;
            ml->fused_into = host;
            ml->step = hl->step;
            ml->func = hl->func;
            ml->function = hl->function;
            ml->target = hl->target;
            ml->note = arena_printf(&mp->arena, "fused into the step of layer %s",
                                    g->layers[host].name);
            if (ml->note == NULL || add_fused(mp, (size_t)hl->step, li) != 0)
                return errbuf_set(eb, ST_ENOMEM, "out of memory");
            continue;
        }
        ml->note = "no MLF step matches its op kind, output shape or constants";
    }
    return 0;
}

/* --- override file ------------------------------------------------------------------- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int find_step_by(const struct mlf *m, const char *key)
{
    char *end;
    long v = strtol(key, &end, 10);
    if (*key && *end == '\0')
        return v >= 0 && (size_t)v < m->n_steps ? (int)v : -1;
    for (size_t i = 0; i < m->n_steps; i++)
        if (strcmp(m->steps[i].function, key) == 0)
            return (int)i;
    return -1;
}

static int apply_override(struct map *mp, const char *path, struct errbuf *eb)
{
    struct filebuf fb;
    int rc = filebuf_open(&fb, path, eb);
    if (rc != 0)
        return rc;
    char *text = mem_alloc(fb.bytes + 1);
    if (text == NULL) {
        filebuf_release(&fb);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    if (fb.bytes)
        memcpy(text, fb.data, fb.bytes);
    text[fb.bytes] = '\0';
    filebuf_release(&fb);
    unsigned line_no = 0;
    char *save = text;
    while (rc == 0 && save != NULL && *save) {
        char *line = save;
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        line_no++;
        line = trim(line);
        if (*line == '\0' || *line == '#')
            continue;
        /* "step KEY LAYER" or "folded LAYER"; KEY is an index or a function name */
        char *sp = line;
        while (*sp && !isspace((unsigned char)*sp))
            sp++;
        if (*sp == '\0') {
            rc = errbuf_set(eb, ST_EPARSE, "%s:%u: expected 'step KEY LAYER' or "
                            "'folded LAYER', found '%s'", path, line_no, line);
            break;
        }
        *sp++ = '\0';
        char *rest = trim(sp);
        int si = -1;
        if (strcmp(line, "step") == 0) {
            char *k = rest;
            while (*rest && !isspace((unsigned char)*rest))
                rest++;
            if (*rest == '\0') {
                rc = errbuf_set(eb, ST_EPARSE, "%s:%u: expected a layer name after the step",
                                path, line_no);
                break;
            }
            *rest++ = '\0';
            rest = trim(rest);
            si = find_step_by(mp->m, k);
            if (si < 0) {
                rc = errbuf_set(eb, ST_EPARSE, "%s:%u: no step '%s' in the MLF (%zu steps)",
                                path, line_no, k, mp->m->n_steps);
                break;
            }
        } else if (strcmp(line, "folded") != 0) {
            rc = errbuf_set(eb, ST_EPARSE, "%s:%u: expected 'step' or 'folded', found '%s'",
                            path, line_no, line);
            break;
        }
        int li = map_find_layer(mp, rest);
        if (li < 0) {
            rc = errbuf_set(eb, ST_EPARSE, "%s:%u: no layer '%s' in the model", path,
                            line_no, rest);
            break;
        }
        struct map_layer *ml = &mp->layers[li];
        if (ml->status == MAP_STEP && ml->step >= 0 && mp->steps[ml->step].layer == li)
            mp->steps[ml->step].layer = -1;
        clear_layer(ml, ml->cls);
        if (si >= 0) {
            int old = mp->steps[si].layer;
            if (old >= 0 && old != li) {
                clear_layer(&mp->layers[old], mp->layers[old].cls);
                mp->layers[old].note = "its step was given to another layer by the map file";
            }
            if ((rc = set_step(mp, (size_t)li, (size_t)si, MAP_HOW_OVERRIDE, 0, eb)) != 0)
                break;
        } else {
            ml->status = MAP_FOLDED;
            ml->target = "folded";
            ml->note = "folded (map file)";
        }
        ml->how = MAP_HOW_OVERRIDE;
    }
    mem_free(text);
    return rc;
}

/* --- entry points -------------------------------------------------------------------- */

int map_find_layer(const struct map *mp, const char *name)
{
    if (mp->g == NULL)
        return -1;
    for (size_t i = 0; i < mp->g->n_layers; i++)
        if (mp->g->layers[i].name && strcmp(mp->g->layers[i].name, name) == 0)
            return (int)i;
    return -1;
}

int map_layer_of_step(const struct map *mp, size_t step)
{
    return step < mp->n_steps ? mp->steps[step].layer : -1;
}

static int build(struct map *mp, const struct map_options *opt, struct errbuf *eb)
{
    const struct graph *g = mp->g;
    const struct mlf *m = mp->m;
    size_t nl = mp->n_layers, ns = mp->n_steps;
    struct sfeat *sf = arena_array(&mp->arena, ns ? ns : 1, sizeof *sf);
    struct lfeat *lf = arena_array(&mp->arena, nl ? nl : 1, sizeof *lf);
    if (sf == NULL || lf == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    memset(sf, 0, (ns ? ns : 1) * sizeof *sf);
    memset(lf, 0, (nl ? nl : 1) * sizeof *lf);
    for (size_t i = 0; i < ns; i++) {
        const struct mlf_step *s = &m->steps[i];
        if (step_features(mp, i, &sf[i]) != 0)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        mp->steps[i].cls = sf[i].cls;
        mp->steps[i].target = map_target_name(s->func >= 0 ? &m->functions[s->func] : NULL);
        mp->steps[i].layer = -1;
    }
    size_t n_cref = 0;
    for (size_t i = 0; i < nl; i++)
        n_cref += g->layers[i].n_inputs;
    struct cref *pool = arena_array(&mp->arena, n_cref ? n_cref : 1, sizeof *pool);
    if (pool == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    size_t used = 0;
    for (size_t i = 0; i < nl; i++) {
        layer_features(g, i, &lf[i], pool, &used);
        clear_layer(&mp->layers[i], lf[i].cls);
    }

    size_t n_pairs = 0, cap;
    if (!size_mul(nl, ns, &cap))
        return errbuf_set(eb, ST_ELIMIT, "%zu layers x %zu steps: too many to align", nl, ns);
    struct pair *pairs = mem_alloc((cap ? cap : 1) * sizeof *pairs);
    if (pairs == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t li = 0; li < nl; li++) {
        for (size_t si = 0; si < ns; si++) {
            double span = span_score(g, &g->layers[li], &sf[si]);
            double cls = class_score(lf[li].cls, sf[si].cls);
            double cs = const_score(&lf[li], &sf[si]);
            if (span == 0 && cls < 0 && cs == 0)
                continue;
            double s = span + (cls > 0 ? cls : -10) + cs + shape_score(&lf[li], &sf[si]);
            double pl = nl > 1 ? (double)li / (double)(nl - 1) : 0;
            double ps = ns > 1 ? (double)si / (double)(ns - 1) : 0;
            s -= 3 * fabs(pl - ps);
            if (s < 8)
                continue;
            pairs[n_pairs++] = (struct pair){s, li, si, span > 0};
        }
    }
    qsort(pairs, n_pairs, sizeof *pairs, pair_cmp);
    int rc = 0;
    for (size_t i = 0; i < n_pairs && rc == 0; i++) {
        const struct pair *p = &pairs[i];
        if (mp->layers[p->layer].status == MAP_STEP || mp->steps[p->step].layer >= 0)
            continue;
        rc = set_step(mp, p->layer, p->step, p->span ? MAP_HOW_SPAN : MAP_HOW_ALIGN, p->score,
                      eb);
    }
    mem_free(pairs);
    if (rc != 0)
        return rc;
    if (opt && opt->override_path && (rc = apply_override(mp, opt->override_path, eb)) != 0)
        return rc;
    if ((rc = settle_unmatched(mp, eb)) != 0)
        return rc;
    for (size_t si = 0; si < ns; si++) {
        if (mp->steps[si].layer >= 0)
            continue;
        char w[512];
        snprintf(w, sizeof w, "step %zu (%s) matches no model layer", si, m->steps[si].function);
        if (add_warning(mp, w) != 0)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    return 0;
}

int map_build(struct map *mp, const struct graph *g, const struct mlf *m,
              const struct map_options *opt, struct errbuf *eb)
{
    map_init(mp);
    mp->g = g;
    mp->m = m;
    mp->n_layers = g ? g->n_layers : 0;
    mp->n_steps = m->n_steps;
    mp->layers = arena_array(&mp->arena, mp->n_layers ? mp->n_layers : 1, sizeof *mp->layers);
    mp->steps = arena_array(&mp->arena, mp->n_steps ? mp->n_steps : 1, sizeof *mp->steps);
    int rc = 0;
    if (mp->layers == NULL || mp->steps == NULL)
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    else {
        memset(mp->steps, 0, (mp->n_steps ? mp->n_steps : 1) * sizeof *mp->steps);
        if (g == NULL) {
            for (size_t i = 0; i < mp->n_steps; i++) {
                const struct mlf_step *s = &m->steps[i];
                const struct mlf_function *f = s->func >= 0 ? &m->functions[s->func] : NULL;
                mp->steps[i].cls = map_function_class(f);
                mp->steps[i].target = map_target_name(f);
                mp->steps[i].layer = -1;
            }
        } else {
            rc = build(mp, opt, eb);
        }
    }
    if (rc != 0)
        map_release(mp);
    return rc;
}
