/*
 * mlfscope graph: draws a model as DOT, SVG, PNG or PDF: one box per layer (or per node)
 * coloured by layer kind, edges labelled with tensor shapes, and a legend.
 */
/* command: graph | draw a model's layers or nodes as DOT, SVG, PNG or PDF */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "graph.h"
#include "map.h"
#include "mlf.h"
#include "model.h"
#include "offload.h"
#include "diff.h"
#include "views/graph_diff.h"
#include "views/graphview.h"
#include "views/graphview_mlf.h"
#include "views/gv.h"
#include "banned.h"

#define MAX_SHAPES 16
#define MANY_BOXES 4000     /* dot's layout time grows faster than linearly beyond this */

static const char usage[] =
    "usage: mlfscope graph MODEL -o OUT.{dot,svg,png,pdf} [options]\n"
    "\n"
    "Draws the model with graphviz: one box per layer with its name, op, output shape and\n"
    "dtype, scale and zero point; edges labelled with tensor shapes; colours by layer kind\n"
    "(qoperator, qdq, tflite, float) with a legend. Constants are hidden unless asked for.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE     the picture; its suffix picks the format: .dot (.gv), .svg,\n"
    "                        .png, .pdf\n"
    "      --layers          one box per layer (default)\n"
    "      --nodes           one box per model node, tensor names on the edges\n"
    "      --constants       also draw constant tensors (weights, scales) as small boxes\n"
    "      --mlf MLF         the TVM build of this model: one cluster per partition (MLF\n"
    "                        step), boxes coloured by target (cmsis-nn, c, folded dashed),\n"
    "                        hazards in red (see mlfscope offloads), legend with counts\n"
    "      --map FILE        override the layer map (docs/offloads.md)\n"
    "      --diff REPORT     colour layers by the verdicts of a 'mlfscope diff -o REPORT'\n"
    "                        JSON report and mark the first divergence\n"
    "      --input-shape [NAME=]D0,D1,...\n"
    "                        fix the shape of an input (repeatable)\n"
    "  -h, --help            this text\n";

