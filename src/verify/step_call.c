/*
 * Calls and exits. A helper must be offered by the program type; each
 * argument must match its prototype (memory arguments proven accessible
 * for the size passed with them); the result gets the prototype's type.
 * A ring-buffer reservation is a reference the path must give back before
 * it ends. bpf-to-bpf calls push a frame with its own 512-byte stack (at
 * most 8 frames); a callback (bpf_loop) runs as a frame that returns to
 * the helper call, which may call it again. The program's return value
 * must be a number within the type's rule.
 */
#include <errno.h>
#include <string.h>

#include "verify/internal.h"

#define U32_MAX 0xffffffffULL

const struct verify_helper *vhelper_find(const struct verifier *v, uint32_t id)
{
    for (size_t i = 0; i < v->profile->helper_count; i++)
        if (v->profile->helpers[i].id == id)
            return &v->profile->helpers[i];
    return NULL;
}

const char *vhelper_name(const struct verifier *v, uint32_t id)
{
    const struct verify_helper *h = vhelper_find(v, id);
    const char *name = h ? h->name : vlinux_helper_name(id);
    return name ? name : "unknown helper";
}

/* Map types that hold data programs may look up, update and delete. */
static const uint64_t data_maps = 1ULL << VERIFY_MAP_HASH | 1ULL << VERIFY_MAP_ARRAY | 1ULL << VERIFY_MAP_PERCPU_HASH |
                                  1ULL << VERIFY_MAP_PERCPU_ARRAY | 1ULL << VERIFY_MAP_LRU_HASH |
                                  1ULL << VERIFY_MAP_LRU_PERCPU_HASH | 1ULL << VERIFY_MAP_LPM_TRIE |
                                  1ULL << VERIFY_MAP_ARRAY_OF_MAPS | 1ULL << VERIFY_MAP_HASH_OF_MAPS |
                                  1ULL << VERIFY_MAP_DEVMAP | 1ULL << VERIFY_MAP_SOCKMAP | 1ULL << VERIFY_MAP_CPUMAP |
                                  1ULL << VERIFY_MAP_XSKMAP | 1ULL << VERIFY_MAP_SOCKHASH | 1ULL << VERIFY_MAP_QUEUE |
                                  1ULL << VERIFY_MAP_STACK | 1ULL << VERIFY_MAP_DEVMAP_HASH;

struct call {
    const struct verify_helper *h;
    int map;         /* the MAP_PTR argument's map, or -1 */
    int mem_reg;     /* the pointer the next size argument sizes, or 0 */
    uint8_t mem_kind;
    uint32_t alloc;  /* ALLOC_SIZE */
    uint32_t callback; /* target slot + 1 */
    int callback_arg;  /* the register after the callback */
    uint32_t release;  /* the reference an argument gives back */
};

static const char *arg_hint(enum verify_arg kind)
{
    switch (kind) {
    case VERIFY_ARG_MAP_PTR: return "pass a map defined in the object (e.g. &my_map)";
    case VERIFY_ARG_CTX: return "pass the context pointer the program received, unmodified";
    case VERIFY_ARG_RINGBUF_MEM: return "pass the record returned by bpf_ringbuf_reserve, after its NULL check";
    case VERIFY_ARG_CALLBACK: return "pass a static function of the program";
    case VERIFY_ARG_SCALAR: return "pass a number here, never an address";
    default: return "pass a pointer to memory of the size the helper needs (a stack buffer or a checked map value)";
    }
}

static int bad_arg(struct verifier *v, const struct call *c, int regno, const char *what)
{
    const struct vreg *r = &vcur(v->cur)->regs[regno];
    return vfail(v, arg_hint(c->h->args[regno - 1]), "%s argument %d (r%d) must be %s; it is a %s", c->h->name,
                 regno, regno, what, vtype_name(r->type));
}

static bool map_allowed(const struct verify_helper *h, uint32_t type)
{
    uint64_t allowed = h->map_types ? h->map_types : data_maps;
    return type < 64 && (allowed >> type & 1);
}

