/*
 * index.json (run/twin output folders) fuzz target: any bytes either give a trace or fail
 * with a message. The folder does not exist, so every listed tensor becomes missing.
 */
#include "fuzz.h"
#include "../../src/trace.h"

FUZZ_TARGET(trace_index)
{
    struct trace t;
    struct errbuf eb;
    errbuf_init(&eb);
    trace_init(&t);
    if (trace_parse_index(data, size, "/nonexistent-mlfscope-fuzz", &t, &eb) == 0)
        trace_release(&t);
    return 0;
}
