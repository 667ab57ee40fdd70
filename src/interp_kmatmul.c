/*
 * 8-bit matmul against a constant B (see interp_kernels.h): B is repacked once into blocks of
 * 64 columns with pairs of k interleaved, so that on x86-64 AVX2 one vpmaddwd adds
 * a'[k] b[k][j] + a'[k+1] b[k+1][j] for 8 columns. Raw b values are used and the zero point
 * is taken out afterwards (sum a'(b - bz) = sum a'b - bz sum a'); integer sums wrap the same
 * way in any order, so results equal interp_k_matmul_q8's bit for bit.
 */
#include "interp_kernels.h"

#include <string.h>

#include "mem.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MMQ8_HAVE_AVX2 1
#endif

#include "banned.h"

#define NB 64   /* columns per block: 8 AVX2 accumulators */

struct interp_mmq8_b {
    const void *src;        /* the B this was made from (constants keep their pointer) */
    size_t k, n;            /* B is [k, n] */
    size_t k2, n_blocks;    /* (k + 1) / 2 pairs; ceil(n / NB) blocks */
    bool b_signed;
    int8_t data[];          /* [n_blocks][k2][NB][2] raw bytes; padding (odd k, last block) 0 */
};

struct interp_mmq8_b *interp_k_matmul_q8_prepare(const void *b, bool b_signed, size_t k,
                                                 size_t n)
{
    size_t k2 = (k + 1) / 2, nbk = (n + NB - 1) / NB, bytes;
    if (!size_mul(nbk, k2, &bytes) || !size_mul(bytes, NB * 2, &bytes) ||
        !size_add(bytes, sizeof(struct interp_mmq8_b), &bytes))
        return NULL;
    struct interp_mmq8_b *p = mem_calloc(1, bytes);
    if (!p)
        return NULL;
    p->src = b;
    p->k = k;
    p->n = n;
    p->k2 = k2;
    p->n_blocks = nbk;
    p->b_signed = b_signed;
    const int8_t *bs = b;
    for (size_t kk = 0; kk < k; kk++)
        for (size_t j = 0; j < n; j++) {
            size_t blk = j / NB, jj = j % NB;
            p->data[((blk * k2 + kk / 2) * NB + jj) * 2 + kk % 2] = bs[kk * n + j];
        }
    return p;
}

bool interp_k_matmul_q8_prepared_for(const struct interp_mmq8_b *p, const void *b,
                                     bool b_signed, size_t k, size_t n)
{
    return p && p->src == b && p->b_signed == b_signed && p->k == k && p->n == n;
}

bool interp_k_matmul_q8_packs(bool a_signed, int32_t a_zp)
{
    /* a - a_zp must fit int16 for vpmaddwd */
    int32_t lo = a_signed ? -128 : 0, hi = a_signed ? 127 : 255;
    return (int64_t)lo - a_zp >= -32768 && (int64_t)hi - a_zp <= 32767;
}

/* One block: acc[j] = sum over k of a'[k] b[k][j], from a' pairs packed as int16 x 2. */
static inline __attribute__((always_inline)) void block_plain(const int8_t *bp,
                                                              const int32_t *ap, size_t k2,
                                                              bool b_signed, int32_t *acc)
{
    for (size_t j = 0; j < NB; j++)
        acc[j] = 0;
    for (size_t k = 0; k < k2; k++) {
        int32_t a0 = (int16_t)(ap[k] & 0xffff), a1 = (int16_t)((uint32_t)ap[k] >> 16);
        const int8_t *r = bp + k * NB * 2;
        for (size_t j = 0; j < NB; j++) {
            int32_t b0 = b_signed ? r[2 * j] : (uint8_t)r[2 * j];
            int32_t b1 = b_signed ? r[2 * j + 1] : (uint8_t)r[2 * j + 1];
            acc[j] = (int32_t)((uint32_t)acc[j] + (uint32_t)(a0 * b0 + a1 * b1));
        }
    }
}

