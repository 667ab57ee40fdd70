/*
 * The host twin (twin.h): writes the instrumented MLF C, the embedded ref/ kernels and
 * runtime and a generated driver into DIR/build, compiles them with the host compiler, runs
 * the program and turns its board log and stderr into a run-form folder and hazards.json.
 */
#define _GNU_SOURCE
#include "twin.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dump/boardlog.h"
#include "dump/npy.h"
#include "mem.h"
#include "sbuf.h"
#include "twin_files.h"

#include "banned.h"

extern char **environ;

/* Model outputs the MLF gives no size for get a buffer this big, measured after the run. */
#define TWIN_OUT_DEFAULT_BYTES 65536u
/* The byte the driver fills a buffer with before a step whose output size it measures. */
#define TWIN_FILL 0xA5

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void twin_result_release(struct twin_result *r)
{
    for (size_t i = 0; i < r->n_hazards; i++) {
        mem_free(r->hazards[i].kind);
        mem_free(r->hazards[i].function);
        mem_free(r->hazards[i].detail);
        mem_free(r->hazards[i].channels);
    }
    mem_free(r->hazards);
    mem_free(r->log_path);
    memset(r, 0, sizeof *r);
}

static char *dup_n(const char *s, size_t n)
{
    char *d = mem_alloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static char *dup_s(const char *s)
{
    return dup_n(s, strlen(s));
}

static double mtime_seconds(const struct stat *st)
{
    return (double)st->st_mtim.tv_sec + (double)st->st_mtim.tv_nsec * 1e-9;
}

/* Whether the file at path holds exactly these bytes. */
static bool file_holds(const char *path, const void *data, size_t n)
{
    struct filebuf fb = {0};
    struct errbuf quiet;
    errbuf_init(&quiet);
    bool same = false;
    if (fileio_exists(path) && filebuf_open(&fb, path, &quiet) == 0) {
        same = fb.bytes == n && (n == 0 || memcmp(fb.data, data, n) == 0);
        filebuf_release(&fb);
    }
    return same;
}

/*
 * Writes path unless it already holds exactly these bytes. *newest tracks the newest mtime
 * of what every object depends on (headers and the compiler command).
 */
static int write_if_changed(const char *path, const void *data, size_t n, double *newest,
                            struct errbuf *eb)
{
    char *dir = fileio_dirname(path);
    if (!dir)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    int rc = fileio_mkdirs(dir, eb);
    mem_free(dir);
    if (rc)
        return rc;
    if (!file_holds(path, data, n) && (rc = fileio_write(path, data, n, eb)) != 0)
        return rc;
    struct stat st;
    bool dep = fileio_has_suffix(path, ".h") || fileio_has_suffix(path, "command.txt");
    if (newest && dep && stat(path, &st) == 0 && mtime_seconds(&st) > *newest)
        *newest = mtime_seconds(&st);
    return 0;
}

static int write_embedded(const char *dir, const char *prefix, double *newest,
                          struct errbuf *eb)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < twin_n_files; i++) {
        const struct twin_file *f = &twin_files[i];
        if (strncmp(f->path, prefix, plen) != 0)
            continue;
        char *path = fileio_join(dir, f->path);
        if (!path)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        int rc = write_if_changed(path, f->data, f->bytes, newest, eb);
        mem_free(path);
        if (rc)
            return rc;
    }
    return 0;
}

