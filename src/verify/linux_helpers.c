/*
 * Prototypes of the Linux helpers that Linux programs of the supported
 * types call, with the program types each is offered to (Linux's
 * numbering and argument kinds, written from the uapi documentation of
 * each helper). Used to build the Linux profiles.
 */
#include "verify/linux.h"

#define A(...) {__VA_ARGS__}
#define M(t) (1ULL << VERIFY_MAP_##t)

#define CTX VERIFY_ARG_CTX
#define NUM VERIFY_ARG_SCALAR
#define ANY VERIFY_ARG_ANYTHING
#define MAP VERIFY_ARG_MAP_PTR
#define KEY VERIFY_ARG_MAP_KEY
#define VAL VERIFY_ARG_MAP_VALUE
#define VOUT VERIFY_ARG_MAP_VALUE_OUT
#define RD VERIFY_ARG_MEM_READ
#define RDN VERIFY_ARG_MEM_READ_OR_NULL
#define WR VERIFY_ARG_MEM_WRITE
#define SZ VERIFY_ARG_CONST_SIZE
#define SZ0 VERIFY_ARG_SIZE_OR_ZERO
#define ALLOC VERIFY_ARG_ALLOC_SIZE
#define RBUF VERIFY_ARG_RINGBUF_MEM
#define CB VERIFY_ARG_CALLBACK
#define STR VERIFY_ARG_CONST_STR
#define INT VERIFY_RET_INTEGER
#define VOID VERIFY_RET_VOID
#define VALN VERIFY_RET_MAP_VALUE_OR_NULL
#define RBN VERIFY_RET_RINGBUF_MEM_OR_NULL
#define PKT VERIFY_HELPER_CHANGES_PACKET
#define TAIL VERIFY_HELPER_TAIL_CALL

#define TRACING (LT_KPROBE | LT_TRACEPOINT | LT_RAW_TRACEPOINT | LT_PERF_EVENT)
#define SKB (LT_SOCKET_FILTER | LT_SCHED_CLS | LT_SCHED_ACT | LT_CGROUP_SKB | LT_LWT_IN | LT_LWT_OUT | LT_LWT_XMIT | LT_SK_SKB)
#define TC (LT_SCHED_CLS | LT_SCHED_ACT)
#define TC_LWTX (TC | LT_LWT_XMIT)
#define SOCK (LT_CGROUP_SOCK | LT_CGROUP_SOCK_ADDR | LT_SOCK_OPS)
#define ALL LT_ALL

