/*
 * The graph neighbourhood pane: the layers feeding the selected layer and the layers
 * consuming its outputs, each edge named by its tensor. Enter follows the edge under the
 * cursor (the controller selects that layer), so the graph can be walked one hop at a time.
 * Exports the neighbourhood as DOT text.
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "view.h"
#include "banned.h"

struct edge {
    bool consumer;      /* false: an input of the selected layer */
    int tensor;         /* the tensor on the edge */
    long layer;         /* the layer at the other end, or -1 (graph input or output) */
};

struct graph_state {
    bool built;
    size_t built_layer;
    struct edge *edges;     /* [n_edges], mem_alloc; inputs first, then consumers */
    size_t n_edges, cap;
    size_t n_in;            /* edges[0 .. n_in) are inputs */
    bool oom;
    size_t cur;             /* edge under the cursor */
    size_t top;             /* first visible line */
    int rows;
};

static int graph_open(void **state, const struct tui *t, struct errbuf *eb)
{
    (void)t;
    struct graph_state *st = mem_calloc(1, sizeof *st);
    if (st == NULL)
        return errbuf_set(eb, ST_ENOMEM, "graph view: out of memory");
    *state = st;
    return 0;
}

static void graph_close(void *state)
{
    struct graph_state *st = state;
    if (st == NULL)
        return;
    mem_free(st->edges);
    mem_free(st);
}

static void add_edge(struct graph_state *st, bool consumer, int tensor, long layer)
{
    for (size_t i = consumer ? st->n_in : 0; i < st->n_edges; i++)
        if (st->edges[i].consumer == consumer && st->edges[i].tensor == tensor &&
            st->edges[i].layer == layer)
            return;     /* a layer reading one tensor through two nodes is one edge */
    if (!mem_grow((void **)&st->edges, &st->cap, st->n_edges + 1, sizeof *st->edges)) {
        st->oom = true;
        return;
    }
    st->edges[st->n_edges++] = (struct edge){consumer, tensor, layer};
}

static void build(struct graph_state *st, const struct tui *t)
{
    const struct graph *g = t->g;
    const struct layer *l = &g->layers[t->layer];
    st->built = true;
    st->built_layer = t->layer;
    st->n_edges = st->n_in = 0;
    st->cur = st->top = 0;
    st->oom = false;
    for (size_t k = 0; k < l->n_inputs; k++) {
        int ti = l->inputs[k];
        if (ti < 0 || (g->tensors[ti].flags & TENSOR_CONST))
            continue;
        int p = g->tensors[ti].producer;
        add_edge(st, false, ti, p >= 0 ? g->nodes[p].layer : -1);
    }
    st->n_in = st->n_edges;
    for (size_t k = 0; k < l->n_outputs; k++) {
        int ti = l->outputs[k];
        if (ti < 0)
            continue;
        const struct tensor *x = &g->tensors[ti];
        for (size_t c = 0; c < x->n_consumers; c++) {
            long cl = g->nodes[x->consumers[c]].layer;
            if (cl != (long)t->layer)
                add_edge(st, true, ti, cl);
        }
        if (x->flags & TENSOR_OUTPUT)
            add_edge(st, true, ti, -1);
    }
}

static void ensure_built(struct graph_state *st, const struct tui *t)
{
    if (!st->built || st->built_layer != t->layer)
        build(st, t);
}

/* Display lines: headings, edges, the layer itself. Line index -> edge or marker. */
enum line_kind { LINE_IN_HEAD, LINE_EDGE, LINE_NONE, LINE_SELF, LINE_OUT_HEAD };

static size_t n_lines(const struct graph_state *st)
{
    size_t n_out = st->n_edges - st->n_in;
    return 3 + (st->n_in ? st->n_in : 1) + (n_out ? n_out : 1);
}

static enum line_kind line_at(const struct graph_state *st, size_t i, size_t *edge)
{
    size_t n_out = st->n_edges - st->n_in, in_lines = st->n_in ? st->n_in : 1;
    if (i == 0)
        return LINE_IN_HEAD;
    i--;
    if (i < in_lines) {
        *edge = i;
        return st->n_in ? LINE_EDGE : LINE_NONE;
    }
    i -= in_lines;
    if (i == 0)
        return LINE_SELF;
    if (i == 1)
        return LINE_OUT_HEAD;
    i -= 2;
    *edge = st->n_in + i;
    return n_out ? LINE_EDGE : LINE_NONE;
}

