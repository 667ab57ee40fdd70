/*
 * graphview: turns a struct graph into the view model of views/graphview.h (boxes, labels,
 * edges, colours, legend). No graphviz here: gv.c only draws what this file decided.
 */
#include "graphview.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "sbuf.h"
#include "banned.h"

/* A colour class: one legend row. */
struct style_class {
    const char *label;
    const char *fill;
    const char *border;
    bool dashed;
};

/* Indexed by enum layer_kind, then one row for boxes without a layer. */
static const struct style_class kind_classes[] = {
    {"qoperator", "#cfe2ff", "#3d6fb6", false},
    {"qdq", "#d1e7dd", "#2e7d4f", false},
    {"tflite", "#fff3cd", "#b58a00", false},
    {"float", "#ffe0cc", "#c05a00", false},
    {"no layer", "#f4f4f4", "#777777", false},
};
_Static_assert(sizeof kind_classes / sizeof kind_classes[0] == LAYER_KIND_COUNT + 1,
               "one colour per layer kind plus 'no layer'");

/* MLF targets as the partition map names them; the last two rows catch the rest. */
static const struct style_class target_classes[] = {
    {"cmsis-nn", "#c8f0c8", "#2e7d32", false},
    {"c", "#ffd8a8", "#c05a00", false},
    {"folded", "#f4f4f4", "#999999", true},
    {"other target", "#e0d4f7", "#6a3fb5", false},
    {"not mapped", "#ffffff", "#777777", false},
};

/* Diff verdicts (DESIGN.md "diff"); the last two rows catch the rest. */
static const struct style_class status_classes[] = {
    {"exact", "#c8f0c8", "#2e7d32", false},
    {"rounding", "#e6f5c8", "#6b8e23", false},
    {"inherited", "#fff3b0", "#b58a00", false},
    {"diverged", "#ff9c9c", "#b00000", false},
    {"missing", "#dddddd", "#777777", true},
    {"other status", "#e0d4f7", "#6a3fb5", false},
    {"not compared", "#ffffff", "#777777", false},
};

static const struct style_class const_class = {"constant", "#eeeeee", "#999999", false};
static const struct style_class io_class = {"input/output", "#ffffff", "#444444", false};

#define MARK_BORDER "#d00000"

void graphview_init(struct graphview *v)
{
    memset(v, 0, sizeof *v);
    arena_init(&v->arena);
}

void graphview_release(struct graphview *v)
{
    arena_release(&v->arena);
    graphview_init(v);
}

/* State while building: where each model object's box is. */
struct builder {
    struct graphview *v;
    const struct graph *g;
    const struct graphview_options *opt;
    bool by_layer;          /* layer view (false: node view) */
    size_t cap_boxes, cap_edges;
    int *tensor_box;        /* [n_tensors] graph input box or -1; heap */
    int *unit_box;          /* [n_layers or n_nodes] box or -1; heap */
    struct errbuf *eb;
};

static int nomem(struct builder *b)
{
    return errbuf_set(b->eb, ST_ENOMEM, "graph view: out of memory");
}

/* Reads a scalar constant: float32 scale or 8/16/32-bit zero point. */
static bool const_float(const struct graph *g, int t, float *out)
{
    if (t < 0 || (size_t)t >= g->n_tensors)
        return false;
    const struct tensor *ts = &g->tensors[t];
    if (ts->data == NULL || ts->dtype != DTYPE_F32 || ts->data_bytes < 4)
        return false;
    memcpy(out, ts->data, 4);
    return true;
}

static bool const_int(const struct graph *g, int t, int32_t *out)
{
    if (t < 0 || (size_t)t >= g->n_tensors)
        return false;
    const struct tensor *ts = &g->tensors[t];
    const unsigned char *p = ts->data;
    if (p == NULL || ts->data_bytes < dtype_bytes(ts->dtype) || dtype_bytes(ts->dtype) == 0)
        return false;
    switch (ts->dtype) {
    case DTYPE_U8: *out = p[0]; return true;
    case DTYPE_S8: *out = (int8_t)p[0]; return true;
    case DTYPE_U16: *out = p[0] | p[1] << 8; return true;
    case DTYPE_S16: *out = (int16_t)(uint16_t)(p[0] | p[1] << 8); return true;
    case DTYPE_S32: {
        int32_t v;
        memcpy(&v, p, 4);
        *out = v;
        return true;
    }
    default: return false;
    }
}

