/* An array whose storage (129 entries of 1 GiB) is over the 128 GiB a map may take. */
#include "bpf_helpers.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __uint(value_size, 1u << 30);
    __uint(max_entries, 129);
} huge SEC(".maps");

SEC("sample")
int touch(void *ctx)
{
    (void)ctx;
    uint32_t key = 0;
    return bpf_map_lookup_elem(&huge, &key) != 0;
}

char LICENSE[] SEC("license") = "MIT";
