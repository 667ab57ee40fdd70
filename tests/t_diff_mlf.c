/*
 * `diff MODEL --input X --log LOG --mlf MLF` on the MLPerf Tiny CMSIS-NN builds: board logs
 * written by the firmware emitter the way instrumented firmware writes them (record index =
 * MLF step, name = the step's output buffer or its function), from `run --arith deployed`,
 * which reproduces the NUCLEO-L4R5ZI board scores (tests/data/models/README.md; checked
 * here again on the log's last record). Then one step's tensor damaged from a known index,
 * later layers recomputed from the damage; and the VWW build's shift hazards as hints.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "test.h"
#include "../dump/firmware/mlfscope_dump.h"
#include "../src/diff.h"
#include "../src/diff_mlf.h"
#include "../src/diff_model.h"
#include "../src/fileio.h"
#include "../src/map_deployed.h"
#include "../src/mem.h"
#include "../src/model.h"
#include "../src/offload.h"
#include "../src/sbuf.h"
#include "../src/trace.h"

struct build {
    const char *model, *mlf, *input, *shape;
    bool uint8_pixels;          /* the sample is RGB bytes; the model takes byte - 128 */
    const int8_t *board;        /* the published board scores for the sample, or NULL */
    size_t n_board;
};

static const int8_t kws_left_cmsis[12] = {-128, -128, 56, -128, -125, -128, -120, -128, -126,
                                          -128, -128, -70};
static const int8_t ic_cock_cmsis[10] = {-128, -128, -93, -117, -128, -58, -128, 11, -128, -127};

static const struct build kws = {
    "tests/data/models/kws_ref_model.tflite", "tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws",
    "tests/data/models/inputs/kws/tst_000099_Left_2.bin", "1,49,10,1", false, kws_left_cmsis, 12};
static const struct build ic = {
    "tests/data/models/pretrainedResnet_quant.tflite",
    "tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-ic",
    "tests/data/models/inputs/ic/cock_s_000054.bin", "1,32,32,3", true, ic_cock_cmsis, 10};
static const struct build vww = {
    "tests/data/models/vww_96_int8.tflite", "tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-vww",
    "tests/data/models/inputs/vww/0097.bin", "1,96,96,3", false, NULL, 0};

/* Everything one build needs: the model, the MLF and map, the deployed run of the sample. */
struct fixture {
    const struct build *b;
    char dir[512];              /* the test's folder */
    char input[600];            /* the model input as raw int8 */
    struct graph g;
    struct map_deployed dep;
    struct trace run;           /* `run --arith deployed` output */
    struct diff_model dm;
};

static bool fixture_open(struct test_ctx *t_, struct fixture *f, const struct build *b)
{
    struct errbuf eb;
    errbuf_init(&eb);
    f->b = b;
    graph_init(&f->g);
    map_deployed_init(&f->dep);
    trace_init(&f->run);
    snprintf(f->dir, sizeof f->dir, "%s", test_tmpdir(t_));
    snprintf(f->input, sizeof f->input, "%s/input.bin", f->dir);
    size_t n = 0;
    unsigned char *in = test_read_file(b->input, &n);
    if (in == NULL)
        return false;
    for (size_t i = 0; b->uint8_pixels && i < n; i++)
        in[i] ^= 0x80;
    int rc = fileio_write(f->input, in, n, &eb);
    mem_free(in);
    char args[2048], out[700];
    snprintf(out, sizeof out, "%s/run", f->dir);
    snprintf(args, sizeof args, "run %s --input %s --input-dtype int8 --input-shape %s "
             "--arith deployed --mlf %s -o %s", b->model, f->input, b->shape, b->mlf, out);
    if (!rc && test_cli(args, NULL, NULL) != 0)
        return false;
    if (!rc)
        rc = trace_load_run_dir(out, &f->run, &eb);
    if (!rc)
        rc = model_load(&f->g, b->model, NULL, &eb);
    if (!rc)
        rc = map_deployed_open(&f->dep, &f->g, b->mlf, NULL, &eb);
    f->dm = (struct diff_model){.g = &f->g, .arith = INTERP_ARITH_TFLM,
                                .layer_params = f->dep.params};
    if (rc)
        fprintf(stderr, "  fixture: %s\n", eb.msg);
    return rc == 0;
}

