/*
 * Dispatch of process events to several programs: every program sees
 * every event, any non-zero return denies a create (and counts in the
 * program's deny_count), returns on deletes are ignored, a program that
 * fails does not deny unless it was attached fail-closed; which hooks can
 * deny.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/bpf_objects.h"
#include "ext/ext.h"

#define PROGS "tests/ext/process/progs"

static struct core_hook *hook;
static struct core_object *obj;

static int no_attach(void *owner, struct core_link *link)
{
    (void)owner, (void)link;
    return 0;
}

static void no_detach(void *owner, struct core_link *link)
{
    (void)owner, (void)link;
}

static int setup(void **state)
{
    (void)state;
    if (ext_register_builtin())
        return -1;
    struct core_hook_desc desc = {"test/process", "process", NULL, no_attach, no_detach};
    return core_hook_register(&desc, &hook);
}

static int teardown(void **state)
{
    core_hook_unregister(hook);
    return test_objects_close(state);
}

static struct core_link *attach(const char *name)
{
    struct core_link *link;
    assert_int_equal(core_hook_attach(hook, test_prog_of(obj, name), NULL, 0, &link), 0);
    return link;
}

/* Dispatches an event of pid with operation op; returns the verdict. */
static struct ext_process_verdict dispatch(uint64_t pid, process_operation_t op)
{
    const char cmd[] = "/bin/true";
    struct ext_process_event ev = {.md = {.process_id = pid, .operation = op},
                                   .command_line = cmd,
                                   .command_line_len = strlen(cmd),
                                   .task = {.process_id = (uint32_t)pid, .thread_id = (uint32_t)pid}};
    struct ext_process_verdict v;
    assert_true(ext_process_dispatch(hook, &ev, &v) >= 0);
    return v;
}

static uint64_t count(uint32_t key)
{
    uint64_t n = 0;
    assert_int_equal(map_lookup_copy(test_map_of(obj, "counts"), &key, &n), 0);
    return n;
}

static void either_program_denies_and_all_see_every_event(void **state)
{
    (void)state;
    obj = test_object_load(PROGS, "process_policy", NULL);
    struct core_link *links[] = {attach("deny_pid_100"), attach("count_events"), attach("deny_pid_200")};

    struct ext_process_verdict v = dispatch(100, PROCESS_OPERATION_CREATE);
    assert_int_equal(v.programs, 3);
    assert_int_equal(v.denials, 1);
    assert_true(v.denied);
    assert_true(dispatch(200, PROCESS_OPERATION_CREATE).denied);
    assert_false(dispatch(300, PROCESS_OPERATION_CREATE).denied);
    /* The counter after the first policy still saw the denied creates. */
    assert_int_equal(count(0), 3);

    assert_false(dispatch(100, PROCESS_OPERATION_DELETE).denied);
    assert_int_equal(count(1), 1);

    /* Detaching a policy lifts its denial. */
    assert_int_equal(core_link_detach(links[0]), 0);
    v = dispatch(100, PROCESS_OPERATION_CREATE);
    assert_int_equal(v.programs, 2);
    assert_false(v.denied);
    for (size_t i = 0; i < 3; i++)
        core_link_release(links[i]);
    core_object_close(obj);
}

static void delete_returns_are_ignored_and_failures_do_not_deny(void **state)
{
    (void)state;
    obj = test_object_load(PROGS, "process_policy", NULL);
    struct core_link *deny = attach("deny_all"), *faulty = attach("faulty");

    struct ext_process_verdict v = dispatch(5, PROCESS_OPERATION_DELETE);
    assert_int_equal(v.programs, 2);
    assert_int_equal(v.denials, 0);
    assert_int_equal(v.errors, 1);
    assert_false(v.denied);

    core_link_release(deny); /* the last reference: detached */
    v = dispatch(5, PROCESS_OPERATION_CREATE);
    assert_int_equal(v.programs, 1);
    assert_int_equal(v.errors, 1);
    assert_false(v.denied);
    core_link_release(faulty);
    assert_int_equal(dispatch(5, PROCESS_OPERATION_CREATE).programs, 0);
    core_object_close(obj);
}

