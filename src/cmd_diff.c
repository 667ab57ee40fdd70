/*
 * mlfscope diff: compares two traces (run folders, board logs, .npy folders) layer by layer
 * and names the first layer whose own error is large. Exit 1 when a layer diverged or is
 * missing, 0 when all agree, 2 on bad usage or input.
 */
/* command: diff | per-layer comparison of two traces: verdicts, first divergence, hints */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "diff.h"
#include "diff_mlf.h"
#include "diff_model.h"
#include "interp.h"
#include "fileio.h"
#include "map_deployed.h"
#include "mem.h"
#include "model.h"
#include "sbuf.h"
#include "trace.h"
#include "banned.h"

int cmd_diff(int argc, char **argv);

static const char diff_usage[] =
    "usage: mlfscope diff A B [--model MODEL] [--tolerance N] [--run N|ID] [--json]\n"
    "                     [-o REPORT.json]\n"
    "       mlfscope diff MODEL --input X --log LOG [--mlf MLF] [--arith MODE] [...]\n"
    "\n"
    "Compares trace B (the board) with trace A (the reference), layer by layer. A trace is a\n"
    "'mlfscope run' or 'twin' output folder (index.json + .npy), a board log ('@mlfs'\n"
    "records), a folder of .npy files (named by layer) or one .npy file. Layers are matched\n"
    "by name, then by index. Layout (NCHW/NHWC), dtype (uint8/int8) and scale differences\n"
    "declared in the headers are reconciled before comparing.\n"
    "\n"
    "Per layer: exact (equal within the tolerance), rounding (only ±1 LSB), inherited (the\n"
    "input already differed), diverged (the layer's own error), missing, corrupt (damaged in\n"
    "the log). Hints name likely causes: layout_transposed, zero_point_128, all_zeros,\n"
    "saturated, shift_hazard, buffer_overlap, shape_mismatch.\n"
    "\n"
    "  -m, --model MODEL  the model (.onnx, .tflite): scales for SNR and reconciling float\n"
    "                     values, and each layer's real inputs for inherited/diverged\n"
    "  -t, --tolerance N  count ±N LSB as equal (default 0)\n"
    "  -p, --partial      compare only the layers the board trace holds (others are not\n"
    "                     'missing')\n"
    "  -r, --run N|ID     which run of a board log: 1-based number or run id (default: the\n"
    "                     last complete run)\n"
    "      --plain NAME[:DTYPE]  a log without '@mlfs' records holds one hand-printed tensor\n"
    "                     (decimal or hex numbers) for layer NAME; DTYPE int8, uint8, ...\n"
    "  -j, --json         print the JSON report instead of the table\n"
    "  -o, --output FILE  also write the JSON report to FILE\n"
    "  -i, --input X      MODEL form: the model input (.npy, .pb, .bin)\n"
    "  -l, --log LOG      MODEL form: the board log\n"
    "      --mlf MLF      MODEL form: the deployed MLF. Board records named by MLF step\n"
    "                     (record index), output buffer (sid_7) or step function are\n"
    "                     matched to layers through the layer map; its shift and buffer\n"
    "                     hazards become hints\n"
    "      --map FILE     MODEL form with --mlf: override the layer map (docs/offloads.md)\n"
    "      --twin         MODEL form with --mlf: also build and run the MLF's own C on this\n"
    "                     host ('mlfscope twin', needs a C compiler): a twin column, and\n"
    "                     for the first divergence whether the compiler (the twin\n"
    "                     disagrees with the reference too) or the board is to blame\n"
    "      --twin-dir DIR --twin, keeping the twin's folder (its build is reused next time)\n"
    "  -a, --arith MODE   MODEL form: onnx, tflm, tvm, deployed (default deployed with\n"
    "                     --mlf: each layer as the MLF runs it, as 'run --arith deployed';\n"
    "                     else tflm for TFLite, onnx for ONNX)\n"
    "      --input-dtype T  MODEL form: element type of a raw .bin input (int8, uint8, ...)\n"
    "      --single-rounding  MODEL form: TFLM single rounding\n"
    "\n"
    "The MODEL form computes the reference on the fly and re-runs each layer whose input\n"
    "already differed on the board's own input: within ±1 LSB of the board it is\n"
    "'inherited', otherwise 'diverged'.\n"
    "\n"
    "Exit 1 if any layer diverged or is missing, 0 otherwise, 2 on bad usage or input.\n";

struct diff_args {
    const char *model, *input, *log, *mlf, *map, *arith, *output, *run;
    enum dtype input_dtype;     /* for raw .bin inputs; DTYPE_UNKNOWN otherwise */
    bool single_rounding;
    int tolerance;
    bool json;
    bool partial;
    bool twin;                  /* also run the MLF's C on this host (mlfscope twin) */
    const char *twin_dir;       /* where the twin writes; NULL = a temporary folder */
};