/* A size argument for the memory in c->mem_reg. */
static int size_arg(struct verifier *v, struct call *c, int regno, enum verify_arg kind)
{
    const struct vreg *r = &vcur(v->cur)->regs[regno];
    if (r->type != VT_SCALAR)
        return bad_arg(v, c, regno, "a size (a number)");
    if (!c->mem_reg)
        return vfail(v, NULL, "%s: size argument r%d follows no memory argument (malformed prototype)", c->h->name,
                     regno);
    if (r->off.smin < 0 || r->off.umax > (1u << 29))
        return vfail(v, "bound the size with a check against a constant before the call (and keep it positive)",
                     "%s: size in r%d is not bounded (%lld..%llu)", c->h->name, regno, (long long)r->off.smin,
                     (unsigned long long)r->off.umax);
    if (kind == VERIFY_ARG_CONST_SIZE && r->off.umin == 0)
        return vfail(v, "make sure the size is at least 1 (e.g. if (len == 0) return)",
                     "%s: size in r%d may be 0", c->h->name, regno);
    struct vframe *f = vcur(v->cur);
    struct vreg mem = f->regs[c->mem_reg];
    bool or_null = c->mem_kind == VERIFY_ARG_MEM_READ_OR_NULL || c->mem_kind == VERIFY_ARG_MEM_WRITE_OR_NULL;
    if (or_null && mem.type == VT_SCALAR && vnum_is_const(&mem.off) && mem.off.umin == 0) {
        if (r->off.umax != 0)
            return vfail(v, "pass size 0 with a NULL buffer", "%s: r%d is NULL but the size in r%d may be %llu",
                         c->h->name, c->mem_reg, regno, (unsigned long long)r->off.umax);
        return 0;
    }
    bool write = c->mem_kind == VERIFY_ARG_MEM_WRITE || c->mem_kind == VERIFY_ARG_MEM_WRITE_OR_NULL;
    if (mem.type == VT_PACKET && !mem.id && r->pkt_len_of == mem.pkt_off + 1 && mem.range < mem.pkt_off + (int64_t)r->off.umax)
        mem.range = (int32_t)(mem.pkt_off + (int64_t)r->off.umax); /* the size is at most the bytes left after it */
    bool pointers = !write && (c->h->flags & (VERIFY_HELPER_EXPORTS | VERIFY_HELPER_POINTER_DATA));
    if (vcheck_mem(v, c->mem_reg, &mem, 0, r->off.umax, write ? VERIFY_WRITE : VERIFY_READ, pointers))
        return -1;
    if (write)
        vmark_written(v, &mem, r->off.umin);
    return 0;
}

