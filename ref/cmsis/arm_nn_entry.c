/*
 * CMSIS-NN entry points for the host twin, on top of the ref/ kernels. They compute what a
 * Cortex-M running CMSIS-NN computes (double rounding unless the twin is built with
 * -DCMSIS_NN_USE_SINGLE_ROUNDING, and the Arm result for shifts below -31), and report what
 * the real library would not tell: per-channel shifts below -31, context buffers smaller than
 * the selected CMSIS-NN version needs, and calls that return an error status.
 */
#include <stdio.h>

#include "arm_nnfunctions.h"
#include "../ref.h"
#include "../twin/twin_runtime.h"

#ifdef CMSIS_NN_USE_SINGLE_ROUNDING
#define TWIN_ROUND REF_ROUND_CMSIS_SINGLE
#else
#define TWIN_ROUND REF_ROUND_CMSIS_DOUBLE
#endif

static struct ref_shape nhwc(const cmsis_nn_dims *d)
{
    struct ref_shape s = {4, {d->n, d->h, d->w, d->c}};
    return s;
}

static struct ref_shape vec(int32_t n)
{
    struct ref_shape s = {1, {n}};
    return s;
}

/* Lists the channels whose shift is below -31 (undefined in C; Arm saturates the shift). */
static void check_shifts(const int32_t *shift, int32_t n)
{
    char detail[256];
    size_t used = 0;
    int found = 0;
    for (int32_t c = 0; c < n; c++) {
        if (shift[c] >= -31)
            continue;
        int w = snprintf(detail + used, sizeof detail - used, "%s%d:%d", found ? "," : "",
                         (int)c, (int)shift[c]);
        if (w > 0 && (size_t)w < sizeof detail - used)
            used += (size_t)w;
        found++;
    }
    if (found > 0)
        ref_twin_hazard("shift-out-of-range", detail);
}

static void check_context(const cmsis_nn_context *ctx, int32_t needed)
{
    if (needed <= 0 || ctx->size >= needed)
        return;
    char detail[160];
    snprintf(detail, sizeof detail, "context buffer %d bytes, CMSIS-NN v%d needs %d",
             (int)ctx->size, ref_twin_cmsis_version(), (int)needed);
    ref_twin_hazard("context-buffer-too-small", detail);
}

static arm_cmsis_nn_status status_of(int rc, const char *kernel)
{
    if (rc == REF_OK)
        return ARM_CMSIS_NN_SUCCESS;
    ref_twin_hazard("status", kernel);
    return ARM_CMSIS_NN_ARG_ERROR;
}

/*
 * CMSIS-NN passes only the leading padding; the trailing padding is whatever makes the
 * output size come out. When even no trailing padding gives more outputs than CMSIS-NN
 * computes, the rows past the last window are never read and are cut off (*in_used).
 */
static void geometry(int32_t in, int32_t k, int32_t stride, int32_t dil, int32_t pad,
                     int32_t out, int32_t *in_used, int32_t *pad_end)
{
    int32_t span = (out - 1) * stride + dil * (k - 1) + 1;
    int32_t end = span - pad - in;
    *pad_end = end > 0 ? end : 0;
    *in_used = in;
    if ((in + pad + *pad_end - span) / stride > 0)
        *in_used = in + end;
}

int32_t arm_convolve_wrapper_s8_get_buffer_size(const cmsis_nn_conv_params *conv_params,
                                                const cmsis_nn_dims *input_dims,
                                                const cmsis_nn_dims *filter_dims,
                                                const cmsis_nn_dims *output_dims)
{
    const cmsis_nn_conv_params *p = conv_params;
    int unit = p->dilation.w == 1 && p->dilation.h == 1;
    if (unit && p->padding.w == 0 && p->padding.h == 0 && input_dims->c % 4 == 0 &&
        p->stride.w == 1 && p->stride.h == 1 && filter_dims->w == 1 && filter_dims->h == 1)
        return 0;   /* arm_convolve_1x1_s8_fast */
    int32_t col = input_dims->c * filter_dims->w * filter_dims->h;
    if (unit && input_dims->n == 1 && input_dims->h == 1 && filter_dims->h == 1 &&
        output_dims->w % 4 == 0 && p->stride.h == 1 && p->padding.h == 0)
        return 2 * col * (int32_t)sizeof(int16_t);   /* arm_convolve_1_x_n_s8 */
    if (ref_twin_cmsis_version() >= 5)
        col = (col + 3) & ~3;   /* newer arm_convolve_s8 pads im2col rows to 4 */
    return 2 * col * (int32_t)sizeof(int16_t);
}

