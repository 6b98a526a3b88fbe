/*
 * The supervised tree's workers: an exec whose arguments are slow to read
 * (memory behind a userfaultfd, as a FUSE file would be) does not hold
 * another exec of the tree, which a second worker reads and decides
 * meanwhile (with one notification at a time, it waited for the first).
 * The tree is this test program itself, run again with --held-exec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/held_exec.h"
#include "common/probes.h"
#include "common/skips.h"
#include "ext/supervise/supervise.h"

/* How long the first exec's argument is held; the other exec must be decided well before (in half the time:
 * long enough for an exec under the sanitizers beside the suite's parallel exec bursts, which once took 500 ms). */
enum { HOLD_MS = 3000, SETTLE_MS = 100 };

/* Exit codes of the tree. */
enum { TREE_OK = 0, TREE_OTHER_HELD = 3, TREE_EXEC_FAILED = 4 };

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The tree: one exec held, then another timed; its exit code says how it went (TREE_*). */
static int held_exec_tree(void)
{
    pid_t held = fork();
    if (held == 0)
        held_exec("/bin/true", HOLD_MS);
    sleep_ms(SETTLE_MS); /* its exec is being read by now */
    uint64_t t0 = now_ms();
    pid_t other = fork();
    if (other == 0) {
        execl("/bin/true", "/bin/true", (char *)NULL);
        _exit(127);
    }
    int other_status = -1, held_status = -1;
    if (other < 0 || waitpid(other, &other_status, 0) != other)
        return TREE_EXEC_FAILED;
    uint64_t took = now_ms() - t0;
    if (held < 0 || waitpid(held, &held_status, 0) != held || other_status != 0 || held_status != 0)
        return TREE_EXEC_FAILED;
    fprintf(stderr, "an exec of the tree while another's argument is held %d ms: %llu ms\n", HOLD_MS,
            (unsigned long long)took);
    return took < HOLD_MS / 2 ? TREE_OK : TREE_OTHER_HELD;
}

static void slow_memory_of_one_exec_does_not_hold_another(void **state)
{
    (void)state;
    const char *no_supervision = probe_supervision();
    if (no_supervision)
        test_skip(no_supervision);
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        test_skip("one CPU: one worker, which the held exec keeps");
    const char *no_held_exec = held_exec_unavailable();
    if (no_held_exec)
        test_skip(no_held_exec);
    assert_int_equal(ext_register_builtin(), 0);
    struct ext_supervisor *sv;
    assert_int_equal(ext_supervisor_create(&sv, NULL), 0);
    int code = -1;
    assert_int_equal(ext_supervisor_run(sv, (char *[]){"/proc/self/exe", "--held-exec", NULL}, &code), 0);
    assert_int_equal(code, TREE_OK);
    struct ext_source_stats st;
    ext_supervisor_stats(sv, &st);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.lost, 0);
    ext_supervisor_destroy(sv);
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--held-exec"))
        return held_exec_tree();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slow_memory_of_one_exec_does_not_hold_another),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
