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
#include <poll.h>
#include <stdbool.h>

#include "ext/internal.h"

/* What the connector hands on: fork, exec and exit messages (event_data complete for their kind). */
typedef void proc_connector_fn(void *arg, const struct proc_event *ev);

struct proc_connector;

/*
 * Opens a socket, asks for the events and waits for the kernel's answer
 * (events arriving meanwhile already go to on_event). Errors and losses
 * count into counters; trace lines start with trace_prefix. execs_only:
 * a socket filter keeps only the exec messages, and neither gaps nor
 * overruns count as lost (another socket of the source has every
 * message). 0 or -errno (-ETIMEDOUT: the kernel ignores requests from
 * other pid or user namespaces), the reason on the trace pipe.
 */
int proc_connector_open(struct ext_source_counters *counters, const char *trace_prefix, bool execs_only,
                        proc_connector_fn *on_event, void *arg, struct proc_connector **out);
/* The descriptor to poll for POLLIN. */
int proc_connector_fd(const struct proc_connector *pc);
/* Hands on every message queued: how many once drained, or -errno if the socket cannot be read any more. */
int proc_connector_drain(struct proc_connector *pc);
/* Tells the kernel we stop listening, closes and frees (NULL is fine). */
void proc_connector_close(struct proc_connector *pc);

/* ------------------------------------------------------------------------ */
/* read_window.c                                                            */

/*
 * How a reader of the proc connector (and of audit) waits: at once on a
 * quiet machine, in windows under a storm. Each message the kernel queues
 * on a socket whose reader sleeps in poll() wakes that reader, on the
 * sender's CPU (a storm of execs pays it in every fork, exec and exit).
 * Once a reader has drained storm_messages within READ_STORM_PERIOD_MS
 * (a few execs' worth), it sleeps one window after each drain instead of
 * polling, and the messages of that window pile up unannounced and are
 * drained in one go, until a window brings nothing. A single exec on a
 * quiet machine is read as it comes; in a storm a message waits at most
 * one window. The sockets' receive buffers hold thousands of windows'
 * worth at any exec rate a machine reaches. The window: READ_WINDOW_US,
 * or the environment's BPFHOST_READ_WINDOW_US (0: no window, every
 * message read as it comes), read once.
 */
enum {
    READ_WINDOW_US = 4000,
    READ_WINDOW_US_MAX = 100000,
    READ_STORM_PERIOD_MS = 10,
    READ_STORM_PROC_MESSAGES = 8, /* a fork, an exec and an exit each: three execs in 10 ms */
};

struct read_window {
    size_t storm_messages;    /* set by the reader: messages within the period that make a storm */
    uint64_t period_start_ns;
    size_t period_messages;
    bool storm;
    uint64_t window_end_ns;   /* the window slept in now, 0: none */
};

/* The window in us (see above). */
unsigned read_window_us(void);
/*
 * Waits for the next drain (see above): fds' revents as poll() sets them;
 * 0 or -errno. The first urgent fds are watched during a window too: when
 * one is ready the call returns with only theirs set, and the next call
 * sleeps what is left of the window.
 */
int read_window_wait(struct read_window *w, struct pollfd *fds, nfds_t n, nfds_t urgent);
/* Tells how many messages the last drain handed on. */
void read_window_drained(struct read_window *w, size_t messages);
/* A reader's loop: drains pc in windows until the eventfd wake is readable (0) or pc cannot be read (-errno). */
int proc_connector_run(struct proc_connector *pc, int wake);

#endif
