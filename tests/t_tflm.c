/*
 * TFLite models run in the integer modes. Expected values are the MLPerf Tiny v1.0 boards'
 * printed int8 outputs (NUCLEO-L4R5ZI, OctoML cmsis_nn and native builds) and the TFLite
 * interpreter's labels and anomaly scores, all from tests/data/models/README.md; none of them
 * was computed by this project.
 */
#include "test.h"

#include <stdlib.h>

#include "../src/graph.h"
#include "../src/interp.h"
#include "../src/mem.h"
#include "../src/sbuf.h"
#include "../src/tflite.h"

#define MODELS "tests/data/models/"
#define INPUTS "tests/data/models/inputs/"

/*
 * Runs `model` on one raw input file (uint8_pixels: stored as uint8, fed as byte - 128) and
 * copies the int8 output into out[n]. Returns false (after reporting) on any failure.
 */
static bool run_model(struct test_ctx *t_, const char *model, const char *input,
                      bool uint8_pixels, enum interp_arith arith, int8_t *out, size_t n)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    struct interp *ip = NULL;
    size_t bytes = 0;
    unsigned char *data = test_read_file(input, &bytes);
    bool ok = false;
    int rc = data ? tflite_load(&g, model, NULL, &eb) : -1;
    if (rc == 0 && g.n_inputs == 1 && g.n_outputs == 1) {
        const struct tensor *in = &g.tensors[g.inputs[0]];
        size_t elems = 0;
        if (tensor_elems(in, &elems) && elems == bytes && in->dtype == DTYPE_S8) {
            if (uint8_pixels)
                for (size_t i = 0; i < bytes; i++)
                    data[i] = (unsigned char)(int8_t)((int)data[i] - 128);
            struct tensor_value v = {.dtype = DTYPE_S8, .rank = in->rank, .data = data,
                                     .bytes = bytes};
            memcpy(v.dims, in->dims, sizeof v.dims);
            struct interp_options opts = {.arith = arith, .dump = INTERP_DUMP_OUTPUTS};
            rc = interp_new(&g, &opts, &ip, &eb);
            if (rc == 0)
                rc = interp_set_input(ip, g.inputs[0], &v, &eb);
            if (rc == 0)
                rc = interp_run(ip, &eb);
            const struct tensor_value *o = rc == 0 ? interp_value(ip, g.outputs[0]) : NULL;
            if (o && o->dtype == DTYPE_S8 && o->bytes == n) {
                memcpy(out, o->data, n);
                ok = true;
            }
        }
    }
    if (!ok)
        test_fail(t_, __FILE__, __LINE__, "%s on %s: %s", model, input,
                  rc ? eb.msg : "unexpected input or output");
    interp_free(ip);
    graph_release(&g);
    mem_free(data);
    return ok;
}

static int argmax(const int8_t *v, size_t n)
{
    int best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[best])
            best = (int)i;
    return best;
}

static void check_vec(struct test_ctx *t_, const char *what, const int8_t *got,
                      const int8_t *want, size_t n)
{
    if (memcmp(got, want, n) != 0) {
        char g[256] = "", w[256] = "";
        for (size_t i = 0; i < n; i++) {
            size_t lg = strlen(g), lw = strlen(w);
            snprintf(g + lg, sizeof g - lg, "%d ", got[i]);
            snprintf(w + lw, sizeof w - lw, "%d ", want[i]);
        }
        test_fail(t_, __FILE__, __LINE__, "%s: got [%s] want [%s]", what, g, w);
    }
}

/* KWS (DS-CNN): the board's cmsis_nn int8 vectors, element for element. */
TEST(tflm, kws_board_vectors)
{
    static const int8_t yes[12] = {-128, -128, -128, -128, -128, -128, -128, -128, -128, 127,
                                   -128, -128};
    static const int8_t left[12] = {-128, -128, 56, -128, -125, -128, -120, -128, -126, -128,
                                    -128, -70};
    int8_t out[12];
    if (run_model(t_, MODELS "kws_ref_model.tflite", INPUTS "kws/tst_000098_Yes_9.bin", false,
                  INTERP_ARITH_TFLM, out, 12))
        check_vec(t_, "kws yes", out, yes, 12);
    if (run_model(t_, MODELS "kws_ref_model.tflite", INPUTS "kws/tst_000099_Left_2.bin", false,
                  INTERP_ARITH_TFLM, out, 12))
        check_vec(t_, "kws left", out, left, 12);
}