#ifdef MMQ8_HAVE_AVX2
/* eight named sums: an array of them would live on the stack at -O2 */
#define MMQ8_AVX2_BLOCK(NAME, CVT)                                                          \
    __attribute__((target("avx2"))) static void NAME(const int8_t *bp, const int32_t *ap,   \
                                                     size_t k2, int32_t *acc)               \
    {                                                                                       \
        __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0,   \
                c6 = c0, c7 = c0;                                                           \
        for (size_t k = 0; k < k2; k++) {                                                   \
            __m256i a = _mm256_set1_epi32(ap[k]);                                           \
            const __m128i *r = (const __m128i *)(bp + k * NB * 2);                          \
            c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(CVT(_mm_loadu_si128(r + 0)), a));   \
            c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(CVT(_mm_loadu_si128(r + 1)), a));   \
            c2 = _mm256_add_epi32(c2, _mm256_madd_epi16(CVT(_mm_loadu_si128(r + 2)), a));   \
            c3 = _mm256_add_epi32(c3, _mm256_madd_epi16(CVT(_mm_loadu_si128(r + 3)), a));   \
            c4 = _mm256_add_epi32(c4, _mm256_madd_epi16(CVT(_mm_loadu_si128(r + 4)), a));   \
            c5 = _mm256_add_epi32(c5, _mm256_madd_epi16(CVT(_mm_loadu_si128(r + 5)), a));   \
            c6 = _mm256_add_epi32(c6, _mm256_madd_epi16(CVT(_mm_loadu_si128(r + 6)), a));   \
            c7 = _mm256_add_epi32(c7, _mm256_madd_epi16(CVT(_mm_loadu_si128(r + 7)), a));   \
        }                                                                                   \
        _mm256_storeu_si256((__m256i *)(acc + 0), c0);                                      \
        _mm256_storeu_si256((__m256i *)(acc + 8), c1);                                      \
        _mm256_storeu_si256((__m256i *)(acc + 16), c2);                                     \
        _mm256_storeu_si256((__m256i *)(acc + 24), c3);                                     \
        _mm256_storeu_si256((__m256i *)(acc + 32), c4);                                     \
        _mm256_storeu_si256((__m256i *)(acc + 40), c5);                                     \
        _mm256_storeu_si256((__m256i *)(acc + 48), c6);                                     \
        _mm256_storeu_si256((__m256i *)(acc + 56), c7);                                     \
    }
MMQ8_AVX2_BLOCK(block_avx2_s8, _mm256_cvtepi8_epi16)
MMQ8_AVX2_BLOCK(block_avx2_u8, _mm256_cvtepu8_epi16)
#endif

static void store_out(void *o, bool out_signed, size_t i, int32_t v)
{
    if (out_signed)
        ((int8_t *)o)[i] = (int8_t)v;
    else
        ((uint8_t *)o)[i] = (uint8_t)v;
}

void interp_k_matmul_q8_packed(const struct interp_mmq8_b *p, size_t rows, const void *a,
                               bool a_signed, int32_t a_zp, const int32_t *b_zp,
                               const struct interp_requant *rq, void *o, bool out_signed,
                               bool simd, int32_t *ap)
{
    size_t K = p->k, N = p->n, K2 = p->k2;
    int32_t *sum = ap + rows * K2;  /* [rows] sum of a' */
    for (size_t i = 0; i < rows; i++) {
        uint32_t s = 0;
        for (size_t k = 0; k < K2 * 2; k += 2) {
            size_t ia = i * K + k;
            int32_t a0 = (a_signed ? ((const int8_t *)a)[ia] : ((const uint8_t *)a)[ia]) - a_zp;
            int32_t a1 = 0;
            if (k + 1 < K)
                a1 = (a_signed ? ((const int8_t *)a)[ia + 1] : ((const uint8_t *)a)[ia + 1]) -
                     a_zp;
            s += (uint32_t)a0 + (uint32_t)a1;
            ap[i * K2 + k / 2] = (int32_t)(((uint32_t)a1 << 16) | ((uint32_t)a0 & 0xffffu));
        }
        sum[i] = (int32_t)s;
    }
#ifdef MMQ8_HAVE_AVX2
    simd = simd && __builtin_cpu_supports("avx2");
#else
    simd = false;
#endif
    int32_t acc[NB];
    for (size_t blk = 0; blk < p->n_blocks; blk++) {
        const int8_t *bp = p->data + blk * K2 * NB * 2;
        size_t j0 = blk * NB, jn = N - j0 < NB ? N - j0 : NB;
        for (size_t i = 0; i < rows; i++) {
            const int32_t *api = ap + i * K2;
            if (simd) {
#ifdef MMQ8_HAVE_AVX2
                if (p->b_signed)
                    block_avx2_s8(bp, api, K2, acc);
                else
                    block_avx2_u8(bp, api, K2, acc);
#endif
            } else if (p->b_signed) {
                block_plain(bp, api, K2, true, acc);
            } else {
                block_plain(bp, api, K2, false, acc);
            }
            size_t io = i * N + j0;
            for (size_t j = 0; j < jn; j++) {
                uint32_t corr = (uint32_t)b_zp[j0 + j] * (uint32_t)sum[i];
                int32_t v = (int32_t)((uint32_t)acc[j] - corr);
                if (!rq)
                    ((int32_t *)o)[io + j] = v;
                else
                    store_out(o, out_signed, io + j, interp_requant(rq, v, j0 + j));
            }
        }
    }
}

size_t interp_k_matmul_q8_scratch_len(size_t rows, size_t k)
{
    return rows * ((k + 1) / 2) + rows;
}
