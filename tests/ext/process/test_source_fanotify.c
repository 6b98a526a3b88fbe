/*
 * The fanotify event source (hook "process/fanotify") on real execs of
 * this machine: a program denies the exec of a file of the test's own (a
 * copy of /bin/true in a temporary directory, never a system binary);
 * every program sees every create and any one denying is enough; an exec
 * of a dynamic program or of a script is one create; detaching restores
 * normal execs; without CAP_SYS_ADMIN the source does not start. Runs as
 * root, as CI does; where a probe finds no fanotify permission events for
 * exec (not root, or a kernel without them) the tests that need them are
 * skipped with the reason. The records come from
 * tests/ext/process/progs/fanotify_policy.c, which only records the creates of this
 * test's children.
 *
 * Safety: each test's links are detached in its teardown, also after a
 * failed assertion, and an alarm ends this process should it ever hang
 * (closing its fanotify group: the kernel then allows every pending exec).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/bpf_compile.h"
#include "common/probes.h"
#include "common/skips.h"
#include "ext/ext.h"

#define PATH_BYTES 256

/* The program's maps (tests/ext/process/progs/fanotify_policy.c). */
struct config {
    uint64_t parent_pid;
    uint8_t denied[PATH_BYTES];
};

struct create_record {
    uint64_t creates, followups;
    uint64_t process_id, parent_process_id, creating_process_id, creating_thread_id, creation_time;
    uint64_t command_len;
    uint32_t uid, gid, token_sid_size;
    int32_t image_len;
    uint8_t image[PATH_BYTES];
};

enum { MAX_POLICIES = 2, WAIT_MS = 10000, SAFETY_ALARM_S = 120 };

static struct bpf_elf_object *policy_elf;
static const char *no_fanotify; /* why this machine cannot enforce through fanotify, or NULL */
static char dir[] = "/tmp/bpfhost-fanotify-XXXXXX";
/* The test's executables: two to deny, one dynamic program and a script to run. */
static char denied_a[PATH_MAX], denied_b[PATH_MAX], dynamic[PATH_MAX], script[PATH_MAX];
/* A script whose interpreter is that script; one naming its interpreter relative to the working directory. */
static char nested[PATH_MAX], relative[PATH_MAX];
/* A tmpfs mounted while the source runs. */
static char mounted[PATH_MAX];

/* What a test attached; its teardown detaches it. */
static struct {
    struct core_object *objs[MAX_POLICIES];
    struct core_link *links[MAX_POLICIES];
    size_t count;
} attached;

static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

