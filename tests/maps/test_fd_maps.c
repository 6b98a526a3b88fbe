/*
 * Maps of object references: prog_array with the core's callbacks,
 * array_of_maps and hash_of_maps with inner-map templates, reference
 * counts on store, replace, delete and destruction, and lock-free slot
 * reads racing with replaces.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>

#include "maps_test.h"

/* Stands in for the core's program objects. */
struct fake_prog {
    atomic_int refs;
    uint32_t id;
};

static void *fake_retain(void *obj)
{
    atomic_fetch_add(&((struct fake_prog *)obj)->refs, 1);
    return obj;
}

static void fake_release(void *obj)
{
    atomic_fetch_sub(&((struct fake_prog *)obj)->refs, 1);
}

static uint32_t fake_id(void *obj)
{
    return ((struct fake_prog *)obj)->id;
}

static const struct map_obj_ops fake_ops = {fake_retain, fake_release, fake_id};

static struct map *make_prog_array(uint32_t max, const struct map_obj_ops *ops)
{
    struct map_params p = {.type = BPF_MAP_TYPE_PROG_ARRAY, .key_size = 4, .value_size = 4,
                           .max_entries = max, .obj_ops = ops};
    struct map *m = NULL;
    assert_int_equal(map_create(&p, &m), 0);
    return m;
}

static void test_prog_array(void **state)
{
    (void)state;
    struct fake_prog a = {.id = 11}, b = {.id = 22};
    struct map *m = make_prog_array(4, &fake_ops);
    uint32_t k = 1, id = 0;
    assert_null(map_fd_array_get(m, 1));
    assert_int_equal(map_lookup_copy(m, &k, &id), -ENOENT);
    assert_int_equal(map_update_obj(m, &k, &a, MAP_ANY), 0);
    assert_int_equal(atomic_load(&a.refs), 1);
    assert_ptr_equal(map_fd_array_get(m, 1), &a);
    assert_int_equal(map_lookup_copy(m, &k, &id), 0);
    assert_int_equal(id, 11);
    assert_null(map_lookup_elem(m, &k)); /* programs cannot look up programs */

    /* Replace releases the old object. */
    assert_int_equal(map_update_obj(m, &k, &b, MAP_ANY), 0);
    assert_int_equal(atomic_load(&a.refs), 0);
    assert_int_equal(atomic_load(&b.refs), 1);

    /* Linux's errors. */
    assert_int_equal(map_update_obj(m, &k, &a, MAP_NOEXIST), -EINVAL);
    assert_int_equal(map_update_obj(m, &k, NULL, MAP_ANY), -EINVAL);
    k = 4;
    assert_int_equal(map_update_obj(m, &k, &a, MAP_ANY), -E2BIG);
    assert_int_equal(map_delete_elem(m, &k), -E2BIG);
    assert_int_equal(map_lookup_copy(m, &k, &id), -ENOENT);
    assert_null(map_fd_array_get(m, 4));
    k = 2;
    assert_int_equal(map_delete_elem(m, &k), -ENOENT);
    assert_int_equal(map_update_user(m, &k, &id, MAP_ANY), -EOPNOTSUPP);
    assert_int_equal(map_update_elem(m, &k, &id, MAP_ANY), -EOPNOTSUPP);
    uint32_t next;
    assert_int_equal(map_get_next_key(m, NULL, &next), 0);
    assert_int_equal(next, 0);
    k = 3;
    assert_int_equal(map_get_next_key(m, &k, &next), -ENOENT);

    k = 1;
    assert_int_equal(map_delete_elem(m, &k), 0);
    assert_int_equal(atomic_load(&b.refs), 0);
    assert_null(map_fd_array_get(m, 1));

    /* Destroying the map releases what it still holds. */
    k = 0;
    assert_int_equal(map_update_obj(m, &k, &a, MAP_ANY), 0);
    k = 3;
    assert_int_equal(map_update_obj(m, &k, &b, MAP_ANY), 0);
    map_release(m);
    assert_int_equal(atomic_load(&a.refs), 0);
    assert_int_equal(atomic_load(&b.refs), 0);
}

/* Without callbacks objects are stored as they are; ids are unknown. */
static void test_prog_array_without_ops(void **state)
{
    (void)state;
    struct fake_prog a = {.id = 5};
    struct map *m = make_prog_array(2, NULL);
    uint32_t k = 0, id;
    assert_int_equal(map_update_obj(m, &k, &a, MAP_ANY), 0);
    assert_int_equal(atomic_load(&a.refs), 0);
    assert_ptr_equal(map_fd_array_get(m, 0), &a);
    assert_int_equal(map_lookup_copy(m, &k, &id), -EOPNOTSUPP);
    map_release(m);
}

static const struct map_params array_tmpl = {
    .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 4};

static struct map *make_outer(uint32_t type, uint32_t key_size, const struct map_params *tmpl)
{
    struct map_params p = {.type = type, .key_size = key_size, .value_size = 4,
                           .max_entries = 8, .inner = tmpl};
    struct map *m = NULL;
    assert_int_equal(map_create(&p, &m), 0);
    return m;
}

