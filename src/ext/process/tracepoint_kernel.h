/*
 * The kernel half of the tracepoint source, seen from the host: loading
 * tracepoints.bpf.c into the running kernel (libbpf), attaching it, and
 * draining its ring buffer. Kept apart from the rest of ext because
 * libbpf's headers bring Linux's <linux/bpf.h>, whose names bpfhost's own
 * program-facing headers also define.
 */
#ifndef BPFHOST_EXT_TRACEPOINT_KERNEL_H
#define BPFHOST_EXT_TRACEPOINT_KERNEL_H

#include <stddef.h>
#include <stdint.h>

struct tp_kernel;

/* Called for each record drained (a struct tp_record and its data, size bytes, valid during the call). */
typedef void (*tp_kernel_record_fn)(void *arg, const void *record, size_t size);
/* Gets one line of libbpf's warnings or errors. */
typedef void (*tp_kernel_log_fn)(const char *line);

/*
 * Loads the kernel program, attaches it to the scheduler's fork, exec and
 * exit tracepoints and opens its ring buffer. Returns 0, or -errno (-EPERM:
 * no CAP_BPF/CAP_PERFMON; libbpf's reasons go to log).
 */
int tp_kernel_open(tp_kernel_record_fn on_record, void *arg, tp_kernel_log_fn log, struct tp_kernel **out);
/* A descriptor that polls readable when records wait. */
int tp_kernel_fd(const struct tp_kernel *k);
/* Hands every waiting record to on_record, in the ring's order: how many, or -errno. */
int tp_kernel_drain(struct tp_kernel *k);
/* Forks, exits and execs the kernel program could not put in the ring since it was loaded (all CPUs): 0 or -errno. */
int tp_kernel_lost(const struct tp_kernel *k, uint64_t *total);
/* Detaches and unloads (NULL is fine). */
void tp_kernel_close(struct tp_kernel *k);

#endif
