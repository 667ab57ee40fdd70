/*
 * The MLF map, offload report and diff report as TUI table rows (see tui_data.h). Each
 * section is built in an sbuf and handed to the table in one piece, so a reader on the UI
 * thread never sees half a section.
 */
#include "tui_data.h"

#include <math.h>
#include <string.h>

#include "sbuf.h"
#include "banned.h"

/* Channels of multipliers/shifts listed before "... N more". */
#define TUI_DATA_MAX_CHANNELS 64

static int oom(struct errbuf *eb)
{
    return errbuf_set(eb, ST_ENOMEM, "tui: out of memory filling the layer table");
}

static int flush(struct tui_table *tb, size_t layer, enum tui_section sec, struct sbuf *sb,
                 struct errbuf *eb)
{
    int rc = 0;
    if (sbuf_failed(sb))
        rc = oom(eb);
    else if (sb->len > 0)
        rc = tui_table_add_section(tb, layer, sec, sbuf_str(sb), eb);
    sbuf_reset(sb);
    return rc;
}

static enum tui_target target_of(const struct map_layer *ml)
{
    if (ml->status == MAP_FOLDED || ml->status == MAP_FUSED)
        return TUI_TARGET_FOLDED;
    if (ml->target != NULL && strcmp(ml->target, "cmsis-nn") == 0)
        return TUI_TARGET_CMSIS;
    if (ml->target != NULL && strcmp(ml->target, "c") == 0)
        return TUI_TARGET_C;
    return TUI_TARGET_UNKNOWN;     /* another BYOC target: shown by name, uncoloured */
}

static void mlf_lines(const struct graph *g, const struct map *mp, size_t i, struct sbuf *sb)
{
    const struct map_layer *ml = &mp->layers[i];
    const struct mlf_kernel *k = ml->params.kernel;
    sbuf_printf(sb, "status    %s (%s)\n", map_status_name(ml->status), map_how_name(ml->how));
    if (ml->status == MAP_FUSED && ml->fused_into >= 0 && (size_t)ml->fused_into < g->n_layers)
        sbuf_printf(sb, "fused in  layer %d %s\n", ml->fused_into, g->layers[ml->fused_into].name);
    if (ml->step >= 0)
        sbuf_printf(sb, "step      %d\n", ml->step);
    if (ml->function != NULL)
        sbuf_printf(sb, "function  %s\n", ml->function);
    if (ml->target != NULL)
        sbuf_printf(sb, "target    %s\n", ml->target);
    if (k != NULL) {
        sbuf_printf(sb, "kernel    %s\n", k->name);
        switch (k->kind) {
        case MLF_K_CONV:
        case MLF_K_DWCONV:
        case MLF_K_FC:
            sbuf_printf(sb, "offsets   input %d  filter %d  output %d\n", k->input_offset,
                        k->filter_offset, k->output_offset);
            break;
        default:
            break;
        }
        sbuf_printf(sb, "act       %d..%d\n", k->act_min, k->act_max);
    }
    if (ml->out.bytes > 0 || ml->out.kind != MLF_ARG_UNKNOWN) {
        sbuf_printf(sb, "output    %s", mlf_arg_kind_name(ml->out.kind));
        if (ml->out.pool >= 0)
            sbuf_printf(sb, " pool %d +%zu", ml->out.pool, ml->out.offset);
        if (ml->out.bytes > 0)
            sbuf_printf(sb, ", %zu bytes", ml->out.bytes);
        if (ml->out.var != NULL)
            sbuf_printf(sb, " (%s)", ml->out.var);
        sbuf_addc(sb, '\n');
    }
    if (ml->note != NULL)
        sbuf_printf(sb, "note      %s\n", ml->note);
    const struct map_params *p = &ml->params;
    if (p->n_quant > 0 && p->mult != NULL && p->shift != NULL) {
        sbuf_printf(sb, "requant   %zu multiplier%s / shift%s (from the MLF)\n", p->n_quant,
                    p->n_quant == 1 ? "" : "s", p->n_quant == 1 ? "" : "s");
        size_t n = p->n_quant < TUI_DATA_MAX_CHANNELS ? p->n_quant : TUI_DATA_MAX_CHANNELS;
        for (size_t c = 0; c < n; c++)
            sbuf_printf(sb, "  [%zu] mult %d shift %d\n", c, p->mult[c], p->shift[c]);
        if (n < p->n_quant)
            sbuf_printf(sb, "  ... %zu more\n", p->n_quant - n);
    }
}

