/*
 * flatbuf: verified FlatBuffers reading (see flatbuf.h). Offsets follow the FlatBuffers
 * binary format: a uoffset (u32) is relative to where it is stored and points forward, a
 * table starts with an soffset (i32) back to its vtable, and a vtable is u16 values (its
 * size, the table's size, then one slot per field). All values are little-endian.
 */
#include "flatbuf.h"

#include <string.h>

#include "mem.h"
#include "banned.h"

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

void flatbuf_init(struct flatbuf *fb, const uint8_t *data, size_t bytes, const char *path)
{
    fb->data = data;
    fb->bytes = bytes;
    fb->path = path;
}

bool flatbuf_has_identifier(const struct flatbuf *fb, const char *id)
{
    return fb->bytes >= 8 && memcmp(fb->data + 4, id, 4) == 0;
}

/* True when [pos, pos + n) lies inside the buffer. */
static bool in_bounds(const struct flatbuf *fb, size_t pos, size_t n)
{
    return pos <= fb->bytes && n <= fb->bytes - pos;
}

/* Verifies the table whose soffset is at pos. */
static int table_at(const struct flatbuf *fb, size_t pos, int depth, struct flatbuf_table *out,
                    struct errbuf *eb)
{
    const char *path = fb->path;

    if (depth > FLATBUF_MAX_DEPTH)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: tables nested deeper than %d", path,
                          pos, FLATBUF_MAX_DEPTH);
    if (pos % 4 != 0)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: table is not 4-byte aligned", path,
                          pos);
    if (!in_bounds(fb, pos, 4))
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: table lies outside the file (%zu bytes)",
                          path, pos, fb->bytes);
    int32_t soff = (int32_t)rd32(fb->data + pos);
    /* The vtable is at pos - soff; compute in 64 bits so that no value can wrap. */
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || (uint64_t)vt > (uint64_t)fb->bytes || !in_bounds(fb, (size_t)vt, 4))
        return errbuf_set(eb, ST_EPARSE,
                          "%s: offset %zu: vtable of the table points outside the file "
                          "(to %lld, file is %zu bytes)",
                          path, pos, (long long)vt, fb->bytes);
    size_t vtp = (size_t)vt;
    if (vtp % 2 != 0)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: vtable at %zu is not 2-byte aligned",
                          path, pos, vtp);
    unsigned vt_bytes = rd16(fb->data + vtp), tbl_bytes = rd16(fb->data + vtp + 2);
    if (vt_bytes < 4 || vt_bytes % 2 != 0 || !in_bounds(fb, vtp, vt_bytes))
        return errbuf_set(eb, ST_EPARSE,
                          "%s: offset %zu: vtable size %u is invalid or runs past the end", path,
                          vtp, vt_bytes);
    if (tbl_bytes < 4 || !in_bounds(fb, pos, tbl_bytes))
        return errbuf_set(eb, ST_EPARSE,
                          "%s: offset %zu: table size %u runs past the end of the file", path,
                          pos, tbl_bytes);
    out->pos = pos;
    out->vtable = vtp;
    out->vt_bytes = vt_bytes;
    out->tbl_bytes = tbl_bytes;
    out->depth = depth;
    return 0;
}

int flatbuf_root(const struct flatbuf *fb, struct flatbuf_table *out, struct errbuf *eb)
{
    if (fb->bytes < 8)
        return errbuf_set(eb, ST_EPARSE, "%s: offset 0: file is %zu bytes, too short for a "
                          "flatbuffer", fb->path, fb->bytes);
    uint32_t root = rd32(fb->data);
    if (root < 8 || root >= fb->bytes)
        return errbuf_set(eb, ST_EPARSE, "%s: offset 0: root table offset %u lies outside the "
                          "file (%zu bytes)", fb->path, root, fb->bytes);
    return table_at(fb, root, 0, out, eb);
}

/* The vtable slot of field id: 0 when absent. */
static unsigned slot(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id)
{
    size_t at = 4 + 2 * (size_t)id;
    if (id > 0x7ffe || at + 2 > t->vt_bytes)
        return 0;
    return rd16(fb->data + t->vtable + at);
}

