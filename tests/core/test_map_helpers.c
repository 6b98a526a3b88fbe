/* Every map type through the helpers, checked from user space too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core_test.h"

static void hash_and_array(void **state)
{
    (void)state;
    struct core_object *obj = load("maps_all", NULL);
    assert_int_equal(run_simple(prog_of(obj, "hash_ops")), 15);
    uint32_t key = 1;
    uint64_t value = 0;
    assert_int_equal(map_lookup_copy(map_of(obj, "hash"), &key, &value), 0);
    assert_int_equal(value, 15);
    assert_int_equal(run_simple(prog_of(obj, "array_ops")), 7);
    key = 3;
    assert_int_equal(map_lookup_copy(map_of(obj, "array"), &key, &value), 0);
    assert_int_equal(value, 7);
    core_object_close(obj);
}

static void per_cpu_values(void **state)
{
    (void)state;
    struct core_object *obj = load("maps_all", NULL);
    for (int i = 0; i < 10; i++)
        assert_true(run_simple(prog_of(obj, "percpu_ops")) >= 1);
    assert_int_equal(percpu_sum(map_of(obj, "percpu")), 10);
    assert_int_equal(percpu_sum(map_of(obj, "percpu_hash")), 10);
    assert_int_equal(percpu_sum(map_of(obj, "lru_percpu")), 10);
    core_object_close(obj);
}

static void lru_evicts_under_pressure(void **state)
{
    (void)state;
    struct core_object *obj = load("maps_all", NULL);
    struct core_sample_ctx ctx = {.uint32_data = 100};
    assert_int_equal(run_on(prog_of(obj, "lru_fill"), &ctx), 0); /* every insert succeeded by evicting */
    struct map *lru = map_of(obj, "lru");
    uint32_t key, next, count = 0, newest = 115;
    uint64_t value;
    for (int rc = map_get_next_key(lru, NULL, &next); rc == 0; rc = map_get_next_key(lru, &key, &next)) {
        key = next;
        count++;
    }
    assert_true(count > 0 && count <= 8);
    assert_int_equal(map_lookup_copy(lru, &newest, &value), 0);
    assert_int_equal(value, 115);
    key = 100;
    assert_int_equal(map_lookup_copy(lru, &key, &value), -ENOENT);
    core_object_close(obj);
}

static void lpm_queue_stack(void **state)
{
    (void)state;
    struct core_object *obj = load("maps_all", NULL);
    assert_int_equal(run_simple(prog_of(obj, "lpm_ops")), 210);
    assert_int_equal(run_simple(prog_of(obj, "queue_stack_ops")), 132);
    uint32_t value;
    assert_int_equal(map_lookup_and_delete(map_of(obj, "queue"), NULL, &value), 0);
    assert_int_equal(value, 2);
    assert_int_equal(map_lookup_and_delete(map_of(obj, "stack"), NULL, &value), 0);
    assert_int_equal(value, 3);
    core_object_close(obj);
}

static void maps_of_maps(void **state)
{
    (void)state;
    struct core_object *obj = load("maps_all", NULL);
    struct core_prog *prog = prog_of(obj, "map_in_map_ops");
    struct core_sample_ctx ctx = {.uint32_data = 2};
    assert_int_equal(run_on(prog, &ctx), 1); /* outer_hash has no key 2 yet */
    uint32_t one = 1;
    uint64_t value;
    assert_int_equal(map_lookup_copy(map_of(obj, "inner_a"), &one, &value), 0);
    assert_int_equal(value, 42);

    /* A map stored from user space is reachable by the program, and stays
     * alive in the slot after its own handle is gone. */
    struct map_params p = {.type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 2};
    struct core_map *inner;
    assert_int_equal(core_map_create(&p, &inner), 0);
    struct map *inner_map = core_map_map(inner);
    uint32_t key = 2;
    assert_int_equal(map_update_obj(map_of(obj, "outer_hash"), &key, inner_map, MAP_ANY), 0);
    core_map_release(inner);
    assert_int_equal(run_on(prog, &ctx), 2);
    assert_int_equal(map_lookup_copy(map_lookup_elem(map_of(obj, "outer_hash"), &key), &one, &value), 0);
    assert_int_equal(value, 43);
    core_object_close(obj);
}

static void read_only_maps(void **state)
{
    (void)state;
    struct core_object *obj = load("errors", NULL);
    struct core_sample_ctx ctx = {0};
    assert_int_equal(run_on(prog_of(obj, "readonly_map"), &ctx), 10);
    core_object_close(obj);
}

static void type_helper_checks_its_context(void **state)
{
    (void)state;
    struct core_object *obj = load("errors", NULL);
    struct core_sample_ctx ctx = {.helper_data_1 = 5};
    assert_int_equal(run_on(prog_of(obj, "ctx_helper_returns_old"), &ctx), 5);
    assert_int_equal(ctx.helper_data_1, 99);
    core_object_close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_and_array),
        cmocka_unit_test(per_cpu_values),
        cmocka_unit_test(lru_evicts_under_pressure),
        cmocka_unit_test(lpm_queue_stack),
        cmocka_unit_test(maps_of_maps),
        cmocka_unit_test(read_only_maps),
        cmocka_unit_test(type_helper_checks_its_context),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
