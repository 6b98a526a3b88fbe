/*
 * The system-wide observing hooks on real processes: "process" (fanotify's
 * creates, the proc connector's deletes), "process/audit",
 * "process/tracepoint" and "process/netlink". For each: a burst of 500 short-lived `sh -c 'exit N'`
 * with distinct argv, all started at once; a process already running when
 * the source started; a child that forks without exec; 300 execs one
 * after another, far longer than a read window (whole, in order); a single
 * exec, seen within a few ms. Programs record
 * with tests/ext/process/progs/netlink_record.c (the test's children and their
 * children). The hooks that claim it (all but "process/netlink") must
 * give every create its exact argv and image, every delete its exit code,
 * image and command line, each process' delete after its create (also in
 * time); netlink, which reads /proc after the fact, must see or count
 * every event, and its share of exact command lines is printed. Needs
 * root; what a hook needs (fanotify permission events, the proc
 * connector, the kernel's audit, eBPF on its tracepoints) is probed first, and a hook without it
 * is skipped with the reason. On every hook, programs take turns: no run
 * overlaps another during an exec storm in parallel loops.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/bpf_objects.h"
#include "common/probes.h"
#include "common/skips.h"
#include "ext/ext.h"
#include "ext/process/proc_connector.h" /* read_window_us() */
#include "ext/process/seen_process.h"

enum { BURST = 500, MAX_SEEN = 4 * BURST, WAIT_MS = 30000, SAFETY_ALARM_S = 240 };

/* What the program reported of one process, in the order records came. */

struct watch {
    const char *hook;
    struct core_object *obj;
    struct map *watched, *events;
    struct core_link *link;
    struct seen_process *seen;
    size_t seen_count;
    uint64_t records;
};

static char shell[PATH_MAX];
static struct watch *current; /* the test's, stopped by the teardown whatever happened */

static int group_setup(void **state)
{
    (void)state;
    alarm(SAFETY_ALARM_S);
    /* What a policy decides must not depend on the machine's load: a deadline far above any exec's
     * handling (the deadline itself is tested in test_deadline.c). */
    struct ext_deadline generous = {.ms = 10000};
    if (ext_process_set_deadline(&generous) != 0)
        return -1;
    if (ext_register_builtin() != 0 || !realpath("/bin/sh", shell))
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    alarm(0);
    return test_objects_close(state);
}

/* Why hook cannot run here, or NULL. */
static const char *missing(const char *hook)
{
    const char *why = probe_root();
    if (!why && strcmp(hook, EXT_PROCESS_HOOK_TRACEPOINT) != 0)
        why = probe_proc_connector();
    if (!why && !strcmp(hook, EXT_PROCESS_HOOK))
        why = probe_fanotify_exec_perm();
    if (!why && !strcmp(hook, EXT_PROCESS_HOOK_AUDIT))
        why = probe_audit();
    if (!why && !strcmp(hook, EXT_PROCESS_HOOK_TRACEPOINT))
        why = probe_kernel_tracepoints();
    return why;
}

static struct watch *watch_start(const char *hook)
{
    struct watch *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    w->seen = calloc(MAX_SEEN, sizeof(*w->seen));
    assert_non_null(w->seen);
    w->hook = hook;
    w->obj = test_object_load("tests/ext/process/progs", "netlink_record", NULL);
    w->watched = test_map_of(w->obj, "watched");
    w->events = test_map_of(w->obj, "events");
    current = w;
    assert_int_equal(core_hook_attach(core_hook_find(hook), test_prog_of(w->obj, "record_event"), NULL, 0, &w->link),
                     0);
    return w;
}

/* Detaches and frees the test's watch, if any (a teardown). */
static int watch_stop(void **state)
{
    (void)state;
    struct watch *w = current;
    current = NULL;
    if (!w)
        return 0;
    bool dropped = ringbuf_dropped(w->events) != 0;
    if (w->link) {
        core_link_detach(w->link);
        core_link_release(w->link);
    }
    core_object_close(w->obj);
    free(w->seen);
    free(w);
    return dropped ? -1 : 0; /* what is missing was never reported, not dropped by the ring */
}

