/*
 * Linux program types as profiles: Linux's context layouts (struct
 * __sk_buff, xdp_md, pt_regs of x86-64, bpf_sock_ops, bpf_sock,
 * bpf_sock_addr, ...) with the rights Linux gives each type, the helpers
 * each type is offered, the return-value rules, and libbpf's mapping of
 * section names to types. For checking Linux objects offline.
 */
#include <pthread.h>
#include <string.h>

#include "verify/linux.h"

#define R VERIFY_READ
#define RW (VERIFY_READ | VERIFY_WRITE)
#define F(off, size, acc) {off, size, acc, VERIFY_FIELD_PLAIN}
#define PTR(off, kind) {off, 4, R, VERIFY_FIELD_##kind}

/* struct __sk_buff, with the rights of each family of types: w_* are the
 * fields its types may write; data pointers are offered where has_data. */
#define SKB_FIELDS(mark, prio, tcidx, classid, qmap)                                                             \
    F(0, 8, R), F(8, 4, mark), F(12, 4, qmap), F(16, 16, R), F(32, 4, prio), F(36, 8, R), F(44, 4, tcidx),         \
        F(48, 20, RW), F(68, 4, R), F(72, 4, classid), F(84, 56, R), F(152, 8, R), F(160, 8, R), F(176, 4, R)
#define SKB_DATA PTR(76, PACKET), PTR(80, PACKET_END), PTR(140, PACKET_META)

static const struct verify_ctx_field skb_socket[] = {F(0, 8, R),  F(8, 4, R),   F(12, 4, R),  F(16, 16, R),
                                                     F(32, 4, R), F(36, 8, R),  F(44, 4, R),  F(48, 20, RW),
                                                     F(68, 4, R), F(84, 56, R), F(160, 8, R), F(176, 4, R)};
static const struct verify_ctx_field skb_tc[] = {SKB_FIELDS(RW, RW, RW, RW, RW), SKB_DATA};
static const struct verify_ctx_field skb_cgroup[] = {SKB_FIELDS(RW, RW, R, R, R), PTR(76, PACKET), PTR(80, PACKET_END)};
static const struct verify_ctx_field skb_lwt[] = {SKB_FIELDS(R, R, R, R, R), PTR(76, PACKET), PTR(80, PACKET_END)};
static const struct verify_ctx_field skb_lwt_xmit[] = {SKB_FIELDS(RW, RW, R, R, R), PTR(76, PACKET),
                                                       PTR(80, PACKET_END)};
static const struct verify_ctx_field skb_sk_skb[] = {SKB_FIELDS(R, RW, RW, R, R), PTR(76, PACKET), PTR(80, PACKET_END)};

/* struct xdp_md */
static const struct verify_ctx_field xdp_md[] = {PTR(0, PACKET), PTR(4, PACKET_END), PTR(8, PACKET_META),
                                                 F(12, 12, R)};
/* struct pt_regs (x86-64) */
static const struct verify_ctx_field pt_regs[] = {F(0, 168, R)};
/* struct bpf_perf_event_data: regs, sample_period, addr */
static const struct verify_ctx_field perf_event[] = {F(0, 184, R)};
/* A tracepoint's record: read-only, up to Linux's limit for its format. */
static const struct verify_ctx_field tracepoint[] = {F(0, 2048, R)};
/* struct bpf_raw_tracepoint_args: up to 12 u64 arguments */
static const struct verify_ctx_field raw_tracepoint[] = {F(0, 96, R)};
/* struct bpf_sock_ops: op, reply (writable), the connection's fields, sk_txhash (writable), packet pair */
static const struct verify_ctx_field sock_ops[] = {F(0, 4, R), F(4, 16, RW), F(20, 144, R), F(164, 4, RW),
                                                   F(168, 16, R), {192, 8, R, VERIFY_FIELD_PACKET},
                                                   {200, 8, R, VERIFY_FIELD_PACKET_END}, F(208, 16, R)};
/* struct bpf_sock: bound_dev_if, mark and priority writable at creation */
static const struct verify_ctx_field bpf_sock[] = {F(0, 4, RW), F(4, 12, R), F(16, 8, RW), F(24, 56, R)};
/* struct bpf_sock_addr: the user address and the source address writable */
static const struct verify_ctx_field sock_addr[] = {F(0, 4, R), F(4, 24, RW), F(28, 12, R), F(40, 20, RW)};

#define FIELDS(a) a, sizeof(a) / sizeof(a[0])

struct linux_type {
    const char *name;
    unsigned bit;
    uint32_t ctx_size;
    const struct verify_ctx_field *fields;
    size_t field_count;
    uint8_t packet;
    bool legacy;
    bool ret01;
};

