/*
 * Fuzz target for the ONNX loader: any bytes through onnx_load_buffer (protobuf-c, graph
 * building, ordering, shape propagation) and layer forming. Must never crash or leak.
 */
#include "fuzz.h"

#include "../../src/errbuf.h"
#include "../../src/graph.h"
#include "../../src/layers.h"
#include "../../src/onnx.h"

FUZZ_TARGET(onnx)
{
    struct graph g;
    struct errbuf eb;
    graph_init(&g);
    errbuf_init(&eb);
    if (onnx_load_buffer(&g, "fuzz.onnx", data, size, NULL, &eb) == 0)
        layers_form(&g, &eb);
    graph_release(&g);
    return 0;
}
