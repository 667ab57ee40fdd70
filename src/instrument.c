/*
 * Step output buffers of an AOT main and the hook-inserting copy of the generated C
 * (instrument.h). Sizes come from the most specific source available; the pool-gap bound
 * only counts buffers live at the step, because USMP reuses offsets between lifetimes.
 */
#define _GNU_SOURCE
#include "instrument.h"
#include "instrument_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "mem.h"
#include "sbuf.h"
#include "twin_files.h"

#include "banned.h"

const char *instrument_size_name(enum instrument_size s)
{
    static const char *const names[] = {
#define INSTRUMENT_SIZE_NAME(e, n) n,
        INSTRUMENT_SIZE_LIST(INSTRUMENT_SIZE_NAME)
#undef INSTRUMENT_SIZE_NAME
    };
    return (unsigned)s < INSTRUMENT_SIZE_COUNT ? names[s] : "?";
}

int instrument_dump_dtype(enum mlf_dtype t)
{
    switch (t) {
    case MLF_DT_S8: return 0;
    case MLF_DT_U8: return 1;
    case MLF_DT_S16: return 2;
    case MLF_DT_S32: return 3;
    case MLF_DT_F32: return 4;
    default: return -1;
    }
}

static bool is_buffer_arg(const struct mlf_arg *a)
{
    return a->kind == MLF_ARG_WORKSPACE || a->kind == MLF_ARG_ALLOC || a->kind == MLF_ARG_OUTPUT;
}

/* The element type the callee declares for parameter `param` ("int16_t* T_subtract"). */
static enum mlf_dtype param_dtype(const struct mlf *m, const struct mlf_step *s, size_t param)
{
    if (s->func < 0)
        return MLF_DT_UNKNOWN;
    const struct mlf_function *f = &m->functions[s->func];
    if (param >= f->n_params || !f->params[param].type)
        return MLF_DT_UNKNOWN;
    const char *t = f->params[param].type;
    size_t n = strcspn(t, "* ");
    return mlf_dtype_from_c(t, n);
}

static void set_dims(struct instrument_buffer *b, int rank, const int32_t *dims)
{
    b->rank = rank;
    size_t count = 1;
    for (int i = 0; i < rank; i++) {
        b->dims[i] = dims[i];
        count *= dims[i] > 0 ? (size_t)dims[i] : 0;
    }
    size_t el = mlf_dtype_bytes(b->dtype);
    b->bytes = count * (el ? el : 1);
}

static void set_flat(struct instrument_buffer *b, size_t bytes)
{
    size_t el = mlf_dtype_bytes(b->dtype);
    if (el == 0)
        el = 1;
    b->rank = 1;
    b->dims[0] = (int32_t)(bytes / el > INT32_MAX ? INT32_MAX : bytes / el);
    b->bytes = (size_t)b->dims[0] * el;
}

/* Shape of a CMSIS-NN kernel's output, from the literals the reader collected. */
static bool kernel_shape(const struct mlf_kernel *k, struct instrument_buffer *b)
{
    b->dtype = k->s16 ? MLF_DT_S16 : MLF_DT_S8;
    switch (k->kind) {
    case MLF_K_CONV:
    case MLF_K_DWCONV:
    case MLF_K_AVGPOOL:
    case MLF_K_MAXPOOL:
        if (!k->output.set)
            return false;
        set_dims(b, 4, (const int32_t[]){k->output.n, k->output.h, k->output.w, k->output.c});
        return true;
    case MLF_K_FC:
        if (!k->output.set)
            return false;
        set_dims(b, 2, (const int32_t[]){k->output.n, k->output.c});
        return true;
    case MLF_K_SOFTMAX:
        if (k->num_rows <= 0 || k->row_size <= 0)
            return false;
        set_dims(b, 2, (const int32_t[]){k->num_rows, k->row_size});
        return true;
    case MLF_K_ADD:
    case MLF_K_MUL:
        if (k->block_size <= 0)
            return false;
        set_dims(b, 1, (const int32_t[]){k->block_size});
        return true;
    default:
        return false;
    }
}

/*
 * The bound for a workspace slice at `off` in `pool` written by step `si`: the nearest start
 * above it of another slice of that pool live at that step (first use <= si <= last use),
 * else the pool's end.
 */
