/*
 * onnx: ModelProto and TensorProto reading. protobuf-c unpacks into a scratch arena; what the
 * graph keeps is copied into the graph's arena, and raw initializer bytes are pointed to in
 * the mapped model file (found by a small wire-format walk, since protobuf-c copies every
 * bytes field). The scratch arena is dropped on every path.
 */
#define _POSIX_C_SOURCE 200809L
#include "onnx.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "onnx.pb-c.h"
#include "arena.h"
#include "fileio.h"
#include "mem.h"
#include "banned.h"

/* ---- protobuf-c allocator on a scratch arena ---- */

struct scratch {
    struct arena arena;
    ProtobufCAllocator alloc;
    bool failed;            /* an allocation failed: protobuf-c's NULL means out of memory */
};

static void *scratch_alloc(void *data, size_t size)
{
    struct scratch *s = data;
    void *p = arena_alloc(&s->arena, size);
    if (p == NULL)
        s->failed = true;
    return p;
}

static void scratch_free(void *data, void *p)
{
    /* Arena memory is released all at once with the scratch arena. */
    (void)data;
    (void)p;
}

static void scratch_init(struct scratch *s)
{
    arena_init(&s->arena);
    s->alloc.alloc = scratch_alloc;
    s->alloc.free = scratch_free;
    s->alloc.allocator_data = s;
    s->failed = false;
}

/* ---- wire-format walk: where each initializer's raw_data sits in the file ---- */

struct raw_span {
    size_t off, len;
    bool present;
};

static bool wire_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pp >= end)
            return false;
        uint8_t b = *(*pp)++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if ((b & 0x80) == 0) {
            *v = r;
            return true;
        }
    }
    return false;
}

/*
 * Reads one field header and advances past its payload. For length-delimited fields, *sub
 * and *sub_len give the payload. Returns false on malformed input.
 */
static bool wire_field(const uint8_t **pp, const uint8_t *end, uint32_t *field,
                       const uint8_t **sub, size_t *sub_len)
{
    uint64_t key, v;
    if (!wire_varint(pp, end, &key))
        return false;
    *field = (uint32_t)(key >> 3);
    *sub = NULL;
    *sub_len = 0;
    switch (key & 7) {
    case 0:
        return wire_varint(pp, end, &v);
    case 1:
        if ((size_t)(end - *pp) < 8)
            return false;
        *pp += 8;
        return true;
    case 5:
        if ((size_t)(end - *pp) < 4)
            return false;
        *pp += 4;
        return true;
    case 2:
        if (!wire_varint(pp, end, &v) || v > (uint64_t)(end - *pp))
            return false;
        *sub = *pp;
        *sub_len = (size_t)v;
        *pp += v;
        return true;
    default:
        return false;
    }
}

/*
 * Spans of raw_data for every initializer, in file order. Returns 0 with *out NULL when the
 * layout is not the plain one (graph field repeated): the loader then copies.
 */
