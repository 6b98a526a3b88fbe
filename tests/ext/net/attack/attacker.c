/*
 * A hostile process of a supervised tree (test data for
 * tests/ext/net/test_bind_attacks.c, compiled by the test with cc). Each
 * mode tries one way around the bind hook and writes what it got to the
 * file OUT, one "key value" line per fact; the test decides what is safe.
 * Ports are host order; BAD is the port the policy denies.
 *
 *   attacker OUT fdswap BAD N        bind(T, BAD) while another thread keeps swapping descriptor T between
 *                                    an AF_UNIX and an AF_INET socket: "bound-bad K"
 *   attacker OUT implicit listen|connect|sendto   a port without bind(): "port P" (0: none) or "error E"
 *   attacker OUT bind PORT           a UDP bind to 127.0.0.1:PORT: "bound P" or "error E"
 *   attacker OUT userns PORT         unshare(CLONE_NEWUSER), then as "bind"
 *   attacker OUT own-listener BAD    installs its own seccomp listener on bind and lets its binds continue:
 *                                    "filter 0|error E", then as "bind"
 *   attacker OUT own-errno BAD       its own filter failing bind with errno 0 (SECCOMP_RET_ERRNO | 0): as "bind"
 *   attacker OUT x32 BAD             bind through the x32 entry: "bound P" or "error E"
 *   attacker OUT children BAD        bind from a thread, a vfork child and a clone3 child: "thread|vfork|clone3 ..."
 *   attacker OUT unshared-files PORT a thread with its own file table binds its socket numbered as the main
 *                                    thread's: "thread bound P", "main bound P" (0: unbound)
 *   attacker OUT unmap BAD N         binds while another thread unmaps and remaps the address:
 *                                    "bound-bad K", "crashed 0"
 *   attacker OUT shared GOOD BAD N   binds while another process rewrites the port in shared memory: "bound-bad K"
 *   attacker OUT nondumpable BAD     PR_SET_DUMPABLE 0, then as "bind"
 *   attacker OUT inject BAD          ptrace-attaches its parent (the supervisor's helper, outside the filter),
 *                                    makes it bind a UDP socket to BAD and takes that socket: "attach 0|error E",
 *                                    "injected bound P"
 *   attacker OUT kill-helper BAD     kills its parent (the supervisor's helper), then as "bind"
 *   attacker OUT unix HOW            an AF_UNIX bind: 0 a path, 1 a path with another thread alive, 2 abstract with
 *                                    another thread alive: "bound 0" or "error E"
 *   attacker OUT uffd GOOD           a thread's bind address behind a userfaultfd that nobody serves for 3 s;
 *                                    meanwhile a child binds GOOD: "other ms T" (how long its bind took)
 *   attacker OUT threads N           N threads bind port 0 at once: "bound K", "ms T"
 *   attacker OUT keep-mptcp MS       binds an MPTCP socket to port 0, keeps it MS: "bound P" or "error E"
 *   attacker OUT bind6-any PORT      a UDP bind to [::]:PORT (every interface): "bound P", "every-interface 0|1"
 *   attacker OUT bind6only-any PORT  the same on an IPV6_V6ONLY socket (bind6-any's is not)
 *   attacker OUT redirect-to PORT    a TCP bind to 127.0.0.1:PORT: "bound P" or "error E" (the policy redirects)
 *   attacker OUT hoard N             binds N UDP sockets to port 0 and keeps them, then times 20 more binds:
 *                                    "hoarded K", "slowest ms T"
 *   attacker OUT masquerade PORT     in its own user and mount namespaces, mounts itself over /usr/bin/true and
 *                                    execs that with "bind PORT"
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static FILE *out;
static atomic_bool stop;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct sockaddr_in loop4(unsigned port)
{
    return (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
}

/* The port s is bound to (0: none); sin_port and sin6_port share their place. */
static unsigned port_of(int s)
{
    union {
        struct sockaddr_in in;
        struct sockaddr_in6 in6;
    } a = {0};
    socklen_t len = sizeof(a);
    return getsockname(s, (struct sockaddr *)&a, &len) == 0 ? ntohs(a.in.sin_port) : 0;
}

