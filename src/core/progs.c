/*
 * Programs as core objects: loading (verification, then the map
 * references made concrete for the interpreter, then the helper table of
 * the program's type) and what can be asked about a loaded program.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static void prog_free(struct core_obj *obj)
{
    struct core_prog *p = (struct core_prog *)obj;
    exec_program_free(p->exec);
    for (size_t i = 0; i < p->map_count; i++)
        core_obj_put(&p->maps[i]->obj);
    if (p->type)
        core_prog_type_drop(p->type);
    free(p->maps);
    free(p->map_ptrs);
    free(p->helpers);
    core_ctx_layout_free(&p->ctx);
    free(p->insns);
    free(p->section);
    free(p->name);
    free(p);
}

/* What a map-naming lddw loads: the map itself, or the address of a global. */
static int map_address(const struct core_prog *p, const struct ebpf_insn *in, uint64_t *addr, char *err,
                       size_t errlen)
{
    uint32_t index = (uint32_t)in[0].imm;
    if (index >= p->map_count)
        return core_fail(err, errlen, -EINVAL, "lddw names map %u of %zu", index, p->map_count);
    struct map *map = p->map_ptrs[index];
    if (in[0].src == EBPF_LDDW_MAP_IDX) {
        *addr = (uintptr_t)map;
        return 0;
    }
    /* Like Linux, direct value addresses exist for single-value arrays only. */
    uint32_t offset = (uint32_t)in[1].imm, zero = 0;
    if (map_type(map) != BPF_MAP_TYPE_ARRAY || map_max_entries(map) != 1 || offset >= map_value_size(map))
        return core_fail(err, errlen, -EINVAL, "lddw takes the address of offset %u in map '%s', not a global variable",
                    offset, map_name(map));
    *addr = (uintptr_t)map_lookup_elem(map, &zero) + offset;
    return 0;
}

