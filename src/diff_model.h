/*
 * The reference side of `diff MODEL --input X --log LOG`: the interpreter's run of a model as a
 * trace, and the re-run of ONE layer on the board's own input values that tells an inherited
 * error from a layer's own (diff_rerun_fn).
 *
 * Lifetime: a struct diff_model borrows the graph; it owns nothing.
 */
#ifndef MLFSCOPE_DIFF_MODEL_H
#define MLFSCOPE_DIFF_MODEL_H

#include <stdbool.h>

#include "diff.h"
#include "errbuf.h"
#include "graph.h"
#include "interp.h"
#include "trace.h"

struct diff_model {
    const struct graph *g;          /* finished, layers formed; borrowed */
    enum interp_arith arith;        /* the reference arithmetic */
    bool single_rounding;           /* TFLM single rounding */
    const struct interp_layer_params *layer_params; /* [g->n_layers] per-layer settings of a
                                       deployed MLF (map_deployed), or NULL; borrowed. The
                                       full run and every single-layer re-run use them */
};

/*
 * Runs m->g on the bound inputs `in` and appends to *out (initialised, empty) every graph
 * input value, then every layer output in execution order (name = tensor name, layer = layer
 * name, op, index = position). out->arith names the arithmetic ("deployed" with layer_params). Fails with the interpreter's
 * error (ST_EUNSUPPORTED naming the node) or ST_ENOMEM; *out is empty on failure.
 */
int diff_model_trace(const struct diff_model *m, const struct interp_inputs *in,
                     struct trace *out, struct errbuf *eb);

/*
 * Runs the layer that produces tensor (or layer) `name` alone, on the values `src` holds for
 * its activation inputs (looked up by name), in m's arithmetic. On success *out holds heap
 * data (mem_free) with the layer's output `name`. Fails with ST_ENOTFOUND (no such layer, an
 * input missing from src), ST_EUNSUPPORTED (the interpreter cannot run it, or an input's dtype
 * or shape does not fit the model), ST_ENOMEM.
 */
int diff_model_run_layer(const struct diff_model *m, const char *name, const struct trace *src,
                         struct tensor_value *out, struct errbuf *eb);

/*
 * A diff_rerun_fn: `user` is a const struct diff_model *. Inputs come from the board trace
 * (aligned through the report, else by name).
 */
int diff_model_rerun(void *user, const char *name, const struct diff_report *rep,
                     const struct trace *board, struct tensor_value *out, struct errbuf *eb);

#endif
