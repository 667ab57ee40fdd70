/*
 * mlfscope offloads: per layer, where it went (CMSIS-NN, TVM's C, folded), which step and
 * kernel compute it, and for every layer not offloaded the rule that failed with a fix;
 * then the hazards found in the MLF and a summary per target. Text or JSON (cJSON).
 */
/* command: offloads | per layer: CMSIS-NN or C, why, the fix; hazards in the MLF */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "fileio.h"
#include "graph.h"
#include "map.h"
#include "mem.h"
#include "mlf.h"
#include "model.h"
#include "offload.h"
#include "banned.h"

int cmd_offloads(int argc, char **argv);

static const char offloads_usage[] =
    "usage: mlfscope offloads [MODEL] [MLF] [--json] [--map FILE] [--cmsis-nn-version N]\n"
    "\n"
    "Per layer of MODEL (.tflite or .onnx): the target TVM gave it in MLF (cmsis-nn, c,\n"
    "folded), the step, function and CMSIS-NN kernel, the target TVM's partitioning rules\n"
    "predict, and for every layer not offloaded each rule that failed with its fix (rule\n"
    "ids: docs/offloads.md). Then hazards found in the MLF (shift-out-of-range,\n"
    "context-buffer-too-small, metadata-mismatch, buffer-overlap) and a summary.\n"
    "With MODEL alone: predictions only. With MLF alone: one row per step, and hazards.\n"
    "\n"
    "  --json                 machine-readable output {layers, hazards, summary}\n"
    "  --map FILE             override the layer map: lines 'step KEY LAYER' (KEY = step\n"
    "                         index or function name) or 'folded LAYER'\n"
    "  --cmsis-nn-version N   CMSIS-NN major version for context-buffer sizes (default 4)\n";

static bool looks_like_mlf(const char *path)
{
    return fileio_is_dir(path) || fileio_has_suffix(path, ".tar") ||
           fileio_has_suffix(path, ".tar.gz") || fileio_has_suffix(path, ".tgz");
}

static void print_text(const struct offload_report *r)
{
    char nm[64];
    printf("%4s  %-40s %-18s %-9s %-9s %5s  %-30s %12s\n", "#", "layer", "op", "predicted",
           "target", "step", "kernel / function", "MACs");
    for (size_t i = 0; i < r->n_rows; i++) {
        const struct offload_row *row = &r->rows[i];
        graph_short_name(row->name ? row->name : "?", 40, nm, sizeof nm);
        char step[16] = "-";
        if (row->step >= 0)
            snprintf(step, sizeof step, "%d", row->step);
        const char *what = row->kernel ? row->kernel : row->function ? row->function : "-";
        printf("%4zu  %-40s %-18s %-9s %-9s %5s  %-30s %12lld\n", i, nm,
               row->op ? row->op : "?", row->predicted ? row->predicted : "-",
               row->target ? row->target : r->has_mlf ? "missing" : "-", step, what,
               (long long)row->macs);
        for (size_t k = 0; k < row->n_reasons; k++) {
            const struct offload_reason *re = &row->reasons[k];
            printf("      ! %s: %s (%s)\n        fix: %s\n", offload_rule_id(re->rule),
                   offload_rule_text(re->rule), re->detail, offload_rule_fix(re->rule));
        }
    }
    if (r->has_mlf) {
        printf("\nhazards: %zu\n", r->n_hazards);
        for (size_t i = 0; i < r->n_hazards; i++) {
            const struct offload_hazard *h = &r->hazards[i];
            char st[16] = "-";
            if (h->step >= 0)
                snprintf(st, sizeof st, "%d", h->step);
            graph_short_name(h->layer_name ? h->layer_name : "-", 40, nm, sizeof nm);
            printf("  %-25s step %-4s %-40s %s\n", offload_hazard_name(h->kind), st, nm,
                   h->detail);
        }
    }
    printf("\nsummary:");
    for (size_t i = 0; i < r->n_targets; i++)
        printf(" %s %zu%s", r->targets[i].target, r->targets[i].layers,
               i + 1 < r->n_targets ? "," : "");
    printf("\nMACs: cmsis-nn %lld, c %lld", (long long)r->macs_cmsis, (long long)r->macs_c);
    if (r->has_model && r->has_mlf)
        printf("; prediction mismatches %zu", r->n_mismatches);
    printf("\n");
}

