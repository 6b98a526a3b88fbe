/*
 * The numeric domain: each value is kept as known bits (a value/mask pair,
 * "tnum") and as signed and unsigned 64-bit ranges; every operation
 * computes all views and then tightens each from the others. 32-bit
 * operations work on the low half and zero-extend, as the ISA does.
 */
#include <inttypes.h>
#include <stdio.h>

#include "verify/internal.h"

#define U32_MAX 0xffffffffULL
#define SIGN64 0x8000000000000000ULL

static uint64_t umin64(uint64_t a, uint64_t b) { return a < b ? a : b; }
static uint64_t umax64(uint64_t a, uint64_t b) { return a > b ? a : b; }
static int64_t smin64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t smax64(int64_t a, int64_t b) { return a > b ? a : b; }

struct vnum vnum_const(uint64_t v)
{
    return (struct vnum){(int64_t)v, (int64_t)v, v, v, v, 0};
}

struct vnum vnum_unknown(void)
{
    return (struct vnum){INT64_MIN, INT64_MAX, 0, UINT64_MAX, 0, UINT64_MAX};
}

/* Known bits of every value in [lo, hi]: the common high bits. */
static void tnum_range(uint64_t lo, uint64_t hi, uint64_t *val, uint64_t *mask)
{
    uint64_t chi = lo ^ hi;
    if (!chi) {
        *val = lo, *mask = 0;
        return;
    }
    int bits = 64 - __builtin_clzll(chi);
    uint64_t delta = bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1;
    *val = lo & ~delta;
    *mask = delta;
}

struct vnum vnum_urange(uint64_t lo, uint64_t hi)
{
    struct vnum n = vnum_unknown();
    n.umin = lo, n.umax = hi;
    vnum_sync(&n);
    return n;
}

bool vnum_sync(struct vnum *n)
{
    for (int round = 0; round < 2; round++) {
        n->umin = umax64(n->umin, n->tval);
        n->umax = umin64(n->umax, n->tval | n->tmask);
        n->smin = smax64(n->smin, (int64_t)(n->tval | (n->tmask & SIGN64)));
        n->smax = smin64(n->smax, (int64_t)(n->tval | (n->tmask & ~SIGN64)));
        if ((n->smin >= 0) == (n->smax >= 0)) {
            n->umin = umax64(n->umin, (uint64_t)n->smin);
            n->umax = umin64(n->umax, (uint64_t)n->smax);
        }
        if ((n->umin >> 63) == (n->umax >> 63)) {
            n->smin = smax64(n->smin, (int64_t)n->umin);
            n->smax = smin64(n->smax, (int64_t)n->umax);
        }
        if (n->umin > n->umax || n->smin > n->smax)
            return false;
        uint64_t rv, rm;
        tnum_range(n->umin, n->umax, &rv, &rm);
        if ((n->tval ^ rv) & ~n->tmask & ~rm)
            return false;
        uint64_t v = n->tval | rv, m = n->tmask & rm;
        n->tval = v & ~m;
        n->tmask = m;
    }
    return n->umin <= n->umax && n->smin <= n->smax;
}

bool vnum_is_const(const struct vnum *n)
{
    return n->tmask == 0 || n->umin == n->umax;
}

bool vnum_within(const struct vnum *a, const struct vnum *b)
{
    return a->smin >= b->smin && a->smax <= b->smax && a->umin >= b->umin && a->umax <= b->umax &&
           (a->tmask & ~b->tmask) == 0 && (a->tval & ~b->tmask) == b->tval;
}

struct vnum vnum_join(const struct vnum *a, const struct vnum *b)
{
    uint64_t mu = a->tmask | b->tmask | (a->tval ^ b->tval);
    struct vnum n = {smin64(a->smin, b->smin), smax64(a->smax, b->smax), umin64(a->umin, b->umin),
                     umax64(a->umax, b->umax), a->tval & ~mu, mu};
    return n;
}

/* The smallest threshold >= x (thresholds ascending), else max. */
static int64_t up_to(int64_t x, const int64_t *t, size_t count, int64_t max)
{
    for (size_t i = 0; i < count; i++)
        if (t[i] >= x)
            return t[i];
    return max;
}

