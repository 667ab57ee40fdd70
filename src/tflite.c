/*
 * tflite: TFLite flatbuffer -> struct graph (see tflite.h). Field indices and enum values
 * follow tensorflow/lite/schema/schema.fbs (schema version 3 with the 3a "builtin_code" and
 * 3c "offset/size" buffer extensions). Everything is read through flatbuf, which verifies
 * each offset before use; this file adds the model's own rules (indices in range, buffers
 * at least as large as their tensors, quantization arrays consistent).
 */
#include "tflite.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flatbuf.h"
#include "mem.h"
#include "banned.h"

/* Schema field indices (declaration order in schema.fbs; a union takes two slots). */
enum {
    MODEL_VERSION = 0, MODEL_OPERATOR_CODES = 1, MODEL_SUBGRAPHS = 2, MODEL_DESCRIPTION = 3,
    MODEL_BUFFERS = 4, MODEL_METADATA = 6,
};
enum { CODE_DEPRECATED_BUILTIN = 0, CODE_CUSTOM = 1, CODE_VERSION = 2, CODE_BUILTIN = 3 };
enum { SG_TENSORS = 0, SG_INPUTS = 1, SG_OUTPUTS = 2, SG_OPERATORS = 3, SG_NAME = 4 };
enum {
    TENSOR_SHAPE = 0, TENSOR_TYPE = 1, TENSOR_BUFFER = 2, TENSOR_NAME = 3, TENSOR_QUANT = 4,
    TENSOR_SIGNATURE = 7,
};
enum { QUANT_SCALE = 2, QUANT_ZERO_POINT = 3, QUANT_DETAILS = 4, QUANT_DIMENSION = 6 };
enum { OP_OPCODE_INDEX = 0, OP_INPUTS = 1, OP_OUTPUTS = 2, OP_BUILTIN_OPTIONS = 3 };
enum { BUFFER_DATA = 0, BUFFER_OFFSET = 1, BUFFER_SIZE = 2 };
enum { METADATA_NAME = 0 };

/* BuiltinOperator values this loader decodes options for (or forms MACs for). */
enum {
    OP_ADD = 0, OP_AVERAGE_POOL_2D = 1, OP_CONCATENATION = 2, OP_CONV_2D = 3,
    OP_DEPTHWISE_CONV_2D = 4, OP_DEQUANTIZE = 6, OP_FULLY_CONNECTED = 9, OP_LOGISTIC = 14,
    OP_MAX_POOL_2D = 17, OP_MUL = 18, OP_RELU = 19, OP_RELU6 = 21, OP_RESHAPE = 22,
    OP_SOFTMAX = 25, OP_TANH = 28, OP_CUSTOM = 32, OP_PAD = 34, OP_TRANSPOSE = 39, OP_MEAN = 40,
    OP_SUB = 41, OP_SQUEEZE = 43, OP_STRIDED_SLICE = 45, OP_PADV2 = 60, OP_QUANTIZE = 114,
    OP_HARD_SWISH = 117,
};

/* BuiltinOptions union member numbers (NONE = 0). */
enum {
    OPT_CONV_2D = 1, OPT_DEPTHWISE_CONV_2D = 2, OPT_POOL_2D = 5, OPT_FULLY_CONNECTED = 8,
    OPT_SOFTMAX = 9, OPT_CONCATENATION = 10, OPT_ADD = 11, OPT_RESHAPE = 17, OPT_MUL = 21,
    OPT_PAD = 22, OPT_TRANSPOSE = 26, OPT_REDUCER = 27, OPT_SUB = 28, OPT_SQUEEZE = 30,
    OPT_STRIDED_SLICE = 32, OPT_DEQUANTIZE = 38, OPT_PADV2 = 43, OPT_QUANTIZE = 89,
    OPT_HARD_SWISH = 91,
};

/* BuiltinOperator names, indexed by code (schema.fbs enum BuiltinOperator). */
static const char *const builtin_names[] = {
    "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
    "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED",
    "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION",
    "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1", "RELU6",
    "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
    "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
    "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND",
    "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM",
    "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP", "TOPK_V2", "SPLIT", "LOG_SOFTMAX",
    "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM",
    "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN",
    "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG",
    "SUM", "SQRT", "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD",
    "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK",
    "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD",
    "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
    "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK",
    "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND",
    "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5",
    "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
    "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D",
    "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT",
    "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE",
    "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM",
    "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE", "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD",
    "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM", "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN",
    "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT", "STABLEHLO_LOGISTIC", "STABLEHLO_ADD",
    "STABLEHLO_DIVIDE", "STABLEHLO_MULTIPLY", "STABLEHLO_MAXIMUM", "STABLEHLO_RESHAPE",
    "STABLEHLO_CLAMP", "STABLEHLO_CONCATENATE", "STABLEHLO_BROADCAST_IN_DIM",
    "STABLEHLO_CONVOLUTION", "STABLEHLO_SLICE", "STABLEHLO_CUSTOM_CALL", "STABLEHLO_REDUCE",
    "STABLEHLO_ABS", "STABLEHLO_AND", "STABLEHLO_COSINE", "STABLEHLO_EXPONENTIAL",
    "STABLEHLO_FLOOR", "STABLEHLO_LOG", "STABLEHLO_MINIMUM", "STABLEHLO_NEGATE", "STABLEHLO_OR",
    "STABLEHLO_POWER", "STABLEHLO_REMAINDER", "STABLEHLO_RSQRT", "STABLEHLO_SELECT",
    "STABLEHLO_SUBTRACT", "STABLEHLO_TANH", "STABLEHLO_SCATTER", "STABLEHLO_COMPARE",
    "STABLEHLO_CONVERT", "STABLEHLO_DYNAMIC_SLICE", "STABLEHLO_DYNAMIC_UPDATE_SLICE",
    "STABLEHLO_PAD", "STABLEHLO_IOTA", "STABLEHLO_DOT_GENERAL", "STABLEHLO_REDUCE_WINDOW",
    "STABLEHLO_SORT", "STABLEHLO_WHILE", "STABLEHLO_GATHER", "STABLEHLO_TRANSPOSE", "DILATE",
    "STABLEHLO_RNG_BIT_GENERATOR", "REDUCE_WINDOW", "STABLEHLO_COMPOSITE", "COMPLEX",
};
_Static_assert(sizeof builtin_names / sizeof builtin_names[0] == 208, "BuiltinOperator 0..207");

