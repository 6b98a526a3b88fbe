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

/* .rodata is frozen: the store stops the program. */
SEC("sample")
int write_rodata(struct sample_ctx *ctx)
{
    *(volatile uint32_t *)&limit = 5;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
