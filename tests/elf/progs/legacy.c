/* Maps defined the legacy way, in SEC("maps"), with an inner-map template.
 * Compiled without -g by the tests: the loader must not need BTF for these. */
#include <bpf_helpers.h>

struct bpf_map_def SEC("maps") counters = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(uint32_t),
    .value_size = sizeof(uint64_t),
    .max_entries = 64,
};

struct bpf_map_def SEC("maps") inner_template = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = sizeof(uint32_t),
    .value_size = sizeof(uint32_t),
    .max_entries = 10,
    .map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_map_def SEC("maps") tables = {
    .type = BPF_MAP_TYPE_ARRAY_OF_MAPS,
    .key_size = sizeof(uint32_t),
    .value_size = sizeof(uint32_t),
    .max_entries = 2,
    .inner_map_idx = 1,
    .pinning = LIBBPF_PIN_BY_NAME,
};

SEC("legacy")
int use_legacy(void *ctx)
{
    uint32_t key = 1;
    uint64_t *count = bpf_map_lookup_elem(&counters, &key);
    if (count)
        (*count)++;
    return bpf_map_lookup_elem(&tables, &key) != 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