/* TensorType -> dtype; types the graph cannot represent map to DTYPE_UNKNOWN. */
static enum dtype dtype_of(int8_t type)
{
    switch (type) {
    case 0: return DTYPE_F32;
    case 1: return DTYPE_F16;
    case 2: return DTYPE_S32;
    case 3: return DTYPE_U8;
    case 4: return DTYPE_S64;
    case 5: return DTYPE_STRING;
    case 6: return DTYPE_BOOL;
    case 7: return DTYPE_S16;
    case 9: return DTYPE_S8;
    case 10: return DTYPE_F64;
    case 12: return DTYPE_U64;
    case 15: return DTYPE_U32;
    case 16: return DTYPE_U16;
    default: return DTYPE_UNKNOWN; /* complex, resource, variant, int4, bfloat16 */
    }
}

const char *tflite_builtin_name(int32_t code)
{
    if (code < 0 || (size_t)code >= sizeof builtin_names / sizeof builtin_names[0])
        return NULL;
    return builtin_names[code];
}

bool tflite_is_model(const uint8_t *data, size_t bytes)
{
    return bytes >= 8 && memcmp(data + 4, "TFL3", 4) == 0;
}

struct opcode {
    int32_t builtin;        /* BuiltinOperator (possibly unknown), or -1 for a custom one */
    bool custom;            /* builtin code CUSTOM: named by custom_code */
    const char *name;       /* arena: builtin name, custom name, or "UNKNOWN_<n>" */
};

struct loader {
    struct graph *g;
    struct flatbuf fb;
    const char *path;
    struct errbuf *eb;
    size_t budget;              /* vector elements still allowed (see charge) */
    size_t n_codes;
    struct opcode *codes;       /* heap [n_codes] */
    struct flatbuf_vec buffers; /* Model.buffers */
    size_t n_file_tensors;
    size_t n_warnings, cap_warnings;
    const char **warnings;      /* heap array of arena strings */
};

/*
 * Many tables may share one vector, so a small hostile file could make the loader build
 * far more than its size suggests; every vector element read is charged against a budget
 * proportional to the file size.
 */
static int charge(struct loader *L, size_t n, size_t at)
{
    if (n > L->budget)
        return errbuf_set(L->eb, ST_ELIMIT, "%s: offset %zu: the model references more "
                          "elements than a file of %zu bytes can hold", L->path, at,
                          L->fb.bytes);
    L->budget -= n;
    return 0;
}

static int oom(struct loader *L)
{
    return errbuf_set(L->eb, ST_ENOMEM, "out of memory");
}

static int warn(struct loader *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int warn(struct loader *L, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    void *items = L->warnings;
    char *s = arena_strdup(&L->g->arena, line);
    if (s == NULL || !mem_grow(&items, &L->cap_warnings, L->n_warnings + 1, sizeof(char *)))
        return oom(L);
    L->warnings = items;
    L->warnings[L->n_warnings++] = s;
    return 0;
}

/* A table with no fields: options that are absent read as their schema defaults. */
static const struct flatbuf_table empty_table = {0, 0, 4, 4, 0};

static int read_opcodes(struct loader *L, const struct flatbuf_table *model)
{
    struct flatbuf_vec v;
    int rc = flatbuf_get_vector(&L->fb, model, MODEL_OPERATOR_CODES, 4, &v, L->eb);
    if (rc == 0)
        rc = charge(L, v.len, v.pos);
    if (rc != 0)
        return rc;
    L->codes = mem_calloc(v.len + 1, sizeof *L->codes);
    if (L->codes == NULL)
        return oom(L);
    L->n_codes = v.len;
    for (size_t i = 0; i < v.len; i++) {
        struct flatbuf_table t;
        int8_t deprecated;
        int32_t builtin;
        const char *custom;
        size_t custom_len;
        rc = flatbuf_vec_table(&L->fb, &v, i, &t, L->eb);
        if (rc == 0)
            rc = flatbuf_get_i8(&L->fb, &t, CODE_DEPRECATED_BUILTIN, 0, &deprecated, L->eb);
        if (rc == 0)
            rc = flatbuf_get_i32(&L->fb, &t, CODE_BUILTIN, 0, &builtin, L->eb);
        if (rc == 0)
            rc = flatbuf_get_string(&L->fb, &t, CODE_CUSTOM, &custom, &custom_len, L->eb);
        if (rc != 0)
            return rc;
        /*
         * Schema 3a: old writers fill only the byte-sized deprecated_builtin_code, new ones
         * write both (the byte saturated at PLACEHOLDER_FOR_GREATER_OP_CODES = 127); TFLite
         * takes the larger of the two.
         */
        int32_t code = deprecated > builtin ? deprecated : builtin;
        struct opcode *oc = &L->codes[i];
        oc->builtin = code;
        if (code == OP_CUSTOM) {
            oc->builtin = -1;
            oc->custom = true;
            oc->name = custom != NULL && custom_len > 0
                           ? arena_strndup(&L->g->arena, custom, custom_len)
                           : "CUSTOM";
        } else if (tflite_builtin_name(code) != NULL) {
            oc->name = tflite_builtin_name(code);
        } else {
            oc->name = arena_printf(&L->g->arena, "UNKNOWN_%d", (int)code);
        }
        if (oc->name == NULL)
            return oom(L);
    }
    return 0;
}

static int read_metadata(struct loader *L, const struct flatbuf_table *model)
{
    struct flatbuf_vec v;
    int rc = flatbuf_get_vector(&L->fb, model, MODEL_METADATA, 4, &v, L->eb);
    if (rc == 0)
        rc = charge(L, v.len, v.pos);
    if (rc != 0)
        return rc;
    const char **names = arena_array(&L->g->arena, v.len, sizeof *names);
    if (names == NULL)
        return oom(L);
    for (size_t i = 0; i < v.len; i++) {
        struct flatbuf_table t;
        const char *s;
        size_t len;
        rc = flatbuf_vec_table(&L->fb, &v, i, &t, L->eb);
        if (rc == 0)
            rc = flatbuf_get_string(&L->fb, &t, METADATA_NAME, &s, &len, L->eb);
        if (rc != 0)
            return rc;
        names[i] = s != NULL ? arena_strndup(&L->g->arena, s, len) : "";
        if (names[i] == NULL)
            return oom(L);
    }
    L->g->n_metadata = v.len;
    L->g->metadata = names;
    return 0;
}

/* The bytes of Model.buffers[index]: inline data, or the offset/size pair of schema 3c. */
static int read_buffer(struct loader *L, uint32_t index, size_t tensor_pos, const uint8_t **data,
                       size_t *bytes)
{
    struct flatbuf_table t;
    struct flatbuf_vec v;
    uint64_t off, size;
    if (index >= L->buffers.len)
        return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: tensor refers to buffer %u, the "
                          "model has %zu", L->path, tensor_pos, index, L->buffers.len);
    int rc = flatbuf_vec_table(&L->fb, &L->buffers, index, &t, L->eb);
    if (rc == 0)
        rc = flatbuf_get_vector(&L->fb, &t, BUFFER_DATA, 1, &v, L->eb);
    if (rc == 0)
        rc = flatbuf_get_u64(&L->fb, &t, BUFFER_OFFSET, 0, &off, L->eb);
    if (rc == 0)
        rc = flatbuf_get_u64(&L->fb, &t, BUFFER_SIZE, 0, &size, L->eb);
    if (rc != 0)
        return rc;
    /* "only valid if > 1": the writer uses 1 as a placeholder before the data is placed. */
    if (off > 1) {
        if (off > L->fb.bytes || size > L->fb.bytes - off)
            return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: buffer %u claims %llu bytes "
                              "at offset %llu, past the end of the file (%zu bytes)", L->path,
                              t.pos, index, (unsigned long long)size, (unsigned long long)off,
                              L->fb.bytes);
        *data = L->fb.data + off;
        *bytes = (size_t)size;
        return 0;
    }
    *data = v.len > 0 ? L->fb.data + v.pos : NULL;
    *bytes = v.len;
    return 0;
}

