/*
 * A chunked bump allocator. A loaded model (or any other parsed artefact) lives in one
 * arena and is released with one arena_release call. Pointers into an arena are valid
 * until that call; individual allocations are never freed. Chunks come from mem_alloc, so
 * allocation-failure tests cover arena users too.
 */
#ifndef MLFSCOPE_ARENA_H
#define MLFSCOPE_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
    struct arena_chunk *head;  /* newest chunk first; NULL when empty */
    size_t used_bytes;         /* total handed out, for reports */
};

/* Makes an empty arena; allocates nothing. */
void arena_init(struct arena *a);

/* Frees every chunk; the arena is empty (and reusable) afterwards. */
void arena_release(struct arena *a);

/*
 * Returns `bytes` of memory aligned to 16 (zeroed with arena_zalloc), or NULL when memory
 * runs out. Zero bytes gives a valid unique pointer.
 */
void *arena_alloc(struct arena *a, size_t bytes);
void *arena_zalloc(struct arena *a, size_t bytes);

/* arena_alloc of n * size with an overflow check (NULL on overflow). */
void *arena_array(struct arena *a, size_t n, size_t size);

/* Copies of memory and strings into the arena; NULL on failure. */
void *arena_memdup(struct arena *a, const void *src, size_t bytes);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);

/* printf into the arena; NULL on failure. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
