/*
 * The MLF reader's file access: the one place that uses libarchive. Gives the reader the
 * list of (relative path, bytes) it needs from a folder, a .tar, a .tar.gz/.tgz (read in
 * memory, never extracted) or a bare codegen/ tree. Paths are made relative to the MLF root
 * (the folder holding codegen/ and metadata.json); a bare tree gets "codegen/" prepended.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlf_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mem.h"
#include "banned.h"

#define MLF_MAX_FILE_BYTES ((size_t)512 << 20)
#define MLF_MAX_TOTAL_BYTES ((size_t)2048 << 20)
#define MLF_MAX_FILES 4096
#define MLF_MAX_DEPTH 12

/* Is `path` (any prefix) one of the files the reader uses? */
static bool wanted(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t plen = strlen(path), blen = strlen(base);
    size_t dlen = plen - blen; /* includes the trailing '/' */

    if (strcmp(base, "metadata.json") == 0)
        return true;
    if (blen == 0)
        return false;
#define DIR_IS(d)                                                                                  \
    (dlen >= sizeof(d) - 1 && memcmp(path + dlen - (sizeof(d) - 1), d, sizeof(d) - 1) == 0 &&      \
     (dlen == sizeof(d) - 1 || path[dlen - sizeof(d)] == '/'))
    if (DIR_IS("host/src/") && fileio_has_suffix(base, ".c"))
        return true;
    if (DIR_IS("host/include/") && fileio_has_suffix(base, ".h"))
        return true;
    if (DIR_IS("src/") && !DIR_IS("host/src/") &&
        (fileio_has_suffix(base, ".relay") || strcmp(base, "relay.txt") == 0))
        return true;
    if (DIR_IS("parameters/") && fileio_has_suffix(base, ".params"))
        return true;
    if (DIR_IS("executor-config/graph/"))
        return true;
#undef DIR_IS
    return false;
}

/* Normalises "./a//b" to "a/b" into a heap string. */
static char *norm_path(const char *p)
{
    size_t n = strlen(p);
    char *out = mem_alloc(n + 1);
    size_t o = 0;
    if (out == NULL)
        return NULL;
    while (*p) {
        while (*p == '/')
            p++;
        if (p[0] == '.' && (p[1] == '/' || p[1] == '\0')) {
            p += 1;
            continue;
        }
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0)
            break;
        if (o > 0)
            out[o++] = '/';
        memcpy(out + o, p, len);
        o += len;
        p += len;
    }
    out[o] = '\0';
    return out;
}

static int add_file(struct mlf *m, char *path_heap, struct filebuf *fb, struct errbuf *eb)
{
    struct mlf_file *f =
        mlf_grow(m, (void **)&m->files, &m->n_files, &m->priv->cap_files, sizeof *f, eb);
    if (f == NULL) {
        mem_free(path_heap);
        filebuf_release(fb);
        return ST_ENOMEM;
    }
    f->path = arena_strdup(&m->arena, path_heap);
    mem_free(path_heap);
    f->fb = *fb;
    f->data = fb->data;
    f->bytes = fb->bytes;
    if (f->path == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    return 0;
}

static int walk(struct mlf *m, const char *dir, const char *rel, int depth, size_t *total,
                struct errbuf *eb)
{
    DIR *d;
    int rc = 0;

    if (depth > MLF_MAX_DEPTH)
        return 0;
    d = opendir(dir);
    if (d == NULL)
        return errbuf_set(eb, ST_EIO, "%s: cannot open folder", dir);
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char *full = fileio_join(dir, e->d_name);
        char *r = rel[0] ? fileio_join(rel, e->d_name) : mem_strdup(e->d_name);
        struct stat st;
        if (full == NULL || r == NULL) {
            rc = errbuf_set(eb, ST_ENOMEM, "%s: out of memory", dir);
        } else if (stat(full, &st) != 0) {
            /* dangling link: skip */
        } else if (S_ISDIR(st.st_mode)) {
            if (strcmp(e->d_name, "runtime") != 0 && strcmp(e->d_name, "templates") != 0)
                rc = walk(m, full, r, depth + 1, total, eb);
        } else if (S_ISREG(st.st_mode) && wanted(r)) {
            struct filebuf fb;
            if (m->n_files >= MLF_MAX_FILES) {
                rc = errbuf_set(eb, ST_ELIMIT, "%s: more than %d files", dir, MLF_MAX_FILES);
            } else if ((size_t)st.st_size > MLF_MAX_FILE_BYTES ||
                       *total + (size_t)st.st_size > MLF_MAX_TOTAL_BYTES) {
                rc = errbuf_set(eb, ST_ELIMIT, "%s: file too large (%lld bytes)", full,
                                (long long)st.st_size);
            } else if ((rc = filebuf_open(&fb, full, eb)) == 0) {
                *total += fb.bytes;
                rc = add_file(m, r, &fb, eb);
                r = NULL;
            }
        }
        mem_free(full);
        mem_free(r);
    }
    closedir(d);
    return rc;
}

