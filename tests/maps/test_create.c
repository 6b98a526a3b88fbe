/*
 * Map creation: every parameter check of every type returns Linux's
 * error code for eBPF for Windows' limits (longer array keys, no per-value
 * size limits, 128 GiB per map), every refusal says why naming the limit,
 * names are vetted, and the common object (getters, reference counting,
 * freezing, unsupported operations) behaves as documented.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maps_test.h"

struct create_case {
    uint32_t type, key_size, value_size, max_entries, flags;
    int expect;
};

static void check_cases(const struct create_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int got = try_create(c[i].type, c[i].key_size, c[i].value_size, c[i].max_entries,
                             c[i].flags);
        if (got != c[i].expect)
            fail_msg("case %zu (type %u): got %d, want %d", i, c[i].type, got, c[i].expect);
    }
}

static void test_hash_params(void **state)
{
    (void)state;
    static const struct create_case cases[] = {
        {BPF_MAP_TYPE_HASH, 4, 8, 16, 0, 0},
        {BPF_MAP_TYPE_HASH, 0, 8, 16, 0, -EINVAL},
        {BPF_MAP_TYPE_HASH, 4, 0, 16, 0, -EINVAL},
        {BPF_MAP_TYPE_HASH, 4, 8, 0, 0, -EINVAL},
        {BPF_MAP_TYPE_HASH, 513, 8, 16, 0, 0},       /* Linux: E2BIG (the stack's 512) */
        {BPF_MAP_TYPE_HASH, 4, 1u << 22, 1, 0, 0},   /* Linux: E2BIG (kmalloc's 4 MiB) */
        {BPF_MAP_TYPE_HASH, 4, 1u << 30, 129, 0, -E2BIG}, /* over 128 GiB */
        {BPF_MAP_TYPE_HASH, 4, 8, (1u << 28) + 1, 0, -E2BIG},
        {BPF_MAP_TYPE_HASH, 4, 8, 16, 1u << 20, -EINVAL},
        {BPF_MAP_TYPE_HASH, 4, 8, 16, MAP_F_RDONLY | MAP_F_WRONLY, -EINVAL},
        {BPF_MAP_TYPE_HASH, 4, 8, 16, MAP_F_RDONLY_PROG | MAP_F_WRONLY_PROG, -EINVAL},
        {BPF_MAP_TYPE_HASH, 4, 8, 16, MAP_F_NO_COMMON_LRU, -EINVAL},
        {BPF_MAP_TYPE_HASH, 4, 8, 16, MAP_F_NO_PREALLOC | MAP_F_ZERO_SEED | MAP_F_RDONLY_PROG, 0},
        {BPF_MAP_TYPE_PERCPU_HASH, 4, 32769, 4, 0, 0}, /* Linux: E2BIG (the 32 KiB unit) */
        {BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, MAP_F_NO_COMMON_LRU, 0},
        {BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, MAP_F_NO_PREALLOC, -EOPNOTSUPP},
        {BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 16, 0, 0},
        {BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 40000, 16, 0, 0},
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_array_params(void **state)
{
    (void)state;
    static const struct create_case cases[] = {
        {BPF_MAP_TYPE_ARRAY, 4, 8, 16, 0, 0},
        {BPF_MAP_TYPE_ARRAY, 8, 8, 16, 0, 0}, /* Linux: EINVAL; the index is the first 4 bytes */
        {BPF_MAP_TYPE_ARRAY, 3, 8, 16, 0, -EINVAL},
        {BPF_MAP_TYPE_ARRAY, 0, 8, 16, 0, -EINVAL},
        {BPF_MAP_TYPE_ARRAY, 4, 0, 16, 0, -EINVAL},
        {BPF_MAP_TYPE_ARRAY, 4, 8, 0, 0, -EINVAL},
        {BPF_MAP_TYPE_ARRAY, 4, (1u << 22) + 1, 1, 0, 0},
        {BPF_MAP_TYPE_ARRAY, 4, 1u << 30, 129, 0, -E2BIG},
        {BPF_MAP_TYPE_ARRAY, 4, 8, 16, MAP_F_MMAPABLE | MAP_F_INNER_MAP, 0},
        {BPF_MAP_TYPE_ARRAY, 4, 8, 16, MAP_F_NO_PREALLOC, -EINVAL},
        {BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 16, MAP_F_MMAPABLE, -EINVAL},
        {BPF_MAP_TYPE_PERCPU_ARRAY, 8, 65520, 1, 0, 0}, /* ntosebpfext's process_monitor */
        {BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 8, 0, 0},
        {BPF_MAP_TYPE_PROG_ARRAY, 4, 8, 8, 0, -EINVAL},
        {BPF_MAP_TYPE_PROG_ARRAY, 8, 4, 8, 0, 0},
        {BPF_MAP_TYPE_PROG_ARRAY, 2, 4, 8, 0, -EINVAL},
        {BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 0, 0, -EINVAL},
        {BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 8, MAP_F_MMAPABLE, -EINVAL},
        {BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 8, 0, -EINVAL},  /* no inner template */
        {BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 8, 0, -EINVAL},   /* no inner template */
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_other_params(void **state)
{
    (void)state;
    uint32_t page = (uint32_t)sysconf(_SC_PAGESIZE);
    const struct create_case cases[] = {
        {BPF_MAP_TYPE_LPM_TRIE, 8, 4, 16, MAP_F_NO_PREALLOC, 0},
        {BPF_MAP_TYPE_LPM_TRIE, 8, 4, 16, 0, 0}, /* Linux: EINVAL without BPF_F_NO_PREALLOC */
        {BPF_MAP_TYPE_LPM_TRIE, 4, 4, 16, MAP_F_NO_PREALLOC, -EINVAL},
        {BPF_MAP_TYPE_LPM_TRIE, 5, 4, 16, MAP_F_NO_PREALLOC, 0},
        {BPF_MAP_TYPE_LPM_TRIE, 260, 4, 16, MAP_F_NO_PREALLOC, 0},
        {BPF_MAP_TYPE_LPM_TRIE, 261, 4, 16, MAP_F_NO_PREALLOC, -EINVAL},
        {BPF_MAP_TYPE_LPM_TRIE, 8, 0, 16, MAP_F_NO_PREALLOC, -EINVAL},
        {BPF_MAP_TYPE_LPM_TRIE, 8, 1u << 22, 1, MAP_F_NO_PREALLOC, 0},
        {BPF_MAP_TYPE_LPM_TRIE, 8, 4, 0, MAP_F_NO_PREALLOC, -EINVAL},
        {BPF_MAP_TYPE_LPM_TRIE, 8, 4, UINT32_MAX / 2, MAP_F_NO_PREALLOC, -E2BIG},
        {BPF_MAP_TYPE_LPM_TRIE, 8, 4, 16, MAP_F_NO_PREALLOC | MAP_F_ZERO_SEED, -EINVAL},
        {BPF_MAP_TYPE_QUEUE, 0, 4, 16, 0, 0},
        {BPF_MAP_TYPE_QUEUE, 4, 4, 16, 0, -EINVAL},
        {BPF_MAP_TYPE_QUEUE, 0, 0, 16, 0, -EINVAL},
        {BPF_MAP_TYPE_QUEUE, 0, 4, 0, 0, -EINVAL},
        {BPF_MAP_TYPE_QUEUE, 0, (1u << 22) + 1, 1, 0, 0},
        {BPF_MAP_TYPE_QUEUE, 0, 1u << 30, 129, 0, -E2BIG},
        {BPF_MAP_TYPE_STACK, 0, 4, 16, MAP_F_NO_PREALLOC, -EINVAL},
        {BPF_MAP_TYPE_STACK, 0, 4, 16, MAP_F_RDONLY_PROG, 0},
        {BPF_MAP_TYPE_RINGBUF, 0, 0, page, 0, 0},
        {BPF_MAP_TYPE_RINGBUF, 0, 0, 4 * page, MAP_F_NUMA_NODE, 0},
        {BPF_MAP_TYPE_RINGBUF, 4, 0, page, 0, -EINVAL},
        {BPF_MAP_TYPE_RINGBUF, 0, 4, page, 0, -EINVAL},
        {BPF_MAP_TYPE_RINGBUF, 0, 0, 3 * page, 0, -EINVAL},
        {BPF_MAP_TYPE_RINGBUF, 0, 0, page / 2, 0, -EINVAL},
        {BPF_MAP_TYPE_RINGBUF, 0, 0, 0, 0, -EINVAL},
        {BPF_MAP_TYPE_RINGBUF, 0, 0, page, MAP_F_RDONLY_PROG, -EINVAL},
        {0, 4, 4, 4, 0, -EINVAL},
        {4, 4, 4, 4, 0, -EINVAL}, /* PERF_EVENT_ARRAY: not provided */
        {28, 4, 4, 4, 0, -EINVAL},
    };
    check_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* The reason a refusal gives, for the parameters of c; must be a refusal. */
static const char *refusal(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries,
                           uint32_t flags, const struct map_params *inner, const char *name)
{
    static char why[MAP_WHY_LEN];
    why[0] = '\0';
    struct map_params p = {.type = type, .key_size = key_size, .value_size = value_size,
                           .max_entries = max_entries, .map_flags = flags, .inner = inner,
                           .name = name, .why = why, .why_len = sizeof(why)};
    struct map *m = NULL;
    assert_true(map_create(&p, &m) < 0);
    assert_null(m);
    return why;
}

#define assert_says(why, text)                                                                       \
    do {                                                                                             \
        const char *why_ = (why);                                                                    \
        if (!strstr(why_, (text)))                                                                   \
            fail_msg("reason \"%s\" does not say \"%s\"", why_, (text));                          \
    } while (0)

/* Every kind of refusal names the parameter and the limit. */
static void test_refusals_say_why(void **state)
{
    (void)state;
    const struct map_params array4 = {.type = BPF_MAP_TYPE_ARRAY, .key_size = 2, .value_size = 4,
                                      .max_entries = 1};
    assert_says(refusal(BPF_MAP_TYPE_PERCPU_ARRAY, 2, 8, 1, 0, NULL, NULL),
                "key size 2 is below 4 bytes: an array's index is its key's first 4 bytes");
    assert_says(refusal(BPF_MAP_TYPE_PERCPU_ARRAY, 8, 1u << 30, 1u << 20, 0, NULL, NULL),
                "exceed the limit of 137438953472 bytes (128 GiB) on one map's storage");
    assert_says(refusal(BPF_MAP_TYPE_HASH, 4, 8, 0, 0, NULL, NULL), "max_entries is 0");
    assert_says(refusal(BPF_MAP_TYPE_HASH, 4, 0, 4, 0, NULL, NULL), "value size is 0");
    assert_says(refusal(BPF_MAP_TYPE_HASH, 0, 4, 4, 0, NULL, NULL), "key size is 0");
    assert_says(refusal(BPF_MAP_TYPE_HASH, 4, 8, (1u << 28) + 1, 0, NULL, NULL),
                "max_entries 268435457 exceeds 268435456");
    assert_says(refusal(BPF_MAP_TYPE_HASH, 4, 8, 16, 1u << 20, NULL, NULL),
                "map flags 0x100000: 0x100000 is not a flag of this map type");
    assert_says(refusal(BPF_MAP_TYPE_HASH, 4, 8, 16, MAP_F_RDONLY | MAP_F_WRONLY, NULL, NULL),
                "read-only and write-only together");
    assert_says(refusal(BPF_MAP_TYPE_HASH, 4, 8, 16, MAP_F_NO_COMMON_LRU, NULL, NULL),
                "BPF_F_NO_COMMON_LRU is a flag of LRU maps only");
    assert_says(refusal(BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, MAP_F_NO_PREALLOC, NULL, NULL),
                "BPF_F_NO_PREALLOC is refused");
    assert_says(refusal(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 16, MAP_F_MMAPABLE, NULL, NULL),
                "cannot be BPF_F_MMAPABLE");
    assert_says(refusal(BPF_MAP_TYPE_PROG_ARRAY, 4, 8, 16, 0, NULL, NULL), "value size 8: the slots");
    assert_says(refusal(BPF_MAP_TYPE_HASH_OF_MAPS, 4, 8, 16, 0, NULL, NULL), "value size 8: the values");
    assert_says(refusal(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 16, 0, NULL, NULL), "needs an inner map template");
    assert_says(refusal(BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 16, 0, &array4, NULL),
                "inner map template: key size 2 is below 4 bytes");
    assert_says(refusal(BPF_MAP_TYPE_LPM_TRIE, 4, 4, 16, 0, NULL, NULL), "key size 4 is outside 5..260");
    assert_says(refusal(BPF_MAP_TYPE_LPM_TRIE, 8, 4, UINT32_MAX / 2, 0, NULL, NULL),
                "exceeds 2147483646, the most an LPM trie holds");
    assert_says(refusal(BPF_MAP_TYPE_QUEUE, 4, 4, 16, 0, NULL, NULL), "queues and stacks have no key");
    assert_says(refusal(BPF_MAP_TYPE_RINGBUF, 0, 0, 3 * (uint32_t)sysconf(_SC_PAGESIZE), 0, NULL, NULL),
                "(max_entries) is not a power of 2 and a multiple of the page size");
    assert_says(refusal(BPF_MAP_TYPE_RINGBUF, 4, 0, 4096, 0, NULL, NULL), "a ring buffer has neither");
    assert_says(refusal(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, 4, 0, NULL, NULL),
                "map type 4 is not one bpfhost provides");
    assert_says(refusal(BPF_MAP_TYPE_ARRAY, 4, 4, 4, 0, NULL, "sixteen_chars_xx"), "longer than 15 characters");
    assert_says(refusal(BPF_MAP_TYPE_ARRAY, 4, 4, 4, 0, NULL, "bad-name"),
                "name 'bad-name' may hold only letters, digits, '_' and '.'");
}

/* An array's key may be longer than its index: the rest is ignored, and zero when read back. */
static void test_long_array_keys(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_ARRAY, 8, 4, 3, 0);
    uint64_t key = 0xffffffff00000002ull, next = ~0ull; /* index 2, whatever follows */
    uint32_t v = 7, out = 0;
    assert_int_equal(map_update_elem(m, &key, &v, MAP_ANY), 0);
    key = 2;
    assert_int_equal(map_lookup_copy(m, &key, &out), 0);
    assert_int_equal(out, 7);
    key = 1;
    assert_int_equal(map_get_next_key(m, &key, &next), 0);
    assert_int_equal(next, 2);
    map_release(m);
}

static int create_named(const char *name)
{
    struct map_params p = {.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4,
                           .max_entries = 1, .name = name};
    struct map *m = NULL;
    int err = map_create(&p, &m);
    if (!err)
        assert_string_equal(map_name(m), name);
    map_release(m);
    return err;
}

static void test_names_and_arguments(void **state)
{
    (void)state;
    assert_int_equal(create_named("my_map.data"), 0);
    assert_int_equal(create_named("fifteen_chars_x"), 0);
    assert_int_equal(create_named("sixteen_chars_xx"), -EINVAL);
    assert_int_equal(create_named("bad-name"), -EINVAL);
    assert_int_equal(create_named(""), 0);

    struct map *m = NULL;
    struct map_params p = {.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4,
                           .max_entries = 1};
    assert_int_equal(map_create(NULL, &m), -EINVAL);
    assert_int_equal(map_create(&p, NULL), -EINVAL);
    assert_int_equal(map_create(&p, &m), 0);
    assert_string_equal(map_name(m), "");
    map_release(m);
    map_release(NULL); /* harmless */
}

static void test_getters_and_refcount(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_PERCPU_HASH, 8, 12, 32, MAP_F_ZERO_SEED);
    assert_int_equal(map_type(m), BPF_MAP_TYPE_PERCPU_HASH);
    assert_int_equal(map_key_size(m), 8);
    assert_int_equal(map_value_size(m), 12);
    assert_int_equal(map_max_entries(m), 32);
    assert_int_equal(map_flags(m), MAP_F_ZERO_SEED);
    assert_int_equal(map_id(m), 0);
    map_set_id(m, 42);
    assert_int_equal(map_id(m), 42);
    assert_true(map_nr_cpus() >= 1);
    assert_int_equal(map_user_value_size(m), (size_t)map_nr_cpus() * 16);

    /* A second reference keeps the map alive after the first is dropped. */
    assert_ptr_equal(map_retain(m), m);
    map_release(m);
    uint64_t key = 1;
    void *value = user_value_buffer(m);
    assert_int_equal(map_update_user(m, &key, value, MAP_ANY), 0);
    free(value);
    map_release(m);

    struct map *a = make_map(BPF_MAP_TYPE_ARRAY, 4, 12, 1, 0);
    assert_int_equal(map_user_value_size(a), 12);
    map_release(a);
}

static void test_freeze(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_HASH, 4, 4, 4, 0);
    uint32_t k = 1, v = 7, out = 0;
    assert_int_equal(map_update_elem(m, &k, &v, MAP_ANY), 0);
    void *p = map_lookup_elem(m, &k);
    assert_false(map_is_frozen(m));
    assert_true(map_value_contains(m, (uintptr_t)p, 4, true));

    assert_int_equal(map_freeze(m), 0);
    assert_true(map_is_frozen(m));
    assert_int_equal(map_freeze(m), -EBUSY);
    assert_int_equal(map_update_elem(m, &k, &v, MAP_ANY), -EPERM);
    assert_int_equal(map_update_user(m, &k, &v, MAP_ANY), -EPERM);
    assert_int_equal(map_delete_elem(m, &k), -EPERM);
    assert_int_equal(map_lookup_and_delete(m, &k, &out), -EPERM);
    /* Reads still work; programs may read but no longer write. */
    assert_int_equal(map_lookup_copy(m, &k, &out), 0);
    assert_int_equal(out, 7);
    assert_ptr_equal(map_lookup_elem(m, &k), p);
    assert_true(map_value_contains(m, (uintptr_t)p, 4, false));
    assert_false(map_value_contains(m, (uintptr_t)p, 4, true));
    map_release(m);

    struct map *q = make_map(BPF_MAP_TYPE_QUEUE, 0, 4, 4, 0);
    assert_int_equal(map_push_elem(q, &v, 0), 0);
    assert_int_equal(map_freeze(q), 0);
    assert_int_equal(map_push_elem(q, &v, 0), -EPERM);
    assert_int_equal(map_pop_elem(q, &out), -EPERM);
    assert_int_equal(map_peek_elem(q, &out), 0);
    map_release(q);

    struct map_params tmpl = {.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4,
                              .max_entries = 1};
    struct map_params outer = {.type = BPF_MAP_TYPE_ARRAY_OF_MAPS, .key_size = 4, .value_size = 4,
                               .max_entries = 1, .inner = &tmpl};
    struct map *o = NULL, *in = NULL;
    assert_int_equal(map_create(&outer, &o), 0);
    assert_int_equal(map_create(&tmpl, &in), 0);
    assert_int_equal(map_freeze(o), 0);
    uint32_t zero = 0;
    assert_int_equal(map_update_obj(o, &zero, in, MAP_ANY), -EPERM);
    map_release(in);
    map_release(o);
}

