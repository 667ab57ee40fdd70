/*
 * TFLite loader and flatbuffer reader tests. Expected values come from the fixture README
 * (tests/data/models/README.md, read from the MLPerf Tiny flatbuffers) and from the models'
 * published architectures (MLPerf Tiny training scripts), never from our own earlier output.
 */
#include "test.h"

#include <cjson/cJSON.h>

#include "../src/flatbuf.h"
#include "../src/graph.h"
#include "../src/mem.h"
#include "../src/sbuf.h"
#include "../src/tflite.h"

#define MODELS "tests/data/models/"

struct op_count {
    const char *op;
    int n;
};

/* Number of nodes with op `op`. */
static int count_op(const struct graph *g, const char *op)
{
    int n = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        n += strcmp(g->nodes[i].op, op) == 0;
    return n;
}

static void check_io(struct test_ctx *t_, const struct graph *g, int idx, const char *name,
                     const int64_t *dims, int rank, double scale, int zp)
{
    const struct tensor *t = &g->tensors[idx];
    CHECK_EQ_STR(t->name, name);
    CHECK_EQ_INT(t->dtype, DTYPE_S8);
    CHECK_EQ_INT(t->rank, rank);
    for (int d = 0; d < rank && d < t->rank; d++)
        CHECK_EQ_INT(t->dims[d], dims[d]);
    CHECK_EQ_INT(t->quant.n, 1);
    if (t->quant.n == 1) {
        CHECK_NEAR(t->quant.scale[0], scale, 5e-8);
        CHECK_EQ_INT(t->quant.zero_point[0], zp);
    }
}

/* Loads a fixture and checks what the README lists for it. */
static void check_model(struct test_ctx *t_, const char *file, const struct op_count *ops,
                        size_t n_ops, int n_nodes, const char *in_name, const int64_t *in_dims,
                        int in_rank, double in_scale, int in_zp, const char *out_name,
                        const int64_t *out_dims, int out_rank, double out_scale, int out_zp)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    int rc = tflite_load(&g, file, NULL, &eb);
    if (rc != 0)
        test_fail(t_, __FILE__, __LINE__, "%s: %s", file, eb.msg);
    REQUIRE(rc == 0);
    CHECK_EQ_INT(g.format, GRAPH_FORMAT_TFLITE);
    CHECK_EQ_INT(g.ir_version, 3);
    CHECK_EQ_STR(g.producer, "MLIR Converted.");
    CHECK_EQ_INT(g.n_nodes, n_nodes);
    CHECK_EQ_INT(g.n_layers, n_nodes);
    CHECK_EQ_INT(g.n_warnings, 0);
    for (size_t i = 0; i < n_ops; i++) {
        int got = count_op(&g, ops[i].op);
        if (got != ops[i].n)
            test_fail(t_, __FILE__, __LINE__, "%s: %s x%d, want x%d", file, ops[i].op, got,
                      ops[i].n);
    }
    for (size_t i = 0; i < g.n_nodes; i++) {
        CHECK_EQ_STR(g.nodes[i].domain, "tflite");
        CHECK_EQ_INT(g.nodes[i].layer, (int)i);
        CHECK_EQ_INT(g.layers[i].kind, LAYER_TFLITE);
        CHECK_EQ_INT(g.layers[i].main_node, (int)i);
    }
    REQUIRE(g.n_inputs == 1 && g.n_outputs == 1);
    check_io(t_, &g, g.inputs[0], in_name, in_dims, in_rank, in_scale, in_zp);
    check_io(t_, &g, g.outputs[0], out_name, out_dims, out_rank, out_scale, out_zp);
    graph_release(&g);
}

TEST(tflite, vww_loads)
{
    static const struct op_count ops[] = {{"CONV_2D", 14}, {"DEPTHWISE_CONV_2D", 13},
                                          {"AVERAGE_POOL_2D", 1}, {"RESHAPE", 1},
                                          {"FULLY_CONNECTED", 1}, {"SOFTMAX", 1}};
    static const int64_t in[] = {1, 96, 96, 3}, out[] = {1, 2};
    check_model(t_, MODELS "vww_96_int8.tflite", ops, 6, 31, "input_1_int8", in, 4,
                0.003921569, -128, "Identity_int8", out, 2, 0.00390625, -128);
}

