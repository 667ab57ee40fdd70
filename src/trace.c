/*
 * Traces from run/twin folders (index.json + .npy), folders of .npy files and board logs.
 * Every loader builds a fresh trace and hands it over only when complete, so a failure
 * leaves the caller's trace empty.
 */
#define _POSIX_C_SOURCE 200809L
#include "trace.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../dump/boardlog.h"
#include "../dump/npy.h"
#include "fileio.h"
#include "mem.h"
#include "banned.h"

const char *trace_status_name(enum trace_status s)
{
    static const char *const names[] = {
#define TRACE_STATUS_NAME(e, name) name,
        TRACE_STATUS_LIST(TRACE_STATUS_NAME)
#undef TRACE_STATUS_NAME
    };
    _Static_assert(sizeof names / sizeof names[0] == TRACE_STATUS_COUNT, "status names");
    return (unsigned)s < TRACE_STATUS_COUNT ? names[s] : "?";
}

const char *trace_kind_name(enum trace_kind k)
{
    static const char *const names[] = {
#define TRACE_KIND_NAME(e, name) name,
        TRACE_KIND_LIST(TRACE_KIND_NAME)
#undef TRACE_KIND_NAME
    };
    _Static_assert(sizeof names / sizeof names[0] == TRACE_KIND_COUNT, "kind names");
    return (unsigned)k < TRACE_KIND_COUNT ? names[k] : "?";
}

void trace_init(struct trace *t)
{
    memset(t, 0, sizeof *t);
    arena_init(&t->arena);
    t->source = t->model = t->arith = t->run_id = "";
}

void trace_release(struct trace *t)
{
    mem_free(t->entries);
    arena_release(&t->arena);
    trace_init(t);
}

/* An arena copy of s, or NULL for NULL; *ok cleared on out-of-memory. */
static const char *dup_or_null(struct arena *a, const char *s, bool *ok)
{
    if (s == NULL)
        return NULL;
    char *c = arena_strdup(a, s);
    if (c == NULL)
        *ok = false;
    return c;
}

int trace_add(struct trace *t, const struct trace_entry *e, struct errbuf *eb)
{
    if (!mem_grow((void **)&t->entries, &t->cap_entries, t->n_entries + 1, sizeof *t->entries))
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    struct trace_entry c = *e;
    bool ok = true;
    c.name = dup_or_null(&t->arena, e->name ? e->name : "", &ok);
    c.layer = dup_or_null(&t->arena, e->layer, &ok);
    c.op = dup_or_null(&t->arena, e->op, &ok);
    c.function = dup_or_null(&t->arena, e->function, &ok);
    c.note = dup_or_null(&t->arena, e->note, &ok);
    c.value.data = NULL;
    if (e->value.data != NULL) {
        c.value.data = arena_memdup(&t->arena, e->value.data, e->value.bytes);
        if (c.value.data == NULL)
            ok = false;
    } else {
        c.value.bytes = 0;
    }
    if (!ok)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    t->entries[t->n_entries++] = c;
    return 0;
}

const struct trace_entry *trace_find(const struct trace *t, const char *name)
{
    for (size_t i = 0; i < t->n_entries; i++)
        if (strcmp(t->entries[i].name, name) == 0)
            return &t->entries[i];
    for (size_t i = 0; i < t->n_entries; i++)
        if (t->entries[i].layer != NULL && strcmp(t->entries[i].layer, name) == 0)
            return &t->entries[i];
    return NULL;
}

/* Sets source and kind; ST_ENOMEM on failure. */
static int set_source(struct trace *t, enum trace_kind kind, const char *path,
                      struct errbuf *eb)
{
    t->kind = kind;
    t->source = arena_strdup(&t->arena, path);
    if (t->source == NULL) {
        t->source = "";
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    return 0;
}

/* Reads one .npy into a trace entry (the value is copied by trace_add). */
static int add_npy(struct trace *t, const char *path, struct trace_entry *e, struct errbuf *eb)
{
    struct tensor_value v;
    int rc = npy_read_file(path, &v, eb);
    if (rc)
        return rc;
    e->value = v;
    e->status = TRACE_OK;
    rc = trace_add(t, e, eb);
    mem_free(v.data);
    return rc;
}

/* --- run / twin folders ------------------------------------------------------------------ */

static const char *json_str(const cJSON *o, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static bool json_int(const cJSON *o, const char *key, int64_t *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    /* range first: converting an out-of-range double to an integer is undefined */
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= -9e18 && it->valuedouble <= 9e18) ||
        it->valuedouble != (double)(int64_t)it->valuedouble)
        return false;
    *out = (int64_t)it->valuedouble;
    return true;
}

