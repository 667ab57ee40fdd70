/*
 * model: format detection and the one call commands use to get a finished graph.
 */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "layers.h"
#include "onnx.h"
#include "tflite.h"
#include "banned.h"

enum model_format model_sniff(const char *path, const unsigned char *bytes, size_t n_bytes)
{
    if (n_bytes >= 8 && memcmp(bytes + 4, "TFL3", 4) == 0)
        return MODEL_FORMAT_TFLITE;
    /* A .tflite without the identifier goes to the TFLite loader, which says what it found. */
    if (fileio_has_suffix(path, ".tflite"))
        return MODEL_FORMAT_TFLITE;
    if (fileio_has_suffix(path, ".onnx"))
        return MODEL_FORMAT_ONNX;
    /*
     * ModelProto writers put ir_version (field 1, varint: 0x08) first; others may start with
     * producer_name (0x12), producer_version (0x1a), domain (0x22), model_version (0x28),
     * doc_string (0x32), graph (0x3a) or opset_import (0x42).
     */
    if (n_bytes >= 2) {
        static const unsigned char tags[] = {0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42};
        if (memchr(tags, bytes[0], sizeof tags) != NULL)
            return MODEL_FORMAT_ONNX;
    }
    return MODEL_FORMAT_UNKNOWN;
}

int model_load(struct graph *g, const char *path, const struct load_options *opts,
               struct errbuf *eb)
{
    unsigned char head[8] = {0};
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    int rc;

    if (fileio_is_dir(path))
        return errbuf_set(eb, ST_EIO, "%s: is a folder, expected a model file", path);
    if (f == NULL)
        return errbuf_set(eb, ST_EIO, "%s: cannot open: %s", path, strerror(errno));
    n = fread(head, 1, sizeof head, f);
    fclose(f);
    switch (model_sniff(path, head, n)) {
    case MODEL_FORMAT_ONNX:
        rc = onnx_load(g, path, opts, eb);
        break;
    case MODEL_FORMAT_TFLITE:
        /* tflite_load forms its layers itself: one TFLite operator is one layer. */
        return tflite_load(g, path, opts, eb);
    default:
        return errbuf_set(eb, ST_EPARSE,
                          "%s: unknown model format (expected ONNX, or TFLite with \"TFL3\" at "
                          "bytes 4..7)",
                          path);
    }
    if (rc == 0)
        rc = layers_form(g, eb);
    return rc;
}