static int scan_raw_spans(const uint8_t *data, size_t bytes, struct raw_span **out,
                          size_t *n_out)
{
    const uint8_t *p = data, *end = data + bytes, *graph = NULL, *sub;
    size_t graph_len = 0, sub_len, n = 0, cap = 0;
    uint32_t field;
    struct raw_span *spans = NULL;

    *out = NULL;
    *n_out = 0;
    while (p < end) {
        if (!wire_field(&p, end, &field, &sub, &sub_len))
            return 0;
        if (field == 7 && sub != NULL) {
            if (graph != NULL)
                return 0;
            graph = sub;
            graph_len = sub_len;
        }
    }
    if (graph == NULL)
        return 0;
    for (p = graph, end = graph + graph_len; p < end;) {
        if (!wire_field(&p, end, &field, &sub, &sub_len)) {
            mem_free(spans);
            return 0;
        }
        if (field != 5 || sub == NULL)
            continue;
        void *items = spans;
        if (!mem_grow(&items, &cap, n + 1, sizeof *spans)) {
            mem_free(spans);
            return ST_ENOMEM;
        }
        spans = items;
        struct raw_span span = {0, 0, false};
        const uint8_t *q = sub, *qend = sub + sub_len, *raw;
        size_t raw_len;
        while (q < qend) {
            if (!wire_field(&q, qend, &field, &raw, &raw_len)) {
                mem_free(spans);
                return 0;
            }
            if (field == 9 && raw != NULL) {
                span.off = (size_t)(raw - data);
                span.len = raw_len;
                span.present = true;
            }
        }
        spans[n++] = span;
    }
    *out = spans;
    *n_out = n;
    return 0;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/*
 * Bytes of an initializer (TensorProto) without its raw_data fields; writes them to `out`
 * when not NULL. The message was already walked by scan_raw_spans, so it is well-formed.
 */
static size_t strip_tensor(const uint8_t *msg, size_t len, uint8_t *out)
{
    const uint8_t *p = msg, *end = msg + len, *sub;
    size_t n = 0, sub_len;
    uint32_t field;
    while (p < end) {
        const uint8_t *start = p;
        if (!wire_field(&p, end, &field, &sub, &sub_len))
            break;
        if (field == 9 && sub != NULL)
            continue;
        if (out != NULL)
            memcpy(out + n, start, (size_t)(p - start));
        n += (size_t)(p - start);
    }
    return n;
}

/* Bytes of the graph with stripped initializers; writes them to `out` when not NULL. */
static size_t strip_graph(const uint8_t *msg, size_t len, uint8_t *out)
{
    const uint8_t *p = msg, *end = msg + len, *sub;
    size_t n = 0, sub_len;
    uint32_t field;
    while (p < end) {
        const uint8_t *start = p;
        if (!wire_field(&p, end, &field, &sub, &sub_len))
            break;
        if (field == 5 && sub != NULL) {
            size_t t = strip_tensor(sub, sub_len, NULL);
            if (out != NULL) {
                uint8_t *q = out + n;
                *q++ = (5 << 3) | 2;
                q = put_varint(q, t);
                strip_tensor(sub, sub_len, q);
            }
            n += 1 + varint_len(t) + t;
        } else {
            if (out != NULL)
                memcpy(out + n, start, (size_t)(p - start));
            n += (size_t)(p - start);
        }
    }
    return n;
}

/*
 * A copy of the model without initializer raw_data payloads, in the scratch arena, so that
 * protobuf-c does not copy weights the graph will point to in the mapped file. Only called
 * when scan_raw_spans found the plain layout. NULL when memory runs out.
 */
static uint8_t *strip_model(const uint8_t *data, size_t bytes, struct arena *a, size_t *out_len)
{
    const uint8_t *p = data, *end = data + bytes, *sub;
    size_t n = 0, sub_len;
    uint32_t field;
    for (int pass = 0; pass < 2; pass++) {
        uint8_t *out = NULL;
        if (pass == 1 && (out = arena_alloc(a, n)) == NULL)
            return NULL;
        size_t w = 0;
        for (p = data; p < end;) {
            const uint8_t *start = p;
            if (!wire_field(&p, end, &field, &sub, &sub_len))
                break;
            if (field == 7 && sub != NULL) {
                size_t gl = strip_graph(sub, sub_len, NULL);
                if (out != NULL) {
                    uint8_t *q = out + w;
                    *q++ = (7 << 3) | 2;
                    q = put_varint(q, gl);
                    strip_graph(sub, sub_len, q);
                }
                w += 1 + varint_len(gl) + gl;
            } else {
                if (out != NULL)
                    memcpy(out + w, start, (size_t)(p - start));
                w += (size_t)(p - start);
            }
        }
        n = w;
        if (pass == 1) {
            *out_len = n;
            return out;
        }
    }
    return NULL;
}

/*
 * Where the wire format first breaks, for the error message: the offset of the first field
 * whose header or payload does not fit its enclosing message, looking at the top level and
 * inside the graph. Returns false when both levels look fine.
 */
static bool wire_bad_offset(const uint8_t *data, size_t bytes, size_t *off, uint32_t *field)
{
    const uint8_t *p = data, *end = data + bytes, *sub, *graph = NULL;
    size_t sub_len, graph_len = 0;
    while (p < end) {
        const uint8_t *start = p;
        if (!wire_field(&p, end, field, &sub, &sub_len)) {
            *off = (size_t)(start - data);
            return true;
        }
        if (*field == 7 && sub != NULL) {
            graph = sub;
            graph_len = sub_len;
        }
    }
    if (graph == NULL)
        return false;
    for (p = graph, end = graph + graph_len; p < end;) {
        const uint8_t *start = p;
        if (!wire_field(&p, end, field, &sub, &sub_len)) {
            *off = (size_t)(start - data);
            return true;
        }
    }
    return false;
}

/* ---- conversions ---- */

static enum dtype dtype_from_onnx(int32_t t)
{
    switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return DTYPE_F32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return DTYPE_U8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return DTYPE_S8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: return DTYPE_U16;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return DTYPE_S16;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return DTYPE_S32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return DTYPE_S64;
    case ONNX__TENSOR_PROTO__DATA_TYPE__STRING: return DTYPE_STRING;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return DTYPE_BOOL;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return DTYPE_F16;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: return DTYPE_F64;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return DTYPE_U32;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return DTYPE_U64;
    default: return DTYPE_UNKNOWN;
    }
}

static const char *str_or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* Validates dims and gives the element count; names the tensor on failure. */
static int check_dims(const char *file, const char *what, const char *name, size_t n_dims,
                      const int64_t *dims, size_t *elems, struct errbuf *eb)
{
    size_t n = 1;
    if (n_dims > GRAPH_MAX_RANK)
        return errbuf_set(eb, ST_EUNSUPPORTED, "%s: %s '%s': rank %zu, at most %d supported",
                          file, what, name, n_dims, GRAPH_MAX_RANK);
    for (size_t d = 0; d < n_dims; d++) {
        if (dims[d] < 0)
            return errbuf_set(eb, ST_EPARSE, "%s: %s '%s': negative dimension %lld", file,
                              what, name, (long long)dims[d]);
        if (!size_mul(n, (size_t)dims[d], &n) || (uint64_t)dims[d] > (uint64_t)SIZE_MAX)
            return errbuf_set(eb, ST_EPARSE, "%s: %s '%s': element count overflows", file,
                              what, name);
    }
    *elems = n;
    return 0;
}

