/* A program in a section no program type claims. */
#include "sample_ctx.h"

SEC("nonsense")
int orphan(void *ctx)
{
    return 3;
}

char LICENSE[] SEC("license") = "GPL";
