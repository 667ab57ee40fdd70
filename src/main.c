/*
 * mlfscope: git-style entry point. Looks a command up in a sorted table and runs it;
 * suggests the nearest command name on a typo.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "cmd_list.h"
#include "banned.h"

static int cmd_help(int argc, char **argv);

/* Sorted by name; each row comes from the "command:" marker in src/cmd_<name>.c. */
static const struct cmd_entry commands[] = {
    CMD_TABLE_ROWS
    {"help", cmd_help, "list the commands, or show one command's help"},
};

static const size_t n_commands = sizeof commands / sizeof commands[0];

static void print_overview(FILE *out)
{
    fputs("usage: mlfscope <command> [options]\n\n"
          "Inspect TVM Model Library Format (MLF) builds next to the ONNX or TFLite model\n"
          "they came from: where each layer went, what it computes, and where a board's\n"
          "numbers first diverge.\n\ncommands:\n",
          out);
    for (size_t i = 0; i < n_commands; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'mlfscope <command> --help' shows a command's options.\n"
          "exit codes: 0 ok, 1 a difference was found, 2 bad usage or input, 3 internal error\n",
          out);
}

static const struct cmd_entry *find_command(const char *name)
{
    for (size_t i = 0; i < n_commands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* Levenshtein distance, for "did you mean" (names are short). */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];
    if (la >= 63 || lb >= 63)
        return (size_t)-1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int unknown_command(const char *name)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < n_commands; i++) {
        size_t d = edit_distance(name, commands[i].name);
        if (d < best_d) {
            best_d = d;
            best = commands[i].name;
        }
    }
    fprintf(stderr, "mlfscope: error: unknown command '%s'", name);
    if (best != NULL && best_d <= 2)
        fprintf(stderr, "; did you mean '%s'?", best);
    fputs("\nsee 'mlfscope help'\n", stderr);
    return EXIT_USAGE;
}

static int cmd_help(int argc, char **argv)
{
    if (argc >= 2) {
        const struct cmd_entry *c = find_command(argv[1]);
        if (c == NULL)
            return unknown_command(argv[1]);
        if (c->fn != cmd_help) {
            char *help_argv[] = {argv[1], (char *)"--help", NULL};
            return c->fn(2, help_argv);
        }
    }
    print_overview(stdout);
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cmd_help(1, argv + 1);
    if (strcmp(argv[1], "--version") == 0) {
        puts("mlfscope 0.1");
        return EXIT_OK;
    }
    const struct cmd_entry *c = find_command(argv[1]);
    if (c == NULL)
        return unknown_command(argv[1]);
    return c->fn(argc - 1, argv + 1);
}
