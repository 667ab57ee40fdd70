/*
 * dump/: .npy reading (files numpy wrote, formats 1.0-3.0) and writing (byte-identical to
 * numpy's own), the firmware emitter (CRC-32 check value, zlib agreement, base64 per RFC
 * 4648), and the board-log parser on logs the emitter made from real model inputs, then
 * damaged in known ways: each damaged tensor must be reported with its reason and line
 * while the others stay intact.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "test.h"
#include "../dump/boardlog.h"
#include "../dump/firmware/mlfscope_dump.h"
#include "../dump/npy.h"
#include "../src/mem.h"
#include "../src/sbuf.h"

#define KWS_BIN "tests/data/boardlog/tst_000098_Yes_9.bin"
#define IC_BIN "tests/data/boardlog/cock_s_000054.bin"

/* ---- .npy ------------------------------------------------------------------------------ */

static int read_npy(const char *name, struct tensor_value *v, struct errbuf *eb)
{
    char path[256];
    snprintf(path, sizeof path, "tests/data/npy/%s", name);
    errbuf_init(eb);
    return npy_read_file(path, v, eb);
}

TEST(dump, npy_reads_numpy_files)
{
    struct tensor_value v;
    struct errbuf eb;
    size_t n;

    /* The real KWS input: the payload must be the .bin's bytes. */
    REQUIRE(read_npy("kws_int8_1x49x10x1.npy", &v, &eb) == 0);
    unsigned char *raw = test_read_file(KWS_BIN, &n);
    REQUIRE(raw != NULL);
    CHECK_EQ_INT(v.dtype, DTYPE_S8);
    CHECK_EQ_INT(v.rank, 4);
    CHECK_EQ_INT(v.dims[0], 1);
    CHECK_EQ_INT(v.dims[1], 49);
    CHECK_EQ_INT(v.dims[2], 10);
    CHECK_EQ_INT(v.dims[3], 1);
    CHECK_EQ_INT(v.bytes, n);
    if (v.bytes == n)
        CHECK_MEM(v.data, raw, n);
    mem_free(raw);
    mem_free(v.data);

    REQUIRE(read_npy("f32_2x3x4.npy", &v, &eb) == 0);
    CHECK_EQ_INT(v.dtype, DTYPE_F32);
    CHECK_EQ_INT(v.rank, 3);
    CHECK_EQ_INT(v.bytes, 96);
    for (int i = 0; i < 24 && v.bytes == 96; i++)
        CHECK_NEAR(((const float *)v.data)[i], i * 0.5 - 3, 0);
    mem_free(v.data);

    REQUIRE(read_npy("i16_v2.npy", &v, &eb) == 0);  /* format 2.0 */
    CHECK_EQ_INT(v.dtype, DTYPE_S16);
    CHECK_EQ_INT(v.rank, 1);
    CHECK_EQ_INT(v.dims[0], 10);
    for (int i = 0; i < 10 && v.bytes == 20; i++)
        CHECK_EQ_INT(((const int16_t *)v.data)[i], (i - 5) * 1000);
    mem_free(v.data);

    REQUIRE(read_npy("i32_v3.npy", &v, &eb) == 0);  /* format 3.0 */
    CHECK_EQ_INT(v.dtype, DTYPE_S32);
    CHECK_EQ_INT(v.rank, 2);
    if (v.bytes == 16) {
        const int32_t *d = v.data;
        CHECK_EQ_INT(d[0], INT32_MIN);
        CHECK_EQ_INT(d[1], INT32_MAX);
        CHECK_EQ_INT(d[2], 1);
        CHECK_EQ_INT(d[3], -1);
    }
    mem_free(v.data);

    REQUIRE(read_npy("i64_scalar.npy", &v, &eb) == 0);
    CHECK_EQ_INT(v.dtype, DTYPE_S64);
    CHECK_EQ_INT(v.rank, 0);
    CHECK_EQ_INT(v.bytes, 8);
    if (v.bytes == 8)
        CHECK_EQ_INT(*(const int64_t *)v.data, -7);
    mem_free(v.data);

    REQUIRE(read_npy("bool_3.npy", &v, &eb) == 0);
    CHECK_EQ_INT(v.dtype, DTYPE_BOOL);
    CHECK(v.bytes == 3 && memcmp(v.data, "\1\0\1", 3) == 0);
    mem_free(v.data);

    REQUIRE(read_npy("f32_empty_0x3.npy", &v, &eb) == 0);
    CHECK_EQ_INT(v.rank, 2);
    CHECK_EQ_INT(v.dims[0], 0);
    CHECK_EQ_INT(v.dims[1], 3);
    CHECK_EQ_INT(v.bytes, 0);
    CHECK(v.data != NULL);
    mem_free(v.data);

    REQUIRE(read_npy("u8_5.npy", &v, &eb) == 0);
    CHECK_EQ_INT(v.dtype, DTYPE_U8);
    CHECK(v.bytes == 5 && memcmp(v.data, "\0\1\x7f\x80\xff", 5) == 0);
    mem_free(v.data);
}

