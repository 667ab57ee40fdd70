/*
 * The interface every TUI view implements, private to views/tui*.c and views/view_*.c.
 * A view owns its own state (scroll position, cursor), draws into a rectangle of a struct
 * screen from the read-only struct tui, and answers a key with a request for the controller;
 * views never call each other, the controller (views/tui.c) acts on requests.
 */
#ifndef MLFSCOPE_VIEW_H
#define MLFSCOPE_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"
#include "sbuf.h"
#include "screen.h"
#include "tui.h"

enum view_req {
    VIEW_REQ_NONE,      /* key not handled: the controller may try its own bindings */
    VIEW_REQ_DONE,      /* handled; redraw */
    VIEW_REQ_SELECT,    /* select layer res->layer (Enter on an edge, cursor movement) */
    VIEW_REQ_MESSAGE,   /* handled; show res->msg on the status line */
};

struct view_result {
    size_t layer;       /* VIEW_REQ_SELECT */
    const char *msg;    /* VIEW_REQ_MESSAGE; static string */
};

struct view_rect {
    int x, y, w, h;     /* cells; the first row is the pane title */
};

struct view_ops {
    const char *name;   /* pane title and export file stem */
    /* Allocates the view's state into *state; ST_ENOMEM on failure. */
    int (*open)(void **state, const struct tui *t, struct errbuf *eb);
    /* Draws the pane (title row included); may update scroll positions. */
    void (*draw)(void *state, const struct tui *t, struct screen *s, struct view_rect r,
                 bool focused);
    enum view_req (*key)(void *state, const struct tui *t, int key, struct view_result *res);
    /* A click on (col, row) relative to the pane's content (row 0 = first row below title). */
    enum view_req (*click)(void *state, const struct tui *t, int col, int row, bool dbl,
                           struct view_result *res);
    /* Appends the export of the current view; *ext is the file extension ("dot"). */
    int (*export)(void *state, const struct tui *t, struct sbuf *out, const char **ext,
                  struct errbuf *eb);
    /* Frees the state (NULL is fine). */
    void (*close)(void *state);
};

struct tui_view {
    const struct view_ops *ops;
    void *state;
};

extern const struct view_ops view_list_ops;
extern const struct view_ops view_details_ops;
extern const struct view_ops view_tensor_ops;
extern const struct view_ops view_graph_ops;

/* Draws a pane title bar across r's first row (highlighted when focused). */
void view_title(struct screen *s, struct view_rect r, bool focused, const char *text);

/*
 * Element i of a tensor value as a double; false when i is outside its bytes or the dtype
 * has no numeric reading. Integers are exact up to 2^53.
 */
bool view_value_get(const struct tensor_value *v, size_t i, double *out);

/* Formats an element for a cell: integers exactly, floats with 4 significant digits. */
void view_value_fmt(char *buf, size_t bytes, enum dtype dt, double v);

/* A tensor_value that borrows a constant tensor's data; false when it has none. */
bool view_const_value(const struct tensor *t, struct tensor_value *out);

/*
 * Draws a model name in w columns, padded with spaces. A name that does not fit loses its
 * TFLite fused-op tail (after the first ';'), then its head, shown with a leading ellipsis:
 * the end of a path ("conv2d_3/Relu") is what tells layers apart.
 */
void view_fit_name(struct screen *s, int x, int y, int w, unsigned attr, const char *name);

/* The part of a name before the first ';' (TFLite fused names), copied into buf. */
const char *view_name_head(const char *name, char *buf, size_t bytes);

/* Common scrolling: applies a movement key to *pos within [0, n), page = visible rows. */
bool view_move(int key, size_t *pos, size_t n, int page);

#endif
