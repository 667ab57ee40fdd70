/*
 * TUI tests: the screen grid, each view rendered at fixed sizes and compared with goldens in
 * tests/golden/tui/ (TUI_GOLDEN_UPDATE=1 rewrites them; review the diff by eye), key
 * handling (search, next diverged layer, following edges, first differing element), tiny
 * and odd sizes, allocation failures, export, and the real binary driven through tmux.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <pthread.h>
#include <unistd.h>

#include "test.h"
#include "../src/arena.h"
#include "../src/cmd.h"
#include "../src/diff_model.h"
#include "../src/graph.h"
#include "../src/interp.h"
#include "../src/map.h"
#include "../src/mem.h"
#include "../src/mlf.h"
#include "../src/offload.h"
#include "../src/trace.h"
#include "../src/model.h"
#include "../dump/firmware/mlfscope_dump.h"
#include "../dump/npy.h"
#include "../src/sbuf.h"
#include "../views/screen.h"
#include "../views/tui.h"
#include "../views/tui_data.h"
#include "../views/tui_ref.h"
#include "../views/tui_synth.h"
#include "../views/tui_table.h"

/* MLPerf Tiny's ResNet-8 (QDQ ONNX), a CIFAR-10 image and ONNX Runtime's tensors for it. */
#define IC_DIR "tests/data/onnx-models/mlperf-tiny-ic-resnet8-qdq"
#define IC_MODEL IC_DIR "/model.onnx"
#define IC_INPUT IC_DIR "/inputs/cifar10_calib_image_0.npy"
#define IC_ORT "tests/golden/ort/mlperf-tiny-ic-resnet8-qdq-img0"

/* KWS (DS-CNN, TFLite) and the "Left" utterance: what the board's CMSIS-NN build printed. */
#define KWS_MODEL "tests/data/models/kws_ref_model.tflite"
#define KWS_LEFT "tests/data/models/inputs/kws/tst_000099_Left_2.bin"
static const int kws_left_board[12] = {-128, -128, 56, -128, -125, -128, -120, -128, -126,
                                       -128, -128, -70};
#define KWS_MLF "tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws"

/* ---- a hand-built model: the first layers of MLPerf Tiny's kws_ref_model.tflite ---- */

/* Layer names as the real flatbuffer has them (tests/data/models/README.md's model). */
#define KWS_RELU0 "functional_1/activation/Relu;functional_1/batch_normalization/" \
                  "FusedBatchNormV3;functional_1/conv2d/BiasAdd/ReadVariableOp/resource;" \
                  "functional_1/conv2d/BiasAdd;functional_1/conv2d_4/Conv2D;" \
                  "functional_1/conv2d/Conv2D1"
#define KWS_RELU1 "functional_1/activation_1/Relu;functional_1/batch_normalization_1/" \
                  "FusedBatchNormV3;functional_1/depthwise_conv2d/depthwise"
#define KWS_RELU2 "functional_1/activation_2/Relu;functional_1/batch_normalization_2/" \
                  "FusedBatchNormV3;functional_1/conv2d_1/Conv2D1"

struct kws_tensor {
    const char *name;
    enum dtype dtype;
    int rank;
    int64_t dims[4];
    bool is_const;
    size_t n_q;         /* channels of per-axis quantization; 1 = per tensor; 0 = none */
    int q_axis;
};

static const struct kws_tensor kws_tensors[] = {
    {"input_1", DTYPE_S8, 4, {1, 49, 10, 1}, false, 1, 0},
    {"functional_1/conv2d/Conv2D", DTYPE_S8, 4, {64, 10, 4, 1}, true, 64, 0},
    {"functional_1/conv2d/BiasAdd/ReadVariableOp/resource", DTYPE_S32, 1, {64}, true, 0, 0},
    {KWS_RELU0, DTYPE_S8, 4, {1, 25, 5, 64}, false, 1, 0},
    {"functional_1/depthwise_conv2d/depthwise1", DTYPE_S8, 4, {1, 3, 3, 64}, true, 64, 3},
    {"functional_1/depthwise_conv2d/BiasAdd/ReadVariableOp/resource", DTYPE_S32, 1, {64}, true,
     0, 0},
    {KWS_RELU1, DTYPE_S8, 4, {1, 25, 5, 64}, false, 1, 0},
    {"functional_1/conv2d_1/Conv2D", DTYPE_S8, 4, {64, 1, 1, 64}, true, 64, 0},
    {KWS_RELU2, DTYPE_S8, 4, {1, 25, 5, 64}, false, 1, 0},
    {"functional_1/average_pooling2d/AvgPool", DTYPE_S8, 4, {1, 1, 1, 64}, false, 1, 0},
    {"functional_1/flatten/Reshape", DTYPE_S8, 2, {1, 64}, false, 1, 0},
    {"functional_1/dense/MatMul", DTYPE_S8, 2, {12, 64}, true, 1, 0},
    {"functional_1/dense/BiasAdd", DTYPE_S8, 2, {1, 12}, false, 1, 0},
    {"Identity", DTYPE_S8, 2, {1, 12}, false, 1, 0},
};

struct kws_node {
    const char *op;
    const char *ins[3];
    const char *out;
};

static const struct kws_node kws_nodes[] = {
    {"CONV_2D", {"input_1", "functional_1/conv2d/Conv2D",
                 "functional_1/conv2d/BiasAdd/ReadVariableOp/resource"}, KWS_RELU0},
    {"DEPTHWISE_CONV_2D", {KWS_RELU0, "functional_1/depthwise_conv2d/depthwise1",
                           "functional_1/depthwise_conv2d/BiasAdd/ReadVariableOp/resource"},
     KWS_RELU1},
    {"CONV_2D", {KWS_RELU1, "functional_1/conv2d_1/Conv2D", NULL}, KWS_RELU2},
    {"AVERAGE_POOL_2D", {KWS_RELU2, NULL, NULL}, "functional_1/average_pooling2d/AvgPool"},
    {"RESHAPE", {"functional_1/average_pooling2d/AvgPool", NULL, NULL},
     "functional_1/flatten/Reshape"},
    {"FULLY_CONNECTED", {"functional_1/flatten/Reshape", "functional_1/dense/MatMul", NULL},
     "functional_1/dense/BiasAdd"},
    {"SOFTMAX", {"functional_1/dense/BiasAdd", NULL, NULL}, "Identity"},
};

#define N_KWS_TENSORS (sizeof kws_tensors / sizeof kws_tensors[0])
#define N_KWS_NODES (sizeof kws_nodes / sizeof kws_nodes[0])

static int kws_graph(struct graph *g, struct errbuf *eb)
{
    static const struct attr conv_attrs[] = {
        {.name = "padding", .type = ATTR_STRING, .s = "SAME", .s_len = 4},
        {.name = "stride_w", .type = ATTR_INT, .i = 2},
        {.name = "stride_h", .type = ATTR_INT, .i = 2},
        {.name = "fused_activation_function", .type = ATTR_STRING, .s = "RELU", .s_len = 4},
    };
    g->format = GRAPH_FORMAT_TFLITE;
    g->path = "tests/data/models/kws_ref_model.tflite";
    for (size_t i = 0; i < N_KWS_TENSORS; i++) {
        const struct kws_tensor *k = &kws_tensors[i];
        int ti = graph_tensor(g, k->name, eb);
        if (ti < 0)
            return ti;
        struct tensor *t = &g->tensors[ti];
        t->dtype = k->dtype;
        t->rank = k->rank;
        size_t n = 1;
        for (int d = 0; d < k->rank; d++) {
            t->dims[d] = k->dims[d];
            n *= (size_t)k->dims[d];
        }
        if (k->is_const) {
            size_t bytes = n * dtype_bytes(k->dtype);
            unsigned char *data = arena_alloc(&g->arena, bytes);
            if (data == NULL)
                return errbuf_set(eb, ST_ENOMEM, "out of memory");
            for (size_t b = 0; b < bytes; b++)
                data[b] = (unsigned char)((b * 29u + i * 7u) % 251u);
            t->data = data;
            t->data_bytes = bytes;
            t->flags |= TENSOR_CONST;
        }
        if (k->n_q > 0) {
            float *sc = arena_array(&g->arena, k->n_q, sizeof *sc);
            int32_t *zp = arena_array(&g->arena, k->n_q, sizeof *zp);
            if (sc == NULL || zp == NULL)
                return errbuf_set(eb, ST_ENOMEM, "out of memory");
            for (size_t c = 0; c < k->n_q; c++) {
                sc[c] = k->is_const ? 0.0005f * (float)(c % 7 + 1) : 0.0235294f;
                zp[c] = k->is_const ? 0 : -128;
            }
            t->quant = (struct quant){k->n_q, k->q_axis, sc, zp};
        }
    }
    for (size_t i = 0; i < N_KWS_NODES; i++) {
        const struct kws_node *k = &kws_nodes[i];
        int ins[3], out = graph_find_tensor(g, k->out);
        size_t n_in = 0;
        for (; n_in < 3 && k->ins[n_in] != NULL; n_in++)
            ins[n_in] = graph_find_tensor(g, k->ins[n_in]);
        bool conv = strstr(k->op, "CONV") != NULL;
        struct node spec = {.name = k->out, .op = k->op, .domain = "tflite", .n_inputs = n_in,
                            .inputs = ins, .n_outputs = 1, .outputs = &out,
                            .n_attrs = conv ? 4 : 0, .attrs = conv_attrs};
        int rc = graph_add_node(g, &spec, eb);
        if (rc < 0)
            return rc;
    }
    int in = graph_find_tensor(g, "input_1"), out = graph_find_tensor(g, "Identity");
    g->tensors[in].flags |= TENSOR_INPUT;
    g->tensors[out].flags |= TENSOR_OUTPUT;
    int rc = graph_finish(g, eb);
    if (rc == 0)
        rc = tui_synth_layers(g, eb);
    return rc;
}

