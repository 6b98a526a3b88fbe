/* Programs for hook dispatch: each leaves its mark in the context and
 * counts its runs. */
#include "sample_ctx.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 2);
} runs SEC(".maps");

static __always_inline int mark(struct sample_ctx *ctx, uint32_t which)
{
    uint64_t *v = bpf_map_lookup_elem(&runs, &which);
    if (v)
        __sync_fetch_and_add(v, 1);
    ctx->uint64_data = ctx->uint64_data * 10 + which + 1;
    return (int)which + 1;
}

SEC("sample")
int first(struct sample_ctx *ctx)
{
    return mark(ctx, 0);
}

SEC("sample")
int second(struct sample_ctx *ctx)
{
    return mark(ctx, 1);
}

char LICENSE[] SEC("license") = "GPL";
