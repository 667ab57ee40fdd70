/*
 * diff: alignment of two traces, reconciliation (dtype, layout, shape), per-layer metrics,
 * verdicts and hints. Values are compared as doubles: every integer type a board prints
 * (int8 .. int32) is exact in a double, so Δ is an exact LSB count for integer tensors.
 */
#include "diff.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "mem.h"
#include "banned.h"

const char *diff_status_name(enum diff_status s)
{
    static const char *const names[] = {
#define DIFF_STATUS_NAME(e, name) name,
        DIFF_STATUS_LIST(DIFF_STATUS_NAME)
#undef DIFF_STATUS_NAME
    };
    _Static_assert(sizeof names / sizeof names[0] == DIFF_STATUS_COUNT, "status names");
    return (unsigned)s < DIFF_STATUS_COUNT ? names[s] : "?";
}

bool diff_status_from_name(const char *name, enum diff_status *out)
{
    for (int s = 0; s < DIFF_STATUS_COUNT; s++)
        if (strcmp(name, diff_status_name((enum diff_status)s)) == 0) {
            *out = (enum diff_status)s;
            return true;
        }
    return false;
}

static const char *const hint_names[] = {
#define DIFF_HINT_NAME(e, name, text) name,
    DIFF_HINT_LIST(DIFF_HINT_NAME)
#undef DIFF_HINT_NAME
};
static const char *const hint_texts[] = {
#define DIFF_HINT_TEXT(e, name, text) text,
    DIFF_HINT_LIST(DIFF_HINT_TEXT)
#undef DIFF_HINT_TEXT
};
_Static_assert(sizeof hint_names / sizeof hint_names[0] == DIFF_HINT_COUNT, "hint names");

const char *diff_hint_name(enum diff_hint h)
{
    return (unsigned)h < DIFF_HINT_COUNT ? hint_names[h] : "?";
}

const char *diff_hint_text(enum diff_hint h)
{
    return (unsigned)h < DIFF_HINT_COUNT ? hint_texts[h] : "?";
}

/* Upper bounds of |Δ| classes; bins mirror them around the "0" bin. */
static const int64_t hist_edges[] = {0, 1, 2, 4, 8, 16, 32, 64, 128};
#define HIST_MID 9
_Static_assert(2 * (sizeof hist_edges / sizeof hist_edges[0]) + 1 == DIFF_HIST_BINS, "bins");

void diff_hist_bounds(int bin, int64_t *lo, int64_t *hi)
{
    /* bin HIST_MID is {0}; bin HIST_MID+k covers (edge[k-1], edge[k]], the last is open */
    int k = bin - HIST_MID;
    int a = k < 0 ? -k : k;
    int64_t l = a == 0 ? 0 : hist_edges[a - 1] + 1;
    int64_t h = a == 0 ? 0 : a < 9 ? hist_edges[a] : INT64_MAX;
    if (k < 0) {
        *lo = h == INT64_MAX ? INT64_MIN : -h;
        *hi = -l;
    } else {
        *lo = l;
        *hi = h;
    }
}

static int hist_bin(double d)
{
    double a = fabs(d);
    int k = 0;
    if (a > 0) {
        k = 9;
        for (int i = 1; i < 9; i++)
            if (a <= (double)hist_edges[i]) {
                k = i;
                break;
            }
    }
    return d < 0 ? HIST_MID - k : HIST_MID + k;
}

void diff_report_init(struct diff_report *rep)
{
    memset(rep, 0, sizeof *rep);
    arena_init(&rep->arena);
    rep->first_diverged = -1;
    rep->reference = rep->board = "";
}

void diff_report_release(struct diff_report *rep)
{
    mem_free(rep->layers);
    arena_release(&rep->arena);
    diff_report_init(rep);
}

bool diff_report_failed(const struct diff_report *rep)
{
    return rep->count[DIFF_DIVERGED] > 0 || rep->count[DIFF_MISSING] > 0;
}

/* --- values ------------------------------------------------------------------------------ */

static bool value_elems(const struct tensor_value *v, size_t *out)
{
    size_t n = 1;
    if (v->rank < 0)
        return false;
    for (int i = 0; i < v->rank; i++)
        if (v->dims[i] < 0 || !size_mul(n, (size_t)v->dims[i], &n))
            return false;
    *out = n;
    return true;
}

static bool dtype_is_int(enum dtype t)
{
    return t == DTYPE_S8 || t == DTYPE_U8 || t == DTYPE_S16 || t == DTYPE_U16 ||
           t == DTYPE_S32 || t == DTYPE_U32 || t == DTYPE_S64 || t == DTYPE_U64 ||
           t == DTYPE_BOOL;
}

static bool dtype_comparable(enum dtype t)
{
    return dtype_is_int(t) || t == DTYPE_F32 || t == DTYPE_F64;
}

static void dtype_range(enum dtype t, double *lo, double *hi)
{
    switch (t) {
    case DTYPE_S8: *lo = -128; *hi = 127; break;
    case DTYPE_U8: *lo = 0; *hi = 255; break;
    case DTYPE_S16: *lo = -32768; *hi = 32767; break;
    case DTYPE_U16: *lo = 0; *hi = 65535; break;
    case DTYPE_S32: *lo = -2147483648.0; *hi = 2147483647.0; break;
    default: *lo = -INFINITY; *hi = INFINITY; break;
    }
}