TEST(tflite, resnet_loads)
{
    static const struct op_count ops[] = {{"CONV_2D", 9}, {"ADD", 3}, {"AVERAGE_POOL_2D", 1},
                                          {"RESHAPE", 1}, {"FULLY_CONNECTED", 1},
                                          {"SOFTMAX", 1}, {"QUANTIZE", 0}, {"DEQUANTIZE", 0}};
    static const int64_t in[] = {1, 32, 32, 3}, out[] = {1, 10};
    check_model(t_, MODELS "pretrainedResnet_quant.tflite", ops, 8, 16, "input_1_int8", in, 4,
                1.0, -128, "Identity_int8", out, 2, 0.00390625, -128);
}

TEST(tflite, kws_loads)
{
    static const struct op_count ops[] = {{"CONV_2D", 5}, {"DEPTHWISE_CONV_2D", 4},
                                          {"AVERAGE_POOL_2D", 1}, {"RESHAPE", 1},
                                          {"FULLY_CONNECTED", 1}, {"SOFTMAX", 1}};
    static const int64_t in[] = {1, 49, 10, 1}, out[] = {1, 12};
    check_model(t_, MODELS "kws_ref_model.tflite", ops, 6, 13, "input_1", in, 4, 0.5847029, 83,
                "Identity", out, 2, 0.00390625, -128);
}

TEST(tflite, ad01_loads)
{
    static const struct op_count ops[] = {{"FULLY_CONNECTED", 10}};
    static const int64_t in[] = {1, 640}, out[] = {1, 640};
    check_model(t_, MODELS "ad01_int8.tflite", ops, 1, 10, "input_1", in, 2, 0.3910152, 89,
                "Identity", out, 2, 0.3644985, 96);
}

/* The attribute named `name` of node i, or fails the test. */
static const struct attr *attr_of(struct test_ctx *t_, const struct graph *g, size_t i,
                                  const char *name)
{
    const struct attr *a = node_attr(&g->nodes[i], name);
    if (a == NULL)
        test_fail(t_, __FILE__, __LINE__, "node %zu (%s) has no attribute %s", i,
                  g->nodes[i].op, name);
    return a;
}

/*
 * KWS DS-CNN (MLPerf Tiny keyword_spotting/keras_model.py): the first layer is Conv2D with 64
 * filters of 10x4, strides (2, 2), padding 'same', then BatchNorm + ReLU (fused), followed by
 * 3x3 depthwise convolutions with stride 1 and padding 'same'.
 */
TEST(tflite, kws_first_layers)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(tflite_load(&g, MODELS "kws_ref_model.tflite", NULL, &eb) == 0);
    REQUIRE(g.n_nodes == 13);
    const struct node *conv = &g.nodes[0], *dw = &g.nodes[1];
    CHECK_EQ_STR(conv->op, "CONV_2D");
    CHECK_EQ_STR(node_attr_string(conv, "padding", ""), "SAME");
    CHECK_EQ_INT(node_attr_int(conv, "stride_w", -1), 2);
    CHECK_EQ_INT(node_attr_int(conv, "stride_h", -1), 2);
    CHECK_EQ_INT(node_attr_int(conv, "dilation_w_factor", -1), 1);
    CHECK_EQ_STR(node_attr_string(conv, "fused_activation_function", ""), "RELU");
    REQUIRE(conv->n_inputs == 3);
    const struct tensor *w = &g.tensors[conv->inputs[1]];
    static const int64_t wdims[] = {64, 10, 4, 1};
    CHECK_EQ_INT(w->rank, 4);
    for (int d = 0; d < 4; d++)
        CHECK_EQ_INT(w->dims[d], wdims[d]);
    CHECK(w->flags & TENSOR_CONST);
    CHECK_EQ_INT(w->data_bytes, 64 * 10 * 4);
    /* int8 weights are quantized per output channel along dimension 0 */
    CHECK_EQ_INT(w->quant.n, 64);
    CHECK_EQ_INT(w->quant.axis, 0);
    CHECK(w->data >= (const void *)g.file.data &&
          (const uint8_t *)w->data + w->data_bytes <= g.file.data + g.file.bytes);
    CHECK_EQ_INT(g.tensors[conv->inputs[2]].dtype, DTYPE_S32);
    CHECK_EQ_INT(g.tensors[conv->outputs[0]].layout, LAYOUT_NHWC);
    /* 49x10 input, SAME with stride 2: 25x5 outputs, each 10*4*1 MACs per channel */
    CHECK_EQ_INT(g.layers[0].macs, 25 * 5 * 64 * 10 * 4);
    CHECK_EQ_INT(g.layers[0].n_inputs, 3);
    CHECK_EQ_INT(g.layers[0].inputs[0], g.inputs[0]);
    CHECK_EQ_STR(g.layers[0].op, "CONV_2D");
    CHECK_EQ_STR(dw->op, "DEPTHWISE_CONV_2D");
    CHECK_EQ_STR(attr_of(t_, &g, 1, "padding")->s, "SAME");
    CHECK_EQ_INT(attr_of(t_, &g, 1, "stride_w")->i, 1);
    CHECK_EQ_INT(attr_of(t_, &g, 1, "depth_multiplier")->i, 1);
    CHECK_EQ_INT(g.layers[1].macs, 25 * 5 * 64 * 3 * 3);
    const struct node *sm = &g.nodes[12];
    CHECK_EQ_STR(sm->op, "SOFTMAX");
    CHECK_NEAR(node_attr_float(sm, "beta", 0), 1.0, 0);
    CHECK_EQ_INT(g.n_metadata, 1);
    graph_release(&g);
}

