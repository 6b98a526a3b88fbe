/*
 * LRU hash maps under concurrent updates, deletes and lookups from several
 * threads, for both LRU types in both modes (common LRU, and
 * MAP_F_NO_COMMON_LRU). Each thread owns a range of keys that only it
 * writes, so it knows what the map must say about them:
 *
 * - with room (the live keys fit, nothing may be evicted): a key is there
 *   exactly when its owner last inserted and did not delete it;
 * - under eviction pressure (four times more keys than entries, plus keys
 *   every thread writes): updates never fail for lack of space; a key is
 *   never found after its owner deleted it, nor with another value than
 *   the owner's last; a copied value is never torn (all of it one write),
 *   which the keys all threads write put to the test.
 *
 * After each phase, with the threads stopped: no key twice and never more
 * than max_entries; every element is accounted for (emptied, the map takes
 * its capacity in new keys without evicting).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maps_test.h"

enum {
    THREADS = 4,
    ROUNDS = 100000,
    WORDS = 64,             /* value: 64 equal u64 words, (key << 32) | write number */
    SHARED_BASE = 1u << 30, /* keys every thread writes: few, so that writes collide */
    SHARED_KEYS = 8,
};

struct stress_map {
    struct map *map;
    bool percpu;
    uint32_t cap;
};

struct worker {
    const struct stress_map *sm;
    unsigned id;
    uint32_t own_base, own_keys;
    bool pressure;
    uint64_t *last; /* per own key: the value last written, 0 if absent */
    uint64_t *buf;  /* one user-space value */
    unsigned writes;
    unsigned failures;
    char why[160];
};

/* Records a broken invariant (cmocka's asserts belong to the main thread). */
__attribute__((format(printf, 2, 3))) static void broken(struct worker *w, const char *fmt, ...)
{
    if (w->failures++)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->why, sizeof(w->why), fmt, ap);
    va_end(ap);
}

static void fill_value(const struct stress_map *sm, uint64_t *buf, uint64_t token)
{
    unsigned slots = sm->percpu ? map_nr_cpus() : 1;
    for (unsigned i = 0; i < slots * WORDS; i++)
        buf[i] = token;
}

/* Writes a fresh value for key; the value written, or 0 if the update failed. */
static uint64_t put(struct worker *w, uint32_t key, uint64_t flags, long *ret)
{
    uint64_t token = (uint64_t)key << 32 | (++w->writes & 0xffffffu) << 4 | w->id | 1u << 3;
    fill_value(w->sm, w->buf, token);
    /* Per-CPU values: all CPUs from user space, so a copy shows one write. */
    *ret = w->sm->percpu ? map_update_user(w->sm->map, &key, w->buf, flags)
                         : map_update_elem(w->sm->map, &key, w->buf, flags);
    return *ret == 0 ? token : 0;
}

/* A copied value is one write for this key in every CPU's slot; returns it, or 0 if torn. */
static uint64_t whole_value(const struct stress_map *sm, uint32_t key, const uint64_t *buf)
{
    unsigned slots = sm->percpu ? map_nr_cpus() : 1;
    for (unsigned i = 0; i < slots * WORDS; i++)
        if (buf[i] != buf[0])
            return 0;
    return buf[0] >> 32 == key ? buf[0] : 0;
}

/* What a lookup, a failed update or a delete tells about one of w's keys. */
static void check_own(struct worker *w, uint32_t key, bool found, uint64_t value)
{
    uint64_t *last = &w->last[key - w->own_base];
    if (found && !*last)
        broken(w, "key %u present after its owner deleted it", key);
    else if (found && value && value != *last)
        broken(w, "key %u holds %#llx, its owner last wrote %#llx", key,
             (unsigned long long)value, (unsigned long long)*last);
    else if (!found && *last && !w->pressure)
        broken(w, "key %u lost with room in the map", key);
    if (!found)
        *last = 0; /* deleted or evicted */
}

