/*
 * Fuzz target: one generated C file through the MLF scanner and linker, then the layer map
 * (against a small fixed model when it can be loaded, else the MLF alone) and the offload
 * report with its hazards. Hostile kernel literals, pointers and pools must never crash.
 */
#include "fuzz.h"

#include "../../src/graph.h"
#include "../../src/map.h"
#include "../../src/mlf.h"
#include "../../src/model.h"
#include "../../src/offload.h"

FUZZ_TARGET(offload)
{
    struct mlf m;
    struct graph g;
    struct map mp;
    struct offload_report r;
    struct errbuf eb;
    errbuf_init(&eb);
    mlf_init(&m);
    graph_init(&g);
    offload_init(&r);
    bool have_model = model_load(&g, "tests/data/offload/spans.tflite", NULL, &eb) == 0;
    errbuf_init(&eb);
    if (mlf_parse_c(&m, "default_lib2.c", (const char *)data, size, &eb) == 0 &&
        mlf_link(&m, &eb) == 0 &&
        map_build(&mp, have_model ? &g : NULL, &m, NULL, &eb) == 0) {
        struct offload_options opt = {5};
        if (offload_analyse(&r, have_model ? &g : NULL, &mp, &opt, &eb) == 0)
            offload_release(&r);
        map_release(&mp);
    }
    graph_release(&g);
    mlf_release(&m);
    return 0;
}
