/*
 * The background reference run (see tui_ref.h). The worker touches the interp, its own
 * traces and counters, the twin's folder and the table (whose setters lock), and only reads
 * the graph, inputs, map and board trace; the tui itself stays on the UI thread, which
 * learns about new tensors, the phase and the end of the run in tui_ref_tick.
 */
#define _POSIX_C_SOURCE 200809L
#include "tui_ref.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "diff_mlf.h"
#include "mem.h"
#include "tui_data.h"
#include "banned.h"

/* Copies each layer's (first) output into the table; stops when the UI asked to. */
static int on_layer(void *user, const struct interp_event *ev, struct errbuf *eb)
{
    struct tui_ref *r = user;
    if (atomic_load(&r->cancel))
        return errbuf_set(eb, ST_EINTERNAL, "reference run cancelled");
    if (r->want_diff) {
        const struct graph *g = r->g;
        struct trace_entry e = {
            .name = g->tensors[ev->tensor].name,
            .layer = ev->layer >= 0 ? g->layers[ev->layer].name : NULL,
            .op = ev->layer >= 0 ? g->layers[ev->layer].op
                  : ev->node >= 0 ? g->nodes[ev->node].op : NULL,
            .index = (int64_t)r->ref_trace.n_entries, .step = -1, .value = *ev->value,
            .status = TRACE_OK};
        int rc = trace_add(&r->ref_trace, &e, eb);
        if (rc < 0)
            return rc;
    }
    if (ev->layer < 0 || (size_t)ev->layer >= r->g->n_layers)
        return 0;
    const struct layer *l = &r->g->layers[ev->layer];
    if (l->n_outputs > 0 && l->outputs[0] != ev->tensor)
        return 0;   /* a second output of the same layer: the pane shows the first */
    int rc = tui_table_set_tensor(r->tb, (size_t)ev->layer, TUI_TRACE_REF, ev->value, eb);
    if (rc < 0)
        return rc;
    r->layers_done++;
    tui_table_progress(r->tb, r->layers_done, r->g->n_layers);
    /* Short naps, so that a cancel during a paced run is still seen within 10 ms. */
    for (unsigned ms = 0; ms < r->pace_ms && !atomic_load(&r->cancel); ms += 10) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* diff_model_rerun, unless the UI asked to stop: a diff with many re-runs can take a while. */
static int rerun(void *user, const char *name, const struct diff_report *rep,
                 const struct trace *board, struct tensor_value *out, struct errbuf *eb)
{
    struct tui_ref *r = user;
    if (atomic_load(&r->cancel))
        return errbuf_set(eb, ST_EINTERNAL, "comparison cancelled");
    return diff_model_rerun(&r->dm, name, rep, board, out, eb);
}

/*
 * Builds (or reuses) and runs the host twin on the run's inputs, posts the hazards it found
 * to their layers and loads its output folder as the board trace.
 */
static int run_twin(struct tui_ref *r)
{
    const struct tui_ref_twin *tw = &r->twin;
    struct twin_result res = {0};
    char *diag = NULL;
    size_t n_tensors = 0;
    struct errbuf *eb = &r->eb;
    atomic_store(&r->phase, TUI_REF_PHASE_TWIN);
    int rc = twin_build(tw->m, tw->plan, tw->opt, tw->dir, &res, &diag, eb);
    if (rc == 0)
        rc = twin_run(tw->m, tw->plan, tw->opt, tw->dir, r->in->vals, r->in->n, &res, eb);
    if (rc == 0 && res.exit_status != 0)
        rc = errbuf_set(eb, ST_EIO, "the twin program did not finish (step %ld)",
                        res.last_step);
    if (rc == 0)
        rc = twin_collect(tw->m, tw->plan, tw->opt, tw->dir, &res, &n_tensors, eb);
    for (size_t h = 0; rc == 0 && h < res.n_hazards; h++) {
        const struct twin_hazard *hz = &res.hazards[h];
        int layer = hz->step >= 0 ? map_layer_of_step(tw->mp, (size_t)hz->step) : -1;
        if (layer < 0 || (size_t)layer >= r->g->n_layers)
            continue;
        char line[512];
        snprintf(line, sizeof line, "  [%s] %s (host twin, step %ld)\n", hz->kind, hz->detail,
                 hz->step);
        rc = tui_table_add_section(r->tb, (size_t)layer, TUI_SECTION_HAZARDS, line, eb);
    }
    if (rc == 0)
        rc = trace_load_run_dir(tw->dir, &r->twin_trace, eb);
    if (rc == 0)
        r->diff.board = &r->twin_trace;
    mem_free(diag);
    twin_result_release(&res);
    return rc;
}

/* The board against the finished reference: verdicts, board tensors, diff sections. */
static int compare(struct tui_ref *r)
{
    struct diff_report rep;
    diff_report_init(&rep);
    /* The twin dumps AOT steps only: layers TVM folded away are not "missing". */
    struct diff_options opt = {.tolerance = r->diff.tolerance, .model = r->g,
                               .partial = r->diff.partial || r->want_twin,
                               .rerun = rerun, .rerun_user = r};
    struct diff_mlf dmlf;
    diff_mlf_init(&dmlf);
    int rc = 0;
    if (r->diff.mp != NULL)
        rc = diff_mlf_setup(&dmlf, r->diff.mp, &r->ref_trace, r->diff.board, &opt, &r->eb);
    if (rc == 0)
        rc = diff_traces(&r->ref_trace, r->diff.board, &opt, &rep, &r->eb);
    diff_mlf_release(&dmlf);
    if (rc == 0)
        rc = tui_data_fill_diff(r->tb, r->g, &rep, r->diff.board, &r->eb);
    if (rc == 0) {
        r->n_diverged = rep.count[DIFF_DIVERGED];
        if (rep.first_diverged >= 0) {
            const struct diff_layer *dl = &rep.layers[rep.first_diverged];
            snprintf(r->first_diverged, sizeof r->first_diverged, "%s",
                     dl->layer ? dl->layer : dl->name);
        }
    }
    diff_report_release(&rep);
    return rc;
}

static void *worker(void *arg)
{
    struct tui_ref *r = arg;
    int rc = interp_run(r->ip, &r->eb);
    if (rc == 0 && r->want_twin && !atomic_load(&r->cancel)) {
        tui_table_progress(r->tb, 0, 0);
        rc = run_twin(r);
        r->diff_failed = rc < 0;
    }
    if (rc == 0 && r->want_diff && !atomic_load(&r->cancel)) {
        atomic_store(&r->phase, TUI_REF_PHASE_DIFF);
        rc = compare(r);
        r->diff_failed = rc < 0;
    }
    tui_table_progress(r->tb, 0, 0);
    int st = rc == 0 ? TUI_REF_DONE : atomic_load(&r->cancel) ? TUI_REF_CANCELLED
             : TUI_REF_FAILED;
    atomic_store(&r->state, st);    /* after r->eb: the UI reads eb once it sees this */
    return NULL;
}

/* The graph inputs first, as diff_model_trace has them: a board log often dumps them too. */
static int add_inputs(struct tui_ref *r, const struct interp_inputs *in, struct errbuf *eb)
{
    struct trace *t = &r->ref_trace;
    t->kind = TRACE_KIND_MEMORY;
    if ((t->source = arena_strdup(&t->arena, r->g->path ? r->g->path : "")) == NULL ||
        (t->arith = arena_strdup(&t->arena, interp_arith_name(r->arith))) == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t i = 0; i < in->n; i++) {
        struct trace_entry e = {.name = r->g->tensors[in->tensors[i]].name, .op = "input",
                                .index = (int64_t)i, .step = -1, .value = in->vals[i],
                                .status = TRACE_OK, .optional = true};
        int rc = trace_add(t, &e, eb);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int tui_ref_start(struct tui_ref *r, const struct graph *g, const struct interp_options *opts,
                  const struct interp_inputs *in, struct tui_table *tb,
                  const struct tui_ref_diff *diff, const struct tui_ref_twin *twin,
                  unsigned pace_ms, struct errbuf *eb)
{
    struct interp_options o = *opts;
    struct interp *ip = NULL;
    o.dump = INTERP_DUMP_LAYERS;
    o.capture = false;
    o.callback = on_layer;
    o.user = r;
    memset(r, 0, sizeof *r);
    r->g = g;
    r->tb = tb;
    r->arith = o.arith;
    r->pace_ms = pace_ms;
    atomic_init(&r->cancel, false);
    atomic_init(&r->state, TUI_REF_RUNNING);
    errbuf_init(&r->eb);
    trace_init(&r->ref_trace);
    trace_init(&r->twin_trace);
    atomic_init(&r->phase, TUI_REF_PHASE_RUN);
    r->in = in;
    r->want_twin = diff != NULL && twin != NULL;
    if (r->want_twin)
        r->twin = *twin;
    r->want_diff = diff != NULL && (diff->board != NULL || r->want_twin);
    if (r->want_diff) {
        r->diff = *diff;
        /* Re-runs on the board's input use the run's per-layer (deployed) settings too. */
        r->dm = (struct diff_model){.g = g, .arith = o.arith,
                                    .single_rounding = o.single_rounding,
                                    .layer_params = o.layer_params};
    }
    int rc = r->want_diff ? add_inputs(r, in, eb) : 0;
    if (rc == 0)
        rc = interp_new(g, &o, &ip, eb);
    if (rc == 0)
        rc = interp_inputs_bind(ip, in, eb);
    if (rc < 0) {
        interp_free(ip);
        trace_release(&r->ref_trace);
        return rc;
    }
    r->ip = ip;
    tui_table_expect_tensors(tb);
    tui_table_progress(tb, 0, g->n_layers);
    if (pthread_create(&r->thread, NULL, worker, r) != 0) {
        tui_table_progress(tb, 0, 0);
        interp_free(ip);
        r->ip = NULL;
        trace_release(&r->ref_trace);
        return errbuf_set(eb, ST_EINTERNAL, "cannot start the reference run's thread");
    }
    r->started = true;
    return 0;
}

void tui_ref_stop(struct tui_ref *r)
{
    if (r->started) {
        atomic_store(&r->cancel, true);
        pthread_join(r->thread, NULL);
        r->started = false;
    }
    interp_free(r->ip);
    r->ip = NULL;
    trace_release(&r->ref_trace);
    trace_release(&r->twin_trace);
}

bool tui_ref_tick(void *ctx, struct tui *t)
{
    struct tui_ref *r = ctx;
    bool redraw = tui_table_tick(r->tb, t);
    int st = atomic_load(&r->state);
    int phase = atomic_load(&r->phase);
    if (st == TUI_REF_RUNNING && phase != r->phase_shown) {
        r->phase_shown = phase;
        if (phase == TUI_REF_PHASE_TWIN)
            snprintf(t->msg, sizeof t->msg, "reference done; building and running the host "
                     "twin (the first build compiles the MLF's C)");
        else if (phase == TUI_REF_PHASE_DIFF)
            snprintf(t->msg, sizeof t->msg, "comparing with the %s",
                     r->want_twin ? "host twin" : "board");
        return true;
    }
    if (r->reported || st == TUI_REF_RUNNING)
        return redraw;
    r->reported = true;
    const char *board = r->want_twin ? "the host twin" : "the board";
    if (st == TUI_REF_DONE && r->want_diff && r->first_diverged[0] != '\0')
        snprintf(t->msg, sizeof t->msg, "reference run done, %zu diverged; first: %.120s "
                 "(d goes there)", r->n_diverged, r->first_diverged);
    else if (st == TUI_REF_DONE && r->want_diff)
        snprintf(t->msg, sizeof t->msg, "reference run done: %zu layers in %s arithmetic; "
                 "none diverged from %s", r->layers_done, interp_arith_name(r->arith), board);
    else if (st == TUI_REF_DONE)
        snprintf(t->msg, sizeof t->msg, "reference run done: %zu layers in %s arithmetic",
                 r->layers_done, interp_arith_name(r->arith));
    else if (st == TUI_REF_FAILED)
        snprintf(t->msg, sizeof t->msg, "%s failed: %.200s",
                 r->diff_failed ? "comparison with the board" : "reference run", r->eb.msg);
    /* Damage the trace loader skipped over: say so, the details name each layer's. */
    size_t n_prob = r->want_diff && r->diff.board ? r->diff.board->n_problems : 0;
    size_t used = strlen(t->msg);
    if (st == TUI_REF_DONE && n_prob > 0 && used + 40 < sizeof t->msg)
        snprintf(t->msg + used, sizeof t->msg - used, "; the log has %zu problem%s", n_prob,
                 n_prob == 1 ? "" : "s");
    return true;
}
