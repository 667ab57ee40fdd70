/*
 * Fuzz targets: FUZZ_TARGET(name) { ... } defines int fuzz_<name>(data, size). `make fuzz`
 * links each with libFuzzer through tests/fuzz/libfuzzer_main.c; tests/run replays
 * tests/fuzz/corpus/<name>/ through the same function on every `make test`.
 * A target must never crash, leak or print, whatever the bytes.
 */
#ifndef MLFSCOPE_FUZZ_H
#define MLFSCOPE_FUZZ_H

#define FUZZ_TARGET(name)                                                      \
    int fuzz_##name(const unsigned char *data, unsigned long size);    \
    int fuzz_##name(const unsigned char *data, unsigned long size)

#endif
