/*
 * mlfscope info: a summary of a model (format, opsets, producer, quantization format, ops,
 * inputs and outputs, parameters, MACs, layers) as text or JSON (cJSON).
 */
/* command: info | summary of a model: ops, layers, quantization, inputs and outputs, sizes */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "fileio.h"
#include "graph.h"
#include "layers.h"
#include "mem.h"
#include "model.h"
#include "banned.h"

int cmd_info(int argc, char **argv);

static const char info_usage[] =
    "usage: mlfscope info MODEL [--json] [--input-shape [NAME=]d0,d1,...]...\n"
    "       mlfscope info MLF [--json]\n"
    "\n"
    "An MLF (a folder, .tar, .tar.gz or .tgz of TVM's Model Library Format) is summarised\n"
    "as its module, executor, targets, the AOT step table with the CMSIS-NN kernel of each\n"
    "step, constants, workspace and the warnings where metadata and C disagree.\n"
    "\n"
    "Summarises a model (.onnx or .tflite): format, opsets, producer (the TFLite\n"
    "description), quantization format (qdq, qoperator, mixed, tflite-int8, float), op\n"
    "counts, inputs and outputs, parameter bytes, MACs, loader warnings and the layer\n"
    "table.\n"
    "\n"
    "  --json                 machine-readable output\n"
    "  --input-shape SHAPE    fix an input's dims before shape propagation (repeatable;\n"
    "                         NAME= may be left out when the model has one input)\n";

#define INFO_MAX_SHAPES 16

/* Op histogram in first-seen order. */
struct op_count {
    const char *op;
    size_t n;
};

static size_t count_ops(const struct graph *g, struct op_count *ops)
{
    size_t n_ops = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        size_t k = 0;
        while (k < n_ops && strcmp(ops[k].op, g->nodes[i].op) != 0)
            k++;
        if (k == n_ops)
            ops[n_ops++] = (struct op_count){g->nodes[i].op, 0};
        ops[k].n++;
    }
    return n_ops;
}

struct totals {
    size_t n_const;
    size_t param_bytes;
    int64_t macs;
};

static struct totals sum_up(const struct graph *g)
{
    struct totals t = {0, 0, 0};
    for (size_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].flags & TENSOR_CONST) {
            t.n_const++;
            t.param_bytes += g->tensors[i].data_bytes;
        }
    for (size_t i = 0; i < g->n_layers; i++)
        if (g->layers[i].macs > 0 && t.macs <= INT64_MAX - g->layers[i].macs)
            t.macs += g->layers[i].macs;
    return t;
}

