/* Clocks, random numbers and the CPU number. */
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "core/internal.h"

static uint64_t clock_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Monotonic, not counting suspend (CLOCK_MONOTONIC, as Linux's ktime_get_ns). */
CORE_HELPER(core_helper_ktime_get_ns)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)env;
    return clock_ns(CLOCK_MONOTONIC);
}

/* Since boot, counting suspend. */
CORE_HELPER(core_helper_ktime_get_boot_ns)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)env;
    return clock_ns(CLOCK_BOOTTIME);
}

/* Linux has no coarse boot clock; the precise one divided is still cheap (vDSO). */
CORE_HELPER(core_helper_ktime_get_boot_ms)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)env;
    return clock_ns(CLOCK_BOOTTIME) / 1000000u;
}

/* The coarse clock: a tick's resolution, as eBPF for Windows promises. */
CORE_HELPER(core_helper_ktime_get_ms)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)env;
    return clock_ns(CLOCK_MONOTONIC_COARSE) / 1000000u;
}

/* xorshift64* per thread, seeded from the kernel: fast and lock-free, not for secrets (as Linux's). */
CORE_HELPER(core_helper_get_prandom_u32)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)env;
    static _Thread_local uint64_t state;
    while (!state)
        if (getrandom(&state, sizeof(state), 0) != sizeof(state))
            state = clock_ns(CLOCK_MONOTONIC) | 1;
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return (uint32_t)((state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* The run's CPU slot (programs calling this hold one): constant for the whole run. */
CORE_HELPER(core_helper_get_smp_processor_id)
{
    (void)r1, (void)r2, (void)r3, (void)r4, (void)r5, (void)env;
    return map_this_cpu();
}