static void fixture_close(struct fixture *f)
{
    trace_release(&f->run);
    map_deployed_release(&f->dep);
    graph_release(&f->g);
}

/* The run's entry for the layer MLF step s leaves in its buffer, or -1. */
static long entry_of_step(const struct fixture *f, size_t s)
{
    int li = diff_mlf_step_layer(&f->dep.map, s);
    for (size_t i = 0; li >= 0 && i < f->run.n_entries; i++)
        if (f->run.entries[i].layer && strcmp(f->run.entries[i].layer, f->g.layers[li].name) == 0)
            return (long)i;
    return -1;
}

static void put_sbuf(char c, void *user)
{
    sbuf_addc(user, c);
}

enum naming { BY_BUFFER, BY_FUNCTION };

/*
 * Writes the trace `t` (entries as in f->run) to PATH as instrumented firmware would: one
 * record per MLF step in step order, index = step, named by its output buffer or function.
 */
static bool write_log(const struct fixture *f, const struct trace *t, enum naming naming,
                      const char *path)
{
    struct sbuf sb;
    sbuf_init(&sb);
    struct mlfscope_dump d;
    mlfscope_dump_init(&d, put_sbuf, &sb);
    sbuf_add(&sb, "main: model start\n");
    mlfscope_dump_begin(&d, "run-1", "deployed");
    bool ok = true;
    for (size_t s = 0; s < f->dep.map.n_steps; s++) {
        long k = entry_of_step(f, s);
        int li = diff_mlf_step_layer(&f->dep.map, s);
        if (k < 0 || li < 0) {
            ok = false;
            continue;
        }
        const struct trace_entry *e = &t->entries[k];
        const char *name = naming == BY_FUNCTION ? f->dep.mlf.steps[s].function
                                                 : f->dep.map.layers[li].out.var;
        int32_t dims[GRAPH_MAX_RANK];
        for (int i = 0; i < e->value.rank; i++)
            dims[i] = (int32_t)e->value.dims[i];
        ok = ok && name && e->value.dtype == DTYPE_S8;
        mlfscope_dump_tensor(&d, (uint32_t)s, name ? name : "?", MLFSCOPE_DUMP_INT8, dims,
                             e->value.rank, e->value.data, (uint32_t)e->value.bytes);
        sbuf_printf(&sb, "step %zu done\n", s);
    }
    mlfscope_dump_end(&d);
    struct errbuf eb;
    errbuf_init(&eb);
    ok = ok && !sbuf_failed(&sb) && fileio_write(path, sbuf_str(&sb), strlen(sbuf_str(&sb)),
                                                 &eb) == 0;
    sbuf_release(&sb);
    return ok;
}

/* Runs `diff MODEL --input X --log LOG --mlf MLF -o REPORT` and reads the verdicts back. */
static int diff_cli(const struct fixture *f, const char *log, const char *extra,
                    struct diff_verdicts *v)
{
    char args[2048], report[700];
    snprintf(report, sizeof report, "%s/report.json", f->dir);
    snprintf(args, sizeof args, "diff %s --input %s --input-dtype int8 --log %s --mlf %s %s "
             "-o %s", f->b->model, f->input, log, f->b->mlf, extra ? extra : "", report);
    struct sbuf err;
    sbuf_init(&err);
    int code = test_cli(args, NULL, &err);
    if (code != 0 && code != 1)
        fprintf(stderr, "  diff: %s\n", sbuf_str(&err));
    sbuf_release(&err);
    struct errbuf eb;
    errbuf_init(&eb);
    memset(v, 0, sizeof *v);
    if (diff_verdicts_load(report, v, &eb) != 0) {
        fprintf(stderr, "  report: %s\n", eb.msg);
        return -1;
    }
    return code;
}

