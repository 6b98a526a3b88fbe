/*
 * `bpfhost attach` end to end, as a subprocess, with
 * tests/tools/progs/attach_deny_gid.c (denies every exec of a group of the
 * test's own, which only the test's children have: they setgid to it, so
 * the machine is spared). Under fanotify (--hook process/fanotify) the
 * policy holds machine-wide: the group's exec fails with EPERM, another
 * runs; the program's trace line shows the forged command line escaped,
 * and SIGINT brings the summary and the maps, in text and in JSON (parsed
 * strictly). On an observing hook (process/netlink, after the fact) it
 * warns that nothing can be denied and counts "would have denied". Parts
 * that need root, fanotify or the proc connector are skipped where a probe
 * finds them missing, saying why. Also: the usage errors.
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

#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TEST_GID 54322 /* another than tests/ext/process/test_bypasses.c's, which may run at the same time */
#define STR(x) #x
#define XSTR(x) STR(x)

/* The child's $0: clear the screen, return to the line's start, forge a line; a control byte, invalid UTF-8. */
#define FORGED "\x1b[2J\rdelete pid 1 \x01\xff"
#define FORGED_ESCAPED "\\x1b[2J\\x0ddelete pid 1 \\x01\\xff"

static char *object;
static struct subprocess_live attach;

static int setup(void **state)
{
    (void)state;
    object = bpf_compile("tests/tools/progs", "attach_deny_gid", (const char *const[]){"-DTEST_GID=" XSTR(TEST_GID), NULL});
    return object ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(object);
    bpf_compile_cleanup();
    return 0;
}

/* Stops a bpfhost a failed test left attached. */
static int stop_attach(void **state)
{
    (void)state;
    subprocess_live_free(&attach);
    return 0;
}

/* A child that runs `sh -c 'read line' FORGED` (in TEST_GID if in_group) and waits on its stdin. */
struct child {
    pid_t pid;
    int in; /* its stdin's write end */
};

static struct child start_child(bool in_group)
{
    int in[2];
    assert_int_equal(pipe(in), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        close(in[1]);
        if (in_group && (setgroups(0, NULL) != 0 || setgid(TEST_GID) != 0))
            _exit(100);
        execl("/bin/sh", "sh", "-c", "read line; exit 0", FORGED, (char *)NULL);
        _exit(errno == EPERM ? 101 : 102);
    }
    close(in[0]);
    return (struct child){pid, in[1]};
}

/* Lets the child go on and reaps it: 0 if it ran and exited 0, EPERM if its exec was denied. */
static int finish_child(struct child *c)
{
    close(c->in);
    int status;
    assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 100)
        fail_msg("the child could not join group %d", TEST_GID);
    if (WEXITSTATUS(status) == 102)
        fail_msg("the child's exec failed, but not with EPERM");
    return WEXITSTATUS(status) == 101 ? EPERM : WEXITSTATUS(status);
}

/* Starts bpfhost attach OBJECT with the NULL-terminated options and waits until it says it attached. */
static void start_attach(const char *const *options, const char *attached)
{
    char *argv[8] = {(char *)tool_path("bpfhost"), "attach", object};
    for (int i = 0; options[i]; i++)
        argv[3 + i] = (char *)options[i];
    assert_int_equal(subprocess_start(argv, &attach), 0);
    if (!subprocess_read_until(&attach, 1, attached, 30))
        fail_msg("bpfhost attach did not say \"%s\":\n%s", attached, attach.err);
}

/* Why this machine cannot run the fanotify test, or NULL. */
static const char *no_fanotify(void)
{
    const char *why = probe_fanotify_exec_perm();
    return why ? why : probe_root(); /* the children change their group */
}

static void fanotify_denies_the_test_group_machine_wide(void **state)
{
    (void)state;
    if (no_fanotify())
        test_skip(no_fanotify());
    start_attach((const char *[]){"--hook", "process/fanotify", NULL},
                 "bpfhost: attached 1 program to hook process/fanotify (fail-open)");
    /* The machine is spared; the group is not. */
    struct child other = start_child(false);
    assert_int_equal(finish_child(&other), 0);
    struct child member = start_child(true);
    assert_int_equal(finish_child(&member), EPERM);
    if (!subprocess_read_until(&attach, 0, ": deny_test_group: deny gid " XSTR(TEST_GID) ": sh -c read line; "
                                           "exit 0 " FORGED_ESCAPED "\n", 20))
        fail_msg("no escaped trace line of the denied exec in:\n%s", attach.out);

    assert_int_equal(subprocess_stop(&attach, SIGINT), 0);
    assert_no_terminal_controls(attach.out);
    assert_no_terminal_controls(attach.err);
    const char *summary = strstr(attach.out, "bpfhost attach: hook process/fanotify: ");
    if (!summary)
        fail_msg("no summary in:\n%s", attach.out);
    assert_contains(summary, " 1 denied, 0 lost, 0 errors, 0 faults (fail-open)\n");
    assert_contains(summary, "  program deny_test_group (");
    assert_contains(summary, "attach_deny_gid.o, section process): ");
    assert_contains(summary, " runs, 1 denied, 0 faults\n");
    assert_contains(summary, "\nmaps of ");
    assert_contains(summary, "map counts (array, key 4, value 8, max 2):\n"
                             "  key 00000000  value 0100000000000000\n"
                             "  key 01000000  value 0100000000000000\n");
    subprocess_live_free(&attach);
}

