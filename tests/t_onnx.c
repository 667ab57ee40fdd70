/*
 * Tests of the ONNX loader, shape propagation, layer forming and `info`: every ONNX backend
 * node test and real model in tests/data loads; shapes propagated from the inputs equal the
 * backend tests' expected outputs; counts for real models equal what onnx.load reports;
 * malformed files give exit 2 and a one-line error; allocation failures are clean.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "test.h"

#include "../src/errbuf.h"
#include "../src/fileio.h"
#include "../src/graph.h"
#include "../src/layers.h"
#include "../src/mem.h"
#include "../src/model.h"
#include "../src/onnx.h"
#include "../src/sbuf.h"

#define NODE_DIR "tests/data/onnx-node"
#define MODEL_DIR "tests/data/onnx-models"
#define RESNET8 MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/model.onnx"
#define SHUFFLENET MODEL_DIR "/shufflenet-v2-12-int8-qop/model.onnx"

/* Forgets every computed shape and dtype, then propagates again from inputs and constants. */
static int reinfer(struct graph *g, struct errbuf *eb)
{
    for (size_t i = 0; i < g->n_tensors; i++) {
        struct tensor *t = &g->tensors[i];
        if (t->flags & (TENSOR_INPUT | TENSOR_CONST))
            continue;
        t->rank = -1;
        t->dtype = DTYPE_UNKNOWN;
    }
    return onnx_shape_infer(g, eb);
}

/* Compares tensor t with a TensorProto file: dtype and dims. Returns true when equal. */
static bool same_as_pb(struct test_ctx *t_, const char *test, const struct tensor *t,
                       const char *pb_path)
{
    struct tensor_value v;
    struct errbuf eb;
    errbuf_init(&eb);
    if (onnx_read_tensor_pb(pb_path, &v, &eb) != 0) {
        test_fail(t_, __FILE__, __LINE__, "%s: %s", test, eb.msg);
        return false;
    }
    bool ok = v.dtype == t->dtype && v.rank == t->rank;
    for (int d = 0; ok && d < v.rank; d++)
        ok = v.dims[d] == t->dims[d];
    if (!ok) {
        char shape[128];
        test_fail(t_, __FILE__, __LINE__, "%s: tensor '%s': got %s %s, %s has %s rank %d "
                  "dim0 %lld", test, t->name, dtype_name(t->dtype),
                  tensor_shape_str(t, shape, sizeof shape), pb_path, dtype_name(v.dtype), v.rank,
                  v.rank > 0 ? (long long)v.dims[0] : -1LL);
    }
    mem_free(v.data);
    return ok;
}

TEST(onnx, node_tests_load_and_shapes_match_expected_outputs)
{
    DIR *d = opendir(NODE_DIR);
    int n_models = 0;
    REQUIRE(d != NULL);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strncmp(e->d_name, "test_", 5) != 0)
            continue;
        char path[512], pb[600];
        snprintf(path, sizeof path, NODE_DIR "/%s/model.onnx", e->d_name);
        struct graph g;
        struct errbuf eb;
        graph_init(&g);
        errbuf_init(&eb);
        if (model_load(&g, path, NULL, &eb) != 0) {
            test_fail(t_, __FILE__, __LINE__, "%s: %s", e->d_name, eb.msg);
            graph_release(&g);
            continue;
        }
        n_models++;
        CHECK(g.n_layers > 0);
        /* Shapes, axes, pads and scales come as inputs here: make them known constants. */
        void *values[16] = {NULL};
        for (size_t i = 0; i < g.n_inputs && i < 16; i++) {
            struct tensor *in = &g.tensors[g.inputs[i]];
            struct tensor_value v;
            snprintf(pb, sizeof pb, NODE_DIR "/%s/test_data_set_0/input_%zu.pb", e->d_name, i);
            if (!same_as_pb(t_, e->d_name, in, pb) || onnx_read_tensor_pb(pb, &v, &eb) != 0)
                continue;
            values[i] = v.data;
            in->data = v.data;
            in->data_bytes = v.bytes;
            in->flags |= TENSOR_CONST;
        }
        if (reinfer(&g, &eb) != 0)
            test_fail(t_, __FILE__, __LINE__, "%s: %s", e->d_name, eb.msg);
        for (size_t i = 0; i < g.n_outputs; i++) {
            snprintf(pb, sizeof pb, NODE_DIR "/%s/test_data_set_0/output_%zu.pb", e->d_name, i);
            same_as_pb(t_, e->d_name, &g.tensors[g.outputs[i]], pb);
        }
        for (size_t i = 0; i < 16; i++)
            mem_free(values[i]);
        graph_release(&g);
    }
    closedir(d);
    /* The fixture README lists 187 tests. */
    CHECK_EQ_INT(n_models, 187);
}

