/*
 * build/bin/process_monitor end to end: a supervised command's events with
 * exact command lines and exit codes; system-wide (the default hook
 * "process", --source audit, --source netlink), a child started by the
 * test shows up live and Ctrl-C (SIGINT) detaches cleanly. Each is skipped,
 * saying why, where a probe finds its event source unavailable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/assertions.h"
#include "common/probes.h"
#include "common/skips.h"
#include "common/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
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

static void bad_usage_exits_2(void **state)
{
    (void)state;
    char *argv[] = {(char *)tool_path("process_monitor"), "--source", "kernel", NULL};
    struct subprocess_result res;
    assert_int_equal(subprocess_run(argv, NULL, &res), 0);
    assert_int_equal(res.exit_code, 2);
    assert_contains(res.err, "'kernel' is none of process, fanotify, audit, netlink");
    subprocess_result_free(&res);
}

/* Reads from fd into buf (growing) until needle appears or 20 s pass; returns whether it did. */
static int read_until(int fd, char **buf, size_t *len, const char *needle)
{
    time_t deadline = time(NULL) + 20;
    while (!strstr(*buf, needle) && time(NULL) < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n <= 0)
            break;
        *buf = realloc(*buf, *len + (size_t)n + 1);
        memcpy(*buf + *len, chunk, (size_t)n);
        *len += (size_t)n;
        (*buf)[*len] = '\0';
    }
    return strstr(*buf, needle) != NULL;
}

static pid_t monitor = -1;

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
    int in[2];
    assert_int_equal(pipe(in), 0);
    pid_t child = fork();
    if (child == 0) {
        dup2(in[0], 0);
        close(in[1]);
        execl("/bin/sh", "sh", "-c", "read line; exit 5", "bpfhost-monitor-marker", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    char create[160], del[160];
    snprintf(create, sizeof(create), "\"pid\":%d,", (int)child);
    if (!read_until(out[0], &text, &len, "\"command_line\":\"sh -c read line; exit 5 bpfhost-monitor-marker\""))
        fail_msg("no create event of pid %d with its command line in:\n%s", (int)child, text);
    assert_contains(text, create);
    close(in[1]);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    snprintf(del, sizeof(del), "\"operation\":\"delete\",\"pid\":%d,", (int)child);
    if (!read_until(out[0], &text, &len, del))
        fail_msg("no delete event of pid %d in:\n%s", (int)child, text);
    assert_contains(text, "\"exit_code\":5");

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