/*
 * Checks that the typed *_data field of tp that holds dtype dt has exactly elems entries.
 * Callers check before allocating the elems-sized destination: the shape is only a claim,
 * the field's length is what the file really holds.
 */
static int check_typed(const char *file, const char *name, const Onnx__TensorProto *tp,
                       enum dtype dt, size_t elems, struct errbuf *eb)
{
    size_t have;
    switch (dt) {
    case DTYPE_F32: have = tp->n_float_data; break;
    case DTYPE_S64: have = tp->n_int64_data; break;
    case DTYPE_F64: have = tp->n_double_data; break;
    case DTYPE_U32: case DTYPE_U64: have = tp->n_uint64_data; break;
    case DTYPE_U8: case DTYPE_S8: case DTYPE_U16: case DTYPE_S16: case DTYPE_S32:
    case DTYPE_BOOL: case DTYPE_F16:
        have = tp->n_int32_data;
        break;
    default:
        return errbuf_set(eb, ST_EUNSUPPORTED, "%s: tensor '%s': data type %s is not supported",
                          file, name, dtype_name(dt));
    }
    if (have != elems)
        return errbuf_set(eb, ST_EPARSE,
                          "%s: tensor '%s': has %zu data elements, its shape needs %zu", file,
                          name, have, elems);
    return 0;
}

/* Copies the typed *_data field of tp into dst (elems elements of dtype); check_typed first. */
static void copy_typed(const Onnx__TensorProto *tp, enum dtype dt, size_t elems, void *dst)
{
    for (size_t i = 0; i < elems; i++) {
        switch (dt) {
        case DTYPE_F32: ((float *)dst)[i] = tp->float_data[i]; break;
        case DTYPE_S64: ((int64_t *)dst)[i] = tp->int64_data[i]; break;
        case DTYPE_F64: ((double *)dst)[i] = tp->double_data[i]; break;
        case DTYPE_U32: ((uint32_t *)dst)[i] = (uint32_t)tp->uint64_data[i]; break;
        case DTYPE_U64: ((uint64_t *)dst)[i] = tp->uint64_data[i]; break;
        case DTYPE_U8: case DTYPE_BOOL:
            ((uint8_t *)dst)[i] = (uint8_t)tp->int32_data[i];
            break;
        case DTYPE_S8: ((int8_t *)dst)[i] = (int8_t)tp->int32_data[i]; break;
        case DTYPE_U16: case DTYPE_F16:
            ((uint16_t *)dst)[i] = (uint16_t)tp->int32_data[i];
            break;
        case DTYPE_S16: ((int16_t *)dst)[i] = (int16_t)tp->int32_data[i]; break;
        case DTYPE_S32: ((int32_t *)dst)[i] = tp->int32_data[i]; break;
        default: break;
        }
    }
}

/* ---- loading context ---- */

struct loader {
    struct graph *g;
    const char *file;           /* for messages (g->path) */
    const char *dir;            /* model folder for external data; NULL: refused */
    struct raw_span *spans;     /* heap; raw_data spans per initializer or NULL */
    size_t n_spans;
    struct errbuf *eb;
};

static int oom(struct loader *ld)
{
    return errbuf_set(ld->eb, ST_ENOMEM, "out of memory");
}

/* True when `rel` is a relative path that stays inside its folder. */
static bool path_stays_inside(const char *rel)
{
    int depth = 0;
    const char *p = rel;
    if (rel[0] == '/' || rel[0] == '\0')
        return false;
    while (*p != '\0') {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (--depth < 0)
                return false;
        } else if (len > 0 && !(len == 1 && p[0] == '.')) {
            depth++;
        }
        p += len;
        if (*p == '/')
            p++;
    }
    return depth > 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] == '\0' || s[0] == '-' || *end != '\0' || errno != 0)
        return -1;
    *out = v;
    return 0;
}

