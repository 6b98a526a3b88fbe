/*
 * The kernel's audit over NETLINK_AUDIT for the audit sources (see
 * audit_link.h): become the audit daemon or read beside the one that
 * runs, add and remove our rules, read the status and the records.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ext/audit_link.h"
#include "ext/internal.h"

enum {
    RCVBUF_BYTES = 16 << 20,
    RECORD_BYTES_MAX = 16 << 10, /* a record is at most about 9 KiB (an EXECVE record: 7500 bytes of arguments) */
    RECORDS_PER_CALL = 16,       /* records one system call reads: an exec brings about 7 */
    ANSWER_TIMEOUT_MS = 2000,
    BACKLOG_LIMIT = 8192,  /* records the kernel queues for us before it waits, then drops */
    SYSCALL_EXECVE_64 = 59,
    SYSCALL_EXECVEAT_64 = 322,
    SYSCALL_EXECVE_32 = 11,
    SYSCALL_EXECVEAT_32 = 358,
    ARCH_X86_64 = 0xc000003e,
    ARCH_I386 = 0x40000003,
};

/* Opens a NETLINK_AUDIT socket (groups: the multicast groups to join): fd or -errno. */
static int open_socket(uint32_t groups)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
    if (fd < 0)
        return -errno;
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = groups};
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    int size = RCVBUF_BYTES;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    return fd;
}

/*
 * Sends a request of type (payload len bytes) on fd and waits for its
 * answer: the ack (0 or the kernel's -errno), and, for AUDIT_GET, the
 * status into reply. Other messages on fd meanwhile (records) are skipped.
 */
static int request(struct audit_link *l, int fd, uint16_t type, const void *payload, size_t len, void *reply,
                   size_t reply_len)
{
    size_t total = NLMSG_SPACE(len);
    struct nlmsghdr *h = calloc(1, total);
    if (!h)
        return -ENOMEM;
    h->nlmsg_len = (uint32_t)NLMSG_LENGTH(len);
    h->nlmsg_type = type;
    h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    h->nlmsg_seq = ++l->seq;
    if (len)
        memcpy(NLMSG_DATA(h), payload, len);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    ssize_t sent = sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel));
    uint32_t seq = h->nlmsg_seq;
    free(h);
    if (sent < 0)
        return -errno;
    bool got_reply = !reply;
    uint64_t start = ext_monotonic_ns() / 1000000u;
    static char buf[65536] __attribute__((aligned(8))); /* one source thread at a time opens or closes */
    for (;;) {
        uint64_t waited = ext_monotonic_ns() / 1000000u - start;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (waited >= ANSWER_TIMEOUT_MS || poll(&p, 1, (int)(ANSWER_TIMEOUT_MS - waited)) == 0)
            return -ETIMEDOUT;
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == ENOBUFS))
            continue;
        if (n < 0)
            return -errno;
        size_t left = (size_t)n;
        for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, left); m = NLMSG_NEXT(m, left)) {
            if (m->nlmsg_seq != seq)
                continue;
            if (m->nlmsg_type == NLMSG_ERROR && m->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
                int err = ((struct nlmsgerr *)NLMSG_DATA(m))->error;
                if (err || got_reply)
                    return err;
            } else if (m->nlmsg_type == type && reply) {
                size_t have = m->nlmsg_len - NLMSG_HDRLEN;
                memset(reply, 0, reply_len);
                memcpy(reply, NLMSG_DATA(m), have < reply_len ? have : reply_len);
                got_reply = true;
                return 0; /* AUDIT_GET answers with the status; its ack came first or does not come */
            }
        }
    }
}

int audit_link_status(struct audit_link *l, struct audit_status *st)
{
    return request(l, l->ctl, AUDIT_GET, NULL, 0, st, sizeof(*st));
}

/* Sets the status fields of mask (with values from st): 0 or -errno. */
static int set_status(struct audit_link *l, int fd, uint32_t mask, struct audit_status st)
{
    st.mask = mask;
    return request(l, fd, AUDIT_SET, &st, sizeof(st), NULL, 0);
}

