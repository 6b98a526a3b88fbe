/*
 * eBPF for Windows' context of cgroup_sock_addr programs (bpf_sock_addr_t
 * of its ebpf_nethooks.h), for the test programs written the way its
 * samples are: 64 bytes, the destination (user_ip, user_port) writable.
 */
#ifndef BPFHOST_TESTS_WINDOWS_SOCK_ADDR_H
#define BPFHOST_TESTS_WINDOWS_SOCK_ADDR_H

#include <bpf_helpers.h>

typedef struct bpf_sock_addr {
    uint32_t family;
    struct {
        union {
            uint32_t msg_src_ip4;
            uint32_t msg_src_ip6[4];
        };
        uint16_t msg_src_port;
    };
    struct {
        union {
            uint32_t user_ip4;
            uint32_t user_ip6[4];
        };
        uint16_t user_port;
    };
    uint32_t protocol;
    uint32_t compartment_id;
    uint64_t interface_luid;
} bpf_sock_addr_t;

/* The verdicts its connect and accept hooks take. */
enum { VERDICT_REJECT, VERDICT_PROCEED_SOFT, VERDICT_PROCEED_HARD };

/* A connection as the policy maps key it: the peer and the protocol. */
struct connection {
    uint32_t ip[4];
    uint16_t port;
    uint16_t pad;
    uint32_t protocol;
};

/* Fills key from ctx's destination (IPv4: ip[0]). */
static inline void connection_of(const bpf_sock_addr_t *ctx, struct connection *key, int ipv6)
{
    key->ip[0] = ctx->user_ip4;
    if (ipv6) {
        key->ip[1] = ctx->user_ip6[1];
        key->ip[2] = ctx->user_ip6[2];
        key->ip[3] = ctx->user_ip6[3];
    }
    key->port = ctx->user_port;
    key->protocol = ctx->protocol;
}

#endif
