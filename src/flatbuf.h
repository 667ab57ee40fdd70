/*
 * flatbuf: a small verifying FlatBuffers reader (no generated code, no third-party library).
 * Every read checks what it touches against the buffer first: the root offset, each table's
 * vtable (inside the file, 2-aligned, even size >= 4, field offsets within the table), each
 * offset to a sub-table, string or vector, and each vector's length. A failure is ST_EPARSE
 * with "PATH: offset N: what" naming the byte offset. Nesting is limited to FLATBUF_MAX_DEPTH.
 *
 * Lifetime: a struct flatbuf borrows the bytes; tables, vectors and strings read through it
 * are positions in (or pointers into) those bytes, valid while the bytes are.
 */
#ifndef MLFSCOPE_FLATBUF_H
#define MLFSCOPE_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"

#define FLATBUF_MAX_DEPTH 64

struct flatbuf {
    const uint8_t *data;    /* the whole buffer, borrowed */
    size_t bytes;
    const char *path;       /* named in every message */
};

/* A verified table: its position and its vtable's. */
struct flatbuf_table {
    size_t pos;             /* file offset of the table (where its soffset to the vtable is) */
    size_t vtable;          /* file offset of its vtable */
    unsigned vt_bytes;      /* vtable size in bytes (4 + 2 * number of field slots) */
    unsigned tbl_bytes;     /* inline size of the table in bytes, from the vtable */
    int depth;              /* 0 for the root table */
};

/* A verified vector: all len * elem_bytes bytes lie inside the buffer. */
struct flatbuf_vec {
    size_t pos;             /* file offset of element 0 */
    size_t len;             /* element count */
    size_t elem_bytes;      /* 1, 2, 4 or 8; 4 for vectors of tables or strings (offsets) */
    int depth;              /* depth of the table holding the vector */
};

/* Points fb at data (borrowed). Nothing is checked until the first read. */
void flatbuf_init(struct flatbuf *fb, const uint8_t *data, size_t bytes, const char *path);

/* True when the buffer is at least 8 bytes and bytes 4..7 equal the 4 characters of id. */
bool flatbuf_has_identifier(const struct flatbuf *fb, const char *id);

/* Verifies and returns the root table (offset at byte 0). */
int flatbuf_root(const struct flatbuf *fb, struct flatbuf_table *out, struct errbuf *eb);

/* True when the table's vtable has a non-zero slot for field `id` (schema field index). */
bool flatbuf_has_field(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id);

/*
 * Scalar fields by schema field index. An absent field gives dflt. A present one must lie
 * within the table and be aligned to its size. *out is written on success only.
 */
int flatbuf_get_u8(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                   uint8_t dflt, uint8_t *out, struct errbuf *eb);
int flatbuf_get_i8(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                   int8_t dflt, int8_t *out, struct errbuf *eb);
int flatbuf_get_bool(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                     bool dflt, bool *out, struct errbuf *eb);
int flatbuf_get_i32(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                    int32_t dflt, int32_t *out, struct errbuf *eb);
int flatbuf_get_u32(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                    uint32_t dflt, uint32_t *out, struct errbuf *eb);
int flatbuf_get_u64(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                    uint64_t dflt, uint64_t *out, struct errbuf *eb);
int flatbuf_get_f32(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                    float dflt, float *out, struct errbuf *eb);

/*
 * A sub-table field. *present tells whether the field is set; *out is written only when it
 * is. Fails when the offset or the sub-table is bad, or nesting exceeds FLATBUF_MAX_DEPTH.
 */
int flatbuf_get_table(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                      struct flatbuf_table *out, bool *present, struct errbuf *eb);

/*
 * A string field: *s points into the buffer (NUL-terminated; the terminator is checked) and
 * *len excludes the NUL. An absent field gives *s = NULL, *len = 0.
 */
int flatbuf_get_string(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                       const char **s, size_t *len, struct errbuf *eb);

/*
 * A vector field with elements of elem_bytes each (4 for tables and strings). An absent
 * field gives an empty vector. The length is checked against the bytes that remain.
 */
int flatbuf_get_vector(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                       size_t elem_bytes, struct flatbuf_vec *out, struct errbuf *eb);

/*
 * A union: the type byte is field `id`, the value (a table) field `id + 1`, as flatc lays
 * them out. *type = 0 (NONE) leaves *out unwritten. A type without a value is an error.
 */
int flatbuf_get_union(const struct flatbuf *fb, const struct flatbuf_table *t, unsigned id,
                      uint8_t *type, struct flatbuf_table *out, struct errbuf *eb);

/* Elements of a verified vector (i < v->len, elem_bytes matching; the caller guarantees). */
uint8_t flatbuf_vec_u8(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i);
int32_t flatbuf_vec_i32(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i);
int64_t flatbuf_vec_i64(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i);
float flatbuf_vec_f32(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i);

/* Element i of a vector of tables, verified like flatbuf_get_table. */
int flatbuf_vec_table(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i,
                      struct flatbuf_table *out, struct errbuf *eb);

/* Element i of a vector of strings, verified like flatbuf_get_string. */
int flatbuf_vec_string(const struct flatbuf *fb, const struct flatbuf_vec *v, size_t i,
                       const char **s, size_t *len, struct errbuf *eb);

#endif
