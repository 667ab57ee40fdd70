/*
 * Fast kernels for the interpreter (see interp_kernels.h): im2col turns a convolution into a
 * GEMM whose inner loop runs over output pixels with a scalar weight, which GCC vectorises
 * (float FMA-free multiply-add, int16 x int16 -> int32 for 8-bit data). Integer accumulation
 * is exact, so the order of summation does not change results.
 */
#include "interp_kernels.h"

#include <math.h>
#include <string.h>

#include "mem.h"

#include "banned.h"

void interp_k_permute(const void *x, void *o, size_t esize, int rank, const int64_t *d,
                      const int64_t *st)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)d[i];
    if (n == 0)
        return;
    int64_t idx[GRAPH_MAX_RANK] = {0};
    int64_t off = 0;
    const char *px = x;
    char *po = o;
    /* the innermost dim in a tight loop */
    size_t inner = rank > 0 ? (size_t)d[rank - 1] : 1;
    int64_t ist = rank > 0 ? st[rank - 1] : 0;
    for (size_t i = 0; i < n; i += inner) {
        if (esize == 1) {
            for (size_t j = 0; j < inner; j++)
                po[i + j] = px[off + (int64_t)j * ist];
        } else if (esize == 4) {
            for (size_t j = 0; j < inner; j++)
                memcpy(po + (i + j) * 4, px + (off + (int64_t)j * ist) * 4, 4);
        } else {
            for (size_t j = 0; j < inner; j++)
                memcpy(po + (i + j) * esize, px + (size_t)(off + (int64_t)j * ist) * esize,
                       esize);
        }
        for (int k = rank - 2; k >= 0; k--) {
            idx[k]++;
            off += st[k];
            if (idx[k] < d[k])
                break;
            off -= st[k] * idx[k];
            idx[k] = 0;
        }
    }
}

void interp_k_softmax_f32(const float *x, float *o, size_t outer, size_t len, size_t inner,
                          bool log_softmax)
{
    for (size_t a = 0; a < outer; a++) {
        for (size_t i = 0; i < inner; i++) {
            const float *p = x + a * len * inner + i;
            float *q = o + a * len * inner + i;
            float mx = -INFINITY;
            for (size_t j = 0; j < len; j++)
                mx = p[j * inner] > mx ? p[j * inner] : mx;
            float sum = 0.0f;
            for (size_t j = 0; j < len; j++) {
                float e = expf(p[j * inner] - mx);
                if (!log_softmax)
                    q[j * inner] = e;
                sum += e;
            }
            if (log_softmax) {
                float ls = logf(sum);
                for (size_t j = 0; j < len; j++)
                    q[j * inner] = p[j * inner] - mx - ls;
            } else {
                for (size_t j = 0; j < len; j++)
                    q[j * inner] /= sum;
            }
        }
    }
}

bool interp_k_matmul_shape(int ra, const int64_t *da, int rb, const int64_t *db,
                           struct interp_mm *mm, int *rank, int64_t *dims)
{
    if (ra < 1 || rb < 1)
        return false;
    int64_t a2[GRAPH_MAX_RANK + 1], b2[GRAPH_MAX_RANK + 1];
    int ra2 = ra, rb2 = rb;
    if (ra == 1) {
        a2[0] = 1;
        a2[1] = da[0];
        ra2 = 2;
    } else {
        memcpy(a2, da, sizeof(int64_t) * (size_t)ra);
    }
    if (rb == 1) {
        b2[0] = db[0];
        b2[1] = 1;
        rb2 = 2;
    } else {
        memcpy(b2, db, sizeof(int64_t) * (size_t)rb);
    }
    memset(mm, 0, sizeof *mm);
    mm->m = (size_t)a2[ra2 - 2];
    mm->k = (size_t)a2[ra2 - 1];
    if ((size_t)b2[rb2 - 2] != mm->k)
        return false;
    mm->n = (size_t)b2[rb2 - 1];
    int bra = ra2 - 2, brb = rb2 - 2;
    int br = bra > brb ? bra : brb;
    if (br + 2 > GRAPH_MAX_RANK)
        return false;
    int64_t sa = (int64_t)(mm->m * mm->k), sb = (int64_t)(mm->k * mm->n);
    for (int i = br - 1; i >= 0; i--) {
        int ia = i - (br - bra), ib = i - (br - brb);
        int64_t x = ia >= 0 ? a2[ia] : 1, y = ib >= 0 ? b2[ib] : 1;
        if (x != y && x != 1 && y != 1)
            return false;
        mm->bd[i] = x > y ? x : y;
        mm->sa[i] = x == 1 ? 0 : sa;
        mm->sb[i] = y == 1 ? 0 : sb;
        if (ia >= 0)
            sa *= x;
        if (ib >= 0)
            sb *= y;
    }
    mm->br = br;
    int r = 0;
    for (int i = 0; i < br; i++)
        dims[r++] = mm->bd[i];
    if (ra != 1)
        dims[r++] = (int64_t)mm->m;
    if (rb != 1)
        dims[r++] = (int64_t)mm->n;
    *rank = r;
    return true;
}

