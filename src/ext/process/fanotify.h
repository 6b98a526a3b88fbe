/*
 * What the files of the fanotify event source share: source_fanotify.c
 * (the source), fanotify_marks.c (which filesystems are watched) and
 * fanotify_exec.c (what an exec open is: which exec, which of its files).
 * Not for other files.
 */
#ifndef BPFHOST_EXT_FANOTIFY_H
#define BPFHOST_EXT_FANOTIFY_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ext/process/exec_target.h"
#include "ext/internal.h"

/* ------------------------------------------------------------------------ */
/* fanotify_marks.c                                                         */

/* Mount ids refused at the last walk (so each refusal is reported once). */
struct fanotify_marks {
    uint64_t *refused;
    size_t refused_count;
};

/* Told of a mount whose filesystem refused exec permission events (err: -errno). */
typedef void fanotify_refused_fn(void *arg, const char *mount_point, const char *fstype, int err);

/*
 * Marks the filesystem of every mount in this mount namespace for
 * FAN_OPEN_EXEC_PERM on fan_fd (again, for mounts marked before: marks
 * merge). Mounts that refuse are reported through refused, once until the
 * next walk that finds them accepted or gone. Returns how many mounts were
 * marked (of *mounts), or -errno if the mount table could not be read.
 */
int fanotify_marks_walk(struct fanotify_marks *m, int fan_fd, fanotify_refused_fn *refused, void *arg,
                        size_t *mounts);

/* Frees what the walks kept. */
void fanotify_marks_free(struct fanotify_marks *m);

/* ------------------------------------------------------------------------ */
/* fanotify_exec.c                                                          */

/*
 * What one exec open is: the exec the thread is in (read from the thread,
 * which waits with its old memory), the files that exec opens for
 * execution, which of them this open is, and the creates to dispatch for
 * it. Scratch memory of one relay thread, reused for every event; its
 * files are in the host's file table, the event's own descriptor is named
 * through the reader's ("/proc/PID/task/TID/fd/N").
 */
struct fanotify_exec {
    pid_t tgid, tid;         /* the exec'ing process (0 if outside our pid namespace) and thread */
    struct ext_exec_args args;
    bool have_args;          /* the thread is in an exec system call we could read */
    int args_error;          /* else why not: -ENOEXEC (in no exec system call: the kernel's own), or -errno */
    struct ext_exec_chain chain;
    int at;                  /* index in chain of the file this event opens; -1 if not in it */
    char *command_line;      /* EXT_COMMAND_LINE_MAX bytes */
    size_t command_len;
    bool truncated;          /* argv is longer than EXT_COMMAND_LINE_MAX */
    struct stat st;          /* the opened file's */
    char opened_path[PATH_MAX];
    char opened_file[64];    /* "/proc/PID/task/TID/fd/N" of the event's fd */
    struct ext_proc_info info;
    /* Files of the last thread looked at, kept for its next exec open (a program's is followed by ld.so's). */
    struct ext_proc_thread thread;
    int syscall_fd;          /* its /proc/TGID/task/TID/syscall, -1: none */
    struct ext_process_event events[EXT_EXEC_CHAIN_MAX];
    size_t event_count;
};

/* Allocates the scratch memory: 0 or -ENOMEM. */
int fanotify_exec_init(struct fanotify_exec *x);
/* Frees it. */
void fanotify_exec_free(struct fanotify_exec *x);
/*
 * Starts on the exec open of thread tid (0: outside our pid namespace)
 * whose event descriptor is named event_file: reads its process (x->tgid,
 * x->info). 0, or -errno: -ESRCH or -ENOENT if the thread is gone,
 * another (e.g. -EMFILE) if it could not be read.
 */
int fanotify_exec_begin(struct fanotify_exec *x, pid_t tid, const char *event_file);
/*
 * Reads the exec the thread is in (waiting for it to sleep in its exec
 * until CLOCK_MONOTONIC until_ns at most) and fills x->events with the
 * creates to dispatch, in order: the opened file's, then, if this file is
 * ld.so run directly, the program it will load. 0, or -errno if the
 * opened file cannot be looked at (no event then).
 */
int fanotify_exec_read(struct fanotify_exec *x, uint64_t until_ns);
/* Closes what the last fanotify_exec_read() opened (on the thread that read). */
void fanotify_exec_done(struct fanotify_exec *x);

/* ------------------------------------------------------------------------ */
/* source_fanotify.c, for sources built on it (the composed hook)           */

/* Told of the creates of each exec open around their dispatch. */
struct ext_exec_observer {
    /* On the relay thread, before the creates (n >= 1) of one exec open are dispatched. */
    void (*before)(void *arg, const struct ext_process_event *creates, size_t n);
    /* On the thread that ran them, once their dispatch has returned (also after the exec was answered). */
    void (*after)(void *arg, pid_t tgid);
    void *arg;
    /*
     * Held around the dispatch of each exec open's creates (NULL: none),
     * and by whoever else dispatches on the hook: runs take turns, as in
     * the kernel, where a program has its CPU to itself (a per-CPU scratch
     * value shared by two runs mixes their records). Waited for until the
     * event's deadline; a dispatch left behind at its deadline gives its
     * turn up.
     */
    struct ext_turn *turn;
};

/* A turn to run a hook's programs, which a dispatch left behind can be made to give up. */
struct ext_turn {
    pthread_mutex_t lock;
    pthread_cond_t cond;   /* CLOCK_MONOTONIC: the turn is free */
    uint64_t holder;       /* the ticket holding the turn, 0: free */
    uint64_t last;         /* the last ticket given */
};

/* A free turn. */
void ext_turn_init(struct ext_turn *t);
/* Frees what init took. */
void ext_turn_destroy(struct ext_turn *t);
/*
 * Waits for the turn until CLOCK_MONOTONIC until_ns; *ticket (written under
 * the turn's lock) is the turn's ticket, or 0 at the deadline or once
 * *abandoned (NULL: never) is set: then the caller runs without the turn.
 */
void ext_turn_take(struct ext_turn *t, uint64_t until_ns, const bool *abandoned, uint64_t *ticket);
/* Gives the turn of ticket back (nothing if 0, or if it was given up meanwhile). */
void ext_turn_give(struct ext_turn *t, uint64_t ticket);
/* Sets *abandoned and gives up the turn of *ticket if it holds it, under the turn's lock. */
void ext_turn_abandon(struct ext_turn *t, bool *abandoned, const uint64_t *ticket);

/* Starts a fanotify source on hook, counting into counters, telling observer (NULL: none); 0 or -errno. */
int ext_fanotify_start(struct core_hook *hook, struct ext_source_counters *counters,
                       const struct ext_exec_observer *observer, void **state);
/* Stops a source ext_fanotify_start() started. */
void ext_fanotify_stop(void *state);

#endif
