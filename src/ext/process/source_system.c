/*
 * The system-wide process hook "process", what a user of eBPF for
 * Windows expects of PsSetCreateProcessNotifyRoutineEx: every exec a
 * create that programs can deny, with its exact argv and image, and every
 * process exit a delete with its exit code, image and command line.
 *
 * Composed of two sources. Creates: the fanotify source (source_fanotify.c,
 * the exec waits for the programs; one create per file the exec opens).
 * Deletes: the proc connector's exit messages, completed from what was
 * kept of the process (proc_tracker.c): read from /proc once at start,
 * inherited at fork, and at each exec the identity of its fanotify create
 * of kind program (its argv and image), taken when the proc connector says
 * the exec succeeded and the process' executable is the file fanotify saw
 * (an exec allowed but failing later leaves nothing). An exec fanotify did
 * not see (a memfd's, a filesystem not marked) is still a create, after
 * the fact, read from /proc as the netlink source does (its return cannot
 * deny), and traced.
 *
 * Order per process: a create is dispatched before the exec it decides
 * completes, so before the process' exit; only a process killed while its
 * exec waits could exit during that dispatch: its delete waits for it
 * (at most the deadline and a second).
 *
 * Creates (the fanotify relay) and deletes (the proc connector's thread,
 * which reads in windows under a storm: read_window.c) take turns, one
 * dispatch at a time (see struct ext_exec_observer's turn).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext/process/fanotify.h"
#include "ext/process/proc_connector.h"
#include "ext/process/proc_tracker.h"

#define TRACE_PREFIX "bpfhost: process: "

enum {
    PENDING_ENTRIES = 4096,
    PENDING_BYTES = 16 << 20,
    INFLIGHT_MAX = 16,
    DELETE_WAIT_EXTRA_MS = 1000,
};

struct system_source {
    struct core_hook *hook;
    struct ext_source_counters *counters;
    void *fanotify;
    struct proc_connector *pc;
    struct proc_tracker tracker;   /* the reader's */
    int wake;
    pthread_t reader;
    bool reader_started;

    struct ext_turn turn;          /* dispatches take turns (see struct ext_exec_observer) */
    pthread_mutex_t lock;          /* guards what follows */
    pthread_cond_t cond;           /* CLOCK_MONOTONIC: a dispatch in flight ended */
    struct pid_table *pending;     /* tgid -> the identity of the exec fanotify is deciding */
    uint32_t inflight[INFLIGHT_MAX];
    size_t ninflight;
};

/* ------------------------------------------------------------------------ */
/* What fanotify tells.                                                     */

static void before_creates(void *arg, const struct ext_process_event *creates, size_t n)
{
    struct system_source *s = arg;
    uint32_t tgid = (uint32_t)creates[0].md.process_id;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < n; i++) {
        const struct ext_process_event *c = &creates[i];
        if (c->md.image_kind == PROCESS_IMAGE_PROGRAM) {
            const char *base = c->image_path_len ? memrchr(c->image_path, '/', c->image_path_len) : NULL;
            base = base ? base + 1 : c->image_path;
            struct pid_record rec = {
                .ppid = (uint32_t)c->md.parent_process_id, .uid = c->md.uid, .gid = c->md.gid,
                .creation_time = c->md.creation_time, .exe_device = c->md.image_device,
                .exe_inode = c->md.image_inode, .image_path = c->image_path, .image_path_len = c->image_path_len,
                .command_line = c->command_line, .command_line_len = c->command_line_len};
            size_t blen = c->image_path_len - (size_t)(base - c->image_path);
            if (blen)
                memcpy(rec.comm, base, blen < sizeof(rec.comm) - 1 ? blen : sizeof(rec.comm) - 1);
            if (pid_table_put(s->pending, tgid, &rec) != 0)
                atomic_fetch_add(&s->counters->errors, 1);
        } else if (c->md.image_kind == PROCESS_IMAGE_SCRIPT_INTERPRETER) {
            /* The process will run the last interpreter: its executable is that file. */
            const struct pid_record *p = pid_table_get(s->pending, tgid);
            if (p) {
                struct pid_record rec = *p;
                rec.exe_device = c->md.image_device;
                rec.exe_inode = c->md.image_inode;
                pid_table_put(s->pending, tgid, &rec);
            }
        }
    }
    if (s->ninflight < INFLIGHT_MAX)
        s->inflight[s->ninflight++] = tgid;
    pthread_mutex_unlock(&s->lock);
}

static void after_creates(void *arg, pid_t tgid)
{
    struct system_source *s = arg;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->ninflight; i++) {
        if (s->inflight[i] == (uint32_t)tgid) {
            s->inflight[i] = s->inflight[--s->ninflight];
            break;
        }
    }
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------------------ */
/* What the proc connector tells.                                           */

/* Takes the dispatch turn, waiting at most the deadline a dispatch gets (then runs without it): its ticket. */
static uint64_t take_turn(struct system_source *s)
{
    struct ext_deadline d;
    ext_process_get_deadline(&d);
    uint64_t ticket;
    ext_turn_take(&s->turn, ext_monotonic_ns() + (uint64_t)d.ms * 1000000u, NULL, &ticket);
    return ticket;
}

