/*
 * MLF JSON files (cJSON): metadata.json in its flat v5 and nested v7 layouts (later versions
 * read best-effort with a warning), and the graph executor's graph JSON, whose tvm_op nodes
 * give the step order when there is no AOT main.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlf_int.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "mem.h"
#include "banned.h"

static cJSON *parse_json(const char *name, const char *src, size_t len, struct errbuf *eb)
{
    static const cJSON_Hooks hooks = {mem_alloc, mem_free};
    cJSON_InitHooks((cJSON_Hooks *)&hooks);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(src, len, &end, 0);
    if (root == NULL) {
        /* cJSON reports out-of-memory as a parse failure: tell them apart */
        void *probe = mem_alloc(64);
        if (probe == NULL) {
            errbuf_set(eb, ST_ENOMEM, "%s: out of memory", name);
            return NULL;
        }
        mem_free(probe);
        size_t off = end != NULL && end >= src && end <= src + len ? (size_t)(end - src) : 0;
        unsigned line = 1;
        for (size_t i = 0; i < off; i++)
            line += src[i] == '\n';
        errbuf_set(eb, ST_EPARSE, "%s:%u: offset %zu: malformed JSON", name, line, off);
    }
    return root;
}

static const char *str_of(struct mlf *m, const cJSON *o, const char *key, struct errbuf *eb,
                          int *rc)
{
    const cJSON *v = key ? cJSON_GetObjectItemCaseSensitive(o, key) : o;
    if (!cJSON_IsString(v) || v->valuestring == NULL)
        return NULL;
    const char *s = arena_strdup(&m->arena, v->valuestring);
    if (s == NULL)
        *rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    return s;
}

static long long num_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
        v->valuedouble > 9.0e15)
        return -1;
    return (long long)v->valuedouble;
}

