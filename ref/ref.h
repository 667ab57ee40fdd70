/*
 * Reference kernels: the oracle the interpreter and the CMSIS-NN entry points (ref/cmsis/)
 * are built on. Plain loop nests that reproduce, bit for bit, the integer arithmetic of a
 * named runtime (CMSIS-NN, TFLite, TVM's generated C, ONNX); /work/shared/ARITHMETIC.md is
 * the specification and docs/kernels.md maps each kernel to its section.
 *
 * Conventions (every kernel below follows them):
 * - Freestanding C11: no allocation, no I/O, no globals. Every pointer is borrowed for the
 *   duration of the call only; nothing is kept. Outputs must not overlap inputs.
 * - Name `ref_<op>_<dtype>`; dtype suffixes: s8 = int8, u8 = uint8, u8s8 = uint8 activations
 *   with int8 weights, f32 = float32, any = data movement on raw elements of
 *   `elem_bytes` bytes (any dtype).
 * - Arguments: `const struct ref_<op>_params *p`, then a (shape, data) pair per input, then
 *   the output shape and buffer. None of these kernels needs scratch memory.
 * - Return REF_OK, or REF_EARG when a pointer is NULL, a shape or parameter is inconsistent
 *   (the output shape must be exactly the one the op produces) or out of range. On REF_EARG
 *   the output buffer is untouched: all checks happen before the first store.
 * - Tensors are dense, row-major (last dimension fastest), described by struct ref_shape.
 *   Element counts must fit in int32 (checked).
 * - Layout, zero points, multipliers and shifts, clamp range and rounding mode are explicit
 *   fields; nothing has a hidden default. A zero-initialized params struct is not valid
 *   (strides and dilations of 0 are rejected) except where a field says "0 = ...".
 * - Zero points are stored as the runtime stores them: `*_zp` is the zero point itself
 *   (CMSIS-NN's input_offset is -in_zp; its output_offset is +out_zp).
 * - Output stage of every integer kernel that accumulates (struct ref_requant):
 *   out = clamp(requantize(acc, M[c], S[c]) + out_zp, act_min, act_max) for the integer
 *   rounding modes; for REF_ROUND_ONNX_FLOAT out = clamp(rint_even(acc * scale[c] + out_zp)).
 * - Shapes of 4-D activations follow `layout`: NHWC = [N, H, W, C], NCHW = [N, C, H, W].
 *   1-D convolutions and pools are 2-D ones with H = 1. Padding is explicit; the caller
 *   resolves ONNX auto_pad / TFLite SAME into pad_top/left/bottom/right.
 */
#ifndef MLFSCOPE_REF_H
#define MLFSCOPE_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ref_status {
    REF_OK = 0,
    REF_EARG = -1, /* bad argument; the output was not written */
};

#define REF_MAX_RANK 8

/* A dense row-major tensor shape. */
struct ref_shape {
    int rank;                     /* 0..REF_MAX_RANK; rank 0 is a scalar (1 element) */
    int32_t dims[REF_MAX_RANK];   /* [rank], each >= 0 */
};

enum ref_layout {
    REF_LAYOUT_NHWC, /* [N, H, W, C]; conv weights OHWI [C_out, KH, KW, C_in/groups] */
    REF_LAYOUT_NCHW, /* [N, C, H, W]; conv weights OIHW [C_out, C_in/groups, KH, KW] */
};

/*
 * The requantization a kernel's output stage reproduces. Each names the deployed runtime
 * behaviour; ARITHMETIC.md sections in brackets. The helpers are in ref/fixedpoint.h.
 */
enum ref_round {
    /* CMSIS-NN default build arm_nn_requantize (= TFLite MultiplyByQuantizedMultiplier,
     * double rounding): doubling high multiply, ties toward +inf, then rounding shift, ties
     * away from zero. Shifts < -31 give what a Cortex-M computes (+1 / -1). [1.1-1.4, 1.6] */
    REF_ROUND_CMSIS_DOUBLE,
    /* CMSIS-NN built with -DCMSIS_NN_USE_SINGLE_ROUNDING: one 64-bit rounding, ties toward
     * +inf. [1.5] */
    REF_ROUND_CMSIS_SINGLE,
    /* TVM qnn.requantize rounding="UPWARD" in generated C: tir.q_multiply_shift, 64-bit,
     * ties toward +inf, M == 2^30 special-cased to a rounding shift. [3, "Ops not
     * offloaded"] */
    REF_ROUND_TVM_UPWARD,
    /* ONNX reference (QLinearConv, QLinearMatMul): acc * float32 scale evaluated in double,
     * + zero point, round half to even, saturate. Uses the `scale` arrays. [4] */
    REF_ROUND_ONNX_FLOAT,
    REF_ROUND_COUNT
};

