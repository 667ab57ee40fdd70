/*
 * Tests of the graph picture: the view model (views/graphview.c) on hand-built graphs, the
 * graphviz renderer (views/gv.c): deterministic DOT, structurally checked SVG, escaping,
 * annotations (clusters, targets, marks), allocation faults, and the `graph` command.
 */
#define _POSIX_C_SOURCE 200809L    /* setenv */

#include "test.h"

#include <stdarg.h>
#include <stdlib.h>

#include "../src/arena.h"
#include "../src/errbuf.h"
#include "../src/graph.h"
#include "../src/mem.h"
#include "../src/sbuf.h"
#include "../views/graphview.h"
#include "../views/gv.h"

/* Sets a tensor's type, shape and flags; data (if any) is copied into the graph arena. */
static void set_tensor(struct graph *g, int t, enum dtype dt, int rank, const int64_t *dims,
                       unsigned flags, const void *data, size_t bytes)
{
    struct tensor *ts = &g->tensors[t];
    ts->dtype = dt;
    ts->rank = rank;
    for (int i = 0; i < rank; i++)
        ts->dims[i] = dims[i];
    ts->flags = flags;
    if (data != NULL) {
        ts->data = arena_memdup(&g->arena, data, bytes);
        ts->data_bytes = bytes;
    }
}

static int scalar_f32(struct graph *g, const char *name, float v, struct errbuf *eb)
{
    int t = graph_tensor(g, name, eb);
    if (t >= 0)
        set_tensor(g, t, DTYPE_F32, 0, NULL, TENSOR_CONST, &v, sizeof v);
    return t;
}

static int scalar_u8(struct graph *g, const char *name, uint8_t v, struct errbuf *eb)
{
    int t = graph_tensor(g, name, eb);
    if (t >= 0)
        set_tensor(g, t, DTYPE_U8, 0, NULL, TENSOR_CONST, &v, sizeof v);
    return t;
}

static const int *arena_ints(struct graph *g, const int *v, size_t n)
{
    return arena_memdup(&g->arena, v, n * sizeof *v);
}

/*
 * x -> QLinearConv(conv_name) -> y1 -> QLinearAdd(y1, y1) -> y2 -> DequantizeLinear -> y3,
 * with three hand-made layers (qoperator, qoperator, float). Scales and zero points are
 * the constants below: y1 has 0.05/128, y2 has 0.1/100.
 */
