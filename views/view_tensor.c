/*
 * The tensor pane: a 2-D slice of one of the selected layer's tensors, as numbers or a heat
 * map. A layer's output shows the reference and board traces side by side with their
 * difference (non-zero differences highlighted, `f` jumps to the first one) when a source
 * supplies them; constant inputs (weights, bias) come from the model, so the pane is useful
 * with only a model loaded. Rank-1 tensors wrap to the pane width.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dump/npy.h"
#include "mem.h"
#include "view.h"
#include "banned.h"

#define TENSOR_MAX_ENTRIES 32
/* Slices larger than this are scanned only where visible for widths and heat ranges. */
#define TENSOR_SCAN_LIMIT ((size_t)1 << 16)

enum pane_kind { PANE_A, PANE_B, PANE_DELTA };

struct entry {
    int tensor;         /* graph tensor index */
    bool trace;         /* the layer's output: values come from the source's traces */
};

struct tensor_state {
    bool built;
    size_t built_layer;
    unsigned built_gen;
    struct entry ents[TENSOR_MAX_ENTRIES];
    size_t n_ents, cur;
    /* The values of the current entry. */
    struct tensor_value a, b;   /* a: reference or constant; b: board */
    bool have_a, have_b;
    size_t n_elems;             /* elements of a (and b when both) */
    int row_axis, col_axis, slice_axis;     /* -1 where the rank has no such axis */
    int64_t idx[GRAPH_MAX_RANK];            /* fixed coordinates of the other axes */
    size_t cur_row, cur_col;                /* the cursor in the 2-D slice */
    size_t row_off, col_off;                /* top-left visible cell */
    size_t wrap_cols;                       /* rank <= 1: elements per row at the last draw */
    bool heat;
    int rows, cols_vis;                     /* visible rows and columns at the last draw */
};

static int tensor_open(void **state, const struct tui *t, struct errbuf *eb)
{
    (void)t;
    struct tensor_state *st = mem_calloc(1, sizeof *st);
    if (st == NULL)
        return errbuf_set(eb, ST_ENOMEM, "tensor view: out of memory");
    st->wrap_cols = 8;
    *state = st;
    return 0;
}

static void tensor_close(void *state)
{
    mem_free(state);
}

static bool value_shape_ok(const struct tensor_value *v, size_t *n)
{
    size_t p = 1;
    if (v->rank < 0 || v->rank > GRAPH_MAX_RANK)
        return false;
    for (int i = 0; i < v->rank; i++)
        if (v->dims[i] < 0 || !size_mul(p, (size_t)v->dims[i], &p))
            return false;
    *n = p;
    return true;
}

static void reset_axes(struct tensor_state *st)
{
    int r = st->have_a ? st->a.rank : 0;
    memset(st->idx, 0, sizeof st->idx);
    st->cur_row = st->cur_col = st->row_off = st->col_off = 0;
    /* Show the last two axes longer than 1; with fewer, wrap the elements like a vector
     * (a 1x1x1x64 pooling output is 64 numbers, not a 1x64 strip). */
    int big[GRAPH_MAX_RANK], n_big = 0;
    for (int i = 0; i < r; i++)
        if (st->a.dims[i] > 1)
            big[n_big++] = i;
    st->row_axis = n_big >= 2 ? big[n_big - 2] : -1;
    st->col_axis = n_big >= 2 ? big[n_big - 1] : -1;
    st->slice_axis = -1;
    if (st->row_axis < 0)
        return;
    /* The first other axis with more than one element is the one c/C steps through. */
    for (int i = 0; i < r; i++) {
        if (i == st->row_axis || i == st->col_axis)
            continue;
        if (st->slice_axis < 0 || (st->a.dims[st->slice_axis] <= 1 && st->a.dims[i] > 1))
            st->slice_axis = i;
    }
}