/*
 * AD01 (DCASE 2020 baseline autoencoder): Dense 640->128, 3x 128->128, 128->8, 8->128,
 * 3x 128->128, 128->640, all with ReLU except the last.
 */
TEST(tflite, ad01_fully_connected_macs)
{
    static const int64_t macs[10] = {640 * 128, 128 * 128, 128 * 128, 128 * 128, 128 * 8,
                                     8 * 128,   128 * 128, 128 * 128, 128 * 128, 128 * 640};
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(tflite_load(&g, MODELS "ad01_int8.tflite", NULL, &eb) == 0);
    REQUIRE(g.n_layers == 10);
    for (size_t i = 0; i < 10; i++) {
        CHECK_EQ_INT(g.layers[i].macs, macs[i]);
        CHECK_EQ_STR(node_attr_string(&g.nodes[i], "fused_activation_function", ""),
                     i < 9 ? "RELU" : "NONE");
        CHECK_EQ_STR(node_attr_string(&g.nodes[i], "weights_format", ""), "DEFAULT");
        CHECK_EQ_INT(node_attr_int(&g.nodes[i], "keep_num_dims", -1), 0);
    }
    graph_release(&g);
}

/* Loads a bad file through the API; the message must name the file and an offset. */
static void check_bad(struct test_ctx *t_, const char *file, const char *want)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    int rc = tflite_load(&g, file, NULL, &eb);
    CHECK_EQ_INT(rc, ST_EPARSE);
    CHECK_EQ_INT(g.n_nodes, 0);
    CHECK(g.file.data == NULL);
    if (strstr(eb.msg, file) != eb.msg || strstr(eb.msg, ": offset ") == NULL ||
        strstr(eb.msg, want) == NULL)
        test_fail(t_, __FILE__, __LINE__, "%s: message \"%s\" lacks the file, an offset or \"%s\"",
                  file, eb.msg, want);
    graph_release(&g);
}

#define BAD "tests/data/bad-tflite/"

TEST(tflite, bad_files_fail_with_offset)
{
    check_bad(t_, BAD "truncated.tflite", "outside the file");
    check_bad(t_, BAD "bad-identifier.tflite", "offset 4: file identifier is 'TFL2'");
    check_bad(t_, BAD "root-outside.tflite", "offset 0: root table offset");
    check_bad(t_, BAD "vtable-outside.tflite", "vtable");
    check_bad(t_, BAD "vector-past-end.tflite", "runs past the end");
    check_bad(t_, BAD "short-buffer.tflite", "needs 48 bytes but its buffer");
    check_bad(t_, BAD "external-past-end.tflite", "past the end of the file");
}

TEST(tflite, unknown_opcode_is_reported)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(tflite_load(&g, BAD "unknown-opcode.tflite", NULL, &eb) == 0);
    CHECK_EQ_INT(g.n_nodes, 16);
    CHECK_EQ_INT(count_op(&g, "UNKNOWN_250"), 1);
    CHECK_EQ_INT(count_op(&g, "SOFTMAX"), 0);
    REQUIRE(g.n_warnings == 1);
    CHECK(strstr(g.warnings[0], "unknown builtin operator code 250") != NULL);
    graph_release(&g);
}

