/* See slot_holders.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/slot_holders.h"
#include "maps/maps.h"

uint64_t slot_holder_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *holder_main(void *opaque)
{
    struct slot_holder *h = opaque;
    h->slot = map_cpu_claim(h->deadline_ns);
    if (h->slot >= 0 && h->served)
        h->order = atomic_fetch_add(h->served, 1) + 1;
    atomic_store(&h->state, h->slot >= 0 ? 1 : 2);
    if (h->slot < 0)
        return NULL;
    while (!atomic_load(&h->release))
        usleep(1000);
    map_cpu_release();
    return NULL;
}

void slot_holder_start(struct slot_holder *h, uint64_t deadline_ns, atomic_uint *served)
{
    *h = (struct slot_holder){.deadline_ns = deadline_ns, .served = served};
    assert_int_equal(pthread_create(&h->thread, NULL, holder_main, h), 0);
}

int slot_holder_settled(struct slot_holder *h)
{
    int state;
    while ((state = atomic_load(&h->state)) == 0)
        usleep(500);
    return state;
}

void slot_holder_stop(struct slot_holder *h)
{
    if (h->joined)
        return;
    atomic_store(&h->release, true);
    assert_int_equal(pthread_join(h->thread, NULL), 0);
    h->joined = true;
}

struct slot_holder *slot_holders_fill(unsigned *count)
{
    unsigned cap = map_nr_cpus() + 1; /* never more slots than CPUs */
    struct slot_holder *hs = calloc(cap, sizeof(*hs));
    assert_non_null(hs);
    for (unsigned i = 0; i < cap; i++) {
        slot_holder_start(&hs[i], slot_holder_now() + 20 * SLOT_HOLDER_MS, NULL);
        if (slot_holder_settled(&hs[i]) == 2) {
            assert_int_equal(hs[i].slot, -ETIMEDOUT);
            slot_holder_stop(&hs[i]);
            *count = i;
            return hs;
        }
    }
    fail_msg("%u holders all got a slot: more slots than map_nr_cpus() = %u", cap, map_nr_cpus());
    return hs;
}

void slot_holders_stop(struct slot_holder *hs, unsigned count)
{
    for (unsigned i = 0; i < count; i++)
        slot_holder_stop(&hs[i]);
    free(hs);
}
