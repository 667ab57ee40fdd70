/*
 * Serial capture: records everything a board prints on its serial line to a log file,
 * byte for byte, as it arrives (written before anything else looks at it), and scans it
 * incrementally for live progress. Stops on request (a signal flag the caller owns), at
 * "@mlfs end", after a silence, or when the line hangs up; the file is fsynced on every
 * path. Linux/POSIX termios; the port is set raw, 8N1, no flow control.
 */
#ifndef MLFSCOPE_CAPTURE_H
#define MLFSCOPE_CAPTURE_H

#include <signal.h>
#include <stdbool.h>

#include "boardlog.h"
#include "errbuf.h"

struct capture_options {
    const char *port;       /* serial device, e.g. /dev/ttyACM0 */
    unsigned baud;          /* bits per second; one of the standard termios rates */
    const char *log_path;   /* created (must not exist) unless append */
    bool append;            /* add to an existing log instead of refusing it */
    bool until_end;         /* stop once a complete "@mlfs end" line has arrived */
    double timeout_s;       /* stop after this many seconds without a byte; <= 0: never */
};

enum capture_stop {
    CAPTURE_STOP_SIGNAL,    /* *stop became nonzero (Ctrl-C, SIGTERM) */
    CAPTURE_STOP_END,       /* "@mlfs end" seen (until_end) */
    CAPTURE_STOP_TIMEOUT,   /* timeout_s of silence */
    CAPTURE_STOP_HANGUP,    /* the device went away or the other end closed */
};

/* "interrupted", "end of run", "timeout", "hangup". */
const char *capture_stop_text(enum capture_stop why);

/* Called after each batch of bytes has been written to the log; may be NULL. */
typedef void (*capture_progress_fn)(const struct boardlog_stream *stats, void *user);

/*
 * Opens and configures the port, creates (or appends to) the log, and copies bytes until
 * one of the stop conditions. `stop` is polled at least every 100 ms; set it from a signal
 * handler (install it without SA_RESTART so that a pending read returns at once).
 * *stats receives the byte count and the record counters (always filled, also on
 * failure, so the caller can say how much was saved); *why the stop reason on success.
 * Fails with ST_EIO (cannot open the port or the log, the log exists, a write fails),
 * ST_EINVAL (not a terminal, unsupported baud). The log is fsynced and closed on every path.
 */
int capture_run(const struct capture_options *o, volatile sig_atomic_t *stop,
                capture_progress_fn progress, void *user, struct boardlog_stream *stats,
                enum capture_stop *why, struct errbuf *eb);

/* True when `baud` is a rate capture_run accepts. */
bool capture_baud_supported(unsigned baud);

#endif