/* Output stage shared by conv, depthwise conv, fully connected, matmul and mul. */
struct ref_requant {
    enum ref_round round;
    size_t n;               /* 1 = per tensor, else one entry per output channel */
    const int32_t *mult;    /* [n] Q31 multipliers (integer modes; unused for ONNX_FLOAT) */
    const int32_t *shift;   /* [n] exponents: > 0 left, < 0 right (integer modes) */
    const float *scale;     /* [n] effective float32 scale x_s*w_s/y_s (ONNX_FLOAT only) */
    int32_t out_zp;         /* added after requantization (CMSIS output_offset) */
    int32_t act_min;        /* clamp range, inclusive; must lie inside the output dtype */
    int32_t act_max;
};

/* ---- Scale to multiplier/shift (ref/quant_params.c; uses <math.h>) ---- */

/*
 * TVM GetFixedPointMultiplierShift (src/relay/qnn/utils.cc), ARITHMETIC.md 3:
 * m = q * 2^e with q in [0.5, 1) (frexp), M = round(q * 2^31) ties away from zero, M == 2^31
 * becomes 2^30 with e + 1. No clamp: e < -31 is returned as is. m == 0 gives (0, 0).
 * Writes *mult and *shift; m must be finite and >= 0 (REF_EARG otherwise, nothing written).
 */
int ref_multiplier_tvm(double m, int32_t *mult, int32_t *shift);

/*
 * TFLite QuantizeMultiplier (tensorflow/lite/kernels/internal/quantization_util.cc): as
 * ref_multiplier_tvm, but a shift below -31 is flushed to (0, 0) so the result is exactly 0.
 * ARITHMETIC.md 1.6.
 */
int ref_multiplier_tflite(double m, int32_t *mult, int32_t *shift);

/* ONNX QLinearConv/QLinearMatMul effective scale: (x_s * w_s) / y_s evaluated in float32. */
float ref_onnx_scale(float x_scale, float w_scale, float y_scale);

/* ---- Generic requantization entry (ref/requant.c) ---- */

/*
 * The output stage for channel `ch` of rq: see struct ref_requant. Returns the clamped
 * value. rq must have passed ref_requant_check(); ch < rq->n, or any ch when rq->n == 1.
 */
int32_t ref_requant_apply(const struct ref_requant *rq, size_t ch, int32_t acc);

/*
 * True when rq is usable for n_ch output channels and an output dtype range [lo, hi]:
 * known rounding mode, n == 1 or n == n_ch, the arrays the mode needs present,
 * lo <= act_min <= act_max <= hi.
 */
bool ref_requant_check(const struct ref_requant *rq, size_t n_ch, int32_t lo, int32_t hi);

/* ---- Convolution (ref/conv2d.c) ---- */

struct ref_conv2d_params {
    enum ref_layout layout;  /* input/output layout and weight layout (OHWI or OIHW) */
    int32_t groups;          /* >= 1; C_in and C_out divisible by it; depthwise: groups =
                              * C_in, C_out = C_in * channel multiplier */
    int32_t stride_h, stride_w;       /* >= 1 */
    int32_t dilation_h, dilation_w;   /* >= 1 */
    int32_t pad_top, pad_left;        /* >= 0, rows/columns of implicit zero point */
    int32_t pad_bottom, pad_right;    /* >= 0; enter the output size only */
    int32_t in_zp;                    /* input zero point: padding taps contribute 0 */
    const int32_t *w_zp;              /* [n_w_zp] weight zero points, NULL = all 0 */
    size_t n_w_zp;                    /* 1 (per tensor) or C_out (per channel) */
    struct ref_requant rq;            /* n = 1 or C_out */
};

/*
 * 2-D convolution, ARITHMETIC.md 2.1 (arm_convolve_wrapper_s8) and 4 (QLinearConv):
 * acc[n,oy,ox,oc] = bias[oc] + sum (in - in_zp) * (w - w_zp[oc]) over the taps of group
 * oc / (C_out/groups), in-bounds taps only; out = rq output stage.
 * Shapes: in 4-D per layout; w [C_out, KH, KW, C_in/groups] (NHWC) or
 * [C_out, C_in/groups, KH, KW] (NCHW); bias [C_out] or bias == NULL (then bias_shape may be
 * NULL); out [N, OH, OW, C_out] or [N, C_out, OH, OW] with
 * OH = (H + pad_top + pad_bottom - dilation_h*(KH-1) - 1) / stride_h + 1 (>= 1), OW alike.
 * The accumulator wraps like int32 two's complement would (it cannot for real models).
 */
