/*
 * interp: plans and runs a graph (see interp.h). The plan is a list of steps in node order:
 * a node run by its op implementation, or a whole layer run by a lowering (integer modes),
 * whose other member nodes are then skipped. Buffers are reference counted so that aliasing
 * ops (Reshape, Squeeze) share them, and freed after their last use unless captured.
 */
#include "interp.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "interp_int.h"
#include "interp_kernels.h"
#include "interp_ops.h"
#include "mem.h"

#include "banned.h"

static const struct interp_op_table *const tables[] = {INTERP_OP_TABLES};
const struct interp_op_table *const interp_all_tables[] = {INTERP_OP_TABLES};
const size_t interp_n_tables = sizeof(tables) / sizeof(tables[0]);

static const char *const arith_names[] = {
#define INTERP_ARITH_NAME(e, name) name,
    INTERP_ARITH_LIST(INTERP_ARITH_NAME)
#undef INTERP_ARITH_NAME
};
_Static_assert(sizeof(arith_names) / sizeof(arith_names[0]) == INTERP_ARITH_COUNT,
               "arith name table");

enum interp_arith interp_default_arith(const struct graph *g)
{
    return g->format == GRAPH_FORMAT_TFLITE ? INTERP_ARITH_TFLM : INTERP_ARITH_ONNX;
}

const char *interp_arith_name(enum interp_arith a)
{
    return (unsigned)a < INTERP_ARITH_COUNT ? arith_names[a] : "unknown";
}

bool interp_arith_from_name(const char *name, enum interp_arith *out)
{
    for (int i = 0; i < INTERP_ARITH_COUNT; i++) {
        if (strcmp(name, arith_names[i]) == 0) {
            *out = (enum interp_arith)i;
            return true;
        }
    }
    return false;
}

/* A value buffer shared by aliases; freed when the last reference goes. */
struct buf {
    size_t refs;
    size_t cap;             /* bytes allocated at data */
    unsigned char *data;
};

enum step_kind { STEP_NODE, STEP_LAYER, STEP_SKIP };

struct step {
    enum step_kind kind;
    const struct interp_op *op;             /* STEP_NODE */
    const struct interp_lowering *lower;    /* STEP_LAYER */
    enum interp_arith arith;                /* the arithmetic this node runs in */
};

struct interp {
    const struct graph *g;
    struct interp_options opts;
    struct step *steps;             /* [n_nodes] */
    struct interp_layer_params *lp; /* [n_layers] effective per-layer settings */
    enum interp_arith *layer_arith; /* [n_layers] what each layer actually runs in */
    size_t *last_use;               /* [n_tensors] last step consuming it (SIZE_MAX: keep) */
    struct tensor_value *vals;      /* [n_tensors] */
    struct buf **bufs;              /* [n_tensors] owning buffer or NULL (borrowed data) */
    bool *has;                      /* [n_tensors] value present */
    bool *alias;                    /* [n_tensors] bufs[t] is borrowed from another tensor */
    size_t n_run_steps;             /* steps that are not skipped */
    /* per-step scratch */
    const struct tensor_value **in;
    size_t cap_in;
    struct interp_kbuf scratch[INTERP_N_KBUF];  /* kernel scratch, reused between steps */
    void **cache;                   /* [n_nodes] prepared weights per node, mem_free'd */
    void **plan_cache;              /* [n_nodes] lowerings' derived constants, mem_free'd */
    /*
     * Concat in place: an input whose only reader is a Concat along its outermost non-1 dim
     * is written straight into its part of the Concat's output, which Concat then does not
     * copy (it still checks the pointers and copies what is not in place). NULL: none.
     */
    int *cat_node;                  /* [n_tensors] that Concat's node index, or -1 */
    size_t *cat_off, *cat_len;      /* [n_tensors] its part: byte offset and bytes (static
                                       shapes; a different size at run time is not placed) */
    size_t *cat_total;              /* [n_nodes] a planned Concat's output bytes */
    struct buf **cat_buf;           /* [n_nodes] its output buffer before it runs, or NULL */
};

/* ---- helpers shared with the op files ---- */

size_t interp_elems(const struct tensor_value *v)
{
    size_t n = 1;
    for (int i = 0; i < v->rank; i++)
        n *= (size_t)v->dims[i];
    return n;
}

int interp_node_error(const struct graph *g, const struct node *n, int code, struct errbuf *eb,
                      const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return errbuf_set(eb, code, "%s: node %s: %s", g->path ? g->path : "model", n->name, msg);
}

int interp_unsupported_attr(const struct graph *g, const struct node *n, const char *attr,
                            const char *why, struct errbuf *eb)
{
    return interp_node_error(g, n, ST_EUNSUPPORTED, eb, "unsupported attribute %s of %s%s%s",
                             attr, n->op, why ? ": " : "", why ? why : "");
}

static void buf_unref(struct buf *b)
{
    if (b && --b->refs == 0) {
        mem_free(b->data);
        mem_free(b);
    }
}