/* Element i as a double (little-endian host, as every supported build machine is). */
static double value_at(const struct tensor_value *v, size_t i)
{
    const uint8_t *p = v->data;
    switch (v->dtype) {
    case DTYPE_S8: return (double)(int8_t)p[i];
    case DTYPE_U8: case DTYPE_BOOL: return (double)p[i];
    case DTYPE_S16: { int16_t x; memcpy(&x, p + 2 * i, 2); return x; }
    case DTYPE_U16: { uint16_t x; memcpy(&x, p + 2 * i, 2); return x; }
    case DTYPE_S32: { int32_t x; memcpy(&x, p + 4 * i, 4); return x; }
    case DTYPE_U32: { uint32_t x; memcpy(&x, p + 4 * i, 4); return x; }
    case DTYPE_S64: { int64_t x; memcpy(&x, p + 8 * i, 8); return (double)x; }
    case DTYPE_U64: { uint64_t x; memcpy(&x, p + 8 * i, 8); return (double)x; }
    case DTYPE_F32: { float x; memcpy(&x, p + 4 * i, 4); return x; }
    case DTYPE_F64: { double x; memcpy(&x, p + 8 * i, 8); return x; }
    default: return 0;
    }
}

/* Dims without leading 1s (at least one dim stays). */
static int squeeze(const struct tensor_value *v, const int64_t **dims)
{
    int r = v->rank, s = 0;
    while (r - s > 1 && v->dims[s] == 1)
        s++;
    *dims = v->dims + s;
    return r - s;
}

static void shape_str(const struct tensor_value *v, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < v->rank && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%lld", i ? "x" : "", (long long)v->dims[i]);
    if (v->rank == 0)
        snprintf(buf, n, "scalar");
}

/* --- comparison -------------------------------------------------------------------------- */

struct cmp {
    const struct tensor_value *ref, *board;
    const struct tensor *model_t;       /* the model's tensor for this name, or NULL */
    int tolerance;
    size_t n;
    double *r, *b;                      /* [n] reference order (board reconciled) */
    double *b_raw;                      /* [n] board in its own memory order, dtype reconciled */
    bool transposed;                    /* b is a transpose of b_raw */
    double unit;                        /* one LSB in value units: 1 for integers; for float
                                           tensors max|ref|/127, an int8 step over the range */
    int ch_axis;                        /* channel axis in reference dims, -1 unknown */
    char notes[320];
};

static void add_note(char *notes, size_t cap, const char *s)
{
    size_t len = strlen(notes);
    snprintf(notes + len, cap - len, "%s%s", len ? "; " : "", s);
}

/*
 * Reference [.., A, B, C] and a board buffer holding [.., C, A, B] (chfirst) or
 * [.., B, C, A] (!chfirst): the board value at reference position i.
 */
static void permute(const double *src, double *dst, size_t n, int64_t A, int64_t B, int64_t C,
                    bool chfirst)
{
    size_t plane = (size_t)(A * B * C);
    for (size_t o = 0; o + plane <= n; o += plane)
        for (int64_t a = 0; a < A; a++)
            for (int64_t bb = 0; bb < B; bb++)
                for (int64_t c = 0; c < C; c++) {
                    size_t i = o + (size_t)((a * B + bb) * C + c);
                    size_t j = chfirst ? o + (size_t)((c * A + a) * B + bb)
                                       : o + (size_t)((bb * C + c) * A + a);
                    dst[i] = src[j];
                }
}

static double within_share(const double *r, const double *b, size_t n, double tol, double unit)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += fabs(b[i] - r[i]) / unit <= tol;
    return n ? (double)k / (double)n : 1.0;
}

/*
 * Converts both sides to doubles in reference order. Returns 0, 1 when they cannot be
 * compared (hint or note set in *L), or ST_ENOMEM.
 */
