/*
 * Tests of ref/fixedpoint.h and the requantization output stage: every helper at its edges
 * (ties, INT32_MIN, shifts 0, -31, -32..-36, saturation) and every worked example of
 * ARITHMETIC.md section 5 (numbers from a host/qemu build of the real CMSIS-NN library).
 * Expected values not taken from that document follow from the stated formulas by hand.
 */
#include <math.h>

#include "test.h"

#include "../ref/fixedpoint.h"
#include "../ref/ref.h"

TEST(fixedpoint, doubling_high_mult_ties_and_int32_min)
{
    /* 0.5 rounds up, -0.5 rounds up to 0 (ties toward +inf) */
    CHECK_EQ_INT(ref_doubling_high_mult_no_sat(1, INT32_C(1) << 30), 1);
    CHECK_EQ_INT(ref_doubling_high_mult_no_sat(-1, INT32_C(1) << 30), 0);
    CHECK_EQ_INT(ref_doubling_high_mult_no_sat(3, INT32_C(1) << 30), 2);
    CHECK_EQ_INT(ref_doubling_high_mult_no_sat(-3, INT32_C(1) << 30), -1);
    CHECK_EQ_INT(ref_doubling_high_mult_no_sat(0, INT32_MIN), 0);
    /* 2^31 does not fit: no_sat wraps like the C original's int32 cast, sat saturates */
    CHECK_EQ_INT(ref_doubling_high_mult_no_sat(INT32_MIN, INT32_MIN), INT32_MIN);
    CHECK_EQ_INT(ref_doubling_high_mult(INT32_MIN, INT32_MIN), INT32_MAX);
    CHECK_EQ_INT(ref_doubling_high_mult(INT32_MIN, INT32_MAX), -INT32_MAX);
    CHECK_EQ_INT(ref_doubling_high_mult(INT32_MAX, INT32_MAX), 2147483646);
    CHECK_EQ_INT(ref_doubling_high_mult(INT32_MIN, 1), -1);   /* -1.0 exactly */
    CHECK_EQ_INT(ref_doubling_high_mult(-1, 1), 0);            /* -2^-31 rounds to 0 */
}

TEST(fixedpoint, divide_by_power_of_two_ties_away)
{
    CHECK_EQ_INT(ref_divide_by_power_of_two(5, 1), 3);
    CHECK_EQ_INT(ref_divide_by_power_of_two(-5, 1), -3);
    CHECK_EQ_INT(ref_divide_by_power_of_two(3, 1), 2);
    CHECK_EQ_INT(ref_divide_by_power_of_two(-3, 1), -2);
    CHECK_EQ_INT(ref_divide_by_power_of_two(-1, 1), -1);
    CHECK_EQ_INT(ref_divide_by_power_of_two(1, 1), 1);
    CHECK_EQ_INT(ref_divide_by_power_of_two(5, 2), 1);     /* 1.25 */
    CHECK_EQ_INT(ref_divide_by_power_of_two(-6, 2), -2);   /* -1.5 */
    CHECK_EQ_INT(ref_divide_by_power_of_two(-7, 0), -7);
    CHECK_EQ_INT(ref_divide_by_power_of_two(INT32_MIN, 0), INT32_MIN);
    CHECK_EQ_INT(ref_divide_by_power_of_two(INT32_MIN, 31), -1);
    CHECK_EQ_INT(ref_divide_by_power_of_two(INT32_MAX, 31), 1);
    CHECK_EQ_INT(ref_divide_by_power_of_two(INT32_C(1) << 30, 31), 1);    /* 0.5 */
    CHECK_EQ_INT(ref_divide_by_power_of_two(-(INT32_C(1) << 30), 31), -1);
    CHECK_EQ_INT(ref_divide_by_power_of_two((INT32_C(1) << 30) - 1, 31), 0);
    CHECK_EQ_INT(ref_divide_by_power_of_two(INT32_MIN, 1), -(INT32_C(1) << 30));
}

