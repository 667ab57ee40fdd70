/*
 * Tests of the MLF reader against real MLF trees (tests/data/mlf, MLPerf Tiny v1.0 builds and
 * a TVM 0.9.dev0 sine model), their source .tflite models, and small hand-written trees for
 * the variants those lack (tests/data/mlf-hand: metadata v7 + partitioned Relay, graph
 * executor, 2021 AOT). Expected numbers are counted here from the C text independently of
 * the reader, or taken from the fixtures' READMEs and the literals in the files.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#include "../src/cmd.h"
#include "../src/fileio.h"
#include "../src/mem.h"
#include "../src/mlf.h"
#include "../src/sbuf.h"

static const char *const fixtures[] = {
    "mlperf-tiny-v1.0-nucleo-cmsis_nn-ad",
    "mlperf-tiny-v1.0-nucleo-cmsis_nn-ic",
    "mlperf-tiny-v1.0-nucleo-cmsis_nn-kws",
    "mlperf-tiny-v1.0-nucleo-cmsis_nn-vww",
    "mlperf-tiny-v1.0-nucleo-native-ad",
    "mlperf-tiny-v1.0-nucleo-native-ic",
    "sine-v5-tvm0.9dev",
};
#define N_FIXTURES (sizeof fixtures / sizeof fixtures[0])

static const char *const kernel_names[] = {
    "arm_convolve_wrapper_s8", "arm_depthwise_conv_wrapper_s8",
    "arm_fully_connected_s8",  "arm_avgpool_s8",
    "arm_max_pool_s8",         "arm_softmax_s8",
    "arm_elementwise_add_s8",  "arm_elementwise_mul_s8",
};

static size_t count_str(const char *hay, size_t n, const char *needle)
{
    size_t c = 0, nl = strlen(needle);
    for (const char *p = hay; (p = memmem(p, n - (size_t)(p - hay), needle, nl)) != NULL; p += nl)
        c++;
    return c;
}

/* All codegen/host/src/ C files of an MLF folder concatenated (heap; mem_free). */
static char *read_c_text(const char *mlf_dir, size_t *len)
{
    char dir[512];
    struct sbuf sb;
    sbuf_init(&sb);
    snprintf(dir, sizeof dir, "%s/codegen/host/src", mlf_dir);
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!fileio_has_suffix(e->d_name, ".c"))
            continue;
        char *path = fileio_join(dir, e->d_name);
        size_t n = 0;
        unsigned char *data = test_read_file(path, &n);
        if (data != NULL)
            sbuf_addn(&sb, (const char *)data, n);
        sbuf_addc(&sb, '\n');
        mem_free(data);
        mem_free(path);
    }
    closedir(d);
    *len = sb.len;
    return sbuf_detach(&sb);
}

static size_t c_type_bytes(const char *t)
{
    if (strncmp(t, "int8_t", 6) == 0 || strncmp(t, "uint8_t", 7) == 0)
        return 1;
    if (strncmp(t, "int16_t", 7) == 0)
        return 2;
    if (strncmp(t, "int32_t", 7) == 0 || strncmp(t, "float", 5) == 0)
        return 4;
    if (strncmp(t, "int64_t", 7) == 0 || strncmp(t, "double", 6) == 0)
        return 8;
    return 0;
}

/* Independent count of the constants in the C: "of total size N" or static const arrays. */
static void count_constants(const char *c, size_t n, size_t *count, size_t *bytes)
{
    *count = count_str(c, n, "aligned offset: ");
    *bytes = 0;
    const char *ts = memmem(c, n, "// of total size ", 17);
    if (ts != NULL) {
        *bytes = strtoul(ts + 17, NULL, 10);
        return;
    }
    const char *key = "static const ";
    for (const char *p = c; (p = memmem(p, n - (size_t)(p - c), key, strlen(key))) != NULL; p++) {
        const char *eol = memchr(p, '\n', n - (size_t)(p - c));
        const char *lb = memchr(p, '[', (size_t)(eol - p));
        if (lb == NULL || memchr(p, '=', (size_t)(eol - p)) == NULL)
            continue;
        (*count)++;
        *bytes += strtoul(lb + 1, NULL, 10) * c_type_bytes(p + strlen(key));
    }
}

/* A one-string summary of what the reader found, to compare folder/tar/tgz. */
static void summary(const struct mlf *m, struct sbuf *sb)
{
    sbuf_printf(sb, "steps %zu funcs %zu consts %zu pools %zu parts %zu params %zu warn %zu\n",
                m->n_steps, m->n_functions, m->n_constants, m->n_pools, m->n_partitions,
                m->n_params, m->n_warnings);
    for (size_t i = 0; i < m->n_steps; i++) {
        sbuf_printf(sb, "%s", m->steps[i].function);
        for (size_t a = 0; a < m->steps[i].n_args; a++)
            sbuf_printf(sb, " %s:%zu", mlf_arg_kind_name(m->steps[i].args[a].kind),
                        m->steps[i].args[a].offset);
        sbuf_addc(sb, '\n');
    }
    for (size_t i = 0; i < m->n_constants; i++) {
        const struct mlf_constant *c = &m->constants[i];
        unsigned h = 0;
        for (size_t b = 0; c->data && b < c->bytes; b++)
            h = h * 31 + ((const unsigned char *)c->data)[b];
        sbuf_printf(sb, "%s %zu %zu %x\n", c->name, c->bytes, c->offset, h);
    }
}

static int sh3(char *cmd, size_t cap, int n)
{
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return system(cmd);
}

TEST(mlf, fixtures_folder_tar_tgz_same)
{
    const char *tmp = test_tmpdir(t_);
    for (size_t i = 0; i < N_FIXTURES; i++) {
        char dir[256], tar[512], tgz[512];
        struct mlf m;
        struct errbuf eb;
        struct sbuf s0, s1, s2;
        snprintf(dir, sizeof dir, "tests/data/mlf/%s", fixtures[i]);
        snprintf(tar, sizeof tar, "%s/%zu.tar", tmp, i);
        snprintf(tgz, sizeof tgz, "%s/%zu.tar.gz", tmp, i);
        /* .tar of the tree's contents, .tar.gz with the folder as a top-level prefix */
        char cmd[1600];
        REQUIRE(sh3(cmd, sizeof cmd,
                    snprintf(cmd, sizeof cmd, "tar cf '%s' -C '%s' .", tar, dir)) == 0);
        REQUIRE(sh3(cmd, sizeof cmd,
                    snprintf(cmd, sizeof cmd, "tar czf '%s' -C tests/data/mlf '%s'", tgz,
                             fixtures[i])) == 0);
        sbuf_init(&s0);
        sbuf_init(&s1);
        sbuf_init(&s2);
        errbuf_init(&eb);
        CHECK_EQ_INT(mlf_open(&m, dir, &eb), 0);
        summary(&m, &s0);
        mlf_release(&m);
        CHECK_EQ_INT(mlf_open(&m, tar, &eb), 0);
        summary(&m, &s1);
        mlf_release(&m);
        CHECK_EQ_INT(mlf_open(&m, tgz, &eb), 0);
        summary(&m, &s2);
        mlf_release(&m);
        if (eb.code)
            test_fail(t_, __FILE__, __LINE__, "%s: %s", fixtures[i], eb.msg);
        CHECK_EQ_STR(s1.buf, s0.buf);
        CHECK_EQ_STR(s2.buf, s0.buf);
        CHECK(s0.len > 100);
        sbuf_release(&s0);
        sbuf_release(&s1);
        sbuf_release(&s2);

        /* the command's JSON is the same for the folder and the archive */
        struct sbuf o1, o2;
        char args[600];
        sbuf_init(&o1);
        sbuf_init(&o2);
        snprintf(args, sizeof args, "info --json '%s'", dir);
        CHECK_EQ_INT(test_cli(args, &o1, NULL), 0);
        snprintf(args, sizeof args, "info --json '%s'", tgz);
        CHECK_EQ_INT(test_cli(args, &o2, NULL), 0);
        CHECK_EQ_STR(o2.buf, o1.buf);
        CHECK(strstr(o1.buf, "\"format\":\t\"mlf\"") != NULL);
        sbuf_release(&o1);
        sbuf_release(&o2);
    }
}

