/* The verifier's time over the whole development corpus (list.tsv), per
 * program verified: total, median and maximum, in wall time and in CPU
 * time (which other work on the machine does not stretch), and its peak
 * memory. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "tools/tools.h"

struct times {
    uint64_t *ns, *cpu_ns;
    size_t count, cap;
    size_t peak_bytes;
    uint64_t cpu_mark;      /* this thread's CPU time at the previous row */
    uint64_t cpu_max;       /* the most CPU time of one row, and which it was */
    char cpu_max_name[256];
    int rejected_core;
};

/* CPU time of this thread (user and system: page faults count). */
static uint64_t cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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
    if (t->count == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 512;
        uint64_t *grown = realloc(t->ns, cap * sizeof(*grown));
        if (!grown)
            return;
        t->ns = grown;
        grown = realloc(t->cpu_ns, cap * sizeof(*grown));
        if (!grown)
            return;
        t->cpu_ns = grown;
        t->cap = cap;
    }
    if (cpu > t->cpu_max) {
        t->cpu_max = cpu;
        snprintf(t->cpu_max_name, sizeof(t->cpu_max_name), "%s %s", row->path, row->section);
    }
    t->cpu_ns[t->count] = cpu;
    t->ns[t->count++] = row->ns;
    if (row->res.peak_bytes > t->peak_bytes)
        t->peak_bytes = row->res.peak_bytes;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int bench_verify(void)
{
    const char *dir = getenv("BPFHOST_VERIFIER_DIR");
    if (!dir)
        dir = BENCH_VERIFIER_DIR;
    struct times t = {0};
    t.cpu_mark = cpu_now_ns();
    uint64_t start = bench_now_ns(), cpu_start = t.cpu_mark;
    long rows = tools_verify_corpus(dir, on_row, &t);
    uint64_t total = bench_now_ns() - start, cpu_total = cpu_now_ns() - cpu_start;
    if (rows < 0 || !t.count) {
        printf("\nverifier: no corpus at %s (set BPFHOST_VERIFIER_DIR)\n", dir);
        free(t.ns);
        free(t.cpu_ns);
        return 0;
    }
    qsort(t.ns, t.count, sizeof(*t.ns), compare_u64);
    qsort(t.cpu_ns, t.count, sizeof(*t.cpu_ns), compare_u64);
    uint64_t sum = 0;
    for (size_t i = 0; i < t.count; i++)
        sum += t.ns[i];
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("\nverifier over the corpus (%s: %zu programs verified)\n", dir, t.count);
    printf("  %-26s %10.1f ms\n", "wall time, ELF reading too", (double)total / 1e6);
    printf("  %-26s %10.1f ms\n", "verification, sum", (double)sum / 1e6);
    printf("  %-26s %10.1f us\n", "median per program", (double)t.ns[t.count / 2] / 1e3);
    printf("  %-26s %10.1f ms\n", "max per program", (double)t.ns[t.count - 1] / 1e6);
    printf("  %-26s %10.1f ms\n", "CPU time, ELF reading too", (double)cpu_total / 1e6);
    printf("  %-26s %10.1f us\n", "CPU median per program", (double)t.cpu_ns[t.count / 2] / 1e3);
    printf("  %-26s %10.1f ms  (%s)\n", "CPU max per program", (double)t.cpu_max / 1e6, t.cpu_max_name);
    printf("  %-26s %10.1f MiB\n", "peak state memory", (double)t.peak_bytes / (1024.0 * 1024.0));
    printf("  %-26s %10.1f MiB\n", "peak RSS of the process", (double)ru.ru_maxrss / 1024.0);
    free(t.ns);
    free(t.cpu_ns);
    return 0;
}
