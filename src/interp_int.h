/*
 * Private to src/interp*.c: the op tables the interpreter dispatches through, the per-node
 * context an op implementation receives, and shared helpers (output allocation, attribute
 * access, broadcasting, quantization parameters).
 *
 * Extending: a file src/interp_<x>.c defines one `const struct interp_op_table
 * interp_ops_<x> = {...};` at file scope (exactly that form, on one line up to the '=').
 * scripts/gen-interp-ops.sh collects them into build/gen/interp_ops.h, so adding a file
 * adds its ops without editing any other file.
 */
#ifndef MLFSCOPE_INTERP_INT_H
#define MLFSCOPE_INTERP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "graph.h"
#include "interp.h"

struct interp_ctx;
struct interp_requant;
struct interp_kbuf;
struct ref_shape;

/*
 * Plan-time check of one node: attributes and constant inputs the implementation needs.
 * Returns 0, or ST_EUNSUPPORTED through interp_unsupported_attr. May be NULL.
 */
typedef int (*interp_check_fn)(const struct graph *g, const struct node *n, struct errbuf *eb);

/* Runs one node (or, for a lowering, one whole layer). */
typedef int (*interp_run_fn)(struct interp_ctx *c, struct errbuf *eb);

/* A node implementation, in ONNX semantics (or the native semantics of its domain). */
struct interp_op {
    const char *domain;     /* "" = ai.onnx; "com.microsoft"; "tflite" */
    const char *op;
    interp_check_fn check;
    interp_run_fn run;
};

/*
 * A whole-layer implementation in an integer mode (TFLM, TVM): the layer whose main node is
 * (domain, op), QOperator or QDQ. `check` returns 0 when this layer can be lowered (dtypes,
 * constant weights, quantization it understands); otherwise the layer runs node by node in
 * ONNX semantics. `run` receives a context whose `layer` is set; inputs/outputs are those of
 * struct interp_qlayer.
 */
struct interp_lowering {
    const char *domain;
    const char *op;
    unsigned modes;         /* bit (1u << enum interp_arith) per mode it implements */
    int (*check)(const struct graph *g, int layer, struct errbuf *eb);
    interp_run_fn run;
};

struct interp_op_table {
    const struct interp_op *ops;
    size_t n_ops;
    const struct interp_lowering *lowerings;
    size_t n_lowerings;
};

/* What an op implementation sees. Inputs are borrowed; outputs are filled by the op. */
struct interp_ctx {
    struct interp *ip;
    const struct graph *g;
    const struct node *node;            /* the node (the main node for a lowering) */
    int node_index;
    int layer;                          /* layer index or -1 */
    enum interp_arith arith;            /* the mode this node or layer runs in */
    const struct interp_layer_params *params;  /* per-layer settings (never NULL) */
    const struct tensor_value *const *in;      /* [node->n_inputs]; NULL for an omitted input */
    struct tensor_value *out;           /* [node->n_outputs]; the op fills dtype/shape/data */
    const int *out_tensors;             /* the tensors out[] become (node or layer outputs) */
    const struct interp_options *opts;  /* the run's options */
    struct interp_kbuf *scratch;        /* [INTERP_N_KBUF] kernel scratch, reused */
    void **cache;                       /* this node's slot for prepared data (mem_free'd by
                                           interp_free) */
    void **plan_cache;                  /* a second slot, for a lowering's derived constants
                                           (multipliers, ranges), mem_free'd by interp_free */
};

/*
 * Allocates output k of the current node: dtype, rank, dims, and a zeroed buffer of the
 * right size (owned by the interp). Returns the data pointer in *data. ST_ENOMEM/ST_ELIMIT.
 */
int interp_out(struct interp_ctx *c, size_t k, enum dtype dt, int rank, const int64_t *dims,
               void **data, struct errbuf *eb);

/*
 * As interp_out, but a fresh buffer is not cleared: for ops that write every element of the
 * output (clearing large float tensors cost as much as copying them).
 */
int interp_out_uninit(struct interp_ctx *c, size_t k, enum dtype dt, int rank,
                      const int64_t *dims, void **data, struct errbuf *eb);

/* Output k aliases input `in_k` with a new shape (Reshape, Squeeze, Identity ...). */
int interp_out_alias(struct interp_ctx *c, size_t k, size_t in_k, int rank, const int64_t *dims,
                     struct errbuf *eb);

/*
 * Output k is `offset` bytes into input in_k, with a new shape (a contiguous part: Split
 * along the outermost dim that is not 1). Values are never written in place, so the
 * buffer is shared. ST_EINTERNAL when the part does not lie inside the input.
 */
int interp_out_view(struct interp_ctx *c, size_t k, size_t in_k, int rank, const int64_t *dims,
                    size_t offset, struct errbuf *eb);

/* "FILE: node NAME: unsupported op OP" style errors. */
int interp_unsupported_attr(const struct graph *g, const struct node *n, const char *attr,
                            const char *why, struct errbuf *eb);
