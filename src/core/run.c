/*
 * One run of a program: the memory it is granted (its context, the data
 * the context points to, the values of its maps, the ring-buffer records
 * it reserved), the CPU slot it holds if it needs one, and the run context
 * helpers reach through exec_env_host_ctx().
 */
#include <stdio.h>
#include <string.h>

#include "core/internal.h"

struct core_run *core_run_of(struct exec_env *env)
{
    struct core_run *run = exec_env_host_ctx(env);
    /* Tail calls switch the running program, and a return from a function a
     * tail call replaced switches back: exec knows which one runs now. */
    run->prog = exec_env_owner(env);
    return run;
}

void *core_run_ctx(const struct exec_env *env)
{
    return ((const struct core_run *)exec_env_host_ctx(env))->ctx;
}

struct map *core_run_map(const struct core_run *run, uint64_t ptr)
{
    for (size_t i = 0; i < run->prog->map_count; i++)
        if ((uintptr_t)run->prog->map_ptrs[i] == ptr)
            return run->prog->map_ptrs[i];
    for (size_t i = 0; i < run->inner_count; i++)
        if ((uintptr_t)run->inner[i] == ptr)
            return run->inner[i];
    return NULL;
}

void core_run_add_inner(struct core_run *run, struct map *inner)
{
    if (core_run_map(run, (uintptr_t)inner))
        return;
    /* When full, the oldest entry goes: the program can look it up again. */
    if (run->inner_count == CORE_RUN_INNER_MAX) {
        memmove(&run->inner[0], &run->inner[1], (CORE_RUN_INNER_MAX - 1) * sizeof(run->inner[0]));
        run->inner_count--;
    }
    run->inner[run->inner_count++] = inner;
}

static bool within(uintptr_t start, size_t size, uintptr_t addr, size_t len)
{
    return addr >= start && len <= size && addr - start <= size - len;
}

/* Values of a map the program may touch; ring buffers only through reserved records. */
static bool map_admits(const struct map *map, uintptr_t addr, size_t len, bool write)
{
    if (map_type(map) == BPF_MAP_TYPE_RINGBUF || (write && (map_flags(map) & MAP_F_RDONLY_PROG)))
        return false;
    return map_value_contains(map, addr, len, write);
}

static bool run_mem_check(void *opaque, const void *owner, uintptr_t addr, size_t len, unsigned access)
{
    const struct core_run *run = opaque;
    const struct core_prog *prog = owner; /* the program running now */
    bool write = access & EXEC_WRITE;
    for (size_t i = 0; i < run->resv_count; i++)
        if (within((uintptr_t)run->resv[i].rec, run->resv[i].len, addr, len))
            return true;
    for (size_t i = 0; i < prog->map_count; i++)
        if (map_admits(prog->map_ptrs[i], addr, len, write))
            return true;
    for (size_t i = 0; i < run->inner_count; i++)
        if (map_admits(run->inner[i], addr, len, write))
            return true;
    return false;
}

int core_run_prog(const struct core_prog *prog, void *ctx, struct core_ctx_data data, const struct core_task *task,
                  uint64_t deadline_ns, struct exec_result *res)
{
    const struct core_prog_type *type = prog->type;
    struct exec_region regions[2];
    size_t n = 0;
    if (ctx && type->ctx_size) {
        regions[n++] = (struct exec_region){ctx, type->ctx_size, 0, prog->ctx.rights, "context"};
        core_ctx_clear_padding(&prog->ctx, ctx);
    }
    if (ctx && type->has_data) {
        /* Whatever happened to the context before, the pair is the host's again. */
        core_ctx_data_put(type, ctx, data);
        if (data.size)
            regions[n++] = (struct exec_region){data.data, data.size, type->data_access, NULL, "data"};
    }
    struct core_run run = {.prog = prog, .ctx = ctx, .task = task};
    struct exec_run_args args = {
        .args = {(uintptr_t)ctx},
        .regions = regions,
        .region_count = n,
        .mem_check = run_mem_check,
        .mem_check_opaque = &run,
        .host_ctx = &run,
        .deadline_ns = deadline_ns,
    };
    /* Per-CPU values are private to a run only if its slot stays its own for the whole run. */
    if (prog->needs_cpu_slot && map_cpu_claim(deadline_ns) < 0) {
        *res = (struct exec_result){.status = EXEC_ERR_DEADLINE};
        snprintf(res->msg, sizeof(res->msg), "deadline passed waiting for a CPU slot (every one held by other runs)");
        return -1;
    }
    core_grace_enter();
    int rc = exec_run(prog->exec, &args, res);
    /* Records the program never submitted would stall the consumer forever. */
    for (size_t i = 0; i < run.resv_count; i++)
        ringbuf_discard(run.resv[i].rec, 0);
    core_grace_exit();
    if (prog->needs_cpu_slot)
        map_cpu_release();
    return rc;
}
