/*
 * `mlfscope tui MODEL`: browse a model's layers, details, tensors and graph neighbourhood in
 * the terminal. --mlf adds where each layer runs (the layer map, offload reasons, hazards);
 * --input starts a reference run in a background thread that fills the tensor pane while
 * the UI stays live; --log then compares the board with it (verdicts, board | delta), or
 * --twin builds and runs the MLF's C on the host as the board.
 */
/* command: tui | browse a model, its layers, tensors and graph in the terminal */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "fileio.h"
#include "instrument.h"
#include "graph.h"
#include "interp.h"
#include "map.h"
#include "map_deployed.h"
#include "mem.h"
#include "mlf.h"
#include "model.h"
#include "offload.h"
#include "trace.h"
#include "twin.h"
#include "views/term.h"
#include "views/tui.h"
#include "views/tui_data.h"
#include "views/tui_ref.h"
#include "views/tui_synth.h"
#include "views/tui_table.h"
#include "banned.h"

int cmd_tui(int argc, char **argv);

static const char usage[] =
    "usage: mlfscope tui MODEL [--mlf MLF] [--input X] [--log LOG] [--twin] [options]\n"
    "\n"
    "Browse a model in the terminal: the layer list, each layer's details (attributes,\n"
    "quantization per channel), constant tensors as numbers or a heat map, and the graph\n"
    "around a layer. With an MLF, a reference run and a board log it also shows where each\n"
    "layer runs, and the reference, board and difference side by side.\n"
    "\n"
    "options:\n"
    "  --mlf MLF        the TVM build (.tar, .tar.gz or folder): target and kernel per\n"
    "                   layer, the MLF step, multipliers/shifts, offload reasons, hazards\n"
    "  --input [NAME=]X an input for a reference run in the background: .npy, ONNX\n"
    "                   TensorProto .pb, or raw bytes with --input-dtype/--input-shape\n"
    "                   (repeatable; unnamed inputs take the graph inputs in order)\n"
    "  --log LOG        a board log (or trace folder) to compare with the reference run\n"
    "                   (needs --input): verdicts, reference | board | delta; d goes to\n"
    "                   the first diverged layer\n"
    "  --twin           with --mlf and --input: build the MLF's C on the host (the host\n"
    "                   twin), run it on the input and compare it with the reference like\n"
    "                   a board log; the build is kept in --twin-dir and reused\n"
    "  --twin-dir DIR   where the twin is built and writes its output (default\n"
    "                   $TMPDIR/mlfscope-tui-twin-UID-HASH of the MLF path)\n"
    "  --tolerance N    count ±N LSB as equal in the comparison (default 0)\n"
    "  --arith MODE     reference arithmetic: tflm (default for TFLite models), onnx\n"
    "                   (default for ONNX models), tvm, or deployed (with --mlf: each\n"
    "                   layer as the MLF runs it)\n"
    "  --single-rounding  tflm built with CMSIS_NN_USE_SINGLE_ROUNDING\n"
    "  --input-dtype T  dtype of raw inputs (int8, uint8, float32, ...)\n"
    "  --input-shape [NAME=]D  dims of a raw input or a symbolic model input: 1,49,10,1\n"
    "  --synthetic N    browse a generated N-layer int8 network instead of MODEL\n"
    "  --no-color       attributes only (also when NO_COLOR is set)\n"
    "  --no-mouse       do not capture the mouse (lets the terminal select text)\n"
    "  -h, --help       this text\n"
    "\n"
    "keys: j/k or arrows move, PgUp/PgDn, g/G, Tab pane, / search, n/N, d next diverged,\n"
    "Enter follows an edge, e exports the view, ? help, q quit\n";

#define TUI_MAX_INPUTS 64

/* What the command line asked for. */
struct tui_args {
    struct term_opts topts;
    long synth;                                     /* --synthetic N, or -1 */
    const char *model;
    char *inputs[TUI_MAX_INPUTS];                   /* --input specs, borrowed from argv */
    size_t n_inputs;
    struct shape_override shapes[TUI_MAX_INPUTS];   /* --input-shape */
    size_t n_shapes;
    enum dtype raw_dtype;                           /* --input-dtype */
    bool arith_set;                                 /* --arith given */
    bool deployed;                                  /* --arith deployed */
    const char *mlf;                                /* --mlf */
    const char *log;                                /* --log */
    bool twin;                                      /* --twin */
    const char *twin_dir;                           /* --twin-dir */
    int tolerance;                                  /* --tolerance */
    struct interp_options iopts;                    /* arith, single rounding */
};