/* Reads an external-data initializer into the arena; bounds-checked against the file. */
static int read_external(struct loader *ld, const Onnx__TensorProto *tp, const char *name,
                         size_t want, const void **data_out)
{
    const char *location = NULL;
    uint64_t offset = 0, length = UINT64_MAX;
    struct errbuf *eb = ld->eb;

    for (size_t i = 0; i < tp->n_external_data; i++) {
        const char *k = str_or_empty(tp->external_data[i]->key);
        const char *v = str_or_empty(tp->external_data[i]->value);
        if (strcmp(k, "location") == 0)
            location = v;
        else if (strcmp(k, "offset") == 0 && parse_u64(v, &offset) != 0)
            return errbuf_set(eb, ST_EPARSE, "%s: initializer '%s': bad external offset '%s'",
                              ld->file, name, v);
        else if (strcmp(k, "length") == 0 && parse_u64(v, &length) != 0)
            return errbuf_set(eb, ST_EPARSE, "%s: initializer '%s': bad external length '%s'",
                              ld->file, name, v);
    }
    if (location == NULL)
        return errbuf_set(eb, ST_EPARSE, "%s: initializer '%s': external data without location",
                          ld->file, name);
    if (ld->dir == NULL)
        return errbuf_set(eb, ST_EUNSUPPORTED,
                          "%s: initializer '%s': external data is not available here", ld->file,
                          name);
    if (!path_stays_inside(location))
        return errbuf_set(eb, ST_EPARSE,
                          "%s: initializer '%s': external data location '%s' is outside the "
                          "model's folder",
                          ld->file, name, location);
    if (length != UINT64_MAX && length != want)
        return errbuf_set(eb, ST_EPARSE,
                          "%s: initializer '%s': external length %llu, its shape needs %zu bytes",
                          ld->file, name, (unsigned long long)length, want);
    char *path = fileio_join(ld->dir, location);
    if (path == NULL)
        return oom(ld);
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0) {
        rc = errbuf_set(eb, ST_EIO, "%s: initializer '%s': cannot open external data %s: %s",
                        ld->file, name, path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = errbuf_set(eb, ST_EIO, "%s: initializer '%s': %s is not a regular file", ld->file,
                        name, path);
        goto out;
    }
    if (offset > (uint64_t)st.st_size || want > (uint64_t)st.st_size - offset) {
        rc = errbuf_set(eb, ST_EPARSE,
                        "%s: initializer '%s': external data %s: %zu bytes at offset %llu run "
                        "past its end (%lld bytes)",
                        ld->file, name, path, want, (unsigned long long)offset,
                        (long long)st.st_size);
        goto out;
    }
    uint8_t *buf = arena_alloc(&ld->g->arena, want);
    if (buf == NULL) {
        rc = oom(ld);
        goto out;
    }
    size_t done = 0;
    while (done < want) {
        ssize_t n = pread(fd, buf + done, want - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = errbuf_set(eb, ST_EIO, "%s: initializer '%s': reading %s failed", ld->file,
                            name, path);
            goto out;
        }
        done += (size_t)n;
    }
    *data_out = buf;
out:
    if (fd >= 0)
        close(fd);
    mem_free(path);
    return rc;
}

/*
 * Fills tensor t from a TensorProto: dtype, dims, data. `span` (may be NULL) says where the
 * raw_data bytes sit in the mapped file.
 */
static int fill_const(struct loader *ld, int ti, const Onnx__TensorProto *tp,
                      const struct raw_span *span)
{
    struct graph *g = ld->g;
    struct tensor *t = &g->tensors[ti];
    const char *name = t->name;
    enum dtype dt = dtype_from_onnx(tp->data_type);
    size_t elems, bytes;
    int rc = check_dims(ld->file, "initializer", name, tp->n_dims, tp->dims, &elems, ld->eb);

    if (rc != 0)
        return rc;
    if (dt == DTYPE_UNKNOWN || dt == DTYPE_STRING)
        return errbuf_set(ld->eb, ST_EUNSUPPORTED,
                          "%s: initializer '%s': data type %d is not supported", ld->file, name,
                          (int)tp->data_type);
    if (!size_mul(elems, dtype_bytes(dt), &bytes))
        return errbuf_set(ld->eb, ST_EPARSE, "%s: initializer '%s': byte size overflows",
                          ld->file, name);
    t->dtype = dt;
    t->rank = (int)tp->n_dims;
    for (size_t d = 0; d < tp->n_dims; d++)
        t->dims[d] = tp->dims[d];
    t->flags |= TENSOR_CONST;

    const void *data = NULL;
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        rc = read_external(ld, tp, name, bytes, &data);
        if (rc != 0)
            return rc;
    } else if (tp->has_raw_data || (span != NULL && span->present)) {
        /* With a span, protobuf-c saw a copy without raw_data: the bytes are in the file. */
        const uint8_t *raw = span != NULL && span->present ? g->file.data + span->off
                                                           : tp->raw_data.data;
        size_t raw_len = span != NULL && span->present ? span->len : tp->raw_data.len;
        if (raw_len != bytes)
            return errbuf_set(ld->eb, ST_EPARSE,
                              "%s: initializer '%s': raw_data has %zu bytes, its shape and type "
                              "need %zu",
                              ld->file, name, raw_len, bytes);
        /* Point into the mapping when the element type's alignment holds there. */
        if (span != NULL && span->present && (uintptr_t)raw % dtype_bytes(dt) == 0)
            data = raw;
        else if ((data = arena_memdup(&g->arena, raw, bytes)) == NULL)
            return oom(ld);
    } else {
        rc = check_typed(ld->file, name, tp, dt, elems, ld->eb);
        if (rc != 0)
            return rc;
        void *dst = arena_alloc(&g->arena, bytes);
        if (dst == NULL)
            return oom(ld);
        copy_typed(tp, dt, elems, dst);
        data = dst;
    }
    t = &g->tensors[ti];
    t->data = data;
    t->data_bytes = bytes;
    return 0;
}