arm_cmsis_nn_status arm_convolve_wrapper_s8(const cmsis_nn_context *ctx,
                                            const cmsis_nn_conv_params *conv_params,
                                            const cmsis_nn_per_channel_quant_params *quant_params,
                                            const cmsis_nn_dims *input_dims, const int8_t *input,
                                            const cmsis_nn_dims *filter_dims, const int8_t *filter,
                                            const cmsis_nn_dims *bias_dims, const int32_t *bias,
                                            const cmsis_nn_dims *output_dims, int8_t *output)
{
    const cmsis_nn_conv_params *cp = conv_params;
    int32_t n_out = output_dims->c;
    check_shifts(quant_params->shift, n_out);
    check_context(ctx, arm_convolve_wrapper_s8_get_buffer_size(cp, input_dims, filter_dims,
                                                               output_dims));
    struct ref_conv2d_params p = {
        .layout = REF_LAYOUT_NHWC, .groups = input_dims->c / filter_dims->c,
        .stride_h = cp->stride.h, .stride_w = cp->stride.w,
        .dilation_h = cp->dilation.h, .dilation_w = cp->dilation.w,
        .pad_top = cp->padding.h, .pad_left = cp->padding.w,
        .in_zp = -cp->input_offset,
        .rq = {TWIN_ROUND, (size_t)n_out, quant_params->multiplier, quant_params->shift, NULL,
               cp->output_offset, cp->activation.min, cp->activation.max},
    };
    int32_t h_used, w_used;
    geometry(input_dims->h, filter_dims->h, cp->stride.h, cp->dilation.h, cp->padding.h,
             output_dims->h, &h_used, &p.pad_bottom);
    geometry(input_dims->w, filter_dims->w, cp->stride.w, cp->dilation.w, cp->padding.w,
             output_dims->w, &w_used, &p.pad_right);
    if (w_used != input_dims->w || input_dims->n != 1)
        return status_of(REF_EARG, "arm_convolve_wrapper_s8: unsupported geometry");
    struct ref_shape in_s = {4, {1, h_used, input_dims->w, input_dims->c}};
    struct ref_shape w_s = {4, {filter_dims->n, filter_dims->h, filter_dims->w, filter_dims->c}};
    struct ref_shape b_s = vec(n_out);
    struct ref_shape out_s = nhwc(output_dims);
    (void)bias_dims;
    return status_of(ref_conv2d_s8(&p, &in_s, input, &w_s, filter, bias ? &b_s : NULL, bias,
                                   &out_s, output),
                     "arm_convolve_wrapper_s8");
}

int32_t arm_depthwise_conv_wrapper_s8_get_buffer_size(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                      const cmsis_nn_dims *input_dims,
                                                      const cmsis_nn_dims *filter_dims,
                                                      const cmsis_nn_dims *output_dims)
{
    /* The optimised ch_mult = 1 path (DSP build, as on Cortex-M4) needs one int16 im2col row. */
    if (input_dims->c == output_dims->c && input_dims->n == 1 &&
        dw_conv_params->dilation.w == 1 && dw_conv_params->dilation.h == 1)
        return input_dims->c * filter_dims->w * filter_dims->h * (int32_t)sizeof(int16_t);
    return 0;
}