static int parse_run(const char *s, struct trace_options *o)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s != '\0' && *end == '\0') {
        if (v < 1)
            return -1;
        o->run = v - 1;
    } else {
        o->run_id = s;
    }
    return 0;
}

static int emit(const struct diff_report *rep, const struct diff_args *a, struct errbuf *eb)
{
    char *json = NULL;
    if (a->json || a->output) {
        int rc = diff_report_json(rep, &json, eb);
        if (rc)
            return rc;
    }
    if (a->output) {
        size_t n = strlen(json);
        json[n] = '\n';     /* replaces the NUL for the write; restored below */
        int rc = fileio_write(a->output, json, n + 1, eb);
        json[n] = '\0';
        if (rc) {
            mem_free(json);
            return rc;
        }
    }
    if (a->json) {
        puts(json);
    } else {
        struct sbuf sb;
        sbuf_init(&sb);
        diff_report_table(rep, isatty(STDOUT_FILENO), &sb);
        if (sbuf_failed(&sb)) {
            sbuf_release(&sb);
            mem_free(json);
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        }
        fputs(sbuf_str(&sb), stdout);
        sbuf_release(&sb);
    }
    mem_free(json);
    return 0;
}

static void warn_log(const struct trace *tb)
{
    for (size_t i = 0; i < tb->n_problems; i++)
        cmd_warn("%s: %s", tb->source, tb->problems[i]);
    if (tb->kind == TRACE_KIND_LOG && tb->n_runs > 1)
        cmd_warn("%s: %zu runs in the log; comparing run %zu ('%s')%s", tb->source, tb->n_runs,
                 tb->run + 1, tb->run_id, tb->run_complete ? "" : ", which never ended");
}

static int diff_two(const char *a_path, const char *b_path, const struct diff_args *a,
                    const struct trace_options *topt)
{
    struct errbuf eb;
    errbuf_init(&eb);
    struct trace ta, tb;
    trace_init(&ta);
    trace_init(&tb);
    struct graph g;
    graph_init(&g);
    struct diff_report rep;
    diff_report_init(&rep);
    int code = EXIT_OK;
    int rc = 0;
    if (a->model)
        rc = model_load(&g, a->model, NULL, &eb);
    if (!rc)
        rc = trace_load(a_path, topt, &ta, &eb);
    if (!rc)
        rc = trace_load(b_path, topt, &tb, &eb);
    if (!rc) {
        struct diff_options opt = {.tolerance = a->tolerance, .partial = a->partial,
                                   .model = a->model ? &g : NULL};
        warn_log(&tb);
        rc = diff_traces(&ta, &tb, &opt, &rep, &eb);
    }
    if (!rc)
        rc = emit(&rep, a, &eb);
    if (rc)
        code = cmd_fail(&eb);
    else if (diff_report_failed(&rep))
        code = EXIT_DIFF;
    diff_report_release(&rep);
    trace_release(&ta);
    trace_release(&tb);
    graph_release(&g);
    return code;
}

int cmd_twin(int argc, char **argv);

/*
 * Runs `mlfscope twin MLF --input X --model MODEL -o DIR` in this process, its report lines
 * sent to stderr so that stdout keeps only the diff (a --json reader relies on it), and loads
 * DIR as a trace. Returns the twin's exit code (0 ok), or -1 when DIR could not be read.
 */
static int run_twin(const char *model, const struct diff_args *a, const char *dir,
                    struct trace *out, struct errbuf *eb)
{
    char *argv[16];
    int argc = 0;
    argv[argc++] = (char *)"twin";
    argv[argc++] = (char *)a->mlf;
    argv[argc++] = (char *)"--input";
    argv[argc++] = (char *)a->input;
    if (a->input_dtype != DTYPE_UNKNOWN) {
        argv[argc++] = (char *)"--input-dtype";
        argv[argc++] = (char *)dtype_name(a->input_dtype);
    }
    argv[argc++] = (char *)"--model";
    argv[argc++] = (char *)model;
    argv[argc++] = (char *)"-o";
    argv[argc++] = (char *)dir;
    argv[argc] = NULL;
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    bool moved = saved >= 0 && dup2(STDERR_FILENO, STDOUT_FILENO) >= 0;
    int code = cmd_twin(argc, argv);
    fflush(stdout);
    if (moved)
        dup2(saved, STDOUT_FILENO);
    if (saved >= 0)
        close(saved);
    optind = 1;
    if (code != 0)
        return code;
    return trace_load_run_dir(dir, out, eb) == 0 ? 0 : -1;
}

/*
 * The twin column: the twin's trace against the same reference, its statuses copied into
 * rep with the blame for the first divergence. A twin that fails is a warning, not an error:
 * the board's verdicts stand without it.
 */