static int check_arg(struct verifier *v, struct call *c, int regno)
{
    enum verify_arg kind = c->h->args[regno - 1];
    struct vframe *f = vcur(v->cur);
    struct vreg *r = &f->regs[regno];
    if (kind == VERIFY_ARG_ANYTHING || (kind == VERIFY_ARG_SCALAR_OR_UNSET && r->type == VT_NOT_INIT))
        return 0;
    if (r->type == VT_NOT_INIT)
        return vfail(v, "set every argument of the helper before the call", "%s argument %d (r%d) is not set",
                     c->h->name, regno, regno);
    const struct verify_map *m = c->map >= 0 ? &v->prog->maps[c->map] : NULL;
    switch (kind) {
    case VERIFY_ARG_NONE:
    case VERIFY_ARG_ANYTHING:
        return 0;
    case VERIFY_ARG_MAP_PTR:
        if (r->type != VT_MAP_PTR)
            return bad_arg(v, c, regno, "a map");
        if (!map_allowed(c->h, v->prog->maps[r->map].type))
            return vfail(v, "pass a map of a type this helper works on", "%s cannot work on map '%s' of type %u",
                         c->h->name, v->prog->maps[r->map].name, v->prog->maps[r->map].type);
        c->map = (int)r->map;
        return 0;
    case VERIFY_ARG_MAP_KEY:
    case VERIFY_ARG_MAP_VALUE:
    case VERIFY_ARG_MAP_VALUE_OUT: {
        if (!m)
            return vfail(v, NULL, "%s: key or value argument without a map (malformed prototype)", c->h->name);
        uint32_t size = kind == VERIFY_ARG_MAP_KEY ? m->key_size : m->value_size;
        unsigned rights = kind == VERIFY_ARG_MAP_VALUE_OUT ? VERIFY_WRITE : VERIFY_READ;
        if (!vtype_is_pointer(r->type))
            return bad_arg(v, c, regno, kind == VERIFY_ARG_MAP_KEY ? "a pointer to the key" : "a pointer to the value");
        /* vcheck_mem also rejects spilled pointers in a value: they would be stored in the map. */
        if (vcheck_mem(v, regno, r, 0, size, rights, false))
            return -1;
        if (rights == VERIFY_WRITE)
            vmark_written(v, r, size);
        return 0;
    }
    case VERIFY_ARG_MEM_READ:
    case VERIFY_ARG_MEM_WRITE:
    case VERIFY_ARG_MEM_READ_OR_NULL:
    case VERIFY_ARG_MEM_WRITE_OR_NULL: {
        bool or_null = kind == VERIFY_ARG_MEM_READ_OR_NULL || kind == VERIFY_ARG_MEM_WRITE_OR_NULL;
        bool is_null = r->type == VT_SCALAR && vnum_is_const(&r->off) && r->off.umin == 0;
        if (!vtype_is_pointer(r->type) && !(or_null && is_null))
            return bad_arg(v, c, regno, "a pointer to memory");
        c->mem_reg = regno;
        c->mem_kind = (uint8_t)kind;
        return 0;
    }
    case VERIFY_ARG_CONST_SIZE:
    case VERIFY_ARG_SIZE_OR_ZERO:
        return size_arg(v, c, regno, kind);
    case VERIFY_ARG_ALLOC_SIZE:
        if (r->type != VT_SCALAR || !vnum_is_const(&r->off) || r->off.umin == 0 || r->off.umin > (1u << 29))
            return vfail(v, "reserve a constant size (sizeof of the record)",
                         "%s: the size in r%d must be a positive constant", c->h->name, regno);
        c->alloc = (uint32_t)r->off.umin;
        return 0;
    case VERIFY_ARG_CTX:
        if (r->type != VT_CTX)
            return bad_arg(v, c, regno, "the context pointer");
        if (!vnum_is_const(&r->off) || r->off.umin != 0)
            return vfail(v, arg_hint(kind), "%s argument %d (r%d) must be the context pointer itself; it was moved",
                         c->h->name, regno, regno);
        return 0;
    case VERIFY_ARG_SCALAR:
    case VERIFY_ARG_SCALAR_OR_UNSET:
        /* A helper that exports what it gets (trace output) may print a string pointer's string. */
        if (r->type != VT_SCALAR && !v->profile->allow_pointer_leaks &&
            !(kind == VERIFY_ARG_SCALAR_OR_UNSET && (c->h->flags & VERIFY_HELPER_EXPORTS)))
            return bad_arg(v, c, regno, "a number (a pointer here would reveal an address)");
        return 0;
    case VERIFY_ARG_CALLBACK:
        if (r->type != VT_FUNC)
            return bad_arg(v, c, regno, "a function of the program");
        c->callback = r->map + 1;
        c->callback_arg = regno + 1;
        return 0;
    case VERIFY_ARG_CONST_STR:
        if (r->type != VT_MAP_VALUE || !v->prog->maps[r->map].read_only || !vnum_is_const(&r->off))
            return bad_arg(v, c, regno, "a constant string (in .rodata)");
        return 0;
    case VERIFY_ARG_RINGBUF_MEM:
        if (r->type != VT_MEM || !r->ref)
            return bad_arg(v, c, regno, "a reserved ring-buffer record (NULL-checked)");
        if (!vnum_is_const(&r->off) || r->off.umin != 0)
            return vfail(v, "pass the pointer bpf_ringbuf_reserve returned, not a moved copy",
                         "%s: r%d points inside the record, not at its start", c->h->name, regno);
        c->release = r->ref;
        return 0;
    }
    return 0;
}

static void kill_ref(struct vreg *r, void *arg)
{
    if (r->ref == *(uint32_t *)arg)
        *r = (struct vreg){.type = VT_NOT_INIT};
}

static void kill_packet(struct vreg *r, void *arg)
{
    (void)arg;
    if (r->type == VT_PACKET || r->type == VT_PACKET_END || r->type == VT_PACKET_META)
        *r = (struct vreg){.type = VT_NOT_INIT};
    else if (r->type == VT_SCALAR)
        r->pkt_len_of = 0; /* a length of the old packet proves nothing of the new one */
}

/* Spill slots whose register was killed become unreadable. */
static void scrub_spills(struct vstate *s)
{
    for (uint32_t f = 0; f < s->frame_count; f++) {
        struct vframe *fr = s->frames[f];
        for (int k = 0; k < VSLOTS; k++)
            if (vslot_spilled(fr, k) && fr->spill[k].type == VT_NOT_INIT) {
                memset(&fr->bytes[k * 8 + fr->spill_off[k]], VB_UNINIT, fr->spill_size[k]);
                fr->spill_size[k] = 0;
            }
    }
}

