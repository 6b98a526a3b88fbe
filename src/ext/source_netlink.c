/*
 * The netlink proc connector source (hook "process"): every exec on the
 * machine as a create, every process exit as a delete, observed after the
 * fact (a program's return cannot deny). The kernel multicasts one small
 * message per process event to the sockets that asked for them; one reader
 * thread per running source turns them into process events and fills in
 * from /proc, and from what it kept of earlier events (pid_table.h), what
 * the messages lack.
 *
 * Loss is never silent: the kernel drops messages when our receive buffer
 * is full and says so once with ENOBUFS; it numbers its messages per CPU,
 * so a gap in a CPU's numbers tells how many were dropped. Both go to the
 * lost counter (without counting one loss twice) and to the trace pipe.
 */
#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ext/internal.h"
#include "ext/pid_table.h"

enum {
    RCVBUF_BYTES = 8 << 20,        /* room for about ten thousand messages while we read /proc */
    LISTEN_ANSWER_TIMEOUT_MS = 5000,
    MAX_TRACKED_CPUS = 4096,       /* sequence numbers of CPUs beyond are not checked */
    TABLE_ENTRIES = 4096,
    TABLE_BYTES = 16 << 20,
};

/* The next sequence number expected from one CPU. */
struct cpu_seq {
    uint32_t next;
    bool seen;
};

struct netlink_source {
    struct core_hook *hook;
    struct ext_source_counters *counters;
    int sock;          /* the netlink socket */
    int wake;          /* eventfd: stop() writes it to end the reader */
    uint32_t portid;   /* our socket's netlink address */
    uint32_t nonce;    /* our control messages' ack field: the kernel answers with nonce + 1 */
    bool answered;     /* the kernel answered PROC_CN_MCAST_LISTEN ... */
    uint32_t answer;   /* ... with this errno (0: listening) */
    pthread_t thread;
    struct cpu_seq *seqs;
    size_t seq_count;
    uint64_t unmatched_overruns; /* ENOBUFS already counted as one loss each, not yet matched by a gap */
    struct pid_table *pids;
    struct ext_proc_info info;   /* scratch for /proc reads (large) */
};

#define TRACE_PREFIX "bpfhost: netlink proc connector: "

/* Sends a control message (listen, ignore) to the proc connector; 0 or -errno. */
static int send_op(struct netlink_source *s, enum proc_cn_mcast_op op)
{
    union {
        struct nlmsghdr h;
        char bytes[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(uint32_t))];
    } msg;
    memset(&msg, 0, sizeof(msg));
    msg.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(uint32_t));
    msg.h.nlmsg_type = NLMSG_DONE;
    msg.h.nlmsg_pid = s->portid;
    struct cn_msg *cn = NLMSG_DATA(&msg.h);
    cn->id.idx = CN_IDX_PROC;
    cn->id.val = CN_VAL_PROC;
    cn->ack = s->nonce;
    cn->len = sizeof(uint32_t);
    uint32_t value = op;
    memcpy(cn->data, &value, sizeof(value));
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(s->sock, &msg, msg.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
        return -errno;
    return 0;
}

static void count_error(struct netlink_source *s)
{
    atomic_fetch_add(&s->counters->errors, 1);
}

static void dispatch(struct netlink_source *s, const struct ext_process_event *ev)
{
    struct ext_process_verdict verdict;
    int n = ext_process_dispatch(s->hook, ev, &verdict);
    if (n < 0) {
        count_error(s);
        core_trace_printf(TRACE_PREFIX "dispatch of pid %llu failed: %s", (unsigned long long)ev->md.process_id,
                          strerror(-n));
        return;
    }
    verdict.denied = false; /* the exec has already happened: observation only */
    ext_counters_add(s->counters, &verdict);
}

/* ------------------------------------------------------------------------ */
/* Loss.                                                                     */

static void note_overrun(struct netlink_source *s)
{
    atomic_fetch_add(&s->counters->lost, 1);
    s->unmatched_overruns++;
    core_trace_printf(TRACE_PREFIX "receive buffer overrun (ENOBUFS): events lost");
}

