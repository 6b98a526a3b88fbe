/*
 * The kernel's floor under each event source: the mechanism a source
 * reads, read by a consumer that does nothing with what it reads. What
 * an exec storm costs with a floor running is the kernel's share (the
 * records formatted, the messages queued, the exec held for an answer)
 * plus the cheapest reading; no source built on that mechanism can cost
 * less. Throwaway readers, not sources: no programs, no /proc, no state.
 *   netlink:  the proc connector, drained in read windows (read_window.c)
 *   audit:    our execve rule, the records drained in read windows
 *   fanotify: FAN_OPEN_EXEC_PERM on the filesystem of /bin/true, each
 *             event answered FAN_ALLOW at once by the reading thread
 *   seccomp:  the storm under a filter that notifies execve, each
 *             notification continued at once
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ext/audit_link.h"
#include "ext/process/proc_connector.h"

struct bench_floor {
    enum bench_floor_kind kind;
    int wake;                 /* eventfd: stop */
    int fd;                   /* the seccomp listener (seccomp only) */
    atomic_uint_least64_t events;
    struct ext_source_counters counters;
    pthread_t thread;
    sem_t started;
    int start_err;
};

static void count_message(void *arg, const struct proc_event *ev)
{
    (void)ev;
    atomic_fetch_add_explicit(&((struct bench_floor *)arg)->events, 1, memory_order_relaxed);
}

static void count_record(void *arg, unsigned type, const char *text, size_t len)
{
    (void)type, (void)text, (void)len;
    atomic_fetch_add_explicit(&((struct bench_floor *)arg)->events, 1, memory_order_relaxed);
}

static void run_netlink(struct bench_floor *f)
{
    struct proc_connector *pc;
    f->start_err = proc_connector_open(&f->counters, "bench floor: ", false, count_message, f, &pc);
    sem_post(&f->started);
    if (!f->start_err) {
        proc_connector_run(pc, f->wake);
        proc_connector_close(pc);
    }
}

static void run_audit(struct bench_floor *f)
{
    struct audit_link link;
    f->start_err = audit_link_open(&link, "bench floor: ");
    sem_post(&f->started);
    if (f->start_err)
        return;
    struct read_window window = {.storm_messages = 16};
    struct pollfd fds[2] = {{link.sock, POLLIN, 0}, {f->wake, POLLIN, 0}};
    uint64_t overruns = 0;
    while (read_window_wait(&window, fds, 2, 0) == 0 && !fds[1].revents) {
        uint64_t before = atomic_load(&f->events);
        if (fds[0].revents && audit_link_drain(&link, count_record, f, &overruns) != 0)
            break;
        read_window_drained(&window, (size_t)(atomic_load(&f->events) - before));
    }
    audit_link_close(&link);
}

static void run_fanotify(struct bench_floor *f)
{
    /* A file table of its own: no fork of this process copies the group (it would hold every exec). */
    int fan = unshare(CLONE_FILES) ? -1 : fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_CLOEXEC);
    if (fan < 0 || fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM, AT_FDCWD,
                                 "/bin/true") != 0) {
        f->start_err = -errno;
        if (fan >= 0)
            close(fan);
        sem_post(&f->started);
        return;
    }
    sem_post(&f->started);
    char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
    for (;;) {
        struct pollfd fds[2] = {{fan, POLLIN, 0}, {f->wake, POLLIN, 0}};
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if (fds[1].revents)
            break;
        ssize_t len = fds[0].revents ? read(fan, buf, sizeof(buf)) : 0;
        const struct fanotify_event_metadata *md = (const void *)buf;
        for (; len > 0 && FAN_EVENT_OK(md, len); md = FAN_EVENT_NEXT(md, len)) {
            if (md->fd < 0)
                continue;
            struct fanotify_response r = {.fd = md->fd, .response = FAN_ALLOW};
            if (write(fan, &r, sizeof(r)) == (ssize_t)sizeof(r))
                atomic_fetch_add_explicit(&f->events, 1, memory_order_relaxed);
            close(md->fd);
        }
    }
    close(fan); /* answers FAN_ALLOW to anything still pending */
}

/* Continues every notification until the filter has no task left (the storm is over). */
static void run_seccomp(struct bench_floor *f)
{
    sem_post(&f->started);
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
        return;
    struct seccomp_notif *req = calloc(1, sizes.seccomp_notif);
    struct seccomp_notif_resp *resp = calloc(1, sizes.seccomp_notif_resp);
    while (req && resp) {
        memset(req, 0, sizes.seccomp_notif);
        if (ioctl(f->fd, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
            if (errno == EINTR)
                continue;
            break; /* ENOENT: no task holds the filter any more */
        }
        memset(resp, 0, sizes.seccomp_notif_resp);
        resp->id = req->id;
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        if (ioctl(f->fd, SECCOMP_IOCTL_NOTIF_SEND, resp) == 0)
            atomic_fetch_add_explicit(&f->events, 1, memory_order_relaxed);
    }
    free(req);
    free(resp);
}

static void *floor_main(void *arg)
{
    struct bench_floor *f = arg;
    switch (f->kind) {
    case BENCH_FLOOR_NETLINK: run_netlink(f); break;
    case BENCH_FLOOR_AUDIT: run_audit(f); break;
    case BENCH_FLOOR_FANOTIFY: run_fanotify(f); break;
    case BENCH_FLOOR_SECCOMP: run_seccomp(f); break;
    }
    return NULL;
}

int bench_floor_start(enum bench_floor_kind kind, int listener, struct bench_floor **out)
{
    struct bench_floor *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->kind = kind;
    f->fd = listener;
    f->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    sem_init(&f->started, 0, 0);
    int err = f->wake < 0 ? -errno : -pthread_create(&f->thread, NULL, floor_main, f);
    if (!err) {
        while (sem_wait(&f->started) != 0)
            ;
        err = f->start_err;
        if (err)
            pthread_join(f->thread, NULL);
    }
    if (err) {
        if (f->wake >= 0)
            close(f->wake);
        sem_destroy(&f->started);
        free(f);
        return err;
    }
    *out = f;
    return 0;
}

uint64_t bench_floor_stop(struct bench_floor *f)
{
    uint64_t one = 1;
    if (f->kind != BENCH_FLOOR_SECCOMP && write(f->wake, &one, sizeof(one)) != (ssize_t)sizeof(one))
        return 0; /* cannot happen on an eventfd below its maximum; the thread is left running */
    pthread_join(f->thread, NULL);
    uint64_t events = atomic_load(&f->events);
    close(f->wake);
    sem_destroy(&f->started);
    free(f);
    return events;
}

int bench_floor_notify_self(int sock)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (listener < 0)
        return -errno;
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &listener, sizeof(int));
    int err = sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
    close(listener);
    close(sock);
    return err;
}

int bench_floor_recv_listener(int sock)
{
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
        return -EPROTO;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
        return -EPROTO;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}
