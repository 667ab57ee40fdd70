/*
 * The interpreter behind `diff MODEL`: a full reference run as a trace, and one layer run
 * alone. A layer runs alone as a small graph of its own: its member nodes (plus any
 * DequantizeLinear it shares with another layer), its activations as graph inputs, its
 * outputs as graph outputs, constants borrowed from the model. The interpreter then plans
 * it exactly as inside the whole model.
 */
#include "diff_model.h"

#include <string.h>

#include "layers.h"
#include "mem.h"
#include "banned.h"

/* ---- the full run --------------------------------------------------------------------- */

struct collect {
    const struct graph *g;
    struct trace *t;
};

static int on_value(void *user, const struct interp_event *ev, struct errbuf *eb)
{
    struct collect *c = user;
    const struct graph *g = c->g;
    const char *layer = ev->layer >= 0 ? g->layers[ev->layer].name : NULL;
    const char *op = ev->layer >= 0 ? g->layers[ev->layer].op
                     : ev->node >= 0 ? g->nodes[ev->node].op : NULL;
    struct trace_entry e = {.name = g->tensors[ev->tensor].name, .layer = layer, .op = op,
                            .index = (int64_t)c->t->n_entries, .step = -1, .value = *ev->value,
                            .status = TRACE_OK};
    return trace_add(c->t, &e, eb);
}

int diff_model_trace(const struct diff_model *m, const struct interp_inputs *in,
                     struct trace *out, struct errbuf *eb)
{
    struct trace t;
    trace_init(&t);
    t.kind = TRACE_KIND_MEMORY;
    struct collect c = {m->g, &t};
    struct interp_options o = {.arith = m->arith, .single_rounding = m->single_rounding,
                               .dump = INTERP_DUMP_LAYERS, .callback = on_value, .user = &c,
                               .layer_params = m->layer_params};
    const char *arith = m->layer_params ? "deployed" : interp_arith_name(m->arith);
    struct interp *ip = NULL;
    int rc = 0;
    if ((t.source = arena_strdup(&t.arena, m->g->path ? m->g->path : "")) == NULL ||
        (t.arith = arena_strdup(&t.arena, arith)) == NULL)
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    /* the inputs first: a board log usually dumps them too, and they must agree */
    for (size_t i = 0; i < in->n && !rc; i++) {
        struct trace_entry e = {.name = m->g->tensors[in->tensors[i]].name, .op = "input",
                                .index = (int64_t)i, .step = -1, .value = in->vals[i],
                                .status = TRACE_OK, .optional = true};
        rc = trace_add(&t, &e, eb);
    }
    if (!rc)
        rc = interp_new(m->g, &o, &ip, eb);
    if (!rc)
        rc = interp_inputs_bind(ip, in, eb);
    if (!rc)
        rc = interp_run(ip, eb);
    interp_free(ip);
    if (rc) {
        trace_release(&t);
        return rc;
    }
    *out = t;
    return 0;
}

/* ---- one layer alone ------------------------------------------------------------------ */

#define SUB_MAX_NODES 64

struct sub {
    const struct graph *g;
    struct graph m;
    int *map;                   /* [g->n_tensors] model tensor -> small-graph tensor, or -1 */
    int nodes[SUB_MAX_NODES];   /* model nodes taken */
    size_t n_nodes;
    const struct layer *L;
};

static bool is_layer_input(const struct layer *L, int t)
{
    for (size_t i = 0; i < L->n_inputs; i++)
        if (L->inputs[i] == t)
            return true;
    return false;
}

static bool taken(const struct sub *s, int node)
{
    for (size_t i = 0; i < s->n_nodes; i++)
        if (s->nodes[i] == node)
            return true;
    return false;
}

/*
 * Adds node `n` and, for inputs that are neither constants nor layer inputs, the nodes that
 * produce them (a DequantizeLinear shared with another layer). ST_EUNSUPPORTED when the
 * chain leads outside what one layer can take.
 */