static int build_qop(struct graph *g, const char *conv_out, struct errbuf *eb)
{
    static const int64_t x_dims[] = {1, 3, 8, 8}, w_dims[] = {4, 3, 3, 3},
                         y_dims[] = {1, 4, 6, 6};
    int8_t w_data[4 * 3 * 3 * 3] = {0};
    int x = graph_tensor(g, "x", eb);
    int w = graph_tensor(g, "w", eb);
    int xs = scalar_f32(g, "x_scale", 0.02f, eb), xzp = scalar_u8(g, "x_zp", 0, eb);
    int ws = scalar_f32(g, "w_scale", 0.01f, eb), wzp = scalar_u8(g, "w_zp", 0, eb);
    int ys = scalar_f32(g, "y_scale", 0.05f, eb), yzp = scalar_u8(g, "y_zp", 128, eb);
    int zs = scalar_f32(g, "z_scale", 0.1f, eb), zzp = scalar_u8(g, "z_zp", 100, eb);
    int y1 = graph_tensor(g, conv_out, eb);
    int y2 = graph_tensor(g, "y2", eb);
    int y3 = graph_tensor(g, "y3", eb);
    if (eb->code != 0)
        return eb->code;
    set_tensor(g, x, DTYPE_U8, 4, x_dims, TENSOR_INPUT, NULL, 0);
    set_tensor(g, w, DTYPE_S8, 4, w_dims, TENSOR_CONST, w_data, sizeof w_data);
    set_tensor(g, y1, DTYPE_U8, 4, y_dims, 0, NULL, 0);
    set_tensor(g, y2, DTYPE_U8, 4, y_dims, 0, NULL, 0);
    set_tensor(g, y3, DTYPE_F32, 4, y_dims, TENSOR_OUTPUT, NULL, 0);

    int conv_in[] = {x, xs, xzp, w, ws, wzp, ys, yzp};
    int add_in[] = {y1, ys, yzp, y1, ys, yzp, zs, zzp};
    int dq_in[] = {y2, zs, zzp};
    struct node conv = {.name = "conv", .op = "QLinearConv", .domain = "", .n_inputs = 8,
                        .inputs = conv_in, .n_outputs = 1, .outputs = &y1};
    struct node add = {.name = "add", .op = "QLinearAdd", .domain = "com.microsoft",
                       .n_inputs = 8, .inputs = add_in, .n_outputs = 1, .outputs = &y2};
    struct node dq = {.name = "dq", .op = "DequantizeLinear", .domain = "", .n_inputs = 3,
                      .inputs = dq_in, .n_outputs = 1, .outputs = &y3};
    /* Listed out of order: graph_finish sorts them. */
    if (graph_add_node(g, &dq, eb) < 0 || graph_add_node(g, &add, eb) < 0 ||
        graph_add_node(g, &conv, eb) < 0 || graph_finish(g, eb) < 0)
        return eb->code;

    struct layer *l = arena_zalloc(&g->arena, 3 * sizeof *l);
    if (l == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    int l0_in[] = {x, xs, xzp, w, ws, wzp, ys, yzp}, l1_in[] = {y1, ys, yzp, zs, zzp},
        l2_in[] = {y2, zs, zzp};
    int n0 = 0, n1 = 1, n2 = 2;
    l[0] = (struct layer){.name = g->tensors[y1].name, .op = "QLinearConv", .kind = LAYER_QOP,
                          .main_node = 0, .n_nodes = 1, .nodes = arena_ints(g, &n0, 1),
                          .n_inputs = 8, .inputs = arena_ints(g, l0_in, 8), .n_outputs = 1,
                          .outputs = arena_ints(g, &y1, 1)};
    l[1] = (struct layer){.name = "y2", .op = "QLinearAdd", .kind = LAYER_QOP, .main_node = 1,
                          .n_nodes = 1, .nodes = arena_ints(g, &n1, 1), .n_inputs = 5,
                          .inputs = arena_ints(g, l1_in, 5), .n_outputs = 1,
                          .outputs = arena_ints(g, &y2, 1)};
    l[2] = (struct layer){.name = "y3", .op = "DequantizeLinear", .kind = LAYER_FLOAT,
                          .main_node = 2, .n_nodes = 1, .nodes = arena_ints(g, &n2, 1),
                          .n_inputs = 3, .inputs = arena_ints(g, l2_in, 3), .n_outputs = 1,
                          .outputs = arena_ints(g, &y3, 1)};
    for (int i = 0; i < 3; i++)
        g->nodes[i].layer = i;
    g->layers = l;
    g->n_layers = 3;
    g->inputs = arena_ints(g, &x, 1);
    g->n_inputs = 1;
    g->outputs = arena_ints(g, &y3, 1);
    g->n_outputs = 1;
    return 0;
}

static size_t count_str(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + len, needle))
        n++;
    return n;
}

/*
 * A small XML well-formedness check: every start tag closed by the matching end tag,
 * quoted attribute values, nothing after the root. Returns NULL or what is wrong.
 */
static const char *xml_check(const char *s)
{
    const char *stack[128];
    size_t stack_len[128], depth = 0;
    bool seen_root = false;
    while ((s = strchr(s, '<')) != NULL) {
        if (strncmp(s, "<!--", 4) == 0) {
            s = strstr(s, "-->");
            if (s == NULL)
                return "unterminated comment";
            continue;
        }
        if (s[1] == '?' || s[1] == '!') {
            s = strchr(s, '>');
            if (s == NULL)
                return "unterminated declaration";
            continue;
        }
        bool closing = s[1] == '/';
        const char *name = s + 1 + closing;
        size_t nlen = strcspn(name, " \t\r\n/>");
        const char *p = name + nlen;
        while (*p != '\0' && *p != '>') {
            if (*p == '"' || *p == '\'') {
                const char *q = strchr(p + 1, *p);
                if (q == NULL)
                    return "unterminated attribute value";
                p = q;
            } else if (*p == '<') {
                return "'<' inside a tag";
            }
            p++;
        }
        if (*p != '>' || nlen == 0)
            return "unterminated tag";
        bool self_closing = p[-1] == '/';
        if (closing) {
            if (depth == 0 || stack_len[depth - 1] != nlen ||
                strncmp(stack[depth - 1], name, nlen) != 0)
                return "end tag does not match start tag";
            depth--;
        } else if (!self_closing) {
            if (depth == 0 && seen_root)
                return "second root element";
            if (depth == 128)
                return "nesting too deep";
            stack[depth] = name;
            stack_len[depth++] = nlen;
            seen_root = true;
        }
        s = p + 1;
    }
    return depth == 0 && seen_root ? NULL : "unclosed elements at the end";
}

