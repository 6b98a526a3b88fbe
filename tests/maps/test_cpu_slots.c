/*
 * CPU slots (map_cpu_claim): one holder per slot among many more threads
 * than CPUs, the slot kept across a migration, waiting in line with a
 * deadline, and nested claims on one thread.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/skips.h"
#include "common/slot_holders.h"
#include "maps_test.h"

enum { THREADS = 16, CLAIMS = 3000 };

struct claimer {
    atomic_int *owner; /* per slot: the thread holding it, 0 for none */
    int me;
    unsigned shared, wrong_slot;
};

static void *claimer_main(void *opaque)
{
    struct claimer *c = opaque;
    unsigned n = map_nr_cpus();
    for (int i = 0; i < CLAIMS; i++) {
        int s = map_cpu_claim(0);
        if (s < 0 || (unsigned)s >= n) {
            c->wrong_slot++;
            continue;
        }
        if (atomic_exchange(&c->owner[s], c->me) != 0)
            c->shared++;
        if (map_this_cpu() != (unsigned)s)
            c->wrong_slot++;
        if (i % 64 == 0)
            sched_yield(); /* give the CPU away while holding: the others must wait, not share */
        if (atomic_exchange(&c->owner[s], 0) != c->me)
            c->shared++;
        map_cpu_release();
    }
    return NULL;
}

static void one_holder_per_slot(void **state)
{
    (void)state;
    atomic_int *owner = calloc(map_nr_cpus(), sizeof(*owner));
    assert_non_null(owner);
    struct claimer cs[THREADS];
    for (int i = 0; i < THREADS; i++)
        cs[i] = (struct claimer){.owner = owner, .me = i + 1};
    run_threads(THREADS, claimer_main, cs, sizeof(cs[0]));
    unsigned shared = 0, wrong = 0;
    for (int i = 0; i < THREADS; i++) {
        shared += cs[i].shared;
        wrong += cs[i].wrong_slot;
    }
    assert_int_equal(shared, 0);
    assert_int_equal(wrong, 0);
    free(owner);
}

/* The program path of a holding thread uses its slot, before and after the thread moves to another CPU. */
static void slot_stays_across_migration(void **state)
{
    (void)state;
    unsigned n = map_nr_cpus();
    unsigned a = pin_to_one_cpu(), b = a + 1;
    while (b < CPU_SETSIZE && (!CPU_ISSET(b, &saved_affinity) || b % n == a % n))
        b++;
    if (b == CPU_SETSIZE) {
        unpin();
        test_skip("one CPU allowed: no migration to make");
    }
    struct map *m = make_map(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, 0);
    uint32_t key = 0;
    int s = map_cpu_claim(0);
    assert_int_equal(s, (int)(a % n)); /* the current CPU's slot while it is free */
    uint64_t *before = map_lookup_elem(m, &key);
    pin_to_cpu(b); /* migrates the thread now */
    assert_int_equal(sched_getcpu(), (int)b);
    assert_int_equal(map_this_cpu(), (unsigned)s);
    assert_ptr_equal(map_lookup_elem(m, &key), before);
    uint64_t v = 42;
    assert_int_equal(map_update_elem(m, &key, &v, MAP_ANY), 0);
    uint64_t *all = user_value_buffer(m);
    assert_int_equal(map_lookup_copy(m, &key, all), 0);
    for (unsigned c = 0; c < n; c++)
        assert_int_equal(all[c], c == (unsigned)s ? 42 : 0);
    map_cpu_release();
    /* Without a claim the program path follows the CPU again. */
    assert_int_equal(map_this_cpu(), b % n);
    assert_ptr_not_equal(map_lookup_elem(m, &key), before);
    free(all);
    map_release(m);
    unpin();
}

enum { MS = SLOT_HOLDER_MS };

static void claim_waits_then_times_out(void **state)
{
    (void)state;
    unsigned held;
    struct slot_holder *hs = slot_holders_fill(&held);
    assert_true(held >= 1);
    uint64_t t0 = slot_holder_now();
    assert_int_equal(map_cpu_claim(t0 + 30 * MS), -ETIMEDOUT);
    assert_true(slot_holder_now() - t0 >= 30 * MS);
    assert_int_equal(map_cpu_claim(1), -ETIMEDOUT); /* a deadline already passed */

    /* Two waiters without deadline, queued one after the other, get the freed slot in that order. */
    atomic_uint served = 0;
    struct slot_holder first, second;
    slot_holder_start(&first, 0, &served);
    usleep(50000);
    slot_holder_start(&second, 0, &served);
    usleep(50000);
    assert_int_equal(atomic_load(&first.state), 0);
    assert_int_equal(atomic_load(&second.state), 0);
    slot_holder_stop(&hs[0]);
    assert_int_equal(slot_holder_settled(&first), 1);
    assert_int_equal(first.order, 1);
    assert_int_equal(first.slot, hs[0].slot); /* handed over */
    slot_holder_stop(&first);
    assert_int_equal(slot_holder_settled(&second), 1);
    assert_int_equal(second.order, 2);
    slot_holder_stop(&second);
    slot_holders_stop(hs, held);
}

static void nested_claims_share_the_slot(void **state)
{
    (void)state;
    int s = map_cpu_claim(0);
    assert_true(s >= 0);
    unsigned held;
    struct slot_holder *hs = slot_holders_fill(&held); /* every slot but s */
    assert_int_equal(map_cpu_claim(1), s); /* nested: no wait, even past its deadline */
    assert_int_equal(map_this_cpu(), (unsigned)s);
    map_cpu_release();
    assert_int_equal(map_this_cpu(), (unsigned)s); /* the outer claim still holds it */
    struct slot_holder late;
    slot_holder_start(&late, slot_holder_now() + 20 * MS, NULL);
    assert_int_equal(slot_holder_settled(&late), 2);
    slot_holder_stop(&late);
    map_cpu_release();
    slot_holder_start(&late, slot_holder_now() + 1000 * MS, NULL);
    assert_int_equal(slot_holder_settled(&late), 1);
    assert_int_equal(late.slot, s);
    slot_holder_stop(&late);
    slot_holders_stop(hs, held);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_holder_per_slot),
        cmocka_unit_test(slot_stays_across_migration),
        cmocka_unit_test(claim_waits_then_times_out),
        cmocka_unit_test(nested_claims_share_the_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
