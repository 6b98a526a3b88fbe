/*
 * Linear relations between registers: a number or pointer offset x may
 * carry "x = k * A + c" for an anchor A shared by other registers (exact
 * modulo 2^64, so wrapping arithmetic keeps them). Loops compiled with
 * strength reduction move a pointer by 4 while a counter moves by 1; the
 * intervals of the two alone cannot bound the pointer once the loop is
 * widened, but the relation with the bounded counter can. Relations are
 * found where states are joined (two states where the values of x and y
 * satisfy the same x = q * y + d), kept by copies, added constants and
 * constant scalings, checked for inclusion, and used to narrow a member's
 * range from another's after every join and comparison.
 */
#include <stdlib.h>
#include <string.h>

#include "verify/internal.h"

/* The number a relation speaks of: a scalar's value or a pointer's offset (packet pointers have none). */
static bool related_kind(const struct vreg *r)
{
    return r->type == VT_SCALAR || r->type == VT_STACK || r->type == VT_MAP_VALUE || r->type == VT_MEM ||
           r->type == VT_CTX;
}

void vlin_add(struct vreg *r, uint64_t c)
{
    if (r->lin)
        r->lin_c = (int64_t)((uint64_t)r->lin_c + c);
}

bool vlin_anchor(struct verifier *v, struct vreg *r)
{
    if (!related_kind(r))
        return false;
    r->lin = vnew_id(v);
    r->lin_k = 1;
    r->lin_c = 0;
    return true;
}

void vlin_scale(struct vreg *r, int64_t m)
{
    int32_t k;
    /* INT32_MIN is kept out: INT32_MIN % -1 would trap where factors are divided. */
    if (!r->lin || m == 0 || __builtin_mul_overflow(r->lin_k, m, &k) || k == INT32_MIN) {
        r->lin = 0;
        return;
    }
    r->lin_k = k;
    r->lin_c = (int64_t)((uint64_t)r->lin_c * (uint64_t)m);
}

/* Every register and spill of s that can carry a relation, in a fixed order (same shape: same order). */
enum { PER_FRAME = EBPF_REG_COUNT + VSLOTS, ENTRIES_MAX = PER_FRAME * EBPF_MAX_CALL_DEPTH };

/* Entry j of frame f (a register below r10, then each spill slot): the register, or NULL if it cannot be related. */
static struct vreg *frame_entry(struct vframe *f, size_t j)
{
    struct vreg *r = NULL;
    if (j < EBPF_REG_FP)
        r = &f->regs[j];
    else if (j >= EBPF_REG_COUNT && vslot_spilled(f, (int)(j - EBPF_REG_COUNT)))
        r = &f->spill[j - EBPF_REG_COUNT];
    return r && related_kind(r) ? r : NULL;
}

/* Entry i of s: entry i % PER_FRAME of frame i / PER_FRAME. */
static struct vreg *entry(const struct vstate *s, size_t i)
{
    return frame_entry(s->frames[i / PER_FRAME], i % PER_FRAME);
}

/*
 * The entries of s entry() would return (only those with a relation if
 * lin_only), in index order, with their indexes: their count. One walk of
 * the frames, where calling entry() for every index costs a division each.
 */
static size_t entries_of(const struct vstate *s, bool lin_only, size_t at[ENTRIES_MAX], struct vreg *of[ENTRIES_MAX])
{
    size_t n = 0;
    for (size_t fi = 0; fi < s->frame_count; fi++) {
        struct vframe *f = s->frames[fi];
        for (size_t j = 0; j < PER_FRAME; j++) {
            struct vreg *r = frame_entry(f, j);
            if (r && (!lin_only || r->lin)) {
                at[n] = fi * PER_FRAME + j;
                of[n++] = r;
            }
        }
    }
    return n;
}

/* ------------------------------------------------------------------------ */
/* Narrowing.                                                               */