TEST(onnx, real_models_load)
{
    const char *models[] = {
        RESNET8, SHUFFLENET, MODEL_DIR "/tract-qtdnn-10x5-qop/model.onnx",
        MODEL_DIR "/tract-qrelu_1/model.onnx", MODEL_DIR "/onnx2c-test_qlinearadd_int8/model.onnx",
        MODEL_DIR "/onnx2c-test_qlinearmul_uint8/model.onnx",
    };
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        struct graph g;
        struct errbuf eb;
        graph_init(&g);
        errbuf_init(&eb);
        CHECK_EQ_INT(model_load(&g, models[i], NULL, &eb), 0);
        if (eb.code != 0)
            test_fail(t_, __FILE__, __LINE__, "%s", eb.msg);
        /* Layers partition the nodes. */
        for (size_t k = 0; k < g.n_nodes; k++)
            CHECK(g.nodes[k].layer >= 0 && (size_t)g.nodes[k].layer < g.n_layers);
        graph_release(&g);
    }
}

static cJSON *info_json(struct test_ctx *t_, const char *args)
{
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    int rc = test_cli(args, &out, &err);
    CHECK_EQ_INT(rc, 0);
    cJSON *j = cJSON_Parse(sbuf_str(&out));
    if (j == NULL)
        test_fail(t_, __FILE__, __LINE__, "info --json: not JSON: %.200s %s", sbuf_str(&out),
                  sbuf_str(&err));
    sbuf_release(&out);
    sbuf_release(&err);
    return j;
}

static long long jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? (long long)v->valuedouble : -999;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "(missing)";
}

/* Checks the "shape" array of the first element of array `key`. */
static void check_io(struct test_ctx *t_, const cJSON *j, const char *key, const char *name,
                     const char *dtype, const long long *dims, int rank)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(j, key);
    REQUIRE(cJSON_GetArraySize(arr) == 1);
    const cJSON *o = cJSON_GetArrayItem(arr, 0);
    CHECK_EQ_STR(jstr(o, "name"), name);
    CHECK_EQ_STR(jstr(o, "dtype"), dtype);
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(o, "shape");
    REQUIRE(cJSON_GetArraySize(shape) == rank);
    for (int d = 0; d < rank; d++)
        CHECK_EQ_INT((long long)cJSON_GetArrayItem(shape, d)->valuedouble, dims[d]);
}

/*
 * Expected numbers from onnx.load in python3-onnx 1.12 (len(graph.node), Counter of op_type,
 * len(graph.initializer), sum of numpy_helper.to_array(init).nbytes, opset_import,
 * producer_name/version, graph input/output shapes), and MACs from
 * onnx.shape_inference.infer_shapes (Conv: prod(out) * prod(W.dims[1:]); Gemm/MatMul:
 * prod(out) * K).
 */
