/*
 * `bpfhost show sections` and `show disassembly` on a real object, driven as
 * a subprocess; an object with forged names shown escaped; plus usage and
 * error exits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/bpf_compile.h"
#include "common/assertions.h"
#include "common/subprocess.h"

#include <stdlib.h>
#include <string.h>

static char *object; /* tests/elf/progs/calls.c, compiled once */

static char *forged; /* tests/tools/progs/forged_names.c */

static int compile_object(void **state)
{
    (void)state;
    object = bpf_compile("tests/elf/progs", "calls", NULL);
    forged = bpf_compile("tests/tools/progs", "forged_names", NULL);
    return object && forged ? 0 : -1;
}

static int remove_object(void **state)
{
    (void)state;
    free(object);
    free(forged);
    bpf_compile_cleanup();
    return 0;
}

/* Runs bpfhost with up to four arguments; asserts the exit code. */
static struct subprocess_result bpfhost(int expected_exit, const char *a, const char *b, const char *c,
                                        const char *d)
{
    char *argv[] = {(char *)tool_path("bpfhost"), (char *)a, (char *)b, (char *)c, (char *)d, NULL};
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    if (res.exit_code != expected_exit)
        fail_msg("exit %d, expected %d; stderr: %s", res.exit_code, expected_exit, res.err);
    return res;
}

static void sections_lists_programs_and_maps(void **state)
{
    (void)state;
    struct subprocess_result res = bpfhost(0, "show", "sections", object, NULL);
    assert_contains(res.out, "calls");
    assert_contains(res.out, "first");
    assert_contains(res.out, "Section");
    subprocess_result_free(&res);
}

static void disassembly_interleaves_source_lines(void **state)
{
    (void)state;
    struct subprocess_result res = bpfhost(0, "show", "disassembly", object, NULL);
    assert_contains(res.out, "calls: first");
    assert_contains(res.out, "return x * x;"); /* a source line from line info */
    assert_contains(res.out, "calls.c:");
    assert_contains(res.out, "exit");
    subprocess_result_free(&res);
    res = bpfhost(0, "show", "disassembly", object, "calls");
    assert_contains(res.out, "calls: first");
    subprocess_result_free(&res);
}

static void forged_names_are_escaped(void **state)
{
    (void)state;
    struct subprocess_result res = bpfhost(0, "show", "sections", forged, NULL);
    assert_no_terminal_controls(res.out);
    assert_contains(res.out, "process/\\x1b]0;owned\\x07\\xff named");
    assert_contains(res.out, "license: GPL\\x1b[2J\\x0d\n");
    subprocess_result_free(&res);
    res = bpfhost(0, "show", "disassembly", forged, NULL);
    assert_no_terminal_controls(res.out);
    assert_contains(res.out, "process/\\x1b]0;owned\\x07\\xff: named (2 instructions)\n");
    subprocess_result_free(&res);
    /* In error messages too: the sections listed when the one asked for is not there. */
    res = bpfhost(1, "test-run", forged, "nosuch", NULL);
    assert_no_terminal_controls(res.err);
    assert_contains(res.err, " process/\\x1b]0;owned\\x07\\xff (named)");
    subprocess_result_free(&res);
}

static void errors_and_usage(void **state)
{
    (void)state;
    struct subprocess_result res = bpfhost(1, "show", "sections", "/nonexistent.o", NULL);
    assert_contains(res.err, "/nonexistent.o");
    subprocess_result_free(&res);
    res = bpfhost(1, "show", "disassembly", object, "nosuch");
    assert_contains(res.err, "no program in section 'nosuch'");
    subprocess_result_free(&res);
    res = bpfhost(2, "show", "sections", NULL, NULL);
    assert_contains(res.err, "usage: bpfhost show sections");
    subprocess_result_free(&res);
    res = bpfhost(2, "frobnicate", NULL, NULL, NULL);
    assert_contains(res.err, "unknown command");
    subprocess_result_free(&res);
    res = bpfhost(0, "show", "sections", "--help", NULL);
    assert_contains(res.out, "usage: bpfhost show sections FILE.o");
    subprocess_result_free(&res);
    res = bpfhost(0, "show", "disassembly", "--help", NULL);
    assert_contains(res.out, "source lines");
    subprocess_result_free(&res);
    res = bpfhost(0, "--help", NULL, NULL, NULL);
    assert_contains(res.out, "show disassembly");
    subprocess_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sections_lists_programs_and_maps),
        cmocka_unit_test(disassembly_interleaves_source_lines),
        cmocka_unit_test(forged_names_are_escaped),
        cmocka_unit_test(errors_and_usage),
    };
    return cmocka_run_group_tests_name("tools/bpfhost_show", tests, compile_object, remove_object);
}
