/*
 * The interpreter's fast kernels (private to src/interp*.c): im2col + blocked GEMM
 * convolutions (float32 and 8-bit integer with int32 accumulation), matmul, pools, softmax
 * and permutation, written so the compiler can vectorise the inner loops. Integer results are
 * exact, so they must equal ref/'s plain loops bit for bit (tests/t_interp.c checks that);
 * float results follow ONNX Runtime up to summation order.
 * Spatial geometry is always 3-D: 1-D and 2-D ops are padded with leading size-1 dims.
 */
#ifndef MLFSCOPE_INTERP_KERNELS_H
#define MLFSCOPE_INTERP_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "interp_int.h"

struct interp_kgeom {
    size_t in[3], out[3];   /* spatial sizes (leading 1s for fewer dims) */
    size_t k[3], s[3], d[3];/* kernel, stride, dilation */
    size_t pb[3];           /* padding at the start of each dim */
};

/* Copies x into o with o's dims `d` and x strides `st` per output dim (in elements). */
void interp_k_permute(const void *x, void *o, size_t esize, int rank, const int64_t *d,
                      const int64_t *st);

/* Softmax over `len` elements `inner` apart, for each of outer x inner rows. */
void interp_k_softmax_f32(const float *x, float *o, size_t outer, size_t len, size_t inner,
                          bool log_softmax);

/* Shapes of a (batched, broadcasting) matmul. */
struct interp_mm {
    size_t m, k, n;
    int br;                     /* batch rank */
    int64_t bd[GRAPH_MAX_RANK]; /* batch dims of the output */
    int64_t sa[GRAPH_MAX_RANK]; /* per batch dim: stride in a (elements), 0 if broadcast */
    int64_t sb[GRAPH_MAX_RANK];
};

/* numpy matmul shape rules; false when they do not go together. */
bool interp_k_matmul_shape(int ra, const int64_t *da, int rb, const int64_t *db,
                           struct interp_mm *mm, int *rank, int64_t *dims);
void interp_k_matmul_f32(const struct interp_mm *mm, const float *a, const float *b, float *o);

/* o[M,N] = alpha * op(a) op(b) (no bias). */
void interp_k_gemm_f32(const float *a, const float *b, float *o, size_t M, size_t N, size_t K,
                       bool ta, bool tb, float alpha);

/* NC(DHW) float convolution with groups; bias may be NULL. ST_ENOMEM for the scratch. */
int interp_k_conv_f32(const struct interp_kgeom *g, size_t n, size_t c, size_t m, size_t groups,
                      const float *x, const float *w, const float *bias, float *o,
                      struct errbuf *eb);

/* A growing scratch buffer reused across calls (the interpreter keeps a few per run). */
struct interp_kbuf {
    void *p;
    size_t bytes;
};

/* At least `bytes` of scratch (contents undefined), or NULL when memory runs out. */
void *interp_kbuf_get(struct interp_kbuf *b, size_t bytes);

/* Frees the buffer. */
void interp_kbuf_release(struct interp_kbuf *b);

#define INTERP_N_KBUF 6

/* An 8-bit convolution: int32 accumulation of (x - x_zp)(w - w_zp[m]) + bias[m]. */
struct interp_qconv {
    struct interp_kgeom geom;
    size_t n, c, m, groups;
    const void *x;              /* [n, c, spatial], int8 or uint8 */
    bool x_signed;
    int32_t x_zp;
    const void *w;              /* [m, c/groups, kernel] */
    bool w_signed;
    const int32_t *w_zp;        /* [m] */
    const int32_t *bias;        /* [m] or NULL */
    const struct interp_requant *rq;    /* NULL: store int32 accumulators */
    void *out;                  /* [n, m, out spatial]: int8/uint8, or int32 when rq NULL */
    bool out_signed;
    /*
     * Reproduce ONNX Runtime's x86 AVX2 U8S8 GEMM (no VNNI): raw u8 x s8 products of taps
     * k and k+1, in (ky, kx, c) order, summed with int16 saturation (vpmaddubsw) before the
     * int32 accumulation and the zero-point corrections. Only for uint8 x, int8 w.
     */
    bool ort_u8s8_pairs;
    struct interp_kbuf *scratch;    /* [INTERP_N_KBUF], reused between calls */
    void **cache;                   /* prepared weights of this node (constant weights), owned
                                       by the caller (mem_free), or NULL: prepare each call */
};
int interp_k_conv_q8(const struct interp_qconv *q, struct errbuf *eb);