static void load_entry(struct tensor_state *st, const struct tui *t, bool keep_view)
{
    struct tensor_state old = *st;
    st->have_a = st->have_b = false;
    st->n_elems = 0;
    if (st->cur < st->n_ents) {
        const struct entry *e = &st->ents[st->cur];
        if (e->trace) {
            st->have_a = t->src.tensor(t->src.ctx, t->layer, TUI_TRACE_REF, &st->a);
            st->have_b = t->src.tensor(t->src.ctx, t->layer, TUI_TRACE_BOARD, &st->b);
            if (!st->have_a && st->have_b) {
                st->a = st->b;     /* board only: show it as the single pane */
                st->have_a = true;
                st->have_b = false;
            }
        } else {
            st->have_a = view_const_value(&t->g->tensors[e->tensor], &st->a);
        }
    }
    size_t na = 0, nb = 0;
    if (st->have_a && !value_shape_ok(&st->a, &na))
        st->have_a = false;
    if (st->have_b && (!value_shape_ok(&st->b, &nb) || nb != na || st->b.rank != st->a.rank))
        st->have_b = false;    /* shapes disagree: the diff view reports this; show ref only */
    st->n_elems = st->have_a ? na : 0;
    reset_axes(st);
    /* Same tensor shape as before (new trace data arriving for this layer): keep the slice,
     * the axes and the cursor where the user left them. */
    bool same_shape = keep_view && old.have_a && st->have_a && old.a.rank == st->a.rank;
    for (int i = 0; same_shape && i < st->a.rank; i++)
        same_shape = old.a.dims[i] == st->a.dims[i];
    if (same_shape) {
        st->row_axis = old.row_axis;
        st->col_axis = old.col_axis;
        st->slice_axis = old.slice_axis;
        memcpy(st->idx, old.idx, sizeof st->idx);
        st->cur_row = old.cur_row;
        st->cur_col = old.cur_col;
        st->row_off = old.row_off;
        st->col_off = old.col_off;
    }
}

static void build(struct tensor_state *st, const struct tui *t)
{
    const struct graph *g = t->g;
    const struct layer *l = &g->layers[t->layer];
    bool same_layer = st->built && st->built_layer == t->layer;
    int old_tensor = same_layer && st->cur < st->n_ents ? st->ents[st->cur].tensor : -1;
    bool old_trace = same_layer && st->cur < st->n_ents && st->ents[st->cur].trace;
    st->built = true;
    st->built_layer = t->layer;
    st->built_gen = t->gen;
    st->n_ents = 0;
    st->cur = 0;
    if (t->src.tensor != NULL && l->n_outputs > 0 && l->outputs[0] >= 0) {
        st->ents[st->n_ents].tensor = l->outputs[0];
        st->ents[st->n_ents++].trace = true;
    }
    for (size_t k = 0; k < l->n_inputs && st->n_ents < TENSOR_MAX_ENTRIES; k++) {
        int ti = l->inputs[k];
        if (ti >= 0 && g->tensors[ti].data != NULL) {
            st->ents[st->n_ents].tensor = ti;
            st->ents[st->n_ents++].trace = false;
        }
    }
    for (size_t k = 0; k < st->n_ents; k++)
        if (st->ents[k].tensor == old_tensor && st->ents[k].trace == old_trace)
            st->cur = k;
    load_entry(st, t, same_layer && old_tensor >= 0);
}

static void ensure_built(struct tensor_state *st, const struct tui *t)
{
    if (!st->built || st->built_layer != t->layer || st->built_gen != t->gen)
        build(st, t);
}

/* Extent of the 2-D slice. */
static void slice_extent(const struct tensor_state *st, size_t *rows, size_t *cols)
{
    if (st->row_axis < 0) {
        size_t c = st->wrap_cols ? st->wrap_cols : 1;
        *cols = st->n_elems < c ? (st->n_elems ? st->n_elems : 1) : c;
        *rows = (st->n_elems + *cols - 1) / *cols;
        return;
    }
    *rows = (size_t)st->a.dims[st->row_axis];
    *cols = (size_t)st->a.dims[st->col_axis];
}