/* An exec succeeded: the identity fanotify saw becomes the process', or, unseen, it is reported from /proc. */
static void on_exec_event(struct system_source *s, const struct proc_event *ev)
{
    uint32_t tgid = (uint32_t)ev->event_data.exec.process_tgid;
    char exe[48];
    snprintf(exe, sizeof(exe), "/proc/%u/exe", tgid);
    struct stat st;
    bool gone = stat(exe, &st) != 0;
    pthread_mutex_lock(&s->lock);
    const struct pid_record *p = pid_table_get(s->pending, tgid);
    bool seen = p && (gone || ((uint64_t)st.st_dev == p->exe_device && (uint64_t)st.st_ino == p->exe_inode));
    if (seen) /* as its create told it, creation time included */
        proc_tracker_put(&s->tracker, tgid, p);
    if (p)
        pid_table_remove(s->pending, tgid);
    pthread_mutex_unlock(&s->lock);
    if (seen)
        return;
    core_trace_printf(TRACE_PREFIX "the exec of pid %u was not seen by fanotify (a memfd, a filesystem not "
                      "marked): reported after the fact", tgid);
    uint64_t turn = take_turn(s);
    proc_tracker_exec_from_proc(&s->tracker, s->hook, ev);
    ext_turn_give(&s->turn, turn);
}

/* An exit: the delete, once any create of the process still being dispatched is done. */
static void on_exit_event(struct system_source *s, const struct proc_event *ev)
{
    struct ext_process_event e;
    if (!proc_tracker_exit(&s->tracker, ev, &e))
        return;
    uint32_t tgid = (uint32_t)e.md.process_id;
    struct ext_deadline d;
    ext_process_get_deadline(&d);
    uint64_t until = ext_monotonic_ns() + ((uint64_t)d.ms + DELETE_WAIT_EXTRA_MS) * 1000000u;
    struct timespec ts = ext_timespec_of(until);
    pthread_mutex_lock(&s->lock);
    for (bool busy = true; busy;) {
        busy = false;
        for (size_t i = 0; i < s->ninflight; i++)
            busy |= s->inflight[i] == tgid;
        if (busy && pthread_cond_timedwait(&s->cond, &s->lock, &ts) == ETIMEDOUT)
            break;
    }
    pid_table_remove(s->pending, tgid);
    pthread_mutex_unlock(&s->lock);
    uint64_t turn = take_turn(s);
    ext_dispatch_observed(s->hook, s->counters, &e, TRACE_PREFIX);
    ext_turn_give(&s->turn, turn);
    proc_tracker_forget(&s->tracker, tgid);
}

static void on_event(void *arg, const struct proc_event *ev)
{
    struct system_source *s = arg;
    if (ev->what == PROC_EVENT_FORK)
        proc_tracker_fork(&s->tracker, ev);
    else if (ev->what == PROC_EVENT_EXEC)
        on_exec_event(s, ev);
    else
        on_exit_event(s, ev);
}

static void *reader_main(void *arg)
{
    struct system_source *s = arg;
    int err = proc_connector_run(s->pc, s->wake);
    if (!err)
        return NULL;
    atomic_fetch_add(&s->counters->errors, 1);
    core_trace_printf(TRACE_PREFIX "proc connector reader stopped, no more deletes until the source restarts: %s",
                      strerror(-err));
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Start and stop.                                                          */

static void destroy(struct system_source *s)
{
    if (s->fanotify)
        ext_fanotify_stop(s->fanotify);
    if (s->reader_started) {
        ext_wake(s->wake, TRACE_PREFIX);
        pthread_join(s->reader, NULL);
    }
    proc_connector_close(s->pc);
    proc_tracker_free(&s->tracker);
    pid_table_destroy(s->pending);
    if (s->wake >= 0)
        close(s->wake);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    ext_turn_destroy(&s->turn);
    free(s);
}

static int system_start(struct core_hook *hook, struct ext_source_counters *counters, void **state)
{
    struct system_source *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->hook = hook;
    s->counters = counters;
    ext_monotonic_cond_init(&s->lock, &s->cond);
    ext_turn_init(&s->turn);
    s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int err = s->wake < 0 ? -errno : pid_table_create(PENDING_ENTRIES, PENDING_BYTES, &s->pending);
    if (!err)
        err = proc_tracker_init(&s->tracker, counters, TRACE_PREFIX);
    if (!err)
        err = proc_connector_open(counters, TRACE_PREFIX, false, on_event, s, &s->pc);
    if (!err) {
        proc_tracker_scan(&s->tracker);
        err = -pthread_create(&s->reader, NULL, reader_main, s);
        s->reader_started = !err;
    }
    struct ext_exec_observer observer = {.before = before_creates, .after = after_creates, .arg = s, .turn = &s->turn};
    if (!err)
        err = ext_fanotify_start(hook, counters, &observer, &s->fanotify);
    if (err) {
        destroy(s);
        return err;
    }
    *state = s;
    return 0;
}

static void system_stop(void *state)
{
    destroy(state);
}

const struct ext_source_ops ext_source_system = {
    .hook_name = EXT_PROCESS_HOOK,
    .start = system_start,
    .stop = system_stop,
};
