/*
 * mlfscope run: runs a model on the reference interpreter under an arithmetic mode and
 * writes every layer's (or node's, or only the outputs') tensor to DIR as .npy, with
 * DIR/index.json listing them in execution order. A progress bar goes to a terminal stderr.
 */
/* command: run | reference run of a model, every layer to DIR as .npy + index.json */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "dump/npy.h"
#include "fileio.h"
#include "graph.h"
#include "interp.h"
#include "map_deployed.h"
#include "mem.h"
#include "model.h"

#include "banned.h"

int cmd_run(int argc, char **argv);

static const char run_usage[] =
    "usage: mlfscope run MODEL --input [NAME=]FILE... -o DIR [options]\n"
    "\n"
    "Runs MODEL on the reference interpreter and writes each tensor to DIR as .npy, with\n"
    "DIR/index.json listing them in execution order.\n"
    "\n"
    "  -i, --input [NAME=]FILE  an input: .npy, ONNX TensorProto .pb, or raw bytes with\n"
    "                           --input-dtype/--input-shape (repeatable; unnamed inputs\n"
    "                           take the graph inputs in order)\n"
    "  -o, --output DIR         where to write (created)\n"
    "  --arith MODE             onnx (ONNX semantics; not for TFLite models), tflm\n"
    "                           (TFLite Micro / CMSIS-NN fixed point) or tvm (TVM's C:\n"
    "                           single rounding); default tflm for TFLite, onnx for ONNX\n"
    "  --arith deployed --mlf MLF  each layer as the MLF runs it: CMSIS-NN layers in tflm\n"
    "                           arithmetic with the MLF's multipliers, shifts and offsets,\n"
    "                           TVM C layers in tvm arithmetic (--map FILE overrides the\n"
    "                           layer map, see docs/offloads.md)\n"
    "  --single-rounding        tflm built with CMSIS_NN_USE_SINGLE_ROUNDING\n"
    "  --dump WHAT              layers (default), all (every node) or outputs\n"
    "  --input-dtype T          dtype of raw inputs (int8, uint8, float32, ...)\n"
    "  --input-shape [NAME=]D   dims of a raw input or a symbolic model input: 1,3,224,224\n"
    "  --ort-avx2               onnx mode: reproduce ONNX Runtime on x86 AVX2 without VNNI,\n"
    "                           whose uint8 x int8 kernels saturate pairs of products to\n"
    "                           int16 (default: exact integer sums)\n";

#define RUN_MAX_INPUTS 64

struct run_state {
    const struct graph *g;
    const char *dir;
    cJSON *tensors;
    size_t index;
    bool progress;
    bool per_node;          /* --dump all */
    int last_pct;
};

static void safe_name(const char *name, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; name[i] && j + 1 < cap && j < 80; i++) {
        char ch = name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
        out[j++] = ok ? ch : '_';
    }
    out[j] = '\0';
}

static void progress(struct run_state *st, const struct interp_event *ev, bool final)
{
    if (!st->progress || ev->n_steps == 0)
        return;
    int pct = (int)(ev->step * 100 / ev->n_steps);
    if (pct == st->last_pct && !final)
        return;
    st->last_pct = pct;
    char bar[31];
    int fill = pct * 30 / 100;
    for (int i = 0; i < 30; i++)
        bar[i] = i < fill ? '#' : ' ';
    bar[30] = '\0';
    const char *name = st->g->tensors[ev->tensor].name;
    fprintf(stderr, "\r[%s] %3d%% %zu/%zu %-40.40s", bar, pct, ev->step, ev->n_steps, name);
    fflush(stderr);
}

