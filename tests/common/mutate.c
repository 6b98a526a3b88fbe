/*
 * Mutation points of a program (see mutate.h). The analysis: a linear scan
 * of the main function that knows, at each slot, what registers hold on
 * every path reaching it (it forgets everything at a jump target, but a
 * callee-saved register that copies the context at entry and is never
 * written again stays the context), and walks along one straight path
 * (falls through, follows `ja`, stops at a conditional jump) to find what
 * happens after a mutation point on that path.
 */
#include "common/mutate.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum kind {
    V_UNKNOWN,  /* anything, a pointer or a number of any origin */
    V_SCALAR,   /* a number that depends on no packet pointer */
    V_CONST,    /* the number off */
    V_CTX,      /* the context */
    V_STACK,    /* r10 + off */
    V_PKT,      /* packet start + off (def: the `add` that set off, or SIZE_MAX) */
    V_PKT_END,  /* packet end */
    V_NULLABLE, /* a helper's result, NULL or a pointer (id) */
    V_MAPVAL,   /* that result known non-NULL, + off */
};

struct val {
    enum kind kind;
    int64_t off;
    int id;
    size_t def;
};

struct regs {
    struct val r[EBPF_REG_COUNT];
};

struct scan {
    const struct ebpf_insn *insns;
    size_t end; /* the main function: slots [0, end) */
    const struct verify_profile *profile;
    bool *target;   /* the slot is reached by a jump (or only by one) */
    bool *reach;    /* a jump that may be taken on a live path goes there (or a backward jump, any) */
    bool *live;     /* the slot may run: not behind a branch decided by constants (see scan_main()) */
    int pinned_ctx; /* r6..r9 holding the context in the whole main function, or -1 */
    int next_id;
};

static const struct val unknown = {V_UNKNOWN, 0, 0, SIZE_MAX};

static struct val val_of(enum kind kind, int64_t off)
{
    return (struct val){kind, off, 0, SIZE_MAX};
}

static uint8_t cls(const struct ebpf_insn *in)
{
    return in->opcode & 0x07;
}

static uint8_t op(const struct ebpf_insn *in)
{
    return in->opcode & 0xf0;
}

static size_t slots(const struct ebpf_insn *in)
{
    return in->opcode == EBPF_OP_LDDW ? 2 : 1;
}

static bool is_jump_class(const struct ebpf_insn *in)
{
    return cls(in) == EBPF_CLS_JMP || cls(in) == EBPF_CLS_JMP32;
}

static bool is_cond_jump(const struct ebpf_insn *in)
{
    return is_jump_class(in) && op(in) != EBPF_JMP_JA && op(in) != EBPF_JMP_CALL && op(in) != EBPF_JMP_EXIT;
}

static bool is_ja(const struct ebpf_insn *in)
{
    return in->opcode == EBPF_OP_JA || in->opcode == EBPF_OP_JA32;
}

/* Where a jump goes (conditional jumps and ja, whose 32-bit form keeps the offset in imm). */
static size_t jump_target(const struct ebpf_insn *in, size_t pc)
{
    return pc + 1 + (size_t)(int64_t)(in->opcode == EBPF_OP_JA32 ? in->imm : in->offset);
}

static bool is_mem(const struct ebpf_insn *in, uint8_t c)
{
    return cls(in) == c && (in->opcode & 0xe0) == EBPF_MODE_MEM;
}

static int access_size(const struct ebpf_insn *in)
{
    static const int sizes[] = {4, 2, 1, 8};
    return sizes[(in->opcode >> 3) & 3];
}

/* The register a load or store takes its address from. */
static int base_of(const struct ebpf_insn *in)
{
    return cls(in) == EBPF_CLS_LDX ? in->src : in->dst;
}

static bool is_access(const struct ebpf_insn *in)
{
    return is_mem(in, EBPF_CLS_LDX) || is_mem(in, EBPF_CLS_ST) || is_mem(in, EBPF_CLS_STX) ||
           (cls(in) == EBPF_CLS_LDX && (in->opcode & 0xe0) == EBPF_MODE_MEMSX) ||
           (cls(in) == EBPF_CLS_STX && (in->opcode & 0xe0) == EBPF_MODE_ATOMIC);
}

