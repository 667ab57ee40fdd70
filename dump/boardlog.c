/*
 * Board-log parser. One pass over the bytes: split lines with memchr, recognise `@mlfs `
 * records, decode base64 with a 256-entry table into a reused scratch buffer, check size
 * and CRC-32 (zlib) at end-tensor and copy the bytes into the log's arena. Nothing is
 * allocated per line: the result arrays grow by doubling inside the arena. The same line
 * handler drives the allocation-free stream scanner that capture uses for live progress.
 */
#include "boardlog.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "mem.h"
#include "banned.h"

#define B64_BAD 0xff
#define B64_PAD 0xfe

static const char *const reason_texts[] = {
#define BOARDLOG_REASON_TEXT(e, text) text,
    BOARDLOG_REASON_LIST(BOARDLOG_REASON_TEXT)
#undef BOARDLOG_REASON_TEXT
};
_Static_assert(sizeof reason_texts / sizeof reason_texts[0] == BOARDLOG_REASON_COUNT,
               "reason_texts must match BOARDLOG_REASON_LIST");

const char *boardlog_reason_text(enum boardlog_reason r)
{
    return (unsigned)r < BOARDLOG_REASON_COUNT ? reason_texts[r] : "unknown";
}

/* base64 value of each byte; B64_PAD for '=', B64_BAD for everything else. */
static const uint8_t b64_table[256] = {
#define B64_ROW16 B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, \
                  B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD
    B64_ROW16, B64_ROW16,
    /* ' ' .. '/' */
    B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
    B64_BAD, B64_BAD, B64_BAD, 62, B64_BAD, B64_BAD, B64_BAD, 63,
    /* '0' .. '?' */
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, B64_BAD, B64_BAD, B64_BAD, B64_PAD, B64_BAD, B64_BAD,
    /* '@' .. 'O' */
    B64_BAD, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    /* 'P' .. '_' */
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
    /* '`' .. 'o' */
    B64_BAD, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    /* 'p' .. DEL */
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, B64_BAD, B64_BAD, B64_BAD, B64_BAD, B64_BAD,
    B64_ROW16, B64_ROW16, B64_ROW16, B64_ROW16, B64_ROW16, B64_ROW16, B64_ROW16, B64_ROW16,
#undef B64_ROW16
};
_Static_assert(sizeof b64_table == 256, "b64_table has 256 entries");

enum dtype boardlog_dtype_from_name(const char *name, size_t len)
{
    static const struct {
        const char *name;
        enum dtype dtype;
    } names[] = {{"int8", DTYPE_S8}, {"uint8", DTYPE_U8}, {"int16", DTYPE_S16},
                 {"int32", DTYPE_S32}, {"float32", DTYPE_F32}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == len && memcmp(names[i].name, name, len) == 0)
            return names[i].dtype;
    return DTYPE_UNKNOWN;
}

/* zlib's crc32 takes 32-bit lengths on some builds; feed it in chunks. */
static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        crc = (uint32_t)crc32(crc, p, chunk);
        p += chunk;
        n -= chunk;
    }
    return crc;
}

/* ---- line-level parsing state ---------------------------------------------------------- */

struct parser {
    struct boardlog *log;           /* full mode: the result being built; NULL in stream mode */
    struct boardlog_stream *stream; /* stream mode: the counters; NULL in full mode */
    struct boardlog_cursor *cur;
    const uint8_t *src_end;         /* full mode: end of input (bounds the decode buffer) */
    uint8_t *buf;                   /* full mode: decode scratch (heap, reused, freed at the end) */
    size_t buf_cap;                 /* bytes allocated at buf */
    size_t limit;                   /* bytes of the open tensor worth keeping */
    long tensor;                    /* full mode: index of the open tensor in log->tensors */
    bool run_open;
    bool stray_data;                /* the previous line was a data record outside a tensor */
    size_t cap_runs, cap_tensors, cap_text, cap_problems;
    bool oom;
};

/* A slice of a line. */
struct tok {
    const char *p;
    size_t n;
};

static bool grow(struct arena *a, void *arrp, size_t *cap, size_t n, size_t size)
{
    void **arr = arrp;
    if (n < *cap)
        return true;
    size_t new_cap = *cap ? *cap * 2 : 16;
    void *na = arena_array(a, new_cap, size);
    if (na == NULL)
        return false;
    if (n > 0)
        memcpy(na, *arr, n * size);
    *arr = na;
    *cap = new_cap;
    return true;
}

static void add_problem(struct parser *ps, size_t line, long tensor, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_problem(struct parser *ps, size_t line, long tensor, const char *fmt, ...)
{
    struct boardlog *log = ps->log;
    char msg[240];
    va_list ap;
    if (log == NULL || ps->oom)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!grow(&log->arena, &log->problems, &ps->cap_problems, log->n_problems,
              sizeof *log->problems)) {
        ps->oom = true;
        return;
    }
    struct boardlog_problem *pr = &log->problems[log->n_problems];
    pr->line = line;
    pr->tensor = tensor;
    pr->message = arena_printf(&log->arena, "line %zu: %s", line, msg);
    if (pr->message == NULL) {
        ps->oom = true;
        return;
    }
    log->n_problems++;
}

/* Marks the open tensor corrupt, unless an earlier problem already did (first one wins). */
static void tensor_fail(struct parser *ps, enum boardlog_reason r, size_t line)
{
    if (ps->cur->reason == BOARDLOG_INTACT) {
        ps->cur->reason = r;
        ps->cur->problem_line = line;
    }
}