TEST(fixedpoint, divide_by_power_of_two_arm_beyond_31)
{
    /* ARITHMETIC.md 1.6: mask all ones, quotient = sign fill: +1 for x >= 0, -1 for x < 0 */
    for (int32_t e = 32; e <= 36; e++) {
        CHECK_EQ_INT(ref_divide_by_power_of_two(0, e), 1);
        CHECK_EQ_INT(ref_divide_by_power_of_two(1, e), 1);
        CHECK_EQ_INT(ref_divide_by_power_of_two(INT32_MAX, e), 1);
        CHECK_EQ_INT(ref_divide_by_power_of_two(-1, e), -1);
        CHECK_EQ_INT(ref_divide_by_power_of_two(INT32_MIN, e), -1);
    }
}

TEST(fixedpoint, requantize_shift_edges)
{
    CHECK_EQ_INT(ref_requantize_cmsis(1000, INT32_C(1) << 30, 0), 500);
    CHECK_EQ_INT(ref_requantize_cmsis(INT32_MIN, INT32_MAX, 0), -INT32_MAX);
    CHECK_EQ_INT(ref_requantize_cmsis(INT32_MAX, INT32_MAX, -31), 1);
    CHECK_EQ_INT(ref_requantize_cmsis(INT32_MIN, INT32_MAX, -31), -1);
    CHECK_EQ_INT(ref_requantize_cmsis(INT32_C(1) << 30, INT32_C(1) << 30, -31), 0);
    /* x << 1 wraps in 32 bits on the board: 2^31 -> INT32_MIN */
    CHECK_EQ_INT(ref_requantize_cmsis(INT32_C(1) << 30, INT32_C(1) << 30, 1),
                 -(INT32_C(1) << 30));
    CHECK_EQ_INT(ref_requantize_cmsis(3, INT32_C(1) << 30, 2), 6);
    for (int32_t s = -36; s <= -32; s++) {
        CHECK_EQ_INT(ref_requantize_cmsis(0, 1518500250, s), 1);
        CHECK_EQ_INT(ref_requantize_cmsis(-5, 1518500250, s), -1);
        CHECK_EQ_INT(ref_requantize_cmsis(INT32_MIN, 1518500250, s), -1);
    }
    /* single rounding: ties toward +inf, one rounding */
    CHECK_EQ_INT(ref_requantize_cmsis_single(1, INT32_C(1) << 30, 0), 1);
    CHECK_EQ_INT(ref_requantize_cmsis_single(-1, INT32_C(1) << 30, 0), 0);
    CHECK_EQ_INT(ref_requantize_cmsis_single(-3, INT32_C(1) << 30, 0), -1);
    CHECK_EQ_INT(ref_requantize_cmsis_single(INT32_MIN, INT32_MAX, -31), -1);
    CHECK_EQ_INT(ref_requantize_cmsis_single(INT32_MAX, INT32_MAX, -31), 1);
    /* p >> 30 = -2^32 + 2 does not fit: the original's int32 cast keeps 2, then (2+1)>>1 */
    CHECK_EQ_INT(ref_requantize_cmsis_single(INT32_MIN, INT32_MAX, 0), 1);
    CHECK_EQ_INT(ref_requantize_cmsis_single(INT32_MIN, INT32_MAX, -1), -1073741823); /* tie, up */
    CHECK_EQ_INT(ref_requantize_cmsis_single(3, INT32_C(1) << 30, 2), 6);
    CHECK_EQ_INT(ref_requantize_cmsis_single(12345, 1518500250, -40), 0);
}