/* Whether an instruction writes register r (calls: r0-r5). */
static bool writes(const struct ebpf_insn *in, int r)
{
    switch (cls(in)) {
    case EBPF_CLS_ALU:
    case EBPF_CLS_ALU64:
    case EBPF_CLS_LDX:
        return in->dst == r;
    case EBPF_CLS_LD:
        return in->opcode == EBPF_OP_LDDW ? in->dst == r : r <= 5;
    case EBPF_CLS_STX:
        if ((in->opcode & 0xe0) != EBPF_MODE_ATOMIC || !(in->imm & EBPF_ATOMIC_FETCH))
            return false;
        return in->imm == EBPF_ATOMIC_CMPXCHG ? r == 0 : in->src == r;
    case EBPF_CLS_JMP:
        return op(in) == EBPF_JMP_CALL && r <= 5;
    default:
        return false;
    }
}

static const struct verify_helper *helper_of(const struct verify_profile *p, int32_t id)
{
    for (size_t i = 0; i < p->helper_count; i++)
        if (p->helpers[i].id == (uint32_t)id)
            return &p->helpers[i];
    return NULL;
}

/* The rights on every byte of [off, off + size) of the context (a later field overrides an earlier one). */
static unsigned ctx_rights(const struct verify_profile *p, int64_t off, int size)
{
    unsigned all = VERIFY_READ | VERIFY_WRITE;
    for (int64_t b = off; b < off + size; b++) {
        unsigned rights = 0;
        for (size_t i = 0; i < p->field_count; i++)
            if (b >= p->fields[i].offset && b < (int64_t)p->fields[i].offset + p->fields[i].size)
                rights = p->fields[i].access;
        all &= rights;
    }
    return all;
}

/* The pointer field (data pair, metadata) overlapping [off, off + size), or NULL. */
static const struct verify_ctx_field *pointer_field(const struct verify_profile *p, int64_t off, int size)
{
    for (size_t i = 0; i < p->field_count; i++)
        if (p->fields[i].kind != VERIFY_FIELD_PLAIN && off < (int64_t)p->fields[i].offset + p->fields[i].size &&
            (int64_t)p->fields[i].offset < off + size)
            return &p->fields[i];
    return NULL;
}

static bool scalar_like(const struct val *v)
{
    return v->kind == V_SCALAR || v->kind == V_CONST;
}

/* After a call: r0-r5 as the call leaves them; packet pointers die unless the helper keeps the packet. */
static void call_effect(struct scan *s, struct regs *st, const struct ebpf_insn *in)
{
    const struct verify_helper *h = in->src == EBPF_CALL_HELPER ? helper_of(s->profile, in->imm) : NULL;
    for (int r = 0; r <= 5; r++)
        st->r[r] = unknown;
    if (h && (h->ret == VERIFY_RET_MAP_VALUE_OR_NULL || h->ret == VERIFY_RET_RINGBUF_MEM_OR_NULL))
        st->r[0] = (struct val){V_NULLABLE, 0, ++s->next_id, SIZE_MAX};
    else if (h && h->ret == VERIFY_RET_INTEGER)
        st->r[0] = val_of(V_SCALAR, 0);
    if (!h || (h->flags & VERIFY_HELPER_CHANGES_PACKET))
        for (int r = 6; r < EBPF_REG_COUNT; r++)
            if (st->r[r].kind == V_PKT || st->r[r].kind == V_PKT_END)
                st->r[r] = unknown;
}

static struct val load_result(const struct scan *s, const struct regs *st, const struct ebpf_insn *in)
{
    const struct val *base = &st->r[in->src];
    if (base->kind == V_CTX && (in->opcode & 0xe0) == EBPF_MODE_MEM) {
        const struct verify_ctx_field *f = pointer_field(s->profile, in->offset, access_size(in));
        if (!f)
            return val_of(V_SCALAR, 0);
        bool whole = f->offset == (uint32_t)in->offset && f->size == (uint32_t)access_size(in);
        if (whole && f->kind == VERIFY_FIELD_PACKET)
            return val_of(V_PKT, 0);
        return whole && f->kind == VERIFY_FIELD_PACKET_END ? val_of(V_PKT_END, 0) : unknown;
    }
    /* Map values and packet bytes hold numbers only (a pointer stored there would have been refused). */
    return base->kind == V_MAPVAL || base->kind == V_PKT ? val_of(V_SCALAR, 0) : unknown;
}