static int reconcile(struct cmp *c, struct diff_layer *L)
{
    const struct tensor_value *rv = c->ref, *bv = c->board;
    size_t nr, nb;
    char s1[64], s2[64];
    if (!dtype_comparable(rv->dtype) || !dtype_comparable(bv->dtype)) {
        snprintf(c->notes, sizeof c->notes, "cannot compare %s with %s", dtype_name(rv->dtype),
                 dtype_name(bv->dtype));
        return 1;
    }
    if (!value_elems(rv, &nr) || !value_elems(bv, &nb) ||
        nr * dtype_bytes(rv->dtype) != rv->bytes || nb * dtype_bytes(bv->dtype) != bv->bytes) {
        snprintf(c->notes, sizeof c->notes, "size does not match the shape");
        return 1;
    }
    if (nr != nb) {
        shape_str(rv, s1, sizeof s1);
        shape_str(bv, s2, sizeof s2);
        L->hints |= 1u << DIFF_HINT_SHAPE;
        snprintf(c->notes, sizeof c->notes, "reference %s, board %s", s1, s2);
        return 1;
    }
    c->n = nr;
    size_t bytes;
    if (!size_mul(nr ? nr : 1, sizeof(double), &bytes))
        return ST_ENOMEM;
    c->r = mem_alloc(bytes);
    c->b = mem_alloc(bytes);
    c->b_raw = mem_alloc(bytes);
    if (!c->r || !c->b || !c->b_raw)
        return ST_ENOMEM;
    for (size_t i = 0; i < nr; i++) {
        c->r[i] = value_at(rv, i);
        c->b_raw[i] = value_at(bv, i);
    }

    /* dtype: the uint8 <-> int8 pair is the same quantization with zero points 128 apart */
    const struct quant *q = c->model_t && c->model_t->quant.n == 1 ? &c->model_t->quant : NULL;
    if (rv->dtype == DTYPE_S8 && bv->dtype == DTYPE_U8) {
        for (size_t i = 0; i < nr; i++)
            c->b_raw[i] -= 128;
        add_note(c->notes, sizeof c->notes, "board uint8 taken as int8 (zero point -128)");
    } else if (rv->dtype == DTYPE_U8 && bv->dtype == DTYPE_S8) {
        for (size_t i = 0; i < nr; i++)
            c->b_raw[i] += 128;
        add_note(c->notes, sizeof c->notes, "board int8 taken as uint8 (zero point +128)");
    } else if (dtype_is_int(rv->dtype) && !dtype_is_int(bv->dtype) && q && q->scale[0] > 0) {
        double lo, hi;
        dtype_range(rv->dtype, &lo, &hi);
        for (size_t i = 0; i < nr; i++) {
            double x = nearbyint(c->b_raw[i] / q->scale[0]) + q->zero_point[0];
            c->b_raw[i] = x < lo ? lo : x > hi ? hi : x;
        }
        add_note(c->notes, sizeof c->notes, "board float quantized with the model's scale");
    } else if (!dtype_is_int(rv->dtype) && dtype_is_int(bv->dtype) && q && q->scale[0] > 0) {
        double lo, hi;
        dtype_range(bv->dtype, &lo, &hi);
        for (size_t i = 0; i < nr; i++) {
            double x = nearbyint(c->r[i] / q->scale[0]) + q->zero_point[0];
            c->r[i] = x < lo ? lo : x > hi ? hi : x;
        }
        add_note(c->notes, sizeof c->notes, "reference float quantized with the model's scale");
    } else if (dtype_is_int(rv->dtype) != dtype_is_int(bv->dtype)) {
        add_note(c->notes, sizeof c->notes, "float against integers without a scale: raw values");
    }
    c->unit = 1;
    if (!dtype_is_int(rv->dtype) && !dtype_is_int(bv->dtype)) {
        /* float tensors have no LSB of their own: count in int8 steps over the range */
        double m = 0;
        for (size_t i = 0; i < nr; i++)
            m = fabs(c->r[i]) > m ? fabs(c->r[i]) : m;
        c->unit = m > 0 ? m / 127 : 1;
    }

    /* layout: dims that are an NCHW <-> NHWC permutation of each other */
    const int64_t *rd, *bd;
    int rr = squeeze(rv, &rd), br = squeeze(bv, &bd);
    bool same = rr == br && memcmp(rd, bd, (size_t)rr * sizeof *rd) == 0;
    memcpy(c->b, c->b_raw, nr * sizeof(double));
    if (!same && rr == br && rr >= 3 &&
        memcmp(rd, bd, (size_t)(rr - 3) * sizeof *rd) == 0) {
        int64_t A = rd[rr - 3], B = rd[rr - 2], C = rd[rr - 1];
        const int64_t *t = bd + rr - 3;
        if (t[0] == C && t[1] == A && t[2] == B) {
            permute(c->b_raw, c->b, nr, A, B, C, true);
            c->transposed = true;
            shape_str(bv, s2, sizeof s2);
            char buf[128];
            snprintf(buf, sizeof buf, "board %s read as NCHW, compared as NHWC", s2);
            add_note(c->notes, sizeof c->notes, buf);
            same = true;
        } else if (t[0] == B && t[1] == C && t[2] == A) {
            permute(c->b_raw, c->b, nr, A, B, C, false);
            c->transposed = true;
            shape_str(bv, s2, sizeof s2);
            char buf[128];
            snprintf(buf, sizeof buf, "board %s read as NHWC, compared as NCHW", s2);
            add_note(c->notes, sizeof c->notes, buf);
            same = true;
        }
    }
    if (!same) {
        shape_str(rv, s1, sizeof s1);
        shape_str(bv, s2, sizeof s2);
        char buf[256];
        snprintf(buf, sizeof buf, "shapes %s and %s compared in memory order", s1, s2);
        add_note(c->notes, sizeof c->notes, buf);
    }
    return 0;
}

static void cmp_free(struct cmp *c)
{
    mem_free(c->r);
    mem_free(c->b);
    mem_free(c->b_raw);
    c->r = c->b = c->b_raw = NULL;
}

