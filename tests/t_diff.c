/*
 * trace and diff on real numbers: MLPerf Tiny inputs (KWS MFCC, a CIFAR-10 image) and the
 * int8 outputs NUCLEO-L4R5ZI boards printed for them (tests/data/models/README.md). Board
 * logs are written by the firmware emitter compiled on the host, then damaged in known ways
 * (values changed from a known index on, NHWC data under an NCHW header, a uint8 zero-point
 * slip, flipped bytes, dropped lines, noise, two runs); diff must name the right layer,
 * status and hint every time. Expected metrics are arithmetic on the published vectors.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "../dump/firmware/mlfscope_dump.h"
#include "../dump/npy.h"
#include "../src/diff.h"
#include "../src/diff_model.h"
#include "../src/interp.h"
#include "../src/fileio.h"
#include "../src/mem.h"
#include "../src/model.h"
#include "../src/sbuf.h"
#include "../src/trace.h"
#include "../views/graph_diff.h"
#include "../views/graphview.h"

#define KWS_LEFT "tests/data/models/inputs/kws/tst_000099_Left_2.bin"
#define KWS_YES "tests/data/models/inputs/kws/tst_000098_Yes_9.bin"
#define IC_COCK "tests/data/models/inputs/ic/cock_s_000054.bin"

/* Board outputs from OctoML's MLPerf Tiny v1.0 accuracy logs (tests/data/models/README.md). */
static const int8_t kws_left_cmsis[12] = {-128, -128, 56, -128, -125, -128, -120, -128, -126,
                                          -128, -128, -70};
static const int8_t kws_left_native[12] = {-128, -128, 34, -128, -125, -128, -119, -128, -126,
                                           -128, -128, -49};
static const int8_t ic_cock_cmsis[10] = {-128, -128, -93, -117, -128, -58, -128, 11, -128, -127};
static const int8_t ic_cock_native[10] = {-127, -128, -11, -110, -128, -69, -128, -69, -128,
                                          -125};
static const int8_t kws_yes_board[12] = {-128, -128, -128, -128, -128, -128, -128, -128, -128,
                                         127, -128, -128};

/* One tensor of a test trace or log. */
struct tv {
    const char *name;
    enum dtype dtype;
    int rank;
    int64_t dims[4];
    const void *data;
    size_t bytes;
};

static struct tv tv_make(const char *name, enum dtype dt, int rank, const int64_t *dims,
                         const void *data, size_t bytes)
{
    struct tv v = {name, dt, rank, {0}, data, bytes};
    memcpy(v.dims, dims, (size_t)rank * sizeof *dims);
    return v;
}

/* The real-number chain: input_1 (KWS MFCC), image (CIFAR-10, int8), Identity (12 scores). */
struct fixture {
    uint8_t *kws;           /* 490 int8 */
    int8_t image[3072];     /* cock_s_000054 pixel-128, [1,32,32,3] */
    struct tv ref[3];
};

static bool fixture_load(struct fixture *f)
{
    size_t n_kws = 0, n_ic = 0;
    f->kws = test_read_file(KWS_LEFT, &n_kws);
    uint8_t *ic = test_read_file(IC_COCK, &n_ic);
    bool ok = f->kws && ic && n_kws == 490 && n_ic == 3072;
    for (size_t i = 0; ok && i < 3072; i++)
        f->image[i] = (int8_t)(ic[i] - 128);
    mem_free(ic);
    f->ref[0] = tv_make("input_1", DTYPE_S8, 4, (int64_t[]){1, 49, 10, 1}, f->kws, 490);
    f->ref[1] = tv_make("image", DTYPE_S8, 4, (int64_t[]){1, 32, 32, 3}, f->image, 3072);
    f->ref[2] = tv_make("Identity", DTYPE_S8, 2, (int64_t[]){1, 12}, kws_left_native, 12);
    return ok;
}

static void fixture_free(struct fixture *f)
{
    mem_free(f->kws);
}

static int trace_of(struct trace *t, const struct tv *v, size_t n)
{
    struct errbuf eb;
    errbuf_init(&eb);
    trace_init(t);
    for (size_t i = 0; i < n; i++) {
        struct trace_entry e = {.name = v[i].name, .index = (int64_t)i, .step = -1,
                                .status = TRACE_OK};
        e.value.dtype = v[i].dtype;
        e.value.rank = v[i].rank;
        memcpy(e.value.dims, v[i].dims, sizeof v[i].dims);
        e.value.data = (void *)v[i].data;
        e.value.bytes = v[i].bytes;
        int rc = trace_add(t, &e, &eb);
        if (rc)
            return rc;
    }
    return 0;
}

static void put_sbuf(char c, void *user)
{
    sbuf_addc(user, c);
}

static enum mlfscope_dump_dtype emit_dtype(enum dtype t)
{
    return t == DTYPE_U8 ? MLFSCOPE_DUMP_UINT8 : t == DTYPE_S16 ? MLFSCOPE_DUMP_INT16
         : t == DTYPE_S32 ? MLFSCOPE_DUMP_INT32 : t == DTYPE_F32 ? MLFSCOPE_DUMP_FLOAT32
         : MLFSCOPE_DUMP_INT8;
}

/* Appends one run as the firmware emitter writes it, with a line of firmware noise per tensor. */
static void emit_run(struct sbuf *sb, const char *run_id, const struct tv *v, size_t n)
{
    struct mlfscope_dump d;
    mlfscope_dump_init(&d, put_sbuf, sb);
    sbuf_add(sb, "boot: clock 80 MHz\n");
    mlfscope_dump_begin(&d, run_id, "kws_ref_model");
    for (size_t i = 0; i < n; i++) {
        int32_t dims[4];
        for (int k = 0; k < v[i].rank; k++)
            dims[k] = (int32_t)v[i].dims[k];
        mlfscope_dump_tensor(&d, (uint32_t)i, v[i].name, emit_dtype(v[i].dtype), dims,
                             v[i].rank, v[i].data, (uint32_t)v[i].bytes);
        sbuf_printf(sb, "step %zu took %zu us\n", i, 1000 + i);
    }
    mlfscope_dump_end(&d);
}

/* Diffs the reference tensors against a log text; *rep owned by the caller. */
static int diff_log(const struct tv *ref, size_t n, const char *log, long run, int tol,
                    struct diff_report *rep)
{
    struct trace tr, tb;
    struct errbuf eb;
    errbuf_init(&eb);
    trace_init(&tb);
    int rc = trace_of(&tr, ref, n);
    struct trace_options o = {.run = run};
    if (!rc)
        rc = trace_load_log_buffer(log, strlen(log), "board.log", &o, &tb, &eb);
    struct diff_options opt = {.tolerance = tol};
    diff_report_init(rep);
    if (!rc)
        rc = diff_traces(&tr, &tb, &opt, rep, &eb);
    trace_release(&tr);
    trace_release(&tb);
    return rc;
}

static bool has_hint(const struct diff_layer *L, enum diff_hint h)
{
    return (L->hints & (1u << h)) != 0;
}

/* ---- real board outputs ---------------------------------------------------------------- */

