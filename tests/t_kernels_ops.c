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
#include "../src/interp_int.h"
#include "../src/interp_kernels.h"
#include "../src/mem.h"

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
