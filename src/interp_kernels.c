/*
 * Fast kernels for the interpreter (see interp_kernels.h and docs/interp.md, "How the
 * convolution kernels are built"): convolutions become GEMMs over shifted views of phase
 * planes (im2col where those do not apply), with AVX2 vpmaddwd for 8-bit data and FMA chains
 * in MLAS's order for floats; portable loops elsewhere. Integer accumulation is exact, so the
 * order of summation does not change results; each path is tested against ref/.
 */
#include "interp_kernels.h"

#include <math.h>
#include <string.h>

#include "mem.h"
#include "ref/fixedpoint.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define INTERP_HAVE_AVX2_GEMM 1
#endif

#include "banned.h"

#define TILE_Q 256      /* output pixels per tile: 4 channels x 256 x 4 bytes stay in L1 */
#define SGEMM_KBLOCK 256    /* MLAS SGEMM's K block on x86-64 (packed B holds 256 rows) */

/* Hot loops get an AVX2 clone on x86-64 (chosen at load time), like ONNX Runtime's kernels. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__)
#define INTERP_HOT __attribute__((target_clones("avx2", "default")))
/* float GEMMs need FMA too: an always-inline body, instantiated plain and for AVX2+FMA */
#define INTERP_FMA_BODY static inline __attribute__((always_inline))
#define INTERP_FMA __attribute__((target("avx2,fma")))
#define INTERP_HAVE_FMA_CLONE 1
#else
#define INTERP_HOT
#define INTERP_FMA_BODY static inline
#endif

/*
 * Drops size-1 dims and merges neighbours that stay adjacent in the input (st[i] ==
 * st[i+1] * d[i+1]), so a permutation becomes the fewest dims possible: the ShuffleNet channel
 * shuffle [1,2,C,H,W] -> [1,C,2,H,W] is a [C,2] walk over runs of H*W elements.
 */
static int permute_coalesce(int rank, const int64_t *d, const int64_t *st, int64_t *cd,
                            int64_t *cs)
{
    int r = 0;
    for (int i = 0; i < rank; i++) {
        if (d[i] == 1)
            continue;
        if (r > 0 && cs[r - 1] == st[i] * d[i]) {
            cd[r - 1] *= d[i];
            cs[r - 1] = st[i];
            continue;
        }
        cd[r] = d[i];
        cs[r] = st[i];
        r++;
    }
    return r;
}

/* One output run of `n` elements `ist` apart in the input, by element size. */
static inline void permute_run(const char *restrict px, char *restrict po, size_t esize, size_t n,
                               int64_t ist)
{
    if (ist == 1) {
        memcpy(po, px, n * esize);
    } else if (esize == 1) {
        for (size_t j = 0; j < n; j++)
            po[j] = px[(int64_t)j * ist];
    } else if (esize == 2) {
        for (size_t j = 0; j < n; j++)
            memcpy(po + j * 2, px + (int64_t)j * ist * 2, 2);
    } else if (esize == 4) {
        for (size_t j = 0; j < n; j++)
            memcpy(po + j * 4, px + (int64_t)j * ist * 4, 4);
    } else if (esize == 8) {
        for (size_t j = 0; j < n; j++)
            memcpy(po + j * 8, px + (int64_t)j * ist * 8, 8);
    } else {
        for (size_t j = 0; j < n; j++)
            memcpy(po + j * esize, px + (int64_t)j * ist * (int64_t)esize, esize);
    }
}

void interp_k_permute(const void *x, void *o, size_t esize, int rank, const int64_t *d,
                      const int64_t *st)
{
    for (int i = 0; i < rank; i++)
        if (d[i] == 0)
            return;
    int64_t cd[GRAPH_MAX_RANK], cs[GRAPH_MAX_RANK];
    int r = permute_coalesce(rank, d, st, cd, cs);
    if (r == 0) {   /* a scalar or all size-1 dims: one element */
        memcpy(o, x, esize);
        return;
    }
    /* runs along the innermost dim: memcpy when it is contiguous in the input */
    size_t inner = (size_t)cd[r - 1];
    int64_t ist = cs[r - 1];
    size_t n = 1;
    for (int i = 0; i < r; i++)
        n *= (size_t)cd[i];
    int64_t idx[GRAPH_MAX_RANK] = {0};
    int64_t off = 0;
    const char *px = x;
    char *po = o;
    for (size_t i = 0; i < n; i += inner) {
        permute_run(px + off * (int64_t)esize, po + i * esize, esize, inner, ist);
        for (int k = r - 2; k >= 0; k--) {
            idx[k]++;
            off += cs[k];
            if (idx[k] < cd[k])
                break;
            off -= cs[k] * idx[k];
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

INTERP_FMA_BODY void gemm_f32_any(const float *a, const float *b, float *o, size_t M, size_t N,
                                  size_t K, bool ta, bool tb, float alpha)
{
    /* MLAS order as in gemm_f32: FMA chains per block of SGEMM_KBLOCK, blocks added up */
    for (size_t i = 0; i < M; i++) {
        for (size_t j = 0; j < N; j++) {
            float c = 0.0f;
            for (size_t k0 = 0; k0 < K; k0 += SGEMM_KBLOCK) {
                size_t kn = K - k0 < SGEMM_KBLOCK ? K - k0 : SGEMM_KBLOCK;
                float acc = 0.0f;
                for (size_t k = k0; k < k0 + kn; k++) {
                    float av = ta ? a[k * M + i] : a[i * K + k];
                    float bv = tb ? b[j * K + k] : b[k * N + j];
                    acc = __builtin_fmaf(av, bv, acc);
                }
                c = k0 == 0 ? acc : c + acc;
            }
            o[i * N + j] = c * alpha;
        }
    }
}

#ifdef INTERP_HAVE_FMA_CLONE
INTERP_FMA static void gemm_f32_any_fma(const float *a, const float *b, float *o, size_t M,
                                        size_t N, size_t K, bool ta, bool tb, float alpha)
{
    gemm_f32_any(a, b, o, M, N, K, ta, tb, alpha);
}
#endif

void interp_k_gemm_f32(const float *a, const float *b, float *o, size_t M, size_t N, size_t K,
                       bool ta, bool tb, float alpha)
{
#ifdef INTERP_HAVE_FMA_CLONE
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        gemm_f32_any_fma(a, b, o, M, N, K, ta, tb, alpha);
        return;
    }
#endif
    gemm_f32_any(a, b, o, M, N, K, ta, tb, alpha);
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
 * im2col of one channel plane: tap k = first_k + t goes to row k of length P (P >= the output
 * pixels), or with `pairs` to element (k & 1) of the interleaved pair row k / 2 (P pairs long),
 * the layout the AVX2 GEMM reads.
 */
#define IM2COL(T, C, NAME, ROW)                                                             \
    INTERP_HOT static void NAME(const struct interp_kgeom *g, const T *x, C *col,           \
                                size_t first_k, size_t P, bool pairs, C pad, int32_t sub)   \
    {                                                                                       \
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
 * out[m][p] = sum_k w[m][k] * col[k][p] (+ bias[m] afterwards), summed as ONNX Runtime's MLAS
 * SGEMM does on x86-64 with FMA3: a fused multiply-add chain from zero over each block of
 * SGEMM_KBLOCK taps in k order, blocks added to the output one after another, then the bias.
 * Equal rounding steps give ORT's float results bit for bit, so the QuantizeLinear after a
 * QDQ convolution rounds the same way. Four output channels at a time; p vectorises.
 */
#ifdef INTERP_HAVE_FMA_CLONE
/* One output channel, pixels [p0, P): FMA chains per 256-tap block, blocks added. */
INTERP_FMA_BODY void gemm_f32_cols(float *restrict o, const float *restrict w,
                                   const float *restrict col, size_t K, size_t P, size_t p0)
{
    for (size_t p = p0; p < P; p++) {
        float c = 0.0f;
        for (size_t k0 = 0; k0 < K; k0 += SGEMM_KBLOCK) {
            size_t k1 = K - k0 < SGEMM_KBLOCK ? K : k0 + SGEMM_KBLOCK;
            float acc = 0.0f;
            for (size_t k = k0; k < k1; k++)
                acc = __builtin_fmaf(w[k], col[k * P + p], acc);
            c = k0 == 0 ? acc : c + acc;
        }
        o[p] = c;
    }
}
#endif

INTERP_FMA_BODY void gemm_f32_body(float *restrict out, const float *restrict w,
                                   const float *restrict col, const float *restrict bias,
                                   size_t M, size_t K, size_t P)
{
    float part[4][TILE_Q];
    for (size_t p0 = 0; p0 < P; p0 += TILE_Q) {
        size_t pn = P - p0 < TILE_Q ? P - p0 : TILE_Q;
        for (size_t m = 0; m < M; m += 4) {
            size_t mn = M - m < 4 ? M - m : 4;
            for (size_t k0 = 0; k0 < K || k0 == 0; k0 += SGEMM_KBLOCK) {
                size_t kn = K - k0 < SGEMM_KBLOCK ? K - k0 : SGEMM_KBLOCK;
                for (size_t j = 0; j < 4; j++)
                    for (size_t p = 0; p < pn; p++)
                        part[j][p] = 0.0f;
                if (mn == 4) {
                    const float *w0 = w + m * K + k0, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
                    for (size_t k = 0; k < kn; k++) {
                        const float *restrict c = col + (k0 + k) * P + p0;
                        float a0 = w0[k], a1 = w1[k], a2 = w2[k], a3 = w3[k];
                        for (size_t p = 0; p < pn; p++) {
                            float v = c[p];
                            part[0][p] = __builtin_fmaf(a0, v, part[0][p]);
                            part[1][p] = __builtin_fmaf(a1, v, part[1][p]);
                            part[2][p] = __builtin_fmaf(a2, v, part[2][p]);
                            part[3][p] = __builtin_fmaf(a3, v, part[3][p]);
                        }
                    }
                } else {
                    for (size_t j = 0; j < mn; j++) {
                        const float *wj = w + (m + j) * K + k0;
                        for (size_t k = 0; k < kn; k++) {
                            const float *restrict c = col + (k0 + k) * P + p0;
                            float a = wj[k];
                            for (size_t p = 0; p < pn; p++)
                                part[j][p] = __builtin_fmaf(a, c[p], part[j][p]);
                        }
                    }
                }
                for (size_t j = 0; j < mn; j++) {
                    float *o = out + (m + j) * P + p0;
                    if (k0 == 0)
                        for (size_t p = 0; p < pn; p++)
                            o[p] = part[j][p];
                    else
                        for (size_t p = 0; p < pn; p++)
                            o[p] += part[j][p];
                }
                if (K == 0)
                    break;
            }
        }
    }
    if (bias)
        for (size_t m = 0; m < M; m++)
            for (size_t p = 0; p < P; p++)
                out[m * P + p] += bias[m];
}

#ifdef INTERP_HAVE_FMA_CLONE
/*
 * gemm_f32_body with AVX2/FMA intrinsics: 4 channels x 16 pixels of FMA chains held in
 * registers for a whole 256-tap block. Each output still sees one fused multiply-add per tap
 * in k order, so the values equal gemm_f32_body's.
 */
INTERP_FMA static void gemm_f32_fma(float *restrict out, const float *restrict w,
                                    const float *restrict col, const float *restrict bias,
                                    size_t M, size_t K, size_t P)
{
    size_t m = 0;
    for (; m + 4 <= M; m += 4) {
        const float *w0 = w + m * K, *w1 = w0 + K, *w2 = w1 + K, *w3 = w2 + K;
        size_t p = 0;
        for (; p + 16 <= P; p += 16) {
            for (size_t k0 = 0; k0 < K; k0 += SGEMM_KBLOCK) {
                size_t k1 = K - k0 < SGEMM_KBLOCK ? K : k0 + SGEMM_KBLOCK;
                __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00;
                __m256 a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                for (size_t k = k0; k < k1; k++) {
                    const float *c = col + k * P + p;
                    __m256 c0 = _mm256_loadu_ps(c), c1 = _mm256_loadu_ps(c + 8);
                    __m256 v = _mm256_broadcast_ss(w0 + k);
                    a00 = _mm256_fmadd_ps(v, c0, a00);
                    a01 = _mm256_fmadd_ps(v, c1, a01);
                    v = _mm256_broadcast_ss(w1 + k);
                    a10 = _mm256_fmadd_ps(v, c0, a10);
                    a11 = _mm256_fmadd_ps(v, c1, a11);
                    v = _mm256_broadcast_ss(w2 + k);
                    a20 = _mm256_fmadd_ps(v, c0, a20);
                    a21 = _mm256_fmadd_ps(v, c1, a21);
                    v = _mm256_broadcast_ss(w3 + k);
                    a30 = _mm256_fmadd_ps(v, c0, a30);
                    a31 = _mm256_fmadd_ps(v, c1, a31);
                }
                float *o = out + m * P + p;
                __m256 r[8] = {a00, a01, a10, a11, a20, a21, a30, a31};
                for (size_t j = 0; j < 4; j++)
                    for (size_t h = 0; h < 2; h++) {
                        float *d = o + j * P + h * 8;
                        if (k0 == 0)
                            _mm256_storeu_ps(d, r[2 * j + h]);
                        else
                            _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), r[2 * j + h]));
                    }
            }
        }
        if (p < P)
            for (size_t j = 0; j < 4; j++)
                gemm_f32_cols(out + (m + j) * P, w + (m + j) * K, col, K, P, p);
    }
    for (; m < M; m++)
        gemm_f32_cols(out + m * P, w + m * K, col, K, P, 0);
    if (bias)
        for (m = 0; m < M; m++)
            for (size_t p = 0; p < P; p++)
                out[m * P + p] += bias[m];
}
#endif

static void gemm_f32(float *restrict out, const float *restrict w, const float *restrict col,
                     const float *restrict bias, size_t M, size_t K, size_t P)
{
#ifdef INTERP_HAVE_FMA_CLONE
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        gemm_f32_fma(out, w, col, bias, M, K, P);
        return;
    }
#endif
    gemm_f32_body(out, w, col, bias, M, K, P);
}

