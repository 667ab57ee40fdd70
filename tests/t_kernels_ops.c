/*
 * The interpreter's fast paths for data-movement and small ops (permute, reductions, pools,
 * 8-bit matmul, quantize) against plain index-by-index loops written here, on awkward shapes:
 * odd sizes, size-1 dims, ranks 1 to 6, tails that do not fill a vector. Results must be equal
 * bit for bit; the real models' tensors are compared with ONNX Runtime in t_interp.c.
 */
#include <math.h>
#include <string.h>

#include "test.h"

#include "../src/graph.h"
#include "../src/interp.h"
#include "../src/layers.h"
#include "../src/interp_int.h"
#include "../src/interp_kernels.h"
#include "../src/mem.h"
#include "../src/model.h"
#include "../ref/ref.h"

/* xorshift, fixed seed: deterministic */
static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* o[i] = x[sum idx[k] * st[k]] over the output index, one element at a time */
static void plain_permute(const void *x, void *o, size_t esize, int rank, const int64_t *d,
                          const int64_t *st)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)d[i];
    int64_t idx[GRAPH_MAX_RANK] = {0};
    for (size_t i = 0; i < n; i++) {
        int64_t off = 0;
        for (int k = 0; k < rank; k++)
            off += idx[k] * st[k];
        memcpy((char *)o + i * esize, (const char *)x + (size_t)off * esize, esize);
        interp_index_next(rank, d, idx);
    }
}

