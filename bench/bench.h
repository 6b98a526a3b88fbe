/* The benchmark's sections; bench_main.c runs them in order. */
#ifndef BPFHOST_BENCH_H
#define BPFHOST_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);
/* The median of v[0..n) (sorts v); 0 when n is 0. */
double bench_median(double *v, int n);

struct ebpf_insn;

/* Verifies benchmark program name (a function of (mem, len)) called with an input of input_len bytes; 0
 * accepted, 1 rejected (the reason printed). */
int bench_program_verify(const char *name, const struct ebpf_insn *insns, size_t count, size_t input_len);

/* Interpreter vs native C on compute-heavy programs, each verified first; returns 0 or 1 on a mismatch or a
 * rejection. */
int bench_exec(void);

/* ns per map lookup/update for hash, LRU and array, 1 and 2 threads; returns 0 or 1. */
int bench_maps(void);

/* ns per program run through a hook, with and without a per-CPU map, 1/2/4 threads; returns 0 or 1. */
int bench_runs(void);

/* The verifier's time and memory over the corpus of ../shared/verifier; returns 0. */
int bench_verify(void);

/* The exec storm with and without process monitoring; returns 0 or 1. */
int bench_process(void);

/* In the process started by the supervised storm ("--storm LOOPS N"): runs it and returns
 * the exit code; -1 when argv is not such a call. */
int bench_storm_child(int argc, char **argv);

/* bench_floor.c: the kernel's floor under each event source (a consumer that does nothing). */
enum bench_floor_kind { BENCH_FLOOR_NETLINK, BENCH_FLOOR_AUDIT, BENCH_FLOOR_FANOTIFY, BENCH_FLOOR_SECCOMP };
struct bench_floor;
/* Starts a floor's reading thread (listener: the seccomp listener, for that kind only); 0 or -errno. */
int bench_floor_start(enum bench_floor_kind kind, int listener, struct bench_floor **out);
/* Stops it (a seccomp floor stops by itself once the storm is over) and returns the events it read. */
uint64_t bench_floor_stop(struct bench_floor *f);
/* In the storm process: puts it under a filter that notifies execve and sends the listener over sock; 0 or -errno. */
int bench_floor_notify_self(int sock);
/* Receives the listener sent by bench_floor_notify_self(): the descriptor or -errno. */
int bench_floor_recv_listener(int sock);

/* bench_kernel_prog.c: turns on the kernel's run-time statistics of eBPF programs while the descriptor returned
 * stays open (-errno if it cannot). */
int bench_kernel_stats_enable(void);
/* bench_kernel_prog.c: ns the kernel has spent in the kernel eBPF programs whose descriptors this process holds. */
uint64_t bench_kernel_prog_run_ns(void);

/* bench_bind.c: the cost of a bind with and without the bind hook. */
int bench_bind(void);
/* In the process a supervised tree runs ("--binds N"): N binds; its exit code, or -1 if not asked. */
int bench_bind_child(int argc, char **argv);

#endif
