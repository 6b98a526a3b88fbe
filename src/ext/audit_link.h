/*
 * The kernel's audit over NETLINK_AUDIT, for the sources that read it
 * (process/source_audit.c: execs; net/source_audit_bind.c: binds). Not
 * for other layers.
 */
#ifndef BPFHOST_EXT_AUDIT_LINK_H
#define BPFHOST_EXT_AUDIT_LINK_H

#include <linux/audit.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* audit_link.c                                                             */

/*
 * The kernel's audit, for one source: if no audit daemon is registered,
 * the source becomes it (its socket gets every record, unicast) and
 * enables audit if it was off; if one runs (auditd, or another source of
 * this process), the source reads the read-only multicast group
 * AUDIT_NLGRP_READLOG beside it and changes no setting. In both cases it
 * adds its own rules (its system calls of the x86-64 and i386 ABIs, key
 * "bpfhost-PID") and removes them when it closes, restoring what it
 * changed.
 */

/* The system calls a source has audited, by number, per ABI. */
struct audit_calls {
    const int *x86_64, *i386;
    size_t x86_64_count, i386_count;
    bool success_only; /* only calls that succeed */
    const char *what;  /* for trace lines: "execve", "bind" */
};
struct audit_link {
    int sock;               /* records (and, when we are the daemon, the registration) */
    int ctl;                /* requests and their answers */
    uint32_t seq;
    bool daemon;            /* we registered as the audit daemon */
    bool enabled_by_us;     /* audit was off: we turned it on */
    uint32_t old_backlog_limit; /* the limit before we raised it (daemon only); 0: not changed */
    int rules;              /* rules added (to remove) */
    uint32_t lost_at_start; /* the kernel's lost counter when we started */
    const struct audit_calls *calls;
    char key[32];
    const char *prefix;     /* of trace lines */
    char *records;          /* what one read of records takes in (allocated at the first) */
};

/* Opens as described above with the process source's rule (execve and execveat that succeed): 0 or -errno (the reason on the trace pipe). */
int audit_link_open(struct audit_link *l, const char *trace_prefix);
/* Opens as described above with a rule on calls (which must outlive the link): 0 or -errno. */
int audit_link_open_calls(struct audit_link *l, const char *trace_prefix, const struct audit_calls *calls);
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

/*
 * Decodes an audit field value: "quoted" (returned as is), hex digits
 * (decoded), or other bare text (as is). Writes at most cap bytes to out;
 * returns the decoded length, or -1 if it is not a value.
 */
long audit_decode_value(const char *value, size_t len, char *out, size_t cap);

#endif