static int outer_create(uint32_t type, uint32_t value_size, const struct map_params *tmpl)
{
    struct map_params p = {.type = type, .key_size = 4, .value_size = value_size,
                           .max_entries = 8, .inner = tmpl};
    struct map *m = NULL;
    int err = map_create(&p, &m);
    map_release(m);
    return err;
}

static void test_templates(void **state)
{
    (void)state;
    const struct map_params nested = {.type = BPF_MAP_TYPE_ARRAY_OF_MAPS, .key_size = 4,
                                      .value_size = 4, .max_entries = 1, .inner = &array_tmpl};
    const struct map_params progs = {.type = BPF_MAP_TYPE_PROG_ARRAY, .key_size = 4,
                                     .value_size = 4, .max_entries = 1};
    const struct map_params invalid = {.type = BPF_MAP_TYPE_ARRAY, .key_size = 2, .value_size = 4,
                                       .max_entries = 1};
    const struct map_params unknown = {.type = 99, .key_size = 4, .value_size = 4,
                                       .max_entries = 1};
    const struct map_params *bad[] = {NULL, &nested, &progs, &invalid, &unknown};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(outer_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, bad[i]), -EINVAL);
        assert_int_equal(outer_create(BPF_MAP_TYPE_HASH_OF_MAPS, 4, bad[i]), -EINVAL);
    }
    assert_int_equal(outer_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, 8, &array_tmpl), -EINVAL);
    assert_int_equal(outer_create(BPF_MAP_TYPE_HASH_OF_MAPS, 8, &array_tmpl), -EINVAL);
    assert_int_equal(outer_create(BPF_MAP_TYPE_HASH_OF_MAPS, 4, &array_tmpl), 0);
}

static void test_array_of_maps(void **state)
{
    (void)state;
    struct map *outer = make_outer(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, &array_tmpl);
    struct map *inner = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
    map_set_id(inner, 77);
    uint32_t k = 2, id = 0, zero = 0;
    assert_null(map_lookup_elem(outer, &k));
    assert_int_equal(map_update_obj(outer, &k, inner, MAP_ANY), 0);
    assert_ptr_equal(map_lookup_elem(outer, &k), inner);
    assert_ptr_equal(map_fd_array_get(outer, 2), inner);
    assert_int_equal(map_lookup_copy(outer, &k, &id), 0);
    assert_int_equal(id, 77);
    uintptr_t start;
    size_t len;
    assert_false(map_value_region(outer, &start, &len));

    /* The outer map holds its own reference: the inner map outlives ours. */
    map_release(inner);
    struct map *held = map_lookup_elem(outer, &k);
    uint64_t v = 123;
    assert_int_equal(map_update_elem(held, &zero, &v, MAP_ANY), 0);

    /* Mismatches with the template are refused. */
    struct map *other_size = make_map(BPF_MAP_TYPE_ARRAY, 4, 4, 4, 0);
    struct map *other_len = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 5, 0);
    struct map *other_type = make_map(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, 0);
    struct map *other_flags = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 4, MAP_F_RDONLY_PROG);
    struct map *wrong[] = {other_size, other_len, other_type, other_flags};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(map_update_obj(outer, &zero, wrong[i], MAP_ANY), -EINVAL);
        map_release(wrong[i]);
    }
    assert_int_equal(map_delete_elem(outer, &k), 0);
    assert_int_equal(map_delete_elem(outer, &k), -ENOENT);
    assert_null(map_lookup_elem(outer, &k));
    k = 8;
    assert_null(map_lookup_elem(outer, &k));
    map_release(outer);
}

/* MAP_F_INNER_MAP lets inner arrays differ in size; hash inners may anyway. */
static void test_inner_sizes(void **state)
{
    (void)state;
    const struct map_params flexible = {.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8,
                                        .max_entries = 4, .map_flags = MAP_F_INNER_MAP};
    const struct map_params hash_tmpl = {.type = BPF_MAP_TYPE_HASH, .key_size = 4,
                                         .value_size = 8, .max_entries = 4};
    struct map *outer = make_outer(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, &flexible);
    struct map *big = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 100, MAP_F_INNER_MAP);
    uint32_t k = 0;
    assert_int_equal(map_update_obj(outer, &k, big, MAP_ANY), 0);
    map_release(big);
    map_release(outer);

    outer = make_outer(BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, &hash_tmpl);
    struct map *h = make_map(BPF_MAP_TYPE_HASH, 4, 8, 1000, 0);
    assert_int_equal(map_update_obj(outer, &k, h, MAP_ANY), 0);
    map_release(h);
    map_release(outer);
}

/* Inner-map callbacks that also count the references the outer map holds. */
static atomic_int held_refs;

static void *counting_retain(void *obj)
{
    atomic_fetch_add(&held_refs, 1);
    return map_retain(obj);
}