/* Finishes the open tensor: final checks, status, problem report, counters. */
static void close_tensor(struct parser *ps, size_t line, bool saw_end)
{
    struct boardlog_cursor *c = ps->cur;
    uint32_t crc;

    if (!saw_end)
        tensor_fail(ps, BOARDLOG_MISSING_END, c->line);
    else if (c->n_quad != 0)
        tensor_fail(ps, BOARDLOG_BAD_BASE64, line);
    else if (c->got_bytes < c->declared_bytes)
        tensor_fail(ps, BOARDLOG_SHORT_PAYLOAD, line);
    else if (c->got_bytes > c->declared_bytes)
        tensor_fail(ps, BOARDLOG_LONG_PAYLOAD, line);

    if (ps->log != NULL) {
        size_t kept = c->got_bytes < ps->limit ? c->got_bytes : ps->limit;
        crc = crc_update(0, ps->buf, kept);
    } else {
        crc = c->crc;
    }
    if (c->reason == BOARDLOG_INTACT && crc != c->declared_crc)
        tensor_fail(ps, BOARDLOG_BAD_CRC, c->line);

    if (ps->log != NULL) {
        struct boardlog_tensor *t = &ps->log->tensors[ps->tensor];
        t->crc = crc;
        size_t kept = c->got_bytes < ps->limit ? c->got_bytes : ps->limit;
        t->value.data = kept > 0 ? arena_memdup(&ps->log->arena, ps->buf, kept)
                                 : arena_alloc(&ps->log->arena, 0);
        t->value.bytes = kept;
        if (t->value.data == NULL)
            ps->oom = true;
        t->reason = c->reason;
        t->problem_line = c->problem_line;
        t->status = c->reason == BOARDLOG_INTACT ? BOARDLOG_OK : BOARDLOG_CORRUPT;
        if (t->status == BOARDLOG_CORRUPT) {
            ps->log->n_corrupt++;
            switch (c->reason) {
            case BOARDLOG_BAD_CRC:
                add_problem(ps, c->line, ps->tensor,
                            "tensor %lld '%s': bad crc: header says %08x, data gives %08x",
                            (long long)c->index, t->name, (unsigned)c->declared_crc,
                            (unsigned)crc);
                break;
            case BOARDLOG_SHORT_PAYLOAD:
            case BOARDLOG_LONG_PAYLOAD:
                add_problem(ps, c->problem_line, ps->tensor,
                            "tensor %lld '%s' (line %zu): %s: %zu bytes decoded, header says %zu",
                            (long long)c->index, t->name, c->line,
                            boardlog_reason_text(c->reason), c->got_bytes, c->declared_bytes);
                break;
            case BOARDLOG_MISSING_END:
                add_problem(ps, c->line, ps->tensor,
                            "tensor %lld '%s': missing end: no end-tensor before line %zu",
                            (long long)c->index, t->name, line);
                break;
            default:
                add_problem(ps, c->problem_line, ps->tensor, "tensor %lld '%s' (line %zu): %s",
                            (long long)c->index, t->name, c->line,
                            boardlog_reason_text(c->reason));
                break;
            }
        }
        ps->limit = 0;
        ps->tensor = -1;
    } else {
        struct boardlog_stream *s = ps->stream;
        s->n_tensors++;
        if (c->reason != BOARDLOG_INTACT)
            s->n_corrupt++;
        if (c->reason == BOARDLOG_BAD_CRC)
            s->n_bad_crc++;
        memcpy(s->last_tensor, c->name, sizeof s->last_tensor);
    }
    c->open = false;
}

/*
 * Decodes base64 characters, carrying partial groups in the cursor. Writes the bytes at
 * dst while they fit in `room`; returns how many the characters encode (possibly more).
 */
static size_t b64_decode(struct parser *ps, const uint8_t *s, size_t n, uint8_t *dst,
                         size_t room, size_t line)
{
    struct boardlog_cursor *c = ps->cur;
    size_t out = 0, i = 0;

    /* Fast path: whole groups of four valid characters. */
    if (c->n_quad == 0 && !c->padded) {
        while (n - i >= 4) {
            uint8_t a = b64_table[s[i]], b = b64_table[s[i + 1]];
            uint8_t d = b64_table[s[i + 2]], e = b64_table[s[i + 3]];
            if ((a | b | d | e) & 0xc0)
                break;
            uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)d << 6 | e;
            if (out + 3 <= room) {
                dst[out] = (uint8_t)(v >> 16);
                dst[out + 1] = (uint8_t)(v >> 8);
                dst[out + 2] = (uint8_t)v;
            } else {
                for (int k = 0; k < 3; k++)
                    if (out + (size_t)k < room)
                        dst[out + (size_t)k] = (uint8_t)(v >> (16 - 8 * k));
            }
            out += 3;
            i += 4;
        }
    }
    for (; i < n; i++) {
        uint8_t v = b64_table[s[i]];
        uint8_t bytes[3];
        int nb = 0;
        if (v < 64) {
            if (c->padded) {
                tensor_fail(ps, BOARDLOG_BAD_BASE64, line);
                return out;
            }
            c->quad = c->quad << 6 | v;
            if (++c->n_quad < 4)
                continue;
            bytes[0] = (uint8_t)(c->quad >> 16);
            bytes[1] = (uint8_t)(c->quad >> 8);
            bytes[2] = (uint8_t)c->quad;
            nb = 3;
            c->n_quad = 0;
            c->quad = 0;
        } else if (v == B64_PAD && (c->n_quad == 2 || c->n_quad == 3)) {
            /* "xx==" carries one byte, "xxx=" two. */
            if (c->n_quad == 2) {
                bytes[0] = (uint8_t)(c->quad >> 4);
                nb = 1;
            } else {
                bytes[0] = (uint8_t)(c->quad >> 10);
                bytes[1] = (uint8_t)(c->quad >> 2);
                nb = 2;
            }
            c->n_quad = 0;
            c->quad = 0;
            c->padded = true;
        } else if (v == B64_PAD && c->padded && c->n_quad == 0) {
            continue;   /* the second '=' of "xx==" */
        } else {
            tensor_fail(ps, v == B64_PAD ? BOARDLOG_BAD_BASE64
                            : (s[i] == ' ' || s[i] == '\t') ? BOARDLOG_GARBAGE
                            : BOARDLOG_BAD_BASE64, line);
            return out;
        }
        for (int k = 0; k < nb; k++, out++)
            if (out < room)
                dst[out] = bytes[k];
    }
    return out;
}

