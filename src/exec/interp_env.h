/* Private to exec: the state of one run, which helpers see as exec_env. */
#ifndef BPFHOST_EXEC_INTERP_ENV_H
#define BPFHOST_EXEC_INTERP_ENV_H

#include "exec/exec.h"

struct exec_env {
    const struct exec_run_args *args;
    struct exec_result *result;
    const struct exec_program *prog; /* running now; changes on a tail call */
    uint64_t budget;                 /* instructions left (synced around helper calls) */
    uint64_t budget_total;
    uint64_t budget_reserve;         /* with a deadline: the budget beyond the current slice */
    unsigned depth;                         /* innermost active call frame (synced around helper calls) */
    const struct exec_program *tail_next;   /* tail call requested by the current helper */
    unsigned tail_calls;                    /* tail calls taken in this run */
    bool failed; /* a nested callback run failed; result holds why */
    uintptr_t stack_lo; /* bottom of the active frame: [stack_lo, stack_hi) is accessible */
    uintptr_t stack_hi;
    uintptr_t zeroed_lo; /* frames at or above this address have been zeroed in this run */
    bool fault;          /* set by exec_env_mem when a helper was refused memory */
    uint64_t fault_addr;
    size_t fault_len;
    unsigned fault_access;
    _Alignas(16) uint8_t stack[EBPF_MAX_CALL_DEPTH * EBPF_STACK_SIZE];
};

/* Prepares env for a run of prog: frame 0 active and zeroed. */
void exec_env_init(struct exec_env *env, const struct exec_program *prog, const struct exec_run_args *args,
                   struct exec_result *result);

/* Runs prog's code from slot start_pc with registers reg (in/out) until the
 * frame at depth base_depth exits. Returns 0, or -1 with env->result set. */
int exec_interp_loop(struct exec_env *env, size_t start_pc, uint64_t *reg, unsigned base_depth);

/* Activates the next (deeper) call frame, zeroing it on first use. */
void exec_env_enter_frame(struct exec_env *env);

/* True if [addr, addr+len) lies in a granted region (not the stack) with access. */
bool exec_env_in_regions(const struct exec_env *env, uint64_t addr, size_t len, unsigned access);

#endif
