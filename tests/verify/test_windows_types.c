/*
 * eBPF for Windows' network types as the verify layer knows them: which
 * sections name them, which sections only eBPF for Windows defines, and
 * what their profiles give (context size and rights, the type's helpers
 * at Windows' ids, no return range).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "verify/verify.h"

static void sections_name_windows_types(void **state)
{
    (void)state;
    assert_string_equal(verify_windows_type_of_section("cgroup/connect4"), "cgroup_sock_addr");
    assert_string_equal(verify_windows_type_of_section("cgroup/recv_accept6"), "cgroup_sock_addr");
    assert_string_equal(verify_windows_type_of_section("sockops"), "sock_ops");
    assert_string_equal(verify_windows_type_of_section("xdp_test"), "xdp_test");
    assert_string_equal(verify_windows_type_of_section("xdp"), "xdp_test");
    assert_null(verify_windows_type_of_section("kprobe/sys_open"));
    assert_null(verify_windows_type_of_section(NULL));
    /* Only sections no Linux loader knows mark an object. */
    assert_true(verify_windows_only_section("cgroup/recv_accept4"));
    assert_true(verify_windows_only_section("process"));
    assert_false(verify_windows_only_section("cgroup/connect4"));
    assert_false(verify_windows_only_section("xdp_test"));
    assert_false(verify_windows_only_section(NULL));
}

/* Rights of ctx byte offset in profile p (the last field covering it wins, as the verifier reads them). */
static unsigned rights_at(const struct verify_profile *p, uint32_t offset)
{
    unsigned rights = 0;
    for (size_t i = 0; i < p->field_count; i++)
        if (offset >= p->fields[i].offset && offset < p->fields[i].offset + p->fields[i].size)
            rights = p->fields[i].access;
    return rights;
}

static void profiles_have_windows_layouts(void **state)
{
    (void)state;
    const struct verify_profile *sock_addr = verify_windows_profile("cgroup_sock_addr");
    assert_non_null(sock_addr);
    assert_int_equal(sock_addr->ctx_size, 64);
    assert_false(sock_addr->retval_range);
    assert_int_equal(rights_at(sock_addr, 0), VERIFY_READ);                 /* family */
    assert_int_equal(rights_at(sock_addr, 4), VERIFY_READ);                 /* msg_src_ip4 */
    assert_int_equal(rights_at(sock_addr, 24), VERIFY_READ | VERIFY_WRITE); /* user_ip4 */
    assert_int_equal(rights_at(sock_addr, 41), VERIFY_READ | VERIFY_WRITE); /* user_port */
    assert_int_equal(rights_at(sock_addr, 44), VERIFY_READ);                /* protocol */
    assert_int_equal(rights_at(sock_addr, 63), VERIFY_READ);                /* interface_luid */
    assert_int_equal(sock_addr->helper_count, 2);
    assert_int_equal(sock_addr->helpers[0].id, 0x10000);
    assert_string_equal(sock_addr->helpers[1].name, "bpf_sock_addr_set_redirect_context");

    const struct verify_profile *xdp = verify_windows_profile("xdp_test");
    assert_non_null(xdp);
    assert_int_equal(xdp->fields[0].kind, VERIFY_FIELD_PACKET);
    assert_int_equal(xdp->fields[0].size, 8);
    assert_int_equal(xdp->fields[1].offset, 8);
    assert_true(xdp->helpers[0].flags & VERIFY_HELPER_CHANGES_PACKET);
    assert_int_equal(rights_at(verify_windows_profile("sock_ops"), 4), VERIFY_READ);
    assert_null(verify_windows_profile("kprobe"));

    size_t n = 0;
    for (const char *const *name = verify_windows_type_names(); *name; name++, n++)
        assert_non_null(verify_windows_profile(*name));
    assert_int_equal(n, 3);
    const char *const *members = verify_windows_ctx_members();
    assert_string_equal(members[0], "compartment_id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sections_name_windows_types),
        cmocka_unit_test(profiles_have_windows_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