TEST(fixedpoint, q_multiply_shift_tvm)
{
    /* M == 2^30 special case: (x + 2^(n-1)) >> n with n = 1 - S, ties toward +inf */
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(-3, INT32_C(1) << 30, 0), -1);
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(5, INT32_C(1) << 30, 0), 3);
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(-6, INT32_C(1) << 30, -1), -1);   /* -1.5 */
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(7, INT32_C(1) << 30, 3), 28);     /* x << 2 */
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(7, INT32_C(1) << 30, 1), 7);      /* scale 1 */
    /* general case: 64-bit, one rounding */
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(-29644, 1724693888, -9), -46);
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(INT32_MIN, INT32_MAX, 0), -INT32_MAX);
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(1, 1073741825, 0), 1);            /* 0.5 + eps */
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(-1, 1073741825, 0), -1);          /* -0.5 - eps */
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(-1, 1073741823, 0), 0);           /* -0.5 + eps */
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(100, 1610612736, 2), 300);        /* 0.75*4 */
    CHECK_EQ_INT(ref_q_multiply_shift_tvm(123456789, 1518500250, -33), 0);
}

TEST(fixedpoint, multiplier_derivation)
{
    int32_t m = -1, s = -1;
    CHECK_EQ_INT(ref_multiplier_tvm(0.5, &m, &s), REF_OK);
    CHECK_EQ_INT(m, INT32_C(1) << 30);
    CHECK_EQ_INT(s, 0);
    CHECK_EQ_INT(ref_multiplier_tvm(1.0, &m, &s), REF_OK);
    CHECK_EQ_INT(m, INT32_C(1) << 30);
    CHECK_EQ_INT(s, 1);
    CHECK_EQ_INT(ref_multiplier_tvm(0.0, &m, &s), REF_OK);
    CHECK_EQ_INT(m, 0);
    CHECK_EQ_INT(s, 0);
    /* q * 2^31 rounding up to 2^31 renormalizes */
    CHECK_EQ_INT(ref_multiplier_tvm(1.0 - ldexp(1.0, -40), &m, &s), REF_OK);
    CHECK_EQ_INT(m, INT32_C(1) << 30);
    CHECK_EQ_INT(s, 1);
    /* tiny scales: TVM keeps the shift, TFLite flushes to 0 (ARITHMETIC.md 1.6) */
    CHECK_EQ_INT(ref_multiplier_tvm(ldexp(0.70710678, -33), &m, &s), REF_OK);
    CHECK_EQ_INT(s, -33);
    CHECK_EQ_INT(ref_multiplier_tflite(ldexp(0.70710678, -33), &m, &s), REF_OK);
    CHECK_EQ_INT(m, 0);
    CHECK_EQ_INT(s, 0);
    CHECK_EQ_INT(ref_multiplier_tflite(ldexp(0.75, -31), &m, &s), REF_OK);
    CHECK_EQ_INT(m, 1610612736);
    CHECK_EQ_INT(s, -31);
    m = 7;
    CHECK_EQ_INT(ref_multiplier_tvm(-1.0, &m, &s), REF_EARG);
    CHECK_EQ_INT(m, 7);
    CHECK_EQ_INT(ref_multiplier_tvm(NAN, &m, &s), REF_EARG);
}

/* The output stage of ARITHMETIC.md 5 (fully connected with x = 0, w = 1, bias = acc). */
static int8_t fc_one(enum ref_round round, int32_t mult, int32_t shift, float scale,
                     int32_t out_zp, int32_t acc)
{
    struct ref_fc_params p = {0};
    const struct ref_shape s11 = {2, {1, 1}}, s1 = {1, {1}};
    const int8_t x = 0, w = 1;
    int8_t y = 99;
    p.rq = (struct ref_requant){round, 1, &mult, &shift, &scale, out_zp, -128, 127};
    if (ref_fc_s8(&p, &s11, &x, &s11, &w, &s1, &acc, &s11, &y) != REF_OK)
        return 99;
    return y;
}

