/*
 * A ready-made struct tui_source backed by per-layer tables: the MLF map, the diff and the
 * traces fill it (placement, verdict, detail sections, reference and board tensors), and the
 * TUI reads it through tui_table_source(). Filling may happen on another thread (a background
 * reference run): every setter takes the table's lock, each tensor is written once and never
 * replaced, and the UI thread picks changes up in tui_table_tick (a term_opts.tick).
 *
 * Lifetime: the table owns copies of everything it is given (strings, tensor data) and frees
 * them in tui_table_release, which must run after the tui stops reading (tui_release first).
 */
#ifndef MLFSCOPE_TUI_TABLE_H
#define MLFSCOPE_TUI_TABLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"
#include "graph.h"
#include "tui.h"

struct tui_table_row;

struct tui_table {
    size_t n_layers;
    struct tui_table_row *rows;     /* [n_layers], mem_alloc */
    pthread_mutex_t lock;           /* guards rows' "set" flags, sections, dirty, progress */
    bool dirty;                     /* something changed since the last tick */
    size_t done, total;             /* progress of a running job; total 0 = none */
    bool expect_tensors;            /* announce tensors before the first one arrives */
};

/* Makes an empty table for n_layers layers. Returns 0 or ST_ENOMEM / ST_EINTERNAL. */
int tui_table_init(struct tui_table *tb, size_t n_layers, struct errbuf *eb);

/* Frees everything; the table must no longer be read by a tui or written by a thread. */
void tui_table_release(struct tui_table *tb);

/* Fills *src with callbacks reading tb (ctx = tb). Only kinds of data set so far are
 * announced (a NULL callback hides the column), so call it again after filling, or use
 * tui_table_tick which does that. */
void tui_table_source(struct tui_table *tb, struct tui_source *src);

/*
 * Announces traces before any tensor is set (a reference run about to start): the tensor
 * pane then lists each layer's output from the start and fills it when it arrives, instead
 * of opening on a constant and staying there. Call before handing the source to the tui.
 */
void tui_table_expect_tensors(struct tui_table *tb);

/* Sets a layer's placement; the strings are copied (kernel may be NULL). */
int tui_table_set_place(struct tui_table *tb, size_t layer, enum tui_target target,
                        const char *target_name, const char *kernel, struct errbuf *eb);

/* Sets a layer's diff verdict. */
void tui_table_set_status(struct tui_table *tb, size_t layer, enum tui_status st);

/* Appends text (lines ending in '\n') to one details section of a layer. */
int tui_table_add_section(struct tui_table *tb, size_t layer, enum tui_section sec,
                          const char *text, struct errbuf *eb);

/*
 * Copies a layer's output from a trace. A layer's tensor is set at most once (a second call
 * returns ST_EINVAL): the tui holds borrowed pointers to it.
 */
int tui_table_set_tensor(struct tui_table *tb, size_t layer, enum tui_trace which,
                         const struct tensor_value *v, struct errbuf *eb);

/* Reports a running job's progress (shown by the tui after the next tick). */
void tui_table_progress(struct tui_table *tb, size_t done, size_t total);

/*
 * For term_opts.tick (ctx = the table): on the UI thread, hands changes to the tui (source,
 * verdict cache, progress) and returns true when it should redraw.
 */
bool tui_table_tick(void *ctx, struct tui *t);

#endif
