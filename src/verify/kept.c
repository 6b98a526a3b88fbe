/*
 * States kept at prune points, and inclusion of the current state in one.
 * A kept state lives to the end of the verification and is compared with
 * every later state at its point, so it is stored compact: of a frame's 11
 * registers and 64 spilled registers only those that hold something (in
 * large programs about a third of the registers and a third of the slots),
 * which halves the memory of kept states and the page faults of fresh
 * memory. Inclusion compares the current state with a kept one register by
 * register and byte by byte, mapping the identities (NULL-check groups,
 * packet groups, references) of one path onto the other's.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "verify/internal.h"

/* A kept frame: every field of a frame, but only the registers in use. */
struct vkframe {
    uint8_t reg_at[EBPF_REG_COUNT]; /* where register r is in held[], NONE if uninitialised */
    uint8_t spill_at[VSLOTS];       /* where slot s's spilled register is in held[], NONE if none was kept */
    uint8_t held_count;
    uint8_t callback;
    uint32_t callsite;
    uint8_t bytes[EBPF_STACK_SIZE];
    uint8_t spill_off[VSLOTS], spill_size[VSLOTS];
    struct vreg held[];
};

enum { NONE = 0xff };

/* A field added to struct vframe must be kept in struct vkframe too. */
_Static_assert(sizeof(struct vframe) - (sizeof(((struct vframe *)0)->regs) + EBPF_STACK_SIZE +
                                        sizeof(((struct vframe *)0)->spill) + 2 * VSLOTS + sizeof(uint32_t) + 1) <
                   sizeof(uint64_t),
               "struct vframe has a field struct vkframe does not keep");

struct vkept {
    struct vstate head; /* the state's own fields; head.frames are not used */
    struct vkframe *frames[EBPF_MAX_CALL_DEPTH];
};

/* Kept register r of k, or NULL if it is uninitialised. */
static const struct vreg *kept_reg(const struct vkframe *k, int r)
{
    return k->reg_at[r] == NONE ? NULL : &k->held[k->reg_at[r]];
}

/* The register spilled in slot s of k, or NULL if none was kept (its spill_size was 0). */
static const struct vreg *kept_spill(const struct vkframe *k, int s)
{
    return k->spill_at[s] == NONE ? NULL : &k->held[k->spill_at[s]];
}

static size_t kept_frame_size(size_t held)
{
    return sizeof(struct vkframe) + held * sizeof(struct vreg);
}

static void kept_frame_free(struct verifier *v, struct vkframe *k)
{
    vstate_account(v, -(long)kept_frame_size(k->held_count));
    free(k);
}

static struct vkframe *kept_frame_make(struct verifier *v, const struct vframe *f)
{
    size_t held = 0;
    for (int r = 0; r < EBPF_REG_COUNT; r++)
        held += f->regs[r].type != VT_NOT_INIT;
    /* As in copies of frames: a spilled register is read only while its slot's spill_size says it is there. */
    for (int s = 0; s < VSLOTS; s++)
        held += f->spill_size[s] != 0;
    size_t size = kept_frame_size(held);
    struct vkframe *k = malloc(size);
    if (!k)
        return NULL;
    vstate_account(v, (long)size);
    k->held_count = (uint8_t)held;
    k->callback = f->callback;
    k->callsite = f->callsite;
    memcpy(k->bytes, f->bytes, sizeof(k->bytes));
    memcpy(k->spill_off, f->spill_off, sizeof(k->spill_off));
    memcpy(k->spill_size, f->spill_size, sizeof(k->spill_size));
    uint8_t n = 0;
    for (int r = 0; r < EBPF_REG_COUNT; r++) {
        k->reg_at[r] = f->regs[r].type != VT_NOT_INIT ? n : NONE;
        if (k->reg_at[r] != NONE)
            k->held[n++] = f->regs[r];
    }
    for (int s = 0; s < VSLOTS; s++) {
        k->spill_at[s] = f->spill_size[s] ? n : NONE;
        if (k->spill_at[s] != NONE)
            k->held[n++] = f->spill[s];
    }
    return k;
}

