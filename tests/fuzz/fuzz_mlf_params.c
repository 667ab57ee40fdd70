/*
 * Fuzz target: the NDArray container reader for parameters/NAME.params.
 * Any bytes must give 0 or an error, never a crash or a leak.
 */
#include "fuzz.h"

#include "../../src/mlf.h"

FUZZ_TARGET(mlf_params)
{
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    mlf_init(&m);
    if (mlf_parse_params(&m, "default.params", data, size, &eb) == 0)
        mlf_link(&m, &eb);
    mlf_release(&m);
    return 0;
}