/* One UDP (or TCP) bind to 127.0.0.1:port, reported as "<tag>bound P" or "<tag>error E". */
static void bind_report(const char *tag, int type, unsigned port)
{
    int s = socket(AF_INET, type, 0);
    struct sockaddr_in a = loop4(port);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0)
        fprintf(out, "%sbound %u\n", tag, port_of(s));
    else
        fprintf(out, "%serror %d\n", tag, errno);
    close(s);
}

/* ------------------------------------------------------------------------ */

static int swap_slot, swap_unix, swap_inet;

static void *swapper(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        dup2(swap_unix, swap_slot);
        dup2(swap_inet, swap_slot);
    }
    return NULL;
}

static void fdswap(unsigned bad, unsigned n)
{
    swap_unix = socket(AF_UNIX, SOCK_DGRAM, 0);
    swap_slot = socket(AF_UNIX, SOCK_DGRAM, 0);
    unsigned reached = 0, denied = 0, other = 0;
    struct sockaddr_in a = loop4(bad);
    for (unsigned i = 0; i < n && !reached; i++) {
        swap_inet = socket(AF_INET, SOCK_DGRAM, 0);
        atomic_store(&stop, false);
        pthread_t t;
        pthread_create(&t, NULL, swapper, NULL);
        for (int k = 0; k < 20; k++) {
            if (bind(swap_slot, (struct sockaddr *)&a, sizeof(a)) == 0 || errno != EACCES)
                other++;
            else
                denied++;
        }
        atomic_store(&stop, true);
        pthread_join(t, NULL);
        reached += port_of(swap_inet) == bad;
        close(swap_inet);
    }
    fprintf(out, "bound-bad %u\ndenied %u\nother %u\n", reached, denied, other);
}

static void *idle(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        usleep(1000);
    return NULL;
}

/* An AF_UNIX bind (how: 0 a path, 1 a path with another thread alive, 2 abstract with another thread alive). */
static void unix_bind(unsigned how)
{
    pthread_t t;
    if (how)
        pthread_create(&t, NULL, idle, NULL);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof(a.sun_path), "%s/unix.%d", how == 2 ? "" : "/tmp", (int)getpid());
    if (how == 2)
        a.sun_path[0] = '\0';
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0)
        fprintf(out, "bound 0\n");
    else
        fprintf(out, "error %d\n", errno);
    if (how != 2)
        unlink(a.sun_path);
    close(s);
    if (how) {
        atomic_store(&stop, true);
        pthread_join(t, NULL);
    }
}

/* ------------------------------------------------------------------------ */

static void implicit(const char *how)
{
    bool tcp = !strcmp(how, "listen");
    int s = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    struct sockaddr_in peer = loop4(9); /* discard: nothing needs to answer */
    int rc;
    if (!strcmp(how, "listen"))
        rc = listen(s, 1);
    else if (!strcmp(how, "connect"))
        rc = connect(s, (struct sockaddr *)&peer, sizeof(peer));
    else
        rc = sendto(s, "x", 1, 0, (struct sockaddr *)&peer, sizeof(peer)) == 1 ? 0 : -1;
    if (rc != 0)
        fprintf(out, "error %d\n", errno);
    else
        fprintf(out, "port %u\n", port_of(s));
    close(s);
}

/* ------------------------------------------------------------------------ */

static int seccomp(unsigned op, unsigned flags, void *arg)
{
    return (int)syscall(SYS_seccomp, op, flags, arg);
}

/* A filter of its own: action for bind, allow the rest (x86-64 numbers; other arches are allowed). */
static int own_filter(uint32_t action, unsigned flags)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_bind, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, action),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    return seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog);
}

/* Answers every notification of listener with CONTINUE. */
static void *continue_all(void *arg)
{
    int listener = (int)(intptr_t)arg;
    struct seccomp_notif n;
    struct seccomp_notif_resp r;
    for (;;) {
        memset(&n, 0, sizeof(n));
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &n) != 0)
            return NULL;
        r = (struct seccomp_notif_resp){.id = n.id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE};
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
    }
}

