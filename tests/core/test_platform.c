/*
 * Whose program types an object's sections name: an object tells whether
 * it was written for eBPF for Windows (a section only it defines, its
 * 32-byte map records, or a context declared with a member only eBPF for
 * Windows' contexts have) or for Linux, and its programs are verified with
 * that platform's context layout, rights and return rule, by the offline
 * check and by a load alike.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core_test.h"

/* The index of the program called function in elf; must exist. */
static size_t program_index(const struct bpf_elf_object *elf, const char *function)
{
    for (size_t i = 0; i < elf->program_count; i++)
        if (!strcmp(elf->programs[i].name, function))
            return i;
    fail_msg("no program %s", function);
    return 0;
}

/*
 * Verifies function of tests/core/progs/<object>.c as `bpfhost show
 * verification` does: its section's type on platform (the object's own when
 * platform is NULL), or the type named. Returns the verdict; *whose is the
 * type's platform.
 */
static struct verify_result verdict(const char *object, const char *function, const enum core_platform *platform,
                                    const char *type, enum core_platform *whose)
{
    struct bpf_elf_object *elf = open_prog(object);
    size_t i = program_index(elf, function);
    enum core_platform on = platform ? *platform : core_object_platform(elf);
    struct core_type_choice c;
    assert_int_equal(core_type_choose(&c, type ? type : core_program_type_name(elf, i, on), on), 0);
    struct verify_result res;
    assert_int_equal(core_verify_elf_program(elf, i, c.profile, NULL, &res), 0);
    if (whose)
        *whose = c.platform;
    core_type_choice_free(&c);
    return res;
}

/* Asserts function of object is accepted on its object's platform, as a type of platform want. */
static void expect_accepted(const char *object, const char *function, enum core_platform want)
{
    enum core_platform whose;
    struct verify_result res = verdict(object, function, NULL, NULL, &whose);
    if (!res.accepted)
        fail_msg("%s %s: rejected: %s", object, function, res.message);
    assert_int_equal(whose, want);
}

/* Asserts res is a rejection whose message contains why. */
static void expect_rejected(const struct verify_result *res, const char *why)
{
    assert_false(res->accepted);
    if (!strstr(res->message, why))
        fail_msg("rejected for another reason: %s (expected '%s')", res->message, why);
}

static void the_object_tells_its_platform(void **state)
{
    (void)state;
    /* A section only eBPF for Windows defines (cgroup/recv_accept4). */
    assert_int_equal(core_object_platform(open_prog("windows_sock_addr")), CORE_PLATFORM_WINDOWS);
    /* Nothing but connect4, and eBPF for Windows' 32-byte map record. */
    assert_int_equal(core_object_platform(open_prog("windows_map_records")), CORE_PLATFORM_WINDOWS);
    /* Nothing but connect4 and BTF maps, and a context declared as bpf_sock_addr_t. */
    struct bpf_elf_object *redirect = open_prog("windows_connect_redirect");
    assert_int_equal(core_object_platform(redirect), CORE_PLATFORM_WINDOWS);
    const char *const windows_members[] = {"interface_luid", NULL}, *const linux_members[] = {"user_family", NULL};
    assert_true(bpf_elf_ctx_has_member(redirect, &redirect->programs[0], windows_members));
    assert_false(bpf_elf_ctx_has_member(redirect, &redirect->programs[0], linux_members));
    struct bpf_elf_object *records = open_prog("windows_map_records");
    assert_false(bpf_elf_ctx_has_member(records, &records->programs[0], windows_members));
    /* connect4 with BTF maps and Linux's struct bpf_sock_addr: Linux's meaning of the section. */
    struct bpf_elf_object *linux = open_prog("linux_sock_addr");
    assert_int_equal(core_object_platform(linux), CORE_PLATFORM_LINUX);
    assert_true(bpf_elf_ctx_has_member(linux, &linux->programs[0], linux_members));
    /* Objects of the host's other tests are neither marked. */
    assert_int_equal(core_object_platform(open_prog("maps_all")), CORE_PLATFORM_LINUX);
    assert_int_equal(register_sample(NULL), 0);
    assert_int_equal(core_object_platform(open_prog("maps_all")), CORE_PLATFORM_WINDOWS);

    struct bpf_elf_object *windows = open_prog("windows_other_types");
    assert_string_equal(core_program_type_name(windows, program_index(windows, "drop_short"), CORE_PLATFORM_WINDOWS),
                        "xdp_test");
    assert_string_equal(core_program_type_name(windows, program_index(windows, "drop_short"), CORE_PLATFORM_LINUX),
                        "xdp");
    assert_string_equal(core_program_type_name(linux, 0, CORE_PLATFORM_LINUX), "cgroup_sock_addr");
    assert_string_equal(core_platform_name(CORE_PLATFORM_WINDOWS), "windows");
}

