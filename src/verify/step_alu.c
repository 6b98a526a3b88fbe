/*
 * Arithmetic, moves and 64-bit immediates. Numbers follow the numeric
 * domain; pointers may only move by a number (added or subtracted, 64-bit)
 * within their region, and two pointers into the same region may be
 * subtracted. Anything else done to a pointer would turn an address into a
 * number the program can read, and is rejected (unless the profile allows
 * pointer leaks, when the result is an unknown number).
 */
#include <errno.h>

#include "verify/internal.h"

#define U32_MAX 0xffffffffULL

static const char *op_name(uint8_t op)
{
    static const char *const names[16] = {"+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=",
                                          "=", "s>>=", "endian", "?", "?"};
    return names[op >> 4];
}

/* Reads register regno as an operand: it must be initialised. */
static int operand(struct verifier *v, int regno, struct vreg *out)
{
    const struct vreg *r = &vcur(v->cur)->regs[regno];
    if (r->type == VT_NOT_INIT)
        return vfail(v, "assign the register before this instruction on every path", "r%d is used before it is set",
                     regno);
    *out = *r;
    return 0;
}

/* The loop delta of a number after adding c (c is the signed change). */
static void delta_add(struct vreg *r, const struct vnum *before, int64_t c, bool is64)
{
    /* A 32-bit result moved by c only if it did not wrap. */
    bool ok = is64 || (before->umax <= U32_MAX &&
                       (c >= 0 ? before->umax + (uint64_t)c <= U32_MAX : before->umin >= (uint64_t)-c));
    for (int i = 0; i < VTRACK; i++)
        if ((r->dvalid >> i & 1) && (!ok || __builtin_add_overflow(r->dlo[i], c, &r->dlo[i]) ||
                                     __builtin_add_overflow(r->dhi[i], c, &r->dhi[i])))
            r->dvalid &= (uint8_t)~(1u << i);
}

static int leak_or_unknown(struct verifier *v, struct vreg *dst, int regno, const char *what)
{
    if (v->profile->allow_pointer_leaks) {
        vreg_unknown(dst);
        return 0;
    }
    return vfail(v, "do arithmetic only on numbers; move pointers only by adding or subtracting a number",
                 "r%d: %s would turn a pointer into a number the program can read", regno, what);
}

static bool movable(uint8_t type)
{
    return type == VT_STACK || type == VT_MAP_VALUE || type == VT_PACKET || type == VT_PACKET_META ||
           type == VT_MEM || type == VT_CTX;
}

/* Subtracting two pointers into the same region gives their distance. */
static bool same_region(const struct vreg *a, const struct vreg *b)
{
    bool pa = a->type == VT_PACKET || a->type == VT_PACKET_END || a->type == VT_PACKET_META;
    bool pb = b->type == VT_PACKET || b->type == VT_PACKET_END || b->type == VT_PACKET_META;
    if (pa && pb)
        return true;
    if (a->type != b->type)
        return false;
    if (a->type == VT_STACK)
        return a->frame == b->frame;
    if (a->type == VT_CTX)
        return true;
    return (a->type == VT_MAP_VALUE || a->type == VT_MEM) && a->id == b->id && a->map == b->map && a->id;
}

