/*
 * .npy reader and writer. The header is a Python dict literal; we parse exactly the subset
 * numpy writes (`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`), key order
 * free, and refuse everything else by name rather than guessing.
 */
#include "npy.h"

#include <stdio.h>
#include <string.h>

#include "fileio.h"
#include "mem.h"
#include "banned.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_BYTES 6
/* numpy pads the header so that the data starts on a 64-byte boundary. */
#define NPY_ALIGN 64

struct npy_descr {
    const char *code;   /* kind + item size, after the byte-order character */
    enum dtype dtype;
};

static const struct npy_descr npy_descrs[] = {
    {"f4", DTYPE_F32}, {"f8", DTYPE_F64}, {"f2", DTYPE_F16}, {"i1", DTYPE_S8},
    {"u1", DTYPE_U8},  {"i2", DTYPE_S16}, {"u2", DTYPE_U16}, {"i4", DTYPE_S32},
    {"u4", DTYPE_U32}, {"i8", DTYPE_S64}, {"u8", DTYPE_U64}, {"b1", DTYPE_BOOL},
};

/* Header parsing state: the dict text and where we are in it (for messages). */
struct npy_hdr {
    const char *p, *end;
    size_t base;        /* file offset of the header's first byte */
    const char *name;
    const char *start;
};

static size_t hdr_off(const struct npy_hdr *h)
{
    return h->base + (size_t)(h->p - h->start);
}

static void hdr_ws(struct npy_hdr *h)
{
    while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
        h->p++;
}

static int hdr_expect(struct npy_hdr *h, char c, struct errbuf *eb)
{
    hdr_ws(h);
    if (h->p >= h->end)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: npy header: expected '%c', found "
                          "the end of the header", h->name, hdr_off(h), c);
    if (*h->p != c)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: npy header: expected '%c', found "
                          "byte 0x%02x", h->name, hdr_off(h), c, (unsigned char)*h->p);
    h->p++;
    return 0;
}

/* A quoted Python string without escapes; s and n point into the header. */
static int hdr_string(struct npy_hdr *h, const char **s, size_t *n, struct errbuf *eb)
{
    hdr_ws(h);
    if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: npy header: expected a quoted string",
                          h->name, hdr_off(h));
    char q = *h->p++;
    const char *b = h->p;
    while (h->p < h->end && *h->p != q) {
        if (*h->p == '\\')
            return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: npy header: escapes not supported",
                              h->name, hdr_off(h));
        h->p++;
    }
    if (h->p >= h->end)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: npy header: unterminated string",
                          h->name, hdr_off(h));
    *s = b;
    *n = (size_t)(h->p - b);
    h->p++;
    return 0;
}

static bool hdr_word(struct npy_hdr *h, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(h->end - h->p) < n || memcmp(h->p, w, n) != 0)
        return false;
    h->p += n;
    return true;
}

static int hdr_shape(struct npy_hdr *h, int *rank, int64_t *dims, struct errbuf *eb)
{
    int r = 0;
    int rc = hdr_expect(h, '(', eb);
    if (rc < 0)
        return rc;
    for (;;) {
        hdr_ws(h);
        if (h->p < h->end && *h->p == ')') {
            h->p++;
            break;
        }
        if (h->p >= h->end || *h->p < '0' || *h->p > '9')
            return errbuf_set(eb, ST_EPARSE,
                              "%s: offset %zu: npy header: expected a dimension in 'shape'",
                              h->name, hdr_off(h));
        int64_t d = 0;
        while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
            if (d > (INT64_MAX - 9) / 10)
                return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: npy header: dimension too large",
                                  h->name, hdr_off(h));
            d = d * 10 + (*h->p++ - '0');
        }
        if (h->p < h->end && *h->p == 'L')  /* Python 2 longs */
            h->p++;
        if (r == GRAPH_MAX_RANK)
            return errbuf_set(eb, ST_EUNSUPPORTED,
                              "%s: offset %zu: npy shape has more than %d dims", h->name,
                              hdr_off(h), GRAPH_MAX_RANK);
        dims[r++] = d;
        hdr_ws(h);
        if (h->p < h->end && *h->p == ',') {
            h->p++;
            continue;
        }
        if (h->p < h->end && *h->p == ')') {
            h->p++;
            break;
        }
        return errbuf_set(eb, ST_EPARSE,
                          "%s: offset %zu: npy header: expected ',' or ')' in 'shape'", h->name,
                          hdr_off(h));
    }
    *rank = r;
    return 0;
}

