/*
 * The MLF reader: TVM Model Library Format from a .tar, .tar.gz/.tgz, a folder or a bare
 * codegen/ tree, never extracted. Reads metadata.json (v5 flat, v7 nested, later versions
 * best-effort), scans the generated C (AOT main call sequence, pools, constant pool with
 * decoded values, operator functions, CMSIS-NN kernel parameters), the Relay text, the
 * graph-executor JSON and parameters/NAME.params.
 * Lifetime: everything reachable from a struct mlf (strings, arrays, decoded constant data)
 * lives in its arena and is valid until mlf_release(). Indices (-1 = none) link the arrays.
 */
#ifndef MLFSCOPE_MLF_H
#define MLFSCOPE_MLF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "errbuf.h"
#include "fileio.h"

/* X(enum, C type name, relay/metadata name, bytes) */
#define MLF_DTYPE_LIST(X)                          \
    X(MLF_DT_UNKNOWN, "?", "unknown", 0)           \
    X(MLF_DT_S8, "int8_t", "int8", 1)              \
    X(MLF_DT_U8, "uint8_t", "uint8", 1)            \
    X(MLF_DT_S16, "int16_t", "int16", 2)           \
    X(MLF_DT_U16, "uint16_t", "uint16", 2)         \
    X(MLF_DT_S32, "int32_t", "int32", 4)           \
    X(MLF_DT_U32, "uint32_t", "uint32", 4)         \
    X(MLF_DT_S64, "int64_t", "int64", 8)           \
    X(MLF_DT_U64, "uint64_t", "uint64", 8)         \
    X(MLF_DT_F32, "float", "float32", 4)           \
    X(MLF_DT_F64, "double", "float64", 8)

enum mlf_dtype {
#define MLF_DT_ENUM(e, c, n, b) e,
    MLF_DTYPE_LIST(MLF_DT_ENUM)
#undef MLF_DT_ENUM
    MLF_DT_COUNT
};

const char *mlf_dtype_name(enum mlf_dtype t);   /* "int8", "float32"; "unknown" */
size_t mlf_dtype_bytes(enum mlf_dtype t);       /* 0 for unknown */
enum mlf_dtype mlf_dtype_from_c(const char *c_type, size_t len);   /* "int8_t" -> S8 */
enum mlf_dtype mlf_dtype_from_name(const char *name);              /* "int8" -> S8 */

/* What a file holds: a bit set (the 2021 AOT lib0 holds entry, main, constants and ops). */
enum mlf_file_role {
    MLF_ROLE_METADATA = 1 << 0,    /* metadata.json */
    MLF_ROLE_HEADER = 1 << 1,      /* codegen/host/include/tvmgen_<mod>.h */
    MLF_ROLE_ENTRY = 1 << 2,       /* the tvmgen_<mod>_run wrapper */
    MLF_ROLE_MAIN = 1 << 3,        /* the AOT main (__tvm_main__ or run_model) */
    MLF_ROLE_CONSTANTS = 1 << 4,   /* the constant pool struct or static weight arrays */
    MLF_ROLE_WORKSPACE = 1 << 5,   /* the global_workspace array */
    MLF_ROLE_HOST_OPS = 1 << 6,    /* TVM C operator functions (fused_*) */
    MLF_ROLE_BYOC_OPS = 1 << 7,    /* BYOC functions (cmsis_nn_main_N, esp_main_N, ...) */
    MLF_ROLE_REGISTRY = 1 << 8,    /* graph executor: the packed function registry */
    MLF_ROLE_RELAY = 1 << 9,
    MLF_ROLE_PARAMS = 1 << 10,
    MLF_ROLE_GRAPH = 1 << 11,      /* executor-config/graph JSON */
};

/* One file of the MLF, path relative to the MLF root ("codegen/host/src/default_lib1.c"). */
struct mlf_file {
    const char *path;
    unsigned roles;            /* enum mlf_file_role bits */
    const uint8_t *data;       /* file bytes, valid until mlf_release */
    size_t bytes;
    const char *tvm_target;    /* text after "// tvm target: " on line 1, or NULL */
    struct filebuf fb;         /* owner of data (mmap or heap) */
};

enum mlf_executor { MLF_EXEC_UNKNOWN, MLF_EXEC_AOT, MLF_EXEC_GRAPH };
enum mlf_interface { MLF_IFACE_UNPACKED, MLF_IFACE_PACKED };

/* A memory pool: the USMP workspace/constant pools, or the TVMBackendAllocWorkspace arena. */
struct mlf_pool {
    const char *name;          /* "global_workspace", "global_const_workspace" */
    bool is_const;             /* the constant pool (struct) rather than a workspace array */
    size_t bytes;              /* declared size: global_workspace[N] or "of total size N" */
    unsigned alignment;        /* aligned(A) on the declaration; 0 when none */
    const char *file;          /* where declared */
    unsigned line;
};