bool flatbuf_has_field(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id)
{
    return slot(fb, t, id) != 0;
}

/*
 * Where field id's inline value (size bytes) is: *pos = 0 when absent. A present field must
 * fit inside the table and be aligned to its size, as the FlatBuffers verifier requires.
 */
static int field_pos(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                     size_t size, size_t *pos, struct errbuf *eb)
{
    unsigned off = slot(fb, t, id);
    *pos = 0;
    if (off == 0)
        return 0;
    if (off < 4 || off + size > t->tbl_bytes)
        return errbuf_set(eb, ST_EPARSE,
                          "%s: offset %zu: field %u at +%u lies outside its table (%u bytes)",
                          fb->path, t->pos, id, off, t->tbl_bytes);
    size_t p = t->pos + off;
    if (p % size != 0)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: field %u is not %zu-byte aligned",
                          fb->path, p, id, size);
    *pos = p;
    return 0;
}

#define FLATBUF_GET(fn, type, size, expr)                                                      \
    int fn(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id, type dflt,     \
           type *out, struct errbuf *eb)                                                       \
    {                                                                                          \
        size_t p;                                                                              \
        int rc = field_pos(fb, t, id, size, &p, eb);                                           \
        if (rc != 0)                                                                           \
            return rc;                                                                         \
        if (p == 0) {                                                                          \
            *out = dflt;                                                                       \
        } else {                                                                               \
            const uint8_t *q = fb->data + p;                                                   \
            *out = (expr);                                                                     \
        }                                                                                      \
        return 0;                                                                              \
    }

FLATBUF_GET(flatbuf_get_u8, uint8_t, 1, q[0])
FLATBUF_GET(flatbuf_get_i8, int8_t, 1, (int8_t)q[0])
FLATBUF_GET(flatbuf_get_bool, bool, 1, q[0] != 0)
FLATBUF_GET(flatbuf_get_i32, int32_t, 4, (int32_t)rd32(q))
FLATBUF_GET(flatbuf_get_u32, uint32_t, 4, rd32(q))
FLATBUF_GET(flatbuf_get_u64, uint64_t, 8, rd64(q))

int flatbuf_get_f32(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                    float dflt, float *out, struct errbuf *eb)
{
    uint32_t bits;
    size_t p;
    int rc = field_pos(fb, t, id, 4, &p, eb);
    if (rc != 0)
        return rc;
    if (p == 0) {
        *out = dflt;
        return 0;
    }
    bits = rd32(fb->data + p);
    memcpy(out, &bits, sizeof bits);
    return 0;
}

/* Follows the uoffset stored at p; *target is where it points (inside the file). */
static int follow(const struct flatbuf *fb, size_t p, size_t *target, struct errbuf *eb)
{
    uint32_t uo = rd32(fb->data + p);
    if (uo == 0 || uo >= fb->bytes - p)
        return errbuf_set(eb, ST_EPARSE,
                          "%s: offset %zu: offset %u points outside the file (%zu bytes)",
                          fb->path, p, uo, fb->bytes);
    *target = p + uo;
    return 0;
}

/* Where the uoffset field id is stored, and where it points; *present false when absent. */
static int offset_field(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                        size_t *target, bool *present, struct errbuf *eb)
{
    size_t p;
    int rc = field_pos(fb, t, id, 4, &p, eb);
    *present = false;
    if (rc != 0 || p == 0)
        return rc;
    rc = follow(fb, p, target, eb);
    if (rc == 0)
        *present = true;
    return rc;
}

int flatbuf_get_table(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                      struct flatbuf_table *out, bool *present, struct errbuf *eb)
{
    size_t target = 0;
    bool here;
    int rc = offset_field(fb, t, id, &target, &here, eb);
    if (rc == 0 && here)
        rc = table_at(fb, target, t->depth + 1, out, eb);
    if (rc == 0)
        *present = here;
    return rc;
}

