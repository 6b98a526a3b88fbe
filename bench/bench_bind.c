/*
 * The cost of a bind (socket, bind to 127.0.0.1 port 0, close: UDP) with
 * and without the bind hook: in this process; in a supervised tree with no
 * program attached; in a tree with examples/trace_connections.c attached;
 * in this process with that program on the system-wide hook "bind" (the
 * kernel's audit; root only). A tree's cost is its run for N binds minus
 * its run for none, over N (the exec and the tree's start are left out).
 * Medians of ROUNDS rounds.
 */
#include "bench.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core.h"
#include "elf/bpf_elf.h"
#include "ext/ext.h"

enum { BINDS = 2000, ROUNDS = 5 };

/* N binds of a UDP socket to 127.0.0.1:0: 0, or -1 if one failed. */
static int binds(int n)
{
    for (int i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int rc = s >= 0 ? bind(s, (struct sockaddr *)&a, sizeof(a)) : -1;
        if (s >= 0)
            close(s);
        if (rc)
            return -1;
    }
    return 0;
}

int bench_bind_child(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "--binds") != 0)
        return -1;
    return binds(atoi(argv[2])) ? 1 : 0;
}

/* ns of one run of this program's "--binds n" under sv, or -1. */
static double tree_run_ns(struct ext_supervisor *sv, int n)
{
    char count[16], self[] = "/proc/self/exe", flag[] = "--binds";
    snprintf(count, sizeof(count), "%d", n);
    char *argv[] = {self, flag, count, NULL};
    int code;
    uint64_t t0 = bench_now_ns();
    if (ext_supervisor_run(sv, argv, &code) != 0 || code != 0)
        return -1;
    return (double)(bench_now_ns() - t0);
}

/* ns per bind in this process, the median of ROUNDS rounds; -1 if a bind failed. */
static double local_ns(void)
{
    double per[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        uint64_t t0 = bench_now_ns();
        if (binds(BINDS))
            return -1;
        per[r] = (double)(bench_now_ns() - t0) / BINDS;
    }
    return bench_median(per, ROUNDS);
}

/* Loads prog_file and attaches its first program to hook: the link, or NULL after a message. */
static struct core_link *attach(struct core_hook *hook, const char *prog_file, struct bpf_elf_object **elf,
                                struct core_object **obj)
{
    char err[512] = "cannot attach";
    struct core_link *link = NULL;
    if (bpf_elf_open_file(prog_file, elf, err, sizeof(err)) || core_object_load(*elf, NULL, obj, err, sizeof(err)) ||
        core_hook_attach(hook, (*obj)->progs[0], NULL, 0, &link))
        fprintf(stderr, "bench bind: %s: %s\n", prog_file, err);
    return link;
}

/* ns per bind in this process with prog_file on the system-wide hook; -1 if it cannot be attached. */
static double system_wide_ns(const char *prog_file)
{
    struct bpf_elf_object *elf = NULL;
    struct core_object *obj = NULL;
    struct core_link *link = attach(core_hook_find(EXT_BIND_HOOK), prog_file, &elf, &obj);
    double result = link ? local_ns() : -1;
    core_link_release(link);
    core_object_close(obj);
    bpf_elf_close(elf);
    return result;
}

/* ns per bind in a supervised tree, with prog_file's bind programs attached (NULL: none); -1 if it cannot run. */
static double supervised_ns(const char *prog_file)
{
    struct ext_supervisor *sv;
    if (ext_supervisor_create(&sv, NULL))
        return -1;
    struct bpf_elf_object *elf = NULL;
    struct core_object *obj = NULL;
    struct core_link *link = NULL;
    double result = -1, per[ROUNDS];
    if (prog_file && !(link = attach(ext_supervisor_hook(sv, "bind"), prog_file, &elf, &obj)))
        goto out;
    for (int r = 0; r < ROUNDS; r++) {
        double with = tree_run_ns(sv, BINDS), without = tree_run_ns(sv, 0);
        if (with < 0 || without < 0)
            goto out;
        per[r] = (with - without) / BINDS;
    }
    result = bench_median(per, ROUNDS);
out:
    core_link_release(link);
    ext_supervisor_destroy(sv);
    core_object_close(obj);
    bpf_elf_close(elf);
    return result;
}

/* One row: ns per bind and the ratio to base, or why it could not run. */
static void row(const char *mode, double ns, double base, const char *why_not)
{
    if (ns < 0)
        printf("%-48s %12s  (%s)\n", mode, "-", why_not);
    else
        printf("%-48s %12.0f %8.2f\n", mode, ns, ns / base);
}

int bench_bind(void)
{
    if (ext_register_builtin())
        return 1;
    const char *prog = BENCH_EXAMPLES_DIR "/trace_connections.o";
    double base = local_ns();
    if (base < 0)
        return 1;
    double none = supervised_ns(NULL), traced = supervised_ns(prog), audited = system_wide_ns(prog);
    printf("\nbind: socket + bind 127.0.0.1:0 + close (UDP), %d per round, median of %d rounds\n", BINDS, ROUNDS);
    printf("%-48s %12s %8s\n", "mode", "ns per bind", "ratio");
    row("no hook", base, base, NULL);
    row("supervised tree, no program", none, base, "no seccomp user notification");
    row("supervised tree, trace_connections.o", traced, base, "no seccomp user notification");
    row("system-wide (audit, observe), trace_connections.o", audited, base, "needs root and the kernel's audit");
    return 0;
}
