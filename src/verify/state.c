/*
 * Abstract states: the call frames (registers, stack bytes, spilled
 * registers), outstanding references and loop bookkeeping of one path.
 * Widening (for loops) and joining merge a kept state with the current one
 * register by register and byte by byte (inclusion is in kept.c).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "verify/internal.h"

bool vtype_is_pointer(uint8_t type)
{
    return type != VT_NOT_INIT && type != VT_SCALAR;
}

bool vtype_is_or_null(uint8_t type)
{
    return type == VT_MAP_VALUE_OR_NULL || type == VT_MEM_OR_NULL || type == VT_MAP_PTR_OR_NULL;
}

const char *vtype_name(uint8_t type)
{
    static const char *const names[] = {
        [VT_NOT_INIT] = "uninitialized",
        [VT_SCALAR] = "number",
        [VT_CTX] = "context pointer",
        [VT_STACK] = "stack pointer",
        [VT_MAP_PTR] = "map",
        [VT_MAP_PTR_OR_NULL] = "map or NULL",
        [VT_MAP_VALUE] = "map value pointer",
        [VT_MAP_VALUE_OR_NULL] = "map value pointer or NULL",
        [VT_PACKET] = "packet pointer",
        [VT_PACKET_END] = "packet end pointer",
        [VT_PACKET_META] = "packet metadata pointer",
        [VT_MEM] = "ring-buffer record pointer",
        [VT_MEM_OR_NULL] = "ring-buffer record pointer or NULL",
        [VT_FUNC] = "function address",
    };
    return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

void vstate_account(struct verifier *v, long delta)
{
    v->bytes_now += (size_t)delta;
    if (v->bytes_now > v->res->peak_bytes)
        v->res->peak_bytes = v->bytes_now;
}

struct vstate *vstate_new(struct verifier *v)
{
    struct vstate *s = calloc(1, sizeof(*s));
    if (s)
        vstate_account(v, sizeof(*s));
    return s;
}

/* A frame's memory: a freed one again when there is one. Frames are big
 * (their spilled registers) and copied at every branch: reusing them spares
 * the allocator and the page faults of memory it gave back. */
static struct vframe *frame_alloc(struct verifier *v)
{
    struct vframe *f = v->spare_count ? v->spare[--v->spare_count] : malloc(sizeof(*f));
    if (f)
        vstate_account(v, sizeof(*f));
    return f;
}

static void frame_release(struct verifier *v, struct vframe *f)
{
    vstate_account(v, -(long)sizeof(*f));
    if (v->spare_count == v->spare_cap) {
        size_t cap = v->spare_cap ? 2 * v->spare_cap : 64;
        struct vframe **grown = realloc(v->spare, cap * sizeof(*grown));
        if (!grown) {
            free(f); /* no room to keep it: give it back */
            return;
        }
        v->spare = grown;
        v->spare_cap = cap;
    }
    v->spare[v->spare_count++] = f;
}

void vstate_free_spares(struct verifier *v)
{
    while (v->spare_count)
        free(v->spare[--v->spare_count]);
    free(v->spare);
    v->spare = NULL;
    v->spare_cap = 0;
}

/* Copies frame src into dst. Only the spilled registers of slots in use
 * are copied: the others are never read (a slot's spill is read only while
 * its bytes say VB_SPILL, which needs spill_size), and most of a frame is
 * those 64 registers. */
static void frame_copy(struct vframe *dst, const struct vframe *src)
{
    size_t head = offsetof(struct vframe, spill), tail = head + sizeof(src->spill);
    memcpy(dst, src, head);
    memcpy((char *)dst + tail, (const char *)src + tail, sizeof(*src) - tail);
    for (int k = 0; k < VSLOTS; k++)
        if (src->spill_size[k])
            dst->spill[k] = src->spill[k];
}

struct vframe *vstate_push_frame(struct verifier *v, struct vstate *s)
{
    struct vframe *f = frame_alloc(v);
    if (!f)
        return NULL;
    /* Everything but the spilled registers, which no slot uses yet. */
    size_t head = offsetof(struct vframe, spill), tail = head + sizeof(f->spill);
    memset(f, 0, head);
    memset((char *)f + tail, 0, sizeof(*f) - tail);
    s->frames[s->frame_count++] = f;
    return f;
}

void vstate_pop_frame(struct verifier *v, struct vstate *s)
{
    frame_release(v, s->frames[--s->frame_count]);
    s->frames[s->frame_count] = NULL;
}

