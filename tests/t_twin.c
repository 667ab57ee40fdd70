/*
 * Tests of `mlfscope twin` and `mlfscope instrument` on the real MLPerf Tiny MLFs: the host
 * twin must print what the NUCLEO-L4R5ZI board printed (tests/data/models/README.md), report
 * the VWW build's out-of-range shifts on the steps whose shift arrays hold them (found here
 * by scanning the C), and name file and line of a compile error. Builds are shared: each
 * fixture compiles once into build/test-twin/<name>, reused while its sources are unchanged.
 */
#include <math.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "dump/boardlog.h"
#include "dump/firmware/mlfscope_dump.h"
#include "dump/npy.h"
#include "fileio.h"
#include "mem.h"
#include "sbuf.h"
#include "test.h"

#include "banned.h"

#define MLF_DIR "tests/data/mlf/mlperf-tiny-v1.0-nucleo-"
#define IN_DIR "tests/data/models/inputs/"
#define TWIN_DIR "build/test-twin"

/* Runs the twin on one MLF and input into build/test-twin/<tag>; returns the exit code. */
static int run_twin(const char *mlf, const char *input, const char *tag, const char *extra,
                    struct sbuf *err)
{
    char args[1024];
    snprintf(args, sizeof args, "twin %s --input %s -o %s/%s --cflags -O1 %s", mlf, input,
             TWIN_DIR, tag, extra ? extra : "");
    struct sbuf out;
    sbuf_init(&out);
    int rc = test_cli(args, &out, err);
    sbuf_release(&out);
    return rc;
}

/* The last tensor of the run folder (v->data heap, mem_free). False on failure. */
static bool last_value(const char *tag, struct tensor_value *v)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/index.json", TWIN_DIR, tag);
    size_t bytes;
    unsigned char *text = test_read_file(path, &bytes);
    if (!text)
        return false;
    cJSON *root = cJSON_ParseWithLength((const char *)text, bytes);
    mem_free(text);
    cJSON *ts = cJSON_GetObjectItem(root, "tensors");
    int k = cJSON_GetArraySize(ts);
    cJSON *last = k > 0 ? cJSON_GetArrayItem(ts, k - 1) : NULL;
    cJSON *file = cJSON_GetObjectItem(last, "file");
    bool ok = false;
    if (cJSON_IsString(file)) {
        snprintf(path, sizeof path, "%s/%s/%s", TWIN_DIR, tag, file->valuestring);
        struct errbuf eb;
        errbuf_init(&eb);
        ok = npy_read_file(path, v, &eb) == 0;
    }
    cJSON_Delete(root);
    return ok;
}

/* The last tensor as int8 values; count in *n. NULL on failure or another dtype. */
static int8_t *last_output(const char *tag, size_t *n)
{
    struct tensor_value v;
    if (!last_value(tag, &v))
        return NULL;
    if (v.dtype != DTYPE_S8) {
        mem_free(v.data);
        return NULL;
    }
    *n = v.bytes;
    return v.data;
}

static void check_output(struct test_ctx *t_, const char *tag, const int8_t *want, size_t n)
{
    size_t got_n = 0;
    int8_t *got = last_output(tag, &got_n);
    REQUIRE(got);
    CHECK_EQ_INT(got_n, n);
    if (got_n == n)
        CHECK_MEM(got, want, n);
    mem_free(got);
}

/* IC perf samples are uint8 pixels; the model input is byte - 128 as int8. */
static const char *ic_input(struct test_ctx *t_, const char *name)
{
    static char path[512];
    char src[256];
    snprintf(src, sizeof src, IN_DIR "ic/%s.bin", name);
    size_t n;
    unsigned char *px = test_read_file(src, &n);
    if (!px)
        return NULL;
    for (size_t i = 0; i < n; i++)
        px[i] = (unsigned char)(px[i] ^ 0x80);   /* (int8)(p - 128) */
    snprintf(path, sizeof path, "%s/%s.bin", test_tmpdir(t_), name);
    struct errbuf eb;
    errbuf_init(&eb);
    int rc = fileio_write(path, px, n, &eb);
    mem_free(px);
    return rc ? NULL : path;
}

