/*
 * The tracepoint source (hook "process/tracepoint") tried as an attacker
 * and a new user would, with real processes: argv past one chunk of the
 * kernel program and past its 2 MiB, bytes a terminal acts on, empty
 * arguments, failed execs, another user's, a flood of long argv past the
 * ring (whole or counted lost), an exec chain, a pid namespace; #! scripts
 * by absolute and relative names and through links, programs through
 * links, a memfd run with fexecve, scripts named by a descriptor whose
 * number is another file in this (the host's) process; an exec from a
 * non-leader thread, exit codes and signals, a leader that exits before
 * its last thread, threads exiting together; executables deeper than the
 * kernel program walks and longer than a page; the source stopped and
 * started again, and refused to a host in a pid namespace. Each event is recorded by
 * tests/ext/process/progs/whole_record.c and checked to the byte (the
 * first 64 KiB of a command line: what a program can read). Needs root
 * and eBPF on the kernel's tracepoints (probed; skipped with the reason).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/bpf_objects.h"
#include "common/probes.h"
#include "common/skips.h"
#include "ext/ext.h"
#include "ext/process/progs/whole_record.h"

#define HOOK EXT_PROCESS_HOOK_TRACEPOINT

enum { WAIT_MS = 10000, SETTLE_MS = 50, SAFETY_ALARM_S = 120, MAX_RECORDS = 256 };

struct watch {
    struct core_object *obj;
    struct map *watched, *events;
    struct core_link *link;
    struct whole_event *records[MAX_RECORDS]; /* copies, in the order they came */
    size_t count;
};

static struct watch *current; /* the test's, stopped by the teardown whatever happened */
static char scratch_dir[] = "/tmp/bpfhost-tptest-XXXXXX";
static char true_path[PATH_MAX];

static int group_setup(void **state)
{
    (void)state;
    alarm(SAFETY_ALARM_S);
    if (ext_register_builtin() != 0 || !realpath("/bin/true", true_path))
        return -1;
    return mkdtemp(scratch_dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    alarm(0);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch_dir);
    int rc = system(cmd);
    return test_objects_close(state) || rc;
}

/* Skips the calling test unless the source can run here. */
#define SKIP_UNLESS_RUNNABLE()                                                                                        \
    do {                                                                                                              \
        const char *why_ = probe_root();                                                                              \
        if (!why_)                                                                                                    \
            why_ = probe_kernel_tracepoints();                                                                        \
        if (why_)                                                                                                     \
            test_skip_named(__func__, why_);                                                                          \
    } while (0)

static void watch_attach(struct watch *w)
{
    assert_int_equal(core_hook_attach(core_hook_find(HOOK), test_prog_of(w->obj, "record_whole"), NULL, 0, &w->link),
                     0);
}

static void watch_detach(struct watch *w)
{
    core_link_detach(w->link);
    core_link_release(w->link);
    w->link = NULL;
}

static struct watch *watch_start(void)
{
    struct watch *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    w->obj = test_object_load("tests/ext/process/progs", "whole_record", NULL);
    w->watched = test_map_of(w->obj, "watched");
    w->events = test_map_of(w->obj, "events");
    current = w;
    watch_attach(w);
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
    if (w->link)
        watch_detach(w);
    core_object_close(w->obj);
    for (size_t i = 0; i < w->count; i++)
        free(w->records[i]);
    free(w);
    return dropped ? -1 : 0; /* what a test missed was never reported, not dropped by the test's ring */
}

static int on_record(void *ctx, void *data, size_t size)
{
    struct watch *w = ctx;
    assert_int_equal(size, sizeof(struct whole_event));
    assert_true(w->count < MAX_RECORDS);
    struct whole_event *copy = malloc(size);
    assert_non_null(copy);
    memcpy(copy, data, size);
    w->records[w->count++] = copy;
    return 0;
}

static void drain(struct watch *w)
{
    assert_true(ringbuf_consume(w->events, on_record, w) >= 0);
}

/* The n-th (from 0) event of pid with operation op, or NULL; *count: how many there are. */
static const struct whole_event *event_of(struct watch *w, pid_t pid, uint32_t op, size_t n, size_t *count,
                                          size_t *at)
{
    const struct whole_event *found = NULL;
    size_t seen = 0;
    drain(w);
    for (size_t i = 0; i < w->count; i++) {
        const struct whole_event *e = w->records[i];
        if (e->process_id != (uint32_t)pid || e->operation != op)
            continue;
        if (seen++ == n) {
            found = e;
            if (at)
                *at = i;
        }
    }
    if (count)
        *count = seen;
    return found;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Waits for pid's delete (and create when create), then a little more for anything after it. */
static void wait_events(struct watch *w, pid_t pid, bool create)
{
    for (int i = 0; i < WAIT_MS / 10; i++) {
        size_t creates, deletes;
        event_of(w, pid, PROCESS_OPERATION_CREATE, 0, &creates, NULL);
        event_of(w, pid, PROCESS_OPERATION_DELETE, 0, &deletes, NULL);
        if (deletes && (creates || !create)) {
            sleep_ms(SETTLE_MS);
            drain(w);
            return;
        }
        sleep_ms(10);
    }
    fail_msg("pid %d: no %s within %d ms", (int)pid, create ? "create and delete" : "delete", WAIT_MS);
}

/* pid's only create and only delete, the create first. */
static void the_events_of(struct watch *w, pid_t pid, const struct whole_event **create,
                          const struct whole_event **delete)
{
    wait_events(w, pid, true);
    size_t creates, deletes, create_at, delete_at;
    *create = event_of(w, pid, PROCESS_OPERATION_CREATE, 0, &creates, &create_at);
    *delete = event_of(w, pid, PROCESS_OPERATION_DELETE, 0, &deletes, &delete_at);
    if (creates != 1 || deletes != 1)
        fail_msg("pid %d: %zu creates and %zu deletes, not one of each", (int)pid, creates, deletes);
    if (create_at > delete_at)
        fail_msg("pid %d: its delete came before its create", (int)pid);
}

static struct ext_source_stats stats(void)
{
    struct ext_source_stats s;
    assert_int_equal(ext_source_stats(HOOK, &s), 0);
    return s;
}

/* A child's job after it is watched: execs (returning means it failed). */
typedef void child_fn(void *arg);

/* Forks a child that runs fn once w watches it; its pid. */
static pid_t spawn(struct watch *w, child_fn *fn, void *arg)
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
        fn(arg);
        _exit(127);
    }
    close(go[0]);
    uint32_t key = (uint32_t)pid, yes = 1;
    assert_int_equal(map_update_user(w->watched, &key, &yes, MAP_ANY), 0);
    close(go[1]);
    return pid;
}