int twin_write_embedded(const char *dir, const char *prefix, struct errbuf *eb)
{
    return write_embedded(dir, prefix, NULL, eb);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static bool is_src_c(const char *p)
{
    return strstr(p, "host/src/") && fileio_has_suffix(p, ".c");
}

static bool is_include_h(const char *p)
{
    return strstr(p, "host/include/") && fileio_has_suffix(p, ".h");
}

long long twin_input_bytes(const struct mlf *m, size_t i)
{
    if (i < m->main.n_inputs && m->main.inputs[i].bytes > 0)
        return m->main.inputs[i].bytes;
    for (size_t s = 0; s < m->n_steps; s++) {
        const struct mlf_step *st = &m->steps[s];
        for (size_t a = 0; a < st->n_args; a++) {
            if (st->args[a].kind != MLF_ARG_INPUT || st->args[a].io != (int)i)
                continue;
            if (st->func < 0)
                return -1;
            const struct mlf_function *f = &m->functions[st->func];
            for (size_t k = 0; k < f->n_kernels; k++) {
                const struct mlf_kernel *kn = &f->kernels[k];
                if (kn->ptr_param[MLF_KP_INPUT] != (int)a || !kn->input.set)
                    continue;
                long long n = (long long)kn->input.n * kn->input.h * kn->input.w * kn->input.c;
                return n * (kn->s16 ? 2 : 1);
            }
            return -1;
        }
    }
    return -1;
}

/* Output bytes the driver allocates for output i. */
static size_t output_alloc(const struct mlf *m, const struct instrument_plan *plan, size_t i)
{
    size_t known = 0;
    if (i < m->main.n_outputs && m->main.outputs[i].bytes > 0)
        known = (size_t)m->main.outputs[i].bytes;
    for (size_t s = 0; s < plan->n; s++) {
        const struct instrument_buffer *b = &plan->bufs[s];
        if (b->arg < 0)
            continue;
        const struct mlf_arg *a = &m->steps[s].args[b->arg];
        if (a->kind == MLF_ARG_OUTPUT && a->io == (int)i && !b->approximate && b->bytes > known)
            known = b->bytes;
    }
    return known ? known : TWIN_OUT_DEFAULT_BYTES;
}

/*
 * Whether the driver measures step s's output size: an upper bound or an allocation size
 * says only how much room there is. Filling the room with TWIN_FILL is safe only when no
 * other argument of the step points into it (in-place operators read it).
 */
static bool measures(const struct mlf *m, const struct instrument_buffer *b)
{
    if (b->arg < 0 || b->bytes == 0)
        return false;
    if (!b->approximate && b->source != INSTRUMENT_SIZE_ALLOC)
        return false;
    const struct mlf_step *s = &m->steps[b->step];
    const struct mlf_arg *o = &s->args[b->arg];
    for (size_t a = 0; a < s->n_args; a++) {
        const struct mlf_arg *x = &s->args[a];
        if ((int)a == b->arg)
            continue;
        if (o->var && x->var && strcmp(o->var, x->var) == 0)
            return false;
        if (o->kind == MLF_ARG_WORKSPACE && x->kind == MLF_ARG_WORKSPACE && x->pool == o->pool &&
            x->offset >= o->offset && x->offset < o->offset + b->bytes)
            return false;
        if (o->kind == MLF_ARG_OUTPUT && x->kind == MLF_ARG_OUTPUT && x->io == o->io)
            return false;
    }
    return true;
}

/* The plan the twin instruments with: unknown model-output sizes become the driver's. */
static int twin_plan(const struct mlf *m, const struct instrument_plan *in,
                     struct instrument_plan *out, struct errbuf *eb)
{
    out->n = in->n;
    out->bufs = NULL;
    if (in->n == 0)
        return 0;
    out->bufs = mem_calloc(in->n, sizeof *out->bufs);
    if (!out->bufs)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    memcpy(out->bufs, in->bufs, in->n * sizeof *out->bufs);
    for (size_t s = 0; s < out->n; s++) {
        struct instrument_buffer *b = &out->bufs[s];
        if (b->arg < 0 || b->source != INSTRUMENT_SIZE_NONE)
            continue;
        const struct mlf_arg *a = &m->steps[s].args[b->arg];
        if (a->kind != MLF_ARG_OUTPUT)
            continue;
        size_t el = mlf_dtype_bytes(b->dtype) ? mlf_dtype_bytes(b->dtype) : 1;
        size_t room = output_alloc(m, in, (size_t)(a->io < 0 ? 0 : a->io));
        b->rank = 1;
        b->dims[0] = (int32_t)(room / el);
        b->bytes = room / el * el;
        b->approximate = true;
    }
    return 0;
}

static void upper(char *d, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        d[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 'a' + 'A') : s[i];
    d[i] = '\0';
}

static bool has_header(const struct mlf *m, const char *name)
{
    for (size_t i = 0; i < m->n_files; i++)
        if (is_include_h(m->files[i].path) && strcmp(base_name(m->files[i].path), name) == 0)
            return true;
    return false;
}

static char *driver_source(const struct mlf *m, const struct instrument_plan *plan,
                           const struct twin_options *opt)
{
    const char *mod = m->module ? m->module : "default";
    char MOD[64];
    upper(MOD, sizeof MOD, mod);
    char header[96];
    snprintf(header, sizeof header, "tvmgen_%s.h", mod);
    size_t n_in = m->main.n_inputs ? m->main.n_inputs : 1;
    size_t n_out = m->main.n_outputs ? m->main.n_outputs : 1;
    struct sbuf sb;
    sbuf_init(&sb);
    sbuf_add(&sb, "/* Generated by `mlfscope twin`: runs the instrumented MLF once. */\n"
                  "#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
                  "#include <string.h>\n\n#include \"mlfscope_dump.h\"\n"
                  "#if defined(__SANITIZE_ADDRESS__)\n#define TWIN_ASAN 1\n"
                  "#elif defined(__has_feature)\n#if __has_feature(address_sanitizer)\n"
                  "#define TWIN_ASAN 1\n#endif\n#endif\n"
                  "#ifdef TWIN_ASAN\n#include <sanitizer/asan_interface.h>\n#endif\n"
                  "#include \"twin_runtime.h\"\n");
    bool hdr = !m->legacy_run_model && has_header(m, header);
    if (hdr)
        sbuf_printf(&sb, "#include \"%s\"\n", header);
    long long ws = m->header_workspace_bytes >= 0 ? m->header_workspace_bytes
                   : m->meta.workspace_bytes >= 0 ? m->meta.workspace_bytes : 1 << 20;
    sbuf_printf(&sb, "\n#ifndef TVMGEN_%s_WORKSPACE_SIZE\n#define TVMGEN_%s_WORKSPACE_SIZE %lld\n"
                "#endif\n", MOD, MOD, ws > 0 ? ws : 16);
    sbuf_printf(&sb, "static uint8_t twin_arena[TVMGEN_%s_WORKSPACE_SIZE + 16] "
                "__attribute__((aligned(16)));\n", MOD);
    sbuf_printf(&sb, "#define TWIN_STEPS %zu\n", plan->n);
    sbuf_add(&sb, "static const unsigned char twin_measure[TWIN_STEPS + 1] = {");
    for (size_t s = 0; s < plan->n; s++)
        sbuf_printf(&sb, "%d,", measures(m, &plan->bufs[s]) ? 1 : 0);
    sbuf_add(&sb, "0};\nstatic const unsigned char twin_elem[TWIN_STEPS + 1] = {");
    for (size_t s = 0; s < plan->n; s++) {
        size_t el = mlf_dtype_bytes(plan->bufs[s].dtype);
        sbuf_printf(&sb, "%zu,", instrument_dump_dtype(plan->bufs[s].dtype) < 0 || !el ? 1 : el);
    }
    sbuf_add(&sb, "1};\n");
    sbuf_printf(&sb, "static const long long twin_in_bytes[%zu] = {", n_in);
    for (size_t i = 0; i < n_in; i++)
        sbuf_printf(&sb, "%lld,", twin_input_bytes(m, i));
    sbuf_printf(&sb, "};\nstatic const size_t twin_out_bytes[%zu] = {", n_out);
    for (size_t i = 0; i < n_out; i++)
        sbuf_printf(&sb, "%zu,", output_alloc(m, plan, i));
    sbuf_add(&sb, "};\n");
    sbuf_add(&sb, "static struct mlfscope_dump twin_dump;\nstatic FILE *twin_log;\n\n");
    sbuf_add(&sb, "static void twin_putc(char c, void *user)\n"
                  "{\n    fputc(c, (FILE *)user);\n}\n\n");
    sbuf_add(&sb, "void mlfscope_run_begin(void);\nvoid mlfscope_run_end(void);\n"
                  "void mlfscope_step_begin(int step, const char *function, void *out,\n"
                  "                         unsigned long bound);\n"
                  "void mlfscope_step_end(int step, const char *name, int dtype, const int *dims,"
                  "\n                       int rank, const void *data,"
                  " unsigned long nbytes);\n\n");
    sbuf_add(&sb, "void mlfscope_run_begin(void)\n{\n"
                  "    mlfscope_dump_begin(&twin_dump, \"twin\", \"");
    for (const char *p = opt->model_name && *opt->model_name ? opt->model_name : mod; *p; p++)
        if (*p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
            sbuf_addc(&sb, *p);
    sbuf_add(&sb, "\");\n}\n\n"
                  "void mlfscope_run_end(void)\n{\n    mlfscope_dump_end(&twin_dump);\n}\n\n"
                  "void mlfscope_step_begin(int step, const char *function, void *out,\n"
                  "                         unsigned long bound)\n{\n"
                  "    ref_twin_set_step(step, function);\n"
                  "    fprintf(stderr, \"mlfscope-twin: step %d %s\\n\", step, function);\n"
                  "    fflush(stderr);\n"
                  "    if (step >= 0 && step < TWIN_STEPS && twin_measure[step] && out && bound)\n"
                  "        memset(out, 0xA5, bound);\n}\n\n");
    sbuf_add(&sb, "void mlfscope_step_end(int step, const char *name, int dtype, const int *dims,"
                  "\n                       int rank, const void *data, unsigned long nbytes)\n{\n"
                  "    int32_t d[8];\n"
                  "    for (int i = 0; i < rank && i < 8; i++)\n        d[i] = dims[i];\n"
                  "    if (step >= 0 && step < TWIN_STEPS && twin_measure[step]) {\n"
                  "        const unsigned char *p = data;\n"
                  "        unsigned long used = nbytes, el = twin_elem[step];\n"
                  "        while (used > 0 && p[used - 1] == 0xA5)\n            used--;\n"
                  "        used = (used + el - 1) / el * el;\n"
                  "        if (used > nbytes)\n            used = nbytes;\n"
                  "        d[0] = (int32_t)(used / el);\n        rank = 1;\n"
                  "        nbytes = used;\n"
                  "    }\n"
                  "#ifdef TWIN_ASAN\n"
                  "    /* the step already got its report: dump only what is really there */\n"
                  "    const char *bad = __asan_region_is_poisoned((void *)data, nbytes);\n"
                  "    if (bad && step >= 0 && step < TWIN_STEPS) {\n"
                  "        unsigned long el = twin_elem[step];\n"
                  "        nbytes = (unsigned long)(bad - (const char *)data) / el * el;\n"
                  "        d[0] = (int32_t)(nbytes / el);\n        rank = 1;\n"
                  "    }\n"
                  "#endif\n"
                  "    mlfscope_dump_tensor(&twin_dump, (uint32_t)step, name,\n"
                  "                         (enum mlfscope_dump_dtype)dtype, d, rank, data,\n"
                  "                         (uint32_t)nbytes);\n"
                  "    fflush(twin_log);\n}\n\n");
    if (!hdr || m->legacy_run_model) {
        if (m->legacy_run_model)
            sbuf_printf(&sb, "int32_t tvmgen_%s_run_model(void *input, void *output);\n", mod);
    }
    sbuf_printf(&sb, "int main(int argc, char **argv)\n{\n"
                "    if (argc != %zu) {\n"
                "        fprintf(stderr, \"usage: twin INPUT... LOG\\n\");\n        return 64;\n"
                "    }\n"
                "    void *in[%zu], *out[%zu];\n"
                "    for (int i = 0; i < %zu; i++) {\n"
                "        FILE *f = fopen(argv[1 + i], \"rb\");\n"
                "        if (!f) {\n            perror(argv[1 + i]);\n            return 66;\n"
                "        }\n"
                "        fseek(f, 0, SEEK_END);\n        long n = ftell(f);\n"
                "        fseek(f, 0, SEEK_SET);\n"
                "        long room = twin_in_bytes[i] > n ? (long)twin_in_bytes[i] : n;\n"
                "        in[i] = calloc((size_t)room + 16, 1);\n"
                "        if (!in[i] || fread(in[i], 1, (size_t)n, f) != (size_t)n)\n"
                "            return 66;\n"
                "        fclose(f);\n    }\n"
                "    for (int i = 0; i < %zu; i++)\n"
                "        out[i] = calloc(twin_out_bytes[i] + 16, 1);\n"
                "    twin_log = fopen(argv[argc - 1], \"wb\");\n"
                "    if (!twin_log) {\n        perror(argv[argc - 1]);\n        return 73;\n    }\n"
                "    mlfscope_dump_init(&twin_dump, twin_putc, twin_log);\n"
                "    const char *ver = getenv(\"MLFSCOPE_TWIN_CMSIS_NN\");\n"
                "    ref_twin_set_cmsis_version(ver ? (int)strtol(ver, 0, 10) : 4);\n"
                "    ref_twin_workspace_init(twin_arena, TVMGEN_%s_WORKSPACE_SIZE, %d);\n",
                n_in + 2, n_in, n_out, n_in, n_out, MOD, opt->sanitize ? 1 : 0);
    if (m->legacy_run_model) {
        sbuf_printf(&sb, "    int32_t rc = tvmgen_%s_run_model(in[0], out[0]);\n", mod);
    } else {
        sbuf_printf(&sb, "    struct tvmgen_%s_inputs ins = {", mod);
        for (size_t i = 0; i < n_in; i++)
            sbuf_printf(&sb, "%sin[%zu]", i ? ", " : "", i);
        sbuf_printf(&sb, "};\n    struct tvmgen_%s_outputs outs = {", mod);
        for (size_t i = 0; i < n_out; i++)
            sbuf_printf(&sb, "%sout[%zu]", i ? ", " : "", i);
        sbuf_printf(&sb, "};\n    int32_t rc = tvmgen_%s_run(&ins, &outs);\n", mod);
    }
    sbuf_add(&sb, "    ref_twin_set_step(-1, \"\");\n"
                  "    fprintf(stderr, \"mlfscope-twin: status %d\\n\", (int)rc);\n"
                  "    fclose(twin_log);\n"
                  "    for (int i = 0; i < (int)(sizeof in / sizeof in[0]); i++)\n"
                  "        free(in[i]);\n"
                  "    for (int i = 0; i < (int)(sizeof out / sizeof out[0]); i++)\n"
                  "        free(out[i]);\n"
                  "    return 0;\n}\n");
    return sbuf_detach(&sb);
}

/* A NULL-terminated argument vector owning its strings. */
struct strv {
    char **v;
    size_t n, cap;
    bool failed;
};

static void strv_add(struct strv *a, const char *s)
{
    if (a->failed)
        return;
    if (a->n + 2 > a->cap) {
        size_t nc = a->cap * 2 + 32;
        char **nv = mem_realloc(a->v, nc * sizeof *nv);
        if (!nv) {
            a->failed = true;
            return;
        }
        a->v = nv;
        a->cap = nc;
    }
    char *d = dup_s(s);
    if (!d) {
        a->failed = true;
        return;
    }
    a->v[a->n++] = d;
    a->v[a->n] = NULL;
}

/* Adds the space-separated words of s. */
static void strv_words(struct strv *a, const char *s)
{
    while (s && *s) {
        while (*s == ' ')
            s++;
        size_t n = strcspn(s, " ");
        if (n == 0)
            break;
        char *w = dup_n(s, n);
        if (!w) {
            a->failed = true;
            return;
        }
        strv_add(a, w);
        mem_free(w);
        s += n;
    }
}

static void strv_release(struct strv *a)
{
    for (size_t i = 0; i < a->n; i++)
        mem_free(a->v[i]);
    mem_free(a->v);
    memset(a, 0, sizeof *a);
}

/* Starts argv in `cwd` with stdout and stderr to `out_path`; see run_program. */
static int spawn_program(char *const *argv, const char *cwd, const char *out_path,
                         char *const *env_add, pid_t *pid_out, struct errbuf *eb)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
    char **env = environ;
    char **own = NULL;
    if (env_add) {
        size_t n = 0;
        while (environ[n])
            n++;
        size_t k = 0;
        while (env_add[k])
            k++;
        own = mem_calloc(n + k + 1, sizeof *own);
        if (!own) {
            posix_spawn_file_actions_destroy(&fa);
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        }
        /* ours replace same-named entries (a sanitized mlfscope has its own ASAN_OPTIONS) */
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            bool replaced = false;
            for (size_t j = 0; j < k && !replaced; j++) {
                size_t nl = strcspn(env_add[j], "=");
                replaced = strncmp(environ[i], env_add[j], nl + 1) == 0;
            }
            if (!replaced)
                own[m++] = environ[i];
        }
        for (size_t i = 0; i < k; i++)
            own[m + i] = env_add[i];
        env = own;
    }
    int rc = posix_spawnp(pid_out, argv[0], &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    mem_free(own);
    if (rc != 0)
        return errbuf_set(eb, ST_EIO, "%s: cannot start: %s", argv[0], strerror(rc));
    return 0;
}

static int wait_program(pid_t pid, const char *name, int *status, struct errbuf *eb)
{
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR)
            return errbuf_set(eb, ST_EIO, "%s: wait failed: %s", name, strerror(errno));
    }
    return 0;
}