static void offload_lines(const struct offload_row *row, struct sbuf *sb)
{
    if (row->predicted != NULL)
        sbuf_printf(sb, "predicted %s\n", row->predicted);
    if (row->target != NULL)
        sbuf_printf(sb, "actual    %s\n", row->target);
    if (row->macs > 0)
        sbuf_printf(sb, "MACs      %lld\n", (long long)row->macs);
    for (size_t r = 0; r < row->n_reasons; r++) {
        const struct offload_reason *re = &row->reasons[r];
        sbuf_printf(sb, "  [%s] %s", offload_rule_id(re->rule), offload_rule_text(re->rule));
        if (re->detail != NULL)
            sbuf_printf(sb, " (%s)", re->detail);
        sbuf_printf(sb, "\n      fix: %s\n", offload_rule_fix(re->rule));
    }
}

int tui_data_fill_mlf(struct tui_table *tb, const struct graph *g, const struct map *mp,
                      const struct offload_report *rep, struct errbuf *eb)
{
    struct sbuf sb;
    int rc = 0;
    sbuf_init(&sb);
    for (size_t i = 0; i < g->n_layers && i < mp->n_layers && rc == 0; i++) {
        const struct map_layer *ml = &mp->layers[i];
        if (ml->status != MAP_MISSING) {
            const char *name = ml->status == MAP_FOLDED ? "folded"
                               : ml->status == MAP_FUSED ? "fused"
                               : ml->target ? ml->target : "?";
            const char *kernel = ml->params.kernel ? ml->params.kernel->name : ml->function;
            rc = tui_table_set_place(tb, i, target_of(ml), name, kernel, eb);
        }
        if (rc == 0) {
            mlf_lines(g, mp, i, &sb);
            rc = flush(tb, i, TUI_SECTION_MLF, &sb, eb);
        }
    }
    for (size_t r = 0; rep != NULL && r < rep->n_rows && rc == 0; r++) {
        const struct offload_row *row = &rep->rows[r];
        if (row->layer < 0 || (size_t)row->layer >= g->n_layers)
            continue;
        offload_lines(row, &sb);
        rc = flush(tb, (size_t)row->layer, TUI_SECTION_OFFLOAD, &sb, eb);
    }
    for (size_t h = 0; rep != NULL && h < rep->n_hazards && rc == 0; h++) {
        const struct offload_hazard *hz = &rep->hazards[h];
        if (hz->layer < 0 || (size_t)hz->layer >= g->n_layers)
            continue;
        sbuf_printf(&sb, "  [%s] %s\n", offload_hazard_name(hz->kind),
                    hz->detail ? hz->detail : "");
        if (hz->n_channels > 0) {
            sbuf_add(&sb, "      channels");
            for (size_t c = 0; c < hz->n_channels && c < TUI_DATA_MAX_CHANNELS; c++)
                sbuf_printf(&sb, " %d", hz->channels[c]);
            sbuf_addc(&sb, '\n');
        }
        rc = flush(tb, (size_t)hz->layer, TUI_SECTION_HAZARDS, &sb, eb);
    }
    sbuf_release(&sb);
    return rc;
}

long tui_data_layer_of(const struct graph *g, const struct diff_layer *dl)
{
    int ti = dl->name ? graph_find_tensor(g, dl->name) : -1;
    if (ti >= 0) {
        int p = g->tensors[ti].producer;
        if (p >= 0 && g->nodes[p].layer >= 0)
            return g->nodes[p].layer;
    }
    for (size_t i = 0; dl->layer != NULL && i < g->n_layers; i++)
        if (strcmp(g->layers[i].name, dl->layer) == 0)
            return (long)i;
    return -1;
}

