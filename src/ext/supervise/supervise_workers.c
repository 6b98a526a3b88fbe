/*
 * The threads that take the tree's notifications and hand each to the
 * extension that claims it. Several (one per CPU, at most
 * SV_WORKERS_MAX), so that while one reads what an exec asks for (the
 * thread's memory, ids, image and chain: the slow part) another exec of
 * the tree is read on another CPU instead of waiting behind it. What the
 * run shares is under run->lock, which the process extension takes only
 * from its validity check to its events' dispatch (so the events of a
 * process keep the order in which the kernel asked for them); an
 * extension that is not concurrent is handled under the lock throughout.
 *
 * Each worker waits in an epoll set of its own, where the listener is
 * EPOLLEXCLUSIVE: a notification wakes one idle worker, not all of them.
 * A worker that a notification woke may find it taken by another that
 * came back from its last one; so receiving (a poll with no wait, then
 * SECCOMP_IOCTL_NOTIF_RECV) is one worker at a time, and RECV, which
 * blocks when nothing waits, is only called when something does.
 *
 * With each notification a worker reports the exits that came since the
 * last one, where a reaped process keeps its status for its pidfd (else
 * the loop does, having read the helper's reports first): in the same
 * hold of run->lock as the notification's own events, so a delete and
 * the next create reach the ring buffer together, and an exit comes
 * before an exec that reuses its pid. The consumers of the records its
 * programs wrote are woken once, after the answer
 * (ringbuf_hold_wakeups()): the call waits for neither the wake-up's
 * system call nor the consumer that would take the CPU from the worker.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ext/supervise/supervise.h"

struct sv_worker {
    struct sv_run *run;
    struct sv_workers *all;
    unsigned index;
    pthread_t thread;
    int epfd;     /* the listener (EPOLLEXCLUSIVE) and the stop eventfd */
    void *notif;  /* seccomp_notif, of the kernel's size */
};

enum { STOP_KEY = 1, LISTENER_KEY = 2 };

/* Takes a notification if one waits: 1, 0 if none does, or -errno if the listener failed. */
static int receive(struct sv_worker *w)
{
    struct sv_run *run = w->run;
    pthread_mutex_lock(&w->all->receiving);
    struct pollfd pfd = {.fd = run->listener, .events = POLLIN};
    int rc = poll(&pfd, 1, 0);
    if (rc == 1 && (pfd.revents & POLLIN)) {
        memset(w->notif, 0, run->notif_size);
        rc = ioctl(run->listener, SECCOMP_IOCTL_NOTIF_RECV, w->notif) == 0 ? 1 : -errno;
        if (rc == -EINTR || rc == -ENOENT) /* ENOENT: it went before we took it */
            rc = 0;
    } else {
        rc = rc < 0 && errno != EINTR ? -errno : 0;
    }
    pthread_mutex_unlock(&w->all->receiving);
    return rc;
}

/* Hands the notification received to the extension that claims it. */
static void handle(struct sv_worker *w)
{
    struct sv_run *run = w->run;
    const struct seccomp_notif *n = w->notif;
    struct sv_call call;
    int e = sv_filter_classify(run->filter, n, &call);
    if (e < 0) { /* cannot happen: the filter notifies claimed calls only */
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: unexpected supervised system call %d (arch 0x%x)", n->data.nr, n->data.arch);
        sv_answer(run, n->id, -ENOSYS, 0, false);
        return;
    }
    call.worker = w->index;
    const struct sv_extension *x = sv_extensions[e];
    ringbuf_hold_wakeups(); /* the call is answered before its records' consumers are woken */
    if (x->concurrent) {
        x->handle(run, run->state[e], &call);
    } else {
        pthread_mutex_lock(&run->lock);
        sv_exits_waiting(run);
        x->handle(run, run->state[e], &call);
        pthread_mutex_unlock(&run->lock);
    }
    ringbuf_release_wakeups();
    atomic_store(&run->exits_due_ns, ext_monotonic_ns() + SV_EXIT_LAG_MS * 1000000ull);
}

void sv_exits_waiting(struct sv_run *run)
{
    if (run->exits_batched)
        sv_tree_report_exits(run);
}

