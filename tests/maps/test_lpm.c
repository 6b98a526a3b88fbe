/*
 * lpm_trie: longest-prefix lookups (IPv4 examples), exact-prefix update
 * and delete with their errors, post-order iteration, a randomized
 * comparison against a brute-force reference, and lookups racing with
 * updates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "maps_test.h"

struct v4key {
    uint32_t prefixlen;
    uint8_t addr[4];
};

static struct v4key v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint32_t len)
{
    return (struct v4key){.prefixlen = len, .addr = {a, b, c, d}};
}

static struct map *make_v4_trie(uint32_t max)
{
    return make_map(BPF_MAP_TYPE_LPM_TRIE, sizeof(struct v4key), 4, max, MAP_F_NO_PREALLOC);
}

static int put(struct map *m, struct v4key k, uint32_t v, uint64_t flags)
{
    return (int)map_update_elem(m, &k, &v, flags);
}

/* The value for address a.b.c.d (searched with a /32 key), or 0 if none. */
static uint32_t match(struct map *m, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct v4key k = v4(a, b, c, d, 32);
    uint32_t *v = map_lookup_elem(m, &k);
    return v ? *v : 0;
}

static void test_longest_prefix(void **state)
{
    (void)state;
    struct map *m = make_v4_trie(16);
    assert_int_equal(match(m, 10, 1, 2, 3), 0);
    assert_int_equal(put(m, v4(10, 0, 0, 0, 8), 1, MAP_ANY), 0);
    assert_int_equal(put(m, v4(10, 1, 0, 0, 16), 2, MAP_ANY), 0);
    assert_int_equal(put(m, v4(10, 1, 2, 3, 32), 3, MAP_ANY), 0);
    assert_int_equal(match(m, 10, 1, 2, 3), 3);
    assert_int_equal(match(m, 10, 1, 2, 4), 2);
    assert_int_equal(match(m, 10, 2, 0, 1), 1);
    assert_int_equal(match(m, 11, 0, 0, 1), 0);
    assert_int_equal(match(m, 9, 255, 255, 255), 0);

    /* The key's own prefix length bounds the match. */
    struct v4key k = v4(10, 1, 2, 3, 16);
    assert_int_equal(*(uint32_t *)map_lookup_elem(m, &k), 2);
    k.prefixlen = 12;
    assert_int_equal(*(uint32_t *)map_lookup_elem(m, &k), 1);
    k.prefixlen = 7;
    assert_null(map_lookup_elem(m, &k));
    uint32_t out;
    assert_int_equal(map_lookup_copy(m, &k, &out), -ENOENT);
    k.prefixlen = 32;
    assert_int_equal(map_lookup_copy(m, &k, &out), 0);
    assert_int_equal(out, 3);

    /* Deleting the /16 falls back to the /8. */
    k = v4(10, 1, 0, 0, 16);
    assert_int_equal(map_delete_elem(m, &k), 0);
    assert_int_equal(match(m, 10, 1, 2, 4), 1);
    assert_int_equal(match(m, 10, 1, 2, 3), 3);
    assert_int_equal(map_delete_elem(m, &k), -ENOENT);
    map_release(m);
}

static void test_update_delete_errors(void **state)
{
    (void)state;
    struct map *m = make_v4_trie(3);
    assert_int_equal(put(m, v4(192, 168, 0, 0, 16), 1, MAP_EXIST), -ENOENT);
    assert_int_equal(put(m, v4(192, 168, 0, 0, 16), 1, MAP_NOEXIST), 0);
    assert_int_equal(put(m, v4(192, 168, 0, 0, 16), 2, MAP_NOEXIST), -EEXIST);
    assert_int_equal(put(m, v4(192, 168, 0, 0, 16), 2, MAP_EXIST), 0);
    assert_int_equal(match(m, 192, 168, 9, 9), 2);
    assert_int_equal(put(m, v4(192, 168, 0, 0, 33), 1, MAP_ANY), -EINVAL);
    assert_int_equal(put(m, v4(192, 168, 0, 0, 16), 1, 3), -EINVAL);

    /* 192.169/16 forces an intermediate /15 node: it is not a key. */
    assert_int_equal(put(m, v4(192, 169, 0, 0, 16), 3, MAP_ANY), 0);
    struct v4key im = v4(192, 168, 0, 0, 15);
    assert_int_equal(map_delete_elem(m, &im), -ENOENT);
    assert_int_equal(put(m, im, 4, MAP_EXIST), -ENOENT);
    /* ... until it gets a value of its own. */
    assert_int_equal(put(m, im, 4, MAP_NOEXIST), 0);
    assert_int_equal(match(m, 192, 168, 1, 1), 2);
    assert_int_equal(match(m, 192, 169, 1, 1), 3);

    /* Full: new prefixes are -ENOSPC, replacing works. */
    assert_int_equal(put(m, v4(10, 0, 0, 0, 8), 5, MAP_ANY), -ENOSPC);
    assert_int_equal(put(m, im, 6, MAP_ANY), 0);
    struct v4key bad = v4(0, 0, 0, 0, 40);
    assert_int_equal(map_delete_elem(m, &bad), -EINVAL);
    struct v4key absent = v4(1, 2, 3, 4, 32);
    assert_int_equal(map_delete_elem(m, &absent), -ENOENT);

    /* Delete the /15 with two children: it turns intermediate again. */
    assert_int_equal(map_delete_elem(m, &im), 0);
    assert_int_equal(match(m, 192, 168, 1, 1), 2);
    assert_int_equal(put(m, v4(10, 0, 0, 0, 8), 5, MAP_ANY), 0);
    assert_int_equal(map_lookup_and_delete(m, &im, NULL), -EOPNOTSUPP);
    map_release(m);
}