static void own_listener(unsigned bad)
{
    int listener = own_filter(SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
    if (listener < 0) {
        fprintf(out, "filter error %d\n", errno);
    } else {
        fprintf(out, "filter 0\n");
        pthread_t t;
        pthread_create(&t, NULL, continue_all, (void *)(intptr_t)listener);
        pthread_detach(t);
    }
    bind_report("", SOCK_DGRAM, bad);
}

/* ------------------------------------------------------------------------ */

static void x32(unsigned bad)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loop4(bad);
    long rc = syscall(0x40000000L | SYS_bind, s, &a, sizeof(a));
    if (rc == 0)
        fprintf(out, "bound %u\n", port_of(s));
    else
        fprintf(out, "error %d\n", errno);
    close(s);
}

/* ------------------------------------------------------------------------ */

static unsigned child_port;

static void *thread_bind(void *arg)
{
    bind_report((const char *)arg, SOCK_DGRAM, child_port);
    return NULL;
}

static void children(unsigned bad)
{
    child_port = bad;
    pthread_t t;
    pthread_create(&t, NULL, thread_bind, "thread ");
    pthread_join(t, NULL);
    /* vfork: the child shares our memory; it writes the result where we read it. */
    static volatile int vfork_result;
    pid_t p = vfork();
    if (p == 0) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in a = loop4(bad);
        vfork_result = bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 ? 0 : errno;
        _exit(0);
    }
    waitpid(p, NULL, 0);
    fprintf(out, vfork_result ? "vfork error %d\n" : "vfork bound %d\n", vfork_result ? vfork_result : (int)bad);
    fflush(out);
    struct clone_args ca = {.exit_signal = SIGCHLD};
    long c = syscall(SYS_clone3, &ca, sizeof(ca));
    if (c == 0) {
        bind_report("clone3 ", SOCK_DGRAM, bad);
        _exit(0);
    }
    if (c < 0)
        fprintf(out, "clone3 failed %d\n", errno);
    else
        waitpid((pid_t)c, NULL, 0);
}

/* ------------------------------------------------------------------------ */

static int main_sock;

static void *unshared_thread(void *arg)
{
    unsigned port = (unsigned)(uintptr_t)arg;
    unshare(CLONE_FILES);
    close(main_sock); /* in our own table only */
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    if (s != main_sock) {
        fprintf(out, "thread numbering %d %d\n", s, main_sock);
        return NULL;
    }
    struct sockaddr_in a = loop4(port);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0)
        fprintf(out, "thread bound %u\n", port_of(s));
    else
        fprintf(out, "thread error %d\n", errno);
    return NULL;
}

static void unshared_files(unsigned port)
{
    main_sock = socket(AF_INET, SOCK_DGRAM, 0);
    pthread_t t;
    pthread_create(&t, NULL, unshared_thread, (void *)(uintptr_t)port);
    pthread_join(t, NULL);
    fprintf(out, "main bound %u\n", port_of(main_sock));
}

/* ------------------------------------------------------------------------ */

static void *page;

static void *unmapper(void *arg)
{
    unsigned bad = (unsigned)(uintptr_t)arg;
    while (!atomic_load(&stop)) {
        munmap(page, 4096);
        void *p = mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (p != MAP_FAILED)
            *(struct sockaddr_in *)p = loop4(bad);
    }
    return NULL;
}

static void unmap(unsigned bad, unsigned n)
{
    page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *(struct sockaddr_in *)page = loop4(bad);
    pthread_t t;
    pthread_create(&t, NULL, unmapper, (void *)(uintptr_t)bad);
    unsigned reached = 0, efault = 0, denied = 0, other = 0;
    for (unsigned i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        if (bind(s, page, sizeof(struct sockaddr_in)) == 0)
            reached += port_of(s) == bad;
        else if (errno == EFAULT)
            efault++;
        else if (errno == EACCES)
            denied++;
        else
            other++;
        close(s);
    }
    atomic_store(&stop, true);
    pthread_join(t, NULL);
    fprintf(out, "bound-bad %u\nefault %u\ndenied %u\nother %u\ncrashed 0\n", reached, efault, denied, other);
}

