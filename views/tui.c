/*
 * The TUI controller: layout (title bar, layer list beside one inspector pane, status line,
 * help overlay), global key bindings (search, next divergent layer, pane switching, export)
 * and the routing of view requests. Views only see a const struct tui.
 */
#include "tui.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "view.h"
#include "banned.h"

static const char *const status_names[] = {
#define TUI_STATUS_NAME(e, name, role) name,
    TUI_STATUS_LIST(TUI_STATUS_NAME)
#undef TUI_STATUS_NAME
};
static const enum screen_role status_roles[] = {
#define TUI_STATUS_ROLE(e, name, role) role,
    TUI_STATUS_LIST(TUI_STATUS_ROLE)
#undef TUI_STATUS_ROLE
};
static_assert(sizeof status_names / sizeof status_names[0] == TUI_STATUS_COUNT, "names");
static_assert(sizeof status_roles / sizeof status_roles[0] == TUI_STATUS_COUNT, "roles");

static const struct view_ops *const pane_ops[TUI_PANE_COUNT] = {
    [TUI_PANE_LIST] = &view_list_ops,
    [TUI_PANE_DETAILS] = &view_details_ops,
    [TUI_PANE_TENSOR] = &view_tensor_ops,
    [TUI_PANE_GRAPH] = &view_graph_ops,
};

/* Below this width only the focused pane is shown. */
#define TUI_SPLIT_MIN_W 60

const char *tui_status_name(enum tui_status st)
{
    return (unsigned)st < TUI_STATUS_COUNT ? status_names[st] : "?";
}

enum screen_role tui_status_role(enum tui_status st)
{
    return (unsigned)st < TUI_STATUS_COUNT ? status_roles[st] : SCREEN_NORMAL;
}

static void refresh_status(struct tui *t)
{
    size_t n = t->g->n_layers;
    t->first_divergent = -1;
    t->gen++;
    t->any_status = t->src.status != NULL;
    t->any_place = t->src.place != NULL;
    for (size_t i = 0; i < n; i++) {
        enum tui_status st = t->src.status ? t->src.status(t->src.ctx, i) : TUI_STATUS_NONE;
        if ((unsigned)st >= TUI_STATUS_COUNT)
            st = TUI_STATUS_NONE;
        t->status[i] = (unsigned char)st;
        if (st == TUI_STATUS_DIVERGED && t->first_divergent < 0)
            t->first_divergent = (long)i;
    }
}

int tui_init(struct tui *t, const struct graph *g, const struct tui_source *src,
             struct errbuf *eb)
{
    memset(t, 0, sizeof *t);
    t->g = g;
    if (src != NULL)
        t->src = *src;
    t->right = TUI_PANE_DETAILS;
    t->status = mem_calloc(g->n_layers ? g->n_layers : 1, 1);
    if (t->status == NULL)
        return errbuf_set(eb, ST_ENOMEM, "tui: out of memory for %zu layers", g->n_layers);
    for (int p = 0; p < TUI_PANE_COUNT; p++) {
        struct tui_view *v = mem_calloc(1, sizeof *v);
        if (v == NULL || (v->ops = pane_ops[p], v->ops->open(&v->state, t, eb)) < 0) {
            mem_free(v);
            tui_release(t);
            return errbuf_set(eb, ST_ENOMEM, "tui: out of memory opening views");
        }
        t->views[p] = v;
    }
    refresh_status(t);
    return 0;
}

void tui_release(struct tui *t)
{
    for (int p = 0; p < TUI_PANE_COUNT; p++) {
        if (t->views[p] != NULL) {
            t->views[p]->ops->close(t->views[p]->state);
            mem_free(t->views[p]);
            t->views[p] = NULL;
        }
    }
    mem_free(t->status);
    t->status = NULL;
}

int tui_set_source(struct tui *t, const struct tui_source *src, struct errbuf *eb)
{
    (void)eb;
    memset(&t->src, 0, sizeof t->src);
    if (src != NULL)
        t->src = *src;
    refresh_status(t);
    return 0;
}

