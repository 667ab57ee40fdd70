/*
 * mlfscope twin: builds an MLF's generated C on the host with the reference CMSIS-NN kernels,
 * runs it on one input and writes every step's output to DIR as .npy + index.json (the `run`
 * folder form, arith "twin"), with the hazards found per step in DIR/hazards.json.
 */
/* command: twin | build and run an MLF's C on the host; every step's output to DIR */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dump/npy.h"
#include "fileio.h"
#include "instrument.h"
#include "map.h"
#include "mem.h"
#include "mlf.h"
#include "model.h"
#include "onnx.h"
#include "twin.h"

#include "banned.h"

int cmd_twin(int argc, char **argv);

static const char twin_usage[] =
    "usage: mlfscope twin MLF --input FILE... -o DIR [options]\n"
    "\n"
    "Compiles the MLF's generated C with the host C compiler (CMSIS-NN calls go to mlfscope's\n"
    "reference kernels, which compute what a Cortex-M computes), runs it on the input and\n"
    "writes each AOT step's output to DIR as .npy with DIR/index.json, and the hazards found\n"
    "(shifts below -31, context buffers too small, error statuses, sanitizer reports) to\n"
    "DIR/hazards.json and stderr. DIR/build keeps the build; it is reused while unchanged.\n"
    "\n"
    "  -i, --input [NAME=]FILE   .npy, ONNX TensorProto .pb, or raw bytes (repeatable;\n"
    "                            unnamed inputs take the model's inputs in order)\n"
    "  -o, --output DIR          where to write (created)\n"
    "  --input-dtype T           dtype of a raw input (int8, uint8, float32, ...)\n"
    "  --input-shape D           dims of a raw input: 1,49,10,1\n"
    "  --model MODEL             the source model (.tflite, .onnx): steps are named by the\n"
    "                            model layer they compute (the layer map) and get its shape\n"
    "  --cc CC                   host C compiler command (default: cc)\n"
    "  --cflags FLAGS            extra compiler flags, e.g. -O1\n"
    "  --sanitize                AddressSanitizer + UBSan, one malloc per workspace allocation\n"
    "  --cmsis-nn-version V      CMSIS-NN version whose context-buffer rules apply (default 4)\n"
    "  --layers LIST             dump only these steps (indices, ranges a-b, function or\n"
    "                            buffer names)\n"
    "  --timeout S               stop the program after S seconds (default 600)\n"
    "\n"
    "exit: 0 ok, 1 the model returned an error, 2 bad input or a compile error, 3 the twin\n"
    "program crashed or an internal error\n";

#define TWIN_MAX_INPUTS 16

enum {
    OPT_DTYPE = 256, OPT_SHAPE, OPT_MODEL, OPT_CC, OPT_CFLAGS, OPT_SAN, OPT_CMSIS, OPT_LAYERS,
    OPT_TIMEOUT,
};

