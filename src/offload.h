/*
 * offload: why each layer did or did not go to CMSIS-NN. Predictions come from the model
 * graph alone, with the partitioning rules of TVM's CMSIS-NN integration (up to 0.18); the
 * actual outcome comes from the map. Each failed rule has a stable id and a fix hint (one
 * X-macro table, documented in docs/offloads.md). Hazards read from the MLF are reported
 * beside them: shifts below -31, context buffers too small for a CMSIS-NN version, metadata
 * sizes that disagree with the C, and workspace buffers of live steps that overlap.
 *
 * Lifetime: a struct offload_report owns one arena with every row, hazard and string; it
 * borrows nothing after offload_analyse returns except names borrowed from the graph and
 * the MLF (valid while they live).
 */
#ifndef MLFSCOPE_OFFLOAD_H
#define MLFSCOPE_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "errbuf.h"
#include "graph.h"
#include "map.h"
#include "mlf.h"

/* X(enum, stable id, what failed, how to fix it). Ids never change; add new ones at the end. */
#define OFFLOAD_RULE_LIST(X)                                                                  \
    X(OFF_QDQ_UNFOLDED, "qdq-not-folded",                                                     \
      "a QDQ group (DequantizeLinear -> op -> QuantizeLinear) stays a float op in Relay: "    \
      "TVM's ONNX frontend does not fold it into a quantized op",                             \
      "export QOperator nodes (QLinearConv, QLinearMatMul), convert from TFLite, or run "     \
      "relay.transform.FakeQuantizationToInteger before partition_for_cmsisnn")               \
    X(OFF_NCHW, "nchw-layout",                                                                \
      "the op is NCHW; CMSIS-NN kernels are NHWC only",                                       \
      "convert the layout first: relay.transform.ConvertLayout({'qnn.conv2d': ['NHWC', "      \
      "'HWIO'], 'nn.avg_pool2d': ['NHWC'], 'nn.max_pool2d': ['NHWC']}), or start from TFLite") \
    X(OFF_PARAMS_NOT_BOUND, "params-not-bound",                                               \
      "weights or bias are not constants (parameters not bound)",                             \
      "bind the parameters before partitioning: relay.build_module.bind_params_by_name(mod["  \
      "'main'], params), or make them initializers")                                          \
    X(OFF_WEIGHT_ZP, "weight-zero-point",                                                     \
      "the weight zero point is not 0",                                                       \
      "quantize weights symmetrically (zero point 0, per channel for conv)")                   \
    X(OFF_DW_NO_BIAS, "depthwise-without-bias",                                               \
      "a depthwise conv without a bias does not match TVM's CMSIS-NN pattern",                \
      "give the depthwise conv a (zero) bias before conversion")                              \
    X(OFF_DTYPE, "dtype-not-int8",                                                            \
      "dtypes are not int8 activations, int8 weights and int32 bias (or int16/int8/int64)",    \
      "quantize to signed int8 (TFLite int8 converter, or ONNX QuantType.QInt8 for "          \
      "activations and weights)")                                                             \
    X(OFF_POOL_SHAPE, "pool-batch-layout",                                                    \
      "the pool's batch is not 1 or its layout is not NHWC",                                  \
      "use batch 1 and NHWC (ConvertLayout) for pools")                                       \
    X(OFF_SOFTMAX_QPARAMS, "softmax-output-qparams",                                          \
      "the softmax output is not quantized as scale 1/256, zero point -128",                  \
      "quantize the softmax output with scale 0.00390625 and zero point -128")                \
    X(OFF_NO_PATTERN, "no-cmsis-pattern",                                                     \
      "TVM has no CMSIS-NN pattern for this op",                                              \
      "none for CMSIS-NN: it runs as TVM C code; replace the op by a supported one (conv, "   \
      "depthwise, fully connected, pools, softmax, add, mul) if it matters")                  \
    X(OFF_MISMATCH, "prediction-mismatch",                                                    \
      "the MLF disagrees with what the rules predict",                                        \
      "check the TVM version and passes used for the build; report it if the rules are "      \
      "wrong")