int ref_conv2d_s8(const struct ref_conv2d_params *p,
                  const struct ref_shape *in_shape, const int8_t *in,
                  const struct ref_shape *w_shape, const int8_t *w,
                  const struct ref_shape *bias_shape, const int32_t *bias,
                  const struct ref_shape *out_shape, int8_t *out);
int ref_conv2d_u8(const struct ref_conv2d_params *p,
                  const struct ref_shape *in_shape, const uint8_t *in,
                  const struct ref_shape *w_shape, const uint8_t *w,
                  const struct ref_shape *bias_shape, const int32_t *bias,
                  const struct ref_shape *out_shape, uint8_t *out);
int ref_conv2d_u8s8(const struct ref_conv2d_params *p,
                    const struct ref_shape *in_shape, const uint8_t *in,
                    const struct ref_shape *w_shape, const int8_t *w,
                    const struct ref_shape *bias_shape, const int32_t *bias,
                    const struct ref_shape *out_shape, uint8_t *out);

/* ONNX ConvInteger: same geometry and zero points, int32 output = acc (bias optional,
 * rq ignored). */
int ref_conv2d_u8_s32(const struct ref_conv2d_params *p,
                      const struct ref_shape *in_shape, const uint8_t *in,
                      const struct ref_shape *w_shape, const uint8_t *w,
                      const struct ref_shape *bias_shape, const int32_t *bias,
                      const struct ref_shape *out_shape, int32_t *out);
int ref_conv2d_s8_s32(const struct ref_conv2d_params *p,
                      const struct ref_shape *in_shape, const int8_t *in,
                      const struct ref_shape *w_shape, const int8_t *w,
                      const struct ref_shape *bias_shape, const int32_t *bias,
                      const struct ref_shape *out_shape, int32_t *out);

/*
 * Float convolution (ONNX Conv): same geometry and shapes; geo.in_zp, w_zp and rq are
 * ignored; each output is sum(in * w) accumulated in float32 in tap order (ky, kx, ci for
 * NHWC; ci, ky, kx for NCHW), plus bias, then clamped to [act_min, act_max] (-INFINITY,
 * INFINITY for none).
 */
struct ref_conv2d_f32_params {
    struct ref_conv2d_params geo;   /* geometry fields only */
    float act_min, act_max;         /* fused clip */
};
int ref_conv2d_f32(const struct ref_conv2d_f32_params *p,
                   const struct ref_shape *in_shape, const float *in,
                   const struct ref_shape *w_shape, const float *w,
                   const struct ref_shape *bias_shape, const float *bias,
                   const struct ref_shape *out_shape, float *out);

/* ---- Depthwise convolution, TFLite/CMSIS-NN form (ref/dwconv2d.c) ---- */

struct ref_dwconv2d_params {
    int32_t ch_mult;                  /* >= 1; C_out = C_in * ch_mult, oc = ci*ch_mult + m */
    int32_t stride_h, stride_w;       /* >= 1 */
    int32_t dilation_h, dilation_w;   /* >= 1 */
    int32_t pad_top, pad_left, pad_bottom, pad_right;   /* >= 0 */
    int32_t in_zp;
    int32_t w_zp;                     /* 0 for CMSIS-NN/TFLite int8 */
    struct ref_requant rq;            /* n = 1 or C_out */
};

/*
 * Depthwise convolution, ARITHMETIC.md 2.2 (arm_depthwise_conv_wrapper_s8), NHWC only:
 * in [N, H, W, C_in], w [1, KH, KW, C_out], bias [C_out] or NULL, out [N, OH, OW, C_out].
 */
int ref_dwconv2d_s8(const struct ref_dwconv2d_params *p,
                    const struct ref_shape *in_shape, const int8_t *in,
                    const struct ref_shape *w_shape, const int8_t *w,
                    const struct ref_shape *bias_shape, const int32_t *bias,
                    const struct ref_shape *out_shape, int8_t *out);

/* ---- Fully connected (ref/fc.c) ---- */

struct ref_fc_params {
    int32_t in_zp;
    int32_t w_zp;              /* CMSIS-NN: -filter_offset (TVM requires 0) */
    struct ref_requant rq;     /* n = 1 (CMSIS-NN, TFLite) or C_out (per-channel TFLite) */
};

