/*
 * TFLite operators (domain "tflite") for the integer modes: tflm runs each int8 layer the
 * way TFLite Micro with CMSIS-NN computes it (NHWC, OHWI / 1HWC weights as stored, TFLite's
 * SAME/VALID padding, multipliers and activation ranges derived from the float32 scales as
 * TFLite's Prepare functions do); tvm runs it as TVM's generated C for the TFLite frontend's
 * Relay would (single rounding UPWARD, GetFixedPointMultiplierShift, no flush of tiny
 * shifts). ARITHMETIC.md is the specification; docs/tflite-ops.md lists the derivations.
 * ONNX arithmetic is refused for TFLite models when the run is planned (interp.c).
 */
#include <math.h>
#include <string.h>

#include "interp_int.h"
#include "mem.h"
#include "ref/fixedpoint.h"
#include "ref/ref.h"

#include "banned.h"

#define TFL_MAX_IN 16   /* inputs a TFLite op here may have (CONCATENATION: checked) */

/* ---- plumbing ---- */

static bool op_is(const struct node *n, const char *op)
{
    return strcmp(n->op, op) == 0;
}

/* The mode this node runs in: the lowering's, or the layer's setting for a plain node step. */
static enum interp_arith mode(const struct interp_ctx *c)
{
    return c->arith != INTERP_ARITH_ONNX ? c->arith : c->params->arith;
}

static int fail(const struct interp_ctx *c, struct errbuf *eb, int code, const char *what)
{
    return interp_node_error(c->g, c->node, code, eb, "%s", what);
}

/*
 * Points c->in at the node's input values (a lowered step does not gather them) so that
 * interp_out_alias and the ops read the same array. Omitted inputs are NULL.
 */
static int gather(struct interp_ctx *c, const struct tensor_value **ins, struct errbuf *eb)
{
    const struct node *n = c->node;
    if (n->n_inputs > TFL_MAX_IN)
        return fail(c, eb, ST_EUNSUPPORTED, "too many inputs");
    for (size_t k = 0; k < n->n_inputs; k++) {
        int t = n->inputs[k];
        ins[k] = t >= 0 ? interp_value(c->ip, t) : NULL;
        if (t >= 0 && !ins[k])
            return interp_node_error(c->g, n, ST_EINVAL, eb, "input %s has no value",
                                     c->g->tensors[t].name);
    }
    c->in = ins;
    return 0;
}

static const struct tensor *tin(const struct graph *g, const struct node *n, size_t k)
{
    return k < n->n_inputs && n->inputs[k] >= 0 ? &g->tensors[n->inputs[k]] : NULL;
}

static const struct tensor *tout(const struct graph *g, const struct node *n)
{
    return n->n_outputs > 0 && n->outputs[0] >= 0 ? &g->tensors[n->outputs[0]] : NULL;
}

static float qscale(const struct tensor *t)
{
    return t->quant.n > 0 ? t->quant.scale[0] : 1.0f;
}

static int32_t qzp(const struct tensor *t)
{
    return t->quant.n > 0 ? t->quant.zero_point[0] : 0;
}

static int32_t type_min(enum dtype t)
{
    return t == DTYPE_U8 ? 0 : t == DTYPE_S16 ? -32768 : -128;
}

static int32_t type_max(enum dtype t)
{
    return t == DTYPE_U8 ? 255 : t == DTYPE_S16 ? 32767 : 127;
}

/* An already rounded value as int32, saturated far outside any 8-bit range (NaN gives 0). */
static int32_t sat_i32(double v)
{
    if (v != v)
        return 0;
    return v < -1e9 ? -1000000000 : v > 1e9 ? 1000000000 : (int32_t)v;
}

/* The graph's static shape of output 0, with one unknown (-1) dimension inferred from n. */
static int static_out_dims(const struct interp_ctx *c, size_t n, int *rank, int64_t *dims,
                           struct errbuf *eb)
{
    const struct tensor *Y = tout(c->g, c->node);
    if (!Y || Y->rank < 0)
        return fail(c, eb, ST_EUNSUPPORTED, "output shape unknown");
    int minus = -1;
    size_t known = 1;
    for (int i = 0; i < Y->rank; i++) {
        dims[i] = Y->dims[i];
        if (dims[i] < 0) {
            if (minus >= 0)
                return fail(c, eb, ST_EUNSUPPORTED, "output shape has two unknown dimensions");
            minus = i;
        } else {
            known *= (size_t)dims[i];
        }
    }
    if (minus >= 0) {
        if (known == 0 || n % known != 0)
            return fail(c, eb, ST_EINVAL, "output shape does not fit the input");
        dims[minus] = (int64_t)(n / known);
        known = n;
    }
    if (known != n)
        return fail(c, eb, ST_EINVAL, "output shape does not fit the input");
    *rank = Y->rank;
    return 0;
}

/* Reads a small constant int32/int64 operand; -1 when absent or too long. */
/* Constant integer input k of the node (after gather) into out; its count, or -1. */
static long const_input(const struct interp_ctx *c, size_t k, int64_t *out, size_t max)
{
    return interp_read_ints(interp_in(c, k), out, max);
}

/* ---- quantization parameters as TFLite (tflm) or TVM (tvm) derive them ---- */

/* QuantizeMultiplier (TFLite) or GetFixedPointMultiplierShift (TVM). */
static void multiplier(enum interp_arith a, double m, int32_t *mult, int32_t *shift)
{
    if (a == INTERP_ARITH_TVM)
        interp_multiplier_tvm(m, mult, shift);
    else
        interp_multiplier_tflite(m, mult, shift);
}

static enum ref_round rounding(const struct interp_ctx *c)
{
    if (mode(c) == INTERP_ARITH_TVM)
        return REF_ROUND_TVM_UPWARD;
    return c->params->single_rounding ? REF_ROUND_CMSIS_SINGLE : REF_ROUND_CMSIS_DOUBLE;
}

/*
 * The output clamp of a fused activation. tflm: CalculateActivationRangeQuantized
 * (zp + TfLiteRound(f / scale) in float32). tvm: the TVM TFLite frontend's
 * convert_qnn_fused_activation_function (Python round, ties to even, in double).
 */
static int act_range(const struct interp_ctx *c, const struct tensor *Y, int32_t *lo,
                     int32_t *hi, struct errbuf *eb)
{
    const char *act = node_attr_string(c->node, "fused_activation_function", "NONE");
    *lo = type_min(Y->dtype);
    *hi = type_max(Y->dtype);
    float flo, fhi;
    if (strcmp(act, "NONE") == 0)
        return 0;
    if (strcmp(act, "RELU") == 0) {
        flo = 0.0f;
        fhi = INFINITY;
    } else if (strcmp(act, "RELU6") == 0) {
        flo = 0.0f;
        fhi = 6.0f;
    } else if (strcmp(act, "RELU_N1_TO_1") == 0) {
        flo = -1.0f;
        fhi = 1.0f;
    } else {
        return interp_unsupported_attr(c->g, c->node, "fused_activation_function", act, eb);
    }
    float s = qscale(Y);
    int32_t z = qzp(Y);
    bool tvm = mode(c) == INTERP_ARITH_TVM;
    int32_t vlo = z + sat_i32(tvm ? nearbyint((double)flo / (double)s) : roundf(flo / s));
    *lo = vlo > *lo ? vlo : *lo;
    if (isfinite(fhi)) {
        int32_t vhi = z + sat_i32(tvm ? nearbyint((double)fhi / (double)s) : roundf(fhi / s));
        *hi = vhi < *hi ? vhi : *hi;
    }
    return 0;
}

/* The layer's own requantization constants (deployed-MLF hook) replace derived ones. */
static bool override(const struct interp_ctx *c, size_t i, int32_t *mult, int32_t *shift)
{
    const struct interp_layer_params *lp = c->params;
    if (lp->n_mult == 0)
        return false;
    size_t j = lp->n_mult == 1 ? 0 : i < lp->n_mult ? i : lp->n_mult - 1;
    *mult = lp->mult[j];
    *shift = lp->shift[j];
    return true;
}

/*
 * TFLite ComputePaddingWithOffset for one spatial axis: SAME gives out = ceil(in / stride)
 * and total padding (out-1)*stride + eff - in, split with the odd row/column at the end;
 * VALID gives out = (in - eff + stride) / stride and no padding.
 */
