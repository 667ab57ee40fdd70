/*
 * ref/ kernels against expected outputs nobody here computed: ONNX backend node tests
 * (produced by the ONNX reference implementation) and onnx2c's QLinearAdd/QLinearMul tests,
 * converted to C arrays by scripts/gen-ref-golden.py (tests/data/onnx-node/). Integers are
 * compared byte for byte, floats with the ONNX runner's tolerance (rtol 1e-3, atol 1e-7).
 * The parameters below transcribe each node's attributes (printed in the data header).
 */
#include <math.h>

#include "test.h"

#include "../ref/ref.h"
#include "data/onnx-node/ref_golden.h"

static struct ref_shape shp(const struct golden_tensor *g)
{
    struct ref_shape s = {g->rank, {0}};
    for (int i = 0; i < g->rank; i++)
        s.dims[i] = g->dims[i];
    return s;
}

static float f0(const struct golden_tensor *g)
{
    return ((const float *)g->data)[0];
}

/* ONNX backend runner tolerance; prints the first 8 mismatches. */
static void check_close(struct test_ctx *t_, const char *what, const float *got,
                        const struct golden_tensor *want)
{
    const float *w = want->data;
    int shown = 0;
    for (size_t i = 0; i < want->n; i++) {
        const double tol = 1e-7 + 1e-3 * fabs((double)w[i]);
        if (!(fabs((double)got[i] - (double)w[i]) <= tol) && !(isinf(w[i]) && got[i] == w[i])) {
            if (shown < 8)
                test_fail(t_, __FILE__, __LINE__, "%s[%zu]: got %.9g, want %.9g", what, i,
                          (double)got[i], (double)w[i]);
            shown++;
        }
    }
}

#define GOLD(name, k) (&name##__##k)

