/*
 * Board names to model layers through the MLF layer map, and MLF hazards to layer names
 * (see diff_mlf.h). TVM reuses a workspace buffer for many steps (KWS alternates sid_7 and
 * sid_14), so a buffer name alone is ambiguous: the record index, or the order in which the
 * records come, says which of its steps wrote it.
 */
#include "diff_mlf.h"

#include <string.h>

#include "mem.h"
#include "offload.h"
#include "banned.h"

void diff_mlf_init(struct diff_mlf *d)
{
    memset(d, 0, sizeof *d);
    arena_init(&d->arena);
}

void diff_mlf_release(struct diff_mlf *d)
{
    mem_free(d->key);
    arena_release(&d->arena);
    diff_mlf_init(d);
}

int diff_mlf_step_layer(const struct map *mp, size_t step)
{
    if (step >= mp->n_steps)
        return -1;
    const struct map_step *s = &mp->steps[step];
    int best = s->layer;
    /* layers are in execution order: the last one fused into the step is what it writes */
    for (size_t i = 0; i < s->n_fused; i++)
        if (s->fused[i] > best)
            best = s->fused[i];
    return best;
}

/* Length of a buffer name without TVM's "_let" / "_buffer_var" suffix. */
static size_t stem_len(const char *s)
{
    static const char *const suffixes[] = {"_buffer_var", "_let"};
    size_t n = strlen(s);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(s + n - k, suffixes[i]) == 0)
            return n - k;
    }
    return n;
}

static bool same_buffer(const char *a, const char *b)
{
    size_t na = stem_len(a), nb = stem_len(b);
    return na == nb && na > 0 && strncmp(a, b, na) == 0;
}

static bool is_step_buffer(const struct map *mp, size_t step, const char *name)
{
    int li = mp->steps[step].layer;
    const char *var = li >= 0 ? mp->layers[li].out.var : NULL;
    return var != NULL && same_buffer(var, name);
}

static bool is_reference_name(const struct trace *ref, const char *name)
{
    for (size_t i = 0; i < ref->n_entries; i++) {
        const struct trace_entry *e = &ref->entries[i];
        if (strcmp(e->name, name) == 0 || (e->layer && strcmp(e->layer, name) == 0))
            return true;
    }
    return false;
}

/* The MLF step board entry j stands for, or -1. */
static long step_of(const struct map *mp, const struct trace *board, size_t j)
{
    const struct trace_entry *e = &board->entries[j];
    const struct mlf *m = mp->m;
    if (e->step >= 0)
        return e->step < (int64_t)mp->n_steps ? (long)e->step : -1;
    bool indexed = e->index >= 0 && e->index < (int64_t)mp->n_steps;
    for (size_t s = 0; s < m->n_steps; s++)
        if (m->steps[s].function && strcmp(m->steps[s].function, e->name) == 0)
            return indexed && m->steps[e->index].function &&
                   strcmp(m->steps[e->index].function, e->name) == 0 ? (long)e->index : (long)s;
    if (indexed && is_step_buffer(mp, (size_t)e->index, e->name))
        return (long)e->index;
    /* the k-th record of a buffer is the k-th step writing it */
    size_t k = 0;
    for (size_t i = 0; i < j; i++)
        k += same_buffer(board->entries[i].name, e->name);
    for (size_t s = 0; s < mp->n_steps; s++)
        if (is_step_buffer(mp, s, e->name) && k-- == 0)
            return (long)s;
    return indexed ? (long)e->index : -1;
}

static bool visible(const struct map *mp, size_t layer)
{
    for (size_t s = 0; s < mp->n_steps; s++)
        if (diff_mlf_step_layer(mp, s) == (int)layer)
            return true;
    return false;
}

/* Collects the names of layers with a hazard of `kind` into an arena array. */
static int hazard_names(struct diff_mlf *d, const struct offload_report *r,
                        enum offload_hazard_kind kind, const char ***out, size_t *n_out)
{
    const struct graph *g = d->mp->g;
    size_t n = 0;
    for (size_t i = 0; i < r->n_hazards; i++)
        n += r->hazards[i].kind == kind && r->hazards[i].layer >= 0;
    if (n == 0)
        return 0;
    const char **names = arena_array(&d->arena, n, sizeof *names);
    if (names == NULL)
        return ST_ENOMEM;
    n = 0;
    for (size_t i = 0; i < r->n_hazards; i++) {
        const struct offload_hazard *h = &r->hazards[i];
        if (h->kind == kind && h->layer >= 0 && (size_t)h->layer < g->n_layers)
            names[n++] = g->layers[h->layer].name;
    }
    *out = names;
    *n_out = n;
    return 0;
}

int diff_mlf_setup(struct diff_mlf *d, const struct map *mp, struct trace *ref,
                   const struct trace *board, struct diff_options *opt, struct errbuf *eb)
{
    const struct graph *g = mp->g;
    d->mp = mp;
    d->board = board;
    d->key = mem_calloc(board->n_entries ? board->n_entries : 1, sizeof *d->key);
    struct offload_report r;
    offload_init(&r);
    int rc = d->key ? 0 : errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t j = 0; !rc && g && j < board->n_entries; j++) {
        if (is_reference_name(ref, board->entries[j].name))
            continue;
        long s = step_of(mp, board, j);
        int li = s >= 0 ? diff_mlf_step_layer(mp, (size_t)s) : -1;
        if (li >= 0)
            d->key[j] = g->layers[li].name;
    }
    if (!rc && g)
        rc = offload_analyse(&r, g, mp, NULL, eb);
    if (!rc && g && (hazard_names(d, &r, HAZ_SHIFT, &d->shift, &d->n_shift) != 0 ||
                     hazard_names(d, &r, HAZ_OVERLAP, &d->overlap, &d->n_overlap) != 0))
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    offload_release(&r);
    if (rc) {
        diff_mlf_release(d);
        return rc;
    }
    /* what no step leaves in a buffer of its own cannot be on the board */
    for (size_t i = 0; g && i < ref->n_entries; i++) {
        struct trace_entry *e = &ref->entries[i];
        int li = e->layer ? map_find_layer(mp, e->layer) : -1;
        if (li < 0)
            li = map_find_layer(mp, e->name);
        if (li >= 0 && !visible(mp, (size_t)li))
            e->optional = true;
    }
    opt->board_name = diff_mlf_board_name;
    opt->name_user = d;
    opt->n_hazards = d->n_shift;
    opt->hazards = d->shift;
    opt->n_overlaps = d->n_overlap;
    opt->overlaps = d->overlap;
    return 0;
}

const char *diff_mlf_board_name(void *user, const struct trace_entry *e)
{
    const struct diff_mlf *d = user;
    const struct trace *b = d->board;
    if (d->key == NULL || e < b->entries || e >= b->entries + b->n_entries)
        return NULL;
    return d->key[e - b->entries];
}
