/*
 * The Relay text of an MLF (src/<mod>.relay, src/relay.txt): top-level `def @name(...)`
 * functions become partitions with their Compiler=/global_symbol= attributes; inner
 * `fn (...)` with Composite=/PartitionedFromPattern= become composites; every operator call
 * is recorded with the ty= and span= of the comment that follows its closing parenthesis.
 */
#include "mlf_int.h"

#include <ctype.h>
#include <string.h>

#include "mem.h"
#include "banned.h"

#define MAX_DEPTH 1024

struct rl {
    struct mlf *m;
    const char *name, *s;
    size_t n, pos;
    unsigned line;
    struct errbuf *eb;
};

enum rk { RK_EOF, RK_WORD, RK_STR, RK_COMMENT, RK_PUNCT };

struct rt {
    enum rk kind;
    const char *s;
    size_t len;
    unsigned line;
};

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '%' || c == '@' || c == '-' ||
           c == ':';
}

static int rlex(struct rl *r, struct rt *t)
{
    const char *s = r->s;
    for (;;) {
        while (r->pos < r->n && isspace((unsigned char)s[r->pos])) {
            if (s[r->pos] == '\n')
                r->line++;
            r->pos++;
        }
        /* "#[version = ...]" header lines and "//" comments */
        if (r->pos + 1 < r->n && s[r->pos] == '/' && s[r->pos + 1] == '/') {
            while (r->pos < r->n && s[r->pos] != '\n')
                r->pos++;
            continue;
        }
        break;
    }
    t->s = s + r->pos;
    t->line = r->line;
    size_t b = r->pos;
    if (r->pos >= r->n) {
        t->kind = RK_EOF;
        t->len = 0;
        return 0;
    }
    char c = s[r->pos];
    if (c == '/' && r->pos + 1 < r->n && s[r->pos + 1] == '*') {
        r->pos += 2;
        while (r->pos + 1 < r->n && !(s[r->pos] == '*' && s[r->pos + 1] == '/')) {
            if (s[r->pos] == '\n')
                r->line++;
            r->pos++;
        }
        if (r->pos + 1 >= r->n)
            return errbuf_set(r->eb, ST_EPARSE, "%s:%u: unterminated /* comment", r->name, t->line);
        r->pos += 2;
        t->kind = RK_COMMENT;
    } else if (c == '"') {
        r->pos++;
        while (r->pos < r->n && s[r->pos] != '"') {
            if (s[r->pos] == '\\' && r->pos + 1 < r->n)
                r->pos++;
            if (s[r->pos] == '\n')
                r->line++;
            r->pos++;
        }
        if (r->pos >= r->n)
            return errbuf_set(r->eb, ST_EPARSE, "%s:%u: unterminated string", r->name, t->line);
        r->pos++;
        t->kind = RK_STR;
    } else if (word_char(c) && c != '-' && c != ':') {
        while (r->pos < r->n && word_char(s[r->pos])) {
            /* "->" is punctuation, not part of a word */
            if (s[r->pos] == '-' && r->pos + 1 < r->n && s[r->pos + 1] == '>')
                break;
            r->pos++;
        }
        t->kind = RK_WORD;
    } else {
        r->pos++;
        t->kind = RK_PUNCT;
    }
    t->len = r->pos - b;
    return 0;
}

static bool rt_is(const struct rt *t, const char *s)
{
    return t->len == strlen(s) && memcmp(t->s, s, t->len) == 0;
}

/* Value after "key=" inside a comment, up to a space, ',' or the comment's end. */
static const char *comment_value(struct mlf *m, const struct rt *c, const char *key, int *rc,
                                 struct errbuf *eb, bool to_bracket_end)
{
    size_t kl = strlen(key);
    const char *s = c->s, *e = c->s + c->len - 2;
    for (const char *p = s; p + kl <= e; p++) {
        if (memcmp(p, key, kl) != 0 || (p > s && isalnum((unsigned char)p[-1])))
            continue;
        const char *v = p + kl, *w = v;
        int depth = 0;
        while (w < e) {
            if (*w == '[' || *w == '(')
                depth++;
            if (*w == ']' || *w == ')')
                depth--;
            if (depth <= 0 && (*w == ' ' || (*w == ',' && !to_bracket_end) || *w == '\n'))
                if (!(to_bracket_end && depth > 0))
                    break;
            w++;
        }
        if (!to_bracket_end) {
            /* span names end with ":<line>:<col>" */
            for (int k = 0; k < 2; k++) {
                const char *q = w;
                while (q > v && isdigit((unsigned char)q[-1]))
                    q--;
                if (q == w || q == v || q[-1] != ':')
                    break;
                if (k == 1)
                    w = q - 1;
                else
                    w = q - 1;
            }
        }
        char *out = arena_strndup(&m->arena, v, (size_t)(w - v));
        if (out == NULL)
            *rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        return out;
    }
    return NULL;
}