static int parse_descr(struct npy_hdr *h, const char *s, size_t n, enum dtype *dt,
                       struct errbuf *eb)
{
    if (n == 3) {
        for (size_t i = 0; i < sizeof npy_descrs / sizeof npy_descrs[0]; i++) {
            if (memcmp(s + 1, npy_descrs[i].code, 2) != 0)
                continue;
            bool one_byte = dtype_bytes(npy_descrs[i].dtype) == 1;
            if (s[0] == '<' || s[0] == '|' || one_byte) {
                *dt = npy_descrs[i].dtype;
                return 0;
            }
            if (s[0] == '>')
                return errbuf_set(eb, ST_EUNSUPPORTED,
                                  "%s: offset %zu: big-endian npy data ('%.3s') not supported",
                                  h->name, hdr_off(h), s);
        }
    }
    return errbuf_set(eb, ST_EUNSUPPORTED, "%s: offset %zu: npy dtype '%.*s' not supported",
                      h->name, hdr_off(h), (int)(n > 32 ? 32 : n), s);
}

/* Parses the dict into dtype, rank and dims. */
static int parse_header(struct npy_hdr *h, enum dtype *dt, int *rank, int64_t *dims,
                        struct errbuf *eb)
{
    bool have_descr = false, have_order = false, have_shape = false;
    int rc = hdr_expect(h, '{', eb);
    while (rc == 0) {
        const char *key;
        size_t key_len;
        hdr_ws(h);
        if (h->p < h->end && *h->p == '}') {
            h->p++;
            break;
        }
        if ((rc = hdr_string(h, &key, &key_len, eb)) < 0 || (rc = hdr_expect(h, ':', eb)) < 0)
            return rc;
        hdr_ws(h);
        if (key_len == 5 && memcmp(key, "descr", 5) == 0 && !have_descr) {
            const char *s;
            size_t n;
            if (h->p < h->end && *h->p == '[')
                return errbuf_set(eb, ST_EUNSUPPORTED,
                                  "%s: offset %zu: structured npy dtypes not supported", h->name,
                                  hdr_off(h));
            if ((rc = hdr_string(h, &s, &n, eb)) < 0 || (rc = parse_descr(h, s, n, dt, eb)) < 0)
                return rc;
            have_descr = true;
        } else if (key_len == 13 && memcmp(key, "fortran_order", 13) == 0 && !have_order) {
            if (hdr_word(h, "True"))
                return errbuf_set(eb, ST_EUNSUPPORTED,
                                  "%s: npy array is in Fortran order (fortran_order: True); "
                                  "save it with np.ascontiguousarray first",
                                  h->name);
            if (!hdr_word(h, "False"))
                return errbuf_set(eb, ST_EPARSE,
                                  "%s: offset %zu: npy header: expected True or False", h->name,
                                  hdr_off(h));
            have_order = true;
        } else if (key_len == 5 && memcmp(key, "shape", 5) == 0 && !have_shape) {
            if ((rc = hdr_shape(h, rank, dims, eb)) < 0)
                return rc;
            have_shape = true;
        } else {
            return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: npy header: unexpected key '%.*s'",
                              h->name, hdr_off(h), (int)(key_len > 32 ? 32 : key_len), key);
        }
        hdr_ws(h);
        if (h->p < h->end && *h->p == ',')
            h->p++;
        else if (h->p >= h->end || *h->p != '}')
            return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: npy header: expected ',' or '}'",
                              h->name, hdr_off(h));
    }
    if (rc < 0)
        return rc;
    if (!have_descr || !have_order || !have_shape)
        return errbuf_set(eb, ST_EPARSE, "%s: npy header lacks '%s'", h->name,
                          !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    return 0;
}

int npy_read_buffer(const void *buf, size_t bytes, const char *name, struct tensor_value *out,
                    struct errbuf *eb)
{
    const uint8_t *b = buf;
    size_t hlen, pre;
    struct tensor_value v;

    if (name == NULL)
        name = "<npy>";
    if (bytes < NPY_MAGIC_BYTES + 4 || memcmp(b, NPY_MAGIC, NPY_MAGIC_BYTES) != 0)
        return errbuf_set(eb, ST_EPARSE, "%s: not a .npy file (no \\x93NUMPY magic)", name);
    unsigned major = b[6], minor = b[7];
    if (major == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        pre = 10;
    } else if (major == 2 || major == 3) {
        if (bytes < 12)
            return errbuf_set(eb, ST_EPARSE, "%s: truncated .npy preamble", name);
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        pre = 12;
    } else {
        return errbuf_set(eb, ST_EUNSUPPORTED, "%s: .npy format version %u.%u not supported "
                          "(1.0, 2.0 and 3.0 are)", name, major, minor);
    }
    if (hlen > bytes - pre)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: npy header length %zu exceeds the "
                          "%zu bytes that remain", name, pre, hlen, bytes - pre);

    memset(&v, 0, sizeof v);
    struct npy_hdr h = {(const char *)b + pre, (const char *)b + pre + hlen, pre, name,
                        (const char *)b + pre};
    int rc = parse_header(&h, &v.dtype, &v.rank, v.dims, eb);
    if (rc < 0)
        return rc;

    size_t elems = 1, data_bytes;
    for (int i = 0; i < v.rank; i++) {
        if (!size_mul(elems, (size_t)v.dims[i], &elems))
            return errbuf_set(eb, ST_EPARSE, "%s: npy shape overflows", name);
    }
    if (!size_mul(elems, dtype_bytes(v.dtype), &data_bytes))
        return errbuf_set(eb, ST_EPARSE, "%s: npy shape overflows", name);
    size_t off = pre + hlen, left = bytes - off;
    if (data_bytes != left)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: npy data is %zu bytes, the header "
                          "(%s, %zu elements) says %zu", name, off, left, dtype_name(v.dtype),
                          elems, data_bytes);
    v.data = mem_alloc(data_bytes ? data_bytes : 1);
    if (v.data == NULL)
        return errbuf_set(eb, ST_ENOMEM, "%s: out of memory for %zu bytes of npy data", name,
                          data_bytes);
    if (data_bytes > 0)
        memcpy(v.data, b + off, data_bytes);
    v.bytes = data_bytes;
    *out = v;
    return 0;
}

