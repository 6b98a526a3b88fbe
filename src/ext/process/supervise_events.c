/*
 * The process extension's part of a supervised tree (sv_process_extension:
 * it claims execve and execveat of every ABI). A create is one exec,
 * stopped by the filter before it happens: read what
 * it asks for from the waiting thread (its memory, its process' ids,
 * start time and comm, the files the exec opens, a pidfd for its delete),
 * then check the notification is still valid (the thread may have died
 * and its pid been reused while we read), dispatch the create event, then
 * let the exec go on
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE) or fail it with EPERM.
 *
 * What we cannot read, we deny (fail closed): a thread that could hide its
 * arguments (e.g. made itself non-dumpable) would otherwise pass unseen.
 * An exec the kernel is bound to refuse (no such file: a shell or execvp
 * trying each directory of $PATH) is answered with the kernel's own error
 * and is no event.
 *
 * The limit of FLAG_CONTINUE (see seccomp_unotify(2)): the kernel reads
 * the path and argv again after our answer, so another thread sharing the
 * target's memory, or anyone renaming files, can change what runs between
 * our check and the exec. This source is a policy aid for a tree that does
 * not work against it, not a sandbox against a malicious one.
 *
 * A delete is the exit of a process that had a create (see
 * supervise_tree.c for its exit status).
 *
 * The programs of one exec get the deadline of the deny sources
 * (ext_deadline_from_now()); one stopped there makes the exec answered by the
 * fail-open / fail-closed setting (counted, traced).
 *
 * Execs are handled by several workers at once (supervise_workers.c),
 * each reading into scratch of its own; from the validity check to the
 * last event dispatched a worker holds run->lock (reporting first the
 * exits that waited), so an exit another thread reports (the process
 * killed in its exec after the check) comes after the create, and events
 * are dispatched one at a time.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ext/process/exec_target.h"
#include "ext/supervise/supervise.h"

/* What an exec asks for, read from the waiting thread. */
struct sv_request {
    pid_t tid, tgid;
    int pidfd; /* of the process, opened while the thread waits (for its delete), or -1 */
    struct ext_exec_args args;
    char path[4096];  /* as passed */
    char image[4096]; /* resolved */
    int image_fd;     /* O_PATH, or -1 (the chain's once it is built) */
    long command_len;
    bool truncated;
    struct ext_proc_info info; /* the process before the exec: ids, start time, comm */
    struct ext_exec_chain chain;
};

/* What one worker reads an exec into. */
struct scratch {
    struct sv_request request;
    char *command_line; /* EXT_COMMAND_LINE_MAX bytes (its pages are touched only as far as a command line goes) */
};

/* The extension's state during a run. */
struct process_part {
    struct core_hook *hook;
    struct scratch scratch[SV_WORKERS_MAX]; /* one per worker */
};

static void stop(struct sv_run *run, void *state)
{
    (void)run;
    struct process_part *pp = state;
    for (size_t i = 0; i < SV_WORKERS_MAX; i++)
        free(pp->scratch[i].command_line);
    free(pp);
}

static int start(struct sv_run *run, struct core_hook *hook, void **state)
{
    struct process_part *pp = calloc(1, sizeof(*pp));
    if (!pp)
        return -ENOMEM;
    pp->hook = hook;
    for (size_t i = 0; i < SV_WORKERS_MAX; i++) {
        pp->scratch[i].command_line = malloc(EXT_COMMAND_LINE_MAX);
        if (!pp->scratch[i].command_line) {
            stop(run, pp);
            return -ENOMEM;
        }
    }
    *state = pp;
    return 0;
}

/*
 * The process of the waiting thread: its tgid, ids, start time and comm
 * (a pidfd's PIDFD_GET_INFO and /proc/TGID/stat, nothing more: the image
 * and command line are the exec's) and a pidfd for its delete. Usually
 * the thread leads its process: then one pidfd serves both. 0 or -errno.
 */