/* Calls fn for each batch with the a and b offsets (elements). */
#define FOR_BATCH(mm, ...)                                                          \
    do {                                                                            \
        size_t nb_ = 1;                                                             \
        for (int i_ = 0; i_ < (mm)->br; i_++)                                       \
            nb_ *= (size_t)(mm)->bd[i_];                                            \
        int64_t idx_[GRAPH_MAX_RANK] = {0};                                         \
        int64_t oa = 0, ob = 0;                                                     \
        for (size_t bi = 0; bi < nb_; bi++) {                                       \
            __VA_ARGS__;                                                                 \
            for (int k_ = (mm)->br - 1; k_ >= 0; k_--) {                            \
                idx_[k_]++;                                                         \
                oa += (mm)->sa[k_];                                                 \
                ob += (mm)->sb[k_];                                                 \
                if (idx_[k_] < (mm)->bd[k_])                                        \
                    break;                                                          \
                oa -= (mm)->sa[k_] * idx_[k_];                                      \
                ob -= (mm)->sb[k_] * idx_[k_];                                      \
                idx_[k_] = 0;                                                       \
            }                                                                       \
        }                                                                           \
    } while (0)

void interp_k_matmul_f32(const struct interp_mm *mm, const float *a, const float *b, float *o)
{
    size_t M = mm->m, N = mm->n, K = mm->k;
    FOR_BATCH(mm, {
        interp_k_gemm_f32(a + oa, b + ob, o + bi * M * N, M, N, K, false, false, 1.0f);
    });
}

void interp_k_gemm_f32(const float *a, const float *b, float *o, size_t M, size_t N, size_t K,
                       bool ta, bool tb, float alpha)
{
    for (size_t i = 0; i < M; i++) {
        float *row = o + i * N;
        for (size_t j = 0; j < N; j++)
            row[j] = 0.0f;
        if (!tb) {
            for (size_t k = 0; k < K; k++) {
                float av = ta ? a[k * M + i] : a[i * K + k];
                const float *brow = b + k * N;
                for (size_t j = 0; j < N; j++)
                    row[j] += av * brow[j];
            }
        } else {
            for (size_t j = 0; j < N; j++) {
                float s = 0.0f;
                const float *bcol = b + j * K;
                for (size_t k = 0; k < K; k++)
                    s += (ta ? a[k * M + i] : a[i * K + k]) * bcol[k];
                row[j] = s;
            }
        }
        if (alpha != 1.0f)
            for (size_t j = 0; j < N; j++)
                row[j] *= alpha;
    }
}

/* Number of output pixels and kernel taps of a geometry. */
static size_t n_out(const struct interp_kgeom *g)
{
    return g->out[0] * g->out[1] * g->out[2];
}

static size_t n_taps(const struct interp_kgeom *g)
{
    return g->k[0] * g->k[1] * g->k[2];
}

static size_t n_in(const struct interp_kgeom *g)
{
    return g->in[0] * g->in[1] * g->in[2];
}

/* True when the convolution reads x directly (1x1, stride 1, no padding). */
static bool is_pointwise(const struct interp_kgeom *g)
{
    for (int i = 0; i < 3; i++)
        if (g->k[i] != 1 || g->s[i] != 1 || g->pb[i] != 0 || g->in[i] != g->out[i])
            return false;
    return true;
}