static void drop_value(struct interp *ip, int t)
{
    buf_unref(ip->bufs[t]);
    ip->bufs[t] = NULL;
    ip->alias[t] = false;
    ip->has[t] = false;
    memset(&ip->vals[t], 0, sizeof ip->vals[t]);
}

static int check_dims(struct interp_ctx *c, int rank, const int64_t *dims, size_t esz,
                      size_t *bytes, struct errbuf *eb)
{
    size_t n = 1;
    if (rank < 0 || rank > GRAPH_MAX_RANK)
        return interp_node_error(c->g, c->node, ST_ELIMIT, eb, "output rank %d", rank);
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0 || !size_mul(n, (size_t)dims[i], &n))
            return interp_node_error(c->g, c->node, ST_ELIMIT, eb, "output size overflows");
    }
    if (!size_mul(n, esz, bytes) || *bytes > ((size_t)1 << 40))
        return interp_node_error(c->g, c->node, ST_ELIMIT, eb, "output size overflows");
    return 0;
}

static void set_out(struct interp_ctx *c, size_t k, enum dtype dt, int rank, const int64_t *dims,
                    void *p, size_t bytes)
{
    struct tensor_value *v = &c->out[k];
    v->dtype = dt;
    v->rank = rank;
    memcpy(v->dims, dims, sizeof(int64_t) * (size_t)rank);
    v->data = p;
    v->bytes = bytes;
}

/*
 * The running Concat's inputs are where the plan put them in cb: the output has cb's size,
 * its dims before the axis are 1, and every placed input sits at its offset with the size
 * the plan gave it (otherwise Concat copies into a fresh buffer).
 */
static bool concat_as_planned(const struct interp_ctx *c, const struct buf *cb, int rank,
                              const int64_t *dims, size_t bytes)
{
    const struct interp *ip = c->ip;
    const struct node *n = c->node;
    int axis = rank > 0 ? interp_axis(node_attr_int(n, "axis", 0), rank) : -1;
    if (cb->cap != bytes || axis < 0)
        return false;
    for (int i = 0; i < axis; i++)
        if (dims[i] != 1)
            return false;
    size_t at = 0;
    for (size_t k = 0; k < n->n_inputs; k++) {
        const struct tensor_value *x = c->in[k];
        int t = n->inputs[k];
        if (!x || t < 0)
            return false;
        /* an input not placed (its producer aliased or had another size) is copied */
        uintptr_t p = (uintptr_t)x->data, b0 = (uintptr_t)cb->data;
        bool in_cb = ip->cat_node[t] == c->node_index && p >= b0 && p - b0 < cb->cap;
        if (in_cb && (ip->cat_off[t] != at || ip->cat_len[t] != x->bytes || p - b0 != at))
            return false;
        at += x->bytes;
    }
    return at == bytes;
}

/*
 * Output k (tensor t) in a planned Concat's buffer: its part when t is a planned input, the
 * whole buffer when this is that Concat's output. Returns 1 when placed, 0 when not (the
 * caller allocates), or a negative status.
 */
static int concat_place(struct interp_ctx *c, size_t k, int t, enum dtype dt, int rank,
                        const int64_t *dims, size_t bytes, bool zero, void **data,
                        struct errbuf *eb)
{
    struct interp *ip = c->ip;
    int ci = c->node_index;
    struct buf *cb;
    if (k == 0 && ci >= 0 && ip->cat_buf[ci]) {
        /* the Concat itself: its inputs were written into this buffer */
        cb = ip->cat_buf[ci];
        ip->cat_buf[ci] = NULL;     /* its reference moves to the output */
        if (zero || !concat_as_planned(c, cb, rank, dims, bytes)) {
            buf_unref(cb);          /* a buffer of its own; the inputs keep theirs alive */
            return 0;
        }
        buf_unref(ip->bufs[t]);
        ip->bufs[t] = cb;
        ip->alias[t] = false;       /* the owner */
        set_out(c, k, dt, rank, dims, cb->data, bytes);
        *data = cb->data;
        return 1;
    }
    int cn = ip->cat_node[t];
    if (cn < 0 || bytes != ip->cat_len[t])
        return 0;
    cb = ip->cat_buf[cn];
    if (!cb) {
        size_t cap = ip->cat_total[cn];
        cb = mem_alloc(sizeof *cb);
        unsigned char *p = mem_alloc(cap ? cap : 1);
        if (!cb || !p) {
            mem_free(cb);
            mem_free(p);
            return errbuf_set(eb, ST_ENOMEM, "node %s: out of memory for %zu bytes",
                              c->node->name, cap);
        }
        cb->refs = 1;
        cb->cap = cap;
        cb->data = p;
        ip->cat_buf[cn] = cb;
    }
    unsigned char *p = cb->data + ip->cat_off[t];
    if (zero)
        memset(p, 0, bytes);
    cb->refs++;
    buf_unref(ip->bufs[t]);
    ip->bufs[t] = cb;
    ip->alias[t] = true;            /* borrowed from the Concat's output */
    set_out(c, k, dt, rank, dims, p, bytes);
    *data = p;
    return 1;
}