static void on_data(struct parser *ps, const uint8_t *s, size_t n, size_t line)
{
    struct boardlog_cursor *c = ps->cur;
    if (ps->log != NULL) {
        /*
         * The scratch grows with the data that actually arrives (doubling, up to what the
         * tensor may hold), so a header that claims gigabytes costs nothing by itself.
         */
        size_t need = n / 4 * 3 + 3, want = c->got_bytes + need;
        if (want > ps->limit)
            want = ps->limit;
        if (want > ps->buf_cap) {
            size_t cap = ps->buf_cap * 2 > want ? ps->buf_cap * 2 : want;
            cap = cap < 65536 ? 65536 : cap;
            void *nb = mem_realloc(ps->buf, cap);
            if (nb == NULL) {
                ps->oom = true;
                return;
            }
            ps->buf = nb;
            ps->buf_cap = cap;
        }
        size_t lim = ps->limit < ps->buf_cap ? ps->limit : ps->buf_cap;
        size_t room = lim > c->got_bytes ? lim - c->got_bytes : 0;
        c->got_bytes += b64_decode(ps, s, n, room ? ps->buf + c->got_bytes : ps->buf, room, line);
    } else {
        uint8_t tmp[BOARDLOG_STREAM_LINE_BYTES];
        size_t got = b64_decode(ps, s, n, tmp, sizeof tmp, line);
        c->crc = crc_update(c->crc, tmp, got < sizeof tmp ? got : sizeof tmp);
        c->got_bytes += got;
    }
}

static bool parse_u64(struct tok t, uint64_t *out)
{
    uint64_t v = 0;
    if (t.n == 0 || t.n > 19)
        return false;
    for (size_t i = 0; i < t.n; i++) {
        if (t.p[i] < '0' || t.p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(t.p[i] - '0');
    }
    *out = v;
    return true;
}

/* Splits at spaces and tabs; returns how many tokens (at most max, the last takes the rest). */
static size_t split(const char *p, size_t n, struct tok *toks, size_t max)
{
    size_t k = 0, i = 0;
    while (k < max) {
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i == n)
            break;
        size_t b = i;
        if (k + 1 == max) {
            i = n;
        } else {
            while (i < n && p[i] != ' ' && p[i] != '\t')
                i++;
        }
        toks[k].p = p + b;
        toks[k].n = i - b;
        k++;
    }
    return k;
}

static bool ensure_run(struct parser *ps, size_t line);

