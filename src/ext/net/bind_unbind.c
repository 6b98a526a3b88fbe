/*
 * UNBIND for the sockets a supervised tree bound: when the last
 * descriptor of a bound socket is closed (by close(), the exit of its
 * process, ...) the kernel releases the socket and its address, and the
 * socket leaves the kernel's socket tables. The watch lists those tables
 * with NETLINK_SOCK_DIAG (inet_diag, all states) every
 * BIND_UNBIND_POLL_MS and reports each watched socket (by inode) that is
 * no longer there: UNBIND comes up to that long after the release, and
 * after the POST_BIND of a later bind of the same port.
 *
 * A TCP socket that is bound but neither listens nor connects is listed
 * only by Linux 6.8 and later (bound-inactive sockets); on older kernels
 * such a socket is reported once it was seen listed and then is not, or
 * when the run ends. Sockets of another network namespace than the
 * supervisor's, and of protocols other than TCP and UDP, are not
 * watched (no UNBIND; counted as lost).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext/net/net.h"

struct bind_watched {
    uint64_t inode;
    struct ext_bind_event ev; /* its UNBIND */
    char *app;                /* ev.app_id's copy */
    bool seen;                /* listed once */
    bool present;             /* listed by the poll under way */
};

/* inode of the network namespace of fd (a socket with SIOCGSKNS, or /proc/self/ns/net), or 0. */
static uint64_t netns_of(int sock)
{
    int ns = sock >= 0 ? ioctl(sock, SIOCGSKNS) : open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    struct stat st;
    uint64_t ino = ns >= 0 && fstat(ns, &st) == 0 ? (uint64_t)st.st_ino : 0;
    if (ns >= 0)
        close(ns);
    return ino;
}

/* Sends a dump request of every socket of family and protocol, numbered seq. 0 or -errno. */
static int request_dump(int diag, uint8_t family, uint8_t protocol, uint32_t seq)
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg = {
        .nlh = {.nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = seq},
        /* Every state bit, also Linux 6.8's TCP_BOUND_INACTIVE (bit 13): bound sockets that do not listen. */
        .req = {.sdiag_family = family, .sdiag_protocol = protocol, .idiag_states = ~0u},
    };
    return send(diag, &msg, sizeof(msg), 0) == (ssize_t)sizeof(msg) ? 0 : -errno;
}

/* Lists the sockets of family and protocol, calling found(inode) for each. 0 or -errno. */
static int dump(int diag, uint8_t family, uint8_t protocol, void (*found)(void *, uint64_t), void *arg)
{
    static _Atomic uint32_t next_seq;
    uint32_t seq = atomic_fetch_add(&next_seq, 1) + 1;
    int err = request_dump(diag, family, protocol, seq);
    static __thread char buf[32768];
    while (!err) {
        ssize_t n = recv(diag, buf, sizeof(buf), 0);
        if (n < 0)
            return errno == EINTR ? 0 : -errno;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != seq)
                continue; /* what an earlier dump left, cut short by an error */
            if (h->nlmsg_type == NLMSG_DONE)
                return 0;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                return e->error ? e->error : -EIO;
            }
            if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                found(arg, ((const struct inet_diag_msg *)NLMSG_DATA(h))->idiag_inode);
        }
    }
    return err;
}

static void note_inode(void *arg, uint64_t inode)
{
    *(uint64_t *)arg = *(uint64_t *)arg == inode ? 0 : *(uint64_t *)arg;
}

/* Whether the kernel lists a TCP socket that is bound and does nothing else. */
static bool lists_bound_sockets(int diag)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct stat st;
    bool listed = false;
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 && fstat(s, &st) == 0) {
        uint64_t wanted = st.st_ino;
        listed = dump(diag, AF_INET, IPPROTO_TCP, note_inode, &wanted) == 0 && wanted == 0;
    }
    if (s >= 0)
        close(s);
    return listed;
}

int bind_unbind_init(struct bind_unbind *u)
{
    memset(u, 0, sizeof(*u));
    u->diag = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (u->diag < 0)
        return -errno;
    u->netns = netns_of(-1);
    u->lists_bound = lists_bound_sockets(u->diag);
    return 0;
}

void bind_unbind_free(struct bind_unbind *u)
{
    for (size_t i = 0; i < u->count; i++)
        free(u->socks[i].app);
    free(u->socks);
    if (u->diag >= 0)
        close(u->diag);
    memset(u, 0, sizeof(*u));
    u->diag = -1;
}