/* ---- a fake source: what the MLF map, diff and traces will provide ---- */

/* Keyed by op and by position relative to the pooling layer, so it fits both the hand-built
 * graph above and the real kws_ref_model.tflite (where pooling is layer 9, not 3). */
struct fake_src {
    const struct graph *g;
    size_t pool;                    /* the AVERAGE_POOL_2D layer */
    int8_t ref[64], board[64];      /* its outputs (1x1x1x64) */
};

static bool fake_place(void *ctx, size_t layer, struct tui_place *out)
{
    static const struct { const char *op; struct tui_place place; } places[] = {
        {"CONV_2D", {TUI_TARGET_CMSIS, "cmsis-nn", "arm_convolve_s8"}},
        {"DEPTHWISE_CONV_2D", {TUI_TARGET_CMSIS, "cmsis-nn", "arm_depthwise_conv_s8"}},
        {"AVERAGE_POOL_2D", {TUI_TARGET_C, "c", "tvmgen_default_fused_nn_avg_pool2d"}},
        {"RESHAPE", {TUI_TARGET_FOLDED, "folded", NULL}},
        {"FULLY_CONNECTED", {TUI_TARGET_CMSIS, "cmsis-nn", "arm_fully_connected_s8"}},
        {"SOFTMAX", {TUI_TARGET_CMSIS, "cmsis-nn", "arm_softmax_s8"}},
    };
    struct fake_src *f = ctx;
    for (size_t i = 0; i < sizeof places / sizeof places[0]; i++) {
        if (strcmp(f->g->layers[layer].op, places[i].op) == 0) {
            *out = places[i].place;
            return true;
        }
    }
    return false;
}

static enum tui_status fake_status(void *ctx, size_t layer)
{
    struct fake_src *f = ctx;
    const char *op = f->g->layers[layer].op;
    if (layer + 1 < f->pool)
        return TUI_STATUS_EXACT;
    if (layer + 1 == f->pool)
        return TUI_STATUS_ROUNDING;
    if (layer == f->pool || strcmp(op, "FULLY_CONNECTED") == 0)
        return TUI_STATUS_DIVERGED;
    return strcmp(op, "SOFTMAX") == 0 ? TUI_STATUS_MISSING : TUI_STATUS_INHERITED;
}

static void fake_section(void *ctx, size_t layer, enum tui_section sec, struct sbuf *out)
{
    struct fake_src *f = ctx;
    if (layer != f->pool)
        return;
    if (sec == TUI_SECTION_MLF)
        sbuf_add(out, "step      4\nfunction  tvmgen_default_fused_nn_avg_pool2d\n");
    else if (sec == TUI_SECTION_DIFF)
        sbuf_add(out, "exact     96.9%\nmax |d|   3 LSB\nfirst     [0,0,0,5]\n");
}

static bool fake_tensor(void *ctx, size_t layer, enum tui_trace which, struct tensor_value *out)
{
    struct fake_src *f = ctx;
    if (layer != f->pool)
        return false;
    memset(out, 0, sizeof *out);
    out->dtype = DTYPE_S8;
    out->rank = 4;
    out->dims[0] = out->dims[1] = out->dims[2] = 1;
    out->dims[3] = 64;
    out->data = which == TUI_TRACE_REF ? f->ref : f->board;
    out->bytes = 64;
    return true;
}

/* Call after the graph is loaded. */
static void fake_init(struct fake_src *f, const struct graph *g, struct tui_source *src)
{
    f->g = g;
    f->pool = 0;
    for (size_t i = 0; i < g->n_layers; i++)
        if (strcmp(g->layers[i].op, "AVERAGE_POOL_2D") == 0)
            f->pool = i;
    for (int i = 0; i < 64; i++)
        f->ref[i] = f->board[i] = (int8_t)(i * 3 - 100);
    f->board[5] += 3;
    f->board[40] -= 1;
    *src = (struct tui_source){f, fake_place, fake_status, fake_section, fake_tensor};
}

/* ---- helpers ---- */

static void press(struct tui *t, const char *keys)
{
    for (; *keys != '\0'; keys++)
        tui_key(t, *keys == '\n' ? TUI_KEY_ENTER : *keys == '\t' ? TUI_KEY_TAB : *keys);
}