static int read_quant(struct loader *L, struct tensor *t, const struct flatbuf_table *q)
{
    struct flatbuf_vec scale, zp;
    int32_t axis;
    uint8_t details;
    struct flatbuf_table dt;
    int rc = flatbuf_get_vector(&L->fb, q, QUANT_SCALE, 4, &scale, L->eb);
    if (rc == 0)
        rc = flatbuf_get_vector(&L->fb, q, QUANT_ZERO_POINT, 8, &zp, L->eb);
    if (rc == 0)
        rc = flatbuf_get_i32(&L->fb, q, QUANT_DIMENSION, 0, &axis, L->eb);
    if (rc == 0)
        rc = flatbuf_get_union(&L->fb, q, QUANT_DETAILS, &details, &dt, L->eb);
    if (rc == 0)
        rc = charge(L, scale.len + zp.len, q->pos);
    if (rc != 0)
        return rc;
    if (details != 0)
        rc = warn(L, "tensor '%s': custom quantization details are ignored", t->name);
    if (rc != 0 || scale.len == 0)
        return rc;
    if (zp.len != 0 && zp.len != scale.len)
        return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: tensor '%s' has %zu scales but %zu "
                          "zero points", L->path, q->pos, t->name, scale.len, zp.len);
    if (scale.len > 1 && (axis < 0 || axis >= t->rank ||
                          (t->dims[axis] >= 0 && (size_t)t->dims[axis] != scale.len)))
        return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: tensor '%s' has %zu scales along "
                          "dimension %d, which does not match its shape", L->path, q->pos,
                          t->name, scale.len, (int)axis);
    float *s = arena_array(&L->g->arena, scale.len, sizeof *s);
    int32_t *z = arena_array(&L->g->arena, scale.len, sizeof *z);
    if (s == NULL || z == NULL)
        return oom(L);
    for (size_t i = 0; i < scale.len; i++) {
        int64_t v = zp.len != 0 ? flatbuf_vec_i64(&L->fb, &zp, i) : 0;
        if (v < INT32_MIN || v > INT32_MAX)
            return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: tensor '%s': zero point %lld "
                              "does not fit in 32 bits", L->path, zp.pos + 8 * i, t->name,
                              (long long)v);
        s[i] = flatbuf_vec_f32(&L->fb, &scale, i);
        z[i] = (int32_t)v;
    }
    t->quant.n = scale.len;
    t->quant.axis = scale.len > 1 ? (int)axis : 0;
    t->quant.scale = s;
    t->quant.zero_point = z;
    return 0;
}

/*
 * A name not yet used in the graph: TFLite does not promise unique (or any) tensor names.
 * A clash gets the tensor index appended, which is unique unless the file itself uses such
 * names, so the loop almost never runs twice.
 */
static const char *unique_name(struct loader *L, const char *s, size_t len, size_t index)
{
    struct arena *a = &L->g->arena;
    const char *base = s != NULL && len > 0 ? arena_strndup(a, s, len)
                                            : arena_printf(a, "tensor_%zu", index);
    const char *name = base;
    for (unsigned k = 0; name != NULL && graph_find_tensor(L->g, name) >= 0; k++)
        name = k == 0 ? arena_printf(a, "%s#%zu", base, index)
                      : arena_printf(a, "%s#%zu.%u", base, index, k);
    return name;
}

