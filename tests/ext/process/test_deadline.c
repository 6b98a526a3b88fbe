/*
 * The deadline of the deny hooks (ext_process_set_deadline()) on real
 * execs: a program that loops forever on the creates of this test's
 * children is stopped at the deadline and the exec is answered (allowed,
 * or denied when failing closed), counted as an error and traced; a
 * helper that blocks past the deadline (the digest of a large image) is
 * left running while the exec is answered, and the next exec is not held
 * by it; an exec whose arguments are slow to read (memory behind a
 * userfaultfd, as a FUSE file would be) holds no other exec, neither past
 * its deadline nor before it (exec opens are handled at once), and
 * stopping the source waits for it. Each test
 * runs on every deny hook. Root and fanotify permission
 * events are probed first; without them the tests are skipped.
 *
 * Safety: links are detached in each teardown; an alarm ends the process
 * should it hang (the kernel then allows every pending exec).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/bpf_objects.h"
#include "common/held_exec.h"
#include "common/probes.h"
#include "common/skips.h"
#include "common/subprocess.h"
#include "ext/ext.h"

/* The deadline is shorter than the instruction budget takes here (about 0.1 s), so the deadline stops the loop. */
enum { SAFETY_ALARM_S = 120, DEADLINE_MS = 20, BIG_IMAGE_BYTES = 256 << 20 };

struct config {
    uint64_t parent_pid;
    uint64_t mode; /* 1: loop forever; 2: hash the image */
};

static const char *no_fanotify;
static char dir[] = "/tmp/bpfhost-deadline-XXXXXX";
static char small[PATH_MAX], other[PATH_MAX], big[PATH_MAX];
static struct core_object *obj;
static struct core_link *attached_link;

static uint64_t now_ms(void)
{
    return ext_monotonic_ns() / 1000000u;
}

static int group_setup(void **state)
{
    (void)state;
    alarm(SAFETY_ALARM_S);
    if (ext_register_builtin() != 0)
        return -1;
    if ((no_fanotify = probe_fanotify_exec_perm()))
        return 0;
    if (!mkdtemp(dir))
        return -1;
    snprintf(small, sizeof(small), "%s/small", dir);
    snprintf(other, sizeof(other), "%s/other", dir);
    snprintf(big, sizeof(big), "%s/big", dir);
    return subprocess_shell("cp /bin/true %s && cp /bin/true %s", small, other) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    unlink(small);
    unlink(other);
    unlink(big);
    rmdir(dir);
    alarm(0);
    return test_objects_close(state);
}

static int detach(void **state)
{
    (void)state;
    if (attached_link) {
        core_link_detach(attached_link);
        core_link_release(attached_link);
        attached_link = NULL;
    }
    core_object_close(obj);
    obj = NULL;
    struct ext_deadline d = {.ms = EXT_DEADLINE_DEFAULT_MS};
    return ext_process_set_deadline(&d);
}

/* Attaches slow_policy to hook in mode, with the deadline ms (failing closed or not). */
static void attach_slow(const char *hook, uint64_t mode, unsigned ms, bool fail_closed)
{
    struct ext_deadline d = {.ms = ms, .fail_closed = fail_closed};
    assert_int_equal(ext_process_set_deadline(&d), 0);
    obj = test_object_load("tests/ext/process/progs", "slow_policy", NULL);
    struct config cfg = {.parent_pid = (uint64_t)getpid(), .mode = mode};
    uint32_t zero = 0;
    assert_int_equal(map_update_user(test_map_of(obj, "config"), &zero, &cfg, 0), 0);
    assert_int_equal(core_hook_attach(core_hook_find(hook), test_prog_of(obj, "slow_on_children"), NULL, 0, &attached_link), 0);
}

/* Starts path in a child; its pid. */
static pid_t start(const char *path)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *const argv[] = {(char *)path, NULL};
        execv(path, argv);
        _exit(100 + errno);
    }
    return pid;
}