/*
 * Fully connected, ARITHMETIC.md 2.3 (arm_fully_connected_s8):
 * in [B..., D] (all leading dims are batches), w [C_out, D], bias [C_out] or NULL,
 * out [B..., C_out] (same leading dims);
 * acc[b,o] = bias[o] + sum_k (in[b,k] - in_zp) * (w[o,k] - w_zp).
 */
int ref_fc_s8(const struct ref_fc_params *p,
              const struct ref_shape *in_shape, const int8_t *in,
              const struct ref_shape *w_shape, const int8_t *w,
              const struct ref_shape *bias_shape, const int32_t *bias,
              const struct ref_shape *out_shape, int8_t *out);

/* ---- Batched matrix multiply (ref/matmul.c) ---- */

struct ref_matmul_params {
    int32_t a_zp;
    const int32_t *b_zp;       /* [n_b_zp], NULL = 0 */
    size_t n_b_zp;             /* 1 or N (per column of B) */
    struct ref_requant rq;     /* n = 1 or N; ONNX QLinearMatMul uses ONNX_FLOAT */
};

/*
 * ONNX MatMul semantics (numpy matmul): a [..., M, K], b [..., K, N], out [..., M, N];
 * leading dims broadcast numpy-style (ranks >= 2; rank-1 operands must be reshaped by the
 * caller). acc = sum_k (a - a_zp) * (b - b_zp[n]) in int32; out = rq output stage (channel
 * = column n).
 */
int ref_matmul_s8(const struct ref_matmul_params *p,
                  const struct ref_shape *a_shape, const int8_t *a,
                  const struct ref_shape *b_shape, const int8_t *b,
                  const struct ref_shape *out_shape, int8_t *out);
int ref_matmul_u8(const struct ref_matmul_params *p,
                  const struct ref_shape *a_shape, const uint8_t *a,
                  const struct ref_shape *b_shape, const uint8_t *b,
                  const struct ref_shape *out_shape, uint8_t *out);
int ref_matmul_u8s8(const struct ref_matmul_params *p,
                    const struct ref_shape *a_shape, const uint8_t *a,
                    const struct ref_shape *b_shape, const int8_t *b,
                    const struct ref_shape *out_shape, uint8_t *out);

/* ONNX MatMulInteger: same shapes, int32 output acc (no requantization, rq ignored). */
int ref_matmul_s8_s32(const struct ref_matmul_params *p,
                      const struct ref_shape *a_shape, const int8_t *a,
                      const struct ref_shape *b_shape, const int8_t *b,
                      const struct ref_shape *out_shape, int32_t *out);
int ref_matmul_u8_s32(const struct ref_matmul_params *p,
                      const struct ref_shape *a_shape, const uint8_t *a,
                      const struct ref_shape *b_shape, const uint8_t *b,
                      const struct ref_shape *out_shape, int32_t *out);

/* Float MatMul (ONNX), float32 accumulation in k order; p is unused and may be NULL. */
int ref_matmul_f32(const void *p,
                   const struct ref_shape *a_shape, const float *a,
                   const struct ref_shape *b_shape, const float *b,
                   const struct ref_shape *out_shape, float *out);

struct ref_gemm_params {
    bool trans_a, trans_b;
    float alpha, beta;
};

/*
 * ONNX Gemm: out[M,N] = alpha * A' B' + beta * C, A' = trans_a ? A^T : A (A is [M,K] or
 * [K,M]), c (optional, NULL) broadcasts unidirectionally to [M, N] (rank 0..2). The sum
 * over k is float32 in k order, then alpha*sum + beta*c.
 */
int ref_gemm_f32(const struct ref_gemm_params *p,
                 const struct ref_shape *a_shape, const float *a,
                 const struct ref_shape *b_shape, const float *b,
                 const struct ref_shape *c_shape, const float *c,
                 const struct ref_shape *out_shape, float *out);

/* ---- Pooling (ref/pool.c) ---- */