static int padding(const struct interp_ctx *c, int64_t in, int64_t k, int64_t stride,
                   int64_t dil, int64_t *out, int32_t *before, int32_t *after,
                   struct errbuf *eb)
{
    const char *pad = node_attr_string(c->node, "padding", "VALID");
    if (stride < 1 || dil < 1 || k < 1)
        return fail(c, eb, ST_EINVAL, "stride, dilation and kernel size must be >= 1");
    int64_t eff = (k - 1) * dil + 1;
    bool same = strcmp(pad, "SAME") == 0;
    if (!same && strcmp(pad, "VALID") != 0)
        return interp_unsupported_attr(c->g, c->node, "padding", pad, eb);
    *out = same ? (in + stride - 1) / stride : (in + stride - eff) / stride;
    if (*out < 1)
        return fail(c, eb, ST_EINVAL, "kernel larger than the input");
    int64_t total = (*out - 1) * stride + eff - in;
    if (total < 0)
        total = 0;
    *before = (int32_t)(total / 2);
    *after = (int32_t)(total / 2 + total % 2);
    return 0;
}

/* ---- plan-time checks ---- */

/*
 * Quantization the integer paths can use: scales finite and > 0, zero points inside the
 * 8-bit type (0 only, for weights: TFLite's int8 kernels assume symmetric weights).
 */
static bool quant_ok(const struct tensor *t, bool weights)
{
    for (size_t i = 0; i < t->quant.n; i++) {
        float sc = t->quant.scale[i];
        int32_t z = t->quant.zero_point[i];
        if (!(sc > 0.0f) || !isfinite(sc) || (weights && z != 0) || z < type_min(t->dtype) ||
            z > type_max(t->dtype))
            return false;
    }
    return true;
}

static bool is_q8(const struct tensor *t)
{
    return t && (t->dtype == DTYPE_S8 || t->dtype == DTYPE_U8) && t->quant.n >= 1 &&
           quant_ok(t, false);
}

static int need(const struct graph *g, const struct node *n, bool ok, const char *why,
                struct errbuf *eb)
{
    return ok ? 0 : interp_node_error(g, n, ST_EUNSUPPORTED, eb, "%s %s", n->op, why);
}

/* int8 activations in and out, per-tensor quantized. */
static int check_q8_io(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    const struct tensor *X = tin(g, n, 0), *Y = tout(g, n);
    int rc = need(g, n, X && Y && X->dtype == DTYPE_S8 && Y->dtype == DTYPE_S8 &&
                            X->quant.n == 1 && Y->quant.n == 1 && quant_ok(X, false) &&
                            quant_ok(Y, false),
                  "needs per-tensor quantized int8 input and output", eb);
    const char *act = node_attr_string(n, "fused_activation_function", "NONE");
    if (!rc && strcmp(act, "NONE") != 0 && strcmp(act, "RELU") != 0 &&
        strcmp(act, "RELU6") != 0 && strcmp(act, "RELU_N1_TO_1") != 0)
        rc = interp_unsupported_attr(g, n, "fused_activation_function", act, eb);
    return rc;
}

static int check_weights(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    int rc = check_q8_io(g, n, eb);
    const struct tensor *W = tin(g, n, 1), *B = tin(g, n, 2);
    if (!rc)
        rc = need(g, n, W && W->dtype == DTYPE_S8 && W->quant.n >= 1 && quant_ok(W, true) &&
                            (W->flags & TENSOR_CONST) && W->rank >= 2,
                  "needs constant int8 symmetric quantized weights", eb);
    if (!rc)
        rc = need(g, n, !B || (B->dtype == DTYPE_S32 && (B->flags & TENSOR_CONST)),
                  "needs a constant int32 bias", eb);
    return rc;
}

static int check_binary(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    int rc = check_q8_io(g, n, eb);
    const struct tensor *B = tin(g, n, 1);
    if (!rc)
        rc = need(g, n, B && B->dtype == DTYPE_S8 && B->quant.n == 1 && quant_ok(B, false),
                  "needs a per-tensor quantized int8 second input", eb);
    return rc;
}

/* Data movement: any dtype, output dtype equal to the input's. */
static int check_move(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    const struct tensor *X = tin(g, n, 0), *Y = tout(g, n);
    return need(g, n, X && Y && dtype_bytes(X->dtype) > 0 && X->dtype == Y->dtype,
                "needs input and output of the same known type", eb);
}

static int check_quantize(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    const struct tensor *X = tin(g, n, 0), *Y = tout(g, n);
    return need(g, n, X && Y && is_q8(Y) && Y->quant.n == 1 &&
                          (X->dtype == DTYPE_F32 || (is_q8(X) && X->quant.n == 1)),
                "needs float32 or int8/uint8 input and int8/uint8 output", eb);
}

static int check_dequantize(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    const struct tensor *X = tin(g, n, 0), *Y = tout(g, n);
    return need(g, n, X && Y && is_q8(X) && X->quant.n == 1 && Y->dtype == DTYPE_F32,
                "needs int8/uint8 input and float32 output", eb);
}

static int check_strided_slice(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    int rc = check_move(g, n, eb);
    if (!rc && node_attr_int(n, "ellipsis_mask", 0) != 0)
        rc = interp_unsupported_attr(g, n, "ellipsis_mask", "not 0", eb);
    if (!rc && node_attr_int(n, "new_axis_mask", 0) != 0)
        rc = interp_unsupported_attr(g, n, "new_axis_mask", "not 0", eb);
    if (!rc && node_attr_int(n, "offset", 0) != 0)
        rc = interp_unsupported_attr(g, n, "offset", "not 0", eb);
    return rc;
}

static int check_concat(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    int rc = check_move(g, n, eb);
    if (!rc)
        rc = need(g, n, n->n_inputs >= 1 && n->n_inputs <= TFL_MAX_IN, "input count", eb);
    const char *act = node_attr_string(n, "fused_activation_function", "NONE");
    if (!rc && strcmp(act, "NONE") != 0)
        rc = interp_unsupported_attr(g, n, "fused_activation_function", act, eb);
    for (size_t k = 0; k <= n->n_inputs && !rc; k++) {
        const struct tensor *T = k < n->n_inputs ? tin(g, n, k) : tout(g, n);
        if (T && (T->dtype == DTYPE_S8 || T->dtype == DTYPE_U8))
            rc = need(g, n, quant_ok(T, false), "needs finite positive scales", eb);
    }
    return rc;
}

static int check_softmax(const struct graph *g, const struct node *n, struct errbuf *eb)
{
    int rc = check_q8_io(g, n, eb);
    const struct tensor *Y = tout(g, n);
    if (!rc)
        rc = need(g, n, qscale(Y) == 1.0f / 256.0f && qzp(Y) == -128,
                  "needs output scale 1/256 and zero point -128", eb);
    return rc;
}

/* ---- accumulating layers ---- */

/* Per-channel multipliers of a conv/FC layer into mult/shift [n]. */
static void accum_multipliers(const struct interp_ctx *c, const struct tensor *X,
                              const struct tensor *W, const struct tensor *Y, size_t n,
                              int32_t *mult, int32_t *shift)
{
    enum interp_arith a = mode(c);
    for (size_t i = 0; i < n; i++) {
        if (override(c, i, &mult[i], &shift[i]))
            continue;
        float ws = W->quant.scale[W->quant.n > 1 ? i : 0];
        double eff;
        if (a == INTERP_ARITH_TVM)
            /* qnn.requantize: input scale = the float32 product x_s * w_s, then double */
            eff = (double)(qscale(X) * ws) / (double)qscale(Y);
        else
            /* PopulateConvolutionQuantizationParams / GetQuantizedConvolutionMultipler */
            eff = (double)qscale(X) * (double)ws / (double)qscale(Y);
        multiplier(a, eff, &mult[i], &shift[i]);
    }
}

/* Fills rq (arrays owned by the caller, [n]) and the offsets for an accumulating layer. */
static int accum_requant(const struct interp_ctx *c, size_t n, int32_t *mult, int32_t *shift,
                         struct ref_requant *rq, int32_t *in_zp, struct errbuf *eb)
{
    const struct graph *g = c->g;
    const struct tensor *X = tin(g, c->node, 0), *W = tin(g, c->node, 1), *Y = tout(g, c->node);
    if (W->quant.n != 1 && W->quant.n != n)
        return fail(c, eb, ST_EINVAL, "weight scales do not match the output channels");
    accum_multipliers(c, X, W, Y, n, mult, shift);
    int32_t lo, hi;
    int rc = act_range(c, Y, &lo, &hi, eb);
    if (rc)
        return rc;
    *in_zp = qzp(X);
    int32_t out_zp = qzp(Y);
    if (c->params->has_offsets) {
        *in_zp = -c->params->in_offset;
        out_zp = c->params->out_offset;
        lo = c->params->act_min;
        hi = c->params->act_max;
    }
    *rq = (struct ref_requant){
        .round = rounding(c), .n = n, .mult = mult, .shift = shift,
        .out_zp = out_zp, .act_min = lo, .act_max = hi,
    };
    return 0;
}