TEST(fixedpoint, arithmetic_5a_scale_one_half)
{
    static const int32_t acc[6] = {-5, -3, -1, 1, 3, 5};
    static const int8_t cmsis[6] = {-2, -1, 0, 1, 2, 3};
    static const int8_t onnx[6] = {-2, -2, 0, 0, 2, 2};
    static const int8_t tvm[6] = {-2, -1, 0, 1, 2, 3};
    int32_t m, s;
    REQUIRE(ref_multiplier_tvm((double)0.5f * 1.0 / 1.0, &m, &s) == REF_OK);
    CHECK_EQ_INT(m, 1073741824);
    CHECK_EQ_INT(s, 0);
    const float sc = ref_onnx_scale(0.5f, 1.0f, 1.0f);
    for (int i = 0; i < 6; i++) {
        CHECK_EQ_INT(fc_one(REF_ROUND_CMSIS_DOUBLE, m, s, sc, 0, acc[i]), cmsis[i]);
        CHECK_EQ_INT(fc_one(REF_ROUND_ONNX_FLOAT, m, s, sc, 0, acc[i]), onnx[i]);
        CHECK_EQ_INT(fc_one(REF_ROUND_TVM_UPWARD, m, s, sc, 0, acc[i]), tvm[i]);
        /* single rounding = TVM UPWARD (1.5) */
        CHECK_EQ_INT(fc_one(REF_ROUND_CMSIS_SINGLE, m, s, sc, 0, acc[i]), tvm[i]);
    }
}

TEST(fixedpoint, arithmetic_5b_double_rounding)
{
    const float xs = 0.0235294f, ws = 0.0031372f, ys = 0.0470588f;
    int32_t m, s;
    REQUIRE(ref_multiplier_tvm((double)xs * (double)ws / (double)ys, &m, &s) == REF_OK);
    CHECK_EQ_INT(m, 1724693888);
    CHECK_EQ_INT(s, -9);
    const float sc = ref_onnx_scale(xs, ws, ys);
    CHECK_EQ_INT(fc_one(REF_ROUND_CMSIS_DOUBLE, m, s, sc, -3, -29644), -50);
    CHECK_EQ_INT(fc_one(REF_ROUND_ONNX_FLOAT, m, s, sc, -3, -29644), -49);
    CHECK_EQ_INT(fc_one(REF_ROUND_TVM_UPWARD, m, s, sc, -3, -29644), -49);
    CHECK_EQ_INT(fc_one(REF_ROUND_CMSIS_SINGLE, m, s, sc, -3, -29644), -49);
    /* the sweep: 58 differences each, 0 with single rounding */
    int d_onnx = 0, d_tvm = 0, d_single_onnx = 0, d_single_tvm = 0;
    for (int32_t acc = -30000; acc <= 30000; acc++) {
        const struct ref_requant base = {REF_ROUND_CMSIS_DOUBLE, 1, &m, &s, &sc, -3, -128, 127};
        struct ref_requant r = base;
        const int32_t dbl = ref_requant_apply(&r, 0, acc);
        r.round = REF_ROUND_ONNX_FLOAT;
        const int32_t on = ref_requant_apply(&r, 0, acc);
        r.round = REF_ROUND_TVM_UPWARD;
        const int32_t tv = ref_requant_apply(&r, 0, acc);
        r.round = REF_ROUND_CMSIS_SINGLE;
        const int32_t sg = ref_requant_apply(&r, 0, acc);
        d_onnx += dbl != on;
        d_tvm += dbl != tv;
        d_single_onnx += sg != on;
        d_single_tvm += sg != tv;
    }
    CHECK_EQ_INT(d_onnx, 58);
    CHECK_EQ_INT(d_tvm, 58);
    CHECK_EQ_INT(d_single_onnx, 0);
    CHECK_EQ_INT(d_single_tvm, 0);
}

