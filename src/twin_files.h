/*
 * Files embedded into the binary at build time (scripts/embed.sh, build/gen/twin_files.c):
 * the ref/ kernels, the CMSIS-NN entry points and headers, the twin runtime and the board-log
 * emitter. `mlfscope twin` and `mlfscope instrument` write them out so that they work from
 * any folder, without the source tree.
 */
#ifndef MLFSCOPE_TWIN_FILES_H
#define MLFSCOPE_TWIN_FILES_H

#include <stddef.h>

struct twin_file {
    const char *path;       /* relative to the repository root: "ref/cmsis/arm_nn_entry.c" */
    const char *data;       /* the file's bytes, NUL-terminated */
    size_t bytes;           /* without the NUL */
};

extern const struct twin_file twin_files[];     /* generated */
extern const size_t twin_n_files;

#endif
