/*
 * Internal to src/instrument*.c: the store-extent analysis of TVM C function bodies.
 */
#ifndef MLFSCOPE_INSTRUMENT_INT_H
#define MLFSCOPE_INSTRUMENT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "errbuf.h"

/*
 * The bytes a function body (`body`, len bytes, between its braces) stores through pointer
 * parameter `param` whose element is `elem_bytes` wide: one past the highest byte any
 * `param[...] =` can reach. 0 and *bytes set when every use of `param` is such a bounded
 * store or load; -1 when some use cannot be bounded; ST_ENOMEM.
 */
int instrument_write_extent(const char *body, size_t len, const char *param, size_t elem_bytes,
                            size_t *bytes);

#endif