static int read_process(struct sv_request *r)
{
    r->pidfd = (int)syscall(SYS_pidfd_open, r->tid, 0); /* fails (EINVAL) for a thread that leads no process */
    if (r->pidfd >= 0 && ext_proc_read_leader(r->pidfd, (uint32_t)r->tid, &r->info) == 0) {
        r->tgid = r->args.tgid = r->tid;
        return 0;
    }
    if (r->pidfd >= 0)
        close(r->pidfd);
    r->pidfd = -1;
    uint32_t tgid;
    int err = ext_proc_read_thread((uint32_t)r->tid, &tgid, &r->info);
    if (err)
        return err;
    r->tgid = r->args.tgid = (pid_t)tgid;
    r->pidfd = (int)syscall(SYS_pidfd_open, r->tgid, 0);
    return r->pidfd < 0 ? -errno : 0;
}

/*
 * Reads the request of notification n into r, with the chain of files it
 * opens when it can run: 0; or -errno with *fails set when the exec itself
 * would fail with that error; or -errno (not *fails) when we could not
 * read it. Everything is read before the caller checks the notification
 * is still valid: the thread was then waiting all along, so every pid we
 * used was its.
 */
static int read_request(struct scratch *s, const struct sv_call *call, bool *fails)
{
    struct sv_request *r = &s->request;
    const struct seccomp_notif *n = call->n;
    const struct sv_abi *abi = call->abi;
    *fails = false;
    r->image_fd = r->pidfd = -1;
    r->chain.count = 0;
    bool at = !strcmp(call->name, "execveat");
    uint64_t mask = abi->ptr_size == 4 ? 0xffffffffu : ~0ull; /* 32-bit ABIs: pointers are 32 bits */
    uint64_t path_addr = n->data.args[at ? 1 : 0] & mask, argv_addr = n->data.args[at ? 2 : 1] & mask;
    int dirfd = at ? (int)(uint32_t)n->data.args[0] : AT_FDCWD;
    int flags = at ? (int)(uint32_t)n->data.args[4] : 0;
    r->tid = (pid_t)n->pid;
    r->args = (struct ext_exec_args){.tid = r->tid, .at = at, .dirfd = dirfd, .flags = flags, .path = path_addr,
                                     .argv = argv_addr, .envp = n->data.args[at ? 3 : 2] & mask,
                                     .ptr_size = abi->ptr_size};
    long len = ext_target_string(r->tid, path_addr, r->path, sizeof(r->path));
    if (len == -EFAULT || len == -ENAMETOOLONG) {
        *fails = true;
        return (int)len;
    }
    if (len < 0)
        return (int)len;
    r->command_len = ext_target_argv(r->tid, argv_addr, abi->ptr_size, s->command_line, EXT_COMMAND_LINE_MAX,
                                    &r->truncated);
    if (r->command_len < 0) {
        *fails = r->command_len == -EFAULT;
        return (int)r->command_len;
    }
    int err = read_process(r);
    if (err)
        return err;
    ext_target_root_hold(r->tid); /* the image's and its interpreters' lookups */
    err = ext_target_image(r->tgid, r->tid, dirfd, r->path, flags, r->image, sizeof(r->image), &r->image_fd);
    if (err) {
        *fails = ext_target_exec_fails_with(err);
    } else if (!r->truncated) { /* a truncated exec is denied unseen: no chain */
        ext_exec_chain_build(&r->chain, r->tgid, r->tid, r->image_fd, r->image, &r->args);
        r->image_fd = -1; /* the chain's now */
    }
    ext_target_root_release();
    return err;
}

/* Closes what r still holds (after the answer: the exec need not wait for it). */
static void release(struct sv_request *r)
{
    ext_exec_chain_close(&r->chain);
    if (r->image_fd >= 0)
        close(r->image_fd);
    if (r->pidfd >= 0)
        close(r->pidfd);
    r->image_fd = r->pidfd = -1;
}