static struct seen_process *slot_of(struct watch *w, uint32_t pid)
{
    return seen_process_of(w->seen, &w->seen_count, MAX_SEEN, pid);
}

static int on_record(void *ctx, void *data, size_t size)
{
    struct watch *w = ctx;
    struct netlink_event e;
    assert_int_equal(size, sizeof(e));
    memcpy(&e, data, sizeof(e));
    struct seen_process *p = slot_of(w, e.process_id);
    w->records++;
    if (e.operation == PROCESS_OPERATION_CREATE && e.image_kind == PROCESS_IMAGE_PROGRAM) {
        p->create = e;
        p->creates++;
        p->create_at = w->records;
    } else if (e.operation == PROCESS_OPERATION_DELETE) {
        p->delete = e;
        p->deletes++;
        p->delete_at = w->records;
    }
    return 0;
}

static const struct seen_process *seen_of(struct watch *w, pid_t pid)
{
    assert_true(ringbuf_consume(w->events, on_record, w) >= 0);
    return slot_of(w, (uint32_t)pid);
}

static void watch_pid(struct watch *w, pid_t pid)
{
    uint32_t key = (uint32_t)pid, yes = 1;
    assert_int_equal(map_update_user(w->watched, &key, &yes, MAP_ANY), 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static struct ext_source_stats stats_of(const char *hook)
{
    struct ext_source_stats s;
    assert_int_equal(ext_source_stats(hook, &s), 0);
    return s;
}

/* Waits until w saw pid's delete (and its create, if create); fails after WAIT_MS. */
static const struct seen_process *wait_delete(struct watch *w, pid_t pid, bool create)
{
    for (int i = 0; i < WAIT_MS / 10; i++) {
        const struct seen_process *p = seen_of(w, pid);
        if (p->deletes && (!create || p->creates))
            return p;
        sleep_ms(10);
    }
    fail_msg("%s: pid %d: no %s within %d ms", w->hook, (int)pid, create ? "create and delete" : "delete", WAIT_MS);
    return NULL;
}

static bool recorded_is(const char *recorded, int32_t len, const char *expected)
{
    return len == (int32_t)strlen(expected) && memcmp(recorded, expected, strlen(expected)) == 0;
}

/* Whether the hook claims exact argv and images (it is not netlink's after-the-fact /proc read). */
static bool exact(const char *hook)
{
    return strcmp(hook, EXT_PROCESS_HOOK_NETLINK) != 0;
}

/* A burst of 500 `sh -c 'exit N' burst-I`, all released at once. */
static void burst_of_short_lived_execs(void **state)
{
    const char *hook = *state, *why = missing(hook);
    if (why)
        test_skip(why);
    struct watch *w = watch_start(hook);
    struct ext_source_stats before = stats_of(hook);
    static pid_t pids[BURST];
    uint64_t t0 = ext_filetime_now();
    int go[2];
    assert_int_equal(pipe2(go, O_CLOEXEC), 0);
    for (int i = 0; i < BURST; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char c, script[32], tag[32];
            snprintf(script, sizeof(script), "exit %d", i % 200);
            snprintf(tag, sizeof(tag), "burst-%d", i);
            char *argv[] = {"/bin/sh", "-c", script, tag, NULL};
            close(go[1]);
            if (read(go[0], &c, 1) != 0)
                _exit(126);
            execv(argv[0], argv);
            _exit(127);
        }
        watch_pid(w, pids[i]);
    }
    close(go[0]);
    close(go[1]); /* every child execs now */
    for (int i = 0; i < BURST; i++) {
        int status;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == i % 200);
    }
    /* Until every event is seen, or the missing ones are counted lost and nothing more comes. */
    int creates = 0, deletes = 0, exact_lines = 0, quiet = 0;
    uint64_t lost = 0;
    for (int poll = 0; poll < WAIT_MS / 10 && quiet < 100; poll++) {
        int c = 0, d = 0, x = 0;
        for (int i = 0; i < BURST; i++) {
            const struct seen_process *p = seen_of(w, pids[i]);
            char line[96];
            snprintf(line, sizeof(line), "/bin/sh -c exit %d burst-%d", i % 200, i);
            c += p->creates > 0;
            d += p->deletes > 0;
            x += p->creates && recorded_is(p->create.command_line, p->create.command_len, line);
        }
        lost = stats_of(hook).lost - before.lost;
        quiet = c == creates && d == deletes && (uint64_t)(2 * BURST - c - d) <= lost ? quiet + 1 : 0;
        creates = c, deletes = d, exact_lines = x;
        if (c + d == 2 * BURST)
            break;
        sleep_ms(10);
    }
    struct ext_source_stats after = stats_of(hook);
    print_message("%s: burst of %d: %d creates (%d with the exact command line), %d deletes, %llu lost, "
                  "%llu errors\n", hook, BURST, creates, exact_lines, deletes, (unsigned long long)lost,
                  (unsigned long long)(after.errors - before.errors));
    assert_true((uint64_t)(2 * BURST - creates - deletes) <= lost);
    if (exact(hook)) {
        assert_int_equal(lost, 0);
        assert_int_equal(after.errors, before.errors);
        for (int i = 0; i < BURST; i++) {
            const struct seen_process *p = seen_of(w, pids[i]);
            char line[96];
            snprintf(line, sizeof(line), "/bin/sh -c exit %d burst-%d", i % 200, i);
            assert_int_equal(p->creates, 1);
            assert_int_equal(p->deletes, 1);
            if (!recorded_is(p->create.command_line, p->create.command_len, line))
                fail_msg("%s: pid %d: create's command line \"%.*s\", not \"%s\"", hook, (int)pids[i],
                         p->create.command_len, p->create.command_line, line);
            assert_true(recorded_is(p->create.image_path, p->create.image_len, shell));
            assert_true(recorded_is(p->delete.command_line, p->delete.command_len, line));
            assert_true(recorded_is(p->delete.image_path, p->delete.image_len, shell));
            assert_int_equal(p->delete.exit_code, i % 200);
            assert_int_equal(p->create.parent_process_id, getpid());
            /* In order: the delete after the create, never earlier in time. */
            assert_true(p->create_at < p->delete_at);
            assert_int_equal(p->delete.creation_time, p->create.creation_time);
            assert_true(p->create.creation_time >= t0 - 10000000ull); /* forked just before (1 s of leeway) */
            assert_true(p->delete.exit_time >= p->create.creation_time);
        }
    }
}

