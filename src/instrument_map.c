/*
 * Step buffers named and shaped by the model layers the layer map (src/map.h) ties to them
 * (instrument_use_map in instrument.h).
 */
#include "instrument.h"

#include "map.h"
#include "mem.h"

#include "banned.h"

/* An upper bound only needs to hold the layer's tensor; any other size must equal it. */
int instrument_use_map(const struct mlf *m, const struct graph *g, const struct map *mp,
                       struct instrument_plan *plan, const char ***names, const char ***ops,
                       struct errbuf *eb)
{
    size_t n = m->n_steps ? m->n_steps : 1;
    const char **nm = mem_calloc(n, sizeof *nm);
    const char **op = mem_calloc(n, sizeof *op);
    struct instrument_shape *sh = mem_calloc(n, sizeof *sh);
    if (!nm || !op || !sh) {
        mem_free(nm);
        mem_free(op);
        mem_free(sh);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    size_t n_sh = 0;
    for (size_t s = 0; s < m->n_steps && s < plan->n; s++) {
        int l = map_layer_of_step(mp, s);
        if (l < 0 || (size_t)l >= g->n_layers)
            continue;
        const struct layer *ly = &g->layers[l];
        nm[s] = ly->name;
        op[s] = ly->op;
        const struct instrument_buffer *b = &plan->bufs[s];
        /* kernel shapes are exact; only the flat ones (add, mul) gain from the layer's */
        if (ly->n_outputs == 0 || b->arg < 0 ||
            (b->source == INSTRUMENT_SIZE_KERNEL && b->rank > 1))
            continue;
        const struct tensor *t = &g->tensors[ly->outputs[0]];
        if (t->rank <= 0 || t->rank > INSTRUMENT_MAX_RANK)
            continue;
        size_t count = 1;
        for (int d = 0; d < t->rank; d++)
            count *= t->dims[d] > 0 ? (size_t)t->dims[d] : 0;
        size_t el = mlf_dtype_bytes(b->dtype) ? mlf_dtype_bytes(b->dtype) : 1;
        bool fits = b->approximate ? count * el <= b->bytes : count * el == b->bytes;
        if (count == 0 || !fits)
            continue;
        sh[n_sh].step = s;
        sh[n_sh].dtype = MLF_DT_UNKNOWN;
        sh[n_sh].rank = t->rank;
        for (int d = 0; d < t->rank; d++)
            sh[n_sh].dims[d] = (int32_t)t->dims[d];
        n_sh++;
    }
    struct instrument_plan np;
    int rc = instrument_plan(m, sh, n_sh, &np, eb);
    mem_free(sh);
    if (rc) {
        mem_free(nm);
        mem_free(op);
        return rc;
    }
    /* keep the caller's --layers choice */
    for (size_t s = 0; s < np.n && s < plan->n; s++)
        np.bufs[s].selected = plan->bufs[s].selected;
    instrument_plan_release(plan);
    *plan = np;
    *names = nm;
    *ops = op;
    return 0;
}

