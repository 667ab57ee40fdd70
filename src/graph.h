/*
 * The format-neutral model: tensors, nodes, layers. ONNX and TFLite loaders build it;
 * everything downstream (interpreter, MLF map, offload rules, diff, views) reads it.
 *
 * Lifetime: a struct graph owns one arena (names, attributes, copied data) and keeps the
 * model file mapped (constant tensors may point into it). Every pointer reached from a
 * graph is borrowed and valid until graph_release(). Tensors, nodes and layers are
 * referred to by index (int, -1 = none), never by pointer, because the arrays grow while
 * a loader builds the graph.
 *
 * Invariants after graph_finish(): nodes are in topological order; every node input is a
 * graph input, a constant or the output of an earlier node; every tensor has at most one
 * producer; layers partition the nodes that compute (Constant nodes belong to no layer).
 */
#ifndef MLFSCOPE_GRAPH_H
#define MLFSCOPE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "errbuf.h"
#include "fileio.h"

/* X(enum, name as printed and in JSON, bytes per element) */
#define DTYPE_LIST(X)                  \
    X(DTYPE_UNKNOWN, "unknown", 0)     \
    X(DTYPE_F32, "float32", 4)         \
    X(DTYPE_U8, "uint8", 1)            \
    X(DTYPE_S8, "int8", 1)             \
    X(DTYPE_U16, "uint16", 2)          \
    X(DTYPE_S16, "int16", 2)           \
    X(DTYPE_S32, "int32", 4)           \
    X(DTYPE_S64, "int64", 8)           \
    X(DTYPE_BOOL, "bool", 1)           \
    X(DTYPE_F16, "float16", 2)         \
    X(DTYPE_F64, "float64", 8)         \
    X(DTYPE_U32, "uint32", 4)          \
    X(DTYPE_U64, "uint64", 8)          \
    X(DTYPE_STRING, "string", 0)

enum dtype {
#define DTYPE_ENUM(e, name, bytes) e,
    DTYPE_LIST(DTYPE_ENUM)
#undef DTYPE_ENUM
    DTYPE_COUNT
};

const char *dtype_name(enum dtype t);
size_t dtype_bytes(enum dtype t);              /* 0 for unknown/string */
enum dtype dtype_from_name(const char *name);  /* DTYPE_UNKNOWN if not a known name */

/* Data layout of a 4-D activation, when known. */
enum layout { LAYOUT_ANY, LAYOUT_NCHW, LAYOUT_NHWC };

#define GRAPH_MAX_RANK 8

/* Affine quantization: real = scale * (q - zero_point). */
struct quant {
    size_t n;                   /* 0 = not quantized, 1 = per tensor, >1 = per axis */
    int axis;                   /* the per-axis dimension (meaningful when n > 1) */
    const float *scale;         /* [n], arena */
    const int32_t *zero_point;  /* [n], arena */
};

enum tensor_flags {
    TENSOR_INPUT = 1u << 0,     /* a graph input the user supplies */
    TENSOR_OUTPUT = 1u << 1,    /* a graph output */
    TENSOR_CONST = 1u << 2,     /* initializer, Constant node output or TFLite buffer */
};

struct tensor {
    const char *name;                         /* unique within the graph */
    enum dtype dtype;
    int rank;                                 /* -1 = unknown */
    int64_t dims[GRAPH_MAX_RANK];             /* -1 = unknown dimension */
    const char *dim_param[GRAPH_MAX_RANK];    /* symbolic dimension name or NULL */
    enum layout layout;
    struct quant quant;
    const void *data;       /* constant data (little-endian, row-major) or NULL */
    size_t data_bytes;      /* bytes at data */
    unsigned flags;         /* enum tensor_flags */
    int producer;           /* node index or -1 (set by graph_finish) */
    size_t n_consumers;     /* set by graph_finish */
    const int *consumers;   /* [n_consumers] node indices, arena */
};

/* X(enum, name) */
#define ATTR_TYPE_LIST(X)  \
    X(ATTR_INT, "int")     \
    X(ATTR_FLOAT, "float") \
    X(ATTR_STRING, "string") \
    X(ATTR_INTS, "ints")   \
    X(ATTR_FLOATS, "floats") \
    X(ATTR_TENSOR, "tensor") \
    X(ATTR_OTHER, "other")

enum attr_type {
#define ATTR_ENUM(e, name) e,
    ATTR_TYPE_LIST(ATTR_ENUM)
#undef ATTR_ENUM
    ATTR_TYPE_COUNT
};

struct attr {
    const char *name;
    enum attr_type type;
    int64_t i;              /* ATTR_INT */
    float f;                /* ATTR_FLOAT */
    const char *s;          /* ATTR_STRING, NUL-terminated (s_len excludes the NUL) */
    size_t s_len;
    size_t n;               /* ATTR_INTS / ATTR_FLOATS element count */
    const int64_t *ints;
    const float *floats;
    int tensor;             /* ATTR_TENSOR: tensor index */
};

struct node {
    const char *name;       /* never NULL; the loader invents "op_N" when the file has none */
    const char *op;         /* the model's own op name: "QLinearConv", "CONV_2D" */
    const char *domain;     /* "" for the default ONNX domain, "com.microsoft", "tflite" */
    size_t n_inputs;
    const int *inputs;      /* tensor indices; -1 for an omitted optional input */
    size_t n_outputs;
    const int *outputs;
    size_t n_attrs;
    const struct attr *attrs;
    int layer;              /* layer index or -1 (set when layers are formed) */
};

