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
#include "ref/fixedpoint.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_ADDRESS__)
#include <immintrin.h>
#define INTERP_HAVE_AVX2_GEMM 1
#endif

#include "banned.h"

#define TILE_Q 256      /* output pixels per tile: 4 channels x 256 x 4 bytes stay in L1 */

/* Hot loops get an AVX2 clone on x86-64 (chosen at load time), like ONNX Runtime's kernels. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define INTERP_HOT __attribute__((target_clones("avx2", "default")))
#else
#define INTERP_HOT
#endif

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
/* The o2 range [lo, hi) whose input index o2*s + base lies in [0, n). */
static inline void inner_range(size_t out, size_t s, int64_t base, int64_t n, size_t *lo,
                               size_t *hi)
{
    size_t l = base >= 0 ? 0 : (size_t)((-base + (int64_t)s - 1) / (int64_t)s);
    size_t h = n - base <= 0 ? 0 : (size_t)((n - base + (int64_t)s - 1) / (int64_t)s);
    if (h > out)
        h = out;
    if (l > h)
        l = h;
    *lo = l;
    *hi = h;
}

/*
 * One output row (fixed tap, o0, o1) of im2col: row[o2 * rs] = x[o2*s + base] - sub for o2 in
 * [lo, hi), pad elsewhere (ok false: the whole row is padding). rs = 2 writes the interleaved
 * tap pairs the AVX2 GEMM reads.
 */
#define IM2COL_ROW(T, C, NAME, VAL)                                                         \
    static inline void NAME(C *restrict row, size_t rs, const T *restrict xr, bool ok,      \
                            size_t out, size_t s, int64_t base, size_t lo, size_t hi, C pad,\
                            int32_t sub)                                                    \
    {                                                                                       \
        if (!ok) {                                                                          \
            lo = 0;                                                                         \
            hi = 0;                                                                         \
        }                                                                                   \
        for (size_t o = 0; o < lo; o++)                                                     \
            row[o * rs] = pad;                                                              \
        const T *src = xr + base + (int64_t)(lo * s);                                       \
        if (s == 1 && rs == 1) {                                                            \
            for (size_t o = lo; o < hi; o++)                                                \
                row[o] = VAL(src[o - lo], sub);                                             \
        } else if (s == 1) {                                                                \
            for (size_t o = lo; o < hi; o++)                                                \
                row[o * rs] = VAL(src[o - lo], sub);                                        \
        } else {                                                                            \
            for (size_t o = lo; o < hi; o++)                                                \
                row[o * rs] = VAL(src[(o - lo) * s], sub);                                  \
        }                                                                                   \
        for (size_t o = hi; o < out; o++)                                                   \
            row[o * rs] = pad;                                                              \
    }

#define VAL_Q(v, sub) ((int16_t)((int32_t)(v) - (sub)))
#define VAL_F(v, sub) ((void)(sub), (v))   /* floats are copied exactly */
IM2COL_ROW(uint8_t, int16_t, row_u8, VAL_Q)
IM2COL_ROW(int8_t, int16_t, row_s8, VAL_Q)
IM2COL_ROW(float, float, row_f32, VAL_F)

/*
 * im2col of one channel plane: tap t goes to col + t * tap_step with element stride rs
 * (rs = 1, tap_step = P: plain rows; the interleaved layout passes its own via dst()).
 */
#define IM2COL(T, C, NAME, ROW)                                                             \
    static void NAME(const struct interp_kgeom *g, const T *x, C *col, size_t first_k,      \
                     bool pairs, C pad, int32_t sub)                                        \
    {                                                                                       \
        size_t P = n_out(g);                                                                \
        size_t t = 0;                                                                       \
        for (size_t k0 = 0; k0 < g->k[0]; k0++)                                             \
            for (size_t k1 = 0; k1 < g->k[1]; k1++)                                         \
                for (size_t k2 = 0; k2 < g->k[2]; k2++, t++) {                              \
                    size_t k = first_k + t, rs = pairs ? 2 : 1;                             \
                    C *row = pairs ? col + (k / 2) * P * 2 + (k & 1) : col + k * P;         \
                    int64_t base = (int64_t)(k2 * g->d[2]) - (int64_t)g->pb[2];             \
                    size_t lo, hi;                                                          \
                    inner_range(g->out[2], g->s[2], base, (int64_t)g->in[2], &lo, &hi);     \
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
                            ROW(row, rs, xr, in1, g->out[2], g->s[2], base, lo, hi, pad,    \
                                sub);                                                       \
                            row += g->out[2] * rs;                                          \
                        }                                                                   \
                    }                                                                       \
                }                                                                           \
    }

