/*
 * The processes of a supervised tree we have seen exec, each with a pidfd
 * opened while it waited in its exec (so the pidfd names it, never a later
 * process reusing its pid). A pidfd turns readable when the process has
 * exited (all its threads); its wait status then comes from, in order:
 *   1. the helper, which reaps the command and the tree's orphans, and
 *      reported it before we looked (we read its messages first);
 *   2. PIDFD_INFO_EXIT (Linux >= 6.15): the status of a reaped process;
 *   3. /proc/PID/stat's exit_code (field 52) while the process is still a
 *      zombie (or being reaped), which a later signal 0 through the pidfd
 *      confirms (the pid cannot have been reused while the task exists).
 * Each is the exact status; if its parent reaps it between 3 and 2 on an
 * older kernel, the status is unknown.
 *
 * The pidfds are watched in one epoll set (the pid as its data), which
 * the loop and the workers wait on or look at; a process is found by its
 * pid there under the run's lock, so a process retired meanwhile by
 * another thread is never touched (it is taken out of the set before its
 * pidfd is closed).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ext/supervise/supervise.h"

/* PIDFD_GET_INFO's first published struct (Linux 6.13; exit_code since 6.15), not in older headers. */
struct pidfd_info_v0 {
    uint64_t mask;
    uint64_t cgroupid;
    uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
    int32_t exit_code;
};
_Static_assert(sizeof(struct pidfd_info_v0) == 64, "PIDFD_INFO_SIZE_VER0");
#define PIDFD_GET_INFO_V0 _IOWR(0xFF, 11, struct pidfd_info_v0)
#define PIDFD_INFO_EXIT_BIT (1ull << 3)

/* clone3()'s first published arguments (CLONE_ARGS_SIZE_VER0), not in every C library's headers. */
struct clone_args_v0 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};
#define CLONE_PIDFD_FLAG 0x1000ull /* CLONE_PIDFD (Linux 5.2) */

int sv_tree_init(struct sv_tree *t)
{
    memset(t, 0, sizeof(*t));
    t->exits_fd = epoll_create1(EPOLL_CLOEXEC);
    return t->exits_fd < 0 ? -errno : 0;
}

struct sv_proc *sv_tree_find(struct sv_tree *t, pid_t pid)
{
    for (size_t i = 0; i < t->count; i++)
        if (t->procs[i]->pid == pid)
            return t->procs[i];
    return NULL;
}

struct sv_proc *sv_tree_add(struct sv_tree *t, pid_t pid, int pidfd, int *err)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        struct sv_proc **grown = realloc(t->procs, cap * sizeof(*grown));
        if (grown)
            t->procs = grown;
        struct sv_proc **ready = realloc(t->ready, cap * sizeof(*ready));
        if (ready)
            t->ready = ready;
        struct epoll_event *events = realloc(t->events, cap * sizeof(*events));
        if (events)
            t->events = events;
        if (!grown || !ready || !events) {
            *err = -ENOMEM;
            return NULL;
        }
        t->cap = cap;
    }
    struct sv_proc *p = calloc(1, sizeof(*p));
    if (!p) {
        *err = -ENOMEM;
        return NULL;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)pid};
    if (epoll_ctl(t->exits_fd, EPOLL_CTL_ADD, pidfd, &ev) != 0) {
        *err = -errno;
        free(p);
        return NULL;
    }
    p->pid = pid;
    p->pidfd = pidfd;
    t->procs[t->count++] = p;
    return p;
}

bool sv_tree_exited(const struct sv_proc *p)
{
    struct pollfd fd = {.fd = p->pidfd, .events = POLLIN};
    return poll(&fd, 1, 0) == 1;
}

void sv_tree_reaped(struct sv_tree *t, pid_t pid, int status)
{
    struct sv_proc *p = sv_tree_find(t, pid);
    if (p && sv_tree_exited(p)) { /* not a later process that got the pid */
        p->status = status;
        p->status_known = true;
    }
}

/* The status of a reaped process (Linux >= 6.15); false if not reaped or not supported. */
static bool status_after_reap(struct sv_proc *p)
{
    struct pidfd_info_v0 info = {.mask = PIDFD_INFO_EXIT_BIT};
    if (ioctl(p->pidfd, PIDFD_GET_INFO_V0, &info) != 0 || !(info.mask & PIDFD_INFO_EXIT_BIT))
        return false;
    p->status = info.exit_code;
    p->status_known = true;
    return true;
}

