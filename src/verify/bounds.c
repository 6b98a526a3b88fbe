/*
 * Numbers bounded by other numbers, for loops that end because a distance
 * between two values shrinks (a binary search: lo only grows, hi only
 * shrinks, one of them on each pass) rather than because one counter
 * moves on every pass.
 *
 * Two kinds of bounds, both exact in signed 64-bit arithmetic (every rule
 * checks that nothing wraps):
 * - a difference with another register: "x >= r + k" (ge) or "x <= r + k"
 *   (le), learnt from a comparison, valid while r still holds the number
 *   it held then (its identity); kept by copies and constant additions;
 * - the ends of a number's loop delta, "x >= P + dlo" and "x <= Q + dhi"
 *   for the head values of places P and Q (both the number's own place at
 *   the head). A sum of two numbers whose difference is known is bounded
 *   by twice the smaller one's head value from below and twice the larger
 *   one's from above; halving it and masking low bits keep such bounds,
 *   which is how mid = (lo + hi) / 2 is known to lie in [lo, hi - 1].
 * Strides are strides.c's.
 * A loop ends when the values that never move the wrong way (each within
 * a bounded range) include, on every return to its head, one that moved
 * strictly: their total distance to their bounds shrinks every time.
 */
#include <string.h>

#include "verify/internal.h"

#define U32_MAX 0xffffffffULL

/* The register or spilled register at place c of frame f, or NULL. */
static struct vreg *at_place(struct vframe *f, int c)
{
    if (c < EBPF_REG_COUNT)
        return &f->regs[c];
    return vslot_spilled(f, c - EBPF_REG_COUNT) ? &f->spill[c - EBPF_REG_COUNT] : NULL;
}

/* A register of f still holding the number of identity id, register at - 1 first (it may be dead and forgotten
 * while a copy lives on), or -1. */
static int holder(const struct vframe *f, uint8_t at, uint32_t id)
{
    if (!at || !id)
        return -1;
    if (at <= EBPF_REG_COUNT && f->regs[at - 1].type == VT_SCALAR && f->regs[at - 1].id == id)
        return at - 1;
    for (int q = 0; q < EBPF_REG_COUNT; q++)
        if (f->regs[q].type == VT_SCALAR && f->regs[q].id == id)
            return q;
    return -1;
}

/* The register of f the fact of r (ge or le) is about, or -1 if it holds no more. */
static int fact_at(const struct vframe *f, const struct vreg *r, bool ge)
{
    return ge ? holder(f, r->ge_at, r->ge_id) : holder(f, r->le_at, r->le_id);
}

static void drop_facts(struct vreg *r)
{
    r->ge_at = r->le_at = 0;
    r->ge_id = r->le_id = 0;
    r->stride = 0;
}

void vbound_head_same(struct vstate *s, int slot)
{
    const struct vframe *f = vcur(s);
    for (int r = 0; r < EBPF_REG_COUNT; r++) {
        s->head_same[slot][r] = (uint8_t)r;
        const struct vreg *x = &f->regs[r];
        for (int q = 0; x->type == VT_SCALAR && x->id && q < r; q++)
            if (f->regs[q].type == VT_SCALAR && f->regs[q].id == x->id) {
                s->head_same[slot][r] = (uint8_t)q;
                break;
            }
    }
}

void vbound_reset(const struct vstate *s, uint32_t frame, struct vreg *r, int slot, int place)
{
    uint8_t bit = (uint8_t)(1u << slot);
    bool inner = frame + 1 == s->frame_count;
    int home = inner && place < EBPF_REG_COUNT ? s->head_same[slot][place] : place;
    r->dlo[slot] = r->dhi[slot] = 0;
    r->dwhere[slot] = r->dwhere_hi[slot] = (uint8_t)home;
    r->dtwice &= (uint8_t)~bit;
    if (r->type != VT_SCALAR) {
        r->dvalid &= (uint8_t)~bit;
        return;
    }
    r->dvalid |= bit;
}

