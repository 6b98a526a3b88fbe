/*
 * The network extension's part of a supervised tree (sv_bind_extension:
 * it claims bind of every ABI, and i386's socketcall(SYS_BIND)). A bind of
 * an IPv4 or IPv6 socket is stopped before it happens and decided here:
 *
 *   1. the supervisor takes a copy of the thread's socket (pidfd_getfd)
 *      and reads the address from the thread's memory, checking that the
 *      notification is still valid after each (the thread may have died
 *      and its pid been reused);
 *   2. the programs see a BIND event with that address; a denial fails
 *      the call with EACCES;
 *   3. otherwise the supervisor binds the socket itself, to exactly the
 *      address the programs saw (or the one a program redirected to), and
 *      answers the call with the result of that bind. The kernel never
 *      runs the thread's own bind (no SECCOMP_USER_NOTIF_FLAG_CONTINUE), so
 *      rewriting the address in memory after our read changes nothing;
 *   4. the programs see a POST_BIND event with the address bound (the
 *      port the kernel chose for port 0) or the error; a bound socket is
 *      then watched for its release (bind_unbind.c: UNBIND).
 *
 * The bind runs with the supervisor's credentials, so what the kernel
 * would check against the thread's is checked here first: a port below
 * net.ipv4.ip_unprivileged_port_start needs CAP_NET_BIND_SERVICE in the
 * thread's effective set, and the thread's user namespace must own the
 * socket's network namespace or be an ancestor of its owner
 * (bind_privilege.c); EACCES otherwise, as the kernel answers.
 * A socket of another family (AF_UNIX, netlink, ...) is no bind event
 * (bind_other_family.c: who runs that bind).
 *
 * io_uring (IORING_OP_BIND, Linux 6.11) binds without a system call the
 * filter sees, so the extension also claims io_uring_setup and fails it
 * with EPERM: a tree gets no ring (programs fall back to system calls, as
 * under container runtimes that forbid io_uring).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext/net/net.h"
#include "ext/supervise/supervise.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* Linux 6.9: a pidfd of one thread */
#endif

enum { CAP_NET_BIND_SERVICE_BIT = 10 };

/* What one bind asks for and who asks. */
struct bind_request {
    pid_t tid, tgid;
    int fd;             /* the thread's descriptor */
    uint64_t addr;      /* where the address is in its memory */
    uint32_t addrlen;
    int sock;           /* our copy of its socket, or -1 */
    int family, protocol, type;
    struct ext_bind_event ev;
    char app[4096];
    struct sockaddr_storage given; /* the address as read */
    bool listen;                   /* listen(fd, backlog): addr holds the backlog, nothing is read */
    int take_error;                /* CANNOT_TAKE, CANNOT_READ: why we could not take the socket or its address */
    int answer;                    /* ANSWERED: 0 or -errno */
    bool may_bind_privileged;      /* CAP_NET_BIND_SERVICE */
};

/* The extension's state during a run. */
struct bind_part {
    struct core_hook *hook;
    unsigned unprivileged_port_start; /* net.ipv4.ip_unprivileged_port_start when the run began */
    struct bind_unbind unbind;
    struct bind_request request; /* scratch: one bind */
};

/* The lowest port anyone may bind (net.ipv4.ip_unprivileged_port_start, 1024 if unreadable). */
static unsigned unprivileged_port_start(void)
{
    unsigned start = 1024;
    FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");
    if (f) {
        if (fscanf(f, "%u", &start) != 1)
            start = 1024;
        fclose(f);
    }
    return start;
}

static int start(struct sv_run *run, struct core_hook *hook, void **state)
{
    (void)run;
    struct bind_part *bp = calloc(1, sizeof(*bp));
    if (!bp)
        return -ENOMEM;
    bp->hook = hook;
    bp->unprivileged_port_start = unprivileged_port_start();
    int err = bind_unbind_init(&bp->unbind);
    if (err) {
        free(bp);
        return err;
    }
    *state = bp;
    return 0;
}