/* The largest threshold <= x, else min. */
static int64_t down_to(int64_t x, const int64_t *t, size_t count, int64_t min)
{
    for (size_t i = count; i-- > 0;)
        if (t[i] <= x)
            return t[i];
    return min;
}

struct vnum vnum_widen(const struct vnum *old, const struct vnum *grown, const int64_t *t, size_t count)
{
    struct vnum j = vnum_join(old, grown);
    if (j.smax > old->smax)
        j.smax = up_to(j.smax, t, count, INT64_MAX);
    if (j.smin < old->smin)
        j.smin = down_to(j.smin, t, count, INT64_MIN);
    if (j.umax > old->umax)
        j.umax = j.umax > INT64_MAX ? UINT64_MAX : (uint64_t)up_to((int64_t)j.umax, t, count, -1);
    if (j.umin < old->umin) /* in the upper half (negative as signed) down to a constant there, else to 2^63 */
        j.umin = j.umin > INT64_MAX ? (uint64_t)down_to((int64_t)j.umin, t, count, INT64_MIN)
                                    : (uint64_t)smax64(0, down_to((int64_t)j.umin, t, count, 0));
    if (j.umax > old->umax || j.smax > old->smax || j.smin < old->smin) {
        /* The known bits widen with the bounds: else they pull a bound that jumped back to the next power of
         * two, and a growing sum takes one widening per bit. */
        uint64_t top = j.umax > INT64_MAX || j.smin < 0 ? UINT64_MAX : UINT64_MAX >> __builtin_clzll(j.umax | 1);
        j.tmask |= top;
        j.tval &= ~j.tmask;
    }
    if (!vnum_sync(&j))
        j = vnum_unknown();
    return j;
}

struct vnum vnum_zext32(const struct vnum *a)
{
    if (a->umax <= U32_MAX)
        return *a;
    struct vnum n = vnum_unknown();
    if ((a->umin >> 32) == (a->umax >> 32)) {
        n.umin = a->umin & U32_MAX;
        n.umax = a->umax & U32_MAX;
    } else {
        n.umin = 0;
        n.umax = U32_MAX;
    }
    n.tval = a->tval & U32_MAX;
    n.tmask = a->tmask & U32_MAX;
    if (!vnum_sync(&n))
        n = vnum_urange(0, U32_MAX);
    return n;
}

struct vnum vnum_sext(const struct vnum *a, unsigned bits)
{
    uint64_t mask = bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1, half = 1ULL << (bits - 1);
    if (bits >= 64)
        return *a;
    struct vnum m = vnum_const(mask), t = vnum_alu(EBPF_ALU_AND, a, &m, true);
    if (t.umax < half)
        return t;
    struct vnum n = vnum_unknown();
    if (t.umin >= half) {
        n.smin = (int64_t)t.umin - (int64_t)(mask + 1);
        n.smax = (int64_t)t.umax - (int64_t)(mask + 1);
    } else {
        n.smin = -(int64_t)half;
        n.smax = (int64_t)half - 1;
    }
    if (!vnum_sync(&n))
        n = vnum_unknown();
    return n;
}

struct vnum vnum_sext32(const struct vnum *a)
{
    return vnum_sext(a, 32);
}

static struct vnum tnum_only(uint64_t val, uint64_t mask)
{
    struct vnum n = vnum_unknown();
    n.tval = val & ~mask;
    n.tmask = mask;
    if (!vnum_sync(&n))
        n = vnum_unknown();
    return n;
}

static struct vnum add64(const struct vnum *a, const struct vnum *b)
{
    uint64_t sm = a->tmask + b->tmask, sv = a->tval + b->tval, sigma = sm + sv, chi = sigma ^ sv;
    uint64_t mu = chi | a->tmask | b->tmask;
    struct vnum n = tnum_only(sv & ~mu, mu);
    int64_t lo, hi;
    if (!__builtin_add_overflow(a->smin, b->smin, &lo) && !__builtin_add_overflow(a->smax, b->smax, &hi))
        n.smin = lo, n.smax = hi;
    uint64_t ulo, uhi;
    if (!__builtin_add_overflow(a->umin, b->umin, &ulo) && !__builtin_add_overflow(a->umax, b->umax, &uhi))
        n.umin = ulo, n.umax = uhi;
    if (!vnum_sync(&n))
        n = vnum_unknown();
    return n;
}

