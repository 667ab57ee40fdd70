/*
 * MLF annotations of a graph picture: one cluster per MLF partition (the function a step
 * calls), boxes coloured by the target the map found (cmsis-nn, c, folded dashed), hazards
 * marked in red with a note line. Works on a layer view built by graphview_build().
 *
 * Lifetime: strings are copied into the view's arena; g, mp and r are only read.
 */
#ifndef MLFSCOPE_VIEWS_GRAPHVIEW_MLF_H
#define MLFSCOPE_VIEWS_GRAPHVIEW_MLF_H

#include "errbuf.h"
#include "graph.h"
#include "map.h"
#include "offload.h"
#include "views/graphview.h"

/*
 * Annotates v (built from g) with mp's targets and partitions and r's hazards (r may be
 * NULL), then restyles it coloured by target (legend with counts per target). Returns 0 or
 * ST_ENOMEM (v then keeps whatever annotations were made).
 */
int graphview_annotate_mlf(struct graphview *v, const struct graph *g, const struct map *mp,
                      const struct offload_report *r, struct errbuf *eb);

#endif