/*
 * im2col for one channel plane: col[tap][p] = x at the tap's input position, or `pad` outside.
 * T is the element type of x, C of col; `sub` is subtracted from every in-bounds element.
 */
#define IM2COL(T, C, NAME)                                                                  \
    static void NAME(const struct interp_kgeom *g, const T *x, C *col, C pad, int32_t sub)  \
    {                                                                                       \
        size_t P = n_out(g);                                                                \
        size_t t = 0;                                                                       \
        for (size_t k0 = 0; k0 < g->k[0]; k0++)                                             \
            for (size_t k1 = 0; k1 < g->k[1]; k1++)                                         \
                for (size_t k2 = 0; k2 < g->k[2]; k2++, t++) {                              \
                    C *row = col + t * P;                                                   \
                    size_t p = 0;                                                           \
                    for (size_t o0 = 0; o0 < g->out[0]; o0++) {                             \
                        int64_t i0 = (int64_t)(o0 * g->s[0] + k0 * g->d[0]) -               \
                                     (int64_t)g->pb[0];                                     \
                        bool in0 = i0 >= 0 && i0 < (int64_t)g->in[0];                       \
                        for (size_t o1 = 0; o1 < g->out[1]; o1++) {                         \
                            int64_t i1 = (int64_t)(o1 * g->s[1] + k1 * g->d[1]) -           \
                                         (int64_t)g->pb[1];                                 \
                            bool in1 = in0 && i1 >= 0 && i1 < (int64_t)g->in[1];            \
                            const T *xr = x + ((size_t)(in1 ? i0 : 0) * g->in[1] +          \
                                               (size_t)(in1 ? i1 : 0)) * g->in[2];          \
                            int64_t base = (int64_t)(k2 * g->d[2]) - (int64_t)g->pb[2];     \
                            for (size_t o2 = 0; o2 < g->out[2]; o2++, p++) {                \
                                int64_t i2 = (int64_t)(o2 * g->s[2]) + base;                \
                                row[p] = (in1 && i2 >= 0 && i2 < (int64_t)g->in[2])         \
                                             ? (C)((int32_t)xr[i2] - sub)                   \
                                             : pad;                                         \
                            }                                                               \
                        }                                                                   \
                    }                                                                       \
                }                                                                           \
    }

IM2COL(uint8_t, int16_t, im2col_u8)
IM2COL(int8_t, int16_t, im2col_s8)