static void check_all_exact(struct test_ctx *t_, const struct build *b)
{
    struct fixture f;
    REQUIRE(fixture_open(t_, &f, b));
    /* the deployed run ends in what the board printed for this sample */
    long last = entry_of_step(&f, f.dep.map.n_steps - 1);
    REQUIRE(last >= 0);
    CHECK_EQ_INT(f.run.entries[last].value.bytes, b->n_board);
    if (f.run.entries[last].value.bytes == b->n_board)
        CHECK_MEM(f.run.entries[last].value.data, b->board, b->n_board);
    for (int naming = BY_BUFFER; naming <= BY_FUNCTION; naming++) {
        char log[700];
        snprintf(log, sizeof log, "%s/board-%d.log", f.dir, naming);
        REQUIRE(write_log(&f, &f.run, (enum naming)naming, log));
        struct diff_verdicts v;
        CHECK_EQ_INT(diff_cli(&f, log, NULL, &v), 0);
        /* one layer per step: the input and the folded reshape are not on the board */
        CHECK_EQ_INT(v.n, f.dep.map.n_steps);
        for (size_t i = 0; i < v.n; i++)
            if (v.status[i] != DIFF_EXACT)
                test_fail(t_, __FILE__, __LINE__, "%s: %s", v.names[i],
                          diff_status_name(v.status[i]));
        CHECK(v.first_diverged == NULL);
        diff_verdicts_release(&v);
    }
    fixture_close(&f);
}

TEST(diff_mlf, kws_board_log_by_step_buffers_all_exact)
{
    check_all_exact(t_, &kws);
}

TEST(diff_mlf, ic_board_log_by_step_buffers_all_exact)
{
    check_all_exact(t_, &ic);
}

/*
 * Damages step `step`'s tensor from element 100 on, recomputes every later layer from the
 * damage (as the board would have), and checks the verdicts.
 */
static void check_twin_blame(struct test_ctx *t_, const struct fixture *f, const char *victim);

static void check_damaged_step(struct test_ctx *t_, const struct build *b, size_t step,
                               bool twin)
{
    struct fixture f;
    REQUIRE(fixture_open(t_, &f, b));
    struct errbuf eb;
    errbuf_init(&eb);
    long k = entry_of_step(&f, step);
    REQUIRE(k >= 0);
    const char *victim = f.run.entries[k].layer;
    struct trace dmg;
    trace_init(&dmg);
    for (size_t i = 0; i < f.run.n_entries; i++)
        REQUIRE(trace_add(&dmg, &f.run.entries[i], &eb) == 0);
    int8_t *p = dmg.entries[k].value.data;
    REQUIRE(dmg.entries[k].value.bytes > 200);
    for (size_t i = 100; i < dmg.entries[k].value.bytes; i++)
        p[i] = (int8_t)(p[i] > 100 ? p[i] - 9 : p[i] + 9);
    for (size_t j = (size_t)k + 1; j < dmg.n_entries; j++) {
        struct tensor_value out;
        REQUIRE(diff_model_run_layer(&f.dm, dmg.entries[j].name, &dmg, &out, &eb) == 0);
        REQUIRE(out.bytes == dmg.entries[j].value.bytes);
        memcpy(dmg.entries[j].value.data, out.data, out.bytes);
        mem_free(out.data);
    }
    char log[700];
    snprintf(log, sizeof log, "%s/damaged.log", f.dir);
    REQUIRE(write_log(&f, &dmg, BY_BUFFER, log));
    struct diff_verdicts v;
    char extra[700];
    snprintf(extra, sizeof extra, "--twin-dir %s/twin", f.dir);
    CHECK_EQ_INT(diff_cli(&f, log, twin ? extra : NULL, &v), 1);
    if (twin)
        check_twin_blame(t_, &f, victim);
    REQUIRE(v.first_diverged != NULL);
    CHECK_EQ_STR(v.first_diverged, victim);
    size_t at = v.n, n_inherited = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (strcmp(v.names[i], victim) == 0) {
            at = i;
            CHECK_EQ_INT(v.status[i], DIFF_DIVERGED);
        } else if (at == v.n) {
            CHECK_EQ_INT(v.status[i], DIFF_EXACT);
        } else if (v.status[i] == DIFF_INHERITED) {
            n_inherited++;
        } else if (v.status[i] != DIFF_EXACT) {
            test_fail(t_, __FILE__, __LINE__, "%s after %s: %s", v.names[i], victim,
                      diff_status_name(v.status[i]));
        }
    }
    REQUIRE(at < v.n);
    CHECK(n_inherited > 0);
    CHECK_EQ_INT(v.status[at + 1], DIFF_INHERITED);
    diff_verdicts_release(&v);
    trace_release(&dmg);
    fixture_close(&f);
}

