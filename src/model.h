/*
 * Model loading by format: looks at a file's first bytes (and name), calls the matching
 * loader (ONNX now; TFLite files carry "TFL3" at bytes 4..7) and forms layers, so that
 * commands get a finished graph from one call.
 *
 * Lifetime: as for the loaders; release the graph with graph_release().
 */
#ifndef MLFSCOPE_MODEL_H
#define MLFSCOPE_MODEL_H

#include "errbuf.h"
#include "graph.h"

/* What a file looks like from its first bytes and its name. */
enum model_format { MODEL_FORMAT_UNKNOWN, MODEL_FORMAT_ONNX, MODEL_FORMAT_TFLITE };

/*
 * The format of `bytes` (the file's start, at least 8 bytes when available) named `path`:
 * TFLite when bytes 4..7 are "TFL3" or the name ends in ".tflite"; ONNX when the name ends in ".onnx" or the first byte is
 * a ModelProto field tag; otherwise unknown.
 */
enum model_format model_sniff(const char *path, const unsigned char *bytes, size_t n_bytes);

/*
 * Loads the model at `path` into g (graph_init'ed by the caller), with opts' input shapes
 * (may be NULL), and forms its layers. An unrecognised file gives ST_EPARSE
 * "PATH: unknown model format ...". On failure g must still be released with
 * graph_release().
 */
int model_load(struct graph *g, const char *path, const struct load_options *opts,
               struct errbuf *eb);

#endif
