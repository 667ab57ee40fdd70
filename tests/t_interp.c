/*
 * Tests of the reference interpreter against numbers computed elsewhere: every supported ONNX
 * backend node test (expected outputs from the ONNX reference implementation), every tensor
 * of the real models against ONNX Runtime 1.30.0 (tests/golden/ort, scripts/ort-dump.js),
 * the QLinearConv attribute models against ONNX Runtime (tests/data/qlinearconv); under
 * `make test`, when onnxruntime-node is available, against a live ORT run instead, which the
 * committed numbers must equal (scripts/ort-live.sh, docs/testing.md); the fast
 * kernels against ref/'s plain loops, and the run/bench commands.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "test.h"

#include "../dump/npy.h"
#include "../ref/fixedpoint.h"
#include "../ref/ref.h"
#include "../src/errbuf.h"
#include "../src/fileio.h"
#include "../src/graph.h"
#include "../src/interp.h"
#include "../src/interp_int.h"
#include "../src/interp_kernels.h"
#include "../src/mem.h"
#include "../src/model.h"
#include "../src/onnx.h"
#include "../src/sbuf.h"

#define NODE_DIR "tests/data/onnx-node"
#define MODEL_DIR "tests/data/onnx-models"
#define QLC_DIR "tests/data/qlinearconv"
#define GOLDEN_DIR "tests/golden/ort"

/*
 * Backend node tests the interpreter does not run, with the reason; docs/interp.md lists the
 * same. The test checks that each still fails cleanly with "unsupported", so the list stays
 * true.
 */
static const struct {
    const char *name;
    const char *reason;
} unsupported_tests[] = {
    {"test_maxpool_with_argmax_2d_precomputed_pads", "MaxPool Indices output not implemented"},
    {"test_resize_upsample_scales_cubic", "Resize mode cubic not implemented"},
};

static const char *unsupported_reason(const char *name)
{
    for (size_t i = 0; i < sizeof unsupported_tests / sizeof unsupported_tests[0]; i++)
        if (strcmp(unsupported_tests[i].name, name) == 0)
            return unsupported_tests[i].reason;
    return NULL;
}

static double elem_f(const struct tensor_value *v, size_t i)
{
    return (double)interp_get_f(v, i);
}

static int64_t elem_i(const struct tensor_value *v, size_t i)
{
    const char *d = v->data;
    switch (v->dtype) {
    case DTYPE_S8: return ((const int8_t *)d)[i];
    case DTYPE_U8:
    case DTYPE_BOOL: return ((const uint8_t *)d)[i];
    case DTYPE_S32: {
        int32_t x;
        memcpy(&x, d + 4 * i, 4);
        return x;
    }
    case DTYPE_S64: {
        int64_t x;
        memcpy(&x, d + 8 * i, 8);
        return x;
    }
    default: return (int64_t)interp_get_f(v, i);
    }
}

/*
 * Compares a produced value with an expected one: same dtype and shape; integers exactly,
 * floats with the ONNX runner's rtol 1e-3, atol 1e-7. Describes the first difference in msg.
 */
static bool same_value(const struct tensor_value *got, const struct tensor_value *want,
                       char *msg, size_t cap)
{
    if (got->dtype != want->dtype) {
        snprintf(msg, cap, "dtype %s, want %s", dtype_name(got->dtype), dtype_name(want->dtype));
        return false;
    }
    bool shape_ok = got->rank == want->rank;
    for (int i = 0; shape_ok && i < got->rank; i++)
        shape_ok = got->dims[i] == want->dims[i];
    if (!shape_ok) {
        snprintf(msg, cap, "shape differs (rank %d, want %d)", got->rank, want->rank);
        return false;
    }
    size_t n = interp_elems(want), bad = 0, first = 0;
    bool is_float = want->dtype == DTYPE_F32 || want->dtype == DTYPE_F64;
    for (size_t i = 0; i < n; i++) {
        bool ok;
        if (is_float) {
            double a = elem_f(got, i), b = elem_f(want, i);
            ok = fabs(a - b) <= 1e-7 + 1e-3 * fabs(b) || (isnan(a) && isnan(b));
        } else {
            ok = elem_i(got, i) == elem_i(want, i);
        }
        if (!ok && bad++ == 0)
            first = i;
    }
    if (bad) {
        if (is_float)
            snprintf(msg, cap, "%zu of %zu differ, first at %zu: got %.9g, want %.9g", bad, n,
                     first, elem_f(got, first), elem_f(want, first));
        else
            snprintf(msg, cap, "%zu of %zu differ, first at %zu: got %lld, want %lld", bad, n,
                     first, (long long)elem_i(got, first), (long long)elem_i(want, first));
        return false;
    }
    return true;
}

/* Runs one backend node test; returns 0, or the interp/loader status (eb set). */
static int run_node_test(struct test_ctx *t_, const char *dir, const char *name, bool expect_ok)
{
    char path[1024];
    struct errbuf eb;
    errbuf_init(&eb);
    struct graph g;
    graph_init(&g);
    struct interp *ip = NULL;
    struct tensor_value in[16];
    size_t n_in = 0;
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    int rc = model_load(&g, path, NULL, &eb);
    while (!rc && n_in < 16) {
        snprintf(path, sizeof path, "%s/test_data_set_0/input_%zu.pb", dir, n_in);
        if (!fileio_exists(path))
            break;
        rc = onnx_read_tensor_pb(path, &in[n_in], &eb);
        if (!rc)
            n_in++;
    }
    struct interp_options opts = {.arith = INTERP_ARITH_ONNX, .dump = INTERP_DUMP_OUTPUTS};
    if (!rc)
        rc = interp_new(&g, &opts, &ip, &eb);
    for (size_t k = 0; !rc && k < n_in; k++) {
        if (k >= g.n_inputs) {
            rc = errbuf_set(&eb, ST_EINVAL, "more inputs than graph inputs");
            break;
        }
        rc = interp_set_input(ip, g.inputs[k], &in[k], &eb);
    }
    if (!rc)
        rc = interp_run(ip, &eb);
    for (size_t k = 0; !rc && k < g.n_outputs; k++) {
        struct tensor_value want;
        snprintf(path, sizeof path, "%s/test_data_set_0/output_%zu.pb", dir, k);
        if (onnx_read_tensor_pb(path, &want, &eb) != 0) {
            test_fail(t_, __FILE__, __LINE__, "%s: %s", name, eb.msg);
            break;
        }
        const struct tensor_value *got = interp_value(ip, g.outputs[k]);
        char msg[200];
        if (!got)
            test_fail(t_, __FILE__, __LINE__, "%s: output %zu missing", name, k);
        else if (!same_value(got, &want, msg, sizeof msg))
            test_fail(t_, __FILE__, __LINE__, "%s: output %zu (%s): %s", name, k,
                      g.tensors[g.outputs[k]].name, msg);
        mem_free(want.data);
    }
    if (rc && expect_ok)
        test_fail(t_, __FILE__, __LINE__, "%s: %s", name, eb.msg);
    if (rc && !expect_ok && strstr(eb.msg, "unsupported") == NULL)
        test_fail(t_, __FILE__, __LINE__, "%s: expected an 'unsupported' error, got: %s", name,
                  eb.msg);
    interp_free(ip);
    for (size_t k = 0; k < n_in; k++)
        mem_free(in[k].data);
    graph_release(&g);
    return rc;
}