int interp_k_conv_f32(const struct interp_kgeom *g, size_t n, size_t c, size_t m, size_t groups,
                      const float *x, const float *w, const float *bias, float *o,
                      struct errbuf *eb)
{
    size_t P = n_out(g), T = n_taps(g), I = n_in(g);
    size_t cg = c / groups, mg = m / groups, K = cg * T;
    bool direct = is_pointwise(g);
    float *col = NULL;
    if (!direct) {
        size_t bytes;
        if (!size_mul(K, P, &bytes) || !size_mul(bytes, sizeof(float), &bytes))
            return errbuf_set(eb, ST_ELIMIT, "convolution too large");
        col = mem_alloc(bytes ? bytes : 1);
        if (!col)
            return errbuf_set(eb, ST_ENOMEM, "out of memory for im2col");
    }
    for (size_t b = 0; b < n; b++) {
        for (size_t gi = 0; gi < groups; gi++) {
            const float *xg = x + (b * c + gi * cg) * I;
            const float *cols = xg;
            if (!direct) {
                for (size_t ci = 0; ci < cg; ci++) {
                    /* floats: copy exactly (no integer subtract) */
                    size_t t = 0;
                    for (size_t k0 = 0; k0 < g->k[0]; k0++)
                        for (size_t k1 = 0; k1 < g->k[1]; k1++)
                            for (size_t k2 = 0; k2 < g->k[2]; k2++, t++) {
                                float *row = col + (ci * T + t) * P;
                                size_t p = 0;
                                for (size_t o0 = 0; o0 < g->out[0]; o0++) {
                                    int64_t i0 = (int64_t)(o0 * g->s[0] + k0 * g->d[0]) -
                                                 (int64_t)g->pb[0];
                                    for (size_t o1 = 0; o1 < g->out[1]; o1++) {
                                        int64_t i1 = (int64_t)(o1 * g->s[1] + k1 * g->d[1]) -
                                                     (int64_t)g->pb[1];
                                        bool ok = i0 >= 0 && i0 < (int64_t)g->in[0] &&
                                                  i1 >= 0 && i1 < (int64_t)g->in[1];
                                        const float *xr = xg + ci * I +
                                            ((size_t)(ok ? i0 : 0) * g->in[1] +
                                             (size_t)(ok ? i1 : 0)) * g->in[2];
                                        int64_t base = (int64_t)(k2 * g->d[2]) -
                                                       (int64_t)g->pb[2];
                                        for (size_t o2 = 0; o2 < g->out[2]; o2++, p++) {
                                            int64_t i2 = (int64_t)(o2 * g->s[2]) + base;
                                            row[p] = ok && i2 >= 0 && i2 < (int64_t)g->in[2]
                                                         ? xr[i2] : 0.0f;
                                        }
                                    }
                                }
                            }
                }
                cols = col;
            }
            for (size_t mi = 0; mi < mg; mi++) {
                size_t oc = gi * mg + mi;
                float *orow = o + (b * m + oc) * P;
                const float *wr = w + oc * K;
                for (size_t p = 0; p < P; p++)
                    orow[p] = 0.0f;
                for (size_t k = 0; k < K; k++) {
                    float wv = wr[k];
                    const float *cr = cols + k * P;
                    for (size_t p = 0; p < P; p++)
                        orow[p] += wv * cr[p];
                }
                if (bias) {
                    float bv = bias[oc];
                    for (size_t p = 0; p < P; p++)
                        orow[p] += bv;
                }
            }
        }
    }
    mem_free(col);
    return 0;
}

static void store_q(void *out, bool out_signed, size_t i, int32_t v)
{
    if (out_signed)
        ((int8_t *)out)[i] = (int8_t)v;
    else
        ((uint8_t *)out)[i] = (uint8_t)v;
}

/* Output stage for one channel row of accumulators. */
static void finish_row(const struct interp_requant *rq, const int32_t *acc, size_t P,
                       size_t ch, void *out, bool out_signed, size_t base)
{
    if (!rq) {
        memcpy((int32_t *)out + base, acc, P * sizeof *acc);
        return;
    }
    if (rq->arith == INTERP_ARITH_ONNX) {
        /* ORT/MLAS: float(acc) * scale, clamp in float, round half to even, + zp */
        float s = rq->scale[rq->n > 1 ? ch : 0];
        float lo = (float)(rq->qmin - rq->zp), hi = (float)(rq->qmax - rq->zp);
        for (size_t p = 0; p < P; p++) {
            float f = (float)acc[p] * s;
            f = f < lo ? lo : f > hi ? hi : f;
            store_q(out, out_signed, base + p, (int32_t)nearbyintf(f) + rq->zp);
        }
        return;
    }
    for (size_t p = 0; p < P; p++)
        store_q(out, out_signed, base + p, interp_requant(rq, acc[p], ch));
}