TEST(twin, kws_cmsis_nn_board_outputs)
{
    static const int8_t yes9[12] = {-128, -128, -128, -128, -128, -128, -128, -128, -128, 127,
                                    -128, -128};
    static const int8_t left2[12] = {-128, -128, 56, -128, -125, -128, -120, -128, -126, -128,
                                     -128, -70};
    struct sbuf err;
    sbuf_init(&err);
    CHECK_EQ_INT(run_twin(MLF_DIR "cmsis_nn-kws", IN_DIR "kws/tst_000098_Yes_9.bin", "kws",
                          NULL, &err), 0);
    check_output(t_, "kws", yes9, 12);
    CHECK_EQ_INT(run_twin(MLF_DIR "cmsis_nn-kws", "input_1=" IN_DIR "kws/tst_000099_Left_2.bin",
                          "kws", NULL, &err), 0);
    check_output(t_, "kws", left2, 12);
    /* the same sample as .npy; a uint8 array is refused before anything is built */
    size_t n_in;
    unsigned char *raw = test_read_file(IN_DIR "kws/tst_000098_Yes_9.bin", &n_in);
    REQUIRE(raw && n_in == 490);
    struct tensor_value v = {.dtype = DTYPE_S8, .rank = 4, .dims = {1, 49, 10, 1},
                             .data = raw, .bytes = 490};
    char npy[512];
    snprintf(npy, sizeof npy, "%s/yes.npy", test_tmpdir(t_));
    struct errbuf eb;
    errbuf_init(&eb);
    CHECK(npy_write_file(npy, &v, &eb) == 0);
    CHECK_EQ_INT(run_twin(MLF_DIR "cmsis_nn-kws", npy, "kws", NULL, &err), 0);
    check_output(t_, "kws", yes9, 12);
    v.dtype = DTYPE_U8;
    CHECK(npy_write_file(npy, &v, &eb) == 0);
    sbuf_reset(&err);
    CHECK_EQ_INT(run_twin(MLF_DIR "cmsis_nn-kws", npy, "kws-refused", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "uint8 given") != NULL);
    CHECK(!fileio_exists(TWIN_DIR "/kws-refused/build"));
    mem_free(raw);
    /* a step's tensor carries the kernel's output shape (the DS-CNN's first layer: 25x5x64) */
    size_t n;
    unsigned char *idx = test_read_file(TWIN_DIR "/kws/index.json", &n);
    REQUIRE(idx);
    cJSON *root = cJSON_ParseWithLength((const char *)idx, n);
    mem_free(idx);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(root, "arith")), "twin");
    cJSON *t0 = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "tensors"), 0);
    cJSON *shape = cJSON_GetObjectItem(t0, "shape");
    CHECK_EQ_INT(cJSON_GetArraySize(shape), 4);
    CHECK_EQ_INT(cJSON_GetArrayItem(shape, 1)->valueint, 25);
    CHECK_EQ_INT(cJSON_GetArrayItem(shape, 3)->valueint, 64);
    CHECK_EQ_INT(cJSON_GetObjectItem(t0, "step")->valueint, 0);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(t0, "name")), "sid_7");
    cJSON_Delete(root);
    /* with the source model, each step is named by the layer the layer map gives it */
    CHECK_EQ_INT(run_twin(MLF_DIR "cmsis_nn-kws", IN_DIR "kws/tst_000099_Left_2.bin", "kws",
                          "--model tests/data/models/kws_ref_model.tflite", &err), 0);
    check_output(t_, "kws", left2, 12);
    idx = test_read_file(TWIN_DIR "/kws/index.json", &n);
    REQUIRE(idx);
    root = cJSON_ParseWithLength((const char *)idx, n);
    mem_free(idx);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(root, "model")), "kws_ref_model");
    cJSON *ts = cJSON_GetObjectItem(root, "tensors");
    cJSON *last = cJSON_GetArrayItem(ts, cJSON_GetArraySize(ts) - 1);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(last, "name")), "Identity");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(last, "layer")), "Identity");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(last, "op")), "SOFTMAX");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(last, "buffer")),
                 "Identity_buffer_var");
    cJSON_Delete(root);
    /*
     * The twin folder is a trace `diff` reads: against the TFLite-Micro arithmetic of the
     * reference interpreter every layer the board computes agrees exactly.
     */
    char args[1024];
    const char *ref = test_tmpdir(t_);
    snprintf(args, sizeof args, "run tests/data/models/kws_ref_model.tflite --input "
             IN_DIR "kws/tst_000099_Left_2.bin --input-dtype int8 --input-shape 1,49,10,1 "
             "-o %s/ref --arith tflm", ref);
    CHECK_EQ_INT(test_cli(args, NULL, NULL), 0);
    struct sbuf dout;
    sbuf_init(&dout);
    snprintf(args, sizeof args, "diff %s/ref %s/kws --model tests/data/models/kws_ref_model.tflite"
             " --partial", ref, TWIN_DIR);
    CHECK_EQ_INT(test_cli(args, &dout, NULL), 0);
    CHECK(strstr(sbuf_str(&dout), "first divergence: none") != NULL);
    sbuf_release(&dout);
    sbuf_release(&err);
}

