/* The verifier's time over the whole development corpus (list.tsv), per
 * program verified: total, median and maximum, in wall time and in CPU
 * time (which other work on the machine stretches less), and its peak
 * memory. The corpus is verified RUNS times and each program counts with
 * its fastest run: on a machine shared with other work the slower runs
 * measure the others. Beside it, the Linux verifier's time on the same
 * programs, as list.tsv notes it (kernel_us, measured on this machine
 * type when the corpus was made). */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tools/tools.h"

enum { RUNS = 3 };

struct times {
    uint64_t *ns, *cpu_ns; /* per program verified: the fastest run's wall and CPU time */
    uint64_t *linux_ns;    /* per program: the Linux verifier's time from list.tsv, 0 if not noted */
    char (*name)[160];     /* per program: object and section */
    size_t count, cap;
    size_t at;             /* the program of this run the next row is */
    bool first_run;
    size_t peak_bytes;
    uint64_t cpu_mark; /* this thread's CPU time at the previous row */
};

/* CPU time of this thread (user and system: page faults count). */
static uint64_t cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool grow(struct times *t)
{
    size_t cap = t->cap ? 2 * t->cap : 512;
    uint64_t *ns = realloc(t->ns, cap * sizeof(*ns));
    if (ns)
        t->ns = ns;
    uint64_t *cpu_ns = realloc(t->cpu_ns, cap * sizeof(*cpu_ns));
    if (cpu_ns)
        t->cpu_ns = cpu_ns;
    uint64_t *linux_ns = realloc(t->linux_ns, cap * sizeof(*linux_ns));
    if (linux_ns)
        t->linux_ns = linux_ns;
    char(*name)[160] = realloc(t->name, cap * sizeof(*name));
    if (name)
        t->name = name;
    if (!ns || !cpu_ns || !linux_ns || !name)
        return false;
    t->cap = cap;
    return true;
}

static void on_row(void *arg, const struct tools_corpus_row *row)
{
    struct times *t = arg;
    /* The CPU time since the previous row: this row's verification, and the reading of its object when it is
     * the first of it (a little more than the verification alone). */
    uint64_t mark = cpu_now_ns(), cpu = mark - t->cpu_mark;
    t->cpu_mark = mark;
    if (!row->found)
        return;
    size_t i = t->at++;
    if (t->first_run) {
        if (t->count == t->cap && !grow(t))
            return;
        t->ns[i] = row->ns;
        t->cpu_ns[i] = cpu;
        snprintf(t->name[i], sizeof(t->name[i]), "%s %s", row->path, row->section);
        const char *kernel = row->note ? strstr(row->note, "kernel_us=") : NULL;
        t->linux_ns[i] = kernel ? strtoull(kernel + strlen("kernel_us="), NULL, 10) * 1000u : 0;
        t->count++;
    } else if (i < t->count) {
        if (row->ns < t->ns[i])
            t->ns[i] = row->ns;
        if (cpu < t->cpu_ns[i])
            t->cpu_ns[i] = cpu;
    }
    if (row->res.peak_bytes > t->peak_bytes)
        t->peak_bytes = row->res.peak_bytes;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sum, median and maximum of v[0..n) (sorts v). */
static void summary(uint64_t *v, size_t n, uint64_t *sum, uint64_t *median, uint64_t *max)
{
    *sum = 0;
    for (size_t i = 0; i < n; i++)
        *sum += v[i];
    qsort(v, n, sizeof(*v), compare_u64);
    *median = v[n / 2];
    *max = v[n - 1];
}

/* Our verification time (wall, without the ELF reading) and the Linux verifier's on the programs list.tsv has its time for: sums, medians, maxima. */
static void compare_with_linux(const struct times *t)
{
    uint64_t *ours = malloc(t->count * sizeof(*ours)), *theirs = malloc(t->count * sizeof(*theirs));
    size_t n = 0, slower = 0;
    for (size_t i = 0; ours && theirs && i < t->count; i++) {
        if (!t->linux_ns[i])
            continue;
        slower += t->ns[i] > t->linux_ns[i];
        ours[n] = t->ns[i];
        theirs[n++] = t->linux_ns[i];
    }
    if (n) {
        uint64_t sum[2], median[2], max[2];
        summary(ours, n, &sum[0], &median[0], &max[0]);
        summary(theirs, n, &sum[1], &median[1], &max[1]);
        printf("  the same %zu programs, this verifier (wall) / the Linux verifier (list.tsv kernel_us):\n", n);
        printf("  %-26s %10.1f / %.1f ms\n", "sum", (double)sum[0] / 1e6, (double)sum[1] / 1e6);
        printf("  %-26s %10.1f / %.1f us\n", "median per program", (double)median[0] / 1e3, (double)median[1] / 1e3);
        printf("  %-26s %10.1f / %.1f ms\n", "max per program", (double)max[0] / 1e6, (double)max[1] / 1e6);
        printf("  %-26s %10zu of %zu\n", "programs slower than Linux", slower, n);
    }
    free(ours);
    free(theirs);
}

int bench_verify(void)
{
    const char *dir = getenv("BPFHOST_VERIFIER_DIR");
    if (!dir)
        dir = BENCH_VERIFIER_DIR;
    struct times t = {0};
    long rows = 0;
    for (int run = 0; run < RUNS && rows >= 0; run++) {
        t.at = 0;
        t.first_run = run == 0;
        t.cpu_mark = cpu_now_ns();
        rows = tools_verify_corpus(dir, on_row, &t);
    }
    if (rows < 0 || !t.count) {
        printf("\nverifier: no corpus at %s (set BPFHOST_VERIFIER_DIR)\n", dir);
        free(t.ns);
        free(t.cpu_ns);
        free(t.linux_ns);
        free(t.name);
        return 0;
    }
    size_t slowest = 0;
    for (size_t i = 1; i < t.count; i++)
        if (t.cpu_ns[i] > t.cpu_ns[slowest])
            slowest = i;
    printf("\nverifier over the corpus (%s: %zu programs verified, each the fastest of %d runs)\n", dir, t.count,
           RUNS);
    compare_with_linux(&t); /* before summary() sorts the times */
    uint64_t sum, median, max;
    summary(t.ns, t.count, &sum, &median, &max);
    printf("  %-26s %10.1f ms\n", "wall time, sum", (double)sum / 1e6);
    printf("  %-26s %10.1f us\n", "wall median per program", (double)median / 1e3);
    printf("  %-26s %10.1f ms\n", "wall max per program", (double)max / 1e6);
    printf("  (CPU times include the reading of each object's ELF file)\n");
    const char *slowest_name = t.name[slowest];
    summary(t.cpu_ns, t.count, &sum, &median, &max);
    printf("  %-26s %10.1f ms\n", "CPU time, sum", (double)sum / 1e6);
    printf("  %-26s %10.1f us\n", "CPU median per program", (double)median / 1e3);
    printf("  %-26s %10.1f ms  (%s)\n", "CPU max per program", (double)max / 1e6, slowest_name);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  %-26s %10.1f MiB\n", "peak state memory", (double)t.peak_bytes / (1024.0 * 1024.0));
    printf("  %-26s %10.1f MiB\n", "peak RSS of the process", (double)ru.ru_maxrss / 1024.0);
    free(t.ns);
    free(t.cpu_ns);
    free(t.linux_ns);
    free(t.name);
    return 0;
}
