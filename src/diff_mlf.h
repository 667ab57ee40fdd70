/*
 * The MLF side of `diff MODEL --mlf MLF`: a board log written by instrumented firmware names
 * its tensors by MLF step (the record index), by the step's output buffer ("sid_7_let") or by
 * the step's function; the layer map turns each into the model layer the step computes. The
 * offload hazards of the MLF (shifts below -31, overlapping buffers) become per-layer hints.
 *
 * Lifetime: a struct diff_mlf borrows the map (and through it the graph and the MLF) and the
 * traces given to diff_mlf_setup; it owns one arena and a heap key array.
 */
#ifndef MLFSCOPE_DIFF_MLF_H
#define MLFSCOPE_DIFF_MLF_H

#include <stddef.h>

#include "arena.h"
#include "diff.h"
#include "errbuf.h"
#include "map.h"
#include "trace.h"

struct diff_mlf {
    const struct map *mp;           /* borrowed; built with a model */
    const struct trace *board;      /* borrowed: the trace the keys are for */
    const char **key;               /* heap [board->n_entries]: the reference name each board
                                       entry stands for, or NULL (its own name) */
    struct arena arena;             /* owns the hazard name arrays */
    size_t n_shift, n_overlap;
    const char **shift;             /* arena: layers with a shift below -31 */
    const char **overlap;           /* arena: layers whose buffer overlaps a live one */
};

/* Makes an empty struct diff_mlf (allocates nothing). */
void diff_mlf_init(struct diff_mlf *d);

/* Frees what d owns; d is empty afterwards. */
void diff_mlf_release(struct diff_mlf *d);

/*
 * The model layer (index into mp->g->layers) whose output MLF step `step` leaves in its
 * output buffer: the step's own layer, or the last layer fused into it. -1 when none.
 */
int diff_mlf_step_layer(const struct map *mp, size_t step);

/*
 * Prepares d for diffing `ref` (the interpreter's run of mp->g) against `board` and fills
 * opt's rename hook and hazard lists (opt keeps pointers into d: release d after the diff).
 * A board entry whose name is a reference name keeps it; otherwise its step (a twin
 * folder's "step", a step function named, the k-th record named by a buffer that k steps
 * write, or the record index) names the layer. Reference entries of layers no step leaves
 * in a buffer of its own (folded reshapes, layers fused into a step) are marked optional in
 * `ref`. Hazards come from offload_analyse on mp. d must be initialised and empty. Returns 0
 * or ST_ENOMEM (d empty again, opt untouched).
 */
int diff_mlf_setup(struct diff_mlf *d, const struct map *mp, struct trace *ref,
                   const struct trace *board, struct diff_options *opt, struct errbuf *eb);

/* A diff_name_fn: `user` is the struct diff_mlf filled by diff_mlf_setup. */
const char *diff_mlf_board_name(void *user, const struct trace_entry *e);

#endif
