/*
 * gv: the view model drawn with graphviz. cgraph builds the graph in the view's box order
 * (so DOT output is byte-for-byte stable), gvc lays it out with dot and renders it; every
 * graphviz object lives and dies inside gv_render_data.
 */
#include "gv.h"

#include <stdio.h>
#include <string.h>

#include <gvc.h>
#include <cgraph.h>

#include "fileio.h"
#include "mem.h"
#include "sbuf.h"
#include "banned.h"

static const char *const format_names[] = {
#define GV_FORMAT_ROW(e, name) name,
    GV_FORMAT_LIST(GV_FORMAT_ROW)
#undef GV_FORMAT_ROW
};
_Static_assert(sizeof format_names / sizeof format_names[0] == GV_FORMAT_COUNT, "format table");

/*
 * cgraph reports errors through a callback without a context pointer (agseterrf), in pieces
 * ("Error", ": ", "text\n"), so the current line and the first error of a render are kept
 * here. This is the one mutable file-level state of gv.c; rendering is not re-entrant across
 * threads (neither is graphviz).
 */
static struct {
    char line[256];             /* the message being assembled */
    size_t line_len;
    char first_error[256];      /* first "Error: ..." line of the current render */
    char first_warning[256];    /* first "Warning: ..." line */
} gv_errors;

static void keep_line(char *dst, size_t dst_bytes, const char *msg)
{
    if (dst[0] != '\0')
        return;
    size_t n = strlen(msg);
    if (n >= dst_bytes)
        n = dst_bytes - 1;
    memcpy(dst, msg, n);
    dst[n] = '\0';
}

static void finish_line(void)
{
    char *line = gv_errors.line;
    if (gv_errors.line_len == 0)
        return;
    while (gv_errors.line_len > 0 && (line[gv_errors.line_len - 1] == '\n' ||
                                      line[gv_errors.line_len - 1] == ' '))
        line[--gv_errors.line_len] = '\0';
    if (strncmp(line, "Warning: ", 9) == 0)
        keep_line(gv_errors.first_warning, sizeof gv_errors.first_warning, line + 9);
    else if (strncmp(line, "Error: ", 7) == 0)
        keep_line(gv_errors.first_error, sizeof gv_errors.first_error, line + 7);
    else
        keep_line(gv_errors.first_error, sizeof gv_errors.first_error, line);
    gv_errors.line_len = 0;
    line[0] = '\0';
}

static int gv_error_hook(char *msg)
{
    for (; *msg != '\0'; msg++) {
        if (gv_errors.line_len + 1 < sizeof gv_errors.line) {
            gv_errors.line[gv_errors.line_len++] = *msg;
            gv_errors.line[gv_errors.line_len] = '\0';
        }
        if (*msg == '\n')
            finish_line();
    }
    return 0;
}

static const char *gv_error_text(void)
{
    finish_line();
    if (gv_errors.first_error[0] != '\0')
        return gv_errors.first_error;
    if (gv_errors.first_warning[0] != '\0')
        return gv_errors.first_warning;
    return "no message from graphviz";
}

#if defined(__SANITIZE_ADDRESS__)
#define GV_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)    /* clang */
#define GV_ASAN 1
#endif
#endif

#if defined(GV_ASAN)
/*
 * Sanitizer builds only. graphviz 2.43 leaks on every gvContext (gvconfig's copy of the
 * plugin config, fontconfig and pango caches), and its pango text-layout plugin strcmp()s
 * a font name that the previous gvFreeContext freed. Neither is ours: these hooks keep
 * ASan/LSan runs of mlfscope and tests/run about our own code. Our own allocations never
 * have a graphviz frame on their stack, so they stay checked.
 */
__attribute__((visibility("default"))) const char *__asan_default_suppressions(void);
__attribute__((visibility("default"))) const char *__lsan_default_suppressions(void);
__attribute__((visibility("default"))) const char *__lsan_default_options(void);

const char *__lsan_default_options(void)
{
    return "print_suppressions=0";
}

const char *__asan_default_suppressions(void)
{
    return "interceptor_via_lib:libgvplugin_pango.so\n";
}

const char *__lsan_default_suppressions(void)
{
    return "leak:libgvc.so\nleak:libcgraph.so\nleak:libgvplugin_\nleak:libfontconfig.so\n"
           "leak:libpango\nleak:libcairo.so\nleak:libglib-2.0.so\nleak:libgobject-2.0.so\n"
           "leak:libharfbuzz.so\n";
}
#endif

const char *gv_format_name(enum gv_format f)
{
    return (unsigned)f < GV_FORMAT_COUNT ? format_names[f] : "unknown";
}

int gv_format_from_path(const char *out_path, enum gv_format *out, struct errbuf *eb)
{
    for (int f = 0; f < GV_FORMAT_COUNT; f++) {
        char suffix[8];
        snprintf(suffix, sizeof suffix, ".%s", format_names[f]);
        if (fileio_has_suffix(out_path, suffix)) {
            *out = (enum gv_format)f;
            return 0;
        }
    }
    if (fileio_has_suffix(out_path, ".gv")) {
        *out = GV_DOT;
        return 0;
    }
    const char *dot = strrchr(out_path, '.');
    return errbuf_set(eb, ST_EINVAL,
                      "%s: unknown output format '%s' (expected .dot, .gv, .svg, .png or .pdf)",
                      out_path, dot != NULL && strchr(dot, '/') == NULL ? dot : "");
}