static void one_op(struct worker *w, unsigned r)
{
    const struct stress_map *sm = w->sm;
    bool own = !w->pressure || (r >> 8) % 2 != 0;
    uint32_t key = own ? w->own_base + (r >> 12) % w->own_keys : SHARED_BASE + (r >> 12) % SHARED_KEYS;
    uint64_t *last = own ? &w->last[key - w->own_base] : NULL;
    long ret;
    uint64_t token;
    switch (r % 10) {
    case 0: case 1: case 2: case 3:
        token = put(w, key, MAP_ANY, &ret);
        if (ret)
            broken(w, "update of key %u failed: %ld", key, ret);
        else if (last)
            *last = token;
        break;
    case 4:
        token = put(w, key, MAP_NOEXIST, &ret);
        if (ret && ret != -EEXIST)
            broken(w, "NOEXIST update of key %u: %ld", key, ret);
        else if (last && ret == -EEXIST)
            check_own(w, key, true, 0);
        else if (last) {
            check_own(w, key, false, 0);
            *last = token;
        }
        break;
    case 5:
        token = put(w, key, MAP_EXIST, &ret);
        if (ret && ret != -ENOENT)
            broken(w, "EXIST update of key %u: %ld", key, ret);
        else if (last) {
            check_own(w, key, ret == 0, 0);
            if (ret == 0)
                *last = token;
        }
        break;
    case 6:
        ret = map_delete_elem(sm->map, &key);
        if (ret && ret != -ENOENT)
            broken(w, "delete of key %u: %ld", key, ret);
        else if (last) {
            check_own(w, key, ret == 0, 0);
            *last = 0;
        }
        break;
    case 7:
    case 8:
        ret = r % 10 == 7 ? map_lookup_and_delete(sm->map, &key, w->buf)
                          : map_lookup_copy(sm->map, &key, w->buf);
        if (ret && ret != -ENOENT) {
            broken(w, "lookup of key %u: %ld", key, ret);
            break;
        }
        token = ret == 0 ? whole_value(sm, key, w->buf) : 0;
        if (ret == 0 && !token)
            broken(w, "key %u: torn or foreign value %#llx", key, (unsigned long long)w->buf[0]);
        if (last) {
            check_own(w, key, ret == 0, token);
            if (r % 10 == 7)
                *last = 0;
        }
        break;
    default: {
        /* The program path: a pointer into one value slot, never outside. */
        void *v = map_lookup_elem(sm->map, &key);
        if (v && !map_value_contains(sm->map, (uintptr_t)v, WORDS * 8, false))
            broken(w, "lookup of key %u points outside the values", key);
        if (last && !w->pressure)
            check_own(w, key, v != NULL, 0);
        break;
    }
    }
}

