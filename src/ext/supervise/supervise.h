/*
 * What the files of the supervised command tree share; not for other
 * files. The interception is shared by the extensions: one seccomp filter
 * and one notification loop per tree, each extension claiming its system
 * calls (struct sv_extension) and answering their notifications.
 *   supervisor.c        the supervisor, its hooks (one per extension), the loop of a run
 *   supervise_workers.c the threads that take the notifications and hand them to the extensions
 *   supervise_filter.c  the seccomp filter of every claimed call: built with libseccomp, installed in the child
 *   supervise_notify.c  answering a notification, its validity, the per-event deadline
 *   supervise_launch.c  the helper process (subreaper) and the command child
 *   supervise_tree.c    the processes of the tree seen so far, and their exits
 * The extensions' parts: process/supervise_events.c (execs and exits),
 * net/supervise_bind.c (binds) and net/bind_unbind.c (their release).
 */
#ifndef BPFHOST_EXT_SUPERVISE_H
#define BPFHOST_EXT_SUPERVISE_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/types.h>

#include "ext/internal.h"

struct sv_run;
struct sv_proc;

/* ------------------------------------------------------------------------ */
/* The extensions of a tree.                                                */

/* A notification, classified. */
struct sv_call {
    const struct seccomp_notif *n;
    const struct sv_abi *abi;
    const char *name;  /* the claimed call, as the extension named it ("execve", "bind") */
    bool socketcall;   /* i386 socketcall(SYS_BIND or SYS_LISTEN, args): the arguments are in the thread's memory at args[1] */
    unsigned worker;   /* the worker thread handling it, < SV_WORKERS_MAX: an index for scratch of its own */
};

/* One extension's part in a supervised tree. */
struct sv_extension {
    const char *prog_type;    /* its hook runs programs of this type */
    const char *hook_prefix;  /* its hook is named hook_prefix + N */
    const char *const *calls; /* the system calls it claims (libseccomp names), NULL-terminated */
    /* A run begins: its state (hook: the extension's hook). 0 or -errno. */
    int (*start)(struct sv_run *run, struct core_hook *hook, void **state);
    /* Decides one notification of a call it claims and answers it (sv_answer()), unless the thread is gone. */
    void (*handle)(struct sv_run *run, void *state, const struct sv_call *call);
    /* handle() may run on several workers at once and holds run->lock itself for what the run shares
     * (calling sv_exits_waiting() first in its hold); otherwise each call of it holds run->lock throughout. */
    bool concurrent;
    /* Optional: ms until it wants tick() (-1: not before something happens). */
    int (*tick_in_ms)(void *state);
    /* Optional: after every round of the loop (processes may have exited), and once more at the end (final). */
    void (*tick)(struct sv_run *run, void *state, bool final);
    /* Optional: the run is over. */
    void (*stop)(struct sv_run *run, void *state);
};

/* The extensions, in the order their hooks are made. */
enum { SV_PROCESS, SV_BIND, SV_EXTENSION_COUNT };
/* supervisor.c: each extension, at its index. */
extern const struct sv_extension *const sv_extensions[SV_EXTENSION_COUNT];
/* process/supervise_events.c */
extern const struct sv_extension sv_process_extension;
/* net/supervise_bind.c */
extern const struct sv_extension sv_bind_extension;

/* ------------------------------------------------------------------------ */
/* supervise_filter.c                                                       */

enum { SV_MAX_CALLS = 8 }; /* calls claimed, all extensions together */

/* One system-call ABI the filter covers (a process may use any of them). */
struct sv_abi {
    uint32_t arch;          /* seccomp_data.arch (AUDIT_ARCH_*) */
    unsigned ptr_size;      /* bytes of a pointer (4 for 32-bit ABIs) */
    int nr[SV_MAX_CALLS];   /* seccomp_data.nr of each claimed call; -1: none on this ABI */
    int socketcall_nr;      /* i386: socketcall, through which bind also comes; else -1 */
};

/* The filter: notify on every claimed call of every ABI of the machine, allow the rest. */
struct sv_filter {
    struct sock_fprog prog;
    struct sv_abi abis[4];
    size_t abi_count;
    const char *calls[SV_MAX_CALLS]; /* the claimed calls' names */
    int owner[SV_MAX_CALLS];         /* the extension (SV_PROCESS, ...) that claims each */
    size_t call_count;
};

