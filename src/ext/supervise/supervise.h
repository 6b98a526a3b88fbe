/*
 * What the files of the supervised command tree share (supervisor.c and
 * supervise_*.c); not for other files. One job each:
 *   supervise_filter.c  the seccomp filter: built with libseccomp, installed in the child
 *   supervise_launch.c  the helper process (subreaper) and the command child
 *   supervise_events.c  the events: an exec notification (read, dispatch, answer), an exit
 *   supervise_tree.c    the processes of the tree seen so far, and their exits
 */
#ifndef BPFHOST_EXT_SUPERVISE_H
#define BPFHOST_EXT_SUPERVISE_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ext/process/exec_target.h"
#include "ext/internal.h"

/* ------------------------------------------------------------------------ */
/* supervise_filter.c                                                       */

/* What a notification's syscall is. */
enum sv_syscall { SV_OTHER, SV_EXECVE, SV_EXECVEAT };

/* One system-call ABI the filter covers (a process may use any of them). */
struct sv_abi {
    uint32_t arch;     /* seccomp_data.arch (AUDIT_ARCH_*) */
    int execve_nr, execveat_nr; /* seccomp_data.nr */
    unsigned ptr_size; /* bytes of a pointer in argv (4 for 32-bit ABIs) */
};

/* The filter: notify on execve/execveat of every ABI of the machine, allow the rest. */
struct sv_filter {
    struct sock_fprog prog;
    struct sv_abi abis[4];
    size_t abi_count;
};

/* Builds the filter (in the caller, before any fork): 0 or -errno. */
int sv_filter_build(struct sv_filter *f);
/* Frees what sv_filter_build() made. */
void sv_filter_free(struct sv_filter *f);
/* In the command child (async-signal-safe): installs the filter (setting no_new_privs unless privileged); the listener fd or -errno. */
int sv_filter_install(const struct sv_filter *f);
/* Which exec a notification is, and its ABI (NULL for SV_OTHER). */
enum sv_syscall sv_filter_classify(const struct sv_filter *f, uint32_t arch, int nr, const struct sv_abi **abi);

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
};

/* The process of that pid, or NULL. */
struct sv_proc *sv_tree_find(struct sv_tree *t, pid_t pid);
/* The process of that pid, added (with a pidfd) if new; NULL with -errno in *err. */
struct sv_proc *sv_tree_add(struct sv_tree *t, pid_t pid, int *err);
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
/* Forgets p (frees it): its exit is handled. */
void sv_tree_retire(struct sv_tree *t, struct sv_proc *p);
/* Frees the tree. */
void sv_tree_free(struct sv_tree *t);

/* ------------------------------------------------------------------------ */
/* supervise_events.c                                                       */

/* process_exit_code of a delete whose wait status nobody could tell. */
#define SV_EXIT_CODE_UNKNOWN UINT32_MAX

struct sv_request;

/* One run of a supervisor (ext_supervisor_run()). */
struct sv_run {
    struct core_hook *hook;
    struct ext_source_counters *counters;
    const struct sv_filter *filter;
    int listener; /* -1 before the child sent it and after POLLHUP */
    pid_t root;   /* the command child */
    int root_status;
    bool root_status_known;
    bool root_exit_seen; /* its delete was dispatched: a later process of its pid is another */
    struct sv_tree tree;
    struct sv_request *request; /* scratch: what one exec asks for */
    char *command_line;   /* EXT_COMMAND_LINE_MAX bytes of scratch */
    void *notif, *resp;   /* seccomp_notif and _resp, of the kernel's sizes */
    size_t notif_size, resp_size;
};

/* Allocates the run's buffers (notification sizes from the kernel): 0 or -errno. */
int sv_events_init(struct sv_run *run);
/* Frees them. */
void sv_events_free(struct sv_run *run);
/* Receives and answers one exec notification of run->listener: 0, or -errno if the listener failed. */
int sv_events_exec(struct sv_run *run);
/* Dispatches the delete event of p, whose pidfd is readable, and forgets p. */
void sv_events_exit(struct sv_run *run, struct sv_proc *p);

#endif
