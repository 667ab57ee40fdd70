/*
 * diff reports out and back in: JSON (cJSON) for machines and `graph --diff`, a table for
 * people. The JSON layout is the stable interface documented in docs/diff.md.
 */
#include "diff.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "mem.h"
#include "banned.h"

static const char *method_text(const struct diff_report *rep)
{
    if (rep->rerun_available)
        return "inherited/diverged decided by re-running each such layer on the board's input";
    if (rep->model_known)
        return "inherited/diverged decided from whether the layer's input already differed "
               "(not re-run)";
    return "no model: inherited/diverged decided from whether the previous layer already "
           "differed (not re-run)";
}

/* A number, or null when not finite (JSON has no inf/nan). */
static cJSON *num(double x)
{
    return isfinite(x) ? cJSON_CreateNumber(x) : cJSON_CreateNull();
}

static cJSON *str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static bool add(cJSON *o, const char *key, cJSON *item)
{
    if (item == NULL)
        return false;
    if (!cJSON_AddItemToObject(o, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

static bool push(cJSON *a, cJSON *item)
{
    if (item == NULL)
        return false;
    if (!cJSON_AddItemToArray(a, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

static cJSON *layer_json(const struct diff_report *rep, const struct diff_layer *L)
{
    cJSON *o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    bool ok = add(o, "name", cJSON_CreateString(L->name)) &&
              add(o, "layer", str_or_null(L->layer)) &&
              add(o, "board_name", str_or_null(L->board_name)) &&
              add(o, "status", cJSON_CreateString(diff_status_name(L->status))) &&
              add(o, "reran", cJSON_CreateBool(L->reran)) &&
              add(o, "twin", rep->twin_known && L->has_twin
                                 ? cJSON_CreateString(diff_status_name(L->twin))
                                 : cJSON_CreateNull());
    if (ok && L->compared) {
        ok = add(o, "elements", cJSON_CreateNumber((double)L->n_elems)) &&
             add(o, "exact_pct", num(L->exact_pct)) &&
             add(o, "within1_pct", num(L->within1_pct)) &&
             add(o, "max_abs", num(L->max_abs)) && add(o, "mean_abs", num(L->mean_abs)) &&
             add(o, "cosine", num(L->cosine)) && add(o, "snr_db", num(L->snr_db));
        cJSON *h = ok ? cJSON_CreateArray() : NULL;
        ok = ok && add(o, "histogram", h);
        for (int b = 0; ok && b < DIFF_HIST_BINS; b++) {
            if (L->hist[b] == 0)
                continue;
            int64_t lo, hi;
            diff_hist_bounds(b, &lo, &hi);
            ok = push(h, cJSON_CreateObject());
            cJSON *e = ok ? cJSON_GetArrayItem(h, cJSON_GetArraySize(h) - 1) : NULL;
            ok = ok &&
                 add(e, "lo", lo == INT64_MIN ? cJSON_CreateNull() : num((double)lo)) &&
                 add(e, "hi", hi == INT64_MAX ? cJSON_CreateNull() : num((double)hi)) &&
                 add(e, "count", cJSON_CreateNumber((double)L->hist[b]));
        }
    }
    if (ok && L->has_first_diff) {
        cJSON *f = cJSON_CreateObject();
        ok = add(o, "first_diff", f) &&
             add(f, "index", cJSON_CreateNumber((double)L->first_index));
        cJSON *co = ok ? cJSON_CreateArray() : NULL;
        ok = ok && add(f, "coords", co) && add(f, "reference", num(L->first_ref)) &&
             add(f, "board", num(L->first_board));
        for (int k = 0; ok && k < L->first_rank; k++)
            ok = push(co, cJSON_CreateNumber((double)L->first_coord[k]));
    } else if (ok) {
        ok = add(o, "first_diff", cJSON_CreateNull());
    }
    cJSON *hs = ok ? cJSON_CreateArray() : NULL;
    ok = ok && add(o, "hints", hs);
    for (int h = 0; ok && h < DIFF_HINT_COUNT; h++)
        if (L->hints & (1u << h))
            ok = push(hs, cJSON_CreateString(diff_hint_name((enum diff_hint)h)));
    ok = ok && add(o, "hint_detail", str_or_null(L->hint_detail)) &&
         add(o, "reconciled", str_or_null(L->reconciled)) && add(o, "note", str_or_null(L->note));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int diff_report_json(const struct diff_report *rep, char **out, struct errbuf *eb)
{
    static const cJSON_Hooks hooks = {mem_alloc, mem_free};
    cJSON_InitHooks((cJSON_Hooks *)&hooks);
    cJSON *root = cJSON_CreateObject();
    cJSON *layers = root ? cJSON_CreateArray() : NULL;
    bool ok = root && add(root, "layers", layers);
    for (size_t i = 0; ok && i < rep->n_layers; i++)
        ok = push(layers, layer_json(rep, &rep->layers[i]));
    ok = ok && add(root, "first_diverged",
                   rep->first_diverged >= 0 ? cJSON_CreateString(rep->layers[rep->first_diverged]
                                                                     .name)
                                            : cJSON_CreateNull());
    cJSON *bl = ok && rep->twin_known && rep->blame != DIFF_BLAME_NONE ? cJSON_CreateObject()
                                                                        : NULL;
    if (bl) {
        ok = add(root, "blame", bl) &&
             add(bl, "culprit", cJSON_CreateString(diff_blame_name(rep->blame))) &&
             add(bl, "layer", cJSON_CreateString(rep->layers[rep->first_diverged].name)) &&
             add(bl, "text", str_or_null(rep->blame_text));
    } else {
        ok = ok && add(root, "blame", cJSON_CreateNull());
    }
    cJSON *s = ok ? cJSON_CreateObject() : NULL;
    ok = ok && add(root, "summary", s) &&
         add(s, "layers", cJSON_CreateNumber((double)rep->n_layers));
    for (int k = 0; ok && k < DIFF_STATUS_COUNT; k++)
        ok = add(s, diff_status_name((enum diff_status)k),
                 cJSON_CreateNumber((double)rep->count[k]));
    cJSON *ex = ok ? cJSON_CreateArray() : NULL;
    ok = ok && add(s, "tolerance", cJSON_CreateNumber(rep->tolerance)) &&
         add(s, "rerun", cJSON_CreateBool(rep->rerun_available)) &&
         add(s, "method", cJSON_CreateString(method_text(rep))) &&
         add(s, "reference", cJSON_CreateString(rep->reference)) &&
         add(s, "board", cJSON_CreateString(rep->board)) &&
         add(s, "skipped", cJSON_CreateNumber((double)rep->n_skipped)) && add(s, "extra", ex) &&
         add(s, "failed", cJSON_CreateBool(diff_report_failed(rep)));
    for (size_t i = 0; ok && i < rep->n_extra; i++)
        ok = push(ex, cJSON_CreateString(rep->extra[i]));
    char *text = ok ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (text == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    *out = text;
    return 0;
}

static void fmt_num(char *buf, size_t n, double x, int prec)
{
    if (isnan(x))
        snprintf(buf, n, "-");
    else if (isinf(x))
        snprintf(buf, n, x > 0 ? "inf" : "-inf");
    else
        snprintf(buf, n, "%.*f", prec, x);
}

void diff_report_table(const struct diff_report *rep, bool colour, struct sbuf *sb)
{
    char shown[48];
    size_t w = 5;
    for (size_t i = 0; i < rep->n_layers; i++) {
        size_t l = strlen(graph_short_name(rep->layers[i].name, 40, shown, sizeof shown));
        if (l > w)
            w = l;
    }
    sbuf_printf(sb, "  %3s  %-*s  %-9s ", "#", (int)w, "layer", "status");
    if (rep->twin_known)
        sbuf_printf(sb, "%-9s ", "twin");
    sbuf_printf(sb, "%7s %7s %6s %8s %7s %7s  %s\n", "exact%", "±1%", "max|Δ|", "mean|Δ|",
                "cosine", "SNR dB", "first difference / hints");
    for (size_t i = 0; i < rep->n_layers; i++) {
        const struct diff_layer *L = &rep->layers[i];
        bool first = (long)i == rep->first_diverged;
        if (first && colour)
            sbuf_add(sb, "\033[1;31m");
        sbuf_printf(sb, "%c %3zu  %-*s  %-9s", first ? '>' : ' ', i, (int)w,
                    graph_short_name(L->name, w, shown, sizeof shown),
                    diff_status_name(L->status));
        if (rep->twin_known)
            sbuf_printf(sb, " %-9s", L->has_twin ? diff_status_name(L->twin) : "-");
        if (L->compared) {
            char c[32], s[32];
            fmt_num(c, sizeof c, L->cosine, 4);
            fmt_num(s, sizeof s, L->snr_db, 1);
            char mx[32];
            if (L->max_abs == floor(L->max_abs) && L->max_abs < 1e6)
                snprintf(mx, sizeof mx, "%.0f", L->max_abs);
            else
                snprintf(mx, sizeof mx, "%.3g", L->max_abs);
            sbuf_printf(sb, " %7.2f %7.2f %6s %8.3f %7s %7s", L->exact_pct, L->within1_pct, mx,
                        L->mean_abs, c, s);
        } else {
            sbuf_printf(sb, " %7s %7s %6s %8s %7s %7s", "-", "-", "-", "-", "-", "-");
        }
        if (L->has_first_diff) {
            sbuf_add(sb, "  [");
            for (int k = 0; k < L->first_rank; k++)
                sbuf_printf(sb, "%s%lld", k ? "," : "", (long long)L->first_coord[k]);
            sbuf_printf(sb, "] ref %g board %g", L->first_ref, L->first_board);
        }
        for (int h = 0; h < DIFF_HINT_COUNT; h++)
            if (L->hints & (1u << h))
                sbuf_printf(sb, "  %s", diff_hint_name((enum diff_hint)h));
        if (L->note)
            sbuf_printf(sb, "  (%s)", L->note);
        if (first && colour)
            sbuf_add(sb, "\033[0m");
        sbuf_addc(sb, '\n');
        if (L->hint_detail)
            sbuf_printf(sb, "  %3s  %-*s  hint: %s\n", "", (int)w, "", L->hint_detail);
        if (L->reconciled)
            sbuf_printf(sb, "  %3s  %-*s  reconciled: %s\n", "", (int)w, "", L->reconciled);
    }
    sbuf_add(sb, "\n");
    if (rep->first_diverged >= 0) {
        const struct diff_layer *L = &rep->layers[rep->first_diverged];
        char name[128];
        sbuf_printf(sb, "first divergence: %s (layer %ld)",
                    graph_short_name(L->name, sizeof name - 1, name, sizeof name),
                    rep->first_diverged);
        if (L->has_first_diff)
            sbuf_printf(sb, ", element %zu: reference %g, board %g", L->first_index,
                        L->first_ref, L->first_board);
        sbuf_add(sb, "\n");
        for (int h = 0; h < DIFF_HINT_COUNT; h++)
            if (L->hints & (1u << h))
                sbuf_printf(sb, "  hint %s: %s\n", diff_hint_name((enum diff_hint)h),
                            diff_hint_text((enum diff_hint)h));
        if (rep->blame_text)
            sbuf_printf(sb, "blame: %s\n", rep->blame_text);
    } else {
        sbuf_add(sb, "first divergence: none\n");
    }
    sbuf_printf(sb, "summary: %zu layers", rep->n_layers);
    for (int k = 0; k < DIFF_STATUS_COUNT; k++)
        if (rep->count[k])
            sbuf_printf(sb, ", %zu %s", rep->count[k], diff_status_name((enum diff_status)k));
    if (rep->tolerance)
        sbuf_printf(sb, " (tolerance ±%d LSB)", rep->tolerance);
    sbuf_add(sb, "\n");
    if (rep->n_extra) {
        sbuf_printf(sb, "not in the reference (%zu):", rep->n_extra);
        for (size_t i = 0; i < rep->n_extra && i < 8; i++)
            sbuf_printf(sb, " %s", rep->extra[i]);
        sbuf_add(sb, rep->n_extra > 8 ? " ...\n" : "\n");
    }
    if (rep->count[DIFF_INHERITED] || rep->count[DIFF_DIVERGED])
        sbuf_printf(sb, "method: %s\n", method_text(rep));
    if (rep->count[DIFF_MISSING])
        sbuf_printf(sb, "%zu layers are not in the board trace; --partial compares only the "
                    "layers it holds\n", rep->count[DIFF_MISSING]);
}

/* --- reading a report back ----------------------------------------------------------------- */

void diff_verdicts_release(struct diff_verdicts *v)
{
    arena_release(&v->arena);
    memset(v, 0, sizeof *v);
}

int diff_verdicts_load(const char *path, struct diff_verdicts *out, struct errbuf *eb)
{
    struct filebuf fb = {0};
    int rc = filebuf_open(&fb, path, eb);
    if (rc)
        return rc;
    static const cJSON_Hooks hooks = {mem_alloc, mem_free};
    cJSON_InitHooks((cJSON_Hooks *)&hooks);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts((const char *)fb.data, fb.bytes, &end, 0);
    struct diff_verdicts v;
    memset(&v, 0, sizeof v);
    arena_init(&v.arena);
    const cJSON *layers = root ? cJSON_GetObjectItemCaseSensitive(root, "layers") : NULL;
    if (root == NULL) {
        size_t off = end && fb.bytes ? (size_t)(end - (const char *)fb.data) : 0;
        rc = errbuf_set(eb, ST_EPARSE, "%s: offset %zu: malformed JSON", path, off);
    } else if (!cJSON_IsArray(layers)) {
        rc = errbuf_set(eb, ST_EPARSE, "%s: expected an array \"layers\" (a diff report)", path);
    }
    size_t n = rc ? 0 : (size_t)cJSON_GetArraySize(layers);
    if (!rc) {
        v.names = arena_array(&v.arena, n ? n : 1, sizeof *v.names);
        v.entry_names = arena_array(&v.arena, n ? n : 1, sizeof *v.entry_names);
        v.status = arena_array(&v.arena, n ? n : 1, sizeof *v.status);
        if (!v.names || !v.entry_names || !v.status)
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    const cJSON *it;
    size_t i = 0;
    if (!rc) {
        cJSON_ArrayForEach(it, layers) {
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
            const cJSON *ly = cJSON_GetObjectItemCaseSensitive(it, "layer");
            const cJSON *st = cJSON_GetObjectItemCaseSensitive(it, "status");
            if (!cJSON_IsString(nm) || !cJSON_IsString(st) ||
                !diff_status_from_name(st->valuestring, &v.status[i])) {
                rc = errbuf_set(eb, ST_EPARSE, "%s: layers[%zu]: expected \"name\" and a known "
                                "\"status\"", path, i);
                break;
            }
            v.entry_names[i] = arena_strdup(&v.arena, nm->valuestring);
            v.names[i] = cJSON_IsString(ly) ? arena_strdup(&v.arena, ly->valuestring)
                                            : v.entry_names[i];
            if (!v.entry_names[i] || !v.names[i]) {
                rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
                break;
            }
            i++;
        }
    }
    if (!rc) {
        v.n = i;
        const cJSON *fd = cJSON_GetObjectItemCaseSensitive(root, "first_diverged");
        if (cJSON_IsString(fd) &&
            (v.first_diverged = arena_strdup(&v.arena, fd->valuestring)) == NULL)
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    cJSON_Delete(root);
    filebuf_release(&fb);
    if (rc) {
        arena_release(&v.arena);
        return rc;
    }
    *out = v;
    return 0;
}