void bind_unbind_watch(struct bind_unbind *u, int sock, const struct ext_bind_event *post,
                       struct ext_source_counters *counters)
{
    struct stat st;
    uint32_t proto = post->md.ip_protocol; /* MPTCP (262) is not TCP: not listed with it */
    if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP) || netns_of(sock) != u->netns || fstat(sock, &st) != 0) {
        atomic_fetch_add(&counters->lost, 1);
        core_trace_printf("bpfhost: supervised bind by %d: its release will not be seen (protocol %u or another "
                          "network namespace)", (int)post->md.process_id, proto);
        return;
    }
    if (u->count == u->cap) {
        size_t cap = u->cap ? 2 * u->cap : 16;
        struct bind_watched *grown = realloc(u->socks, cap * sizeof(*grown));
        if (!grown) {
            atomic_fetch_add(&counters->lost, 1);
            return;
        }
        u->socks = grown;
        u->cap = cap;
    }
    struct bind_watched *w = &u->socks[u->count];
    *w = (struct bind_watched){.inode = st.st_ino, .ev = *post};
    w->ev.md.operation = BIND_OPERATION_UNBIND;
    w->ev.md.bind_error = 0;
    w->ev.md.thread_id = 0; /* released by whoever closed it last */
    w->app = post->app_id ? malloc(post->app_id_len) : NULL;
    if (w->app)
        memcpy(w->app, post->app_id, post->app_id_len);
    w->ev.app_id = w->app;
    w->ev.app_id_len = w->app ? post->app_id_len : 0;
    if (!u->count)
        u->next_poll_ns = ext_monotonic_ns() + BIND_UNBIND_POLL_MS * 1000000ull;
    u->count++;
}

int bind_unbind_wait_ms(const struct bind_unbind *u)
{
    if (!u->count)
        return -1;
    uint64_t now = ext_monotonic_ns();
    return now >= u->next_poll_ns ? 0 : (int)((u->next_poll_ns - now + 999999) / 1000000);
}

static int by_inode(const void *a, const void *b)
{
    uint64_t x = ((const struct bind_watched *)a)->inode, y = ((const struct bind_watched *)b)->inode;
    return x < y ? -1 : x > y;
}

/* A listed socket: present if watched (socks is sorted by inode: each look-up is O(log watched)). */
static void mark_present(void *arg, uint64_t inode)
{
    struct bind_unbind *u = arg;
    struct bind_watched key = {.inode = inode};
    struct bind_watched *w = bsearch(&key, u->socks, u->count, sizeof(*u->socks), by_inode);
    if (w)
        w->present = true;
}

/* Lists the sockets of the families and protocols watched, marking the watched ones present. 0 or -errno. */
static int list_watched(struct bind_unbind *u)
{
    static const uint8_t families[] = {AF_INET, AF_INET6}, protocols[] = {IPPROTO_TCP, IPPROTO_UDP};
    /* Sorted once per poll (only the sockets watched since the last one are out of order): with
     * thousands of sockets held, a linear look-up per listed socket made each poll, and every bind
     * of the tree waiting behind it, O(listed x watched). */
    qsort(u->socks, u->count, sizeof(*u->socks), by_inode);
    for (size_t i = 0; i < u->count; i++)
        u->socks[i].present = false;
    for (size_t f = 0; f < 2; f++)
        for (size_t p = 0; p < 2; p++) {
            bool wanted = false;
            for (size_t i = 0; i < u->count && !wanted; i++)
                wanted = u->socks[i].ev.md.protocol == protocols[p] &&
                         (u->socks[i].ev.md.socket_address_length == 28) == (families[f] == AF_INET6);
            int err = wanted ? dump(u->diag, families[f], protocols[p], mark_present, u) : 0;
            if (err)
                return err;
        }
    return 0;
}

void bind_unbind_poll(struct bind_unbind *u, struct core_hook *hook, struct ext_source_counters *counters,
                      bool final)
{
    if (!u->count || (!final && ext_monotonic_ns() < u->next_poll_ns))
        return;
    int err = list_watched(u);
    if (err) {
        atomic_fetch_add(&counters->errors, 1);
        core_trace_printf("bpfhost: cannot list the sockets of the supervised tree: %s", strerror(-err));
    }
    size_t kept = 0;
    for (size_t i = 0; i < u->count; i++) {
        struct bind_watched *w = &u->socks[i];
        w->seen |= w->present;
        bool gone = !err && !w->present && (final || w->seen || u->lists_bound || w->ev.md.protocol == IPPROTO_UDP);
        if (!gone) {
            u->socks[kept++] = *w;
            continue;
        }
        struct ext_bind_verdict v;
        w->ev.deadline_ns = ext_deadline_from_now();
        if (ext_bind_dispatch(hook, &w->ev, &v) >= 0)
            atomic_fetch_add(&counters->events, 1);
        free(w->app);
    }
    u->count = kept;
    u->next_poll_ns = ext_monotonic_ns() + BIND_UNBIND_POLL_MS * 1000000ull;
}