static void windows_programs_get_windows_rules(void **state)
{
    (void)state;
    /* A verdict read from a map is returned as it is: eBPF for Windows has no return range for the type. */
    expect_accepted("windows_sock_addr", "authorize_connect4", CORE_PLATFORM_WINDOWS);
    expect_accepted("windows_sock_addr", "authorize_recv_accept4", CORE_PLATFORM_WINDOWS);
    expect_accepted("windows_map_records", "authorize_connect4", CORE_PLATFORM_WINDOWS);
    expect_accepted("windows_connect_redirect", "redirect_connect4", CORE_PLATFORM_WINDOWS);
    /* The destination is writable (a redirect). */
    expect_accepted("windows_sock_addr", "redirect_connect6", CORE_PLATFORM_WINDOWS);
    /* The same program judged as a Linux one: Linux demands [0, 1]. */
    const enum core_platform linux = CORE_PLATFORM_LINUX;
    struct verify_result res = verdict("windows_sock_addr", "authorize_connect4", &linux, NULL, NULL);
    expect_rejected(&res, "outside [0, 1]");
}

static void windows_context_is_checked(void **state)
{
    (void)state;
    /* Offset 64 is Linux's sk pointer; bpf_sock_addr_t ends there. */
    struct verify_result res = verdict("windows_sock_addr_unsafe", "read_past_context", NULL, NULL, NULL);
    expect_rejected(&res, "outside the 64-byte context of 'cgroup_sock_addr'");
    assert_true(res.has_line);
    res = verdict("windows_sock_addr_unsafe", "write_family", NULL, NULL, NULL);
    expect_rejected(&res, "context offset 0 is not writable");

    /* xdp_md_t's pointers are 8 bytes on Windows, 4 on Linux. */
    expect_accepted("windows_other_types", "drop_short", CORE_PLATFORM_WINDOWS);
    const enum core_platform linux = CORE_PLATFORM_LINUX;
    res = verdict("windows_other_types", "drop_short", &linux, NULL, NULL);
    expect_rejected(&res, "partial read of the context's pointer field");
    /* bpf_sock_ops_t is read-only; Linux's bpf_sock_ops lets programs write at offset 4 (reply). */
    expect_accepted("windows_other_types", "count_connections", CORE_PLATFORM_WINDOWS);
    res = verdict("windows_other_types", "write_family", NULL, NULL, NULL);
    expect_rejected(&res, "context offset 4 is not writable for programs of type 'sock_ops'");
    assert_true(verdict("windows_other_types", "write_family", &linux, NULL, NULL).accepted);
}

static void linux_programs_keep_linux_rules(void **state)
{
    (void)state;
    enum core_platform whose;
    struct verify_result res = verdict("linux_sock_addr", "return_map_value", NULL, "cgroup_sock_addr", &whose);
    expect_rejected(&res, "outside [0, 1]");
    assert_int_equal(whose, CORE_PLATFORM_LINUX);
    expect_accepted("linux_sock_addr", "checked_verdict", CORE_PLATFORM_LINUX);
    /* A name only one platform has is that platform's, whatever the object's. */
    const enum core_platform linux = CORE_PLATFORM_LINUX;
    struct core_type_choice c;
    assert_int_equal(core_type_choose(&c, "xdp_test", linux), 0);
    assert_int_equal(c.platform, CORE_PLATFORM_WINDOWS);
    assert_false(c.profile->retval_range);
    core_type_choice_free(&c);
    assert_int_equal(core_type_choose(&c, "no_such_type", linux), -ENOENT);
    core_type_choice_free(&c);
}

static void loads_judge_the_same_way(void **state)
{
    (void)state;
    /* Verified as show verification verifies it, then refused: no such type runs on this host. */
    expect_load_error("windows_sock_addr", NULL, -EOPNOTSUPP,
                      "names the eBPF for Windows program type 'cgroup_sock_addr': the program verifies");
    expect_load_error("windows_sock_addr_unsafe", NULL, -EINVAL, "outside the 64-byte context of 'cgroup_sock_addr'");
    expect_load_error("linux_sock_addr", NULL, -EINVAL, "outside [0, 1]");
    expect_load_error("bad_section", NULL, -EINVAL, "no program type for section 'nonsense'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_object_tells_its_platform),
        cmocka_unit_test(windows_programs_get_windows_rules),
        cmocka_unit_test(windows_context_is_checked),
        cmocka_unit_test(linux_programs_keep_linux_rules),
        cmocka_unit_test(loads_judge_the_same_way),
    };
    return cmocka_run_group_tests(tests, NULL, close_progs);
}
