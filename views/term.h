/*
 * The terminal front end of the TUI: the only file that knows ncurses. Starts curses,
 * copies a struct screen to the terminal (colour pairs per role with 8- and 256-colour
 * palettes; attributes only under NO_COLOR or on monochrome terminals), and runs the event
 * loop feeding keys, mouse events and resizes to a struct tui until it quits.
 */
#ifndef MLFSCOPE_TERM_H
#define MLFSCOPE_TERM_H

#include <stdbool.h>

#include "errbuf.h"
#include "tui.h"

struct term_opts {
    bool no_color;      /* force attributes only (also when NO_COLOR is set and non-empty) */
    bool no_mouse;      /* do not ask the terminal for mouse events */
    /*
     * Called about every 100 ms while no key arrives, on the UI thread (NULL: block on
     * keys). The hook for a background reference run: drain the worker's finished layers,
     * call tui_progress / tui_source_changed, return true to redraw.
     */
    bool (*tick)(void *ctx, struct tui *t);
    void *tick_ctx;
};

/*
 * Runs the TUI on the controlling terminal until t->quit. Restores the terminal on every
 * path. Returns 0, or ST_EIO when stdin/stdout is not a terminal or curses cannot start,
 * ST_ENOMEM when the screen grid cannot be allocated.
 */
int term_run(struct tui *t, const struct term_opts *opts, struct errbuf *eb);

#endif