TEST(mlf, fixtures_counts_match_the_c_text)
{
    for (size_t i = 0; i < N_FIXTURES; i++) {
        char dir[256];
        size_t n = 0;
        snprintf(dir, sizeof dir, "tests/data/mlf/%s", fixtures[i]);
        char *c = read_c_text(dir, &n);
        REQUIRE(c != NULL);
        struct mlf m;
        struct errbuf eb;
        errbuf_init(&eb);
        if (mlf_open(&m, dir, &eb) != 0) {
            test_fail(t_, __FILE__, __LINE__, "%s: %s", fixtures[i], eb.msg);
            mem_free(c);
            continue;
        }
        /* every call in main is `if (f(...) != 0 ) return -1;` in these trees */
        CHECK_EQ_INT(m.n_steps, count_str(c, n, ") != 0 ) return -1;"));
        for (size_t k = 0; k < sizeof kernel_names / sizeof kernel_names[0]; k++) {
            char call[64];
            size_t got = 0;
            snprintf(call, sizeof call, "%s(", kernel_names[k]);
            for (size_t f = 0; f < m.n_functions; f++)
                for (size_t j = 0; j < m.functions[f].n_kernels; j++)
                    got += strcmp(m.functions[f].kernels[j].name, kernel_names[k]) == 0;
            if (got != count_str(c, n, call))
                test_fail(t_, __FILE__, __LINE__, "%s: %s: %zu calls found, text has %zu",
                          fixtures[i], kernel_names[k], got, count_str(c, n, call));
        }
        size_t want_count, want_bytes, got_bytes = 0;
        count_constants(c, n, &want_count, &want_bytes);
        CHECK_EQ_INT(m.n_constants, want_count);
        bool usmp = memmem(c, n, "// of total size ", 17) != NULL;
        CHECK_EQ_INT(m.usmp, usmp);
        for (size_t p = 0; p < m.n_pools; p++)
            if (m.pools[p].is_const)
                got_bytes += m.pools[p].bytes;
        if (!usmp)
            for (size_t k = 0; k < m.n_constants; k++)
                got_bytes += m.constants[k].bytes;
        CHECK_EQ_INT(got_bytes, want_bytes);
        /* every constant has its values, and the fields tile the pool in order */
        for (size_t k = 0; k < m.n_constants; k++) {
            CHECK(m.constants[k].data != NULL);
            if (m.constants[k].pool >= 0)
                CHECK(m.constants[k].offset + m.constants[k].bytes <=
                      m.pools[m.constants[k].pool].bytes);
        }
        /* MLF-FORMAT.md 4: every const-pool binding in any lib is a field at that offset */
        size_t n_const_lets = 0;
        for (size_t f = 0; f < m.n_functions; f++)
            for (size_t j = 0; j < m.functions[f].n_lets; j++) {
                const struct mlf_let *l = &m.functions[f].lets[j];
                CHECK(l->pool >= 0);
                if (l->pool >= 0 && m.pools[l->pool].is_const) {
                    n_const_lets++;
                    CHECK(l->constant >= 0 && m.constants[l->constant].offset == l->offset);
                }
            }
        for (size_t j = 0; j < m.main.n_lets; j++) {
            const struct mlf_let *l = &m.main.lets[j];
            CHECK(l->pool >= 0);
            if (l->pool >= 0 && m.pools[l->pool].is_const) {
                n_const_lets++;
                CHECK(l->constant >= 0 && m.constants[l->constant].offset == l->offset);
                CHECK(l->constant >= 0 && strcmp(m.constants[l->constant].name, l->name) == 0);
            }
        }
        CHECK_EQ_INT(n_const_lets, count_str(c, n, "(&(global_const_workspace_"));
        const char *ws = memmem(c, n, "static uint8_t global_workspace[", 32);
        for (size_t p = 0; p < m.n_pools; p++)
            if (!m.pools[p].is_const && ws)
                CHECK_EQ_INT(m.pools[p].bytes, strtoul(ws + 32, NULL, 10));
        /* each step's function is defined, and every step's statement is in the main file */
        for (size_t s = 0; s < m.n_steps; s++) {
            const struct mlf_step *st = &m.steps[s];
            CHECK(st->func >= 0);
            const struct mlf_file *f = mlf_find_file(&m, st->file);
            REQUIRE(f != NULL);
            REQUIRE(st->stmt_end <= f->bytes && st->call_end <= st->stmt_end);
            CHECK(memcmp(f->data + st->call_begin, st->function, strlen(st->function)) == 0);
            CHECK_EQ_INT(f->data[st->call_end - 1], ')');
            CHECK_EQ_INT(f->data[st->stmt_end - 1], ';');
            CHECK(memcmp(f->data + st->stmt_begin, "if (", 4) == 0);
            unsigned line = 1;
            for (size_t b = 0; b < st->call_begin; b++)
                line += f->data[b] == '\n';
            CHECK_EQ_INT(st->line, line);
        }
        mlf_release(&m);
        mem_free(c);
    }
}

/*
 * int8/int32 constants larger than 64 bytes that occur verbatim in the source model
 * (tests/data/models/README.md: "78512 bytes in 16 arrays of the ic CMSIS-NN build, 218864
 * bytes in 51 arrays of the vww one"; smaller arrays can match by chance), and how many of
 * the int8 arrays (weights) are found.
 */
static void found_in_model(struct test_ctx *t_, const char *fixture, const char *model,
                           size_t *n_found, size_t *bytes_found, size_t *n_s8, size_t *n_s8_found)
{
    char dir[256];
    size_t mlen = 0;
    snprintf(dir, sizeof dir, "tests/data/mlf/%s", fixture);
    *n_found = *bytes_found = *n_s8 = *n_s8_found = 0;
    unsigned char *mb = test_read_file(model, &mlen);
    REQUIRE(mb != NULL);
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    if (mlf_open(&m, dir, &eb) != 0) {
        test_fail(t_, __FILE__, __LINE__, "%s", eb.msg);
        mem_free(mb);
        return;
    }
    for (size_t i = 0; i < m.n_constants; i++) {
        const struct mlf_constant *c = &m.constants[i];
        if ((c->dtype != MLF_DT_S8 && c->dtype != MLF_DT_S32) || c->data == NULL)
            continue;
        bool hit = memmem(mb, mlen, c->data, c->bytes) != NULL;
        if (hit && c->bytes > 64) {
            (*n_found)++;
            *bytes_found += c->bytes;
        }
        if (c->dtype == MLF_DT_S8) {
            (*n_s8)++;
            *n_s8_found += hit;
        }
    }
    mlf_release(&m);
    mem_free(mb);
}