void tui_source_changed(struct tui *t)
{
    refresh_status(t);
}

void tui_progress(struct tui *t, size_t done, size_t total)
{
    t->progress_done = done;
    t->progress_total = total;
}

void tui_select(struct tui *t, size_t i)
{
    if (t->g->n_layers == 0)
        return;
    t->layer = i < t->g->n_layers ? i : t->g->n_layers - 1;
}

void tui_focus(struct tui *t, enum tui_pane p)
{
    if ((unsigned)p >= TUI_PANE_COUNT)
        return;
    t->focus = p;
    if (p != TUI_PANE_LIST)
        t->right = p;
}

/* ---- layout and drawing ---- */

/* The file name with its folder ("resnet8-qdq/model.onnx"): model files are often all
 * called model.onnx, and the folder is what names them. */
static const char *short_path(const char *path)
{
    const char *last = strrchr(path, '/');
    if (last == NULL)
        return path;
    const char *prev = last;
    while (prev > path && prev[-1] != '/')
        prev--;
    return prev;
}

static void draw_header(const struct tui *t, struct screen *s)
{
    const struct graph *g = t->g;
    char buf[512];
    snprintf(buf, sizeof buf, " mlfscope tui  %s  %s, %zu layers, %zu nodes",
             g->path && g->path[0] ? short_path(g->path) : "(model)",
             g->format == GRAPH_FORMAT_TFLITE ? "tflite" : "onnx", g->n_layers, g->n_nodes);
    screen_text_fit(s, 0, 0, s->w, SCREEN_HEADER | SCREEN_BOLD, buf);
}

static void draw_status(const struct tui *t, struct screen *s)
{
    char buf[512];
    int y = s->h - 1;
    size_t n = t->g->n_layers;
    if (t->searching) {
        snprintf(buf, sizeof buf, "/%s_", t->search);
        screen_text_fit(s, 0, y, s->w, SCREEN_STATUS | SCREEN_BOLD, buf);
        return;
    }
    /* The position always leads, so a message never hides where the user is. */
    int used = snprintf(buf, sizeof buf, " %zu/%zu  ", n ? t->layer + 1 : 0, n);
    if (t->msg[0] != '\0')
        snprintf(buf + used, sizeof buf - (size_t)used, "%s", t->msg);
    else if (t->progress_total > 0)
        snprintf(buf + used, sizeof buf - (size_t)used, "running reference: layer %zu of %zu",
                 t->progress_done, t->progress_total);
    else
        snprintf(buf + used, sizeof buf - (size_t)used,
                 "q quit  ? help  Tab pane  / search  n/N  d diverged  e export");
    screen_text_fit(s, 0, y, s->w, SCREEN_STATUS | (t->msg[0] ? SCREEN_BOLD : 0u), buf);
}

static const char *const help_lines[] = {
    "keys",
    "",
    "j k  arrows     move / scroll",
    "PgUp PgDn g G   page, first, last",
    "Tab  Shift-Tab  next / previous pane",
    "1 2 3 4         list, details, tensor, graph",
    "h l             back to list / into pane",
    "/ text Enter    search layer name or op",
    "n N             next / previous match",
    "d               next diverged layer",
    "Enter           graph: follow the edge",
    "t T             tensor: next / previous",
    "a x c C         tensor: axes, slice axis, index",
    "m  f            tensor: heat map, first diff",
    "e               export the current view",
    "q               quit",
    "",
    "any key closes this help",
};

static void draw_help(struct screen *s)
{
    int n = (int)(sizeof help_lines / sizeof help_lines[0]);
    int w = 52 < s->w ? 52 : s->w, h = n + 2 < s->h ? n + 2 : s->h;
    int x = (s->w - w) / 2, y = (s->h - h) / 2;
    screen_fill(s, x, y, w, h, ' ', SCREEN_NORMAL);
    screen_box(s, x, y, w, h, SCREEN_BORDER, "help");
    for (int i = 0; i < n && i < h - 2; i++)
        screen_text(s, x + 2, y + 1 + i, w - 4, i == 0 ? (SCREEN_LABEL | SCREEN_BOLD) :
                    SCREEN_NORMAL, help_lines[i]);
}

