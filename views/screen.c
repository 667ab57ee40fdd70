/*
 * The cell grid behind every TUI view: clipped drawing primitives, UTF-8 decoding, and the
 * text dump the golden tests compare.
 */
#include "screen.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "banned.h"

#define SCREEN_MAX_SIDE 4096

static const char *const role_names[] = {
#define SCREEN_ROLE_NAME(e, name, code) name,
    SCREEN_ROLE_LIST(SCREEN_ROLE_NAME)
#undef SCREEN_ROLE_NAME
};
static const char role_codes[] = {
#define SCREEN_ROLE_CODE(e, name, code) code,
    SCREEN_ROLE_LIST(SCREEN_ROLE_CODE)
#undef SCREEN_ROLE_CODE
};
static_assert(sizeof role_names / sizeof role_names[0] == SCREEN_ROLE_COUNT, "role names");
static_assert(sizeof role_codes == SCREEN_ROLE_COUNT, "role codes");

/* [glyph] = {unicode, ascii} */
static const uint32_t glyphs[SCREEN_G_COUNT][2] = {
    [SCREEN_G_HLINE] = {0x2500, '-'},    [SCREEN_G_VLINE] = {0x2502, '|'},
    [SCREEN_G_TL] = {0x250c, '+'},       [SCREEN_G_TR] = {0x2510, '+'},
    [SCREEN_G_BL] = {0x2514, '+'},       [SCREEN_G_BR] = {0x2518, '+'},
    [SCREEN_G_MARK] = {0x25b6, '>'},     [SCREEN_G_LARROW] = {0x2190, '<'},
    [SCREEN_G_RARROW] = {0x2192, '>'},   [SCREEN_G_DOT] = {0x25cf, '*'},
    [SCREEN_G_ELLIPSIS] = {0x2026, '~'}, [SCREEN_G_DELTA] = {0x0394, 'D'},
};

const char *screen_role_name(enum screen_role r)
{
    return (unsigned)r < SCREEN_ROLE_COUNT ? role_names[r] : "?";
}

char screen_role_code(enum screen_role r)
{
    return (unsigned)r < SCREEN_ROLE_COUNT ? role_codes[r] : '?';
}

void screen_init(struct screen *s, bool ascii)
{
    s->w = s->h = 0;
    s->cells = NULL;
    s->ascii = ascii;
}

int screen_resize(struct screen *s, int w, int h, struct errbuf *eb)
{
    size_t n, bytes;
    if (w < 1 || h < 1 || w > SCREEN_MAX_SIDE || h > SCREEN_MAX_SIDE)
        return errbuf_set(eb, ST_EINVAL, "screen size %dx%d out of range 1..%d", w, h,
                          SCREEN_MAX_SIDE);
    if (!size_mul((size_t)w, (size_t)h, &n) || !size_mul(n, sizeof *s->cells, &bytes))
        return errbuf_set(eb, ST_ELIMIT, "screen size %dx%d too large", w, h);
    struct screen_cell *cells = mem_alloc(bytes);
    if (cells == NULL)
        return errbuf_set(eb, ST_ENOMEM, "screen %dx%d: out of memory", w, h);
    mem_free(s->cells);
    s->cells = cells;
    s->w = w;
    s->h = h;
    screen_clear(s, SCREEN_NORMAL);
    return 0;
}

void screen_release(struct screen *s)
{
    mem_free(s->cells);
    s->cells = NULL;
    s->w = s->h = 0;
}

void screen_clear(struct screen *s, unsigned attr)
{
    screen_fill(s, 0, 0, s->w, s->h, ' ', attr);
}

struct screen_cell *screen_at(struct screen *s, int x, int y)
{
    if (x < 0 || y < 0 || x >= s->w || y >= s->h)
        return NULL;
    return &s->cells[(size_t)y * (size_t)s->w + (size_t)x];
}

uint32_t screen_glyph(const struct screen *s, enum screen_glyph g)
{
    if ((unsigned)g >= SCREEN_G_COUNT)
        return '?';
    return glyphs[g][s->ascii ? 1 : 0];
}

void screen_put(struct screen *s, int x, int y, uint32_t ch, unsigned attr)
{
    struct screen_cell *c = screen_at(s, x, y);
    if (c == NULL)
        return;
    if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0) || ch > 0x10ffff || (ch >= 0xd800 && ch < 0xe000))
        ch = '?';
    if (s->ascii && ch >= 0x80)
        ch = '?';
    c->ch = ch;
    c->attr = (uint16_t)attr;
}

/* Decodes one UTF-8 sequence at *p; advances *p. Invalid or overlong input gives '?'. */
static uint32_t utf8_next(const char **p)
{
    const unsigned char *u = (const unsigned char *)*p;
    uint32_t cp;
    int extra;
    if (u[0] < 0x80) {
        *p += 1;
        return u[0];
    }
    if ((u[0] & 0xe0) == 0xc0) {
        cp = u[0] & 0x1fu;
        extra = 1;
    } else if ((u[0] & 0xf0) == 0xe0) {
        cp = u[0] & 0x0fu;
        extra = 2;
    } else if ((u[0] & 0xf8) == 0xf0) {
        cp = u[0] & 0x07u;
        extra = 3;
    } else {
        *p += 1;
        return '?';
    }
    for (int i = 1; i <= extra; i++) {
        if ((u[i] & 0xc0) != 0x80) {
            *p += i;    /* stops at the NUL or the next lead byte */
            return '?';
        }
        cp = (cp << 6) | (u[i] & 0x3fu);
    }
    *p += extra + 1;
    static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[extra] || cp > 0x10ffff)
        return '?';
    return cp;
}