/* Renders and compares with tests/golden/tui/<name>.txt (or rewrites it on request). */
static void check_golden(struct test_ctx *t_, struct tui *t, int w, int h, bool attrs,
                         const char *name)
{
    struct screen s;
    struct errbuf eb;
    struct sbuf out;
    char path[256];
    errbuf_init(&eb);
    screen_init(&s, false);
    REQUIRE(screen_resize(&s, w, h, &eb) == 0);
    tui_draw(t, &s);
    sbuf_init(&out);
    screen_dump(&s, &out, attrs);
    screen_release(&s);
    snprintf(path, sizeof path, "tests/golden/tui/%s.txt", name);
    const char *upd = getenv("TUI_GOLDEN_UPDATE");
    if (upd != NULL && strcmp(upd, "1") == 0) {
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        if (f != NULL) {
            fwrite(sbuf_str(&out), 1, out.len, f);
            CHECK(fclose(f) == 0);
        }
        sbuf_release(&out);
        return;
    }
    size_t n = 0;
    char *want = (char *)test_read_file(path, &n);
    if (want == NULL) {
        test_fail(t_, __FILE__, __LINE__, "%s missing (TUI_GOLDEN_UPDATE=1 writes it)", path);
        sbuf_release(&out);
        return;
    }
    if (n != out.len || memcmp(want, sbuf_str(&out), n) != 0) {
        /* Name the first differing line so the failure is readable without a diff tool. */
        const char *a = sbuf_str(&out), *b = want;
        int line = 1;
        while (*a && *a == *b) {
            if (*a == '\n')
                line++;
            a++;
            b++;
        }
        test_fail(t_, __FILE__, __LINE__, "%s: line %d differs: got \"%.*s\" want \"%.*s\"",
                  path, line, (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
    }
    mem_free(want);
    sbuf_release(&out);
}

static bool screen_has(struct tui *t, int w, int h, const char *text)
{
    struct screen s;
    struct sbuf out;
    screen_init(&s, false);
    if (screen_resize(&s, w, h, NULL) < 0)
        return false;
    tui_draw(t, &s);
    sbuf_init(&out);
    screen_dump(&s, &out, false);
    bool found = strstr(sbuf_str(&out), text) != NULL;
    sbuf_release(&out);
    screen_release(&s);
    return found;
}

/* ---- screen ---- */

TEST(tui, screen_text_clips_and_decodes)
{
    struct screen s;
    struct sbuf out;
    screen_init(&s, false);
    REQUIRE(screen_resize(&s, 6, 2, NULL) == 0);
    CHECK_EQ_INT(screen_text(&s, 4, 0, -1, SCREEN_NORMAL, "abcdef"), 2);
    CHECK_EQ_INT(screen_text(&s, -2, 1, -1, SCREEN_DIVERGED, "xy\xce\x94z"), 4);
    screen_text(&s, 0, 0, 3, SCREEN_NORMAL, "\xff\x01q");   /* invalid byte, control char */
    sbuf_init(&out);
    screen_dump(&s, &out, true);
    CHECK_EQ_STR(sbuf_str(&out), "??q ab\n\xce\x94z\n-- attributes --\n\nXX\n");
    sbuf_release(&out);
    CHECK(screen_at(&s, 6, 0) == NULL && screen_at(&s, 0, -1) == NULL);
    screen_release(&s);

    screen_init(&s, true);      /* ASCII terminal: stand-ins for glyphs and non-ASCII */
    REQUIRE(screen_resize(&s, 6, 3, NULL) == 0);
    screen_box(&s, 0, 0, 6, 3, SCREEN_BORDER, NULL);
    screen_text(&s, 1, 1, 4, SCREEN_NORMAL, "\xce\x94x");
    sbuf_init(&out);
    screen_dump(&s, &out, false);
    CHECK_EQ_STR(sbuf_str(&out), "+----+\n|?x  |\n+----+\n");
    sbuf_release(&out);
    CHECK_EQ_INT(screen_resize(&s, 0, 5, NULL), ST_EINVAL);
    CHECK_EQ_INT(s.w, 6);
    screen_release(&s);
}

TEST(tui, screen_fit_marks_cut_text)
{
    struct screen s;
    struct sbuf out;
    screen_init(&s, false);
    REQUIRE(screen_resize(&s, 8, 1, NULL) == 0);
    screen_text_fit(&s, 0, 0, 5, SCREEN_NORMAL, "conv2d_1");
    sbuf_init(&out);
    screen_dump(&s, &out, false);
    CHECK_EQ_STR(sbuf_str(&out), "conv\xe2\x80\xa6\n");
    sbuf_release(&out);
    screen_release(&s);
}

/* ---- views at fixed sizes ---- */

/* Targets, verdicts and traces (a fake source) on the real kws_ref_model.tflite. */
TEST(tui, goldens_with_source)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    struct fake_src f;
    struct tui_source src;
    errbuf_init(&eb);
    graph_init(&g);
    if (model_load(&g, "tests/data/models/kws_ref_model.tflite", NULL, &eb) < 0) {
        test_fail(t_, __FILE__, __LINE__, "%s", eb.msg);
        graph_release(&g);
        return;
    }
    fake_init(&f, &g, &src);
    REQUIRE(strcmp(g.layers[f.pool].op, "AVERAGE_POOL_2D") == 0);
    REQUIRE(tui_init(&t, &g, &src, &eb) == 0);
    CHECK_EQ_INT(t.first_divergent, (long)f.pool);
    press(&t, "d");
    CHECK_EQ_INT(t.layer, f.pool);
    check_golden(t_, &t, 120, 40, true, "source-list-120x40");
    tui_focus(&t, TUI_PANE_DETAILS);
    check_golden(t_, &t, 120, 40, false, "source-details-120x40");
    tui_focus(&t, TUI_PANE_TENSOR);
    press(&t, "f");     /* cursor to the first differing element: [0,0,0,5] */
    check_golden(t_, &t, 120, 40, true, "source-tensor-120x40");
    tui_release(&t);
    graph_release(&g);
}

/*
 * Every pane at three sizes with only a model loaded: MLPerf Tiny's ResNet-8 (QDQ ONNX)
 * through model_load. The list, details and graph show the first residual Add (two
 * producers, one consumer); the tensor pane the next Conv's weights.
 */
TEST(tui, goldens_model_only)
{
    static const struct { int w, h; } sizes[] = {{80, 24}, {120, 40}, {20, 10}};
    static const char *const panes[] = {"list", "details", "tensor", "graph"};
    static const char path[] = "tests/data/onnx-models/mlperf-tiny-ic-resnet8-qdq/model.onnx";
    struct graph g;
    struct tui t;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    if (model_load(&g, path, NULL, &eb) < 0) {
        test_fail(t_, __FILE__, __LINE__, "%s", eb.msg);
        graph_release(&g);
        return;
    }
    REQUIRE(tui_init(&t, &g, NULL, &eb) == 0);
    press(&t, "/add\n");
    REQUIRE(strcmp(g.layers[t.layer].op, "Add") == 0);
    size_t add = t.layer;
    press(&t, "/conv\n");
    REQUIRE(strcmp(g.layers[t.layer].op, "Conv") == 0);
    size_t conv = t.layer;
    for (size_t si = 0; si < 3; si++) {
        for (int p = 0; p < TUI_PANE_COUNT; p++) {
            char name[64];
            tui_select(&t, p == TUI_PANE_TENSOR ? conv : add);
            tui_focus(&t, (enum tui_pane)p);
            snprintf(name, sizeof name, "%s-%dx%d", panes[p], sizes[si].w, sizes[si].h);
            check_golden(t_, &t, sizes[si].w, sizes[si].h, false, name);
        }
    }
    tui_focus(&t, TUI_PANE_LIST);
    press(&t, "?");
    check_golden(t_, &t, 80, 24, false, "help-80x24");
    tui_release(&t);
    graph_release(&g);
}

/* ---- keys ---- */

TEST(tui, search_next_previous)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(kws_graph(&g, &eb) == 0);
    REQUIRE(tui_init(&t, &g, NULL, &eb) == 0);
    press(&t, "/conv_2d\n");            /* op, case-insensitive: CONV_2D and DEPTHWISE_CONV_2D */
    CHECK_EQ_INT(t.layer, 1);
    press(&t, "n");
    CHECK_EQ_INT(t.layer, 2);
    press(&t, "n");
    CHECK_EQ_INT(t.layer, 0);           /* wrapped */
    CHECK(strstr(t.msg, "wrapped") != NULL);
    press(&t, "N");
    CHECK_EQ_INT(t.layer, 2);
    press(&t, "/flatten\n");            /* by name */
    CHECK_EQ_INT(t.layer, 4);
    press(&t, "/nothing-like-this\n");
    CHECK_EQ_INT(t.layer, 4);
    CHECK(strstr(t.msg, "nothing-like-this") != NULL);
    press(&t, "/dense");                /* incremental: moves while typing */
    CHECK(t.searching);
    CHECK_EQ_INT(t.layer, 5);
    CHECK(screen_has(&t, 80, 24, "/dense_"));
    tui_key(&t, TUI_KEY_ESC);           /* cancelled: back where it started */
    CHECK_EQ_INT(t.layer, 4);
    tui_key(&t, '/');
    tui_key(&t, 'x');
    tui_key(&t, TUI_KEY_ESC);
    CHECK(!t.searching);
    CHECK_EQ_INT(t.layer, 4);
    press(&t, "Gjj");
    CHECK_EQ_INT(t.layer, 6);
    press(&t, "gkk");
    CHECK_EQ_INT(t.layer, 0);
    screen_has(&t, 80, 24, "");         /* a page is what the last draw showed */
    tui_key(&t, TUI_KEY_PGDN);
    CHECK_EQ_INT(t.layer, 6);
    press(&t, "d");                     /* no diff loaded: a message, no move */
    CHECK_EQ_INT(t.layer, 6);
    CHECK(strstr(t.msg, "no diff") != NULL);
    press(&t, "q");
    CHECK(t.quit);
    tui_release(&t);
    graph_release(&g);
}

TEST(tui, divergent_and_first_difference)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    struct fake_src f;
    struct tui_source src;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(kws_graph(&g, &eb) == 0);
    fake_init(&f, &g, &src);
    REQUIRE(tui_init(&t, &g, &src, &eb) == 0);
    tui_select(&t, 5);
    press(&t, "d");                     /* from the start: the first diverged layer */
    CHECK_EQ_INT(t.layer, 3);
    press(&t, "d");
    CHECK_EQ_INT(t.layer, 5);
    press(&t, "d");
    CHECK_EQ_INT(t.layer, 3);
    press(&t, "3f");
    CHECK(screen_has(&t, 120, 40, "[0,0,0,5] ref -85 board -82"));
    press(&t, "l");
    CHECK(screen_has(&t, 120, 40, "[0,0,0,6] ref -82 board -82"));
    press(&t, "m");                     /* heat map keeps the cursor line */
    CHECK(screen_has(&t, 120, 40, "[0,0,0,6]"));
    tui_release(&t);
    graph_release(&g);
}

TEST(tui, graph_enter_follows_edge)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(kws_graph(&g, &eb) == 0);
    REQUIRE(tui_init(&t, &g, NULL, &eb) == 0);
    tui_select(&t, 1);
    press(&t, "4");
    CHECK(t.focus == TUI_PANE_GRAPH);
    CHECK(screen_has(&t, 120, 40, "0 functional_1/activation/Relu  CONV_2D"));
    press(&t, "j\n");                   /* the consumer edge: layer 2 */
    CHECK_EQ_INT(t.layer, 2);
    press(&t, "\n");                    /* the cursor starts on the input edge: back to 1 */
    CHECK_EQ_INT(t.layer, 1);
    press(&t, "\n\n");                  /* 1 -> 0, then the graph input: no layer */
    CHECK_EQ_INT(t.layer, 0);
    CHECK(strstr(t.msg, "leaves the graph") != NULL);
    tui_release(&t);
    graph_release(&g);
}

TEST(tui, tensor_axes_and_slices)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(kws_graph(&g, &eb) == 0);
    REQUIRE(tui_init(&t, &g, NULL, &eb) == 0);
    press(&t, "3");                     /* layer 0: conv weights 64x10x4x1 */
    CHECK(screen_has(&t, 120, 40, "int8 64x10x4x1 const [0,:,:,0]"));
    press(&t, "c");
    CHECK(screen_has(&t, 120, 40, "[1,:,:,0]"));
    press(&t, "C");
    press(&t, "C");
    CHECK(screen_has(&t, 120, 40, "[63,:,:,0]"));
    press(&t, "a");
    CHECK(screen_has(&t, 120, 40, "[63,:,0,:]"));
    press(&t, "t");                     /* the bias: rank 1, wrapped */
    CHECK(screen_has(&t, 120, 40, "BiasAdd/ReadVariableOp/resource  (2/2)"));
    CHECK(screen_has(&t, 120, 40, "int32 64 const [:]"));
    tui_release(&t);
    graph_release(&g);
}