TEST(onnx, info_json_resnet8_counts)
{
    cJSON *j = info_json(t_, "info --json " RESNET8);
    REQUIRE(j != NULL);
    CHECK_EQ_STR(jstr(j, "format"), "onnx");
    CHECK_EQ_INT(jnum(j, "ir_version"), 8);
    CHECK_EQ_INT(jnum(cJSON_GetObjectItem(j, "opsets"), "ai.onnx"), 15);
    CHECK_EQ_INT(jnum(cJSON_GetObjectItem(j, "opsets"), "ai.onnx.ml"), 2);
    CHECK_EQ_STR(jstr(j, "producer"), "tf2onnx 1.16.1 15c810");
    CHECK_EQ_STR(jstr(j, "quantization"), "qdq");
    CHECK_EQ_INT(jnum(j, "nodes"), 67);
    CHECK_EQ_INT(jnum(j, "initializers"), 121);
    CHECK_EQ_INT(jnum(j, "parameter_bytes"), 83291);
    CHECK_EQ_INT(jnum(j, "macs"), 12501632);
    const cJSON *ops = cJSON_GetObjectItem(j, "ops");
    CHECK_EQ_INT(jnum(ops, "DequantizeLinear"), 35);
    CHECK_EQ_INT(jnum(ops, "QuantizeLinear"), 15);
    CHECK_EQ_INT(jnum(ops, "Conv"), 9);
    CHECK_EQ_INT(jnum(ops, "Add"), 3);
    CHECK_EQ_INT(jnum(ops, "Transpose"), 1);
    CHECK_EQ_INT(jnum(ops, "AveragePool"), 1);
    CHECK_EQ_INT(jnum(ops, "Reshape"), 1);
    CHECK_EQ_INT(jnum(ops, "Gemm"), 1);
    CHECK_EQ_INT(jnum(ops, "Softmax"), 1);
    CHECK_EQ_INT(cJSON_GetArraySize(ops), 9);
    static const long long in_dims[] = {1, 32, 32, 3}, out_dims[] = {1, 10};
    check_io(t_, j, "inputs", "input_1", "float32", in_dims, 4);
    check_io(t_, j, "outputs", "dense", "float32", out_dims, 2);
    const cJSON *list = cJSON_GetObjectItem(j, "layer_list");
    CHECK_EQ_INT(cJSON_GetArraySize(list), jnum(j, "layers"));
    cJSON_Delete(j);
}

TEST(onnx, info_json_shufflenet_counts)
{
    cJSON *j = info_json(t_, "info --json " SHUFFLENET);
    REQUIRE(j != NULL);
    CHECK_EQ_INT(jnum(j, "ir_version"), 7);
    CHECK_EQ_INT(jnum(cJSON_GetObjectItem(j, "opsets"), "ai.onnx"), 12);
    CHECK_EQ_INT(jnum(cJSON_GetObjectItem(j, "opsets"), "com.microsoft"), 1);
    CHECK_EQ_STR(jstr(j, "producer"), "onnx.quantize 0.1.0");
    CHECK_EQ_INT(jnum(j, "nodes"), 189);
    CHECK_EQ_INT(jnum(j, "initializers"), 414);
    CHECK_EQ_INT(jnum(j, "parameter_bytes"), 2336776);
    CHECK_EQ_INT(jnum(j, "macs"), 144907992);
    const cJSON *ops = cJSON_GetObjectItem(j, "ops");
    CHECK_EQ_INT(jnum(ops, "QLinearConv"), 56);
    CHECK_EQ_INT(jnum(ops, "DequantizeLinear"), 34);
    CHECK_EQ_INT(jnum(ops, "Reshape"), 32);
    CHECK_EQ_INT(jnum(ops, "QuantizeLinear"), 18);
    CHECK_EQ_INT(jnum(ops, "Concat"), 16);
    CHECK_EQ_INT(jnum(ops, "Transpose"), 16);
    CHECK_EQ_INT(jnum(ops, "Split"), 13);
    CHECK_EQ_INT(jnum(ops, "MaxPool"), 1);
    CHECK_EQ_INT(jnum(ops, "ReduceMean"), 1);
    CHECK_EQ_INT(jnum(ops, "QLinearMatMul"), 1);
    CHECK_EQ_INT(jnum(ops, "QLinearAdd"), 1);
    static const long long in_dims[] = {1, 3, 224, 224}, out_dims[] = {1, 1000};
    check_io(t_, j, "inputs", "input", "float32", in_dims, 4);
    check_io(t_, j, "outputs", "output", "float32", out_dims, 2);
    cJSON_Delete(j);
}

/* Symbolic dims show as strings (or null); --input-shape fixes them. tract-qtdnn's input is
 * [?, 10] and its plain-ONNX output for 10 frames is 8 frames (fixture README). */
