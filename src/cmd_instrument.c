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
#include "mlf.h"

#include "banned.h"

int cmd_instrument(int argc, char **argv);

static const char instrument_usage[] =
    "usage: mlfscope instrument MLF -o DIR [--layers LIST] [--model NAME]\n"
    "\n"
    "Writes a copy of MLF (folder, .tar or .tar.gz) to DIR whose AOT main calls a hook after\n"
    "every step; the hook prints the step's output buffer as an mlfscope board log through\n"
    "a putc function you write. DIR/README-mlfscope.md says how to build, capture and compare.\n"
    "\n"
    "  -o, --output DIR   where to write (created; files already there are overwritten)\n"
    "  --layers LIST      only these steps: indices, ranges a-b, function or buffer names\n"
    "  --model NAME       the model name printed in the log (default: the MLF's module)\n";

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
    if (!rc && layers)
        rc = instrument_select(&plan, layers, &eb);
    if (!rc)
        rc = instrument_write(&m, &plan, dir, model ? model : m.module ? m.module : "model",
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
    instrument_plan_release(&plan);
    mlf_release(&m);
    return code;
}