static int take_node(struct sub *s, int n, int depth, struct errbuf *eb)
{
    if (taken(s, n))
        return 0;
    if (s->n_nodes == SUB_MAX_NODES || depth > 4)
        return errbuf_set(eb, ST_EUNSUPPORTED, "layer %s: too many nodes to run alone",
                          s->L->name);
    s->nodes[s->n_nodes++] = n;
    const struct node *nd = &s->g->nodes[n];
    for (size_t i = 0; i < nd->n_inputs; i++) {
        int t = nd->inputs[i];
        if (t < 0 || (s->g->tensors[t].flags & TENSOR_CONST) || is_layer_input(s->L, t))
            continue;
        int p = s->g->tensors[t].producer;
        if (p < 0)
            return errbuf_set(eb, ST_EUNSUPPORTED, "layer %s: input %s has no producer",
                              s->L->name, s->g->tensors[t].name);
        int rc = take_node(s, p, depth + 1, eb);
        if (rc)
            return rc;
    }
    return 0;
}

/* The small graph's tensor for model tensor t, created with t's metadata. */
static int sub_tensor(struct sub *s, int t, struct errbuf *eb)
{
    if (t < 0)
        return -1;
    if (s->map[t] >= 0)
        return s->map[t];
    const struct tensor *src = &s->g->tensors[t];
    int k = graph_tensor(&s->m, src->name, eb);
    if (k < 0)
        return k;
    struct tensor *dst = &s->m.tensors[k];
    dst->dtype = src->dtype;
    dst->rank = src->rank;
    memcpy(dst->dims, src->dims, sizeof dst->dims);
    memcpy(dst->dim_param, src->dim_param, sizeof dst->dim_param);
    dst->layout = src->layout;
    dst->quant = src->quant;            /* borrowed from the model's arena */
    dst->data = src->data;
    dst->data_bytes = src->data_bytes;
    dst->flags = src->flags & TENSOR_CONST;
    s->map[t] = k;
    return k;
}

static int build_sub(struct sub *s, struct errbuf *eb)
{
    const struct graph *g = s->g;
    const struct layer *L = s->L;
    struct graph *m = &s->m;
    m->format = g->format;
    m->path = g->path;
    m->producer = g->producer;
    m->ir_version = g->ir_version;
    m->n_opsets = g->n_opsets;
    m->opsets = g->opsets;
    int rc = 0;
    for (size_t i = 0; i < L->n_nodes && !rc; i++)
        rc = take_node(s, L->nodes[i], 0, eb);
    for (size_t i = 0; i < s->n_nodes && !rc; i++) {
        const struct node *nd = &g->nodes[s->nodes[i]];
        int ins[32], outs[8];
        struct attr attrs[64];
        if (nd->n_inputs > 32 || nd->n_outputs > 8 || nd->n_attrs > 64)
            return errbuf_set(eb, ST_EUNSUPPORTED, "node %s: too wide to run alone", nd->name);
        for (size_t k = 0; k < nd->n_inputs && !rc; k++)
            if ((ins[k] = sub_tensor(s, nd->inputs[k], eb)) < -1)
                rc = ins[k];
        for (size_t k = 0; k < nd->n_outputs && !rc; k++)
            if ((outs[k] = sub_tensor(s, nd->outputs[k], eb)) < -1)
                rc = outs[k];
        for (size_t k = 0; k < nd->n_attrs && !rc; k++) {
            attrs[k] = nd->attrs[k];
            if (attrs[k].type == ATTR_TENSOR && (attrs[k].tensor = sub_tensor(s, attrs[k].tensor,
                                                                              eb)) < -1)
                rc = attrs[k].tensor;
        }
        if (rc)
            break;
        struct node spec = *nd;
        spec.inputs = ins;
        spec.outputs = outs;
        spec.attrs = attrs;
        int r = graph_add_node(m, &spec, eb);
        if (r < 0)
            rc = r;
    }
    if (rc)
        return rc;
    /* activations in, outputs out */
    int *gin = arena_array(&m->arena, L->n_inputs + 1, sizeof *gin);
    int *gout = arena_array(&m->arena, L->n_outputs + 1, sizeof *gout);
    if (gin == NULL || gout == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t i = 0; i < L->n_inputs; i++) {
        int t = L->inputs[i];
        if (t < 0 || (g->tensors[t].flags & TENSOR_CONST) || s->map[t] < 0)
            continue;
        m->tensors[s->map[t]].flags |= TENSOR_INPUT;
        gin[m->n_inputs++] = s->map[t];
    }
    for (size_t i = 0; i < L->n_outputs; i++) {
        int t = L->outputs[i];
        if (t < 0 || s->map[t] < 0)
            continue;
        m->tensors[s->map[t]].flags |= TENSOR_OUTPUT;
        gout[m->n_outputs++] = s->map[t];
    }
    m->inputs = gin;
    m->outputs = gout;
    rc = graph_finish(m, eb);
    if (!rc)
        rc = layers_form(m, eb);
    return rc;
}