struct ic_case {
    const char *file;
    int8_t cmsis[10], native[10];
};

static const struct ic_case ic_cases[] = {
    {"cock_s_000054", {-128, -128, -93, -117, -128, -58, -128, 11, -128, -127},
     {-127, -128, -11, -110, -128, -69, -128, -69, -128, -125}},
    {"walking_horse_s_001755", {-128, -128, -128, -128, -128, -127, -128, 127, -128, -128},
     {-128, -128, -128, -128, -128, -127, -128, 127, -128, -128}},
    {"wapiti_s_001247", {-128, -128, -128, -128, 127, -128, -128, -128, -128, -128},
     {-128, -128, -128, -128, 127, -128, -128, -128, -128, -128}},
};

static void ic_board(struct test_ctx *t_, const char *variant, bool native)
{
    struct sbuf err;
    sbuf_init(&err);
    char mlf[256], tag[64];
    snprintf(mlf, sizeof mlf, MLF_DIR "%s-ic", variant);
    snprintf(tag, sizeof tag, "ic-%s", variant);
    for (size_t i = 0; i < sizeof ic_cases / sizeof ic_cases[0]; i++) {
        const char *in = ic_input(t_, ic_cases[i].file);
        REQUIRE(in);
        sbuf_reset(&err);
        CHECK_EQ_INT(run_twin(mlf, in, tag, NULL, &err), 0);
        check_output(t_, tag, native ? ic_cases[i].native : ic_cases[i].cmsis, 10);
    }
    sbuf_release(&err);
}

TEST(twin, ic_cmsis_nn_board_outputs)
{
    ic_board(t_, "cmsis_nn", false);
    /*
     * TVM sized the first conv's context buffer (3x3x3 kernel) for CMSIS-NN v4: 108 bytes;
     * v5 and later round the im2col row up to 4 and need 112 (MLF-FORMAT.md 5.3).
     */
    struct sbuf err;
    sbuf_init(&err);
    const char *in = ic_input(t_, "cock_s_000054");
    REQUIRE(in);
    CHECK_EQ_INT(run_twin(MLF_DIR "cmsis_nn-ic", in, "ic-cmsis_nn", "--cmsis-nn-version 5",
                          &err), 0);
    size_t n;
    unsigned char *text = test_read_file(TWIN_DIR "/ic-cmsis_nn/hazards.json", &n);
    REQUIRE(text);
    cJSON *root = cJSON_ParseWithLength((const char *)text, n);
    mem_free(text);
    CHECK_EQ_INT(cJSON_GetArraySize(root), 1);
    cJSON *h = cJSON_GetArrayItem(root, 0);
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(h, "kind")),
                 "context-buffer-too-small");
    CHECK_EQ_INT(cJSON_GetObjectItem(h, "step")->valueint, 0);
    const char *detail = cJSON_GetStringValue(cJSON_GetObjectItem(h, "detail"));
    CHECK(detail && strstr(detail, "108") && strstr(detail, "112"));
    cJSON_Delete(root);
    /* with v4 rules (the default) the same build reports nothing */
    CHECK_EQ_INT(run_twin(MLF_DIR "cmsis_nn-ic", in, "ic-cmsis_nn", NULL, &err), 0);
    text = test_read_file(TWIN_DIR "/ic-cmsis_nn/hazards.json", &n);
    REQUIRE(text);
    CHECK(n >= 2 && memcmp(text, "[]", 2) == 0);
    mem_free(text);
    sbuf_release(&err);
}

TEST(twin, ic_native_board_outputs)
{
    ic_board(t_, "native", true);
    /*
     * TVM's own C states no output sizes; they come from the stores in each function's loops.
     * ResNet-8 on CIFAR-10: 32x32x3 in, 32x32x16, 16x16x32, 8x8x64 feature maps, 64 pooled,
     * 10 classes. Flat element counts per step of the native build:
     */
    static const int want[15] = {3072, 16384, 16384, 16384, 16384, 8192, 8192, 8192, 4096,
                                 4096, 4096, 64, 64, 10, 10};
    size_t n;
    unsigned char *text = test_read_file(TWIN_DIR "/ic-native/index.json", &n);
    REQUIRE(text);
    cJSON *root = cJSON_ParseWithLength((const char *)text, n);
    mem_free(text);
    cJSON *ts = cJSON_GetObjectItem(root, "tensors");
    CHECK_EQ_INT(cJSON_GetArraySize(ts), 15);
    for (int i = 0; i < 15 && i < cJSON_GetArraySize(ts); i++) {
        cJSON *e = cJSON_GetArrayItem(ts, i);
        CHECK_EQ_INT(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "shape"), 0)->valueint, want[i]);
        CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e, "size")), "loop-bounds");
    }
    cJSON_Delete(root);
}