static void stop(struct sv_run *run, void *state)
{
    (void)run;
    struct bind_part *bp = state;
    bind_unbind_free(&bp->unbind);
    free(bp);
}

/* The bind's arguments: from the registers, or from memory for socketcall. 0 or -EFAULT. */
static int read_arguments(const struct sv_call *call, struct bind_request *r)
{
    const struct seccomp_notif *n = call->n;
    uint64_t mask = call->abi->ptr_size == 4 ? 0xffffffffu : ~0ull;
    r->tid = (pid_t)n->pid;
    r->listen = !strcmp(call->name, "listen");
    if (call->socketcall) {
        uint32_t args[3] = {0};
        size_t size = (r->listen ? 2 : 3) * sizeof(args[0]);
        if (ext_target_read(r->tid, n->data.args[1] & mask, args, size) != (ssize_t)size)
            return -EFAULT;
        r->fd = (int)args[0];
        r->addr = args[1];
        r->addrlen = args[2];
        return 0;
    }
    r->fd = (int)(uint32_t)n->data.args[0];
    r->addr = n->data.args[1] & mask;
    r->addrlen = (uint32_t)n->data.args[2];
    return 0;
}

/* Our copy of the thread's descriptor fd: it, or -errno. */
static int take_socket(pid_t tgid, pid_t tid, int fd)
{
    /* The thread's own file table (it may have unshared it); a process' pidfd where threads have none. */
    int pidfd = pidfd_open(tid, PIDFD_THREAD);
    if (pidfd < 0 && errno == EINVAL && tid == tgid)
        pidfd = pidfd_open(tgid, 0);
    if (pidfd < 0)
        return -errno;
    int sock = pidfd_getfd(pidfd, fd, 0);
    int err = sock < 0 ? -errno : 0;
    close(pidfd);
    return sock < 0 ? err : sock;
}

/* An int socket option of sock, or -errno. */
static int sockopt(int sock, int name)
{
    int v;
    socklen_t len = sizeof(v);
    return getsockopt(sock, SOL_SOCKET, name, &v, &len) == 0 ? v : -errno;
}

/*
 * Reads /proc/TID/status of the calling thread once: its process (Tgid),
 * ids, and whether it may bind privileged ports (CAP_NET_BIND_SERVICE in
 * CapEff). 0, or -ESRCH if the thread is gone.
 */
static int read_status(struct bind_request *r)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)r->tid);
    FILE *f = fopen(path, "re");
    if (!f)
        return -ESRCH;
    unsigned long long cap = 0;
    r->tgid = -1;
    while (fgets(line, sizeof(line), f)) {
        unsigned v;
        if (sscanf(line, "Tgid: %u", &v) == 1)
            r->tgid = (pid_t)v;
        else if (sscanf(line, "Uid: %u", &v) == 1)
            r->ev.task.uid = v;
        else if (sscanf(line, "Gid: %u", &v) == 1)
            r->ev.task.gid = v;
        else
            sscanf(line, "CapEff: %llx", &cap);
    }
    fclose(f);
    r->may_bind_privileged = (cap >> CAP_NET_BIND_SERVICE_BIT) & 1;
    return r->tgid > 0 ? 0 : -ESRCH;
}

/* Whether an IPv6 socket takes IPv4-mapped addresses (not IPV6_V6ONLY); not when unknown. */
static bool maps_ipv4(int sock)
{
    int only = 1;
    socklen_t len = sizeof(only);
    return getsockopt(sock, IPPROTO_IPV6, IPV6_V6ONLY, &only, &len) == 0 && !only;
}

enum { NO_ANSWER = 1, LET_KERNEL = 2, CANNOT_TAKE = 3, CANNOT_READ = 4, ANSWERED = 5 };

/* How long the address may take to read (a userfaultfd nobody serves holds it): then the bind is denied. */
enum { ADDRESS_READ_MS = 250 };