/* ------------------------------------------------------------------------ */
/* Arithmetic.                                                              */

/* k + c as an int32 bound; false if it does not fit. */
static bool shift_bound(int32_t *k, int64_t c)
{
    int64_t n = (int64_t)*k + c;
    if (c < INT32_MIN || c > INT32_MAX || n < INT32_MIN || n > INT32_MAX)
        return false;
    *k = (int32_t)n;
    return true;
}

/* One end of x's loop delta counted from the place y's end counts from, through x - y in [dlo, dhi]: for the
 * lower end x >= y + dlo, for the upper x <= y + dhi. False if they differ and that distance is unknown. */
static bool end_via(const struct vreg *x, const struct vreg *y, int i, bool lower, int64_t dlo, int64_t dhi,
                    int32_t *end)
{
    if (lower ? x->dwhere[i] == y->dwhere[i] : x->dwhere_hi[i] == y->dwhere_hi[i]) {
        *end = lower ? x->dlo[i] : x->dhi[i];
        return true;
    }
    int64_t dist = lower ? dlo : dhi;
    if (dist == (lower ? INT64_MIN : INT64_MAX))
        return false;
    *end = lower ? y->dlo[i] : y->dhi[i];
    return shift_bound(end, dist);
}

static void difference_all(const struct vreg *a, const struct vreg *b, int64_t *lo, int64_t *hi);

/* The lower (or upper) end of d + src's loop delta, d - src in [dlo, dhi]: both operands' ends counted from one
 * place, the smaller operand's for the lower end (the larger one's for the upper), where the order is known. */
static bool sum_end(const struct vreg *d, const struct vreg *src, int i, bool lower, int64_t dlo, int64_t dhi,
                    uint8_t *at, int32_t *end)
{
    /* src - d in [-dhi, -dlo], "unknown" kept unknown. */
    int64_t slo = dhi == INT64_MAX || dhi == INT64_MIN ? INT64_MIN : -dhi;
    int64_t shi = dlo == INT64_MIN || dlo == INT64_MAX ? INT64_MAX : -dlo;
    bool d_first = lower ? dlo >= 0 || dhi > 0 : !(dlo >= 0); /* move the larger (lower) / smaller (upper) */
    for (int t = 0; t < 2; t++) {
        bool move_d = (t == 0) == d_first;
        const struct vreg *x = move_d ? d : src, *y = move_d ? src : d;
        int32_t e, own = lower ? y->dlo[i] : y->dhi[i];
        if (!end_via(x, y, i, lower, move_d ? dlo : slo, move_d ? dhi : shi, &e) || !shift_bound(&e, own))
            continue;
        *at = lower ? y->dwhere[i] : y->dwhere_hi[i];
        *end = e;
        return true;
    }
    return false;
}

/* r = d + src: when both ends of both count from the same places (or can, through what is known of d - src: how
 * mid = (lo + hi) / 2 is known to lie in [lo, hi - 1] when hi >= lo + 1), r's ends count from twice them (other
 * deltas of r are left as the caller made them). */
static void sum_bounds(struct vreg *r, const struct vreg *d, const struct vreg *src, bool is64)
{
    if (d->off.smin < 0 || src->off.smin < 0 || d->off.smax > INT64_MAX - src->off.smax ||
        (!is64 && d->off.umax + src->off.umax > U32_MAX))
        return; /* the sum could wrap */
    int64_t dlo, dhi; /* d - src */
    difference_all(d, src, &dlo, &dhi);
    for (int i = 0; i < VTRACK; i++) {
        uint8_t bit = (uint8_t)(1u << i);
        if (!(d->dvalid & src->dvalid & bit) || ((d->dtwice | src->dtwice) & bit))
            continue;
        uint8_t low_at, high_at;
        int32_t lo, hi;
        if (!sum_end(d, src, i, true, dlo, dhi, &low_at, &lo) || !sum_end(d, src, i, false, dlo, dhi, &high_at, &hi))
            continue;
        r->dwhere[i] = low_at;
        r->dwhere_hi[i] = high_at;
        r->dlo[i] = lo;
        r->dhi[i] = hi;
        r->dvalid |= bit;
        r->dtwice |= bit;
    }
}

