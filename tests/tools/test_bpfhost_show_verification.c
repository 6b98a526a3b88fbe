/*
 * `bpfhost show verification`: exit 0 when every program is accepted, 1
 * when one is rejected (with the instruction, source line, registers and a
 * fix, in text and as one JSON object), 2 on bad usage; a pointer leak is
 * accepted only with --allow-pointer-leaks, for Linux types; an object
 * written for eBPF for Windows gets eBPF for Windows' types unless
 * --platform says otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common/assertions.h"
#include "common/bpf_compile.h"
#include "common/subprocess.h"

/* Runs "bpfhost show verification" with up to 6 more arguments; asserts the exit code. */
static struct subprocess_result show(int expected_exit, const char *a, const char *b, const char *c, const char *d,
                                     const char *e, const char *f)
{
    char *argv[] = {(char *)tool_path("bpfhost"), "show", "verification", (char *)a, (char *)b, (char *)c,
                    (char *)d, (char *)e, (char *)f, NULL};
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    if (res.exit_code != expected_exit)
        fail_msg("exit %d, expected %d; stdout: %s\nstderr: %s", res.exit_code, expected_exit, res.out, res.err);
    return res;
}

static char *compile_unsafe(void)
{
    char include[4200];
    snprintf(include, sizeof(include), "-I%s/tests/core/progs", bpf_source_dir());
    char *path = bpf_compile("tests/verify/progs", "unsafe", (const char *const[]){include, NULL});
    assert_non_null(path);
    return path;
}

static void a_rejection_explains_itself(void **state)
{
    (void)state;
    char *path = compile_unsafe();
    struct subprocess_result res = show(1, path, "sample", "repoint", NULL, NULL, NULL);
    assert_contains(res.out, "repoint (sample): rejected");
    assert_contains(res.out, "instruction ");
    assert_contains(res.out, "source: ");
    assert_contains(res.out, "unsafe.c:");
    assert_contains(res.out, "registers: r1=context pointer");
    assert_contains(res.out, "fix: ");
    subprocess_result_free(&res);

    res = show(1, path, "sample", "leak", "--json", NULL, NULL);
    json_object *root = json_tokener_parse(res.out), *programs, *p, *field;
    assert_non_null(root);
    assert_true(json_object_object_get_ex(root, "programs", &programs));
    assert_int_equal(json_object_array_length(programs), 1);
    p = json_object_array_get_idx(programs, 0);
    assert_true(json_object_object_get_ex(p, "verdict", &field));
    assert_string_equal(json_object_get_string(field), "rejected");
    assert_true(json_object_object_get_ex(p, "instruction", &field) && json_object_is_type(field, json_type_int));
    assert_true(json_object_object_get_ex(p, "source", &field) && json_object_is_type(field, json_type_object));
    assert_true(json_object_object_get_ex(p, "message", &field));
    assert_contains(json_object_get_string(field), "never submitted");
    json_object_put(root);
    subprocess_result_free(&res);

    res = show(1, path, "--verbose", NULL, NULL, NULL, NULL);
    assert_contains(res.out, "path to the rejection");
    subprocess_result_free(&res);
    free(path);
}

static void safe_programs_exit_0(void **state)
{
    (void)state;
    char *path = bpf_compile("tests/core/progs", "errors", NULL);
    assert_non_null(path);
    struct subprocess_result res = show(0, path, "--json", NULL, NULL, NULL, NULL);
    json_object *root = json_tokener_parse(res.out);
    assert_non_null(root);
    json_object_put(root);
    assert_contains(res.out, "\"verdict\": \"accepted\"");
    subprocess_result_free(&res);
    free(path);
}

