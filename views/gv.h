/*
 * Drawing a view model (views/graphview.h) with graphviz: cgraph builds the picture, gvc
 * lays it out with dot and renders DOT, SVG, PNG or PDF. The only file that sees a
 * graphviz type. Output is deterministic: the same view gives the same bytes.
 */
#ifndef MLFSCOPE_VIEWS_GV_H
#define MLFSCOPE_VIEWS_GV_H

#include <stddef.h>

#include "errbuf.h"
#include "graphview.h"

/* X(enum, graphviz format name = file suffix without the dot) */
#define GV_FORMAT_LIST(X) \
    X(GV_DOT, "dot")      \
    X(GV_SVG, "svg")      \
    X(GV_PNG, "png")      \
    X(GV_PDF, "pdf")

enum gv_format {
#define GV_FORMAT_ENUM(e, name) e,
    GV_FORMAT_LIST(GV_FORMAT_ENUM)
#undef GV_FORMAT_ENUM
    GV_FORMAT_COUNT
};

/* "svg" for GV_SVG; "unknown" for anything else. */
const char *gv_format_name(enum gv_format f);

/*
 * The format named by path's suffix (".dot", ".gv", ".svg", ".png", ".pdf", any case).
 * Returns 0 and sets *out, or ST_EINVAL (eb names the suffix and the accepted ones).
 */
int gv_format_from_path(const char *path, enum gv_format *out, struct errbuf *eb);

/*
 * Lays v out with dot and renders it in format f into a heap buffer: *out (caller frees
 * with mem_free; NUL-terminated for convenience, the NUL not counted in *out_bytes).
 * Out-parameters are written only on success. A graphviz failure gives ST_EUNSUPPORTED
 * with graphviz's own message and the likely cause (plugins not configured: `dot -c`).
 * Graphviz aborts the process itself when its own allocations fail.
 */
int gv_render_data(const struct graphview *v, enum gv_format f, char **out, size_t *out_bytes,
                   struct errbuf *eb);

/* gv_render_data, then writes the bytes to path (created or truncated). */
int gv_render_file(const struct graphview *v, enum gv_format f, const char *path,
                   struct errbuf *eb);

#endif