TEST(views, layer_view_boxes_edges_labels)
{
    struct graph g;
    struct graphview v;
    struct errbuf eb;
    struct graphview_options opt = {.mode = GRAPHVIEW_LAYERS};
    graph_init(&g);
    graphview_init(&v);
    errbuf_init(&eb);
    REQUIRE(build_qop(&g, "y1", &eb) == 0);
    REQUIRE(graphview_build(&v, &g, &opt, &eb) == 0);
    CHECK_EQ_INT(v.n_boxes, 5);     /* input, three layers, output */
    CHECK_EQ_INT(graphview_count(&v, GRAPHVIEW_BOX_LAYER), 3);
    CHECK_EQ_INT(graphview_count(&v, GRAPHVIEW_BOX_CONST), 0);
    /* x->conv, conv->add (y1 read twice, drawn once), add->dq, dq->output */
    CHECK_EQ_INT(v.n_edges, 4);
    int b0 = graphview_box_of_layer(&v, 0), b1 = graphview_box_of_layer(&v, 1);
    REQUIRE(b0 >= 0 && b1 >= 0);
    CHECK_EQ_STR(v.boxes[b0].label, "y1\nQLinearConv [qoperator]\n1x4x6x6 uint8\n"
                                    "scale 0.05  zp 128");
    CHECK_EQ_STR(v.boxes[b1].label, "y2\nQLinearAdd [qoperator]\n1x4x6x6 uint8\n"
                                    "scale 0.1  zp 100");
    CHECK_EQ_STR(v.boxes[graphview_box_of_layer(&v, 2)].label,
                 "y3\nDequantizeLinear [float]\n1x4x6x6 float32");
    CHECK_EQ_STR(v.edges[0].label, "1x3x8x8");
    CHECK_EQ_INT(v.edges[1].from, b0);
    CHECK_EQ_INT(v.edges[1].to, b1);
    CHECK(strcmp(v.boxes[b0].fill, v.boxes[graphview_box_of_layer(&v, 2)].fill) != 0);
    REQUIRE(v.n_legend == 2);
    CHECK_EQ_STR(v.legend[0].label, "qoperator");
    CHECK_EQ_INT(v.legend[0].count, 2);
    CHECK_EQ_STR(v.legend[1].label, "float");
    CHECK_EQ_INT(v.legend[1].count, 1);

    /* --constants: a box per (constant, consumer): 7 into the conv, 4 into the add (y_scale
     * and y_zp read twice, drawn once), 2 into the dequantize. */
    opt.show_constants = true;
    REQUIRE(graphview_build(&v, &g, &opt, &eb) == 0);
    CHECK_EQ_INT(graphview_count(&v, GRAPHVIEW_BOX_CONST), 7 + 4 + 2);
    CHECK_EQ_INT(v.n_edges, 4 + 7 + 4 + 2);
    graphview_release(&v);
    graph_release(&g);
}

TEST(views, node_view_labels_edges_with_tensor_names)
{
    struct graph g;
    struct graphview v;
    struct errbuf eb;
    struct graphview_options opt = {.mode = GRAPHVIEW_NODES};
    graph_init(&g);
    graphview_init(&v);
    errbuf_init(&eb);
    REQUIRE(build_qop(&g, "y1", &eb) == 0);
    REQUIRE(graphview_build(&v, &g, &opt, &eb) == 0);
    CHECK_EQ_INT(graphview_count(&v, GRAPHVIEW_BOX_NODE), 3);
    CHECK_EQ_INT(v.n_edges, 4);
    CHECK_EQ_STR(v.boxes[1].label, "conv\nQLinearConv");
    CHECK_EQ_STR(v.boxes[2].label, "add\ncom.microsoft.QLinearAdd");
    CHECK_EQ_STR(v.edges[1].label, "y1\n1x4x6x6");
    graphview_release(&v);
    graph_release(&g);
}