arm_cmsis_nn_status arm_depthwise_conv_wrapper_s8(
    const cmsis_nn_context *ctx, const cmsis_nn_dw_conv_params *dw_conv_params,
    const cmsis_nn_per_channel_quant_params *quant_params, const cmsis_nn_dims *input_dims,
    const int8_t *input, const cmsis_nn_dims *filter_dims, const int8_t *filter,
    const cmsis_nn_dims *bias_dims, const int32_t *bias, const cmsis_nn_dims *output_dims,
    int8_t *output)
{
    const cmsis_nn_dw_conv_params *dp = dw_conv_params;
    int32_t n_out = output_dims->c;
    check_shifts(quant_params->shift, n_out);
    /* The 3x3 fast path (padding <= 1) uses no buffer, so a small one does it no harm. */
    if (!(filter_dims->w == 3 && filter_dims->h == 3 && dp->padding.w <= 1 &&
          dp->padding.h <= 1))
        check_context(ctx, arm_depthwise_conv_wrapper_s8_get_buffer_size(dp, input_dims,
                                                                         filter_dims,
                                                                         output_dims));
    struct ref_dwconv2d_params p = {
        .ch_mult = dp->ch_mult, .stride_h = dp->stride.h, .stride_w = dp->stride.w,
        .dilation_h = dp->dilation.h, .dilation_w = dp->dilation.w,
        .pad_top = dp->padding.h, .pad_left = dp->padding.w, .in_zp = -dp->input_offset,
        .rq = {TWIN_ROUND, (size_t)n_out, quant_params->multiplier, quant_params->shift, NULL,
               dp->output_offset, dp->activation.min, dp->activation.max},
    };
    int32_t h_used, w_used;
    geometry(input_dims->h, filter_dims->h, dp->stride.h, dp->dilation.h, dp->padding.h,
             output_dims->h, &h_used, &p.pad_bottom);
    geometry(input_dims->w, filter_dims->w, dp->stride.w, dp->dilation.w, dp->padding.w,
             output_dims->w, &w_used, &p.pad_right);
    if (w_used != input_dims->w || input_dims->n != 1)
        return status_of(REF_EARG, "arm_depthwise_conv_wrapper_s8: unsupported geometry");
    struct ref_shape in_s = {4, {1, h_used, input_dims->w, input_dims->c}};
    struct ref_shape w_s = nhwc(filter_dims);
    struct ref_shape b_s = vec(n_out);
    struct ref_shape out_s = nhwc(output_dims);
    (void)bias_dims;
    return status_of(ref_dwconv2d_s8(&p, &in_s, input, &w_s, filter, bias ? &b_s : NULL, bias,
                                     &out_s, output),
                     "arm_depthwise_conv_wrapper_s8");
}

int32_t arm_fully_connected_s8_get_buffer_size(const cmsis_nn_dims *filter_dims)
{
    (void)filter_dims;
    return 0;
}

arm_cmsis_nn_status arm_fully_connected_s8(const cmsis_nn_context *ctx,
                                           const cmsis_nn_fc_params *fc_params,
                                           const cmsis_nn_per_tensor_quant_params *quant_params,
                                           const cmsis_nn_dims *input_dims, const int8_t *input,
                                           const cmsis_nn_dims *filter_dims, const int8_t *kernel,
                                           const cmsis_nn_dims *bias_dims, const int32_t *bias,
                                           const cmsis_nn_dims *output_dims, int8_t *output)
{
    /* filter_dims->n is the accumulation depth, output_dims->c the output count (v4.1). */
    int32_t depth = filter_dims->n, n_out = output_dims->c, batches = input_dims->n;
    int32_t mult = quant_params->multiplier, shift = quant_params->shift;
    (void)ctx;
    (void)bias_dims;
    check_shifts(&shift, 1);
    struct ref_fc_params p = {
        .in_zp = -fc_params->input_offset, .w_zp = -fc_params->filter_offset,
        .rq = {TWIN_ROUND, 1, &mult, &shift, NULL, fc_params->output_offset,
               fc_params->activation.min, fc_params->activation.max},
    };
    struct ref_shape in_s = {2, {batches, depth}};
    struct ref_shape w_s = {2, {n_out, depth}};
    struct ref_shape b_s = vec(n_out);
    struct ref_shape out_s = {2, {batches, n_out}};
    return status_of(ref_fc_s8(&p, &in_s, input, &w_s, kernel, bias ? &b_s : NULL, bias, &out_s,
                               output),
                     "arm_fully_connected_s8");
}

static struct ref_pool_params pool_params_of(const cmsis_nn_pool_params *pp,
                                             const cmsis_nn_dims *input_dims,
                                             const cmsis_nn_dims *filter_dims,
                                             const cmsis_nn_dims *output_dims)
{
    struct ref_pool_params p = {
        .layout = REF_LAYOUT_NHWC, .kernel_h = filter_dims->h, .kernel_w = filter_dims->w,
        .stride_h = pp->stride.h, .stride_w = pp->stride.w, .dilation_h = 1, .dilation_w = 1,
        .pad_top = pp->padding.h, .pad_left = pp->padding.w, .round = TWIN_ROUND,
        .act_min = pp->activation.min, .act_max = pp->activation.max,
    };
    int32_t unused;
    geometry(input_dims->h, filter_dims->h, pp->stride.h, 1, pp->padding.h, output_dims->h,
             &unused, &p.pad_bottom);
    geometry(input_dims->w, filter_dims->w, pp->stride.w, 1, pp->padding.w, output_dims->w,
             &unused, &p.pad_right);
    return p;
}