/* dtype and shape from a ValueInfoProto (type may be absent or not a tensor). */
static int fill_value_info(struct loader *ld, int ti, const Onnx__ValueInfoProto *vi)
{
    struct tensor *t = &ld->g->tensors[ti];
    const Onnx__TypeProto *tp = vi->type;
    if (tp == NULL || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        tp->tensor_type == NULL)
        return 0;
    const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
    if (tt->has_elem_type && t->dtype == DTYPE_UNKNOWN)
        t->dtype = dtype_from_onnx(tt->elem_type);
    if (tt->shape == NULL || t->rank >= 0)
        return 0;
    if (tt->shape->n_dim > GRAPH_MAX_RANK)
        return errbuf_set(ld->eb, ST_EUNSUPPORTED, "%s: tensor '%s': rank %zu, at most %d "
                          "supported", ld->file, t->name, tt->shape->n_dim, GRAPH_MAX_RANK);
    t->rank = (int)tt->shape->n_dim;
    for (size_t d = 0; d < tt->shape->n_dim; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
        t->dims[d] = -1;
        t->dim_param[d] = NULL;
        if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
            dim->dim_value >= 0) {
            t->dims[d] = dim->dim_value;
        } else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   dim->dim_param != NULL) {
            t->dim_param[d] = arena_strdup(&ld->g->arena, dim->dim_param);
            if (t->dim_param[d] == NULL)
                return oom(ld);
        }
    }
    size_t elems;
    bool known = true;
    for (int d = 0; d < t->rank; d++)
        known = known && t->dims[d] >= 0;
    if (known) {
        int rc = check_dims(ld->file, "tensor", t->name, (size_t)t->rank, t->dims, &elems,
                            ld->eb);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* A tensor by name, as an index; "" means an omitted optional input (-1). */
static int tensor_ref(struct loader *ld, const char *name, int *out)
{
    if (name == NULL || name[0] == '\0') {
        *out = -1;
        return 0;
    }
    int ti = graph_tensor(ld->g, name, ld->eb);
    if (ti < 0)
        return ti;
    *out = ti;
    return 0;
}

/* A constant tensor for a TENSOR attribute (or a Constant node's value). */
static int attr_tensor(struct loader *ld, const char *tname, const Onnx__TensorProto *tp,
                       int *out)
{
    int ti = graph_tensor(ld->g, tname, ld->eb);
    if (ti < 0)
        return ti;
    if (ld->g->tensors[ti].flags & TENSOR_CONST)
        return errbuf_set(ld->eb, ST_EPARSE, "%s: constant '%s' is defined twice", ld->file,
                          tname);
    int rc = fill_const(ld, ti, tp, NULL);
    if (rc != 0)
        return rc;
    *out = ti;
    return 0;
}

/* The attribute type, inferred from the set fields for writers that omit `type`. */
static int attr_kind(const Onnx__AttributeProto *a)
{
    if (a->has_type)
        return a->type;
    if (a->has_f)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    if (a->has_i)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    if (a->has_s)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    if (a->t != NULL)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (a->n_floats > 0)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    if (a->n_ints > 0)
        return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

static int convert_attr(struct loader *ld, const char *node_name, const Onnx__AttributeProto *a,
                        struct attr *out)
{
    struct arena *ar = &ld->g->arena;
    memset(out, 0, sizeof *out);
    out->tensor = -1;
    out->name = arena_strdup(ar, str_or_empty(a->name));
    if (out->name == NULL)
        return oom(ld);
    switch (attr_kind(a)) {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
        out->type = ATTR_INT;
        out->i = a->i;
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
        out->type = ATTR_FLOAT;
        out->f = a->f;
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
        out->type = ATTR_STRING;
        out->s = arena_strndup(ar, a->has_s ? (const char *)a->s.data : "",
                               a->has_s ? a->s.len : 0);
        out->s_len = a->has_s ? a->s.len : 0;
        if (out->s == NULL)
            return oom(ld);
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
        out->type = ATTR_INTS;
        out->n = a->n_ints;
        out->ints = arena_memdup(ar, a->ints, a->n_ints * sizeof *a->ints);
        if (out->ints == NULL)
            return oom(ld);
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
        out->type = ATTR_FLOATS;
        out->n = a->n_floats;
        out->floats = arena_memdup(ar, a->floats, a->n_floats * sizeof *a->floats);
        if (out->floats == NULL)
            return oom(ld);
        break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
        if (a->t == NULL)
            return errbuf_set(ld->eb, ST_EPARSE, "%s: node %s: attribute '%s' has no tensor",
                              ld->file, node_name, out->name);
        char *tname = arena_printf(ar, "%s.%s", node_name, out->name);
        if (tname == NULL)
            return oom(ld);
        out->type = ATTR_TENSOR;
        return attr_tensor(ld, tname, a->t, &out->tensor);
    }
    default:
        out->type = ATTR_OTHER;
        break;
    }
    return 0;
}

/* Constant node: its output becomes a constant tensor (value, value_float(s), value_int(s)). */
static int load_constant(struct loader *ld, const Onnx__NodeProto *np, const char *node_name)
{
    struct graph *g = ld->g;
    if (np->n_output != 1 || np->n_attribute != 1)
        return errbuf_set(ld->eb, ST_EPARSE,
                          "%s: node %s: Constant needs one output and one attribute", ld->file,
                          node_name);
    const Onnx__AttributeProto *a = np->attribute[0];
    const char *an = str_or_empty(a->name);
    int ti = graph_tensor(g, str_or_empty(np->output[0]), ld->eb);
    if (ti < 0)
        return ti;
    struct tensor *t = &g->tensors[ti];
    if (t->flags & TENSOR_CONST)
        return errbuf_set(ld->eb, ST_EPARSE, "%s: node %s: output '%s' is already produced",
                          ld->file, node_name, t->name);
    if (strcmp(an, "value") == 0 && a->t != NULL)
        return fill_const(ld, ti, a->t, NULL);
    /* value_float / value_int are scalars; value_floats / value_ints are 1-D. */
    const void *src;
    size_t n, size;
    bool scalar = strcmp(an, "value_float") == 0 || strcmp(an, "value_int") == 0;
    if (strcmp(an, "value_float") == 0 || strcmp(an, "value_floats") == 0) {
        t->dtype = DTYPE_F32;
        size = sizeof(float);
        src = scalar ? (const void *)&a->f : (const void *)a->floats;
        n = scalar ? 1 : a->n_floats;
    } else if (strcmp(an, "value_int") == 0 || strcmp(an, "value_ints") == 0) {
        t->dtype = DTYPE_S64;
        size = sizeof(int64_t);
        src = scalar ? (const void *)&a->i : (const void *)a->ints;
        n = scalar ? 1 : a->n_ints;
    } else {
        return errbuf_set(ld->eb, ST_EUNSUPPORTED, "%s: node %s: Constant attribute '%s' is not "
                          "supported", ld->file, node_name, an);
    }
    void *data = arena_memdup(&g->arena, src, n * size);
    if (data == NULL)
        return oom(ld);
    t->rank = scalar ? 0 : 1;
    t->dims[0] = (int64_t)n;
    t->data = data;
    t->data_bytes = n * size;
    t->flags |= TENSOR_CONST;
    return 0;
}

static int load_node(struct loader *ld, const Onnx__NodeProto *np, size_t index)
{
    struct graph *g = ld->g;
    struct arena *ar = &g->arena;
    const char *op = str_or_empty(np->op_type);
    const char *domain = str_or_empty(np->domain);
    const char *name;
    int rc = 0;

    if (op[0] == '\0')
        return errbuf_set(ld->eb, ST_EPARSE, "%s: node %zu has no op_type", ld->file, index);
    if (np->name != NULL && np->name[0] != '\0')
        name = arena_strdup(ar, np->name);
    else
        name = arena_printf(ar, "%s_%zu", op, index);
    if (name == NULL)
        return oom(ld);
    /* ai.onnx may also be spelled out; the graph uses "" for it. */
    if (strcmp(domain, "ai.onnx") == 0)
        domain = "";
    if (strcmp(op, "Constant") == 0 && domain[0] == '\0')
        return load_constant(ld, np, name);

    int *ins = mem_alloc((np->n_input + 1) * sizeof *ins);
    int *outs = mem_alloc((np->n_output + 1) * sizeof *outs);
    struct attr *attrs = mem_alloc((np->n_attribute + 1) * sizeof *attrs);
    if (ins == NULL || outs == NULL || attrs == NULL) {
        rc = oom(ld);
        goto out;
    }
    for (size_t i = 0; i < np->n_input && rc == 0; i++)
        rc = tensor_ref(ld, np->input[i], &ins[i]);
    for (size_t i = 0; i < np->n_output && rc == 0; i++)
        rc = tensor_ref(ld, np->output[i], &outs[i]);
    for (size_t i = 0; i < np->n_attribute && rc == 0; i++)
        rc = convert_attr(ld, name, np->attribute[i], &attrs[i]);
    if (rc != 0)
        goto out;
    struct node spec = {
        .name = name,
        .op = arena_strdup(ar, op),
        .domain = arena_strdup(ar, domain),
        .n_inputs = np->n_input,
        .inputs = ins,
        .n_outputs = np->n_output,
        .outputs = outs,
        .n_attrs = np->n_attribute,
        .attrs = attrs,
        .layer = -1,
    };
    if (spec.op == NULL || spec.domain == NULL) {
        rc = oom(ld);
        goto out;
    }
    rc = graph_add_node(g, &spec, ld->eb);
    if (rc > 0)
        rc = 0;
out:
    mem_free(ins);
    mem_free(outs);
    mem_free(attrs);
    return rc;
}

static int apply_overrides(struct loader *ld, const struct load_options *opts)
{
    struct graph *g = ld->g;
    if (opts == NULL)
        return 0;
    for (size_t i = 0; i < opts->n_shapes; i++) {
        const struct shape_override *so = &opts->shapes[i];
        int ti = -1;
        if (so->name == NULL) {
            if (g->n_inputs != 1)
                return errbuf_set(ld->eb, ST_EINVAL,
                                  "--input-shape: %s has %zu inputs; name the one to shape "
                                  "(NAME=d0,d1,...)",
                                  ld->file, g->n_inputs);
            ti = g->inputs[0];
        } else {
            for (size_t k = 0; k < g->n_inputs; k++)
                if (strcmp(g->tensors[g->inputs[k]].name, so->name) == 0)
                    ti = g->inputs[k];
            if (ti < 0)
                return errbuf_set(ld->eb, ST_EINVAL, "--input-shape: %s has no input named '%s'",
                                  ld->file, so->name);
        }
        struct tensor *t = &g->tensors[ti];
        if (t->rank >= 0 && t->rank != so->rank)
            return errbuf_set(ld->eb, ST_EINVAL,
                              "--input-shape: input '%s' has rank %d, the override gives %d",
                              t->name, t->rank, so->rank);
        if (so->rank > GRAPH_MAX_RANK)
            return errbuf_set(ld->eb, ST_EINVAL, "--input-shape: rank %d too large", so->rank);
        size_t elems;
        int rc = check_dims(ld->file, "input", t->name, (size_t)so->rank, so->dims, &elems,
                            ld->eb);
        if (rc != 0)
            return rc;
        t->rank = so->rank;
        for (int d = 0; d < so->rank; d++) {
            t->dims[d] = so->dims[d];
            t->dim_param[d] = NULL;
        }
    }
    return 0;
}

/* Builds the graph from an unpacked model. */
static int build_graph(struct loader *ld, const Onnx__ModelProto *m,
                       const struct load_options *opts)
{
    struct graph *g = ld->g;
    struct arena *ar = &g->arena;
    const Onnx__GraphProto *gp = m->graph;
    int rc;

    if (gp == NULL)
        return errbuf_set(ld->eb, ST_EPARSE, "%s: the model has no graph", ld->file);
    g->format = GRAPH_FORMAT_ONNX;
    g->ir_version = m->ir_version;
    g->producer = arena_printf(ar, "%s%s%s", str_or_empty(m->producer_name),
                               m->producer_version && m->producer_version[0] ? " " : "",
                               str_or_empty(m->producer_version));
    struct opset *ops = arena_array(ar, m->n_opset_import + 1, sizeof *ops);
    if (g->producer == NULL || ops == NULL)
        return oom(ld);
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *d = str_or_empty(m->opset_import[i]->domain);
        ops[i].domain = arena_strdup(ar, strcmp(d, "ai.onnx") == 0 ? "" : d);
        ops[i].version = m->opset_import[i]->version;
        if (ops[i].domain == NULL)
            return oom(ld);
    }
    g->opsets = ops;
    g->n_opsets = m->n_opset_import;

    if (ld->spans != NULL && ld->n_spans != gp->n_initializer)
        return errbuf_set(ld->eb, ST_EINTERNAL, "%s: found %zu initializers, protobuf-c %zu",
                          ld->file, ld->n_spans, gp->n_initializer);
    bool use_spans = ld->spans != NULL;
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        const char *name = str_or_empty(tp->name);
        if (name[0] == '\0')
            return errbuf_set(ld->eb, ST_EPARSE, "%s: initializer %zu has no name", ld->file, i);
        int ti = graph_tensor(g, name, ld->eb);
        if (ti < 0)
            return ti;
        if (g->tensors[ti].flags & TENSOR_CONST)
            return errbuf_set(ld->eb, ST_EPARSE, "%s: initializer '%s' is defined twice",
                              ld->file, name);
        rc = fill_const(ld, ti, tp, use_spans ? &ld->spans[i] : NULL);
        if (rc != 0)
            return rc;
    }

    int *list = arena_array(ar, gp->n_input + gp->n_output + 1, sizeof *list);
    if (list == NULL)
        return oom(ld);
    size_t n_in = 0;
    for (size_t i = 0; i < gp->n_input; i++) {
        const char *name = str_or_empty(gp->input[i]->name);
        int ti = graph_tensor(g, name, ld->eb);
        if (ti < 0)
            return ti;
        /* Before IR 4, initializers were listed as inputs too: they are not user inputs. */
        if (g->tensors[ti].flags & TENSOR_CONST)
            continue;
        if (g->tensors[ti].flags & TENSOR_INPUT)
            return errbuf_set(ld->eb, ST_EPARSE, "%s: input '%s' is listed twice", ld->file,
                              name);
        g->tensors[ti].flags |= TENSOR_INPUT;
        if ((rc = fill_value_info(ld, ti, gp->input[i])) != 0)
            return rc;
        list[n_in++] = ti;
    }
    g->inputs = list;
    g->n_inputs = n_in;
    int *olist = list + n_in;
    for (size_t i = 0; i < gp->n_output; i++) {
        int ti = graph_tensor(g, str_or_empty(gp->output[i]->name), ld->eb);
        if (ti < 0)
            return ti;
        g->tensors[ti].flags |= TENSOR_OUTPUT;
        if ((rc = fill_value_info(ld, ti, gp->output[i])) != 0)
            return rc;
        olist[i] = ti;
    }
    g->outputs = olist;
    g->n_outputs = gp->n_output;

    for (size_t i = 0; i < gp->n_node; i++)
        if ((rc = load_node(ld, gp->node[i], i)) != 0)
            return rc;
    for (size_t i = 0; i < gp->n_value_info; i++) {
        int ti = graph_tensor(g, str_or_empty(gp->value_info[i]->name), ld->eb);
        if (ti < 0)
            return ti;
        if ((rc = fill_value_info(ld, ti, gp->value_info[i])) != 0)
            return rc;
    }
    if ((rc = apply_overrides(ld, opts)) != 0)
        return rc;
    if ((rc = graph_finish(g, ld->eb)) != 0)
        return rc;
    return onnx_shape_infer(g, ld->eb);
}