/* Linux's privileged mode: a stored address is refused by default, accepted with the option; never for host types. */
static void pointer_leaks_only_when_allowed(void **state)
{
    (void)state;
    char *path = bpf_compile("tests/tools/progs", "leak_linux", NULL);
    assert_non_null(path);
    struct subprocess_result res = show(1, path, NULL, NULL, NULL, NULL, NULL);
    assert_contains(res.out, "store_address (socket_filter): rejected");
    assert_contains(res.out, "host address");
    subprocess_result_free(&res);
    res = show(0, path, "--allow-pointer-leaks", NULL, NULL, NULL, NULL);
    assert_contains(res.out, "store_address (socket_filter): accepted");
    subprocess_result_free(&res);
    res = show(1, path, "--type", "sample", "--allow-pointer-leaks", NULL, NULL);
    assert_contains(res.out, "Linux program types only");
    subprocess_result_free(&res);
    free(path);
}

/* Compiles tests/core/progs/<name>.c (which includes headers of its folder). */
static char *compile_core_prog(const char *name)
{
    char include[4200];
    snprintf(include, sizeof(include), "-I%s/tests/core/progs", bpf_source_dir());
    char *path = bpf_compile("tests/core/progs", name, (const char *const[]){include, NULL});
    assert_non_null(path);
    return path;
}

/* The same return of a map value: eBPF for Windows' rule for its object, Linux's for a Linux one. */
static void the_object_chooses_the_platform(void **state)
{
    (void)state;
    char *windows = compile_core_prog("windows_sock_addr"), *linux = compile_core_prog("linux_sock_addr");
    struct subprocess_result res = show(0, windows, NULL, NULL, NULL, NULL, NULL);
    assert_contains(res.out, "authorize_connect4 (cgroup_sock_addr of eBPF for Windows): accepted");
    assert_contains(res.out, "authorize_recv_accept4 (cgroup_sock_addr of eBPF for Windows): accepted");
    subprocess_result_free(&res);
    res = show(0, windows, "cgroup/connect4", "--json", NULL, NULL, NULL);
    assert_contains(res.out, "\"type\": \"cgroup_sock_addr\", \"platform\": \"windows\"");
    subprocess_result_free(&res);
    res = show(1, windows, "cgroup/connect4", "--platform", "linux", NULL, NULL);
    assert_contains(res.out, "authorize_connect4 (cgroup_sock_addr): rejected");
    assert_contains(res.out, "outside [0, 1]");
    subprocess_result_free(&res);

    res = show(1, linux, "return_map_value", "--type", "cgroup_sock_addr", NULL, NULL);
    assert_contains(res.out, "return_map_value (cgroup_sock_addr): rejected");
    assert_contains(res.out, "outside [0, 1]");
    subprocess_result_free(&res);
    res = show(0, linux, "return_map_value", "--type", "cgroup_sock_addr", "--platform", "windows");
    assert_contains(res.out, "(cgroup_sock_addr of eBPF for Windows): accepted");
    subprocess_result_free(&res);
    res = show(1, windows, "--allow-pointer-leaks", NULL, NULL, NULL, NULL);
    assert_contains(res.out, "Linux program types only");
    subprocess_result_free(&res);
    res = show(2, windows, "--platform", "macos", NULL, NULL, NULL);
    subprocess_result_free(&res);
    free(windows);
    free(linux);
}

static void bad_input(void **state)
{
    (void)state;
    struct subprocess_result res = show(2, NULL, NULL, NULL, NULL, NULL, NULL);
    subprocess_result_free(&res);
    res = show(2, "x.o", "--type", "nosuchtype", NULL, NULL, NULL);
    subprocess_result_free(&res);
    res = show(1, "/nonexistent.o", "--json", NULL, NULL, NULL, NULL);
    json_object *root = json_tokener_parse(res.out), *error;
    assert_non_null(root);
    assert_true(json_object_object_get_ex(root, "error", &error));
    json_object_put(root);
    subprocess_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_rejection_explains_itself),
        cmocka_unit_test(safe_programs_exit_0),
        cmocka_unit_test(pointer_leaks_only_when_allowed),
        cmocka_unit_test(the_object_chooses_the_platform),
        cmocka_unit_test(bad_input),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    bpf_compile_cleanup();
    return rc;
}