/* im2col in (tap, channel) order with raw values and x_zp in the padding (ORT's layout). */
static void im2col_tap_major(const struct interp_kgeom *g, const uint8_t *x, size_t cg, size_t I,
                             int16_t *col, int16_t pad)
{
    size_t P = n_out(g), T = n_taps(g);
    int16_t *tmp = col;
    for (size_t ci = 0; ci < cg; ci++) {
        /* rows t*cg + ci: fill through a per-channel pass with a row stride of cg rows */
        size_t t = 0;
        for (size_t k0 = 0; k0 < g->k[0]; k0++)
            for (size_t k1 = 0; k1 < g->k[1]; k1++)
                for (size_t k2 = 0; k2 < g->k[2]; k2++, t++) {
                    int16_t *row = tmp + (t * cg + ci) * P;
                    size_t p = 0;
                    for (size_t o0 = 0; o0 < g->out[0]; o0++) {
                        int64_t i0 = (int64_t)(o0 * g->s[0] + k0 * g->d[0]) - (int64_t)g->pb[0];
                        for (size_t o1 = 0; o1 < g->out[1]; o1++) {
                            int64_t i1 = (int64_t)(o1 * g->s[1] + k1 * g->d[1]) -
                                         (int64_t)g->pb[1];
                            bool ok = i0 >= 0 && i0 < (int64_t)g->in[0] && i1 >= 0 &&
                                      i1 < (int64_t)g->in[1];
                            const uint8_t *xr = x + ci * I +
                                ((size_t)(ok ? i0 : 0) * g->in[1] + (size_t)(ok ? i1 : 0)) *
                                    g->in[2];
                            int64_t base = (int64_t)(k2 * g->d[2]) - (int64_t)g->pb[2];
                            for (size_t o2 = 0; o2 < g->out[2]; o2++, p++) {
                                int64_t i2 = (int64_t)(o2 * g->s[2]) + base;
                                row[p] = ok && i2 >= 0 && i2 < (int64_t)g->in[2]
                                             ? (int16_t)xr[i2] : pad;
                            }
                        }
                    }
                }
    }
    (void)T;
}

static int16_t sat16(int32_t v)
{
    return (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v);
}

#define TILE 512

int interp_k_conv_q8(const struct interp_qconv *q, struct errbuf *eb)
{
    const struct interp_kgeom *g = &q->geom;
    size_t P = n_out(g), T = n_taps(g), I = n_in(g);
    size_t cg = q->c / q->groups, mg = q->m / q->groups, K = cg * T;
    /* ORT runs depthwise convolutions (one channel per group) through its exact
       MlasConvDepthwise kernel, not the GEMM */
    bool pairs = q->ort_u8s8_pairs && !q->x_signed && q->w_signed && !(cg == 1 && mg == 1);
    size_t Kp = pairs ? K + (K & 1) : K;    /* an odd K gets a zero tap to close the pair */
    size_t col_bytes, w_bytes;
    if (!size_mul(Kp, P, &col_bytes) || !size_mul(col_bytes, sizeof(int16_t), &col_bytes) ||
        !size_mul(Kp, q->m, &w_bytes) || !size_mul(w_bytes, sizeof(int16_t), &w_bytes))
        return errbuf_set(eb, ST_ELIMIT, "convolution too large");
    int16_t *col = mem_calloc(1, col_bytes ? col_bytes : 1);
    int16_t *wq = mem_calloc(1, w_bytes ? w_bytes : 1);
    int32_t *acc = mem_alloc((P ? P : 1) * sizeof *acc);
    int32_t *wsum = mem_calloc(q->m ? q->m : 1, sizeof *wsum);
    if (!col || !wq || !acc || !wsum) {
        mem_free(col);
        mem_free(wq);
        mem_free(acc);
        mem_free(wsum);
        return errbuf_set(eb, ST_ENOMEM, "out of memory for im2col");
    }
    for (size_t oc = 0; oc < q->m; oc++)
        for (size_t k = 0; k < K; k++) {
            int32_t wv = q->w_signed ? ((const int8_t *)q->w)[oc * K + k]
                                     : ((const uint8_t *)q->w)[oc * K + k];
            if (pairs) {
                /* weights stored [m][c][taps]; ORT's K runs over (tap, c) */
                size_t ci = k / T, t = k % T;
                wq[oc * Kp + t * cg + ci] = (int16_t)wv;
                wsum[oc] += wv - q->w_zp[oc];
            } else {
                wq[oc * K + k] = (int16_t)(wv - q->w_zp[oc]);
            }
        }
    for (size_t b = 0; b < q->n; b++) {
        for (size_t gi = 0; gi < q->groups; gi++) {
            size_t x_off = (b * q->c + gi * cg) * I;
            if (pairs) {
                im2col_tap_major(g, (const uint8_t *)q->x + x_off, cg, I, col,
                                 (int16_t)q->x_zp);
            } else {
                for (size_t ci = 0; ci < cg; ci++) {
                    if (q->x_signed)
                        im2col_s8(g, (const int8_t *)q->x + x_off + ci * I, col + ci * T * P, 0,
                                  q->x_zp);
                    else
                        im2col_u8(g, (const uint8_t *)q->x + x_off + ci * I, col + ci * T * P,
                                  0, q->x_zp);
                }
            }
            for (size_t mi = 0; mi < mg; mi++) {
                size_t oc = gi * mg + mi;
                const int16_t *wr = wq + oc * Kp;
                int32_t bv = q->bias ? q->bias[oc] : 0;
                if (pairs) {
                    /* acc = sum pairs(raw x * w) - x_zp * sum(w - w_zp) - w_zp * sum(x);
                       w_zp is checked to be 0 by the caller for this path */
                    bv -= q->x_zp * wsum[oc];
                }
                for (size_t p0 = 0; p0 < P; p0 += TILE) {
                    size_t pn = P - p0 < TILE ? P - p0 : TILE;
                    int32_t *a = acc + p0;
                    for (size_t p = 0; p < pn; p++)
                        a[p] = bv;
                    if (pairs) {
                        for (size_t k = 0; k < Kp; k += 2) {
                            int32_t w0 = wr[k], w1 = wr[k + 1];
                            const int16_t *c0 = col + k * P + p0, *c1 = c0 + P;
                            for (size_t p = 0; p < pn; p++)
                                a[p] += sat16(w0 * (int32_t)c0[p] + w1 * (int32_t)c1[p]);
                        }
                        continue;
                    }
                    for (size_t k = 0; k < K; k++) {
                        int32_t wv = wr[k];
                        if (wv == 0)
                            continue;
                        const int16_t *cr = col + k * P + p0;
                        for (size_t p = 0; p < pn; p++)
                            a[p] += wv * (int32_t)cr[p];
                    }
                }
                finish_row(q->rq, acc, P, oc, q->out, q->out_signed, (b * q->m + oc) * P);
            }
        }
    }
    mem_free(col);
    mem_free(wq);
    mem_free(acc);
    mem_free(wsum);
    return 0;
}

