/*
 * A connect4 program written against eBPF for Windows' headers with BTF
 * maps: nothing in its sections or maps is Windows-only, but its context is
 * declared as bpf_sock_addr_t, whose compartment_id and interface_luid no
 * Linux context has. It redirects port 80 to 8080 and answers with a hard
 * permit (2), a verdict Linux's [0, 1] would refuse.
 */
#include "windows_sock_addr.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
} redirected SEC(".maps");

SEC("cgroup/connect4")
int redirect_connect4(bpf_sock_addr_t *ctx)
{
    if (ctx->user_port != __builtin_bswap16(80))
        return VERDICT_PROCEED_SOFT;
    ctx->user_port = __builtin_bswap16(8080);
    uint32_t zero = 0;
    uint64_t *count = bpf_map_lookup_elem(&redirected, &zero);
    if (count)
        __sync_fetch_and_add(count, 1);
    return VERDICT_PROCEED_HARD;
}

char LICENSE[] SEC("license") = "MIT";
