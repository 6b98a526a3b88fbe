/*
 * bench_kernel_prog.c: the CPU time the kernel spends running this
 * process' kernel eBPF programs (those of the hook "process/tracepoint"):
 * the kernel counts it while run-time statistics are on (BPF_ENABLE_STATS,
 * for as long as its descriptor is open) and shows it per program in the
 * program's fdinfo (run_time_ns). Apart from bench_process.c because
 * <linux/bpf.h> and bpfhost's program headers define the same names.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

int bench_kernel_stats_enable(void)
{
    union bpf_attr attr = {.enable_stats = {.type = BPF_STATS_RUN_TIME}};
    int fd = (int)syscall(SYS_bpf, BPF_ENABLE_STATS, &attr, sizeof(attr));
    return fd < 0 ? -errno : fd;
}

/* The run_time_ns of descriptor fd when it is a kernel eBPF program, else 0. */
static unsigned long long run_time_of(const char *fd)
{
    char path[64], target[64], line[128];
    snprintf(path, sizeof(path), "/proc/self/fd/%s", fd);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n <= 0)
        return 0;
    target[n] = '\0';
    if (strcmp(target, "anon_inode:bpf-prog") != 0)
        return 0;
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%s", fd);
    FILE *f = fopen(path, "r");
    unsigned long long ns = 0;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "run_time_ns: %llu", &ns) == 1)
            break;
    if (f)
        fclose(f);
    return ns;
}

uint64_t bench_kernel_prog_run_ns(void)
{
    DIR *d = opendir("/proc/self/fd");
    uint64_t total = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            total += run_time_of(e->d_name);
    if (d)
        closedir(d);
    return total;
}