TEST(mlf, constants_are_the_model_weights)
{
    size_t n, bytes, s8, s8_found;
    found_in_model(t_, "mlperf-tiny-v1.0-nucleo-cmsis_nn-ic",
                   "tests/data/models/pretrainedResnet_quant.tflite", &n, &bytes, &s8, &s8_found);
    CHECK_EQ_INT(bytes, 78512);
    CHECK_EQ_INT(n, 16);
    CHECK_EQ_INT(s8_found, s8);
    CHECK(s8 > 0);
    found_in_model(t_, "mlperf-tiny-v1.0-nucleo-cmsis_nn-vww",
                   "tests/data/models/vww_96_int8.tflite", &n, &bytes, &s8, &s8_found);
    CHECK_EQ_INT(bytes, 218864);
    CHECK_EQ_INT(n, 51);
    CHECK_EQ_INT(s8_found, s8);
    found_in_model(t_, "mlperf-tiny-v1.0-nucleo-cmsis_nn-ad", "tests/data/models/ad01_int8.tflite",
                   &n, &bytes, &s8, &s8_found);
    CHECK_EQ_INT(s8_found, s8);
    CHECK_EQ_INT(s8, 10); /* FULLY_CONNECTED x10 */
    found_in_model(t_, "mlperf-tiny-v1.0-nucleo-native-ad", "tests/data/models/ad01_int8.tflite",
                   &n, &bytes, &s8, &s8_found);
    CHECK_EQ_INT(s8_found, s8);
    /* kws: the first CONV_2D (1 input channel) became a depthwise conv, its filter re-laid
       out as {1,10,4,64}; the other int8 weights are verbatim */
    found_in_model(t_, "mlperf-tiny-v1.0-nucleo-cmsis_nn-kws",
                   "tests/data/models/kws_ref_model.tflite", &n, &bytes, &s8, &s8_found);
    CHECK_EQ_INT(s8, 10);
    CHECK_EQ_INT(s8_found, 9);
}

static const struct mlf_function *fn_named(const struct mlf *m, const char *name)
{
    for (size_t i = 0; i < m->n_functions; i++)
        if (strcmp(m->functions[i].name, name) == 0)
            return &m->functions[i];
    return NULL;
}

/* Literals as they stand in the ic tree's default_lib1.c / default_lib2.c / default_lib0.c. */
TEST(mlf, ic_kernel_parameters)
{
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(mlf_open(&m, "tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-ic", &eb) == 0);
    REQUIRE(m.n_steps == 15);
    const struct mlf_step *s0 = &m.steps[0];
    CHECK_EQ_STR(s0->function, "tvmgen_default_cmsis_nn_main_0");
    CHECK_EQ_INT(s0->line, 80);
    REQUIRE(s0->n_args == 8);
    CHECK_EQ_INT(s0->args[0].kind, MLF_ARG_INPUT);
    CHECK_EQ_INT(s0->args[1].kind, MLF_ARG_CONST);
    CHECK_EQ_INT(s0->args[1].offset, 76928); /* constant_0_let */
    CHECK_EQ_INT(s0->args[5].kind, MLF_ARG_WORKSPACE);
    CHECK_EQ_INT(s0->args[5].offset, 0); /* sid_7_let */
    CHECK_EQ_INT(s0->args[6].kind, MLF_ARG_POOL);
    CHECK_EQ_INT(m.steps[14].args[1].kind, MLF_ARG_OUTPUT);
    REQUIRE(s0->func >= 0);
    const struct mlf_function *f = &m.functions[s0->func];
    CHECK_EQ_STR(f->target, "cmsis_nn");
    CHECK_EQ_INT(f->n_params, 8);
    CHECK_EQ_STR(f->params[2].name, "multiplier_");
    REQUIRE(f->n_kernels == 1);
    const struct mlf_kernel *k = &f->kernels[0];
    CHECK_EQ_STR(k->name, "arm_convolve_wrapper_s8");
    CHECK_EQ_INT(k->kind, MLF_K_CONV);
    CHECK(k->input.set && k->input.n == 1 && k->input.h == 32 && k->input.w == 32 &&
          k->input.c == 3);
    CHECK(k->filter.n == 16 && k->filter.h == 3 && k->filter.w == 3 && k->filter.c == 3);
    CHECK(k->bias.c == 16 && k->output.h == 32 && k->output.c == 16);
    CHECK(k->stride.w == 1 && k->stride.h == 1 && k->padding.w == 1 && k->padding.h == 1);
    CHECK(k->dilation.set && k->dilation.w == 1);
    CHECK_EQ_INT(k->input_offset, 128);
    CHECK_EQ_INT(k->output_offset, -128);
    CHECK_EQ_INT(k->act_min, -128);
    CHECK_EQ_INT(k->act_max, 127);
    CHECK(k->per_channel);
    CHECK_EQ_INT(k->ctx_bytes, 108);
    CHECK_EQ_INT(k->ctx_offset, 16384);
    CHECK(k->ctx_pool >= 0 && !m.pools[k->ctx_pool].is_const);
    /* main passes constant_1_let as multiplier_, constant_5_let as shift_ */
    const struct mlf_constant *mult = mlf_step_kernel_const(&m, s0, k, MLF_KP_MULT);
    const struct mlf_constant *shift = mlf_step_kernel_const(&m, s0, k, MLF_KP_SHIFT);
    const struct mlf_constant *bias = mlf_step_kernel_const(&m, s0, k, MLF_KP_BIAS);
    const struct mlf_constant *filt = mlf_step_kernel_const(&m, s0, k, MLF_KP_FILTER);
    REQUIRE(mult && shift && bias && filt);
    CHECK_EQ_STR(mult->name, "constant_1_let");
    CHECK_EQ_STR(shift->name, "constant_5_let");
    CHECK_EQ_STR(bias->name, "constant_3_let");
    CHECK_EQ_STR(filt->name, "constant_0_let");
    CHECK_EQ_INT(mult->count, 16);
    CHECK_EQ_INT(((const int32_t *)mult->data)[0], 0x4a0d99f7);
    CHECK_EQ_INT(((const int32_t *)mult->data)[15], 0x456b84de);
    CHECK_EQ_INT(filt->offset, 76928);
    CHECK(mlf_step_kernel_const(&m, s0, k, MLF_KP_INPUT) == NULL);

    /* constant_55_let: "-0x00000017, -0x00000028, +0x00000005, ..." and a hex-float field */
    for (size_t i = 0; i < m.n_constants; i++) {
        const struct mlf_constant *c = &m.constants[i];
        if (strcmp(c->name, "constant_55_let") == 0) {
            CHECK_EQ_INT(c->offset, 84080);
            CHECK_EQ_INT(((const int32_t *)c->data)[0], -0x17);
            CHECK_EQ_INT(((const int32_t *)c->data)[9], 0x2e);
        }
        if (strcmp(c->name, "constant_10_let") == 0) {
            CHECK_EQ_INT(c->dtype, MLF_DT_F32);
            CHECK(((const float *)c->data)[0] == 0x1.a8b32cp-13f);
            CHECK(((const float *)c->data)[1] == 0x1.5dc25cp-14f);
        }
    }

    const struct mlf_function *add = fn_named(&m, "tvmgen_default_cmsis_nn_main_11");
    REQUIRE(add && add->n_kernels == 1);
    /* arm_elementwise_add_s8(input_0_, input_1_, -38, 1657902019, -2, 2, 1073741824, 0, 20,
       output_, -128, 1835721671, -18, -128, 127, 4096) */
    k = &add->kernels[0];
    CHECK_EQ_INT(k->kind, MLF_K_ADD);
    CHECK_EQ_INT(k->in1_offset, -38);
    CHECK_EQ_INT(k->in1_mult, 1657902019);
    CHECK_EQ_INT(k->in1_shift, -2);
    CHECK_EQ_INT(k->in2_offset, 2);
    CHECK_EQ_INT(k->in2_mult, 1073741824);
    CHECK_EQ_INT(k->in2_shift, 0);
    CHECK_EQ_INT(k->left_shift, 20);
    CHECK_EQ_INT(k->out_offset, -128);
    CHECK_EQ_INT(k->out_mult, 1835721671);
    CHECK_EQ_INT(k->out_shift, -18);
    CHECK_EQ_INT(k->act_min, -128);
    CHECK_EQ_INT(k->act_max, 127);
    CHECK_EQ_INT(k->block_size, 4096);
    CHECK_EQ_INT(k->ptr_param[MLF_KP_INPUT], 0);
    CHECK_EQ_INT(k->ptr_param[MLF_KP_INPUT2], 1);
    CHECK_EQ_INT(k->ptr_param[MLF_KP_OUTPUT], 2);

    const struct mlf_function *sm = fn_named(&m, "tvmgen_default_cmsis_nn_main_17");
    REQUIRE(sm && sm->n_kernels == 1);
    k = &sm->kernels[0]; /* arm_softmax_s8(input_, 1, 10, 1476210432, 24, -124, output_) */
    CHECK_EQ_INT(k->num_rows, 1);
    CHECK_EQ_INT(k->row_size, 10);
    CHECK_EQ_INT(k->mult, 1476210432);
    CHECK_EQ_INT(k->shift, 24);
    CHECK_EQ_INT(k->diff_min, -124);

    const struct mlf_function *fc = fn_named(&m, "tvmgen_default_cmsis_nn_main_16");
    REQUIRE(fc && fc->n_kernels == 1);
    k = &fc->kernels[0]; /* fc_params = {128, 0, 24, activation}; quant {1552512742, -5} */
    CHECK_EQ_INT(k->input_offset, 128);
    CHECK_EQ_INT(k->filter_offset, 0);
    CHECK_EQ_INT(k->output_offset, 24);
    CHECK_EQ_INT(k->mult, 1552512742);
    CHECK_EQ_INT(k->shift, -5);
    CHECK(k->ctx_null);
    CHECK(!k->per_channel);
    CHECK(k->filter.n == 64 && k->filter.c == 10);

    const struct mlf_function *pool = fn_named(&m, "tvmgen_default_cmsis_nn_main_15");
    REQUIRE(pool && pool->n_kernels == 1);
    k = &pool->kernels[0]; /* stride {8,8}, filter_dims {1,8,8,1}, output {1,1,1,64}, ctx 256 */
    CHECK(k->stride.w == 8 && k->stride.h == 8);
    CHECK(k->filter.h == 8 && k->filter.w == 8 && k->output.c == 64 && k->input.h == 8);
    CHECK_EQ_INT(k->ctx_bytes, 256);
    CHECK_EQ_INT(k->ctx_offset, 57344);

    /* lib0: aligned(8) workspace of 66112 bytes, header define 66112, no metadata */
    CHECK_EQ_INT(m.header_workspace_bytes, 66112);
    CHECK_EQ_INT(m.meta.version, 0);
    CHECK_EQ_INT(m.n_warnings, 0);
    for (size_t i = 0; i < m.n_pools; i++)
        if (!m.pools[i].is_const)
            CHECK_EQ_INT(m.pools[i].alignment, 8);
    mlf_release(&m);
}

