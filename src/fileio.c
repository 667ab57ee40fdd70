/*
 * fileio: mmap-or-read file access and small path helpers.
 */
#define _POSIX_C_SOURCE 200809L
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"
#include "banned.h"

static int read_all(int fd, const char *path, struct filebuf *fb, struct errbuf *eb)
{
    size_t cap = 0, len = 0;
    void *buf = NULL;

    for (;;) {
        if (!mem_grow(&buf, &cap, len + 65536, 1)) {
            mem_free(buf);
            return errbuf_set(eb, ST_ENOMEM, "%s: out of memory reading file", path);
        }
        ssize_t n = read(fd, (char *)buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            mem_free(buf);
            return errbuf_set(eb, ST_EIO, "%s: read failed: %s", path, strerror(errno));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    fb->data = buf;
    fb->bytes = len;
    fb->mapped = false;
    return 0;
}

int filebuf_open(struct filebuf *fb, const char *path, struct errbuf *eb)
{
    struct stat st;
    int fd, rc;

    fb->data = NULL;
    fb->bytes = 0;
    fb->mapped = false;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errbuf_set(eb, ST_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        close(fd);
        return errbuf_set(eb, ST_EIO, "%s: cannot stat: %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return errbuf_set(eb, ST_EIO, "%s: is a folder, expected a file", path);
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p != MAP_FAILED) {
            close(fd);
            fb->data = p;
            fb->bytes = (size_t)st.st_size;
            fb->mapped = true;
            return 0;
        }
    }
    rc = read_all(fd, path, fb, eb);
    close(fd);
    return rc;
}

void filebuf_adopt(struct filebuf *fb, uint8_t *heap_data, size_t bytes)
{
    fb->data = heap_data;
    fb->bytes = bytes;
    fb->mapped = false;
}

void filebuf_release(struct filebuf *fb)
{
    if (fb->mapped)
        munmap((void *)fb->data, fb->bytes);
    else
        mem_free((void *)fb->data);
    fb->data = NULL;
    fb->bytes = 0;
    fb->mapped = false;
}

int fileio_write(const char *path, const void *data, size_t bytes, struct errbuf *eb)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return errbuf_set(eb, ST_EIO, "%s: cannot create: %s", path, strerror(errno));
    if (bytes > 0 && fwrite(data, 1, bytes, f) != bytes) {
        fclose(f);
        return errbuf_set(eb, ST_EIO, "%s: write failed", path);
    }
    if (fclose(f) != 0)
        return errbuf_set(eb, ST_EIO, "%s: write failed: %s", path, strerror(errno));
    return 0;
}

int fileio_mkdirs(const char *path, struct errbuf *eb)
{
    char *copy = mem_strdup(path);
    if (copy == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (char *p = copy + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
                int rc = errbuf_set(eb, ST_EIO, "%s: cannot create folder: %s", copy,
                                    strerror(errno));
                mem_free(copy);
                return rc;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    mem_free(copy);
    if (!fileio_is_dir(path))
        return errbuf_set(eb, ST_EIO, "%s: exists and is not a folder", path);
    return 0;
}

static int remove_tree(const char *path, int depth, struct errbuf *eb)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : errbuf_set(eb, ST_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0)
            return errbuf_set(eb, ST_EIO, "%s: cannot remove: %s", path, strerror(errno));
        return 0;
    }
    if (depth > 64)
        return errbuf_set(eb, ST_EIO, "%s: folders nested too deep to remove", path);
    DIR *d = opendir(path);
    if (d == NULL)
        return errbuf_set(eb, ST_EIO, "%s: cannot open folder: %s", path, strerror(errno));
    int rc = 0;
    const struct dirent *de;
    while (!rc && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *child = fileio_join(path, de->d_name);
        rc = child ? remove_tree(child, depth + 1, eb) : errbuf_set(eb, ST_ENOMEM, "out of memory");
        mem_free(child);
    }
    closedir(d);
    if (!rc && rmdir(path) != 0)
        rc = errbuf_set(eb, ST_EIO, "%s: cannot remove folder: %s", path, strerror(errno));
    return rc;
}

int fileio_remove_tree(const char *path, struct errbuf *eb)
{
    return remove_tree(path, 0, eb);
}

bool fileio_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fileio_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *fileio_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = mem_alloc(a + b + 2);
    if (p == NULL)
        return NULL;
    memcpy(p, dir, a);
    p[a] = '/';
    memcpy(p + a + 1, name, b + 1);
    return p;
}

char *fileio_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return mem_strdup(".");
    if (slash == path)
        return mem_strdup("/");
    return mem_strndup(path, (size_t)(slash - path));
}

bool fileio_has_suffix(const char *path, const char *suffix)
{
    size_t a = strlen(path), b = strlen(suffix);
    return a >= b && strcasecmp(path + a - b, suffix) == 0;
}
