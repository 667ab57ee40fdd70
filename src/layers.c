/*
 * layers: groups ONNX nodes into layers (QOperator nodes, QDQ groups, single float nodes),
 * reads quantization parameters into tensor.quant, and counts MACs per layer.
 */
#include "layers.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "mem.h"
#include "banned.h"

static bool op_is(const struct node *n, const char *op)
{
    return strcmp(n->op, op) == 0;
}

static bool op_in(const struct node *n, const char *const *ops)
{
    for (; *ops != NULL; ops++)
        if (strcmp(n->op, *ops) == 0)
            return true;
    return false;
}

#define QDQ_MAX_INPUTS 60

static const char *const qop_ops[] = {
    "QLinearConv", "QLinearMatMul", "QLinearAdd", "QLinearMul", "QLinearAveragePool",
    "QLinearGlobalAveragePool", "QLinearConcat", "QLinearSigmoid", "QLinearLeakyRelu",
    "QLinearSoftmax", "QGemm", "ConvInteger", "MatMulInteger", "QLinearReduceMean",
    "QLinearWhere", NULL,
};

static int in_at(const struct node *n, size_t i)
{
    return i < n->n_inputs ? n->inputs[i] : -1;
}

static int out_at(const struct node *n, size_t i)
{
    return i < n->n_outputs ? n->outputs[i] : -1;
}

static bool is_const(const struct graph *g, int ti)
{
    return ti >= 0 && (g->tensors[ti].flags & TENSOR_CONST) != 0;
}

/* ---- quantization parameters ---- */

static bool read_int(const struct tensor *t, size_t i, int32_t *out)
{
    const uint8_t *p = (const uint8_t *)t->data + i * dtype_bytes(t->dtype);
    switch (t->dtype) {
    case DTYPE_U8: *out = p[0]; return true;
    case DTYPE_S8: *out = (int8_t)p[0]; return true;
    case DTYPE_U16: { uint16_t v; memcpy(&v, p, 2); *out = v; return true; }
    case DTYPE_S16: { int16_t v; memcpy(&v, p, 2); *out = v; return true; }
    case DTYPE_S32: { int32_t v; memcpy(&v, p, 4); *out = v; return true; }
    default: return false;
    }
}

/*
 * Sets quant of tensor `ti` from constant scale / zero-point tensors (zp may be -1).
 * Silently skips when the scale is not a float constant (dynamic quantization).
 */
static int set_quant(struct graph *g, const struct node *n, int ti, int scale_ti, int zp_ti,
                     int64_t axis, struct errbuf *eb)
{
    if (ti < 0 || scale_ti < 0 || !is_const(g, scale_ti))
        return 0;
    const struct tensor *s = &g->tensors[scale_ti];
    if (s->dtype != DTYPE_F32 || s->data == NULL)
        return 0;
    size_t count = s->data_bytes / 4;
    if (count == 0)
        return errbuf_set(eb, ST_EPARSE, "%s: node %s: scale '%s' is empty", g->path, n->name,
                          s->name);
    const struct tensor *z = zp_ti >= 0 && is_const(g, zp_ti) ? &g->tensors[zp_ti] : NULL;
    size_t zb = z != NULL ? dtype_bytes(z->dtype) : 0;
    if (z != NULL && (zb == 0 || z->data_bytes / zb != count))
        return errbuf_set(eb, ST_EPARSE, "%s: node %s: zero point '%s' has %zu values, scale "
                          "has %zu", g->path, n->name, z->name, zb ? z->data_bytes / zb : 0,
                          count);
    float *scale = arena_memdup(&g->arena, s->data, count * 4);
    int32_t *zp = arena_array(&g->arena, count, sizeof *zp);
    if (scale == NULL || zp == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t i = 0; i < count; i++) {
        zp[i] = 0;
        if (z != NULL && !read_int(z, i, &zp[i]))
            return errbuf_set(eb, ST_EPARSE, "%s: node %s: zero point '%s' has type %s",
                              g->path, n->name, z->name, dtype_name(z->dtype));
    }
    struct tensor *t = &g->tensors[ti];
    if (count > 1 && axis < 0 && t->rank > 0)
        axis += t->rank;
    t->quant.n = count;
    t->quant.axis = count > 1 ? (int)axis : 0;
    t->quant.scale = scale;
    t->quant.zero_point = zp;
    return 0;
}