static void counting_release(void *obj)
{
    atomic_fetch_sub(&held_refs, 1);
    map_release(obj);
}

static uint32_t counting_id(void *obj)
{
    return map_id(obj);
}

static const struct map_obj_ops counting_ops = {counting_retain, counting_release, counting_id};

static void test_hash_of_maps(void **state)
{
    (void)state;
    struct map_params p = {.type = BPF_MAP_TYPE_HASH_OF_MAPS, .key_size = 8, .value_size = 4,
                           .max_entries = 8, .inner = &array_tmpl, .obj_ops = &counting_ops};
    struct map *outer = NULL;
    assert_int_equal(map_create(&p, &outer), 0);
    struct map *a = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
    struct map *b = make_map(BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0);
    map_set_id(a, 1);
    map_set_id(b, 2);
    uint64_t k = 0xfeed;
    uint32_t id;
    assert_int_equal(map_update_obj(outer, &k, a, MAP_EXIST), -ENOENT);
    assert_int_equal(map_update_obj(outer, &k, a, MAP_NOEXIST), 0);
    assert_int_equal(map_update_obj(outer, &k, b, MAP_NOEXIST), -EEXIST);
    assert_ptr_equal(map_lookup_elem(outer, &k), a);
    assert_int_equal(atomic_load(&held_refs), 1);
    assert_int_equal(map_update_obj(outer, &k, b, MAP_EXIST), 0); /* a released by the outer */
    assert_int_equal(atomic_load(&held_refs), 1);
    assert_ptr_equal(map_lookup_elem(outer, &k), b);
    assert_int_equal(map_lookup_copy(outer, &k, &id), 0);
    assert_int_equal(id, 2);
    assert_int_equal(map_update_obj(outer, &k, NULL, MAP_ANY), -EINVAL);
    struct map *wrong = make_map(BPF_MAP_TYPE_HASH, 4, 8, 4, 0);
    assert_int_equal(map_update_obj(outer, &k, wrong, MAP_ANY), -EINVAL);
    map_release(wrong);
    assert_int_equal(map_update_user(outer, &k, &id, MAP_ANY), -EOPNOTSUPP);
    assert_int_equal(map_lookup_and_delete(outer, &k, &id), -EOPNOTSUPP);

    uint64_t next;
    assert_int_equal(map_get_next_key(outer, NULL, &next), 0);
    assert_int_equal(next, k);
    assert_int_equal(map_get_next_key(outer, &k, &next), -ENOENT);

    /* a is still ours; b lives on in the outer map after we drop it. */
    map_release(b);
    uint32_t zero = 0;
    uint64_t v = 9;
    assert_int_equal(map_update_elem(map_lookup_elem(outer, &k), &zero, &v, MAP_ANY), 0);
    assert_int_equal(map_delete_elem(outer, &k), 0);
    assert_int_equal(atomic_load(&held_refs), 0);
    assert_int_equal(map_delete_elem(outer, &k), -ENOENT);
    assert_int_equal(map_lookup_copy(outer, &k, &id), -ENOENT);

    /* Destroying the outer map drops the inner maps it holds. */
    k = 1;
    assert_int_equal(map_update_obj(outer, &k, a, MAP_ANY), 0);
    map_release(a);
    map_release(outer);
    assert_int_equal(atomic_load(&held_refs), 0);
}

/* Tail-call reads see one of the stored objects, never a torn pointer. */
struct slot_race {
    struct map *m;
    struct fake_prog *progs;
    atomic_bool stop;
    atomic_uint errors;
};

static void *slot_reader(void *p)
{
    struct slot_race *r = p;
    while (!atomic_load(&r->stop)) {
        struct fake_prog *got = map_fd_array_get(r->m, 0);
        atomic_fetch_add(&r->errors, got != &r->progs[0] && got != &r->progs[1]);
    }
    return NULL;
}

static void test_concurrent_replace(void **state)
{
    (void)state;
    struct fake_prog progs[2] = {{.id = 1}, {.id = 2}};
    struct slot_race r = {.m = make_prog_array(1, &fake_ops), .progs = progs};
    uint32_t k = 0;
    assert_int_equal(map_update_obj(r.m, &k, &progs[0], MAP_ANY), 0);
    pthread_t readers[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&readers[i], NULL, slot_reader, &r), 0);
    for (unsigned i = 0; i < 100000; i++)
        assert_int_equal(map_update_obj(r.m, &k, &progs[i % 2], MAP_ANY), 0);
    atomic_store(&r.stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(readers[i], NULL);
    assert_int_equal(atomic_load(&r.errors), 0);
    assert_int_equal(atomic_load(&progs[0].refs) + atomic_load(&progs[1].refs), 1);
    map_release(r.m);
    assert_int_equal(atomic_load(&progs[1].refs), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prog_array),
        cmocka_unit_test(test_prog_array_without_ops),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_array_of_maps),
        cmocka_unit_test(test_inner_sizes),
        cmocka_unit_test(test_hash_of_maps),
        cmocka_unit_test(test_concurrent_replace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
