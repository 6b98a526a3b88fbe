/*
 * hash and percpu_hash: Linux's update-flag semantics and errors,
 * iteration, the memory model promised to the executor (stable value
 * pointers, exact value bounds), per-CPU values, and four threads
 * inserting, reading and deleting at once.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "maps_test.h"

static void test_update_flags_and_errors(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
    uint32_t k = 10;
    uint64_t v = 100, out = 0;

    assert_int_equal(map_update_elem(m, &k, &v, MAP_EXIST), -ENOENT);
    assert_int_equal(map_update_elem(m, &k, &v, MAP_NOEXIST), 0);
    v = 101;
    assert_int_equal(map_update_elem(m, &k, &v, MAP_NOEXIST), -EEXIST);
    assert_int_equal(map_update_elem(m, &k, &v, MAP_EXIST), 0);
    assert_int_equal(map_update_elem(m, &k, &v, 3), -EINVAL);
    assert_int_equal(map_lookup_copy(m, &k, &out), 0);
    assert_int_equal(out, 101);
    v = 102;
    assert_int_equal(map_update_user(m, &k, &v, MAP_ANY), 0);
    assert_int_equal(*(uint64_t *)map_lookup_elem(m, &k), 102);

    /* Full: a new key is -E2BIG, replacing an existing one still works. */
    for (k = 11; k < 14; k++)
        assert_int_equal(map_update_elem(m, &k, &v, MAP_ANY), 0);
    assert_int_equal(map_update_elem(m, &k, &v, MAP_ANY), -E2BIG);
    k = 13;
    assert_int_equal(map_update_elem(m, &k, &v, MAP_ANY), 0);

    k = 99;
    assert_null(map_lookup_elem(m, &k));
    assert_int_equal(map_lookup_copy(m, &k, &out), -ENOENT);
    assert_int_equal(map_delete_elem(m, &k), -ENOENT);
    assert_int_equal(map_lookup_and_delete(m, &k, &out), -ENOENT);

    k = 10;
    assert_int_equal(map_lookup_and_delete(m, &k, &out), 0);
    assert_int_equal(out, 102);
    assert_null(map_lookup_elem(m, &k));
    assert_int_equal(map_delete_elem(m, &k), -ENOENT);
    /* The freed element is available again. */
    k = 20;
    assert_int_equal(map_update_elem(m, &k, &v, MAP_NOEXIST), 0);
    map_release(m);
}

/* Iteration visits every key once, restarts on NULL or a missing key. */
static void test_get_next_key(void **state)
{
    (void)state;
    enum { N = 100 };
    struct map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, N, 0);
    uint32_t k, next;
    assert_int_equal(map_get_next_key(m, NULL, &next), -ENOENT);
    for (k = 0; k < N; k++)
        assert_int_equal(map_update_elem(m, &k, &k, MAP_ANY), 0);

    unsigned char seen[N] = {0};
    unsigned count = 0;
    const void *cursor = NULL;
    while (map_get_next_key(m, cursor, &next) == 0) {
        assert_true(next < N);
        assert_int_equal(seen[next]++, 0);
        count++;
        k = next;
        cursor = &k;
    }
    assert_int_equal(count, N);
    assert_int_equal(map_get_next_key(m, &k, &next), -ENOENT);

    uint32_t first, missing = 5000;
    assert_int_equal(map_get_next_key(m, NULL, &first), 0);
    assert_int_equal(map_get_next_key(m, &missing, &next), 0);
    assert_int_equal(next, first);
    map_release(m);
}