static size_t gap_bound(const struct mlf *m, size_t si, int pool, size_t off)
{
    size_t end = pool >= 0 && (size_t)pool < m->n_pools ? m->pools[pool].bytes : 0;
    size_t best = end > off ? end : off;
    for (size_t i = 0; i < m->n_steps; i++) {
        const struct mlf_step *s = &m->steps[i];
        for (size_t a = 0; a < s->n_args; a++) {
            const struct mlf_arg *x = &s->args[a];
            if (x->kind != MLF_ARG_WORKSPACE || x->pool != pool || x->offset <= off ||
                x->offset >= best || !x->var)
                continue;
            /* live range of this variable */
            size_t first = m->n_steps, last = 0;
            for (size_t j = 0; j < m->n_steps; j++)
                for (size_t b = 0; b < m->steps[j].n_args; b++) {
                    const struct mlf_arg *y = &m->steps[j].args[b];
                    if (y->var && strcmp(y->var, x->var) == 0) {
                        if (j < first)
                            first = j;
                        last = j;
                    }
                }
            if (first <= si && si <= last)
                best = x->offset;
        }
    }
    return best - off;
}

/* The bytes function f stores through parameter `param`, from its body's loops. */
static bool store_extent(const struct mlf *m, const struct mlf_function *f, size_t param,
                         enum mlf_dtype dt, size_t *bytes)
{
    if (!f->defined || f->body_end <= f->body_begin || param >= f->n_params ||
        !f->params[param].name || !f->file)
        return false;
    const struct mlf_file *file = NULL;
    for (size_t i = 0; i < m->n_files && !file; i++)
        if (strcmp(m->files[i].path, f->file) == 0)
            file = &m->files[i];
    if (!file || f->body_end > file->bytes)
        return false;
    size_t el = mlf_dtype_bytes(dt) ? mlf_dtype_bytes(dt) : 1;
    return instrument_write_extent((const char *)file->data + f->body_begin,
                                   f->body_end - f->body_begin, f->params[param].name, el,
                                   bytes) == 0;
}

static void plan_step(const struct mlf *m, size_t si, const struct instrument_shape *shapes,
                      size_t n_shapes, struct instrument_buffer *b)
{
    const struct mlf_step *s = &m->steps[si];
    memset(b, 0, sizeof *b);
    b->step = si;
    b->function = s->function;
    b->arg = -1;
    b->name = "";
    b->expr = "";
    b->selected = true;
    const struct mlf_function *f = s->func >= 0 ? &m->functions[s->func] : NULL;
    const struct mlf_kernel *k = f && f->n_kernels > 0 ? &f->kernels[f->n_kernels - 1] : NULL;
    int out = -1;
    if (k && k->ptr_param[MLF_KP_OUTPUT] >= 0 && (size_t)k->ptr_param[MLF_KP_OUTPUT] < s->n_args)
        out = k->ptr_param[MLF_KP_OUTPUT];
    if (out < 0)
        for (size_t a = s->n_args; a-- > 0;)
            if (is_buffer_arg(&s->args[a])) {
                out = (int)a;
                break;
            }
    if (out < 0)
        return;
    const struct mlf_arg *a = &s->args[out];
    b->arg = out;
    b->name = a->var ? a->var : a->text;
    b->expr = a->text;
    b->dtype = param_dtype(m, s, (size_t)out);
    if (b->dtype == MLF_DT_UNKNOWN && a->kind == MLF_ARG_OUTPUT && a->io >= 0 &&
        (size_t)a->io < m->main.n_outputs)
        b->dtype = m->main.outputs[a->io].dtype;
    for (size_t i = 0; i < n_shapes; i++)
        if (shapes[i].step == si) {
            if (shapes[i].dtype != MLF_DT_UNKNOWN)
                b->dtype = shapes[i].dtype;
            if (b->dtype == MLF_DT_UNKNOWN)
                b->dtype = MLF_DT_S8;
            set_dims(b, shapes[i].rank, shapes[i].dims);
            b->source = INSTRUMENT_SIZE_CALLER;
            return;
        }
    if (k && kernel_shape(k, b)) {
        b->source = INSTRUMENT_SIZE_KERNEL;
        return;
    }
    if (b->dtype == MLF_DT_UNKNOWN)
        b->dtype = MLF_DT_S8;
    size_t extent = 0;
    if (f && f->n_kernels == 0 && store_extent(m, f, (size_t)out, b->dtype, &extent)) {
        set_flat(b, extent);
        b->source = INSTRUMENT_SIZE_LOOPS;
        return;
    }
    if (a->kind == MLF_ARG_ALLOC && a->bytes > 0) {
        set_flat(b, a->bytes);
        b->source = INSTRUMENT_SIZE_ALLOC;
        return;
    }
    if (a->kind == MLF_ARG_OUTPUT && a->io >= 0 && (size_t)a->io < m->main.n_outputs &&
        m->main.outputs[a->io].bytes > 0) {
        set_flat(b, (size_t)m->main.outputs[a->io].bytes);
        b->source = INSTRUMENT_SIZE_META;
        return;
    }
    if (a->kind == MLF_ARG_WORKSPACE) {
        set_flat(b, gap_bound(m, si, a->pool, a->offset));
        b->source = INSTRUMENT_SIZE_GAP;
        b->approximate = true;
        return;
    }
    b->source = INSTRUMENT_SIZE_NONE;
    b->approximate = true;
    b->rank = 1;
}

