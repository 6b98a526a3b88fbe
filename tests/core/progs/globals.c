/* Global variables in .data, .rodata and .bss. */
#include "sample_ctx.h"

int counter = 5;
const volatile uint32_t limit = 10;
uint64_t total;

/* counter + 1, and total grows by counter + limit. */
SEC("sample")
int use_globals(struct sample_ctx *ctx)
{
    counter++;
    total += counter + limit;
    return counter;
}

char LICENSE[] SEC("license") = "GPL";