static void set_pane(struct tui *t, enum tui_pane p, int x, int y, int w, int h)
{
    t->pane_x[p] = x;
    t->pane_y[p] = y;
    t->pane_w[p] = w;
    t->pane_h[p] = h;
}

void tui_draw(struct tui *t, struct screen *s)
{
    screen_clear(s, SCREEN_NORMAL);
    for (int p = 0; p < TUI_PANE_COUNT; p++)
        set_pane(t, (enum tui_pane)p, 0, 0, 0, 0);
    draw_header(t, s);
    if (s->h >= 2)
        draw_status(t, s);
    int body_y = 1, body_h = s->h - 2;
    if (body_h >= 2) {
        if (s->w >= TUI_SPLIT_MIN_W) {
            int lw = s->w * 45 / 100;
            set_pane(t, TUI_PANE_LIST, 0, body_y, lw, body_h);
            screen_vline(s, lw, body_y, body_h, SCREEN_BORDER);
            set_pane(t, t->right, lw + 1, body_y, s->w - lw - 1, body_h);
        } else {
            set_pane(t, t->focus, 0, body_y, s->w, body_h);
        }
        for (int p = 0; p < TUI_PANE_COUNT; p++) {
            if (t->pane_w[p] == 0)
                continue;
            struct view_rect r = {t->pane_x[p], t->pane_y[p], t->pane_w[p], t->pane_h[p]};
            struct tui_view *v = t->views[p];
            v->ops->draw(v->state, t, s, r, t->focus == (enum tui_pane)p);
        }
    }
    if (t->help)
        draw_help(s);
}

/* ---- keys ---- */

