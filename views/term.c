/*
 * ncurses front end (see term.h). Everything curses-specific stays here: the colour
 * palettes, the key and mouse translation into enum tui_key / enum tui_mouse, and the copy
 * of the screen grid, written as runs of equal attributes so refresh stays cheap.
 */
/* The wide-character curses API (get_wch, UTF-8 output) needs X/Open; ncursesw's pkg-config
 * flags usually define _XOPEN_SOURCE already. */
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 600
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif

#include "term.h"

#include <curses.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "screen.h"
#include "banned.h"

/* Colour of a role: foreground, background (-1 = terminal default), extra attributes. */
struct role_style {
    short fg, bg;
    attr_t attrs;
};

static const struct role_style palette8[SCREEN_ROLE_COUNT] = {
    [SCREEN_NORMAL] = {-1, -1, 0},
    [SCREEN_HEADER] = {COLOR_BLACK, COLOR_CYAN, A_BOLD},
    [SCREEN_STATUS] = {COLOR_BLACK, COLOR_WHITE, 0},
    [SCREEN_TITLE] = {COLOR_CYAN, -1, A_BOLD},
    [SCREEN_TITLE_FOCUS] = {COLOR_BLACK, COLOR_CYAN, A_BOLD},
    [SCREEN_BORDER] = {COLOR_BLUE, -1, 0},
    [SCREEN_SELECTED] = {COLOR_WHITE, COLOR_BLUE, A_BOLD},
    [SCREEN_DIM] = {-1, -1, A_DIM},
    [SCREEN_LABEL] = {COLOR_YELLOW, -1, A_BOLD},
    [SCREEN_CMSIS] = {COLOR_GREEN, -1, 0},
    [SCREEN_C] = {COLOR_YELLOW, -1, 0},
    [SCREEN_FOLDED] = {COLOR_BLUE, -1, 0},
    [SCREEN_EXACT] = {COLOR_GREEN, -1, 0},
    [SCREEN_ROUNDING] = {COLOR_CYAN, -1, 0},
    [SCREEN_INHERITED] = {COLOR_MAGENTA, -1, 0},
    [SCREEN_DIVERGED] = {COLOR_RED, -1, A_BOLD},
    [SCREEN_MISSING] = {COLOR_YELLOW, -1, A_BOLD},
    [SCREEN_CORRUPT] = {COLOR_WHITE, COLOR_RED, A_BOLD},
    [SCREEN_MATCH] = {COLOR_BLACK, COLOR_YELLOW, 0},
    [SCREEN_DELTA] = {COLOR_RED, -1, A_BOLD},
    [SCREEN_HEAT0] = {COLOR_WHITE, COLOR_BLACK, 0},
    [SCREEN_HEAT1] = {COLOR_WHITE, COLOR_BLUE, 0},
    [SCREEN_HEAT2] = {COLOR_BLACK, COLOR_CYAN, 0},
    [SCREEN_HEAT3] = {COLOR_BLACK, COLOR_GREEN, 0},
    [SCREEN_HEAT4] = {COLOR_BLACK, COLOR_YELLOW, 0},
    [SCREEN_HEAT5] = {COLOR_BLACK, COLOR_MAGENTA, 0},
    [SCREEN_HEAT6] = {COLOR_WHITE, COLOR_RED, 0},
    [SCREEN_HEAT7] = {COLOR_WHITE, COLOR_RED, A_BOLD},
};

static const struct role_style palette256[SCREEN_ROLE_COUNT] = {
    [SCREEN_NORMAL] = {-1, -1, 0},
    [SCREEN_HEADER] = {255, 25, A_BOLD},
    [SCREEN_STATUS] = {252, 237, 0},
    [SCREEN_TITLE] = {110, 236, 0},
    [SCREEN_TITLE_FOCUS] = {16, 110, A_BOLD},
    [SCREEN_BORDER] = {240, -1, 0},
    [SCREEN_SELECTED] = {255, 24, A_BOLD},
    [SCREEN_DIM] = {244, -1, 0},
    [SCREEN_LABEL] = {179, -1, A_BOLD},
    [SCREEN_CMSIS] = {78, -1, 0},
    [SCREEN_C] = {214, -1, 0},
    [SCREEN_FOLDED] = {111, -1, 0},
    [SCREEN_EXACT] = {71, -1, 0},
    [SCREEN_ROUNDING] = {80, -1, 0},
    [SCREEN_INHERITED] = {177, -1, 0},
    [SCREEN_DIVERGED] = {203, -1, A_BOLD},
    [SCREEN_MISSING] = {220, -1, A_BOLD},
    [SCREEN_CORRUPT] = {255, 124, A_BOLD},
    [SCREEN_MATCH] = {16, 220, 0},
    [SCREEN_DELTA] = {203, -1, A_BOLD},
    [SCREEN_HEAT0] = {250, 17, 0},
    [SCREEN_HEAT1] = {250, 19, 0},
    [SCREEN_HEAT2] = {255, 25, 0},
    [SCREEN_HEAT3] = {16, 37, 0},
    [SCREEN_HEAT4] = {16, 71, 0},
    [SCREEN_HEAT5] = {16, 178, 0},
    [SCREEN_HEAT6] = {16, 208, 0},
    [SCREEN_HEAT7] = {255, 196, A_BOLD},
};