/* r = d & m (a constant), d not negative: at most d, and at least d less the bits m may clear. */
static void mask_bounds(struct vreg *r, const struct vreg *d, uint64_t m)
{
    uint64_t cleared = (d->off.tval | d->off.tmask) & ~m;
    if (cleared > d->off.umax)
        cleared = d->off.umax;
    r->dvalid = 0;
    if (d->off.smin < 0 || cleared > INT32_MAX)
        return;
    for (int i = 0; i < VTRACK; i++) {
        uint8_t bit = (uint8_t)(1u << i);
        int32_t lo = d->dlo[i];
        if ((d->dvalid & bit) && shift_bound(&lo, -(int64_t)cleared)) {
            r->dlo[i] = lo;
            r->dvalid |= bit;
        }
    }
}

/* Floor of k / 2. */
static int32_t half_down(int32_t k)
{
    return k >= 0 ? k / 2 : -((-(int64_t)k + 1) / 2);
}

/* r = d >> 1, d not negative: a number between twice two head values and an offset lies between them and half
 * the offset (rounded down). */
static void halve_bounds(struct vreg *r, const struct vreg *d)
{
    r->dvalid = 0;
    if (d->off.smin < 0)
        return;
    for (int i = 0; i < VTRACK; i++) {
        uint8_t bit = (uint8_t)(1u << i);
        if (!(d->dvalid & d->dtwice & bit))
            continue;
        r->dlo[i] = half_down(d->dlo[i]);
        r->dhi[i] = half_down(d->dhi[i]);
        r->dvalid |= bit;
        r->dtwice &= (uint8_t)~bit;
    }
}

void vbound_alu(struct vreg *r, const struct vreg *d, const struct vreg *src, uint8_t op, bool is64)
{
    bool konst = vnum_is_const(&src->off);
    /* 32-bit operations on numbers that fit in 32 bits are the 64-bit ones while nothing wraps. */
    bool fits = is64 || (d->off.umax <= U32_MAX && src->off.umax <= U32_MAX);
    if (fits && op == EBPF_ALU_ADD && src->type == VT_SCALAR && src->dvalid)
        sum_bounds(r, d, src, is64); /* a register's number, even a known one, may be bounded by the same places */
    if ((op == EBPF_ALU_ADD || op == EBPF_ALU_SUB) && konst) {
        int64_t c = is64 ? (int64_t)src->off.umin : (int64_t)(int32_t)(uint32_t)src->off.umin;
        if (op == EBPF_ALU_SUB)
            c = c == INT64_MIN ? INT64_MAX : -c; /* INT64_MIN cannot be a bound shift anyway */
        /* The number moved by exactly c only if it did not wrap (signed 64, or unsigned 32 bits). */
        bool exact = is64 ? (c >= 0 ? d->off.smax <= INT64_MAX - c : d->off.smin >= INT64_MIN - c)
                          : (d->off.umax <= U32_MAX && (c >= 0 ? d->off.umax + (uint64_t)c <= U32_MAX
                                                               : d->off.umin >= (uint64_t)-c));
        if (!exact || (r->ge_at && !shift_bound(&r->ge_k, c)))
            r->ge_at = 0;
        if (!exact || (r->le_at && !shift_bound(&r->le_k, c)))
            r->le_at = 0;
        if (!exact || r->off.smin < 0)
            r->stride = 0;
        else
            vstride_add(r, c);
        return;
    }
    drop_facts(r);
    if (!fits)
        return;
    if (op == EBPF_ALU_AND && konst)
        mask_bounds(r, d, is64 ? src->off.umin : src->off.umin & U32_MAX);
    else if (op == EBPF_ALU_RSH && konst && src->off.umin == 1)
        halve_bounds(r, d);
}

