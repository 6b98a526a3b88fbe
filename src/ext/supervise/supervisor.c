/*
 * A supervised command tree (ext_supervisor_*): a hook per extension
 * ("process/supervised/N", "bind/supervised/N"), and the loop of a run.
 * The tree's notifications (one per claimed call) are taken by worker
 * threads, which run the programs (supervise_workers.c). The loop runs on
 * the caller's thread; it waits (poll) on
 *   - the helper's channel: the listener fd, exec failures, reaped statuses;
 *   - the seccomp listener, for its hang-up only (no task holds the filter
 *     any more: every process of the tree is reaped), and the workers'
 *     stop eventfd, which a worker whose listener failed writes;
 *   - the tree's pidfds (one epoll set): the exits of processes that
 *     exec'd (while execs keep coming, and the kernel keeps a reaped
 *     process' status, the workers report them with each notification
 *     instead: one wake-up per exec, not two);
 *   - the helper's pidfd: the helper exits when the tree has no process left.
 * and, as long as an extension asks for it, a timeout for its tick.
 * The run is over once the helper is gone, the listener has hung up and
 * every exit is reported. See supervise.h for the other files.
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
#include <sys/syscall.h>
#include <unistd.h>

#include "ext/supervise/supervise.h"

const struct sv_extension *const sv_extensions[SV_EXTENSION_COUNT] = {
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
    err = sv_filter_build(&sv->filter, sv_extensions);
    unsigned id = atomic_fetch_add(&next_id, 1) + 1;
    for (int e = 0; !err && e < SV_EXTENSION_COUNT; e++) {
        char name[64];
        snprintf(name, sizeof(name), "%s%u", sv_extensions[e]->hook_prefix, id);
        struct core_hook_desc desc = {.name = name, .prog_type = sv_extensions[e]->prog_type, .owner = sv};
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
        if (!strcmp(sv_extensions[e]->prog_type, prog_type))
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
    struct sv_workers workers; /* stop_fd -1: none runs */
    int start_err;    /* the command could not be started or executed: -errno */
    bool helper_gone;
};

enum { FD_HELPER, FD_CHAN, FD_LISTENER, FD_WORKERS, FD_EXITS, FD_COUNT };

/* Takes every message waiting on the channel (run->lock held). */
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

/* The listener is done (hung up: no task holds the filter any more; or failed): stops the workers, closes it. */
static void close_listener(struct loop *l)
{
    sv_workers_stop(&l->workers);
    if (l->run->listener >= 0)
        close(l->run->listener);
    l->run->listener = -1;
}

/* The poll timeout: the soonest tick an extension asks for (-1: none). */
static int tick_timeout(const struct sv_run *run)
{
    int timeout = -1;
    for (int e = 0; e < SV_EXTENSION_COUNT; e++) {
        int ms = sv_extensions[e]->tick_in_ms ? sv_extensions[e]->tick_in_ms(run->state[e]) : -1;
        if (ms >= 0 && (timeout < 0 || ms < timeout))
            timeout = ms;
    }
    return timeout;
}

/* Lets every extension look at what changed (final: the run is over). */
static void tick_all(struct sv_run *run, bool final)
{
    for (int e = 0; e < SV_EXTENSION_COUNT; e++)
        if (sv_extensions[e]->tick)
            sv_extensions[e]->tick(run, run->state[e], final);
}

/*
 * Whether this round waits for exits too: not while execs keep coming
 * (one within SV_EXIT_LAG_MS), where the workers report the exits with
 * each notification instead, saving a wake-up per process; only where a
 * reaped process keeps its status for us (else its parent's wait would
 * take it).
 */
static bool exits_wait(const struct sv_run *run, uint64_t now)
{
    return !run->exits_batched || run->listener < 0 || now >= atomic_load(&run->exits_due_ns);
}

