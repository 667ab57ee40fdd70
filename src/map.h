/*
 * map: which MLF step computes which model layer, and back. Spans in the Relay text name the
 * model tensors a partition came from; without them steps and layers are matched on op kind,
 * output shape (NCHW and NHWC alike), quantization and constant bytes (TVM copies most
 * weights verbatim into its constant pool). A hand-written map file overrides both.
 *
 * Lifetime: a struct map owns one arena (everything its arrays point to) and borrows the
 * graph and the MLF it was built from: both must outlive it (map_release first). Pointers
 * into MLF data (kernel structs, constant values) are borrowed from the struct mlf.
 */
#ifndef MLFSCOPE_MAP_H
#define MLFSCOPE_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "errbuf.h"
#include "graph.h"
#include "mlf.h"

/* X(enum, name as printed and in JSON) */
#define MAP_STATUS_LIST(X)                                                                    \
    X(MAP_STEP, "step")          /* computed by an MLF step of its own */                     \
    X(MAP_FOLDED, "folded")      /* computed by no step: TVM folded it away (reshape, view) */ \
    X(MAP_FUSED, "fused")        /* computed inside the step of another layer */              \
    X(MAP_MISSING, "missing")    /* no step found; see map_layer.note */

enum map_status {
#define MAP_STATUS_ENUM(e, name) e,
    MAP_STATUS_LIST(MAP_STATUS_ENUM)
#undef MAP_STATUS_ENUM
    MAP_STATUS_COUNT
};

/* X(enum, name): how a layer was tied to its step. */
#define MAP_HOW_LIST(X)                  \
    X(MAP_HOW_NONE, "none")              \
    X(MAP_HOW_SPAN, "span")              \
    X(MAP_HOW_ALIGN, "align")            \
    X(MAP_HOW_OVERRIDE, "override")

enum map_how {
#define MAP_HOW_ENUM(e, name) e,
    MAP_HOW_LIST(MAP_HOW_ENUM)
#undef MAP_HOW_ENUM
    MAP_HOW_COUNT
};

const char *map_status_name(enum map_status s);
const char *map_how_name(enum map_how h);

/*
 * The operation class both sides are compared on. A model layer gets it from its op name
 * (CONV_2D, Conv, QLinearConv...), a step from its CMSIS-NN kernel or, for a C function,
 * from the Relay op names in the function name (fused_nn_conv2d_add_...).
 */
#define MAP_CLASS_LIST(X)            \
    X(MAP_CLASS_OTHER, "other")      \
    X(MAP_CLASS_CONV, "conv2d")      \
    X(MAP_CLASS_DWCONV, "depthwise") \
    X(MAP_CLASS_FC, "dense")         \
    X(MAP_CLASS_AVGPOOL, "avgpool")  \
    X(MAP_CLASS_MAXPOOL, "maxpool")  \
    X(MAP_CLASS_SOFTMAX, "softmax")  \
    X(MAP_CLASS_ADD, "add")          \
    X(MAP_CLASS_MUL, "mul")          \
    X(MAP_CLASS_VIEW, "view")        /* reshape, flatten, squeeze: no arithmetic */ \
    X(MAP_CLASS_QUANT, "quantize")   /* quantize/dequantize/requantize of a whole tensor */

enum map_class {
#define MAP_CLASS_ENUM(e, name) e,
    MAP_CLASS_LIST(MAP_CLASS_ENUM)
#undef MAP_CLASS_ENUM
    MAP_CLASS_COUNT
};

const char *map_class_name(enum map_class c);

/* The class of a model layer (depthwise when a Conv's group equals its input channels). */
enum map_class map_layer_class(const struct graph *g, const struct layer *l);

/* The class of an MLF function: its first CMSIS-NN kernel, else its name's Relay ops. */
enum map_class map_function_class(const struct mlf_function *f);

/*
 * The deployment target of a function as the user sees it: "cmsis-nn" for TVM's cmsis_nn
 * codegen, "c" for the host C target, otherwise the BYOC name as TVM spells it ("esp").
 * Static string, or the function's own target string (borrowed from the MLF).
 */
const char *map_target_name(const struct mlf_function *f);

/*
 * What a step's kernel computes with, read from the MLF (never recomputed from scales).
 * All pointers are borrowed from the struct mlf. For per-tensor kernels (fully connected,
 * softmax) `mult`/`shift` point at the kernel's own scalar fields and n_quant is 1.
 * Kernel kinds and where their numbers are:
 *   conv/depthwise: kernel->input_offset (= -input zp), output_offset (= +output zp),
 *                   act_min/act_max, stride/padding/dilation, ch_mult (depthwise),
 *                   per-channel mult[c]/shift[c] (n_quant = output channels),
 *                   filter (OHWI for conv, 1HWC for depthwise), bias[n_bias].
 *   fc:             input_offset, filter_offset (= -weight zp), output_offset, act_min/max,
 *                   mult/shift per tensor, filter (rows = outputs), bias.
 *   avg/max pool:   stride, padding, filter dims (window), act_min/max.
 *   softmax:        num_rows, row_size, mult, shift, diff_min (kernel fields).
 *   add/mul:        in1_offset, in1_mult, in1_shift, in2_..., left_shift, out_offset,
 *                   out_mult, out_shift, act_min/act_max, block_size (kernel fields).
 * For a C step (no CMSIS-NN kernel) kernel is NULL and the constant arrays the function
 * uses are listed in `consts` instead; their meaning depends on TVM's fusion.
 */
