/*
 * Private declarations shared by the MLF reader's files (src/mlf*.c). Not for outside use.
 * Top-level arrays of struct mlf are heap arrays grown through mlf_priv; nested arrays are
 * built in a struct mlf_vec and copied into the arena when complete.
 */
#ifndef MLFSCOPE_MLF_INT_H
#define MLFSCOPE_MLF_INT_H

#include "mlf.h"

/* Growth state of struct mlf's heap arrays, and facts the C scanner leaves for mlf_link. */
struct mlf_priv {
    size_t cap_files, cap_steps, cap_functions, cap_constants, cap_pools, cap_partitions,
        cap_params, cap_warnings;
    const char **wrapper_args; /* args of the main call inside the lib0 wrapper (arena) */
    size_t n_wrapper_args;
    const char **header_inputs; /* members of struct tvmgen_<mod>_inputs (arena) */
    size_t n_header_inputs;
    const char **header_outputs;
    size_t n_header_outputs;
    bool graph_steps; /* steps came from a graph JSON */
};

/* A growable array of fixed-size elements on the heap. */
struct mlf_vec {
    void *items;
    size_t n, cap;
};

/* A pointer to a new zeroed element at the end of v, or NULL when out of memory. */
void *mlf_vec_push(struct mlf_vec *v, size_t size);
/* Copies v into m's arena (*out; NULL when empty), frees v. ST_ENOMEM on failure (v freed). */
int mlf_vec_finish(struct mlf *m, struct mlf_vec *v, size_t size, void **out, struct errbuf *eb);
void mlf_vec_free(struct mlf_vec *v);

/* Ensures m->priv exists. */
int mlf_priv_get(struct mlf *m, struct errbuf *eb);

/* Grows a top-level heap array: returns a zeroed new element or NULL (eb set). */
void *mlf_grow(struct mlf *m, void **items, size_t *n, size_t *cap, size_t size, struct errbuf *eb);

/* Adds a warning line (printf style). Out of memory drops it silently and returns ST_ENOMEM. */
int mlf_warn(struct mlf *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Arena string helpers that set eb on failure. */
char *mlf_strndup(struct mlf *m, const char *s, size_t n, struct errbuf *eb);

/* The file-access layer: fills m->files from a folder or archive. */
int mlf_files_load(struct mlf *m, const char *path, struct errbuf *eb);
void mlf_files_release(struct mlf *m);

#endif