/*
 * Steps of the VWW build whose per-channel shift array holds a value below -31, found from
 * the C alone: int32 constant arrays in default_lib0.c whose values all lie in [-63, 31]
 * (shifts) with one below -31, then the AOT calls in default_lib1.c that pass them.
 */
static size_t bad_shift_steps(long *steps, size_t cap)
{
    const char *dir = MLF_DIR "cmsis_nn-vww/codegen/host/src/";
    char path[256];
    size_t n0, n1;
    snprintf(path, sizeof path, "%sdefault_lib0.c", dir);
    char *lib0 = (char *)test_read_file(path, &n0);
    snprintf(path, sizeof path, "%sdefault_lib1.c", dir);
    char *lib1 = (char *)test_read_file(path, &n1);
    size_t found = 0;
    if (!lib0 || !lib1)
        goto out;
    char names[64][48];
    size_t n_names = 0;
    for (const char *p = lib0; (p = strstr(p, "  .constant_")) != NULL;) {
        p += 3;
        size_t len = strcspn(p, " =");
        const char *open = strchr(p, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        if (!close)
            break;
        bool int32 = true, all_small = true, below = false;
        for (const char *q = open + 1; q < close;) {
            while (q < close && (*q == ' ' || *q == ',' || *q == '\n'))
                q++;
            if (q >= close)
                break;
            const char *tok = q;
            while (q < close && *q != ',' && *q != ' ' && *q != '\n')
                q++;
            /* int32 literals are written with 8 hex digits: -0x00000021 */
            const char *x = strstr(tok, "0x");
            if (!x || x > q || q - (x + 2) != 8) {
                int32 = false;
                break;
            }
            long v = strtol(tok, NULL, 16);
            if (v < -63 || v > 31)
                all_small = false;
            if (v < -31)
                below = true;
        }
        if (int32 && all_small && below && n_names < 64 && len < 48) {
            memcpy(names[n_names], p, len);
            names[n_names++][len] = '\0';
        }
        p = close;
    }
    /* the calls of the AOT main, in order */
    const char *main_at = strstr(lib1, "tvmgen_default___tvm_main__(");
    long step = 0;
    for (const char *p = main_at; p && (p = strstr(p, "if (tvmgen_default_")) != NULL; step++) {
        const char *eol = strchr(p, '\n');
        for (size_t i = 0; i < n_names; i++) {
            const char *hit = strstr(p, names[i]);
            if (hit && hit < eol && found < cap &&
                (found == 0 || steps[found - 1] != step))
                steps[found++] = step;
        }
        p = eol;
    }
out:
    mem_free(lib0);
    mem_free(lib1);
    return found;
}

TEST(twin, vww_shift_hazards_on_the_right_steps)
{
    long want[32];
    size_t n_want = bad_shift_steps(want, 32);
    REQUIRE(n_want > 0);
    struct sbuf err;
    sbuf_init(&err);
    CHECK_EQ_INT(run_twin(MLF_DIR "cmsis_nn-vww", IN_DIR "vww/0097.bin", "vww", NULL, &err), 0);
    CHECK(strstr(sbuf_str(&err), "shift-out-of-range") != NULL);
    size_t n;
    unsigned char *text = test_read_file(TWIN_DIR "/vww/hazards.json", &n);
    REQUIRE(text);
    cJSON *root = cJSON_ParseWithLength((const char *)text, n);
    mem_free(text);
    long got[32];
    size_t n_got = 0;
    cJSON *h;
    cJSON_ArrayForEach(h, root) {
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(h, "kind")), "shift-out-of-range"))
            continue;
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(h, "channels")) > 0);
        if (n_got < 32)
            got[n_got++] = (long)cJSON_GetObjectItem(h, "step")->valuedouble;
    }
    cJSON_Delete(root);
    CHECK_EQ_INT(n_got, n_want);
    for (size_t i = 0; i < n_got && i < n_want; i++)
        CHECK_EQ_INT(got[i], want[i]);
    /* the MLPerf ground truth for this sample is "person" */
    size_t k;
    int8_t *out = last_output("vww", &k);
    REQUIRE(out && k == 2);
    CHECK(out[1] > out[0]);
    mem_free(out);
    sbuf_release(&err);
}