/*
 * IC (ResNet-8): cock_s_000054 is the divergence case: TFLite desktop says class 5, the
 * board's integer arithmetic gives class 7 with this exact vector.
 */
TEST(tflm, ic_board_vectors)
{
    static const struct {
        const char *file;
        int8_t want[10];
    } cases[] = {
        {"ic/cock_s_000054.bin", {-128, -128, -93, -117, -128, -58, -128, 11, -128, -127}},
        {"ic/walking_horse_s_001755.bin",
         {-128, -128, -128, -128, -128, -127, -128, 127, -128, -128}},
        {"ic/wapiti_s_001247.bin", {-128, -128, -128, -128, 127, -128, -128, -128, -128, -128}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, INPUTS "%s", cases[i].file);
        int8_t out[10];
        if (run_model(t_, MODELS "pretrainedResnet_quant.tflite", path, true, INTERP_ARITH_TFLM,
                      out, 10))
            check_vec(t_, cases[i].file, out, cases[i].want, 10);
    }
}

/* VWW (MobileNetV1): TFLite's labels (tflm_labels.csv); channel shifts below -31 flush to 0. */
TEST(tflm, vww_labels)
{
    static const char *const files[] = {"vww/0097.bin", "vww/0098.bin", "vww/0099.bin"};
    for (size_t i = 0; i < 3; i++) {
        char path[256];
        snprintf(path, sizeof path, INPUTS "%s", files[i]);
        int8_t out[2];
        if (run_model(t_, MODELS "vww_96_int8.tflite", path, false, INTERP_ARITH_TFLM, out, 2))
            CHECK_EQ_INT(argmax(out, 2), 1);
    }
}

/* AD (dense autoencoder): TFLite's anomaly score int(mean((in - out)^2)) over int8 values. */
TEST(tflm, ad_scores)
{
    static const struct {
        const char *file;
        long score;
    } cases[] = {{"ad01/0098.bin", 5590}, {"ad01/0099.bin", 6118}};
    for (size_t i = 0; i < 2; i++) {
        char path[256];
        snprintf(path, sizeof path, INPUTS "%s", cases[i].file);
        int8_t out[640];
        size_t bytes = 0;
        unsigned char *in = test_read_file(path, &bytes);
        REQUIRE(in && bytes == 640);
        if (run_model(t_, MODELS "ad01_int8.tflite", path, false, INTERP_ARITH_TFLM, out, 640)) {
            long long sum = 0;
            for (size_t k = 0; k < 640; k++) {
                long long d = (long long)(int8_t)in[k] - out[k];
                sum += d * d;
            }
            CHECK_EQ_INT((long)((double)sum / 640.0), cases[i].score);
        }
        mem_free(in);
    }
}

/*
 * tvm mode against the board's microtvm_native build: IC cock_s_000054 (whose native vector
 * differs from the cmsis_nn one: truncating average pool, float softmax) and the samples
 * where both builds print the same vector.
 */
TEST(tflm, tvm_native_board_vectors)
{
    static const int8_t cock[10] = {-127, -128, -11, -110, -128, -69, -128, -69, -128, -125};
    static const int8_t horse[10] = {-128, -128, -128, -128, -128, -127, -128, 127, -128, -128};
    static const int8_t yes[12] = {-128, -128, -128, -128, -128, -128, -128, -128, -128, 127,
                                   -128, -128};
    int8_t out[12];
    if (run_model(t_, MODELS "pretrainedResnet_quant.tflite", INPUTS "ic/cock_s_000054.bin",
                  true, INTERP_ARITH_TVM, out, 10))
        check_vec(t_, "ic cock native", out, cock, 10);
    if (run_model(t_, MODELS "pretrainedResnet_quant.tflite",
                  INPUTS "ic/walking_horse_s_001755.bin", true, INTERP_ARITH_TVM, out, 10))
        check_vec(t_, "ic horse native", out, horse, 10);
    if (run_model(t_, MODELS "kws_ref_model.tflite", INPUTS "kws/tst_000098_Yes_9.bin", false,
                  INTERP_ARITH_TVM, out, 12))
        check_vec(t_, "kws yes native", out, yes, 12);
}

