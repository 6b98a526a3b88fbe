/*
 * lru_hash and lru_percpu_hash: eviction of the least recently used
 * elements when full (lookups protect an element), inserts that never
 * fail for space, how much the common LRU evicts at once, the per-CPU
 * shares of MAP_F_NO_COMMON_LRU, and concurrent inserts and lookups under
 * pressure (test_lru_stress.c has the thorough concurrent checks).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "maps_test.h"

static unsigned count_keys(struct map *m)
{
    uint32_t k, next;
    unsigned n = 0;
    const void *cursor = NULL;
    while (map_get_next_key(m, cursor, &next) == 0) {
        n++;
        k = next;
        cursor = &k;
    }
    return n;
}

static bool present(struct map *m, uint32_t k)
{
    uint32_t v;
    return map_lookup_copy(m, &k, &v) == 0; /* user-space lookups do not count as use */
}

/* Referenced elements get a second chance; the others go first. */
static void test_referenced_survive(void **state)
{
    (void)state;
    enum { N = 64 };
    struct map *m = make_map(BPF_MAP_TYPE_LRU_HASH, 4, 4, N, 0);
    for (uint32_t k = 0; k < N; k++)
        assert_int_equal(map_update_elem(m, &k, &k, MAP_NOEXIST), 0);
    for (uint32_t k = 0; k < N / 2; k++)
        assert_non_null(map_lookup_elem(m, &k));
    /* NOEXIST on a full LRU evicts instead of failing. */
    for (uint32_t k = N; k < N + N / 2; k++)
        assert_int_equal(map_update_elem(m, &k, &k, MAP_NOEXIST), 0);
    assert_int_equal(count_keys(m), N);
    for (uint32_t k = 0; k < N / 2; k++)
        assert_true(present(m, k));
    for (uint32_t k = N / 2; k < N; k++)
        assert_false(present(m, k));
    for (uint32_t k = N; k < N + N / 2; k++)
        assert_true(present(m, k));
    map_release(m);
}

/* Inserting twice the capacity while using a hot set keeps the hot set. */
static void test_hot_set_under_pressure(void **state)
{
    (void)state;
    enum { N = 128, HOT = 16 };
    struct map *m = make_map(BPF_MAP_TYPE_LRU_HASH, 4, 4, N, 0);
    for (uint32_t k = 0; k < 2 * N; k++) {
        assert_int_equal(map_update_elem(m, &k, &k, MAP_ANY), 0);
        for (uint32_t h = 0; h < HOT && h <= k; h++)
            assert_non_null(map_lookup_elem(m, &h));
    }
    for (uint32_t h = 0; h < HOT; h++)
        assert_true(present(m, h));
    /* The newest keys are there too; the map is exactly full. */
    assert_true(present(m, 2 * N - 1));
    assert_int_equal(count_keys(m), N);
    map_release(m);
}

/* Replacing a key of a full LRU evicts nothing; deleting frees a slot. */
static void test_replace_and_delete(void **state)
{
    (void)state;
    enum { N = 8 };
    struct map *m = make_map(BPF_MAP_TYPE_LRU_HASH, 4, 4, N, 0);
    uint32_t k, v = 5;
    for (k = 0; k < N; k++)
        assert_int_equal(map_update_elem(m, &k, &k, MAP_ANY), 0);
    k = 3;
    assert_int_equal(map_update_elem(m, &k, &v, MAP_EXIST), 0);
    assert_int_equal(map_update_elem(m, &k, &v, MAP_NOEXIST), -EEXIST);
    assert_int_equal(map_update_elem(m, &k, &v, 4), -EINVAL);
    assert_int_equal(count_keys(m), N);
    k = 100;
    assert_int_equal(map_update_elem(m, &k, &v, MAP_EXIST), -ENOENT);

    k = 0;
    assert_int_equal(map_delete_elem(m, &k), 0);
    assert_int_equal(map_delete_elem(m, &k), -ENOENT);
    k = 100;
    assert_int_equal(map_update_elem(m, &k, &v, MAP_NOEXIST), 0);
    for (k = 1; k < N; k++)
        assert_true(present(m, k)); /* the freed slot was used, nobody evicted */
    uint32_t out;
    k = 100;
    assert_int_equal(map_lookup_and_delete(m, &k, &out), 0);
    assert_int_equal(out, 5);
    assert_int_equal(count_keys(m), N - 1);
    map_release(m);
}

static void test_lru_percpu(void **state)
{
    (void)state;
    unsigned cpu = pin_to_one_cpu();
    unsigned n = map_nr_cpus();
    struct map *m = make_map(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 2, 0);
    uint64_t *vals = user_value_buffer(m);
    uint32_t k;
    for (k = 0; k < 3; k++) {
        uint64_t v = 10 + k;
        assert_int_equal(map_update_elem(m, &k, &v, MAP_ANY), 0);
    }
    k = 0;
    assert_int_equal(map_lookup_copy(m, &k, vals), -ENOENT); /* evicted */
    k = 2;
    assert_int_equal(map_lookup_copy(m, &k, vals), 0);
    for (unsigned c = 0; c < n; c++)
        assert_int_equal(vals[c], c == cpu ? 12 : 0);
    assert_int_equal(*(uint64_t *)map_lookup_elem(m, &k), 12);
    free(vals);
    map_release(m);
    unpin();
}

/*
 * A large common LRU evicts in small batches: churned by one thread it
 * stays at least 63/64 full, and keeps the newest keys.
 */