/* interp_out and interp_out_uninit: `zero` clears a fresh buffer (calloc) */
static int out_alloc(struct interp_ctx *c, size_t k, enum dtype dt, int rank, const int64_t *dims,
                     bool zero, void **data, struct errbuf *eb)
{
    size_t bytes;
    int rc = check_dims(c, rank, dims, dtype_bytes(dt), &bytes, eb);
    if (rc)
        return rc;
    int t = c->out_tensors[k];
    if (t >= 0 && c->ip->cat_node) {
        int placed = concat_place(c, k, t, dt, rank, dims, bytes, zero, data, eb);
        if (placed)
            return placed < 0 ? placed : 0;
    }
    struct buf *old = t >= 0 ? c->ip->bufs[t] : NULL;
    if (old && old->refs == 1 && old->cap >= bytes) {
        /* the previous run's buffer for this tensor: reuse it (no fresh pages to fault in);
           every op writes all of its output, so it is not cleared */
        set_out(c, k, dt, rank, dims, old->data, bytes);
        *data = old->data;
        return 0;
    }
    struct buf *b = mem_alloc(sizeof *b);
    unsigned char *p = zero ? mem_calloc(1, bytes ? bytes : 1) : mem_alloc(bytes ? bytes : 1);
    if (!b || !p) {
        mem_free(b);
        mem_free(p);
        return errbuf_set(eb, ST_ENOMEM, "node %s: out of memory for %zu bytes", c->node->name,
                          bytes);
    }
    b->refs = 1;
    b->cap = bytes ? bytes : 1;
    b->data = p;
    set_out(c, k, dt, rank, dims, p, bytes);
    if (t >= 0) {
        buf_unref(c->ip->bufs[t]);
        c->ip->bufs[t] = b;
        c->ip->alias[t] = false;
    } else {
        buf_unref(b);   /* an output nobody names: computed and dropped */
        c->out[k].data = NULL;
        return errbuf_set(eb, ST_EINTERNAL, "node %s: unnamed output", c->node->name);
    }
    *data = p;
    return 0;
}

int interp_out(struct interp_ctx *c, size_t k, enum dtype dt, int rank, const int64_t *dims,
               void **data, struct errbuf *eb)
{
    return out_alloc(c, k, dt, rank, dims, true, data, eb);
}

int interp_out_uninit(struct interp_ctx *c, size_t k, enum dtype dt, int rank,
                      const int64_t *dims, void **data, struct errbuf *eb)
{
    return out_alloc(c, k, dt, rank, dims, false, data, eb);
}

/* Output k shares input in_k's buffer: `bytes` of it from `offset` on (checked by callers). */
static void share_input(struct interp_ctx *c, size_t k, size_t in_k, int rank,
                        const int64_t *dims, size_t offset, size_t bytes)
{
    const struct tensor_value *src = c->in[in_k];
    int ti = c->node->inputs[in_k], to = c->out_tensors[k];
    set_out(c, k, src->dtype, rank, dims, (unsigned char *)src->data + offset, bytes);
    struct buf *b = c->ip->bufs[ti];
    if (b)
        b->refs++;
    buf_unref(c->ip->bufs[to]);
    c->ip->bufs[to] = b;
    c->ip->alias[to] = true;
}

int interp_out_alias(struct interp_ctx *c, size_t k, size_t in_k, int rank, const int64_t *dims,
                     struct errbuf *eb)
{
    const struct tensor_value *src = c->in[in_k];
    size_t bytes;
    int rc = check_dims(c, rank, dims, dtype_bytes(src->dtype), &bytes, eb);
    if (rc)
        return rc;
    if (bytes != src->bytes)
        return interp_node_error(c->g, c->node, ST_EINVAL, eb,
                                 "cannot reshape %zu bytes into %zu", src->bytes, bytes);
    share_input(c, k, in_k, rank, dims, 0, bytes);
    return 0;
}

int interp_out_view(struct interp_ctx *c, size_t k, size_t in_k, int rank, const int64_t *dims,
                    size_t offset, struct errbuf *eb)
{
    const struct tensor_value *src = c->in[in_k];
    size_t bytes;
    int rc = check_dims(c, rank, dims, dtype_bytes(src->dtype), &bytes, eb);
    if (rc)
        return rc;
    if (offset > src->bytes || bytes > src->bytes - offset)
        return interp_node_error(c->g, c->node, ST_EINTERNAL, eb,
                                 "view of %zu bytes at %zu outside %zu", bytes, offset,
                                 src->bytes);
    share_input(c, k, in_k, rank, dims, offset, bytes);
    return 0;
}

/* ---- planning ---- */

static const struct interp_op *find_op(const char *domain, const char *op)
{
    if (strcmp(domain, "ai.onnx") == 0)
        domain = "";
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (size_t i = 0; i < tables[t]->n_ops; i++) {
            const struct interp_op *o = &tables[t]->ops[i];
            if (strcmp(o->domain, domain) == 0 && strcmp(o->op, op) == 0)
                return o;
        }
    }
    return NULL;
}