/*
 * 8-bit matmul: acc = sum (a - a_zp)(b - b_zp[col]); requantized by rq (per column when
 * rq->n > 1), or stored as int32 when rq is NULL. ort_u8s8_pairs: as in struct
 * interp_qconv (pairs of k, int16 saturation), for uint8 a, int8 b and b_zp all 0.
 */
void interp_k_matmul_q8(const struct interp_mm *mm, const void *a, bool a_signed, int32_t a_zp,
                        const void *b, bool b_signed, const int32_t *b_zp,
                        const struct interp_requant *rq, void *o, bool out_signed,
                        bool ort_u8s8_pairs);

/*
 * A constant B [k, n] of an 8-bit matmul, repacked once (interp_kmatmul.c). prepare: caller
 * owns the result (mem_free); NULL when memory runs out. prepared_for: p was made from this
 * B (same pointer, type and shape). packs: the packed path is exact for a's type and zero
 * point (a - a_zp fits int16).
 */
struct interp_mmq8_b;
struct interp_mmq8_b *interp_k_matmul_q8_prepare(const void *b, bool b_signed, size_t k,
                                                 size_t n);
bool interp_k_matmul_q8_prepared_for(const struct interp_mmq8_b *p, const void *b,
                                     bool b_signed, size_t k, size_t n);
bool interp_k_matmul_q8_packs(bool a_signed, int32_t a_zp);

/* int32 elements of scratch interp_k_matmul_q8_packed needs for `rows` rows of a. */
size_t interp_k_matmul_q8_scratch_len(size_t rows, size_t k);

/*
 * interp_k_matmul_q8 (exact, not ort_u8s8_pairs) of a [rows, k] by the prepared B: the same
 * values. simd: use AVX2 when the CPU has it (false: the portable loops, for tests).
 */
void interp_k_matmul_q8_packed(const struct interp_mmq8_b *p, size_t rows, const void *a,
                               bool a_signed, int32_t a_zp, const int32_t *b_zp,
                               const struct interp_requant *rq, void *o, bool out_signed,
                               bool simd, int32_t *scratch);

/* Pools over `planes` planes (N*C) of geometry g. pe: end padding (for count_include_pad). */
void interp_k_maxpool_f32(const struct interp_kgeom *g, size_t planes, const float *x, float *o);
void interp_k_maxpool_u8(const struct interp_kgeom *g, size_t planes, const uint8_t *x,
                         uint8_t *o);
void interp_k_maxpool_s8(const struct interp_kgeom *g, size_t planes, const int8_t *x, int8_t *o);
void interp_k_avgpool_f32(const struct interp_kgeom *g, size_t planes, bool include_pad,
                          const int64_t *pe, const float *x, float *o);

/*
 * Quantize / dequantize `len` contiguous elements with one scale and zero point (a run of an
 * axis); out/in are int8 (is_signed) or uint8. Quantize is MLAS's: x / scale in float32,
 * clamp, round half to even, + zp. Dequantize: float(x - zp) * scale.
 */
void interp_k_quantize(const float *x, void *out, bool is_signed, size_t len, float scale,
                       int32_t zp);
void interp_k_dequantize(const void *x, bool is_signed, float *out, size_t len, float scale,
                         int32_t zp);

/*
 * TFLite / CMSIS-NN int8 add (arm_elementwise_add_s8, double rounding) of two same-shape
 * int8 or uint8 tensors: m[3]/sh[3] = input 1, input 2, output (Q31, shift), zp[3] the zero
 * points, left_shift 20 for int8. Same values as ref_add_s8 (tested).
 */
void interp_k_add_q8_tflm(const void *a, const void *b, void *out, bool is_signed, size_t n,
                          const int32_t *m, const int32_t *sh, const int32_t *zp,
                          int32_t left_shift, int32_t lo, int32_t hi);

#endif
