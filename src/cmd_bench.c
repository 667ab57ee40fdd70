/*
 * mlfscope bench: times model loading and interpreter runs (every layer's output kept in
 * memory, as `run` needs them) and prints the median, for scripts/bench-interp.sh.
 */
/* command: bench | time loading and reference runs of a model (median of N runs) */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "graph.h"
#include "interp.h"
#include "mem.h"
#include "model.h"

#include "banned.h"

int cmd_bench(int argc, char **argv);

static const char bench_usage[] =
    "usage: mlfscope bench MODEL --input [NAME=]FILE... [--arith MODE] [-n N] [--json]\n"
    "\n"
    "Loads MODEL and runs it N times (default 20, after one warm-up run) on the reference\n"
    "interpreter with every layer output captured in memory; prints the load time and the\n"
    "median run time in milliseconds.\n"
    "\n"
    "  -i, --input [NAME=]FILE  as for run (.npy, .pb, raw with --input-dtype/--input-shape)\n"
    "  --arith MODE             onnx, tflm or tvm (default: tflm for TFLite, onnx for ONNX)\n"
    "  --single-rounding        tflm with CMSIS_NN_USE_SINGLE_ROUNDING\n"
    "  -n N                     number of timed runs\n"
    "  --json                   {\"load_ms\", \"run_ms_median\", \"runs\", \"arith\"}\n"
    "  --input-dtype T, --input-shape [NAME=]D   as for run\n";

#define BENCH_MAX_INPUTS 64

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int cmd_bench(int argc, char **argv)
{
    if (cmd_wants_help(argc, argv))
        return cmd_print_help(bench_usage);
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"arith", required_argument, NULL, 'a'},
        {"single-rounding", no_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"input-dtype", required_argument, NULL, 't'},
        {"input-shape", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    char *inputs[BENCH_MAX_INPUTS];
    struct shape_override shapes[BENCH_MAX_INPUTS];
    size_t n_inputs = 0, n_shapes = 0;
    long runs = 20;
    bool json = false;
    bool arith_given = false;
    struct interp_options opts = {.arith = INTERP_ARITH_ONNX, .dump = INTERP_DUMP_LAYERS,
                                  .capture = true};
    enum dtype raw_dtype = DTYPE_UNKNOWN;
    struct errbuf eb;
    errbuf_init(&eb);
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "i:n:", longopts, NULL)) != -1) {
        switch (ch) {
        case 'i':
            if (n_inputs == BENCH_MAX_INPUTS)
                return cmd_usage_error("bench", "more than %d --input", BENCH_MAX_INPUTS);
            inputs[n_inputs++] = optarg;
            break;
        case 'a':
            arith_given = true;
            if (!interp_arith_from_name(optarg, &opts.arith))
                return cmd_usage_error("bench", "--arith: expected onnx, tflm or tvm, got '%s'",
                                       optarg);
            break;
        case 's':
            opts.single_rounding = true;
            break;
        case 'j':
            json = true;
            break;
        case 'n': {
            char *end;
            runs = strtol(optarg, &end, 10);
            if (*end != '\0' || runs < 1 || runs > 100000)
                return cmd_usage_error("bench", "-n: expected 1..100000, got '%s'", optarg);
            break;
        }
        case 't':
            raw_dtype = dtype_from_name(optarg);
            if (raw_dtype == DTYPE_UNKNOWN || dtype_bytes(raw_dtype) == 0)
                return cmd_usage_error("bench", "--input-dtype: unknown dtype '%s'", optarg);
            break;
        case 'S':
            if (n_shapes == BENCH_MAX_INPUTS)
                return cmd_usage_error("bench", "more than %d --input-shape", BENCH_MAX_INPUTS);
            if (cmd_parse_shape(optarg, &shapes[n_shapes], &eb) != 0)
                return cmd_fail(&eb);
            n_shapes++;
            break;
        default:
            return cmd_usage_error("bench", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cmd_usage_error("bench", "expected one MODEL");
    if (n_inputs == 0)
        return cmd_usage_error("bench", "at least one --input is required");

    struct graph g;
    graph_init(&g);
    struct interp_inputs in = {0};
    struct interp *ip = NULL;
    struct load_options lo = {.n_shapes = n_shapes, .shapes = shapes};
    double *times = mem_calloc((size_t)runs, sizeof *times);
    double t0 = now_ms();
    int rc = times ? model_load(&g, argv[optind], &lo, &eb)
                   : errbuf_set(&eb, ST_ENOMEM, "out of memory");
    double load_ms = now_ms() - t0;
    if (!rc && !arith_given)
        opts.arith = interp_default_arith(&g);
    if (!rc)
        rc = interp_inputs_load(&g, n_inputs, (const char *const *)inputs, raw_dtype, n_shapes,
                                shapes, &in, &eb);
    if (!rc)
        rc = interp_new(&g, &opts, &ip, &eb);
    if (!rc)
        rc = interp_inputs_bind(ip, &in, &eb);
    if (!rc)
        rc = interp_run(ip, &eb);   /* warm-up */
    for (long r = 0; r < runs && !rc; r++) {
        double t = now_ms();
        rc = interp_run(ip, &eb);
        times[r] = now_ms() - t;
    }
    if (!rc) {
        qsort(times, (size_t)runs, sizeof *times, cmp_double);
        double med = runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2;
        if (json) {
            cJSON *o = cJSON_CreateObject();
            char *text = NULL;
            if (o) {
                cJSON_AddNumberToObject(o, "load_ms", load_ms);
                cJSON_AddNumberToObject(o, "run_ms_median", med);
                cJSON_AddNumberToObject(o, "runs", (double)runs);
                cJSON_AddStringToObject(o, "arith", interp_arith_name(opts.arith));
                text = cJSON_PrintUnformatted(o);
                cJSON_Delete(o);
            }
            if (text) {
                printf("%s\n", text);
                cJSON_free(text);
            } else {
                rc = errbuf_set(&eb, ST_ENOMEM, "out of memory");
            }
        } else {
            printf("load %.3f ms, run median %.3f ms over %ld runs (%s)\n", load_ms, med, runs,
                   interp_arith_name(opts.arith));
        }
    }
    interp_free(ip);
    interp_inputs_release(&in);
    graph_release(&g);
    mem_free(times);
    if (rc)
        return cmd_fail(&eb);
    return EXIT_OK;
}