TEST(twin, float_and_native_fixtures_build_and_run)
{
    const char *dir = test_tmpdir(t_);
    char in[512];
    snprintf(in, sizeof in, "%s/ad.bin", dir);
    /* the AD builds take float32 [1,640]: the 0098 sample dequantized (0.3910152, zp 89) */
    size_t n;
    unsigned char *q = test_read_file(IN_DIR "ad01/0098.bin", &n);
    REQUIRE(q && n == 640);
    float f[640];
    for (size_t i = 0; i < 640; i++)
        f[i] = 0.3910152f * (float)((int)(int8_t)q[i] - 89);
    mem_free(q);
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(fileio_write(in, f, sizeof f, &eb) == 0);
    struct sbuf err;
    sbuf_init(&err);
    CHECK_EQ_INT(run_twin(MLF_DIR "cmsis_nn-ad", in, "ad-cmsis_nn", "--input-dtype float32",
                          &err), 0);
    CHECK_EQ_INT(run_twin(MLF_DIR "native-ad", in, "ad-native", "--input-dtype float32", &err),
                 0);
    /*
     * The fork's TFLite run scores this sample 5590 = int(mean((in - out)^2)) over int8 values
     * (tflm_labels.csv). TFLite's x86 kernels round differently from CMSIS-NN, so the twin
     * must come close, not equal: a wrong layer moves the score by far more than 20.
     */
    static const char *const ad_tags[] = {"ad-cmsis_nn", "ad-native"};
    for (size_t k = 0; k < 2; k++) {
        struct tensor_value v;
        REQUIRE(last_value(ad_tags[k], &v));
        CHECK_EQ_INT(v.dtype, DTYPE_F32);
        CHECK_EQ_INT(v.bytes, 640 * sizeof(float));
        if (v.dtype == DTYPE_F32 && v.bytes == 640 * sizeof(float)) {
            const float *o = v.data;
            double sum = 0;
            for (size_t i = 0; i < 640; i++) {
                /* the output is dequantized with scale 0.3644985, zero point 96 */
                double qo = (double)lround(o[i] / 0.3644985) + 96;
                double qi = (double)(f[i] / 0.3910152f) + 89;
                sum += (qi - qo) * (qi - qo);
            }
            CHECK_NEAR(sum / 640, 5590, 20);
        }
        mem_free(v.data);
    }
    /* the 2021-22 float sine model (no USMP, TVMBackendAllocWorkspace) */
    float x = 1.0f;
    snprintf(in, sizeof in, "%s/x.bin", dir);
    REQUIRE(fileio_write(in, &x, sizeof x, &eb) == 0);
    CHECK_EQ_INT(run_twin("tests/data/mlf/sine-v5-tvm0.9dev", in, "sine",
                          "--input-dtype float32", &err), 0);
    /* a wrong input size is refused before anything runs */
    CHECK_EQ_INT(run_twin(MLF_DIR "cmsis_nn-kws", in, "kws", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "takes 490") != NULL);
    sbuf_release(&err);
}

/*
 * Copies the sine MLF to dir/mlf, inserting `insert` at the start of line `line` of
 * default_lib1.c, or replacing `from` by `to` on that line when insert is NULL.
 */
static bool broken_sine(const char *dir, unsigned line_no, const char *insert, const char *from,
                        const char *to)
{
    static const char *const files[] = {
        "metadata.json", "codegen/host/src/default_lib0.c", "codegen/host/src/default_lib1.c",
        "codegen/host/include/tvmgen_default.h",
    };
    struct errbuf eb;
    errbuf_init(&eb);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char from_path[512], path[512];
        snprintf(from_path, sizeof from_path, "tests/data/mlf/sine-v5-tvm0.9dev/%s", files[i]);
        size_t n;
        unsigned char *data = test_read_file(from_path, &n);
        if (!data)
            return false;
        struct sbuf sb;
        sbuf_init(&sb);
        if (strstr(files[i], "default_lib1.c")) {
            size_t line = 1, at = 0;
            while (at < n && line < line_no)
                line += data[at++] == '\n';
            size_t eol = at;
            while (eol < n && data[eol] != '\n')
                eol++;
            sbuf_addn(&sb, (const char *)data, at);
            if (insert) {
                sbuf_add(&sb, insert);
                sbuf_addn(&sb, (const char *)data + at, n - at);
            } else {
                char *l = mem_alloc(eol - at + 1);
                if (!l)
                    return false;
                memcpy(l, data + at, eol - at);
                l[eol - at] = '\0';
                char *hit = strstr(l, from);
                if (!hit) {
                    mem_free(l);
                    return false;
                }
                sbuf_addn(&sb, l, (size_t)(hit - l));
                sbuf_add(&sb, to);
                sbuf_add(&sb, hit + strlen(from));
                mem_free(l);
                sbuf_addn(&sb, (const char *)data + eol, n - eol);
            }
        } else {
            sbuf_addn(&sb, (const char *)data, n);
        }
        mem_free(data);
        snprintf(path, sizeof path, "%s/mlf/%s", dir, files[i]);
        char *d = fileio_dirname(path);
        bool ok = d && fileio_mkdirs(d, &eb) == 0 && fileio_write(path, sb.buf, sb.len, &eb) == 0;
        mem_free(d);
        sbuf_release(&sb);
        if (!ok)
            return false;
    }
    return true;
}

