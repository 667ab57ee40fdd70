/*
 * Tests of the layer map and the offload report against the MLPerf Tiny CMSIS-NN builds
 * (tests/data/mlf) and their source models (tests/data/models), and against hand-written
 * trees (tests/data/offload). Expected values come from the fixture data itself: bias arrays
 * that TVM copied verbatim from the .tflite, kernel dims, and shift arrays scanned from the
 * C text here, independently of the MLF reader.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "../dump/npy.h"
#include "../src/fileio.h"
#include "../src/graph.h"
#include "../src/interp.h"
#include "../src/map.h"
#include "../src/map_deployed.h"
#include "../src/mem.h"
#include "../src/mlf.h"
#include "../src/model.h"
#include "../src/offload.h"
#include "../src/sbuf.h"
#include "../ref/ref.h"
#include "../views/graphview.h"
#include "../views/graphview_mlf.h"
#include "../views/gv.h"

struct fixture { const char *mlf, *model; size_t n_cmsis_steps; };

static const struct fixture fixtures[] = {
    {"tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws",
     "tests/data/models/kws_ref_model.tflite", 12},
    {"tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-ic",
     "tests/data/models/pretrainedResnet_quant.tflite", 15},
    {"tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-vww", "tests/data/models/vww_96_int8.tflite",
     30},
    {"tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-ad", "tests/data/models/ad01_int8.tflite",
     10},
};

struct loaded { struct graph g; struct mlf m; struct map mp; bool ok; };

static bool load_all(struct loaded *L, const char *model, const char *mlf, const char *map_file)
{
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&L->g);
    mlf_init(&L->m);
    map_init(&L->mp);
    struct map_options opt = {map_file};
    L->ok = (model == NULL || model_load(&L->g, model, NULL, &eb) == 0) &&
            mlf_open(&L->m, mlf, &eb) == 0 &&
            map_build(&L->mp, model ? &L->g : NULL, &L->m, &opt, &eb) == 0;
    if (!L->ok)
        fprintf(stderr, "  load: %s\n", eb.msg);
    return L->ok;
}

static void free_all(struct loaded *L)
{
    map_release(&L->mp);
    mlf_release(&L->m);
    graph_release(&L->g);
}

static bool layer_has_const_bytes(const struct graph *g, const struct layer *l, const void *d,
                                  size_t bytes)
{
    for (size_t i = 0; i < l->n_inputs; i++) {
        const struct tensor *t = l->inputs[i] >= 0 ? &g->tensors[l->inputs[i]] : NULL;
        if (t && t->data && t->data_bytes == bytes && memcmp(t->data, d, bytes) == 0)
            return true;
    }
    return false;
}

static const char *tflite_op_of_kernel(const char *kernel)
{
    if (strcmp(kernel, "arm_avgpool_s8") == 0)
        return "AVERAGE_POOL_2D";
    if (strcmp(kernel, "arm_softmax_s8") == 0)
        return "SOFTMAX";
    if (strcmp(kernel, "arm_elementwise_add_s8") == 0)
        return "ADD";
    if (strcmp(kernel, "arm_fully_connected_s8") == 0)
        return "FULLY_CONNECTED";
    return NULL;
}

TEST(offload, map_mlperf_cmsis_steps_to_tflite_layers)
{
    for (size_t fi = 0; fi < sizeof fixtures / sizeof fixtures[0]; fi++) {
        const struct fixture *fx = &fixtures[fi];
        struct loaded L;
        REQUIRE(load_all(&L, fx->model, fx->mlf, NULL));
        size_t n_cmsis = 0;
        for (size_t si = 0; si < L.m.n_steps; si++) {
            const struct mlf_step *s = &L.m.steps[si];
            const struct mlf_function *f = s->func >= 0 ? &L.m.functions[s->func] : NULL;
            if (f == NULL || f->n_kernels == 0)
                continue;
            n_cmsis++;
            const struct mlf_kernel *k = &f->kernels[0];
            int li = map_layer_of_step(&L.mp, si);
            CHECK(li >= 0);
            if (li < 0) {
                fprintf(stderr, "  %s: step %zu unmapped\n", fx->mlf, si);
                continue;
            }
            const struct layer *l = &L.g.layers[li];
            /* the bias TVM copied verbatim from the .tflite identifies the layer */
            const struct mlf_constant *bias = mlf_step_kernel_const(&L.m, s, k, MLF_KP_BIAS);
            const struct mlf_constant *filt = mlf_step_kernel_const(&L.m, s, k, MLF_KP_FILTER);
            if (bias != NULL && bias->data != NULL) {
                /* (a few AD biases differ: there the weights are the verbatim copy) */
                bool same = layer_has_const_bytes(&L.g, l, bias->data, bias->bytes) ||
                            (filt && filt->data &&
                             layer_has_const_bytes(&L.g, l, filt->data, filt->bytes));
                CHECK(same);
                if (!same)
                    fprintf(stderr, "  %s: step %zu -> layer %d %s: bias differs\n", fx->mlf,
                            si, li, l->op);
                continue;
            }
            const char *op = tflite_op_of_kernel(k->name);
            CHECK(op != NULL);
            if (op != NULL)
                CHECK_EQ_STR(l->op, op);
            size_t elems = 0;
            CHECK(tensor_elems(&L.g.tensors[l->outputs[0]], &elems));
            if (k->output.set)
                CHECK_EQ_INT(elems, (size_t)k->output.n * k->output.h * k->output.w *
                                        k->output.c);
            else if (k->num_rows > 0)
                CHECK_EQ_INT(elems, (size_t)k->num_rows * k->row_size);
            else
                CHECK_EQ_INT(elems, (size_t)k->block_size);
            CHECK_EQ_INT(L.mp.layers[li].status, MAP_STEP);
            CHECK_EQ_STR(L.mp.layers[li].target, "cmsis-nn");
        }
        CHECK_EQ_INT(n_cmsis, fx->n_cmsis_steps);
        /* every layer without a step of its own is the RESHAPE TVM folded away */
        for (size_t li = 0; li < L.g.n_layers; li++) {
            if (L.mp.layers[li].status == MAP_STEP)
                continue;
            CHECK_EQ_STR(L.g.layers[li].op, "RESHAPE");
            CHECK_EQ_INT(L.mp.layers[li].status, MAP_FOLDED);
            CHECK_EQ_STR(L.mp.layers[li].target, "folded");
        }
        free_all(&L);
    }
}