static int layer_of_name(const struct graph *g, const char *name)
{
    for (size_t i = 0; i < g->n_layers; i++)
        if (strcmp(g->layers[i].name, name) == 0)
            return (int)i;
    int t = graph_find_tensor(g, name);
    if (t >= 0 && g->tensors[t].producer >= 0)
        return g->nodes[g->tensors[t].producer].layer;
    return -1;
}

/* Looks input values up: through the diff report when given, else by name in src. */
typedef const struct tensor_value *(*value_fn)(void *ctx, const char *name);

#define BY_TRACE_VIEWS 8

struct by_trace {
    const struct trace *t;
    const struct diff_report *rep;
    const struct graph *g;
    size_t n_views;
    struct tensor_value views[BY_TRACE_VIEWS];  /* reshaped values handed out (borrowed data) */
};

static const struct tensor_value *value_direct(const struct by_trace *b, const char *name)
{
    if (b->rep) {
        const struct tensor_value *v = diff_board_value(b->rep, b->t, name);
        if (v)
            return v;
    }
    const struct trace_entry *e = trace_find(b->t, name);
    return e && e->status == TRACE_OK ? &e->value : NULL;
}

static bool is_view_op(const char *op)
{
    static const char *const views[] = {"RESHAPE", "Reshape", "Flatten", "SQUEEZE", "Squeeze",
                                        "Unsqueeze", "EXPAND_DIMS"};
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++)
        if (strcmp(op, views[i]) == 0)
            return true;
    return false;
}

/*
 * A value the board never shows because no step computes it (a reshape TVM folded into a
 * buffer alias) is the same bytes as the view's input: found there, given this tensor's dims.
 */
static const struct tensor_value *value_in(void *ctx, const char *name)
{
    struct by_trace *b = ctx;
    const struct tensor_value *v = value_direct(b, name);
    int t = b->g ? graph_find_tensor(b->g, name) : -1;
    const struct tensor *want = t >= 0 ? &b->g->tensors[t] : NULL;
    for (int depth = 0; v == NULL && t >= 0 && depth < 4; depth++) {
        const struct tensor *T = &b->g->tensors[t];
        if (T->producer < 0 || b->n_views == BY_TRACE_VIEWS || want->rank < 0)
            return NULL;
        const struct node *nd = &b->g->nodes[T->producer];
        if (!is_view_op(nd->op) || nd->n_inputs < 1 || nd->inputs[0] < 0)
            return NULL;
        int src = nd->inputs[0];
        const struct tensor_value *u = value_direct(b, b->g->tensors[src].name);
        if (u == NULL) {
            t = src;
            continue;
        }
        size_t n = 1;
        for (int k = 0; k < want->rank; k++)
            n *= want->dims[k] > 0 ? (size_t)want->dims[k] : 0;
        if (u->dtype != want->dtype || n * dtype_bytes(want->dtype) != u->bytes)
            return NULL;
        struct tensor_value *w = &b->views[b->n_views++];
        *w = *u;
        w->rank = want->rank;
        memcpy(w->dims, want->dims, sizeof w->dims);
        v = w;
    }
    return v;
}

