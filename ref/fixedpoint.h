/*
 * Fixed-point helpers of the int8 runtimes, re-expressed without undefined behaviour:
 * CMSIS-NN's requantization (default double rounding and CMSIS_NN_USE_SINGLE_ROUNDING),
 * TVM's tir.q_multiply_shift and the gemmlowp-style softmax primitives. Each comment gives
 * the exact rounding and saturation and the ARITHMETIC.md section it implements.
 * Where the C original relies on int32 wrap-around or on what a Cortex-M does with shift
 * counts >= 32, the helper computes that result explicitly (unsigned arithmetic, explicit
 * sign fill), so the host gives the board's numbers. All functions are pure.
 */
#ifndef MLFSCOPE_REF_FIXEDPOINT_H
#define MLFSCOPE_REF_FIXEDPOINT_H

#include <stdbool.h>
#include <stdint.h>

/* ---- Two's complement plumbing ---- */

/* The int32 whose bit pattern is u (the conversion C leaves implementation-defined). */
static inline int32_t ref_s32_from_bits(uint32_t u)
{
    return u <= (uint32_t)INT32_MAX ? (int32_t)u : (int32_t)(u - 2147483648u) - INT32_MAX - 1;
}

/* The int64 whose bit pattern is u. */
static inline int64_t ref_s64_from_bits(uint64_t u)
{
    return u <= (uint64_t)INT64_MAX ? (int64_t)u
                                    : (int64_t)(u - 9223372036854775808u) - INT64_MAX - 1;
}

/* a + b, a - b, a * b and a << n (n in 0..31) modulo 2^32, as the 32-bit core computes. */
static inline int32_t ref_add_wrap(int32_t a, int32_t b)
{
    return ref_s32_from_bits((uint32_t)a + (uint32_t)b);
}

static inline int32_t ref_sub_wrap(int32_t a, int32_t b)
{
    return ref_s32_from_bits((uint32_t)a - (uint32_t)b);
}

static inline int32_t ref_mul_wrap(int32_t a, int32_t b)
{
    return ref_s32_from_bits((uint32_t)a * (uint32_t)b);
}

/* Arm LSL by register: counts >= 32 give 0. */
static inline int32_t ref_shl_wrap(int32_t a, int32_t n)
{
    if (n >= 32)
        return 0;
    return ref_s32_from_bits((uint32_t)a << n);
}

/* The low 32 bits of v as int32 (a C cast from int64 to int32 on GCC/Arm). */
static inline int32_t ref_s32_trunc(int64_t v)
{
    return ref_s32_from_bits((uint32_t)((uint64_t)v & 0xffffffffu));
}

/*
 * floor(x / 2^n): an arithmetic shift right. Counts >= 32 give the sign fill (0 or -1),
 * as Arm ASR by register does for counts 32..255.
 */
static inline int32_t ref_asr32(int32_t x, int32_t n)
{
    if (n >= 32)
        return x < 0 ? -1 : 0;
    return x < 0 ? -1 - (int32_t)((uint32_t)(-1 - x) >> n) : (int32_t)((uint32_t)x >> n);
}

/* floor(x / 2^n) for int64; counts >= 64 give the sign fill. */
static inline int64_t ref_asr64(int64_t x, int32_t n)
{
    if (n >= 64)
        return x < 0 ? -1 : 0;
    return x < 0 ? -1 - (int64_t)((uint64_t)(-1 - x) >> n) : (int64_t)((uint64_t)x >> n);
}

/* ---- CMSIS-NN requantization (ARITHMETIC.md 1) ---- */

/*
 * arm_nn_doubling_high_mult_no_sat (1.1): floor((a*b + 2^30) / 2^31) from the exact 64-bit
 * product, i.e. round(a*b / 2^31) with ties toward +inf. No saturation: a = b = INT32_MIN
 * gives 2^31, which wraps to INT32_MIN exactly as the C original's int32 cast does.
 */