/* KWS: the first CONV_2D (1 input channel) became a CMSIS-NN depthwise conv, ch_mult 64. */
TEST(offload, map_kws_conv_rewritten_as_depthwise)
{
    struct loaded L;
    REQUIRE(load_all(&L, fixtures[0].model, fixtures[0].mlf, NULL));
    const struct map_layer *ml = &L.mp.layers[0];
    CHECK_EQ_STR(L.g.layers[0].op, "CONV_2D");
    CHECK_EQ_INT(ml->step, 0);
    REQUIRE(ml->params.kernel != NULL);
    CHECK_EQ_STR(ml->params.kernel->name, "arm_depthwise_conv_wrapper_s8");
    CHECK_EQ_INT(ml->params.kernel->ch_mult, 64);
    /* literals of tvmgen_default_cmsis_nn_main_0 in default_lib2.c */
    CHECK_EQ_INT(ml->params.kernel->input_offset, -83);
    CHECK_EQ_INT(ml->params.kernel->output_offset, -128);
    CHECK_EQ_INT(ml->params.n_quant, 64);
    CHECK(ml->params.mult != NULL && ml->params.shift != NULL);
    CHECK_EQ_INT(ml->params.n_bias, 64);
    /* the weights are the model's [64,10,4,1] transposed to [1,10,4,64] */
    const struct tensor *w = &L.g.tensors[L.g.nodes[L.g.layers[0].main_node].inputs[1]];
    REQUIRE(ml->params.filter != NULL && ml->params.filter_bytes == 2560 &&
            w->data_bytes == 2560);
    const int8_t *wm = w->data;
    int bad = 0;
    for (int o = 0; o < 64; o++)
        for (int hw = 0; hw < 40; hw++)
            bad += ml->params.filter[hw * 64 + o] != wm[o * 40 + hw];
    CHECK_EQ_INT(bad, 0);
    free_all(&L);
}

/* Reads a file into a NUL-terminated heap string. */
static char *slurp(const char *path)
{
    size_t n = 0;
    unsigned char *d = test_read_file(path, &n);
    if (d == NULL)
        return NULL;
    char *s = mem_alloc(n + 1);
    if (s != NULL) {
        memcpy(s, d, n);
        s[n] = '\0';
    }
    free(d);
    return s;
}

/* The values of `.NAME = { ... }` in lib0's constant struct, parsed here with strtol. */
static size_t scan_initializer(const char *lib0, const char *name, long *out, size_t cap)
{
    char key[96];
    snprintf(key, sizeof key, ".%s = {", name);
    const char *p = strstr(lib0, key);
    if (p == NULL)
        return 0;
    p += strlen(key);
    size_t n = 0;
    while (*p && *p != '}' && n < cap) {
        char *end;
        long v = strtol(p, &end, 0);
        if (end == p) {
            p++;
            continue;
        }
        out[n++] = v;
        p = end;
    }
    return n;
}

TEST(offload, vww_shift_hazards_match_c_text)
{
    const char *dir = "tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-vww/codegen/host/src";
    char path[512];
    snprintf(path, sizeof path, "%s/default_lib0.c", dir);
    char *lib0 = slurp(path);
    snprintf(path, sizeof path, "%s/default_lib1.c", dir);
    char *lib1 = slurp(path);
    snprintf(path, sizeof path, "%s/default_lib2.c", dir);
    char *lib2 = slurp(path);
    REQUIRE(lib0 && lib1 && lib2);

    /* expected: (function, channel) of every shift < -31, from the C text alone */
    struct { char fn[64]; long ch; } want[256];
    size_t n_want = 0;
    static long vals[4096];
    for (const char *p = lib1; (p = strstr(p, "if (tvmgen_default_cmsis_nn_main_")) != NULL;) {
        p += 4;
        const char *paren = strchr(p, '(');
        char fn[64];
        snprintf(fn, sizeof fn, "%.*s", (int)(paren - p), p);
        /* its definition says which parameter is shift_ */
        char def[96];
        snprintf(def, sizeof def, "int32_t %s(", fn);
        const char *d = strstr(lib2, def);
        REQUIRE(d != NULL);
        const char *sh = strstr(d, "shift_");
        const char *body = strchr(d, '{');
        if (sh == NULL || sh > body)
            continue;
        int shift_param = 0;
        for (const char *q = d + strlen(def); q < sh; q++)
            shift_param += *q == ',';
        const char *a = paren + 1;
        for (int i = 0; i < shift_param; i++)
            a = strchr(a, ',') + 2;
        char arg[64];
        snprintf(arg, sizeof arg, "%.*s", (int)strcspn(a, ","), a);
        size_t n = scan_initializer(lib0, arg, vals, 4096);
        CHECK(n > 0);
        for (size_t c = 0; c < n; c++)
            if (vals[c] < -31 && n_want < 256) {
                snprintf(want[n_want].fn, sizeof want[n_want].fn, "%s", fn);
                want[n_want++].ch = (long)c;
            }
    }
    CHECK(n_want > 0);

    struct loaded L;
    REQUIRE(load_all(&L, fixtures[2].model, fixtures[2].mlf, NULL));
    struct offload_report r;
    struct errbuf eb;
    errbuf_init(&eb);
    offload_init(&r);
    REQUIRE(offload_analyse(&r, &L.g, &L.mp, NULL, &eb) == 0);
    size_t n_got = 0;
    for (size_t i = 0; i < r.n_hazards; i++) {
        const struct offload_hazard *h = &r.hazards[i];
        if (h->kind != HAZ_SHIFT)
            continue;
        CHECK(h->layer >= 0);
        for (size_t c = 0; c < h->n_channels; c++) {
            bool found = false;
            for (size_t k = 0; k < n_want; k++)
                found = found || (strcmp(want[k].fn, h->function) == 0 &&
                                  want[k].ch == h->channels[c]);
            CHECK(found);
            n_got++;
        }
    }
    CHECK_EQ_INT(n_got, n_want);
    /* and on the layers the map names for those steps: CONV_2D layers */
    for (size_t i = 0; i < r.n_hazards; i++)
        if (r.hazards[i].kind == HAZ_SHIFT && r.hazards[i].layer >= 0)
            CHECK_EQ_STR(L.g.layers[r.hazards[i].layer].op, "CONV_2D");
    offload_release(&r);
    free_all(&L);
    mem_free(lib0);
    mem_free(lib1);
    mem_free(lib2);
}

