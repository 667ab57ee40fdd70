/*
 * mlfscope_dump: writes the board-log format through a putc hook. Kept small for flash:
 * the CRC-32 uses a 16-entry nibble table (64 bytes) and base64 is encoded three bytes at
 * a time straight to the hook, so the emitter needs no buffer at all.
 */
#include "mlfscope_dump.h"

/* 76 base64 characters per data line (the MIME limit) = 19 groups of 3 bytes. */
#define DUMP_GROUPS_PER_LINE 19

/* crc32 of each nibble value under the reflected polynomial 0xedb88320. */
static const uint32_t dump_crc_nibble[16] = {
    0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu, 0x76dc4190u, 0x6b6b51f4u,
    0x4db26158u, 0x5005713cu, 0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
    0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu,
};

static const char dump_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

uint32_t mlfscope_dump_crc32(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = (const uint8_t *)data;
    crc = ~crc;
    while (n-- > 0) {
        crc ^= *p++;
        crc = (crc >> 4) ^ dump_crc_nibble[crc & 15u];
        crc = (crc >> 4) ^ dump_crc_nibble[crc & 15u];
    }
    return ~crc;
}

static void put_str(const struct mlfscope_dump *ctx, const char *s)
{
    while (*s != '\0')
        ctx->putc(*s++, ctx->user);
}

/* A name field: no spaces or control characters, never empty, so the line stays parseable. */
static void put_word(const struct mlfscope_dump *ctx, const char *s)
{
    if (s == NULL || *s == '\0') {
        ctx->putc('_', ctx->user);
        return;
    }
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        ctx->putc(c <= ' ' || c == 0x7f ? '_' : *s, ctx->user);
    }
}

static void put_uint(const struct mlfscope_dump *ctx, uint32_t v)
{
    char digits[10];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (n > 0)
        ctx->putc(digits[--n], ctx->user);
}

static void put_eol(const struct mlfscope_dump *ctx)
{
    if (ctx->crlf)
        ctx->putc('\r', ctx->user);
    ctx->putc('\n', ctx->user);
}

void mlfscope_dump_init(struct mlfscope_dump *ctx, mlfscope_dump_putc_fn putc, void *user)
{
    ctx->putc = putc;
    ctx->user = user;
    ctx->run_id = "_";
    ctx->crlf = 0;
}

void mlfscope_dump_begin(struct mlfscope_dump *ctx, const char *run_id, const char *model)
{
    ctx->run_id = run_id;
    put_str(ctx, "@mlfs begin ");
    put_word(ctx, run_id);
    ctx->putc(' ', ctx->user);
    put_word(ctx, model);
    put_eol(ctx);
}

void mlfscope_dump_tensor(struct mlfscope_dump *ctx, uint32_t index, const char *name,
                          enum mlfscope_dump_dtype dtype, const int32_t *dims, int rank,
                          const void *data, uint32_t nbytes)
{
    /* Fixed-width rows keep the table smaller than an array of pointers. */
    static const char dtype_names[5][8] = {"int8", "uint8", "int16", "int32", "float32"};
    const uint8_t *p = (const uint8_t *)data;
    uint32_t crc = mlfscope_dump_crc32(0, data, nbytes);
    uint32_t left = nbytes;
    int groups = 0;

    put_str(ctx, "@mlfs tensor ");
    put_uint(ctx, index);
    ctx->putc(' ', ctx->user);
    put_word(ctx, name);
    ctx->putc(' ', ctx->user);
    put_str(ctx, dtype_names[(unsigned)dtype <= MLFSCOPE_DUMP_FLOAT32 ? dtype : 0]);
    ctx->putc(' ', ctx->user);
    if (rank <= 0 || dims == NULL)
        rank = 0;
    for (int i = 0; i < rank; i++) {
        if (i > 0)
            ctx->putc('x', ctx->user);
        put_uint(ctx, dims[i] < 0 ? 0u : (uint32_t)dims[i]);
    }
    if (rank == 0)
        ctx->putc('1', ctx->user);
    ctx->putc(' ', ctx->user);
    put_uint(ctx, nbytes);
    ctx->putc(' ', ctx->user);
    for (int shift = 28; shift >= 0; shift -= 4)
        ctx->putc("0123456789abcdef"[(crc >> shift) & 15u], ctx->user);

    /* Three bytes become four characters; a short last group is padded with '='. */
    while (left > 0) {
        uint32_t n = left < 3 ? left : 3, v = 0;
        if (groups == 0) {
            put_eol(ctx);
            put_str(ctx, "@mlfs data ");
        }
        for (uint32_t i = 0; i < 3; i++)
            v = v << 8 | (i < n ? p[i] : 0u);
        for (uint32_t i = 0; i < 4; i++)
            ctx->putc(i <= n ? dump_b64[(v >> (18 - 6 * i)) & 63u] : '=', ctx->user);
        p += n;
        left -= n;
        if (++groups == DUMP_GROUPS_PER_LINE)
            groups = 0;
    }
    put_eol(ctx);
    put_str(ctx, "@mlfs end-tensor ");
    put_uint(ctx, index);
    put_eol(ctx);
}

void mlfscope_dump_end(struct mlfscope_dump *ctx)
{
    put_str(ctx, "@mlfs end ");
    put_word(ctx, ctx->run_id);
    put_eol(ctx);
}