/* cgraph takes char * everywhere but does not write through it. */
static void set_attr(void *obj, const char *name, const char *value)
{
    agsafeset(obj, (char *)name, (char *)value, (char *)"");
}

/* A DOT escString: backslash doubled (graphviz would read \N, \G, \l), '\n' as "\n". */
static void add_escaped(struct sbuf *sb, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            sbuf_add(sb, "\\\\");
        else if (*s == '\n')
            sbuf_add(sb, "\\n");
        else if (*s == '\r')
            continue;
        else
            sbuf_addc(sb, *s);
    }
}

static void add_html_escaped(struct sbuf *sb, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sbuf_add(sb, "&amp;"); break;
        case '<': sbuf_add(sb, "&lt;"); break;
        case '>': sbuf_add(sb, "&gt;"); break;
        case '"': sbuf_add(sb, "&quot;"); break;
        default: sbuf_addc(sb, *s); break;
        }
    }
}

static void set_escaped(void *obj, const char *name, const char *value, struct sbuf *tmp)
{
    sbuf_reset(tmp);
    add_escaped(tmp, value);
    set_attr(obj, name, sbuf_str(tmp));
}

static void draw_box(Agraph_t *g, Agraph_t *const *subs, const struct graphview_box *bx,
                     struct sbuf *tmp)
{
    Agnode_t *n = agnode(g, (char *)bx->id, 1);
    if (bx->cluster >= 0)
        agsubnode(subs[bx->cluster], n, 1);
    sbuf_reset(tmp);
    add_escaped(tmp, bx->label);
    if (bx->note != NULL) {
        sbuf_add(tmp, "\\n");
        add_escaped(tmp, bx->note);
    }
    set_attr(n, "label", sbuf_str(tmp));
    /* The label may shorten the name (TFLite's fused names); hovering shows all of it. */
    sbuf_reset(tmp);
    add_escaped(tmp, bx->name);
    set_attr(n, "tooltip", sbuf_str(tmp));
    set_attr(n, "fillcolor", bx->fill);
    set_attr(n, "color", bx->border);
    if (bx->dashed)
        set_attr(n, "style", "rounded,filled,dashed");
    if (bx->marked)
        set_attr(n, "penwidth", "3");
    if (bx->kind == GRAPHVIEW_BOX_INPUT || bx->kind == GRAPHVIEW_BOX_OUTPUT)
        set_attr(n, "shape", "ellipse");
    if (bx->small)
        set_attr(n, "fontsize", "8");
}

/* The legend: one plaintext node whose HTML table lists each colour class and its count. */
static void draw_legend(Agraph_t *g, const struct graphview *v, struct sbuf *tmp)
{
    sbuf_reset(tmp);
    sbuf_add(tmp, "<TABLE BORDER=\"0\" CELLBORDER=\"1\" CELLSPACING=\"0\" CELLPADDING=\"4\">"
                  "<TR><TD COLSPAN=\"2\"><B>");
    add_html_escaped(tmp, v->legend_title != NULL ? v->legend_title : "legend");
    sbuf_add(tmp, "</B></TD></TR>");
    for (size_t i = 0; i < v->n_legend; i++) {
        const struct graphview_legend *e = &v->legend[i];
        sbuf_add(tmp, "<TR><TD BGCOLOR=\"");
        add_html_escaped(tmp, e->fill);
        sbuf_add(tmp, "\"");
        if (e->dashed)
            sbuf_add(tmp, " STYLE=\"dashed\"");
        sbuf_add(tmp, ">");
        add_html_escaped(tmp, e->label);
        sbuf_printf(tmp, "</TD><TD ALIGN=\"RIGHT\">%zu</TD></TR>", e->count);
    }
    sbuf_add(tmp, "</TABLE>");
    Agnode_t *n = agnode(g, (char *)"legend", 1);
    char *html = agstrdup_html(g, (char *)sbuf_str(tmp));
    set_attr(n, "shape", "plaintext");
    set_attr(n, "style", "");
    set_attr(n, "label", html);
    agstrfree(g, html);
}