/* Linear element index of slice cell (r, c); false outside the tensor. */
static bool cell_index(const struct tensor_state *st, size_t r, size_t c, size_t *lin)
{
    if (st->row_axis < 0) {
        size_t i = r * (st->wrap_cols ? st->wrap_cols : 1) + c;
        if (i >= st->n_elems || c >= st->wrap_cols)
            return false;
        *lin = i;
        return true;
    }
    size_t i = 0;
    for (int ax = 0; ax < st->a.rank; ax++) {
        int64_t coord = ax == st->row_axis ? (int64_t)r : ax == st->col_axis ? (int64_t)c :
                        st->idx[ax];
        if (coord < 0 || coord >= st->a.dims[ax])
            return false;
        i = i * (size_t)st->a.dims[ax] + (size_t)coord;
    }
    *lin = i;
    return true;
}

static bool pane_get(const struct tensor_state *st, enum pane_kind p, size_t lin, double *out)
{
    double va, vb;
    switch (p) {
    case PANE_A: return view_value_get(&st->a, lin, out);
    case PANE_B: return view_value_get(&st->b, lin, out);
    default:
        if (!view_value_get(&st->a, lin, &va) || !view_value_get(&st->b, lin, &vb))
            return false;
        *out = vb - va;
        return true;
    }
}

static bool differs(const struct tensor_state *st, size_t lin)
{
    double d;
    return st->have_b && pane_get(st, PANE_DELTA, lin, &d) && d != 0;
}

static enum dtype pane_dtype(const struct tensor_state *st, enum pane_kind p)
{
    if (p == PANE_DELTA) {
        enum dtype d = st->a.dtype;
        return d == DTYPE_F32 || d == DTYPE_F16 || d == DTYPE_F64 ? DTYPE_F32 : DTYPE_S64;
    }
    return p == PANE_B ? st->b.dtype : st->a.dtype;
}

/* Cell width and value range of a pane over the slice (or the visible part when huge). */
static void pane_scan(const struct tensor_state *st, enum pane_kind p, size_t r0, size_t r1,
                      size_t c0, size_t c1, int *width, double *lo, double *hi)
{
    char buf[48];
    bool first = true;
    *width = 1;
    *lo = *hi = 0;
    for (size_t r = r0; r < r1; r++) {
        for (size_t c = c0; c < c1; c++) {
            size_t lin;
            double v;
            if (!cell_index(st, r, c, &lin) || !pane_get(st, p, lin, &v))
                continue;
            view_value_fmt(buf, sizeof buf, pane_dtype(st, p), v);
            int n = (int)strlen(buf);
            if (n > *width)
                *width = n;
            if (isnan(v))
                continue;
            if (first || v < *lo)
                *lo = v;
            if (first || v > *hi)
                *hi = v;
            first = false;
        }
    }
}

static void coords_str(const struct tensor_state *st, size_t lin, char *buf, size_t bytes)
{
    size_t used = 0;
    int rank = st->a.rank;
    int64_t co[GRAPH_MAX_RANK];
    for (int ax = rank - 1; ax >= 0; ax--) {
        size_t d = st->a.dims[ax] > 0 ? (size_t)st->a.dims[ax] : 1;
        co[ax] = (int64_t)(lin % d);
        lin /= d;
    }
    used += (size_t)snprintf(buf, bytes, "[");
    for (int ax = 0; ax < rank && used < bytes; ax++)
        used += (size_t)snprintf(buf + used, bytes - used, "%s%" PRId64, ax ? "," : "", co[ax]);
    if (rank == 0 && used < bytes)
        used += (size_t)snprintf(buf + used, bytes - used, "%zu", lin);
    if (used < bytes)
        snprintf(buf + used, bytes - used, "]");
}

static void slice_str(const struct tensor_state *st, char *buf, size_t bytes)
{
    size_t used = (size_t)snprintf(buf, bytes, "[");
    if (st->row_axis < 0) {
        snprintf(buf, bytes, "[:]");   /* rank <= 1: the whole tensor, wrapped */
        return;
    }
    for (int ax = 0; ax < st->a.rank && used < bytes; ax++) {
        const char *sep = ax ? "," : "";
        if (ax == st->row_axis || ax == st->col_axis)
            used += (size_t)snprintf(buf + used, bytes - used, "%s:", sep);
        else
            used += (size_t)snprintf(buf + used, bytes - used, "%s%" PRId64, sep, st->idx[ax]);
    }
    if (used < bytes)
        snprintf(buf + used, bytes - used, "]");
}