/* Waits for a byte on fd, then execs nothing: a process that only forks stays its parent's image. */
/*
 * Starts a shell that forks a subshell exiting 3 without an exec, then
 * waits for a line on its input (written to *release) and exits 5. With w,
 * its pid is watched before it execs (the child waits for that), so its
 * create cannot come before the watch.
 */
static pid_t start_waiting_shell(const char *tag, int *release, struct watch *w)
{
    int gate[2], go[2];
    assert_int_equal(pipe2(gate, O_CLOEXEC), 0);
    assert_int_equal(pipe2(go, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[] = {"/bin/sh", "-c", "(exit 3); read line; exit 5", (char *)tag, NULL};
        char byte;
        close(go[1]);
        if (dup2(gate[0], 0) < 0 || read(go[0], &byte, 1) != 1)
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    close(gate[0]);
    close(go[0]);
    if (w)
        watch_pid(w, pid);
    assert_int_equal(write(go[1], "g", 1), 1);
    close(go[1]);
    *release = gate[1];
    return pid;
}

/* A process running before the source started, and a child that only forks: their deletes carry who they were. */
static void deletes_of_processes_running_before_and_fork_only_children(void **state)
{
    const char *hook = *state, *why = missing(hook);
    if (why)
        test_skip(why);
    char before_line[64];
    snprintf(before_line, sizeof(before_line), "/bin/sh -c (exit 3); read line; exit 5 running-before");
    int release;
    pid_t early = start_waiting_shell("running-before", &release, NULL);
    /* Until it is its shell, waiting for input: /proc shows its argv. */
    char path[64], cmdline[256] = "";
    snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)early);
    for (int i = 0; i < 500 && !strstr(cmdline, "running-before"); i++) {
        sleep_ms(10);
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(cmdline, 1, sizeof(cmdline) - 1, f);
            for (size_t j = 0; j < n; j++)
                cmdline[j] = cmdline[j] ? cmdline[j] : ' ';
            cmdline[n] = '\0';
            fclose(f);
        }
    }
    struct watch *w = watch_start(hook);
    watch_pid(w, early);
    sleep_ms(100); /* the subshell has exited long ago; now the shell */
    assert_int_equal(write(release, "\n", 1), 1);
    close(release);
    int status;
    assert_int_equal(waitpid(early, &status, 0), early);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 5);
    const struct seen_process *p = wait_delete(w, early, false);
    assert_int_equal(p->delete.exit_code, 5);
    assert_true(recorded_is(p->delete.command_line, p->delete.command_len, before_line));
    assert_true(recorded_is(p->delete.image_path, p->delete.image_len, shell));

    /* Watched from the start: the subshell's delete (its pid unknown to us, its parent watched). */
    char line[64];
    snprintf(line, sizeof(line), "/bin/sh -c (exit 3); read line; exit 5 fork-only");
    pid_t parent = start_waiting_shell("fork-only", &release, w);
    sleep_ms(200);
    assert_int_equal(write(release, "\n", 1), 1);
    close(release);
    assert_int_equal(waitpid(parent, &status, 0), parent);
    wait_delete(w, parent, true);
    const struct seen_process *sub = NULL;
    for (int i = 0; i < WAIT_MS / 10 && !sub; i++) {
        seen_of(w, parent);
        for (size_t j = 0; j < w->seen_count && !sub; j++)
            if (w->seen[j].deletes && w->seen[j].delete.parent_process_id == (uint64_t)parent)
                sub = &w->seen[j];
        if (!sub)
            sleep_ms(10);
    }
    assert_non_null(sub);
    assert_int_equal(sub->creates, 0); /* no exec: no create */
    assert_int_equal(sub->delete.exit_code, 3);
    assert_true(recorded_is(sub->delete.command_line, sub->delete.command_len, line));
    assert_true(recorded_is(sub->delete.image_path, sub->delete.image_len, shell));
}