/* The sequence state of cpu, or NULL if not tracked. */
static struct cpu_seq *cpu_seq_of(struct netlink_source *s, uint32_t cpu)
{
    if (cpu >= MAX_TRACKED_CPUS)
        return NULL;
    if (cpu >= s->seq_count) {
        size_t count = (size_t)cpu + 1 > 2 * s->seq_count ? (size_t)cpu + 1 : 2 * s->seq_count;
        struct cpu_seq *grown = realloc(s->seqs, count * sizeof(*grown));
        if (!grown)
            return NULL;
        memset(grown + s->seq_count, 0, (count - s->seq_count) * sizeof(*grown));
        s->seqs = grown;
        s->seq_count = count;
    }
    return &s->seqs[cpu];
}

/*
 * The kernel numbers messages per CPU and queues one CPU's in order, so a
 * jump means messages were dropped. An overrun was already counted as one
 * loss: the first messages of the gaps that follow it are that loss.
 */
static void check_sequence(struct netlink_source *s, uint32_t cpu, uint32_t seq)
{
    struct cpu_seq *c = cpu_seq_of(s, cpu);
    if (!c)
        return;
    if (c->seen) {
        uint32_t gap = seq - c->next;
        if (gap >= 1u << 31)
            return; /* an older number (the kernel never reorders a CPU's messages): not a loss */
        if (gap) {
            uint64_t matched = gap < s->unmatched_overruns ? gap : s->unmatched_overruns;
            s->unmatched_overruns -= matched;
            atomic_fetch_add(&s->counters->lost, gap - matched);
            core_trace_printf(TRACE_PREFIX "%u events lost on cpu %u (sequence %u, expected %u)", gap, cpu, seq,
                              c->next);
        }
    }
    c->seen = true;
    c->next = seq + 1;
}

/* ------------------------------------------------------------------------ */
/* Events.                                                                   */

static void keep(struct netlink_source *s, uint32_t pid, const struct pid_record *rec)
{
    int err = pid_table_put(s->pids, pid, rec);
    if (err) {
        count_error(s);
        core_trace_printf(TRACE_PREFIX "cannot keep what is known of pid %u: %s", pid, strerror(-err));
    }
}

/* The record of a process /proc still shows (its fork was before we listened). */
static bool record_from_proc(struct netlink_source *s, uint32_t pid, struct pid_record *rec)
{
    struct ext_proc_info *info = &s->info;
    if (ext_proc_read(pid, info) != 0)
        return false;
    *rec = (struct pid_record){.ppid = info->ppid, .uid = info->uid, .gid = info->gid,
                               .creation_time = info->start_filetime,
                               .image_path = info->image_path, .image_path_len = strlen(info->image_path),
                               .command_line = info->command_line, .command_line_len = info->command_line_len};
    memcpy(rec->comm, info->comm, sizeof(rec->comm));
    return true;
}

/*
 * A new process (not a thread) runs its parent's image with its parent's
 * arguments until it execs: keep that, so its exit is complete even if it
 * never execs. A parent not yet known is read from /proc (it is alive: it
 * is forking) and kept too, for its own exit.
 */
static void on_fork_event(struct netlink_source *s, const struct proc_event *ev)
{
    const struct fork_proc_event *f = &ev->event_data.fork;
    if (f->child_pid != f->child_tgid)
        return;
    uint32_t parent = (uint32_t)f->parent_tgid;
    struct pid_record from_proc;
    if (!pid_table_get(s->pids, parent) && record_from_proc(s, parent, &from_proc))
        keep(s, parent, &from_proc);
    const struct pid_record *p = pid_table_get(s->pids, parent);
    struct pid_record child = p ? *p : (struct pid_record){0};
    child.ppid = parent;
    child.creation_time = ext_filetime_from_monotonic_ns(ev->timestamp_ns);
    keep(s, (uint32_t)f->child_tgid, &child);
}