struct scope {       /* an open def/fn */
    int part;        /* partition index */
    int comp;        /* composite index within it, -1 for the def itself */
    int brace_depth; /* depth of its body's '{' (0 until the body opens) */
};

int mlf_parse_relay(struct mlf *m, const char *name, const char *src, size_t len, struct errbuf *eb)
{
    struct rl r = {m, name, src, len, 0, 1, eb};
    struct rt t, prev = {RK_EOF, "", 0, 0};
    int rc;
    struct scope scopes[64];
    int n_scopes = 0;
    int braces = 0, parens = 0;
    int paren_op[MAX_DEPTH]; /* op index (in the current partition) per open '(' or -1 */
    int paren_part[MAX_DEPTH];
    struct mlf_vec ops = {0}, comps = {0};
    int cur_part = -1;
    int pending_close_op = -1, pending_part = -1;
    bool expect_attr_for_scope = false;

    if ((rc = mlf_priv_get(m, eb)) != 0)
        return rc;
    for (;;) {
        if ((rc = rlex(&r, &t)) != 0)
            goto out;
        if (t.kind == RK_EOF)
            break;
        if (t.kind == RK_COMMENT) {
            if (pending_close_op >= 0 && pending_part == cur_part) {
                struct mlf_relay_op *op = &((struct mlf_relay_op *)ops.items)[pending_close_op];
                if (op->type == NULL)
                    op->type = comment_value(m, &t, "ty=", &rc, eb, true);
                if (op->span == NULL)
                    op->span = comment_value(m, &t, "span=", &rc, eb, false);
                if (rc != 0)
                    goto out;
            }
            pending_close_op = -1;
            continue;
        }
        int closing_op = -1;
        if (t.kind == RK_WORD && t.s[0] == '@' && prev.kind == RK_WORD && rt_is(&prev, "def")) {
            /* a new partition: finish the previous one */
            if (cur_part >= 0) {
                struct mlf_partition *pp = &m->partitions[cur_part];
                pp->n_ops = ops.n;
                pp->n_composites = comps.n;
                if ((rc = mlf_vec_finish(m, &ops, sizeof(struct mlf_relay_op), (void **)&pp->ops,
                                         eb)) != 0 ||
                    (rc = mlf_vec_finish(m, &comps, sizeof(struct mlf_composite),
                                         (void **)&pp->composites, eb)) != 0)
                    goto out;
            }
            struct mlf_partition *pp = mlf_grow(m, (void **)&m->partitions, &m->n_partitions,
                                                &m->priv->cap_partitions, sizeof *pp, eb);
            if (pp == NULL) {
                rc = ST_ENOMEM;
                goto out;
            }
            pp->line = t.line;
            if ((pp->name = mlf_strndup(m, t.s + 1, t.len - 1, eb)) == NULL) {
                rc = ST_ENOMEM;
                goto out;
            }
            cur_part = (int)m->n_partitions - 1;
            if (n_scopes >= 64) {
                rc = errbuf_set(eb, ST_ELIMIT, "%s:%u: functions nested too deeply", name, t.line);
                goto out;
            }
            scopes[n_scopes++] = (struct scope){cur_part, -1, 0};
            expect_attr_for_scope = true;
        } else if (t.kind == RK_WORD && rt_is(&t, "fn") && cur_part >= 0) {
            struct mlf_composite *c = mlf_vec_push(&comps, sizeof *c);
            if (c == NULL || n_scopes >= 64) {
                rc = errbuf_set(eb, c ? ST_ELIMIT : ST_ENOMEM, "%s:%u: cannot open fn", name,
                                t.line);
                goto out;
            }
            scopes[n_scopes++] = (struct scope){cur_part, (int)comps.n - 1, 0};
            expect_attr_for_scope = true;
        } else if (t.kind == RK_PUNCT && t.s[0] == '=' && prev.kind == RK_WORD && n_scopes > 0 &&
                   expect_attr_for_scope) {
            struct rt v;
            if ((rc = rlex(&r, &v)) != 0)
                goto out;
            struct scope *sc = &scopes[n_scopes - 1];
            const char *val = NULL;
            if (v.kind == RK_STR) {
                val = mlf_strndup(m, v.s + 1, v.len - 2, eb);
                if (val == NULL) {
                    rc = ST_ENOMEM;
                    goto out;
                }
            }
            if (val != NULL && sc->part == cur_part) {
                struct mlf_partition *pp = &m->partitions[cur_part];
                struct mlf_composite *cc =
                    sc->comp >= 0 ? &((struct mlf_composite *)comps.items)[sc->comp] : NULL;
                if (rt_is(&prev, "Compiler"))
                    pp->compiler = val;
                else if (rt_is(&prev, "global_symbol") && sc->comp < 0)
                    pp->global_symbol = val;
                else if (rt_is(&prev, "Composite") && cc)
                    cc->name = val;
                else if (rt_is(&prev, "PartitionedFromPattern") && cc)
                    cc->pattern = val;
            }
            prev = v;
            continue;
        } else if (t.kind == RK_PUNCT && t.s[0] == '{') {
            braces++;
            if (n_scopes > 0 && scopes[n_scopes - 1].brace_depth == 0) {
                scopes[n_scopes - 1].brace_depth = braces;
                expect_attr_for_scope = false;
            }
        } else if (t.kind == RK_PUNCT && t.s[0] == '}') {
            if (braces == 0) {
                rc = errbuf_set(eb, ST_EPARSE, "%s:%u: unbalanced braces: unexpected '}'", name,
                                t.line);
                goto out;
            }
            if (n_scopes > 0 && scopes[n_scopes - 1].brace_depth == braces)
                n_scopes--;
            braces--;
        } else if (t.kind == RK_PUNCT && t.s[0] == '(') {
            if (parens >= MAX_DEPTH) {
                rc =
                    errbuf_set(eb, ST_ELIMIT, "%s:%u: parentheses nested too deeply", name, t.line);
                goto out;
            }
            int opi = -1;
            if (prev.kind == RK_WORD && cur_part >= 0 && prev.s[0] != '%' && !rt_is(&prev, "fn") &&
                !(prev.s[0] == '@' && n_scopes > 0 && scopes[n_scopes - 1].brace_depth == 0) &&
                (isalpha((unsigned char)prev.s[0]) || prev.s[0] == '@' || prev.s[0] == '_') &&
                !rt_is(&prev, "Tensor") && !rt_is(&prev, "meta") && !rt_is(&prev, "def")) {
                struct mlf_relay_op *op = mlf_vec_push(&ops, sizeof *op);
                if (op == NULL) {
                    rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
                    goto out;
                }
                op->line = prev.line;
                op->composite = -1;
                for (int i = n_scopes - 1; i >= 0; i--)
                    if (scopes[i].part == cur_part && scopes[i].comp >= 0 &&
                        scopes[i].brace_depth > 0) {
                        op->composite = scopes[i].comp;
                        break;
                    }
                if ((op->op = mlf_strndup(m, prev.s, prev.len, eb)) == NULL) {
                    rc = ST_ENOMEM;
                    goto out;
                }
                opi = (int)ops.n - 1;
            }
            paren_op[parens] = opi;
            paren_part[parens] = cur_part;
            parens++;
        } else if (t.kind == RK_PUNCT && t.s[0] == ')') {
            if (parens == 0) {
                rc = errbuf_set(eb, ST_EPARSE, "%s:%u: unbalanced ')'", name, t.line);
                goto out;
            }
            parens--;
            if (paren_op[parens] >= 0 && paren_part[parens] == cur_part)
                closing_op = paren_op[parens];
        }
        pending_close_op = closing_op;
        pending_part = cur_part;
        prev = t;
    }
    if (braces != 0 || parens != 0) {
        rc = errbuf_set(eb, ST_EPARSE, "%s:%u: unbalanced %s at end of file", name, r.line,
                        braces ? "braces" : "parentheses");
        goto out;
    }
    if (cur_part >= 0) {
        struct mlf_partition *pp = &m->partitions[cur_part];
        pp->n_ops = ops.n;
        pp->n_composites = comps.n;
        if ((rc = mlf_vec_finish(m, &ops, sizeof(struct mlf_relay_op), (void **)&pp->ops, eb)) !=
                0 ||
            (rc = mlf_vec_finish(m, &comps, sizeof(struct mlf_composite), (void **)&pp->composites,
                                 eb)) != 0)
            goto out;
    }
    rc = 0;
out:
    mlf_vec_free(&ops);
    mlf_vec_free(&comps);
    return rc;
}
