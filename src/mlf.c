/*
 * The MLF reader's driver: opens the tree, runs each parser on the files it applies to, then
 * links what they recorded (step arguments to pools, constants and I/O; functions to their
 * targets and metadata sizes) and checks the sizes the metadata, header and C declare.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlf_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "banned.h"

static const struct {
    const char *c_name, *name;
    size_t bytes;
} dtype_table[] = {
#define MLF_DT_ROW(e, c, n, b) {c, n, b},
    MLF_DTYPE_LIST(MLF_DT_ROW)
#undef MLF_DT_ROW
};
_Static_assert(sizeof dtype_table / sizeof dtype_table[0] == MLF_DT_COUNT, "dtype table");

const char *mlf_dtype_name(enum mlf_dtype t)
{
    return (unsigned)t < MLF_DT_COUNT ? dtype_table[t].name : "unknown";
}

size_t mlf_dtype_bytes(enum mlf_dtype t)
{
    return (unsigned)t < MLF_DT_COUNT ? dtype_table[t].bytes : 0;
}

enum mlf_dtype mlf_dtype_from_c(const char *c_type, size_t len)
{
    for (int i = 1; i < MLF_DT_COUNT; i++)
        if (strlen(dtype_table[i].c_name) == len && memcmp(dtype_table[i].c_name, c_type, len) == 0)
            return (enum mlf_dtype)i;
    if (len == 6 && memcmp(c_type, "int8_t", 6) == 0)
        return MLF_DT_S8;
    return MLF_DT_UNKNOWN;
}

enum mlf_dtype mlf_dtype_from_name(const char *name)
{
    for (int i = 1; i < MLF_DT_COUNT; i++)
        if (strcmp(dtype_table[i].name, name) == 0)
            return (enum mlf_dtype)i;
    return MLF_DT_UNKNOWN;
}

const char *mlf_arg_kind_name(enum mlf_arg_kind k)
{
    static const char *const names[] = {"unknown", "input",  "output", "const",  "workspace",
                                        "alloc",   "weight", "pool",   "literal"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "unknown";
}

void *mlf_vec_push(struct mlf_vec *v, size_t size)
{
    if (!mem_grow(&v->items, &v->cap, v->n + 1, size))
        return NULL;
    void *p = (char *)v->items + v->n * size;
    memset(p, 0, size);
    v->n++;
    return p;
}

void mlf_vec_free(struct mlf_vec *v)
{
    mem_free(v->items);
    v->items = NULL;
    v->n = v->cap = 0;
}

int mlf_vec_finish(struct mlf *m, struct mlf_vec *v, size_t size, void **out, struct errbuf *eb)
{
    *out = NULL;
    if (v->n > 0) {
        *out = arena_memdup(&m->arena, v->items, v->n * size);
        if (*out == NULL) {
            mlf_vec_free(v);
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        }
    }
    mlf_vec_free(v);
    return 0;
}

int mlf_priv_get(struct mlf *m, struct errbuf *eb)
{
    if (m->priv == NULL) {
        m->priv = mem_calloc(1, sizeof *m->priv);
        if (m->priv == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    return 0;
}

void *mlf_grow(struct mlf *m, void **items, size_t *n, size_t *cap, size_t size, struct errbuf *eb)
{
    (void)m;
    if (!mem_grow(items, cap, *n + 1, size)) {
        errbuf_set(eb, ST_ENOMEM, "out of memory");
        return NULL;
    }
    void *p = (char *)*items + *n * size;
    memset(p, 0, size);
    (*n)++;
    return p;
}

int mlf_warn(struct mlf *m, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (mlf_priv_get(m, NULL) != 0)
        return ST_ENOMEM;
    char *s = arena_strdup(&m->arena, buf);
    if (s == NULL)
        return ST_ENOMEM;
    const char **slot = mlf_grow(m, (void **)&m->warnings, &m->n_warnings, &m->priv->cap_warnings,
                                 sizeof *slot, NULL);
    if (slot == NULL)
        return ST_ENOMEM;
    *slot = s;
    return 0;
}

char *mlf_strndup(struct mlf *m, const char *s, size_t n, struct errbuf *eb)
{
    char *p = arena_strndup(&m->arena, s, n);
    if (p == NULL)
        errbuf_set(eb, ST_ENOMEM, "out of memory");
    return p;
}

const struct mlf_file *mlf_find_file(const struct mlf *m, const char *rel_path)
{
    for (size_t i = 0; i < m->n_files; i++)
        if (strcmp(m->files[i].path, rel_path) == 0)
            return &m->files[i];
    return NULL;
}

/* "default_lib2.c" before "default_lib10.c": digit runs compare by value. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            const char *a0 = a, *b0 = b;
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            const char *as = a, *bs = b;
            while (isdigit((unsigned char)*a))
                a++;
            while (isdigit((unsigned char)*b))
                b++;
            if (a - as != b - bs)
                return (a - as) < (b - bs) ? -1 : 1;
            int c = memcmp(as, bs, (size_t)(a - as));
            if (c != 0)
                return c;
            (void)a0;
            (void)b0;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

static int file_cmp(const void *x, const void *y)
{
    const struct mlf_file *a = x, *b = y;
    return natural_cmp(a->path, b->path);
}

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static int find_function(const struct mlf *m, const char *name)
{
    for (size_t i = 0; i < m->n_functions; i++)
        if (strcmp(m->functions[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int find_pool(const struct mlf *m, const char *name)
{
    for (size_t i = 0; i < m->n_pools; i++)
        if (strcmp(m->pools[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* The pool a `global_const_workspace_0_var`-style variable points to. */
