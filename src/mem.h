/*
 * Heap allocation for everything that is not arena memory. All heap memory goes through
 * these so that a test build can make the N-th allocation fail (mem_fail_after) and check
 * that every caller returns ST_ENOMEM cleanly. Sizes are checked with size_mul/size_add.
 */
#ifndef MLFSCOPE_MEM_H
#define MLFSCOPE_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* malloc/realloc/free; NULL on failure (or when the fault hook fires). mem_free(NULL) is ok. */
void *mem_alloc(size_t bytes);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t bytes);
void mem_free(void *p);

/* A NUL-terminated heap copy of s (or of its first n bytes); caller frees with mem_free. */
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);

/*
 * Grows *items (element size `size`) so that it holds at least `need` elements, doubling.
 * *cap is updated. Returns false (leaving *items valid) when memory runs out or overflows.
 */
bool mem_grow(void **items, size_t *cap, size_t need, size_t size);

/* Checked arithmetic: false on overflow, *out written only on success. */
bool size_mul(size_t a, size_t b, size_t *out);
bool size_add(size_t a, size_t b, size_t *out);

/*
 * Test hook: after `n` more successful allocations, every allocation fails until reset
 * with mem_fail_after(-1). Returns how many allocations have happened since the last call.
 * This is the one mutable global outside main.c (STYLE.md 4).
 */
long mem_fail_after(long n);

#endif