/* Adds (add) or deletes our rule for the system calls of one ABI: 0 or -errno. */
static int rule(struct audit_link *l, uint16_t type, uint32_t arch, const int *calls, size_t ncalls)
{
    int f = 0;
    size_t keylen = strlen(l->key);
    size_t size = sizeof(struct audit_rule_data) + keylen;
    struct audit_rule_data *r = calloc(1, size);
    if (!r)
        return -ENOMEM;
    r->flags = AUDIT_FILTER_EXIT;
    r->action = AUDIT_ALWAYS;
    for (size_t i = 0; i < ncalls; i++)
        r->mask[calls[i] / 32] |= 1u << (calls[i] % 32);
    r->fields[f] = AUDIT_ARCH;
    r->values[f] = arch;
    r->fieldflags[f++] = AUDIT_EQUAL;
    if (l->calls->success_only) {
        r->fields[f] = AUDIT_SUCCESS;
        r->values[f] = 1;
        r->fieldflags[f++] = AUDIT_EQUAL;
    }
    r->fields[f] = AUDIT_FILTERKEY;
    r->values[f] = (uint32_t)keylen;
    r->fieldflags[f++] = AUDIT_EQUAL;
    r->field_count = (uint32_t)f;
    r->buflen = (uint32_t)keylen;
    memcpy(r->buf, l->key, keylen);
    int err = request(l, l->ctl, type, r, size, NULL, 0);
    free(r);
    return err;
}

/* The pid in the key of rule r if it is "bpfhost-PID", else 0. */
static pid_t rule_owner(const struct audit_rule_data *r, size_t len)
{
    size_t off = 0;
    for (uint32_t i = 0; i < r->field_count && i < AUDIT_MAX_FIELDS; i++) {
        uint32_t f = r->fields[i];
        bool in_buf = f == AUDIT_FILTERKEY || f == AUDIT_WATCH || f == AUDIT_DIR || f == AUDIT_SUBJ_USER ||
                      f == AUDIT_OBJ_USER || f == AUDIT_EXE;
        if (f == AUDIT_FILTERKEY && off + r->values[i] <= r->buflen && sizeof(*r) + r->buflen <= len) {
            char key[32];
            size_t n = r->values[i] < sizeof(key) - 1 ? r->values[i] : sizeof(key) - 1;
            memcpy(key, r->buf + off, n);
            key[n] = '\0';
            return strncmp(key, "bpfhost-", 8) == 0 ? (pid_t)atoi(key + 8) : 0;
        }
        if (in_buf)
            off += r->values[i];
    }
    return 0;
}

/*
 * Removes the rules a bpfhost process left when it died without closing
 * its link (killed, or a test that failed): rules with the key
 * "bpfhost-PID" of a PID that no longer runs. Each would make the kernel
 * audit every matching call of the machine for nobody.
 */
