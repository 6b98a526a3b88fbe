/*
 * Binds real sockets inside a supervised tree and writes what happened to
 * the file OUT, one line per step (test data for test_supervise_bind.c,
 * compiled by the test with cc):
 *   bind_helper OUT bind 4|6 tcp|udp PORT   bind to the loopback address, "bound PORT" or "error ERRNO";
 *                                          a TCP socket then listens and is connected to from here
 *                                          ("connected PORT"), both closed
 *   bind_helper OUT twice PORT              binds two TCP sockets to PORT: the second fails
 *   bind_helper OUT race GOOD BAD N         N binds to GOOD while another thread keeps rewriting the
 *                                          address to BAD: "bound-bad K" (K binds that reached BAD)
 *   bind_helper OUT hold PORT MS            binds a UDP socket, closes it, then lives MS more
 *   bind_helper OUT keep 4|6 tcp|udp PORT MS  binds as "bind" does, keeps the socket MS, then exits
 *   bind_helper OUT i386 PORT               binds UDP sockets through the i386 entry (int 0x80): with
 *                                          socketcall(SYS_BIND) ("socketcall ..."), then bind ("direct ...")
 *   bind_helper OUT io_uring                io_uring_setup: "io_uring 0" or "io_uring error ERRNO"
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static FILE *out;

static socklen_t loopback(int family, unsigned port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (family == 6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        a->sin6_addr = in6addr_loopback;
        return sizeof(*a);
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof(*a);
}

static unsigned port_of(int s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(s, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                          : ((struct sockaddr_in *)&ss)->sin_port);
}

static int bind_one(int family, bool tcp, unsigned port)
{
    int s = socket(family == 6 ? AF_INET6 : AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    struct sockaddr_storage ss;
    socklen_t len = loopback(family, port, &ss);
    if (bind(s, (struct sockaddr *)&ss, len) != 0) {
        fprintf(out, "error %d\n", errno);
        close(s);
        return -1;
    }
    fprintf(out, "bound %u\n", port_of(s));
    return s;
}

/* Connects to the listening socket s where it is bound. */
static void connect_to(int family, int s)
{
    struct sockaddr_storage ss;
    socklen_t len = loopback(family, port_of(s), &ss);
    int c = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    if (listen(s, 1) == 0 && connect(c, (struct sockaddr *)&ss, len) == 0) {
        int a = accept(s, NULL, NULL);
        if (a >= 0) {
            fprintf(out, "connected %u\n", port_of(s));
            close(a);
        }
    }
    close(c);
}

static struct sockaddr_in shared; /* the address the racing thread rewrites */
static atomic_bool stop;
static unsigned good, bad;

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *flip(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        shared.sin_port = htons((uint16_t)bad);
        shared.sin_port = htons((uint16_t)good);
    }
    return NULL;
}

static void race(unsigned n)
{
    shared = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)good),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    pthread_t t;
    pthread_create(&t, NULL, flip, NULL);
    unsigned reached_bad = 0, bound = 0, denied = 0, failed = 0;
    int last_error = 0;
    for (unsigned i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        if (bind(s, (struct sockaddr *)&shared, sizeof(shared)) == 0) {
            bound++;
            reached_bad += port_of(s) == bad;
        } else if (errno == EACCES) {
            denied++;
        } else {
            failed++;
            last_error = errno;
        }
        close(s);
    }
    atomic_store(&stop, true);
    pthread_join(t, NULL);
    fprintf(out, "bound-bad %u\nbound %u\ndenied %u\nfailed %u (errno %d)\n", reached_bad, bound, denied, failed,
            last_error);
}

/* A system call through the i386 entry (32-bit arguments: they must point below 4 GiB). */
static long int80(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory", "r8", "r9", "r10", "r11");
    return ret;
#else
    (void)nr, (void)a, (void)b, (void)c;
    return -ENOSYS;
#endif
}

/* Binds a UDP socket to 127.0.0.1:port through socketcall(SYS_BIND) and through the direct i386 bind. */
static void bind_i386(unsigned port)
{
    void *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED) {
        fprintf(out, "mmap failed\n");
        return;
    }
    struct sockaddr_in *a = low;
    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    uint32_t *args = (uint32_t *)((char *)low + 64);
    for (int direct = 0; direct < 2; direct++) {
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        args[0] = (uint32_t)s;
        args[1] = (uint32_t)(uintptr_t)a;
        args[2] = sizeof(*a);
        long rc = direct ? int80(361, s, (long)(uintptr_t)a, sizeof(*a)) : int80(102, 2, (long)(uintptr_t)args, 0);
        if (rc == 0)
            fprintf(out, "%s bound %u\n", direct ? "direct" : "socketcall", port_of(s));
        else
            fprintf(out, "%s error %ld\n", direct ? "direct" : "socketcall", -rc);
        close(s);
    }
}

int main(int argc, char **argv)
{
    if (argc < 3 || !(out = fopen(argv[1], "w")))
        return 2;
    setvbuf(out, NULL, _IONBF, 0);
    const char *mode = argv[2];
    if (!strcmp(mode, "bind") && argc == 6) {
        int family = atoi(argv[3]);
        bool tcp = !strcmp(argv[4], "tcp");
        int s = bind_one(family, tcp, (unsigned)atoi(argv[5]));
        if (s >= 0 && tcp)
            connect_to(family, s);
        if (s >= 0)
            close(s);
    } else if (!strcmp(mode, "twice") && argc == 4) {
        int a = bind_one(4, true, (unsigned)atoi(argv[3]));
        int b = bind_one(4, true, (unsigned)atoi(argv[3]));
        close(a);
        close(b);
    } else if (!strcmp(mode, "race") && argc == 6) {
        good = (unsigned)atoi(argv[3]);
        bad = (unsigned)atoi(argv[4]);
        race((unsigned)atoi(argv[5]));
    } else if (!strcmp(mode, "hold") && argc == 5) {
        int s = bind_one(4, false, (unsigned)atoi(argv[3]));
        close(s);
        sleep_ms(atoi(argv[4]));
    } else if (!strcmp(mode, "keep") && argc == 7) {
        int s = bind_one(atoi(argv[3]), !strcmp(argv[4], "tcp"), (unsigned)atoi(argv[5]));
        sleep_ms(atoi(argv[6]));
        close(s);
    } else if (!strcmp(mode, "i386") && argc == 4) {
        bind_i386((unsigned)atoi(argv[3]));
    } else if (!strcmp(mode, "io_uring") && argc == 3) {
        char params[120] = {0}; /* struct io_uring_params */
        long fd = syscall(SYS_io_uring_setup, 1, params);
        if (fd >= 0)
            fprintf(out, "io_uring 0\n");
        else
            fprintf(out, "io_uring error %d\n", errno);
    } else {
        return 2;
    }
    return 0;
}