/* X(enum, name) */
#define LAYER_KIND_LIST(X)        \
    X(LAYER_QOP, "qoperator")     \
    X(LAYER_QDQ, "qdq")           \
    X(LAYER_TFLITE, "tflite")     \
    X(LAYER_FLOAT, "float")

enum layer_kind {
#define LAYER_KIND_ENUM(e, name) e,
    LAYER_KIND_LIST(LAYER_KIND_ENUM)
#undef LAYER_KIND_ENUM
    LAYER_KIND_COUNT
};

const char *layer_kind_name(enum layer_kind k);

/* One quantized operation as a user and a board log think of it. */
struct layer {
    const char *name;       /* the name of its (first) output tensor */
    const char *op;         /* the compute node's op ("Conv" for a QDQ group) */
    enum layer_kind kind;
    int main_node;          /* the compute node */
    size_t n_nodes;
    const int *nodes;       /* member nodes in topological order */
    size_t n_inputs;
    const int *inputs;      /* tensors entering the layer (activations first, then constants) */
    size_t n_outputs;
    const int *outputs;     /* tensors leaving the layer (the quantized outputs for QDQ) */
    int64_t macs;           /* multiply-accumulates, 0 where not meaningful */
};

enum graph_format { GRAPH_FORMAT_ONNX, GRAPH_FORMAT_TFLITE };

struct opset {
    const char *domain;     /* "" = ai.onnx */
    int64_t version;
};

struct graph_index;         /* name -> tensor index hash, private to graph.c */

struct graph {
    struct arena arena;
    struct filebuf file;            /* the model file, kept open: constants may point into it */
    enum graph_format format;
    const char *path;               /* as given by the user */
    const char *producer;           /* producer name + version, or TFLite description; may be "" */
    int64_t ir_version;             /* ONNX ir_version; TFLite schema version */
    size_t n_opsets;
    const struct opset *opsets;
    size_t n_tensors, cap_tensors;
    struct tensor *tensors;         /* heap array owned by the graph */
    size_t n_nodes, cap_nodes;
    struct node *nodes;             /* heap array; topological order after graph_finish */
    size_t n_layers;
    struct layer *layers;           /* arena */
    size_t n_inputs;
    const int *inputs;              /* graph inputs (non-constant), in file order */
    size_t n_outputs;
    const int *outputs;
    struct graph_index *index;
    size_t n_warnings;
    const char *const *warnings;    /* arena; loader notes that do not stop inspection
                                       (unknown or custom operators), one line each */
    size_t n_metadata;
    const char *const *metadata;    /* arena; TFLite metadata entry names, in file order */
};

/* A user-supplied shape for an input (--input-shape [NAME=]d0,d1,...). */
struct shape_override {
    const char *name;               /* NULL: the model's only input */
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
};

struct load_options {
    size_t n_shapes;
    const struct shape_override *shapes;
};

/*
 * A tensor value in memory: an input file, a layer output, a board dump. Whoever fills one
 * says who owns `data` (usually the caller, released with mem_free).
 */
struct tensor_value {
    enum dtype dtype;
    int rank;
    int64_t dims[GRAPH_MAX_RANK];
    void *data;
    size_t bytes;
};

/* Makes an empty graph. */
void graph_init(struct graph *g);

/* Frees everything the graph owns, including the mapped file. Safe on an initialised graph. */
void graph_release(struct graph *g);

/*
 * The tensor named `name`, created (dtype unknown, rank -1, no data) if it does not exist.
 * Returns its index (>= 0) or a negative status (eb set).
 */
int graph_tensor(struct graph *g, const char *name, struct errbuf *eb);

/* Index of the tensor named `name`, or -1. */
int graph_find_tensor(const struct graph *g, const char *name);

/*
 * Appends a node. The arrays are copied into the arena; strings must already live in the
 * arena (or be static). Returns the node index or a negative status.
 */
int graph_add_node(struct graph *g, const struct node *spec, struct errbuf *eb);

/* The attribute `name` of a node, or NULL. */
const struct attr *node_attr(const struct node *n, const char *name);
int64_t node_attr_int(const struct node *n, const char *name, int64_t dflt);
float node_attr_float(const struct node *n, const char *name, float dflt);
const char *node_attr_string(const struct node *n, const char *name, const char *dflt);

/*
 * Validates and orders: sorts nodes topologically (stable: file order among ready nodes),
 * fills producers and consumers, and rejects a node input that is never produced, a tensor
 * produced twice, and cycles, naming the node. Does not form layers.
 */
int graph_finish(struct graph *g, struct errbuf *eb);

/* Element count of a tensor; false when a dimension is unknown or the product overflows. */
bool tensor_elems(const struct tensor *t, size_t *out);

/* "1x3x224x224" (or "?" for unknown dims) into buf; returns buf. */
char *tensor_shape_str(const struct tensor *t, char *buf, size_t buf_bytes);

/*
 * A tensor or layer name shortened for a table column of `width` characters, into out:
 * TFLite's converter joins the names of every op it fused with ';' ("a/Relu;a/BiasAdd;..."),
 * and the first part names the layer, so only that part is kept; a part still longer than
 * `width` keeps its informative tail after "...". Returns out.
 */
const char *graph_short_name(const char *name, size_t width, char *out, size_t out_bytes);

/* The opset version of a domain ("" = ai.onnx), or 0 when not imported. */
int64_t graph_opset(const struct graph *g, const char *domain);

#endif