/* Waits for child pid: 0 if it ran, 100 + errno if its exec failed. */
static int finish(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Whether a trace line after cursor mentions both fragments, within wait_ms. */
static bool traced(uint64_t cursor, const char *a, const char *b, int wait_ms)
{
    char line[CORE_TRACE_LINE_MAX];
    while (core_trace_follow(&cursor, line, sizeof(line), wait_ms) >= 0)
            if (strstr(line, a) && strstr(line, b))
            return true;
    return false;
}

/*
 * A program looping forever: each exec open is answered at its deadline
 * (an exec of /bin/true opens the program and ld.so: two deadlines).
 */
static void looping_program_is_stopped_at_the_deadline(void **state)
{
    const char *hook = *state;
    if (no_fanotify)
        test_skip(no_fanotify);
    struct ext_source_stats before, after;
    assert_int_equal(ext_source_stats(hook, &before), 0);
    attach_slow(hook, 1, DEADLINE_MS, false);
    uint64_t cursor = core_trace_tail(), t0 = now_ms();
    assert_int_equal(finish(start(small)), 0); /* fail open: allowed */
    uint64_t took = now_ms() - t0;
    print_message("exec under a looping program, deadline %d ms, fail open: %llu ms\n", DEADLINE_MS,
                  (unsigned long long)took);
    assert_true(took >= DEADLINE_MS);
    assert_true(took < 2 * DEADLINE_MS + 400);
    assert_true(traced(cursor, "deadline", "allowed (fail open)", 1000));
    assert_int_equal(ext_source_stats(hook, &after), 0);
    assert_true(after.errors >= before.errors + 1);

    /* Failing closed, the same exec is denied, as quickly. */
    struct ext_deadline d = {.ms = DEADLINE_MS, .fail_closed = true};
    assert_int_equal(ext_process_set_deadline(&d), 0);
    t0 = now_ms();
    assert_int_equal(finish(start(small)), 100 + EPERM);
    took = now_ms() - t0;
    assert_true(took < 2 * DEADLINE_MS + 400);
    assert_int_equal(ext_source_stats(hook, &before), 0);
    assert_true(before.denied >= after.denied + 1);
}

/*
 * A helper blocking past the deadline (the digest of a 256 MiB image):
 * the exec is answered at the deadline, and an exec right after it is not
 * held by the dispatch still running.
 */
static void blocking_helper_does_not_hold_other_execs(void **state)
{
    const char *hook = *state;
    if (no_fanotify)
        test_skip(no_fanotify);
    /* A program whose digest takes long, new for each test (digests are cached): /bin/true with zeros after it. */
    assert_int_equal(subprocess_shell("cp /bin/true %s && truncate -s %d %s", big, BIG_IMAGE_BYTES, big), 0);
    uint64_t limit = ext_image_sha256_max_size(BIG_IMAGE_BYTES); /* over the default */
    attach_slow(hook, 2, DEADLINE_MS, false);
    uint64_t cursor = core_trace_tail(), t0 = now_ms();
    pid_t slow = start(big);
    assert_int_equal(finish(slow), 0);
    uint64_t took = now_ms() - t0;
    t0 = now_ms();
    assert_int_equal(finish(start(other)), 0);
    uint64_t next = now_ms() - t0;
    print_message("exec whose digest blocks: %llu ms; the next exec: %llu ms\n", (unsigned long long)took,
                  (unsigned long long)next);
    ext_image_sha256_max_size(limit);
    assert_true(traced(cursor, "still ran past", "allowed (fail open)", 1000));
    unlink(big);
    /* The digest alone takes longer than either (hundreds of ms); generous bounds for a loaded machine. */
    assert_true(took < 400);
    assert_true(next < 400);
}

/*
 * The default, decided for an administrator: fail open. Nothing set, a
 * looping program's exec is answered at the default deadline, allowed
 * (counted, traced); a link attached fail-closed (the policy's own say)
 * denies it all the same.
 */
static void default_is_fail_open_and_a_fail_closed_link_denies(void **state)
{
    const char *hook = *state;
    if (no_fanotify)
        test_skip(no_fanotify);
    struct ext_deadline d;
    ext_process_get_deadline(&d);
    assert_int_equal(d.ms, EXT_DEADLINE_DEFAULT_MS);
    assert_false(d.fail_closed);
    obj = test_object_load("tests/ext/process/progs", "slow_policy", NULL);
    struct config cfg = {.parent_pid = (uint64_t)getpid(), .mode = 1};
    uint32_t zero = 0;
    assert_int_equal(map_update_user(test_map_of(obj, "config"), &zero, &cfg, 0), 0);
    struct core_prog *prog = test_prog_of(obj, "slow_on_children");
    assert_int_equal(core_hook_attach(core_hook_find(hook), prog, NULL, 0, &attached_link), 0);
    uint64_t cursor = core_trace_tail(), t0 = now_ms();
    assert_int_equal(finish(start(small)), 0);
    uint64_t took = now_ms() - t0;
    print_message("exec under a looping program, default deadline: %llu ms\n", (unsigned long long)took);
    assert_true(took >= EXT_DEADLINE_DEFAULT_MS);
    assert_true(traced(cursor, "deadline", "allowed (fail open)", 1000));
    core_link_detach(attached_link);
    core_link_release(attached_link);
    struct ext_process_link_opts closed = {.flags = EXT_PROCESS_FAIL_CLOSED};
    assert_int_equal(core_hook_attach(core_hook_find(hook), prog, &closed, sizeof(closed), &attached_link), 0);
    assert_int_equal(finish(start(small)), 100 + EPERM);
}

/*
 * Threads of this process in another file table than the calling thread's
 * (the fanotify reader keeps its own; relays, which run programs, must
 * be in the host's): those that do not see a descriptor opened here.
 */
static int threads_in_other_file_tables(void)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    struct stat mine;
    assert_true(fd >= 0 && fstat(fd, &mine) == 0);
    DIR *tasks = opendir("/proc/self/task");
    assert_non_null(tasks);
    int others = 0;
    for (struct dirent *e; (e = readdir(tasks)) != NULL;) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX];
        struct stat st;
        snprintf(path, sizeof(path), "/proc/self/task/%s/fd/%d", e->d_name, fd);
        others += stat(path, &st) != 0 || st.st_dev != mine.st_dev || st.st_ino != mine.st_ino;
    }
    closedir(tasks);
    close(fd);
    return others;
}