static void metrics(struct cmp *c, struct diff_layer *L)
{
    const double tol = c->tolerance;
    size_t n = c->n, n_eq = 0, n_w1 = 0;
    double sum_abs = 0, max_abs = 0, dot = 0, nr2 = 0, nb2 = 0, noise = 0;
    double scale = 1, zp = 0;
    if (c->model_t && c->model_t->quant.n == 1 && dtype_is_int(c->ref->dtype)) {
        scale = c->model_t->quant.scale[0];
        zp = c->model_t->quant.zero_point[0];
    }
    memset(L->hist, 0, sizeof L->hist);
    L->has_first_diff = false;
    for (size_t i = 0; i < n; i++) {
        double d = (c->b[i] - c->r[i]) / c->unit, a = fabs(d);
        n_eq += a <= tol;
        n_w1 += a <= (tol > 1 ? tol : 1);
        sum_abs += a;
        if (a > max_abs)
            max_abs = a;
        L->hist[hist_bin(d)]++;
        if (a > tol && !L->has_first_diff) {
            L->has_first_diff = true;
            L->first_index = i;
            L->first_ref = c->r[i];
            L->first_board = c->b[i];
        }
        double x = scale * (c->r[i] - zp), y = scale * (c->b[i] - zp);
        dot += x * y;
        nr2 += x * x;
        nb2 += y * y;
        noise += (x - y) * (x - y);
    }
    L->compared = true;
    L->n_elems = n;
    L->exact_pct = n ? 100.0 * (double)n_eq / (double)n : 100.0;
    L->within1_pct = n ? 100.0 * (double)n_w1 / (double)n : 100.0;
    L->max_abs = max_abs;
    L->mean_abs = n ? sum_abs / (double)n : 0;
    L->cosine = nr2 > 0 && nb2 > 0 ? dot / sqrt(nr2 * nb2) : (nr2 == nb2 ? 1.0 : 0.0);
    L->snr_db = noise == 0 ? INFINITY : nr2 == 0 ? NAN : 10 * log10(nr2 / noise);
    if (L->has_first_diff) {
        /* coordinates in the reference shape, row-major */
        const struct tensor_value *rv = c->ref;
        size_t rem = L->first_index;
        L->first_rank = rv->rank;
        for (int k = rv->rank; k-- > 0;) {
            size_t d = rv->dims[k] > 0 ? (size_t)rv->dims[k] : 1;
            L->first_coord[k] = (int64_t)(rem % d);
            rem /= d;
        }
    }
}

/* --- hints ------------------------------------------------------------------------------- */

static bool listed(const char *const *names, size_t n, const char *name, const char *layer)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0 || (layer && strcmp(names[i], layer) == 0))
            return true;
    return false;
}

/* Hazards the caller knows from the MLF (offload), whatever the numbers say. */
static void known_hazards(const struct diff_options *opt, struct diff_layer *L, char *detail,
                          size_t cap)
{
    if (opt && listed(opt->hazards, opt->n_hazards, L->name, L->layer)) {
        L->hints |= 1u << DIFF_HINT_SHIFT;
        add_note(detail, cap, "the MLF has a per-channel shift below -31 here");
    }
    if (opt && listed(opt->overlaps, opt->n_overlaps, L->name, L->layer)) {
        L->hints |= 1u << DIFF_HINT_OVERLAP;
        add_note(detail, cap, "the MLF lets this output overlap a buffer still to be read");
    }
}

/* Searches the other board tensors for the bytes that differ; detail written to buf. */
static bool find_overlap(const struct trace *board, long self, const struct cmp *c,
                         const struct diff_layer *L, char *buf, size_t cap)
{
    const struct tensor_value *bv = c->board;
    size_t es = dtype_bytes(bv->dtype);
    if (c->transposed || !L->has_first_diff || es == 0)
        return false;
    size_t last = L->first_index;
    for (size_t i = c->n; i-- > L->first_index;)
        if (fabs(c->b[i] - c->r[i]) / c->unit > c->tolerance) {
            last = i;
            break;
        }
    const uint8_t *p = (const uint8_t *)bv->data + L->first_index * es;
    size_t region = (last - L->first_index + 1) * es;
    size_t win = region < 16 ? region : 16;
    if (win < 8)
        return false;
    bool constant = true;
    for (size_t k = 1; k < win; k++)
        constant = constant && p[k] == p[0];
    if (constant)
        return false;
    for (size_t j = 0; j < board->n_entries; j++) {
        const struct trace_entry *o = &board->entries[j];
        if ((long)j == self || o->status != TRACE_OK || o->value.bytes < win)
            continue;
        const uint8_t *q = o->value.data;
        for (size_t off = 0; off + win <= o->value.bytes; off++) {
            if (q[off] != p[0] || memcmp(q + off, p, win) != 0)
                continue;
            size_t m = win;
            while (m < region && off + m < o->value.bytes && q[off + m] == p[m])
                m++;
            if (2 * m >= region) {
                snprintf(buf, cap, "from element %zu on, %zu bytes equal '%s' from its byte %zu",
                         L->first_index, m, o->name, off);
                return true;
            }
        }
    }
    return false;
}