TEST(tflite, builtin_names)
{
    CHECK_EQ_STR(tflite_builtin_name(0), "ADD");
    CHECK_EQ_STR(tflite_builtin_name(3), "CONV_2D");
    CHECK_EQ_STR(tflite_builtin_name(60), "PADV2");
    CHECK_EQ_STR(tflite_builtin_name(114), "QUANTIZE");
    CHECK_EQ_STR(tflite_builtin_name(117), "HARD_SWISH");
    CHECK_EQ_STR(tflite_builtin_name(127), "PLACEHOLDER_FOR_GREATER_OP_CODES");
    CHECK_EQ_STR(tflite_builtin_name(207), "COMPLEX");
    CHECK(tflite_builtin_name(208) == NULL);
    CHECK(tflite_builtin_name(-1) == NULL);
}

TEST(tflite, load_buffer_matches_file)
{
    size_t n = 0;
    unsigned char *data = test_read_file(MODELS "kws_ref_model.tflite", &n);
    REQUIRE(data != NULL);
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    int rc = tflite_load_buffer(&g, data, n, "kws-in-memory", NULL, &eb);
    mem_free(data);
    REQUIRE(rc == 0);
    CHECK_EQ_STR(g.path, "kws-in-memory");
    CHECK_EQ_INT(g.n_nodes, 13);
    /* constant data points into the graph's own copy */
    const struct tensor *w = &g.tensors[g.nodes[0].inputs[1]];
    CHECK((const uint8_t *)w->data >= g.file.data &&
          (const uint8_t *)w->data < g.file.data + g.file.bytes);
    graph_release(&g);
}

TEST(tflite, input_shape_override)
{
    struct shape_override so = {NULL, 4, {2, 49, 10, 1}};
    struct load_options opts = {1, &so};
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(tflite_load(&g, MODELS "kws_ref_model.tflite", &opts, &eb) == 0);
    CHECK_EQ_INT(g.tensors[g.inputs[0]].dims[0], 2);
    graph_release(&g);
    so.name = "no_such_input";
    errbuf_init(&eb);
    graph_init(&g);
    CHECK_EQ_INT(tflite_load(&g, MODELS "kws_ref_model.tflite", &opts, &eb), ST_EINVAL);
    CHECK(strstr(eb.msg, "no_such_input") != NULL);
    graph_release(&g);
}

/* Every allocation failing in turn: ST_ENOMEM, nothing leaked (ASan), g untouched. */
TEST(tflite, allocation_failures)
{
    for (long k = 0;; k++) {
        struct graph g;
        struct errbuf eb;
        errbuf_init(&eb);
        graph_init(&g);
        mem_fail_after(k);
        int rc = tflite_load(&g, MODELS "kws_ref_model.tflite", NULL, &eb);
        mem_fail_after(-1);
        if (rc == 0) {
            CHECK_EQ_INT(g.n_nodes, 13);
            graph_release(&g);
            break;
        }
        CHECK_EQ_INT(rc, ST_ENOMEM);
        CHECK_EQ_INT(g.n_nodes, 0);
        CHECK(g.tensors == NULL && g.file.data == NULL);
        graph_release(&g);
        if (k > 5000) {
            test_fail(t_, __FILE__, __LINE__, "no success after %ld allocations", k);
            break;
        }
    }
}

/* ---- flatbuf on hand-made buffers ---- */