static int read_tensor(struct loader *L, size_t index, const struct flatbuf_table *tt)
{
    struct flatbuf_vec shape, sig;
    int8_t type;
    uint32_t buffer;
    const char *s;
    size_t len;
    struct flatbuf_table q;
    bool has_quant;
    int rc = flatbuf_get_vector(&L->fb, tt, TENSOR_SHAPE, 4, &shape, L->eb);
    if (rc == 0)
        rc = flatbuf_get_vector(&L->fb, tt, TENSOR_SIGNATURE, 4, &sig, L->eb);
    if (rc == 0)
        rc = flatbuf_get_i8(&L->fb, tt, TENSOR_TYPE, 0, &type, L->eb);
    if (rc == 0)
        rc = flatbuf_get_u32(&L->fb, tt, TENSOR_BUFFER, 0, &buffer, L->eb);
    if (rc == 0)
        rc = flatbuf_get_string(&L->fb, tt, TENSOR_NAME, &s, &len, L->eb);
    if (rc == 0)
        rc = flatbuf_get_table(&L->fb, tt, TENSOR_QUANT, &q, &has_quant, L->eb);
    if (rc == 0)
        rc = charge(L, shape.len + sig.len, tt->pos);
    if (rc != 0)
        return rc;
    if (shape.len > GRAPH_MAX_RANK)
        return errbuf_set(L->eb, ST_EUNSUPPORTED, "%s: offset %zu: tensor %zu has rank %zu, "
                          "at most %d is supported", L->path, tt->pos, index, shape.len,
                          GRAPH_MAX_RANK);
    const char *name = unique_name(L, s, len, index);
    if (name == NULL)
        return oom(L);
    rc = graph_tensor(L->g, name, L->eb);
    if (rc < 0)
        return rc;
    struct tensor *t = &L->g->tensors[rc];
    t->dtype = dtype_of(type);
    t->rank = (int)shape.len;
    for (size_t d = 0; d < shape.len; d++) {
        int32_t v = flatbuf_vec_i32(&L->fb, &shape, d);
        if (v < -1)
            return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: tensor '%s' has dimension %zu "
                              "= %d", L->path, shape.pos + 4 * d, t->name, d, (int)v);
        t->dims[d] = v;
        /* shape holds the runtime size; shape_signature marks the dynamic ones with -1. */
        if (sig.len == shape.len && flatbuf_vec_i32(&L->fb, &sig, d) == -1)
            t->dim_param[d] = "dynamic";
    }
    if (has_quant) {
        rc = read_quant(L, t, &q);
        if (rc != 0)
            return rc;
    }
    const uint8_t *data = NULL;
    size_t bytes = 0, need;
    rc = read_buffer(L, buffer, tt->pos, &data, &bytes);
    if (rc != 0)
        return rc;
    if (bytes > 0) {
        size_t elems;
        size_t elem_bytes = dtype_bytes(t->dtype);
        if (elem_bytes != 0 && tensor_elems(t, &elems) && size_mul(elems, elem_bytes, &need)) {
            if (bytes < need)
                return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: tensor '%s' needs %zu "
                                  "bytes but its buffer %u holds %zu", L->path,
                                  (size_t)(data - L->fb.data), t->name, need, buffer, bytes);
            bytes = need;
        }
        t->data = data;
        t->data_bytes = bytes;
        t->flags |= TENSOR_CONST;
    }
    if (t->rank == 4 && t->data == NULL)
        t->layout = LAYOUT_NHWC;
    return 0;
}

/* Reads SubGraph.inputs or .outputs into an arena array of tensor indices. */
static int read_io(struct loader *L, const struct flatbuf_table *sg, unsigned field,
                   unsigned flag, size_t *n_out, const int **out)
{
    struct flatbuf_vec v;
    int rc = flatbuf_get_vector(&L->fb, sg, field, 4, &v, L->eb);
    if (rc == 0)
        rc = charge(L, v.len, v.pos);
    if (rc != 0)
        return rc;
    int *list = arena_array(&L->g->arena, v.len, sizeof *list);
    if (list == NULL)
        return oom(L);
    for (size_t i = 0; i < v.len; i++) {
        int32_t k = flatbuf_vec_i32(&L->fb, &v, i);
        if (k < 0 || (size_t)k >= L->n_file_tensors)
            return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: subgraph %s %zu is tensor %d, "
                              "the subgraph has %zu tensors", L->path, v.pos + 4 * i,
                              field == SG_INPUTS ? "input" : "output", i, (int)k,
                              L->n_file_tensors);
        list[i] = k;
        L->g->tensors[k].flags |= flag;
    }
    *n_out = v.len;
    *out = list;
    return 0;
}

/* Attributes of one node under construction. */
struct attrs {
    struct attr a[12];
    size_t n;
};

static struct attr *attr_new(struct attrs *as, const char *name, enum attr_type type)
{
    struct attr *a = &as->a[as->n++];
    memset(a, 0, sizeof *a);
    a->name = name;
    a->type = type;
    a->tensor = -1;
    return a;
}

static void attr_int(struct attrs *as, const char *name, int64_t v)
{
    attr_new(as, name, ATTR_INT)->i = v;
}

static void attr_str(struct attrs *as, const char *name, const char *s)
{
    struct attr *a = attr_new(as, name, ATTR_STRING);
    a->s = s;
    a->s_len = strlen(s);
}

/* Enum values as the schema spells them; unknown values as "UNKNOWN_<n>" (arena). */
static const char *enum_name(struct loader *L, const char *const *names, size_t n_names,
                             unsigned v)
{
    if (v < n_names)
        return names[v];
    return arena_printf(&L->g->arena, "UNKNOWN_%u", v);
}

static const char *const padding_names[] = {"SAME", "VALID"};
static const char *const activation_names[] = {"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH",
                                               "SIGN_BIT"};