/* No USMP: TVMBackendAllocWorkspace buffers and named weight arrays. */
TEST(mlf, kws_without_usmp)
{
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(mlf_open(&m, "tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws", &eb) == 0);
    CHECK(!m.usmp);
    CHECK_EQ_INT(m.main.n_allocs, 4);
    CHECK_EQ_INT(m.main.allocs[0].bytes, 8000);
    CHECK_EQ_INT(m.main.allocs[3].bytes, 12);
    REQUIRE(m.n_steps == 12);
    const struct mlf_step *s = &m.steps[0];
    /* tvmgen_default_cmsis_nn_main_0(input_1_buffer_var, constant_0, constant_1, constant_3,
       constant_5, sid_7) */
    CHECK_EQ_INT(s->args[0].kind, MLF_ARG_INPUT);
    CHECK_EQ_INT(s->args[1].kind, MLF_ARG_WEIGHT);
    CHECK_EQ_INT(s->args[5].kind, MLF_ARG_ALLOC);
    CHECK_EQ_INT(s->args[5].bytes, 8000);
    REQUIRE(s->func >= 0 && m.functions[s->func].n_kernels == 1);
    const struct mlf_kernel *k = &m.functions[s->func].kernels[0];
    CHECK_EQ_INT(k->kind, MLF_K_DWCONV);
    CHECK_EQ_INT(k->ch_mult, 64); /* {-83, -128, 64, stride, ...} */
    CHECK_EQ_INT(k->input_offset, -83);
    CHECK(k->padding.w == 1 && k->padding.h == 4);
    const struct mlf_constant *shift = mlf_step_kernel_const(&m, s, k, MLF_KP_SHIFT);
    REQUIRE(shift != NULL);
    CHECK_EQ_STR(shift->name, "constant_5");
    CHECK_EQ_INT(shift->pool, -1);
    CHECK_EQ_INT(m.steps[11].args[1].kind, MLF_ARG_OUTPUT);
    const struct mlf_function *dw = fn_named(&m, "tvmgen_default_cmsis_nn_main_1");
    REQUIRE(dw && dw->n_kernels == 1);
    CHECK(dw->kernels[0].ctx_alloc);
    CHECK_EQ_INT(dw->kernels[0].ctx_bytes, 1152);
    CHECK_EQ_INT(dw->n_allocs, 1);
    mlf_release(&m);
}

TEST(mlf, hand_v7_cmsis_partitioned_relay)
{
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(mlf_open(&m, "tests/data/mlf-hand/v7-cmsis", &eb) == 0);
    CHECK_EQ_INT(m.meta.version, 7);
    CHECK_EQ_STR(m.meta.module, "default");
    REQUIRE(m.meta.n_targets == 2);
    CHECK_EQ_STR(m.meta.targets[1], "cmsis-nn");
    CHECK_EQ_INT(m.meta.constants_bytes, 152);
    CHECK_EQ_INT(m.meta.n_opfns, 3);
    REQUIRE(m.meta.n_deps == 1);
    CHECK_EQ_STR(m.meta.deps[0].version_spec, "0.17.0");
    REQUIRE(m.main.n_inputs == 1 && m.main.n_outputs == 1);
    CHECK_EQ_STR(m.main.inputs[0].name, "serving_default_input_1_0");
    CHECK_EQ_STR(m.main.inputs[0].meta_name, "serving_default_input_1:0");
    CHECK_EQ_INT(m.main.inputs[0].bytes, 16);
    CHECK_EQ_STR(m.main.outputs[0].meta_name, "StatefulPartitionedCall:0");
    /* metadata/header 320 vs global_workspace[64]: two warnings; constants agree */
    CHECK_EQ_INT(m.n_warnings, 2);
    CHECK(m.n_warnings > 0 && strstr(m.warnings[0], "workspace_size_bytes 320") != NULL);
    REQUIRE(m.n_steps == 3);
    const struct mlf_step *s = &m.steps[0];
    const struct mlf_kernel *k = &m.functions[s->func].kernels[0];
    const struct mlf_constant *mult = mlf_step_kernel_const(&m, s, k, MLF_KP_MULT);
    const struct mlf_constant *shift = mlf_step_kernel_const(&m, s, k, MLF_KP_SHIFT);
    const struct mlf_constant *bias = mlf_step_kernel_const(&m, s, k, MLF_KP_BIAS);
    REQUIRE(mult && shift && bias);
    static const int32_t want_mult[] = {0x6e34ef4d, 0x40000000, 0x7fffffff, INT32_MIN};
    static const int32_t want_shift[] = {-7, -8, 0, -33};
    static const int32_t want_bias[] = {-0x66, 0, 1000, -123456};
    CHECK_MEM(mult->data, want_mult, sizeof want_mult);
    CHECK_MEM(shift->data, want_shift, sizeof want_shift);
    CHECK_MEM(bias->data, want_bias, sizeof want_bias);
    CHECK_EQ_INT(k->ctx_offset, 32);
    CHECK_EQ_INT(k->output_offset, -5);
    for (size_t i = 0; i < m.n_constants; i++)
        if (strcmp(m.constants[i].name, "fused_constant_6_let") == 0) {
            CHECK_EQ_INT(m.constants[i].alignment, 4);
            CHECK(((const float *)m.constants[i].data)[0] == 0x1.8af106p-1f);
            CHECK(((const float *)m.constants[i].data)[1] == -0x1p-7f);
        } else if (strcmp(m.constants[i].name, "constant_4_let") == 0) {
            CHECK_EQ_INT(((const int8_t *)m.constants[i].data)[0], -128);
            CHECK_EQ_INT(((const int8_t *)m.constants[i].data)[1], 127);
        }
    CHECK_EQ_INT(m.n_params, 0);
    /* Relay: @main and three partitions */
    REQUIRE(m.n_partitions == 4);
    const struct mlf_partition *p0 = &m.partitions[0], *p1 = &m.partitions[1];
    CHECK_EQ_STR(p0->name, "main");
    CHECK(p0->compiler == NULL);
    REQUIRE(p0->n_ops == 4);
    CHECK_EQ_STR(p0->ops[0].op, "@tvmgen_default_cmsis_nn_main_0");
    CHECK_EQ_STR(p0->ops[1].op, "reshape");
    CHECK_EQ_STR(p0->ops[1].span, "model/flatten/Reshape");
    CHECK_EQ_STR(p0->ops[1].type, "Tensor[(1, 16), int8]");
    CHECK_EQ_STR(p1->name, "tvmgen_default_cmsis_nn_main_0");
    CHECK_EQ_STR(p1->compiler, "cmsis-nn");
    CHECK_EQ_STR(p1->global_symbol, "tvmgen_default_cmsis_nn_main_0");
    REQUIRE(p1->n_composites == 1);
    CHECK_EQ_STR(p1->composites[0].name, "cmsis-nn.qnn_conv2d");
    CHECK_EQ_STR(p1->composites[0].pattern, "qnn.conv2d_nn.bias_add_qnn.requantize_");
    REQUIRE(p1->n_ops == 3);
    CHECK_EQ_STR(p1->ops[0].op, "qnn.conv2d");
    CHECK_EQ_STR(p1->ops[0].span, "model/conv2d/Conv2D");
    CHECK_EQ_STR(p1->ops[0].type, "Tensor[(1, 2, 2, 4), int32]");
    CHECK_EQ_INT(p1->ops[0].composite, 0);
    CHECK_EQ_STR(p1->ops[2].op, "qnn.requantize");
    CHECK_EQ_STR(p1->ops[2].span, "model/conv2d/Relu");
    CHECK_EQ_STR(m.partitions[3].composites[0].name, "cmsis-nn.qnn_softmax");
    CHECK_EQ_INT(m.functions[m.steps[2].func].partition, 3);
    CHECK_EQ_INT(m.functions[m.steps[0].func].partition, 1);
    CHECK_EQ_STR(m.partitions[3].ops[1].span, "StatefulPartitionedCall");
    mlf_release(&m);
}