static size_t count_kind(const struct offload_report *r, enum offload_hazard_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_hazards; i++)
        n += r->hazards[i].kind == k;
    return n;
}

/* TVM sized the first 3x3x3 conv's buffer 108 bytes; CMSIS-NN v5+ needs 112 (MLF-FORMAT 5.3). */
TEST(offload, context_buffer_by_cmsis_version)
{
    for (size_t fi = 0; fi < sizeof fixtures / sizeof fixtures[0]; fi++) {
        struct loaded L;
        REQUIRE(load_all(&L, fixtures[fi].model, fixtures[fi].mlf, NULL));
        for (int v = 4; v <= 5; v++) {
            struct offload_options opt = {v};
            struct offload_report r;
            struct errbuf eb;
            errbuf_init(&eb);
            offload_init(&r);
            REQUIRE(offload_analyse(&r, &L.g, &L.mp, &opt, &eb) == 0);
            bool first_conv_3x3x3 = fi == 1 || fi == 2;   /* ic, vww */
            size_t want = v == 5 && first_conv_3x3x3 ? 1 : 0;
            CHECK_EQ_INT(count_kind(&r, HAZ_CONTEXT), want);
            for (size_t i = 0; i < r.n_hazards; i++)
                if (r.hazards[i].kind == HAZ_CONTEXT) {
                    CHECK_EQ_INT(r.hazards[i].step, 0);
                    CHECK(strstr(r.hazards[i].detail, "108 bytes") != NULL);
                    CHECK(strstr(r.hazards[i].detail, "needs 112") != NULL);
                }
            CHECK_EQ_INT(count_kind(&r, HAZ_OVERLAP), 0);
            CHECK_EQ_INT(count_kind(&r, HAZ_METADATA), 0);
            CHECK_EQ_INT(r.n_mismatches, 0);
            offload_release(&r);
        }
        free_all(&L);
    }
}

/* The native build partitions nothing: every predicted offload is a mismatch, all C. */
TEST(offload, native_ic_all_c)
{
    struct loaded L;
    REQUIRE(load_all(&L, fixtures[1].model, "tests/data/mlf/mlperf-tiny-v1.0-nucleo-native-ic",
                     NULL));
    struct offload_report r;
    struct errbuf eb;
    errbuf_init(&eb);
    offload_init(&r);
    REQUIRE(offload_analyse(&r, &L.g, &L.mp, NULL, &eb) == 0);
    CHECK_EQ_INT(r.macs_cmsis, 0);
    CHECK(r.macs_c > 0);
    for (size_t i = 0; i < r.n_rows; i++) {
        const struct offload_row *row = &r.rows[i];
        if (row->target && strcmp(row->target, "c") == 0 &&
            strcmp(row->predicted, "cmsis-nn") == 0) {
            CHECK_EQ_INT(row->n_reasons, 1);
            CHECK_EQ_INT(row->reasons[0].rule, OFF_MISMATCH);
        }
    }
    CHECK(r.n_mismatches > 0);
    offload_release(&r);
    free_all(&L);
}

TEST(offload, rule_ids_are_unique_and_documented)
{
    size_t n = 0;
    char *doc = slurp("docs/offloads.md");
    REQUIRE(doc != NULL);
    for (int i = 0; i < OFFLOAD_RULE_COUNT; i++) {
        const char *id = offload_rule_id((enum offload_rule)i);
        CHECK(strstr(doc, id) != NULL);
        for (int j = 0; j < i; j++)
            CHECK(strcmp(id, offload_rule_id((enum offload_rule)j)) != 0);
        n++;
    }
    for (int i = 0; i < OFFLOAD_HAZARD_COUNT; i++)
        CHECK(strstr(doc, offload_hazard_name((enum offload_hazard_kind)i)) != NULL);
    CHECK_EQ_INT(n, 10);
    CHECK_EQ_STR(offload_rule_id(OFF_NCHW), "nchw-layout");
    mem_free(doc);
}

TEST(offload, cli_json_and_errors)
{
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    int rc = test_cli("offloads tests/data/models/kws_ref_model.tflite "
                      "tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws --json", &out, &err);
    CHECK_EQ_INT(rc, 0);
    const char *o = sbuf_str(&out);
    CHECK(strstr(o, "\"layers\"") && strstr(o, "\"hazards\"") && strstr(o, "\"summary\""));
    CHECK(strstr(o, "\"kernel\":\t\"arm_depthwise_conv_wrapper_s8\"") != NULL);
    CHECK(strstr(o, "\"target\":\t\"folded\"") != NULL);
    sbuf_reset(&out);
    sbuf_reset(&err);
    rc = test_cli("offloads tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-vww", &out, &err);
    CHECK_EQ_INT(rc, 0);
    CHECK(strstr(sbuf_str(&out), "shift-out-of-range") != NULL);
    sbuf_reset(&out);
    sbuf_reset(&err);
    rc = test_cli("offloads tests/data/models/kws_ref_model.tflite "
                  "tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws --map /nonexistent/map",
                  &out, &err);
    CHECK_EQ_INT(rc, 2);
    CHECK(strstr(sbuf_str(&err), "mlfscope: error:") != NULL);
    sbuf_reset(&out);
    sbuf_reset(&err);
    rc = test_cli("offloads --cmsis-nn-version x tests/data/models/kws_ref_model.tflite", &out,
                  &err);
    CHECK_EQ_INT(rc, 2);
    sbuf_release(&out);
    sbuf_release(&err);
}

