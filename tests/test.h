/*
 * The test framework: TEST(suite, name) { ... } with CHECK macros. scripts/gen-test-list.sh
 * finds every TEST in tests/t_*.c, so no test can be left unregistered. A failing CHECK prints
 * file:line, the expression and the values, marks the test failed and continues.
 * Tests run from the repository root; data lives in tests/data/.
 */
#ifndef MLFSCOPE_TEST_H
#define MLFSCOPE_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct sbuf;

struct test_ctx {
    const char *suite;
    const char *name;
    int n_failed_checks;
    bool verbose;
};

#define TEST(suite, name)                                  \
    void test_##suite##__##name(struct test_ctx *t_);      \
    void test_##suite##__##name(struct test_ctx *t_)

void test_fail(struct test_ctx *t, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void test_fail_mem(struct test_ctx *t, const char *file, int line, const char *expr,
                   const void *got, const void *want, size_t bytes);

#define CHECK(expr)                                                          \
    do {                                                                     \
        if (!(expr))                                                         \
            test_fail(t_, __FILE__, __LINE__, "CHECK(%s) failed", #expr);    \
    } while (0)

#define CHECK_EQ_INT(got, want)                                                          \
    do {                                                                                 \
        long long got_ = (long long)(got), want_ = (long long)(want);                    \
        if (got_ != want_)                                                               \
            test_fail(t_, __FILE__, __LINE__, "%s == %s: got %lld, want %lld", #got,     \
                      #want, got_, want_);                                               \
    } while (0)

#define CHECK_EQ_STR(got, want)                                                          \
    do {                                                                                 \
        const char *got_ = (got), *want_ = (want);                                       \
        if (got_ == NULL || want_ == NULL || strcmp(got_, want_) != 0)                   \
            test_fail(t_, __FILE__, __LINE__, "%s == %s: got \"%s\", want \"%s\"", #got, \
                      #want, got_ ? got_ : "(null)", want_ ? want_ : "(null)");          \
    } while (0)

#define CHECK_NEAR(got, want, tol)                                                       \
    do {                                                                                 \
        double got_ = (double)(got), want_ = (double)(want);                             \
        if (!(got_ - want_ <= (tol) && want_ - got_ <= (tol)))                           \
            test_fail(t_, __FILE__, __LINE__, "%s ~= %s: got %.9g, want %.9g", #got,     \
                      #want, got_, want_);                                               \
    } while (0)

/* Byte comparison; a failure hexdumps the first 8 differing offsets. */
#define CHECK_MEM(got, want, bytes)                                                      \
    do {                                                                                 \
        if (memcmp((got), (want), (bytes)) != 0)                                         \
            test_fail_mem(t_, __FILE__, __LINE__, #got " == " #want, (got), (want),      \
                          (bytes));                                                      \
    } while (0)

/* Stops the test when a CHECK-style condition fails (for pointers needed later). */
#define REQUIRE(expr)                                                        \
    do {                                                                     \
        if (!(expr)) {                                                       \
            test_fail(t_, __FILE__, __LINE__, "REQUIRE(%s) failed", #expr);  \
            return;                                                          \
        }                                                                    \
    } while (0)

/*
 * Runs the built binary (build/mlfscope, or $MLFSCOPE_BIN) with a shell-quoted argument
 * string; captures stdout and stderr into the sbufs (either may be NULL). Returns the exit
 * code, or -1 if it could not be run or died from a signal.
 */
int test_cli(const char *args, struct sbuf *out, struct sbuf *err);

/* A fresh empty folder under build/ for this test's outputs; returns a static-lifetime path. */
const char *test_tmpdir(struct test_ctx *t);

/* Reads a whole file into a heap buffer (mem_free); NULL if missing. */
unsigned char *test_read_file(const char *path, size_t *bytes);

#endif