/* Builds the filter of the extensions' claims (in the caller, before any fork): 0 or -errno. */
int sv_filter_build(struct sv_filter *f, const struct sv_extension *const exts[SV_EXTENSION_COUNT]);
/* Frees what sv_filter_build() made. */
void sv_filter_free(struct sv_filter *f);
/* In the command child (async-signal-safe): installs the filter (setting no_new_privs unless privileged); the listener fd or -errno. */
int sv_filter_install(const struct sv_filter *f);
/* The extension that claims notification n (its call in *call), or -1 (a call nobody claims). */
int sv_filter_classify(const struct sv_filter *f, const struct seccomp_notif *n, struct sv_call *call);

/* ------------------------------------------------------------------------ */
/* supervise_notify.c                                                       */

/* Bytes of the kernel's struct seccomp_notif_resp we can answer with (it is 24 in Linux 6.18). */
enum { SV_RESP_ROOM = 128 };

/* Answers notification id: error (-errno) fails the call, else val is its result; cont lets the kernel run it. */
void sv_answer(struct sv_run *run, uint64_t id, int error, int64_t val, bool cont);
/* Whether the thread of notification id still waits (so every pid we read was still its). */
bool sv_still_valid(struct sv_run *run, uint64_t id);
/*
 * A call whose programs were stopped at the deadline: counted as an error,
 * traced (what: the call, for the trace line), and whether it is to be
 * denied (fail closed; counted as denied too) or allowed (fail open).
 */
bool sv_late_denies(struct sv_run *run, const char *what);

/* ------------------------------------------------------------------------ */
/* supervise_launch.c                                                       */

/* Messages on the channel from the helper and the command child to the caller. */
enum sv_msg_kind {
    SV_MSG_LISTENER = 1, /* the child's listener fd (SCM_RIGHTS); pid: the child */
    SV_MSG_SETUP_FAILED, /* the child could not install the filter; value: errno */
    SV_MSG_EXEC_FAILED,  /* the child's exec of the command failed; value: errno */
    SV_MSG_EXIT,         /* the helper reaped pid; value: its wait status */
};

struct sv_msg {
    int32_t kind, pid, value;
};

struct sv_launch {
    pid_t helper;     /* the helper process (a child of the caller) */
    int helper_pidfd; /* readable once the helper has exited */
    int chan;         /* SOCK_SEQPACKET, non-blocking: struct sv_msg records */
};

/* The executable argv0 names: itself if it has a '/', else searched in $PATH. 0 or -ENOENT. */
int sv_find_program(const char *argv0, char *path, size_t cap);
/* Starts the helper, which forks the command child (path, argv, environ) under f. 0 or -errno. */
int sv_launch_start(const struct sv_filter *f, const char *path, char *const argv[], struct sv_launch *l);
/* Takes one message off the channel: 1 (with *fd, or -1), 0 if none waits, or -errno. */
int sv_launch_recv(const struct sv_launch *l, struct sv_msg *msg, int *fd);
/* Reaps the helper and closes the launch's fds. */
void sv_launch_finish(struct sv_launch *l);

/* ------------------------------------------------------------------------ */
/* supervise_tree.c                                                         */

/* A process of the tree that has exec'd at least once (so has had a create event). */
struct sv_proc {
    pid_t pid;
    int pidfd; /* readable once it has exited */
    uint32_t ppid, uid, gid;
    uint64_t creation_time;
    char image_path[4096]; /* of its last exec allowed (before that: its image when first seen) */
    int status;            /* its wait status, once status_known */
    bool status_known;
};

/* The processes not yet exited. */
struct sv_tree {
    struct sv_proc **procs;
    size_t count, cap;
    int exits_fd;                /* epoll set of the procs' pidfds (data: the pid): readable when one has exited */
    struct sv_proc **ready;      /* scratch of sv_tree_report_exits(), cap entries */
    struct epoll_event *events;  /* the same */
};

