/*
 * What the later stages know about each layer, put into a struct tui_table for the TUI: the
 * MLF layer map and offload report (target, kernel, the mlf/offload/hazards sections of the
 * details pane) and a diff report (verdict, board tensor, the diff section).
 *
 * Lifetime: the table copies every string and tensor it is given, so the map, report and
 * traces may be released after a fill.
 */
#ifndef MLFSCOPE_TUI_DATA_H
#define MLFSCOPE_TUI_DATA_H

#include "diff.h"
#include "errbuf.h"
#include "graph.h"
#include "map.h"
#include "offload.h"
#include "trace.h"
#include "tui_table.h"

/*
 * Fills each layer's placement (cmsis-nn, c, folded; kernel or function) and its mlf
 * (status, step, function, kernel, parameters, multipliers and shifts per channel, output
 * buffer), offload (predicted target, failed rules with fixes) and hazards sections from
 * the map mp of g and the offload report rep (may be NULL). Returns 0 or ST_ENOMEM.
 */
int tui_data_fill_mlf(struct tui_table *tb, const struct graph *g, const struct map *mp,
                      const struct offload_report *rep, struct errbuf *eb);

/*
 * Fills each compared layer's verdict, its board tensor (from `board`, the trace the
 * report compared) and the diff section (metrics, first difference, hints). Report layers
 * that name no model layer are skipped. Returns 0 or ST_ENOMEM.
 */
int tui_data_fill_diff(struct tui_table *tb, const struct graph *g, const struct diff_report *rep,
                       const struct trace *board, struct errbuf *eb);

/* The model layer a report layer stands for (by tensor name, then layer name), or -1. */
long tui_data_layer_of(const struct graph *g, const struct diff_layer *dl);

#endif