static bool ci_contains(const char *hay, const char *needle, size_t n)
{
    if (n == 0)
        return true;
    for (; *hay != '\0'; hay++) {
        size_t i = 0;
        while (i < n && hay[i] != '\0' &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

bool tui_layer_matches(const struct tui *t, size_t i)
{
    if (t->search_len == 0 || i >= t->g->n_layers)
        return false;
    const struct layer *l = &t->g->layers[i];
    return ci_contains(l->name ? l->name : "", t->search, t->search_len) ||
           ci_contains(l->op ? l->op : "", t->search, t->search_len);
}

/* Moves to the next (dir 1) or previous (dir -1) layer matching the search, wrapping. */
static void search_step(struct tui *t, int dir)
{
    size_t n = t->g->n_layers;
    if (t->search_len == 0) {
        snprintf(t->msg, sizeof t->msg, "no search yet: press / and type a layer name or op");
        return;
    }
    for (size_t k = 1; k <= n; k++) {
        size_t i = dir > 0 ? (t->layer + k) % n : (t->layer + n - k % n) % n;
        if (tui_layer_matches(t, i)) {
            if (i == t->layer)
                snprintf(t->msg, sizeof t->msg, "only match: %s", t->search);
            else if ((dir > 0 && i < t->layer) || (dir < 0 && i > t->layer))
                snprintf(t->msg, sizeof t->msg, "search wrapped: %s", t->search);
            t->layer = i;
            return;
        }
    }
    snprintf(t->msg, sizeof t->msg, "no layer name or op contains '%s'", t->search);
}

static void next_divergent(struct tui *t)
{
    size_t n = t->g->n_layers;
    if (!t->any_status) {
        snprintf(t->msg, sizeof t->msg, "no diff loaded: nothing is marked diverged");
        return;
    }
    size_t start = t->d_started ? t->layer + 1 : 0;
    t->d_started = true;
    for (size_t k = 0; k < n; k++) {
        size_t i = (start + k) % n;
        if (t->status[i] == TUI_STATUS_DIVERGED) {
            t->layer = i;
            if ((long)i == t->first_divergent)
                snprintf(t->msg, sizeof t->msg, "first diverged layer: %s",
                         t->g->layers[i].name);
            return;
        }
    }
    snprintf(t->msg, sizeof t->msg, "no layer diverged");
}

/* Incremental search: the first match after where `/` was pressed, wrapping. */
static void search_preview(struct tui *t)
{
    size_t n = t->g->n_layers;
    t->layer = t->search_origin;
    if (t->search_len == 0 || n == 0)
        return;
    for (size_t k = 1; k <= n; k++) {
        size_t i = (t->search_origin + k) % n;
        if (tui_layer_matches(t, i)) {
            t->layer = i;
            return;
        }
    }
}

static void search_key(struct tui *t, int key)
{
    switch (key) {
    case TUI_KEY_ESC:
        t->searching = false;
        t->layer = t->search_origin;
        t->search_len = 0;
        t->search[0] = '\0';
        return;
    case TUI_KEY_ENTER:
        t->searching = false;
        if (t->search_len > 0 && !tui_layer_matches(t, t->layer))
            snprintf(t->msg, sizeof t->msg, "no layer name or op contains '%s'", t->search);
        else if (t->search_len > 0 && t->layer <= t->search_origin)
            snprintf(t->msg, sizeof t->msg, "search wrapped: %s", t->search);
        return;
    case TUI_KEY_BACKSPACE:
        if (t->search_len > 0)
            t->search[--t->search_len] = '\0';
        search_preview(t);
        return;
    default:
        /* Model names are ASCII in practice; other keys are ignored in the prompt. */
        if (key >= 0x20 && key < 0x7f && t->search_len + 1 < sizeof t->search) {
            t->search[t->search_len++] = (char)key;
            t->search[t->search_len] = '\0';
            search_preview(t);
        }
        return;
    }
}

static void apply(struct tui *t, enum view_req req, const struct view_result *res)
{
    if (req == VIEW_REQ_SELECT)
        tui_select(t, res->layer);
    else if (req == VIEW_REQ_MESSAGE && res->msg != NULL)
        snprintf(t->msg, sizeof t->msg, "%s", res->msg);
}

static enum view_req dispatch(struct tui *t, enum tui_pane p, int key)
{
    struct view_result res = {0, NULL};
    struct tui_view *v = t->views[p];
    enum view_req req = v->ops->key(v->state, t, key, &res);
    apply(t, req, &res);
    return req;
}

static void do_export(struct tui *t)
{
    struct errbuf eb;
    char *path = NULL;
    errbuf_init(&eb);
    if (tui_export(t, &path, &eb) < 0)
        snprintf(t->msg, sizeof t->msg, "export failed: %.200s", eb.msg);
    else
        snprintf(t->msg, sizeof t->msg, "wrote %.200s", path);
    mem_free(path);
}

void tui_key(struct tui *t, int key)
{
    if (t->help) {
        t->help = false;
        return;
    }
    if (t->searching) {
        search_key(t, key);
        return;
    }
    t->msg[0] = '\0';
    switch (key) {
    case 'q': t->quit = true; return;
    case '?': t->help = true; return;
    case TUI_KEY_TAB: tui_focus(t, (enum tui_pane)((t->focus + 1) % TUI_PANE_COUNT)); return;
    case TUI_KEY_BTAB:
        tui_focus(t, (enum tui_pane)((t->focus + TUI_PANE_COUNT - 1) % TUI_PANE_COUNT));
        return;
    case '1': case '2': case '3': case '4': tui_focus(t, (enum tui_pane)(key - '1')); return;
    case '/':
        t->searching = true;
        t->search_len = 0;
        t->search[0] = '\0';
        t->search_origin = t->layer;
        return;
    case 'n': search_step(t, 1); return;
    case 'N': search_step(t, -1); return;
    case 'd': next_divergent(t); return;
    case 'e': do_export(t); return;
    default: break;
    }
    if (t->g->n_layers == 0)
        return;
    if (dispatch(t, t->focus, key) != VIEW_REQ_NONE)
        return;
    /* Unhandled horizontal moves switch between the list and the inspector pane. */
    if ((key == TUI_KEY_RIGHT || key == 'l' || key == TUI_KEY_ENTER) && t->focus == TUI_PANE_LIST)
        tui_focus(t, t->right);
    else if ((key == TUI_KEY_LEFT || key == 'h' || key == TUI_KEY_ESC) &&
             t->focus != TUI_PANE_LIST)
        tui_focus(t, TUI_PANE_LIST);
}

void tui_mouse(struct tui *t, enum tui_mouse ev, int x, int y)
{
    if (t->help) {
        t->help = false;
        return;
    }
    for (int p = 0; p < TUI_PANE_COUNT; p++) {
        if (t->pane_w[p] == 0 || x < t->pane_x[p] || x >= t->pane_x[p] + t->pane_w[p] ||
            y < t->pane_y[p] || y >= t->pane_y[p] + t->pane_h[p])
            continue;
        if (t->g->n_layers == 0)
            return;
        if (ev == TUI_MOUSE_WHEEL_UP || ev == TUI_MOUSE_WHEEL_DOWN) {
            for (int i = 0; i < 3; i++)
                dispatch(t, (enum tui_pane)p, ev == TUI_MOUSE_WHEEL_UP ? TUI_KEY_UP :
                         TUI_KEY_DOWN);
            return;
        }
        tui_focus(t, (enum tui_pane)p);
        if (y == t->pane_y[p])
            return;     /* the title row */
        struct view_result res = {0, NULL};
        struct tui_view *v = t->views[p];
        apply(t, v->ops->click(v->state, t, x - t->pane_x[p], y - t->pane_y[p] - 1,
                               ev == TUI_MOUSE_DOUBLE, &res), &res);
        return;
    }
}

/* A file-name-safe copy of a layer name: [A-Za-z0-9._-], others become '_'. */
static void safe_name(char *out, size_t bytes, const char *name)
{
    size_t i = 0;
    for (; name[i] != '\0' && i + 1 < bytes && i < 60; i++) {
        unsigned char c = (unsigned char)name[i];
        out[i] = (char)(isalnum(c) || c == '.' || c == '-' ? c : '_');
    }
    out[i] = '\0';
}

int tui_export(struct tui *t, char **path_out, struct errbuf *eb)
{
    struct tui_view *v = t->views[t->focus];
    struct sbuf text, path;
    const char *ext = "txt";
    int rc = 0;
    char stem[64] = "model";

    if (t->g->n_layers > 0 && t->focus != TUI_PANE_LIST)
        safe_name(stem, sizeof stem, t->g->layers[t->layer].name);
    sbuf_init(&text);
    sbuf_init(&path);
    rc = v->ops->export(v->state, t, &text, &ext, eb);
    if (rc < 0)
        goto out;
    sbuf_printf(&path, "%s/mlfscope-%s-%s.%s", t->export_dir ? t->export_dir : ".",
                v->ops->name, stem, ext);
    if (sbuf_failed(&text) || sbuf_failed(&path)) {
        rc = errbuf_set(eb, ST_ENOMEM, "export: out of memory");
        goto out;
    }
    FILE *f = fopen(sbuf_str(&path), "wb");
    if (f == NULL) {
        rc = errbuf_set(eb, ST_EIO, "%s: %s", sbuf_str(&path), strerror(errno));
        goto out;
    }
    size_t wrote = fwrite(sbuf_str(&text), 1, text.len, f);
    if (fclose(f) != 0 || wrote != text.len) {
        rc = errbuf_set(eb, ST_EIO, "%s: write failed", sbuf_str(&path));
        goto out;
    }
    *path_out = sbuf_detach(&path);
    if (*path_out == NULL)
        rc = errbuf_set(eb, ST_ENOMEM, "export: out of memory");
out:
    sbuf_release(&text);
    sbuf_release(&path);
    return rc;
}
