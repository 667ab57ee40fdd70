/*
 * Helpers shared by the interpreter's op files: element access, broadcasting, axes, and the
 * requantization of an int32 accumulator under each arithmetic mode (ONNX Runtime's float
 * path, CMSIS-NN/TFLite double or single rounding, TVM's q_multiply_shift).
 */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "interp_int.h"
#include "ref/fixedpoint.h"
#include "ref/ref.h"

#include "banned.h"

/* Element i of a multi-byte type T at d (the data may be unaligned). */
#define LOAD(T, d, i)                                                                          \
    do {                                                                                       \
        T x_;                                                                                  \
        memcpy(&x_, (const char *)(d) + (i) * sizeof x_, sizeof x_);                           \
        return x_;                                                                             \
    } while (0)

int64_t interp_get_i(const struct tensor_value *v, size_t i)
{
    const void *d = v->data;
    switch (v->dtype) {
    case DTYPE_U8:
    case DTYPE_BOOL:
        return ((const uint8_t *)d)[i];
    case DTYPE_S8:
        return ((const int8_t *)d)[i];
    case DTYPE_S16:
        LOAD(int16_t, d, i);
    case DTYPE_U16:
        LOAD(uint16_t, d, i);
    case DTYPE_S32:
        LOAD(int32_t, d, i);
    case DTYPE_U32:
        LOAD(uint32_t, d, i);
    case DTYPE_S64:
        LOAD(int64_t, d, i);
    default:
        return (int64_t)interp_get_f(v, i);
    }
}

float interp_get_f(const struct tensor_value *v, size_t i)
{
    switch (v->dtype) {
    case DTYPE_F32:
        LOAD(float, v->data, i);
    case DTYPE_F64: {
        double f;
        memcpy(&f, (const char *)v->data + i * 8, 8);
        return (float)f;
    }
    case DTYPE_U8:
    case DTYPE_BOOL:
    case DTYPE_S8:
    case DTYPE_S16:
    case DTYPE_U16:
    case DTYPE_S32:
    case DTYPE_S64:
        return (float)interp_get_i(v, i);
    default:
        return 0.0f;    /* DTYPE_U32 too, as before; interp_get_i reads it */
    }
}

#undef LOAD

double interp_scalar(const struct tensor_value *v, size_t i)
{
    if (!v || interp_elems(v) <= i)
        return 0.0;
    if (v->dtype == DTYPE_S64 || v->dtype == DTYPE_S32)
        return (double)interp_get_i(v, i);
    return (double)interp_get_f(v, i);
}

static_assert(GRAPH_MAX_RANK <= REF_MAX_RANK, "a graph value must fit a ref_shape");

void interp_ref_shape(const struct tensor_value *v, struct ref_shape *s)
{
    s->rank = v->rank;
    for (int i = 0; i < v->rank; i++)
        s->dims[i] = (int32_t)v->dims[i];
}

long interp_read_ints(const struct tensor_value *v, int64_t *out, size_t max)
{
    if (!v)
        return -1;
    size_t n = interp_elems(v);
    if (n > max)
        return -1;
    if (v->dtype != DTYPE_S64 && v->dtype != DTYPE_S32)
        return -1;
    for (size_t i = 0; i < n; i++)
        out[i] = interp_get_i(v, i);
    return (long)n;
}

bool interp_broadcast(int ra, const int64_t *da, int rb, const int64_t *db, int *rank,
                      int64_t *dims)
{
    int r = ra > rb ? ra : rb;
    for (int i = 0; i < r; i++) {
        int64_t a = i - (r - ra) >= 0 ? da[i - (r - ra)] : 1;
        int64_t b = i - (r - rb) >= 0 ? db[i - (r - rb)] : 1;
        if (a != b && a != 1 && b != 1)
            return false;
        dims[i] = a == 1 ? b : a;
    }
    *rank = r;
    return true;
}

void interp_bcast_strides(int r, const int64_t *d, int rank, const int64_t *out_dims,
                          int64_t *strides)
{
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        int j = i - (rank - r);
        if (j < 0 || d[j] == 1) {
            strides[i] = 0;
        } else {
            strides[i] = s;
        }
        if (j >= 0)
            s *= d[j];
        (void)out_dims;
    }
}

void interp_bcast_init(struct interp_bcast *b, int rank, const int64_t *dims,
                       const struct tensor_value *x, const struct tensor_value *y)
{
    memset(b, 0, sizeof *b);
    b->rank = rank;
    memcpy(b->dims, dims, sizeof(int64_t) * (size_t)rank);
    interp_bcast_strides(x->rank, x->dims, rank, dims, b->sa);
    if (y)
        interp_bcast_strides(y->rank, y->dims, rank, dims, b->sb);
}