TEST(interp, onnx_node_tests)
{
    DIR *d = opendir(NODE_DIR);
    REQUIRE(d != NULL);
    struct dirent *e;
    int n_run = 0, n_skipped = 0;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "test_", 5) != 0)
            continue;
        char dir[512];
        if (snprintf(dir, sizeof dir, "%s/%s", NODE_DIR, e->d_name) >= (int)sizeof dir)
            continue;
        const char *why = unsupported_reason(e->d_name);
        int rc = run_node_test(t_, dir, e->d_name, why == NULL);
        if (why) {
            n_skipped++;
            if (rc == 0)
                test_fail(t_, __FILE__, __LINE__, "%s now runs: remove it from the list",
                          e->d_name);
        } else {
            n_run++;
        }
    }
    closedir(d);
    CHECK(n_run >= 185);
    CHECK_EQ_INT(n_skipped, (int)(sizeof unsupported_tests / sizeof unsupported_tests[0]));
}

TEST(interp, unsupported_op_message_names_file_node_and_op)
{
    struct errbuf eb;
    errbuf_init(&eb);
    struct graph g;
    graph_init(&g);
    REQUIRE(model_load(&g, NODE_DIR "/test_maxpool_with_argmax_2d_precomputed_pads/model.onnx",
                       NULL, &eb) == 0);
    struct interp *ip = NULL;
    struct interp_options opts = {.arith = INTERP_ARITH_ONNX};
    CHECK_EQ_INT(interp_new(&g, &opts, &ip, &eb), ST_EUNSUPPORTED);
    CHECK(ip == NULL);
    char want[256];
    snprintf(want, sizeof want, "%s: node %s: unsupported attribute Indices output of MaxPool",
             g.path, g.nodes[0].name);
    CHECK_EQ_STR(eb.msg, want);
    graph_release(&g);

    /* an op nobody implements, in a graph built here */
    graph_init(&g);
    g.path = "mem.onnx";
    int x = graph_tensor(&g, "x", &eb), y = graph_tensor(&g, "y", &eb);
    REQUIRE(x >= 0 && y >= 0);
    g.tensors[x].flags |= TENSOR_INPUT;
    g.tensors[x].dtype = DTYPE_F32;
    g.tensors[y].flags |= TENSOR_OUTPUT;
    int ins[1] = {x}, outs[1] = {y};
    struct node spec = {.name = "n0", .op = "NoSuchOp", .domain = "", .n_inputs = 1,
                        .inputs = ins, .n_outputs = 1, .outputs = outs, .layer = -1};
    REQUIRE(graph_add_node(&g, &spec, &eb) >= 0);
    REQUIRE(graph_finish(&g, &eb) == 0);
    errbuf_init(&eb);
    CHECK_EQ_INT(interp_new(&g, &opts, &ip, &eb), ST_EUNSUPPORTED);
    CHECK_EQ_STR(eb.msg, "mem.onnx: node n0: unsupported op NoSuchOp");
    graph_release(&g);
}

/* Loads `model`, runs it on the inputs (positional) with opts, and returns the interp. */
static struct interp *run_model(struct test_ctx *t_, struct graph *g, const char *model,
                                const char *const *inputs, size_t n_inputs,
                                struct interp_options *opts,
                                struct interp_inputs *in)
{
    struct errbuf eb;
    errbuf_init(&eb);
    struct interp *ip = NULL;
    int rc = model_load(g, model, NULL, &eb);
    if (!rc)
        rc = interp_inputs_load(g, n_inputs, inputs, DTYPE_UNKNOWN, 0, NULL, in, &eb);
    if (!rc)
        rc = interp_new(g, opts, &ip, &eb);
    if (!rc)
        rc = interp_inputs_bind(ip, in, &eb);
    if (!rc)
        rc = interp_run(ip, &eb);
    if (rc) {
        test_fail(t_, __FILE__, __LINE__, "%s: %s", model, eb.msg);
        interp_free(ip);
        return NULL;
    }
    return ip;
}

/*
 * The live ONNX Runtime dumps scripts/ort-live.sh wrote (`make test` sets MLFSCOPE_ORT_LIVE
 * when onnxruntime-node was available), or NULL: then the committed goldens stand in.
 */
static const char *ort_live_dir(void)
{
    const char *d = getenv("MLFSCOPE_ORT_LIVE");
    return d && *d ? d : NULL;
}

/* dir/sub/index.json parsed (caller cJSON_Deletes), or NULL after a test failure. */
static cJSON *read_index(struct test_ctx *t_, const char *dir, const char *sub)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/index.json", dir, sub);
    size_t bytes;
    char *text = (char *)test_read_file(path, &bytes);
    if (!text) {
        test_fail(t_, __FILE__, __LINE__, "%s: missing", path);
        return NULL;
    }
    cJSON *idx = cJSON_ParseWithLength(text, bytes);
    mem_free(text);
    if (!idx)
        test_fail(t_, __FILE__, __LINE__, "%s: bad JSON", path);
    return idx;
}

/* The .npy file index idx gives for tensor name (NULL: first tensor), or NULL. */
static const char *index_file(const cJSON *idx, const char *name)
{
    const cJSON *te;
    cJSON_ArrayForEach(te, cJSON_GetObjectItemCaseSensitive(idx, "tensors")) {
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(te, "name"));
        if (!name || (n && strcmp(n, name) == 0))
            return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(te, "file"));
    }
    return NULL;
}

/* Fails, naming tensor name of what, unless .npy files a (committed) and b (live) agree. */
static void check_same_npy(struct test_ctx *t_, const char *what, const char *name,
                           const char *a, const char *b)
{
    struct tensor_value va, vb;
    struct errbuf eb;
    errbuf_init(&eb);
    if (npy_read_file(a, &va, &eb) != 0) {
        test_fail(t_, __FILE__, __LINE__, "%s", eb.msg);
        return;
    }
    if (npy_read_file(b, &vb, &eb) != 0) {
        test_fail(t_, __FILE__, __LINE__, "%s", eb.msg);
        mem_free(va.data);
        return;
    }
    char msg[200];
    if (!same_value(&va, &vb, msg, sizeof msg))
        test_fail(t_, __FILE__, __LINE__,
                  "%s: tensor %s: committed golden %s disagrees with live ONNX Runtime %s: %s",
                  what, name, a, b, msg);
    mem_free(va.data);
    mem_free(vb.data);
}

/*
 * Every tensor ONNX Runtime wrote into <ref>/<golden> equals ours (onnx mode). ref is the
 * live dump (every tensor) when there is one, and then each tensor in GOLDEN_DIR/<golden>
 * must equal its live twin too; otherwise ref is GOLDEN_DIR.
 */