TEST(tui, tiny_and_odd_sizes_do_not_crash)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    struct fake_src f;
    struct tui_source src;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(kws_graph(&g, &eb) == 0);
    fake_init(&f, &g, &src);
    REQUIRE(tui_init(&t, &g, &src, &eb) == 0);
    tui_select(&t, 3);
    for (int p = 0; p < TUI_PANE_COUNT; p++) {
        tui_focus(&t, (enum tui_pane)p);
        for (int w = 1; w <= 70; w += 3)
            for (int h = 1; h <= 14; h++)
                screen_has(&t, w, h, "");
    }
    press(&t, "?");
    CHECK(screen_has(&t, 3, 2, ""));
    tui_release(&t);
    graph_release(&g);
}

/* Seeded random keys and sizes: any crash or sanitizer report fails the suite. */
TEST(tui, random_keys_and_sizes)
{
    static const int keys[] = {
        'j', 'k', 'h', 'l', 'g', 'G', 'n', 'N', 'd', 'f', 'm', 'a', 'x', 'c', 'C', 't', 'T',
        '1', '2', '3', '4', '?', '/', 'v', '_', TUI_KEY_UP, TUI_KEY_DOWN, TUI_KEY_LEFT,
        TUI_KEY_RIGHT, TUI_KEY_PGUP, TUI_KEY_PGDN, TUI_KEY_HOME, TUI_KEY_END, TUI_KEY_ENTER,
        TUI_KEY_ESC, TUI_KEY_BACKSPACE, TUI_KEY_TAB, TUI_KEY_BTAB, 0x394,
    };
    struct graph g;
    struct tui t;
    struct errbuf eb;
    struct fake_src f;
    struct tui_source src;
    struct screen s;
    uint32_t rng = 12345;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(kws_graph(&g, &eb) == 0);
    fake_init(&f, &g, &src);
    REQUIRE(tui_init(&t, &g, &src, &eb) == 0);
    screen_init(&s, false);
    REQUIRE(screen_resize(&s, 80, 24, NULL) == 0);
    for (int i = 0; i < 6000; i++) {
        rng = rng * 1103515245u + 12345u;
        uint32_t r = rng >> 8;
        if (r % 50 == 0)
            REQUIRE(screen_resize(&s, 1 + (int)(r / 50 % 130), 1 + (int)(r / 7000 % 45),
                                  NULL) == 0);
        if (r % 97 == 0)
            tui_mouse(&t, (enum tui_mouse)(r / 97 % 4), (int)(r / 400 % 130),
                      (int)(r / 60000 % 45));
        else
            tui_key(&t, keys[r % (sizeof keys / sizeof keys[0])]);
        t.quit = false;
        tui_draw(&t, &s);
        CHECK(t.layer < g.n_layers);
    }
    screen_release(&s);
    tui_release(&t);
    graph_release(&g);
}

TEST(tui, empty_model)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);         /* no nodes, no layers (graph_finish is the loaders' business) */
    REQUIRE(tui_init(&t, &g, NULL, &eb) == 0);
    press(&t, "jG/x\nnNd\t\t\t\t\n");
    CHECK(screen_has(&t, 80, 24, "(no layers)"));
    tui_mouse(&t, TUI_MOUSE_CLICK, 3, 3);
    tui_release(&t);
    graph_release(&g);
}

TEST(tui, mouse_selects_and_scrolls)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(tui_synth_graph(&g, 200, &eb) == 0);
    REQUIRE(tui_init(&t, &g, NULL, &eb) == 0);
    screen_has(&t, 100, 30, "");
    tui_mouse(&t, TUI_MOUSE_CLICK, 5, 7);   /* header 0, title 1, column labels 2, row 0 at 3 */
    CHECK_EQ_INT(t.layer, 4);
    tui_mouse(&t, TUI_MOUSE_WHEEL_DOWN, 5, 7);
    CHECK_EQ_INT(t.layer, 7);
    tui_mouse(&t, TUI_MOUSE_CLICK, 70, 10); /* the right pane takes the focus */
    CHECK(t.focus == TUI_PANE_DETAILS);
    tui_release(&t);
    graph_release(&g);
}

TEST(tui, thousands_of_layers)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(tui_synth_graph(&g, 5000, &eb) == 0);
    REQUIRE(g.n_layers == 5000);
    REQUIRE(tui_init(&t, &g, NULL, &eb) == 0);
    press(&t, "G");
    CHECK(screen_has(&t, 100, 30, "4999 block_1249/add"));
    press(&t, "/block_700/dep\n");
    CHECK_EQ_INT(t.layer, 2801);
    CHECK(screen_has(&t, 100, 30, "2801 block_700/depthwise"));
    tui_release(&t);
    graph_release(&g);
}

TEST(tui, export_writes_files)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    char *path = NULL;
    size_t n;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(kws_graph(&g, &eb) == 0);
    REQUIRE(tui_init(&t, &g, NULL, &eb) == 0);
    t.export_dir = test_tmpdir(t_);
    tui_select(&t, 1);
    tui_focus(&t, TUI_PANE_GRAPH);
    REQUIRE(tui_export(&t, &path, &eb) == 0);
    char *dot = (char *)test_read_file(path, &n);
    REQUIRE(dot != NULL);
    CHECK(strstr(dot, "digraph") != NULL);
    CHECK(strstr(dot, "L0 -> L1") != NULL);
    CHECK(strstr(dot, "L1 -> L2") != NULL);
    mem_free(dot);
    mem_free(path);
    tui_focus(&t, TUI_PANE_LIST);
    press(&t, "e");
    CHECK(strstr(t.msg, "mlfscope-layers-model.tsv") != NULL);
    tui_focus(&t, TUI_PANE_TENSOR);     /* the depthwise weights, read back with dump/npy */
    REQUIRE(tui_export(&t, &path, &eb) == 0);
    CHECK(strstr(path, ".npy") != NULL);
    struct tensor_value back;
    REQUIRE(npy_read_file(path, &back, &eb) == 0);
    const struct tensor *w = &g.tensors[graph_find_tensor(&g,
                                        "functional_1/depthwise_conv2d/depthwise1")];
    CHECK_EQ_INT(back.dtype, DTYPE_S8);
    CHECK_EQ_INT(back.rank, 4);
    CHECK_EQ_INT(back.dims[3], 64);
    REQUIRE(back.bytes == w->data_bytes);
    CHECK_MEM(back.data, w->data, back.bytes);
    mem_free(back.data);
    mem_free(path);
    t.export_dir = "/nonexistent-dir-for-mlfscope";
    CHECK(tui_export(&t, &path, &eb) == ST_EIO);
    tui_release(&t);
    graph_release(&g);
}

TEST(tui, init_survives_allocation_failures)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(kws_graph(&g, &eb) == 0);
    for (long k = 0; k < 40; k++) {
        struct tui t;
        errbuf_init(&eb);
        mem_fail_after(k);
        int rc = tui_init(&t, &g, NULL, &eb);
        if (rc == 0) {
            /* Drawing with failing allocations degrades (short lists), never crashes. */
            screen_has(&t, 80, 24, "");
            mem_fail_after(-1);
            tui_release(&t);
            break;
        }
        mem_fail_after(-1);
        CHECK_EQ_INT(rc, ST_ENOMEM);
    }
    graph_release(&g);
}

/* ---- the real binary in tmux ---- */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#include <stdarg.h>