/* Round P up to whole 16-pixel blocks: the AVX2 GEMMs have no scalar tail. */
static size_t p_blocks16(size_t P)
{
    return (P + 15) & ~(size_t)15;
}

/*
 * Depthwise 2-D through phase planes. Stride (sh, sw) splits the zero-padded input (x - x_zp)
 * into sh x sw phase planes, plane (ry, rx)[i][j] = xpad[i*sh + ry][j*sw + rx], each Hq x Wq.
 * Tap (ky, kx) then reads one plane at a fixed offset with unit stride, so output row-major
 * index q = oy*Wq + ox sums w[t] * plane_t[q + off_t]: long contiguous loops however small
 * the image. Columns ox >= OW of the Wq-wide rows are computed and dropped.
 */
struct dw_plan {
    size_t sh, sw, Hq, Wq, Q;   /* strides, phase plane size, outputs computed (OH x Wq) */
    size_t plane;               /* int16 elements per phase plane, with read-over slack */
    size_t off[64];             /* per tap: plane index * plane + row/col offset */
    bool used[64];              /* per phase (ry * sw + rx): read by some tap */
    size_t lo[64], hi[64];      /* per column phase rx: the plane columns [lo, hi) that hold
                                   input (the rest is padding), the same for every channel */
};

#define DW_BLOCK 32     /* outputs per block: the block's sums stay in registers */

static bool dw_plan_make(const struct interp_kgeom *g, struct dw_plan *pl)
{
    size_t KH = g->k[1], KW = g->k[2];
    if (g->k[0] != 1 || g->in[0] != 1 || g->out[0] != 1 || g->pb[0] != 0 || KH * KW > 64 ||
        g->s[1] * g->s[2] > 64)
        return false;
    size_t sh = g->s[1], sw = g->s[2];
    size_t oy_max = (KH - 1) * g->d[1] / sh, ox_max = (KW - 1) * g->d[2] / sw;
    memset(pl->used, 0, sizeof pl->used);
    pl->sh = sh;
    pl->sw = sw;
    pl->Hq = g->out[1] + oy_max;
    pl->Wq = g->out[2] + ox_max;
    pl->Q = (g->out[1] * pl->Wq + DW_BLOCK - 1) / DW_BLOCK * DW_BLOCK;
    /* the last block reads up to Q + the largest offset */
    pl->plane = pl->Q + oy_max * pl->Wq + ox_max + DW_BLOCK;
    if (pl->plane < pl->Hq * pl->Wq)
        pl->plane = pl->Hq * pl->Wq;
    for (size_t ky = 0; ky < KH; ky++)
        for (size_t kx = 0; kx < KW; kx++) {
            size_t dy = ky * g->d[1], dx = kx * g->d[2];
            size_t phase = (dy % sh) * sw + dx % sw;
            pl->off[ky * KW + kx] = phase * pl->plane + (dy / sh) * pl->Wq + dx / sw;
            pl->used[phase] = true;
        }
    for (size_t rx = 0; rx < sw; rx++)
        inner_range(pl->Wq, sw, (int64_t)rx - (int64_t)g->pb[2], (int64_t)g->in[2], &pl->lo[rx],
                    &pl->hi[rx]);
    return true;
}

#ifdef INTERP_HAVE_FMA_CLONE
/* The k0 block of six channels x 16 pixels for gemm_f32_rows_fma: 12 FMA chains. */
INTERP_FMA static inline void gemm_f32_6x16(float *o, size_t ps, const float *w0, size_t K,
                                            const float *const *rows, size_t p, size_t k0,
                                            size_t k1)
{
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
    __m256 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
    for (size_t k = k0; k < k1; k++) {
        __m256 c0 = _mm256_loadu_ps(rows[k] + p), c1 = _mm256_loadu_ps(rows[k] + p + 8);
        const float *wk = w0 + k;
        __m256 v = _mm256_broadcast_ss(wk);
        a00 = _mm256_fmadd_ps(v, c0, a00);
        a01 = _mm256_fmadd_ps(v, c1, a01);
        v = _mm256_broadcast_ss(wk + K);
        a10 = _mm256_fmadd_ps(v, c0, a10);
        a11 = _mm256_fmadd_ps(v, c1, a11);
        v = _mm256_broadcast_ss(wk + 2 * K);
        a20 = _mm256_fmadd_ps(v, c0, a20);
        a21 = _mm256_fmadd_ps(v, c1, a21);
        v = _mm256_broadcast_ss(wk + 3 * K);
        a30 = _mm256_fmadd_ps(v, c0, a30);
        a31 = _mm256_fmadd_ps(v, c1, a31);
        v = _mm256_broadcast_ss(wk + 4 * K);
        a40 = _mm256_fmadd_ps(v, c0, a40);
        a41 = _mm256_fmadd_ps(v, c1, a41);
        v = _mm256_broadcast_ss(wk + 5 * K);
        a50 = _mm256_fmadd_ps(v, c0, a50);
        a51 = _mm256_fmadd_ps(v, c1, a51);
    }
    __m256 r[12] = {a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51};
    for (size_t j = 0; j < 6; j++)
        for (size_t h = 0; h < 2; h++) {
            float *d = o + j * ps + h * 8;
            _mm256_storeu_ps(d, k0 == 0 ? r[2 * j + h] : _mm256_add_ps(_mm256_loadu_ps(d),
                                                                       r[2 * j + h]));
        }
}

/* The same for four channels (8 chains). */
INTERP_FMA static inline void gemm_f32_4x16(float *o, size_t ps, const float *w0, size_t K,
                                            const float *const *rows, size_t p, size_t k0,
                                            size_t k1)
{
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
    __m256 a30 = a00, a31 = a00;
    for (size_t k = k0; k < k1; k++) {
        __m256 c0 = _mm256_loadu_ps(rows[k] + p), c1 = _mm256_loadu_ps(rows[k] + p + 8);
        const float *wk = w0 + k;
        __m256 v = _mm256_broadcast_ss(wk);
        a00 = _mm256_fmadd_ps(v, c0, a00);
        a01 = _mm256_fmadd_ps(v, c1, a01);
        v = _mm256_broadcast_ss(wk + K);
        a10 = _mm256_fmadd_ps(v, c0, a10);
        a11 = _mm256_fmadd_ps(v, c1, a11);
        v = _mm256_broadcast_ss(wk + 2 * K);
        a20 = _mm256_fmadd_ps(v, c0, a20);
        a21 = _mm256_fmadd_ps(v, c1, a21);
        v = _mm256_broadcast_ss(wk + 3 * K);
        a30 = _mm256_fmadd_ps(v, c0, a30);
        a31 = _mm256_fmadd_ps(v, c1, a31);
    }
    __m256 r[8] = {a00, a01, a10, a11, a20, a21, a30, a31};
    for (size_t j = 0; j < 4; j++)
        for (size_t h = 0; h < 2; h++) {
            float *d = o + j * ps + h * 8;
            _mm256_storeu_ps(d, k0 == 0 ? r[2 * j + h] : _mm256_add_ps(_mm256_loadu_ps(d),
                                                                       r[2 * j + h]));
        }
}

/* The same for one channel. */
INTERP_FMA static inline void gemm_f32_1x16(float *o, const float *w0, const float *const *rows,
                                            size_t p, size_t k0, size_t k1)
{
    __m256 a0 = _mm256_setzero_ps(), a1 = a0;
    for (size_t k = k0; k < k1; k++) {
        __m256 v = _mm256_broadcast_ss(w0 + k);
        a0 = _mm256_fmadd_ps(v, _mm256_loadu_ps(rows[k] + p), a0);
        a1 = _mm256_fmadd_ps(v, _mm256_loadu_ps(rows[k] + p + 8), a1);
    }
    _mm256_storeu_ps(o, k0 == 0 ? a0 : _mm256_add_ps(_mm256_loadu_ps(o), a0));
    _mm256_storeu_ps(o + 8, k0 == 0 ? a1 : _mm256_add_ps(_mm256_loadu_ps(o + 8), a1));
}

/*
 * gemm_f32_fma over row pointers: out[m][p] (row stride p_blocks16(P)) for 16-pixel blocks,
 * rows[k] readable for that many. Each output is summed as MLAS does (see gemm_f32_body):
 * an FMA chain from zero per block of SGEMM_KBLOCK taps in k order, blocks added to the
 * output one after another; the bias is added afterwards by the caller. Six or four
 * channels at a time, so 12 or 8 chains hide the FMA latency.
 */
INTERP_FMA static void gemm_f32_rows_fma(float *restrict out, const float *restrict w,
                                         const float *const *rows, size_t M, size_t K, size_t P)
{
    size_t ps = p_blocks16(P);
    for (size_t p = 0; p < ps; p += 16)
        for (size_t m = 0, n; m < M; m += n) {
            n = M - m >= 6 ? 6 : M - m >= 4 ? 4 : 1;
            for (size_t k0 = 0; k0 < K || k0 == 0; k0 += SGEMM_KBLOCK) {
                size_t k1 = K - k0 < SGEMM_KBLOCK ? K : k0 + SGEMM_KBLOCK;
                if (n == 6)
                    gemm_f32_6x16(out + m * ps + p, ps, w + m * K, K, rows, p, k0, k1);
                else if (n == 4)
                    gemm_f32_4x16(out + m * ps + p, ps, w + m * K, K, rows, p, k0, k1);
                else
                    gemm_f32_1x16(out + m * ps + p, w + m * K, rows, p, k0, k1);
                if (K == 0)
                    break;
            }
        }
}

/* One channel's phase planes (dw_plan's layout) of floats, 0 in the padding and the slack. */
static void phases_f32(const struct interp_kgeom *g, const struct dw_plan *pl, const float *x,
                       float *planes)
{
    size_t H = g->in[1], W = g->in[2];
    for (size_t ry = 0; ry < pl->sh; ry++)
        for (size_t rx = 0; rx < pl->sw; rx++) {
            float *dst = planes + (ry * pl->sw + rx) * pl->plane;
            if (!pl->used[ry * pl->sw + rx])
                continue;
            int64_t base = (int64_t)rx - (int64_t)g->pb[2];
            size_t lo = pl->lo[rx], hi = pl->hi[rx];
            for (size_t i = 0; i < pl->Hq; i++, dst += pl->Wq) {
                int64_t iy = (int64_t)(i * pl->sh + ry) - (int64_t)g->pb[1];
                if (iy < 0 || iy >= (int64_t)H || lo >= hi) {
                    memset(dst, 0, pl->Wq * sizeof *dst);
                    continue;
                }
                const float *src = x + (size_t)iy * W + (size_t)(base + (int64_t)(lo * pl->sw));
                memset(dst, 0, lo * sizeof *dst);
                if (pl->sw == 1) {
                    memcpy(dst + lo, src, (hi - lo) * sizeof *dst);
                } else {
                    size_t sw = pl->sw;
                    for (size_t j = 0; j < hi - lo; j++)
                        dst[lo + j] = src[j * sw];
                }
                memset(dst + hi, 0, (pl->Wq - hi) * sizeof *dst);
            }
            memset(dst, 0, (pl->plane - pl->Hq * pl->Wq) * sizeof *dst);
        }
}

/* dst[i] = src[i] (+ *bias, one float add as MLAS does after its GEMM) for i < n. */
static void bias_row(float *restrict dst, const float *restrict src, size_t n,
                     const float *bias)
{
    if (!bias) {
        memcpy(dst, src, n * sizeof *dst);
        return;
    }
    float bv = *bias;
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i] + bv;
}

/*
 * Float 2-D convolution without im2col: rows (channel, tap) in im2col's k order are shifted
 * views of the channels' phase planes, whose padding holds the 0.0 im2col would write, so
 * every output sees the same fused multiply-adds in the same order (the same floats).
 */
