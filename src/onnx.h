/*
 * The ONNX loader: reads a ModelProto (protobuf-c, schema subset in src/onnx.proto) into a
 * struct graph, and ONNX TensorProto `.pb` files (the backend tests' input_N.pb) into a
 * tensor_value. protobuf-c types never leave src/onnx*.c.
 *
 * Lifetime: everything a loaded graph points to lives in its arena or in the mapped model
 * file (g->file); both go away with graph_release().
 */
#ifndef MLFSCOPE_ONNX_H
#define MLFSCOPE_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "graph.h"

/*
 * Loads the ONNX model at `path` into `g` (freshly graph_init'ed): opsets, producer, inputs,
 * outputs, value_info, initializers (raw_data points into the mapped file when aligned for
 * its dtype, otherwise it is copied into the arena; typed fields are converted; external
 * data is read from files inside the model's folder), nodes and attributes. Constant nodes
 * become constant tensors. Applies opts' input shapes (may be NULL), orders the graph
 * (graph_finish) and propagates static shapes (onnx_shape_infer). Does not form layers.
 * On failure returns ST_EIO/ST_EPARSE/ST_ENOMEM/... with a message naming the file; the
 * graph then holds partial contents and must still be released with graph_release().
 */
int onnx_load(struct graph *g, const char *path, const struct load_options *opts,
              struct errbuf *eb);

/*
 * Like onnx_load, from bytes in memory (copied; the caller keeps `data`). `name` is used in
 * messages and as g->path. External data is refused (there is no folder to read it from).
 */
int onnx_load_buffer(struct graph *g, const char *name, const void *data, size_t bytes,
                     const struct load_options *opts, struct errbuf *eb);

/*
 * Reads one TensorProto file (input_0.pb, output_0.pb) into *out: dtype, dims and the data
 * as little-endian row-major bytes. out->data is a heap buffer the caller owns (mem_free);
 * it is non-NULL even for zero elements. On failure *out is untouched.
 */
int onnx_read_tensor_pb(const char *path, struct tensor_value *out, struct errbuf *eb);

/*
 * Static shape propagation over a finished ONNX graph (topological order): fills rank,
 * dims and dtype of node outputs from their inputs for the ops the interpreter supports;
 * outputs of other ops keep what value_info said. Shape-like inputs (Reshape shape, Slice
 * starts, Pad pads, Resize scales/sizes, axes) must be constants (initializers or Constant
 * outputs); otherwise the output stays unknown. Fails (naming the node) on inputs whose
 * shapes cannot go together (e.g. Concat ranks, MatMul inner dims) or on an element count
 * that overflows.
 */
int onnx_shape_infer(struct graph *g, struct errbuf *eb);

#endif