static void expect_next(struct map *m, const struct v4key *after, struct v4key want)
{
    struct v4key next;
    assert_int_equal(map_get_next_key(m, after, &next), 0);
    assert_int_equal(next.prefixlen, want.prefixlen);
    assert_memory_equal(next.addr, want.addr, 4);
}

/* Linux's documented example: more specific prefixes first. */
static void test_iteration_order(void **state)
{
    (void)state;
    struct map *m = make_v4_trie(8);
    struct v4key next;
    assert_int_equal(map_get_next_key(m, NULL, &next), -ENOENT);
    struct v4key k16 = v4(192, 168, 0, 0, 16), a = v4(192, 168, 0, 0, 24),
                 b = v4(192, 168, 1, 0, 24), c = v4(192, 168, 128, 0, 24);
    assert_int_equal(put(m, k16, 1, MAP_ANY), 0);
    assert_int_equal(put(m, c, 4, MAP_ANY), 0);
    assert_int_equal(put(m, b, 3, MAP_ANY), 0);
    assert_int_equal(put(m, a, 2, MAP_ANY), 0);
    expect_next(m, NULL, a);
    expect_next(m, &a, b);
    expect_next(m, &b, c);
    expect_next(m, &c, k16);
    assert_int_equal(map_get_next_key(m, &k16, &next), -ENOENT);
    struct v4key missing = v4(8, 8, 8, 8, 32), invalid = v4(0, 0, 0, 0, 99);
    expect_next(m, &missing, a);
    expect_next(m, &invalid, a);
    map_release(m);
}

/* Keys of one byte and of the 256-byte maximum. */
static void test_key_sizes(void **state)
{
    (void)state;
    struct map *small = make_map(BPF_MAP_TYPE_LPM_TRIE, 5, 1, 4, MAP_F_NO_PREALLOC);
    uint8_t k[5 + 256] = {0};
    uint8_t v = 42;
    uint32_t len = 3;
    memcpy(k, &len, 4);
    k[4] = 0xA0; /* 101xxxxx */
    assert_int_equal(map_update_elem(small, k, &v, MAP_ANY), 0);
    len = 8;
    memcpy(k, &len, 4);
    k[4] = 0xBF;
    assert_int_equal(*(uint8_t *)map_lookup_elem(small, k), 42);
    k[4] = 0x80;
    assert_null(map_lookup_elem(small, k));
    map_release(small);

    struct map *big = make_map(BPF_MAP_TYPE_LPM_TRIE, 260, 4, 4, MAP_F_NO_PREALLOC);
    uint32_t val = 7;
    len = 2048;
    memset(k, 0xFF, sizeof(k));
    memcpy(k, &len, 4);
    assert_int_equal(map_update_elem(big, k, &val, MAP_ANY), 0);
    len = 2047;
    memcpy(k, &len, 4);
    val = 8;
    assert_int_equal(map_update_elem(big, k, &val, MAP_ANY), 0);
    k[4 + 255] = 0xFE; /* last bit differs: the /2047 matches */
    len = 2048;
    memcpy(k, &len, 4);
    assert_int_equal(*(uint32_t *)map_lookup_elem(big, k), 8);
    len = 2049;
    memcpy(k, &len, 4);
    assert_int_equal(map_update_elem(big, k, &val, MAP_ANY), -EINVAL);
    map_release(big);
}

/* Random inserts, deletes and lookups against a brute-force list. */
struct ref_entry {
    uint16_t bits;
    unsigned len;
    uint32_t value;
};

static bool covers(const struct ref_entry *e, uint16_t addr)
{
    return e->len == 0 || ((e->bits ^ addr) >> (16 - e->len)) == 0;
}

/* A 16-bit trie key: {prefixlen, 2 bytes big-endian}. */
static void key16(uint8_t key[6], uint32_t len, uint16_t bits)
{
    memcpy(key, &len, 4);
    key[4] = (uint8_t)(bits >> 8);
    key[5] = (uint8_t)bits;
}

