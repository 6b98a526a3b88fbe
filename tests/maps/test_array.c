/*
 * array and percpu_array: every index exists and starts zeroed, Linux's
 * errors for flags, range and delete, index iteration, per-CPU values and
 * the exact bounds of each value slot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include "maps_test.h"

static void test_array_semantics(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_ARRAY, 4, 4, 4, 0);
    uint32_t k = 2, v = 9, out = 1;
    assert_int_equal(map_lookup_copy(m, &k, &out), 0);
    assert_int_equal(out, 0); /* zeroed at creation */
    assert_int_equal(map_update_elem(m, &k, &v, MAP_ANY), 0);
    assert_int_equal(*(uint32_t *)map_lookup_elem(m, &k), 9);
    assert_int_equal(map_update_elem(m, &k, &v, MAP_EXIST), 0);
    assert_int_equal(map_update_elem(m, &k, &v, MAP_NOEXIST), -EEXIST);
    assert_int_equal(map_update_elem(m, &k, &v, 3), -EINVAL);
    assert_int_equal(map_delete_elem(m, &k), -EINVAL);
    v = 11;
    assert_int_equal(map_update_user(m, &k, &v, MAP_ANY), 0);
    assert_int_equal(map_lookup_copy(m, &k, &out), 0);
    assert_int_equal(out, 11);

    k = 4;
    assert_null(map_lookup_elem(m, &k));
    assert_int_equal(map_lookup_copy(m, &k, &out), -ENOENT);
    assert_int_equal(map_update_elem(m, &k, &v, MAP_ANY), -E2BIG);
    assert_int_equal(map_delete_elem(m, &k), -EINVAL);
    map_release(m);
}

static void test_array_next_key(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_ARRAY, 4, 4, 3, 0);
    uint32_t k, next;
    assert_int_equal(map_get_next_key(m, NULL, &next), 0);
    assert_int_equal(next, 0);
    k = 0;
    assert_int_equal(map_get_next_key(m, &k, &next), 0);
    assert_int_equal(next, 1);
    k = 1;
    assert_int_equal(map_get_next_key(m, &k, &next), 0);
    assert_int_equal(next, 2);
    k = 2;
    assert_int_equal(map_get_next_key(m, &k, &next), -ENOENT);
    k = 77; /* out of range restarts */
    assert_int_equal(map_get_next_key(m, &k, &next), 0);
    assert_int_equal(next, 0);
    map_release(m);
}

static void test_array_bounds(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_ARRAY, 4, 12, 3, 0);
    uint32_t k = 1;
    unsigned char *p = map_lookup_elem(m, &k);
    uintptr_t start;
    size_t len;
    assert_true(map_value_region(m, &start, &len));
    assert_int_equal(len, 3 * 16);
    assert_int_equal((uintptr_t)p, start + 16);
    assert_true(map_value_contains(m, (uintptr_t)p, 12, true));
    assert_true(map_value_contains(m, (uintptr_t)p + 4, 8, true));
    assert_false(map_value_contains(m, (uintptr_t)p + 4, 9, true)); /* into padding */
    assert_false(map_value_contains(m, (uintptr_t)p + 12, 4, true));
    assert_false(map_value_contains(m, (uintptr_t)p + 8, 16, true)); /* two values */
    assert_false(map_value_contains(m, start + len, 1, false));
    assert_false(map_value_contains(m, SIZE_MAX - 2, 8, false));
    map_release(m);
}

static void test_percpu_array(void **state)
{
    (void)state;
    struct map *m = make_map(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2, 0);
    unsigned cpu = pin_to_one_cpu();
    assert_int_equal(map_user_value_size(m), (size_t)map_nr_cpus() * 8);
    uint32_t k = 1;
    uint32_t *mine = check_percpu_views(m, &k, cpu, 50);
    assert_true(map_value_contains(m, (uintptr_t)mine, 4, true));
    assert_false(map_value_contains(m, (uintptr_t)mine + 4, 4, true));
    map_release(m);
    unpin();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_semantics),
        cmocka_unit_test(test_array_next_key),
        cmocka_unit_test(test_array_bounds),
        cmocka_unit_test(test_percpu_array),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