/* ------------------------------------------------------------------------ */
/* Comparisons.                                                             */

struct fact_arg {
    bool ge;
    uint8_t at;
    int32_t k;
    uint32_t id;
};

static void set_fact(struct vreg *r, void *arg)
{
    const struct fact_arg *a = arg;
    if (r->type != VT_SCALAR)
        return;
    if (a->ge) {
        r->ge_at = a->at;
        r->ge_k = a->k;
        r->ge_id = a->id;
    } else {
        r->le_at = a->at;
        r->le_k = a->k;
        r->le_id = a->id;
    }
}

/* Gives register r of f an identity if it has none (it has no copies then). */
static void give_id(struct verifier *v, struct vframe *f, int r)
{
    if (!f->regs[r].id)
        f->regs[r].id = vnew_id(v);
}

/* In s: register big >= register small + k (both numbers). */
static void record(struct verifier *v, struct vstate *s, int big, int small, int32_t k)
{
    struct vframe *f = vcur(s);
    struct vreg *b = &f->regs[big], *sm = &f->regs[small];
    if (b->id && b->id == sm->id)
        return; /* the same number */
    give_id(v, f, big);
    give_id(v, f, small);
    struct fact_arg ge = {true, (uint8_t)(small + 1), k, sm->id}, le = {false, (uint8_t)(big + 1), -k, b->id};
    vstate_mark_id(s, b->id, set_fact, &ge);
    vstate_mark_id(s, sm->id, set_fact, &le);
}

/* True if compare op orders a and b as the integers they are (signed 64-bit): signed 64-bit compares always,
 * unsigned ones of numbers below 2^63, 32-bit ones of numbers that fit in 32 bits (31 for signed ones). */
static bool orders_numbers(uint8_t op, bool is64, const struct vreg *a, const struct vreg *b)
{
    bool is_signed = op == EBPF_JMP_JSGT || op == EBPF_JMP_JSGE || op == EBPF_JMP_JSLT || op == EBPF_JMP_JSLE;
    if (is64)
        return is_signed || (a->off.smin >= 0 && b->off.smin >= 0);
    uint64_t most = is_signed ? INT32_MAX : U32_MAX;
    return a->off.umax <= most && b->off.umax <= most;
}

/* What the outcome (holds or not) of a OP b proves: *big >= *small + *k (a is 0, b is 1); false if nothing. */
static bool order_of(uint8_t op, bool holds, int *big, int *small, int32_t *k)
{
    bool a_above, strict; /* the outcome as "a > b" / "a >= b" (a above) or "b > a" / "b >= a" */
    switch (op) {
    case EBPF_JMP_JGT: case EBPF_JMP_JSGT: a_above = holds; strict = holds; break;  /* else a <= b */
    case EBPF_JMP_JGE: case EBPF_JMP_JSGE: a_above = holds; strict = !holds; break; /* else a < b */
    case EBPF_JMP_JLT: case EBPF_JMP_JSLT: a_above = !holds; strict = holds; break; /* else a >= b */
    case EBPF_JMP_JLE: case EBPF_JMP_JSLE: a_above = !holds; strict = !holds; break; /* else a > b */
    default: return false;
    }
    *big = a_above ? 0 : 1;
    *small = 1 - *big;
    *k = strict;
    return true;
}

