/*
 * `bpfhost run` end to end, driven as a subprocess, with
 * tests/tools/progs/run_deny.c (denies executables named bpfhost-denied):
 * denial inside the tree, exit-code propagation, the summary line and its
 * JSON form, program selection, --help and the error exits. The runs are
 * skipped, saying why, where a probe finds that this machine cannot
 * supervise a command tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/assertions.h"
#include "common/bpf_compile.h"
#include "common/probes.h"
#include "common/skips.h"
#include "common/subprocess.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *object;
static char dir[] = "/tmp/bpfhost-run-XXXXXX";
static char denied[sizeof(dir) + 32]; /* a copy of /bin/true named bpfhost-denied */
static const char *no_supervision;    /* why this machine cannot supervise a tree, or NULL */

static int setup(void **state)
{
    (void)state;
    no_supervision = probe_supervision();
    object = bpf_compile("tests/tools/progs", "run_deny", NULL);
    if (!object || !mkdtemp(dir))
        return -1;
    snprintf(denied, sizeof(denied), "%s/bpfhost-denied", dir);
    struct subprocess_result res;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cp /bin/true %s", denied);
    if (subprocess_run((char *[]){"/bin/sh", "-c", cmd, NULL}, NULL, &res) != 0)
        return -1;
    int rc = res.exit_code;
    subprocess_result_free(&res);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    unlink(denied);
    rmdir(dir);
    free(object);
    bpf_compile_cleanup();
    return 0;
}

/* Runs bpfhost with the NULL-terminated args (at most 15); asserts the exit code. */
static struct subprocess_result bpfhost(int expected_exit, const char *const *args)
{
    char *argv[17] = {(char *)tool_path("bpfhost")};
    for (int i = 0; args[i]; i++) {
        assert_true(i < 15);
        argv[i + 1] = (char *)args[i];
    }
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    if (res.exit_code != expected_exit)
        fail_msg("exit %d, expected %d; stdout: %s\nstderr: %s", res.exit_code, expected_exit, res.out, res.err);
    return res;
}

/* A shell line that runs the denied file, prints its status, then exits 4. */
static const char *denied_then_exit_4(void)
{
    static char line[256];
    snprintf(line, sizeof(line), "%s; echo \"denied $?\"; /bin/echo allowed; exit 4", denied);
    return line;
}

static void denies_in_the_tree_and_exits_with_the_command(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct subprocess_result res =
        bpfhost(4, (const char *[]){"run", "--attach", object, "--", "/bin/sh", "-c", denied_then_exit_4(), NULL});
    assert_string_equal(res.out, "denied 126\nallowed\n");
    assert_contains(res.err, "bpfhost-denied: Operation not permitted");
    /* Creates: sh and its ld.so, the denied exec (in a child of sh; its ld.so is never opened), echo and its
     * ld.so; deletes: that child (still a shell), echo, sh. */
    assert_contains(res.err, "bpfhost run: 8 events, 1 denied, exit code 4\n");
    subprocess_result_free(&res);
}

static void json_summary_and_quiet(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct subprocess_result res = bpfhost(
        4, (const char *[]){"run", "--json", "--attach", object, "--", "/bin/sh", "-c", denied_then_exit_4(), NULL});
    assert_contains(res.err, "{\"exit_code\": 4, \"events\": 8, \"denied\": 1, \"errors\": 0, \"lost\": 0}\n");
    subprocess_result_free(&res);
    res = bpfhost(4, (const char *[]){"run", "--quiet", "--attach", object, "--", "/bin/sh", "-c",
                                      denied_then_exit_4(), NULL});
    assert_null(strstr(res.err, "bpfhost run:"));
    subprocess_result_free(&res);
}

static void selects_programs_by_section_or_name(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    char spec[PATH_MAX];
    /* Only the counter: nothing is denied. */
    snprintf(spec, sizeof(spec), "%s:process/count", object);
    struct subprocess_result res =
        bpfhost(4, (const char *[]){"run", "--attach", spec, "--", "/bin/sh", "-c", denied_then_exit_4(), NULL});
    assert_string_equal(res.out, "denied 0\nallowed\n");
    assert_contains(res.err, " 0 denied, exit code 4\n");
    subprocess_result_free(&res);
    /* By function name, twice (two links, either denies). */
    snprintf(spec, sizeof(spec), "%s:deny_marked", object);
    res = bpfhost(127, (const char *[]){"run", "--attach", spec, "--attach", spec, "--", denied, NULL});
    assert_contains(res.err, "bpfhost-denied: its exec was denied\n");
    /* The denied create, and the delete of the process that tried. */
    assert_contains(res.err, "bpfhost run: 2 events, 1 denied, exit code 127\n");
    subprocess_result_free(&res);
}

