/*
 * `mlfscope info` for a Model Library Format tree or archive: a readable summary with a
 * step table, or JSON (cJSON) with stable keys. cmd_info dispatches here for folders,
 * .tar, .tar.gz and .tgz.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "mem.h"
#include "mlf.h"
#include "banned.h"

struct kcount {
    const char *name;
    size_t n;
};

/* Kernel name -> number of calls in the C, in first-seen order. */
static size_t count_kernels(const struct mlf *m, struct kcount *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_functions; i++) {
        const struct mlf_function *f = &m->functions[i];
        for (size_t k = 0; k < f->n_kernels; k++) {
            size_t j = 0;
            while (j < n && strcmp(out[j].name, f->kernels[k].name) != 0)
                j++;
            if (j == n) {
                if (n == cap)
                    continue;
                out[n].name = f->kernels[k].name;
                out[n].n = 0;
                n++;
            }
            out[j].n++;
        }
    }
    return n;
}

static void const_totals(const struct mlf *m, size_t *count, size_t *bytes)
{
    *count = 0;
    *bytes = 0;
    bool pool_seen = false;
    for (size_t i = 0; i < m->n_pools; i++)
        if (m->pools[i].is_const) {
            *bytes += m->pools[i].bytes;
            pool_seen = true;
        }
    for (size_t i = 0; i < m->n_constants; i++) {
        (*count)++;
        if (!pool_seen)
            *bytes += m->constants[i].bytes;
    }
}

static long long workspace_total(const struct mlf *m)
{
    long long sum = -1;
    for (size_t i = 0; i < m->n_pools; i++)
        if (!m->pools[i].is_const)
            sum = (sum < 0 ? 0 : sum) + (long long)m->pools[i].bytes;
    if (sum >= 0)
        return sum;
    if (m->header_workspace_bytes >= 0)
        return m->header_workspace_bytes;
    return m->meta.workspace_bytes;
}

static const char *exec_name(const struct mlf *m)
{
    return m->executor == MLF_EXEC_AOT     ? "aot"
           : m->executor == MLF_EXEC_GRAPH ? "graph"
                                           : "unknown";
}

static long long fn_workspace(const struct mlf_function *f)
{
    if (f->meta_workspace_bytes >= 0)
        return f->meta_workspace_bytes;
    if (f->n_allocs > 0) {
        long long s = 0;
        for (size_t i = 0; i < f->n_allocs; i++)
            s += (long long)f->allocs[i].bytes;
        return s;
    }
    return -1;
}

static const char *step_target(const struct mlf *m, const struct mlf_step *s)
{
    return s->func >= 0 ? m->functions[s->func].target : "?";
}

/* Targets: metadata's list, else the distinct "// tvm target:" lines. */
static size_t targets(const struct mlf *m, const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < m->meta.n_targets && n < cap; i++)
        out[n++] = m->meta.targets[i];
    if (n > 0)
        return n;
    for (size_t i = 0; i < m->n_files && n < cap; i++) {
        const char *t = m->files[i].tvm_target;
        if (t == NULL)
            continue;
        size_t j = 0;
        while (j < n && strcmp(out[j], t) != 0)
            j++;
        if (j == n)
            out[n++] = t;
    }
    return n;
}

/* A TVM operator function: defined, tvmgen_ prefixed, not the tvmgen_<mod>_run wrapper. */
static bool is_operator(const struct mlf *m, const struct mlf_function *f)
{
    size_t n = strlen(f->name);
    if (!f->defined || strncmp(f->name, "tvmgen_", 7) != 0)
        return false;
    (void)m;
    return !(n > 4 && strcmp(f->name + n - 4, "_run") == 0);
}

static cJSON *num_or_null(long long v)
{
    return v >= 0 ? cJSON_CreateNumber((double)v) : cJSON_CreateNull();
}

static cJSON *io_json(const struct mlf_io *ios, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "name", ios[i].meta_name ? ios[i].meta_name : ios[i].name);
        cJSON_AddStringToObject(o, "dtype", mlf_dtype_name(ios[i].dtype));
        cJSON_AddItemToObject(o, "bytes", num_or_null(ios[i].bytes));
    }
    return arr;
}