void vbound_compare(struct verifier *v, struct vstate *taken, struct vstate *fall, const struct ebpf_insn *in)
{
    uint8_t op = ebpf_op(in->opcode);
    if (ebpf_source(in->opcode) != EBPF_SRC_X || in->dst == in->src)
        return;
    bool is64 = ebpf_class(in->opcode) == EBPF_CLS_JMP;
    struct vstate *states[2] = {taken, fall};
    for (int t = 0; t < 2; t++) {
        if (!states[t])
            continue;
        const struct vframe *f = vcur(states[t]);
        const struct vreg *a = &f->regs[in->dst], *b = &f->regs[in->src];
        if (a->type != VT_SCALAR || b->type != VT_SCALAR)
            return;
        bool exact = orders_numbers(op, is64, a, b);
        int big, small;
        int32_t k;
        if (!exact || !order_of(op, t == 0, &big, &small, &k))
            continue;
        int regs[2] = {in->dst, in->src};
        record(v, states[t], regs[big], regs[small], k);
    }
}

/* The bounds [lo, hi] of a - b that a's and b's differences give (b has identity bid, a aid). */
static void difference(const struct vreg *a, const struct vreg *b, int64_t *lo, int64_t *hi)
{
    *lo = INT64_MIN;
    *hi = INT64_MAX;
    if (b->id && a->ge_at && a->ge_id == b->id && a->ge_k > *lo)
        *lo = a->ge_k;
    if (b->id && a->le_at && a->le_id == b->id && a->le_k < *hi)
        *hi = a->le_k;
    if (a->id && b->le_at && b->le_id == a->id && -(int64_t)b->le_k > *lo) /* b <= a + k: a - b >= -k */
        *lo = -(int64_t)b->le_k;
    if (a->id && b->ge_at && b->ge_id == a->id && -(int64_t)b->ge_k < *hi)
        *hi = -(int64_t)b->ge_k;
}

/* a - b's bounds from their differences and their ranges. */
static void difference_all(const struct vreg *a, const struct vreg *b, int64_t *lo, int64_t *hi)
{
    difference(a, b, lo, hi);
    __int128 rlo = (__int128)a->off.smin - b->off.smax, rhi = (__int128)a->off.smax - b->off.smin;
    if (rlo > *lo)
        *lo = rlo > INT64_MAX ? INT64_MAX : (int64_t)rlo;
    if (rhi < *hi)
        *hi = rhi < INT64_MIN ? INT64_MIN : (int64_t)rhi;
}

/* True if a difference recorded in a puts a and b on opposite sides of a comparison. */
static bool apart_by(const struct vstate *a, const struct vstate *b)
{
    const struct vframe *af = vcur(a), *bf = vcur(b);
    for (int x = 0; x < EBPF_REG_COUNT; x++) {
        const struct vreg *ax = &af->regs[x];
        if (ax->type != VT_SCALAR || bf->regs[x].type != VT_SCALAR)
            continue;
        for (int ge = 0; ge < 2; ge++) {
            int q = fact_at(af, ax, ge);
            if (q < 0 || bf->regs[q].type != VT_SCALAR)
                continue;
            int64_t alo, ahi, blo, bhi;
            difference_all(ax, &af->regs[q], &alo, &ahi);
            difference_all(&bf->regs[x], &bf->regs[q], &blo, &bhi);
            if (alo > bhi || blo > ahi)
                return true;
        }
    }
    return false;
}

/* True if a value moved strictly toward its bound since a tracked loop head in one of a, b and not in the other:
 * joined, neither would show it, and a loop whose passes each move one of several values would look stuck. */
static bool moved_apart(const struct vstate *a, const struct vstate *b)
{
    const struct vframe *af = vcur(a), *bf = vcur(b);
    for (int i = 0; i < VTRACK; i++) {
        uint8_t bit = (uint8_t)(1u << i);
        for (int c = 0; a->loop_head[i] && c < EBPF_REG_COUNT; c++) {
            const struct vreg *x = &af->regs[c], *y = &bf->regs[c];
            if (x->type != VT_SCALAR || y->type != VT_SCALAR || !(x->dvalid & y->dvalid & bit))
                continue;
            if ((x->dlo[i] >= 1) != (y->dlo[i] >= 1) || (x->dhi[i] <= -1) != (y->dhi[i] <= -1))
                return true;
        }
    }
    return false;
}