TEST(diff, kws_board_cmsis_vs_native)
{
    /* The same KWS input on two builds: CMSIS-NN printed 56/-120/-70 where native printed
       34/-119/-49; the input itself is identical on both. */
    struct fixture f;
    REQUIRE(fixture_load(&f));
    struct tv board[3] = {f.ref[0], f.ref[1], f.ref[2]};
    board[2].data = kws_left_cmsis;
    struct sbuf sb;
    sbuf_init(&sb);
    emit_run(&sb, "run-1", board, 3);
    struct diff_report rep;
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 0, &rep) == 0);
    REQUIRE(rep.n_layers == 3);
    CHECK_EQ_INT(rep.layers[0].status, DIFF_EXACT);
    CHECK_EQ_INT(rep.layers[1].status, DIFF_EXACT);
    const struct diff_layer *L = &rep.layers[2];
    CHECK_EQ_INT(L->status, DIFF_DIVERGED);
    CHECK_EQ_INT(rep.first_diverged, 2);
    /* |Δ| = 22, 1, 21 at indices 2, 6, 11 of 12 */
    CHECK_NEAR(L->exact_pct, 100.0 * 9 / 12, 1e-9);
    CHECK_NEAR(L->within1_pct, 100.0 * 10 / 12, 1e-9);
    CHECK_NEAR(L->max_abs, 22, 0);
    CHECK_NEAR(L->mean_abs, 44.0 / 12, 1e-12);
    CHECK(L->has_first_diff);
    CHECK_EQ_INT(L->first_index, 2);
    CHECK_EQ_INT(L->first_rank, 2);
    CHECK_EQ_INT(L->first_coord[0], 0);
    CHECK_EQ_INT(L->first_coord[1], 2);
    CHECK_NEAR(L->first_ref, 34, 0);
    CHECK_NEAR(L->first_board, 56, 0);
    CHECK_EQ_INT(L->hints, 0);             /* a score vector: no channel pattern to speak of */
    CHECK_EQ_INT(L->hist[9], 9);           /* Δ = 0 */
    CHECK_EQ_INT(L->hist[9 - 1], 1);       /* Δ = -1 (-120 vs -119) */
    CHECK_EQ_INT(L->hist[9 + 6], 1);       /* Δ = +22: bin 17..32 */
    CHECK_EQ_INT(L->hist[9 - 6], 1);       /* Δ = -21: bin -32..-17 */
    int64_t lo, hi;
    diff_hist_bounds(9 + 6, &lo, &hi);
    CHECK_EQ_INT(lo, 17);
    CHECK_EQ_INT(hi, 32);
    CHECK(diff_report_failed(&rep));
    diff_report_release(&rep);
    /* ±22 LSB allowed: the same vectors count as equal */
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 22, &rep) == 0);
    CHECK_EQ_INT(rep.layers[2].status, DIFF_EXACT);
    CHECK(!diff_report_failed(&rep));
    diff_report_release(&rep);
    sbuf_release(&sb);
    fixture_free(&f);
}

TEST(diff, ic_board_cmsis_vs_native_metrics)
{
    struct tv ref = tv_make("Identity_int8", DTYPE_S8, 2, (int64_t[]){1, 10}, ic_cock_native,
                            10);
    struct tv board = ref;
    board.data = ic_cock_cmsis;
    struct sbuf sb;
    sbuf_init(&sb);
    emit_run(&sb, "r", &board, 1);
    struct diff_report rep;
    REQUIRE(diff_log(&ref, 1, sbuf_str(&sb), -1, 0, &rep) == 0);
    const struct diff_layer *L = &rep.layers[0];
    CHECK_EQ_INT(L->status, DIFF_DIVERGED);
    /* Δ: -1 0 -82 -7 0 11 0 80 0 -2 */
    CHECK_NEAR(L->max_abs, 82, 0);
    CHECK_NEAR(L->mean_abs, 183.0 / 10, 1e-12);
    CHECK_NEAR(L->exact_pct, 40, 1e-9);
    CHECK_NEAR(L->within1_pct, 50, 1e-9);
    CHECK_EQ_INT(L->first_index, 0);
    /* cosine on raw values (no model): Σxy / sqrt(Σx² Σy²) */
    double dot = 0, a = 0, b = 0;
    for (int i = 0; i < 10; i++) {
        dot += (double)ic_cock_native[i] * ic_cock_cmsis[i];
        a += (double)ic_cock_native[i] * ic_cock_native[i];
        b += (double)ic_cock_cmsis[i] * ic_cock_cmsis[i];
    }
    CHECK_NEAR(L->cosine, dot / sqrt(a * b), 1e-12);
    diff_report_release(&rep);
    sbuf_release(&sb);
}

/* ---- damaged logs ---------------------------------------------------------------------- */

TEST(diff, exact_with_noise_and_crlf)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    struct sbuf sb;
    sbuf_init(&sb);
    emit_run(&sb, "run-1", f.ref, 3);
    struct diff_report rep;
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.count[DIFF_EXACT], 3);
    CHECK_EQ_INT(rep.first_diverged, -1);
    CHECK(!diff_report_failed(&rep));
    CHECK_NEAR(rep.layers[1].cosine, 1.0, 1e-12);
    CHECK(isinf(rep.layers[1].snr_db));
    diff_report_release(&rep);
    /* noise lines between data lines, logger prefixes, CRLF */
    struct sbuf noisy;
    sbuf_init(&noisy);
    const char *s = sbuf_str(&sb);
    size_t line = 0;
    for (const char *p = s; *p; p++) {
        if (p == s || p[-1] == '\n')
            sbuf_add(&noisy, line % 7 == 3 ? "[00:01.250] I app: " : "");
        if (*p == '\n') {
            sbuf_add(&noisy, "\r\n");
            if (++line % 5 == 0)
                sbuf_add(&noisy, "HardFault? no: just printf noise 12 34 56\r\n");
        } else {
            sbuf_addc(&noisy, *p);
        }
    }
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&noisy), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.count[DIFF_EXACT], 3);
    diff_report_release(&rep);
    sbuf_release(&noisy);
    sbuf_release(&sb);
    fixture_free(&f);
}

TEST(diff, changed_from_known_index_then_inherited)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    int8_t img[3072];
    memcpy(img, f.image, sizeof img);
    for (size_t i = 1000; i < 3072; i++)
        img[i] = (int8_t)(img[i] < 100 ? img[i] + 7 : img[i] - 7);
    struct tv board[3] = {f.ref[0], f.ref[1], f.ref[2]};
    board[1].data = img;
    board[2].data = kws_left_cmsis;     /* the next layer differs too: from upstream */
    struct sbuf sb;
    sbuf_init(&sb);
    emit_run(&sb, "run-1", board, 3);
    struct diff_report rep;
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.layers[0].status, DIFF_EXACT);
    const struct diff_layer *L = &rep.layers[1];
    CHECK_EQ_INT(L->status, DIFF_DIVERGED);
    CHECK_EQ_INT(L->first_index, 1000);
    /* 1000 = 10*96 + 13*3 + 1 in [1,32,32,3] */
    CHECK_EQ_INT(L->first_coord[1], 10);
    CHECK_EQ_INT(L->first_coord[2], 13);
    CHECK_EQ_INT(L->first_coord[3], 1);
    CHECK_NEAR(L->exact_pct, 100.0 * 1000 / 3072, 1e-9);
    CHECK_NEAR(L->max_abs, 7, 0);
    CHECK_EQ_INT(rep.layers[2].status, DIFF_INHERITED);
    CHECK(!rep.layers[2].reran);
    CHECK_EQ_INT(rep.first_diverged, 1);
    diff_report_release(&rep);
    sbuf_release(&sb);
    fixture_free(&f);
}

TEST(diff, nhwc_written_as_nchw)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    /* the board's buffer holds the image channel-first */
    int8_t chw[3072];
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++)
            for (int c = 0; c < 3; c++)
                chw[(c * 32 + y) * 32 + x] = f.image[(y * 32 + x) * 3 + c];
    struct tv board[3] = {f.ref[0], f.ref[1], f.ref[2]};
    board[1].data = chw;
    struct sbuf sb;
    sbuf_init(&sb);
    /* 1: the header says NHWC (the reference shape) but the data is NCHW */
    emit_run(&sb, "run-1", board, 3);
    struct diff_report rep;
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.layers[1].status, DIFF_DIVERGED);
    CHECK(has_hint(&rep.layers[1], DIFF_HINT_LAYOUT));
    CHECK(rep.layers[1].hint_detail && strstr(rep.layers[1].hint_detail, "NCHW"));
    CHECK_EQ_INT(rep.first_diverged, 1);
    diff_report_release(&rep);
    /* 2: the header says so (1x3x32x32): reconciled, exact */
    sbuf_reset(&sb);
    board[1].dims[1] = 3;
    board[1].dims[2] = 32;
    board[1].dims[3] = 32;
    emit_run(&sb, "run-1", board, 3);
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.layers[1].status, DIFF_EXACT);
    CHECK(rep.layers[1].reconciled && strstr(rep.layers[1].reconciled, "NCHW"));
    CHECK(!has_hint(&rep.layers[1], DIFF_HINT_LAYOUT));
    diff_report_release(&rep);
    sbuf_release(&sb);
    fixture_free(&f);
}

