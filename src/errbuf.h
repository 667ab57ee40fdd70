/*
 * Error reporting for every fallible function below the command layer.
 * A function returns 0 or a negative ST_* status and, on failure, fills the caller's
 * struct errbuf with a one-line message naming the object (file:offset, node, tensor).
 * The first error wins: later errbuf_set calls keep the original message, so the root
 * cause is what the user sees. An errbuf holds no heap memory.
 */
#ifndef MLFSCOPE_ERRBUF_H
#define MLFSCOPE_ERRBUF_H

#include <stdarg.h>

/* X(name, value, default text). Values are negative; 0 is success. */
#define ST_LIST(X)                                              \
    X(ST_OK, 0, "ok")                                           \
    X(ST_ENOMEM, -1, "out of memory")                           \
    X(ST_EIO, -2, "input/output error")                         \
    X(ST_EPARSE, -3, "malformed input")                         \
    X(ST_EUNSUPPORTED, -4, "unsupported")                       \
    X(ST_EINVAL, -5, "invalid argument")                        \
    X(ST_ELIMIT, -6, "size limit exceeded")                     \
    X(ST_ENOTFOUND, -7, "not found")                            \
    X(ST_EMISMATCH, -8, "mismatch")                             \
    X(ST_EINTERNAL, -9, "internal error")

enum status {
#define ST_ENUM(name, value, text) name = value,
    ST_LIST(ST_ENUM)
#undef ST_ENUM
};

#define ERRBUF_MSG_BYTES 256

struct errbuf {
    int code;                    /* 0 until the first error, then its ST_* status */
    char msg[ERRBUF_MSG_BYTES];  /* NUL-terminated, lower case, no final period */
};

/* Clears eb so it can be reused. */
void errbuf_init(struct errbuf *eb);

/*
 * Records the first error: code and a printf-style message. Later calls leave an
 * existing error untouched. Returns code, so a failure site is one line:
 *   return errbuf_set(eb, ST_EPARSE, "%s:%zu: expected '='", path, line);
 * eb may be NULL (the message is dropped, the code still returned).
 */
int errbuf_set(struct errbuf *eb, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int errbuf_vset(struct errbuf *eb, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Adds "prefix: " in front of the recorded message (e.g. the file name); no-op if none. */
void errbuf_prefix(struct errbuf *eb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The default text of a status ("out of memory"); "unknown status" for others. */
const char *errbuf_status_text(int code);

#endif