/* Copies /bin/true to dir/name; its path in path. */
static void copy_true(char *path, const char *dir_path, const char *name)
{
    snprintf(path, PATH_MAX, "%s/%s", dir_path, name);
    static char image[4 << 20];
    int fd = open("/bin/true", O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    ssize_t len = read(fd, image, sizeof(image));
    close(fd);
    assert_true(len > 0 && len < (ssize_t)sizeof(image));
    write_file(path, image, (size_t)len);
}

/* Compiles and opens the policy program: 0 or -1. */
static int open_policy(void)
{
    if (ext_register_builtin() != 0)
        return -1;
    char *obj = bpf_compile("tests/ext/process/progs", "fanotify_policy", NULL);
    char err[512];
    int rc = obj ? bpf_elf_open_file(obj, &policy_elf, err, sizeof(err)) : -1;
    free(obj);
    return rc;
}

static int group_setup(void **state)
{
    (void)state;
    alarm(SAFETY_ALARM_S);
    /* What a policy decides must not depend on the machine's load: a deadline far above any exec's
     * handling (the deadline itself is tested in test_deadline.c). */
    struct ext_deadline generous = {.ms = 10000};
    if (ext_process_set_deadline(&generous) != 0)
        return -1;
    if ((no_fanotify = probe_fanotify_exec_perm()))
        return open_policy(); /* for the one test that needs no fanotify */
    /* A mount namespace of our own (before any thread starts: it is per thread), so the mounts the
     * tests make stay private; the fanotify marks are on filesystems and still watch the machine. */
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return -1;
    if (!mkdtemp(dir))
        return -1;
    char real[PATH_MAX];
    if (!realpath(dir, real) || strlen(real) >= sizeof(dir))
        return -1;
    strcpy(dir, real); /* exec'd paths as the kernel names them: no symlink in between */
    copy_true(denied_a, dir, "denied_a");
    copy_true(denied_b, dir, "denied_b");
    copy_true(dynamic, dir, "dynamic");
    snprintf(script, sizeof(script), "%s/script.sh", dir);
    const char text[] = "#!/bin/sh\nexit 0\n";
    write_file(script, text, sizeof(text) - 1);
    snprintf(nested, sizeof(nested), "%s/nested.sh", dir);
    char line[PATH_MAX + 8];
    int len = snprintf(line, sizeof(line), "#!%s\n", script);
    write_file(nested, line, (size_t)len);
    snprintf(relative, sizeof(relative), "%s/relative.sh", dir);
    const char relative_text[] = "#! bin/sh\nexit 0\n"; /* run from "/" */
    write_file(relative, relative_text, sizeof(relative_text) - 1);
    return open_policy();
}

static int group_teardown(void **state)
{
    (void)state;
    bpf_elf_close(policy_elf);
    bpf_compile_cleanup();
    const char *files[] = {denied_a, denied_b, dynamic, script, nested, relative};
    for (size_t i = 0; i < 6; i++)
        unlink(files[i]);
    umount2(mounted, MNT_DETACH);
    rmdir(mounted);
    rmdir(dir);
    alarm(0);
    return 0;
}

/* Detaches and frees whatever the test attached, whether it passed or not. */
static int detach_all(void **state)
{
    (void)state;
    for (size_t i = 0; i < attached.count; i++) {
        if (attached.links[i]) {
            core_link_detach(attached.links[i]);
            core_link_release(attached.links[i]);
        }
        core_object_close(attached.objs[i]);
    }
    memset(&attached, 0, sizeof(attached));
    struct ext_source_stats stats;
    return ext_source_stats(EXT_PROCESS_HOOK_FANOTIFY, &stats) == 0 && !stats.running ? 0 : -1;
}

/* Loads the policy program (denying denied, if not NULL) and attaches it to the hook; returns its index. */
static size_t attach_policy(const char *denied)
{
    assert_true(attached.count < MAX_POLICIES);
    size_t i = attached.count++;
    char err[512] = "";
    if (core_object_load(policy_elf, NULL, &attached.objs[i], err, sizeof(err)) != 0)
        fail_msg("loading fanotify_policy: %s", err);
    struct config cfg = {.parent_pid = (uint64_t)getpid()};
    if (denied)
        snprintf((char *)cfg.denied, sizeof(cfg.denied), "%s", denied);
    uint32_t zero = 0;
    assert_int_equal(map_update_user(core_map_map(core_object_find_map(attached.objs[i], "config")), &zero, &cfg, 0),
                     0);
    struct core_hook *hook = core_hook_find(EXT_PROCESS_HOOK_FANOTIFY);
    assert_non_null(hook);
    struct core_prog *prog = core_object_find_prog(attached.objs[i], "record_and_deny");
    assert_non_null(prog);
    assert_int_equal(core_hook_attach(hook, prog, NULL, 0, &attached.links[i]), 0);
    return i;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits (up to WAIT_MS) for child pid; its exit code. */
static int wait_child(pid_t pid)
{
    for (uint64_t start = now_ms(); now_ms() - start < WAIT_MS;) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        assert_true(r >= 0);
        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fail_msg("child %d did not finish in %d ms", (int)pid, WAIT_MS);
    return -1;
}

/* Runs path in a child working in cwd (NULL: ours): 0 if it ran (every program here exits 0), 100 + errno if its exec failed. */
static int run_in(const char *cwd, const char *path, pid_t *child)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *const argv[] = {(char *)path, NULL};
        if (!cwd || chdir(cwd) == 0)
            execv(path, argv);
        _exit(100 + errno);
    }
    *child = pid;
    return wait_child(pid);
}

/* Runs path in a child (see run_in()). */
static int run(const char *path, pid_t *child)
{
    return run_in(NULL, path, child);
}

/* The record policy i made of pid's creates; fails if there is none. */
static struct create_record record_of(size_t i, pid_t pid)
{
    struct create_record rec;
    uint32_t key = (uint32_t)pid;
    if (map_lookup_copy(core_map_map(core_object_find_map(attached.objs[i], "creates")), &key, &rec) != 0)
        fail_msg("program %zu saw no create of pid %d", i, (int)pid);
    return rec;
}

/* Policy i saw exactly one create of a program for pid, the exec of path, and followups creates of interpreters. */
static void assert_one_create(size_t i, pid_t pid, const char *path, uint64_t followups)
{
    struct create_record rec = record_of(i, pid);
    assert_int_equal(rec.creates, 1);
    assert_int_equal(rec.followups, followups);
    assert_int_equal(rec.image_len, strlen(path));
    assert_string_equal((const char *)rec.image, path);
}

