/* Every map type through the helpers; each program returns a value the
 * test checks, and leaves state the test reads from user space. */
#include "sample_ctx.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 16);
} hash SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 4);
} array SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
} percpu SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 4);
} percpu_hash SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 8);
} lru SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 8);
} lru_percpu SEC(".maps");

struct lpm_key {
    uint32_t prefixlen;
    uint8_t addr[4];
};

struct {
    __uint(type, BPF_MAP_TYPE_LPM_TRIE);
    __type(key, struct lpm_key);
    __type(value, uint32_t);
    __uint(max_entries, 16);
    __uint(map_flags, BPF_F_NO_PREALLOC);
} lpm SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_QUEUE);
    __type(value, uint32_t);
    __uint(max_entries, 4);
} queue SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_STACK);
    __type(value, uint32_t);
    __uint(max_entries, 4);
} stack SEC(".maps");

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 2);
} inner_a SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __type(key, uint32_t);
    __uint(max_entries, 2);
    __array(values, struct inner);
} outer SEC(".maps") = {.values = {[0] = &inner_a}};

struct {
    __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
    __type(key, uint32_t);
    __uint(max_entries, 4);
    __array(values, struct inner);
} outer_hash SEC(".maps");

/* 15 when the hash behaves. */
SEC("sample")
int hash_ops(struct sample_ctx *ctx)
{
    uint32_t key = 1, missing = 2;
    uint64_t value = 10;
    if (bpf_map_update_elem(&hash, &key, &value, BPF_NOEXIST) != 0)
        return -1;
    if (bpf_map_update_elem(&hash, &key, &value, BPF_NOEXIST) != -17 /* EEXIST */)
        return -2;
    if (bpf_map_delete_elem(&hash, &missing) != -ENOENT)
        return -3;
    uint64_t *v = bpf_map_lookup_elem(&hash, &key);
    if (!v)
        return -4;
    *v += 5;
    return (int)*v;
}

/* 7 when the array behaves. */
SEC("sample")
int array_ops(struct sample_ctx *ctx)
{
    uint32_t key = 3, beyond = 4;
    uint64_t value = 7;
    if (bpf_map_update_elem(&array, &key, &value, BPF_ANY) != 0)
        return -1;
    if (bpf_map_lookup_elem(&array, &beyond))
        return -2;
    if (bpf_map_delete_elem(&array, &key) != -EINVAL)
        return -3;
    uint64_t *v = bpf_map_lookup_elem(&array, &key);
    return v ? (int)*v : -4;
}

/* Adds one to key's value in a hash map, creating it with 1. */
static __always_inline void count_in(void *map, uint32_t key)
{
    uint64_t one = 1, *v = bpf_map_lookup_elem(map, &key);
    if (v)
        *v += 1;
    else
        bpf_map_update_elem(map, &key, &one, BPF_NOEXIST);
}

/* Counts runs in this CPU's slot of the per-CPU maps; returns the array slot's count. */
SEC("sample")
int percpu_ops(struct sample_ctx *ctx)
{
    uint32_t key = 0;
    uint64_t *v = bpf_map_lookup_elem(&percpu, &key);
    if (!v)
        return -1;
    *v += 1;
    count_in(&percpu_hash, key);
    count_in(&lru_percpu, key);
    return (int)*v;
}

/* Inserts keys uint32_data .. uint32_data + 15 into an LRU of 8. */
SEC("sample")
int lru_fill(struct sample_ctx *ctx)
{
    int failed = 0;
    for (uint32_t i = 0; i < 16; i++) {
        uint32_t key = ctx->uint32_data + i;
        uint64_t value = key;
        failed += bpf_map_update_elem(&lru, &key, &value, BPF_ANY) != 0;
    }
    return failed;
}

/* Longest-prefix lookups: 10.1.2.3 -> 2, 10.2.0.0 -> 1, 11.0.0.0 -> none; 210 when right. */
SEC("sample")
int lpm_ops(struct sample_ctx *ctx)
{
    struct lpm_key net8 = {8, {10, 0, 0, 0}}, net16 = {16, {10, 1, 0, 0}};
    uint32_t one = 1, two = 2;
    bpf_map_update_elem(&lpm, &net8, &one, BPF_ANY);
    bpf_map_update_elem(&lpm, &net16, &two, BPF_ANY);
    struct lpm_key a = {32, {10, 1, 2, 3}}, b = {32, {10, 2, 0, 0}}, c = {32, {11, 0, 0, 0}};
    uint32_t *va = bpf_map_lookup_elem(&lpm, &a), *vb = bpf_map_lookup_elem(&lpm, &b);
    if (!va || !vb || bpf_map_lookup_elem(&lpm, &c))
        return -1;
    return (int)(*va * 100 + *vb * 10);
}

/* FIFO and LIFO order, peek, and the full / empty errors: 132 when right. */
SEC("sample")
int queue_stack_ops(struct sample_ctx *ctx)
{
    for (uint32_t i = 1; i <= 4; i++) {
        bpf_map_push_elem(&queue, &i, 0);
        bpf_map_push_elem(&stack, &i, 0);
    }
    uint32_t extra = 9, first, top, next;
    if (bpf_map_push_elem(&queue, &extra, 0) != -E2BIG)
        return -1;
    if (bpf_map_pop_elem(&queue, &first) || bpf_map_pop_elem(&stack, &top) || bpf_map_peek_elem(&queue, &next))
        return -2;
    return (int)(first * 100 + (top - 1) * 10 + next);
}

/* Writes 42 into slot 1 of the inner map found at outer[0] and outer_hash[ctx->uint32_data]. */
SEC("sample")
int map_in_map_ops(struct sample_ctx *ctx)
{
    uint32_t zero = 0, one = 1, key = ctx->uint32_data;
    uint64_t value = 42;
    void *in = bpf_map_lookup_elem(&outer, &zero);
    if (!in || bpf_map_update_elem(in, &one, &value, BPF_ANY))
        return -1;
    void *in_hash = bpf_map_lookup_elem(&outer_hash, &key);
    if (!in_hash)
        return 1;
    uint64_t *v = bpf_map_lookup_elem(in_hash, &one);
    if (!v)
        return -2;
    *v = 43;
    return 2;
}

char LICENSE[] SEC("license") = "GPL";