/*
 * Another process with a fanotify group (another bpfhost's source, an
 * antivirus), or 0: the kernel asks groups one after the other, so a
 * listener of another process that is slow on an exec (it reads the same
 * held memory) holds every exec before ours is even asked.
 */
/* Whether the file table of task dir (/proc/PID/task/TID) holds a fanotify group. */
static bool holds_fanotify(const char *task)
{
    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof(dir), "%s/fdinfo", task);
    DIR *fds = opendir(dir);
    bool found = false;
    for (struct dirent *f; fds && !found && (f = readdir(fds)) != NULL;) {
        char path[PATH_MAX + 300], text[512] = "";
        snprintf(path, sizeof(path), "%s/%s", dir, f->d_name);
        FILE *info = f->d_name[0] != '.' ? fopen(path, "r") : NULL;
        if (info) {
            size_t n = fread(text, 1, sizeof(text) - 1, info);
            text[n] = '\0';
            fclose(info);
        }
        found = strstr(text, "fanotify flags:") != NULL;
    }
    if (fds)
        closedir(fds);
    return found;
}

/* Another process with a fanotify group (in any thread's file table: bpfhost keeps its own apart), or 0. */
static pid_t other_fanotify_listener(void)
{
    DIR *proc = opendir("/proc");
    assert_non_null(proc);
    pid_t found = 0;
    for (struct dirent *p; !found && (p = readdir(proc)) != NULL;) {
        char *end;
        long pid = strtol(p->d_name, &end, 10);
        if (*end || pid <= 0 || pid == getpid())
            continue;
        char tasks_dir[64];
        snprintf(tasks_dir, sizeof(tasks_dir), "/proc/%ld/task", pid);
        DIR *tasks = opendir(tasks_dir);
        for (struct dirent *t; tasks && !found && (t = readdir(tasks)) != NULL;) {
            char task[PATH_MAX];
            snprintf(task, sizeof(task), "%s/%s", tasks_dir, t->d_name);
            if (t->d_name[0] != '.' && holds_fanotify(task))
                found = (pid_t)pid;
        }
        if (tasks)
            closedir(tasks);
    }
    closedir(proc);
    return found;
}

/* Skips the test where no exec can be held (no userfaultfd to make memory slow to read). */
static void skip_without_held_exec(void)
{
    const char *why = held_exec_unavailable();
    if (why)
        test_skip(why);
}

/* An exec timed while a child's exec has its argument held (see exec_beside_held()). */
struct beside_held {
    pid_t held;        /* the child whose exec is held, to finish */
    pid_t listener;    /* another process listening to fanotify before, or 0 */
    uint64_t cursor;   /* the trace before */
    uint64_t held_t0;  /* when the held child was started (ms) */
    uint64_t took;     /* the other exec's time (ms) */
};

