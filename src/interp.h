/*
 * The reference interpreter: runs a finished graph (layers formed) node by node and layer by
 * layer under an arithmetic mode, and hands every layer's (or node's) output to a callback.
 *
 * Modes (enum interp_arith): ONNX semantics (equal to ONNX Runtime with optimizations off),
 * TFLite Micro / CMSIS-NN fixed point, TVM's C (single rounding, UPWARD). The mode can be set
 * per layer, together with requantization parameters that replace the ones derived from the
 * scales (the hook the MLF-driven "deployed" mode uses). A layer with no integer counterpart
 * runs in ONNX semantics and reports INTERP_ARITH_ONNX as the arithmetic it used.
 *
 * Lifetime: a struct interp borrows the graph (which must outlive it) and owns every value
 * buffer it allocates; interp_free releases them. Values handed to the callback or returned
 * by interp_value are borrowed: valid until the next interp_run or interp_free, and (without
 * capture) only during the callback for tensors the plan frees after their last use.
 */
#ifndef MLFSCOPE_INTERP_H
#define MLFSCOPE_INTERP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "graph.h"

/* X(enum, name as on the command line and in index.json) */
#define INTERP_ARITH_LIST(X)          \
    X(INTERP_ARITH_ONNX, "onnx")      \
    X(INTERP_ARITH_TFLM, "tflm")      \
    X(INTERP_ARITH_TVM, "tvm")

enum interp_arith {
#define INTERP_ARITH_ENUM(e, name) e,
    INTERP_ARITH_LIST(INTERP_ARITH_ENUM)
#undef INTERP_ARITH_ENUM
    INTERP_ARITH_COUNT
};

/*
 * The mode a model runs in when the user names none: tflm for TFLite models (what a
 * CMSIS-NN board computes; onnx has no meaning there), onnx for ONNX models.
 */
enum interp_arith interp_default_arith(const struct graph *g);

/* "onnx", "tflm", "tvm". */
const char *interp_arith_name(enum interp_arith a);

/* The mode named `name`; false when unknown. */
bool interp_arith_from_name(const char *name, enum interp_arith *out);

/* Which tensors reach the callback. */
enum interp_dump {
    INTERP_DUMP_OUTPUTS,    /* only the graph outputs */
    INTERP_DUMP_LAYERS,     /* every layer's outputs, in execution order */
    INTERP_DUMP_ALL,        /* every node's outputs (a lowered layer yields only its outputs) */
};

/*
 * Per-layer settings. `arith` chooses the mode for this layer. The requantization fields,
 * when n_mult > 0, replace what the mode would derive from the model's scales (a deployed
 * MLF's constants): mult/shift per output channel (n_mult == 1: per tensor), in the form the
 * mode uses (TFLM: Q31 multiplier and shift, left shift positive; TVM: the same pair fed to
 * q_multiply_shift). For elementwise Add, mult/shift hold [in1, in2, out] (n_mult == 3)
 * and left_shift applies. has_offsets replaces zero points and clamp bounds.
 */
struct interp_layer_params {
    enum interp_arith arith;
    bool single_rounding;       /* TFLM: CMSIS_NN_USE_SINGLE_ROUNDING / TFLITE_SINGLE_ROUNDING */
    size_t n_mult;              /* 0 = derive from scales */
    const int32_t *mult;        /* [n_mult], borrowed */
    const int32_t *shift;       /* [n_mult], borrowed; > 0 = left */
    int32_t left_shift;         /* Add only; 0 = the mode's default (20 for int8) */
    bool has_offsets;
    int32_t in_offset;          /* -input zero point */
    int32_t out_offset;         /* +output zero point */
    int32_t act_min, act_max;   /* output clamp */
};

/*
 * One tensor produced by the run. `arith` is the arithmetic actually used for it (ONNX for a
 * float layer inside a TFLM run). `node` is -1 for an output written by a lowered layer as a
 * whole; `layer` is -1 for a node outside every layer.
 */
struct interp_event {
    int tensor;                         /* graph tensor index */
    int node;                           /* producing node, or -1 */
    int layer;                          /* layer index, or -1 */
    enum interp_arith arith;
    const struct tensor_value *value;   /* borrowed, see the lifetime note above */
    size_t step, n_steps;               /* progress: nodes done so far / nodes in the plan */
};

