/* Programs that misuse helpers, as unverified programs may. */
#include "sample_ctx.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 4);
} hash SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
    __uint(map_flags, BPF_F_RDONLY_PROG);
} readonly SEC(".maps");

/* uint64_data is passed as a map: never dereferenced, -EINVAL. */
SEC("sample")
int forged_map(struct sample_ctx *ctx)
{
    uint32_t key = 0;
    uint64_t value = 1;
    long update = bpf_map_update_elem((void *)ctx->uint64_data, &key, &value, 0);
    void *found = bpf_map_lookup_elem((void *)ctx->uint64_data, &key);
    return update == -EINVAL && !found ? 1 : 0;
}

/* uint64_data is passed as the key: the run stops. */
SEC("sample")
int forged_key(struct sample_ctx *ctx)
{
    return bpf_map_lookup_elem(&hash, (void *)ctx->uint64_data) ? 1 : 0;
}

/* uint64_data is passed as a buffer to write: the run stops. */
SEC("sample")
int forged_buffer(struct sample_ctx *ctx)
{
    return bpf_get_current_comm((void *)ctx->uint64_data, 16);
}

/* A buffer that runs off the end of the stack. */
SEC("sample")
int oversized_buffer(struct sample_ctx *ctx)
{
    char buf[8];
    return bpf_get_current_comm(buf, 4096);
}

/* Reads and writes beyond the data: the run stops. */
SEC("sample")
int beyond_data(struct sample_ctx *ctx)
{
    return *(volatile uint8_t *)(ctx->data_end);
}

/* The type's helper: returns the old value, 99 lands in the context. */
SEC("sample")
int ctx_helper(struct sample_ctx *ctx)
{
    return (int)bpf_sample_set_helper_data(ctx, 99);
}

/* The type's helper on something that is not the context: -EINVAL. */
SEC("sample")
int ctx_helper_forged(struct sample_ctx *ctx)
{
    uint64_t fake[8] = {0};
    return (int)bpf_sample_set_helper_data(fake, 1);
}

/* A read-only map: helpers may not change it, stores through a value stop the run. */
SEC("sample")
int readonly_map(struct sample_ctx *ctx)
{
    uint32_t key = 0;
    uint64_t value = 5;
    if (bpf_map_update_elem(&readonly, &key, &value, 0) != -EPERM)
        return -1;
    uint64_t *v = bpf_map_lookup_elem(&readonly, &key);
    if (!v)
        return -2;
    if (ctx->uint32_data)
        *(volatile uint64_t *)v = 1;
    return (int)*v + 10;
}

char LICENSE[] SEC("license") = "GPL";
