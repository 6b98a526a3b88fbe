/* What this machine lets a test do (see probes.h). */
#include "common/probes.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <dlfcn.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

enum { REASON_MAX = 256, CHILD_TIMEOUT_S = 10 };

/* Formats a reason into out; returns out. */
static const char *say(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, REASON_MAX, fmt, ap);
    va_end(ap);
    return out;
}

/*
 * Runs fn in a child process, which writes why it failed into a page it
 * shares with us. Returns NULL if fn returned 0, else the reason (in out),
 * also when the child died by a signal (the probe crashed the process).
 */
static const char *in_child(int (*fn)(char *why, void *arg), void *arg, const char *what, char *out)
{
    char *why = mmap(NULL, REASON_MAX, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (why == MAP_FAILED)
        return say(out, "%s: no shared page for the probe: %s", what, strerror(errno));
    why[0] = '\0';
    pid_t child = fork();
    if (child == 0) {
        signal(SIGSEGV, SIG_DFL); /* a sanitizer's handler would turn a refused instruction into a report */
        signal(SIGBUS, SIG_DFL);
        alarm(CHILD_TIMEOUT_S);
        _exit(fn(why, arg) == 0 ? 0 : 1);
    }
    int status = 0;
    const char *result = NULL;
    if (child < 0)
        result = say(out, "%s: fork failed: %s", what, strerror(errno));
    else if (waitpid(child, &status, 0) != child)
        result = say(out, "%s: waitpid failed: %s", what, strerror(errno));
    else if (WIFSIGNALED(status))
        result = say(out, "%s killed the probe process by signal %d (%s)", what, WTERMSIG(status),
                     strsignal(WTERMSIG(status)));
    else if (WEXITSTATUS(status) != 0)
        result = say(out, "%s: %s", what, why[0] ? why : "failed");
    munmap(why, REASON_MAX);
    return result;
}

/* A probe's answer, found once per process: the machine does not change under a test. */
struct answer {
    bool known;
    const char *why; /* NULL: it works */
    char text[REASON_MAX];
};

/* a's answer; find(a->text) finds it the first time. */
static const char *once(struct answer *a, const char *(*find)(char *out))
{
    if (!a->known) {
        a->why = find(a->text);
        a->known = true;
    }
    return a->why;
}

const char *probe_root(void)
{
    static char out[REASON_MAX];
    return geteuid() == 0 ? NULL : say(out, "not root (effective uid %u)", (unsigned)geteuid());
}

/* ------------------------------------------------------------------------ */

static int i386_getpid(char *why, void *arg)
{
    (void)arg;
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) /* i386 getpid */ : "memory", "r8", "r9", "r10", "r11");
    if (ret == getpid())
        return 0;
    say(why, "returned %ld, not our pid%s", ret, ret == -ENOSYS ? " (ENOSYS: no i386 system calls in this kernel)" : "");
#else
    say(why, "not an x86-64 machine");
#endif
    return 1;
}

static const char *find_i386_entry(char *out)
{
    return in_child(i386_getpid, NULL, "getpid through int $0x80", out);
}

const char *probe_i386_entry(void)
{
    static struct answer a;
    return once(&a, find_i386_entry);
}

/* ------------------------------------------------------------------------ */

static const char *find_fanotify_exec_perm(char *out)
{
    int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_UNLIMITED_QUEUE | FAN_REPORT_TID, O_RDONLY);
    if (fd < 0)
        return say(out, "fanotify_init(FAN_CLASS_CONTENT): %s%s", strerror(errno),
                   errno == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
    const char *why = NULL;
    /* An inode mark on "/" itself: no exec ever opens it, so nothing on the machine waits for us. */
    if (fanotify_mark(fd, FAN_MARK_ADD, FAN_OPEN_EXEC_PERM, AT_FDCWD, "/") != 0)
        why = say(out, "fanotify_mark(FAN_OPEN_EXEC_PERM): %s", strerror(errno));
    close(fd);
    return why;
}

const char *probe_fanotify_exec_perm(void)
{
    static struct answer a;
    return once(&a, find_fanotify_exec_perm);
}

/* ------------------------------------------------------------------------ */

/* A proc connector control message. */
struct cn_control {
    struct nlmsghdr nl;
    struct cn_msg cn;
    uint32_t op; /* enum proc_cn_mcast_op */
};

