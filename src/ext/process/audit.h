/*
 * What the files of the audit event source share (source_audit.c, the
 * source; audit_records.c, execve events assembled from the kernel's
 * audit records; audit_link.c, the NETLINK_AUDIT sockets, status and
 * rules). Not for other files.
 */
#ifndef BPFHOST_EXT_AUDIT_H
#define BPFHOST_EXT_AUDIT_H

#include <limits.h>
#include <linux/audit.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/*
 * Decodes an audit field value: "quoted" (returned as is), hex digits
 * (decoded), or other bare text (as is). Writes at most cap bytes to out;
 * returns the decoded length, or -1 if it is not a value.
 */
long audit_decode_value(const char *value, size_t len, char *out, size_t cap);

/* ------------------------------------------------------------------------ */
/* audit_link.c                                                             */

/*
 * The kernel's audit, for one source: if no audit daemon is registered,
 * the source becomes it (its socket gets every record, unicast) and
 * enables audit if it was off; if one runs (auditd), the source reads the
 * read-only multicast group AUDIT_NLGRP_READLOG beside it and changes no
 * setting. In both cases it adds its own rules (execve and execveat of
 * the x86-64 and i386 ABIs that succeed, key "bpfhost-PID") and removes
 * them when it closes, restoring what it changed.
 */
struct audit_link {
    int sock;               /* records (and, when we are the daemon, the registration) */
    int ctl;                /* requests and their answers */
    uint32_t seq;
    bool daemon;            /* we registered as the audit daemon */
    bool enabled_by_us;     /* audit was off: we turned it on */
    uint32_t old_backlog_limit; /* the limit before we raised it (daemon only); 0: not changed */
    int rules;              /* rules added (to remove) */
    uint32_t lost_at_start; /* the kernel's lost counter when we started */
    char key[32];
    const char *prefix;     /* of trace lines */
};

/* Opens as described above: 0 or -errno (the reason on the trace pipe). */
int audit_link_open(struct audit_link *l, const char *trace_prefix);
/* Removes the rules, restores what was changed, closes (safe on a partly opened link). */
void audit_link_close(struct audit_link *l);
/* AUDIT_GET: the kernel's audit status. 0 or -errno. */
int audit_link_status(struct audit_link *l, struct audit_status *st);

/* Called for each record read: its type and text (len bytes, not NUL-terminated). */
typedef void audit_record_fn(void *arg, unsigned type, const char *text, size_t len);
/*
 * Reads every record queued on the record socket: 0 once drained, -errno
 * if it cannot be read any more. *overruns counts receive-buffer overruns
 * (records dropped: multicast only).
 */
int audit_link_drain(struct audit_link *l, audit_record_fn *fn, void *arg, uint64_t *overruns);

#endif