/* "@mlfs tensor <index> <name> <dtype> <dims> <nbytes> <crc32>" */
static void on_tensor(struct parser *ps, const char *args, size_t n, size_t line)
{
    struct boardlog_cursor *c = ps->cur;
    struct tok tk[7];
    size_t k = split(args, n, tk, 7);
    uint64_t u;
    enum dtype dt = DTYPE_UNKNOWN;
    int rank = 0;
    int64_t dims[GRAPH_MAX_RANK] = {0};
    bool ok = k == 6;
    const char *why = k < 6 ? "fields missing" : k > 6 ? "extra fields" : NULL;

    memset(c, 0, sizeof *c);
    c->open = true;
    c->line = line;
    c->index = -1;
    if (k >= 1 && parse_u64(tk[0], &u) && u <= INT64_MAX) {
        c->index = (int64_t)u;
    } else if (ok) {
        ok = false;
        why = "bad index";
    }
    if (k >= 3) {
        dt = boardlog_dtype_from_name(tk[2].p, tk[2].n);
        if (dt == DTYPE_UNKNOWN && ok) {
            ok = false;
            why = "unknown dtype";
        }
    }
    if (k >= 4) {
        const char *p = tk[3].p, *e = tk[3].p + tk[3].n;
        while (p < e) {
            const char *x = memchr(p, 'x', (size_t)(e - p));
            struct tok d = {p, x ? (size_t)(x - p) : (size_t)(e - p)};
            if (rank == GRAPH_MAX_RANK || !parse_u64(d, &u) || u > INT64_MAX) {
                if (ok)
                    why = rank == GRAPH_MAX_RANK ? "too many dims" : "bad dims";
                ok = false;
                break;
            }
            dims[rank++] = (int64_t)u;
            p = x ? x + 1 : e;
            if (x != NULL && p == e) {
                if (ok)
                    why = "bad dims";
                ok = false;
            }
        }
    }
    if (k >= 5) {
        if (parse_u64(tk[4], &u) && u <= SIZE_MAX) {
            c->declared_bytes = (size_t)u;
        } else if (ok) {
            ok = false;
            why = "bad nbytes";
        }
    }
    if (k >= 6) {
        uint32_t crc = 0;
        bool crc_ok = tk[5].n == 8;
        for (size_t i = 0; i < tk[5].n && crc_ok; i++) {
            char ch = tk[5].p[i];
            int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                  : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
            crc_ok = v >= 0;
            crc = crc << 4 | (uint32_t)(v & 15);
        }
        c->declared_crc = crc;
        if (!crc_ok && ok) {
            ok = false;
            why = "bad crc field";
        }
    }
    if (ok) {
        size_t elems = 1, want;
        for (int i = 0; i < rank && ok; i++)
            ok = size_mul(elems, (size_t)dims[i], &elems);
        if (!ok || !size_mul(elems, dtype_bytes(dt), &want) || want != c->declared_bytes) {
            ok = false;
            why = "dims and dtype do not match nbytes";
        }
    }
    if (!ok)
        tensor_fail(ps, BOARDLOG_BAD_HEADER, line);

    size_t name_len = k >= 2 ? tk[1].n : 1;
    const char *name_src = k >= 2 ? tk[1].p : "?";
    if (ps->log == NULL) {
        size_t m = name_len < sizeof c->name - 1 ? name_len : sizeof c->name - 1;
        memcpy(c->name, name_src, m);
        c->name[m] = '\0';
        return;
    }

    struct boardlog *log = ps->log;
    if (!ensure_run(ps, line) ||
        !grow(&log->arena, &log->tensors, &ps->cap_tensors, log->n_tensors, sizeof *log->tensors)) {
        ps->oom = true;
        return;
    }
    struct boardlog_tensor *t = &log->tensors[log->n_tensors];
    memset(t, 0, sizeof *t);
    t->index = c->index;
    t->name = arena_strndup(&log->arena, name_src, name_len);
    t->value.dtype = dt;
    t->value.rank = rank;
    memcpy(t->value.dims, dims, sizeof dims);
    t->declared_bytes = c->declared_bytes;
    t->declared_crc = c->declared_crc;
    t->has_crc = true;
    t->line = line;
    t->run = log->n_runs - 1;
    /*
     * Never trust nbytes: what is kept cannot be longer than what the rest of the input
     * can encode, at 3 bytes per 4 base64 characters.
     */
    size_t left = (size_t)(ps->src_end - (const uint8_t *)args);
    size_t cap = left / 4 * 3 + 3;
    ps->limit = c->declared_bytes < cap ? c->declared_bytes : cap;
    if (t->name == NULL) {
        ps->oom = true;
        return;
    }
    ps->tensor = (long)log->n_tensors++;
    log->runs[t->run].n_tensors++;
    if (!ok)
        add_problem(ps, line, ps->tensor, "tensor %lld '%s': bad tensor header: %s",
                    (long long)c->index, t->name, why);
}

static bool add_run(struct parser *ps, const char *id, size_t id_len, const char *model,
                    size_t model_len, size_t line)
{
    struct boardlog *log = ps->log;
    if (!grow(&log->arena, &log->runs, &ps->cap_runs, log->n_runs, sizeof *log->runs))
        return false;
    struct boardlog_run *r = &log->runs[log->n_runs];
    memset(r, 0, sizeof *r);
    r->run_id = arena_strndup(&log->arena, id, id_len);
    r->model = arena_strndup(&log->arena, model, model_len);
    r->line = line;
    r->first_tensor = log->n_tensors;
    if (r->run_id == NULL || r->model == NULL)
        return false;
    log->n_runs++;
    ps->run_open = true;
    return true;
}

/* Tensors before any "@mlfs begin" (or after an end) go into an implicit run. */
static bool ensure_run(struct parser *ps, size_t line)
{
    (void)line;
    if (ps->run_open)
        return true;
    return add_run(ps, "", 0, "", 0, 0);
}

static void add_text(struct parser *ps, size_t line, size_t off, size_t bytes)
{
    struct boardlog *log = ps->log;
    if (log == NULL || ps->oom)
        return;
    if (log->n_text > 0) {
        struct boardlog_text *last = &log->text[log->n_text - 1];
        if (last->offset + last->bytes == off && last->line + last->n_lines == line) {
            last->n_lines++;
            last->bytes += bytes;
            return;
        }
    }
    if (!grow(&log->arena, &log->text, &ps->cap_text, log->n_text, sizeof *log->text)) {
        ps->oom = true;
        return;
    }
    log->text[log->n_text++] = (struct boardlog_text){line, 1, off, bytes};
}

/* Where "@mlfs " starts in the line, or NULL. */
static const uint8_t *find_marker(const uint8_t *p, size_t n)
{
    if (n >= 6 && memcmp(p, "@mlfs ", 6) == 0)
        return p;
    const uint8_t *e = p + n;
    while (n >= 6) {
        const uint8_t *at = memchr(p, '@', n - 5);
        if (at == NULL)
            return NULL;
        if (memcmp(at, "@mlfs ", 6) == 0)
            return at;
        p = at + 1;
        n = (size_t)(e - p);
    }
    return NULL;
}

