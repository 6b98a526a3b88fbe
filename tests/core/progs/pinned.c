/* A map pinned by name, shared by every load under the same pin root. */
#include "sample_ctx.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
    __uint(pinning, LIBBPF_PIN_BY_NAME);
} shared_counter SEC(".maps");

/* Counts runs across loads; returns the count. */
SEC("sample")
int count(struct sample_ctx *ctx)
{
    uint32_t key = 0;
    uint64_t *v = bpf_map_lookup_elem(&shared_counter, &key);
    if (!v)
        return -1;
    return (int)__sync_add_and_fetch(v, 1);
}


/* Needs the sample type's own helper: fails to load as any other type. */
SEC("sample")
int touch(struct sample_ctx *ctx)
{
    return (int)bpf_sample_set_helper_data(ctx, 1);
}

char LICENSE[] SEC("license") = "GPL";