static void alu(struct regs *st, const struct ebpf_insn *in, size_t pc)
{
    struct val *d = &st->r[in->dst];
    bool x = in->opcode & EBPF_SRC_X;
    struct val src = x ? st->r[in->src] : val_of(V_CONST, in->imm);
    if (cls(in) == EBPF_CLS_ALU) { /* 32 bits: numbers stay numbers, anything else is lost */
        bool mov = op(in) == EBPF_ALU_MOV;
        *d = (mov || scalar_like(d)) && scalar_like(&src) ? val_of(V_SCALAR, 0) : unknown;
        if (mov && !x)
            *d = val_of(V_CONST, (uint32_t)in->imm);
        return;
    }
    switch (op(in)) {
    case EBPF_ALU_MOV:
        *d = (x && in->offset == 0) || !x ? src : (scalar_like(&src) ? val_of(V_SCALAR, 0) : unknown);
        return;
    case EBPF_ALU_ADD:
    case EBPF_ALU_SUB:
        if (src.kind == V_CONST && (d->kind == V_CONST || d->kind == V_STACK || d->kind == V_PKT ||
                                    d->kind == V_MAPVAL)) {
            d->off += op(in) == EBPF_ALU_ADD ? src.off : -src.off;
            d->def = pc;
            return;
        }
        break;
    default:
        break;
    }
    *d = scalar_like(d) && scalar_like(&src) ? val_of(V_SCALAR, 0) : unknown;
}

/* The effect of the slot at pc on st, but a conditional jump's refinement (see refine()). */
static void step(struct scan *s, struct regs *st, size_t pc)
{
    const struct ebpf_insn *in = &s->insns[pc];
    switch (cls(in)) {
    case EBPF_CLS_ALU:
    case EBPF_CLS_ALU64:
        alu(st, in, pc);
        break;
    case EBPF_CLS_LDX:
        st->r[in->dst] = load_result(s, st, in);
        break;
    case EBPF_CLS_LD:
        if (in->opcode != EBPF_OP_LDDW) {
            for (int r = 0; r <= 5; r++) /* legacy packet loads */
                st->r[r] = unknown;
        } else if (in->src == EBPF_LDDW_IMM64) {
            st->r[in->dst] = val_of(V_CONST, (int64_t)((uint64_t)(uint32_t)in[1].imm << 32 | (uint32_t)in->imm));
        } else if (in->src == EBPF_LDDW_MAP_VALUE_IDX || in->src == EBPF_LDDW_MAP_VALUE_FD) {
            st->r[in->dst] = (struct val){V_MAPVAL, in[1].imm, ++s->next_id, SIZE_MAX};
        } else {
            st->r[in->dst] = unknown;
        }
        break;
    case EBPF_CLS_STX:
        for (int r = 0; r < EBPF_REG_COUNT; r++)
            if (writes(in, r))
                st->r[r] = unknown;
        break;
    case EBPF_CLS_JMP:
        if (op(in) == EBPF_JMP_CALL)
            call_effect(s, st, in);
        break;
    default:
        break;
    }
    st->r[EBPF_REG_FP] = val_of(V_STACK, 0);
}

/* A NULL check's effect on the side taken (taken: the jump was). */
static void refine(struct regs *st, const struct ebpf_insn *in, bool taken)
{
    const struct val *v = &st->r[in->dst];
    bool null_test = in->opcode == (EBPF_CLS_JMP | EBPF_SRC_K | EBPF_JMP_JEQ) ||
                     in->opcode == (EBPF_CLS_JMP | EBPF_SRC_K | EBPF_JMP_JNE);
    if (!null_test || in->imm != 0 || v->kind != V_NULLABLE)
        return;
    bool is_null = (op(in) == EBPF_JMP_JEQ) == taken;
    int id = v->id;
    for (int r = 0; r < EBPF_REG_COUNT; r++)
        if (st->r[r].kind == V_NULLABLE && st->r[r].id == id)
            st->r[r] = is_null ? val_of(V_CONST, 0) : (struct val){V_MAPVAL, 0, id, SIZE_MAX};
}