static int hints(struct cmp *c, struct diff_layer *L, const struct trace *board, long self,
                 char *detail, size_t cap)
{
    size_t n = c->n;
    double tol = c->tolerance, band = tol > 1 ? tol : 1;
    if (n == 0)
        return 0;
    /* all zeros, by the board's own bytes */
    const uint8_t *bp = c->board->data;
    bool zeros = true, ref_zero = true;
    for (size_t i = 0; i < c->board->bytes && zeros; i++)
        zeros = bp[i] == 0;
    for (size_t i = 0; i < n && ref_zero; i++)
        ref_zero = c->r[i] == 0;
    if (zeros && !ref_zero)
        L->hints |= 1u << DIFF_HINT_ZEROS;
    /* the 8-bit zero-point slip: every value off by 128 modulo 256 */
    if (dtype_bytes(c->ref->dtype) == 1 && dtype_is_int(c->ref->dtype)) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            double d = fmod(c->b_raw[i] - c->r[i], 256.0);
            d = d < 0 ? d + 256 : d;
            k += d >= 127 && d <= 129;
        }
        if (k * 100 >= n * 95)
            L->hints |= 1u << DIFF_HINT_ZP128;
    }
    /* saturation, against the reference's own share of limit values */
    double lo, hi;
    dtype_range(c->ref->dtype, &lo, &hi);
    if (dtype_is_int(c->ref->dtype) && !zeros) {
        size_t sb = 0, sr = 0;
        for (size_t i = 0; i < n; i++) {
            sb += c->b[i] <= lo || c->b[i] >= hi;
            sr += c->r[i] <= lo || c->r[i] >= hi;
        }
        if (2 * sb >= n && sb >= 2 * sr + n / 10)
            L->hints |= 1u << DIFF_HINT_SATURATED;
    }
    /* layout: data in the other order although the header claims the reference's shape */
    const int64_t *rd;
    int rr = squeeze(c->ref, &rd);
    if (!c->transposed && rr >= 3 && L->exact_pct < 90.0) {
        int64_t A = rd[rr - 3], B = rd[rr - 2], C = rd[rr - 1];
        double *tmp = mem_alloc(n * sizeof *tmp);
        if (tmp == NULL)
            return ST_ENOMEM;
        for (int pass = 0; pass < 2; pass++) {
            permute(c->b_raw, tmp, n, A, B, C, pass == 0);
            if (within_share(c->r, tmp, n, band, c->unit) >= 0.99) {
                L->hints |= 1u << DIFF_HINT_LAYOUT;
                char buf[96];
                snprintf(buf, sizeof buf, "the board's data is in %s order",
                         pass == 0 ? "channel-first (NCHW)" : "channel-last (NHWC)");
                add_note(detail, cap, buf);
                break;
            }
        }
        mem_free(tmp);
    }
    /*
     * Errors confined to a few channels, each wrong nearly everywhere: the mark of a
     * per-channel requantization shift gone wrong. Needs several elements per channel.
     */
    if (c->ref->rank >= 2 && c->ch_axis >= 0 && !(L->hints & (1u << DIFF_HINT_LAYOUT))) {
        int64_t C = c->ref->dims[c->ch_axis];
        size_t inner = 1;
        for (int k = c->ch_axis + 1; k < c->ref->rank; k++)
            inner *= (size_t)c->ref->dims[k];
        if (C >= 4 && C <= 4096 && n / (size_t)C >= 4) {
            uint32_t off[4096] = {0};
            for (size_t i = 0; i < n; i++)
                if (fabs(c->b[i] - c->r[i]) / c->unit > band)
                    off[(i / inner) % (size_t)C]++;
            size_t per = n / (size_t)C, n_bad = 0, stray = 0, first = 0;
            for (size_t ch = (size_t)C; ch-- > 0;) {
                if (2 * (size_t)off[ch] >= per) {
                    n_bad++;
                    first = ch;
                } else {
                    stray += off[ch];
                }
            }
            if (n_bad > 0 && n_bad * 4 <= (size_t)C && stray * 100 <= n &&
                !(L->hints & (1u << DIFF_HINT_SHIFT))) {
                L->hints |= 1u << DIFF_HINT_SHIFT;
                char buf[96];
                snprintf(buf, sizeof buf, "errors only in %zu of %lld channels (first: %zu)",
                         n_bad, (long long)C, first);
                add_note(detail, cap, buf);
            }
        }
    }
    char buf[160];
    if (find_overlap(board, self, c, L, buf, sizeof buf)) {
        L->hints |= 1u << DIFF_HINT_OVERLAP;
        add_note(detail, cap, buf);
    }
    return 0;
}

/* --- alignment and verdicts -------------------------------------------------------------- */

struct ctx {
    const struct trace *ref, *board;
    const struct diff_options *opt;
    struct diff_report *rep;
    const char **key;           /* [board n_entries] the name each board entry goes by */
    long *board_of;             /* [ref n_entries] aligned board entry or -1 */
};

static bool key_matches(const char *key, const struct trace_entry *r)
{
    return strcmp(key, r->name) == 0 || (r->layer && strcmp(key, r->layer) == 0);
}

static int align(struct ctx *x)
{
    const struct trace *ref = x->ref, *board = x->board;
    size_t nb = board->n_entries;
    bool *used = mem_calloc(nb ? nb : 1, sizeof *used);
    bool *named = mem_calloc(nb ? nb : 1, sizeof *named);
    for (size_t i = 0; i < ref->n_entries; i++)
        x->board_of[i] = -1;
    if (!used || !named) {
        mem_free(used);
        mem_free(named);
        return ST_ENOMEM;
    }
    /* by name; a later board entry with the same name (a retried dump) wins */
    for (size_t i = 0; i < ref->n_entries; i++)
        for (size_t j = nb; j-- > 0;)
            if (!used[j] && key_matches(x->key[j], &ref->entries[i])) {
                x->board_of[i] = (long)j;
                used[j] = named[j] = true;
                break;
            }
    for (size_t j = 0; j < nb; j++)
        for (size_t i = 0; i < ref->n_entries && !named[j]; i++)
            named[j] = key_matches(x->key[j], &ref->entries[i]);
    /* then by index, only among board entries whose name matches no reference entry */
    for (size_t i = 0; i < ref->n_entries; i++) {
        if (x->board_of[i] >= 0 || ref->entries[i].index < 0)
            continue;
        for (size_t j = 0; j < nb; j++)
            if (!used[j] && !named[j] && board->entries[j].index == ref->entries[i].index) {
                x->board_of[i] = (long)j;
                used[j] = true;
                break;
            }
    }
    mem_free(used);
    mem_free(named);
    return 0;
}

