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
#include "instrument.h"
#include "interp.h"
#include "map.h"
#include "mlf.h"
#include "trace.h"
#include "twin.h"
#include "tui.h"
#include "tui_table.h"

/* How a run ended (or that it has not). */
enum tui_ref_state { TUI_REF_RUNNING, TUI_REF_DONE, TUI_REF_FAILED, TUI_REF_CANCELLED };

/* A comparison to make once the reference run is complete. */
struct tui_ref_diff {
    const struct trace *board;          /* borrowed: the board log (or twin) trace */
    int tolerance;                      /* ±N LSB count as equal */
    bool partial;                       /* only the layers the board has (no "missing") */
    const struct map *mp;               /* borrowed or NULL: with an MLF, board records named
                                           by MLF step or buffer are matched through it, and
                                           its hazards become hints (src/diff_mlf.h) */
};

/* The host twin as the board: built and run by the worker once the reference is done. */
struct tui_ref_twin {
    const struct mlf *m;                /* borrowed */
    const struct map *mp;               /* borrowed: steps to layers, for twin hazards */
    const struct instrument_plan *plan; /* borrowed */
    const struct twin_options *opt;     /* borrowed */
    const char *dir;                    /* borrowed: the twin's folder (build reused there) */
};

/* What the worker is doing, for the status line. */
enum tui_ref_phase { TUI_REF_PHASE_RUN, TUI_REF_PHASE_TWIN, TUI_REF_PHASE_DIFF };

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
    bool want_diff;                 /* compare with diff.board (or the twin) at the end */
    bool want_twin;                 /* build and run the twin as the board first */
    struct tui_ref_twin twin;       /* copied; its pointers borrowed */
    const struct interp_inputs *in; /* borrowed: the twin runs on the same values */
    struct trace twin_trace;        /* worker: the twin's output folder as a trace */
    atomic_int phase;               /* enum tui_ref_phase */
    int phase_shown;                /* UI thread: the phase last put in the status line */
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
 * `diff` (may be NULL) the worker compares the finished run with diff->board; with `twin`
 * (may be NULL; needs `diff`, whose board is then ignored) it first builds and runs the host
 * twin on the same inputs and compares with its output instead. pace_ms > 0
 * slows the run down (a pause after each layer) so that tests can watch it in progress and
 * cancel it; 0 in normal use. Planning errors (an unsupported op) come back here, before any
 * thread exists: returns a negative status with eb set and nothing to stop. On success the
 * caller must call tui_ref_stop.
 */
int tui_ref_start(struct tui_ref *r, const struct graph *g, const struct interp_options *opts,
                  const struct interp_inputs *in, struct tui_table *tb,
                  const struct tui_ref_diff *diff, const struct tui_ref_twin *twin,
                  unsigned pace_ms, struct errbuf *eb);

/* Asks the worker to stop at the next layer, waits for it and frees the interp. Idempotent. */
void tui_ref_stop(struct tui_ref *r);

/*
 * For term_opts.tick (ctx = the struct tui_ref): forwards the table's changes to the tui
 * (tui_table_tick) and, once, puts how the run ended in the status line. Returns true when
 * the screen should be redrawn.
 */
bool tui_ref_tick(void *ctx, struct tui *t);

#endif