/* ------------------------------------------------------------------------ */

static void shared(unsigned good, unsigned bad, unsigned n)
{
    struct sockaddr_in *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *a = loop4(good);
    atomic_int *halt = (atomic_int *)(a + 4);
    pid_t flipper = fork();
    if (flipper == 0) {
        while (!atomic_load(halt)) {
            a->sin_port = htons((uint16_t)bad);
            a->sin_port = htons((uint16_t)good);
        }
        _exit(0);
    }
    unsigned reached = 0, bound = 0, denied = 0;
    for (unsigned i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        if (bind(s, (struct sockaddr *)a, sizeof(*a)) == 0) {
            bound++;
            reached += port_of(s) == bad;
        } else if (errno == EACCES) {
            denied++;
        }
        close(s);
    }
    atomic_store(halt, 1);
    waitpid(flipper, NULL, 0);
    fprintf(out, "bound-bad %u\nbound %u\ndenied %u\n", reached, bound, denied);
}

/* ------------------------------------------------------------------------ */

/* Runs one system call in the stopped tracee pid at the syscall instruction at insn; its result. */
static long inject(pid_t pid, const struct user_regs_struct *saved, uint64_t insn, long nr, long a, long b, long c)
{
    struct user_regs_struct r = *saved;
    r.rip = insn;
    r.rax = (unsigned long)nr;
    r.orig_rax = (unsigned long)-1;
    r.rdi = (unsigned long)a;
    r.rsi = (unsigned long)b;
    r.rdx = (unsigned long)c;
    if (ptrace(PTRACE_SETREGS, pid, NULL, &r) != 0 || ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) != 0)
        return -errno;
    int status;
    waitpid(pid, &status, __WALL);
    ptrace(PTRACE_GETREGS, pid, NULL, &r);
    return (long)r.rax;
}

static void inject_bind(unsigned bad)
{
    pid_t helper = getppid();
    if (ptrace(PTRACE_ATTACH, helper, NULL, NULL) != 0) {
        fprintf(out, "attach error %d\n", errno);
        return;
    }
    int status;
    waitpid(helper, &status, __WALL);
    fprintf(out, "attach 0\n");
    struct user_regs_struct saved;
    ptrace(PTRACE_GETREGS, helper, NULL, &saved);
    /* It waits in wait4(): the syscall instruction is just before rip. */
    uint64_t insn = saved.rip - 2;
    long word = ptrace(PTRACE_PEEKTEXT, helper, (void *)insn, NULL);
    if ((word & 0xffff) != 0x050f) {
        fprintf(out, "no syscall instruction at rip-2\n");
        ptrace(PTRACE_DETACH, helper, NULL, NULL);
        return;
    }
    /* The address on its stack, below the red zone. */
    struct sockaddr_in a = loop4(bad);
    uint64_t where = (saved.rsp - 512) & ~7ull;
    long words[2];
    memcpy(words, &a, sizeof(a));
    ptrace(PTRACE_POKEDATA, helper, (void *)where, (void *)words[0]);
    ptrace(PTRACE_POKEDATA, helper, (void *)(where + 8), (void *)words[1]);
    long fd = inject(helper, &saved, insn, SYS_socket, AF_INET, SOCK_DGRAM, 0);
    long rc = fd >= 0 ? inject(helper, &saved, insn, SYS_bind, fd, (long)where, sizeof(a)) : fd;
    ptrace(PTRACE_SETREGS, helper, NULL, &saved);
    ptrace(PTRACE_DETACH, helper, NULL, NULL);
    if (fd < 0 || rc != 0) {
        fprintf(out, "injected error %ld %ld\n", fd, rc);
        return;
    }
    /* The socket bound to BAD, taken into the tree. */
    int pidfd = (int)syscall(SYS_pidfd_open, helper, 0);
    int s = pidfd >= 0 ? (int)syscall(SYS_pidfd_getfd, pidfd, (int)fd, 0) : -1;
    fprintf(out, "injected bound %u\n", s >= 0 ? port_of(s) : 0);
}