static struct vnum sub64(const struct vnum *a, const struct vnum *b)
{
    uint64_t dv = a->tval - b->tval, alpha = dv + a->tmask, beta = dv - b->tmask;
    uint64_t mu = (alpha ^ beta) | a->tmask | b->tmask;
    struct vnum n = tnum_only(dv & ~mu, mu);
    int64_t lo, hi;
    if (!__builtin_sub_overflow(a->smin, b->smax, &lo) && !__builtin_sub_overflow(a->smax, b->smin, &hi))
        n.smin = lo, n.smax = hi;
    if (a->umin >= b->umax)
        n.umin = a->umin - b->umax, n.umax = a->umax - b->umin;
    if (!vnum_sync(&n))
        n = vnum_unknown();
    return n;
}

static struct vnum mul64(const struct vnum *a, const struct vnum *b)
{
    if (vnum_is_const(a) && vnum_is_const(b))
        return vnum_const(a->umin * b->umin);
    struct vnum n = vnum_unknown();
    uint64_t hi;
    if (!__builtin_mul_overflow(a->umax, b->umax, &hi))
        n.umin = a->umin * b->umin, n.umax = hi;
    if (!vnum_sync(&n))
        n = vnum_unknown();
    return n;
}

static struct vnum bitop(uint8_t op, const struct vnum *a, const struct vnum *b)
{
    uint64_t v, m;
    struct vnum n;
    switch (op) {
    case EBPF_ALU_AND:
        v = a->tval & b->tval;
        m = (a->tval | a->tmask) & (b->tval | b->tmask) & ~v;
        n = tnum_only(v, m);
        n.umax = umin64(n.umax, umin64(a->umax, b->umax));
        if (a->smin >= 0 || b->smin >= 0)
            n.smin = smax64(n.smin, 0);
        break;
    case EBPF_ALU_OR:
        v = a->tval | b->tval;
        m = (a->tmask | b->tmask) & ~v;
        n = tnum_only(v, m);
        n.umin = umax64(n.umin, umax64(a->umin, b->umin));
        break;
    default: /* xor */
        v = a->tval ^ b->tval;
        m = a->tmask | b->tmask;
        n = tnum_only(v, m);
        break;
    }
    if (!vnum_sync(&n))
        n = vnum_unknown();
    return n;
}

static struct vnum shift64(uint8_t op, const struct vnum *a, const struct vnum *b, unsigned width)
{
    if (!vnum_is_const(b)) {
        if (op == EBPF_ALU_RSH)
            return vnum_urange(0, a->umax);
        return vnum_unknown();
    }
    unsigned s = (unsigned)(b->umin & (width - 1));
    struct vnum n;
    if (op == EBPF_ALU_LSH) {
        n = tnum_only(a->tval << s, a->tmask << s);
        if (s == 0 || a->umax <= (UINT64_MAX >> s))
            n.umin = a->umin << s, n.umax = a->umax << s;
    } else if (op == EBPF_ALU_RSH) {
        n = tnum_only(a->tval >> s, a->tmask >> s);
        n.umin = a->umin >> s, n.umax = a->umax >> s;
    } else {
        n = tnum_only((uint64_t)((int64_t)a->tval >> s), (uint64_t)((int64_t)a->tmask >> s));
        n.smin = a->smin >> s, n.smax = a->smax >> s;
    }
    if (!vnum_sync(&n))
        n = vnum_unknown();
    return n;
}

static struct vnum divmod(uint8_t op, const struct vnum *a, const struct vnum *b)
{
    /* Division by zero gives 0 and modulo by zero leaves the dividend (RFC 9669). */
    if (op == EBPF_ALU_DIV) {
        if (vnum_is_const(a) && vnum_is_const(b))
            return vnum_const(b->umin ? a->umin / b->umin : 0);
        return vnum_urange(b->umin ? a->umin / b->umax : 0, b->umin ? a->umax / b->umin : a->umax);
    }
    if (vnum_is_const(a) && vnum_is_const(b))
        return vnum_const(b->umin ? a->umin % b->umin : a->umin);
    uint64_t hi = a->umax; /* a % b <= a, and < b when b > 0 */
    if (b->umin)
        hi = umin64(hi, b->umax - 1);
    return vnum_urange(0, hi);
}