static void fail_closed_programs_deny_the_creates_they_fault_on(void **state)
{
    (void)state;
    obj = test_object_load(PROGS, "process_policy", NULL);
    struct ext_process_link_opts opts = {.flags = EXT_PROCESS_FAIL_CLOSED};
    struct core_link *faulty, *deny;
    assert_int_equal(core_hook_attach(hook, test_prog_of(obj, "faulty"), &opts, sizeof(opts), &faulty), 0);
    struct ext_process_verdict v = dispatch(7, PROCESS_OPERATION_CREATE);
    assert_int_equal(v.errors, 1);
    assert_int_equal(v.failed_closed, 1);
    assert_int_equal(v.denials, 0);
    assert_true(v.denied);
    /* A delete cannot be denied: the fault is only counted. */
    v = dispatch(7, PROCESS_OPERATION_DELETE);
    assert_int_equal(v.errors, 1);
    assert_int_equal(v.failed_closed, 0);
    assert_false(v.denied);
    core_link_release(faulty);

    /* Denials count per program, creates only. */
    deny = attach("deny_all");
    dispatch(8, PROCESS_OPERATION_CREATE);
    dispatch(8, PROCESS_OPERATION_DELETE);
    struct core_prog_info info;
    core_prog_info(test_prog_of(obj, "deny_all"), &info);
    assert_int_equal(info.deny_count, 1);
    core_prog_info(test_prog_of(obj, "faulty"), &info);
    assert_int_equal(info.deny_count, 0);
    assert_int_equal(info.error_count, 2);
    core_link_release(deny);
    core_object_close(obj);
}

/* A create the source could not read the command line of: the programs see it, fail-closed links deny it. */
static void fail_closed_links_deny_a_create_without_its_command_line(void **state)
{
    (void)state;
    obj = test_object_load(PROGS, "process_policy", NULL);
    struct ext_process_event ev = {.md = {.process_id = 9, .operation = PROCESS_OPERATION_CREATE},
                                   .task = {.process_id = 9, .thread_id = 9},
                                   .command_line_unread = true};
    struct ext_process_verdict v;
    struct core_link *open_link = attach("count_events");
    assert_int_equal(ext_process_dispatch(hook, &ev, &v), 1);
    assert_false(v.denied); /* fail open: allowed, and the program saw it */
    assert_int_equal(count(0), 1);

    struct ext_process_link_opts opts = {.flags = EXT_PROCESS_FAIL_CLOSED};
    struct core_link *closed;
    assert_int_equal(core_hook_attach(hook, test_prog_of(obj, "count_events"), &opts, sizeof(opts), &closed), 0);
    assert_int_equal(ext_process_dispatch(hook, &ev, &v), 2);
    assert_int_equal(v.failed_closed, 1);
    assert_int_equal(v.errors, 0);
    assert_true(v.denied);
    assert_int_equal(count(0), 3);
    /* The same create with its command line read is allowed by both. */
    ev.command_line_unread = false;
    assert_int_equal(ext_process_dispatch(hook, &ev, &v), 2);
    assert_false(v.denied);
    /* A delete is never denied. */
    ev.md.operation = PROCESS_OPERATION_DELETE;
    ev.command_line_unread = true;
    assert_int_equal(ext_process_dispatch(hook, &ev, &v), 2);
    assert_false(v.denied);
    core_link_release(open_link);
    core_link_release(closed);
    core_object_close(obj);
}

static void which_hooks_can_deny(void **state)
{
    (void)state;
    assert_false(ext_process_hook_can_deny(EXT_PROCESS_HOOK_NETLINK));
    assert_true(ext_process_hook_can_deny(EXT_PROCESS_HOOK_FANOTIFY));
    struct ext_supervisor *sv;
    struct core_hook *supervised;
    assert_int_equal(ext_supervisor_create(&sv, &supervised), 0);
    assert_true(ext_process_hook_can_deny(core_hook_name(supervised)));
    ext_supervisor_destroy(sv);
    assert_false(ext_process_hook_can_deny("test/process"));
}

static void account_fields_follow_the_unix_user(void **state)
{
    (void)state;
    process_md_t md = {0};
    ext_process_set_account(&md, 1000, 100);
    static const uint8_t sid[16] = {1, 2, 0, 0, 0, 0, 0, 22, 1, 0, 0, 0, 0xe8, 0x03, 0, 0};
    assert_int_equal(md.token_sid_size, sizeof(sid));
    assert_memory_equal(md.token_sid, sid, sizeof(sid));
    assert_int_equal(md.uid, 1000);
    assert_int_equal(md.gid, 100);
    /* FILETIME: 100 ns units since 1601; the Unix epoch is 11644473600 s later. */
    assert_int_equal(ext_filetime_from_unix_ns(0), 116444736000000000ull);
    assert_int_equal(ext_filetime_from_unix_ns(1000000000ull), 116444736010000000ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(either_program_denies_and_all_see_every_event),
        cmocka_unit_test(delete_returns_are_ignored_and_failures_do_not_deny),
        cmocka_unit_test(fail_closed_programs_deny_the_creates_they_fault_on),
        cmocka_unit_test(fail_closed_links_deny_a_create_without_its_command_line),
        cmocka_unit_test(which_hooks_can_deny),
        cmocka_unit_test(account_fields_follow_the_unix_user),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
