/*
 * `mlfscope tui MODEL`: browse a model's layers, details, tensors and graph neighbourhood in
 * the terminal. The MLF, board-log and twin sources plug into struct tui_source once those
 * stages exist; until then their options are accepted by the parser and refused clearly.
 */
/* command: tui | browse a model, its layers, tensors and graph in the terminal */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "graph.h"
#include "model.h"
#include "views/term.h"
#include "views/tui.h"
#include "views/tui_synth.h"
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
    "  --mlf MLF        the TVM build (.tar, .tar.gz or folder)      (not available yet)\n"
    "  --input X        input for a reference run (.npy, .pb, .bin)  (not available yet)\n"
    "  --log LOG        board log to compare against the reference   (not available yet)\n"
    "  --twin           run the MLF's own C on the host as the board (not available yet)\n"
    "  --synthetic N    browse a generated N-layer int8 network instead of MODEL\n"
    "  --no-color       attributes only (also when NO_COLOR is set)\n"
    "  --no-mouse       do not capture the mouse (lets the terminal select text)\n"
    "  -h, --help       this text\n"
    "\n"
    "keys: j/k or arrows move, PgUp/PgDn, g/G, Tab pane, / search, n/N, d next diverged,\n"
    "Enter follows an edge, e exports the view, ? help, q quit\n";

int cmd_tui(int argc, char **argv)
{
    enum { OPT_MLF = 256, OPT_INPUT, OPT_LOG, OPT_TWIN, OPT_SYNTH, OPT_NOCOLOR, OPT_NOMOUSE };
    static const struct option longopts[] = {
        {"mlf", required_argument, NULL, OPT_MLF},
        {"input", required_argument, NULL, OPT_INPUT},
        {"log", required_argument, NULL, OPT_LOG},
        {"twin", no_argument, NULL, OPT_TWIN},
        {"synthetic", required_argument, NULL, OPT_SYNTH},
        {"no-color", no_argument, NULL, OPT_NOCOLOR},
        {"no-mouse", no_argument, NULL, OPT_NOMOUSE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct term_opts topts = {false, false, NULL, NULL};
    long synth = -1;
    int c;

    if (cmd_wants_help(argc, argv))
        return cmd_print_help(usage);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_MLF:
        case OPT_LOG:
        case OPT_TWIN:
            /* TODO(lead): wire the MLF map, board-log trace and host twin into tui_source. */
            return cmd_usage_error("tui", "--%s is not available yet in the tui",
                                   c == OPT_MLF ? "mlf" : c == OPT_LOG ? "log" : "twin");
        case OPT_INPUT:
            return cmd_usage_error("tui", "--input is not available yet in the tui (it needs "
                                   "the interpreter)");
        case OPT_SYNTH: {
            char *end;
            errno = 0;
            synth = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || errno != 0 || synth < 1 || synth > 1000000)
                return cmd_usage_error("tui", "--synthetic: expected a layer count 1..1000000, "
                                       "got '%s'", optarg);
            break;
        }
        case OPT_NOCOLOR: topts.no_color = true; break;
        case OPT_NOMOUSE: topts.no_mouse = true; break;
        case 'h': return cmd_print_help(usage);
        default:
            return cmd_usage_error("tui", "unknown option '%s'", argv[optind - 1]);
        }
    }
    int n_pos = argc - optind;
    if (synth < 0 && n_pos != 1)
        return cmd_usage_error("tui", n_pos == 0 ? "expected a MODEL file" :
                               "expected one MODEL file, got %d arguments", n_pos);
    if (synth >= 0 && n_pos != 0)
        return cmd_usage_error("tui", "--synthetic takes no MODEL file");

    struct errbuf eb;
    struct graph g;
    struct tui t;
    int rc;
    errbuf_init(&eb);
    graph_init(&g);
    if (synth >= 0) {
        rc = tui_synth_graph(&g, (size_t)synth, &eb);
    } else {
        rc = model_load(&g, argv[optind], NULL, &eb);
    }
    /* A loader that formed no layers still gets a browsable list: one layer per node. */
    if (rc == 0 && g.n_layers == 0 && g.n_nodes > 0)
        rc = tui_synth_layers(&g, &eb);
    if (rc < 0) {
        graph_release(&g);
        return cmd_fail(&eb);
    }
    if (tui_init(&t, &g, NULL, &eb) < 0) {
        graph_release(&g);
        return cmd_fail(&eb);
    }
    setlocale(LC_ALL, "");
    rc = term_run(&t, &topts, &eb);
    tui_release(&t);
    graph_release(&g);
    return rc < 0 ? cmd_fail(&eb) : EXIT_OK;
}
