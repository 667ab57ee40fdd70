/*
 * The view model of a graph picture: which boxes, labels, colours, clusters and edges to
 * draw, computed from a struct graph without any graphviz type. views/gv.c turns it into
 * DOT/SVG/PNG/PDF. Later stages annotate boxes (MLF target, partition cluster, diff status,
 * marks) between graphview_build() and graphview_style(), so the renderer needs no change for them.
 *
 * Lifetime: a struct graphview owns one arena holding every string and array reached from
 * it; graphview_release() frees it all. Names copied from the model are copies, so the view
 * outlives nothing (the graph may be released first).
 */
#ifndef MLFSCOPE_GRAPHVIEW_H
#define MLFSCOPE_GRAPHVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "errbuf.h"
#include "graph.h"

enum graphview_mode {
    GRAPHVIEW_LAYERS,            /* one box per layer (default) */
    GRAPHVIEW_NODES,             /* one box per model node */
};

/* What the fill colour means; the legend lists the classes that occur. */
enum graphview_colour_by {
    GRAPHVIEW_COLOUR_KIND,       /* layer kind: qoperator, qdq, tflite, float */
    GRAPHVIEW_COLOUR_TARGET,     /* box target: cmsis-nn, c, folded (dashed), none */
    GRAPHVIEW_COLOUR_STATUS,     /* diff status: exact, rounding, inherited, diverged, missing */
};

struct graphview_options {
    enum graphview_mode mode;
    bool show_constants;    /* constants as small boxes with an edge to their consumer */
    enum graphview_colour_by colour_by;
    const char *title;      /* graph label, or NULL for none; copied */
};

enum graphview_box_kind {
    GRAPHVIEW_BOX_LAYER,         /* a layer (layer view) */
    GRAPHVIEW_BOX_NODE,          /* a model node (node view) */
    GRAPHVIEW_BOX_CONST,         /* a constant tensor, one box per consumer (--constants) */
    GRAPHVIEW_BOX_INPUT,         /* a graph input */
    GRAPHVIEW_BOX_OUTPUT,        /* a graph output */
};

struct graphview_box {
    const char *id;         /* unique picture id ("L3", "N7", "C2", "I0", "O0") */
    const char *name;       /* the model's layer, node or tensor name (tooltip) */
    const char *label;      /* display text, lines separated by '\n' (raw, not escaped) */
    enum graphview_box_kind kind;
    int layer;              /* layer index or -1 */
    int node;               /* node index (main node for a layer) or -1 */
    int tensor;             /* tensor index for const/input/output boxes, else -1 */
    int layer_kind;         /* enum layer_kind, or -1 (constants, I/O, layer-less nodes) */
    /* Annotations: filled by later stages before graphview_style(); empty today. */
    const char *target;     /* "cmsis-nn", "c", "folded" or NULL (not known) */
    int cluster;            /* index into graphview.clusters, or -1 */
    const char *status;     /* diff verdict ("exact", "diverged", ...) or NULL */
    bool marked;            /* emphasised: first divergence, hazard */
    const char *note;       /* extra label line (hazard text, kernel), or NULL */
    /* Style: set by graphview_style(). Colours are "#rrggbb". */
    const char *fill;
    const char *border;
    bool dashed;
    bool small;             /* drawn small (constants, I/O) */
};

struct graphview_edge {
    int from, to;           /* box indices */
    int tensor;             /* the tensor carried */
    const char *label;      /* shape (layer view) or "name\nshape" (node view) */
};

struct graphview_cluster {
    const char *id;         /* unique, e.g. "p0" (the renderer adds "cluster_") */
    const char *label;      /* "tvmgen_default_cmsis_nn_main_0" */
    const char *fill;       /* background colour or NULL */
    bool dashed;
};

struct graphview_legend {
    const char *label;      /* "qdq", "cmsis-nn", "diverged" */
    const char *fill;
    const char *border;
    bool dashed;
    size_t count;           /* boxes of this class */
};

struct graphview {
    struct arena arena;     /* owns every string and array below */
    const char *title;      /* or NULL */
    const char *legend_title;   /* "layer kind", "target", "status" */
    size_t n_boxes;
    struct graphview_box *boxes;     /* [n_boxes], in model order: the picture's insertion order */
    size_t n_edges;
    struct graphview_edge *edges;    /* [n_edges], in consumer order */
    size_t n_clusters;
    struct graphview_cluster *clusters;
    size_t n_legend;
    struct graphview_legend *legend;   /* [n_legend], classes with count > 0 */
};

/* Makes an empty view (allocates nothing). */
void graphview_init(struct graphview *v);

/* Frees everything the view owns; v is empty afterwards. Safe on an initialised view. */
void graphview_release(struct graphview *v);

/*
 * Builds the boxes and edges for g under opt, then styles them (graphview_style with
 * opt->colour_by). A layer view of a graph without layers falls back to the node view.
 * On failure (ST_ENOMEM) v is left empty and eb set.
 */
int graphview_build(struct graphview *v, const struct graph *g, const struct graphview_options *opt,
               struct errbuf *eb);

/*
 * Adds a cluster (e.g. one MLF partition) and returns its index, or a negative status.
 * Strings are copied. Assign boxes to it through graphview_box.cluster, then call graphview_style.
 */
int graphview_add_cluster(struct graphview *v, const char *label, const char *fill, bool dashed,
                     struct errbuf *eb);

/* Index of the box drawing layer `layer`, or -1. */
int graphview_box_of_layer(const struct graphview *v, int layer);

/*
 * Recomputes every box's fill/border/dashed and the legend from the annotations, colouring
 * by `by`. Marked boxes get a red border. Returns 0 or ST_ENOMEM.
 */
int graphview_style(struct graphview *v, enum graphview_colour_by by, struct errbuf *eb);

/* Counts of boxes by kind, e.g. for checks: boxes of kind k. */
size_t graphview_count(const struct graphview *v, enum graphview_box_kind k);

#endif
