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

#endif