IM2COL(uint8_t, int16_t, im2col_u8, row_u8)
IM2COL(int8_t, int16_t, im2col_s8, row_s8)
IM2COL(float, float, im2col_f32, row_f32)

/*
 * out[m][p] = bias[m] + sum_k w[m][k] * col[k][p], four output channels at a time so each
 * col row is loaded once per four; the p loop vectorises. Per output the sum runs in k order.
 */
INTERP_HOT static void gemm_f32(float *restrict out, const float *restrict w,
                                const float *restrict col, const float *restrict bias,
                                size_t M, size_t K, size_t P)
{
    size_t m = 0;
    for (; m + 4 <= M; m += 4) {
        float *restrict o0 = out + m * P, *restrict o1 = o0 + P, *restrict o2 = o1 + P,
                        *restrict o3 = o2 + P;
        for (size_t p = 0; p < P; p++)
            o0[p] = o1[p] = o2[p] = o3[p] = 0.0f;
        const float *w0 = w + m * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
        for (size_t k = 0; k < K; k++) {
            const float *restrict c = col + k * P;
            float a0 = w0[k], a1 = w1[k], a2 = w2[k], a3 = w3[k];
            for (size_t p = 0; p < P; p++) {
                float v = c[p];
                o0[p] += a0 * v;
                o1[p] += a1 * v;
                o2[p] += a2 * v;
                o3[p] += a3 * v;
            }
        }
    }
    for (; m < M; m++) {
        float *restrict o0 = out + m * P;
        for (size_t p = 0; p < P; p++)
            o0[p] = 0.0f;
        for (size_t k = 0; k < K; k++) {
            const float *restrict c = col + k * P;
            float a0 = w[m * K + k];
            for (size_t p = 0; p < P; p++)
                o0[p] += a0 * c[p];
        }
    }
    if (bias)
        for (m = 0; m < M; m++)
            for (size_t p = 0; p < P; p++)
                out[m * P + p] += bias[m];
}

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
                for (size_t ci = 0; ci < cg; ci++)
                    im2col_f32(g, xg + ci * I, col, ci * T, false, 0.0f, 0);
                cols = col;
            }
            gemm_f32(o + (b * m + gi * mg) * P, w + gi * mg * K, cols, bias ? bias + gi * mg : NULL,
                     mg, K, P);
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
INTERP_HOT static void finish_row(const struct interp_requant *rq, const int32_t *restrict acc,
                                  size_t P, size_t ch, void *out, bool out_signed, size_t base)
{
    if (!rq) {
        memcpy((int32_t *)out + base, acc, P * sizeof *acc);
        return;
    }
    int32_t v[TILE_Q];
    size_t c = rq->n > 1 ? ch : 0;
    for (size_t p0 = 0; p0 < P; p0 += TILE_Q) {
        size_t pn = P - p0 < TILE_Q ? P - p0 : TILE_Q;
        const int32_t *a = acc + p0;
        switch (rq->arith) {
        case INTERP_ARITH_ONNX: {
            /* ORT/MLAS: float(acc) * scale, clamp in float, round half to even, + zp */
            float sc = rq->scale[c], big = 12582912.0f;
            float lo = (float)(rq->qmin - rq->zp), hi = (float)(rq->qmax - rq->zp);
            for (size_t p = 0; p < pn; p++) {
                float f = (float)a[p] * sc;
                f = f < lo ? lo : f > hi ? hi : f;
                v[p] = (int32_t)((f + big) - big) + rq->zp;
            }
            break;
        }
        case INTERP_ARITH_TFLM:
            if (!rq->single_rounding && rq->shift[c] <= 0 && rq->shift[c] >= -31) {
                /* arm_nn_requantize for right shifts 0..31 without branches, so it
                   vectorises: same value as ref_requantize_cmsis (tested) */
                int64_t M = rq->mult[c];
                int32_t rs = -rq->shift[c];
                int32_t mask = (int32_t)(((uint32_t)1 << rs) - 1u), half = mask >> 1;
                for (size_t p = 0; p < pn; p++) {
                    int32_t h = (int32_t)(((int64_t)a[p] * M + ((int64_t)1 << 30)) >> 31);
                    int32_t q = h >> rs;
                    int32_t thr = half + (q < 0);
                    v[p] = q + ((h & mask) > thr);
                }
            } else if (rq->single_rounding)
                for (size_t p = 0; p < pn; p++)
                    v[p] = ref_requantize_cmsis_single(a[p], rq->mult[c], rq->shift[c]);
            else
                for (size_t p = 0; p < pn; p++)
                    v[p] = ref_requantize_cmsis(a[p], rq->mult[c], rq->shift[c]);
            for (size_t p = 0; p < pn; p++) {
                int32_t t = ref_add_wrap(v[p], rq->zp);
                v[p] = t < rq->qmin ? rq->qmin : t > rq->qmax ? rq->qmax : t;
            }
            break;
        case INTERP_ARITH_TVM:
        default:
            for (size_t p = 0; p < pn; p++) {
                int32_t t = ref_add_wrap(ref_q_multiply_shift_tvm(a[p], rq->mult[c],
                                                                  rq->shift[c]), rq->zp);
                v[p] = t < rq->qmin ? rq->qmin : t > rq->qmax ? rq->qmax : t;
            }
            break;
        }
        if (out_signed) {
            int8_t *o = (int8_t *)out + base + p0;
            for (size_t p = 0; p < pn; p++)
                o[p] = (int8_t)v[p];
        } else {
            uint8_t *o = (uint8_t *)out + base + p0;
            for (size_t p = 0; p < pn; p++)
                o[p] = (uint8_t)v[p];
        }
    }
}