static int io_list(struct mlf *m, const cJSON *obj, struct mlf_io **out, size_t *n,
                   struct errbuf *eb)
{
    int rc = 0;
    size_t k = 0, cnt = (size_t)cJSON_GetArraySize(obj);
    if (!cJSON_IsObject(obj) || cnt == 0)
        return 0;
    struct mlf_io *ios = arena_array(&m->arena, cnt, sizeof *ios);
    if (ios == NULL)
        return errbuf_set(eb, ST_ENOMEM, "out of memory");
    const cJSON *it;
    cJSON_ArrayForEach(it, obj)
    {
        if (k >= cnt)
            break;
        struct mlf_io *io = &ios[k++];
        memset(io, 0, sizeof *io);
        io->name = arena_strdup(&m->arena, it->string ? it->string : "");
        if (io->name == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        io->meta_name = io->name;
        const char *dt = str_of(m, it, "dtype", eb, &rc);
        if (rc != 0)
            return rc;
        io->dtype = dt ? mlf_dtype_from_name(dt) : MLF_DT_UNKNOWN;
        io->bytes = num_of(it, "size");
    }
    *out = ios;
    *n = k;
    return 0;
}

static int read_module(struct mlf *m, const char *name, const cJSON *mod, struct errbuf *eb)
{
    struct mlf_meta *md = &m->meta;
    int rc = 0;
    const cJSON *it;

    md->module = str_of(m, mod, "model_name", eb, &rc);
    md->style = str_of(m, mod, "style", eb, &rc);
    md->export_datetime = str_of(m, mod, "export_datetime", eb, &rc);
    if (rc != 0)
        return rc;

    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(mod, "executors");
    if (cJSON_IsArray(ex) && cJSON_GetArraySize(ex) > 0) {
        size_t n = (size_t)cJSON_GetArraySize(ex), k = 0;
        md->executors = arena_array(&m->arena, n, sizeof(char *));
        if (md->executors == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        cJSON_ArrayForEach(it, ex)
        {
            const char *s = str_of(m, it, NULL, eb, &rc);
            if (rc != 0)
                return rc;
            if (s != NULL && k < n)
                md->executors[k++] = s;
        }
        md->n_executors = k;
    }

    const cJSON *tg = cJSON_GetObjectItemCaseSensitive(mod, "target");
    if ((cJSON_IsArray(tg) || cJSON_IsObject(tg)) && cJSON_GetArraySize(tg) > 0) {
        size_t n = (size_t)cJSON_GetArraySize(tg), k = 0;
        md->targets = arena_array(&m->arena, n, sizeof(char *));
        md->target_devices = arena_array(&m->arena, n, sizeof(char *));
        if (md->targets == NULL || md->target_devices == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        cJSON_ArrayForEach(it, tg)
        {
            const char *s = str_of(m, it, NULL, eb, &rc);
            if (rc != 0)
                return rc;
            if (s == NULL || k >= n)
                continue;
            md->targets[k] = s;
            md->target_devices[k] = NULL;
            if (cJSON_IsObject(tg) && it->string != NULL &&
                (md->target_devices[k] = arena_strdup(&m->arena, it->string)) == NULL)
                return errbuf_set(eb, ST_ENOMEM, "out of memory");
            k++;
        }
        md->n_targets = k;
    } else if (cJSON_IsString(tg)) {
        md->targets = arena_array(&m->arena, 1, sizeof(char *));
        md->target_devices = arena_array(&m->arena, 1, sizeof(char *));
        if (md->targets == NULL || md->target_devices == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        md->targets[0] = str_of(m, tg, NULL, eb, &rc);
        md->target_devices[0] = NULL;
        md->n_targets = md->targets[0] ? 1 : 0;
    }

    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(mod, "memory");
    const cJSON *fns = cJSON_GetObjectItemCaseSensitive(mem, "functions");
    const cJSON *mainl = cJSON_GetObjectItemCaseSensitive(fns, "main");
    const cJSON *m0 = cJSON_IsArray(mainl) ? cJSON_GetArrayItem(mainl, 0) : NULL;
    if (cJSON_IsObject(m0)) {
        md->constants_bytes = num_of(m0, "constants_size_bytes");
        md->io_bytes = num_of(m0, "io_size_bytes");
        md->workspace_bytes = num_of(m0, "workspace_size_bytes");
        if ((rc = io_list(m, cJSON_GetObjectItemCaseSensitive(m0, "inputs"), &md->inputs,
                          &md->n_inputs, eb)) != 0 ||
            (rc = io_list(m, cJSON_GetObjectItemCaseSensitive(m0, "outputs"), &md->outputs,
                          &md->n_outputs, eb)) != 0)
            return rc;
    }
    const cJSON *ops = cJSON_GetObjectItemCaseSensitive(fns, "operator_functions");
    if (cJSON_IsArray(ops) && cJSON_GetArraySize(ops) > 0) {
        size_t n = (size_t)cJSON_GetArraySize(ops), k = 0;
        md->opfns = arena_array(&m->arena, n, sizeof *md->opfns);
        if (md->opfns == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        cJSON_ArrayForEach(it, ops)
        {
            const char *fn = str_of(m, it, "function_name", eb, &rc);
            if (rc != 0)
                return rc;
            if (fn == NULL || k >= n)
                continue;
            md->opfns[k].name = fn;
            md->opfns[k].workspace_bytes = -1;
            const cJSON *ws = cJSON_GetObjectItemCaseSensitive(it, "workspace");
            const cJSON *w;
            cJSON_ArrayForEach(w, ws)
            {
                long long b = num_of(w, "workspace_size_bytes");
                if (b >= 0)
                    md->opfns[k].workspace_bytes =
                        (md->opfns[k].workspace_bytes < 0 ? 0 : md->opfns[k].workspace_bytes) + b;
            }
            k++;
        }
        md->n_opfns = k;
    }
    const cJSON *sids = cJSON_GetObjectItemCaseSensitive(mem, "sids");
    if (cJSON_IsArray(sids) && cJSON_GetArraySize(sids) > 0) {
        size_t n = (size_t)cJSON_GetArraySize(sids), k = 0;
        md->sids = arena_array(&m->arena, n, sizeof *md->sids);
        if (md->sids == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        cJSON_ArrayForEach(it, sids)
        {
            if (k >= n)
                break;
            md->sids[k].storage_id = num_of(it, "storage_id");
            md->sids[k].bytes = num_of(it, "size_bytes");
            md->sids[k].input_binding = str_of(m, it, "input_binding", eb, &rc);
            if (rc != 0)
                return rc;
            k++;
        }
        md->n_sids = k;
    }
    const cJSON *deps = cJSON_GetObjectItemCaseSensitive(mod, "external_dependencies");
    if (cJSON_IsArray(deps) && cJSON_GetArraySize(deps) > 0) {
        size_t n = (size_t)cJSON_GetArraySize(deps), k = 0;
        md->deps = arena_array(&m->arena, n, sizeof *md->deps);
        if (md->deps == NULL)
            return errbuf_set(eb, ST_ENOMEM, "out of memory");
        cJSON_ArrayForEach(it, deps)
        {
            if (k >= n)
                break;
            md->deps[k].short_name = str_of(m, it, "short_name", eb, &rc);
            md->deps[k].url = str_of(m, it, "url", eb, &rc);
            md->deps[k].url_type = str_of(m, it, "url_type", eb, &rc);
            md->deps[k].version_spec = str_of(m, it, "version_spec", eb, &rc);
            if (rc != 0)
                return rc;
            k++;
        }
        md->n_deps = k;
    }
    (void)name;
    return 0;
}

int mlf_parse_metadata(struct mlf *m, const char *name, const char *src, size_t len,
                       struct errbuf *eb)
{
    int rc;
    if ((rc = mlf_priv_get(m, eb)) != 0)
        return rc;
    cJSON *root = parse_json(name, src, len, eb);
    if (root == NULL)
        return eb && eb->code ? eb->code : ST_EPARSE;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return errbuf_set(eb, ST_EPARSE, "%s: offset 0: expected a JSON object", name);
    }
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!cJSON_IsNumber(ver) || ver->valuedouble < 1 || ver->valuedouble > 1000) {
        cJSON_Delete(root);
        return errbuf_set(eb, ST_EPARSE, "%s: missing or bad \"version\"", name);
    }
    m->meta.version = (int)ver->valuedouble;
    const cJSON *mods = cJSON_GetObjectItemCaseSensitive(root, "modules");
    const cJSON *mod = root;
    if (cJSON_IsObject(mods)) {
        mod = cJSON_GetObjectItemCaseSensitive(mods, "default");
        if (!cJSON_IsObject(mod))
            mod = mods->child;
        if (cJSON_GetArraySize(mods) > 1)
            mlf_warn(m, "%s: %d modules; only \"%s\" is read", name, cJSON_GetArraySize(mods),
                     mod && mod->string ? mod->string : "?");
        if (!cJSON_IsObject(mod)) {
            cJSON_Delete(root);
            return errbuf_set(eb, ST_EPARSE, "%s: \"modules\" holds no module object", name);
        }
    }
    if (m->meta.version != 5 && m->meta.version != 7)
        mlf_warn(m, "%s: metadata version %d is not one of the known 5 and 7; read best-effort",
                 name, m->meta.version);
    rc = read_module(m, name, mod, eb);
    if (rc == 0 && m->meta.module == NULL && cJSON_IsObject(mods) && mod->string != NULL &&
        (m->meta.module = arena_strdup(&m->arena, mod->string)) == NULL)
        rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
    cJSON_Delete(root);
    return rc;
}

int mlf_parse_graph_json(struct mlf *m, const char *name, const char *src, size_t len,
                         struct errbuf *eb)
{
    int rc;
    if ((rc = mlf_priv_get(m, eb)) != 0)
        return rc;
    cJSON *root = parse_json(name, src, len, eb);
    if (root == NULL)
        return eb && eb->code ? eb->code : ST_EPARSE;
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(root, "nodes");
    if (!cJSON_IsArray(nodes)) {
        cJSON_Delete(root);
        return errbuf_set(eb, ST_EPARSE, "%s: expected an object with a \"nodes\" list", name);
    }
    int n_nodes = cJSON_GetArraySize(nodes);
    const cJSON *heads = cJSON_GetObjectItemCaseSensitive(root, "heads");
    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(root, "attrs");
    const cJSON *sid_l = cJSON_GetObjectItemCaseSensitive(attrs, "storage_id");
    const cJSON *sids = cJSON_IsArray(sid_l) ? cJSON_GetArrayItem(sid_l, 1) : NULL;
    const cJSON *node;
    int idx = 0;
    m->priv->graph_steps = true;
    cJSON_ArrayForEach(node, nodes)
    {
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(node, "op");
        int this_idx = idx++;
        if (!cJSON_IsString(op) || strcmp(op->valuestring, "tvm_op") != 0)
            continue;
        const cJSON *na = cJSON_GetObjectItemCaseSensitive(node, "attrs");
        const char *fn = str_of(m, na, "func_name", eb, &rc);
        if (rc != 0)
            goto out;
        if (fn == NULL) {
            rc = errbuf_set(eb, ST_EPARSE, "%s: node %d: tvm_op without attrs.func_name", name,
                            this_idx);
            goto out;
        }
        if (strcmp(fn, "__nop") == 0 || strcmp(fn, "__copy") == 0)
            continue;
        const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(node, "inputs");
        size_t n_in = cJSON_IsArray(inputs) ? (size_t)cJSON_GetArraySize(inputs) : 0;
        size_t n_args = n_in + 1;
        struct mlf_arg *args = arena_array(&m->arena, n_args, sizeof *args);
        if (args == NULL) {
            rc = errbuf_set(eb, ST_ENOMEM, "out of memory");
            goto out;
        }
        memset(args, 0, n_args * sizeof *args);
        size_t k = 0;
        const cJSON *in;
        cJSON_ArrayForEach(in, inputs)
        {
            if (k >= n_in)
                break;
            struct mlf_arg *a = &args[k++];
            a->io = a->pool = a->constant = -1;
            const cJSON *src_i = cJSON_GetArrayItem(in, 0);
            if (!cJSON_IsNumber(src_i) || src_i->valuedouble < 0 || src_i->valuedouble >= n_nodes) {
                rc = errbuf_set(eb, ST_EPARSE, "%s: node %d: input refers to a missing node", name,
                                this_idx);
                goto out;
            }
            int si = (int)src_i->valuedouble;
            const cJSON *sn = cJSON_GetArrayItem(nodes, si);
            const cJSON *sop = cJSON_GetObjectItemCaseSensitive(sn, "op");
            const char *sname = str_of(m, sn, "name", eb, &rc);
            if (rc != 0)
                goto out;
            a->text = a->var = sname ? sname : "";
            if (cJSON_IsString(sop) && strcmp(sop->valuestring, "null") == 0) {
                bool is_param = false;
                for (size_t j = 0; j < m->n_params; j++)
                    is_param = is_param || (sname && strcmp(m->params[j].name, sname) == 0);
                if (sname && sname[0] == 'p' && sname[1] >= '0' && sname[1] <= '9')
                    is_param = true;
                a->kind = is_param ? MLF_ARG_WEIGHT : MLF_ARG_INPUT;
            } else {
                a->kind = MLF_ARG_WORKSPACE;
            }
            const cJSON *sid = sids ? cJSON_GetArrayItem(sids, si) : NULL;
            if (cJSON_IsNumber(sid) && a->kind == MLF_ARG_WORKSPACE && sid->valuedouble >= 0 &&
                sid->valuedouble < 1e15) {
                long long id = (long long)sid->valuedouble;
                a->offset = 0;
                for (size_t j = 0; j < m->meta.n_sids; j++)
                    if (m->meta.sids[j].storage_id == id && m->meta.sids[j].bytes >= 0)
                        a->bytes = (size_t)m->meta.sids[j].bytes;
            }
        }
        /* the node's own output */
        struct mlf_arg *o = &args[k++];
        o->io = o->pool = o->constant = -1;
        o->kind = MLF_ARG_WORKSPACE;
        const char *nname = str_of(m, node, "name", eb, &rc);
        if (rc != 0)
            goto out;
        o->text = o->var = nname ? nname : fn;
        const cJSON *h;
        cJSON_ArrayForEach(h, heads)
        {
            const cJSON *h0 = cJSON_GetArrayItem(h, 0);
            if (cJSON_IsNumber(h0) && h0->valuedouble == (double)this_idx)
                o->kind = MLF_ARG_OUTPUT;
        }
        struct mlf_step *s =
            mlf_grow(m, (void **)&m->steps, &m->n_steps, &m->priv->cap_steps, sizeof *s, eb);
        if (s == NULL) {
            rc = ST_ENOMEM;
            goto out;
        }
        s->index = m->n_steps - 1;
        s->function = fn;
        s->func = -1;
        s->args = args;
        s->n_args = k;
    }
    rc = 0;
out:
    cJSON_Delete(root);
    return rc;
}