/* ------------------------------------------------------------------------ */

static void *uffd_bind(void *arg)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    bind(s, arg, sizeof(struct sockaddr_in)); /* its address is behind the userfaultfd */
    close(s);
    return NULL;
}

static void uffd(unsigned good)
{
    int u = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
    struct uffdio_api api = {.api = UFFD_API};
    if (u < 0 || ioctl(u, UFFDIO_API, &api) != 0) {
        fprintf(out, "userfaultfd error %d\n", errno);
        return;
    }
    char *area = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct uffdio_register reg = {.range = {(uintptr_t)area, 4096}, .mode = UFFDIO_REGISTER_MODE_MISSING};
    if (ioctl(u, UFFDIO_REGISTER, &reg) != 0) {
        fprintf(out, "userfaultfd error %d\n", errno);
        return;
    }
    pthread_t t;
    pthread_create(&t, NULL, uffd_bind, area);
    usleep(200 * 1000); /* its bind is now being read */
    pid_t other = fork();
    if (other == 0) {
        uint64_t t0 = now_ms();
        bind_report("other ", SOCK_DGRAM, good);
        fprintf(out, "other ms %llu\n", (unsigned long long)(now_ms() - t0));
        _exit(0);
    }
    /* Serve nothing for 3 s (the fault is pending: poll would return at once), then the page. */
    sleep(3);
    struct uffdio_zeropage zp = {.range = {(uintptr_t)area, 4096}};
    ioctl(u, UFFDIO_ZEROPAGE, &zp);
    waitpid(other, NULL, 0);
    pthread_join(t, NULL);
}

/* ------------------------------------------------------------------------ */

static atomic_uint threads_bound;
static pthread_barrier_t start_line;

static void *one_bind(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start_line);
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = loop4(0);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) == 0)
        atomic_fetch_add(&threads_bound, 1);
    close(s);
    return NULL;
}

static void threads(unsigned n)
{
    pthread_t *t = calloc(n, sizeof(*t));
    pthread_barrier_init(&start_line, NULL, n + 1);
    for (unsigned i = 0; i < n; i++)
        pthread_create(&t[i], NULL, one_bind, NULL);
    uint64_t t0 = now_ms();
    pthread_barrier_wait(&start_line);
    for (unsigned i = 0; i < n; i++)
        pthread_join(t[i], NULL);
    fprintf(out, "bound %u\nms %llu\n", atomic_load(&threads_bound), (unsigned long long)(now_ms() - t0));
    free(t);
}

/* ------------------------------------------------------------------------ */

static void hoard(unsigned n)
{
    struct rlimit lim = {n + 64, n + 64};
    setrlimit(RLIMIT_NOFILE, &lim);
    unsigned kept = 0;
    for (unsigned i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in a = loop4(0);
        if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0)
            break;
        kept++;
    }
    uint64_t slowest = 0;
    for (int i = 0; i < 20; i++) {
        uint64_t t0 = now_ms();
        bind_report("", SOCK_DGRAM, 0);
        slowest = now_ms() - t0 > slowest ? now_ms() - t0 : slowest;
        usleep(37 * 1000); /* across the source's polls */
    }
    fprintf(out, "hoarded %u\nslowest ms %llu\n", kept, (unsigned long long)slowest);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void masquerade(char **argv)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
        fprintf(out, "unshare error %d\n", errno);
        return;
    }
    char map[64];
    write_file("/proc/self/setgroups", "deny");
    snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
    write_file("/proc/self/uid_map", map);
    snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
    write_file("/proc/self/gid_map", map);
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    self[n > 0 ? n : 0] = '\0';
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount(self, "/usr/bin/true", NULL, MS_BIND, NULL) != 0) {
        fprintf(out, "mount error %d\n", errno);
        return;
    }
    char *args[] = {"/usr/bin/true", argv[1], "bind", argv[3], NULL};
    execv(args[0], args);
    fprintf(out, "exec error %d\n", errno);
}

