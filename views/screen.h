/*
 * A terminal-independent screen: a grid of cells, each a Unicode code point plus an
 * attribute (a colour role and bold/reverse flags). Views draw into it; views/term.c copies
 * it to ncurses, and tests dump it to text for goldens. Knows nothing of ncurses.
 *
 * Lifetime: screen_init/screen_resize allocate the grid (mem_alloc); screen_release frees
 * it. Every drawing call clips to the grid, so callers never check bounds. Every character
 * occupies exactly one column (the views draw ASCII, box drawing and model names; a wide
 * CJK name would be drawn one column per code point, which only misaligns that row).
 */
#ifndef MLFSCOPE_SCREEN_H
#define MLFSCOPE_SCREEN_H

#include <stdbool.h>
#include <stdint.h>

#include "errbuf.h"
#include "sbuf.h"

/* X(enum, name, code in the attribute dump). Heat roles must stay consecutive. */
#define SCREEN_ROLE_LIST(X)                     \
    X(SCREEN_NORMAL, "normal", '.')             \
    X(SCREEN_HEADER, "header", 'H')             \
    X(SCREEN_STATUS, "status", 'S')             \
    X(SCREEN_TITLE, "title", 'T')               \
    X(SCREEN_TITLE_FOCUS, "title-focus", 'F')   \
    X(SCREEN_BORDER, "border", 'b')             \
    X(SCREEN_SELECTED, "selected", 'R')         \
    X(SCREEN_DIM, "dim", 'd')                   \
    X(SCREEN_LABEL, "label", 'l')               \
    X(SCREEN_CMSIS, "cmsis", 'n')               \
    X(SCREEN_C, "c", 'c')                       \
    X(SCREEN_FOLDED, "folded", 'f')             \
    X(SCREEN_EXACT, "exact", 'e')               \
    X(SCREEN_ROUNDING, "rounding", 'r')         \
    X(SCREEN_INHERITED, "inherited", 'i')       \
    X(SCREEN_DIVERGED, "diverged", 'X')         \
    X(SCREEN_MISSING, "missing", 'm')           \
    X(SCREEN_CORRUPT, "corrupt", 'x')           \
    X(SCREEN_MATCH, "match", 'M')               \
    X(SCREEN_DELTA, "delta", 'D')               \
    X(SCREEN_HEAT0, "heat0", '0')               \
    X(SCREEN_HEAT1, "heat1", '1')               \
    X(SCREEN_HEAT2, "heat2", '2')               \
    X(SCREEN_HEAT3, "heat3", '3')               \
    X(SCREEN_HEAT4, "heat4", '4')               \
    X(SCREEN_HEAT5, "heat5", '5')               \
    X(SCREEN_HEAT6, "heat6", '6')               \
    X(SCREEN_HEAT7, "heat7", '7')

enum screen_role {
#define SCREEN_ROLE_ENUM(e, name, code) e,
    SCREEN_ROLE_LIST(SCREEN_ROLE_ENUM)
#undef SCREEN_ROLE_ENUM
    SCREEN_ROLE_COUNT
};

/* An attribute is a role in the low byte plus these flags. */
#define SCREEN_ROLE_MASK 0xffu
#define SCREEN_BOLD 0x100u
#define SCREEN_REVERSE 0x200u

/* Line-drawing and marker glyphs; ASCII screens get ASCII stand-ins. */
enum screen_glyph {
    SCREEN_G_HLINE,
    SCREEN_G_VLINE,
    SCREEN_G_TL,
    SCREEN_G_TR,
    SCREEN_G_BL,
    SCREEN_G_BR,
    SCREEN_G_MARK,      /* first divergent layer */
    SCREEN_G_LARROW,    /* an input edge */
    SCREEN_G_RARROW,    /* a consumer edge */
    SCREEN_G_DOT,       /* the current node */
    SCREEN_G_ELLIPSIS,  /* clipped text */
    SCREEN_G_DELTA,     /* the Δ pane title */
    SCREEN_G_COUNT
};

struct screen_cell {
    uint32_t ch;        /* Unicode code point; never a control character */
    uint16_t attr;      /* enum screen_role | SCREEN_BOLD | SCREEN_REVERSE */
};

struct screen {
    int w, h;                   /* columns, rows; 0 x 0 before screen_init */
    struct screen_cell *cells;  /* [h][w], row-major, mem_alloc */
    bool ascii;                 /* draw ASCII stand-ins for glyphs and non-ASCII text */
};

/* The name of a role ("diverged") and its one-character code in attribute dumps. */
const char *screen_role_name(enum screen_role r);
char screen_role_code(enum screen_role r);

/* An empty 0 x 0 screen (allocates nothing); then screen_resize. */
void screen_init(struct screen *s, bool ascii);

/*
 * Resizes the grid to w x h (each at least 1, at most 4096) and clears it. On failure
 * (ST_ENOMEM, ST_EINVAL) the screen keeps its old grid.
 */
int screen_resize(struct screen *s, int w, int h, struct errbuf *eb);

/* Frees the grid; the screen is 0 x 0 afterwards. */
void screen_release(struct screen *s);

/* Fills the whole grid with spaces in attribute attr. */
void screen_clear(struct screen *s, unsigned attr);

/* The cell at (x, y), or NULL outside the grid. */
struct screen_cell *screen_at(struct screen *s, int x, int y);

/* The code point drawn for a glyph on this screen. */
uint32_t screen_glyph(const struct screen *s, enum screen_glyph g);

/* Sets one cell (clipped). */
void screen_put(struct screen *s, int x, int y, uint32_t ch, unsigned attr);

/*
 * Draws UTF-8 text at (x, y), at most max_w columns (max_w < 0: to the right edge), clipped
 * to the grid. Invalid UTF-8 and control characters draw as '?'. Returns the number of
 * columns the text occupies (before grid clipping), so callers can lay out after it.
 */
int screen_text(struct screen *s, int x, int y, int max_w, unsigned attr, const char *utf8);

/* screen_text of a printf result (truncated at 1 KiB). */
int screen_textf(struct screen *s, int x, int y, int max_w, unsigned attr, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*
 * Like screen_text but, when the text is wider than w, ends it with an ellipsis so the
 * reader knows it was cut; pads with spaces to exactly w columns in attr.
 */
void screen_text_fit(struct screen *s, int x, int y, int w, unsigned attr, const char *utf8);

/* Fills a rectangle (clipped) with ch in attr. */
void screen_fill(struct screen *s, int x, int y, int w, int h, uint32_t ch, unsigned attr);

/* Sets the attribute of a rectangle (clipped), keeping the characters. */
void screen_paint(struct screen *s, int x, int y, int w, int h, unsigned attr);

/* Horizontal and vertical separators of length n. */
void screen_hline(struct screen *s, int x, int y, int n, unsigned attr);
void screen_vline(struct screen *s, int x, int y, int n, unsigned attr);

/* A box outline of w x h (w, h >= 2) with an optional title in its top edge. */
void screen_box(struct screen *s, int x, int y, int w, int h, unsigned attr, const char *title);

/*
 * Appends the grid as UTF-8 text, one line per row with trailing spaces removed. With
 * attrs, a line "-- attributes --" follows and then one line per row of role codes
 * (screen_role_code; trailing '.' removed). Failure shows in sbuf_failed(out).
 */
void screen_dump(const struct screen *s, struct sbuf *out, bool attrs);

/* Number of UTF-8 code points in s (the columns it takes on a screen). */
int screen_text_width(const char *utf8);

#endif
