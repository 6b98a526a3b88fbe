/*
 * eBPF for Windows' other network types Linux also names, in an object its
 * 32-byte map record marks as eBPF for Windows': an xdp_test program
 * (xdp_md_t with 64-bit data pointers) and sock_ops programs
 * (bpf_sock_ops_t, every field read-only).
 */
#include <bpf_helpers.h>

/* eBPF for Windows' xdp_md_t and bpf_sock_ops_t (its ebpf_nethooks.h and test hook). */
typedef struct xdp_md {
    void *data;
    void *data_end;
    uint64_t data_meta;
    uint32_t ingress_ifindex;
} xdp_md_t;

typedef struct bpf_sock_ops {
    uint32_t op;
    uint32_t family;
    struct {
        union {
            uint32_t local_ip4;
            uint32_t local_ip6[4];
        };
        uint32_t local_port;
    };
    struct {
        union {
            uint32_t remote_ip4;
            uint32_t remote_ip6[4];
        };
        uint32_t remote_port;
    };
    uint8_t protocol;
    uint32_t compartment_id;
    uint64_t interface_luid;
} bpf_sock_ops_t;

enum { XDP_PASS = 1, XDP_DROP = 2 };

/* eBPF for Windows' legacy map definition: eight 32-bit fields. */
struct windows_map_definition {
    uint32_t type, key_size, value_size, max_entries, inner_map_idx, pinning, id, inner_id;
};

struct windows_map_definition per_interface SEC("maps") = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = sizeof(uint64_t),
    .value_size = sizeof(uint64_t),
    .max_entries = 64,
};

SEC("xdp_test")
int drop_short(xdp_md_t *ctx)
{
    uint8_t *data = ctx->data, *end = ctx->data_end;
    if (data + 14 > end)
        return XDP_DROP;
    return data[12] == 0x08 ? XDP_PASS : XDP_DROP;
}

SEC("sockops")
int count_connections(bpf_sock_ops_t *ctx)
{
    uint64_t luid = ctx->interface_luid;
    uint64_t *count = bpf_map_lookup_elem(&per_interface, &luid);
    if (count)
        __sync_fetch_and_add(count, 1);
    return 0;
}

SEC("sockops")
int write_family(bpf_sock_ops_t *ctx)
{
    ctx->family = 2;
    return 0;
}

char LICENSE[] SEC("license") = "MIT";