/* A constant: a field of the USMP constant pool or a `static const` weight array. */
struct mlf_constant {
    const char *name;          /* "constant_0_let", "fused_constant_3_let", "__tvm_param__p0" */
    enum mlf_dtype dtype;
    size_t count;              /* elements as declared */
    size_t bytes;              /* count * element bytes */
    int pool;                  /* index into mlf.pools, or -1 for a static array */
    size_t offset;             /* bytes from the pool start ("aligned offset:" comment) */
    unsigned alignment;        /* aligned(A) of the field or array */
    const void *data;          /* count values in host byte order (int8_t[], int32_t[], float[]...),
                                  NULL when the C has no initialiser */
    const char *file;
    unsigned line;             /* of the declaration */
};

enum mlf_arg_kind {
    MLF_ARG_UNKNOWN,
    MLF_ARG_INPUT,             /* a model input (main's parameter) */
    MLF_ARG_OUTPUT,            /* a model output */
    MLF_ARG_CONST,             /* constant pool at `offset` (a *_let binding) */
    MLF_ARG_WORKSPACE,         /* workspace pool at `offset` */
    MLF_ARG_ALLOC,             /* a TVMBackendAllocWorkspace buffer of `bytes` */
    MLF_ARG_WEIGHT,            /* a named static const array (`constant` set) */
    MLF_ARG_POOL,              /* a whole pool pointer (global_workspace_1_var) */
    MLF_ARG_LITERAL,           /* an integer literal (`value`) */
};

/* "input", "const", ... as used in JSON and tables; "unknown" for out-of-range values. */
const char *mlf_arg_kind_name(enum mlf_arg_kind k);

struct mlf_arg {
    enum mlf_arg_kind kind;
    const char *text;          /* the argument as written, casts included */
    const char *var;           /* the identifier it names (casts, & stripped), or NULL */
    int io;                    /* INPUT/OUTPUT: index into main.inputs / main.outputs */
    int pool;                  /* CONST/WORKSPACE/POOL: index into mlf.pools, -1 unknown */
    size_t offset;             /* CONST/WORKSPACE: bytes from the pool start */
    size_t bytes;              /* ALLOC: allocation size; CONST/WEIGHT: constant bytes; else 0 */
    int constant;              /* CONST/WEIGHT: index into mlf.constants, -1 none */
    int64_t value;             /* LITERAL */
};

/* One call in the AOT main (or one tvm_op node of a graph executor), in execution order. */
struct mlf_step {
    size_t index;              /* 0-based position */
    const char *function;      /* callee name */
    int func;                  /* index into mlf.functions, -1 when not defined in the C */
    struct mlf_arg *args;
    size_t n_args;
    const char *file;          /* where the call is (NULL for graph-executor steps) */
    unsigned line;             /* 1-based line of the call */
    size_t stmt_begin;         /* byte offsets in file: the whole statement */
    size_t stmt_end;           /*   ("if (f(...) != 0 ) return -1;"), end exclusive */
    size_t call_begin;         /* the call expression f(...) itself, end exclusive */
    size_t call_end;
};

struct mlf_param {
    const char *type;          /* "int8_t*", "uint8_t*" */
    const char *name;          /* NULL for an unnamed prototype parameter */
};

/* A `void* X_let = (&(POOL_VAR[OFF]));` binding (in main or inside a function). */
struct mlf_let {
    const char *name;
    const char *pool_var;      /* "global_const_workspace_0_var" */
    int pool;                  /* index into mlf.pools, -1 unknown */
    size_t offset;
    int constant;              /* constant field at that offset of a const pool, else -1 */
    unsigned line;
};

/* A TVMBackendAllocWorkspace in main or a function. */
struct mlf_alloc {
    const char *name;
    size_t bytes;
    unsigned line;
};

enum mlf_kernel_kind {
    MLF_K_OTHER, MLF_K_CONV, MLF_K_DWCONV, MLF_K_FC, MLF_K_AVGPOOL, MLF_K_MAXPOOL,
    MLF_K_SOFTMAX, MLF_K_ADD, MLF_K_MUL,
};

struct mlf_dims { int32_t n, h, w, c; bool set; };      /* cmsis_nn_dims {n,h,w,c} */
struct mlf_tile { int32_t w, h; bool set; };            /* cmsis_nn_tile {w,h} */

/* Pointer arguments of a kernel, tied back to the enclosing function's parameters. */
enum mlf_kptr { MLF_KP_INPUT, MLF_KP_INPUT2, MLF_KP_FILTER, MLF_KP_BIAS, MLF_KP_MULT,
                MLF_KP_SHIFT, MLF_KP_OUTPUT, MLF_KP_COUNT };