TEST(dump, npy_refuses_what_it_cannot_read)
{
    struct tensor_value v = {0};
    struct errbuf eb;
    CHECK_EQ_INT(read_npy("fortran_2x3.npy", &v, &eb), ST_EUNSUPPORTED);
    CHECK(strstr(eb.msg, "Fortran") != NULL);
    CHECK(strstr(eb.msg, "fortran_2x3.npy") != NULL);
    CHECK_EQ_INT(read_npy("bigendian_i4.npy", &v, &eb), ST_EUNSUPPORTED);
    CHECK(strstr(eb.msg, "big-endian") != NULL);
    CHECK_EQ_INT(read_npy("structured.npy", &v, &eb), ST_EUNSUPPORTED);
    CHECK_EQ_INT(read_npy("missing.npy", &v, &eb), ST_EIO);
    CHECK(v.data == NULL);  /* untouched on failure */
}

TEST(dump, npy_truncated_and_corrupted)
{
    size_t n;
    unsigned char *img = test_read_file("tests/data/npy/f32_2x3x4.npy", &n);
    struct tensor_value v = {0};
    struct errbuf eb;
    REQUIRE(img != NULL);
    /* Every truncation is an error, never a crash. */
    for (size_t k = 0; k < n; k++) {
        errbuf_init(&eb);
        CHECK(npy_read_buffer(img, k, "t.npy", &v, &eb) < 0);
        CHECK(eb.msg[0] != '\0');
    }
    /* One byte too many. */
    unsigned char *longer = mem_alloc(n + 1);
    REQUIRE(longer != NULL);
    memcpy(longer, img, n);
    longer[n] = 0;
    errbuf_init(&eb);
    CHECK_EQ_INT(npy_read_buffer(longer, n + 1, "t.npy", &v, &eb), ST_EPARSE);
    CHECK(strstr(eb.msg, "97 bytes") != NULL);
    /* Header length pointing past the end. */
    memcpy(longer, img, n);
    longer[8] = 0xff;
    longer[9] = 0xff;
    errbuf_init(&eb);
    CHECK_EQ_INT(npy_read_buffer(longer, n, "t.npy", &v, &eb), ST_EPARSE);
    /* Every single-byte change inside the header: error or a consistent result. */
    for (size_t k = 0; k < 128 && k < n; k++) {
        memcpy(longer, img, n);
        longer[k] ^= 0x5a;
        errbuf_init(&eb);
        if (npy_read_buffer(longer, n, "t.npy", &v, &eb) == 0) {
            CHECK(v.bytes == n - 128);
            mem_free(v.data);
        }
    }
    mem_free(longer);
    mem_free(img);
    CHECK(v.data == NULL || v.bytes == 96);
}

/* Our writer pads exactly like numpy, so its output equals numpy's file byte for byte. */
TEST(dump, npy_write_matches_numpy)
{
    static const char *const files[] = {"kws_int8_1x49x10x1.npy", "ic_uint8_32x32x3.npy",
                                        "f32_2x3x4.npy", "i64_scalar.npy", "bool_3.npy",
                                        "f32_empty_0x3.npy", "u8_5.npy"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct tensor_value v;
        struct errbuf eb;
        uint8_t *img;
        size_t img_bytes, n;
        char path[256];
        snprintf(path, sizeof path, "tests/data/npy/%s", files[i]);
        unsigned char *want = test_read_file(path, &n);
        REQUIRE(want != NULL);
        REQUIRE(read_npy(files[i], &v, &eb) == 0);
        errbuf_init(&eb);
        REQUIRE(npy_write_buffer(&v, &img, &img_bytes, &eb) == 0);
        CHECK_EQ_INT(img_bytes, n);
        if (img_bytes == n)
            CHECK_MEM(img, want, n);
        mem_free(img);
        mem_free(v.data);
        mem_free(want);
    }
}

TEST(dump, npy_write_roundtrip_and_numpy_reads_it)
{
    const char *dir = test_tmpdir(t_);
    char path[512];
    int16_t vals[2 * 3 * 7];
    struct tensor_value v = {DTYPE_S16, 3, {2, 3, 7}, vals, sizeof vals}, back;
    struct errbuf eb;
    for (int i = 0; i < 42; i++)
        vals[i] = (int16_t)(i * 1500 - 30000);
    snprintf(path, sizeof path, "%s/rt.npy", dir);
    errbuf_init(&eb);
    REQUIRE(npy_write_file(path, &v, &eb) == 0);
    REQUIRE(npy_read_file(path, &back, &eb) == 0);
    CHECK_EQ_INT(back.dtype, DTYPE_S16);
    CHECK_EQ_INT(back.rank, 3);
    CHECK_EQ_INT(back.dims[2], 7);
    CHECK(back.bytes == sizeof vals && memcmp(back.data, vals, sizeof vals) == 0);
    mem_free(back.data);

    /* Bad inputs to the writer. */
    struct tensor_value bad = v;
    bad.bytes = 3;
    CHECK_EQ_INT(npy_write_file(path, &bad, &eb), ST_EINVAL);
    bad = v;
    bad.dtype = DTYPE_STRING;
    errbuf_init(&eb);
    CHECK_EQ_INT(npy_write_file(path, &bad, &eb), ST_EUNSUPPORTED);

    /* numpy itself, when this machine has it (CI may not: then the byte test above stands). */
    struct stat st;
    if (stat("/usr/bin/python3", &st) == 0 &&
        system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c \"import numpy as np; a=np.load('%s'); "
                 "assert a.dtype==np.int16 and a.shape==(2,3,7); "
                 "assert (a.ravel()==np.arange(42)*1500-30000).all()\"",
                 path);
        CHECK_EQ_INT(system(cmd), 0);
    }
}

