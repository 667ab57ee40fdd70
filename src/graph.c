/*
 * graph: building, indexing and ordering the format-neutral model (see graph.h).
 */
#include "graph.h"

#include <stdio.h>
#include <string.h>

#include "mem.h"
#include "banned.h"

static const struct {
    const char *name;
    size_t bytes;
} dtype_table[] = {
#define DTYPE_ROW(e, name, bytes) {name, bytes},
    DTYPE_LIST(DTYPE_ROW)
#undef DTYPE_ROW
};
_Static_assert(sizeof dtype_table / sizeof dtype_table[0] == DTYPE_COUNT, "dtype table");

static const char *const layer_kind_names[] = {
#define LAYER_KIND_ROW(e, name) name,
    LAYER_KIND_LIST(LAYER_KIND_ROW)
#undef LAYER_KIND_ROW
};
_Static_assert(sizeof layer_kind_names / sizeof layer_kind_names[0] == LAYER_KIND_COUNT,
               "layer kind table");

const char *dtype_name(enum dtype t)
{
    return (unsigned)t < DTYPE_COUNT ? dtype_table[t].name : "unknown";
}

size_t dtype_bytes(enum dtype t)
{
    return (unsigned)t < DTYPE_COUNT ? dtype_table[t].bytes : 0;
}

enum dtype dtype_from_name(const char *name)
{
    for (int i = 0; i < DTYPE_COUNT; i++)
        if (strcmp(dtype_table[i].name, name) == 0)
            return (enum dtype)i;
    return DTYPE_UNKNOWN;
}

const char *layer_kind_name(enum layer_kind k)
{
    return (unsigned)k < LAYER_KIND_COUNT ? layer_kind_names[k] : "unknown";
}

/* Open-addressing hash of tensor names; slots hold index + 1 (0 = empty). */
struct graph_index {
    size_t n_slots;     /* power of two */
    int *slots;
};

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static bool index_insert(struct graph_index *ix, const struct tensor *tensors, int idx)
{
    size_t mask = ix->n_slots - 1;
    size_t i = (size_t)hash_name(tensors[idx].name) & mask;
    while (ix->slots[i] != 0)
        i = (i + 1) & mask;
    ix->slots[i] = idx + 1;
    return true;
}

static bool index_rebuild(struct graph *g, size_t n_slots)
{
    struct graph_index *ix = g->index;
    int *slots = mem_calloc(n_slots, sizeof *slots);
    if (slots == NULL)
        return false;
    if (ix == NULL) {
        ix = mem_calloc(1, sizeof *ix);
        if (ix == NULL) {
            mem_free(slots);
            return false;
        }
        g->index = ix;
    }
    mem_free(ix->slots);
    ix->slots = slots;
    ix->n_slots = n_slots;
    for (size_t t = 0; t < g->n_tensors; t++)
        index_insert(ix, g->tensors, (int)t);
    return true;
}

void graph_init(struct graph *g)
{
    memset(g, 0, sizeof *g);
    arena_init(&g->arena);
    g->path = "";
    g->producer = "";
}

void graph_release(struct graph *g)
{
    if (g->index != NULL) {
        mem_free(g->index->slots);
        mem_free(g->index);
    }
    mem_free(g->tensors);
    mem_free(g->nodes);
    filebuf_release(&g->file);
    arena_release(&g->arena);
    graph_init(g);
}

int graph_find_tensor(const struct graph *g, const char *name)
{
    const struct graph_index *ix = g->index;
    if (ix == NULL)
        return -1;
    size_t mask = ix->n_slots - 1;
    for (size_t i = (size_t)hash_name(name) & mask; ix->slots[i] != 0; i = (i + 1) & mask) {
        int idx = ix->slots[i] - 1;
        if (strcmp(g->tensors[idx].name, name) == 0)
            return idx;
    }
    return -1;
}

