/* Global variables in .data, .rodata (and a string section) and .bss. */
#include <bpf_helpers.h>

int counter = 5;
long long table[4] = {1, 2, 3, 4};
const volatile uint32_t limit = 10;
uint64_t total;
static uint32_t hits;

SEC("globals")
int use_globals(void *ctx)
{
    char name[8] = "init";
    counter++;
    table[2] += limit;
    total += counter;
    hits++;
    bpf_printk("total %llu", total);
    if (bpf_strncmp(name, sizeof name, "init") == 0)
        hits += 2;
    return (int)table[2];
}

char LICENSE[] SEC("license") = "GPL";