static long report_find(const struct diff_report *rep, size_t upto, const char *name)
{
    for (size_t i = 0; i < upto; i++)
        if (rep->layers[i].name == NULL)
            continue;
        else if (strcmp(rep->layers[i].name, name) == 0 ||
            (rep->layers[i].layer && strcmp(rep->layers[i].layer, name) == 0))
            return (long)i;
    return -1;
}

/* Upstream layers of report layer i: through the model, else the previous entry. */
/*
 * Adds to layer i the report layers feeding tensor t's producer. An input the report left out
 * (a layer the board never shows: a reshape TVM folded away, a layer fused into a step) is
 * looked through to what feeds it.
 */
static void add_inputs(struct ctx *x, size_t i, const struct graph *g, int t, int depth)
{
    struct diff_layer *L = &x->rep->layers[i];
    const struct node *nd = &g->nodes[g->tensors[t].producer];
    const int *ins = nd->inputs;
    size_t n_ins = nd->n_inputs;
    if (nd->layer >= 0) {
        ins = g->layers[nd->layer].inputs;
        n_ins = g->layers[nd->layer].n_inputs;
    }
    for (size_t k = 0; k < n_ins && L->n_inputs < DIFF_MAX_INPUTS; k++) {
        if (ins[k] < 0 || (g->tensors[ins[k]].flags & TENSOR_CONST))
            continue;
        long j = report_find(x->rep, i, g->tensors[ins[k]].name);
        bool dup = false;
        for (int q = 0; q < L->n_inputs && j >= 0; q++)
            dup = dup || L->inputs[q] == j;
        if (j >= 0 && !dup)
            L->inputs[L->n_inputs++] = j;
        else if (j < 0 && depth < 8 && g->tensors[ins[k]].producer >= 0)
            add_inputs(x, i, g, ins[k], depth + 1);
    }
}

static void find_inputs(struct ctx *x, size_t i)
{
    struct diff_layer *L = &x->rep->layers[i];
    const struct graph *g = x->opt ? x->opt->model : NULL;
    L->n_inputs = 0;
    if (g == NULL) {
        if (i > 0)
            L->inputs[L->n_inputs++] = (long)i - 1;
        return;
    }
    int t = graph_find_tensor(g, L->name);
    if (t < 0 && L->layer)
        t = graph_find_tensor(g, L->layer);
    if (t < 0 || g->tensors[t].producer < 0) {
        if (t < 0 && i > 0)
            L->inputs[L->n_inputs++] = (long)i - 1;
        return;
    }
    add_inputs(x, i, g, t, 0);
}

/* Whether a layer's output already differs from the reference, looking through gaps. */
static bool differed(const struct diff_report *rep, long i, int depth)
{
    const struct diff_layer *L = &rep->layers[i];
    switch (L->status) {
    case DIFF_EXACT:
        return false;
    case DIFF_ROUNDING: case DIFF_INHERITED: case DIFF_DIVERGED:
        return true;
    default:
        break;
    }
    if (depth > 64)
        return false;
    for (int k = 0; k < L->n_inputs; k++)
        if (differed(rep, L->inputs[k], depth + 1))
            return true;
    return false;
}

static const struct tensor *model_tensor(const struct graph *g, const struct diff_layer *L)
{
    if (g == NULL)
        return NULL;
    int t = graph_find_tensor(g, L->name);
    if (t < 0 && L->layer)
        t = graph_find_tensor(g, L->layer);
    return t >= 0 ? &g->tensors[t] : NULL;
}

static int channel_axis(const struct tensor *mt, const struct tensor_value *rv)
{
    if (rv->rank < 2)
        return -1;
    if (mt && mt->layout == LAYOUT_NCHW)
        return 1;
    return rv->rank - 1;
}

static const char *arena_str_or_null(struct arena *a, const char *s, int *rc)
{
    if (s == NULL || s[0] == '\0')
        return NULL;
    char *c = arena_strdup(a, s);
    if (c == NULL)
        *rc = ST_ENOMEM;
    return c;
}