static void test_common_lru_batches_stay_small(void **state)
{
    (void)state;
    enum { N = 8192 };
    struct map *m = make_map(BPF_MAP_TYPE_LRU_HASH, 4, 4, N, 0);
    for (uint32_t k = 0; k < 3 * N; k++) {
        assert_int_equal(map_update_elem(m, &k, &k, MAP_ANY), 0);
        if (k >= N && k % 512 == 0) {
            unsigned n = count_keys(m);
            assert_true(n <= N && n >= N - N / 64);
        }
    }
    for (uint32_t k = 3 * N - 256; k < 3 * N; k++)
        assert_true(present(m, k));
    map_release(m);
}

/* The share of the elements MAP_F_NO_COMMON_LRU gives to cpu's list. */
static unsigned share_of(unsigned cpu, unsigned max_entries)
{
    unsigned ncpu = map_nr_cpus(), stripes = ncpu < max_entries ? ncpu : max_entries;
    unsigned s = cpu % stripes;
    return max_entries / stripes + (s < max_entries % stripes);
}

/* Inserts n keys from first on, pinned to cpu. */
static void insert_on(struct map *m, unsigned cpu, uint32_t first, uint32_t n)
{
    pin_to_cpu(cpu);
    for (uint32_t k = first; k < first + n; k++)
        assert_int_equal(map_update_elem(m, &k, &k, MAP_NOEXIST), 0);
}

/*
 * MAP_F_NO_COMMON_LRU: a CPU inserts into its own share and, once that is
 * full, evicts its own oldest elements, never another CPU's.
 */
static void test_no_common_lru_per_cpu_shares(void **state)
{
    (void)state;
    enum { N = 64 };
    struct map *m = make_map(BPF_MAP_TYPE_LRU_HASH, 4, 4, N, MAP_F_NO_COMMON_LRU);
    unsigned a = pin_to_one_cpu(), b = a + 1;
    while (b < CPU_SETSIZE && !CPU_ISSET(b, &saved_affinity))
        b++;
    unsigned share_a = share_of(a, N);
    insert_on(m, a, 0, share_a + 3); /* the share's 3 oldest go */
    assert_int_equal(count_keys(m), share_a);
    for (uint32_t k = 0; k < 3; k++)
        assert_false(present(m, k));
    if (b >= CPU_SETSIZE || share_of(b, N) == 0 || b % map_nr_cpus() == a % map_nr_cpus()) {
        print_message("skipped: the cross-CPU part needs two CPUs (this thread may use one)\n");
    } else {
        unsigned share_b = share_of(b, N);
        insert_on(m, b, 1000, share_b + 5);
        assert_int_equal(count_keys(m), share_a + share_b);
        for (uint32_t k = 3; k < share_a + 3; k++)
            assert_true(present(m, k)); /* a's keys were not b's to evict */
        insert_on(m, a, 2000, 1);
        assert_false(present(m, 3));
        assert_true(present(m, 1000 + 5));
        assert_int_equal(count_keys(m), share_a + share_b);
    }
    unpin();
    map_release(m);
}

/* Small enough that the common LRU evicts one element at a time whatever
 * the CPU count, so an emptied map takes exactly CAP keys again. */
enum { THREADS = 4, ROUNDS = 200000, CAP = 64 };

struct worker {
    struct map *m;
    unsigned id;
    unsigned errors;
};

static void *lru_worker(void *p)
{
    struct worker *w = p;
    unsigned seed = w->id + 1;
    for (unsigned i = 0; i < ROUNDS; i++) {
        uint32_t k = (unsigned)rand_r(&seed) % (4 * CAP);
        uint32_t v = k * 3, out;
        if (i % 3 == 0) {
            w->errors += map_update_elem(w->m, &k, &v, MAP_ANY) != 0;
        } else if (map_lookup_copy(w->m, &k, &out) == 0) {
            w->errors += out != k * 3;
        } else {
            map_lookup_elem(w->m, &k);
        }
        if (i % 17 == 0)
            map_delete_elem(w->m, &k);
    }
    return NULL;
}

static void test_concurrent_lru(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_LRU_HASH, 4, 4, CAP, 0);
    struct worker w[THREADS];
    for (unsigned i = 0; i < THREADS; i++)
        w[i] = (struct worker){.m = m, .id = i};
    run_threads(THREADS, lru_worker, w, sizeof(w[0]));
    for (unsigned i = 0; i < THREADS; i++)
        assert_int_equal(w[i].errors, 0);
    unsigned n = count_keys(m);
    assert_true(n > 0 && n <= CAP);
    /* The list and the free list still account for every element: once
     * emptied, the map takes CAP keys without evicting any. */
    uint32_t key;
    while (map_get_next_key(m, NULL, &key) == 0)
        assert_int_equal(map_delete_elem(m, &key), 0);
    for (uint32_t k = 10000; k < 10000 + CAP; k++)
        assert_int_equal(map_update_elem(m, &k, &k, MAP_NOEXIST), 0);
    assert_int_equal(count_keys(m), CAP);
    for (uint32_t k = 10000; k < 10000 + CAP; k++)
        assert_true(present(m, k));
    map_release(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_referenced_survive),
        cmocka_unit_test(test_hot_set_under_pressure),
        cmocka_unit_test(test_replace_and_delete),
        cmocka_unit_test(test_lru_percpu),
        cmocka_unit_test(test_common_lru_batches_stay_small),
        cmocka_unit_test(test_no_common_lru_per_cpu_shares),
        cmocka_unit_test(test_concurrent_lru),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
