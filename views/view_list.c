/*
 * The layer list: one row per layer (index, name, op, output shape, and, when a source
 * supplies them, target, kernel and diff verdict), coloured by target and verdict, the first
 * diverged layer marked. Draws only the visible rows, so thousands of layers scroll smoothly.
 */
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "view.h"
#include "banned.h"

#define LIST_MIN_NAME 12

struct list_state {
    size_t top;         /* first visible layer */
    int rows;           /* visible layer rows at the last draw */
};

/* Column x positions and widths for a pane width; 0 width = column hidden. */
struct list_cols {
    int idx_x, idx_w, name_x, name_w, op_x, op_w, shape_x, shape_w;
    int target_x, target_w, kernel_x, kernel_w, status_x, status_w;
};

static int digits(size_t n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

static void layout_cols(const struct tui *t, int w, struct list_cols *c)
{
    memset(c, 0, sizeof *c);
    c->idx_x = 1;
    c->idx_w = digits(t->g->n_layers ? t->g->n_layers - 1 : 0);
    int rem = w - (c->idx_x + c->idx_w + 1);
    /* Columns in the order they give way when the pane narrows. */
    int *widths[5] = {&c->op_w, &c->target_w, &c->status_w, &c->shape_w, &c->kernel_w};
    const int want[5] = {17, 8, 9, 14, 24};
    const bool avail[5] = {true, t->any_place, t->any_status, true, t->any_place};
    for (int i = 0; i < 5; i++) {
        if (avail[i] && rem - (want[i] + 1) >= LIST_MIN_NAME) {
            *widths[i] = want[i];
            rem -= want[i] + 1;
        }
    }
    c->name_x = c->idx_x + c->idx_w + 1;
    c->name_w = rem;
    int x = c->name_x + c->name_w + 1;
    if (c->op_w) { c->op_x = x; x += c->op_w + 1; }
    if (c->shape_w) { c->shape_x = x; x += c->shape_w + 1; }
    if (c->target_w) { c->target_x = x; x += c->target_w + 1; }
    if (c->kernel_w) { c->kernel_x = x; x += c->kernel_w + 1; }
    if (c->status_w) { c->status_x = x; }
}

static int list_open(void **state, const struct tui *t, struct errbuf *eb)
{
    (void)t;
    struct list_state *st = mem_calloc(1, sizeof *st);
    if (st == NULL)
        return errbuf_set(eb, ST_ENOMEM, "layer list: out of memory");
    *state = st;
    return 0;
}

static void list_close(void *state)
{
    mem_free(state);
}

static enum screen_role target_role(enum tui_target tg)
{
    switch (tg) {
    case TUI_TARGET_CMSIS: return SCREEN_CMSIS;
    case TUI_TARGET_C: return SCREEN_C;
    case TUI_TARGET_FOLDED: return SCREEN_FOLDED;
    default: return SCREEN_DIM;
    }
}

static void out_shape(const struct tui *t, const struct layer *l, char *buf, size_t bytes)
{
    if (l->n_outputs == 0 || l->outputs[0] < 0) {
        snprintf(buf, bytes, "-");
        return;
    }
    tensor_shape_str(&t->g->tensors[l->outputs[0]], buf, bytes);
}

static void draw_row(const struct tui *t, struct screen *s, int x, int y, int w,
                     const struct list_cols *c, size_t i, bool selected)
{
    const struct layer *l = &t->g->layers[i];
    enum tui_status st = (enum tui_status)t->status[i];
    unsigned base = SCREEN_NORMAL;
    char buf[64];

    if (st == TUI_STATUS_DIVERGED || st == TUI_STATUS_MISSING || st == TUI_STATUS_CORRUPT)
        base = tui_status_role(st);
    if (selected)
        base = SCREEN_SELECTED | SCREEN_BOLD;
    screen_fill(s, x, y, w, 1, ' ', base);
    if ((long)i == t->first_divergent)
        screen_put(s, x, y, screen_glyph(s, SCREEN_G_MARK), selected ? base :
                   (SCREEN_DIVERGED | SCREEN_BOLD));
    snprintf(buf, sizeof buf, "%*zu", c->idx_w, i);
    screen_text(s, x + c->idx_x, y, c->idx_w, selected ? base : SCREEN_DIM, buf);
    view_fit_name(s, x + c->name_x, y, c->name_w,
                  !selected && tui_layer_matches(t, i) ? SCREEN_MATCH : base,
                  l->name ? l->name : "");
    if (c->op_w)
        screen_text_fit(s, x + c->op_x, y, c->op_w, base, l->op ? l->op : "");
    if (c->shape_w) {
        out_shape(t, l, buf, sizeof buf);
        screen_text_fit(s, x + c->shape_x, y, c->shape_w, base, buf);
    }
    if (c->target_w || c->kernel_w) {
        struct tui_place pl = {TUI_TARGET_UNKNOWN, NULL, NULL};
        bool known = t->src.place(t->src.ctx, i, &pl);
        unsigned a = selected ? base : target_role(pl.target);
        if (c->target_w)
            screen_text_fit(s, x + c->target_x, y, c->target_w, a,
                            known && pl.target_name ? pl.target_name : "?");
        if (c->kernel_w)
            screen_text_fit(s, x + c->kernel_x, y, c->kernel_w, a,
                            known && pl.kernel ? pl.kernel : "-");
    }
    if (c->status_w)
        screen_text_fit(s, x + c->status_x, y, c->status_w,
                        selected ? base : tui_status_role(st), tui_status_name(st));
}

static void list_draw(void *state, const struct tui *t, struct screen *s, struct view_rect r,
                      bool focused)
{
    struct list_state *st = state;
    size_t n = t->g->n_layers;
    struct list_cols c;
    char title[128];

    if (t->first_divergent >= 0)
        snprintf(title, sizeof title, "layers (%zu)  first diverged: %ld", n,
                 t->first_divergent);
    else
        snprintf(title, sizeof title, "layers (%zu)", n);
    view_title(s, r, focused, title);
    if (r.h < 2)
        return;
    if (n == 0) {
        screen_text(s, r.x + 1, r.y + 1, r.w - 1, SCREEN_DIM, "(no layers)");
        return;
    }
    layout_cols(t, r.w, &c);
    unsigned lab = SCREEN_LABEL | SCREEN_BOLD;
    screen_text(s, r.x + c.idx_x + c.idx_w - 1, r.y + 1, 1, lab, "#");
    screen_text(s, r.x + c.name_x, r.y + 1, c.name_w, lab, "name");
    if (c.op_w) screen_text(s, r.x + c.op_x, r.y + 1, c.op_w, lab, "op");
    if (c.shape_w) screen_text(s, r.x + c.shape_x, r.y + 1, c.shape_w, lab, "output");
    if (c.target_w) screen_text(s, r.x + c.target_x, r.y + 1, c.target_w, lab, "target");
    if (c.kernel_w) screen_text(s, r.x + c.kernel_x, r.y + 1, c.kernel_w, lab, "kernel");
    if (c.status_w) screen_text(s, r.x + c.status_x, r.y + 1, c.status_w, lab, "diff");

    int rows = r.h - 2;
    st->rows = rows;
    if (rows <= 0)
        return;
    /* Keep a margin of context rows around the selection while scrolling. */
    size_t margin = rows >= 8 ? 2 : 0, sel = t->layer, vis = (size_t)rows;
    if (sel < st->top + margin)
        st->top = sel > margin ? sel - margin : 0;
    else if (sel + margin >= st->top + vis)
        st->top = sel + margin + 1 - vis;
    if (st->top + vis > n)
        st->top = n > vis ? n - vis : 0;
    for (int row = 0; row < rows && st->top + (size_t)row < n; row++) {
        size_t i = st->top + (size_t)row;
        draw_row(t, s, r.x, r.y + 2 + row, r.w, &c, i, i == sel);
    }
}

static enum view_req list_key(void *state, const struct tui *t, int key,
                              struct view_result *res)
{
    struct list_state *st = state;
    size_t pos = t->layer;
    if (!view_move(key, &pos, t->g->n_layers, st->rows))
        return VIEW_REQ_NONE;
    res->layer = pos;
    return VIEW_REQ_SELECT;
}

static enum view_req list_click(void *state, const struct tui *t, int col, int row, bool dbl,
                                struct view_result *res)
{
    struct list_state *st = state;
    (void)col;
    (void)dbl;
    if (row < 1 || st->top + (size_t)(row - 1) >= t->g->n_layers)
        return VIEW_REQ_DONE;
    res->layer = st->top + (size_t)(row - 1);
    return VIEW_REQ_SELECT;
}

static int list_export(void *state, const struct tui *t, struct sbuf *out, const char **ext,
                       struct errbuf *eb)
{
    (void)state;
    (void)eb;
    char shape[64];
    *ext = "tsv";
    sbuf_add(out, "index\tname\top\tkind\toutput\ttarget\tkernel\tdiff\n");
    for (size_t i = 0; i < t->g->n_layers; i++) {
        const struct layer *l = &t->g->layers[i];
        struct tui_place pl = {TUI_TARGET_UNKNOWN, NULL, NULL};
        bool known = t->src.place && t->src.place(t->src.ctx, i, &pl);
        out_shape(t, l, shape, sizeof shape);
        sbuf_printf(out, "%zu\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i, l->name, l->op,
                    layer_kind_name(l->kind), shape,
                    known && pl.target_name ? pl.target_name : "",
                    known && pl.kernel ? pl.kernel : "",
                    tui_status_name((enum tui_status)t->status[i]));
    }
    return 0;
}

const struct view_ops view_list_ops = {
    .name = "layers",
    .open = list_open,
    .draw = list_draw,
    .key = list_key,
    .click = list_click,
    .export = list_export,
    .close = list_close,
};
