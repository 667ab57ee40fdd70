/*
 * The TUI controller: holds a model and optional data sources (MLF placement, diff verdicts,
 * reference/board tensors, extra detail sections), owns the four views (layer list, details,
 * tensor, graph neighbourhood), lays them out on a struct screen and routes keys and mouse
 * events. No ncurses here: views/term.c feeds events in and copies the screen out, and tests
 * drive the same calls directly.
 *
 * Lifetime: the graph and the source are borrowed and must outlive the struct tui (or be
 * swapped with tui_set_source). Everything else a tui allocates is freed by tui_release.
 *
 * Data that later stages provide arrives through struct tui_source: a set of optional
 * callbacks, each asked only about the layer being drawn, so opening a model costs O(layers)
 * and a draw costs O(visible rows). The background reference run (tui_ref.h) posts results
 * into a tui_table and the event loop's tick hook (term_run's tick) hands them over with
 * tui_progress/tui_set_source, never the worker thread: the tui is single-threaded.
 */
#ifndef MLFSCOPE_TUI_H
#define MLFSCOPE_TUI_H

#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"
#include "graph.h"
#include "sbuf.h"
#include "screen.h"

/* Keys beyond Unicode code points (printable keys arrive as themselves). */
enum tui_key {
    TUI_KEY_UP = 0x110000,
    TUI_KEY_DOWN,
    TUI_KEY_LEFT,
    TUI_KEY_RIGHT,
    TUI_KEY_PGUP,
    TUI_KEY_PGDN,
    TUI_KEY_HOME,
    TUI_KEY_END,
    TUI_KEY_ENTER,
    TUI_KEY_ESC,
    TUI_KEY_BACKSPACE,
    TUI_KEY_TAB,
    TUI_KEY_BTAB,
};

enum tui_mouse {
    TUI_MOUSE_CLICK,
    TUI_MOUSE_DOUBLE,       /* double click: like Enter on the clicked row */
    TUI_MOUSE_WHEEL_UP,
    TUI_MOUSE_WHEEL_DOWN,
};

/* X(enum, name shown, screen role). A diff verdict per layer (DESIGN.md "diff"). */
#define TUI_STATUS_LIST(X)                          \
    X(TUI_STATUS_NONE, "", SCREEN_NORMAL)           \
    X(TUI_STATUS_EXACT, "exact", SCREEN_EXACT)      \
    X(TUI_STATUS_ROUNDING, "rounding", SCREEN_ROUNDING) \
    X(TUI_STATUS_INHERITED, "inherited", SCREEN_INHERITED) \
    X(TUI_STATUS_DIVERGED, "diverged", SCREEN_DIVERGED) \
    X(TUI_STATUS_MISSING, "missing", SCREEN_MISSING) \
    X(TUI_STATUS_CORRUPT, "corrupt", SCREEN_CORRUPT)

enum tui_status {
#define TUI_STATUS_ENUM(e, name, role) e,
    TUI_STATUS_LIST(TUI_STATUS_ENUM)
#undef TUI_STATUS_ENUM
    TUI_STATUS_COUNT
};

const char *tui_status_name(enum tui_status st);
enum screen_role tui_status_role(enum tui_status st);

/* Where a layer runs, from the MLF map. */
enum tui_target {
    TUI_TARGET_UNKNOWN,     /* no MLF, or the layer was not found in it */
    TUI_TARGET_CMSIS,       /* offloaded to CMSIS-NN */
    TUI_TARGET_C,           /* TVM's plain C */
    TUI_TARGET_FOLDED,      /* folded away (constant folding, fused into a neighbour) */
};

struct tui_place {
    enum tui_target target;
    const char *target_name;    /* shown in the list ("cmsis-nn", "c"); borrowed */
    const char *kernel;         /* "arm_convolve_s8" or the TVM function; NULL if unknown */
};

/* Which trace a tensor comes from. */
enum tui_trace { TUI_TRACE_REF, TUI_TRACE_BOARD };

/* Extra sections of the details view, each shown only when its callback writes something. */
#define TUI_SECTION_LIST(X)              \
    X(TUI_SECTION_MLF, "mlf")            \
    X(TUI_SECTION_OFFLOAD, "offload")    \
    X(TUI_SECTION_HAZARDS, "hazards")    \
    X(TUI_SECTION_DIFF, "diff")

enum tui_section {
#define TUI_SECTION_ENUM(e, name) e,
    TUI_SECTION_LIST(TUI_SECTION_ENUM)
#undef TUI_SECTION_ENUM
    TUI_SECTION_COUNT
};