static const struct interp_lowering *find_lowering(const char *domain, const char *op)
{
    if (strcmp(domain, "ai.onnx") == 0)
        domain = "";
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (size_t i = 0; i < tables[t]->n_lowerings; i++) {
            const struct interp_lowering *o = &tables[t]->lowerings[i];
            if (strcmp(o->domain, domain) == 0 && strcmp(o->op, op) == 0)
                return o;
        }
    }
    return NULL;
}

static bool node_in_layer(const struct graph *g, int node, int layer)
{
    return node >= 0 && g->nodes[node].layer == layer;
}

/*
 * A layer can run as one kernel only if nothing outside it needs a value that only exists
 * in ONNX semantics (a float intermediate). Member nodes whose outputs are used outside still
 * run (they come before the main node: dequantizations of inputs); a member after the main
 * node with an output used outside, other than the layer's outputs, prevents lowering.
 */
static bool layer_lowerable(const struct graph *g, int li)
{
    const struct layer *L = &g->layers[li];
    for (size_t k = 0; k < L->n_nodes; k++) {
        int ni = L->nodes[k];
        if (ni == L->main_node || ni < L->main_node)
            continue;
        const struct node *n = &g->nodes[ni];
        for (size_t o = 0; o < n->n_outputs; o++) {
            int t = n->outputs[o];
            if (t < 0)
                continue;
            bool is_layer_out = false;
            for (size_t j = 0; j < L->n_outputs; j++)
                is_layer_out |= L->outputs[j] == t;
            if (is_layer_out)
                continue;
            const struct tensor *T = &g->tensors[t];
            if (T->flags & TENSOR_OUTPUT)
                return false;
            for (size_t c = 0; c < T->n_consumers; c++)
                if (!node_in_layer(g, T->consumers[c], li))
                    return false;
        }
    }
    return true;
}

/* True when some output of node ni is needed by a node that is not skipped. */
static bool needed_outside(const struct graph *g, const struct step *steps, int ni, int li)
{
    const struct node *n = &g->nodes[ni];
    for (size_t o = 0; o < n->n_outputs; o++) {
        int t = n->outputs[o];
        if (t < 0)
            continue;
        const struct tensor *T = &g->tensors[t];
        if (T->flags & TENSOR_OUTPUT)
            return true;
        for (size_t c = 0; c < T->n_consumers; c++) {
            int cn = T->consumers[c];
            if (!node_in_layer(g, cn, li) || steps[cn].kind == STEP_NODE)
                return true;
        }
    }
    return false;
}

static void note_use(struct interp *ip, int t, size_t step)
{
    if (t >= 0 && ip->last_use[t] != SIZE_MAX && ip->last_use[t] < step)
        ip->last_use[t] = step;
}

/* Static bytes of tensor T when its dtype and every dim are known and dims before `axis`
   are 1; 0 otherwise (also for an empty tensor: nothing to place). */
static size_t concat_part_bytes(const struct tensor *T, int rank, int axis)
{
    size_t n = dtype_bytes(T->dtype);
    if (n == 0 || T->rank != rank)
        return 0;
    for (int i = 0; i < rank; i++) {
        if (T->dims[i] < 0 || (i < axis && T->dims[i] != 1) ||
            !size_mul(n, (size_t)T->dims[i], &n))
            return 0;
    }
    return n;
}

static void free_concat_plan(int *node, size_t *off, size_t *len, size_t *total,
                             struct buf **bufs)
{
    mem_free(node);
    mem_free(off);
    mem_free(len);
    mem_free(total);
    mem_free(bufs);
}

/*
 * Finds the Concats whose inputs can be written in place (see struct interp): ONNX Concat
 * run as a node, static shapes, every dim before the axis 1, so each input is one
 * contiguous part of the output. An input qualifies when the Concat is its only reader and
 * it is produced here (not a graph input, constant or output).
 */