/* Every TFLite layer reports the integer mode it ran in. */
TEST(tflm, layers_report_mode)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(tflite_load(&g, MODELS "kws_ref_model.tflite", NULL, &eb) == 0);
    struct interp *ip = NULL;
    struct interp_options opts = {.arith = INTERP_ARITH_TFLM};
    CHECK_EQ_INT(interp_new(&g, &opts, &ip, &eb), 0);
    if (ip) {
        CHECK(g.n_layers == 13);
        for (size_t l = 0; l < g.n_layers; l++)
            CHECK_EQ_INT(interp_layer_arith(ip, (int)l), INTERP_ARITH_TFLM);
    }
    interp_free(ip);
    graph_release(&g);
}

/* ONNX arithmetic is refused for a TFLite model when the run is planned. */
TEST(tflm, onnx_mode_refused)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(tflite_load(&g, MODELS "ad01_int8.tflite", NULL, &eb) == 0);
    struct interp *ip = NULL;
    struct interp_options opts = {.arith = INTERP_ARITH_ONNX};
    CHECK_EQ_INT(interp_new(&g, &opts, &ip, &eb), ST_EUNSUPPORTED);
    CHECK(ip == NULL);
    CHECK(strstr(eb.msg, "onnx arithmetic has no meaning for a TFLite model") != NULL);
    interp_free(ip);
    graph_release(&g);
}

/* The command line: run --arith tflm writes the board's vector; --arith onnx exits 2. */
TEST(tflm, cli_run)
{
    const char *dir = test_tmpdir(t_);
    char args[1024];
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    snprintf(args, sizeof args,
             "run " MODELS "kws_ref_model.tflite --input " INPUTS "kws/tst_000099_Left_2.bin "
             "--input-dtype int8 --arith tflm --dump outputs -o %s/kws",
             dir);
    CHECK_EQ_INT(test_cli(args, &out, &err), 0);
    char path[512];
    snprintf(path, sizeof path, "%s/kws/0000_Identity.npy", dir);
    size_t bytes = 0;
    unsigned char *npy = test_read_file(path, &bytes);
    static const int8_t left[12] = {-128, -128, 56, -128, -125, -128, -120, -128, -126, -128,
                                    -128, -70};
    CHECK(npy != NULL && bytes >= 12);
    if (npy && bytes >= 12)
        check_vec(t_, "cli kws left", (const int8_t *)npy + bytes - 12, left, 12);
    mem_free(npy);
    snprintf(path, sizeof path, "%s/kws/index.json", dir);
    unsigned char *index = test_read_file(path, &bytes);
    CHECK(index != NULL && strstr((const char *)index, "\"tflm\"") != NULL);
    mem_free(index);

    sbuf_reset(&err);
    snprintf(args, sizeof args,
             "run " MODELS "kws_ref_model.tflite --input " INPUTS "kws/tst_000099_Left_2.bin "
             "--input-dtype int8 --arith onnx -o %s/onnx",
             dir);
    CHECK_EQ_INT(test_cli(args, &out, &err), 2);
    CHECK(strstr(err.buf, "kws_ref_model.tflite: onnx arithmetic has no meaning for a TFLite "
                          "model; use --arith tflm or tvm") != NULL);
    sbuf_release(&out);
    sbuf_release(&err);
}

/* Without --arith, a TFLite model runs as TFLite Micro does (onnx has no meaning for it). */
TEST(tflm, cli_default_mode_is_tflm)
{
    const char *dir = test_tmpdir(t_);
    char args[512], path[600];
    struct sbuf err;
    sbuf_init(&err);
    snprintf(args, sizeof args,
             "run tests/data/models/kws_ref_model.tflite --input "
             "tests/data/models/inputs/kws/tst_000098_Yes_9.bin --input-dtype int8 "
             "--input-shape 1,49,10,1 -o %s",
             dir);
    CHECK_EQ_INT(test_cli(args, NULL, &err), 0);
    snprintf(path, sizeof path, "%s/index.json", dir);
    size_t n = 0;
    unsigned char *index = test_read_file(path, &n);
    REQUIRE(index != NULL);
    CHECK(strstr((const char *)index, "\"arith\":\t\"tflm\"") != NULL);
    mem_free(index);
    sbuf_release(&err);
}