static int cn_send(int sock, uint32_t op, uint32_t nonce)
{
    struct cn_control m;
    memset(&m, 0, sizeof(m));
    m.nl.nlmsg_len = sizeof(m);
    m.nl.nlmsg_type = NLMSG_DONE;
    m.nl.nlmsg_pid = (uint32_t)getpid();
    m.cn.id.idx = CN_IDX_PROC;
    m.cn.id.val = CN_VAL_PROC;
    m.cn.ack = nonce;
    m.cn.len = sizeof(m.op);
    m.op = op;
    return send(sock, &m, sizeof(m), 0) == (ssize_t)sizeof(m) ? 0 : -errno;
}

/* Waits up to 2 s for the kernel's answer to the message with that nonce: its error (0 ok), or 1 if none came. */
static int cn_answer(int sock, uint32_t nonce)
{
    for (int polls = 0; polls < 20; polls++) {
        struct pollfd p = {sock, POLLIN, 0};
        if (poll(&p, 1, 100) <= 0)
            continue;
        uint64_t buf[1024];
        ssize_t n = recv(sock, buf, sizeof(buf), 0);
        const struct nlmsghdr *nl = (const void *)buf;
        if (n < (ssize_t)(sizeof(*nl) + sizeof(struct cn_msg) + sizeof(struct proc_event)))
            continue;
        const struct cn_msg *cn = NLMSG_DATA(nl);
        struct proc_event ev; /* at offset 36: copied out, it needs 8-byte alignment */
        memcpy(&ev, cn->data, sizeof(ev));
        if (cn->id.idx == CN_IDX_PROC && cn->ack == nonce + 1 && ev.what == PROC_EVENT_NONE)
            return -(int)ev.event_data.ack.err;
    }
    return 1;
}

static const char *find_proc_connector(char *out)
{
    const char *result = NULL;
    int sock = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    if (sock < 0)
        return say(out, "netlink connector socket: %s", strerror(errno));
    struct sockaddr_nl addr = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
    uint32_t nonce = (uint32_t)getpid() << 8;
    int err = bind(sock, (struct sockaddr *)&addr, sizeof(addr)) ? -errno : cn_send(sock, PROC_CN_MCAST_LISTEN, nonce);
    if (err)
        result = say(out, "proc connector bind/listen: %s%s", strerror(-err),
                     err == -EPERM ? " (needs CAP_NET_ADMIN in the initial user namespace)" : "");
    else if ((err = cn_answer(sock, nonce)) > 0)
        result = say(out, "the proc connector did not answer PROC_CN_MCAST_LISTEN (not the initial namespaces?)");
    else if (err < 0)
        result = say(out, "PROC_CN_MCAST_LISTEN refused: %s%s", strerror(-err),
                     err == -EPERM ? " (needs CAP_NET_ADMIN in the initial user namespace)" : "");
    else
        cn_send(sock, PROC_CN_MCAST_IGNORE, nonce + 2);
    close(sock);
    return result;
}

const char *probe_proc_connector(void)
{
    static struct answer a;
    return once(&a, find_proc_connector);
}

/* ------------------------------------------------------------------------ */

