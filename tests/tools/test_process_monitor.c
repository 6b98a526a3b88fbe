/*
 * build/bin/process_monitor end to end: a supervised command's events with
 * exact command lines and exit codes; forged command lines (ESC, CR,
 * control bytes, invalid UTF-8) escaped in text and valid in JSON (parsed
 * strictly), a cut command line said to be cut; program faults reported
 * once and counted; system-wide (the default hook
 * "process", --source audit, --source netlink), a child started by the
 * test shows up live, deletes carry the identity of a fork-only child and of
 * a process running before the monitor started, and Ctrl-C (SIGINT)
 * detaches cleanly. Each is skipped,
 * saying why, where a probe finds its event source unavailable.
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
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void supervised_command_events_are_exact(void **state)
{
    (void)state;
    if (probe_supervision())
        test_skip(probe_supervision());
    char *argv[] = {(char *)tool_path("process_monitor"), "--json", "--", "/bin/sh", "-c",
                    "/bin/echo one  two >/dev/null; exit 3", NULL};
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    /* The monitor exits with the command's code. */
    assert_int_equal(res.exit_code, 3);
    assert_contains(res.out, "\"operation\":\"create\"");
    /* Image paths are the files run, links resolved (/bin/sh is dash on Debian). */
    char image[PATH_MAX + 16], real[PATH_MAX];
    assert_non_null(realpath("/bin/sh", real));
    snprintf(image, sizeof(image), "\"image\":\"%s\"", real);
    assert_contains(res.out, image);
    assert_contains(res.out, "\"command_line\":\"/bin/sh -c /bin/echo one  two >/dev/null; exit 3\"");
    assert_contains(res.out, "\"command_line\":\"/bin/echo one two\"");
    assert_non_null(realpath("/bin/echo", real));
    snprintf(image, sizeof(image), "\"image\":\"%s\"", real);
    assert_contains(res.out, image);
    assert_contains(res.out, "\"exit_code\":3");
    /* echo's, which its shell reaped: unknown (0xFFFFFFFF) only where the kernel cannot tell it. */
    if (!strstr(res.out, "\"exit_code\":4294967295") || !probe_pidfd_info_exit())
        assert_contains(res.out, "\"exit_code\":0");
    else
        test_skip_check("exit code of echo, reaped by its shell", probe_pidfd_info_exit());
    assert_contains(res.out, "\"exit_code\":null");
    /* One line per event: 2 creates, 2 deletes. */
    int lines = 0;
    for (const char *p = res.out; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 4);
    assert_contains(res.err, "4 events printed");
    subprocess_result_free(&res);
}

/* A command line that would clear the screen, return to the line's start and print a forged event. */
#define FORGED "\x1b[2J\r2024-01-01T00:00:00.000000Z delete pid 1 ppid 0 uid 0 exit 0 image /sbin/init \x01\x7f\xff\xc3("
#define FORGED_TEXT                                                                                                \
    "\\x1b[2J\\x0d2024-01-01T00:00:00.000000Z delete pid 1 ppid 0 uid 0 exit 0 image /sbin/init "                \
    "\\x01\\x7f\\xff\\xc3("

