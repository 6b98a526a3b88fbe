/*
 * The netlink proc connector source (hook "process/netlink"): every exec
 * on the machine as a create, every process exit as a delete, observed
 * after the fact (a program's return cannot deny). The kernel multicasts
 * one small message per process event to the sockets that asked for them
 * (proc_connector.c, which also counts loss); one reader thread per
 * running source turns them into process events and fills in from /proc,
 * and from what it kept of earlier events (proc_tracker.c), what the
 * messages lack.
 *
 * Under a storm the reader drains in windows (read_window.c), which would
 * read a short-lived process' /proc after its exit: a second socket,
 * filtered to the exec messages, is watched during the windows too, and
 * each exec's /proc is read as its message comes (its snapshot), then
 * used when the exec's turn comes in the order of the first socket. Forks
 * and exits wait for the window.
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

#include "ext/process/proc_connector.h"
#include "ext/process/proc_tracker.h"

struct netlink_source {
    struct core_hook *hook;
    struct ext_source_counters *counters;
    int wake;          /* eventfd: stop() writes it to end the reader */
    pthread_t thread;
    struct proc_connector *pc;     /* every message, handled in order */
    struct proc_connector *execs;  /* the exec messages only, read at once */
    struct pid_table *snapshots;   /* tgid -> what /proc showed at its exec (creation_time: the exec's timestamp) */
    struct proc_tracker tracker;
};

enum { SNAPSHOTS_MAX = 4096, SNAPSHOT_BYTES = 16 << 20 };

#define TRACE_PREFIX "bpfhost: netlink proc connector: "

/* An exec message of the exec socket: what /proc shows of the new image now, kept for its turn. */
static void on_exec_now(void *arg, const struct proc_event *ev)
{
    struct netlink_source *s = arg;
    uint32_t tgid = (uint32_t)ev->event_data.exec.process_tgid;
    struct pid_record rec;
    if (!proc_tracker_read_proc(&s->tracker, tgid, &rec))
        return; /* gone already: its turn reports what is known */
    char exe[48];
    snprintf(exe, sizeof(exe), "/proc/%u/exe", tgid);
    struct stat st;
    if (stat(exe, &st) == 0) {
        rec.exe_device = (uint64_t)st.st_dev;
        rec.exe_inode = (uint64_t)st.st_ino;
    }
    rec.creation_time = ev->timestamp_ns; /* which exec this is */
    pid_table_put(s->snapshots, tgid, &rec);
}

/* An exec's turn: from its snapshot if one was taken, else from /proc now. */
static void on_exec(struct netlink_source *s, const struct proc_event *ev)
{
    uint32_t tgid = (uint32_t)ev->event_data.exec.process_tgid;
    const struct pid_record *snap = pid_table_get(s->snapshots, tgid);
    if (snap && snap->creation_time == ev->timestamp_ns) {
        struct pid_record now = *snap;
        now.creation_time = 0; /* the fork's time, kept by the tracker */
        proc_tracker_exec_read(&s->tracker, s->hook, ev, &now);
    } else {
        proc_tracker_exec_from_proc(&s->tracker, s->hook, ev);
    }
    if (snap && snap->creation_time <= ev->timestamp_ns)
        pid_table_remove(s->snapshots, tgid); /* a later exec's snapshot stays for its own turn */
}

static void on_event(void *arg, const struct proc_event *ev)
{
    struct netlink_source *s = arg;
    struct ext_process_event e;
    if (ev->what == PROC_EVENT_FORK) {
        proc_tracker_fork(&s->tracker, ev);
    } else if (ev->what == PROC_EVENT_EXEC) {
        on_exec(s, ev);
    } else if (proc_tracker_exit(&s->tracker, ev, &e)) {
        ext_dispatch_observed(s->hook, s->counters, &e, TRACE_PREFIX);
        proc_tracker_forget(&s->tracker, (uint32_t)e.md.process_id);
    }
}

/*
 * The reader thread: the exec socket as messages come, every message in
 * windows under a storm, until stop() wakes it. The exec socket is drained
 * first: a snapshot is taken before its exec's turn.
 */
static void *reader(void *arg)
{
    struct netlink_source *s = arg;
    struct pollfd fds[3] = {{.fd = s->wake, .events = POLLIN},
                            {.fd = proc_connector_fd(s->execs), .events = POLLIN},
                            {.fd = proc_connector_fd(s->pc), .events = POLLIN}};
    struct read_window window = {.storm_messages = READ_STORM_PROC_MESSAGES};
    /* Woken by an exec's message, it must read that exec's /proc before the process exits: a short slice
     * lets it run sooner on a busy machine (thread_slice.c). For the thread's life: it ends with the source. */
    struct ext_slice kept;
    ext_slice_shorten(&kept);
    int err;
    while ((err = read_window_wait(&window, fds, 3, 2)) == 0) {
        if (fds[0].revents)
            return NULL;
        if ((fds[1].revents || fds[2].revents) && (err = proc_connector_drain(s->execs)) < 0)
            break;
        if (!fds[2].revents)
            continue;
        int n = proc_connector_drain(s->pc);
        if (n < 0) {
            err = n;
            break;
        }
        read_window_drained(&window, (size_t)n);
    }
    atomic_fetch_add(&s->counters->errors, 1);
    core_trace_printf(TRACE_PREFIX "reader stopped, no more events until the source restarts: %s", strerror(-err));
    return NULL;
}

static void destroy(struct netlink_source *s)
{
    proc_connector_close(s->pc);
    proc_connector_close(s->execs);
    pid_table_destroy(s->snapshots);
    if (s->wake >= 0)
        close(s->wake);
    proc_tracker_free(&s->tracker);
    free(s);
}

static int netlink_start(struct core_hook *hook, struct ext_source_counters *counters, void **state)
{
    struct netlink_source *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->hook = hook;
    s->counters = counters;
    s->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int err = s->wake < 0 ? -errno : proc_tracker_init(&s->tracker, counters, TRACE_PREFIX);
    if (!err)
        err = pid_table_create(SNAPSHOTS_MAX, SNAPSHOT_BYTES, &s->snapshots);
    if (!err) /* the exec socket first: every exec the other socket hands on had its chance of a snapshot */
        err = proc_connector_open(counters, TRACE_PREFIX, true, on_exec_now, s, &s->execs);
    if (!err)
        err = proc_connector_open(counters, TRACE_PREFIX, false, on_event, s, &s->pc);
    if (!err) {
        proc_tracker_scan(&s->tracker); /* after listening: a process is either read here or seen forking */
        err = -pthread_create(&s->thread, NULL, reader, s);
    }
    if (err) {
        destroy(s);
        return err;
    }
    *state = s;
    return 0;
}

static void netlink_stop(void *state)
{
    struct netlink_source *s = state;
    ext_wake(s->wake, TRACE_PREFIX);
    pthread_join(s->thread, NULL);
    destroy(s);
}

const struct ext_source_ops ext_source_netlink = {
    .hook_name = EXT_PROCESS_HOOK_NETLINK,
    .start = netlink_start,
    .stop = netlink_stop,
};