TEST(onnx, info_input_shape_override)
{
    cJSON *j = info_json(t_, "info --json " MODEL_DIR "/tract-qtdnn-10x5-qop/model.onnx "
                             "--input-shape input=10,10");
    REQUIRE(j != NULL);
    static const long long in_dims[] = {10, 10}, out_dims[] = {8, 5};
    check_io(t_, j, "inputs", "input", "float32", in_dims, 2);
    check_io(t_, j, "outputs", "output", "float32", out_dims, 2);
    cJSON_Delete(j);

    struct sbuf err;
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli("info " MODEL_DIR "/tract-qtdnn-10x5-qop/model.onnx "
                          "--input-shape nosuch=1,2", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "no input named 'nosuch'") != NULL);
    sbuf_release(&err);
}

/* Typed data, Constant nodes, invented node names and external data (scripts/make-bad-onnx.py). */
TEST(onnx, typed_constant_and_external_data)
{
    struct graph g;
    struct errbuf eb;
    graph_init(&g);
    errbuf_init(&eb);
    REQUIRE(model_load(&g, "tests/data/bad/typed.onnx", NULL, &eb) == 0);
    int ti = graph_find_tensor(&g, "t_i8");
    REQUIRE(ti >= 0);
    static const int8_t i8[] = {-1, 0, 127};
    CHECK_EQ_INT(g.tensors[ti].data_bytes, 3);
    CHECK_MEM(g.tensors[ti].data, i8, 3);
    int c = graph_find_tensor(&g, "c");
    REQUIRE(c >= 0);
    static const float cv[] = {0.5f, 0.25f, -1.0f, 2.0f};
    CHECK((g.tensors[c].flags & TENSOR_CONST) != 0);
    CHECK_EQ_INT(g.tensors[c].data_bytes, 16);
    CHECK_MEM(g.tensors[c].data, cv, 16);
    CHECK_EQ_INT(g.n_nodes, 4); /* the Constant node became a tensor */
    CHECK_EQ_STR(g.nodes[0].name, "Add_1");
    CHECK_EQ_STR(g.tensors[g.inputs[0]].dim_param[0], "batch");
    graph_release(&g);

    graph_init(&g);
    REQUIRE(model_load(&g, "tests/data/bad/external-ok.onnx", NULL, &eb) == 0);
    int w = graph_find_tensor(&g, "w");
    REQUIRE(w >= 0);
    static const float wv[] = {1.5f, -2.0f, 3.25f, 0.0f};
    CHECK_EQ_INT(g.tensors[w].data_bytes, 16);
    CHECK_MEM(g.tensors[w].data, wv, 16);
    graph_release(&g);
}

/* Raw initializers point into the mapped file when aligned; the bytes are the file's. */
TEST(onnx, raw_initializers_point_into_file)
{
    struct graph g;
    struct errbuf eb;
    size_t n_in_file = 0;
    graph_init(&g);
    errbuf_init(&eb);
    REQUIRE(model_load(&g, SHUFFLENET, NULL, &eb) == 0);
    for (size_t i = 0; i < g.n_tensors; i++) {
        const uint8_t *p = g.tensors[i].data;
        if (p != NULL && p >= g.file.data && p < g.file.data + g.file.bytes)
            n_in_file++;
    }
    CHECK(n_in_file > 0);
    /* Values from numpy_helper.to_array in python3-onnx 1.12. */
    int w = graph_find_tensor(&g, "ConvBnFusion_W_conv1.0.weight_quantized");
    int b = graph_find_tensor(&g, "ConvBnFusion_BN_B_conv1.1.bias_quantized");
    REQUIRE(w >= 0 && b >= 0);
    static const int8_t wv[] = {39, 11, -13, 1, -84, -3, -18, 11};
    static const int32_t bv[] = {6169, 3963, 226857, 4382, 1179, 103422, -45277, 71091};
    CHECK_EQ_INT(g.tensors[w].dtype, DTYPE_S8);
    CHECK_EQ_INT(g.tensors[w].data_bytes, 648);
    CHECK_MEM(g.tensors[w].data, wv, sizeof wv);
    CHECK_EQ_INT(g.tensors[b].dtype, DTYPE_S32);
    CHECK_EQ_INT(g.tensors[b].data_bytes, 96);
    CHECK_MEM(g.tensors[b].data, bv, sizeof bv);
    CHECK_EQ_INT((uintptr_t)g.tensors[b].data % 4, 0);
    graph_release(&g);
}