/*
 * Optional data beyond the model. Every callback may be NULL; ctx is passed back. Strings
 * and tensors returned are borrowed and must stay valid until the source changes.
 */
struct tui_source {
    void *ctx;
    /* Placement of a layer; false when unknown. */
    bool (*place)(void *ctx, size_t layer, struct tui_place *out);
    /* Diff verdict of a layer. */
    enum tui_status (*status)(void *ctx, size_t layer);
    /*
     * Appends lines ("key  value\n", or "  [c] ..." for lists) of one details section, for
     * example the MLF step/function/kernel parameters, offload reasons, hazards, diff metrics
     * and multipliers/shifts.
     */
    void (*section)(void *ctx, size_t layer, enum tui_section sec, struct sbuf *out);
    /* The layer's output from a trace (reference run or board log); false when absent. */
    bool (*tensor)(void *ctx, size_t layer, enum tui_trace which, struct tensor_value *out);
};

struct tui_view;

/* The panes, in Tab order. */
enum tui_pane { TUI_PANE_LIST, TUI_PANE_DETAILS, TUI_PANE_TENSOR, TUI_PANE_GRAPH, TUI_PANE_COUNT };

struct tui {
    const struct graph *g;              /* borrowed */
    struct tui_source src;              /* copied; its ctx is borrowed */
    size_t layer;                       /* selected layer (valid when g->n_layers > 0) */
    unsigned char *status;              /* [n_layers] enum tui_status cache, mem_alloc */
    long first_divergent;               /* layer index or -1 */
    bool any_place, any_status;         /* the list shows target/kernel, status columns */
    unsigned gen;                       /* bumped when the source changes; views rebuild */
    struct tui_view *views[TUI_PANE_COUNT];
    enum tui_pane focus;
    enum tui_pane right;                /* the view shown beside the list (not the list) */
    bool help;                          /* help overlay shown */
    bool quit;
    bool searching;                     /* typing a search at the status line */
    char search[128];                   /* the last (or current) search text */
    size_t search_len;
    size_t search_origin;               /* selection when `/` was pressed (Esc returns) */
    bool d_started;                     /* `d` pressed before: continue after the selection */
    char msg[256];                      /* status-line message, cleared on the next key */
    const char *export_dir;             /* where `e` writes; borrowed; NULL = "." */
    size_t progress_done, progress_total;   /* a running reference run; total 0 = none */
    int pane_x[TUI_PANE_COUNT], pane_y[TUI_PANE_COUNT];   /* last layout, for the mouse */
    int pane_w[TUI_PANE_COUNT], pane_h[TUI_PANE_COUNT];   /* 0 = not shown */
};

/*
 * Opens the TUI on g (borrowed; layers formed) with an optional source (NULL: model only).
 * Costs O(layers). Returns 0, or ST_ENOMEM with eb set (nothing left allocated).
 */
int tui_init(struct tui *t, const struct graph *g, const struct tui_source *src,
             struct errbuf *eb);

/* Frees what tui_init allocated. */
void tui_release(struct tui *t);

/* Replaces the data source (e.g. when a reference run finishes) and refreshes caches. */
int tui_set_source(struct tui *t, const struct tui_source *src, struct errbuf *eb);

/* Tells the tui that the source's data changed (re-reads the verdict cache). */
void tui_source_changed(struct tui *t);

/* Shows "running reference: done/total" in the status line; total 0 hides it. */
void tui_progress(struct tui *t, size_t done, size_t total);

/* Draws everything into s (any size; tiny screens show one pane). */
void tui_draw(struct tui *t, struct screen *s);

/* Handles one key (enum tui_key or a code point). Sets t->quit on `q`. */
void tui_key(struct tui *t, int key);

/* Handles a mouse event at screen cell (x, y) of the last tui_draw layout. */
void tui_mouse(struct tui *t, enum tui_mouse ev, int x, int y);

/* Selects a pane (focus and, for the right-hand views, display). */
void tui_focus(struct tui *t, enum tui_pane p);

/* Selects layer i (clamped). */
void tui_select(struct tui *t, size_t i);

/* True when layer i's name or op contains the search text (case-insensitive, non-empty). */
bool tui_layer_matches(const struct tui *t, size_t i);

/*
 * Writes the focused view's export (layer list as TSV, details as text, the tensor as .npy,
 * the neighbourhood as DOT) to a file in t->export_dir; the path goes to *path_out
 * (caller frees with mem_free). Returns 0 or a negative status with eb set.
 */
int tui_export(struct tui *t, char **path_out, struct errbuf *eb);

#endif