static bool kw_is(const char *kw, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(kw, want, n) == 0;
}

/*
 * Handles one line (terminator excluded; a trailing '\r' already removed). `off` and
 * `bytes` (terminator included) locate it in the source for the text list.
 */
static void on_line(struct parser *ps, const uint8_t *p, size_t n, size_t line, size_t off,
                    size_t bytes)
{
    struct boardlog_cursor *c = ps->cur;
    const uint8_t *m = find_marker(p, n);
    if (m == NULL) {
        add_text(ps, line, off, bytes);
        ps->stray_data = false;
        return;
    }
    /* The record: keyword, then arguments; trailing blanks are not part of it. */
    const char *r = (const char *)m + 6, *e = (const char *)p + n;
    while (e > r && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    const char *kw = r;
    while (r < e && *r != ' ' && *r != '\t')
        r++;
    size_t kw_n = (size_t)(r - kw);
    while (r < e && (*r == ' ' || *r == '\t'))
        r++;
    size_t args_n = (size_t)(e - r);

    if (kw_is(kw, kw_n, "data")) {
        if (c->open) {
            on_data(ps, (const uint8_t *)r, args_n, line);
        } else if (!ps->stray_data) {
            add_problem(ps, line, -1, "data record outside a tensor (ignored, with the data "
                        "lines that follow it)");
        }
        ps->stray_data = !c->open;
        return;
    }
    ps->stray_data = false;
    if (kw_is(kw, kw_n, "end-tensor")) {
        struct tok t[2];
        uint64_t idx;
        if (!c->open) {
            add_problem(ps, line, -1, "end-tensor outside a tensor");
            return;
        }
        if (split(r, args_n, t, 2) != 1 || !parse_u64(t[0], &idx) || (int64_t)idx != c->index) {
            tensor_fail(ps, BOARDLOG_GARBAGE, line);
            if (ps->log != NULL)
                add_problem(ps, line, ps->tensor, "end-tensor '%.*s' does not match tensor %lld",
                            (int)(args_n > 40 ? 40 : args_n), r, (long long)c->index);
        }
        close_tensor(ps, line, true);
        return;
    }
    if (kw_is(kw, kw_n, "tensor")) {
        if (c->open)
            close_tensor(ps, line, false);
        on_tensor(ps, r, args_n, line);
        return;
    }
    if (kw_is(kw, kw_n, "begin")) {
        struct tok t[2];
        size_t k = split(r, args_n, t, 2);
        if (c->open)
            close_tensor(ps, line, false);
        if (ps->stream != NULL) {
            ps->stream->n_runs++;
            return;
        }
        if (ps->run_open && ps->log->runs[ps->log->n_runs - 1].line > 0)
            add_problem(ps, line, -1, "run '%s' (line %zu) has no end",
                        ps->log->runs[ps->log->n_runs - 1].run_id,
                        ps->log->runs[ps->log->n_runs - 1].line);
        if (!add_run(ps, k > 0 ? t[0].p : "", k > 0 ? t[0].n : 0, k > 1 ? t[1].p : "",
                     k > 1 ? t[1].n : 0, line))
            ps->oom = true;
        return;
    }
    if (kw_is(kw, kw_n, "end")) {
        if (c->open)
            close_tensor(ps, line, false);
        if (ps->stream != NULL) {
            ps->stream->n_runs_ended++;
            return;
        }
        if (!ps->run_open) {
            add_problem(ps, line, -1, "end of a run that never began");
            return;
        }
        struct boardlog_run *run = &ps->log->runs[ps->log->n_runs - 1];
        if (strlen(run->run_id) != args_n || memcmp(run->run_id, r, args_n) != 0)
            add_problem(ps, line, -1, "end '%.*s' does not match the open run '%s'",
                        (int)(args_n > 40 ? 40 : args_n), r, run->run_id);
        run->end_line = line;
        ps->run_open = false;
        return;
    }
    /* An unknown record: inside a tensor it is damage to that tensor. */
    if (c->open) {
        tensor_fail(ps, BOARDLOG_GARBAGE, line);
        if (ps->log != NULL)
            add_problem(ps, line, ps->tensor, "unknown record '%.*s' inside tensor %lld",
                        (int)(kw_n > 40 ? 40 : kw_n), kw, (long long)c->index);
    } else {
        add_problem(ps, line, -1, "unknown record '%.*s'", (int)(kw_n > 40 ? 40 : kw_n), kw);
    }
}

/* ---- whole-log parsing ----------------------------------------------------------------- */

void boardlog_init(struct boardlog *log)
{
    memset(log, 0, sizeof *log);
    arena_init(&log->arena);
}

void boardlog_release(struct boardlog *log)
{
    arena_release(&log->arena);
    filebuf_release(&log->file);
    boardlog_init(log);
}

int boardlog_parse(const void *buf, size_t bytes, struct boardlog *log, struct errbuf *eb)
{
    struct boardlog res;
    struct boardlog_cursor cur;
    struct parser ps;
    const uint8_t *p, *end;
    size_t line = 0;

    if (bytes == 0)
        buf = "";   /* no arithmetic on a NULL pointer */
    p = buf;
    end = p + bytes;

    boardlog_init(&res);
    memset(&cur, 0, sizeof cur);
    memset(&ps, 0, sizeof ps);
    ps.log = &res;
    ps.cur = &cur;
    ps.src_end = end;
    ps.tensor = -1;
    res.src = buf;
    res.src_bytes = bytes;

    while (p < end && !ps.oom) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *le = nl ? nl : end;
        size_t n = (size_t)(le - p);
        if (n > 0 && le[-1] == '\r')
            n--;
        line++;
        on_line(&ps, p, n, line, (size_t)(p - (const uint8_t *)buf),
                (size_t)((nl ? nl + 1 : end) - p));
        p = nl ? nl + 1 : end;
    }
    if (cur.open && !ps.oom)
        close_tensor(&ps, line + 1, false);
    if (ps.run_open && !ps.oom && res.runs[res.n_runs - 1].line > 0)
        add_problem(&ps, line, -1, "run '%s' (line %zu) has no end (log ends at line %zu)",
                    res.runs[res.n_runs - 1].run_id, res.runs[res.n_runs - 1].line, line);
    mem_free(ps.buf);
    if (ps.oom) {
        arena_release(&res.arena);
        return errbuf_set(eb, ST_ENOMEM, "out of memory parsing a %zu-byte board log", bytes);
    }
    res.n_lines = line;
    *log = res;
    return 0;
}

