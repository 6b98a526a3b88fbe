/*
 * exec — running eBPF programs. Today: a bounds-checked interpreter over
 * pre-decoded instructions with computed-goto dispatch. The JIT and native
 * modes will sit behind the same exec_program / exec_run interface.
 *
 * Safety model: a program is decoded and structurally validated
 * (isa_validate) before it can run, and every memory access is checked at
 * run time against the regions the host granted for this run (the stack of
 * the active call frames, the context, input memory, and whatever a
 * mem_check callback admits, e.g. map values). Even a program that no
 * verifier has seen cannot touch other host memory; an access outside the
 * regions stops it with an error naming the instruction and the address
 * as the program sees it (an offset from r10 or into a region).
 */
#ifndef BPFHOST_EXEC_H
#define BPFHOST_EXEC_H

#include "isa/isa.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* State of one run, handed to helpers (opaque). */
struct exec_env;

/* A helper function: five 64-bit arguments (r1..r5), result in r0. */
typedef uint64_t (*exec_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                                   struct exec_env *env);

struct exec_helper {
    uint32_t id;
    const char *name;
    exec_helper_fn fn;
    /* If set, a zero result stops the program at once with r0 = 0
     * (the conformance suite's "unwind" helper). */
    bool unwind_on_zero;
};

enum { EXEC_READ = 1, EXEC_WRITE = 2 };

/* A memory range the host grants to one run. */
struct exec_region {
    const void *start;
    size_t len;
    unsigned access; /* EXEC_READ | EXEC_WRITE */
    /* Optional: len bytes, the rights of each byte of the region (a context's
     * fields); an access needs its rights on every byte it touches. */
    const uint8_t *byte_access;
    /* Optional: what the region is ("context"), for error messages, which
     * name an address by its offset in a region, never as a host address. */
    const char *name;
};

enum { EXEC_MAX_REGIONS = 8 };

/* Admits accesses outside the fixed regions (e.g. map values); true = allowed.
 * owner is that of the program running now (exec_program_set_owner), which
 * tail calls change. */
typedef bool (*exec_mem_check_fn)(void *opaque, const void *owner, uintptr_t addr, size_t len,
                                  unsigned access);

struct exec_run_args {
    uint64_t args[5];                  /* r1..r5 on entry */
    const struct exec_region *regions; /* at most EXEC_MAX_REGIONS */
    size_t region_count;
    exec_mem_check_fn mem_check; /* optional */
    void *mem_check_opaque;
    const void *packet; /* what legacy ldabs/ldind read; optional */
    size_t packet_len;
    uint64_t budget; /* most instructions to execute; 0 = EXEC_DEFAULT_BUDGET */
    /* CLOCK_MONOTONIC time in ns at which the run stops (EXEC_ERR_DEADLINE),
     * checked every EXEC_DEADLINE_SLICE instructions; 0 = none. */
    uint64_t deadline_ns;
    void *host_ctx;  /* handed to helpers through exec_env_host_ctx() */
};

#define EXEC_DEFAULT_BUDGET 100000000ULL
/* Instructions run between two looks at the clock when a run has a deadline. */
#define EXEC_DEADLINE_SLICE 65536ULL

enum exec_status {
    EXEC_OK = 0,
    EXEC_ERR_MEMORY,     /* access outside every granted region */
    EXEC_ERR_BUDGET,     /* instruction budget exhausted */
    EXEC_ERR_CALL_DEPTH, /* a program's calls nested deeper than EBPF_MAX_CALL_DEPTH, or the run's frames used up */
    EXEC_ERR_HELPER,     /* callx to an unknown helper */
    EXEC_ERR_ALIGNMENT,  /* misaligned atomic access */
    EXEC_ERR_ARGS,       /* bad run arguments */
    EXEC_ERR_DEADLINE,   /* the run's deadline passed */
};