static int on_tensor(void *user, const struct interp_event *ev, struct errbuf *eb)
{
    struct run_state *st = user;
    const struct graph *g = st->g;
    char safe[96], file[128];
    safe_name(g->tensors[ev->tensor].name, safe, sizeof safe);
    snprintf(file, sizeof file, "%04zu_%s.npy", st->index, safe);
    char *path = fileio_join(st->dir, file);
    if (!path)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    int rc = npy_write_file(path, ev->value, eb);
    mem_free(path);
    if (rc)
        return rc;
    /* per node with --dump all, otherwise the layer's op (Conv for a whole QDQ group) */
    const char *op = ev->layer >= 0 && (ev->node < 0 || !st->per_node) ? g->layers[ev->layer].op
                     : ev->node >= 0 ? g->nodes[ev->node].op : "";
    cJSON *t = cJSON_CreateObject();
    cJSON *shape = cJSON_CreateArray();
    if (!t || !shape) {
        cJSON_Delete(t);
        cJSON_Delete(shape);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    for (int i = 0; i < ev->value->rank; i++)
        cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)ev->value->dims[i]));
    cJSON_AddNumberToObject(t, "index", (double)st->index);
    cJSON_AddStringToObject(t, "name", g->tensors[ev->tensor].name);
    if (ev->layer >= 0)
        cJSON_AddStringToObject(t, "layer", g->layers[ev->layer].name);
    else
        cJSON_AddNullToObject(t, "layer");
    cJSON_AddStringToObject(t, "op", op);
    cJSON_AddStringToObject(t, "dtype", dtype_name(ev->value->dtype));
    cJSON_AddItemToObject(t, "shape", shape);
    cJSON_AddStringToObject(t, "file", file);
    cJSON_AddStringToObject(t, "arith", interp_arith_name(ev->arith));
    cJSON_AddItemToArray(st->tensors, t);
    st->index++;
    progress(st, ev, false);
    return 0;
}