bool vbound_apart(const struct vstate *a, const struct vstate *b)
{
    return apart_by(a, b) || apart_by(b, a) || moved_apart(a, b);
}

int vbound_decide(const struct vstate *s, const struct ebpf_insn *in)
{
    uint8_t op = ebpf_op(in->opcode);
    if (ebpf_source(in->opcode) != EBPF_SRC_X)
        return -1;
    const struct vframe *f = vcur(s);
    const struct vreg *a = &f->regs[in->dst], *b = &f->regs[in->src];
    bool is64 = ebpf_class(in->opcode) == EBPF_CLS_JMP;
    if (a->type != VT_SCALAR || b->type != VT_SCALAR)
        return -1;
    bool exact = orders_numbers(op, is64, a, b);
    int64_t lo, hi;
    difference(a, b, &lo, &hi);
    if (!exact || lo > hi)
        return -1;
    switch (op) {
    case EBPF_JMP_JGT: case EBPF_JMP_JSGT: return lo >= 1 ? 1 : hi <= 0 ? 0 : -1;
    case EBPF_JMP_JGE: case EBPF_JMP_JSGE: return lo >= 0 ? 1 : hi <= -1 ? 0 : -1;
    case EBPF_JMP_JLT: case EBPF_JMP_JSLT: return hi <= -1 ? 1 : lo >= 0 ? 0 : -1;
    case EBPF_JMP_JLE: case EBPF_JMP_JSLE: return hi <= 0 ? 1 : lo >= 1 ? 0 : -1;
    case EBPF_JMP_JEQ: return lo >= 1 || hi <= -1 ? 0 : -1;
    case EBPF_JMP_JNE: return lo >= 1 || hi <= -1 ? 1 : -1;
    default: return -1;
    }
}

/* ------------------------------------------------------------------------ */
/* Inclusion and joins.                                                     */

/* Whether r >= (ge) or <= the number p plus k: recorded (r's fact names p's identity), or shown by the ranges. */
static bool fact_in(const struct vreg *r, bool ge, const struct vreg *p, int32_t k)
{
    if (!p || r->type != VT_SCALAR || p->type != VT_SCALAR)
        return false;
    if (p->id && (ge ? r->ge_at && r->ge_id == p->id && r->ge_k >= k : r->le_at && r->le_id == p->id && r->le_k <= k))
        return true;
    return ge ? (__int128)r->off.smin >= (__int128)p->off.smax + k : (__int128)r->off.smax <= (__int128)p->off.smin + k;
}

/* The place (frame *pf, register or stack slot *pc) of s holding the number a fact of frame fi names: a register
 * of that frame, else any register or spill of any frame, from where a fill or a return brings it back. False if
 * none holds it: the fact can never be used again. */
static bool fact_holder(const struct vstate *s, uint32_t fi, uint8_t at, uint32_t id, uint32_t *pf, int *pc)
{
    int q = holder(s->frames[fi], at, id);
    if (q >= 0 || !at || !id) {
        *pf = fi;
        *pc = q;
        return q >= 0;
    }
    for (uint32_t f = 0; f < s->frame_count; f++)
        for (int c = 0; c < VPLACES; c++) {
            const struct vreg *p = at_place(s->frames[f], c);
            if (p && p->type == VT_SCALAR && p->id == id) {
                *pf = f;
                *pc = c;
                return true;
            }
        }
    return false;
}

