/*
 * parameters/NAME.params: TVM's NDArray container (SaveParams). Layout, little-endian:
 * u64 magic 0xF7E58D4F05049CB7, u64 reserved, u64 n_names, n_names x (u64 len, bytes),
 * u64 n_arrays, n_arrays x NDArray (u64 magic 0xDD5E40F096B4A13F, u64 reserved,
 * i32 device_type, i32 device_id, i32 ndim, u8 code, u8 bits, u16 lanes, i64 shape[ndim],
 * i64 data_bytes, data). Every length is checked against what remains.
 */
#include "mlf_int.h"

#include <string.h>

#include "mem.h"
#include "banned.h"

#define PARAMS_MAGIC 0xF7E58D4F05049CB7ULL
#define NDARRAY_MAGIC 0xDD5E40F096B4A13FULL

struct rd {
    const uint8_t *p, *end, *base;
    const char *name;
    struct errbuf *eb;
};

static int need(struct rd *r, size_t n, const char *what)
{
    if (n > (size_t)(r->end - r->p))
        return errbuf_set(r->eb, ST_EPARSE,
                          "%s: offset %zu: truncated: %s needs %zu bytes, %zu left", r->name,
                          (size_t)(r->p - r->base), what, n, (size_t)(r->end - r->p));
    return 0;
}

static int u64(struct rd *r, uint64_t *v, const char *what)
{
    int rc = need(r, 8, what);
    if (rc)
        return rc;
    *v = 0;
    for (int i = 7; i >= 0; i--)
        *v = (*v << 8) | r->p[i];
    r->p += 8;
    return 0;
}

static int u32(struct rd *r, uint32_t *v, const char *what)
{
    int rc = need(r, 4, what);
    if (rc)
        return rc;
    *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
         (uint32_t)r->p[3] << 24;
    r->p += 4;
    return 0;
}

static enum mlf_dtype dl_dtype(uint8_t code, uint8_t bits, uint16_t lanes)
{
    if (lanes != 1)
        return MLF_DT_UNKNOWN;
    if (code == 0)
        return bits == 8    ? MLF_DT_S8
               : bits == 16 ? MLF_DT_S16
               : bits == 32 ? MLF_DT_S32
               : bits == 64 ? MLF_DT_S64
                            : MLF_DT_UNKNOWN;
    if (code == 1)
        return bits == 8    ? MLF_DT_U8
               : bits == 16 ? MLF_DT_U16
               : bits == 32 ? MLF_DT_U32
               : bits == 64 ? MLF_DT_U64
                            : MLF_DT_UNKNOWN;
    if (code == 2)
        return bits == 32 ? MLF_DT_F32 : bits == 64 ? MLF_DT_F64 : MLF_DT_UNKNOWN;
    return MLF_DT_UNKNOWN;
}

int mlf_parse_params(struct mlf *m, const char *name, const uint8_t *data, size_t len,
                     struct errbuf *eb)
{
    struct rd r = {data, data + len, data, name, eb};
    uint64_t magic, reserved, n_names, n_arrays;
    int rc;