static void plan_concats(struct interp *ip)
{
    const struct graph *g = ip->g;
    size_t nt = g->n_tensors, nn = g->n_nodes;
    int *node = mem_alloc((nt ? nt : 1) * sizeof *node);
    size_t *off = mem_alloc((nt ? nt : 1) * sizeof *off);
    size_t *len = mem_alloc((nt ? nt : 1) * sizeof *len);
    size_t *total = mem_calloc(nn ? nn : 1, sizeof *total);
    struct buf **bufs = mem_calloc(nn ? nn : 1, sizeof *bufs);
    if (!node || !off || !len || !total || !bufs) {
        free_concat_plan(node, off, len, total, bufs);  /* an optimisation: run without it */
        return;
    }
    for (size_t t = 0; t < nt; t++)
        node[t] = -1;
    bool any = false;
    for (size_t i = 0; i < nn; i++) {
        const struct node *n = &g->nodes[i];
        if (ip->steps[i].kind != STEP_NODE || n->domain[0] || strcmp(n->op, "Concat") != 0 ||
            n->n_outputs < 1 || n->outputs[0] < 0 || n->n_inputs < 1)
            continue;
        const struct tensor *O = &g->tensors[n->outputs[0]];
        int axis = O->rank > 0 ? interp_axis(node_attr_int(n, "axis", 0), O->rank) : -1;
        size_t ob = axis < 0 ? 0 : concat_part_bytes(O, O->rank, axis);
        if (ob == 0)
            continue;
        size_t sum = 0;
        bool ok = true;
        for (size_t k = 0; k < n->n_inputs && ok; k++) {
            int t = n->inputs[k];
            size_t b = t >= 0 ? concat_part_bytes(&g->tensors[t], O->rank, axis) : 0;
            ok = b > 0 && g->tensors[t].dtype == O->dtype && size_add(sum, b, &sum);
        }
        if (!ok || sum != ob)
            continue;
        size_t at = 0;
        for (size_t k = 0; k < n->n_inputs; k++) {
            int t = n->inputs[k];
            const struct tensor *T = &g->tensors[t];
            size_t b = concat_part_bytes(T, O->rank, axis);
            bool once = true;
            for (size_t j = 0; j < n->n_inputs; j++)
                once &= j == k || n->inputs[j] != t;
            if (once && T->n_consumers == 1 &&
                !(T->flags & (TENSOR_INPUT | TENSOR_CONST | TENSOR_OUTPUT))) {
                node[t] = (int)i;
                off[t] = at;
                len[t] = b;
                total[i] = ob;
                any = true;
            }
            at += b;
        }
    }
    if (!any) {
        free_concat_plan(node, off, len, total, bufs);
        return;
    }
    ip->cat_node = node;
    ip->cat_off = off;
    ip->cat_len = len;
    ip->cat_total = total;
    ip->cat_buf = bufs;
}

int interp_new(const struct graph *g, const struct interp_options *opts, struct interp **out,
               struct errbuf *eb)
{
    struct interp *ip = mem_calloc(1, sizeof *ip);
    if (!ip)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    ip->g = g;
    ip->opts = *opts;
    size_t nt = g->n_tensors, nn = g->n_nodes, nl = g->n_layers;
    ip->steps = mem_calloc(nn ? nn : 1, sizeof *ip->steps);
    ip->lp = mem_calloc(nl ? nl : 1, sizeof *ip->lp);
    ip->layer_arith = mem_calloc(nl ? nl : 1, sizeof *ip->layer_arith);
    ip->last_use = mem_calloc(nt ? nt : 1, sizeof *ip->last_use);
    ip->vals = mem_calloc(nt ? nt : 1, sizeof *ip->vals);
    ip->bufs = mem_calloc(nt ? nt : 1, sizeof *ip->bufs);
    ip->has = mem_calloc(nt ? nt : 1, sizeof *ip->has);
    ip->alias = mem_calloc(nt ? nt : 1, sizeof *ip->alias);
    ip->cache = mem_calloc(nn ? nn : 1, sizeof *ip->cache);
    ip->plan_cache = mem_calloc(nn ? nn : 1, sizeof *ip->plan_cache);
    if (!ip->cache || !ip->plan_cache || !ip->steps || !ip->lp || !ip->layer_arith ||
        !ip->last_use || !ip->vals || !ip->bufs || !ip->has || !ip->alias) {
        interp_free(ip);
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    }
    int rc = 0;
    /* per-layer settings */
    for (size_t l = 0; l < nl; l++) {
        if (opts->layer_params) {
            ip->lp[l] = opts->layer_params[l];
        } else {
            ip->lp[l].arith = opts->arith;
            ip->lp[l].single_rounding = opts->single_rounding;
        }
        ip->layer_arith[l] = INTERP_ARITH_ONNX;
    }
    /* integer TFLite layers have no ONNX semantics to fall back on */
    for (size_t l = 0; l < nl && !rc && g->format == GRAPH_FORMAT_TFLITE; l++) {
        if (ip->lp[l].arith == INTERP_ARITH_ONNX)
            rc = errbuf_set(eb, ST_EUNSUPPORTED,
                            "%s: onnx arithmetic has no meaning for a TFLite model; use --arith "
                            "tflm or tvm", g->path ? g->path : "model");
    }
    if (!rc && nl == 0 && g->format == GRAPH_FORMAT_TFLITE && opts->arith == INTERP_ARITH_ONNX)
        rc = errbuf_set(eb, ST_EUNSUPPORTED,
                        "%s: onnx arithmetic has no meaning for a TFLite model; use --arith "
                        "tflm or tvm", g->path ? g->path : "model");
    /* node ops; every node needs one (a lowered layer may still fall back) */
    for (size_t i = 0; i < nn && !rc; i++) {
        const struct node *n = &g->nodes[i];
        struct step *s = &ip->steps[i];
        s->kind = STEP_NODE;
        s->arith = INTERP_ARITH_ONNX;
        s->op = find_op(n->domain, n->op);
        if (!s->op) {
            rc = errbuf_set(eb, ST_EUNSUPPORTED, "%s: node %s: unsupported op %s%s%s",
                            g->path ? g->path : "model", n->name,
                            n->domain[0] ? n->domain : "", n->domain[0] ? "." : "", n->op);
            break;
        }
        if (s->op->check)
            rc = s->op->check(g, n, eb);
    }
    /* lowered layers */
    for (size_t l = 0; l < nl && !rc; l++) {
        const struct layer *L = &g->layers[l];
        if (ip->lp[l].arith == INTERP_ARITH_ONNX || L->main_node < 0)
            continue;
        const struct node *mn = &g->nodes[L->main_node];
        const struct interp_lowering *lw = find_lowering(mn->domain, mn->op);
        if (!lw || !(lw->modes & (1u << ip->lp[l].arith)) || !layer_lowerable(g, (int)l))
            continue;
        struct errbuf quiet;
        errbuf_init(&quiet);
        if (lw->check && lw->check(g, (int)l, &quiet) != 0)
            continue;
        ip->layer_arith[l] = ip->lp[l].arith;
        for (size_t k = 0; k < L->n_nodes; k++) {
            struct step *s = &ip->steps[L->nodes[k]];
            s->kind = STEP_SKIP;
        }
        struct step *ms = &ip->steps[L->main_node];
        ms->kind = STEP_LAYER;
        ms->lower = lw;
        ms->arith = ip->lp[l].arith;
    }
    /* member nodes before the main node still run when a value of theirs is needed elsewhere
       (walk backwards so that a chain of them is kept whole) */
    for (size_t i = nn; i-- > 0 && !rc;) {
        const struct node *n = &g->nodes[i];
        if (ip->steps[i].kind != STEP_SKIP || (int)i > g->layers[n->layer].main_node)
            continue;
        if (needed_outside(g, ip->steps, (int)i, n->layer))
            ip->steps[i].kind = STEP_NODE;
    }
    if (rc) {
        interp_free(ip);
        return rc;
    }
    /* liveness: last step that reads each tensor; graph outputs and constants are kept */
    for (size_t t = 0; t < nt; t++) {
        const struct tensor *T = &g->tensors[t];
        bool keep = opts->capture || (T->flags & (TENSOR_OUTPUT | TENSOR_CONST | TENSOR_INPUT));
        ip->last_use[t] = keep ? SIZE_MAX : 0;
    }
    for (size_t i = 0; i < nn; i++) {
        const struct node *n = &g->nodes[i];
        const struct step *s = &ip->steps[i];
        if (s->kind == STEP_SKIP)
            continue;
        ip->n_run_steps++;
        if (s->kind == STEP_NODE) {
            for (size_t k = 0; k < n->n_inputs; k++)
                note_use(ip, n->inputs[k], i);
        } else {
            const struct layer *L = &g->layers[n->layer];
            for (size_t k = 0; k < L->n_inputs; k++)
                note_use(ip, L->inputs[k], i);
            for (size_t k = 0; k < L->n_nodes; k++) {
                const struct node *m = &g->nodes[L->nodes[k]];
                for (size_t j = 0; j < m->n_inputs; j++)
                    note_use(ip, m->inputs[j], i);
            }
        }
    }
    plan_concats(ip);
    *out = ip;
    return 0;
}