enum { SEQUENCE = 300, LATENCY_TRIES = 5, LATENCY_MS_MAX = 5 };

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs "/bin/true TAG" as a child watched by w and reaps it; *released_ns: when it was let exec. */
static pid_t run_watched_true(struct watch *w, const char *tag, uint64_t *released_ns)
{
    int go[2];
    assert_int_equal(pipe2(go, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 0)
            _exit(126);
        execl("/bin/true", "/bin/true", tag, (char *)NULL);
        _exit(127);
    }
    close(go[0]);
    watch_pid(w, pid);
    *released_ns = monotonic_ns();
    close(go[1]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return pid;
}

/* Whether one thread hands on every event in the order the proc connector gave them (not "process"'s two). */
static bool one_reader(const char *hook)
{
    return strcmp(hook, EXT_PROCESS_HOOK) != 0;
}

/*
 * Execs one after another for far longer than a reader's window (so the
 * readers drain in windows, as under a storm): every create and delete
 * arrives, each process' delete after its create; on the hooks with one
 * reader also across processes: each exec's events before the next's.
 */
static void sequence_longer_than_a_window_arrives_whole_and_in_order(void **state)
{
    const char *hook = *state, *why = missing(hook);
    if (why)
        test_skip(why);
    struct watch *w = watch_start(hook);
    uint64_t lost_before = stats_of(hook).lost, start = monotonic_ns(), released;
    static pid_t pids[SEQUENCE];
    for (int i = 0; i < SEQUENCE; i++) {
        char tag[32];
        snprintf(tag, sizeof(tag), "sequence-%d", i);
        pids[i] = run_watched_true(w, tag, &released);
    }
    uint64_t took_ms = (monotonic_ns() - start) / 1000000u;
    int whole = 0;
    for (int poll = 0; poll < WAIT_MS / 10 && whole < SEQUENCE; poll++) {
        whole = 0;
        for (int i = 0; i < SEQUENCE; i++) {
            const struct seen_process *p = seen_of(w, pids[i]);
            whole += p->creates && p->deletes;
        }
        if (whole < SEQUENCE)
            sleep_ms(10);
    }
    print_message("%s: %d execs one after another in %llu ms: %d seen whole\n", hook, SEQUENCE,
                  (unsigned long long)took_ms, whole);
    assert_true(took_ms * 1000u > 10u * read_window_us());
    assert_int_equal(stats_of(hook).lost, lost_before);
    for (int i = 0; i < SEQUENCE; i++) {
        const struct seen_process *p = seen_of(w, pids[i]), *prev = i ? seen_of(w, pids[i - 1]) : NULL;
        char line[64];
        snprintf(line, sizeof(line), "/bin/true sequence-%d", i);
        assert_int_equal(p->creates, 1);
        assert_int_equal(p->deletes, 1);
        assert_true(p->create_at < p->delete_at);
        if (exact(hook))
            assert_true(recorded_is(p->create.command_line, p->create.command_len, line));
        if (prev && one_reader(hook) && prev->delete_at > p->create_at)
            fail_msg("%s: the create of exec %d came before the delete of exec %d", hook, i, i - 1);
    }
}

/*
 * A single exec's create comes within a few ms: at once on a quiet
 * machine, at most a read window later when other execs (parallel tests)
 * keep the reader in windows (test_read_window.c checks the quiet wake-up
 * itself).
 */
static void single_exec_arrives_within_a_few_ms(void **state)
{
    const char *hook = *state, *why = missing(hook);
    if (why)
        test_skip(why);
    struct watch *w = watch_start(hook);
    uint64_t latency_us[LATENCY_TRIES];
    for (int t = 0; t < LATENCY_TRIES; t++) {
        sleep_ms(50); /* quiet: the readers wait in poll() again */
        uint64_t released;
        pid_t pid = run_watched_true(w, "quiet", &released);
        const struct seen_process *p = wait_delete(w, pid, true);
        latency_us[t] = (p->create.seen_ns - released) / 1000u;
        for (int i = t; i > 0 && latency_us[i] < latency_us[i - 1]; i--) {
            uint64_t swap = latency_us[i];
            latency_us[i] = latency_us[i - 1];
            latency_us[i - 1] = swap;
        }
    }
    uint64_t median = latency_us[LATENCY_TRIES / 2];
    print_message("%s: a single exec's create came %llu us after it was let exec (median of %d; %llu-%llu)\n", hook,
                  (unsigned long long)median, LATENCY_TRIES, (unsigned long long)latency_us[0],
                  (unsigned long long)latency_us[LATENCY_TRIES - 1]);
    assert_true(median <= LATENCY_MS_MAX * 1000u + read_window_us());
}

enum { OVERLAP_LOOPS = 2, OVERLAP_EXECS = 300 };

/* One loop of fork+exec+wait of /bin/true (children of this process); NULL if every exec ran. */
static void *exec_loop(void *arg)
{
    (void)arg;
    for (int i = 0; i < OVERLAP_EXECS; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execl("/bin/true", "/bin/true", "overlap", (char *)NULL);
            _exit(127);
        }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            return (void *)1;
    }
    return NULL;
}