/* Parses argv into *a. Returns -1 to go on, or the exit code (help, usage errors). */
static int parse_args(int argc, char **argv, struct tui_args *a)
{
    enum { OPT_MLF = 256, OPT_INPUT, OPT_LOG, OPT_TWIN, OPT_SYNTH, OPT_NOCOLOR, OPT_NOMOUSE,
           OPT_ARITH, OPT_SINGLE, OPT_DTYPE, OPT_SHAPE, OPT_TOL, OPT_TWIN_DIR };
    static const struct option longopts[] = {
        {"mlf", required_argument, NULL, OPT_MLF},
        {"input", required_argument, NULL, OPT_INPUT},
        {"log", required_argument, NULL, OPT_LOG},
        {"twin", no_argument, NULL, OPT_TWIN},
        {"twin-dir", required_argument, NULL, OPT_TWIN_DIR},
        {"arith", required_argument, NULL, OPT_ARITH},
        {"single-rounding", no_argument, NULL, OPT_SINGLE},
        {"input-dtype", required_argument, NULL, OPT_DTYPE},
        {"input-shape", required_argument, NULL, OPT_SHAPE},
        {"tolerance", required_argument, NULL, OPT_TOL},
        {"synthetic", required_argument, NULL, OPT_SYNTH},
        {"no-color", no_argument, NULL, OPT_NOCOLOR},
        {"no-mouse", no_argument, NULL, OPT_NOMOUSE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct errbuf eb;
    int c;

    errbuf_init(&eb);
    if (cmd_wants_help(argc, argv))
        return cmd_print_help(usage);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_MLF: a->mlf = optarg; break;
        case OPT_LOG: a->log = optarg; break;
        case OPT_TWIN: a->twin = true; break;
        case OPT_TWIN_DIR: a->twin_dir = optarg; break;
        case OPT_TOL: {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || errno != 0 || v < 0 || v > 255)
                return cmd_usage_error("tui", "--tolerance: expected 0..255, got '%s'", optarg);
            a->tolerance = (int)v;
            break;
        }
        case OPT_INPUT:
            if (a->n_inputs == TUI_MAX_INPUTS)
                return cmd_usage_error("tui", "more than %d --input", TUI_MAX_INPUTS);
            a->inputs[a->n_inputs++] = optarg;
            break;
        case OPT_ARITH:
            a->deployed = strcmp(optarg, "deployed") == 0;
            if (!a->deployed && !interp_arith_from_name(optarg, &a->iopts.arith))
                return cmd_usage_error("tui", "--arith: expected onnx, tflm, tvm or deployed, "
                                       "got '%s'", optarg);
            a->arith_set = true;
            break;
        case OPT_SINGLE: a->iopts.single_rounding = true; break;
        case OPT_DTYPE:
            a->raw_dtype = dtype_from_name(optarg);
            if (a->raw_dtype == DTYPE_UNKNOWN || dtype_bytes(a->raw_dtype) == 0)
                return cmd_usage_error("tui", "--input-dtype: unknown dtype '%s'", optarg);
            break;
        case OPT_SHAPE:
            if (a->n_shapes == TUI_MAX_INPUTS)
                return cmd_usage_error("tui", "more than %d --input-shape", TUI_MAX_INPUTS);
            if (cmd_parse_shape(optarg, &a->shapes[a->n_shapes], &eb) != 0)
                return cmd_fail(&eb);
            a->n_shapes++;
            break;
        case OPT_SYNTH: {
            char *end;
            errno = 0;
            a->synth = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || errno != 0 || a->synth < 1 ||
                a->synth > 1000000)
                return cmd_usage_error("tui", "--synthetic: expected a layer count 1..1000000, "
                                       "got '%s'", optarg);
            break;
        }
        case OPT_NOCOLOR: a->topts.no_color = true; break;
        case OPT_NOMOUSE: a->topts.no_mouse = true; break;
        case 'h': return cmd_print_help(usage);
        default:
            return cmd_usage_error("tui", "unknown option '%s'", argv[optind - 1]);
        }
    }
    int n_pos = argc - optind;
    if (a->synth < 0 && n_pos != 1)
        return cmd_usage_error("tui", n_pos == 0 ? "expected a MODEL file" :
                               "expected one MODEL file, got %d arguments", n_pos);
    if (a->synth >= 0 && n_pos != 0)
        return cmd_usage_error("tui", "--synthetic takes no MODEL file");
    if (a->n_inputs == 0 && (a->arith_set || a->iopts.single_rounding ||
                             a->raw_dtype != DTYPE_UNKNOWN))
        return cmd_usage_error("tui", "--arith, --single-rounding and --input-dtype need "
                               "--input");
    if (a->log != NULL && a->n_inputs == 0)
        return cmd_usage_error("tui", "--log needs --input: the board is compared with a "
                               "reference run on the same input");
    if (a->twin && (a->mlf == NULL || a->n_inputs == 0))
        return cmd_usage_error("tui", "--twin needs --mlf MLF and --input");
    if (a->twin && a->log != NULL)
        return cmd_usage_error("tui", "--twin and --log both name the board: give one");
    if (a->twin_dir != NULL && !a->twin)
        return cmd_usage_error("tui", "--twin-dir is only used with --twin");
    if (a->deployed && a->mlf == NULL)
        return cmd_usage_error("tui", "--arith deployed needs --mlf MLF");
    /* As for `diff`: with the MLF, the reference is what that build computes. */
    if (a->mlf != NULL && !a->arith_set)
        a->deployed = true;
    if (a->mlf != NULL && a->synth >= 0)
        return cmd_usage_error("tui", "--mlf needs a MODEL file, not --synthetic");
    a->model = n_pos == 1 ? argv[optind] : NULL;
    return -1;
}

