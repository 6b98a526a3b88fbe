/*
 * cgroup_sock_addr programs written for Linux (struct bpf_sock_addr of its
 * uapi): Linux demands a return value in [0, 1], so returning a number
 * read from a map is refused, and a program that checks it is accepted.
 */
#include <bpf_helpers.h>

/* Linux's struct bpf_sock_addr. */
struct bpf_sock_addr {
    uint32_t user_family;
    uint32_t user_ip4;
    uint32_t user_ip6[4];
    uint32_t user_port;
    uint32_t family;
    uint32_t type;
    uint32_t protocol;
    uint32_t msg_src_ip4;
    uint32_t msg_src_ip6[4];
    uint64_t sk;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __type(key, uint32_t);
    __type(value, uint32_t);
    __uint(max_entries, 16);
} allowed SEC(".maps");

SEC("cgroup/connect4")
int return_map_value(struct bpf_sock_addr *ctx)
{
    uint32_t ip = ctx->user_ip4;
    uint32_t *verdict = bpf_map_lookup_elem(&allowed, &ip);
    return verdict ? (int)*verdict : 1;
}

SEC("cgroup/connect4")
int checked_verdict(struct bpf_sock_addr *ctx)
{
    uint32_t ip = ctx->user_ip4;
    uint32_t *verdict = bpf_map_lookup_elem(&allowed, &ip);
    return verdict && *verdict == 0 ? 0 : 1;
}

char LICENSE[] SEC("license") = "GPL";
