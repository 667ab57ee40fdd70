/*
 * The details pane: everything known about the selected layer as a scrollable text: member
 * nodes, input and output tensors, attributes, quantization (every channel's scale and zero
 * point), then the sections a source supplies (MLF step and kernel parameters, offload
 * reasons, hazards, diff metrics). A section appears only when it has data.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "view.h"
#include "banned.h"

/* At most this many elements of an ints/floats attribute are listed inline. */
#define DETAILS_MAX_INLINE 16

struct details_state {
    struct sbuf text;       /* all lines, each ending in '\n' */
    size_t *off;            /* [n_lines] line start offsets into text */
    uint16_t *attr;         /* [n_lines] screen attribute of each line */
    size_t n_lines, cap;
    size_t built_layer;     /* layer the lines describe */
    unsigned built_gen;     /* tui gen they were built with */
    bool built;
    bool oom;               /* a line was dropped for lack of memory */
    size_t top;             /* first visible line */
    int rows;               /* visible rows at the last draw */
};

static int details_open(void **state, const struct tui *t, struct errbuf *eb)
{
    (void)t;
    struct details_state *st = mem_calloc(1, sizeof *st);
    if (st == NULL)
        return errbuf_set(eb, ST_ENOMEM, "details: out of memory");
    sbuf_init(&st->text);
    *state = st;
    return 0;
}

static void details_close(void *state)
{
    struct details_state *st = state;
    if (st == NULL)
        return;
    sbuf_release(&st->text);
    mem_free(st->off);
    mem_free(st->attr);
    mem_free(st);
}

