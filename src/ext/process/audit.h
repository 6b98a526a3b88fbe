/*
 * What the files of the audit event source share (source_audit.c, the
 * source; audit_records.c, execve events assembled from the kernel's
 * audit records; ext/audit_link.h, the NETLINK_AUDIT sockets, status and
 * rules, shared with the network extension). Not for other files.
 */
#ifndef BPFHOST_EXT_AUDIT_H
#define BPFHOST_EXT_AUDIT_H

#include <limits.h>
#include <linux/audit.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ext/audit_link.h"

/* ------------------------------------------------------------------------ */
/* audit_records.c                                                          */

/*
 * One successful execve or execveat, from its records (as auditd and
 * go-audit read them): SYSCALL (who: pid, ppid, ids, comm, exe), EXECVE
 * (every argument: quoted, hex-encoded, or split as aN_len=L aN[0]=...,
 * over one or more records), CWD, PATH (item 0: the file the exec named,
 * its device and inode), ended by EOE.
 */
struct audit_exec {
    uint64_t serial;
    uint32_t pid, ppid, uid, gid;  /* pid: the thread group; uid, gid: real ids */
    char comm[16];
    char exe[PATH_MAX];      /* the image the process runs now ("" if not told) */
    char cwd[PATH_MAX];
    char name[PATH_MAX];     /* PATH item 0's name as the exec gave it ("" if none) */
    uint64_t dev, ino;       /* item 0's file (dev as st_dev encodes it); 0 if not told */
    uint32_t argc;           /* EXECVE's argc */
    uint32_t args_seen;      /* arguments received (all of them: argc) */
    char *args;              /* the arguments joined by single spaces (not NUL-terminated) */
    size_t args_len, args_cap;
    bool truncated;          /* longer than the command line kept (EXT_COMMAND_LINE_MAX) */
    /* Assembly state. */
    bool success;
    int cur_arg;             /* the argument being appended (-1: none yet) */
};

/* Called for each execve event once its EOE arrived (x valid during the call). */
typedef void audit_exec_fn(void *arg, struct audit_exec *x);

/* Events assembled at once: records of many execs interleave in a storm (each exec's are written by its own task). */
enum { AUDIT_PENDING_MAX = 1024 };

struct audit_assembler {
    struct audit_exec *pending[AUDIT_PENDING_MAX]; /* oldest first */
    size_t count;
    uint64_t dropped;        /* events dropped unfinished for newer ones (their EOE never came) */
};

/* Frees what the assembler holds. */
void audit_assembler_free(struct audit_assembler *a);
/*
 * Takes one record (type, its text of len bytes, "audit(S.MS:SERIAL): k=v
 * ..."); when it ends a successful exec event, calls done. Records of
 * other events are ignored. Returns 0, or -EINVAL if the text is not an
 * audit record.
 */
int audit_assembler_record(struct audit_assembler *a, unsigned type, const char *text, size_t len,
                           audit_exec_fn *done, void *arg);

#endif
