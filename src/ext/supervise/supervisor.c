/*
 * A supervised command tree (ext_supervisor_*): a hook per extension
 * ("process/supervised/N", "bind/supervised/N"), and the loop of a run.
 * The loop runs on the caller's thread, where the programs run too; it
 * waits (poll) on
 *   - the helper's channel: the listener fd, exec failures, reaped statuses;
 *   - the seccomp listener: one notification per claimed call of the tree,
 *     handed to the extension that claims it;
 *   - a pidfd per process that exec'd: its exit (while execs keep coming,
 *     and the kernel keeps a reaped process' status, the pidfds are looked
 *     at after each exec is answered instead: one wake-up per exec, not two);
 *   - the helper's pidfd: the helper exits when the tree has no process left.
 * and, as long as an extension asks for it, a timeout for its tick. The
 * thread asks for a short time slice while a run lasts (src/ext/thread_slice.c).
 * The run is over once the helper is gone, the listener has hung up (no
 * task holds the filter any more: every process of the tree is reaped)
 * and every exit is reported. See supervise.h for the other files.
 *
 * A supervisor runs one tree at a time (-EBUSY otherwise) and must not be
 * destroyed while it runs.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ext/supervise/supervise.h"

static const struct sv_extension *const extensions[SV_EXTENSION_COUNT] = {
    [SV_PROCESS] = &sv_process_extension,
    [SV_BIND] = &sv_bind_extension,
};

struct ext_supervisor {
    struct core_hook *hooks[SV_EXTENSION_COUNT];
    struct ext_source_counters counters;
    struct sv_filter filter;
    atomic_bool running;
    ext_bind_report_fn *bind_report;
    void *bind_report_arg;
};

int ext_supervisor_create(struct ext_supervisor **out, struct core_hook **hook)
{
    static atomic_uint next_id;
    if (!out)
        return -EINVAL;
    int err = ext_register_builtin();
    if (err)
        return err;
    struct ext_supervisor *sv = calloc(1, sizeof(*sv));
    if (!sv)
        return -ENOMEM;
    err = sv_filter_build(&sv->filter, extensions);
    unsigned id = atomic_fetch_add(&next_id, 1) + 1;
    for (int e = 0; !err && e < SV_EXTENSION_COUNT; e++) {
        char name[64];
        snprintf(name, sizeof(name), "%s%u", extensions[e]->hook_prefix, id);
        struct core_hook_desc desc = {.name = name, .prog_type = extensions[e]->prog_type, .owner = sv};
        err = core_hook_register(&desc, &sv->hooks[e]);
    }
    if (err) {
        ext_supervisor_destroy(sv);
        return err;
    }
    *out = sv;
    if (hook)
        *hook = sv->hooks[SV_PROCESS];
    return 0;
}

struct core_hook *ext_supervisor_hook(const struct ext_supervisor *sv, const char *prog_type)
{
    for (int e = 0; sv && prog_type && e < SV_EXTENSION_COUNT; e++)
        if (!strcmp(extensions[e]->prog_type, prog_type))
            return sv->hooks[e];
    return NULL;
}

void ext_supervisor_on_bind(struct ext_supervisor *sv, ext_bind_report_fn *fn, void *arg)
{
    sv->bind_report = fn;
    sv->bind_report_arg = arg;
}

void ext_supervisor_stats(const struct ext_supervisor *sv, struct ext_source_stats *stats)
{
    ext_counters_read(&sv->counters, stats);
    stats->running = atomic_load(&sv->running);
}

void ext_supervisor_destroy(struct ext_supervisor *sv)
{
    if (!sv)
        return;
    for (int e = 0; e < SV_EXTENSION_COUNT; e++)
        if (sv->hooks[e])
            core_hook_unregister(sv->hooks[e]);
    sv_filter_free(&sv->filter);
    free(sv);
}

/* ------------------------------------------------------------------------ */
/* The loop of a run.                                                       */

