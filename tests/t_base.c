/*
 * Tests of the base layer: errbuf, mem fault injection, arena, sbuf, graph building and
 * ordering, and the command layer's usage behaviour.
 */
#define _POSIX_C_SOURCE 200809L
#include <unistd.h>

#include "test.h"

#include "../src/arena.h"
#include "../src/errbuf.h"
#include "../src/fileio.h"
#include "../src/graph.h"
#include "../src/mem.h"
#include "../src/sbuf.h"

TEST(base, errbuf_first_error_wins)
{
    struct errbuf eb;
    errbuf_init(&eb);
    CHECK_EQ_INT(errbuf_set(&eb, ST_EPARSE, "a.onnx: offset %d: bad tag", 12), ST_EPARSE);
    CHECK_EQ_INT(errbuf_set(&eb, ST_EIO, "later"), ST_EIO);
    CHECK_EQ_INT(eb.code, ST_EPARSE);
    CHECK_EQ_STR(eb.msg, "a.onnx: offset 12: bad tag");
    errbuf_prefix(&eb, "%s", "load");
    CHECK_EQ_STR(eb.msg, "load: a.onnx: offset 12: bad tag");
}

TEST(base, arena_alignment_and_big_blocks)
{
    struct arena a;
    arena_init(&a);
    for (int i = 1; i < 100; i++) {
        void *p = arena_alloc(&a, (size_t)i * 7);
        REQUIRE(p != NULL);
        CHECK_EQ_INT((uintptr_t)p % 16, 0);
    }
    unsigned char *big = arena_alloc(&a, 1u << 20);
    REQUIRE(big != NULL);
    big[(1u << 20) - 1] = 1;
    CHECK_EQ_STR(arena_printf(&a, "%s-%d", "x", 3), "x-3");
    CHECK(arena_array(&a, SIZE_MAX / 2, 4) == NULL);
    arena_release(&a);
}

TEST(base, sbuf_grows_and_reports_oom)
{
    struct sbuf sb;
    sbuf_init(&sb);
    for (int i = 0; i < 1000; i++)
        sbuf_printf(&sb, "%d,", i);
    CHECK(!sbuf_failed(&sb));
    CHECK_EQ_INT(strncmp(sbuf_str(&sb), "0,1,2,", 6), 0);
    sbuf_release(&sb);
    mem_fail_after(0);
    sbuf_add(&sb, "x");
    mem_fail_after(-1);
    CHECK(sbuf_failed(&sb));
    sbuf_release(&sb);
}

/* Builds a -> [n2] -> b -> [n1] -> c with the nodes listed out of order. */
static int build_chain(struct graph *g, struct errbuf *eb)
{
    int a = graph_tensor(g, "a", eb), b = graph_tensor(g, "b", eb), c = graph_tensor(g, "c", eb);
    if (a < 0 || b < 0 || c < 0)
        return -1;
    g->tensors[a].flags |= TENSOR_INPUT;
    struct node n1 = {.name = "second", .op = "Relu", .domain = "", .n_inputs = 1,
                      .inputs = &b, .n_outputs = 1, .outputs = &c};
    struct node n2 = {.name = "first", .op = "Relu", .domain = "", .n_inputs = 1,
                      .inputs = &a, .n_outputs = 1, .outputs = &b};
    if (graph_add_node(g, &n1, eb) < 0 || graph_add_node(g, &n2, eb) < 0)
        return -1;
    return graph_finish(g, eb);
}

TEST(base, graph_orders_topologically)
{
    struct graph g;
    struct errbuf eb;
    graph_init(&g);
    errbuf_init(&eb);
    CHECK_EQ_INT(build_chain(&g, &eb), 0);
    CHECK_EQ_STR(g.nodes[0].name, "first");
    CHECK_EQ_STR(g.nodes[1].name, "second");
    CHECK_EQ_INT(g.tensors[graph_find_tensor(&g, "b")].producer, 0);
    CHECK_EQ_INT(g.tensors[graph_find_tensor(&g, "b")].n_consumers, 1);
    graph_release(&g);
}