struct ref_pool_params {
    enum ref_layout layout;
    int32_t kernel_h, kernel_w;       /* >= 1 */
    int32_t stride_h, stride_w;       /* >= 1 */
    int32_t dilation_h, dilation_w;   /* >= 1 */
    int32_t pad_top, pad_left, pad_bottom, pad_right;   /* >= 0 */
    bool ceil_mode;          /* ONNX ceil_mode: output size rounds up (a window must still
                              * start inside the input or the leading padding) */
    bool count_include_pad;  /* average: divide by taps inside the padded extent instead
                              * of the in-bounds count (ONNX only; CMSIS never) */
    enum ref_round round;    /* average: CMSIS_* = ties away on the raw sum (ARITHMETIC 2.6);
                              * ONNX_FLOAT = float mean, round half even; TVM_UPWARD invalid */
    int32_t in_zp, out_zp;   /* ONNX_FLOAT average only: dequantize/quantize */
    float in_scale, out_scale;   /* ONNX_FLOAT average only */
    int32_t act_min, act_max;    /* integer kernels: clamp, inside the dtype range */
    float act_min_f, act_max_f;  /* f32 kernels: clamp (-INFINITY, INFINITY for none) */
};

/*
 * Average pool. CMSIS rounding (arm_avgpool_s8): sum of raw int8 values over in-bounds
 * taps, count = in-bounds taps (0 → REF_EARG before writing), out = sum>0 ? (sum+count/2)/count
 * : (sum-count/2)/count (C division), clamp. ONNX_FLOAT (QLinearAveragePool): mean over
 * `count` (in-bounds or padded-extent taps, padding = in_zp) of (x - in_zp) * in_scale in
 * float32, / out_scale, round half even, + out_zp, clamp.
 * in/out 4-D per layout; out [N, OH, OW, C] or [N, C, OH, OW].
 */
int ref_avgpool_s8(const struct ref_pool_params *p,
                   const struct ref_shape *in_shape, const int8_t *in,
                   const struct ref_shape *out_shape, int8_t *out);
int ref_avgpool_u8(const struct ref_pool_params *p,
                   const struct ref_shape *in_shape, const uint8_t *in,
                   const struct ref_shape *out_shape, uint8_t *out);
/* Float average pool (ONNX AveragePool): float32 sum in tap order / count, clamp. */
int ref_avgpool_f32(const struct ref_pool_params *p,
                    const struct ref_shape *in_shape, const float *in,
                    const struct ref_shape *out_shape, float *out);

/* Max pool over in-bounds taps (padding ignored), then clamp (2.7; ONNX MaxPool). */
int ref_maxpool_s8(const struct ref_pool_params *p,
                   const struct ref_shape *in_shape, const int8_t *in,
                   const struct ref_shape *out_shape, int8_t *out);
int ref_maxpool_u8(const struct ref_pool_params *p,
                   const struct ref_shape *in_shape, const uint8_t *in,
                   const struct ref_shape *out_shape, uint8_t *out);
int ref_maxpool_f32(const struct ref_pool_params *p,
                    const struct ref_shape *in_shape, const float *in,
                    const struct ref_shape *out_shape, float *out);

/*
 * Global pools: the pools above with kernel = H x W, stride 1, no padding; p's kernel,
 * stride, dilation and padding fields are ignored. out [N, 1, 1, C] or [N, C, 1, 1].
 */
int ref_global_avgpool_s8(const struct ref_pool_params *p,
                          const struct ref_shape *in_shape, const int8_t *in,
                          const struct ref_shape *out_shape, int8_t *out);
int ref_global_avgpool_f32(const struct ref_pool_params *p,
                           const struct ref_shape *in_shape, const float *in,
                           const struct ref_shape *out_shape, float *out);
int ref_global_maxpool_s8(const struct ref_pool_params *p,
                          const struct ref_shape *in_shape, const int8_t *in,
                          const struct ref_shape *out_shape, int8_t *out);
int ref_global_maxpool_f32(const struct ref_pool_params *p,
                           const struct ref_shape *in_shape, const float *in,
                           const struct ref_shape *out_shape, float *out);

/* ---- Element-wise add / sub (ref/add.c), numpy broadcasting to out_shape ---- */

struct ref_add_params {
    enum ref_round round;    /* CMSIS_DOUBLE / CMSIS_SINGLE: integer pipeline with that
                              * requantize; ONNX_FLOAT: QLinearAdd float pipeline;
                              * TVM_UPWARD is rejected (TVM's own qnn.add differs) */
    int32_t in1_zp, in2_zp, out_zp;
    /* integer pipeline (ARITHMETIC.md 2.4, TFLite/CMSIS-NN): */
    int32_t left_shift;              /* 0..30; TVM uses 20 for int8 */
    int32_t in1_mult, in1_shift;
    int32_t in2_mult, in2_shift;
    int32_t out_mult, out_shift;
    /* float pipeline: y = rint_even(((a-z1)*s1 + (b-z2)*s2) / so) + zo in float32 */
    float in1_scale, in2_scale, out_scale;
    int32_t act_min, act_max;        /* inside the dtype range */
};