struct loop {
    struct sv_run *run;
    struct sv_launch *launch;
    int start_err;    /* the command could not be started or executed: -errno */
    bool helper_gone;
    bool exits_batched;    /* exits may wait while execs come (sv_tree_status_kept()) */
    uint64_t exits_due_ns; /* CLOCK_MONOTONIC: until then they do */
    struct pollfd *fds;
    struct sv_proc **polled; /* the process of fds[FIXED_FDS + i] */
    size_t cap;
};

enum { FD_HELPER, FD_CHAN, FD_LISTENER, FIXED_FDS };

/* How long after an exec exits wait for the next exec (or this long) to be reported. */
enum { EXIT_LAG_MS = 10 };

/* Takes every message waiting on the channel. */
static void read_channel(struct loop *l)
{
    struct sv_run *run = l->run;
    struct sv_msg msg;
    int fd, rc;
    while ((rc = sv_launch_recv(l->launch, &msg, &fd)) > 0) {
        if (msg.kind == SV_MSG_LISTENER && fd >= 0 && run->listener < 0) {
            run->listener = fd;
            run->root = msg.pid;
            continue;
        }
        if (fd >= 0)
            close(fd);
        if (msg.kind == SV_MSG_SETUP_FAILED || msg.kind == SV_MSG_EXEC_FAILED) {
            l->start_err = -msg.value;
        } else if (msg.kind == SV_MSG_EXIT) {
            /* The command's first exit only: its pid may be reused in the tree after it was reaped. */
            if (msg.pid == run->root && !run->root_status_known) {
                run->root_status = msg.value;
                run->root_status_known = true;
            }
            sv_tree_reaped(&run->tree, msg.pid, msg.value);
        }
    }
    if (rc < 0) {
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: supervisor channel: %s", strerror(-rc));
    }
}

/* Fills l->fds (and *count) for the next poll: 0 or -ENOMEM. */
static int prepare_poll(struct loop *l, nfds_t *count)
{
    struct sv_run *run = l->run;
    size_t need = FIXED_FDS + run->tree.count;
    if (need > l->cap) {
        struct pollfd *fds = realloc(l->fds, need * sizeof(*fds));
        if (fds)
            l->fds = fds;
        struct sv_proc **polled = realloc(l->polled, need * sizeof(*polled));
        if (polled)
            l->polled = polled;
        if (!fds || !polled)
            return -ENOMEM;
        l->cap = need;
    }
    /* A negative fd is skipped by poll. */
    l->fds[FD_HELPER] = (struct pollfd){.fd = l->helper_gone ? -1 : l->launch->helper_pidfd, .events = POLLIN};
    l->fds[FD_CHAN] = (struct pollfd){.fd = l->helper_gone ? -1 : l->launch->chan, .events = POLLIN};
    l->fds[FD_LISTENER] = (struct pollfd){.fd = run->listener, .events = POLLIN};
    for (size_t i = 0; i < run->tree.count; i++) {
        l->polled[i] = run->tree.procs[i];
        l->fds[FIXED_FDS + i] = (struct pollfd){.fd = run->tree.procs[i]->pidfd, .events = POLLIN};
    }
    *count = need;
    return 0;
}

/* Receives one notification and hands it to the extension that claims it: 0, or -errno if the listener failed. */
static int take_notification(struct sv_run *run)
{
    struct seccomp_notif *n = run->notif;
    memset(n, 0, run->notif_size);
    if (ioctl(run->listener, SECCOMP_IOCTL_NOTIF_RECV, n) != 0)
        return errno == EINTR || errno == ENOENT ? 0 : -errno; /* ENOENT: it went before we took it */
    struct sv_call call;
    int e = sv_filter_classify(run->filter, n, &call);
    if (e < 0) { /* cannot happen: the filter notifies claimed calls only */
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: unexpected supervised system call %d (arch 0x%x)", n->data.nr, n->data.arch);
        sv_answer(run, n->id, -ENOSYS, 0, false);
        return 0;
    }
    extensions[e]->handle(run, run->state[e], &call);
    return 0;
}

