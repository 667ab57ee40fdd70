/*
 * Board-log parser benchmark: writes a large log with the firmware emitter (pseudo-random
 * tensors of 1-64 KB with the firmware's own lines in between), then times boardlog_open
 * (mmap + full parse + CRC) and the stream scanner over it, best of three, and prints
 * MB/s next to the 200 MB/s goal (DESIGN.md), by wall clock and by CPU time (the goal is
 * judged on CPU time: the build machine is shared and often overloaded). Built by the
 * Makefile, run by scripts/bench-boardlog.sh; not a user command.
 * Usage: bench_boardlog LOG [MB]   (LOG is generated first when it does not exist)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../dump/boardlog.h"
#include "../../dump/firmware/mlfscope_dump.h"
#include "../../src/mem.h"

struct out {
    char *buf;
    size_t len, cap;
};

static void put(char c, void *user)
{
    struct out *o = user;
    if (o->len < o->cap)
        o->buf[o->len++] = c;
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

/* CPU time of this process: on a shared, overloaded build machine the fairer figure. */
static double cpu(void)
{
    return clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

static int generate(const char *path, size_t mb)
{
    struct out o = {NULL, 0, mb << 20};
    struct mlfscope_dump d;
    static uint8_t data[65536];
    uint32_t seed = 42;
    unsigned step = 0;
    o.buf = malloc(o.cap);
    if (o.buf == NULL)
        return -1;
    mlfscope_dump_init(&d, put, &o);
    mlfscope_dump_begin(&d, "bench", "synthetic");
    while (o.len + 200000 < o.cap) {
        uint32_t n = 1024u << (step % 7);  /* 1 KB .. 64 KB */
        for (uint32_t i = 0; i < n; i++) {
            seed = seed * 1664525u + 1013904223u;
            data[i] = (uint8_t)(seed >> 24);
        }
        const int32_t dims[] = {1, (int32_t)n};
        mlfscope_dump_tensor(&d, step, "layer", MLFSCOPE_DUMP_INT8, dims, 2, data, n);
        if (step % 5 == 0) {
            const char *s = "I (123456) app: step done, 812 us\n";
            while (*s)
                put(*s++, &o);
        }
        step++;
    }
    mlfscope_dump_end(&d);
    struct errbuf eb;
    errbuf_init(&eb);
    int rc = fileio_write(path, o.buf, o.len, &eb);
    if (rc < 0)
        fprintf(stderr, "bench_boardlog: %s\n", eb.msg);
    free(o.buf);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_boardlog LOG [MB]\n");
        return 2;
    }
    size_t mb = argc > 2 ? strtoul(argv[2], NULL, 10) : 100;
    if (!fileio_exists(argv[1]) && generate(argv[1], mb ? mb : 100) < 0)
        return 3;

    double best = 1e9, best_stream = 1e9, best_cpu = 1e9;
    size_t bytes = 0, n_tensors = 0, n_corrupt = 0;
    for (int rep = 0; rep < 3; rep++) {
        struct boardlog log;
        struct errbuf eb;
        errbuf_init(&eb);
        boardlog_init(&log);
        double t0 = now(), c0 = cpu();
        if (boardlog_open(argv[1], &log, &eb) < 0) {
            fprintf(stderr, "bench_boardlog: %s\n", eb.msg);
            return 3;
        }
        double t = now() - t0, c = cpu() - c0;
        best = t < best ? t : best;
        best_cpu = c < best_cpu ? c : best_cpu;
        bytes = log.src_bytes;
        n_tensors = log.n_tensors;
        n_corrupt = log.n_corrupt;

        struct boardlog_stream s;
        boardlog_stream_init(&s);
        t0 = now();
        for (size_t off = 0; off < bytes; off += 4096)
            boardlog_stream_feed(&s, log.src + off, bytes - off < 4096 ? bytes - off : 4096);
        boardlog_stream_finish(&s);
        t = now() - t0;
        best_stream = t < best_stream ? t : best_stream;
        if (s.n_tensors != n_tensors || s.n_corrupt != 0)
            fprintf(stderr, "bench_boardlog: stream saw %zu tensors, %zu corrupt\n",
                    s.n_tensors, s.n_corrupt);
        boardlog_release(&log);
    }
    double mbs = (double)bytes / (1024.0 * 1024.0);
    printf("boardlog: %.1f MB, %zu tensors (%zu corrupt)\n", mbs, n_tensors, n_corrupt);
    printf("boardlog: parse (mmap, decode, crc): wall %.3f s = %.0f MB/s, cpu %.3f s = %.0f MB/s "
           "(goal 200 MB/s: %s)\n", best, mbs / best, best_cpu, mbs / best_cpu,
           mbs / best_cpu >= 200 ? "met" : "NOT met");
    printf("boardlog: stream scan (capture progress): %.3f s = %.0f MB/s\n", best_stream,
           mbs / best_stream);
    return n_corrupt == 0 && mbs / best_cpu >= 200 ? 0 : 1;
}