static const char *const weights_format_names[] = {"DEFAULT", "SHUFFLED4x16INT8"};

/* Reader state for one options table: the first failure sticks, later reads are skipped. */
struct opt_reader {
    struct loader *L;
    const struct flatbuf_table *t;
    struct attrs *as;
    int rc;
};

static void opt_int(struct opt_reader *r, const char *name, unsigned id, int32_t dflt)
{
    int32_t v;
    if (r->rc == 0 && (r->rc = flatbuf_get_i32(&r->L->fb, r->t, id, dflt, &v, r->L->eb)) == 0)
        attr_int(r->as, name, v);
}

static void opt_bool(struct opt_reader *r, const char *name, unsigned id, bool dflt)
{
    bool v;
    if (r->rc == 0 && (r->rc = flatbuf_get_bool(&r->L->fb, r->t, id, dflt, &v, r->L->eb)) == 0)
        attr_int(r->as, name, v);
}

/* A byte-sized enum field as its schema name. */
static void opt_enum(struct opt_reader *r, const char *name, unsigned id,
                     const char *const *names, size_t n_names)
{
    uint8_t v;
    if (r->rc != 0 || (r->rc = flatbuf_get_u8(&r->L->fb, r->t, id, 0, &v, r->L->eb)) != 0)
        return;
    const char *s = enum_name(r->L, names, n_names, v);
    if (s == NULL)
        r->rc = oom(r->L);
    else
        attr_str(r->as, name, s);
}

static void opt_padding(struct opt_reader *r, unsigned id)
{
    opt_enum(r, "padding", id, padding_names, 2);
}

static void opt_activation(struct opt_reader *r, unsigned id)
{
    opt_enum(r, "fused_activation_function", id, activation_names, 6);
}

/* An [int] field as an ATTR_INTS attribute; absent gives none unless `always`. */
static void opt_ints(struct opt_reader *r, const char *name, unsigned id, bool always)
{
    struct flatbuf_vec v;
    if (r->rc != 0 || (r->rc = flatbuf_get_vector(&r->L->fb, r->t, id, 4, &v, r->L->eb)) != 0)
        return;
    if (!always && !flatbuf_has_field(&r->L->fb, r->t, id))
        return;
    if ((r->rc = charge(r->L, v.len, v.pos)) != 0)
        return;
    int64_t *ints = arena_array(&r->L->g->arena, v.len, sizeof *ints);
    if (ints == NULL) {
        r->rc = oom(r->L);
        return;
    }
    for (size_t i = 0; i < v.len; i++)
        ints[i] = flatbuf_vec_i32(&r->L->fb, &v, i);
    struct attr *a = attr_new(r->as, name, ATTR_INTS);
    a->n = v.len;
    a->ints = ints;
}

/* The union member each decoded op's builtin_options must be (0 = none expected). */
static int expected_options(int32_t code)
{
    switch (code) {
    case OP_CONV_2D: return OPT_CONV_2D;
    case OP_DEPTHWISE_CONV_2D: return OPT_DEPTHWISE_CONV_2D;
    case OP_AVERAGE_POOL_2D: case OP_MAX_POOL_2D: return OPT_POOL_2D;
    case OP_FULLY_CONNECTED: return OPT_FULLY_CONNECTED;
    case OP_SOFTMAX: return OPT_SOFTMAX;
    case OP_CONCATENATION: return OPT_CONCATENATION;
    case OP_ADD: return OPT_ADD;
    case OP_SUB: return OPT_SUB;
    case OP_MUL: return OPT_MUL;
    case OP_RESHAPE: return OPT_RESHAPE;
    case OP_PAD: return OPT_PAD;
    case OP_PADV2: return OPT_PADV2;
    case OP_TRANSPOSE: return OPT_TRANSPOSE;
    case OP_MEAN: return OPT_REDUCER;
    case OP_SQUEEZE: return OPT_SQUEEZE;
    case OP_STRIDED_SLICE: return OPT_STRIDED_SLICE;
    case OP_QUANTIZE: return OPT_QUANTIZE;
    case OP_DEQUANTIZE: return OPT_DEQUANTIZE;
    case OP_HARD_SWISH: return OPT_HARD_SWISH;
    default: return -1; /* not decoded: any options are ignored */
    }
}

/* Builtin options -> attributes named as the schema's fields, defaults included. */
static int decode_options(struct loader *L, int32_t code, const struct flatbuf_table *t,
                          struct attrs *as)
{
    struct opt_reader r = {L, t, as, 0};
    switch (code) {
    case OP_CONV_2D:
        opt_padding(&r, 0);
        opt_int(&r, "stride_w", 1, 0);
        opt_int(&r, "stride_h", 2, 0);
        opt_activation(&r, 3);
        opt_int(&r, "dilation_w_factor", 4, 1);
        opt_int(&r, "dilation_h_factor", 5, 1);
        break;
    case OP_DEPTHWISE_CONV_2D:
        opt_padding(&r, 0);
        opt_int(&r, "stride_w", 1, 0);
        opt_int(&r, "stride_h", 2, 0);
        opt_int(&r, "depth_multiplier", 3, 0);
        opt_activation(&r, 4);
        opt_int(&r, "dilation_w_factor", 5, 1);
        opt_int(&r, "dilation_h_factor", 6, 1);
        break;
    case OP_AVERAGE_POOL_2D:
    case OP_MAX_POOL_2D:
        opt_padding(&r, 0);
        opt_int(&r, "stride_w", 1, 0);
        opt_int(&r, "stride_h", 2, 0);
        opt_int(&r, "filter_width", 3, 0);
        opt_int(&r, "filter_height", 4, 0);
        opt_activation(&r, 5);
        break;
    case OP_FULLY_CONNECTED:
        opt_activation(&r, 0);
        opt_enum(&r, "weights_format", 1, weights_format_names, 2);
        opt_bool(&r, "keep_num_dims", 2, false);
        opt_bool(&r, "asymmetric_quantize_inputs", 3, false);
        break;
    case OP_SOFTMAX: {
        float beta;
        r.rc = flatbuf_get_f32(&L->fb, t, 0, 0.0f, &beta, L->eb);
        if (r.rc == 0)
            attr_new(as, "beta", ATTR_FLOAT)->f = beta;
        break;
    }
    case OP_CONCATENATION:
        opt_int(&r, "axis", 0, 0);
        opt_activation(&r, 1);
        break;
    case OP_ADD:
    case OP_SUB:
        opt_activation(&r, 0);
        opt_bool(&r, "pot_scale_int16", 1, true);
        break;
    case OP_MUL:
        opt_activation(&r, 0);
        break;
    case OP_RESHAPE:
        opt_ints(&r, "new_shape", 0, false);
        break;
    case OP_MEAN:
        opt_bool(&r, "keep_dims", 0, false);
        break;
    case OP_SQUEEZE:
        opt_ints(&r, "squeeze_dims", 0, true);
        break;
    case OP_STRIDED_SLICE:
        opt_int(&r, "begin_mask", 0, 0);
        opt_int(&r, "end_mask", 1, 0);
        opt_int(&r, "ellipsis_mask", 2, 0);
        opt_int(&r, "new_axis_mask", 3, 0);
        opt_int(&r, "shrink_axis_mask", 4, 0);
        opt_bool(&r, "offset", 5, false);
        break;
    default:
        break;
    }
    return r.rc;
}