/* Loads from g->file (already filled), g->path set. */
static int load_mapped(struct graph *g, const char *dir, const struct load_options *opts,
                       struct errbuf *eb)
{
    struct scratch s;
    struct loader ld = {.g = g, .file = g->path, .dir = dir, .eb = eb};
    size_t bad_off = 0;
    uint32_t bad_field = 0;
    int rc;

    scratch_init(&s);
    rc = scan_raw_spans(g->file.data, g->file.bytes, &ld.spans, &ld.n_spans);
    if (rc != 0) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    if (g->file.bytes == 0) {
        rc = errbuf_set(eb, ST_EPARSE, "%s: empty file, expected an ONNX model", g->path);
        goto out;
    }
    const uint8_t *pb = g->file.data;
    size_t pb_len = g->file.bytes;
    if (ld.spans != NULL && (pb = strip_model(g->file.data, g->file.bytes, &s.arena, &pb_len)) ==
                                NULL) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    Onnx__ModelProto *m = onnx__model_proto__unpack(&s.alloc, pb_len, pb);
    if (m == NULL) {
        if (s.failed)
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        else if (wire_bad_offset(g->file.data, g->file.bytes, &bad_off, &bad_field))
            rc = errbuf_set(eb, ST_EPARSE,
                            "%s: offset %zu: bad protobuf field %u (bad tag, or its length runs "
                            "past the end: truncated or corrupted ONNX model)",
                            g->path, bad_off, bad_field);
        else
            rc = errbuf_set(eb, ST_EPARSE,
                            "%s: not a valid ONNX model (protobuf ModelProto does not parse: "
                            "truncated or corrupted)",
                            g->path);
        goto out;
    }
    rc = build_graph(&ld, m, opts);
out:
    mem_free(ld.spans);
    arena_release(&s.arena);
    return rc;
}

