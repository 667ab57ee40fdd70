/*
 * Board logs: what a microcontroller printed on its serial line, parsed into runs of
 * tensors. The `@mlfs` record format (docs/board-log.md) carries each tensor as base64
 * with its size and CRC-32; a tensor whose payload is damaged is kept, marked corrupt with
 * the reason and line, and every intact one stays usable. Lines that are not records are
 * the firmware's own output and are kept (as byte ranges) for display.
 *
 * Lifetime: a struct boardlog owns one arena holding every array, name and decoded tensor
 * byte; boardlog_release() frees it all. Text ranges point into the source bytes, which
 * boardlog_open keeps mapped and boardlog_parse borrows from the caller.
 */
#ifndef MLFSCOPE_BOARDLOG_H
#define MLFSCOPE_BOARDLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "errbuf.h"
#include "fileio.h"
#include "graph.h"

/* X(enum, text): why a tensor is corrupt (BOARDLOG_INTACT for a good one). */
#define BOARDLOG_REASON_LIST(X)                              \
    X(BOARDLOG_INTACT, "ok")                                 \
    X(BOARDLOG_BAD_CRC, "bad crc")                           \
    X(BOARDLOG_SHORT_PAYLOAD, "short payload")               \
    X(BOARDLOG_LONG_PAYLOAD, "long payload")                 \
    X(BOARDLOG_MISSING_END, "missing end")                   \
    X(BOARDLOG_GARBAGE, "garbage inside a record")           \
    X(BOARDLOG_BAD_BASE64, "bad base64")                     \
    X(BOARDLOG_BAD_HEADER, "bad tensor header")

enum boardlog_reason {
#define BOARDLOG_REASON_ENUM(e, text) e,
    BOARDLOG_REASON_LIST(BOARDLOG_REASON_ENUM)
#undef BOARDLOG_REASON_ENUM
    BOARDLOG_REASON_COUNT
};

/* "bad crc", "short payload", ...; "ok" for BOARDLOG_INTACT. */
const char *boardlog_reason_text(enum boardlog_reason r);

enum boardlog_status { BOARDLOG_OK, BOARDLOG_CORRUPT };

struct boardlog_tensor {
    int64_t index;              /* step or layer index the emitter was given (-1 if unreadable) */
    const char *name;           /* arena; "?" when the header could not be read */
    struct tensor_value value;  /* dtype, rank, dims; data = decoded bytes (arena, borrowed),
                                   bytes = how many were decoded (may differ from declared) */
    size_t declared_bytes;      /* <nbytes> from the header */
    uint32_t declared_crc;      /* <crc32> from the header */
    uint32_t crc;               /* CRC-32 of the decoded bytes */
    bool has_crc;               /* false for the plain (hand-printed) forms */
    enum boardlog_status status;
    enum boardlog_reason reason;    /* BOARDLOG_INTACT when ok, else the first problem */
    size_t line;                /* 1-based line of the "@mlfs tensor" record */
    size_t problem_line;        /* line where the problem was seen (0 when ok) */
    size_t run;                 /* index into boardlog.runs */
};

struct boardlog_run {
    const char *run_id;         /* arena; "" for tensors that came before any "@mlfs begin" */
    const char *model;          /* arena; "" when unknown */
    size_t line;                /* line of "@mlfs begin"; 0 for the implicit run */
    size_t end_line;            /* line of "@mlfs end"; 0 when the run never ended */
    size_t first_tensor;        /* its tensors are tensors[first_tensor .. +n_tensors) */
    size_t n_tensors;
};

/* Consecutive lines of the firmware's own output (not records). */
struct boardlog_text {
    size_t line;                /* 1-based first line */
    size_t n_lines;
    size_t offset;              /* byte offset of the first line in the source */
    size_t bytes;               /* through the last line's terminator */
};

struct boardlog_problem {
    size_t line;                /* 1-based line where it was seen */
    long tensor;                /* index into boardlog.tensors, or -1 (run-level or stray) */
    const char *message;        /* arena; "line 12: tensor 3 'conv1': bad crc (...)" */
};

struct boardlog {
    struct arena arena;             /* owns everything below except `src` */
    struct filebuf file;            /* the mapped log (boardlog_open); empty otherwise */
    const uint8_t *src;             /* the bytes parsed; text ranges index into it */
    size_t src_bytes;
    size_t n_lines;                 /* lines in the source (a final unterminated one counts) */
    size_t n_runs;
    struct boardlog_run *runs;      /* arena */
    size_t n_tensors;
    struct boardlog_tensor *tensors;    /* arena, in log order */
    size_t n_corrupt;               /* tensors with status BOARDLOG_CORRUPT */
    size_t n_text;
    struct boardlog_text *text;     /* arena */
    size_t n_problems;
    struct boardlog_problem *problems;  /* arena, in line order of detection */
};

