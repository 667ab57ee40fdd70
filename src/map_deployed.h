/*
 * map_deployed: the interpreter's per-layer settings for `run --arith deployed`: every layer
 * in the arithmetic of the path the MLF gave it (CMSIS-NN: TFLite Micro fixed point with
 * double rounding; TVM's C: single rounding, UPWARD), with the multipliers, shifts, offsets
 * and clamp bounds of CMSIS-NN steps read from the MLF's constants and literals.
 *
 * Lifetime: the params array and the arrays it points to live in the caller's arena or are
 * borrowed from the map's MLF; both must outlive the interpreter run.
 */
#ifndef MLFSCOPE_MAP_DEPLOYED_H
#define MLFSCOPE_MAP_DEPLOYED_H

#include "arena.h"
#include "errbuf.h"
#include "interp.h"
#include "map.h"

/*
 * Fills *out with an array of mp->n_layers settings (allocated in `a`):
 *  - a layer computed by a CMSIS-NN step: INTERP_ARITH_TFLM, double rounding, and from the
 *    kernel: per-channel (conv, depthwise) or per-tensor (fully connected) mult/shift,
 *    input/output offsets and activation range; add: [in1, in2, out] mult/shift, left shift,
 *    output offset and range; softmax: mult, shift and diff_min (in act_min, as the
 *    interpreter expects); avgpool: the activation range;
 *  - a layer computed by TVM's C (or fused into such a step): INTERP_ARITH_TVM with the
 *    parameters derived from the scales (the C holds them only in TVM's fused form);
 *  - folded or missing layers: INTERP_ARITH_TFLM without overrides.
 * Returns 0, or ST_ENOMEM (eb set; *out untouched).
 */
int map_deployed_params(const struct map *mp, struct arena *a,
                        struct interp_layer_params **out, struct errbuf *eb);

/*
 * Everything a deployed run needs, set up in one place (`run --arith deployed` and
 * `diff --mlf` share it): the MLF opened, the map built against the model, the per-layer
 * settings. The map borrows `mlf` by address, so a struct map_deployed must not be moved
 * or copied after map_deployed_open.
 */
struct map_deployed {
    struct mlf mlf;                         /* the opened MLF */
    struct map map;                         /* model layers <-> MLF steps (borrows g, mlf) */
    struct arena arena;                     /* owns params */
    struct interp_layer_params *params;     /* [map.n_layers] for interp_options.layer_params */
};

/* Makes an empty struct map_deployed (allocates nothing). */
void map_deployed_init(struct map_deployed *d);

/*
 * Opens the MLF at `mlf_path`, maps graph g (finished, layers formed; borrowed, must outlive
 * d) against it with `opt` (may be NULL) and fills d->params. d must be initialised and
 * empty. Fails with mlf_open's or map_build's error (ST_EIO, ST_EPARSE naming the file) or
 * ST_ENOMEM; d is then empty again (safe to release).
 */
int map_deployed_open(struct map_deployed *d, const struct graph *g, const char *mlf_path,
                      const struct map_options *opt, struct errbuf *eb);

/* Frees what d owns (map first, then the MLF); d is empty afterwards. */
void map_deployed_release(struct map_deployed *d);

#endif
