/*
 * `bpfhost run` end to end, driven as a subprocess, with
 * tests/tools/progs/run_deny.c (denies executables named bpfhost-denied)
 * and run_trace.c (traces command lines; faults on bpfhost-faulty):
 * denial inside the tree, exit-code propagation, the summary and its JSON
 * form (parsed strictly), program selection, --trace with a forged command
 * line, --maps, program faults reported once and counted, fail-open and
 * --fail-closed, --help and the error exits. The runs are skipped, saying
 * why, where a probe finds that this machine cannot supervise a command
 * tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/assertions.h"
#include "common/bpf_compile.h"
#include "common/json_strict.h"
#include "common/probes.h"
#include "common/skips.h"
#include "common/subprocess.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *object, *trace_object;
static char dir[] = "/tmp/bpfhost-run-XXXXXX";
static char denied[sizeof(dir) + 32]; /* a copy of /bin/true named bpfhost-denied */
static char faulty[sizeof(dir) + 32]; /* a copy of /bin/true named bpfhost-faulty */
static const char *no_supervision;    /* why this machine cannot supervise a tree, or NULL */

static int setup(void **state)
{
    (void)state;
    no_supervision = probe_supervision();
    object = bpf_compile("tests/tools/progs", "run_deny", NULL);
    trace_object = bpf_compile("tests/tools/progs", "run_trace", NULL);
    if (!object || !trace_object || !mkdtemp(dir))
        return -1;
    snprintf(denied, sizeof(denied), "%s/bpfhost-denied", dir);
    snprintf(faulty, sizeof(faulty), "%s/bpfhost-faulty", dir);
    return subprocess_shell("cp /bin/true %s && cp /bin/true %s", denied, faulty);
}

static int teardown(void **state)
{
    (void)state;
    unlink(denied);
    unlink(faulty);
    rmdir(dir);
    free(object);
    free(trace_object);
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
    assert_contains(res.err, "  program deny_marked (");
    assert_contains(res.err, "run_deny.o, section process): 8 runs, 1 denied, 0 faults\n");
    assert_contains(res.err, "run_deny.o, section process/count): 8 runs, 0 denied, 0 faults\n");
    subprocess_result_free(&res);
}