/*
 * Runs argv in `cwd` with stdout and stderr to `out_path` and extra environment entries
 * (NULL-terminated, may be NULL); *status is the wait status. ST_EIO when it cannot start.
 */
static int run_program(char *const *argv, const char *cwd, const char *out_path,
                       char *const *env_add, int *status, struct errbuf *eb)
{
    pid_t pid;
    int rc = spawn_program(argv, cwd, out_path, env_add, &pid, eb);
    return rc ? rc : wait_program(pid, argv[0], status, eb);
}

/* Compiler error lines with the build copy's paths replaced by the MLF's. */
static char *compile_errors(const struct mlf *m, const char *log, size_t n, char **first)
{
    struct sbuf sb;
    sbuf_init(&sb);
    *first = NULL;
    size_t shown = 0;
    for (size_t i = 0; i < n && shown < 20;) {
        size_t e = i;
        while (e < n && log[e] != '\n')
            e++;
        const char *line = log + i;
        size_t len = e - i;
        char *l = dup_n(line, len);
        if (l && (strstr(l, ": error:") || strstr(l, ": fatal error:") ||
                  strstr(l, "undefined reference")) && strncmp(l, "collect2:", 9) != 0) {
            struct sbuf one;
            sbuf_init(&one);
            const char *p = l;
            if (strncmp(p, "codegen/host/src/", 17) == 0) {
                const char *bn = p + 17;
                size_t bl = strcspn(bn, ":");
                for (size_t f = 0; f < m->n_files; f++)
                    if (is_src_c(m->files[f].path) &&
                        strlen(base_name(m->files[f].path)) == bl &&
                        strncmp(base_name(m->files[f].path), bn, bl) == 0) {
                        sbuf_printf(&one, "%s/%s", m->path, m->files[f].path);
                        p = bn + bl;
                        break;
                    }
            }
            sbuf_add(&one, p);
            if (!*first)
                *first = dup_s(sbuf_str(&one));
            sbuf_add(&sb, sbuf_str(&one));
            sbuf_addc(&sb, '\n');
            sbuf_release(&one);
            shown++;
        }
        mem_free(l);
        i = e + 1;
    }
    return sbuf_detach(&sb);
}


