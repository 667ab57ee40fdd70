/*
 * map_deployed: per-layer interpreter settings from the map (see map_deployed.h).
 */
#include "map_deployed.h"

#include <string.h>

#include "banned.h"

static void from_kernel(const struct map_layer *ml, struct interp_layer_params *p,
                        int32_t *scratch6)
{
    const struct mlf_kernel *k = ml->params.kernel;
    p->arith = INTERP_ARITH_TFLM;
    p->single_rounding = false;
    switch (k->kind) {
    case MLF_K_CONV:
    case MLF_K_DWCONV:
    case MLF_K_FC:
        p->n_mult = ml->params.n_quant;
        p->mult = ml->params.mult;
        p->shift = ml->params.shift;
        p->has_offsets = true;
        p->in_offset = k->input_offset;
        p->out_offset = k->output_offset;
        p->act_min = k->act_min;
        p->act_max = k->act_max;
        break;
    case MLF_K_ADD:
        scratch6[0] = k->in1_mult;
        scratch6[1] = k->in2_mult;
        scratch6[2] = k->out_mult;
        scratch6[3] = k->in1_shift;
        scratch6[4] = k->in2_shift;
        scratch6[5] = k->out_shift;
        p->n_mult = 3;
        p->mult = scratch6;
        p->shift = scratch6 + 3;
        p->left_shift = k->left_shift;
        p->has_offsets = true;
        p->in_offset = k->in1_offset;
        p->out_offset = k->out_offset;
        p->act_min = k->act_min;
        p->act_max = k->act_max;
        break;
    case MLF_K_SOFTMAX:
        p->n_mult = 1;
        p->mult = &k->mult;
        p->shift = &k->shift;
        p->act_min = k->diff_min;   /* the interpreter reads diff_min from act_min */
        break;
    case MLF_K_AVGPOOL:
    case MLF_K_MAXPOOL:
        p->act_min = k->act_min;
        p->act_max = k->act_max;
        break;
    default:
        break;
    }
}

int map_deployed_params(const struct map *mp, struct arena *a,
                        struct interp_layer_params **out, struct errbuf *eb)
{
    size_t n = mp->n_layers;
    struct interp_layer_params *p = arena_array(a, n ? n : 1, sizeof *p);
    int32_t *scratch = arena_array(a, n ? 6 * n : 1, sizeof *scratch);
    if (p == NULL || scratch == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    memset(p, 0, (n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) {
        const struct map_layer *ml = &mp->layers[i];
        p[i].arith = INTERP_ARITH_TFLM;
        if (ml->status == MAP_STEP && ml->params.kernel != NULL && ml->target &&
            strcmp(ml->target, "cmsis-nn") == 0)
            from_kernel(ml, &p[i], scratch + 6 * i);
        else if ((ml->status == MAP_STEP || ml->status == MAP_FUSED) && ml->target &&
                 strcmp(ml->target, "c") == 0)
            p[i].arith = INTERP_ARITH_TVM;
    }
    *out = p;
    return 0;
}

void map_deployed_init(struct map_deployed *d)
{
    mlf_init(&d->mlf);
    map_init(&d->map);
    arena_init(&d->arena);
    d->params = NULL;
}

void map_deployed_release(struct map_deployed *d)
{
    map_release(&d->map);
    mlf_release(&d->mlf);
    arena_release(&d->arena);
    map_deployed_init(d);
}

int map_deployed_open(struct map_deployed *d, const struct graph *g, const char *mlf_path,
                      const struct map_options *opt, struct errbuf *eb)
{
    int rc = mlf_open(&d->mlf, mlf_path, eb);
    if (!rc)
        rc = map_build(&d->map, g, &d->mlf, opt, eb);
    if (!rc)
        rc = map_deployed_params(&d->map, &d->arena, &d->params, eb);
    if (rc)
        map_deployed_release(d);
    return rc;
}