/* Without colour: the roles that must stand out get attributes. */
static const attr_t mono_attrs[SCREEN_ROLE_COUNT] = {
    [SCREEN_HEADER] = A_REVERSE | A_BOLD,
    [SCREEN_STATUS] = A_REVERSE,
    [SCREEN_TITLE] = A_UNDERLINE,
    [SCREEN_TITLE_FOCUS] = A_REVERSE | A_BOLD,
    [SCREEN_SELECTED] = A_REVERSE,
    [SCREEN_DIM] = A_DIM,
    [SCREEN_LABEL] = A_BOLD,
    [SCREEN_DIVERGED] = A_BOLD | A_UNDERLINE,
    [SCREEN_MISSING] = A_UNDERLINE,
    [SCREEN_CORRUPT] = A_BOLD | A_UNDERLINE,
    [SCREEN_MATCH] = A_UNDERLINE,
    [SCREEN_DELTA] = A_BOLD | A_UNDERLINE,
    [SCREEN_HEAT7] = A_BOLD,
};

struct term {
    bool color;
    struct screen scr;
};

static short clamp_color(short c, bool defaults_ok, short fallback)
{
    if (c < 0)
        return defaults_ok ? -1 : fallback;
    return c < COLORS ? c : fallback;
}

static void setup_colors(struct term *tm, bool no_color)
{
    const char *nc = getenv("NO_COLOR");
    tm->color = false;
    if (no_color || (nc != NULL && nc[0] != '\0') || !has_colors())
        return;
    if (start_color() == ERR)
        return;
    bool defaults_ok = use_default_colors() != ERR;
    const struct role_style *pal = COLORS >= 256 && COLOR_PAIRS > SCREEN_ROLE_COUNT ?
                                   palette256 : palette8;
    if (COLOR_PAIRS <= SCREEN_ROLE_COUNT)
        return;
    for (int r = 0; r < SCREEN_ROLE_COUNT; r++) {
        short fg = clamp_color(pal[r].fg, defaults_ok, COLOR_WHITE);
        short bg = clamp_color(pal[r].bg, defaults_ok, COLOR_BLACK);
        if (init_pair((short)(r + 1), fg, bg) == ERR)
            return;
    }
    tm->color = true;
}

static attr_t cell_attrs(const struct term *tm, unsigned a, short *pair)
{
    unsigned role = a & SCREEN_ROLE_MASK;
    attr_t at = 0;
    if (role >= SCREEN_ROLE_COUNT)
        role = SCREEN_NORMAL;
    if (tm->color) {
        const struct role_style *pal = COLORS >= 256 ? palette256 : palette8;
        *pair = (short)(role + 1);
        at = pal[role].attrs;
    } else {
        *pair = 0;
        at = mono_attrs[role];
    }
    if (a & SCREEN_BOLD)
        at |= A_BOLD;
    if (a & SCREEN_REVERSE)
        at |= A_REVERSE;
    return at;
}