static void entry_state(const struct scan *s, struct regs *st, bool entry)
{
    for (int r = 0; r < EBPF_REG_COUNT; r++)
        st->r[r] = unknown;
    if (entry)
        st->r[1] = val_of(V_CTX, 0);
    if (s->pinned_ctx >= 0)
        st->r[s->pinned_ctx] = val_of(V_CTX, 0);
    st->r[EBPF_REG_FP] = val_of(V_STACK, 0);
}

/* Whether a conditional jump on constants is always taken (1), never (0), or may go either way (-1). */
static int const_outcome(const struct regs *st, const struct ebpf_insn *in)
{
    const struct val *a = &st->r[in->dst], *b = &st->r[in->src];
    bool x = in->opcode & EBPF_SRC_X;
    if (a->kind != V_CONST || (x && b->kind != V_CONST))
        return -1;
    uint64_t u = (uint64_t)a->off, v = x ? (uint64_t)b->off : (uint64_t)(int64_t)in->imm;
    if (cls(in) == EBPF_CLS_JMP32) {
        u = (uint64_t)(int64_t)(int32_t)u; /* compared as 32 bits: same order signed, unsigned below */
        v = (uint64_t)(int64_t)(int32_t)v;
    }
    int64_t su = (int64_t)u, sv = (int64_t)v;
    uint64_t uu = cls(in) == EBPF_CLS_JMP32 ? (uint32_t)u : u, uv = cls(in) == EBPF_CLS_JMP32 ? (uint32_t)v : v;
    switch (op(in)) {
    case EBPF_JMP_JEQ: return uu == uv;
    case EBPF_JMP_JNE: return uu != uv;
    case EBPF_JMP_JGT: return uu > uv;
    case EBPF_JMP_JGE: return uu >= uv;
    case EBPF_JMP_JLT: return uu < uv;
    case EBPF_JMP_JLE: return uu <= uv;
    case EBPF_JMP_JSET: return (uu & uv) != 0;
    case EBPF_JMP_JSGT: return su > sv;
    case EBPF_JMP_JSGE: return su >= sv;
    case EBPF_JMP_JSLT: return su < sv;
    case EBPF_JMP_JSLE: return su <= sv;
    default: return -1;
    }
}

/* Whether a conditional jump could test the packet's bounds (a pointer or a number of unknown origin). */
static bool may_test_packet(const struct regs *st, const struct ebpf_insn *in)
{
    const struct val *a = &st->r[in->dst], *b = (in->opcode & EBPF_SRC_X) ? &st->r[in->src] : NULL;
    bool sa = a->kind != V_UNKNOWN && a->kind != V_PKT && a->kind != V_PKT_END;
    bool sb = !b || (b->kind != V_UNKNOWN && b->kind != V_PKT && b->kind != V_PKT_END);
    return !(sa && sb);
}

/*
 * The state before slot stop (the scan from the entry), and whether a
 * conditional jump before it in program order may test the packet.
 */
static void state_at(struct scan *s, size_t stop, struct regs *st, bool *packet_tested)
{
    entry_state(s, st, !s->target[0]);
    *packet_tested = false;
    for (size_t pc = 0; pc < stop && pc < s->end; pc += slots(&s->insns[pc])) {
        const struct ebpf_insn *in = &s->insns[pc];
        if (pc > 0 && s->target[pc])
            entry_state(s, st, false);
        if (is_cond_jump(in))
            *packet_tested |= may_test_packet(st, in);
        step(s, st, pc);
        if (is_cond_jump(in))
            refine(st, in, false);
    }
    if (stop > 0 && s->target[stop])
        entry_state(s, st, false);
}

/* What a walk looks for at each slot: true when found. */
typedef bool (*walk_fn)(const struct regs *st, const struct ebpf_insn *in, const void *arg);

/* Walks the straight path from pc with st (ja followed, at most 64 slots); true if fn finds its slot. */
static bool walk(struct scan *s, struct regs st, size_t pc, walk_fn fn, const void *arg)
{
    for (int n = 0; n < 64 && pc < s->end; n++) {
        const struct ebpf_insn *in = &s->insns[pc];
        if (fn(&st, in, arg))
            return true;
        if (is_ja(in)) {
            pc = jump_target(in, pc);
            continue;
        }
        if (is_cond_jump(in) || in->opcode == EBPF_OP_EXIT)
            return false;
        step(s, &st, pc);
        pc += slots(in);
    }
    return false;
}

