/*
 * Instrumenting an MLF's AOT main: which buffer each step writes (name, dtype, shape, size,
 * and how sure we are of the size), and a copy of the generated C whose main calls hooks
 * around every step. Used by `mlfscope instrument` (firmware that prints a board log) and
 * `mlfscope twin` (the same C built and run on the host).
 *
 * The hooks are inserted on the lines they belong to, so the copy keeps the original's line
 * numbers (compiler messages point at the user's file). The instrumented main calls:
 *   void mlfscope_run_begin(void);                                  before the first step
 *   void mlfscope_step_begin(int step, const char *function, void *out, unsigned long bound);
 *   void mlfscope_step_end(int step, const char *name, int dtype, const int *dims, int rank,
 *                          const void *data, unsigned long nbytes); after a selected step
 *   void mlfscope_run_end(void);                                    after the last step
 * dtype is an enum mlfscope_dump_dtype value; `bound` is the output buffer's size when exact,
 * or the upper bound when approximate (0 when there is no output buffer).
 */
#ifndef MLFSCOPE_INSTRUMENT_H
#define MLFSCOPE_INSTRUMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "mlf.h"

#define INSTRUMENT_MAX_RANK 8

/* X(enum, name in index.json): where a step buffer's size came from. */
#define INSTRUMENT_SIZE_LIST(X)             \
    X(INSTRUMENT_SIZE_NONE, "none")         \
    X(INSTRUMENT_SIZE_CALLER, "layer-map")  \
    X(INSTRUMENT_SIZE_KERNEL, "kernel")     \
    X(INSTRUMENT_SIZE_ALLOC, "alloc")       \
    X(INSTRUMENT_SIZE_META, "metadata")     \
    X(INSTRUMENT_SIZE_LOOPS, "loop-bounds") \
    X(INSTRUMENT_SIZE_GAP, "pool-gap")

enum instrument_size {
#define INSTRUMENT_SIZE_ENUM(e, n) e,
    INSTRUMENT_SIZE_LIST(INSTRUMENT_SIZE_ENUM)
#undef INSTRUMENT_SIZE_ENUM
    INSTRUMENT_SIZE_COUNT
};

/* "kernel", "alloc", "pool-gap", ... */
const char *instrument_size_name(enum instrument_size s);

/* The buffer one step writes. */
struct instrument_buffer {
    size_t step;               /* index into mlf.steps */
    const char *function;      /* the callee (borrowed from the mlf) */
    int arg;                   /* index into the step's args; -1 = no output buffer found */
    const char *name;          /* the buffer variable ("sid_7_let"); borrowed, "" when none */
    const char *expr;          /* the argument as written (a C expression); borrowed */
    enum mlf_dtype dtype;      /* element type; MLF_DT_UNKNOWN when nothing says */
    int rank;
    int32_t dims[INSTRUMENT_MAX_RANK];
    size_t bytes;              /* product of dims times the element size */
    enum instrument_size source;
    bool approximate;          /* bytes is an upper bound (dims = {bytes / element size}) */
    bool selected;             /* dumped (all by default; see instrument_select) */
};

/* A caller-supplied shape for a step (the layer map's hook): wins over everything else. */
struct instrument_shape {
    size_t step;
    enum mlf_dtype dtype;      /* MLF_DT_UNKNOWN: keep what the C says */
    int rank;
    int32_t dims[INSTRUMENT_MAX_RANK];
};

struct instrument_plan {
    struct instrument_buffer *bufs;    /* heap, one per step, in step order */
    size_t n;
};

/*
 * Works out each step's output buffer: the last pointer argument that is a workspace slice,
 * an allocated sid or a model output (for CMSIS-NN functions the kernel's output pointer),
 * with its shape from, in order: `shapes` (may be NULL), the CMSIS-NN kernel's output
 * dimensions, the metadata's output size, the stores in a TVM C callee's loops (flat), the
 * TVMBackendAllocWorkspace size, or the distance
 * to the next buffer live at that step in the same pool (approximate). Needs an AOT main.
 * On success *plan owns a heap array (instrument_plan_release); on failure (no AOT main:
 * ST_EUNSUPPORTED; ST_ENOMEM) *plan is untouched.
 */
int instrument_plan(const struct mlf *m, const struct instrument_shape *shapes, size_t n_shapes,
                    struct instrument_plan *plan, struct errbuf *eb);

void instrument_plan_release(struct instrument_plan *plan);

/*
 * Dumps only the steps `list` names (comma-separated step indices, ranges "3-7", function or
 * buffer names); the others keep their begin hook only. ST_EINVAL names an item that matches
 * no step; the plan is unchanged then.
 */
int instrument_select(struct instrument_plan *plan, const char *list, struct errbuf *eb);

/*
 * The text of the file holding the AOT main, with the hooks inserted (see the top of this
 * header). *path is the MLF-relative path of that file (borrowed from m); *text is a heap
 * string the caller frees with mem_free. Fails with ST_ENOMEM or ST_EUNSUPPORTED.
 */
int instrument_source(const struct mlf *m, const struct instrument_plan *plan,
                      const char **path, char **text, size_t *bytes, struct errbuf *eb);

/*
 * A C file defining the four hooks for firmware: they print the board log through
 * mlfscope_dump and a `void mlfscope_board_putc(char c, void *user)` the user writes.
 * `model` is the model name printed in "@mlfs begin". Heap string (mem_free); NULL on ENOMEM.
 */
char *instrument_firmware_hooks(const char *model);

/*
 * Writes the instrumented MLF to `dir` (created): a copy of the MLF (every file of a folder
 * MLF; the files the reader keeps for an archive) with the AOT main's file replaced, the
 * board-log emitter and hooks in codegen/host/src and codegen/host/include (so build systems
 * that compile those folders pick them up), and README-mlfscope.md for the user. `model` is
 * the name printed in the log. Fails with ST_EIO (naming the file) or ST_ENOMEM.
 */
int instrument_write(const struct mlf *m, const struct instrument_plan *plan, const char *dir,
                     const char *model, struct errbuf *eb);

struct graph;
struct map;

/*
 * With the source model's layer map: names[s] / ops[s] are the output tensor name and op of
 * the layer step s computes (NULL where the map has none), and the plan is rebuilt with the
 * layer's output shape wherever the step's size is flat, approximate or from a flat kernel
 * and the element counts agree (source "layer-map"); selections are kept. names and ops are
 * heap arrays of n_steps borrowed strings (mem_free the arrays; the graph owns the strings).
 * ST_ENOMEM; on failure nothing changes.
 */
int instrument_use_map(const struct mlf *m, const struct graph *g, const struct map *mp,
                       struct instrument_plan *plan, const char ***names, const char ***ops,
                       struct errbuf *eb);

/* The mlfscope_dump dtype number for an MLF dtype; -1 when a board log cannot carry it. */
int instrument_dump_dtype(enum mlf_dtype t);

#endif
