/*
 * How many bytes a TVM C function writes to one of its pointer parameters, read from its
 * body: every store `OUT[index] = ...` (or through a cast, `((int32_t*)OUT)[index] = ...`) is
 * bounded by interval arithmetic over the enclosing `for` loops and the integer locals
 * (`int32_t cse_var_1 = ...`) TVM emits. Anything else done with the pointer (passing it on,
 * pointer arithmetic, an index the evaluator cannot bound) gives up, and the caller falls back
 * to a coarser size. The bound is sound for the index forms TVM prints (affine expressions
 * with /, % and shifts by constants); conditions on stores are ignored, so it is an upper
 * bound that equals the extent whenever the last element is written.
 */
#include "instrument_int.h"

#include <string.h>

#include "mem.h"

#include "banned.h"

enum tk { TK_ID, TK_NUM, TK_FLOAT, TK_PUNCT };

struct tok {
    enum tk kind;
    const char *s;
    size_t len;
    long long value;            /* TK_NUM */
};

struct scope {
    const char *name;
    size_t len;
    long long lo, hi;
    bool known;
    int depth;                  /* visible while the brace depth is >= this */
};

struct ext {
    const struct tok *t;
    size_t n, i;
    struct scope *sc;
    size_t n_sc, cap_sc;
    bool fail;
};

#define EXT_LIMIT (1LL << 40)