/* One round: waits for something, then handles it. 0 or -errno (poll or the workers' start failed). */
static int loop_once(struct loop *l)
{
    struct sv_run *run = l->run;
    uint64_t now = ext_monotonic_ns();
    pthread_mutex_lock(&run->lock);
    bool with_exits = exits_wait(run, now);
    int timeout = tick_timeout(run);
    pthread_mutex_unlock(&run->lock);
    if (!with_exits) {
        /* Read again, and a worker may have set it since: not before now. */
        uint64_t due = atomic_load(&run->exits_due_ns);
        int lag = due > now ? (int)((due - now + 999999) / 1000000) : 0;
        timeout = timeout < 0 || lag < timeout ? lag : timeout;
    }
    /* A negative fd is skipped by poll. The listener only for its hang-up: its notifications are the workers'. */
    struct pollfd fds[FD_COUNT] = {
        [FD_HELPER] = {.fd = l->helper_gone ? -1 : l->launch->helper_pidfd, .events = POLLIN},
        [FD_CHAN] = {.fd = l->helper_gone ? -1 : l->launch->chan, .events = POLLIN},
        [FD_LISTENER] = {.fd = run->listener, .events = 0},
        [FD_WORKERS] = {.fd = l->workers.stop_fd, .events = POLLIN},
        [FD_EXITS] = {.fd = with_exits ? run->tree.exits_fd : -1, .events = POLLIN},
    };
    if (poll(fds, FD_COUNT, timeout) < 0)
        return errno == EINTR ? 0 : -errno;
    if (fds[FD_LISTENER].revents || fds[FD_WORKERS].revents)
        close_listener(l);
    pthread_mutex_lock(&run->lock);
    /* The channel before the exits: a status the helper reaped is then known before its pidfd is handled.
     * Only when it has a message or an exit is due (else one empty receive per round). */
    if (fds[FD_CHAN].revents || fds[FD_EXITS].revents)
        read_channel(l);
    if (fds[FD_EXITS].revents)
        sv_tree_report_exits(run);
    if (fds[FD_HELPER].revents) {
        read_channel(l); /* all it sent before exiting */
        l->helper_gone = true;
    }
    tick_all(run, false);
    pthread_mutex_unlock(&run->lock);
    if (run->listener >= 0 && l->workers.stop_fd < 0)
        return sv_workers_start(&l->workers, run);
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
    sv_workers_stop(&l->workers);
    tick_all(l->run, true);
    return err;
}

/* The kernel's sizes of a notification and of an answer (which must fit in SV_RESP_ROOM): 0 or -errno. */
static int notification_sizes(struct sv_run *run)
{
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0)
        return -errno;
    /* The kernel writes its own sizes, which may grow past our headers'. */
    run->notif_size = sizes.seccomp_notif > sizeof(struct seccomp_notif) ? sizes.seccomp_notif
                                                                          : sizeof(struct seccomp_notif);
    run->resp_size = sizes.seccomp_notif_resp > sizeof(struct seccomp_notif_resp) ? sizes.seccomp_notif_resp
                                                                                   : sizeof(struct seccomp_notif_resp);
    return run->resp_size <= SV_RESP_ROOM ? 0 : -EOVERFLOW;
}

int ext_supervisor_run(struct ext_supervisor *sv, char *const argv[], int *exit_code)
{
    if (!sv || !argv || !argv[0] || !exit_code)
        return -EINVAL;
    *exit_code = 127;
    if (atomic_exchange(&sv->running, true))
        return -EBUSY;
    struct sv_run run = {.counters = &sv->counters, .filter = &sv->filter, .listener = -1,
                         .exits_batched = sv_tree_status_kept(), .bind_report = sv->bind_report,
                         .bind_report_arg = sv->bind_report_arg};
    pthread_mutex_init(&run.lock, NULL);
    struct sv_launch launch = {.helper_pidfd = -1, .chan = -1};
    struct loop l = {.run = &run, .launch = &launch, .workers = {.stop_fd = -1}};
    char path[4096];
    int err = sv_tree_init(&run.tree);
    if (!err)
        err = sv_find_program(argv[0], path, sizeof(path));
    if (!err)
        err = notification_sizes(&run);
    int started = 0; /* extensions started, to be stopped */
    while (!err && started < SV_EXTENSION_COUNT) {
        err = sv_extensions[started]->start(&run, sv->hooks[started], &run.state[started]);
        if (!err)
            started++;
    }
    if (!err)
        err = sv_launch_start(&sv->filter, path, argv, &launch);
    if (!err)
        err = supervise(&l);
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
        if (sv_extensions[e]->stop)
            sv_extensions[e]->stop(&run, run.state[e]);
    sv_tree_free(&run.tree);
    pthread_mutex_destroy(&run.lock);
    atomic_store(&sv->running, false);
    return err;
}