int screen_text_width(const char *utf8)
{
    int n = 0;
    while (*utf8 != '\0') {
        utf8_next(&utf8);
        n++;
    }
    return n;
}

int screen_text(struct screen *s, int x, int y, int max_w, unsigned attr, const char *utf8)
{
    int col = 0;
    if (max_w < 0)
        max_w = s->w - x;
    while (*utf8 != '\0' && col < max_w) {
        uint32_t cp = utf8_next(&utf8);
        screen_put(s, x + col, y, cp, attr);
        col++;
    }
    return col;
}

int screen_textf(struct screen *s, int x, int y, int max_w, unsigned attr, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return screen_text(s, x, y, max_w, attr, buf);
}

void screen_text_fit(struct screen *s, int x, int y, int w, unsigned attr, const char *utf8)
{
    if (w <= 0)
        return;
    screen_fill(s, x, y, w, 1, ' ', attr);
    int n = screen_text_width(utf8);
    screen_text(s, x, y, w, attr, utf8);
    if (n > w)
        screen_put(s, x + w - 1, y, screen_glyph(s, SCREEN_G_ELLIPSIS), attr);
}

void screen_fill(struct screen *s, int x, int y, int w, int h, uint32_t ch, unsigned attr)
{
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > s->w ? s->w : x + w, y1 = y + h > s->h ? s->h : y + h;
    for (int r = y0; r < y1; r++)
        for (int c = x0; c < x1; c++)
            screen_put(s, c, r, ch, attr);
}

void screen_paint(struct screen *s, int x, int y, int w, int h, unsigned attr)
{
    int x0 = x < 0 ? 0 : x, y0 = y < 0 ? 0 : y;
    int x1 = x + w > s->w ? s->w : x + w, y1 = y + h > s->h ? s->h : y + h;
    for (int r = y0; r < y1; r++)
        for (int c = x0; c < x1; c++)
            screen_at(s, c, r)->attr = (uint16_t)attr;
}

void screen_hline(struct screen *s, int x, int y, int n, unsigned attr)
{
    screen_fill(s, x, y, n, 1, screen_glyph(s, SCREEN_G_HLINE), attr);
}

void screen_vline(struct screen *s, int x, int y, int n, unsigned attr)
{
    screen_fill(s, x, y, 1, n, screen_glyph(s, SCREEN_G_VLINE), attr);
}

void screen_box(struct screen *s, int x, int y, int w, int h, unsigned attr, const char *title)
{
    if (w < 2 || h < 2)
        return;
    screen_hline(s, x + 1, y, w - 2, attr);
    screen_hline(s, x + 1, y + h - 1, w - 2, attr);
    screen_vline(s, x, y + 1, h - 2, attr);
    screen_vline(s, x + w - 1, y + 1, h - 2, attr);
    screen_put(s, x, y, screen_glyph(s, SCREEN_G_TL), attr);
    screen_put(s, x + w - 1, y, screen_glyph(s, SCREEN_G_TR), attr);
    screen_put(s, x, y + h - 1, screen_glyph(s, SCREEN_G_BL), attr);
    screen_put(s, x + w - 1, y + h - 1, screen_glyph(s, SCREEN_G_BR), attr);
    if (title != NULL && w > 4) {
        screen_put(s, x + 1, y, ' ', attr);
        int n = screen_text(s, x + 2, y, w - 4, attr | SCREEN_BOLD, title);
        screen_put(s, x + 2 + n, y, ' ', attr);
    }
}

static void put_utf8(struct sbuf *out, uint32_t cp)
{
    char b[4];
    if (cp < 0x80) {
        sbuf_addc(out, (char)cp);
        return;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        sbuf_addn(out, b, 2);
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        sbuf_addn(out, b, 3);
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        sbuf_addn(out, b, 4);
    }
}

void screen_dump(const struct screen *s, struct sbuf *out, bool attrs)
{
    for (int y = 0; y < s->h; y++) {
        const struct screen_cell *row = &s->cells[(size_t)y * (size_t)s->w];
        int end = s->w;
        while (end > 0 && row[end - 1].ch == ' ')
            end--;
        for (int x = 0; x < end; x++)
            put_utf8(out, row[x].ch);
        sbuf_addc(out, '\n');
    }
    if (!attrs)
        return;
    sbuf_add(out, "-- attributes --\n");
    for (int y = 0; y < s->h; y++) {
        const struct screen_cell *row = &s->cells[(size_t)y * (size_t)s->w];
        int end = s->w;
        while (end > 0 && (row[end - 1].attr & SCREEN_ROLE_MASK) == SCREEN_NORMAL)
            end--;
        for (int x = 0; x < end; x++)
            sbuf_addc(out, screen_role_code((enum screen_role)(row[x].attr & SCREEN_ROLE_MASK)));
        sbuf_addc(out, '\n');
    }
}