static int run_layer(const struct diff_model *m, const char *name, value_fn lookup,
                     void *ctx, struct tensor_value *out, struct errbuf *eb)
{
    const struct graph *g = m->g;
    int li = layer_of_name(g, name);
    if (li < 0)
        return errbuf_set(eb, ST_ENOTFOUND, "%s: no layer produces %s", g->path, name);
    struct sub s = {.g = g, .L = &g->layers[li]};
    graph_init(&s.m);
    s.map = mem_alloc((g->n_tensors ? g->n_tensors : 1) * sizeof *s.map);
    if (s.map == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->n_tensors; i++)
        s.map[i] = -1;
    struct interp *ip = NULL;
    struct interp_options o = {.arith = m->arith, .single_rounding = m->single_rounding,
                               .dump = INTERP_DUMP_OUTPUTS};
    int rc = build_sub(&s, eb);
    /* the layer keeps its deployed settings in the small graph, whatever it was cut into */
    struct interp_layer_params *lp = NULL;
    if (!rc && m->layer_params) {
        lp = mem_alloc((s.m.n_layers ? s.m.n_layers : 1) * sizeof *lp);
        if (lp == NULL)
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        for (size_t i = 0; lp && i < s.m.n_layers; i++)
            lp[i] = m->layer_params[li];
        o.layer_params = lp;
    }
    if (!rc)
        rc = interp_new(&s.m, &o, &ip, eb);
    for (size_t i = 0; i < s.m.n_inputs && !rc; i++) {
        const struct tensor *T = &s.m.tensors[s.m.inputs[i]];
        const struct tensor_value *v = lookup(ctx, T->name);
        if (v == NULL)
            rc = errbuf_set(eb, ST_ENOTFOUND, "layer %s: no value for input %s", name, T->name);
        else if (interp_set_input(ip, s.m.inputs[i], v, eb) != 0)
            rc = ST_EUNSUPPORTED;   /* a dtype or shape the model does not take */
    }
    if (!rc)
        rc = interp_run(ip, eb);
    int t = -1;
    if (!rc) {
        int mt = graph_find_tensor(g, name);
        if (mt < 0 || s.map[mt] < 0)
            mt = g->layers[li].n_outputs ? g->layers[li].outputs[0] : -1;
        t = mt >= 0 ? s.map[mt] : -1;
    }
    const struct tensor_value *v = !rc && t >= 0 ? interp_value(ip, t) : NULL;
    if (!rc && v == NULL)
        rc = errbuf_set(eb, ST_ENOTFOUND, "layer %s: the run gave no value", name);
    if (!rc) {
        void *data = mem_alloc(v->bytes ? v->bytes : 1);
        if (data == NULL) {
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        } else {
            memcpy(data, v->data, v->bytes);
            *out = *v;
            out->data = data;
        }
    }
    interp_free(ip);
    mem_free(lp);
    graph_release(&s.m);
    mem_free(s.map);
    /* what the interpreter refuses here is "cannot re-run", not a failure of the diff */
    if (rc == ST_EINVAL || rc == ST_EPARSE || rc == ST_ELIMIT)
        rc = ST_EUNSUPPORTED;
    return rc;
}

int diff_model_run_layer(const struct diff_model *m, const char *name, const struct trace *src,
                         struct tensor_value *out, struct errbuf *eb)
{
    struct by_trace b = {.t = src, .g = m->g};
    return run_layer(m, name, value_in, &b, out, eb);
}

int diff_model_rerun(void *user, const char *name, const struct diff_report *rep,
                     const struct trace *board, struct tensor_value *out, struct errbuf *eb)
{
    struct by_trace b = {.t = board, .rep = rep, .g = ((const struct diff_model *)user)->g};
    return run_layer(user, name, value_in, &b, out, eb);
}