/*
 * Output scale and zero point of tensor t: from the tensor's own quantization when the
 * loader filled it, else from the producing node's y_scale/y_zero_point inputs (ONNX
 * QuantizeLinear: inputs 1, 2; QLinearConv/QLinearMatMul/QLinearAdd/QLinearMul: 6, 7;
 * QLinearConcat: 0, 1; the unary com.microsoft QLinear* ops: 3, 4).
 */
static void label_quant(const struct graph *g, int t, struct sbuf *sb)
{
    const struct tensor *ts = &g->tensors[t];
    if (ts->quant.n == 1) {
        sbuf_printf(sb, "\nscale %.6g  zp %d", (double)ts->quant.scale[0],
                    (int)ts->quant.zero_point[0]);
        return;
    }
    if (ts->quant.n > 1) {
        sbuf_printf(sb, "\nper-axis scale/zp (%zu, axis %d)", ts->quant.n, ts->quant.axis);
        return;
    }
    if (ts->producer < 0)
        return;
    const struct node *n = &g->nodes[ts->producer];
    size_t si;
    if (strcmp(n->op, "QuantizeLinear") == 0)
        si = 1;
    else if (strcmp(n->op, "QLinearConcat") == 0)
        si = 0;
    else if (strcmp(n->op, "QLinearConv") == 0 || strcmp(n->op, "QLinearMatMul") == 0 ||
             strcmp(n->op, "QLinearAdd") == 0 || strcmp(n->op, "QLinearMul") == 0)
        si = 6;
    else if (strncmp(n->op, "QLinear", 7) == 0 && n->n_inputs == 5)
        si = 3;
    else
        return;
    float scale;
    int32_t zp = 0;
    if (si >= n->n_inputs || !const_float(g, n->inputs[si], &scale))
        return;
    if (si + 1 < n->n_inputs && n->inputs[si + 1] >= 0 && !const_int(g, n->inputs[si + 1], &zp))
        return;
    sbuf_printf(sb, "\nscale %.6g  zp %d", (double)scale, (int)zp);
}

static void label_tensor_shape(const struct tensor *t, struct sbuf *sb)
{
    char shape[160];
    sbuf_printf(sb, "%s %s", tensor_shape_str(t, shape, sizeof shape), dtype_name(t->dtype));
}

#define NAME_WRAP 48     /* label columns before a long name is wrapped */

/*
 * Appends a name, wrapped onto lines of at most NAME_WRAP characters, breaking after '/' or
 * ',' when one is near, else mid-word. TFLite's converter joins the names of every op it
 * fused with ';' (".../Relu;.../FusedBatchNormV3;.../Conv2D"): the first part names the
 * layer, so only that part is drawn; the full name stays on the box (its tooltip).
 */
static void add_wrapped_name(struct sbuf *sb, const char *name)
{
    const char *semi = strchr(name, ';');
    size_t len = semi != NULL ? (size_t)(semi - name) : strlen(name);
    while (len > NAME_WRAP) {
        size_t cut = NAME_WRAP;
        for (size_t i = NAME_WRAP; i > NAME_WRAP / 2; i--) {
            if (name[i - 1] == ';' || name[i - 1] == '/' || name[i - 1] == ',') {
                cut = i;
                break;
            }
        }
        sbuf_addn(sb, name, cut);
        sbuf_addc(sb, '\n');
        name += cut;
        len -= cut;
    }
    sbuf_addn(sb, name, len);
    if (semi != NULL)
        sbuf_add(sb, ";...");
}

