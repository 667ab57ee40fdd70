/*
 * Batched matrix multiply with numpy broadcasting of the batch dims: ONNX QLinearMatMul
 * (REF_ROUND_ONNX_FLOAT), MatMulInteger (int32 out) and MatMul (float32), and Gemm.
 * Integer sums are exact modulo 2^32 like the runtimes' int32 accumulators.
 */
#include "fixedpoint.h"
#include "ref.h"
#include "ref_int.h"

enum qt { QT_S8, QT_U8 };
enum ot { OT_S8, OT_U8, OT_S32 };

static int32_t qt_load(const void *p, enum qt t, size_t i)
{
    return t == QT_S8 ? (int32_t)((const int8_t *)p)[i] : (int32_t)((const uint8_t *)p)[i];
}

struct mm_geo {
    int32_t m, k, n;
    size_t n_batch;
    struct ref_bcast ba, bb;   /* batch broadcasting (over the output's batch dims) */
};

static bool mm_check(const struct ref_shape *as, const struct ref_shape *bs,
                     const struct ref_shape *os, struct mm_geo *g)
{
    size_t na, nb, no;
    if (!ref_shape_count(as, &na) || !ref_shape_count(bs, &nb) || !ref_shape_count(os, &no) ||
        as->rank < 2 || bs->rank < 2 || os->rank < 2)
        return false;
    g->m = as->dims[as->rank - 2];
    g->k = as->dims[as->rank - 1];
    g->n = bs->dims[bs->rank - 1];
    if (bs->dims[bs->rank - 2] != g->k || os->dims[os->rank - 2] != g->m ||
        os->dims[os->rank - 1] != g->n)
        return false;
    struct ref_shape ab = *as, bb = *bs, ob = *os;
    ab.rank -= 2, bb.rank -= 2, ob.rank -= 2;
    if (!ref_bcast_init(&g->ba, &ab, &ob) || !ref_bcast_init(&g->bb, &bb, &ob))
        return false;
    /* every output batch dim must come from a or b (no stretching of both 1s to > 1) */
    for (int i = 0; i < ob.rank; i++) {
        const int ia = i - (ob.rank - ab.rank), ib = i - (ob.rank - bb.rank);
        const int32_t da = ia >= 0 ? ab.dims[ia] : 1, db = ib >= 0 ? bb.dims[ib] : 1;
        if (ob.dims[i] != (da > db ? da : db))
            return false;
    }
    if (!ref_shape_count(&ob, &g->n_batch))
        return false;
    return true;
}

static int mm_int(const struct ref_matmul_params *p, const struct ref_shape *as, const void *a,
                  enum qt ta, const struct ref_shape *bs, const void *b, enum qt tb,
                  const struct ref_shape *os, void *out, enum ot to)
{
    struct mm_geo g;
    if (p == NULL || a == NULL || b == NULL || out == NULL || !mm_check(as, bs, os, &g))
        return REF_EARG;
    if (p->b_zp != NULL && p->n_b_zp != 1 && p->n_b_zp != (size_t)g.n)
        return REF_EARG;
    if (to != OT_S32 && !ref_requant_check(&p->rq, (size_t)g.n, to == OT_S8 ? INT8_MIN : 0,
                                           to == OT_S8 ? INT8_MAX : UINT8_MAX))
        return REF_EARG;
    const size_t mk = (size_t)g.m * (size_t)g.k, kn = (size_t)g.k * (size_t)g.n;
    const size_t mn = (size_t)g.m * (size_t)g.n;
    for (size_t bi = 0; bi < g.n_batch; bi++) {
        const size_t oa = ref_bcast_offset(&g.ba, bi) * mk;
        const size_t ob = ref_bcast_offset(&g.bb, bi) * kn;
        for (int32_t i = 0; i < g.m; i++) {
            for (int32_t j = 0; j < g.n; j++) {
                const int64_t bzp =
                    p->b_zp == NULL ? 0 : p->b_zp[p->n_b_zp == 1 ? 0 : (size_t)j];
                int64_t acc = 0;
                for (int32_t k = 0; k < g.k; k++) {
                    const int64_t av =
                        qt_load(a, ta, oa + (size_t)i * (size_t)g.k + (size_t)k) -
                        (int64_t)p->a_zp;
                    const int64_t bv =
                        qt_load(b, tb, ob + (size_t)k * (size_t)g.n + (size_t)j) - bzp;
                    acc = ref_s64_from_bits((uint64_t)acc + (uint64_t)(av * bv));
                }
                const size_t oi = bi * mn + (size_t)i * (size_t)g.n + (size_t)j;
                const int32_t acc32 = ref_s32_trunc(acc);
                if (to == OT_S32)
                    ((int32_t *)out)[oi] = acc32;
                else if (to == OT_S8)
                    ((int8_t *)out)[oi] = (int8_t)ref_requant_apply(&p->rq, (size_t)j, acc32);
                else
                    ((uint8_t *)out)[oi] = (uint8_t)ref_requant_apply(&p->rq, (size_t)j, acc32);
            }
        }
    }
    return REF_OK;
}

int ref_matmul_s8(const struct ref_matmul_params *p,
                  const struct ref_shape *a_shape, const int8_t *a,
                  const struct ref_shape *b_shape, const int8_t *b,
                  const struct ref_shape *out_shape, int8_t *out)
{
    return mm_int(p, a_shape, a, QT_S8, b_shape, b, QT_S8, out_shape, out, OT_S8);
}