/* Values from onnx.load + numpy_helper in python3-onnx 1.12. */
TEST(onnx, quant_params_and_layers)
{
    struct graph g;
    struct errbuf eb;
    graph_init(&g);
    errbuf_init(&eb);
    REQUIRE(model_load(&g, SHUFFLENET, NULL, &eb) == 0);
    int q = graph_find_tensor(&g, "input_quantized");
    REQUIRE(q >= 0);
    CHECK_EQ_INT(g.tensors[q].quant.n, 1);
    CHECK_NEAR(g.tensors[q].quant.scale[0], 0.01865844801068306, 1e-12);
    CHECK_EQ_INT(g.tensors[q].quant.zero_point[0], 114);
    int w = graph_find_tensor(&g, "ConvBnFusion_W_conv1.0.weight_quantized");
    REQUIRE(w >= 0);
    CHECK_EQ_INT(g.tensors[w].quant.n, 24);
    CHECK_EQ_INT(g.tensors[w].quant.axis, 0);
    CHECK_NEAR(g.tensors[w].quant.scale[1], 0.003291602013632655, 1e-12);
    int y = graph_find_tensor(&g, "341_quantized");
    REQUIRE(y >= 0);
    CHECK_NEAR(g.tensors[y].quant.scale[0], 0.05029391497373581, 1e-12);
    const struct node *conv = &g.nodes[g.tensors[y].producer];
    CHECK_EQ_STR(conv->op, "QLinearConv");
    REQUIRE(conv->layer >= 0);
    const struct layer *l = &g.layers[conv->layer];
    CHECK_EQ_INT(l->kind, LAYER_QOP);
    CHECK_EQ_STR(l->name, "341_quantized");
    CHECK_EQ_INT(l->n_nodes, 1);
    graph_release(&g);

    /* resnet8: Conv "model/conv2d/BiasAdd" reads DQ(x), DQ(weights, axis 0), DQ(bias) and
     * feeds QuantizeLinear -> PPQ_Variable_61: one QDQ layer of 5 nodes. */
    graph_init(&g);
    REQUIRE(model_load(&g, RESNET8, NULL, &eb) == 0);
    y = graph_find_tensor(&g, "PPQ_Variable_61");
    REQUIRE(y >= 0);
    REQUIRE(g.tensors[y].producer >= 0);
    int li = g.nodes[g.tensors[y].producer].layer;
    REQUIRE(li >= 0);
    l = &g.layers[li];
    CHECK_EQ_INT(l->kind, LAYER_QDQ);
    CHECK_EQ_STR(l->op, "Conv");
    CHECK_EQ_STR(l->name, "PPQ_Variable_61");
    CHECK_EQ_INT(l->n_nodes, 5);
    CHECK_EQ_INT(l->n_inputs, 3);
    CHECK_EQ_STR(g.tensors[l->inputs[0]].name, "PPQ_Variable_49");
    CHECK_EQ_STR(g.tensors[l->inputs[1]].name, "model/conv2d/BiasAdd_weights_fused_bn");
    w = l->inputs[1];
    CHECK_EQ_INT(g.tensors[w].quant.n, 16);
    CHECK_NEAR(g.tensors[w].quant.scale[1], 3.321535132272402e-06, 1e-15);
    /* Every Conv of resnet8 is the main node of a QDQ layer; layers are topological. */
    int n_conv = 0;
    for (size_t i = 0; i < g.n_layers; i++) {
        if (strcmp(g.layers[i].op, "Conv") == 0) {
            CHECK_EQ_INT(g.layers[i].kind, LAYER_QDQ);
            n_conv++;
        }
        for (size_t k = 0; k < g.layers[i].n_nodes; k++)
            CHECK_EQ_INT(g.nodes[g.layers[i].nodes[k]].layer, (int)i);
        for (size_t k = 0; k < g.layers[i].n_inputs; k++) {
            int p = g.tensors[g.layers[i].inputs[k]].producer;
            CHECK(p < 0 || g.nodes[p].layer <= (int)i);
        }
    }
    CHECK_EQ_INT(n_conv, 9);
    graph_release(&g);
}