int cmd_graph(int argc, char **argv);

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int cmd_graph(int argc, char **argv)
{
    enum { OPT_LAYERS = 256, OPT_NODES, OPT_CONSTANTS, OPT_INPUT_SHAPE, OPT_TIME, OPT_MLF,
           OPT_MAP, OPT_DIFF };
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"layers", no_argument, NULL, OPT_LAYERS},
        {"nodes", no_argument, NULL, OPT_NODES},
        {"constants", no_argument, NULL, OPT_CONSTANTS},
        {"input-shape", required_argument, NULL, OPT_INPUT_SHAPE},
        {"mlf", required_argument, NULL, OPT_MLF},
        {"map", required_argument, NULL, OPT_MAP},
        {"diff", required_argument, NULL, OPT_DIFF},
        {"time", no_argument, NULL, OPT_TIME},  /* hidden: phase timings on stderr */
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct graphview_options vopt = {.mode = GRAPHVIEW_LAYERS, .colour_by = GRAPHVIEW_COLOUR_KIND};
    struct shape_override shapes[MAX_SHAPES];
    struct load_options lopt = {.shapes = shapes};
    struct errbuf eb;
    const char *out_path = NULL;
    const char *diff_path = NULL;
    enum gv_format format;
    bool timing = false;
    const char *mlf_path = NULL;
    struct map_options map_opt = {NULL};
    int c;

    if (cmd_wants_help(argc, argv))
        return cmd_print_help(usage);
    errbuf_init(&eb);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out_path = optarg; break;
        case OPT_LAYERS: vopt.mode = GRAPHVIEW_LAYERS; break;
        case OPT_NODES: vopt.mode = GRAPHVIEW_NODES; break;
        case OPT_CONSTANTS: vopt.show_constants = true; break;
        case OPT_TIME: timing = true; break;
        case OPT_MLF: mlf_path = optarg; break;
        case OPT_MAP: map_opt.override_path = optarg; break;
        case OPT_DIFF: diff_path = optarg; break;
        case OPT_INPUT_SHAPE:
            if (lopt.n_shapes == MAX_SHAPES)
                return cmd_usage_error(argv[0], "at most %d --input-shape options", MAX_SHAPES);
            if (cmd_parse_shape(optarg, &shapes[lopt.n_shapes], &eb) != 0)
                return cmd_usage_error(argv[0], "%s", eb.msg);
            lopt.n_shapes++;
            break;
        case ':':
            return cmd_usage_error(argv[0], "option '%s' needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error(argv[0], "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        return cmd_usage_error(argv[0], optind == argc ? "no MODEL given"
                                                       : "expected one MODEL, got more");
    if (out_path == NULL)
        return cmd_usage_error(argv[0], "no output given (-o OUT.svg)");
    if (gv_format_from_path(out_path, &format, &eb) != 0)
        return cmd_usage_error(argv[0], "%s", eb.msg);
    const char *model_path = argv[optind];
    if (map_opt.override_path && mlf_path == NULL)
        return cmd_usage_error(argv[0], "--map needs --mlf");

    struct graph g;
    struct graphview v;
    struct mlf m;
    struct map mp;
    struct offload_report rep;
    int rc;
    mlf_init(&m);
    map_init(&mp);
    offload_init(&rep);
    double t0 = now_ms(), t1 = t0, t2 = t0, t3 = t0;
    graph_init(&g);
    graphview_init(&v);
    vopt.title = model_path;
    rc = model_load(&g, model_path, &lopt, &eb);
    if (rc == 0) {
        t1 = now_ms();
        rc = graphview_build(&v, &g, &vopt, &eb);
        if (rc == 0 && mlf_path != NULL) {
            /* partitions, targets and hazards of the MLF build */
            rc = mlf_open(&m, mlf_path, &eb);
            if (rc == 0)
                rc = map_build(&mp, &g, &m, &map_opt, &eb);
            if (rc == 0)
                rc = offload_analyse(&rep, &g, &mp, NULL, &eb);
            if (rc == 0)
                rc = graphview_annotate_mlf(&v, &g, &mp, &rep, &eb);
        }
        t2 = now_ms();
    }
    if (rc == 0 && diff_path != NULL) {
        struct diff_verdicts dv;
        size_t matched = 0;
        rc = diff_verdicts_load(diff_path, &dv, &eb);
        if (rc == 0) {
            rc = graphview_apply_diff(&v, &g, &dv, &matched, &eb);
            if (rc == 0 && matched == 0 && dv.n > 0)
                cmd_warn("%s: no layer of %s is named in the report", diff_path, model_path);
            if (rc == 0 && dv.first_diverged != NULL)
                fprintf(stderr, "first divergence: %s\n", dv.first_diverged);
            diff_verdicts_release(&dv);
        }
    }
    if (rc == 0 && v.n_boxes > MANY_BOXES)
        cmd_warn("%zu boxes to lay out: dot may take minutes%s", v.n_boxes,
                 vopt.mode == GRAPHVIEW_NODES || vopt.show_constants
                     ? "; the default layer view without --constants draws fewer" : "");
    if (rc == 0) {
        rc = gv_render_file(&v, format, out_path, &eb);
        t3 = now_ms();
    }
    if (rc == 0 && timing)
        fprintf(stderr, "load-ms %.1f view-ms %.1f render-ms %.1f layers %zu nodes %zu\n",
                t1 - t0, t2 - t1, t3 - t2, g.n_layers, g.n_nodes);
    graphview_release(&v);
    offload_release(&rep);
    map_release(&mp);
    mlf_release(&m);
    graph_release(&g);
    return rc == 0 ? EXIT_OK : cmd_fail(&eb);
}