/* Bias of QLinearConv: int32 with scale x_scale * w_scale[c] and zero point 0. */
static int set_bias_quant(struct graph *g, int bias, int xs_ti, int ws_ti, struct errbuf *eb)
{
    if (bias < 0 || !is_const(g, xs_ti) || !is_const(g, ws_ti))
        return 0;
    const struct tensor *xs = &g->tensors[xs_ti], *ws = &g->tensors[ws_ti];
    if (xs->dtype != DTYPE_F32 || ws->dtype != DTYPE_F32 || xs->data_bytes != 4 ||
        ws->data_bytes < 4)
        return 0;
    size_t count = ws->data_bytes / 4;
    float *scale = arena_array(&g->arena, count, sizeof *scale);
    int32_t *zp = arena_array(&g->arena, count, sizeof *zp);
    if (scale == NULL || zp == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    float x;
    memcpy(&x, xs->data, 4);
    for (size_t i = 0; i < count; i++) {
        float w;
        memcpy(&w, (const char *)ws->data + 4 * i, 4);
        scale[i] = x * w;
        zp[i] = 0;
    }
    struct tensor *t = &g->tensors[bias];
    t->quant.n = count;
    t->quant.axis = 0;
    t->quant.scale = scale;
    t->quant.zero_point = zp;
    return 0;
}

static int quant_for_node(struct graph *g, const struct node *n, struct errbuf *eb)
{
    int rc = 0;
#define Q(t, s, z, ax) \
    if (rc == 0)       \
        rc = set_quant(g, n, t, in_at(n, s), in_at(n, z), ax, eb)

    if (op_is(n, "QuantizeLinear")) {
        Q(out_at(n, 0), 1, 2, node_attr_int(n, "axis", 1));
    } else if (op_is(n, "DequantizeLinear")) {
        Q(in_at(n, 0), 1, 2, node_attr_int(n, "axis", 1));
    } else if (op_is(n, "QLinearConv") || op_is(n, "QLinearMatMul")) {
        Q(in_at(n, 0), 1, 2, 0);
        /* QLinearConv weights are per output channel (axis 0); QLinearMatMul's b per column. */
        Q(in_at(n, 3), 4, 5, op_is(n, "QLinearConv") ? 0 : 1);
        Q(out_at(n, 0), 6, 7, 0);
        if (rc == 0 && op_is(n, "QLinearConv"))
            rc = set_bias_quant(g, in_at(n, 8), in_at(n, 1), in_at(n, 4), eb);
    } else if (op_is(n, "QLinearAdd") || op_is(n, "QLinearMul")) {
        Q(in_at(n, 0), 1, 2, 0);
        Q(in_at(n, 3), 4, 5, 0);
        Q(out_at(n, 0), 6, 7, 0);
    } else if (op_is(n, "QGemm")) {
        Q(in_at(n, 0), 1, 2, 0);
        /* Per-column B scales run along N: axis 0 of a transposed B, else axis 1. */
        Q(in_at(n, 3), 4, 5, node_attr_int(n, "transB", 0) ? 0 : 1);
        Q(out_at(n, 0), 7, 8, 0);
    } else if (op_is(n, "QLinearAveragePool") || op_is(n, "QLinearGlobalAveragePool") ||
               op_is(n, "QLinearSigmoid") || op_is(n, "QLinearLeakyRelu") ||
               op_is(n, "QLinearSoftmax")) {
        Q(in_at(n, 0), 1, 2, 0);
        Q(out_at(n, 0), 3, 4, 0);
    } else if (op_is(n, "QLinearConcat")) {
        Q(out_at(n, 0), 0, 1, 0);
        for (size_t i = 2; i + 2 < n->n_inputs && rc == 0; i += 3)
            Q(in_at(n, i), i + 1, i + 2, 0);
    }
#undef Q
    return rc;
}

/* ---- QDQ groups ---- */

static bool is_q(const struct graph *g, int node)
{
    return node >= 0 && op_is(&g->nodes[node], "QuantizeLinear");
}

static bool is_dq(const struct graph *g, int node)
{
    return node >= 0 && op_is(&g->nodes[node], "DequantizeLinear");
}

/* The single consumer of tensor ti, or -1 (none, several, or a graph output). */
static int sole_consumer(const struct graph *g, int ti)
{
    const struct tensor *t = &g->tensors[ti];
    if (t->n_consumers != 1 || (t->flags & TENSOR_OUTPUT))
        return -1;
    return t->consumers[0];
}

/*
 * If node c is the compute node of a QDQ group, fills act (Relu/Clip or -1) and q and
 * returns true.
 */
static bool qdq_pattern(const struct graph *g, int c, int *act, int *q)
{
    const struct node *n = &g->nodes[c];
    bool any_dq = false;
    /* form_group keeps its candidates on the stack: very wide nodes stay float layers. */
    if (is_q(g, c) || is_dq(g, c) || op_in(n, qop_ops) || op_is(n, "DynamicQuantizeLinear") ||
        n->n_inputs > QDQ_MAX_INPUTS)
        return false;
    for (size_t i = 0; i < n->n_inputs; i++) {
        int ti = n->inputs[i];
        if (ti < 0)
            continue;
        int p = g->tensors[ti].producer;
        if (is_dq(g, p))
            any_dq = true;
        else if (!is_const(g, ti))
            return false;
    }
    if (!any_dq || n->n_outputs != 1 || n->outputs[0] < 0)
        return false;
    int next = sole_consumer(g, n->outputs[0]);
    *act = -1;
    if (next >= 0 && (op_is(&g->nodes[next], "Relu") || op_is(&g->nodes[next], "Clip")) &&
        g->nodes[next].n_outputs == 1) {
        *act = next;
        next = sole_consumer(g, g->nodes[next].outputs[0]);
    }
    if (!is_q(g, next))
        return false;
    *q = next;
    return true;
}

/* ---- MACs ---- */

static int64_t prod(const struct tensor *t, int from, int to)
{
    int64_t p = 1;
    for (int d = from; d < to; d++) {
        if (t->dims[d] < 0)
            return -1;
        if (t->dims[d] != 0 && p > INT64_MAX / t->dims[d])
            return -1;
        p *= t->dims[d];
    }
    return p;
}

static int64_t mul_sat(int64_t a, int64_t b)
{
    if (a < 0 || b < 0)
        return 0;
    if (a != 0 && b > INT64_MAX / a)
        return INT64_MAX;
    return a * b;
}

static int64_t node_macs(const struct graph *g, const struct node *n)
{
    int x = in_at(n, 0), y = out_at(n, 0);
    int w = -1;
    if (y < 0 || x < 0)
        return 0;
    const struct tensor *ty = &g->tensors[y];
    if (ty->rank < 0)
        return 0;
    if (op_is(n, "Conv") || op_is(n, "ConvInteger"))
        w = in_at(n, 1);
    else if (op_is(n, "QLinearConv"))
        w = in_at(n, 3);
    if (w >= 0) {
        const struct tensor *tw = &g->tensors[w];
        if (tw->rank < 2)
            return 0;
        return mul_sat(prod(ty, 0, ty->rank), prod(tw, 1, tw->rank));
    }
    if (op_is(n, "ConvTranspose") && (w = in_at(n, 1)) >= 0) {
        const struct tensor *tx = &g->tensors[x], *tw = &g->tensors[w];
        if (tx->rank < 0 || tw->rank < 2)
            return 0;
        return mul_sat(prod(tx, 0, tx->rank), prod(tw, 1, tw->rank));
    }
    if (op_is(n, "MatMul") || op_is(n, "MatMulInteger") || op_is(n, "QLinearMatMul")) {
        const struct tensor *ta = &g->tensors[x];
        if (ta->rank < 1)
            return 0;
        return mul_sat(prod(ty, 0, ty->rank), ta->dims[ta->rank - 1]);
    }
    if (op_is(n, "Gemm") || op_is(n, "QGemm")) {
        const struct tensor *ta = &g->tensors[x];
        if (ta->rank != 2)
            return 0;
        int64_t k = ta->dims[node_attr_int(n, "transA", 0) ? 0 : 1];
        return mul_sat(prod(ty, 0, ty->rank), k);
    }
    return 0;
}

/* ---- forming ---- */

struct builder {
    struct graph *g;
    int *group;         /* [n_nodes] compute node of the QDQ group a node belongs to, or -1 */
};

static int add_unique(int *list, size_t *n, int v)
{
    for (size_t i = 0; i < *n; i++)
        if (list[i] == v)
            return 0;
    list[(*n)++] = v;
    return 1;
}

/* Inputs: activations first, then constants; each once. */
static int *layer_inputs(struct graph *g, const int *cand, size_t n_cand, size_t *n_out)
{
    int *tmp = mem_alloc((n_cand + 1) * sizeof *tmp);
    size_t n = 0;
    if (tmp == NULL)
        return NULL;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n_cand; i++)
            if (cand[i] >= 0 && is_const(g, cand[i]) == (pass == 1))
                add_unique(tmp, &n, cand[i]);
    int *list = arena_memdup(&g->arena, tmp, n * sizeof *tmp);
    mem_free(tmp);
    *n_out = n;
    return list;
}