static void add_line(struct details_state *st, unsigned attr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_line(struct details_state *st, unsigned attr, const char *fmt, ...)
{
    size_t cap_off = st->cap, cap_attr = st->cap;
    if (st->n_lines == st->cap) {
        if (!mem_grow((void **)&st->off, &cap_off, st->n_lines + 1, sizeof *st->off) ||
            !mem_grow((void **)&st->attr, &cap_attr, st->n_lines + 1, sizeof *st->attr)) {
            st->oom = true;
            return;
        }
        st->cap = cap_off < cap_attr ? cap_off : cap_attr;
    }
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    st->off[st->n_lines] = st->text.len;
    st->attr[st->n_lines] = (uint16_t)attr;
    st->n_lines++;
    sbuf_add(&st->text, buf);
    sbuf_addc(&st->text, '\n');
}

static void heading(struct details_state *st, const char *text)
{
    add_line(st, SCREEN_LABEL | SCREEN_BOLD, "%s", text);
}

static void attr_value(const struct graph *g, const struct attr *a, struct sbuf *out)
{
    switch (a->type) {
    case ATTR_INT: sbuf_printf(out, "%" PRId64, a->i); break;
    case ATTR_FLOAT: sbuf_printf(out, "%g", (double)a->f); break;
    case ATTR_STRING: sbuf_add(out, a->s ? a->s : ""); break;
    case ATTR_INTS:
    case ATTR_FLOATS:
        sbuf_addc(out, '[');
        for (size_t k = 0; k < a->n && k < DETAILS_MAX_INLINE; k++) {
            if (k)
                sbuf_add(out, ", ");
            if (a->type == ATTR_INTS)
                sbuf_printf(out, "%" PRId64, a->ints[k]);
            else
                sbuf_printf(out, "%g", (double)a->floats[k]);
        }
        if (a->n > DETAILS_MAX_INLINE)
            sbuf_printf(out, ", ... (%zu)", a->n);
        sbuf_addc(out, ']');
        break;
    case ATTR_TENSOR:
        sbuf_printf(out, "tensor %s", a->tensor >= 0 && (size_t)a->tensor < g->n_tensors ?
                    g->tensors[a->tensor].name : "?");
        break;
    default: sbuf_add(out, "(not shown)"); break;
    }
}

static void tensor_line(struct details_state *st, const struct tui *t, int ti, bool is_input)
{
    const struct graph *g = t->g;
    char shape[96];
    if (ti < 0 || (size_t)ti >= g->n_tensors)
        return;
    const struct tensor *x = &g->tensors[ti];
    tensor_shape_str(x, shape, sizeof shape);
    char from[160] = "";
    if (x->flags & TENSOR_CONST)
        snprintf(from, sizeof from, "constant, %zu B", x->data_bytes);
    else if (is_input && x->producer >= 0 && g->nodes[x->producer].layer >= 0)
        snprintf(from, sizeof from, "from layer %d", g->nodes[x->producer].layer);
    else if (x->flags & TENSOR_INPUT)
        snprintf(from, sizeof from, "graph input");
    else if (!is_input && (x->flags & TENSOR_OUTPUT))
        snprintf(from, sizeof from, "graph output");
    add_line(st, SCREEN_NORMAL, "  %s", x->name);
    add_line(st, SCREEN_DIM, "      %s %s  %s", dtype_name(x->dtype), shape, from);
}

static void quant_lines(struct details_state *st, const struct tensor *x)
{
    const struct quant *q = &x->quant;
    if (q->n == 0)
        return;
    if (q->n == 1) {
        add_line(st, SCREEN_NORMAL, "  %s", x->name);
        add_line(st, SCREEN_NORMAL, "      scale %.7g  zero point %" PRId32,
                 (double)q->scale[0], q->zero_point ? q->zero_point[0] : 0);
        return;
    }
    add_line(st, SCREEN_NORMAL, "  %s", x->name);
    add_line(st, SCREEN_DIM, "      per axis %d, %zu channels", q->axis, q->n);
    for (size_t c = 0; c < q->n; c++)
        add_line(st, SCREEN_NORMAL, "    [%3zu] scale %.7g  zp %" PRId32, c, (double)q->scale[c],
                 q->zero_point ? q->zero_point[c] : 0);
}

static const char *const section_titles[TUI_SECTION_COUNT] = {
    [TUI_SECTION_MLF] = "mlf",
    [TUI_SECTION_OFFLOAD] = "offload",
    [TUI_SECTION_HAZARDS] = "hazards",
    [TUI_SECTION_DIFF] = "diff",
};

static void build(struct details_state *st, const struct tui *t)
{
    const struct graph *g = t->g;
    const struct layer *l = &g->layers[t->layer];
    struct sbuf tmp;

    /* New data for the same layer (a background run posting results) keeps the scroll. */
    if (!st->built || st->built_layer != t->layer)
        st->top = 0;
    sbuf_reset(&st->text);
    st->n_lines = 0;
    st->oom = false;
    st->built = true;
    st->built_layer = t->layer;
    st->built_gen = t->gen;
    sbuf_init(&tmp);

    /* TFLite fused names run to hundreds of characters: one ';'-separated part per line. */
    for (const char *p = l->name; *p != '\0';) {
        size_t len = strcspn(p, ";");
        add_line(st, SCREEN_NORMAL | SCREEN_BOLD, "%s%.*s", p == l->name ? "" : "  ;",
                 (int)(len < 1000 ? len : 1000), p);
        p += len + (p[len] == ';');
    }
    add_line(st, SCREEN_NORMAL, "  layer  %zu of %zu, %s", t->layer, g->n_layers,
             layer_kind_name(l->kind));
    add_line(st, SCREEN_NORMAL, "  op     %s", l->op);
    if (l->macs > 0)
        add_line(st, SCREEN_NORMAL, "  macs   %" PRId64, l->macs);
    if (t->status[t->layer] != TUI_STATUS_NONE)
        add_line(st, tui_status_role((enum tui_status)t->status[t->layer]), "  diff   %s",
                 tui_status_name((enum tui_status)t->status[t->layer]));
    if (t->src.place) {
        struct tui_place pl = {TUI_TARGET_UNKNOWN, NULL, NULL};
        if (t->src.place(t->src.ctx, t->layer, &pl))
            add_line(st, SCREEN_NORMAL, "  target %s%s%s", pl.target_name ? pl.target_name : "?",
                     pl.kernel ? ", " : "", pl.kernel ? pl.kernel : "");
    }
    heading(st, "nodes");
    for (size_t k = 0; k < l->n_nodes; k++) {
        const struct node *nd = &g->nodes[l->nodes[k]];
        add_line(st, SCREEN_NORMAL, "  %s (%s%s%s)", nd->name, nd->domain && nd->domain[0] ?
                 nd->domain : "", nd->domain && nd->domain[0] ? "." : "", nd->op);
    }
    heading(st, "inputs");
    for (size_t k = 0; k < l->n_inputs; k++)
        tensor_line(st, t, l->inputs[k], true);
    heading(st, "outputs");
    for (size_t k = 0; k < l->n_outputs; k++)
        tensor_line(st, t, l->outputs[k], false);
    for (size_t k = 0; k < l->n_nodes; k++) {
        const struct node *nd = &g->nodes[l->nodes[k]];
        if (nd->n_attrs == 0)
            continue;
        add_line(st, SCREEN_LABEL | SCREEN_BOLD, "attributes of %s", nd->name);
        for (size_t a = 0; a < nd->n_attrs; a++) {
            sbuf_reset(&tmp);
            attr_value(g, &nd->attrs[a], &tmp);
            add_line(st, SCREEN_NORMAL, "  %-14s %s", nd->attrs[a].name, sbuf_str(&tmp));
        }
    }
    bool any_q = false;
    for (size_t k = 0; k < l->n_inputs + l->n_outputs; k++) {
        int ti = k < l->n_inputs ? l->inputs[k] : l->outputs[k - l->n_inputs];
        if (ti >= 0 && g->tensors[ti].quant.n > 0) {
            if (!any_q)
                heading(st, "quantization");
            any_q = true;
            quant_lines(st, &g->tensors[ti]);
        }
    }
    for (int sec = 0; sec < TUI_SECTION_COUNT && t->src.section; sec++) {
        sbuf_reset(&tmp);
        t->src.section(t->src.ctx, t->layer, (enum tui_section)sec, &tmp);
        if (tmp.len == 0)
            continue;
        heading(st, section_titles[sec]);
        const char *p = sbuf_str(&tmp);
        while (*p != '\0') {
            const char *nl = strchr(p, '\n');
            int len = nl ? (int)(nl - p) : (int)strlen(p);
            add_line(st, SCREEN_NORMAL, "  %.*s", len, p);
            p += len + (nl != NULL);
        }
    }
    if (sbuf_failed(&st->text)) {
        /* Offsets may point past what was stored: show nothing rather than garbage. */
        st->n_lines = 0;
        st->oom = true;
    }
    if (sbuf_failed(&tmp))
        st->oom = true;
    sbuf_release(&tmp);
}

static void ensure_built(struct details_state *st, const struct tui *t)
{
    if (!st->built || st->built_layer != t->layer || st->built_gen != t->gen)
        build(st, t);
}

static void details_draw(void *state, const struct tui *t, struct screen *s, struct view_rect r,
                         bool focused)
{
    struct details_state *st = state;
    view_title(s, r, focused, "details");
    if (t->g->n_layers == 0 || r.h < 2)
        return;
    ensure_built(st, t);
    int rows = r.h - 1;
    st->rows = rows;
    if (st->top + (size_t)rows > st->n_lines)
        st->top = st->n_lines > (size_t)rows ? st->n_lines - (size_t)rows : 0;
    const char *text = sbuf_str(&st->text);
    for (int row = 0; row < rows && st->top + (size_t)row < st->n_lines; row++) {
        size_t i = st->top + (size_t)row;
        const char *line = text + st->off[i];
        size_t len = strcspn(line, "\n");
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        screen_text_fit(s, r.x + 1, r.y + 1 + row, r.w - 1, st->attr[i], buf);
    }
    if (st->oom)
        screen_text_fit(s, r.x + 1, r.y + r.h - 1, r.w - 1, SCREEN_DIVERGED,
                        "(out of memory: list cut short)");
    if (st->n_lines > (size_t)rows) {
        char more[32];
        snprintf(more, sizeof more, " %zu-%zu/%zu ", st->top + 1,
                 st->top + (size_t)rows < st->n_lines ? st->top + (size_t)rows : st->n_lines,
                 st->n_lines);
        int n = screen_text_width(more);
        if (n < r.w - 10)
            screen_text(s, r.x + r.w - n, r.y, n, focused ? (SCREEN_TITLE_FOCUS | SCREEN_BOLD) :
                        SCREEN_TITLE, more);
    }
}

static enum view_req details_key(void *state, const struct tui *t, int key,
                                 struct view_result *res)
{
    struct details_state *st = state;
    (void)res;
    ensure_built(st, t);
    size_t span = st->n_lines > (size_t)st->rows ? st->n_lines - (size_t)st->rows + 1 : 1;
    size_t pos = st->top;
    if (!view_move(key, &pos, span, st->rows))
        return VIEW_REQ_NONE;
    st->top = pos;
    return VIEW_REQ_DONE;
}

static enum view_req details_click(void *state, const struct tui *t, int col, int row, bool dbl,
                                   struct view_result *res)
{
    (void)state, (void)t, (void)col, (void)row, (void)dbl, (void)res;
    return VIEW_REQ_DONE;
}

static int details_export(void *state, const struct tui *t, struct sbuf *out, const char **ext,
                          struct errbuf *eb)
{
    struct details_state *st = state;
    (void)eb;
    *ext = "txt";
    if (t->g->n_layers == 0)
        return 0;
    ensure_built(st, t);
    sbuf_add(out, sbuf_str(&st->text));
    return 0;
}

const struct view_ops view_details_ops = {
    .name = "details",
    .open = details_open,
    .draw = details_draw,
    .key = details_key,
    .click = details_click,
    .export = details_export,
    .close = details_close,
};
