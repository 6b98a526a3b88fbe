/* The netlink proc connector socket (see proc_connector.h). */
#include <errno.h>
#include <arpa/inet.h>
#include <linux/connector.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ext/process/proc_connector.h"

enum {
    RCVBUF_BYTES = 8 << 20,        /* room for about ten thousand messages while a slow event is handled */
    LISTEN_ANSWER_TIMEOUT_MS = 5000,
    MAX_TRACKED_CPUS = 4096,       /* sequence numbers of CPUs beyond are not checked */
    BATCH = 32,                    /* datagrams per system call: a storm's window brings dozens, each ~90 bytes */
    DATAGRAM_BYTES = 1024,
};

union datagram {
    struct nlmsghdr h;
    char bytes[DATAGRAM_BYTES];
};

/* The next sequence number expected from one CPU. */
struct cpu_seq {
    uint32_t next;
    bool seen;
};

struct proc_connector {
    struct ext_source_counters *counters;
    const char *prefix;
    proc_connector_fn *on_event;
    void *arg;
    int sock;
    uint32_t portid;   /* our socket's netlink address */
    uint32_t nonce;    /* our control messages' ack field: the kernel answers with nonce + 1 */
    bool answered;     /* the kernel answered PROC_CN_MCAST_LISTEN ... */
    uint32_t answer;   /* ... with this errno (0: listening) */
    struct cpu_seq *seqs;
    size_t seq_count;
    uint64_t unmatched_overruns; /* ENOBUFS already counted as one loss each, not yet matched by a gap */
    bool execs_only;             /* a filter lets only exec messages through: no loss is ours to count */
    union datagram bufs[BATCH];  /* what one drain's system call reads */
};

/* Sends a control message (listen, ignore) to the proc connector; 0 or -errno. */
static int send_op(struct proc_connector *pc, enum proc_cn_mcast_op op)
{
    union {
        struct nlmsghdr h;
        char bytes[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(uint32_t))];
    } msg;
    memset(&msg, 0, sizeof(msg));
    msg.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct cn_msg) + sizeof(uint32_t));
    msg.h.nlmsg_type = NLMSG_DONE;
    msg.h.nlmsg_pid = pc->portid;
    struct cn_msg *cn = NLMSG_DATA(&msg.h);
    cn->id.idx = CN_IDX_PROC;
    cn->id.val = CN_VAL_PROC;
    cn->ack = pc->nonce;
    cn->len = sizeof(uint32_t);
    uint32_t value = op;
    memcpy(cn->data, &value, sizeof(value));
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(pc->sock, &msg, msg.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
        return -errno;
    return 0;
}

static void malformed(struct proc_connector *pc, const char *what)
{
    atomic_fetch_add(&pc->counters->errors, 1);
    core_trace_printf("%smalformed message ignored: %s", pc->prefix, what);
}

/* ------------------------------------------------------------------------ */
/* Loss.                                                                     */

static void note_overrun(struct proc_connector *pc)
{
    if (pc->execs_only) {
        core_trace_printf("%sreceive buffer overrun (ENOBUFS) of the exec socket: execs read late", pc->prefix);
        return;
    }
    atomic_fetch_add(&pc->counters->lost, 1);
    pc->unmatched_overruns++;
    core_trace_printf("%sreceive buffer overrun (ENOBUFS): events lost", pc->prefix);
}

/* The sequence state of cpu, or NULL if not tracked. */
static struct cpu_seq *cpu_seq_of(struct proc_connector *pc, uint32_t cpu)
{
    if (cpu >= MAX_TRACKED_CPUS)
        return NULL;
    if (cpu >= pc->seq_count) {
        size_t count = (size_t)cpu + 1 > 2 * pc->seq_count ? (size_t)cpu + 1 : 2 * pc->seq_count;
        struct cpu_seq *grown = realloc(pc->seqs, count * sizeof(*grown));
        if (!grown)
            return NULL;
        memset(grown + pc->seq_count, 0, (count - pc->seq_count) * sizeof(*grown));
        pc->seqs = grown;
        pc->seq_count = count;
    }
    return &pc->seqs[cpu];
}

/*
 * The kernel numbers messages per CPU and queues one CPU's in order, so a
 * jump means messages were dropped. An overrun was already counted as one
 * loss: the first messages of the gaps that follow it are that loss.
 */
