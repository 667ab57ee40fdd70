/*
 * Helpers shared by the commands: error printing, usage errors, common option parsing.
 */
#include "cmd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

int cmd_fail(const struct errbuf *eb)
{
    fprintf(stderr, "mlfscope: error: %s\n",
            eb->msg[0] ? eb->msg : errbuf_status_text(eb->code));
    if (eb->code == ST_ENOMEM || eb->code == ST_EINTERNAL)
        return EXIT_INTERNAL;
    return EXIT_USAGE;
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("mlfscope: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nsee 'mlfscope %s --help'\n", cmd);
    return EXIT_USAGE;
}

void cmd_warn(const char *fmt, ...)
{
    va_list ap;
    fputs("mlfscope: warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

bool cmd_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return true;
    }
    return false;
}

int cmd_print_help(const char *usage)
{
    fputs(usage, stdout);
    return EXIT_OK;
}

int cmd_parse_shape(char *arg, struct shape_override *out, struct errbuf *eb)
{
    char *eq = strchr(arg, '=');
    char *p = arg;

    memset(out, 0, sizeof *out);
    if (eq != NULL) {
        *eq = '\0';
        out->name = arg;
        p = eq + 1;
    }
    while (*p != '\0') {
        char *end;
        errno = 0;
        long long d = strtoll(p, &end, 10);
        if (end == p || errno != 0 || d < 0 || d > (1LL << 40))
            return errbuf_set(eb, ST_EINVAL,
                              "--input-shape: expected [NAME=]d0,d1,... with dims >= 0, got '%s'",
                              p);
        if (out->rank == GRAPH_MAX_RANK)
            return errbuf_set(eb, ST_EINVAL, "--input-shape: more than %d dims", GRAPH_MAX_RANK);
        out->dims[out->rank++] = d;
        if (*end == ',' || *end == 'x')
            end++;
        else if (*end != '\0')
            return errbuf_set(eb, ST_EINVAL, "--input-shape: unexpected '%c' in '%s'", *end, p);
        p = end;
    }
    if (out->rank == 0)
        return errbuf_set(eb, ST_EINVAL, "--input-shape: no dims given");
    return 0;
}