static void check_golden(struct test_ctx *t_, const char *golden, const char *model,
                         const char *const *inputs, size_t n_inputs)
{
    const char *live = ort_live_dir();
    const char *ref = live ? live : GOLDEN_DIR;
    cJSON *idx = read_index(t_, ref, golden);
    if (!idx)
        return;
    char path[512];
    struct graph g;
    graph_init(&g);
    struct interp_inputs in = {0};
    /* the goldens come from ORT on x86-64 AVX2 without VNNI: reproduce its u8 x s8 sums */
    struct interp_options opts = {.arith = INTERP_ARITH_ONNX, .dump = INTERP_DUMP_ALL,
                                  .capture = true, .ort_avx2_u8s8 = true};
    struct interp *ip = run_model(t_, &g, model, inputs, n_inputs, &opts, &in);
    const cJSON *tensors = cJSON_GetObjectItemCaseSensitive(idx, "tensors");
    int n_checked = 0;
    const cJSON *te;
    cJSON_ArrayForEach(te, tensors) {
        if (!ip)
            break;
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(te, "name"));
        const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(te, "file"));
        if (!name || !file)
            continue;
        int ti = graph_find_tensor(&g, name);
        const struct tensor_value *got = ti >= 0 ? interp_value(ip, ti) : NULL;
        if (!got) {
            test_fail(t_, __FILE__, __LINE__, "%s: tensor %s not produced", golden, name);
            continue;
        }
        struct tensor_value want;
        struct errbuf eb;
        errbuf_init(&eb);
        snprintf(path, sizeof path, "%s/%s/%s", ref, golden, file);
        if (npy_read_file(path, &want, &eb) != 0) {
            test_fail(t_, __FILE__, __LINE__, "%s", eb.msg);
            continue;
        }
        char msg[200];
        if (!same_value(got, &want, msg, sizeof msg))
            test_fail(t_, __FILE__, __LINE__, "%s: tensor %s: %s", golden, name, msg);
        mem_free(want.data);
        n_checked++;
    }
    CHECK(n_checked > 0);
    interp_free(ip);
    interp_inputs_release(&in);
    graph_release(&g);
    cJSON *committed = live ? read_index(t_, GOLDEN_DIR, golden) : NULL;
    cJSON_ArrayForEach(te, cJSON_GetObjectItemCaseSensitive(committed, "tensors")) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(te, "name"));
        const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(te, "file"));
        const char *lfile = name ? index_file(idx, name) : NULL;
        if (!file || !lfile) {
            test_fail(t_, __FILE__, __LINE__, "%s: tensor %s: in %s, not in the live dump",
                      golden, name ? name : "?", GOLDEN_DIR);
            continue;
        }
        char lpath[512];
        snprintf(path, sizeof path, "%s/%s/%s", GOLDEN_DIR, golden, file);
        snprintf(lpath, sizeof lpath, "%s/%s/%s", live, golden, lfile);
        check_same_npy(t_, golden, name, path, lpath);
    }
    cJSON_Delete(committed);
    cJSON_Delete(idx);
}

