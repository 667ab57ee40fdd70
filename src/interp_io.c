/*
 * Input files for the interpreter: .npy (dump/npy), ONNX TensorProto .pb (the ONNX loader's
 * reader) and raw little-endian bytes whose dtype and shape the user gives.
 */
#include <string.h>

#include "dump/npy.h"
#include "fileio.h"
#include "interp.h"
#include "mem.h"
#include "onnx.h"

#include "banned.h"

int interp_read_input(const char *path, enum dtype raw_dtype,
                      const struct shape_override *raw_shape, struct tensor_value *out,
                      struct errbuf *eb)
{
    if (fileio_has_suffix(path, ".npy"))
        return npy_read_file(path, out, eb);
    if (fileio_has_suffix(path, ".pb"))
        return onnx_read_tensor_pb(path, out, eb);
    if (raw_dtype == DTYPE_UNKNOWN || dtype_bytes(raw_dtype) == 0 || !raw_shape ||
        raw_shape->rank <= 0)
        return errbuf_set(eb, ST_EINVAL,
                          "%s: raw input needs --input-dtype and --input-shape (or use .npy/.pb)",
                          path);
    size_t n = 1, bytes;
    for (int i = 0; i < raw_shape->rank; i++)
        if (!size_mul(n, (size_t)raw_shape->dims[i], &n))
            return errbuf_set(eb, ST_ELIMIT, "%s: shape too large", path);
    if (!size_mul(n, dtype_bytes(raw_dtype), &bytes))
        return errbuf_set(eb, ST_ELIMIT, "%s: shape too large", path);
    struct filebuf fb;
    int rc = filebuf_open(&fb, path, eb);
    if (rc)
        return rc;
    if (fb.bytes != bytes) {
        filebuf_release(&fb);
        return errbuf_set(eb, ST_EINVAL, "%s: %zu bytes, expected %zu for %s of %zu elements",
                          path, fb.bytes, bytes, dtype_name(raw_dtype), n);
    }
    void *data = mem_alloc(bytes ? bytes : 1);
    if (!data) {
        filebuf_release(&fb);
        return errbuf_set(eb, ST_ENOMEM, "%s: out of memory", path);
    }
    if (bytes)
        memcpy(data, fb.data, bytes);
    filebuf_release(&fb);
    memset(out, 0, sizeof *out);
    out->dtype = raw_dtype;
    out->rank = raw_shape->rank;
    memcpy(out->dims, raw_shape->dims, sizeof(int64_t) * (size_t)raw_shape->rank);
    out->data = data;
    out->bytes = bytes;
    return 0;
}

static int input_index(const struct graph *g, const char *name)
{
    for (size_t i = 0; i < g->n_inputs; i++)
        if (strcmp(g->tensors[g->inputs[i]].name, name) == 0)
            return (int)i;
    return -1;
}

static const struct shape_override *shape_for(const struct tensor *t, size_t n_shapes,
                                              const struct shape_override *shapes,
                                              struct shape_override *tmp)
{
    for (size_t i = 0; i < n_shapes; i++)
        if (shapes[i].name && strcmp(shapes[i].name, t->name) == 0)
            return &shapes[i];
    for (size_t i = 0; i < n_shapes; i++)
        if (!shapes[i].name)
            return &shapes[i];
    if (t->rank <= 0)
        return NULL;
    memset(tmp, 0, sizeof *tmp);
    tmp->rank = t->rank;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] < 0)
            return NULL;
        tmp->dims[i] = t->dims[i];
    }
    return tmp;
}

void interp_inputs_release(struct interp_inputs *in)
{
    if (in->vals)
        for (size_t i = 0; i < in->n; i++)
            mem_free(in->vals[i].data);
    mem_free(in->vals);
    mem_free(in->tensors);
    memset(in, 0, sizeof *in);
}

int interp_inputs_load(const struct graph *g, size_t n_specs, const char *const *specs,
                       enum dtype raw_dtype, size_t n_shapes, const struct shape_override *shapes,
                       struct interp_inputs *out, struct errbuf *eb)
{
    struct interp_inputs in = {0};
    size_t ni = g->n_inputs;
    int *slot_of = mem_calloc(n_specs ? n_specs : 1, sizeof *slot_of);
    bool *taken = mem_calloc(ni ? ni : 1, sizeof *taken);
    const char **files = mem_calloc(n_specs ? n_specs : 1, sizeof *files);
    char **names = mem_calloc(n_specs ? n_specs : 1, sizeof *names);
    in.tensors = mem_calloc(n_specs ? n_specs : 1, sizeof *in.tensors);
    in.vals = mem_calloc(n_specs ? n_specs : 1, sizeof *in.vals);
    int rc = 0;
    if (!slot_of || !taken || !files || !names || !in.tensors || !in.vals) {
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
        goto out;
    }
    /* named ones first, so unnamed ones fill the remaining inputs in order */
    for (size_t k = 0; k < n_specs && !rc; k++) {
        const char *eq = strchr(specs[k], '=');
        slot_of[k] = -1;
        files[k] = specs[k];
        if (eq && !fileio_exists(specs[k])) {
            names[k] = mem_strndup(specs[k], (size_t)(eq - specs[k]));
            if (!names[k]) {
                rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
                break;
            }
            int s = input_index(g, names[k]);
            if (s < 0) {
                rc = errbuf_set(eb, ST_EINVAL, "%s: no graph input named '%s'", g->path,
                                names[k]);
                break;
            }
            if (taken[s]) {
                rc = errbuf_set(eb, ST_EINVAL, "%s: input '%s' given twice", g->path, names[k]);
                break;
            }
            taken[s] = true;
            slot_of[k] = s;
            files[k] = eq + 1;
        }
    }
    for (size_t k = 0, next = 0; k < n_specs && !rc; k++) {
        if (slot_of[k] >= 0)
            continue;
        while (next < ni && taken[next])
            next++;
        if (next == ni) {
            rc = errbuf_set(eb, ST_EINVAL, "%s: more --input files than the model has inputs (%zu)",
                            files[k], ni);
            break;
        }
        taken[next] = true;
        slot_of[k] = (int)next;
    }
    for (size_t s = 0; s < ni && !rc; s++)
        if (!taken[s])
            rc = errbuf_set(eb, ST_EINVAL, "%s: input '%s' has no --input value", g->path,
                            g->tensors[g->inputs[s]].name);
    for (size_t k = 0; k < n_specs && !rc; k++) {
        const struct tensor *t = &g->tensors[g->inputs[slot_of[k]]];
        struct shape_override tmp;
        rc = interp_read_input(files[k], raw_dtype, shape_for(t, n_shapes, shapes, &tmp),
                               &in.vals[k], eb);
        if (!rc) {
            in.tensors[k] = g->inputs[slot_of[k]];
            in.n = k + 1;
        }
    }
out:
    if (names)
        for (size_t k = 0; k < n_specs; k++)
            mem_free(names[k]);
    mem_free(names);
    mem_free(files);
    mem_free(taken);
    mem_free(slot_of);
    if (rc) {
        interp_inputs_release(&in);
        return rc;
    }
    *out = in;
    return 0;
}

int interp_inputs_bind(struct interp *ip, const struct interp_inputs *in, struct errbuf *eb)
{
    for (size_t k = 0; k < in->n; k++) {
        int rc = interp_set_input(ip, in->tensors[k], &in->vals[k], eb);
        if (rc)
            return rc;
    }
    return 0;
}
