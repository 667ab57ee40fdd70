/*
 * The MLF C scanner: reads the C that TVM generates (not C in general). A tokenizer that
 * knows comments, strings, character literals and preprocessor lines feeds a top-level
 * scanner for declarations (constant pool struct, static weight arrays, workspace arrays,
 * function definitions and prototypes) and a statement scanner for function bodies (pool
 * bindings, allocations, CMSIS-NN parameter literals, calls).
 */
#define _GNU_SOURCE
#include "mlf_int.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "banned.h"

#define MAX_HEADER_TOKENS 100000
#define MAX_NEST 256

enum tk { TK_EOF, TK_IDENT, TK_NUM, TK_STR, TK_CHAR, TK_PUNCT, TK_COMMENT };

struct tok {
    enum tk kind;
    const char *s;
    size_t len;
    unsigned line;
    size_t off;
};

struct cp {
    struct mlf *m;
    const char *name;
    const char *src;
    size_t len, pos;
    unsigned line;
    struct errbuf *eb;
    struct tok cur;
    struct tok comment; /* the last comment skipped by advance(), kind TK_EOF if none */
};

static bool tok_is(const struct tok *t, const char *s)
{
    size_t n = strlen(s);
    return t->len == n && memcmp(t->s, s, n) == 0;
}

static bool tok_punct(const struct tok *t, char c)
{
    return t->kind == TK_PUNCT && t->s[0] == c;
}

static int perr(struct cp *p, unsigned line, const char *what)
{
    return errbuf_set(p->eb, ST_EPARSE, "%s:%u: %s", p->name, line, what);
}

/* #define TVMGEN_<MOD>_WORKSPACE_SIZE N in the interface header */
static void preproc_line(struct cp *p, const char *s, size_t n)
{
    const char *key = "#define TVMGEN_";
    if (n < strlen(key) || memcmp(s, key, strlen(key)) != 0)
        return;
    const char *w = NULL;
    for (size_t i = 0; i + 16 <= n; i++)
        if (memcmp(s + i, "_WORKSPACE_SIZE ", 16) == 0)
            w = s + i + 16;
    if (w == NULL)
        return;
    char buf[32];
    size_t k = 0;
    while (w < s + n && *w == ' ')
        w++;
    while (w < s + n && isdigit((unsigned char)*w) && k + 1 < sizeof buf)
        buf[k++] = *w++;
    buf[k] = '\0';
    if (k > 0 && k < 19)
        p->m->header_workspace_bytes = strtoll(buf, NULL, 10);
}

static int lex(struct cp *p, struct tok *t)
{
    const char *s = p->src;
    size_t n = p->len;
    bool line_start = p->pos == 0 || s[p->pos - 1] == '\n';

    for (;;) {
        while (p->pos < n && (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\r' ||
                              s[p->pos] == '\n' || s[p->pos] == '\f' || s[p->pos] == '\v')) {
            if (s[p->pos] == '\n') {
                p->line++;
                line_start = true;
            }
            p->pos++;
        }
        if (p->pos < n && s[p->pos] == '#' && line_start) {
            size_t b = p->pos;
            while (p->pos < n && s[p->pos] != '\n') {
                if (s[p->pos] == '\\' && p->pos + 1 < n && s[p->pos + 1] == '\n') {
                    p->pos++;
                    p->line++;
                }
                p->pos++;
            }
            preproc_line(p, s + b, p->pos - b);
            continue;
        }
        break;
    }
    t->s = s + p->pos;
    t->line = p->line;
    t->off = p->pos;
    if (p->pos >= n) {
        t->kind = TK_EOF;
        t->len = 0;
        return 0;
    }
    char c = s[p->pos];
    size_t b = p->pos;
    if (c == '/' && p->pos + 1 < n && s[p->pos + 1] == '/') {
        while (p->pos < n && s[p->pos] != '\n')
            p->pos++;
        t->kind = TK_COMMENT;
    } else if (c == '/' && p->pos + 1 < n && s[p->pos + 1] == '*') {
        p->pos += 2;
        for (;;) {
            if (p->pos + 1 >= n)
                return perr(p, t->line, "unterminated /* comment");
            if (s[p->pos] == '*' && s[p->pos + 1] == '/')
                break;
            if (s[p->pos] == '\n')
                p->line++;
            p->pos++;
        }
        p->pos += 2;
        t->kind = TK_COMMENT;
    } else if (c == '"' || c == '\'') {
        p->pos++;
        for (;;) {
            if (p->pos >= n || s[p->pos] == '\n')
                return perr(p, t->line,
                            c == '"' ? "unterminated string" : "unterminated character literal");
            if (s[p->pos] == '\\' && p->pos + 1 < n && s[p->pos + 1] != '\n') {
                p->pos += 2;
                continue;
            }
            if (s[p->pos] == c)
                break;
            p->pos++;
        }
        p->pos++;
        t->kind = c == '"' ? TK_STR : TK_CHAR;
    } else if (isalpha((unsigned char)c) || c == '_') {
        while (p->pos < n && (isalnum((unsigned char)s[p->pos]) || s[p->pos] == '_'))
            p->pos++;
        t->kind = TK_IDENT;
    } else if (isdigit((unsigned char)c) ||
               (c == '.' && p->pos + 1 < n && isdigit((unsigned char)s[p->pos + 1]))) {
        while (p->pos < n) {
            char d = s[p->pos];
            if (isalnum((unsigned char)d) || d == '.' || d == '_') {
                p->pos++;
            } else if ((d == '+' || d == '-') && strchr("eEpP", s[p->pos - 1]) != NULL &&
                       !(s[b] == '0' && (s[b + 1] == 'x' || s[b + 1] == 'X') &&
                         (s[p->pos - 1] == 'e' || s[p->pos - 1] == 'E'))) {
                p->pos++;
            } else {
                break;
            }
        }
        t->kind = TK_NUM;
    } else {
        p->pos++;
        t->kind = TK_PUNCT;
    }
    t->len = p->pos - b;
    return 0;
}