TEST(diff_mlf, kws_damaged_step_diverges_later_inherit)
{
    check_damaged_step(t_, &kws, 4, false);
}

TEST(diff_mlf, ic_damaged_step_out_of_layer_order)
{
    /* step 4 computes model layer 6 (conv2d_5, the shortcut), before layers 4 and 5 */
    check_damaged_step(t_, &ic, 4, false);
}

TEST(diff_mlf, vww_shift_hazards_become_hints)
{
    struct fixture f;
    REQUIRE(fixture_open(t_, &f, &vww));
    struct errbuf eb;
    errbuf_init(&eb);
    struct offload_report r;
    offload_init(&r);
    REQUIRE(offload_analyse(&r, &f.g, &f.dep.map, NULL, &eb) == 0);
    char log[700];
    snprintf(log, sizeof log, "%s/board.log", f.dir);
    REQUIRE(write_log(&f, &f.run, BY_BUFFER, log));
    struct diff_verdicts v;
    CHECK_EQ_INT(diff_cli(&f, log, NULL, &v), 0);
    diff_verdicts_release(&v);
    /* the JSON report names the hints per layer */
    char report[700];
    snprintf(report, sizeof report, "%s/report.json", f.dir);
    size_t n = 0;
    char *text = (char *)test_read_file(report, &n);
    REQUIRE(text != NULL);
    cJSON *json = cJSON_ParseWithLength(text, n);
    mem_free(text);
    REQUIRE(json != NULL);
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(json, "layers");
    size_t n_hazard_layers = 0, n_hinted = 0;
    const cJSON *L;
    cJSON_ArrayForEach(L, layers) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(L, "layer");
        bool hazard = false, hinted = false;
        for (size_t i = 0; i < r.n_hazards && cJSON_IsString(name); i++)
            hazard = hazard || (r.hazards[i].kind == HAZ_SHIFT && r.hazards[i].layer >= 0 &&
                                strcmp(f.g.layers[r.hazards[i].layer].name,
                                       name->valuestring) == 0);
        const cJSON *h;
        cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(L, "hints"))
            hinted = hinted || (cJSON_IsString(h) && strcmp(h->valuestring, "shift_hazard") == 0);
        CHECK(hazard == hinted);
        n_hazard_layers += hazard;
        n_hinted += hinted;
        /* the numbers agree (the deployed run is the board here): the hint stands alone */
        CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(L, "status")),
                     "exact");
    }
    CHECK_EQ_INT(cJSON_GetArraySize(layers), f.dep.map.n_steps);
    CHECK(n_hazard_layers >= 6);    /* six conv layers in the VWW build (docs/offloads.md) */
    CHECK_EQ_INT(n_hinted, n_hazard_layers);
    size_t n_shift = 0;
    for (size_t i = 0; i < r.n_hazards; i++)
        n_shift += r.hazards[i].kind == HAZ_SHIFT;
    CHECK_EQ_INT(n_hinted, n_shift);
    cJSON_Delete(json);
    offload_release(&r);
    fixture_close(&f);
}