static inline int32_t ref_doubling_high_mult_no_sat(int32_t a, int32_t b)
{
    const int64_t p = (int64_t)a * (int64_t)b;   /* |p| <= 2^62, no overflow */
    return ref_s32_trunc(ref_asr64(p + ((int64_t)1 << 30), 31));
}

/*
 * arm_nn_doubling_high_mult, the MUL_SAT macro (1.2; gemmlowp
 * SaturatingRoundingDoublingHighMul): same value as the no_sat form (ties toward +inf),
 * except a = b = INT32_MIN saturates to INT32_MAX.
 */
static inline int32_t ref_doubling_high_mult(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN)
        return INT32_MAX;
    return ref_doubling_high_mult_no_sat(a, b);
}

/*
 * arm_nn_divide_by_power_of_two, the DIV_POW2 macro (1.3): x / 2^e rounded to nearest,
 * ties away from zero, for e in [0, 31]. e >= 32 (outside CMSIS-NN's contract, emitted by
 * TVM, 1.6) reproduces the Cortex-M: the remainder mask (1 << e) - 1 becomes all ones and
 * the quotient x >> e the sign fill, so the result is +1 for x >= 0 (0 included) and -1 for
 * x < 0. (The x86 build of the C original masks e to 5 bits instead; we do not reproduce
 * that.) e < 0 is not a valid input and is treated as 0.
 */
static inline int32_t ref_divide_by_power_of_two(int32_t x, int32_t e)
{
    if (e < 0)
        e = 0;
    const int32_t mask = e >= 32 ? -1 : (int32_t)(((uint32_t)1 << e) - 1u);
    const int32_t rem = x & mask;
    int32_t q = ref_asr32(x, e);
    int32_t thr = ref_asr32(mask, 1);
    if (q < 0)
        thr++;
    if (rem > thr)
        q++;
    return q;
}

/*
 * arm_nn_requantize, default build (1.4; TFLite MultiplyByQuantizedMultiplier without
 * TFLITE_SINGLE_ROUNDING): divide_by_power_of_two(doubling_high_mult_no_sat(x << max(S,0),
 * M), max(-S,0)). Two roundings: ties toward +inf at 2^-31, then ties away from zero.
 * x << S wraps in 32 bits as on the board (S >= 32 gives 0); S < -31 follows
 * ref_divide_by_power_of_two's Arm behaviour (result +1 or -1).
 */
static inline int32_t ref_requantize_cmsis(int32_t x, int32_t mult, int32_t shift)
{
    const int32_t ls = shift > 0 ? shift : 0;
    const int32_t rs = shift > 0 ? 0 : (shift < -255 ? 255 : -shift);
    return ref_divide_by_power_of_two(ref_doubling_high_mult_no_sat(ref_shl_wrap(x, ls), mult),
                                      rs);
}

/*
 * arm_nn_requantize with CMSIS_NN_USE_SINGLE_ROUNDING (1.5): T = 31 - S,
 * r = (int32)((x*M) >> (T-1)), result ((r + 1) >> 1), i.e. floor((x*M + 2^(T-1)) / 2^T):
 * one rounding, ties toward +inf. The int32 truncation and the int32 r + 1 wrap as in the
 * original (only for S > 0 with huge products). Documented range S in [-31, 30]; S > 30 is
 * treated as 30, and S < -31 gives the value with an unbounded shift (0 or -1 before the
 * final rounding, so 0): not checked against a board.
 */
static inline int32_t ref_requantize_cmsis_single(int32_t x, int32_t mult, int32_t shift)
{
    if (shift > 30)
        shift = 30;
    const int32_t t1 = 30 - shift;   /* T - 1 >= 0 */
    const int64_t p = (int64_t)x * (int64_t)mult;
    const int32_t r = ref_s32_trunc(ref_asr64(p, t1 > 63 ? 63 : t1));
    return ref_asr32(ref_add_wrap(r, 1), 1);
}