/* Whether n (of state ns) keeps what o (frame fi of state os) knows: its strides, loop deltas and facts. */
static bool reg_keeps(const struct vstate *ns, const struct vreg *n, const struct vstate *os, uint32_t fi,
                      const struct vreg *o)
{
    if (o->type != VT_SCALAR || n->type != VT_SCALAR)
        return true; /* state.c compares the rest */
    if (!vstride_within(n, o))
        return false;
    for (int i = 0; i < VTRACK; i++) {
        uint8_t bit = (uint8_t)(1u << i);
        if ((o->dvalid & bit) && (n->dwhere_hi[i] != o->dwhere_hi[i] || ((n->dtwice ^ o->dtwice) & bit)))
            return false;
    }
    for (int ge = 0; ge < 2; ge++) {
        uint32_t pf;
        int pc;
        if (fact_holder(os, fi, ge ? o->ge_at : o->le_at, ge ? o->ge_id : o->le_id, &pf, &pc) &&
            !fact_in(n, ge, at_place(ns->frames[pf], pc), ge ? o->ge_k : o->le_k))
            return false;
    }
    return true;
}

bool vbound_within(const struct vstate *n, const struct vstate *o)
{
    for (int i = 0; i < VTRACK; i++)
        if (o->loop_head[i] && memcmp(n->head_same[i], o->head_same[i], sizeof(o->head_same[i])))
            return false;
    for (uint32_t fi = 0; fi < o->frame_count; fi++) {
        struct vframe *nf = n->frames[fi], *of = o->frames[fi];
        for (int c = 0; c < VPLACES; c++) {
            const struct vreg *or = at_place(of, c), *nr = at_place(nf, c);
            if (or && nr && !reg_keeps(n, nr, o, fi, or))
                return false;
        }
    }
    return true;
}

static void set_joined_fact(struct verifier *v, struct vframe *wf, struct vreg *w, bool ge, int at, int32_t k);

/* w's fact (ge or le) after the join of a and b: one recorded in either that the other holds too (recorded,
 * or shown by its ranges), with the weaker offset of the two recorded. */
static void join_fact(struct verifier *v, struct vframe *wf, struct vreg *w, const struct vframe *af,
                      const struct vreg *a, const struct vframe *bf, const struct vreg *b, bool ge, bool widen)
{
    int at = -1;
    int32_t k = 0;
    for (int side = 0; side < 2 && at < 0; side++) {
        const struct vframe *mf = side ? bf : af, *of = side ? af : bf;
        const struct vreg *m = side ? b : a, *o = side ? a : b;
        int q = fact_at(mf, m, ge);
        int32_t mk = ge ? m->ge_k : m->le_k;
        if (q >= 0 && wf->regs[q].type == VT_SCALAR && fact_in(o, ge, &of->regs[q], mk)) {
            at = q;
            k = mk;
            int32_t ok = ge ? o->ge_k : o->le_k;
            if (fact_at(of, o, ge) == q && ok != k) {
                if (widen) /* a distance that changes from pass to pass could change forever */
                    at = -1;
                else /* both recorded: the weaker */
                    k = ge ? (ok < k ? ok : k) : (ok > k ? ok : k);
            }
        }
    }
    if (ge)
        w->ge_at = 0;
    else
        w->le_at = 0;
    if (at < 0)
        return;
    set_joined_fact(v, wf, w, ge, at, k);
}

/* Gives w of frame wf the fact "w >= (ge) or <= register at plus k". */
static void set_joined_fact(struct verifier *v, struct vframe *wf, struct vreg *w, bool ge, int at, int32_t k)
{
    struct vreg *target = &wf->regs[at];
    if (!target->id) /* the two states gave it different identities: one of its own now */
        target->id = vnew_id(v);
    if (ge) {
        w->ge_at = (uint8_t)(at + 1);
        w->ge_k = k;
        w->ge_id = target->id;
    } else {
        w->le_at = (uint8_t)(at + 1);
        w->le_k = k;
        w->le_id = target->id;
    }
}