/* Sources compiled besides the MLF's C and ref/ *.c. */
static const char *const twin_extra_sources[] = {
    "ref/cmsis/arm_nn_entry.c", "ref/twin/twin_runtime.c", "dump/firmware/mlfscope_dump.c",
    "driver.c",
};

/* The compiler and its flags (without sources or outputs). */
static void compiler_flags(const struct mlf *m, const struct twin_options *opt, struct strv *a)
{
    static const char *const flags[] = {
        "-std=gnu11", "-O2", "-ffp-contract=off", "-fno-strict-aliasing",
        "-Wno-implicit-function-declaration", "-Wno-incompatible-pointer-types",
        "-Wno-attributes", "-I", "ref/cmsis/include", "-I", "ref/twin/include", "-I",
        "ref/twin", "-I", "dump/firmware", "-I", "codegen/host/include",
    };
    strv_words(a, opt->cc && *opt->cc ? opt->cc : "cc");
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        strv_add(a, flags[i]);
    if (m->path && fileio_is_dir(m->path)) {
        char *rt = fileio_join(m->path, "runtime/include");
        char *abs = rt && fileio_is_dir(rt) ? realpath(rt, NULL) : NULL;
        if (abs) {
            /* the MLF's own runtime headers come after ours: the twin's shims stay in front */
            strv_add(a, "-I");
            strv_add(a, abs);
            free(abs);
        }
        mem_free(rt);
    }
    if (opt->sanitize) {
        strv_add(a, "-fsanitize=address,undefined");
        strv_add(a, "-fsanitize-recover=address");
        strv_add(a, "-fno-omit-frame-pointer");
        strv_add(a, "-g");
    }
    strv_words(a, opt->extra_cflags);
}

/* The sources to compile, relative to the build folder. */
static void compiler_sources(const struct mlf *m, struct strv *a)
{
    for (size_t i = 0; i < m->n_files; i++)
        if (is_src_c(m->files[i].path)) {
            char *p = fileio_join("codegen/host/src", base_name(m->files[i].path));
            if (p)
                strv_add(a, p);
            else
                a->failed = true;
            mem_free(p);
        }
    for (size_t i = 0; i < twin_n_files; i++) {
        const char *p = twin_files[i].path;
        if (strncmp(p, "ref/", 4) == 0 && !strchr(p + 4, '/') && fileio_has_suffix(p, ".c"))
            strv_add(a, p);
    }
    for (size_t i = 0; i < sizeof twin_extra_sources / sizeof twin_extra_sources[0]; i++)
        strv_add(a, twin_extra_sources[i]);
}

/* "obj/ref_conv2d.o" for "ref/conv2d.c". Heap string. */
static char *object_of(const char *src)
{
    struct sbuf sb;
    sbuf_init(&sb);
    sbuf_add(&sb, "obj/");
    for (const char *p = src; *p; p++)
        sbuf_addc(&sb, *p == '/' ? '_' : *p);
    if (sb.len >= 2 && sb.buf[sb.len - 1] == 'c' && sb.buf[sb.len - 2] == '.')
        sb.buf[sb.len - 1] = 'o';
    return sbuf_detach(&sb);
}

static double mtime_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? mtime_seconds(&st) : -1.0;
}

/* Sets *diag and eb from a failed compiler run's log. */
static int compile_failure(const struct mlf *m, const char *cc, const char *logp, char **diag,
                           struct errbuf *eb)
{
    struct filebuf fb = {0};
    struct errbuf quiet;
    errbuf_init(&quiet);
    char *first = NULL;
    if (filebuf_open(&fb, logp, &quiet) == 0) {
        mem_free(*diag);
        *diag = compile_errors(m, (const char *)fb.data, fb.bytes, &first);
        filebuf_release(&fb);
    }
    int rc = first ? errbuf_set(eb, ST_EPARSE, "%s", first)
                   : errbuf_set(eb, ST_EPARSE, "%s: the compiler failed (see %s)", cc, logp);
    mem_free(first);
    return rc;
}

#define TWIN_JOBS 2