/* Reads Operator.inputs or .outputs; -1 marks an omitted optional tensor. */
static int read_operands(struct loader *L, const struct flatbuf_table *op, unsigned field,
                         size_t op_index, int **out, size_t *n_out)
{
    struct flatbuf_vec v;
    int rc = flatbuf_get_vector(&L->fb, op, field, 4, &v, L->eb);
    if (rc == 0)
        rc = charge(L, v.len, v.pos);
    if (rc != 0)
        return rc;
    int *list = mem_alloc((v.len + 1) * sizeof *list);
    if (list == NULL)
        return oom(L);
    for (size_t i = 0; i < v.len; i++) {
        int32_t k = flatbuf_vec_i32(&L->fb, &v, i);
        if (k < -1 || (k >= 0 && (size_t)k >= L->n_file_tensors)) {
            mem_free(list);
            return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: operator %zu %s %zu is tensor "
                              "%d, the subgraph has %zu tensors", L->path, v.pos + 4 * i,
                              op_index, field == OP_INPUTS ? "input" : "output", i, (int)k,
                              L->n_file_tensors);
        }
        list[i] = k;
    }
    *out = list;
    *n_out = v.len;
    return 0;
}

static int read_operator(struct loader *L, size_t index, const struct flatbuf_table *op)
{
    uint32_t opcode;
    uint8_t opt_type = 0;
    struct flatbuf_table opt = empty_table;
    struct attrs as = {.n = 0};
    struct node spec;
    int *inputs = NULL, *outputs = NULL;
    size_t n_inputs = 0, n_outputs = 0;

    int rc = flatbuf_get_u32(&L->fb, op, OP_OPCODE_INDEX, 0, &opcode, L->eb);
    if (rc != 0)
        return rc;
    if (opcode >= L->n_codes)
        return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: operator %zu uses operator code %u, "
                          "the model has %zu", L->path, op->pos, index, opcode, L->n_codes);
    const struct opcode *oc = &L->codes[opcode];
    rc = flatbuf_get_union(&L->fb, op, OP_BUILTIN_OPTIONS, &opt_type, &opt, L->eb);
    if (rc != 0)
        return rc;
    int want = expected_options(oc->builtin);
    if (want >= 0 && opt_type != 0 && opt_type != want)
        return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: operator %zu (%s) has builtin "
                          "options of type %u, expected %d", L->path, op->pos, index, oc->name,
                          opt_type, want);
    rc = decode_options(L, oc->builtin, opt_type != 0 ? &opt : &empty_table, &as);
    if (rc == 0)
        rc = read_operands(L, op, OP_INPUTS, index, &inputs, &n_inputs);
    if (rc == 0)
        rc = read_operands(L, op, OP_OUTPUTS, index, &outputs, &n_outputs);
    if (rc != 0)
        goto out;
    if (oc->custom || tflite_builtin_name(oc->builtin) == NULL) {
        rc = oc->custom ? warn(L, "operator %zu: custom operator '%s' is not interpreted",
                               index, oc->name)
                        : warn(L, "operator %zu: unknown builtin operator code %d", index,
                               (int)oc->builtin);
        if (rc != 0)
            goto out;
    }
    memset(&spec, 0, sizeof spec);
    spec.op = oc->name;
    spec.domain = "tflite";
    spec.n_inputs = n_inputs;
    spec.inputs = inputs;
    spec.n_outputs = n_outputs;
    spec.outputs = outputs;
    spec.n_attrs = as.n;
    spec.attrs = as.a;
    /* TFLite operators have no names; the first output's name is what converters and TVM
       spans use to refer to an operator. */
    spec.name = n_outputs > 0 && outputs[0] >= 0
                    ? L->g->tensors[outputs[0]].name
                    : arena_printf(&L->g->arena, "op_%zu", index);
    if (spec.name == NULL) {
        rc = oom(L);
        goto out;
    }
    rc = graph_add_node(L->g, &spec, L->eb);
    if (rc > 0)
        rc = 0;
out:
    mem_free(inputs);
    mem_free(outputs);
    return rc < 0 ? rc : 0;
}