/* Reaps pid: its wait status. */
static int reap(pid_t pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

/* Reaps pid, which must have exited 0. */
static void reap_ok(pid_t pid)
{
    int status = reap(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("pid %d: wait status 0x%x, not an exit 0", (int)pid, (unsigned)status);
}

/* argv joined by single spaces (malloc'd), its length in *len. */
static char *joined(char *const argv[], size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; argv[i]; i++)
        n += strlen(argv[i]) + 1;
    char *out = malloc(n + 1), *p = out;
    assert_non_null(out);
    for (size_t i = 0; argv[i]; i++) {
        if (i)
            *p++ = ' ';
        size_t l = strlen(argv[i]);
        memcpy(p, argv[i], l);
        p += l;
    }
    *p = '\0';
    *len = (size_t)(p - out);
    return out;
}

/*
 * Fails unless e's command line is expected[0..len): its length, and
 * every byte a program can read (its first WHOLE_RECORD_COMMAND).
 */
static void assert_command(const struct whole_event *e, const char *expected, size_t len)
{
    size_t seen = len < WHOLE_RECORD_COMMAND ? len : WHOLE_RECORD_COMMAND;
    if (e->command_len == len && memcmp(e->command_line, expected, seen) == 0)
        return;
    size_t got = e->command_len < WHOLE_RECORD_COMMAND ? e->command_len : WHOLE_RECORD_COMMAND, at = 0;
    while (at < got && at < len && e->command_line[at] == expected[at])
        at++;
    fail_msg("pid %u: command line of %llu bytes, expected %zu; first difference at byte %zu", e->process_id,
             (unsigned long long)e->command_len, len, at);
}

static void assert_image(const struct whole_event *e, const char *path)
{
    if (e->image_len != (int32_t)strlen(path) || memcmp(e->image_path, path, strlen(path)) != 0)
        fail_msg("pid %u: image \"%.*s\" (%d), not \"%s\"", e->process_id, e->image_len > 0 ? e->image_len : 0,
                 e->image_path, e->image_len, path);
}

/* e's image is path, its device and inode path's. */
static void assert_image_file(const struct whole_event *e, const char *path)
{
    assert_image(e, path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    if (e->image_inode != st.st_ino || e->image_device != st.st_dev)
        fail_msg("pid %u: image file %llu:%llu, not %s's %llu:%llu", e->process_id,
                 (unsigned long long)e->image_device, (unsigned long long)e->image_inode, path,
                 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
}

/* Whether a line containing fragment came on the trace pipe since cursor. */
static bool traced(uint64_t cursor, const char *fragment)
{
    char line[CORE_TRACE_LINE_MAX];
    while (core_trace_follow(&cursor, line, sizeof(line), 0) >= 0)
        if (strstr(line, fragment))
            return true;
    return false;
}

/* Writes text into path, mode 0755. */
static void write_file(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* /bin/true's content (malloc'd), its size in *size. */
static char *true_content(size_t *size)
{
    int fd = open(true_path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    char *buf = malloc((size_t)st.st_size);
    assert_non_null(buf);
    assert_int_equal(read(fd, buf, (size_t)st.st_size), st.st_size);
    close(fd);
    *size = (size_t)st.st_size;
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Command lines.                                                           */

static void exec_argv(void *arg)
{
    char **argv = arg;
    execv(argv[0], argv);
}

/* Runs argv (watched), which must exit 0; checks its create and delete carry argv joined, exactly. */
static void run_and_check_argv(char *const argv[], const char *image)
{
    struct watch *w = current;
    struct ext_source_stats before = stats();
    pid_t pid = spawn(w, exec_argv, (void *)argv);
    reap_ok(pid);
    const struct whole_event *create, *delete;
    the_events_of(w, pid, &create, &delete);
    size_t len;
    char *line = joined(argv, &len);
    assert_command(create, line, len);
    assert_command(delete, line, len);
    assert_image_file(create, image);
    assert_image(delete, image);
    assert_int_equal(create->image_kind, PROCESS_IMAGE_PROGRAM);
    assert_int_equal(create->parent_process_id, (uint64_t)getpid());
    assert_int_equal(create->creating_process_id, (uint64_t)pid);
    assert_int_equal(create->creating_thread_id, (uint64_t)pid);
    assert_int_equal(create->uid, getuid());
    assert_int_equal(create->gid, getgid());
    assert_int_equal(delete->exit_code, 0);
    assert_int_equal(delete->creation_time, create->creation_time);
    assert_true(delete->exit_time >= create->creation_time);
    struct ext_source_stats after = stats();
    assert_int_equal(after.errors, before.errors);
    assert_int_equal(after.lost, before.lost);
    free(line);
}

/* A string of len bytes of a pattern that differs per seed (malloc'd). */
static char *pattern(size_t len, int seed)
{
    char *s = malloc(len + 1);
    assert_non_null(s);
    for (size_t i = 0; i < len; i++)
        s[i] = (char)('A' + (size_t)(seed * 7 + (int)(i % 1000) * 3 + (int)(i / 1000)) % 26);
    s[len] = '\0';
    return s;
}

/* Runs true with three arguments of len bytes each (patterns from seed on) and checks its command line. */
static void run_three_arguments(size_t len, int seed)
{
    char *argv[] = {true_path, pattern(len, seed), pattern(len, seed + 1), pattern(len, seed + 2), NULL};
    run_and_check_argv(argv, true_path);
    for (int i = 1; i <= 3; i++)
        free(argv[i]);
}

/*
 * Three arguments of 21 KiB: four of the kernel program's 16 KiB chunks,
 * all within what a program reads; then of 40 KiB (eight chunks): the
 * length and the first 64 KiB as given.
 */
static void argv_over_several_chunks_arrives_exact(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    watch_start();
    run_three_arguments(21 << 10, 1);
    run_three_arguments(40 << 10, 4);
}

/* Bytes a terminal acts on, invalid UTF-8, every byte value, the longest argument the kernel takes. */
static void argv_bytes_arrive_exact(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    watch_start();
    char every[256];
    for (int i = 1; i < 256; i++)
        every[i - 1] = (char)i;
    every[255] = '\0';
    char *longest = pattern(128 * 1024 - 1, 7); /* MAX_ARG_STRLEN with its NUL */
    char *argv[] = {true_path, "ctl\x01\x02\x1b[31m\r\n\t\x7f", "\xff\xfe\xc3\x28\xed\xa0\x80 bad utf-8",
                    "\xe2\x80\xae" "bidi", every, longest, NULL};
    run_and_check_argv(argv, true_path);
    free(longest);
}

/* Empty arguments, in the middle and at the end: each one is a space of the joined line. */
static void empty_arguments_are_kept(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    watch_start();
    char *argv[] = {true_path, "", "middle", "", "", NULL};
    run_and_check_argv(argv, true_path);
}

static void exec_with_big_stack(void *arg)
{
    struct rlimit big = {256u << 20, 256u << 20}; /* argv may take a quarter of it, up to 6 MiB */
    if (setrlimit(RLIMIT_STACK, &big) != 0)
        _exit(125);
    exec_argv(arg);
    _exit(errno == E2BIG ? 124 : 127);
}

/* Over 2 MiB of argv: the create carries its first 2 MiB, counted as an error and traced as cut. */
static void argv_over_2_mib_is_counted_and_traced_as_cut(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct watch *w = watch_start();
    enum { ARGS = 24, ARG_LEN = 100000, CUT = 2 << 20 };
    char *argv[ARGS + 2] = {true_path};
    for (int i = 1; i <= ARGS; i++)
        argv[i] = pattern(ARG_LEN, i);
    struct ext_source_stats before = stats();
    uint64_t cursor = core_trace_tail();
    pid_t pid = spawn(w, exec_with_big_stack, argv);
    int status = reap(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 124) {
        test_skip_check("argv over 2 MiB", "the kernel refused the exec (E2BIG) even with a 256 MiB stack limit");
        goto out;
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const struct whole_event *create, *delete;
    the_events_of(w, pid, &create, &delete);
    size_t len;
    char *line = joined(argv, &len);
    assert_true(len > CUT && line[CUT - 1] != ' ');
    assert_command(create, line, CUT); /* the first 2 MiB, never passed off as the whole */
    assert_command(delete, line, CUT);
    free(line);
    assert_image_file(create, true_path);
    struct ext_source_stats after = stats();
    assert_int_equal(after.errors, before.errors + 1);
    assert_int_equal(after.lost, before.lost);
    char fragment[64];
    snprintf(fragment, sizeof(fragment), "by pid %d: arguments cut at 2 MiB", (int)pid);
    if (!traced(cursor, fragment))
        fail_msg("no trace line \"...%s\"", fragment);
out:
    for (int i = 1; i <= ARGS; i++)
        free(argv[i]);
}

static void exec_after_failures(void *arg)
{
    char *argv[] = {"/nonexistent/program", "failed", NULL};
    execv(argv[0], argv); /* ENOENT */
    argv[0] = arg;        /* a file without execute permission: EACCES */
    execv(argv[0], argv);
    char *ok[] = {true_path, "after-failures", NULL};
    execv(ok[0], ok);
}

/* Execs that fail make no create; the one that succeeds after them makes one. */
static void failed_execs_make_no_create(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct watch *w = watch_start();
    char plain[PATH_MAX];
    snprintf(plain, sizeof(plain), "%s/not-executable", scratch_dir);
    write_file(plain, "#!/bin/sh\nexit 0\n", 17);
    assert_int_equal(chmod(plain, 0644), 0);
    struct ext_source_stats before = stats();
    pid_t pid = spawn(w, exec_after_failures, plain);
    reap_ok(pid);
    const struct whole_event *create, *delete;
    the_events_of(w, pid, &create, &delete);
    char line[PATH_MAX + 32];
    snprintf(line, sizeof(line), "%s after-failures", true_path);
    assert_command(create, line, strlen(line));
    assert_int_equal(stats().errors, before.errors);
}

static void exec_as_nobody(void *arg)
{
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
        _exit(125);
    exec_argv(arg);
}

/* An exec by another user: its create and delete carry that user's ids. */
static void another_users_exec_carries_its_ids(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct watch *w = watch_start();
    char *argv[] = {true_path, "nobody", NULL};
    pid_t pid = spawn(w, exec_as_nobody, argv);
    reap_ok(pid);
    const struct whole_event *create, *delete;
    the_events_of(w, pid, &create, &delete);
    assert_int_equal(create->uid, 65534);
    assert_int_equal(create->gid, 65534);
    assert_int_equal(delete->uid, 65534);
    assert_int_equal(delete->gid, 65534);
}

enum { FLOOD = 24, FLOOD_ARGS = 24, FLOOD_ARG_LEN = 64000, FLOOD_QUIET_MS = 1500 };

/* Whether e's command line is the flood's line (its length and all a program reads of it). */
static bool is_line(const struct whole_event *e, const char *line, size_t len)
{
    return e && e->command_len == len && memcmp(e->command_line, line, WHOLE_RECORD_COMMAND) == 0;
}

/*
 * 24 execs with 1.5 MiB of argv each, all at once: 36 MiB of records for
 * a 16 MiB ring. Each exec comes whole, or is counted lost: never silent.
 * Its delete carries what its create did.
 */
static void flood_of_long_argv_is_whole_or_counted_lost(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct watch *w = watch_start();
    char *argv[FLOOD_ARGS + 2] = {true_path};
    for (int i = 1; i <= FLOOD_ARGS; i++)
        argv[i] = pattern(FLOOD_ARG_LEN, i);
    size_t len;
    char *line = joined(argv, &len);
    struct ext_source_stats before = stats();
    int go[2];
    assert_int_equal(pipe2(go, O_CLOEXEC), 0);
    pid_t pids[FLOOD];
    for (int i = 0; i < FLOOD; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char c;
            close(go[1]);
            if (read(go[0], &c, 1) != 0)
                _exit(126);
            execv(argv[0], argv);
            _exit(127);
        }
        uint32_t key = (uint32_t)pids[i], yes = 1;
        assert_int_equal(map_update_user(w->watched, &key, &yes, MAP_ANY), 0);
    }
    close(go[0]);
    close(go[1]); /* all exec now */
    for (int i = 0; i < FLOOD; i++)
        reap_ok(pids[i]);
    /* Until each is whole or counted (the kernel's count is read each second), and nothing more comes. */
    int whole = 0, quiet_ms = 0, last = -1;
    uint64_t lost = 0;
    for (int waited = 0; waited < WAIT_MS && whole < FLOOD; waited += 10) {
        whole = 0;
        for (int i = 0; i < FLOOD; i++)
            whole += is_line(event_of(w, pids[i], PROCESS_OPERATION_CREATE, 0, NULL, NULL), line, len) &&
                     event_of(w, pids[i], PROCESS_OPERATION_DELETE, 0, NULL, NULL);
        lost = stats().lost - before.lost;
        quiet_ms = whole == last ? quiet_ms + 10 : 0;
        last = whole;
        if (quiet_ms >= FLOOD_QUIET_MS && (uint64_t)(FLOOD - whole) <= lost)
            break;
        sleep_ms(10);
    }
    /* The kernel's count is read at most once a second, when records come: a second on, an exec brings it. */
    sleep_ms(1100);
    char *one[] = {true_path, "after-the-flood", NULL};
    pid_t after_flood = spawn(w, exec_argv, one);
    reap_ok(after_flood);
    wait_events(w, after_flood, true);
    lost = stats().lost - before.lost;
    struct ext_source_stats after = stats();
    print_message("%d execs of %zu bytes of argv at once: %d whole, %llu counted lost, %llu errors\n", FLOOD, len,
                  whole, (unsigned long long)lost, (unsigned long long)(after.errors - before.errors));
    if ((uint64_t)(FLOOD - whole) > lost)
        fail_msg("%d execs not whole, %llu counted lost", FLOOD - whole, (unsigned long long)lost);
    /* Events, not records: two per exec not whole at most, and some of the machine's other processes' */
    if (lost > 2u * (uint64_t)(FLOOD - whole) + FLOOD)
        fail_msg("%d execs not whole, %llu events counted lost", FLOOD - whole, (unsigned long long)lost);
    assert_int_equal(after.errors, before.errors); /* a loss is not an error */
    for (int i = 0; i < FLOOD; i++) {
        const struct whole_event *create = event_of(w, pids[i], PROCESS_OPERATION_CREATE, 0, NULL, NULL);
        const struct whole_event *delete = event_of(w, pids[i], PROCESS_OPERATION_DELETE, 0, NULL, NULL);
        if (create && delete)
            assert_command(delete, create->command_line, create->command_len);
    }
    free(line);
    for (int i = 1; i <= FLOOD_ARGS; i++)
        free(argv[i]);
}

/* A shell that execs its last command: two creates of one process, its delete with the last one's line and image. */
static void exec_chain_delete_carries_the_last_exec(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct watch *w = watch_start();
    char script[PATH_MAX + 16];
    snprintf(script, sizeof(script), "exec %s chained", true_path);
    char *argv[] = {"/bin/sh", "-c", script, NULL};
    pid_t pid = spawn(w, exec_argv, argv);
    reap_ok(pid);
    wait_events(w, pid, true);
    size_t creates, deletes, first_at, second_at, delete_at;
    const struct whole_event *first = event_of(w, pid, PROCESS_OPERATION_CREATE, 0, &creates, &first_at);
    const struct whole_event *second = event_of(w, pid, PROCESS_OPERATION_CREATE, 1, NULL, &second_at);
    const struct whole_event *delete = event_of(w, pid, PROCESS_OPERATION_DELETE, 0, &deletes, &delete_at);
    assert_int_equal(creates, 2);
    assert_int_equal(deletes, 1);
    assert_true(first_at < second_at && second_at < delete_at);
    char line[PATH_MAX + 32];
    snprintf(line, sizeof(line), "/bin/sh -c %s", script);
    assert_command(first, line, strlen(line));
    snprintf(line, sizeof(line), "%s chained", true_path);
    assert_command(second, line, strlen(line));
    assert_command(delete, line, strlen(line));
    assert_image_file(second, true_path);
    assert_image(delete, true_path);
    assert_int_equal(second->creation_time, first->creation_time); /* one process, created by its fork */
}

static void exec_in_new_pid_namespace(void *arg)
{
    if (unshare(CLONE_NEWPID) != 0)
        _exit(124);
    pid_t child = fork(); /* pid 1 of the new namespace */
    if (child == 0) {
        exec_argv(arg);
        _exit(127);
    }
    int status;
    _exit(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) ? WEXITSTATUS(status) : 123);
}

/* An exec in a new pid namespace (pid 1 there): its create and delete name it by this machine's pids. */
static void exec_in_a_pid_namespace_has_the_machines_pids(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct watch *w = watch_start();
    char *argv[] = {true_path, "namespaced", NULL};
    pid_t pid = spawn(w, exec_in_new_pid_namespace, argv);
    int status = reap(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 124) {
        test_skip_check("a new pid namespace", "unshare(CLONE_NEWPID) failed");
        return;
    }
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const struct whole_event *create = NULL;
    for (int i = 0; i < WAIT_MS / 10 && !create; i++) {
        drain(w);
        for (size_t j = 0; j < w->count && !create; j++)
            if (w->records[j]->parent_process_id == (uint64_t)pid &&
                w->records[j]->operation == PROCESS_OPERATION_CREATE)
                create = w->records[j];
        if (!create)
            sleep_ms(10);
    }
    assert_non_null(create);
    pid_t inner = (pid_t)create->process_id;
    assert_true(inner != 1 && inner != pid);
    const struct whole_event *delete;
    the_events_of(w, inner, &create, &delete);
    char line[PATH_MAX + 16];
    snprintf(line, sizeof(line), "%s namespaced", true_path);
    assert_command(create, line, strlen(line));
    assert_image_file(create, true_path);
    assert_int_equal(delete->parent_process_id, (uint64_t)pid);
}

/* ------------------------------------------------------------------------ */
/* Images: scripts, links, memfds.                                          */

struct exec_in {
    const char *cwd; /* NULL: the test's */
    char *const *argv;
};

static void exec_from(void *arg)
{
    const struct exec_in *x = arg;
    if (x->cwd && chdir(x->cwd) != 0)
        _exit(125);
    exec_argv((void *)x->argv);
}

/*
 * Runs argv[0] from cwd (watched; it must exit 0): its create's image is
 * the file image (path, device, inode) and its command line shown.
 */
static void check_image(const char *cwd, char *const argv[], const char *shown, const char *image)
{
    struct watch *w = current;
    struct ext_source_stats before = stats();
    struct exec_in x = {cwd, argv};
    pid_t pid = spawn(w, exec_from, &x);
    reap_ok(pid);
    const struct whole_event *create, *delete;
    the_events_of(w, pid, &create, &delete);
    assert_image_file(create, image);
    assert_image(delete, image);
    assert_command(create, shown, strlen(shown));
    assert_int_equal(stats().errors, before.errors);
}

/* A #! script by its absolute name, by a relative one from another directory, through links: the script's file. */
static void script_image_is_the_script_however_named(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    watch_start();
    char dir[PATH_MAX], script[PATH_MAX + 16], link[PATH_MAX], shown[PATH_MAX + 64];
    snprintf(dir, sizeof(dir), "%s/scripts", scratch_dir);
    assert_int_equal(mkdir(dir, 0755), 0);
    snprintf(script, sizeof(script), "%s/run.sh", dir);
    write_file(script, "#!/bin/sh\nexit 0\n", 17);
    snprintf(link, sizeof(link), "%s/link.sh", scratch_dir);
    assert_int_equal(symlink("scripts/run.sh", link), 0);

    char *absolute[] = {script, "absolute", NULL};
    snprintf(shown, sizeof(shown), "/bin/sh %s absolute", script);
    check_image(NULL, absolute, shown, script);

    char *relative[] = {"./scripts/run.sh", "relative", NULL};
    check_image(scratch_dir, relative, "/bin/sh ./scripts/run.sh relative", script);

    char *up[] = {"../link.sh", "up-through-a-link", NULL};
    check_image(dir, up, "/bin/sh ../link.sh up-through-a-link", script);

    char *linked[] = {link, "linked", NULL};
    snprintf(shown, sizeof(shown), "/bin/sh %s linked", link);
    check_image(NULL, linked, shown, script);
}

/* A program through a chain of links (as /bin/sh -> dash): the file they end at. */
static void program_through_links_is_the_target(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    watch_start();
    char first[PATH_MAX], second[PATH_MAX], shown[PATH_MAX + 16];
    snprintf(first, sizeof(first), "%s/true-link", scratch_dir);
    snprintf(second, sizeof(second), "%s/true-link-2", scratch_dir);
    assert_int_equal(symlink(true_path, first), 0);
    assert_int_equal(symlink("true-link", second), 0);
    char *argv[] = {second, "through-links", NULL};
    snprintf(shown, sizeof(shown), "%s through-links", second);
    check_image(NULL, argv, shown, true_path);
    char *relative[] = {"./true-link-2", "relative", NULL};
    check_image(scratch_dir, relative, "./true-link-2 relative", true_path);
}

struct memfd_exec {
    int fd;       /* the memfd */
    int as;       /* the number to run it as (-1: fd) */
    char **argv;
};

static void exec_memfd(void *arg)
{
    const struct memfd_exec *m = arg;
    int fd = m->fd;
    if (m->as >= 0) {
        if (dup2(m->fd, m->as) < 0) /* no close-on-exec: a script's interpreter opens /dev/fd/N */
            _exit(125);
        fd = m->as;
    }
    static char *env[] = {NULL};
    fexecve(fd, m->argv, env);
}

/*
 * Runs the memfd fd (watched; it must exit 0) as number as: its create has
 * its argv; its image is not empty, and not decoy's file, and a file named
 * has the memfd's inode (0: unknown).
 */
static void check_memfd_run(int fd, int as, char **argv, const char *shown, const char *decoy)
{
    struct watch *w = current;
    struct memfd_exec m = {fd, as, argv};
    pid_t pid = spawn(w, exec_memfd, &m);
    reap_ok(pid);
    const struct whole_event *create, *delete;
    the_events_of(w, pid, &create, &delete);
    assert_command(create, shown, strlen(shown));
    struct stat mem, other;
    assert_int_equal(fstat(fd, &mem), 0);
    print_message("memfd run as fd %d: image \"%.*s\", inode %llu (the memfd's: %llu)\n", as, create->image_len,
                  create->image_path, (unsigned long long)create->image_inode, (unsigned long long)mem.st_ino);
    assert_true(create->image_len > 0);
    assert_true(create->image_inode == 0 || create->image_inode == mem.st_ino);
    if (decoy) {
        assert_int_equal(stat(decoy, &other), 0);
        assert_true(create->image_inode != other.st_ino);
        assert_false(create->image_len == (int32_t)strlen(decoy) &&
                     memcmp(create->image_path, decoy, strlen(decoy)) == 0);
    }
    assert_false(create->image_len == (int32_t)strlen(true_path) &&
                 memcmp(create->image_path, true_path, strlen(true_path)) == 0);
}

/* A program run from a memfd with fexecve: its create, with its argv and the memfd for image. */
static void memfd_program_run_with_fexecve(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    watch_start();
    size_t size;
    char *content = true_content(&size);
    int fd = memfd_create("tptest-program", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, size), (ssize_t)size);
    free(content);
    char *argv[] = {"memfd-true", "fexecve", NULL};
    check_memfd_run(fd, -1, argv, "memfd-true fexecve", NULL);
    close(fd);
}

/*
 * A #! script in a memfd run with fexecve: its interpreter opens it as
 * /dev/fd/N, a name only the exec'ing process can resolve; here N is the
 * number of another file in the test's (the host's) own process.
 */
static void memfd_script_named_by_a_number_the_host_uses(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    watch_start();
    char decoy[PATH_MAX];
    snprintf(decoy, sizeof(decoy), "%s/decoy", scratch_dir);
    write_file(decoy, "decoy\n", 6);
    int decoy_fd = open(decoy, O_RDONLY | O_CLOEXEC);
    assert_true(decoy_fd >= 0);
    int fd = memfd_create("tptest-script", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "#!/bin/sh\nexit 0\n", 17), 17);
    char *argv[] = {"memfd-script", "fexecve", NULL}, shown[64];
    snprintf(shown, sizeof(shown), "/bin/sh /dev/fd/%d fexecve", decoy_fd);
    check_memfd_run(fd, decoy_fd, argv, shown, decoy);
    close(fd);
    close(decoy_fd);
}

enum { HOLD_FD = 5 };

/*
 * A script that runs until a byte comes on descriptor HOLD_FD, so its
 * descriptors stay as they were while the host resolves its name (it does
 * so after the exec: a script that changed its descriptor 0 first, as
 * dash does around a command with `<&5`, would be shown as the new one).
 */
static const char held_script[] = "#!/bin/sh\nhead -c1 /dev/fd/5 >/dev/null\n";

struct exec_held {
    int hold;     /* the read end of the pipe the script waits on */
    int dir, as;  /* exec_at_dir: a descriptor of the script's directory, the number to give it */
    char **argv;
    const char *script;
};

/* Gives the child the pipe as HOLD_FD (kept across the exec). */
static void hold_child(const struct exec_held *x)
{
    if (dup2(x->hold, HOLD_FD) < 0)
        _exit(125);
}

static void exec_at_dir(void *arg)
{
    const struct exec_held *x = arg;
    hold_child(x);
    if (dup2(x->dir, x->as) < 0)
        _exit(125);
    static char *env[] = {NULL};
    syscall(SYS_execveat, x->as, x->argv[0], x->argv, env, 0);
}

static void exec_stdin(void *arg)
{
    const struct exec_held *x = arg;
    hold_child(x);
    int fd = open(x->script, O_RDONLY); /* stdin: the script, open in the interpreter too */
    if (fd < 0 || dup2(fd, 0) < 0)
        _exit(125);
    char *argv[] = {"/dev/stdin", "stdin", NULL};
    execv(argv[0], argv);
}

/* Runs fn with x (its script waiting), lets it end once its create came; its create, whose command line is shown. */
static const struct whole_event *run_held(struct watch *w, child_fn *fn, struct exec_held *x, const char *shown)
{
    int hold[2];
    assert_int_equal(pipe2(hold, O_CLOEXEC), 0);
    x->hold = hold[0];
    pid_t pid = spawn(w, fn, x);
    close(hold[0]);
    for (int i = 0; i < WAIT_MS / 10 && !event_of(w, pid, PROCESS_OPERATION_CREATE, 0, NULL, NULL); i++)
        sleep_ms(10);
    assert_int_equal(write(hold[1], "\n", 1), 1);
    close(hold[1]);
    reap_ok(pid);
    const struct whole_event *create, *delete;
    the_events_of(w, pid, &create, &delete);
    assert_command(create, shown, strlen(shown));
    return create;
}

/*
 * A script named relative to a directory descriptor (execveat: the kernel
 * names it /dev/fd/N/run.sh) whose number is, in the test's own process,
 * another directory with a script of the same name; and a script run as
 * /dev/stdin while the test's stdin is something else: the image is the
 * script the exec ran, never the file the host's own descriptor names.
 */
static void script_named_by_a_descriptor_is_the_execs_file(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct watch *w = watch_start();
    char real[PATH_MAX], decoy[PATH_MAX], script[PATH_MAX + 16], shown[64];
    snprintf(real, sizeof(real), "%s/real", scratch_dir);
    snprintf(decoy, sizeof(decoy), "%s/decoy-dir", scratch_dir);
    assert_int_equal(mkdir(real, 0755), 0);
    assert_int_equal(mkdir(decoy, 0755), 0);
    snprintf(script, sizeof(script), "%s/run.sh", decoy);
    write_file(script, held_script, strlen(held_script));
    snprintf(script, sizeof(script), "%s/run.sh", real);
    write_file(script, held_script, strlen(held_script));
    int dir = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int decoy_dir = open(decoy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dir >= 0 && decoy_dir >= 0);
    char *argv[] = {"run.sh", "at", NULL};
    struct exec_held x = {.dir = dir, .as = decoy_dir, .argv = argv};
    snprintf(shown, sizeof(shown), "/bin/sh /dev/fd/%d/run.sh at", decoy_dir);
    assert_image_file(run_held(w, exec_at_dir, &x, shown), script);
    close(dir);
    close(decoy_dir);

    struct exec_held in = {.script = script};
    assert_image_file(run_held(w, exec_stdin, &in, "/bin/sh /dev/stdin stdin"), script);
}

/* ------------------------------------------------------------------------ */
/* Threads and exits.                                                       */

struct thread_exec {
    int report; /* the pipe the thread writes its id into */
};

static void *exec_in_thread(void *arg)
{
    const struct thread_exec *t = arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    if (write(t->report, &tid, sizeof(tid)) != sizeof(tid))
        _exit(124);
    char *argv[] = {true_path, "from-a-thread", NULL};
    execv(argv[0], argv);
    _exit(127);
}

static void exec_from_a_thread(void *arg)
{
    pthread_t thread;
    if (pthread_create(&thread, NULL, exec_in_thread, arg) != 0)
        _exit(123);
    pthread_join(thread, NULL); /* the exec ends this thread */
    _exit(122);
}

/* execve from a non-leader thread: the create is the process' (its tgid), made by that thread; one delete, after it. */
static void exec_from_a_non_leader_thread(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct watch *w = watch_start();
    int report[2];
    assert_int_equal(pipe2(report, O_CLOEXEC), 0);
    struct thread_exec t = {report[1]};
    pid_t pid = spawn(w, exec_from_a_thread, &t);
    close(report[1]);
    pid_t tid = 0;
    assert_int_equal(read(report[0], &tid, sizeof(tid)), sizeof(tid));
    close(report[0]);
    assert_true(tid != pid);
    reap_ok(pid);
    const struct whole_event *create, *delete;
    the_events_of(w, pid, &create, &delete);
    assert_int_equal(create->process_id, (uint64_t)pid);
    assert_int_equal(create->creating_process_id, (uint64_t)pid);
    assert_int_equal(create->creating_thread_id, (uint64_t)tid);
    char *argv[] = {true_path, "from-a-thread", NULL};
    size_t len;
    char *line = joined(argv, &len);
    assert_command(create, line, len);
    free(line);
    assert_image_file(create, true_path);
    assert_int_equal(delete->exit_code, 0);
}

/* One delete of pid (reaped with status), with the code the other sources give it. */
static void check_exit_code(struct watch *w, pid_t pid, bool create)
{
    int status = reap(pid);
    wait_events(w, pid, create);
    size_t deletes;
    const struct whole_event *delete = event_of(w, pid, PROCESS_OPERATION_DELETE, 0, &deletes, NULL);
    assert_int_equal(deletes, 1);
    uint32_t expected = ext_exit_code(status);
    if (delete->exit_code != expected)
        fail_msg("pid %d: wait status 0x%x: exit code %u, not %u", (int)pid, (unsigned)status, delete->exit_code,
                 expected);
}

static void segfault(void *arg)
{
    (void)arg;
    signal(SIGSEGV, SIG_DFL);
    volatile uintptr_t unmapped = 8;
    *(volatile int *)unmapped = 0;
}

/* exit(N) for a few N, kill -9, a signal sent and a real segmentation fault: 128+N for a signal. */
static void exit_codes_and_signals(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct watch *w = watch_start();
    static const char *const scripts[] = {"exit 0", "exit 1", "exit 42", "exit 255", "kill -9 $$",
                                          "kill -SEGV $$", "kill -TERM $$"};
    for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
        char *argv[] = {"/bin/sh", "-c", (char *)scripts[i], NULL};
        check_exit_code(w, spawn(w, exec_argv, argv), true);
    }
    check_exit_code(w, spawn(w, segfault, NULL), false); /* a fork-only child */
}

static void *exit_7_later(void *arg)
{
    (void)arg;
    sleep_ms(100);
    _exit(7); /* exit_group from this thread (no atexit: a child of the test, as every other) */
}

static void leader_exits_first(void *arg)
{
    (void)arg;
    pthread_t thread;
    if (pthread_create(&thread, NULL, exit_7_later, NULL) != 0)
        _exit(123);
    syscall(SYS_exit, 0); /* the leader alone: the process runs on in its other thread */
}

/* A process whose leader exits before its other thread: one delete, with the process' exit code (7, not 0). */
static void leader_exiting_before_its_thread(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct watch *w = watch_start();
    check_exit_code(w, spawn(w, leader_exits_first, NULL), false);
}

enum { THREADS = 8 };

static void *spin(void *arg)
{
    (void)arg;
    for (;;)
        sched_yield();
    return NULL;
}

static void exit_with_threads_running(void *arg)
{
    (void)arg;
    pthread_t thread;
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&thread, NULL, spin, NULL) != 0)
            _exit(123);
    sleep_ms(20);
    _exit(3); /* exit_group: every thread exits at once, on every CPU */
}

