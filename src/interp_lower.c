/*
 * Integer-mode lowerings: a quantized layer (QOperator node or QDQ group) run as one kernel
 * the way TFLite Micro / CMSIS-NN (tflm) or TVM's generated C (tvm) computes it: exact int32
 * accumulation, then requantization with a multiplier and shift derived from the float
 * scales (TFLite's QuantizeMultiplier, or TVM's GetFixedPointMultiplierShift) or supplied
 * per layer (interp_layer_params, the deployed-MLF hook). ARITHMETIC.md is the specification.
 * Layers these cannot express (no integer counterpart) run in ONNX semantics instead.
 */
#include <math.h>
#include <string.h>

#include "interp_int.h"
#include "interp_kernels.h"
#include "mem.h"
#include "ref/fixedpoint.h"
#include "ref/ref.h"

#include "banned.h"

/* The quantized tensors of a layer, found through its QDQ nodes or QOperator inputs. */
struct qlayer {
    const struct node *main;
    int x[2];               /* quantized activation inputs (-1 = absent) */
    int w;                  /* constant quantized weights or -1 */
    int b;                  /* constant int32 bias or -1 */
    int y;                  /* quantized output */
    size_t y_k;             /* index of y among the layer's outputs */
    int act;                /* fused Relu/Clip node or -1 */
};

static bool op_is(const struct node *n, const char *op)
{
    return strcmp(n->op, op) == 0;
}

/* The quantized tensor behind main input k: a DequantizeLinear's input, or the input itself. */
static int q_input(const struct graph *g, const struct node *main, size_t k)
{
    if (k >= main->n_inputs || main->inputs[k] < 0)
        return -1;
    int t = main->inputs[k];
    int p = g->tensors[t].producer;
    if (p >= 0 && op_is(&g->nodes[p], "DequantizeLinear"))
        return g->nodes[p].inputs[0];
    return -1;
}

static bool quantized(const struct graph *g, int t, enum dtype want_a, enum dtype want_b)
{
    if (t < 0)
        return false;
    const struct tensor *T = &g->tensors[t];
    return T->quant.n >= 1 && (T->dtype == want_a || T->dtype == want_b);
}

static int resolve(const struct graph *g, int li, struct qlayer *q)
{
    const struct layer *L = &g->layers[li];
    memset(q, 0, sizeof *q);
    q->x[0] = q->x[1] = q->w = q->b = q->y = q->act = -1;
    if (L->main_node < 0)
        return -1;
    const struct node *m = &g->nodes[L->main_node];
    q->main = m;
    if (L->kind == LAYER_QOP) {
        if (op_is(m, "QLinearConv")) {
            q->x[0] = m->inputs[0];
            q->w = m->inputs[3];
            q->b = m->n_inputs > 8 ? m->inputs[8] : -1;
        } else if (op_is(m, "QLinearMatMul")) {
            q->x[0] = m->inputs[0];
            q->w = m->inputs[3];
        } else if (op_is(m, "QLinearAdd") || op_is(m, "QLinearMul")) {
            q->x[0] = m->inputs[0];
            q->x[1] = m->inputs[3];
        } else {
            return -1;
        }
        q->y = m->outputs[0];
    } else if (L->kind == LAYER_QDQ) {
        q->x[0] = q_input(g, m, 0);
        if (op_is(m, "Conv") || op_is(m, "Gemm") || op_is(m, "MatMul")) {
            q->w = q_input(g, m, 1);
            q->b = m->n_inputs > 2 ? q_input(g, m, 2) : -1;
            if (m->n_inputs > 2 && m->inputs[2] >= 0 && q->b < 0)
                return -1;      /* a float bias: no integer counterpart */
        } else if (op_is(m, "Add") || op_is(m, "Mul")) {
            q->x[1] = q_input(g, m, 1);
            if (q->x[1] < 0)
                return -1;
        }
        /* main -> [Relu | Clip] -> QuantizeLinear */
        int t = m->outputs[0];
        for (int hop = 0; hop < 2; hop++) {
            const struct tensor *T = &g->tensors[t];
            if (T->n_consumers != 1 || (T->flags & TENSOR_OUTPUT))
                return -1;
            const struct node *c = &g->nodes[T->consumers[0]];
            if (op_is(c, "QuantizeLinear")) {
                q->y = c->outputs[0];
                break;
            }
            if (hop == 0 && (op_is(c, "Relu") || op_is(c, "Clip"))) {
                q->act = T->consumers[0];
                t = c->outputs[0];
                continue;
            }
            return -1;
        }
        if (q->y < 0)
            return -1;
    } else {
        return -1;
    }
    if (q->x[0] < 0 || q->y < 0)
        return -1;
    bool found = false;
    for (size_t k = 0; k < L->n_outputs; k++) {
        if (L->outputs[k] == q->y) {
            q->y_k = k;
            found = true;
        }
    }
    if (!found)
        return -1;
    if (!quantized(g, q->x[0], DTYPE_S8, DTYPE_U8) || !quantized(g, q->y, DTYPE_S8, DTYPE_U8))
        return -1;
    if (q->x[1] >= 0 && !quantized(g, q->x[1], DTYPE_S8, DTYPE_U8))
        return -1;
    if (q->w >= 0 && (!quantized(g, q->w, DTYPE_S8, DTYPE_U8) ||
                      !(g->tensors[q->w].flags & TENSOR_CONST)))
        return -1;
    if (q->b >= 0 && (g->tensors[q->b].dtype != DTYPE_S32 ||
                      !(g->tensors[q->b].flags & TENSOR_CONST)))
        return -1;
    if (g->tensors[q->x[0]].quant.n != 1 || g->tensors[q->y].quant.n != 1)
        return -1;
    return 0;
}