/* Finds a load or store through the non-NULL result with this id. */
static bool derefs(const struct regs *st, const struct ebpf_insn *in, const void *arg)
{
    const struct val *b = &st->r[base_of(in)];
    return is_access(in) && b->kind == V_MAPVAL && b->id == *(const int *)arg;
}

/* Finds a packet access that ends beyond *limit bytes. */
static bool reads_past(const struct regs *st, const struct ebpf_insn *in, const void *arg)
{
    const struct val *b = &st->r[base_of(in)];
    return is_access(in) && b->kind == V_PKT && b->off + in->offset + access_size(in) > *(const int64_t *)arg;
}

/* ------------------------------------------------------------------------ */

struct found {
    struct mutation *items;
    size_t count, cap;
};

static void add(struct found *f, enum mutation_kind kind, size_t pc, struct ebpf_insn insn)
{
    if (f->count == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 16;
        struct mutation *m = realloc(f->items, cap * sizeof(*m));
        if (!m)
            return;
        f->items = m;
        f->cap = cap;
    }
    f->items[f->count++] = (struct mutation){kind, pc, insn};
}

static const struct ebpf_insn nop = {EBPF_OP_JA, 0, 0, 0, 0};

/* A NULL check of a lookup result whose other side dereferences it: the check goes. */
static void null_check(struct scan *s, const struct regs *st, size_t pc, struct found *f)
{
    const struct ebpf_insn *in = &s->insns[pc];
    if (cls(in) != EBPF_CLS_JMP || (in->opcode & EBPF_SRC_X) || in->imm != 0 || st->r[in->dst].kind != V_NULLABLE ||
        (op(in) != EBPF_JMP_JEQ && op(in) != EBPF_JMP_JNE))
        return;
    bool jeq = op(in) == EBPF_JMP_JEQ;
    int id = st->r[in->dst].id;
    struct regs after = *st;
    refine(&after, in, !jeq);
    if (!walk(s, after, jeq ? pc + 1 : jump_target(in, pc), derefs, &id))
        return;
    /* jeq NULL, out: never jumps; jne NULL, use: always does. */
    struct ebpf_insn m = nop;
    if (!jeq)
        m.offset = in->offset;
    add(f, MUTATE_NULL_CHECK, pc, m);
}

/* A packet comparison: its pointer operand, and the side (taken or not) on which the bytes are proven. */
static bool packet_compare(const struct regs *st, const struct ebpf_insn *in, const struct val **ptr, bool *safe_taken)
{
    if (cls(in) != EBPF_CLS_JMP || !(in->opcode & EBPF_SRC_X))
        return false;
    const struct val *a = &st->r[in->dst], *b = &st->r[in->src];
    if (a->kind == V_PKT && b->kind == V_PKT_END && (op(in) == EBPF_JMP_JGT || op(in) == EBPF_JMP_JLE)) {
        *ptr = a;
        *safe_taken = op(in) == EBPF_JMP_JLE;
        return a->off > 0;
    }
    if (a->kind == V_PKT_END && b->kind == V_PKT && (op(in) == EBPF_JMP_JLT || op(in) == EBPF_JMP_JGE)) {
        *ptr = b;
        *safe_taken = op(in) == EBPF_JMP_JGE;
        return b->off > 0;
    }
    return false;
}

/* Whether a jump after pc comes back to pc or before it (a loop: other checks may precede it). */
static bool reentered(const struct scan *s, size_t pc)
{
    for (size_t j = pc + 1; j < s->end; j += slots(&s->insns[j]))
        if ((is_cond_jump(&s->insns[j]) || is_ja(&s->insns[j])) && jump_target(&s->insns[j], j) <= pc)
            return true;
    return false;
}

/*
 * The first packet check of the program (no path reaches it through an
 * earlier test of the packet) followed on its safe side by an access:
 * removed, that access is unproven; with the bound one byte smaller (the
 * `add` that made the compared pointer), an access reaching the last
 * proven byte is out.
 */