static void forged_command_lines_are_escaped(void **state)
{
    (void)state;
    if (probe_supervision())
        test_skip(probe_supervision());
    char *argv[] = {(char *)tool_path("process_monitor"), "--", "/bin/true", FORGED, NULL};
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    assert_int_equal(res.exit_code, 0);
    assert_no_terminal_controls(res.out);
    assert_contains(res.out, " command /bin/true " FORGED_TEXT "\n");
    /* One line per event: the create and the delete, nothing forged. */
    int lines = 0;
    for (const char *p = res.out; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 2);
    subprocess_result_free(&res);

    char *json_argv[] = {(char *)tool_path("process_monitor"), "--json", "--", "/bin/true", FORGED, NULL};
    assert_int_equal(subprocess_run(json_argv, NULL, &res), 0);
    assert_no_terminal_controls(res.out);
    struct json_object *events[4];
    assert_int_equal(assert_json_lines(res.out, events, 4), 2);
    /* The string decodes to the command line, each invalid byte as U+FFFD; the raw bytes are in _hex. */
    assert_string_equal(json_object_get_string(json_member(events[0], "command_line")),
                        "/bin/true \x1b[2J\r2024-01-01T00:00:00.000000Z delete pid 1 ppid 0 uid 0 exit 0 image "
                        "/sbin/init \x01\x7f\xef\xbf\xbd\xef\xbf\xbd(");
    assert_contains(res.out, "\",\"command_line_hex\":\"2f62696e"); /* spaced like the rest of the line */
    const char *hex = json_object_get_string(json_member(events[0], "command_line_hex"));
    assert_memory_equal(hex, "2f62696e2f74727565201b5b324a0d", 30);
    assert_contains(hex, "017fffc328");
    for (int i = 0; i < 2; i++)
        json_object_put(events[i]);
    subprocess_result_free(&res);
}

static void cut_command_lines_say_so(void **state)
{
    (void)state;
    if (probe_supervision())
        test_skip(probe_supervision());
    static char long_arg[3000];
    memset(long_arg, 'a', sizeof(long_arg) - 1);
    char *argv[] = {(char *)tool_path("process_monitor"), "--", "/bin/true", long_arg, NULL};
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    assert_contains(res.out, " command[cut at 2048 bytes] /bin/true aaaa");
    subprocess_result_free(&res);
    char *json_argv[] = {(char *)tool_path("process_monitor"), "--json", "--", "/bin/true", long_arg, NULL};
    assert_int_equal(subprocess_run(json_argv, NULL, &res), 0);
    struct json_object *events[2];
    assert_int_equal(assert_json_lines(res.out, events, 2), 2);
    assert_true(json_object_get_boolean(json_member(events[0], "command_line_truncated")));
    assert_int_equal(strlen(json_object_get_string(json_member(events[0], "command_line"))), 2048);
    json_object_put(events[0]);
    json_object_put(events[1]);
    subprocess_result_free(&res);
}

static void program_faults_are_reported_and_counted(void **state)
{
    (void)state;
    if (probe_supervision())
        test_skip(probe_supervision());
    char *object = bpf_compile("tests/tools/progs", "monitor_fault", NULL);
    assert_non_null(object);
    char *argv[] = {(char *)tool_path("process_monitor"), "--object", object, "--", "/bin/sh", "-c", "/bin/true",
                    NULL};
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    assert_int_equal(res.exit_code, 0);
    /* Once, with the instruction, the address as the program sees it, and the source line. */
    assert_contains(res.err, "program ProcessMonitor (section process) faulted (counted; the event went on as if it "
                             "returned 0): instruction ");
    /* The supervised tree gives each event the deadline (200 ms by default), which comes before the budget. */
    assert_contains(res.err, "deadline passed after");
    assert_contains(res.err, "exhaust_budget.h:");
    assert_null(strstr(strstr(res.err, "faulted") + 1, "faulted"));
    /* Creates: sh, its ld.so, true, its ld.so; each faulted. */
    assert_contains(res.err, " runs, 0 denied, 4 faults\n");
    subprocess_result_free(&res);
    free(object);
    bpf_compile_cleanup();
}

static void bad_usage_exits_2(void **state)
{
    (void)state;
    static const struct {
        const char *args[3], *why;
    } cases[] = {
        {{"--source", "kernel"}, "'kernel' is none of process, fanotify, audit, netlink, tracepoint"},
        {{"--count", "-1"}, "--count: '-1' is not a positive number"},
        {{"--count", "0"}, "--count: '0' is not a positive number"},
        {{"--count", " 5"}, "--count: ' 5' is not a positive number"},
        {{"--count", "99999999999999999999999"}, "is not a positive number"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[] = {(char *)tool_path("process_monitor"), (char *)cases[i].args[0], (char *)cases[i].args[1], NULL};
        struct subprocess_result res;
        assert_int_equal(subprocess_run(argv, NULL, &res), 0);
        assert_int_equal(res.exit_code, 2);
        assert_contains(res.err, cases[i].why);
        subprocess_result_free(&res);
    }
}

/* Appends to buf (growing) what fd has within 200 ms; false at EOF or on an error. */
static bool read_some(int fd, char **buf, size_t *len)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0)
        return true;
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0)
        return false;
    *buf = realloc(*buf, *len + (size_t)n + 1);
    memcpy(*buf + *len, chunk, (size_t)n);
    *len += (size_t)n;
    (*buf)[*len] = '\0';
    return true;
}