/* Appends a box (boxes were sized for the worst case); label is taken from sb. */
static int add_box(struct builder *b, enum graphview_box_kind kind, const char *id_prefix,
                   const char *name, struct sbuf *label)
{
    struct graphview *v = b->v;
    if (v->n_boxes >= b->cap_boxes)
        return errbuf_set(b->eb, ST_EINTERNAL, "graph view: box count over estimate");
    if (sbuf_failed(label))
        return nomem(b);
    struct graphview_box *bx = &v->boxes[v->n_boxes];
    memset(bx, 0, sizeof *bx);
    bx->id = arena_printf(&v->arena, "%s%zu", id_prefix, v->n_boxes);
    bx->name = arena_strdup(&v->arena, name);
    bx->label = arena_strdup(&v->arena, sbuf_str(label));
    if (bx->id == NULL || bx->name == NULL || bx->label == NULL)
        return nomem(b);
    bx->kind = kind;
    bx->layer = bx->node = bx->tensor = bx->layer_kind = bx->cluster = -1;
    return (int)v->n_boxes++;
}

static int add_edge(struct builder *b, int from, int to, int tensor)
{
    struct graphview *v = b->v;
    const struct tensor *t = &b->g->tensors[tensor];
    if (v->n_edges >= b->cap_edges)
        return errbuf_set(b->eb, ST_EINTERNAL, "graph view: edge count over estimate");
    char shape[160];
    tensor_shape_str(t, shape, sizeof shape);
    struct graphview_edge *e = &v->edges[v->n_edges];
    e->from = from;
    e->to = to;
    e->tensor = tensor;
    e->label = b->by_layer ? arena_strdup(&v->arena, shape)
                           : arena_printf(&v->arena, "%s\n%s", t->name, shape);
    if (e->label == NULL)
        return nomem(b);
    v->n_edges++;
    return 0;
}

static bool is_constant(const struct graph *g, int t)
{
    const struct tensor *ts = &g->tensors[t];
    if (ts->flags & TENSOR_CONST)
        return true;
    /* A Constant node's output belongs to no layer but is still a constant. */
    return ts->producer >= 0 && strcmp(g->nodes[ts->producer].op, "Constant") == 0;
}

/*
 * A box for constant t feeding one consumer. Each consumer gets its own: a scale shared by
 * every layer drawn once would pull edges across the whole picture (unreadable, and dot's
 * layout time grows with edge length).
 */
static int const_box(struct builder *b, int t)
{
    const struct tensor *ts = &b->g->tensors[t];
    struct sbuf sb;
    sbuf_init(&sb);
    add_wrapped_name(&sb, ts->name);
    sbuf_addc(&sb, '\n');
    label_tensor_shape(ts, &sb);
    int bi = add_box(b, GRAPHVIEW_BOX_CONST, "C", ts->name, &sb);
    sbuf_release(&sb);
    if (bi < 0)
        return bi;
    b->v->boxes[bi].tensor = t;
    return bi;
}

/* Sets *box to the box an edge carrying tensor t starts from, -1 for none (hidden). */
static int source_box(struct builder *b, int t, int *box)
{
    const struct graph *g = b->g;
    const struct tensor *ts = &g->tensors[t];
    *box = -1;
    if (is_constant(g, t)) {
        if (!b->opt->show_constants)
            return 0;
        int bi = const_box(b, t);
        if (bi < 0)
            return bi;
        *box = bi;
        return 0;
    }
    if (ts->producer >= 0) {
        int unit = b->by_layer ? g->nodes[ts->producer].layer : ts->producer;
        if (unit >= 0)
            *box = b->unit_box[unit];
        return 0;
    }
    *box = b->tensor_box[t];    /* a graph input's box, or -1 */
    return 0;
}