static void check_sequence(struct proc_connector *pc, uint32_t cpu, uint32_t seq)
{
    struct cpu_seq *c = cpu_seq_of(pc, cpu);
    if (!c)
        return;
    if (c->seen) {
        uint32_t gap = seq - c->next;
        if (gap >= 1u << 31)
            return; /* an older number (the kernel never reorders a CPU's messages): not a loss */
        if (gap) {
            uint64_t matched = gap < pc->unmatched_overruns ? gap : pc->unmatched_overruns;
            pc->unmatched_overruns -= matched;
            atomic_fetch_add(&pc->counters->lost, gap - matched);
            core_trace_printf("%s%u events lost on cpu %u (sequence %u, expected %u)", pc->prefix, gap, cpu, seq,
                              c->next);
        }
    }
    c->seen = true;
    c->next = seq + 1;
}

/* ------------------------------------------------------------------------ */
/* Messages.                                                                 */

/* Whether a message of len bytes of proc_event holds the part of event_data of size bytes. */
static bool holds(size_t len, size_t size)
{
    return len >= offsetof(struct proc_event, event_data) + size;
}

/* One connector message: 1 if it was a fork, exec or exit handed on, else 0. */
static int handle_cn(struct proc_connector *pc, const struct cn_msg *cn, size_t len)
{
    if (len < sizeof(*cn) || cn->len > len - sizeof(*cn) || !holds(cn->len, 0)) {
        malformed(pc, "connector message truncated");
        return 0;
    }
    if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
        return 0;
    struct proc_event ev;
    memset(&ev, 0, sizeof(ev));
    memcpy(&ev, cn->data, cn->len < sizeof(ev) ? cn->len : sizeof(ev)); /* aligned, and a newer kernel's may be longer */
    /* Newer kernels number answers to control messages (any listener's) like events; older ones give them cpu -1. */
    if (!pc->execs_only)
        check_sequence(pc, ev.cpu, cn->seq);
    if (ev.what == PROC_EVENT_NONE) {
        if (cn->ack == pc->nonce + 1 && holds(cn->len, sizeof(ev.event_data.ack))) { /* the answer to ours */
            pc->answered = true;
            pc->answer = ev.event_data.ack.err;
        }
        return 0;
    }
    bool complete = (ev.what == PROC_EVENT_FORK && holds(cn->len, sizeof(ev.event_data.fork))) ||
                    (ev.what == PROC_EVENT_EXEC && holds(cn->len, sizeof(ev.event_data.exec))) ||
                    (ev.what == PROC_EVENT_EXIT && holds(cn->len, sizeof(ev.event_data.exit)));
    if (complete) {
        pc->on_event(pc->arg, &ev);
        return 1;
    }
    if (ev.what == PROC_EVENT_FORK || ev.what == PROC_EVENT_EXEC || ev.what == PROC_EVENT_EXIT)
        malformed(pc, "fork/exec/exit event truncated");
    return 0;
}

/* One datagram of len bytes from from_pid: its netlink messages; how many were fork, exec or exit messages. */
static int handle_datagram(struct proc_connector *pc, void *buf, size_t len, uint32_t from_pid, bool cut)
{
    if (from_pid != 0) { /* only the kernel speaks for the proc connector */
        malformed(pc, "not from the kernel");
        return 0;
    }
    if (cut)
        malformed(pc, "datagram longer than expected");
    int handed = 0;
    struct nlmsghdr *h = buf;
    for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len))
        if (h->nlmsg_type != NLMSG_NOOP && h->nlmsg_type != NLMSG_ERROR)
            handed += handle_cn(pc, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN);
    if (len >= NLMSG_HDRLEN)
        malformed(pc, "netlink message truncated");
    return handed;
}

int proc_connector_drain(struct proc_connector *pc)
{
    union datagram *bufs = pc->bufs;
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_nl from[BATCH];
    int handed = 0;
    for (;;) {
        for (int i = 0; i < BATCH; i++) {
            iov[i] = (struct iovec){.iov_base = &bufs[i], .iov_len = sizeof(bufs[i])};
            msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof(from[i]), .msg_iov = &iov[i],
                                              .msg_iovlen = 1};
        }
        int n = recvmmsg(pc->sock, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n < 0 && errno == ENOBUFS)
            note_overrun(pc);
        else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return handed;
        else if (n < 0 && errno != EINTR)
            return -errno;
        for (int i = 0; i < n; i++)
            handed += handle_datagram(pc, &bufs[i], msgs[i].msg_len, from[i].nl_pid,
                                      (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0);
        if (n > 0 && n < BATCH)
            return handed; /* fewer than asked: the socket is empty (an error, if any, waits for the next call) */
    }
}

int proc_connector_fd(const struct proc_connector *pc)
{
    return pc->sock;
}