/*
 * acc[m][p] = bias[m] + sum_k w[m][k] * col[k][p] for M channels, four at a time over tiles
 * of p, so each col tile is read once per four channels. Exact int32 arithmetic.
 */
INTERP_HOT static void gemm_q8(int32_t *restrict acc, const int16_t *restrict w,
                               const int16_t *restrict col, const int32_t *bias, size_t M,
                               size_t K, size_t P)
{
    for (size_t p0 = 0; p0 < P; p0 += TILE_Q) {
        size_t pn = P - p0 < TILE_Q ? P - p0 : TILE_Q;
        size_t m = 0;
        for (; m + 4 <= M; m += 4) {
            int32_t *restrict a0 = acc + m * P + p0, *restrict a1 = a0 + P,
                              *restrict a2 = a1 + P, *restrict a3 = a2 + P;
            int32_t b0 = bias ? bias[m] : 0, b1 = bias ? bias[m + 1] : 0,
                    b2 = bias ? bias[m + 2] : 0, b3 = bias ? bias[m + 3] : 0;
            for (size_t p = 0; p < pn; p++) {
                a0[p] = b0;
                a1[p] = b1;
                a2[p] = b2;
                a3[p] = b3;
            }
            const int16_t *w0 = w + m * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
            for (size_t k = 0; k < K; k++) {
                const int16_t *restrict c = col + k * P + p0;
                int32_t x0 = w0[k], x1 = w1[k], x2 = w2[k], x3 = w3[k];
                for (size_t p = 0; p < pn; p++) {
                    int32_t v = c[p];
                    a0[p] += x0 * v;
                    a1[p] += x1 * v;
                    a2[p] += x2 * v;
                    a3[p] += x3 * v;
                }
            }
        }
        for (; m < M; m++) {
            int32_t *restrict a0 = acc + m * P + p0;
            int32_t b0 = bias ? bias[m] : 0;
            for (size_t p = 0; p < pn; p++)
                a0[p] = b0;
            for (size_t k = 0; k < K; k++) {
                const int16_t *restrict c = col + k * P + p0;
                int32_t x0 = w[m * K + k];
                for (size_t p = 0; p < pn; p++)
                    a0[p] += x0 * (int32_t)c[p];
            }
        }
    }
}

#ifdef INTERP_HAVE_AVX2_GEMM

/*
 * gemm_q8 with AVX2 vpmaddwd: col2 holds tap pairs interleaved ([K2][P][2] int16), wp the
 * weight pairs packed into int32 ([M][K2]). vpmaddwd's pair sums are exact here (|x - zp|
 * and |w - zp| <= 255), so the result equals gemm_q8's. 4 channels x 16 pixels per block,
 * accumulators in registers.
 */