/* One CMSIS-NN call with every literal it receives. Unset fields are 0 / !set. */
struct mlf_kernel {
    const char *name;          /* "arm_convolve_wrapper_s8" */
    enum mlf_kernel_kind kind;
    bool s16;                  /* an _s16 variant */
    unsigned line;
    struct mlf_dims input, filter, bias, output;
    struct mlf_tile stride, padding, dilation;
    int32_t input_offset, filter_offset, output_offset;   /* conv/dw/fc params */
    int32_t ch_mult;           /* depthwise */
    int32_t act_min, act_max;
    bool per_channel;          /* cmsis_nn_per_channel_quant_params */
    int32_t mult, shift;       /* per-tensor quant params, or softmax/mul/out scalars */
    /* elementwise add/mul: arm_elementwise_add_s8 scalar arguments in call order */
    int32_t in1_offset, in1_mult, in1_shift, in2_offset, in2_mult, in2_shift, left_shift;
    int32_t out_offset, out_mult, out_shift, block_size;
    /* softmax: arm_softmax_s8(in, num_rows, row_size, mult, shift, diff_min, out) */
    int32_t num_rows, row_size, diff_min;
    /* context buffer */
    bool ctx_null;             /* {NULL,0} */
    int ctx_pool;              /* workspace pool of the context buffer, -1 when not in a pool */
    size_t ctx_offset;         /* bytes into that pool */
    size_t ctx_bytes;          /* the size the context struct declares */
    bool ctx_alloc;            /* from TVMBackendAllocWorkspace */
    int ptr_param[MLF_KP_COUNT];   /* function parameter index per pointer, -1 none */
    int64_t *scalars;          /* every integer-literal argument of the call, in order */
    size_t n_scalars;
};

/* A function defined (or only declared) in the generated C. */
struct mlf_function {
    const char *name;
    const char *target;        /* "c", "cmsis_nn", "esp", "ethos_u", other BYOC name */
    const char *file;
    unsigned line;             /* of the name */
    size_t body_begin;         /* byte offsets of '{' and just after '}' in file; 0 if no body */
    size_t body_end;
    bool defined;
    bool packed;               /* graph-executor packed signature (args, arg_type_ids, ...) */
    struct mlf_param *params;
    size_t n_params;
    struct mlf_kernel *kernels;
    size_t n_kernels;
    struct mlf_let *lets;      /* pool bindings inside the body */
    size_t n_lets;
    struct mlf_alloc *allocs;
    size_t n_allocs;
    const char **uses;         /* named static const arrays referenced in the body */
    size_t n_uses;
    long long meta_workspace_bytes;   /* from metadata operator_functions, -1 absent */
    int partition;             /* the Relay partition with this global symbol, -1 none */
};

struct mlf_io {
    const char *name;          /* name in the C (main parameter / struct member) */
    const char *meta_name;     /* name in metadata.json (v7), or NULL */
    enum mlf_dtype dtype;      /* from main's parameter type or metadata; UNKNOWN otherwise */
    long long bytes;           /* from metadata (v7), -1 unknown */
};

/* The AOT entry function. */
struct mlf_main {
    const char *name;          /* "tvmgen_default___tvm_main__" or "tvmgen_default_run_model" */
    const char *file;
    unsigned line;
    size_t body_begin, body_end;
    struct mlf_param *params;
    size_t n_params;
    struct mlf_io *inputs;
    size_t n_inputs;
    struct mlf_io *outputs;
    size_t n_outputs;
    struct mlf_let *lets;
    size_t n_lets;
    struct mlf_alloc *allocs;
    size_t n_allocs;
};

struct mlf_meta_opfn { const char *name; long long workspace_bytes; };
struct mlf_meta_sid { long long storage_id, bytes; const char *input_binding; };
struct mlf_meta_dep { const char *short_name, *url, *url_type, *version_spec; };

struct mlf_meta {
    int version;               /* 5, 7, ...; 0 when there is no metadata.json */
    const char *module;        /* model_name */
    const char *style, *export_datetime;
    const char **executors;
    size_t n_executors;
    const char **targets;      /* v7 list, v5 object values */
    const char **target_devices;   /* v5 object keys ("1"); NULL entries in v7 */
    size_t n_targets;
    long long constants_bytes, io_bytes, workspace_bytes;   /* main[0], -1 absent */
    struct mlf_io *inputs;     /* v7 memory.functions.main[0].inputs */
    size_t n_inputs;
    struct mlf_io *outputs;
    size_t n_outputs;
    struct mlf_meta_opfn *opfns;
    size_t n_opfns;
    struct mlf_meta_sid *sids;
    size_t n_sids;
    struct mlf_meta_dep *deps;
    size_t n_deps;
};