struct map_params {
    const struct mlf_kernel *kernel;   /* the CMSIS-NN call, or NULL (C step) */
    size_t n_quant;                    /* entries in mult[] and shift[]; 0 when unknown */
    const int32_t *mult;               /* [n_quant] fixed-point multipliers (Q31) */
    const int32_t *shift;              /* [n_quant] shifts (left > 0, right < 0) */
    const int8_t *filter;              /* weights as laid out in the MLF, or NULL */
    size_t filter_bytes;
    const int32_t *bias;               /* [n_bias], or NULL */
    size_t n_bias;
    size_t n_consts;                   /* constants the step reads (arguments, then the */
    const int *consts;                 /*   function's own lets/uses): mlf.constants indices */
};

/* Where a step writes its output, when the MLF says so. */
struct map_buffer {
    enum mlf_arg_kind kind;            /* WORKSPACE, ALLOC, OUTPUT...; UNKNOWN when not found */
    int pool;                          /* mlf.pools index for WORKSPACE, else -1 */
    size_t offset;                     /* bytes into the pool */
    size_t bytes;                      /* buffer size (the layer's output), 0 when unknown */
    const char *var;                   /* the C variable passed ("sid_4_let"), borrowed */
};

/* One model layer and what implements it. */
struct map_layer {
    enum map_status status;
    enum map_how how;
    int step;                  /* mlf.steps index (MAP_STEP; for MAP_FUSED the host step), -1 */
    int func;                  /* mlf.functions index of that step, -1 */
    const char *function;      /* its name (borrowed from the MLF), or NULL */
    const char *target;        /* "cmsis-nn", "c", BYOC name, "folded", or NULL (missing) */
    int kernel;                /* index into the function's kernels, -1 for none */
    int fused_into;            /* MAP_FUSED: the layer whose step computes this one, else -1 */
    enum map_class cls;        /* the layer's class */
    struct map_params params;  /* MAP_STEP only; zeroed otherwise */
    struct map_buffer out;     /* MAP_STEP only */
    double score;              /* alignment score (higher = more evidence), 0 for overrides */
    const char *note;          /* why missing / folded / how matched, arena, or NULL */
};

/* One MLF step and the layers it implements. */
struct map_step {
    enum map_class cls;        /* the step's class */
    const char *target;        /* map_target_name of its function, "c" when undefined */
    int layer;                 /* the layer it computes (MAP_STEP), -1 when none matched */
    size_t n_fused;
    const int *fused;          /* [n_fused] layers folded into this step (MAP_FUSED), arena */
};

struct map {
    struct arena arena;        /* owns every array and string below */
    const struct graph *g;     /* borrowed; NULL when built from an MLF alone */
    const struct mlf *m;       /* borrowed */
    size_t n_layers;           /* g->n_layers (0 without a model) */
    struct map_layer *layers;  /* [n_layers], parallel to g->layers */
    size_t n_steps;            /* m->n_steps */
    struct map_step *steps;    /* [n_steps], parallel to m->steps */
    bool spans;                /* the Relay text had spans and they were used */
    size_t n_warnings;
    const char **warnings;     /* one line each (steps matched to no layer, override notes) */
};

struct map_options {
    const char *override_path; /* --map FILE, or NULL (format in docs/offloads.md) */
};

/* Makes an empty map. */
void map_init(struct map *mp);

/* Frees what the map owns; safe on an initialised map. */
void map_release(struct map *mp);

/*
 * Builds the map of graph g (with layers formed; may be NULL for an MLF alone) against the
 * MLF m, with opt (may be NULL). mp must be initialised and empty. On failure returns a
 * negative ST_* (a bad override file: ST_EPARSE naming file and line; ST_ENOMEM) and mp is
 * left empty.
 */
int map_build(struct map *mp, const struct graph *g, const struct mlf *m,
              const struct map_options *opt, struct errbuf *eb);

/* The layer index whose name (output tensor name) is `name`, or -1. */
int map_find_layer(const struct map *mp, const char *name);

/* The layer a step computes, or -1 (out of range: -1). */
int map_layer_of_step(const struct map *mp, size_t step);

/*
 * Fills p with what step `step`'s kernel number `kernel` computes with (see struct
 * map_params); consts go to mp's arena. Used by map_build; public for steps without a layer.
 * Returns 0 or ST_ENOMEM.
 */
int map_step_params(struct map *mp, size_t step, int kernel, struct map_params *p,
                    struct errbuf *eb);

#endif
