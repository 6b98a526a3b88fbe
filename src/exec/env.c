/* The per-run environment: granted memory regions and what helpers see. */
#include "exec/interp_env.h"

#include <string.h>

void exec_env_init(struct exec_env *env, const struct exec_run_args *args)
{
    env->args = args;
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

bool exec_env_in_regions(const struct exec_env *env, uint64_t addr, size_t len, unsigned access)
{
    const struct exec_run_args *a = env->args;
    for (size_t i = 0; i < a->region_count; i++) {
        const struct exec_region *r = &a->regions[i];
        uint64_t lo = (uintptr_t)r->start;
        if ((access & r->access) == access && len <= r->len && addr - lo <= r->len - len)
            return true;
    }
    return a->mem_check && a->mem_check(a->mem_check_opaque, (uintptr_t)addr, len, access);
}

void *exec_env_mem(struct exec_env *env, uint64_t addr, size_t len, unsigned access)
{
    size_t span = env->stack_hi - env->stack_lo;
    bool ok = len == 0 || (len <= span && addr - env->stack_lo <= span - len) ||
              exec_env_in_regions(env, addr, len, access);
    if (ok)
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