TEST(interp, real_models_equal_onnxruntime_on_every_tensor)
{
    const char *in_r8[5][1] = {
        {MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/inputs/cifar10_calib_image_0.npy"},
        {MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/inputs/cifar10_calib_image_1.npy"},
        {MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/inputs/cifar10_calib_image_2.npy"},
        {MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/inputs/cifar10_calib_image_3.npy"},
        {MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/inputs/cifar10_calib_image_4.npy"},
    };
    for (int k = 0; k < 5; k++) {
        char golden[64];
        snprintf(golden, sizeof golden, "mlperf-tiny-ic-resnet8-qdq-img%d", k);
        check_golden(t_, golden, MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/model.onnx", in_r8[k],
                     1);
    }
    const char *in_sn[] = {MODEL_DIR "/shufflenet-v2-12-int8-qop/test_data_set_0/input_0.pb"};
    check_golden(t_, "shufflenet-v2-12-int8-qop",
                 MODEL_DIR "/shufflenet-v2-12-int8-qop/model.onnx", in_sn, 1);
    static const char *const micro[] = {"onnx2c-test_qlinearadd_int8",
                                        "onnx2c-test_qlinearmul_uint8"};
    for (size_t m = 0; m < 2; m++) {
        char bufs[8][256], model[256];
        const char *ins[8];
        for (int k = 0; k < 8; k++) {
            snprintf(bufs[k], sizeof bufs[k], "%s/%s/test_data_set_0/input_%d.pb", MODEL_DIR,
                     micro[m], k);
            ins[k] = bufs[k];
        }
        snprintf(model, sizeof model, "%s/%s/model.onnx", MODEL_DIR, micro[m]);
        check_golden(t_, micro[m], model, ins, 8);
    }
    const char *in_relu[] = {MODEL_DIR "/tract-qrelu_1/input.npy"};
    check_golden(t_, "tract-qrelu_1", MODEL_DIR "/tract-qrelu_1/model.onnx", in_relu, 1);
    const char *in_tdnn[] = {MODEL_DIR "/tract-qtdnn-10x5-qop/input.npy"};
    check_golden(t_, "tract-qtdnn-10x5-qop", MODEL_DIR "/tract-qtdnn-10x5-qop/model.onnx",
                 in_tdnn, 1);
}

/*
 * The QLinearConv models: ORT's outputs, with and without ORT's AVX2 u8 x s8 emulation. With a
 * live ORT dump, its output is the reference and the committed output must equal it.
 */
TEST(interp, qlinearconv_models_equal_onnxruntime)
{
    DIR *d = opendir(QLC_DIR);
    REQUIRE(d != NULL);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".onnx") != 0)
            continue;
        char base[256], model[1024], input[1024], output[1024];
        snprintf(base, sizeof base, "%.*s", (int)(len - 5), e->d_name);
        snprintf(model, sizeof model, "%s/%s.onnx", QLC_DIR, base);
        snprintf(input, sizeof input, "%s/%s.input.npy", QLC_DIR, base);
        snprintf(output, sizeof output, "%s/%s.output.npy", QLC_DIR, base);
        const char *live = ort_live_dir();
        if (live) {
            char sub[300];
            snprintf(sub, sizeof sub, "qlinearconv/%s", base);
            cJSON *idx = read_index(t_, live, sub);
            const char *file = index_file(idx, NULL);
            if (!file) {
                if (idx)
                    test_fail(t_, __FILE__, __LINE__, "%s/%s: no tensor", live, sub);
                cJSON_Delete(idx);
                continue;
            }
            char lpath[1024];
            snprintf(lpath, sizeof lpath, "%s/%s/%s", live, sub, file);
            check_same_npy(t_, sub, "y", output, lpath);
            snprintf(output, sizeof output, "%s", lpath);
            cJSON_Delete(idx);
        }
        struct tensor_value want;
        struct errbuf eb;
        errbuf_init(&eb);
        if (npy_read_file(output, &want, &eb) != 0) {
            test_fail(t_, __FILE__, __LINE__, "%s", eb.msg);
            continue;
        }
        for (int emulate = 1; emulate >= 0; emulate--) {
            struct graph g;
            graph_init(&g);
            struct interp_inputs in = {0};
            struct interp_options opts = {.arith = INTERP_ARITH_ONNX,
                                          .dump = INTERP_DUMP_OUTPUTS,
                                          .ort_avx2_u8s8 = emulate != 0};
            const char *ins[] = {input};
            struct interp *ip = run_model(t_, &g, model, ins, 1, &opts, &in);
            const struct tensor_value *got = ip ? interp_value(ip, g.outputs[0]) : NULL;
            /* exact sums differ from ORT's saturated ones only for uint8 x with int8 w */
            bool u8s8 = g.n_nodes == 1 && g.nodes[0].n_inputs > 3 &&
                        g.tensors[g.nodes[0].inputs[0]].dtype == DTYPE_U8 &&
                        g.tensors[g.nodes[0].inputs[3]].dtype == DTYPE_S8;
            char msg[200];
            if (ip && !got)
                test_fail(t_, __FILE__, __LINE__, "%s: no output", base);
            else if (got && (emulate || !u8s8) && !same_value(got, &want, msg, sizeof msg))
                test_fail(t_, __FILE__, __LINE__, "%s (emulate %d): %s", base, emulate, msg);
            interp_free(ip);
            interp_inputs_release(&in);
            graph_release(&g);
        }
        mem_free(want.data);
        n++;
    }
    closedir(d);
    CHECK(n >= 23);
}

/* ---- fast kernels against ref/ ---- */

/* xorshift, fixed seed: deterministic */
static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

TEST(interp, fast_int8_conv_equals_ref_in_every_mode)
{
    uint32_t seed = 12345;
    static const enum ref_round rounds[] = {REF_ROUND_CMSIS_DOUBLE, REF_ROUND_CMSIS_SINGLE,
                                            REF_ROUND_TVM_UPWARD};
    for (int iter = 0; iter < 60; iter++) {
        int32_t groups = (int32_t)(1 + rnd(&seed) % 3), cg = (int32_t)(1 + rnd(&seed) % 4);
        int32_t mg = (int32_t)(1 + rnd(&seed) % 6);
        if (iter % 5 == 0) {    /* depthwise */
            cg = 1;
            groups = (int32_t)(2 + rnd(&seed) % 6);
        }
        int32_t C = groups * cg, M = groups * mg;
        int32_t H = (int32_t)(3 + rnd(&seed) % 9), W = (int32_t)(3 + rnd(&seed) % 9);
        int32_t KH = (int32_t)(1 + rnd(&seed) % 3), KW = (int32_t)(1 + rnd(&seed) % 3);
        int32_t sh = (int32_t)(1 + rnd(&seed) % 2), sw = (int32_t)(1 + rnd(&seed) % 2);
        int32_t dh = (int32_t)(1 + rnd(&seed) % 2), dw = (int32_t)(1 + rnd(&seed) % 2);
        int32_t pt = (int32_t)(rnd(&seed) % 2), pl = (int32_t)(rnd(&seed) % 2),
                pb = (int32_t)(rnd(&seed) % 2), pr = (int32_t)(rnd(&seed) % 2);
        int32_t OH = (H + pt + pb - dh * (KH - 1) - 1) / sh + 1;
        int32_t OW = (W + pl + pr - dw * (KW - 1) - 1) / sw + 1;
        if (OH < 1 || OW < 1)
            continue;
        size_t nx = (size_t)(C * H * W), nw = (size_t)(M * cg * KH * KW),
               no = (size_t)(M * OH * OW);
        int8_t *x = mem_alloc(nx), *w = mem_alloc(nw), *o1 = mem_alloc(no), *o2 = mem_alloc(no);
        int32_t *bias = mem_alloc((size_t)M * 4), *mult = mem_alloc((size_t)M * 4),
                *shift = mem_alloc((size_t)M * 4);
        REQUIRE(x && w && o1 && o2 && bias && mult && shift);
        for (size_t i = 0; i < nx; i++)
            x[i] = (int8_t)(rnd(&seed) & 0xff);
        for (size_t i = 0; i < nw; i++)
            w[i] = (int8_t)(rnd(&seed) & 0xff);
        for (int32_t m = 0; m < M; m++) {
            bias[m] = (int32_t)(rnd(&seed) % 20001) - 10000;
            interp_multiplier_tvm(0.0001 + (rnd(&seed) % 1000) * 1e-5, &mult[m], &shift[m]);
        }
        int32_t in_zp = (int32_t)(rnd(&seed) % 41) - 20, out_zp = (int32_t)(rnd(&seed) % 21) - 10;
        enum ref_round rr = rounds[iter % 3];
        struct ref_conv2d_params p = {
            .layout = REF_LAYOUT_NCHW, .groups = groups, .stride_h = sh, .stride_w = sw,
            .dilation_h = dh, .dilation_w = dw, .pad_top = pt, .pad_left = pl,
            .pad_bottom = pb, .pad_right = pr, .in_zp = in_zp, .w_zp = NULL, .n_w_zp = 1,
            .rq = {.round = rr, .n = (size_t)M, .mult = mult, .shift = shift,
                   .out_zp = out_zp, .act_min = -128, .act_max = 127},
        };
        struct ref_shape xs = {4, {1, C, H, W}}, ws = {4, {M, cg, KH, KW}}, bs = {1, {M}},
                         os = {4, {1, M, OH, OW}};
        CHECK_EQ_INT(ref_conv2d_s8(&p, &xs, x, &ws, w, &bs, bias, &os, o1), REF_OK);
        int32_t *wz = mem_calloc((size_t)M, 4);
        struct interp_requant rq = {
            .arith = rr == REF_ROUND_TVM_UPWARD ? INTERP_ARITH_TVM : INTERP_ARITH_TFLM,
            .single_rounding = rr == REF_ROUND_CMSIS_SINGLE, .n = (size_t)M, .mult = mult,
            .shift = shift, .zp = out_zp, .qmin = -128, .qmax = 127,
        };
        struct interp_kbuf kb[INTERP_N_KBUF] = {{0}};
        struct interp_qconv qc = {
            .geom = {.in = {1, (size_t)H, (size_t)W}, .out = {1, (size_t)OH, (size_t)OW},
                     .k = {1, (size_t)KH, (size_t)KW}, .s = {1, (size_t)sh, (size_t)sw},
                     .d = {1, (size_t)dh, (size_t)dw}, .pb = {0, (size_t)pt, (size_t)pl}},
            .n = 1, .c = (size_t)C, .m = (size_t)M, .groups = (size_t)groups, .x = x,
            .x_signed = true, .x_zp = in_zp, .w = w, .w_signed = true, .w_zp = wz,
            .bias = bias, .rq = &rq, .out = o2, .out_signed = true, .scratch = kb,
        };
        struct errbuf eb;
        errbuf_init(&eb);
        CHECK_EQ_INT(interp_k_conv_q8(&qc, &eb), 0);
        CHECK_MEM(o2, o1, no);
        for (int i = 0; i < INTERP_N_KBUF; i++)
            interp_kbuf_release(&kb[i]);
        mem_free(x);
        mem_free(w);
        mem_free(o1);
        mem_free(o2);
        mem_free(bias);
        mem_free(mult);
        mem_free(shift);
        mem_free(wz);
    }
}

/*
 * The fast paths at real-model sizes: 16-pixel GEMM blocks with ragged ends (P = 49, 225),
 * several channel blocks, odd tap counts, depthwise phase planes for strides 1-3 with
 * dilation and padding, uint8 data with per-channel weight zero points, against ref/.
 */
TEST(interp, fast_int8_conv_equals_ref_at_model_sizes)
{
    static const struct {
        int32_t C, M, groups, H, W, KH, KW, s, d, pad;
        bool u8;
    } cases[] = {
        {58, 58, 1, 28, 28, 1, 1, 1, 1, 0, false},     /* pointwise, P = 784 */
        {232, 70, 1, 7, 7, 1, 1, 1, 1, 0, true},       /* pointwise, P = 49 */
        {464, 130, 1, 3, 3, 3, 3, 1, 1, 1, false},     /* K2 = 2088: two channel blocks */
        {464, 128, 1, 3, 3, 3, 3, 1, 1, 1, true},      /* ... ending in groups of 4 + 4 */
        {116, 116, 1, 14, 14, 1, 1, 1, 1, 0, false},   /* groups of 6 and a last 2 */
        {24, 14, 1, 5, 10, 1, 1, 1, 1, 0, false},      /* P = 50: two pixels left over */
        {9, 3, 1, 7, 7, 1, 1, 1, 1, 0, true},          /* P = 49, groups of 2 and 1 */
        {16, 16, 1, 15, 15, 3, 3, 1, 1, 1, true},      /* direct with padding */
        {3, 24, 1, 33, 33, 3, 3, 2, 1, 1, true},       /* im2col, K = 27 */
        {10, 6, 2, 17, 11, 2, 3, 2, 2, 1, false},      /* grouped, strided, dilated */
        {8, 12, 1, 15, 15, 1, 1, 2, 1, 0, false},      /* pointwise, stride 2: one phase */
        {6, 10, 2, 14, 13, 3, 3, 3, 1, 1, true},       /* stride 3: im2col */
        {58, 58, 58, 28, 28, 3, 3, 1, 1, 1, true},     /* depthwise stride 1 */
        {58, 58, 58, 56, 56, 3, 3, 2, 1, 1, true},     /* depthwise stride 2 */
        {24, 24, 24, 14, 14, 3, 3, 2, 1, 1, false},
        {7, 7, 7, 13, 9, 5, 5, 2, 2, 2, false},        /* dilated */
        {5, 5, 5, 7, 20, 1, 3, 3, 1, 0, true},         /* stride 3 */
        {4, 4, 4, 7, 7, 9, 9, 1, 1, 4, false},         /* 81 taps: the fallback */
    };
    uint32_t seed = 4242;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int32_t C = cases[ci].C, M = cases[ci].M, G = cases[ci].groups, H = cases[ci].H,
                W = cases[ci].W, KH = cases[ci].KH, KW = cases[ci].KW, st = cases[ci].s,
                dl = cases[ci].d, pd = cases[ci].pad, cg = C / G;
        bool u8 = cases[ci].u8;
        int32_t OH = (H + 2 * pd - dl * (KH - 1) - 1) / st + 1;
        int32_t OW = (W + 2 * pd - dl * (KW - 1) - 1) / st + 1;
        size_t nx = (size_t)(C * H * W), nw = (size_t)(M * cg * KH * KW),
               no = (size_t)(M * OH * OW);
        uint8_t *x = mem_alloc(nx), *w = mem_alloc(nw), *o1 = mem_alloc(no), *o2 = mem_alloc(no);
        int32_t *bias = mem_alloc((size_t)M * 4), *mult = mem_alloc((size_t)M * 4),
                *shift = mem_alloc((size_t)M * 4), *wz = mem_calloc((size_t)M, 4);
        REQUIRE(x && w && o1 && o2 && bias && mult && shift && wz);
        for (size_t i = 0; i < nx; i++)
            x[i] = (uint8_t)rnd(&seed);
        for (size_t i = 0; i < nw; i++)
            w[i] = (uint8_t)rnd(&seed);
        for (int32_t m = 0; m < M; m++) {
            bias[m] = (int32_t)(rnd(&seed) % 20001) - 10000;
            interp_multiplier_tflite(0.00002 + (rnd(&seed) % 1000) * 1e-6, &mult[m], &shift[m]);
            wz[m] = u8 ? (int32_t)(rnd(&seed) % 256) : 0;
        }
        int32_t in_zp = u8 ? (int32_t)(rnd(&seed) % 256) : (int32_t)(rnd(&seed) % 256) - 128;
        int32_t out_zp = (int32_t)(rnd(&seed) % 21) - 10 + (u8 ? 128 : 0);
        int32_t lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
        struct ref_conv2d_params p = {
            .layout = REF_LAYOUT_NCHW, .groups = G, .stride_h = st, .stride_w = st,
            .dilation_h = dl, .dilation_w = dl, .pad_top = pd, .pad_left = pd,
            .pad_bottom = pd, .pad_right = pd, .in_zp = in_zp, .w_zp = wz, .n_w_zp = (size_t)M,
            .rq = {.round = REF_ROUND_CMSIS_DOUBLE, .n = (size_t)M, .mult = mult, .shift = shift,
                   .out_zp = out_zp, .act_min = lo, .act_max = hi},
        };
        struct ref_shape xs = {4, {1, C, H, W}}, ws = {4, {M, cg, KH, KW}}, bs = {1, {M}},
                         os = {4, {1, M, OH, OW}};
        if (u8)
            CHECK_EQ_INT(ref_conv2d_u8(&p, &xs, x, &ws, w, &bs, bias, &os, o1), REF_OK);
        else
            CHECK_EQ_INT(ref_conv2d_s8(&p, &xs, (const int8_t *)x, &ws, (const int8_t *)w, &bs,
                                       bias, &os, (int8_t *)o1), REF_OK);
        struct interp_requant rq = {
            .arith = INTERP_ARITH_TFLM, .n = (size_t)M, .mult = mult, .shift = shift,
            .zp = out_zp, .qmin = lo, .qmax = hi,
        };
        struct interp_kbuf kb[INTERP_N_KBUF] = {{0}};
        void *cache = NULL;
        struct interp_qconv qc = {
            .geom = {.in = {1, (size_t)H, (size_t)W}, .out = {1, (size_t)OH, (size_t)OW},
                     .k = {1, (size_t)KH, (size_t)KW}, .s = {1, (size_t)st, (size_t)st},
                     .d = {1, (size_t)dl, (size_t)dl}, .pb = {0, (size_t)pd, (size_t)pd}},
            .n = 1, .c = (size_t)C, .m = (size_t)M, .groups = (size_t)G, .x = x,
            .x_signed = !u8, .x_zp = in_zp, .w = w, .w_signed = !u8, .w_zp = wz,
            .bias = bias, .rq = &rq, .out = o2, .out_signed = !u8, .scratch = kb,
            .cache = &cache,
        };
        struct errbuf eb;
        errbuf_init(&eb);
        /* twice: the second run takes the cached weights and reused scratch */
        for (int rep = 0; rep < 2; rep++) {
            memset(o2, 0x5a, no);
            CHECK_EQ_INT(interp_k_conv_q8(&qc, &eb), 0);
            if (memcmp(o2, o1, no) != 0) {
                size_t i = 0;
                while (o2[i] == o1[i])
                    i++;
                test_fail(t_, __FILE__, __LINE__, "case %zu run %d: output %zu is %d, ref %d",
                          ci, rep, i, o2[i], o1[i]);
                break;
            }
        }
        for (int i = 0; i < INTERP_N_KBUF; i++)
            interp_kbuf_release(&kb[i]);
        mem_free(cache);
        mem_free(x);
        mem_free(w);
        mem_free(o1);
        mem_free(o2);
        mem_free(bias);
        mem_free(mult);
        mem_free(shift);
        mem_free(wz);
    }
}

/*
 * The vectorised TFLite output stage at its edges: accumulators near INT32_MIN/MAX and on
 * rounding ties, shifts 0 and -31, the largest multiplier, through a 1x1 convolution whose
 * accumulator is bias + x (weight 1), against ref/.
 */
TEST(interp, fast_tflm_output_stage_edges_equal_ref)
{
    static const int32_t biases[] = {INT32_MIN + 128, INT32_MAX - 127, 0, 64, -64, 1 << 20,
                                     -(1 << 20), 12345678, -12345678};
    static const int32_t shifts[] = {0, -1, -7, -8, -15, -30, -31};
    static const int32_t mults[] = {INT32_MAX, 1 << 30, 1518500250, 1073741825};
    enum { NB = 9, NS = 7, NM = 4, M = NB * NS * NM, P = 256 + 37 };
    int8_t x[P], w[M], o1[M * P], o2[M * P];
    int32_t bias[M], mult[M], shift[M], wz[M] = {0};
    for (int p = 0; p < P; p++)
        x[p] = (int8_t)(p - 128);
    for (int m = 0; m < M; m++) {
        w[m] = 1;
        bias[m] = biases[m % NB];
        shift[m] = shifts[(m / NB) % NS];
        mult[m] = mults[m / (NB * NS)];
    }
    struct ref_conv2d_params p = {
        .layout = REF_LAYOUT_NCHW, .groups = 1, .stride_h = 1, .stride_w = 1, .dilation_h = 1,
        .dilation_w = 1, .in_zp = 0, .w_zp = NULL, .n_w_zp = 1,
        .rq = {.round = REF_ROUND_CMSIS_DOUBLE, .n = M, .mult = mult, .shift = shift,
               .out_zp = -3, .act_min = -128, .act_max = 127},
    };
    struct ref_shape xs = {4, {1, 1, 1, P}}, ws = {4, {M, 1, 1, 1}}, bs = {1, {M}},
                     os = {4, {1, M, 1, P}};
    CHECK_EQ_INT(ref_conv2d_s8(&p, &xs, x, &ws, w, &bs, bias, &os, o1), REF_OK);
    struct interp_requant rq = {
        .arith = INTERP_ARITH_TFLM, .n = M, .mult = mult, .shift = shift, .zp = -3,
        .qmin = -128, .qmax = 127,
    };
    struct interp_kbuf kb[INTERP_N_KBUF] = {{0}};
    struct interp_qconv qc = {
        .geom = {.in = {1, 1, P}, .out = {1, 1, P}, .k = {1, 1, 1}, .s = {1, 1, 1},
                 .d = {1, 1, 1}},
        .n = 1, .c = 1, .m = M, .groups = 1, .x = x, .x_signed = true, .w = w,
        .w_signed = true, .w_zp = wz, .bias = bias, .rq = &rq, .out = o2, .out_signed = true,
        .scratch = kb,
    };
    struct errbuf eb;
    errbuf_init(&eb);
    CHECK_EQ_INT(interp_k_conv_q8(&qc, &eb), 0);
    CHECK_MEM(o2, o1, sizeof o1);
    for (int i = 0; i < INTERP_N_KBUF; i++)
        interp_kbuf_release(&kb[i]);
}

/*
 * Float convolutions through the phase-plane path (strides 1-3, dilation, groups, padding,
 * more than 256 taps) against ref/'s plain tap-order sums: the fast path fuses its
 * multiply-adds as ONNX Runtime does, so the two agree to rounding, not bit for bit (the
 * bit-exact check is the ORT comparison of the real models).
 */
TEST(interp, fast_float_conv_agrees_with_ref)
{
    static const struct {
        int32_t C, M, groups, H, W, KH, KW, s, d, pad;
    } cases[] = {
        {16, 16, 1, 32, 32, 3, 3, 1, 1, 1}, {16, 32, 1, 32, 32, 3, 3, 2, 1, 1},
        {16, 32, 1, 32, 32, 1, 1, 2, 1, 0}, {6, 9, 3, 13, 17, 3, 2, 3, 2, 2},
        {40, 7, 1, 9, 9, 3, 3, 1, 1, 0},    {3, 5, 1, 20, 7, 5, 5, 2, 1, 2},
    };
    uint32_t seed = 99;
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        int32_t C = cases[ci].C, M = cases[ci].M, G = cases[ci].groups, H = cases[ci].H,
                W = cases[ci].W, KH = cases[ci].KH, KW = cases[ci].KW, st = cases[ci].s,
                dl = cases[ci].d, pd = cases[ci].pad, cg = C / G;
        int32_t OH = (H + 2 * pd - dl * (KH - 1) - 1) / st + 1;
        int32_t OW = (W + 2 * pd - dl * (KW - 1) - 1) / st + 1;
        size_t nx = (size_t)(C * H * W), nw = (size_t)(M * cg * KH * KW),
               no = (size_t)(M * OH * OW);
        float *x = mem_alloc(nx * 4), *w = mem_alloc(nw * 4), *b = mem_alloc((size_t)M * 4);
        float *o1 = mem_alloc(no * 4), *o2 = mem_alloc(no * 4);
        REQUIRE(x && w && b && o1 && o2);
        for (size_t i = 0; i < nx; i++)
            x[i] = (float)((int32_t)(rnd(&seed) % 2001) - 1000) / 500.0f;
        for (size_t i = 0; i < nw; i++)
            w[i] = (float)((int32_t)(rnd(&seed) % 2001) - 1000) / 700.0f;
        for (int32_t m = 0; m < M; m++)
            b[m] = (float)((int32_t)(rnd(&seed) % 201) - 100) / 50.0f;
        struct ref_conv2d_f32_params p = {
            .geo = {.layout = REF_LAYOUT_NCHW, .groups = G, .stride_h = st, .stride_w = st,
                    .dilation_h = dl, .dilation_w = dl, .pad_top = pd, .pad_left = pd,
                    .pad_bottom = pd, .pad_right = pd},
            .act_min = -INFINITY, .act_max = INFINITY,
        };
        struct ref_shape xs = {4, {1, C, H, W}}, ws = {4, {M, cg, KH, KW}}, bs = {1, {M}},
                         os = {4, {1, M, OH, OW}};
        CHECK_EQ_INT(ref_conv2d_f32(&p, &xs, x, &ws, w, &bs, b, &os, o1), REF_OK);
        struct interp_kgeom g = {
            .in = {1, (size_t)H, (size_t)W}, .out = {1, (size_t)OH, (size_t)OW},
            .k = {1, (size_t)KH, (size_t)KW}, .s = {1, (size_t)st, (size_t)st},
            .d = {1, (size_t)dl, (size_t)dl}, .pb = {0, (size_t)pd, (size_t)pd},
        };
        struct errbuf eb;
        errbuf_init(&eb);
        CHECK_EQ_INT(interp_k_conv_f32(&g, 1, (size_t)C, (size_t)M, (size_t)G, x, w, b, o2, &eb),
                     0);
        size_t bad = 0;
        for (size_t i = 0; i < no; i++)
            bad += fabsf(o1[i] - o2[i]) > 1e-4f * (1.0f + fabsf(o1[i]));
        if (bad)
            test_fail(t_, __FILE__, __LINE__, "case %zu: %zu of %zu outputs differ", ci, bad,
                      no);
        mem_free(x);
        mem_free(w);
        mem_free(b);
        mem_free(o1);
        mem_free(o2);
    }
}