static int make_layer(struct builder *b, int main_node, enum layer_kind kind, const int *members,
                      size_t n_members, const int *in_cand, size_t n_in_cand, int q_node,
                      struct errbuf *eb)
{
    struct graph *g = b->g;
    struct layer *l = &g->layers[g->n_layers];
    const struct node *mn = &g->nodes[main_node];
    const struct node *on = &g->nodes[q_node >= 0 ? q_node : main_node];

    memset(l, 0, sizeof *l);
    l->op = mn->op;
    l->kind = kind;
    l->main_node = main_node;
    l->nodes = arena_memdup(&g->arena, members, n_members * sizeof *members);
    l->n_nodes = n_members;
    l->inputs = layer_inputs(g, in_cand, n_in_cand, &l->n_inputs);
    int *outs = arena_array(&g->arena, on->n_outputs + 1, sizeof *outs);
    if (l->nodes == NULL || l->inputs == NULL || outs == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t i = 0; i < on->n_outputs; i++)
        if (on->outputs[i] >= 0)
            outs[l->n_outputs++] = on->outputs[i];
    l->outputs = outs;
    l->name = l->n_outputs > 0 ? g->tensors[outs[0]].name : mn->name;
    l->macs = node_macs(g, mn);
    for (size_t i = 0; i < n_members; i++)
        g->nodes[members[i]].layer = (int)g->n_layers;
    g->n_layers++;
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int form_group(struct builder *b, int c, struct errbuf *eb)
{
    struct graph *g = b->g;
    const struct node *n = &g->nodes[c];
    int members[QDQ_MAX_INPUTS + 3];
    int cand[QDQ_MAX_INPUTS];
    size_t n_mem = 0, n_cand = 0;
    int act = -1, q = -1;

    qdq_pattern(g, c, &act, &q);
    for (size_t i = 0; i < n->n_inputs; i++) {
        int ti = n->inputs[i];
        if (ti < 0)
            continue;
        int p = g->tensors[ti].producer;
        if (is_dq(g, p)) {
            cand[n_cand++] = in_at(&g->nodes[p], 0);
            if (b->group[p] == c)
                add_unique(members, &n_mem, p);
        } else {
            cand[n_cand++] = ti;
        }
    }
    members[n_mem++] = c;
    if (act >= 0)
        members[n_mem++] = act;
    members[n_mem++] = q;
    qsort(members, n_mem, sizeof *members, cmp_int);
    return make_layer(b, c, LAYER_QDQ, members, n_mem, cand, n_cand, q, eb);
}

int layers_form(struct graph *g, struct errbuf *eb)
{
    struct builder b = {.g = g};
    int rc = 0;
    size_t nn = g->n_nodes;

    g->layers = NULL;
    g->n_layers = 0;
    for (size_t i = 0; i < nn; i++) {
        g->nodes[i].layer = -1;
        if ((rc = quant_for_node(g, &g->nodes[i], eb)) != 0)
            return rc;
    }
    b.group = mem_alloc((nn + 1) * sizeof *b.group);
    g->layers = arena_array(&g->arena, nn + 1, sizeof *g->layers);
    if (b.group == NULL || g->layers == NULL) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nn; i++)
        b.group[i] = -1;
    /* Compute nodes, their activation and output Q. */
    for (size_t i = 0; i < nn; i++) {
        int act, q;
        if (b.group[i] >= 0 || !qdq_pattern(g, (int)i, &act, &q))
            continue;
        if (b.group[q] >= 0 || (act >= 0 && b.group[act] >= 0))
            continue;
        b.group[i] = (int)i;
        b.group[q] = (int)i;
        if (act >= 0)
            b.group[act] = (int)i;
    }
    /*
     * A DequantizeLinear joins a group when every consumer is a group's compute node; a
     * shared one (residual fan-out) goes to the earliest, and later groups still list its
     * quantized input.
     */
    for (size_t i = 0; i < nn; i++) {
        const struct node *n = &g->nodes[i];
        if (!op_is(n, "DequantizeLinear") || b.group[i] >= 0 || out_at(n, 0) < 0)
            continue;
        const struct tensor *t = &g->tensors[n->outputs[0]];
        bool all = t->n_consumers > 0 && !(t->flags & TENSOR_OUTPUT);
        for (size_t k = 0; k < t->n_consumers && all; k++)
            all = b.group[t->consumers[k]] == t->consumers[k];
        if (all)
            b.group[i] = t->consumers[0];
    }
    for (size_t i = 0; i < nn && rc == 0; i++) {
        const struct node *n = &g->nodes[i];
        if (b.group[i] == (int)i)
            rc = form_group(&b, (int)i, eb);
        else if (b.group[i] < 0) {
            int self = (int)i;
            rc = make_layer(&b, self, op_in(n, qop_ops) ? LAYER_QOP : LAYER_FLOAT, &self, 1,
                            n->inputs, n->n_inputs, -1, eb);
        }
    }
out:
    mem_free(b.group);
    if (rc != 0) {
        g->n_layers = 0;
        for (size_t i = 0; i < nn; i++)
            g->nodes[i].layer = -1;
    }
    return rc;
}

const char *layers_quant_format(const struct graph *g)
{
    /* TFLite: every operator is a quantized layer of its own; name the activation dtype. */
    if (g->format == GRAPH_FORMAT_TFLITE) {
        for (size_t i = 0; i < g->n_layers; i++) {
            const struct layer *l = &g->layers[i];
            const struct tensor *t = l->n_outputs > 0 ? &g->tensors[l->outputs[0]] : NULL;
            if (t == NULL || t->quant.n == 0)
                continue;
            return t->dtype == DTYPE_U8    ? "tflite-uint8"
                   : t->dtype == DTYPE_S16 ? "tflite-int16"
                                           : "tflite-int8";
        }
        return "float";
    }
    bool qdq = false, qop = false;
    for (size_t i = 0; i < g->n_layers; i++) {
        qdq = qdq || g->layers[i].kind == LAYER_QDQ;
        qop = qop || g->layers[i].kind == LAYER_QOP;
    }
    return qdq && qop ? "mixed" : qdq ? "qdq" : qop ? "qoperator" : "float";
}