static bool is_id_char(char c, bool first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

/* Tokenizes src[0..n); returns a heap array (mem_free) or NULL on ENOMEM. */
static struct tok *tokenize(const char *src, size_t n, size_t *count)
{
    static const char *const two[] = {"++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&",
                                      "||", "+=", "-=", "*=", "/=", "%=", "->", "|=", "&="};
    size_t cap = n / 3 + 16, k = 0;
    struct tok *t = mem_alloc(cap * sizeof *t);
    if (!t)
        return NULL;
    for (size_t i = 0; i < n;) {
        char c = src[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            i++;
            continue;
        }
        if (c == '/' && i + 1 < n && src[i + 1] == '/') {
            while (i < n && src[i] != '\n')
                i++;
            continue;
        }
        if (c == '/' && i + 1 < n && src[i + 1] == '*') {
            i += 2;
            while (i + 1 < n && !(src[i] == '*' && src[i + 1] == '/'))
                i++;
            i += 2;
            continue;
        }
        if (k + 1 >= cap) {
            size_t nc = cap * 2;
            struct tok *nt = mem_realloc(t, nc * sizeof *nt);
            if (!nt) {
                mem_free(t);
                return NULL;
            }
            t = nt;
            cap = nc;
        }
        struct tok *o = &t[k++];
        o->s = src + i;
        o->value = 0;
        if (c == '"' || c == '\'') {
            size_t j = i + 1;
            while (j < n && src[j] != c)
                j += src[j] == '\\' ? 2 : 1;
            o->kind = TK_PUNCT;
            o->len = (j < n ? j + 1 : n) - i;
            i += o->len;
            continue;
        }
        if (is_id_char(c, true)) {
            size_t j = i;
            while (j < n && is_id_char(src[j], false))
                j++;
            o->kind = TK_ID;
            o->len = j - i;
            i = j;
            continue;
        }
        if (c >= '0' && c <= '9') {
            size_t j = i;
            bool flt = false;
            bool hex = c == '0' && i + 1 < n && (src[i + 1] == 'x' || src[i + 1] == 'X');
            long long v = 0;
            if (hex)
                j += 2;
            for (; j < n; j++) {
                char d = src[j];
                int dv = d >= '0' && d <= '9' ? d - '0'
                         : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
                         : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10 : -1;
                if (dv >= 0) {
                    if (v < EXT_LIMIT)
                        v = v * (hex ? 16 : 10) + dv;
                    continue;
                }
                if (d == '.' || (!hex && (d == 'e' || d == 'E')) ||
                    ((d == '+' || d == '-') && (src[j - 1] == 'e' || src[j - 1] == 'E' ||
                                                src[j - 1] == 'p' || src[j - 1] == 'P')) ||
                    (hex && (d == 'p' || d == 'P'))) {
                    flt = true;
                    continue;
                }
                if (is_id_char(d, false)) {   /* suffixes: L, LL, U, f */
                    if (d == 'f' || d == 'F')
                        flt = true;
                    continue;
                }
                break;
            }
            o->kind = flt ? TK_FLOAT : TK_NUM;
            o->value = v;
            o->len = j - i;
            i = j;
            continue;
        }
        o->kind = TK_PUNCT;
        o->len = 1;
        for (size_t m = 0; m < sizeof two / sizeof two[0]; m++)
            if (i + 1 < n && c == two[m][0] && src[i + 1] == two[m][1])
                o->len = 2;
        i += o->len;
    }
    *count = k;
    return t;
}

static bool is(const struct tok *t, const char *s)
{
    size_t n = strlen(s);
    return t->len == n && memcmp(t->s, s, n) == 0;
}

static bool at(const struct ext *e, size_t off, const char *s)
{
    return e->i + off < e->n && is(&e->t[e->i + off], s);
}

/* Integer type names a cast or declaration may use; *bytes = their size. */
static bool int_type(const struct tok *t, size_t *bytes)
{
    static const struct { const char *name; size_t bytes; } types[] = {
        {"int8_t", 1}, {"uint8_t", 1}, {"int16_t", 2}, {"uint16_t", 2}, {"int32_t", 4},
        {"uint32_t", 4}, {"int64_t", 8}, {"uint64_t", 8}, {"int", 4}, {"long", 8},
        {"unsigned", 4}, {"size_t", 8},
    };
    if (t->kind != TK_ID)
        return false;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (is(t, types[i].name)) {
            if (bytes)
                *bytes = types[i].bytes;
            return true;
        }
    return false;
}

static bool any_type(const struct tok *t, size_t *bytes)
{
    if (int_type(t, bytes))
        return true;
    if (is(t, "float")) {
        if (bytes)
            *bytes = 4;
        return true;
    }
    if (is(t, "double")) {
        if (bytes)
            *bytes = 8;
        return true;
    }
    return false;
}

struct iv { long long lo, hi; };

static struct iv fail(struct ext *e)
{
    e->fail = true;
    struct iv z = {0, 0};
    return z;
}

static struct iv check(struct ext *e, struct iv v)
{
    if (v.lo < -EXT_LIMIT || v.hi > EXT_LIMIT || v.lo > v.hi)
        return fail(e);
    return v;
}

static struct iv expr(struct ext *e);

static struct iv unary(struct ext *e)
{
    if (e->fail || e->i >= e->n)
        return fail(e);
    const struct tok *t = &e->t[e->i];
    if (is(t, "-")) {
        e->i++;
        struct iv v = unary(e);
        struct iv r = {-v.hi, -v.lo};
        return r;
    }
    if (is(t, "+")) {
        e->i++;
        return unary(e);
    }
    if (is(t, "(")) {
        /* a cast to an integer type, or a parenthesised expression */
        if (e->i + 2 < e->n && int_type(&e->t[e->i + 1], NULL) && is(&e->t[e->i + 2], ")")) {
            e->i += 3;
            return unary(e);
        }
        e->i++;
        struct iv v = expr(e);
        if (!at(e, 0, ")"))
            return fail(e);
        e->i++;
        return v;
    }
    if (t->kind == TK_NUM) {
        e->i++;
        struct iv v = {t->value, t->value};
        return v;
    }
    if (t->kind == TK_ID) {
        e->i++;
        for (size_t k = e->n_sc; k-- > 0;)
            if (e->sc[k].len == t->len && memcmp(e->sc[k].name, t->s, t->len) == 0) {
                if (!e->sc[k].known)
                    return fail(e);
                struct iv v = {e->sc[k].lo, e->sc[k].hi};
                return v;
            }
        return fail(e);
    }
    return fail(e);
}

static long long lmin(long long a, long long b) { return a < b ? a : b; }
static long long lmax(long long a, long long b) { return a > b ? a : b; }

static struct iv mul(struct ext *e)
{
    struct iv a = unary(e);
    while (!e->fail && (at(e, 0, "*") || at(e, 0, "/") || at(e, 0, "%"))) {
        char op = e->t[e->i].s[0];
        e->i++;
        struct iv b = unary(e);
        if (e->fail)
            break;
        if (op == '*') {
            long long c1, c2, c3, c4;
            if (__builtin_mul_overflow(a.lo, b.lo, &c1) ||
                __builtin_mul_overflow(a.lo, b.hi, &c2) ||
                __builtin_mul_overflow(a.hi, b.lo, &c3) ||
                __builtin_mul_overflow(a.hi, b.hi, &c4))
                return fail(e);
            a.lo = lmin(lmin(c1, c2), lmin(c3, c4));
            a.hi = lmax(lmax(c1, c2), lmax(c3, c4));
        } else if (b.lo != b.hi || b.lo <= 0) {
            return fail(e);
        } else if (op == '/') {
            a.lo /= b.lo;
            a.hi /= b.lo;
        } else if (a.lo >= 0) {
            if (a.hi >= b.lo) {
                a.lo = 0;
                a.hi = b.lo - 1;
            }
        } else {
            a.lo = -(b.lo - 1);
            a.hi = b.lo - 1;
        }
        a = check(e, a);
    }
    return a;
}

static struct iv add(struct ext *e)
{
    struct iv a = mul(e);
    while (!e->fail && (at(e, 0, "+") || at(e, 0, "-"))) {
        bool plus = e->t[e->i].s[0] == '+';
        e->i++;
        struct iv b = mul(e);
        if (plus) {
            a.lo += b.lo;
            a.hi += b.hi;
        } else {
            a.lo -= b.hi;
            a.hi -= b.lo;
        }
        a = check(e, a);
    }
    return a;
}

static struct iv expr(struct ext *e)
{
    struct iv a = add(e);
    while (!e->fail && (at(e, 0, "<<") || at(e, 0, ">>"))) {
        bool left = e->t[e->i].s[0] == '<';
        e->i++;
        struct iv b = add(e);
        if (e->fail || b.lo != b.hi || b.lo < 0 || b.lo > 40)
            return fail(e);
        if (left && (a.lo < -(EXT_LIMIT >> b.lo) || a.hi > (EXT_LIMIT >> b.lo)))
            return fail(e);
        if (left) {
            a.lo *= 1LL << b.lo;
            a.hi *= 1LL << b.lo;
        } else {
            a.lo >>= b.lo;
            a.hi >>= b.lo;
        }
        a = check(e, a);
    }
    /* comparisons, ternaries, logic: not an index TVM prints */
    if (!e->fail && e->i < e->n && !at(e, 0, ";") && !at(e, 0, ")") && !at(e, 0, "]"))
        return fail(e);
    return a;
}

static bool push_scope(struct ext *e, const struct tok *name, struct iv v, bool known, int depth)
{
    if (e->n_sc == e->cap_sc) {
        size_t nc = e->cap_sc * 2 + 16;
        struct scope *ns = mem_realloc(e->sc, nc * sizeof *ns);
        if (!ns)
            return false;
        e->sc = ns;
        e->cap_sc = nc;
    }
    struct scope *s = &e->sc[e->n_sc++];
    s->name = name->s;
    s->len = name->len;
    s->lo = v.lo;
    s->hi = v.hi;
    s->known = known;
    s->depth = depth;
    return true;
}

int instrument_write_extent(const char *body, size_t len, const char *param, size_t elem_bytes,
                            size_t *bytes)
{
    size_t n = 0;
    struct tok *t = tokenize(body, len, &n);
    if (!t)
        return ST_ENOMEM;
    struct ext e = {.t = t, .n = n};
    size_t plen = strlen(param);
    int depth = 0, rc = 0;
    long long extent = -1;
    for (e.i = 0; e.i < n && rc == 0;) {
        const struct tok *k = &t[e.i];
        if (is(k, "{")) {
            depth++;
            e.i++;
        } else if (is(k, "}")) {
            depth--;
            while (e.n_sc > 0 && e.sc[e.n_sc - 1].depth > depth)
                e.n_sc--;
            e.i++;
        } else if (is(k, "for") && at(&e, 1, "(")) {
            /* for (int32_t v = A; v < B; ++v) { */
            size_t save = e.i;
            e.i += 2;
            if (e.i < n && any_type(&t[e.i], NULL))
                e.i++;
            const struct tok *var = e.i < n ? &t[e.i] : NULL;
            bool ok = var && var->kind == TK_ID && at(&e, 1, "=");
            struct iv lo = {0, 0}, hi = {0, 0};
            bool incl = false;
            if (ok) {
                e.i += 2;
                lo = expr(&e);
                ok = !e.fail && at(&e, 0, ";") && e.i + 2 < n && t[e.i + 1].len == var->len &&
                     memcmp(t[e.i + 1].s, var->s, var->len) == 0 &&
                     (is(&t[e.i + 2], "<") || is(&t[e.i + 2], "<="));
            }
            if (ok) {
                incl = is(&t[e.i + 2], "<=");
                e.i += 3;
                hi = expr(&e);
                ok = !e.fail && at(&e, 0, ";");
            }
            /* skip the increment to the body's brace */
            int paren = 1;
            e.i = ok ? e.i + 1 : save + 2;
            while (e.i < n && paren > 0) {
                paren += is(&t[e.i], "(") - is(&t[e.i], ")");
                e.i++;
            }
            e.fail = false;
            struct iv v = {lo.lo, incl ? hi.hi : hi.hi - 1};
            if (!at(&e, 0, "{")) {
                rc = -1;   /* a loop without braces: scopes would be guessed */
                break;
            }
            if (var && !push_scope(&e, var, v, ok && v.lo <= v.hi, depth + 1))
                rc = ST_ENOMEM;
        } else if (any_type(k, NULL) && e.i + 2 < n && t[e.i + 1].kind == TK_ID &&
                   is(&t[e.i + 2], "=")) {
            const struct tok *var = &t[e.i + 1];
            e.i += 3;
            struct iv v = expr(&e);
            bool known = !e.fail && int_type(k, NULL);
            e.fail = false;
            if (!push_scope(&e, var, v, known, depth))
                rc = ST_ENOMEM;
            while (e.i < n && !is(&t[e.i], ";") && !is(&t[e.i], "{") && !is(&t[e.i], "}"))
                e.i++;
        } else if (k->kind == TK_ID && k->len == plen && memcmp(k->s, param, plen) == 0) {
            /* OUT[i] = ..., or ((T*)OUT)[i] = ... */
            size_t el = elem_bytes;
            size_t i0 = e.i;
            bool cast = i0 >= 4 && is(&t[i0 - 1], ")") && is(&t[i0 - 2], "*") &&
                        any_type(&t[i0 - 3], &el) && is(&t[i0 - 4], "(") && at(&e, 1, ")");
            e.i += cast ? 2 : 1;
            if (!at(&e, 0, "[")) {
                rc = -1;   /* the pointer escapes: passed on or offset */
                break;
            }
            e.i++;
            struct iv idx = expr(&e);
            if (e.fail || !at(&e, 0, "]") || idx.lo < 0) {
                rc = -1;
                break;
            }
            e.i++;
            bool store = at(&e, 0, "=") || at(&e, 0, "+=") || at(&e, 0, "-=") ||
                         at(&e, 0, "*=") || at(&e, 0, "/=") || at(&e, 0, "|=") ||
                         at(&e, 0, "&=");
            if (store && idx.hi >= EXT_LIMIT / 8) {
                rc = -1;
                break;
            }
            if (store && (idx.hi + 1) * (long long)el > extent)
                extent = (idx.hi + 1) * (long long)el;
        } else {
            e.i++;
        }
    }
    mem_free(e.sc);
    mem_free(t);
    if (rc)
        return rc;
    if (extent <= 0)
        return -1;
    *bytes = (size_t)extent;
    return 0;
}