/* AUDIT_GET answered with a status; a kernel without CONFIG_AUDIT has no NETLINK_AUDIT. */
static const char *find_audit(char *out)
{
    int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
    if (sock < 0)
        return say(out, "no NETLINK_AUDIT socket (a kernel without CONFIG_AUDIT?): %s", strerror(errno));
    struct nlmsghdr req = {.nlmsg_len = NLMSG_LENGTH(0), .nlmsg_type = AUDIT_GET,
                           .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 1};
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    const char *result = NULL;
    if (sendto(sock, &req, req.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
        result = say(out, "AUDIT_GET not sent: %s", strerror(errno));
    } else {
        result = say(out, "the kernel did not answer AUDIT_GET");
        for (int polls = 0; polls < 20; polls++) {
            struct pollfd p = {sock, POLLIN, 0};
            uint64_t buf[1024];
            ssize_t n = poll(&p, 1, 100) > 0 ? recv(sock, buf, sizeof(buf), 0) : 0;
            const struct nlmsghdr *h = (const void *)buf;
            if (n < (ssize_t)sizeof(*h))
                continue;
            const struct nlmsgerr *e = NLMSG_DATA(h);
            if (h->nlmsg_type == NLMSG_ERROR && e->error) {
                result = say(out, "AUDIT_GET refused: %s%s", strerror(-e->error),
                             e->error == -EPERM ? " (needs CAP_AUDIT_CONTROL in the initial namespaces)" : "");
                break;
            }
            if (h->nlmsg_type == AUDIT_GET) {
                const struct audit_status *st = NLMSG_DATA(h);
                result = st->enabled == 2 ? say(out, "audit is locked (enabled=2): no rule can be added") : NULL;
                break;
            }
        }
    }
    close(sock);
    return result;
}

const char *probe_audit(void)
{
    static struct answer a;
    return once(&a, find_audit);
}

/* ------------------------------------------------------------------------ */

static const char *find_kernel_tracepoints(char *out)
{
    struct stat ns;
    if (stat("/proc/self/ns/pid", &ns) != 0 || ns.st_ino != 0xEFFFFFFCu) /* PROC_PID_INIT_INO */
        return say(out, "not in the initial pid namespace: the kernel program's pids are not ours");
    if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
        return say(out, "no kernel BTF at /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF): %s", strerror(errno));
    void *lib = dlopen("libbpf.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        return say(out, "libbpf.so.1 does not open: %s", dlerror());
    dlclose(lib);
    struct bpf_insn exit0[] = {{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
                               {.code = BPF_JMP | BPF_EXIT}};
    union bpf_attr load = {.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT, .insns = (uintptr_t)exit0, .insn_cnt = 2,
                           .license = (uintptr_t)"GPL"};
    int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
    if (prog < 0)
        return say(out, "the kernel does not load a raw tracepoint eBPF program: %s%s", strerror(errno),
                   errno == EPERM ? " (needs CAP_BPF and CAP_PERFMON)" : "");
    union bpf_attr open = {.raw_tracepoint = {.name = (uintptr_t)"sched_process_exec", .prog_fd = (uint32_t)prog}};
    int link = (int)syscall(SYS_bpf, BPF_RAW_TRACEPOINT_OPEN, &open, sizeof(open));
    const char *result = link < 0 ? say(out, "no eBPF program on the tracepoint sched_process_exec: %s", strerror(errno))
                                  : NULL;
    if (link >= 0)
        close(link);
    close(prog);
    return result;
}

const char *probe_kernel_tracepoints(void)
{
    static struct answer a;
    return once(&a, find_kernel_tracepoints);
}

/* ------------------------------------------------------------------------ */

static int unshare_net(char *why, void *arg)
{
    (void)arg;
    if (unshare(CLONE_NEWNET) == 0)
        return 0;
    say(why, "%s", strerror(errno));
    return 1;
}

const char *probe_new_network_namespace(void)
{
    static char out[REASON_MAX];
    return in_child(unshare_net, NULL, "unshare(CLONE_NEWNET)", out);
}

/* ------------------------------------------------------------------------ */

static void *call_getppid(void *result)
{
    *(long *)result = syscall(SYS_getppid);
    return NULL;
}

/* In the child: traps getppid for user notification, calls it from a thread, lets it continue. */
static int notify_continue(char *why, void *arg)
{
    (void)arg;
    long expected = syscall(SYS_getppid), got = -1;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    /* SYSRAWRC: the kernel's errno, not libseccomp's ECANCELED for every kernel error. */
    int err = ctx ? seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1) : -ENOMEM;
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(getppid), 0);
    if (err || (err = seccomp_load(ctx)) != 0) {
        say(why, "loading a SCMP_ACT_NOTIFY filter: %s", strerror(-err));
        return 1;
    }
    int listener = seccomp_notify_fd(ctx);
    struct seccomp_notif *req;
    struct seccomp_notif_resp *resp;
    pthread_t thread;
    if (listener < 0 || seccomp_notify_alloc(&req, &resp) != 0 || pthread_create(&thread, NULL, call_getppid, &got)) {
        say(why, "no listener (SECCOMP_FILTER_FLAG_NEW_LISTENER)");
        return 1;
    }
    if ((err = seccomp_notify_receive(listener, req)) != 0) {
        say(why, "SECCOMP_IOCTL_NOTIF_RECV: %s", strerror(-err));
        return 1;
    }
    resp->id = req->id;
    resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    resp->error = 0;
    resp->val = 0;
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) != 0) { /* libseccomp's call hides the errno */
        say(why, "SECCOMP_IOCTL_NOTIF_SEND with SECCOMP_USER_NOTIF_FLAG_CONTINUE: %s", strerror(errno));
        return 1;
    }
    pthread_join(thread, NULL);
    if (got != expected) {
        say(why, "the continued system call returned %ld, not %ld", got, expected);
        return 1;
    }
    return 0;
}

static const char *find_seccomp_notify_continue(char *out)
{
    return in_child(notify_continue, NULL, "seccomp user notification", out);
}

const char *probe_seccomp_notify_continue(void)
{
    static struct answer a;
    return once(&a, find_seccomp_notify_continue);
}