    if ((rc = mlf_priv_get(m, eb)) != 0)
        return rc;
    if ((rc = u64(&r, &magic, "the magic number")) != 0)
        return rc;
    if (magic != PARAMS_MAGIC)
        return errbuf_set(eb, ST_EPARSE,
                          "%s: offset 0: bad magic 0x%016llx, expected 0xF7E58D4F05049CB7", name,
                          (unsigned long long)magic);
    if ((rc = u64(&r, &reserved, "the reserved word")) != 0 ||
        (rc = u64(&r, &n_names, "the name count")) != 0)
        return rc;
    /* each name takes at least 8 bytes */
    if (n_names > (uint64_t)(r.end - r.p) / 8)
        return errbuf_set(eb, ST_EPARSE, "%s: offset 16: %llu names cannot fit in %zu bytes", name,
                          (unsigned long long)n_names, (size_t)(r.end - r.p));
    const char **names = n_names ? arena_array(&m->arena, (size_t)n_names, sizeof *names) : NULL;
    if (n_names && names == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (uint64_t i = 0; i < n_names; i++) {
        uint64_t l;
        if ((rc = u64(&r, &l, "a name length")) != 0)
            return rc;
        if (l > (uint64_t)(r.end - r.p))
            return errbuf_set(eb, ST_EPARSE,
                              "%s: offset %zu: name %llu: length %llu exceeds the "
                              "%zu bytes left",
                              name, (size_t)(r.p - data) - 8, (unsigned long long)i,
                              (unsigned long long)l, (size_t)(r.end - r.p));
        names[i] = arena_strndup(&m->arena, (const char *)r.p, (size_t)l);
        if (names[i] == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        r.p += l;
    }
    if ((rc = u64(&r, &n_arrays, "the array count")) != 0)
        return rc;
    if (n_arrays != n_names)
        return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: %llu arrays for %llu names", name,
                          (size_t)(r.p - data) - 8, (unsigned long long)n_arrays,
                          (unsigned long long)n_names);
    for (uint64_t i = 0; i < n_arrays; i++) {
        size_t at = (size_t)(r.p - data);
        uint64_t am, ares, nbytes;
        uint32_t dev_type, dev_id, ndim, dt;
        if ((rc = u64(&r, &am, "an array header")) != 0)
            return rc;
        if (am != NDARRAY_MAGIC)
            return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: array %llu: bad magic 0x%016llx",
                              name, at, (unsigned long long)i, (unsigned long long)am);
        if ((rc = u64(&r, &ares, "an array header")) != 0 ||
            (rc = u32(&r, &dev_type, "an array header")) != 0 ||
            (rc = u32(&r, &dev_id, "an array header")) != 0 ||
            (rc = u32(&r, &ndim, "an array header")) != 0 ||
            (rc = u32(&r, &dt, "an array header")) != 0)
            return rc;
        if (ndim > 8)
            return errbuf_set(eb, ST_EPARSE,
                              "%s: offset %zu: array %llu: %u dimensions (at most 8)", name, at,
                              (unsigned long long)i, ndim);
        struct mlf_ndarray a = {0};
        a.name = names[i];
        a.type_code = (uint8_t)(dt & 0xff);
        a.bits = (uint8_t)((dt >> 8) & 0xff);
        a.lanes = (uint16_t)(dt >> 16);
        a.dtype = dl_dtype(a.type_code, a.bits, a.lanes);
        a.ndim = (int)ndim;
        size_t elems = 1;
        for (uint32_t d = 0; d < ndim; d++) {
            uint64_t v;
            if ((rc = u64(&r, &v, "a shape")) != 0)
                return rc;
            if ((int64_t)v < 0 || v > ((uint64_t)1 << 40) || !size_mul(elems, (size_t)v, &elems))
                return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: array %llu: bad dimension %lld",
                                  name, at, (unsigned long long)i, (long long)v);
            a.shape[d] = (int64_t)v;
        }
        if ((rc = u64(&r, &nbytes, "a data size")) != 0)
            return rc;
        if (nbytes > (uint64_t)(r.end - r.p))
            return errbuf_set(eb, ST_EPARSE, "%s: offset %zu: array %s: %llu data bytes, %zu left",
                              name, (size_t)(r.p - data) - 8, a.name, (unsigned long long)nbytes,
                              (size_t)(r.end - r.p));
        size_t want;
        size_t lane_bytes = ((size_t)a.bits * a.lanes + 7) / 8;
        if (!size_mul(elems, lane_bytes, &want) || want != nbytes)
            return errbuf_set(eb, ST_EPARSE,
                              "%s: offset %zu: array %s: %llu data bytes, shape and "
                              "dtype need %zu",
                              name, (size_t)(r.p - data) - 8, a.name, (unsigned long long)nbytes,
                              want);
        a.data = r.p;
        a.bytes = (size_t)nbytes;
        r.p += nbytes;
        struct mlf_ndarray *d =
            mlf_grow(m, (void **)&m->params, &m->n_params, &m->priv->cap_params, sizeof *d, eb);
        if (d == NULL)
            return ST_ENOMEM;
        *d = a;
    }
    return 0;
}