/*
 * An exec: the create. /proc tells the new image, arguments and ids if the
 * process still runs; if it is already gone they stay empty, and the ids
 * and times come from what was kept at its fork.
 */
static void on_exec_event(struct netlink_source *s, const struct proc_event *ev)
{
    uint32_t tgid = (uint32_t)ev->event_data.exec.process_tgid, tid = (uint32_t)ev->event_data.exec.process_pid;
    struct ext_proc_info *info = &s->info;
    bool alive = ext_proc_read(tgid, info) == 0;
    const struct pid_record *known = pid_table_get(s->pids, tgid);
    struct pid_record rec = known ? *known : (struct pid_record){0};
    if (alive) {
        rec.ppid = info->ppid ? info->ppid : rec.ppid;
        rec.uid = info->uid;
        rec.gid = info->gid;
        if (info->comm[0])
            memcpy(rec.comm, info->comm, sizeof(rec.comm));
    }
    if (!rec.creation_time) /* the fork's time if we saw it, else the start /proc tells, else now */
        rec.creation_time = info->start_filetime ? info->start_filetime
                                                 : ext_filetime_from_monotonic_ns(ev->timestamp_ns);
    rec.image_path = info->image_path;
    rec.image_path_len = strlen(info->image_path);
    rec.command_line = info->command_line;
    rec.command_line_len = info->command_line_len;

    /* The image is the process' executable for as long as it runs (after the fact: it may be gone). */
    char exe[48];
    snprintf(exe, sizeof(exe), "/proc/%u/exe", tgid);
    struct stat st;
    bool have_exe = alive && stat(exe, &st) == 0;
    struct ext_process_event e = {
        .md = {.operation = PROCESS_OPERATION_CREATE, .process_id = tgid, .parent_process_id = rec.ppid,
               .creating_process_id = tgid, .creating_thread_id = tid, .creation_time = rec.creation_time,
               .image_kind = PROCESS_IMAGE_PROGRAM, .image_device = have_exe ? (uint64_t)st.st_dev : 0,
               .image_inode = have_exe ? (uint64_t)st.st_ino : 0},
        .command_line = rec.command_line, .command_line_len = rec.command_line_len,
        .image_path = rec.image_path, .image_path_len = rec.image_path_len,
        .image_file = have_exe ? exe : NULL,
        .task = {.process_id = tgid, .thread_id = tid, .uid = rec.uid, .gid = rec.gid},
    };
    ext_process_set_account(&e.md, rec.uid, rec.gid);
    memcpy(e.task.comm, rec.comm, sizeof(e.task.comm));
    dispatch(s, &e);
    keep(s, tgid, &rec);
}

/* The exit of a thread-group leader: the delete, completed from what was kept. */
static void on_exit_event(struct netlink_source *s, const struct proc_event *ev)
{
    const struct exit_proc_event *x = &ev->event_data.exit;
    if (x->process_pid != x->process_tgid)
        return; /* a thread, not the process */
    uint32_t tgid = (uint32_t)x->process_tgid;
    const struct pid_record *known = pid_table_get(s->pids, tgid);
    struct pid_record rec = known ? *known : (struct pid_record){0};
    struct ext_process_event e = {
        .md = {.operation = PROCESS_OPERATION_DELETE, .process_id = tgid,
               /* the kernel leaves the parent 0 if it reaped the child already */
               .parent_process_id = x->parent_tgid ? (uint32_t)x->parent_tgid : rec.ppid,
               .creation_time = rec.creation_time, .exit_time = ext_filetime_from_monotonic_ns(ev->timestamp_ns),
               .process_exit_code = ext_exit_code((int)x->exit_code), .uid = rec.uid, .gid = rec.gid},
        .command_line = rec.command_line, .command_line_len = rec.command_line_len,
        .image_path = rec.image_path, .image_path_len = rec.image_path_len,
        .task = {.process_id = tgid, .thread_id = (uint32_t)x->process_pid, .uid = rec.uid, .gid = rec.gid},
    };
    memcpy(e.task.comm, rec.comm, sizeof(e.task.comm));
    dispatch(s, &e);
    pid_table_remove(s->pids, tgid);
}