TEST(mlf, hand_graph_executor)
{
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(mlf_open(&m, "tests/data/mlf-hand/graph-v7", &eb) == 0);
    CHECK_EQ_INT(m.executor, MLF_EXEC_GRAPH);
    CHECK_EQ_INT(m.interface, MLF_IFACE_PACKED);
    CHECK(!m.has_main);
    REQUIRE(m.n_steps == 2);
    CHECK_EQ_STR(m.steps[0].function, "tvmgen_default_fused_nn_dense");
    CHECK_EQ_STR(m.steps[1].function, "tvmgen_default_fused_nn_relu");
    CHECK(m.steps[0].func >= 0 && m.functions[m.steps[0].func].packed);
    REQUIRE(m.steps[0].n_args == 3);
    CHECK_EQ_INT(m.steps[0].args[0].kind, MLF_ARG_INPUT);
    CHECK_EQ_INT(m.steps[0].args[1].kind, MLF_ARG_WEIGHT);
    CHECK_EQ_INT(m.steps[1].args[1].kind, MLF_ARG_OUTPUT);
    CHECK_EQ_INT(m.steps[1].args[0].bytes, 8); /* storage_id 2: 8 bytes */
    CHECK_EQ_INT(m.meta.n_sids, 4);
    REQUIRE(m.n_params == 1);
    CHECK_EQ_STR(m.params[0].name, "p0");
    CHECK_EQ_INT(m.params[0].dtype, MLF_DT_F32);
    CHECK(m.params[0].ndim == 2 && m.params[0].shape[0] == 2 && m.params[0].shape[1] == 4);
    float v[8];
    REQUIRE(m.params[0].bytes == sizeof v);
    memcpy(v, m.params[0].data, sizeof v);
    CHECK(v[0] == 0.25f && v[7] == -2.25f);
    REQUIRE(m.n_partitions == 1);
    CHECK_EQ_INT(m.partitions[0].n_ops, 2);
    CHECK(m.partitions[0].ops[0].span == NULL && m.partitions[0].ops[0].type == NULL);
    mlf_release(&m);
}

TEST(mlf, hand_aot_2021_run_model)
{
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(mlf_open(&m, "tests/data/mlf-hand/aot-2021", &eb) == 0);
    CHECK(m.legacy_run_model);
    CHECK_EQ_STR(m.module, "default");
    CHECK_EQ_INT(m.meta.version, 5);
    REQUIRE(m.meta.n_targets == 1);
    CHECK_EQ_STR(m.meta.target_devices[0], "1");
    REQUIRE(m.n_steps == 2);
    const struct mlf_step *s = &m.steps[1];
    REQUIRE(s->n_args == 4);
    CHECK_EQ_INT(s->args[0].kind, MLF_ARG_ALLOC);
    CHECK_EQ_INT(s->args[0].bytes, 8);
    CHECK_EQ_INT(s->args[1].kind, MLF_ARG_WEIGHT);
    CHECK_EQ_INT(s->args[3].kind, MLF_ARG_OUTPUT);
    CHECK_EQ_INT(m.steps[0].args[0].kind, MLF_ARG_INPUT);
    REQUIRE(s->args[1].constant >= 0 && m.n_params == 2);
    const struct mlf_constant *p0 = &m.constants[s->args[1].constant];
    CHECK_EQ_STR(p0->name, "__tvm_param__p0");
    /* the C initialiser (hex floats) and the .params array hold the same values */
    CHECK_EQ_INT(p0->bytes, m.params[0].bytes);
    CHECK_MEM(p0->data, m.params[0].data, p0->bytes);
    CHECK(signbit(((const float *)p0->data)[3]));
    CHECK(m.n_warnings == 1 && strstr(m.warnings[0], "constants_size_bytes is 0") != NULL);
    mlf_release(&m);
}

TEST(mlf, metadata_unknown_version_best_effort)
{
    static const char js[] = "{\"version\": 9, \"modules\": {\"mymod\": {\"executors\": [\"aot\"],"
                             "\"target\": [\"c\"], \"memory\": {\"functions\": {\"main\": [{"
                             "\"workspace_size_bytes\": 12}]}}}}}";
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    mlf_init(&m);
    CHECK_EQ_INT(mlf_parse_metadata(&m, "metadata.json", js, sizeof js - 1, &eb), 0);
    CHECK_EQ_INT(m.meta.version, 9);
    CHECK_EQ_STR(m.meta.module, "mymod");
    CHECK_EQ_INT(m.meta.workspace_bytes, 12);
    CHECK(m.n_warnings == 1 && strstr(m.warnings[0], "version 9") != NULL);
    mlf_release(&m);
    mlf_init(&m);
    CHECK_EQ_INT(mlf_parse_metadata(&m, "metadata.json", "{\"version\": 7, \"mod", 18, &eb),
                 ST_EPARSE);
    CHECK(strstr(eb.msg, "metadata.json:1:") != NULL);
    mlf_release(&m);
}