/* The partitioned picture: clusters per step, colours by target, folded dashed, hazards. */
TEST(offload, graph_view_partitions_and_hazards)
{
    struct loaded L;
    REQUIRE(load_all(&L, fixtures[2].model, fixtures[2].mlf, NULL));
    struct offload_report r;
    struct errbuf eb;
    errbuf_init(&eb);
    offload_init(&r);
    REQUIRE(offload_analyse(&r, &L.g, &L.mp, NULL, &eb) == 0);
    struct graphview v;
    struct graphview_options vo = {GRAPHVIEW_LAYERS, false, GRAPHVIEW_COLOUR_KIND, "vww"};
    graphview_init(&v);
    REQUIRE(graphview_build(&v, &L.g, &vo, &eb) == 0);
    REQUIRE(graphview_annotate_mlf(&v, &L.g, &L.mp, &r, &eb) == 0);
    CHECK_EQ_INT(v.n_clusters, 30);   /* one per CMSIS-NN step */
    size_t marked = 0, dashed = 0;
    for (size_t i = 0; i < v.n_boxes; i++) {
        marked += v.boxes[i].marked;
        dashed += v.boxes[i].kind == GRAPHVIEW_BOX_LAYER && v.boxes[i].dashed;
    }
    CHECK_EQ_INT(marked, 6);          /* the six conv layers with shifts below -31 */
    CHECK_EQ_INT(dashed, 1);          /* the folded RESHAPE */
    bool cmsis = false, folded = false;
    for (size_t i = 0; i < v.n_legend; i++) {
        if (strcmp(v.legend[i].label, "cmsis-nn") == 0)
            cmsis = v.legend[i].count == 30;
        if (strcmp(v.legend[i].label, "folded") == 0)
            folded = v.legend[i].count == 1;
    }
    CHECK(cmsis && folded);
    char *dot = NULL;
    size_t dot_bytes = 0;
    REQUIRE(gv_render_data(&v, GV_DOT, &dot, &dot_bytes, &eb) == 0);
    CHECK(strstr(dot, "cluster_p0") != NULL);
    CHECK(strstr(dot, "tvmgen_default_cmsis_nn_main_14") != NULL);
    mem_free(dot);
    graphview_release(&v);
    offload_release(&r);
    free_all(&L);
}

static const char *const SPANS_MODEL = "tests/data/offload/spans.tflite";

