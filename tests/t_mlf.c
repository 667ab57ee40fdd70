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
    "mlperf-tiny-v1.0-nucleo-cmsis_nn-ad",  "mlperf-tiny-v1.0-nucleo-cmsis_nn-ic",
    "mlperf-tiny-v1.0-nucleo-cmsis_nn-kws", "mlperf-tiny-v1.0-nucleo-cmsis_nn-vww",
    "mlperf-tiny-v1.0-nucleo-native-ad",    "mlperf-tiny-v1.0-nucleo-native-ic",
    "sine-v5-tvm0.9dev",
};
#define N_FIXTURES (sizeof fixtures / sizeof fixtures[0])

static const char *const kernel_names[] = {
    "arm_convolve_wrapper_s8", "arm_depthwise_conv_wrapper_s8", "arm_fully_connected_s8",
    "arm_avgpool_s8",          "arm_max_pool_s8",               "arm_softmax_s8",
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
        REQUIRE(sh3(cmd, sizeof cmd, snprintf(cmd, sizeof cmd, "tar cf '%s' -C '%s' .", tar, dir)) == 0);
        REQUIRE(sh3(cmd, sizeof cmd, snprintf(cmd, sizeof cmd, "tar czf '%s' -C tests/data/mlf '%s'",
                                              tgz, fixtures[i])) == 0);
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
        snprintf(args, sizeof args, "mlfinfo --json '%s'", dir);
        CHECK_EQ_INT(test_cli(args, &o1, NULL), 0);
        snprintf(args, sizeof args, "mlfinfo --json '%s'", tgz);
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
    found_in_model(t_, "mlperf-tiny-v1.0-nucleo-cmsis_nn-vww", "tests/data/models/vww_96_int8.tflite",
                   &n, &bytes, &s8, &s8_found);
    CHECK_EQ_INT(bytes, 218864);
    CHECK_EQ_INT(n, 51);
    CHECK_EQ_INT(s8_found, s8);
    found_in_model(t_, "mlperf-tiny-v1.0-nucleo-cmsis_nn-ad", "tests/data/models/ad01_int8.tflite",
                   &n, &bytes, &s8, &s8_found);
    CHECK_EQ_INT(s8_found, s8);
    CHECK_EQ_INT(s8, 10);   /* FULLY_CONNECTED x10 */
    found_in_model(t_, "mlperf-tiny-v1.0-nucleo-native-ad", "tests/data/models/ad01_int8.tflite",
                   &n, &bytes, &s8, &s8_found);
    CHECK_EQ_INT(s8_found, s8);
    /* kws: the first CONV_2D (1 input channel) became a depthwise conv, its filter re-laid
       out as {1,10,4,64}; the other int8 weights are verbatim */
    found_in_model(t_, "mlperf-tiny-v1.0-nucleo-cmsis_nn-kws", "tests/data/models/kws_ref_model.tflite",
                   &n, &bytes, &s8, &s8_found);
    CHECK_EQ_INT(s8, 10);
    CHECK_EQ_INT(s8_found, 9);
}
