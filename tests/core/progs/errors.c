/* Helpers and errors: the type's helper, a read-only map, and a run that exhausts its budget. */
#include "sample_ctx.h"
#include "exhaust_budget.h"

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

/* The type's helper: returns the old value, 99 lands in the context. */
SEC("sample")
int ctx_helper_returns_old(struct sample_ctx *ctx)
{
    return (int)bpf_sample_set_helper_data(ctx, 99);
}

/* A read-only map: helpers may not change it (stores through a value are refused at load). */
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
    return (int)*v + 10;
}

/* 2^40 bounded iterations: safe, but the run's instruction budget stops it. */
SEC("sample")
int exhausts_budget(struct sample_ctx *ctx)
{
    exhaust_budget();
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