/*
 * Compiles every source whose object is missing or older than the source or than `deps`
 * (the newest header / command), TWIN_JOBS at a time, each with its own log. *compiled says
 * whether anything was compiled. On the first failure the others are waited for and the
 * failing log decides the message; ST_EPARSE.
 */
static int compile_objects(const struct mlf *m, const struct strv *flags, const char *bdir,
                           double deps, const char *logp, bool *compiled, char **diag,
                           struct errbuf *eb)
{
    struct strv srcs = {0};
    compiler_sources(m, &srcs);
    char *objdir = fileio_join(bdir, "obj");
    int rc = srcs.failed || !objdir ? errbuf_set(eb, ST_ENOMEM, "out of memory")
                                    : fileio_mkdirs(objdir, eb);
    mem_free(objdir);
    pid_t pids[TWIN_JOBS] = {0};
    char *logs[TWIN_JOBS] = {0};
    size_t running = 0, next = 0;
    bool failed = false;
    char *fail_log = NULL;
    while (!rc && (next < srcs.n || running > 0)) {
        if (!failed && next < srcs.n && running < TWIN_JOBS) {
            const char *src = srcs.v[next++];
            char *obj = object_of(src);
            char *sp = fileio_join(bdir, src);
            char *op = obj ? fileio_join(bdir, obj) : NULL;
            if (!obj || !sp || !op) {
                rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            } else {
                double to = mtime_of(op);
                if (to < 0 || to <= mtime_of(sp) || to <= deps) {
                    unlink(op);
                    struct strv argv = {0};
                    for (size_t i = 0; i < flags->n; i++)
                        strv_add(&argv, flags->v[i]);
                    strv_add(&argv, "-c");
                    strv_add(&argv, src);
                    strv_add(&argv, "-o");
                    strv_add(&argv, obj);
                    size_t slot = 0;
                    while (pids[slot])
                        slot++;
                    mem_free(logs[slot]);
                    logs[slot] = mem_alloc(strlen(op) + 5);
                    if (argv.failed || !logs[slot]) {
                        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
                    } else {
                        snprintf(logs[slot], strlen(op) + 5, "%s.log", op);
                        rc = spawn_program(argv.v, bdir, logs[slot], NULL, &pids[slot], eb);
                        running += rc == 0;
                        *compiled = true;
                    }
                    strv_release(&argv);
                }
            }
            mem_free(obj);
            mem_free(sp);
            mem_free(op);
            continue;
        }
        if (running == 0)
            break;
        int status = 0;
        pid_t pid = wait(&status);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            rc = errbuf_set(eb, ST_EIO, "waiting for the compiler: %s", strerror(errno));
            break;
        }
        for (size_t i = 0; i < TWIN_JOBS; i++)
            if (pids[i] == pid) {
                pids[i] = 0;
                running--;
                if ((!WIFEXITED(status) || WEXITSTATUS(status) != 0) && !failed) {
                    failed = true;
                    fail_log = logs[i];
                    logs[i] = NULL;
                }
            }
    }
    for (size_t i = 0; i < TWIN_JOBS; i++) {
        int status;
        if (pids[i])
            (void)wait_program(pids[i], "cc", &status, eb);
        mem_free(logs[i]);
    }
    if (!rc && failed) {
        /* the failing log is the compile log the user is pointed at */
        struct filebuf fb = {0};
        struct errbuf quiet;
        errbuf_init(&quiet);
        if (filebuf_open(&fb, fail_log, &quiet) == 0) {
            (void)fileio_write(logp, fb.data, fb.bytes, &quiet);
            filebuf_release(&fb);
        }
        rc = compile_failure(m, flags->v[0], logp, diag, eb);
    }
    mem_free(fail_log);
    strv_release(&srcs);
    return rc;
}

/* Links the objects into `twin`. */
static int link_program(const struct mlf *m, const struct twin_options *opt, const char *bdir,
                        const char *logp, char **diag, struct errbuf *eb)
{
    struct strv srcs = {0}, argv = {0};
    compiler_sources(m, &srcs);
    strv_words(&argv, opt->cc && *opt->cc ? opt->cc : "cc");
    if (opt->sanitize)
        strv_add(&argv, "-fsanitize=address,undefined");
    strv_words(&argv, opt->extra_cflags);
    for (size_t i = 0; i < srcs.n; i++) {
        char *obj = object_of(srcs.v[i]);
        if (obj)
            strv_add(&argv, obj);
        else
            argv.failed = true;
        mem_free(obj);
    }
    strv_add(&argv, "-o");
    strv_add(&argv, "twin");
    strv_add(&argv, "-lm");
    int rc = 0, status = 0;
    if (srcs.failed || argv.failed)
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    if (!rc) {
        char *exe = fileio_join(bdir, "twin");
        if (exe)
            unlink(exe);
        mem_free(exe);
        rc = run_program(argv.v, bdir, logp, NULL, &status, eb);
    }
    if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
        rc = compile_failure(m, argv.v[0], logp, diag, eb);
    strv_release(&srcs);
    strv_release(&argv);
    return rc;
}

int twin_build(const struct mlf *m, const struct instrument_plan *plan0,
               const struct twin_options *opt, const char *dir, struct twin_result *res,
               char **diag, struct errbuf *eb)
{
    *diag = NULL;
    struct instrument_plan plan;
    int rc = twin_plan(m, plan0, &plan, eb);
    if (rc)
        return rc;
    char *bdir = fileio_join(dir, "build");
    char *text = NULL, *drv = NULL, *path = NULL, *exe = NULL, *logp = NULL;
    struct strv cmd = {0};
    struct sbuf line;
    sbuf_init(&line);
    double newest = 0;
    if (!bdir) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = write_embedded(bdir, "ref/", &newest, eb)) != 0 ||
        (rc = write_embedded(bdir, "dump/firmware/", &newest, eb)) != 0)
        goto out;
    const char *main_path = NULL;
    size_t text_len = 0;
    if ((rc = instrument_source(m, &plan, &main_path, &text, &text_len, eb)) != 0)
        goto out;
    for (size_t i = 0; i < m->n_files && !rc; i++) {
        const struct mlf_file *f = &m->files[i];
        const char *sub = is_src_c(f->path) ? "codegen/host/src"
                          : is_include_h(f->path) ? "codegen/host/include" : NULL;
        if (!sub)
            continue;
        char *d = fileio_join(bdir, sub);
        path = d ? fileio_join(d, base_name(f->path)) : NULL;
        mem_free(d);
        if (!path) {
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            break;
        }
        bool is_main = strcmp(f->path, main_path) == 0;
        rc = write_if_changed(path, is_main ? text : (const char *)f->data,
                              is_main ? text_len : f->bytes, &newest, eb);
        mem_free(path);
        path = NULL;
    }
    if (rc)
        goto out;
    drv = driver_source(m, &plan, opt);
    path = fileio_join(bdir, "driver.c");
    if (!drv || !path) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = write_if_changed(path, drv, strlen(drv), &newest, eb)) != 0)
        goto out;
    mem_free(path);
    compiler_flags(m, opt, &cmd);
    for (size_t i = 0; i < cmd.n; i++)
        sbuf_printf(&line, "%s%s", i ? " " : "", cmd.v[i]);
    sbuf_addc(&line, '\n');
    path = fileio_join(bdir, "command.txt");
    exe = fileio_join(bdir, "twin");
    logp = fileio_join(bdir, "compile.log");
    if (cmd.failed || sbuf_failed(&line) || !path || !exe || !logp) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = write_if_changed(path, sbuf_str(&line), line.len, &newest, eb)) != 0)
        goto out;
    double t0 = now_seconds();
    bool compiled = false;
    rc = compile_objects(m, &cmd, bdir, newest, logp, &compiled, diag, eb);
    /* the object list: a different set of sources must relink even when none compiled */
    struct strv srcs = {0};
    compiler_sources(m, &srcs);
    struct sbuf list;
    sbuf_init(&list);
    for (size_t i = 0; i < srcs.n; i++)
        sbuf_printf(&list, "%s\n", srcs.v[i]);
    char *listp = fileio_join(bdir, "sources.txt");
    bool same_list = listp && !srcs.failed && !sbuf_failed(&list) &&
                     file_holds(listp, list.buf, list.len);
    if (!rc && !same_list)
        rc = listp ? fileio_write(listp, list.buf, list.len, eb)
                   : errbuf_set(eb, ST_ENOMEM, "out of memory");
    mem_free(listp);
    sbuf_release(&list);
    strv_release(&srcs);
    double built = mtime_of(exe);
    if (!rc && !compiled && same_list && built >= 0) {
        res->reused_build = true;
        goto out;
    }
    if (!rc)
        rc = link_program(m, opt, bdir, logp, diag, eb);
    res->compile_seconds = now_seconds() - t0;