/* Whether a message of len bytes of proc_event holds the part of event_data of size bytes. */
static bool holds(size_t len, size_t size)
{
    return len >= offsetof(struct proc_event, event_data) + size;
}

static void malformed(struct netlink_source *s, const char *what)
{
    count_error(s);
    core_trace_printf(TRACE_PREFIX "malformed message ignored: %s", what);
}

/* One connector message. */
static void handle_cn(struct netlink_source *s, const struct cn_msg *cn, size_t len)
{
    if (len < sizeof(*cn) || cn->len > len - sizeof(*cn) || !holds(cn->len, 0)) {
        malformed(s, "connector message truncated");
        return;
    }
    if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
        return;
    struct proc_event ev;
    memset(&ev, 0, sizeof(ev));
    memcpy(&ev, cn->data, cn->len < sizeof(ev) ? cn->len : sizeof(ev)); /* aligned, and a newer kernel's may be longer */
    /* Newer kernels number answers to control messages (any listener's) like events; older ones give them cpu -1. */
    check_sequence(s, ev.cpu, cn->seq);
    if (ev.what == PROC_EVENT_NONE) {
        if (cn->ack == s->nonce + 1 && holds(cn->len, sizeof(ev.event_data.ack))) { /* the answer to ours */
            s->answered = true;
            s->answer = ev.event_data.ack.err;
        }
        return;
    }
    if (ev.what == PROC_EVENT_FORK && holds(cn->len, sizeof(ev.event_data.fork)))
        on_fork_event(s, &ev);
    else if (ev.what == PROC_EVENT_EXEC && holds(cn->len, sizeof(ev.event_data.exec)))
        on_exec_event(s, &ev);
    else if (ev.what == PROC_EVENT_EXIT && holds(cn->len, sizeof(ev.event_data.exit)))
        on_exit_event(s, &ev);
    else if (ev.what == PROC_EVENT_FORK || ev.what == PROC_EVENT_EXEC || ev.what == PROC_EVENT_EXIT)
        malformed(s, "fork/exec/exit event truncated");
}