static int layer_named(const struct graph *g, const char *name)
{
    for (size_t i = 0; i < g->n_layers; i++)
        if (strcmp(g->layers[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void check_hand_map(struct test_ctx *t_, struct loaded *L, enum map_how how)
{
    static const struct { const char *layer; int step; } want[] = {
        {"model/conv2d/Relu", 0}, {"model/dense/BiasAdd1", 1}, {"StatefulPartitionedCall", 2},
    };
    for (size_t i = 0; i < 3; i++) {
        int li = layer_named(&L->g, want[i].layer);
        REQUIRE(li >= 0);
        CHECK_EQ_INT(L->mp.layers[li].step, want[i].step);
        CHECK_EQ_INT(L->mp.layers[li].how, how);
        CHECK_EQ_INT(map_layer_of_step(&L->mp, (size_t)want[i].step), li);
    }
    int r = layer_named(&L->g, "model/flatten/Reshape");
    REQUIRE(r >= 0);
    CHECK_EQ_INT(L->mp.layers[r].status, MAP_FOLDED);
    /* decoded parameters: literals and constants of the hand-written lib0.c / lib2.c */
    const struct map_layer *conv = &L->mp.layers[layer_named(&L->g, "model/conv2d/Relu")];
    REQUIRE(conv->params.kernel != NULL && conv->params.n_quant == 4);
    CHECK_EQ_INT(conv->params.mult[0], 0x6e34ef4d);
    CHECK_EQ_INT(conv->params.shift[3], -0x21);
    CHECK_EQ_INT(conv->params.bias[3], -0x1e240);
    CHECK_EQ_INT(conv->params.kernel->input_offset, 128);
    CHECK_EQ_INT(conv->params.kernel->output_offset, -5);
    CHECK_EQ_INT(conv->out.kind, MLF_ARG_WORKSPACE);
    CHECK_EQ_INT(conv->out.offset, 0);
    CHECK_EQ_INT(conv->out.bytes, 16);
    const struct map_layer *fc = &L->mp.layers[layer_named(&L->g, "model/dense/BiasAdd1")];
    REQUIRE(fc->params.kernel != NULL && fc->params.n_quant == 1);
    CHECK_EQ_INT(fc->params.mult[0], 1552512742);
    CHECK_EQ_INT(fc->params.shift[0], -5);
    CHECK_EQ_INT(fc->params.kernel->output_offset, -3);
    CHECK_EQ_INT(fc->params.filter_bytes, 64);
    CHECK_EQ_INT(fc->params.filter[0], -128);
}

TEST(offload, map_hand_tree_with_spans)
{
    struct loaded L;
    REQUIRE(load_all(&L, SPANS_MODEL, "tests/data/mlf-hand/v7-cmsis", NULL));
    CHECK(L.mp.spans);
    check_hand_map(t_, &L, MAP_HOW_SPAN);
    free_all(&L);
}

TEST(offload, map_hand_tree_without_spans)
{
    struct loaded L;
    REQUIRE(load_all(&L, SPANS_MODEL, "tests/data/offload/nospans", NULL));
    CHECK(!L.mp.spans);
    check_hand_map(t_, &L, MAP_HOW_ALIGN);
    free_all(&L);
}

TEST(offload, map_override_file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/map.txt", test_tmpdir(t_));
    const char *text = "# hand map\nstep tvmgen_default_cmsis_nn_main_2 model/dense/BiasAdd1\n"
                       "folded StatefulPartitionedCall\n";
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(fileio_write(path, text, strlen(text), &eb) == 0);
    struct loaded L;
    REQUIRE(load_all(&L, SPANS_MODEL, "tests/data/offload/nospans", path));
    int fc = layer_named(&L.g, "model/dense/BiasAdd1");
    int sm = layer_named(&L.g, "StatefulPartitionedCall");
    CHECK_EQ_INT(L.mp.layers[fc].step, 2);
    CHECK_EQ_INT(L.mp.layers[fc].how, MAP_HOW_OVERRIDE);
    CHECK_EQ_INT(L.mp.layers[sm].status, MAP_FOLDED);
    CHECK_EQ_INT(L.mp.layers[sm].how, MAP_HOW_OVERRIDE);
    CHECK_EQ_INT(map_layer_of_step(&L.mp, 1), -1);
    CHECK(L.mp.n_warnings == 1);   /* step 1 now matches no layer */
    free_all(&L);

    const char *bad = "step 7 model/dense/BiasAdd1\n";
    REQUIRE(fileio_write(path, bad, strlen(bad), &eb) == 0);
    struct graph g;
    struct mlf m;
    struct map mp;
    graph_init(&g);
    mlf_init(&m);
    REQUIRE(model_load(&g, SPANS_MODEL, NULL, &eb) == 0);
    REQUIRE(mlf_open(&m, "tests/data/offload/nospans", &eb) == 0);
    struct map_options opt = {path};
    CHECK_EQ_INT(map_build(&mp, &g, &m, &opt, &eb), ST_EPARSE);
    CHECK(strstr(eb.msg, ":1: no step '7'") != NULL);
    mlf_release(&m);
    graph_release(&g);
}

TEST(offload, hand_tree_hazards)
{
    struct loaded L;
    REQUIRE(load_all(&L, SPANS_MODEL, "tests/data/offload/overlap", NULL));
    struct offload_report r;
    struct errbuf eb;
    errbuf_init(&eb);
    offload_init(&r);
    REQUIRE(offload_analyse(&r, &L.g, &L.mp, NULL, &eb) == 0);
    CHECK_EQ_INT(count_kind(&r, HAZ_SHIFT), 1);
    CHECK_EQ_INT(count_kind(&r, HAZ_METADATA), 1);   /* metadata says 320, the array is 64 */
    CHECK_EQ_INT(count_kind(&r, HAZ_OVERLAP), 1);
    CHECK_EQ_INT(count_kind(&r, HAZ_CONTEXT), 0);
    for (size_t i = 0; i < r.n_hazards; i++) {
        const struct offload_hazard *h = &r.hazards[i];
        if (h->kind == HAZ_SHIFT) {
            CHECK_EQ_INT(h->step, 0);
            REQUIRE(h->n_channels == 1);
            CHECK_EQ_INT(h->channels[0], 3);   /* constant_3_let = {..., -0x00000021} */
            CHECK_EQ_STR(h->layer_name, "model/conv2d/Relu");
        } else if (h->kind == HAZ_OVERLAP) {
            CHECK_EQ_INT(h->step, 1);
            CHECK_EQ_STR(h->layer_name, "model/dense/BiasAdd1");
        }
    }
    offload_release(&r);
    free_all(&L);
    /* the original tree keeps its buffers apart */
    REQUIRE(load_all(&L, SPANS_MODEL, "tests/data/mlf-hand/v7-cmsis", NULL));
    offload_init(&r);
    REQUIRE(offload_analyse(&r, &L.g, &L.mp, NULL, &eb) == 0);
    CHECK_EQ_INT(count_kind(&r, HAZ_OVERLAP), 0);
    offload_release(&r);
    free_all(&L);
}

/* Which rules fail for each layer of rules.onnx, one node per rule (see the generator). */
TEST(offload, rules_onnx_every_rule)
{
    static const struct { const char *layer, *predicted, *rules; } want[] = {
        {"y_nchw", "c", "nchw-layout"},
        {"y_uint8", "c", "nchw-layout dtype-not-int8 weight-zero-point"},
        {"y_dyn", "c", "nchw-layout params-not-bound"},
        {"y_wzp", "c", "nchw-layout weight-zero-point"},
        {"y_dw", "c", "nchw-layout depthwise-without-bias"},
        {"y_qdq", "c", "qdq-not-folded nchw-layout"},
        {"y_pool", "c", "pool-batch-layout"},
        {"y_softmax", "c", "qdq-not-folded softmax-output-qparams"},
        {"y_tanh", "c", "no-cmsis-pattern"},
        {"y_mm", "cmsis-nn", ""},
        {"y_gemm", "c", "dtype-not-int8"},
        {"xq2", "folded", ""},
    };
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(model_load(&g, "tests/data/offload/rules.onnx", NULL, &eb) == 0);
    struct offload_report r;
    offload_init(&r);
    REQUIRE(offload_analyse(&r, &g, NULL, NULL, &eb) == 0);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int li = layer_named(&g, want[i].layer);
        REQUIRE(li >= 0);
        const struct offload_row *row = &r.rows[li];
        CHECK_EQ_STR(row->predicted, want[i].predicted);
        char got[256] = "";
        size_t used = 0;
        for (size_t k = 0; k < row->n_reasons; k++)
            used += (size_t)snprintf(got + used, sizeof got - used, "%s%s", k ? " " : "",
                                     offload_rule_id(row->reasons[k].rule));
        CHECK_EQ_STR(got, want[i].rules);
    }
    offload_release(&r);
    graph_release(&g);
}

/* A plain-C MLF of an ONNX QDQ model: fused C functions found by class and constants. */
TEST(offload, map_hand_qdq_onnx)
{
    static const struct { const char *layer; int status, step; } want[] = {
        {"xq", MAP_STEP, 0}, {"cq", MAP_STEP, 1}, {"pq", MAP_STEP, 2}, {"rq", MAP_FOLDED, -1},
        {"mq", MAP_STEP, 3}, {"md", MAP_FUSED, 4}, {"output", MAP_STEP, 4},
    };
    struct loaded L;
    REQUIRE(load_all(&L, "tests/data/offload/qdq.onnx", "tests/data/offload/qdq", NULL));
    CHECK_EQ_INT(L.g.n_layers, 7);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int li = layer_named(&L.g, want[i].layer);
        REQUIRE(li >= 0);
        CHECK_EQ_INT(L.mp.layers[li].status, want[i].status);
        CHECK_EQ_INT(L.mp.layers[li].step, want[i].step);
        if (want[i].status != MAP_FOLDED)
            CHECK_EQ_STR(L.mp.layers[li].target, "c");
    }
    struct offload_report r;
    struct errbuf eb;
    errbuf_init(&eb);
    offload_init(&r);
    REQUIRE(offload_analyse(&r, &L.g, &L.mp, NULL, &eb) == 0);
    CHECK_EQ_INT(r.n_mismatches, 0);
    CHECK_EQ_INT(r.macs_cmsis, 0);
    CHECK_EQ_INT(r.n_hazards, 0);
    offload_release(&r);
    free_all(&L);
}

TEST(offload, deployed_params_from_mlf)
{
    struct loaded L;
    REQUIRE(load_all(&L, SPANS_MODEL, "tests/data/mlf-hand/v7-cmsis", NULL));
    struct arena a;
    arena_init(&a);
    struct interp_layer_params *p = NULL;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(map_deployed_params(&L.mp, &a, &p, &eb) == 0);
    int conv = layer_named(&L.g, "model/conv2d/Relu");
    int fc = layer_named(&L.g, "model/dense/BiasAdd1");
    int sm = layer_named(&L.g, "StatefulPartitionedCall");
    CHECK_EQ_INT(p[conv].arith, INTERP_ARITH_TFLM);
    CHECK(!p[conv].single_rounding);
    REQUIRE(p[conv].n_mult == 4);
    CHECK_EQ_INT(p[conv].mult[1], 0x40000000);     /* constant_1_let */
    CHECK_EQ_INT(p[conv].shift[3], -0x21);         /* constant_3_let */
    CHECK(p[conv].has_offsets);
    CHECK_EQ_INT(p[conv].in_offset, 128);          /* conv_params = {128, -5, ...} */
    CHECK_EQ_INT(p[conv].out_offset, -5);
    CHECK_EQ_INT(p[conv].act_min, -128);
    REQUIRE(p[fc].n_mult == 1);
    CHECK_EQ_INT(p[fc].mult[0], 1552512742);       /* quant_params = {1552512742, -5} */
    CHECK_EQ_INT(p[fc].in_offset, 5);              /* fc_params = {5, 0, -3, activation} */
    CHECK_EQ_INT(p[fc].out_offset, -3);
    REQUIRE(p[sm].n_mult == 1);                    /* arm_softmax_s8(.., 1476210432, 24, -124) */
    CHECK_EQ_INT(p[sm].mult[0], 1476210432);
    CHECK_EQ_INT(p[sm].shift[0], 24);
    CHECK_EQ_INT(p[sm].act_min, -124);
    arena_release(&a);
    free_all(&L);
}

/* run --arith deployed on a plain-C MLF: every computed layer in TVM arithmetic. */
TEST(offload, run_deployed_cli)
{
    const char *dir = test_tmpdir(t_);
    char args[1024];
    snprintf(args, sizeof args, "run tests/data/offload/qdq.onnx --arith deployed --mlf "
             "tests/data/offload/qdq --input tests/data/offload/qdq-input.npy -o %s/out", dir);
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli(args, &out, &err), 0);
    char path[600];
    snprintf(path, sizeof path, "%s/out/index.json", dir);
    size_t n = 0;
    unsigned char *idx = test_read_file(path, &n);
    REQUIRE(idx != NULL);
    char *text = mem_alloc(n + 1);
    REQUIRE(text != NULL);
    memcpy(text, idx, n);
    text[n] = '\0';
    CHECK(strstr(text, "\"arith\":\t\"deployed\"") != NULL);
    const char *conv = strstr(text, "\"name\":\t\"cq\"");
    REQUIRE(conv != NULL);
    CHECK(strstr(conv, "\"arith\":\t\"tvm\"") != NULL);
    mem_free(text);
    mem_free(idx);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("run tests/data/offload/qdq.onnx --arith deployed "
                          "--input tests/data/offload/qdq-input.npy -o /tmp/x", &out, &err), 2);
    CHECK(strstr(sbuf_str(&err), "needs --mlf") != NULL);
    sbuf_release(&out);
    sbuf_release(&err);
}

