/*
 * NumPy .npy files (format 1.0, 2.0 and 3.0): the way layer outputs, inputs and reference
 * results travel between mlfscope, Python and the board tooling. Little-endian,
 * C-order arrays of the plain numeric dtypes only; anything else is refused with a message
 * that says what was found. Readers check every size against the bytes that remain.
 */
#ifndef MLFSCOPE_NPY_H
#define MLFSCOPE_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "errbuf.h"
#include "graph.h"

/*
 * Parses a whole .npy image in memory. `name` (the file name, for messages) may be NULL.
 * Accepted descr: '<f4' '<f8' '<f2' '|i1' '|u1' '<i2' '<u2' '<i4' '<u4' '<i8' '<u8' '|b1'
 * ('<' and '|' are both accepted for one-byte types); fortran_order must be False.
 * On success *out holds a heap copy of the data (caller owns out->data, release with
 * mem_free; never NULL, even for zero elements). On failure *out is untouched and eb says
 * where: ST_EPARSE (malformed), ST_EUNSUPPORTED (big-endian, Fortran order, structured or
 * other dtypes, rank > GRAPH_MAX_RANK), ST_ENOMEM.
 */
int npy_read_buffer(const void *buf, size_t bytes, const char *name, struct tensor_value *out,
                    struct errbuf *eb);

/* npy_read_buffer on the contents of `path` (mapped, not copied twice). */
int npy_read_file(const char *path, struct tensor_value *out, struct errbuf *eb);

/*
 * Encodes v as a format 1.0 .npy image (header padded so the data starts at a multiple of
 * 64, as numpy does). *out is a heap buffer the caller releases with mem_free.
 * Fails with ST_EUNSUPPORTED for dtypes .npy cannot express here (string, unknown) and
 * ST_EINVAL when v->bytes does not match dims times the element size.
 */
int npy_write_buffer(const struct tensor_value *v, uint8_t **out, size_t *out_bytes,
                     struct errbuf *eb);

/* npy_write_buffer, then writes the image to `path` (created or truncated). */
int npy_write_file(const char *path, const struct tensor_value *v, struct errbuf *eb);

#endif
