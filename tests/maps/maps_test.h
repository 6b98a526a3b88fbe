/*
 * Helpers shared by the tests of the maps layer: creating maps in one
 * line, running a function on several threads, pinning to a CPU.
 * Each test executable is one process, so pinning its main thread is harmless.
 * Include after cmocka.h.
 */
#ifndef BPFHOST_TESTS_MAPS_TEST_H
#define BPFHOST_TESTS_MAPS_TEST_H

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "maps/maps.h"

/* map_create() with the usual fields; returns its result, releasing any map. */
static inline int try_create(uint32_t type, uint32_t key_size, uint32_t value_size,
                             uint32_t max_entries, uint32_t flags)
{
    struct map_params p = {.type = type, .key_size = key_size, .value_size = value_size,
                           .max_entries = max_entries, .map_flags = flags};
    struct map *m = NULL;
    int err = map_create(&p, &m);
    map_release(m);
    return err;
}

/* A map that must be created. */
static inline struct map *make_map(uint32_t type, uint32_t key_size, uint32_t value_size,
                                   uint32_t max_entries, uint32_t flags)
{
    struct map_params p = {.type = type, .key_size = key_size, .value_size = value_size,
                           .max_entries = max_entries, .map_flags = flags};
    struct map *m = NULL;
    assert_int_equal(map_create(&p, &m), 0);
    assert_non_null(m);
    return m;
}

/* A zeroed buffer for the user-space value of m (all CPUs for per-CPU maps). */
static inline void *user_value_buffer(const struct map *m)
{
    void *buf = calloc(1, map_user_value_size(m));
    assert_non_null(buf);
    return buf;
}

/*
 * For a per-CPU map with 4-byte values and key present or creatable:
 * user space writes base + cpu for every CPU (with garbage padding that
 * must not reach the map), a program on `cpu` reads its own value, and a
 * program update changes that CPU's value only. Returns the program's
 * value pointer.
 */
static inline uint32_t *check_percpu_views(struct map *m, const void *key, unsigned cpu,
                                           uint32_t base)
{
    unsigned n = map_nr_cpus();
    uint32_t *vals = user_value_buffer(m);
    for (unsigned c = 0; c < n; c++) {
        vals[2 * c] = base + c;
        vals[2 * c + 1] = 0xdeadbeef;
    }
    assert_int_equal(map_update_user(m, key, vals, MAP_ANY), 0);
    assert_int_equal(map_lookup_copy(m, key, vals), 0);
    for (unsigned c = 0; c < n; c++) {
        assert_int_equal(vals[2 * c], base + c);
        assert_int_equal(vals[2 * c + 1], 0);
    }
    uint32_t *mine = map_lookup_elem(m, key);
    assert_int_equal(*mine, base + cpu);
    uint32_t v = 7;
    assert_int_equal(map_update_elem(m, key, &v, MAP_EXIST), 0);
    assert_int_equal(map_lookup_copy(m, key, vals), 0);
    for (unsigned c = 0; c < n; c++)
        assert_int_equal(vals[2 * c], c == cpu ? 7 : base + c);
    free(vals);
    return mine;
}

/* Runs fn(args + i * arg_size) on n threads and joins them. */
static inline void run_threads(unsigned n, void *(*fn)(void *), void *args, size_t arg_size)
{
    pthread_t t[16];
    assert_true(n <= 16);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(pthread_create(&t[i], NULL, fn, (char *)args + i * arg_size), 0);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
}

static cpu_set_t saved_affinity;

/* Pins the calling thread to cpu (saving the first affinity for unpin()). */
static inline void pin_to_cpu(unsigned cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(one), &one), 0);
}

/* Pins the calling thread to its lowest allowed CPU and returns that CPU,
 * so that "this CPU's slot" is known; unpin() restores the affinity. */
static inline unsigned pin_to_one_cpu(void)
{
    assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof(saved_affinity),
                                            &saved_affinity), 0);
    unsigned cpu = 0;
    while (!CPU_ISSET(cpu, &saved_affinity))
        cpu++;
    pin_to_cpu(cpu);
    return cpu;
}

static inline void unpin(void)
{
    assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof(saved_affinity),
                                            &saved_affinity), 0);
}

#endif /* BPFHOST_TESTS_MAPS_TEST_H */