struct vnum vnum_alu(uint8_t op, const struct vnum *a_in, const struct vnum *b_in, bool is64)
{
    struct vnum a = is64 ? *a_in : vnum_zext32(a_in), b = is64 ? *b_in : vnum_zext32(b_in), n;
    switch (op) {
    case EBPF_ALU_ADD: n = add64(&a, &b); break;
    case EBPF_ALU_SUB: n = sub64(&a, &b); break;
    case EBPF_ALU_MUL: n = mul64(&a, &b); break;
    case EBPF_ALU_DIV:
    case EBPF_ALU_MOD: n = divmod(op, &a, &b); break;
    case EBPF_ALU_AND:
    case EBPF_ALU_OR:
    case EBPF_ALU_XOR: n = bitop(op, &a, &b); break;
    case EBPF_ALU_LSH:
    case EBPF_ALU_RSH: n = shift64(op, &a, &b, is64 ? 64 : 32); break;
    case EBPF_ALU_ARSH:
        if (is64) {
            n = shift64(op, &a, &b, 64);
        } else {
            struct vnum s = vnum_sext32(&a);
            n = shift64(op, &s, &b, 32);
        }
        break;
    case EBPF_ALU_NEG: {
        struct vnum zero = vnum_const(0);
        n = sub64(&zero, &a);
        break;
    }
    case EBPF_ALU_MOV: n = b; break;
    default: n = vnum_unknown(); break;
    }
    return is64 ? n : vnum_zext32(&n);
}

struct vnum vnum_end(const struct vnum *a, unsigned width, bool swap)
{
    uint64_t mask = width >= 64 ? UINT64_MAX : (1ULL << width) - 1;
    if (!swap) {
        struct vnum m = vnum_const(mask);
        return vnum_alu(EBPF_ALU_AND, a, &m, true);
    }
    if (vnum_is_const(a)) {
        uint64_t v = a->umin, r = 0;
        for (unsigned i = 0; i < width / 8; i++)
            r = (r << 8) | ((v >> (8 * i)) & 0xff);
        return vnum_const(r);
    }
    return vnum_urange(0, mask);
}

int vnum_print(char *buf, size_t len, const struct vnum *n)
{
    if (vnum_is_const(n))
        return snprintf(buf, len, "%" PRId64, (int64_t)n->umin);
    if (n->smin == INT64_MIN && n->smax == INT64_MAX && n->umin == 0 && n->umax == UINT64_MAX)
        return snprintf(buf, len, "unknown");
    if ((n->umin >> 63) == (n->umax >> 63) || n->smin >= 0)
        return snprintf(buf, len, "[%" PRIu64 ", %" PRIu64 "]", n->umin, n->umax);
    return snprintf(buf, len, "[%" PRId64 ", %" PRId64 "] signed", n->smin, n->smax);
}

/* ------------------------------------------------------------------------ */
/* Conditions.                                                              */

static bool intersect(struct vnum *a, const struct vnum *b)
{
    if ((a->tval ^ b->tval) & ~a->tmask & ~b->tmask)
        return false;
    uint64_t v = a->tval | b->tval, m = a->tmask & b->tmask;
    a->tval = v & ~m, a->tmask = m;
    a->smin = smax64(a->smin, b->smin), a->smax = smin64(a->smax, b->smax);
    a->umin = umax64(a->umin, b->umin), a->umax = umin64(a->umax, b->umax);
    return vnum_sync(a);
}