static int add_twin(const char *model, const struct diff_args *a, const struct map *mp,
                    struct trace *ref, const struct diff_options *board_opt,
                    struct diff_report *rep, struct errbuf *eb)
{
    char tmpl[512];
    const char *dir = a->twin_dir;
    if (dir == NULL) {
        const char *tmp = getenv("TMPDIR");
        snprintf(tmpl, sizeof tmpl, "%s/mlfscope-twin-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(tmpl) == NULL)
            return errbuf_set(eb, ST_EIO, "%s: cannot create a folder for the twin: %s", tmpl,
                              strerror(errno));
        dir = tmpl;
    }
    struct trace tt;
    trace_init(&tt);
    struct diff_report trep;
    diff_report_init(&trep);
    struct diff_mlf dmlf;
    diff_mlf_init(&dmlf);
    int rc = 0;
    int code = run_twin(model, a, dir, &tt, eb);
    if (code != 0) {
        cmd_warn("the twin %s; no twin column", code < 0 ? eb->msg : "failed (see above)");
        errbuf_init(eb);
    } else {
        struct diff_options opt = {.tolerance = board_opt->tolerance, .model = board_opt->model};
        rc = diff_mlf_setup(&dmlf, mp, ref, &tt, &opt, eb);
        if (!rc)
            rc = diff_traces(ref, &tt, &opt, &trep, eb);
        if (!rc)
            rc = diff_report_add_twin(rep, &trep, eb);
    }
    diff_report_release(&trep);
    diff_mlf_release(&dmlf);
    trace_release(&tt);
    if (a->twin_dir == NULL) {
        struct errbuf rb;
        errbuf_init(&rb);
        if (fileio_remove_tree(dir, &rb) != 0)
            cmd_warn("%s", rb.msg);
    }
    return rc;
}

/*
 * The reference run and the re-runs in the MODEL form. With an MLF, the layer map names the
 * board's step records and gives the deployed arithmetic and the hazards.
 */
static int diff_model_form(const char *model, const struct diff_args *a,
                           const struct trace_options *topt)
{
    struct errbuf eb;
    errbuf_init(&eb);
    enum interp_arith arith = INTERP_ARITH_TFLM;
    bool deployed = a->arith ? strcmp(a->arith, "deployed") == 0 : a->mlf != NULL;
    if (a->arith && !deployed && !interp_arith_from_name(a->arith, &arith))
        return cmd_usage_error("diff", "--arith: expected onnx, tflm, tvm or deployed, got '%s'",
                               a->arith);
    if (deployed && !a->mlf)
        return cmd_usage_error("diff", "--arith deployed needs --mlf MLF");
    if (a->map && !a->mlf)
        return cmd_usage_error("diff", "--map needs --mlf MLF");
    if (a->twin && !a->mlf)
        return cmd_usage_error("diff", "--twin needs --mlf MLF (the twin runs the MLF's C)");
    struct graph g;
    graph_init(&g);
    struct interp_inputs in = {0};
    struct trace tr, tb;
    trace_init(&tr);
    trace_init(&tb);
    struct diff_report rep;
    diff_report_init(&rep);
    struct map_deployed dep;
    map_deployed_init(&dep);
    struct diff_mlf dmlf;
    diff_mlf_init(&dmlf);
    struct diff_model dm = {.g = &g, .arith = arith, .single_rounding = a->single_rounding};
    struct map_options mo = {.override_path = a->map};
    const char *spec = a->input;
    int code = EXIT_OK;
    int rc = model_load(&g, model, NULL, &eb);
    if (!rc && !a->arith)
        dm.arith = interp_default_arith(&g);
    if (!rc && a->mlf)
        rc = map_deployed_open(&dep, &g, a->mlf, &mo, &eb);
    if (!rc && deployed) {
        /* what `run --arith deployed` computes, for the full run and every re-run */
        dm.arith = INTERP_ARITH_TFLM;
        dm.layer_params = dep.params;
    }
    if (!rc)
        rc = interp_inputs_load(&g, 1, &spec, a->input_dtype, 0, NULL, &in, &eb);
    if (!rc)
        rc = diff_model_trace(&dm, &in, &tr, &eb);
    if (!rc)
        rc = trace_load(a->log, topt, &tb, &eb);
    struct diff_options opt = {.tolerance = a->tolerance, .partial = a->partial, .model = &g,
                               .rerun = diff_model_rerun, .rerun_user = &dm};
    if (!rc && a->mlf)
        rc = diff_mlf_setup(&dmlf, &dep.map, &tr, &tb, &opt, &eb);
    if (!rc) {
        warn_log(&tb);
        rc = diff_traces(&tr, &tb, &opt, &rep, &eb);
    }
    if (!rc && a->twin)
        rc = add_twin(model, a, &dep.map, &tr, &opt, &rep, &eb);
    if (!rc)
        rc = emit(&rep, a, &eb);
    if (rc)
        code = cmd_fail(&eb);
    else if (diff_report_failed(&rep))
        code = EXIT_DIFF;
    diff_report_release(&rep);
    diff_mlf_release(&dmlf);
    trace_release(&tr);
    trace_release(&tb);
    interp_inputs_release(&in);
    map_deployed_release(&dep);
    graph_release(&g);
    return code;
}

int cmd_diff(int argc, char **argv)
{
    enum { OPT_MLF = 256, OPT_DTYPE, OPT_SINGLE, OPT_PLAIN, OPT_MAP, OPT_TWIN, OPT_TWIN_DIR };
    static const struct option long_opts[] = {
        {"model", required_argument, NULL, 'm'},
        {"tolerance", required_argument, NULL, 't'},
        {"partial", no_argument, NULL, 'p'},
        {"run", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"output", required_argument, NULL, 'o'},
        {"input", required_argument, NULL, 'i'},
        {"log", required_argument, NULL, 'l'},
        {"mlf", required_argument, NULL, OPT_MLF},
        {"arith", required_argument, NULL, 'a'},
        {"input-dtype", required_argument, NULL, OPT_DTYPE},
        {"single-rounding", no_argument, NULL, OPT_SINGLE},
        {"plain", required_argument, NULL, OPT_PLAIN},
        {"map", required_argument, NULL, OPT_MAP},
        {"twin", no_argument, NULL, OPT_TWIN},
        {"twin-dir", required_argument, NULL, OPT_TWIN_DIR},
        {NULL, 0, NULL, 0},
    };
    if (cmd_wants_help(argc, argv))
        return cmd_print_help(diff_usage);
    struct diff_args a = {0};
    struct trace_options topt = {.run = -1};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":m:t:pr:jo:i:l:a:", long_opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'm': a.model = optarg; break;
        case 't': {
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 0 || v > 1000000)
                return cmd_usage_error("diff", "--tolerance: expected a count of LSB, got '%s'",
                                       optarg);
            a.tolerance = (int)v;
            break;
        }
        case 'r':
            if (parse_run(optarg, &topt) != 0)
                return cmd_usage_error("diff", "--run: expected a run number from 1 or a run "
                                       "id, got '%s'", optarg);
            a.run = optarg;
            break;
        case 'j': a.json = true; break;
        case 'p': a.partial = true; break;
        case 'o': a.output = optarg; break;
        case 'i': a.input = optarg; break;
        case 'l': a.log = optarg; break;
        case OPT_MLF: a.mlf = optarg; break;
        case OPT_MAP: a.map = optarg; break;
        case OPT_TWIN: a.twin = true; break;
        case OPT_TWIN_DIR: a.twin = true; a.twin_dir = optarg; break;
        case 'a': a.arith = optarg; break;
        case OPT_DTYPE:
            a.input_dtype = dtype_from_name(optarg);
            if (a.input_dtype == DTYPE_UNKNOWN || dtype_bytes(a.input_dtype) == 0)
                return cmd_usage_error("diff", "--input-dtype: unknown dtype '%s'", optarg);
            break;
        case OPT_SINGLE: a.single_rounding = true; break;
        case OPT_PLAIN: {
            char *colon = strchr(optarg, ':');
            if (colon) {
                *colon = '\0';
                topt.plain_dtype = dtype_from_name(colon + 1);
                if (topt.plain_dtype == DTYPE_UNKNOWN)
                    return cmd_usage_error("diff", "--plain: unknown dtype '%s'", colon + 1);
            }
            if (*optarg == '\0')
                return cmd_usage_error("diff", "--plain: expected a layer name");
            topt.plain_name = optarg;
            break;
        }
        case ':':
            return cmd_usage_error("diff", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error("diff", "unknown option '%s'", argv[optind - 1]);
        }
    }
    int n_pos = argc - optind;
    if (a.log || a.input) {
        if (n_pos != 1 || !a.log || !a.input)
            return cmd_usage_error("diff", "the MODEL form needs one MODEL, --input and --log");
        return diff_model_form(argv[optind], &a, &topt);
    }
    if (a.mlf || a.map || a.arith || a.input_dtype != DTYPE_UNKNOWN || a.single_rounding ||
        a.twin)
        return cmd_usage_error("diff", "--mlf, --map, --twin, --arith, --input-dtype and "
                               "--single-rounding belong to the MODEL form (MODEL --input X "
                               "--log LOG)");
    if (n_pos != 2)
        return cmd_usage_error("diff", "expected two traces A B (or MODEL --input X --log LOG)");
    return diff_two(argv[optind], argv[optind + 1], &a, &topt);
}
