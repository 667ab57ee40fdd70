/*
 * Traces: an ordered list of (layer key, tensor value) from any source, the unit `diff`
 * compares. Sources: a `run` or `twin` output folder (DIR/index.json + .npy files), a board
 * log (dump/boardlog.h; one run of it), a folder of .npy files (name = file stem), or entries
 * added one by one (the interpreter's callback).
 *
 * Lifetime: a struct trace owns one arena (names, notes, tensor bytes) and its entry array;
 * trace_release() frees both. Everything reached from a trace is borrowed until then.
 */
#ifndef MLFSCOPE_TRACE_H
#define MLFSCOPE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "errbuf.h"
#include "graph.h"

/* X(enum, name as printed and in JSON) */
#define TRACE_STATUS_LIST(X)         \
    X(TRACE_OK, "ok")                \
    X(TRACE_CORRUPT, "corrupt")      \
    X(TRACE_MISSING, "missing")

enum trace_status {
#define TRACE_STATUS_ENUM(e, name) e,
    TRACE_STATUS_LIST(TRACE_STATUS_ENUM)
#undef TRACE_STATUS_ENUM
    TRACE_STATUS_COUNT
};

/* X(enum, name) */
#define TRACE_KIND_LIST(X)             \
    X(TRACE_KIND_NONE, "none")         \
    X(TRACE_KIND_RUN, "run")           \
    X(TRACE_KIND_LOG, "log")           \
    X(TRACE_KIND_NPY, "npy")           \
    X(TRACE_KIND_MEMORY, "memory")

enum trace_kind {
#define TRACE_KIND_ENUM(e, name) e,
    TRACE_KIND_LIST(TRACE_KIND_ENUM)
#undef TRACE_KIND_ENUM
    TRACE_KIND_COUNT
};

/* "ok", "corrupt", "missing". */
const char *trace_status_name(enum trace_status s);

/* "run", "log", "npy", "memory". */
const char *trace_kind_name(enum trace_kind k);

struct trace_entry {
    const char *name;           /* tensor (or buffer) name, arena; never NULL, may be "" */
    const char *layer;          /* model layer name (index.json "layer"), or NULL */
    const char *op;             /* op as the source gave it, or NULL */
    int64_t index;              /* the source's own index (log index, index.json), -1 unknown */
    int64_t step;               /* twin folders: MLF step, -1 otherwise */
    const char *function;       /* twin folders: MLF operator function, or NULL */
    struct tensor_value value;  /* data in the arena (borrowed); rank -1 and no data when
                                   the source could not say */
    enum trace_status status;
    const char *note;           /* why corrupt or missing ("line 12: bad crc"), or NULL */
    size_t line;                /* board log: line of the tensor record; 0 otherwise */
    bool optional;              /* a reference entry the other side need not have (the model
                                   inputs of an interpreter run): left out when absent */
};

struct trace {
    struct arena arena;         /* owns every string and tensor byte below */
    enum trace_kind kind;
    const char *source;         /* path as given, arena ("" for memory traces) */
    const char *model;          /* model name from index.json or the log run, "" if unknown */
    const char *arith;          /* "tflm", "onnx", ... from index.json; "" otherwise */
    const char *run_id;         /* board log: the run used; "" otherwise */
    size_t run;                 /* board log: which run (0-based in log order) */
    size_t n_runs;              /* board log: runs in the log; 0 otherwise */
    bool run_complete;          /* board log: the chosen run has its "@mlfs end" */
    size_t n_entries, cap_entries;
    struct trace_entry *entries;    /* heap array, in source order */
    size_t n_problems;
    const char **problems;      /* arena; board-log problems of the chosen run, one line each */
};

/* Makes an empty trace (allocates nothing). */
void trace_init(struct trace *t);

/* Frees everything the trace owns; t is empty afterwards. Safe on an initialised trace. */
void trace_release(struct trace *t);

/*
 * Appends a copy of `e` (name, layer, op, function, note strings and the value's bytes are
 * copied into t's arena). Returns 0 or ST_ENOMEM (t unchanged).
 */
int trace_add(struct trace *t, const struct trace_entry *e, struct errbuf *eb);

/* The first entry named `name` (or whose layer is `name`), or NULL. */
const struct trace_entry *trace_find(const struct trace *t, const char *name);

/* Which run of a board log to use. */
struct trace_options {
    long run;                   /* 0-based run in log order; -1 = the last complete run
                                   (the last run when none is complete) */
    const char *run_id;         /* or: the run with this id (wins over `run`); NULL = none */
    const char *plain_name;     /* non-NULL: a log without @mlfs records is read as one
                                   hand-printed block (decimal or hex) naming this layer */
    enum dtype plain_dtype;     /* its element type; DTYPE_UNKNOWN = the narrowest that fits */
};

/*
 * Loads a trace from `path`: a folder with index.json (run/twin output), another folder (every
 * *.npy in name order, name = file stem without an order prefix "0003_"), a single .npy file
 * (one entry), or else a board
 * log. `opt` may be NULL (defaults). *out must be initialised and empty; written on success.
 * Fails with ST_EIO (cannot read), ST_EPARSE (bad index.json or .npy, naming file and field),
 * ST_ENOTFOUND (no such run, a log without tensors), ST_ENOMEM. On failure *out is empty.
 */
int trace_load(const char *path, const struct trace_options *opt, struct trace *out,
               struct errbuf *eb);

/* trace_load for a run/twin output folder (DIR/index.json). */
int trace_load_run_dir(const char *dir, struct trace *out, struct errbuf *eb);

/*
 * trace_load_run_dir on index.json bytes already in memory; `dir` is where the .npy files
 * named in it are (an entry whose file does not exist becomes TRACE_MISSING).
 */
int trace_parse_index(const void *buf, size_t bytes, const char *dir, struct trace *out,
                      struct errbuf *eb);

/* trace_load for a folder of .npy files. */
int trace_load_npy_dir(const char *dir, struct trace *out, struct errbuf *eb);

/*
 * trace_load for a board log held in memory (`name` for messages). Picks the run as `opt`
 * says; corrupt tensors become TRACE_CORRUPT entries with the parser's reason and line.
 */
int trace_load_log_buffer(const void *buf, size_t bytes, const char *name,
                          const struct trace_options *opt, struct trace *out,
                          struct errbuf *eb);

#endif