TEST(diff, uint8_zero_point)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    size_t n;
    uint8_t *raw = test_read_file(IC_COCK, &n);     /* the pixels: int8 + 128 */
    REQUIRE(raw && n == 3072);
    struct tv board[3] = {f.ref[0], f.ref[1], f.ref[2]};
    board[1].data = raw;
    board[1].dtype = DTYPE_U8;
    struct sbuf sb;
    sbuf_init(&sb);
    /* declared uint8: reconciled (zero points 128 apart), exact */
    emit_run(&sb, "run-1", board, 3);
    struct diff_report rep;
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.layers[1].status, DIFF_EXACT);
    CHECK(rep.layers[1].reconciled && strstr(rep.layers[1].reconciled, "uint8"));
    diff_report_release(&rep);
    /* declared int8 while the bytes are uint8: off by 128 everywhere */
    sbuf_reset(&sb);
    board[1].dtype = DTYPE_S8;
    emit_run(&sb, "run-1", board, 3);
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.layers[1].status, DIFF_DIVERGED);
    CHECK(has_hint(&rep.layers[1], DIFF_HINT_ZP128));
    CHECK_EQ_INT(rep.layers[1].first_index, 0);
    diff_report_release(&rep);
    mem_free(raw);
    sbuf_release(&sb);
    fixture_free(&f);
}

/* The log with line `nth` (0-based) of those containing `needle` changed by `edit`. */
static void edit_line(const char *log, const char *needle, int nth, int edit, struct sbuf *out)
{
    int seen = 0;
    for (const char *p = log; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p + 1) : strlen(p);
        bool hit = strstr(p, needle) && strstr(p, needle) < p + len && seen++ == nth;
        if (!hit) {
            sbuf_addn(out, p, len);
        } else if (edit == 1) {
            /* flip one base64 character in the middle of the data */
            char buf[256];
            memcpy(buf, p, len < sizeof buf ? len : sizeof buf - 1);
            buf[len < sizeof buf ? len : sizeof buf - 1] = '\0';
            char *d = buf + strlen("@mlfs data ") + 20;
            *d = *d == 'A' ? 'B' : 'A';
            sbuf_add(out, buf);
        } /* edit 0: drop */
        p += len;
    }
}

TEST(diff, flipped_bytes_and_dropped_lines)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    struct sbuf sb, bad;
    sbuf_init(&sb);
    sbuf_init(&bad);
    emit_run(&sb, "run-1", f.ref, 3);
    /* data lines 0..6 belong to input_1 (490 bytes = 9 lines), the image's start at 9 */
    edit_line(sbuf_str(&sb), "@mlfs data", 20, 1, &bad);
    struct diff_report rep;
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&bad), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.layers[0].status, DIFF_EXACT);
    CHECK_EQ_INT(rep.layers[1].status, DIFF_CORRUPT);
    CHECK(rep.layers[1].note && strstr(rep.layers[1].note, "bad crc"));
    CHECK_EQ_INT(rep.layers[2].status, DIFF_EXACT);
    CHECK(!diff_report_failed(&rep));
    diff_report_release(&rep);
    /* a dropped data line: short payload */
    sbuf_reset(&bad);
    edit_line(sbuf_str(&sb), "@mlfs data", 3, 0, &bad);
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&bad), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.layers[0].status, DIFF_CORRUPT);
    CHECK(rep.layers[0].note && strstr(rep.layers[0].note, "short payload"));
    CHECK_EQ_INT(rep.layers[1].status, DIFF_EXACT);
    diff_report_release(&rep);
    /* a dropped tensor header: its lines become stray data; the layer is missing */
    sbuf_reset(&bad);
    edit_line(sbuf_str(&sb), "@mlfs tensor 2 ", 0, 0, &bad);
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&bad), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.layers[2].status, DIFF_MISSING);
    CHECK(diff_report_failed(&rep));
    CHECK_EQ_INT(rep.first_diverged, -1);
    diff_report_release(&rep);
    sbuf_release(&bad);
    sbuf_release(&sb);
    fixture_free(&f);
}

TEST(diff, two_runs_in_one_log)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    struct tv first[3] = {f.ref[0], f.ref[1], f.ref[2]};
    first[2].data = kws_left_cmsis;
    struct sbuf sb;
    sbuf_init(&sb);
    emit_run(&sb, "run-1", first, 3);
    emit_run(&sb, "run-2", f.ref, 3);
    struct diff_report rep;
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 0, &rep) == 0);     /* the last run */
    CHECK_EQ_INT(rep.count[DIFF_EXACT], 3);
    diff_report_release(&rep);
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), 0, 0, &rep) == 0);      /* --run 1 */
    CHECK_EQ_INT(rep.layers[2].status, DIFF_DIVERGED);
    diff_report_release(&rep);
    /* an unfinished last run: the last complete one is used */
    sbuf_add(&sb, "@mlfs begin run-3 kws_ref_model\n");
    struct trace tb;
    struct errbuf eb;
    errbuf_init(&eb);
    trace_init(&tb);
    REQUIRE(trace_load_log_buffer(sbuf_str(&sb), sb.len, "b.log", NULL, &tb, &eb) == 0);
    CHECK_EQ_STR(tb.run_id, "run-2");
    CHECK_EQ_INT(tb.n_runs, 3);
    CHECK(tb.run_complete);
    trace_release(&tb);
    struct trace_options o = {.run = -1, .run_id = "run-1"};
    REQUIRE(trace_load_log_buffer(sbuf_str(&sb), sb.len, "b.log", &o, &tb, &eb) == 0);
    CHECK_EQ_INT(tb.run, 0);
    trace_release(&tb);
    o.run_id = "run-9";
    CHECK_EQ_INT(trace_load_log_buffer(sbuf_str(&sb), sb.len, "b.log", &o, &tb, &eb),
                 ST_ENOTFOUND);
    sbuf_release(&sb);
    fixture_free(&f);
}

TEST(diff, zeros_saturation_overlap)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    int8_t zeros[12] = {0}, img[3072], sat[3072];
    memcpy(img, f.image, sizeof img);
    /* from element 2000 on the image buffer holds the KWS input: another tensor's bytes */
    memcpy(img + 2000, f.kws, 490);
    for (size_t i = 0; i < 3072; i++)
        sat[i] = f.image[i] < 0 ? -128 : 127;
    struct tv board[3] = {f.ref[0], f.ref[1], f.ref[2]};
    board[1].data = img;
    board[2].data = zeros;
    struct sbuf sb;
    sbuf_init(&sb);
    emit_run(&sb, "run-1", board, 3);
    struct diff_report rep;
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.layers[1].status, DIFF_DIVERGED);
    CHECK_EQ_INT(rep.layers[1].first_index, 2000);
    CHECK(has_hint(&rep.layers[1], DIFF_HINT_OVERLAP));
    CHECK(rep.layers[1].hint_detail && strstr(rep.layers[1].hint_detail, "'input_1'"));
    CHECK(has_hint(&rep.layers[2], DIFF_HINT_ZEROS));
    diff_report_release(&rep);
    sbuf_reset(&sb);
    board[1].data = sat;
    board[2].data = kws_left_native;
    emit_run(&sb, "run-1", board, 3);
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 0, &rep) == 0);
    CHECK(has_hint(&rep.layers[1], DIFF_HINT_SATURATED));
    CHECK(!has_hint(&rep.layers[1], DIFF_HINT_OVERLAP));
    diff_report_release(&rep);
    sbuf_release(&sb);
    fixture_free(&f);
}