/* Every allocation failure gives ST_ENOMEM and leaks nothing (ASan checks the leaks). */
TEST(mlf, allocation_failures)
{
    const char *trees[] = {"tests/data/mlf-hand/v7-cmsis", "tests/data/mlf-hand/graph-v7",
                           "tests/data/mlf-hand/aot-2021"};
    for (size_t t = 0; t < 3; t++) {
        for (long k = 0; k < 100000; k++) {
            struct mlf m;
            struct errbuf eb;
            errbuf_init(&eb);
            mem_fail_after(k);
            int rc = mlf_open(&m, trees[t], &eb);
            mem_fail_after(-1);
            if (rc == 0) {
                mlf_release(&m);
                CHECK(k > 10);
                break;
            }
            if (rc != ST_ENOMEM) {
                test_fail(t_, __FILE__, __LINE__, "%s: k=%ld: rc %d: %s", trees[t], k, rc, eb.msg);
                break;
            }
            CHECK(m.n_files == 0 && m.files == NULL);
        }
    }
}

/* Copies tree to dst, then replaces `from` by `to` in dst/file (to == NULL: cut the file
 * right after `from`). */
static bool mutate(const char *tree, const char *dst, const char *file, const char *from,
                   const char *to)
{
    char cmd[1200], path[700];
    int n = snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", dst, tree, dst);
    if (n < 0 || (size_t)n >= sizeof cmd || system(cmd) != 0)
        return false;
    snprintf(path, sizeof path, "%s/%s", dst, file);
    size_t len = 0;
    unsigned char *data = test_read_file(path, &len);
    if (data == NULL)
        return false;
    const char *hit = memmem(data, len, from, strlen(from));
    if (hit == NULL) {
        mem_free(data);
        return false;
    }
    size_t pre = (size_t)(hit - (const char *)data);
    struct sbuf sb;
    sbuf_init(&sb);
    if (to == NULL) {
        sbuf_addn(&sb, (const char *)data, pre + strlen(from));
    } else {
        sbuf_addn(&sb, (const char *)data, pre);
        sbuf_add(&sb, to);
        sbuf_addn(&sb, hit + strlen(from), len - pre - strlen(from));
    }
    bool ok = fileio_write(path, sb.buf, sb.len, NULL) == 0;
    sbuf_release(&sb);
    mem_free(data);
    return ok;
}

/* Runs `info` on path: exit 2 and one error line containing `where` and `what`. */
static void expect_bad(struct test_ctx *t_, const char *path, const char *where, const char *what)
{
    struct sbuf out, err;
    char args[800];
    sbuf_init(&out);
    sbuf_init(&err);
    snprintf(args, sizeof args, "info '%s'", path);
    int rc = test_cli(args, &out, &err);
    if (rc != 2 || strstr(err.buf, where) == NULL || strstr(err.buf, what) == NULL ||
        count_str(err.buf, err.len, "\n") != 1)
        test_fail(t_, __FILE__, __LINE__, "%s: exit %d, stderr: %s (want '%s' and '%s')", path, rc,
                  err.buf, where, what);
    sbuf_release(&out);
    sbuf_release(&err);
}

TEST(mlf, bad_input_one_line_error)
{
    const char *tmp = test_tmpdir(t_);
    const char *hand = "tests/data/mlf-hand/v7-cmsis";
    char d[512], f[600], cmd[2048];
    unsigned char junk[2048];

    /* not an archive at all */
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 2654435761u >> 13);
    snprintf(f, sizeof f, "%s/corrupt.tar", tmp);
    REQUIRE(fileio_write(f, junk, sizeof junk, NULL) == 0);
    expect_bad(t_, f, "corrupt.tar", "");
    /* a .tar.gz cut in the middle */
    snprintf(f, sizeof f, "%s/cut.tar.gz", tmp);
    snprintf(cmd, sizeof cmd,
             "tar czf '%s.full' -C tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-ic . "
             "&& head -c 60000 '%s.full' > '%s'",
             f, f, f);
    REQUIRE(system(cmd) == 0);
    expect_bad(t_, f, "cut.tar.gz", "");
    /* a folder that is no MLF */
    expect_bad(t_, "tests/data/models", "tests/data/models", "not a Model Library Format");

    snprintf(d, sizeof d, "%s/braces", tmp);
    REQUIRE(mutate(hand, d, "codegen/host/src/default_lib2.c", "  return 0;\n}\n\n#ifdef",
                   "  return 0;\n\n#ifdef"));
    expect_bad(t_, d, "default_lib2.c:", "unbalanced braces");

    snprintf(d, sizeof d, "%s/trunc-init", tmp);
    REQUIRE(mutate(hand, d, "codegen/host/src/default_lib0.c", "+0x6e34ef4d, +0x40000000,", NULL));
    expect_bad(t_, d, "default_lib0.c:", "truncated");

    snprintf(d, sizeof d, "%s/past-pool", tmp);
    REQUIRE(mutate(hand, d, "codegen/host/src/default_lib1.c", "global_workspace_1_var[16]",
                   "global_workspace_1_var[64]"));
    expect_bad(t_, d, "default_lib1.c:", "past the end of pool global_workspace");

    snprintf(d, sizeof d, "%s/field-past-pool", tmp);
    REQUIRE(mutate(hand, d, "codegen/host/src/default_lib0.c", "total size 152 bytes",
                   "total size 100 bytes"));
    expect_bad(t_, d, "default_lib0.c:", "past the end of pool");

    snprintf(d, sizeof d, "%s/absurd", tmp);
    REQUIRE(mutate(hand, d, "codegen/host/src/default_lib0.c", "constant_4_let[64]",
                   "constant_4_let[99999999999999]"));
    expect_bad(t_, d, "default_lib0.c:", "absurd");

    snprintf(d, sizeof d, "%s/bad-value", tmp);
    REQUIRE(mutate(hand, d, "codegen/host/src/default_lib0.c", "-0x80, +0x7f", "-0x81, +0x7f"));
    expect_bad(t_, d, "default_lib0.c:", "not a valid int8");

    snprintf(d, sizeof d, "%s/params-magic", tmp);
    REQUIRE(mutate("tests/data/mlf-hand/aot-2021", d, "parameters/default.params", "p0", "q0"));
    snprintf(cmd, sizeof cmd,
             "printf 'XXXX' | dd of='%s/parameters/default.params' bs=1 count=4 "
             "conv=notrunc 2>/dev/null",
             d);
    REQUIRE(system(cmd) == 0);
    expect_bad(t_, d, "default.params: offset 0", "bad magic");

    snprintf(d, sizeof d, "%s/params-trunc", tmp);
    REQUIRE(mutate("tests/data/mlf-hand/aot-2021", d, "parameters/default.params", "p0", "p0"));
    snprintf(cmd, sizeof cmd, "truncate -s 100 '%s/parameters/default.params'", d);
    REQUIRE(system(cmd) == 0);
    expect_bad(t_, d, "default.params: offset", "truncated");

    snprintf(d, sizeof d, "%s/json", tmp);
    REQUIRE(mutate(hand, d, "metadata.json", "\"version\": 7", "\"version\": 7,,"));
    expect_bad(t_, d, "metadata.json:", "malformed JSON");

    snprintf(d, sizeof d, "%s/comment", tmp);
    REQUIRE(mutate(hand, d, "codegen/host/src/default_lib2.c", "#define TVM_EXPORTS", "/* open"));
    expect_bad(t_, d, "default_lib2.c:2", "unterminated");
}