static int run_conv(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0], *w = in[1], *b = interp_in(c, 2);
    bool dw = op_is(c->node, "DEPTHWISE_CONV_2D");
    if (x->rank != 4 || w->rank != 4)
        return fail(c, eb, ST_EINVAL, "expected 4-D input and weights");
    int64_t cin = x->dims[3], cout = dw ? w->dims[3] : w->dims[0];
    if (dw ? (w->dims[0] != 1 || cin <= 0 || cout % cin != 0)
           : (w->dims[3] <= 0 || cin % w->dims[3] != 0 || cout % (cin / w->dims[3]) != 0))
        return fail(c, eb, ST_EINVAL, "weight shape does not match the input channels");
    if (b && interp_elems(b) != (size_t)cout)
        return fail(c, eb, ST_EINVAL, "bias length is not the output channel count");
    int64_t sh = node_attr_int(c->node, "stride_h", 1), sw = node_attr_int(c->node, "stride_w", 1);
    int64_t dh = node_attr_int(c->node, "dilation_h_factor", 1);
    int64_t dwf = node_attr_int(c->node, "dilation_w_factor", 1);
    int64_t oh, ow;
    int32_t pt, pb, pl, pr;
    rc = padding(c, x->dims[1], w->dims[1], sh, dh, &oh, &pt, &pb, eb);
    if (!rc)
        rc = padding(c, x->dims[2], w->dims[2], sw, dwf, &ow, &pl, &pr, eb);
    if (rc)
        return rc;
    int32_t *mult = mem_alloc((size_t)cout * sizeof *mult);
    int32_t *shift = mem_alloc((size_t)cout * sizeof *shift);
    if (!mult || !shift) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    struct ref_requant rq;
    int32_t in_zp;
    rc = accum_requant(c, (size_t)cout, mult, shift, &rq, &in_zp, eb);
    if (rc)
        goto out;
    int64_t d[4] = {x->dims[0], oh, ow, cout};
    void *o;
    rc = interp_out(c, 0, DTYPE_S8, 4, d, &o, eb);
    if (rc)
        goto out;
    struct ref_shape si, swt, sb, so;
    interp_ref_shape(x, &si);
    interp_ref_shape(w, &swt);
    interp_ref_shape(&c->out[0], &so);
    if (b)
        interp_ref_shape(b, &sb);
    int r;
    if (dw) {
        struct ref_dwconv2d_params p = {
            .ch_mult = (int32_t)(cout / cin), .stride_h = (int32_t)sh, .stride_w = (int32_t)sw,
            .dilation_h = (int32_t)dh, .dilation_w = (int32_t)dwf, .pad_top = pt,
            .pad_left = pl, .pad_bottom = pb, .pad_right = pr, .in_zp = in_zp, .w_zp = 0,
            .rq = rq,
        };
        r = ref_dwconv2d_s8(&p, &si, x->data, &swt, w->data, b ? &sb : NULL,
                            b ? b->data : NULL, &so, o);
    } else {
        struct ref_conv2d_params p = {
            .layout = REF_LAYOUT_NHWC, .groups = (int32_t)(cin / w->dims[3]),
            .stride_h = (int32_t)sh, .stride_w = (int32_t)sw, .dilation_h = (int32_t)dh,
            .dilation_w = (int32_t)dwf, .pad_top = pt, .pad_left = pl, .pad_bottom = pb,
            .pad_right = pr, .in_zp = in_zp, .rq = rq,
        };
        r = ref_conv2d_s8(&p, &si, x->data, &swt, w->data, b ? &sb : NULL,
                          b ? b->data : NULL, &so, o);
    }
    if (r != REF_OK)
        rc = fail(c, eb, ST_EINVAL, "convolution parameters out of range");
out:
    mem_free(mult);
    mem_free(shift);
    return rc;
}

/* FULLY_CONNECTED: the input is flattened to [elems / D, D] with D = weights' last dim. */
static int run_fc(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0], *w = in[1], *b = interp_in(c, 2);
    if (w->rank != 2 || w->dims[1] <= 0)
        return fail(c, eb, ST_EINVAL, "expected 2-D weights");
    size_t depth = (size_t)w->dims[1], units = (size_t)w->dims[0], n = interp_elems(x);
    if (n % depth != 0)
        return fail(c, eb, ST_EINVAL, "input size is not a multiple of the weights' depth");
    if (b && interp_elems(b) != units)
        return fail(c, eb, ST_EINVAL, "bias length is not the unit count");
    size_t batch = n / depth;
    int32_t *mult = mem_alloc(units * sizeof *mult), *shift = mem_alloc(units * sizeof *shift);
    if (!mult || !shift) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    const struct tensor *W = tin(c->g, c->node, 1);
    size_t n_ch = W->quant.n > 1 ? units : 1;
    struct ref_requant rq;
    int32_t in_zp;
    rc = accum_requant(c, n_ch, mult, shift, &rq, &in_zp, eb);
    if (rc)
        goto out;
    int rank;
    int64_t d[GRAPH_MAX_RANK];
    rc = static_out_dims(c, batch * units, &rank, d, eb);
    if (rc)
        goto out;
    void *o;
    rc = interp_out(c, 0, DTYPE_S8, rank, d, &o, eb);
    if (rc)
        goto out;
    struct ref_fc_params p = {.in_zp = in_zp, .w_zp = 0, .rq = rq};
    struct ref_shape si = {2, {(int32_t)batch, (int32_t)depth}}, swt, sb;
    struct ref_shape so = {2, {(int32_t)batch, (int32_t)units}};
    interp_ref_shape(w, &swt);
    if (b)
        interp_ref_shape(b, &sb);
    if (ref_fc_s8(&p, &si, x->data, &swt, w->data, b ? &sb : NULL, b ? b->data : NULL, &so,
                  o) != REF_OK)
        rc = fail(c, eb, ST_EINVAL, "fully connected parameters out of range");
out:
    mem_free(mult);
    mem_free(shift);
    return rc;
}

/* ---- pools ---- */

/*
 * TVM's generated C for the TFLite frontend's quantized AVERAGE_POOL_2D (cast to int32,
 * nn.avg_pool2d without padding in the count, cast back): raw sum over the in-bounds taps
 * divided by their count with C's truncating division, then the fused activation's clip.
 */
static int tvm_avgpool(struct interp_ctx *c, const struct tensor_value *x, int64_t kh,
                       int64_t kw, int64_t sh, int64_t sw, int32_t pt, int32_t pl, int32_t lo,
                       int32_t hi, int8_t *o)
{
    const struct tensor_value *y = &c->out[0];
    int64_t N = x->dims[0], H = x->dims[1], W = x->dims[2], C = x->dims[3];
    int64_t OH = y->dims[1], OW = y->dims[2];
    const int8_t *xd = x->data;
    for (int64_t n = 0; n < N; n++)
        for (int64_t oy = 0; oy < OH; oy++)
            for (int64_t ox = 0; ox < OW; ox++)
                for (int64_t ch = 0; ch < C; ch++) {
                    int32_t sum = 0, cnt = 0;
                    for (int64_t ky = 0; ky < kh; ky++) {
                        int64_t iy = oy * sh - pt + ky;
                        for (int64_t kx = 0; kx < kw && iy >= 0 && iy < H; kx++) {
                            int64_t ix = ox * sw - pl + kx;
                            if (ix < 0 || ix >= W)
                                continue;
                            sum += xd[((n * H + iy) * W + ix) * C + ch];
                            cnt++;
                        }
                    }
                    int32_t v = cnt > 0 ? (int32_t)(int8_t)(sum / cnt) : 0;
                    o[((n * OH + oy) * OW + ox) * C + ch] = (int8_t)(v < lo ? lo : v > hi ? hi : v);
                }
    return 0;
}

