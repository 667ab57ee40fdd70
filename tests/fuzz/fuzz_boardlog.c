/*
 * Board-log parser fuzz target: the record parser, the stream scanner fed in two pieces,
 * and the plain-form parser, on the same bytes. Every decoded tensor's bytes are touched
 * so that ASan sees any out-of-bounds data pointer.
 */
#include <string.h>

#include "fuzz.h"
#include "../../dump/boardlog.h"

static unsigned touch(const struct boardlog *log)
{
    unsigned sum = 0;
    for (size_t i = 0; i < log->n_tensors; i++) {
        const unsigned char *d = log->tensors[i].value.data;
        for (size_t k = 0; k < log->tensors[i].value.bytes; k++)
            sum += d[k];
        sum += (unsigned)strlen(log->tensors[i].name);
    }
    for (size_t i = 0; i < log->n_text; i++)
        if (log->text[i].bytes > 0)
            sum += log->src[log->text[i].offset + log->text[i].bytes - 1];
    for (size_t i = 0; i < log->n_problems; i++)
        sum += (unsigned)strlen(log->problems[i].message);
    return sum;
}

FUZZ_TARGET(boardlog)
{
    struct boardlog log;
    struct errbuf eb;
    volatile unsigned sink = 0;

    errbuf_init(&eb);
    boardlog_init(&log);
    if (boardlog_parse(data, size, &log, &eb) == 0) {
        sink += touch(&log);
        boardlog_release(&log);
    }

    struct boardlog_stream s;
    boardlog_stream_init(&s);
    boardlog_stream_feed(&s, data, size / 2);
    boardlog_stream_feed(&s, data + size / 2, size - size / 2);
    boardlog_stream_finish(&s);
    sink += (unsigned)s.n_tensors;

    errbuf_init(&eb);
    if (boardlog_parse_plain(data, size, "layer", DTYPE_UNKNOWN, BOARDLOG_PLAIN_AUTO, &log,
                             &eb) == 0) {
        sink += touch(&log);
        boardlog_release(&log);
    }
    (void)sink;
    return 0;
}