TEST(dump, npy_allocation_failures)
{
    for (long k = 0;; k++) {
        struct tensor_value v = {0};
        struct errbuf eb;
        errbuf_init(&eb);
        mem_fail_after(k);
        int rc = read_npy("kws_int8_1x49x10x1.npy", &v, &eb);
        mem_fail_after(-1);
        if (rc == 0) {
            mem_free(v.data);
            break;
        }
        CHECK_EQ_INT(rc, ST_ENOMEM);
        CHECK(v.data == NULL);
        if (k > 20)
            break;
    }
}

/* ---- emitter --------------------------------------------------------------------------- */

static void put_sbuf(char c, void *user)
{
    sbuf_addc(user, c);
}

TEST(dump, crc32_check_value_and_zlib)
{
    /* The CRC-32 check value from the catalogue of parametrised CRC algorithms. */
    CHECK_EQ_INT(mlfscope_dump_crc32(0, "123456789", 9), 0xcbf43926u);
    CHECK_EQ_INT(crc32(0, (const Bytef *)"123456789", 9), 0xcbf43926u);
    size_t n;
    unsigned char *ic = test_read_file(IC_BIN, &n);
    REQUIRE(ic != NULL);
    CHECK_EQ_INT(mlfscope_dump_crc32(0, ic, n), crc32(0, ic, (uInt)n));
    /* Continuation, as zlib. */
    CHECK_EQ_INT(mlfscope_dump_crc32(mlfscope_dump_crc32(0, ic, 1000), ic + 1000, n - 1000),
                 crc32(0, ic, (uInt)n));
    mem_free(ic);
}

TEST(dump, emitter_writes_the_format)
{
    struct sbuf sb;
    struct mlfscope_dump d;
    char want[512];
    const int32_t dims[] = {2, 3};
    sbuf_init(&sb);
    mlfscope_dump_init(&d, put_sbuf, &sb);
    mlfscope_dump_begin(&d, "r1", "my model");
    /* RFC 4648 section 10 vectors: "foobar" -> "Zm9vYmFy". */
    mlfscope_dump_tensor(&d, 7, "conv 1", MLFSCOPE_DUMP_INT8, dims, 2, "foobar", 6);
    mlfscope_dump_tensor(&d, 8, "", MLFSCOPE_DUMP_UINT8, NULL, 0, "f", 1);
    mlfscope_dump_end(&d);
    snprintf(want, sizeof want,
             "@mlfs begin r1 my_model\n"
             "@mlfs tensor 7 conv_1 int8 2x3 6 %08lx\n"
             "@mlfs data Zm9vYmFy\n"
             "@mlfs end-tensor 7\n"
             "@mlfs tensor 8 _ uint8 1 1 %08lx\n"
             "@mlfs data Zg==\n"
             "@mlfs end-tensor 8\n"
             "@mlfs end r1\n",
             crc32(0, (const Bytef *)"foobar", 6), crc32(0, (const Bytef *)"f", 1));
    CHECK_EQ_STR(sbuf_str(&sb), want);

    /* Line length: 57 bytes per data line = 76 characters. */
    uint8_t bytes[200];
    for (int i = 0; i < 200; i++)
        bytes[i] = (uint8_t)(i * 7);
    sbuf_reset(&sb);
    d.crlf = 1;
    mlfscope_dump_tensor(&d, 0, "x", MLFSCOPE_DUMP_INT32, (const int32_t[]){50}, 1, bytes, 200);
    const char *s = sbuf_str(&sb);
    int n_data = 0;
    for (const char *l = s; (l = strstr(l, "@mlfs data ")) != NULL; l++) {
        size_t len = strcspn(l + 11, "\r\n");
        CHECK(len <= 76);
        CHECK(l[11 + len] == '\r' && l[12 + len] == '\n');
        n_data++;
    }
    CHECK_EQ_INT(n_data, 4);  /* 57 + 57 + 57 + 29 */
    sbuf_release(&sb);
}