TEST(fixedpoint, arithmetic_5c_add)
{
    const float s1 = 0.0470588f, s2 = 0.0235294f, so = 0.0627451f;
    /* TVM EmitAdd parameters from the scales */
    const double twice_max = 2.0 * (double)(s1 > s2 ? s1 : s2);
    int32_t m1, sh1, m2, sh2, mo, sho;
    REQUIRE(ref_multiplier_tvm((double)s1 / twice_max, &m1, &sh1) == REF_OK);
    REQUIRE(ref_multiplier_tvm((double)s2 / twice_max, &m2, &sh2) == REF_OK);
    REQUIRE(ref_multiplier_tvm(twice_max / (1048576.0 * (double)so), &mo, &sho) == REF_OK);
    CHECK_EQ_INT(m1, 1073741824);
    CHECK_EQ_INT(sh1, 0);
    CHECK_EQ_INT(m2, 1073741824);
    CHECK_EQ_INT(sh2, -1);
    CHECK_EQ_INT(mo, 1610611780);
    CHECK_EQ_INT(sho, -19);

    struct ref_add_params p = {
        .round = REF_ROUND_CMSIS_DOUBLE, .in1_zp = -5, .in2_zp = 7, .out_zp = 3,
        .left_shift = 20, .in1_mult = 1073741824, .in1_shift = 0, .in2_mult = 1073741824,
        .in2_shift = -1, .out_mult = 1610611780, .out_shift = -19, .in1_scale = s1,
        .in2_scale = s2, .out_scale = so, .act_min = -128, .act_max = 127,
    };
    static int8_t a[65536], b[65536], y_cmsis[65536], y_onnx[65536];
    const struct ref_shape sh = {1, {65536}};
    for (int i = 0; i < 65536; i++) {
        a[i] = (int8_t)(i / 256 - 128);
        b[i] = (int8_t)(i % 256 - 128);
    }
    CHECK_EQ_INT(ref_add_s8(&p, &sh, a, &sh, b, &sh, y_cmsis), REF_OK);
    p.round = REF_ROUND_ONNX_FLOAT;
    CHECK_EQ_INT(ref_add_s8(&p, &sh, a, &sh, b, &sh, y_onnx), REF_OK);
    int diffs = 0;
    for (int i = 0; i < 65536; i++)
        diffs += y_cmsis[i] != y_onnx[i];
    CHECK_EQ_INT(diffs, 256);
    const int k = (-65 + 128) * 256 + (123 + 128);
    CHECK_EQ_INT(y_cmsis[k], 1);
    CHECK_EQ_INT(y_onnx[k], 2);
}

TEST(fixedpoint, arithmetic_5d_avgpool_ties)
{
    static const int8_t taps[4][2] = {{-1, 0}, {0, 1}, {2, 3}, {-2, -3}};
    static const int8_t cmsis[4] = {-1, 1, 3, -3};
    static const int8_t even[4] = {0, 0, 2, -2};
    struct ref_pool_params p = {
        .layout = REF_LAYOUT_NHWC, .kernel_h = 1, .kernel_w = 2, .stride_h = 1, .stride_w = 1,
        .dilation_h = 1, .dilation_w = 1, .in_scale = 1.0f, .out_scale = 1.0f,
        .act_min = -128, .act_max = 127,
    };
    const struct ref_shape si = {4, {1, 1, 2, 1}}, so = {4, {1, 1, 1, 1}};
    for (int i = 0; i < 4; i++) {
        int8_t y = 99;
        p.round = REF_ROUND_CMSIS_DOUBLE;
        CHECK_EQ_INT(ref_avgpool_s8(&p, &si, taps[i], &so, &y), REF_OK);
        CHECK_EQ_INT(y, cmsis[i]);
        p.round = REF_ROUND_ONNX_FLOAT;
        CHECK_EQ_INT(ref_avgpool_s8(&p, &si, taps[i], &so, &y), REF_OK);
        CHECK_EQ_INT(y, even[i]);
    }
}

TEST(fixedpoint, arithmetic_5e_arm_shift_minus_33)
{
    static const int32_t v[4] = {0, 1000, -1000, 123456789};
    static const int32_t arm[4] = {1, 1, -1, 1};
    for (int i = 0; i < 4; i++)
        CHECK_EQ_INT(ref_requantize_cmsis(v[i], 1518500250, -33), arm[i]);
}

