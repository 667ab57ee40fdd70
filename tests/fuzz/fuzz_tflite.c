/*
 * Fuzz target for the TFLite loader (and through it the flatbuffer reader): any bytes must
 * load or fail cleanly, with no crash, leak or read outside the buffer.
 */
#include "fuzz.h"

#include "../../src/graph.h"
#include "../../src/tflite.h"

FUZZ_TARGET(tflite)
{
    struct graph g;
    struct errbuf eb;
    errbuf_init(&eb);
    graph_init(&g);
    if (tflite_load_buffer(&g, data, size, "fuzz.tflite", NULL, &eb) == 0)
        graph_release(&g);
    return 0;
}
