/*
 * The netlink proc connector source (hook "process/netlink"): every exec
 * on the machine as a create, every process exit as a delete, observed
 * after the fact (a program's return cannot deny). The kernel multicasts
 * one small message per process event to the sockets that asked for them
 * (proc_connector.c, which also counts loss); one reader thread per
 * running source turns them into process events and fills in from /proc,
 * and from what it kept of earlier events (proc_tracker.c), what the
 * messages lack.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ext/process/proc_connector.h"
#include "ext/process/proc_tracker.h"

struct netlink_source {
    struct core_hook *hook;
    struct ext_source_counters *counters;
    int wake;          /* eventfd: stop() writes it to end the reader */
    pthread_t thread;
    struct proc_connector *pc;
    struct proc_tracker tracker;
};

#define TRACE_PREFIX "bpfhost: netlink proc connector: "

static void on_event(void *arg, const struct proc_event *ev)
{
    struct netlink_source *s = arg;
    struct ext_process_event e;
    if (ev->what == PROC_EVENT_FORK) {
        proc_tracker_fork(&s->tracker, ev);
    } else if (ev->what == PROC_EVENT_EXEC) {
        proc_tracker_exec_from_proc(&s->tracker, s->hook, ev);
    } else if (proc_tracker_exit(&s->tracker, ev, &e)) {
        ext_dispatch_observed(s->hook, s->counters, &e, TRACE_PREFIX);
        proc_tracker_forget(&s->tracker, (uint32_t)e.md.process_id);
    }
}

/* The reader thread: handles messages as they come (in windows under a storm) until stop() wakes it. */
static void *reader(void *arg)
{
    struct netlink_source *s = arg;
    int err = proc_connector_run(s->pc, s->wake);
    if (!err)
        return NULL;
    atomic_fetch_add(&s->counters->errors, 1);
    core_trace_printf(TRACE_PREFIX "reader stopped, no more events until the source restarts: %s", strerror(-err));
    return NULL;
}

static void destroy(struct netlink_source *s)
{
    proc_connector_close(s->pc);
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
        err = proc_connector_open(counters, TRACE_PREFIX, on_event, s, &s->pc);
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