static int write_index(const char *dir, const char *model, const char *arith, bool single,
                       cJSON *tensors, struct errbuf *eb)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    cJSON_AddStringToObject(root, "model", model);
    cJSON_AddStringToObject(root, "arith", arith);
    if (single)
        cJSON_AddTrueToObject(root, "single_rounding");
    cJSON_AddItemReferenceToObject(root, "tensors", tensors);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    char *path = fileio_join(dir, "index.json");
    int rc = path ? 0 : errbuf_set(eb, ST_ENOMEM, "out of memory");
    if (!rc) {
        size_t n = strlen(text);
        text[n] = '\n';     /* replaces the NUL; length passed explicitly */
        rc = fileio_write(path, text, n + 1, eb);
        text[n] = '\0';
    }
    mem_free(path);
    cJSON_free(text);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv))
        return cmd_print_help(run_usage);
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"arith", required_argument, NULL, 'a'},
        {"single-rounding", no_argument, NULL, 's'},
        {"dump", required_argument, NULL, 'd'},
        {"input-dtype", required_argument, NULL, 't'},
        {"input-shape", required_argument, NULL, 'S'},
        {"ort-avx2", no_argument, NULL, 'X'},
        {"mlf", required_argument, NULL, 'M'},
        {"map", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0},
    };
    char *inputs[RUN_MAX_INPUTS];
    struct shape_override shapes[RUN_MAX_INPUTS];
    size_t n_inputs = 0, n_shapes = 0;
    const char *dir = NULL;
    bool arith_given = false;
    struct interp_options opts = {.arith = INTERP_ARITH_ONNX, .dump = INTERP_DUMP_LAYERS};
    enum dtype raw_dtype = DTYPE_UNKNOWN;
    bool deployed = false;
    const char *mlf_path = NULL;
    struct map_options map_opt = {NULL};
    struct errbuf eb;
    errbuf_init(&eb);
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "i:o:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'i':
            if (n_inputs == RUN_MAX_INPUTS)
                return cmd_usage_error("run", "more than %d --input", RUN_MAX_INPUTS);
            inputs[n_inputs++] = optarg;
            break;
        case 'o':
            dir = optarg;
            break;
        case 'a':
            arith_given = true;
            deployed = strcmp(optarg, "deployed") == 0;
            if (!deployed && !interp_arith_from_name(optarg, &opts.arith))
                return cmd_usage_error("run", "--arith: expected onnx, tflm, tvm or deployed, "
                                       "got '%s'", optarg);
            break;
        case 'M':
            mlf_path = optarg;
            break;
        case 'P':
            map_opt.override_path = optarg;
            break;
        case 's':
            opts.single_rounding = true;
            break;
        case 'X':
            opts.ort_avx2_u8s8 = true;
            break;
        case 'd':
            if (strcmp(optarg, "layers") == 0)
                opts.dump = INTERP_DUMP_LAYERS;
            else if (strcmp(optarg, "all") == 0)
                opts.dump = INTERP_DUMP_ALL;
            else if (strcmp(optarg, "outputs") == 0)
                opts.dump = INTERP_DUMP_OUTPUTS;
            else
                return cmd_usage_error("run", "--dump: expected layers, all or outputs, got '%s'",
                                       optarg);
            break;
        case 't':
            raw_dtype = dtype_from_name(optarg);
            if (raw_dtype == DTYPE_UNKNOWN || dtype_bytes(raw_dtype) == 0)
                return cmd_usage_error("run", "--input-dtype: unknown dtype '%s'", optarg);
            break;
        case 'S':
            if (n_shapes == RUN_MAX_INPUTS)
                return cmd_usage_error("run", "more than %d --input-shape", RUN_MAX_INPUTS);
            if (cmd_parse_shape(optarg, &shapes[n_shapes], &eb) != 0)
                return cmd_fail(&eb);
            n_shapes++;
            break;
        default:
            return cmd_usage_error("run", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cmd_usage_error("run", "expected one MODEL");
    if (!dir)
        return cmd_usage_error("run", "-o DIR is required");
    if (n_inputs == 0)
        return cmd_usage_error("run", "at least one --input is required");
    if (deployed != (mlf_path != NULL))
        return cmd_usage_error("run", deployed ? "--arith deployed needs --mlf MLF"
                                               : "--mlf is only used with --arith deployed");
    const char *model = argv[optind];

    struct graph g;
    graph_init(&g);
    struct interp_inputs in = {0};
    struct interp *ip = NULL;
    struct run_state st = {.g = &g, .dir = dir, .last_pct = -1,
                           .progress = isatty(fileno(stderr)) != 0};
    st.per_node = opts.dump == INTERP_DUMP_ALL;
    struct load_options lo = {.n_shapes = n_shapes, .shapes = shapes};
    int rc = model_load(&g, model, &lo, &eb);
    if (!rc && !arith_given)
        opts.arith = interp_default_arith(&g);
    struct map_deployed dep;
    map_deployed_init(&dep);
    if (!rc && deployed) {
        /* each layer in the arithmetic of the path the MLF gave it, with its constants */
        rc = map_deployed_open(&dep, &g, mlf_path, &map_opt, &eb);
        opts.arith = INTERP_ARITH_TFLM;
        opts.layer_params = dep.params;
    }
    if (!rc)
        rc = interp_inputs_load(&g, n_inputs, (const char *const *)inputs, raw_dtype, n_shapes,
                                shapes, &in, &eb);
    if (!rc)
        rc = fileio_mkdirs(dir, &eb);
    st.tensors = cJSON_CreateArray();
    if (!rc && !st.tensors)
        rc = errbuf_set(&eb, ST_ENOMEM, "out of memory");
    opts.callback = on_tensor;
    opts.user = &st;
    if (!rc)
        rc = interp_new(&g, &opts, &ip, &eb);
    if (!rc)
        rc = interp_inputs_bind(ip, &in, &eb);
    if (!rc)
        rc = interp_run(ip, &eb);
    if (st.progress && st.last_pct >= 0)
        fputc('\n', stderr);
    if (!rc) {
        char arith[32];
        snprintf(arith, sizeof arith, "%s", deployed ? "deployed" : interp_arith_name(opts.arith));
        rc = write_index(dir, model, arith, opts.single_rounding, st.tensors, &eb);
    }
    cJSON_Delete(st.tensors);
    interp_free(ip);
    interp_inputs_release(&in);
    map_deployed_release(&dep);
    graph_release(&g);
    if (rc)
        return cmd_fail(&eb);
    return EXIT_OK;
}