static long helper_call(struct verifier *v, const struct ebpf_insn *in)
{
    uint32_t id = (uint32_t)in->imm;
    struct call c = {.h = vhelper_find(v, id), .map = -1};
    if (!c.h) {
        const char *name = vlinux_helper_name(id);
        return vfail(v, "call only the helpers of the program type (see its helper list)",
                     "helper %s (id %u) is not available to programs of type '%s'", name ? name : "unknown", id,
                     v->profile->name);
    }
    for (int regno = 1; regno <= 5 && c.h->args[regno - 1] != VERIFY_ARG_NONE; regno++)
        if (check_arg(v, &c, regno))
            return VSTEP_FAIL;
    if ((c.h->flags & VERIFY_HELPER_FORMAT) && vcheck_format(v, c.h))
        return VSTEP_FAIL;
    struct vstate *s = v->cur;
    if ((c.h->flags & VERIFY_HELPER_TAIL_CALL) && s->ref_count)
        return vfail(v, "submit or discard the reserved record before the tail call",
                     "%s while a ring-buffer record is reserved (it would never be released)", c.h->name);
    if (c.callback) {
        /* One path calls back (and comes back to this call); this one goes on. */
        struct vstate *cb = vstate_copy(v, s);
        if (!cb)
            return -ENOMEM;
        if (cb->frame_count == EBPF_MAX_CALL_DEPTH) {
            vstate_free(v, cb);
            return vfail(v, "call fewer functions deep", "callback nested deeper than %d frames", EBPF_MAX_CALL_DEPTH);
        }
        struct vreg ctx_arg = vcur(cb)->regs[c.callback_arg];
        struct vframe *nf = vstate_push_frame(v, cb);
        if (!nf) {
            vstate_free(v, cb);
            return -ENOMEM;
        }
        nf->callsite = v->pc;
        nf->callback = 1;
        vreg_unknown(&nf->regs[1]);
        nf->regs[1].off = vnum_urange(0, U32_MAX);
        nf->regs[2] = ctx_arg;
        nf->regs[EBPF_REG_FP] = (struct vreg){.type = VT_STACK, .frame = (uint8_t)(cb->frame_count - 1),
                                              .off = vnum_const(0)};
        if (vpush(v, cb, c.callback - 1))
            return -ENOMEM;
    }
    if (c.release) {
        vstate_each_reg(s, kill_ref, &c.release);
        for (uint32_t i = 0; i < s->ref_count; i++)
            if (s->refs[i] == c.release) {
                s->refs[i] = s->refs[--s->ref_count];
                break;
            }
    }
    if (c.h->flags & VERIFY_HELPER_CHANGES_PACKET) {
        vstate_each_reg(s, kill_packet, NULL);
        s->packet_known = 0;
    }
    scrub_spills(s);
    struct vframe *f = vcur(s);
    for (int r = 1; r <= 5; r++)
        f->regs[r] = (struct vreg){.type = VT_NOT_INIT};
    struct vreg *r0 = &f->regs[0];
    switch (c.h->ret) {
    case VERIFY_RET_INTEGER:
        vreg_unknown(r0);
        break;
    case VERIFY_RET_VOID:
        *r0 = (struct vreg){.type = VT_NOT_INIT};
        break;
    case VERIFY_RET_MAP_VALUE_OR_NULL: {
        if (c.map < 0)
            return vfail(v, NULL, "%s returns a map value but takes no map (malformed prototype)", c.h->name);
        const struct verify_map *m = &v->prog->maps[c.map];
        bool of_maps = m->type == VERIFY_MAP_ARRAY_OF_MAPS || m->type == VERIFY_MAP_HASH_OF_MAPS;
        if (of_maps && (m->inner < 0 || (size_t)m->inner >= v->prog->map_count))
            return vfail(v, "declare the inner map type of the map of maps", "map '%s' holds maps of unknown type",
                         m->name);
        *r0 = (struct vreg){.type = of_maps ? VT_MAP_PTR_OR_NULL : VT_MAP_VALUE_OR_NULL,
                            .map = of_maps ? (uint32_t)m->inner : (uint32_t)c.map, .id = vnew_id(v),
                            .off = vnum_const(0)};
        break;
    }
    case VERIFY_RET_RINGBUF_MEM_OR_NULL:
        if (s->ref_count == VREFS_MAX)
            return vfail(v, "submit or discard records before reserving more", "more than %d records reserved",
                         VREFS_MAX);
        *r0 = (struct vreg){.type = VT_MEM_OR_NULL, .mem_size = c.alloc, .id = vnew_id(v), .off = vnum_const(0)};
        r0->ref = r0->id;
        s->refs[s->ref_count++] = r0->ref;
        break;
    }
    return v->pc + 1;
}

