/*
 * Fuzz target: metadata.json (v5/v7/other) and the graph executor JSON readers.
 * Any bytes must give 0 or an error, never a crash or a leak.
 */
#include "fuzz.h"

#include "../../src/mlf.h"

FUZZ_TARGET(mlf_metadata)
{
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    mlf_init(&m);
    if (mlf_parse_metadata(&m, "metadata.json", (const char *)data, size, &eb) == 0)
        mlf_link(&m, &eb);
    mlf_release(&m);
    errbuf_init(&eb);
    mlf_init(&m);
    if (mlf_parse_graph_json(&m, "default.graph", (const char *)data, size, &eb) == 0)
        mlf_link(&m, &eb);
    mlf_release(&m);
    return 0;
}
