/*
 * One exec's lookups from a root opened once (ext_target_root_hold()):
 * lookups of the thread held start from its root, the root it had when
 * held (shown by a thread gone since, whose /proc entry no longer opens);
 * lookups of any other thread still open that thread's own root; after
 * the release nothing is held. The thread looked at is a child chrooted
 * into a directory of its own (needs root; skipped otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/skips.h"
#include "ext/process/exec_target.h"

static char dir[] = "/tmp/bpfhost-target-root-XXXXXX";
static char marker[PATH_MAX];

/* A child chrooted into dir, waiting until killed; 0 if it could not chroot (not root). */
static pid_t chrooted_child(void)
{
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char ok = chroot(dir) == 0 && chdir("/") == 0 ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(ready[1]);
    char ok = 'n';
    assert_int_equal(read(ready[0], &ok, 1), 1);
    close(ready[0]);
    if (ok == 'y')
        return pid;
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
}

/* Whether thread tid's lookup of "/only-here" finds the file (its root is dir): 1, else its -errno. */
static int finds_marker(pid_t tid)
{
    int fd = ext_target_path_open(tid, tid, AT_FDCWD, "/only-here", 0);
    if (fd >= 0)
        close(fd);
    return fd >= 0 ? 1 : fd;
}

static void lookups_start_from_the_held_threads_root_only(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(marker, sizeof(marker), "%s/only-here", dir);
    int fd = open(marker, O_CREAT | O_WRONLY | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    close(fd);
    pid_t child = chrooted_child();
    if (!child) {
        unlink(marker);
        rmdir(dir);
        test_skip("cannot chroot a child (not root)");
    }
    pid_t self = (pid_t)gettid();
    assert_int_equal(finds_marker(child), 1); /* in its root */
    assert_int_equal(finds_marker(self), -ENOENT); /* not in ours */

    ext_target_root_hold(self);
    assert_int_equal(finds_marker(child), 1); /* another thread's lookup opens its own root */
    assert_int_equal(finds_marker(self), -ENOENT);

    ext_target_root_hold(child); /* replaces the one held */
    kill(child, SIGKILL);
    assert_int_equal(waitpid(child, NULL, 0), child);
    assert_int_equal(finds_marker(child), 1); /* its root as held: /proc has it no more */
    ext_target_root_release();
    assert_int_equal(finds_marker(child), -ENOENT); /* nothing held: a reaped child's /proc/PID/root is gone */
    ext_target_root_release();            /* twice: nothing to close */
    unlink(marker);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lookups_start_from_the_held_threads_root_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
