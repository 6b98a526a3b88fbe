/* bpfhost_bench: prints the benchmark tables (`make bench`). */
#include "bench.h"

#include <stdio.h>
#include <time.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int main(void)
{
    int status = bench_exec();
    status |= bench_maps();
    return status;
}
