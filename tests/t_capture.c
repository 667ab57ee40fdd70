/*
 * mlfscope capture against a real pseudo-terminal pair made by socat: a writer sends a
 * board log (the firmware emitter's output for two real model inputs, with the firmware's
 * own lines mixed in) at a fixed rate on one end, capture records the other end. The file
 * must equal what was sent, byte for byte, whether capture stops at "@mlfs end" or on
 * SIGINT. Every wait has a deadline; socat and capture are killed on every path.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "test.h"
#include "../dump/firmware/mlfscope_dump.h"
#include "../src/fileio.h"
#include "../src/mem.h"
#include "../src/sbuf.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static bool have_socat(void)
{
    return system("command -v socat >/dev/null 2>&1") == 0;
}

static bool wait_exists(const char *path, long ms)
{
    struct stat st;
    for (long t = 0; t < ms; t += 10) {
        if (stat(path, &st) == 0)
            return true;
        sleep_ms(10);
    }
    return false;
}

/* Waits up to ms for pid; kills it if still running. Returns its exit code or -1. */
static int wait_exit(pid_t pid, long ms)
{
    int status;
    for (long t = 0; t < ms; t += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        if (r < 0)
            return -1;
        sleep_ms(10);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

struct ptys {
    pid_t socat;
    char a[512], b[512];
};

static bool ptys_open(struct ptys *p, const char *dir)
{
    char la[600], lb[600], logp[600];
    snprintf(p->a, sizeof p->a, "%s/ttyA", dir);
    snprintf(p->b, sizeof p->b, "%s/ttyB", dir);
    snprintf(la, sizeof la, "pty,raw,echo=0,link=%s", p->a);
    snprintf(lb, sizeof lb, "pty,raw,echo=0,link=%s", p->b);
    snprintf(logp, sizeof logp, "%s/socat.log", dir);
    p->socat = fork();
    if (p->socat == 0) {
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execlp("socat", "socat", "-d", "-d", la, lb, (char *)NULL);
        _exit(127);
    }
    if (p->socat < 0)
        return false;
    if (!wait_exists(p->a, 3000) || !wait_exists(p->b, 3000)) {
        kill(p->socat, SIGTERM);
        wait_exit(p->socat, 2000);
        return false;
    }
    return true;
}

static void ptys_close(struct ptys *p)
{
    kill(p->socat, SIGTERM);
    wait_exit(p->socat, 2000);
}

/* Starts `mlfscope capture ARGS...` with stdout/stderr to files in dir. */
static pid_t start_capture(const char *dir, const char *const *args)
{
    const char *bin = getenv("MLFSCOPE_BIN");
    char outp[600];
    const char *argv[16];
    int n = 0;
    argv[n++] = "mlfscope";
    argv[n++] = "capture";
    while (*args != NULL && n < 15)
        argv[n++] = *args++;
    argv[n] = NULL;
    snprintf(outp, sizeof outp, "%s/capture.out", dir);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(bin ? bin : "build/mlfscope", (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Sends text in 128-byte pieces, 2 ms apart (about 64 KB/s, a fast UART). */
static bool send_slowly(const char *tty, const char *text, size_t n)
{
    int fd = open(tty, O_WRONLY | O_NOCTTY);
    struct termios t;
    if (fd < 0)
        return false;
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(fd, TCSANOW, &t);
    }
    for (size_t off = 0; off < n;) {
        size_t k = n - off < 128 ? n - off : 128;
        ssize_t w = write(fd, text + off, k);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            return false;
        }
        off += (size_t)w;
        sleep_ms(2);
    }
    tcdrain(fd);
    close(fd);
    return true;
}

static void put_sbuf(char c, void *user)
{
    sbuf_addc(user, c);
}

/* A log the way firmware prints it, from two real inputs (tests/data/boardlog/README.md). */
static char *make_log(bool trailing_text)
{
    size_t kn, in;
    unsigned char *kws = test_read_file("tests/data/boardlog/tst_000098_Yes_9.bin", &kn);
    unsigned char *ic = test_read_file("tests/data/boardlog/cock_s_000054.bin", &in);
    struct sbuf sb;
    struct mlfscope_dump d;
    if (kws == NULL || ic == NULL) {
        mem_free(kws);
        mem_free(ic);
        return NULL;
    }
    sbuf_init(&sb);
    mlfscope_dump_init(&d, put_sbuf, &sb);
    sbuf_add(&sb, "\r\nboot: NUCLEO-L4R5ZI, 120 MHz\r\n");
    mlfscope_dump_begin(&d, "cap-1", "kws_ref_model");
    mlfscope_dump_tensor(&d, 0, "input_1", MLFSCOPE_DUMP_INT8, (const int32_t[]){1, 49, 10, 1},
                         4, kws, (uint32_t)kn);
    sbuf_add(&sb, "I (1234) main: layer 0 took 812 us\n");
    mlfscope_dump_tensor(&d, 1, "image", MLFSCOPE_DUMP_UINT8, (const int32_t[]){32, 32, 3}, 3,
                         ic, (uint32_t)in);
    mlfscope_dump_end(&d);
    if (trailing_text)
        sbuf_add(&sb, "inference done\nidle\n");
    mem_free(kws);
    mem_free(ic);
    return sbuf_detach(&sb);
}

static void check_file_equals(struct test_ctx *t_, const char *path, const char *want)
{
    size_t n;
    unsigned char *got = test_read_file(path, &n);
    REQUIRE(got != NULL);
    CHECK_EQ_INT(n, strlen(want));
    if (n == strlen(want))
        CHECK_MEM(got, want, n);
    mem_free(got);
}

TEST(capture, until_end_records_every_byte)
{
    const char *dir = test_tmpdir(t_);
    struct ptys p;
    char logp[600], outp[600];
    if (!have_socat()) {
        if (t_->verbose)
            printf("note: socat not installed; capture over a pty not tested\n");
        return;
    }
    char *text = make_log(false);
    REQUIRE(text != NULL);
    REQUIRE(ptys_open(&p, dir));
    snprintf(logp, sizeof logp, "%s/board.log", dir);
    snprintf(outp, sizeof outp, "%s/capture.out", dir);
    const char *args[] = {"--port", p.a, "--baud", "921600", "-o", logp, "--until-end",
                          "--timeout", "5", NULL};
    pid_t cap = start_capture(dir, args);
    /* The log exists once the port is configured: only then may the board talk. */
    bool ready = cap > 0 && wait_exists(logp, 3000);
    CHECK(ready);
    if (ready)
        CHECK(send_slowly(p.b, text, strlen(text)));
    int rc = cap > 0 ? wait_exit(cap, 5000) : -1;
    ptys_close(&p);
    CHECK_EQ_INT(rc, 0);
    check_file_equals(t_, logp, text);
    size_t n;
    char *out = (char *)test_read_file(outp, &n);
    REQUIRE(out != NULL);
    CHECK(strstr(out, "2 tensors, 0 corrupt") != NULL);
    CHECK(strstr(out, "stopped: end of run") != NULL);
    mem_free(out);
    mem_free(text);
}

TEST(capture, sigint_keeps_everything)
{
    const char *dir = test_tmpdir(t_);
    struct ptys p;
    char logp[600], outp[600];
    if (!have_socat())
        return;
    char *text = make_log(true);
    REQUIRE(text != NULL);
    REQUIRE(ptys_open(&p, dir));
    snprintf(logp, sizeof logp, "%s/board.log", dir);
    snprintf(outp, sizeof outp, "%s/capture.out", dir);
    /* An existing log is refused, with exit 2... */
    REQUIRE(fileio_write(logp, "stub\n", 5, NULL) == 0);
    const char *args0[] = {"--port", p.a, "-o", logp, NULL};
    pid_t cap = start_capture(dir, args0);
    CHECK_EQ_INT(cap > 0 ? wait_exit(cap, 3000) : -1, 2);
    size_t n;
    char *out = (char *)test_read_file(outp, &n);
    CHECK(out != NULL && strstr(out, "already exists") != NULL);
    mem_free(out);
    /* ...unless --append: the stub stays in front. */
    const char *args[] = {"--port", p.a, "-o", logp, "--append", NULL};
    cap = start_capture(dir, args);
    sleep_ms(300);
    bool sent = cap > 0 && send_slowly(p.b, text, strlen(text));
    CHECK(sent);
    sleep_ms(300);
    if (cap > 0)
        kill(cap, SIGINT);
    int rc = cap > 0 ? wait_exit(cap, 3000) : -1;
    ptys_close(&p);
    CHECK_EQ_INT(rc, 0);
    struct sbuf want;
    sbuf_init(&want);
    sbuf_add(&want, "stub\n");
    sbuf_add(&want, text);
    check_file_equals(t_, logp, sbuf_str(&want));
    sbuf_release(&want);
    out = (char *)test_read_file(outp, &n);
    REQUIRE(out != NULL);
    CHECK(strstr(out, "stopped: interrupted") != NULL);
    mem_free(out);
    mem_free(text);
}

TEST(capture, timeout_and_bad_ports)
{
    const char *dir = test_tmpdir(t_);
    struct sbuf out, err;
    char args[1024];
    sbuf_init(&out);
    sbuf_init(&err);
    snprintf(args, sizeof args, "capture --port /nonexistent/tty -o %s/x.log", dir);
    CHECK_EQ_INT(test_cli(args, &out, &err), 2);
    CHECK(strstr(sbuf_str(&err), "/nonexistent/tty: cannot open") != NULL);
    sbuf_reset(&err);
    snprintf(args, sizeof args, "capture --port /dev/null -o %s/x.log", dir);
    CHECK_EQ_INT(test_cli(args, &out, &err), 2);
    CHECK(strstr(sbuf_str(&err), "not a serial port") != NULL);
    snprintf(args, sizeof args, "%s/x.log", dir);
    CHECK(!fileio_exists(args));  /* no empty log left behind */
    CHECK_EQ_INT(test_cli("capture --port /dev/null -o x.log --baud 12345", &out, &err), 2);
    CHECK_EQ_INT(test_cli("capture -o x.log", &out, &err), 2);
    CHECK_EQ_INT(test_cli("capture --help", &out, &err), 0);

    if (have_socat()) {
        struct ptys p;
        REQUIRE(ptys_open(&p, dir));
        sbuf_reset(&out);
        snprintf(args, sizeof args, "capture --port %s -o %s/silent.log --timeout 0.3", p.a,
                 dir);
        CHECK_EQ_INT(test_cli(args, &out, &err), 0);
        CHECK(strstr(sbuf_str(&out), "captured 0 bytes") != NULL);
        CHECK(strstr(sbuf_str(&out), "stopped: timeout") != NULL);
        ptys_close(&p);
    }
    sbuf_release(&out);
    sbuf_release(&err);
}