struct vstate *vstate_copy(struct verifier *v, const struct vstate *s)
{
    struct vstate *c = vstate_new(v);
    if (!c)
        return NULL;
    *c = *s;
    for (uint32_t i = 0; i < s->frame_count; i++) {
        c->frames[i] = frame_alloc(v);
        if (!c->frames[i]) {
            c->frame_count = i;
            vstate_free(v, c);
            return NULL;
        }
        frame_copy(c->frames[i], s->frames[i]);
    }
    return c;
}

void vstate_free(struct verifier *v, struct vstate *s)
{
    if (!s)
        return;
    while (s->frame_count)
        vstate_pop_frame(v, s);
    free(s);
    vstate_account(v, -(long)sizeof(*s));
}

void vstate_each_reg(struct vstate *s, void (*fn)(struct vreg *r, void *arg), void *arg)
{
    for (uint32_t f = 0; f < s->frame_count; f++) {
        struct vframe *fr = s->frames[f];
        for (int r = 0; r < EBPF_REG_COUNT; r++)
            fn(&fr->regs[r], arg);
        for (int k = 0; k < VSLOTS; k++)
            if (vslot_spilled(fr, k))
                fn(&fr->spill[k], arg);
    }
}

struct mark_arg {
    uint32_t id;
    void (*fn)(struct vreg *r, void *arg);
    void *arg;
};

static void mark_one(struct vreg *r, void *arg)
{
    struct mark_arg *m = arg;
    if (r->id == m->id && r->type != VT_NOT_INIT)
        m->fn(r, m->arg);
}

void vstate_mark_id(struct vstate *s, uint32_t id, void (*fn)(struct vreg *r, void *arg), void *arg)
{
    struct mark_arg m = {id, fn, arg};
    vstate_each_reg(s, mark_one, &m);
}

/* ------------------------------------------------------------------------ */
/* Widening.                                                                */

/* False if the join of o and n holds nothing usable: they point at different things, or are NULL-checked apart. */
static bool joinable(const struct vreg *o, const struct vreg *n)
{
    if (o->type != n->type || o->frame != n->frame || o->map != n->map || o->mem_size != n->mem_size ||
        o->ref != n->ref)
        return false;
    return o->id == n->id || !vtype_is_or_null(o->type);
}

static struct vreg reg_widen(struct verifier *v, const struct vreg *o, const struct vreg *n, bool widen)
{
    struct vreg r = *o;
    /* The join of a register with its own copy is itself (known bits in normal form: no value bit is also
     * unknown, as vnum_join makes them); common where paths meet. */
    if (!widen && (o->off.tval & o->off.tmask) == 0 && !memcmp(o, n, sizeof(*o)))
        return r;
    if (!joinable(o, n))
        return (struct vreg){.type = VT_NOT_INIT};
    if (o->type == VT_NOT_INIT)
        return r;
    if (o->type == VT_PACKET && (o->id != n->id || o->pkt_off != n->pkt_off)) {
        /* Different constant parts: fold them into a new variable part. */
        struct vnum oc = vnum_const((uint64_t)(int64_t)o->pkt_off), nc = vnum_const((uint64_t)(int64_t)n->pkt_off);
        struct vnum ov = vnum_alu(EBPF_ALU_ADD, &o->off, &oc, true), nv = vnum_alu(EBPF_ALU_ADD, &n->off, &nc, true);
        r.off = widen ? vnum_widen(&ov, &nv, v->thresholds, v->threshold_count) : vnum_join(&ov, &nv);
        r.pkt_off = 0;
        /* Each side had its own bytes proven after it: the fewer of the two remain. */
        int32_t ro = o->range - o->pkt_off, rn = n->range - n->pkt_off;
        r.range = ro < rn ? ro : rn;
        if (r.range < 0)
            r.range = 0;
        r.id = vnew_id(v);
        r.dvalid = 0;
        return r;
    }
    if (o->id != n->id)
        r.id = 0;
    r.off = widen ? vnum_widen(&o->off, &n->off, v->thresholds, v->threshold_count) : vnum_join(&o->off, &n->off);
    r.range = o->range < n->range ? o->range : n->range;
    if (o->pkt_len_of != n->pkt_len_of)
        r.pkt_len_of = 0;
    r.dvalid = o->dvalid & n->dvalid;
    for (int i = 0; i < VTRACK; i++) {
        /* Widened: a change that keeps growing (an enclosing loop's, moved by this loop) is no evidence;
         * nor is a delta counted from another place's value (a copy). */
        if ((widen && (n->dlo[i] < o->dlo[i] || n->dhi[i] > o->dhi[i])) || o->dwhere[i] != n->dwhere[i])
            r.dvalid &= (uint8_t)~(1u << i);
        r.dlo[i] = o->dlo[i] < n->dlo[i] ? o->dlo[i] : n->dlo[i];
        r.dhi[i] = o->dhi[i] > n->dhi[i] ? o->dhi[i] : n->dhi[i];
    }
    return r;
}

