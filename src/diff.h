/*
 * diff: compares a reference trace with a board trace layer by layer. Aligns entries by name
 * (through an optional rename hook: the MLF step map), then by index; reconciles layout
 * (NCHW vs NHWC), dtype (uint8 vs int8, float vs quantized) and shape; measures exact and
 * within-±1 shares, |Δ| in LSB, a Δ histogram, cosine and SNR; gives each layer a verdict and
 * hints at the likely cause.
 *
 * `inherited` vs `diverged`: with a rerun hook (the interpreter re-running one layer on the
 * board's own input), a layer whose input already differed is `inherited` when the re-run
 * reproduces the board's output within ±1 LSB (max(1, tolerance)), else `diverged`. Without
 * the hook the verdict rests on the upstream status alone: input differed -> `inherited`.
 *
 * Lifetime: a struct diff_report owns one arena (names, notes) and its layer array;
 * diff_report_release() frees them. Reports copy every name they keep, so the traces may be
 * released first.
 */
#ifndef MLFSCOPE_DIFF_H
#define MLFSCOPE_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "errbuf.h"
#include "graph.h"
#include "sbuf.h"
#include "trace.h"

/* X(enum, name as printed and in JSON) */
#define DIFF_STATUS_LIST(X)          \
    X(DIFF_EXACT, "exact")           \
    X(DIFF_ROUNDING, "rounding")     \
    X(DIFF_INHERITED, "inherited")   \
    X(DIFF_DIVERGED, "diverged")     \
    X(DIFF_MISSING, "missing")       \
    X(DIFF_CORRUPT, "corrupt")

enum diff_status {
#define DIFF_STATUS_ENUM(e, name) e,
    DIFF_STATUS_LIST(DIFF_STATUS_ENUM)
#undef DIFF_STATUS_ENUM
    DIFF_STATUS_COUNT
};

/* X(enum, name in JSON, explanation for people). Values are bit positions in diff_layer.hints. */
#define DIFF_HINT_LIST(X)                                                                   \
    X(DIFF_HINT_LAYOUT, "layout_transposed",                                                \
      "the values match after an NCHW<->NHWC transpose although the header says otherwise") \
    X(DIFF_HINT_ZP128, "zero_point_128",                                                    \
      "board = reference + 128 (mod 256): uint8 data taken as int8, or the other way")      \
    X(DIFF_HINT_ZEROS, "all_zeros",                                                         \
      "the board tensor is all zeros: the buffer was never written or was cleared")         \
    X(DIFF_HINT_SATURATED, "saturated",                                                     \
      "most board values sit at the type's limits: a scale or shift far off")               \
    X(DIFF_HINT_SHIFT, "shift_hazard",                                                      \
      "the errors sit in a few output channels: a per-channel shift out of range")          \
    X(DIFF_HINT_OVERLAP, "buffer_overlap",                                                  \
      "the differing bytes are another tensor's: overlapping buffers")                      \
    X(DIFF_HINT_SHAPE, "shape_mismatch",                                                    \
      "the element counts differ: the tensors cannot be compared")

enum diff_hint {
#define DIFF_HINT_ENUM(e, name, text) e,
    DIFF_HINT_LIST(DIFF_HINT_ENUM)
#undef DIFF_HINT_ENUM
    DIFF_HINT_COUNT
};

/* "exact", "rounding", ... */
const char *diff_status_name(enum diff_status s);

/* The status named `name`; false when unknown. */
bool diff_status_from_name(const char *name, enum diff_status *out);

/* "layout_transposed", ... and the explanation. */
const char *diff_hint_name(enum diff_hint h);
const char *diff_hint_text(enum diff_hint h);

/*
 * The Δ histogram (Δ = board - reference, in LSB after reconciliation): DIFF_HIST_BINS
 * bins with inclusive bounds; the outer bins are open (INT64_MIN / INT64_MAX).
 */
#define DIFF_HIST_BINS 19
void diff_hist_bounds(int bin, int64_t *lo, int64_t *hi);

/* Inputs followed upstream per layer (more are ignored). */
#define DIFF_MAX_INPUTS 4

