/*
 * ONNX ReduceMean, float32: the sum of the reduced elements in row-major order, divided by
 * their count.
 */
#include "ref.h"
#include "ref_int.h"

int ref_reduce_mean_f32(const struct ref_reduce_params *p,
                        const struct ref_shape *in_shape, const float *in,
                        const struct ref_shape *out_shape, float *out)
{
    size_t n_in, n_out;
    if (p == NULL || in == NULL || out == NULL || !ref_shape_count(in_shape, &n_in) ||
        !ref_shape_count(out_shape, &n_out) || (p->axes_mask >> in_shape->rank) != 0)
        return REF_EARG;
    /* the expected output shape */
    struct ref_shape want = {0, {0}};
    size_t count = 1;
    for (int i = 0; i < in_shape->rank; i++) {
        const bool red = (p->axes_mask >> i) & 1u;
        if (red)
            count *= (size_t)in_shape->dims[i];
        if (!red || p->keepdims)
            want.dims[want.rank++] = red ? 1 : in_shape->dims[i];
    }
    if (!ref_shape_equal(&want, out_shape) || count == 0)
        return REF_EARG;
    /* strides of the output seen with keepdims, so reduced axes have stride 0 */
    size_t st[REF_MAX_RANK];
    size_t acc = 1;
    for (int i = in_shape->rank - 1; i >= 0; i--) {
        if ((p->axes_mask >> i) & 1u) {
            st[i] = 0;
        } else {
            st[i] = acc;
            acc *= (size_t)in_shape->dims[i];
        }
    }
    for (size_t o = 0; o < n_out; o++)
        out[o] = 0.0f;
    for (size_t i = 0; i < n_in; i++) {
        size_t lin = i, off = 0;
        for (int d = in_shape->rank - 1; d >= 0; d--) {
            off += (lin % (size_t)in_shape->dims[d]) * st[d];
            lin /= (size_t)in_shape->dims[d];
        }
        out[off] += in[i];
    }
    for (size_t o = 0; o < n_out; o++)
        out[o] /= (float)count;
    return REF_OK;
}