static void kept_frame_expand(struct vframe *f, const struct vkframe *k)
{
    for (int r = 0; r < EBPF_REG_COUNT; r++) {
        const struct vreg *kr = kept_reg(k, r);
        f->regs[r] = kr ? *kr : (struct vreg){.type = VT_NOT_INIT};
    }
    memcpy(f->bytes, k->bytes, sizeof(f->bytes));
    memcpy(f->spill_off, k->spill_off, sizeof(f->spill_off));
    memcpy(f->spill_size, k->spill_size, sizeof(f->spill_size));
    f->callsite = k->callsite;
    f->callback = k->callback;
    for (int s = 0; s < VSLOTS; s++)
        if (k->spill_at[s] != NONE)
            f->spill[s] = k->held[k->spill_at[s]];
}

void vkept_free(struct verifier *v, struct vkept *k)
{
    if (!k)
        return;
    for (uint32_t f = 0; f < k->head.frame_count; f++)
        if (k->frames[f])
            kept_frame_free(v, k->frames[f]);
    vstate_account(v, -(long)sizeof(*k));
    free(k);
}

struct vkept *vkept_make(struct verifier *v, const struct vstate *s)
{
    struct vkept *k = calloc(1, sizeof(*k));
    if (!k)
        return NULL;
    vstate_account(v, sizeof(*k));
    k->head = *s;
    memset(k->head.frames, 0, sizeof(k->head.frames));
    for (uint32_t f = 0; f < s->frame_count; f++)
        if (!(k->frames[f] = kept_frame_make(v, s->frames[f]))) {
            vkept_free(v, k);
            return NULL;
        }
    return k;
}

const struct vstate *vkept_head(const struct vkept *k)
{
    return &k->head;
}

struct vstate *vkept_expand(struct verifier *v, const struct vkept *k)
{
    if (!v->scratch && !(v->scratch = vstate_new(v)))
        return NULL;
    struct vstate *s = v->scratch;
    while (s->frame_count > k->head.frame_count)
        vstate_pop_frame(v, s);
    while (s->frame_count < k->head.frame_count)
        if (!vstate_push_frame(v, s))
            return NULL;
    struct vframe *frames[EBPF_MAX_CALL_DEPTH];
    memcpy(frames, s->frames, sizeof(frames));
    *s = k->head;
    memcpy(s->frames, frames, sizeof(frames));
    for (uint32_t f = 0; f < s->frame_count; f++)
        kept_frame_expand(s->frames[f], k->frames[f]);
    return s;
}

/* ------------------------------------------------------------------------ */
/* Inclusion.                                                               */

enum { IDMAP_MAX = 256 };

struct idmap {
    uint32_t old_id[IDMAP_MAX], new_id[IDMAP_MAX];
    size_t count;
};

/* True if old identity o and new identity n can stand for each other. */
static bool same_id(struct idmap *m, uint32_t o, uint32_t n)
{
    if (!o && !n)
        return true;
    if (!o || !n)
        return false;
    for (size_t i = 0; i < m->count; i++) {
        if (m->old_id[i] == o)
            return m->new_id[i] == n;
        if (m->new_id[i] == n)
            return false;
    }
    if (m->count == IDMAP_MAX)
        return false;
    m->old_id[m->count] = o;
    m->new_id[m->count++] = n;
    return true;
}

/* True if n holds only values o does (o NULL: uninitialised, which the old path could not use). */
static bool reg_within(const struct vreg *n, const struct vreg *o, struct idmap *m)
{
    if (!o || o->type == VT_NOT_INIT)
        return true; /* any use of it failed on the old path */
    if (n->type != o->type)
        return false;
    for (int i = 0; i < VTRACK; i++)
        if ((o->dvalid >> i & 1) && (!(n->dvalid >> i & 1) || n->dwhere[i] != o->dwhere[i] || n->dlo[i] < o->dlo[i] ||
                                     n->dhi[i] > o->dhi[i]))
            return false;
    if (!vnum_within(&n->off, &o->off))
        return false;
    if (o->type == VT_SCALAR)
        return (!o->pkt_len_of || o->pkt_len_of == n->pkt_len_of) && (!o->id || same_id(m, o->id, n->id));
    if (n->frame != o->frame || n->map != o->map || n->mem_size != o->mem_size || n->pkt_off != o->pkt_off ||
        n->range < o->range)
        return false;
    return same_id(m, o->id, n->id) && same_id(m, o->ref + 0x80000000u * !!o->ref, n->ref + 0x80000000u * !!n->ref);
}