/* BYOC targets are named by tvmgen_<mod>_<byoc>_main_N; the ESP layout passes no pools. */
TEST(mlf, byoc_targets_and_file_roles)
{
    static const char lib1[] =
        "// tvm target: c -keys=cpu \n"
        "TVM_DLL int32_t tvmgen_default___tvm_main__(int8_t* input_buffer_var, int8_t* "
        "output_buffer_var, uint8_t* global_const_workspace_0_var, uint8_t* "
        "global_workspace_1_var) {\n"
        "  void* constant_0_let = (&(global_const_workspace_0_var[0]));\n"
        "  void* sid_2_let = (&(global_workspace_1_var[0]));\n"
        "  if (tvmgen_default_esp_main_0(input_buffer_var, constant_0_let, sid_2_let) != 0 ) "
        "return -1;\n"
        "  if (tvmgen_default_ethos_u_main_0(sid_2_let, output_buffer_var) != 0 ) return -1;\n"
        "  if (tvmgen_default_fused_nn_relu(sid_2_let, output_buffer_var, "
        "global_const_workspace_0_var, global_workspace_1_var) != 0 ) return -1;\n"
        "  return 0;\n}\n";
    static const char lib2[] =
        "TVM_DLL int32_t tvmgen_default_esp_main_0(int8_t* a, int8_t* b, int8_t* c) {\n"
        "  return 0;\n}\n"
        "TVM_DLL int32_t tvmgen_default_ethos_u_main_0(int8_t* a, int8_t* b) { return 0; }\n"
        "TVM_DLL int32_t tvmgen_default_fused_nn_relu(int8_t* p0, int8_t* T_relu, uint8_t* "
        "global_const_workspace_2_var, uint8_t* global_workspace_3_var) { return 0; }\n";
    static const char lib0[] =
        "static struct global_const_workspace {\n"
        "  int8_t constant_0_let[4] __attribute__((aligned(16))); // 4 bytes, aligned offset: 0\n"
        "} global_const_workspace = {\n  .constant_0_let = {\n    +0x01, -0x02, +0x7f, -0x80\n  "
        "},\n"
        "};// of total size 4 bytes\n"
        "__attribute__((section(\".bss.noinit.tvm\"), aligned(16)))\n"
        "static uint8_t global_workspace[32];\n";
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    mlf_init(&m);
    REQUIRE(mlf_parse_c(&m, "default_lib0.c", lib0, sizeof lib0 - 1, &eb) == 0);
    REQUIRE(mlf_parse_c(&m, "default_lib1.c", lib1, sizeof lib1 - 1, &eb) == 0);
    REQUIRE(mlf_parse_c(&m, "default_lib2.c", lib2, sizeof lib2 - 1, &eb) == 0);
    REQUIRE(mlf_link(&m, &eb) == 0);
    REQUIRE(m.n_steps == 3);
    CHECK_EQ_STR(m.functions[m.steps[0].func].target, "esp");
    CHECK_EQ_STR(m.functions[m.steps[1].func].target, "ethos_u");
    CHECK_EQ_STR(m.functions[m.steps[2].func].target, "c");
    CHECK_EQ_INT(m.steps[0].args[1].kind, MLF_ARG_CONST);
    CHECK(m.steps[0].args[1].constant >= 0);
    CHECK_EQ_INT(m.steps[0].args[2].kind, MLF_ARG_WORKSPACE);
    CHECK_EQ_INT(m.steps[1].args[1].kind, MLF_ARG_OUTPUT);
    CHECK_EQ_INT(m.pools[1].alignment, 16);
    CHECK_EQ_INT(m.pools[1].bytes, 32);
    mlf_release(&m);

    REQUIRE(mlf_open(&m, "tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-ic", &eb) == 0);
    const struct mlf_file *f0 = mlf_find_file(&m, "codegen/host/src/default_lib0.c");
    const struct mlf_file *f1 = mlf_find_file(&m, "codegen/host/src/default_lib1.c");
    const struct mlf_file *f2 = mlf_find_file(&m, "codegen/host/src/default_lib2.c");
    REQUIRE(f0 && f1 && f2);
    CHECK_EQ_INT(f0->roles, MLF_ROLE_ENTRY | MLF_ROLE_CONSTANTS | MLF_ROLE_WORKSPACE);
    CHECK_EQ_INT(f1->roles, MLF_ROLE_MAIN);
    CHECK_EQ_INT(f2->roles, MLF_ROLE_BYOC_OPS);
    CHECK(f0->tvm_target == NULL);
    CHECK_EQ_STR(f2->tvm_target, "cmsis-nn");
    mlf_release(&m);
    REQUIRE(mlf_open(&m, "tests/data/mlf-hand/graph-v7", &eb) == 0);
    f0 = mlf_find_file(&m, "codegen/host/src/default_lib0.c");
    REQUIRE(f0 != NULL);
    CHECK_EQ_INT(f0->roles, MLF_ROLE_REGISTRY);
    mlf_release(&m);
    REQUIRE(mlf_open(&m, "tests/data/mlf-hand/aot-2021", &eb) == 0);
    f0 = mlf_find_file(&m, "codegen/host/src/default_lib0.c");
    REQUIRE(f0 != NULL);
    CHECK_EQ_INT(f0->roles, MLF_ROLE_MAIN | MLF_ROLE_CONSTANTS | MLF_ROLE_HOST_OPS);
    mlf_release(&m);
}

/* The TVM 0.9.dev0 sine tree: metadata v5, relay.txt, an empty params container. */
TEST(mlf, sine_v5_metadata_relay_params)
{
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(mlf_open(&m, "tests/data/mlf/sine-v5-tvm0.9dev", &eb) == 0);
    CHECK_EQ_INT(m.meta.version, 5);
    CHECK_EQ_STR(m.meta.export_datetime, "2022-03-24 18:49:45Z");
    CHECK_EQ_INT(m.meta.workspace_bytes, 1184);
    CHECK_EQ_INT(m.header_workspace_bytes, 1184);
    CHECK_EQ_INT(m.meta.io_bytes, 8);
    CHECK_EQ_INT(m.meta.n_opfns, 5);
    REQUIRE(m.meta.n_deps == 1);
    CHECK_EQ_STR(m.meta.deps[0].version_spec, "0.9.dev0");
    REQUIRE(m.meta.n_targets == 1);
    CHECK_EQ_STR(m.meta.target_devices[0], "1");
    const struct mlf_function *f = fn_named(&m, "tvmgen_default_fused_nn_dense_add_nn_relu_1");
    REQUIRE(f != NULL);
    CHECK_EQ_INT(f->meta_workspace_bytes, 1056);
    REQUIRE(f->n_allocs == 1);
    CHECK_EQ_INT(f->allocs[0].bytes, 1024); /* packed_weight */
    CHECK(f->n_uses >= 1);                  /* reads a static weight array by name */
    CHECK_EQ_INT(m.n_params, 0);            /* 32-byte empty container */
    REQUIRE(m.n_partitions == 1);
    CHECK_EQ_STR(m.partitions[0].name, "main");
    REQUIRE(m.partitions[0].n_ops == 11); /* %0..%9 and the final nn.bias_add */
    CHECK_EQ_STR(m.partitions[0].ops[1].op, "nn.dense");
    CHECK_EQ_STR(m.partitions[0].ops[10].op, "nn.bias_add");
    REQUIRE(m.main.n_allocs == 2);
    CHECK_EQ_INT(m.steps[0].args[0].kind, MLF_ARG_INPUT);
    CHECK_EQ_INT(m.steps[5].args[1].kind, MLF_ARG_OUTPUT);
    mlf_release(&m);
}