const struct vlinux_helper vlinux_helpers[] = {
    {{1, "bpf_map_lookup_elem", VALN, A(MAP, KEY), 0, 0}, ALL},
    {{2, "bpf_map_update_elem", INT, A(MAP, KEY, VAL, NUM), 0, 0}, ALL},
    {{3, "bpf_map_delete_elem", INT, A(MAP, KEY), 0, 0}, ALL},
    {{4, "bpf_probe_read", INT, A(WR, SZ0, ANY), 0, 0}, TRACING},
    {{5, "bpf_ktime_get_ns", INT, A(0), 0, 0}, ALL},
    {{6, "bpf_trace_printk", INT, A(RD, SZ, ANY, ANY, ANY), VERIFY_HELPER_FORMAT, 0}, ALL},
    {{7, "bpf_get_prandom_u32", INT, A(0), 0, 0}, ALL},
    {{8, "bpf_get_smp_processor_id", INT, A(0), 0, 0}, ALL},
    {{9, "bpf_skb_store_bytes", INT, A(CTX, NUM, RD, SZ, NUM), PKT, 0}, TC_LWTX | LT_SK_SKB},
    {{10, "bpf_l3_csum_replace", INT, A(CTX, NUM, NUM, NUM, NUM), PKT, 0}, TC_LWTX},
    {{11, "bpf_l4_csum_replace", INT, A(CTX, NUM, NUM, NUM, NUM), PKT, 0}, TC_LWTX},
    {{12, "bpf_tail_call", INT, A(CTX, MAP, NUM), TAIL, M(PROG_ARRAY)}, ALL},
    {{13, "bpf_clone_redirect", INT, A(CTX, NUM, NUM), PKT, 0}, TC_LWTX},
    {{14, "bpf_get_current_pid_tgid", INT, A(0), 0, 0}, TRACING | LT_CGROUP_SOCK | LT_CGROUP_SOCK_ADDR | LT_CGROUP_SKB},
    {{15, "bpf_get_current_uid_gid", INT, A(0), 0, 0}, TRACING | LT_CGROUP_SOCK | LT_CGROUP_SOCK_ADDR | LT_CGROUP_SKB},
    {{16, "bpf_get_current_comm", INT, A(WR, SZ), 0, 0}, TRACING | LT_CGROUP_SOCK | LT_CGROUP_SOCK_ADDR},
    {{17, "bpf_get_cgroup_classid", INT, A(CTX), 0, 0}, TC | LT_LWT_IN | LT_LWT_OUT | LT_LWT_XMIT},
    {{18, "bpf_skb_vlan_push", INT, A(CTX, NUM, NUM), PKT, 0}, TC},
    {{19, "bpf_skb_vlan_pop", INT, A(CTX), PKT, 0}, TC},
    {{20, "bpf_skb_get_tunnel_key", INT, A(CTX, WR, SZ, NUM), 0, 0}, TC_LWTX},
    {{21, "bpf_skb_set_tunnel_key", INT, A(CTX, RD, SZ, NUM), 0, 0}, TC_LWTX},
    {{22, "bpf_perf_event_read", INT, A(MAP, NUM), 0, M(PERF_EVENT_ARRAY)}, TRACING},
    {{23, "bpf_redirect", INT, A(NUM, NUM), 0, 0}, TC_LWTX | LT_XDP},
    {{24, "bpf_get_route_realm", INT, A(CTX), 0, 0}, TC | LT_LWT_IN | LT_LWT_OUT | LT_LWT_XMIT},
    {{25, "bpf_perf_event_output", INT, A(CTX, MAP, NUM, RD, SZ0), VERIFY_HELPER_EXPORTS, M(PERF_EVENT_ARRAY)},
     TRACING | SKB | LT_XDP | SOCK},
    {{26, "bpf_skb_load_bytes", INT, A(CTX, NUM, WR, SZ), 0, 0}, SKB},
    {{27, "bpf_get_stackid", INT, A(CTX, MAP, NUM), 0, M(STACK_TRACE)}, TRACING},
    {{28, "bpf_csum_diff", INT, A(RDN, SZ0, RDN, SZ0, NUM), 0, 0}, TC_LWTX | LT_XDP | LT_LWT_IN | LT_LWT_OUT},
    {{29, "bpf_skb_get_tunnel_opt", INT, A(CTX, WR, SZ), 0, 0}, TC_LWTX},
    {{30, "bpf_skb_set_tunnel_opt", INT, A(CTX, RD, SZ), 0, 0}, TC_LWTX},
    {{31, "bpf_skb_change_proto", INT, A(CTX, NUM, NUM), PKT, 0}, TC},
    {{32, "bpf_skb_change_type", INT, A(CTX, NUM), 0, 0}, TC},
    {{33, "bpf_skb_under_cgroup", INT, A(CTX, MAP, NUM), 0, M(CGROUP_ARRAY)}, TC | LT_LWT_IN | LT_LWT_OUT | LT_LWT_XMIT},
    {{34, "bpf_get_hash_recalc", INT, A(CTX), 0, 0}, TC | LT_LWT_IN | LT_LWT_OUT | LT_LWT_XMIT},
    {{35, "bpf_get_current_task", INT, A(0), 0, 0}, TRACING},
    {{36, "bpf_probe_write_user", INT, A(ANY, RD, SZ), 0, 0}, TRACING},
    {{37, "bpf_current_task_under_cgroup", INT, A(MAP, NUM), 0, M(CGROUP_ARRAY)}, TRACING},
    {{38, "bpf_skb_change_tail", INT, A(CTX, NUM, NUM), PKT, 0}, TC | LT_SK_SKB},
    {{39, "bpf_skb_pull_data", INT, A(CTX, NUM), PKT, 0}, TC_LWTX | LT_SK_SKB | LT_LWT_IN | LT_LWT_OUT},
    {{40, "bpf_csum_update", INT, A(CTX, NUM), 0, 0}, TC},
    {{41, "bpf_set_hash_invalid", INT, A(CTX), 0, 0}, TC_LWTX},
    {{42, "bpf_get_numa_node_id", INT, A(0), 0, 0}, ALL},
    {{43, "bpf_skb_change_head", INT, A(CTX, NUM, NUM), PKT, 0}, LT_LWT_XMIT | LT_SK_SKB},
    {{44, "bpf_xdp_adjust_head", INT, A(CTX, NUM), PKT, 0}, LT_XDP},
    {{45, "bpf_probe_read_str", INT, A(WR, SZ0, ANY), 0, 0}, TRACING},
    {{46, "bpf_get_socket_cookie", INT, A(CTX), 0, 0}, SKB | SOCK},
    {{47, "bpf_get_socket_uid", INT, A(CTX), 0, 0}, SKB},
    {{48, "bpf_set_hash", INT, A(CTX, NUM), 0, 0}, TC_LWTX},
    {{49, "bpf_setsockopt", INT, A(CTX, NUM, NUM, RD, SZ), 0, 0}, LT_SOCK_OPS | LT_CGROUP_SOCK_ADDR},
    {{50, "bpf_skb_adjust_room", INT, A(CTX, NUM, NUM, NUM), PKT, 0}, TC | LT_SK_SKB},
    {{51, "bpf_redirect_map", INT, A(MAP, NUM, NUM), 0,
      M(DEVMAP) | M(DEVMAP_HASH) | M(CPUMAP) | M(XSKMAP)}, LT_XDP},
    {{52, "bpf_sk_redirect_map", INT, A(CTX, MAP, NUM, NUM), 0, M(SOCKMAP)}, LT_SK_SKB},
    {{53, "bpf_sock_map_update", INT, A(CTX, MAP, KEY, NUM), 0, M(SOCKMAP)}, LT_SOCK_OPS},
    {{54, "bpf_xdp_adjust_meta", INT, A(CTX, NUM), PKT, 0}, LT_XDP},
    {{55, "bpf_perf_event_read_value", INT, A(MAP, NUM, WR, SZ), 0, M(PERF_EVENT_ARRAY)}, TRACING},
    {{56, "bpf_perf_prog_read_value", INT, A(CTX, WR, SZ), 0, 0}, LT_PERF_EVENT},
    {{57, "bpf_getsockopt", INT, A(CTX, NUM, NUM, WR, SZ), 0, 0}, LT_SOCK_OPS | LT_CGROUP_SOCK_ADDR},
    {{58, "bpf_override_return", INT, A(CTX, NUM), 0, 0}, LT_KPROBE},
    {{59, "bpf_sock_ops_cb_flags_set", INT, A(CTX, NUM), 0, 0}, LT_SOCK_OPS},
    {{64, "bpf_bind", INT, A(CTX, RD, SZ), 0, 0}, LT_CGROUP_SOCK_ADDR},
    {{65, "bpf_xdp_adjust_tail", INT, A(CTX, NUM), PKT, 0}, LT_XDP},
    {{67, "bpf_get_stack", INT, A(CTX, WR, SZ0, NUM), 0, 0}, TRACING},
    {{68, "bpf_skb_load_bytes_relative", INT, A(CTX, NUM, WR, SZ, NUM), 0, 0}, SKB},
    {{69, "bpf_fib_lookup", INT, A(CTX, RD, SZ, NUM), 0, 0}, TC | LT_XDP},
    {{70, "bpf_sock_hash_update", INT, A(CTX, MAP, KEY, NUM), 0, M(SOCKHASH)}, LT_SOCK_OPS},
    {{80, "bpf_get_current_cgroup_id", INT, A(0), 0, 0}, TRACING | LT_CGROUP_SOCK | LT_CGROUP_SOCK_ADDR},
    {{87, "bpf_map_push_elem", INT, A(MAP, VAL, NUM), 0, M(QUEUE) | M(STACK)}, ALL},
    {{88, "bpf_map_pop_elem", INT, A(MAP, VOUT), 0, M(QUEUE) | M(STACK)}, ALL},
    {{89, "bpf_map_peek_elem", INT, A(MAP, VOUT), 0, M(QUEUE) | M(STACK)}, ALL},
    {{109, "bpf_send_signal", INT, A(NUM), 0, 0}, TRACING},
    {{112, "bpf_probe_read_user", INT, A(WR, SZ0, ANY), 0, 0}, TRACING},
    {{113, "bpf_probe_read_kernel", INT, A(WR, SZ0, ANY), 0, 0}, TRACING},
    {{114, "bpf_probe_read_user_str", INT, A(WR, SZ0, ANY), 0, 0}, TRACING},
    {{115, "bpf_probe_read_kernel_str", INT, A(WR, SZ0, ANY), 0, 0}, TRACING},
    {{118, "bpf_jiffies64", INT, A(0), 0, 0}, ALL},
    {{125, "bpf_ktime_get_boot_ns", INT, A(0), 0, 0}, ALL},
    {{130, "bpf_ringbuf_output", INT, A(MAP, RD, SZ0, NUM), VERIFY_HELPER_EXPORTS, M(RINGBUF)}, ALL},
    {{131, "bpf_ringbuf_reserve", RBN, A(MAP, ALLOC, NUM), 0, M(RINGBUF)}, ALL},
    {{132, "bpf_ringbuf_submit", VOID, A(RBUF, NUM), 0, 0}, ALL},
    {{133, "bpf_ringbuf_discard", VOID, A(RBUF, NUM), 0, 0}, ALL},
    {{134, "bpf_ringbuf_query", INT, A(MAP, NUM), 0, M(RINGBUF)}, ALL},
    {{165, "bpf_snprintf", INT, A(VERIFY_ARG_MEM_WRITE_OR_NULL, SZ0, STR, RDN, SZ0),
      VERIFY_HELPER_POINTER_DATA | VERIFY_HELPER_FORMAT, 0},
     ALL},
    {{181, "bpf_loop", INT, A(NUM, CB, ANY, NUM), 0, 0}, ALL},
    {{182, "bpf_strncmp", INT, A(RD, SZ, STR), 0, 0}, ALL},
};

const size_t vlinux_helper_count = sizeof(vlinux_helpers) / sizeof(vlinux_helpers[0]);

/* Names of Linux helpers no supported type is offered, for messages. */
static const struct {
    uint32_t id;
    const char *name;
} other_names[] = {
    {60, "bpf_msg_redirect_map"}, {61, "bpf_msg_apply_bytes"}, {62, "bpf_msg_cork_bytes"},
    {63, "bpf_msg_pull_data"},    {66, "bpf_skb_get_xfrm_state"}, {71, "bpf_msg_redirect_hash"},
    {72, "bpf_sk_redirect_hash"}, {84, "bpf_sk_lookup_tcp"},     {85, "bpf_sk_lookup_udp"},
    {86, "bpf_sk_release"},
};

const char *vlinux_helper_name(uint32_t id)
{
    for (size_t i = 0; i < vlinux_helper_count; i++)
        if (vlinux_helpers[i].proto.id == id)
            return vlinux_helpers[i].proto.name;
    for (size_t i = 0; i < sizeof(other_names) / sizeof(other_names[0]); i++)
        if (other_names[i].id == id)
            return other_names[i].name;
    return NULL;
}