/*
 * A 3-D convolution over a depth of 1 padded along depth (ONNX allows it): the output has 3
 * depth slices, the outer two seeing only padding. The 2-D fast paths must not take it for a
 * 2-D one: the middle slice equals the 2-D convolution, the outer ones the bias alone.
 */
TEST(interp, fast_int8_conv_with_depth_padding_is_not_taken_for_2d)
{
    enum { C = 4, M = 6, H = 9, W = 9, K = 3, OD = 3, P = H * W };
    uint32_t seed = 31;
    int8_t x[C * H * W], w[M * C * K * K], o2d[M * P], o3d[M * OD * P], obias[M * P];
    int8_t zero_w[M * C * K * K] = {0};
    int32_t bias[M], mult[M], shift[M], wz[M] = {0};
    for (size_t i = 0; i < sizeof x; i++)
        x[i] = (int8_t)rnd(&seed);
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = (int8_t)rnd(&seed);
    for (int m = 0; m < M; m++) {
        bias[m] = (int32_t)(rnd(&seed) % 2001) - 1000;
        interp_multiplier_tflite(0.001 + m * 0.0005, &mult[m], &shift[m]);
    }
    struct ref_conv2d_params p = {
        .layout = REF_LAYOUT_NCHW, .groups = 1, .stride_h = 1, .stride_w = 1, .dilation_h = 1,
        .dilation_w = 1, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1,
        .in_zp = 3, .n_w_zp = 1,
        .rq = {.round = REF_ROUND_CMSIS_DOUBLE, .n = M, .mult = mult, .shift = shift,
               .out_zp = -2, .act_min = -128, .act_max = 127},
    };
    struct ref_shape xs = {4, {1, C, H, W}}, ws = {4, {M, C, K, K}}, bs = {1, {M}},
                     os = {4, {1, M, H, W}};
    CHECK_EQ_INT(ref_conv2d_s8(&p, &xs, x, &ws, w, &bs, bias, &os, o2d), REF_OK);
    CHECK_EQ_INT(ref_conv2d_s8(&p, &xs, x, &ws, zero_w, &bs, bias, &os, obias), REF_OK);
    struct interp_requant rq = {
        .arith = INTERP_ARITH_TFLM, .n = M, .mult = mult, .shift = shift, .zp = -2,
        .qmin = -128, .qmax = 127,
    };
    struct interp_kbuf kb[INTERP_N_KBUF] = {{0}};
    struct interp_qconv qc = {
        .geom = {.in = {1, H, W}, .out = {OD, H, W}, .k = {1, K, K}, .s = {1, 1, 1},
                 .d = {1, 1, 1}, .pb = {1, 1, 1}},
        .n = 1, .c = C, .m = M, .groups = 1, .x = x, .x_signed = true, .x_zp = 3, .w = w,
        .w_signed = true, .w_zp = wz, .bias = bias, .rq = &rq, .out = o3d, .out_signed = true,
        .scratch = kb,
    };
    struct errbuf eb;
    errbuf_init(&eb);
    CHECK_EQ_INT(interp_k_conv_q8(&qc, &eb), 0);
    for (int m = 0; m < M; m++) {
        CHECK_MEM(o3d + (m * OD + 0) * P, obias + m * P, P);
        CHECK_MEM(o3d + (m * OD + 1) * P, o2d + m * P, P);
        CHECK_MEM(o3d + (m * OD + 2) * P, obias + m * P, P);
    }
    /* stride 2 along depth with one leading pad: a single output depth, all padding */
    qc.geom.out[0] = 1;
    qc.geom.s[0] = 2;
    CHECK_EQ_INT(interp_k_conv_q8(&qc, &eb), 0);
    CHECK_MEM(o3d, obias, sizeof obias);
    for (int i = 0; i < INTERP_N_KBUF; i++)
        interp_kbuf_release(&kb[i]);
}