/* Edges into box `to` from the boxes producing inputs[0..n). */
static int add_in_edges(struct builder *b, int to, const int *inputs, size_t n)
{
    size_t first = b->v->n_edges;
    for (size_t i = 0; i < n; i++) {
        int t = inputs[i];
        bool seen = false;
        if (t < 0 || (size_t)t >= b->g->n_tensors)
            continue;
        /* A tensor read twice by one unit (Add(x, x)) is drawn once. */
        for (size_t k = first; k < b->v->n_edges && !seen; k++)
            seen = b->v->edges[k].tensor == t;
        if (seen)
            continue;
        int from;
        int rc = source_box(b, t, &from);
        if (rc < 0)
            return rc;
        if (from < 0 || from == to)
            continue;
        rc = add_edge(b, from, to, t);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int add_io_box(struct builder *b, enum graphview_box_kind kind, int t)
{
    const struct tensor *ts = &b->g->tensors[t];
    struct sbuf sb;
    sbuf_init(&sb);
    sbuf_printf(&sb, "%s ", kind == GRAPHVIEW_BOX_INPUT ? "input" : "output");
    add_wrapped_name(&sb, ts->name);
    sbuf_addc(&sb, '\n');
    label_tensor_shape(ts, &sb);
    int bi = add_box(b, kind, kind == GRAPHVIEW_BOX_INPUT ? "I" : "O", ts->name, &sb);
    sbuf_release(&sb);
    if (bi >= 0)
        b->v->boxes[bi].tensor = t;
    return bi;
}

static int add_layer_box(struct builder *b, size_t li)
{
    const struct graph *g = b->g;
    const struct layer *l = &g->layers[li];
    struct sbuf sb;
    sbuf_init(&sb);
    add_wrapped_name(&sb, l->name);
    sbuf_printf(&sb, "\n%s [%s]", l->op, layer_kind_name(l->kind));
    if (l->n_outputs > 0 && l->outputs[0] >= 0) {
        sbuf_addc(&sb, '\n');
        label_tensor_shape(&g->tensors[l->outputs[0]], &sb);
        label_quant(g, l->outputs[0], &sb);
    }
    int bi = add_box(b, GRAPHVIEW_BOX_LAYER, "L", l->name, &sb);
    sbuf_release(&sb);
    if (bi < 0)
        return bi;
    struct graphview_box *bx = &b->v->boxes[bi];
    bx->layer = (int)li;
    bx->node = l->main_node;
    bx->layer_kind = (int)l->kind;
    b->unit_box[li] = bi;
    return add_in_edges(b, bi, l->inputs, l->n_inputs);
}

static int add_node_box(struct builder *b, size_t ni)
{
    const struct graph *g = b->g;
    const struct node *n = &g->nodes[ni];
    if (strcmp(n->op, "Constant") == 0)
        return 0;   /* drawn as its output constant (--constants) */
    struct sbuf sb;
    sbuf_init(&sb);
    add_wrapped_name(&sb, n->name);
    sbuf_printf(&sb, "\n%s%s%s", n->domain[0] ? n->domain : "", n->domain[0] ? "." : "",
                n->op);
    int bi = add_box(b, GRAPHVIEW_BOX_NODE, "N", n->name, &sb);
    sbuf_release(&sb);
    if (bi < 0)
        return bi;
    struct graphview_box *bx = &b->v->boxes[bi];
    bx->node = (int)ni;
    bx->layer = n->layer;
    if (n->layer >= 0 && (size_t)n->layer < g->n_layers)
        bx->layer_kind = (int)g->layers[n->layer].kind;
    b->unit_box[ni] = bi;
    return add_in_edges(b, bi, n->inputs, n->n_inputs);
}

/* Worst-case box and edge counts, so the arrays never move while indices are handed out. */
static bool estimate(const struct builder *b, size_t *boxes, size_t *edges)
{
    const struct graph *g = b->g;
    size_t nb = 0, ne = 0;
    if (b->by_layer) {
        for (size_t i = 0; i < g->n_layers; i++)
            if (!size_add(ne, g->layers[i].n_inputs, &ne))
                return false;
    } else {
        for (size_t i = 0; i < g->n_nodes; i++)
            if (!size_add(ne, g->nodes[i].n_inputs, &ne))
                return false;
    }
    if (!size_add(ne, g->n_outputs, &ne))
        return false;
    /* Units, inputs, outputs, and at most one constant box per edge. */
    if (!size_add(g->n_nodes, g->n_layers, &nb) || !size_add(nb, g->n_inputs, &nb) ||
        !size_add(nb, g->n_outputs, &nb) || !size_add(nb, ne, &nb))
        return false;
    *boxes = nb;
    *edges = ne;
    return true;
}

static int build(struct builder *b)
{
    const struct graph *g = b->g;
    struct graphview *v = b->v;
    size_t n_units = b->by_layer ? g->n_layers : g->n_nodes;
    int rc;

    if (!estimate(b, &b->cap_boxes, &b->cap_edges))
        return nomem(b);
    v->boxes = arena_array(&v->arena, b->cap_boxes, sizeof *v->boxes);
    v->edges = arena_array(&v->arena, b->cap_edges, sizeof *v->edges);
    b->tensor_box = mem_calloc(g->n_tensors + 1, sizeof *b->tensor_box);
    b->unit_box = mem_calloc(n_units + 1, sizeof *b->unit_box);
    if (v->boxes == NULL || v->edges == NULL || b->tensor_box == NULL || b->unit_box == NULL)
        return nomem(b);
    for (size_t i = 0; i < g->n_tensors; i++)
        b->tensor_box[i] = -1;
    for (size_t i = 0; i < n_units; i++)
        b->unit_box[i] = -1;
    if (b->opt->title != NULL && (v->title = arena_strdup(&v->arena, b->opt->title)) == NULL)
        return nomem(b);

    for (size_t i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i];
        if (t < 0 || (size_t)t >= g->n_tensors || b->tensor_box[t] >= 0)
            continue;
        if ((rc = add_io_box(b, GRAPHVIEW_BOX_INPUT, t)) < 0)
            return rc;
        b->tensor_box[t] = rc;
    }
    for (size_t i = 0; i < n_units; i++) {
        rc = b->by_layer ? add_layer_box(b, i) : add_node_box(b, i);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < g->n_outputs; i++) {
        int t = g->outputs[i];
        if (t < 0 || (size_t)t >= g->n_tensors)
            continue;
        int from;
        if ((rc = source_box(b, t, &from)) < 0)
            return rc;
        int bi = add_io_box(b, GRAPHVIEW_BOX_OUTPUT, t);
        if (bi < 0)
            return bi;
        if (from >= 0 && (rc = add_edge(b, from, bi, t)) < 0)
            return rc;
    }
    return graphview_style(v, b->opt->colour_by, b->eb);
}

int graphview_build(struct graphview *v, const struct graph *g, const struct graphview_options *opt,
               struct errbuf *eb)
{
    struct builder b = {0};
    struct graphview nv;

    graphview_init(&nv);
    b.v = &nv;
    b.g = g;
    b.opt = opt;
    b.eb = eb;
    b.by_layer = opt->mode == GRAPHVIEW_LAYERS && (g->n_layers > 0 || g->n_nodes == 0);
    int rc = build(&b);
    mem_free(b.tensor_box);
    mem_free(b.unit_box);
    if (rc < 0) {
        graphview_release(&nv);
        return rc;
    }
    graphview_release(v);
    *v = nv;
    return 0;
}

int graphview_add_cluster(struct graphview *v, const char *label, const char *fill, bool dashed,
                     struct errbuf *eb)
{
    size_t n = v->n_clusters + 1;
    struct graphview_cluster *c = arena_array(&v->arena, n, sizeof *c);
    if (c == NULL)
        return errbuf_set(eb, ST_ENOMEM, "graph view: out of memory");
    if (v->n_clusters > 0)
        memcpy(c, v->clusters, v->n_clusters * sizeof *c);
    struct graphview_cluster *nc = &c[v->n_clusters];
    nc->id = arena_printf(&v->arena, "p%zu", v->n_clusters);
    nc->label = arena_strdup(&v->arena, label);
    nc->fill = fill ? arena_strdup(&v->arena, fill) : NULL;
    nc->dashed = dashed;
    if (nc->id == NULL || nc->label == NULL || (fill != NULL && nc->fill == NULL))
        return errbuf_set(eb, ST_ENOMEM, "graph view: out of memory");
    v->clusters = c;
    return (int)v->n_clusters++;
}

int graphview_box_of_layer(const struct graphview *v, int layer)
{
    for (size_t i = 0; i < v->n_boxes; i++)
        if (v->boxes[i].kind == GRAPHVIEW_BOX_LAYER && v->boxes[i].layer == layer)
            return (int)i;
    return -1;
}

size_t graphview_count(const struct graphview *v, enum graphview_box_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_boxes; i++)
        n += v->boxes[i].kind == k;
    return n;
}