/* dst (a pointer) op= src (a number). */
static int pointer_move(struct verifier *v, struct vreg *dst, const struct vreg *src, uint8_t op, int regno)
{
    if (vtype_is_or_null(dst->type))
        return vfail(v, "compare the pointer with NULL (0) before doing arithmetic on it",
                     "r%d: arithmetic on a %s before its NULL check", regno, vtype_name(dst->type));
    if (!movable(dst->type))
        return vfail(v, "a map, a packet end or a function address cannot be moved; use the helpers that take it",
                     "r%d: arithmetic on a %s is not allowed", regno, vtype_name(dst->type));
    if (dst->type == VT_PACKET || dst->type == VT_PACKET_META) {
        if (vnum_is_const(&src->off)) {
            int64_t c = (int64_t)src->off.umin;
            if (op == EBPF_ALU_SUB)
                c = -c;
            /* The offset it reaches is bounded, not each step: many small steps add up. */
            int64_t reached = (int64_t)dst->pkt_off + c;
            if (reached < -(1 << 29) || reached > (1 << 29))
                return vfail(v, "packet offsets are at most 64 KiB", "r%d: packet pointer moved by %lld to %lld",
                             regno, (long long)c, (long long)reached);
            dst->pkt_off = (int32_t)reached;
            return 0;
        }
        if (op == EBPF_ALU_SUB)
            return vfail(v, "add offsets to packet pointers, never subtract an unknown value",
                         "r%d: subtracting an unknown value from a packet pointer", regno);
        struct vnum sum = vnum_alu(EBPF_ALU_ADD, &dst->off, &src->off, true);
        if (src->off.smin < 0 || sum.umax > 0xffff)
            return vfail(v, "check the value against a constant bound (e.g. if (len > 1500) return) before adding it "
                         "to a packet pointer", "r%d: packet pointer plus a value that is not bounded to [0, 65535]",
                         regno);
        dst->off = sum;
        dst->id = vnew_id(v);
        dst->range = 0;
        return 0;
    }
    dst->off = vnum_alu(op, &dst->off, &src->off, true);
    if (dst->type == VT_MAP_VALUE || dst->type == VT_MEM || dst->type == VT_STACK || dst->type == VT_CTX)
        dst->dvalid = 0;
    if (vnum_is_const(&src->off))
        vlin_add(dst, op == EBPF_ALU_SUB ? 0 - src->off.umin : src->off.umin);
    else
        dst->lin = 0;
    return 0;
}

static int alu_binary(struct verifier *v, const struct ebpf_insn *in, bool is64)
{
    struct vframe *f = vcur(v->cur);
    struct vreg *dst = &f->regs[in->dst], src, d;
    uint8_t op = ebpf_op(in->opcode);
    if (ebpf_source(in->opcode) == EBPF_SRC_X) {
        if (operand(v, in->src, &src))
            return -1;
    } else {
        vreg_const(&src, is64 ? (uint64_t)(int64_t)in->imm : (uint64_t)(uint32_t)in->imm);
    }
    if (operand(v, in->dst, &d))
        return -1;
    bool dp = vtype_is_pointer(d.type), sp = vtype_is_pointer(src.type);
    if (!dp && !sp) {
        struct vnum before = d.off;
        bool signed_div = (op == EBPF_ALU_DIV || op == EBPF_ALU_MOD) && in->offset != 0;
        struct vreg r = d;
        r.off = signed_div ? (is64 ? vnum_unknown() : vnum_urange(0, U32_MAX)) : vnum_alu(op, &d.off, &src.off, is64);
        r.id = 0;
        r.pkt_len_of = 0;
        if ((op == EBPF_ALU_ADD || op == EBPF_ALU_SUB) && vnum_is_const(&src.off)) {
            int64_t c = is64 ? (int64_t)src.off.umin : (int64_t)(int32_t)(uint32_t)src.off.umin;
            if (op == EBPF_ALU_SUB && c != INT64_MIN)
                c = -c;
            delta_add(&r, &before, c, is64);
            /* A 32-bit result is the 64-bit one only while nothing wraps. */
            if (is64 || (before.umax <= U32_MAX && r.off.umax <= U32_MAX &&
                         (c >= 0 ? before.umax + (uint64_t)c <= U32_MAX : before.umin >= (uint64_t)-c)))
                vlin_add(&r, (uint64_t)c);
            else
                r.lin = 0;
        } else {
            r.dvalid = 0;
            bool scale = is64 && vnum_is_const(&src.off) && (op == EBPF_ALU_MUL || (op == EBPF_ALU_LSH && src.off.umin < 63));
            if (scale)
                vlin_scale(&r, op == EBPF_ALU_MUL ? (int64_t)src.off.umin : (int64_t)1 << src.off.umin);
            else
                r.lin = 0;
        }
        vbound_alu(&r, &d, &src, op, is64);
        *dst = r;
        return 0;
    }
    if (!is64)
        return leak_or_unknown(v, dst, in->dst, "32-bit arithmetic on a pointer");
    if (dp && sp) {
        if (op == EBPF_ALU_SUB && same_region(&d, &src)) {
            struct vnum a = d.off, b = src.off;
            struct vreg r;
            vreg_unknown(&r);
            if (d.type == src.type && d.type != VT_PACKET)
                r.off = vnum_alu(EBPF_ALU_SUB, &a, &b, true);
            else if (d.type == VT_PACKET && src.type == VT_PACKET && d.id == src.id)
                r.off = vnum_const((uint64_t)(int64_t)(d.pkt_off - src.pkt_off));
            else if (d.type == VT_PACKET_END && src.type == VT_PACKET && !src.id && src.pkt_off >= 0) {
                r.off = vnum_urange(0, INT64_MAX);
                r.pkt_len_of = src.pkt_off + 1; /* end - (data + k): checks of it prove packet bytes */
            }
            *dst = r;
            return 0;
        }
        if (op == EBPF_ALU_SUB && v->profile->allow_pointer_leaks) {
            vreg_unknown(dst);
            return 0;
        }
        return vfail(v, "pointers can only be moved by numbers; two pointers may only be subtracted when they point "
                     "into the same memory", "r%d %s r%d: %s %s %s is not allowed", in->dst, op_name(op), in->src,
                     vtype_name(d.type), op_name(op), vtype_name(src.type));
    }
    if (op != EBPF_ALU_ADD && op != EBPF_ALU_SUB)
        return leak_or_unknown(v, dst, in->dst, op == EBPF_ALU_NEG ? "negating a pointer" : "this operation on a pointer");
    if (sp) { /* number + pointer */
        if (op == EBPF_ALU_SUB)
            return leak_or_unknown(v, dst, in->dst, "subtracting a pointer from a number");
        struct vreg num = d;
        *dst = src;
        return pointer_move(v, dst, &num, EBPF_ALU_ADD, in->dst);
    }
    return pointer_move(v, dst, &src, op, in->dst);
}

