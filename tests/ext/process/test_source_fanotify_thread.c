/*
 * The files the fanotify source keeps of the last thread it looked at (a
 * pidfd and /proc/TGID/stat, ext_proc_read_thread_kept()), so that ld.so's
 * exec open after the program's does not open them again. They must never
 * give one process another's identity, nor a stale one: each read is
 * fresh (a comm changed between two reads shows), a thread gone fails
 * (-ESRCH) instead of answering from what was kept, and a new process that
 * got the number of a reaped one is read as itself. The pid reuse needs
 * root (/proc/sys/kernel/ns_last_pid); without it that part is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/probes.h"
#include "common/skips.h"
#include "ext/ext.h"

/*
 * A child that names itself name (its comm), tells the parent through
 * ready, then, each time it reads a byte from go, renames itself to the
 * byte's name ("renamed") until go closes. pid, and the pipe ends the
 * parent keeps.
 */
struct child {
    pid_t pid;
    int ready, go;
};

static struct child start_child(const char *name)
{
    int ready[2], go[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Only its own two ends: a copy of another child's would keep that child from seeing its go close. */
        for (int fd = 3; fd < 1024; fd++)
            if (fd != ready[1] && fd != go[0])
                close(fd);
        prctl(PR_SET_NAME, name);
        char c = 1;
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        while (read(go[0], &c, 1) == 1) {
            prctl(PR_SET_NAME, "renamed");
            if (write(ready[1], &c, 1) != 1)
                _exit(1);
        }
        _exit(0);
    }
    close(ready[1]);
    close(go[0]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    return (struct child){pid, ready[0], go[1]};
}

/* Ends the child and reaps it: its number is free afterwards. */
static void end_child(struct child *c)
{
    close(c->go);
    int status;
    assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
    close(c->ready);
}

static void rename_child(struct child *c)
{
    char byte = 1;
    assert_int_equal(write(c->go, &byte, 1), 1);
    assert_int_equal(read(c->ready, &byte, 1), 1);
}

/* Reads thread tid through t: 0 or -errno; *info as read. */
static int read_kept(struct ext_proc_thread *t, pid_t tid, struct ext_proc_info *info)
{
    uint32_t tgid = 0;
    int err = ext_proc_read_thread_kept(t, (uint32_t)tid, &tgid, info);
    if (!err)
        assert_int_equal(tgid, (uint32_t)tid); /* each child is single-threaded */
    return err;
}

static void each_read_is_fresh(void **state)
{
    (void)state;
    struct child c = start_child("first-name");
    struct ext_proc_thread t;
    ext_proc_thread_init(&t);
    struct ext_proc_info info;
    assert_int_equal(read_kept(&t, c.pid, &info), 0);
    assert_string_equal(info.comm, "first-name");
    assert_int_equal(info.ppid, (uint32_t)getpid());
    assert_int_equal(t.tid, (uint32_t)c.pid); /* kept */
    int kept_pidfd = t.pidfd;
    rename_child(&c);
    assert_int_equal(read_kept(&t, c.pid, &info), 0);
    assert_int_equal(t.pidfd, kept_pidfd); /* read again through what was kept, */
    assert_string_equal(info.comm, "renamed"); /* not answered from the last read */
    end_child(&c);
    ext_proc_thread_close(&t);
}

static void a_thread_gone_fails(void **state)
{
    (void)state;
    struct child c = start_child("gone-soon");
    struct ext_proc_thread t;
    ext_proc_thread_init(&t);
    struct ext_proc_info info;
    assert_int_equal(read_kept(&t, c.pid, &info), 0);
    end_child(&c);
    memset(&info, 0x5a, sizeof(info));
    assert_int_equal(read_kept(&t, c.pid, &info), -ESRCH);
    assert_int_equal(t.tid, 0); /* nothing kept of a thread gone */
    assert_int_equal(info.comm[0], '\0');
    assert_int_equal(info.ppid, 0);
    ext_proc_thread_close(&t);
}

static void another_thread_is_read_as_itself(void **state)
{
    (void)state;
    struct child a = start_child("child-a"), b = start_child("child-b");
    struct ext_proc_thread t;
    ext_proc_thread_init(&t);
    struct ext_proc_info info;
    assert_int_equal(read_kept(&t, a.pid, &info), 0);
    assert_int_equal(read_kept(&t, b.pid, &info), 0);
    assert_string_equal(info.comm, "child-b");
    assert_int_equal(t.tid, (uint32_t)b.pid);
    end_child(&a);
    end_child(&b);
    ext_proc_thread_close(&t);
}

/*
 * Forks, through ns_last_pid, until a child gets pid (another process of
 * the machine may take it first, and keep it): true with *c, or false.
 */
static bool start_child_as(pid_t pid, const char *name, struct child *out)
{
    for (int attempt = 0; attempt < 200; attempt++) {
        int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
        char text[32];
        int len = snprintf(text, sizeof(text), "%d", (int)pid - 1);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, (size_t)len), len);
        close(fd);
        struct child c = start_child(name);
        if (c.pid == pid) {
            *out = c;
            return true;
        }
        end_child(&c);
    }
    return false;
}

static void a_number_reused_is_read_as_its_new_process(void **state)
{
    (void)state;
    const char *why = probe_root();
    if (why)
        test_skip(why);
    struct ext_proc_thread t;
    ext_proc_thread_init(&t);
    struct ext_proc_info info;
    struct child reused = {0};
    pid_t pid = 0;
    for (int tries = 0; tries < 5 && !pid; tries++) {
        struct child old = start_child("old-process");
        assert_int_equal(read_kept(&t, old.pid, &info), 0);
        assert_string_equal(info.comm, "old-process");
        end_child(&old);
        if (start_child_as(old.pid, "new-process", &reused))
            pid = old.pid;
    }
    if (!pid)
        fail_msg("no child got the number of a reaped one in 5 x 200 forks");
    assert_int_equal(read_kept(&t, pid, &info), 0);
    assert_string_equal(info.comm, "new-process");
    assert_int_equal(t.tid, (uint32_t)pid);
    end_child(&reused);
    ext_proc_thread_close(&t);
}

int main(void)
{
    alarm(60); /* a child that never ends would hold the test */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_read_is_fresh),
        cmocka_unit_test(a_thread_gone_fails),
        cmocka_unit_test(another_thread_is_read_as_itself),
        cmocka_unit_test(a_number_reused_is_read_as_its_new_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