static enum tui_status status_of(enum diff_status s)
{
    switch (s) {
    case DIFF_EXACT: return TUI_STATUS_EXACT;
    case DIFF_ROUNDING: return TUI_STATUS_ROUNDING;
    case DIFF_INHERITED: return TUI_STATUS_INHERITED;
    case DIFF_DIVERGED: return TUI_STATUS_DIVERGED;
    case DIFF_MISSING: return TUI_STATUS_MISSING;
    case DIFF_CORRUPT: return TUI_STATUS_CORRUPT;
    default: return TUI_STATUS_NONE;
    }
}

static void diff_lines(const struct diff_report *rep, const struct diff_layer *dl, size_t di,
                       struct sbuf *sb)
{
    sbuf_printf(sb, "verdict   %s%s%s\n", diff_status_name(dl->status),
                dl->reran ? " (layer re-run on the board's input)" : "",
                rep->first_diverged == (long)di ? ", the first divergence" : "");
    if (dl->board_name != NULL && strcmp(dl->board_name, dl->name) != 0)
        sbuf_printf(sb, "board     %s\n", dl->board_name);
    if (dl->compared) {
        sbuf_printf(sb, "exact     %.1f%% of %zu\n", dl->exact_pct, dl->n_elems);
        sbuf_printf(sb, "within 1  %.1f%%\n", dl->within1_pct);
        sbuf_printf(sb, "max |d|   %.0f LSB\n", dl->max_abs);
        sbuf_printf(sb, "mean |d|  %.3g LSB\n", dl->mean_abs);
        if (!isnan(dl->cosine))
            sbuf_printf(sb, "cosine    %.6f\n", dl->cosine);
        if (isinf(dl->snr_db))
            sbuf_add(sb, "SNR       inf\n");
        else if (!isnan(dl->snr_db))
            sbuf_printf(sb, "SNR       %.1f dB\n", dl->snr_db);
    }
    if (dl->has_first_diff) {
        sbuf_add(sb, "first     [");
        for (int r = 0; r < dl->first_rank; r++)
            sbuf_printf(sb, "%s%lld", r ? "," : "", (long long)dl->first_coord[r]);
        sbuf_printf(sb, "] ref %.6g board %.6g\n", dl->first_ref, dl->first_board);
    }
    for (int h = 0; h < DIFF_HINT_COUNT; h++)
        if (dl->hints & (1u << h))
            sbuf_printf(sb, "hint      %s: %s\n", diff_hint_name((enum diff_hint)h),
                        diff_hint_text((enum diff_hint)h));
    if (dl->hint_detail != NULL)
        sbuf_printf(sb, "          %s\n", dl->hint_detail);
    if (dl->reconciled != NULL)
        sbuf_printf(sb, "reconciled %s\n", dl->reconciled);
    if (dl->note != NULL)
        sbuf_printf(sb, "note      %s\n", dl->note);
}

int tui_data_fill_diff(struct tui_table *tb, const struct graph *g, const struct diff_report *rep,
                       const struct trace *board, struct errbuf *eb)
{
    struct sbuf sb;
    int rc = 0;
    sbuf_init(&sb);
    for (size_t di = 0; di < rep->n_layers && rc == 0; di++) {
        const struct diff_layer *dl = &rep->layers[di];
        long li = tui_data_layer_of(g, dl);
        if (li < 0)
            continue;
        const struct layer *l = &g->layers[li];
        /* A layer's other outputs are compared too; the list shows its first output's. */
        if (l->n_outputs > 0 && strcmp(g->tensors[l->outputs[0]].name, dl->name) != 0)
            continue;
        tui_table_set_status(tb, (size_t)li, status_of(dl->status));
        if (dl->board_entry >= 0 && (size_t)dl->board_entry < board->n_entries) {
            const struct trace_entry *be = &board->entries[dl->board_entry];
            if (be->status == TRACE_OK && be->value.rank >= 0 && be->value.data != NULL)
                rc = tui_table_set_tensor(tb, (size_t)li, TUI_TRACE_BOARD, &be->value, eb);
        }
        if (rc == 0) {
            diff_lines(rep, dl, di, &sb);
            rc = flush(tb, (size_t)li, TUI_SECTION_DIFF, &sb, eb);
        }
    }
    sbuf_release(&sb);
    return rc;
}