static int run_pool(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0];
    const struct tensor *X = tin(c->g, c->node, 0), *Y = tout(c->g, c->node);
    bool avg = op_is(c->node, "AVERAGE_POOL_2D");
    if (x->rank != 4)
        return fail(c, eb, ST_EINVAL, "expected a 4-D input");
    /* TFLite's int8 pools neither requantize nor shift the zero point */
    if (qscale(X) != qscale(Y) || qzp(X) != qzp(Y))
        return fail(c, eb, ST_EUNSUPPORTED, "input and output quantization differ");
    int64_t kh = node_attr_int(c->node, "filter_height", 1);
    int64_t kw = node_attr_int(c->node, "filter_width", 1);
    int64_t sh = node_attr_int(c->node, "stride_h", 1), sw = node_attr_int(c->node, "stride_w", 1);
    int64_t oh, ow;
    int32_t pt, pb, pl, pr, lo, hi;
    rc = padding(c, x->dims[1], kh, sh, 1, &oh, &pt, &pb, eb);
    if (!rc)
        rc = padding(c, x->dims[2], kw, sw, 1, &ow, &pl, &pr, eb);
    if (!rc)
        rc = act_range(c, Y, &lo, &hi, eb);
    if (rc)
        return rc;
    if (c->params->has_offsets) {
        lo = c->params->act_min;
        hi = c->params->act_max;
    }
    int64_t d[4] = {x->dims[0], oh, ow, x->dims[3]};
    void *o;
    rc = interp_out(c, 0, DTYPE_S8, 4, d, &o, eb);
    if (rc)
        return rc;
    if (kh * kw > ((int64_t)1 << 23))
        return fail(c, eb, ST_EUNSUPPORTED, "pool window over 2^23 taps");
    if (avg && mode(c) == INTERP_ARITH_TVM)
        return tvm_avgpool(c, x, kh, kw, sh, sw, pt, pl, lo, hi, o);
    /* arm_avgpool_s8 / TFLite: raw sum over in-bounds taps, ties away from zero */
    struct ref_pool_params p = {
        .layout = REF_LAYOUT_NHWC, .kernel_h = (int32_t)kh, .kernel_w = (int32_t)kw,
        .stride_h = (int32_t)sh, .stride_w = (int32_t)sw, .dilation_h = 1, .dilation_w = 1,
        .pad_top = pt, .pad_left = pl, .pad_bottom = pb, .pad_right = pr,
        .round = REF_ROUND_CMSIS_DOUBLE, .act_min = lo, .act_max = hi,
    };
    struct ref_shape si, so;
    interp_ref_shape(x, &si);
    interp_ref_shape(&c->out[0], &so);
    int r = avg ? ref_avgpool_s8(&p, &si, x->data, &so, o) : ref_maxpool_s8(&p, &si, x->data, &so, o);
    return r == REF_OK ? 0 : fail(c, eb, ST_EINVAL, "pool parameters out of range");
}

/* ---- element-wise ---- */

/*
 * ADD, SUB, MUL ready to run: the inputs, their tensors, the output (shaped as the inputs
 * broadcast) and its zero point and clamp (the layer's own when it gives offsets).
 */
struct tbin {
    const struct tensor_value *in[TFL_MAX_IN];  /* c->in points here */
    const struct tensor *A, *B, *Y;
    struct ref_shape sa, sb, sy;                /* shapes of in[0], in[1] and the output */
    int rank;
    int64_t d[GRAPH_MAX_RANK];                  /* [rank] output shape */
    int32_t zo, lo, hi;                         /* output zero point, clamp */
    void *o;                                    /* output buffer, int8 */
};

static int binary_begin(struct interp_ctx *c, struct tbin *t, struct errbuf *eb)
{
    int rc = gather(c, t->in, eb);
    if (rc)
        return rc;
    const struct tensor_value *a = t->in[0], *b = t->in[1];
    t->A = tin(c->g, c->node, 0);
    t->B = tin(c->g, c->node, 1);
    t->Y = tout(c->g, c->node);
    if (!interp_broadcast(a->rank, a->dims, b->rank, b->dims, &t->rank, t->d))
        return fail(c, eb, ST_EINVAL, "input shapes do not broadcast");
    rc = act_range(c, t->Y, &t->lo, &t->hi, eb);
    if (rc)
        return rc;
    const struct interp_layer_params *lp = c->params;
    t->zo = qzp(t->Y);
    if (lp->has_offsets) {
        t->zo = lp->out_offset;
        t->lo = lp->act_min;
        t->hi = lp->act_max;
    }
    rc = interp_out(c, 0, DTYPE_S8, t->rank, t->d, &t->o, eb);
    if (rc)
        return rc;
    interp_ref_shape(a, &t->sa);
    interp_ref_shape(b, &t->sb);
    interp_ref_shape(&c->out[0], &t->sy);
    return 0;
}

/*
 * ADD / SUB. tflm: TFLite's PrepareAdd / sub CalculateOpData: left shift 20, twice the larger
 * input scale, three QuantizeMultiplier'd multipliers (arm_elementwise_add_s8 for ADD). tvm:
 * qnn.add/qnn.subtract canonicalized: each input requantized to the output scale (UPWARD,
 * skipped when the scales are equal), then summed with the output zero point.
 */
static int run_addsub(struct interp_ctx *c, struct errbuf *eb)
{
    struct tbin t;
    int rc = binary_begin(c, &t, eb);
    if (rc)
        return rc;
    const struct tensor_value *a = t.in[0], *b = t.in[1];
    bool sub = op_is(c->node, "SUB");
    double s1 = qscale(t.A), s2 = qscale(t.B), so = qscale(t.Y);
    int32_t z1 = qzp(t.A), z2 = qzp(t.B), zo = t.zo, lo = t.lo, hi = t.hi;
    int32_t m[3], sh[3];
    int32_t left_shift = interp_add_multipliers(c->params, mode(c), s1, s2, so, m, sh);
    if (mode(c) == INTERP_ARITH_TVM) {
        size_t n = interp_elems(&c->out[0]);
        struct interp_bcast it;
        interp_bcast_init(&it, t.rank, t.d, a, b);
        for (size_t i = 0; i < n; i++, interp_bcast_next(&it)) {
            int32_t va = ((const int8_t *)a->data)[it.oa] - z1;
            int32_t vb = ((const int8_t *)b->data)[it.ob] - z2;
            int32_t ra = s1 == so ? va : ref_q_multiply_shift_tvm(va, m[0], sh[0]);
            int32_t rb = s2 == so ? vb : ref_q_multiply_shift_tvm(vb, m[1], sh[1]);
            int32_t v = (sub ? ra - rb : ra + rb) + zo;
            ((int8_t *)t.o)[i] = (int8_t)(v < lo ? lo : v > hi ? hi : v);
        }
        return 0;
    }
    struct ref_add_params p = {
        .round = c->params->single_rounding ? REF_ROUND_CMSIS_SINGLE : REF_ROUND_CMSIS_DOUBLE,
        .in1_zp = z1, .in2_zp = z2, .out_zp = zo, .left_shift = left_shift,
        .in1_mult = m[0], .in1_shift = sh[0], .in2_mult = m[1], .in2_shift = sh[1],
        .out_mult = m[2], .out_shift = sh[2], .act_min = lo, .act_max = hi,
    };
    int r = sub ? ref_sub_s8(&p, &t.sa, a->data, &t.sb, b->data, &t.sy, t.o)
                : ref_add_s8(&p, &t.sa, a->data, &t.sb, b->data, &t.sy, t.o);
    return r == REF_OK ? 0 : fail(c, eb, ST_EINVAL, "add parameters out of range");
}

/* MUL: one multiplier double(s1) * double(s2) / double(so) (TFLite mul; TVM qnn.mul). */
static int run_mul(struct interp_ctx *c, struct errbuf *eb)
{
    struct tbin t;
    int rc = binary_begin(c, &t, eb);
    if (rc)
        return rc;
    const struct tensor *A = t.A, *B = t.B, *Y = t.Y;
    int32_t m, s;
    if (!override(c, 0, &m, &s)) {
        double eff = mode(c) == INTERP_ARITH_TVM
                         ? (double)(qscale(A) * qscale(B)) / (double)qscale(Y)
                         : (double)qscale(A) * (double)qscale(B) / (double)qscale(Y);
        multiplier(mode(c), eff, &m, &s);
    }
    struct ref_mul_params p = {
        .in1_zp = qzp(A), .in2_zp = qzp(B),
        .rq = {.round = rounding(c), .n = 1, .mult = &m, .shift = &s, .out_zp = t.zo,
               .act_min = t.lo, .act_max = t.hi},
    };
    if (ref_mul_s8(&p, &t.sa, t.in[0]->data, &t.sb, t.in[1]->data, &t.sy, t.o) != REF_OK)
        return fail(c, eb, ST_EINVAL, "mul parameters out of range");
    return 0;
}

/* ---- softmax ---- */

/*
 * TFLite CalculateSoftmaxParams (int8): PreprocessSoftmaxScaling(beta, input_scale,
 * kScaledDiffIntegerBits = 5): real = min(beta * scale * 2^26, 2^31 - 1 (2^30 - 1 with
 * single rounding)), QuantizeMultiplierGreaterThanOne; diff_min = -CalculateInputRadius(5,
 * shift) = -floor(31 * 2^26 / 2^shift). With beta = 1 these are TVM's EmitSoftMax constants.
 */
