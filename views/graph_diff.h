/*
 * Diff verdicts on a graph picture (graph --diff REPORT.json): each layer box takes the status
 * of the report layer with its name, the first divergence is marked, and the view is
 * restyled by status. The view model stays free of graphviz and of the diff internals.
 */
#ifndef MLFSCOPE_VIEWS_GRAPH_DIFF_H
#define MLFSCOPE_VIEWS_GRAPH_DIFF_H

#include <stddef.h>

#include "diff.h"
#include "errbuf.h"
#include "graph.h"
#include "graphview.h"

/*
 * Sets box->status (a static string) for every layer or node box whose layer name, output
 * tensor name or node name appears in `dv`, marks the box of dv->first_diverged, then calls
 * graphview_style(v, GRAPHVIEW_COLOUR_STATUS). Boxes the report does not name stay "not compared".
 * `g` is the graph the view was built from. Writes how many boxes matched to *n_matched
 * (may be NULL). Returns 0 or ST_ENOMEM.
 */
int graphview_apply_diff(struct graphview *v, const struct graph *g, const struct diff_verdicts *dv,
                    size_t *n_matched, struct errbuf *eb);

#endif