TEST(interp, fast_tflm_add_equals_ref)
{
    uint32_t seed = 777;
    for (int iter = 0; iter < 40; iter++) {
        size_t n = 1 + rnd(&seed) % 300;
        int8_t a[300], b[300], o1[300], o2[300];
        for (size_t i = 0; i < n; i++) {
            a[i] = (int8_t)(rnd(&seed) & 0xff);
            b[i] = (int8_t)(rnd(&seed) & 0xff);
        }
        double s1 = 0.01 + (rnd(&seed) % 100) * 1e-3, s2 = 0.01 + (rnd(&seed) % 100) * 1e-3;
        double so = 0.02 + (rnd(&seed) % 100) * 1e-3, tm = 2.0 * (s1 > s2 ? s1 : s2);
        int32_t m[3], sh[3], zp[3] = {(int32_t)(rnd(&seed) % 21) - 10,
                                      (int32_t)(rnd(&seed) % 21) - 10,
                                      (int32_t)(rnd(&seed) % 21) - 10};
        interp_multiplier_tflite(s1 / tm, &m[0], &sh[0]);
        interp_multiplier_tflite(s2 / tm, &m[1], &sh[1]);
        interp_multiplier_tflite(tm / ((1 << 20) * so), &m[2], &sh[2]);
        struct ref_add_params p = {
            .round = REF_ROUND_CMSIS_DOUBLE, .in1_zp = zp[0], .in2_zp = zp[1], .out_zp = zp[2],
            .left_shift = 20, .in1_mult = m[0], .in1_shift = sh[0], .in2_mult = m[1],
            .in2_shift = sh[1], .out_mult = m[2], .out_shift = sh[2], .act_min = -128,
            .act_max = 127,
        };
        struct ref_shape s = {1, {(int32_t)n}};
        CHECK_EQ_INT(ref_add_s8(&p, &s, a, &s, b, &s, o1), REF_OK);
        interp_k_add_q8_tflm(a, b, o2, true, n, m, sh, zp, 20, -128, 127);
        CHECK_MEM(o2, o1, n);
    }
}