enum offload_rule {
#define OFFLOAD_RULE_ENUM(e, id, text, fix) e,
    OFFLOAD_RULE_LIST(OFFLOAD_RULE_ENUM)
#undef OFFLOAD_RULE_ENUM
    OFFLOAD_RULE_COUNT
};

const char *offload_rule_id(enum offload_rule r);     /* "nchw-layout" */
const char *offload_rule_text(enum offload_rule r);
const char *offload_rule_fix(enum offload_rule r);

/* X(enum, stable kind name) */
#define OFFLOAD_HAZARD_LIST(X)                             \
    X(HAZ_SHIFT, "shift-out-of-range")                     \
    X(HAZ_CONTEXT, "context-buffer-too-small")             \
    X(HAZ_METADATA, "metadata-mismatch")                   \
    X(HAZ_OVERLAP, "buffer-overlap")

enum offload_hazard_kind {
#define OFFLOAD_HAZARD_ENUM(e, name) e,
    OFFLOAD_HAZARD_LIST(OFFLOAD_HAZARD_ENUM)
#undef OFFLOAD_HAZARD_ENUM
    OFFLOAD_HAZARD_COUNT
};

const char *offload_hazard_name(enum offload_hazard_kind k);

struct offload_reason {
    enum offload_rule rule;
    const char *detail;        /* what was found ("input uint8"), arena */
};

/* One row: a model layer (or, without a model, an MLF step). */
struct offload_row {
    int layer;                 /* graph layer index, or -1 (MLF alone) */
    int step;                  /* MLF step, -1 when none */
    const char *name;          /* layer name, or the step's function without a model */
    const char *op;            /* the model's op ("CONV_2D", "Conv"); the kernel without one */
    const char *target;        /* actual: "cmsis-nn", "c", BYOC name, "folded"; NULL unknown */
    const char *predicted;     /* "cmsis-nn", "c" or "folded"; NULL without a model */
    const char *function;      /* MLF function, or NULL */
    const char *kernel;        /* CMSIS-NN kernel name, or NULL */
    enum map_status status;    /* from the map (MAP_MISSING without an MLF) */
    int64_t macs;
    size_t n_reasons;
    struct offload_reason *reasons;   /* failed rules, in OFFLOAD_RULE_LIST order */
};

struct offload_hazard {
    enum offload_hazard_kind kind;
    const char *function;      /* or NULL (metadata) */
    int step;                  /* or -1 */
    int layer;                 /* graph layer, or -1 */
    const char *layer_name;    /* or NULL */
    size_t n_channels;
    const int *channels;       /* [n_channels] output channels concerned (shift hazards) */
    const char *detail;        /* one line, arena */
};

struct offload_target_count {
    const char *target;        /* "cmsis-nn", "c", "folded", "missing", BYOC name */
    size_t layers;
    int64_t macs;
};

struct offload_report {
    struct arena arena;        /* owns everything below */
    size_t n_rows;
    struct offload_row *rows;
    size_t n_hazards;
    struct offload_hazard *hazards;
    size_t n_targets;
    struct offload_target_count *targets;   /* per actual target (predicted without an MLF) */
    size_t n_mismatches;       /* rows with OFF_MISMATCH */
    int64_t macs_cmsis;        /* MACs of layers that run in CMSIS-NN */
    int64_t macs_c;            /* MACs of layers that run in TVM's C */
    bool has_model, has_mlf;
};

struct offload_options {
    int cmsis_nn_version;      /* context-buffer formulas of this CMSIS-NN major version (4) */
};

void offload_init(struct offload_report *r);
void offload_release(struct offload_report *r);

/*
 * Analyses: rows for every layer of g (predictions and reasons), actual targets from mp,
 * hazards from mp->m. g may be NULL (rows per MLF step, hazards only); mp may be NULL
 * (predictions only); not both. r must be initialised and empty. Returns 0 or ST_ENOMEM
 * (r left empty).
 */
int offload_analyse(struct offload_report *r, const struct graph *g, const struct map *mp,
                    const struct offload_options *opt, struct errbuf *eb);

/*
 * The context-buffer bytes CMSIS-NN version `version` needs for kernel k on a DSP core
 * (Cortex-M4/M7/M33), or 0 when the kernel uses none.
 */
int32_t offload_context_needed(const struct mlf_kernel *k, int version);

#endif