static void fanotify_json_lines_parse_strictly(void **state)
{
    (void)state;
    if (no_fanotify())
        test_skip(no_fanotify());
    start_attach((const char *[]){"--hook", "process/fanotify", "--json", NULL}, "bpfhost: attached 1 program");
    struct child member = start_child(true);
    assert_int_equal(finish_child(&member), EPERM);
    if (!subprocess_read_until(&attach, 0, "deny gid " XSTR(TEST_GID), 20))
        fail_msg("no trace line of the denied exec in:\n%s", attach.out);
    assert_int_equal(subprocess_stop(&attach, SIGINT), 0);

    struct json_object *lines[16];
    size_t n = assert_json_lines(attach.out, lines, 16);
    assert_true(n >= 2 && n <= 16);
    /* A trace line decodes to what the program wrote, its invalid byte as U+FFFD (the raw bytes in trace_hex). */
    bool found = false;
    for (size_t i = 0; i + 1 < n; i++) {
        const char *trace = json_object_get_string(json_member(lines[i], "trace"));
        if (strstr(trace, "deny gid " XSTR(TEST_GID))) {
            assert_contains(trace, ": sh -c read line; exit 0 \x1b[2J\rdelete pid 1 \x01\xef\xbf\xbd");
            assert_contains(json_object_get_string(json_member(lines[i], "trace_hex")), "1b5b324a0d");
            found = true;
        }
    }
    assert_true(found);
    struct json_object *summary = lines[n - 1];
    assert_string_equal(json_object_get_string(json_member(summary, "hook")), "process/fanotify");
    assert_int_equal(json_int(summary, "denied"), 1);
    assert_int_equal(json_int(summary, "faults"), 0);
    assert_false(json_object_get_boolean(json_member(summary, "fail_closed")));
    struct json_object *program = json_object_array_get_idx(json_member(summary, "programs"), 0);
    assert_string_equal(json_object_get_string(json_member(program, "name")), "deny_test_group");
    assert_int_equal(json_int(program, "denied"), 1);
    assert_int_equal(json_int(program, "would_have_denied"), 0);
    struct json_object *object_maps = json_object_array_get_idx(json_member(summary, "objects"), 0);
    struct json_object *counts = json_object_array_get_idx(json_member(object_maps, "maps"), 0);
    assert_string_equal(json_object_get_string(json_member(counts, "name")), "counts");
    struct json_object *denied = json_object_array_get_idx(json_member(counts, "entries"), 1);
    assert_string_equal(json_object_get_string(json_member(denied, "value")), "0100000000000000");
    for (size_t i = 0; i < n; i++)
        json_object_put(lines[i]);
    subprocess_live_free(&attach);
}

static void observe_only_hook_warns_and_counts_would_have_denied(void **state)
{
    (void)state;
    const char *why = probe_proc_connector();
    if (!why)
        why = probe_root();
    if (why)
        test_skip(why);
    start_attach((const char *[]){"--hook", "process/netlink", NULL},
                 "bpfhost: attached 1 program to hook process/netlink (fail-open)");
    assert_contains(attach.err,
                    "bpfhost: warning: hook 'process/netlink' sees execs after they happen and cannot deny them");
    assert_contains(attach.err, "(to enforce: --hook process)");
    /* The proc connector reports the exec after the fact; the child waits so /proc still has its group. */
    struct child member = start_child(true);
    if (!subprocess_read_until(&attach, 0, "deny gid " XSTR(TEST_GID), 20))
        fail_msg("no trace line of the group's exec in:\n%s", attach.out);
    assert_int_equal(finish_child(&member), 0); /* it ran */
    assert_int_equal(subprocess_stop(&attach, SIGINT), 0);
    assert_contains(attach.out, "bpfhost attach: hook process/netlink: ");
    assert_contains(attach.out, " events (observed, none can be denied), ");
    assert_contains(attach.out, " runs, 1 would have denied, 0 faults\n");
    subprocess_live_free(&attach);
}

static void usage_and_errors(void **state)
{
    (void)state;
    static const struct {
        int exit_code;
        const char *args[4], *why;
    } cases[] = {
        {2, {NULL}, "no object: bpfhost attach PROG.o[:SECTION]"},
        {2, {"x.o", "--hook", NULL}, "--hook needs a hook name"},
        {2, {"x.o", "--frob", NULL}, "unknown option '--frob'"},
        {1, {"/nonexistent.o", NULL}, "/nonexistent.o"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[7] = {(char *)tool_path("bpfhost"), "attach"};
        for (int a = 0; cases[i].args[a]; a++)
            argv[2 + a] = (char *)cases[i].args[a];
        struct subprocess_result res;
        assert_int_equal(subprocess_run(argv, NULL, &res), 0);
        assert_int_equal(res.exit_code, cases[i].exit_code);
        assert_contains(res.err, cases[i].why);
        subprocess_result_free(&res);
    }
    char *argv[] = {(char *)tool_path("bpfhost"), "attach", object, "--hook", "nosuch", NULL};
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    assert_int_equal(res.exit_code, 1);
    assert_contains(res.err,
                    "no hook named 'nosuch' (process programs: process, process/fanotify, process/audit, process/tracepoint, process/netlink; bind programs: bind)");
    subprocess_result_free(&res);
    char *help[] = {(char *)tool_path("bpfhost"), "attach", "--help", NULL};
    assert_int_equal(subprocess_run(help, NULL, &res), 0);
    assert_int_equal(res.exit_code, 0);
    assert_contains(res.out, "usage: bpfhost attach PROG.o[:SECTION]... [--hook HOOK]");
    assert_contains(res.out, "--fail-closed");
    subprocess_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(fanotify_denies_the_test_group_machine_wide, stop_attach),
        cmocka_unit_test_teardown(fanotify_json_lines_parse_strictly, stop_attach),
        cmocka_unit_test_teardown(observe_only_hook_warns_and_counts_would_have_denied, stop_attach),
        cmocka_unit_test(usage_and_errors),
    };
    return cmocka_run_group_tests_name("tools/bpfhost_attach", tests, setup, teardown);
}