static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* Polls the pane until it shows `text` (true) or 3 s pass (false). */
static bool wait_for(const char *sock, const char *text, struct sbuf *last)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "tmux -L %s capture-pane -p -t e2e 2>/dev/null", sock);
    for (int i = 0; i < 150; i++) {
        FILE *p = popen(cmd, "r");
        if (p != NULL) {
            char buf[4096];
            size_t n;
            sbuf_reset(last);
            while ((n = fread(buf, 1, sizeof buf, p)) > 0)
                sbuf_addn(last, buf, n);
            pclose(p);
            if (strstr(sbuf_str(last), text) != NULL)
                return true;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return false;
}

#define WAIT(text)                                                                         \
    do {                                                                                   \
        if (!wait_for(sock, text, &screen))                                                \
            test_fail(t_, __FILE__, __LINE__, "tmux: \"%s\" never appeared; screen:\n%s", \
                      text, sbuf_str(&screen));                                            \
    } while (0)

TEST(tui, e2e_tmux)
{
    char sock[64];
    struct sbuf screen;
    const char *bin = getenv("MLFSCOPE_BIN") ? getenv("MLFSCOPE_BIN") : "build/mlfscope";
    if (sh("tmux -V >/dev/null 2>&1") != 0) {
        test_fail(t_, __FILE__, __LINE__, "tmux not installed (scripts/deps.sh)");
        return;
    }
    snprintf(sock, sizeof sock, "mlfscope-e2e-%ld", (long)getpid());
    sbuf_init(&screen);
    /* A generated 1,000-layer model: long-list scrolling; e2e_tmux_real_model loads a file. */
    REQUIRE(sh("tmux -L %s -f /dev/null new-session -d -s e2e -x 100 -y 30 "
               "'LANG=C.UTF-8 %s tui --synthetic 1000; echo EXIT=$?; sleep 5'", sock, bin) == 0);
    WAIT("1000 layers");
    WAIT(" 1/1000 ");
    sh("tmux -L %s send-keys -t e2e j", sock);
    WAIT(" 2/1000 ");
    sh("tmux -L %s send-keys -t e2e G", sock);
    WAIT(" 1000/1000 ");
    WAIT("999 block_249/add");
    sh("tmux -L %s send-keys -t e2e / block_7/dep Enter", sock);
    WAIT(" 30/1000 ");
    WAIT("29 block_7/depthwise");
    sh("tmux -L %s send-keys -t e2e Tab Tab Tab", sock);
    WAIT("consumers");
    sh("tmux -L %s send-keys -t e2e j Enter", sock);
    WAIT(" 31/1000 ");
    sh("tmux -L %s send-keys -t e2e ?", sock);
    WAIT("any key closes this help");
    sh("tmux -L %s send-keys -t e2e x", sock);
    WAIT(" 31/1000 ");
    sh("tmux -L %s resize-window -t e2e -x 20 -y 10", sock);
    WAIT("mlfscope tui");
    sh("tmux -L %s send-keys -t e2e j k 1 PgDn", sock);
    sh("tmux -L %s resize-window -t e2e -x 120 -y 40", sock);
    WAIT("output");         /* the shape column only fits the 120-column layout */
    sh("tmux -L %s send-keys -t e2e q", sock);
    WAIT("EXIT=0");
    sh("tmux -L %s kill-server >/dev/null 2>&1", sock);
    sbuf_release(&screen);
}

TEST(tui, e2e_tmux_real_model)
{
    char sock[64];
    struct sbuf screen;
    const char *bin = getenv("MLFSCOPE_BIN") ? getenv("MLFSCOPE_BIN") : "build/mlfscope";
    snprintf(sock, sizeof sock, "mlfscope-e2e-real-%ld", (long)getpid());
    sbuf_init(&screen);
    REQUIRE(sh("tmux -L %s -f /dev/null new-session -d -s e2e -x 100 -y 30 "
               "'LANG=C.UTF-8 %s tui tests/data/onnx-models/mlperf-tiny-ic-resnet8-qdq/"
               "model.onnx; echo EXIT=$?; sleep 5'", sock, bin) == 0);
    WAIT("model.onnx  onnx, 23 layers");
    sh("tmux -L %s send-keys -t e2e / add Enter", sock);
    WAIT(" 8/23 ");
    WAIT("PPQ_Variable_91");
    sh("tmux -L %s send-keys -t e2e 4 Enter", sock);     /* follow the first input edge */
    WAIT(" 5/23 ");
    sh("tmux -L %s send-keys -t e2e q", sock);
    WAIT("EXIT=0");
    sh("tmux -L %s kill-server >/dev/null 2>&1", sock);
    sbuf_release(&screen);
}

TEST(tui, e2e_tmux_colours_and_no_color)
{
    static const char *const envs[] = {"TERM=xterm-256color", "TERM=xterm", "NO_COLOR=1",
                                       "TERM=vt100"};
    char sock[64];
    struct sbuf screen;
    const char *bin = getenv("MLFSCOPE_BIN") ? getenv("MLFSCOPE_BIN") : "build/mlfscope";
    sbuf_init(&screen);
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
        snprintf(sock, sizeof sock, "mlfscope-e2e-%ld-%zu", (long)getpid(), i);
        REQUIRE(sh("tmux -L %s -f /dev/null new-session -d -s e2e -x 80 -y 24 "
                   "'env %s %s tui --synthetic 50; echo EXIT=$?; sleep 5'", sock, envs[i],
                   bin) == 0);
        WAIT("50 layers");
        sh("tmux -L %s send-keys -t e2e j m q", sock);
        WAIT("EXIT=0");
        sh("tmux -L %s kill-server >/dev/null 2>&1", sock);
    }
    sbuf_release(&screen);
}


/*
 * --input end to end: a paced KWS run in tflm arithmetic (MLFSCOPE_TUI_REF_PACE_MS) shows its
 * progress and then the softmax the board computed; ResNet-8 in onnx arithmetic shows
 * ONNX Runtime's values for a Conv; a 1,000-layer run keeps the UI responsive and q during a
 * slow run exits at once.
 */
TEST(tui, e2e_tmux_reference_run)
{
    char sock[64], want[64], in_path[512];
    struct sbuf screen;
    struct tensor_value ort;
    const char *bin = getenv("MLFSCOPE_BIN") ? getenv("MLFSCOPE_BIN") : "build/mlfscope";
    sbuf_init(&screen);

    snprintf(sock, sizeof sock, "mlfscope-e2e-kws-%ld", (long)getpid());
    REQUIRE(sh("tmux -L %s -f /dev/null new-session -d -s e2e -x 100 -y 30 "
               "'MLFSCOPE_TUI_REF_PACE_MS=60 LANG=C.UTF-8 %s tui %s --input %s "
               "--input-dtype int8 --input-shape 1,49,10,1; echo EXIT=$?; sleep 5'", sock, bin,
               KWS_MODEL, KWS_LEFT) == 0);
    WAIT("running reference: layer ");
    sh("tmux -L %s send-keys -t e2e G 3", sock);
    WAIT(" 13/13 ");
    WAIT("not computed yet");
    snprintf(want, sizeof want, "[0,0] = %d (real", kws_left_board[0]);
    WAIT(want);
    WAIT("reference run done: 13 layers in tflm arithmetic");   /* the last layer was last */
    sh("tmux -L %s send-keys -t e2e l l", sock);
    snprintf(want, sizeof want, "[0,2] = %d (real", kws_left_board[2]);
    WAIT(want);
    sh("tmux -L %s send-keys -t e2e q", sock);
    WAIT("EXIT=0");
    sh("tmux -L %s kill-server >/dev/null 2>&1", sock);

    REQUIRE(npy_read_file(IC_ORT "/0024_PPQ_Variable_61.npy", &ort, NULL) == 0);
    REQUIRE(ort.dtype == DTYPE_S8 && ort.bytes > 2);
    const int8_t *o = ort.data;
    snprintf(sock, sizeof sock, "mlfscope-e2e-ic-%ld", (long)getpid());
    REQUIRE(sh("tmux -L %s -f /dev/null new-session -d -s e2e -x 120 -y 30 "
               "'LANG=C.UTF-8 %s tui %s --input %s; echo EXIT=$?; sleep 5'", sock, bin,
               IC_MODEL, IC_INPUT) == 0);
    WAIT("23 layers");
    sh("tmux -L %s send-keys -t e2e / PPQ_Variable_61 Enter 3", sock);
    WAIT(" 5/23 ");
    snprintf(want, sizeof want, "[0,0,0,0] = %d (real", o[0]);
    WAIT(want);
    sh("tmux -L %s send-keys -t e2e l l", sock);
    snprintf(want, sizeof want, "[0,0,0,2] = %d (real", o[2]);
    WAIT(want);
    sh("tmux -L %s send-keys -t e2e q", sock);
    WAIT("EXIT=0");
    sh("tmux -L %s kill-server >/dev/null 2>&1", sock);
    mem_free(ort.data);

    /* 1,000 layers at 10 s each: keys work while it runs, and q does not wait for it. */
    int8_t img[16 * 16 * 8];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (int8_t)(i * 7);
    snprintf(in_path, sizeof in_path, "%s/in.bin", test_tmpdir(t_));
    FILE *f = fopen(in_path, "wb");
    REQUIRE(f != NULL);
    CHECK(fwrite(img, 1, sizeof img, f) == sizeof img);
    CHECK(fclose(f) == 0);
    snprintf(sock, sizeof sock, "mlfscope-e2e-syn-%ld", (long)getpid());
    REQUIRE(sh("tmux -L %s -f /dev/null new-session -d -s e2e -x 80 -y 24 "
               "'MLFSCOPE_TUI_REF_PACE_MS=10000 LANG=C.UTF-8 %s tui --synthetic 1000 "
               "--input %s --input-dtype int8; echo EXIT=$?; sleep 5'", sock, bin,
               in_path) == 0);
    WAIT("running reference: layer 1 of 1000");
    sh("tmux -L %s send-keys -t e2e j j", sock);
    WAIT(" 3/1000 ");
    sh("tmux -L %s send-keys -t e2e q", sock);
    WAIT("EXIT=0");
    sh("tmux -L %s kill-server >/dev/null 2>&1", sock);
    sbuf_release(&screen);
}