static int alu_mov(struct verifier *v, const struct ebpf_insn *in, bool is64)
{
    struct vframe *f = vcur(v->cur);
    struct vreg *dst = &f->regs[in->dst], src;
    if (ebpf_source(in->opcode) == EBPF_SRC_K) {
        vreg_const(dst, is64 ? (uint64_t)(int64_t)in->imm : (uint64_t)(uint32_t)in->imm);
        return 0;
    }
    if (operand(v, in->src, &src))
        return -1;
    if (in->offset) { /* movsx: sign-extend the low 8, 16 or 32 bits */
        if (vtype_is_pointer(src.type))
            return leak_or_unknown(v, dst, in->dst, "sign-extending a pointer");
        struct vnum n = vnum_sext(&src.off, (unsigned)in->offset);
        vreg_unknown(dst);
        dst->off = is64 ? n : vnum_zext32(&n);
        return 0; /* no pkt_len_of: a sign-extended length may be larger */
    }
    if (is64) {
        if (src.type == VT_SCALAR && !src.id) {
            src.id = vnew_id(v); /* copies share an identity: a check on one refines all, a comparison of one
                                    bounds all (bounds.c), even of known numbers */
            f->regs[in->src].id = src.id;
        }
        if (!src.lin && !vnum_is_const(&src.off) && vlin_anchor(v, &f->regs[in->src]))
            src = f->regs[in->src]; /* and a relation, which survives adding constants to either */
        *dst = src;
        return 0;
    }
    if (vtype_is_pointer(src.type))
        return leak_or_unknown(v, dst, in->dst, "a 32-bit copy of a pointer");
    struct vreg r = src; /* the low half of a length is still at most that length */
    r.off = vnum_zext32(&src.off);
    if (src.off.umax > U32_MAX) {
        r.id = 0;
        r.dvalid = 0;
        r.lin = 0;
        r.ge_at = r.le_at = 0;
        r.stride = 0;
    } else if (!src.id) {
        r.id = vnew_id(v);
        f->regs[in->src].id = r.id;
    }
    *dst = r;
    return 0;
}

static int alu_unary(struct verifier *v, const struct ebpf_insn *in, bool is64)
{
    struct vreg d;
    if (operand(v, in->dst, &d))
        return -1;
    struct vreg *dst = &vcur(v->cur)->regs[in->dst];
    uint8_t op = ebpf_op(in->opcode);
    if (vtype_is_pointer(d.type))
        return leak_or_unknown(v, dst, in->dst, op == EBPF_ALU_NEG ? "negating a pointer" : "a byte swap of a pointer");
    struct vnum n;
    if (op == EBPF_ALU_NEG) {
        struct vnum zero = vnum_const(0);
        n = vnum_alu(EBPF_ALU_NEG, &d.off, &zero, is64);
    } else {
        bool swap = is64 || ebpf_source(in->opcode) == EBPF_END_TO_BE; /* host is little-endian */
        n = vnum_end(&d.off, (unsigned)in->imm, swap);
    }
    vreg_unknown(dst);
    dst->off = n;
    return 0;
}