static int read_input(const char *path, const char *dtype, const struct shape_override *shape,
                      struct tensor_value *v, struct errbuf *eb)
{
    if (fileio_has_suffix(path, ".npy"))
        return npy_read_file(path, v, eb);
    if (fileio_has_suffix(path, ".pb"))
        return onnx_read_tensor_pb(path, v, eb);
    struct filebuf fb = {0};
    int rc = filebuf_open(&fb, path, eb);
    if (rc)
        return rc;
    memset(v, 0, sizeof *v);
    v->dtype = dtype ? dtype_from_name(dtype) : DTYPE_UNKNOWN;
    v->rank = 1;
    v->dims[0] = (int64_t)fb.bytes;
    if (shape) {
        size_t el = dtype_bytes(v->dtype) ? dtype_bytes(v->dtype) : 1;
        size_t count = 1;
        v->rank = shape->rank;
        for (int i = 0; i < shape->rank; i++) {
            v->dims[i] = shape->dims[i];
            count *= (size_t)shape->dims[i];
        }
        if (count * el != fb.bytes) {
            filebuf_release(&fb);
            return errbuf_set(eb, ST_EINVAL, "%s: %zu bytes, --input-shape and --input-dtype "
                              "say %zu", path, fb.bytes, count * el);
        }
    }
    v->bytes = fb.bytes;
    v->data = mem_alloc(fb.bytes ? fb.bytes : 1);
    if (!v->data) {
        filebuf_release(&fb);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    if (fb.bytes)
        memcpy(v->data, fb.data, fb.bytes);
    filebuf_release(&fb);
    return 0;
}

/*
 * Puts `--input [NAME=]FILE` arguments in the MLF's input order: a NAME (the C name or the
 * metadata name) picks its slot, unnamed files fill the free slots in order.
 */
static int order_inputs(const struct mlf *m, const char *const *args, size_t n,
                        const char **out, struct errbuf *eb)
{
    size_t slots = m->main.n_inputs > n ? m->main.n_inputs : n;
    if (slots > TWIN_MAX_INPUTS)
        slots = TWIN_MAX_INPUTS;
    const char *unnamed[TWIN_MAX_INPUTS];
    size_t n_unnamed = 0;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(args[i], '=');
        long slot = -1;
        for (size_t k = 0; eq && k < m->main.n_inputs; k++) {
            const struct mlf_io *io = &m->main.inputs[k];
            size_t len = (size_t)(eq - args[i]);
            if ((io->name && strlen(io->name) == len && !strncmp(io->name, args[i], len)) ||
                (io->meta_name && strlen(io->meta_name) == len &&
                 !strncmp(io->meta_name, args[i], len)))
                slot = (long)k;
        }
        if (slot < 0) {
            unnamed[n_unnamed++] = args[i];
            continue;
        }
        if ((size_t)slot >= slots || out[slot])
            return errbuf_set(eb, ST_EINVAL, "--input %s: input given twice", args[i]);
        out[slot] = eq + 1;
    }
    for (size_t i = 0, k = 0; i < n_unnamed; i++) {
        while (k < slots && out[k])
            k++;
        if (k == slots)
            return errbuf_set(eb, ST_EINVAL, "--input %s: more inputs than the model has",
                              unnamed[i]);
        out[k++] = unnamed[i];
    }
    return 0;
}

static int parse_version(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return end == s || v < 1 || v > 99 ? -1 : (int)v;
}

static void print_hazards(const struct twin_result *r)
{
    for (size_t i = 0; i < r->n_hazards; i++) {
        const struct twin_hazard *h = &r->hazards[i];
        fprintf(stderr, "mlfscope: hazard: step %ld %s: %s: %s\n", h->step,
                h->function[0] ? h->function : "-", h->kind, h->detail);
    }
}

