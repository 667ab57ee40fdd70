/*
 * Fuzz target: the store-extent analysis of TVM C function bodies (instrument_extent.c) on
 * any bytes, for the output names TVM uses, and the step plan of whatever the C scanner
 * makes of the same bytes. Never a crash or a leak.
 */
#include "fuzz.h"

#include "../../src/instrument.h"
#include "../../src/instrument_int.h"
#include "../../src/mlf.h"

FUZZ_TARGET(instrument)
{
    static const char *const names[] = {"T_cast", "T_subtract", "compute", "T_relu"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t bytes = 0;
        (void)instrument_write_extent((const char *)data, size, names[i], 1 + i, &bytes);
    }
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    mlf_init(&m);
    if (mlf_parse_c(&m, "default_lib1.c", (const char *)data, size, &eb) == 0 &&
        mlf_link(&m, &eb) == 0) {
        struct instrument_plan plan;
        if (instrument_plan(&m, NULL, 0, &plan, &eb) == 0) {
            (void)instrument_select(&plan, "0,1-2,sid_1_let", &eb);
            instrument_plan_release(&plan);
        }
    }
    mlf_release(&m);
    return 0;
}
