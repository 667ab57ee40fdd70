/*
 * Layers of an ONNX graph: the units a user and a board log think in. A QOperator node
 * (QLinearConv, com.microsoft QLinearAdd, ConvInteger...) is one layer; a QDQ group
 * (DequantizeLinear inputs -> one compute node -> optional Relu/Clip -> QuantizeLinear) is
 * one layer; every other node is a float layer of its own. Also sets each tensor's
 * quantization parameters from the Q/DQ and QLinear scale / zero point inputs.
 *
 * Lifetime: layers and quantization arrays live in the graph's arena.
 */
#ifndef MLFSCOPE_LAYERS_H
#define MLFSCOPE_LAYERS_H

#include "errbuf.h"
#include "graph.h"

/*
 * Forms g->layers (topological order) for a finished ONNX graph, sets node->layer for every
 * node, tensor.quant where constant scales/zero points say so, and each layer's MACs.
 * Replaces any earlier layers. Returns 0, or ST_ENOMEM / ST_EPARSE (bad scale or zero-point
 * constants, naming the node) with eb set.
 */
int layers_form(struct graph *g, struct errbuf *eb);

/*
 * The model's quantization format from its layers: "qdq", "qoperator", "mixed" (both) or
 * "float" (neither); for TFLite models "tflite-int8" (or -uint8, -int16: the dtype of the
 * first quantized layer output) or "float". A static string.
 */
const char *layers_quant_format(const struct graph *g);

#endif