static long lddw(struct verifier *v, const struct ebpf_insn *in)
{
    struct vreg *dst = &vcur(v->cur)->regs[in->dst];
    uint32_t idx = (uint32_t)in[0].imm;
    switch (in->src) {
    case EBPF_LDDW_IMM64:
        vreg_const(dst, (uint64_t)(uint32_t)in[0].imm | (uint64_t)(uint32_t)in[1].imm << 32);
        break;
    case EBPF_LDDW_MAP_IDX:
    case EBPF_LDDW_MAP_VALUE_IDX:
        if (idx >= v->prog->map_count)
            return vfail(v, NULL, "lddw names map %u of %zu", idx, v->prog->map_count);
        if (in->src == EBPF_LDDW_MAP_IDX) {
            *dst = (struct vreg){.type = VT_MAP_PTR, .map = idx, .off = vnum_const(0)};
            break;
        }
        if ((uint32_t)in[1].imm >= v->prog->maps[idx].value_size ||
            (v->prog->maps[idx].type != VERIFY_MAP_ARRAY && v->prog->maps[idx].type != VERIFY_MAP_PERCPU_ARRAY))
            return vfail(v, NULL, "lddw takes the address of offset %u in map '%s', not a global variable",
                         (uint32_t)in[1].imm, v->prog->maps[idx].name);
        *dst = (struct vreg){.type = VT_MAP_VALUE, .map = idx, .off = vnum_const((uint32_t)in[1].imm)};
        break;
    case EBPF_LDDW_CODE_ADDR:
        *dst = (struct vreg){.type = VT_FUNC, .map = (uint32_t)((long)v->pc + 1 + in->imm), .off = vnum_const(0)};
        break;
    default:
        return vfail(v, "load maps through the ELF loader (lddw with a map relocation)",
                     "lddw form %u (a map by file descriptor or a kernel variable) is not supported here", in->src);
    }
    return v->pc + 2;
}

/*
 * "r <<= 32; r >>= 32" (clang's zero extension): when r already fits in 32
 * bits the pair changes nothing, and r stays the same value (its copies,
 * identity and loop delta included). True if the pair was taken as that.
 */
static bool zero_extension(struct verifier *v, const struct ebpf_insn *in)
{
    const struct ebpf_insn *next = in + 1;
    uint8_t lsh = EBPF_CLS_ALU64 | EBPF_ALU_LSH | EBPF_SRC_K, rsh = EBPF_CLS_ALU64 | EBPF_ALU_RSH | EBPF_SRC_K;
    if (in->opcode != lsh || in->imm != 32 || v->pc + 1 >= v->prog->insn_count || next->opcode != rsh ||
        next->imm != 32 || next->dst != in->dst || (v->insn_flags[v->pc + 1] & VI_PRUNE))
        return false;
    const struct vreg *r = &vcur(v->cur)->regs[in->dst];
    return r->type == VT_SCALAR && r->off.umax <= 0xffffffffULL;
}

long vstep_alu(struct verifier *v, const struct ebpf_insn *in)
{
    if (in->opcode == EBPF_OP_LDDW) {
        long next = lddw(v, in);
        return next < 0 ? VSTEP_FAIL : next;
    }
    bool is64 = ebpf_class(in->opcode) == EBPF_CLS_ALU64;
    uint8_t op = ebpf_op(in->opcode);
    int rc;
    if (zero_extension(v, in))
        return (long)v->pc + 2;
    if (op == EBPF_ALU_MOV)
        rc = alu_mov(v, in, is64);
    else if (op == EBPF_ALU_NEG || op == EBPF_ALU_END)
        rc = alu_unary(v, in, is64);
    else
        rc = alu_binary(v, in, is64);
    return rc ? VSTEP_FAIL : (long)v->pc + 1;
}