/* Makes an empty tree: 0 or -errno. */
int sv_tree_init(struct sv_tree *t);
/* The process of that pid, or NULL. */
struct sv_proc *sv_tree_find(struct sv_tree *t, pid_t pid);
/* Adds the process of that pid (not in t), taking over pidfd, which names it (in exits_fd); NULL, -errno in *err. */
struct sv_proc *sv_tree_add(struct sv_tree *t, pid_t pid, int pidfd, int *err);
/* Whether p has exited (its pidfd is readable). */
bool sv_tree_exited(const struct sv_proc *p);
/* Records a status the helper reaped, for the exited process of that pid (others are ignored). */
void sv_tree_reaped(struct sv_tree *t, pid_t pid, int status);
/*
 * Finds p's exit status once its pidfd is readable: from the helper's
 * report, PIDFD_INFO_EXIT (reaped, Linux >= 6.15) or /proc/PID/stat's
 * exit_code (a zombie not yet reaped). false if none of them knows it.
 */
bool sv_tree_exit_status(struct sv_proc *p);
/*
 * Whether the kernel keeps a process' wait status for its pidfd once it
 * is reaped (PIDFD_INFO_EXIT, Linux 6.15): then an exit need not be seen
 * before its parent's wait. Probed once, with a child that exits at once.
 */
bool sv_tree_status_kept(void);
/* Forgets p (frees it): its exit is handled. */
void sv_tree_retire(struct sv_tree *t, struct sv_proc *p);
/*
 * Reports the exits of every process whose pidfd is readable now
 * (sv_events_exit()): those seen together in an order we cannot see, so
 * a process before its parent, as the parent waited for it.
 */
void sv_tree_report_exits(struct sv_run *run);
/* Frees the tree. */
void sv_tree_free(struct sv_tree *t);

/* ------------------------------------------------------------------------ */
/* supervise_events.c                                                       */

/* process_exit_code of a delete whose wait status nobody could tell. */
#define SV_EXIT_CODE_UNKNOWN UINT32_MAX

/* One run of a supervisor (ext_supervisor_run()). */
struct sv_run {
    /*
     * Held for what the workers and the loop share: the tree, the root's
     * status, the extensions' state (but what a concurrent one keeps per
     * worker), and for dispatching every event, so the events of one
     * process are dispatched in the order the kernel asked for them.
     */
    pthread_mutex_t lock;
    struct ext_source_counters *counters;
    const struct sv_filter *filter;
    int listener; /* -1 before the child sent it and after POLLHUP; set and closed while no worker runs */
    pid_t root;   /* the command child */
    int root_status;
    bool root_status_known;
    bool root_exit_seen; /* its delete was dispatched: a later process of its pid is another */
    bool exits_batched;  /* exits may wait for the next notification (sv_tree_status_kept()) */
    atomic_uint_fast64_t exits_due_ns; /* CLOCK_MONOTONIC: while execs come, until then they do */
    struct sv_tree tree;
    size_t notif_size, resp_size; /* seccomp_notif and _resp, of the kernel's sizes */
    void *state[SV_EXTENSION_COUNT]; /* each extension's, while the run lasts */
    ext_bind_report_fn *bind_report; /* ext_supervisor_on_bind() */
    void *bind_report_arg;
};

/* Dispatches the delete event of p, whose pidfd is readable, and forgets p (run->lock held). */
void sv_events_exit(struct sv_run *run, struct sv_proc *p);

/* ------------------------------------------------------------------------ */
/* supervise_workers.c                                                      */

/* Worker threads at most (no more than the CPUs: reading targets is CPU work). */
enum { SV_WORKERS_MAX = 4 };

/* How long after a notification exits wait for the next one (or this long) to be reported. */
enum { SV_EXIT_LAG_MS = 10 };

struct sv_worker;

/* The workers of a run. */
struct sv_workers {
    struct sv_worker *w[SV_WORKERS_MAX];
    size_t count;
    int stop_fd; /* eventfd: written to stop them, and by a worker whose listener failed (the loop closes it) */
    pthread_mutex_t receiving; /* one worker at a time looks whether a notification waits and takes it */
};

/* Starts the workers of run, whose listener is known: 0 or -errno (then none runs, stop_fd is -1). */
int sv_workers_start(struct sv_workers *ws, struct sv_run *run);
/* Stops the workers (each finishes the notification in hand) and frees them; nothing if stop_fd is -1. */
void sv_workers_stop(struct sv_workers *ws);
/* With a notification (run->lock held): reports the exits that waited for one (run->exits_batched), if any. */
void sv_exits_waiting(struct sv_run *run);

#endif