static void frame_widen(struct verifier *v, struct vframe *w, const struct vframe *o, const struct vframe *n,
                        bool widen)
{
    for (int r = 0; r < EBPF_REG_COUNT; r++)
        w->regs[r] = reg_widen(v, &o->regs[r], &n->regs[r], widen);
    for (int k = 0; k < VSLOTS; k++) {
        uint8_t *wb = &w->bytes[k * 8];
        const uint8_t *ob = &o->bytes[k * 8], *nb = &n->bytes[k * 8];
        uint64_t ow = vslot_word(o, k), nw = vslot_word(n, k);
        if (ow == nw && !vspill_bytes(ow)) {
            /* The same plain bytes on both sides: w (a copy of n) has them already. */
            w->spill_size[k] = 0;
            continue;
        }
        bool both_spill = vslot_spilled(o, k) && vslot_spilled(n, k) && o->spill_off[k] == n->spill_off[k] &&
                          o->spill_size[k] == n->spill_size[k];
        if (both_spill) {
            w->spill[k] = reg_widen(v, &o->spill[k], &n->spill[k], widen);
            if (w->spill[k].type == VT_NOT_INIT)
                both_spill = false;
        }
        if (!both_spill)
            w->spill_size[k] = 0;
        for (int i = 0; i < 8; i++) {
            uint8_t a = ob[i], b = nb[i];
            bool a_ptr = a == VB_SPILL && o->spill[k].type != VT_SCALAR;
            bool b_ptr = b == VB_SPILL && n->spill[k].type != VT_SCALAR;
            if (a == VB_UNINIT || b == VB_UNINIT)
                wb[i] = VB_UNINIT;
            else if (a == VB_SPILL && b == VB_SPILL)
                wb[i] = both_spill ? VB_SPILL : (a_ptr || b_ptr ? VB_UNINIT : VB_MISC);
            else if (a_ptr || b_ptr)
                wb[i] = VB_UNINIT;
            else if (a == VB_ZERO && b == VB_ZERO)
                wb[i] = VB_ZERO;
            else
                wb[i] = VB_MISC;
        }
    }
}

struct vstate *vstate_widen(struct verifier *v, const struct vkept *kept, const struct vstate *s, bool widen)
{
    const struct vstate *old = vkept_expand(v, kept);
    if (!old || old->frame_count != s->frame_count || old->ref_count != s->ref_count)
        return NULL;
    for (uint32_t f = 0; f < s->frame_count; f++)
        if (old->frames[f]->callsite != s->frames[f]->callsite || old->frames[f]->callback != s->frames[f]->callback)
            return NULL;
    for (uint32_t i = 0; i < s->ref_count; i++)
        if (old->refs[i] != s->refs[i])
            return NULL;
    /* A join (not a loop widening) only merges states whose registers agree on what they hold. */
    for (uint32_t f = 0; !widen && f < s->frame_count; f++) {
        const struct vframe *a = old->frames[f], *b = s->frames[f];
        for (int r = 0; r < EBPF_REG_COUNT; r++)
            if ((a->regs[r].type != VT_NOT_INIT || b->regs[r].type != VT_NOT_INIT) && !joinable(&a->regs[r], &b->regs[r]))
                return NULL;
    }
    struct vstate *w = vstate_copy(v, s);
    if (!w)
        return NULL;
    if (old->packet_known < w->packet_known)
        w->packet_known = old->packet_known;
    for (uint32_t f = 0; f < s->frame_count; f++)
        frame_widen(v, w->frames[f], old->frames[f], s->frames[f], widen);
    if (!vlin_join(v, w, old, s, widen)) {
        vstate_free(v, w);
        return NULL;
    }
    return w;
}