__attribute__((target("avx2"))) static void gemm_q8_avx2(int32_t *restrict acc,
                                                         const int32_t *restrict wp,
                                                         const int16_t *restrict col2,
                                                         const int32_t *bias, size_t M,
                                                         size_t K2, size_t P)
{
    size_t m = 0;
    for (; m + 4 <= M; m += 4) {
        const int32_t *w0 = wp + m * K2, *w1 = w0 + K2, *w2 = w1 + K2, *w3 = w2 + K2;
        size_t p = 0;
        for (; p + 16 <= P; p += 16) {
            __m256i a00 = _mm256_set1_epi32(bias ? bias[m] : 0), a01 = a00;
            __m256i a10 = _mm256_set1_epi32(bias ? bias[m + 1] : 0), a11 = a10;
            __m256i a20 = _mm256_set1_epi32(bias ? bias[m + 2] : 0), a21 = a20;
            __m256i a30 = _mm256_set1_epi32(bias ? bias[m + 3] : 0), a31 = a30;
            for (size_t k = 0; k < K2; k++) {
                const int16_t *c = col2 + (k * P + p) * 2;
                __m256i c0 = _mm256_loadu_si256((const __m256i *)c);
                __m256i c1 = _mm256_loadu_si256((const __m256i *)(c + 16));
                __m256i v = _mm256_set1_epi32(w0[k]);
                a00 = _mm256_add_epi32(a00, _mm256_madd_epi16(c0, v));
                a01 = _mm256_add_epi32(a01, _mm256_madd_epi16(c1, v));
                v = _mm256_set1_epi32(w1[k]);
                a10 = _mm256_add_epi32(a10, _mm256_madd_epi16(c0, v));
                a11 = _mm256_add_epi32(a11, _mm256_madd_epi16(c1, v));
                v = _mm256_set1_epi32(w2[k]);
                a20 = _mm256_add_epi32(a20, _mm256_madd_epi16(c0, v));
                a21 = _mm256_add_epi32(a21, _mm256_madd_epi16(c1, v));
                v = _mm256_set1_epi32(w3[k]);
                a30 = _mm256_add_epi32(a30, _mm256_madd_epi16(c0, v));
                a31 = _mm256_add_epi32(a31, _mm256_madd_epi16(c1, v));
            }
            int32_t *o = acc + m * P + p;
            _mm256_storeu_si256((__m256i *)o, a00);
            _mm256_storeu_si256((__m256i *)(o + 8), a01);
            _mm256_storeu_si256((__m256i *)(o + P), a10);
            _mm256_storeu_si256((__m256i *)(o + P + 8), a11);
            _mm256_storeu_si256((__m256i *)(o + 2 * P), a20);
            _mm256_storeu_si256((__m256i *)(o + 2 * P + 8), a21);
            _mm256_storeu_si256((__m256i *)(o + 3 * P), a30);
            _mm256_storeu_si256((__m256i *)(o + 3 * P + 8), a31);
        }
        for (; p < P; p++)
            for (size_t j = 0; j < 4; j++) {
                int32_t s = bias ? bias[m + j] : 0;
                for (size_t k = 0; k < K2; k++) {
                    int32_t w = wp[(m + j) * K2 + k];
                    const int16_t *c = col2 + (k * P + p) * 2;
                    s += (int32_t)c[0] * (int16_t)(w & 0xffff) + (int32_t)c[1] * (w >> 16);
                }
                acc[(m + j) * P + p] = s;
            }
    }
    for (; m < M; m++) {
        for (size_t p = 0; p < P; p++) {
            int32_t s = bias ? bias[m] : 0;
            for (size_t k = 0; k < K2; k++) {
                int32_t w = wp[m * K2 + k];
                const int16_t *c = col2 + (k * P + p) * 2;
                s += (int32_t)c[0] * (int16_t)(w & 0xffff) + (int32_t)c[1] * (w >> 16);
            }
            acc[m * P + p] = s;
        }
    }
}
#endif