/* On hook with the deadline deadline_ms: a child execs small with its argument held hold_ms; other is timed meanwhile. */
static void exec_beside_held(const char *hook, int hold_ms, unsigned deadline_ms, struct beside_held *b)
{
    if (no_fanotify)
        test_skip(no_fanotify);
    skip_without_held_exec();
    b->listener = other_fanotify_listener();
    attach_slow(hook, 0, deadline_ms, false);
    b->cursor = core_trace_tail();
    b->held_t0 = now_ms();
    b->held = fork();
    assert_true(b->held >= 0);
    if (b->held == 0)
        held_exec(small, hold_ms);
    struct timespec settle = {0, 100 * 1000000L}; /* its exec open is being read by now */
    nanosleep(&settle, NULL);
    uint64_t t0 = now_ms();
    assert_int_equal(finish(start(other)), 0);
    b->took = now_ms() - t0;
    print_message("an exec while another's arguments are held %d ms: %llu ms\n", hold_ms, (unsigned long long)b->took);
}

/* Whether another process listens to fanotify (before, or now): its answers time every exec, so check is skipped. */
static bool skipped_for_listener(pid_t listener, const char *check)
{
    if (!listener)
        listener = other_fanotify_listener();
    if (listener) {
        static char why[128];
        snprintf(why, sizeof(why), "pid %d listens to fanotify too: its answers time every exec", (int)listener);
        test_skip_check(check, why);
    }
    return listener != 0;
}

/*
 * An exec whose arguments are slow to read (memory behind a userfaultfd,
 * as a FUSE file would be): the source's reading of it is left behind at
 * the deadline, the exec answered, and other execs go on meanwhile, on a
 * relay in the host's file table like the one left behind.
 */
static void slow_memory_of_one_exec_does_not_hold_other_execs(void **state)
{
    enum { HOLD_MS = 800 };
    struct beside_held b;
    exec_beside_held(*state, HOLD_MS, DEADLINE_MS, &b);
    bool ours_held = traced(b.cursor, "still ran past", "allowed (fail open)", 2 * HOLD_MS);
    assert_int_equal(finish(b.held), 0);
    if (!skipped_for_listener(b.listener, "the other exec is not held")) {
        assert_true(ours_held);
        assert_true(b.took < 400);
    }
    assert_int_equal(threads_in_other_file_tables(), 1); /* the reader only */
}

/*
 * Exec opens are handled at once: while one exec's arguments are held
 * (well within the deadline), an exec by another process is answered
 * before it, and the held one is answered once its reading ends, not at
 * its deadline. Handled one at a time, the other exec would wait for the
 * held one's reading.
 */
static void exec_is_answered_while_another_is_slow_to_read(void **state)
{
    enum { HOLD_MS = 1500, LONG_DEADLINE_MS = 5000 }; /* half of it: room for an exec under a loaded ASan run */
    struct beside_held b;
    exec_beside_held(*state, HOLD_MS, LONG_DEADLINE_MS, &b);
    assert_int_equal(finish(b.held), 0);
    uint64_t held_took = now_ms() - b.held_t0;
    print_message("the held exec: %llu ms\n", (unsigned long long)held_took);
    assert_false(traced(b.cursor, "the deadline", "allowed (fail open)", 200)); /* each answered by its own end */
    assert_true(held_took >= HOLD_MS);
    if (!skipped_for_listener(b.listener, "the other exec is answered first"))
        assert_true(b.took < HOLD_MS / 2);
}

/*
 * One user's execs held past their deadline (their arguments behind a
 * userfaultfd, as a FUSE file of the user's would hold them) keep at most
 * two relays: the user's next exec is answered by the setting at once,
 * without being read, and traced; another user's exec is still read and
 * its programs run, not stalled. The third comes from a user namespace
 * the user made (as with subuids, it is still that user). Without the
 * limit the third held exec takes a relay like the others (no trace line:
 * the test fails).
 */