/* Narrows x from y when x = q * y + d (q = kx / ky): y's signed range mapped, if it does not wrap. */
static void narrow_from(struct vreg *x, const struct vreg *y)
{
    if (y->lin_k == 0 || x->lin_k % y->lin_k)
        return;
    __int128 q = x->lin_k / y->lin_k;
    __int128 d = (__int128)x->lin_c - q * y->lin_c;
    /* d is exact modulo 2^64: bring it to int64 as the registers' arithmetic does. */
    int64_t dd = (int64_t)(uint64_t)(unsigned __int128)d;
    __int128 a = q * y->off.smin + dd, b = q * y->off.smax + dd;
    __int128 lo = a < b ? a : b, hi = a < b ? b : a;
    if (lo < INT64_MIN || hi > INT64_MAX)
        return;
    struct vnum n = x->off;
    if ((int64_t)lo > n.smin)
        n.smin = (int64_t)lo;
    if ((int64_t)hi < n.smax)
        n.smax = (int64_t)hi;
    if (vnum_sync(&n))
        x->off = n; /* an empty result means the path is impossible; keeping x is still sound */
}

void vlin_narrow(struct vstate *s)
{
    struct vreg *members[ENTRIES_MAX];
    size_t at[ENTRIES_MAX], n = entries_of(s, true, at, members);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
            if (j != i && members[j]->lin == members[i]->lin)
                narrow_from(members[i], members[j]);
}

/* ------------------------------------------------------------------------ */
/* Inclusion.                                                               */

/* True if n (a state) keeps o's relation between x and its group's reference y. */
static bool keeps(const struct vreg *nx, const struct vreg *ny, const struct vreg *ox, const struct vreg *oy)
{
    if (oy->lin_k == 0 || ox->lin_k % oy->lin_k)
        return false;
    int64_t q = ox->lin_k / oy->lin_k;
    uint64_t d = (uint64_t)ox->lin_c - (uint64_t)q * (uint64_t)oy->lin_c;
    if (nx->lin && nx->lin == ny->lin)
        return nx->lin_k == q * ny->lin_k && (uint64_t)nx->lin_c == (uint64_t)q * (uint64_t)ny->lin_c + d;
    if (vnum_is_const(&nx->off) && vnum_is_const(&ny->off))
        return nx->off.umin == (uint64_t)q * ny->off.umin + d;
    return false;
}

bool vlin_within(const struct vstate *n, const struct vstate *o)
{
    /* The related entries of o, found once: the groups are formed among them only. */
    size_t at[ENTRIES_MAX];
    struct vreg *of[ENTRIES_MAX];
    size_t m = entries_of(o, true, at, of);
    for (size_t i = 0; i < m; i++) {
        /* The group's reference: the member with the smallest factor (the first of them). */
        size_t ref = i;
        for (size_t j = 0; j < m; j++)
            if (of[j]->lin == of[i]->lin && llabs(of[j]->lin_k) < llabs(of[ref]->lin_k))
                ref = j;
        if (ref == i)
            continue;
        const struct vreg *nx = entry(n, at[i]), *ny = entry(n, at[ref]);
        if (!nx || !ny || !keeps(nx, ny, of[i], of[ref]))
            return false;
    }
    return vbound_within(n, o);
}

/* ------------------------------------------------------------------------ */
/* Joining.                                                                 */

/* x = q * y + d in one state: 1 determined, 0 both constants (x0, y0 set), -1 neither. */
static int relation(const struct vreg *x, const struct vreg *y, int64_t *q, uint64_t *d, uint64_t *x0, uint64_t *y0)
{
    if (x->lin && x->lin == y->lin && y->lin_k && x->lin_k % y->lin_k == 0) {
        *q = x->lin_k / y->lin_k;
        *d = (uint64_t)x->lin_c - (uint64_t)*q * (uint64_t)y->lin_c;
        return 1;
    }
    if (vnum_is_const(&x->off) && vnum_is_const(&y->off)) {
        *x0 = x->off.umin;
        *y0 = y->off.umin;
        return 0;
    }
    return -1;
}

