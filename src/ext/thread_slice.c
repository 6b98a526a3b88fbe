/*
 * A thread that execs wait for (the supervised tree's loop while a run
 * lasts, the fanotify source's reader and relays) asks for a short time
 * slice. Every exec waits while such a thread reads and decides it, and on
 * a busy machine the thread competes for a CPU with the exec'ing
 * processes: with the default slice (0.7 ms times a factor for the CPU
 * count) a woken supervisor can wait for another task's slice to run out
 * first, and that wait is the exec's. Linux's EEVDF scheduler (6.12)
 * takes a thread's wish for a shorter slice from sched_attr.sched_runtime
 * (0.1 ms at least): the thread then gets an earlier deadline when it
 * wakes and runs sooner; its share of the CPU stays what it was. Needs no
 * privilege; older kernels ignore it for a normal thread. Real-time and
 * deadline threads are left alone (sched_runtime means something else
 * there).
 */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ext/internal.h"

/* struct sched_attr of Linux 4.13 (SCHED_ATTR_SIZE_VER1); not in every C library's headers. */
struct sched_attr_v1 {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t sched_util_min, sched_util_max;
};
_Static_assert(sizeof(struct sched_attr_v1) == sizeof(((struct ext_slice *)0)->attr), "SCHED_ATTR_SIZE_VER1");

/* The slice asked for: the least the kernel takes, about one exec's handling. */
enum { SHORT_SLICE_NS = 100000 };
/* The one flag that is a setting of the thread's (the others ask for changes): kept as it was. */
#define RESET_ON_FORK_FLAG 0x01ull

void ext_slice_shorten(struct ext_slice *saved)
{
    struct sched_attr_v1 attr;
    saved->changed = false;
    if (syscall(SYS_sched_getattr, 0, &attr, sizeof(attr), 0) != 0 ||
        (attr.sched_policy != SCHED_OTHER && attr.sched_policy != SCHED_BATCH))
        return;
    memcpy(saved->attr, &attr, sizeof(attr));
    attr.size = sizeof(attr);
    attr.sched_flags &= RESET_ON_FORK_FLAG;
    attr.sched_runtime = SHORT_SLICE_NS;
    saved->changed = syscall(SYS_sched_setattr, 0, &attr, 0) == 0;
}

void ext_slice_restore(const struct ext_slice *saved)
{
    if (!saved->changed)
        return;
    struct sched_attr_v1 attr;
    memcpy(&attr, saved->attr, sizeof(attr));
    attr.size = sizeof(attr);
    attr.sched_flags &= RESET_ON_FORK_FLAG;
    syscall(SYS_sched_setattr, 0, &attr, 0); /* if refused, the thread keeps the short slice: no harm */
}
