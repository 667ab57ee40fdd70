/*
 * mlfscope_dump: the board-log emitter firmware authors add to their application.
 * Freestanding C99: no allocation, no stdio, no globals; every byte leaves through the
 * caller's putc hook (a UART, an RTT channel, a ring buffer). The output is the mlfscope
 * board-log format (docs/board-log.md): `@mlfs` records with base64 data and a CRC-32, so a
 * dropped or flipped byte on the wire is detected on the host instead of silently accepted.
 * Copy these two files into the firmware; they depend on nothing else.
 */
#ifndef MLFSCOPE_DUMP_H
#define MLFSCOPE_DUMP_H

#include <stddef.h>
#include <stdint.h>

/* Sends one character. `user` is the pointer given to mlfscope_dump_init. */
typedef void (*mlfscope_dump_putc_fn)(char c, void *user);

/* Element types a board log can carry (printed as int8, uint8, int16, int32, float32). */
enum mlfscope_dump_dtype {
    MLFSCOPE_DUMP_INT8,
    MLFSCOPE_DUMP_UINT8,
    MLFSCOPE_DUMP_INT16,
    MLFSCOPE_DUMP_INT32,
    MLFSCOPE_DUMP_FLOAT32
};

/* Emitter state; fill with mlfscope_dump_init. Holds no buffers. */
struct mlfscope_dump {
    mlfscope_dump_putc_fn putc; /* output hook, never NULL after init */
    void *user;                 /* passed to putc */
    const char *run_id;         /* borrowed from mlfscope_dump_begin, repeated by _end */
    int crlf;                   /* nonzero: end lines with "\r\n" instead of "\n" */
};

/* Prepares ctx to write through putc(c, user). Lines end in "\n" (set ctx->crlf for "\r\n"). */
void mlfscope_dump_init(struct mlfscope_dump *ctx, mlfscope_dump_putc_fn putc, void *user);

/*
 * Writes "@mlfs begin <run_id> <model>". Spaces and control characters in either string
 * become '_' (an empty string becomes "_"). run_id is borrowed until mlfscope_dump_end.
 */
void mlfscope_dump_begin(struct mlfscope_dump *ctx, const char *run_id, const char *model);

/*
 * Writes one tensor: the "@mlfs tensor" header (index, name, dtype, dims joined by 'x',
 * nbytes, CRC-32), the bytes as base64 in "@mlfs data" lines of at most 76 characters, and
 * "@mlfs end-tensor <index>". `data` is the tensor in memory order, `nbytes` its length;
 * rank 0 is written as the shape "1". An unknown dtype is written as int8.
 */
void mlfscope_dump_tensor(struct mlfscope_dump *ctx, uint32_t index, const char *name,
                          enum mlfscope_dump_dtype dtype, const int32_t *dims, int rank,
                          const void *data, uint32_t nbytes);

/* Writes "@mlfs end <run_id>". */
void mlfscope_dump_end(struct mlfscope_dump *ctx);

/*
 * IEEE CRC-32 (the zlib / PNG / Ethernet one) of n bytes, continuing from `crc` (0 to
 * start): mlfscope_dump_crc32(0, "123456789", 9) == 0xcbf43926.
 */
uint32_t mlfscope_dump_crc32(uint32_t crc, const void *data, size_t n);

#endif