/* Handles what the listener reports: a call to decide, or the end of the tree. */
static void on_listener(struct loop *l, short revents)
{
    struct sv_run *run = l->run;
    int err = 0;
    if (revents & POLLIN)
        err = take_notification(run);
    else if (revents & (POLLHUP | POLLERR | POLLNVAL))
        err = -EPIPE; /* no task holds the filter any more */
    if (!err)
        return;
    if (err != -EPIPE) {
        /* The tree's execs now fail with ENOSYS: none escapes the policy. */
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: supervisor listener failed: %s", strerror(-err));
    }
    close(run->listener);
    run->listener = -1;
}

/*
 * Reports the exits of the n processes in ready (all seen exited in one
 * round, so in an order we cannot see): a process before its parent, as
 * the parent waited for it. Consumes ready.
 */
static void report_exits(struct sv_run *run, struct sv_proc **ready, size_t n)
{
    while (n) {
        size_t pick = 0; /* the first that is no parent of the rest (else any) */
        for (size_t i = 0; i < n; i++) {
            bool child_left = false;
            for (size_t j = 0; j < n && !child_left; j++)
                child_left = j != i && ready[j]->ppid == (uint32_t)ready[i]->pid;
            if (!child_left) {
                pick = i;
                break;
            }
        }
        sv_events_exit(run, ready[pick]);
        ready[pick] = ready[--n];
    }
}

/* The poll timeout: the soonest tick an extension asks for (-1: none). */
static int tick_timeout(const struct sv_run *run)
{
    int timeout = -1;
    for (int e = 0; e < SV_EXTENSION_COUNT; e++) {
        int ms = extensions[e]->tick_in_ms ? extensions[e]->tick_in_ms(run->state[e]) : -1;
        if (ms >= 0 && (timeout < 0 || ms < timeout))
            timeout = ms;
    }
    return timeout;
}

/* Lets every extension look at what changed (final: the run is over). */
static void tick_all(struct sv_run *run, bool final)
{
    for (int e = 0; e < SV_EXTENSION_COUNT; e++)
        if (extensions[e]->tick)
            extensions[e]->tick(run, run->state[e], final);
}

/* Reports the exits among the procs pidfds the last poll saw readable (l->fds after the fixed ones). */
static void take_exits(struct loop *l, size_t procs)
{
    size_t ready = 0;
    for (size_t i = 0; i < procs; i++)
        if (l->fds[FIXED_FDS + i].revents)
            l->polled[ready++] = l->polled[i];
    /* The channel before the exits: a status the helper reaped is then known before its pidfd is
     * handled. Only when it has a message or an exit is due (else one empty receive per exec). */
    if (l->fds[FD_CHAN].revents || ready)
        read_channel(l);
    report_exits(l->run, l->polled, ready);
}

/*
 * Whether this round waits for exits too: not while execs keep coming
 * (one within EXIT_LAG_MS), where the exits are taken after each exec is
 * answered instead, saving a wake-up per process; only where a reaped
 * process keeps its status for us (else its parent's wait would take it).
 */
static bool exits_wait(const struct loop *l, uint64_t now)
{
    return !l->exits_batched || l->run->listener < 0 || now >= l->exits_due_ns;
}