/* Keys of several words and colliding buckets. */
static void test_long_keys_collide(void **state)
{
    (void)state;
    struct key {
        uint64_t a, b;
        uint8_t c[5];
    } k;
    enum { N = 64 };
    /* Few buckets relative to keys exercise chains of several elements. */
    struct map *m = make_map(BPF_MAP_TYPE_HASH, sizeof(k), 4, N, MAP_F_ZERO_SEED);
    for (uint32_t i = 0; i < N; i++) {
        memset(&k, 0, sizeof(k));
        k.a = i;
        k.c[4] = (uint8_t)i;
        assert_int_equal(map_update_elem(m, &k, &i, MAP_NOEXIST), 0);
    }
    for (uint32_t i = 0; i < N; i++) {
        memset(&k, 0, sizeof(k));
        k.a = i;
        k.c[4] = (uint8_t)i;
        uint32_t *v = map_lookup_elem(m, &k);
        assert_non_null(v);
        assert_int_equal(*v, i);
        k.c[4] ^= 1; /* one bit off: another key */
        assert_null(map_lookup_elem(m, &k));
    }
    /* Delete every other key from the middle of chains. */
    for (uint32_t i = 0; i < N; i += 2) {
        memset(&k, 0, sizeof(k));
        k.a = i;
        k.c[4] = (uint8_t)i;
        assert_int_equal(map_delete_elem(m, &k), 0);
    }
    for (uint32_t i = 0; i < N; i++) {
        memset(&k, 0, sizeof(k));
        k.a = i;
        k.c[4] = (uint8_t)i;
        assert_true((map_lookup_elem(m, &k) != NULL) == (i % 2 == 1));
    }
    map_release(m);
}

/* What the executor relies on: exact value bounds, stable storage. */
static void test_value_bounds_and_stability(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_HASH, 6, 12, 8, 0);
    unsigned char key[6] = {1, 2, 3, 4, 5, 6};
    unsigned char val[12] = {0};
    assert_int_equal(map_update_elem(m, key, val, MAP_ANY), 0);
    unsigned char *p = map_lookup_elem(m, key);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 8, 0);

    uintptr_t start;
    size_t len;
    assert_true(map_value_region(m, &start, &len));
    assert_true((uintptr_t)p >= start && (uintptr_t)p + 12 <= start + len);
    assert_true(map_value_contains(m, (uintptr_t)p, 12, true));
    assert_true(map_value_contains(m, (uintptr_t)p + 11, 1, true));
    assert_false(map_value_contains(m, (uintptr_t)p, 13, false));
    assert_false(map_value_contains(m, (uintptr_t)p + 12, 1, false)); /* padding */
    assert_false(map_value_contains(m, (uintptr_t)p - 1, 1, false));  /* key side */
    assert_false(map_value_contains(m, (uintptr_t)p, 0, false));
    assert_false(map_value_contains(m, start + len, 1, false));
    assert_false(map_value_contains(m, start - 8, 1, false));

    /* Writes through the pointer are the map's value. */
    memcpy(p, "hello world", 12);
    unsigned char out[12];
    assert_int_equal(map_lookup_copy(m, key, out), 0);
    assert_memory_equal(out, "hello world", 12);

    /* After delete the pointer still addresses a value slot. */
    assert_int_equal(map_delete_elem(m, key), 0);
    assert_true(map_value_contains(m, (uintptr_t)p, 12, true));
    p[0] = 'H'; /* harmless, as with Linux's preallocated maps */
    map_release(m);
}

static void test_percpu_hash(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 4, 0);
    unsigned n = map_nr_cpus(), cpu = pin_to_one_cpu();
    assert_int_equal(map_user_value_size(m), (size_t)n * 8);
    uint32_t k = 1;
    check_percpu_views(m, &k, cpu, 1000);

    /* A program creating an element zeroes the other CPUs' values, also
     * when it reuses the storage of a deleted one. */
    uint32_t *out = user_value_buffer(m);
    uint32_t v = 7;
    assert_int_equal(map_delete_elem(m, &k), 0);
    k = 2;
    assert_int_equal(map_update_elem(m, &k, &v, MAP_NOEXIST), 0);
    assert_int_equal(map_lookup_and_delete(m, &k, out), 0);
    for (unsigned c = 0; c < n; c++)
        assert_int_equal(out[2 * c], c == cpu ? 7 : 0);

    /* Bounds: one CPU's slot at a time. */
    k = 1;
    assert_int_equal(map_update_elem(m, &k, &v, MAP_NOEXIST), 0);
    uint32_t *mine = map_lookup_elem(m, &k);
    assert_true(map_value_contains(m, (uintptr_t)mine, 4, true));
    assert_false(map_value_contains(m, (uintptr_t)mine, 5, true));
    if (n > 1) {
        uintptr_t slot0 = (uintptr_t)mine - (uintptr_t)cpu * 8;
        assert_true(map_value_contains(m, slot0 + 8, 4, false));
        assert_false(map_value_contains(m, slot0 + 4, 8, false));
    }
    free(out);
    map_release(m);
    unpin();
}

