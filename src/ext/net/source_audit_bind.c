/*
 * The system-wide bind source (hook "bind"): every bind() of an IPv4 or
 * IPv6 socket on the machine, observed after the fact through the
 * kernel's audit (a rule on bind of the x86-64 ABI and the direct bind of
 * the i386 ABI, failed calls included). At the end of each such call the
 * kernel writes a SYSCALL record (who: pid, ids, exe; the result), a
 * SOCKADDR record (the address, as given) and EOE; the source then runs
 * the programs on a BIND event and a POST_BIND event (bind_error: the
 * call's errno, 0 if it succeeded; the address bound: the port chosen for
 * port 0 when the socket can still be read).
 *
 * What it cannot do: deny or redirect (the bind has happened when the
 * records are written; a program's BIND_DENY counts as "would have
 * denied"); see UNBIND (closing a socket writes no record); see binds of
 * the i386 ABI through socketcall(), and binds in another network
 * namespace than the initial one only as audit shows them. The protocol
 * and socket type are read from the process' descriptor after the fact
 * (pidfd_getfd, as root): 0 when it is already closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "ext/net/net.h"
#include "ext/audit_link.h" /* the audit link, and audit_decode_value() for the records' values */

#define TRACE_PREFIX "bpfhost: audit bind: "

enum {
    PENDING_MAX = 64,    /* events whose EOE has not come */
    SADDR_MAX = 128,     /* sizeof(struct sockaddr_storage) */
};

static const int bind64[] = {49};
static const int bind32[] = {361}; /* the direct call (Linux 4.3); socketcall's are not audited here */
static const struct audit_calls bind_calls = {.x86_64 = bind64, .i386 = bind32, .x86_64_count = 1,
                                              .i386_count = 1, .success_only = false, .what = "bind"};

/* One bind being assembled from its records. */
struct pending {
    uint64_t serial;
    bool have_syscall;
    bool other;  /* another call's event (another rule's): dropped at its EOE */
    uint32_t pid, uid, gid;
    int fd;
    int result; /* 0 or -errno */
    char exe[4096];
    size_t exe_len;
    uint8_t saddr[SADDR_MAX];
    size_t saddr_len;
};

struct bind_source {
    struct core_hook *hook;
    struct ext_source_counters *counters;
    struct audit_link link;
    int wake;
    pthread_t reader;
    struct pending pending[PENDING_MAX];
    size_t count;
    uint64_t overruns;
};

/*
 * The value of key in the record text (len bytes) into out (cap): its
 * length, or -1 if absent. decode: a quoted or hex-encoded string
 * (audit_decode_value()); else the text as written (numbers, which may
 * look like hex).
 */
static long field(const char *text, size_t len, const char *key, bool decode, char *out, size_t cap)
{
    size_t klen = strlen(key);
    for (const char *p = text; p + klen + 1 < text + len; p++) {
        if ((p != text && p[-1] != ' ') || memcmp(p, key, klen) != 0 || p[klen] != '=')
            continue;
        const char *v = p + klen + 1, *end = v;
        if (*v == '"') {
            end = memchr(v + 1, '"', (size_t)(text + len - v - 1));
            end = end ? end + 1 : text + len;
        } else {
            while (end < text + len && *end != ' ')
                end++;
        }
        if (decode)
            return audit_decode_value(v, (size_t)(end - v), out, cap);
        size_t n = (size_t)(end - v) < cap ? (size_t)(end - v) : cap;
        memcpy(out, v, n);
        return (long)n;
    }
    return -1;
}

/* The number in field key of the record (base 10 or 16) into *out: false if absent. */
static bool number(const char *text, size_t len, const char *key, int base, long long *out)
{
    char v[32];
    long n = field(text, len, key, false, v, sizeof(v) - 1);
    if (n <= 0)
        return false;
    v[n] = '\0';
    *out = strtoll(v, NULL, base);
    return true;
}

