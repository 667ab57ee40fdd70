/*
 * Per-layer tables behind a struct tui_source (see tui_table.h). Data that the tui holds by
 * pointer (placement strings, tensors) is written once and then immutable, so the lock only
 * has to cover the "is it set" flags, the growing section texts and the progress counters.
 */
#include "tui_table.h"

#include <string.h>

#include "mem.h"
#include "sbuf.h"
#include "banned.h"

struct tui_table_row {
    bool has_place;
    enum tui_target target;
    char *target_name;                      /* mem_alloc */
    char *kernel;                           /* mem_alloc or NULL */
    unsigned char status;                   /* enum tui_status */
    struct sbuf sec[TUI_SECTION_COUNT];
    bool has_tensor[2];                     /* [enum tui_trace] */
    struct tensor_value tensor[2];          /* data: mem_alloc */
};

/* Which callbacks to announce (a NULL callback hides the list column). */
struct table_any {
    bool place, status, section, tensor;
};

int tui_table_init(struct tui_table *tb, size_t n_layers, struct errbuf *eb)
{
    memset(tb, 0, sizeof *tb);
    tb->rows = mem_calloc(n_layers ? n_layers : 1, sizeof *tb->rows);
    if (tb->rows == NULL)
        return errbuf_set(eb, ST_ENOMEM, "tui table: out of memory for %zu layers", n_layers);
    if (pthread_mutex_init(&tb->lock, NULL) != 0) {
        mem_free(tb->rows);
        tb->rows = NULL;
        return errbuf_set(eb, ST_EINTERNAL, "tui table: cannot create a mutex");
    }
    tb->n_layers = n_layers;
    for (size_t i = 0; i < n_layers; i++)
        for (int s = 0; s < TUI_SECTION_COUNT; s++)
            sbuf_init(&tb->rows[i].sec[s]);
    return 0;
}

void tui_table_release(struct tui_table *tb)
{
    if (tb->rows == NULL)
        return;
    for (size_t i = 0; i < tb->n_layers; i++) {
        struct tui_table_row *r = &tb->rows[i];
        mem_free(r->target_name);
        mem_free(r->kernel);
        for (int s = 0; s < TUI_SECTION_COUNT; s++)
            sbuf_release(&r->sec[s]);
        mem_free(r->tensor[0].data);
        mem_free(r->tensor[1].data);
    }
    mem_free(tb->rows);
    tb->rows = NULL;
    pthread_mutex_destroy(&tb->lock);
}

static struct table_any scan_any(struct tui_table *tb)
{
    struct table_any a = {false, false, false, tb->expect_tensors};
    for (size_t i = 0; i < tb->n_layers; i++) {
        const struct tui_table_row *r = &tb->rows[i];
        a.place |= r->has_place;
        a.status |= r->status != TUI_STATUS_NONE;
        a.tensor |= r->has_tensor[0] || r->has_tensor[1];
        for (int s = 0; s < TUI_SECTION_COUNT; s++)
            a.section |= r->sec[s].len > 0;
    }
    return a;
}

static bool cb_place(void *ctx, size_t layer, struct tui_place *out)
{
    struct tui_table *tb = ctx;
    bool ok = false;
    if (layer >= tb->n_layers)
        return false;
    pthread_mutex_lock(&tb->lock);
    const struct tui_table_row *r = &tb->rows[layer];
    if (r->has_place) {
        out->target = r->target;
        out->target_name = r->target_name;
        out->kernel = r->kernel;
        ok = true;
    }
    pthread_mutex_unlock(&tb->lock);
    return ok;
}

static enum tui_status cb_status(void *ctx, size_t layer)
{
    struct tui_table *tb = ctx;
    if (layer >= tb->n_layers)
        return TUI_STATUS_NONE;
    pthread_mutex_lock(&tb->lock);
    enum tui_status st = (enum tui_status)tb->rows[layer].status;
    pthread_mutex_unlock(&tb->lock);
    return st;
}

static void cb_section(void *ctx, size_t layer, enum tui_section sec, struct sbuf *out)
{
    struct tui_table *tb = ctx;
    if (layer >= tb->n_layers || (unsigned)sec >= TUI_SECTION_COUNT)
        return;
    pthread_mutex_lock(&tb->lock);
    const struct sbuf *sb = &tb->rows[layer].sec[sec];
    sbuf_addn(out, sbuf_str(sb), sb->len);
    pthread_mutex_unlock(&tb->lock);
}

static bool cb_tensor(void *ctx, size_t layer, enum tui_trace which, struct tensor_value *out)
{
    struct tui_table *tb = ctx;
    bool ok = false;
    if (layer >= tb->n_layers || (which != TUI_TRACE_REF && which != TUI_TRACE_BOARD))
        return false;
    pthread_mutex_lock(&tb->lock);
    if (tb->rows[layer].has_tensor[which]) {
        *out = tb->rows[layer].tensor[which];
        ok = true;
    }
    pthread_mutex_unlock(&tb->lock);
    return ok;
}