static void check_probe(struct map *m, const struct ref_entry *refs, unsigned n, uint16_t addr)
{
    const struct ref_entry *best = NULL;
    for (unsigned i = 0; i < n; i++)
        if (covers(&refs[i], addr) && (!best || refs[i].len > best->len))
            best = &refs[i];
    uint8_t q[6];
    key16(q, 16, addr);
    uint32_t *got = map_lookup_elem(m, q);
    if (!best)
        assert_null(got);
    else
        assert_int_equal(got ? *got : 0, best->value);
}

static void test_against_reference(void **state)
{
    (void)state;
    enum { MAX = 48, OPS = 6000 };
    struct map *m = make_map(BPF_MAP_TYPE_LPM_TRIE, 6, 4, MAX, MAP_F_NO_PREALLOC);
    struct ref_entry refs[MAX];
    unsigned n = 0, seed = 12345;
    for (uint32_t op = 0; op < OPS; op++) {
        unsigned len = (unsigned)rand_r(&seed) % 17;
        /* Few distinct bits, so prefixes nest and share paths. */
        uint16_t bits = (uint16_t)(rand_r(&seed) & 0xF0F0);
        bits = len ? (uint16_t)(bits & (0xFFFFu << (16 - len))) : 0;
        uint8_t key[6];
        key16(key, len, bits);
        unsigned i = 0;
        while (i < n && !(refs[i].len == len && refs[i].bits == bits))
            i++;
        bool exists = i < n;
        if (rand_r(&seed) % 3 == 0) {
            assert_int_equal(map_delete_elem(m, key), exists ? 0 : -ENOENT);
            if (exists)
                refs[i] = refs[--n];
        } else {
            uint32_t v = op + 1;
            int want = exists || n < MAX ? 0 : -ENOSPC;
            assert_int_equal(map_update_elem(m, key, &v, MAP_ANY), want);
            if (exists)
                refs[i].value = v;
            else if (!want)
                refs[n++] = (struct ref_entry){.bits = bits, .len = len, .value = v};
        }
        for (unsigned probe = 0; probe < 4; probe++)
            check_probe(m, refs, n, (uint16_t)rand_r(&seed));
    }
    /* Iteration lists exactly as many prefixes as the reference holds. */
    unsigned listed = 0;
    uint8_t cur[6], next[6];
    const void *cursor = NULL;
    while (map_get_next_key(m, cursor, next) == 0) {
        assert_true(++listed <= n);
        memcpy(cur, next, 6);
        cursor = cur;
    }
    assert_int_equal(listed, n);
    map_release(m);
}

/*
 * Readers always find the stable /8 or the toggled /16, never nothing.
 * They copy the value under the lock: a pointer's contents could already
 * belong to a reused slot (see maps.h).
 */
struct race {
    struct map *m;
    atomic_bool stop;
    atomic_uint errors;
};

static void *race_reader(void *p)
{
    struct race *r = p;
    struct v4key k = v4(10, 1, 7, 7, 32);
    while (!atomic_load(&r->stop)) {
        uint32_t got = 0;
        bool found = map_lookup_copy(r->m, &k, &got) == 0;
        atomic_fetch_add(&r->errors, !found || (got != 1 && got != 2));
        atomic_fetch_add(&r->errors, map_lookup_elem(r->m, &k) == NULL);
    }
    return NULL;
}

static void test_concurrent_lookups(void **state)
{
    (void)state;
    struct race r = {.m = make_v4_trie(64)};
    assert_int_equal(put(r.m, v4(10, 0, 0, 0, 8), 1, MAP_ANY), 0);
    pthread_t readers[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&readers[i], NULL, race_reader, &r), 0);
    for (unsigned i = 0; i < 50000; i++) {
        struct v4key k16 = v4(10, 1, 0, 0, 16), other = v4(10, (uint8_t)(i % 50 + 2), 0, 0, 16);
        assert_int_equal(put(r.m, k16, 2, MAP_ANY), 0);
        assert_int_equal(put(r.m, other, 3, MAP_ANY), 0);
        assert_int_equal(map_delete_elem(r.m, &k16), 0);
        assert_int_equal(map_delete_elem(r.m, &other), 0);
    }
    atomic_store(&r.stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(readers[i], NULL);
    assert_int_equal(atomic_load(&r.errors), 0);

    uintptr_t start;
    size_t len;
    assert_true(map_value_region(r.m, &start, &len));
    void *p = map_lookup_elem(r.m, &(struct v4key){32, {10, 0, 0, 1}});
    assert_true(map_value_contains(r.m, (uintptr_t)p, 4, true));
    assert_false(map_value_contains(r.m, (uintptr_t)p + 2, 4, true));
    map_release(r.m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_longest_prefix),
        cmocka_unit_test(test_update_delete_errors),
        cmocka_unit_test(test_iteration_order),
        cmocka_unit_test(test_key_sizes),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_concurrent_lookups),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