static int read_archive(struct mlf *m, const char *path, struct errbuf *eb)
{
    struct filebuf in;
    struct archive *a;
    struct archive_entry *ent;
    size_t total = 0;
    int rc;

    if ((rc = filebuf_open(&in, path, eb)) != 0)
        return rc;
    a = archive_read_new();
    if (a == NULL) {
        filebuf_release(&in);
        return errbuf_set(eb, ST_ENOMEM, "%s: out of memory", path);
    }
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    if (archive_read_open_memory(a, in.data, in.bytes) != ARCHIVE_OK) {
        rc = errbuf_set(eb, ST_EPARSE, "%s: offset 0: not a tar archive: %s", path,
                        archive_error_string(a) ? archive_error_string(a) : "unknown format");
        goto out;
    }
    for (;;) {
        int r = archive_read_next_header(a, &ent);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = errbuf_set(eb, ST_EPARSE, "%s: entry %zu: corrupt archive: %s", path, m->n_files,
                            archive_error_string(a) ? archive_error_string(a) : "?");
            goto out;
        }
        const char *name = archive_entry_pathname(ent);
        if (name == NULL || archive_entry_filetype(ent) != AE_IFREG)
            continue;
        char *np = norm_path(name);
        if (np == NULL) {
            rc = errbuf_set(eb, ST_ENOMEM, "%s: out of memory", path);
            goto out;
        }
        if (!wanted(np) || strstr(np, "runtime/") == np || strstr(np, "/runtime/") != NULL) {
            mem_free(np);
            continue;
        }
        if (m->n_files >= MLF_MAX_FILES) {
            mem_free(np);
            rc = errbuf_set(eb, ST_ELIMIT, "%s: more than %d files", path, MLF_MAX_FILES);
            goto out;
        }
        size_t cap = 0, len = 0;
        void *buf = NULL;
        for (;;) {
            if (len == cap && !mem_grow(&buf, &cap, len + 65536, 1)) {
                mem_free(buf);
                mem_free(np);
                rc = errbuf_set(eb, ST_ENOMEM, "%s: out of memory", path);
                goto out;
            }
            la_ssize_t n = archive_read_data(a, (char *)buf + len, cap - len);
            if (n < 0) {
                mem_free(buf);
                rc = errbuf_set(eb, ST_EPARSE, "%s: %s: corrupt archive data: %s", path, np,
                                archive_error_string(a) ? archive_error_string(a) : "?");
                mem_free(np);
                goto out;
            }
            if (n == 0)
                break;
            len += (size_t)n;
            if (len > MLF_MAX_FILE_BYTES || total + len > MLF_MAX_TOTAL_BYTES) {
                mem_free(buf);
                rc = errbuf_set(eb, ST_ELIMIT, "%s: %s: member too large", path, np);
                mem_free(np);
                goto out;
            }
        }
        total += len;
        struct filebuf fb;
        filebuf_adopt(&fb, buf, len);
        if ((rc = add_file(m, np, &fb, eb)) != 0)
            goto out;
    }
    rc = 0;
out:
    archive_read_free(a);
    filebuf_release(&in);
    return rc;
}

/* The root prefix (with trailing '/') and whether the tree is a bare codegen/ folder. */
static void find_root(const struct mlf *m, size_t *root_len, const char **root_src, bool *bare)
{
    *root_len = 0;
    *root_src = NULL;
    *bare = false;
    /* the shallowest codegen/host/ wins; else host/src (bare); else metadata.json */
    size_t best = (size_t)-1;
    for (int pass = 0; pass < 3 && *root_src == NULL; pass++) {
        const char *key = pass == 0 ? "codegen/host/" : pass == 1 ? "host/" : "metadata.json";
        for (size_t i = 0; i < m->n_files; i++) {
            const char *p = m->files[i].path;
            for (const char *h = strstr(p, key); h != NULL; h = strstr(h + 1, key)) {
                if (h != p && h[-1] != '/')
                    continue;
                if ((size_t)(h - p) < best) {
                    best = (size_t)(h - p);
                    *root_src = p;
                    *bare = pass == 1;
                }
                break;
            }
        }
    }
    if (*root_src != NULL)
        *root_len = best;
}

int mlf_files_load(struct mlf *m, const char *path, struct errbuf *eb)
{
    int rc;
    size_t total = 0;

    if ((rc = mlf_priv_get(m, eb)) != 0)
        return rc;
    if (fileio_is_dir(path))
        rc = walk(m, path, "", 0, &total, eb);
    else if (fileio_exists(path))
        rc = read_archive(m, path, eb);
    else
        rc = errbuf_set(eb, ST_EIO, "%s: no such file or folder", path);
    if (rc != 0)
        return rc;

    size_t root_len;
    const char *root_src;
    bool bare;
    find_root(m, &root_len, &root_src, &bare);
    if (root_src == NULL)
        return errbuf_set(eb, ST_EPARSE,
                          "%s: not a Model Library Format tree: no metadata.json and no "
                          "codegen/host/src/*.c",
                          path);
    char *root = mem_strndup(root_src, root_len);
    if (root == NULL)
        return errbuf_set(eb, ST_ENOMEM, "%s: out of memory", path);
    /* keep only files under the root, with paths relative to it */
    size_t o = 0;
    for (size_t i = 0; i < m->n_files; i++) {
        struct mlf_file f = m->files[i];
        const char *p = f.path;
        if (strncmp(p, root, root_len) != 0 || (bare && strncmp(p + root_len, "host/", 5) != 0)) {
            filebuf_release(&f.fb);
            continue;
        }
        f.path = arena_printf(&m->arena, "%s%s", bare ? "codegen/" : "", p + root_len);
        if (f.path == NULL) {
            for (size_t j = i; j < m->n_files; j++)
                m->files[o++] = m->files[j];
            m->n_files = o;
            mem_free(root);
            return errbuf_set(eb, ST_ENOMEM, "%s: out of memory", path);
        }
        m->files[o++] = f;
    }
    mem_free(root);
    m->n_files = o;
    return 0;
}

void mlf_files_release(struct mlf *m)
{
    for (size_t i = 0; i < m->n_files; i++)
        filebuf_release(&m->files[i].fb);
    mem_free(m->files);
    m->files = NULL;
    m->n_files = 0;
}