out:
    mem_free(text);
    mem_free(drv);
    mem_free(path);
    mem_free(exe);
    mem_free(logp);
    mem_free(bdir);
    strv_release(&cmd);
    sbuf_release(&line);
    instrument_plan_release(&plan);
    return rc;
}

static int add_hazard(struct twin_result *r, const char *kind, long step, const char *fn,
                      const char *detail, size_t detail_len)
{
    struct twin_hazard *nh = mem_realloc(r->hazards, (r->n_hazards + 1) * sizeof *nh);
    if (!nh)
        return ST_ENOMEM;
    r->hazards = nh;
    struct twin_hazard *h = &nh[r->n_hazards];
    memset(h, 0, sizeof *h);
    h->kind = dup_s(kind);
    h->function = dup_s(fn ? fn : "");
    h->detail = dup_n(detail, detail_len);
    h->step = step;
    if (!h->kind || !h->function || !h->detail) {
        mem_free(h->kind);
        mem_free(h->function);
        mem_free(h->detail);
        return ST_ENOMEM;
    }
    r->n_hazards++;
    if (strcmp(kind, "shift-out-of-range") == 0) {
        /* detail "c:shift,c:shift" */
        size_t n = 1;
        for (size_t i = 0; i < detail_len; i++)
            n += detail[i] == ',';
        h->channels = mem_calloc(n, sizeof *h->channels);
        if (!h->channels)
            return ST_ENOMEM;
        const char *p = h->detail;
        while (*p) {
            char *end;
            long c = strtol(p, &end, 10);
            if (end == p || *end != ':')
                break;
            h->channels[h->n_channels++] = (int)c;
            p = end + strcspn(end, ",");
            if (*p == ',')
                p++;
        }
    }
    return 0;
}

/* Reads the program's stderr: step markers, hazard lines, sanitizer reports, the status. */
static int parse_run_log(const struct mlf *m, const char *log, size_t n, struct twin_result *r)
{
    long step = -1;
    const char *fn = "";
    static const char marker[] = "mlfscope-twin: ";
    int rc = 0;
    for (size_t i = 0; i < n && !rc;) {
        size_t e = i;
        while (e < n && log[e] != '\n')
            e++;
        const char *l = log + i;
        size_t len = e - i;
        size_t next = e < n ? e + 1 : n;
        const char *p;
        if (len > sizeof marker - 1 && memcmp(l, marker, sizeof marker - 1) == 0) {
            const char *q = l + sizeof marker - 1;
            char *endp;
            if (strncmp(q, "step ", 5) == 0) {
                step = strtol(q + 5, &endp, 10);
                fn = step >= 0 && (size_t)step < m->n_steps ? m->steps[step].function : "";
            } else if (strncmp(q, "status ", 7) == 0) {
                r->main_status = (int)strtol(q + 7, &endp, 10);
                step = -1;
                fn = "";
            } else if (strncmp(q, "hazard ", 7) == 0) {
                q += 7;
                size_t kl = strcspn(q, " \n");
                char kind[64];
                snprintf(kind, sizeof kind, "%.*s", (int)kl, q);
                q += kl;
                long hs = step;
                if (strncmp(q, " step ", 6) == 0)
                    hs = strtol(q + 6, &endp, 10);
                const char *colon = memchr(q, ':', (size_t)(l + len - q));
                const char *detail = colon ? colon + 2 : l + len;
                if (detail > l + len)
                    detail = l + len;
                const char *hf = hs >= 0 && (size_t)hs < m->n_steps ? m->steps[hs].function : "";
                rc = add_hazard(r, kind, hs, hf, detail, (size_t)(l + len - detail));
            }
        } else if ((p = memmem(l, len, "ERROR: AddressSanitizer: ", 25)) != NULL) {
            struct sbuf d;
            sbuf_init(&d);
            const char *what = p + 25;
            size_t wl = (size_t)(l + len - what);
            const char *cut = memmem(what, wl, " on address", 11);
            sbuf_addn(&d, what, cut ? (size_t)(cut - what) : wl);
            /* the access line and the first frame say what and where */
            for (int k = 0; k < 6 && next < n; k++) {
                size_t e2 = next;
                while (e2 < n && log[e2] != '\n')
                    e2++;
                const char *l2 = log + next;
                size_t len2 = e2 - next;
                const char *at;
                if ((len2 > 5 && (memcmp(l2, "READ ", 5) == 0 || memcmp(l2, "WRITE", 5) == 0)) &&
                    (at = memmem(l2, len2, " at 0x", 6)) != NULL) {
                    sbuf_add(&d, ": ");
                    sbuf_addn(&d, l2, (size_t)(at - l2));
                } else if ((at = memmem(l2, len2, "#0 ", 3)) != NULL) {
                    const char *in = memmem(l2, len2, " in ", 4);
                    if (in) {
                        sbuf_add(&d, " in");
                        sbuf_addn(&d, in + 3, (size_t)(l2 + len2 - in - 3));
                    }
                    break;
                }
                next = e2 < n ? e2 + 1 : n;
            }
            rc = sbuf_failed(&d) ? ST_ENOMEM
                 : add_hazard(r, "asan", step, fn, sbuf_str(&d), d.len);
            sbuf_release(&d);
        } else if ((p = memmem(l, len, ": runtime error: ", 17)) != NULL) {
            const char *b = l;
            const char *slash = NULL;
            for (const char *q = l; q < p; q++)
                if (*q == '/')
                    slash = q;
            if (slash)
                b = slash + 1;
            rc = add_hazard(r, "ubsan", step, fn, b, (size_t)(l + len - b));
        }
        i = next;
    }
    r->last_step = step;
    return rc;
}

