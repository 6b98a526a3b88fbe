/* Test runs: context and data in and out, repetition, argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core_test.h"

static void context_and_data_in_and_out(void **state)
{
    (void)state;
    struct core_object *obj = load("data", NULL);
    struct core_sample_ctx in = {.uint32_data = 40, .data = (uint8_t *)1, .data_end = (uint8_t *)2}, out;
    char data[] = "hello, world", data_out[sizeof(data)];
    struct core_test_run r = {.ctx_in = &in, .ctx_in_size = sizeof(in), .ctx_out = &out,
                              .ctx_out_size = sizeof(out), .data_in = data, .data_in_size = sizeof(data),
                              .data_out = data_out, .data_out_size = sizeof(data_out), .repeat = 3};
    assert_int_equal(core_test_run(prog_of(obj, "upcase"), &r), 0);
    assert_int_equal(r.retval, sizeof(data));
    assert_int_equal(r.error.status, EXEC_OK);
    assert_string_equal(data_out, "HELLO, WORLD");
    assert_string_equal(data, "hello, world"); /* the input is never written */
    assert_int_equal(out.uint32_data, 43);     /* three runs on one context */
    assert_null(out.data);                     /* no host address leaks out */
    assert_null(out.data_end);
    assert_int_equal(r.data_out_size, sizeof(data));

    /* A short context is zero-filled; a short output buffer is -ENOSPC. */
    char small[4];
    struct core_test_run s = {.ctx_in = &in, .ctx_in_size = 8, .data_in = data, .data_in_size = sizeof(data),
                              .data_out = small, .data_out_size = sizeof(small)};
    assert_int_equal(core_test_run(prog_of(obj, "upcase"), &s), -ENOSPC);
    assert_memory_equal(small, "HELL", 4);
    assert_int_equal(s.data_out_size, sizeof(data));
    core_object_close(obj);
}

static void bad_arguments(void **state)
{
    (void)state;
    struct core_object *obj = load("data", NULL);
    struct core_prog *prog = prog_of(obj, "upcase");
    char big[sizeof(struct core_sample_ctx) + 1] = {0};
    struct core_test_run r = {.ctx_in = big, .ctx_in_size = sizeof(big)};
    assert_int_equal(core_test_run(prog, &r), -EINVAL);
    r = (struct core_test_run){.ctx_in_size = 4};
    assert_int_equal(core_test_run(prog, &r), -EINVAL);
    r = (struct core_test_run){.data_in_size = 4};
    assert_int_equal(core_test_run(prog, &r), -EINVAL);
    assert_int_equal(core_test_run(NULL, &r), -EINVAL);
    assert_int_equal(core_test_run(prog, NULL), -EINVAL);

    /* Data for a type without a data pair. */
    static const struct core_prog_type bare = {.name = "bare", .type_id = 6000};
    assert_int_equal(core_prog_type_register(&bare), 0);
    struct core_prog *bare_prog = load_constant(&bare, 9);
    r = (struct core_test_run){.data_in = "x", .data_in_size = 1};
    assert_int_equal(core_test_run(bare_prog, &r), -EINVAL);
    r = (struct core_test_run){.repeat = 1000};
    assert_int_equal(core_test_run(bare_prog, &r), 0);
    assert_int_equal(r.retval, 9);
    assert_true(r.duration_ns < 1000000);
    core_prog_release(bare_prog);
    assert_int_equal(core_prog_type_unregister(&bare), 0);
    core_object_close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(context_and_data_in_and_out),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