static cJSON *row_json(const struct offload_row *row)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *rs = cJSON_CreateArray();
    if (o == NULL || rs == NULL) {
        cJSON_Delete(o);
        cJSON_Delete(rs);
        return NULL;
    }
    bool ok = cJSON_AddItemToObject(o, "reasons", rs);
    ok = ok && cJSON_AddStringToObject(o, "layer", row->name ? row->name : "") != NULL;
    ok = ok && cJSON_AddStringToObject(o, "op", row->op ? row->op : "") != NULL;
    ok = ok && (row->target ? cJSON_AddStringToObject(o, "target", row->target)
                            : cJSON_AddNullToObject(o, "target")) != NULL;
    ok = ok && (row->function ? cJSON_AddStringToObject(o, "function", row->function)
                              : cJSON_AddNullToObject(o, "function")) != NULL;
    ok = ok && (row->step >= 0 ? cJSON_AddNumberToObject(o, "step", row->step)
                               : cJSON_AddNullToObject(o, "step")) != NULL;
    ok = ok && (row->kernel ? cJSON_AddStringToObject(o, "kernel", row->kernel)
                            : cJSON_AddNullToObject(o, "kernel")) != NULL;
    ok = ok && (row->predicted ? cJSON_AddStringToObject(o, "predicted", row->predicted)
                               : cJSON_AddNullToObject(o, "predicted")) != NULL;
    ok = ok && cJSON_AddStringToObject(o, "map", map_status_name(row->status)) != NULL;
    ok = ok && cJSON_AddNumberToObject(o, "macs", (double)row->macs) != NULL;
    for (size_t k = 0; ok && k < row->n_reasons; k++) {
        const struct offload_reason *re = &row->reasons[k];
        cJSON *x = cJSON_CreateObject();
        ok = x != NULL && cJSON_AddItemToArray(rs, x);
        ok = ok && cJSON_AddStringToObject(x, "id", offload_rule_id(re->rule)) != NULL;
        ok = ok && cJSON_AddStringToObject(x, "text", offload_rule_text(re->rule)) != NULL;
        ok = ok && cJSON_AddStringToObject(x, "detail", re->detail) != NULL;
        ok = ok && cJSON_AddStringToObject(x, "fix", offload_rule_fix(re->rule)) != NULL;
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *hazard_json(const struct offload_hazard *h)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ch = cJSON_CreateArray();
    if (o == NULL || ch == NULL) {
        cJSON_Delete(o);
        cJSON_Delete(ch);
        return NULL;
    }
    bool ok = cJSON_AddItemToObject(o, "channels", ch);
    ok = ok && cJSON_AddStringToObject(o, "kind", offload_hazard_name(h->kind)) != NULL;
    ok = ok && (h->function ? cJSON_AddStringToObject(o, "function", h->function)
                            : cJSON_AddNullToObject(o, "function")) != NULL;
    ok = ok && (h->step >= 0 ? cJSON_AddNumberToObject(o, "step", h->step)
                             : cJSON_AddNullToObject(o, "step")) != NULL;
    ok = ok && (h->layer_name ? cJSON_AddStringToObject(o, "layer", h->layer_name)
                              : cJSON_AddNullToObject(o, "layer")) != NULL;
    ok = ok && cJSON_AddStringToObject(o, "detail", h->detail ? h->detail : "") != NULL;
    for (size_t i = 0; ok && i < h->n_channels; i++) {
        cJSON *n = cJSON_CreateNumber(h->channels[i]);
        ok = n != NULL && cJSON_AddItemToArray(ch, n);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static cJSON *report_json(const struct offload_report *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *layers = cJSON_CreateArray(), *hz = cJSON_CreateArray();
    cJSON *sum = cJSON_CreateObject(), *tg = cJSON_CreateObject();
    bool ok = root && layers && hz && sum && tg;
    if (!ok) {
        cJSON_Delete(root);
        cJSON_Delete(layers);
        cJSON_Delete(hz);
        cJSON_Delete(sum);
        cJSON_Delete(tg);
        return NULL;
    }
    cJSON_AddItemToObject(root, "layers", layers);
    cJSON_AddItemToObject(root, "hazards", hz);
    cJSON_AddItemToObject(root, "summary", sum);
    cJSON_AddItemToObject(sum, "targets", tg);
    for (size_t i = 0; ok && i < r->n_rows; i++) {
        cJSON *x = row_json(&r->rows[i]);
        ok = x != NULL && cJSON_AddItemToArray(layers, x);
    }
    for (size_t i = 0; ok && i < r->n_hazards; i++) {
        cJSON *x = hazard_json(&r->hazards[i]);
        ok = x != NULL && cJSON_AddItemToArray(hz, x);
    }
    for (size_t i = 0; ok && i < r->n_targets; i++) {
        cJSON *t = cJSON_CreateObject();
        ok = t != NULL && cJSON_AddItemToObject(tg, r->targets[i].target, t);
        ok = ok && cJSON_AddNumberToObject(t, "layers", (double)r->targets[i].layers);
        ok = ok && cJSON_AddNumberToObject(t, "macs", (double)r->targets[i].macs);
    }
    ok = ok && cJSON_AddNumberToObject(sum, "macs_cmsis_nn", (double)r->macs_cmsis);
    ok = ok && cJSON_AddNumberToObject(sum, "macs_c", (double)r->macs_c);
    ok = ok && cJSON_AddNumberToObject(sum, "mismatches", (double)r->n_mismatches);
    ok = ok && cJSON_AddNumberToObject(sum, "hazards", (double)r->n_hazards);
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int cmd_offloads(int argc, char **argv)
{
    static const struct option long_opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"map", required_argument, NULL, 'm'},
        {"cmsis-nn-version", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct map_options mopt = {NULL};
    struct offload_options oopt = {4};
    bool json = false;
    int c;

    if (cmd_wants_help(argc, argv))
        return cmd_print_help(offloads_usage);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'm':
            mopt.override_path = optarg;
            break;
        case 'v': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > 99)
                return cmd_usage_error("offloads", "--cmsis-nn-version: expected a major "
                                       "version such as 4, found '%s'", optarg);
            oopt.cmsis_nn_version = (int)v;
            break;
        }
        default:
            return cmd_usage_error("offloads", "unknown option '%s'", argv[optind - 1]);
        }
    }
    int n_pos = argc - optind;
    if (n_pos < 1 || n_pos > 2)
        return cmd_usage_error("offloads", "expected MODEL MLF, MODEL, or MLF");
    const char *model_path = NULL, *mlf_path = NULL;
    for (int i = optind; i < argc; i++) {
        if (looks_like_mlf(argv[i]) && mlf_path == NULL)
            mlf_path = argv[i];
        else if (model_path == NULL)
            model_path = argv[i];
        else
            return cmd_usage_error("offloads", "two models given ('%s', '%s'); expected "
                                   "MODEL MLF", model_path, argv[i]);
    }
    if (mopt.override_path && (model_path == NULL || mlf_path == NULL))
        return cmd_usage_error("offloads", "--map needs both MODEL and MLF");

    struct errbuf eb;
    struct graph g;
    struct mlf m;
    struct map mp;
    struct offload_report r;
    int code = EXIT_OK;
    errbuf_init(&eb);
    graph_init(&g);
    mlf_init(&m);
    map_init(&mp);
    offload_init(&r);
    if (model_path && model_load(&g, model_path, NULL, &eb) != 0)
        goto fail;
    if (mlf_path && mlf_open(&m, mlf_path, &eb) != 0)
        goto fail;
    if (mlf_path && map_build(&mp, model_path ? &g : NULL, &m, &mopt, &eb) != 0)
        goto fail;
    if (offload_analyse(&r, model_path ? &g : NULL, mlf_path ? &mp : NULL, &oopt, &eb) != 0)
        goto fail;
    if (json) {
        cJSON_Hooks hooks = {mem_alloc, mem_free};
        cJSON_InitHooks(&hooks);
        cJSON *root = report_json(&r);
        char *text = root ? cJSON_Print(root) : NULL;
        cJSON_Delete(root);
        if (text == NULL) {
            errbuf_set(&eb, ST_ENOMEM, "out of memory");
            goto fail;
        }
        puts(text);
        mem_free(text);
    } else {
        for (size_t i = 0; i < mp.n_warnings; i++)
            cmd_warn("%s", mp.warnings[i]);
        print_text(&r);
    }
    goto out;
fail:
    code = cmd_fail(&eb);
out:
    offload_release(&r);
    map_release(&mp);
    mlf_release(&m);
    graph_release(&g);
    return code;
}