int cmd_twin(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv))
        return cmd_print_help(twin_usage);
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"input-dtype", required_argument, NULL, OPT_DTYPE},
        {"input-shape", required_argument, NULL, OPT_SHAPE},
        {"model", required_argument, NULL, OPT_MODEL},
        {"cc", required_argument, NULL, OPT_CC},
        {"cflags", required_argument, NULL, OPT_CFLAGS},
        {"sanitize", no_argument, NULL, OPT_SAN},
        {"cmsis-nn-version", required_argument, NULL, OPT_CMSIS},
        {"layers", required_argument, NULL, OPT_LAYERS},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {NULL, 0, NULL, 0},
    };
    const char *inputs[TWIN_MAX_INPUTS];
    size_t n_inputs = 0;
    const char *dir = NULL, *dtype = NULL, *model = NULL, *layers = NULL;
    struct shape_override shape;
    bool have_shape = false;
    struct twin_options opt = {.cc = "cc", .cmsis_nn_version = 4};
    struct errbuf eb;
    errbuf_init(&eb);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "i:o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'i':
            if (n_inputs == TWIN_MAX_INPUTS)
                return cmd_usage_error("twin", "more than %d inputs", TWIN_MAX_INPUTS);
            inputs[n_inputs++] = optarg;
            break;
        case 'o': dir = optarg; break;
        case OPT_DTYPE:
            if (dtype_from_name(optarg) == DTYPE_UNKNOWN)
                return cmd_usage_error("twin", "--input-dtype: unknown dtype '%s'", optarg);
            dtype = optarg;
            break;
        case OPT_SHAPE:
            if (cmd_parse_shape(optarg, &shape, &eb) != 0)
                return cmd_usage_error("twin", "%s", eb.msg);
            have_shape = true;
            break;
        case OPT_MODEL: model = optarg; break;
        case OPT_CC: opt.cc = optarg; break;
        case OPT_CFLAGS: opt.extra_cflags = optarg; break;
        case OPT_SAN: opt.sanitize = true; break;
        case OPT_CMSIS:
            if ((opt.cmsis_nn_version = parse_version(optarg)) < 0)
                return cmd_usage_error("twin", "--cmsis-nn-version: expected a version like 4 "
                                       "or 4.1.0, got '%s'", optarg);
            break;
        case OPT_LAYERS: layers = optarg; break;
        case OPT_TIMEOUT: {
            char *end;
            opt.timeout_seconds = strtod(optarg, &end);
            if (end == optarg || *end || !(opt.timeout_seconds > 0))
                return cmd_usage_error("twin", "--timeout: expected seconds > 0, got '%s'",
                                       optarg);
            break;
        }
        default: return cmd_usage_error("twin", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cmd_usage_error("twin", "expected one MLF (folder, .tar or .tar.gz)");
    if (!dir)
        return cmd_usage_error("twin", "-o DIR is required");
    if (n_inputs == 0)
        return cmd_usage_error("twin", "--input FILE is required");
    const char *mlf_path = argv[optind];
    char model_name[128] = "";
    if (model) {
        const char *b = strrchr(model, '/');
        b = b ? b + 1 : model;
        snprintf(model_name, sizeof model_name, "%.*s", (int)strcspn(b, "."), b);
        opt.model_name = model_name;
    }

    struct mlf m;
    mlf_init(&m);
    struct instrument_plan plan = {0};
    struct tensor_value vals[TWIN_MAX_INPUTS];
    size_t n_vals = 0;
    struct twin_result res = {0};
    char *diag = NULL;
    int rc = mlf_open(&m, mlf_path, &eb);
    const char *ordered[TWIN_MAX_INPUTS] = {0};
    if (!rc)
        rc = order_inputs(&m, inputs, n_inputs, ordered, &eb);
    for (size_t i = 0; i < n_inputs && !rc; i++) {
        rc = read_input(ordered[i], dtype, have_shape ? &shape : NULL, &vals[i], &eb);
        if (!rc)
            n_vals++;
    }
    if (!rc)
        rc = twin_check_inputs(&m, vals, n_vals, &eb);
    if (!rc)
        rc = instrument_plan(&m, NULL, 0, &plan, &eb);
    struct graph g;
    graph_init(&g);
    struct map mp;
    map_init(&mp);
    const char **lnames = NULL, **lops = NULL;
    if (!rc && model) {
        rc = model_load(&g, model, NULL, &eb);
        if (!rc)
            rc = map_build(&mp, &g, &m, NULL, &eb);
        if (!rc)
            rc = instrument_use_map(&m, &g, &mp, &plan, &lnames, &lops, &eb);
        opt.layer_names = lnames;
        opt.layer_ops = lops;
    }
    if (!rc && layers)
        rc = instrument_select(&plan, layers, &eb);
    if (!rc)
        rc = fileio_mkdirs(dir, &eb);
    if (!rc) {
        rc = twin_build(&m, &plan, &opt, dir, &res, &diag, &eb);
        if (rc == ST_EPARSE && diag)
            fputs(diag, stderr);
    }
    if (!rc)
        rc = twin_run(&m, &plan, &opt, dir, vals, n_vals, &res, &eb);
    int code = EXIT_OK;
    size_t n_tensors = 0;
    if (!rc) {
        print_hazards(&res);
        rc = twin_write_hazards(&m, &opt, dir, &res, &eb);
        bool crashed = res.exit_status != 0;
        if (!rc) {
            int crc = twin_collect(&m, &plan, &opt, dir, &res, &n_tensors, &eb);
            if (crc && !crashed)
                rc = crc;
        }
        if (!rc) {
            printf("twin: %zu tensors from %zu steps written to %s (%s; run %.2f s)\n",
                   n_tensors, m.n_steps, dir,
                   res.reused_build ? "build reused" : "compiled", res.run_seconds);
            if (!res.reused_build)
                printf("twin: compile %.2f s\n", res.compile_seconds);
            if (res.n_hazards)
                printf("twin: %zu hazard(s), see %s/hazards.json\n", res.n_hazards, dir);
            code = crashed ? EXIT_INTERNAL : res.main_status != 0 ? EXIT_DIFF : EXIT_OK;
            if (crashed)
                fprintf(stderr, "mlfscope: error: the twin program did not finish; see the "
                                "crash hazard\n");
        }
    }
    if (rc)
        code = cmd_fail(&eb);
    mem_free(diag);
    mem_free(lnames);
    mem_free(lops);
    map_release(&mp);
    graph_release(&g);
    twin_result_release(&res);
    instrument_plan_release(&plan);
    for (size_t i = 0; i < n_vals; i++)
        mem_free(vals[i].data);
    mlf_release(&m);
    return code;
}