static size_t line_of_edge(const struct graph_state *st, size_t e)
{
    if (e < st->n_in)
        return 1 + e;
    return 1 + (st->n_in ? st->n_in : 1) + 2 + (e - st->n_in);
}

static void layer_label(long li, char *buf, size_t bytes)
{
    if (li < 0) {
        snprintf(buf, bytes, "-");
        return;
    }
    snprintf(buf, bytes, "%ld", li);
}

static void graph_draw(void *state, const struct tui *t, struct screen *s, struct view_rect r,
                       bool focused)
{
    struct graph_state *st = state;
    view_title(s, r, focused, "graph");
    if (t->g->n_layers == 0 || r.h < 2)
        return;
    ensure_built(st, t);
    const struct graph *g = t->g;
    const struct layer *self = &g->layers[t->layer];
    int rows = r.h - 1;
    st->rows = rows;
    size_t nl = n_lines(st), cur_line = st->n_edges ? line_of_edge(st, st->cur) : 0;
    if (cur_line < st->top)
        st->top = cur_line > 0 ? cur_line - 1 : 0;
    else if (cur_line >= st->top + (size_t)rows)
        st->top = cur_line + 1 - (size_t)rows;
    for (int row = 0; row < rows && st->top + (size_t)row < nl; row++) {
        size_t e = 0;
        int y = r.y + 1 + row, x = r.x + 1, w = r.w - 1;
        char buf[1200], num[32], head[512], head2[512];
        switch (line_at(st, st->top + (size_t)row, &e)) {
        case LINE_IN_HEAD:
            screen_text_fit(s, x, y, w, SCREEN_LABEL | SCREEN_BOLD, "inputs");
            break;
        case LINE_OUT_HEAD:
            screen_text_fit(s, x, y, w, SCREEN_LABEL | SCREEN_BOLD, "consumers");
            break;
        case LINE_NONE:
            screen_text_fit(s, x, y, w, SCREEN_DIM, "  (none)");
            break;
        case LINE_SELF:
            screen_put(s, x, y, screen_glyph(s, SCREEN_G_DOT), SCREEN_NORMAL | SCREEN_BOLD);
            snprintf(buf, sizeof buf, "%zu %s  %s", t->layer,
                     view_name_head(self->name, head, sizeof head), self->op);
            screen_text_fit(s, x + 2, y, w - 2, SCREEN_NORMAL | SCREEN_BOLD, buf);
            break;
        case LINE_EDGE: {
            const struct edge *ed = &st->edges[e];
            const char *tname = g->tensors[ed->tensor].name;
            bool sel = e == st->cur && focused;
            unsigned a = sel ? (SCREEN_SELECTED | SCREEN_BOLD) : SCREEN_NORMAL;
            screen_fill(s, x, y, w, 1, ' ', a);
            screen_put(s, x + 1, y, screen_glyph(s, ed->consumer ? SCREEN_G_RARROW :
                                                 SCREEN_G_LARROW), a);
            layer_label(ed->layer, num, sizeof num);
            if (ed->layer < 0)
                snprintf(buf, sizeof buf, "%s  (graph %s)", view_name_head(tname, head,
                         sizeof head), ed->consumer ? "output" :
                         "input");
            else if (strcmp(ed->consumer ? self->name : g->layers[ed->layer].name, tname) == 0)
                snprintf(buf, sizeof buf, "%s %s  %s", num,
                         view_name_head(g->layers[ed->layer].name, head, sizeof head),
                         g->layers[ed->layer].op);
            else
                snprintf(buf, sizeof buf, "%s %s  %s  via %s", num,
                         view_name_head(g->layers[ed->layer].name, head, sizeof head),
                         g->layers[ed->layer].op, view_name_head(tname, head2, sizeof head2));
            unsigned ta = a;
            if (!sel && ed->layer >= 0 && t->status[ed->layer] != TUI_STATUS_NONE)
                ta = tui_status_role((enum tui_status)t->status[ed->layer]);
            screen_text_fit(s, x + 3, y, w - 3, ta, buf);
            break;
        }
        }
    }
    if (st->oom)
        screen_text_fit(s, r.x + 1, r.y + r.h - 1, r.w - 1, SCREEN_DIVERGED,
                        "(out of memory: edges missing)");
}