static int conv_f32_direct(const struct interp_kgeom *g, const struct dw_plan *pl, size_t n,
                           size_t c, size_t m, size_t groups, const float *x, const float *w,
                           const float *bias, float *o, struct errbuf *eb)
{
    size_t T = n_taps(g), I = n_in(g), OH = g->out[1], OW = g->out[2], P = OH * OW;
    size_t cg = c / groups, mg = m / groups, K = cg * T, Pq = OH * pl->Wq;
    size_t ps = p_blocks16(Pq), ch = pl->sh * pl->sw * pl->plane;
    size_t pbytes, obytes;
    if (!size_mul(ch, cg, &pbytes) || !size_mul(pbytes, sizeof(float), &pbytes) ||
        !size_mul(ps, mg ? mg : 1, &obytes) || !size_mul(obytes, sizeof(float), &obytes))
        return errbuf_set(eb, ST_ELIMIT, "convolution too large");
    float *planes = mem_alloc(pbytes ? pbytes : 1), *acc = mem_alloc(obytes);
    const float **rows = mem_alloc((K ? K : 1) * sizeof *rows);
    if (!planes || !acc || !rows) {
        mem_free(planes);
        mem_free(acc);
        mem_free(rows);
        return errbuf_set(eb, ST_ENOMEM, "out of memory for the convolution");
    }
    for (size_t ci = 0; ci < cg; ci++)
        for (size_t t = 0; t < T; t++)
            rows[ci * T + t] = planes + ci * ch + pl->off[t];
    for (size_t b = 0; b < n; b++)
        for (size_t gi = 0; gi < groups; gi++) {
            for (size_t ci = 0; ci < cg; ci++)
                phases_f32(g, pl, x + (b * c + gi * cg + ci) * I, planes + ci * ch);
            gemm_f32_rows_fma(acc, w + gi * mg * K, rows, mg, K, Pq);
            for (size_t mi = 0; mi < mg; mi++)
                for (size_t oy = 0; oy < OH; oy++)
                    bias_row(o + (b * m + gi * mg + mi) * P + oy * OW,
                             acc + mi * ps + oy * pl->Wq, OW, bias ? &bias[gi * mg + mi] : NULL);
        }
    mem_free(planes);
    mem_free(acc);
    mem_free(rows);
    return 0;
}
#endif

int interp_k_conv_f32(const struct interp_kgeom *g, size_t n, size_t c, size_t m, size_t groups,
                      const float *x, const float *w, const float *bias, float *o,
                      struct errbuf *eb)
{
    size_t P = n_out(g), T = n_taps(g), I = n_in(g);
    size_t cg = c / groups, mg = m / groups, K = cg * T;
    bool direct = is_pointwise(g);
#ifdef INTERP_HAVE_FMA_CLONE
    struct dw_plan pl;
    if (!direct && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        dw_plan_make(g, &pl))
        return conv_f32_direct(g, &pl, n, c, m, groups, x, w, bias, o, eb);
#endif
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
                    im2col_f32(g, xg + ci * I, col, ci * T, P, false, 0.0f, 0);
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

#ifdef INTERP_HAVE_AVX2_GEMM
/*
 * TFLite Micro's output stage (arm_nn_requantize, double rounding, right shift rs in 0..31),
 * + zp, clamp, 8 lanes at a time: the doubling high multiply (a*M + 2^30) >> 31 from the even
 * and odd lanes' 64-bit products, then the rounding divide by 2^rs (ties away from zero).
 * Returns the 8 int32 results; the same values as ref_requantize_cmsis (tested).
 */
__attribute__((target("avx2"))) static inline __m256i rq_tflm8(__m256i a, __m256i m,
                                                               __m128i rs, __m256i mask,
                                                               __m256i half, __m256i zp,
                                                               __m256i lo, __m256i hi)
{
    __m256i r = _mm256_set1_epi64x((int64_t)1 << 30);
    __m256i ev = _mm256_add_epi64(_mm256_mul_epi32(a, m), r);
    __m256i od = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(a, 32), m), r);
    /* bits 31..62 of each product: low dword of ev >> 31, high dword of od << 1 */
    __m256i h = _mm256_blend_epi32(_mm256_srli_epi64(ev, 31), _mm256_slli_epi64(od, 1), 0xaa);
    __m256i q = _mm256_sra_epi32(h, rs);
    __m256i thr = _mm256_sub_epi32(half, _mm256_cmpgt_epi32(_mm256_setzero_si256(), q));
    q = _mm256_sub_epi32(q, _mm256_cmpgt_epi32(_mm256_and_si256(h, mask), thr));
    q = _mm256_add_epi32(q, zp);
    return _mm256_min_epi32(_mm256_max_epi32(q, lo), hi);
}

/* rq_tflm8 on 8 accumulators, the results packed to 8 bytes (low half of the return). */
__attribute__((target("avx2"))) static inline __m128i rq_tflm8_bytes(__m256i a, __m256i m,
                                                                     __m128i rs, __m256i mask,
                                                                     __m256i half, __m256i zp,
                                                                     __m256i lo, __m256i hi,
                                                                     bool out_signed)
{
    __m256i v = rq_tflm8(a, m, rs, mask, half, zp, lo, hi);
    __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    return out_signed ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
}

/*
 * rq_tflm8 over one channel's rows of accumulators: `rows` rows of `len`, `stride` apart in
 * acc, stored as 8-bit rows of `len` back to back. A row's last partial 8 are computed whole
 * and their extra bytes land on the next rows, which are written after; where fewer than 8
 * bytes of the channel remain, a padded copy is used, so nothing is read or written past it.
 */
__attribute__((target("avx2"))) static void finish_rows_tflm_avx2(
    const struct interp_requant *rq, const int32_t *acc, size_t rows, size_t len,
    size_t stride, size_t c, uint8_t *out, bool out_signed)
{
    int32_t rs = -rq->shift[c];
    __m256i m = _mm256_set1_epi32(rq->mult[c]);
    __m128i rsv = _mm_cvtsi32_si128(rs);
    int32_t maskv = (int32_t)(((uint32_t)1 << rs) - 1u);
    __m256i mask = _mm256_set1_epi32(maskv), half = _mm256_set1_epi32(maskv >> 1);
    __m256i zp = _mm256_set1_epi32(rq->zp);
    __m256i lo = _mm256_set1_epi32(rq->qmin), hi = _mm256_set1_epi32(rq->qmax);
    __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (size_t r = 0; r < rows; r++, acc += stride, out += len) {
        size_t left = (rows - r) * len;     /* bytes from this row's start to the channel end */
        size_t p = 0;
        for (; p + 32 <= len; p += 32) {
            __m256i v0 = rq_tflm8(_mm256_loadu_si256((const __m256i *)(acc + p)), m, rsv, mask,
                                  half, zp, lo, hi);
            __m256i v1 = rq_tflm8(_mm256_loadu_si256((const __m256i *)(acc + p + 8)), m, rsv,
                                  mask, half, zp, lo, hi);
            __m256i v2 = rq_tflm8(_mm256_loadu_si256((const __m256i *)(acc + p + 16)), m, rsv,
                                  mask, half, zp, lo, hi);
            __m256i v3 = rq_tflm8(_mm256_loadu_si256((const __m256i *)(acc + p + 24)), m, rsv,
                                  mask, half, zp, lo, hi);
            /* the values are already within the 8-bit range: the packs cannot saturate */
            __m256i w01 = _mm256_packs_epi32(v0, v1), w23 = _mm256_packs_epi32(v2, v3);
            __m256i b = out_signed ? _mm256_packs_epi16(w01, w23)
                                   : _mm256_packus_epi16(w01, w23);
            /* undo the per-128-bit-lane interleaving of the two packs */
            _mm256_storeu_si256((__m256i *)(out + p), _mm256_permutevar8x32_epi32(b, order));
        }
        for (; p < len && p + 8 <= left; p += 8)
            _mm_storel_epi64((__m128i *)(out + p),
                             rq_tflm8_bytes(_mm256_loadu_si256((const __m256i *)(acc + p)), m,
                                            rsv, mask, half, zp, lo, hi, out_signed));
        if (p < len) {  /* the channel's last 1..7 through a padded copy */
            int32_t a[8] = {0};
            uint8_t bytes[16];
            memcpy(a, acc + p, (len - p) * sizeof *a);
            _mm_storeu_si128((__m128i *)bytes,
                             rq_tflm8_bytes(_mm256_loadu_si256((const __m256i *)a), m, rsv, mask,
                                            half, zp, lo, hi, out_signed));
            memcpy(out + p, bytes, len - p);
        }
    }
}
#endif

#ifdef INTERP_HAVE_AVX2_GEMM
/*
 * True when rq_tflm8 computes channels [c0, c0 + n_ch) of rq (TFLite double rounding, right
 * shifts of 0..31) on this CPU.
 */
static bool rq_tflm_fast(const struct interp_requant *rq, size_t c0, size_t n_ch)
{
    if (!rq || rq->arith != INTERP_ARITH_TFLM || rq->single_rounding ||
        !__builtin_cpu_supports("avx2"))
        return false;
    for (size_t i = 0; i < n_ch; i++) {
        size_t c = rq->n > 1 ? c0 + i : 0;
        if (rq->shift[c] > 0 || rq->shift[c] < -31)
            return false;
    }
    return true;
}

/*
 * out = rows of len bytes taken `stride` apart from src (readable 32 bytes past its last
 * row), len < 32. A row is stored in 16-byte pieces that run into the rows after it, which
 * are written later; the last bytes of the channel are copied exactly.
 */
__attribute__((target("avx2"))) static void compact_rows_avx2(uint8_t *out, const uint8_t *src,
                                                              size_t rows, size_t len,
                                                              size_t stride)
{
    for (size_t r = 0; r < rows; r++, out += len, src += stride) {
        if ((rows - r) * len < 32) {
            memcpy(out, src, len);
            continue;
        }
        _mm_storeu_si128((__m128i *)out, _mm_loadu_si128((const __m128i *)src));
        if (len > 16)
            _mm_storeu_si128((__m128i *)(out + 16), _mm_loadu_si128((const __m128i *)(src + 16)));
    }
}
#endif

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
            } else if (!rq->single_rounding && rq->shift[c] > 0 && rq->shift[c] < 31) {
                /* left shift (wrapping, as the 32-bit core), then the doubling high multiply */
                int64_t M = rq->mult[c];
                int32_t ls = rq->shift[c];
                for (size_t p = 0; p < pn; p++) {
                    int32_t x = (int32_t)((uint32_t)a[p] << ls);
                    v[p] = (int32_t)(((int64_t)x * M + ((int64_t)1 << 30)) >> 31);
                }
            } else if (rq->single_rounding)
                for (size_t p = 0; p < pn; p++)
                    v[p] = ref_requantize_cmsis_single(a[p], rq->mult[c], rq->shift[c]);
            else
                for (size_t p = 0; p < pn; p++)
                    v[p] = ref_requantize_cmsis(a[p], rq->mult[c], rq->shift[c]);
            for (size_t p = 0; p < pn; p++) {
                int32_t t = (int32_t)((uint32_t)v[p] + (uint32_t)rq->zp);   /* wraps */
                t = t < rq->qmin ? rq->qmin : t;
                v[p] = t > rq->qmax ? rq->qmax : t;
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
 * The output stage of one channel whose accumulators are `rows` rows of `len`, `stride`
 * apart (stride > len: the extra columns of the direct and depthwise paths), stored to
 * out + base as rows * len values. cmp: scratch for rows * len int32 when they are compacted.
 */
static void finish_rows(const struct interp_requant *rq, const int32_t *acc, size_t rows,
                        size_t len, size_t stride, size_t ch, void *out, bool out_signed,
                        size_t base, int32_t *cmp)
{
#ifdef INTERP_HAVE_AVX2_GEMM
    if (rq_tflm_fast(rq, ch, 1)) {
        finish_rows_tflm_avx2(rq, acc, rows, len, stride, rq->n > 1 ? ch : 0,
                              (uint8_t *)out + base, out_signed);
        return;
    }
#endif
    if (stride != len) {
        for (size_t r = 0; r < rows; r++)
            memcpy(cmp + r * len, acc + r * stride, len * sizeof *cmp);
        acc = cmp;
    }
    finish_row(rq, acc, rows * len, ch, out, out_signed, base);
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
                /* wrapping adds, as the int32 accumulators of the runtimes wrap (a saturated
                   int32 bias of a dead channel does reach the limits) */
                for (size_t p = 0; p < pn; p++) {
                    int32_t v = c[p];
                    a0[p] = (int32_t)((uint32_t)a0[p] + (uint32_t)(x0 * v));
                    a1[p] = (int32_t)((uint32_t)a1[p] + (uint32_t)(x1 * v));
                    a2[p] = (int32_t)((uint32_t)a2[p] + (uint32_t)(x2 * v));
                    a3[p] = (int32_t)((uint32_t)a3[p] + (uint32_t)(x3 * v));
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
                    a0[p] = (int32_t)((uint32_t)a0[p] + (uint32_t)(x0 * (int32_t)c[p]));
            }
        }
    }
}

#ifdef INTERP_HAVE_AVX2_GEMM

/*
 * dst[p] = (r0[p] - zp, r1[p] - zp) for p < n, from 8-bit rows straight to the interleaved
 * int16 pairs vpmaddwd reads (r1 NULL: a zero partner, for an odd channel count).
 */
__attribute__((target("avx2"))) static void pair_rows_avx2(int16_t *dst, const uint8_t *r0,
                                                           const uint8_t *r1, bool is_signed,
                                                           int32_t zp, size_t n)
{
    __m256i z = _mm256_set1_epi16((int16_t)zp), zero = _mm256_setzero_si256();
    size_t p = 0;
    for (; p + 16 <= n; p += 16) {
        __m128i b0 = _mm_loadu_si128((const __m128i *)(r0 + p));
        __m128i b1 = r1 ? _mm_loadu_si128((const __m128i *)(r1 + p)) : _mm_setzero_si128();
        __m256i a = is_signed ? _mm256_cvtepi8_epi16(b0) : _mm256_cvtepu8_epi16(b0);
        __m256i b = is_signed ? _mm256_cvtepi8_epi16(b1) : _mm256_cvtepu8_epi16(b1);
        a = _mm256_sub_epi16(a, z);
        b = r1 ? _mm256_sub_epi16(b, z) : zero;
        __m256i lo = _mm256_unpacklo_epi16(a, b), hi = _mm256_unpackhi_epi16(a, b);
        _mm256_storeu_si256((__m256i *)(dst + 2 * p), _mm256_permute2x128_si256(lo, hi, 0x20));
        _mm256_storeu_si256((__m256i *)(dst + 2 * p + 16),
                            _mm256_permute2x128_si256(lo, hi, 0x31));
    }
    for (; p < n; p++) {
        int32_t v0 = is_signed ? (int32_t)(int8_t)r0[p] : (int32_t)r0[p];
        int32_t v1 = !r1 ? zp : is_signed ? (int32_t)(int8_t)r1[p] : (int32_t)r1[p];
        dst[2 * p] = (int16_t)(v0 - zp);
        dst[2 * p + 1] = (int16_t)(v1 - zp);
    }
}

