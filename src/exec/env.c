/* The per-run environment: granted memory regions and what helpers see. */
#include "exec/interp_env.h"
#include "exec/interp_ops.h"

#include <stdio.h>
#include <string.h>

void exec_env_init(struct exec_env *env, const struct exec_program *prog, const struct exec_run_args *args,
                   struct exec_result *result)
{
    env->args = args;
    env->result = result;
    env->prog = prog;
    env->prog_base = 0;
    env->budget_total = env->budget = args->budget ? args->budget : EXEC_DEFAULT_BUDGET;
    env->depth = 0;
    env->tail_next = NULL;
    env->tail_calls = 0;
    env->failed = false;
    env->stack_hi = (uintptr_t)(env->stack + sizeof(env->stack));
    env->stack_lo = env->stack_hi - EBPF_STACK_SIZE;
    env->zeroed_lo = env->stack_lo;
    env->fault = false;
    /* Only frame 0 starts zeroed: deeper frames are zeroed when first entered,
     * so a program never reads what the host left on its own stack. */
    memset((void *)env->stack_lo, 0, EBPF_STACK_SIZE);
}

void exec_env_enter_frame(struct exec_env *env)
{
    env->stack_lo -= EBPF_STACK_SIZE;
    if (env->stack_lo < env->zeroed_lo) {
        memset((void *)env->stack_lo, 0, EBPF_STACK_SIZE);
        env->zeroed_lo = env->stack_lo;
    }
}

void exec_env_frame_refusal(unsigned depth, unsigned prog_base, const char *what, char *msg, size_t len)
{
    if (depth + 1 - prog_base >= EBPF_MAX_CALL_DEPTH)
        snprintf(msg, len, "%s nested deeper than %d frames", what, EBPF_MAX_CALL_DEPTH);
    else
        snprintf(msg, len, "%s nested deeper than the run's %d frames (tail calls from functions keep their callers' frames)",
                 what, EXEC_MAX_FRAMES);
}

/* True if every byte of [offset, offset+len) of the region grants access. */
static bool bytes_grant(const uint8_t *byte_access, uint64_t offset, size_t len, unsigned access)
{
    for (size_t i = 0; i < len; i++)
        if ((byte_access[offset + i] & access) != access)
            return false;
    return true;
}

bool exec_env_in_regions(const struct exec_env *env, uint64_t addr, size_t len, unsigned access)
{
    const struct exec_run_args *a = env->args;
    for (size_t i = 0; i < a->region_count; i++) {
        const struct exec_region *r = &a->regions[i];
        uint64_t lo = (uintptr_t)r->start;
        if (len > r->len || addr - lo > r->len - len)
            continue;
        /* Regions do not overlap: the one holding addr decides. */
        if (r->byte_access)
            return bytes_grant(r->byte_access, addr - lo, len, access);
        if ((access & r->access) == access)
            return true;
    }
    return a->mem_check && a->mem_check(a->mem_check_opaque, env->prog->owner, (uintptr_t)addr, len, access);
}

enum { NEAR_BYTES = 4096, LOW_ADDRESSES = 65536 };

/* How far addr is from [lo, lo+size): 0 inside. */
static uint64_t distance(uint64_t addr, uint64_t lo, uint64_t size)
{
    if (addr < lo)
        return lo - addr;
    return addr - lo < size ? 0 : addr - lo - size + 1;
}