/*
 * Four threads, each owning a key range, insert, check and delete their
 * keys while reading the others'. Invariants: a thread always finds what
 * it inserted with the right value; a copy of another thread's key is
 * either missing or exact; afterwards the map is empty and every element
 * can be allocated again (no element lost or handed out twice).
 */
enum {
    STRESS_THREADS = 4,
    STRESS_LIVE = 64,
    STRESS_ROUNDS = 300000,
    STRESS_FIXED = 32,
    STRESS_FIXED_BASE = 1u << 30,
    STRESS_MAX = STRESS_THREADS * STRESS_LIVE + STRESS_FIXED,
};

struct stress_arg {
    struct map *m;
    unsigned id;
    unsigned errors;
};

static uint64_t value_for(uint32_t key)
{
    return (uint64_t)key * 0x9E3779B97F4A7C15ULL;
}

static void *stress_thread(void *p)
{
    struct stress_arg *a = p;
    unsigned seed = a->id;
    for (unsigned round = 0; round < STRESS_ROUNDS; round++) {
        uint32_t k = a->id * 100000 + (unsigned)rand_r(&seed) % STRESS_LIVE;
        uint64_t v = value_for(k), out;
        long r = map_update_elem(a->m, &k, &v, MAP_NOEXIST);
        if (r == 0) {
            uint64_t *ptr = map_lookup_elem(a->m, &k);
            a->errors += !ptr || *ptr != v;
        } else {
            a->errors += r != -EEXIST;
            a->errors += map_delete_elem(a->m, &k) != 0;
        }
        uint32_t other = ((a->id + 1) % STRESS_THREADS) * 100000 + (unsigned)rand_r(&seed) % STRESS_LIVE;
        int c = map_lookup_copy(a->m, &other, &out);
        a->errors += !(c == -ENOENT || (c == 0 && out == value_for(other)));
        uint64_t *any = map_lookup_elem(a->m, &other);
        (void)any; /* may race with a delete: only memory safety matters */
        /* A key nobody deletes is always found, even while lookups walk
         * elements being recycled into other buckets. */
        uint32_t fixed = STRESS_FIXED_BASE + round % STRESS_FIXED;
        a->errors += map_lookup_elem(a->m, &fixed) == NULL;
    }
    return NULL;
}

static void test_concurrent_hash(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_HASH, 4, 8, STRESS_MAX, 0);
    for (uint32_t k = STRESS_FIXED_BASE; k < STRESS_FIXED_BASE + STRESS_FIXED; k++) {
        uint64_t v = value_for(k);
        assert_int_equal(map_update_elem(m, &k, &v, MAP_NOEXIST), 0);
    }
    struct stress_arg args[STRESS_THREADS];
    for (unsigned i = 0; i < STRESS_THREADS; i++)
        args[i] = (struct stress_arg){.m = m, .id = i};
    run_threads(STRESS_THREADS, stress_thread, args, sizeof(args[0]));
    for (unsigned i = 0; i < STRESS_THREADS; i++)
        assert_int_equal(args[i].errors, 0);

    /* Empty the map by iteration, then fill it exactly to capacity. */
    uint32_t k;
    while (map_get_next_key(m, NULL, &k) == 0)
        assert_int_equal(map_delete_elem(m, &k), 0);
    uint64_t v = 0;
    for (k = 0; k < STRESS_MAX; k++)
        assert_int_equal(map_update_elem(m, &k, &v, MAP_NOEXIST), 0);
    assert_int_equal(map_update_elem(m, &k, &v, MAP_NOEXIST), -E2BIG);
    map_release(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_update_flags_and_errors),
        cmocka_unit_test(test_get_next_key),
        cmocka_unit_test(test_long_keys_collide),
        cmocka_unit_test(test_value_bounds_and_stability),
        cmocka_unit_test(test_percpu_hash),
        cmocka_unit_test(test_concurrent_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
