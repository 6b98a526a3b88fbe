/*
 * Conditional jumps: both outcomes are explored, each with what it proves.
 * Numbers are refined on both sides (and every copy of a refined number
 * with it); a NULL check turns a "pointer or NULL" and all its copies into
 * a pointer on one side and 0 on the other (a failed reservation holds
 * nothing to release); a packet pointer compared with the packet end
 * proves the bytes before it present. Comparing a pointer with a number
 * other than NULL would let the program learn an address, and is rejected.
 */
#include <errno.h>

#include "verify/internal.h"

struct copy_arg {
    const struct vnum *off;
};

static void set_off(struct vreg *r, void *arg)
{
    if (r->type == VT_SCALAR)
        r->off = *((struct copy_arg *)arg)->off;
}

static void packet_proven(struct vstate *s, const struct vreg *p, int extra);

/* Writes a refined number into regno and every register sharing its identity. */
static void write_back(struct vstate *s, int regno, const struct vnum *off)
{
    struct vreg *r = &vcur(s)->regs[regno];
    r->off = *off;
    if (r->pkt_len_of && off->umin) { /* end - (data + k) >= umin: those bytes are there */
        struct vreg p = {.type = VT_PACKET, .pkt_off = r->pkt_len_of - 1, .off = vnum_const(0)};
        packet_proven(s, &p, off->umin > 0xffff ? 0xffff : (int)off->umin);
    }
    if (r->id) {
        struct copy_arg a = {off};
        vstate_mark_id(s, r->id, set_off, &a);
    }
}

struct null_arg {
    bool is_null;
};

static void resolve_null(struct vreg *r, void *arg)
{
    if (!vtype_is_or_null(r->type))
        return;
    if (((struct null_arg *)arg)->is_null) {
        vreg_const(r, 0);
        return;
    }
    r->type = r->type == VT_MAP_VALUE_OR_NULL ? VT_MAP_VALUE : r->type == VT_MEM_OR_NULL ? VT_MEM : VT_MAP_PTR;
}

/* In s, the pointer-or-NULL regno is known NULL (is_null) or not. */
static void null_branch(struct vstate *s, int regno, bool is_null)
{
    struct vreg *r = &vcur(s)->regs[regno];
    uint32_t id = r->id, ref = r->ref;
    struct null_arg a = {is_null};
    vstate_mark_id(s, id, resolve_null, &a);
    if (is_null && ref) {
        for (uint32_t i = 0; i < s->ref_count; i++)
            if (s->refs[i] == ref) {
                s->refs[i] = s->refs[--s->ref_count];
                break;
            }
    }
}

struct range_arg {
    uint32_t id;
    uint8_t type;
    int32_t range;
};

static void grow_range(struct vreg *r, void *arg)
{
    struct range_arg *a = arg;
    if (r->type == a->type && r->id == a->id && r->range < a->range)
        r->range = a->range;
}

/* In s, packet pointer p has at least `extra` bytes from it before the end. */
static void packet_proven(struct vstate *s, const struct vreg *p, int extra)
{
    int64_t range = (int64_t)p->pkt_off + extra;
    if (range <= 0 || p->off.smin < 0)
        return;
    if (range > 0xffff)
        range = 0xffff;
    struct range_arg a = {p->id, p->type, (int32_t)range};
    vstate_each_reg(s, grow_range, &a);
    if (p->type == VT_PACKET && !p->id && s->packet_known < range)
        s->packet_known = (int32_t)range;
}

/* What p OP end (is it taken or not) proves: bytes after p, or -1 nothing. */
static int packet_fact(uint8_t op, bool p_left, bool taken)
{
    if (!p_left) { /* end OP p: mirror the operator */
        switch (op) {
        case EBPF_JMP_JGT: op = EBPF_JMP_JLT; break;
        case EBPF_JMP_JGE: op = EBPF_JMP_JLE; break;
        case EBPF_JMP_JLT: op = EBPF_JMP_JGT; break;
        case EBPF_JMP_JLE: op = EBPF_JMP_JGE; break;
        default: return -1;
        }
    }
    switch (op) {
    case EBPF_JMP_JGT: return taken ? -1 : 0; /* not taken: p <= end */
    case EBPF_JMP_JGE: return taken ? -1 : 1; /* not taken: p < end */
    case EBPF_JMP_JLT: return taken ? 1 : -1;
    case EBPF_JMP_JLE: return taken ? 0 : -1;
    default: return -1;
    }
}

static bool is_zero(const struct vreg *r)
{
    return r->type == VT_SCALAR && vnum_is_const(&r->off) && r->off.umin == 0;
}