/*
 * Programs of one hook never run at once, as in the kernel, where a
 * program runs with its CPU to itself: a monitor keeps its record in a
 * per-CPU scratch value, which two runs on one CPU would share (two
 * processes' command lines mixed in one record). On "process", creates
 * come from the fanotify reader's relay and deletes from the proc
 * connector's thread: they take turns. An exec storm in parallel loops;
 * a program that holds a counter for a few thousand instructions counts
 * the runs that found another one running.
 */
static void runs_never_overlap_under_an_exec_storm(void **state)
{
    const char *hook = *state, *why = missing(hook);
    if (why)
        test_skip(why);
    struct core_object *obj = test_object_load("tests/ext/process/progs", "overlap_probe", NULL);
    struct map *probe = test_map_of(obj, "probe");
    uint32_t zero = 0;
    uint64_t init[4] = {(uint64_t)getpid(), 0, 0, 0}, got[4];
    assert_int_equal(map_update_user(probe, &zero, init, 0), 0);
    struct core_link *link;
    assert_int_equal(core_hook_attach(core_hook_find(hook), test_prog_of(obj, "count_overlaps"), NULL, 0, &link), 0);
    pthread_t loops[OVERLAP_LOOPS];
    for (int i = 0; i < OVERLAP_LOOPS; i++)
        assert_int_equal(pthread_create(&loops[i], NULL, exec_loop, NULL), 0);
    bool ran = true;
    for (int i = 0; i < OVERLAP_LOOPS; i++) {
        void *rc;
        pthread_join(loops[i], &rc);
        ran = ran && !rc;
    }
    /* Every exec is a create and a delete (and its ld.so a create of its own on "process"). */
    uint64_t expected = 2 * OVERLAP_LOOPS * OVERLAP_EXECS;
    for (int i = 0; i < WAIT_MS / 10; i++) {
        assert_int_equal(map_lookup_copy(probe, &zero, got), 0);
        if (got[2] >= expected)
            break;
        sleep_ms(10);
    }
    core_link_detach(link);
    core_link_release(link);
    core_object_close(obj);
    print_message("%s: %llu runs, %llu overlapping another\n", hook, (unsigned long long)got[2],
                  (unsigned long long)got[3]);
    assert_true(ran);
    assert_true(got[2] >= expected);
    assert_int_equal(got[3], 0);
}