static void packet_check(struct scan *s, const struct regs *st, bool tested, size_t pc, struct found *f)
{
    const struct ebpf_insn *in = &s->insns[pc];
    const struct val *ptr;
    bool safe_taken;
    if (tested || !packet_compare(st, in, &ptr, &safe_taken) || reentered(s, pc))
        return;
    size_t safe = safe_taken ? jump_target(in, pc) : pc + 1;
    int64_t none = 0, bound = ptr->off - 1;
    if (walk(s, *st, safe, reads_past, &none)) {
        struct ebpf_insn m = nop;
        if (safe_taken)
            m.offset = in->offset;
        add(f, MUTATE_PACKET_CHECK, pc, m);
    }
    size_t def = ptr->def;
    const struct ebpf_insn *d = def < s->end ? &s->insns[def] : NULL;
    if (!d || d->opcode != (EBPF_CLS_ALU64 | EBPF_ALU_ADD | EBPF_SRC_K) || d->imm <= 0)
        return;
    /* The program with the smaller bound: the comparison must now prove bound bytes, and an access needs more. */
    struct ebpf_insn *copy = malloc(s->end * sizeof(*copy));
    if (!copy)
        return;
    memcpy(copy, s->insns, s->end * sizeof(*copy));
    copy[def].imm--;
    struct scan ms = *s;
    ms.insns = copy;
    struct regs mst;
    bool mtested;
    state_at(&ms, pc, &mst, &mtested);
    const struct val *mptr;
    bool msafe;
    if (!mtested && packet_compare(&mst, in, &mptr, &msafe) && mptr->off == bound &&
        walk(&ms, mst, safe, reads_past, &bound))
        add(f, MUTATE_PACKET_BOUND, def, copy[def]);
    free(copy);
}

/* A load of a context field programs may not write becomes a store of 0 to it. */
static void ctx_write(struct scan *s, const struct regs *st, size_t pc, struct found *f)
{
    const struct ebpf_insn *in = &s->insns[pc];
    if (!is_mem(in, EBPF_CLS_LDX) || st->r[in->src].kind != V_CTX)
        return;
    if ((ctx_rights(s->profile, in->offset, access_size(in)) & VERIFY_WRITE) &&
        !pointer_field(s->profile, in->offset, access_size(in)))
        return;
    struct ebpf_insn m = {(uint8_t)(EBPF_CLS_ST | EBPF_MODE_MEM | (in->opcode & 0x18)), in->src, 0, in->offset, 0};
    add(f, MUTATE_CTX_WRITE, pc, m);
}

/* A store into a map value stores r10 instead. */
static void leak_map(struct scan *s, const struct regs *st, size_t pc, struct found *f)
{
    const struct ebpf_insn *in = &s->insns[pc];
    if ((!is_mem(in, EBPF_CLS_ST) && !is_mem(in, EBPF_CLS_STX)) || st->r[in->dst].kind != V_MAPVAL)
        return;
    struct ebpf_insn m = {(uint8_t)(EBPF_CLS_STX | EBPF_MODE_MEM | (in->opcode & 0x18)), in->dst, EBPF_REG_FP,
                          in->offset, 0};
    add(f, MUTATE_LEAK_MAP, pc, m);
}

/* The value set just before the main function's exit becomes r10. */
static void leak_return(struct scan *s, size_t pc, struct found *f)
{
    const struct ebpf_insn *in = &s->insns[pc];
    if (pc + 1 >= s->end || s->insns[pc + 1].opcode != EBPF_OP_EXIT || cls(in) != EBPF_CLS_ALU64 ||
        op(in) != EBPF_ALU_MOV || in->dst != 0)
        return;
    struct ebpf_insn m = {EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_X, 0, EBPF_REG_FP, 0, 0};
    add(f, MUTATE_LEAK_RETURN, pc, m);
}

/* ------------------------------------------------------------------------ */
/* Uninitialised stack: a slot with one store and a read, no pointer to it. */

static bool overlaps(int64_t a, int64_t alen, int64_t b, int64_t blen)
{
    return a < b + blen && b < a + alen;
}

/*
 * The lowest offset a pointer into the stack may reach, INT64_MIN when
 * any pointer to it escapes the pattern `rX = r10; rX += c` (then every
 * slot may be written through it): helpers and stores through such a
 * pointer reach [c, 0), as long as no store goes below its base.
 */