void vbound_join(struct verifier *v, struct vstate *w, const struct vstate *a, const struct vstate *b, bool widen)
{
    for (int i = 0; i < VTRACK; i++)
        for (int r = 0; r < EBPF_REG_COUNT; r++)
            if (a->head_same[i][r] != b->head_same[i][r])
                w->head_same[i][r] = (uint8_t)r;
    for (uint32_t fi = 0; fi < w->frame_count; fi++) {
        struct vframe *wf = w->frames[fi], *af = a->frames[fi], *bf = b->frames[fi];
        for (int c = 0; c < VPLACES; c++) {
            struct vreg *wr = at_place(wf, c), *ar = at_place(af, c), *br = at_place(bf, c);
            if (!wr || wr->type != VT_SCALAR)
                continue;
            if (!ar || !br || ar->type != VT_SCALAR || br->type != VT_SCALAR) {
                wr->dvalid = 0;
                drop_facts(wr);
                continue;
            }
            for (int i = 0; i < VTRACK; i++) {
                uint8_t bit = (uint8_t)(1u << i);
                if (ar->dwhere_hi[i] != br->dwhere_hi[i] || ((ar->dtwice ^ br->dtwice) & bit))
                    wr->dvalid &= (uint8_t)~bit;
                wr->dwhere_hi[i] = ar->dwhere_hi[i];
            }
            wr->dtwice = ar->dtwice;
            vstride_join(wr, ar, br);
            join_fact(v, wf, wr, af, ar, bf, br, true, widen);
            join_fact(v, wf, wr, af, ar, bf, br, false, widen);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* The measure.                                                             */

static void set_bit(uint64_t m[2], int c)
{
    m[c / 64] |= 1ull << (c % 64);
}

bool vbound_measure(struct verifier *v, struct vloop *l, int slot)
{
    if (l->measure_failed)
        return false;
    const struct vstate *s = v->cur;
    struct vframe *f = vcur(s);
    uint8_t bit = (uint8_t)(1u << slot);
    uint64_t up[2] = {0, 0}, down[2] = {0, 0};
    for (int c = 0; c < VPLACES; c++) {
        const struct vreg *r = at_place(f, c);
        bool mu = false, md = false;
        if (r && r->type == VT_SCALAR && (r->dvalid & bit) && !(r->dtwice & bit) && r->off.smin >= 0 &&
            r->off.umax - r->off.umin <= VERIFY_MAX_ITERATIONS) {
            int home = c < EBPF_REG_COUNT ? s->head_same[slot][c] : c;
            mu = r->dwhere[slot] == home && r->dlo[slot] >= 0;
            md = r->dwhere_hi[slot] == home && r->dhi[slot] <= 0;
            if (mu && r->dlo[slot] >= 1)
                set_bit(up, c);
            if (md && r->dhi[slot] <= -1)
                set_bit(down, c);
        }
        l->mono_up[c] = l->mono_up[c] && mu;
        l->mono_down[c] = l->mono_down[c] && md;
    }
    uint32_t k = 0;
    while (k < l->return_count && (l->strict_up[k][0] != up[0] || l->strict_up[k][1] != up[1] ||
                                   l->strict_down[k][0] != down[0] || l->strict_down[k][1] != down[1]))
        k++;
    if (k == l->return_count) {
        if (k == VMEASURE_RETURNS) {
            l->measure_failed = true;
            return false;
        }
        memcpy(l->strict_up[k], up, sizeof(up));
        memcpy(l->strict_down[k], down, sizeof(down));
        l->return_count++;
    }
    /* Every return seen must still have moved one value that never moved the wrong way. */
    for (k = 0; k < l->return_count; k++) {
        bool moved = false;
        for (int c = 0; c < VPLACES && !moved; c++)
            moved = (l->mono_up[c] && (l->strict_up[k][c / 64] >> (c % 64) & 1)) ||
                    (l->mono_down[c] && (l->strict_down[k][c / 64] >> (c % 64) & 1));
        if (!moved) {
            l->measure_failed = true; /* the places only lose their monotony: it cannot come back */
            return false;
        }
    }
    return true;
}