static void denied_exec_fails_with_eperm(void **state)
{
    (void)state;
    if (no_fanotify)
        test_skip(no_fanotify);
    struct ext_source_stats before, after;
    assert_int_equal(ext_source_stats(EXT_PROCESS_HOOK_FANOTIFY, &before), 0);
    assert_false(before.running);
    size_t p = attach_policy(denied_a);
    assert_int_equal(ext_source_stats(EXT_PROCESS_HOOK_FANOTIFY, &after), 0);
    assert_true(after.running);

    pid_t denied, allowed;
    assert_int_equal(run(denied_a, &denied), 100 + EPERM);
    assert_int_equal(run("/bin/true", &allowed), 0);

    /* The create as the program saw it: before the exec, from the exec'ing process. */
    struct create_record rec = record_of(p, denied);
    assert_int_equal(rec.creates, 1);
    assert_string_equal((const char *)rec.image, denied_a);
    assert_int_equal(rec.process_id, denied);
    assert_int_equal(rec.creating_process_id, denied);
    assert_int_equal(rec.creating_thread_id, denied);
    assert_int_equal(rec.parent_process_id, getpid());
    assert_int_equal(rec.command_len, strlen(denied_a)); /* its argv, read from the waiting thread */
    assert_int_equal(rec.uid, getuid());
    assert_int_equal(rec.gid, getgid());
    assert_int_equal(rec.token_sid_size, 16);
    uint64_t now = ext_filetime_now();
    assert_true(rec.creation_time <= now && now - rec.creation_time < 600ull * 10000000); /* forked just now */
    struct create_record ran = record_of(p, allowed);
    assert_int_equal(ran.creates, 1);
    assert_int_equal(ran.image_len, strlen((const char *)ran.image));
    assert_string_not_equal((const char *)ran.image, denied_a);

    assert_int_equal(ext_source_stats(EXT_PROCESS_HOOK_FANOTIFY, &after), 0);
    assert_true(after.events >= before.events + 2);
    assert_true(after.denied >= before.denied + 1);
}

static void *exec_from_thread(void *path)
{
    char *const argv[] = {path, NULL};
    execv(path, argv);
    _exit(100 + errno); /* ends the whole process */
}

/* An exec from a thread other than the main one: the create names the process and that thread. */
static void exec_from_a_thread_names_the_thread(void **state)
{
    (void)state;
    if (no_fanotify)
        test_skip(no_fanotify);
    size_t p = attach_policy(denied_a);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, exec_from_thread, denied_a) == 0)
            pthread_join(thread, NULL);
        _exit(99);
    }
    assert_int_equal(wait_child(pid), 100 + EPERM);
    struct create_record rec = record_of(p, pid);
    assert_int_equal(rec.creates, 1);
    assert_int_equal(rec.process_id, pid);
    assert_int_equal(rec.creating_process_id, pid);
    assert_true(rec.creating_thread_id > 0 && rec.creating_thread_id != (uint64_t)pid);
}

static void every_program_sees_every_create_and_any_denial_wins(void **state)
{
    (void)state;
    if (no_fanotify)
        test_skip(no_fanotify);
    size_t first = attach_policy(denied_a), second = attach_policy(denied_b);
    pid_t a, b, ok;
    assert_int_equal(run(denied_a, &a), 100 + EPERM);
    assert_int_equal(run(denied_b, &b), 100 + EPERM);
    assert_int_equal(run(dynamic, &ok), 0);
    for (size_t i = first; i <= second; i++) {
        assert_one_create(i, a, denied_a, 0); /* denied: its ld.so is never opened */
        assert_one_create(i, b, denied_b, 0);
        assert_one_create(i, ok, dynamic, 1);
    }
}

/*
 * A dynamic program opens its ELF interpreter too, a script its interpreter
 * and that one's (a script's interpreter may be a script, and may be named
 * relative to the working directory): one create of a program each, and
 * one more create per interpreter (see test_exec_followups.c).
 */
static void one_create_per_exec_of_dynamic_programs_and_scripts(void **state)
{
    (void)state;
    if (no_fanotify)
        test_skip(no_fanotify);
    size_t p = attach_policy(NULL);
    for (int round = 0; round < 3; round++) {
        pid_t prog, scr, nest, rel;
        assert_int_equal(run(dynamic, &prog), 0);
        assert_int_equal(run(script, &scr), 0);
        assert_int_equal(run(nested, &nest), 0);
        assert_int_equal(run_in("/", relative, &rel), 0);
        assert_one_create(p, prog, dynamic, 1);  /* ld.so */
        assert_one_create(p, scr, script, 2);    /* sh, ld.so */
        assert_one_create(p, nest, nested, 3);   /* script.sh, sh, ld.so */
        assert_one_create(p, rel, relative, 2);  /* bin/sh, ld.so */
    }
}

