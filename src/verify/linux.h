/*
 * Private to src/verify: the tables behind the Linux profiles (program
 * types as bits, helper prototypes with the types offered each).
 */
#ifndef BPFHOST_VERIFY_LINUX_H
#define BPFHOST_VERIFY_LINUX_H

#include "verify/internal.h"

/* One bit per supported Linux program type. */
enum {
    LT_SOCKET_FILTER = 1 << 0,
    LT_KPROBE = 1 << 1,
    LT_TRACEPOINT = 1 << 2,
    LT_RAW_TRACEPOINT = 1 << 3,
    LT_PERF_EVENT = 1 << 4,
    LT_XDP = 1 << 5,
    LT_SCHED_CLS = 1 << 6,
    LT_SCHED_ACT = 1 << 7,
    LT_CGROUP_SKB = 1 << 8,
    LT_CGROUP_SOCK = 1 << 9,
    LT_CGROUP_SOCK_ADDR = 1 << 10,
    LT_SOCK_OPS = 1 << 11,
    LT_LWT_IN = 1 << 12,
    LT_LWT_OUT = 1 << 13,
    LT_LWT_XMIT = 1 << 14,
    LT_SK_SKB = 1 << 15,
    LT_ALL = (1 << 16) - 1,
};

struct vlinux_helper {
    struct verify_helper proto;
    unsigned types; /* LT_* bits of the types offered it */
};

extern const struct vlinux_helper vlinux_helpers[];
extern const size_t vlinux_helper_count;

#endif