/* Fills the BIND event of r, whose address is in r->ev.md: the socket's protocol and type, who binds. */
static void fill_event(struct bind_request *r)
{
    bind_md_t *md = &r->ev.md;
    r->protocol = sockopt(r->sock, SO_PROTOCOL);
    r->type = sockopt(r->sock, SO_TYPE);
    md->operation = BIND_OPERATION_BIND;
    md->process_id = (uint64_t)r->tgid;
    md->thread_id = (uint32_t)r->tid;
    ext_bind_md_set_protocol(md, r->protocol);
    md->socket_type = r->type > 0 ? (uint8_t)r->type : 0;
    size_t len = ext_bind_image_path(r->tgid, r->app, sizeof(r->app));
    r->ev.app_id = len ? r->app : NULL;
    r->ev.app_id_len = len;
    r->ev.task.process_id = (uint32_t)r->tgid;
    r->ev.task.thread_id = (uint32_t)r->tid;
}

/*
 * listen(): done here on our copy of the socket (handed back, the kernel
 * would look the descriptor up again). An IP socket not bound yet would
 * get a port from the kernel with no bind: it first goes through a bind
 * to port 0 as bind() would (0: the event is ready); else ANSWERED.
 */
static int listen_request(struct bind_request *r)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    bind_md_t now;
    int type = sockopt(r->sock, SO_TYPE);
    bool connection = type == SOCK_STREAM || type == SOCK_SEQPACKET; /* listen() fails on the others */
    if ((r->family == AF_INET || r->family == AF_INET6) && connection &&
        getsockname(r->sock, (struct sockaddr *)&ss, &len) == 0 &&
        ext_bind_md_from_sockaddr(&now, r->family, &ss, len) == 0 && ext_bind_md_port(&now) == 0) {
        memset(&r->given, 0, sizeof(r->given));
        r->given.ss_family = (sa_family_t)r->family;
        r->addrlen = r->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
        if (ext_bind_md_from_sockaddr(&r->ev.md, r->family, &r->given, r->addrlen) == 0) {
            fill_event(r);
            return 0;
        }
    }
    r->answer = listen(r->sock, (int)r->addr) == 0 ? 0 : -errno;
    return ANSWERED;
}

/* Takes the socket and the address; fills the BIND event. 0, NO_ANSWER, LET_KERNEL, CANNOT_TAKE, CANNOT_READ,
 * ANSWERED (r->answer: a bind of another family done or refused here), or the answer -errno. */
static int read_request(struct sv_run *run, const struct sv_call *call, struct bind_request *r)
{
    memset(&r->ev, 0, sizeof(r->ev));
    int err = read_arguments(call, r);
    if (err)
        return sv_still_valid(run, call->n->id) ? err : NO_ANSWER;
    if (read_status(r) != 0) /* gone, or our own failure (EMFILE): a waiting thread is answered, closed */
        return sv_still_valid(run, call->n->id) ? -EPERM : NO_ANSWER;
    r->sock = take_socket(r->tgid, r->tid, r->fd);
    if (!sv_still_valid(run, call->n->id)) /* the descriptor we took was the waiting thread's */
        return NO_ANSWER;
    if (r->sock == -EBADF)
        return -EBADF;
    if (r->sock < 0) {
        r->take_error = -r->sock;
        return CANNOT_TAKE;
    }
    r->family = sockopt(r->sock, SO_DOMAIN);
    if (r->family == -ENOTSOCK)
        return -ENOTSOCK;
    if (r->listen)
        return listen_request(r);
    if (r->addrlen > sizeof(r->given))
        return -EINVAL;
    memset(&r->given, 0, sizeof(r->given));
    ssize_t got = r->addrlen ? ext_bind_read_address(r->tid, r->addr, &r->given, r->addrlen, ADDRESS_READ_MS) : 0;
    if (got == -ETIMEDOUT || got == -ENOMEM || got == -EAGAIN || got == -EMFILE || got == -ENFILE) {
        /* too slow, or no reader thread: not the target's answer */
        r->take_error = (int)-got;
        return CANNOT_READ;
    }
    if (got != (ssize_t)r->addrlen)
        return sv_still_valid(run, call->n->id) ? -EFAULT : NO_ANSWER;
    if (!sv_still_valid(run, call->n->id))
        return NO_ANSWER;
    if (r->family != AF_INET && r->family != AF_INET6) { /* no bind event (the socket's family cannot change) */
        r->answer = ext_bind_other_family(r->tgid, r->tid, r->sock, r->family, &r->given, r->addrlen);
        return r->answer == EXT_BIND_LET_KERNEL ? LET_KERNEL : ANSWERED;
    }
    err = ext_bind_md_from_sockaddr(&r->ev.md, r->family, &r->given, r->addrlen);
    if (err)
        return err; /* what the kernel answers to such an address: no event */
    fill_event(r);
    return 0;
}