/* Moves to the next non-comment token; the last comment skipped is kept in p->comment. */
static int advance(struct cp *p)
{
    int rc;
    p->comment.kind = TK_EOF;
    for (;;) {
        if ((rc = lex(p, &p->cur)) != 0)
            return rc;
        if (p->cur.kind != TK_COMMENT)
            return 0;
        p->comment = p->cur;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Numbers */

static bool tok_text(const struct tok *t, char *buf, size_t cap)
{
    if (t->len + 1 > cap)
        return false;
    memcpy(buf, t->s, t->len);
    buf[t->len] = '\0';
    return true;
}

/* Integer literal with an optional sign: "+0x6e34ef4d", "-128", "8000". */
static bool parse_int(bool neg, const struct tok *t, int64_t *out)
{
    char buf[64];
    if (t->kind != TK_NUM || !tok_text(t, buf, sizeof buf))
        return false;
    size_t n = strlen(buf);
    while (n > 0 &&
           (buf[n - 1] == 'u' || buf[n - 1] == 'U' || buf[n - 1] == 'l' || buf[n - 1] == 'L'))
        buf[--n] = '\0';
    if (n == 0)
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(buf, &end, 0);
    if (errno != 0 || *end != '\0')
        return false;
    if (neg) {
        if (v > (unsigned long long)INT64_MAX + 1)
            return false;
        *out = v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (unsigned long long)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

static bool parse_float(bool neg, const struct tok *t, double *out)
{
    char buf[80];
    if (t->kind == TK_IDENT) {
        if (tok_is(t, "INFINITY") || tok_is(t, "HUGE_VALF") || tok_is(t, "HUGE_VAL"))
            *out = neg ? -INFINITY : INFINITY;
        else if (tok_is(t, "NAN"))
            *out = NAN;
        else
            return false;
        return true;
    }
    if (t->kind != TK_NUM || !tok_text(t, buf, sizeof buf))
        return false;
    size_t n = strlen(buf);
    bool hex = n > 1 && buf[0] == '0' && (buf[1] == 'x' || buf[1] == 'X');
    if (!hex && n > 0 && (buf[n - 1] == 'f' || buf[n - 1] == 'F'))
        buf[--n] = '\0';
    else if (hex && n > 0 && (buf[n - 1] == 'f' || buf[n - 1] == 'F') && strpbrk(buf, "pP"))
        buf[--n] = '\0';
    if (n == 0)
        return false;
    errno = 0;
    char *end;
    double v = strtod(buf, &end);
    if (*end != '\0')
        return false;
    *out = neg ? -v : v;
    return true;
}

/* Stores value number i of a constant of dtype dt into data. */
static bool store_value(enum mlf_dtype dt, void *data, size_t i, bool neg, const struct tok *t)
{
    int64_t v;
    double d;
    switch (dt) {
    case MLF_DT_F32:
        if (!parse_float(neg, t, &d))
            return false;
        ((float *)data)[i] = (float)d;
        return true;
    case MLF_DT_F64:
        if (!parse_float(neg, t, &d))
            return false;
        ((double *)data)[i] = d;
        return true;
    default:
        break;
    }
    if (!parse_int(neg, t, &v))
        return false;
    switch (dt) {
    case MLF_DT_S8:
        if (v < INT8_MIN || v > INT8_MAX)
            return false;
        ((int8_t *)data)[i] = (int8_t)v;
        return true;
    case MLF_DT_U8:
        if (v < 0 || v > UINT8_MAX)
            return false;
        ((uint8_t *)data)[i] = (uint8_t)v;
        return true;
    case MLF_DT_S16:
        if (v < INT16_MIN || v > INT16_MAX)
            return false;
        ((int16_t *)data)[i] = (int16_t)v;
        return true;
    case MLF_DT_U16:
        if (v < 0 || v > UINT16_MAX)
            return false;
        ((uint16_t *)data)[i] = (uint16_t)v;
        return true;
    case MLF_DT_S32:
        if (v < INT32_MIN || v > INT32_MAX)
            return false;
        ((int32_t *)data)[i] = (int32_t)v;
        return true;
    case MLF_DT_U32:
        if (v < 0 || v > (int64_t)UINT32_MAX)
            return false;
        ((uint32_t *)data)[i] = (uint32_t)v;
        return true;
    case MLF_DT_S64:
        ((int64_t *)data)[i] = v;
        return true;
    case MLF_DT_U64:
        if (v < 0)
            return false;
        ((uint64_t *)data)[i] = (uint64_t)v;
        return true;
    default:
        return false;
    }
}

/* Reads "{ v, v, ... }" (p->cur is '{') into c->data; leaves p->cur after the '}'. */
static int parse_initializer(struct cp *p, struct mlf_constant *c)
{
    int rc;
    unsigned line0 = p->cur.line;
    size_t i = 0;
    void *data = NULL;

    /* Every value takes at least one byte of text: refuse a count the rest of the file cannot
       hold before allocating for it, so a few hostile bytes cannot claim gigabytes. */
    if (c->count > p->len - p->pos)
        return errbuf_set(p->eb, ST_EPARSE,
                          "%s:%u: initialiser of %s is truncated: %zu values declared, only %zu "
                          "bytes of text left",
                          p->name, line0, c->name, c->count, p->len - p->pos);
    if (c->bytes > 0) {
        data = arena_zalloc(&p->m->arena, c->bytes);
        if (data == NULL)
            return errbuf_set(p->eb, ST_ENOMEM, "%s: out of memory", p->name);
    }
    if ((rc = advance(p)) != 0)
        return rc;
    for (;;) {
        if (p->cur.kind == TK_EOF)
            return errbuf_set(p->eb, ST_EPARSE,
                              "%s:%u: initialiser of %s is truncated: end of file after %zu of "
                              "%zu values",
                              p->name, line0, c->name, i, c->count);
        if (tok_punct(&p->cur, '}')) {
            /* TVM writes every value; fewer means a cut or edited file, not zeros */
            if (i < c->count)
                return errbuf_set(p->eb, ST_EPARSE,
                                  "%s:%u: initialiser of %s is truncated: '}' after %zu of %zu "
                                  "values",
                                  p->name, p->cur.line, c->name, i, c->count);
            break;
        }
        bool neg = false;
        if (tok_punct(&p->cur, '+') || tok_punct(&p->cur, '-')) {
            neg = p->cur.s[0] == '-';
            if ((rc = advance(p)) != 0)
                return rc;
        }
        if (i >= c->count)
            return errbuf_set(p->eb, ST_EPARSE,
                              "%s:%u: initialiser of %s has more than the %zu values declared",
                              p->name, p->cur.line, c->name, c->count);
        if (!store_value(c->dtype, data, i, neg, &p->cur))
            return errbuf_set(
                p->eb, ST_EPARSE, "%s:%u: initialiser of %s: value %zu '%.*s' is not a valid %s",
                p->name, p->cur.line, c->name, i, (int)(p->cur.len > 40 ? 40 : p->cur.len),
                p->cur.s, mlf_dtype_name(c->dtype));
        i++;
        if ((rc = advance(p)) != 0)
            return rc;
        if (tok_punct(&p->cur, ',')) {
            if ((rc = advance(p)) != 0)
                return rc;
        } else if (!tok_punct(&p->cur, '}')) {
            return errbuf_set(
                p->eb, ST_EPARSE, "%s:%u: initialiser of %s: expected ',' or '}', found '%.*s'",
                p->name, p->cur.line, c->name, (int)(p->cur.len > 40 ? 40 : p->cur.len), p->cur.s);
        }
    }
    c->data = data;
    return advance(p);
}

/* ---------------------------------------------------------------------------------------- */
/* Declarations */

/* Value of aligned(N) among toks, or 0. */
static unsigned find_aligned(const struct tok *t, size_t n)
{
    for (size_t i = 0; i + 2 < n; i++) {
        if (t[i].kind == TK_IDENT && (tok_is(&t[i], "aligned") || tok_is(&t[i], "__aligned__")) &&
            tok_punct(&t[i + 1], '(') && t[i + 2].kind == TK_NUM) {
            int64_t v;
            if (parse_int(false, &t[i + 2], &v) && v > 0 && v <= (1 << 20))
                return (unsigned)v;
        }
    }
    return 0;
}

static enum mlf_dtype find_dtype(const struct tok *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].kind == TK_IDENT) {
            enum mlf_dtype d = mlf_dtype_from_c(t[i].s, t[i].len);
            if (d != MLF_DT_UNKNOWN)
                return d;
        }
    return MLF_DT_UNKNOWN;
}

/* "NAME [ COUNT ]" at the end of a declarator: index of NAME or -1. */
static long find_array_decl(const struct tok *t, size_t n, int64_t *count)
{
    for (size_t i = 0; i + 3 < n; i++) {
        if (t[i].kind == TK_IDENT && tok_punct(&t[i + 1], '[') && t[i + 2].kind == TK_NUM &&
            tok_punct(&t[i + 3], ']')) {
            if (!parse_int(false, &t[i + 2], count))
                return -2;
            return (long)i;
        }
    }
    return -1;
}

static struct mlf_constant *new_constant(struct cp *p)
{
    return mlf_grow(p->m, (void **)&p->m->constants, &p->m->n_constants, &p->m->priv->cap_constants,
                    sizeof(struct mlf_constant), p->eb);
}

static struct mlf_pool *new_pool(struct cp *p)
{
    return mlf_grow(p->m, (void **)&p->m->pools, &p->m->n_pools, &p->m->priv->cap_pools,
                    sizeof(struct mlf_pool), p->eb);
}

static char *tok_dup(struct cp *p, const struct tok *t)
{
    return mlf_strndup(p->m, t->s, t->len, p->eb);
}

static int check_count(struct cp *p, unsigned line, const char *name, int64_t count,
                       enum mlf_dtype dt, size_t *bytes)
{
    size_t el = mlf_dtype_bytes(dt);
    if (dt == MLF_DT_UNKNOWN)
        return errbuf_set(p->eb, ST_EUNSUPPORTED, "%s:%u: %s: element type not recognised", p->name,
                          line, name);
    if (count < 0 || (uint64_t)count > ((uint64_t)1 << 31) || !size_mul((size_t)count, el, bytes) ||
        *bytes > ((size_t)1 << 31))
        return errbuf_set(p->eb, ST_ELIMIT, "%s:%u: %s: absurd element count %lld", p->name, line,
                          name, (long long)count);
    return 0;
}

/* `static const T __attribute__(...) NAME[N] = { ... };` (p->cur is '='). */
static int static_array(struct cp *p, const struct tok *h, size_t nh)
{
    int64_t count = 0;
    long ni = find_array_decl(h, nh, &count);
    int rc;
    if (ni == -2)
        return perr(p, h[0].line, "bad array size");
    if (ni < 0) {
        /* a scalar with an initializer: skip to ';' */
        int depth = 0;
        while (p->cur.kind != TK_EOF && !(depth == 0 && tok_punct(&p->cur, ';'))) {
            if (tok_punct(&p->cur, '{') || tok_punct(&p->cur, '('))
                depth++;
            if (tok_punct(&p->cur, '}') || tok_punct(&p->cur, ')'))
                depth--;
            if ((rc = advance(p)) != 0)
                return rc;
        }
        return advance(p);
    }
    struct mlf_constant tmp = {0};
    tmp.dtype = find_dtype(h, (size_t)ni);
    tmp.line = h[ni].line;
    tmp.pool = -1;
    tmp.alignment = find_aligned(h, nh);
    tmp.count = (size_t)count;
    if ((tmp.name = tok_dup(p, &h[ni])) == NULL ||
        (tmp.file = mlf_strndup(p->m, p->name, strlen(p->name), p->eb)) == NULL)
        return ST_ENOMEM;
    if ((rc = check_count(p, tmp.line, tmp.name, count, tmp.dtype, &tmp.bytes)) != 0)
        return rc;
    if ((rc = advance(p)) != 0) /* past '=' */
        return rc;
    if (!tok_punct(&p->cur, '{'))
        return errbuf_set(p->eb, ST_EPARSE, "%s:%u: %s: expected '{' after '='", p->name,
                          p->cur.line, tmp.name);
    if ((rc = parse_initializer(p, &tmp)) != 0)
        return rc;
    if (!tok_punct(&p->cur, ';'))
        return errbuf_set(p->eb, ST_EPARSE, "%s:%u: %s: expected ';' after the initialiser",
                          p->name, p->cur.line, tmp.name);
    struct mlf_constant *c = new_constant(p);
    if (c == NULL)
        return ST_ENOMEM;
    *c = tmp;
    return advance(p);
}

/* Parses "N bytes, aligned offset: K" from a field comment. */
static bool field_comment(const struct tok *c, size_t *bytes, size_t *offset)
{
    char buf[160];
    if (c->kind != TK_COMMENT || c->len >= sizeof buf)
        return false;
    memcpy(buf, c->s, c->len);
    buf[c->len] = '\0';
    const char *a = strstr(buf, "aligned offset:");
    if (a == NULL)
        return false;
    char *end;
    errno = 0;
    unsigned long long off = strtoull(a + 15, &end, 10);
    if (errno != 0 || end == a + 15)
        return false;
    unsigned long long b = strtoull(buf + 2, &end, 10);
    *bytes = (size_t)b;
    *offset = (size_t)off;
    return true;
}

/* Index of the constant field called name in pool, or -1. */
static int pool_field(const struct mlf *m, int pool, const char *s, size_t n)
{
    for (size_t i = 0; i < m->n_constants; i++) {
        const struct mlf_constant *c = &m->constants[i];
        if (c->pool == pool && strlen(c->name) == n && memcmp(c->name, s, n) == 0)
            return (int)i;
    }
    return -1;
}

/* `struct NAME { fields } [decl [= { .f = {...}, ... }]] ;` (p->cur is '{'). */
static int struct_def(struct cp *p, const struct tok *h, size_t nh)
{
    int rc;
    const struct tok *sname = &h[nh - 1];
    bool is_inputs = false, is_outputs = false;
    if (sname->len > 7 && memcmp(sname->s + sname->len - 7, "_inputs", 7) == 0)
        is_inputs = true;
    if (sname->len > 8 && memcmp(sname->s + sname->len - 8, "_outputs", 8) == 0)
        is_outputs = true;
    bool const_pool = tok_is(sname, "global_const_workspace") ||
                      (sname->len > 15 && memmem(sname->s, sname->len, "const_workspace", 15));
    int pool = -1;
    unsigned line0 = p->cur.line;
    if (const_pool) {
        struct mlf_pool *pl = new_pool(p);
        if (pl == NULL)
            return ST_ENOMEM;
        pool = (int)(pl - p->m->pools);
        pl->is_const = true;
        pl->line = sname->line;
        if ((pl->name = tok_dup(p, sname)) == NULL ||
            (pl->file = mlf_strndup(p->m, p->name, strlen(p->name), p->eb)) == NULL)
            return ST_ENOMEM;
        pl->alignment = find_aligned(h, nh);
    }
    struct mlf_vec names = {0};
    struct mlf_vec ftoks = {0};
    if ((rc = advance(p)) != 0)
        return rc;
    /* fields */
    while (!tok_punct(&p->cur, '}')) {
        ftoks.n = 0;
        int depth = 0;
        while (!(depth == 0 && tok_punct(&p->cur, ';'))) {
            if (p->cur.kind == TK_EOF || (depth == 0 && tok_punct(&p->cur, '}'))) {
                mlf_vec_free(&ftoks);
                mlf_vec_free(&names);
                return errbuf_set(p->eb, ST_EPARSE,
                                  "%s:%u: unbalanced braces: struct %.*s "
                                  "is not closed",
                                  p->name, line0, (int)sname->len, sname->s);
            }
            if (tok_punct(&p->cur, '('))
                depth++;
            if (tok_punct(&p->cur, ')'))
                depth--;
            struct tok *t = mlf_vec_push(&ftoks, sizeof *t);
            if (t == NULL || ftoks.n > MAX_HEADER_TOKENS) {
                mlf_vec_free(&ftoks);
                mlf_vec_free(&names);
                return errbuf_set(p->eb, t ? ST_ELIMIT : ST_ENOMEM, "%s:%u: field too long",
                                  p->name, p->cur.line);
            }
            *t = p->cur;
            if ((rc = advance(p)) != 0)
                goto out;
        }
        unsigned semi_line = p->cur.line;
        if ((rc = advance(p)) != 0)
            goto out;
        const struct tok *ft = ftoks.items;
        size_t nf = ftoks.n;
        if (const_pool) {
            int64_t count = 0;
            long ni = find_array_decl(ft, nf, &count);
            if (ni < 0) {
                rc = perr(p, semi_line, "constant pool field: expected TYPE NAME[N]");
                goto out;
            }
            struct mlf_constant tmp = {0};
            tmp.pool = pool;
            tmp.dtype = find_dtype(ft, (size_t)ni);
            tmp.count = (size_t)count;
            tmp.line = ft[ni].line;
            tmp.alignment = find_aligned(ft, nf);
            if ((tmp.name = tok_dup(p, &ft[ni])) == NULL ||
                (tmp.file = p->m->pools[pool].file) == NULL) {
                rc = ST_ENOMEM;
                goto out;
            }
            if ((rc = check_count(p, tmp.line, tmp.name, count, tmp.dtype, &tmp.bytes)) != 0)
                goto out;
            size_t cbytes, coff;
            if (p->comment.kind == TK_COMMENT && p->comment.line == semi_line &&
                field_comment(&p->comment, &cbytes, &coff)) {
                if (cbytes != tmp.bytes) {
                    rc = errbuf_set(p->eb, ST_EPARSE,
                                    "%s:%u: %s: comment says %zu bytes, declaration holds %zu",
                                    p->name, semi_line, tmp.name, cbytes, tmp.bytes);
                    goto out;
                }
                tmp.offset = coff;
            } else {
                rc = errbuf_set(p->eb, ST_EPARSE,
                                "%s:%u: %s: missing the '// N bytes, aligned offset: K' comment",
                                p->name, semi_line, tmp.name);
                goto out;
            }
            struct mlf_constant *c = new_constant(p);
            if (c == NULL) {
                rc = ST_ENOMEM;
                goto out;
            }
            *c = tmp;
        } else if ((is_inputs || is_outputs) && nf > 0 && ft[nf - 1].kind == TK_IDENT) {
            const char **slot = mlf_vec_push(&names, sizeof *slot);
            if (slot == NULL || (*slot = tok_dup(p, &ft[nf - 1])) == NULL) {
                rc = errbuf_set(p->eb, ST_ENOMEM, "out of memory");
                goto out;
            }
        }
    }
    mlf_vec_free(&ftoks);
    if (is_inputs || is_outputs) {
        struct mlf_priv *pv = p->m->priv;
        size_t n = names.n;
        const char **arr;
        if ((rc = mlf_vec_finish(p->m, &names, sizeof(char *), (void **)&arr, p->eb)) != 0)
            return rc;
        if (is_inputs) {
            pv->header_inputs = arr;
            pv->n_header_inputs = n;
        } else {
            pv->header_outputs = arr;
            pv->n_header_outputs = n;
        }
    }
    mlf_vec_free(&names);
    if ((rc = advance(p)) != 0) /* past '}' */
        return rc;
    /* declarator and initializer */
    while (p->cur.kind == TK_IDENT)
        if ((rc = advance(p)) != 0)
            return rc;
    if (tok_punct(&p->cur, '=')) {
        if ((rc = advance(p)) != 0)
            return rc;
        if (!tok_punct(&p->cur, '{'))
            return perr(p, p->cur.line, "expected '{' after '='");
        if ((rc = advance(p)) != 0)
            return rc;
        while (!tok_punct(&p->cur, '}')) {
            if (p->cur.kind == TK_EOF)
                return errbuf_set(p->eb, ST_EPARSE,
                                  "%s:%u: unbalanced braces: initialiser of struct %.*s is not "
                                  "closed",
                                  p->name, line0, (int)sname->len, sname->s);
            if (!tok_punct(&p->cur, '.'))
                return errbuf_set(p->eb, ST_EPARSE, "%s:%u: expected '.field =', found '%.*s'",
                                  p->name, p->cur.line, (int)(p->cur.len > 40 ? 40 : p->cur.len),
                                  p->cur.s);
            if ((rc = advance(p)) != 0)
                return rc;
            struct tok fname = p->cur;
            int ci = pool >= 0 && fname.kind == TK_IDENT
                         ? pool_field(p->m, pool, fname.s, fname.len)
                         : -1;
            if ((rc = advance(p)) != 0)
                return rc;
            if (!tok_punct(&p->cur, '='))
                return perr(p, p->cur.line, "expected '=' after the field name");
            if ((rc = advance(p)) != 0)
                return rc;
            if (!tok_punct(&p->cur, '{'))
                return perr(p, p->cur.line, "expected '{' for the field's values");
            if (ci < 0)
                return errbuf_set(p->eb, ST_EPARSE, "%s:%u: initialiser for unknown field '%.*s'",
                                  p->name, fname.line, (int)fname.len, fname.s);
            if ((rc = parse_initializer(p, &p->m->constants[ci])) != 0)
                return rc;
            if (tok_punct(&p->cur, ','))
                if ((rc = advance(p)) != 0)
                    return rc;
        }
        if ((rc = advance(p)) != 0)
            return rc;
    }
    if (!tok_punct(&p->cur, ';'))
        return errbuf_set(p->eb, ST_EPARSE, "%s:%u: expected ';' after struct %.*s, found '%.*s'",
                          p->name, p->cur.line, (int)sname->len, sname->s,
                          (int)(p->cur.len > 40 ? 40 : p->cur.len), p->cur.s);
    unsigned semi_line = p->cur.line;
    if ((rc = advance(p)) != 0)
        return rc;
    if (pool >= 0) {
        struct mlf_pool *pl = &p->m->pools[pool];
        char buf[128];
        const char *ts;
        if (p->comment.kind == TK_COMMENT && p->comment.line == semi_line &&
            tok_text(&p->comment, buf, sizeof buf) &&
            (ts = strstr(buf, "of total size ")) != NULL) {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(ts + 14, &end, 10);
            if (errno == 0 && end != ts + 14 && v < ((unsigned long long)1 << 40))
                pl->bytes = (size_t)v;
        }
        if (pl->bytes == 0) {
            /* no "of total size" comment: the end of the last field */
            for (size_t i = 0; i < p->m->n_constants; i++) {
                const struct mlf_constant *c = &p->m->constants[i];
                if (c->pool == pool && c->offset + c->bytes > pl->bytes)
                    pl->bytes = c->offset + c->bytes;
            }
        }
    }
    return 0;
out:
    mlf_vec_free(&ftoks);
    mlf_vec_free(&names);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Functions */

static const char *const runtime_calls[] = {
    "TVMBackendAllocWorkspace",
    "TVMBackendFreeWorkspace",
    "TVMAPISetLastError",
    "TVMBackendGetFuncFromEnv",
    "TVMFuncCall",
    "TVMBackendParallelLaunch",
};

static bool is_keyword(const struct tok *t)
{
    static const char *const kw[] = {"if",   "while", "for",  "switch",        "return", "sizeof",
                                     "else", "do",    "case", "__attribute__", "defined"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (tok_is(t, kw[i]))
            return true;
    return false;
}

static bool is_type_word(const struct tok *t)
{
    static const char *const w[] = {"void",  "int",      "char",     "float",  "double",
                                    "const", "struct",   "unsigned", "signed", "long",
                                    "short", "DLTensor", "TVMValue", "size_t", "bool"};
    if (mlf_dtype_from_c(t->s, t->len) != MLF_DT_UNKNOWN)
        return true;
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (tok_is(t, w[i]))
            return true;
    return false;
}

struct lit { /* a `cmsis_nn_<type> name = { ... };` literal */
    struct tok type, name;
    size_t n;
    bool is_num[8];
    int64_t num[8];
    struct tok id[8];
};

struct fctx { /* state while scanning one function body */
    struct cp *p;
    bool is_main;
    bool is_wrapper;
    struct mlf_function *fn; /* NULL for main */
    const struct mlf_param *params;
    size_t n_params;
    struct mlf_vec lets, allocs, kernels, uses, lits, steps;
};

static int param_index(const struct fctx *fc, const struct tok *t)
{
    for (size_t i = 0; i < fc->n_params; i++)
        if (fc->params[i].name && strlen(fc->params[i].name) == t->len &&
            memcmp(fc->params[i].name, t->s, t->len) == 0)
            return (int)i;
    return -1;
}

/* Splits the call whose '(' is t[open] into argument ranges; returns the ')' index or -1. */
static long call_args(const struct tok *t, size_t n, size_t open, size_t *starts, size_t *ends,
                      size_t max_args, size_t *n_args)
{
    int depth = 0;
    size_t a = 0, begin = open + 1;
    *n_args = 0;
    for (size_t i = open; i < n; i++) {
        if (tok_punct(&t[i], '(') || tok_punct(&t[i], '{') || tok_punct(&t[i], '['))
            depth++;
        else if (tok_punct(&t[i], ')') || tok_punct(&t[i], '}') || tok_punct(&t[i], ']')) {
            depth--;
            if (depth == 0) {
                if (i > begin && a < max_args) {
                    starts[a] = begin;
                    ends[a] = i;
                    a++;
                }
                *n_args = a;
                return (long)i;
            }
        } else if (depth == 1 && tok_punct(&t[i], ',')) {
            if (a < max_args && i > begin) { /* an empty argument is malformed: dropped */
                starts[a] = begin;
                ends[a] = i;
                a++;
            }
            begin = i + 1;
        }
    }
    return -1;
}

#define MAX_ARGS 64

static int make_arg(struct fctx *fc, const struct tok *t, size_t b, size_t e, struct mlf_arg *a)
{
    struct cp *p = fc->p;
    const char *s = t[b].s;
    size_t len = (size_t)(t[e - 1].s + t[e - 1].len - s);
    memset(a, 0, sizeof *a);
    a->io = a->pool = a->constant = -1;
    if ((a->text = mlf_strndup(p->m, s, len, p->eb)) == NULL)
        return ST_ENOMEM;
    const struct tok *var = NULL, *num = NULL;
    bool neg = false;
    for (size_t i = b; i < e; i++) {
        if (t[i].kind == TK_IDENT && !is_type_word(&t[i]))
            var = &t[i];
        if (t[i].kind == TK_NUM) {
            num = &t[i];
            neg = i > b && tok_punct(&t[i - 1], '-');
        }
    }
    if (var != NULL) {
        if ((a->var = tok_dup(p, var)) == NULL)
            return ST_ENOMEM;
    } else if (num != NULL) {
        a->kind = MLF_ARG_LITERAL;
        int64_t v = 0;
        if (parse_int(neg, num, &v))
            a->value = v;
    }
    return 0;
}

static int lit_value(const struct fctx *fc, const struct tok *name, const char *type_prefix,
                     const struct lit **out)
{
    const struct lit *l = fc->lits.items;
    for (size_t i = fc->lits.n; i-- > 0;) {
        if (l[i].name.len == name->len && memcmp(l[i].name.s, name->s, name->len) == 0) {
            if (type_prefix && (l[i].type.len < strlen(type_prefix) ||
                                memcmp(l[i].type.s, type_prefix, strlen(type_prefix)) != 0))
                return -1;
            *out = &l[i];
            return 0;
        }
    }
    return -1;
}

static int32_t lnum(const struct lit *l, size_t i)
{
    return i < l->n && l->is_num[i] ? (int32_t)l->num[i] : 0;
}

static void apply_tile(const struct fctx *fc, const struct lit *l, size_t i, struct mlf_tile *t)
{
    const struct lit *sub;
    if (i < l->n && !l->is_num[i] && lit_value(fc, &l->id[i], "cmsis_nn_tile", &sub) == 0) {
        t->w = lnum(sub, 0);
        t->h = lnum(sub, 1);
        t->set = true;
    }
}

static void apply_act(const struct fctx *fc, const struct lit *l, size_t i, struct mlf_kernel *k)
{
    const struct lit *sub;
    if (i < l->n && !l->is_num[i] && lit_value(fc, &l->id[i], "cmsis_nn_activation", &sub) == 0) {
        k->act_min = lnum(sub, 0);
        k->act_max = lnum(sub, 1);
    }
}

static void set_ptr(struct fctx *fc, struct mlf_kernel *k, const struct tok *id, int which)
{
    int pi = param_index(fc, id);
    if (pi < 0)
        return;
    if (which < 0) {
        const char *nm = fc->params[pi].name;
        if (strstr(nm, "input_1") != NULL || strstr(nm, "input2") != NULL)
            which = MLF_KP_INPUT2;
        else if (strstr(nm, "input") != NULL)
            which = MLF_KP_INPUT;
        else if (strstr(nm, "filter") != NULL || strstr(nm, "kernel") != NULL)
            which = MLF_KP_FILTER;
        else if (strstr(nm, "bias") != NULL)
            which = MLF_KP_BIAS;
        else if (strstr(nm, "mult") != NULL)
            which = MLF_KP_MULT;
        else if (strstr(nm, "shift") != NULL)
            which = MLF_KP_SHIFT;
        else if (strstr(nm, "output") != NULL)
            which = MLF_KP_OUTPUT;
        else
            return;
    }
    if (k->ptr_param[which] < 0)
        k->ptr_param[which] = pi;
}

static enum mlf_kernel_kind kernel_kind(const struct tok *t)
{
    char buf[96];
    if (!tok_text(t, buf, sizeof buf))
        return MLF_K_OTHER;
    if (strstr(buf, "depthwise"))
        return MLF_K_DWCONV;
    if (strstr(buf, "convolve"))
        return MLF_K_CONV;
    if (strstr(buf, "fully_connected"))
        return MLF_K_FC;
    if (strstr(buf, "avgpool"))
        return MLF_K_AVGPOOL;
    if (strstr(buf, "max_pool"))
        return MLF_K_MAXPOOL;
    if (strstr(buf, "softmax"))
        return MLF_K_SOFTMAX;
    if (strstr(buf, "elementwise_add"))
        return MLF_K_ADD;
    if (strstr(buf, "elementwise_mul"))
        return MLF_K_MUL;
    return MLF_K_OTHER;
}

static bool is_kernel_name(const struct tok *t)
{
    if (t->len < 7 || memcmp(t->s, "arm_", 4) != 0 || memcmp(t->s, "arm_nn_", 7) == 0)
        return false;
    if (memmem(t->s, t->len, "get_buffer_size", 15) != NULL)
        return false;
    const char *e = t->s + t->len;
    return (t->len > 3 && memcmp(e - 3, "_s8", 3) == 0) ||
           (t->len > 4 && memcmp(e - 4, "_s16", 4) == 0) ||
           (t->len > 3 && memcmp(e - 3, "_s4", 3) == 0);
}

static int add_kernel(struct fctx *fc, const struct tok *t, size_t n, size_t ci, size_t *st,
                      size_t *en, size_t na)
{
    struct cp *p = fc->p;
    struct mlf_kernel *k = mlf_vec_push(&fc->kernels, sizeof *k);
    if (k == NULL)
        return errbuf_set(p->eb, ST_ENOMEM, "out of memory");
    (void)n;
    for (int i = 0; i < MLF_KP_COUNT; i++)
        k->ptr_param[i] = -1;
    k->ctx_pool = -1;
    k->line = t[ci].line;
    k->kind = kernel_kind(&t[ci]);
    k->s16 = t[ci].len > 4 && memcmp(t[ci].s + t[ci].len - 4, "_s16", 4) == 0;
    if ((k->name = tok_dup(p, &t[ci])) == NULL)
        return ST_ENOMEM;
    int64_t sc[MAX_ARGS];
    size_t nsc = 0, ndims = 0;
    for (size_t a = 0; a < na; a++) {
        size_t b = st[a], e = en[a];
        /* scalar literal */
        bool neg = false;
        size_t i = b;
        if (i < e && (tok_punct(&t[i], '-') || tok_punct(&t[i], '+'))) {
            neg = t[i].s[0] == '-';
            i++;
        }
        if (i + 1 == e && t[i].kind == TK_NUM) {
            int64_t v;
            if (parse_int(neg, &t[i], &v) && nsc < MAX_ARGS)
                sc[nsc++] = v;
            continue;
        }
        /* &literal */
        if (e - b == 2 && tok_punct(&t[b], '&') && t[b + 1].kind == TK_IDENT) {
            const struct lit *l;
            if (lit_value(fc, &t[b + 1], NULL, &l) != 0)
                continue;
            const struct tok *ty = &l->type;
            if (tok_is(ty, "cmsis_nn_context")) {
                if (l->n >= 2) {
                    if (!l->is_num[0] && tok_is(&l->id[0], "NULL"))
                        k->ctx_null = true;
                    else if (!l->is_num[0]) {
                        const struct mlf_let *lets = fc->lets.items;
                        for (size_t j = 0; j < fc->lets.n; j++)
                            if (strlen(lets[j].name) == l->id[0].len &&
                                memcmp(lets[j].name, l->id[0].s, l->id[0].len) == 0) {
                                k->ctx_offset = lets[j].offset;
                                k->ctx_pool = -2 - (int)j; /* resolved to a pool in link */
                            }
                        const struct mlf_alloc *al = fc->allocs.items;
                        for (size_t j = 0; j < fc->allocs.n; j++)
                            if (strlen(al[j].name) == l->id[0].len &&
                                memcmp(al[j].name, l->id[0].s, l->id[0].len) == 0)
                                k->ctx_alloc = true;
                    }
                    k->ctx_bytes = l->is_num[1] && l->num[1] > 0 ? (size_t)l->num[1] : 0;
                }
            } else if (tok_is(ty, "cmsis_nn_conv_params")) {
                k->input_offset = lnum(l, 0);
                k->output_offset = lnum(l, 1);
                apply_tile(fc, l, 2, &k->stride);
                apply_tile(fc, l, 3, &k->padding);
                apply_tile(fc, l, 4, &k->dilation);
                apply_act(fc, l, 5, k);
            } else if (tok_is(ty, "cmsis_nn_dw_conv_params")) {
                k->input_offset = lnum(l, 0);
                k->output_offset = lnum(l, 1);
                k->ch_mult = lnum(l, 2);
                apply_tile(fc, l, 3, &k->stride);
                apply_tile(fc, l, 4, &k->padding);
                apply_tile(fc, l, 5, &k->dilation);
                apply_act(fc, l, 6, k);
            } else if (tok_is(ty, "cmsis_nn_fc_params")) {
                k->input_offset = lnum(l, 0);
                k->filter_offset = lnum(l, 1);
                k->output_offset = lnum(l, 2);
                apply_act(fc, l, 3, k);
            } else if (tok_is(ty, "cmsis_nn_pool_params")) {
                apply_tile(fc, l, 0, &k->stride);
                apply_tile(fc, l, 1, &k->padding);
                apply_act(fc, l, 2, k);
            } else if (tok_is(ty, "cmsis_nn_per_tensor_quant_params")) {
                k->mult = lnum(l, 0);
                k->shift = lnum(l, 1);
            } else if (tok_is(ty, "cmsis_nn_per_channel_quant_params")) {
                k->per_channel = true;
                if (l->n >= 2 && !l->is_num[0])
                    set_ptr(fc, k, &l->id[0], MLF_KP_MULT);
                if (l->n >= 2 && !l->is_num[1])
                    set_ptr(fc, k, &l->id[1], MLF_KP_SHIFT);
            } else if (tok_is(ty, "cmsis_nn_dims")) {
                struct mlf_dims d = {lnum(l, 0), lnum(l, 1), lnum(l, 2), lnum(l, 3), true};
                const struct tok *nm = &l->name;
                static const int order_conv[] = {0, 1, 2, 3}, order_pool[] = {0, 1, 3, 3};
                int which = (k->kind == MLF_K_AVGPOOL || k->kind == MLF_K_MAXPOOL)
                                ? order_pool[ndims < 4 ? ndims : 3]
                                : order_conv[ndims < 4 ? ndims : 3];
                if (memmem(nm->s, nm->len, "input", 5))
                    which = 0;
                else if (memmem(nm->s, nm->len, "filter", 6) || memmem(nm->s, nm->len, "kernel", 6))
                    which = 1;
                else if (memmem(nm->s, nm->len, "bias", 4))
                    which = 2;
                else if (memmem(nm->s, nm->len, "output", 6))
                    which = 3;
                struct mlf_dims *slots[] = {&k->input, &k->filter, &k->bias, &k->output};
                *slots[which] = d;
                ndims++;
            }
            continue;
        }
        /* pointer argument: a parameter of the function */
        for (size_t j = b; j < e; j++)
            if (t[j].kind == TK_IDENT && !is_type_word(&t[j]) && param_index(fc, &t[j]) >= 0) {
                int which = -1;
                if (k->kind == MLF_K_ADD || k->kind == MLF_K_MUL) {
                    if (a == 0)
                        which = MLF_KP_INPUT;
                    else if (a == 1)
                        which = MLF_KP_INPUT2;
                    else
                        which = MLF_KP_OUTPUT;
                } else if (k->kind == MLF_K_SOFTMAX) {
                    which = a == 0 ? MLF_KP_INPUT : MLF_KP_OUTPUT;
                }
                set_ptr(fc, k, &t[j], which);
                break;
            }
    }
    if (nsc > 0) {
        k->scalars = arena_memdup(&p->m->arena, sc, nsc * sizeof sc[0]);
        if (k->scalars == NULL)
            return errbuf_set(p->eb, ST_ENOMEM, "out of memory");
        k->n_scalars = nsc;
    }
#define SC(i) ((int32_t)(nsc > (i) ? sc[i] : 0))
    if (k->kind == MLF_K_SOFTMAX && !k->s16) {
        k->num_rows = SC(0);
        k->row_size = SC(1);
        k->mult = SC(2);
        k->shift = SC(3);
        k->diff_min = SC(4);
    } else if (k->kind == MLF_K_SOFTMAX) {
        k->num_rows = SC(0);
        k->row_size = SC(1);
        k->mult = SC(2);
        k->shift = SC(3);
    } else if (k->kind == MLF_K_ADD) {
        k->in1_offset = SC(0);
        k->in1_mult = SC(1);
        k->in1_shift = SC(2);
        k->in2_offset = SC(3);
        k->in2_mult = SC(4);
        k->in2_shift = SC(5);
        k->left_shift = SC(6);
        k->out_offset = SC(7);
        k->out_mult = SC(8);
        k->out_shift = SC(9);
        k->act_min = SC(10);
        k->act_max = SC(11);
        k->block_size = SC(12);
    } else if (k->kind == MLF_K_MUL) {
        k->in1_offset = SC(0);
        k->in2_offset = SC(1);
        k->out_offset = SC(2);
        k->out_mult = SC(3);
        k->out_shift = SC(4);
        k->act_min = SC(5);
        k->act_max = SC(6);
        k->block_size = SC(7);
    }
#undef SC
    (void)en;
    return 0;
}

/* `cmsis_nn_x name = { v, ... }` */
static int add_literal(struct fctx *fc, const struct tok *t, size_t n)
{
    if (n < 5 || t[1].kind != TK_IDENT || !tok_punct(&t[2], '=') || !tok_punct(&t[3], '{'))
        return 0;
    struct lit *l = mlf_vec_push(&fc->lits, sizeof *l);
    if (l == NULL)
        return errbuf_set(fc->p->eb, ST_ENOMEM, "out of memory");
    l->type = t[0];
    l->name = t[1];
    size_t i = 4;
    while (i < n && !tok_punct(&t[i], '}') && l->n < 8) {
        bool neg = false;
        if (tok_punct(&t[i], '-') || tok_punct(&t[i], '+')) {
            neg = t[i].s[0] == '-';
            i++;
        }
        if (i >= n)
            break;
        /* the token is kept for numbers too: an unparsable one is then a name that matches
           nothing, never an empty token with a NULL text */
        l->id[l->n] = t[i];
        if (t[i].kind == TK_NUM) {
            int64_t v = 0;
            l->is_num[l->n] = parse_int(neg, &t[i], &v);
            l->num[l->n] = v;
        }
        l->n++;
        i++;
        if (i < n && tok_punct(&t[i], ','))
            i++;
    }
    return 0;
}

static int add_step(struct fctx *fc, const struct tok *t, size_t n, size_t ci, size_t close,
                    size_t *st, size_t *en, size_t na)
{
    struct cp *p = fc->p;
    struct mlf_vec args = {0};
    struct mlf_step s = {0};
    int rc;
    s.func = -1;
    if ((s.function = tok_dup(p, &t[ci])) == NULL ||
        (s.file = mlf_strndup(p->m, p->name, strlen(p->name), p->eb)) == NULL)
        return ST_ENOMEM;
    s.line = t[ci].line;
    s.stmt_begin = t[0].off;
    s.stmt_end = t[n - 1].off + t[n - 1].len;
    s.call_begin = t[ci].off;
    s.call_end = t[close].off + 1;
    for (size_t a = 0; a < na; a++) {
        struct mlf_arg *arg = mlf_vec_push(&args, sizeof *arg);
        if (arg == NULL) {
            mlf_vec_free(&args);
            return errbuf_set(p->eb, ST_ENOMEM, "out of memory");
        }
        if ((rc = make_arg(fc, t, st[a], en[a], arg)) != 0) {
            mlf_vec_free(&args);
            return rc;
        }
    }
    s.n_args = args.n;
    if ((rc = mlf_vec_finish(p->m, &args, sizeof(struct mlf_arg), (void **)&s.args, p->eb)) != 0)
        return rc;
    struct mlf_step *d = mlf_vec_push(&fc->steps, sizeof *d);
    if (d == NULL)
        return errbuf_set(p->eb, ST_ENOMEM, "out of memory");
    *d = s;
    return 0;
}

static bool is_static_const_name(const struct mlf *m, const struct tok *t)
{
    for (size_t i = 0; i < m->n_constants; i++)
        if (m->constants[i].pool < 0 && strlen(m->constants[i].name) == t->len &&
            memcmp(m->constants[i].name, t->s, t->len) == 0)
            return true;
    return false;
}

/* One statement of a function body (without the terminating ';' or '{'). */
static int statement(struct fctx *fc, const struct tok *t, size_t n, size_t n_with_term)
{
    struct cp *p = fc->p;
    int rc;
    if (n == 0)
        return 0;
    /* X = (&(POOL[OFF])) and X = TVMBackendAllocWorkspace(a, b, (uint64_t)N, c, d) */
    for (size_t i = 1; i + 1 < n; i++) {
        if (!tok_punct(&t[i], '=') || t[i - 1].kind != TK_IDENT || tok_punct(&t[i + 1], '='))
            continue;
        if (i >= 2 && (tok_punct(&t[i - 2], '.') || tok_punct(&t[i - 2], '>')))
            break;
        size_t j = i + 1;
        while (j < n && (tok_punct(&t[j], '(') || tok_punct(&t[j], '&')))
            j++;
        if (j + 3 < n && t[j].kind == TK_IDENT && tok_punct(&t[j + 1], '[') &&
            t[j + 2].kind == TK_NUM && tok_punct(&t[j + 3], ']') &&
            memmem(t[j].s, t[j].len, "workspace", 9) != NULL && tok_punct(&t[i + 1], '(')) {
            int64_t off;
            if (!parse_int(false, &t[j + 2], &off) || off < 0)
                return perr(p, t[j].line, "bad pool offset");
            struct mlf_let *l = mlf_vec_push(&fc->lets, sizeof *l);
            if (l == NULL)
                return errbuf_set(p->eb, ST_ENOMEM, "out of memory");
            l->offset = (size_t)off;
            l->line = t[i].line;
            l->pool = l->constant = -1;
            if ((l->name = tok_dup(p, &t[i - 1])) == NULL ||
                (l->pool_var = tok_dup(p, &t[j])) == NULL)
                return ST_ENOMEM;
            return 0;
        }
        if (j < n && tok_is(&t[i + 1], "TVMBackendAllocWorkspace")) {
            size_t st[MAX_ARGS], en[MAX_ARGS], na;
            if (i + 2 >= n || call_args(t, n, i + 2, st, en, MAX_ARGS, &na) < 0 || na < 3)
                return perr(p, t[i].line, "malformed TVMBackendAllocWorkspace call");
            int64_t bytes = -1;
            for (size_t k = st[2]; k < en[2]; k++)
                if (t[k].kind == TK_NUM && !parse_int(false, &t[k], &bytes))
                    bytes = -1;
            if (bytes < 0 || bytes > ((int64_t)1 << 40))
                return perr(p, t[i].line, "TVMBackendAllocWorkspace: bad size");
            struct mlf_alloc *al = mlf_vec_push(&fc->allocs, sizeof *al);
            if (al == NULL)
                return errbuf_set(p->eb, ST_ENOMEM, "out of memory");
            al->bytes = (size_t)bytes;
            al->line = t[i].line;
            if ((al->name = tok_dup(p, &t[i - 1])) == NULL)
                return ST_ENOMEM;
            return 0;
        }
        break;
    }
    if (t[0].kind == TK_IDENT && t[0].len > 9 && memcmp(t[0].s, "cmsis_nn_", 9) == 0)
        return add_literal(fc, t, n);
    /* calls */
    for (size_t i = 0; i + 1 < n; i++) {
        if (t[i].kind != TK_IDENT)
            continue;
        if (!tok_punct(&t[i + 1], '(')) {
            if (!fc->is_main && fc->fn != NULL && is_static_const_name(p->m, &t[i])) {
                const char **u = fc->uses.items;
                bool seen = false;
                for (size_t k = 0; k < fc->uses.n; k++)
                    seen =
                        seen || (strlen(u[k]) == t[i].len && memcmp(u[k], t[i].s, t[i].len) == 0);
                if (!seen) {
                    const char **slot = mlf_vec_push(&fc->uses, sizeof *slot);
                    if (slot == NULL || (*slot = tok_dup(p, &t[i])) == NULL)
                        return errbuf_set(p->eb, ST_ENOMEM, "out of memory");
                }
            }
            continue;
        }
        if (is_keyword(&t[i]) || is_type_word(&t[i]))
            continue;
        bool runtime = false;
        for (size_t k = 0; k < sizeof runtime_calls / sizeof runtime_calls[0]; k++)
            runtime = runtime || tok_is(&t[i], runtime_calls[k]);
        size_t st[MAX_ARGS], en[MAX_ARGS], na;
        long close = call_args(t, n, i + 1, st, en, MAX_ARGS, &na);
        if (close < 0)
            return perr(p, t[i].line, "unbalanced parentheses in a call");
        if (runtime)
            continue;
        if (fc->is_main) {
            if ((rc = add_step(fc, t, n_with_term, i, (size_t)close, st, en, na)) != 0)
                return rc;
            i = (size_t)close;
        } else if (fc->is_wrapper && t[i].len > 13 &&
                   (memmem(t[i].s, t[i].len, "___tvm_main__", 13) != NULL)) {
            struct mlf_priv *pv = p->m->priv;
            const char **arr = arena_array(&p->m->arena, na ? na : 1, sizeof *arr);
            if (arr == NULL)
                return errbuf_set(p->eb, ST_ENOMEM, "out of memory");
            for (size_t a = 0; a < na; a++) {
                /* strip casts, '&' and parentheses */
                size_t b = st[a], e = en[a];
                while (b < e &&
                       (tok_punct(&t[b], '(') || tok_punct(&t[b], '&') || is_type_word(&t[b]) ||
                        tok_punct(&t[b], '*') || tok_punct(&t[b], ')')))
                    b++;
                while (e > b && tok_punct(&t[e - 1], ')'))
                    e--;
                if (b >= e) {
                    b = st[a];
                    e = en[a];
                }
                arr[a] =
                    mlf_strndup(p->m, t[b].s, (size_t)(t[e - 1].s + t[e - 1].len - t[b].s), p->eb);
                if (arr[a] == NULL)
                    return ST_ENOMEM;
            }
            pv->wrapper_args = arr;
            pv->n_wrapper_args = na;
        } else if (is_kernel_name(&t[i])) {
            if ((rc = add_kernel(fc, t, n, i, st, en, na)) != 0)
                return rc;
        }
    }
    return 0;
}

/* Parameters of a declarator "( ... )"; t[open] is '('. */
static int parse_params(struct cp *p, const struct tok *t, size_t n, size_t open,
                        struct mlf_param **out, size_t *n_out, bool *packed)
{
    size_t st[MAX_ARGS], en[MAX_ARGS], na;
    if (call_args(t, n, open, st, en, MAX_ARGS, &na) < 0)
        return perr(p, t[open].line, "unbalanced parentheses in a declaration");
    *packed = false;
    if (na == 1 && en[0] - st[0] == 1 && tok_is(&t[st[0]], "void"))
        na = 0;
    struct mlf_param *ps = na ? arena_array(&p->m->arena, na, sizeof *ps) : NULL;
    if (na && ps == NULL)
        return errbuf_set(p->eb, ST_ENOMEM, "out of memory");
    if (na)
        memset(ps, 0, na * sizeof *ps);
    for (size_t a = 0; a < na; a++) {
        size_t b = st[a], e = en[a];
        const struct tok *last = &t[e - 1];
        bool named = last->kind == TK_IDENT && !is_type_word(last) && e - b >= 2;
        size_t te = named ? e - 1 : e;
        if (te > b)
            ps[a].type =
                mlf_strndup(p->m, t[b].s, (size_t)(t[te - 1].s + t[te - 1].len - t[b].s), p->eb);
        else
            ps[a].type = "";
        if (ps[a].type == NULL)
            return ST_ENOMEM;
        /* compact "int8_t *" spacing to "int8_t*" for display */
        if (named && (ps[a].name = tok_dup(p, last)) == NULL)
            return ST_ENOMEM;
        if (named && (tok_is(last, "arg_type_ids") || tok_is(last, "num_args")))
            *packed = true;
    }
    *out = ps;
    *n_out = na;
    return 0;
}

static int function(struct cp *p, const struct tok *h, size_t nh, bool has_body)
{
    int rc;
    long open = -1;
    for (size_t i = 1; i < nh; i++) {
        if (tok_punct(&h[i], '(') && h[i - 1].kind == TK_IDENT &&
            !tok_is(&h[i - 1], "__attribute__") && !tok_is(&h[i - 1], "__declspec")) {
            open = (long)i;
            break;
        }
        if (tok_punct(&h[i], '(')) { /* skip attribute parens */
            int d = 0;
            for (; i < nh; i++) {
                if (tok_punct(&h[i], '('))
                    d++;
                if (tok_punct(&h[i], ')') && --d == 0)
                    break;
            }
        }
    }
    if (open < 0)
        return 0;
    const struct tok *name = &h[open - 1];
    struct mlf *m = p->m;
    struct mlf_param *params = NULL;
    size_t n_params = 0;
    bool packed;
    if ((rc = parse_params(p, h, nh, (size_t)open, &params, &n_params, &packed)) != 0)
        return rc;
    bool is_main = (name->len > 13 && memcmp(name->s + name->len - 13, "___tvm_main__", 13) == 0) ||
                   (name->len > 10 && memcmp(name->s + name->len - 10, "_run_model", 10) == 0 &&
                    name->len > 7 && memcmp(name->s, "tvmgen_", 7) == 0);
    bool is_wrapper = name->len > 11 && memcmp(name->s, "tvmgen_", 7) == 0 &&
                      memcmp(name->s + name->len - 4, "_run", 4) == 0;

    struct fctx fc = {0};
    fc.p = p;
    fc.params = params;
    fc.n_params = n_params;
    struct mlf_function *f = NULL;
    if (is_main && has_body && m->has_main)
        mlf_warn(m, "%s:%u: a second AOT main %.*s is ignored", p->name, name->line, (int)name->len,
                 name->s);
    if (is_main && has_body && !m->has_main) {
        fc.is_main = true;
        m->has_main = true;
        struct mlf_main *mn = &m->main;
        if ((mn->name = tok_dup(p, name)) == NULL ||
            (mn->file = mlf_strndup(m, p->name, strlen(p->name), p->eb)) == NULL)
            return ST_ENOMEM;
        mn->line = name->line;
        mn->params = params;
        mn->n_params = n_params;
        m->legacy_run_model = memcmp(name->s + name->len - 10, "_run_model", 10) == 0;
        size_t pre = 7, suf = m->legacy_run_model ? 10 : 13;
        if (name->len > pre + suf && m->module == NULL &&
            (m->module = mlf_strndup(m, name->s + pre, name->len - pre - suf, p->eb)) == NULL)
            return ST_ENOMEM;
    } else if (!is_main) {
        fc.is_wrapper = is_wrapper;
        /* one entry per name: a definition replaces an earlier prototype */
        for (size_t i = 0; i < m->n_functions; i++)
            if (strlen(m->functions[i].name) == name->len &&
                memcmp(m->functions[i].name, name->s, name->len) == 0)
                f = &m->functions[i];
        if (f != NULL && f->defined && has_body)
            return errbuf_set(p->eb, ST_EPARSE, "%s:%u: function %.*s defined twice", p->name,
                              name->line, (int)name->len, name->s);
        if (f == NULL) {
            f = mlf_grow(m, (void **)&m->functions, &m->n_functions, &m->priv->cap_functions,
                         sizeof *f, p->eb);
            if (f == NULL || (f->name = tok_dup(p, name)) == NULL)
                return ST_ENOMEM;
            f->meta_workspace_bytes = -1;
            f->partition = -1;
            f->target = "c";
        }
        if (has_body || f->params == NULL) {
            f->params = params;
            f->n_params = n_params;
            f->packed = packed;
            f->line = name->line;
            if ((f->file = mlf_strndup(m, p->name, strlen(p->name), p->eb)) == NULL)
                return ST_ENOMEM;
        }
        f->defined = f->defined || has_body;
        fc.fn = f;
    }
    if (!has_body)
        return 0;

    /* body: p->cur is '{' */
    size_t body_begin = p->cur.off;
    unsigned body_line = p->cur.line;
    struct mlf_vec stmt = {0};
    int depth = 1, init = 0, paren = 0;
    size_t fidx = f ? (size_t)(f - m->functions) : 0;
    if ((rc = advance(p)) != 0)
        goto out;
    for (;;) {
        struct tok t = p->cur;
        if (t.kind == TK_EOF) {
            rc = errbuf_set(p->eb, ST_EPARSE,
                            "%s:%u: unbalanced braces: the body of %.*s opened here is not "
                            "closed at end of file",
                            p->name, body_line, (int)name->len, name->s);
            goto out;
        }
        if (tok_punct(&t, '('))
            paren++;
        if (tok_punct(&t, ')'))
            paren--;
        bool push = true;
        if (tok_punct(&t, '{')) {
            const struct tok *prev = stmt.n ? &((struct tok *)stmt.items)[stmt.n - 1] : NULL;
            if (init > 0 || (prev && (tok_punct(prev, '=') || tok_punct(prev, ',')))) {
                init++;
            } else {
                if ((rc = statement(&fc, stmt.items, stmt.n, stmt.n)) != 0)
                    goto out;
                stmt.n = 0;
                push = false;
                if (++depth > MAX_NEST) {
                    rc = perr(p, t.line, "blocks nested too deeply");
                    goto out;
                }
                paren = 0;
            }
        } else if (tok_punct(&t, '}')) {
            if (init > 0) {
                init--;
            } else {
                if ((rc = statement(&fc, stmt.items, stmt.n, stmt.n)) != 0)
                    goto out;
                stmt.n = 0;
                push = false;
                if (--depth == 0)
                    break;
            }
        }
        if (push) {
            struct tok *d = mlf_vec_push(&stmt, sizeof *d);
            if (d == NULL) {
                rc = errbuf_set(p->eb, ST_ENOMEM, "out of memory");
                goto out;
            }
            *d = t;
            if (stmt.n > MAX_HEADER_TOKENS) {
                rc = errbuf_set(p->eb, ST_ELIMIT, "%s:%u: statement too long", p->name, t.line);
                goto out;
            }
            if (tok_punct(&t, ';') && paren <= 0 && init == 0) {
                if ((rc = statement(&fc, stmt.items, stmt.n - 1, stmt.n)) != 0)
                    goto out;
                stmt.n = 0;
                paren = 0;
            }
        }
        if ((rc = advance(p)) != 0)
            goto out;
    }
    size_t body_end = p->cur.off + 1;
    mlf_vec_free(&stmt);
    if ((rc = advance(p)) != 0)
        goto out;
    /* store what the body held */
    if (fc.is_main) {
        struct mlf_main *mn = &m->main;
        mn->body_begin = body_begin;
        mn->body_end = body_end;
        mn->n_lets = fc.lets.n;
        mn->n_allocs = fc.allocs.n;
        if ((rc = mlf_vec_finish(m, &fc.lets, sizeof(struct mlf_let), (void **)&mn->lets, p->eb)) !=
                0 ||
            (rc = mlf_vec_finish(m, &fc.allocs, sizeof(struct mlf_alloc), (void **)&mn->allocs,
                                 p->eb)) != 0)
            goto out;
        struct mlf_step *ss = fc.steps.items;
        for (size_t i = 0; i < fc.steps.n; i++) {
            struct mlf_step *d =
                mlf_grow(m, (void **)&m->steps, &m->n_steps, &m->priv->cap_steps, sizeof *d, p->eb);
            if (d == NULL) {
                rc = ST_ENOMEM;
                goto out;
            }
            *d = ss[i];
            d->index = m->n_steps - 1;
        }
    } else if (fc.fn != NULL) { /* NULL: a second main, ignored */
        f = &m->functions[fidx];
        f->body_begin = body_begin;
        f->body_end = body_end;
        f->n_lets = fc.lets.n;
        f->n_allocs = fc.allocs.n;
        f->n_kernels = fc.kernels.n;
        f->n_uses = fc.uses.n;
        if ((rc = mlf_vec_finish(m, &fc.lets, sizeof(struct mlf_let), (void **)&f->lets, p->eb)) !=
                0 ||
            (rc = mlf_vec_finish(m, &fc.allocs, sizeof(struct mlf_alloc), (void **)&f->allocs,
                                 p->eb)) != 0 ||
            (rc = mlf_vec_finish(m, &fc.kernels, sizeof(struct mlf_kernel), (void **)&f->kernels,
                                 p->eb)) != 0 ||
            (rc = mlf_vec_finish(m, &fc.uses, sizeof(char *), (void **)&f->uses, p->eb)) != 0)
            goto out;
    }
out:
    mlf_vec_free(&stmt);
    mlf_vec_free(&fc.lets);
    mlf_vec_free(&fc.allocs);
    mlf_vec_free(&fc.kernels);
    mlf_vec_free(&fc.uses);
    mlf_vec_free(&fc.lits);
    mlf_vec_free(&fc.steps);
    return rc;
}

/* `static uint8_t global_workspace[N];` with its attributes. */
static int maybe_workspace(struct cp *p, const struct tok *h, size_t nh)
{
    int64_t count;
    long ni = find_array_decl(h, nh, &count);
    if (ni < 0 || memmem(h[ni].s, h[ni].len, "workspace", 9) == NULL)
        return 0;
    if (count < 0 || count > ((int64_t)1 << 40))
        return errbuf_set(p->eb, ST_ELIMIT, "%s:%u: %.*s: absurd size %lld", p->name, h[ni].line,
                          (int)h[ni].len, h[ni].s, (long long)count);
    enum mlf_dtype dt = find_dtype(h, (size_t)ni);
    size_t bytes;
    if (!size_mul((size_t)count, mlf_dtype_bytes(dt) ? mlf_dtype_bytes(dt) : 1, &bytes))
        return errbuf_set(p->eb, ST_ELIMIT, "%s:%u: absurd size", p->name, h[ni].line);
    struct mlf_pool *pl = new_pool(p);
    if (pl == NULL)
        return ST_ENOMEM;
    pl->bytes = bytes;
    pl->line = h[ni].line;
    pl->alignment = find_aligned(h, nh);
    if ((pl->name = tok_dup(p, &h[ni])) == NULL ||
        (pl->file = mlf_strndup(p->m, p->name, strlen(p->name), p->eb)) == NULL)
        return ST_ENOMEM;
    return 0;
}

int mlf_parse_c(struct mlf *m, const char *name, const char *src, size_t len, struct errbuf *eb)
{
    struct cp p = {0};
    struct mlf_vec hdr = {0};
    int rc;

    if ((rc = mlf_priv_get(m, eb)) != 0)
        return rc;
    p.m = m;
    p.name = name;
    p.src = src;
    p.len = len;
    p.line = 1;
    p.eb = eb;
    if ((rc = advance(&p)) != 0)
        return rc;
    while (p.cur.kind != TK_EOF) {
        if (tok_punct(&p.cur, ';') || tok_punct(&p.cur, '}')) {
            if ((rc = advance(&p)) != 0)
                goto out;
            continue;
        }
        if (tok_is(&p.cur, "extern")) {
            size_t save_pos = p.pos;
            unsigned save_line = p.line;
            struct tok save = p.cur;
            if ((rc = advance(&p)) != 0)
                goto out;
            if (p.cur.kind == TK_STR) {
                if ((rc = advance(&p)) != 0)
                    goto out;
                if (tok_punct(&p.cur, '{') && (rc = advance(&p)) != 0)
                    goto out;
                continue;
            }
            p.pos = save_pos;
            p.line = save_line;
            p.cur = save;
        }
        /* collect a declaration up to ';', '{' or '=' at parenthesis depth 0 */
        hdr.n = 0;
        int depth = 0;
        unsigned line0 = p.cur.line;
        while (!(depth == 0 &&
                 (tok_punct(&p.cur, ';') || tok_punct(&p.cur, '{') || tok_punct(&p.cur, '=')))) {
            if (p.cur.kind == TK_EOF) {
                rc = errbuf_set(eb, ST_EPARSE, "%s:%u: declaration not terminated at end of file",
                                name, line0);
                goto out;
            }
            if (tok_punct(&p.cur, '('))
                depth++;
            if (tok_punct(&p.cur, ')') && --depth < 0) {
                rc = errbuf_set(eb, ST_EPARSE, "%s:%u: unbalanced ')'", name, p.cur.line);
                goto out;
            }
            if (tok_punct(&p.cur, '}') && depth == 0) {
                rc = errbuf_set(eb, ST_EPARSE, "%s:%u: unbalanced braces: unexpected '}'", name,
                                p.cur.line);
                goto out;
            }
            struct tok *t = mlf_vec_push(&hdr, sizeof *t);
            if (t == NULL) {
                rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
                goto out;
            }
            *t = p.cur;
            if (hdr.n > MAX_HEADER_TOKENS) {
                rc = errbuf_set(eb, ST_ELIMIT, "%s:%u: declaration too long", name, line0);
                goto out;
            }
            if ((rc = advance(&p)) != 0)
                goto out;
        }
        const struct tok *h = hdr.items;
        size_t nh = hdr.n;
        bool has_fn_paren = false;
        for (size_t i = 1; i < nh && !has_fn_paren; i++)
            has_fn_paren = tok_punct(&h[i], '(') && h[i - 1].kind == TK_IDENT &&
                           !tok_is(&h[i - 1], "__attribute__") && !tok_is(&h[i - 1], "aligned") &&
                           !tok_is(&h[i - 1], "section") && !tok_is(&h[i - 1], "packed");
        if (tok_punct(&p.cur, '=')) {
            if ((rc = static_array(&p, h, nh)) != 0)
                goto out;
        } else if (tok_punct(&p.cur, '{')) {
            if (nh >= 2 && h[nh - 2].kind == TK_IDENT && tok_is(&h[nh - 2], "struct") &&
                h[nh - 1].kind == TK_IDENT) {
                if ((rc = struct_def(&p, h, nh)) != 0)
                    goto out;
            } else if (has_fn_paren) {
                if ((rc = function(&p, h, nh, true)) != 0)
                    goto out;
            } else {
                /* enum/union or anything else: skip the braces and up to ';' */
                int d = 0;
                unsigned l0 = p.cur.line;
                do {
                    if (p.cur.kind == TK_EOF) {
                        rc = errbuf_set(eb, ST_EPARSE, "%s:%u: unbalanced braces", name, l0);
                        goto out;
                    }
                    if (tok_punct(&p.cur, '{'))
                        d++;
                    if (tok_punct(&p.cur, '}'))
                        d--;
                    if ((rc = advance(&p)) != 0)
                        goto out;
                } while (d > 0);
            }
        } else { /* ';' */
            if (has_fn_paren)
                rc = function(&p, h, nh, false);
            else
                rc = maybe_workspace(&p, h, nh);
            if (rc != 0)
                goto out;
            if ((rc = advance(&p)) != 0)
                goto out;
        }
    }
    rc = 0;
out:
    mlf_vec_free(&hdr);
    return rc;
}