/* ------------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    if (argc < 3 || !(out = fopen(argv[1], "w")))
        return 2;
    setvbuf(out, NULL, _IONBF, 0);
    const char *mode = argv[2];
    unsigned a1 = argc > 3 ? (unsigned)atoi(argv[3]) : 0, a2 = argc > 4 ? (unsigned)atoi(argv[4]) : 0;
    if (!strcmp(mode, "fdswap") && argc == 5) {
        fdswap(a1, a2);
    } else if (!strcmp(mode, "implicit") && argc == 4) {
        implicit(argv[3]);
    } else if (!strcmp(mode, "bind") && argc == 4) {
        bind_report("", SOCK_DGRAM, a1);
    } else if ((!strcmp(mode, "bind6-any") || !strcmp(mode, "bind6only-any")) && argc == 4) {
        int s = socket(AF_INET6, SOCK_DGRAM, 0);
        int only = !strcmp(mode, "bind6only-any");
        setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof(only));
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)a1), .sin6_addr = in6addr_any};
        socklen_t len = sizeof(a);
        if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 || getsockname(s, (struct sockaddr *)&a, &len) != 0)
            fprintf(out, "error %d\n", errno);
        else
            fprintf(out, "bound %u\nevery-interface %d\n", ntohs(a.sin6_port), IN6_IS_ADDR_UNSPECIFIED(&a.sin6_addr));
    } else if (!strcmp(mode, "redirect-to") && argc == 4) {
        bind_report("", SOCK_STREAM, a1);
    } else if (!strcmp(mode, "userns") && argc == 4) {
        if (unshare(CLONE_NEWUSER) != 0)
            fprintf(out, "unshare error %d\n", errno);
        bind_report("", SOCK_DGRAM, a1);
    } else if (!strcmp(mode, "own-listener") && argc == 4) {
        own_listener(a1);
    } else if (!strcmp(mode, "own-errno") && argc == 4) {
        if (own_filter(SECCOMP_RET_ERRNO | 0, 0) != 0)
            fprintf(out, "filter error %d\n", errno);
        bind_report("", SOCK_DGRAM, a1);
    } else if (!strcmp(mode, "x32") && argc == 4) {
        x32(a1);
    } else if (!strcmp(mode, "children") && argc == 4) {
        children(a1);
    } else if (!strcmp(mode, "unshared-files") && argc == 4) {
        unshared_files(a1);
    } else if (!strcmp(mode, "unmap") && argc == 5) {
        unmap(a1, a2);
    } else if (!strcmp(mode, "shared") && argc == 6) {
        shared(a1, a2, (unsigned)atoi(argv[5]));
    } else if (!strcmp(mode, "nondumpable") && argc == 4) {
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        bind_report("", SOCK_DGRAM, a1);
    } else if (!strcmp(mode, "inject") && argc == 4) {
        inject_bind(a1);
    } else if (!strcmp(mode, "kill-helper") && argc == 4) {
        fprintf(out, "kill %d\n", kill(getppid(), SIGKILL) == 0 ? 0 : errno);
        usleep(100 * 1000);
        bind_report("", SOCK_DGRAM, a1);
    } else if (!strcmp(mode, "hoard") && argc == 4) {
        hoard(a1);
    } else if (!strcmp(mode, "masquerade") && argc == 4) {
        masquerade(argv);
    } else if (!strcmp(mode, "unix") && argc == 4) {
        unix_bind(a1);
    } else if (!strcmp(mode, "uffd") && argc == 4) {
        uffd(a1);
    } else if (!strcmp(mode, "threads") && argc == 4) {
        threads(a1);
    } else if (!strcmp(mode, "keep-mptcp") && argc == 4) {
        int s = socket(AF_INET, SOCK_STREAM, 262 /* IPPROTO_MPTCP */);
        struct sockaddr_in a = loop4(0);
        if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
            fprintf(out, "bound %u\n", port_of(s));
            listen(s, 1);
        } else {
            fprintf(out, "error %d\n", errno);
        }
        usleep(a1 * 1000);
        close(s);
    } else {
        return 2;
    }
    return 0;
}