TEST(diff, shift_hazard_channels_and_rounding)
{
    /* a [1,8,8,16] activation, seeded; the board's channel 5 is off by a shift's worth */
    int8_t r[1024], b[1024], rnd[1024];
    uint32_t s = 12345;
    for (int i = 0; i < 1024; i++) {
        s = s * 1103515245u + 12345u;
        r[i] = (int8_t)((s >> 16) % 200 - 100);
        b[i] = (i % 16 == 5) ? (int8_t)(r[i] / 2) : r[i];
    }
    r[5] = 40;
    b[5] = 20;
    for (int i = 0; i < 1024; i++)
        rnd[i] = (int8_t)(r[i] + (i % 3 == 0 ? 1 : i % 3 == 1 ? -1 : 0));
    struct tv ref = tv_make("conv", DTYPE_S8, 4, (int64_t[]){1, 8, 8, 16}, r, 1024);
    struct tv board = ref;
    board.data = b;
    struct sbuf sb;
    sbuf_init(&sb);
    emit_run(&sb, "r", &board, 1);
    struct diff_report rep;
    REQUIRE(diff_log(&ref, 1, sbuf_str(&sb), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.layers[0].status, DIFF_DIVERGED);
    CHECK(has_hint(&rep.layers[0], DIFF_HINT_SHIFT));
    CHECK(rep.layers[0].hint_detail && strstr(rep.layers[0].hint_detail, "1 of 16 channels"));
    diff_report_release(&rep);
    /* only ±1 LSB: rounding; a tolerance of 1 makes it exact */
    sbuf_reset(&sb);
    board.data = rnd;
    emit_run(&sb, "r", &board, 1);
    REQUIRE(diff_log(&ref, 1, sbuf_str(&sb), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.layers[0].status, DIFF_ROUNDING);
    CHECK(!diff_report_failed(&rep));
    CHECK_NEAR(rep.layers[0].within1_pct, 100, 0);
    diff_report_release(&rep);
    REQUIRE(diff_log(&ref, 1, sbuf_str(&sb), -1, 1, &rep) == 0);
    CHECK_EQ_INT(rep.layers[0].status, DIFF_EXACT);
    diff_report_release(&rep);
    sbuf_release(&sb);
}

/* ---- alignment ------------------------------------------------------------------------- */

static const char *step_names(void *user, const struct trace_entry *e)
{
    const char *const *names = user;
    return e->index >= 0 && e->index < 3 ? names[e->index] : NULL;
}

TEST(diff, align_by_index_and_rename_hook)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    struct tv board[3] = {f.ref[0], f.ref[1], f.ref[2]};
    board[0].name = "sid_1";
    board[1].name = "sid_2";
    board[2].name = "output";
    struct sbuf sb;
    sbuf_init(&sb);
    emit_run(&sb, "run-1", board, 3);
    struct diff_report rep;
    /* names match nothing: aligned by index */
    REQUIRE(diff_log(f.ref, 3, sbuf_str(&sb), -1, 0, &rep) == 0);
    CHECK_EQ_INT(rep.count[DIFF_EXACT], 3);
    CHECK_EQ_STR(rep.layers[1].board_name, "sid_2");
    diff_report_release(&rep);
    /* reversed indices: the rename hook (an MLF step map) puts them right */
    struct trace tr, tb;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(trace_of(&tr, f.ref, 3) == 0);
    for (size_t i = 0; i < 3; i++)
        tr.entries[i].index = (int64_t)(2 - i);
    trace_init(&tb);
    REQUIRE(trace_load_log_buffer(sbuf_str(&sb), sb.len, "b.log", NULL, &tb, &eb) == 0);
    diff_report_init(&rep);
    REQUIRE(diff_traces(&tr, &tb, NULL, &rep, &eb) == 0);
    CHECK_EQ_INT(rep.count[DIFF_EXACT], 1);      /* index alone pairs the ends wrongly */
    CHECK_EQ_INT(rep.layers[0].status, DIFF_DIVERGED);
    diff_report_release(&rep);
    static const char *const names[3] = {"input_1", "image", "Identity"};
    struct diff_options opt = {.board_name = step_names, .name_user = (void *)names};
    REQUIRE(diff_traces(&tr, &tb, &opt, &rep, &eb) == 0);
    CHECK_EQ_INT(rep.count[DIFF_EXACT], 3);
    CHECK_EQ_INT(rep.n_extra, 0);
    diff_report_release(&rep);
    trace_release(&tr);
    trace_release(&tb);
    sbuf_release(&sb);
    fixture_free(&f);
}

/* A rerun hook standing in for the interpreter: returns a fixed output. */
struct fake_rerun {
    const int8_t *out;
    int calls;
};

static int fake_rerun(void *user, const char *name, const struct diff_report *rep,
                      const struct trace *board, struct tensor_value *out, struct errbuf *eb)
{
    struct fake_rerun *fr = user;
    (void)name;
    fr->calls++;
    if (diff_board_value(rep, board, "image") == NULL)
        return errbuf_set(eb, ST_ENOTFOUND, "no board input");
    out->dtype = DTYPE_S8;
    out->rank = 2;
    out->dims[0] = 1;
    out->dims[1] = 12;
    out->bytes = 12;
    out->data = mem_alloc(12);
    if (out->data == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    memcpy(out->data, fr->out, 12);
    return 0;
}

TEST(diff, rerun_hook_decides_inherited_or_diverged)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    int8_t img[3072];
    memcpy(img, f.image, sizeof img);
    img[7] = (int8_t)(img[7] ^ 0x40);
    struct tv board[3] = {f.ref[0], f.ref[1], f.ref[2]};
    board[1].data = img;
    board[2].data = kws_left_cmsis;
    struct sbuf sb;
    sbuf_init(&sb);
    emit_run(&sb, "run-1", board, 3);
    struct trace tr, tb;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(trace_of(&tr, f.ref, 3) == 0);
    trace_init(&tb);
    REQUIRE(trace_load_log_buffer(sbuf_str(&sb), sb.len, "b.log", NULL, &tb, &eb) == 0);
    /* re-running on the board's input reproduces the board: the error came from upstream */
    struct fake_rerun fr = {kws_left_cmsis, 0};
    struct diff_options opt = {.rerun = fake_rerun, .rerun_user = &fr};
    struct diff_report rep;
    diff_report_init(&rep);
    REQUIRE(diff_traces(&tr, &tb, &opt, &rep, &eb) == 0);
    CHECK_EQ_INT(fr.calls, 1);
    CHECK_EQ_INT(rep.layers[2].status, DIFF_INHERITED);
    CHECK(rep.layers[2].reran);
    CHECK_EQ_INT(rep.first_diverged, 1);
    diff_report_release(&rep);
    /* it does not: this layer's own error */
    fr.out = kws_left_native;
    REQUIRE(diff_traces(&tr, &tb, &opt, &rep, &eb) == 0);
    CHECK_EQ_INT(rep.layers[2].status, DIFF_DIVERGED);
    CHECK(rep.layers[2].reran);
    diff_report_release(&rep);
    trace_release(&tr);
    trace_release(&tb);
    sbuf_release(&sb);
    fixture_free(&f);
}

/* ---- folders, JSON, CLI ---------------------------------------------------------------- */

static void write_npy(const char *dir, const char *file, const struct tv *v)
{
    struct tensor_value tv = {v->dtype, v->rank, {0}, (void *)v->data, v->bytes};
    memcpy(tv.dims, v->dims, sizeof v->dims);
    char *p = fileio_join(dir, file);
    struct errbuf eb;
    errbuf_init(&eb);
    if (p)
        npy_write_file(p, &tv, &eb);
    mem_free(p);
}

static void write_text(const char *dir, const char *file, const char *text)
{
    char *p = fileio_join(dir, file);
    struct errbuf eb;
    errbuf_init(&eb);
    if (p)
        fileio_write(p, text, strlen(text), &eb);
    mem_free(p);
}

TEST(diff, run_folder_and_npy_folder)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    const char *dir = test_tmpdir(t_);
    char run[256], npy[256];
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(npy, sizeof npy, "%s/npy", dir);
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(fileio_mkdirs(run, &eb) == 0 && fileio_mkdirs(npy, &eb) == 0);
    write_npy(run, "0000_image.npy", &f.ref[1]);
    write_npy(run, "0001_Identity.npy", &f.ref[2]);
    write_text(run, "index.json",
               "{\"model\": \"kws_ref_model.tflite\", \"arith\": \"tflm\", \"tensors\": [\n"
               " {\"index\": 0, \"name\": \"image\", \"layer\": \"image\", \"op\": \"CONV_2D\","
               " \"dtype\": \"int8\", \"shape\": [1,32,32,3], \"file\": \"0000_image.npy\","
               " \"arith\": \"tflm\"},\n"
               " {\"index\": 1, \"name\": \"Identity\", \"layer\": \"Identity\", \"op\":"
               " \"SOFTMAX\", \"dtype\": \"int8\", \"shape\": [1,12], \"file\":"
               " \"0001_Identity.npy\", \"arith\": \"tflm\", \"step\": 7, \"function\":"
               " \"tvmgen_default_fused_softmax\"}]}\n");
    write_npy(npy, "image.npy", &f.ref[1]);
    struct tv cm = f.ref[2];
    cm.data = kws_left_cmsis;
    write_npy(npy, "Identity.npy", &cm);
    struct trace a, b;
    trace_init(&a);
    trace_init(&b);
    REQUIRE(trace_load(run, NULL, &a, &eb) == 0);
    CHECK_EQ_INT(a.kind, TRACE_KIND_RUN);
    CHECK_EQ_STR(a.arith, "tflm");
    REQUIRE(a.n_entries == 2);
    CHECK_EQ_STR(a.entries[1].op, "SOFTMAX");
    CHECK_EQ_INT(a.entries[1].step, 7);
    CHECK_EQ_STR(a.entries[1].function, "tvmgen_default_fused_softmax");
    REQUIRE(trace_load(npy, NULL, &b, &eb) == 0);
    CHECK_EQ_INT(b.kind, TRACE_KIND_NPY);
    REQUIRE(b.n_entries == 2);
    CHECK_EQ_STR(b.entries[0].name, "Identity");    /* name order */
    {
        /* an order prefix sorts and is dropped from the name */
        char ord[256];
        snprintf(ord, sizeof ord, "%s/ordered", dir);
        REQUIRE(fileio_mkdirs(ord, &eb) == 0);
        write_npy(ord, "0001_image.npy", &f.ref[1]);
        write_npy(ord, "0000_input_1.npy", &f.ref[0]);
        write_npy(ord, "7_.npy", &f.ref[0]);
        struct trace o;
        trace_init(&o);
        REQUIRE(trace_load(ord, NULL, &o, &eb) == 0);
        REQUIRE(o.n_entries == 3);
        CHECK_EQ_STR(o.entries[0].name, "input_1");
        CHECK_EQ_STR(o.entries[1].name, "image");
        CHECK_EQ_STR(o.entries[2].name, "7_");
        trace_release(&o);
    }
    struct diff_report rep;
    diff_report_init(&rep);
    REQUIRE(diff_traces(&a, &b, NULL, &rep, &eb) == 0);
    CHECK_EQ_INT(rep.layers[0].status, DIFF_EXACT);
    CHECK_EQ_INT(rep.layers[1].status, DIFF_DIVERGED);
    /* JSON and reading it back */
    char *json = NULL;
    REQUIRE(diff_report_json(&rep, &json, &eb) == 0);
    CHECK(strstr(json, "\"first_diverged\":\t\"Identity\"") != NULL);
    CHECK(strstr(json, "\"within1_pct\"") != NULL);
    write_text(dir, "report.json", json);
    mem_free(json);
    char rpath[256];
    snprintf(rpath, sizeof rpath, "%s/report.json", dir);
    struct diff_verdicts v;
    REQUIRE(diff_verdicts_load(rpath, &v, &eb) == 0);
    CHECK_EQ_INT(v.n, 2);
    CHECK_EQ_INT(v.status[1], DIFF_DIVERGED);
    CHECK_EQ_STR(v.first_diverged, "Identity");
    diff_verdicts_release(&v);
    /* the table marks the first divergence */
    struct sbuf sb;
    sbuf_init(&sb);
    diff_report_table(&rep, false, &sb);
    CHECK(strstr(sbuf_str(&sb), ">   1  Identity") != NULL);
    CHECK(strstr(sbuf_str(&sb), "first divergence: Identity") != NULL);
    sbuf_release(&sb);
    diff_report_release(&rep);
    trace_release(&a);
    trace_release(&b);
    /* the command: exit 1, JSON to a file; exit 0 on agreement; 2 on bad input */
    char args[1024];
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    snprintf(args, sizeof args, "diff %s %s -o %s/r.json", run, npy, dir);
    CHECK_EQ_INT(test_cli(args, &out, &err), 1);
    CHECK(strstr(sbuf_str(&out), "first divergence: Identity") != NULL);
    snprintf(args, sizeof args, "diff %s %s --json", run, run);
    sbuf_reset(&out);
    CHECK_EQ_INT(test_cli(args, &out, &err), 0);
    CHECK(strstr(sbuf_str(&out), "\"first_diverged\":\tnull") != NULL);
    write_text(dir, "bad.json", "{\"tensors\": [{\"name\": 3}]}");
    snprintf(args, sizeof args, "diff %s/bad.json %s", dir, run);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli(args, &out, &err), 2);
    char bad[256];
    snprintf(bad, sizeof bad, "%s/bad", dir);
    REQUIRE(fileio_mkdirs(bad, &eb) == 0);
    write_text(bad, "index.json", "{\"tensors\": [{\"name\": \"x\", \"file\": \"../x.npy\"}]}");
    snprintf(args, sizeof args, "diff %s %s", bad, run);
    sbuf_reset(&err);
    CHECK_EQ_INT(test_cli(args, &out, &err), 2);
    CHECK(strstr(sbuf_str(&err), "tensors[0]") != NULL);
    CHECK_EQ_INT(test_cli("diff only-one", NULL, NULL), 2);
    sbuf_release(&out);
    sbuf_release(&err);
    fixture_free(&f);
}