static void json_summary_and_quiet(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    struct subprocess_result res = bpfhost(
        4, (const char *[]){"run", "--json", "--attach", object, "--", "/bin/sh", "-c", denied_then_exit_4(), NULL});
    /* The summary is the last line of stderr (the shell's message comes before). */
    const char *last = strstr(res.err, "\n{");
    assert_non_null(last);
    struct json_object *summary = assert_json(last + 1);
    assert_int_equal(json_int(summary, "exit_code"), 4);
    assert_int_equal(json_int(summary, "events"), 8);
    assert_int_equal(json_int(summary, "denied"), 1);
    assert_int_equal(json_int(summary, "errors"), 0);
    assert_int_equal(json_int(summary, "lost"), 0);
    assert_int_equal(json_int(summary, "faults"), 0);
    struct json_object *programs = json_member(summary, "programs");
    assert_int_equal(json_object_array_length(programs), 2);
    struct json_object *deny = json_object_array_get_idx(programs, 0);
    assert_string_equal(json_object_get_string(json_member(deny, "name")), "deny_marked");
    assert_string_equal(json_object_get_string(json_member(deny, "section")), "process");
    assert_int_equal(json_int(deny, "runs"), 8);
    assert_int_equal(json_int(deny, "denied"), 1);
    assert_int_equal(json_int(deny, "would_have_denied"), 0);
    assert_int_equal(json_int(deny, "faults"), 0);
    json_object_put(summary);
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

/* A command line no terminal should act on: clear the screen, return, forge a line; a control byte, invalid UTF-8. */
#define FORGED_ARG "x\x1b[2J\rdelete pid 1 \x01\xff"
#define FORGED_ESCAPED "x\\x1b[2J\\x0ddelete pid 1 \\x01\\xff"

static void trace_lines_come_escaped_and_maps_at_the_end(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    char spec[PATH_MAX];
    snprintf(spec, sizeof(spec), "%s:trace_command", trace_object);
    /* The program's bpf_printk of the command line, escaped: no raw control byte reaches stderr. */
    struct subprocess_result res =
        bpfhost(0, (const char *[]){"run", "--trace", "--attach", spec, "--", "/bin/true", FORGED_ARG, NULL});
    assert_contains(res.err, ": trace_command: exec /bin/true " FORGED_ESCAPED "\n");
    assert_no_terminal_controls(res.err);
    subprocess_result_free(&res);

    res = bpfhost(4, (const char *[]){"run", "--trace", "--maps", "--attach", spec, "--attach", object, "--",
                                      "/bin/sh", "-c", denied_then_exit_4(), NULL});
    assert_contains(res.err, ": trace_command: exec /bin/echo allowed\n");
    assert_contains(res.err, ": deny_marked: denied ");
    /* Trace lines come before the summary; the maps after it: run_deny's counter saw 8 events. */
    const char *summary = strstr(res.err, "bpfhost run: ");
    assert_non_null(summary);
    assert_true(strstr(res.err, ": exec ") < summary);
    assert_contains(summary, "maps of ");
    assert_contains(summary, "map seen (array, key 4, value 8, max 1):\n  key 00000000  value 0800000000000000\n");
    subprocess_result_free(&res);

    res = bpfhost(0, (const char *[]){"run", "--json", "--maps", "--attach", object, "--", "/bin/true", NULL});
    struct json_object *o = assert_json(res.err);
    struct json_object *objects = json_member(o, "objects");
    assert_int_equal(json_object_array_length(objects), 1);
    struct json_object *maps = json_member(json_object_array_get_idx(objects, 0), "maps");
    struct json_object *seen = json_object_array_get_idx(maps, 0);
    assert_string_equal(json_object_get_string(json_member(seen, "name")), "seen");
    struct json_object *entry = json_object_array_get_idx(json_member(seen, "entries"), 0);
    assert_string_equal(json_object_get_string(json_member(entry, "value")), "0300000000000000"); /* true, ld.so, exit */
    json_object_put(o);
    subprocess_result_free(&res);
}

/* A shell line that runs the faulty file twice and prints each status. */
static const char *faulty_twice(void)
{
    static char line[256];
    snprintf(line, sizeof(line), "%s; echo \"status $?\"; %s; echo \"status $?\"", faulty, faulty);
    return line;
}

static void faults_are_reported_once_and_counted(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    char spec[PATH_MAX];
    snprintf(spec, sizeof(spec), "%s:fault_on_marked", trace_object);
    /* Fail-open by default: the exec goes on. */
    struct subprocess_result res =
        bpfhost(0, (const char *[]){"run", "--attach", spec, "--", "/bin/sh", "-c", faulty_twice(), NULL});
    assert_string_equal(res.out, "status 0\nstatus 0\n");
    assert_contains(res.err, "program fault_on_marked (section process) faulted (counted; the event went on as if "
                             "it returned 0, fail-open): instruction ");
    /* Why, and the source line. */
    /* The supervised tree gives each event the deadline (200 ms by default), which comes before the budget. */
    assert_contains(res.err, "deadline passed after");
    assert_contains(res.err, "\n  at ");
    assert_contains(res.err, "exhaust_budget.h:");
    const char *first = strstr(res.err, "faulted");
    assert_null(strstr(first + 1, "faulted")); /* once */
    assert_contains(res.err, ", 2 faults (fail-open)\n");
    assert_contains(res.err, "run_trace.o, section process): ");
    assert_contains(res.err, " runs, 0 denied, 2 faults\n");
    subprocess_result_free(&res);

    /* Fail-closed: each faulted create is denied (the shell says 126). */
    res = bpfhost(0, (const char *[]){"run", "--fail-closed", "--attach", spec, "--", "/bin/sh", "-c", faulty_twice(),
                                      NULL});
    assert_string_equal(res.out, "status 126\nstatus 126\n");
    assert_contains(res.err, "faulted (counted; each fault on a create denies it, fail-closed)");
    assert_contains(res.err, " 2 denied, exit code 0, 2 faults (fail-closed)\n");
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

/* bind programs in the same run: a denied bind fails with EACCES, --binds prints each bind (JSON lines here). */
static void binds_are_enforced_and_printed(void **state)
{
    (void)state;
    if (no_supervision)
        test_skip(no_supervision);
    char helper[sizeof(dir) + 32], out[sizeof(dir) + 32];
    snprintf(helper, sizeof(helper), "%s/bind_helper", dir);
    snprintf(out, sizeof(out), "%s/bind_out", dir);
    assert_int_equal(subprocess_shell("cc -O1 -pthread -o %s %s/tests/ext/net/helpers/bind_helper.c", helper,
                                      bpf_source_dir()),
                     0);
    char *bind_object = bpf_compile("tests/tools/progs", "run_bind", NULL);
    assert_non_null(bind_object);
    const char *deny[] = {"run", "--attach", bind_object, "--binds", "--json", "--quiet", "--",
                          helper, out, "bind", "4", "udp", "39999", NULL};
    struct subprocess_result res = bpfhost(0, deny);
    struct json_object *lines[4];
    assert_int_equal(assert_json_lines(res.err, lines, 4), 1);
    assert_string_equal(json_object_get_string(json_member(lines[0], "verdict")), "deny");
    assert_string_equal(json_object_get_string(json_member(lines[0], "app_id")), helper);
    assert_int_equal(json_int(lines[0], "port"), 39999);
    assert_int_equal(json_int(lines[0], "error"), 13);
    assert_true(json_object_is_type(json_member(lines[0], "bound"), json_type_null));
    json_object_put(lines[0]);
    subprocess_result_free(&res);
    assert_int_equal(subprocess_shell("grep -qx 'error 13' %s", out), 0);

    const char *permit[] = {"run", "--attach", bind_object, "--binds", "--", helper, out, "bind", "4", "udp", "0",
                            NULL};
    res = bpfhost(0, permit);
    assert_contains(res.err, "bind: pid ");
    assert_contains(res.err, " udp 127.0.0.1:0: permit, bound 127.0.0.1:");
    assert_contains(res.err, "  program deny_39999 (");
    subprocess_result_free(&res);
    free(bind_object);
    unlink(helper);
    unlink(out);
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
    assert_contains(res.out, "{\"exit_code\": X");
    assert_contains(res.out, "--fail-closed");
    assert_contains(res.out, "--trace");
    assert_contains(res.out, "--maps");
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
        cmocka_unit_test(trace_lines_come_escaped_and_maps_at_the_end),
        cmocka_unit_test(faults_are_reported_once_and_counted),
        cmocka_unit_test(object_errors_exit_1),
        cmocka_unit_test(binds_are_enforced_and_printed),
        cmocka_unit_test(bad_usage_exits_2_and_help),
    };
    return cmocka_run_group_tests_name("tools/bpfhost_run", tests, setup, teardown);
}