int instrument_plan(const struct mlf *m, const struct instrument_shape *shapes, size_t n_shapes,
                    struct instrument_plan *plan, struct errbuf *eb)
{
    if (!m->has_main || m->executor == MLF_EXEC_GRAPH || !m->main.file)
        return errbuf_set(eb, ST_EUNSUPPORTED,
                          "%s: no AOT main function (__tvm_main__ or run_model) to instrument",
                          m->path ? m->path : "MLF");
    struct instrument_buffer *bufs = NULL;
    if (m->n_steps > 0) {
        bufs = mem_calloc(m->n_steps, sizeof *bufs);
        if (!bufs)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < m->n_steps; i++)
        plan_step(m, i, shapes, n_shapes, &bufs[i]);
    plan->bufs = bufs;
    plan->n = m->n_steps;
    return 0;
}

void instrument_plan_release(struct instrument_plan *plan)
{
    mem_free(plan->bufs);
    plan->bufs = NULL;
    plan->n = 0;
}

static bool parse_index(const char *s, size_t len, size_t *out)
{
    if (len == 0 || len > 18)
        return false;
    size_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

static bool same(const char *name, const char *item, size_t len)
{
    return name && strlen(name) == len && memcmp(name, item, len) == 0;
}

int instrument_select(struct instrument_plan *plan, const char *list, struct errbuf *eb)
{
    bool *want = plan->n ? mem_calloc(plan->n, sizeof *want) : NULL;
    if (plan->n && !want)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        const char *dash = memchr(p, '-', len);
        size_t lo, hi;
        bool hit = false;
        if (parse_index(p, len, &lo)) {
            hi = lo;
        } else if (dash && parse_index(p, (size_t)(dash - p), &lo) &&
                   parse_index(dash + 1, len - (size_t)(dash - p) - 1, &hi)) {
        } else {
            lo = 1;
            hi = 0;
            for (size_t i = 0; i < plan->n; i++)
                if (same(plan->bufs[i].function, p, len) || same(plan->bufs[i].name, p, len)) {
                    want[i] = true;
                    hit = true;
                }
        }
        for (size_t i = lo; i <= hi && i < plan->n; i++) {
            want[i] = true;
            hit = true;
        }
        if (!hit) {
            mem_free(want);
            return errbuf_set(eb, ST_EINVAL, "--layers: '%.*s' matches no step (0-%zu, a "
                              "function or a buffer name)", (int)len, p,
                              plan->n ? plan->n - 1 : 0);
        }
        p += len;
        if (*p == ',')
            p++;
    }
    for (size_t i = 0; i < plan->n; i++)
        plan->bufs[i].selected = want[i];
    mem_free(want);
    return 0;
}

static const struct mlf_file *main_file(const struct mlf *m)
{
    for (size_t i = 0; i < m->n_files; i++)
        if (strcmp(m->files[i].path, m->main.file) == 0)
            return &m->files[i];
    return NULL;
}

/* Byte offset of the start of 1-based line `line`. */
static size_t line_start(const uint8_t *d, size_t n, unsigned line)
{
    unsigned cur = 1;
    for (size_t i = 0; i < n; i++) {
        if (cur == line)
            return i;
        if (d[i] == '\n')
            cur++;
    }
    return n;
}

