/*
 * Graphs for exercising the TUI without a model file: a generated int8 network of any
 * size (benchmarks, the end-to-end test, `mlfscope tui --synthetic N`), and simple layer
 * forming (one layer per computing node) for hand-built graphs.
 * Everything lands in the graph's arena; graph_release frees it.
 */
#ifndef MLFSCOPE_TUI_SYNTH_H
#define MLFSCOPE_TUI_SYNTH_H

#include <stddef.h>

#include "errbuf.h"
#include "graph.h"

/*
 * Forms layers on a finished graph: one LAYER_TFLITE layer per node that is not a Constant,
 * named after its first output; inputs list activations first, then constants. Sets
 * node.layer. Returns 0 or ST_ENOMEM (g->layers untouched on failure).
 */
int tui_synth_layers(struct graph *g, struct errbuf *eb);

/*
 * Builds (into an initialised, empty g) a chain of n_layers int8 layers on a 1x16x16x8
 * input: convolutions with per-channel quantized 8x3x3x8 weights and int32 bias, depthwise
 * convolutions, and every fourth layer an ADD with a skip connection. Deterministic.
 * Returns 0 or a negative status (g then holds a partial graph; release it).
 */
int tui_synth_graph(struct graph *g, size_t n_layers, struct errbuf *eb);

#endif