/* Relay text. */
struct mlf_relay_op {
    const char *op;            /* "qnn.conv2d", or "@tvmgen_default_cmsis_nn_main_0" */
    const char *span;          /* source tensor name from span=NAME:0:0, or NULL */
    const char *type;          /* text after ty= (e.g. "Tensor[(1, 10), int8]"), or NULL */
    int composite;             /* index into the partition's composites, -1 none */
    unsigned line;
};

struct mlf_composite { const char *name; const char *pattern; };

struct mlf_partition {
    const char *name;          /* global function name without '@' ("main") */
    const char *compiler;      /* Compiler="cmsis-nn", or NULL */
    const char *global_symbol;
    struct mlf_composite *composites;
    size_t n_composites;
    struct mlf_relay_op *ops;
    size_t n_ops;
    unsigned line;
};

/* One array of parameters/NAME.params. */
struct mlf_ndarray {
    const char *name;
    uint8_t type_code;         /* DLDataType code: 0 int, 1 uint, 2 float */
    uint8_t bits;
    uint16_t lanes;
    enum mlf_dtype dtype;
    int ndim;
    int64_t shape[8];
    const uint8_t *data;       /* little-endian bytes, points into the file */
    size_t bytes;
};

struct mlf_priv;

struct mlf {
    struct arena arena;
    const char *path;          /* as given to mlf_open */
    struct mlf_file *files;    /* heap array; the files the reader uses */
    size_t n_files;
    struct mlf_meta meta;
    const char *module;        /* "default" */
    enum mlf_executor executor;
    enum mlf_interface interface;
    bool usmp;                 /* constants/workspace in pools rather than allocations */
    bool legacy_run_model;     /* 2021 AOT layout (tvmgen_<mod>_run_model) */
    bool has_main;
    struct mlf_main main;
    struct mlf_step *steps;
    size_t n_steps;
    struct mlf_function *functions;
    size_t n_functions;
    struct mlf_constant *constants;
    size_t n_constants;
    struct mlf_pool *pools;
    size_t n_pools;
    long long header_workspace_bytes;   /* TVMGEN_<MOD>_WORKSPACE_SIZE, -1 absent */
    struct mlf_partition *partitions;
    size_t n_partitions;
    struct mlf_ndarray *params;
    size_t n_params;
    const char **warnings;     /* one line each, no final period */
    size_t n_warnings;
    struct mlf_priv *priv;     /* growth state of the heap arrays above, private to src/mlf* */
};

/*
 * Opens the MLF at `path` (folder, .tar, .tar.gz, .tgz, or a bare codegen/ folder) and reads
 * everything. On success m owns it all (release with mlf_release). On failure returns a
 * negative ST_* with a one-line message naming the file and line/offset; m is left empty
 * (safe to mlf_release).
 */
int mlf_open(struct mlf *m, const char *path, struct errbuf *eb);

/* Makes an empty mlf for the parser entry points below (mlf_open does it itself). */
void mlf_init(struct mlf *m);

/* Frees everything m owns; m is empty afterwards. */
void mlf_release(struct mlf *m);

/*
 * The constant a kernel pointer (filter, bias, multiplier, shift) refers to for this step:
 * the kernel's function parameter -> the step's argument -> the pool binding -> the pool
 * field or weight array. NULL when it is not a constant or cannot be resolved.
 */
const struct mlf_constant *mlf_step_kernel_const(const struct mlf *m, const struct mlf_step *s,
                                                 const struct mlf_kernel *k, enum mlf_kptr which);

/* The file with this relative path, or NULL. */
const struct mlf_file *mlf_find_file(const struct mlf *m, const char *rel_path);

/*
 * Parser entry points, also used by the fuzz targets. Each reads one buffer (name is the
 * file name used in messages) into m's arena and arrays; m must come from mlf_init or an
 * earlier call. Failure: negative ST_* and a message with file and line/offset.
 */
int mlf_parse_c(struct mlf *m, const char *name, const char *src, size_t len, struct errbuf *eb);
int mlf_parse_metadata(struct mlf *m, const char *name, const char *src, size_t len,
                       struct errbuf *eb);
int mlf_parse_relay(struct mlf *m, const char *name, const char *src, size_t len,
                    struct errbuf *eb);
int mlf_parse_params(struct mlf *m, const char *name, const uint8_t *data, size_t len,
                     struct errbuf *eb);
int mlf_parse_graph_json(struct mlf *m, const char *name, const char *src, size_t len,
                         struct errbuf *eb);

/*
 * Resolves what the parsers recorded: step arguments to pools/constants/I/O, functions'
 * targets and metadata workspace sizes, and the consistency warnings. mlf_open calls it;
 * fuzz targets call it after a parser.
 */
int mlf_link(struct mlf *m, struct errbuf *eb);

#endif
