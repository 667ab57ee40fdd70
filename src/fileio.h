/*
 * Whole-file access. filebuf maps a file read-only (mmap) so that loaders can point
 * tensors at weights inside it without copying; small or unmappable inputs (pipes) are read
 * into the heap instead. Folder helpers list and join paths for MLF trees and dumps.
 */
#ifndef MLFSCOPE_FILEIO_H
#define MLFSCOPE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

struct filebuf {
    const uint8_t *data;  /* the file's bytes; valid until filebuf_release */
    size_t bytes;
    bool mapped;          /* true: munmap on release; false: mem_free */
};

/* Maps or reads `path`. On failure sets eb ("PATH: cannot open: reason") and leaves fb empty. */
int filebuf_open(struct filebuf *fb, const char *path, struct errbuf *eb);

/* Takes ownership of a heap buffer from mem_alloc (e.g. a decompressed archive member). */
void filebuf_adopt(struct filebuf *fb, uint8_t *heap_data, size_t bytes);

/* Unmaps or frees; fb is empty afterwards. Safe on an empty filebuf. */
void filebuf_release(struct filebuf *fb);

/* Writes bytes to path (created or truncated). */
int fileio_write(const char *path, const void *data, size_t bytes, struct errbuf *eb);

/* mkdir -p; ok if it exists. */
int fileio_mkdirs(const char *path, struct errbuf *eb);

/*
 * rm -r: removes path and, for a folder, everything under it. Symbolic links are removed,
 * never followed. A path that does not exist is fine. ST_EIO naming the first entry that
 * could not be removed.
 */
int fileio_remove_tree(const char *path, struct errbuf *eb);

bool fileio_is_dir(const char *path);
bool fileio_exists(const char *path);

/* dir + "/" + name as a heap string (mem_free); NULL on out-of-memory. */
char *fileio_join(const char *dir, const char *name);

/* The folder part of path ("." when none), as a heap string (mem_free). */
char *fileio_dirname(const char *path);

/* True when `path` ends with `suffix` (case-insensitive). */
bool fileio_has_suffix(const char *path, const char *suffix);

#endif