/* As gemm_q8 for ORT's U8S8 AVX2 emulation: taps k, k+1 summed in int16 with saturation. */
INTERP_HOT static void gemm_q8_pairs(int32_t *restrict acc, const int16_t *restrict w,
                                     const int16_t *restrict col, const int32_t *bias, size_t M,
                                     size_t K, size_t P)
{
    for (size_t m = 0; m < M; m++) {
        int32_t *restrict a = acc + m * P;
        int32_t b0 = bias ? bias[m] : 0;
        for (size_t p = 0; p < P; p++)
            a[p] = b0;
        for (size_t k = 0; k < K; k += 2) {
            int32_t w0 = w[m * K + k], w1 = w[m * K + k + 1];
            const int16_t *restrict c0 = col + k * P, *restrict c1 = c0 + P;
            for (size_t p = 0; p < P; p++) {
                int32_t v = w0 * (int32_t)c0[p] + w1 * (int32_t)c1[p];
                a[p] += v < -32768 ? -32768 : v > 32767 ? 32767 : v;
            }
        }
    }
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



void *interp_kbuf_get(struct interp_kbuf *b, size_t bytes)
{
    if (bytes == 0)
        bytes = 1;
    if (b->bytes < bytes) {
        void *p = mem_alloc(bytes);
        if (!p)
            return NULL;
        mem_free(b->p);
        b->p = p;
        b->bytes = bytes;
    }
    return b->p;
}

void interp_kbuf_release(struct interp_kbuf *b)
{
    mem_free(b->p);
    b->p = NULL;
    b->bytes = 0;
}

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
    size_t acc_n;
    if (!size_mul(mg ? mg : 1, P ? P : 1, &acc_n) || acc_n > SIZE_MAX / sizeof(int32_t))
        return errbuf_set(eb, ST_ELIMIT, "convolution too large");
    struct interp_kbuf *sb = q->scratch;
    int16_t *col = interp_kbuf_get(&sb[0], col_bytes);
    int16_t *wq = interp_kbuf_get(&sb[1], w_bytes);
    int32_t *acc = interp_kbuf_get(&sb[2], acc_n * sizeof *acc);
    int32_t *wsum = interp_kbuf_get(&sb[3], 2 * (q->m ? q->m : 1) * sizeof *wsum);
    if (!col || !wq || !acc || !wsum)
        return errbuf_set(eb, ST_ENOMEM, "out of memory for im2col");
    int32_t *bias_adj = wsum + (q->m ? q->m : 1);
    memset(wsum, 0, (q->m ? q->m : 1) * sizeof *wsum);
    memset(wq, 0, w_bytes);
    if (Kp > K)     /* the zero tap closing an odd pair */
        memset(col + K * P, 0, (Kp - K) * P * sizeof *col);
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
    /* the pairs path works on raw x: take x_zp * sum(w) back out through the bias */
    for (size_t oc = 0; oc < q->m; oc++)
        bias_adj[oc] = (q->bias ? q->bias[oc] : 0) - (pairs ? q->x_zp * wsum[oc] : 0);
    /* AVX2: tap pairs for vpmaddwd (col2, wpk); NULL = the portable loops */
    size_t K2 = (K + 1) / 2;
    int16_t *col2 = NULL;
    int32_t *wpk = NULL;
#ifdef INTERP_HAVE_AVX2_GEMM
    if (!pairs && __builtin_cpu_supports("avx2")) {
        col2 = interp_kbuf_get(&sb[4], K2 * 2 * (P ? P : 1) * sizeof *col2);
        wpk = interp_kbuf_get(&sb[5], K2 * (q->m ? q->m : 1) * sizeof *wpk);
        if (!col2 || !wpk) {
            col2 = NULL;
            wpk = NULL;
        } else {
            memset(wpk, 0, K2 * (q->m ? q->m : 1) * sizeof *wpk);
            if (K & 1)      /* odd K: the last pair's second tap is zero */
                for (size_t p = 0; p < P; p++)
                    col2[((K2 - 1) * P + p) * 2 + 1] = 0;
            for (size_t oc = 0; oc < q->m; oc++)
                for (size_t k = 0; k < K; k++) {
                    uint32_t h = (uint32_t)(uint16_t)wq[oc * K + k];
                    wpk[oc * K2 + k / 2] = ref_s32_from_bits(
                        (uint32_t)wpk[oc * K2 + k / 2] | (k & 1 ? h << 16 : h));
                }
        }
    }
#endif
    for (size_t b = 0; b < q->n; b++) {
        for (size_t gi = 0; gi < q->groups; gi++) {
            size_t x_off = (b * q->c + gi * cg) * I;
            if (pairs) {
                im2col_tap_major(g, (const uint8_t *)q->x + x_off, cg, I, col,
                                 (int16_t)q->x_zp);
            } else {
                /* straight into the interleaved pairs when the AVX2 GEMM runs */
                int16_t *dst = col2 ? col2 : col;
                for (size_t ci = 0; ci < cg; ci++) {
                    if (q->x_signed)
                        im2col_s8(g, (const int8_t *)q->x + x_off + ci * I, dst, ci * T,
                                  col2 != NULL, 0, q->x_zp);
                    else
                        im2col_u8(g, (const uint8_t *)q->x + x_off + ci * I, dst, ci * T,
                                  col2 != NULL, 0, q->x_zp);
                }
            }
            int32_t *bg = bias_adj + gi * mg;
            if (pairs) {
                gemm_q8_pairs(acc, wq + gi * mg * Kp, col, bg, mg, Kp, P);
            } else if (col2) {
#ifdef INTERP_HAVE_AVX2_GEMM
                gemm_q8_avx2(acc, wpk + gi * mg * K2, col2, bg, mg, K2, P);
#endif
            } else {
                gemm_q8(acc, wq + gi * mg * Kp, col, bg, mg, Kp, P);
            }
            for (size_t mi = 0; mi < mg; mi++) {
                size_t oc = gi * mg + mi;
                finish_row(q->rq, acc + mi * P, P, oc, q->out, q->out_signed,
                           (b * q->m + oc) * P);
            }
        }
    }
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


INTERP_HOT void interp_k_quantize(const float *x, void *out, bool is_signed, size_t len,
                                  float scale, int32_t zp)
{
    float lo = (float)((is_signed ? -128 : 0) - zp), hi = (float)((is_signed ? 127 : 255) - zp);
    /* round half to even without a libm call: adding 1.5 * 2^23 leaves no fraction bits and
       the FPU rounds to nearest even (valid after the clamp, |v| < 2^22), as MLAS does */
    float big = 12582912.0f;
    if (is_signed) {
        int8_t *restrict o = out;
        for (size_t i = 0; i < len; i++) {
            float v = x[i] / scale;
            v = v < lo ? lo : v > hi ? hi : v;  /* NaN stays NaN and becomes zp below */
            v = (v + big) - big;
            o[i] = (int8_t)((int32_t)v + zp);
        }
    } else {
        uint8_t *restrict o = out;
        for (size_t i = 0; i < len; i++) {
            float v = x[i] / scale;
            v = v < lo ? lo : v > hi ? hi : v;
            v = (v + big) - big;
            o[i] = (uint8_t)((int32_t)v + zp);
        }
    }
}

INTERP_HOT void interp_k_dequantize(const void *x, bool is_signed, float *out, size_t len,
                                    float scale, int32_t zp)
{
    if (is_signed) {
        const int8_t *restrict p = x;
        for (size_t i = 0; i < len; i++)
            out[i] = (float)((int32_t)p[i] - zp) * scale;
    } else {
        const uint8_t *restrict p = x;
        for (size_t i = 0; i < len; i++)
            out[i] = (float)((int32_t)p[i] - zp) * scale;
    }
}

/* arm_nn_requantize (double rounding) for any shift, branch-free for shifts in [-31, 0]. */
static inline int32_t rq_double(int32_t x, int32_t m, int32_t sh)
{
    if (sh > 0 || sh < -31)
        return ref_requantize_cmsis(x, m, sh);
    int32_t rs = -sh;
    int32_t mask = (int32_t)(((uint32_t)1 << rs) - 1u);
    int32_t h = (int32_t)(((int64_t)x * m + ((int64_t)1 << 30)) >> 31);
    int32_t q = h >> rs;
    return q + ((h & mask) > ((mask >> 1) + (q < 0)));
}

INTERP_HOT void interp_k_add_q8_tflm(const void *a, const void *b, void *out, bool is_signed,
                                     size_t n, const int32_t *m, const int32_t *sh,
                                     const int32_t *zp, int32_t left_shift, int32_t lo,
                                     int32_t hi)
{
    for (size_t i = 0; i < n; i++) {
        int32_t va = is_signed ? ((const int8_t *)a)[i] : ((const uint8_t *)a)[i];
        int32_t vb = is_signed ? ((const int8_t *)b)[i] : ((const uint8_t *)b)[i];
        /* (x - zp) << 20 fits: |x - zp| <= 255 */
        int32_t a2 = rq_double((va - zp[0]) * (1 << left_shift), m[0], sh[0]);
        int32_t b2 = rq_double((vb - zp[1]) * (1 << left_shift), m[1], sh[1]);
        int32_t r = rq_double(a2 + b2, m[2], sh[2]) + zp[2];
        r = r < lo ? lo : r > hi ? hi : r;
        if (is_signed)
            ((int8_t *)out)[i] = (int8_t)r;
        else
            ((uint8_t *)out)[i] = (uint8_t)r;
    }
}