static cJSON *json_shape(const struct tensor *t)
{
    if (t->rank < 0)
        return cJSON_CreateNull();
    cJSON *arr = cJSON_CreateArray();
    for (int d = 0; d < t->rank && arr != NULL; d++) {
        cJSON *v;
        if (t->dims[d] >= 0)
            v = cJSON_CreateNumber((double)t->dims[d]);
        else if (t->dim_param[d] != NULL)
            v = cJSON_CreateString(t->dim_param[d]);
        else
            v = cJSON_CreateNull();
        if (v == NULL || !cJSON_AddItemToArray(arr, v)) {
            cJSON_Delete(v);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

static cJSON *json_tensor_list(const struct graph *g, const int *list, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n && arr != NULL; i++) {
        const struct tensor *t = &g->tensors[list[i]];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        if (o == NULL || !cJSON_AddStringToObject(o, "name", t->name) ||
            !cJSON_AddStringToObject(o, "dtype", dtype_name(t->dtype)) ||
            !cJSON_AddItemToObject(o, "shape", json_shape(t))) {
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

static const char *format_name(const struct graph *g)
{
    return g->format == GRAPH_FORMAT_TFLITE ? "tflite" : "onnx";
}

/* Builds the whole JSON document; NULL on out-of-memory. */
static cJSON *info_json(const struct graph *g, const struct op_count *ops, size_t n_ops,
                        const struct totals *tot)
{
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL;

    ok = ok && cJSON_AddStringToObject(root, "format", format_name(g));
    ok = ok && cJSON_AddNumberToObject(root, "ir_version", (double)g->ir_version);
    cJSON *opsets = ok ? cJSON_AddObjectToObject(root, "opsets") : NULL;
    ok = ok && opsets != NULL;
    for (size_t i = 0; ok && i < g->n_opsets; i++)
        ok = cJSON_AddNumberToObject(opsets, g->opsets[i].domain[0] ? g->opsets[i].domain
                                                                    : "ai.onnx",
                                     (double)g->opsets[i].version) != NULL;
    ok = ok && cJSON_AddStringToObject(root, "producer", g->producer);
    ok = ok && cJSON_AddStringToObject(root, "quantization", layers_quant_format(g));
    ok = ok && cJSON_AddNumberToObject(root, "nodes", (double)g->n_nodes);
    ok = ok && cJSON_AddNumberToObject(root, "layers", (double)g->n_layers);
    cJSON *jops = ok ? cJSON_AddObjectToObject(root, "ops") : NULL;
    ok = ok && jops != NULL;
    for (size_t i = 0; ok && i < n_ops; i++)
        ok = cJSON_AddNumberToObject(jops, ops[i].op, (double)ops[i].n) != NULL;
    ok = ok && cJSON_AddItemToObject(root, "inputs", json_tensor_list(g, g->inputs, g->n_inputs));
    ok = ok &&
         cJSON_AddItemToObject(root, "outputs", json_tensor_list(g, g->outputs, g->n_outputs));
    ok = ok && cJSON_AddNumberToObject(root, "initializers", (double)tot->n_const);
    ok = ok && cJSON_AddNumberToObject(root, "parameter_bytes", (double)tot->param_bytes);
    ok = ok && cJSON_AddNumberToObject(root, "macs", (double)tot->macs);
    /* Loader notes that did not stop loading (TFLite: unknown or custom operators). */
    cJSON *warnings = ok ? cJSON_AddArrayToObject(root, "warnings") : NULL;
    ok = ok && warnings != NULL;
    for (size_t i = 0; ok && i < g->n_warnings; i++) {
        cJSON *w = cJSON_CreateString(g->warnings[i]);
        ok = w != NULL && cJSON_AddItemToArray(warnings, w);
        if (!ok)
            cJSON_Delete(w);
    }
    cJSON *list = ok ? cJSON_AddArrayToObject(root, "layer_list") : NULL;
    ok = ok && list != NULL;
    for (size_t i = 0; ok && i < g->n_layers; i++) {
        const struct layer *l = &g->layers[i];
        cJSON *o = cJSON_CreateObject();
        ok = o != NULL && cJSON_AddItemToArray(list, o);
        if (!ok) {
            cJSON_Delete(o);
            break;
        }
        ok = cJSON_AddStringToObject(o, "name", l->name) &&
             cJSON_AddStringToObject(o, "op", l->op) &&
             cJSON_AddStringToObject(o, "kind", layer_kind_name(l->kind)) &&
             cJSON_AddItemToObject(o, "shape",
                                   l->n_outputs > 0 ? json_shape(&g->tensors[l->outputs[0]])
                                                    : cJSON_CreateNull()) &&
             cJSON_AddNumberToObject(o, "macs", (double)l->macs);
    }
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static void print_tensors(const struct graph *g, const char *title, const int *list, size_t n)
{
    char shape[128];
    printf("%s:\n", title);
    for (size_t i = 0; i < n; i++) {
        const struct tensor *t = &g->tensors[list[i]];
        printf("  %-24s %-8s %s\n", t->name, dtype_name(t->dtype),
               tensor_shape_str(t, shape, sizeof shape));
    }
}

static void info_text(const struct graph *g, const struct op_count *ops, size_t n_ops,
                      const struct totals *tot)
{
    char shape[128];
    printf("%s: %s, ir_version %lld, producer %s\n", g->path, format_name(g),
           (long long)g->ir_version, g->producer[0] ? g->producer : "(none)");
    if (g->n_opsets > 0) {
        printf("opsets:");
        for (size_t i = 0; i < g->n_opsets; i++)
            printf(" %s %lld", g->opsets[i].domain[0] ? g->opsets[i].domain : "ai.onnx",
                   (long long)g->opsets[i].version);
        printf("\n");
    }
    printf("quantization: %s\n", layers_quant_format(g));
    printf("nodes %zu, layers %zu, constants %zu (%zu bytes), MACs %lld\n", g->n_nodes,
           g->n_layers, tot->n_const, tot->param_bytes, (long long)tot->macs);
    printf("ops:");
    for (size_t i = 0; i < n_ops; i++)
        printf(" %s %zu", ops[i].op, ops[i].n);
    printf("\n");
    print_tensors(g, "inputs", g->inputs, g->n_inputs);
    print_tensors(g, "outputs", g->outputs, g->n_outputs);
    for (size_t i = 0; i < g->n_warnings; i++)
        printf("warning: %s\n", g->warnings[i]);
    char name[41];
    printf("\n%4s  %-40s %-18s %-9s %-14s %10s\n", "#", "layer", "op", "kind", "shape", "MACs");
    for (size_t i = 0; i < g->n_layers; i++) {
        const struct layer *l = &g->layers[i];
        const char *s = l->n_outputs > 0
                            ? tensor_shape_str(&g->tensors[l->outputs[0]], shape, sizeof shape)
                            : "-";
        printf("%4zu  %-40s %-18s %-9s %-14s %10lld\n", i, graph_short_name(l->name, 40, name, sizeof name),
               l->op, layer_kind_name(l->kind), s, (long long)l->macs);
    }
}

static int info_model(const char *path, const struct load_options *opts, bool json)
{
    struct graph g;
    struct errbuf eb;
    int code = EXIT_OK;
    struct op_count *ops = NULL;

    graph_init(&g);
    errbuf_init(&eb);
    if (model_load(&g, path, opts, &eb) != 0) {
        code = cmd_fail(&eb);
        goto out;
    }
    ops = mem_alloc((g.n_nodes + 1) * sizeof *ops);
    if (ops == NULL) {
        errbuf_set(&eb, ST_ENOMEM, "out of memory");
        code = cmd_fail(&eb);
        goto out;
    }
    size_t n_ops = count_ops(&g, ops);
    struct totals tot = sum_up(&g);
    if (json) {
        cJSON_Hooks hooks = {mem_alloc, mem_free};
        cJSON_InitHooks(&hooks);
        cJSON *root = info_json(&g, ops, n_ops, &tot);
        char *text = root != NULL ? cJSON_Print(root) : NULL;
        cJSON_Delete(root);
        if (text == NULL) {
            errbuf_set(&eb, ST_ENOMEM, "out of memory");
            code = cmd_fail(&eb);
            goto out;
        }
        puts(text);
        mem_free(text);
    } else {
        info_text(&g, ops, n_ops, &tot);
    }
out:
    mem_free(ops);
    graph_release(&g);
    return code;
}

int cmd_info(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"input-shape", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct shape_override shapes[INFO_MAX_SHAPES];
    struct load_options opts = {0, shapes};
    struct errbuf eb;
    bool json = false;
    int c;

    if (cmd_wants_help(argc, argv))
        return cmd_print_help(info_usage);
    errbuf_init(&eb);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 's':
            if (opts.n_shapes == INFO_MAX_SHAPES)
                return cmd_usage_error("info", "at most %d --input-shape options",
                                       INFO_MAX_SHAPES);
            if (cmd_parse_shape(optarg, &shapes[opts.n_shapes], &eb) != 0)
                return cmd_fail(&eb);
            opts.n_shapes++;
            break;
        default:
            return cmd_usage_error("info", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return cmd_usage_error("info", "expected one MODEL");
    const char *path = argv[optind];
    if (fileio_is_dir(path) || fileio_has_suffix(path, ".tar") ||
        fileio_has_suffix(path, ".tar.gz") || fileio_has_suffix(path, ".tgz"))
        return cmd_info_mlf(path, json);   /* a Model Library Format tree or archive */
    return info_model(path, &opts, json);
}