struct diff_layer {
    const char *name;           /* the reference entry's name (arena) */
    const char *layer;          /* model layer name when known (index.json or model), or NULL */
    const char *board_name;     /* the board entry's own name, or NULL when missing */
    long ref_entry;             /* index into the reference trace's entries */
    long board_entry;           /* index into the board trace's entries, -1 when missing */
    enum diff_status status;
    bool reran;                 /* the verdict came from re-running the layer on board input */
    bool compared;              /* metrics below are meaningful */
    size_t n_elems;
    double exact_pct;           /* % of elements with |Δ| <= tolerance */
    double within1_pct;         /* % of elements with |Δ| <= max(1, tolerance) */
    double max_abs, mean_abs;   /* |Δ| in LSB */
    uint64_t hist[DIFF_HIST_BINS];
    double cosine;              /* on dequantized values (raw values without a model) */
    double snr_db;              /* 10 log10(Σref² / Σ(ref-board)²); +inf when equal, NaN when
                                   the reference is all zero and they differ */
    bool has_first_diff;        /* an element with |Δ| > tolerance exists */
    size_t first_index;         /* its flat index in reference order */
    int first_rank;
    int64_t first_coord[GRAPH_MAX_RANK];    /* its coordinates in the reference shape */
    double first_ref, first_board;          /* the two values there (board reconciled) */
    unsigned hints;             /* bit (1u << enum diff_hint) */
    const char *hint_detail;    /* arena: "channels 3, 7 of 16", "bytes equal 'conv2'", or NULL */
    const char *reconciled;     /* arena: what was converted before comparing, or NULL */
    const char *note;           /* arena: why missing/corrupt, or NULL */
    int n_inputs;
    long inputs[DIFF_MAX_INPUTS];   /* report layers feeding this one (upstream) */
    bool has_twin;              /* the host twin's trace has this layer (diff_report_add_twin) */
    enum diff_status twin;      /* its status against the same reference */
};

/* X(enum, name in JSON): who is to blame for the first divergence, from the twin. */
#define DIFF_BLAME_LIST(X)                  \
    X(DIFF_BLAME_NONE, "none")              \
    X(DIFF_BLAME_BOARD, "board")            \
    X(DIFF_BLAME_COMPILER, "compiler")      \
    X(DIFF_BLAME_UNKNOWN, "unknown")

enum diff_blame {
#define DIFF_BLAME_ENUM(e, name) e,
    DIFF_BLAME_LIST(DIFF_BLAME_ENUM)
#undef DIFF_BLAME_ENUM
    DIFF_BLAME_COUNT
};

/* "none", "board", "compiler", "unknown". */
const char *diff_blame_name(enum diff_blame b);

struct diff_report {
    struct arena arena;             /* owns every string below */
    size_t n_layers;
    struct diff_layer *layers;      /* heap, reference order */
    long first_diverged;            /* index into layers, -1 = none */
    size_t count[DIFF_STATUS_COUNT];
    int tolerance;
    bool rerun_available;           /* false: inherited/diverged decided from upstream only */
    bool model_known;               /* a model gave quantization and layer inputs */
    size_t n_skipped;               /* reference entries left out (partial, optional) */
    const char *reference;          /* source of the reference (arena) */
    const char *board;              /* source of the board trace (arena) */
    size_t n_extra;
    const char **extra;             /* arena: board entries that matched nothing */
    bool twin_known;                /* diff_report_add_twin was called */
    enum diff_blame blame;          /* for the first divergence; NONE without one */
    const char *blame_text;         /* arena: one sentence for people, or NULL */
};


/*
 * Maps a board entry to the reference name it stands for (the hook the MLF step map fills
 * when a log is indexed by MLF step). Return NULL to keep the entry's own name. The returned
 * string is borrowed for the duration of diff_traces.
 */
typedef const char *(*diff_name_fn)(void *user, const struct trace_entry *board_entry);