/* ------------------------------------------------------------------------ */
/* Open and close.                                                           */

/* A socket filter that keeps exec messages and the answers to control messages (what PROC_EVENT_NONE). */
static int keep_execs_only(int sock)
{
    /* Classic BPF loads words in network order: compare with the host-order value as such a load reads it. */
    enum { WHAT = NLMSG_HDRLEN + sizeof(struct cn_msg) + offsetof(struct proc_event, what) };
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, WHAT),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_EXEC), 1, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_NONE), 0, 1),
        BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
        BPF_STMT(BPF_RET | BPF_K, 0),
    };
    struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
    return setsockopt(sock, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

static int open_socket(struct proc_connector *pc)
{
    pc->sock = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (pc->sock < 0) {
        int err = errno;
        core_trace_printf("%sno netlink connector socket: %s", pc->prefix, strerror(err));
        return -err;
    }
    int err = pc->execs_only ? keep_execs_only(pc->sock) : 0;
    if (err) {
        core_trace_printf("%scannot filter the exec socket: %s", pc->prefix, strerror(-err));
        return err;
    }
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
    if (bind(pc->sock, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = errno;
        core_trace_printf("%scannot join the proc connector group (older kernels require CAP_NET_ADMIN): %s",
                          pc->prefix, strerror(err));
        return -err;
    }
    socklen_t len = sizeof(addr);
    if (getsockname(pc->sock, (struct sockaddr *)&addr, &len) < 0)
        return -errno;
    pc->portid = addr.nl_pid;
    /* Beyond rmem_max needs CAP_NET_ADMIN; without it the kernel caps the size, which only makes loss likelier. */
    int size = RCVBUF_BYTES;
    if (setsockopt(pc->sock, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(pc->sock, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    return 0;
}

/* Asks for the events and waits for the kernel's answer, handing on the events that come first. */
static int listen_for_events(struct proc_connector *pc)
{
    uint64_t start = ext_monotonic_ns() / 1000000u;
    pc->nonce = (uint32_t)start ^ pc->portid; /* every listener sees every answer: ours carries our nonce */
    int err = send_op(pc, PROC_CN_MCAST_LISTEN);
    if (err) {
        core_trace_printf("%sPROC_CN_MCAST_LISTEN not sent (the proc connector lives in the initial network "
                          "namespace only): %s", pc->prefix, strerror(-err));
        return err;
    }
    struct pollfd fd = {.fd = pc->sock, .events = POLLIN};
    for (uint64_t waited = 0; !pc->answered && waited < LISTEN_ANSWER_TIMEOUT_MS;
         waited = ext_monotonic_ns() / 1000000u - start) {
        if (poll(&fd, 1, (int)(LISTEN_ANSWER_TIMEOUT_MS - waited)) < 0 && errno != EINTR)
            return -errno;
        if ((err = proc_connector_drain(pc)) < 0)
            return err;
    }
    if (!pc->answered) {
        /* The kernel ignores requests from other pid or user namespaces without a word. */
        core_trace_printf("%sno answer to PROC_CN_MCAST_LISTEN: events are only given to the initial pid and user "
                          "namespaces", pc->prefix);
        return -ETIMEDOUT;
    }
    if (pc->answer) {
        core_trace_printf("%sPROC_CN_MCAST_LISTEN refused: %s", pc->prefix, strerror((int)pc->answer));
        return -(int)pc->answer;
    }
    return 0;
}

int proc_connector_open(struct ext_source_counters *counters, const char *trace_prefix, bool execs_only,
                        proc_connector_fn *on_event, void *arg, struct proc_connector **out)
{
    struct proc_connector *pc = calloc(1, sizeof(*pc));
    if (!pc)
        return -ENOMEM;
    *pc = (struct proc_connector){.counters = counters, .prefix = trace_prefix, .on_event = on_event, .arg = arg,
                                  .sock = -1, .execs_only = execs_only};
    int err = open_socket(pc);
    if (!err)
        err = listen_for_events(pc);
    if (err) {
        proc_connector_close(pc);
        return err;
    }
    *out = pc;
    return 0;
}

void proc_connector_close(struct proc_connector *pc)
{
    if (!pc)
        return;
    if (pc->answered && !pc->answer) {
        int err = send_op(pc, PROC_CN_MCAST_IGNORE);
        if (err)
            core_trace_printf("%sPROC_CN_MCAST_IGNORE not sent: %s", pc->prefix, strerror(-err));
    }
    if (pc->sock >= 0)
        close(pc->sock);
    free(pc->seqs);
    free(pc);
}