/* Builds the cgraph picture of v. */
static Agraph_t *build_picture(const struct graphview *v, struct sbuf *tmp)
{
    Agraph_t *g = agopen((char *)"mlfscope", Agdirected, NULL);
    if (g == NULL)
        return NULL;
    agattr(g, AGRAPH, (char *)"rankdir", (char *)"TB");
    agattr(g, AGRAPH, (char *)"fontname", (char *)"Helvetica");
    agattr(g, AGNODE, (char *)"shape", (char *)"box");
    agattr(g, AGNODE, (char *)"style", (char *)"rounded,filled");
    agattr(g, AGNODE, (char *)"fontname", (char *)"Helvetica");
    agattr(g, AGNODE, (char *)"fontsize", (char *)"10");
    agattr(g, AGEDGE, (char *)"fontname", (char *)"Helvetica");
    agattr(g, AGEDGE, (char *)"fontsize", (char *)"8");
    if (v->title != NULL) {
        set_escaped(g, "label", v->title, tmp);
        set_attr(g, "labelloc", "t");
    }

    Agraph_t **subs = NULL;
    if (v->n_clusters > 0) {
        subs = mem_calloc(v->n_clusters, sizeof *subs);
        if (subs == NULL) {
            agclose(g);
            return NULL;
        }
    }
    for (size_t i = 0; i < v->n_clusters; i++) {
        const struct graphview_cluster *c = &v->clusters[i];
        sbuf_reset(tmp);
        sbuf_printf(tmp, "cluster_%s", c->id);
        subs[i] = agsubg(g, (char *)sbuf_str(tmp), 1);
        set_escaped(subs[i], "label", c->label, tmp);
        if (c->fill != NULL) {
            set_attr(subs[i], "style", c->dashed ? "filled,dashed" : "filled");
            set_attr(subs[i], "fillcolor", c->fill);
        } else if (c->dashed) {
            set_attr(subs[i], "style", "dashed");
        }
    }

    Agnode_t **nodes = mem_calloc(v->n_boxes + 1, sizeof *nodes);
    if (nodes == NULL) {
        mem_free(subs);
        agclose(g);
        return NULL;
    }
    for (size_t i = 0; i < v->n_boxes; i++) {
        const struct graphview_box *bx = &v->boxes[i];
        draw_box(g, subs, bx, tmp);
        nodes[i] = agnode(g, (char *)bx->id, 0);
    }
    for (size_t i = 0; i < v->n_edges; i++) {
        const struct graphview_edge *e = &v->edges[i];
        if (e->from < 0 || (size_t)e->from >= v->n_boxes || e->to < 0 ||
            (size_t)e->to >= v->n_boxes)
            continue;
        Agedge_t *ed = agedge(g, nodes[e->from], nodes[e->to], NULL, 1);
        if (e->label != NULL)
            set_escaped(ed, "label", e->label, tmp);
    }
    if (v->n_legend > 0)
        draw_legend(g, v, tmp);
    mem_free(nodes);
    mem_free(subs);
    return g;
}

int gv_render_data(const struct graphview *v, enum gv_format f, char **out, size_t *out_bytes,
                   struct errbuf *eb)
{
    struct sbuf tmp;
    char *data = NULL;
    unsigned int len = 0;
    int rc = 0;

    if ((unsigned)f >= GV_FORMAT_COUNT)
        return errbuf_set(eb, ST_EINVAL, "graph picture: unknown format %d", (int)f);
    memset(&gv_errors, 0, sizeof gv_errors);
    agusererrf prev_hook = agseterrf(gv_error_hook);
    sbuf_init(&tmp);

    GVC_t *gvc = gvContext();
    Agraph_t *g = gvc != NULL ? build_picture(v, &tmp) : NULL;
    if (gvc == NULL || g == NULL || sbuf_failed(&tmp)) {
        finish_line();
        rc = gv_errors.first_error[0]
                 ? errbuf_set(eb, ST_EINTERNAL, "graphviz: %s", gv_error_text())
                 : errbuf_set(eb, ST_ENOMEM, "graph picture: out of memory");
        goto out;
    }
    if (gvLayout(gvc, g, "dot") != 0) {
        rc = errbuf_set(eb, ST_EUNSUPPORTED,
                        "graphviz could not lay out the graph with 'dot' (layout plugins not "
                        "configured? run 'dot -c' as root): %s",
                        gv_error_text());
        goto out;
    }
    if (gvRenderData(gvc, g, format_names[f], &data, &len) != 0 || data == NULL) {
        rc = errbuf_set(eb, ST_EUNSUPPORTED,
                        "graphviz could not render %s (render plugins not configured? run "
                        "'dot -c' as root, or install the graphviz package): %s",
                        format_names[f], gv_error_text());
    }
    gvFreeLayout(gvc, g);
    if (rc == 0) {
        char *copy = mem_alloc((size_t)len + 1);
        if (copy == NULL) {
            rc = errbuf_set(eb, ST_ENOMEM, "graph picture: out of memory (%u bytes)", len);
        } else {
            memcpy(copy, data, len);
            copy[len] = '\0';
            *out = copy;
            *out_bytes = len;
        }
    }
out:
    if (data != NULL)
        gvFreeRenderData(data);
    if (g != NULL)
        agclose(g);
    if (gvc != NULL)
        gvFreeContext(gvc);
    sbuf_release(&tmp);
    agseterrf(prev_hook);
    return rc;
}

int gv_render_file(const struct graphview *v, enum gv_format f, const char *out_path,
                   struct errbuf *eb)
{
    char *data;
    size_t bytes;
    int rc = gv_render_data(v, f, &data, &bytes, eb);
    if (rc < 0)
        return rc;
    rc = fileio_write(out_path, data, bytes, eb);
    mem_free(data);
    return rc;
}