static int64_t lowest_alias(const struct scan *s)
{
    int64_t low = 0;
    for (size_t pc = 0; pc < s->end; pc += slots(&s->insns[pc])) {
        const struct ebpf_insn *in = &s->insns[pc];
        if (cls(in) != EBPF_CLS_LDX && is_access(in) && base_of(in) != EBPF_REG_FP && in->offset < 0)
            return INT64_MIN;
        bool memory_base = is_access(in) && base_of(in) == EBPF_REG_FP && !(cls(in) == EBPF_CLS_STX && in->src == EBPF_REG_FP);
        bool reads_fp = (cls(in) == EBPF_CLS_ALU || cls(in) == EBPF_CLS_ALU64 || cls(in) == EBPF_CLS_STX ||
                         is_jump_class(in)) && (in->opcode & EBPF_SRC_X) && in->src == EBPF_REG_FP;
        if (cls(in) == EBPF_CLS_STX && in->src == EBPF_REG_FP)
            reads_fp = true;
        if (!reads_fp || memory_base)
            continue;
        const struct ebpf_insn *next = pc + 1 < s->end ? &s->insns[pc + 1] : NULL;
        bool pattern = in->opcode == (EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_X) && in->offset == 0 && next &&
                       !s->target[pc + 1] && next->opcode == (EBPF_CLS_ALU64 | EBPF_ALU_ADD | EBPF_SRC_K) &&
                       next->dst == in->dst && next->imm < 0;
        if (!pattern)
            return INT64_MIN;
        if (next->imm < low)
            low = next->imm;
    }
    return low;
}

static void uninit_stack(struct scan *s, struct found *f)
{
    int64_t low = lowest_alias(s);
    if (low == INT64_MIN)
        return;
    for (size_t pc = 0; pc < s->end; pc += slots(&s->insns[pc])) {
        const struct ebpf_insn *st = &s->insns[pc];
        if ((!is_mem(st, EBPF_CLS_ST) && !is_mem(st, EBPF_CLS_STX)) || st->dst != EBPF_REG_FP)
            continue;
        int64_t off = st->offset, len = access_size(st);
        if (off + len > low)
            continue; /* a pointer into the stack may also write it */
        bool other_writer = false, read = false;
        for (size_t q = 0; q < s->end; q += slots(&s->insns[q])) {
            const struct ebpf_insn *in = &s->insns[q];
            if (q == pc || !is_access(in) || base_of(in) != EBPF_REG_FP ||
                !overlaps(off, len, in->offset, access_size(in)))
                continue;
            if (cls(in) == EBPF_CLS_LDX || (in->opcode & 0xe0) == EBPF_MODE_ATOMIC)
                read |= s->live[q];
            if (cls(in) != EBPF_CLS_LDX)
                other_writer = true;
        }
        if (read && !other_writer)
            add(f, MUTATE_UNINIT_STACK, pc, nop);
    }
}

/* ------------------------------------------------------------------------ */

/* The end of the main function: the first function a call or a code address names. */
static size_t main_end(const struct ebpf_insn *insns, size_t count)
{
    size_t end = count;
    for (size_t pc = 0; pc < count; pc += slots(&insns[pc])) {
        const struct ebpf_insn *in = &insns[pc];
        bool local_call = in->opcode == EBPF_OP_CALL && in->src == EBPF_CALL_LOCAL;
        bool code_addr = in->opcode == EBPF_OP_LDDW && in->src == EBPF_LDDW_CODE_ADDR;
        size_t t = pc + 1 + (size_t)(int64_t)in->imm;
        if ((local_call || code_addr) && t > 0 && t < end)
            end = t;
    }
    return end;
}

/* A callee-saved register copied from r1 before the first jump and never written again, or -1. */
static int pinned_ctx(const struct scan *s)
{
    int pinned = -1;
    for (size_t pc = 0; pc < s->end && !s->target[pc]; pc += slots(&s->insns[pc])) {
        const struct ebpf_insn *in = &s->insns[pc];
        if (is_jump_class(in) || writes(in, 1))
            break;
        if (in->opcode == (EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_X) && in->offset == 0 && in->src == 1 &&
            in->dst >= 6 && in->dst <= 9) {
            pinned = in->dst;
            for (size_t q = 0; q < s->end; q += slots(&s->insns[q]))
                if (q != pc && writes(&s->insns[q], pinned))
                    pinned = -1;
            break;
        }
    }
    return pinned;
}

