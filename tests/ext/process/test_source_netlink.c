/*
 * The netlink proc connector source (hook "process/netlink") on real processes:
 * the test's children are watched by tests/ext/process/progs/netlink_record.c,
 * which records what its program saw of them; other processes on the
 * machine pass by unrecorded. Runs as root, as in CI (older kernels let
 * only CAP_NET_ADMIN listen); where a probe finds the proc connector
 * unavailable (or no network namespace can be made), the tests that need
 * it are skipped with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
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

#include "common/bpf_compile.h"
#include "common/probes.h"
#include "common/skips.h"
#include "ext/ext.h"
#include "ext/process/seen_process.h"
#include "ext/process/pid_table.h"

static struct bpf_elf_object *elf;
static struct core_hook *hook;

static int setup(void **state)
{
    (void)state;
    if (ext_register_builtin() != 0 || !(hook = core_hook_find(EXT_PROCESS_HOOK_NETLINK)))
        return -1;
    char *path = bpf_compile("tests/ext/process/progs", "netlink_record", NULL);
    char err[512];
    int rc = path ? bpf_elf_open_file(path, &elf, err, sizeof(err)) : -1;
    if (rc)
        fprintf(stderr, "%s\n", path ? err : "compile failed");
    free(path);
    return rc ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    bpf_elf_close(elf);
    bpf_compile_cleanup();
    return 0;
}

/* What a watcher's program reported of one process. */

enum { MAX_SEEN = 512 };

/* One loaded copy of the recording program, with its own maps, and what it reported. */
struct watcher {
    struct core_object *obj;
    struct map *watched, *events;
    struct core_link *link;
    struct seen_process seen[MAX_SEEN];
    size_t seen_count;
};

static struct watcher *watcher_load(void)
{
    struct watcher *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    char err[512] = "";
    if (core_object_load(elf, NULL, &w->obj, err, sizeof(err)) != 0)
        fail_msg("loading netlink_record: %s", err);
    w->watched = core_map_map(core_object_find_map(w->obj, "watched"));
    w->events = core_map_map(core_object_find_map(w->obj, "events"));
    assert_true(w->watched && w->events);
    return w;
}

static void watcher_attach(struct watcher *w)
{
    assert_int_equal(core_hook_attach(hook, core_object_find_prog(w->obj, "record_event"), NULL, 0, &w->link), 0);
}

static void watcher_detach(struct watcher *w)
{
    assert_int_equal(core_link_detach(w->link), 0);
    core_link_release(w->link);
    w->link = NULL;
}

static void watcher_close(struct watcher *w)
{
    if (w->link)
        watcher_detach(w);
    assert_int_equal(ringbuf_dropped(w->events), 0); /* what is missing was never reported, not dropped here */
    core_object_close(w->obj);
    free(w);
}

static struct seen_process *slot_of(struct watcher *w, uint32_t pid)
{
    return seen_process_of(w->seen, &w->seen_count, MAX_SEEN, pid);
}

static int on_record(void *ctx, void *data, size_t size)
{
    struct netlink_event e;
    assert_int_equal(size, sizeof(e));
    memcpy(&e, data, sizeof(e));
    struct seen_process *p = slot_of(ctx, e.process_id);
    if (e.operation == PROCESS_OPERATION_CREATE) {
        p->create = e;
        p->creates++;
    } else {
        p->delete = e;
        p->deletes++;
    }
    return 0;
}

/* What w's program reported of pid so far. */
static const struct seen_process *seen_of(struct watcher *w, pid_t pid)
{
    assert_true(ringbuf_consume(w->events, on_record, w) >= 0);
    return slot_of(w, (uint32_t)pid);
}

/*
 * Forks a child that waits until every watcher watches it, then execs
 * argv with its standard input from a pipe whose write end goes to *input
 * (NULL: standard input unchanged). Returns the child's pid.
 */