/* ---- modes, plan, commands ---- */

TEST(interp, integer_modes_lower_qdq_layers_and_report_their_arithmetic)
{
    const char *ins[] = {MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/inputs/cifar10_calib_image_0.npy"};
    for (int a = INTERP_ARITH_TFLM; a <= INTERP_ARITH_TVM; a++) {
        struct graph g;
        graph_init(&g);
        struct interp_inputs in = {0};
        struct interp_options opts = {.arith = (enum interp_arith)a,
                                      .dump = INTERP_DUMP_LAYERS, .capture = true};
        struct interp *ip = run_model(t_, &g, MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/model.onnx",
                                      ins, 1, &opts, &in);
        REQUIRE(ip != NULL);
        int n_conv = 0, n_lowered = 0;
        for (size_t l = 0; l < g.n_layers; l++) {
            const struct layer *L = &g.layers[l];
            enum interp_arith used = interp_layer_arith(ip, (int)l);
            if (L->kind == LAYER_QDQ && strcmp(L->op, "Conv") == 0) {
                n_conv++;
                CHECK_EQ_INT(used, a);
            }
            if (L->kind == LAYER_FLOAT)
                CHECK_EQ_INT(used, INTERP_ARITH_ONNX);
            n_lowered += (int)used == a;
            /* every layer output exists and is int8 for lowered layers */
            const struct tensor_value *v = interp_value(ip, L->outputs[0]);
            CHECK(v != NULL);
            if (v && (int)used == a)
                CHECK_EQ_INT(v->dtype, DTYPE_S8);
        }
        CHECK_EQ_INT(n_conv, 9);
        CHECK(n_lowered >= 12);
        /* the output is a probability vector */
        const struct tensor_value *out = interp_value(ip, g.outputs[0]);
        REQUIRE(out && out->dtype == DTYPE_F32 && interp_elems(out) == 10);
        double sum = 0;
        for (size_t i = 0; i < 10; i++)
            sum += interp_get_f(out, i);
        CHECK_NEAR(sum, 1.0, 1e-3);
        interp_free(ip);
        interp_inputs_release(&in);
        graph_release(&g);
    }
}

TEST(interp, per_layer_mode_onnx_everywhere_equals_onnx_mode)
{
    const char *ins[] = {MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/inputs/cifar10_calib_image_1.npy"};
    struct graph g1, g2;
    graph_init(&g1);
    graph_init(&g2);
    struct interp_inputs in1 = {0}, in2 = {0};
    struct interp_options o1 = {.arith = INTERP_ARITH_ONNX, .capture = true};
    struct interp *ip1 = run_model(t_, &g1, MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/model.onnx",
                                   ins, 1, &o1, &in1);
    REQUIRE(ip1 != NULL);
    struct interp_layer_params *lp = mem_calloc(g1.n_layers, sizeof *lp);
    REQUIRE(lp != NULL);
    for (size_t l = 0; l < g1.n_layers; l++)
        lp[l].arith = INTERP_ARITH_ONNX;
    /* default TFLM, but every layer overridden back to ONNX */
    struct interp_options o2 = {.arith = INTERP_ARITH_TFLM, .capture = true, .layer_params = lp};
    struct interp *ip2 = run_model(t_, &g2, MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/model.onnx",
                                   ins, 1, &o2, &in2);
    REQUIRE(ip2 != NULL);
    for (size_t l = 0; l < g1.n_layers; l++) {
        const struct tensor_value *a = interp_value(ip1, g1.layers[l].outputs[0]);
        const struct tensor_value *b = interp_value(ip2, g2.layers[l].outputs[0]);
        REQUIRE(a && b);
        CHECK_EQ_INT(a->bytes, b->bytes);
        if (a->bytes == b->bytes)
            CHECK_MEM(b->data, a->data, a->bytes);
    }
    interp_free(ip1);
    interp_free(ip2);
    mem_free(lp);
    interp_inputs_release(&in1);
    interp_inputs_release(&in2);
    graph_release(&g1);
    graph_release(&g2);
}

TEST(interp, without_capture_intermediates_are_freed_and_outputs_kept)
{
    const char *ins[] = {MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/inputs/cifar10_calib_image_2.npy"};
    struct graph g;
    graph_init(&g);
    struct interp_inputs in = {0};
    struct interp_options opts = {.arith = INTERP_ARITH_ONNX};
    struct interp *ip = run_model(t_, &g, MODEL_DIR "/mlperf-tiny-ic-resnet8-qdq/model.onnx",
                                  ins, 1, &opts, &in);
    REQUIRE(ip != NULL);
    CHECK(interp_value(ip, g.outputs[0]) != NULL);
    CHECK(interp_value(ip, g.layers[5].outputs[0]) == NULL);
    interp_free(ip);
    interp_inputs_release(&in);
    graph_release(&g);
}

TEST(interp, cli_run_writes_index_and_npy_files)
{
    const char *dir = test_tmpdir(t_);
    char args[1024];
    snprintf(args, sizeof args,
             "run " MODEL_DIR "/tract-qtdnn-10x5-qop/model.onnx --input "
             MODEL_DIR "/tract-qtdnn-10x5-qop/input.npy --dump all -o %s", dir);
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli(args, &out, &err), 0);
    CHECK_EQ_STR(sbuf_str(&err), "");   /* no progress bar when stderr is not a terminal */
    char path[512];
    snprintf(path, sizeof path, "%s/index.json", dir);
    size_t bytes;
    char *text = (char *)test_read_file(path, &bytes);
    REQUIRE(text != NULL);
    cJSON *idx = cJSON_ParseWithLength(text, bytes);
    mem_free(text);
    REQUIRE(idx != NULL);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(idx, "arith")), "onnx");
    const cJSON *ts = cJSON_GetObjectItem(idx, "tensors");
    CHECK_EQ_INT(cJSON_GetArraySize(ts), 10);     /* one per node */
    const cJSON *last = cJSON_GetArrayItem(ts, cJSON_GetArraySize(ts) - 1);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(last, "name")), "output");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(last, "dtype")), "float32");
    snprintf(path, sizeof path, "%s/%s", dir,
             cJSON_GetStringValue(cJSON_GetObjectItem(last, "file")));
    struct tensor_value v;
    struct errbuf eb;
    errbuf_init(&eb);
    CHECK_EQ_INT(npy_read_file(path, &v, &eb), 0);
    CHECK_EQ_INT(v.rank, 2);
    mem_free(v.data);
    cJSON_Delete(idx);
    sbuf_release(&out);
    sbuf_release(&err);
}