static size_t utf8_encode(uint32_t cp, char *b)
{
    if (cp < 0x80) {
        b[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    b[0] = (char)(0xf0 | (cp >> 18));
    b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    b[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Copies the grid to stdscr in runs of equal attributes. */
static void blit(struct term *tm)
{
    const struct screen *s = &tm->scr;
    char run[4 * 512 + 1];
    for (int y = 0; y < s->h; y++) {
        const struct screen_cell *row = &s->cells[(size_t)y * (size_t)s->w];
        if (move(y, 0) == ERR)
            continue;
        int x = 0;
        while (x < s->w) {
            unsigned a = row[x].attr;
            size_t len = 0;
            int start = x;
            while (x < s->w && row[x].attr == a && len + 4 < sizeof run - 1 && x - start < 512)
                len += utf8_encode(row[x++].ch, run + len);
            run[len] = '\0';
            short pair;
            attr_t at = cell_attrs(tm, a, &pair);
            attr_set(at, pair, NULL);
            /* Writing the bottom-right cell returns ERR (the cursor cannot advance); the
             * cell is drawn all the same, so the result is not an error here. */
            (void)mvaddnstr(y, start, run, (int)len);
        }
    }
    attr_set(A_NORMAL, 0, NULL);
}

static int map_key(int r, wint_t ch)
{
    if (r == KEY_CODE_YES) {
        switch (ch) {
        case KEY_UP: return TUI_KEY_UP;
        case KEY_DOWN: return TUI_KEY_DOWN;
        case KEY_LEFT: return TUI_KEY_LEFT;
        case KEY_RIGHT: return TUI_KEY_RIGHT;
        case KEY_PPAGE: return TUI_KEY_PGUP;
        case KEY_NPAGE: return TUI_KEY_PGDN;
        case KEY_HOME: return TUI_KEY_HOME;
        case KEY_END: return TUI_KEY_END;
        case KEY_ENTER: return TUI_KEY_ENTER;
        case KEY_BACKSPACE: return TUI_KEY_BACKSPACE;
        case KEY_BTAB: return TUI_KEY_BTAB;
        default: return -1;
        }
    }
    switch (ch) {
    case '\n': case '\r': return TUI_KEY_ENTER;
    case 27: return TUI_KEY_ESC;
    case 127: case 8: return TUI_KEY_BACKSPACE;
    case '\t': return TUI_KEY_TAB;
    default: return ch >= 0x20 ? (int)ch : -1;
    }
}

static void handle_mouse(struct tui *t)
{
    MEVENT me;
    if (getmouse(&me) == ERR)
        return;
    if (me.bstate & BUTTON1_DOUBLE_CLICKED)
        tui_mouse(t, TUI_MOUSE_DOUBLE, me.x, me.y);
    else if (me.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED))
        tui_mouse(t, TUI_MOUSE_CLICK, me.x, me.y);
    else if (me.bstate & BUTTON4_PRESSED)
        tui_mouse(t, TUI_MOUSE_WHEEL_UP, me.x, me.y);
#ifdef BUTTON5_PRESSED
    else if (me.bstate & BUTTON5_PRESSED)
        tui_mouse(t, TUI_MOUSE_WHEEL_DOWN, me.x, me.y);
#endif
}

static int resize_grid(struct term *tm, struct errbuf *eb)
{
    int h, w;
    getmaxyx(stdscr, h, w);
    if (w < 1 || h < 1)
        return 0;   /* a zero-size window: keep the old grid until the next resize */
    if (w == tm->scr.w && h == tm->scr.h)
        return 0;
    return screen_resize(&tm->scr, w, h, eb);
}

int term_run(struct tui *t, const struct term_opts *opts, struct errbuf *eb)
{
    struct term_opts none = {false, false, NULL, NULL};
    struct term tm;
    int rc = 0;

    if (opts == NULL)
        opts = &none;
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return errbuf_set(eb, ST_EIO, "the tui needs a terminal on stdin and stdout");
    const char *cs = nl_langinfo(CODESET);
    screen_init(&tm.scr, cs == NULL || strcmp(cs, "UTF-8") != 0);
    /* newterm, unlike initscr, returns NULL instead of exiting when the terminal is unknown. */
    SCREEN *sp = newterm(NULL, stdout, stdin);
    if (sp == NULL)
        return errbuf_set(eb, ST_EIO, "cannot start curses on terminal '%s'",
                          getenv("TERM") ? getenv("TERM") : "(TERM not set)");
    if (cbreak() == ERR || noecho() == ERR || keypad(stdscr, TRUE) == ERR) {
        rc = errbuf_set(eb, ST_EIO, "cannot set the terminal to cbreak mode");
        goto out;
    }
    (void)curs_set(0);          /* ERR on terminals without cursor control: harmless */
    (void)set_escdelay(25);
    setup_colors(&tm, opts->no_color);
    if (!opts->no_mouse) {
        mmask_t want = BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED;
#ifdef BUTTON5_PRESSED
        want |= BUTTON5_PRESSED;
#endif
        (void)mousemask(want, NULL);    /* 0 when unsupported: keys still work */
        (void)mouseinterval(200);
    }
    timeout(opts->tick ? 100 : -1);
    if ((rc = resize_grid(&tm, eb)) < 0)
        goto out;
    bool redraw = true;
    while (!t->quit) {
        if (redraw && tm.scr.w > 0) {
            tui_draw(t, &tm.scr);
            erase();
            blit(&tm);
            if (refresh() == ERR) {
                rc = errbuf_set(eb, ST_EIO, "cannot write to the terminal");
                goto out;
            }
        }
        redraw = true;
        wint_t ch = 0;
        int r = get_wch(&ch);
        if (r == ERR) {
            redraw = opts->tick ? opts->tick(opts->tick_ctx, t) : false;
            continue;
        }
        if (r == KEY_CODE_YES && ch == KEY_RESIZE) {
            if ((rc = resize_grid(&tm, eb)) < 0)
                goto out;
            continue;
        }
        if (r == KEY_CODE_YES && ch == KEY_MOUSE) {
            handle_mouse(t);
            continue;
        }
        int key = map_key(r, ch);
        if (key >= 0)
            tui_key(t, key);
    }
out:
    endwin();
    delscreen(sp);
    screen_release(&tm.scr);
    return rc;
}