int boardlog_open(const char *path, struct boardlog *log, struct errbuf *eb)
{
    struct filebuf fb;
    int rc = filebuf_open(&fb, path, eb);
    if (rc < 0)
        return rc;
    rc = boardlog_parse(fb.data, fb.bytes, log, eb);
    if (rc < 0) {
        filebuf_release(&fb);
        errbuf_prefix(eb, "%s", path);
        return rc;
    }
    log->file = fb;
    return 0;
}

/* ---- streaming ------------------------------------------------------------------------- */

void boardlog_stream_init(struct boardlog_stream *s)
{
    memset(s, 0, sizeof *s);
}

static void stream_line(struct boardlog_stream *s)
{
    struct parser ps;
    size_t n = s->line_len;
    memset(&ps, 0, sizeof ps);
    ps.stream = s;
    ps.cur = &s->cur;
    ps.tensor = -1;
    s->n_lines++;
    if (!s->line_overflow) {
        if (n > 0 && s->line[n - 1] == '\r')
            n--;
        on_line(&ps, (const uint8_t *)s->line, n, s->n_lines, 0, 0);
    }
    s->line_len = 0;
    s->line_overflow = false;
}

void boardlog_stream_feed(struct boardlog_stream *s, const void *bytes, size_t n)
{
    const char *p = bytes, *end = p + n;
    s->bytes += n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t k = (size_t)((nl ? nl : end) - p);
        if (k > sizeof s->line - s->line_len) {
            s->line_overflow = true;
            k = sizeof s->line - s->line_len;
        }
        memcpy(s->line + s->line_len, p, k);
        s->line_len += k;
        if (nl == NULL)
            break;
        stream_line(s);
        p = nl + 1;
    }
}

void boardlog_stream_finish(struct boardlog_stream *s)
{
    if (s->line_len > 0 || s->line_overflow)
        stream_line(s);
    if (s->cur.open) {
        struct parser ps;
        memset(&ps, 0, sizeof ps);
        ps.stream = s;
        ps.cur = &s->cur;
        close_tensor(&ps, s->n_lines + 1, false);
    }
}

/* ---- hand-printed blocks --------------------------------------------------------------- */

static bool plain_sep(char ch)
{
    return ch == ' ' || ch == '\t' || ch == ',' || ch == ';' || ch == '[' || ch == ']' ||
           ch == '{' || ch == '}';
}

/* The next token of a plain line, or false at its end. */
static bool plain_token(const char **p, const char *e, struct tok *t)
{
    while (*p < e && plain_sep(**p))
        (*p)++;
    if (*p == e)
        return false;
    t->p = *p;
    while (*p < e && !plain_sep(**p))
        (*p)++;
    t->n = (size_t)(*p - t->p);
    return true;
}

