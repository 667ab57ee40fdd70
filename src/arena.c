/*
 * arena: bump allocation in chunks of at least 64 KiB; large requests get their own chunk
 * so that a 50 MB weight copy does not waste a chunk's tail.
 */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "banned.h"

#define ARENA_ALIGN 16
#define ARENA_CHUNK_BYTES ((size_t)64 * 1024)

struct arena_chunk {
    struct arena_chunk *next;
    size_t cap;   /* usable bytes in data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

void arena_init(struct arena *a)
{
    a->head = NULL;
    a->used_bytes = 0;
}

void arena_release(struct arena *a)
{
    struct arena_chunk *c = a->head;
    while (c != NULL) {
        struct arena_chunk *next = c->next;
        mem_free(c);
        c = next;
    }
    arena_init(a);
}

static struct arena_chunk *chunk_new(size_t cap)
{
    size_t bytes;
    struct arena_chunk *c;
    if (!size_add(sizeof *c, cap, &bytes))
        return NULL;
    c = mem_alloc(bytes);
    if (c == NULL)
        return NULL;
    c->cap = cap;
    c->used = 0;
    return c;
}

void *arena_alloc(struct arena *a, size_t bytes)
{
    struct arena_chunk *c = a->head;
    size_t rounded;

    if (bytes > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    rounded = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (c == NULL || c->cap - c->used < rounded) {
        if (rounded >= ARENA_CHUNK_BYTES / 4) {
            /* A big block gets a chunk of its own behind the current one. */
            struct arena_chunk *big = chunk_new(rounded);
            if (big == NULL)
                return NULL;
            big->used = rounded;
            if (c == NULL) {
                big->next = NULL;
                a->head = big;
            } else {
                big->next = c->next;
                c->next = big;
            }
            a->used_bytes += rounded;
            return big->data;
        }
        c = chunk_new(ARENA_CHUNK_BYTES);
        if (c == NULL)
            return NULL;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += rounded;
    a->used_bytes += rounded;
    return p;
}

void *arena_zalloc(struct arena *a, size_t bytes)
{
    void *p = arena_alloc(a, bytes);
    if (p != NULL)
        memset(p, 0, bytes);
    return p;
}

void *arena_array(struct arena *a, size_t n, size_t size)
{
    size_t bytes;
    if (!size_mul(n, size, &bytes))
        return NULL;
    return arena_alloc(a, bytes);
}

void *arena_memdup(struct arena *a, const void *src, size_t bytes)
{
    void *p = arena_alloc(a, bytes);
    if (p != NULL && bytes > 0)
        memcpy(p, src, bytes);
    return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    p = arena_alloc(a, (size_t)n + 1);
    if (p == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
