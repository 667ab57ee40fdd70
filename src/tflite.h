/*
 * tflite: loads a TFLite flatbuffer (schema version 3, identifier "TFL3") into a struct graph.
 * Subgraph 0 becomes the graph: tensors (with quantization; constant data points into the
 * mapped file, no copy), operators as nodes in domain "tflite" named by the builtin op
 * ("CONV_2D") with their builtin options as attributes named as in the schema, and one
 * LAYER_TFLITE layer per operator. Unknown or custom operators are kept and noted in
 * g->warnings; malformed files fail with ST_EPARSE naming the file and the byte offset.
 */
#ifndef MLFSCOPE_TFLITE_H
#define MLFSCOPE_TFLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "graph.h"

/*
 * Loads the model at path into g, which must be freshly initialised (graph_init). On success
 * g owns the mapped file and everything else (release with graph_release); g->format is
 * GRAPH_FORMAT_TFLITE, g->ir_version the schema version, g->producer the description.
 * opts may be NULL; its shapes override the dimensions of graph inputs.
 * On failure returns a negative ST_* (eb set) and leaves g untouched.
 */
int tflite_load(struct graph *g, const char *path, const struct load_options *opts,
                struct errbuf *eb);

/*
 * As tflite_load, from memory: the bytes are copied (the graph owns the copy), and `name`
 * (borrowed for the call, copied into the graph) stands for the path in messages.
 */
int tflite_load_buffer(struct graph *g, const uint8_t *data, size_t bytes, const char *name,
                       const struct load_options *opts, struct errbuf *eb);

/* True when the buffer looks like a TFLite model: at least 8 bytes, "TFL3" at offset 4. */
bool tflite_is_model(const uint8_t *data, size_t bytes);

/* The schema's name for builtin operator code (e.g. 3 -> "CONV_2D"), or NULL if unknown. */
const char *tflite_builtin_name(int32_t code);

#endif
