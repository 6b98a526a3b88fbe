/*
 * Strides: a counter moving by a constant from a known start is one value
 * modulo its step (joins of its passes keep the common divisor of their
 * differences), so "i != end" stops it exactly at end when end is one of
 * its values: the range is narrowed to those values, and ends a step
 * before end once the comparison removed end. A number not negative keeps
 * "srem modulo stride" through copies and constant additions that do not
 * wrap (bounds.c's vbound_alu); every other operation drops it.
 */
#include "verify/internal.h"

/* Greatest common divisor (gcd(0, b) is b). */
static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* r's values as "rem modulo step" (step 0: the one value rem); false if nothing is known. */
static bool residue(const struct vreg *r, uint64_t *step, uint64_t *rem)
{
    if (r->type != VT_SCALAR || r->off.smin < 0)
        return false;
    if (vnum_is_const(&r->off)) {
        *step = 0;
        *rem = r->off.umin;
        return true;
    }
    *step = r->stride;
    *rem = r->srem;
    return r->stride != 0;
}

/* Narrows r's range to the values rem modulo stride. */
static void tighten(struct vreg *r)
{
    if (!r->stride || r->type != VT_SCALAR || r->off.smin < 0 || vnum_is_const(&r->off))
        return;
    struct vnum n = r->off;
    uint64_t s = r->stride, up = (r->srem + s - n.umin % s) % s, down = (n.umax % s + s - r->srem) % s;
    if (n.umin > UINT64_MAX - up || n.umax < down || n.umin + up > n.umax - down)
        return; /* no value left: the path is impossible, and keeping r is still sound */
    n.umin += up;
    n.umax -= down;
    n.smin = (int64_t)n.umin;
    n.smax = (int64_t)n.umax;
    if (vnum_sync(&n))
        r->off = n;
}

void vstride_tighten(struct vstate *s)
{
    struct vframe *f = vcur(s);
    for (int r = 0; r < EBPF_REG_COUNT; r++)
        tighten(&f->regs[r]);
}

void vstride_join(struct vreg *w, const struct vreg *a, const struct vreg *b)
{
    uint64_t sa, ra, sb, rb;
    w->stride = 0;
    if (!residue(a, &sa, &ra) || !residue(b, &sb, &rb))
        return;
    uint64_t g = gcd(gcd(sa, sb), ra > rb ? ra - rb : rb - ra);
    if (g < 2 || g > UINT32_MAX)
        return;
    w->stride = (uint32_t)g;
    w->srem = (uint32_t)(ra % g);
    tighten(w);
}

bool vstride_within(const struct vreg *n, const struct vreg *o)
{
    uint64_t sn, rn;
    if (!o->stride || o->type != VT_SCALAR)
        return true;
    if (!residue(n, &sn, &rn))
        return false;
    return sn % o->stride == 0 && rn % o->stride == o->srem;
}

void vstride_add(struct vreg *r, int64_t c)
{
    if (r->stride) /* srem + c modulo stride, c of either sign */
        r->srem = (uint32_t)((((int64_t)r->srem + c % (int64_t)r->stride) % (int64_t)r->stride + r->stride) %
                             r->stride);
}