/*
 * a1 = (a - in1_zp) << left_shift, a2 = requantize(a1, in1_mult, in1_shift), b2 alike;
 * out = clamp(requantize(a2 + b2, out_mult, out_shift) + out_zp). Sub: a2 - b2 (TFLite SUB).
 * Inputs broadcast to out_shape (right-aligned, dim 1 stretches).
 */
int ref_add_s8(const struct ref_add_params *p,
               const struct ref_shape *a_shape, const int8_t *a,
               const struct ref_shape *b_shape, const int8_t *b,
               const struct ref_shape *out_shape, int8_t *out);
int ref_add_u8(const struct ref_add_params *p,
               const struct ref_shape *a_shape, const uint8_t *a,
               const struct ref_shape *b_shape, const uint8_t *b,
               const struct ref_shape *out_shape, uint8_t *out);
int ref_sub_s8(const struct ref_add_params *p,
               const struct ref_shape *a_shape, const int8_t *a,
               const struct ref_shape *b_shape, const int8_t *b,
               const struct ref_shape *out_shape, int8_t *out);

/* ---- Element-wise mul (ref/mul.c) ---- */

struct ref_mul_params {
    int32_t in1_zp, in2_zp;
    struct ref_requant rq;   /* n = 1; scale = s1*s2/so for ONNX_FLOAT */
};

/* out = rq output stage of (a - in1_zp) * (b - in2_zp), broadcasting (2.5). */
int ref_mul_s8(const struct ref_mul_params *p,
               const struct ref_shape *a_shape, const int8_t *a,
               const struct ref_shape *b_shape, const int8_t *b,
               const struct ref_shape *out_shape, int8_t *out);
int ref_mul_u8(const struct ref_mul_params *p,
               const struct ref_shape *a_shape, const uint8_t *a,
               const struct ref_shape *b_shape, const uint8_t *b,
               const struct ref_shape *out_shape, uint8_t *out);

/* ---- Float binary ops with broadcasting (ref/binary_f32.c); p unused, may be NULL ---- */

int ref_add_f32(const void *p, const struct ref_shape *a_shape, const float *a,
                const struct ref_shape *b_shape, const float *b,
                const struct ref_shape *out_shape, float *out);
int ref_sub_f32(const void *p, const struct ref_shape *a_shape, const float *a,
                const struct ref_shape *b_shape, const float *b,
                const struct ref_shape *out_shape, float *out);
int ref_mul_f32(const void *p, const struct ref_shape *a_shape, const float *a,
                const struct ref_shape *b_shape, const float *b,
                const struct ref_shape *out_shape, float *out);
int ref_div_f32(const void *p, const struct ref_shape *a_shape, const float *a,
                const struct ref_shape *b_shape, const float *b,
                const struct ref_shape *out_shape, float *out);

/* ---- Softmax (ref/softmax.c) ---- */

struct ref_softmax_params {
    int32_t axis;          /* softmax axis, 0..rank-1 (the fixed-point path: any axis, the
                            * runtimes use the last) */
    enum ref_round round;  /* CMSIS_DOUBLE or CMSIS_SINGLE (same result): arm_softmax_s8
                            * fixed point (2.8); ONNX_FLOAT: dequantize, float softmax,
                            * quantize (round half even); TVM_UPWARD is rejected */
    int32_t mult, shift, diff_min;   /* fixed point: TVM EmitSoftMax / TFLite (2.8, 3) */
    float in_scale;        /* ONNX_FLOAT */
    int32_t in_zp;         /* ONNX_FLOAT */
    float out_scale;       /* ONNX_FLOAT */
    int32_t out_zp;        /* ONNX_FLOAT; the fixed-point path outputs scale 1/256, zp -128 */
};

/* int8 softmax; in and out have the same shape. */
int ref_softmax_s8(const struct ref_softmax_params *p,
                   const struct ref_shape *in_shape, const int8_t *in,
                   const struct ref_shape *out_shape, int8_t *out);

/*
 * TVM EmitSoftMax constants for an input scale: (mult, shift) = GetFixedPointMultiplierShift(
 * min(in_scale * 2^26, 2^31 - 1)), diff_min = -floor(31 * 2^26 / 2^shift) (ref/quant_params.c).
 */
int ref_softmax_params_tvm(float in_scale, int32_t *mult, int32_t *shift, int32_t *diff_min);