TEST(twin, compile_error_names_file_and_line)
{
    const char *dir = test_tmpdir(t_);
    char path[512], args[1024];
    REQUIRE(broken_sine(dir, 20, "@@ not C @@ ", NULL, NULL));
    struct errbuf eb;
    errbuf_init(&eb);
    float x = 0.5f;
    snprintf(path, sizeof path, "%s/x.bin", dir);
    REQUIRE(fileio_write(path, &x, sizeof x, &eb) == 0);
    snprintf(args, sizeof args, "twin %s/mlf --input %s -o %s/out --cflags -O0", dir, path, dir);
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli(args, &out, &err), 2);
    snprintf(path, sizeof path, "%s/mlf/codegen/host/src/default_lib1.c:20:", dir);
    CHECK(strstr(sbuf_str(&err), path) != NULL);
    CHECK(strstr(sbuf_str(&err), "error") != NULL);
    sbuf_release(&out);
    sbuf_release(&err);
}

TEST(twin, sanitize_reports_out_of_bounds_by_step)
{
    /*
     * sine's fused_reshape_1 copies 16 floats into a 64-byte TVMBackendAllocWorkspace buffer;
     * make its loop run to 17. Steps 2 and 4 call it; ASan reports a location once.
     */
    const char *dir = test_tmpdir(t_);
    REQUIRE(broken_sine(dir, 196, NULL, "ax1_inner < 16", "ax1_inner < 17"));
    char path[512], args[1024];
    struct errbuf eb;
    errbuf_init(&eb);
    float x = 0.5f;
    snprintf(path, sizeof path, "%s/x.bin", dir);
    REQUIRE(fileio_write(path, &x, sizeof x, &eb) == 0);
    snprintf(args, sizeof args, "twin %s/mlf --input %s -o %s/sine-asan --cflags -O1 --sanitize",
             dir, path, TWIN_DIR);
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli(args, &out, &err), 0);
    size_t n;
    unsigned char *text = test_read_file(TWIN_DIR "/sine-asan/hazards.json", &n);
    REQUIRE(text);
    cJSON *root = cJSON_ParseWithLength((const char *)text, n);
    mem_free(text);
    bool write_seen = false;
    cJSON *h;
    cJSON_ArrayForEach(h, root) {
        CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(h, "kind")), "asan");
        CHECK_EQ_INT(cJSON_GetObjectItem(h, "step")->valueint, 2);
        CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(h, "function")),
                     "tvmgen_default_fused_reshape_1");
        const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(h, "detail"));
        if (d && strstr(d, "heap-buffer-overflow: WRITE of size 4") &&
            strstr(d, "default_lib1.c:197"))
            write_seen = true;
    }
    CHECK(write_seen);
    cJSON_Delete(root);
    sbuf_release(&out);
    sbuf_release(&err);
}
TEST(twin, a_hanging_step_is_stopped_and_named)
{
    const char *dir = test_tmpdir(t_);
    REQUIRE(broken_sine(dir, 196, NULL, "++ax1_inner", "ax1_inner += 0"));
    char path[512], args[1024];
    struct errbuf eb;
    errbuf_init(&eb);
    float x = 0.5f;
    snprintf(path, sizeof path, "%s/x.bin", dir);
    REQUIRE(fileio_write(path, &x, sizeof x, &eb) == 0);
    snprintf(args, sizeof args, "twin %s/mlf --input %s -o %s/sine-hang --cflags -O0 "
             "--timeout 0.5", dir, path, TWIN_DIR);
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli(args, &out, &err), 3);
    CHECK(strstr(sbuf_str(&err), "step 2 tvmgen_default_fused_reshape_1: crash: stopped after")
          != NULL);
    sbuf_release(&out);
    sbuf_release(&err);
}