static int softmax_params(const struct interp_ctx *c, int32_t *mult, int32_t *shift,
                          int32_t *diff_min, struct errbuf *eb)
{
    const struct tensor *X = tin(c->g, c->node, 0);
    float beta = node_attr_float(c->node, "beta", 1.0f);
    double real = (double)beta * (double)qscale(X) * (double)(1 << 26);
    double max_real = c->params->single_rounding && mode(c) == INTERP_ARITH_TFLM
                          ? 1073741823.0 : 2147483647.0;
    if (real > max_real)
        real = max_real;
    int32_t m, s;
    multiplier(mode(c), real, &m, &s);
    if (!(real > 0.0) || s < 0 || s > 31)
        return fail(c, eb, ST_EINVAL, "softmax input scale out of range");
    *mult = m;
    *shift = s;
    *diff_min = -(int32_t)floor(31.0 * 67108864.0 / ldexp(1.0, s));
    return 0;
}

/*
 * TVM's generated C for the TFLite frontend's quantized SOFTMAX: dequantize ((float)(q - zp) *
 * scale), float32 softmax (expf(x - max) / sum, summed in order), quantize with
 * roundf(p * (1 / out_scale)) + zp (ties away), clamp. The C prints the scales as 7-digit
 * literals; the float scales stand in for them here.
 */
static int tvm_softmax(struct interp_ctx *c, const struct tensor_value *x, struct errbuf *eb)
{
    const struct tensor *X = tin(c->g, c->node, 0), *Y = tout(c->g, c->node);
    size_t n = interp_elems(x);
    float *f = mem_alloc((n ? n : 1) * 2 * sizeof *f);
    if (!f)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        f[i] = (float)(((const int8_t *)x->data)[i] - qzp(X)) * qscale(X);
    struct ref_softmax_params p = {.axis = x->rank - 1};
    struct ref_shape s;
    interp_ref_shape(x, &s);
    void *o;
    int rc = interp_out(c, 0, DTYPE_S8, x->rank, x->dims, &o, eb);
    if (!rc && ref_softmax_f32(&p, &s, f, &s, f + n) != REF_OK)
        rc = fail(c, eb, ST_EINVAL, "softmax shape out of range");
    float inv = 1.0f / qscale(Y);
    for (size_t i = 0; i < n && !rc; i++) {
        float v = roundf(f[n + i] * inv) + (float)qzp(Y);
        ((int8_t *)o)[i] = (int8_t)(v < -128.0f ? -128 : v > 127.0f ? 127 : (int32_t)v);
    }
    mem_free(f);
    return rc;
}

static int run_softmax(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0];
    if (x->rank < 1)
        return fail(c, eb, ST_EINVAL, "softmax of a scalar");
    if (mode(c) == INTERP_ARITH_TVM)
        return tvm_softmax(c, x, eb);
    struct ref_softmax_params p = {.axis = x->rank - 1, .round = REF_ROUND_CMSIS_DOUBLE};
    if (c->params->n_mult >= 1) {
        p.mult = c->params->mult[0];
        p.shift = c->params->shift[0];
        p.diff_min = c->params->act_min;
    } else if ((rc = softmax_params(c, &p.mult, &p.shift, &p.diff_min, eb)) != 0) {
        return rc;
    }
    void *o;
    rc = interp_out(c, 0, DTYPE_S8, x->rank, x->dims, &o, eb);
    if (rc)
        return rc;
    struct ref_shape s;
    interp_ref_shape(x, &s);
    if (ref_softmax_s8(&p, &s, x->data, &s, o) != REF_OK)
        return fail(c, eb, ST_EINVAL, "softmax parameters out of range");
    return 0;
}

/* ---- mean ---- */

/*
 * MEAN, int8, as TFLite Micro's EvalMean: for a 4-D input reduced over H and W with
 * keep_dims, reference_integer_ops::Mean (sum of x - in_zp, MultiplyByQuantizedMultiplier
 * with QuantizeMultiplier(in_scale / out_scale), divide by the count rounding ties away,
 * + out_zp); otherwise, with equal quantization, reference_ops::Mean (int32 sum / count,
 * truncating); otherwise QuantizedMeanOrSum (multiplier pre-divided by the count).
 */
static int run_mean(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0];
    const struct tensor *X = tin(c->g, c->node, 0), *Y = tout(c->g, c->node);
    int64_t axes[GRAPH_MAX_RANK];
    long na = const_input(c, 1, axes, GRAPH_MAX_RANK);
    if (na < 1)
        return fail(c, eb, ST_EUNSUPPORTED, "MEAN needs constant axes");
    bool red[GRAPH_MAX_RANK] = {false};
    for (long i = 0; i < na; i++) {
        int ax = interp_axis(axes[i], x->rank);
        if (ax < 0)
            return fail(c, eb, ST_EINVAL, "axis out of range");
        red[ax] = true;
    }
    bool keep = node_attr_int(c->node, "keep_dims", 0) != 0;
    int64_t od[GRAPH_MAX_RANK], kd[GRAPH_MAX_RANK];
    int orank = 0;
    size_t count = 1, n_out = 1;
    for (int i = 0; i < x->rank; i++) {
        kd[i] = red[i] ? 1 : x->dims[i];
        if (red[i])
            count *= (size_t)x->dims[i];
        else
            n_out *= (size_t)x->dims[i];
        if (!red[i] || keep)
            od[orank++] = kd[i];
    }
    if (count == 0 || count > ((size_t)1 << 23))
        return fail(c, eb, ST_EUNSUPPORTED, "mean over an empty axis or over 2^23 elements");
    void *o;
    rc = interp_out(c, 0, DTYPE_S8, orank, od, &o, eb);
    if (rc)
        return rc;
    int32_t *sum = mem_calloc(n_out ? n_out : 1, sizeof *sum);
    if (!sum)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    /* raw int32 sums per output element, walking the input in row-major order */
    int64_t idx[GRAPH_MAX_RANK] = {0};
    size_t n_in = interp_elems(x);
    const int8_t *xd = x->data;
    for (size_t i = 0; i < n_in; i++) {
        size_t off = 0;
        for (int k = 0; k < x->rank; k++)
            off = off * (size_t)kd[k] + (size_t)(red[k] ? 0 : idx[k]);
        sum[off] += xd[i];
        interp_index_next(x->rank, x->dims, idx);
    }
    int32_t in_zp = qzp(X), out_zp = qzp(Y), m, s;
    double real = (double)qscale(X) / (double)qscale(Y);
    interp_multiplier_tflite(real, &m, &s);
    bool special = x->rank == 4 && keep && na == 2 && red[1] && red[2] && !red[0] && !red[3];
    bool same = qscale(X) == qscale(Y) && in_zp == out_zp;
    int32_t cnt = (int32_t)count;
    if (!special && !same) {
        /* QuantizedMeanOrSum: fold 1/count into the multiplier */
        /* 63 - CountLeadingZeros(count): the index of its highest set bit */
        int sh = 0;
        while (sh < 63 && ((uint64_t)count >> (sh + 1)) != 0)
            sh++;
        if (sh > 32)
            sh = 32;
        if (sh > 31 + s)
            sh = 31 + s;
        m = (int32_t)(((int64_t)m << sh) / (int64_t)count);
        s -= sh;
    }
    for (size_t i = 0; i < n_out; i++) {
        int32_t v;
        if (special) {
            int32_t acc = sum[i] - in_zp * cnt;
            acc = ref_requantize_cmsis(acc, m, s);
            acc = acc > 0 ? (acc + cnt / 2) / cnt : (acc - cnt / 2) / cnt;
            v = acc + out_zp;
        } else if (same) {
            v = sum[i] / cnt;
        } else {
            v = ref_requantize_cmsis(sum[i] - in_zp * cnt, m, s) + out_zp;
        }
        ((int8_t *)o)[i] = (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v);
    }
    mem_free(sum);
    return 0;
}

/* ---- activations ---- */

/*
 * RELU: TFLite Micro's ReluQuantized (requantize in_scale/out_scale, clamp at zero);
 * RELU6: Relu6Quantized (clamp the raw values to [zp, zp + round(6 / scale)]).
 */