enum interp_arith interp_layer_arith(const struct interp *ip, int layer)
{
    if (layer < 0 || (size_t)layer >= ip->g->n_layers)
        return INTERP_ARITH_ONNX;
    return ip->layer_arith[layer];
}

void interp_free(struct interp *ip)
{
    if (!ip)
        return;
    if (ip->bufs) {
        for (size_t t = 0; t < ip->g->n_tensors; t++)
            buf_unref(ip->bufs[t]);
    }
    if (ip->cat_buf)
        for (size_t i = 0; i < ip->g->n_nodes; i++)
            buf_unref(ip->cat_buf[i]);
    free_concat_plan(ip->cat_node, ip->cat_off, ip->cat_len, ip->cat_total, ip->cat_buf);
    mem_free(ip->steps);
    mem_free(ip->lp);
    mem_free(ip->layer_arith);
    mem_free(ip->last_use);
    mem_free(ip->vals);
    mem_free(ip->bufs);
    mem_free(ip->has);
    mem_free(ip->alias);
    mem_free(ip->in);
    if (ip->cache)
        for (size_t i = 0; i < ip->g->n_nodes; i++)
            mem_free(ip->cache[i]);
    mem_free(ip->cache);
    if (ip->plan_cache)
        for (size_t i = 0; i < ip->g->n_nodes; i++)
            mem_free(ip->plan_cache[i]);
    mem_free(ip->plan_cache);
    for (size_t i = 0; i < INTERP_N_KBUF; i++)
        interp_kbuf_release(&ip->scratch[i]);
    mem_free(ip);
}

/* ---- running ---- */