int interp_node_error(const struct graph *g, const struct node *n, int code, struct errbuf *eb,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Input k of the current node; NULL when the node has fewer inputs or omits it. */
static inline const struct tensor_value *interp_in(const struct interp_ctx *c, size_t k)
{
    return k < c->node->n_inputs ? c->in[k] : NULL;
}

/* Element count of a value (dims already checked when the value was made). */
size_t interp_elems(const struct tensor_value *v);

/* Input i as a scalar or element 0 (float or integer types, converted). */
double interp_scalar(const struct tensor_value *v, size_t i);

/* Reads int64/int32 tensor elements into out (at most max); returns count or -1. */
long interp_read_ints(const struct tensor_value *v, int64_t *out, size_t max);

/* Broadcast: output dims of two shapes (numpy rules). false when they do not broadcast. */
bool interp_broadcast(int ra, const int64_t *da, int rb, const int64_t *db, int *rank,
                      int64_t *dims);

/* Walks a broadcast over `rank` output dims, giving offsets into a and b (elements). */
struct interp_bcast {
    int rank;
    int64_t dims[GRAPH_MAX_RANK], sa[GRAPH_MAX_RANK], sb[GRAPH_MAX_RANK], idx[GRAPH_MAX_RANK];
    int64_t oa, ob;         /* current offsets */
};

/* Starts at output index 0; b may be NULL. */
void interp_bcast_init(struct interp_bcast *b, int rank, const int64_t *dims,
                       const struct tensor_value *x, const struct tensor_value *y);

/* Advances to the next output index (row-major). */
void interp_bcast_next(struct interp_bcast *b);

/* Strides (in elements) of a shape broadcast to `rank` dims: 0 where the dim is 1/missing. */
void interp_bcast_strides(int r, const int64_t *d, int rank, const int64_t *out_dims,
                          int64_t *strides);

/* Advances idx to the next index of a [rank] shape dims in row-major order (wraps to 0). */
static inline void interp_index_next(int rank, const int64_t *dims, int64_t *idx)
{
    for (int j = rank - 1; j >= 0; j--) {
        if (++idx[j] < dims[j])
            return;
        idx[j] = 0;
    }
}

/* Normalises an axis in [-rank, rank) to [0, rank); -1 when out of range. */
int interp_axis(int64_t axis, int rank);

/* Float value of element i of an integer or float tensor (0 for DTYPE_U32 and other types). */
float interp_get_f(const struct tensor_value *v, size_t i);

/* A value's shape as ref/ kernels take it: dims cast to int32_t (callers keep them in range). */
void interp_ref_shape(const struct tensor_value *v, struct ref_shape *s);

/* Element i of an integer tensor, exactly (64 bits); float types truncated via interp_get_f. */
int64_t interp_get_i(const struct tensor_value *v, size_t i);

/*
 * 8-bit convolution (the current node's conv attributes) / matmul: int32 accumulation of
 * (x - xzp)(w - wzp[ch]) + bias, requantized by rq (NULL: int32 output), written to output
 * out_k of the context as out_t. Shared by the ONNX ops and the integer-mode lowerings.
 * cacheable: w (b), bias and zero points are constants, so prepared weights may be kept in
 * the node's cache slot between runs.
 */
int interp_int_conv(struct interp_ctx *c, const struct tensor_value *x, int32_t xzp,
                    const struct tensor_value *w, const struct tensor_value *wzp,
                    const struct tensor_value *bias, const struct interp_requant *rq,
                    enum dtype out_t, size_t out_k, bool cacheable, struct errbuf *eb);
int interp_int_matmul(struct interp_ctx *c, const struct tensor_value *a, int32_t azp,
                      const struct tensor_value *b, const struct tensor_value *bzp,
                      const struct interp_requant *rq, enum dtype out_t, size_t out_k,
                      bool cacheable, struct errbuf *eb);

/* The op tables, generated list (build/gen/interp_ops.h). */
extern const struct interp_op_table *const interp_all_tables[];
extern const size_t interp_n_tables;

/* Requantization of an int32 accumulator to the output integer type under a mode. */
struct interp_requant {
    enum interp_arith arith;
    bool single_rounding;
    size_t n;                   /* channels (1 = per tensor) */
    const float *scale;         /* [n] ONNX: float32 effective scale (ORT: xs*ws/ys) */
    const int32_t *mult;        /* [n] TFLM/TVM */
    const int32_t *shift;       /* [n] */
    int32_t zp;                 /* output zero point */
    int32_t qmin, qmax;         /* clamp (type range intersected with the activation) */
};

/* Requantizes acc (bias already added) for channel ch. */
int32_t interp_requant(const struct interp_requant *rq, int32_t acc, size_t ch);

/* TVM's GetFixedPointMultiplierShift (ARITHMETIC.md 3): m = M * 2^(S-31), no clamp. */
void interp_multiplier_tvm(double m, int32_t *mult, int32_t *shift);

/* TFLite's QuantizeMultiplier: as TVM's but shift < -31 flushes to (0, 0). */
void interp_multiplier_tflite(double m, int32_t *mult, int32_t *shift);

/*
 * Multipliers of a quantized ADD/SUB with input scales s1, s2 and output scale so, or the
 * layer's own (lp->n_mult >= 2 for tvm, >= 3 otherwise). tvm (qnn.add): m/sh[0..1] requantize
 * each input to so. Otherwise TFLite's PrepareAdd (ARITHMETIC.md 2.4): m/sh[0..1] rescale the
 * inputs to twice the larger scale, m/sh[2] that to so, with lp->left_shift (0: 20). Returns
 * the left shift (0 for tvm); m[2], sh[2] are not written for tvm.
 */
int32_t interp_add_multipliers(const struct interp_layer_params *lp, enum interp_arith arith,
                               double s1, double s2, double so, int32_t m[3], int32_t sh[3]);

#endif