static int pool_of_var(const struct mlf *m, const char *var)
{
    if (var == NULL)
        return -1;
    int p = find_pool(m, var);
    if (p >= 0)
        return p;
    bool want_const = strstr(var, "const") != NULL;
    /* a USMP pool var is named after its pool: "<pool>_<K>_var" */
    for (size_t i = 0; i < m->n_pools; i++) {
        size_t n = strlen(m->pools[i].name);
        if (strncmp(var, m->pools[i].name, n) == 0 && var[n] == '_' &&
            isdigit((unsigned char)var[n + 1]))
            return (int)i;
    }
    for (size_t i = 0; i < m->n_pools; i++)
        if (m->pools[i].is_const == want_const)
            return (int)i;
    return -1;
}

static int const_at(const struct mlf *m, int pool, size_t offset, const char *name)
{
    int best = -1;
    for (size_t i = 0; i < m->n_constants; i++) {
        const struct mlf_constant *c = &m->constants[i];
        if (c->pool == pool && c->offset == offset) {
            if (name != NULL && strcmp(c->name, name) == 0)
                return (int)i;
            if (best < 0)
                best = (int)i;
        }
    }
    return best;
}

static int const_named(const struct mlf *m, const char *name)
{
    if (name == NULL)
        return -1;
    for (size_t i = 0; i < m->n_constants; i++)
        if (m->constants[i].pool < 0 && strcmp(m->constants[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int link_lets(struct mlf *m, struct mlf_let *lets, size_t n, const char *file,
                     struct errbuf *eb)
{
    for (size_t i = 0; i < n; i++) {
        struct mlf_let *l = &lets[i];
        l->pool = pool_of_var(m, l->pool_var);
        l->constant = -1;
        if (l->pool < 0)
            continue;
        const struct mlf_pool *p = &m->pools[l->pool];
        if (p->bytes > 0 && l->offset >= p->bytes)
            return errbuf_set(eb, ST_EPARSE,
                              "%s:%u: %s: offset %zu is past the end of pool %s (%zu bytes)",
                              file ? file : "?", l->line, l->name, l->offset, p->name, p->bytes);
        if (p->is_const)
            l->constant = const_at(m, l->pool, l->offset, l->name);
    }
    return 0;
}

static const char *target_of_name(struct mlf *m, const char *name)
{
    const char *mod = m->module ? m->module : "default";
    char prefix[256];
    snprintf(prefix, sizeof prefix, "tvmgen_%s_", mod);
    if (!has_prefix(name, prefix))
        return "c";
    const char *rest = name + strlen(prefix);
    if (has_prefix(rest, "fused_") || has_prefix(rest, "_"))
        return "c";
    const char *mm = strstr(rest, "_main_");
    if (mm == NULL || mm == rest)
        return "c";
    for (const char *d = mm + 6; *d; d++)
        if (!isdigit((unsigned char)*d))
            return "c";
    if (mm[6] == '\0')
        return "c";
    char *t = arena_strndup(&m->arena, rest, (size_t)(mm - rest));
    return t ? t : "byoc";
}

/* Maps main's parameters to inputs, outputs and pools. */
static int link_main(struct mlf *m, struct errbuf *eb)
{
    struct mlf_main *mn = &m->main;
    struct mlf_priv *pv = m->priv;
    struct mlf_vec ins = {0}, outs = {0};
    int rc = 0;

    for (size_t i = 0; i < mn->n_params; i++) {
        const struct mlf_param *pa = &mn->params[i];
        const char *nm = pa->name ? pa->name : "";
        const char *w = i < pv->n_wrapper_args ? pv->wrapper_args[i] : NULL;
        bool is_pool = strstr(nm, "workspace") != NULL && strstr(nm, "_var") != NULL;
        if (w != NULL && (strstr(w, "workspace") != NULL) && strstr(w, "->") == NULL)
            is_pool = true;
        if (is_pool)
            continue;
        bool is_out;
        if (w != NULL && (has_prefix(w, "inputs->") || has_prefix(w, "outputs->")))
            is_out = has_prefix(w, "outputs->");
        else if (pv->n_header_inputs > 0)
            is_out = i >= pv->n_header_inputs;
        else if (m->meta.n_inputs > 0)
            is_out = i >= m->meta.n_inputs;
        else if (strstr(nm, "output") != NULL || has_prefix(nm, "Identity"))
            is_out = true;
        else
            is_out =
                (i + 1 == mn->n_params) ||
                (i + 1 < mn->n_params &&
                 strstr(mn->params[i + 1].name ? mn->params[i + 1].name : "", "workspace") != NULL);
        struct mlf_io *io = mlf_vec_push(is_out ? &outs : &ins, sizeof *io);
        if (io == NULL) {
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            goto fail;
        }
        io->name = nm;
        if (w != NULL && strstr(w, "->") != NULL)
            io->name = strstr(w, "->") + 2;
        io->bytes = -1;
        const char *ty = pa->type ? pa->type : "";
        const char *star = strchr(ty, '*');
        io->dtype = mlf_dtype_from_c(ty, star ? (size_t)(star - ty) : strlen(ty));
        /* metadata (v7) names and sizes, in order */
        const struct mlf_io *mio = is_out ? m->meta.outputs : m->meta.inputs;
        size_t nm_io = is_out ? m->meta.n_outputs : m->meta.n_inputs;
        size_t k = (is_out ? outs.n : ins.n) - 1;
        if (k < nm_io) {
            io->meta_name = mio[k].name;
            io->bytes = mio[k].bytes;
            if (io->dtype == MLF_DT_UNKNOWN)
                io->dtype = mio[k].dtype;
        }
    }
    mn->n_inputs = ins.n;
    mn->n_outputs = outs.n;
    if ((rc = mlf_vec_finish(m, &ins, sizeof(struct mlf_io), (void **)&mn->inputs, eb)) != 0)
        goto fail;
    if ((rc = mlf_vec_finish(m, &outs, sizeof(struct mlf_io), (void **)&mn->outputs, eb)) != 0)
        goto fail;
    return 0;
fail:
    mlf_vec_free(&ins);
    mlf_vec_free(&outs);
    return rc;
}

static int main_param_index(const struct mlf_main *mn, const char *var)
{
    for (size_t i = 0; i < mn->n_params; i++)
        if (mn->params[i].name && strcmp(mn->params[i].name, var) == 0)
            return (int)i;
    return -1;
}

static void classify_arg(const struct mlf *m, struct mlf_arg *a)
{
    const struct mlf_main *mn = &m->main;
    a->io = -1;
    a->pool = -1;
    a->constant = -1;
    if (a->kind == MLF_ARG_LITERAL || a->var == NULL)
        return;
    for (size_t i = 0; i < mn->n_lets; i++) {
        const struct mlf_let *l = &mn->lets[i];
        if (strcmp(l->name, a->var) == 0) {
            a->pool = l->pool;
            a->offset = l->offset;
            a->constant = l->constant;
            bool is_const = l->pool >= 0 && m->pools[l->pool].is_const;
            a->kind = is_const ? MLF_ARG_CONST : MLF_ARG_WORKSPACE;
            if (a->constant >= 0)
                a->bytes = m->constants[a->constant].bytes;
            return;
        }
    }
    for (size_t i = 0; i < mn->n_allocs; i++) {
        if (strcmp(mn->allocs[i].name, a->var) == 0) {
            a->kind = MLF_ARG_ALLOC;
            a->bytes = mn->allocs[i].bytes;
            a->io = (int)i; /* the allocation's position */
            return;
        }
    }
    for (size_t i = 0; i < mn->n_inputs; i++) {
        int pi = main_param_index(mn, a->var);
        if (pi >= 0 && mn->params[pi].name == mn->inputs[i].name) {
            a->kind = MLF_ARG_INPUT;
            a->io = (int)i;
            return;
        }
    }
    for (size_t i = 0; i < mn->n_outputs; i++) {
        int pi = main_param_index(mn, a->var);
        if (pi >= 0 && mn->params[pi].name == mn->outputs[i].name) {
            a->kind = MLF_ARG_OUTPUT;
            a->io = (int)i;
            return;
        }
    }
    /* inputs/outputs renamed through the wrapper: match by parameter order */
    int pi = main_param_index(mn, a->var);
    if (pi >= 0) {
        size_t in_seen = 0, out_seen = 0;
        for (size_t i = 0; i < mn->n_params && (int)i <= pi; i++) {
            const char *nm = mn->params[i].name ? mn->params[i].name : "";
            bool pool = strstr(nm, "workspace") != NULL && strstr(nm, "_var") != NULL;
            if (pool) {
                if ((int)i == pi) {
                    a->kind = MLF_ARG_POOL;
                    a->pool = pool_of_var(m, nm);
                    return;
                }
                continue;
            }
            if (in_seen < mn->n_inputs) {
                if ((int)i == pi) {
                    a->kind = MLF_ARG_INPUT;
                    a->io = (int)in_seen;
                    return;
                }
                in_seen++;
            } else {
                if ((int)i == pi) {
                    a->kind = MLF_ARG_OUTPUT;
                    a->io = (int)out_seen;
                    return;
                }
                out_seen++;
            }
        }
    }
    int c = const_named(m, a->var);
    if (c >= 0) {
        a->kind = MLF_ARG_WEIGHT;
        a->constant = c;
        a->bytes = m->constants[c].bytes;
        return;
    }
    if (strstr(a->var, "workspace") != NULL) {
        a->kind = MLF_ARG_POOL;
        a->pool = pool_of_var(m, a->var);
    }
}

static void link_roles(struct mlf *m);

int mlf_link(struct mlf *m, struct errbuf *eb)
{
    int rc;
    if ((rc = mlf_priv_get(m, eb)) != 0)
        return rc;

    if (m->module == NULL && m->meta.module != NULL)
        m->module = m->meta.module;

    /* constants: offsets and sizes must fit their pool */
    for (size_t i = 0; i < m->n_constants; i++) {
        const struct mlf_constant *c = &m->constants[i];
        if (c->pool < 0)
            continue;
        const struct mlf_pool *p = &m->pools[c->pool];
        size_t end;
        if (p->bytes > 0 && (!size_add(c->offset, c->bytes, &end) || end > p->bytes))
            return errbuf_set(eb, ST_EPARSE,
                              "%s:%u: %s: offset %zu + %zu bytes is past the end of pool %s "
                              "(%zu bytes)",
                              c->file, c->line, c->name, c->offset, c->bytes, p->name, p->bytes);
    }

    if (m->has_main) {
        if ((rc = link_main(m, eb)) != 0)
            return rc;
        if ((rc = link_lets(m, m->main.lets, m->main.n_lets, m->main.file, eb)) != 0)
            return rc;
    }
    for (size_t i = 0; i < m->n_functions; i++) {
        struct mlf_function *f = &m->functions[i];
        f->target = target_of_name(m, f->name);
        f->meta_workspace_bytes = -1;
        f->partition = -1;
        for (size_t j = 0; j < m->n_partitions; j++) {
            const struct mlf_partition *pp = &m->partitions[j];
            if (strcmp(pp->name, f->name) == 0 ||
                (pp->global_symbol && strcmp(pp->global_symbol, f->name) == 0))
                f->partition = (int)j;
        }
        for (size_t j = 0; j < m->meta.n_opfns; j++)
            if (strcmp(m->meta.opfns[j].name, f->name) == 0)
                f->meta_workspace_bytes = m->meta.opfns[j].workspace_bytes;
        if ((rc = link_lets(m, f->lets, f->n_lets, f->file, eb)) != 0)
            return rc;
        /* the scanner left a context buffer's let as -2 - index */
        for (size_t k = 0; k < f->n_kernels; k++) {
            struct mlf_kernel *kn = &f->kernels[k];
            if (kn->ctx_pool <= -2) {
                size_t li = (size_t)(-2 - kn->ctx_pool);
                kn->ctx_pool = li < f->n_lets ? f->lets[li].pool : -1;
                if (kn->ctx_pool >= 0 && kn->ctx_bytes > 0 &&
                    kn->ctx_offset + kn->ctx_bytes > m->pools[kn->ctx_pool].bytes)
                    return errbuf_set(eb, ST_EPARSE,
                                      "%s:%u: context buffer at offset %zu + %zu bytes is past "
                                      "the end of pool %s (%zu bytes)",
                                      f->file, kn->line, kn->ctx_offset, kn->ctx_bytes,
                                      m->pools[kn->ctx_pool].name, m->pools[kn->ctx_pool].bytes);
            }
        }
    }
    for (size_t i = 0; i < m->n_steps; i++) {
        struct mlf_step *s = &m->steps[i];
        s->func = find_function(m, s->function);
        if (!m->priv->graph_steps)
            for (size_t j = 0; j < s->n_args; j++)
                classify_arg(m, &s->args[j]);
    }

    /* executor, interface, USMP */
    if (m->meta.n_executors > 0) {
        if (strcmp(m->meta.executors[0], "aot") == 0)
            m->executor = MLF_EXEC_AOT;
        else if (strcmp(m->meta.executors[0], "graph") == 0)
            m->executor = MLF_EXEC_GRAPH;
    }
    if (m->executor == MLF_EXEC_UNKNOWN)
        m->executor = m->priv->graph_steps ? MLF_EXEC_GRAPH
                      : m->has_main        ? MLF_EXEC_AOT
                                           : MLF_EXEC_UNKNOWN;
    m->interface = MLF_IFACE_UNPACKED;
    if (m->executor == MLF_EXEC_GRAPH)
        m->interface = MLF_IFACE_PACKED;
    for (size_t i = 0; i < m->n_functions; i++)
        if (m->functions[i].packed && m->functions[i].defined)
            m->interface = MLF_IFACE_PACKED;
    m->usmp = m->n_pools > 0;
    link_roles(m);

    /* sizes the metadata, the header and the C declare */
    const struct mlf_pool *ws = NULL, *cp = NULL;
    for (size_t i = 0; i < m->n_pools; i++) {
        if (m->pools[i].is_const && cp == NULL)
            cp = &m->pools[i];
        if (!m->pools[i].is_const && ws == NULL)
            ws = &m->pools[i];
    }
    if (ws != NULL && m->meta.workspace_bytes >= 0 && (size_t)m->meta.workspace_bytes != ws->bytes)
        mlf_warn(m, "metadata.json workspace_size_bytes %lld differs from %s[%zu] (%s:%u)",
                 m->meta.workspace_bytes, ws->name, ws->bytes, ws->file, ws->line);
    if (ws != NULL && m->header_workspace_bytes >= 0 &&
        (size_t)m->header_workspace_bytes != ws->bytes)
        mlf_warn(m, "header workspace size %lld differs from %s[%zu] (%s:%u)",
                 m->header_workspace_bytes, ws->name, ws->bytes, ws->file, ws->line);
    if (cp != NULL && m->meta.constants_bytes >= 0 && (size_t)m->meta.constants_bytes != cp->bytes)
        mlf_warn(m,
                 "metadata.json constants_size_bytes %lld differs from the constant pool's "
                 "total size %zu (%s:%u)",
                 m->meta.constants_bytes, cp->bytes, cp->file, cp->line);
    if (m->meta.version != 0 && m->meta.workspace_bytes >= 0 && m->header_workspace_bytes >= 0 &&
        m->meta.workspace_bytes != m->header_workspace_bytes)
        mlf_warn(m, "metadata.json workspace_size_bytes %lld differs from the header's %lld",
                 m->meta.workspace_bytes, m->header_workspace_bytes);
    if (m->meta.version != 0 && m->n_pools == 0 && m->meta.constants_bytes == 0) {
        size_t sum = 0;
        for (size_t i = 0; i < m->n_constants; i++)
            sum += m->constants[i].bytes;
        if (sum > 0)
            mlf_warn(m,
                     "metadata.json constants_size_bytes is 0 but the C holds %zu bytes of "
                     "weight arrays",
                     sum);
    }
    for (size_t i = 0; i < m->n_steps; i++)
        if (m->steps[i].func < 0 && !m->priv->graph_steps)
            mlf_warn(m, "step %zu calls %s, which no C file defines", i, m->steps[i].function);
    if (m->has_main && m->meta.n_inputs > 0 && m->meta.n_inputs != m->main.n_inputs)
        mlf_warn(m, "metadata.json lists %zu inputs, main takes %zu", m->meta.n_inputs,
                 m->main.n_inputs);
    return 0;
}

static void add_role(struct mlf *m, const char *file, unsigned role)
{
    for (size_t i = 0; file != NULL && i < m->n_files; i++)
        if (strcmp(m->files[i].path, file) == 0)
            m->files[i].roles |= role;
}

/* File roles from the path and from what the parsers found in each file. */
static void link_roles(struct mlf *m)
{
    for (size_t i = 0; i < m->n_files; i++) {
        const char *p = m->files[i].path;
        if (strcmp(p, "metadata.json") == 0)
            m->files[i].roles |= MLF_ROLE_METADATA;
        else if (has_prefix(p, "codegen/host/include/"))
            m->files[i].roles |= MLF_ROLE_HEADER;
        else if (has_prefix(p, "src/"))
            m->files[i].roles |= MLF_ROLE_RELAY;
        else if (has_prefix(p, "parameters/"))
            m->files[i].roles |= MLF_ROLE_PARAMS;
        else if (has_prefix(p, "executor-config/"))
            m->files[i].roles |= MLF_ROLE_GRAPH;
    }
    if (m->has_main)
        add_role(m, m->main.file, MLF_ROLE_MAIN);
    for (size_t i = 0; i < m->n_pools; i++)
        add_role(m, m->pools[i].file,
                 m->pools[i].is_const ? MLF_ROLE_CONSTANTS : MLF_ROLE_WORKSPACE);
    for (size_t i = 0; i < m->n_constants; i++)
        add_role(m, m->constants[i].file, MLF_ROLE_CONSTANTS);
    for (size_t i = 0; i < m->n_functions; i++) {
        const struct mlf_function *f = &m->functions[i];
        size_t n = strlen(f->name);
        if (!f->defined)
            continue;
        if (strcmp(f->name, "TVMSystemLibEntryPoint") == 0)
            add_role(m, f->file, MLF_ROLE_REGISTRY);
        else if (has_prefix(f->name, "tvmgen_") && n > 4 && strcmp(f->name + n - 4, "_run") == 0)
            add_role(m, f->file, MLF_ROLE_ENTRY);
        else if (has_prefix(f->name, "tvmgen_"))
            add_role(m, f->file,
                     strcmp(f->target, "c") == 0 ? MLF_ROLE_HOST_OPS : MLF_ROLE_BYOC_OPS);
    }
}

const struct mlf_constant *mlf_step_kernel_const(const struct mlf *m, const struct mlf_step *s,
                                                 const struct mlf_kernel *k, enum mlf_kptr which)
{
    if ((unsigned)which >= MLF_KP_COUNT)
        return NULL;
    int pi = k->ptr_param[which];
    if (pi < 0 || (size_t)pi >= s->n_args)
        return NULL;
    int c = s->args[pi].constant;
    return c >= 0 && (size_t)c < m->n_constants ? &m->constants[c] : NULL;
}

static bool is_c_file(const char *p)
{
    return has_prefix(p, "codegen/host/src/") && fileio_has_suffix(p, ".c");
}

void mlf_init(struct mlf *m)
{
    memset(m, 0, sizeof *m);
    arena_init(&m->arena);
    m->header_workspace_bytes = -1;
    m->meta.constants_bytes = m->meta.io_bytes = m->meta.workspace_bytes = -1;
}

int mlf_open(struct mlf *m, const char *path, struct errbuf *eb)
{
    int rc;
    bool loaded = false;

    mlf_init(m);
    if ((rc = mlf_priv_get(m, eb)) != 0)
        goto fail;
    m->path = arena_strdup(&m->arena, path);
    if (m->path == NULL) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = mlf_files_load(m, path, eb)) != 0)
        goto fail;
    loaded = true;
    if (m->n_files > 1)
        qsort(m->files, m->n_files, sizeof m->files[0], file_cmp);

    /* metadata first: it names the module and the I/O */
    for (size_t i = 0; i < m->n_files; i++) {
        const struct mlf_file *f = &m->files[i];
        if (strcmp(f->path, "metadata.json") == 0 &&
            (rc = mlf_parse_metadata(m, f->path, (const char *)f->data, f->bytes, eb)) != 0)
            goto fail;
    }
    for (size_t i = 0; i < m->n_files; i++) {
        struct mlf_file *f = &m->files[i];
        const char *p = f->path;
        if (is_c_file(p) || (has_prefix(p, "codegen/host/include/") && fileio_has_suffix(p, ".h")))
            rc = mlf_parse_c(m, p, (const char *)f->data, f->bytes, eb);
        else if (has_prefix(p, "src/"))
            rc = mlf_parse_relay(m, p, (const char *)f->data, f->bytes, eb);
        else if (has_prefix(p, "parameters/"))
            rc = mlf_parse_params(m, p, f->data, f->bytes, eb);
        else if (has_prefix(p, "executor-config/graph/") && !m->has_main)
            rc = mlf_parse_graph_json(m, p, (const char *)f->data, f->bytes, eb);
        if (rc != 0)
            goto fail;
        if (is_c_file(p) && f->bytes > 15 && memcmp(f->data, "// tvm target: ", 15) == 0) {
            const char *s = (const char *)f->data + 15;
            const char *e = memchr(s, '\n', f->bytes - 15);
            size_t n = e ? (size_t)(e - s) : f->bytes - 15;
            while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r'))
                n--;
            f->tvm_target = mlf_strndup(m, s, n, eb);
            if (f->tvm_target == NULL) {
                rc = ST_ENOMEM;
                goto fail;
            }
        }
    }
    bool any_c = false;
    for (size_t i = 0; i < m->n_files; i++)
        any_c = any_c || is_c_file(m->files[i].path);
    if (!any_c)
        mlf_warn(m, "no generated C (codegen/host/src/*.c): only metadata and model text read");
    if ((rc = mlf_link(m, eb)) != 0)
        goto fail;
    return 0;
fail:
    /* parser messages name the file inside the MLF; say which MLF */
    if (loaded && rc != ST_ENOMEM)
        errbuf_prefix(eb, "%s", path);
    mlf_release(m);
    return rc;
}

void mlf_release(struct mlf *m)
{
    mlf_files_release(m);
    mem_free(m->steps);
    mem_free(m->functions);
    mem_free(m->constants);
    mem_free(m->pools);
    mem_free(m->partitions);
    mem_free(m->params);
    mem_free(m->warnings);
    mem_free(m->priv);
    arena_release(&m->arena);
    memset(m, 0, sizeof *m);
}