TEST(diff, cli_on_board_logs)
{
    /* KWS 'yes' sample: both builds printed the same vector: exact, exit 0 */
    size_t n;
    uint8_t *yes = test_read_file(KWS_YES, &n);
    REQUIRE(yes && n == 490);
    struct tv t[2] = {tv_make("input_1", DTYPE_S8, 4, (int64_t[]){1, 49, 10, 1}, yes, 490),
                      tv_make("Identity", DTYPE_S8, 2, (int64_t[]){1, 12}, kws_yes_board, 12)};
    const char *dir = test_tmpdir(t_);
    struct sbuf sb;
    sbuf_init(&sb);
    emit_run(&sb, "run-1", t, 2);
    write_text(dir, "a.log", sbuf_str(&sb));
    write_text(dir, "b.log", sbuf_str(&sb));
    char args[512];
    snprintf(args, sizeof args, "diff %s/a.log %s/b.log", dir, dir);
    struct sbuf out;
    sbuf_init(&out);
    CHECK_EQ_INT(test_cli(args, &out, NULL), 0);
    CHECK(strstr(sbuf_str(&out), "2 exact") != NULL);
    snprintf(args, sizeof args, "diff %s/a.log %s/b.log --run 2", dir, dir);
    CHECK_EQ_INT(test_cli(args, NULL, NULL), 2);
    snprintf(args, sizeof args, "diff %s/a.log %s/missing.log", dir, dir);
    CHECK_EQ_INT(test_cli(args, NULL, NULL), 2);
    sbuf_release(&out);
    sbuf_release(&sb);
    mem_free(yes);
}

TEST(diff, allocation_faults)
{
    struct fixture f;
    REQUIRE(fixture_load(&f));
    struct tv board[3] = {f.ref[0], f.ref[1], f.ref[2]};
    board[2].data = kws_left_cmsis;
    struct sbuf sb;
    sbuf_init(&sb);
    emit_run(&sb, "run-1", board, 3);
    struct trace tr;
    REQUIRE(trace_of(&tr, f.ref, 3) == 0);
    for (long k = 0; k < 200; k++) {
        struct trace tb;
        struct diff_report rep;
        struct errbuf eb;
        errbuf_init(&eb);
        trace_init(&tb);
        diff_report_init(&rep);
        mem_fail_after(k);
        int rc = trace_load_log_buffer(sbuf_str(&sb), sb.len, "b.log", NULL, &tb, &eb);
        if (rc)
            CHECK_EQ_INT(tb.n_entries, 0);
        if (rc == 0) {
            rc = diff_traces(&tr, &tb, NULL, &rep, &eb);
            if (rc)
                CHECK_EQ_INT(rep.n_layers, 0);
        }
        char *json = NULL;
        if (rc == 0)
            rc = diff_report_json(&rep, &json, &eb);
        mem_fail_after(-1);
        mem_free(json);
        if (rc == 0) {
            CHECK_EQ_INT(rep.layers[2].status, DIFF_DIVERGED);
            diff_report_release(&rep);
            trace_release(&tb);
            break;
        }
        CHECK_EQ_INT(rc, ST_ENOMEM);
        diff_report_release(&rep);
        trace_release(&tb);
    }
    trace_release(&tr);
    sbuf_release(&sb);
    fixture_free(&f);
}