/* True if x = q * y + d holds in both a and b (entries i, j), with q != 0. */
static bool related(const struct vstate *a, const struct vstate *b, size_t i, size_t j, int64_t *q, uint64_t *d)
{
    const struct vreg *ax = entry(a, i), *ay = entry(a, j), *bx = entry(b, i), *by = entry(b, j);
    if (!ax || !ay || !bx || !by)
        return false;
    int64_t qa = 0, qb = 0; /* set by relation() where used; gcc -O3 cannot see it */
    uint64_t da = 0, db = 0, xa = 0, ya = 0, xb = 0, yb = 0;
    int ka = relation(ax, ay, &qa, &da, &xa, &ya), kb = relation(bx, by, &qb, &db, &xb, &yb);
    if (ka < 0 || kb < 0)
        return false;
    if (ka == 1 && kb == 1) {
        *q = qa;
        *d = da;
        return qa == qb && da == db && qa != 0;
    }
    if (ka == 1 || kb == 1) {
        *q = ka == 1 ? qa : qb;
        *d = ka == 1 ? da : db;
        uint64_t x = ka == 1 ? xb : xa, y = ka == 1 ? yb : ya;
        return *q != 0 && x == (uint64_t)*q * y + *d;
    }
    int64_t dy, dx;
    if (__builtin_sub_overflow((int64_t)yb, (int64_t)ya, &dy) || __builtin_sub_overflow((int64_t)xb, (int64_t)xa, &dx) ||
        dy == 0 || dx == 0 || (dy == -1 && dx == INT64_MIN) || dx % dy)
        return false;
    *q = dx / dy;
    *d = xa - (uint64_t)*q * ya;
    return true;
}

/* How far entry i moves between a and b (its step), for choosing the smallest as the group's anchor. */
static uint64_t step_of(const struct vstate *a, const struct vstate *b, size_t i)
{
    const struct vreg *x = entry(a, i), *y = entry(b, i);
    if (x->lin || y->lin)
        return (uint64_t)llabs((long long)(x->lin ? x->lin_k : y->lin_k));
    if (vnum_is_const(&x->off) && vnum_is_const(&y->off))
        return x->off.umin > y->off.umin ? x->off.umin - y->off.umin : y->off.umin - x->off.umin;
    return UINT64_MAX;
}

bool vlin_join(struct verifier *v, struct vstate *w, const struct vstate *a, const struct vstate *b, bool widen)
{
    if (!widen && vbound_apart(a, b))
        return false; /* joined, the branches that compare took would both look possible again */
    size_t at[ENTRIES_MAX], cand[ENTRIES_MAX], n = 0;
    struct vreg *of[ENTRIES_MAX];
    uint64_t steps[ENTRIES_MAX];
    size_t count = entries_of(w, false, at, of);
    for (size_t e = 0; e < count; e++) {
        size_t i = at[e];
        of[e]->lin = 0;
        /* Worth relating: registers whose value differs between the states or is tied to an anchor. */
        const struct vreg *x = entry(a, i), *y = entry(b, i);
        if (!x || !y || (vnum_is_const(&x->off) && vnum_is_const(&y->off) && x->off.umin == y->off.umin) ||
            (!x->lin && !vnum_is_const(&x->off)) || (!y->lin && !vnum_is_const(&y->off)))
            continue;
        steps[i] = step_of(a, b, i);
        size_t at = n++; /* insertion by step, smallest first */
        while (at > 0 && steps[cand[at - 1]] > steps[i]) {
            cand[at] = cand[at - 1];
            at--;
        }
        cand[at] = i;
    }
    for (size_t l = 0; l < n; l++) {
        struct vreg *leader = entry(w, cand[l]);
        if (leader->lin)
            continue;
        uint32_t anchor = 0;
        for (size_t m = l + 1; m < n; m++) {
            struct vreg *x = entry(w, cand[m]);
            int64_t q;
            uint64_t d;
            if (x->lin || !related(a, b, cand[m], cand[l], &q, &d) || q <= INT32_MIN || q > INT32_MAX)
                continue;
            if (!anchor) {
                anchor = vnew_id(v);
                leader->lin = anchor;
                leader->lin_k = 1;
                leader->lin_c = 0;
            }
            x->lin = anchor;
            x->lin_k = (int32_t)q;
            x->lin_c = (int64_t)d;
        }
    }
    vlin_narrow(w);
    vbound_join(v, w, a, b, widen);
    return true;
}