int graph_tensor(struct graph *g, const char *name, struct errbuf *eb)
{
    int found = graph_find_tensor(g, name);
    if (found >= 0)
        return found;
    if (g->n_tensors >= (size_t)INT32_MAX)
        return errbuf_set(eb, ST_ELIMIT, "%s: too many tensors", g->path);
    void *items = g->tensors;
    if (!mem_grow(&items, &g->cap_tensors, g->n_tensors + 1, sizeof *g->tensors))
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    g->tensors = items;
    if (g->index == NULL || (g->n_tensors + 1) * 2 > g->index->n_slots) {
        size_t n_slots = g->index ? g->index->n_slots * 2 : 64;
        while ((g->n_tensors + 1) * 2 > n_slots)
            n_slots *= 2;
        if (!index_rebuild(g, n_slots))
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    struct tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = arena_strdup(&g->arena, name);
    if (t->name == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    t->rank = -1;
    t->producer = -1;
    int idx = (int)g->n_tensors++;
    index_insert(g->index, g->tensors, idx);
    return idx;
}

int graph_add_node(struct graph *g, const struct node *spec, struct errbuf *eb)
{
    struct node n = *spec;
    void *items = g->nodes;

    if (g->n_nodes >= (size_t)INT32_MAX)
        return errbuf_set(eb, ST_ELIMIT, "%s: too many nodes", g->path);
    n.inputs = arena_memdup(&g->arena, spec->inputs, spec->n_inputs * sizeof(int));
    n.outputs = arena_memdup(&g->arena, spec->outputs, spec->n_outputs * sizeof(int));
    n.attrs = arena_memdup(&g->arena, spec->attrs, spec->n_attrs * sizeof(struct attr));
    if (n.inputs == NULL || n.outputs == NULL || n.attrs == NULL ||
        !mem_grow(&items, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes))
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    g->nodes = items;
    n.layer = -1;
    g->nodes[g->n_nodes] = n;
    return (int)g->n_nodes++;
}

const struct attr *node_attr(const struct node *n, const char *name)
{
    for (size_t i = 0; i < n->n_attrs; i++)
        if (strcmp(n->attrs[i].name, name) == 0)
            return &n->attrs[i];
    return NULL;
}

int64_t node_attr_int(const struct node *n, const char *name, int64_t dflt)
{
    const struct attr *a = node_attr(n, name);
    return a != NULL && a->type == ATTR_INT ? a->i : dflt;
}

float node_attr_float(const struct node *n, const char *name, float dflt)
{
    const struct attr *a = node_attr(n, name);
    return a != NULL && a->type == ATTR_FLOAT ? a->f : dflt;
}

const char *node_attr_string(const struct node *n, const char *name, const char *dflt)
{
    const struct attr *a = node_attr(n, name);
    return a != NULL && a->type == ATTR_STRING ? a->s : dflt;
}

/* Producers, or an error for a tensor produced twice. */
static int set_producers(struct graph *g, struct errbuf *eb)
{
    for (size_t t = 0; t < g->n_tensors; t++)
        g->tensors[t].producer = -1;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const struct node *n = &g->nodes[i];
        for (size_t k = 0; k < n->n_outputs; k++) {
            if (n->outputs[k] < 0)
                continue;
            struct tensor *t = &g->tensors[n->outputs[k]];
            if (t->producer >= 0 || (t->flags & (TENSOR_INPUT | TENSOR_CONST)) != 0)
                return errbuf_set(eb, ST_EPARSE, "%s: node %s: output '%s' is already produced",
                                  g->path, n->name, t->name);
            t->producer = (int)i;
        }
    }
    return 0;
}

static bool tensor_available(const struct tensor *t)
{
    return (t->flags & (TENSOR_INPUT | TENSOR_CONST)) != 0;
}

static int set_consumers(struct graph *g, struct errbuf *eb);

/* Binary min-heap of node indices: among ready nodes the earliest in file order goes first. */
static void heap_push(int *heap, size_t *len, int v)
{
    size_t i = (*len)++;
    heap[i] = v;
    while (i > 0 && heap[(i - 1) / 2] > heap[i]) {
        int tmp = heap[i];
        heap[i] = heap[(i - 1) / 2];
        heap[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
}

static int heap_pop(int *heap, size_t *len)
{
    int top = heap[0];
    size_t i = 0;
    heap[0] = heap[--*len];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < *len && heap[l] < heap[m])
            m = l;
        if (r < *len && heap[r] < heap[m])
            m = r;
        if (m == i)
            break;
        int tmp = heap[i];
        heap[i] = heap[m];
        heap[m] = tmp;
        i = m;
    }
    return top;
}

/* Counts, per node, the inputs still waiting for a producer; errors on unproduced inputs. */
static int count_pending(const struct graph *g, int *pending, struct errbuf *eb)
{
    for (size_t i = 0; i < g->n_nodes; i++) {
        const struct node *nd = &g->nodes[i];
        for (size_t k = 0; k < nd->n_inputs; k++) {
            if (nd->inputs[k] < 0)
                continue;
            const struct tensor *t = &g->tensors[nd->inputs[k]];
            if (tensor_available(t))
                continue;
            if (t->producer < 0)
                return errbuf_set(eb, ST_EPARSE, "%s: node %s: input '%s' is never produced",
                                  g->path, nd->name, t->name);
            pending[i]++;
        }
    }
    return 0;
}

/* Kahn's algorithm over the consumer lists (set_consumers must have run). */
static int topo_sort(struct graph *g, struct errbuf *eb)
{
    size_t n = g->n_nodes, n_done = 0, heap_len = 0;
    int rc;
    int *pending = mem_calloc(n + 1, sizeof *pending);
    int *heap = mem_alloc((n + 1) * sizeof *heap);
    struct node *sorted = mem_alloc((n + 1) * sizeof *sorted);

    if (pending == NULL || heap == NULL || sorted == NULL) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    rc = count_pending(g, pending, eb);
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        if (pending[i] == 0)
            heap_push(heap, &heap_len, (int)i);
    while (heap_len > 0) {
        int i = heap_pop(heap, &heap_len);
        const struct node *nd = &g->nodes[i];
        sorted[n_done++] = *nd;
        for (size_t k = 0; k < nd->n_outputs; k++) {
            if (nd->outputs[k] < 0)
                continue;
            const struct tensor *t = &g->tensors[nd->outputs[k]];
            if (tensor_available(t))
                continue;
            for (size_t c = 0; c < t->n_consumers; c++) {
                int j = t->consumers[c];
                const struct node *cn = &g->nodes[j];
                /* A node may read the same tensor more than once. */
                for (size_t m = 0; m < cn->n_inputs; m++)
                    if (cn->inputs[m] == nd->outputs[k] && --pending[j] == 0)
                        heap_push(heap, &heap_len, j);
            }
        }
    }
    if (n_done < n) {
        for (size_t i = 0; i < n; i++)
            if (pending[i] != 0) {
                rc = errbuf_set(eb, ST_EPARSE, "%s: node %s: inputs form a cycle", g->path,
                                g->nodes[i].name);
                goto out;
            }
    }
    if (n > 0)
        memcpy(g->nodes, sorted, n * sizeof *sorted);
out:
    mem_free(pending);
    mem_free(heap);
    mem_free(sorted);
    return rc;
}

static int set_consumers(struct graph *g, struct errbuf *eb)
{
    size_t *counts = mem_calloc(g->n_tensors, sizeof *counts);
    if (counts == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t i = 0; i < g->n_nodes; i++)
        for (size_t k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0)
                counts[g->nodes[i].inputs[k]]++;
    for (size_t t = 0; t < g->n_tensors; t++) {
        int *list = arena_array(&g->arena, counts[t], sizeof *list);
        if (list == NULL) {
            mem_free(counts);
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        }
        g->tensors[t].consumers = list;
        g->tensors[t].n_consumers = 0;
    }
    for (size_t i = 0; i < g->n_nodes; i++) {
        const struct node *nd = &g->nodes[i];
        for (size_t k = 0; k < nd->n_inputs; k++) {
            struct tensor *t = nd->inputs[k] >= 0 ? &g->tensors[nd->inputs[k]] : NULL;
            /* Skip a node that reads the same tensor twice after the first time. */
            if (t == NULL || (t->n_consumers > 0 && t->consumers[t->n_consumers - 1] == (int)i))
                continue;
            ((int *)t->consumers)[t->n_consumers++] = (int)i;
        }
    }
    mem_free(counts);
    return 0;
}

int graph_finish(struct graph *g, struct errbuf *eb)
{
    int rc = set_producers(g, eb);
    if (rc == 0)
        rc = set_consumers(g, eb);
    if (rc == 0)
        rc = topo_sort(g, eb);
    /* Sorting renumbers nodes: producers and consumers are recomputed for the new order. */
    if (rc == 0)
        rc = set_producers(g, eb);
    if (rc == 0)
        rc = set_consumers(g, eb);
    return rc;
}

bool tensor_elems(const struct tensor *t, size_t *out)
{
    size_t n = 1;
    if (t->rank < 0)
        return false;
    for (int d = 0; d < t->rank; d++) {
        if (t->dims[d] < 0 || !size_mul(n, (size_t)t->dims[d], &n))
            return false;
    }
    *out = n;
    return true;
}

char *tensor_shape_str(const struct tensor *t, char *buf, size_t buf_bytes)
{
    size_t used = 0;
    buf[0] = '\0';
    if (t->rank < 0) {
        snprintf(buf, buf_bytes, "?");
        return buf;
    }
    if (t->rank == 0) {
        snprintf(buf, buf_bytes, "scalar");
        return buf;
    }
    for (int d = 0; d < t->rank && used < buf_bytes; d++) {
        int w;
        if (t->dims[d] >= 0)
            w = snprintf(buf + used, buf_bytes - used, "%s%lld", d ? "x" : "",
                         (long long)t->dims[d]);
        else
            w = snprintf(buf + used, buf_bytes - used, "%s%s", d ? "x" : "",
                         t->dim_param[d] ? t->dim_param[d] : "?");
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

const char *graph_short_name(const char *name, size_t width, char *out, size_t out_bytes)
{
    size_t n = strcspn(name, ";");
    if (width >= out_bytes)
        width = out_bytes - 1;
    if (n > width && width > 3)
        snprintf(out, out_bytes, "...%.*s", (int)(width - 3), name + n - (width - 3));
    else
        snprintf(out, out_bytes, "%.*s", (int)n, name);
    return out;
}

int64_t graph_opset(const struct graph *g, const char *domain)
{
    for (size_t i = 0; i < g->n_opsets; i++)
        if (strcmp(g->opsets[i].domain, domain) == 0)
            return g->opsets[i].version;
    return 0;
}