static void put16(uint8_t *b, size_t at, unsigned v)
{
    b[at] = (uint8_t)v;
    b[at + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[at + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/*
 * A root table at 16 with fields: 0 = int32 7 (at +4), 1 = string "hi" (uoffset at +8),
 * 2 = [int32] {5, 6} (uoffset at +12); field 3 absent. vtable at 4.
 */
static size_t make_small(uint8_t *b)
{
    memset(b, 0, 64);
    put32(b, 0, 16);
    put16(b, 4, 10);     /* vtable bytes: 4 + 3 slots */
    put16(b, 6, 16);     /* table bytes */
    put16(b, 8, 4);
    put16(b, 10, 8);
    put16(b, 12, 12);
    put32(b, 16, 12);    /* soffset: vtable at 16 - 12 = 4 */
    put32(b, 20, 7);
    put32(b, 24, 32 - 24);
    put32(b, 28, 40 - 28);
    put32(b, 32, 2);
    memcpy(b + 36, "hi", 3);
    put32(b, 40, 2);
    put32(b, 44, 5);
    put32(b, 48, 6);
    return 52;
}

TEST(flatbuf, reads_fields_and_defaults)
{
    uint8_t b[64];
    size_t n = make_small(b);
    struct flatbuf fb;
    struct flatbuf_table root;
    struct flatbuf_vec v;
    struct errbuf eb;
    int32_t i32;
    const char *s;
    size_t len;
    errbuf_init(&eb);
    flatbuf_init(&fb, b, n, "small");
    REQUIRE(flatbuf_root(&fb, &root, &eb) == 0);
    CHECK(flatbuf_get_i32(&fb, &root, 0, -1, &i32, &eb) == 0 && i32 == 7);
    CHECK(flatbuf_get_i32(&fb, &root, 3, -1, &i32, &eb) == 0 && i32 == -1);
    CHECK(flatbuf_get_i32(&fb, &root, 200, 42, &i32, &eb) == 0 && i32 == 42);
    REQUIRE(flatbuf_get_string(&fb, &root, 1, &s, &len, &eb) == 0);
    CHECK(s != NULL && len == 2 && strcmp(s, "hi") == 0);
    REQUIRE(flatbuf_get_vector(&fb, &root, 2, 4, &v, &eb) == 0);
    CHECK_EQ_INT(v.len, 2);
    CHECK_EQ_INT(flatbuf_vec_i32(&fb, &v, 1), 6);
    CHECK(flatbuf_get_vector(&fb, &root, 3, 4, &v, &eb) == 0 && v.len == 0);
    CHECK(!flatbuf_has_field(&fb, &root, 3));
    CHECK_EQ_INT(eb.code, 0);
}

/* Each corruption of the small buffer must fail with the given text in the message. */
static void check_corrupt(struct test_ctx *t_, const uint8_t *b, size_t n, int field,
                          const char *want)
{
    struct flatbuf fb;
    struct flatbuf_table root;
    struct flatbuf_vec v;
    struct errbuf eb;
    const char *s;
    size_t len;
    int32_t i32;
    errbuf_init(&eb);
    flatbuf_init(&fb, b, n, "small");
    int rc = flatbuf_root(&fb, &root, &eb);
    if (rc == 0 && field == 0)
        rc = flatbuf_get_i32(&fb, &root, 0, 0, &i32, &eb);
    if (rc == 0 && field == 1)
        rc = flatbuf_get_string(&fb, &root, 1, &s, &len, &eb);
    if (rc == 0 && field == 2)
        rc = flatbuf_get_vector(&fb, &root, 2, 4, &v, &eb);
    CHECK_EQ_INT(rc, ST_EPARSE);
    if (strstr(eb.msg, "small: offset ") != eb.msg || strstr(eb.msg, want) == NULL)
        test_fail(t_, __FILE__, __LINE__, "message \"%s\", want \"%s\"", eb.msg, want);
}

TEST(flatbuf, rejects_corruption)
{
    uint8_t b[64];
    size_t n = make_small(b);
    check_corrupt(t_, b, 7, -1, "too short");
    put32(b, 0, 64);
    check_corrupt(t_, b, n, -1, "root table offset 64");
    make_small(b);
    put32(b, 16, 13);       /* vtable at 3: odd */
    check_corrupt(t_, b, n, -1, "not 2-byte aligned");
    make_small(b);
    put32(b, 16, (uint32_t)-100);   /* vtable at 116 */
    check_corrupt(t_, b, n, -1, "vtable of the table points outside");
    make_small(b);
    put16(b, 4, 9);         /* odd vtable size */
    check_corrupt(t_, b, n, -1, "vtable size 9");
    make_small(b);
    put16(b, 6, 100);       /* table larger than the file */
    check_corrupt(t_, b, n, -1, "table size 100");
    make_small(b);
    put16(b, 8, 14);        /* field 0 at +14: past the 16-byte table */
    check_corrupt(t_, b, n, 0, "lies outside its table");
    make_small(b);
    put16(b, 8, 6);         /* field 0 at +6: misaligned int32 */
    check_corrupt(t_, b, n, 0, "not 4-byte aligned");
    make_small(b);
    b[38] = 'x';            /* string without its NUL */
    check_corrupt(t_, b, n, 1, "not NUL-terminated");
    make_small(b);
    put32(b, 24, 1000);     /* string offset past the end */
    check_corrupt(t_, b, n, 1, "points outside the file");
    make_small(b);
    put32(b, 40, 0x40000001);   /* vector length * 4 overflows 32 bits */
    check_corrupt(t_, b, n, 2, "runs past the end");
    make_small(b);
    put32(b, 40, 3);        /* one element too many */
    check_corrupt(t_, b, n, 2, "runs past the end");
}

TEST(flatbuf, nesting_limit)
{
    /* A chain of 80 tables, each with one field (index 0) pointing to the next. */
    enum { N = 80 };
    static uint8_t b[16 + 8 * N];
    memset(b, 0, sizeof b);
    put32(b, 0, 16);
    put16(b, 8, 6);
    put16(b, 10, 8);
    put16(b, 12, 4);
    for (size_t i = 0; i < N; i++) {
        size_t pos = 16 + 8 * i;
        put32(b, pos, (uint32_t)(pos - 8));
        put32(b, pos + 4, i + 1 < N ? 4 : 0);
    }
    struct flatbuf fb;
    struct flatbuf_table t;
    struct errbuf eb;
    errbuf_init(&eb);
    flatbuf_init(&fb, b, sizeof b, "deep");
    REQUIRE(flatbuf_root(&fb, &t, &eb) == 0);
    int depth = 0, rc = 0;
    while (depth < N) {
        struct flatbuf_table next;
        bool present;
        rc = flatbuf_get_table(&fb, &t, 0, &next, &present, &eb);
        if (rc != 0)
            break;
        t = next;
        depth++;
    }
    CHECK_EQ_INT(rc, ST_EPARSE);
    CHECK_EQ_INT(depth, FLATBUF_MAX_DEPTH);
    CHECK(strstr(eb.msg, "nested deeper than") != NULL);
}

/*
 * Constant data must be the model's own bytes: TVM copied these weights verbatim into the
 * KWS CMSIS-NN build (fixtures/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws/codegen/host/src/
 * default_lib1.c): constant_6[576] is the first depthwise filter, constant_54[768] the
 * fully connected weights. The first 12 values of each are copied here.
 */
TEST(tflite, kws_weights_match_mlf_constants)
{
    static const int8_t dw[12] = {42, 1, -63, -42, 35, -45, -9, -63, 127, -127, -30, -51};
    static const int8_t fc[12] = {-80, -38, -39, 43, 6, 5, -15, 35, -6, 40, -71, 66};
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(tflite_load(&g, MODELS "kws_ref_model.tflite", NULL, &eb) == 0);
    REQUIRE(g.n_nodes == 13);
    const struct tensor *w1 = &g.tensors[g.nodes[1].inputs[1]];
    const struct tensor *w11 = &g.tensors[g.nodes[11].inputs[1]];
    REQUIRE(w1->data != NULL && w11->data != NULL);
    CHECK_EQ_INT(w1->data_bytes, 576);
    CHECK_EQ_INT(w11->data_bytes, 768);
    CHECK_MEM(w1->data, dw, sizeof dw);
    CHECK_MEM(w11->data, fc, sizeof fc);
    graph_release(&g);
}

/*
 * The synthetic model (scripts/gen-synth-tflite.py) covers what the MLPerf Tiny models do
 * not: custom operators, more builtin options, schema 3c external buffers, odd names.
 */
TEST(tflite, synthetic_model)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    int rc = tflite_load(&g, "tests/data/tflite-synth/synth.tflite", NULL, &eb);
    if (rc != 0)
        test_fail(t_, __FILE__, __LINE__, "%s", eb.msg);
    REQUIRE(rc == 0);
    CHECK_EQ_STR(g.producer, "mlfscope synthetic");
    REQUIRE(g.n_metadata == 1);
    CHECK_EQ_STR(g.metadata[0], "min_runtime_version");
    REQUIRE(g.n_nodes == 8 && g.n_tensors == 15);
    static const char *const ops[8] = {"PAD", "MyCustomOp", "STRIDED_SLICE", "SQUEEZE", "MEAN",
                                       "RESHAPE", "FULLY_CONNECTED", "CONCATENATION"};
    for (size_t i = 0; i < 8; i++)
        CHECK_EQ_STR(g.nodes[i].op, ops[i]);
    REQUIRE(g.n_warnings == 1);
    CHECK(strstr(g.warnings[0], "custom operator 'MyCustomOp'") != NULL);

    /* Buffer.offset/size: int32 pads {0, 1, 1, 0} stored after the flatbuffer */
    static const int32_t pads[4] = {0, 1, 1, 0};
    const struct tensor *p = &g.tensors[g.nodes[0].inputs[1]];
    CHECK_EQ_STR(p->name, "pads");
    REQUIRE(p->data != NULL && p->data_bytes == 16);
    CHECK_MEM(p->data, pads, 16);
    CHECK((const uint8_t *)p->data + 16 == g.file.data + g.file.bytes);

    const struct node *ss = &g.nodes[2];
    CHECK_EQ_INT(node_attr_int(ss, "begin_mask", -1), 1);
    CHECK_EQ_INT(node_attr_int(ss, "end_mask", -1), 2);
    CHECK_EQ_INT(node_attr_int(ss, "ellipsis_mask", -1), 0);
    CHECK_EQ_INT(node_attr_int(ss, "new_axis_mask", -1), 0);
    CHECK_EQ_INT(node_attr_int(ss, "shrink_axis_mask", -1), 1);
    CHECK_EQ_INT(node_attr_int(ss, "offset", -1), 1);
    const struct attr *sq = node_attr(&g.nodes[3], "squeeze_dims");
    REQUIRE(sq != NULL && sq->type == ATTR_INTS && sq->n == 1);
    CHECK_EQ_INT(sq->ints[0], 0);
    CHECK_EQ_INT(node_attr_int(&g.nodes[4], "keep_dims", -1), 1);
    const struct attr *ns = node_attr(&g.nodes[5], "new_shape");
    REQUIRE(ns != NULL && ns->type == ATTR_INTS && ns->n == 1);
    CHECK_EQ_INT(ns->ints[0], 1);
    const struct node *fc = &g.nodes[6];
    CHECK_EQ_STR(node_attr_string(fc, "fused_activation_function", ""), "RELU6");
    CHECK_EQ_INT(node_attr_int(fc, "keep_num_dims", -1), 1);
    REQUIRE(fc->n_inputs == 3);
    CHECK_EQ_INT(fc->inputs[2], -1);
    CHECK_EQ_INT(g.layers[6].macs, 2 * 4);
    CHECK_EQ_INT(g.layers[6].n_inputs, 2);
    const struct node *cc = &g.nodes[7];
    CHECK_EQ_INT(node_attr_int(cc, "axis", 0), -1);
    CHECK_EQ_STR(node_attr_string(cc, "fused_activation_function", ""), "RELU");

    /* names: the duplicate "mean" and the unnamed weights get unique names */
    CHECK_EQ_STR(g.tensors[10].name, "mean");
    CHECK(strcmp(g.tensors[11].name, "mean") != 0);
    CHECK_EQ_INT(g.tensors[10].rank, 0);
    const struct tensor *w = &g.tensors[12];
    CHECK(w->name != NULL && w->name[0] != 0);
    CHECK_EQ_INT(w->quant.n, 2);
    CHECK_EQ_INT(w->quant.axis, 0);
    CHECK_NEAR(w->quant.scale[1], 0.25, 0);
    CHECK_EQ_INT(g.tensors[0].quant.zero_point[0], -3);
    CHECK_EQ_INT(g.n_inputs, 1);
    CHECK_EQ_INT(g.n_outputs, 1);
    graph_release(&g);
}

/* A model without operators loads as a graph without nodes (found by fuzzing). */
TEST(tflite, no_operators)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(tflite_load(&g, "tests/data/tflite-synth/no-operators.tflite", NULL, &eb) == 0);
    CHECK_EQ_INT(g.n_nodes, 0);
    CHECK_EQ_INT(g.n_layers, 0);
    CHECK_EQ_INT(g.n_tensors, 1);
    CHECK_EQ_INT(g.n_inputs, 1);
    CHECK_EQ_STR(g.producer, "");
    graph_release(&g);
}

/* ---- through the command line (model_load dispatches on "TFL3") ---- */

/* `info FILE` must exit 2 with one line "mlfscope: error: FILE: offset N: ...". */
static void check_cli_bad(struct test_ctx *t_, const char *file, const char *want)
{
    struct sbuf out, err;
    char args[256], prefix[256];
    sbuf_init(&out);
    sbuf_init(&err);
    snprintf(args, sizeof args, "info %s", file);
    snprintf(prefix, sizeof prefix, "mlfscope: error: %s: offset ", file);
    int code = test_cli(args, &out, &err);
    const char *e = sbuf_str(&err);
    CHECK_EQ_INT(code, 2);
    CHECK_EQ_STR(sbuf_str(&out), "");
    if (strncmp(e, prefix, strlen(prefix)) != 0 || strstr(e, want) == NULL ||
        strchr(e, '\n') != e + strlen(e) - 1)
        test_fail(t_, __FILE__, __LINE__, "%s: stderr \"%s\"", file, e);
    sbuf_release(&out);
    sbuf_release(&err);
}

TEST(tflite, cli_bad_files)
{
    check_cli_bad(t_, BAD "truncated.tflite", "outside the file");
    check_cli_bad(t_, BAD "bad-identifier.tflite", "offset 4: file identifier is 'TFL2'");
    check_cli_bad(t_, BAD "root-outside.tflite", "root table offset");
    check_cli_bad(t_, BAD "vtable-outside.tflite", "vtable");
    check_cli_bad(t_, BAD "vector-past-end.tflite", "runs past the end");
    check_cli_bad(t_, BAD "short-buffer.tflite", "needs 48 bytes but its buffer");
    check_cli_bad(t_, BAD "external-past-end.tflite", "past the end of the file");
}

TEST(tflite, cli_unknown_opcode_continues)
{
    struct sbuf out;
    sbuf_init(&out);
    CHECK_EQ_INT(test_cli("info " BAD "unknown-opcode.tflite", &out, NULL), 0);
    const char *o = sbuf_str(&out);
    CHECK(strstr(o, "UNKNOWN_250 1") != NULL);
    CHECK(strstr(o, "warning: operator 15: unknown builtin operator code 250") != NULL);
    CHECK(strstr(o, "CONV_2D 9") != NULL);
    sbuf_release(&out);
}

/* `info --json` on every fixture: format, schema version, description and the README's ops. */
static void check_cli_json(struct test_ctx *t_, const char *file, const struct op_count *ops,
                           size_t n_ops, int n_nodes)
{
    struct sbuf out;
    char args[256];
    sbuf_init(&out);
    snprintf(args, sizeof args, "info %s --json", file);
    CHECK_EQ_INT(test_cli(args, &out, NULL), 0);
    cJSON *root = cJSON_Parse(sbuf_str(&out));
    sbuf_release(&out);
    REQUIRE(root != NULL);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(root, "format")), "tflite");
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(root, "ir_version")), 3);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(root, "producer")), "MLIR Converted.");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(root, "quantization")), "tflite-int8");
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(root, "nodes")), n_nodes);
    const cJSON *jops = cJSON_GetObjectItem(root, "ops");
    CHECK_EQ_INT(cJSON_GetArraySize(jops), (int)n_ops);
    for (size_t i = 0; i < n_ops; i++) {
        const cJSON *n = cJSON_GetObjectItem(jops, ops[i].op);
        if (n == NULL || cJSON_GetNumberValue(n) != ops[i].n)
            test_fail(t_, __FILE__, __LINE__, "%s: ops.%s is not %d", file, ops[i].op,
                      ops[i].n);
    }
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(root, "warnings")), 0);
    cJSON_Delete(root);
}

