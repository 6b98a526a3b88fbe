/*
 * cgroup_sock_addr programs written for eBPF for Windows: the verdict is
 * whatever number the policy map holds (eBPF for Windows has no return
 * range for the type; any value but its verdicts counts as a reject), and
 * a connect program redirects by rewriting the destination. The inbound
 * hook's section (cgroup/recv_accept4) exists only in eBPF for Windows.
 */
#include "windows_sock_addr.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, struct connection);
    __type(value, uint32_t);
    __uint(max_entries, 16);
} policy SEC(".maps");

/* The policy's verdict for the connection, else a soft permit. */
static inline int verdict_of(bpf_sock_addr_t *ctx, int ipv6)
{
    struct connection key = {0};
    connection_of(ctx, &key, ipv6);
    uint32_t *verdict = bpf_map_lookup_elem(&policy, &key);
    return verdict ? (int)*verdict : VERDICT_PROCEED_SOFT;
}

SEC("cgroup/connect4")
int authorize_connect4(bpf_sock_addr_t *ctx)
{
    return verdict_of(ctx, 0);
}

SEC("cgroup/recv_accept4")
int authorize_recv_accept4(bpf_sock_addr_t *ctx)
{
    return verdict_of(ctx, 0);
}

SEC("cgroup/connect6")
int redirect_connect6(bpf_sock_addr_t *ctx)
{
    if (ctx->user_port == __builtin_bswap16(80))
        ctx->user_port = __builtin_bswap16(8080);
    return VERDICT_PROCEED_HARD;
}

char LICENSE[] SEC("license") = "MIT";