/* ---- with the model ------------------------------------------------------------------- */

#define KWS_MODEL "tests/data/models/kws_ref_model.tflite"

TEST(diff, model_inputs_scales_and_float_board)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(model_load(&g, KWS_MODEL, NULL, &eb) == 0);
    size_t n;
    uint8_t *kws = test_read_file(KWS_LEFT, &n);
    REQUIRE(kws && n == 490);
    struct tv ref[2] = {tv_make("input_1", DTYPE_S8, 4, (int64_t[]){1, 49, 10, 1}, kws, 490),
                        tv_make("Identity", DTYPE_S8, 2, (int64_t[]){1, 12}, kws_left_native,
                                12)};
    uint8_t kws2[490];
    memcpy(kws2, kws, 490);
    kws2[100] ^= 0x10;
    struct tv board[2] = {ref[0], ref[1]};
    board[0].data = kws2;
    board[1].data = kws_left_cmsis;
    struct trace tr, tb;
    REQUIRE(trace_of(&tr, ref, 2) == 0);
    REQUIRE(trace_of(&tb, board, 2) == 0);
    struct diff_report rep;
    diff_report_init(&rep);
    /* without the model the previous entry (the input, which differs) is blamed */
    REQUIRE(diff_traces(&tr, &tb, NULL, &rep, &eb) == 0);
    CHECK_EQ_INT(rep.layers[1].status, DIFF_INHERITED);
    diff_report_release(&rep);
    /* the model says Identity reads dense/BiasAdd, not in either trace: its own error */
    struct diff_options opt = {.model = &g};
    REQUIRE(diff_traces(&tr, &tb, &opt, &rep, &eb) == 0);
    CHECK_EQ_INT(rep.layers[0].status, DIFF_DIVERGED);
    CHECK_EQ_INT(rep.layers[1].status, DIFF_DIVERGED);
    CHECK_EQ_INT(rep.layers[1].n_inputs, 0);
    /* cosine on dequantized scores: scale 1/256, zero point -128 (README) */
    double dot = 0, a = 0, b = 0;
    for (int i = 0; i < 12; i++) {
        double x = (kws_left_native[i] + 128) / 256.0, y = (kws_left_cmsis[i] + 128) / 256.0;
        dot += x * y;
        a += x * x;
        b += y * y;
    }
    CHECK_NEAR(rep.layers[1].cosine, dot / sqrt(a * b), 1e-9);
    diff_report_release(&rep);
    trace_release(&tb);
    /* a board that printed the probabilities scale*(q-zp) as floats, as the MLPerf firmware */
    float probs[12];
    for (int i = 0; i < 12; i++)
        probs[i] = (float)((kws_left_native[i] + 128) / 256.0);
    struct tv fb[2] = {ref[0], tv_make("Identity", DTYPE_F32, 2, (int64_t[]){1, 12}, probs, 48)};
    REQUIRE(trace_of(&tb, fb, 2) == 0);
    REQUIRE(diff_traces(&tr, &tb, &opt, &rep, &eb) == 0);
    CHECK_EQ_INT(rep.layers[1].status, DIFF_EXACT);
    CHECK(rep.layers[1].reconciled && strstr(rep.layers[1].reconciled, "scale"));
    diff_report_release(&rep);
    trace_release(&tb);
    trace_release(&tr);
    mem_free(kws);
    graph_release(&g);
}

TEST(diff, graph_picture_takes_verdicts)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    REQUIRE(model_load(&g, KWS_MODEL, NULL, &eb) == 0);
    const char *dir = test_tmpdir(t_);
    write_text(dir, "r.json",
               "{\"layers\": [{\"name\": \"functional_1/flatten/Reshape\", \"status\": "
               "\"exact\"}, {\"name\": \"Identity\", \"layer\": \"Identity\", \"status\": "
               "\"diverged\"}], \"first_diverged\": \"Identity\"}");
    char path[256];
    snprintf(path, sizeof path, "%s/r.json", dir);
    struct diff_verdicts dv;
    REQUIRE(diff_verdicts_load(path, &dv, &eb) == 0);
    struct graphview v;
    graphview_init(&v);
    struct graphview_options vo = {.mode = GRAPHVIEW_LAYERS};
    REQUIRE(graphview_build(&v, &g, &vo, &eb) == 0);
    size_t matched = 0;
    REQUIRE(graphview_apply_diff(&v, &g, &dv, &matched, &eb) == 0);
    CHECK_EQ_INT(matched, 2);
    int id = graphview_box_of_layer(&v, 12), flat = graphview_box_of_layer(&v, 10);
    REQUIRE(id >= 0 && flat >= 0);
    CHECK_EQ_STR(v.boxes[id].status, "diverged");
    CHECK(v.boxes[id].marked);
    CHECK_EQ_STR(v.boxes[flat].status, "exact");
    CHECK(!v.boxes[flat].marked);
    CHECK_EQ_STR(v.legend_title, "status");
    graphview_release(&v);
    diff_verdicts_release(&dv);
    /* the command: the diverged layer filled red in the DOT */
    char args[1024];
    snprintf(args, sizeof args, "graph %s --diff %s -o %s/g.dot", KWS_MODEL, path, dir);
    struct sbuf err;
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli(args, NULL, &err), 0);
    CHECK(strstr(sbuf_str(&err), "first divergence: Identity") != NULL);
    sbuf_release(&err);
    char dot_path[256];
    snprintf(dot_path, sizeof dot_path, "%s/g.dot", dir);
    size_t n_dot = 0;
    char *dot = (char *)test_read_file(dot_path, &n_dot);
    REQUIRE(dot != NULL);
    CHECK(strstr(dot, "#ff9c9c") != NULL);
    CHECK(strstr(dot, "diverged") != NULL);
    mem_free(dot);
    /* a file that is not a report */
    write_text(dir, "x.json", "{\"layers\": [{\"name\": \"a\", \"status\": \"fine\"}]}");
    snprintf(path, sizeof path, "%s/x.json", dir);
    CHECK_EQ_INT(diff_verdicts_load(path, &dv, &eb), ST_EPARSE);
    graph_release(&g);
}

/* ---- logs made from real interpreter runs ------------------------------------------- */

#define RESNET_DIR "tests/data/onnx-models/mlperf-tiny-ic-resnet8-qdq"
#define RESNET_MODEL RESNET_DIR "/model.onnx"
#define RESNET_INPUT RESNET_DIR "/inputs/cifar10_calib_image_0.npy"

/* ResNet-8 (QDQ ONNX, MLPerf Tiny) run on a CIFAR-10 image under `arith`. */
static int resnet_run(struct graph *g, struct interp_inputs *in, enum interp_arith arith,
                      struct trace *out, struct errbuf *eb)
{
    struct diff_model dm = {.g = g, .arith = arith};
    return diff_model_trace(&dm, in, out, eb);
}

/* Emits a trace as a board log; `skip` (may be -1) leaves one entry out. */
static void emit_trace(struct sbuf *sb, const struct trace *t, long skip)
{
    struct mlfscope_dump d;
    mlfscope_dump_init(&d, put_sbuf, sb);
    mlfscope_dump_begin(&d, "run-1", "resnet8");
    for (size_t i = 0; i < t->n_entries; i++) {
        const struct trace_entry *e = &t->entries[i];
        if ((long)i == skip)
            continue;
        int32_t dims[GRAPH_MAX_RANK];
        for (int k = 0; k < e->value.rank; k++)
            dims[k] = (int32_t)e->value.dims[k];
        mlfscope_dump_tensor(&d, (uint32_t)i, e->name, emit_dtype(e->value.dtype), dims,
                             e->value.rank, e->value.data, (uint32_t)e->value.bytes);
        sbuf_add(sb, "cycles: 123456\n");
    }
    mlfscope_dump_end(&d);
}