int32_t arm_avgpool_s8_get_buffer_size(int dim_dst_width, int ch_src)
{
    (void)dim_dst_width;
    return ch_src * (int32_t)sizeof(int32_t);   /* DSP build: one int32 sum per channel */
}

arm_cmsis_nn_status arm_avgpool_s8(const cmsis_nn_context *ctx,
                                   const cmsis_nn_pool_params *pool_params,
                                   const cmsis_nn_dims *input_dims, const int8_t *input,
                                   const cmsis_nn_dims *filter_dims,
                                   const cmsis_nn_dims *output_dims, int8_t *output)
{
    check_context(ctx, arm_avgpool_s8_get_buffer_size(output_dims->w, input_dims->c));
    struct ref_pool_params p = pool_params_of(pool_params, input_dims, filter_dims, output_dims);
    struct ref_shape in_s = nhwc(input_dims), out_s = nhwc(output_dims);
    return status_of(ref_avgpool_s8(&p, &in_s, input, &out_s, output), "arm_avgpool_s8");
}

arm_cmsis_nn_status arm_max_pool_s8(const cmsis_nn_context *ctx,
                                    const cmsis_nn_pool_params *pool_params,
                                    const cmsis_nn_dims *input_dims, const int8_t *input,
                                    const cmsis_nn_dims *filter_dims,
                                    const cmsis_nn_dims *output_dims, int8_t *output)
{
    (void)ctx;
    struct ref_pool_params p = pool_params_of(pool_params, input_dims, filter_dims, output_dims);
    struct ref_shape in_s = nhwc(input_dims), out_s = nhwc(output_dims);
    return status_of(ref_maxpool_s8(&p, &in_s, input, &out_s, output), "arm_max_pool_s8");
}

void arm_softmax_s8(const int8_t *input, int32_t num_rows, int32_t row_size, int32_t mult,
                    int32_t shift, int32_t diff_min, int8_t *output)
{
    struct ref_softmax_params p = {.axis = 1, .round = TWIN_ROUND, .mult = mult,
                                   .shift = shift, .diff_min = diff_min};
    struct ref_shape s = {2, {num_rows, row_size}};
    status_of(ref_softmax_s8(&p, &s, input, &s, output), "arm_softmax_s8");
}

arm_cmsis_nn_status arm_elementwise_add_s8(const int8_t *input_1, const int8_t *input_2,
                                           int32_t input_1_offset, int32_t input_1_mult,
                                           int32_t input_1_shift, int32_t input_2_offset,
                                           int32_t input_2_mult, int32_t input_2_shift,
                                           int32_t left_shift, int8_t *output,
                                           int32_t out_offset, int32_t out_mult,
                                           int32_t out_shift, int32_t out_activation_min,
                                           int32_t out_activation_max, int32_t block_size)
{
    struct ref_add_params p = {
        .round = TWIN_ROUND, .in1_zp = -input_1_offset, .in2_zp = -input_2_offset,
        .out_zp = out_offset, .left_shift = left_shift,
        .in1_mult = input_1_mult, .in1_shift = input_1_shift,
        .in2_mult = input_2_mult, .in2_shift = input_2_shift,
        .out_mult = out_mult, .out_shift = out_shift,
        .act_min = out_activation_min, .act_max = out_activation_max,
    };
    int32_t shifts[3] = {input_1_shift, input_2_shift, out_shift};
    check_shifts(shifts, 3);
    struct ref_shape s = vec(block_size);
    return status_of(ref_add_s8(&p, &s, input_1, &s, input_2, &s, output),
                     "arm_elementwise_add_s8");
}

arm_cmsis_nn_status arm_elementwise_mul_s8(const int8_t *input_1, const int8_t *input_2,
                                           int32_t input_1_offset, int32_t input_2_offset,
                                           int8_t *output, int32_t out_offset, int32_t out_mult,
                                           int32_t out_shift, int32_t out_activation_min,
                                           int32_t out_activation_max, int32_t block_size)
{
    struct ref_mul_params p = {
        .in1_zp = -input_1_offset, .in2_zp = -input_2_offset,
        .rq = {TWIN_ROUND, 1, &out_mult, &out_shift, NULL, out_offset, out_activation_min,
               out_activation_max},
    };
    check_shifts(&out_shift, 1);
    struct ref_shape s = vec(block_size);
    return status_of(ref_mul_s8(&p, &s, input_1, &s, input_2, &s, output),
                     "arm_elementwise_mul_s8");
}
