/*
 * Generated graphs and per-node layer forming for the TUI (see tui_synth.h). The generated
 * network only needs to look like a deployed int8 CNN: names, shapes, quantization and
 * constant data. It is also runnable (SAME padding, shapes that line up), so --input on it
 * exercises the background reference run at any size.
 */
#include "tui_synth.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "banned.h"

int tui_synth_layers(struct graph *g, struct errbuf *eb)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].op, "Constant") != 0)
            n++;
    struct layer *layers = arena_array(&g->arena, n ? n : 1, sizeof *layers);
    if (layers == NULL)
        return errbuf_set(eb, ST_ENOMEM, "%s: out of memory forming layers", g->path);
    size_t li = 0;
    for (size_t i = 0; i < g->n_nodes; i++) {
        const struct node *nd = &g->nodes[i];
        if (strcmp(nd->op, "Constant") == 0)
            continue;
        struct layer *l = &layers[li];
        int *nodes = arena_array(&g->arena, 1, sizeof *nodes);
        int *ins = arena_array(&g->arena, nd->n_inputs ? nd->n_inputs : 1, sizeof *ins);
        if (nodes == NULL || ins == NULL)
            return errbuf_set(eb, ST_ENOMEM, "%s: out of memory forming layers", g->path);
        memset(l, 0, sizeof *l);
        nodes[0] = (int)i;
        size_t k = 0;
        for (int pass = 0; pass < 2; pass++)
            for (size_t j = 0; j < nd->n_inputs; j++) {
                int ti = nd->inputs[j];
                if (ti < 0)
                    continue;
                bool is_const = (g->tensors[ti].flags & TENSOR_CONST) != 0;
                if (is_const == (pass == 1))
                    ins[k++] = ti;
            }
        l->name = nd->n_outputs ? g->tensors[nd->outputs[0]].name : nd->name;
        l->op = nd->op;
        l->kind = LAYER_TFLITE;
        l->main_node = (int)i;
        l->n_nodes = 1;
        l->nodes = nodes;
        l->n_inputs = k;
        l->inputs = ins;
        l->n_outputs = nd->n_outputs;
        l->outputs = nd->outputs;
        li++;
    }
    li = 0;
    for (size_t i = 0; i < g->n_nodes; i++)
        g->nodes[i].layer = strcmp(g->nodes[i].op, "Constant") == 0 ? -1 : (int)li++;
    g->layers = layers;
    g->n_layers = n;
    return 0;
}

#define SYN_C 8     /* channels */
#define SYN_HW 16   /* height and width */