static void *stress_worker(void *p)
{
    struct worker *w = p;
    unsigned seed = 0x9e3779b9u * (w->id + 1);
    for (unsigned i = 0; i < ROUNDS && !w->failures; i++)
        one_op(w, (unsigned)rand_r(&seed) << 16 ^ (unsigned)rand_r(&seed));
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Every key once, at most cap of them, each holding its owner's last value. */
static void check_quiescent(const struct stress_map *sm, struct worker *w)
{
    uint32_t *keys = calloc(sm->cap + 1, sizeof(*keys));
    uint64_t *buf = user_value_buffer(sm->map);
    assert_non_null(keys);
    uint32_t n = 0, key;
    const void *cursor = NULL;
    while (map_get_next_key(sm->map, cursor, &key) == 0) {
        assert_true(n < sm->cap); /* never more than max_entries */
        keys[n] = key;
        cursor = &keys[n++];
    }
    qsort(keys, n, sizeof(*keys), cmp_u32);
    uint32_t live = 0;
    for (uint32_t i = 0; i < n; i++) {
        assert_true(i == 0 || keys[i] != keys[i - 1]);
        assert_int_equal(map_lookup_copy(sm->map, &keys[i], buf), 0);
        uint64_t value = whole_value(sm, keys[i], buf);
        assert_true(value != 0);
        if (keys[i] >= SHARED_BASE)
            continue;
        struct worker *owner = &w[(keys[i] - w[0].own_base) / w[0].own_keys];
        assert_int_equal(value, owner->last[keys[i] - owner->own_base]);
    }
    for (unsigned t = 0; t < THREADS; t++)
        for (uint32_t k = 0; k < w[t].own_keys; k++)
            live += w[t].last[k] != 0;
    if (!w[0].pressure) /* with room, every key the owners hold is there */
        assert_int_equal(n, live);
    free(buf);
    free(keys);
}

static unsigned count_keys(struct map *m)
{
    uint32_t key;
    unsigned n = 0;
    const void *cursor = NULL;
    while (map_get_next_key(m, cursor, &key) == 0) {
        n++;
        cursor = &key;
    }
    return n;
}

static void empty_map(struct map *m)
{
    uint32_t key;
    while (map_get_next_key(m, NULL, &key) == 0)
        assert_int_equal(map_delete_elem(m, &key), 0);
}

/*
 * Emptied, the map holds its capacity again: new keys from one thread go
 * in without evicting until it is full. Without a common LRU one CPU can
 * use only its share (elements i with i % CPUs == its stripe), so each
 * allowed CPU is filled in turn and the shares must add up.
 */
static void check_all_elements_back(const struct stress_map *sm, bool no_common)
{
    uint64_t *buf = user_value_buffer(sm->map);
    empty_map(sm->map);
    uint32_t key = 1u << 31;
    if (!no_common) {
        for (uint32_t i = 0; i < sm->cap; i++, key++) {
            fill_value(sm, buf, (uint64_t)key << 32 | 1);
            assert_int_equal(map_update_user(sm->map, &key, buf, MAP_NOEXIST), 0);
        }
        assert_int_equal(count_keys(sm->map), sm->cap);
    } else {
        cpu_set_t allowed;
        assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(allowed), &allowed), 0);
        unsigned ncpu = map_nr_cpus(), nstripes = ncpu < sm->cap ? ncpu : sm->cap;
        bool stripe_done[CPU_SETSIZE] = {false};
        uint32_t expect = 0;
        for (unsigned cpu = 0; cpu < ncpu && cpu < CPU_SETSIZE; cpu++) {
            if (!CPU_ISSET(cpu, &allowed) || stripe_done[cpu % nstripes])
                continue;
            stripe_done[cpu % nstripes] = true;
            expect += sm->cap / nstripes + (cpu % nstripes < sm->cap % nstripes);
            pin_to_cpu(cpu);
            for (uint32_t i = 0; i < 2 * sm->cap; i++, key++) {
                fill_value(sm, buf, (uint64_t)key << 32 | 1);
                assert_int_equal(map_update_user(sm->map, &key, buf, MAP_NOEXIST), 0);
            }
            assert_int_equal(count_keys(sm->map), expect);
        }
        assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(allowed), &allowed), 0);
    }
    free(buf);
}

static void run_phase(const struct stress_map *sm, bool pressure, uint32_t own_keys)
{
    struct worker w[THREADS];
    for (unsigned t = 0; t < THREADS; t++) {
        w[t] = (struct worker){.sm = sm, .id = t, .own_base = t * own_keys, .own_keys = own_keys,
                               .pressure = pressure};
        w[t].last = calloc(own_keys, sizeof(*w[t].last));
        w[t].buf = user_value_buffer(sm->map);
        assert_non_null(w[t].last);
    }
    empty_map(sm->map);
    run_threads(THREADS, stress_worker, w, sizeof(w[0]));
    for (unsigned t = 0; t < THREADS; t++) {
        if (w[t].failures)
            fail_msg("thread %u, %s: %u failures, first: %s", t, pressure ? "pressure" : "room",
                     w[t].failures, w[t].why);
    }
    check_quiescent(sm, w);
    for (unsigned t = 0; t < THREADS; t++) {
        free(w[t].last);
        free(w[t].buf);
    }
}