/* Verifies a vector (or string, extra = 1 for its NUL) starting at its length word. */
static int vector_at(const struct flatbuf *fb, size_t at, size_t elem_bytes, size_t extra,
                     int depth, struct flatbuf_vec *out, struct errbuf *eb)
{
    size_t bytes;
    if (at % 4 != 0)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: vector is not 4-byte aligned",
                          fb->path, at);
    if (!in_bounds(fb, at, 4))
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: vector length lies outside the file",
                          fb->path, at);
    size_t len = rd32(fb->data + at);
    if (!size_mul(len, elem_bytes, &bytes) || !size_add(bytes, extra, &bytes) ||
        !in_bounds(fb, at + 4, bytes))
        return errbuf_set(eb, ST_EPARSE,
                          "%s: offset %zu: vector of %zu elements (%zu bytes each) runs past "
                          "the end of the file (%zu bytes)",
                          fb->path, at, len, elem_bytes, fb->bytes);
    out->pos = at + 4;
    out->len = len;
    out->elem_bytes = elem_bytes;
    out->depth = depth;
    return 0;
}

static int string_at(const struct flatbuf *fb, size_t at, const char **s, size_t *len,
                     struct errbuf *eb)
{
    struct flatbuf_vec v;
    int rc = vector_at(fb, at, 1, 1, 0, &v, eb);
    if (rc != 0)
        return rc;
    if (fb->data[v.pos + v.len] != 0)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: string is not NUL-terminated",
                          fb->path, v.pos + v.len);
    *s = (const char *)fb->data + v.pos;
    *len = v.len;
    return 0;
}

int flatbuf_get_string(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                       const char **s, size_t *len, struct errbuf *eb)
{
    size_t target = 0;
    bool here;
    int rc = offset_field(fb, t, id, &target, &here, eb);
    if (rc != 0)
        return rc;
    if (!here) {
        *s = NULL;
        *len = 0;
        return 0;
    }
    return string_at(fb, target, s, len, eb);
}

int flatbuf_get_vector(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                       size_t elem_bytes, struct flatbuf_vec *out, struct errbuf *eb)
{
    size_t target = 0;
    bool here;
    int rc = offset_field(fb, t, id, &target, &here, eb);
    if (rc != 0)
        return rc;
    if (!here) {
        out->pos = 0;
        out->len = 0;
        out->elem_bytes = elem_bytes;
        out->depth = t->depth;
        return 0;
    }
    return vector_at(fb, target, elem_bytes, 0, t->depth, out, eb);
}

int flatbuf_get_union(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                      uint8_t *type, struct flatbuf_table *out, struct errbuf *eb)
{
    uint8_t ty;
    bool here = false;
    int rc = flatbuf_get_u8(fb, t, id, 0, &ty, eb);
    if (rc == 0 && ty != 0) {
        rc = flatbuf_get_table(fb, t, id + 1, out, &here, eb);
        if (rc == 0 && !here)
            rc = errbuf_set(eb, ST_EPARSE, "%s: offset %zu: union field %u has type %u but no "
                            "value", fb->path, t->pos, id, ty);
    }
    if (rc == 0)
        *type = ty;
    return rc;
}

uint8_t flatbuf_vec_u8(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i)
{
    return fb->data[v->pos + i];
}

int32_t flatbuf_vec_i32(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i)
{
    return (int32_t)rd32(fb->data + v->pos + 4 * i);
}

int64_t flatbuf_vec_i64(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i)
{
    return (int64_t)rd64(fb->data + v->pos + 8 * i);
}

float flatbuf_vec_f32(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i)
{
    uint32_t bits = rd32(fb->data + v->pos + 4 * i);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

int flatbuf_vec_table(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i,
                      struct flatbuf_table *out, struct errbuf *eb)
{
    size_t target = 0;
    int rc = follow(fb, v->pos + 4 * i, &target, eb);
    if (rc != 0)
        return rc;
    return table_at(fb, target, v->depth + 1, out, eb);
}

int flatbuf_vec_string(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i,
                       const char **s, size_t *len, struct errbuf *eb)
{
    size_t target = 0;
    int rc = follow(fb, v->pos + 4 * i, &target, eb);
    if (rc != 0)
        return rc;
    return string_at(fb, target, s, len, eb);
}