static long entry_named(const struct trace *t, const char *name)
{
    for (size_t i = 0; i < t->n_entries; i++)
        if (strcmp(t->entries[i].name, name) == 0)
            return (long)i;
    return -1;
}

struct resnet {
    struct graph g;
    struct interp_inputs in;
    struct trace ref;           /* tflm */
    struct diff_model dm;
};

static int resnet_open(struct resnet *r, struct errbuf *eb)
{
    graph_init(&r->g);
    memset(&r->in, 0, sizeof r->in);
    trace_init(&r->ref);
    const char *spec = RESNET_INPUT;
    int rc = model_load(&r->g, RESNET_MODEL, NULL, eb);
    if (!rc)
        rc = interp_inputs_load(&r->g, 1, &spec, DTYPE_UNKNOWN, 0, NULL, &r->in, eb);
    if (!rc)
        rc = resnet_run(&r->g, &r->in, INTERP_ARITH_TFLM, &r->ref, eb);
    r->dm = (struct diff_model){.g = &r->g, .arith = INTERP_ARITH_TFLM};
    return rc;
}

static void resnet_close(struct resnet *r)
{
    trace_release(&r->ref);
    interp_inputs_release(&r->in);
    graph_release(&r->g);
}

static int diff_board(struct resnet *r, const char *log, struct diff_report *rep,
                      struct errbuf *eb)
{
    struct trace tb;
    trace_init(&tb);
    diff_report_init(rep);
    int rc = trace_load_log_buffer(log, strlen(log), "board.log", NULL, &tb, eb);
    struct diff_options opt = {.model = &r->g, .rerun = diff_model_rerun, .rerun_user = &r->dm};
    if (!rc)
        rc = diff_traces(&r->ref, &tb, &opt, rep, eb);
    trace_release(&tb);
    return rc;
}

TEST(diff, real_run_onnx_board_against_tflm_reference)
{
    /* A "board" computing in ONNX arithmetic against the TFLM reference: rounding
       differences that grow downstream, each re-run layer reproducing the board: no layer
       diverges. */
    struct resnet r;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(resnet_open(&r, &eb) == 0);
    struct trace onnx;
    trace_init(&onnx);
    REQUIRE(resnet_run(&r.g, &r.in, INTERP_ARITH_ONNX, &onnx, &eb) == 0);
    struct sbuf sb;
    sbuf_init(&sb);
    emit_trace(&sb, &onnx, -1);
    struct diff_report rep;
    REQUIRE(diff_board(&r, sbuf_str(&sb), &rep, &eb) == 0);
    CHECK_EQ_INT(rep.n_layers, r.ref.n_entries);
    CHECK_EQ_INT(rep.count[DIFF_DIVERGED], 0);
    CHECK_EQ_INT(rep.count[DIFF_MISSING], 0);
    CHECK(rep.count[DIFF_ROUNDING] > 0);
    CHECK(rep.count[DIFF_INHERITED] > 0);
    for (size_t i = 0; i < rep.n_layers; i++)
        if (rep.layers[i].status == DIFF_INHERITED)
            CHECK(rep.layers[i].reran);
    CHECK_EQ_INT(rep.first_diverged, -1);
    diff_report_release(&rep);
    sbuf_release(&sb);
    trace_release(&onnx);
    resnet_close(&r);
}

/* Kinds of damage done to one layer of a board log made from a real run. */
enum damage { DMG_FROM_INDEX, DMG_NCHW_DATA, DMG_U8_DECLARED, DMG_U8_UNDECLARED, DMG_DROPPED };

TEST(diff, real_run_damaged_logs_name_the_layer)
{
    struct resnet r;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(resnet_open(&r, &eb) == 0);
    const char *victim = "PPQ_Variable_103";    /* an int8 [1,16,16,32] activation */
    long k = entry_named(&r.ref, victim);
    REQUIRE(k > 0);
    REQUIRE(r.ref.entries[k].value.dtype == DTYPE_S8 && r.ref.entries[k].value.rank == 4);
    for (int dmg = DMG_FROM_INDEX; dmg <= DMG_DROPPED; dmg++) {
        struct trace b;
        REQUIRE(trace_of(&b, NULL, 0) == 0);
        for (size_t i = 0; i < r.ref.n_entries; i++)
            REQUIRE(trace_add(&b, &r.ref.entries[i], &eb) == 0);
        struct tensor_value *v = &b.entries[k].value;
        int8_t *p = v->data;
        size_t n = v->bytes;
        if (dmg == DMG_FROM_INDEX) {
            for (size_t i = 100; i < n; i++)
                p[i] = (int8_t)(p[i] > 100 ? p[i] - 9 : p[i] + 9);
            /* the board computed every later layer from the damaged values */
            for (size_t j = (size_t)k + 1; j < b.n_entries; j++) {
                struct tensor_value out;
                int rc = diff_model_run_layer(&r.dm, b.entries[j].name, &b, &out, &eb);
                REQUIRE(rc == 0);
                REQUIRE(out.bytes == b.entries[j].value.bytes);
                memcpy(b.entries[j].value.data, out.data, out.bytes);
                mem_free(out.data);
            }
        } else if (dmg == DMG_NCHW_DATA) {
            int64_t H = v->dims[1], W = v->dims[2], C = v->dims[3];
            int8_t *tmp = mem_alloc(n);
            REQUIRE(tmp != NULL);
            for (int64_t y = 0; y < H; y++)
                for (int64_t x = 0; x < W; x++)
                    for (int64_t c = 0; c < C; c++)
                        tmp[(c * H + y) * W + x] = p[(y * W + x) * C + c];
            memcpy(p, tmp, n);
            mem_free(tmp);
        } else if (dmg == DMG_U8_DECLARED || dmg == DMG_U8_UNDECLARED) {
            for (size_t i = 0; i < n; i++)
                p[i] = (int8_t)(uint8_t)((uint8_t)p[i] ^ 0x80);   /* q + 128 as uint8 */
            if (dmg == DMG_U8_DECLARED)
                v->dtype = DTYPE_U8;
        }
        struct sbuf sb;
        sbuf_init(&sb);
        emit_trace(&sb, &b, dmg == DMG_DROPPED ? k : -1);
        struct diff_report rep;
        REQUIRE(diff_board(&r, sbuf_str(&sb), &rep, &eb) == 0);
        long at = -1;
        for (size_t i = 0; i < rep.n_layers; i++)
            if (strcmp(rep.layers[i].name, victim) == 0)
                at = (long)i;
        REQUIRE(at >= 0);
        const struct diff_layer *L = &rep.layers[at];
        switch (dmg) {
        case DMG_FROM_INDEX:
            CHECK_EQ_INT(L->status, DIFF_DIVERGED);
            CHECK_EQ_INT(rep.first_diverged, at);
            CHECK_EQ_INT(L->first_index, 100);
            CHECK_EQ_INT(rep.count[DIFF_DIVERGED], 1);
            CHECK(rep.count[DIFF_INHERITED] > 0);
            for (size_t i = (size_t)at + 1; i < rep.n_layers; i++)
                if (!(rep.layers[i].status == DIFF_INHERITED ||
                      rep.layers[i].status == DIFF_EXACT))
                    test_fail(t_, __FILE__, __LINE__, "%s: %s", rep.layers[i].name,
                              diff_status_name(rep.layers[i].status));
            break;
        case DMG_NCHW_DATA:
            CHECK_EQ_INT(L->status, DIFF_DIVERGED);
            CHECK(has_hint(L, DIFF_HINT_LAYOUT));
            CHECK_EQ_INT(rep.first_diverged, at);
            break;
        case DMG_U8_DECLARED:
            CHECK_EQ_INT(L->status, DIFF_EXACT);
            CHECK_EQ_INT(rep.count[DIFF_EXACT], rep.n_layers);
            break;
        case DMG_U8_UNDECLARED:
            CHECK_EQ_INT(L->status, DIFF_DIVERGED);
            CHECK(has_hint(L, DIFF_HINT_ZP128));
            break;
        case DMG_DROPPED:
            CHECK_EQ_INT(L->status, DIFF_MISSING);
            CHECK(diff_report_failed(&rep));
            /* the next layer re-runs on nothing: missing input, its verdict stands alone */
            CHECK_EQ_INT(rep.count[DIFF_DIVERGED], 0);
            break;
        }
        diff_report_release(&rep);
        sbuf_release(&sb);
        trace_release(&b);
    }
    resnet_close(&r);
}