TEST(interp, cli_raw_input_and_errors)
{
    const char *dir = test_tmpdir(t_);
    /* a raw .bin of the tract input (10x10 float32) */
    struct tensor_value v;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(npy_read_file(MODEL_DIR "/tract-qrelu_1/input.npy", &v, &eb) == 0);
    char bin[512], args[1024];
    snprintf(bin, sizeof bin, "%s/in.bin", dir);
    REQUIRE(fileio_write(bin, v.data, v.bytes, &eb) == 0);
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    snprintf(args, sizeof args,
             "run " MODEL_DIR "/tract-qrelu_1/model.onnx -i input=%s --input-dtype float32 "
             "--input-shape %lldx%lld --dump outputs -o %s/out", bin, (long long)v.dims[0],
             (long long)v.dims[1], dir);
    CHECK_EQ_INT(test_cli(args, &out, &err), 0);
    mem_free(v.data);
    /* wrong size for the given shape */
    snprintf(args, sizeof args,
             "run " MODEL_DIR "/tract-qrelu_1/model.onnx -i %s --input-dtype float32 "
             "--input-shape 3x3 -o %s/out2", bin, dir);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli(args, &out, &err), 2);
    CHECK(strstr(sbuf_str(&err), "in.bin") != NULL);
    /* unknown input name, bad mode, missing -o */
    snprintf(args, sizeof args, "run " MODEL_DIR "/tract-qrelu_1/model.onnx -i nosuch=%s -o %s/o3",
             bin, dir);
    CHECK_EQ_INT(test_cli(args, NULL, NULL), 2);
    CHECK_EQ_INT(test_cli("run " MODEL_DIR "/tract-qrelu_1/model.onnx -i x.npy --arith fast -o d",
                          NULL, NULL), 2);
    CHECK_EQ_INT(test_cli("run " MODEL_DIR "/tract-qrelu_1/model.onnx -i x.npy", NULL, NULL), 2);
    sbuf_release(&out);
    sbuf_release(&err);
}

TEST(interp, cli_bench_json)
{
    struct sbuf out;
    sbuf_init(&out);
    CHECK_EQ_INT(test_cli("bench " MODEL_DIR "/tract-qtdnn-10x5-qop/model.onnx -i "
                          MODEL_DIR "/tract-qtdnn-10x5-qop/input.npy --arith tflm -n 3 --json",
                          &out, NULL), 0);
    cJSON *j = cJSON_Parse(sbuf_str(&out));
    REQUIRE(j != NULL);
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(j, "load_ms")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(j, "run_ms_median")));
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(j, "runs")), 3);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "arith")), "tflm");
    cJSON_Delete(j);
    sbuf_release(&out);
}

TEST(interp, allocation_faults_fail_cleanly)
{
    const char *ins[] = {MODEL_DIR "/tract-qtdnn-10x5-qop/input.npy"};
    struct graph g;
    graph_init(&g);
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(model_load(&g, MODEL_DIR "/tract-qtdnn-10x5-qop/model.onnx", NULL, &eb) == 0);
    for (long k = 0; k < 400; k++) {
        errbuf_init(&eb);
        struct interp_inputs in = {0};
        struct interp *ip = NULL;
        struct interp_options opts = {.arith = INTERP_ARITH_TFLM, .capture = true};
        mem_fail_after(k);
        int rc = interp_inputs_load(&g, 1, ins, DTYPE_UNKNOWN, 0, NULL, &in, &eb);
        if (!rc)
            rc = interp_new(&g, &opts, &ip, &eb);
        if (!rc)
            rc = interp_inputs_bind(ip, &in, &eb);
        if (!rc)
            rc = interp_run(ip, &eb);
        long used = mem_fail_after(-1);
        interp_free(ip);
        interp_inputs_release(&in);
        if (rc == 0 && used <= k)
            break;      /* ran to the end without hitting the fault */
        CHECK(rc == 0 || rc == ST_ENOMEM);
    }
    graph_release(&g);
}