static const char heat_chars[8] = {' ', '.', ':', '-', '=', '+', '*', '#'};

static void draw_pane(struct tensor_state *st, struct screen *s, enum pane_kind p, int x, int y,
                      int w, int h, int cw, int labw, size_t rows, size_t cols, const char *title)
{
    double lo, hi;
    int width;
    size_t vis_r = h > 2 ? (size_t)h - 2 : 0, vis_c = (size_t)((w - labw) / cw);
    size_t r1 = st->row_off + vis_r < rows ? st->row_off + vis_r : rows;
    size_t c1 = st->col_off + vis_c < cols ? st->col_off + vis_c : cols;
    bool all = rows * cols <= TENSOR_SCAN_LIMIT;
    pane_scan(st, p, all ? 0 : st->row_off, all ? rows : r1, all ? 0 : st->col_off,
              all ? cols : c1, &width, &lo, &hi);
    if (p == PANE_DELTA) {      /* symmetric range: |Δ| decides the heat */
        double m = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
        lo = 0;
        hi = m;
    }
    screen_text_fit(s, x, y, w - 1, SCREEN_LABEL | SCREEN_BOLD, title);
    y++;
    for (size_t c = st->col_off; c < c1; c++) {
        char lab[24];
        snprintf(lab, sizeof lab, "%*zu", cw, c);
        if (!st->heat)
            screen_text(s, x + labw + (int)(c - st->col_off) * cw, y, cw, SCREEN_DIM,
                        lab + (strlen(lab) > (size_t)cw ? strlen(lab) - (size_t)cw : 0));
    }
    for (size_t r = st->row_off; r < r1; r++) {
        int yy = y + 1 + (int)(r - st->row_off);
        char lab[24];
        snprintf(lab, sizeof lab, "%*zu", labw - 1,
                 st->row_axis < 0 ? r * (st->wrap_cols ? st->wrap_cols : 1) : r);
        screen_text(s, x, yy, labw - 1, SCREEN_DIM, lab);
        for (size_t c = st->col_off; c < c1; c++) {
            int xx = x + labw + (int)(c - st->col_off) * cw;
            size_t lin;
            double v;
            char buf[48];
            if (!cell_index(st, r, c, &lin))
                continue;
            bool cursor = r == st->cur_row && c == st->cur_col;
            unsigned attr = differs(st, lin) ? (SCREEN_DELTA | SCREEN_BOLD) : SCREEN_NORMAL;
            if (!pane_get(st, p, lin, &v)) {
                screen_textf(s, xx, yy, cw, attr, "%*s", cw, "?");
                continue;
            }
            if (st->heat) {
                double m = p == PANE_DELTA ? fabs(v) : v;
                int level = hi > lo ? (int)((m - lo) / (hi - lo) * 7.0 + 0.5) : 0;
                level = level < 0 ? 0 : level > 7 ? 7 : level;
                unsigned ha = (unsigned)(SCREEN_HEAT0 + level);
                screen_put(s, xx, yy, (uint32_t)heat_chars[level], cursor ? SCREEN_SELECTED : ha);
                screen_put(s, xx + 1, yy, (uint32_t)heat_chars[level],
                           cursor ? SCREEN_SELECTED : ha);
                continue;
            }
            view_value_fmt(buf, sizeof buf, pane_dtype(st, p), v);
            if (p == PANE_DELTA && v == 0)
                attr = SCREEN_DIM;
            screen_textf(s, xx, yy, cw, cursor ? (SCREEN_SELECTED | SCREEN_BOLD) : attr, "%*s",
                         cw, buf);
        }
    }
}