/* Float softmax / log-softmax (ONNX opset 13) over p->axis; other fields unused. Computed
 * as exp(x - max) / sum in float32, sum in axis order. */
int ref_softmax_f32(const struct ref_softmax_params *p,
                    const struct ref_shape *in_shape, const float *in,
                    const struct ref_shape *out_shape, float *out);
int ref_logsoftmax_f32(const struct ref_softmax_params *p,
                       const struct ref_shape *in_shape, const float *in,
                       const struct ref_shape *out_shape, float *out);

/* ---- Quantize / dequantize (ref/quantize.c) ---- */

enum ref_qround {
    REF_QROUND_ONNX,    /* ONNX QuantizeLinear / MLAS: rint_even(x / scale) + zp, saturate */
    REF_QROUND_TVM,     /* TVM generated C: roundf(x * inv_scale) + zp (ties away), with
                         * inv_scale the 7-digit literal read from the C (ARITHMETIC 3) */
};

struct ref_quantize_params {
    enum ref_qround round;
    float scale;        /* REF_QROUND_ONNX, > 0 */
    float inv_scale;    /* REF_QROUND_TVM */
    int32_t zp;
};

int ref_quantize_s8(const struct ref_quantize_params *p,
                    const struct ref_shape *in_shape, const float *in,
                    const struct ref_shape *out_shape, int8_t *out);
int ref_quantize_u8(const struct ref_quantize_params *p,
                    const struct ref_shape *in_shape, const float *in,
                    const struct ref_shape *out_shape, uint8_t *out);

/* DequantizeLinear: out = (float)(x - zp) * scale in float32; round is ignored. */
int ref_dequantize_s8(const struct ref_quantize_params *p,
                      const struct ref_shape *in_shape, const int8_t *in,
                      const struct ref_shape *out_shape, float *out);
int ref_dequantize_u8(const struct ref_quantize_params *p,
                      const struct ref_shape *in_shape, const uint8_t *in,
                      const struct ref_shape *out_shape, float *out);

/* ---- Activations (ref/activation.c) ---- */

enum ref_act {
    REF_ACT_RELU,        /* max(x, 0) */
    REF_ACT_CLIP,        /* min(max(x, lo), hi) */
    REF_ACT_LEAKY_RELU,  /* x >= 0 ? x : alpha * x */
    REF_ACT_SIGMOID,     /* 1 / (1 + exp(-x)) */
    REF_ACT_TANH,
    REF_ACT_HARD_SWISH,  /* x * max(0, min(1, x/6 + 1/2)) (ONNX HardSwish) */
    REF_ACT_COUNT
};

struct ref_act_params {
    enum ref_act kind;
    float alpha;            /* LEAKY_RELU */
    float lo, hi;           /* CLIP */
    /* s8 only: input and output quantization (x - zp) * scale */
    float in_scale, out_scale;
    int32_t in_zp, out_zp;
    enum ref_qround round;  /* s8 only: ONNX = rint_even(y / out_scale); TVM = roundf(y *
                             * out_inv_scale) (TVM's dequantize-op-quantize C loops) */
    float out_inv_scale;    /* s8, REF_QROUND_TVM only */
};

int ref_act_f32(const struct ref_act_params *p,
                const struct ref_shape *in_shape, const float *in,
                const struct ref_shape *out_shape, float *out);

/*
 * int8 activation as dequantize (float32) → float op → quantize (p->round, + out_zp,
 * saturate), evaluated once per int8 value into a 256-entry table. NOT bit-exact with
 * TFLite Micro's fixed-point LOGISTIC/TANH or its HARD_SWISH kernel.
 */
int ref_act_s8(const struct ref_act_params *p,
               const struct ref_shape *in_shape, const int8_t *in,
               const struct ref_shape *out_shape, int8_t *out);

/* ---- Normalization and reduction, float (ref/batchnorm.c, ref/reduce.c) ---- */

struct ref_batchnorm_params {
    float epsilon;
    enum ref_layout layout;   /* channel axis: 1 for NCHW, last for NHWC (any rank >= 2) */
};

/* ONNX BatchNormalization (inference): (x - mean) / sqrt(var + eps) * scale + bias;
 * scale/bias/mean/var each [C], passed as one pointer each. */
int ref_batchnorm_f32(const struct ref_batchnorm_params *p,
                      const struct ref_shape *in_shape, const float *in,
                      const float *scale, const float *bias, const float *mean,
                      const float *var,
                      const struct ref_shape *out_shape, float *out);

