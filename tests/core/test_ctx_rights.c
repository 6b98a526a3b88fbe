/*
 * Context rights (issue 10, part 1): a program may write only the fields
 * its type declares writable, never the data/end pair; the host keeps the
 * pair in its own variables, so a program that tries to repoint it stops
 * at the write and no later run (a repeat, the next event on a hook) ever
 * reaches the memory it named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core_test.h"

/* The slot of the instruction that faulted must be named in the reason. */
static void assert_memory_fault(const struct exec_result *res)
{
    assert_int_equal(res->status, EXEC_ERR_MEMORY);
    assert_non_null(strstr(res->msg, "instruction"));
}

static void repointing_the_data_pair_stops_at_the_write(void **state)
{
    (void)state;
    struct core_object *obj = load("ctx_repoint", NULL);
    struct core_prog *prog = prog_of(obj, "repoint");
    struct map *arr = map_of(obj, "arr");
    uint8_t before[64];
    memcpy(before, arr, sizeof(before));
    struct core_sample_ctx ctx = {0};
    char data[16] = "data";
    struct exec_result err;
    uint64_t retval;
    /* The repeat of the reproduction: the first run stops at the write. */
    struct core_test_run r = {.ctx_in = &ctx, .ctx_in_size = sizeof(ctx), .data_in = data,
                              .data_in_size = sizeof(data), .repeat = 2};
    assert_int_equal(core_test_run(prog, &r), -EFAULT);
    assert_memory_fault(&r.error);
    assert_memory_equal(arr, before, sizeof(before)); /* the host's struct map is untouched */

    /* Run after run on one context: the first stops at the write, the next
     * (uint32_data now set) writes where the host's pair points: the data. */
    assert_int_equal(run_ctx(prog, &ctx, data, sizeof(data), &retval, &err), -EFAULT);
    assert_memory_fault(&err);
    assert_int_equal(ctx.uint32_data, 1);
    assert_null(ctx.data);
    assert_int_equal(run_ctx(prog, &ctx, data, sizeof(data), &retval, &err), 0);
    assert_memory_equal(data, "AAAAAAAA", 8);
    assert_memory_equal(arr, before, sizeof(before));
    core_object_close(obj);
}

static void a_hook_gives_every_program_the_hosts_pair(void **state)
{
    (void)state;
    struct core_object *obj = load("ctx_repoint", NULL);
    struct map *arr = map_of(obj, "arr");
    uint8_t before[64];
    memcpy(before, arr, sizeof(before));
    struct core_hook *hook;
    struct core_hook_desc desc = {.name = "ctx_rights_test", .prog_type = "sample"};
    assert_int_equal(core_hook_register(&desc, &hook), 0);
    struct core_link *a, *b;
    assert_int_equal(core_hook_attach(hook, prog_of(obj, "repoint"), NULL, 0, &a), 0);
    assert_int_equal(core_hook_attach(hook, prog_of(obj, "repoint"), NULL, 0, &b), 0);
    uint64_t data[2] = {0};
    struct core_sample_ctx ctx = {.data = (uint8_t *)data, .data_end = (uint8_t *)(data + 2)};
    /* The first program stops at its write of the pair (after setting uint32_data);
     * the second and every later run write where the host's pair points. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(core_hook_invoke(hook, &ctx, NULL, NULL, NULL), 2);
    assert_ptr_equal(ctx.data, data);
    assert_ptr_equal(ctx.data_end, data + 2);
    assert_int_equal(data[0], 0x4141414141414141ULL);
    assert_memory_equal(arr, before, sizeof(before));
    struct core_prog_info info;
    core_prog_info(prog_of(obj, "repoint"), &info);
    assert_int_equal(info.error_count, 1);
    core_link_release(a);
    core_link_release(b);
    core_hook_unregister(hook);
    core_object_close(obj);
}

static void helpers_honour_field_rights(void **state)
{
    (void)state;
    struct core_object *obj = load("ctx_repoint", NULL);
    struct core_sample_ctx ctx = {.pid = 7, .reserved = 0x5555};
    struct exec_result err;
    uint64_t retval;
    assert_int_equal(run_ctx(prog_of(obj, "helper_writes_pid"), &ctx, NULL, 0, &retval, &err), -EFAULT);
    assert_memory_fault(&err);
    assert_int_equal(ctx.pid, 7);
    /* Padding is readable and reads as zero, whatever the caller left there. */
    assert_int_equal(run_ctx(prog_of(obj, "copy_whole"), &ctx, NULL, 0, &retval, &err), 0);
    assert_int_equal(retval, 0);
    core_object_close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(repointing_the_data_pair_stops_at_the_write),
        cmocka_unit_test(a_hook_gives_every_program_the_hosts_pair),
        cmocka_unit_test(helpers_honour_field_rights),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