static char *render(const struct graphview *v, enum gv_format f, size_t *bytes)
{
    struct errbuf eb;
    char *out = NULL;
    errbuf_init(&eb);
    if (gv_render_data(v, f, &out, bytes, &eb) != 0) {
        fprintf(stderr, "render: %s\n", eb.msg);
        return NULL;
    }
    return out;
}

TEST(views, dot_is_deterministic_and_svg_well_formed)
{
    struct graph g;
    struct graphview v1, v2;
    struct errbuf eb;
    struct graphview_options opt = {.mode = GRAPHVIEW_LAYERS, .show_constants = true};
    size_t n1, n2, ns;
    graph_init(&g);
    graphview_init(&v1);
    graphview_init(&v2);
    errbuf_init(&eb);
    REQUIRE(build_qop(&g, "y1", &eb) == 0);
    REQUIRE(graphview_build(&v1, &g, &opt, &eb) == 0);
    REQUIRE(graphview_build(&v2, &g, &opt, &eb) == 0);
    char *d1 = render(&v1, GV_DOT, &n1);
    char *d2 = render(&v2, GV_DOT, &n2);
    char *svg = render(&v1, GV_SVG, &ns);
    REQUIRE(d1 != NULL && d2 != NULL && svg != NULL);
    CHECK_EQ_INT(n1, n2);
    if (n1 == n2)
        CHECK_MEM(d1, d2, n1);
    CHECK_EQ_INT(strncmp(d1, "digraph mlfscope {", 18), 0);
    CHECK(strstr(d1, "QLinearConv [qoperator]") != NULL);

    CHECK(xml_check(svg) == NULL);
    if (xml_check(svg) != NULL)
        fprintf(stderr, "svg: %s\n", xml_check(svg));
    CHECK_EQ_INT(count_str(svg, "<g id=\"node"), v1.n_boxes + 1);   /* + legend */
    CHECK_EQ_INT(count_str(svg, "<g id=\"edge"), v1.n_edges);
    CHECK_EQ_INT(count_str(svg, "<g id=\"clust"), 0);
    CHECK(strstr(svg, ">qoperator</text>") != NULL);
    mem_free(d1);
    mem_free(d2);
    mem_free(svg);

    /* PNG and PDF come out with their magic numbers. */
    char *png = render(&v1, GV_PNG, &n1);
    char *pdf = render(&v1, GV_PDF, &n2);
    CHECK(png != NULL && n1 > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0);
    CHECK(pdf != NULL && n2 > 5 && memcmp(pdf, "%PDF-", 5) == 0);
    mem_free(png);
    mem_free(pdf);
    graphview_release(&v1);
    graphview_release(&v2);
    graph_release(&g);
}

TEST(views, names_are_escaped)
{
    struct graph g;
    struct graphview v;
    struct errbuf eb;
    struct graphview_options opt = {.mode = GRAPHVIEW_LAYERS};
    size_t n;
    graph_init(&g);
    graphview_init(&v);
    errbuf_init(&eb);
    /* \N would be replaced by the node id if not escaped; '"' and '<' must survive too. */
    REQUIRE(build_qop(&g, "we\"ird\\N<x>", &eb) == 0);
    REQUIRE(graphview_build(&v, &g, &opt, &eb) == 0);
    char *dot = render(&v, GV_DOT, &n);
    char *svg = render(&v, GV_SVG, &n);
    REQUIRE(dot != NULL && svg != NULL);
    CHECK(strstr(dot, "we\\\"ird\\\\N<x>") != NULL);
    CHECK(strstr(svg, ">we&quot;ird\\N&lt;x&gt;</text>") != NULL);
    CHECK(xml_check(svg) == NULL);
    mem_free(dot);
    mem_free(svg);
    graphview_release(&v);
    graph_release(&g);
}

/*
 * TFLite joins fused tensor names with ';': the label shows the first part (the layer's own
 * name), the box and its tooltip keep the whole.
 */