/* Runs the programs on ev: the verdict, or -errno (counted, traced). */
static int dispatch(struct sv_run *run, struct bind_part *bp, struct ext_bind_event *ev, struct ext_bind_verdict *v)
{
    ev->deadline_ns = ext_deadline_from_now();
    int rc = ext_bind_dispatch(bp->hook, ev, v);
    if (rc < 0) {
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: supervised bind by %d: dispatch failed: %s", (int)ev->md.process_id,
                          strerror(-rc));
        return rc;
    }
    atomic_fetch_add(&run->counters->events, 1);
    return 0;
}

/* The BIND event decided (*v): whether the bind is denied; *to is the address to bind. */
static bool decide(struct sv_run *run, struct bind_part *bp, struct bind_request *r, struct ext_bind_verdict *v,
                   bind_md_t *to)
{
    *to = r->ev.md;
    if (dispatch(run, bp, &r->ev, v) < 0) {
        v->denied = true;
        return true; /* fail closed: a policy we could not run */
    }
    char text[80], what[128];
    ext_bind_md_format(&r->ev.md, text, sizeof(text));
    snprintf(what, sizeof(what), "bind of %s by %d", text, (int)r->tgid);
    if (v->denied) {
        atomic_fetch_add(&run->counters->denied, 1);
        return true;
    }
    if (v->late && sv_late_denies(run, what)) {
        v->denied = true;
        return true;
    }
    if (v->redirected && r->family == AF_INET6 && ext_bind_md_is_ipv4(&v->redirect) && !maps_ipv4(r->sock)) {
        /* An IPv4 address goes to an IPv6 socket as its IPv4-mapped form, which an IPv6-only one refuses. */
        atomic_fetch_add(&run->counters->denied, 1);
        core_trace_printf("bpfhost: %s denied: redirected to IPv4 on an IPv6-only socket", what);
        v->denied = true;
        return true;
    }
    if (v->redirected)
        *to = v->redirect;
    return false;
}

/* Binds our copy of the socket to to, with the thread's rights: 0 or -errno. */
static int bind_as_thread(const struct bind_part *bp, const struct bind_request *r, const bind_md_t *to)
{
    unsigned port = ext_bind_md_port(to);
    if (port && port < bp->unprivileged_port_start &&
        !(r->may_bind_privileged && ext_bind_userns_rules_netns(r->tid, r->sock)))
        return -EACCES;
    struct sockaddr_storage ss;
    socklen_t len = ext_bind_md_to_sockaddr(to, r->family, &ss);
    return bind(r->sock, (struct sockaddr *)&ss, len) == 0 ? 0 : -errno;
}