static enum view_req graph_key(void *state, const struct tui *t, int key,
                               struct view_result *res)
{
    struct graph_state *st = state;
    ensure_built(st, t);
    if (key == TUI_KEY_ENTER || key == 'l' || key == TUI_KEY_RIGHT) {
        if (st->n_edges == 0 || st->edges[st->cur].layer < 0) {
            res->msg = st->n_edges ? "this edge leaves the graph" : "no edges";
            return VIEW_REQ_MESSAGE;
        }
        res->layer = (size_t)st->edges[st->cur].layer;
        return VIEW_REQ_SELECT;
    }
    size_t pos = st->cur;
    if (!view_move(key, &pos, st->n_edges, st->rows))
        return VIEW_REQ_NONE;
    st->cur = pos;
    return VIEW_REQ_DONE;
}

static enum view_req graph_click(void *state, const struct tui *t, int col, int row, bool dbl,
                                 struct view_result *res)
{
    struct graph_state *st = state;
    size_t e = 0;
    (void)col;
    ensure_built(st, t);
    if (row < 0 || st->top + (size_t)row >= n_lines(st))
        return VIEW_REQ_DONE;
    if (line_at(st, st->top + (size_t)row, &e) != LINE_EDGE)
        return VIEW_REQ_DONE;
    st->cur = e;
    if (dbl && st->edges[e].layer >= 0) {
        res->layer = (size_t)st->edges[e].layer;
        return VIEW_REQ_SELECT;
    }
    return VIEW_REQ_DONE;
}

static void dot_quoted(struct sbuf *out, const char *s)
{
    sbuf_addc(out, '"');
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            sbuf_addc(out, '\\');
        if (*s == '\n')
            sbuf_add(out, "\\n");
        else
            sbuf_addc(out, *s);
    }
    sbuf_addc(out, '"');
}

static void dot_layer(struct sbuf *out, const struct tui *t, size_t li, bool self)
{
    const struct layer *l = &t->g->layers[li];
    char label[600];
    snprintf(label, sizeof label, "%zu %s\n%s", li, l->name, l->op);
    sbuf_printf(out, "  L%zu [label=", li);
    dot_quoted(out, label);
    sbuf_add(out, self ? ", style=bold];\n" : "];\n");
}

static int graph_export(void *state, const struct tui *t, struct sbuf *out, const char **ext,
                        struct errbuf *eb)
{
    struct graph_state *st = state;
    (void)eb;
    *ext = "dot";
    sbuf_add(out, "digraph neighbourhood {\n  node [shape=box];\n");
    if (t->g->n_layers == 0) {
        sbuf_add(out, "}\n");
        return 0;
    }
    ensure_built(st, t);
    dot_layer(out, t, t->layer, true);
    for (size_t e = 0; e < st->n_edges; e++) {
        const struct edge *ed = &st->edges[e];
        const char *tname = t->g->tensors[ed->tensor].name;
        char other[48];
        if (ed->layer >= 0) {
            dot_layer(out, t, (size_t)ed->layer, false);
            snprintf(other, sizeof other, "L%ld", ed->layer);
        } else {
            snprintf(other, sizeof other, "T%d", ed->tensor);
            sbuf_printf(out, "  %s [shape=ellipse, label=", other);
            dot_quoted(out, tname);
            sbuf_add(out, "];\n");
        }
        if (ed->consumer)
            sbuf_printf(out, "  L%zu -> %s [label=", t->layer, other);
        else
            sbuf_printf(out, "  %s -> L%zu [label=", other, t->layer);
        dot_quoted(out, tname);
        sbuf_add(out, "];\n");
    }
    sbuf_add(out, "}\n");
    return 0;
}

const struct view_ops view_graph_ops = {
    .name = "graph",
    .open = graph_open,
    .draw = graph_draw,
    .key = graph_key,
    .click = graph_click,
    .export = graph_export,
    .close = graph_close,
};
