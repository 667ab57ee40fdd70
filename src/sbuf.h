/*
 * A growable string buffer for building text output (tables, JSON fragments, C source).
 * Appends never fail visibly: on out-of-memory the buffer is marked failed, further
 * appends are dropped, and sbuf_failed() tells the caller once at the end.
 */
#ifndef MLFSCOPE_SBUF_H
#define MLFSCOPE_SBUF_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
    char *buf;     /* NUL-terminated; "" when empty; owned, free with sbuf_release */
    size_t len;    /* bytes before the NUL */
    size_t cap;
    bool failed;   /* an append ran out of memory */
};

void sbuf_init(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);
void sbuf_reset(struct sbuf *sb);            /* empty it, keep the memory */
void sbuf_add(struct sbuf *sb, const char *s);
void sbuf_addn(struct sbuf *sb, const char *s, size_t n);
void sbuf_addc(struct sbuf *sb, char c);
void sbuf_printf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool sbuf_failed(const struct sbuf *sb);

/* The contents; never NULL. Borrowed until the next append or release. */
const char *sbuf_str(const struct sbuf *sb);

/* Takes the heap string out of sb (caller frees with mem_free); sb is empty after. NULL on failure. */
char *sbuf_detach(struct sbuf *sb);

#endif