static void tensor_draw(void *state, const struct tui *t, struct screen *s, struct view_rect r,
                        bool focused)
{
    struct tensor_state *st = state;
    char buf[256], sl[96], shape[96];

    view_title(s, r, focused, "tensor");
    if (t->g->n_layers == 0 || r.h < 2)
        return;
    ensure_built(st, t);
    int x = r.x + 1, w = r.w - 1, y = r.y + 1, h = r.h - 1;
    if (st->n_ents == 0) {
        screen_text_fit(s, x, y, w, SCREEN_DIM, "no constant tensors in this layer");
        screen_text_fit(s, x, y + 1, w, SCREEN_DIM, "(its output shows here after a run)");
        return;
    }
    const struct entry *e = &st->ents[st->cur];
    const struct tensor *tt = &t->g->tensors[e->tensor];
    snprintf(buf, sizeof buf, "%s  (%zu/%zu)", tt->name, st->cur + 1, st->n_ents);
    screen_text_fit(s, x, y, w, SCREEN_NORMAL | SCREEN_BOLD, buf);
    if (!st->have_a) {
        /* A reference run still going will get here: say so rather than "no data". */
        screen_text_fit(s, x, y + 1, w, SCREEN_DIM, !e->trace ? "no readable data" :
                        t->progress_total > 0 ? "not computed yet: the reference run is on "
                        "its way" : "no trace data for this layer");
        return;
    }
    tensor_shape_str(tt, shape, sizeof shape);
    slice_str(st, sl, sizeof sl);
    snprintf(buf, sizeof buf, "%s %s %s %s", dtype_name(st->a.dtype), shape,
             e->trace ? (st->have_b ? "ref|board" : "trace") : "const", sl);
    screen_text_fit(s, x, y + 1, w, SCREEN_DIM, buf);
    if (h < 6)
        return;

    int npanes = st->have_b ? 3 : 1;
    int pw = w / npanes;
    size_t rows, cols;
    /* Rank <= 1 wraps: as many elements per row as fit the pane (refreshed every draw). */
    if (st->row_axis < 0) {
        int cw_guess = st->heat ? 2 : 5;
        int fit = (pw - 6) / cw_guess;
        size_t wc = fit > 1 ? (size_t)fit : 1;
        /* Keep the cursor on the same element when the row length changes. */
        size_t lin = st->cur_row * (st->wrap_cols ? st->wrap_cols : 1) + st->cur_col;
        st->wrap_cols = wc;
        st->cur_row = lin / wc;
        st->cur_col = lin % wc;
    }
    slice_extent(st, &rows, &cols);
    int cw = 2;
    if (!st->heat) {
        int wmax = 1;
        for (int p = 0; p < npanes; p++) {
            double lo, hi;
            int wp;
            bool all = rows * cols <= TENSOR_SCAN_LIMIT;
            pane_scan(st, (enum pane_kind)(p == 2 ? PANE_DELTA : p), 0, all ? rows : 1, 0,
                      all ? cols : 1, &wp, &lo, &hi);
            wmax = wp > wmax ? wp : wmax;
        }
        cw = wmax + 1;
    }
    char lab[24];
    int labw = snprintf(lab, sizeof lab, "%zu", rows ? (rows - 1) *
                        (st->row_axis < 0 ? st->wrap_cols : 1) : 0) + 1;
    int grid_h = h - 3;     /* two info lines, one line for the cursor value */
    st->rows = grid_h - 2;     /* pane title and column labels */
    st->cols_vis = (pw - labw) / cw > 0 ? (pw - labw) / cw : 1;
    /* Keep the cursor visible. */
    if (st->cur_row >= rows)
        st->cur_row = rows ? rows - 1 : 0;
    if (st->cur_col >= cols)
        st->cur_col = cols ? cols - 1 : 0;
    size_t vr = st->rows > 0 ? (size_t)st->rows : 1, vc = (size_t)st->cols_vis;
    if (st->cur_row < st->row_off)
        st->row_off = st->cur_row;
    else if (st->cur_row >= st->row_off + vr)
        st->row_off = st->cur_row + 1 - vr;
    if (st->cur_col < st->col_off)
        st->col_off = st->cur_col;
    else if (st->cur_col >= st->col_off + vc)
        st->col_off = st->cur_col + 1 - vc;

    static const char *const titles[3] = {"reference", "board", "delta"};
    for (int p = 0; p < npanes; p++) {
        const char *title = npanes == 1 ? (e->trace ? "output" : st->heat ?
                            "values (heat map)" : "values") : titles[p];
        draw_pane(st, s, (enum pane_kind)(p == 2 ? PANE_DELTA : p), x + p * pw, y + 2, pw,
                  grid_h, cw, labw, rows, cols, title);
    }
    size_t lin;
    double va, vb;
    if (cell_index(st, st->cur_row, st->cur_col, &lin) && pane_get(st, PANE_A, lin, &va)) {
        char co[96], fa[48], fb[48];
        coords_str(st, lin, co, sizeof co);
        view_value_fmt(fa, sizeof fa, st->a.dtype, va);
        if (st->have_b && pane_get(st, PANE_B, lin, &vb)) {
            view_value_fmt(fb, sizeof fb, st->b.dtype, vb);
            snprintf(buf, sizeof buf, "%s ref %s board %s", co, fa, fb);
        } else if (tt->quant.n > 0) {
            size_t ch = 0;
            if (tt->quant.n > 1 && tt->quant.axis >= 0 && tt->quant.axis < st->a.rank) {
                size_t inner = 1;
                for (int ax = st->a.rank - 1; ax > tt->quant.axis; ax--)
                    inner *= (size_t)st->a.dims[ax];
                ch = (lin / inner) % (size_t)st->a.dims[tt->quant.axis];
            }
            double real = ch < tt->quant.n ? (double)tt->quant.scale[ch] *
                          (va - (tt->quant.zero_point ? tt->quant.zero_point[ch] : 0)) : va;
            snprintf(buf, sizeof buf, "%s = %s (real %.6g)", co, fa, real);
        } else {
            snprintf(buf, sizeof buf, "%s = %s", co, fa);
        }
        screen_text_fit(s, x, y + h - 1, w, SCREEN_NORMAL, buf);
    }
}

