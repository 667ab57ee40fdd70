/*
 * graph --diff: copies verdicts from a diff report onto the picture's boxes.
 */
#include "graph_diff.h"

#include <string.h>

#include "banned.h"

/* Index of the verdict naming `name`, or -1 (model layer names first, then entry names). */
static long verdict_of(const struct diff_verdicts *dv, const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < dv->n; i++)
        if (strcmp(dv->names[i], name) == 0)
            return (long)i;
    for (size_t i = 0; i < dv->n; i++)
        if (strcmp(dv->entry_names[i], name) == 0)
            return (long)i;
    return -1;
}

/* The names a box may go by in a report: its own, its layer's, its outputs'. */
static long box_verdict(const struct graphview_box *bx, const struct graph *g,
                        const struct diff_verdicts *dv, const char **matched)
{
    long k = verdict_of(dv, bx->name);
    *matched = bx->name;
    if (k >= 0 || g == NULL)
        return k;
    const int *outs = NULL;
    size_t n_outs = 0;
    if (bx->layer >= 0 && (size_t)bx->layer < g->n_layers) {
        outs = g->layers[bx->layer].outputs;
        n_outs = g->layers[bx->layer].n_outputs;
    } else if (bx->node >= 0 && (size_t)bx->node < g->n_nodes) {
        outs = g->nodes[bx->node].outputs;
        n_outs = g->nodes[bx->node].n_outputs;
    }
    for (size_t i = 0; i < n_outs && k < 0; i++)
        if (outs[i] >= 0) {
            *matched = g->tensors[outs[i]].name;
            k = verdict_of(dv, *matched);
        }
    return k;
}

int graphview_apply_diff(struct graphview *v, const struct graph *g, const struct diff_verdicts *dv,
                    size_t *n_matched, struct errbuf *eb)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_boxes; i++) {
        struct graphview_box *bx = &v->boxes[i];
        if (bx->kind != GRAPHVIEW_BOX_LAYER && bx->kind != GRAPHVIEW_BOX_NODE)
            continue;
        const char *matched = NULL;
        long k = box_verdict(bx, g, dv, &matched);
        if (k < 0)
            continue;
        bx->status = diff_status_name(dv->status[k]);
        bx->marked = dv->first_diverged != NULL &&
                     (strcmp(dv->first_diverged, dv->entry_names[k]) == 0 ||
                      strcmp(dv->first_diverged, dv->names[k]) == 0);
        n++;
    }
    int rc = graphview_style(v, GRAPHVIEW_COLOUR_STATUS, eb);
    if (rc)
        return rc;
    if (n_matched)
        *n_matched = n;
    return 0;
}