TEST(diff_mlf, known_overlap_and_shift_hazards_mark_their_layers)
{
    /* the KIND of hint is what the caller knows from the MLF; the numbers need not differ */
    struct errbuf eb;
    errbuf_init(&eb);
    static const int8_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct trace t;
    trace_init(&t);
    const char *names[3] = {"conv", "add", "fc"};
    for (size_t i = 0; i < 3; i++) {
        struct trace_entry e = {.name = names[i], .index = (int64_t)i, .step = -1,
                                .status = TRACE_OK};
        e.value.dtype = DTYPE_S8;
        e.value.rank = 1;
        e.value.dims[0] = 8;
        e.value.data = (void *)a;
        e.value.bytes = 8;
        REQUIRE(trace_add(&t, &e, &eb) == 0);
    }
    const char *const shift[] = {"conv"}, *const overlap[] = {"add"};
    struct diff_options opt = {.n_hazards = 1, .hazards = shift, .n_overlaps = 1,
                               .overlaps = overlap};
    struct diff_report rep;
    diff_report_init(&rep);
    REQUIRE(diff_traces(&t, &t, &opt, &rep, &eb) == 0);
    REQUIRE(rep.n_layers == 3);
    CHECK_EQ_INT(rep.layers[0].hints, 1u << DIFF_HINT_SHIFT);
    CHECK_EQ_INT(rep.layers[1].hints, 1u << DIFF_HINT_OVERLAP);
    CHECK_EQ_INT(rep.layers[2].hints, 0);
    for (size_t i = 0; i < 3; i++)
        CHECK_EQ_INT(rep.layers[i].status, DIFF_EXACT);
    CHECK(rep.layers[1].hint_detail && strstr(rep.layers[1].hint_detail, "overlap"));
    diff_report_release(&rep);
    trace_release(&t);
}

/* The KWS deployed run against itself, with step `dmg` (or none: -1) damaged from 100 on. */
static int kws_report(const struct fixture *f, long dmg, struct diff_report *rep)
{
    struct errbuf eb;
    errbuf_init(&eb);
    struct trace b;
    trace_init(&b);
    int rc = 0;
    for (size_t i = 0; i < f->run.n_entries && !rc; i++)
        rc = trace_add(&b, &f->run.entries[i], &eb);
    long k = dmg >= 0 ? entry_of_step(f, (size_t)dmg) : -1;
    for (size_t i = 100; !rc && k >= 0 && i < b.entries[k].value.bytes; i++) {
        int8_t *p = b.entries[k].value.data;
        p[i] = (int8_t)(p[i] > 100 ? p[i] - 9 : p[i] + 9);
    }
    struct diff_options opt = {.model = &f->g};
    diff_report_init(rep);
    if (!rc)
        rc = diff_traces(&f->run, &b, &opt, rep, &eb);
    trace_release(&b);
    return rc;
}

TEST(diff_mlf, twin_column_and_blame)
{
    struct fixture f;
    REQUIRE(fixture_open(t_, &f, &kws));
    struct errbuf eb;
    errbuf_init(&eb);
    struct diff_report board, twin_ok, twin_bad;
    REQUIRE(kws_report(&f, 4, &board) == 0);
    REQUIRE(kws_report(&f, -1, &twin_ok) == 0);
    REQUIRE(kws_report(&f, 4, &twin_bad) == 0);
    REQUIRE(board.first_diverged >= 0);
    /* the twin agrees with the reference where the board first diverges: the board */
    REQUIRE(diff_report_add_twin(&board, &twin_ok, &eb) == 0);
    CHECK(board.twin_known);
    CHECK_EQ_INT(board.blame, DIFF_BLAME_BOARD);
    CHECK(board.blame_text && strstr(board.blame_text, "the board is to blame"));
    for (size_t i = 0; i < board.n_layers; i++)
        CHECK(board.layers[i].has_twin && board.layers[i].twin == DIFF_EXACT);
    char *json = NULL;
    REQUIRE(diff_report_json(&board, &json, &eb) == 0);
    CHECK(strstr(json, "\"culprit\":\t\"board\"") != NULL);
    CHECK(strstr(json, "\"twin\":\t\"exact\"") != NULL);
    mem_free(json);
    /* the twin disagrees with the reference just as the board does: the compiler */
    REQUIRE(diff_report_add_twin(&board, &twin_bad, &eb) == 0);
    CHECK_EQ_INT(board.blame, DIFF_BLAME_COMPILER);
    CHECK(board.blame_text && strstr(board.blame_text, "the compiler is to blame"));
    CHECK_EQ_INT(board.layers[board.first_diverged].twin, DIFF_DIVERGED);
    CHECK_EQ_INT(board.layers[board.first_diverged - 1].twin, DIFF_EXACT);
    struct sbuf sb;
    sbuf_init(&sb);
    diff_report_table(&board, false, &sb);
    CHECK(strstr(sbuf_str(&sb), "twin") && strstr(sbuf_str(&sb), "blame: the compiler"));
    sbuf_release(&sb);
    diff_report_release(&board);
    diff_report_release(&twin_ok);
    diff_report_release(&twin_bad);
    fixture_close(&f);
}