/* Two pointers: a NULL check, a packet bound, or a comparison of pointers into one region. */
static long compare_pointers(struct verifier *v, const struct ebpf_insn *in, const struct vreg *d, const struct vreg *s,
                             long target)
{
    uint8_t op = ebpf_op(in->opcode);
    bool d_end = d->type == VT_PACKET_END || (d->type == VT_PACKET && s->type == VT_PACKET_META && !d->id && !d->pkt_off);
    bool s_end = s->type == VT_PACKET_END || (s->type == VT_PACKET && d->type == VT_PACKET_META && !s->id && !s->pkt_off);
    bool d_pkt = (d->type == VT_PACKET || d->type == VT_PACKET_META) && !d_end;
    bool s_pkt = (s->type == VT_PACKET || s->type == VT_PACKET_META) && !s_end;
    bool packet_pair = (d_pkt && s_end) || (d_end && s_pkt);
    bool same_kind = d->type == s->type && (d->type != VT_STACK || d->frame == s->frame) &&
                     (d->type != VT_MAP_VALUE || d->map == s->map);
    if (!packet_pair && !same_kind && !(d_pkt && s_pkt) && !v->profile->allow_pointer_leaks)
        return vfail(v, "compare pointers only with NULL or with pointers into the same memory",
                     "comparing a %s with a %s would reveal an address", vtype_name(d->type), vtype_name(s->type));
    struct vstate *taken = vstate_copy(v, v->cur);
    if (!taken)
        return -ENOMEM;
    if (packet_pair && ebpf_class(in->opcode) == EBPF_CLS_JMP) {
        const struct vreg *p = d_pkt ? d : s;
        int t = packet_fact(op, d_pkt, true), f = packet_fact(op, d_pkt, false);
        if (t >= 0)
            packet_proven(taken, p, t);
        if (f >= 0)
            packet_proven(v->cur, p, f);
    }
    if (vpush(v, taken, (uint32_t)target))
        return -ENOMEM;
    return v->pc + 1;
}

long vstep_jump(struct verifier *v, const struct ebpf_insn *in)
{
    uint8_t op = ebpf_op(in->opcode);
    bool is64 = ebpf_class(in->opcode) == EBPF_CLS_JMP;
    long target = (long)v->pc + 1 + (in->opcode == EBPF_OP_JA32 ? in->imm : in->offset);
    if (op == EBPF_JMP_JA)
        return target;
    struct vframe *f = vcur(v->cur);
    struct vreg d = f->regs[in->dst], s;
    bool reg_src = ebpf_source(in->opcode) == EBPF_SRC_X;
    if (d.type == VT_NOT_INIT)
        return vfail(v, "assign the register before comparing it", "r%d is compared before it is set", in->dst);
    if (reg_src) {
        s = f->regs[in->src];
        if (s.type == VT_NOT_INIT)
            return vfail(v, "assign the register before comparing it", "r%d is compared before it is set", in->src);
    } else {
        vreg_const(&s, is64 ? (uint64_t)(int64_t)in->imm : (uint64_t)(uint32_t)in->imm);
    }
    bool dp = vtype_is_pointer(d.type), sp = vtype_is_pointer(s.type);
    if (dp || sp) {
        const struct vreg *ptr = dp ? &d : &s, *other = dp ? &s : &d;
        int ptr_reg = dp ? in->dst : in->src;
        if (!(dp && sp)) {
            if (!is_zero(other) || (op != EBPF_JMP_JEQ && op != EBPF_JMP_JNE)) {
                if (v->profile->allow_pointer_leaks)
                    goto unknown;
                return vfail(v, "compare pointers only with NULL (== 0 or != 0)",
                             "r%d: comparing a %s with a number would reveal an address", ptr_reg,
                             vtype_name(ptr->type));
            }
            bool eq = op == EBPF_JMP_JEQ;
            /* A valid pointer is never NULL, but the packet's pointers are NULL when the context has no
             * data, and a 32-bit comparison sees only a pointer's lower half: then both ways, nothing learnt. */
            bool packet = ptr->type == VT_PACKET || ptr->type == VT_PACKET_END || ptr->type == VT_PACKET_META;
            if (!vtype_is_or_null(ptr->type) && !packet && is64)
                return eq ? (long)v->pc + 1 : target;
            struct vstate *taken = vstate_copy(v, v->cur);
            if (!taken)
                return -ENOMEM;
            if (vtype_is_or_null(ptr->type) && is64) {
                null_branch(taken, ptr_reg, eq);
                null_branch(v->cur, ptr_reg, !eq);
            }
            if (vpush(v, taken, (uint32_t)target))
                return -ENOMEM;
            return v->pc + 1;
        }
        return compare_pointers(v, in, &d, &s, target);
    }
    int known = vnum_compare(op, is64, &d.off, &s.off);
    if (known < 0)
        known = vbound_decide(v->cur, in); /* e.g. the same comparison again, of numbers unchanged since */
    if (known >= 0) { /* what it proves still counts: loops compare again what their entry knew */
        vbound_compare(v, known ? v->cur : NULL, known ? NULL : v->cur, in);
        return known ? target : v->pc + 1;
    }
    {
        struct vstate *taken = vstate_copy(v, v->cur);
        if (!taken)
            return -ENOMEM;
        struct vnum ta = d.off, tb = s.off, fa = d.off, fb = s.off;
        vnum_refine(op, is64, true, &ta, &tb);
        vnum_refine(op, is64, false, &fa, &fb);
        write_back(taken, in->dst, &ta);
        write_back(v->cur, in->dst, &fa);
        if (reg_src) {
            write_back(taken, in->src, &tb);
            write_back(v->cur, in->src, &fb);
        }
        vlin_narrow(taken);
        vlin_narrow(v->cur);
        vstride_tighten(taken);
        vstride_tighten(v->cur);
        vbound_compare(v, taken, v->cur, in);
        if (vpush(v, taken, (uint32_t)target))
            return -ENOMEM;
        return v->pc + 1;
    }
unknown: {
        struct vstate *taken = vstate_copy(v, v->cur);
        if (!taken || vpush(v, taken, (uint32_t)target))
            return -ENOMEM;
        return v->pc + 1;
    }
}
