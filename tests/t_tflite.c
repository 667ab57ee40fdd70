/*
 * TFLite loader and flatbuffer reader tests. Expected values come from the fixture README
 * (tests/data/models/README.md, read from the MLPerf Tiny flatbuffers) and from the models'
 * published architectures (MLPerf Tiny training scripts), never from our own earlier output.
 */
#include "test.h"

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