/*
 * The report of `diff --twin` on a board log damaged at `victim`: the twin (the MLF's C
 * compiled here with the ref/ kernels) agrees with the deployed reference on every layer,
 * so the board is to blame.
 */
static void check_twin_blame(struct test_ctx *t_, const struct fixture *f, const char *victim)
{
    char report[700];
    snprintf(report, sizeof report, "%s/report.json", f->dir);
    size_t n = 0;
    char *text = (char *)test_read_file(report, &n);
    REQUIRE(text != NULL);
    cJSON *json = cJSON_ParseWithLength(text, n);
    mem_free(text);
    REQUIRE(json != NULL);
    const cJSON *L;
    size_t n_layers = 0;
    cJSON_ArrayForEach(L, cJSON_GetObjectItemCaseSensitive(json, "layers")) {
        const char *tw = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(L, "twin"));
        CHECK(tw != NULL && strcmp(tw, "exact") == 0);
        n_layers++;
    }
    CHECK_EQ_INT(n_layers, f->dep.map.n_steps);
    const cJSON *blame = cJSON_GetObjectItemCaseSensitive(json, "blame");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(blame, "culprit")),
                 "board");
    CHECK_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(blame, "layer")), victim);
    const char *sentence = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(blame, "text"));
    CHECK(sentence && strstr(sentence, "the board is to blame"));
    cJSON_Delete(json);
}

TEST(diff_mlf, kws_twin_blames_the_board)
{
    check_damaged_step(t_, &kws, 6, true);
}

TEST(diff_mlf, cli_usage)
{
    static const char *const bad[] = {
        "diff a b --twin",
        "diff a b --mlf tests/data/mlf/mlperf-tiny-v1.0-nucleo-cmsis_nn-kws",
        "diff tests/data/models/kws_ref_model.tflite --input x --log y --twin",
        "diff tests/data/models/kws_ref_model.tflite --input x --log y --arith deployed",
        "diff tests/data/models/kws_ref_model.tflite --input x --log y --map m",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sbuf err;
        sbuf_init(&err);
        CHECK_EQ_INT(test_cli(bad[i], NULL, &err), 2);
        CHECK(strstr(sbuf_str(&err), "mlfscope") != NULL);
        sbuf_release(&err);
    }
}

TEST(diff_mlf, allocation_faults)
{
    /* every allocation of the MLF naming, the hazards, the diff and the twin blame failing */
    struct fixture f;
    REQUIRE(fixture_open(t_, &f, &kws));
    struct diff_report twin;
    REQUIRE(kws_report(&f, -1, &twin) == 0);
    bool done = false;
    for (long k = 0; k < 5000 && !done; k++) {
        struct errbuf eb;
        errbuf_init(&eb);
        struct diff_mlf d;
        diff_mlf_init(&d);
        struct diff_report rep;
        diff_report_init(&rep);
        struct diff_options opt = {.model = &f.g};
        mem_fail_after(k);
        int rc = diff_mlf_setup(&d, &f.dep.map, &f.run, &f.run, &opt, &eb);
        if (rc)
            CHECK(opt.board_name == NULL && d.key == NULL);
        if (!rc)
            rc = diff_traces(&f.run, &f.run, &opt, &rep, &eb);
        if (!rc) {
            rc = diff_report_add_twin(&rep, &twin, &eb);
            if (rc)
                CHECK(!rep.twin_known);
        }
        mem_fail_after(-1);
        if (rc == 0) {
            CHECK_EQ_INT(rep.count[DIFF_EXACT], rep.n_layers);
            CHECK(rep.twin_known);
            done = true;
        } else {
            CHECK_EQ_INT(rc, ST_ENOMEM);
        }
        diff_report_release(&rep);
        diff_mlf_release(&d);
    }
    CHECK(done);
    diff_report_release(&twin);
    fixture_close(&f);
}