/* Refines knowing a OP b holds (64-bit); false if impossible. */
static bool holds(uint8_t op, struct vnum *a, struct vnum *b)
{
    switch (op) {
    case EBPF_JMP_JEQ:
        if (!intersect(a, b))
            return false;
        *b = *a;
        return true;
    case EBPF_JMP_JNE:
        if (vnum_is_const(b)) {
            if (vnum_is_const(a) && a->umin == b->umin)
                return false;
            if (a->umin == b->umin) a->umin++;
            else if (a->umax == b->umin) a->umax--;
            if (a->smin == (int64_t)b->umin) a->smin++;
            else if (a->smax == (int64_t)b->umin) a->smax--;
        } else if (vnum_is_const(a)) {
            return holds(op, b, a);
        }
        break;
    case EBPF_JMP_JGT:
        if (b->umin == UINT64_MAX || a->umax == 0)
            return false;
        a->umin = umax64(a->umin, b->umin + 1);
        b->umax = umin64(b->umax, a->umax - 1);
        break;
    case EBPF_JMP_JGE:
        a->umin = umax64(a->umin, b->umin);
        b->umax = umin64(b->umax, a->umax);
        break;
    case EBPF_JMP_JLT: return holds(EBPF_JMP_JGT, b, a);
    case EBPF_JMP_JLE: return holds(EBPF_JMP_JGE, b, a);
    case EBPF_JMP_JSGT:
        if (b->smin == INT64_MAX || a->smax == INT64_MIN)
            return false;
        a->smin = smax64(a->smin, b->smin + 1);
        b->smax = smin64(b->smax, a->smax - 1);
        break;
    case EBPF_JMP_JSGE:
        a->smin = smax64(a->smin, b->smin);
        b->smax = smin64(b->smax, a->smax);
        break;
    case EBPF_JMP_JSLT: return holds(EBPF_JMP_JSGT, b, a);
    case EBPF_JMP_JSLE: return holds(EBPF_JMP_JSGE, b, a);
    case EBPF_JMP_JSET:
        if (!((a->tval | a->tmask) & (b->tval | b->tmask)))
            return false;
        break;
    default:
        break;
    }
    return vnum_sync(a) && vnum_sync(b);
}

/* Refines knowing a OP b does not hold. */
static bool fails(uint8_t op, struct vnum *a, struct vnum *b)
{
    switch (op) {
    case EBPF_JMP_JEQ: return holds(EBPF_JMP_JNE, a, b);
    case EBPF_JMP_JNE: return holds(EBPF_JMP_JEQ, a, b);
    case EBPF_JMP_JGT: return holds(EBPF_JMP_JLE, a, b);
    case EBPF_JMP_JGE: return holds(EBPF_JMP_JLT, a, b);
    case EBPF_JMP_JLT: return holds(EBPF_JMP_JGE, a, b);
    case EBPF_JMP_JLE: return holds(EBPF_JMP_JGT, a, b);
    case EBPF_JMP_JSGT: return holds(EBPF_JMP_JSLE, a, b);
    case EBPF_JMP_JSGE: return holds(EBPF_JMP_JSLT, a, b);
    case EBPF_JMP_JSLT: return holds(EBPF_JMP_JSGE, a, b);
    case EBPF_JMP_JSLE: return holds(EBPF_JMP_JSGT, a, b);
    case EBPF_JMP_JSET:
        if (vnum_is_const(b)) {
            if (a->tval & b->umin)
                return false;
            a->tmask &= ~b->umin;
            return vnum_sync(a);
        }
        return true;
    default: return true;
    }
}

static bool is_signed_op(uint8_t op)
{
    return op == EBPF_JMP_JSGT || op == EBPF_JMP_JSGE || op == EBPF_JMP_JSLT || op == EBPF_JMP_JSLE;
}

static bool fits32(const struct vnum *n, bool sign)
{
    return sign ? n->smin >= INT32_MIN && n->smax <= INT32_MAX : n->umax <= U32_MAX;
}

bool vnum_refine(uint8_t op, bool is64, bool taken, struct vnum *a, struct vnum *b)
{
    if (is64)
        return taken ? holds(op, a, b) : fails(op, a, b);
    /* 32-bit: compare the low halves (zero- or sign-extended by the op's
     * signedness) and write back only values that are that extension. */
    bool sign = is_signed_op(op);
    struct vnum a32 = sign ? vnum_sext32(a) : vnum_zext32(a), b32 = sign ? vnum_sext32(b) : vnum_zext32(b);
    if (!(taken ? holds(op, &a32, &b32) : fails(op, &a32, &b32)))
        return false;
    if (fits32(a, sign))
        *a = a32;
    if (fits32(b, sign))
        *b = b32;
    return true;
}

int vnum_compare(uint8_t op, bool is64, const struct vnum *a, const struct vnum *b)
{
    struct vnum a1 = *a, b1 = *b, a2 = *a, b2 = *b;
    bool can_hold = vnum_refine(op, is64, true, &a1, &b1);
    bool can_fail = vnum_refine(op, is64, false, &a2, &b2);
    if (can_hold && !can_fail)
        return 1;
    if (!can_hold && can_fail)
        return 0;
    return -1;
}
