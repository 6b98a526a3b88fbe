/* Global data (.data, .rodata, .bss) as maps, bpf-to-bpf calls and
 * bpf_loop, and a run that stops with an error, through the API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api_test.h"

static void global_data_is_visible_as_maps(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "globals");
    const struct bpf_map *data = bpf_object__find_map_by_name(obj, ".data");
    const struct bpf_map *rodata = bpf_object__find_map_by_name(obj, ".rodata");
    const struct bpf_map *bss = bpf_object__find_map_by_name(obj, ".bss");
    assert_non_null(data);
    assert_non_null(rodata);
    assert_non_null(bss);
    assert_string_equal(bpf_map__name(bss), "globals.bss");
    assert_int_equal(bpf_map__value_size(data), sizeof(int32_t));
    assert_int_equal(bpf_map__value_size(bss), sizeof(uint64_t));
    uint32_t zero = 0, limit = 0;
    int32_t counter = 0;
    uint64_t total = 1;
    assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(data), &zero, &counter), 0);
    assert_int_equal(counter, 5);
    assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(bss), &zero, &total), 0);
    assert_int_equal(total, 0);
    assert_int_equal(bpf_map__lookup_elem(rodata, &zero, sizeof(zero), &limit, sizeof(limit), 0), 0);
    assert_int_equal(limit, 10);

    int prog = prog_fd(obj, "use_globals");
    assert_int_equal(run_simple(prog), 6);
    assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(data), &zero, &counter), 0);
    assert_int_equal(counter, 6);
    assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(bss), &zero, &total), 0);
    assert_int_equal(total, 16);
    /* User space changes a global; the program sees it. */
    counter = 100;
    assert_int_equal(bpf_map_update_elem(bpf_map__fd(data), &zero, &counter, BPF_ANY), 0);
    assert_int_equal(run_simple(prog), 101);
    assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(bss), &zero, &total), 0);
    assert_int_equal(total, 16 + 111);
    /* .rodata is frozen: for user space and for programs. */
    limit = 1;
    assert_fails(bpf_map_update_elem(bpf_map__fd(rodata), &zero, &limit, BPF_ANY), EPERM);
    bpf_object__close(obj);
}

static void bpf_to_bpf_calls_and_loops(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "calls_loop");
    struct core_sample_ctx ctx = {.uint32_data = 4};
    assert_int_equal(run_on(prog_fd(obj, "calls"), &ctx), 4 + 3 * 3);
    assert_int_equal(run_simple(prog_fd(obj, "loops")), 45 * 1000 + 10);
    assert_int_equal(run_simple(prog_fd(obj, "loop_errors")), 1);
    bpf_object__close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(global_data_is_visible_as_maps),
        cmocka_unit_test(bpf_to_bpf_calls_and_loops),
    };
    return cmocka_run_group_tests(tests, setup_capture, remove_objects);
}