static void runs_without_programs_and_passes_exit_codes(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    /* 2 is the command's, not a usage error: no usage text. */
    struct subprocess_result res = bpfhost(2, (const char *[]){"run", "--", "/bin/sh", "-c", "exit 2", NULL});
    assert_null(strstr(res.err, "usage:"));
    assert_contains(res.err, "bpfhost run: 3 events, 0 denied, exit code 2\n"); /* sh, its ld.so, its exit */
    subprocess_result_free(&res);
    res = bpfhost(128 + 15, (const char *[]){"run", "--quiet", "--", "/bin/sh", "-c", "kill $$", NULL});
    subprocess_result_free(&res);
    /* --help after -- is the command's. */
    res = bpfhost(0, (const char *[]){"run", "--quiet", "--", "printf", "%s\\n", "--help", NULL});
    assert_string_equal(res.out, "--help\n");
    subprocess_result_free(&res);
    res = bpfhost(127, (const char *[]){"run", "--", "no-such-command-bpfhost", NULL});
    assert_contains(res.err, "bpfhost: no-such-command-bpfhost: No such file or directory\n");
    subprocess_result_free(&res);
}

static void object_errors_exit_1(void **state)
{
    (void)state;
    struct subprocess_result res = bpfhost(1, (const char *[]){"run", "--attach", "/nonexistent.o", "--", "true", NULL});
    assert_contains(res.err, "/nonexistent.o");
    subprocess_result_free(&res);
    char spec[PATH_MAX];
    snprintf(spec, sizeof(spec), "%s:nosuch", object);
    res = bpfhost(1, (const char *[]){"run", "--attach", spec, "--", "true", NULL});
    assert_contains(res.err, "has no program in that section or of that name; sections:");
    assert_contains(res.err, "process/count (count_all)");
    subprocess_result_free(&res);
    snprintf(spec, sizeof(spec), "%s:sample", object);
    res = bpfhost(1, (const char *[]){"run", "--attach", spec, "--", "true", NULL});
    assert_contains(res.err, "program not_a_process_program (section sample) is of type 'sample', not 'process'");
    subprocess_result_free(&res);
}

static void bad_usage_exits_2_and_help(void **state)
{
    (void)state;
    struct subprocess_result res = bpfhost(2, (const char *[]){"run", "--attach", object, NULL});
    assert_contains(res.err, "no command");
    assert_contains(res.err, "usage: bpfhost run --attach PROG.o[:SECTION]");
    subprocess_result_free(&res);
    res = bpfhost(2, (const char *[]){"run", "--attach", NULL});
    assert_contains(res.err, "--attach needs PROG.o[:SECTION]");
    subprocess_result_free(&res);
    res = bpfhost(2, (const char *[]){"run", "--frob", "--", "true", NULL});
    assert_contains(res.err, "unknown option '--frob'");
    subprocess_result_free(&res);
    res = bpfhost(2, (const char *[]){"run", "true", NULL});
    assert_contains(res.err, "unexpected argument 'true' (the command goes after --)");
    subprocess_result_free(&res);
    res = bpfhost(0, (const char *[]){"run", "--help", NULL});
    assert_contains(res.out, "usage: bpfhost run --attach PROG.o[:SECTION]");
    assert_contains(res.out, "every exec of CMD");
    assert_contains(res.out, "{\"exit_code\": X, \"events\": E");
    subprocess_result_free(&res);
    res = bpfhost(0, (const char *[]){"--help", NULL});
    assert_contains(res.out, "bpfhost run ");
    subprocess_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(denies_in_the_tree_and_exits_with_the_command),
        cmocka_unit_test(json_summary_and_quiet),
        cmocka_unit_test(selects_programs_by_section_or_name),
        cmocka_unit_test(runs_without_programs_and_passes_exit_codes),
        cmocka_unit_test(object_errors_exit_1),
        cmocka_unit_test(bad_usage_exits_2_and_help),
    };
    return cmocka_run_group_tests_name("tools/bpfhost_run", tests, setup, teardown);
}
