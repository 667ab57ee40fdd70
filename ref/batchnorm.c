/*
 * ONNX BatchNormalization in inference mode, float32:
 * y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel.
 */
#include <math.h>

#include "ref.h"
#include "ref_int.h"

int ref_batchnorm_f32(const struct ref_batchnorm_params *p,
                      const struct ref_shape *in_shape, const float *in,
                      const float *scale, const float *bias, const float *mean,
                      const float *var,
                      const struct ref_shape *out_shape, float *out)
{
    size_t n;
    if (p == NULL || in == NULL || scale == NULL || bias == NULL || mean == NULL ||
        var == NULL || out == NULL || out_shape == NULL || !ref_shape_count(in_shape, &n) ||
        in_shape->rank < 2 || !ref_shape_equal(in_shape, out_shape) ||
        (p->layout != REF_LAYOUT_NCHW && p->layout != REF_LAYOUT_NHWC))
        return REF_EARG;
    const int axis = p->layout == REF_LAYOUT_NCHW ? 1 : in_shape->rank - 1;
    size_t inner = 1;
    for (int i = axis + 1; i < in_shape->rank; i++)
        inner *= (size_t)in_shape->dims[i];
    const size_t c_n = (size_t)in_shape->dims[axis];
    for (size_t i = 0; i < n; i++) {
        const size_t c = (i / inner) % c_n;
        out[i] = (in[i] - mean[c]) / sqrtf(var[c] + p->epsilon) * scale[c] + bias[c];
    }
    return REF_OK;
}