/* input_0.pb of test_add: float32 [3, 4, 5]; the first value is from numpy_helper.to_array. */
TEST(onnx, read_tensor_pb)
{
    struct tensor_value v;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(onnx_read_tensor_pb(NODE_DIR "/test_add/test_data_set_0/input_0.pb", &v, &eb) == 0);
    CHECK_EQ_INT(v.dtype, DTYPE_F32);
    CHECK_EQ_INT(v.rank, 3);
    CHECK_EQ_INT(v.dims[0], 3);
    CHECK_EQ_INT(v.dims[1], 4);
    CHECK_EQ_INT(v.dims[2], 5);
    CHECK_EQ_INT(v.bytes, 240);
    mem_free(v.data);
    CHECK(onnx_read_tensor_pb("tests/data/bad/not-protobuf.onnx", &v, &eb) == ST_EPARSE);
}

/* Each bad file: exit 2 and exactly one line "mlfscope: error: FILE: ...". */
static void check_bad(struct test_ctx *t_, const char *file, const char *needle)
{
    struct sbuf err, out;
    char args[256];
    sbuf_init(&err);
    sbuf_init(&out);
    snprintf(args, sizeof args, "info tests/data/bad/%s", file);
    CHECK_EQ_INT(test_cli(args, &out, &err), 2);
    char prefix[200];
    snprintf(prefix, sizeof prefix, "mlfscope: error: tests/data/bad/%s: ", file);
    const char *s = sbuf_str(&err);
    if (strncmp(s, prefix, strlen(prefix)) != 0 || strchr(s, '\n') != s + strlen(s) - 1 ||
        strstr(s, needle) == NULL)
        test_fail(t_, __FILE__, __LINE__, "%s: unexpected stderr: %s", file, s);
    CHECK_EQ_INT(out.len, 0);
    sbuf_release(&err);
    sbuf_release(&out);
}

TEST(onnx, bad_files_fail_cleanly)
{
    check_bad(t_, "truncated.onnx", "truncated");
    check_bad(t_, "not-protobuf.onnx", "offset 0");
    check_bad(t_, "length-past-end.onnx", "offset 2");
    check_bad(t_, "dims-overflow.onnx", "initializer 'w': element count overflows");
    check_bad(t_, "size-mismatch.onnx", "raw_data has 8 bytes");
    check_bad(t_, "external-outside.onnx", "outside the model's folder");
    check_bad(t_, "external-absolute.onnx", "outside the model's folder");
    check_bad(t_, "undefined-input.onnx", "input 'ghost' is never produced");
    check_bad(t_, "cycle.onnx", "cycle");
    check_bad(t_, "unknown-format.bin", "unknown model format");
}

/* Every allocation failure during a load gives ST_ENOMEM and leaks nothing (ASan checks). */
TEST(onnx, allocation_faults)
{
    const char *path = MODEL_DIR "/tract-qtdnn-10x5-qop/model.onnx";
    int rc = -1;
    long k;
    for (k = 0; k < 100000 && rc != 0; k++) {
        struct graph g;
        struct errbuf eb;
        graph_init(&g);
        errbuf_init(&eb);
        mem_fail_after(k);
        rc = model_load(&g, path, NULL, &eb);
        mem_fail_after(-1);
        if (rc != 0 && rc != ST_ENOMEM) {
            test_fail(t_, __FILE__, __LINE__, "k=%ld: rc %d: %s", k, rc, eb.msg);
            rc = 0;
        }
        graph_release(&g);
    }
    CHECK_EQ_INT(rc, 0);
    CHECK(k > 20); /* the load allocates many times: the failing runs did happen */
    struct tensor_value v = {.data = NULL};
    rc = -1;
    for (long j = 0; j < 1000 && rc != 0; j++) {
        struct errbuf eb;
        errbuf_init(&eb);
        mem_fail_after(j);
        rc = onnx_read_tensor_pb(NODE_DIR "/test_add/test_data_set_0/input_0.pb", &v, &eb);
        mem_fail_after(-1);
        if (rc != 0 && rc != ST_ENOMEM) {
            test_fail(t_, __FILE__, __LINE__, "j=%ld: rc %d: %s", j, rc, eb.msg);
            rc = 0;
        }
    }
    CHECK_EQ_INT(rc, 0);
    mem_free(v.data);
}