static int hex_digit(char ch)
{
    return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
         : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* A hex byte token: "7f", "0x7f", or an even run of digits ("7f80", xxd style). */
static bool hex_token(struct tok t, bool *letters)
{
    if (t.n > 2 && t.p[0] == '0' && (t.p[1] == 'x' || t.p[1] == 'X')) {
        t.p += 2;
        t.n -= 2;
        *letters = true;
    }
    if (t.n == 0 || t.n > 32 || (t.n > 2 && t.n % 2 != 0))
        return false;
    for (size_t i = 0; i < t.n; i++) {
        int v = hex_digit(t.p[i]);
        if (v < 0)
            return false;
        if (v > 9)
            *letters = true;
    }
    return true;
}

static bool dec_token(struct tok t, int64_t *v)
{
    bool neg = t.n > 0 && (t.p[0] == '-' || t.p[0] == '+');
    uint64_t u;
    struct tok d = {t.p + neg, t.n - neg};
    if (!parse_u64(d, &u) || u > (uint64_t)INT64_MAX)
        return false;
    *v = neg && t.p[0] == '-' ? -(int64_t)u : (int64_t)u;
    return true;
}

enum plain_kind { PLAIN_NONE, PLAIN_DEC, PLAIN_HEX };

/*
 * Classifies a line: PLAIN_DEC (all decimal), PLAIN_HEX (an "offset:" then hex bytes, an
 * ASCII column allowed after them; or only hex bytes), PLAIN_NONE. *strong is set when the
 * line can only be hex (offset or letters).
 */
static enum plain_kind plain_classify(const char *p, const char *e, bool *strong)
{
    struct tok t;
    bool all_dec = true, all_hex = true, letters = false, offset = false;
    size_t n = 0, n_hex = 0;
    int64_t v;
    *strong = false;
    while (plain_token(&p, e, &t)) {
        if (n == 0 && t.n > 1 && t.p[t.n - 1] == ':') {
            struct tok o = {t.p, t.n - 1};
            bool dummy = false;
            size_t i;
            for (i = 0; i < o.n && hex_digit(o.p[i]) >= 0; i++)
                ;
            if (i == o.n || hex_token(o, &dummy)) {
                offset = true;
                n++;
                all_dec = false;
                continue;
            }
        }
        n++;
        if (all_dec && !dec_token(t, &v))
            all_dec = false;
        bool l = false;
        if (all_hex && hex_token(t, &l)) {
            n_hex++;
            letters = letters || l;
        } else if (!offset || n_hex == 0) {
            all_hex = false;
        } else {
            break;  /* the ASCII column of a hex dump */
        }
    }
    if (n == 0)
        return PLAIN_NONE;
    if (all_hex && n_hex > 0 && (offset || letters)) {
        *strong = true;
        return PLAIN_HEX;
    }
    if (all_dec)
        return PLAIN_DEC;
    return all_hex && n_hex > 0 ? PLAIN_HEX : PLAIN_NONE;
}

static bool dtype_range(enum dtype dt, int64_t *lo, int64_t *hi)
{
    switch (dt) {
    case DTYPE_S8: *lo = INT8_MIN; *hi = INT8_MAX; return true;
    case DTYPE_U8: *lo = 0; *hi = UINT8_MAX; return true;
    case DTYPE_S16: *lo = INT16_MIN; *hi = INT16_MAX; return true;
    case DTYPE_S32: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    default: return false;
    }
}

int boardlog_parse_plain(const void *buf, size_t bytes, const char *layer_name,
                         enum dtype dtype, enum boardlog_plain_format format,
                         struct boardlog *log, struct errbuf *eb)
{
    struct boardlog res;
    struct parser ps;
    struct boardlog_cursor cur;
    const char *s = bytes ? (const char *)buf : "", *end = s + bytes, *p = s;
    size_t line = 0, first_line = 0, last_line = 0;
    int64_t lo = 0, hi = 0;
    const char *blk_b = NULL, *blk_e = NULL;
    bool hex = format == BOARDLOG_PLAIN_HEX;

    if (bytes == 0)
        return errbuf_set(eb, ST_EPARSE, "plain dump for '%s': no lines of numbers found",
                          layer_name);
    if (dtype != DTYPE_UNKNOWN && !dtype_range(dtype, &lo, &hi))
        return errbuf_set(eb, ST_EINVAL, "plain dump: dtype %s not supported (int8, uint8, "
                          "int16, int32)", dtype_name(dtype));
    boardlog_init(&res);
    memset(&ps, 0, sizeof ps);
    memset(&cur, 0, sizeof cur);
    ps.log = &res;
    ps.cur = &cur;
    ps.tensor = -1;
    res.src = buf;
    res.src_bytes = bytes;

    /* Pass 1: find the block (first run of number lines) and decide hex or decimal. */
    bool any_strong = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end;
        bool strong;
        enum plain_kind k = plain_classify(p, le, &strong);
        line++;
        if (format == BOARDLOG_PLAIN_DECIMAL && k == PLAIN_HEX)
            k = PLAIN_NONE;
        if (format == BOARDLOG_PLAIN_HEX && k == PLAIN_DEC) {
            bool l = false;
            struct tok t;
            const char *q = p;
            k = PLAIN_HEX;
            while (plain_token(&q, le, &t))
                if (!hex_token(t, &l))
                    k = PLAIN_NONE;
        }
        if (k != PLAIN_NONE) {
            if (blk_b == NULL) {
                blk_b = p;
                first_line = line;
            }
            blk_e = nl ? nl + 1 : end;
            last_line = line;
            any_strong = any_strong || (k == PLAIN_HEX && strong);
        } else if (blk_b != NULL) {
            break;
        }
        p = nl ? nl + 1 : end;
    }
    if (blk_b == NULL)
        return errbuf_set(eb, ST_EPARSE, "plain dump for '%s': no lines of numbers found",
                          layer_name);
    if (format == BOARDLOG_PLAIN_AUTO)
        hex = any_strong;

    /* Pass 2: collect the values (int64 for decimal, bytes for hex) in the arena. */
    int64_t *vals = NULL;
    uint8_t *raw = NULL;
    size_t n_vals = 0, cap = 0;
    int rc = 0;
    int64_t mn = 0, mx = 0;
    line = first_line;
    for (p = blk_b; p < blk_e && rc == 0; line++) {
        const char *nl = memchr(p, '\n', (size_t)(blk_e - p)), *le = nl ? nl : blk_e;
        struct tok t;
        bool first = true, offset = false;
        while (rc == 0 && plain_token(&p, le, &t)) {
            if (hex) {
                bool l = false;
                if (first && t.n > 1 && t.p[t.n - 1] == ':') {
                    first = false;
                    offset = true;
                    continue;
                }
                first = false;
                if (!hex_token(t, &l)) {
                    if (offset)
                        break;  /* the ASCII column of a dump */
                    rc = errbuf_set(eb, ST_EPARSE, "plain dump for '%s': line %zu: expected a "
                                    "hex byte, found '%.*s'", layer_name, line,
                                    (int)(t.n > 20 ? 20 : t.n), t.p);
                    break;
                }
                if (t.n > 2 && (t.p[1] == 'x' || t.p[1] == 'X')) {
                    t.p += 2;
                    t.n -= 2;
                }
                for (size_t i = 0; i < t.n; i += 2) {
                    if (!grow(&res.arena, &raw, &cap, n_vals, 1)) {
                        rc = ST_ENOMEM;
                        break;
                    }
                    int v = t.n == 1 ? hex_digit(t.p[0])
                                     : hex_digit(t.p[i]) << 4 | hex_digit(t.p[i + 1]);
                    raw[n_vals++] = (uint8_t)v;
                }
            } else {
                int64_t v;
                if (!dec_token(t, &v)) {
                    rc = errbuf_set(eb, ST_EPARSE, "plain dump for '%s': line %zu: expected a "
                                    "decimal integer, found '%.*s'", layer_name, line,
                                    (int)(t.n > 20 ? 20 : t.n), t.p);
                    break;
                }
                if (dtype != DTYPE_UNKNOWN && (v < lo || v > hi)) {
                    rc = errbuf_set(eb, ST_EPARSE, "plain dump for '%s': line %zu: %lld does "
                                    "not fit %s", layer_name, line, (long long)v,
                                    dtype_name(dtype));
                    break;
                }
                if (!grow(&res.arena, &vals, &cap, n_vals, sizeof *vals)) {
                    rc = ST_ENOMEM;
                    break;
                }
                mn = n_vals == 0 || v < mn ? v : mn;
                mx = n_vals == 0 || v > mx ? v : mx;
                vals[n_vals++] = v;
            }
        }
        p = nl ? nl + 1 : blk_e;
    }

    enum dtype dt = dtype;
    size_t elem = 1, n_bytes = 0;
    uint8_t *data = NULL;
    if (rc == 0 && hex) {
        dt = dtype == DTYPE_UNKNOWN ? DTYPE_S8 : dtype;
        elem = dtype_bytes(dt);
        if (n_vals % elem != 0)
            rc = errbuf_set(eb, ST_EPARSE, "plain dump for '%s': lines %zu-%zu: %zu bytes is "
                            "not a whole number of %s values", layer_name, first_line,
                            last_line, n_vals, dtype_name(dt));
        data = raw;
        n_bytes = n_vals;
        n_vals /= elem;
    } else if (rc == 0) {
        if (dt == DTYPE_UNKNOWN) {
            static const enum dtype order[] = {DTYPE_S8, DTYPE_U8, DTYPE_S16, DTYPE_S32};
            for (size_t i = 0; i < 4 && dt == DTYPE_UNKNOWN; i++)
                if (dtype_range(order[i], &lo, &hi) && mn >= lo && mx <= hi)
                    dt = order[i];
            if (dt == DTYPE_UNKNOWN)
                rc = errbuf_set(eb, ST_EPARSE, "plain dump for '%s': values %lld..%lld do not "
                                "fit int32", layer_name, (long long)mn, (long long)mx);
        }
        if (rc == 0) {
            elem = dtype_bytes(dt);
            n_bytes = n_vals * elem;  /* n_vals * 4 cannot overflow: each came from >= 2 bytes */
            data = arena_alloc(&res.arena, n_bytes);
            if (data == NULL)
                rc = ST_ENOMEM;
            /* Little-endian, like the board and .npy. */
            for (size_t i = 0; rc == 0 && i < n_vals; i++) {
                uint32_t u = (uint32_t)vals[i];
                for (size_t b = 0; b < elem; b++)
                    data[i * elem + b] = (uint8_t)(u >> (8 * b));
            }
        }
    }

    if (rc == 0) {
        /* Text: the lines before and after the block. */
        line = 0;
        for (p = s; p < end && !ps.oom;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *next = nl ? nl + 1 : end;
            line++;
            if (line < first_line || line > last_line)
                add_text(&ps, line, (size_t)(p - s), (size_t)(next - p));
            p = next;
        }
        res.n_lines = line;
        if (ps.oom || !add_run(&ps, "", 0, "", 0, 0) ||
            !grow(&res.arena, &res.tensors, &ps.cap_tensors, 0, sizeof *res.tensors)) {
            rc = ST_ENOMEM;
        } else {
            struct boardlog_tensor *t = &res.tensors[0];
            memset(t, 0, sizeof *t);
            t->index = -1;
            t->name = arena_strdup(&res.arena, layer_name);
            t->value.dtype = dt;
            t->value.rank = 1;
            t->value.dims[0] = (int64_t)n_vals;
            t->value.data = data;
            t->value.bytes = n_bytes;
            t->declared_bytes = n_bytes;
            t->crc = t->declared_crc = crc_update(0, data, n_bytes);
            t->status = BOARDLOG_OK;
            t->line = first_line;
            res.n_tensors = 1;
            res.runs[0].n_tensors = 1;
            if (t->name == NULL)
                rc = ST_ENOMEM;
        }
    }
    if (rc < 0) {
        arena_release(&res.arena);
        if (rc == ST_ENOMEM)
            return errbuf_set(eb, ST_ENOMEM, "out of memory reading a plain dump");
        return rc;
    }
    *log = res;
    return 0;
}
