/*
 * MLF annotations of a graph picture: partitions as clusters, targets as colours, folded
 * layers dashed, hazards marked. Only the view model is touched; views/gv.c draws it.
 */
#include "views/graphview_mlf.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

static const char *cluster_fill(const char *target)
{
    if (strcmp(target, "cmsis-nn") == 0)
        return "#eef9ee";
    if (strcmp(target, "c") == 0)
        return "#fff5e8";
    return "#f5f0fc";
}

int graphview_annotate_mlf(struct graphview *v, const struct graph *g, const struct map *mp,
                      const struct offload_report *r, struct errbuf *eb)
{
    const struct mlf *m = mp->m;
    int *cluster_of_step = NULL;
    if (m->n_steps > 0) {
        cluster_of_step = arena_array(&v->arena, m->n_steps, sizeof *cluster_of_step);
        if (cluster_of_step == NULL)
            return errbuf_set(eb, ST_ENOMEM, "graph view: out of memory");
        for (size_t i = 0; i < m->n_steps; i++)
            cluster_of_step[i] = -1;
    }
    for (size_t li = 0; li < mp->n_layers && li < g->n_layers; li++) {
        int bi = graphview_box_of_layer(v, (int)li);
        if (bi < 0)
            continue;
        struct graphview_box *bx = &v->boxes[bi];
        const struct map_layer *ml = &mp->layers[li];
        bx->target = ml->target ? ml->target : NULL;
        if (ml->step < 0 || (ml->status != MAP_STEP && ml->status != MAP_FUSED))
            continue;
        int *cl = &cluster_of_step[ml->step];
        if (*cl < 0) {
            char label[320];
            snprintf(label, sizeof label, "step %d: %s (%s)", ml->step, ml->function,
                     ml->target ? ml->target : "?");
            *cl = graphview_add_cluster(v, label, cluster_fill(ml->target ? ml->target : ""), false,
                                   eb);
            if (*cl < 0)
                return *cl;
        }
        bx->cluster = *cl;
        if (ml->params.kernel != NULL)
            bx->note = arena_strdup(&v->arena, ml->params.kernel->name);
    }
    for (size_t i = 0; r != NULL && i < r->n_hazards; i++) {
        const struct offload_hazard *h = &r->hazards[i];
        int bi = h->layer >= 0 ? graphview_box_of_layer(v, h->layer) : -1;
        if (bi < 0)
            continue;
        struct graphview_box *bx = &v->boxes[bi];
        bx->marked = true;
        char note[160];
        if (h->n_channels > 0)
            snprintf(note, sizeof note, "hazard: %s (%zu channel%s)",
                     offload_hazard_name(h->kind), h->n_channels, h->n_channels == 1 ? "" : "s");
        else
            snprintf(note, sizeof note, "hazard: %s", offload_hazard_name(h->kind));
        bx->note = arena_strdup(&v->arena, note);
        if (bx->note == NULL)
            return errbuf_set(eb, ST_ENOMEM, "graph view: out of memory");
    }
    return graphview_style(v, GRAPHVIEW_COLOUR_TARGET, eb);
}