/* The text form: a header naming file, format and quantization, then the layer table. */
TEST(onnx, info_text_summary)
{
    struct sbuf out;
    sbuf_init(&out);
    CHECK_EQ_INT(test_cli("info " RESNET8, &out, NULL), 0);
    const char *s = sbuf_str(&out);
    CHECK(strncmp(s, RESNET8 ": onnx, ir_version 8, producer tf2onnx 1.16.1 15c810\n",
                  strlen(RESNET8) + 53) == 0);
    CHECK(strstr(s, "quantization: qdq\n") != NULL);
    CHECK(strstr(s, "input_1                  float32  1x32x32x3") != NULL);
    CHECK(strstr(s, "PPQ_Variable_61") != NULL);
    sbuf_release(&out);

    /* Without NAME=, --input-shape applies to the only input. */
    sbuf_init(&out);
    CHECK_EQ_INT(test_cli("info " MODEL_DIR "/tract-qrelu_1/model.onnx --input-shape 7,10",
                          &out, NULL), 0);
    CHECK(strstr(sbuf_str(&out), "output                   float32  7x10") != NULL);
    sbuf_release(&out);
}

/*
 * tests/data/bad/qdq-small.onnx (scripts/make-bad-onnx.py): DQ(x), DQ(w, axis 0), DQ(b) ->
 * Conv(pads 1) -> Relu -> Q is one QDQ layer; QLinearConcat, QLinearGlobalAveragePool
 * (channels_last) and QGemm (transB) shapes follow the com.microsoft op definitions. MACs by
 * hand: conv 1*3*5*5 outputs * 2*3*3 = 1350; QGemm 1*6 outputs * 150 = 900.
 */
TEST(onnx, qdq_group_and_contrib_shapes)
{
    struct graph g;
    struct errbuf eb;
    char shape[64];
    graph_init(&g);
    errbuf_init(&eb);
    REQUIRE(model_load(&g, "tests/data/bad/qdq-small.onnx", NULL, &eb) == 0);
    REQUIRE(g.n_layers == 5);
    const struct layer *l = &g.layers[0];
    CHECK_EQ_INT(l->kind, LAYER_QDQ);
    CHECK_EQ_STR(l->op, "Conv");
    CHECK_EQ_STR(l->name, "yq");
    CHECK_EQ_INT(l->n_nodes, 6);
    CHECK_EQ_INT(l->macs, 1350);
    REQUIRE(l->n_inputs == 3);
    CHECK_EQ_STR(g.tensors[l->inputs[0]].name, "xq");
    CHECK_EQ_STR(g.tensors[l->inputs[1]].name, "wq");
    CHECK_EQ_STR(g.tensors[l->inputs[2]].name, "bq");
    const struct tensor *w = &g.tensors[l->inputs[1]];
    CHECK_EQ_INT(w->quant.n, 3);
    CHECK_EQ_INT(w->quant.axis, 0);
    CHECK_NEAR(w->quant.scale[2], 0.3, 1e-7);
    const struct tensor *x = &g.tensors[l->inputs[0]];
    CHECK_EQ_INT(x->quant.n, 1);
    CHECK_EQ_INT(x->quant.zero_point[0], 128);
    CHECK_EQ_INT(g.layers[1].kind, LAYER_QOP);
    CHECK_EQ_STR(tensor_shape_str(&g.tensors[g.layers[1].outputs[0]], shape, sizeof shape),
                 "1x6x5x5");
    CHECK_EQ_STR(tensor_shape_str(&g.tensors[g.layers[2].outputs[0]], shape, sizeof shape),
                 "1x1x1x5");
    CHECK_EQ_STR(tensor_shape_str(&g.tensors[g.layers[4].outputs[0]], shape, sizeof shape),
                 "1x6");
    CHECK_EQ_INT(g.layers[4].macs, 900);
    CHECK_EQ_INT(g.tensors[g.layers[4].outputs[0]].dtype, DTYPE_U8);
    CHECK_EQ_STR(layers_quant_format(&g), "mixed");
    graph_release(&g);
}