/* Whether a SYSCALL record is a bind we audit (arch and number). */
static bool is_bind(const char *text, size_t len)
{
    long long arch, call;
    if (!number(text, len, "arch", 16, &arch) || !number(text, len, "syscall", 10, &call))
        return false;
    return (arch == AUDIT_ARCH_X86_64 && call == bind64[0]) || (arch == AUDIT_ARCH_I386 && call == bind32[0]);
}

/* The serial of a record "audit(S.MS:SERIAL): ...", or 0. */
static uint64_t serial_of(const char *text, size_t len)
{
    const char *colon = memchr(text, ':', len);
    return colon ? strtoull(colon + 1, NULL, 10) : 0;
}

/* The pending event of serial, made if new (the oldest is dropped, counted, if full). */
static struct pending *pending_of(struct bind_source *s, uint64_t serial)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->pending[i].serial == serial)
            return &s->pending[i];
    if (s->count == PENDING_MAX) {
        atomic_fetch_add(&s->counters->lost, 1);
        memmove(&s->pending[0], &s->pending[1], (PENDING_MAX - 1) * sizeof(s->pending[0]));
        s->count--;
    }
    struct pending *p = &s->pending[s->count++];
    memset(p, 0, sizeof(*p));
    p->serial = serial;
    return p;
}

static void take_syscall(struct pending *p, const char *text, size_t len)
{
    long long v;
    p->have_syscall = true;
    if (number(text, len, "pid", 10, &v))
        p->pid = (uint32_t)v;
    if (number(text, len, "uid", 10, &v))
        p->uid = (uint32_t)v;
    if (number(text, len, "gid", 10, &v))
        p->gid = (uint32_t)v;
    if (number(text, len, "a0", 16, &v))
        p->fd = (int)v;
    if (number(text, len, "exit", 10, &v))
        p->result = v < 0 ? (int)v : 0;
    long n = field(text, len, "exe", true, p->exe, sizeof(p->exe));
    p->exe_len = n > 0 ? (size_t)n : 0;
}

/* The protocol and type of the socket fd of pid, read now (0 if it is gone); the address it is bound to. */
static void read_socket(const struct pending *p, bind_md_t *md, int family, bool bound)
{
    int pidfd = pidfd_open((pid_t)p->pid, 0);
    int sock = pidfd >= 0 ? pidfd_getfd(pidfd, p->fd, 0) : -1;
    if (pidfd >= 0)
        close(pidfd);
    if (sock < 0)
        return;
    int v, domain = 0;
    socklen_t len = sizeof(v);
    if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == family) {
        len = sizeof(v);
        if (getsockopt(sock, SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0)
            ext_bind_md_set_protocol(md, v);
        len = sizeof(v);
        if (getsockopt(sock, SOL_SOCKET, SO_TYPE, &v, &len) == 0)
            md->socket_type = (uint8_t)v;
        struct sockaddr_storage ss;
        socklen_t slen = sizeof(ss);
        bind_md_t actual = *md;
        if (bound && getsockname(sock, (struct sockaddr *)&ss, &slen) == 0 &&
            ext_bind_md_from_sockaddr(&actual, family, &ss, slen) == 0)
            *md = actual;
    }
    close(sock);
}

/* Runs the programs on ev (returns ignored: observation). */
static void dispatch(struct bind_source *s, struct ext_bind_event *ev)
{
    ev->deadline_ns = ext_deadline_from_now();
    struct ext_bind_verdict v;
    int rc = ext_bind_dispatch(s->hook, ev, &v);
    if (rc < 0) {
        atomic_fetch_add(&s->counters->errors, 1);
        core_trace_printf(TRACE_PREFIX "dispatch of a bind by pid %llu failed: %s",
                          (unsigned long long)ev->md.process_id, strerror(-rc));
        return;
    }
    atomic_fetch_add(&s->counters->events, 1);
}

