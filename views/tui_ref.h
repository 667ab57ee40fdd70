/*
 * The TUI's background reference run: the interpreter runs the model in a worker thread and
 * posts every layer's output into a struct tui_table (reference tensors and progress), while
 * the UI thread keeps drawing. With a board trace the worker then compares the two (diff,
 * re-running layers whose input already differed) and posts verdicts, board tensors and the
 * diff sections. The worker stops early when asked (q), and the UI learns how the run ended
 * through tui_ref_tick, which also forwards the table's changes.
 *
 * Lifetime: the graph, the table, the input values and the board trace are borrowed and must
 * outlive the run (until tui_ref_stop returns). The interp and the reference trace are owned
 * and freed by tui_ref_stop.
 */
#ifndef MLFSCOPE_TUI_REF_H
#define MLFSCOPE_TUI_REF_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "diff.h"
#include "diff_model.h"
#include "errbuf.h"
#include "graph.h"
#include "interp.h"
#include "trace.h"
#include "tui.h"
#include "tui_table.h"

/* How a run ended (or that it has not). */
enum tui_ref_state { TUI_REF_RUNNING, TUI_REF_DONE, TUI_REF_FAILED, TUI_REF_CANCELLED };

/* A comparison to make once the reference run is complete. */
struct tui_ref_diff {
    const struct trace *board;          /* borrowed: the board log (or twin) trace */
    int tolerance;                      /* ±N LSB count as equal */
    size_t n_hazards;
    const char *const *hazards;         /* borrowed: layers with a known shift hazard */
};

struct tui_ref {
    const struct graph *g;          /* borrowed */
    struct tui_table *tb;           /* borrowed; the worker writes reference tensors into it */
    struct interp *ip;              /* owned */
    enum interp_arith arith;        /* the run's default arithmetic, for the final message */
    pthread_t thread;
    bool started;                   /* thread created (join needed) */
    bool reported;                  /* the end was announced in the status line */
    atomic_bool cancel;             /* set by the UI thread: the callback stops the run */
    atomic_int state;               /* enum tui_ref_state; written last by the worker */
    size_t layers_done;             /* worker only: layers whose output arrived */
    bool want_diff;                 /* compare with diff.board at the end */
    struct tui_ref_diff diff;       /* copied; its pointers borrowed */
    struct diff_model dm;           /* the re-run hook's settings */
    struct trace ref_trace;         /* worker: the reference as diff wants it (with diff) */
    size_t n_diverged;              /* worker, read after the end: diverged layers */
    bool diff_failed;               /* worker, read after the end: the run worked, diff not */
    char first_diverged[160];       /* worker, read after the end: its name, or "" */
    unsigned pace_ms;               /* test hook: the worker waits this long after each layer */
    struct errbuf eb;               /* worker's error; read only after state != RUNNING */
};

/*
 * Plans a run of g (interp_new with opts' arithmetic, rounding and per-layer settings; dump
 * and callback are set here), binds the inputs `in` (borrowed) and starts the worker. With
 * `diff` (may be NULL) the worker compares the finished run with diff->board. pace_ms > 0
 * slows the run down (a pause after each layer) so that tests can watch it in progress and
 * cancel it; 0 in normal use. Planning errors (an unsupported op) come back here, before any
 * thread exists: returns a negative status with eb set and nothing to stop. On success the
 * caller must call tui_ref_stop.
 */
int tui_ref_start(struct tui_ref *r, const struct graph *g, const struct interp_options *opts,
                  const struct interp_inputs *in, struct tui_table *tb,
                  const struct tui_ref_diff *diff, unsigned pace_ms, struct errbuf *eb);

/* Asks the worker to stop at the next layer, waits for it and frees the interp. Idempotent. */
void tui_ref_stop(struct tui_ref *r);

/*
 * For term_opts.tick (ctx = the struct tui_ref): forwards the table's changes to the tui
 * (tui_table_tick) and, once, puts how the run ended in the status line. Returns true when
 * the screen should be redrawn.
 */
bool tui_ref_tick(void *ctx, struct tui *t);

#endif