/* Finds the first element where board and reference differ and puts the cursor on it. */
static enum view_req first_diff(struct tensor_state *st, struct view_result *res)
{
    if (!st->have_b) {
        res->msg = "f: needs both a reference and a board tensor";
        return VIEW_REQ_MESSAGE;
    }
    for (size_t i = 0; i < st->n_elems; i++) {
        if (!differs(st, i))
            continue;
        if (st->row_axis < 0) {
            size_t wc = st->wrap_cols ? st->wrap_cols : 1;
            st->cur_row = i / wc;
            st->cur_col = i % wc;
            return VIEW_REQ_DONE;
        }
        size_t lin = i;
        for (int ax = st->a.rank - 1; ax >= 0; ax--) {
            size_t d = (size_t)st->a.dims[ax];
            size_t co = d ? lin % d : 0;
            lin = d ? lin / d : 0;
            if (ax == st->row_axis)
                st->cur_row = co;
            else if (ax == st->col_axis)
                st->cur_col = co;
            else
                st->idx[ax] = (int64_t)co;
        }
        return VIEW_REQ_DONE;
    }
    res->msg = "no element differs";
    return VIEW_REQ_MESSAGE;
}

/* Next pair (row axis < col axis) in lexicographic order, wrapping. */
static void next_axes(struct tensor_state *st)
{
    int r = st->a.rank, i = st->row_axis, j = st->col_axis + 1;
    if (r < 2)
        return;
    if (i < 0) {
        i = 0;
        j = 1;
    }
    if (j >= r) {
        i++;
        j = i + 1;
    }
    if (j >= r) {
        i = 0;
        j = 1;
    }
    st->row_axis = i;
    st->col_axis = j;
    st->idx[i] = st->idx[j] = 0;
    if (st->slice_axis == i || st->slice_axis == j || st->slice_axis < 0) {
        st->slice_axis = -1;
        for (int k = 0; k < r && st->slice_axis < 0; k++)
            if (k != i && k != j)
                st->slice_axis = k;
    }
    st->cur_row = st->cur_col = st->row_off = st->col_off = 0;
}

