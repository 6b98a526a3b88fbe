/* bpf_prog_test_run_opts: context and data in and out, repeats, sizes, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api_test.h"

static void data_and_context_in_and_out(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "data");
    int prog = prog_fd(obj, "upcase");
    char in[] = "hello world", out[32] = "";
    struct core_sample_ctx ctx_in = {.uint32_data = 41}, ctx_out;
    memset(&ctx_out, 0xff, sizeof(ctx_out));
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = 11, .data_out = out,
                .data_size_out = sizeof(out), .ctx_in = &ctx_in, .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
                .ctx_size_out = sizeof(ctx_out));
    assert_int_equal(bpf_prog_test_run_opts(prog, &opts), 0);
    assert_int_equal(opts.retval, 11);
    assert_int_equal(opts.data_size_out, 11);
    assert_memory_equal(out, "HELLO WORLD", 11);
    assert_string_equal(in, "hello world"); /* the input is never written */
    assert_int_equal(opts.ctx_size_out, sizeof(struct core_sample_ctx));
    assert_int_equal(ctx_out.uint32_data, 42);
    assert_null(ctx_out.data); /* no host address comes back */
    assert_null(ctx_out.data_end);

    /* Repeats run on the same context: the count adds up. */
    opts.repeat = 1000;
    assert_int_equal(bpf_prog_test_run_opts(prog, &opts), 0);
    assert_int_equal(ctx_out.uint32_data, 41 + 1000);
    assert_true(opts.duration < 1000000000u);

    /* Too little room: ENOSPC, what fits copied, the whole size told. */
    char small[4];
    LIBBPF_OPTS(bpf_test_run_opts, tight, .data_in = in, .data_size_in = 11, .data_out = small,
                .data_size_out = sizeof(small));
    assert_fails(bpf_prog_test_run_opts(prog, &tight), ENOSPC);
    assert_memory_equal(small, "HELL", 4);
    assert_int_equal(tight.data_size_out, 11);
    assert_int_equal(tight.retval, 11);
    uint64_t ctx_head[2];
    LIBBPF_OPTS(bpf_test_run_opts, short_ctx, .ctx_out = ctx_head, .ctx_size_out = sizeof(ctx_head));
    assert_fails(bpf_prog_test_run_opts(prog, &short_ctx), ENOSPC);
    assert_int_equal(short_ctx.ctx_size_out, sizeof(struct core_sample_ctx));

    /* No options at all: one run on an empty context. */
    assert_int_equal(bpf_prog_test_run_opts(prog, NULL), 0);
    bpf_object__close(obj);
}

/* A caller built against an older, shorter struct: fields beyond its size are neither read nor written. */
static void older_options_struct(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "data");
    struct core_sample_ctx ctx = {0};
    struct bpf_test_run_opts old = {.sz = offsetof(struct bpf_test_run_opts, repeat), .ctx_in = &ctx,
                                    .ctx_size_in = sizeof(ctx), .ctx_out = &ctx, .ctx_size_out = sizeof(ctx),
                                    .repeat = 50, .duration = 77};
    assert_int_equal(bpf_prog_test_run_opts(prog_fd(obj, "upcase"), &old), 0);
    assert_int_equal(ctx.uint32_data, 1);
    assert_int_equal(old.duration, 77);
    bpf_object__close(obj);
}

static void return_values_and_failed_runs(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "errors");
    LIBBPF_OPTS(bpf_test_run_opts, opts);
    struct core_sample_ctx ctx = {.helper_data_1 = 5};
    opts.ctx_in = &ctx;
    opts.ctx_size_in = sizeof(ctx);
    assert_int_equal(bpf_prog_test_run_opts(prog_fd(obj, "ctx_helper_returns_old"), &opts), 0);
    assert_int_equal((int32_t)opts.retval, 5);
    capture_messages();
    assert_fails(bpf_prog_test_run_opts(prog_fd(obj, "exhausts_budget"), &opts), EFAULT);
    assert_non_null(strstr(captured, "program 'exhausts_budget' stopped"));
    assert_non_null(strstr(captured, "instruction"));
    bpf_object__close(obj);
}

static void bad_arguments(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "data");
    int prog = prog_fd(obj, "upcase");
    uint8_t big[256] = {0}, data[4] = {0};
    LIBBPF_OPTS(bpf_test_run_opts, too_big, .ctx_in = big, .ctx_size_in = sizeof(big));
    assert_fails(bpf_prog_test_run_opts(prog, &too_big), EINVAL);
    LIBBPF_OPTS(bpf_test_run_opts, no_buffer, .ctx_size_out = 8);
    assert_fails(bpf_prog_test_run_opts(prog, &no_buffer), EINVAL);
    LIBBPF_OPTS(bpf_test_run_opts, no_data, .data_size_in = 8);
    assert_fails(bpf_prog_test_run_opts(prog, &no_data), EINVAL);
    LIBBPF_OPTS(bpf_test_run_opts, negative, .data_in = data, .data_size_in = 4, .repeat = -1);
    assert_fails(bpf_prog_test_run_opts(prog, &negative), EINVAL);
    struct bpf_test_run_opts unsized = {.sz = 0};
    assert_fails(bpf_prog_test_run_opts(prog, &unsized), EINVAL);
    LIBBPF_OPTS(bpf_test_run_opts, opts);
    assert_fails(bpf_prog_test_run_opts(-1, &opts), EBADF);
    struct bpf_object *maps = load_object(CORE_PROGS, "hooked");
    assert_fails(bpf_prog_test_run_opts(map_fd(maps, "runs"), &opts), EINVAL);
    bpf_object__close(maps);
    bpf_object__close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(data_and_context_in_and_out),
        cmocka_unit_test(older_options_struct),
        cmocka_unit_test(return_values_and_failed_runs),
        cmocka_unit_test(bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup_capture, remove_objects);
}