int interp_set_input(struct interp *ip, int t, const struct tensor_value *v, struct errbuf *eb)
{
    const struct graph *g = ip->g;
    if (t < 0 || (size_t)t >= g->n_tensors || !(g->tensors[t].flags & TENSOR_INPUT))
        return errbuf_set(eb, ST_EINVAL, "%s: tensor %d is not a graph input", g->path, t);
    const struct tensor *T = &g->tensors[t];
    if (T->dtype != DTYPE_UNKNOWN && T->dtype != v->dtype)
        return errbuf_set(eb, ST_EINVAL, "%s: input %s: expected %s, found %s", g->path, T->name,
                          dtype_name(T->dtype), dtype_name(v->dtype));
    if (T->rank >= 0) {
        if (T->rank != v->rank)
            return errbuf_set(eb, ST_EINVAL, "%s: input %s: expected rank %d, found %d", g->path,
                              T->name, T->rank, v->rank);
        for (int i = 0; i < T->rank; i++) {
            if (T->dims[i] >= 0 && T->dims[i] != v->dims[i])
                return errbuf_set(eb, ST_EINVAL,
                                  "%s: input %s: dimension %d is %lld, expected %lld", g->path,
                                  T->name, i, (long long)v->dims[i], (long long)T->dims[i]);
        }
    }
    size_t n = 1, bytes;
    for (int i = 0; i < v->rank; i++)
        n *= (size_t)v->dims[i];
    if (!size_mul(n, dtype_bytes(v->dtype), &bytes) || bytes != v->bytes)
        return errbuf_set(eb, ST_EINVAL, "%s: input %s: %zu bytes for its shape, found %zu",
                          g->path, T->name, bytes, v->bytes);
    drop_value(ip, t);
    ip->vals[t] = *v;
    ip->has[t] = true;
    return 0;
}

static void set_const(struct interp *ip, int t)
{
    const struct tensor *T = &ip->g->tensors[t];
    struct tensor_value *v = &ip->vals[t];
    v->dtype = T->dtype;
    v->rank = T->rank < 0 ? 0 : T->rank;
    memcpy(v->dims, T->dims, sizeof v->dims);
    v->data = (void *)(uintptr_t)T->data;   /* never written through: ops take const inputs */
    v->bytes = T->data_bytes;
    ip->has[t] = true;
}

static int emit(struct interp *ip, int t, int node, int layer, enum interp_arith arith,
                size_t step, struct errbuf *eb)
{
    if (!ip->opts.callback)
        return 0;
    struct interp_event ev = {
        .tensor = t, .node = node, .layer = layer, .arith = arith, .value = &ip->vals[t],
        .step = step, .n_steps = ip->n_run_steps,
    };
    return ip->opts.callback(ip->opts.user, &ev, eb);
}

static bool is_layer_output(const struct layer *L, int t)
{
    for (size_t j = 0; j < L->n_outputs; j++)
        if (L->outputs[j] == t)
            return true;
    return false;
}

/* Whether the callback gets tensor t, produced by node ni (in a layer or not). */
static bool wanted(const struct interp *ip, int t, int ni)
{
    const struct graph *g = ip->g;
    if (g->tensors[t].flags & TENSOR_OUTPUT)
        return true;
    switch (ip->opts.dump) {
    case INTERP_DUMP_ALL:
        return true;
    case INTERP_DUMP_LAYERS: {
        int l = g->nodes[ni].layer;
        return l < 0 || is_layer_output(&g->layers[l], t);
    }
    case INTERP_DUMP_OUTPUTS:
    default:
        return false;
    }
}

/* Checks that a node's (or lowered layer's) inputs are all present. */
static int gather_inputs(struct interp *ip, const struct node *n, struct errbuf *eb)
{
    if (n->n_inputs > ip->cap_in) {
        const struct tensor_value **p = mem_realloc(ip->in, n->n_inputs * sizeof *p);
        if (!p)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        ip->in = p;
        ip->cap_in = n->n_inputs;
    }
    for (size_t k = 0; k < n->n_inputs; k++) {
        int t = n->inputs[k];
        if (t < 0) {
            ip->in[k] = NULL;
            continue;
        }
        if (!ip->has[t]) {
            if (ip->g->tensors[t].flags & TENSOR_CONST) {
                set_const(ip, t);
            } else if (ip->g->tensors[t].name[0] == '\0') {
                ip->in[k] = NULL;   /* "" names an omitted optional input */
                continue;
            } else {
                return errbuf_set(eb, ST_EINVAL, "%s: node %s: input %s has no value%s",
                                  ip->g->path, n->name, ip->g->tensors[t].name,
                                  (ip->g->tensors[t].flags & TENSOR_INPUT)
                                      ? " (no --input given for it)" : "");
            }
        }
        ip->in[k] = &ip->vals[t];
    }
    return 0;
}