/*
 * Re-runs the reference layer `name` on the board's own values for its inputs (look them up
 * with diff_board_value). On success writes *out with heap data (mem_alloc) that diff frees.
 * Returns ST_EUNSUPPORTED or ST_ENOTFOUND when it cannot (diff then falls back to the
 * upstream rule), another negative status to abort the diff.
 */
typedef int (*diff_rerun_fn)(void *user, const char *name, const struct diff_report *rep,
                             const struct trace *board, struct tensor_value *out,
                             struct errbuf *eb);

struct diff_options {
    int tolerance;                  /* ±N LSB count as equal (0 = bit exact) */
    bool partial;                   /* reference entries the board lacks are left out
                                       instead of reported missing (a log of a few layers) */
    const struct graph *model;      /* optional: quantization, layouts, layer inputs */
    diff_name_fn board_name;        /* optional rename hook */
    void *name_user;
    diff_rerun_fn rerun;            /* optional re-run hook */
    void *rerun_user;
    size_t n_hazards;
    const char *const *hazards;     /* layer/tensor names with a known shift hazard (offload) */
    size_t n_overlaps;
    const char *const *overlaps;    /* layer/tensor names whose buffer overlaps a live one
                                       (offload). Known hazards are marked on the layer
                                       whatever its status */
};

/* Makes an empty report (allocates nothing). */
void diff_report_init(struct diff_report *rep);

/* Frees everything the report owns; rep is empty afterwards. */
void diff_report_release(struct diff_report *rep);

/*
 * Compares `ref` (the reference) with `board`, layer by layer in reference order.
 * `opt` may be NULL. *out must be initialised and empty; written on success. Fails only with
 * ST_ENOMEM or an error from the rerun hook (other than unsupported/not found).
 */
int diff_traces(const struct trace *ref, const struct trace *board,
                const struct diff_options *opt, struct diff_report *out, struct errbuf *eb);

/*
 * During a rerun hook: the board's value aligned with the reference name `name`, or NULL
 * (missing, corrupt, or not compared yet).
 */
const struct tensor_value *diff_board_value(const struct diff_report *rep,
                                            const struct trace *board, const char *name);

/*
 * Adds the host twin's verdicts: `twin` is the report of the twin's trace against the same
 * reference. Each layer of rep gets the twin's status (by name); the first divergence gets a
 * culprit: the board when the twin agrees with the reference there (exact or rounding), the
 * compiler (the MLF's code and constants) when the twin disagrees too, unknown when the twin
 * lacks the layer. Returns 0 or ST_ENOMEM (rep then has no twin data).
 */
int diff_report_add_twin(struct diff_report *rep, const struct diff_report *twin,
                         struct errbuf *eb);

/* True when any layer is diverged or missing (the command exits 1). */
bool diff_report_failed(const struct diff_report *rep);

/*
 * The report as JSON: {"layers": [...], "first_diverged": name|null, "summary": {...}}.
 * *out is a heap string (mem_free). ST_ENOMEM on failure.
 */
int diff_report_json(const struct diff_report *rep, char **out, struct errbuf *eb);

/*
 * The report as a table for people, the first divergence marked with '>' (and in bold red
 * when `colour`). Appends to sb (check sbuf_failed).
 */
void diff_report_table(const struct diff_report *rep, bool colour, struct sbuf *sb);

/* Statuses read back from a report file (graph --diff). */
struct diff_verdicts {
    struct arena arena;
    size_t n;
    const char **names;             /* arena: the layer's model name, else its entry name */
    const char **entry_names;       /* arena: the entry name */
    enum diff_status *status;       /* arena */
    const char *first_diverged;     /* arena or NULL */
};

/*
 * Reads the "layers" (name, layer, status) and "first_diverged" of a JSON report written by
 * diff_report_json. *out written on success (release with diff_verdicts_release). Fails with
 * ST_EIO, ST_EPARSE (naming the file and the layer) or ST_ENOMEM.
 */
int diff_verdicts_load(const char *path, struct diff_verdicts *out, struct errbuf *eb);

/* Frees a diff_verdicts. Safe on a zeroed one. */
void diff_verdicts_release(struct diff_verdicts *v);

#endif