static void one_user_holds_at_most_two_relays(void **state)
{
    const char *hook = *state;
    if (no_fanotify)
        test_skip(no_fanotify);
    skip_without_held_exec();
    if (geteuid() != 0)
        test_skip("needs root: the held execs run as another user");
    enum { HOLD_MS = 2500, DEADLINE = 100, LEFT_BEHIND_MS = 400, NOBODY = 65534 };
    attach_slow(hook, 0, DEADLINE, false); /* fail open: a held exec goes on, held in the kernel's copy */
    uint64_t cursor = core_trace_tail();
    pid_t held[3];
    for (int i = 0; i < 3; i++) {
        held[i] = fork();
        assert_true(held[i] >= 0);
        /* The third from a user namespace of the user's own: it counts against the same user. */
        if (held[i] == 0)
            held_exec_as("/bin/true", HOLD_MS, NOBODY, i == 2); /* world-executable: our directory is not */
        struct timespec left = {0, LEFT_BEHIND_MS * 1000000L}; /* past its deadline and the grace */
        nanosleep(&left, NULL);
    }
    assert_true(traced(cursor, "answered without programs: its user (uid 65534) holds 2 exec opens past their deadline",
                       "allowed (fail open)", 1000));
    uint64_t t0 = now_ms();
    assert_int_equal(finish(start(small)), 0); /* ours: read, its programs run, allowed */
    uint64_t took = now_ms() - t0;
    print_message("an exec of another user beside three held ones: %llu ms\n", (unsigned long long)took);
    assert_true(took < HOLD_MS / 2);
    for (int i = 0; i < 3; i++)
        assert_int_equal(finish(held[i]), 0); /* allowed (fail open), they ran once their page was there */
}

/*
 * Detaching the last link while an exec open is being read (its argument
 * held, well within the deadline): the source's stop waits for that
 * relay, which answers the exec (not the kernel, closing the group under
 * it, nor a relay freed while it still runs: the sanitizer build checks).
 */
static void stopping_waits_for_the_exec_being_read(void **state)
{
    const char *hook = *state;
    if (no_fanotify)
        test_skip(no_fanotify);
    skip_without_held_exec();
    enum { HOLD_MS = 500, SETTLE_MS = 100, LONG_DEADLINE_MS = 5000 };
    attach_slow(hook, 0, LONG_DEADLINE_MS, false);
    uint64_t cursor = core_trace_tail();
    pid_t held = fork();
    assert_true(held >= 0);
    if (held == 0)
        held_exec(small, HOLD_MS);
    struct timespec settle = {0, SETTLE_MS * 1000000L}; /* its exec open is being read by now */
    nanosleep(&settle, NULL);
    uint64_t t0 = now_ms();
    core_link_detach(attached_link);
    uint64_t took = now_ms() - t0;
    core_link_release(attached_link);
    attached_link = NULL;
    struct ext_source_stats stats;
    assert_int_equal(ext_source_stats(hook, &stats), 0);
    assert_false(stats.running);
    assert_int_equal(finish(held), 0);
    print_message("stop while an exec's arguments are held %d ms: %llu ms\n", HOLD_MS, (unsigned long long)took);
    assert_true(took >= HOLD_MS - SETTLE_MS - 50);
    assert_false(traced(cursor, "the deadline", "allowed (fail open)", 100));
}

int main(void)
{
    static const char *hooks[] = {EXT_PROCESS_HOOK_FANOTIFY, EXT_PROCESS_HOOK};
    /* Each test on each hook. */
    static const struct {
        const char *name;
        CMUnitTestFunction test;
    } cases[] = {
        {"looping_program_is_stopped_at_the_deadline", looping_program_is_stopped_at_the_deadline},
        {"blocking_helper_does_not_hold_other_execs", blocking_helper_does_not_hold_other_execs},
        {"default_is_fail_open_and_a_fail_closed_link_denies", default_is_fail_open_and_a_fail_closed_link_denies},
        {"slow_memory_of_one_exec_does_not_hold_other_execs", slow_memory_of_one_exec_does_not_hold_other_execs},
        {"exec_is_answered_while_another_is_slow_to_read", exec_is_answered_while_another_is_slow_to_read},
        {"stopping_waits_for_the_exec_being_read", stopping_waits_for_the_exec_being_read},
        {"one_user_holds_at_most_two_relays", one_user_holds_at_most_two_relays},
    };
    enum { HOOKS = sizeof(hooks) / sizeof(hooks[0]), CASES = sizeof(cases) / sizeof(cases[0]) };
    static char names[CASES * HOOKS][128];
    struct CMUnitTest tests[CASES * HOOKS];
    size_t n = 0;
    for (size_t i = 0; i < HOOKS; i++) {
        for (size_t c = 0; c < CASES; c++, n++) {
            snprintf(names[n], sizeof(names[n]), "%s on %s", cases[c].name, hooks[i]);
            tests[n] = (struct CMUnitTest){names[n], cases[c].test, NULL, detach, (void *)hooks[i]};
        }
    }
    return _cmocka_run_group_tests("ext/deadline", tests, n, group_setup, group_teardown);
}