TEST(twin, instrument_output_compiles)
{
    const char *dir = test_tmpdir(t_);
    char args[1024];
    snprintf(args, sizeof args, "instrument %s -o %s/kws --layers 0,9-11", MLF_DIR "cmsis_nn-kws",
             dir);
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli(args, &out, &err), 0);
    CHECK(strstr(sbuf_str(&out), "4 of 12 steps") != NULL);
    char path[512];
    snprintf(path, sizeof path, "%s/kws/README-mlfscope.md", dir);
    CHECK(fileio_exists(path));
    /* the instrumented main keeps the original's line count */
    size_t n0, n1;
    unsigned char *a = test_read_file(MLF_DIR "cmsis_nn-kws/codegen/host/src/default_lib1.c",
                                      &n0);
    snprintf(path, sizeof path, "%s/kws/codegen/host/src/default_lib1.c", dir);
    unsigned char *b = test_read_file(path, &n1);
    REQUIRE(a && b);
    size_t l0 = 0, l1 = 0;
    for (size_t i = 0; i < n0; i++)
        l0 += a[i] == '\n';
    for (size_t i = 0; i < n1; i++)
        l1 += b[i] == '\n';
    CHECK_EQ_INT(l1, l0);
    CHECK(strstr((const char *)b, "mlfscope_step_end(10, \"sid_67\"") != NULL);
    CHECK(strstr((const char *)b, "mlfscope_step_end(1,") == NULL);
    mem_free(a);
    mem_free(b);
    /* the host compiler accepts the instrumented C, the hooks and the emitter */
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cc -std=gnu11 -fsyntax-only -fno-strict-aliasing "
             "-Wno-implicit-function-declaration -Wno-incompatible-pointer-types "
             "-Wno-attributes -Iref/cmsis/include -Iref/twin/include -I%s/kws/codegen/host/include "
             "%s/kws/codegen/host/src/*.c 2>%s/cc.log", dir, dir, dir);
    CHECK_EQ_INT(system(cmd), 0);
    /*
     * End to end with the firmware hooks: the instrumented sine model, linked with a putc that
     * writes to a file, prints a board log whose tensors are what the twin computes.
     */
    snprintf(args, sizeof args, "instrument tests/data/mlf/sine-v5-tvm0.9dev -o %s/sine", dir);
    CHECK_EQ_INT(test_cli(args, &out, &err), 0);
    snprintf(path, sizeof path, "%s/app.c", dir);
    static const char app[] =
        "#include <stdio.h>\n#include \"tvmgen_default.h\"\n#include \"twin_runtime.h\"\n"
        "static FILE *f;\nvoid mlfscope_board_putc(char c, void *u) { (void)u; fputc(c, f); }\n"
        "static unsigned char arena[4096] __attribute__((aligned(16)));\n"
        "int main(int argc, char **argv) {\n    (void)argc; float x = 0.5f, y = 0;\n"
        "    f = fopen(argv[1], \"w\");\n    ref_twin_workspace_init(arena, sizeof arena, 0);\n"
        "    struct tvmgen_default_inputs i = {&x}; struct tvmgen_default_outputs o = {&y};\n"
        "    int rc = tvmgen_default_run(&i, &o);\n    fclose(f);\n    return rc; }\n";
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(fileio_write(path, app, sizeof app - 1, &eb) == 0);
    snprintf(cmd, sizeof cmd,
             "cc -std=gnu11 -O1 -w -Iref/twin -Iref/twin/include -I%s/sine/codegen/host/include "
             "%s/sine/codegen/host/src/*.c ref/twin/twin_runtime.c %s -o %s/app -lm "
             "2>%s/cc.log && %s/app %s/board.log", dir, dir, path, dir, dir, dir, dir);
    CHECK_EQ_INT(system(cmd), 0);
    float x = 0.5f;
    snprintf(path, sizeof path, "%s/x.bin", dir);
    REQUIRE(fileio_write(path, &x, sizeof x, &eb) == 0);
    snprintf(args, sizeof args, "twin tests/data/mlf/sine-v5-tvm0.9dev --input %s -o %s/sine "
             "--cflags -O1", path, TWIN_DIR);
    CHECK_EQ_INT(test_cli(args, &out, &err), 0);
    snprintf(path, sizeof path, "%s/board.log", dir);
    struct boardlog bl, tl;
    boardlog_init(&bl);
    boardlog_init(&tl);
    REQUIRE(boardlog_open(path, &bl, &eb) == 0);
    if (boardlog_open(TWIN_DIR "/sine/build/board.log", &tl, &eb) == 0) {
        CHECK_EQ_INT(bl.n_tensors, 6);
        CHECK_EQ_INT(bl.n_corrupt, 0);
        CHECK_EQ_INT(tl.n_tensors, bl.n_tensors);
        for (size_t i = 0; i < bl.n_tensors && i < tl.n_tensors; i++) {
            CHECK_EQ_STR(bl.tensors[i].name, tl.tensors[i].name);
            CHECK_EQ_INT(bl.tensors[i].value.bytes, tl.tensors[i].value.bytes);
            if (bl.tensors[i].value.bytes == tl.tensors[i].value.bytes)
                CHECK_MEM(bl.tensors[i].value.data, tl.tensors[i].value.data,
                          bl.tensors[i].value.bytes);
        }
    } else {
        CHECK(!"twin board log missing");
    }
    boardlog_release(&bl);
    boardlog_release(&tl);
    /* with the model, the firmware prints the layer's name (what diff matches on) */
    snprintf(args, sizeof args, "instrument %s -o %s/kws-named --model "
             "tests/data/models/kws_ref_model.tflite", MLF_DIR "cmsis_nn-kws", dir);
    CHECK_EQ_INT(test_cli(args, &out, &err), 0);
    snprintf(path, sizeof path, "%s/kws-named/codegen/host/src/default_lib1.c", dir);
    b = test_read_file(path, &n1);
    REQUIRE(b);
    CHECK(strstr((const char *)b, "mlfscope_step_end(11, \"Identity\", 0, (const int[]){1, 12}")
          != NULL);
    mem_free(b);
    CHECK_EQ_INT(test_cli("instrument " MLF_DIR "cmsis_nn-kws -o /nonexistent/x --layers 99",
                          &out, &err), 2);
    CHECK(strstr(sbuf_str(&err), "'99' matches no step") != NULL);
    sbuf_release(&out);
    sbuf_release(&err);
}

