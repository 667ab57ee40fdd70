/*
 * mlfscope instrument: writes a copy of an MLF whose AOT main prints every step's output as
 * a board log (through the freestanding emitter and a putc hook the user supplies), with a
 * README saying how to build, capture and compare.
 */
/* command: instrument | copy of an MLF whose AOT main prints each step's output (board log) */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "fileio.h"
#include "instrument.h"
#include "map.h"
#include "mem.h"
#include "mlf.h"
#include "model.h"

#include "banned.h"

int cmd_instrument(int argc, char **argv);

static const char instrument_usage[] =
    "usage: mlfscope instrument MLF -o DIR [--layers LIST] [--model MODEL]\n"
    "\n"
    "Writes a copy of MLF (folder, .tar or .tar.gz) to DIR whose AOT main calls a hook after\n"
    "every step; the hook prints the step's output buffer as an mlfscope board log through\n"
    "a putc function you write. DIR/README-mlfscope.md says how to build, capture and compare.\n"
    "\n"
    "  -o, --output DIR   where to write (created; files already there are overwritten)\n"
    "  --layers LIST      only these steps: indices, ranges a-b, function or buffer names\n"
    "  --model MODEL      the source model (.tflite, .onnx): each step prints the name and\n"
    "                     shape of the model layer it computes (the layer map), so that\n"
    "                     `mlfscope diff` matches the board log to a reference by name\n";

enum { OPT_LAYERS = 256, OPT_MODEL };

int cmd_instrument(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv))
        return cmd_print_help(instrument_usage);
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"layers", required_argument, NULL, OPT_LAYERS},
        {"model", required_argument, NULL, OPT_MODEL},
        {NULL, 0, NULL, 0},
    };
    const char *dir = NULL, *layers = NULL, *model = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case OPT_LAYERS: layers = optarg; break;
        case OPT_MODEL: model = optarg; break;
        default: return cmd_usage_error("instrument", "unknown option");
        }
    }
    if (optind != argc - 1)
        return cmd_usage_error("instrument", "expected one MLF (folder, .tar or .tar.gz)");
    if (!dir)
        return cmd_usage_error("instrument", "-o DIR is required");
    struct errbuf eb;
    errbuf_init(&eb);
    struct mlf m;
    mlf_init(&m);
    struct instrument_plan plan = {0};
    int rc = mlf_open(&m, argv[optind], &eb);
    if (!rc)
        rc = instrument_plan(&m, NULL, 0, &plan, &eb);
    struct graph g;
    graph_init(&g);
    struct map mp;
    map_init(&mp);
    const char **names = NULL, **ops = NULL;
    char model_name[128] = "";
    if (!rc && model) {
        const char *b = strrchr(model, '/');
        b = b ? b + 1 : model;
        snprintf(model_name, sizeof model_name, "%.*s", (int)strcspn(b, "."), b);
        rc = model_load(&g, model, NULL, &eb);
        if (!rc)
            rc = map_build(&mp, &g, &m, NULL, &eb);
        if (!rc)
            rc = instrument_use_map(&m, &g, &mp, &plan, &names, &ops, &eb);
        /* the board prints the layer's name: diff matches it to a reference by name */
        for (size_t i = 0; !rc && i < plan.n; i++)
            if (names[i])
                plan.bufs[i].name = names[i];
    }
    if (!rc && layers)
        rc = instrument_select(&plan, layers, &eb);
    if (!rc)
        rc = instrument_write(&m, &plan, dir, model ? model_name : m.module ? m.module : "model",
                              &eb);
    int code = 0;
    if (rc) {
        code = cmd_fail(&eb);
    } else {
        size_t n = 0, approx = 0;
        for (size_t i = 0; i < plan.n; i++) {
            n += plan.bufs[i].selected && plan.bufs[i].arg >= 0;
            approx += plan.bufs[i].selected && plan.bufs[i].approximate;
        }
        printf("instrument: %zu of %zu steps dumped, written to %s (see %s/README-mlfscope.md)\n",
               n, plan.n, dir, dir);
        if (approx)
            cmd_warn("%zu step(s) dump an upper bound of their output size (TVM C functions "
                     "whose output size the MLF does not state)", approx);
    }
    mem_free(names);
    mem_free(ops);
    instrument_plan_release(&plan);
    map_release(&mp);
    graph_release(&g);
    mlf_release(&m);
    return code;
}
