/*
 * What the files of the fanotify event source share: source_fanotify.c
 * (the source), fanotify_marks.c (which filesystems are watched) and
 * fanotify_chain.c (which exec opens belong to an exec already reported).
 * Not for other files.
 */
#ifndef BPFHOST_EXT_FANOTIFY_H
#define BPFHOST_EXT_FANOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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
/* fanotify_chain.c                                                         */

enum { FANOTIFY_CHAIN_SLOTS = 256 };

/* The file one thread's exec in progress is expected to open next. */
struct fanotify_chain_slot {
    pid_t tid; /* 0: free */
    dev_t dev;
    ino_t ino;
    uint64_t deadline_ns; /* CLOCK_MONOTONIC */
};

/* Expected follow-up opens, one per thread (zero-initialised: empty). */
struct fanotify_chain {
    struct fanotify_chain_slot slots[FANOTIFY_CHAIN_SLOTS];
};

/*
 * Whether thread tid's exec open of the file (dev, ino) is the one its exec
 * in progress was expected to make next. Either way the thread's
 * expectation is used up.
 */
bool fanotify_chain_is_followup(struct fanotify_chain *c, pid_t tid, dev_t dev, ino_t ino);

/*
 * Remembers which file thread tid's exec opens next after the file open as
 * fd: its "#!" interpreter or its ELF interpreter, resolved as the kernel
 * will (in the thread's root, or its working directory if relative). A
 * file naming none leaves no expectation.
 */
void fanotify_chain_expect(struct fanotify_chain *c, pid_t tid, int fd);

#endif
