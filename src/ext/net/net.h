/*
 * What the files of the network extension share; not for other files. One job each:
 *   bind_type.c       the program type "bind": bind_md_t, its rights, the return rule
 *   bind_dispatch.c   running a hook's programs on one bind event (deny, redirect)
 *   bind_json.c       simulated events from JSON (bpfhost test-run --ctx)
 *   bind_address.c    socket addresses to and from bind_md_t
 *   bind_privilege.c  whether a thread's capabilities count in its socket's network namespace
 *   bind_read.c       reading a bind's address from the caller's memory within a time limit
 *   bind_other_family.c  a supervised bind of a socket that is not IP (AF_UNIX, ...)
 *   bind_image.c      the image path of a binding process, checked against the file it runs
 *   supervise_bind.c  the binds of a supervised tree (seccomp user notification)
 *   bind_unbind.c     when a bound socket of the tree is gone (sock_diag)
 *   source_audit_bind.c  every bind of the machine, observed (kernel audit)
 */
#ifndef BPFHOST_EXT_NET_H
#define BPFHOST_EXT_NET_H

#include <sys/socket.h>

#include "ext/internal.h"

/* bind_type.c: registers the bind program type (once). */
int ext_bind_type_register(void);

/* bind_json.c: the bind type's context_from_json (see struct core_prog_type). */
int ext_bind_context_from_json(const char *json, struct core_test_input *in, char *err, size_t errlen);

/*
 * bind_address.c: fills md's socket_address, socket_address_length and the
 * IPv6 fields from the address sa (len bytes) given to bind() on a socket
 * of family (AF_INET or AF_INET6). Returns 0, or what the kernel answers
 * to such a bind: -EINVAL (too short), -EAFNOSUPPORT (another family).
 */
int ext_bind_md_from_sockaddr(bind_md_t *md, int family, const void *sa, size_t len);
/* bind_address.c: the socket address md holds, for a socket of family; its length. */
socklen_t ext_bind_md_to_sockaddr(const bind_md_t *md, int family, struct sockaddr_storage *out);
/* bind_read.c: the most address bytes ext_bind_read_address() reads (sizeof(struct sockaddr_storage)). */
enum { EXT_BIND_ADDRESS_MAX = 128 };
/* bind_read.c: reads len bytes at addr of thread tid within timeout_ms: bytes read, -ETIMEDOUT, or -errno. */
ssize_t ext_bind_read_address(pid_t tid, uint64_t addr, void *buf, size_t len, int timeout_ms);
/* bind_other_family.c: ext_bind_other_family()'s answer that the kernel may run the bind itself. */
enum { EXT_BIND_LET_KERNEL = 1 };
/*
 * bind_other_family.c: a bind of thread tid (process tgid) of socket sock (our copy; family, not IP) to addr
 * (len bytes): 0 or -errno (done or refused here), or EXT_BIND_LET_KERNEL.
 */
int ext_bind_other_family(pid_t tgid, pid_t tid, int sock, int family, const void *addr, socklen_t len);
/* bind_image.c: the image path of process pid into out (NUL-terminated), prefixed "unverified:" unless that
 * path seen from here is the file it runs; its length, 0 if unknown. */
size_t ext_bind_image_path(pid_t pid, char *out, size_t cap);
/* bind_privilege.c: whether thread tid's user namespace owns the network namespace of sock, or is an
 * ancestor of its owner (its capabilities then count there); false when that cannot be established. */
bool ext_bind_userns_rules_netns(pid_t tid, int sock);
/* bind_address.c: whether socket_address holds an IPv4 address (its family field is AF_INET). */
bool ext_bind_md_is_ipv4(const bind_md_t *md);
/* bind_address.c: sets md's ip_protocol to protocol (0 if negative: unknown), and protocol to it if it fits a byte, else 0. */
void ext_bind_md_set_protocol(bind_md_t *md, int protocol);
/* bind_address.c: md's address as text ("1.2.3.4:80", "[::1]:80") into out. */
void ext_bind_md_format(const bind_md_t *md, char *out, size_t cap);
/* bind_address.c: md's port, host order. */
uint16_t ext_bind_md_port(const bind_md_t *md);

/*
 * bind_unbind.c: the sockets a supervised tree bound, watched for their
 * release (UNBIND). The tree closes its sockets without a system call we
 * stop (close() of every descriptor would cost every process a round
 * trip), so the watch asks the kernel which sockets still exist
 * (NETLINK_SOCK_DIAG, by inode) every BIND_UNBIND_POLL_MS while it
 * watches any, and once more when the run ends.
 */
enum { BIND_UNBIND_POLL_MS = 100 };
struct bind_watched;
struct bind_unbind {
    struct bind_watched *socks;
    size_t count, cap;
    int diag;             /* NETLINK_SOCK_DIAG socket */
    uint64_t netns;       /* inode of our network namespace: the one the dumps list */
    bool lists_bound;     /* the kernel lists bound TCP sockets that do not listen (Linux 6.8 and later) */
    uint64_t next_poll_ns;
};
/* Opens the watch: 0 or -errno. */
int bind_unbind_init(struct bind_unbind *u);
/* Closes it (what it still watches gets no UNBIND). */
void bind_unbind_free(struct bind_unbind *u);
/* Watches the TCP or UDP socket sock, bound as post says (its UNBIND is post as UNBIND); counts what it cannot. */
void bind_unbind_watch(struct bind_unbind *u, int sock, const struct ext_bind_event *post,
                       struct ext_source_counters *counters);
/* ms until the next poll is due (-1: nothing watched). */
int bind_unbind_wait_ms(const struct bind_unbind *u);
/* Dispatches UNBIND for each watched socket gone, if a poll is due or final (the run is over: all are gone). */
void bind_unbind_poll(struct bind_unbind *u, struct core_hook *hook, struct ext_source_counters *counters,
                      bool final);

#endif