/* Reads from fd into buf (growing) until needle appears or 20 s pass; returns whether it did. */
static int read_until(int fd, char **buf, size_t *len, const char *needle)
{
    time_t deadline = time(NULL) + 20;
    while (!strstr(*buf, needle) && time(NULL) < deadline && read_some(fd, buf, len))
        ;
    return strstr(*buf, needle) != NULL;
}

static pid_t monitor = -1;

#define MARKER_COMMAND "sh -c read line; (exit 4); exit 5 bpfhost-monitor-marker"

/*
 * Starts `sh -c script name` reading its stdin from a pipe whose write end
 * is *in (close-on-exec: a monitor started later does not hold it open).
 */
static pid_t start_reader(const char *script, const char *name, int *in)
{
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[0], 0);
        execl("/bin/sh", "sh", "-c", script, name, (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    *in = fds[1];
    return pid;
}

/* Waits (up to 10 s) until process pid's command line contains word: it has exec'd. */
static void wait_for_exec(pid_t pid, const char *word)
{
    char path[64], buf[256];
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
    for (int i = 0; i < 1000; i++) {
        int fd = open(path, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (fd >= 0)
            close(fd);
        for (ssize_t j = 0; j < n; j++)
            buf[j] = buf[j] ? buf[j] : ' ';
        buf[n > 0 ? n : 0] = '\0';
        if (strstr(buf, word))
            return;
        usleep(10000);
    }
    fail_msg("pid %d did not exec %s", (int)pid, word);
}

/*
 * Reads the monitor's JSON lines until a delete line with key (e.g. its
 * pid) and exit appears, and asserts it carries command as its command
 * line and an image.
 */
static void assert_delete_carries(int fd, char **text, size_t *len, const char *key, const char *exit,
                                  const char *command)
{
    char want[512];
    snprintf(want, sizeof(want), "\"command_line\":\"%s\"", command);
    for (time_t deadline = time(NULL) + 20; time(NULL) < deadline;) {
        for (char *line = *text, *end; line && *line; line = end ? end + 1 : NULL) {
            end = strchr(line, '\n');
            if (end)
                *end = '\0';
            bool found = strstr(line, "\"operation\":\"delete\"") && strstr(line, key) && strstr(line, exit);
            bool carries = found && strstr(line, want) && !strstr(line, "\"image\":\"\"");
            if (found && !carries)
                fail_msg("the delete (%s, %s) lacks its identity %s: %s", key, exit, want, line);
            if (end)
                *end = '\n';
            if (found)
                return;
        }
        if (!read_some(fd, text, len))
            break;
    }
    fail_msg("no delete (%s, %s) in:\n%s", key, exit, *text);
}

/* Stops a monitor a failed test left running. */
static int kill_monitor(void **state)
{
    (void)state;
    if (monitor > 0) {
        kill(monitor, SIGKILL);
        waitpid(monitor, NULL, 0);
        monitor = -1;
    }
    return 0;
}

/* state: the --source (NULL: the default, hook "process"). */
static void system_wide_sees_a_child_live_and_stops_on_sigint(void **state)
{
    const char *source = *state;
    const char *why = probe_proc_connector();
    if (!why && !source)
        why = probe_fanotify_exec_perm();
    if (!why && source && !strcmp(source, "audit"))
        why = probe_audit();
    if (why)
        test_skip(why);
    /* An elder: running before the monitor starts, it exits once the monitor runs; its name would clear a
     * terminal, and the delete (strings the host read for it, not a create's) must show it escaped. */
    int elder_in;
    pid_t elder = start_reader("read line; exit 6", "bpfhost-monitor-elder\x1b[2J", &elder_in);
    wait_for_exec(elder, "bpfhost-monitor-elder");
    int out[2], err[2];
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    monitor = fork();
    assert_true(monitor >= 0);
    if (monitor == 0) {
        dup2(out[1], 1);
        dup2(err[1], 2);
        close(out[0]);
        close(err[0]);
        if (source)
            execl(tool_path("process_monitor"), "process_monitor", "--json", "--source", source, (char *)NULL);
        else
            execl(tool_path("process_monitor"), "process_monitor", "--json", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    char *text = calloc(1, 1), *errs = calloc(1, 1);
    size_t len = 0, errlen = 0;
    /* Attached once it says so; then a child with a distinctive command line. */
    if (!read_until(err[0], &errs, &errlen, "attached"))
        fail_msg("process_monitor did not attach: %s", errs);
    /* The child waits on its stdin until its create was seen: with --source netlink the
     * proc connector reports an exec after the fact and its command line is read from /proc. */
    int in;
    pid_t child = start_reader("read line; (exit 4); exit 5", "bpfhost-monitor-marker", &in);
    char create[160], del[160];
    snprintf(create, sizeof(create), "\"pid\":%d,", (int)child);
    if (!read_until(out[0], &text, &len, "\"command_line\":\"" MARKER_COMMAND "\""))
        fail_msg("no create event of pid %d with its command line in:\n%s", (int)child, text);
    assert_contains(text, create);
    close(in);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    snprintf(del, sizeof(del), "\"operation\":\"delete\",\"pid\":%d,", (int)child);
    if (!read_until(out[0], &text, &len, del))
        fail_msg("no delete event of pid %d in:\n%s", (int)child, text);
    assert_contains(text, "\"exit_code\":5");
    /* Deletes carry the identity of processes never seen starting: the subshell "(exit 4)"
     * forked without an exec, and the elder, running before the monitor started. */
    snprintf(del, sizeof(del), "\"ppid\":%d,", (int)child);
    assert_delete_carries(out[0], &text, &len, del, "\"exit_code\":4", MARKER_COMMAND);
    close(elder_in);
    assert_int_equal(waitpid(elder, &status, 0), elder);
    snprintf(del, sizeof(del), "\"operation\":\"delete\",\"pid\":%d,", (int)elder);
    assert_delete_carries(out[0], &text, &len, del, "\"exit_code\":6",
                          "sh -c read line; exit 6 bpfhost-monitor-elder\\u001b[2J");
    assert_no_terminal_controls(text);

    assert_int_equal(kill(monitor, SIGINT), 0);
    assert_int_equal(waitpid(monitor, &status, 0), monitor);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    monitor = -1;
    read_until(err[0], &errs, &errlen, "events printed");
    assert_contains(errs, "events printed; source:");
    free(text);
    free(errs);
    close(out[0]);
    close(err[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(supervised_command_events_are_exact),
        cmocka_unit_test(forged_command_lines_are_escaped),
        cmocka_unit_test(cut_command_lines_say_so),
        cmocka_unit_test(program_faults_are_reported_and_counted),
        cmocka_unit_test(bad_usage_exits_2),
        {"system_wide_sees_a_child_live_and_stops_on_sigint (default hook process)",
         system_wide_sees_a_child_live_and_stops_on_sigint, NULL, kill_monitor, NULL},
        {"system_wide_sees_a_child_live_and_stops_on_sigint --source audit",
         system_wide_sees_a_child_live_and_stops_on_sigint, NULL, kill_monitor, "audit"},
        {"system_wide_sees_a_child_live_and_stops_on_sigint --source netlink",
         system_wide_sees_a_child_live_and_stops_on_sigint, NULL, kill_monitor, "netlink"},
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
