/*
 * .npy reader fuzz target: any bytes either parse into a tensor whose size matches its
 * shape, or fail with a message. A successful read is written back and read again.
 */
#include "fuzz.h"
#include "../../dump/npy.h"
#include "../../src/mem.h"

FUZZ_TARGET(npy)
{
    struct tensor_value v, w;
    struct errbuf eb;
    uint8_t *img;
    size_t n;

    errbuf_init(&eb);
    if (npy_read_buffer(data, size, "fuzz.npy", &v, &eb) != 0)
        return 0;
    errbuf_init(&eb);
    if (npy_write_buffer(&v, &img, &n, &eb) == 0) {
        errbuf_init(&eb);
        if (npy_read_buffer(img, n, "again.npy", &w, &eb) == 0)
            mem_free(w.data);
        mem_free(img);
    }
    mem_free(v.data);
    return 0;
}