/*
 * Channel panels: the GEMM takes output channels in groups of 6, 4, 2 or 1 (panel_width),
 * and each group's packed weights are stored tap pair by tap pair,
 * [K2][width], so a block reads its weights as one sequential stream. A group starting at
 * channel m begins at m * K2, as in the plain [M][K2] layout.
 */
static size_t panel_width(size_t m, size_t M)
{
    size_t rem = M - m;     /* 8 goes as 4 + 4 and 7 as 4 + 2 + 1: few narrow blocks */
    return rem >= 6 && rem != 7 && rem != 8 ? 6 : rem >= 4 ? 4 : rem >= 2 ? 2 : 1;
}

/* Reorders M x K2 packed weights from [M][K2] to panels; tmp holds M * K2. */
static void panel_weights(int32_t *w, size_t M, size_t K2, int32_t *tmp)
{
    memcpy(tmp, w, M * K2 * sizeof *w);
    for (size_t m = 0, n; m < M; m += n) {
        n = panel_width(m, M);
        for (size_t j = 0; j < n; j++)
            for (size_t k = 0; k < K2; k++)
                w[m * K2 + k * n + j] = tmp[(m + j) * K2 + k];
    }
}

#define MADD(acc, c, v) acc = _mm256_add_epi32(acc, _mm256_madd_epi16(c, v))

/* 6 channels x 16 pixels of gemm_q8_avx2 (12 sums in registers); w: the group's panel. */
__attribute__((target("avx2"))) static inline void gemm6x16(int32_t *o, size_t ps,
                                                            const int32_t *w, size_t K2,
                                                            const int16_t *const *rows,
                                                            size_t p, const int32_t *b)
{
    __m256i a00 = _mm256_set1_epi32(b[0]), a01 = a00, a10 = _mm256_set1_epi32(b[1]), a11 = a10;
    __m256i a20 = _mm256_set1_epi32(b[2]), a21 = a20, a30 = _mm256_set1_epi32(b[3]), a31 = a30;
    __m256i a40 = _mm256_set1_epi32(b[4]), a41 = a40, a50 = _mm256_set1_epi32(b[5]), a51 = a50;
    for (size_t k = 0; k < K2; k++, w += 6) {
        const int16_t *c = rows[k] + p * 2;
        __m256i c0 = _mm256_loadu_si256((const __m256i *)c);
        __m256i c1 = _mm256_loadu_si256((const __m256i *)(c + 16));
        __m256i v = _mm256_set1_epi32(w[0]);
        MADD(a00, c0, v);
        MADD(a01, c1, v);
        v = _mm256_set1_epi32(w[1]);
        MADD(a10, c0, v);
        MADD(a11, c1, v);
        v = _mm256_set1_epi32(w[2]);
        MADD(a20, c0, v);
        MADD(a21, c1, v);
        v = _mm256_set1_epi32(w[3]);
        MADD(a30, c0, v);
        MADD(a31, c1, v);
        v = _mm256_set1_epi32(w[4]);
        MADD(a40, c0, v);
        MADD(a41, c1, v);
        v = _mm256_set1_epi32(w[5]);
        MADD(a50, c0, v);
        MADD(a51, c1, v);
    }
    __m256i r[12] = {a00, a01, a10, a11, a20, a21, a30, a31, a40, a41, a50, a51};
    for (size_t j = 0; j < 6; j++) {
        _mm256_storeu_si256((__m256i *)(o + j * ps), r[2 * j]);
        _mm256_storeu_si256((__m256i *)(o + j * ps + 8), r[2 * j + 1]);
    }
}

/* 4 channels x 16 pixels: the group of 4 left after the sixes. */
__attribute__((target("avx2"))) static inline void gemm4x16(int32_t *o, size_t ps,
                                                            const int32_t *w, size_t K2,
                                                            const int16_t *const *rows,
                                                            size_t p, const int32_t *b)
{
    __m256i a00 = _mm256_set1_epi32(b[0]), a01 = a00, a10 = _mm256_set1_epi32(b[1]), a11 = a10;
    __m256i a20 = _mm256_set1_epi32(b[2]), a21 = a20, a30 = _mm256_set1_epi32(b[3]), a31 = a30;
    for (size_t k = 0; k < K2; k++, w += 4) {
        const int16_t *c = rows[k] + p * 2;
        __m256i c0 = _mm256_loadu_si256((const __m256i *)c);
        __m256i c1 = _mm256_loadu_si256((const __m256i *)(c + 16));
        __m256i v = _mm256_set1_epi32(w[0]);
        MADD(a00, c0, v);
        MADD(a01, c1, v);
        v = _mm256_set1_epi32(w[1]);
        MADD(a10, c0, v);
        MADD(a11, c1, v);
        v = _mm256_set1_epi32(w[2]);
        MADD(a20, c0, v);
        MADD(a21, c1, v);
        v = _mm256_set1_epi32(w[3]);
        MADD(a30, c0, v);
        MADD(a31, c1, v);
    }
    __m256i r[8] = {a00, a01, a10, a11, a20, a21, a30, a31};
    for (size_t j = 0; j < 4; j++) {
        _mm256_storeu_si256((__m256i *)(o + j * ps), r[2 * j]);
        _mm256_storeu_si256((__m256i *)(o + j * ps + 8), r[2 * j + 1]);
    }
}

/* 2 channels x 16 pixels. */
__attribute__((target("avx2"))) static inline void gemm2x16(int32_t *o, size_t ps,
                                                            const int32_t *w, size_t K2,
                                                            const int16_t *const *rows,
                                                            size_t p, const int32_t *b)
{
    __m256i a00 = _mm256_set1_epi32(b[0]), a01 = a00, a10 = _mm256_set1_epi32(b[1]), a11 = a10;
    for (size_t k = 0; k < K2; k++, w += 2) {
        const int16_t *c = rows[k] + p * 2;
        __m256i c0 = _mm256_loadu_si256((const __m256i *)c);
        __m256i c1 = _mm256_loadu_si256((const __m256i *)(c + 16));
        __m256i v = _mm256_set1_epi32(w[0]);
        MADD(a00, c0, v);
        MADD(a01, c1, v);
        v = _mm256_set1_epi32(w[1]);
        MADD(a10, c0, v);
        MADD(a11, c1, v);
    }
    _mm256_storeu_si256((__m256i *)o, a00);
    _mm256_storeu_si256((__m256i *)(o + 8), a01);
    _mm256_storeu_si256((__m256i *)(o + ps), a10);
    _mm256_storeu_si256((__m256i *)(o + ps + 8), a11);
}

/* n (6, 4 or 2) channels x 8 pixels, for a last block of at most 8 pixels. */
__attribute__((target("avx2"))) static inline void gemmNx8(int32_t *o, size_t ps, size_t n,
                                                           const int32_t *w, size_t K2,
                                                           const int16_t *const *rows,
                                                           size_t p, const int32_t *b)
{
    __m256i a0 = _mm256_set1_epi32(b[0]), a1 = _mm256_set1_epi32(b[1]);
    __m256i a2 = _mm256_set1_epi32(n > 2 ? b[2] : 0), a3 = _mm256_set1_epi32(n > 2 ? b[3] : 0);
    __m256i a4 = _mm256_set1_epi32(n > 4 ? b[4] : 0), a5 = _mm256_set1_epi32(n > 4 ? b[5] : 0);
    for (size_t k = 0; k < K2; k++, w += n) {
        __m256i c = _mm256_loadu_si256((const __m256i *)(rows[k] + p * 2));
        MADD(a0, c, _mm256_set1_epi32(w[0]));
        MADD(a1, c, _mm256_set1_epi32(w[1]));
        if (n > 2) {
            MADD(a2, c, _mm256_set1_epi32(w[2]));
            MADD(a3, c, _mm256_set1_epi32(w[3]));
        }
        if (n > 4) {
            MADD(a4, c, _mm256_set1_epi32(w[4]));
            MADD(a5, c, _mm256_set1_epi32(w[5]));
        }
    }
    __m256i r[6] = {a0, a1, a2, a3, a4, a5};
    for (size_t j = 0; j < n; j++)
        _mm256_storeu_si256((__m256i *)(o + j * ps), r[j]);
}

/*
 * One pixel for a group of n channels: the panel's row for tap pair k holds the n channels'
 * weights side by side, so one load multiplies all of them by the pixel's broadcast pair.
 * For the one or two pixels a 16-pixel grid leaves over (P = 49, 50): an 8-pixel block
 * would cost as much as eight of these. Reads up to 7 int32 past the panel (the wprep
 * buffer has slack); lanes past n are dropped.
 */
__attribute__((target("avx2"))) static inline void gemv1(int32_t *o, size_t ps, size_t n,
                                                         const int32_t *w, size_t K2,
                                                         const int16_t *const *rows, size_t p,
                                                         const int32_t *b)
{
    int32_t t[8] = {0};
    memcpy(t, b, n * sizeof *t);
    __m256i a = _mm256_loadu_si256((const __m256i *)t);
    for (size_t k = 0; k < K2; k++, w += n) {
        int32_t xp;
        memcpy(&xp, rows[k] + p * 2, sizeof xp);
        a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)w),
                                                  _mm256_set1_epi32(xp)));
    }
    _mm256_storeu_si256((__m256i *)t, a);
    for (size_t j = 0; j < n; j++)
        o[j * ps] = t[j];
}

/* One channel x 16 pixels, for the channels left over by the groups. */
__attribute__((target("avx2"))) static inline void gemm1x16(int32_t *o, const int32_t *w,
                                                            size_t K2,
                                                            const int16_t *const *rows,
                                                            size_t p, int32_t b)
{
    __m256i a0 = _mm256_set1_epi32(b), a1 = a0;
    for (size_t k = 0; k < K2; k++) {
        const int16_t *c = rows[k] + p * 2;
        __m256i v = _mm256_set1_epi32(w[k]);
        MADD(a0, _mm256_loadu_si256((const __m256i *)c), v);
        MADD(a1, _mm256_loadu_si256((const __m256i *)(c + 16)), v);
    }
    _mm256_storeu_si256((__m256i *)o, a0);
    _mm256_storeu_si256((__m256i *)(o + 8), a1);
}
#undef MADD

/*
 * gemm_q8 with AVX2 vpmaddwd, rows[k] holding tap pairs interleaved ([P][2] int16) and wp the
 * weight pairs packed into int32 ([M][K2]). vpmaddwd's pair sums are exact here (|x - zp| and
 * |w - zp| <= 255), so the result equals gemm_q8's.
 * acc[m][p] (row stride p_blocks16(P)) = bias[m] + sum_k wp[m][k] . rows[k][p], for whole
 * 16-pixel blocks: every rows[k] must be readable for p_blocks16(P) pairs (the extra pixels
 * give outputs nobody reads). Blocked so a block of weights stays in L2 and one 16-pixel
 * column of all K2 pairs in L1 while the block's channels run over it.
 */