TEST(tui, cli_usage_errors)
{
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli("tui tests/data/models/kws_ref_model.tflite --mlf build.tar", &out,
                          &err), 2);
    CHECK(strstr(sbuf_str(&err), "build.tar") != NULL);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("tui m.onnx --log board.log", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "--log needs --input") != NULL);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("tui " IC_MODEL " --input " IC_INPUT " --log missing.log", NULL,
                          &err), 2);
    CHECK(strstr(sbuf_str(&err), "missing.log") != NULL);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("tui " IC_MODEL " --input " IC_INPUT " --arith deployed", NULL,
                          &err), 2);
    CHECK(strstr(sbuf_str(&err), "--arith deployed needs --mlf") != NULL);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("tui m.onnx --twin", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "--twin needs --mlf MLF and --input") != NULL);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("tui " KWS_MODEL " --mlf " KWS_MLF " --input " KWS_LEFT
                          " --twin --log x.log", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "give one") != NULL);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("tui " IC_MODEL " --input missing.npy", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "missing.npy") != NULL);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("tui " IC_MODEL " --arith tflm", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "need --input") != NULL);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("tui " IC_MODEL " --input " IC_INPUT " --arith fast", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "--arith: expected onnx, tflm, tvm or deployed") != NULL);
    sbuf_reset(&err);
    /* The run starts, the terminal is missing: the worker is stopped and joined, exit 2. */
    CHECK_EQ_INT(test_cli("tui " IC_MODEL " --input " IC_INPUT, NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "needs a terminal") != NULL);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("tui", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "expected a MODEL file") != NULL);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("tui --synthetic 0", NULL, &err), 2);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("tui --synthetic 5", NULL, &err), 2);   /* stdin is /dev/null */
    CHECK(strstr(sbuf_str(&err), "needs a terminal") != NULL);
    sbuf_reset(&out);
    CHECK_EQ_INT(test_cli("tui --help", &out, NULL), 0);
    CHECK(strstr(sbuf_str(&out), "usage: mlfscope tui MODEL") != NULL);
    sbuf_release(&out);
    sbuf_release(&err);
}

/* ---- the table-backed source and a background producer ---- */

TEST(tui, table_source_fills_views)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    struct tui_table tb;
    struct tui_source src;
    int8_t ref[64], board[64];
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(kws_graph(&g, &eb) == 0);
    REQUIRE(tui_table_init(&tb, g.n_layers, &eb) == 0);
    tui_table_source(&tb, &src);
    CHECK(src.place == NULL && src.status == NULL && src.tensor == NULL);
    REQUIRE(tui_init(&t, &g, &src, &eb) == 0);
    CHECK(!tui_table_tick(&tb, &t));        /* nothing yet */

    CHECK_EQ_INT(tui_table_set_place(&tb, 3, TUI_TARGET_C, "c",
                                     "tvmgen_default_fused_nn_avg_pool2d", &eb), 0);
    CHECK_EQ_INT(tui_table_set_place(&tb, 3, TUI_TARGET_C, "c", NULL, &eb), ST_EINVAL);
    CHECK_EQ_INT(tui_table_set_place(&tb, 99, TUI_TARGET_C, "c", NULL, &eb), ST_EINVAL);
    tui_table_set_status(&tb, 3, TUI_STATUS_DIVERGED);
    CHECK_EQ_INT(tui_table_add_section(&tb, 3, TUI_SECTION_HAZARDS,
                                       "shift -33 < -31 in channel 7\n", &eb), 0);
    for (int i = 0; i < 64; i++)
        ref[i] = board[i] = (int8_t)i;
    board[9] = 0;
    struct tensor_value v = {DTYPE_S8, 4, {1, 1, 1, 64}, ref, 64};
    CHECK_EQ_INT(tui_table_set_tensor(&tb, 3, TUI_TRACE_REF, &v, &eb), 0);
    CHECK_EQ_INT(tui_table_set_tensor(&tb, 3, TUI_TRACE_REF, &v, &eb), ST_EINVAL);
    tui_table_progress(&tb, 4, 7);
    CHECK(tui_table_tick(&tb, &t));
    CHECK(!tui_table_tick(&tb, &t));
    CHECK_EQ_INT(t.first_divergent, 3);
    tui_select(&t, 3);
    CHECK(screen_has(&t, 120, 40, "running reference: layer 4 of 7"));
    CHECK(screen_has(&t, 120, 40, "c        diverged"));
    tui_focus(&t, TUI_PANE_DETAILS);
    CHECK(screen_has(&t, 120, 40, "shift -33 < -31 in channel 7"));
    tui_focus(&t, TUI_PANE_TENSOR);
    press(&t, "ll");
    CHECK(screen_has(&t, 120, 40, "[0,0,0,2] = 2"));
    /* The board trace arrives later: the pane splits and keeps the cursor. */
    v.data = board;
    CHECK_EQ_INT(tui_table_set_tensor(&tb, 3, TUI_TRACE_BOARD, &v, &eb), 0);
    CHECK(tui_table_tick(&tb, &t));
    CHECK(screen_has(&t, 120, 40, "[0,0,0,2] ref 2 board 2"));
    press(&t, "f");
    CHECK(screen_has(&t, 120, 40, "[0,0,0,9] ref 9 board 0"));
    tui_release(&t);
    tui_table_release(&tb);
    graph_release(&g);
}

struct producer {
    struct tui_table *tb;
    const struct graph *g;
    int failures;
};

/* Plays a reference run: one output per layer, verdicts, progress. */
static void *produce(void *arg)
{
    struct producer *p = arg;
    int8_t buf[16 * 16 * 8];
    struct errbuf eb;
    errbuf_init(&eb);
    for (size_t i = 0; i < p->g->n_layers; i++) {
        for (size_t k = 0; k < sizeof buf; k++)
            buf[k] = (int8_t)(k + i);
        struct tensor_value v = {DTYPE_S8, 4, {1, 16, 16, 8}, buf, sizeof buf};
        if (tui_table_set_tensor(p->tb, i, TUI_TRACE_REF, &v, &eb) < 0)
            p->failures++;
        tui_table_set_status(p->tb, i, i == 700 ? TUI_STATUS_DIVERGED : TUI_STATUS_EXACT);
        tui_table_progress(p->tb, i + 1, p->g->n_layers);
    }
    tui_table_progress(p->tb, 0, 0);
    return NULL;
}

TEST(tui, table_filled_by_a_thread_while_drawing)
{
    struct graph g;
    struct tui t;
    struct errbuf eb;
    struct tui_table tb;
    struct tui_source src;
    struct screen s;
    pthread_t th;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(tui_synth_graph(&g, 1000, &eb) == 0);
    REQUIRE(tui_table_init(&tb, g.n_layers, &eb) == 0);
    tui_table_source(&tb, &src);
    REQUIRE(tui_init(&t, &g, &src, &eb) == 0);
    screen_init(&s, false);
    REQUIRE(screen_resize(&s, 100, 30, NULL) == 0);
    struct producer p = {&tb, &g, 0};
    tui_focus(&t, TUI_PANE_TENSOR);
    REQUIRE(pthread_create(&th, NULL, produce, &p) == 0);
    /* The UI thread: ticks, keys and frames while the producer runs. */
    for (int i = 0; i < 300; i++) {
        tui_table_tick(&tb, &t);
        tui_key(&t, i % 3 ? 'j' : 'l');
        tui_draw(&t, &s);
    }
    pthread_join(th, NULL);
    tui_table_tick(&tb, &t);
    CHECK_EQ_INT(p.failures, 0);
    CHECK_EQ_INT(t.first_divergent, 700);
    CHECK_EQ_INT(t.progress_total, 0);
    press(&t, "d");
    CHECK_EQ_INT(t.layer, 700);
    CHECK(screen_has(&t, 100, 30, "block_175/expand  (1/3)"));
    screen_release(&s);
    tui_release(&t);
    tui_table_release(&tb);
    graph_release(&g);
}

/* ---- the background reference run (--input) ---- */


/* Loads resnet8 and image 0; false (test failed) when either is missing. */
static bool ic_load(struct test_ctx *t_, struct graph *g, struct interp_inputs *in)
{
    struct errbuf eb;
    char spec[] = IC_INPUT;
    const char *specs[1] = {spec};
    errbuf_init(&eb);
    graph_init(g);
    memset(in, 0, sizeof *in);
    if (model_load(g, IC_MODEL, NULL, &eb) < 0 ||
        interp_inputs_load(g, 1, specs, DTYPE_UNKNOWN, 0, NULL, in, &eb) < 0) {
        test_fail(t_, __FILE__, __LINE__, "%s", eb.msg);
        interp_inputs_release(in);
        graph_release(g);
        return false;
    }
    return true;
}

/* Ticks like term_run until the run ends (at most ~10 s). */
static void ref_wait(struct tui_ref *r, struct tui *t)
{
    for (int i = 0; i < 1000 && atomic_load(&r->state) == TUI_REF_RUNNING; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        tui_ref_tick(r, t);
    }
    tui_ref_tick(r, t);
    tui_ref_tick(r, t);
}

/* ONNX Runtime's dump of tensor `name` (tests/golden/ort: "NNNN_<name, [^A-Za-z0-9._-] as _>"). */
static bool ort_tensor(const char *name, struct tensor_value *out)
{
    char safe[128], path[512];
    size_t j = 0;
    for (size_t i = 0; name[i] && j + 1 < sizeof safe; i++) {
        char ch = name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
        safe[j++] = ok ? ch : '_';
    }
    safe[j] = '\0';
    DIR *d = opendir(IC_ORT);
    if (d == NULL)
        return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name), k = strlen(safe);
        if (n == k + 9 && de->d_name[4] == '_' && strncmp(de->d_name + 5, safe, k) == 0 &&
            strcmp(de->d_name + 5 + k, ".npy") == 0) {
            snprintf(path, sizeof path, "%s/%s", IC_ORT, de->d_name);
            found = npy_read_file(path, out, NULL) == 0;
        }
    }
    closedir(d);
    return found;
}

