/* bpfhost_bench: prints the benchmark tables (`make bench`). */
#include "bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double bench_median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

int main(int argc, char **argv)
{
    int child = bench_storm_child(argc, argv);
    if (child < 0)
        child = bench_bind_child(argc, argv);
    if (child >= 0)
        return child;
    /* "bpfhost_bench SECTION" runs one section: exec, maps, runs, process, bind or verify. */
    const char *only = argc == 2 ? argv[1] : NULL;
    int status = 0;
    if (!only || !strcmp(only, "exec"))
        status |= bench_exec();
    if (!only || !strcmp(only, "maps"))
        status |= bench_maps();
    if (!only || !strcmp(only, "runs"))
        status |= bench_runs();
    if (!only || !strcmp(only, "process"))
        status |= bench_process();
    if (!only || !strcmp(only, "bind"))
        status |= bench_bind();
    if (!only || !strcmp(only, "verify"))
        status |= bench_verify();
    return status;
}