void interp_bcast_next(struct interp_bcast *b)
{
    for (int i = b->rank - 1; i >= 0; i--) {
        b->idx[i]++;
        b->oa += b->sa[i];
        b->ob += b->sb[i];
        if (b->idx[i] < b->dims[i])
            return;
        b->oa -= b->sa[i] * b->idx[i];
        b->ob -= b->sb[i] * b->idx[i];
        b->idx[i] = 0;
    }
}

int interp_axis(int64_t axis, int rank)
{
    if (axis < -rank || axis >= (rank == 0 ? 1 : rank))
        return -1;
    return (int)(axis < 0 ? axis + rank : axis);
}

/*
 * ONNX Runtime's requantization (MlasRequantizeOutput): float(acc) * scale in float32,
 * clamped to [qmin - zp, qmax - zp] in float, rounded to nearest even, plus zp.
 */
static int32_t requant_ort(const struct interp_requant *rq, int32_t acc, size_t ch)
{
    float s = rq->scale[rq->n > 1 ? ch : 0];
    float f = (float)acc * s;
    float lo = (float)(rq->qmin - rq->zp), hi = (float)(rq->qmax - rq->zp);
    if (f < lo)
        f = lo;
    if (f > hi)
        f = hi;
    return (int32_t)nearbyintf(f) + rq->zp;
}

int32_t interp_requant(const struct interp_requant *rq, int32_t acc, size_t ch)
{
    int32_t v;
    size_t c = rq->n > 1 ? ch : 0;
    switch (rq->arith) {
    case INTERP_ARITH_TFLM:
        v = rq->single_rounding ? ref_requantize_cmsis_single(acc, rq->mult[c], rq->shift[c])
                                : ref_requantize_cmsis(acc, rq->mult[c], rq->shift[c]);
        v = ref_add_wrap(v, rq->zp);
        break;
    case INTERP_ARITH_TVM:
        v = ref_q_multiply_shift_tvm(acc, rq->mult[c], rq->shift[c]);
        v = ref_add_wrap(v, rq->zp);
        break;
    case INTERP_ARITH_ONNX:
    default:
        return requant_ort(rq, acc, ch);
    }
    if (v < rq->qmin)
        v = rq->qmin;
    if (v > rq->qmax)
        v = rq->qmax;
    return v;
}

void interp_multiplier_tvm(double m, int32_t *mult, int32_t *shift)
{
    if (m == 0.0) {
        *mult = 0;
        *shift = 0;
        return;
    }
    int e;
    double q = frexp(m, &e);
    /* std::round: ties away from zero, like C round() */
    int64_t M = (int64_t)round(q * 2147483648.0);
    if (M == ((int64_t)1 << 31)) {
        M /= 2;
        e++;
    }
    *mult = (int32_t)M;
    *shift = e;
}

void interp_multiplier_tflite(double m, int32_t *mult, int32_t *shift)
{
    interp_multiplier_tvm(m, mult, shift);
    if (*shift < -31) {
        *mult = 0;
        *shift = 0;
    }
}

int32_t interp_add_multipliers(const struct interp_layer_params *lp, enum interp_arith arith,
                               double s1, double s2, double so, int32_t m[3], int32_t sh[3])
{
    if (arith == INTERP_ARITH_TVM) {
        const double eff[2] = {s1 / so, s2 / so};
        for (int i = 0; i < 2; i++) {
            if (lp->n_mult >= 2) {
                m[i] = lp->mult[i];
                sh[i] = lp->shift[i];
            } else {
                interp_multiplier_tvm(eff[i], &m[i], &sh[i]);
            }
        }
        return 0;
    }
    int32_t left_shift = lp->left_shift > 0 ? lp->left_shift : 20;
    if (lp->n_mult >= 3) {
        memcpy(m, lp->mult, 3 * sizeof m[0]);
        memcpy(sh, lp->shift, 3 * sizeof sh[0]);
    } else {
        double twice_max = 2.0 * (s1 > s2 ? s1 : s2);
        interp_multiplier_tflite(s1 / twice_max, &m[0], &sh[0]);
        interp_multiplier_tflite(s2 / twice_max, &m[1], &sh[1]);
        interp_multiplier_tflite(twice_max / ((double)(1 << left_shift) * so), &m[2], &sh[2]);
    }
    return left_shift;
}