/* A file name from index.json must stay inside the folder. */
static bool safe_file_name(const char *f)
{
    return f[0] != '\0' && f[0] != '/' && strstr(f, "..") == NULL;
}

static int load_index(const char *dir, const char *ipath, const cJSON *root, struct trace *t,
                      struct errbuf *eb)
{
    if (!cJSON_IsObject(root))
        return errbuf_set(eb, ST_EPARSE, "%s: expected a JSON object at the top", ipath);
    const char *model = json_str(root, "model"), *arith = json_str(root, "arith");
    if (model && (t->model = arena_strdup(&t->arena, model)) == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    if (arith && (t->arith = arena_strdup(&t->arena, arith)) == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    const cJSON *tensors = cJSON_GetObjectItemCaseSensitive(root, "tensors");
    if (!cJSON_IsArray(tensors))
        return errbuf_set(eb, ST_EPARSE, "%s: expected an array \"tensors\"", ipath);
    size_t i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, tensors) {
        const char *name = json_str(it, "name"), *file = json_str(it, "file");
        if (name == NULL || file == NULL || !safe_file_name(file))
            return errbuf_set(eb, ST_EPARSE,
                              "%s: tensors[%zu]: expected strings \"name\" and \"file\" (a "
                              "file inside the folder)", ipath, i);
        struct trace_entry e = {.name = name, .layer = json_str(it, "layer"),
                                .op = json_str(it, "op"), .index = (int64_t)i, .step = -1,
                                .function = json_str(it, "function")};
        (void)json_int(it, "index", &e.index);
        (void)json_int(it, "step", &e.step);
        char *path = fileio_join(dir, file);
        if (path == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        int rc;
        if (!fileio_exists(path)) {
            e.status = TRACE_MISSING;
            e.value.rank = -1;
            e.note = "file not found";
            rc = trace_add(t, &e, eb);
        } else {
            rc = add_npy(t, path, &e, eb);
        }
        mem_free(path);
        if (rc)
            return rc;
        i++;
    }
    return 0;
}

int trace_parse_index(const void *buf, size_t bytes, const char *dir, struct trace *out,
                      struct errbuf *eb)
{
    struct trace t;
    trace_init(&t);
    cJSON *root = NULL;
    char *ipath = fileio_join(dir, "index.json");
    int rc = ipath ? set_source(&t, TRACE_KIND_RUN, dir, eb)
                   : errbuf_set(eb, ST_ENOMEM, "out of memory");
    if (!rc) {
        static const cJSON_Hooks hooks = {mem_alloc, mem_free};
        cJSON_InitHooks((cJSON_Hooks *)&hooks);
        const char *end = NULL;
        root = cJSON_ParseWithLengthOpts(buf, bytes, &end, 0);
        if (root == NULL) {
            /* cJSON reports out-of-memory as a parse failure too; the offset tells */
            size_t off = end && bytes ? (size_t)(end - (const char *)buf) : 0;
            rc = errbuf_set(eb, ST_EPARSE, "%s: offset %zu: malformed JSON", ipath, off);
        }
    }
    if (!rc)
        rc = load_index(dir, ipath, root, &t, eb);
    cJSON_Delete(root);
    mem_free(ipath);
    if (rc) {
        trace_release(&t);
        return rc;
    }
    *out = t;
    return 0;
}

int trace_load_run_dir(const char *dir, struct trace *out, struct errbuf *eb)
{
    struct filebuf fb = {0};
    char *ipath = fileio_join(dir, "index.json");
    if (ipath == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    int rc = filebuf_open(&fb, ipath, eb);
    mem_free(ipath);
    if (rc)
        return rc;
    rc = trace_parse_index(fb.data, fb.bytes, dir, out, eb);
    filebuf_release(&fb);
    return rc;
}

/* --- .npy folders ------------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int trace_load_npy_dir(const char *dir, struct trace *out, struct errbuf *eb)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return errbuf_set(eb, ST_EIO, "%s: cannot open folder", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !fileio_has_suffix(de->d_name, ".npy"))
            continue;
        char *c = mem_strdup(de->d_name);
        if (c == NULL || !mem_grow((void **)&names, &cap, n + 1, sizeof *names)) {
            mem_free(c);
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            break;
        }
        names[n++] = c;
    }
    closedir(d);
    struct trace t;
    trace_init(&t);
    if (!rc && n == 0)
        rc = errbuf_set(eb, ST_ENOTFOUND, "%s: no index.json and no .npy files", dir);
    if (!rc) {
        qsort(names, n, sizeof *names, cmp_str);
        rc = set_source(&t, TRACE_KIND_NPY, dir, eb);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        char *path = fileio_join(dir, names[i]);
        if (path == NULL) {
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            break;
        }
        names[i][strlen(names[i]) - 4] = '\0';   /* the stem names the layer */
        /* an order prefix ("0003_conv1") sorts the files; the rest is the name */
        const char *stem = names[i];
        size_t digits = strspn(stem, "0123456789");
        if (digits > 0 && stem[digits] == '_' && stem[digits + 1] != '\0')
            stem += digits + 1;
        struct trace_entry e = {.name = stem, .index = (int64_t)i, .step = -1};
        rc = add_npy(&t, path, &e, eb);
        mem_free(path);
    }
    for (size_t i = 0; i < n; i++)
        mem_free(names[i]);
    mem_free(names);
    if (rc) {
        trace_release(&t);
        return rc;
    }
    *out = t;
    return 0;
}

/* --- board logs -------------------------------------------------------------------------- */

static int pick_run(const struct boardlog *log, const char *name, const struct trace_options *opt,
                    size_t *out, struct errbuf *eb)
{
    if (log->n_runs == 0)
        return errbuf_set(eb, ST_ENOTFOUND, "%s: no @mlfs tensors in the log", name);
    if (opt && opt->run_id) {
        for (size_t i = log->n_runs; i-- > 0;)
            if (strcmp(log->runs[i].run_id, opt->run_id) == 0) {
                *out = i;
                return 0;
            }
        return errbuf_set(eb, ST_ENOTFOUND, "%s: no run with id '%s' (the log has %zu runs)",
                          name, opt->run_id, log->n_runs);
    }
    if (opt && opt->run >= 0) {
        if ((size_t)opt->run >= log->n_runs)
            return errbuf_set(eb, ST_ENOTFOUND, "%s: run %ld asked for, the log has %zu", name,
                              opt->run + 1, log->n_runs);
        *out = (size_t)opt->run;
        return 0;
    }
    /* the last complete run with tensors; else the last run with tensors; else the last */
    for (size_t i = log->n_runs; i-- > 0;)
        if (log->runs[i].end_line != 0 && log->runs[i].n_tensors > 0) {
            *out = i;
            return 0;
        }
    for (size_t i = log->n_runs; i-- > 0;)
        if (log->runs[i].n_tensors > 0) {
            *out = i;
            return 0;
        }
    *out = log->n_runs - 1;
    return 0;
}

static int trace_from_log(const struct boardlog *log, const char *name,
                          const struct trace_options *opt, struct trace *t, struct errbuf *eb)
{
    size_t r = 0;
    int rc = pick_run(log, name, opt, &r, eb);
    if (rc)
        return rc;
    const struct boardlog_run *run = &log->runs[r];
    if (run->n_tensors == 0)
        return errbuf_set(eb, ST_ENOTFOUND, "%s: run %zu ('%s') holds no tensors", name, r + 1,
                          run->run_id);
    t->run = r;
    t->n_runs = log->n_runs;
    t->run_complete = run->end_line != 0;
    if ((t->run_id = arena_strdup(&t->arena, run->run_id)) == NULL ||
        (t->model = arena_strdup(&t->arena, run->model)) == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t i = 0; i < run->n_tensors; i++) {
        const struct boardlog_tensor *bt = &log->tensors[run->first_tensor + i];
        struct trace_entry e = {.name = bt->name, .index = bt->index, .step = -1,
                                .value = bt->value, .status = TRACE_OK, .line = bt->line};
        char note[96];
        if (bt->status != BOARDLOG_OK) {
            e.status = TRACE_CORRUPT;
            snprintf(note, sizeof note, "line %zu: %s", bt->problem_line ? bt->problem_line
                     : bt->line, boardlog_reason_text(bt->reason));
            e.note = note;
        }
        if ((rc = trace_add(t, &e, eb)) != 0)
            return rc;
    }
    size_t n = 0;
    size_t first_line = run->line, last_line = run->end_line ? run->end_line : (size_t)-1;
    for (size_t i = 0; i < log->n_problems; i++)
        if (log->problems[i].line >= first_line && log->problems[i].line <= last_line)
            n++;
    if (n) {
        t->problems = arena_array(&t->arena, n, sizeof *t->problems);
        if (t->problems == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        for (size_t i = 0; i < log->n_problems; i++)
            if (log->problems[i].line >= first_line && log->problems[i].line <= last_line)
                t->problems[t->n_problems++] = log->problems[i].message;
    }
    return 0;
}

int trace_load_log_buffer(const void *buf, size_t bytes, const char *name,
                          const struct trace_options *opt, struct trace *out,
                          struct errbuf *eb)
{
    struct boardlog log;
    boardlog_init(&log);
    int rc = boardlog_parse(buf, bytes, &log, eb);
    if (rc)
        return rc;
    if (log.n_tensors == 0 && opt && opt->plain_name) {
        /* no records: the numbers someone printed by hand */
        boardlog_release(&log);
        rc = boardlog_parse_plain(buf, bytes, opt->plain_name, opt->plain_dtype,
                                  BOARDLOG_PLAIN_AUTO, &log, eb);
        if (rc) {
            errbuf_prefix(eb, "%s", name);
            return rc;
        }
    }
    struct trace t;
    trace_init(&t);
    rc = set_source(&t, TRACE_KIND_LOG, name, eb);
    if (!rc)
        rc = trace_from_log(&log, name, opt, &t, eb);
    /* problem messages live in the log's arena: copy them before releasing it */
    for (size_t i = 0; !rc && i < t.n_problems; i++)
        if ((t.problems[i] = arena_strdup(&t.arena, t.problems[i])) == NULL)
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    boardlog_release(&log);
    if (rc) {
        trace_release(&t);
        return rc;
    }
    *out = t;
    return 0;
}

static int load_single_npy(const char *path, struct trace *out, struct errbuf *eb)
{
    struct trace t;
    trace_init(&t);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char stem[256];
    snprintf(stem, sizeof stem, "%s", base);
    size_t len = strlen(stem);
    if (len > 4)
        stem[len - 4] = '\0';
    struct trace_entry e = {.name = stem, .index = 0, .step = -1};
    int rc = set_source(&t, TRACE_KIND_NPY, path, eb);
    if (!rc)
        rc = add_npy(&t, path, &e, eb);
    if (rc) {
        trace_release(&t);
        return rc;
    }
    *out = t;
    return 0;
}

int trace_load(const char *path, const struct trace_options *opt, struct trace *out,
               struct errbuf *eb)
{
    if (fileio_is_dir(path)) {
        char *ipath = fileio_join(path, "index.json");
        if (ipath == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        bool has_index = fileio_exists(ipath);
        mem_free(ipath);
        return has_index ? trace_load_run_dir(path, out, eb) : trace_load_npy_dir(path, out, eb);
    }
    if (fileio_has_suffix(path, ".npy"))
        return load_single_npy(path, out, eb);
    struct filebuf fb = {0};
    int rc = filebuf_open(&fb, path, eb);
    if (rc)
        return rc;
    rc = trace_load_log_buffer(fb.data, fb.bytes, path, opt, out, eb);
    filebuf_release(&fb);
    return rc;
}