/*
 * The reference run in the background fills every layer's tensor: each one ONNX Runtime also
 * dumped is equal to it (int8 exactly), the progress shows while it runs, the end is
 * announced, and the tensor pane shows the Conv's output.
 */
TEST(tui, ref_run_matches_onnx_runtime)
{
    struct graph g;
    struct interp_inputs in;
    struct tui_table tb;
    struct tui_source src;
    struct tui_ref ref;
    struct tui t;
    struct errbuf eb;
    if (!ic_load(t_, &g, &in))
        return;
    errbuf_init(&eb);
    REQUIRE(tui_table_init(&tb, g.n_layers, &eb) == 0);
    tui_table_source(&tb, &src);
    REQUIRE(tui_init(&t, &g, &src, &eb) == 0);
    struct interp_options io = {.arith = INTERP_ARITH_ONNX};
    REQUIRE(tui_ref_start(&ref, &g, &io, &in, &tb, NULL, NULL, 0, &eb) == 0);
    tui_progress(&t, 0, g.n_layers);
    CHECK(screen_has(&t, 120, 40, "running reference: layer 0 of 23"));
    ref_wait(&ref, &t);
    tui_ref_stop(&ref);
    CHECK_EQ_INT(atomic_load(&ref.state), TUI_REF_DONE);
    CHECK_EQ_INT(t.progress_total, 0);
    CHECK(screen_has(&t, 120, 40, "reference run done: 23 layers in onnx arithmetic"));

    size_t compared = 0, conv = g.n_layers;
    tui_table_source(&tb, &src);
    REQUIRE(src.tensor != NULL);
    for (size_t i = 0; i < g.n_layers; i++) {
        struct tensor_value mine, ort;
        const struct layer *l = &g.layers[i];
        if (!src.tensor(src.ctx, i, TUI_TRACE_REF, &mine)) {
            test_fail(t_, __FILE__, __LINE__, "layer %zu: no reference tensor", i);
            continue;
        }
        if (l->n_outputs == 0 || !ort_tensor(g.tensors[l->outputs[0]].name, &ort))
            continue;
        if (conv == g.n_layers && strcmp(l->op, "Conv") == 0)
            conv = i;
        CHECK_EQ_INT(mine.dtype, ort.dtype);
        CHECK_EQ_INT((long)mine.bytes, (long)ort.bytes);
        if (mine.dtype == DTYPE_S8 || mine.dtype == DTYPE_U8) {
            if (mine.bytes == ort.bytes)
                CHECK_MEM(mine.data, ort.data, ort.bytes);
        } else if (mine.dtype == DTYPE_F32 && mine.bytes == ort.bytes) {
            for (size_t k = 0; k < ort.bytes / 4; k++)
                CHECK_NEAR(((const float *)mine.data)[k], ((const float *)ort.data)[k], 1e-5);
        }
        mem_free(ort.data);
        compared++;
    }
    CHECK(compared >= 15);      /* every Conv, Add, pool, Gemm and the softmax */
    REQUIRE(conv < g.n_layers);
    tui_select(&t, conv);
    tui_focus(&t, TUI_PANE_TENSOR);
    press(&t, "ll");
    check_golden(t_, &t, 120, 40, false, "ref-tensor-120x40");
    tui_release(&t);
    tui_table_release(&tb);
    interp_inputs_release(&in);
    graph_release(&g);
}

/* q during a slow (paced) run: the worker stops at the next layer and nothing is announced. */
TEST(tui, ref_run_cancels_promptly)
{
    struct graph g;
    struct interp_inputs in;
    struct tui_table tb;
    struct tui_source src;
    struct tui_ref ref;
    struct tui t;
    struct errbuf eb;
    struct timespec t0, t1;
    if (!ic_load(t_, &g, &in))
        return;
    errbuf_init(&eb);
    REQUIRE(tui_table_init(&tb, g.n_layers, &eb) == 0);
    tui_table_source(&tb, &src);
    REQUIRE(tui_init(&t, &g, &src, &eb) == 0);
    struct interp_options io = {.arith = INTERP_ARITH_ONNX};
    REQUIRE(tui_ref_start(&ref, &g, &io, &in, &tb, NULL, NULL, 5000, &eb) == 0);
    for (int i = 0; i < 300 && t.progress_done == 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        tui_ref_tick(&ref, &t);
    }
    CHECK(screen_has(&t, 120, 40, "running reference: layer 1 of 23"));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    tui_ref_stop(&ref);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    CHECK(ms < 1000.0);
    CHECK_EQ_INT(atomic_load(&ref.state), TUI_REF_CANCELLED);
    tui_ref_tick(&ref, &t);
    CHECK_EQ_INT(t.progress_total, 0);
    CHECK(t.msg[0] == '\0');
    tui_ref_stop(&ref);         /* idempotent */
    tui_release(&t);
    tui_table_release(&tb);
    interp_inputs_release(&in);
    graph_release(&g);
}

/* An input that does not fit the model fails at start, before a thread exists. */
TEST(tui, ref_run_bad_input_fails_before_the_thread)
{
    struct graph g;
    struct interp_inputs in;
    struct tui_table tb;
    struct tui_ref ref;
    struct errbuf eb;
    if (!ic_load(t_, &g, &in))
        return;
    errbuf_init(&eb);
    REQUIRE(tui_table_init(&tb, g.n_layers, &eb) == 0);
    in.vals[0].dims[1] = 31;    /* 1x31x32x3 for a 1x32x32x3 input */
    struct interp_options io = {.arith = INTERP_ARITH_ONNX};
    CHECK(tui_ref_start(&ref, &g, &io, &in, &tb, NULL, NULL, 0, &eb) < 0);
    CHECK(eb.msg[0] != '\0');
    in.vals[0].dims[1] = 32;
    tui_table_release(&tb);
    interp_inputs_release(&in);
    graph_release(&g);
}

/* ---- the MLF map and a board log (--mlf, --log) ---- */

/* The layer of KWS whose board output the damaged log spoils (a 1x1 conv). */
#define KWS_VICTIM 4

static void put_sbuf(char c, void *user)
{
    sbuf_addc(user, c);
}

/*
 * Writes DIR/board.log: the tflm reference run of KWS on "Left" (which reproduces the board's
 * CMSIS-NN output, tflm tests) as the firmware emitter prints it, except that layer
 * KWS_VICTIM's channel 7 is off by up to +20 and every later layer is computed from the
 * damaged values (as a board would). Writes its path to path[cap]; false (test failed) when
 * something is missing.
 */
static bool kws_damaged_log(struct test_ctx *t_, char *path, size_t cap)
{
    struct graph g;
    struct interp_inputs in = {0};
    struct trace ref, b;
    struct errbuf eb;
    struct sbuf log;
    char spec[] = KWS_LEFT;
    const char *specs[1] = {spec};
    struct shape_override sh;
    char shape[] = "1,49,10,1";
    bool ok = false;
    errbuf_init(&eb);
    graph_init(&g);
    trace_init(&ref);
    trace_init(&b);
    sbuf_init(&log);
    struct diff_model dm = {.g = &g, .arith = INTERP_ARITH_TFLM};
    if (cmd_parse_shape(shape, &sh, &eb) < 0 || model_load(&g, KWS_MODEL, NULL, &eb) < 0 ||
        interp_inputs_load(&g, 1, specs, DTYPE_S8, 1, &sh, &in, &eb) < 0 ||
        diff_model_trace(&dm, &in, &ref, &eb) < 0) {
        test_fail(t_, __FILE__, __LINE__, "%s", eb.msg);
        goto out;
    }
    b.kind = TRACE_KIND_MEMORY;
    for (size_t i = 0; i < ref.n_entries; i++)
        if (trace_add(&b, &ref.entries[i], &eb) < 0)
            goto fail;
    const char *victim = g.tensors[g.layers[KWS_VICTIM].outputs[0]].name;
    size_t k = 0;
    while (k < b.n_entries && strcmp(b.entries[k].name, victim) != 0)
        k++;
    if (k == b.n_entries)
        goto fail;
    struct tensor_value *v = &b.entries[k].value;
    if (v->dtype != DTYPE_S8 || v->rank != 4 || v->dims[3] != 64)
        goto fail;
    int8_t *p = v->data;
    for (size_t i = 7; i < v->bytes; i += 64)
        p[i] = (int8_t)(p[i] > 107 ? 127 : p[i] + 20);
    for (size_t j = k + 1; j < b.n_entries; j++) {
        struct tensor_value out;
        if (diff_model_run_layer(&dm, b.entries[j].name, &b, &out, &eb) < 0)
            goto fail;
        if (out.bytes == b.entries[j].value.bytes)
            memcpy(b.entries[j].value.data, out.data, out.bytes);
        mem_free(out.data);
    }
    struct mlfscope_dump d;
    mlfscope_dump_init(&d, put_sbuf, &log);
    sbuf_add(&log, "boot: clock 80 MHz\n");
    mlfscope_dump_begin(&d, "run-1", "kws_ref_model");
    for (size_t i = 0; i < b.n_entries; i++) {
        const struct tensor_value *e = &b.entries[i].value;
        int32_t dims[GRAPH_MAX_RANK];
        for (int r = 0; r < e->rank; r++)
            dims[r] = (int32_t)e->dims[r];
        mlfscope_dump_tensor(&d, (uint32_t)i, b.entries[i].name, MLFSCOPE_DUMP_INT8, dims,
                             e->rank, e->data, (uint32_t)e->bytes);
        sbuf_printf(&log, "step %zu took %zu us\n", i, 900 + i);
    }
    mlfscope_dump_end(&d);
    snprintf(path, cap, "%s/board.log", test_tmpdir(t_));
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        goto fail;
    bool wrote = fwrite(sbuf_str(&log), 1, log.len, f) == log.len;
    if (fclose(f) != 0 || !wrote)
        goto fail;
    ok = true;
    goto out;
fail:
    test_fail(t_, __FILE__, __LINE__, "making the damaged log: %s", eb.msg);
out:
    sbuf_release(&log);
    trace_release(&b);
    trace_release(&ref);
    interp_inputs_release(&in);
    graph_release(&g);
    return ok;
}

