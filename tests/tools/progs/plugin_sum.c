/* Sums the input memory's bytes: run by the conformance plugin's --elf mode. */
#include <bpf_helpers.h>

SEC("conformance")
uint64_t sum_bytes(uint8_t *mem, uint64_t len)
{
    uint64_t sum = 0;
    for (uint64_t i = 0; i < len && i < 64; i++)
        sum += mem[i];
    return sum;
}
