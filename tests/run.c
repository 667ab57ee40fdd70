/*
 * tests/run: runs every registered test (or those named on the command line as suite or
 * suite:name), prints one line per failed check, then exactly "N passed, N failed".
 * Exit status is non-zero iff a test failed. The registry comes from gen-test-list.sh.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "test_list.h"
#include "../src/mem.h"
#include "../src/sbuf.h"
#include "../src/fileio.h"

void test_fail(struct test_ctx *t, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stdout, "FAIL %s:%s %s:%d: ", t->suite, t->name, file, line);
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    t->n_failed_checks++;
}

void test_fail_mem(struct test_ctx *t, const char *file, int line, const char *expr,
                   const void *got, const void *want, size_t bytes)
{
    const unsigned char *g = got, *w = want;
    int shown = 0;
    test_fail(t, file, line, "%s: %zu bytes differ", expr, bytes);
    for (size_t i = 0; i < bytes && shown < 8; i++) {
        if (g[i] != w[i]) {
            fprintf(stdout, "    [%zu] got 0x%02x (%d), want 0x%02x (%d)\n", i, g[i],
                    (signed char)g[i], w[i], (signed char)w[i]);
            shown++;
        }
    }
}

static int slurp_into(const char *path, struct sbuf *sb)
{
    size_t n;
    unsigned char *data = test_read_file(path, &n);
    if (data == NULL)
        return -1;
    if (sb != NULL)
        sbuf_addn(sb, (const char *)data, n);
    mem_free(data);
    return 0;
}

int test_cli(const char *args, struct sbuf *out, struct sbuf *err)
{
    const char *bin = getenv("MLFSCOPE_BIN");
    char out_path[] = "build/test-cli-out.XXXXXX";
    char err_path[] = "build/test-cli-err.XXXXXX";
    struct sbuf cmd;
    int fo = mkstemp(out_path), fe = mkstemp(err_path), status, code = -1;

    if (fo < 0 || fe < 0)
        return -1;
    close(fo);
    close(fe);
    sbuf_init(&cmd);
    sbuf_printf(&cmd, "%s %s </dev/null >%s 2>%s", bin ? bin : "build/mlfscope", args,
                out_path, err_path);
    status = system(sbuf_str(&cmd));
    sbuf_release(&cmd);
    if (status != -1 && WIFEXITED(status))
        code = WEXITSTATUS(status);
    slurp_into(out_path, out);
    slurp_into(err_path, err);
    unlink(out_path);
    unlink(err_path);
    return code;
}

const char *test_tmpdir(struct test_ctx *t)
{
    static char path[512];
    char cmd[600];
    snprintf(path, sizeof path, "build/test-tmp/%s-%s", t->suite, t->name);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        return path;
    fileio_mkdirs(path, NULL);
    return path;
}

unsigned char *test_read_file(const char *path, size_t *bytes)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 0, len = 0;
    void *buf = NULL;
    if (f == NULL)
        return NULL;
    for (;;) {
        if (!mem_grow(&buf, &cap, len + 65536 + 1, 1))
            break;
        size_t n = fread((char *)buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    if (buf != NULL)
        ((char *)buf)[len] = '\0';
    *bytes = len;
    return buf;
}

static int selected(int argc, char **argv, const struct test_entry *e)
{
    int any = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        any = 1;
        const char *colon = strchr(argv[i], ':');
        size_t slen = colon ? (size_t)(colon - argv[i]) : strlen(argv[i]);
        if (strlen(e->suite) == slen && strncmp(e->suite, argv[i], slen) == 0 &&
            (colon == NULL || strcmp(colon + 1, e->name) == 0))
            return 1;
    }
    return !any;
}

int main(int argc, char **argv)
{
    int passed = 0, failed = 0, verbose = 0, stop_first = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "-x") == 0)
            stop_first = 1;
    }
    mkdir("build", 0777);
    mkdir("build/test-tmp", 0777);
    for (size_t i = 0; i < sizeof test_entries / sizeof test_entries[0]; i++) {
        const struct test_entry *e = &test_entries[i];
        if (!selected(argc, argv, e))
            continue;
        struct test_ctx t = {e->suite, e->name, 0, verbose != 0};
        if (verbose)
            fprintf(stdout, "RUN  %s:%s\n", e->suite, e->name);
        fflush(stdout);
        e->fn(&t);
        mem_fail_after(-1);
        if (t.n_failed_checks == 0) {
            passed++;
        } else {
            failed++;
            if (stop_first)
                break;
        }
    }
    fprintf(stdout, "%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
