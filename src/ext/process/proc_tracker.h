/*
 * What the sources that follow processes with the proc connector know of
 * each process, for the delete of its exit when /proc can no longer tell:
 * every process /proc shows when the source starts (read once), then each
 * fork (the child runs its parent's image with its parent's arguments
 * until it execs) and each exec (what the source reported in its create).
 * One thread uses it.
 */
#ifndef BPFHOST_EXT_PROC_TRACKER_H
#define BPFHOST_EXT_PROC_TRACKER_H

#include <linux/cn_proc.h>

#include "ext/internal.h"
#include "ext/process/pid_table.h"

struct proc_tracker {
    struct pid_table *pids;
    struct ext_source_counters *counters;
    const char *prefix;          /* of trace lines */
    struct ext_proc_info info;   /* scratch for /proc reads (large) */
};

/* Empty tracker: 0 or -ENOMEM. */
int proc_tracker_init(struct proc_tracker *t, struct ext_source_counters *counters, const char *trace_prefix);
/* Frees what t holds. */
void proc_tracker_free(struct proc_tracker *t);
/* Keeps every process /proc shows now that t does not know yet; how many were read. */
size_t proc_tracker_scan(struct proc_tracker *t);
/* Reads pid's record from /proc (strings point into t's scratch until the next read): true if it runs. */
bool proc_tracker_read_proc(struct proc_tracker *t, uint32_t pid, struct pid_record *rec);
/* What is kept of pid (valid until the next change of t), or NULL. */
const struct pid_record *proc_tracker_get(const struct proc_tracker *t, uint32_t pid);
/* Keeps rec (copied) for pid; a failure is counted and traced. */
void proc_tracker_put(struct proc_tracker *t, uint32_t pid, const struct pid_record *rec);
/* A fork message: a new process (not a thread) gets its parent's record and the fork's time. */
void proc_tracker_fork(struct proc_tracker *t, const struct proc_event *ev);
/*
 * An exit message: false for a thread's; else fills *out with the delete
 * of the process from what was kept (strings valid until t changes), its
 * exit time never before its creation time. Call proc_tracker_forget()
 * after dispatching it.
 */
bool proc_tracker_exit(const struct proc_tracker *t, const struct proc_event *ev, struct ext_process_event *out);
/*
 * An exec message, reported after the fact from /proc: the create of the
 * new image, its arguments and ids if the process still runs (else empty,
 * and the ids and times kept at its fork), dispatched to hook (with the
 * deadline, returns ignored); then kept for its delete.
 */
void proc_tracker_exec_from_proc(struct proc_tracker *t, struct core_hook *hook, const struct proc_event *ev);
/*
 * The same from what was read of the process already (now: its record,
 * with its executable's device and inode for when it is gone; NULL: it was
 * gone).
 */
void proc_tracker_exec_read(struct proc_tracker *t, struct core_hook *hook, const struct proc_event *ev,
                            const struct pid_record *now);
/* Forgets pid. */
void proc_tracker_forget(struct proc_tracker *t, uint32_t pid);

#endif