TEST(diff, cli_model_form)
{
    struct resnet r;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(resnet_open(&r, &eb) == 0);
    struct sbuf sb;
    sbuf_init(&sb);
    emit_trace(&sb, &r.ref, -1);
    const char *dir = test_tmpdir(t_);
    write_text(dir, "board.log", sbuf_str(&sb));
    char args[1024];
    snprintf(args, sizeof args, "diff %s --input %s --log %s/board.log --json -o %s/rep.json",
             RESNET_MODEL, RESNET_INPUT, dir, dir);
    struct sbuf out;
    sbuf_init(&out);
    CHECK_EQ_INT(test_cli(args, &out, NULL), 0);
    CHECK(strstr(sbuf_str(&out), "\"first_diverged\":\tnull") != NULL);
    /* onnx arithmetic for the reference: the tflm board now differs by rounding */
    snprintf(args, sizeof args, "diff %s --input %s --log %s/board.log --arith onnx",
             RESNET_MODEL, RESNET_INPUT, dir);
    sbuf_reset(&out);
    CHECK_EQ_INT(test_cli(args, &out, NULL), 0);
    CHECK(strstr(sbuf_str(&out), "rounding") != NULL);
    snprintf(args, sizeof args, "diff %s --input %s --log %s/board.log --arith fast",
             RESNET_MODEL, RESNET_INPUT, dir);
    CHECK_EQ_INT(test_cli(args, NULL, NULL), 2);
    snprintf(args, sizeof args, "diff %s --log %s/board.log", RESNET_MODEL, dir);
    CHECK_EQ_INT(test_cli(args, NULL, NULL), 2);
    sbuf_release(&out);
    sbuf_release(&sb);
    resnet_close(&r);
}

TEST(diff, hand_printed_scores)
{
    /* the CMSIS-NN board's scores as a person would print them, against the native build */
    static const char text[] = "Left_2 scores:\n-128, -128, 56, -128, -125, -128, -120, -128, "
                               "-126, -128, -128, -70\ndone\n";
    struct tv ref = tv_make("Identity", DTYPE_S8, 2, (int64_t[]){1, 12}, kws_left_native, 12);
    struct trace tr, tb;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(trace_of(&tr, &ref, 1) == 0);
    trace_init(&tb);
    struct trace_options o = {.run = -1};
    CHECK_EQ_INT(trace_load_log_buffer(text, strlen(text), "p.txt", &o, &tb, &eb), ST_ENOTFOUND);
    o.plain_name = "Identity";
    o.plain_dtype = DTYPE_S8;
    REQUIRE(trace_load_log_buffer(text, strlen(text), "p.txt", &o, &tb, &eb) == 0);
    REQUIRE(tb.n_entries == 1);
    struct diff_report rep;
    diff_report_init(&rep);
    REQUIRE(diff_traces(&tr, &tb, NULL, &rep, &eb) == 0);
    CHECK_EQ_INT(rep.layers[0].status, DIFF_DIVERGED);
    CHECK_NEAR(rep.layers[0].max_abs, 22, 0);
    CHECK_EQ_INT(rep.layers[0].first_coord[1], 2);
    diff_report_release(&rep);
    trace_release(&tb);
    trace_release(&tr);
}

TEST(diff, allocation_faults_with_reruns)
{
    struct resnet r;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(resnet_open(&r, &eb) == 0);
    struct trace onnx;
    trace_init(&onnx);
    REQUIRE(resnet_run(&r.g, &r.in, INTERP_ARITH_ONNX, &onnx, &eb) == 0);
    struct sbuf sb;
    sbuf_init(&sb);
    emit_trace(&sb, &onnx, -1);
    trace_release(&onnx);
    struct diff_report rep;
    mem_fail_after(-1);
    REQUIRE(diff_board(&r, sbuf_str(&sb), &rep, &eb) == 0);
    long total = mem_fail_after(-1);
    size_t want_inherited = rep.count[DIFF_INHERITED];
    diff_report_release(&rep);
    /* every allocation up to 200, then a stride through the re-runs */
    for (long k = 0; k < total; k += k < 200 ? 1 : 211) {
        errbuf_init(&eb);
        mem_fail_after(k);
        int rc = diff_board(&r, sbuf_str(&sb), &rep, &eb);
        mem_fail_after(-1);
        if (rc == 0 && rep.count[DIFF_INHERITED] != want_inherited)
            test_fail(t_, __FILE__, __LINE__, "fault at %ld: %zu inherited, want %zu", k,
                      rep.count[DIFF_INHERITED], want_inherited);
        else if (rc != 0)
            CHECK_EQ_INT(rc, ST_ENOMEM);
        diff_report_release(&rep);
    }
    sbuf_release(&sb);
    resnet_close(&r);
}

TEST(diff, kws_model_form_against_published_board_scores)
{
    /* The reference computed on the fly (tflm) for KWS sample Left_2, against logs holding
       the input and the scores NUCLEO-L4R5ZI printed: the CMSIS-NN build agrees exactly,
       the plain-C build's scores differ at classes 2, 6 and 11. */
    size_t n;
    uint8_t *kws = test_read_file(KWS_LEFT, &n);
    REQUIRE(kws && n == 490);
    struct tv t[2] = {tv_make("input_1", DTYPE_S8, 4, (int64_t[]){1, 49, 10, 1}, kws, 490),
                      tv_make("Identity", DTYPE_S8, 2, (int64_t[]){1, 12}, kws_left_cmsis, 12)};
    const char *dir = test_tmpdir(t_);
    struct sbuf sb, out;
    sbuf_init(&sb);
    sbuf_init(&out);
    emit_run(&sb, "run-1", t, 2);
    write_text(dir, "cmsis.log", sbuf_str(&sb));
    sbuf_reset(&sb);
    t[1].data = kws_left_native;
    emit_run(&sb, "run-1", t, 2);
    write_text(dir, "native.log", sbuf_str(&sb));
    char args[1024];
    /* the log holds 2 of the 14 tensors: the other 12 layers are missing ... */
    snprintf(args, sizeof args, "diff %s --input %s --input-dtype int8 --log %s/cmsis.log",
             KWS_MODEL, KWS_LEFT, dir);
    CHECK_EQ_INT(test_cli(args, &out, NULL), 1);
    CHECK(strstr(sbuf_str(&out), "2 exact, 12 missing") != NULL);
    /* ... unless only what the board printed is compared */
    snprintf(args, sizeof args, "diff %s --input %s --input-dtype int8 --log %s/cmsis.log "
             "--partial", KWS_MODEL, KWS_LEFT, dir);
    sbuf_reset(&out);
    CHECK_EQ_INT(test_cli(args, &out, NULL), 0);
    CHECK(strstr(sbuf_str(&out), "2 layers, 2 exact") != NULL);
    snprintf(args, sizeof args, "diff %s --input %s --input-dtype int8 --log %s/native.log "
             "-p -o %s/rep.json", KWS_MODEL, KWS_LEFT, dir, dir);
    sbuf_reset(&out);
    CHECK_EQ_INT(test_cli(args, &out, NULL), 1);
    CHECK(strstr(sbuf_str(&out), "first divergence: Identity") != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/rep.json", dir);
    struct diff_verdicts dv;
    struct errbuf eb;
    errbuf_init(&eb);
    REQUIRE(diff_verdicts_load(path, &dv, &eb) == 0);
    CHECK_EQ_INT(dv.n, 2);
    CHECK_EQ_INT(dv.status[0], DIFF_EXACT);
    CHECK_EQ_INT(dv.status[1], DIFF_DIVERGED);
    CHECK_EQ_STR(dv.first_diverged, "Identity");
    diff_verdicts_release(&dv);
    sbuf_release(&out);
    sbuf_release(&sb);
    mem_free(kws);
}
