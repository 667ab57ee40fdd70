/*
 * Fuzz target: the MLF Relay text scanner.
 * Any bytes must give 0 or an error, never a crash or a leak.
 */
#include "fuzz.h"

#include "../../src/mlf.h"

FUZZ_TARGET(mlf_relay)
{
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    mlf_init(&m);
    if (mlf_parse_relay(&m, "default.relay", (const char *)data, size, &eb) == 0)
        mlf_link(&m, &eb);
    mlf_release(&m);
    return 0;
}
