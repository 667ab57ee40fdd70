/*
 * mem: the allocator wrapper with a fault-injection hook for tests.
 */
#include "mem.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

/*
 * Fault injection state: -1 = never fail. Only tests change it. Atomic because worker
 * threads (the TUI's background reference run) allocate too; with several threads the
 * countdown is shared, which is all a fault-injection test needs.
 */
static atomic_long fail_countdown = -1;
static atomic_long alloc_count;

static bool should_fail(void)
{
    atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed);
    long left = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    while (left > 0) {
        if (atomic_compare_exchange_weak_explicit(&fail_countdown, &left, left - 1,
                                                  memory_order_relaxed, memory_order_relaxed))
            return false;
    }
    return left == 0;
}

long mem_fail_after(long n)
{
    long count = atomic_exchange_explicit(&alloc_count, 0, memory_order_relaxed);
    atomic_store_explicit(&fail_countdown, n, memory_order_relaxed);
    return count;
}

void *mem_alloc(size_t bytes)
{
    if (should_fail())
        return NULL;
    return malloc(bytes ? bytes : 1);
}

void *mem_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    if (n == 0 || size == 0)
        return calloc(1, 1);
    return calloc(n, size);
}

void *mem_realloc(void *p, size_t bytes)
{
    if (should_fail())
        return NULL;
    return realloc(p, bytes ? bytes : 1);
}

void mem_free(void *p)
{
    free(p);
}

char *mem_strndup(const char *s, size_t n)
{
    char *copy = mem_alloc(n + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, s, n);
    copy[n] = '\0';
    return copy;
}

char *mem_strdup(const char *s)
{
    return mem_strndup(s, strlen(s));
}

bool size_mul(size_t a, size_t b, size_t *out)
{
    if (b != 0 && a > SIZE_MAX / b)
        return false;
    *out = a * b;
    return true;
}

bool size_add(size_t a, size_t b, size_t *out)
{
    if (a > SIZE_MAX - b)
        return false;
    *out = a + b;
    return true;
}

bool mem_grow(void **items, size_t *cap, size_t need, size_t size)
{
    size_t new_cap = *cap ? *cap : 8;
    size_t bytes;
    void *p;

    if (need <= *cap)
        return true;
    while (new_cap < need) {
        if (new_cap > SIZE_MAX / 2)
            return false;
        new_cap *= 2;
    }
    if (!size_mul(new_cap, size, &bytes))
        return false;
    p = mem_realloc(*items, bytes);
    if (p == NULL)
        return false;
    *items = p;
    *cap = new_cap;
    return true;
}