struct ref_reduce_params {
    uint32_t axes_mask;   /* bit i set = reduce axis i */
    bool keepdims;        /* out keeps reduced axes as 1 */
};

/* ONNX ReduceMean: float32 sum in row-major order of the reduced elements / count. */
int ref_reduce_mean_f32(const struct ref_reduce_params *p,
                        const struct ref_shape *in_shape, const float *in,
                        const struct ref_shape *out_shape, float *out);

/* ---- Data movement on raw elements (any dtype) ---- */

/* ref/concat.c: out = inputs joined along axis; all other dims equal. */
struct ref_concat_params {
    int32_t axis;
    size_t elem_bytes;   /* 1, 2, 4 or 8 */
    size_t n_inputs;     /* >= 1 */
};
int ref_concat_any(const struct ref_concat_params *p,
                   const struct ref_shape *const *in_shapes, const void *const *ins,
                   const struct ref_shape *out_shape, void *out);

/* ref/pad.c: constant padding; value is elem_bytes bytes (e.g. the zero point for int8). */
struct ref_pad_params {
    size_t elem_bytes;
    int32_t before[REF_MAX_RANK];   /* >= 0 per axis (negative pads: use slice) */
    int32_t after[REF_MAX_RANK];
    const void *value;              /* one element */
};
int ref_pad_any(const struct ref_pad_params *p,
                const struct ref_shape *in_shape, const void *in,
                const struct ref_shape *out_shape, void *out);

/* ref/transpose.c: out dims[i] = in dims[perm[i]]. */
struct ref_transpose_params {
    size_t elem_bytes;
    int32_t perm[REF_MAX_RANK];   /* a permutation of 0..rank-1 */
};
int ref_transpose_any(const struct ref_transpose_params *p,
                      const struct ref_shape *in_shape, const void *in,
                      const struct ref_shape *out_shape, void *out);

/*
 * ref/slice.c: strided slice; out dims[i] elements starting at begin[i] with step
 * stride[i] (!= 0, negative walks backwards). The caller clamps ONNX/TFLite begin/end; every
 * index touched must be in range (checked).
 */
struct ref_slice_params {
    size_t elem_bytes;
    int32_t begin[REF_MAX_RANK];
    int32_t stride[REF_MAX_RANK];
};
int ref_slice_any(const struct ref_slice_params *p,
                  const struct ref_shape *in_shape, const void *in,
                  const struct ref_shape *out_shape, void *out);

/* ref/gather.c: ONNX Gather; indices int32 (negative = from the end), out shape =
 * in[:axis] + indices + in[axis+1:]. */
struct ref_gather_params {
    int32_t axis;
    size_t elem_bytes;
};
int ref_gather_any(const struct ref_gather_params *p,
                   const struct ref_shape *in_shape, const void *in,
                   const struct ref_shape *idx_shape, const int32_t *idx,
                   const struct ref_shape *out_shape, void *out);

/* ref/resize.c: ONNX Resize on the two spatial axes of a 4-D tensor. */
enum ref_resize_coord {
    REF_COORD_HALF_PIXEL,          /* (o + 0.5) / scale - 0.5 */
    REF_COORD_PYTORCH_HALF_PIXEL,  /* as half_pixel, 0 when the output length is 1 */
    REF_COORD_ALIGN_CORNERS,       /* o * (in - 1) / (out - 1) */
    REF_COORD_ASYMMETRIC,          /* o / scale */
};
enum ref_resize_nearest {
    REF_NEAREST_ROUND_PREFER_FLOOR,
    REF_NEAREST_ROUND_PREFER_CEIL,
    REF_NEAREST_FLOOR,
    REF_NEAREST_CEIL,
};
struct ref_resize_params {
    enum ref_layout layout;
    enum ref_resize_coord coord;
    enum ref_resize_nearest nearest;   /* nearest mode only */
    float scale_h, scale_w;            /* out/in; <= 0 = derive from the shapes */
    size_t elem_bytes;                 /* nearest (any dtype) */
};
int ref_resize_nearest_any(const struct ref_resize_params *p,
                           const struct ref_shape *in_shape, const void *in,
                           const struct ref_shape *out_shape, void *out);
/* Bilinear, float32 (ONNX mode "linear" on H and W), edge-clamped. */
int ref_resize_linear_f32(const struct ref_resize_params *p,
                          const struct ref_shape *in_shape, const float *in,
                          const struct ref_shape *out_shape, float *out);

#endif