struct exec_result {
    uint64_t r0;
    uint64_t insns_executed;
    enum exec_status status;
    size_t pc;     /* slot where the run stopped on an error */
    uint64_t addr; /* faulting address for EXEC_ERR_MEMORY / _ALIGNMENT */
    char msg[200]; /* human-readable reason on an error */
};

/* A decoded, validated program ready to run; immutable, so one program can
 * run on many threads at once. */
struct exec_program;

/* Validates insns (isa_validate), resolves helper calls against the table
 * (an unknown helper id is an error) and pre-decodes. The helper table must
 * outlive the program. Returns 0, or -1 with the reason in err. */
int exec_program_new(const struct ebpf_insn *insns, size_t count, const struct exec_helper *helpers,
                     size_t helper_count, struct exec_program **out, struct isa_error *err);

/* Frees a program (NULL is fine). */
void exec_program_free(struct exec_program *prog);

/* Tags prog with the host's object for it (before it first runs); helpers
 * and mem_check learn which program is running from it. */
void exec_program_set_owner(struct exec_program *prog, const void *owner);

/* Runs prog once. Returns 0 when it exited normally (result->r0 holds its
 * return value), or -1 with result->status and result->msg set. */
int exec_run(const struct exec_program *prog, const struct exec_run_args *args, struct exec_result *result);

/* For helpers: whether the run may access [addr, addr+len) that way (nothing
 * recorded when not: for reads whose extent only the memory tells, a string). */
bool exec_env_may_access(const struct exec_env *env, uint64_t addr, size_t len, unsigned access);

/* For helpers: the host pointer for [addr, addr+len) if the run may access it
 * that way; otherwise NULL, and the program stops with a memory error when
 * the helper returns. */
void *exec_env_mem(struct exec_env *env, uint64_t addr, size_t len, unsigned access);

/* For helpers: the host_ctx of the run's arguments. */
void *exec_env_host_ctx(const struct exec_env *env);

/* For helpers: the owner of the program running now (NULL if none was set). */
const void *exec_env_owner(const struct exec_env *env);

enum {
    EXEC_MAX_TAIL_CALLS = 33, /* tail calls per run, counted across functions, as Linux */
    /* Call frames of one run. A program nests at most EBPF_MAX_CALL_DEPTH of
     * them, but a tail call from a function keeps its callers' frames, so a
     * chain of programs needs more: enough for 33 tail calls each made one
     * function deep (a dispatcher that tail-calls itself from a helper
     * function), with room to spare. */
    EXEC_MAX_FRAMES = 64,
};

/*
 * For the tail-call helper, with Linux's semantics (x86-64, since 5.10):
 * once the helper returns, next runs in place of the function that made the
 * call, from its first instruction, r1 unchanged, that frame zeroed (the
 * helper's return value is never seen). Made from the program's main
 * function, this ends the program; made from a bpf-to-bpf function (or a
 * callback), only that function's frame is replaced: when next exits, its r0
 * is the function's return value and the caller goes on, its frames,
 * registers r6-r9 and program intact. Returns -1, and the program goes on
 * after the call, if next is NULL or EXEC_MAX_TAIL_CALLS were already taken
 * in this run.
 */
int exec_env_tail_call(struct exec_env *env, const struct exec_program *next);

/* High 32 bits of the value a code-address lddw loads (a callback's entry);
 * the low 32 bits are the entry's instruction slot. */
#define EXEC_CODE_ADDR_TAG 0xc0de0000u

/* For helpers taking a callback (bpf_loop): runs the program's function at
 * code_addr (a value a code-address lddw produced) with r1..r5 in a new call
 * frame and stores its r0. Returns 0, or -1 if code_addr is not a callback
 * entry of this program or the callback failed; the program then stops with
 * that error once the helper returns. */
int exec_env_call_function(struct exec_env *env, uint64_t code_addr, uint64_t r1, uint64_t r2, uint64_t r3,
                           uint64_t r4, uint64_t r5, uint64_t *r0);

#endif