static void add_c_string(struct sbuf *sb, const char *s)
{
    sbuf_addc(sb, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sbuf_addc(sb, '\\');
        if ((unsigned char)*s < 0x20)
            sbuf_addc(sb, '_');
        else
            sbuf_addc(sb, *s);
    }
    sbuf_addc(sb, '"');
}

static void add_begin(struct sbuf *sb, const struct instrument_buffer *b)
{
    sbuf_printf(sb, "mlfscope_step_begin(%zu, ", b->step);
    add_c_string(sb, b->function ? b->function : "");
    if (b->arg >= 0)
        sbuf_printf(sb, ", (void *)(%s), %zuUL); ", b->expr, b->bytes);
    else
        sbuf_add(sb, ", (void *)0, 0UL); ");
}

static void add_end(struct sbuf *sb, const struct instrument_buffer *b)
{
    int dt = instrument_dump_dtype(b->dtype);
    sbuf_printf(sb, " mlfscope_step_end(%zu, ", b->step);
    add_c_string(sb, b->name);
    if (dt < 0) {
        /* a dtype the board log cannot carry travels as its raw bytes */
        sbuf_printf(sb, ", 1, (const int[]){%zu}, 1, (const void *)(%s), %zuUL);", b->bytes,
                    b->expr, b->bytes);
        return;
    }
    sbuf_printf(sb, ", %d, (const int[]){", dt);
    for (int i = 0; i < b->rank; i++)
        sbuf_printf(sb, "%s%d", i ? ", " : "", (int)b->dims[i]);
    if (b->rank == 0)
        sbuf_add(sb, "1");
    sbuf_printf(sb, "}, %d, (const void *)(%s), %zuUL);", b->rank ? b->rank : 1, b->expr,
                b->bytes);
}

