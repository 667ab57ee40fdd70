/*
 * libFuzzer entry point for one fuzz target, chosen at compile time with -DFUZZ_FN=fuzz_<name>.
 */
#include <stddef.h>
#include <stdint.h>

int FUZZ_FN(const unsigned char *data, unsigned long size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_FN(data, size);
    return 0;
}