TEST(tflite, cli_info_json)
{
    static const struct op_count vww[] = {{"CONV_2D", 14}, {"DEPTHWISE_CONV_2D", 13},
                                          {"AVERAGE_POOL_2D", 1}, {"RESHAPE", 1},
                                          {"FULLY_CONNECTED", 1}, {"SOFTMAX", 1}};
    static const struct op_count ic[] = {{"CONV_2D", 9}, {"ADD", 3}, {"AVERAGE_POOL_2D", 1},
                                         {"RESHAPE", 1}, {"FULLY_CONNECTED", 1},
                                         {"SOFTMAX", 1}};
    static const struct op_count kws[] = {{"CONV_2D", 5}, {"DEPTHWISE_CONV_2D", 4},
                                          {"AVERAGE_POOL_2D", 1}, {"RESHAPE", 1},
                                          {"FULLY_CONNECTED", 1}, {"SOFTMAX", 1}};
    static const struct op_count ad[] = {{"FULLY_CONNECTED", 10}};
    check_cli_json(t_, MODELS "vww_96_int8.tflite", vww, 6, 31);
    check_cli_json(t_, MODELS "pretrainedResnet_quant.tflite", ic, 6, 16);
    check_cli_json(t_, MODELS "kws_ref_model.tflite", kws, 6, 13);
    check_cli_json(t_, MODELS "ad01_int8.tflite", ad, 1, 10);
}