TEST(base, graph_rejects_cycle_and_missing_input)
{
    struct graph g;
    struct errbuf eb;
    graph_init(&g);
    errbuf_init(&eb);
    g.path = "cyc.onnx";
    int a = graph_tensor(&g, "a", &eb), b = graph_tensor(&g, "b", &eb);
    struct node n1 = {.name = "n1", .op = "Relu", .domain = "", .n_inputs = 1, .inputs = &a,
                      .n_outputs = 1, .outputs = &b};
    struct node n2 = {.name = "n2", .op = "Relu", .domain = "", .n_inputs = 1, .inputs = &b,
                      .n_outputs = 1, .outputs = &a};
    graph_add_node(&g, &n1, &eb);
    graph_add_node(&g, &n2, &eb);
    CHECK_EQ_INT(graph_finish(&g, &eb), ST_EPARSE);
    CHECK(strstr(eb.msg, "cycle") != NULL);
    graph_release(&g);

    graph_init(&g);
    errbuf_init(&eb);
    g.path = "missing.onnx";
    a = graph_tensor(&g, "a", &eb);
    b = graph_tensor(&g, "b", &eb);
    graph_add_node(&g, &n1, &eb);
    CHECK_EQ_INT(graph_finish(&g, &eb), ST_EPARSE);
    CHECK_EQ_STR(eb.msg, "missing.onnx: node n1: input 'a' is never produced");
    graph_release(&g);
}

TEST(base, graph_survives_every_allocation_failure)
{
    for (long k = 0;; k++) {
        struct graph g;
        struct errbuf eb;
        graph_init(&g);
        errbuf_init(&eb);
        mem_fail_after(k);
        int rc = build_chain(&g, &eb);
        mem_fail_after(-1);
        graph_release(&g);
        if (rc == 0)
            break;
        CHECK(rc < 0);
        if (k > 1000) {
            CHECK(!"allocation failure loop did not end");
            break;
        }
    }
}

TEST(cli, help_and_unknown_command)
{
    struct sbuf out, err;
    sbuf_init(&out);
    sbuf_init(&err);
    CHECK_EQ_INT(test_cli("help", &out, &err), 0);
    CHECK(strstr(sbuf_str(&out), "usage: mlfscope") != NULL);
    CHECK_EQ_INT(test_cli("hepl", NULL, &err), 2);
    CHECK(strstr(sbuf_str(&err), "did you mean 'help'") != NULL);
    CHECK_EQ_INT(test_cli("", NULL, NULL), 2);
    sbuf_release(&out);
    sbuf_release(&err);
}

TEST(base, remove_tree_removes_links_not_their_targets)
{
    struct errbuf eb;
    errbuf_init(&eb);
    const char *dir = test_tmpdir(t_);
    char keep[600], tree[600], deep[700], file[800], link[800];
    snprintf(keep, sizeof keep, "%s/keep.txt", dir);
    snprintf(tree, sizeof tree, "%s/tree", dir);
    snprintf(deep, sizeof deep, "%s/a/b", tree);
    snprintf(file, sizeof file, "%s/f.bin", deep);
    snprintf(link, sizeof link, "%s/a/to-keep", tree);
    REQUIRE(fileio_write(keep, "k", 1, &eb) == 0);
    REQUIRE(fileio_mkdirs(deep, &eb) == 0);
    REQUIRE(fileio_write(file, "abc", 3, &eb) == 0);
    REQUIRE(symlink(keep, link) == 0);
    CHECK_EQ_INT(fileio_remove_tree(tree, &eb), 0);
    CHECK(!fileio_exists(tree));
    CHECK(fileio_exists(keep));
    CHECK_EQ_INT(fileio_remove_tree(tree, &eb), 0);     /* already gone: fine */
}
