/*
 * Temporary: `mlfscope mlfinfo MLF [--json]` runs the MLF part of `info` until cmd_info.c
 * is on main and dispatches to cmd_info_mlf.
 */
#include <string.h>

#include "cmd.h"
#include "banned.h"

/* command: mlfinfo | summary of an MLF (temporary; becomes part of info) */

int cmd_mlfinfo(int argc, char **argv);
int cmd_mlfinfo(int argc, char **argv)
{
    bool json = false;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = true;
        else if (path == NULL)
            path = argv[i];
        else
            return cmd_usage_error("mlfinfo", "one MLF at a time");
    }
    if (path == NULL)
        return cmd_usage_error("mlfinfo", "expected an MLF folder or archive");
    return cmd_info_mlf(path, json);
}