/*
 * A deployed run driven by the map alone: every layer through the ref/ kernels with the
 * geometry, multipliers, shifts and offsets the map decoded from the MLF (CMSIS-NN double
 * rounding), folded layers as copies. It checks that the map hands the interpreter the right
 * numbers: the MLPerf Tiny board outputs (tests/data/models/README.md) must come out.
 */
static void geometry(int32_t in, int32_t k, int32_t stride, int32_t dil, int32_t pad,
                     int32_t out, int32_t *in_used, int32_t *pad_end)
{
    int32_t span = (out - 1) * stride + dil * (k - 1) + 1;
    int32_t end = span - pad - in;
    *pad_end = end > 0 ? end : 0;
    *in_used = in;
    if ((in + pad + *pad_end - span) / stride > 0)
        *in_used = in + end;
}

static struct ref_shape dims4(const struct mlf_dims *d)
{
    struct ref_shape s = {4, {d->n, d->h, d->w, d->c}};
    return s;
}

static int run_layer(const struct map *mp, size_t li, int8_t **val, struct errbuf *eb)
{
    const struct graph *g = mp->g;
    const struct layer *l = &g->layers[li];
    const struct map_layer *ml = &mp->layers[li];
    int yt = l->outputs[0];
    size_t ny = 0;
    tensor_elems(&g->tensors[yt], &ny);
    int8_t *y = mem_calloc(ny ? ny : 1, 1);
    if (y == NULL)
        return ST_ENOMEM;
    val[yt] = y;
    /* activation inputs in order */
    int xs[2] = {-1, -1};
    for (size_t i = 0, k = 0; i < l->n_inputs && k < 2; i++)
        if (l->inputs[i] >= 0 && !(g->tensors[l->inputs[i]].flags & TENSOR_CONST))
            xs[k++] = l->inputs[i];
    if (xs[0] < 0 || val[xs[0]] == NULL)
        return errbuf_set(eb, ST_EINVAL, "layer %zu: no input value", li);
    const int8_t *x = val[xs[0]];
    if (ml->status == MAP_FOLDED) {
        memcpy(y, x, ny);
        return 0;
    }
    const struct mlf_kernel *k = ml->params.kernel;
    if (ml->status != MAP_STEP || k == NULL)
        return errbuf_set(eb, ST_EINVAL, "layer %zu: no CMSIS-NN kernel", li);
    struct ref_requant rq = {REF_ROUND_CMSIS_DOUBLE, ml->params.n_quant, ml->params.mult,
                             ml->params.shift, NULL, k->output_offset, k->act_min, k->act_max};
    struct ref_shape out_s = dims4(&k->output), b_s = {1, {(int32_t)ml->params.n_bias}};
    int32_t h_used, w_used;
    int rc = REF_EARG;
    switch (k->kind) {
    case MLF_K_CONV: {
        struct ref_conv2d_params p = {
            .layout = REF_LAYOUT_NHWC, .groups = k->input.c / k->filter.c,
            .stride_h = k->stride.h, .stride_w = k->stride.w,
            .dilation_h = k->dilation.h, .dilation_w = k->dilation.w,
            .pad_top = k->padding.h, .pad_left = k->padding.w, .in_zp = -k->input_offset,
            .rq = rq,
        };
        geometry(k->input.h, k->filter.h, k->stride.h, k->dilation.h, k->padding.h,
                 k->output.h, &h_used, &p.pad_bottom);
        geometry(k->input.w, k->filter.w, k->stride.w, k->dilation.w, k->padding.w,
                 k->output.w, &w_used, &p.pad_right);
        struct ref_shape in_s = {4, {1, h_used, w_used, k->input.c}};
        struct ref_shape w_s = dims4(&k->filter);
        if (w_used == k->input.w)
            rc = ref_conv2d_s8(&p, &in_s, x, &w_s, ml->params.filter, &b_s, ml->params.bias,
                               &out_s, y);
        break;
    }
    case MLF_K_DWCONV: {
        struct ref_dwconv2d_params p = {
            .ch_mult = k->ch_mult, .stride_h = k->stride.h, .stride_w = k->stride.w,
            .dilation_h = k->dilation.h, .dilation_w = k->dilation.w,
            .pad_top = k->padding.h, .pad_left = k->padding.w, .in_zp = -k->input_offset,
            .rq = rq,
        };
        geometry(k->input.h, k->filter.h, k->stride.h, k->dilation.h, k->padding.h,
                 k->output.h, &h_used, &p.pad_bottom);
        geometry(k->input.w, k->filter.w, k->stride.w, k->dilation.w, k->padding.w,
                 k->output.w, &w_used, &p.pad_right);
        struct ref_shape in_s = {4, {1, h_used, w_used, k->input.c}};
        struct ref_shape w_s = dims4(&k->filter);
        if (w_used == k->input.w)
            rc = ref_dwconv2d_s8(&p, &in_s, x, &w_s, ml->params.filter, &b_s,
                                 ml->params.bias, &out_s, y);
        break;
    }
    case MLF_K_FC: {
        struct ref_fc_params p = {-k->input_offset, -k->filter_offset, rq};
        int32_t depth = k->filter.n, n_out = k->output.c;
        struct ref_shape in_s = {2, {1, depth}}, w_s = {2, {n_out, depth}};
        struct ref_shape o_s = {2, {1, n_out}};
        rc = ref_fc_s8(&p, &in_s, x, &w_s, ml->params.filter, &b_s, ml->params.bias, &o_s, y);
        break;
    }
    case MLF_K_AVGPOOL: {
        struct ref_pool_params p = {
            .layout = REF_LAYOUT_NHWC, .kernel_h = k->filter.h, .kernel_w = k->filter.w,
            .stride_h = k->stride.h, .stride_w = k->stride.w, .dilation_h = 1,
            .dilation_w = 1, .pad_top = k->padding.h, .pad_left = k->padding.w,
            .round = REF_ROUND_CMSIS_DOUBLE, .act_min = k->act_min, .act_max = k->act_max,
        };
        int32_t unused;
        geometry(k->input.h, k->filter.h, k->stride.h, 1, k->padding.h, k->output.h, &unused,
                 &p.pad_bottom);
        geometry(k->input.w, k->filter.w, k->stride.w, 1, k->padding.w, k->output.w, &unused,
                 &p.pad_right);
        struct ref_shape in_s = dims4(&k->input);
        rc = ref_avgpool_s8(&p, &in_s, x, &out_s, y);
        break;
    }
    case MLF_K_SOFTMAX: {
        struct ref_softmax_params p = {.axis = 1, .round = REF_ROUND_CMSIS_DOUBLE,
                                       .mult = k->mult, .shift = k->shift,
                                       .diff_min = k->diff_min};
        struct ref_shape s = {2, {k->num_rows, k->row_size}};
        rc = ref_softmax_s8(&p, &s, x, &s, y);
        break;
    }
    case MLF_K_ADD: {
        /* which model input is the kernel's input_0_: the one whose buffer it reads */
        const struct mlf_step *s = &mp->m->steps[ml->step];
        int a0 = k->ptr_param[MLF_KP_INPUT];
        int prod1 = g->nodes[g->tensors[xs[1]].producer].layer;
        if (a0 >= 0 && prod1 >= 0 && mp->layers[prod1].out.offset == s->args[a0].offset &&
            mp->layers[prod1].out.pool == s->args[a0].pool) {
            int t = xs[0];
            xs[0] = xs[1];
            xs[1] = t;
        }
        struct ref_add_params p = {
            .round = REF_ROUND_CMSIS_DOUBLE, .in1_zp = -k->in1_offset, .in2_zp = -k->in2_offset,
            .out_zp = k->out_offset, .left_shift = k->left_shift, .in1_mult = k->in1_mult,
            .in1_shift = k->in1_shift, .in2_mult = k->in2_mult, .in2_shift = k->in2_shift,
            .out_mult = k->out_mult, .out_shift = k->out_shift, .act_min = k->act_min,
            .act_max = k->act_max,
        };
        struct ref_shape v = {1, {k->block_size}};
        rc = ref_add_s8(&p, &v, val[xs[0]], &v, val[xs[1]], &v, y);
        break;
    }
    default:
        break;
    }
    return rc == REF_OK ? 0 : errbuf_set(eb, ST_EINVAL, "layer %zu: %s refused", li, k->name);
}