void interp_k_matmul_q8(const struct interp_mm *mm, const void *a, bool a_signed, int32_t a_zp,
                        const void *b, bool b_signed, const int32_t *b_zp,
                        const struct interp_requant *rq, void *o, bool out_signed,
                        bool ort_u8s8_pairs)
{
    size_t M = mm->m, N = mm->n, K = mm->k;
    bool pairs = ort_u8s8_pairs && !a_signed && b_signed;
    for (size_t j = 0; pairs && j < N; j++)
        pairs = b_zp[j] == 0;
    FOR_BATCH(mm, {
        const uint8_t *au = (const uint8_t *)a + oa;
        const int8_t *as = (const int8_t *)a + oa;
        const uint8_t *bu = (const uint8_t *)b + ob;
        const int8_t *bs = (const int8_t *)b + ob;
        for (size_t i = 0; i < M; i++) {
            for (size_t j = 0; j < N; j++) {
                int32_t acc = 0;
                if (pairs) {
                    int32_t bsum = 0;
                    for (size_t k = 0; k < K; k += 2) {
                        int32_t s = (int32_t)au[i * K + k] * bs[k * N + j];
                        bsum += bs[k * N + j];
                        if (k + 1 < K) {
                            s += (int32_t)au[i * K + k + 1] * bs[(k + 1) * N + j];
                            bsum += bs[(k + 1) * N + j];
                        }
                        acc += s < -32768 ? -32768 : s > 32767 ? 32767 : s;
                    }
                    acc -= a_zp * bsum;
                } else {
                    for (size_t k = 0; k < K; k++) {
                        int32_t av = a_signed ? as[i * K + k] : au[i * K + k];
                        int32_t bv = b_signed ? bs[k * N + j] : bu[k * N + j];
                        acc += (av - a_zp) * (bv - b_zp[j]);
                    }
                }
                size_t io = bi * M * N + i * N + j;
                if (!rq)
                    ((int32_t *)o)[io] = acc;
                else
                    store_q(o, out_signed, io, interp_requant(rq, acc, j));
            }
        }
    });
}