/* Processes whose threads all exit at once, each thread maybe finding itself the last: one delete each. */
static void threads_exiting_together_make_one_delete(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct watch *w = watch_start();
    for (int i = 0; i < 10; i++)
        check_exit_code(w, spawn(w, exit_with_threads_running, NULL), false);
}

/* ------------------------------------------------------------------------ */
/* Paths the kernel program cannot walk whole.                              */

/*
 * Makes components directories named name under scratch_dir/top, one in
 * the other, with a copy of /bin/true in the last (by descriptors: the
 * path may be longer than a system call takes); the copy's *st.
 */
static void deep_tree(const char *top, const char *name, int components, struct stat *st)
{
    int fd = open(scratch_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(fd >= 0);
    for (int i = -1; i < components; i++) {
        const char *next = i < 0 ? top : name;
        assert_int_equal(mkdirat(fd, next, 0755), 0);
        int sub = openat(fd, next, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(sub >= 0);
        close(fd);
        fd = sub;
    }
    size_t size;
    char *content = true_content(&size);
    int out = openat(fd, "true", O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
    assert_true(out >= 0);
    assert_int_equal(write(out, content, size), (ssize_t)size);
    assert_int_equal(fstat(out, st), 0);
    close(out);
    free(content);
    close(fd);
}

struct deep_exec {
    const char *top, *name;
    int components;
};

/* Goes down the tree one step at a time, then runs ./true. */
static void exec_deep(void *arg)
{
    const struct deep_exec *d = arg;
    if (chdir(scratch_dir) != 0 || chdir(d->top) != 0)
        _exit(125);
    for (int i = 0; i < d->components; i++)
        if (chdir(d->name) != 0)
            _exit(125);
    char *argv[] = {"./true", "deep", NULL};
    execv(argv[0], argv);
}

/*
 * Runs true at the bottom of a deep tree: the create comes with its argv,
 * counted as an error (its path cut) and traced; its image is never a
 * path cut short: either the whole path or none, and the file is the one run.
 */
static void check_deep_exec(const char *top, const char *name, int components)
{
    struct watch *w = current;
    struct stat copy;
    deep_tree(top, name, components, &copy);
    struct deep_exec d = {top, name, components};
    struct ext_source_stats before = stats();
    uint64_t cursor = core_trace_tail();
    pid_t pid = spawn(w, exec_deep, &d);
    reap_ok(pid);
    const struct whole_event *create, *delete;
    the_events_of(w, pid, &create, &delete);
    assert_command(create, "./true deep", 11);
    struct ext_source_stats after = stats();
    assert_int_equal(after.errors, before.errors + 1);
    char fragment[64];
    snprintf(fragment, sizeof(fragment), "by pid %d: path", (int)pid);
    if (!traced(cursor, fragment))
        fail_msg("no trace line \"...%s\"", fragment);
    /* The whole path, built here. */
    size_t cap = strlen(scratch_dir) + strlen(top) + (size_t)components * (strlen(name) + 1) + 16, n = 0;
    char *whole = malloc(cap);
    assert_non_null(whole);
    n += (size_t)snprintf(whole + n, cap - n, "%s/%s", scratch_dir, top);
    for (int i = 0; i < components; i++)
        n += (size_t)snprintf(whole + n, cap - n, "/%s", name);
    snprintf(whole + n, cap - n, "/true");
    int slashes = 0;
    for (const char *c = whole; *c; c++)
        slashes += *c == '/';
    print_message("a path of %zu bytes, %d components: image of %d bytes, inode %llu (the file's: %llu)\n",
                  strlen(whole), slashes, create->image_len, (unsigned long long)create->image_inode,
                  (unsigned long long)copy.st_ino);
    if (create->image_len > 0 &&
        !(create->image_len == (int32_t)strlen(whole) && memcmp(create->image_path, whole, strlen(whole)) == 0))
        fail_msg("image \"%.*s\" is neither the path run nor empty", create->image_len, create->image_path);
    free(whole);
    assert_int_equal(create->image_inode, copy.st_ino);
    assert_int_equal(create->image_device, copy.st_dev);
}

/* An executable 70 directories down (the kernel program walks 64): */
static void executable_deeper_than_the_walk(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    watch_start();
    check_deep_exec("deep", "d", 70);
}

/* An executable whose path is longer than 4096 bytes (17 directories of 250 bytes). */
static void executable_path_longer_than_a_page(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    watch_start();
    char name[251];
    memset(name, 'n', 250);
    name[250] = '\0';
    check_deep_exec("long", name, 17);
}

/* In a new pid namespace, as its pid 1: attaches prog to the hook; exit 0 if refused with EOPNOTSUPP, 124 no namespace. */
static void attach_in_new_pid_namespace(struct core_prog *prog)
{
    if (unshare(CLONE_NEWPID) != 0)
        _exit(124);
    pid_t child = fork();
    if (child == 0) {
        struct core_link *link = NULL;
        _exit(core_hook_attach(core_hook_find(HOOK), prog, NULL, 0, &link) == -EOPNOTSUPP ? 0 : 1);
    }
    int status;
    _exit(child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) ? WEXITSTATUS(status) : 123);
}

/* A host in a pid namespace is refused: the kernel program would report pids that are not its /proc's. */
static void not_started_in_a_pid_namespace(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    struct core_object *obj = test_object_load("tests/ext/process/progs", "whole_record", NULL);
    struct core_prog *prog = test_prog_of(obj, "record_whole");
    pid_t pid = fork();
    if (pid == 0)
        attach_in_new_pid_namespace(prog);
    core_object_close(obj);
    assert_true(pid > 0);
    int status = reap(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 124) {
        test_skip_check("a new pid namespace", "unshare(CLONE_NEWPID) failed");
        return;
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ------------------------------------------------------------------------ */
/* Stop and start.                                                          */

/* This process' descriptors, and those of them that are the kernel's eBPF objects. */
static void count_fds(int *all, int *bpf)
{
    *all = *bpf = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], target[128];
        snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
            continue; /* the directory's own descriptor, closed meanwhile */
        target[n] = '\0';
        (*all)++;
        *bpf += strncmp(target, "anon_inode:bpf", 14) == 0;
    }
    closedir(d);
}

/* The source stopped (last link detached) and started again, five times: no descriptor kept, events still come. */
static void stop_and_start_again_leaks_nothing(void **state)
{
    (void)state;
    SKIP_UNLESS_RUNNABLE();
    enum { CYCLES = 5 };
    struct watch *w = watch_start();
    watch_detach(w);
    assert_false(stats().running);
    int fds_before, bpf_before;
    count_fds(&fds_before, &bpf_before);
    assert_int_equal(bpf_before, 0);
    for (int i = 0; i < CYCLES; i++) {
        watch_attach(w);
        assert_true(stats().running);
        int fds_running, bpf_running;
        count_fds(&fds_running, &bpf_running);
        assert_true(bpf_running > 0);
        char tag[16];
        snprintf(tag, sizeof(tag), "cycle-%d", i);
        char *argv[] = {true_path, tag, NULL};
        pid_t pid = spawn(w, exec_argv, argv);
        reap_ok(pid);
        const struct whole_event *create, *delete;
        the_events_of(w, pid, &create, &delete);
        size_t len;
        char *line = joined(argv, &len);
        assert_command(create, line, len);
        free(line);
        watch_detach(w);
        assert_false(stats().running);
        int fds_after, bpf_after;
        count_fds(&fds_after, &bpf_after);
        if (fds_after != fds_before || bpf_after != 0)
            fail_msg("cycle %d: %d descriptors (%d of eBPF) after the stop, %d before", i, fds_after, bpf_after,
                     fds_before);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(argv_over_several_chunks_arrives_exact, watch_stop),
        cmocka_unit_test_teardown(argv_bytes_arrive_exact, watch_stop),
        cmocka_unit_test_teardown(empty_arguments_are_kept, watch_stop),
        cmocka_unit_test_teardown(argv_over_2_mib_is_counted_and_traced_as_cut, watch_stop),
        cmocka_unit_test_teardown(failed_execs_make_no_create, watch_stop),
        cmocka_unit_test_teardown(another_users_exec_carries_its_ids, watch_stop),
        cmocka_unit_test_teardown(flood_of_long_argv_is_whole_or_counted_lost, watch_stop),
        cmocka_unit_test_teardown(exec_chain_delete_carries_the_last_exec, watch_stop),
        cmocka_unit_test_teardown(exec_in_a_pid_namespace_has_the_machines_pids, watch_stop),
        cmocka_unit_test_teardown(script_image_is_the_script_however_named, watch_stop),
        cmocka_unit_test_teardown(program_through_links_is_the_target, watch_stop),
        cmocka_unit_test_teardown(memfd_program_run_with_fexecve, watch_stop),
        cmocka_unit_test_teardown(memfd_script_named_by_a_number_the_host_uses, watch_stop),
        cmocka_unit_test_teardown(script_named_by_a_descriptor_is_the_execs_file, watch_stop),
        cmocka_unit_test_teardown(exec_from_a_non_leader_thread, watch_stop),
        cmocka_unit_test_teardown(exit_codes_and_signals, watch_stop),
        cmocka_unit_test_teardown(leader_exiting_before_its_thread, watch_stop),
        cmocka_unit_test_teardown(threads_exiting_together_make_one_delete, watch_stop),
        cmocka_unit_test_teardown(executable_deeper_than_the_walk, watch_stop),
        cmocka_unit_test_teardown(executable_path_longer_than_a_page, watch_stop),
        cmocka_unit_test_teardown(stop_and_start_again_leaks_nothing, watch_stop),
        cmocka_unit_test(not_started_in_a_pid_namespace),
    };
    return cmocka_run_group_tests_name("ext/source_tracepoint", tests, group_setup, group_teardown);
}