/* Operations that do not apply answer -EOPNOTSUPP (or NULL / 0). */
static void test_unsupported_operations(void **state)
{
    (void)state;
    struct map *h = make_map(BPF_MAP_TYPE_HASH, 4, 4, 4, 0);
    struct map *a = make_map(BPF_MAP_TYPE_ARRAY, 4, 4, 4, 0);
    struct map *r = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)sysconf(_SC_PAGESIZE), 0);
    uint32_t k = 0, v = 0;
    assert_int_equal(map_push_elem(h, &v, 0), -EOPNOTSUPP);
    assert_int_equal(map_pop_elem(h, &v), -EOPNOTSUPP);
    assert_int_equal(map_peek_elem(a, &v), -EOPNOTSUPP);
    assert_int_equal(map_lookup_and_delete(a, &k, &v), -EOPNOTSUPP);
    assert_int_equal(map_update_obj(h, &k, h, MAP_ANY), -EOPNOTSUPP);
    assert_null(map_fd_array_get(h, 0));

    assert_null(map_lookup_elem(r, &k));
    assert_int_equal(map_lookup_copy(r, &k, &v), -EOPNOTSUPP);
    assert_int_equal(map_update_elem(r, &k, &v, 0), -EOPNOTSUPP);
    assert_int_equal(map_update_user(r, &k, &v, 0), -EOPNOTSUPP);
    assert_int_equal(map_delete_elem(r, &k), -EOPNOTSUPP);
    assert_int_equal(map_get_next_key(r, NULL, &k), -EOPNOTSUPP);

    /* Ring buffer calls on a map that is not one. */
    assert_null(ringbuf_reserve(h, 8, 0));
    assert_int_equal(ringbuf_output(h, &v, 4, 0), -EINVAL);
    assert_int_equal(ringbuf_query(h, RINGBUF_Q_RING_SIZE), 0);
    assert_int_equal(ringbuf_dropped(h), 0);
    assert_int_equal(ringbuf_wakeup_fd(h), -EINVAL);
    map_release(h);
    map_release(a);
    map_release(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_params),
        cmocka_unit_test(test_array_params),
        cmocka_unit_test(test_other_params),
        cmocka_unit_test(test_refusals_say_why),
        cmocka_unit_test(test_long_array_keys),
        cmocka_unit_test(test_names_and_arguments),
        cmocka_unit_test(test_getters_and_refcount),
        cmocka_unit_test(test_freeze),
        cmocka_unit_test(test_unsupported_operations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