int npy_read_file(const char *path, struct tensor_value *out, struct errbuf *eb)
{
    struct filebuf fb;
    int rc = filebuf_open(&fb, path, eb);
    if (rc < 0)
        return rc;
    rc = npy_read_buffer(fb.data, fb.bytes, path, out, eb);
    filebuf_release(&fb);
    return rc;
}

static const char *descr_of(enum dtype dt)
{
    for (size_t i = 0; i < sizeof npy_descrs / sizeof npy_descrs[0]; i++)
        if (npy_descrs[i].dtype == dt)
            return npy_descrs[i].code;
    return NULL;
}

int npy_write_buffer(const struct tensor_value *v, uint8_t **out, size_t *out_bytes,
                     struct errbuf *eb)
{
    const char *code = descr_of(v->dtype);
    char dict[64 + GRAPH_MAX_RANK * 22];
    size_t n, elems = 1, want, total;

    if (code == NULL)
        return errbuf_set(eb, ST_EUNSUPPORTED, "npy: cannot write dtype %s", dtype_name(v->dtype));
    if (v->rank < 0 || v->rank > GRAPH_MAX_RANK)
        return errbuf_set(eb, ST_EINVAL, "npy: rank %d out of range", v->rank);
    for (int i = 0; i < v->rank; i++)
        if (v->dims[i] < 0 || !size_mul(elems, (size_t)v->dims[i], &elems))
            return errbuf_set(eb, ST_EINVAL, "npy: bad dimension %lld", (long long)v->dims[i]);
    if (!size_mul(elems, dtype_bytes(v->dtype), &want) || want != v->bytes)
        return errbuf_set(eb, ST_EINVAL, "npy: %zu data bytes do not match the shape (%zu)",
                          v->bytes, want);

    n = (size_t)snprintf(dict, sizeof dict, "{'descr': '%c%s', 'fortran_order': False, 'shape': (",
                         dtype_bytes(v->dtype) == 1 ? '|' : '<', code);
    for (int i = 0; i < v->rank; i++)
        n += (size_t)snprintf(dict + n, sizeof dict - n, "%lld%s", (long long)v->dims[i],
                              v->rank == 1 ? "," : i + 1 < v->rank ? ", " : "");
    n += (size_t)snprintf(dict + n, sizeof dict - n, "), }");

    /* Preamble + dict + spaces + '\n' is a multiple of 64 (numpy pads the same way). */
    size_t hlen = (10 + n + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN - 10;
    if (!size_add(10 + hlen, v->bytes, &total))
        return errbuf_set(eb, ST_EINVAL, "npy: tensor too large");
    uint8_t *img = mem_alloc(total);
    if (img == NULL)
        return errbuf_set(eb, ST_ENOMEM, "npy: out of memory for %zu bytes", total);
    memcpy(img, NPY_MAGIC, NPY_MAGIC_BYTES);
    img[6] = 1;
    img[7] = 0;
    img[8] = (uint8_t)(hlen & 0xff);
    img[9] = (uint8_t)(hlen >> 8);
    memcpy(img + 10, dict, n);
    memset(img + 10 + n, ' ', hlen - n - 1);
    img[10 + hlen - 1] = '\n';
    if (v->bytes > 0)
        memcpy(img + 10 + hlen, v->data, v->bytes);
    *out = img;
    *out_bytes = total;
    return 0;
}

int npy_write_file(const char *path, const struct tensor_value *v, struct errbuf *eb)
{
    uint8_t *img;
    size_t n;
    int rc = npy_write_buffer(v, &img, &n, eb);
    if (rc < 0)
        return rc;
    rc = fileio_write(path, img, n, eb);
    mem_free(img);
    return rc;
}