int ref_matmul_u8(const struct ref_matmul_params *p,
                  const struct ref_shape *a_shape, const uint8_t *a,
                  const struct ref_shape *b_shape, const uint8_t *b,
                  const struct ref_shape *out_shape, uint8_t *out)
{
    return mm_int(p, a_shape, a, QT_U8, b_shape, b, QT_U8, out_shape, out, OT_U8);
}

int ref_matmul_u8s8(const struct ref_matmul_params *p,
                    const struct ref_shape *a_shape, const uint8_t *a,
                    const struct ref_shape *b_shape, const int8_t *b,
                    const struct ref_shape *out_shape, uint8_t *out)
{
    return mm_int(p, a_shape, a, QT_U8, b_shape, b, QT_S8, out_shape, out, OT_U8);
}

int ref_matmul_s8_s32(const struct ref_matmul_params *p,
                      const struct ref_shape *a_shape, const int8_t *a,
                      const struct ref_shape *b_shape, const int8_t *b,
                      const struct ref_shape *out_shape, int32_t *out)
{
    return mm_int(p, a_shape, a, QT_S8, b_shape, b, QT_S8, out_shape, out, OT_S32);
}

int ref_matmul_u8_s32(const struct ref_matmul_params *p,
                      const struct ref_shape *a_shape, const uint8_t *a,
                      const struct ref_shape *b_shape, const uint8_t *b,
                      const struct ref_shape *out_shape, int32_t *out)
{
    return mm_int(p, a_shape, a, QT_U8, b_shape, b, QT_U8, out_shape, out, OT_S32);
}

int ref_matmul_f32(const void *p,
                   const struct ref_shape *a_shape, const float *a,
                   const struct ref_shape *b_shape, const float *b,
                   const struct ref_shape *out_shape, float *out)
{
    struct mm_geo g;
    (void)p;
    if (a == NULL || b == NULL || out == NULL || !mm_check(a_shape, b_shape, out_shape, &g))
        return REF_EARG;
    const size_t mk = (size_t)g.m * (size_t)g.k, kn = (size_t)g.k * (size_t)g.n;
    const size_t mn = (size_t)g.m * (size_t)g.n;
    for (size_t bi = 0; bi < g.n_batch; bi++) {
        const size_t oa = ref_bcast_offset(&g.ba, bi) * mk;
        const size_t ob = ref_bcast_offset(&g.bb, bi) * kn;
        for (int32_t i = 0; i < g.m; i++) {
            for (int32_t j = 0; j < g.n; j++) {
                float acc = 0.0f;
                for (int32_t k = 0; k < g.k; k++)
                    acc += a[oa + (size_t)i * (size_t)g.k + (size_t)k] *
                           b[ob + (size_t)k * (size_t)g.n + (size_t)j];
                out[bi * mn + (size_t)i * (size_t)g.n + (size_t)j] = acc;
            }
        }
    }
    return REF_OK;
}

int ref_gemm_f32(const struct ref_gemm_params *p,
                 const struct ref_shape *a_shape, const float *a,
                 const struct ref_shape *b_shape, const float *b,
                 const struct ref_shape *c_shape, const float *c,
                 const struct ref_shape *out_shape, float *out)
{
    size_t n;
    struct ref_bcast bc;
    if (p == NULL || a == NULL || b == NULL || out == NULL || !ref_shape_count(a_shape, &n) ||
        !ref_shape_count(b_shape, &n) || !ref_shape_count(out_shape, &n) ||
        a_shape->rank != 2 || b_shape->rank != 2 || out_shape->rank != 2)
        return REF_EARG;
    const int32_t m = p->trans_a ? a_shape->dims[1] : a_shape->dims[0];
    const int32_t k = p->trans_a ? a_shape->dims[0] : a_shape->dims[1];
    const int32_t kb = p->trans_b ? b_shape->dims[1] : b_shape->dims[0];
    const int32_t nn = p->trans_b ? b_shape->dims[0] : b_shape->dims[1];
    if (kb != k || out_shape->dims[0] != m || out_shape->dims[1] != nn)
        return REF_EARG;
    if (c != NULL && (c_shape == NULL || c_shape->rank > 2 || !ref_bcast_init(&bc, c_shape,
                                                                              out_shape)))
        return REF_EARG;
    for (int32_t i = 0; i < m; i++) {
        for (int32_t j = 0; j < nn; j++) {
            float acc = 0.0f;
            for (int32_t t = 0; t < k; t++) {
                const float av = p->trans_a ? a[(size_t)t * (size_t)m + (size_t)i]
                                            : a[(size_t)i * (size_t)k + (size_t)t];
                const float bv = p->trans_b ? b[(size_t)j * (size_t)k + (size_t)t]
                                            : b[(size_t)t * (size_t)nn + (size_t)j];
                acc += av * bv;
            }
            const size_t oi = (size_t)i * (size_t)nn + (size_t)j;
            float v = p->alpha * acc;
            if (c != NULL)
                v += p->beta * c[ref_bcast_offset(&bc, oi)];
            out[oi] = v;
        }
    }
    return REF_OK;
}
