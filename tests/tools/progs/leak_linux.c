/* A Linux socket filter that stores a map value's address into the map:
 * a pointer leak, refused by default and accepted in Linux's privileged
 * mode (bpfhost show verification --allow-pointer-leaks). */
#include <bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
} slots SEC(".maps");

SEC("socket")
int store_address(void *skb)
{
    uint32_t key = 0;
    uint64_t *slot = bpf_map_lookup_elem(&slots, &key);
    if (slot)
        *slot = (uint64_t)slot;
    return 0;
}
