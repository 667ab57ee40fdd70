/*
 * The command layer: the only code that prints errors or chooses exit codes.
 * Each command is `int cmd_<name>(int argc, char **argv)` in src/cmd_<name>.c, listed in
 * the table in main.c; argv[0] is the command name. Commands parse options, call library
 * code, print, and return one of the exit codes below.
 */
#ifndef MLFSCOPE_CMD_H
#define MLFSCOPE_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "errbuf.h"
#include "graph.h"

enum exit_code {
    EXIT_OK = 0,        /* done, no difference found */
    EXIT_DIFF = 1,      /* a check found a difference or a regression */
    EXIT_USAGE = 2,     /* bad usage or bad input */
    EXIT_INTERNAL = 3,  /* out of memory or a bug */
};

struct cmd_entry {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;    /* one line for `mlfscope help` */
};

/* Prints "mlfscope: error: <msg>" and returns the exit code for eb's status. */
int cmd_fail(const struct errbuf *eb);

/* Prints "mlfscope: error: <fmt>" and "see 'mlfscope CMD --help'" to stderr; returns 2. */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "mlfscope: warning: <fmt>" to stderr. */
void cmd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True when argv has -h or --help (before a "--"). */
bool cmd_wants_help(int argc, char **argv);

/* Prints usage text to stdout and returns 0 (for --help). */
int cmd_print_help(const char *usage);

/*
 * Parses "--input-shape [NAME=]d0,d1,..." into out (name points into arg). Returns 0 or
 * ST_EINVAL with a message.
 */
int cmd_parse_shape(char *arg, struct shape_override *out, struct errbuf *eb);

/* Each command. */
int cmd_capture(int argc, char **argv);

/*
 * `info` for a Model Library Format folder, .tar, .tar.gz or .tgz: prints a summary (or JSON
 * with --json) to stdout. Returns an exit code (2 with a one-line error on bad input).
 */
int cmd_info_mlf(const char *path, bool json);

#endif
