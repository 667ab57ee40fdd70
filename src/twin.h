/*
 * The host twin: an MLF's generated C, instrumented (instrument.h), compiled with the host
 * C compiler next to the ref/ kernels behind CMSIS-NN entry points (ref/cmsis), the twin
 * runtime (ref/twin) and a generated driver, then run on one input. Each step's output comes
 * back as a board log, which becomes a run-form folder (index.json + .npy); the hazards the
 * runtime and the sanitizers report are attributed to steps.
 *
 * Build folder: DIR/build holds every source written out (only rewritten when its contents
 * change) and the program `twin`; a build whose program is newer than every source and whose
 * flags are unchanged is reused, so repeated runs on new inputs skip the compiler.
 */
#ifndef MLFSCOPE_TWIN_H
#define MLFSCOPE_TWIN_H

#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"
#include "graph.h"
#include "instrument.h"
#include "mlf.h"

struct twin_options {
    const char *cc;                /* compiler command ("cc" when NULL) */
    const char *extra_cflags;      /* appended, split on spaces (e.g. "-O1"); may be NULL */
    bool sanitize;                 /* -fsanitize=address,undefined and malloc workspaces */
    int cmsis_nn_version;          /* major version whose buffer rules apply (4 default) */
    const char *model_name;        /* for index.json and the log ("" = the MLF's module) */
    double timeout_seconds;        /* the run is stopped after this long (0: 600 s) */
    const char *const *layer_names;    /* [n_steps] model layer (output tensor) per step, or
                                          NULL entries / NULL: index.json uses buffer names */
    const char *const *layer_ops;      /* [n_steps] the layer's op, or NULL entries / NULL */
};

/* One hazard report, attributed to a step. */
struct twin_hazard {
    char *kind;                    /* "shift-out-of-range", "context-buffer-too-small",
                                      "status", "workspace-exhausted", "asan", "ubsan",
                                      "main-status", "crash" */
    long step;                     /* -1 outside any step */
    char *function;                /* callee of that step, "" when none */
    char *detail;
    int *channels;                 /* shift-out-of-range: the channels named; else NULL */
    size_t n_channels;
};

/* What a twin run produced (all heap; twin_result_release). */
struct twin_result {
    struct twin_hazard *hazards;
    size_t n_hazards;
    char *log_path;                /* DIR/build/board.log: the board log the hooks wrote */
    bool reused_build;             /* the compiler was not run */
    int main_status;               /* tvmgen_<mod>_run's return value */
    long last_step;                /* step running when the program stopped, -1 after the run */
    int exit_status;               /* the program's wait status */
    double compile_seconds, run_seconds;
};

void twin_result_release(struct twin_result *r);

/*
 * Writes DIR/build (sources, driver, flags) and compiles it unless the existing program is
 * up to date. On a compile error returns ST_EPARSE with the first error in eb, its file named
 * as in the MLF (the instrumented copy keeps the original line numbers), and sets *diag to
 * the compiler's error lines (heap, mem_free; NULL otherwise). `plan` says what is dumped.
 */
int twin_build(const struct mlf *m, const struct instrument_plan *plan,
               const struct twin_options *opt, const char *dir, struct twin_result *res,
               char **diag, struct errbuf *eb);

/*
 * Runs DIR/build/twin on the inputs (raw bytes in the model's order; n_inputs must match the
 * MLF's), writing the board log to res->log_path and collecting the hazards. A crash is a
 * hazard of kind "crash" on the step that was running, not an error. Fails with ST_EIO when
 * the program cannot be started, ST_EINVAL when an input's size or dtype cannot be the MLF's.
 */
int twin_run(const struct mlf *m, const struct instrument_plan *plan,
             const struct twin_options *opt, const char *dir,
             const struct tensor_value *inputs, size_t n_inputs, struct twin_result *res,
             struct errbuf *eb);

/*
 * Turns the board log into DIR/index.json + DIR/NNNN_<name>.npy (the `run` folder form, arith
 * "twin"). Fails with ST_EPARSE when the log is damaged (a crashed run), ST_EIO.
 */
int twin_collect(const struct mlf *m, const struct instrument_plan *plan,
                 const struct twin_options *opt, const char *dir, const struct twin_result *res,
                 size_t *n_tensors, struct errbuf *eb);

/*
 * Writes res's hazards to DIR/hazards.json: [{kind, function, step, layer, channels, detail}]
 * (layer from opt->layer_names, else null).
 */
int twin_write_hazards(const struct mlf *m, const struct twin_options *opt, const char *dir,
                       const struct twin_result *res, struct errbuf *eb);

/*
 * Checks the inputs against the MLF: their number, dtype (when both sides know it) and size
 * (when the MLF states it: metadata, or the first kernel's input dimensions). ST_EINVAL.
 */
int twin_check_inputs(const struct mlf *m, const struct tensor_value *inputs, size_t n_inputs,
                      struct errbuf *eb);

/* Input bytes the MLF expects for input i, or -1 when nothing in the MLF says. */
long long twin_input_bytes(const struct mlf *m, size_t i);

/* Writes the embedded files whose path starts with `prefix` under dir (mkdir -p as needed). */
int twin_write_embedded(const char *dir, const char *prefix, struct errbuf *eb);

#endif