static int run_relu(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0];
    const struct tensor *X = tin(c->g, c->node, 0), *Y = tout(c->g, c->node);
    void *o;
    rc = interp_out(c, 0, DTYPE_S8, x->rank, x->dims, &o, eb);
    if (rc)
        return rc;
    size_t n = interp_elems(x);
    const int8_t *xd = x->data;
    int8_t *yd = o;
    if (op_is(c->node, "RELU6")) {
        int32_t lo = qzp(X), hi = qzp(X) + sat_i32(roundf(6.0f / qscale(X)));
        hi = hi > 127 ? 127 : hi;
        for (size_t i = 0; i < n; i++)
            yd[i] = (int8_t)(xd[i] < lo ? lo : xd[i] > hi ? hi : xd[i]);
        return 0;
    }
    int32_t m, s;
    multiplier(mode(c), (double)qscale(X) / (double)qscale(Y), &m, &s);
    int32_t lo = qzp(Y);   /* zp + round(0 / scale) */
    lo = lo < -128 ? -128 : lo;
    for (size_t i = 0; i < n; i++) {
        int32_t d = xd[i] - qzp(X);
        int32_t v = qzp(Y) + (mode(c) == INTERP_ARITH_TVM ? ref_q_multiply_shift_tvm(d, m, s)
                                                           : ref_requantize_cmsis(d, m, s));
        yd[i] = (int8_t)(v < lo ? lo : v > 127 ? 127 : v);
    }
    return 0;
}

/* ---- gemmlowp fixed point for LOGISTIC and TANH (int8 reference_integer_ops) ---- */

/*
 * gemmlowp exp_on_negative_values for FixedPoint<int32, ib> (ib 4 or 5): v <= 0 in
 * Q(ib).(31-ib), result in Q0.31. The same polynomial and barrel shifter as
 * ref_exp_on_negative_values (which is the ib = 5 case), with the bits of the remainder
 * that exist for ib integer bits.
 */
static int32_t tfl_exp_on_negative_values(int32_t v, int ib)
{
    static const int32_t k_exp_bits[7] = {1672461947, 1302514674, 790015084, 290630308,
                                          39332535,   720401,     242};
    const int fb = 31 - ib;
    const int32_t quarter = INT32_C(1) << (fb - 2);
    const int32_t mod_minus_quarter = (v & (quarter - 1)) - quarter;
    const int32_t remainder = ref_sub_wrap(mod_minus_quarter, v);
    const int32_t x = ref_add_wrap(ref_mult_by_power_of_two(mod_minus_quarter, ib),
                                   INT32_C(1) << 28);
    const int32_t x2 = ref_doubling_high_mult(x, x);
    const int32_t x3 = ref_doubling_high_mult(x2, x);
    const int32_t x4_over_4 = ref_divide_by_power_of_two(ref_doubling_high_mult(x2, x2), 2);
    const int32_t poly_tail = ref_divide_by_power_of_two(
        ref_add_wrap(ref_doubling_high_mult(ref_add_wrap(x4_over_4, x3), 715827883), x2), 1);
    int32_t result = ref_add_wrap(
        1895147668, ref_doubling_high_mult(1895147668, ref_add_wrap(x, poly_tail)));
    for (int k = 0; k < 7; k++) {
        int e = k - 2;
        if (ib > e && (remainder & (INT32_C(1) << (fb + e))))
            result = ref_doubling_high_mult(result, k_exp_bits[k]);
    }
    return v == 0 ? INT32_MAX : result;
}

/* gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1: (1 - a) / (1 + a), Q0.31. */
static int32_t tfl_one_minus_x_over_one_plus_x(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_den = ref_s32_trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
    int32_t x = ref_add_wrap(1515870810, ref_doubling_high_mult(half_den, -1010580540));
    const int32_t one_q29 = INT32_C(1) << 29;
    for (int i = 0; i < 3; i++) {
        const int32_t err = ref_sub_wrap(one_q29, ref_doubling_high_mult(half_den, x));
        x = ref_add_wrap(x, ref_mult_by_power_of_two(ref_doubling_high_mult(x, err), 2));
    }
    return ref_mult_by_power_of_two(ref_sub_wrap(x, one_q29), 2);
}

/* gemmlowp logistic of a Q4.27 value, Q0.31 result. */
static int32_t tfl_logistic_q4(int32_t a)
{
    if (a == 0)
        return INT32_C(1) << 30;
    int32_t abs_a = a > 0 ? a : -a;
    int32_t pos = ref_one_over_one_plus_x_for_x_in_0_1(tfl_exp_on_negative_values(-abs_a, 4));
    return a > 0 ? pos : ref_sub_wrap(INT32_MAX, pos);
}

/* gemmlowp tanh of a Q4.27 value, Q0.31 result (exp taken on 2a as a Q5.26 raw value). */
static int32_t tfl_tanh_q4(int32_t a)
{
    if (a == 0)
        return 0;
    int32_t n = a < 0 ? a : -a;
    int32_t t = tfl_one_minus_x_over_one_plus_x(tfl_exp_on_negative_values(n, 5));
    return a < 0 ? -t : t;
}

/*
 * LOGISTIC / TANH, int8, as TFLite Micro's reference_integer_ops::Logistic / Tanh: input
 * multiplier from frexp(in_scale * 2^27) (TfLiteRound(q * 2^31)), radius
 * CalculateInputRadius(4, shift); inside the radius the input is rescaled to Q4.27
 * (MultiplyByQuantizedMultiplier), run through gemmlowp's logistic / tanh, and rounded
 * down to the fixed output quantization (1/256, -128 and 1/128, 0). Not checked against a
 * board: no fixture model uses these ops. Returns 1 when the output quantization is not
 * the fixed one (the caller then uses the float path).
 */
static int fixed_sigmoid_tanh(struct interp_ctx *c, const struct tensor_value *x, int8_t *o)
{
    const struct tensor *X = tin(c->g, c->node, 0), *Y = tout(c->g, c->node);
    bool logistic = op_is(c->node, "LOGISTIC");
    if (logistic ? (qscale(Y) != 1.0f / 256.0f || qzp(Y) != -128)
                 : (qscale(Y) != 1.0f / 128.0f || qzp(Y) != 0))
        return 1;
    int e = 0;
    double q = frexp((double)qscale(X) * (double)(1 << 27), &e);
    double qf = round(q * 2147483648.0);
    if (qf >= 2147483648.0) {   /* TFLite would overflow its int32 cast here */
        qf /= 2.0;
        e++;
    }
    int32_t mult = (int32_t)qf;
    double radius_d = floor(15.0 * 134217728.0 / ldexp(1.0, e));
    int32_t radius = radius_d > 2147483647.0 ? INT32_MAX : (int32_t)radius_d;
    size_t n = interp_elems(x);
    const int8_t *xd = x->data;
    for (size_t i = 0; i < n; i++) {
        int32_t d = xd[i] - qzp(X), v;
        if (d <= -radius) {
            v = -128;
        } else if (d >= radius) {
            v = 127;
        } else {
            int32_t q4 = ref_requantize_cmsis(d, mult, e);
            if (logistic) {
                v = ref_divide_by_power_of_two(tfl_logistic_q4(q4), 23) - 128;
            } else {
                v = ref_divide_by_power_of_two(tfl_tanh_q4(q4), 24);
            }
            v = v < -128 ? -128 : v > 127 ? 127 : v;
        }
        o[i] = (int8_t)v;
    }
    return 0;
}

/*
 * LOGISTIC, TANH: TFLite Micro's fixed point (fixed_sigmoid_tanh) when the output has the
 * quantization TFLite requires; HARD_SWISH (and other outputs): dequantize -> float32 ->
 * quantize (ref_act_s8), not TFLite's int16 hard-swish pipeline, so it can differ from a
 * board by one LSB.
 */
static int run_float_act(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0];
    const struct tensor *X = tin(c->g, c->node, 0), *Y = tout(c->g, c->node);
    struct ref_act_params p = {
        .kind = op_is(c->node, "LOGISTIC") ? REF_ACT_SIGMOID
                : op_is(c->node, "TANH")   ? REF_ACT_TANH : REF_ACT_HARD_SWISH,
        .in_scale = qscale(X), .out_scale = qscale(Y), .in_zp = qzp(X), .out_zp = qzp(Y),
        .round = REF_QROUND_ONNX,
    };
    void *o;
    rc = interp_out(c, 0, DTYPE_S8, x->rank, x->dims, &o, eb);
    if (rc)
        return rc;
    if (p.kind != REF_ACT_HARD_SWISH && fixed_sigmoid_tanh(c, x, o) == 0)
        return 0;
    struct ref_shape s;
    interp_ref_shape(x, &s);
    if (ref_act_s8(&p, &s, x->data, &s, o) != REF_OK)
        return fail(c, eb, ST_EINVAL, "activation parameters out of range");
    return 0;
}

/* ---- quantize / dequantize ---- */

/*
 * QUANTIZE: float input as AffineQuantize (TfLiteRound(x / scale) + zp in float32, clamp);
 * int8/uint8 input as Requantize (MultiplyByQuantizedMultiplier with QuantizeMultiplier(
 * in_scale / out_scale), + out_zp, clamp).
 */