static int print_json(const struct mlf *m)
{
    cJSON *r = cJSON_CreateObject();
    struct kcount kc[64];
    size_t nk = count_kernels(m, kc, 64);
    const char *tg[64];
    size_t nt = targets(m, tg, 64);
    size_t ccount, cbytes;
    const_totals(m, &ccount, &cbytes);

    cJSON_AddStringToObject(r, "format", "mlf");
    cJSON_AddItemToObject(r, "metadata_version",
                          m->meta.version ? cJSON_CreateNumber(m->meta.version)
                                          : cJSON_CreateNull());
    cJSON_AddItemToObject(r, "module",
                          m->module ? cJSON_CreateString(m->module) : cJSON_CreateNull());
    cJSON_AddStringToObject(r, "executor", exec_name(m));
    cJSON_AddStringToObject(r, "interface",
                            m->interface == MLF_IFACE_PACKED ? "packed" : "unpacked");
    cJSON_AddBoolToObject(r, "usmp", m->usmp);
    cJSON *ta = cJSON_AddArrayToObject(r, "targets");
    for (size_t i = 0; i < nt; i++)
        cJSON_AddItemToArray(ta, cJSON_CreateString(tg[i]));
    cJSON *sa = cJSON_AddArrayToObject(r, "steps");
    for (size_t i = 0; i < m->n_steps; i++) {
        const struct mlf_step *s = &m->steps[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(sa, o);
        cJSON_AddNumberToObject(o, "index", (double)s->index);
        cJSON_AddStringToObject(o, "function", s->function);
        cJSON_AddStringToObject(o, "target", step_target(m, s));
        cJSON *ka = cJSON_AddArrayToObject(o, "kernels");
        if (s->func >= 0)
            for (size_t k = 0; k < m->functions[s->func].n_kernels; k++)
                cJSON_AddItemToArray(ka, cJSON_CreateString(m->functions[s->func].kernels[k].name));
    }
    cJSON *fa = cJSON_AddArrayToObject(r, "functions");
    for (size_t i = 0; i < m->n_functions; i++) {
        const struct mlf_function *f = &m->functions[i];
        if (!is_operator(m, f))
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(fa, o);
        cJSON_AddStringToObject(o, "name", f->name);
        cJSON_AddStringToObject(o, "target", f->target);
        cJSON *ka = cJSON_AddArrayToObject(o, "kernels");
        for (size_t k = 0; k < f->n_kernels; k++)
            cJSON_AddItemToArray(ka, cJSON_CreateString(f->kernels[k].name));
        cJSON_AddItemToObject(o, "workspace_bytes", num_or_null(fn_workspace(f)));
    }
    cJSON *ko = cJSON_AddObjectToObject(r, "kernels");
    for (size_t i = 0; i < nk; i++)
        cJSON_AddNumberToObject(ko, kc[i].name, (double)kc[i].n);
    cJSON *co = cJSON_AddObjectToObject(r, "constants");
    cJSON_AddNumberToObject(co, "count", (double)ccount);
    cJSON_AddNumberToObject(co, "bytes", (double)cbytes);
    cJSON_AddItemToObject(r, "workspace_bytes", num_or_null(workspace_total(m)));
    cJSON_AddItemToObject(r, "inputs", io_json(m->main.inputs, m->main.n_inputs));
    cJSON_AddItemToObject(r, "outputs", io_json(m->main.outputs, m->main.n_outputs));
    if (!m->has_main && m->meta.n_inputs > 0) {
        cJSON_ReplaceItemInObject(r, "inputs", io_json(m->meta.inputs, m->meta.n_inputs));
        cJSON_ReplaceItemInObject(r, "outputs", io_json(m->meta.outputs, m->meta.n_outputs));
    }
    cJSON *wa = cJSON_AddArrayToObject(r, "warnings");
    for (size_t i = 0; i < m->n_warnings; i++)
        cJSON_AddItemToArray(wa, cJSON_CreateString(m->warnings[i]));
    char *text = cJSON_Print(r);
    cJSON_Delete(r);
    if (text == NULL) {
        fputs("mlfscope: error: out of memory\n", stderr);
        return EXIT_INTERNAL;
    }
    puts(text);
    cJSON_free(text);
    return EXIT_OK;
}

static void print_text(const struct mlf *m)
{
    struct kcount kc[64];
    size_t nk = count_kernels(m, kc, 64);
    const char *tg[64];
    size_t nt = targets(m, tg, 64);
    size_t ccount, cbytes;
    const_totals(m, &ccount, &cbytes);

    printf("%s: Model Library Format", m->path);
    if (m->meta.version)
        printf(", metadata version %d", m->meta.version);
    printf("\nmodule      %s\n", m->module ? m->module : "?");
    printf("executor    %s, %s interface%s%s\n", exec_name(m),
           m->interface == MLF_IFACE_PACKED ? "packed" : "unpacked", m->usmp ? ", USMP pools" : "",
           m->legacy_run_model ? ", 2021 run_model layout" : "");
    for (size_t i = 0; i < nt; i++)
        printf("%s %s\n", i ? "           " : "targets    ", tg[i]);
    const struct mlf_io *ins = m->main.inputs, *outs = m->main.outputs;
    size_t n_in = m->main.n_inputs, n_out = m->main.n_outputs;
    if (!m->has_main) {
        ins = m->meta.inputs;
        outs = m->meta.outputs;
        n_in = m->meta.n_inputs;
        n_out = m->meta.n_outputs;
    }
    for (size_t i = 0; i < n_in + n_out; i++) {
        const struct mlf_io *io = i < n_in ? &ins[i] : &outs[i - n_in];
        printf("%-11s %s %s", i < n_in ? "input" : "output",
               io->meta_name ? io->meta_name : io->name, mlf_dtype_name(io->dtype));
        if (io->bytes >= 0)
            printf(", %lld bytes", io->bytes);
        putchar('\n');
    }
    printf("constants   %zu, %zu bytes\n", ccount, cbytes);
    long long ws = workspace_total(m);
    if (ws >= 0)
        printf("workspace   %lld bytes\n", ws);
    for (size_t i = 0; i < m->n_pools; i++)
        printf("pool        %s: %zu bytes, aligned %u (%s:%u)\n", m->pools[i].name,
               m->pools[i].bytes, m->pools[i].alignment, m->pools[i].file, m->pools[i].line);
    for (size_t i = 0; i < nk; i++)
        printf("%s %s x%zu\n", i ? "           " : "kernels    ", kc[i].name, kc[i].n);
    if (m->n_partitions > 0)
        printf("relay       %zu functions\n", m->n_partitions);
    if (m->n_params > 0)
        printf("params      %zu arrays\n", m->n_params);
    static const char *const role_names[] = {"metadata",  "header",    "entry",    "main",
                                             "constants", "workspace", "host ops", "byoc ops",
                                             "registry",  "relay",     "params",   "graph"};
    for (size_t i = 0; i < m->n_files; i++) {
        printf("%s %s:", i ? "           " : "files      ", m->files[i].path);
        for (size_t r = 0; r < sizeof role_names / sizeof role_names[0]; r++)
            if (m->files[i].roles & (1u << r))
                printf(" %s", role_names[r]);
        putchar('\n');
    }
    printf("\n%-5s %-9s %-30s %-14s %s\n", "step", "target", "kernel", "output", "function");
    for (size_t i = 0; i < m->n_steps; i++) {
        const struct mlf_step *s = &m->steps[i];
        const char *kern = "-";
        if (s->func >= 0 && m->functions[s->func].n_kernels > 0)
            kern = m->functions[s->func].kernels[0].name;
        char out[32] = "-";
        for (size_t a = s->n_args; a-- > 0;) {   /* the last buffer argument is the output */
            const struct mlf_arg *g = &s->args[a];
            if (g->kind == MLF_ARG_POOL || g->kind == MLF_ARG_LITERAL)
                continue;
            if (g->kind == MLF_ARG_WORKSPACE && s->file != NULL)
                snprintf(out, sizeof out, "ws@%zu", g->offset);
            else if (g->kind == MLF_ARG_ALLOC)
                snprintf(out, sizeof out, "%s:%zuB", g->var ? g->var : "alloc", g->bytes);
            else
                snprintf(out, sizeof out, "%s", mlf_arg_kind_name(g->kind));
            break;
        }
        printf("%-5zu %-9s %-30s %-14s %s\n", s->index, step_target(m, s), kern, out, s->function);
    }
    for (size_t i = 0; i < m->n_warnings; i++)
        printf("warning: %s\n", m->warnings[i]);
}

int cmd_info_mlf(const char *path, bool json)
{
    struct mlf m;
    struct errbuf eb;
    errbuf_init(&eb);
    if (mlf_open(&m, path, &eb) != 0)
        return cmd_fail(&eb);
    int rc = EXIT_OK;
    if (json)
        rc = print_json(&m);
    else
        print_text(&m);
    mlf_release(&m);
    return rc;
}