/* After the bind: the POST_BIND event (into *post), and the socket watched for its release. */
static void after_bind(struct sv_run *run, struct bind_part *bp, struct bind_request *r, const bind_md_t *to,
                       int result, struct ext_bind_event *post)
{
    *post = r->ev;
    post->md = *to;
    post->md.operation = BIND_OPERATION_POST_BIND;
    post->md.bind_error = -result;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (!result && getsockname(r->sock, (struct sockaddr *)&ss, &len) == 0) /* the port chosen for port 0 */
        ext_bind_md_from_sockaddr(&post->md, r->family, &ss, len);
    struct ext_bind_verdict v;
    dispatch(run, bp, post, &v);
    if (!result)
        bind_unbind_watch(&bp->unbind, r->sock, post, run->counters);
}

/* Decides, performs and answers the bind r asks for; reports it. */
static void perform(struct sv_run *run, struct bind_part *bp, struct bind_request *r, uint64_t id)
{
    bind_md_t to;
    struct ext_bind_verdict v;
    struct ext_bind_event post;
    struct ext_bind_report report = {.event = &r->ev, .verdict = &v, .result = -EACCES};
    if (decide(run, bp, r, &v, &to)) {
        sv_answer(run, id, -EACCES, 0, false);
    } else {
        report.result = bind_as_thread(bp, r, &to);
        int answer = report.result;
        if (!answer && r->listen) /* the bind listen() would have made: now the listen */
            answer = listen(r->sock, (int)r->addr) == 0 ? 0 : -errno;
        sv_answer(run, id, answer, 0, false);
        after_bind(run, bp, r, &to, report.result, &post);
        report.bound = report.result ? NULL : &post.md;
    }
    if (run->bind_report)
        run->bind_report(run->bind_report_arg, &report);
}

/* A bind (or listen) of the tree: decided, performed by us, answered with its result. io_uring_setup: refused. */
static void handle(struct sv_run *run, void *state, const struct sv_call *call)
{
    struct bind_part *bp = state;
    if (!strcmp(call->name, "io_uring_setup")) {
        sv_answer(run, call->n->id, -EPERM, 0, false);
        return;
    }
    struct bind_request *r = &bp->request;
    r->sock = -1;
    r->take_error = 0;
    int rc = read_request(run, call, r);
    if (rc == NO_ANSWER) {
        /* the thread is gone */
    } else if (rc == LET_KERNEL) {
        sv_answer(run, call->n->id, 0, 0, true);
    } else if (rc == ANSWERED) {
        sv_answer(run, call->n->id, r->answer, 0, false);
    } else if (rc == CANNOT_TAKE) { /* fail closed: a bind we cannot perform for it */
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: supervised bind by thread %u denied: cannot take its socket: %s", call->n->pid,
                          strerror(r->take_error));
        sv_answer(run, call->n->id, -EACCES, 0, false);
    } else if (rc == CANNOT_READ) { /* fail closed: an address we could not read in time */
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: supervised bind by thread %u denied: cannot read its address: %s", call->n->pid,
                          strerror(r->take_error));
        sv_answer(run, call->n->id, -EACCES, 0, false);
    } else if (rc < 0) {
        sv_answer(run, call->n->id, rc, 0, false); /* what the kernel would answer: no event */
    } else {
        perform(run, bp, r, call->n->id);
    }
    if (r->sock >= 0)
        close(r->sock);
}

static int tick_in_ms(void *state)
{
    struct bind_part *bp = state;
    return bind_unbind_wait_ms(&bp->unbind);
}

static void tick(struct sv_run *run, void *state, bool final)
{
    struct bind_part *bp = state;
    bind_unbind_poll(&bp->unbind, bp->hook, run->counters, final);
}

static const char *const calls[] = {"bind", "listen", "io_uring_setup", NULL};

const struct sv_extension sv_bind_extension = {
    .prog_type = "bind",
    .hook_prefix = EXT_BIND_HOOK_SUPERVISED,
    .calls = calls,
    .start = start,
    .handle = handle,
    .tick_in_ms = tick_in_ms,
    .tick = tick,
    .stop = stop,
};