void exec_env_describe_addr(const struct exec_env *env, uint64_t addr, char *buf, size_t len)
{
    /* The nearest of the stack and the regions, if near enough to be what the program meant. */
    uint64_t best = distance(addr, (uintptr_t)env->stack, sizeof(env->stack));
    const struct exec_region *region = NULL;
    const struct exec_run_args *a = env->args;
    for (size_t i = 0; i < a->region_count; i++) {
        uint64_t d = distance(addr, (uintptr_t)a->regions[i].start, a->regions[i].len);
        if (d < best) {
            best = d;
            region = &a->regions[i];
        }
    }
    if (best > NEAR_BYTES) {
        if (addr < LOW_ADDRESSES)
            snprintf(buf, len, "0x%llx", (unsigned long long)addr);
        else
            snprintf(buf, len, "an address in no region of the run");
    } else if (!region) {
        uint64_t fp = env->stack_lo + EBPF_STACK_SIZE; /* r10 of the innermost frame */
        snprintf(buf, len, "r10%+lld (the stack)", (long long)(int64_t)(addr - fp));
    } else {
        uint64_t lo = (uintptr_t)region->start;
        const char *name = region->name ? region->name : "a region";
        if (addr >= lo)
            snprintf(buf, len, "%s+%llu (of %zu bytes)", name, (unsigned long long)(addr - lo), region->len);
        else
            snprintf(buf, len, "%s-%llu (before it)", name, (unsigned long long)(lo - addr));
    }
}

bool exec_env_may_access(const struct exec_env *env, uint64_t addr, size_t len, unsigned access)
{
    size_t span = env->stack_hi - env->stack_lo;
    return len == 0 || (len <= span && addr - env->stack_lo <= span - len) ||
           exec_env_in_regions(env, addr, len, access);
}

void *exec_env_mem(struct exec_env *env, uint64_t addr, size_t len, unsigned access)
{
    if (exec_env_may_access(env, addr, len, access))
        return (void *)(uintptr_t)addr;
    if (!env->fault) {
        env->fault = true;
        env->fault_addr = addr;
        env->fault_len = len;
        env->fault_access = access;
    }
    return NULL;
}

void *exec_env_host_ctx(const struct exec_env *env)
{
    return env->args->host_ctx;
}

const void *exec_env_owner(const struct exec_env *env)
{
    return env->prog->owner;
}

int exec_env_tail_call(struct exec_env *env, const struct exec_program *next)
{
    if (!next || env->tail_calls >= EXEC_MAX_TAIL_CALLS)
        return -1;
    env->tail_calls++;
    env->tail_next = next;
    return 0;
}

/* True if code_addr names a callback entry of prog (a code-address lddw target). */
static bool is_callback_entry(const struct exec_program *prog, uint64_t code_addr, size_t *pc)
{
    if ((code_addr >> 32) != EXEC_CODE_ADDR_TAG)
        return false;
    for (size_t i = 0; i < prog->callback_count; i++)
        if (prog->callbacks[i] == (uint32_t)code_addr) {
            *pc = prog->callbacks[i];
            return true;
        }
    return false;
}

int exec_env_call_function(struct exec_env *env, uint64_t code_addr, uint64_t r1, uint64_t r2, uint64_t r3,
                           uint64_t r4, uint64_t r5, uint64_t *r0)
{
    size_t start;
    if (!is_callback_entry(env->prog, code_addr, &start)) {
        if (!env->fault) { /* stops the program: a forged code address */
            env->fault = true;
            env->fault_addr = code_addr;
            env->fault_len = 0;
            env->fault_access = EXEC_READ;
        }
        return -1;
    }
    if (!exec_env_frame_fits(env->depth, env->prog_base)) {
        exec_env_frame_refusal(env->depth, env->prog_base, "callbacks", env->result->msg, sizeof(env->result->msg));
        env->failed = true;
        env->result->status = EXEC_ERR_CALL_DEPTH;
        return -1;
    }
    uint64_t reg[EBPF_REG_COUNT] = {0, r1, r2, r3, r4, r5};
    uintptr_t saved_lo = env->stack_lo;
    unsigned saved_depth = env->depth++;
    /* A tail call inside the callback replaces the callback's frame only. */
    const struct exec_program *saved_prog = env->prog;
    unsigned saved_base = env->prog_base;
    exec_env_enter_frame(env);
    reg[EBPF_REG_FP] = env->stack_lo + EBPF_STACK_SIZE;
    int rc = exec_interp_loop(env, start, reg, env->depth);
    env->stack_lo = saved_lo;
    env->depth = saved_depth;
    env->prog = saved_prog;
    env->prog_base = saved_base;
    if (rc != 0) {
        env->failed = true;
        return -1;
    }
    *r0 = reg[0];
    return 0;
}