int instrument_source(const struct mlf *m, const struct instrument_plan *plan,
                      const char **path, char **text, size_t *bytes, struct errbuf *eb)
{
    const struct mlf_file *f = main_file(m);
    if (!f || plan->n != m->n_steps)
        return errbuf_set(eb, ST_EUNSUPPORTED, "%s: the AOT main's file is not in the MLF",
                          m->path ? m->path : "MLF");
    const char *src = (const char *)f->data;
    size_t n = f->bytes;
    size_t decl_at = line_start(f->data, n, m->main.line);
    if (m->n_steps > 0 && decl_at > m->steps[0].stmt_begin)
        decl_at = m->steps[0].stmt_begin;
    struct sbuf sb;
    sbuf_init(&sb);
    sbuf_addn(&sb, src, decl_at);
    /* prototypes on main's own line keep every line number of the original */
    sbuf_add(&sb, "void mlfscope_run_begin(void); void mlfscope_run_end(void); "
                  "void mlfscope_step_begin(int, const char *, void *, unsigned long); "
                  "void mlfscope_step_end(int, const char *, int, const int *, int, "
                  "const void *, unsigned long); ");
    size_t at = decl_at;
    for (size_t i = 0; i < m->n_steps; i++) {
        const struct mlf_step *s = &m->steps[i];
        const struct instrument_buffer *b = &plan->bufs[i];
        if (s->stmt_begin < at || s->stmt_end > n || s->stmt_end < s->stmt_begin) {
            sbuf_release(&sb);
            return errbuf_set(eb, ST_EUNSUPPORTED, "%s:%u: step %zu: statement out of order",
                              f->path, s->line, i);
        }
        sbuf_addn(&sb, src + at, s->stmt_begin - at);
        if (i == 0)
            sbuf_add(&sb, "mlfscope_run_begin(); ");
        add_begin(&sb, b);
        sbuf_addn(&sb, src + s->stmt_begin, s->stmt_end - s->stmt_begin);
        if (b->selected && b->arg >= 0)
            add_end(&sb, b);
        if (i + 1 == m->n_steps)
            sbuf_add(&sb, " mlfscope_run_end();");
        at = s->stmt_end;
    }
    sbuf_addn(&sb, src + at, n - at);
    if (sbuf_failed(&sb)) {
        sbuf_release(&sb);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    *bytes = sb.len;
    *text = sbuf_detach(&sb);
    if (!*text)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    *path = f->path;
    return 0;
}

char *instrument_firmware_hooks(const char *model)
{
    struct sbuf sb;
    sbuf_init(&sb);
    sbuf_add(&sb,
             "/*\n"
             " * Generated by `mlfscope instrument`: the hooks the instrumented AOT main calls.\n"
             " * They print each step's output as an mlfscope board log through\n"
             " * mlfscope_board_putc, which you define (a UART, RTT or ring-buffer write).\n"
             " */\n"
             "#include \"mlfscope_dump.h\"\n\n"
             "void mlfscope_board_putc(char c, void *user);\n"
             "void mlfscope_run_begin(void);\n"
             "void mlfscope_run_end(void);\n"
             "void mlfscope_step_begin(int step, const char *function, void *out,\n"
             "                         unsigned long bound);\n"
             "void mlfscope_step_end(int step, const char *name, int dtype, const int *dims,\n"
             "                       int rank, const void *data, unsigned long nbytes);\n\n"
             "static struct mlfscope_dump mlfscope_ctx;\n"
             "static unsigned mlfscope_runs;\n"
             "static char mlfscope_run_id[16];\n\n"
             "void mlfscope_run_begin(void)\n"
             "{\n"
             "    unsigned n = ++mlfscope_runs, i = 4, j = 0;\n"
             "    char digits[10];\n"
             "    mlfscope_run_id[0] = 'r', mlfscope_run_id[1] = 'u', mlfscope_run_id[2] = 'n';\n"
             "    mlfscope_run_id[3] = '-';\n"
             "    do {\n"
             "        digits[j++] = (char)('0' + n % 10);\n"
             "        n /= 10;\n"
             "    } while (n && j < sizeof digits);\n"
             "    while (j)\n"
             "        mlfscope_run_id[i++] = digits[--j];\n"
             "    mlfscope_run_id[i] = '\\0';\n"
             "    mlfscope_dump_init(&mlfscope_ctx, mlfscope_board_putc, 0);\n"
             "    mlfscope_dump_begin(&mlfscope_ctx, mlfscope_run_id, ");
    add_c_string(&sb, model);
    sbuf_add(&sb,
             ");\n"
             "}\n\n"
             "void mlfscope_step_begin(int step, const char *function, void *out,\n"
             "                         unsigned long bound)\n"
             "{\n"
             "    (void)step, (void)function, (void)out, (void)bound;\n"
             "}\n\n"
             "void mlfscope_step_end(int step, const char *name, int dtype, const int *dims,\n"
             "                       int rank, const void *data, unsigned long nbytes)\n"
             "{\n"
             "    int32_t d[8];\n"
             "    for (int i = 0; i < rank && i < 8; i++)\n"
             "        d[i] = dims[i];\n"
             "    mlfscope_dump_tensor(&mlfscope_ctx, (uint32_t)step, name,\n"
             "                         (enum mlfscope_dump_dtype)dtype, d, rank, data,\n"
             "                         (uint32_t)nbytes);\n"
             "}\n\n"
             "void mlfscope_run_end(void)\n"
             "{\n"
             "    mlfscope_dump_end(&mlfscope_ctx);\n"
             "}\n");
    return sbuf_detach(&sb);
}

static char *dup_prefix(const char *s, size_t n)
{
    char *d = mem_alloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/*
 * Copies every regular file under src_dir into dst_dir. Symbolic links to folders are not
 * followed (no loops), and `skip` (the output folder's real path, when it lies inside the
 * MLF) is not copied into itself.
 */
static int copy_tree(const char *src_dir, const char *dst_dir, const char *skip,
                     struct errbuf *eb)
{
    DIR *d = opendir(src_dir);
    if (!d)
        return errbuf_set(eb, ST_EIO, "%s: cannot open folder: %s", src_dir, strerror(errno));
    int rc = fileio_mkdirs(dst_dir, eb);
    for (struct dirent *e; !rc && (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *s = fileio_join(src_dir, e->d_name);
        char *t = fileio_join(dst_dir, e->d_name);
        struct stat st, lst;
        char *real = s ? realpath(s, NULL) : NULL;
        bool is_skip = real && skip && strcmp(real, skip) == 0;
        free(real);
        if (!s || !t) {
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        } else if (is_skip || lstat(s, &lst) != 0) {
            /* the output folder itself, or gone */
        } else if (S_ISDIR(lst.st_mode)) {
            rc = copy_tree(s, t, skip, eb);
        } else if (stat(s, &st) == 0 && S_ISREG(st.st_mode)) {
            struct filebuf fb = {0};
            rc = filebuf_open(&fb, s, eb);
            if (!rc)
                rc = fileio_write(t, fb.data, fb.bytes, eb);
            filebuf_release(&fb);
        }
        mem_free(s);
        mem_free(t);
    }
    closedir(d);
    return rc;
}

static int write_at(const char *dir, const char *rel, const char *data, size_t n,
                    struct errbuf *eb)
{
    char *p = fileio_join(dir, rel);
    char *pd = p ? fileio_dirname(p) : NULL;
    int rc = p && pd ? fileio_mkdirs(pd, eb) : errbuf_set(eb, ST_ENOMEM, "out of memory");
    if (!rc)
        rc = fileio_write(p, data, n, eb);
    mem_free(pd);
    mem_free(p);
    return rc;
}

static const struct twin_file *embedded(const char *path)
{
    for (size_t i = 0; i < twin_n_files; i++)
        if (strcmp(twin_files[i].path, path) == 0)
            return &twin_files[i];
    return NULL;
}

static void readme(struct sbuf *sb, const struct mlf *m, const struct instrument_plan *plan,
                   const char *main_path)
{
    size_t n_sel = 0, n_approx = 0;
    for (size_t i = 0; i < plan->n; i++) {
        n_sel += plan->bufs[i].selected && plan->bufs[i].arg >= 0;
        n_approx += plan->bufs[i].selected && plan->bufs[i].approximate;
    }
    sbuf_printf(sb,
        "# Instrumented MLF (mlfscope instrument)\n\n"
        "This is a copy of `%s` whose AOT main (`%s` in `%s`) prints the output of %zu of its\n"
        "%zu steps as an mlfscope board log. Line numbers are those of the original file:\n"
        "the hooks were added on the lines of the calls.\n\n"
        "## 1. Add the output hook\n\n"
        "`codegen/host/src/mlfscope_hooks.c` and `mlfscope_dump.c` (with\n"
        "`codegen/host/include/mlfscope_dump.h`) are compiled with the rest of the generated C.\n"
        "Define one function in your application that sends a character to the host:\n\n"
        "```c\n"
        "void mlfscope_board_putc(char c, void *user)\n"
        "{\n"
        "    (void)user;\n"
        "    HAL_UART_Transmit(&huart2, (uint8_t *)&c, 1, 10);   /* or RTT, ITM, a ring buffer */\n"
        "}\n"
        "```\n\n"
        "If your build lists source files explicitly, add the two .c files. No heap, no stdio;\n"
        "about 1 KB of flash. Each inference prints `@mlfs begin run-N ...`, one tensor per\n"
        "step, then `@mlfs end run-N`.\n\n"
        "## 2. Build\n\n"
        "Build the firmware as before, with the same TVM runtime and CMSIS-NN. Printing\n"
        "costs time: at 115200 baud about 11 KB/s, so raise the baud rate (921600 or more)\n"
        "or dump fewer steps with `mlfscope instrument --layers 3,7-9`.\n\n"
        "## 3. Capture\n\n"
        "```\n"
        "mlfscope capture --port /dev/ttyACM0 --baud 921600 -o board.log --until-end\n"
        "```\n\n"
        "## 4. Compare\n\n"
        "```\n"
        "mlfscope twin %s --input INPUT -o twin/   # the same C on the host\n"
        "mlfscope diff board.log twin/\n"
        "```\n\n"
        "Tensors are indexed by step and named by the model layer the step computes (when\n"
        "`--model` was given), else by the MLF buffer they were written to (`sid_7_let`).\n", m->path ? m->path : "the MLF", m->main.name ? m->main.name : "main", main_path,
        n_sel, plan->n, m->path ? m->path : "MLF");
    if (n_approx)
        sbuf_printf(sb,
            "%zu of the dumped steps are TVM C functions whose output size the MLF does not\n"
            "state: they print the room up to the next live buffer (an upper bound), so their\n"
            "tail holds unrelated bytes.\n", n_approx);
    else
        sbuf_add(sb, "Every dumped size comes from the MLF (kernel dimensions or allocations).\n");
    sbuf_add(sb, "\n## Steps\n\n| step | function | buffer | dtype | shape | size from |\n"
                 "| --- | --- | --- | --- | --- | --- |\n");
    for (size_t i = 0; i < plan->n; i++) {
        const struct instrument_buffer *b = &plan->bufs[i];
        if (!b->selected || b->arg < 0)
            continue;
        sbuf_printf(sb, "| %zu | %s | %s | %s | ", i, b->function, b->name,
                    mlf_dtype_name(b->dtype));
        for (int d = 0; d < b->rank; d++)
            sbuf_printf(sb, "%s%d", d ? "x" : "", (int)b->dims[d]);
        sbuf_printf(sb, " | %s%s |\n", instrument_size_name(b->source),
                    b->approximate ? " (upper bound)" : "");
    }
}

int instrument_write(const struct mlf *m, const struct instrument_plan *plan, const char *dir,
                     const char *model, struct errbuf *eb)
{
    const char *main_path = NULL;
    char *text = NULL, *hooks = NULL;
    size_t n = 0;
    int rc = instrument_source(m, plan, &main_path, &text, &n, eb);
    if (rc)
        return rc;
    if (m->path && fileio_is_dir(m->path)) {
        rc = fileio_mkdirs(dir, eb);
        char *skip = rc ? NULL : realpath(dir, NULL);
        if (!rc)
            rc = copy_tree(m->path, dir, skip, eb);
        free(skip);
    } else {
        rc = fileio_mkdirs(dir, eb);
        for (size_t i = 0; i < m->n_files && !rc; i++) {
            const char *p = m->files[i].path;
            /* an archive member must not land outside dir */
            if (p[0] == '/' || strstr(p, "..") != NULL)
                continue;
            rc = write_at(dir, p, (const char *)m->files[i].data, m->files[i].bytes, eb);
        }
    }
    /* the generated C sits at codegen/host/... ; a bare codegen/ tree has host/... */
    char *src_dir = NULL;
    if (!rc) {
        const char *p = strstr(main_path, "host/src/");
        src_dir = p ? dup_prefix(main_path, (size_t)(p - main_path)) : NULL;
        if (!src_dir)
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    const struct twin_file *dc = embedded("dump/firmware/mlfscope_dump.c");
    const struct twin_file *dh = embedded("dump/firmware/mlfscope_dump.h");
    if (!rc && (!dc || !dh))
        rc = errbuf_set(eb, ST_EINVAL, "the board-log emitter is not embedded in this build");
    if (!rc && (main_path[0] == '/' || strstr(main_path, "..") != NULL))
        rc = errbuf_set(eb, ST_EUNSUPPORTED, "%s: the main's file path '%s' leaves the MLF",
                        m->path ? m->path : "MLF", main_path);
    struct sbuf path;
    sbuf_init(&path);
    if (!rc)
        rc = write_at(dir, main_path, text, n, eb);
    if (!rc) {
        sbuf_printf(&path, "%shost/src/mlfscope_dump.c", src_dir);
        rc = write_at(dir, sbuf_str(&path), dc->data, dc->bytes, eb);
    }
    if (!rc) {
        sbuf_reset(&path);
        sbuf_printf(&path, "%shost/include/mlfscope_dump.h", src_dir);
        rc = write_at(dir, sbuf_str(&path), dh->data, dh->bytes, eb);
    }
    if (!rc) {
        hooks = instrument_firmware_hooks(model);
        sbuf_reset(&path);
        sbuf_printf(&path, "%shost/src/mlfscope_hooks.c", src_dir);
        rc = hooks ? write_at(dir, sbuf_str(&path), hooks, strlen(hooks), eb)
                   : errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    if (!rc) {
        struct sbuf rd;
        sbuf_init(&rd);
        readme(&rd, m, plan, main_path);
        rc = sbuf_failed(&rd) ? errbuf_set(eb, ST_ENOMEM, "out of memory")
             : write_at(dir, "README-mlfscope.md", rd.buf, rd.len, eb);
        sbuf_release(&rd);
    }
    sbuf_release(&path);
    mem_free(src_dir);
    mem_free(hooks);
    mem_free(text);
    return rc;
}
