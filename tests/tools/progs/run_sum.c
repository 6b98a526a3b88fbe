/* For `bpfhost test-run`: counts its runs, fills maps and sums its data. */
#include "../../core/progs/sample_ctx.h"
#include "../../core/progs/exhaust_budget.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 4);
} calls SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, uint32_t);
    __uint(max_entries, 128);
} many SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
} per_cpu SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} events SEC(".maps");

/* Counts its runs in calls[7], puts keys 0..69 in many, writes one 8-byte
 * record per run; returns ctx->uint64_data plus the sum of the data bytes. */
SEC("sample")
uint64_t sum(struct sample_ctx *ctx)
{
    uint32_t key = 7;
    uint64_t one = 1, *count = bpf_map_lookup_elem(&calls, &key);
    if (count)
        *count += 1;
    else
        bpf_map_update_elem(&calls, &key, &one, BPF_ANY);
    for (uint32_t i = 0; i < 70; i++)
        bpf_map_update_elem(&many, &i, &i, BPF_ANY);
    uint32_t zero = 0;
    uint64_t *mine = bpf_map_lookup_elem(&per_cpu, &zero);
    if (mine)
        *mine += 1;
    bpf_ringbuf_output(&events, &one, sizeof(one), 0);
    uint64_t total = ctx->uint64_data;
    uint8_t *p = ctx->data;
    for (int i = 0; i < 64 && p + i + 1 <= ctx->data_end; i++)
        total += p[i];
    return total;
}

/* 2^40 bounded iterations: safe, but the run's instruction budget stops it. */
SEC("sample/fault")
int faulty(struct sample_ctx *ctx)
{
    exhaust_budget();
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
