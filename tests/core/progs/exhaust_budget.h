/* A safe program that never finishes within the run's instruction budget:
 * 2^40 bounded iterations through nested bpf_loop callbacks, so a run stops
 * with an error that every verified program can still meet. */
#ifndef BPFHOST_TESTS_CORE_EXHAUST_BUDGET_H
#define BPFHOST_TESTS_CORE_EXHAUST_BUDGET_H

#include <bpf_helpers.h>

static long spin(uint64_t index, void *unused)
{
    return 0;
}

static long spin_more(uint64_t index, void *unused)
{
    bpf_loop(1 << 20, spin, NULL, 0);
    return 0;
}

/* Runs out of the instruction budget. */
static inline void exhaust_budget(void)
{
    bpf_loop(1 << 20, spin_more, NULL, 0);
}

#endif