TEST(views, long_names_wrap)
{
    static const char name[] = "functional_1/activation/Relu;functional_1/conv2d/BiasAdd;"
                               "functional_1/conv2d/Conv2D1";
    struct graph g;
    struct graphview v;
    struct errbuf eb;
    struct graphview_options opt = {.mode = GRAPHVIEW_LAYERS};
    graph_init(&g);
    graphview_init(&v);
    errbuf_init(&eb);
    REQUIRE(build_qop(&g, name, &eb) == 0);
    REQUIRE(graphview_build(&v, &g, &opt, &eb) == 0);
    const struct graphview_box *bx = &v.boxes[graphview_box_of_layer(&v, 0)];
    CHECK_EQ_STR(bx->name, name);
    CHECK_EQ_INT(strncmp(bx->label, "functional_1/activation/Relu;...\nQLinearConv", 44), 0);
    char *dot = NULL;
    size_t dot_bytes = 0;
    REQUIRE(gv_render_data(&v, GV_DOT, &dot, &dot_bytes, &eb) == 0);
    CHECK(strstr(dot, "tooltip=\"functional_1/activation/Relu;functional_1/conv2d/BiasAdd;"
                      "functional_1/conv2d/Conv2D1\"") != NULL);
    mem_free(dot);
    graphview_release(&v);
    graph_release(&g);
}

TEST(views, annotations_clusters_targets_marks)
{
    struct graph g;
    struct graphview v;
    struct errbuf eb;
    struct graphview_options opt = {.mode = GRAPHVIEW_LAYERS};
    size_t n;
    graph_init(&g);
    graphview_init(&v);
    errbuf_init(&eb);
    REQUIRE(build_qop(&g, "y1", &eb) == 0);
    REQUIRE(graphview_build(&v, &g, &opt, &eb) == 0);
    int p0 = graphview_add_cluster(&v, "tvmgen_default_cmsis_nn_main_0", "#f0fff0", false, &eb);
    int p1 = graphview_add_cluster(&v, "tvmgen_default_fused_add", NULL, true, &eb);
    REQUIRE(p0 == 0 && p1 == 1);
    struct graphview_box *b0 = &v.boxes[graphview_box_of_layer(&v, 0)];
    struct graphview_box *b1 = &v.boxes[graphview_box_of_layer(&v, 1)];
    b0->cluster = p0;
    b0->target = "cmsis-nn";
    b1->cluster = p1;
    b1->target = "c";
    b1->marked = true;
    b1->note = "shift -33 < -31";
    REQUIRE(graphview_style(&v, GRAPHVIEW_COLOUR_TARGET, &eb) == 0);
    REQUIRE(v.n_legend == 3);
    CHECK_EQ_STR(v.legend[0].label, "cmsis-nn");
    CHECK_EQ_STR(v.legend[1].label, "c");
    CHECK_EQ_STR(v.legend[2].label, "not mapped");
    CHECK_EQ_STR(b1->border, "#d00000");
    char *svg = render(&v, GV_SVG, &n);
    REQUIRE(svg != NULL);
    CHECK(xml_check(svg) == NULL);
    CHECK_EQ_INT(count_str(svg, "<g id=\"clust"), 2);
    CHECK_EQ_INT(count_str(svg, "<g id=\"node"), v.n_boxes + 1);
    CHECK(strstr(svg, ">shift &#45;33 &lt; &#45;31</text>") != NULL);
    mem_free(svg);

    b0->status = "exact";
    b1->status = "diverged";
    REQUIRE(graphview_style(&v, GRAPHVIEW_COLOUR_STATUS, &eb) == 0);
    CHECK_EQ_STR(v.legend_title, "status");
    CHECK_EQ_STR(v.legend[1].label, "diverged");
    CHECK_EQ_STR(b1->fill, v.legend[1].fill);
    graphview_release(&v);
    graph_release(&g);
}

TEST(views, graphview_build_allocation_faults)
{
    struct graph g;
    struct errbuf eb;
    struct graphview_options opt = {.mode = GRAPHVIEW_LAYERS, .show_constants = true};
    graph_init(&g);
    errbuf_init(&eb);
    REQUIRE(build_qop(&g, "y1", &eb) == 0);
    for (long k = 0; k < 200; k++) {
        struct graphview v;
        graphview_init(&v);
        errbuf_init(&eb);
        mem_fail_after(k);
        int rc = graphview_build(&v, &g, &opt, &eb);
        mem_fail_after(-1);
        if (rc == 0) {
            CHECK(v.n_boxes > 0);
            graphview_release(&v);
            break;
        }
        CHECK_EQ_INT(rc, ST_ENOMEM);
        CHECK_EQ_INT(v.n_boxes, 0);
    }
    graph_release(&g);
}