TEST(kernels_ops, permute_equals_plain_loop_for_ranks_1_to_6)
{
    uint32_t seed = 4242;
    static const size_t esizes[] = {1, 2, 4, 8, 3};
    for (int iter = 0; iter < 300; iter++) {
        int rank = 1 + iter % 6;
        int64_t in_d[GRAPH_MAX_RANK], in_st[GRAPH_MAX_RANK], perm[GRAPH_MAX_RANK];
        size_t n = 1;
        for (int i = 0; i < rank; i++) {
            /* size-1 dims and odd sizes on purpose */
            in_d[i] = rnd(&seed) % 4 == 0 ? 1 : (int64_t)(1 + rnd(&seed) % (rank > 4 ? 4 : 9));
            n *= (size_t)in_d[i];
            perm[i] = i;
        }
        if (iter % 37 == 5)
            in_d[rank - 1] = 0, n = 0;
        for (int i = rank - 1; i > 0; i--) {
            int j = (int)(rnd(&seed) % (uint32_t)(i + 1));
            int64_t t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        if (iter % 9 == 0 && rank >= 3) {   /* a channel shuffle: swap two middle dims */
            for (int i = 0; i < rank; i++)
                perm[i] = i;
            perm[1] = 2;
            perm[2] = 1;
        }
        int64_t s = 1;
        for (int i = rank - 1; i >= 0; i--) {
            in_st[i] = s;
            s *= in_d[i];
        }
        int64_t d[GRAPH_MAX_RANK], st[GRAPH_MAX_RANK];
        for (int i = 0; i < rank; i++) {
            d[i] = in_d[perm[i]];
            st[i] = in_st[perm[i]];
        }
        size_t es = esizes[iter % 5];
        size_t bytes = (n ? n : 1) * es;
        unsigned char *x = mem_alloc(bytes), *o1 = mem_alloc(bytes), *o2 = mem_alloc(bytes);
        REQUIRE(x && o1 && o2);
        for (size_t i = 0; i < bytes; i++)
            x[i] = (unsigned char)rnd(&seed);
        memset(o1, 0xa5, bytes);
        memset(o2, 0xa5, bytes);
        plain_permute(x, o1, es, rank, d, st);
        interp_k_permute(x, o2, es, rank, d, st);
        CHECK_MEM(o2, o1, bytes);
        mem_free(x);
        mem_free(o1);
        mem_free(o2);
    }
}

/* Reduce: o[out index] op= x[i] for every i in input order, one element at a time */
static void plain_reduce(const char *op, const float *x, int rank, const int64_t *dims,
                         const bool *red, float *o, size_t no)
{
    bool mx = strcmp(op, "ReduceMax") == 0, mn = strcmp(op, "ReduceMin") == 0;
    for (size_t i = 0; i < no; i++)
        o[i] = mx ? -INFINITY : mn ? INFINITY : 0.0f;
    size_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= (size_t)dims[i];
    int64_t idx[GRAPH_MAX_RANK] = {0};
    for (size_t i = 0; i < n; i++) {
        size_t off = 0;
        for (int k = 0; k < rank; k++)
            if (!red[k])
                off = off * (size_t)dims[k] + (size_t)idx[k];
        float v = x[i];
        if (mx)
            o[off] = v > o[off] ? v : o[off];
        else if (mn)
            o[off] = v < o[off] ? v : o[off];
        else
            o[off] += v;
        interp_index_next(rank, dims, idx);
    }
    if (strcmp(op, "ReduceMean") == 0)
        for (size_t i = 0; i < no; i++)
            o[i] /= (float)(n / no);
}

/* Runs a one-node graph op(x) (opset 13, attribute axes) and compares with plain_reduce. */
static void check_reduce(struct test_ctx *t_, const char *op, int rank, const int64_t *dims,
                         const bool *red, bool keep, const float *x)
{
    struct errbuf eb;
    errbuf_init(&eb);
    struct graph g;
    graph_init(&g);
    g.path = "mem.onnx";
    static const struct opset ops[] = {{"", 13}};
    g.opsets = ops;
    g.n_opsets = 1;
    int xt = graph_tensor(&g, "x", &eb), yt = graph_tensor(&g, "y", &eb);
    REQUIRE(xt >= 0 && yt >= 0);
    g.tensors[xt].flags |= TENSOR_INPUT;
    g.tensors[xt].dtype = DTYPE_F32;
    g.tensors[xt].rank = rank;
    memcpy(g.tensors[xt].dims, dims, sizeof(int64_t) * (size_t)rank);
    g.tensors[yt].flags |= TENSOR_OUTPUT;
    int64_t axes[GRAPH_MAX_RANK];
    size_t na = 0, n = 1, no = 1;
    for (int i = 0; i < rank; i++) {
        n *= (size_t)dims[i];
        if (red[i])
            axes[na++] = i - (i % 2 ? rank : 0);    /* negative axes too */
        else
            no *= (size_t)dims[i];
    }
    struct attr attrs[2] = {
        {.name = "axes", .type = ATTR_INTS, .n = na, .ints = axes},
        {.name = "keepdims", .type = ATTR_INT, .i = keep},
    };
    int ins[1] = {xt}, outs[1] = {yt};
    struct node spec = {.name = "n0", .op = op, .domain = "", .n_inputs = 1, .inputs = ins,
                        .n_outputs = 1, .outputs = outs, .n_attrs = 2, .attrs = attrs,
                        .layer = -1};
    REQUIRE(graph_add_node(&g, &spec, &eb) >= 0);
    REQUIRE(graph_finish(&g, &eb) == 0);
    REQUIRE(layers_form(&g, &eb) == 0);
    struct interp_options opts = {.arith = INTERP_ARITH_ONNX};
    struct interp *ip = NULL;
    struct tensor_value xv = {.dtype = DTYPE_F32, .rank = rank, .data = (void *)x,
                              .bytes = n * sizeof(float)};
    memcpy(xv.dims, dims, sizeof(int64_t) * (size_t)rank);
    REQUIRE(interp_new(&g, &opts, &ip, &eb) == 0);
    REQUIRE(interp_set_input(ip, xt, &xv, &eb) == 0);
    REQUIRE(interp_run(ip, &eb) == 0);
    const struct tensor_value *y = interp_value(ip, yt);
    REQUIRE(y);
    float *want = mem_alloc(no * sizeof(float));
    REQUIRE(want);
    plain_reduce(op, x, rank, dims, red, want, no);
    CHECK_EQ_INT((long)y->bytes, (long)(no * sizeof(float)));
    if (y->bytes == no * sizeof(float))
        CHECK_MEM(y->data, want, no * sizeof(float));
    mem_free(want);
    interp_free(ip);
    graph_release(&g);
}

TEST(kernels_ops, reduce_equals_plain_loop_in_input_order)
{
    uint32_t seed = 99;
    static const char *const ops[] = {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin"};
    for (int iter = 0; iter < 120; iter++) {
        int rank = 1 + iter % 5;
        int64_t dims[GRAPH_MAX_RANK];
        bool red[GRAPH_MAX_RANK];
        size_t n = 1;
        bool any = false;
        for (int i = 0; i < rank; i++) {
            dims[i] = rnd(&seed) % 5 == 0 ? 1 : (int64_t)(1 + rnd(&seed) % 13);
            red[i] = rnd(&seed) % 2;
            any |= red[i];
            n *= (size_t)dims[i];
        }
        if (!any)
            red[rank - 1] = true;
        if (iter % 10 == 3 && rank >= 2) {  /* the global-average-pool shape, odd row counts */
            dims[rank - 2] = 8 * (int64_t)(1 + rnd(&seed) % 4) + iter % 7;
            for (int i = 0; i < rank; i++)
                red[i] = i == rank - 1;
            n = 1;
            for (int i = 0; i < rank; i++)
                n *= (size_t)dims[i];
        }
        float *x = mem_alloc(n * sizeof(float));
        REQUIRE(x);
        /* values of very different magnitudes: any change of summation order shows */
        for (size_t i = 0; i < n; i++)
            x[i] = (float)((int32_t)(rnd(&seed) % 2001) - 1000) *
                   (rnd(&seed) % 3 == 0 ? 1e-7f : 1.0f) * 0.37f;
        check_reduce(t_, ops[iter % 4], rank, dims, red, iter % 3 != 0, x);
        mem_free(x);
    }
}

TEST(kernels_ops, packed_int8_matmul_equals_plain_kernel)
{
    uint32_t seed = 31337;
    for (int iter = 0; iter < 80; iter++) {
        size_t M = 1 + rnd(&seed) % 5, K = 1 + rnd(&seed) % 70, N = 1 + rnd(&seed) % 150;
        if (iter == 0)
            M = 1, K = 1024, N = 1000;  /* ShuffleNet v2's classifier */
        bool a_s = rnd(&seed) % 2, b_s = rnd(&seed) % 2, o_s = rnd(&seed) % 2;
        bool per_col = rnd(&seed) % 2, raw = iter % 4 == 1;
        int32_t a_zp = a_s ? (int32_t)(rnd(&seed) % 256) - 128 : (int32_t)(rnd(&seed) % 256);
        if (iter % 7 == 2)
            a_zp = (int32_t)(rnd(&seed) % 60001) - 30000;   /* a TFLM offset far outside */
        if (!interp_k_matmul_q8_packs(a_s, a_zp))
            continue;
        uint8_t *a = mem_alloc(M * K), *b = mem_alloc(K * N);
        int32_t *bz = mem_alloc(N * 4), *mult = mem_alloc(N * 4), *shift = mem_alloc(N * 4);
        int32_t *o1 = mem_alloc(M * N * 4), *o2 = mem_alloc(M * N * 4);
        REQUIRE(a && b && bz && mult && shift && o1 && o2);
        for (size_t i = 0; i < M * K; i++)
            a[i] = (uint8_t)rnd(&seed);
        for (size_t i = 0; i < K * N; i++)
            b[i] = (uint8_t)rnd(&seed);
        int32_t z0 = b_s ? (int32_t)(rnd(&seed) % 256) - 128 : (int32_t)(rnd(&seed) % 256);
        for (size_t j = 0; j < N; j++) {
            bz[j] = per_col ? (b_s ? (int32_t)(rnd(&seed) % 256) - 128
                                   : (int32_t)(rnd(&seed) % 256)) : z0;
            interp_multiplier_tvm(0.00001 + (rnd(&seed) % 1000) * 1e-6, &mult[j], &shift[j]);
        }
        struct interp_requant rq = {
            .arith = INTERP_ARITH_TFLM, .n = per_col ? N : 1, .mult = mult, .shift = shift,
            .zp = (int32_t)(rnd(&seed) % 21) - 10, .qmin = o_s ? -128 : 0, .qmax = o_s ? 127 : 255,
        };
        struct interp_mm mm = {.m = M, .k = K, .n = N};
        interp_k_matmul_q8(&mm, a, a_s, a_zp, b, b_s, bz, raw ? NULL : &rq, o1, o_s, false);
        struct interp_mmq8_b *p = interp_k_matmul_q8_prepare(b, b_s, K, N);
        int32_t *ap = mem_alloc(interp_k_matmul_q8_scratch_len(M, K) * 4);
        REQUIRE(p && ap);
        CHECK(interp_k_matmul_q8_prepared_for(p, b, b_s, K, N));
        CHECK(!interp_k_matmul_q8_prepared_for(p, b, !b_s, K, N));
        size_t bytes = M * N * (raw ? 4 : 1);
        for (int simd = 0; simd < 2; simd++) {
            memset(o2, 0x5a, M * N * 4);
            interp_k_matmul_q8_packed(p, M, a, a_s, a_zp, bz, raw ? NULL : &rq, o2, o_s,
                                      simd == 1, ap);
            CHECK_MEM(o2, o1, bytes);
        }
        mem_free(p);
        mem_free(ap);
        mem_free(a);
        mem_free(b);
        mem_free(bz);
        mem_free(mult);
        mem_free(shift);
        mem_free(o1);
        mem_free(o2);
    }
}

/* Max pool by definition: every output the max of its in-bounds taps, lowest when none. */
#define PLAIN_MAXPOOL(T, NAME, LOWEST)                                                     \
    static void NAME(const struct interp_kgeom *g, size_t planes, const T *x, T *o)        \
    {                                                                                      \
        size_t I = g->in[0] * g->in[1] * g->in[2], p = 0;                                  \
        for (size_t pl = 0; pl < planes; pl++)                                             \
            for (size_t a = 0; a < g->out[0]; a++)                                         \
                for (size_t b = 0; b < g->out[1]; b++)                                     \
                    for (size_t c = 0; c < g->out[2]; c++, p++) {                          \
                        T m = LOWEST;                                                      \
                        size_t oo[3] = {a, b, c};                                          \
                        for (size_t t = 0; t < g->k[0] * g->k[1] * g->k[2]; t++) {         \
                            size_t kk[3] = {t / (g->k[1] * g->k[2]),                       \
                                            t / g->k[2] % g->k[1], t % g->k[2]};           \
                            int64_t ii[3];                                                 \
                            bool in = true;                                                \
                            for (int j = 0; j < 3; j++) {                                  \
                                ii[j] = (int64_t)(oo[j] * g->s[j] + kk[j] * g->d[j]) -     \
                                        (int64_t)g->pb[j];                                 \
                                in &= ii[j] >= 0 && ii[j] < (int64_t)g->in[j];             \
                            }                                                              \
                            if (!in)                                                       \
                                continue;                                                  \
                            T v = x[pl * I + ((size_t)ii[0] * g->in[1] + (size_t)ii[1]) *  \
                                                 g->in[2] + (size_t)ii[2]];                \
                            m = v > m ? v : m;                                             \
                        }                                                                  \
                        o[p] = m;                                                          \
                    }                                                                      \
    }
PLAIN_MAXPOOL(uint8_t, plain_maxpool_u8, 0)
PLAIN_MAXPOOL(int8_t, plain_maxpool_s8, -128)

TEST(kernels_ops, int8_maxpool_equals_plain_loop)
{
    uint32_t seed = 2024;
    for (int iter = 0; iter < 200; iter++) {
        struct interp_kgeom g = {.in = {1, 1, 1}, .out = {1, 1, 1}, .k = {1, 1, 1},
                                 .s = {1, 1, 1}, .d = {1, 1, 1}, .pb = {0, 0, 0}};
        int first = iter % 5 == 0 ? 0 : 1;  /* some 3-D pools (the plain walk) */
        for (int j = first; j < 3; j++) {
            g.in[j] = 1 + rnd(&seed) % 13;
            g.k[j] = 1 + rnd(&seed) % 4;
            g.s[j] = 1 + rnd(&seed) % 3;
            g.d[j] = rnd(&seed) % 4 == 0 ? 2 : 1;
            g.pb[j] = rnd(&seed) % 3;
            if (g.pb[j] >= g.k[j])
                g.pb[j] = g.k[j] - 1;
            size_t pe = rnd(&seed) % 2, span = g.d[j] * (g.k[j] - 1) + 1;
            if (g.in[j] + g.pb[j] + pe < span)
                g.in[j] = span;
            g.out[j] = (g.in[j] + g.pb[j] + pe - span) / g.s[j] + 1;
        }
        if (iter == 1) {    /* ShuffleNet v2's: 3x3 stride 2 pad 1 over 112x112 */
            g = (struct interp_kgeom){.in = {1, 112, 112}, .out = {1, 56, 56}, .k = {1, 3, 3},
                                      .s = {1, 2, 2}, .d = {1, 1, 1}, .pb = {0, 1, 1}};
        }
        size_t planes = 1 + rnd(&seed) % 3;
        size_t ni = planes * g.in[0] * g.in[1] * g.in[2];
        size_t no = planes * g.out[0] * g.out[1] * g.out[2];
        uint8_t *x = mem_alloc(ni), *o1 = mem_alloc(no), *o2 = mem_alloc(no);
        REQUIRE(x && o1 && o2);
        for (size_t i = 0; i < ni; i++)
            x[i] = (uint8_t)rnd(&seed);
        plain_maxpool_u8(&g, planes, x, o1);
        memset(o2, 0xa5, no);
        interp_k_maxpool_u8(&g, planes, x, o2);
        CHECK_MEM(o2, o1, no);
        plain_maxpool_s8(&g, planes, (const int8_t *)x, (int8_t *)o1);
        memset(o2, 0xa5, no);
        interp_k_maxpool_s8(&g, planes, (const int8_t *)x, (int8_t *)o2);
        CHECK_MEM(o2, o1, no);
        mem_free(x);
        mem_free(o1);
        mem_free(o2);
    }
}

/* A node of the graph built in concat_in_place_*: op(ins) -> outs. */
static void add_node(struct test_ctx *t_, struct graph *g, const char *name, const char *op,
                     const int *ins, size_t n_in, int out, const struct attr *attrs,
                     size_t n_attrs)
{
    struct errbuf eb;
    errbuf_init(&eb);
    int outs[1] = {out};
    struct node spec = {.name = name, .op = op, .domain = "", .n_inputs = n_in, .inputs = ins,
                        .n_outputs = 1, .outputs = outs, .n_attrs = n_attrs, .attrs = attrs,
                        .layer = -1};
    REQUIRE(graph_add_node(g, &spec, &eb) >= 0);
}

/*
 * y = Concat(Relu(x), Neg(x), Abs(x)) along `axis`, z = Sigmoid(Neg(x)): Relu's and Abs's
 * outputs can be written in place, Neg's has two readers and is copied. Static shapes say
 * x is `st`; the run gives `run` dims. y must be the plain concatenation every run.
 */
static void check_concat_in_place(struct test_ctx *t_, int axis, const int64_t *st,
                                  const int64_t *run, bool capture)
{
    struct errbuf eb;
    errbuf_init(&eb);
    struct graph g;
    graph_init(&g);
    g.path = "mem.onnx";
    static const struct opset ops[] = {{"", 13}};
    g.opsets = ops;
    g.n_opsets = 1;
    static const char *const names[] = {"x", "a", "b", "c", "y", "z"};
    int t[6];
    for (int i = 0; i < 6; i++) {
        t[i] = graph_tensor(&g, names[i], &eb);
        REQUIRE(t[i] >= 0);
        struct tensor *T = &g.tensors[t[i]];
        T->dtype = DTYPE_F32;
        T->rank = 4;
        memcpy(T->dims, st, 4 * sizeof(int64_t));
        if (i == 4)
            T->dims[axis] *= 3;
    }
    g.tensors[t[0]].flags |= TENSOR_INPUT;
    for (int i = 0; i < 4; i++)
        g.tensors[t[0]].dims[i] = -1;   /* any shape at run time */
    g.tensors[t[4]].flags |= TENSOR_OUTPUT;
    g.tensors[t[5]].flags |= TENSOR_OUTPUT;
    struct attr ax = {.name = "axis", .type = ATTR_INT, .i = axis};
    add_node(t_, &g, "relu", "Relu", &t[0], 1, t[1], NULL, 0);
    add_node(t_, &g, "neg", "Neg", &t[0], 1, t[2], NULL, 0);
    add_node(t_, &g, "abs", "Abs", &t[0], 1, t[3], NULL, 0);
    add_node(t_, &g, "cat", "Concat", &t[1], 3, t[4], &ax, 1);
    add_node(t_, &g, "sig", "Sigmoid", &t[2], 1, t[5], NULL, 0);
    REQUIRE(graph_finish(&g, &eb) == 0);
    REQUIRE(layers_form(&g, &eb) == 0);
    size_t n = 1, outer = 1, inner = 1;
    for (int i = 0; i < 4; i++) {
        n *= (size_t)run[i];
        if (i < axis)
            outer *= (size_t)run[i];
        else
            inner *= (size_t)run[i];
    }
    float *x = mem_alloc(n * 4), *want = mem_alloc(3 * n * 4);
    REQUIRE(x && want);
    uint32_t seed = 77;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((int32_t)(rnd(&seed) % 201) - 100) * 0.25f;
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            float v = x[o * inner + i];
            want[(o * 3 + 0) * inner + i] = v > 0 ? v : 0;
            want[(o * 3 + 1) * inner + i] = -v;
            want[(o * 3 + 2) * inner + i] = fabsf(v);
        }
    struct interp_options opts = {.arith = INTERP_ARITH_ONNX, .capture = capture};
    struct interp *ip = NULL;
    struct tensor_value xv = {.dtype = DTYPE_F32, .rank = 4, .data = x, .bytes = n * 4};
    memcpy(xv.dims, run, 4 * sizeof(int64_t));
    REQUIRE(interp_new(&g, &opts, &ip, &eb) == 0);
    for (int r = 0; r < 3; r++) {
        REQUIRE(interp_set_input(ip, t[0], &xv, &eb) == 0);
        REQUIRE(interp_run(ip, &eb) == 0);
        const struct tensor_value *y = interp_value(ip, t[4]), *z = interp_value(ip, t[5]);
        REQUIRE(y && z);
        CHECK_EQ_INT((long)y->bytes, (long)(3 * n * 4));
        if (y->bytes == 3 * n * 4)
            CHECK_MEM(y->data, want, 3 * n * 4);
        CHECK_NEAR(((const float *)z->data)[0], 1.0 / (1.0 + exp((double)x[0])), 1e-6);
    }
    mem_free(x);
    mem_free(want);
    interp_free(ip);
    graph_release(&g);
}

TEST(kernels_ops, concat_inputs_written_in_place_equal_a_plain_concatenation)
{
    static const int64_t s1[4] = {1, 3, 2, 5}, s2[4] = {1, 1, 4, 3}, s3[4] = {2, 3, 2, 5};
    check_concat_in_place(t_, 1, s1, s1, false);    /* planned, two inputs in place */
    check_concat_in_place(t_, 1, s1, s1, true);     /* the same, every value kept */
    check_concat_in_place(t_, 2, s2, s2, false);    /* axis 2 after a 1: planned too */
    check_concat_in_place(t_, 2, s1, s1, false);    /* dims before the axis not 1: copies */
    check_concat_in_place(t_, 1, s1, s3, false);    /* static shapes wrong: copies */
    check_concat_in_place(t_, 1, s3, s1, true);     /* (the other way round) */
}

/*
 * ShuffleNet v2's last layer, QLinearAdd of the [1, 1000] matmul and the [1000] bias, in
 * TFLM mode takes the flat int8/uint8 add kernel (same element count, different rank): its
 * output equals ref/'s broadcasting add on the captured inputs with the layer's parameters.
 */
TEST(kernels_ops, tflm_add_of_bias_with_fewer_dims_equals_ref_broadcast_add)
{
    const char *model = "tests/data/onnx-models/shufflenet-v2-12-int8-qop/model.onnx";
    const char *in[] = {"tests/data/onnx-models/shufflenet-v2-12-int8-qop/test_data_set_0/"
                        "input_0.pb"};
    struct errbuf eb;
    errbuf_init(&eb);
    struct graph g;
    graph_init(&g);
    struct interp_inputs ins = {0};
    struct interp *ip = NULL;
    struct interp_options opts = {.arith = INTERP_ARITH_TFLM, .capture = true};
    REQUIRE(model_load(&g, model, NULL, &eb) == 0);
    REQUIRE(interp_inputs_load(&g, 1, in, DTYPE_UNKNOWN, 0, NULL, &ins, &eb) == 0);
    REQUIRE(interp_new(&g, &opts, &ip, &eb) == 0);
    REQUIRE(interp_inputs_bind(ip, &ins, &eb) == 0);
    REQUIRE(interp_run(ip, &eb) == 0);
    int ta = graph_find_tensor(&g, "output_MatMul_quantized");
    int tb = graph_find_tensor(&g, "fc.bias_quantized");
    int ty = graph_find_tensor(&g, "output_quantized");
    REQUIRE(ta >= 0 && tb >= 0 && ty >= 0);
    const struct tensor_value *a = interp_value(ip, ta), *b = interp_value(ip, tb),
                              *y = interp_value(ip, ty);
    REQUIRE(a && b && y && a->dtype == DTYPE_U8 && b->dtype == DTYPE_U8);
    CHECK_EQ_INT(a->rank, 2);
    CHECK_EQ_INT(b->rank, 1);
    const struct tensor *A = &g.tensors[ta], *B = &g.tensors[tb], *Y = &g.tensors[ty];
    struct interp_layer_params lp = {.arith = INTERP_ARITH_TFLM};
    int32_t m[3], sh[3];
    int32_t ls = interp_add_multipliers(&lp, INTERP_ARITH_TFLM, A->quant.scale[0],
                                        B->quant.scale[0], Y->quant.scale[0], m, sh);
    struct ref_add_params p = {
        .round = REF_ROUND_CMSIS_DOUBLE, .in1_zp = A->quant.zero_point[0],
        .in2_zp = B->quant.zero_point[0], .out_zp = Y->quant.zero_point[0], .left_shift = ls,
        .in1_mult = m[0], .in1_shift = sh[0], .in2_mult = m[1], .in2_shift = sh[1],
        .out_mult = m[2], .out_shift = sh[2], .act_min = 0, .act_max = 255,
    };
    struct ref_shape as = {2, {1, 1000}}, bs = {1, {1000}}, ys = {2, {1, 1000}};
    uint8_t want[1000];
    REQUIRE(interp_elems(a) == 1000 && interp_elems(y) == 1000);
    CHECK_EQ_INT(ref_add_u8(&p, &as, a->data, &bs, b->data, &ys, want), REF_OK);
    CHECK_MEM(y->data, want, 1000);
    interp_free(ip);
    interp_inputs_release(&ins);
    graph_release(&g);
}

/* QuantizeLinear as MLAS computes it: x / scale in float32, clamp, round half to even. */
static int32_t plain_quantize(float x, float scale, bool is_signed, int32_t zp)
{
    float lo = (float)((is_signed ? -128 : 0) - zp), hi = (float)((is_signed ? 127 : 255) - zp);
    float v = x / scale;
    if (v != v)
        return zp;
    v = v < lo ? lo : v > hi ? hi : v;
    return (int32_t)nearbyintf(v) + zp;
}

/*
 * The quantize kernel (which multiplies by 1/scale where that is provably the same) against
 * the division, on random values and on exact and near half-way quotients, the clamp edges,
 * infinities and NaN, for both signs of output and awkward scales.
 */
TEST(kernels_ops, quantize_equals_division_at_ties_and_edges)
{
    static const float scales[] = {0.1f, 0.0078125f, 0.0235294f, 3.0f, 1e-6f, 0.017f};
    uint32_t seed = 2024;
    enum { N = 4099 };
    float *x = mem_alloc(N * sizeof *x);
    uint8_t *o = mem_alloc(N);
    REQUIRE(x && o);
    for (size_t si = 0; si < sizeof scales / sizeof scales[0]; si++) {
        float s = scales[si];
        for (int sg = 0; sg < 2; sg++) {
            int32_t zp = sg ? (int32_t)(rnd(&seed) % 21) - 10 : 128 + (int32_t)(rnd(&seed) % 9);
            for (size_t i = 0; i < N; i++) {
                uint32_t k = rnd(&seed);
                float q = (float)((int32_t)(k % 601) - 300);
                switch (k >> 29) {
                case 0:     /* exactly half-way, as far as float allows */
                    x[i] = (q + 0.5f) * s;
                    break;
                case 1:     /* one ulp either side of half-way */
                    x[i] = nextafterf((q + 0.5f) * s, (k & 1) ? INFINITY : -INFINITY);
                    break;
                case 2:
                    x[i] = q * s;
                    break;
                case 3:     /* special values */
                    x[i] = (k & 3) == 0 ? INFINITY : (k & 3) == 1 ? -INFINITY
                         : (k & 3) == 2 ? NAN : -0.0f;
                    break;
                default:
                    x[i] = ((float)(int32_t)(k % 2000001) - 1000000.0f) * s / 1000.0f;
                }
            }
            interp_k_quantize(x, o, sg, N, s, zp);
            size_t bad = 0, first = 0;
            for (size_t i = 0; i < N; i++) {
                int32_t want = plain_quantize(x[i], s, sg, zp);
                int32_t got = sg ? (int32_t)(int8_t)o[i] : (int32_t)o[i];
                if (got != want && bad++ == 0)
                    first = i;
            }
            if (bad)
                test_fail(t_, __FILE__, __LINE__,
                          "scale %g zp %d: %zu differ, first x = %.9g: got %d, want %d", s, zp,
                          bad, x[first], sg ? (int8_t)o[first] : o[first],
                          plain_quantize(x[first], s, sg, zp));
        }
    }
    mem_free(x);
    mem_free(o);
}
