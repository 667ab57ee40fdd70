/*
 * errbuf: first-error-wins message buffer (see errbuf.h).
 */
#include "errbuf.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

void errbuf_init(struct errbuf *eb)
{
    eb->code = 0;
    eb->msg[0] = '\0';
}

int errbuf_vset(struct errbuf *eb, int code, const char *fmt, va_list ap)
{
    if (eb == NULL || eb->code != 0)
        return code;
    eb->code = code;
    vsnprintf(eb->msg, sizeof eb->msg, fmt, ap);
    return code;
}

int errbuf_set(struct errbuf *eb, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errbuf_vset(eb, code, fmt, ap);
    va_end(ap);
    return code;
}

void errbuf_prefix(struct errbuf *eb, const char *fmt, ...)
{
    char prefix[ERRBUF_MSG_BYTES];
    char joined[2 * ERRBUF_MSG_BYTES + 2];   /* room for both, so snprintf cannot truncate */
    va_list ap;

    if (eb == NULL || eb->code == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    snprintf(joined, sizeof joined, "%s: %s", prefix, eb->msg);
    memcpy(eb->msg, joined, sizeof eb->msg - 1);
    eb->msg[sizeof eb->msg - 1] = '\0';
}

const char *errbuf_status_text(int code)
{
    switch (code) {
#define ST_TEXT(name, value, text) case value: return text;
    ST_LIST(ST_TEXT)
#undef ST_TEXT
    }
    return "unknown status";
}