/* Tells the loop that the listener failed (it closes it: the tree's calls then fail with ENOSYS). */
static void listener_failed(struct sv_worker *w, int err)
{
    atomic_fetch_add(&w->run->counters->errors, 1);
    core_trace_printf("bpfhost: supervisor listener failed: %s", strerror(-err));
    uint64_t one = 1;
    if (write(w->all->stop_fd, &one, sizeof(one)) != sizeof(one))
        core_trace_printf("bpfhost: supervisor worker cannot stop the others: %s", strerror(errno));
}

static void *work(void *arg)
{
    struct sv_worker *w = arg;
    struct ext_slice slice;
    ext_slice_shorten(&slice); /* for the thread's life: every exec waits for it */
    for (;;) {
        struct epoll_event ev[2];
        int n = epoll_wait(w->epfd, ev, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            listener_failed(w, -errno);
            break;
        }
        bool stop = false, ready = false;
        for (int i = 0; i < n; i++) {
            /* A listener hung up has no notification left: the loop saw it too and stops the others. */
            stop |= ev[i].data.u32 == STOP_KEY || !(ev[i].events & EPOLLIN);
            ready |= ev[i].data.u32 == LISTENER_KEY && (ev[i].events & EPOLLIN);
        }
        if (stop)
            break;
        if (!ready)
            continue;
        int rc = receive(w);
        if (rc < 0) {
            listener_failed(w, rc);
            break;
        }
        if (rc > 0)
            handle(w);
    }
    return NULL;
}

/* Frees worker w, whose thread is not running. */
static void worker_free(struct sv_worker *w)
{
    if (w->epfd >= 0)
        close(w->epfd);
    free(w->notif);
    free(w);
}

/* A worker of ws, its thread not started: NULL with -errno in *err. */
static struct sv_worker *worker_new(struct sv_workers *ws, struct sv_run *run, unsigned index, int *err)
{
    struct sv_worker *w = calloc(1, sizeof(*w));
    if (!w) {
        *err = -ENOMEM;
        return NULL;
    }
    *w = (struct sv_worker){.run = run, .all = ws, .index = index, .notif = calloc(1, run->notif_size),
                            .epfd = epoll_create1(EPOLL_CLOEXEC)};
    struct epoll_event stop = {.events = EPOLLIN, .data.u32 = STOP_KEY};
    struct epoll_event listener = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.u32 = LISTENER_KEY};
    *err = !w->notif ? -ENOMEM
           : w->epfd < 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, ws->stop_fd, &stop) != 0 ||
                   epoll_ctl(w->epfd, EPOLL_CTL_ADD, run->listener, &listener) != 0
               ? -errno
               : 0;
    if (*err) {
        worker_free(w);
        return NULL;
    }
    return w;
}

int sv_workers_start(struct sv_workers *ws, struct sv_run *run)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t want = cpus < 1 ? 1 : cpus > SV_WORKERS_MAX ? SV_WORKERS_MAX : (size_t)cpus;
    *ws = (struct sv_workers){.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
    if (ws->stop_fd < 0)
        return -errno;
    pthread_mutex_init(&ws->receiving, NULL);
    int err = 0;
    while (!err && ws->count < want) {
        struct sv_worker *w = worker_new(ws, run, (unsigned)ws->count, &err);
        if (!w)
            break;
        err = -pthread_create(&w->thread, NULL, work, w);
        if (err)
            worker_free(w);
        else
            ws->w[ws->count++] = w;
    }
    if (err)
        sv_workers_stop(ws);
    return err;
}

void sv_workers_stop(struct sv_workers *ws)
{
    if (ws->stop_fd < 0)
        return;
    uint64_t one = 1;
    if (ws->count && write(ws->stop_fd, &one, sizeof(one)) != sizeof(one))
        core_trace_printf("bpfhost: cannot stop the supervisor's workers: %s", strerror(errno)); /* cannot happen */
    for (size_t i = 0; i < ws->count; i++) {
        pthread_join(ws->w[i]->thread, NULL);
        worker_free(ws->w[i]);
    }
    close(ws->stop_fd);
    ws->stop_fd = -1;
    pthread_mutex_destroy(&ws->receiving);
    ws->count = 0;
}