/*
 * MLFSCOPE_TUI_REF_PACE_MS (tests only, docs/tui.md): a pause after each layer of the
 * reference run, so that an end-to-end test can watch the progress and cancel a run that
 * would otherwise finish before the first frame. 0..10000, anything else is ignored.
 */
static unsigned ref_pace_ms(void)
{
    const char *s = getenv("MLFSCOPE_TUI_REF_PACE_MS");
    if (s == NULL || *s == '\0')
        return 0;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return *end == '\0' && errno == 0 && v > 0 && v <= 10000 ? (unsigned)v : 0;
}

/* $TMPDIR/mlfscope-tui-twin-UID-HASH: one build folder per MLF, reused by later sessions. */
static void twin_default_dir(const char *mlf, char *out, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    uint32_t h = 2166136261u;       /* FNV-1a of the path as given */
    for (const char *p = mlf; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    snprintf(out, cap, "%s/mlfscope-tui-twin-%ld-%08x", tmp && *tmp ? tmp : "/tmp",
             (long)getuid(), (unsigned)h);
}

int cmd_tui(int argc, char **argv)
{
    struct tui_args a;
    memset(&a, 0, sizeof a);
    a.synth = -1;
    a.raw_dtype = DTYPE_UNKNOWN;
    int code = parse_args(argc, argv, &a);
    if (code >= 0)
        return code;

    struct errbuf eb;
    struct graph g;
    struct tui t;
    struct tui_table tb;
    struct tui_source src;
    struct tui_ref ref;
    struct interp_inputs in = {0};
    struct map_deployed dep;        /* the MLF, its map and the deployed per-layer settings */
    struct offload_report orep;
    struct trace board;
    struct instrument_plan plan = {0};
    const char **lnames = NULL, **lops = NULL;
    struct twin_options topt = {.cc = "cc", .cmsis_nn_version = 4};
    char twin_dir[512], model_name[128] = "";
    bool have_table = false, have_ref = false, have_tui = false;
    int rc;
    errbuf_init(&eb);
    graph_init(&g);
    map_deployed_init(&dep);
    offload_init(&orep);
    trace_init(&board);
    if (a.synth >= 0) {
        rc = tui_synth_graph(&g, (size_t)a.synth, &eb);
    } else {
        struct load_options lo = {.n_shapes = a.n_shapes, .shapes = a.shapes};
        rc = model_load(&g, a.model, &lo, &eb);
    }
    /* A loader that formed no layers still gets a browsable list: one layer per node. */
    if (rc == 0 && g.n_layers == 0 && g.n_nodes > 0)
        rc = tui_synth_layers(&g, &eb);
    if (rc == 0)
        rc = tui_table_init(&tb, g.n_layers, &eb);
    have_table = rc == 0;
    if (rc == 0 && a.mlf != NULL) {
        struct offload_options oopt = {.cmsis_nn_version = 4};
        rc = map_deployed_open(&dep, &g, a.mlf, NULL, &eb);
        if (rc == 0)
            rc = offload_analyse(&orep, &g, &dep.map, &oopt, &eb);
        if (rc == 0)
            rc = tui_data_fill_mlf(&tb, &g, &dep.map, &orep, &eb);
        if (rc == 0 && a.deployed) {
            a.iopts.arith = INTERP_ARITH_TFLM;
            a.iopts.layer_params = dep.params;
            a.arith_set = true;
        }
    }
    if (rc == 0 && a.n_inputs > 0) {
        if (!a.arith_set)
            a.iopts.arith = interp_default_arith(&g);
        rc = interp_inputs_load(&g, a.n_inputs, (const char *const *)a.inputs, a.raw_dtype, a.n_shapes, a.shapes,
                                &in, &eb);
        if (rc == 0 && a.log != NULL)
            rc = trace_load(a.log, NULL, &board, &eb);
        /* The twin's plan and input check here: what can fail early fails before the screen. */
        if (rc == 0 && a.twin) {
            const char *b = strrchr(a.model, '/');
            b = b ? b + 1 : a.model;
            snprintf(model_name, sizeof model_name, "%.*s", (int)strcspn(b, "."), b);
            topt.model_name = model_name;
            if (a.twin_dir != NULL)
                snprintf(twin_dir, sizeof twin_dir, "%s", a.twin_dir);
            else
                twin_default_dir(a.mlf, twin_dir, sizeof twin_dir);
            rc = twin_check_inputs(&dep.mlf, in.vals, in.n, &eb);
            if (rc == 0)
                rc = instrument_plan(&dep.mlf, NULL, 0, &plan, &eb);
            if (rc == 0)
                rc = instrument_use_map(&dep.mlf, &g, &dep.map, &plan, &lnames, &lops, &eb);
            topt.layer_names = lnames;
            topt.layer_ops = lops;
            if (rc == 0)
                rc = fileio_mkdirs(twin_dir, &eb);
        }
        /* Planning errors (an unsupported op) are reported here, before the screen opens. */
        struct tui_ref_diff d = {.board = a.log != NULL ? &board : NULL,
                                 .tolerance = a.tolerance,
                                 .mp = a.mlf != NULL ? &dep.map : NULL};
        struct tui_ref_twin tw = {.m = &dep.mlf, .mp = &dep.map, .plan = &plan, .opt = &topt,
                                  .dir = twin_dir};
        if (rc == 0)
            rc = tui_ref_start(&ref, &g, &a.iopts, &in, &tb,
                               a.log != NULL || a.twin ? &d : NULL, a.twin ? &tw : NULL,
                               ref_pace_ms(), &eb);
        have_ref = rc == 0;
    }
    if (rc == 0) {
        tui_table_source(&tb, &src);
        rc = tui_init(&t, &g, &src, &eb);
        have_tui = rc == 0;
    }
    if (rc == 0) {
        /* Without a background run nothing changes between keys: no tick, no wake-ups. */
        if (have_ref) {
            tui_progress(&t, 0, g.n_layers);
            a.topts.tick = tui_ref_tick;
            a.topts.tick_ctx = &ref;
        }
        setlocale(LC_ALL, "");
        rc = term_run(&t, &a.topts, &eb);
    }
    /* The worker writes only into the table: stop it before anything it uses goes away. */
    if (have_ref)
        tui_ref_stop(&ref);
    if (have_tui)
        tui_release(&t);
    if (have_table)
        tui_table_release(&tb);
    trace_release(&board);
    mem_free(lnames);
    mem_free(lops);
    instrument_plan_release(&plan);
    interp_inputs_release(&in);
    offload_release(&orep);
    map_deployed_release(&dep);
    graph_release(&g);
    return rc < 0 ? cmd_fail(&eb) : EXIT_OK;
}
