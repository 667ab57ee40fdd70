/*
 * Replays every fuzz target's committed corpus (tests/fuzz/corpus/<target>/) so that a
 * crash once found stays fixed; under SANITIZE=address,undefined this is a sanitizer run.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdlib.h>

#include "test.h"
#include "test_list.h"
#include "../src/fileio.h"
#include "../src/mem.h"

TEST(fuzz, corpus_replays)
{
    int n_targets = 0;
    for (const struct fuzz_entry *f = fuzz_entries; f->name != NULL; f++) {
        char dir[256];
        snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", f->name);
        DIR *d = opendir(dir);
        int n_files = 0;
        CHECK(d != NULL);
        if (d == NULL)
            continue;
        n_targets++;
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            if (e->d_name[0] == '.')
                continue;
            char *path = fileio_join(dir, e->d_name);
            size_t n = 0;
            unsigned char *data = test_read_file(path, &n);
            if (data != NULL) {
                f->fn(data, n);
                n_files++;
            }
            mem_free(data);
            mem_free(path);
        }
        closedir(d);
        if (n_files == 0)
            test_fail(t_, __FILE__, __LINE__, "fuzz target %s has an empty corpus", f->name);
    }
    (void)n_targets;
}