/* Builds the create event of file i of the chain of the request read into s. */
static void create_event(const struct scratch *s, size_t i, struct ext_process_event *ev)
{
    const struct sv_request *r = &s->request;
    ext_exec_event(ev, r->tgid, r->tid, &r->info, s->command_line, (size_t)r->command_len);
    ext_exec_event_image(ev, &r->chain, &r->chain.files[i]);
}

/*
 * The image of process p, new to the tree, before the exec it was denied
 * (so it keeps it): /proc/PID/exe, if p was still there after we read it.
 */
static void image_before_exec(struct sv_proc *p)
{
    char link[64];
    snprintf(link, sizeof(link), "/proc/%d/exe", (int)p->pid);
    ssize_t n = readlink(link, p->image_path, sizeof(p->image_path) - 1);
    bool ours = n > 0 && (syscall(SYS_pidfd_send_signal, p->pidfd, 0, NULL, 0) == 0 || errno == EPERM);
    p->image_path[ours ? n : 0] = '\0';
}

/* Remembers the process of a request (taking its pidfd if new), for its delete event. */
static void track(struct sv_run *run, struct sv_request *r, bool allowed)
{
    struct sv_proc *p = sv_tree_find(&run->tree, r->tgid);
    if (p && sv_tree_exited(p)) { /* an earlier process of that pid whose exit we have not handled yet */
        sv_events_exit(run, p);
        p = NULL;
    }
    bool known = p != NULL;
    int err = 0;
    if (!p && (p = sv_tree_add(&run->tree, r->tgid, r->pidfd, &err)) != NULL)
        r->pidfd = -1; /* the tree's now */
    if (!p) {
        atomic_fetch_add(&run->counters->lost, 1);
        core_trace_printf("bpfhost: supervised process %d: its exit will not be seen: %s", (int)r->tgid,
                          strerror(-err));
        return;
    }
    p->ppid = r->info.ppid;
    p->uid = r->info.uid;
    p->gid = r->info.gid;
    if (!known)
        p->creation_time = r->info.start_filetime;
    if (allowed)
        snprintf(p->image_path, sizeof(p->image_path), "%s", r->image);
    else if (!known)
        image_before_exec(p);
}

enum { NO_ANSWER = 1 };

/* Dispatches the create of file i of the chain of the request in s: whether it is denied. */
static bool dispatch_file(struct sv_run *run, struct process_part *pp, const struct scratch *s, size_t i)
{
    const struct sv_request *r = &s->request;
    struct ext_process_event ev;
    create_event(s, i, &ev);
    ev.deadline_ns = ext_deadline_from_now();
    struct ext_process_verdict verdict;
    int rc = ext_process_dispatch(pp->hook, &ev, &verdict);
    if (rc < 0) {
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: supervised exec of %s denied: dispatch failed: %s", ev.image_path, strerror(-rc));
        return true;
    }
    ext_counters_add(run->counters, &verdict);
    if (verdict.late && !verdict.denied) {
        char what[4200];
        snprintf(what, sizeof(what), "exec of %s by %d", ev.image_path, (int)r->tgid);
        return sv_late_denies(run, what);
    }
    return verdict.denied;
}

/*
 * Dispatches a create for every file r's exec opens for execution (the
 * program, its interpreters, the program a directly run ld.so loads), in
 * the order the exec opens them, and decides: the answer. A denial fails
 * the exec, which then opens no further file (no more creates).
 */
static int decide(struct sv_run *run, struct process_part *pp, struct scratch *s)
{
    struct sv_request *r = &s->request;
    if (r->truncated) {
        /* What programs cannot see, they cannot check: fail closed, as for an unreadable exec. */
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: supervised exec of %s by %d denied: command line over %d bytes or %d arguments",
                          r->image, (int)r->tgid, EXT_COMMAND_LINE_MAX, EXT_ARGC_MAX);
        track(run, r, false);
        return -E2BIG;
    }
    bool denied = false;
    for (size_t i = 0; i < r->chain.count && !denied; i++) /* a denied file opens no further one */
        denied = dispatch_file(run, pp, s, i);
    track(run, r, !denied);
    return denied ? -EPERM : 0;
}