static int run_quantize(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0];
    const struct tensor *X = tin(c->g, c->node, 0), *Y = tout(c->g, c->node);
    void *o;
    rc = interp_out(c, 0, Y->dtype, x->rank, x->dims, &o, eb);
    if (rc)
        return rc;
    size_t n = interp_elems(x);
    int32_t lo = type_min(Y->dtype), hi = type_max(Y->dtype), zo = qzp(Y), m = 0, s = 0;
    bool fl = x->dtype == DTYPE_F32;
    if (!fl)
        multiplier(mode(c), (double)qscale(X) / (double)qscale(Y), &m, &s);
    float sc = qscale(Y);
    for (size_t i = 0; i < n; i++) {
        int32_t v;
        if (fl) {
            float f = interp_get_f(x, i);
            v = sat_i32(roundf(f / sc)) + zo;
        } else {
            int32_t d = (int32_t)interp_get_f(x, i) - qzp(X);
            v = (mode(c) == INTERP_ARITH_TVM ? ref_q_multiply_shift_tvm(d, m, s)
                                             : ref_requantize_cmsis(d, m, s)) + zo;
        }
        v = v < lo ? lo : v > hi ? hi : v;
        if (Y->dtype == DTYPE_U8)
            ((uint8_t *)o)[i] = (uint8_t)v;
        else
            ((int8_t *)o)[i] = (int8_t)v;
    }
    return 0;
}

/* DEQUANTIZE: (float)(double(scale) * (q - zp)). */
static int run_dequantize(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0];
    const struct tensor *X = tin(c->g, c->node, 0);
    void *o;
    rc = interp_out(c, 0, DTYPE_F32, x->rank, x->dims, &o, eb);
    if (rc)
        return rc;
    size_t n = interp_elems(x);
    double sc = qscale(X);
    for (size_t i = 0; i < n; i++) {
        float f = (float)(sc * (double)((int32_t)interp_get_f(x, i) - qzp(X)));
        memcpy((char *)o + i * 4, &f, 4);
    }
    return 0;
}

/* ---- data movement ---- */

/* RESHAPE, SQUEEZE: the output's static shape over the same bytes. */
static int run_reshape(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    int rank;
    int64_t d[GRAPH_MAX_RANK];
    rc = static_out_dims(c, interp_elems(in[0]), &rank, d, eb);
    if (rc)
        return rc;
    return interp_out_alias(c, 0, 0, rank, d, eb);
}

static int run_transpose(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0];
    int64_t perm[GRAPH_MAX_RANK];
    long np = const_input(c, 1, perm, GRAPH_MAX_RANK);
    if (np != x->rank)
        return fail(c, eb, ST_EINVAL, "permutation length is not the input rank");
    struct ref_transpose_params p = {.elem_bytes = dtype_bytes(x->dtype)};
    int64_t d[GRAPH_MAX_RANK];
    for (int i = 0; i < x->rank; i++) {
        if (perm[i] < 0 || perm[i] >= x->rank)
            return fail(c, eb, ST_EINVAL, "permutation out of range");
        p.perm[i] = (int32_t)perm[i];
        d[i] = x->dims[perm[i]];
    }
    void *o;
    rc = interp_out(c, 0, x->dtype, x->rank, d, &o, eb);
    if (rc)
        return rc;
    struct ref_shape si, so;
    interp_ref_shape(x, &si);
    interp_ref_shape(&c->out[0], &so);
    return ref_transpose_any(&p, &si, x->data, &so, o) == REF_OK
               ? 0 : fail(c, eb, ST_EINVAL, "bad permutation");
}

/* PAD (quantized: pads with the output zero point) and PADV2 (the constant_values input). */
static int run_pad(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0];
    int64_t pads[2 * GRAPH_MAX_RANK];
    long np = const_input(c, 1, pads, 2 * GRAPH_MAX_RANK);
    if (np != 2 * x->rank)
        return fail(c, eb, ST_EINVAL, "paddings must be [rank, 2]");
    struct ref_pad_params p = {.elem_bytes = dtype_bytes(x->dtype)};
    int64_t d[GRAPH_MAX_RANK];
    for (int i = 0; i < x->rank; i++) {
        if (pads[2 * i] < 0 || pads[2 * i + 1] < 0 || pads[2 * i] > INT32_MAX / 2 ||
            pads[2 * i + 1] > INT32_MAX / 2)
            return fail(c, eb, ST_EINVAL, "negative or huge padding");
        p.before[i] = (int32_t)pads[2 * i];
        p.after[i] = (int32_t)pads[2 * i + 1];
        d[i] = x->dims[i] + pads[2 * i] + pads[2 * i + 1];
    }
    unsigned char value[8] = {0};
    const struct tensor *Y = tout(c->g, c->node);
    const struct tensor_value *cv = interp_in(c, 2);
    if (op_is(c->node, "PADV2") && cv) {
        if (cv->dtype != x->dtype || cv->bytes < p.elem_bytes)
            return fail(c, eb, ST_EINVAL, "constant_values must be one element of the input type");
        memcpy(value, cv->data, p.elem_bytes);
    } else if (Y->quant.n > 0 && (x->dtype == DTYPE_S8 || x->dtype == DTYPE_U8)) {
        int32_t z = qzp(Y);
        value[0] = (unsigned char)(x->dtype == DTYPE_S8 ? (uint8_t)(int8_t)z : (uint8_t)z);
    }
    p.value = value;
    void *o;
    rc = interp_out(c, 0, x->dtype, x->rank, d, &o, eb);
    if (rc)
        return rc;
    struct ref_shape si, so;
    interp_ref_shape(x, &si);
    interp_ref_shape(&c->out[0], &so);
    return ref_pad_any(&p, &si, x->data, &so, o) == REF_OK
               ? 0 : fail(c, eb, ST_EINVAL, "padding out of range");
}

/*
 * CONCATENATION. Quantized inputs whose scale or zero point differ from the output's are
 * first requantized as TFLite's ConcatenationWithScaling does: round(q * s + bias) in float32
 * with s = in_scale * (1 / out_scale), bias = -in_zp * s, + out_zp, clamp.
 */
static int run_concat(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct node *n = c->node;
    const struct tensor_value *x0 = in[0];
    int axis = interp_axis(node_attr_int(n, "axis", 0), x0->rank);
    if (axis < 0)
        return fail(c, eb, ST_EINVAL, "axis out of range");
    int64_t d[GRAPH_MAX_RANK];
    memcpy(d, x0->dims, sizeof d);
    d[axis] = 0;
    for (size_t k = 0; k < n->n_inputs; k++) {
        const struct tensor_value *x = in[k];
        if (!x || x->rank != x0->rank || x->dtype != x0->dtype)
            return fail(c, eb, ST_EINVAL, "inputs differ in rank or type");
        for (int i = 0; i < x->rank; i++)
            if (i != axis && x->dims[i] != x0->dims[i])
                return fail(c, eb, ST_EINVAL, "inputs differ outside the axis");
        d[axis] += x->dims[axis];
    }
    void *o;
    rc = interp_out(c, 0, x0->dtype, x0->rank, d, &o, eb);
    if (rc)
        return rc;
    const struct tensor *Y = tout(c->g, n);
    bool q8 = (x0->dtype == DTYPE_S8 || x0->dtype == DTYPE_U8) && Y->quant.n == 1;
    void *tmp[TFL_MAX_IN] = {NULL};
    const void *ptr[TFL_MAX_IN];
    struct ref_shape shp[TFL_MAX_IN];
    const struct ref_shape *sp[TFL_MAX_IN];
    for (size_t k = 0; k < n->n_inputs && !rc; k++) {
        const struct tensor *X = tin(c->g, n, k);
        interp_ref_shape(in[k], &shp[k]);
        sp[k] = &shp[k];
        ptr[k] = in[k]->data;
        if (!q8 || X->quant.n != 1 || (qscale(X) == qscale(Y) && qzp(X) == qzp(Y)))
            continue;
        size_t m = interp_elems(in[k]);
        tmp[k] = mem_alloc(m ? m : 1);
        if (!tmp[k]) {
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            break;
        }
        float inv = 1.0f / qscale(Y), s = qscale(X) * inv, bias = (float)(-qzp(X)) * s;
        int32_t lo = type_min(x0->dtype), hi = type_max(x0->dtype);
        for (size_t i = 0; i < m; i++) {
            int32_t v = sat_i32(roundf(interp_get_f(in[k], i) * s + bias)) + qzp(Y);
            v = v < lo ? lo : v > hi ? hi : v;
            if (x0->dtype == DTYPE_S8)
                ((int8_t *)tmp[k])[i] = (int8_t)v;
            else
                ((uint8_t *)tmp[k])[i] = (uint8_t)v;
        }
        ptr[k] = tmp[k];
    }
    if (!rc) {
        struct ref_concat_params p = {.axis = axis, .elem_bytes = dtype_bytes(x0->dtype),
                                      .n_inputs = n->n_inputs};
        struct ref_shape so;
        interp_ref_shape(&c->out[0], &so);
        if (ref_concat_any(&p, sp, ptr, &so, o) != REF_OK)
            rc = fail(c, eb, ST_EINVAL, "concatenation shapes out of range");
    }
    for (size_t k = 0; k < n->n_inputs; k++)
        mem_free(tmp[k]);
    return rc;
}