/* ------------------------------------------------------------------------ */

/* Yama's ptrace_scope, or "none" (a static string). */
static const char *ptrace_scope(void)
{
    static char scope[16];
    snprintf(scope, sizeof(scope), "none");
    int fd = open("/proc/sys/kernel/yama/ptrace_scope", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t n = read(fd, scope, sizeof(scope) - 1);
        scope[n > 0 ? n : 0] = '\0';
        scope[strcspn(scope, "\n")] = '\0';
        close(fd);
    }
    return scope;
}

/* In the child: becomes uid (if another), forks a grandchild and reads a word of its memory. */
static int read_child(char *why, void *arg)
{
    uid_t uid = *(uid_t *)arg;
    if (uid != geteuid() && (setgroups(0, NULL) || setgid(uid) || setuid(uid))) {
        say(why, "switching to uid %u: %s", (unsigned)uid, strerror(errno));
        return 1;
    }
    prctl(PR_SET_DUMPABLE, 1); /* changing ids cleared it; a user's processes have it */
    static volatile uint64_t marker;
    marker = 0x5ca1ab1e;
    pid_t grandchild = fork();
    if (grandchild == 0) {
        pause();
        _exit(0);
    }
    uint64_t seen = 0;
    struct iovec local = {&seen, sizeof(seen)}, remote = {(void *)&marker, sizeof(marker)};
    ssize_t n = process_vm_readv(grandchild, &local, 1, &remote, 1, 0);
    int err = errno;
    kill(grandchild, SIGKILL);
    waitpid(grandchild, NULL, 0);
    if (n == (ssize_t)sizeof(seen) && seen == marker)
        return 0;
    say(why, "process_vm_readv of its own child as uid %u: %s (Yama ptrace_scope: %s)", (unsigned)uid,
        n < 0 ? strerror(err) : "wrong bytes", ptrace_scope());
    return 1;
}

const char *probe_read_child_memory(uid_t uid)
{
    static char out[REASON_MAX];
    return in_child(read_child, &uid, "reading a child's memory", out);
}

static const char *find_supervision(char *out)
{
    const char *why = probe_seccomp_notify_continue();
    if (!why)
        why = probe_read_child_memory(geteuid());
    return why ? say(out, "%s", why) : NULL; /* a copy: the memory probe's text changes with its next call */
}

const char *probe_supervision(void)
{
    static struct answer a;
    return once(&a, find_supervision);
}

/* ------------------------------------------------------------------------ */

/* PIDFD_GET_INFO's first struct (Linux 6.13; the exit status since 6.15); older headers lack it. */
struct probe_pidfd_info {
    uint64_t mask, cgroupid;
    uint32_t ids[11];
    int32_t exit_code;
};
#define PROBE_PIDFD_GET_INFO _IOWR(0xFF, 11, struct probe_pidfd_info)
#define PROBE_PIDFD_INFO_EXIT (1ull << 3)

static const char *find_pidfd_info_exit(char *out)
{
    const char *result = NULL;
    int gate[2];
    if (pipe2(gate, O_CLOEXEC) != 0)
        return say(out, "pipe: %s", strerror(errno));
    pid_t child = fork();
    if (child == 0) {
        char c;
        close(gate[1]);
        _exit(read(gate[0], &c, 1) == 0 ? 7 : 1); /* once we closed our end */
    }
    int pidfd = child > 0 ? (int)syscall(SYS_pidfd_open, child, 0) : -1;
    int err = errno;
    close(gate[0]);
    close(gate[1]);
    if (child > 0)
        waitpid(child, NULL, 0);
    struct probe_pidfd_info info = {.mask = PROBE_PIDFD_INFO_EXIT};
    if (pidfd < 0)
        result = say(out, "pidfd_open: %s", strerror(err));
    else if (ioctl(pidfd, PROBE_PIDFD_GET_INFO, &info) != 0)
        result = say(out, "PIDFD_GET_INFO on a reaped child: %s (Linux < 6.15)", strerror(errno));
    else if (!(info.mask & PROBE_PIDFD_INFO_EXIT))
        result = say(out, "PIDFD_GET_INFO gives no PIDFD_INFO_EXIT (Linux < 6.15)");
    else if (info.exit_code != 7 << 8)
        result = say(out, "PIDFD_INFO_EXIT gave status 0x%x, not 0x700", (unsigned)info.exit_code);
    if (pidfd >= 0)
        close(pidfd);
    return result;
}

const char *probe_pidfd_info_exit(void)
{
    static struct answer a;
    return once(&a, find_pidfd_info_exit);
}
