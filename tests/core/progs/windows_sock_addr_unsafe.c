/*
 * cgroup_sock_addr programs of an eBPF for Windows object (its inbound
 * hook's section says so) that break the rules of its context: a read past
 * the 64 bytes of bpf_sock_addr_t (where Linux's struct bpf_sock_addr has
 * its socket pointer) and a write to a read-only field.
 */
#include "windows_sock_addr.h"

/* Linux's layout goes on after Windows' 64 bytes: its sk pointer is at 64. */
struct longer_context {
    bpf_sock_addr_t addr;
    uint64_t sk;
};

SEC("cgroup/recv_accept4")
int read_past_context(bpf_sock_addr_t *ctx)
{
    return ((struct longer_context *)ctx)->sk != 0;
}

SEC("cgroup/recv_accept4")
int write_family(bpf_sock_addr_t *ctx)
{
    ctx->family = 23;
    return VERDICT_PROCEED_SOFT;
}

char LICENSE[] SEC("license") = "MIT";