TEST(views, output_format_from_suffix)
{
    struct errbuf eb;
    enum gv_format f = GV_PDF;
    errbuf_init(&eb);
    CHECK(gv_format_from_path("a/b.SVG", &f, &eb) == 0 && f == GV_SVG);
    CHECK(gv_format_from_path("x.gv", &f, &eb) == 0 && f == GV_DOT);
    CHECK(gv_format_from_path("x.png", &f, &eb) == 0 && f == GV_PNG);
    CHECK_EQ_INT(gv_format_from_path("x.jpeg", &f, &eb), ST_EINVAL);
    CHECK(strstr(eb.msg, "'.jpeg'") != NULL);
    CHECK_EQ_INT(f, GV_PNG);
}

/* ---- the `graph` command on real models (tests/data/onnx-models, see its README) ---- */

#define SHUFFLENET "tests/data/onnx-models/shufflenet-v2-12-int8-qop/model.onnx"
#define RESNET8 "tests/data/onnx-models/mlperf-tiny-ic-resnet8-qdq/model.onnx"

/* Runs `mlfscope ARGS`, returns its exit code; prints stderr on an unexpected failure. */
static int run_cli(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_cli(const char *fmt, ...)
{
    char args[1024];
    struct sbuf err;
    va_list ap;
    sbuf_init(&err);
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int rc = test_cli(args, NULL, &err);
    if (rc != 0 && rc != 2)
        fprintf(stderr, "mlfscope %s: exit %d: %s\n", args, rc, sbuf_str(&err));
    sbuf_release(&err);
    return rc;
}

static char *read_text(const char *dir, const char *name)
{
    char path[512];
    size_t bytes;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unsigned char *data = test_read_file(path, &bytes);
    if (data == NULL)
        return NULL;
    char *s = mem_alloc(bytes + 1);
    if (s != NULL) {
        memcpy(s, data, bytes);
        s[bytes] = '\0';
    }
    mem_free(data);
    return s;
}

TEST(views, cli_dot_is_deterministic_on_a_real_model)
{
    const char *dir = test_tmpdir(t_);
    REQUIRE(run_cli("graph " SHUFFLENET " -o %s/a.dot", dir) == 0);
    REQUIRE(run_cli("graph " SHUFFLENET " -o %s/b.dot", dir) == 0);
    char *a = read_text(dir, "a.dot"), *b = read_text(dir, "b.dot");
    REQUIRE(a != NULL && b != NULL);
    CHECK_EQ_INT(strlen(a), strlen(b));
    CHECK_EQ_STR(a, b);
    mem_free(a);
    mem_free(b);
}

/*
 * Layer view: one box per layer. The op counts are python3-onnx 1.12's count of the nodes in
 * each file (ShuffleNet: QLinearConv x56, as the fixture's PROVENANCE says; ResNet-8: 9 Conv
 * in QDQ groups), each in one box of its own.
 */
TEST(views, cli_svg_one_box_per_layer)
{
    const char *dir = test_tmpdir(t_);
    static const struct {
        const char *model, *op_line;
        size_t n_op;
    } cases[] = {
        {SHUFFLENET, ">QLinearConv [qoperator]</text>", 56},
        {RESNET8, ">Conv [qdq]</text>", 9},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        REQUIRE(run_cli("graph %s -o %s/l.svg", cases[i].model, dir) == 0);
        char *svg = read_text(dir, "l.svg");
        REQUIRE(svg != NULL);
        CHECK(xml_check(svg) == NULL);
        CHECK_EQ_INT(count_str(svg, cases[i].op_line), cases[i].n_op);
        /* Every layer box has an "OP [kind]" line; the other nodes are input, output, legend. */
        size_t n_layer_boxes = count_str(svg, " [qoperator]</text>") +
                               count_str(svg, " [qdq]</text>") + count_str(svg, " [float]</text>");
        CHECK_EQ_INT(count_str(svg, "<g id=\"node"), n_layer_boxes + 3);
        CHECK(count_str(svg, "<g id=\"edge") >= n_layer_boxes);
        CHECK(strstr(svg, ">layer kind</text>") != NULL);
        mem_free(svg);
    }
}

/*
 * Node view: one box per node, one edge per (producer, consumer, tensor) plus one per graph
 * output. Expected numbers counted with python3-onnx 1.12 over each file's graph (nodes; for
 * edges, distinct non-initializer inputs of each node + outputs): ShuffleNet 189 nodes and
 * 206 edges, ResNet-8 67 nodes and 71 edges; each has one input and one output.
 */
TEST(views, cli_svg_node_view_counts)
{
    const char *dir = test_tmpdir(t_);
    static const struct {
        const char *model;
        size_t n_nodes, n_edges;
    } cases[] = {
        {SHUFFLENET, 189, 206},
        {RESNET8, 67, 71},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        REQUIRE(run_cli("graph --nodes %s -o %s/n.svg", cases[i].model, dir) == 0);
        char *svg = read_text(dir, "n.svg");
        REQUIRE(svg != NULL);
        CHECK(xml_check(svg) == NULL);
        CHECK_EQ_INT(count_str(svg, "<g id=\"node"), cases[i].n_nodes + 3);
        CHECK_EQ_INT(count_str(svg, "<g id=\"edge"), cases[i].n_edges);
        mem_free(svg);
    }
}

TEST(views, cli_constants_png_pdf_and_usage_errors)
{
    const char *dir = test_tmpdir(t_);
    REQUIRE(run_cli("graph --constants %s -o %s/c.svg", RESNET8, dir) == 0);
    char *with = read_text(dir, "c.svg");
    REQUIRE(run_cli("graph %s -o %s/l.svg", RESNET8, dir) == 0);
    char *without = read_text(dir, "l.svg");
    REQUIRE(with != NULL && without != NULL);
    CHECK(count_str(with, "<g id=\"node") > count_str(without, "<g id=\"node"));
    CHECK(xml_check(with) == NULL);
    mem_free(with);
    mem_free(without);

    CHECK_EQ_INT(run_cli("graph %s -o %s/x.png", RESNET8, dir), 0);
    CHECK_EQ_INT(run_cli("graph %s -o %s/x.pdf", RESNET8, dir), 0);
    char *png = read_text(dir, "x.png"), *pdf = read_text(dir, "x.pdf");
    CHECK(png != NULL && memcmp(png, "\x89PNG", 4) == 0);
    CHECK(pdf != NULL && memcmp(pdf, "%PDF", 4) == 0);
    mem_free(png);
    mem_free(pdf);

    struct sbuf err;
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli("graph " RESNET8 " -o x.jpeg", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "unknown output format '.jpeg'") != NULL);
    CHECK_EQ_INT(test_cli("graph " RESNET8, NULL, NULL), 2);
    CHECK_EQ_INT(test_cli("graph -o x.svg", NULL, NULL), 2);
    CHECK_EQ_INT(test_cli("graph --bogus " RESNET8 " -o x.svg", NULL, NULL), 2);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli("graph tests/data/does-not-exist.onnx -o x.svg", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "does-not-exist.onnx") != NULL);
    CHECK_EQ_INT(test_cli("graph --help", NULL, NULL), 0);
    sbuf_release(&err);
}

/*
 * Without its plugins (GVBINDIR pointing at an empty folder) graphviz cannot lay out; the
 * error names the likely cause. (In process, libgvc caches the plugin folder after its first
 * use, so this runs the binary.)
 */
TEST(views, cli_missing_plugins_name_the_cause)
{
    const char *dir = test_tmpdir(t_);
    const char *old = getenv("GVBINDIR");
    char *saved = old != NULL ? mem_strdup(old) : NULL;
    char args[512];
    struct sbuf err;
    sbuf_init(&err);
    snprintf(args, sizeof args, "graph %s -o %s/x.svg", RESNET8, dir);
    setenv("GVBINDIR", dir, 1);
    int rc = test_cli(args, NULL, &err);
    if (saved != NULL)
        setenv("GVBINDIR", saved, 1);
    else
        unsetenv("GVBINDIR");
    mem_free(saved);
    CHECK_EQ_INT(rc, 2);
    CHECK(strstr(sbuf_str(&err), "run 'dot -c' as root") != NULL);
    CHECK(strstr(sbuf_str(&err), "Layout type: \"dot\" not recognized") != NULL);
    sbuf_release(&err);
}