static void stress(uint32_t type, uint32_t flags)
{
    unsigned ncpu = map_nr_cpus();
    /* 64 entries per CPU: the common LRU then evicts one element at a time,
     * so an emptied map must take exactly its capacity again. */
    struct stress_map sm = {.percpu = type == BPF_MAP_TYPE_LRU_PERCPU_HASH,
                            .cap = 64 * (ncpu < 64 ? ncpu : 64)};
    sm.map = make_map(type, 4, WORDS * 8, sm.cap, flags);
    bool no_common = flags & MAP_F_NO_COMMON_LRU;
    /* Room: without a common LRU a CPU evicts once its share is full, and
     * all threads may run on one CPU, so the live keys fit in one share. */
    uint32_t room = no_common ? sm.cap / (ncpu < sm.cap ? ncpu : sm.cap) : sm.cap;
    run_phase(&sm, false, room / 2 / THREADS);
    check_all_elements_back(&sm, no_common);
    run_phase(&sm, true, sm.cap);
    check_all_elements_back(&sm, no_common);
    map_release(sm.map);
}

/*
 * Two threads insert the same absent key at the same moment, round after
 * round: exactly one MAP_NOEXIST insert succeeds and the key is there
 * once (deleting it twice fails the second time). The insert of an LRU
 * allocates with no bucket lock held, which is where a second copy of
 * the key could slip in.
 */
enum { RACE_ROUNDS = 20000 };

struct race {
    struct map *map;
    atomic_uint arrived;
    atomic_uint won[RACE_ROUNDS];
    unsigned failures;
};

/* Spins until both threads reached barrier number n (from 1); yields
 * now and then, as the other thread may be waiting for a CPU. */
static void race_barrier(struct race *r, unsigned n)
{
    atomic_fetch_add(&r->arrived, 1);
    for (unsigned spins = 1; atomic_load(&r->arrived) < 2 * n; spins++)
        if (spins % 1024 == 0)
            sched_yield();
}

struct racer {
    struct race *race;
    unsigned id;
};

static void *race_worker(void *p)
{
    struct racer *me = p;
    struct race *r = me->race;
    uint64_t value[WORDS] = {0};
    for (uint32_t k = 0; k < RACE_ROUNDS; k++) {
        race_barrier(r, 2 * k + 1);
        value[0] = me->id;
        if (map_update_elem(r->map, &k, value, MAP_NOEXIST) == 0)
            atomic_fetch_add(&r->won[k], 1);
        race_barrier(r, 2 * k + 2);
        if (me->id == 0)
            r->failures += atomic_load(&r->won[k]) != 1 || map_delete_elem(r->map, &k) != 0 ||
                           map_delete_elem(r->map, &k) != -ENOENT;
    }
    return NULL;
}

static void race_same_key(uint32_t flags)
{
    /* Small, so most inserts evict and take the slow path. */
    static struct race r;
    memset(&r, 0, sizeof(r));
    r.map = make_map(BPF_MAP_TYPE_LRU_HASH, 4, WORDS * 8, 16, flags);
    struct racer racers[2] = {{.race = &r, .id = 0}, {.race = &r, .id = 1}};
    run_threads(2, race_worker, racers, sizeof(racers[0]));
    assert_int_equal(r.failures, 0);
    map_release(r.map);
}

static void test_same_key_insert_race(void **state)
{
    (void)state;
    race_same_key(0);
    race_same_key(MAP_F_NO_COMMON_LRU);
}

static void test_lru_hash_common(void **state)
{
    (void)state;
    stress(BPF_MAP_TYPE_LRU_HASH, 0);
}

static void test_lru_hash_no_common(void **state)
{
    (void)state;
    stress(BPF_MAP_TYPE_LRU_HASH, MAP_F_NO_COMMON_LRU);
}

static void test_lru_percpu_hash_common(void **state)
{
    (void)state;
    stress(BPF_MAP_TYPE_LRU_PERCPU_HASH, 0);
}

static void test_lru_percpu_hash_no_common(void **state)
{
    (void)state;
    stress(BPF_MAP_TYPE_LRU_PERCPU_HASH, MAP_F_NO_COMMON_LRU);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru_hash_common),
        cmocka_unit_test(test_lru_hash_no_common),
        cmocka_unit_test(test_lru_percpu_hash_common),
        cmocka_unit_test(test_lru_percpu_hash_no_common),
        cmocka_unit_test(test_same_key_insert_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