/* Handles what the socket holds: 0 once drained, or -errno if it cannot be read any more. */
static int drain(struct netlink_source *s)
{
    union {
        struct nlmsghdr h;
        char bytes[8192];
    } buf;
    for (;;) {
        struct sockaddr_nl from;
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(s->sock, &buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
        if (n < 0 && errno == ENOBUFS)
            note_overrun(s);
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        else if (n < 0 && errno != EINTR)
            return -errno;
        if (n <= 0)
            continue;
        if (from.nl_pid != 0) { /* only the kernel speaks for the proc connector */
            malformed(s, "not from the kernel");
            continue;
        }
        size_t len = (size_t)n;
        struct nlmsghdr *h = &buf.h;
        for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
            if (h->nlmsg_type != NLMSG_NOOP && h->nlmsg_type != NLMSG_ERROR)
                handle_cn(s, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN);
        if (len >= NLMSG_HDRLEN)
            malformed(s, "netlink message truncated");
    }
}

/* The reader thread: handles messages as they come until stop() wakes it. */
static void *reader(void *arg)
{
    struct netlink_source *s = arg;
    struct pollfd fds[2] = {{.fd = s->sock, .events = POLLIN}, {.fd = s->wake, .events = POLLIN}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents)
            return NULL;
        int err = drain(s);
        if (err) {
            errno = -err;
            break;
        }
    }
    count_error(s);
    core_trace_printf(TRACE_PREFIX "reader stopped, no more events until the source restarts: %s", strerror(errno));
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Start and stop.                                                           */

static int open_socket(struct netlink_source *s)
{
    s->sock = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (s->sock < 0) {
        int err = errno;
        core_trace_printf(TRACE_PREFIX "no netlink connector socket: %s", strerror(err));
        return -err;
    }
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
    if (bind(s->sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = errno;
        core_trace_printf(TRACE_PREFIX "cannot join the proc connector group (older kernels require "
                          "CAP_NET_ADMIN): %s", strerror(err));
        return -err;
    }
    socklen_t len = sizeof(addr);
    if (getsockname(s->sock, (struct sockaddr *)&addr, &len) < 0)
        return -errno;
    s->portid = addr.nl_pid;
    /* Beyond rmem_max needs CAP_NET_ADMIN; without it the kernel caps the size, which only makes loss likelier. */
    int size = RCVBUF_BYTES;
    if (setsockopt(s->sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(s->sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    return 0;
}

static uint64_t monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

/* Asks for the events and waits for the kernel's answer, handling the events that come first. */
static int listen_for_events(struct netlink_source *s)
{
    uint64_t start = monotonic_ms();
    s->nonce = (uint32_t)start ^ s->portid; /* every listener sees every answer: ours carries our nonce */
    int err = send_op(s, PROC_CN_MCAST_LISTEN);
    if (err) {
        core_trace_printf(TRACE_PREFIX "PROC_CN_MCAST_LISTEN not sent (the proc connector lives in the initial "
                          "network namespace only): %s", strerror(-err));
        return err;
    }
    struct pollfd fd = {.fd = s->sock, .events = POLLIN};
    for (uint64_t waited = 0; !s->answered && waited < LISTEN_ANSWER_TIMEOUT_MS; waited = monotonic_ms() - start) {
        if (poll(&fd, 1, (int)(LISTEN_ANSWER_TIMEOUT_MS - waited)) < 0 && errno != EINTR)
            return -errno;
        if ((err = drain(s)) != 0)
            return err;
    }
    if (!s->answered) {
        /* The kernel ignores requests from other pid or user namespaces without a word. */
        core_trace_printf(TRACE_PREFIX "no answer to PROC_CN_MCAST_LISTEN: events are only given to the initial "
                          "pid and user namespaces");
        return -ETIMEDOUT;
    }
    if (s->answer) {
        core_trace_printf(TRACE_PREFIX "PROC_CN_MCAST_LISTEN refused: %s", strerror((int)s->answer));
        return -(int)s->answer;
    }
    return 0;
}

/* Frees s and what it holds; if listening is true, first tells the kernel we stop. */
static void destroy(struct netlink_source *s, bool listening)
{
    if (listening) {
        int err = send_op(s, PROC_CN_MCAST_IGNORE);
        if (err)
            core_trace_printf(TRACE_PREFIX "PROC_CN_MCAST_IGNORE not sent: %s", strerror(-err));
    }
    if (s->sock >= 0)
        close(s->sock);
    if (s->wake >= 0)
        close(s->wake);
    pid_table_destroy(s->pids);
    free(s->seqs);
    free(s);
}

static int netlink_start(struct core_hook *hook, struct ext_source_counters *counters, void **state)
{
    struct netlink_source *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->hook = hook;
    s->counters = counters;
    s->sock = -1;
    s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int err = s->wake < 0 ? -errno : pid_table_create(TABLE_ENTRIES, TABLE_BYTES, &s->pids);
    if (!err)
        err = open_socket(s);
    if (!err)
        err = listen_for_events(s);
    if (!err)
        err = -pthread_create(&s->thread, NULL, reader, s);
    if (err) {
        destroy(s, s->answered && !s->answer);
        return err;
    }
    *state = s;
    return 0;
}

static void netlink_stop(void *state)
{
    struct netlink_source *s = state;
    uint64_t one = 1;
    if (write(s->wake, &one, sizeof(one)) != sizeof(one))
        core_trace_printf(TRACE_PREFIX "cannot wake the reader: %s", strerror(errno));
    pthread_join(s->thread, NULL);
    destroy(s, true);
}

const struct ext_source_ops ext_source_netlink = {
    .hook_name = EXT_PROCESS_HOOK_NETLINK,
    .start = netlink_start,
    .stop = netlink_stop,
};