int twin_check_inputs(const struct mlf *m, const struct tensor_value *inputs, size_t n_inputs,
                      struct errbuf *eb)
{
    size_t want = m->main.n_inputs ? m->main.n_inputs : 1;
    if (n_inputs != want)
        return errbuf_set(eb, ST_EINVAL, "%s: the model has %zu input(s), %zu given", m->path,
                          want, n_inputs);
    for (size_t i = 0; i < n_inputs; i++) {
        const struct tensor_value *v = &inputs[i];
        const struct mlf_io *io = i < m->main.n_inputs ? &m->main.inputs[i] : NULL;
        if (io && io->dtype != MLF_DT_UNKNOWN && v->dtype != DTYPE_UNKNOWN &&
            strcmp(dtype_name(v->dtype), mlf_dtype_name(io->dtype)) != 0)
            return errbuf_set(eb, ST_EINVAL, "input %zu: %s given, the MLF's input '%s' is %s",
                              i, dtype_name(v->dtype), io->name, mlf_dtype_name(io->dtype));
        long long need = twin_input_bytes(m, i);
        if (need >= 0 && (long long)v->bytes != need)
            return errbuf_set(eb, ST_EINVAL, "input %zu: %zu bytes given, the MLF's input '%s' "
                              "takes %lld", i, v->bytes, io ? io->name : "?", need);
    }
    return 0;
}

int twin_run(const struct mlf *m, const struct instrument_plan *plan,
             const struct twin_options *opt, const char *dir,
             const struct tensor_value *inputs, size_t n_inputs, struct twin_result *res,
             struct errbuf *eb)
{
    (void)plan;
    int rc = twin_check_inputs(m, inputs, n_inputs, eb);
    if (rc)
        return rc;
    char *bdir = fileio_join(dir, "build");
    if (!bdir)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    struct strv argv = {0};
    strv_add(&argv, "./twin");
    for (size_t i = 0; i < n_inputs && !rc; i++) {
        const struct tensor_value *v = &inputs[i];
        char name[32];
        snprintf(name, sizeof name, "input_%zu.bin", i);
        char *p = fileio_join(bdir, name);
        if (!p) {
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            break;
        }
        rc = fileio_write(p, v->data, v->bytes, eb);
        mem_free(p);
        strv_add(&argv, name);
    }
    strv_add(&argv, "board.log");
    char *runlog = fileio_join(bdir, "run.log");
    res->log_path = fileio_join(bdir, "board.log");
    if (!rc && (argv.failed || !runlog || !res->log_path))
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    if (!rc) {
        int status = 0;
        double t0 = now_seconds();
        char ver[48];
        snprintf(ver, sizeof ver, "MLFSCOPE_TWIN_CMSIS_NN=%d",
                 opt->cmsis_nn_version > 0 ? opt->cmsis_nn_version : 4);
        char asan[] = "ASAN_OPTIONS=halt_on_error=0:detect_leaks=0:abort_on_error=0";
        char *env[] = {ver, asan, NULL};
        if (!opt->sanitize)
            env[1] = NULL;
        pid_t pid = 0;
        bool timed_out = false;
        rc = spawn_program(argv.v, bdir, runlog, env, &pid, eb);
        double limit = opt->timeout_seconds > 0 ? opt->timeout_seconds : 600;
        while (!rc) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid)
                break;
            if (w < 0 && errno != EINTR) {
                rc = errbuf_set(eb, ST_EIO, "twin program: wait failed: %s", strerror(errno));
                break;
            }
            if (now_seconds() - t0 > limit && !timed_out) {
                /* a generated loop that never ends: stop it and say where it was */
                kill(pid, SIGKILL);
                timed_out = true;
            }
            struct timespec ts = {0, 5 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        res->run_seconds = now_seconds() - t0;
        res->exit_status = status;
        struct filebuf fb = {0};
        if (!rc && (rc = filebuf_open(&fb, runlog, eb)) == 0) {
            if (parse_run_log(m, (const char *)fb.data, fb.bytes, res) != 0)
                rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            filebuf_release(&fb);
        }
        if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
            char detail[160];
            if (timed_out)
                snprintf(detail, sizeof detail, "stopped after %.0f s (--timeout); see %s",
                         limit, runlog);
            else if (WIFSIGNALED(status))
                snprintf(detail, sizeof detail, "killed by signal %d (%s); see %s",
                         WTERMSIG(status), strsignal(WTERMSIG(status)), runlog);
            else
                snprintf(detail, sizeof detail, "exit status %d; see %s", WEXITSTATUS(status),
                         runlog);
            long st = res->last_step;
            const char *fn = st >= 0 && (size_t)st < m->n_steps ? m->steps[st].function : "";
            if (add_hazard(res, "crash", st, fn, detail, strlen(detail)) != 0)
                rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        } else if (!rc && res->main_status != 0) {
            char detail[64];
            snprintf(detail, sizeof detail, "the AOT main returned %d", res->main_status);
            if (add_hazard(res, "main-status", -1, "", detail, strlen(detail)) != 0)
                rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        }
    }
    mem_free(runlog);
    strv_release(&argv);
    mem_free(bdir);
    return rc;
}

static void safe_name(const char *name, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; name[i] && j + 1 < cap && j < 80; i++) {
        char ch = name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
        out[j++] = ok ? ch : '_';
    }
    out[j] = '\0';
}

/* What the step computes, for "op": the CMSIS-NN kernel, else the fused function's name. */
static const char *step_op(const struct mlf *m, size_t s)
{
    const struct mlf_step *st = &m->steps[s];
    if (st->func >= 0) {
        const struct mlf_function *f = &m->functions[st->func];
        if (f->n_kernels > 0)
            return f->kernels[f->n_kernels - 1].name;
    }
    const char *p = st->function;
    if (strncmp(p, "tvmgen_", 7) == 0 && m->module) {
        size_t ml = strlen(m->module);
        if (strncmp(p + 7, m->module, ml) == 0 && p[7 + ml] == '_')
            return p + 8 + ml;
    }
    return p;
}

/*
 * Whether a dumped size may be wrong: an unmeasured upper bound, or a measurement in a room
 * the callee also uses for its own scratch (USMP lets it overlap the output's tail while the
 * output is not yet written), which makes the measured length too long.
 */