static pid_t spawn_watched(char *const argv[], struct watcher *const *ws, size_t n, int *input)
{
    int go[2], in[2] = {-1, -1};
    assert_int_equal(pipe2(go, O_CLOEXEC), 0);
    if (input)
        assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char c;
        if (read(go[0], &c, 1) != 1 || (input && dup2(in[0], 0) < 0))
            _exit(126);
        execv(argv[0], argv);
        _exit(127);
    }
    close(go[0]);
    uint32_t key = (uint32_t)pid, yes = 1;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(map_update_user(ws[i]->watched, &key, &yes, MAP_ANY), 0);
    assert_int_equal(write(go[1], "x", 1), 1);
    close(go[1]);
    if (input) {
        close(in[0]);
        *input = in[1];
    }
    return pid;
}

/* Waits for pid's exit; returns its wait status. */
static int reap(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Polls (up to 10 s) until w has seen pid's create (and its delete if both). */
static const struct seen_process *wait_seen(struct watcher *w, pid_t pid, bool both)
{
    for (int i = 0; i < 1000; i++) {
        const struct seen_process *p = seen_of(w, pid);
        if (p->creates && (!both || p->deletes))
            return p;
        sleep_ms(10);
    }
    fail_msg("pid %d: %s not seen within 10 s", (int)pid, both ? "create and delete" : "create");
    return NULL;
}

static struct ext_source_stats stats_now(void)
{
    struct ext_source_stats s;
    assert_int_equal(ext_source_stats(EXT_PROCESS_HOOK_NETLINK, &s), 0);
    return s;
}

/* The bytes of a recorded string (the recorded length must fit the buffer). */
static void assert_recorded(const char *recorded, int32_t len, const char *expected)
{
    assert_int_equal(len, (int32_t)strlen(expected));
    assert_true(len <= NETLINK_RECORD_STR);
    assert_memory_equal(recorded, expected, strlen(expected));
}

/* What every event of a child of this test carries, whatever its operation. */
static void assert_child_event(const struct netlink_event *e, pid_t pid, const char *command_line, const char *image)
{
    assert_int_equal(e->parent_process_id, (uint64_t)getpid());
    assert_int_equal(e->pid_tgid, ((uint64_t)pid << 32) | (uint32_t)pid); /* the child's, not the host's */
    assert_int_equal(e->uid, getuid());
    assert_recorded(e->command_line, e->command_len, command_line);
    assert_recorded(e->image_path, e->image_len, image);
}

/* A shell child: its create and delete with the exact command line, image, parent, times and exit code. */
static void creates_and_deletes_of_children(void **state)
{
    (void)state;
    if (probe_proc_connector())
        test_skip(probe_proc_connector());
    struct watcher *w = watcher_load();
    watcher_attach(w);
    char shell[PATH_MAX];
    assert_non_null(realpath("/bin/sh", shell));
    uint64_t before = ext_filetime_now();

    char *exits[] = {"/bin/sh", "-c", "read line; exit 7", "netlink-test-exit-7", NULL};
    const char *exits_line = "/bin/sh -c read line; exit 7 netlink-test-exit-7";
    int input;
    pid_t pid = spawn_watched(exits, &w, 1, &input);
    wait_seen(w, pid, false); /* the child waits for its input: /proc still shows it */
    close(input);
    int status = reap(pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    const struct seen_process *p = wait_seen(w, pid, true);
    assert_int_equal(p->creates, 1);
    assert_int_equal(p->deletes, 1);
    assert_child_event(&p->create, pid, exits_line, shell);
    assert_int_equal(p->create.creating_process_id, (uint64_t)pid);
    assert_int_equal(p->create.creating_thread_id, (uint64_t)pid);
    assert_true(p->create.creation_time >= before - 10000000ull); /* FILETIME: 1 s of leeway */
    assert_int_equal(p->create.exit_time, 0);
    assert_child_event(&p->delete, pid, exits_line, shell);
    assert_int_equal(p->delete.exit_code, 7);
    assert_int_equal(p->delete.creation_time, p->create.creation_time);
    assert_true(p->delete.exit_time >= p->delete.creation_time);
    assert_true(p->delete.exit_time <= ext_filetime_now());

    char *killed[] = {"/bin/sh", "-c", "read line", "netlink-test-killed", NULL};
    pid = spawn_watched(killed, &w, 1, &input);
    wait_seen(w, pid, false);
    assert_int_equal(kill(pid, SIGKILL), 0);
    status = reap(pid);
    close(input);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    p = wait_seen(w, pid, true);
    assert_child_event(&p->delete, pid, "/bin/sh -c read line netlink-test-killed", shell);
    assert_int_equal(p->delete.exit_code, 128 + SIGKILL);

    struct ext_source_stats s = stats_now();
    printf("stats: %llu events, %llu lost, %llu errors\n", (unsigned long long)s.events, (unsigned long long)s.lost,
           (unsigned long long)s.errors);
    assert_true(s.running);
    assert_true(s.events >= 4);
    assert_int_equal(s.lost, 0); /* a quiet test loses nothing */
    assert_int_equal(s.errors, 0);
    assert_int_equal(s.denied, 0);
    watcher_close(w);
}

/* Runs /bin/true as a child watched by ws and waits for it. */
static pid_t run_true(struct watcher *const *ws, size_t n)
{
    char *argv[] = {"/bin/true", NULL};
    pid_t pid = spawn_watched(argv, ws, n, NULL);
    reap(pid);
    return pid;
}

/* Every attached program sees every event; the source runs only while some link is attached. */
static void programs_share_events_and_the_source_follows_links(void **state)
{
    (void)state;
    if (probe_proc_connector())
        test_skip(probe_proc_connector());
    struct watcher *a = watcher_load(), *b = watcher_load();
    struct watcher *both[] = {a, b};
    watcher_attach(a);
    watcher_attach(b);
    assert_true(stats_now().running);
    pid_t seen = run_true(both, 2);
    struct seen_process ca = *wait_seen(a, seen, true), cb = *wait_seen(b, seen, true);
    ca.create.seen_ns = cb.create.seen_ns = ca.delete.seen_ns = cb.delete.seen_ns = 0; /* each program's own clock read */
    assert_memory_equal(&ca, &cb, sizeof(ca));
    const struct seen_process *pa = &ca, *pb;
    assert_int_equal(pa->creates + pa->deletes, 2);
    assert_int_equal(pa->delete.exit_code, 0);

    watcher_detach(a);
    assert_true(stats_now().running);
    watcher_detach(b);
    assert_false(stats_now().running);
    uint64_t events = stats_now().events;
    pid_t unseen = run_true(both, 2);

    /* Once a later child is seen, the earlier one never will be: nothing listened during its life. */
    watcher_attach(a);
    assert_true(stats_now().running);
    wait_seen(a, run_true(both, 2), true);
    pa = seen_of(a, unseen);
    pb = seen_of(b, unseen);
    assert_int_equal(pa->creates + pa->deletes + pb->creates + pb->deletes, 0);
    assert_true(stats_now().events >= events + 2);
    watcher_close(a);
    watcher_close(b);
    assert_false(stats_now().running);
}

/* Outside the initial network namespace there is no proc connector: the attach fails and says why. */
static void attach_fails_outside_the_initial_network_namespace(void **state)
{
    (void)state;
    const char *no_netns = probe_new_network_namespace();
    if (no_netns)
        test_skip(no_netns);
    struct watcher *w = watcher_load();
    pid_t pid = fork(); /* no source thread runs now: the child may use the library */
    assert_true(pid >= 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) != 0)
            _exit(10);
        uint64_t cursor = core_trace_tail();
        struct core_link *link;
        if (core_hook_attach(hook, core_object_find_prog(w->obj, "record_event"), NULL, 0, &link) >= 0)
            _exit(11);
        struct ext_source_stats s;
        if (ext_source_stats(EXT_PROCESS_HOOK_NETLINK, &s) != 0 || s.running)
            _exit(12);
        char line[CORE_TRACE_LINE_MAX];
        while (core_trace_follow(&cursor, line, sizeof(line), 0) >= 0)
            if (strstr(line, "netlink proc connector") && strstr(line, "initial network namespace"))
                _exit(0);
        _exit(13);
    }
    int status = reap(pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    watcher_close(w);
}

enum { BURST = 200 };

/* A burst of short-lived children: each one's create and delete is seen or counted as lost. */
static void burst_is_seen_or_counted_lost(void **state)
{
    (void)state;
    if (probe_proc_connector())
        test_skip(probe_proc_connector());
    struct watcher *w = watcher_load();
    watcher_attach(w);
    uint64_t lost_before = stats_now().lost;
    static pid_t pids[BURST];
    char *argv[] = {"/bin/true", NULL};
    for (int i = 0; i < BURST; i++)
        pids[i] = spawn_watched(argv, &w, 1, NULL);
    for (int i = 0; i < BURST; i++)
        reap(pids[i]);

    /* Wait until all are seen, or the missing are counted lost and nothing more comes for a second. */
    int creates = 0, deletes = 0, with_command_line = 0, quiet_polls = 0;
    uint64_t lost = 0;
    for (int poll = 0; poll < 1000 && quiet_polls < 100; poll++) {
        int c = 0, d = 0, cl = 0;
        for (int i = 0; i < BURST; i++) {
            const struct seen_process *p = seen_of(w, pids[i]);
            assert_true(p->creates <= 1 && p->deletes <= 1);
            c += p->creates;
            d += p->deletes;
            cl += p->creates && p->create.command_len > 0;
        }
        lost = stats_now().lost - lost_before;
        quiet_polls = c == creates && d == deletes && (uint64_t)(2 * BURST - c - d) <= lost ? quiet_polls + 1 : 0;
        creates = c, deletes = d, with_command_line = cl;
        if (c + d == 2 * BURST)
            break;
        sleep_ms(10);
    }
    printf("burst of %d children: %d creates (%d with a command line still in /proc) and %d deletes seen, "
           "%llu events lost\n",
           BURST, creates, with_command_line, deletes, (unsigned long long)lost);
    assert_true((uint64_t)(2 * BURST - creates - deletes) <= lost);
    watcher_close(w);
}

/* The pid table keeps copies, replaces by pid and drops the oldest beyond its bounds. */
static void pid_table_bounds(void **state)
{
    (void)state;
    struct pid_table *t;
    assert_int_equal(pid_table_create(3, 1 << 20, &t), 0);
    char cmd[] = "cmd 1";
    struct pid_record rec = {.ppid = 1, .command_line = cmd, .command_line_len = 5};
    for (uint32_t pid = 100; pid < 104; pid++) {
        rec.uid = pid;
        assert_int_equal(pid_table_put(t, pid, &rec), 0);
    }
    cmd[4] = '2';
    assert_null(pid_table_get(t, 100)); /* the oldest went */
    const struct pid_record *got = pid_table_get(t, 101);
    assert_non_null(got);
    assert_int_equal(got->uid, 101);
    assert_memory_equal(got->command_line, "cmd 1", 5);
    assert_null(got->image_path);
    /* Storing 101 again makes it the newest: 102 goes next. */
    assert_int_equal(pid_table_put(t, 101, &rec), 0);
    assert_int_equal(pid_table_put(t, 104, &rec), 0);
    assert_null(pid_table_get(t, 102));
    assert_memory_equal(pid_table_get(t, 101)->command_line, "cmd 2", 5);
    pid_table_remove(t, 103);
    assert_null(pid_table_get(t, 103));
    assert_non_null(pid_table_get(t, 104));
    pid_table_destroy(t);

    /* The byte bound: a record alone may exceed it, but then it is the only one. */
    assert_int_equal(pid_table_create(100, 1, &t), 0);
    assert_int_equal(pid_table_put(t, 1, &rec), 0);
    assert_int_equal(pid_table_put(t, 2, &rec), 0);
    assert_null(pid_table_get(t, 1));
    assert_non_null(pid_table_get(t, 2));
    pid_table_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pid_table_bounds),
        cmocka_unit_test(creates_and_deletes_of_children),
        cmocka_unit_test(programs_share_events_and_the_source_follows_links),
        cmocka_unit_test(attach_fails_outside_the_initial_network_namespace),
        cmocka_unit_test(burst_is_seen_or_counted_lost),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