/* The exit_code field of /proc/PID/stat (the 52nd; the 50th after the parenthesised comm). */
static bool stat_exit_code(pid_t pid, int *status)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    /* Only a zombie (Z), or one its parent is reaping (X), has its exit code. */
    if (!p || p[1] != ' ' || (p[2] != 'Z' && p[2] != 'X'))
        return false;
    p += 2;
    for (int field = 3; field < 52 && p; field++) {
        p = strchr(p, ' ');
        p = p ? p + 1 : NULL;
    }
    if (!p)
        return false;
    *status = (int)strtol(p, NULL, 10);
    return true;
}

bool sv_tree_status_kept(void)
{
    static atomic_int known; /* 0: not probed yet, 1: no, 2: yes */
    int k = atomic_load(&known);
    if (k)
        return k == 2;
    /* Exit signal 0: no SIGCHLD for the caller's handlers, and only a __WCLONE wait (ours) reaps it. */
    int pidfd = -1;
    struct clone_args_v0 args = {.flags = CLONE_PIDFD_FLAG, .pidfd = (uint64_t)(uintptr_t)&pidfd};
    long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0)
        _exit(0);
    bool kept = false;
    if (pid > 0) {
        siginfo_t si;
        int rc;
        while ((rc = waitid(P_PIDFD, (id_t)pidfd, &si, WEXITED | __WCLONE)) != 0 && errno == EINTR)
            ;
        struct pidfd_info_v0 info = {.mask = PIDFD_INFO_EXIT_BIT};
        kept = rc == 0 && ioctl(pidfd, PIDFD_GET_INFO_V0, &info) == 0 && (info.mask & PIDFD_INFO_EXIT_BIT);
        close(pidfd);
    }
    atomic_store(&known, kept ? 2 : 1);
    return kept;
}

bool sv_tree_exit_status(struct sv_proc *p)
{
    if (p->status_known || status_after_reap(p))
        return true;
    int status;
    /* Still there after we read its stat (ESRCH once reaped): the zombie we read was ours. */
    if (stat_exit_code(p->pid, &status) &&
        (syscall(SYS_pidfd_send_signal, p->pidfd, 0, NULL, 0) == 0 || errno == EPERM)) {
        p->status = status;
        p->status_known = true;
        return true;
    }
    return status_after_reap(p); /* reaped while we looked */
}

void sv_tree_retire(struct sv_tree *t, struct sv_proc *p)
{
    for (size_t i = 0; i < t->count; i++) {
        if (t->procs[i] == p) {
            t->procs[i] = t->procs[--t->count];
            break;
        }
    }
    if (p->pidfd >= 0) {
        /* Out of the set first: close() takes it out only if no fork of the host copied the pidfd. */
        epoll_ctl(t->exits_fd, EPOLL_CTL_DEL, p->pidfd, NULL);
        close(p->pidfd);
    }
    free(p);
}

/*
 * Reports the exits of the n processes in ready (all seen exited at
 * once): a process before its parent, as the parent waited for it.
 * Consumes ready.
 */
static void report_in_order(struct sv_run *run, struct sv_proc **ready, size_t n)
{
    while (n) {
        size_t pick = 0; /* the first that is no parent of the rest (else any) */
        for (size_t i = 0; i < n; i++) {
            bool child_left = false;
            for (size_t j = 0; j < n && !child_left; j++)
                child_left = j != i && ready[j]->ppid == (uint32_t)ready[i]->pid;
            if (!child_left) {
                pick = i;
                break;
            }
        }
        sv_events_exit(run, ready[pick]);
        ready[pick] = ready[--n];
    }
}

void sv_tree_report_exits(struct sv_run *run)
{
    struct sv_tree *t = &run->tree;
    if (!t->count)
        return;
    int n = epoll_wait(t->exits_fd, t->events, (int)t->count, 0);
    size_t ready = 0;
    for (int i = 0; i < n; i++) {
        /* The one process of that pid: one that took the pid of a retired process was added after it left the set. */
        struct sv_proc *p = sv_tree_find(t, (pid_t)t->events[i].data.u64);
        if (p)
            t->ready[ready++] = p;
    }
    report_in_order(run, t->ready, ready);
}

void sv_tree_free(struct sv_tree *t)
{
    while (t->count)
        sv_tree_retire(t, t->procs[0]);
    free(t->procs);
    free(t->ready);
    free(t->events);
    if (t->exits_fd >= 0)
        close(t->exits_fd);
    memset(t, 0, sizeof(*t));
    t->exits_fd = -1;
}