static void put_sbuf(char c, void *user)
{
    sbuf_addc(user, c);
}

TEST(twin, emitter_and_parser_round_trip)
{
    static const enum mlfscope_dump_dtype dts[] = {
        MLFSCOPE_DUMP_INT8, MLFSCOPE_DUMP_UINT8, MLFSCOPE_DUMP_INT16, MLFSCOPE_DUMP_INT32,
        MLFSCOPE_DUMP_FLOAT32,
    };
    static const enum dtype want_dt[] = {DTYPE_S8, DTYPE_U8, DTYPE_S16, DTYPE_S32, DTYPE_F32};
    static const size_t el[] = {1, 1, 2, 4, 4};
    uint8_t data[5][1000];
    uint32_t seed = 12345;
    struct sbuf log;
    sbuf_init(&log);
    struct mlfscope_dump d;
    mlfscope_dump_init(&d, put_sbuf, &log);
    mlfscope_dump_begin(&d, "run-1", "m");
    for (int k = 0; k < 5; k++) {
        for (size_t i = 0; i < sizeof data[k]; i++) {
            seed = seed * 1103515245u + 12345u;
            data[k][i] = (uint8_t)(seed >> 16);
        }
        /* lengths not a multiple of 3 exercise the base64 padding */
        int32_t dims[2] = {(int32_t)(k + 1), (int32_t)((997 - k * 10) / el[k] / (size_t)(k + 1))};
        size_t bytes = (size_t)dims[0] * (size_t)dims[1] * el[k];
        mlfscope_dump_tensor(&d, (uint32_t)k, "t", dts[k], dims, 2, data[k], (uint32_t)bytes);
    }
    mlfscope_dump_end(&d);
    REQUIRE(!sbuf_failed(&log));
    struct boardlog bl;
    boardlog_init(&bl);
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(boardlog_parse(log.buf, log.len, &bl, &eb) == 0);
    CHECK_EQ_INT(bl.n_tensors, 5);
    CHECK_EQ_INT(bl.n_corrupt, 0);
    for (size_t k = 0; k < bl.n_tensors && k < 5; k++) {
        const struct boardlog_tensor *t = &bl.tensors[k];
        size_t bytes = (size_t)t->value.dims[0] * (size_t)t->value.dims[1] * el[k];
        CHECK_EQ_INT(t->index, (long long)k);
        CHECK_EQ_INT(t->value.dtype, want_dt[k]);
        CHECK_EQ_INT(t->value.rank, 2);
        CHECK_EQ_INT(t->value.bytes, bytes);
        CHECK_MEM(t->value.data, data[k], bytes);
    }
    boardlog_release(&bl);
    sbuf_release(&log);
}
