/*
 * sbuf: growable NUL-terminated string (see sbuf.h).
 */
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "banned.h"

void sbuf_init(struct sbuf *sb)
{
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->failed = false;
}

void sbuf_release(struct sbuf *sb)
{
    mem_free(sb->buf);
    sbuf_init(sb);
}

void sbuf_reset(struct sbuf *sb)
{
    sb->len = 0;
    if (sb->buf != NULL)
        sb->buf[0] = '\0';
}

static bool reserve(struct sbuf *sb, size_t extra)
{
    size_t need;
    void *p = sb->buf;
    if (sb->failed)
        return false;
    if (!size_add(sb->len, extra, &need) || !size_add(need, 1, &need) ||
        !mem_grow(&p, &sb->cap, need, 1)) {
        sb->failed = true;
        return false;
    }
    sb->buf = p;
    return true;
}

void sbuf_addn(struct sbuf *sb, const char *s, size_t n)
{
    if (!reserve(sb, n))
        return;
    memcpy(sb->buf + sb->len, s, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void sbuf_add(struct sbuf *sb, const char *s)
{
    sbuf_addn(sb, s, strlen(s));
}

void sbuf_addc(struct sbuf *sb, char c)
{
    sbuf_addn(sb, &c, 1);
}

void sbuf_printf(struct sbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(sb, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb->len += (size_t)n;
}

bool sbuf_failed(const struct sbuf *sb)
{
    return sb->failed;
}

const char *sbuf_str(const struct sbuf *sb)
{
    return sb->buf != NULL ? sb->buf : "";
}

char *sbuf_detach(struct sbuf *sb)
{
    char *s;
    if (sb->failed) {
        sbuf_release(sb);
        return NULL;
    }
    s = sb->buf != NULL ? sb->buf : mem_strdup("");
    sbuf_init(sb);
    return s;
}