/* The instructions as exec runs them: map references become addresses. */
static struct ebpf_insn *resolve(const struct core_prog *p, char *err, size_t errlen, int *code)
{
    struct ebpf_insn *out = malloc(p->insn_count * sizeof(*out));
    if (!out) {
        *code = core_fail(err, errlen, -ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(out, p->insns, p->insn_count * sizeof(*out));
    for (size_t pc = 0; pc + 1 < p->insn_count; pc++) {
        struct ebpf_insn *in = &out[pc];
        if (in->opcode != EBPF_OP_LDDW)
            continue;
        if (in->src == EBPF_LDDW_MAP_IDX || in->src == EBPF_LDDW_MAP_VALUE_IDX) {
            uint64_t addr = 0;
            if ((*code = map_address(p, in, &addr, err, errlen)) != 0) {
                free(out);
                return NULL;
            }
            in[0].src = EBPF_LDDW_IMM64;
            in[0].imm = (int32_t)(uint32_t)addr;
            in[1].imm = (int32_t)(uint32_t)(addr >> 32);
        } else if (in->src != EBPF_LDDW_IMM64 && in->src != EBPF_LDDW_CODE_ADDR) {
            *code = core_fail(err, errlen, -EINVAL, "instruction %zu: lddw form %u is not supported here", pc, in->src);
            free(out);
            return NULL;
        }
        pc++;
    }
    return out;
}

/* General helpers, then the type's. */
static int build_helpers(struct core_prog *p)
{
    size_t general_count;
    const struct core_helper *general = core_general_helpers(&general_count);
    size_t n = general_count + p->type->helper_count;
    if (!(p->helpers = calloc(n, sizeof(*p->helpers))))
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct core_helper *h = i < general_count ? &general[i] : &p->type->helpers[i - general_count];
        p->helpers[i] = (struct exec_helper){.id = h->id, .name = h->name, .fn = h->fn};
    }
    return (int)n;
}

/* Helpers whose result depends on the CPU: the run's slot must not change under them. */
static bool cpu_helper(int32_t id)
{
    return id == BPF_FUNC_get_smp_processor_id || id == BPF_FUNC_trace_printk || id == BPF_FUNC_trace_printk2 ||
           id == BPF_FUNC_trace_printk3 || id == BPF_FUNC_trace_printk4 || id == BPF_FUNC_trace_printk5;
}

/*
 * Whether runs must hold a CPU slot: the program has a per-CPU map, a map
 * of per-CPU maps, or a prog array (a tail call may reach a program that
 * needs one), or calls a CPU helper or a helper by register (callx).
 * Decided once at load; runs of other programs never wait for a slot.
 */
static bool needs_cpu_slot(const struct core_prog *p)
{
    for (size_t i = 0; i < p->map_count; i++) {
        uint32_t type = map_type(p->map_ptrs[i]);
        const struct map_params *inner = map_inner_params(p->map_ptrs[i]);
        bool holds_maps = type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
        if (map_type_is_percpu(type) || type == BPF_MAP_TYPE_PROG_ARRAY ||
            (holds_maps && (!inner || map_type_is_percpu(inner->type))))
            return true;
    }
    for (size_t pc = 0; pc < p->insn_count; pc++) {
        const struct ebpf_insn *in = &p->insns[pc];
        if (in->opcode == EBPF_OP_CALLX || (in->opcode == EBPF_OP_CALL && in->src == EBPF_CALL_HELPER &&
                                              cpu_helper(in->imm)))
            return true;
    }
    return false;
}

/* Copies what the program object keeps of args. */
static int fill(struct core_prog *p, const struct core_prog_load_args *args)
{
    p->name = strdup(args->name);
    p->section = strdup(args->section ? args->section : "");
    p->insns = malloc(args->insn_count * sizeof(*p->insns));
    p->maps = calloc(args->map_count + 1, sizeof(*p->maps));
    p->map_ptrs = calloc(args->map_count + 1, sizeof(*p->map_ptrs));
    if (!p->name || !p->section || !p->insns || !p->maps || !p->map_ptrs ||
        core_ctx_layout_init(&p->ctx, args->type) != 0)
        return -ENOMEM;
    memcpy(p->insns, args->insns, args->insn_count * sizeof(*p->insns));
    p->insn_count = args->insn_count;
    for (size_t i = 0; i < args->map_count; i++) {
        core_obj_hold(&args->maps[i]->obj);
        p->maps[i] = args->maps[i];
        p->map_ptrs[i] = args->maps[i]->map;
        p->map_count++;
    }
    return 0;
}

int core_prog_load(const struct core_prog_load_args *args, struct core_prog **out, char *err, size_t errlen)
{
    if (!args || !out || !args->name || !args->type || !args->insns || !args->insn_count ||
        (args->map_count && !args->maps))
        return core_fail(err, errlen, -EINVAL, "incomplete load arguments");
    int code = core_verify(args, err, errlen);
    if (code)
        return code;
    struct core_prog *p = calloc(1, sizeof(*p));
    if (!p)
        return core_fail(err, errlen, -ENOMEM, "out of memory");
    if (core_prog_type_hold(args->type) != 0) {
        free(p);
        return core_fail(err, errlen, -ENOENT, "program type '%s' is not registered", args->type->name);
    }
    p->type = args->type;
    struct ebpf_insn *insns = NULL;
    int helper_count = 0;
    if ((code = fill(p, args)) != 0 || (helper_count = build_helpers(p)) < 0) {
        code = core_fail(err, errlen, -ENOMEM, "out of memory");
    } else if ((insns = resolve(p, err, errlen, &code)) != NULL) {
        struct isa_error ierr;
        if (exec_program_new(insns, p->insn_count, p->helpers, (size_t)helper_count, &p->exec, &ierr) != 0)
            code = core_fail(err, errlen, -EINVAL, "instruction %zu: %s", ierr.pc, ierr.msg);
        else
            exec_program_set_owner(p->exec, p);
        free(insns);
        p->needs_cpu_slot = needs_cpu_slot(p);
    }
    if (!code && (code = core_obj_init(&p->obj, CORE_OBJ_PROG, prog_free, NULL)) != 0)
        core_fail(err, errlen, code, "no program ids left");
    if (code) {
        prog_free(&p->obj);
        return code;
    }
    *out = p;
    return 0;
}

void core_prog_info(const struct core_prog *p, struct core_prog_info *info)
{
    *info = (struct core_prog_info){
        .id = p->obj.id,
        .name = p->name,
        .section = p->section,
        .type = p->type,
        .insn_count = p->insn_count,
        .map_count = p->map_count,
        .run_count = atomic_load(&p->run_count),
        .run_time_ns = atomic_load(&p->run_time_ns),
        .error_count = atomic_load(&p->error_count),
        .deny_count = atomic_load(&p->deny_count),
    };
}

int core_prog_first_fault(const struct core_prog *p, struct exec_result *fault)
{
    if (!atomic_load_explicit(&p->fault_recorded, memory_order_acquire))
        return -ENOENT;
    *fault = p->first_fault;
    return 0;
}

void core_prog_count_denial(struct core_prog *p)
{
    atomic_fetch_add_explicit(&p->deny_count, 1, memory_order_relaxed);
}

size_t core_prog_map_ids(const struct core_prog *p, uint32_t *ids, size_t cap)
{
    for (size_t i = 0; i < p->map_count && i < cap; i++)
        ids[i] = p->maps[i]->obj.id;
    return p->map_count;
}

const struct ebpf_insn *core_prog_insns(const struct core_prog *p, size_t *count)
{
    *count = p->insn_count;
    return p->insns;
}