/* True if slot s of n holds what slot s of o does, telling at once: nothing was known there before, or the
 * same plain bytes are there. */
static inline bool slot_plainly_within(const struct vframe *n, const struct vkframe *o, int s)
{
    uint64_t ow;
    memcpy(&ow, &o->bytes[s * 8], 8);
    return ow == 0 || (ow == vslot_word(n, s) && !vspill_bytes(ow));
}

/* True if slot s of n holds what slot s of o does (byte by byte, and the spilled register). */
static bool slot_within(const struct vframe *n, const struct vkframe *o, int s, struct idmap *m)
{
    const uint8_t *ob = &o->bytes[s * 8], *nb = &n->bytes[s * 8];
    if (slot_plainly_within(n, o, s))
        return true;
    /* A spill kept in o: n's must be the same size at the same place, its register included in o's. */
    const struct vreg *os = kept_spill(o, s);
    bool same_spill = os && n->spill_off[s] == o->spill_off[s] && n->spill_size[s] == o->spill_size[s];
    if (!memcmp(ob, nb, 8)) /* the same bytes, with a spill */
        return same_spill && reg_within(&n->spill[s], os, m);
    bool spill_checked = false;
    for (int i = 0; i < 8; i++) {
        switch (ob[i]) {
        case VB_UNINIT:
            break;
        case VB_MISC:
            if (nb[i] == VB_UNINIT || (nb[i] == VB_SPILL && n->spill[s].type != VT_SCALAR))
                return false;
            break;
        case VB_ZERO:
            if (nb[i] != VB_ZERO)
                return false;
            break;
        case VB_SPILL:
            if (nb[i] != VB_SPILL || !same_spill)
                return false;
            if (!spill_checked && !reg_within(&n->spill[s], os, m))
                return false;
            spill_checked = true;
            break;
        }
    }
    return true;
}

/* Places of a frame: its registers, then its stack slots. */
enum { PLACES = EBPF_REG_COUNT + VSLOTS };

static bool place_within(const struct vframe *n, const struct vkframe *o, int place, struct idmap *m)
{
    return place < EBPF_REG_COUNT ? reg_within(&n->regs[place], kept_reg(o, place), m)
                                  : slot_within(n, o, place - EBPF_REG_COUNT, m);
}

/* Whether frame n is within o; on failure *miss is the place (frame f's) that was not. */
static bool frame_within(const struct vframe *n, const struct vkframe *o, struct idmap *m, uint32_t f, uint32_t *miss)
{
    if (n->callsite != o->callsite || n->callback != o->callback)
        return false;
    for (int r = 0; r < EBPF_REG_COUNT; r++)
        if (!reg_within(&n->regs[r], kept_reg(o, r), m)) {
            *miss = f * PLACES + (uint32_t)r + 1;
            return false;
        }
    for (int s = 0; s < VSLOTS; s++)
        if (!slot_plainly_within(n, o, s) && !slot_within(n, o, s, m)) {
            *miss = f * PLACES + (uint32_t)(EBPF_REG_COUNT + s) + 1;
            return false;
        }
    return true;
}

bool vkept_within(struct verifier *v, const struct vstate *s, const struct vkept *k, uint32_t *miss)
{
    const struct vstate *old = &k->head;
    if (s->frame_count != old->frame_count || s->ref_count != old->ref_count ||
        memcmp(s->loop_head, old->loop_head, sizeof(s->loop_head)) || s->packet_known < old->packet_known)
        return false;
    struct idmap m;
    m.count = 0;
    /* The place where a state arriving here last differed from k most often differs again: checked first, it
     * rules most candidates out at once (the order of the checks does not change the answer). */
    uint32_t f = *miss ? (*miss - 1) / PLACES : 0;
    if (*miss && f < s->frame_count && !place_within(s->frames[f], k->frames[f], (int)((*miss - 1) % PLACES), &m))
        return false;
    for (f = 0; f < s->frame_count; f++)
        if (!frame_within(s->frames[f], k->frames[f], &m, f, miss))
            return false;
    for (uint32_t i = 0; i < s->ref_count; i++)
        if (!same_id(&m, old->refs[i] + 0x80000000u, s->refs[i] + 0x80000000u))
            return false;
    /* Relations between registers (relations.c) are compared on the whole state. */
    const struct vstate *whole = vkept_expand(v, k);
    return whole && vlin_within(s, whole);
}