int main(void)
{
    static const char *hooks[] = {EXT_PROCESS_HOOK, EXT_PROCESS_HOOK_AUDIT, EXT_PROCESS_HOOK_TRACEPOINT,
                                  EXT_PROCESS_HOOK_NETLINK};
    static const struct {
        const char *name;
        CMUnitTestFunction fn;
    } kinds[] = {
        {"burst_of_short_lived_execs", burst_of_short_lived_execs},
        {"deletes_of_processes_running_before_and_fork_only_children",
         deletes_of_processes_running_before_and_fork_only_children},
        {"sequence_longer_than_a_window_arrives_whole_and_in_order",
         sequence_longer_than_a_window_arrives_whole_and_in_order},
        {"single_exec_arrives_within_a_few_ms", single_exec_arrives_within_a_few_ms},
    };
    enum { HOOKS = sizeof(hooks) / sizeof(hooks[0]), KINDS = sizeof(kinds) / sizeof(kinds[0]) };
    static char names[(KINDS + 1) * HOOKS][128];
    struct CMUnitTest tests[(KINDS + 1) * HOOKS];
    size_t n = 0;
    for (size_t i = 0; i < HOOKS; i++)
        for (size_t k = 0; k < KINDS; k++, n++) {
            snprintf(names[n], sizeof(names[0]), "%s on %s", kinds[k].name, hooks[i]);
            tests[n] = (struct CMUnitTest){names[n], kinds[k].fn, NULL, watch_stop, (void *)hooks[i]};
        }
    for (size_t i = 0; i < HOOKS; i++, n++) {
        snprintf(names[n], sizeof(names[0]), "runs_never_overlap_under_an_exec_storm on %s", hooks[i]);
        tests[n] = (struct CMUnitTest){names[n], runs_never_overlap_under_an_exec_storm, NULL, NULL, (void *)hooks[i]};
    }
    return _cmocka_run_group_tests("ext/system_sources", tests, n, group_setup, group_teardown);
}