/* Returns 0 to continue or a negative status to stop the run (interp_run returns it). */
typedef int (*interp_callback)(void *user, const struct interp_event *ev, struct errbuf *eb);

struct interp_options {
    enum interp_arith arith;            /* default for every layer */
    bool single_rounding;               /* default for TFLM layers */
    enum interp_dump dump;
    bool capture;                       /* keep every produced value until the next run */
    interp_callback callback;           /* may be NULL */
    void *user;                         /* passed to callback */
    const struct interp_layer_params *layer_params; /* [g->n_layers] or NULL: per-layer mode */
    /*
     * ONNX mode: reproduce ONNX Runtime's x86 AVX2 kernels without VNNI for uint8 x int8
     * products (QLinearConv, QLinearMatMul): adjacent products are summed in int16 with
     * saturation (vpmaddubsw), which ORT on such a CPU really computes. Off: exact sums.
     */
    bool ort_avx2_u8s8;
};

struct interp;

/*
 * Plans a run of `g` (finished, layers formed): checks that every node's op and attributes
 * are supported in the chosen modes, decides which layers run lowered (one integer kernel)
 * and computes when each value can be freed. `opts` is copied (layer_params is borrowed and
 * must outlive the interp). Fails with ST_EUNSUPPORTED "FILE: node NAME: unsupported op OP"
 * (or "... attribute ATTR ...") naming the first offending node. *out is written on success;
 * caller owns it (interp_free).
 */
int interp_new(const struct graph *g, const struct interp_options *opts, struct interp **out,
               struct errbuf *eb);

/*
 * Sets graph input `tensor` (an index in g->inputs' tensors). The value is borrowed until
 * the run ends; its dtype must match the graph's and known dimensions must agree.
 */
int interp_set_input(struct interp *ip, int tensor, const struct tensor_value *v,
                     struct errbuf *eb);

/*
 * Runs the plan once, calling the callback as values are produced. Fails on a missing input,
 * a shape that does not go together, or a callback error; messages name the model file and
 * node. Can be called again (values from the previous run are released first).
 */
int interp_run(struct interp *ip, struct errbuf *eb);

/*
 * The value of tensor `t` after a run: inputs and constants always, produced tensors when
 * captured or still live (graph outputs always are). NULL otherwise. Borrowed.
 */
const struct tensor_value *interp_value(const struct interp *ip, int t);

/* The arithmetic layer `layer` runs in under this plan. */
enum interp_arith interp_layer_arith(const struct interp *ip, int layer);

/* Frees everything the interp owns. NULL is fine. */
void interp_free(struct interp *ip);

/*
 * Reads an input file into *out: .npy, ONNX TensorProto .pb, or raw bytes (.bin or any other
 * name) when `raw_dtype` != DTYPE_UNKNOWN with `raw_shape` (rank > 0) giving its shape.
 * out->data is heap memory the caller owns (mem_free). On failure *out is untouched.
 */
int interp_read_input(const char *path, enum dtype raw_dtype,
                      const struct shape_override *raw_shape, struct tensor_value *out,
                      struct errbuf *eb);

/* Input values bound to graph inputs, as read from the command line's --input list. */
struct interp_inputs {
    size_t n;
    int *tensors;                   /* [n] graph tensor index of each value */
    struct tensor_value *vals;      /* [n] heap data, owned */
};

/*
 * Reads each spec "[NAME=]FILE" (interp_read_input) and binds it to a graph input: NAME when
 * given (and naming a graph input), otherwise the next graph input not named elsewhere, in
 * file order. Raw files take their shape from `shapes` (by name, or an unnamed one) or from
 * the graph input's static shape. Fails naming the file when an input is unknown, given
 * twice, or when a graph input gets no value. On success *out is filled (release with
 * interp_inputs_release); on failure nothing is kept.
 */
int interp_inputs_load(const struct graph *g, size_t n_specs, const char *const *specs,
                       enum dtype raw_dtype, size_t n_shapes, const struct shape_override *shapes,
                       struct interp_inputs *out, struct errbuf *eb);

/* Hands every value to ip (interp_set_input). The values stay owned by `in`. */
int interp_inputs_bind(struct interp *ip, const struct interp_inputs *in, struct errbuf *eb);

/* Frees the values and arrays; `in` is empty afterwards. */
void interp_inputs_release(struct interp_inputs *in);

#endif