static bool approximate(const struct mlf *m, const struct instrument_buffer *b, bool measured)
{
    if (!measured)
        return b->approximate;
    const struct mlf_step *s = &m->steps[b->step];
    if (b->arg < 0 || s->args[b->arg].kind != MLF_ARG_WORKSPACE || s->func < 0)
        return false;
    const struct mlf_function *f = &m->functions[s->func];
    for (size_t i = 0; i < f->n_lets; i++)
        if (f->lets[i].pool_var && !strstr(f->lets[i].pool_var, "const"))
            return true;
    return f->n_allocs > 0;
}

static int write_json(const char *dir, const char *name, cJSON *root, struct errbuf *eb)
{
    char *text = cJSON_Print(root);
    char *path = fileio_join(dir, name);
    int rc = text && path ? 0 : errbuf_set(eb, ST_ENOMEM, "out of memory");
    if (!rc) {
        size_t n = strlen(text);
        text[n] = '\n';
        rc = fileio_write(path, text, n + 1, eb);
        text[n] = '\0';
    }
    if (text)
        cJSON_free(text);
    mem_free(path);
    return rc;
}

static cJSON *hazards_json(const struct twin_result *r, const char *const *layers,
                           size_t n_steps)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < r->n_hazards; i++) {
        const struct twin_hazard *h = &r->hazards[i];
        cJSON *o = cJSON_CreateObject();
        cJSON *ch = cJSON_CreateArray();
        if (!o || !ch) {
            cJSON_Delete(o);
            cJSON_Delete(ch);
            cJSON_Delete(arr);
            return NULL;
        }
        for (size_t c = 0; c < h->n_channels; c++)
            cJSON_AddItemToArray(ch, cJSON_CreateNumber(h->channels[c]));
        cJSON_AddStringToObject(o, "kind", h->kind);
        cJSON_AddStringToObject(o, "function", h->function);
        cJSON_AddNumberToObject(o, "step", (double)h->step);
        const char *layer = layers && h->step >= 0 && (size_t)h->step < n_steps
                            ? layers[h->step] : NULL;
        if (layer)
            cJSON_AddStringToObject(o, "layer", layer);
        else
            cJSON_AddNullToObject(o, "layer");
        cJSON_AddItemToObject(o, "channels", ch);
        cJSON_AddStringToObject(o, "detail", h->detail);
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* Removes NNNN_*.npy left in dir by an earlier run, so index.json and the folder agree. */
static void remove_old_tensors(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        const char *n = e->d_name;
        bool ours = strlen(n) > 9 && n[4] == '_' && fileio_has_suffix(n, ".npy");
        for (int i = 0; i < 4 && ours; i++)
            ours = n[i] >= '0' && n[i] <= '9';
        char *p = ours ? fileio_join(dir, n) : NULL;
        if (p)
            unlink(p);
        mem_free(p);
    }
    closedir(d);
}

int twin_collect(const struct mlf *m, const struct instrument_plan *plan,
                 const struct twin_options *opt, const char *dir, const struct twin_result *res,
                 size_t *n_tensors, struct errbuf *eb)
{
    struct boardlog log;
    boardlog_init(&log);
    int rc = boardlog_open(res->log_path, &log, eb);
    if (rc)
        return rc;
    cJSON *root = cJSON_CreateObject();
    cJSON *tensors = cJSON_CreateArray();
    if (!root || !tensors) {
        cJSON_Delete(root);
        cJSON_Delete(tensors);
        boardlog_release(&log);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    remove_old_tensors(dir);
    const char *model = opt->model_name && *opt->model_name ? opt->model_name
                        : m->module ? m->module : "";
    cJSON_AddStringToObject(root, "model", model);
    cJSON_AddStringToObject(root, "arith", "twin");
    cJSON_AddItemToObject(root, "tensors", tensors);
    size_t count = 0;
    for (size_t i = 0; i < log.n_tensors && !rc; i++) {
        const struct boardlog_tensor *t = &log.tensors[i];
        if (t->status != BOARDLOG_OK) {
            rc = errbuf_set(eb, ST_EPARSE, "%s:%zu: tensor %lld '%s': %s", res->log_path, t->line,
                            (long long)t->index, t->name, boardlog_reason_text(t->reason));
            break;
        }
        size_t step = (size_t)t->index;
        if (t->index < 0 || step >= m->n_steps || step >= plan->n) {
            rc = errbuf_set(eb, ST_EPARSE, "%s:%zu: tensor index %lld is not a step",
                            res->log_path, t->line, (long long)t->index);
            break;
        }
        const struct instrument_buffer *b = &plan->bufs[step];
        char safe[96], file[128];
        safe_name(t->name, safe, sizeof safe);
        snprintf(file, sizeof file, "%04zu_%s.npy", count, safe);
        char *path = fileio_join(dir, file);
        if (!path) {
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            break;
        }
        rc = npy_write_file(path, &t->value, eb);
        mem_free(path);
        if (rc)
            break;
        cJSON *o = cJSON_CreateObject();
        cJSON *shape = cJSON_CreateArray();
        if (!o || !shape) {
            cJSON_Delete(o);
            cJSON_Delete(shape);
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            break;
        }
        for (int d = 0; d < t->value.rank; d++)
            cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->value.dims[d]));
        bool measured = measures(m, b) || (b->arg >= 0 && b->source == INSTRUMENT_SIZE_NONE);
        const char *layer = opt->layer_names ? opt->layer_names[step] : NULL;
        const char *lop = opt->layer_ops ? opt->layer_ops[step] : NULL;
        cJSON_AddNumberToObject(o, "index", (double)count);
        cJSON_AddStringToObject(o, "name", layer ? layer : t->name);
        if (layer)
            cJSON_AddStringToObject(o, "layer", layer);
        else
            cJSON_AddNullToObject(o, "layer");
        cJSON_AddStringToObject(o, "op", lop ? lop : step_op(m, step));
        cJSON_AddStringToObject(o, "buffer", t->name);
        cJSON_AddStringToObject(o, "dtype", dtype_name(t->value.dtype));
        cJSON_AddItemToObject(o, "shape", shape);
        cJSON_AddStringToObject(o, "file", file);
        cJSON_AddStringToObject(o, "arith", "twin");
        cJSON_AddNumberToObject(o, "step", (double)step);
        cJSON_AddStringToObject(o, "function", m->steps[step].function);
        cJSON_AddStringToObject(o, "size", measured ? "measured" : instrument_size_name(b->source));
        cJSON_AddBoolToObject(o, "approximate", approximate(m, b, measured));
        cJSON_AddItemToArray(tensors, o);
        count++;
    }
    if (!rc)
        rc = write_json(dir, "index.json", root, eb);
    cJSON_Delete(root);
    boardlog_release(&log);
    if (!rc)
        *n_tensors = count;
    return rc;
}

int twin_write_hazards(const struct mlf *m, const struct twin_options *opt, const char *dir,
                       const struct twin_result *res, struct errbuf *eb)
{
    cJSON *hz = hazards_json(res, opt->layer_names, m->n_steps);
    if (!hz)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    int rc = write_json(dir, "hazards.json", hz, eb);
    cJSON_Delete(hz);
    return rc;
}