/* Makes an empty log (nothing allocated). */
void boardlog_init(struct boardlog *log);

/* Frees the arena and unmaps the file; log is empty afterwards. Safe on an empty log. */
void boardlog_release(struct boardlog *log);

/*
 * Parses a whole log held in memory. Damage in the log is not an error: it is reported in
 * log->problems and in each tensor's status. Fails only with ST_ENOMEM, leaving *log
 * untouched. On success *log owns a new arena;
 * `buf` is borrowed and must outlive log (text ranges point into it). *log must be empty.
 */
int boardlog_parse(const void *buf, size_t bytes, struct boardlog *log, struct errbuf *eb);

/* Maps `path` and parses it; the mapping is kept in log->file until boardlog_release. */
int boardlog_open(const char *path, struct boardlog *log, struct errbuf *eb);

/* How to read the numbers of a hand-printed block. */
enum boardlog_plain_format {
    BOARDLOG_PLAIN_AUTO,        /* hex if a line has an "0000:" offset or a token has a-f */
    BOARDLOG_PLAIN_DECIMAL,     /* comma- or space-separated decimal integers */
    BOARDLOG_PLAIN_HEX,         /* hex bytes ("7f 80 01", "0x7f,0x80", "0010: 7f 80 ...") */
};

/*
 * Parses a hand-printed block: optional label lines, then lines of numbers (up to the first
 * non-number line after them). The block becomes one tensor named `layer_name`, rank 1, in
 * one implicit run; label lines become text. `dtype` is the element type (DTYPE_S8, U8, S16,
 * S32) or DTYPE_UNKNOWN to pick the narrowest of int8, uint8, int16, int32 that holds every
 * value; hex bytes are taken as the raw bytes of that type (int8 when unknown).
 * Fails with ST_EPARSE (no numbers, a value out of range for dtype, naming the line) or
 * ST_ENOMEM; *log untouched on failure. `buf` is borrowed as in boardlog_parse.
 */
int boardlog_parse_plain(const void *buf, size_t bytes, const char *layer_name,
                         enum dtype dtype, enum boardlog_plain_format format,
                         struct boardlog *log, struct errbuf *eb);

/*
 * The state of the tensor being read; shared by the whole-log parser and the stream.
 * Public only so that struct boardlog_stream can be a plain value; do not touch.
 */
struct boardlog_cursor {
    bool open;                  /* between "@mlfs tensor" and its end */
    int64_t index;
    size_t line;                /* line of its "@mlfs tensor" */
    size_t declared_bytes;
    uint32_t declared_crc;
    size_t got_bytes;           /* decoded so far (also past what could be stored) */
    uint32_t crc;               /* running CRC-32 (stream mode) */
    uint32_t quad;              /* base64 sextets not yet complete */
    int n_quad;                 /* how many (0..3) */
    bool padded;                /* '=' seen: the payload is over */
    enum boardlog_reason reason;
    size_t problem_line;
    char name[64];              /* stream mode: the name, truncated */
};

/*
 * Incremental scanning for live progress (capture): feed bytes as they arrive, read the
 * counters at any time. Keeps no tensor data (the CRC is computed on the fly) and
 * allocates nothing; a line longer than BOARDLOG_STREAM_LINE_BYTES is treated as text.
 */
#define BOARDLOG_STREAM_LINE_BYTES 1024

struct boardlog_stream {
    uint64_t bytes;             /* bytes fed */
    size_t n_lines;             /* complete lines seen */
    size_t n_runs;              /* "@mlfs begin" records */
    size_t n_runs_ended;        /* "@mlfs end" records */
    size_t n_tensors;           /* tensors finished (ok or corrupt) */
    size_t n_corrupt;           /* of which corrupt */
    size_t n_bad_crc;           /* of which corrupt for a bad crc */
    char last_tensor[64];       /* name of the last finished tensor, NUL-terminated */
    /* private */
    struct boardlog_cursor cur;
    size_t line_len;            /* bytes in line[] */
    bool line_overflow;         /* the current line outgrew line[] */
    char line[BOARDLOG_STREAM_LINE_BYTES];
};

/* Resets all counters and state. */
void boardlog_stream_init(struct boardlog_stream *s);

/* Consumes n bytes (any split, even mid-line). Never fails, never allocates. */
void boardlog_stream_feed(struct boardlog_stream *s, const void *bytes, size_t n);

/* Counts a final unterminated line, and a still-open tensor as corrupt (missing end). */
void boardlog_stream_finish(struct boardlog_stream *s);

/* Parses "int8" ... "float32" (the board-log dtype names); DTYPE_UNKNOWN otherwise. */
enum dtype boardlog_dtype_from_name(const char *name, size_t len);

#endif