/*
 * A STRIDED_SLICE begin or end index: negative counts from the end, then clamped to [0, dim]
 * for a positive stride s, to [-1, dim - 1] for a negative one.
 */
static int64_t slice_index(int64_t v, int64_t dim, int64_t s)
{
    v = v < 0 ? v + dim : v;
    if (s > 0)
        return v < 0 ? 0 : v > dim ? dim : v;
    return v < -1 ? -1 : v > dim - 1 ? dim - 1 : v;
}

/* TFLite StridedSlice start/stop per axis (masks, negative indices, clamping). */
static int run_strided_slice(struct interp_ctx *c, struct errbuf *eb)
{
    const struct tensor_value *in[TFL_MAX_IN];
    int rc = gather(c, in, eb);
    if (rc)
        return rc;
    const struct tensor_value *x = in[0];
    int64_t beg[GRAPH_MAX_RANK], end[GRAPH_MAX_RANK], str[GRAPH_MAX_RANK];
    const struct node *n = c->node;
    long nb = const_input(c, 1, beg, GRAPH_MAX_RANK);
    long ne = const_input(c, 2, end, GRAPH_MAX_RANK);
    long ns = const_input(c, 3, str, GRAPH_MAX_RANK);
    if (nb != x->rank || ne != x->rank || ns != x->rank)
        return fail(c, eb, ST_EINVAL, "begin, end and strides must have one entry per axis");
    int64_t bm = node_attr_int(n, "begin_mask", 0), em = node_attr_int(n, "end_mask", 0);
    int64_t sm = node_attr_int(n, "shrink_axis_mask", 0);
    struct ref_slice_params p = {.elem_bytes = dtype_bytes(x->dtype)};
    struct ref_shape so = {.rank = x->rank};
    size_t total = 1;
    for (int i = 0; i < x->rank; i++) {
        int64_t dim = x->dims[i], s = str[i], st, sp;
        if (s == 0)
            return fail(c, eb, ST_EINVAL, "stride 0");
        bool shrink = (sm >> i) & 1;
        if ((bm >> i) & 1 && !shrink) {
            st = s > 0 ? 0 : dim - 1;
        } else {
            st = slice_index(beg[i], dim, s);
        }
        if (shrink) {
            if (st < 0 || st >= dim)
                return fail(c, eb, ST_EINVAL, "shrunk axis index out of range");
            sp = st + 1;
            s = 1;
        } else if ((em >> i) & 1) {
            sp = s > 0 ? dim : -1;
        } else {
            sp = slice_index(end[i], dim, s);
        }
        int64_t cnt = s > 0 ? (sp - st + s - 1) / s : (st - sp + (-s) - 1) / (-s);
        if (cnt < 0)
            cnt = 0;
        p.begin[i] = (int32_t)(cnt > 0 ? st : 0);
        p.stride[i] = (int32_t)s;
        so.dims[i] = (int32_t)cnt;
        total *= (size_t)cnt;
    }
    int rank;
    int64_t d[GRAPH_MAX_RANK];
    rc = static_out_dims(c, total, &rank, d, eb);
    if (rc)
        return rc;
    void *o;
    rc = interp_out(c, 0, x->dtype, rank, d, &o, eb);
    if (rc)
        return rc;
    if (total == 0)
        return 0;
    struct ref_shape si;
    interp_ref_shape(x, &si);
    return ref_slice_any(&p, &si, x->data, &so, o) == REF_OK
               ? 0 : fail(c, eb, ST_EINVAL, "slice out of range");
}

/* ---- tables ---- */

static int lower_ok(const struct graph *g, int layer, struct errbuf *eb)
{
    (void)g;
    (void)layer;
    (void)eb;
    return 0;
}

static const struct interp_op tflite_ops[] = {
    {"tflite", "ADD", check_binary, run_addsub},
    {"tflite", "AVERAGE_POOL_2D", check_q8_io, run_pool},
    {"tflite", "CONCATENATION", check_concat, run_concat},
    {"tflite", "CONV_2D", check_weights, run_conv},
    {"tflite", "DEPTHWISE_CONV_2D", check_weights, run_conv},
    {"tflite", "DEQUANTIZE", check_dequantize, run_dequantize},
    {"tflite", "FULLY_CONNECTED", check_weights, run_fc},
    {"tflite", "HARD_SWISH", check_q8_io, run_float_act},
    {"tflite", "LOGISTIC", check_q8_io, run_float_act},
    {"tflite", "MAX_POOL_2D", check_q8_io, run_pool},
    {"tflite", "MEAN", check_q8_io, run_mean},
    {"tflite", "MUL", check_binary, run_mul},
    {"tflite", "PAD", check_move, run_pad},
    {"tflite", "PADV2", check_move, run_pad},
    {"tflite", "QUANTIZE", check_quantize, run_quantize},
    {"tflite", "RELU", check_q8_io, run_relu},
    {"tflite", "RELU6", check_q8_io, run_relu},
    {"tflite", "RESHAPE", check_move, run_reshape},
    {"tflite", "SOFTMAX", check_softmax, run_softmax},
    {"tflite", "SQUEEZE", check_move, run_reshape},
    {"tflite", "STRIDED_SLICE", check_strided_slice, run_strided_slice},
    {"tflite", "SUB", check_binary, run_addsub},
    {"tflite", "TANH", check_q8_io, run_float_act},
    {"tflite", "TRANSPOSE", check_move, run_transpose},
};

#define TFL_MODES ((1u << INTERP_ARITH_TFLM) | (1u << INTERP_ARITH_TVM))

/* Every op is also a one-node lowering so that its layer reports the integer mode it ran in. */
static const struct interp_lowering tflite_lowerings[] = {
    {"tflite", "ADD", TFL_MODES, lower_ok, run_addsub},
    {"tflite", "AVERAGE_POOL_2D", TFL_MODES, lower_ok, run_pool},
    {"tflite", "CONCATENATION", TFL_MODES, lower_ok, run_concat},
    {"tflite", "CONV_2D", TFL_MODES, lower_ok, run_conv},
    {"tflite", "DEPTHWISE_CONV_2D", TFL_MODES, lower_ok, run_conv},
    {"tflite", "DEQUANTIZE", TFL_MODES, lower_ok, run_dequantize},
    {"tflite", "FULLY_CONNECTED", TFL_MODES, lower_ok, run_fc},
    {"tflite", "HARD_SWISH", TFL_MODES, lower_ok, run_float_act},
    {"tflite", "LOGISTIC", TFL_MODES, lower_ok, run_float_act},
    {"tflite", "MAX_POOL_2D", TFL_MODES, lower_ok, run_pool},
    {"tflite", "MEAN", TFL_MODES, lower_ok, run_mean},
    {"tflite", "MUL", TFL_MODES, lower_ok, run_mul},
    {"tflite", "PAD", TFL_MODES, lower_ok, run_pad},
    {"tflite", "PADV2", TFL_MODES, lower_ok, run_pad},
    {"tflite", "QUANTIZE", TFL_MODES, lower_ok, run_quantize},
    {"tflite", "RELU", TFL_MODES, lower_ok, run_relu},
    {"tflite", "RELU6", TFL_MODES, lower_ok, run_relu},
    {"tflite", "RESHAPE", TFL_MODES, lower_ok, run_reshape},
    {"tflite", "SOFTMAX", TFL_MODES, lower_ok, run_softmax},
    {"tflite", "SQUEEZE", TFL_MODES, lower_ok, run_reshape},
    {"tflite", "STRIDED_SLICE", TFL_MODES, lower_ok, run_strided_slice},
    {"tflite", "SUB", TFL_MODES, lower_ok, run_addsub},
    {"tflite", "TANH", TFL_MODES, lower_ok, run_float_act},
    {"tflite", "TRANSPOSE", TFL_MODES, lower_ok, run_transpose},
};

const struct interp_op_table interp_ops_tflite = {
    tflite_ops, sizeof tflite_ops / sizeof tflite_ops[0],
    tflite_lowerings, sizeof tflite_lowerings / sizeof tflite_lowerings[0],
};