__attribute__((target("avx2"))) static void gemm_q8_avx2(int32_t *restrict acc,
                                                         const int32_t *restrict wp,
                                                         const int16_t *const *rows,
                                                         const int32_t *bias, size_t M,
                                                         size_t K2, size_t P)
{
    size_t ps = p_blocks16(P);
    /* channel blocks of about 96 KiB of weights, made of whole panel groups */
    size_t mb = (size_t)(96 * 1024) / (K2 * 4 + 1);
    int32_t zero[6] = {0};
    for (size_t m0 = 0, m1; m0 < M; m0 = m1) {
        for (m1 = m0; m1 < M && m1 - m0 < mb;)
            m1 += panel_width(m1, M);
        if (m1 == m0)
            m1 += panel_width(m1, M);
        for (size_t p = 0; p < ps; p += 16) {
            /* the next block's pairs (64 bytes per row) into L1 while this one computes */
            if (p + 16 < ps)
                for (size_t k = 0; k < K2; k++)
                    _mm_prefetch((const char *)(rows[k] + (p + 16) * 2), _MM_HINT_T0);
            for (size_t m = m0, n; m < m1; m += n) {
                n = panel_width(m, M);
                int32_t *o = acc + m * ps + p;
                const int32_t *w = wp + m * K2, *b = bias ? bias + m : zero;
                if (P - p <= 2) {
                    for (size_t i = p; i < P; i++)
                        gemv1(acc + m * ps + i, ps, n, w, K2, rows, i, b);
                } else if (n == 1)
                    gemm1x16(o, w, K2, rows, p, b[0]);
                else if (P - p <= 8)
                    gemmNx8(o, ps, n, w, K2, rows, p, b);
                else if (n == 6)
                    gemm6x16(o, ps, w, K2, rows, p, b);
                else if (n == 4)
                    gemm4x16(o, ps, w, K2, rows, p, b);
                else
                    gemm2x16(o, ps, w, K2, rows, p, b);
            }
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
                v = v < -32768 ? -32768 : v > 32767 ? 32767 : v;
                a[p] = (int32_t)((uint32_t)a[p] + (uint32_t)v);
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

/*
 * Depthwise (one input and one output channel per group): acc[p] = bias + sum over taps of
 * w[t] * (x - x_zp), tap by tap over whole output rows, in-bounds ranges precomputed, so no
 * im2col. Exact int32 (wrapping) sums: the same values as the GEMM path.
 */
INTERP_HOT static void dw_q8(const struct interp_kgeom *g, const void *x, bool x_signed,
                             int32_t x_zp, const int16_t *w, int32_t bias, int32_t *acc,
                             int16_t *split)
{
    size_t P = n_out(g);
    size_t W = g->in[2], rows = g->in[0] * g->in[1], half = (W + 1) / 2;
    size_t s2 = g->s[2];
    for (size_t p = 0; p < P; p++)
        acc[p] = bias;
    /*
     * x - x_zp as int16, for stride 2 split into even and odd columns (split[row][0][j] =
     * column 2j, split[row][1][j] = column 2j + 1), so every tap reads contiguously.
     */
    for (size_t r = 0; r < rows; r++) {
        int16_t *ev = split + r * 2 * half, *od = ev + half;
        if (x_signed) {
            const int8_t *xr = (const int8_t *)x + r * W;
            if (s2 == 2) {
                for (size_t j = 0; j < W / 2; j++) {
                    ev[j] = (int16_t)(xr[2 * j] - x_zp);
                    od[j] = (int16_t)(xr[2 * j + 1] - x_zp);
                }
                if (W & 1)
                    ev[W / 2] = (int16_t)(xr[W - 1] - x_zp);
            } else {
                for (size_t c = 0; c < W; c++)      /* one contiguous row */
                    ev[c] = (int16_t)(xr[c] - x_zp);
            }
        } else {
            const uint8_t *xr = (const uint8_t *)x + r * W;
            if (s2 == 2) {
                for (size_t j = 0; j < W / 2; j++) {
                    ev[j] = (int16_t)(xr[2 * j] - x_zp);
                    od[j] = (int16_t)(xr[2 * j + 1] - x_zp);
                }
                if (W & 1)
                    ev[W / 2] = (int16_t)(xr[W - 1] - x_zp);
            } else {
                for (size_t c = 0; c < W; c++)
                    ev[c] = (int16_t)(xr[c] - x_zp);
            }
        }
    }
    size_t row_len = 2 * half;
    size_t t = 0;
    for (size_t k0 = 0; k0 < g->k[0]; k0++)
        for (size_t k1 = 0; k1 < g->k[1]; k1++)
            for (size_t k2 = 0; k2 < g->k[2]; k2++, t++) {
                int32_t wv = w[t];
                if (wv == 0)
                    continue;
                int64_t base = (int64_t)(k2 * g->d[2]) - (int64_t)g->pb[2];
                size_t lo, hi;
                inner_range(g->out[2], s2, base, (int64_t)W, &lo, &hi);
                for (size_t o0 = 0; o0 < g->out[0]; o0++) {
                    int64_t i0 = (int64_t)(o0 * g->s[0] + k0 * g->d[0]) - (int64_t)g->pb[0];
                    if (i0 < 0 || i0 >= (int64_t)g->in[0])
                        continue;
                    for (size_t o1 = 0; o1 < g->out[1]; o1++) {
                        int64_t i1 = (int64_t)(o1 * g->s[1] + k1 * g->d[1]) - (int64_t)g->pb[1];
                        if (i1 < 0 || i1 >= (int64_t)g->in[1] || lo >= hi)
                            continue;
                        const int16_t *xr = split + ((size_t)i0 * g->in[1] + (size_t)i1) *
                                                        row_len;
                        int32_t *a = acc + (o0 * g->out[1] + o1) * g->out[2];
                        /* input column of output q: q * s2 + base */
                        if (s2 == 2) {
                            /* column 2q + base: even base -> ev[q + base/2], odd -> od[...] */
                            const int16_t *src = (base & 1) ? xr + half : xr;
                            int64_t off = (base & 1) ? (base - 1) / 2 : base / 2;
                            const int16_t *sp = src + off + (int64_t)lo;
                            for (size_t q = lo; q < hi; q++)
                                a[q] = (int32_t)((uint32_t)a[q] +
                                                 (uint32_t)(wv * (int32_t)sp[q - lo]));
                        } else {
                            const int16_t *sp = xr + base + (int64_t)(lo * s2);
                            for (size_t q = lo; q < hi; q++)
                                a[q] = (int32_t)((uint32_t)a[q] +
                                                 (uint32_t)(wv * (int32_t)sp[(q - lo) * s2]));
                        }
                    }
                }
            }
}

/* The phase planes of one channel: int16 x - x_zp, 0 in the padding and the slack. */
#define DW_PHASES(T, NAME)                                                                   \
    INTERP_HOT static void NAME(const struct interp_kgeom *g, const struct dw_plan *pl,      \
                                const T *x, int32_t x_zp, int16_t *planes)                   \
    {                                                                                        \
        size_t H = g->in[1], W = g->in[2];                                                   \
        for (size_t ry = 0; ry < pl->sh; ry++)                                               \
            for (size_t rx = 0; rx < pl->sw; rx++) {                                         \
                int16_t *dst = planes + (ry * pl->sw + rx) * pl->plane;                      \
                if (!pl->used[ry * pl->sw + rx])                                             \
                    continue;                                                                \
                int64_t base = (int64_t)rx - (int64_t)g->pb[2];                              \
                size_t lo = pl->lo[rx], hi = pl->hi[rx];                                     \
                for (size_t i = 0; i < pl->Hq; i++, dst += pl->Wq) {                         \
                    int64_t iy = (int64_t)(i * pl->sh + ry) - (int64_t)g->pb[1];             \
                    if (iy < 0 || iy >= (int64_t)H || lo >= hi) {                            \
                        memset(dst, 0, pl->Wq * sizeof *dst);                                \
                        continue;                                                            \
                    }                                                                        \
                    const T *src = x + (size_t)iy * W + (size_t)(base + (int64_t)(lo * pl->sw)); \
                    for (size_t j = 0; j < lo; j++)                                          \
                        dst[j] = 0;                                                          \
                    if (pl->sw == 1)                                                         \
                        for (size_t j = lo; j < hi; j++)                                     \
                            dst[j] = (int16_t)(src[j - lo] - x_zp);                          \
                    else                                                                     \
                        for (size_t j = lo; j < hi; j++)                                     \
                            dst[j] = (int16_t)(src[(j - lo) * pl->sw] - x_zp);               \
                    for (size_t j = hi; j < pl->Wq; j++)                                     \
                        dst[j] = 0;                                                          \
                }                                                                            \
                memset(dst, 0, (pl->plane - pl->Hq * pl->Wq) * sizeof *dst);                 \
            }                                                                                \
    }

DW_PHASES(int8_t, dw_phases_s8)
DW_PHASES(uint8_t, dw_phases_u8)

#ifdef INTERP_HAVE_AVX2_GEMM
/* 16 int16 x - zp from 16 bytes (stride 1) or the even bytes of 32 (stride 2). */
__attribute__((target("avx2"))) static inline __m256i load16_i16(const uint8_t *p, size_t sw,
                                                                 bool sg, __m256i zp)
{
    __m256i v;
    if (sw == 1) {
        __m128i b = _mm_loadu_si128((const __m128i *)p);
        v = sg ? _mm256_cvtepi8_epi16(b) : _mm256_cvtepu8_epi16(b);
    } else {    /* byte pairs as 16-bit words: the wanted byte is the low half */
        __m256i w = _mm256_loadu_si256((const __m256i *)p);
        v = sg ? _mm256_srai_epi16(_mm256_slli_epi16(w, 8), 8)
               : _mm256_and_si256(w, _mm256_set1_epi16(0xff));
    }
    return _mm256_sub_epi16(v, zp);
}

/* 16 converted elements at dst: as they are, or (pairs) interleaved with partner b. */
__attribute__((target("avx2"))) static inline void store16(int16_t *dst, __m256i a, __m256i b,
                                                           bool pairs)
{
    if (!pairs) {
        _mm256_storeu_si256((__m256i *)dst, a);
        return;
    }
    __m256i l = _mm256_unpacklo_epi16(a, b), h = _mm256_unpackhi_epi16(a, b);
    _mm256_storeu_si256((__m256i *)dst, _mm256_permute2x128_si256(l, h, 0x20));
    _mm256_storeu_si256((__m256i *)(dst + 16), _mm256_permute2x128_si256(l, h, 0x31));
}

/*
 * The phase planes (dw_plan's layout) of one channel x0, or with `pairs` of a channel pair
 * as interleaved int16 (x0 - zp, x1 - zp) (x1 NULL: a zero partner), 0 in the padding and
 * the slack; strides 1 and 2. Stores go 16 elements at a time and run up to 15 past a row's
 * end: the next row, or the plane's zeroed slack, is written after them. Loads past the row
 * stay inside the tensor (x_end), else the row's tail goes one element at a time.
 */
__attribute__((target("avx2"))) static void phases_avx2(const struct interp_kgeom *g,
                                                        const struct dw_plan *pl,
                                                        const uint8_t *x0, const uint8_t *x1,
                                                        bool pairs, bool sg, int32_t x_zp,
                                                        const uint8_t *x_end, int16_t *planes)
{
    size_t H = g->in[1], W = g->in[2], sw = pl->sw, Wq = pl->Wq, ew = pairs ? 2 : 1;
    __m256i zp = _mm256_set1_epi16((int16_t)x_zp), zero = _mm256_setzero_si256();
    if (!pairs)
        x1 = NULL;
    for (size_t ry = 0; ry < pl->sh; ry++)
        for (size_t rx = 0; rx < sw; rx++) {
            int16_t *dst = planes + (ry * sw + rx) * pl->plane * ew;
            if (!pl->used[ry * sw + rx])    /* (a 1x1 kernel with stride 2 reads one) */
                continue;
            int64_t base = (int64_t)rx - (int64_t)g->pb[2];
            size_t lo = pl->lo[rx], hi = pl->hi[rx];
            for (size_t i = 0; i < pl->Hq; i++, dst += Wq * ew) {
                int64_t iy = (int64_t)(i * pl->sh + ry) - (int64_t)g->pb[1];
                size_t j = 0;
                if (iy >= 0 && iy < (int64_t)H && lo < hi) {
                    for (size_t z = 0; z < lo; z += 16)   /* the conversion overwrites */
                        store16(dst + z * ew, zero, zero, pairs);
                    size_t off = (size_t)iy * W + (size_t)(base + (int64_t)(lo * sw));
                    const uint8_t *s0 = x0 + off, *s1 = x1 ? x1 + off : NULL;
                    for (j = lo; j < hi; j += 16) {
                        size_t k = (j - lo) * sw;
                        if ((size_t)(x_end - (s1 ? s1 : s0) - k) < 16 * sw)  /* s1 > s0 */
                            break;
                        store16(dst + j * ew, load16_i16(s0 + k, sw, sg, zp),
                                s1 ? load16_i16(s1 + k, sw, sg, zp) : zero, pairs);
                    }
                    for (; j < hi; j++) {
                        size_t k = (j - lo) * sw;
                        dst[j * ew] = (int16_t)((sg ? (int32_t)(int8_t)s0[k] : s0[k]) - x_zp);
                        if (pairs)
                            dst[j * 2 + 1] = (int16_t)(!s1 ? 0 : (sg ? (int32_t)(int8_t)s1[k]
                                                                     : s1[k]) - x_zp);
                    }
                    j = hi;
                }
                for (; j < Wq; j += 16)
                    store16(dst + j * ew, zero, zero, pairs);
            }
            memset(dst, 0, (pl->plane - pl->Hq * Wq) * ew * sizeof *dst);
        }
}
#endif

/* acc[q] = bias + sum_t w[t] * planes[off[t] + q] for q < Q, block by block (wrapping). */
INTERP_HOT static void dw_q8_phased(const struct dw_plan *pl, size_t T, const int16_t *w,
                                    int32_t bias, const int16_t *planes, int32_t *acc)
{
    for (size_t q0 = 0; q0 < pl->Q; q0 += DW_BLOCK) {
        uint32_t a[DW_BLOCK];
        for (size_t j = 0; j < DW_BLOCK; j++)
            a[j] = (uint32_t)bias;
        for (size_t t = 0; t < T; t++) {
            const int16_t *src = planes + pl->off[t] + q0;
            int32_t wv = w[t];
            for (size_t j = 0; j < DW_BLOCK; j++)
                a[j] += (uint32_t)(wv * (int32_t)src[j]);
        }
        for (size_t j = 0; j < DW_BLOCK; j++)
            acc[q0 + j] = (int32_t)a[j];
    }
}

#ifdef INTERP_HAVE_AVX2_GEMM
/*
 * dw_q8_phased with vpmaddwd: taps go in pairs (t, t+1), their two input rows interleaved by
 * unpacklo/hi so each 32-bit lane holds (x_t, x_t+1) and multiplies (w_t, w_t+1); an odd T
 * pairs its last tap with a zero weight. Pair sums are exact (|w|, |x| <= 255), and the
 * unpack's lane order (outputs 0-3, 8-11 | 4-7, 12-15) is undone on store.
 */
__attribute__((target("avx2"))) static void dw_q8_phased_avx2(const struct dw_plan *pl,
                                                              size_t T, const int16_t *w,
                                                              int32_t bias,
                                                              const int16_t *planes,
                                                              int32_t *acc)
{
    for (size_t q0 = 0; q0 < pl->Q; q0 += DW_BLOCK) {
        __m256i lo0 = _mm256_set1_epi32(bias), hi0 = lo0, lo1 = lo0, hi1 = lo0;
        for (size_t t = 0; t < T; t += 2) {
            size_t u = t + 1 < T ? t + 1 : t;
            int32_t wu = t + 1 < T ? w[t + 1] : 0;
            const int16_t *a = planes + pl->off[t] + q0, *b = planes + pl->off[u] + q0;
            __m256i wv = _mm256_set1_epi32((int32_t)((uint32_t)(uint16_t)w[t] |
                                                     (uint32_t)(uint16_t)wu << 16));
            __m256i a0 = _mm256_loadu_si256((const __m256i *)a);
            __m256i b0 = _mm256_loadu_si256((const __m256i *)b);
            __m256i a1 = _mm256_loadu_si256((const __m256i *)(a + 16));
            __m256i b1 = _mm256_loadu_si256((const __m256i *)(b + 16));
            lo0 = _mm256_add_epi32(lo0, _mm256_madd_epi16(_mm256_unpacklo_epi16(a0, b0), wv));
            hi0 = _mm256_add_epi32(hi0, _mm256_madd_epi16(_mm256_unpackhi_epi16(a0, b0), wv));
            lo1 = _mm256_add_epi32(lo1, _mm256_madd_epi16(_mm256_unpacklo_epi16(a1, b1), wv));
            hi1 = _mm256_add_epi32(hi1, _mm256_madd_epi16(_mm256_unpackhi_epi16(a1, b1), wv));
        }
        int32_t *o = acc + q0;
        _mm256_storeu_si256((__m256i *)o, _mm256_permute2x128_si256(lo0, hi0, 0x20));
        _mm256_storeu_si256((__m256i *)(o + 8), _mm256_permute2x128_si256(lo0, hi0, 0x31));
        _mm256_storeu_si256((__m256i *)(o + 16), _mm256_permute2x128_si256(lo1, hi1, 0x20));
        _mm256_storeu_si256((__m256i *)(o + 24), _mm256_permute2x128_si256(lo1, hi1, 0x31));
    }
}
#endif

/* Weights prepared for the GEMMs; cached per node (q->cache) when the weights are constant. */
struct wprep {
    const void *w;              /* key: the weights, bias, zero point and layout it was made for */
    const int32_t *bias;
    int32_t x_zp;
    bool pairs, avx2, direct;
    size_t m, K;
    int16_t *wq;                /* [m][Kp] w - w_zp (pairs: raw w in ORT's tap order) */
    int32_t *bias_adj;          /* [m] bias (pairs: minus x_zp * sum(w - w_zp)) */
    int32_t *wpk;               /* avx2: tap pairs packed for vpmaddwd, [m][K2] (direct:
                                   K2 = T x channel pairs, per tap), then reordered into
                                   panel_weights' channel panels per group */
};

static struct wprep *prepare_weights(const struct interp_qconv *q, bool pairs, bool avx2,
                                     bool direct, size_t K, size_t Kp, size_t K2, size_t T,
                                     size_t cg)
{
    struct wprep *wp = q->cache ? *q->cache : NULL;
    if (wp && wp->w == q->w && wp->bias == q->bias && wp->x_zp == q->x_zp &&
        wp->pairs == pairs && wp->avx2 == avx2 && wp->direct == direct && wp->m == q->m &&
        wp->K == K)
        return wp;
    size_t m = q->m ? q->m : 1;
    size_t cp2 = (cg + 1) / 2;
    if (direct && T * cp2 > K2)
        K2 = T * cp2;
    size_t bytes = sizeof *wp + m * Kp * sizeof(int16_t) + 2 * m * sizeof(int32_t) +
                   (avx2 ? m * K2 * sizeof(int32_t) : 0) + 32;  /* gemv1 reads past */
    struct wprep *n = mem_calloc(1, bytes);
    if (!n)
        return NULL;
    n->w = q->w;
    n->bias = q->bias;
    n->x_zp = q->x_zp;
    n->pairs = pairs;
    n->avx2 = avx2;
    n->direct = direct;
    n->m = q->m;
    n->K = K;
    /* int32 arrays first (aligned after the header), then the int16 one */
    n->bias_adj = (int32_t *)(void *)(n + 1);
    int32_t *wsum = n->bias_adj + m;
    n->wpk = avx2 ? wsum + m : NULL;
    n->wq = (int16_t *)(void *)((avx2 ? n->wpk + m * K2 : wsum + m));
    for (size_t oc = 0; oc < q->m; oc++)
        for (size_t k = 0; k < K; k++) {
            int32_t wv = q->w_signed ? ((const int8_t *)q->w)[oc * K + k]
                                     : ((const uint8_t *)q->w)[oc * K + k];
            if (pairs) {
                /* weights stored [m][c][taps]; ORT's K runs over (tap, c) */
                size_t ci = k / T, t = k % T;
                n->wq[oc * Kp + t * cg + ci] = (int16_t)wv;
                wsum[oc] += wv - q->w_zp[oc];
            } else {
                n->wq[oc * K + k] = (int16_t)(wv - q->w_zp[oc]);
            }
        }
    /* the pairs path works on raw x: take x_zp * sum(w) back out through the bias */
    for (size_t oc = 0; oc < q->m; oc++)
        n->bias_adj[oc] = (int32_t)((uint32_t)(q->bias ? q->bias[oc] : 0) -
                                    (uint32_t)(pairs ? q->x_zp * wsum[oc] : 0));
    if (avx2 && direct) {
        /* per tap t, channel pairs (2c, 2c + 1): the rows the direct path reads */
        size_t K2d = T * cp2;
        for (size_t oc = 0; oc < q->m; oc++)
            for (size_t t = 0; t < T; t++)
                for (size_t c = 0; c < cg; c++) {
                    uint32_t h = (uint32_t)(uint16_t)n->wq[oc * K + c * T + t];
                    uint32_t *slot = (uint32_t *)(void *)&n->wpk[oc * K2d + t * cp2 + c / 2];
                    *slot |= c & 1 ? h << 16 : h;
                }
    } else if (avx2) {
        for (size_t oc = 0; oc < q->m; oc++)
            for (size_t k = 0; k < K; k++) {
                uint32_t h = (uint32_t)(uint16_t)n->wq[oc * K + k];
                uint32_t *slot = (uint32_t *)(void *)&n->wpk[oc * K2 + k / 2];
                *slot |= k & 1 ? h << 16 : h;
            }
    }
    if (avx2) {     /* per convolution group, the channel panels gemm_q8_avx2 reads */
        size_t groups = q->groups ? q->groups : 1, mg = q->m / groups;
        size_t k2 = direct ? T * cp2 : K2;
        int32_t *tmp = mem_alloc((mg ? mg : 1) * (k2 ? k2 : 1) * sizeof *tmp);
        if (!tmp) {
            mem_free(n);
            return NULL;
        }
        for (size_t gi = 0; gi < groups; gi++)
            panel_weights(n->wpk + gi * mg * k2, mg, k2, tmp);
        mem_free(tmp);
    }
    if (q->cache) {
        mem_free(*q->cache);
        *q->cache = n;
    }
    return n;
}

#ifdef INTERP_HAVE_AVX2_GEMM
/*
 * 2-D convolution without im2col, for strides 1 and 2: each channel pair is copied once
 * into phase planes of interleaved int16 pairs (dw_plan's layout, x - x_zp, zero padded).
 * The GEMM row of (tap, channel pair) is then a phase plane shifted by the tap's offset, run
 * over the OH x Wq positions; the Wq - OW extra columns of each row are dropped. Same sums
 * as im2col.
 */
static int conv_q8_direct(const struct interp_qconv *q, const struct wprep *wp,
                          const struct dw_plan *pl, struct interp_kbuf *sb, size_t cg,
                          size_t mg, size_t T, struct errbuf *eb)
{
    const struct interp_kgeom *g = &q->geom;
    size_t OH = g->out[1], OW = g->out[2], P = OH * OW, I = g->in[1] * g->in[2];
    size_t cp2 = (cg + 1) / 2, K2 = T * cp2, n_ph = pl->sh * pl->sw;
    size_t pair_plane = n_ph * pl->plane * 2, bytes, acc_bytes;   /* int16 per channel pair */
    if (!size_mul(pair_plane, cp2, &bytes) || !size_mul(bytes, sizeof(int16_t), &bytes) ||
        !size_mul(mg ? mg : 1, pl->Q, &acc_bytes) ||
        !size_mul(acc_bytes, sizeof(int32_t), &acc_bytes))
        return errbuf_set(eb, ST_ELIMIT, "convolution too large");
    int16_t *planes = interp_kbuf_get(&sb[4], bytes);
    const int16_t **rowp = interp_kbuf_get(&sb[5], (K2 ? K2 : 1) * sizeof *rowp);
    int32_t *acc = interp_kbuf_get(&sb[2], acc_bytes);
    int32_t *cmp = interp_kbuf_get(&sb[1], (P ? P : 1) * sizeof *cmp);
    if (!planes || !rowp || !acc || !cmp)
        return errbuf_set(eb, ST_ENOMEM, "out of memory for the convolution");
    /* the weights are packed per tap, channel pairs within (prepare_weights' direct) */
    for (size_t t = 0; t < T; t++)
        for (size_t c = 0; c < cp2; c++)
            rowp[t * cp2 + c] = planes + c * pair_plane + pl->off[t] * 2;
    /* a pointwise image is its own plane: one pass, no padding to write */
    bool whole = n_ph == 1 && pl->Hq == g->in[1] && pl->Wq == g->in[2] && !g->pb[1] &&
                 !g->pb[2];
    const uint8_t *x_end = (const uint8_t *)q->x + q->n * q->c * I;
    for (size_t b = 0; b < q->n; b++)
        for (size_t gi = 0; gi < q->groups; gi++) {
            const uint8_t *xg = (const uint8_t *)q->x + (b * q->c + gi * cg) * I;
            for (size_t c = 0; c < cg; c += 2) {
                int16_t *pp = planes + (c / 2) * pair_plane;
                const uint8_t *x0 = xg + c * I, *x1 = c + 1 < cg ? x0 + I : NULL;
                if (whole) {
                    pair_rows_avx2(pp, x0, x1, q->x_signed, q->x_zp, I);
                    memset(pp + I * 2, 0, (pl->plane - I) * 2 * sizeof *pp);
                } else {
                    phases_avx2(g, pl, x0, x1, true, q->x_signed, q->x_zp, x_end, pp);
                }
            }
            gemm_q8_avx2(acc, wp->wpk + gi * mg * K2, rowp, wp->bias_adj + gi * mg, mg, K2,
                         OH * pl->Wq);
            for (size_t mi = 0; mi < mg; mi++) {
                size_t oc = gi * mg + mi;
                finish_rows(q->rq, acc + mi * p_blocks16(OH * pl->Wq), OH, OW, pl->Wq, oc,
                            q->out, q->out_signed, (b * q->m + oc) * P, cmp);
            }
        }
    return 0;
}
#endif

/* Depthwise (one channel in and out per group), 2-D through phase planes, else dw_q8. */
static int conv_q8_depthwise(const struct interp_qconv *q, const struct wprep *wp,
                             struct interp_kbuf *sb, struct errbuf *eb)
{
    const struct interp_kgeom *g = &q->geom;
    size_t P = n_out(g), T = n_taps(g), I = n_in(g);
    struct dw_plan pl;
    if (!dw_plan_make(g, &pl)) {
        size_t rows = g->in[0] * g->in[1], half = (g->in[2] + 1) / 2;
        int16_t *split = interp_kbuf_get(&sb[3], rows * 2 * half * sizeof *split);
        int32_t *acc = interp_kbuf_get(&sb[2], (P ? P : 1) * sizeof *acc);
        if (!split || !acc)
            return errbuf_set(eb, ST_ENOMEM, "out of memory for the depthwise input");
        for (size_t b = 0; b < q->n; b++)
            for (size_t gi = 0; gi < q->groups; gi++) {
                const char *xg = (const char *)q->x + (b * q->c + gi) * I;
                dw_q8(g, xg, q->x_signed, q->x_zp, wp->wq + gi * T, wp->bias_adj[gi], acc,
                      split);
                finish_rows(q->rq, acc, 1, P, P, gi, q->out, q->out_signed,
                            (b * q->m + gi) * P, NULL);
            }
        return 0;
    }
    size_t n_planes = pl.sh * pl.sw, bytes;
    if (!size_mul(n_planes, pl.plane, &bytes) || !size_mul(bytes, sizeof(int16_t), &bytes))
        return errbuf_set(eb, ST_ELIMIT, "convolution too large");
    int16_t *planes = interp_kbuf_get(&sb[3], bytes);
    int32_t *acc = interp_kbuf_get(&sb[2], pl.Q * sizeof *acc);
    int32_t *cmp = interp_kbuf_get(&sb[1], (P ? P : 1) * sizeof *cmp);
    if (!planes || !acc || !cmp)
        return errbuf_set(eb, ST_ENOMEM, "out of memory for the depthwise input");
    size_t OH = g->out[1], OW = g->out[2];
    bool avx2 = false;
#ifdef INTERP_HAVE_AVX2_GEMM
    avx2 = __builtin_cpu_supports("avx2");
    /* rows narrower than the output stage's 32: requantize the whole Q contiguously */
    bool narrow = pl.Wq != OW && OW < 32 && rq_tflm_fast(q->rq, 0, q->m);
    uint8_t *qrows = narrow ? interp_kbuf_get(&sb[0], pl.Q + 32) : NULL;
    if (narrow && !qrows)
        return errbuf_set(eb, ST_ENOMEM, "out of memory for the depthwise output");
#endif
    for (size_t b = 0; b < q->n; b++)
        for (size_t gi = 0; gi < q->groups; gi++) {
            size_t xo = (b * q->c + gi) * I;
#ifdef INTERP_HAVE_AVX2_GEMM
            if (avx2 && pl.sw <= 2)
                phases_avx2(g, &pl, (const uint8_t *)q->x + xo, NULL, false, q->x_signed,
                            q->x_zp, (const uint8_t *)q->x + q->n * q->c * I, planes);
            else
#endif
            if (q->x_signed)
                dw_phases_s8(g, &pl, (const int8_t *)q->x + xo, q->x_zp, planes);
            else
                dw_phases_u8(g, &pl, (const uint8_t *)q->x + xo, q->x_zp, planes);
#ifdef INTERP_HAVE_AVX2_GEMM
            if (avx2)
                dw_q8_phased_avx2(&pl, T, wp->wq + gi * T, wp->bias_adj[gi], planes, acc);
            else
#endif
                dw_q8_phased(&pl, T, wp->wq + gi * T, wp->bias_adj[gi], planes, acc);
#ifdef INTERP_HAVE_AVX2_GEMM
            if (narrow) {   /* all Q at once in 32s, then the rows picked out of the bytes */
                finish_rows_tflm_avx2(q->rq, acc, 1, pl.Q, pl.Q, q->rq->n > 1 ? gi : 0, qrows,
                                      q->out_signed);
                compact_rows_avx2((uint8_t *)q->out + (b * q->m + gi) * P, qrows, OH, OW,
                                  pl.Wq);
                continue;
            }
#endif
            finish_rows(q->rq, acc, OH, OW, pl.Wq, gi, q->out, q->out_signed,
                        (b * q->m + gi) * P, cmp);
        }
    return 0;
}

#ifdef INTERP_HAVE_AVX2_GEMM
/* Any other convolution on AVX2: im2col straight into tap pairs, then gemm_q8_avx2. */
static int conv_q8_im2col_avx2(const struct interp_qconv *q, const struct wprep *wp,
                               struct interp_kbuf *sb, size_t cg, size_t mg, size_t T,
                               struct errbuf *eb)
{
    const struct interp_kgeom *g = &q->geom;
    size_t P = n_out(g), I = n_in(g), K = cg * T, K2 = (K + 1) / 2, ps = p_blocks16(P);
    size_t col_bytes, acc_bytes;
    if (!size_mul(K2, ps * 2, &col_bytes) || !size_mul(col_bytes, sizeof(int16_t), &col_bytes) ||
        !size_mul(mg ? mg : 1, ps ? ps : 16, &acc_bytes) ||
        !size_mul(acc_bytes, sizeof(int32_t), &acc_bytes))
        return errbuf_set(eb, ST_ELIMIT, "convolution too large");
    int16_t *col2 = interp_kbuf_get(&sb[4], col_bytes);
    const int16_t **rowp = interp_kbuf_get(&sb[5], (K2 ? K2 : 1) * sizeof *rowp);
    int32_t *acc = interp_kbuf_get(&sb[2], acc_bytes);
    if (!col2 || !rowp || !acc)
        return errbuf_set(eb, ST_ENOMEM, "out of memory for im2col");
    for (size_t k = 0; k < K2; k++) {
        rowp[k] = col2 + k * ps * 2;
        /* the pixels past P, and the zero tap closing an odd K, are never written below */
        memset(col2 + (k * ps + P) * 2, 0, (ps - P) * 2 * sizeof *col2);
    }
    if (K & 1)
        memset(col2 + (K2 - 1) * ps * 2, 0, ps * 2 * sizeof *col2);
    for (size_t b = 0; b < q->n; b++)
        for (size_t gi = 0; gi < q->groups; gi++) {
            size_t x_off = (b * q->c + gi * cg) * I;
            for (size_t ci = 0; ci < cg; ci++) {
                if (q->x_signed)
                    im2col_s8(g, (const int8_t *)q->x + x_off + ci * I, col2, ci * T, ps,
                              true, 0, q->x_zp);
                else
                    im2col_u8(g, (const uint8_t *)q->x + x_off + ci * I, col2, ci * T, ps,
                              true, 0, q->x_zp);
            }
            gemm_q8_avx2(acc, wp->wpk + gi * mg * K2, rowp, wp->bias_adj + gi * mg, mg, K2, P);
            for (size_t mi = 0; mi < mg; mi++) {
                size_t oc = gi * mg + mi;
                finish_rows(q->rq, acc + mi * ps, 1, P, P, oc, q->out, q->out_signed,
                            (b * q->m + oc) * P, NULL);
            }
        }
    return 0;
}
#endif

/* The portable path: im2col rows, then gemm_q8 (or ORT's saturating pairs). */
static int conv_q8_portable(const struct interp_qconv *q, const struct wprep *wp,
                            struct interp_kbuf *sb, size_t cg, size_t mg, size_t T, size_t Kp,
                            bool pairs, struct errbuf *eb)
{
    const struct interp_kgeom *g = &q->geom;
    size_t P = n_out(g), I = n_in(g), K = cg * T;
    size_t col_bytes, acc_n;
    if (!size_mul(Kp, P, &col_bytes) || !size_mul(col_bytes, sizeof(int16_t), &col_bytes) ||
        !size_mul(mg ? mg : 1, P ? P : 1, &acc_n) || acc_n > SIZE_MAX / sizeof(int32_t))
        return errbuf_set(eb, ST_ELIMIT, "convolution too large");
    int16_t *col = interp_kbuf_get(&sb[0], col_bytes);
    int32_t *acc = interp_kbuf_get(&sb[2], acc_n * sizeof *acc);
    if (!col || !acc)
        return errbuf_set(eb, ST_ENOMEM, "out of memory for im2col");
    if (Kp > K)     /* the zero tap closing an odd pair */
        memset(col + K * P, 0, (Kp - K) * P * sizeof *col);
    for (size_t b = 0; b < q->n; b++)
        for (size_t gi = 0; gi < q->groups; gi++) {
            size_t x_off = (b * q->c + gi * cg) * I;
            if (pairs)
                im2col_tap_major(g, (const uint8_t *)q->x + x_off, cg, I, col,
                                 (int16_t)q->x_zp);
            else
                for (size_t ci = 0; ci < cg; ci++) {
                    if (q->x_signed)
                        im2col_s8(g, (const int8_t *)q->x + x_off + ci * I, col, ci * T, P,
                                  false, 0, q->x_zp);
                    else
                        im2col_u8(g, (const uint8_t *)q->x + x_off + ci * I, col, ci * T, P,
                                  false, 0, q->x_zp);
                }
            const int32_t *bg = wp->bias_adj + gi * mg;
            if (pairs)
                gemm_q8_pairs(acc, wp->wq + gi * mg * Kp, col, bg, mg, Kp, P);
            else
                gemm_q8(acc, wp->wq + gi * mg * Kp, col, bg, mg, Kp, P);
            for (size_t mi = 0; mi < mg; mi++) {
                size_t oc = gi * mg + mi;
                finish_rows(q->rq, acc + mi * P, 1, P, P, oc, q->out, q->out_signed,
                            (b * q->m + oc) * P, NULL);
            }
        }
    return 0;
}

int interp_k_conv_q8(const struct interp_qconv *q, struct errbuf *eb)
{
    const struct interp_kgeom *g = &q->geom;
    size_t T = n_taps(g);
    size_t cg = q->c / q->groups, mg = q->m / q->groups, K = cg * T;
    bool depthwise = cg == 1 && mg == 1;
    /* ORT runs depthwise convolutions through its exact MlasConvDepthwise kernel, not the
       saturating GEMM */
    bool pairs = q->ort_u8s8_pairs && !q->x_signed && q->w_signed && !depthwise;
    size_t Kp = pairs ? K + (K & 1) : K;    /* an odd K gets a zero tap to close the pair */
    size_t w_bytes;
    if (!size_mul(Kp, q->m, &w_bytes) || !size_mul(w_bytes, 8, &w_bytes))
        return errbuf_set(eb, ST_ELIMIT, "convolution too large");
    size_t K2 = (K + 1) / 2;
    bool avx2 = false;
#ifdef INTERP_HAVE_AVX2_GEMM
    avx2 = !pairs && !depthwise && __builtin_cpu_supports("avx2");
#endif
    /* 2-D/1-D convolutions with strides up to 2 read shifted views of phase planes */
    struct dw_plan pl;
    bool direct = avx2 && dw_plan_make(g, &pl) && pl.sh <= 2 && pl.sw <= 2;
    struct wprep *wp = prepare_weights(q, pairs, avx2, direct, K, Kp, K2, T, cg);
    if (!wp)
        return errbuf_set(eb, ST_ENOMEM, "out of memory for the weights");
    struct interp_kbuf *sb = q->scratch;
    int rc;
    if (depthwise)
        rc = conv_q8_depthwise(q, wp, sb, eb);
#ifdef INTERP_HAVE_AVX2_GEMM
    else if (direct)
        rc = conv_q8_direct(q, wp, &pl, sb, cg, mg, T, eb);
    else if (avx2)
        rc = conv_q8_im2col_avx2(q, wp, sb, cg, mg, T, eb);
#endif
    else
        rc = conv_q8_portable(q, wp, sb, cg, mg, T, Kp, pairs, eb);
    if (!q->cache)
        mem_free(wp);
    return rc;
}

/* One output row tile of the exact 8-bit matmul: acc[j] over k, j innermost (vectorises). */
INTERP_HOT static void mm_row_tile(const struct interp_mm *mm, const void *a, bool a_signed,
                                   int32_t a_zp, const void *b, bool b_signed,
                                   const int32_t *b_zp, const struct interp_requant *rq, void *o,
                                   bool out_signed, size_t oa, size_t ob, size_t bi, size_t i,
                                   size_t j0)
{
    size_t M = mm->m, N = mm->n, K = mm->k;
    size_t jn = N - j0 < TILE_Q ? N - j0 : TILE_Q;
    int32_t acc[TILE_Q], bz[TILE_Q];
    for (size_t j = 0; j < jn; j++) {
        acc[j] = 0;
        bz[j] = b_zp[j0 + j];
    }
    for (size_t k = 0; k < K; k++) {
        size_t ia = oa + i * K + k;
        int32_t av = (a_signed ? ((const int8_t *)a)[ia] : ((const uint8_t *)a)[ia]) - a_zp;
        size_t ib = ob + k * N + j0;
        if (b_signed) {
            const int8_t *br = (const int8_t *)b + ib;
            for (size_t j = 0; j < jn; j++)
                acc[j] = (int32_t)((uint32_t)acc[j] + (uint32_t)(av * ((int32_t)br[j] - bz[j])));
        } else {
            const uint8_t *br = (const uint8_t *)b + ib;
            for (size_t j = 0; j < jn; j++)
                acc[j] = (int32_t)((uint32_t)acc[j] + (uint32_t)(av * ((int32_t)br[j] - bz[j])));
        }
    }
    size_t io = bi * M * N + i * N + j0;
    for (size_t j = 0; j < jn; j++) {
        if (!rq)
            ((int32_t *)o)[io + j] = acc[j];
        else
            store_q(o, out_signed, io + j, interp_requant(rq, acc[j], j0 + j));
    }
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
    if (!pairs) {
        FOR_BATCH(mm, {
            for (size_t i = 0; i < M; i++)
                for (size_t j0 = 0; j0 < N; j0 += TILE_Q)
                    mm_row_tile(mm, a, a_signed, a_zp, b, b_signed, b_zp, rq, o, out_signed,
                                (size_t)oa, (size_t)ob, bi, i, j0);
        });
        return;
    }
    FOR_BATCH(mm, {
        const uint8_t *au = (const uint8_t *)a + oa;
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
                        s = s < -32768 ? -32768 : s > 32767 ? 32767 : s;
                        acc = (int32_t)((uint32_t)acc + (uint32_t)s);
                    }
                    acc = (int32_t)((uint32_t)acc - (uint32_t)(a_zp * bsum));
                } else {
                    /* (the exact path is done row-wise below) */
                    continue;
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

#define MAXPOOL_W 4096     /* widest row the row-wise pool keeps on the stack */
#define MAXPOOL_TAPS 32    /* most horizontal taps it takes */

/* q in [lo, hi): the outputs whose input q * s + base lies in [0, n). */
static void pool_range(size_t out, size_t s, int64_t base, size_t n, size_t *lo, size_t *hi)
{
    int64_t si = (int64_t)s, l = base >= 0 ? 0 : (-base + si - 1) / si;
    int64_t h = (int64_t)n - base <= 0 ? 0 : ((int64_t)n - base + si - 1) / si;
    h = h > (int64_t)out ? (int64_t)out : h;
    l = l > h ? h : l;
    *lo = (size_t)l;
    *hi = (size_t)h;
}

/*
 * Integer 2-D/1-D max pool by rows: per output row, the max over the kernel's input rows
 * (contiguous, vectorises), split once into stride phases (column c to phase c % s, slot
 * c / s), so that each horizontal tap reads a contiguous run. Integer max does not depend on
 * the order. false: a geometry it does not take (3-D, very wide rows, big strides).
 */
#define MAXPOOL_ROWS(T, NAME, LOWEST)                                                     \
    INTERP_HOT static bool NAME(const struct interp_kgeom *g, size_t planes, const T *x,  \
                                T *o)                                                     \
    {                                                                                     \
        size_t H = g->in[1], W = g->in[2], OH = g->out[1], OW = g->out[2], s2 = g->s[2];  \
        if (g->in[0] != 1 || g->out[0] != 1 || g->k[0] != 1 || g->pb[0] != 0 ||          \
            W > MAXPOOL_W || s2 > 8 || s2 == 0 || W == 0 || g->k[2] > MAXPOOL_TAPS)       \
            return false;                                                                 \
        size_t nph = (W + s2 - 1) / s2, nk = 0;                                           \
        /* per horizontal tap: the outputs it reaches and where they start in the phases */\
        size_t klo[MAXPOOL_TAPS], khi[MAXPOOL_TAPS], koff[MAXPOOL_TAPS];                  \
        for (size_t k2 = 0; k2 < g->k[2]; k2++) {                                         \
            int64_t base = (int64_t)(k2 * g->d[2]) - (int64_t)g->pb[2];                   \
            pool_range(OW, s2, base, W, &klo[nk], &khi[nk]);                              \
            if (klo[nk] >= khi[nk])                                                       \
                continue;                                                                 \
            int64_t first = (int64_t)klo[nk] * (int64_t)s2 + base; /* >= 0 */             \
            koff[nk] = (size_t)(first % (int64_t)s2) * nph + (size_t)(first / (int64_t)s2);\
            nk++;                                                                         \
        }                                                                                 \
        T v[MAXPOOL_W], ph[MAXPOOL_W + 8];                                                \
        for (size_t pl = 0; pl < planes; pl++) {                                          \
            const T *xp = x + pl * H * W;                                                 \
            for (size_t o1 = 0; o1 < OH; o1++) {                                          \
                T *restrict orow = o + (pl * OH + o1) * OW;                               \
                bool any = false;                                                         \
                for (size_t k1 = 0; k1 < g->k[1]; k1++) {                                 \
                    int64_t i1 = (int64_t)(o1 * g->s[1] + k1 * g->d[1]) -                 \
                                 (int64_t)g->pb[1];                                       \
                    if (i1 < 0 || i1 >= (int64_t)H)                                       \
                        continue;                                                         \
                    const T *restrict xr = xp + (size_t)i1 * W;                           \
                    if (!any)                                                             \
                        memcpy(v, xr, W * sizeof(T));                                     \
                    else                                                                  \
                        for (size_t c = 0; c < W; c++)                                    \
                            v[c] = xr[c] > v[c] ? xr[c] : v[c];                           \
                    any = true;                                                           \
                }                                                                         \
                if (!any || nk == 0) {                                                    \
                    for (size_t q = 0; q < OW; q++)                                       \
                        orow[q] = LOWEST;                                                 \
                    continue;                                                             \
                }                                                                         \
                const T *src = v;                                                         \
                if (s2 == 2) {                                                            \
                    for (size_t m = 0; m < W / 2; m++) {                                  \
                        ph[m] = v[2 * m];                                                 \
                        ph[nph + m] = v[2 * m + 1];                                       \
                    }                                                                     \
                    if (W % 2)                                                            \
                        ph[W / 2] = v[W - 1];                                             \
                    src = ph;                                                             \
                } else if (s2 > 2) {                                                      \
                    for (size_t r = 0; r < s2; r++)                                       \
                        for (size_t m = 0; m * s2 + r < W; m++)                           \
                            ph[r * nph + m] = v[m * s2 + r];                              \
                    src = ph;                                                             \
                }                                                                         \
                for (size_t q = 0; q < klo[0]; q++)                                       \
                    orow[q] = LOWEST;                                                     \
                for (size_t q = khi[0]; q < OW; q++)                                      \
                    orow[q] = LOWEST;                                                     \
                memcpy(orow + klo[0], src + koff[0], (khi[0] - klo[0]) * sizeof(T));      \
                for (size_t t = 1; t < nk; t++) {                                         \
                    const T *restrict pr = src + koff[t];                                 \
                    for (size_t q = klo[t]; q < khi[t]; q++)                              \
                        orow[q] = pr[q - klo[t]] > orow[q] ? pr[q - klo[t]] : orow[q];    \
                }                                                                         \
            }                                                                             \
        }                                                                                 \
        return true;                                                                      \
    }

MAXPOOL_ROWS(uint8_t, maxpool_rows_u8, 0)
MAXPOOL_ROWS(int8_t, maxpool_rows_s8, -128)

/*
 * Max pool, tap by tap over whole output rows (in-bounds ranges precomputed, as in dw_q8):
 * out = max over in-bounds taps, LOWEST when there is none. Integer pools that ROWS takes go
 * row-wise instead.
 */
#define MAXPOOL(T, NAME, LOWEST, ROWS)                                                    \
    INTERP_HOT void NAME(const struct interp_kgeom *g, size_t planes, const T *x, T *o)   \
    {                                                                                     \
        if (ROWS(g, planes, x, o))                                                        \
            return;                                                                       \
        size_t I = n_in(g), P = n_out(g), s2 = g->s[2];                                   \
        for (size_t pl = 0; pl < planes; pl++) {                                          \
            const T *xp = x + pl * I;                                                     \
            T *op = o + pl * P;                                                           \
            for (size_t p = 0; p < P; p++)                                                \
                op[p] = LOWEST;                                                           \
            for (size_t k0 = 0; k0 < g->k[0]; k0++)                                       \
                for (size_t k1 = 0; k1 < g->k[1]; k1++)                                   \
                    for (size_t k2 = 0; k2 < g->k[2]; k2++) {                             \
                        int64_t base = (int64_t)(k2 * g->d[2]) - (int64_t)g->pb[2];       \
                        size_t lo, hi;                                                    \
                        inner_range(g->out[2], s2, base, (int64_t)g->in[2], &lo, &hi);    \
                        for (size_t o0 = 0; o0 < g->out[0]; o0++) {                       \
                            int64_t i0 = (int64_t)(o0 * g->s[0] + k0 * g->d[0]) -         \
                                         (int64_t)g->pb[0];                               \
                            if (i0 < 0 || i0 >= (int64_t)g->in[0])                        \
                                continue;                                                 \
                            for (size_t o1 = 0; o1 < g->out[1]; o1++) {                   \
                                int64_t i1 = (int64_t)(o1 * g->s[1] + k1 * g->d[1]) -     \
                                             (int64_t)g->pb[1];                           \
                                if (i1 < 0 || i1 >= (int64_t)g->in[1])                    \
                                    continue;                                             \
                                const T *xr = xp + ((size_t)i0 * g->in[1] + (size_t)i1) * \
                                                       g->in[2] +                         \
                                              (size_t)(base + (int64_t)(lo * s2));        \
                                T *orow = op + (o0 * g->out[1] + o1) * g->out[2];         \
                                for (size_t q = lo; q < hi; q++) {                        \
                                    T v = xr[(q - lo) * s2];                              \
                                    orow[q] = v > orow[q] ? v : orow[q];                  \
                                }                                                         \
                            }                                                             \
                        }                                                                 \
                    }                                                                     \
        }                                                                                 \
    }

/* floats take the plain walk: -0.0 and 0.0 tie, and the first one met is kept */
#define MAXPOOL_NO_ROWS(g, planes, x, o) ((void)(g), (void)(planes), (void)(x), (void)(o), false)
MAXPOOL(float, interp_k_maxpool_f32, -INFINITY, MAXPOOL_NO_ROWS)
MAXPOOL(uint8_t, interp_k_maxpool_u8, 0, maxpool_rows_u8)
MAXPOOL(int8_t, interp_k_maxpool_s8, -128, maxpool_rows_s8)

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


#ifdef INTERP_HAVE_AVX2_GEMM
/* interp_k_quantize on 8 lanes: the same division, clamp and rounding; NaN gives zp. */
__attribute__((target("avx2"))) static size_t quantize_avx2(const float *x, uint8_t *o,
                                                            bool is_signed, size_t len,
                                                            float scale, float lo, float hi,
                                                            int32_t zp)
{
    __m256 s = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    __m256i vzp = _mm256_set1_epi32(zp);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        __m256 y = _mm256_div_ps(_mm256_loadu_ps(x + i), s);
        __m256 nan = _mm256_cmp_ps(y, y, _CMP_UNORD_Q);
        y = _mm256_andnot_ps(nan, _mm256_min_ps(vhi, _mm256_max_ps(vlo, y)));
        __m256i q = _mm256_add_epi32(_mm256_cvtps_epi32(y), vzp);  /* rounds half to even */
        __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
        w = is_signed ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
        _mm_storel_epi64((__m128i *)(o + i), w);
    }
    return i;
}
#endif

INTERP_HOT void interp_k_quantize(const float *x, void *out, bool is_signed, size_t len,
                                  float scale, int32_t zp)
{
    size_t done = 0;
#ifdef INTERP_HAVE_AVX2_GEMM
    if (__builtin_cpu_supports("avx2")) {
        float qlo = (float)((is_signed ? -128 : 0) - zp);
        float qhi = (float)((is_signed ? 127 : 255) - zp);
        done = quantize_avx2(x, out, is_signed, len, scale, qlo, qhi, zp);
    }
#endif
    x += done;
    out = (uint8_t *)out + done;
    len -= done;
    float lo = (float)((is_signed ? -128 : 0) - zp), hi = (float)((is_signed ? 127 : 255) - zp);
    /* round half to even without a libm call: adding 1.5 * 2^23 leaves no fraction bits and
       the FPU rounds to nearest even (valid after the clamp, |v| < 2^22), as MLAS does */
    float big = 12582912.0f;
    if (is_signed) {
        int8_t *restrict o = out;
        for (size_t i = 0; i < len; i++) {
            float v = x[i] / scale;
            v = v < lo ? lo : v > hi ? hi : v;  /* NaN stays NaN and becomes zp below */
            v = v == v ? (v + big) - big : 0.0f;
            o[i] = (int8_t)((int32_t)v + zp);
        }
    } else {
        uint8_t *restrict o = out;
        for (size_t i = 0; i < len; i++) {
            float v = x[i] / scale;
            v = v < lo ? lo : v > hi ? hi : v;
            v = v == v ? (v + big) - big : 0.0f;
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


/* rq_double over n values in place; shifts in [-31, 0] take a branch-free loop that vectorises. */
static inline void rq_double_n(int32_t *v, size_t n, int32_t m, int32_t sh)
{
    if (sh > 0 || sh < -31) {
        for (size_t i = 0; i < n; i++)
            v[i] = ref_requantize_cmsis(v[i], m, sh);
        return;
    }
    int32_t rs = -sh;
    int32_t mask = (int32_t)(((uint32_t)1 << rs) - 1u), half = mask >> 1;
    for (size_t i = 0; i < n; i++) {
        int32_t h = (int32_t)(((int64_t)v[i] * m + ((int64_t)1 << 30)) >> 31);
        int32_t q = h >> rs;
        v[i] = q + ((h & mask) > half + (q < 0));
    }
}

INTERP_HOT void interp_k_add_q8_tflm(const void *a, const void *b, void *out, bool is_signed,
                                     size_t n, const int32_t *m, const int32_t *sh,
                                     const int32_t *zp, int32_t left_shift, int32_t lo,
                                     int32_t hi)
{
    int32_t va[TILE_Q], vb[TILE_Q];
    for (size_t i0 = 0; i0 < n; i0 += TILE_Q) {
        size_t len = n - i0 < TILE_Q ? n - i0 : TILE_Q;
        /* (x - zp) << left_shift fits in int32: |x - zp| <= 255, left_shift <= 20 */
        for (size_t i = 0; i < len; i++) {
            int32_t x = is_signed ? ((const int8_t *)a)[i0 + i] : ((const uint8_t *)a)[i0 + i];
            int32_t y = is_signed ? ((const int8_t *)b)[i0 + i] : ((const uint8_t *)b)[i0 + i];
            va[i] = (x - zp[0]) * (1 << left_shift);
            vb[i] = (y - zp[1]) * (1 << left_shift);
        }
        rq_double_n(va, len, m[0], sh[0]);
        rq_double_n(vb, len, m[1], sh[1]);
        for (size_t i = 0; i < len; i++)
            va[i] += vb[i];
        rq_double_n(va, len, m[2], sh[2]);
        for (size_t i = 0; i < len; i++) {
            int32_t r = va[i] + zp[2];
            r = r < lo ? lo : r;
            r = r > hi ? hi : r;
            if (is_signed)
                ((int8_t *)out)[i0 + i] = (int8_t)r;
            else
                ((uint8_t *)out)[i0 + i] = (uint8_t)r;
        }
    }
}