/* A filesystem mounted while the source runs is watched once the source has seen the mount table change. */
static void filesystems_mounted_later_are_watched(void **state)
{
    (void)state;
    if (no_fanotify)
        test_skip(no_fanotify);
    attach_policy(NULL);
    snprintf(mounted, sizeof(mounted), "%s/mnt", dir);
    assert_int_equal(mkdir(mounted, 0755), 0);
    assert_int_equal(mount("bpfhost-test", mounted, "tmpfs", 0, "size=16m"), 0);
    char path[PATH_MAX];
    copy_true(path, mounted, "denied_later");
    attach_policy(path);
    pid_t child;
    int code = run(path, &child);
    for (uint64_t start = now_ms(); code == 0 && now_ms() - start < WAIT_MS;) {
        struct timespec ms10 = {0, 10000000};
        nanosleep(&ms10, NULL);
        code = run(path, &child);
    }
    assert_int_equal(code, 100 + EPERM);
}

/* True if process pid has a fanotify descriptor. */
static bool has_fanotify_fd(pid_t pid)
{
    char path[64], link[128];
    bool found = false;
    for (int fd = 0; fd < 1024 && !found; fd++) {
        snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        if (n > 0) {
            link[n] = '\0';
            found = strcmp(link, "anon_inode:[fanotify]") == 0;
        }
    }
    return found;
}

/*
 * After the last detach, execs are back to normal, also while a child
 * forked during enforcement is still alive: no fork copies the fanotify
 * descriptor, which would keep its marks alive with nobody answering.
 */
static void detaching_restores_normal_execs(void **state)
{
    (void)state;
    if (no_fanotify)
        test_skip(no_fanotify);
    attach_policy(denied_a);
    pid_t child;
    assert_int_equal(run(denied_a, &child), 100 + EPERM);
    assert_false(has_fanotify_fd(getpid()));
    int gate[2];
    assert_int_equal(pipe2(gate, O_CLOEXEC), 0);
    pid_t lingering = fork();
    assert_true(lingering >= 0);
    if (lingering == 0) {
        char c;
        close(gate[1]);
        _exit(read(gate[0], &c, 1) == 0 ? 0 : 1); /* until the parent closes its end */
    }
    close(gate[0]);
    bool copied = has_fanotify_fd(lingering);
    assert_int_equal(core_link_detach(attached.links[0]), 0);
    struct ext_source_stats stats;
    assert_int_equal(ext_source_stats(EXT_PROCESS_HOOK_FANOTIFY, &stats), 0);
    assert_false(stats.running);
    int code = run(denied_a, &child);
    close(gate[1]);
    assert_int_equal(wait_child(lingering), 0);
    assert_false(copied);
    assert_int_equal(code, 0);
}

/* Drops CAP_SYS_ADMIN from the calling thread only (capabilities are per thread) and attaches. */
static void *attach_without_cap_sys_admin(void *arg)
{
    struct __user_cap_header_struct head = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct caps[2];
    if (syscall(SYS_capget, &head, caps) != 0)
        return (void *)(intptr_t)-errno;
    caps[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
    if (syscall(SYS_capset, &head, caps) != 0)
        return (void *)(intptr_t)-errno;
    return (void *)(intptr_t)core_hook_attach(core_hook_find(EXT_PROCESS_HOOK_FANOTIFY), arg, NULL, 0,
                                              &attached.links[0]);
}

static void without_cap_sys_admin_the_source_does_not_start(void **state)
{
    (void)state;
    attached.count = 1;
    char err[512] = "";
    if (core_object_load(policy_elf, NULL, &attached.objs[0], err, sizeof(err)) != 0)
        fail_msg("loading fanotify_policy: %s", err);
    uint64_t cursor = core_trace_tail();
    pthread_t thread;
    void *rc;
    assert_int_equal(pthread_create(&thread, NULL, attach_without_cap_sys_admin,
                                    core_object_find_prog(attached.objs[0], "record_and_deny")),
                     0);
    pthread_join(thread, &rc);
    assert_int_equal((intptr_t)rc, -EPERM);
    struct ext_source_stats stats;
    assert_int_equal(ext_source_stats(EXT_PROCESS_HOOK_FANOTIFY, &stats), 0);
    assert_false(stats.running);
    char line[CORE_TRACE_LINE_MAX];
    bool found = false;
    while (!found && core_trace_follow(&cursor, line, sizeof(line), 1000) >= 0)
        found = strstr(line, "fanotify_init failed") && strstr(line, "CAP_SYS_ADMIN");
    assert_true(found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(without_cap_sys_admin_the_source_does_not_start, detach_all),
        cmocka_unit_test_teardown(denied_exec_fails_with_eperm, detach_all),
        cmocka_unit_test_teardown(exec_from_a_thread_names_the_thread, detach_all),
        cmocka_unit_test_teardown(every_program_sees_every_create_and_any_denial_wins, detach_all),
        cmocka_unit_test_teardown(one_create_per_exec_of_dynamic_programs_and_scripts, detach_all),
        cmocka_unit_test_teardown(filesystems_mounted_later_are_watched, detach_all),
        cmocka_unit_test_teardown(detaching_restores_normal_execs, detach_all),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