/*
 * TVM tir.q_multiply_shift as legalized in src/target/intrin_rule.cc (qnn.requantize
 * rounding "UPWARD" in generated C; ARITHMETIC.md 3):
 * - M == 2^30 (a scale that is a power of two): e = S - 1; e > 0 gives x << e in int32
 *   (wraps); e < 0 gives (x + (1 << (-e-1))) >> -e in int32: ties toward +inf, the add
 *   wraps. e == 0 (scale exactly 1) would make TVM emit a shift by -1; we return x.
 * - otherwise, in int64: ((x << max(S,0)) * M + 2^(30+rs)) >> (31+rs), rs = max(-S,0):
 *   one rounding, ties toward +inf; the product wraps modulo 2^64 and the result is
 *   truncated to int32, as the generated C does.
 * Shift counts >= 32 (int32) / >= 64 (int64) use the sign-fill convention of ref_asr32 /
 * ref_asr64: TVM's C would be undefined there. The per-axis form
 * (tir.q_multiply_shift_per_axis) has no M == 2^30 special case; both forms give the same
 * value unless the int32 add or shift of the special case overflows.
 */
static inline int32_t ref_q_multiply_shift_tvm(int32_t x, int32_t mult, int32_t shift)
{
    if (mult == (INT32_C(1) << 30)) {
        const int32_t e = shift - 1;
        if (e > 0)
            return ref_shl_wrap(x, e);
        if (e == 0)
            return x;
        const int32_t n = e < -255 ? 255 : -e;
        return ref_asr32(ref_add_wrap(x, ref_shl_wrap(1, n - 1)), n);
    }
    const int32_t ls = shift > 0 ? shift : 0;
    const int32_t rs = shift > 0 ? 0 : (shift < -255 ? 255 : -shift);
    const int32_t total = rs + 31;
    uint64_t v = ls >= 64 ? 0 : (uint64_t)(int64_t)x << ls;   /* wraps modulo 2^64 */
    v *= (uint64_t)(int64_t)mult;
    if (total - 1 < 63)
        v += (uint64_t)1 << (total - 1);
    return ref_s32_trunc(ref_asr64(ref_s64_from_bits(v), total));
}

/* ---- Softmax helpers (ARITHMETIC.md 2.8; gemmlowp fixedpoint.h) ---- */

/* Count of leading zero bits; 32 for 0 (the Arm CLZ instruction). */
static inline int32_t ref_clz32(uint32_t v)
{
    int32_t n = 0;
    if (v == 0)
        return 32;
    while (!(v & 0x80000000u)) {
        v <<= 1;
        n++;
    }
    return n;
}

/*
 * arm_nn_mult_by_power_of_two, MUL_POW2 (gemmlowp SaturatingRoundingMultiplyByPOT with a
 * positive exponent): x * 2^e for e in [1, 30], saturating to INT32_MAX / INT32_MIN when
 * |x| > 2^(31-e) - 1. No rounding is involved.
 */
static inline int32_t ref_mult_by_power_of_two(int32_t x, int32_t e)
{
    const int32_t thresh = (int32_t)(((uint32_t)1 << (31 - e)) - 1u);
    if (x > thresh)
        return INT32_MAX;
    if (x < -thresh)
        return INT32_MIN;
    return ref_shl_wrap(x, e);
}

/*
 * arm_nn_exp_on_negative_values, EXP_ON_NEG: exp(v) for v <= 0 in Q5.26, result in Q0.31.
 * v mod 1/4 is mapped to [-1/4, 0) and evaluated by the Taylor polynomial around -1/8
 * (1895147668 = exp(-1/8), 715827883 = 1/3), then multiplied (MUL_SAT, ties toward +inf)
 * by exp(-2^k/4) for each set bit k = 0..6 of the remainder. v == 0 returns INT32_MAX.
 * Intermediate int32 additions wrap as in the C original (they do not overflow for v <= 0).
 */
