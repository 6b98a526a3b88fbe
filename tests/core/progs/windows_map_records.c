/*
 * A connect4 program built the way eBPF for Windows' own headers build
 * one: its legacy map is eBPF for Windows' 32-byte definition record
 * (ebpf_map_definition_in_file_t). Nothing else in the object is
 * Windows-only (the context is declared void *, so its BTF says nothing):
 * the record alone makes it eBPF for Windows'.
 */
#include "windows_sock_addr.h"

/* eBPF for Windows' legacy map definition: eight 32-bit fields. */
struct windows_map_definition {
    uint32_t type, key_size, value_size, max_entries, inner_map_idx, pinning, id, inner_id;
};

struct windows_map_definition connection_policy SEC("maps") = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = sizeof(struct connection),
    .value_size = sizeof(uint32_t),
    .max_entries = 16,
};

SEC("cgroup/connect4")
int authorize_connect4(void *context)
{
    bpf_sock_addr_t *ctx = context;
    struct connection key = {0};
    connection_of(ctx, &key, 0);
    uint32_t *verdict = bpf_map_lookup_elem(&connection_policy, &key);
    return verdict ? (int)*verdict : VERDICT_PROCEED_SOFT;
}

char LICENSE[] SEC("license") = "MIT";
