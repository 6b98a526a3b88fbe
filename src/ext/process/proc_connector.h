/*
 * The netlink proc connector, for the sources that follow processes with
 * it (netlink, audit, the composed hook): a socket listening to the
 * kernel's fork, exec and exit messages, with loss counted: the kernel
 * drops messages when the receive buffer is full and says so once with
 * ENOBUFS, and numbers its messages per CPU, so a gap in a CPU's numbers
 * tells how many were dropped. Both go to the lost counter (without
 * counting one loss twice) and the trace pipe. One thread uses it.
 */
#ifndef BPFHOST_EXT_PROC_CONNECTOR_H
#define BPFHOST_EXT_PROC_CONNECTOR_H

#include <linux/cn_proc.h>

#include "ext/internal.h"

/* What the connector hands on: fork, exec and exit messages (event_data complete for their kind). */
typedef void proc_connector_fn(void *arg, const struct proc_event *ev);

struct proc_connector;

/*
 * Opens a socket, asks for the events and waits for the kernel's answer
 * (events arriving meanwhile already go to on_event). Errors and losses
 * count into counters; trace lines start with trace_prefix. 0 or -errno
 * (-ETIMEDOUT: the kernel ignores requests from other pid or user
 * namespaces), the reason on the trace pipe.
 */
int proc_connector_open(struct ext_source_counters *counters, const char *trace_prefix, proc_connector_fn *on_event,
                        void *arg, struct proc_connector **out);
/* The descriptor to poll for POLLIN. */
int proc_connector_fd(const struct proc_connector *pc);
/* Hands on every message queued: 0 once drained, or -errno if the socket cannot be read any more. */
int proc_connector_drain(struct proc_connector *pc);
/* Tells the kernel we stop listening, closes and frees (NULL is fine). */
void proc_connector_close(struct proc_connector *pc);

#endif