/* Firmware code size on a Cortex-M4, when the cross compiler is installed. */
TEST(dump, firmware_builds_for_cortex_m4)
{
    const char *dir = test_tmpdir(t_);
    char cmd[1024], out[600];
    if (system("command -v arm-none-eabi-gcc >/dev/null 2>&1") != 0) {
        if (t_->verbose)
            printf("note: arm-none-eabi-gcc not installed; Cortex-M build not checked\n");
        return;
    }
    snprintf(out, sizeof out, "%s/mlfscope_dump.o", dir);
    snprintf(cmd, sizeof cmd,
             "arm-none-eabi-gcc -std=c99 -Wall -Wextra -Wpedantic -Werror -mcpu=cortex-m4 "
             "-mthumb -Os -ffreestanding -c dump/firmware/mlfscope_dump.c -o %s", out);
    REQUIRE(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "arm-none-eabi-size %s > %s/size.txt", out, dir);
    REQUIRE(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s/size.txt", dir);
    size_t n;
    char *txt = (char *)test_read_file(cmd, &n);
    REQUIRE(txt != NULL);
    /* "   text    data     bss     dec     hex filename\n    692       0       0 ..." */
    const char *nl = strchr(txt, '\n');
    long text = nl ? strtol(nl + 1, NULL, 10) : 0;
    if (t_->verbose)
        printf("note: mlfscope_dump.o for cortex-m4 -Os: text %ld bytes\n", text);
    CHECK(text > 0);
    CHECK(text < 1280);  /* the budget promised in docs/board-log.md (988 bytes with gcc 12) */
    mem_free(txt);
}

/* ---- board logs ------------------------------------------------------------------------ */

#define MAX_LINES 1024

struct lines {
    size_t n;
    char *v[MAX_LINES];
};

static void lines_split(struct lines *L, const char *text)
{
    L->n = 0;
    while (*text != '\0' && L->n < MAX_LINES) {
        size_t len = strcspn(text, "\n");
        L->v[L->n++] = mem_strndup(text, len);
        text += len + (text[len] == '\n');
    }
}

static void lines_free(struct lines *L)
{
    for (size_t i = 0; i < L->n; i++)
        mem_free(L->v[i]);
    L->n = 0;
}

static void lines_delete(struct lines *L, size_t i)
{
    mem_free(L->v[i]);
    memmove(&L->v[i], &L->v[i + 1], (L->n - i - 1) * sizeof L->v[0]);
    L->n--;
}

static void lines_insert(struct lines *L, size_t i, const char *s)
{
    if (L->n == MAX_LINES)
        return;
    memmove(&L->v[i + 1], &L->v[i], (L->n - i) * sizeof L->v[0]);
    L->v[i] = mem_strdup(s);
    L->n++;
}

/* Index of the nth (0-based) line containing `what`, or (size_t)-1. */
static size_t lines_find(const struct lines *L, const char *what, int nth)
{
    for (size_t i = 0; i < L->n; i++)
        if (strstr(L->v[i], what) != NULL && nth-- == 0)
            return i;
    return (size_t)-1;
}

static char *lines_join(const struct lines *L, const char *prefix, const char *eol)
{
    struct sbuf sb;
    sbuf_init(&sb);
    for (size_t i = 0; i < L->n; i++) {
        if (strstr(L->v[i], "@mlfs ") != NULL)
            sbuf_add(&sb, prefix);
        sbuf_add(&sb, L->v[i]);
        sbuf_add(&sb, eol);
    }
    return sbuf_detach(&sb);
}

struct fixture {
    unsigned char *kws, *ic;
    size_t kws_bytes, ic_bytes;
};

static bool fixture_load(struct fixture *f)
{
    f->kws = test_read_file(KWS_BIN, &f->kws_bytes);
    f->ic = test_read_file(IC_BIN, &f->ic_bytes);
    return f->kws != NULL && f->ic != NULL && f->kws_bytes == 490 && f->ic_bytes == 3072;
}

static void fixture_free(struct fixture *f)
{
    mem_free(f->kws);
    mem_free(f->ic);
}

/*
 * A board log as firmware prints it: boot text, a run with the KWS input (tensor 0) and
 * the IC input (tensor 1), the firmware's own printf lines in between.
 */
static void make_log(const struct fixture *f, const char *run_id, struct lines *L)
{
    struct sbuf sb;
    struct mlfscope_dump d;
    sbuf_init(&sb);
    mlfscope_dump_init(&d, put_sbuf, &sb);
    sbuf_add(&sb, "boot: clock 80 MHz\nmodel loaded, arena 43 KB\n");
    mlfscope_dump_begin(&d, run_id, "kws_ref_model");
    mlfscope_dump_tensor(&d, 0, "input_1", MLFSCOPE_DUMP_INT8, (const int32_t[]){1, 49, 10, 1},
                         4, f->kws, (uint32_t)f->kws_bytes);
    sbuf_add(&sb, "step 0 took 1234 us\n");
    mlfscope_dump_tensor(&d, 1, "image", MLFSCOPE_DUMP_UINT8, (const int32_t[]){32, 32, 3}, 3,
                         f->ic, (uint32_t)f->ic_bytes);
    mlfscope_dump_end(&d);
    sbuf_add(&sb, "done\n");
    lines_split(L, sbuf_str(&sb));
    sbuf_release(&sb);
}

static int parse_lines(const struct lines *L, const char *prefix, const char *eol,
                       struct boardlog *log, char **text)
{
    struct errbuf eb;
    errbuf_init(&eb);
    *text = lines_join(L, prefix, eol);
    boardlog_init(log);
    return boardlog_parse(*text, strlen(*text), log, &eb);
}

static void check_intact(struct test_ctx *t_, const struct boardlog_tensor *t,
                         const unsigned char *want, size_t bytes)
{
    CHECK_EQ_INT(t->status, BOARDLOG_OK);
    CHECK_EQ_INT(t->reason, BOARDLOG_INTACT);
    CHECK_EQ_INT(t->value.bytes, bytes);
    CHECK_EQ_INT(t->crc, crc32(0, want, (uInt)bytes));
    if (t->value.bytes == bytes)
        CHECK_MEM(t->value.data, want, bytes);
}

TEST(dump, boardlog_clean_log)
{
    struct fixture f;
    struct lines L;
    struct boardlog log;
    char *text;
    REQUIRE(fixture_load(&f));
    make_log(&f, "run-1", &L);
    REQUIRE(parse_lines(&L, "", "\n", &log, &text) == 0);
    CHECK_EQ_INT(log.n_runs, 1);
    CHECK_EQ_INT(log.n_tensors, 2);
    CHECK_EQ_INT(log.n_problems, 0);
    CHECK_EQ_INT(log.n_corrupt, 0);
    CHECK_EQ_INT(log.n_lines, L.n);
    REQUIRE(log.n_tensors == 2 && log.n_runs == 1);
    CHECK_EQ_STR(log.runs[0].run_id, "run-1");
    CHECK_EQ_STR(log.runs[0].model, "kws_ref_model");
    CHECK_EQ_INT(log.runs[0].line, 3);
    CHECK_EQ_INT(log.runs[0].end_line, lines_find(&L, "@mlfs end run-1", 0) + 1);
    CHECK_EQ_INT(log.runs[0].n_tensors, 2);
    const struct boardlog_tensor *t0 = &log.tensors[0], *t1 = &log.tensors[1];
    CHECK_EQ_INT(t0->index, 0);
    CHECK_EQ_STR(t0->name, "input_1");
    CHECK_EQ_INT(t0->value.dtype, DTYPE_S8);
    CHECK_EQ_INT(t0->value.rank, 4);
    CHECK_EQ_INT(t0->value.dims[1], 49);
    CHECK_EQ_INT(t0->line, 4);
    check_intact(t_, t0, f.kws, f.kws_bytes);
    CHECK_EQ_INT(t1->value.dtype, DTYPE_U8);
    CHECK_EQ_INT(t1->value.dims[2], 3);
    check_intact(t_, t1, f.ic, f.ic_bytes);
    /* Text: the two boot lines, "step 0 ...", "done". */
    CHECK_EQ_INT(log.n_text, 3);
    if (log.n_text == 3) {
        CHECK_EQ_INT(log.text[0].n_lines, 2);
        CHECK_EQ_INT(log.text[0].line, 1);
        CHECK(memcmp(log.src + log.text[1].offset, "step 0 took 1234 us\n", 20) == 0);
        CHECK_EQ_INT(log.text[1].bytes, 20);
    }
    boardlog_release(&log);
    mem_free(text);
    lines_free(&L);
    fixture_free(&f);
}

TEST(dump, boardlog_crlf_timestamps_two_runs)
{
    struct fixture f;
    struct lines L, L2;
    struct boardlog log;
    char *text;
    REQUIRE(fixture_load(&f));
    make_log(&f, "a", &L);
    make_log(&f, "b", &L2);
    for (size_t i = 0; i < L2.n; i++)
        lines_insert(&L, L.n, L2.v[i]);
    lines_free(&L2);
    REQUIRE(parse_lines(&L, "[00:00:01.250] I (1234) app: ", "\r\n", &log, &text) == 0);
    CHECK_EQ_INT(log.n_runs, 2);
    CHECK_EQ_INT(log.n_tensors, 4);
    CHECK_EQ_INT(log.n_problems, 0);
    REQUIRE(log.n_tensors == 4 && log.n_runs == 2);
    CHECK_EQ_STR(log.runs[1].run_id, "b");
    CHECK_EQ_INT(log.runs[1].first_tensor, 2);
    CHECK_EQ_INT(log.tensors[3].run, 1);
    check_intact(t_, &log.tensors[0], f.kws, f.kws_bytes);
    check_intact(t_, &log.tensors[3], f.ic, f.ic_bytes);
    CHECK_EQ_INT(log.tensors[2].line, L.n / 2 + 4);
    boardlog_release(&log);
    mem_free(text);
    lines_free(&L);
    fixture_free(&f);
}

/* Damage one log in one way; check the damaged tensor's reason and line, the other's health. */
static void check_damage(struct test_ctx *t_, const struct fixture *f, struct lines *L,
                         size_t damaged, enum boardlog_reason why, size_t line)
{
    struct boardlog log;
    char *text;
    REQUIRE(parse_lines(L, "", "\n", &log, &text) == 0);
    REQUIRE(log.n_tensors == 2);
    const struct boardlog_tensor *bad = &log.tensors[damaged], *good = &log.tensors[1 - damaged];
    CHECK_EQ_INT(bad->status, BOARDLOG_CORRUPT);
    CHECK_EQ_STR(boardlog_reason_text(bad->reason), boardlog_reason_text(why));
    CHECK_EQ_INT(bad->problem_line, line);
    CHECK_EQ_INT(log.n_corrupt, 1);
    if (damaged == 0)
        check_intact(t_, good, f->ic, f->ic_bytes);
    else
        check_intact(t_, good, f->kws, f->kws_bytes);
    /* The problem list names the tensor and the line. */
    bool found = false;
    for (size_t i = 0; i < log.n_problems; i++) {
        char want[32];
        snprintf(want, sizeof want, "line %zu: ", line);
        if (log.problems[i].tensor == (long)damaged &&
            strncmp(log.problems[i].message, want, strlen(want)) == 0 &&
            strstr(log.problems[i].message, bad->name) != NULL)
            found = true;
    }
    CHECK(found);
    boardlog_release(&log);
    mem_free(text);
}

TEST(dump, boardlog_damage_is_reported)
{
    struct fixture f;
    struct lines L;
    size_t i, hdr;
    REQUIRE(fixture_load(&f));

    /* A flipped character in a data line (still valid base64): bad crc, at the header. */
    make_log(&f, "r", &L);
    i = lines_find(&L, "@mlfs data", 3);
    L.v[i][20] = L.v[i][20] == 'A' ? 'B' : 'A';
    hdr = lines_find(&L, "@mlfs tensor 0", 0);
    check_damage(t_, &f, &L, 0, BOARDLOG_BAD_CRC, hdr + 1);
    lines_free(&L);

    /* A dropped data line: short payload, at end-tensor. */
    make_log(&f, "r", &L);
    lines_delete(&L, lines_find(&L, "@mlfs data", 20));
    check_damage(t_, &f, &L, 1, BOARDLOG_SHORT_PAYLOAD, lines_find(&L, "end-tensor 1", 0) + 1);
    lines_free(&L);

    /* A missing end-tensor: reported at the tensor's header. */
    make_log(&f, "r", &L);
    lines_delete(&L, lines_find(&L, "end-tensor 0", 0));
    check_damage(t_, &f, &L, 0, BOARDLOG_MISSING_END, lines_find(&L, "@mlfs tensor 0", 0) + 1);
    lines_free(&L);

    /* A garbage record line inside the record. */
    make_log(&f, "r", &L);
    i = lines_find(&L, "@mlfs data", 2);
    lines_insert(&L, i, "@mlfs d#ta ~~~~ noise");
    check_damage(t_, &f, &L, 0, BOARDLOG_GARBAGE, i + 1);
    lines_free(&L);

    /* A data line broken by a space. */
    make_log(&f, "r", &L);
    i = lines_find(&L, "@mlfs data", 12);
    L.v[i][30] = ' ';
    check_damage(t_, &f, &L, 1, BOARDLOG_GARBAGE, i + 1);
    lines_free(&L);

    /* A character outside the alphabet. */
    make_log(&f, "r", &L);
    i = lines_find(&L, "@mlfs data", 1);
    L.v[i][40] = '!';
    check_damage(t_, &f, &L, 0, BOARDLOG_BAD_BASE64, i + 1);
    lines_free(&L);

    /* A header whose dims disagree with nbytes. */
    make_log(&f, "r", &L);
    i = lines_find(&L, "@mlfs tensor 1", 0);
    mem_free(L.v[i]);
    L.v[i] = mem_strdup("@mlfs tensor 1 image uint8 32x32x4 3072 00000000");
    check_damage(t_, &f, &L, 1, BOARDLOG_BAD_HEADER, i + 1);
    lines_free(&L);

    /* The firmware's own lines inside a tensor do not damage it (the CRC still checks). */
    make_log(&f, "r", &L);
    lines_insert(&L, lines_find(&L, "@mlfs data", 4), "I (55) wifi: connected");
    {
        struct boardlog log;
        char *text;
        REQUIRE(parse_lines(&L, "", "\n", &log, &text) == 0);
        CHECK_EQ_INT(log.n_corrupt, 0);
        CHECK_EQ_INT(log.n_problems, 0);
        boardlog_release(&log);
        mem_free(text);
    }
    lines_free(&L);

    /* Log cut in the middle of tensor 1: missing end, no end of run. */
    make_log(&f, "r", &L);
    i = lines_find(&L, "@mlfs data", 30);
    while (L.n > i)
        lines_delete(&L, L.n - 1);
    {
        struct boardlog log;
        char *text;
        REQUIRE(parse_lines(&L, "", "\n", &log, &text) == 0);
        REQUIRE(log.n_tensors == 2);
        check_intact(t_, &log.tensors[0], f.kws, f.kws_bytes);
        CHECK_EQ_INT(log.tensors[1].reason, BOARDLOG_MISSING_END);
        CHECK_EQ_INT(log.runs[0].end_line, 0);
        CHECK_EQ_INT(log.n_problems, 2);
        boardlog_release(&log);
        mem_free(text);
    }
    lines_free(&L);
    fixture_free(&f);
}

TEST(dump, boardlog_every_truncation_and_byte_flip)
{
    struct fixture f;
    struct lines L;
    REQUIRE(fixture_load(&f));
    make_log(&f, "r", &L);
    char *text = lines_join(&L, "", "\n");
    size_t n = strlen(text);
    /* Truncations: never a crash, never an intact tensor that is not the real one. */
    for (size_t k = 0; k < n; k += 7) {
        struct boardlog log;
        struct errbuf eb;
        errbuf_init(&eb);
        boardlog_init(&log);
        REQUIRE(boardlog_parse(text, k, &log, &eb) == 0);
        for (size_t j = 0; j < log.n_tensors; j++)
            if (log.tensors[j].status == BOARDLOG_OK)
                CHECK(log.tensors[j].value.bytes == (j == 0 ? f.kws_bytes : f.ic_bytes));
        boardlog_release(&log);
    }
    /* Single-byte changes in the payload area are always caught. */
    size_t caught = 0, tried = 0;
    for (size_t k = 200; k < n; k += 53) {
        struct boardlog log;
        struct errbuf eb;
        char saved = text[k];
        if (saved == '\n')
            continue;
        text[k] = (char)(saved ^ 0x01);
        errbuf_init(&eb);
        boardlog_init(&log);
        REQUIRE(boardlog_parse(text, n, &log, &eb) == 0);
        tried++;
        bool damaged = log.n_tensors != 2 || log.n_corrupt > 0 || log.n_problems > 0;
        if (!damaged)
            damaged = log.tensors[0].value.bytes != f.kws_bytes ||
                      memcmp(log.tensors[0].value.data, f.kws, f.kws_bytes) != 0 ||
                      memcmp(log.tensors[1].value.data, f.ic, f.ic_bytes) != 0;
        /* A flip in a text line or a name is harmless; in a payload it must be reported. */
        if (log.n_corrupt > 0 || log.n_problems > 0)
            caught++;
        else if (log.n_tensors == 2)
            CHECK(memcmp(log.tensors[1].value.data, f.ic, f.ic_bytes) == 0);
        (void)damaged;
        boardlog_release(&log);
        text[k] = saved;
    }
    CHECK(caught > tried / 2);
    mem_free(text);
    lines_free(&L);
    fixture_free(&f);
}

TEST(dump, boardlog_allocation_failures)
{
    struct fixture f;
    struct lines L;
    REQUIRE(fixture_load(&f));
    make_log(&f, "r", &L);
    lines_insert(&L, 5, "@mlfs bogus");
    char *text = lines_join(&L, "", "\n");
    for (long k = 0; k < 200; k++) {
        struct boardlog log;
        struct errbuf eb;
        errbuf_init(&eb);
        boardlog_init(&log);
        mem_fail_after(k);
        int rc = boardlog_parse(text, strlen(text), &log, &eb);
        mem_fail_after(-1);
        if (rc == 0) {
            CHECK_EQ_INT(log.n_tensors, 2);
            boardlog_release(&log);
            break;
        }
        CHECK_EQ_INT(rc, ST_ENOMEM);
        CHECK(log.tensors == NULL);
    }
    mem_free(text);
    lines_free(&L);
    fixture_free(&f);
}

TEST(dump, boardlog_stream_counts_like_the_parser)
{
    struct fixture f;
    struct lines L;
    REQUIRE(fixture_load(&f));
    make_log(&f, "r", &L);
    /* Damage tensor 0's CRC; feed in awkward pieces. */
    size_t i = lines_find(&L, "@mlfs data", 3);
    L.v[i][20] = L.v[i][20] == 'A' ? 'B' : 'A';
    char *text = lines_join(&L, "12:00:00 ", "\r\n");
    size_t n = strlen(text);
    struct boardlog_stream s;
    boardlog_stream_init(&s);
    unsigned seed = 12345;
    for (size_t off = 0; off < n;) {
        seed = seed * 1103515245u + 12345u;
        size_t k = 1 + (seed >> 16) % 97;
        if (k > n - off)
            k = n - off;
        boardlog_stream_feed(&s, text + off, k);
        off += k;
    }
    boardlog_stream_finish(&s);
    CHECK_EQ_INT(s.bytes, n);
    CHECK_EQ_INT(s.n_lines, L.n);
    CHECK_EQ_INT(s.n_runs, 1);
    CHECK_EQ_INT(s.n_runs_ended, 1);
    CHECK_EQ_INT(s.n_tensors, 2);
    CHECK_EQ_INT(s.n_corrupt, 1);
    CHECK_EQ_INT(s.n_bad_crc, 1);
    CHECK_EQ_STR(s.last_tensor, "image");
    mem_free(text);
    lines_free(&L);
    fixture_free(&f);
}

/* ---- hand-printed forms ---------------------------------------------------------------- */

TEST(dump, plain_decimal_and_hex)
{
    struct boardlog log;
    struct errbuf eb;
    const char *dec = "boot ok\nconv1 output (first 8):\n-128, -127, 0, 5\n  17 127 -3,-4\n\n"
                      "next thing\n";
    errbuf_init(&eb);
    REQUIRE(boardlog_parse_plain(dec, strlen(dec), "conv1", DTYPE_UNKNOWN, BOARDLOG_PLAIN_AUTO,
                                 &log, &eb) == 0);
    REQUIRE(log.n_tensors == 1);
    CHECK_EQ_STR(log.tensors[0].name, "conv1");
    CHECK_EQ_INT(log.tensors[0].value.dtype, DTYPE_S8);
    CHECK_EQ_INT(log.tensors[0].value.dims[0], 8);
    CHECK_EQ_INT(log.tensors[0].line, 3);
    CHECK(log.tensors[0].value.bytes == 8 &&
          memcmp(log.tensors[0].value.data, "\x80\x81\x00\x05\x11\x7f\xfd\xfc", 8) == 0);
    CHECK_EQ_INT(log.n_text, 2);
    boardlog_release(&log);

    /* Values beyond int8: uint8, then int16 little-endian. */
    const char *u = "200 3\n";
    REQUIRE(boardlog_parse_plain(u, strlen(u), "x", DTYPE_UNKNOWN, BOARDLOG_PLAIN_AUTO, &log,
                                 &eb) == 0);
    CHECK_EQ_INT(log.tensors[0].value.dtype, DTYPE_U8);
    boardlog_release(&log);
    const char *w = "[-300, 2]\n";
    REQUIRE(boardlog_parse_plain(w, strlen(w), "x", DTYPE_UNKNOWN, BOARDLOG_PLAIN_AUTO, &log,
                                 &eb) == 0);
    CHECK_EQ_INT(log.tensors[0].value.dtype, DTYPE_S16);
    CHECK(log.tensors[0].value.bytes == 4 &&
          memcmp(log.tensors[0].value.data, "\xd4\xfe\x02\x00", 4) == 0);
    boardlog_release(&log);

    /* Hex dumps with offsets and an ASCII column, and bare hex bytes. */
    const char *hx = "dump of fc_out:\n0000: 7f 80 01 ff  |....|\n0004: 00 10\n";
    REQUIRE(boardlog_parse_plain(hx, strlen(hx), "fc_out", DTYPE_UNKNOWN, BOARDLOG_PLAIN_AUTO,
                                 &log, &eb) == 0);
    CHECK_EQ_INT(log.tensors[0].value.dtype, DTYPE_S8);
    CHECK(log.tensors[0].value.bytes == 6 &&
          memcmp(log.tensors[0].value.data, "\x7f\x80\x01\xff\x00\x10", 6) == 0);
    boardlog_release(&log);
    const char *bare = "0x7f,0x80\n10 20\n";
    REQUIRE(boardlog_parse_plain(bare, strlen(bare), "y", DTYPE_U8, BOARDLOG_PLAIN_HEX, &log,
                                 &eb) == 0);
    CHECK(log.tensors[0].value.bytes == 4 &&
          memcmp(log.tensors[0].value.data, "\x7f\x80\x10\x20", 4) == 0);
    boardlog_release(&log);

    /* Errors name the layer and the line. */
    const char *big = "1 2\n300\n";
    errbuf_init(&eb);
    CHECK_EQ_INT(boardlog_parse_plain(big, strlen(big), "z", DTYPE_S8, BOARDLOG_PLAIN_AUTO, &log,
                                      &eb), ST_EPARSE);
    CHECK(strstr(eb.msg, "line 2") != NULL && strstr(eb.msg, "'z'") != NULL);
    errbuf_init(&eb);
    CHECK_EQ_INT(boardlog_parse_plain("hello\n", 6, "z", DTYPE_UNKNOWN, BOARDLOG_PLAIN_AUTO,
                                      &log, &eb), ST_EPARSE);
}

/* Headers that claim huge sizes cost nothing until data arrives (no ENOMEM, no blow-up). */
TEST(dump, boardlog_hostile_sizes)
{
    struct sbuf sb;
    struct boardlog log;
    struct errbuf eb;
    sbuf_init(&sb);
    for (int i = 0; i < 2000; i++)
        sbuf_printf(&sb, "@mlfs tensor %d t int8 1000000x1000000 1000000000000 00000000\n"
                         "@mlfs data AAAA\n", i);
    errbuf_init(&eb);
    boardlog_init(&log);
    REQUIRE(boardlog_parse(sbuf_str(&sb), sb.len, &log, &eb) == 0);
    CHECK_EQ_INT(log.n_tensors, 2000);
    CHECK_EQ_INT(log.n_corrupt, 2000);
    CHECK_EQ_INT(log.tensors[0].reason, BOARDLOG_MISSING_END);
    CHECK_EQ_INT(log.tensors[0].value.bytes, 3);
    CHECK(log.arena.used_bytes < 4u * 1024 * 1024);
    boardlog_release(&log);
    sbuf_release(&sb);
}

TEST(dump, plain_allocation_failures)
{
    const char *dec = "label\n1, 2, 3, -4\n5 6\n";
    for (long k = 0; k < 50; k++) {
        struct boardlog log;
        struct errbuf eb;
        errbuf_init(&eb);
        boardlog_init(&log);
        mem_fail_after(k);
        int rc = boardlog_parse_plain(dec, strlen(dec), "l", DTYPE_UNKNOWN, BOARDLOG_PLAIN_AUTO,
                                      &log, &eb);
        mem_fail_after(-1);
        if (rc == 0) {
            CHECK_EQ_INT(log.tensors[0].value.bytes, 6);
            boardlog_release(&log);
            break;
        }
        CHECK_EQ_INT(rc, ST_ENOMEM);
        CHECK(log.tensors == NULL);
    }
}