static void deployed_board_case(struct test_ctx *t_, const struct fixture *fx,
                                const char *input, bool uint8_pixels, const int8_t *board,
                                size_t n_board)
{
    struct loaded L;
    REQUIRE(load_all(&L, fx->model, fx->mlf, NULL));
    const struct graph *g = &L.g;
    int8_t **val = mem_calloc(g->n_tensors, sizeof *val);
    REQUIRE(val != NULL);
    size_t n_in = 0;
    unsigned char *in = test_read_file(input, &n_in);
    REQUIRE(in != NULL);
    if (uint8_pixels)
        for (size_t i = 0; i < n_in; i++)
            in[i] ^= 0x80;   /* the model input is pixel - 128 */
    val[g->inputs[0]] = (int8_t *)in;
    struct errbuf eb;
    errbuf_init(&eb);
    int rc = 0;
    for (size_t li = 0; li < g->n_layers && rc == 0; li++)
        rc = run_layer(&L.mp, li, val, &eb);
    if (rc != 0)
        fprintf(stderr, "  %s: %s\n", input, eb.msg);
    CHECK_EQ_INT(rc, 0);
    const int8_t *out = val[g->outputs[0]];
    if (rc == 0 && out != NULL)
        CHECK_MEM(out, board, n_board);
    for (size_t i = 0; i < g->n_tensors; i++)
        if (val[i] != (int8_t *)in)
            mem_free(val[i]);
    mem_free(in);
    mem_free(val);
    free_all(&L);
}