/*
 * The case: KWS with its CMSIS-NN MLF and a log whose layer 4 went wrong. The run
 * and the comparison happen in the background; then `d` selects the damaged layer, the
 * details show its verdict and metrics, the later layers are inherited, and the tensor pane
 * shows reference | board | delta.
 */
TEST(tui, mlf_and_damaged_log_first_divergence)
{
    struct graph g;
    struct interp_inputs in = {0};
    struct tui_table tb;
    struct tui_source src;
    struct tui_ref ref;
    struct tui t;
    struct mlf m;
    struct map mp;
    struct offload_report orep;
    struct trace board;
    struct errbuf eb;
    struct shape_override sh;
    char shape[] = "1,49,10,1";
    char spec[] = KWS_LEFT;
    const char *specs[1] = {spec};
    char log[512];
    REQUIRE(kws_damaged_log(t_, log, sizeof log));
    errbuf_init(&eb);
    graph_init(&g);
    mlf_init(&m);
    map_init(&mp);
    offload_init(&orep);
    trace_init(&board);
    struct offload_options oopt = {.cmsis_nn_version = 4};
    REQUIRE(cmd_parse_shape(shape, &sh, &eb) == 0);
    REQUIRE(model_load(&g, KWS_MODEL, NULL, &eb) == 0);
    REQUIRE(mlf_open(&m, KWS_MLF, &eb) == 0);
    REQUIRE(map_build(&mp, &g, &m, NULL, &eb) == 0);
    REQUIRE(offload_analyse(&orep, &g, &mp, &oopt, &eb) == 0);
    REQUIRE(interp_inputs_load(&g, 1, specs, DTYPE_S8, 1, &sh, &in, &eb) == 0);
    REQUIRE(trace_load(log, NULL, &board, &eb) == 0);
    REQUIRE(tui_table_init(&tb, g.n_layers, &eb) == 0);
    REQUIRE(tui_data_fill_mlf(&tb, &g, &mp, &orep, &eb) == 0);
    tui_table_source(&tb, &src);
    REQUIRE(tui_init(&t, &g, &src, &eb) == 0);
    struct interp_options io = {.arith = INTERP_ARITH_TFLM};
    struct tui_ref_diff d = {.board = &board};
    REQUIRE(tui_ref_start(&ref, &g, &io, &in, &tb, &d, NULL, 0, &eb) == 0);
    ref_wait(&ref, &t);
    tui_ref_stop(&ref);
    CHECK_EQ_INT(atomic_load(&ref.state), TUI_REF_DONE);
    CHECK_EQ_INT(ref.n_diverged, 1);
    CHECK(screen_has(&t, 120, 40, "reference run done, 1 diverged; first: "
                     "functional_1/activation_4/Relu"));
    CHECK_EQ_INT(t.first_divergent, KWS_VICTIM);
    for (size_t i = 0; i < g.n_layers; i++) {
        enum tui_status want = i < KWS_VICTIM ? TUI_STATUS_EXACT : i == KWS_VICTIM
                               ? TUI_STATUS_DIVERGED : TUI_STATUS_INHERITED;
        if (i != 10)    /* RESHAPE: a view of the pool's output, folded in the MLF */
            CHECK_EQ_INT(t.status[i], want);
    }
    press(&t, "d");
    CHECK_EQ_INT(t.layer, KWS_VICTIM);
    check_golden(t_, &t, 120, 40, true, "mlf-log-list-120x40");
    tui_focus(&t, TUI_PANE_DETAILS);
    press(&t, "G");
    check_golden(t_, &t, 120, 40, false, "mlf-log-details-120x40");
    CHECK(screen_has(&t, 120, 40, "verdict   diverged, the first divergence"));
    CHECK(screen_has(&t, 120, 40, "first     [0,0,0,7] ref "));
    tui_focus(&t, TUI_PANE_TENSOR);
    press(&t, "f");
    check_golden(t_, &t, 120, 40, true, "mlf-log-tensor-120x40");
    CHECK(screen_has(&t, 120, 40, "[0,0,0,7] ref "));
    tui_release(&t);
    tui_table_release(&tb);
    trace_release(&board);
    interp_inputs_release(&in);
    offload_release(&orep);
    map_release(&mp);
    mlf_release(&m);
    graph_release(&g);
}

/* The same in the real binary: the background diff marks the layer, `d` goes there. */
TEST(tui, e2e_tmux_mlf_and_damaged_log)
{
    char sock[64];
    struct sbuf screen;
    const char *bin = getenv("MLFSCOPE_BIN") ? getenv("MLFSCOPE_BIN") : "build/mlfscope";
    char log[512];
    REQUIRE(kws_damaged_log(t_, log, sizeof log));
    sbuf_init(&screen);
    snprintf(sock, sizeof sock, "mlfscope-e2e-log-%ld", (long)getpid());
    REQUIRE(sh("tmux -L %s -f /dev/null new-session -d -s e2e -x 140 -y 50 "
               "'LANG=C.UTF-8 %s tui %s --mlf %s --input %s --input-dtype int8 "
               "--input-shape 1,49,10,1 --log %s; echo EXIT=$?; sleep 5'", sock, bin,
               KWS_MODEL, KWS_MLF, KWS_LEFT, log) == 0);
    WAIT("13 layers");
    WAIT("cmsis-nn");
    WAIT("1 diverged; first: functional_1/activation_4/Relu");
    sh("tmux -L %s send-keys -t e2e d", sock);
    WAIT(" 5/13 ");
    sh("tmux -L %s send-keys -t e2e 2 G", sock);
    WAIT("verdict   diverged, the first divergence");
    WAIT("max |d|   20 LSB");
    sh("tmux -L %s send-keys -t e2e 3 f", sock);
    WAIT("[0,0,0,7] ref ");
    sh("tmux -L %s send-keys -t e2e q", sock);
    WAIT("EXIT=0");
    sh("tmux -L %s kill-server >/dev/null 2>&1", sock);
    sbuf_release(&screen);
}

/*
 * --twin: the MLF's own C built and run on the host is the board. The KWS CMSIS-NN build
 * computes what the reference computes (exact everywhere; the folded reshape is not
 * dumped), and the tensor pane shows both sides. The build folder is kept under
 * build/test-tmp, so only the first run pays for the compiler.
 */
TEST(tui, e2e_tmux_twin)
{
    char sock[64];
    struct sbuf screen;
    const char *bin = getenv("MLFSCOPE_BIN") ? getenv("MLFSCOPE_BIN") : "build/mlfscope";
    sbuf_init(&screen);
    snprintf(sock, sizeof sock, "mlfscope-e2e-twin-%ld", (long)getpid());
    REQUIRE(sh("tmux -L %s -f /dev/null new-session -d -s e2e -x 140 -y 40 "
               "'LANG=C.UTF-8 %s tui %s --mlf %s --input %s --input-dtype int8 "
               "--input-shape 1,49,10,1 --twin --twin-dir build/test-tmp/tui-twin-kws; "
               "echo EXIT=$?; sleep 5'", sock, bin, KWS_MODEL, KWS_MLF, KWS_LEFT) == 0);
    WAIT("13 layers");
    /* A first build compiles for several seconds (longer under sanitizers): poll longer. */
    for (int i = 0; i < 20 && !wait_for(sock, "none diverged from the host twin", &screen);
         i++)
        if (strstr(sbuf_str(&screen), "failed") != NULL)
            break;
    WAIT("none diverged from the host twin");
    WAIT("cmsis-nn exact");
    sh("tmux -L %s send-keys -t e2e G 3", sock);
    WAIT("ref|board");
    WAIT("[0,0] ref -128 board -128");
    sh("tmux -L %s send-keys -t e2e q", sock);
    WAIT("EXIT=0");
    sh("tmux -L %s kill-server >/dev/null 2>&1", sock);
    sbuf_release(&screen);
}