/* Kernels the fixtures lack, in the form TVM's CMSIS-NN codegen writes them. */
TEST(mlf, mul_maxpool_s16_kernels)
{
    static const char lib2[] =
        "// tvm target: cmsis-nn \n"
        "TVM_DLL int32_t tvmgen_default_cmsis_nn_main_3(int8_t* input_0_, int8_t* input_1_, "
        "int8_t* output_) {\n"
        "  arm_elementwise_mul_s8(input_0_, input_1_, -3, 5, output_, -128, 1073741824, -5, "
        "-128, 127, 16);\n  return 0;\n}\n"
        "TVM_DLL int32_t tvmgen_default_cmsis_nn_main_4(int8_t* input_, int8_t* output_) {\n"
        "  cmsis_nn_context context= {NULL,0};\n"
        "  cmsis_nn_tile stride = {2,1};\n  cmsis_nn_tile padding = {0,1};\n"
        "  cmsis_nn_activation activation = {-100,100};\n"
        "  cmsis_nn_pool_params pool_params = {stride, padding, activation};\n"
        "  cmsis_nn_dims input_dims = {1,4,6,8};\n  cmsis_nn_dims filter_dims = {1,2,3,1};\n"
        "  cmsis_nn_dims output_dims = {1,3,3,8};\n"
        "  arm_cmsis_nn_status status = arm_max_pool_s8(&context, &pool_params, &input_dims, "
        "input_, &filter_dims, &output_dims, output_);\n"
        "  if (status != ARM_CMSIS_NN_SUCCESS) {\n    return -1;\n  }\n  return 0;\n}\n"
        "TVM_DLL int32_t tvmgen_default_cmsis_nn_main_5(int16_t* input_, int16_t* output_) {\n"
        "  arm_softmax_s16(input_, 2, 5, 1073741824, 1, &softmax_params, output_);\n"
        "  return 0;\n}\n";
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    mlf_init(&m);
    REQUIRE(mlf_parse_c(&m, "default_lib2.c", lib2, sizeof lib2 - 1, &eb) == 0);
    REQUIRE(mlf_link(&m, &eb) == 0);
    REQUIRE(m.n_functions == 3);
    const struct mlf_kernel *k = &m.functions[0].kernels[0];
    CHECK_EQ_INT(k->kind, MLF_K_MUL);
    CHECK_EQ_INT(k->in1_offset, -3);
    CHECK_EQ_INT(k->in2_offset, 5);
    CHECK_EQ_INT(k->out_offset, -128);
    CHECK_EQ_INT(k->out_mult, 1073741824);
    CHECK_EQ_INT(k->out_shift, -5);
    CHECK_EQ_INT(k->act_min, -128);
    CHECK_EQ_INT(k->block_size, 16);
    CHECK_EQ_INT(k->ptr_param[MLF_KP_OUTPUT], 2);
    k = &m.functions[1].kernels[0];
    CHECK_EQ_INT(k->kind, MLF_K_MAXPOOL);
    CHECK(k->stride.w == 2 && k->stride.h == 1 && k->padding.w == 0 && k->padding.h == 1);
    CHECK(k->act_min == -100 && k->act_max == 100);
    CHECK(k->input.w == 6 && k->filter.h == 2 && k->filter.w == 3 && k->output.h == 3);
    CHECK(!k->bias.set);
    k = &m.functions[2].kernels[0];
    CHECK_EQ_INT(k->kind, MLF_K_SOFTMAX);
    CHECK(k->s16);
    CHECK(k->num_rows == 2 && k->row_size == 5 && k->mult == 1073741824 && k->shift == 1);
    CHECK_EQ_STR(m.functions[2].target, "cmsis_nn");
    mlf_release(&m);
}

/* v5 graph executors name the file graph.json; a .tgz is read like a .tar.gz. */
TEST(mlf, graph_json_name_and_tgz)
{
    const char *tmp = test_tmpdir(t_);
    char d[256], cmd[2048], args[700];
    snprintf(d, sizeof d, "%s/graph-v5", tmp);
    snprintf(cmd, sizeof cmd,
             "cp -r tests/data/mlf-hand/graph-v7 '%s' && mv '%s/executor-config/graph/default.graph' "
             "'%s/executor-config/graph/graph.json' && tar czf '%s.tgz' -C '%s' .",
             d, d, d, d, d);
    REQUIRE(system(cmd) == 0);
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(mlf_open(&m, d, &eb) == 0);
    REQUIRE(m.n_steps == 2);
    CHECK_EQ_STR(m.steps[1].function, "tvmgen_default_fused_nn_relu");
    mlf_release(&m);
    struct sbuf o1, o2;
    sbuf_init(&o1);
    sbuf_init(&o2);
    snprintf(args, sizeof args, "info --json tests/data/mlf-hand/graph-v7");
    CHECK_EQ_INT(test_cli(args, &o1, NULL), 0);
    snprintf(args, sizeof args, "info --json '%s.tgz'", d);
    CHECK_EQ_INT(test_cli(args, &o2, NULL), 0);
    CHECK_EQ_STR(o2.buf, o1.buf);
    CHECK(strstr(o1.buf, "\"executor\":\t\"graph\"") != NULL);
    CHECK(strstr(o1.buf, "\"interface\":\t\"packed\"") != NULL);
    sbuf_release(&o1);
    sbuf_release(&o2);
}

/* Fuzz regressions: unnamed parameters must read as NULL names, a second AOT main is skipped. */
TEST(mlf, unnamed_params_and_second_main)
{
    static const char src[] =
        "int32_t tvmgen_default_cmsis_nn_main_0(int8_t*, int8_t* output_, uint8_t*) {\n"
        "  arm_relu6_s8(input_, output_, 4);\n"
        "  return 0;\n"
        "}\n"
        "int32_t tvmgen_default___tvm_main__(int8_t* input_0, int8_t*, uint8_t* g_var) {\n"
        "  if (tvmgen_default_cmsis_nn_main_0(input_0, output_0, g_var) != 0 ) return -1;\n"
        "  return 0;\n"
        "}\n"
        "int32_t tvmgen_default___tvm_main__(int8_t* a, int8_t* b) {\n"
        "  if (tvmgen_default_cmsis_nn_main_0(a, b, b) != 0 ) return -1;\n"
        "  return 0;\n"
        "}\n";
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    mlf_init(&m);
    REQUIRE(mlf_parse_c(&m, "default_lib1.c", src, sizeof src - 1, &eb) == 0);
    REQUIRE(mlf_link(&m, &eb) == 0);
    REQUIRE(m.n_functions == 1);
    REQUIRE(m.functions[0].n_params == 3);
    CHECK(m.functions[0].params[0].name == NULL);
    CHECK_EQ_STR(m.functions[0].params[1].name, "output_");
    CHECK(m.functions[0].params[2].name == NULL);
    REQUIRE(m.functions[0].n_kernels == 1);
    CHECK_EQ_INT(m.functions[0].kernels[0].ptr_param[MLF_KP_OUTPUT], 1);
    CHECK_EQ_INT(m.functions[0].kernels[0].ptr_param[MLF_KP_INPUT], -1);
    REQUIRE(m.main.n_params == 3);
    CHECK(m.main.params[1].name == NULL);
    CHECK_EQ_INT(m.n_steps, 1);
    bool warned = false;
    for (size_t i = 0; i < m.n_warnings; i++)
        warned = warned || strstr(m.warnings[i], "second AOT main") != NULL;
    CHECK(warned);
    mlf_release(&m);
}

/* Initialisers hold every declared value; a huge count is refused before its memory is taken. */
TEST(mlf, initialiser_counts)
{
    static const char *const bad[][2] = {
        {"static const int8_t w[2147483648] = {1};\n", "2147483648 values declared"},
        {"static const int32_t w[4] = {1, -2};\n", "'}' after 2 of 4 values"},
        {"static struct global_const_workspace {\n"
         "  int8_t constant_0_let[4]; // 4 bytes, aligned offset: 0\n"
         "} global_const_workspace = {\n"
         "  .constant_0_let = {1, 2, 3}\n"
         "};// of total size 4 bytes\n",
         "'}' after 3 of 4 values"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct mlf m;
        struct errbuf eb;
        errbuf_init(&eb);
        mlf_init(&m);
        CHECK_EQ_INT(mlf_parse_c(&m, "default_lib0.c", bad[i][0], strlen(bad[i][0]), &eb),
                     ST_EPARSE);
        CHECK(strstr(eb.msg, "default_lib0.c:") == eb.msg);
        CHECK(strstr(eb.msg, bad[i][1]) != NULL);
        mlf_release(&m);
    }
}
