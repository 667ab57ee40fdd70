/*
 * Helpers shared by the TUI views: pane titles, reading and formatting tensor elements,
 * cursor movement.
 */
#include "view.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "banned.h"

void view_title(struct screen *s, struct view_rect r, bool focused, const char *text)
{
    unsigned attr = focused ? (SCREEN_TITLE_FOCUS | SCREEN_BOLD) : SCREEN_TITLE;
    screen_fill(s, r.x, r.y, r.w, 1, ' ', attr);
    screen_text_fit(s, r.x + 1, r.y, r.w - 1, attr, text);
}

/* IEEE half to double (subnormals, infinities and NaN included). */
static double half_to_double(uint16_t h)
{
    int sign = (h >> 15) & 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v;
    if (e == 0)
        v = ldexp((double)m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexp((double)(m | 0x400), e - 25);
    return sign ? -v : v;
}

bool view_value_get(const struct tensor_value *v, size_t i, double *out)
{
    size_t eb = dtype_bytes(v->dtype), off;
    if (eb == 0 || v->data == NULL || !size_mul(i, eb, &off) || off >= v->bytes ||
        v->bytes - off < eb)
        return false;
    const unsigned char *p = (const unsigned char *)v->data + off;
    /* Values are little-endian (graph.h); assemble bytes so big-endian hosts read them too. */
    uint64_t u = 0;
    for (size_t k = 0; k < eb; k++)
        u |= (uint64_t)p[k] << (8 * k);
    switch (v->dtype) {
    case DTYPE_S8: *out = (double)(int8_t)(uint8_t)u; return true;
    case DTYPE_U8: case DTYPE_BOOL: *out = (double)(uint8_t)u; return true;
    case DTYPE_S16: *out = (double)(int16_t)(uint16_t)u; return true;
    case DTYPE_U16: *out = (double)(uint16_t)u; return true;
    case DTYPE_S32: *out = (double)(int32_t)(uint32_t)u; return true;
    case DTYPE_U32: *out = (double)(uint32_t)u; return true;
    case DTYPE_S64: *out = (double)(int64_t)u; return true;
    case DTYPE_U64: *out = (double)u; return true;
    case DTYPE_F16: *out = half_to_double((uint16_t)u); return true;
    case DTYPE_F32: {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, sizeof f);
        *out = f;
        return true;
    }
    case DTYPE_F64: memcpy(out, &u, sizeof *out); return true;
    default: return false;
    }
}

void view_value_fmt(char *buf, size_t bytes, enum dtype dt, double v)
{
    if (dt == DTYPE_F32 || dt == DTYPE_F16 || dt == DTYPE_F64)
        snprintf(buf, bytes, "%.4g", v);
    else
        snprintf(buf, bytes, "%.0f", v);
}

bool view_const_value(const struct tensor *t, struct tensor_value *out)
{
    if (t->data == NULL || t->rank < 0)
        return false;
    memset(out, 0, sizeof *out);
    out->dtype = t->dtype;
    out->rank = t->rank;
    for (int i = 0; i < t->rank; i++)
        out->dims[i] = t->dims[i];
    out->data = (void *)(uintptr_t)t->data;    /* read only: views never write through it */
    out->bytes = t->data_bytes;
    return true;
}

const char *view_name_head(const char *name, char *buf, size_t bytes)
{
    size_t n = strcspn(name, ";");
    snprintf(buf, bytes, "%.*s", (int)(n < 1000 ? n : 1000), name);
    return buf;
}

void view_fit_name(struct screen *s, int x, int y, int w, unsigned attr, const char *name)
{
    char head[1024];
    if (w <= 0)
        return;
    if (screen_text_width(name) <= w) {
        screen_text_fit(s, x, y, w, attr, name);
        return;
    }
    view_name_head(name, head, sizeof head);
    int n = screen_text_width(head);
    if (n <= w) {
        screen_text_fit(s, x, y, w, attr, head);
        return;
    }
    /* Skip code points from the front until the tail fits behind an ellipsis. */
    const char *p = head;
    for (int skip = n - (w - 1); skip > 0 && *p != '\0'; skip--) {
        p++;
        while ((*p & 0xc0) == 0x80)
            p++;
    }
    screen_fill(s, x, y, w, 1, ' ', attr);
    screen_put(s, x, y, screen_glyph(s, SCREEN_G_ELLIPSIS), attr);
    screen_text(s, x + 1, y, w - 1, attr, p);
}

bool view_move(int key, size_t *pos, size_t n, int page)
{
    size_t p = *pos, step = page > 1 ? (size_t)page - 1 : 1;
    if (n == 0)
        return false;
    switch (key) {
    case TUI_KEY_UP: case 'k': p = p > 0 ? p - 1 : 0; break;
    case TUI_KEY_DOWN: case 'j': p = p + 1 < n ? p + 1 : n - 1; break;
    case TUI_KEY_PGUP: p = p > step ? p - step : 0; break;
    case TUI_KEY_PGDN: p = p + step < n ? p + step : n - 1; break;
    case TUI_KEY_HOME: case 'g': p = 0; break;
    case TUI_KEY_END: case 'G': p = n - 1; break;
    default: return false;
    }
    *pos = p;
    return true;
}
