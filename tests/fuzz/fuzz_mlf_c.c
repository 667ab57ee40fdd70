/*
 * Fuzz target: the MLF C scanner (one generated C file), then the linker that resolves it.
 * Any bytes must give 0 or an error, never a crash or a leak.
 */
#include "fuzz.h"

#include "../../src/mlf.h"

FUZZ_TARGET(mlf_c)
{
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    mlf_init(&m);
    if (mlf_parse_c(&m, "default_lib1.c", (const char *)data, size, &eb) == 0)
        mlf_link(&m, &eb);
    mlf_release(&m);
    return 0;
}