static const struct linux_type types[] = {
    {"socket_filter", LT_SOCKET_FILTER, 192, FIELDS(skb_socket), 0, true, false},
    {"kprobe", LT_KPROBE, 168, FIELDS(pt_regs), 0, false, false},
    {"tracepoint", LT_TRACEPOINT, 2048, FIELDS(tracepoint), 0, false, false},
    {"raw_tracepoint", LT_RAW_TRACEPOINT, 96, FIELDS(raw_tracepoint), 0, false, false},
    {"perf_event", LT_PERF_EVENT, 184, FIELDS(perf_event), 0, false, false},
    {"xdp", LT_XDP, 24, FIELDS(xdp_md), RW, false, false},
    {"sched_cls", LT_SCHED_CLS, 192, FIELDS(skb_tc), RW, true, false},
    {"sched_act", LT_SCHED_ACT, 192, FIELDS(skb_tc), RW, true, false},
    {"cgroup_skb", LT_CGROUP_SKB, 192, FIELDS(skb_cgroup), R, false, true},
    {"cgroup_sock", LT_CGROUP_SOCK, 80, FIELDS(bpf_sock), 0, false, true},
    {"cgroup_sock_addr", LT_CGROUP_SOCK_ADDR, 72, FIELDS(sock_addr), 0, false, true},
    {"sock_ops", LT_SOCK_OPS, 224, FIELDS(sock_ops), R, false, false},
    {"lwt_in", LT_LWT_IN, 192, FIELDS(skb_lwt), R, false, false},
    {"lwt_out", LT_LWT_OUT, 192, FIELDS(skb_lwt), R, false, false},
    {"lwt_xmit", LT_LWT_XMIT, 192, FIELDS(skb_lwt_xmit), RW, false, false},
    {"sk_skb", LT_SK_SKB, 192, FIELDS(skb_sk_skb), RW, false, false},
};
enum { TYPE_COUNT = sizeof(types) / sizeof(types[0]), HELPERS_MAX = 128 };

static struct verify_profile profiles[TYPE_COUNT];
static struct verify_helper helpers[TYPE_COUNT][HELPERS_MAX];
static const char *names[TYPE_COUNT + 1];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
    for (size_t t = 0; t < TYPE_COUNT; t++) {
        const struct linux_type *lt = &types[t];
        size_t n = 0;
        for (size_t h = 0; h < vlinux_helper_count && n < HELPERS_MAX; h++)
            if (vlinux_helpers[h].types & lt->bit)
                helpers[t][n++] = vlinux_helpers[h].proto;
        profiles[t] = (struct verify_profile){
            .name = lt->name,
            .ctx_size = lt->ctx_size,
            .fields = lt->fields,
            .field_count = lt->field_count,
            .packet_access = lt->packet,
            .helpers = helpers[t],
            .helper_count = n,
            .retval_range = lt->ret01,
            .retval_min = 0,
            .retval_max = 1,
            .legacy_packet_loads = lt->legacy,
        };
        names[t] = lt->name;
    }
}

const struct verify_profile *verify_linux_profile(const char *type)
{
    pthread_once(&once, build);
    for (size_t t = 0; type && t < TYPE_COUNT; t++)
        if (strcmp(profiles[t].name, type) == 0)
            return &profiles[t];
    return NULL;
}

const char *const *verify_linux_type_names(void)
{
    pthread_once(&once, build);
    return names;
}

/* libbpf's section prefixes (and a few older conventions of samples/bpf). */
static const struct {
    const char *prefix;
    const char *type;
} sections[] = {
    {"socket", "socket_filter"},          {"kprobe/", "kprobe"},
    {"kretprobe/", "kprobe"},             {"uprobe", "kprobe"},
    {"uretprobe", "kprobe"},              {"ksyscall/", "kprobe"},
    {"tracepoint/", "tracepoint"},        {"tp/", "tracepoint"},
    {"raw_tracepoint/", "raw_tracepoint"}, {"raw_tp/", "raw_tracepoint"},
    {"perf_event", "perf_event"},         {"xdp", "xdp"},
    {"classifier", "sched_cls"},          {"tc", "sched_cls"},
    {"action", "sched_act"},              {"cgroup/skb", "cgroup_skb"},
    {"cgroup_skb/", "cgroup_skb"},        {"cgroup/sock", "cgroup_sock"},
    {"cgroup/post_bind", "cgroup_sock"},  {"cgroup/bind", "cgroup_sock_addr"},
    {"cgroup/connect", "cgroup_sock_addr"}, {"cgroup/sendmsg", "cgroup_sock_addr"},
    {"cgroup/recvmsg", "cgroup_sock_addr"}, {"cgroup/getpeername", "cgroup_sock_addr"},
    {"cgroup/getsockname", "cgroup_sock_addr"}, {"sockops", "sock_ops"},
    {"sk_skb", "sk_skb"},                 {"lwt_in", "lwt_in"},
    {"lwt_out", "lwt_out"},               {"lwt_xmit", "lwt_xmit"},
};

const char *verify_linux_type_of_section(const char *section)
{
    const char *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; section && i < sizeof(sections) / sizeof(sections[0]); i++) {
        size_t len = strlen(sections[i].prefix);
        if (len > best_len && strncmp(section, sections[i].prefix, len) == 0) {
            best = sections[i].type;
            best_len = len;
        }
    }
    return best;
}
