/* Tail calls, bpf-to-bpf calls and bpf_loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core_test.h"

static void tail_calls_chain_through_the_static_prog_array(void **state)
{
    (void)state;
    struct core_object *obj = load("tail_calls", NULL);
    struct core_sample_ctx ctx = {0};
    assert_int_equal(run_on(prog_of(obj, "entry"), &ctx), 23);
    assert_int_equal(ctx.uint64_data, 123);
    /* stage_two reached the map only it uses. */
    uint32_t zero = 0;
    uint64_t hits;
    assert_int_equal(map_lookup_copy(map_of(obj, "hits"), &zero, &hits), 0);
    assert_int_equal(hits, 1);
    /* User space sees the slots as program ids. */
    uint32_t key = 1, id;
    assert_int_equal(map_lookup_copy(map_of(obj, "jumps"), &key, &id), 0);
    assert_int_equal(id, core_obj_id(core_prog_obj(prog_of(obj, "stage_two"))));
    core_object_close(obj);
}

static void tail_calls_stop_after_33(void **state)
{
    (void)state;
    struct core_object *obj = load("tail_calls", NULL);
    struct core_sample_ctx ctx = {0};
    assert_int_equal(run_on(prog_of(obj, "recurse"), &ctx), 1 + EXEC_MAX_TAIL_CALLS);
    assert_int_equal(ctx.uint32_data, 1 + EXEC_MAX_TAIL_CALLS);
    core_object_close(obj);
}

static void failed_tail_calls_return(void **state)
{
    (void)state;
    struct core_object *obj = load("tail_calls", NULL);
    assert_int_equal(run_simple(prog_of(obj, "missing")), 7);
    /* A slot cleared from user space fails the same way. */
    uint32_t key = 1;
    assert_int_equal(map_delete_elem(map_of(obj, "jumps"), &key), 0);
    struct core_sample_ctx ctx = {0};
    assert_int_equal((int)run_on(prog_of(obj, "entry"), &ctx), -2);
    core_object_close(obj);
}

/* Only programs of the caller's type can be tail-called. */
static void tail_calls_keep_the_program_type(void **state)
{
    (void)state;
    struct core_object *obj = load("tail_calls", NULL);
    static const struct core_prog_type other = {.name = "other", .type_id = 5001};
    assert_int_equal(core_prog_type_register(&other), 0);
    struct core_prog *foreign = load_constant(&other, 5);
    uint32_t key = 3;
    assert_int_equal(map_update_obj(map_of(obj, "jumps"), &key, foreign, MAP_ANY), 0);
    assert_int_equal(run_simple(prog_of(obj, "slot3")), -EINVAL);
    assert_int_equal(map_update_obj(map_of(obj, "jumps"), &key, prog_of(obj, "stage_two"), MAP_ANY), 0);
    assert_int_equal(run_simple(prog_of(obj, "slot3")), 23);
    core_prog_release(foreign);
    core_object_close(obj);
    assert_int_equal(core_prog_type_unregister(&other), 0);
}

/* The prog array and its programs hold each other; closing the object frees all. */
static void tail_call_cycles_are_freed(void **state)
{
    (void)state;
    struct core_object *obj = load("tail_calls", NULL);
    uint32_t entry_id = core_obj_id(core_prog_obj(prog_of(obj, "entry")));
    uint32_t jumps_id = core_obj_id(core_map_obj(core_object_find_map(obj, "jumps")));
    uint32_t two_id = core_obj_id(core_prog_obj(prog_of(obj, "stage_two")));
    core_object_close(obj);
    assert_null(core_obj_get_by_id(CORE_OBJ_PROG, entry_id));
    assert_null(core_obj_get_by_id(CORE_OBJ_PROG, two_id));
    assert_null(core_obj_get_by_id(CORE_OBJ_MAP, jumps_id));
}

/* The target replaces the function that tail-called; entry goes on with its return value, stack and maps. */
static void tail_call_from_a_function_returns_to_its_caller(void **state)
{
    (void)state;
    struct core_object *obj = load("tail_calls_functions", NULL);
    struct core_sample_ctx ctx = {0};
    assert_int_equal(run_on(prog_of(obj, "entry"), &ctx), 40 + 7 * 100);
    assert_int_equal(ctx.uint64_data, 123); /* 1, then target's 2, then entry's 3 */
    assert_int_equal(ctx.uint16_data, 0);   /* the code after the tail call never ran */
    uint32_t zero = 0;
    uint64_t count;
    assert_int_equal(map_lookup_copy(map_of(obj, "caller_only"), &zero, &count), 0);
    assert_int_equal(count, 1);
    core_object_close(obj);
}

static void failed_tail_call_in_a_function_goes_on(void **state)
{
    (void)state;
    struct core_object *obj = load("tail_calls_functions", NULL);
    struct core_sample_ctx ctx = {0};
    assert_int_equal((int)run_on(prog_of(obj, "empty_slot"), &ctx), -1005);
    assert_int_equal(ctx.uint16_data, 0xbad);
    /* A slot emptied from user space fails the same way. */
    uint32_t key = 0;
    assert_int_equal(map_delete_elem(map_of(obj, "jumps"), &key), 0);
    memset(&ctx, 0, sizeof(ctx));
    assert_int_equal((int)run_on(prog_of(obj, "entry"), &ctx), -1005 + 7 * 100);
    assert_int_equal(ctx.uint64_data, 13);
    core_object_close(obj);
}

static void tail_call_limit_counts_across_functions(void **state)
{
    (void)state;
    struct core_object *obj = load("tail_calls_functions", NULL);
    struct core_sample_ctx ctx = {0};
    assert_int_equal(run_on(prog_of(obj, "dispatcher"), &ctx), 1 + EXEC_MAX_TAIL_CALLS);
    assert_int_equal(ctx.uint32_data, 1 + EXEC_MAX_TAIL_CALLS);
    core_object_close(obj);
}

static void bpf_to_bpf_calls_and_loops(void **state)
{
    (void)state;
    struct core_object *obj = load("calls_loop", NULL);
    struct core_sample_ctx ctx = {.uint32_data = 1};
    assert_int_equal(run_on(prog_of(obj, "calls"), &ctx), 10);
    assert_int_equal(run_simple(prog_of(obj, "loops")), 45010);
    assert_int_equal(run_simple(prog_of(obj, "loop_errors")), 1);
    core_object_close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tail_calls_chain_through_the_static_prog_array),
        cmocka_unit_test(tail_calls_stop_after_33),
        cmocka_unit_test(failed_tail_calls_return),
        cmocka_unit_test(tail_calls_keep_the_program_type),
        cmocka_unit_test(tail_call_cycles_are_freed),
        cmocka_unit_test(tail_call_from_a_function_returns_to_its_caller),
        cmocka_unit_test(failed_tail_call_in_a_function_goes_on),
        cmocka_unit_test(tail_call_limit_counts_across_functions),
        cmocka_unit_test(bpf_to_bpf_calls_and_loops),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