TEST(fixedpoint, softmax_primitives)
{
    CHECK_EQ_INT(ref_clz32(0), 32);
    CHECK_EQ_INT(ref_clz32(1), 31);
    CHECK_EQ_INT(ref_clz32(0x80000000u), 0);
    CHECK_EQ_INT(ref_clz32(0x00ffffffu), 8);
    CHECK_EQ_INT(ref_mult_by_power_of_two(3, 2), 12);
    CHECK_EQ_INT(ref_mult_by_power_of_two(-3, 2), -12);
    CHECK_EQ_INT(ref_mult_by_power_of_two(INT32_C(1) << 29, 2), INT32_MAX);
    CHECK_EQ_INT(ref_mult_by_power_of_two((INT32_C(1) << 29) - 1, 2), 2147483644);
    CHECK_EQ_INT(ref_mult_by_power_of_two(-(INT32_C(1) << 29), 2), INT32_MIN);
    CHECK_EQ_INT(ref_mult_by_power_of_two(INT32_C(1) << 30, 1), INT32_MAX);
    CHECK_EQ_INT(ref_exp_on_negative_values(0), INT32_MAX);
    /* exp(-2^k/4) of the constant table, within the polynomial's error */
    for (int k = 0; k < 6; k++) {
        const int32_t v = -(INT32_C(1) << (24 + k));
        const double want = exp(-ldexp(1.0, k) / 4.0) * 2147483648.0;
        CHECK_NEAR(ref_exp_on_negative_values(v), want, 1e-6 * 2147483648.0);
    }
    for (int32_t v = -(INT32_C(31) << 26); v < 0; v += 12345677) {
        const double want = exp(ldexp((double)v, -26)) * 2147483648.0;
        CHECK_NEAR(ref_exp_on_negative_values(v), want, 2e-6 * 2147483648.0);
    }
    /* 1/(1+x): x = 0, 0.5, 0.999... */
    CHECK_NEAR(ref_one_over_one_plus_x_for_x_in_0_1(0), 2147483647.0, 4.0);
    CHECK_NEAR(ref_one_over_one_plus_x_for_x_in_0_1(INT32_C(1) << 30), 2147483648.0 / 1.5, 8.0);
    CHECK_NEAR(ref_one_over_one_plus_x_for_x_in_0_1(INT32_MAX), 1073741824.0, 8.0);
}

TEST(fixedpoint, round_helpers)
{
    CHECK_EQ_INT(ref_round_half_even_sat(0.5, -128, 127), 0);
    CHECK_EQ_INT(ref_round_half_even_sat(1.5, -128, 127), 2);
    CHECK_EQ_INT(ref_round_half_even_sat(-0.5, -128, 127), 0);
    CHECK_EQ_INT(ref_round_half_even_sat(-1.5, -128, 127), -2);
    CHECK_EQ_INT(ref_round_half_even_sat(-2.5, -128, 127), -2);
    CHECK_EQ_INT(ref_round_half_even_sat(-2.5000001, -128, 127), -3);
    CHECK_EQ_INT(ref_round_half_even_sat(127.4, -128, 127), 127);
    CHECK_EQ_INT(ref_round_half_even_sat(1e30, -128, 127), 127);
    CHECK_EQ_INT(ref_round_half_even_sat(-1e30, -128, 127), -128);
    CHECK_EQ_INT(ref_round_half_even_sat(NAN, 0, 255), 0);
    CHECK_EQ_INT(ref_round_half_away_sat(0.5, -128, 127), 1);
    CHECK_EQ_INT(ref_round_half_away_sat(-0.5, -128, 127), -1);
    CHECK_EQ_INT(ref_round_half_away_sat(2.5, -128, 127), 3);
    CHECK_EQ_INT(ref_round_half_away_sat(-2.49, -128, 127), -2);
}