static int apply_shapes(struct loader *L, const struct load_options *opts)
{
    struct graph *g = L->g;
    for (size_t i = 0; opts != NULL && i < opts->n_shapes; i++) {
        const struct shape_override *so = &opts->shapes[i];
        int idx = -1;
        if (so->name == NULL) {
            if (g->n_inputs != 1)
                return errbuf_set(L->eb, ST_EINVAL, "%s: the model has %zu inputs; name the one "
                                  "to reshape", L->path, g->n_inputs);
            idx = g->inputs[0];
        } else {
            for (size_t k = 0; k < g->n_inputs; k++)
                if (strcmp(g->tensors[g->inputs[k]].name, so->name) == 0)
                    idx = g->inputs[k];
            if (idx < 0)
                return errbuf_set(L->eb, ST_EINVAL, "%s: the model has no input named '%s'",
                                  L->path, so->name);
        }
        struct tensor *t = &g->tensors[idx];
        if (so->rank < 0 || so->rank > GRAPH_MAX_RANK)
            return errbuf_set(L->eb, ST_EINVAL, "%s: input '%s': rank %d is not supported",
                              L->path, t->name, so->rank);
        t->rank = so->rank;
        for (int d = 0; d < GRAPH_MAX_RANK; d++) {
            t->dims[d] = d < so->rank ? so->dims[d] : 0;
            t->dim_param[d] = NULL;
        }
        t->layout = t->rank == 4 ? LAYOUT_NHWC : LAYOUT_ANY;
    }
    return 0;
}

/* Graph inputs exclude constants (a TFLite input with a buffer would be one). */
static int set_io(struct loader *L, const struct flatbuf_table *sg)
{
    struct graph *g = L->g;
    size_t n_in;
    const int *in;
    int rc = read_io(L, sg, SG_INPUTS, TENSOR_INPUT, &n_in, &in);
    if (rc == 0)
        rc = read_io(L, sg, SG_OUTPUTS, TENSOR_OUTPUT, &g->n_outputs, &g->outputs);
    if (rc != 0)
        return rc;
    int *keep = (int *)in;
    size_t n = 0;
    for (size_t i = 0; i < n_in; i++) {
        struct tensor *t = &g->tensors[in[i]];
        if (t->flags & TENSOR_CONST)
            t->flags &= ~(unsigned)TENSOR_INPUT;
        else
            keep[n++] = in[i];
    }
    g->n_inputs = n;
    g->inputs = keep;
    return 0;
}

/* Multiply-accumulates of one operator (0 where not meaningful or not computable). */
static int64_t op_macs(const struct graph *g, const struct node *nd)
{
    const char *op = nd->op;
    size_t out, k = 0, m;
    if (nd->n_outputs < 1 || nd->outputs[0] < 0 || nd->n_inputs < 2 || nd->inputs[1] < 0)
        return 0;
    const struct tensor *w = &g->tensors[nd->inputs[1]];
    if (!tensor_elems(&g->tensors[nd->outputs[0]], &out))
        return 0;
    if (strcmp(op, "CONV_2D") == 0 && w->rank == 4 && w->dims[1] > 0 && w->dims[2] > 0 &&
        w->dims[3] > 0) {
        /* filter [Cout, KH, KW, Cin / groups] */
        if (!size_mul((size_t)w->dims[1], (size_t)w->dims[2], &k) ||
            !size_mul(k, (size_t)w->dims[3], &k))
            return 0;
    } else if (strcmp(op, "DEPTHWISE_CONV_2D") == 0 && w->rank == 4 && w->dims[1] > 0 &&
               w->dims[2] > 0) {
        /* filter [1, KH, KW, Cout]: one input channel per output element */
        if (!size_mul((size_t)w->dims[1], (size_t)w->dims[2], &k))
            return 0;
    } else if (strcmp(op, "FULLY_CONNECTED") == 0 && w->rank == 2 && w->dims[1] > 0) {
        /* weights [units, accum_depth] */
        k = (size_t)w->dims[1];
    } else {
        return 0;
    }
    if (!size_mul(out, k, &m) || m > (size_t)INT64_MAX)
        return 0;
    return (int64_t)m;
}

/* One LAYER_TFLITE layer per operator, in the (topological) node order. */
static int form_layers(struct loader *L)
{
    struct graph *g = L->g;
    struct layer *layers = arena_array(&g->arena, g->n_nodes, sizeof *layers);
    if (layers == NULL)
        return oom(L);
    for (size_t i = 0; i < g->n_nodes; i++) {
        struct node *nd = &g->nodes[i];
        struct layer *ly = &layers[i];
        int *nodes = arena_array(&g->arena, 1, sizeof *nodes);
        int *ins = arena_array(&g->arena, nd->n_inputs, sizeof *ins);
        int *outs = arena_array(&g->arena, nd->n_outputs, sizeof *outs);
        if (nodes == NULL || ins == NULL || outs == NULL)
            return oom(L);
        size_t n_in = 0, n_out = 0;
        /* Activations first, then constants (graph.h). */
        for (int pass = 0; pass < 2; pass++)
            for (size_t k = 0; k < nd->n_inputs; k++) {
                int t = nd->inputs[k];
                if (t >= 0 && ((g->tensors[t].flags & TENSOR_CONST) != 0) == (pass == 1))
                    ins[n_in++] = t;
            }
        for (size_t k = 0; k < nd->n_outputs; k++)
            if (nd->outputs[k] >= 0)
                outs[n_out++] = nd->outputs[k];
        nodes[0] = (int)i;
        memset(ly, 0, sizeof *ly);
        ly->name = n_out > 0 ? g->tensors[outs[0]].name : nd->name;
        ly->op = nd->op;
        ly->kind = LAYER_TFLITE;
        ly->main_node = (int)i;
        ly->n_nodes = 1;
        ly->nodes = nodes;
        ly->n_inputs = n_in;
        ly->inputs = ins;
        ly->n_outputs = n_out;
        ly->outputs = outs;
        ly->macs = op_macs(g, nd);
        nd->layer = (int)i;
    }
    g->layers = layers;
    g->n_layers = g->n_nodes;
    return 0;
}