static int32_t qmin(enum dtype t)
{
    return t == DTYPE_U8 ? 0 : -128;
}

static int32_t qmax(enum dtype t)
{
    return t == DTYPE_U8 ? 255 : 127;
}

/* TfLiteRound: half away from zero. */
static int32_t round_away(double v)
{
    return (int32_t)round(v);
}

/*
 * The clamp a fused Relu/Clip gives, in the output's integer domain, as TFLite's
 * CalculateActivationRangeQuantized does it.
 */
static void act_range(const struct interp_ctx *c, const struct qlayer *q, int32_t *lo,
                      int32_t *hi)
{
    const struct graph *g = c->g;
    const struct tensor *Y = &g->tensors[q->y];
    float s = Y->quant.scale[0];
    int32_t z = Y->quant.zero_point[0];
    *lo = qmin(Y->dtype);
    *hi = qmax(Y->dtype);
    if (q->act < 0)
        return;
    const struct node *a = &g->nodes[q->act];
    double flo = 0.0, fhi = INFINITY;
    bool has_hi = false;
    if (op_is(a, "Clip")) {
        const struct tensor_value *vlo = a->n_inputs > 1 ? interp_value(c->ip, a->inputs[1]) : NULL;
        const struct tensor_value *vhi = a->n_inputs > 2 ? interp_value(c->ip, a->inputs[2]) : NULL;
        const struct attr *amin = node_attr(a, "min"), *amax = node_attr(a, "max");
        flo = vlo ? interp_scalar(vlo, 0) : amin ? amin->f : -INFINITY;
        if (vhi || amax) {
            fhi = vhi ? interp_scalar(vhi, 0) : amax->f;
            has_hi = true;
        }
    }
    if (isfinite(flo)) {
        int32_t v = z + round_away(flo / s);
        *lo = v > *lo ? v : *lo;
    }
    if (has_hi && isfinite(fhi)) {
        int32_t v = z + round_away(fhi / s);
        *hi = v < *hi ? v : *hi;
    }
}

/* Multiplier/shift per channel for real multipliers eff[i]; or the layer's override. */
static void derive(const struct interp_ctx *c, const double *eff, size_t n, int32_t *mult,
                   int32_t *shift)
{
    const struct interp_layer_params *lp = c->params;
    for (size_t i = 0; i < n; i++) {
        if (lp->n_mult > 0) {
            size_t j = lp->n_mult == 1 ? 0 : i < lp->n_mult ? i : lp->n_mult - 1;
            mult[i] = lp->mult[j];
            shift[i] = lp->shift[j];
        } else if (c->arith == INTERP_ARITH_TVM) {
            interp_multiplier_tvm(eff[i], &mult[i], &shift[i]);
        } else {
            interp_multiplier_tflite(eff[i], &mult[i], &shift[i]);
        }
    }
}