int onnx_load(struct graph *g, const char *path, const struct load_options *opts,
              struct errbuf *eb)
{
    int rc;
    char *dir = NULL;

    g->path = arena_strdup(&g->arena, path);
    if (g->path == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    rc = filebuf_open(&g->file, path, eb);
    if (rc != 0)
        return rc;
    dir = fileio_dirname(path);
    if (dir == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    rc = load_mapped(g, dir, opts, eb);
    mem_free(dir);
    return rc;
}

int onnx_load_buffer(struct graph *g, const char *name, const void *data, size_t bytes,
                     const struct load_options *opts, struct errbuf *eb)
{
    g->path = arena_strdup(&g->arena, name);
    uint8_t *copy = mem_alloc(bytes ? bytes : 1);
    if (g->path == NULL || copy == NULL) {
        mem_free(copy);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    if (bytes > 0)
        memcpy(copy, data, bytes);
    filebuf_release(&g->file);
    filebuf_adopt(&g->file, copy, bytes);
    return load_mapped(g, NULL, opts, eb);
}

int onnx_read_tensor_pb(const char *path, struct tensor_value *out, struct errbuf *eb)
{
    struct filebuf fb;
    struct scratch s;
    int rc = filebuf_open(&fb, path, eb);
    if (rc != 0)
        return rc;
    scratch_init(&s);
    void *buf = NULL;
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(&s.alloc, fb.bytes, fb.data);
    if (tp == NULL) {
        rc = s.failed ? errbuf_set(eb, ST_ENOMEM, "out of memory")
                      : errbuf_set(eb, ST_EPARSE,
                                   "%s: not a valid ONNX TensorProto (truncated or corrupted)",
                                   path);
        goto out;
    }
    enum dtype dt = dtype_from_onnx(tp->data_type);
    const char *name = tp->name != NULL && tp->name[0] ? tp->name : "(unnamed)";
    size_t elems, bytes;
    rc = check_dims(path, "tensor", name, tp->n_dims, tp->dims, &elems, eb);
    if (rc != 0)
        goto out;
    if (dt == DTYPE_UNKNOWN || dt == DTYPE_STRING) {
        rc = errbuf_set(eb, ST_EUNSUPPORTED, "%s: tensor '%s': data type %d is not supported",
                        path, name, (int)tp->data_type);
        goto out;
    }
    if (!size_mul(elems, dtype_bytes(dt), &bytes)) {
        rc = errbuf_set(eb, ST_EPARSE, "%s: tensor '%s': byte size overflows", path, name);
        goto out;
    }
    if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        rc = errbuf_set(eb, ST_EUNSUPPORTED, "%s: tensor '%s': external data is not supported "
                        "in .pb inputs", path, name);
        goto out;
    }
    /* the data present must match the shape before a shape-sized buffer is allocated */
    if (tp->has_raw_data && tp->raw_data.len != bytes) {
        rc = errbuf_set(eb, ST_EPARSE,
                        "%s: tensor '%s': raw_data has %zu bytes, its shape and type need %zu",
                        path, name, tp->raw_data.len, bytes);
        goto out;
    }
    if (!tp->has_raw_data && (rc = check_typed(path, name, tp, dt, elems, eb)) != 0)
        goto out;
    buf = mem_alloc(bytes ? bytes : 1);
    if (buf == NULL) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    if (tp->has_raw_data) {
        if (bytes > 0)
            memcpy(buf, tp->raw_data.data, bytes);
    } else {
        copy_typed(tp, dt, elems, buf);
    }
    out->dtype = dt;
    out->rank = (int)tp->n_dims;
    for (size_t d = 0; d < tp->n_dims; d++)
        out->dims[d] = tp->dims[d];
    out->data = buf;
    out->bytes = bytes;
    buf = NULL;
out:
    mem_free(buf);
    arena_release(&s.arena);
    filebuf_release(&fb);
    return rc;
}