static int act_tensor(struct graph *g, const char *name, struct errbuf *eb)
{
    int ti = graph_tensor(g, name, eb);
    if (ti < 0)
        return ti;
    struct tensor *t = &g->tensors[ti];
    float *scale = arena_alloc(&g->arena, sizeof *scale);
    int32_t *zp = arena_alloc(&g->arena, sizeof *zp);
    if (scale == NULL || zp == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    *scale = 0.0235294f;
    *zp = -128;
    t->dtype = DTYPE_S8;
    t->rank = 4;
    t->dims[0] = 1;
    t->dims[1] = SYN_HW;
    t->dims[2] = SYN_HW;
    t->dims[3] = SYN_C;
    t->layout = LAYOUT_NHWC;
    t->quant = (struct quant){1, 0, scale, zp};
    return ti;
}

static int const_tensor(struct graph *g, const char *name, enum dtype dt, int rank,
                        const int64_t *dims, unsigned seed, bool per_channel, struct errbuf *eb)
{
    int ti = graph_tensor(g, name, eb);
    if (ti < 0)
        return ti;
    size_t n = 1;
    for (int d = 0; d < rank; d++)
        n *= (size_t)dims[d];
    size_t eb_ = dtype_bytes(dt);
    unsigned char *data = arena_alloc(&g->arena, n * eb_);
    float *scale = arena_alloc(&g->arena, SYN_C * sizeof *scale);
    int32_t *zp = arena_zalloc(&g->arena, SYN_C * sizeof *zp);
    if (data == NULL || scale == NULL || zp == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        int v = (int)((i * 37u + seed * 11u) % 255u) - 127;
        if (dt == DTYPE_S8) {
            data[i] = (unsigned char)(int8_t)v;
        } else {
            int32_t w = v * 100;
            uint32_t u = (uint32_t)w;
            for (size_t k = 0; k < 4; k++)
                data[i * 4 + k] = (unsigned char)(u >> (8 * k));
        }
    }
    for (int c = 0; c < SYN_C; c++)
        scale[c] = 0.001f * (float)(c + 1 + (int)(seed % 5));
    struct tensor *t = &g->tensors[ti];
    t->dtype = dt;
    t->rank = rank;
    for (int d = 0; d < rank; d++)
        t->dims[d] = dims[d];
    t->data = data;
    t->data_bytes = n * eb_;
    t->flags |= TENSOR_CONST;
    /* Conv weights are OHWI, quantized along O; depthwise weights 1HWC, along C (TFLite). */
    if (per_channel)
        t->quant = (struct quant){SYN_C, dims[0] == 1 ? rank - 1 : 0, scale, zp};
    return ti;
}

int tui_synth_graph(struct graph *g, size_t n_layers, struct errbuf *eb)
{
    /* SAME keeps every activation 16x16, so the residual adds line up in a reference run. */
    static const struct attr same_padding[1] = {
        {.name = "padding", .type = ATTR_STRING, .s = "SAME", .s_len = 4}};
    static const int64_t wdims[4] = {SYN_C, 3, 3, SYN_C}, dwdims[4] = {1, 3, 3, SYN_C};
    static const int64_t bdims[1] = {SYN_C};
    char name[96], prev[96] = "input";
    char skip[96] = "input";
    int rc;

    g->format = GRAPH_FORMAT_TFLITE;
    g->path = "synthetic.tflite";
    int in = act_tensor(g, "input", eb);
    if (in < 0)
        return in;
    g->tensors[in].flags |= TENSOR_INPUT;
    for (size_t i = 0; i < n_layers; i++) {
        int ins[3], outs[1];
        struct node spec;
        memset(&spec, 0, sizeof spec);
        static const char *const kinds[4] = {"expand", "depthwise", "project", "add"};
        const char *kind = kinds[i % 4];
        snprintf(name, sizeof name, "block_%zu/%s", i / 4, kind);
        if ((rc = act_tensor(g, name, eb)) < 0)
            return rc;
        outs[0] = rc;
        if ((ins[0] = graph_find_tensor(g, prev)) < 0)
            return errbuf_set(eb, ST_EINTERNAL, "synthetic: lost tensor %s", prev);
        if (i % 4 == 3) {
            if ((ins[1] = graph_find_tensor(g, skip)) < 0)
                return errbuf_set(eb, ST_EINTERNAL, "synthetic: lost tensor %s", skip);
            spec.op = "ADD";
            spec.n_inputs = 2;
        } else {
            char wn[112], bn[112];
            snprintf(wn, sizeof wn, "%s/weights", name);
            snprintf(bn, sizeof bn, "%s/bias", name);
            if ((rc = const_tensor(g, wn, DTYPE_S8, 4, i % 4 == 1 ? dwdims : wdims,
                                   (unsigned)i, true, eb)) < 0)
                return rc;
            ins[1] = rc;
            if ((rc = const_tensor(g, bn, DTYPE_S32, 1, bdims, (unsigned)i, false, eb)) < 0)
                return rc;
            ins[2] = rc;
            spec.op = i % 4 == 1 ? "DEPTHWISE_CONV_2D" : "CONV_2D";
            spec.n_inputs = 3;
            spec.attrs = same_padding;
            spec.n_attrs = 1;
        }
        spec.name = g->tensors[outs[0]].name;
        spec.domain = "tflite";
        spec.inputs = ins;
        spec.n_outputs = 1;
        spec.outputs = outs;
        if ((rc = graph_add_node(g, &spec, eb)) < 0)
            return rc;
        snprintf(prev, sizeof prev, "%s", name);
        if (i % 4 == 3)
            snprintf(skip, sizeof skip, "%s", name);
    }
    int last = graph_find_tensor(g, prev);
    g->tensors[last].flags |= TENSOR_OUTPUT;
    int *gi = arena_array(&g->arena, 1, sizeof *gi), *go = arena_array(&g->arena, 1, sizeof *go);
    if (gi == NULL || go == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    gi[0] = in;
    go[0] = last;
    g->inputs = gi;
    g->n_inputs = 1;
    g->outputs = go;
    g->n_outputs = 1;
    if ((rc = graph_finish(g, eb)) < 0)
        return rc;
    return tui_synth_layers(g, eb);
}