static long local_call(struct verifier *v, const struct ebpf_insn *in)
{
    struct vstate *s = v->cur;
    if (s->frame_count == EBPF_MAX_CALL_DEPTH)
        return vfail(v, "call fewer functions deep (or inline some)", "bpf-to-bpf calls nested deeper than %d frames",
                     EBPF_MAX_CALL_DEPTH);
    struct vframe *caller = vcur(s), *f = vstate_push_frame(v, s);
    if (!f)
        return -ENOMEM;
    for (int r = 1; r <= 5; r++)
        f->regs[r] = caller->regs[r];
    f->regs[EBPF_REG_FP] = (struct vreg){.type = VT_STACK, .frame = (uint8_t)(s->frame_count - 1), .off = vnum_const(0)};
    f->callsite = v->pc;
    return (long)v->pc + 1 + in->imm;
}

long vstep_call(struct verifier *v, const struct ebpf_insn *in)
{
    if (in->opcode == EBPF_OP_CALLX)
        return vfail(v, "call helpers by their id", "calls through a register (callx) cannot be verified");
    if (in->src == EBPF_CALL_LOCAL)
        return local_call(v, in);
    if (in->src == EBPF_CALL_BTF_ID)
        return vfail(v, "use helpers instead of kernel functions", "kernel function calls (kfuncs) are not available");
    return helper_call(v, in);
}

/* True if r points into frame `frame`'s stack. */
static bool into_frame(const struct vreg *r, uint32_t frame)
{
    return r->type == VT_STACK && r->frame == frame;
}

long vstep_exit(struct verifier *v)
{
    struct vstate *s = v->cur;
    struct vframe *f = vcur(s);
    struct vreg r0 = f->regs[0];
    if (r0.type == VT_NOT_INIT)
        return vfail(v, "set r0 (the return value) on every path before returning", "r0 is not set at exit");
    if (s->frame_count > 1) {
        uint32_t me = s->frame_count - 1;
        if (into_frame(&r0, me))
            return vfail(v, "return values, not the address of a local variable",
                         "the function returns a pointer into its own stack, which ends with it");
        for (uint32_t i = 0; i < me; i++)
            for (int k = 0; k < VSLOTS; k++)
                if (vslot_spilled(s->frames[i], k) && into_frame(&s->frames[i]->spill[k], me))
                    return vfail(v, "do not store the address of a local variable in the caller's memory",
                                 "the function leaves a pointer to its own stack in frame %u", i);
        uint32_t callsite = f->callsite;
        bool callback = f->callback;
        if (callback) {
            if (r0.type != VT_SCALAR || r0.off.smin < 0 || r0.off.smax > 1)
                return vfail(v, "return 0 (continue) or 1 (stop) from the callback",
                             "the callback returns a value outside [0, 1]");
            vstate_pop_frame(v, s);
            return callsite; /* the helper may call it again */
        }
        vstate_pop_frame(v, s);
        struct vframe *caller = vcur(s);
        caller->regs[0] = r0;
        for (int r = 1; r <= 5; r++)
            caller->regs[r] = (struct vreg){.type = VT_NOT_INIT};
        return (long)callsite + 1;
    }
    if (vtype_is_pointer(r0.type) && !v->profile->allow_pointer_leaks)
        return vfail(v, "return a number, not an address", "the program returns a %s, revealing a host address",
                     vtype_name(r0.type));
    if (s->ref_count)
        return vfail(v, "call bpf_ringbuf_submit or bpf_ringbuf_discard on the reserved record on every path",
                     "a ring-buffer record reserved on this path is never submitted or discarded");
    const struct verify_profile *p = v->profile;
    if (p->retval_range && r0.type == VT_SCALAR && (r0.off.smin < p->retval_min || r0.off.smax > p->retval_max))
        return vfail(v, "return one of the values the program type defines",
                     "return value %lld..%lld is outside [%lld, %lld] allowed for type '%s'", (long long)r0.off.smin,
                     (long long)r0.off.smax, (long long)p->retval_min, (long long)p->retval_max, p->name);
    return VSTEP_END;
}