TEST(offload, deployed_kws_ic_reproduce_board)
{
    static const int8_t kws_left[12] = {-128, -128, 56, -128, -125, -128, -120, -128, -126,
                                        -128, -128, -70};
    static const int8_t kws_yes[12] = {-128, -128, -128, -128, -128, -128, -128, -128, -128,
                                       127, -128, -128};
    static const int8_t ic_cock[10] = {-128, -128, -93, -117, -128, -58, -128, 11, -128, -127};
    static const int8_t ic_horse[10] = {-128, -128, -128, -128, -128, -127, -128, 127, -128,
                                        -128};
    static const int8_t ic_wapiti[10] = {-128, -128, -128, -128, 127, -128, -128, -128, -128,
                                         -128};
    const char *in = "tests/data/models/inputs/";
    char p[256];
    snprintf(p, sizeof p, "%skws/tst_000099_Left_2.bin", in);
    deployed_board_case(t_, &fixtures[0], p, false, kws_left, 12);
    snprintf(p, sizeof p, "%skws/tst_000098_Yes_9.bin", in);
    deployed_board_case(t_, &fixtures[0], p, false, kws_yes, 12);
    snprintf(p, sizeof p, "%sic/cock_s_000054.bin", in);
    deployed_board_case(t_, &fixtures[1], p, true, ic_cock, 10);
    snprintf(p, sizeof p, "%sic/walking_horse_s_001755.bin", in);
    deployed_board_case(t_, &fixtures[1], p, true, ic_horse, 10);
    snprintf(p, sizeof p, "%sic/wapiti_s_001247.bin", in);
    deployed_board_case(t_, &fixtures[1], p, true, ic_wapiti, 10);
}

TEST(offload, graph_cli_with_mlf)
{
    char args[1024], path[600];
    const char *dir = test_tmpdir(t_);
    snprintf(path, sizeof path, "%s/kws.dot", dir);
    snprintf(args, sizeof args, "graph tests/data/models/kws_ref_model.tflite --mlf "
             "tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws -o %s", path);
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli(args, &out, &err), 0);
    size_t n = 0;
    unsigned char *dot = test_read_file(path, &n);
    REQUIRE(dot != NULL);
    char *text = mem_alloc(n + 1);
    REQUIRE(text != NULL);
    memcpy(text, dot, n);
    text[n] = '\0';
    size_t clusters = 0;
    for (const char *p = text; (p = strstr(p, "subgraph cluster_p")) != NULL; p++)
        clusters++;
    CHECK_EQ_INT(clusters, 12);   /* the 12 CMSIS-NN steps */
    CHECK(strstr(text, "tvmgen_default_cmsis_nn_main_11") != NULL);
    CHECK(strstr(text, "dashed") != NULL);   /* the folded RESHAPE */
    mem_free(text);
    mem_free(dot);
    CHECK_EQ_INT(test_cli("graph tests/data/models/kws_ref_model.tflite --map x -o /tmp/x.dot",
                          &out, &err), 2);
    sbuf_release(&out);
    sbuf_release(&err);
}

/* `run --arith deployed --mlf`: the interpreter with the map's settings gives the board's bytes. */
static void run_deployed_case(struct test_ctx *t_, const struct fixture *fx, const char *input,
                              bool uint8_pixels, const char *shape, const char *out_name,
                              const int8_t *board, size_t n_board)
{
    const char *dir = test_tmpdir(t_);
    char in_path[600], args[2048], out_path[700];
    size_t n = 0;
    unsigned char *in = test_read_file(input, &n);
    REQUIRE(in != NULL);
    if (uint8_pixels)
        for (size_t i = 0; i < n; i++)
            in[i] ^= 0x80;   /* the model input is pixel - 128 */
    snprintf(in_path, sizeof in_path, "%s/input.bin", dir);
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(fileio_write(in_path, in, n, &eb) == 0);
    mem_free(in);
    snprintf(args, sizeof args, "run %s --input %s --input-dtype int8 --input-shape %s "
             "--arith deployed --mlf %s --dump outputs -o %s/out", fx->model, in_path, shape,
             fx->mlf, dir);
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    int rc = test_cli(args, &out, &err);
    CHECK_EQ_INT(rc, 0);
    if (rc != 0)
        fprintf(stderr, "  %s\n", sbuf_str(&err));
    sbuf_release(&out);
    sbuf_release(&err);
    snprintf(out_path, sizeof out_path, "%s/out/%s", dir, out_name);
    struct tensor_value v;
    REQUIRE(npy_read_file(out_path, &v, &eb) == 0);
    CHECK_EQ_INT(v.bytes, n_board);
    if (v.bytes == n_board)
        CHECK_MEM(v.data, board, n_board);
    mem_free(v.data);
}

TEST(offload, run_deployed_kws_ic_board_outputs)
{
    static const int8_t kws_left[12] = {-128, -128, 56, -128, -125, -128, -120, -128, -126,
                                        -128, -128, -70};
    static const int8_t kws_yes[12] = {-128, -128, -128, -128, -128, -128, -128, -128, -128,
                                       127, -128, -128};
    static const int8_t ic_cock[10] = {-128, -128, -93, -117, -128, -58, -128, 11, -128, -127};
    static const int8_t ic_horse[10] = {-128, -128, -128, -128, -128, -127, -128, 127, -128,
                                        -128};
    static const int8_t ic_wapiti[10] = {-128, -128, -128, -128, 127, -128, -128, -128, -128,
                                         -128};
    const char *kws_out = "0000_Identity.npy", *ic_out = "0000_Identity_int8.npy";
    run_deployed_case(t_, &fixtures[0], "tests/data/models/inputs/kws/tst_000099_Left_2.bin",
                      false, "1,49,10,1", kws_out, kws_left, 12);
    run_deployed_case(t_, &fixtures[0], "tests/data/models/inputs/kws/tst_000098_Yes_9.bin",
                      false, "1,49,10,1", kws_out, kws_yes, 12);
    run_deployed_case(t_, &fixtures[1], "tests/data/models/inputs/ic/cock_s_000054.bin", true,
                      "1,32,32,3", ic_out, ic_cock, 10);
    run_deployed_case(t_, &fixtures[1], "tests/data/models/inputs/ic/walking_horse_s_001755.bin",
                      true, "1,32,32,3", ic_out, ic_horse, 10);
    run_deployed_case(t_, &fixtures[1], "tests/data/models/inputs/ic/wapiti_s_001247.bin", true,
                      "1,32,32,3", ic_out, ic_wapiti, 10);
}