TEST(ref_golden, qlinearmatmul)
{
    int8_t y8[16];
    uint8_t yu[16];
    {
        float sc = ref_onnx_scale(f0(GOLD(test_qlinearmatmul_2D_int8_float32, in1)),
                                  f0(GOLD(test_qlinearmatmul_2D_int8_float32, in4)),
                                  f0(GOLD(test_qlinearmatmul_2D_int8_float32, in6)));
        const int32_t bzp = ((const int8_t *)test_qlinearmatmul_2D_int8_float32__in5.data)[0];
        struct ref_matmul_params p = {
            .a_zp = ((const int8_t *)test_qlinearmatmul_2D_int8_float32__in2.data)[0],
            .b_zp = &bzp, .n_b_zp = 1,
            .rq = {REF_ROUND_ONNX_FLOAT, 1, NULL, NULL, &sc,
                   ((const int8_t *)test_qlinearmatmul_2D_int8_float32__in7.data)[0], -128, 127},
        };
        const struct ref_shape sa = shp(GOLD(test_qlinearmatmul_2D_int8_float32, in0));
        const struct ref_shape sb = shp(GOLD(test_qlinearmatmul_2D_int8_float32, in3));
        const struct ref_shape so = shp(GOLD(test_qlinearmatmul_2D_int8_float32, out0));
        CHECK_EQ_INT(ref_matmul_s8(&p, &sa, test_qlinearmatmul_2D_int8_float32__in0.data, &sb,
                                   test_qlinearmatmul_2D_int8_float32__in3.data, &so, y8),
                     REF_OK);
        CHECK_MEM(y8, test_qlinearmatmul_2D_int8_float32__out0.data,
                  test_qlinearmatmul_2D_int8_float32__out0.n);
    }
#define QMM_U8(T)                                                                          \
    do {                                                                                   \
        float sc = ref_onnx_scale(f0(GOLD(T, in1)), f0(GOLD(T, in4)), f0(GOLD(T, in6)));   \
        const int32_t bzp = ((const uint8_t *)T##__in5.data)[0];                           \
        struct ref_matmul_params p = {                                                     \
            .a_zp = ((const uint8_t *)T##__in2.data)[0], .b_zp = &bzp, .n_b_zp = 1,        \
            .rq = {REF_ROUND_ONNX_FLOAT, 1, NULL, NULL, &sc,                               \
                   ((const uint8_t *)T##__in7.data)[0], 0, 255},                           \
        };                                                                                 \
        const struct ref_shape sa = shp(GOLD(T, in0)), sb = shp(GOLD(T, in3));             \
        const struct ref_shape so = shp(GOLD(T, out0));                                    \
        CHECK_EQ_INT(ref_matmul_u8(&p, &sa, T##__in0.data, &sb, T##__in3.data, &so, yu),   \
                     REF_OK);                                                              \
        CHECK_MEM(yu, T##__out0.data, T##__out0.n);                                        \
    } while (0)
    QMM_U8(test_qlinearmatmul_2D_uint8_float32);
    QMM_U8(test_qlinearmatmul_3D_uint8_float32);
#undef QMM_U8
}

TEST(ref_golden, quantize_dequantize)
{
    uint8_t q[6];
    float d[4];
    struct ref_quantize_params p = {
        .round = REF_QROUND_ONNX, .scale = f0(GOLD(test_quantizelinear, in1)),
        .zp = ((const uint8_t *)test_quantizelinear__in2.data)[0],
    };
    const struct ref_shape s = shp(GOLD(test_quantizelinear, in0));
    CHECK_EQ_INT(ref_quantize_u8(&p, &s, test_quantizelinear__in0.data, &s, q), REF_OK);
    CHECK_MEM(q, test_quantizelinear__out0.data, 6);
    p.scale = f0(GOLD(test_dequantizelinear, in1));
    p.zp = ((const uint8_t *)test_dequantizelinear__in2.data)[0];
    const struct ref_shape sd = shp(GOLD(test_dequantizelinear, in0));
    CHECK_EQ_INT(ref_dequantize_u8(&p, &sd, test_dequantizelinear__in0.data, &sd, d), REF_OK);
    check_close(t_, "dequantize", d, GOLD(test_dequantizelinear, out0));
}

static struct ref_pool_params onnx_pool(int kh, int kw, int sh, int sw, int dh, int dw, int pt,
                                        int pl, int pb, int pr, bool ceil_mode, bool cip)
{
    return (struct ref_pool_params){
        .layout = REF_LAYOUT_NCHW, .kernel_h = kh, .kernel_w = kw, .stride_h = sh,
        .stride_w = sw, .dilation_h = dh, .dilation_w = dw, .pad_top = pt, .pad_left = pl,
        .pad_bottom = pb, .pad_right = pr, .ceil_mode = ceil_mode, .count_include_pad = cip,
        .round = REF_ROUND_ONNX_FLOAT, .act_min = 0, .act_max = 255,
        .act_min_f = -INFINITY, .act_max_f = INFINITY,
    };
}

TEST(ref_golden, pools)
{
    static float y[2700];
    uint8_t yu[25];
    struct ref_pool_params p;
    struct ref_shape si, so;

    p = onnx_pool(3, 3, 1, 1, 1, 1, 2, 2, 2, 2, false, true);
    si = shp(GOLD(test_averagepool_2d_pads_count_include_pad, in0));
    so = shp(GOLD(test_averagepool_2d_pads_count_include_pad, out0));
    CHECK_EQ_INT(ref_avgpool_f32(&p, &si, test_averagepool_2d_pads_count_include_pad__in0.data,
                                 &so, y), REF_OK);
    check_close(t_, "avgpool count_include_pad", y,
                GOLD(test_averagepool_2d_pads_count_include_pad, out0));

    p = onnx_pool(3, 3, 2, 2, 1, 1, 0, 0, 0, 0, true, false);
    si = shp(GOLD(test_averagepool_2d_ceil, in0));
    so = shp(GOLD(test_averagepool_2d_ceil, out0));
    CHECK_EQ_INT(ref_avgpool_f32(&p, &si, test_averagepool_2d_ceil__in0.data, &so, y), REF_OK);
    check_close(t_, "avgpool ceil", y, GOLD(test_averagepool_2d_ceil, out0));

    p = onnx_pool(2, 2, 1, 1, 2, 2, 0, 0, 0, 0, true, false);
    si = shp(GOLD(test_averagepool_2d_dilations, in0));
    so = shp(GOLD(test_averagepool_2d_dilations, out0));
    CHECK_EQ_INT(ref_avgpool_f32(&p, &si, test_averagepool_2d_dilations__in0.data, &so, y),
                 REF_OK);
    check_close(t_, "avgpool dilations", y, GOLD(test_averagepool_2d_dilations, out0));

    /* 1-D as H = 1 */
    p = onnx_pool(1, 2, 1, 1, 1, 1, 0, 0, 0, 0, false, false);
    si = (struct ref_shape){4, {1, 3, 1, 32}};
    so = (struct ref_shape){4, {1, 3, 1, 31}};
    CHECK_EQ_INT(ref_avgpool_f32(&p, &si, test_averagepool_1d_default__in0.data, &so, y), REF_OK);
    check_close(t_, "avgpool 1d", y, GOLD(test_averagepool_1d_default, out0));

    p = onnx_pool(3, 3, 2, 2, 1, 1, 0, 0, 0, 0, true, false);
    si = shp(GOLD(test_maxpool_2d_ceil, in0));
    so = shp(GOLD(test_maxpool_2d_ceil, out0));
    CHECK_EQ_INT(ref_maxpool_f32(&p, &si, test_maxpool_2d_ceil__in0.data, &so, y), REF_OK);
    check_close(t_, "maxpool ceil", y, GOLD(test_maxpool_2d_ceil, out0));

    p = onnx_pool(2, 2, 1, 1, 2, 2, 0, 0, 0, 0, false, false);
    si = shp(GOLD(test_maxpool_2d_dilations, in0));
    so = shp(GOLD(test_maxpool_2d_dilations, out0));
    CHECK_EQ_INT(ref_maxpool_f32(&p, &si, test_maxpool_2d_dilations__in0.data, &so, y), REF_OK);
    check_close(t_, "maxpool dilations", y, GOLD(test_maxpool_2d_dilations, out0));

    p = onnx_pool(2, 2, 2, 2, 1, 1, 0, 0, 0, 0, false, false);
    si = shp(GOLD(test_maxpool_2d_precomputed_strides, in0));
    so = shp(GOLD(test_maxpool_2d_precomputed_strides, out0));
    CHECK_EQ_INT(ref_maxpool_f32(&p, &si, test_maxpool_2d_precomputed_strides__in0.data, &so, y),
                 REF_OK);
    check_close(t_, "maxpool strides", y, GOLD(test_maxpool_2d_precomputed_strides, out0));

    p = onnx_pool(5, 5, 1, 1, 1, 1, 2, 2, 2, 2, false, false);
    si = shp(GOLD(test_maxpool_2d_uint8, in0));
    so = shp(GOLD(test_maxpool_2d_uint8, out0));
    CHECK_EQ_INT(ref_maxpool_u8(&p, &si, test_maxpool_2d_uint8__in0.data, &so, yu), REF_OK);
    CHECK_MEM(yu, test_maxpool_2d_uint8__out0.data, 25);

    si = shp(GOLD(test_globalaveragepool, in0));
    so = shp(GOLD(test_globalaveragepool, out0));
    CHECK_EQ_INT(ref_global_avgpool_f32(&p, &si, test_globalaveragepool__in0.data, &so, y),
                 REF_OK);
    check_close(t_, "global avg", y, GOLD(test_globalaveragepool, out0));
    CHECK_EQ_INT(ref_global_maxpool_f32(&p, &si, test_globalmaxpool__in0.data, &so, y), REF_OK);
    check_close(t_, "global max", y, GOLD(test_globalmaxpool, out0));
}

TEST(ref_golden, conv_f32)
{
    float y[32];
    struct ref_conv2d_f32_params p = {
        .geo = {.layout = REF_LAYOUT_NCHW, .groups = 1, .stride_h = 1, .stride_w = 1,
                .dilation_h = 1, .dilation_w = 1, .pad_top = 1, .pad_left = 1, .pad_bottom = 1,
                .pad_right = 1},
        .act_min = -INFINITY, .act_max = INFINITY,
    };
#define RUN_CONV(T)                                                                         \
    do {                                                                                    \
        const struct ref_shape si = shp(GOLD(T, in0)), sw = shp(GOLD(T, in1));              \
        const struct ref_shape so = shp(GOLD(T, out0));                                     \
        CHECK_EQ_INT(ref_conv2d_f32(&p, &si, T##__in0.data, &sw, T##__in1.data, NULL, NULL, \
                                    &so, y),                                                \
                     REF_OK);                                                               \
        check_close(t_, #T, y, GOLD(T, out0));                                              \
    } while (0)
    RUN_CONV(test_basic_conv_with_padding);
    p.geo.stride_h = p.geo.stride_w = 2;
    RUN_CONV(test_conv_with_strides_padding);
    /* SAME_LOWER, k3 s2 on 5x5: total padding 2, split 1/1 */
    RUN_CONV(test_conv_with_autopad_same);
    /* pads [1, 0, 1, 0] = top, left, bottom, right */
    p.geo.pad_left = p.geo.pad_right = 0;
    RUN_CONV(test_conv_with_strides_and_asymmetric_padding);
#undef RUN_CONV
}

TEST(ref_golden, gemm_matmul)
{
    float y[64];
    struct ref_gemm_params g = {.trans_a = true, .trans_b = true, .alpha = 0.25f,
                                .beta = 0.3499999940395355f};
#define RUN_GEMM(T)                                                                          \
    do {                                                                                     \
        const struct ref_shape sa = shp(GOLD(T, in0)), sb = shp(GOLD(T, in1));               \
        const struct ref_shape sc = shp(GOLD(T, in2)), so = shp(GOLD(T, out0));              \
        CHECK_EQ_INT(ref_gemm_f32(&g, &sa, T##__in0.data, &sb, T##__in1.data, &sc,           \
                                  T##__in2.data, &so, y),                                    \
                     REF_OK);                                                                \
        check_close(t_, #T, y, GOLD(T, out0));                                               \
    } while (0)
    RUN_GEMM(test_gemm_all_attributes);
    g = (struct ref_gemm_params){.trans_a = true, .alpha = 1.0f, .beta = 1.0f};
    RUN_GEMM(test_gemm_transposeA);
    g.trans_a = false;
    RUN_GEMM(test_gemm_default_scalar_bias);
#undef RUN_GEMM
#define RUN_MM(T)                                                                            \
    do {                                                                                     \
        const struct ref_shape sa = shp(GOLD(T, in0)), sb = shp(GOLD(T, in1));               \
        const struct ref_shape so = shp(GOLD(T, out0));                                      \
        CHECK_EQ_INT(ref_matmul_f32(NULL, &sa, T##__in0.data, &sb, T##__in1.data, &so, y),   \
                     REF_OK);                                                                \
        check_close(t_, #T, y, GOLD(T, out0));                                               \
    } while (0)
    RUN_MM(test_matmul_3d);
    RUN_MM(test_matmul_4d);
    RUN_MM(test_matmul_bcast);
#undef RUN_MM
}

TEST(ref_golden, softmax_f32)
{
    float y[64];
    struct ref_softmax_params p = {.axis = 0};
#define RUN_SM(T, fn, ax)                                                                   \
    do {                                                                                    \
        const struct ref_shape s = shp(GOLD(T, in0));                                       \
        p.axis = (ax);                                                                      \
        CHECK_EQ_INT(fn(&p, &s, T##__in0.data, &s, y), REF_OK);                             \
        check_close(t_, #T, y, GOLD(T, out0));                                              \
    } while (0)
    RUN_SM(test_softmax_axis_0, ref_softmax_f32, 0);
    RUN_SM(test_softmax_axis_1, ref_softmax_f32, 1);
    RUN_SM(test_softmax_default_axis, ref_softmax_f32, 2);
    RUN_SM(test_softmax_large_number, ref_softmax_f32, 1);
    RUN_SM(test_logsoftmax_axis_0, ref_logsoftmax_f32, 0);
    RUN_SM(test_logsoftmax_example_1, ref_logsoftmax_f32, 1);
#undef RUN_SM
}

TEST(ref_golden, batchnorm_reduce)
{
    float y[120];
    struct ref_batchnorm_params p = {.epsilon = 1e-5f, .layout = REF_LAYOUT_NCHW};
#define RUN_BN(T)                                                                            \
    do {                                                                                     \
        const struct ref_shape s = shp(GOLD(T, in0));                                        \
        CHECK_EQ_INT(ref_batchnorm_f32(&p, &s, T##__in0.data, T##__in1.data, T##__in2.data,  \
                                       T##__in3.data, T##__in4.data, &s, y),                 \
                     REF_OK);                                                                \
        check_close(t_, #T, y, GOLD(T, out0));                                               \
    } while (0)
    RUN_BN(test_batchnorm_example);
    p.epsilon = 0.009999999776482582f;
    RUN_BN(test_batchnorm_epsilon);
#undef RUN_BN
    struct ref_reduce_params r = {.keepdims = true};
#define RUN_RM(T, kd)                                                                        \
    do {                                                                                     \
        const struct ref_shape si = shp(GOLD(T, in0)), so = shp(GOLD(T, out0));              \
        r.axes_mask = 1u << ((const int32_t *)T##__in1.data)[0];                             \
        r.keepdims = (kd);                                                                   \
        CHECK_EQ_INT(ref_reduce_mean_f32(&r, &si, T##__in0.data, &so, y), REF_OK);           \
        check_close(t_, #T, y, GOLD(T, out0));                                               \
    } while (0)
    RUN_RM(test_reduce_mean_keepdims_example, true);
    RUN_RM(test_reduce_mean_do_not_keepdims_random, false);
#undef RUN_RM
}

TEST(ref_golden, data_movement)
{
    static float y[300];
    struct ref_shape si, so;

    struct ref_transpose_params tp = {.elem_bytes = 4, .perm = {2, 0, 1}};
    si = shp(GOLD(test_transpose_all_permutations_4, in0));
    so = shp(GOLD(test_transpose_all_permutations_4, out0));
    CHECK_EQ_INT(ref_transpose_any(&tp, &si, test_transpose_all_permutations_4__in0.data, &so, y),
                 REF_OK);
    CHECK_MEM(y, test_transpose_all_permutations_4__out0.data, 24 * 4);
    tp = (struct ref_transpose_params){.elem_bytes = 4, .perm = {2, 1, 0}};
    si = shp(GOLD(test_transpose_default, in0));
    so = shp(GOLD(test_transpose_default, out0));
    CHECK_EQ_INT(ref_transpose_any(&tp, &si, test_transpose_default__in0.data, &so, y), REF_OK);
    CHECK_MEM(y, test_transpose_default__out0.data, 24 * 4);

    struct ref_gather_params gp = {.axis = 0, .elem_bytes = 4};
    struct ref_shape sx = shp(GOLD(test_gather_0, in1));
    si = shp(GOLD(test_gather_0, in0));
    so = shp(GOLD(test_gather_0, out0));
    CHECK_EQ_INT(ref_gather_any(&gp, &si, test_gather_0__in0.data, &sx, test_gather_0__in1.data,
                                &so, y), REF_OK);
    CHECK_MEM(y, test_gather_0__out0.data, test_gather_0__out0.n * 4);
    gp.axis = 1;
    sx = shp(GOLD(test_gather_2d_indices, in1));
    si = shp(GOLD(test_gather_2d_indices, in0));
    so = shp(GOLD(test_gather_2d_indices, out0));
    CHECK_EQ_INT(ref_gather_any(&gp, &si, test_gather_2d_indices__in0.data, &sx,
                                test_gather_2d_indices__in1.data, &so, y), REF_OK);
    CHECK_MEM(y, test_gather_2d_indices__out0.data, test_gather_2d_indices__out0.n * 4);

    /* Slice: the caller clamps ONNX starts (negative steps clamp to dim - 1) */
    struct ref_slice_params sp = {.elem_bytes = 4};
    si = shp(GOLD(test_slice_neg_steps, in0));
    so = shp(GOLD(test_slice_neg_steps, out0));
    const int32_t *starts = test_slice_neg_steps__in1.data, *axes = test_slice_neg_steps__in3.data;
    const int32_t *steps = test_slice_neg_steps__in4.data;
    for (int i = 0; i < 3; i++) {
        const int32_t d = si.dims[axes[i]];
        int32_t b = starts[i] < 0 ? starts[i] + d : starts[i];
        b = b > d - 1 ? d - 1 : b;
        sp.begin[axes[i]] = b;
        sp.stride[axes[i]] = steps[i];
    }
    CHECK_EQ_INT(ref_slice_any(&sp, &si, test_slice_neg_steps__in0.data, &so, y), REF_OK);
    CHECK_MEM(y, test_slice_neg_steps__out0.data, test_slice_neg_steps__out0.n * 4);

    const struct ref_shape c0 = shp(GOLD(test_concat_3d_axis_1, in0));
    const struct ref_shape c1 = shp(GOLD(test_concat_3d_axis_1, in1));
    const struct ref_shape *cs[2] = {&c0, &c1};
    const void *cin[2] = {test_concat_3d_axis_1__in0.data, test_concat_3d_axis_1__in1.data};
    struct ref_concat_params cp = {.axis = 1, .elem_bytes = 4, .n_inputs = 2};
    so = shp(GOLD(test_concat_3d_axis_1, out0));
    CHECK_EQ_INT(ref_concat_any(&cp, cs, cin, &so, y), REF_OK);
    CHECK_MEM(y, test_concat_3d_axis_1__out0.data, 16 * 4);

    const int32_t *pads = test_constant_pad__in1.data;
    struct ref_pad_params pp = {.elem_bytes = 4, .value = test_constant_pad__in2.data};
    for (int i = 0; i < 4; i++) {
        pp.before[i] = pads[i];
        pp.after[i] = pads[4 + i];
    }
    si = shp(GOLD(test_constant_pad, in0));
    so = shp(GOLD(test_constant_pad, out0));
    CHECK_EQ_INT(ref_pad_any(&pp, &si, test_constant_pad__in0.data, &so, y), REF_OK);
    CHECK_MEM(y, test_constant_pad__out0.data, test_constant_pad__out0.n * 4);
}

TEST(ref_golden, resize)
{
    float y[64];
    struct ref_resize_params p = {.layout = REF_LAYOUT_NCHW, .coord = REF_COORD_HALF_PIXEL,
                                  .nearest = REF_NEAREST_ROUND_PREFER_FLOOR, .elem_bytes = 4};
#define RUN_RS(T, fn)                                                                       \
    do {                                                                                    \
        const struct ref_shape si = shp(GOLD(T, in0)), so = shp(GOLD(T, out0));             \
        CHECK_EQ_INT(fn(&p, &si, T##__in0.data, &so, y), REF_OK);                           \
        check_close(t_, #T, y, GOLD(T, out0));                                              \
    } while (0)
#define SCALES(T)                                                                           \
    (p.scale_h = ((const float *)T##__in1.data)[2], p.scale_w = ((const float *)T##__in1.data)[3])
    SCALES(test_resize_upsample_scales_nearest);
    RUN_RS(test_resize_upsample_scales_nearest, ref_resize_nearest_any);
    SCALES(test_resize_downsample_scales_nearest);
    RUN_RS(test_resize_downsample_scales_nearest, ref_resize_nearest_any);
    SCALES(test_resize_downsample_scales_linear);
    RUN_RS(test_resize_downsample_scales_linear, ref_resize_linear_f32);
    p.coord = REF_COORD_ALIGN_CORNERS;
    SCALES(test_resize_upsample_scales_linear_align_corners);
    RUN_RS(test_resize_upsample_scales_linear_align_corners, ref_resize_linear_f32);
    p.coord = REF_COORD_ASYMMETRIC;
    p.nearest = REF_NEAREST_ROUND_PREFER_CEIL;
    p.scale_h = p.scale_w = 0.0f;   /* from the sizes */
    RUN_RS(test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric,
           ref_resize_nearest_any);
#undef SCALES
#undef RUN_RS
}

TEST(ref_golden, activations_and_binary)
{
    float y[64];
    struct ref_act_params p = {.kind = REF_ACT_SIGMOID};
#define RUN_ACT(T)                                                                          \
    do {                                                                                    \
        const struct ref_shape s = shp(GOLD(T, in0));                                       \
        CHECK_EQ_INT(ref_act_f32(&p, &s, T##__in0.data, &s, y), REF_OK);                    \
        check_close(t_, #T, y, GOLD(T, out0));                                              \
    } while (0)
    RUN_ACT(test_sigmoid);
    p.kind = REF_ACT_TANH;
    RUN_ACT(test_tanh);
    p.kind = REF_ACT_HARD_SWISH;
    RUN_ACT(test_hardswish);
    p.kind = REF_ACT_RELU;
    RUN_ACT(test_relu);
    p.kind = REF_ACT_LEAKY_RELU;
    p.alpha = 0.10000000149011612f;
    RUN_ACT(test_leakyrelu_example);
    p.kind = REF_ACT_CLIP;
    p.lo = f0(GOLD(test_clip_example, in1));
    p.hi = f0(GOLD(test_clip_example, in2));
    RUN_ACT(test_clip_example);
#undef RUN_ACT
#define RUN_BIN(T, fn)                                                                      \
    do {                                                                                    \
        const struct ref_shape sa = shp(GOLD(T, in0)), sb = shp(GOLD(T, in1));              \
        const struct ref_shape so = shp(GOLD(T, out0));                                     \
        CHECK_EQ_INT(fn(NULL, &sa, T##__in0.data, &sb, T##__in1.data, &so, y), REF_OK);     \
        check_close(t_, #T, y, GOLD(T, out0));                                              \
    } while (0)
    RUN_BIN(test_add, ref_add_f32);
    RUN_BIN(test_sub, ref_sub_f32);
    RUN_BIN(test_mul, ref_mul_f32);
    RUN_BIN(test_div_bcast, ref_div_f32);
#undef RUN_BIN
}

/* onnx2c's QLinearAdd / QLinearMul tests (com.microsoft ops). */
TEST(ref_golden, qlinear_add_mul)
{
    int8_t y8[24];
    uint8_t yu[24];
    const struct ref_shape s = shp(GOLD(onnx2c_test_qlinearadd_int8, in0));
    struct ref_add_params a = {
        .round = REF_ROUND_ONNX_FLOAT,
        .in1_zp = ((const int8_t *)onnx2c_test_qlinearadd_int8__in2.data)[0],
        .in2_zp = ((const int8_t *)onnx2c_test_qlinearadd_int8__in5.data)[0],
        .out_zp = ((const int8_t *)onnx2c_test_qlinearadd_int8__in7.data)[0],
        .in1_scale = f0(GOLD(onnx2c_test_qlinearadd_int8, in1)),
        .in2_scale = f0(GOLD(onnx2c_test_qlinearadd_int8, in4)),
        .out_scale = f0(GOLD(onnx2c_test_qlinearadd_int8, in6)),
        .act_min = -128, .act_max = 127,
    };
    CHECK_EQ_INT(ref_add_s8(&a, &s, onnx2c_test_qlinearadd_int8__in0.data, &s,
                            onnx2c_test_qlinearadd_int8__in3.data, &s, y8), REF_OK);
    CHECK_MEM(y8, onnx2c_test_qlinearadd_int8__out0.data, 24);

    float sc = ref_onnx_scale(f0(GOLD(onnx2c_test_qlinearmul_uint8, in1)),
                              f0(GOLD(onnx2c_test_qlinearmul_uint8, in4)),
                              f0(GOLD(onnx2c_test_qlinearmul_uint8, in6)));
    struct ref_mul_params m = {
        .in1_zp = ((const uint8_t *)onnx2c_test_qlinearmul_uint8__in2.data)[0],
        .in2_zp = ((const uint8_t *)onnx2c_test_qlinearmul_uint8__in5.data)[0],
        .rq = {REF_ROUND_ONNX_FLOAT, 1, NULL, NULL, &sc,
               ((const uint8_t *)onnx2c_test_qlinearmul_uint8__in7.data)[0], 0, 255},
    };
    CHECK_EQ_INT(ref_mul_u8(&m, &s, onnx2c_test_qlinearmul_uint8__in0.data, &s,
                            onnx2c_test_qlinearmul_uint8__in3.data, &s, yu), REF_OK);
    CHECK_MEM(yu, onnx2c_test_qlinearmul_uint8__out0.data, 24);
}

TEST(ref_golden, convinteger_matmulinteger)
{
    int32_t y[32];
    /* per-channel weight zero points */
    const uint8_t *wzp8 = test_convinteger_with_padding__in3.data;
    const int32_t wzp[2] = {wzp8[0], wzp8[1]};
    struct ref_conv2d_params p = {
        .layout = REF_LAYOUT_NCHW, .groups = 1, .stride_h = 1, .stride_w = 1, .dilation_h = 1,
        .dilation_w = 1, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1,
        .in_zp = ((const uint8_t *)test_convinteger_with_padding__in2.data)[0],
        .w_zp = wzp, .n_w_zp = 2,
    };
    struct ref_shape si = shp(GOLD(test_convinteger_with_padding, in0));
    struct ref_shape sw = shp(GOLD(test_convinteger_with_padding, in1));
    struct ref_shape so = shp(GOLD(test_convinteger_with_padding, out0));
    CHECK_EQ_INT(ref_conv2d_u8_s32(&p, &si, test_convinteger_with_padding__in0.data, &sw,
                                   test_convinteger_with_padding__in1.data, NULL, NULL, &so, y),
                 REF_OK);
    CHECK_MEM(y, test_convinteger_with_padding__out0.data,
              test_convinteger_with_padding__out0.n * 4);

    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 0;
    p.w_zp = NULL;
    p.n_w_zp = 0;
    p.in_zp = ((const uint8_t *)test_convinteger_without_padding__in2.data)[0];
    si = shp(GOLD(test_convinteger_without_padding, in0));
    sw = shp(GOLD(test_convinteger_without_padding, in1));
    so = shp(GOLD(test_convinteger_without_padding, out0));
    CHECK_EQ_INT(ref_conv2d_u8_s32(&p, &si, test_convinteger_without_padding__in0.data, &sw,
                                   test_convinteger_without_padding__in1.data, NULL, NULL, &so, y),
                 REF_OK);
    CHECK_MEM(y, test_convinteger_without_padding__out0.data, 4 * 4);

    const int32_t bzp = ((const uint8_t *)test_matmulinteger__in3.data)[0];
    struct ref_matmul_params m = {.a_zp = ((const uint8_t *)test_matmulinteger__in2.data)[0],
                                  .b_zp = &bzp, .n_b_zp = 1};
    const struct ref_shape sa = shp(GOLD(test_matmulinteger, in0));
    const struct ref_shape sb = shp(GOLD(test_matmulinteger, in1));
    so = shp(GOLD(test_matmulinteger, out0));
    CHECK_EQ_INT(ref_matmul_u8_s32(&m, &sa, test_matmulinteger__in0.data, &sb,
                                   test_matmulinteger__in1.data, &so, y), REF_OK);
    CHECK_MEM(y, test_matmulinteger__out0.data, test_matmulinteger__out0.n * 4);
}
