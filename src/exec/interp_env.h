/* Private to exec: the state of one run, which helpers see as exec_env. */
#ifndef BPFHOST_EXEC_INTERP_ENV_H
#define BPFHOST_EXEC_INTERP_ENV_H

#include "exec/exec.h"

/* A caller's state saved by a local call. */
struct call_frame {
    const struct exec_insn *return_pc;
    const struct exec_program *prog; /* the caller's: another than the callee's after a tail call */
    unsigned prog_base;              /* depth of the caller's program's first frame */
    uint64_t saved[4];               /* r6..r9 */
};

struct exec_env {
    const struct exec_run_args *args;
    struct exec_result *result;
    const struct exec_program *prog; /* running now (synced around helper calls and memory checks) */
    unsigned prog_base;              /* depth of its first frame (synced around helper calls) */
    uint64_t budget;                 /* instructions left (synced around helper calls) */
    uint64_t budget_total;
    uint64_t budget_reserve;         /* with a deadline: the budget beyond the current slice */
    unsigned depth;                         /* innermost active call frame (synced around helper calls) */
    struct call_frame frames[EXEC_MAX_FRAMES]; /* frames[d]: the caller of the frame at depth d + 1 */
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
    _Alignas(16) uint8_t stack[EXEC_MAX_FRAMES * EBPF_STACK_SIZE];
};

/* Prepares env for a run of prog: frame 0 active and zeroed. */
void exec_env_init(struct exec_env *env, const struct exec_program *prog, const struct exec_run_args *args,
                   struct exec_result *result);

/* Runs prog's code from slot start_pc with registers reg (in/out) until the
 * frame at depth base_depth exits. Returns 0, or -1 with env->result set. */
int exec_interp_loop(struct exec_env *env, size_t start_pc, uint64_t *reg, unsigned base_depth);

/* Activates the next (deeper) call frame, zeroing it on first use. */
void exec_env_enter_frame(struct exec_env *env);

/*
 * Writes where addr is for an error message, as the program sees it and
 * never as a host address: "r10-520" near the stack, "context+176" near a
 * region, the number itself below 64 KiB (no host memory is there), else
 * that it is in no region.
 */
void exec_env_describe_addr(const struct exec_env *env, uint64_t addr, char *buf, size_t len);

/* Whether a frame below depth fits: at most EBPF_MAX_CALL_DEPTH for the
 * program whose first frame is at prog_base, EXEC_MAX_FRAMES in the run. */
static inline bool exec_env_frame_fits(unsigned depth, unsigned prog_base)
{
    return depth + 1 - prog_base < EBPF_MAX_CALL_DEPTH && depth + 1 < EXEC_MAX_FRAMES;
}

/* Why a frame below depth does not fit ("what nested deeper than ..."), into msg. */
void exec_env_frame_refusal(unsigned depth, unsigned prog_base, const char *what, char *msg, size_t len);

/* True if [addr, addr+len) lies in a granted region (not the stack) with access. */
bool exec_env_in_regions(const struct exec_env *env, uint64_t addr, size_t len, unsigned access);

#endif