/* Row of `classes` for a string annotation; the last two rows are "other" and "none". */
static size_t class_of_string(const struct style_class *classes, size_t n, const char *s)
{
    if (s == NULL)
        return n - 1;
    for (size_t i = 0; i + 2 < n; i++)
        if (strcmp(classes[i].label, s) == 0)
            return i;
    return n - 2;
}

int graphview_style(struct graphview *v, enum graphview_colour_by by, struct errbuf *eb)
{
    const struct style_class *classes;
    size_t n_classes;
    size_t counts[8] = {0};     /* per class; every table has at most 8 rows */

    switch (by) {
    case GRAPHVIEW_COLOUR_TARGET:
        classes = target_classes;
        n_classes = sizeof target_classes / sizeof target_classes[0];
        v->legend_title = "target";
        break;
    case GRAPHVIEW_COLOUR_STATUS:
        classes = status_classes;
        n_classes = sizeof status_classes / sizeof status_classes[0];
        v->legend_title = "status";
        break;
    default:
        classes = kind_classes;
        n_classes = sizeof kind_classes / sizeof kind_classes[0];
        v->legend_title = "layer kind";
        break;
    }
    for (size_t i = 0; i < v->n_boxes; i++) {
        struct graphview_box *bx = &v->boxes[i];
        const struct style_class *c;
        if (bx->kind == GRAPHVIEW_BOX_CONST) {
            c = &const_class;
        } else if (bx->kind == GRAPHVIEW_BOX_INPUT || bx->kind == GRAPHVIEW_BOX_OUTPUT) {
            c = &io_class;
        } else {
            size_t k;
            if (by == GRAPHVIEW_COLOUR_TARGET)
                k = class_of_string(classes, n_classes, bx->target);
            else if (by == GRAPHVIEW_COLOUR_STATUS)
                k = class_of_string(classes, n_classes, bx->status);
            else
                k = bx->layer_kind >= 0 && bx->layer_kind < LAYER_KIND_COUNT
                        ? (size_t)bx->layer_kind : LAYER_KIND_COUNT;
            counts[k]++;
            c = &classes[k];
        }
        bx->fill = c->fill;
        bx->border = bx->marked ? MARK_BORDER : c->border;
        bx->dashed = c->dashed;
        bx->small = bx->kind != GRAPHVIEW_BOX_LAYER && bx->kind != GRAPHVIEW_BOX_NODE;
    }
    size_t n_legend = 0;
    for (size_t k = 0; k < n_classes; k++)
        n_legend += counts[k] > 0;
    struct graphview_legend *legend = arena_array(&v->arena, n_legend + 1, sizeof *legend);
    if (legend == NULL)
        return errbuf_set(eb, ST_ENOMEM, "graph view: out of memory");
    size_t j = 0;
    for (size_t k = 0; k < n_classes; k++) {
        if (counts[k] == 0)
            continue;
        legend[j].label = classes[k].label;
        legend[j].fill = classes[k].fill;
        legend[j].border = classes[k].border;
        legend[j].dashed = classes[k].dashed;
        legend[j].count = counts[k];
        j++;
    }
    v->legend = legend;
    v->n_legend = n_legend;
    return 0;
}