static enum view_req tensor_key(void *state, const struct tui *t, int key,
                                struct view_result *res)
{
    struct tensor_state *st = state;
    ensure_built(st, t);
    size_t rows = 0, cols = 0;
    if (st->have_a)
        slice_extent(st, &rows, &cols);
    switch (key) {
    case 't': case 'T':
        if (st->n_ents == 0)
            return VIEW_REQ_DONE;
        st->cur = key == 't' ? (st->cur + 1) % st->n_ents :
                  (st->cur + st->n_ents - 1) % st->n_ents;
        load_entry(st, t, false);
        return VIEW_REQ_DONE;
    case 'm': st->heat = !st->heat; return VIEW_REQ_DONE;
    case 'f': return first_diff(st, res);
    default: break;
    }
    if (!st->have_a)
        return VIEW_REQ_NONE;
    switch (key) {
    case 'a': next_axes(st); return VIEW_REQ_DONE;
    case 'x': {
        int r = st->a.rank;
        for (int k = 1; k <= r; k++) {
            int ax = (st->slice_axis + k + r) % r;
            if (ax != st->row_axis && ax != st->col_axis) {
                st->slice_axis = ax;
                break;
            }
        }
        return VIEW_REQ_DONE;
    }
    case 'c': case 'C':
        if (st->slice_axis >= 0 && st->a.dims[st->slice_axis] > 0) {
            int64_t d = st->a.dims[st->slice_axis], *v = &st->idx[st->slice_axis];
            *v = key == 'c' ? (*v + 1) % d : (*v + d - 1) % d;
        }
        return VIEW_REQ_DONE;
    case TUI_KEY_LEFT: case 'h': case TUI_KEY_RIGHT: case 'l':
        if (st->row_axis < 0) {     /* wrapped vector: move along the elements */
            size_t wc = st->wrap_cols ? st->wrap_cols : 1;
            size_t lin = st->cur_row * wc + st->cur_col;
            bool left = key == TUI_KEY_LEFT || key == 'h';
            if (left && lin == 0)
                return VIEW_REQ_NONE;
            lin = left ? lin - 1 : lin + 1 < st->n_elems ? lin + 1 : lin;
            st->cur_row = lin / wc;
            st->cur_col = lin % wc;
            return VIEW_REQ_DONE;
        }
        if (key == TUI_KEY_RIGHT || key == 'l') {
            if (st->cur_col + 1 < cols)
                st->cur_col++;
            return VIEW_REQ_DONE;
        }
        if (st->cur_col == 0)
            return VIEW_REQ_NONE;     /* at the left edge: back to the list */
        st->cur_col--;
        return VIEW_REQ_DONE;
    default:
        break;
    }
    size_t pos = st->cur_row;
    if (!view_move(key, &pos, rows, st->rows))
        return VIEW_REQ_NONE;
    st->cur_row = pos;
    return VIEW_REQ_DONE;
}

static enum view_req tensor_click(void *state, const struct tui *t, int col, int row, bool dbl,
                                  struct view_result *res)
{
    (void)state, (void)t, (void)col, (void)row, (void)dbl, (void)res;
    return VIEW_REQ_DONE;
}

/*
 * The whole tensor of the first pane (the reference output, or the constant) as .npy, for
 * numpy. A board trace is not exported here: it is in the user's board log already.
 */
static int tensor_export(void *state, const struct tui *t, struct sbuf *out, const char **ext,
                         struct errbuf *eb)
{
    struct tensor_state *st = state;
    uint8_t *img = NULL;
    size_t n = 0;
    *ext = "npy";
    if (t->g->n_layers == 0)
        return errbuf_set(eb, ST_ENOTFOUND, "no layers: nothing to export");
    ensure_built(st, t);
    if (!st->have_a)
        return errbuf_set(eb, ST_ENOTFOUND, "layer %zu: no tensor data to export", t->layer);
    int rc = npy_write_buffer(&st->a, &img, &n, eb);
    if (rc < 0)
        return rc;
    sbuf_addn(out, (const char *)img, n);
    mem_free(img);
    return sbuf_failed(out) ? errbuf_set(eb, ST_ENOMEM, "export: out of memory") : 0;
}

const struct view_ops view_tensor_ops = {
    .name = "tensor",
    .open = tensor_open,
    .draw = tensor_draw,
    .key = tensor_key,
    .click = tensor_click,
    .export = tensor_export,
    .close = tensor_close,
};