static int run_step(struct interp *ip, size_t i, size_t *done, struct errbuf *eb)
{
    const struct graph *g = ip->g;
    const struct node *n = &g->nodes[i];
    const struct step *s = &ip->steps[i];
    int li = n->layer;
    /* a lowering reads the layer's quantized tensors, not the main node's float inputs */
    int rc = s->kind == STEP_LAYER ? 0 : gather_inputs(ip, n, eb);
    if (rc)
        return rc;
    if (s->kind == STEP_LAYER) {
        /* a lowering reads the layer's inputs and constants itself; make constants present */
        const struct layer *L = &g->layers[li];
        for (size_t k = 0; k < L->n_inputs; k++) {
            int t = L->inputs[k];
            if (t >= 0 && !ip->has[t]) {
                if (g->tensors[t].flags & TENSOR_CONST)
                    set_const(ip, t);
                else
                    return errbuf_set(eb, ST_EINVAL, "%s: layer %s: input %s has no value",
                                      g->path, L->name, g->tensors[t].name);
            }
        }
        for (size_t k = 0; k < L->n_nodes; k++) {
            const struct node *m = &g->nodes[L->nodes[k]];
            for (size_t j = 0; j < m->n_inputs; j++) {
                int t = m->inputs[j];
                if (t >= 0 && !ip->has[t] && (g->tensors[t].flags & TENSOR_CONST))
                    set_const(ip, t);
            }
        }
    }
    struct tensor_value outs_local[8];
    struct tensor_value *outs = outs_local;
    size_t n_out = s->kind == STEP_LAYER ? g->layers[li].n_outputs : n->n_outputs;
    if (n_out > 8) {
        outs = mem_calloc(n_out, sizeof *outs);
        if (!outs)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
    } else {
        memset(outs_local, 0, sizeof outs_local);
    }
    struct interp_ctx c = {
        .ip = ip, .g = g, .node = n, .node_index = (int)i, .layer = li, .arith = s->arith,
        .params = li >= 0 ? &ip->lp[li] : NULL, .in = ip->in, .out = outs,
        .out_tensors = s->kind == STEP_LAYER ? g->layers[li].outputs : n->outputs,
        .opts = &ip->opts,
        .scratch = ip->scratch,
        .cache = &ip->cache[i],
        .plan_cache = &ip->plan_cache[i],
    };
    static const struct interp_layer_params onnx_params = {.arith = INTERP_ARITH_ONNX};
    if (!c.params)
        c.params = &onnx_params;
    if (s->kind == STEP_LAYER)
        rc = s->lower->run(&c, eb);
    else
        rc = s->op->run(&c, eb);
    if (rc) {
        if (outs != outs_local)
            mem_free(outs);
        return rc;
    }
    (*done)++;
    const int *out_t = s->kind == STEP_LAYER ? g->layers[li].outputs : n->outputs;
    for (size_t k = 0; k < n_out && !rc; k++) {
        int t = out_t[k];
        if (t < 0 || !outs[k].data)
            continue;
        ip->vals[t] = outs[k];
        ip->has[t] = true;
        if (wanted(ip, t, (int)i))
            rc = emit(ip, t, s->kind == STEP_LAYER ? -1 : (int)i, li, s->arith, *done, eb);
    }
    if (outs != outs_local)
        mem_free(outs);
    if (rc)
        return rc;
    /* free what no later step reads */
    for (size_t k = 0; k < n->n_inputs && s->kind != STEP_LAYER; k++) {
        int t = n->inputs[k];
        if (t >= 0 && ip->last_use[t] == i && ip->has[t])
            drop_value(ip, t);
    }
    if (s->kind == STEP_LAYER) {
        const struct layer *L = &g->layers[li];
        for (size_t k = 0; k < L->n_inputs; k++) {
            int t = L->inputs[k];
            if (t >= 0 && ip->last_use[t] == i && ip->has[t])
                drop_value(ip, t);
        }
    }
    for (size_t k = 0; k < n_out; k++) {
        int t = out_t[k];
        if (t >= 0 && ip->last_use[t] == 0 && ip->has[t] &&
            g->tensors[t].n_consumers == 0 && !(g->tensors[t].flags & TENSOR_OUTPUT) &&
            !ip->opts.capture)
            drop_value(ip, t);
    }
    return 0;
}

int interp_run(struct interp *ip, struct errbuf *eb)
{
    const struct graph *g = ip->g;
    /* forget the previous run's values; their buffers stay for interp_out to reuse, once
       the aliases (reshapes) that share them let go */
    for (size_t t = 0; t < g->n_tensors; t++) {
        if (g->tensors[t].flags & TENSOR_INPUT)
            continue;
        if (ip->alias[t]) {
            buf_unref(ip->bufs[t]);
            ip->bufs[t] = NULL;
            ip->alias[t] = false;
        }
        ip->has[t] = false;
        memset(&ip->vals[t], 0, sizeof ip->vals[t]);
    }
    size_t done = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        if (ip->steps[i].kind == STEP_SKIP)
            continue;
        int rc = run_step(ip, i, &done, eb);
        if (rc)
            return rc;
    }
    return 0;
}

const struct tensor_value *interp_value(const struct interp *ip, int t)
{
    if (t < 0 || (size_t)t >= ip->g->n_tensors)
        return NULL;
    if (!ip->has[t] && (ip->g->tensors[t].flags & TENSOR_CONST))
        set_const((struct interp *)ip, t);
    return ip->has[t] ? &ip->vals[t] : NULL;
}
