/*
 * Float32 Add, Sub, Mul, Div (ONNX, numpy broadcasting): one float32 operation per
 * element, IEEE semantics (division by zero gives inf or NaN).
 */
#include "ref.h"
#include "ref_int.h"

enum binop { OP_ADD, OP_SUB, OP_MUL, OP_DIV };

static int binary_run(const struct ref_shape *as, const float *a, const struct ref_shape *bs,
                      const float *b, const struct ref_shape *os, float *out, enum binop op)
{
    struct ref_bcast ba, bb;
    size_t n;
    if (a == NULL || b == NULL || out == NULL || !ref_shape_count(os, &n) ||
        !ref_bcast_init(&ba, as, os) || !ref_bcast_init(&bb, bs, os))
        return REF_EARG;
    for (size_t i = 0; i < n; i++) {
        const float x = a[ref_bcast_offset(&ba, i)], y = b[ref_bcast_offset(&bb, i)];
        switch (op) {
        case OP_ADD: out[i] = x + y; break;
        case OP_SUB: out[i] = x - y; break;
        case OP_MUL: out[i] = x * y; break;
        case OP_DIV: out[i] = x / y; break;
        }
    }
    return REF_OK;
}

int ref_add_f32(const void *p, const struct ref_shape *a_shape, const float *a,
                const struct ref_shape *b_shape, const float *b,
                const struct ref_shape *out_shape, float *out)
{
    (void)p;
    return binary_run(a_shape, a, b_shape, b, out_shape, out, OP_ADD);
}

int ref_sub_f32(const void *p, const struct ref_shape *a_shape, const float *a,
                const struct ref_shape *b_shape, const float *b,
                const struct ref_shape *out_shape, float *out)
{
    (void)p;
    return binary_run(a_shape, a, b_shape, b, out_shape, out, OP_SUB);
}

int ref_mul_f32(const void *p, const struct ref_shape *a_shape, const float *a,
                const struct ref_shape *b_shape, const float *b,
                const struct ref_shape *out_shape, float *out)
{
    (void)p;
    return binary_run(a_shape, a, b_shape, b, out_shape, out, OP_MUL);
}

int ref_div_f32(const void *p, const struct ref_shape *a_shape, const float *a,
                const struct ref_shape *b_shape, const float *b,
                const struct ref_shape *out_shape, float *out)
{
    (void)p;
    return binary_run(a_shape, a, b_shape, b, out_shape, out, OP_DIV);
}