/* One round: waits for something, then handles it. 0 or -errno (poll failed). */
static int loop_once(struct loop *l)
{
    uint64_t now = ext_monotonic_ns();
    bool with_exits = exits_wait(l, now);
    nfds_t count;
    int err = prepare_poll(l, &count);
    if (err)
        return err;
    int timeout = tick_timeout(l->run);
    if (!with_exits) {
        int lag = (int)((l->exits_due_ns - now + 999999) / 1000000);
        timeout = timeout < 0 || lag < timeout ? lag : timeout;
    }
    if (poll(l->fds, with_exits ? count : FIXED_FDS, timeout) < 0)
        return errno == EINTR ? 0 : -errno;
    /* Exits before execs: a pid freed by an exit may already be reused by an exec waiting (track() in
     * supervise_events.c reports such an exit itself when exits wait for the exec in hand). */
    if (with_exits)
        take_exits(l, count - FIXED_FDS);
    else if (l->fds[FD_CHAN].revents)
        read_channel(l);
    if (l->fds[FD_LISTENER].revents && l->run->listener >= 0) {
        on_listener(l, l->fds[FD_LISTENER].revents);
        l->exits_due_ns = ext_monotonic_ns() + EXIT_LAG_MS * 1000000ull;
    }
    if (l->fds[FD_HELPER].revents) {
        read_channel(l); /* all it sent before exiting */
        l->helper_gone = true;
    }
    if (!with_exits) { /* the exits of this round, after the exec is answered */
        err = prepare_poll(l, &count);
        if (err)
            return err;
        if (poll(l->fds + FIXED_FDS, count - FIXED_FDS, 0) > 0)
            take_exits(l, count - FIXED_FDS);
    }
    tick_all(l->run, false);
    return 0;
}

/* Supervises until the tree is gone: 0, or -errno if the loop failed. */
static int supervise(struct loop *l)
{
    int err = 0;
    while (!err && !(l->helper_gone && l->run->listener < 0 && l->run->tree.count == 0))
        err = loop_once(l);
    if (err)
        core_trace_printf("bpfhost: supervisor stopped: %s", strerror(-err));
    tick_all(l->run, true);
    free(l->fds);
    free(l->polled);
    return err;
}

/* Allocates the run's notification buffers, of the kernel's sizes: 0 or -errno. */
static int notification_buffers(struct sv_run *run)
{
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
        return -errno;
    /* The kernel writes its own sizes, which may grow past our headers'. */
    run->notif_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif
                                                                          : sizeof(struct seccomp_notif);
    run->resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp) ? sizes.seccomp_notif_resp
                                                                                   : sizeof(struct seccomp_notif_resp);
    run->notif = calloc(1, run->notif_size);
    run->resp = calloc(1, run->resp_size);
    return run->notif && run->resp ? 0 : -ENOMEM;
}

int ext_supervisor_run(struct ext_supervisor *sv, char *const argv[], int *exit_code)
{
    if (!sv || !argv || !argv[0] || !exit_code)
        return -EINVAL;
    *exit_code = 127;
    if (atomic_exchange(&sv->running, true))
        return -EBUSY;
    struct sv_run run = {.counters = &sv->counters, .filter = &sv->filter, .listener = -1,
                         .bind_report = sv->bind_report, .bind_report_arg = sv->bind_report_arg};
    struct sv_launch launch = {.helper_pidfd = -1, .chan = -1};
    struct loop l = {.run = &run, .launch = &launch, .exits_batched = sv_tree_status_kept()};
    char path[4096];
    int err = sv_find_program(argv[0], path, sizeof(path));
    if (!err)
        err = notification_buffers(&run);
    int started = 0; /* extensions started, to be stopped */
    while (!err && started < SV_EXTENSION_COUNT) {
        err = extensions[started]->start(&run, sv->hooks[started], &run.state[started]);
        if (!err)
            started++;
    }
    if (!err)
        err = sv_launch_start(&sv->filter, path, argv, &launch);
    if (!err) {
        struct ext_slice slice;
        ext_slice_shorten(&slice);
        err = supervise(&l);
        ext_slice_restore(&slice);
    }
    if (!err)
        err = l.start_err;
    if (!err && !run.root_status_known)
        err = -ECHILD; /* the helper was killed before it could tell */
    if (!err)
        *exit_code = (int)ext_exit_code(run.root_status);
    if (launch.helper > 0 && !l.helper_gone)
        kill(launch.helper, SIGKILL); /* the loop failed: stop the helper (the tree loses its listener) */
    sv_launch_finish(&launch);
    if (run.listener >= 0)
        close(run.listener);
    for (int e = 0; e < started; e++)
        if (extensions[e]->stop)
            extensions[e]->stop(&run, run.state[e]);
    sv_tree_free(&run.tree);
    free(run.notif);
    free(run.resp);
    atomic_store(&sv->running, false);
    return err;
}