static inline int32_t ref_exp_on_negative_values(int32_t v)
{
    static const int32_t k_exp_bits[7] = {1672461947, 1302514674, 790015084, 290630308,
                                          39332535,   720401,     242};
    const int32_t quarter = INT32_C(1) << 24;
    const int32_t mod_minus_quarter = (v & (quarter - 1)) - quarter;   /* [-1/4, 0) */
    const int32_t remainder = ref_sub_wrap(mod_minus_quarter, v);
    /* x = mod_minus_quarter + 1/8 in Q0.31 */
    const int32_t x = ref_add_wrap(ref_shl_wrap(mod_minus_quarter, 5), INT32_C(1) << 28);
    const int32_t x2 = ref_doubling_high_mult(x, x);
    const int32_t x3 = ref_doubling_high_mult(x2, x);
    const int32_t x4_over_4 = ref_divide_by_power_of_two(ref_doubling_high_mult(x2, x2), 2);
    const int32_t poly_tail = ref_divide_by_power_of_two(
        ref_add_wrap(ref_doubling_high_mult(ref_add_wrap(x4_over_4, x3), 715827883), x2), 1);
    int32_t result = ref_add_wrap(
        1895147668, ref_doubling_high_mult(1895147668, ref_add_wrap(x, poly_tail)));
    for (int k = 0; k < 7; k++) {
        if (remainder & (INT32_C(1) << (24 + k)))
            result = ref_doubling_high_mult(result, k_exp_bits[k]);
    }
    return v == 0 ? INT32_MAX : result;
}

/*
 * arm_nn_one_over_one_plus_x_for_x_in_0_1, ONE_OVER1: 1/(1+x) for x in [0, 1) in Q0.31,
 * result in Q0.31 (halved 1/(1+x), doubled at the end by MUL_POW2). half_den =
 * (x + INT32_MAX) / 2 rounded away from zero in int64; start 48/17 - 32/17*half_den
 * (1515870810, -1010580540 in Q2.29); three Newton-Raphson steps with MUL_SAT and MUL_POW2.
 */
static inline int32_t ref_one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_den = ref_s32_trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = ref_add_wrap(1515870810, ref_doubling_high_mult(half_den, -1010580540));
    const int32_t one_q29 = INT32_C(1) << 29;
    for (int i = 0; i < 3; i++) {
        const int32_t err = ref_sub_wrap(one_q29, ref_doubling_high_mult(half_den, x));
        x = ref_add_wrap(x, ref_mult_by_power_of_two(ref_doubling_high_mult(x, err), 2));
    }
    return ref_mult_by_power_of_two(x, 1);
}

/* ---- Float helpers shared by the ONNX paths (no <math.h>) ---- */

/*
 * v rounded to nearest, ties to even (np.rint / np.round), then clamped to [lo, hi]. NaN
 * gives lo. Exact for every double: the clamp happens first, so the integer part fits int32.
 */
static inline int32_t ref_round_half_even_sat(double v, int32_t lo, int32_t hi)
{
    if (!(v > (double)lo))   /* also NaN */
        return lo;
    if (v >= (double)hi)
        return hi;
    int32_t i = (int32_t)v;                /* truncation toward zero; |v| < 2^31 here */
    double fl = (double)i;
    if (fl > v) {                          /* negative non-integer: floor is i - 1 */
        i--;
        fl -= 1.0;
    }
    const double frac = v - fl;            /* exact in [0, 1) */
    if (frac > 0.5 || (frac == 0.5 && (i & 1)))
        i++;
    return i < lo ? lo : (i > hi ? hi : i);
}

/* roundf-style: nearest, ties away from zero, then clamp to [lo, hi]; NaN gives lo. */
static inline int32_t ref_round_half_away_sat(double v, int32_t lo, int32_t hi)
{
    if (!(v > (double)lo))
        return lo;
    if (v >= (double)hi)
        return hi;
    int32_t i = (int32_t)v;                /* toward zero */
    const double frac = v - (double)i;     /* exact, sign of v */
    if (frac >= 0.5)
        i++;
    else if (frac <= -0.5)
        i--;
    return i < lo ? lo : (i > hi ? hi : i);
}

#endif
