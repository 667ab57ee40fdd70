/*
 * capture_run: poll() on the port with a 100 ms slice (so the stop flag and the silence
 * timer are checked even when nothing arrives), read what is there, write it to the log
 * at once, then feed the stream scanner. Writing first is what makes "never lose a byte
 * it received" hold even when the scanner or the progress display misbehave.
 */
#define _DEFAULT_SOURCE
#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define CAPTURE_SLICE_MS 100

const char *capture_stop_text(enum capture_stop why)
{
    switch (why) {
    case CAPTURE_STOP_SIGNAL: return "interrupted";
    case CAPTURE_STOP_END: return "end of run";
    case CAPTURE_STOP_TIMEOUT: return "timeout";
    case CAPTURE_STOP_HANGUP: return "hangup";
    }
    return "unknown";
}

static const struct {
    unsigned baud;
    speed_t speed;
} capture_bauds[] = {
    {1200, B1200},       {2400, B2400},       {4800, B4800},       {9600, B9600},
    {19200, B19200},     {38400, B38400},     {57600, B57600},     {115200, B115200},
    {230400, B230400},   {460800, B460800},   {500000, B500000},   {576000, B576000},
    {921600, B921600},   {1000000, B1000000}, {1152000, B1152000}, {1500000, B1500000},
    {2000000, B2000000}, {2500000, B2500000}, {3000000, B3000000}, {3500000, B3500000},
    {4000000, B4000000},
};

bool capture_baud_supported(unsigned baud)
{
    for (size_t i = 0; i < sizeof capture_bauds / sizeof capture_bauds[0]; i++)
        if (capture_bauds[i].baud == baud)
            return true;
    return false;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Raw, 8 data bits, no parity, one stop bit, no hardware or software flow control. */
static int configure_port(int fd, const struct capture_options *o, struct errbuf *eb)
{
    struct termios t;
    speed_t speed = 0;
    bool found = false;
    for (size_t i = 0; i < sizeof capture_bauds / sizeof capture_bauds[0]; i++)
        if (capture_bauds[i].baud == o->baud) {
            speed = capture_bauds[i].speed;
            found = true;
        }
    if (!found)
        return errbuf_set(eb, ST_EINVAL, "%s: unsupported baud rate %u", o->port, o->baud);
    if (tcgetattr(fd, &t) != 0)
        return errbuf_set(eb, errno == ENOTTY ? ST_EINVAL : ST_EIO,
                          "%s: not a serial port (%s)", o->port, strerror(errno));
    cfmakeraw(&t);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
    t.c_cflag |= CS8 | CLOCAL | CREAD;
    t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (cfsetispeed(&t, speed) != 0 || cfsetospeed(&t, speed) != 0 ||
        tcsetattr(fd, TCSANOW, &t) != 0)
        return errbuf_set(eb, ST_EIO, "%s: cannot configure the serial line: %s", o->port,
                          strerror(errno));
    return 0;
}

static int write_all(int fd, const char *p, size_t n, const char *path, struct errbuf *eb)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return errbuf_set(eb, ST_EIO, "%s: write failed: %s", path,
                              w < 0 ? strerror(errno) : "no progress");
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int capture_run(const struct capture_options *o, volatile sig_atomic_t *stop,
                capture_progress_fn progress, void *user, struct boardlog_stream *stats,
                enum capture_stop *why, struct errbuf *eb)
{
    char buf[4096];
    int rc = 0, port, log = -1;
    enum capture_stop reason = CAPTURE_STOP_HANGUP;

    boardlog_stream_init(stats);
    port = open(o->port, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (port < 0)
        return errbuf_set(eb, ST_EIO, "%s: cannot open: %s", o->port, strerror(errno));
    rc = configure_port(port, o, eb);
    if (rc == 0) {
        int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (o->append ? O_APPEND : O_EXCL);
        log = open(o->log_path, flags, 0644);
        if (log < 0 && errno == EEXIST)
            rc = errbuf_set(eb, ST_EIO, "%s: already exists (pass --append to add to it, or "
                            "choose another name)", o->log_path);
        else if (log < 0)
            rc = errbuf_set(eb, ST_EIO, "%s: cannot create: %s", o->log_path, strerror(errno));
    }

    double last = now_s();
    while (rc == 0) {
        if (*stop) {
            reason = CAPTURE_STOP_SIGNAL;
            break;
        }
        struct pollfd pfd = {port, POLLIN, 0};
        int r = poll(&pfd, 1, CAPTURE_SLICE_MS);
        if (r < 0 && errno != EINTR) {
            rc = errbuf_set(eb, ST_EIO, "%s: poll failed: %s", o->port, strerror(errno));
            break;
        }
        bool hangup = false, got = false, done = false;
        if (r > 0) {
            for (;;) {
                ssize_t n = read(port, buf, sizeof buf);
                if (n > 0) {
                    rc = write_all(log, buf, (size_t)n, o->log_path, eb);
                    if (rc < 0)
                        break;
                    got = true;
                    size_t ended = stats->n_runs_ended;
                    boardlog_stream_feed(stats, buf, (size_t)n);
                    if (o->until_end && stats->n_runs_ended > ended) {
                        done = true;
                        break;
                    }
                    continue;
                }
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                    break;
                hangup = true;  /* 0 = end of file; EIO = the other side of a pty closed */
                break;
            }
            if (!got && !hangup && (pfd.revents & (POLLHUP | POLLERR)))
                hangup = true;
        }
        if (rc < 0)
            break;
        if (got) {
            last = now_s();
            if (progress != NULL)
                progress(stats, user);
        }
        if (done) {
            reason = CAPTURE_STOP_END;
            break;
        }
        if (hangup) {
            reason = CAPTURE_STOP_HANGUP;
            break;
        }
        if (o->timeout_s > 0 && now_s() - last >= o->timeout_s) {
            reason = CAPTURE_STOP_TIMEOUT;
            break;
        }
    }

    if (log >= 0) {
        if (fsync(log) != 0 && errno != EINVAL && rc == 0)
            rc = errbuf_set(eb, ST_EIO, "%s: fsync failed: %s", o->log_path, strerror(errno));
        if (close(log) != 0 && rc == 0)
            rc = errbuf_set(eb, ST_EIO, "%s: close failed: %s", o->log_path, strerror(errno));
    }
    close(port);
    boardlog_stream_finish(stats);
    if (rc == 0)
        *why = reason;
    return rc;
}