static const struct tensor_value *val(struct interp_ctx *c, int t, struct errbuf *eb, int *rc)
{
    const struct tensor_value *v = t >= 0 ? interp_value(c->ip, t) : NULL;
    if (!v && t >= 0)
        *rc = interp_node_error(c->g, c->node, ST_EINTERNAL, eb, "tensor %s has no value",
                                c->g->tensors[t].name);
    return v;
}

/*
 * What a Conv or MatMul layer's output stage needs, derived once per interpreter from the
 * tensors' quantization and the layer's settings (constants for its lifetime): one block,
 * mult and shift following the struct.
 */
struct accum_consts {
    size_t n_ch;                /* multipliers: per channel, or 1 */
    int32_t lo, hi;             /* the clamp, with a fused activation */
    int32_t in_zp, out_zp;
    int32_t *mult, *shift;      /* [n_ch] */
};

static int accum_consts_make(struct interp_ctx *c, const struct qlayer *q,
                             const struct accum_consts **out, struct errbuf *eb)
{
    const struct graph *g = c->g;
    const struct tensor *X = &g->tensors[q->x[0]], *W = &g->tensors[q->w];
    const struct tensor *Y = &g->tensors[q->y];
    size_t nw = W->quant.n, n_ch = nw > 1 ? nw : 1;
    struct accum_consts *k = mem_alloc(sizeof *k + 2 * n_ch * sizeof(int32_t));
    double *eff = mem_alloc(n_ch * sizeof *eff);
    if (!k || !eff) {
        mem_free(k);
        mem_free(eff);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    k->n_ch = n_ch;
    k->mult = (int32_t *)(void *)(k + 1);
    k->shift = k->mult + n_ch;
    /* TFLite/TVM: double(in_scale) * double(w_scale[c]) / double(out_scale) */
    for (size_t i = 0; i < n_ch; i++)
        eff[i] = (double)X->quant.scale[0] * (double)W->quant.scale[nw > 1 ? i : 0] /
                 (double)Y->quant.scale[0];
    derive(c, eff, n_ch, k->mult, k->shift);
    mem_free(eff);
    act_range(c, q, &k->lo, &k->hi);
    k->in_zp = X->quant.zero_point[0];
    k->out_zp = Y->quant.zero_point[0];
    if (c->params->has_offsets) {
        k->in_zp = -c->params->in_offset;
        k->out_zp = c->params->out_offset;
        k->lo = c->params->act_min;
        k->hi = c->params->act_max;
    }
    *out = k;
    return 0;
}

/* Conv (QDQ or QLinearConv) and MatMul/QLinearMatMul/Gemm (fully connected). */
static int run_accum(struct interp_ctx *c, struct errbuf *eb)
{
    struct qlayer q;
    if (resolve(c->g, c->layer, &q) != 0)
        return interp_node_error(c->g, c->node, ST_EINTERNAL, eb, "layer cannot be lowered");
    const struct graph *g = c->g;
    const struct tensor *W = &g->tensors[q.w], *Y = &g->tensors[q.y];
    int rc = 0;
    const struct tensor_value *x = val(c, q.x[0], eb, &rc), *w = val(c, q.w, eb, &rc);
    const struct tensor_value *b = val(c, q.b, eb, &rc);
    if (rc)
        return rc;
    size_t nw = W->quant.n;
    /* the output stage's constants, derived on the first run */
    const struct accum_consts *k = *c->plan_cache;
    if (!k) {
        rc = accum_consts_make(c, &q, &k, eb);
        if (rc)
            return rc;
        *c->plan_cache = (void *)k;
    }
    struct interp_requant rq = {
        .arith = c->arith, .single_rounding = c->params->single_rounding, .n = k->n_ch,
        .mult = k->mult, .shift = k->shift, .zp = k->out_zp, .qmin = k->lo, .qmax = k->hi,
    };
    int32_t in_zp = k->in_zp;
    struct tensor_value wzp = {.dtype = DTYPE_S32, .rank = 1, .dims = {(int64_t)nw},
                               .data = (void *)(uintptr_t)W->quant.zero_point,
                               .bytes = nw * sizeof(int32_t)};
    if (op_is(q.main, "Conv") || op_is(q.main, "QLinearConv")) {
        rc = interp_int_conv(c, x, in_zp, w, &wzp, b, &rq, Y->dtype, q.y_k, true, eb);
    } else if (op_is(q.main, "MatMul") || op_is(q.main, "QLinearMatMul")) {
        if (b)
            rc = interp_node_error(g, c->node, ST_EUNSUPPORTED, eb, "matmul with bias");
        else
            rc = interp_int_matmul(c, x, in_zp, w, &wzp, &rq, Y->dtype, q.y_k, true, eb);
    } else {
        rc = interp_node_error(g, c->node, ST_EINTERNAL, eb, "unexpected op %s", q.main->op);
    }
    return rc;
}

static int check_accum(const struct graph *g, int li, struct errbuf *eb)
{
    struct qlayer q;
    (void)eb;
    if (resolve(g, li, &q) != 0 || q.w < 0)
        return ST_EUNSUPPORTED;
    /* Gemm with its transposes and alpha/beta has no lowering here yet */
    if (op_is(q.main, "Gemm"))
        return ST_EUNSUPPORTED;
    return 0;
}

/* A two-input layer (Add, Mul) ready to run: its tensors, input values and output. */
struct qbin {
    struct qlayer q;
    const struct tensor *A, *B, *Y;         /* inputs and output (their quantization) */
    const struct tensor_value *a, *b;       /* input values, of Y's type */
    struct ref_shape sa, sb, sy;            /* shapes of a, b and the output */
    int rank;                               /* output shape: the inputs broadcast */
    int64_t d[GRAPH_MAX_RANK];
    void *o;                                /* output buffer */
};

static int binary_begin(struct interp_ctx *c, struct qbin *t, struct errbuf *eb)
{
    const struct graph *g = c->g;
    if (resolve(g, c->layer, &t->q) != 0)
        return interp_node_error(g, c->node, ST_EINTERNAL, eb, "layer cannot be lowered");
    t->A = &g->tensors[t->q.x[0]];
    t->B = &g->tensors[t->q.x[1]];
    t->Y = &g->tensors[t->q.y];
    int rc = 0;
    t->a = val(c, t->q.x[0], eb, &rc);
    t->b = val(c, t->q.x[1], eb, &rc);
    if (rc)
        return rc;
    if (t->a->dtype != t->b->dtype || t->a->dtype != t->Y->dtype)
        return interp_node_error(g, c->node, ST_EUNSUPPORTED, eb, "mixed input/output types");
    if (!interp_broadcast(t->a->rank, t->a->dims, t->b->rank, t->b->dims, &t->rank, t->d))
        return interp_node_error(g, c->node, ST_EINVAL, eb, "input shapes do not broadcast");
    rc = interp_out(c, t->q.y_k, t->Y->dtype, t->rank, t->d, &t->o, eb);
    if (rc)
        return rc;
    interp_ref_shape(t->a, &t->sa);
    interp_ref_shape(t->b, &t->sb);
    interp_ref_shape(&c->out[t->q.y_k], &t->sy);
    return 0;
}

/* A layer of `op` or `qop` (its QOperator form) with two quantized inputs. */
static int check_binary(const struct graph *g, int li, const char *op, const char *qop)
{
    struct qlayer q;
    if (resolve(g, li, &q) != 0 || q.x[1] < 0 || (!op_is(q.main, op) && !op_is(q.main, qop)))
        return ST_EUNSUPPORTED;
    return 0;
}

/*
 * Add: TFLM as TFLite/CMSIS-NN (left shift 20, inputs rescaled to twice the larger scale,
 * three requantizations; ARITHMETIC.md 2.4 and 3); TVM as qnn.add lowers: each input
 * requantized to the output scale (UPWARD), summed, clamped.
 */
static int run_add(struct interp_ctx *c, struct errbuf *eb)
{
    struct qbin t;
    int rc = binary_begin(c, &t, eb);
    if (rc)
        return rc;
    const struct tensor_value *a = t.a, *b = t.b;
    double s1 = t.A->quant.scale[0], s2 = t.B->quant.scale[0], so = t.Y->quant.scale[0];
    int32_t z1 = t.A->quant.zero_point[0], z2 = t.B->quant.zero_point[0];
    int32_t zo = t.Y->quant.zero_point[0];
    int32_t lo, hi;
    act_range(c, &t.q, &lo, &hi);
    size_t n = interp_elems(&c->out[t.q.y_k]);
    struct interp_bcast it;
    interp_bcast_init(&it, t.rank, t.d, a, b);
    bool s8 = a->dtype == DTYPE_S8;
    int32_t m[3], sh[3];
    const struct interp_layer_params *lp = c->params;
    int32_t left_shift = interp_add_multipliers(lp, c->arith, s1, s2, so, m, sh);
    if (c->arith == INTERP_ARITH_TVM) {
        for (size_t i = 0; i < n; i++, interp_bcast_next(&it)) {
            int32_t va = s8 ? ((const int8_t *)a->data)[it.oa] : ((const uint8_t *)a->data)[it.oa];
            int32_t vb = s8 ? ((const int8_t *)b->data)[it.ob] : ((const uint8_t *)b->data)[it.ob];
            /* qnn.requantize skips the multiply when the scales are equal */
            int32_t ra = s1 == so ? va - z1 : ref_q_multiply_shift_tvm(va - z1, m[0], sh[0]);
            int32_t rb = s2 == so ? vb - z2 : ref_q_multiply_shift_tvm(vb - z2, m[1], sh[1]);
            int32_t v = ra + rb + zo;
            v = v < lo ? lo : v > hi ? hi : v;
            if (s8)
                ((int8_t *)t.o)[i] = (int8_t)v;
            else
                ((uint8_t *)t.o)[i] = (uint8_t)v;
        }
        return 0;
    }
    struct ref_add_params p = {
        .round = c->params->single_rounding ? REF_ROUND_CMSIS_SINGLE : REF_ROUND_CMSIS_DOUBLE,
        .in1_zp = z1, .in2_zp = z2, .out_zp = zo, .left_shift = left_shift,
        .in1_mult = m[0], .in1_shift = sh[0], .in2_mult = m[1], .in2_shift = sh[1],
        .out_mult = m[2], .out_shift = sh[2], .act_min = lo, .act_max = hi,
    };
    if (lp->has_offsets) {
        p.out_zp = lp->out_offset;
        p.act_min = lp->act_min;
        p.act_max = lp->act_max;
    }
    /* n elements each: every dim of a and b is the output's or a 1 it drops, so both are
       laid out as the output (a [1, 1000] matmul plus its [1000] bias) */
    bool same = interp_elems(a) == n && interp_elems(b) == n;
    if (same && !c->params->single_rounding && left_shift <= 20) {
        int32_t zps[3] = {z1, z2, p.out_zp};
        interp_k_add_q8_tflm(a->data, b->data, t.o, s8, n, m, sh, zps, left_shift, p.act_min,
                             p.act_max);
        return 0;
    }
    int r = s8 ? ref_add_s8(&p, &t.sa, a->data, &t.sb, b->data, &t.sy, t.o)
               : ref_add_u8(&p, &t.sa, a->data, &t.sb, b->data, &t.sy, t.o);
    if (r != REF_OK)
        return interp_node_error(c->g, c->node, ST_EINVAL, eb, "add parameters out of range");
    return 0;
}

static int check_add(const struct graph *g, int li, struct errbuf *eb)
{
    (void)eb;
    return check_binary(g, li, "Add", "QLinearAdd");
}

/*
 * Mul (QDQ Mul, com.microsoft QLinearMul): requantize((a - za)(b - zb), f(s1 * s2 / so)) +
 * zo, clamp (ARITHMETIC.md 2.5); TFLM rounds as CMSIS-NN (double or single), TVM as
 * qnn.mul lowers (int32 product, requantize UPWARD).
 */
static int check_mul(const struct graph *g, int li, struct errbuf *eb)
{
    (void)eb;
    return check_binary(g, li, "Mul", "QLinearMul");
}

static int run_mul(struct interp_ctx *c, struct errbuf *eb)
{
    struct qbin t;
    int rc = binary_begin(c, &t, eb);
    if (rc)
        return rc;
    const struct tensor_value *a = t.a, *b = t.b;
    double eff = (double)t.A->quant.scale[0] * (double)t.B->quant.scale[0] /
                 (double)t.Y->quant.scale[0];
    int32_t m, sh;
    derive(c, &eff, 1, &m, &sh);
    int32_t lo, hi;
    act_range(c, &t.q, &lo, &hi);
    struct ref_mul_params p = {
        .in1_zp = t.A->quant.zero_point[0], .in2_zp = t.B->quant.zero_point[0],
        .rq = {.round = c->arith == INTERP_ARITH_TVM ? REF_ROUND_TVM_UPWARD
                        : c->params->single_rounding ? REF_ROUND_CMSIS_SINGLE
                                                     : REF_ROUND_CMSIS_DOUBLE,
               .n = 1, .mult = &m, .shift = &sh, .out_zp = t.Y->quant.zero_point[0],
               .act_min = lo, .act_max = hi},
    };
    if (c->params->has_offsets) {
        p.rq.out_zp = c->params->out_offset;
        p.rq.act_min = c->params->act_min;
        p.rq.act_max = c->params->act_max;
    }
    int r = a->dtype == DTYPE_S8 ? ref_mul_s8(&p, &t.sa, a->data, &t.sb, b->data, &t.sy, t.o)
                                 : ref_mul_u8(&p, &t.sa, a->data, &t.sb, b->data, &t.sy, t.o);
    if (r != REF_OK)
        return interp_node_error(c->g, c->node, ST_EINVAL, eb, "mul parameters out of range");
    return 0;
}

/*
 * AveragePool (TFLM only): arm_avgpool_s8 sums raw values and rounds ties away from zero; it
 * requires equal input and output quantization, so other layers stay in ONNX semantics.
 */
static int check_avgpool(const struct graph *g, int li, struct errbuf *eb)
{
    struct qlayer q;
    (void)eb;
    if (resolve(g, li, &q) != 0)
        return ST_EUNSUPPORTED;
    const struct tensor *X = &g->tensors[q.x[0]], *Y = &g->tensors[q.y];
    if (X->dtype != DTYPE_S8 || Y->dtype != DTYPE_S8 || X->quant.scale[0] != Y->quant.scale[0] ||
        X->quant.zero_point[0] != Y->quant.zero_point[0])
        return ST_EUNSUPPORTED;
    const struct node *m = q.main;
    if (node_attr_int(m, "count_include_pad", 0) != 0 || node_attr_int(m, "ceil_mode", 0) != 0)
        return ST_EUNSUPPORTED;
    const char *ap = node_attr_string(m, "auto_pad", "NOTSET");
    if (strcmp(ap, "NOTSET") != 0 && strcmp(ap, "VALID") != 0)
        return ST_EUNSUPPORTED;
    return 0;
}

static int run_avgpool(struct interp_ctx *c, struct errbuf *eb)
{
    struct qlayer q;
    if (resolve(c->g, c->layer, &q) != 0)
        return interp_node_error(c->g, c->node, ST_EINTERNAL, eb, "layer cannot be lowered");
    const struct graph *g = c->g;
    int rc = 0;
    const struct tensor_value *x = val(c, q.x[0], eb, &rc);
    if (rc)
        return rc;
    if (x->rank != 4)
        return interp_node_error(g, c->node, ST_EUNSUPPORTED, eb, "only 2-D pools are lowered");
    const struct node *m = q.main;
    bool global = op_is(m, "GlobalAveragePool");
    int64_t ks[2] = {x->dims[2], x->dims[3]}, st[2] = {1, 1}, dl[2] = {1, 1},
            pads[4] = {0, 0, 0, 0};
    if (!global) {
        const struct attr *a;
        if ((a = node_attr(m, "kernel_shape")) && a->n == 2)
            memcpy(ks, a->ints, sizeof ks);
        if ((a = node_attr(m, "strides")) && a->n == 2)
            memcpy(st, a->ints, sizeof st);
        if ((a = node_attr(m, "dilations")) && a->n == 2)
            memcpy(dl, a->ints, sizeof dl);
        if ((a = node_attr(m, "pads")) && a->n == 4)
            memcpy(pads, a->ints, sizeof pads);
    }
    int64_t oh = (x->dims[2] + pads[0] + pads[2] - ((ks[0] - 1) * dl[0] + 1)) / st[0] + 1;
    int64_t ow = (x->dims[3] + pads[1] + pads[3] - ((ks[1] - 1) * dl[1] + 1)) / st[1] + 1;
    int64_t d[4] = {x->dims[0], x->dims[1], oh, ow};
    int32_t lo, hi;
    act_range(c, &q, &lo, &hi);
    void *o;
    rc = interp_out(c, q.y_k, DTYPE_S8, 4, d, &o, eb);
    if (rc)
        return rc;
    struct ref_pool_params p = {
        .layout = REF_LAYOUT_NCHW, .kernel_h = (int32_t)ks[0], .kernel_w = (int32_t)ks[1],
        .stride_h = (int32_t)st[0], .stride_w = (int32_t)st[1], .dilation_h = (int32_t)dl[0],
        .dilation_w = (int32_t)dl[1], .pad_top = (int32_t)pads[0], .pad_left = (int32_t)pads[1],
        .pad_bottom = (int32_t)pads[2], .pad_right = (int32_t)pads[3],
        .round = REF_ROUND_CMSIS_DOUBLE, .act_min = lo, .act_max = hi,
    };
    struct ref_shape si, so;
    interp_ref_shape(x, &si);
    interp_ref_shape(&c->out[q.y_k], &so);
    if (ref_avgpool_s8(&p, &si, x->data, &so, o) != REF_OK)
        return interp_node_error(g, c->node, ST_EINVAL, eb, "pool parameters out of range");
    return 0;
}

/*
 * Softmax (TFLM only): arm_softmax_s8 fixed point over the last axis, output scale 1/256 and
 * zero point -128 (ARITHMETIC.md 2.8); parameters as TVM/TFLite derive them.
 */
static int check_softmax(const struct graph *g, int li, struct errbuf *eb)
{
    struct qlayer q;
    (void)eb;
    if (resolve(g, li, &q) != 0 || q.act >= 0)
        return ST_EUNSUPPORTED;
    const struct tensor *X = &g->tensors[q.x[0]], *Y = &g->tensors[q.y];
    if (X->dtype != DTYPE_S8 || Y->dtype != DTYPE_S8 || Y->quant.zero_point[0] != -128 ||
        Y->quant.scale[0] != 1.0f / 256.0f)
        return ST_EUNSUPPORTED;
    int64_t axis = node_attr_int(q.main, "axis", graph_opset(g, "") < 13 ? 1 : -1);
    if (X->rank < 1 || (axis != -1 && axis != X->rank - 1))
        return ST_EUNSUPPORTED;
    return 0;
}

static int run_softmax(struct interp_ctx *c, struct errbuf *eb)
{
    struct qlayer q;
    if (resolve(c->g, c->layer, &q) != 0)
        return interp_node_error(c->g, c->node, ST_EINTERNAL, eb, "layer cannot be lowered");
    int rc = 0;
    const struct tensor_value *x = val(c, q.x[0], eb, &rc);
    if (rc)
        return rc;
    void *o;
    rc = interp_out(c, q.y_k, DTYPE_S8, x->rank, x->dims, &o, eb);
    if (rc)
        return rc;
    struct ref_softmax_params p = {.axis = x->rank - 1, .round = REF_ROUND_CMSIS_DOUBLE};
    if (c->params->n_mult >= 1) {
        p.mult = c->params->mult[0];
        p.shift = c->params->shift[0];
        p.diff_min = c->params->act_min;
    } else if (ref_softmax_params_tvm(c->g->tensors[q.x[0]].quant.scale[0], &p.mult, &p.shift,
                                      &p.diff_min) != REF_OK) {
        return interp_node_error(c->g, c->node, ST_EINVAL, eb, "softmax scale out of range");
    }
    struct ref_shape s;
    interp_ref_shape(x, &s);
    if (ref_softmax_s8(&p, &s, x->data, &s, o) != REF_OK)
        return interp_node_error(c->g, c->node, ST_EINVAL, eb, "softmax parameters out of range");
    return 0;
}

#define BOTH ((1u << INTERP_ARITH_TFLM) | (1u << INTERP_ARITH_TVM))
#define TFLM (1u << INTERP_ARITH_TFLM)

/* TVM's own pool and softmax arithmetic is not modelled: those stay in ONNX semantics */
static const struct interp_lowering lowerings[] = {
    {"", "Conv", BOTH, check_accum, run_accum},
    {"", "QLinearConv", BOTH, check_accum, run_accum},
    {"", "MatMul", BOTH, check_accum, run_accum},
    {"", "QLinearMatMul", BOTH, check_accum, run_accum},
    {"", "Add", BOTH, check_add, run_add},
    {"com.microsoft", "QLinearAdd", BOTH, check_add, run_add},
    {"", "Mul", BOTH, check_mul, run_mul},
    {"com.microsoft", "QLinearMul", BOTH, check_mul, run_mul},
    {"", "AveragePool", TFLM, check_avgpool, run_avgpool},
    {"", "GlobalAveragePool", TFLM, check_avgpool, run_avgpool},
    {"", "Softmax", TFLM, check_softmax, run_softmax},
};

const struct interp_op_table interp_ops_lower = {
    NULL, 0, lowerings, sizeof lowerings / sizeof lowerings[0],
};