static void remove_stale_rules(struct audit_link *l)
{
    struct {
        struct nlmsghdr h;
    } ask = {{.nlmsg_len = sizeof(ask), .nlmsg_type = AUDIT_LIST_RULES, .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
              .nlmsg_seq = ++l->seq}};
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(l->ctl, &ask, sizeof(ask), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
        return;
    enum { STALE_MAX = 64 };
    void *stale[STALE_MAX];
    size_t stale_len[STALE_MAX], count = 0;
    static char buf[65536] __attribute__((aligned(8))); /* one source thread at a time opens or closes */
    for (bool done = false; !done;) {
        struct pollfd p = {.fd = l->ctl, .events = POLLIN};
        if (poll(&p, 1, ANSWER_TIMEOUT_MS) <= 0)
            break;
        ssize_t n = recv(l->ctl, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            break;
        size_t left = (size_t)n;
        for (struct nlmsghdr *m = (struct nlmsghdr *)buf; NLMSG_OK(m, left); m = NLMSG_NEXT(m, left)) {
            if (m->nlmsg_seq != ask.h.nlmsg_seq)
                continue;
            if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR) {
                done = true;
                break;
            }
            size_t len = m->nlmsg_len - NLMSG_HDRLEN;
            if (m->nlmsg_type != AUDIT_LIST_RULES || len < sizeof(struct audit_rule_data) || count == STALE_MAX)
                continue;
            pid_t owner = rule_owner(NLMSG_DATA(m), len);
            if (owner <= 0 || kill(owner, 0) == 0 || errno != ESRCH || !(stale[count] = malloc(len)))
                continue;
            memcpy(stale[count], NLMSG_DATA(m), len);
            stale_len[count++] = len;
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (request(l, l->ctl, AUDIT_DEL_RULE, stale[i], stale_len[i], NULL, 0) == 0)
            core_trace_printf("%sremoved a rule left by bpfhost process %d, which is gone", l->prefix,
                              (int)rule_owner(stale[i], stale_len[i]));
        free(stale[i]);
    }
}

static const int calls64[] = {SYSCALL_EXECVE_64, SYSCALL_EXECVEAT_64};
static const int calls32[] = {SYSCALL_EXECVE_32, SYSCALL_EXECVEAT_32};
static const struct audit_calls exec_calls = {.x86_64 = calls64, .i386 = calls32, .x86_64_count = 2,
                                              .i386_count = 2, .success_only = true, .what = "execve"};

int audit_link_open(struct audit_link *l, const char *trace_prefix)
{
    return audit_link_open_calls(l, trace_prefix, &exec_calls);
}

int audit_link_open_calls(struct audit_link *l, const char *trace_prefix, const struct audit_calls *calls)
{
    memset(l, 0, sizeof(*l));
    l->sock = l->ctl = -1;
    l->prefix = trace_prefix;
    l->calls = calls;
    snprintf(l->key, sizeof(l->key), "bpfhost-%d", (int)getpid());
    int err = l->ctl = open_socket(0);
    struct audit_status st;
    if (err >= 0)
        err = audit_link_status(l, &st);
    if (err < 0) {
        core_trace_printf("%sno access to the kernel's audit (needs CAP_AUDIT_CONTROL and the initial pid "
                          "and network namespaces; CONFIG_AUDIT): %s", l->prefix, strerror(-err));
        goto fail;
    }
    l->lost_at_start = st.lost;
    if (st.pid) {
        /* An audit daemon runs: read the multicast copy of its records (CAP_AUDIT_READ), change none of its settings. */
        err = l->sock = open_socket(1u << (AUDIT_NLGRP_READLOG - 1));
        if (err < 0) {
            core_trace_printf("%scannot join the audit read-only group beside the audit daemon (pid %u): %s",
                              l->prefix, st.pid, strerror(-err));
            goto fail;
        }
        core_trace_printf("%sreading beside the audit daemon (pid %u)", l->prefix, st.pid);
    } else {
        err = l->sock = open_socket(0);
        struct audit_status me = {.pid = (uint32_t)getpid()};
        if (err >= 0)
            err = set_status(l, l->sock, AUDIT_STATUS_PID, me); /* records go to the socket that asked */
        if (err < 0) {
            core_trace_printf("%scannot register as the audit daemon: %s", l->prefix, strerror(-err));
            goto fail;
        }
        l->daemon = true;
        struct audit_status limit = {.backlog_limit = BACKLOG_LIMIT};
        if (st.backlog_limit < BACKLOG_LIMIT && set_status(l, l->ctl, AUDIT_STATUS_BACKLOG_LIMIT, limit) == 0)
            l->old_backlog_limit = st.backlog_limit;
    }
    if (st.enabled == 0) {
        struct audit_status on = {.enabled = 1};
        if ((err = set_status(l, l->ctl, AUDIT_STATUS_ENABLED, on)) < 0) {
            core_trace_printf("%scannot enable audit: %s", l->prefix, strerror(-err));
            goto fail;
        }
        l->enabled_by_us = true;
    }
    remove_stale_rules(l);
    if ((err = rule(l, AUDIT_ADD_RULE, ARCH_X86_64, calls->x86_64, calls->x86_64_count)) < 0 ||
        (l->rules++, err = rule(l, AUDIT_ADD_RULE, ARCH_I386, calls->i386, calls->i386_count)) < 0) {
        core_trace_printf("%scannot add the %s rule%s: %s", l->prefix, calls->what,
                          st.enabled == 2 ? " (audit is locked: its rules cannot change until reboot)" : "",
                          strerror(-err));
        goto fail;
    }
    l->rules++;
    return 0;
fail:
    audit_link_close(l);
    return err;
}

void audit_link_close(struct audit_link *l)
{
    if (l->ctl >= 0) {
        if (l->rules >= 2)
            rule(l, AUDIT_DEL_RULE, ARCH_I386, l->calls->i386, l->calls->i386_count);
        if (l->rules >= 1)
            rule(l, AUDIT_DEL_RULE, ARCH_X86_64, l->calls->x86_64, l->calls->x86_64_count);
        if (l->enabled_by_us)
            set_status(l, l->ctl, AUDIT_STATUS_ENABLED, (struct audit_status){.enabled = 0});
        if (l->old_backlog_limit)
            set_status(l, l->ctl, AUDIT_STATUS_BACKLOG_LIMIT,
                       (struct audit_status){.backlog_limit = l->old_backlog_limit});
        if (l->daemon)
            set_status(l, l->ctl, AUDIT_STATUS_PID, (struct audit_status){.pid = 0});
    }
    if (l->sock >= 0)
        close(l->sock);
    if (l->ctl >= 0)
        close(l->ctl);
    free(l->records);
    l->records = NULL;
    l->sock = l->ctl = -1;
    l->rules = 0;
    l->daemon = l->enabled_by_us = false;
    l->old_backlog_limit = 0;
}

int audit_link_drain(struct audit_link *l, audit_record_fn *fn, void *arg, uint64_t *overruns)
{
    if (!l->records && !(l->records = malloc((size_t)RECORDS_PER_CALL * RECORD_BYTES_MAX)))
        return -ENOMEM;
    struct mmsghdr msgs[RECORDS_PER_CALL];
    struct iovec iov[RECORDS_PER_CALL];
    for (;;) {
        for (int i = 0; i < RECORDS_PER_CALL; i++) {
            iov[i] = (struct iovec){.iov_base = l->records + (size_t)i * RECORD_BYTES_MAX, .iov_len = RECORD_BYTES_MAX};
            msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
        }
        int n = recvmmsg(l->sock, msgs, RECORDS_PER_CALL, MSG_DONTWAIT, NULL);
        if (n < 0 && errno == ENOBUFS) {
            (*overruns)++;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        for (int i = 0; i < n; i++) {
            /* One record per message; the kernel's nlmsg_len leaves out the header, so the datagram's size counts. */
            struct nlmsghdr *h = iov[i].iov_base;
            if (msgs[i].msg_len < NLMSG_HDRLEN)
                continue;
            size_t len = msgs[i].msg_len - NLMSG_HDRLEN;
            const char *text = (const char *)NLMSG_DATA(h);
            while (len && (text[len - 1] == '\0' || text[len - 1] == '\n'))
                len--;
            if (h->nlmsg_type != NLMSG_ERROR && h->nlmsg_type != NLMSG_DONE && h->nlmsg_type != NLMSG_NOOP)
                fn(arg, h->nlmsg_type, text, len);
        }
        if (n < RECORDS_PER_CALL)
            return 0; /* fewer than asked: the socket is empty (an error, if any, waits for the next call) */
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

long audit_decode_value(const char *value, size_t len, char *out, size_t cap)
{
    if (len >= 2 && value[0] == '"' && value[len - 1] == '"') {
        size_t n = len - 2 < cap ? len - 2 : cap;
        memcpy(out, value + 1, n);
        return (long)(len - 2);
    }
    bool hex = len > 0 && len % 2 == 0;
    for (size_t i = 0; hex && i < len; i++)
        hex = hex_digit(value[i]) >= 0;
    if (!hex) {
        if (len == 0)
            return -1;
        size_t n = len < cap ? len : cap;
        memcpy(out, value, n);
        return (long)len;
    }
    for (size_t i = 0; i < len / 2 && i < cap; i++)
        out[i] = (char)(hex_digit(value[2 * i]) << 4 | hex_digit(value[2 * i + 1]));
    return (long)(len / 2);
}