/* Decides the exec read into s (err: what reading gave; run->lock held): the answer, or NO_ANSWER (thread gone). */
static int examine(struct sv_run *run, struct process_part *pp, struct scratch *s, const struct sv_call *call,
                   int err, bool fails)
{
    if (!sv_still_valid(run, call->n->id))
        return NO_ANSWER;
    if (err && fails)
        return err; /* what the kernel would answer: no exec, no event */
    if (err) {
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: supervised exec by thread %u denied: cannot read it: %s", call->n->pid,
                          strerror(-err));
        return -EPERM;
    }
    return decide(run, pp, s);
}

/* An exec of the tree: read, decided, then let go on (FLAG_CONTINUE) or failed. */
static void handle(struct sv_run *run, void *state, const struct sv_call *call)
{
    struct process_part *pp = state;
    struct scratch *s = &pp->scratch[call->worker];
    bool fails;
    int err = read_request(s, call, &fails); /* the slow part: other workers read theirs meanwhile */
    pthread_mutex_lock(&run->lock);
    sv_exits_waiting(run);
    int answer = examine(run, pp, s, call, err, fails);
    pthread_mutex_unlock(&run->lock);
    if (answer != NO_ANSWER)
        sv_answer(run, call->n->id, answer, 0, answer == 0);
    release(&s->request);
}

static const char *const calls[] = {"execve", "execveat", NULL};

const struct sv_extension sv_process_extension = {
    .prog_type = "process",
    .hook_prefix = EXT_PROCESS_HOOK_SUPERVISED,
    .calls = calls,
    .start = start,
    .handle = handle,
    .concurrent = true,
    .stop = stop,
};

void sv_events_exit(struct sv_run *run, struct sv_proc *p)
{
    struct ext_process_event ev;
    memset(&ev, 0, sizeof(ev));
    process_md_t *md = &ev.md;
    md->operation = PROCESS_OPERATION_DELETE;
    md->process_id = (uint64_t)p->pid;
    md->parent_process_id = p->ppid;
    md->creation_time = p->creation_time;
    md->exit_time = ext_filetime_now();
    md->uid = p->uid;
    md->gid = p->gid;
    if (sv_tree_exit_status(p)) {
        md->process_exit_code = ext_exit_code(p->status);
    } else {
        md->process_exit_code = SV_EXIT_CODE_UNKNOWN;
        core_trace_printf("bpfhost: supervised process %d: exit code unknown (reaped before we could read it)",
                          (int)p->pid);
    }
    if (p->pid == run->root && !run->root_exit_seen) { /* a later process may have reused its pid */
        run->root_exit_seen = true;
        if (!run->root_status_known) {
            run->root_status = p->status;
            run->root_status_known = p->status_known;
        }
    }
    ev.image_path = p->image_path;
    ev.image_path_len = strlen(p->image_path);
    ev.task = (struct core_task){.process_id = (uint32_t)p->pid, .thread_id = (uint32_t)p->pid, .uid = p->uid,
                                 .gid = p->gid};
    ev.deadline_ns = ext_deadline_from_now();
    struct ext_process_verdict verdict;
    struct process_part *pp = run->state[SV_PROCESS];
    int rc = ext_process_dispatch(pp->hook, &ev, &verdict);
    if (rc < 0) {
        atomic_fetch_add(&run->counters->errors, 1);
        core_trace_printf("bpfhost: supervised exit of %d: dispatch failed: %s", (int)p->pid, strerror(-rc));
    } else {
        ext_counters_add(run->counters, &verdict);
    }
    sv_tree_retire(&run->tree, p);
}