/* Re-runs layer i on the board's input; sets L->status to inherited or diverged. */
static int decide_by_rerun(struct ctx *x, size_t i, const struct cmp *orig, struct errbuf *eb)
{
    struct diff_layer *L = &x->rep->layers[i];
    struct tensor_value out = {0};
    int rc = x->opt->rerun(x->opt->rerun_user, L->name, x->rep, x->board, &out, eb);
    if (rc == ST_EUNSUPPORTED || rc == ST_ENOTFOUND) {
        errbuf_init(eb);
        L->status = DIFF_INHERITED;
        return 0;
    }
    if (rc)
        return rc;
    struct cmp c = {.ref = &out, .board = orig->board, .model_t = orig->model_t,
                    .tolerance = orig->tolerance > 1 ? orig->tolerance : 1, .ch_axis = -1};
    struct diff_layer tmp = {.name = L->name};
    rc = reconcile(&c, &tmp);
    if (rc == 0) {
        metrics(&c, &tmp);
        L->status = tmp.has_first_diff ? DIFF_DIVERGED : DIFF_INHERITED;
        L->reran = true;
    } else if (rc == 1) {
        L->status = DIFF_DIVERGED;
        L->reran = true;
        rc = 0;
    } else {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    cmp_free(&c);
    mem_free(out.data);
    return rc;
}

static int compare_layer(struct ctx *x, size_t i, struct errbuf *eb)
{
    struct diff_report *rep = x->rep;
    struct diff_layer *L = &rep->layers[i];
    const struct trace_entry *re = &x->ref->entries[L->ref_entry];
    const struct trace_entry *be = L->board_entry >= 0 ? &x->board->entries[L->board_entry]
                                                       : NULL;
    int rc = 0;
    char detail[256] = "";
    known_hazards(x->opt, L, detail, sizeof detail);
    if (re->status != TRACE_OK || be == NULL || be->status == TRACE_MISSING) {
        L->status = DIFF_MISSING;
        const char *why = re->status != TRACE_OK ? "reference missing" : "not in the board trace";
        L->note = arena_str_or_null(&rep->arena, be && be->note ? be->note : why, &rc);
        L->hint_detail = arena_str_or_null(&rep->arena, detail, &rc);
        return rc ? errbuf_set(eb, ST_ENOMEM, "out of memory") : 0;
    }
    if (be->status == TRACE_CORRUPT) {
        L->status = DIFF_CORRUPT;
        L->note = arena_str_or_null(&rep->arena, be->note ? be->note : "corrupt", &rc);
        L->hint_detail = arena_str_or_null(&rep->arena, detail, &rc);
        return rc ? errbuf_set(eb, ST_ENOMEM, "out of memory") : 0;
    }
    const struct graph *g = x->opt ? x->opt->model : NULL;
    struct cmp c = {.ref = &re->value, .board = &be->value, .model_t = model_tensor(g, L),
                    .tolerance = x->opt ? x->opt->tolerance : 0};
    c.ch_axis = channel_axis(c.model_t, c.ref);
    rc = reconcile(&c, L);
    if (rc == 1) {
        L->status = (L->hints & (1u << DIFF_HINT_SHAPE)) ? DIFF_DIVERGED : DIFF_CORRUPT;
        rc = 0;
    } else if (rc == 0) {
        metrics(&c, L);
        double tol = c.tolerance;
        if (L->max_abs <= tol)
            L->status = DIFF_EXACT;
        else if (L->max_abs <= 1)
            L->status = DIFF_ROUNDING;
        else {
            if (hints(&c, L, x->board, L->board_entry, detail, sizeof detail) != 0) {
                cmp_free(&c);
                return errbuf_set(eb, ST_ENOMEM, "out of memory");
            }
            bool up = false;
            for (int k = 0; k < L->n_inputs && !up; k++)
                up = differed(rep, L->inputs[k], 0);
            if (!up)
                L->status = DIFF_DIVERGED;
            else if (x->opt && x->opt->rerun)
                rc = decide_by_rerun(x, i, &c, eb);
            else
                L->status = DIFF_INHERITED;
        }
    } else {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    int rc2 = 0;
    if (!rc) {
        L->reconciled = arena_str_or_null(&rep->arena, c.notes[0] ? c.notes : NULL, &rc2);
        if (!L->compared && c.notes[0])
            L->note = L->reconciled, L->reconciled = NULL;
        L->hint_detail = arena_str_or_null(&rep->arena, detail, &rc2);
        if (rc2)
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    cmp_free(&c);
    return rc;
}

int diff_traces(const struct trace *ref, const struct trace *board,
                const struct diff_options *opt, struct diff_report *out, struct errbuf *eb)
{
    struct diff_report rep;
    diff_report_init(&rep);
    struct ctx x = {.ref = ref, .board = board, .opt = opt, .rep = &rep};
    size_t nr = ref->n_entries, nb = board->n_entries;
    int rc = 0;
    x.key = mem_calloc(nb ? nb : 1, sizeof *x.key);
    x.board_of = mem_calloc(nr ? nr : 1, sizeof *x.board_of);
    rep.layers = mem_calloc(nr ? nr : 1, sizeof *rep.layers);
    rep.reference = arena_strdup(&rep.arena, ref->source);
    rep.board = arena_strdup(&rep.arena, board->source);
    if (!x.key || !x.board_of || !rep.layers || !rep.reference || !rep.board) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    rep.tolerance = opt ? opt->tolerance : 0;
    rep.rerun_available = opt && opt->rerun;
    rep.model_known = opt && opt->model;
    for (size_t j = 0; j < nb; j++) {
        const char *k = opt && opt->board_name ? opt->board_name(opt->name_user,
                                                                  &board->entries[j]) : NULL;
        x.key[j] = k ? k : board->entries[j].name;
    }
    if (align(&x) != 0) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t ri = 0; ri < nr && !rc; ri++) {
        const struct trace_entry *re = &ref->entries[ri];
        if ((re->optional || (opt && opt->partial)) && x.board_of[ri] < 0) {
            rep.n_skipped++;
            continue;
        }
        size_t i = rep.n_layers++;
        struct diff_layer *L = &rep.layers[i];
        L->ref_entry = (long)ri;
        L->board_entry = x.board_of[ri];
        L->name = arena_strdup(&rep.arena, re->name);
        L->layer = re->layer ? arena_strdup(&rep.arena, re->layer) : NULL;
        L->board_name = L->board_entry >= 0
                            ? arena_strdup(&rep.arena, board->entries[L->board_entry].name)
                            : NULL;
        L->snr_db = NAN;
        if (!L->name || (re->layer && !L->layer) || (L->board_entry >= 0 && !L->board_name)) {
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            break;
        }
        find_inputs(&x, i);
        rc = compare_layer(&x, i, eb);
        if (!rc) {
            rep.count[L->status]++;
            if (L->status == DIFF_DIVERGED && rep.first_diverged < 0)
                rep.first_diverged = (long)i;
        }
    }
    /* board entries nobody asked for */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        size_t n = 0;
        for (size_t j = 0; j < nb; j++) {
            bool hit = false;
            for (size_t i = 0; i < nr && !hit; i++)
                hit = x.board_of[i] == (long)j;
            if (hit)
                continue;
            if (pass == 1 && (rep.extra[n] = arena_strdup(&rep.arena, board->entries[j].name))
                                 == NULL)
                rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            n++;
        }
        if (pass == 0 && n > 0 &&
            (rep.extra = arena_array(&rep.arena, n, sizeof *rep.extra)) == NULL)
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        rep.n_extra = pass == 1 ? n : 0;
    }
out:
    mem_free(x.key);
    mem_free(x.board_of);
    if (rc) {
        diff_report_release(&rep);
        return rc;
    }
    *out = rep;
    return 0;
}

const struct tensor_value *diff_board_value(const struct diff_report *rep,
                                            const struct trace *board, const char *name)
{
    long i = report_find(rep, rep->n_layers, name);
    if (i < 0 || rep->layers[i].board_entry < 0)
        return NULL;
    const struct trace_entry *e = &board->entries[rep->layers[i].board_entry];
    return e->status == TRACE_OK ? &e->value : NULL;
}

const char *diff_blame_name(enum diff_blame b)
{
    static const char *const names[] = {
#define DIFF_BLAME_NAME(e, name) name,
        DIFF_BLAME_LIST(DIFF_BLAME_NAME)
#undef DIFF_BLAME_NAME
    };
    return (unsigned)b < DIFF_BLAME_COUNT ? names[b] : "?";
}

int diff_report_add_twin(struct diff_report *rep, const struct diff_report *twin,
                         struct errbuf *eb)
{
    for (size_t i = 0; i < rep->n_layers; i++) {
        struct diff_layer *L = &rep->layers[i];
        long k = report_find(twin, twin->n_layers, L->name);
        L->has_twin = k >= 0;
        L->twin = k >= 0 ? twin->layers[k].status : DIFF_MISSING;
    }
    rep->twin_known = true;
    rep->blame = DIFF_BLAME_NONE;
    rep->blame_text = NULL;
    if (rep->first_diverged < 0)
        return 0;
    const struct diff_layer *F = &rep->layers[rep->first_diverged];
    const char *tf = twin->first_diverged >= 0 ? twin->layers[twin->first_diverged].name : NULL;
    char text[1024], name[128], twin_name[128];
    graph_short_name(F->name, sizeof name - 1, name, sizeof name);
    if (tf != NULL)
        tf = graph_short_name(tf, sizeof twin_name - 1, twin_name, sizeof twin_name);
    if (!F->has_twin || F->twin == DIFF_MISSING || F->twin == DIFF_CORRUPT) {
        rep->blame = DIFF_BLAME_UNKNOWN;
        snprintf(text, sizeof text, "the twin has no usable value for %s, so it cannot tell "
                 "the compiler from the board", name);
    } else if (F->twin == DIFF_EXACT || F->twin == DIFF_ROUNDING) {
        rep->blame = DIFF_BLAME_BOARD;
        snprintf(text, sizeof text, "the board is to blame: the twin (the MLF's own C run on "
                 "this host) agrees with the reference at %s and the board does not; look at "
                 "the board's build (CMSIS-NN version, compiler flags), its memory and the "
                 "data it was given", name);
    } else {
        rep->blame = DIFF_BLAME_COMPILER;
        snprintf(text, sizeof text, "the compiler is to blame: the twin (the MLF's own C run "
                 "on this host) disagrees with the reference at %s as the board does%s%s%s; "
                 "look at the MLF's code and constants (TVM), not at the board", name,
                 tf ? " (the twin's first divergence: " : "", tf ? tf : "", tf ? ")" : "");
    }
    rep->blame_text = arena_strdup(&rep->arena, text);
    if (rep->blame_text == NULL) {
        rep->twin_known = false;
        rep->blame = DIFF_BLAME_NONE;
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    return 0;
}