#define MAXPOOL(T, NAME, LOWEST)                                                          \
    void NAME(const struct interp_kgeom *g, size_t planes, const T *x, T *o)              \
    {                                                                                     \
        size_t I = n_in(g), P = n_out(g);                                                 \
        for (size_t pl = 0; pl < planes; pl++) {                                          \
            const T *xp = x + pl * I;                                                     \
            T *op = o + pl * P;                                                           \
            size_t p = 0;                                                                 \
            for (size_t o0 = 0; o0 < g->out[0]; o0++)                                     \
                for (size_t o1 = 0; o1 < g->out[1]; o1++)                                 \
                    for (size_t o2 = 0; o2 < g->out[2]; o2++, p++) {                      \
                        T best = LOWEST;                                                  \
                        for (size_t k0 = 0; k0 < g->k[0]; k0++) {                         \
                            int64_t i0 = (int64_t)(o0 * g->s[0] + k0 * g->d[0]) -         \
                                         (int64_t)g->pb[0];                               \
                            if (i0 < 0 || i0 >= (int64_t)g->in[0])                        \
                                continue;                                                 \
                            for (size_t k1 = 0; k1 < g->k[1]; k1++) {                     \
                                int64_t i1 = (int64_t)(o1 * g->s[1] + k1 * g->d[1]) -     \
                                             (int64_t)g->pb[1];                           \
                                if (i1 < 0 || i1 >= (int64_t)g->in[1])                    \
                                    continue;                                             \
                                for (size_t k2 = 0; k2 < g->k[2]; k2++) {                 \
                                    int64_t i2 = (int64_t)(o2 * g->s[2] + k2 * g->d[2]) - \
                                                 (int64_t)g->pb[2];                       \
                                    if (i2 < 0 || i2 >= (int64_t)g->in[2])                \
                                        continue;                                         \
                                    T v = xp[((size_t)i0 * g->in[1] + (size_t)i1) *       \
                                                 g->in[2] + (size_t)i2];                  \
                                    best = v > best ? v : best;                           \
                                }                                                         \
                            }                                                             \
                        }                                                                 \
                        op[p] = best;                                                     \
                    }                                                                     \
        }                                                                                 \
    }

MAXPOOL(float, interp_k_maxpool_f32, -INFINITY)
MAXPOOL(uint8_t, interp_k_maxpool_u8, 0)
MAXPOOL(int8_t, interp_k_maxpool_s8, -128)

void interp_k_avgpool_f32(const struct interp_kgeom *g, size_t planes, bool include_pad,
                          const int64_t *pe, const float *x, float *o)
{
    size_t I = n_in(g), P = n_out(g);
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x + pl * I;
        float *op = o + pl * P;
        size_t p = 0;
        for (size_t o0 = 0; o0 < g->out[0]; o0++)
            for (size_t o1 = 0; o1 < g->out[1]; o1++)
                for (size_t o2 = 0; o2 < g->out[2]; o2++, p++) {
                    float sum = 0.0f;
                    size_t cnt = 0, cnt_pad = 0;
                    size_t oo[3] = {o0, o1, o2};
                    for (size_t k0 = 0; k0 < g->k[0]; k0++)
                        for (size_t k1 = 0; k1 < g->k[1]; k1++)
                            for (size_t k2 = 0; k2 < g->k[2]; k2++) {
                                size_t kk[3] = {k0, k1, k2};
                                bool in = true, in_pad = true;
                                int64_t ii[3];
                                for (int j = 0; j < 3; j++) {
                                    ii[j] = (int64_t)(oo[j] * g->s[j] + kk[j] * g->d[j]) -
                                            (int64_t)g->pb[j];
                                    if (ii[j] < 0 || ii[j] >= (int64_t)g->in[j])
                                        in = false;
                                    if (ii[j] < -(int64_t)g->pb[j] ||
                                        ii[j] >= (int64_t)g->in[j] + (pe ? pe[j] : 0))
                                        in_pad = false;
                                }
                                if (in_pad)
                                    cnt_pad++;
                                if (!in)
                                    continue;
                                cnt++;
                                sum += xp[((size_t)ii[0] * g->in[1] + (size_t)ii[1]) *
                                              g->in[2] + (size_t)ii[2]];
                            }
                    size_t div = include_pad ? cnt_pad : cnt;
                    op[p] = div ? sum / (float)div : 0.0f;
                }
    }
}