void tui_table_source(struct tui_table *tb, struct tui_source *src)
{
    pthread_mutex_lock(&tb->lock);
    struct table_any a = scan_any(tb);
    pthread_mutex_unlock(&tb->lock);
    *src = (struct tui_source){
        .ctx = tb,
        .place = a.place ? cb_place : NULL,
        .status = a.status ? cb_status : NULL,
        .section = a.section ? cb_section : NULL,
        .tensor = a.tensor ? cb_tensor : NULL,
    };
}

void tui_table_expect_tensors(struct tui_table *tb)
{
    pthread_mutex_lock(&tb->lock);
    tb->expect_tensors = true;
    pthread_mutex_unlock(&tb->lock);
}

int tui_table_set_place(struct tui_table *tb, size_t layer, enum tui_target target,
                        const char *target_name, const char *kernel, struct errbuf *eb)
{
    if (layer >= tb->n_layers)
        return errbuf_set(eb, ST_EINVAL, "tui table: layer %zu out of range (%zu layers)", layer,
                          tb->n_layers);
    char *tn = mem_strdup(target_name ? target_name : "?");
    char *kn = kernel ? mem_strdup(kernel) : NULL;
    if (tn == NULL || (kernel != NULL && kn == NULL)) {
        mem_free(tn);
        mem_free(kn);
        return errbuf_set(eb, ST_ENOMEM, "tui table: out of memory");
    }
    pthread_mutex_lock(&tb->lock);
    struct tui_table_row *r = &tb->rows[layer];
    bool was = r->has_place;
    if (!was) {
        r->target = target;
        r->target_name = tn;
        r->kernel = kn;
        r->has_place = true;
        tb->dirty = true;
    }
    pthread_mutex_unlock(&tb->lock);
    if (was) {
        mem_free(tn);
        mem_free(kn);
        return errbuf_set(eb, ST_EINVAL, "tui table: layer %zu: placement already set", layer);
    }
    return 0;
}

void tui_table_set_status(struct tui_table *tb, size_t layer, enum tui_status st)
{
    if (layer >= tb->n_layers || (unsigned)st >= TUI_STATUS_COUNT)
        return;
    pthread_mutex_lock(&tb->lock);
    tb->rows[layer].status = (unsigned char)st;
    tb->dirty = true;
    pthread_mutex_unlock(&tb->lock);
}

int tui_table_add_section(struct tui_table *tb, size_t layer, enum tui_section sec,
                          const char *text, struct errbuf *eb)
{
    if (layer >= tb->n_layers || (unsigned)sec >= TUI_SECTION_COUNT)
        return errbuf_set(eb, ST_EINVAL, "tui table: layer %zu or section %d out of range",
                          layer, (int)sec);
    pthread_mutex_lock(&tb->lock);
    struct sbuf *sb = &tb->rows[layer].sec[sec];
    sbuf_add(sb, text);
    bool failed = sbuf_failed(sb);
    tb->dirty = true;
    pthread_mutex_unlock(&tb->lock);
    return failed ? errbuf_set(eb, ST_ENOMEM, "tui table: out of memory") : 0;
}

int tui_table_set_tensor(struct tui_table *tb, size_t layer, enum tui_trace which,
                         const struct tensor_value *v, struct errbuf *eb)
{
    if (layer >= tb->n_layers || (which != TUI_TRACE_REF && which != TUI_TRACE_BOARD))
        return errbuf_set(eb, ST_EINVAL, "tui table: layer %zu out of range (%zu layers)", layer,
                          tb->n_layers);
    void *copy = mem_alloc(v->bytes ? v->bytes : 1);
    if (copy == NULL)
        return errbuf_set(eb, ST_ENOMEM, "tui table: layer %zu: out of memory for %zu bytes",
                          layer, v->bytes);
    if (v->bytes)
        memcpy(copy, v->data, v->bytes);
    pthread_mutex_lock(&tb->lock);
    struct tui_table_row *r = &tb->rows[layer];
    bool was = r->has_tensor[which];
    if (!was) {
        r->tensor[which] = *v;
        r->tensor[which].data = copy;
        r->has_tensor[which] = true;
        tb->dirty = true;
    }
    pthread_mutex_unlock(&tb->lock);
    if (was) {
        mem_free(copy);
        return errbuf_set(eb, ST_EINVAL, "tui table: layer %zu: %s tensor already set", layer,
                          which == TUI_TRACE_REF ? "reference" : "board");
    }
    return 0;
}

void tui_table_progress(struct tui_table *tb, size_t done, size_t total)
{
    pthread_mutex_lock(&tb->lock);
    tb->done = done;
    tb->total = total;
    pthread_mutex_unlock(&tb->lock);
}

bool tui_table_tick(void *ctx, struct tui *t)
{
    struct tui_table *tb = ctx;
    pthread_mutex_lock(&tb->lock);
    bool dirty = tb->dirty;
    size_t done = tb->done, total = tb->total;
    tb->dirty = false;
    pthread_mutex_unlock(&tb->lock);
    bool moved = done != t->progress_done || total != t->progress_total;
    if (moved)
        tui_progress(t, done, total);
    if (dirty) {
        struct tui_source src;
        tui_table_source(tb, &src);
        tui_set_source(t, &src, NULL);
    }
    return dirty || moved;
}