static void mark_targets(struct scan *s)
{
    for (size_t pc = 0; pc < s->end; pc += slots(&s->insns[pc])) {
        const struct ebpf_insn *in = &s->insns[pc];
        if (is_cond_jump(in) || is_ja(in)) {
            size_t t = jump_target(in, pc);
            if (t < s->end)
                s->target[t] = true;
        }
        if ((is_cond_jump(in) || is_ja(in)) && jump_target(in, pc) <= pc)
            s->reach[jump_target(in, pc)] = true; /* loops: whether they run is not looked at */
        if ((is_ja(in) || in->opcode == EBPF_OP_EXIT) && pc + 1 < s->end)
            s->target[pc + 1] = true; /* reached only by jumps, if at all */
    }
}

/* Keeps at most max of each kind, spread evenly over the program. */
static size_t pick(const struct found *f, size_t max, struct mutation *out)
{
    size_t n = 0;
    for (int k = 0; k < MUTATE_KINDS; k++) {
        size_t of_kind = 0;
        for (size_t i = 0; i < f->count; i++)
            of_kind += f->items[i].kind == (enum mutation_kind)k;
        size_t seen = 0, taken = 0;
        for (size_t i = 0; i < f->count && taken < max; i++) {
            if (f->items[i].kind != (enum mutation_kind)k)
                continue;
            /* The taken-th of max evenly spaced picks among of_kind. */
            if (of_kind <= max || seen == taken * of_kind / max) {
                out[n++] = f->items[i];
                taken++;
            }
            seen++;
        }
    }
    return n;
}

/*
 * Each slot with the state before it (state_at()'s scan), looking for
 * mutation points where the slot may run: slots behind a branch that
 * constants decide (code a CO-RE check or a configuration constant
 * disables) are never mutated, as no path reaches them.
 */
static void scan_main(struct scan *s, struct found *f)
{
    struct regs st;
    bool tested = false, fall_live = true;
    entry_state(s, &st, !s->target[0]);
    for (size_t pc = 0; pc < s->end; pc += slots(&s->insns[pc])) {
        const struct ebpf_insn *in = &s->insns[pc];
        if (pc > 0 && s->target[pc])
            entry_state(s, &st, false);
        bool live = fall_live || s->reach[pc];
        s->live[pc] = live;
        if (live) {
            null_check(s, &st, pc, f);
            packet_check(s, &st, tested, pc, f);
            ctx_write(s, &st, pc, f);
            leak_map(s, &st, pc, f);
            leak_return(s, pc, f);
        }
        fall_live = live && in->opcode != EBPF_OP_EXIT && !is_ja(in);
        if (is_cond_jump(in)) {
            int outcome = const_outcome(&st, in);
            tested |= may_test_packet(&st, in);
            if (outcome != 0 && jump_target(in, pc) < s->end)
                s->reach[jump_target(in, pc)] |= live;
            fall_live &= outcome != 1;
        }
        if (is_ja(in) && jump_target(in, pc) < s->end)
            s->reach[jump_target(in, pc)] |= live;
        step(s, &st, pc);
        if (is_cond_jump(in))
            refine(&st, in, false);
    }
}

size_t mutations_find(const struct ebpf_insn *insns, size_t count, const struct verify_profile *profile,
                      size_t max_per_kind, struct mutation *out)
{
    bool *flags = calloc(3 * (count + 1), sizeof(bool));
    struct scan s = {insns, main_end(insns, count), profile, flags, flags + count + 1, flags + 2 * (count + 1), -1, 0};
    struct found f = {0};
    if (!flags)
        return 0;
    mark_targets(&s);
    s.pinned_ctx = pinned_ctx(&s);
    scan_main(&s, &f);
    uninit_stack(&s, &f);
    size_t n = pick(&f, max_per_kind, out);
    free(f.items);
    free(flags);
    return n;
}

const char *mutation_kind_name(enum mutation_kind kind)
{
    static const char *const names[MUTATE_KINDS] = {
        [MUTATE_NULL_CHECK] = "drop a NULL check",
        [MUTATE_PACKET_BOUND] = "widen a packet bound by one",
        [MUTATE_PACKET_CHECK] = "skip a packet check",
        [MUTATE_UNINIT_STACK] = "read uninitialised stack",
        [MUTATE_CTX_WRITE] = "write a read-only context field",
        [MUTATE_LEAK_RETURN] = "return a pointer",
        [MUTATE_LEAK_MAP] = "store a pointer into a map value",
    };
    return kind < MUTATE_KINDS ? names[kind] : "?";
}