/* The event's records are all in: BIND, then POST_BIND. */
static void report(struct bind_source *s, const struct pending *p)
{
    sa_family_t family = AF_UNSPEC;
    if (p->saddr_len >= sizeof(family))
        memcpy(&family, p->saddr, sizeof(family));
    if (!p->have_syscall || (family != AF_INET && family != AF_INET6))
        return; /* not an IP bind (AF_UNIX, netlink, ...): no bind event */
    struct ext_bind_event ev = {.app_id = p->exe_len ? p->exe : NULL, .app_id_len = p->exe_len};
    if (ext_bind_md_from_sockaddr(&ev.md, family, p->saddr, p->saddr_len) != 0)
        return;
    ev.md.process_id = p->pid;
    ev.task = (struct core_task){.process_id = p->pid, .thread_id = p->pid, .uid = p->uid, .gid = p->gid};
    bind_md_t post = ev.md;
    read_socket(p, &post, family, p->result == 0);
    ev.md.protocol = post.protocol;
    ev.md.socket_type = post.socket_type;
    ev.md.operation = BIND_OPERATION_BIND;
    dispatch(s, &ev);
    ev.md = post;
    ev.md.operation = BIND_OPERATION_POST_BIND;
    ev.md.bind_error = -p->result;
    dispatch(s, &ev);
}

static void on_record(void *arg, unsigned type, const char *text, size_t len)
{
    struct bind_source *s = arg;
    if (type != AUDIT_SYSCALL && type != AUDIT_SOCKADDR && type != AUDIT_EOE)
        return;
    uint64_t serial = serial_of(text, len);
    if (!serial)
        return;
    struct pending *p = pending_of(s, serial);
    if (type == AUDIT_SYSCALL) {
        /* By the call, not the rule's key: a record carries the key of the first rule that matched it. */
        if (is_bind(text, len))
            take_syscall(p, text, len);
        else
            p->other = true;
    } else if (type == AUDIT_SOCKADDR) {
        char hex[2 * SADDR_MAX + 1];
        long n = field(text, len, "saddr", true, hex, sizeof(hex));
        /* audit_decode_value() decodes the hex digits into bytes. */
        p->saddr_len = n > 0 ? (size_t)n < SADDR_MAX ? (size_t)n : SADDR_MAX : 0;
        memcpy(p->saddr, hex, p->saddr_len);
    } else {
        if (!p->other)
            report(s, p);
        *p = s->pending[--s->count];
    }
}

static void *reader(void *arg)
{
    struct bind_source *s = arg;
    struct pollfd fds[2] = {{.fd = s->link.sock, .events = POLLIN}, {.fd = s->wake, .events = POLLIN}};
    for (;;) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR)
            break;
        if (fds[1].revents)
            break;
        uint64_t overruns = 0;
        int err = audit_link_drain(&s->link, on_record, s, &overruns);
        if (overruns)
            atomic_fetch_add(&s->counters->lost, overruns);
        if (err) {
            atomic_fetch_add(&s->counters->errors, 1);
            core_trace_printf(TRACE_PREFIX "cannot read the audit records any more: %s", strerror(-err));
            break;
        }
    }
    return NULL;
}

static int start(struct core_hook *hook, struct ext_source_counters *counters, void **state)
{
    struct bind_source *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->hook = hook;
    s->counters = counters;
    s->wake = eventfd(0, EFD_CLOEXEC);
    int err = s->wake < 0 ? -errno : audit_link_open_calls(&s->link, TRACE_PREFIX, &bind_calls);
    if (!err)
        err = -pthread_create(&s->reader, NULL, reader, s);
    if (err) {
        audit_link_close(&s->link);
        if (s->wake >= 0)
            close(s->wake);
        free(s);
        return err;
    }
    *state = s;
    return 0;
}

static void stop(void *state)
{
    struct bind_source *s = state;
    ext_wake(s->wake, TRACE_PREFIX);
    pthread_join(s->reader, NULL);
    audit_link_close(&s->link);
    close(s->wake);
    free(s);
}

const struct ext_source_ops ext_source_audit_bind = {
    .hook_name = EXT_BIND_HOOK,
    .prog_type = "bind",
    .start = start,
    .stop = stop,
};