static int load_model(struct loader *L, const struct load_options *opts)
{
    struct graph *g = L->g;
    struct flatbuf_table model, sg;
    struct flatbuf_vec subgraphs, tensors, operators;
    uint32_t version;
    const char *s;
    size_t len;
    int rc;

    if (L->fb.bytes < 8)
        return errbuf_set(L->eb, ST_EPARSE, "%s: offset 0: file is %zu bytes, too short for a "
                          "TFLite model", L->path, L->fb.bytes);
    if (!flatbuf_has_identifier(&L->fb, "TFL3")) {
        char id[5];
        for (int i = 0; i < 4; i++) {
            unsigned char c = L->fb.data[4 + i];
            id[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
        id[4] = 0;
        return errbuf_set(L->eb, ST_EPARSE, "%s: offset 4: file identifier is '%s', expected "
                          "'TFL3'", L->path, id);
    }
    rc = flatbuf_root(&L->fb, &model, L->eb);
    if (rc == 0)
        rc = flatbuf_get_u32(&L->fb, &model, MODEL_VERSION, 0, &version, L->eb);
    if (rc != 0)
        return rc;
    if (version != 3)
        return errbuf_set(L->eb, ST_EUNSUPPORTED, "%s: offset %zu: schema version %u, expected 3",
                          L->path, model.pos, version);
    g->ir_version = version;
    rc = flatbuf_get_string(&L->fb, &model, MODEL_DESCRIPTION, &s, &len, L->eb);
    if (rc != 0)
        return rc;
    g->producer = s != NULL ? arena_strndup(&g->arena, s, len) : "";
    if (g->producer == NULL)
        return oom(L);
    rc = read_metadata(L, &model);
    if (rc == 0)
        rc = read_opcodes(L, &model);
    if (rc == 0)
        rc = flatbuf_get_vector(&L->fb, &model, MODEL_BUFFERS, 4, &L->buffers, L->eb);
    if (rc == 0)
        rc = flatbuf_get_vector(&L->fb, &model, MODEL_SUBGRAPHS, 4, &subgraphs, L->eb);
    if (rc != 0)
        return rc;
    if (subgraphs.len == 0)
        return errbuf_set(L->eb, ST_EPARSE, "%s: offset %zu: the model has no subgraph", L->path,
                          model.pos);
    if (subgraphs.len > 1) {
        rc = warn(L, "the model has %zu subgraphs; only subgraph 0 is loaded", subgraphs.len);
        if (rc != 0)
            return rc;
    }
    rc = flatbuf_vec_table(&L->fb, &subgraphs, 0, &sg, L->eb);
    if (rc == 0)
        rc = flatbuf_get_vector(&L->fb, &sg, SG_TENSORS, 4, &tensors, L->eb);
    if (rc == 0)
        rc = flatbuf_get_vector(&L->fb, &sg, SG_OPERATORS, 4, &operators, L->eb);
    if (rc == 0)
        rc = charge(L, tensors.len + operators.len, sg.pos);
    if (rc != 0)
        return rc;
    L->n_file_tensors = tensors.len;
    for (size_t i = 0; i < tensors.len; i++) {
        struct flatbuf_table tt;
        rc = flatbuf_vec_table(&L->fb, &tensors, i, &tt, L->eb);
        if (rc == 0)
            rc = read_tensor(L, i, &tt);
        if (rc != 0)
            return rc;
    }
    rc = set_io(L, &sg);
    if (rc == 0)
        rc = apply_shapes(L, opts);
    for (size_t i = 0; rc == 0 && i < operators.len; i++) {
        struct flatbuf_table op;
        rc = flatbuf_vec_table(&L->fb, &operators, i, &op, L->eb);
        if (rc == 0)
            rc = read_operator(L, i, &op);
    }
    if (rc == 0)
        rc = graph_finish(g, L->eb);
    if (rc == 0)
        rc = form_layers(L);
    if (rc == 0 && L->n_warnings > 0) {
        g->warnings = arena_memdup(&g->arena, L->warnings, L->n_warnings * sizeof(char *));
        if (g->warnings == NULL)
            return oom(L);
        g->n_warnings = L->n_warnings;
    }
    return rc;
}

/* Loads from a graph whose file is already open; on failure the graph is released. */
static int load_into(struct graph *out, struct graph *g, const struct load_options *opts,
                     struct errbuf *eb)
{
    struct loader L;
    memset(&L, 0, sizeof L);
    L.g = g;
    L.path = g->path;
    L.eb = eb;
    flatbuf_init(&L.fb, g->file.data, g->file.bytes, g->path);
    /* Generous for real models (a few elements per 4 bytes), bounded for hostile ones. */
    L.budget = g->file.bytes * 2 + 4096;
    g->format = GRAPH_FORMAT_TFLITE;
    int rc = load_model(&L, opts);
    mem_free(L.codes);
    mem_free(L.warnings);
    if (rc != 0) {
        graph_release(g);
        return rc;
    }
    *out = *g;
    return 0;
}

int tflite_load(struct graph *g, const char *path, const struct load_options *opts,
                struct errbuf *eb)
{
    struct graph tmp;
    graph_init(&tmp);
    tmp.path = arena_strdup(&tmp.arena, path);
    if (tmp.path == NULL) {
        graph_release(&tmp);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    int rc = filebuf_open(&tmp.file, path, eb);
    if (rc != 0) {
        graph_release(&tmp);
        return rc;
    }
    return load_into(g, &tmp, opts, eb);
}

int tflite_load_buffer(struct graph *g, const uint8_t *data, size_t bytes, const char *name,
                       const struct load_options *opts, struct errbuf *eb)
{
    struct graph tmp;
    graph_init(&tmp);
    tmp.path = arena_strdup(&tmp.arena, name);
    uint8_t *copy = mem_alloc(bytes + 1);
    if (tmp.path == NULL || copy == NULL) {
        mem_free(copy);
        graph_release(&tmp);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    if (bytes > 0)
        memcpy(copy, data, bytes);
    filebuf_adopt(&tmp.file, copy, bytes);
    return load_into(g, &tmp, opts, eb);
}
