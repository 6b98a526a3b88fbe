/*
 * The analysis driver: explores every path of the program depth-first,
 * one abstract state per path, and keeps states at prune points (jump
 * targets) so that a path reaching a point with a state included in one
 * already seen there stops. Loops: a loop head is unrolled path by path
 * up to VERIFY_LOOP_UNROLL visits, then widened (joined with the state of
 * the previous visit, growing bounds jumping to the program's comparison
 * constants). From a widened head every register's change per iteration is
 * tracked; each return to the head must show one value moving the same way
 * by at least 1 on every iteration and staying bounded, which proves the
 * loop runs a bounded number of times. A path that comes back to a state
 * it already had without such evidence is an unproven loop and rejected.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "verify/internal.h"

uint32_t vnew_id(struct verifier *v)
{
    return ++v->next_id;
}

int vfail(struct verifier *v, const char *hint, const char *fmt, ...)
{
    if (v->failed)
        return VSTEP_FAIL;
    v->failed = true;
    struct verify_result *res = v->res;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->message, sizeof(res->message), fmt, ap);
    va_end(ap);
    snprintf(res->hint, sizeof(res->hint), "%s", hint ? hint : "");
    res->pc = v->pc;
    const struct verify_line *line = verify_line_of(v->prog, v->pc);
    if (line) {
        res->has_line = true;
        res->line = *line;
    }
    if (isa_disassemble_insn(v->prog->insns, v->prog->insn_count, v->pc, res->insn_text, sizeof(res->insn_text)) <
        0)
        snprintf(res->insn_text, sizeof(res->insn_text), "(undecodable)");
    if (v->cur)
        vreport_state(v, res->state, sizeof(res->state), 0x7ff);
    return VSTEP_FAIL;
}

int vpush(struct verifier *v, struct vstate *s, uint32_t pc)
{
    if (v->pending_count == v->pending_cap) {
        size_t cap = v->pending_cap ? 2 * v->pending_cap : 64;
        struct vpending *p = realloc(v->pending, cap * sizeof(*p));
        if (!p)
            return -ENOMEM;
        v->pending = p;
        v->pending_cap = cap;
    }
    v->pending[v->pending_count++] = (struct vpending){s, v->parent, pc, v->pc};
    if (v->parent)
        v->parent->branches++;
    return 0;
}

/* The path holding parent ended: release it, and every ancestor it completes. */
static void path_done(struct vstored *p)
{
    while (p && --p->branches == 0)
        p = p->parent;
}

/* Whether t is on the path being explored (held by v->parent or above it): O(1), as paths are long. */
static bool on_path(const struct vstored *t)
{
    return t->on_path;
}

/* The path continues from parent (popped): the states below it on the path just ended leave the path. */
static void switch_path(struct verifier *v, struct vstored *parent)
{
    struct vstored *q = v->parent;
    while (q && q != parent) {
        q->on_path = false;
        q = q->parent;
    }
    if (!q) /* parent was not above the old path (never so for depth-first pops): mark its own */
        for (q = parent; q; q = q->parent)
            q->on_path = true;
    v->parent = parent;
}

/* ------------------------------------------------------------------------ */
/* Loops.                                                                   */

/* The tracking slot of loop head pc in s, or -1. */
static int slot_of(const struct vstate *s, uint32_t pc)
{
    for (int i = 0; i < VTRACK; i++)
        if (s->loop_head[i] == pc + 1)
            return i;
    return -1;
}

struct slot_arg {
    int slot;
};

static void drop_deltas(struct vreg *r, void *arg)
{
    r->dvalid &= (uint8_t)~(1u << ((struct slot_arg *)arg)->slot);
}

/* Stops tracking slot (slots are taken in the order loops are widened, not by nesting: a nested loop's slot
 * is dropped when that loop is entered anew). */
static void drop_slot(struct vstate *s, int slot)
{
    s->loop_head[slot] = 0;
    struct slot_arg a = {slot};
    vstate_each_reg(s, drop_deltas, &a);
}

/* Measures changes from now on in slot, of each place's value from its own (or from the head values of the
 * registers it is known to be above or below, bounds.c). */
static void reset_slot(struct vstate *s, int slot)
{
    vbound_head_same(s, slot);
    for (uint32_t f = 0; f < s->frame_count; f++) {
        struct vframe *fr = s->frames[f];
        for (int r = 0; r < EBPF_REG_COUNT; r++)
            vbound_reset(s, f, &fr->regs[r], slot, r);
        for (int k = 0; k < VSLOTS; k++)
            if (vslot_spilled(fr, k))
                vbound_reset(s, f, &fr->spill[k], slot, EBPF_REG_COUNT + k);
    }
}

/* Iterations the value of place moving by [dlo, dhi] per iteration (slot's) can make inside its range, or
 * UINT64_MAX (also when the value came from another place: a copy made on each iteration does not move). */
static uint64_t iterations(const struct vstate *s, const struct vreg *r, int place, bool up, int slot)
{
    int64_t dlo = r->dlo[slot], dhi = r->dhi[slot];
    int home = place < EBPF_REG_COUNT ? s->head_same[slot][place] : place;
    bool from_home = up ? r->dwhere[slot] == home : r->dwhere_hi[slot] == home;
    if (r->type != VT_SCALAR || !(r->dvalid >> slot & 1) || (r->dtwice >> slot & 1) || !from_home ||
        (up ? dlo < 1 : dhi > -1))
        return UINT64_MAX;
    uint64_t step = up ? (uint64_t)dlo : (uint64_t)-dhi;
    /* How far it may move in one iteration, when its other end counts from its own place too. */
    bool both_home = r->dwhere[slot] == r->dwhere_hi[slot];
    uint64_t move = !both_home ? step : up ? (uint64_t)dhi : (uint64_t)-dlo;
    uint64_t uspan = r->off.umax - r->off.umin, sspan = (uint64_t)r->off.smax - (uint64_t)r->off.smin;
    uint64_t span = uspan < sspan ? uspan : sspan;
    if (span > UINT64_MAX - move)
        return UINT64_MAX;
    return (span + move) / step;
}

/* A return to the tracked head pc (slot): keeps the values that progressed; false if none is left. */
static bool loop_progress(struct verifier *v, uint32_t pc, int slot)
{
    struct vloop *l = v->loops[pc];
    const struct vframe *f = vcur(v->cur);
    bool any = false;
    for (int c = 0; c < EBPF_REG_COUNT + VSLOTS; c++) {
        const struct vreg *r = NULL;
        if (c < EBPF_REG_COUNT)
            r = &f->regs[c];
        else if (vslot_spilled(f, c - EBPF_REG_COUNT))
            r = &f->spill[c - EBPF_REG_COUNT];
        bool up = r && iterations(v->cur, r, c, true, slot) <= VERIFY_MAX_ITERATIONS;
        bool down = r && iterations(v->cur, r, c, false, slot) <= VERIFY_MAX_ITERATIONS;
        l->up[c] = l->up[c] && up;
        l->down[c] = l->down[c] && down;
        any |= l->up[c] || l->down[c];
    }
    /* Else a distance between values that only move toward each other (bounds.c). */
    return vbound_measure(v, l, slot) || any;
}

/* Counts a visit of loop head pc on this path (restarting when the loop is entered anew); returns the count. */
static uint32_t count_visit(struct vstate *s, uint32_t pc, bool back_edge)
{
    uint32_t key = pc + 1, min = 0;
    for (uint32_t i = 0; i < VLOOPS; i++) {
        if (s->loop_pc[i] == key)
            return back_edge ? ++s->loop_visits[i] : (s->loop_visits[i] = 1);
        if (s->loop_visits[i] < s->loop_visits[min])
            min = i;
    }
    s->loop_pc[min] = key;
    s->loop_visits[min] = 1;
    return 1;
}

/* Whether the path comes to the current instruction (a helper call) from a callback's exit: called back. */
static bool called_back(const struct verifier *v)
{
    return v->from < v->prog->insn_count && v->prog->insns[v->from].opcode == EBPF_OP_EXIT;
}

/* The nearest state stored at pc on this path, or NULL. */
static struct vstored *ancestor_at(struct vstored *p, uint32_t pc)
{
    for (; p; p = p->parent)
        if (p->pc == pc)
            return p;
    return NULL;
}

/* Continues from the widened join of a and the current state, tracking loop head pc in slot (or a new
 * slot if -1). False if the shapes differ or no slot is left (the loop is then unrolled further). */
static int widen_at(struct verifier *v, uint32_t pc, const struct vstored *a, int slot)
{
    bool new_run = slot < 0;
    if (new_run) {
        slot = 0;
        while (slot < VTRACK && v->cur->loop_head[slot])
            slot++;
        if (slot == VTRACK)
            return 0;
    }
    struct vstate *w = vstate_widen(v, a->state, v->cur, true);
    if (!w)
        return 0;
    vstate_free(v, v->cur);
    v->cur = w;
    w->loop_head[slot] = pc + 1;
    if (new_run)
        w->loop_since[slot] = (uint32_t)v->res->states_stored;
    reset_slot(w, slot);
    if (!v->loops[pc]) {
        struct vloop *l = calloc(1, sizeof(*l));
        if (!l)
            return -ENOMEM;
        memset(l->up, 1, sizeof(l->up));
        memset(l->down, 1, sizeof(l->down));
        memset(l->mono_up, 1, sizeof(l->mono_up));
        memset(l->mono_down, 1, sizeof(l->mono_down));
        l->started = true;
        v->loops[pc] = l;
    }
    return 1;
}

enum { VISIT_GO = 0, VISIT_PRUNED = 1, VISIT_FAIL = -1 };

/* True if loop head pc keeps many states already: a loop whose passes branch (a binary search halving to the
 * left or the right) would unroll into as many paths as its passes have outcomes, so it is widened sooner. */
static bool crowded(const struct verifier *v, uint32_t pc)
{
    size_t n = 0;
    for (const struct vstored *t = v->stored[pc]; t && n < VERIFY_HEAD_CROWDED; t = t->next)
        n++;
    return n == VERIFY_HEAD_CROWDED;
}

/* Whether a cycle closes inside the current run of the loop tracked in slot (whose progress was checked):
 * one closing on a state from before the run went around the loops enclosing it too. */
static bool within_run(const struct verifier *v, const struct vstored *cycle, int slot)
{
    return slot >= 0 && cycle && cycle->number >= v->cur->loop_since[slot];
}

/* False if t cannot hold the current state: a register it has set holds another type here. */
static bool may_hold(const struct vstored *t, const struct vstate *s)
{
    if (t->frame_count != s->frame_count)
        return false;
    const struct vframe *f = vcur(s);
    for (int r = 0; r < EBPF_REG_COUNT; r++)
        if (t->types[r] != VT_NOT_INIT && t->types[r] != f->regs[r].type)
            return false;
    return true;
}

/* A matching stored state for the current one: 1 pruned, 2 a cycle closing on an ancestor, 0 none. */
static int match(struct verifier *v, uint32_t pc, struct vstored **cycle)
{
    for (struct vstored *t = v->stored[pc]; t; t = t->next) {
        if (!may_hold(t, v->cur))
            continue;
        v->compares++;
        if (!vkept_within(v, v->cur, t->state, &t->miss))
            continue;
        if (t->branches == 0 || !on_path(t))
            return 1;
        *cycle = t;
        return 2;
    }
    return 0;
}

static int store(struct verifier *v, uint32_t pc)
{
    size_t kept = 0, most = v->insn_flags[pc] & VI_LOOP_HEAD ? VERIFY_MAX_KEPT_HEAD : VERIFY_MAX_KEPT;
    for (struct vstored *t = v->stored[pc]; t && kept < most; t = t->next)
        kept++;
    if (kept == most)
        return 0; /* bounds the cost of each comparison; the path goes on unrecorded */
    struct vstored *s = calloc(1, sizeof(*s));
    struct vkept *copy = s ? vkept_make(v, v->cur) : NULL;
    if (!copy) {
        free(s);
        return -ENOMEM;
    }
    *s = (struct vstored){copy, v->parent, v->stored[pc], pc, 1, {0}, (uint8_t)v->cur->frame_count,
                          (uint32_t)v->res->states_stored, true, 0};
    for (int r = 0; r < EBPF_REG_COUNT; r++)
        s->types[r] = vcur(v->cur)->regs[r].type;
    v->stored[pc] = s;
    v->parent = s;
    v->res->states_stored++;
    return 0;
}

/* Many states kept at pc already: the current one joined with a kept one it can grow into, or NULL. */
static struct vstate *join_kept(struct verifier *v, uint32_t pc)
{
    size_t n = 0;
    for (struct vstored *t = v->stored[pc]; t; t = t->next)
        n++;
    if (n < VERIFY_JOIN_AFTER)
        return NULL;
    for (struct vstored *t = v->stored[pc]; t; t = t->next) {
        /* States of the same loop iterations first (joining iterations is
         * widening's job), any once the point is crowded. */
        const struct vstate *h = vkept_head(t->state);
        bool same_iterations = !memcmp(h->loop_visits, v->cur->loop_visits, sizeof(v->cur->loop_visits)) &&
                               !memcmp(h->loop_pc, v->cur->loop_pc, sizeof(v->cur->loop_pc));
        if (memcmp(h->loop_head, v->cur->loop_head, sizeof(v->cur->loop_head)) ||
            (!same_iterations && n < 4 * VERIFY_JOIN_AFTER) || (t->branches && on_path(t)))
            continue;
        struct vstate *j = vstate_widen(v, t->state, v->cur, false);
        if (j)
            return j;
    }
    return NULL;
}

static int visit(struct verifier *v)
{
    uint32_t pc = v->pc;
    bool head = v->insn_flags[pc] & VI_LOOP_HEAD;
    /* Back at a loop head over one of its retreating edges, or entering it anew. */
    bool back_edge = vback_edge(v, v->from, pc);
    vforget_dead(v, v->cur, pc);
    int slot = head ? slot_of(v->cur, pc) : -1;
    bool checked = false;
    if (slot >= 0 && !back_edge) {
        /* A new run of a loop tracked before: its evidence starts again
         * (cycles through an enclosing loop are that loop's to prove). */
        drop_slot(v->cur, slot);
        slot = -1;
    }
    if (slot >= 0) {
        if (!loop_progress(v, pc, slot))
            return vfail(v, "bound the loop with a counter compared against a constant (e.g. for (i = 0; i < 64; i++))",
                         "cannot prove that the loop at instruction %u terminates: no value moves toward a bound on "
                         "every iteration", pc);
        reset_slot(v->cur, slot);
        checked = true;
    }
    struct vstored *cycle = NULL;
    int m = match(v, pc, &cycle);
    if (m == 1)
        return VISIT_PRUNED;
    uint32_t frame = v->cur->frame_count - 1;
    if ((v->insn_flags[pc] & VI_CALLBACK) && called_back(v)) {
        /* Calling back again: the helper bounds the iterations; the state
         * only has to reach a fixpoint (widened after some rounds). Only a
         * cycle within this call's callbacks: one closing on a state from
         * before the call went around the calling function's own loop,
         * which that loop has to prove. */
        if (m == 2 && cycle->number >= v->cur->callback_since[frame])
            return VISIT_PRUNED;
        struct vstored *a = ancestor_at(v->parent, pc);
        if (a && count_visit(v->cur, pc, true) > VERIFY_LOOP_UNROLL) {
            struct vstate *w = vstate_widen(v, a->state, v->cur, true);
            if (w) {
                vstate_free(v, v->cur);
                v->cur = w;
            }
        }
        return store(v, pc) < 0 ? -ENOMEM : VISIT_GO;
    }
    if (v->insn_flags[pc] & VI_CALLBACK)
        v->cur->callback_since[frame] = (uint32_t)v->res->states_stored;
    if (m == 2) {
        /* A cycle closing on a state of this path: pruned only where its
         * progress was just checked; elsewhere unrolled until a loop head. */
        if (checked && within_run(v, cycle, slot))
            return VISIT_PRUNED;
        if (!head)
            cycle = NULL;
    }
    if (head) {
        uint32_t visits = count_visit(v->cur, pc, back_edge);
        if (cycle || visits > VERIFY_LOOP_UNROLL || (back_edge && crowded(v, pc))) {
            struct vstored *a = cycle ? cycle : ancestor_at(v->parent, pc);
            int widened = a ? widen_at(v, pc, a, slot) : 0;
            if (widened < 0)
                return -ENOMEM;
            if (widened) {
                cycle = NULL;
                m = match(v, pc, &cycle);
                if (m == 1 || (m == 2 && checked && within_run(v, cycle, slot)))
                    return VISIT_PRUNED;
            } else if (cycle) {
                return vfail(v, "make every loop count toward a bound",
                             "cannot prove that the loop at instruction %u terminates: the path comes back to a state "
                             "it had", pc);
            }
        }
    } else if (!cycle) {
        /* Paths that keep arriving with different values: go on with their
         * join (it includes this state), which later ones fall into. */
        struct vstate *j = join_kept(v, pc);
        if (j) {
            vstate_free(v, v->cur);
            v->cur = j;
        }
    }
    return store(v, pc) < 0 ? -ENOMEM : VISIT_GO;
}

/* ------------------------------------------------------------------------ */
/* Setup.                                                                   */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int add_threshold(struct verifier *v, size_t *cap, int64_t t)
{
    if (v->threshold_count == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        int64_t *g = realloc(v->thresholds, *cap * sizeof(*g));
        if (!g)
            return -ENOMEM;
        v->thresholds = g;
    }
    v->thresholds[v->threshold_count++] = t;
    return 0;
}

/* Jump targets, loop heads, functions, and the constants loops are widened to. */
static int scan(struct verifier *v)
{
    const struct ebpf_insn *insns = v->prog->insns;
    size_t count = v->prog->insn_count, cap = 0;
    int rc = add_threshold(v, &cap, 0);
    for (size_t i = 0; i < v->prog->map_count && !rc; i++)
        rc = add_threshold(v, &cap, v->prog->maps[i].value_size);
    for (size_t pc = 0; pc < count && !rc; pc++) {
        const struct ebpf_insn *in = &insns[pc];
        uint8_t cls = ebpf_class(in->opcode), op = ebpf_op(in->opcode);
        if (in->opcode == EBPF_OP_LDDW) {
            if (in->src == EBPF_LDDW_CODE_ADDR)
                v->insn_flags[pc + 1 + in->imm] |= VI_FUNC | VI_PRUNE;
            v->insn_flags[pc + 1] |= VI_LDDW2;
            pc++;
            continue;
        }
        if ((cls == EBPF_CLS_ALU || cls == EBPF_CLS_ALU64) && op == EBPF_ALU_MOV &&
            ebpf_source(in->opcode) == EBPF_SRC_K) {
            /* Constants moved into registers are bounds compared against later. */
            for (int d = -1; d <= 1 && !rc; d++)
                rc = add_threshold(v, &cap, (int64_t)in->imm + d);
            continue;
        }
        if (cls != EBPF_CLS_JMP && cls != EBPF_CLS_JMP32)
            continue;
        if (op == EBPF_JMP_CALL && in->src == EBPF_CALL_HELPER) {
            const struct verify_helper *h = vhelper_find(v, (uint32_t)in->imm);
            for (int a = 0; h && a < 5; a++)
                if (h->args[a] == VERIFY_ARG_CALLBACK)
                    v->insn_flags[pc] |= VI_PRUNE | VI_CALLBACK;
        }
        if (op == EBPF_JMP_EXIT || (op == EBPF_JMP_CALL && in->src != EBPF_CALL_LOCAL))
            continue;
        long target;
        if (op == EBPF_JMP_CALL) {
            target = (long)pc + 1 + in->imm;
            v->insn_flags[target] |= VI_FUNC | VI_PRUNE;
            v->insn_flags[pc + 1] |= VI_PRUNE;
            continue;
        }
        target = (long)pc + 1 + (in->opcode == EBPF_OP_JA32 ? in->imm : in->offset);
        v->insn_flags[target] |= VI_PRUNE;
        if (op != EBPF_JMP_JA) {
            v->insn_flags[pc + 1] |= VI_PRUNE;
            if (ebpf_source(in->opcode) == EBPF_SRC_K) {
                for (int d = -1; d <= 1 && !rc; d++)
                    rc = add_threshold(v, &cap, (int64_t)in->imm + d);
                if (!rc && cls == EBPF_CLS_JMP32)
                    rc = add_threshold(v, &cap, (int64_t)(uint32_t)in->imm);
            }
        }
    }
    if (rc)
        return rc;
    qsort(v->thresholds, v->threshold_count, sizeof(int64_t), cmp_i64);
    size_t u = 0;
    for (size_t i = 0; i < v->threshold_count; i++)
        if (!u || v->thresholds[u - 1] != v->thresholds[i])
            v->thresholds[u++] = v->thresholds[i];
    v->threshold_count = u;
    return 0;
}

/* The context's rights per byte, from the profile's fields. */
static int ctx_layout(struct verifier *v)
{
    const struct verify_profile *p = v->profile;
    v->ctx_rights = calloc(p->ctx_size + 1, 1);
    v->ctx_kind = malloc(p->ctx_size + 1);
    if (!v->ctx_rights || !v->ctx_kind)
        return -ENOMEM;
    memset(v->ctx_kind, 0xff, p->ctx_size + 1);
    for (size_t i = 0; i < p->field_count; i++) {
        const struct verify_ctx_field *f = &p->fields[i];
        if (f->size > p->ctx_size || f->offset > p->ctx_size - f->size) {
            snprintf(v->res->message, sizeof(v->res->message), "profile '%s': field at %u+%u is outside the %u-byte "
                     "context", p->name, f->offset, f->size, p->ctx_size);
            return -EINVAL;
        }
        for (uint32_t b = 0; b < f->size; b++)
            v->ctx_rights[f->offset + b] = f->access;
        if (f->kind != VERIFY_FIELD_PLAIN)
            v->ctx_kind[f->offset] = f->kind;
    }
    return 0;
}

static struct vstate *initial_state(struct verifier *v)
{
    struct vstate *s = vstate_new(v);
    struct vframe *f = s ? vstate_push_frame(v, s) : NULL;
    if (!f) {
        vstate_free(v, s);
        return NULL;
    }
    f->regs[1] = (struct vreg){.type = VT_CTX, .off = vnum_const(0)};
    f->regs[EBPF_REG_FP] = (struct vreg){.type = VT_STACK, .frame = 0, .off = vnum_const(0)};
    return s;
}

static void free_all(struct verifier *v)
{
    size_t count = v->prog->insn_count;
    for (size_t pc = 0; v->stored && pc < count; pc++) {
        for (struct vstored *t = v->stored[pc], *n; t; t = n) {
            n = t->next;
            vkept_free(v, t->state);
            free(t);
        }
        if (v->loops)
            free(v->loops[pc]);
    }
    for (size_t i = 0; i < v->pending_count; i++)
        vstate_free(v, v->pending[i].state);
    vstate_free(v, v->cur);
    vstate_free(v, v->scratch);
    vstate_free_spares(v);
    free(v->pending);
    free(v->stored);
    free(v->loops);
    free(v->insn_flags);
    free(v->live);
    free(v->thresholds);
    free(v->ctx_rights);
    free(v->ctx_kind);
}

/* Prints the states kept along the rejected path (verbose mode). */
static void log_path(struct verifier *v)
{
    FILE *log = v->opts ? v->opts->log : NULL;
    if (!log)
        return;
    struct vstored *chain[64];
    size_t n = 0;
    for (struct vstored *p = v->parent; p && n < 64; p = p->parent)
        chain[n++] = p;
    fprintf(log, "path to the rejection (last %zu checkpoints, oldest first):\n", n);
    struct vstate *saved = v->cur;
    for (size_t i = n; i-- > 0;) {
        char text[VERIFY_TEXT_MAX], insn[96];
        if (!(v->cur = vkept_expand(v, chain[i]->state)))
            break;
        vreport_state(v, text, sizeof(text), 0x7ff);
        if (isa_disassemble_insn(v->prog->insns, v->prog->insn_count, chain[i]->pc, insn, sizeof(insn)) < 0)
            insn[0] = 0;
        const struct verify_line *line = verify_line_of(v->prog, chain[i]->pc);
        fprintf(log, "%u: %s", chain[i]->pc, insn);
        if (line)
            fprintf(log, "    ; %s:%u", line->file, line->line);
        fprintf(log, "\n    %s\n", text);
    }
    v->cur = saved;
}

static long step(struct verifier *v)
{
    const struct ebpf_insn *in = &v->prog->insns[v->pc];
    switch (ebpf_class(in->opcode)) {
    case EBPF_CLS_ALU:
    case EBPF_CLS_ALU64:
        return vstep_alu(v, in);
    case EBPF_CLS_LD:
        return in->opcode == EBPF_OP_LDDW ? vstep_alu(v, in) : vstep_mem(v, in);
    case EBPF_CLS_LDX:
    case EBPF_CLS_ST:
    case EBPF_CLS_STX:
        return vstep_mem(v, in);
    default:
        if (ebpf_op(in->opcode) == EBPF_JMP_CALL)
            return vstep_call(v, in);
        if (ebpf_op(in->opcode) == EBPF_JMP_EXIT)
            return vstep_exit(v);
        return vstep_jump(v, in);
    }
}

static int explore(struct verifier *v)
{
    size_t steps = 0;
    for (;;) {
        if (!v->cur) {
            if (!v->pending_count)
                return 0;
            struct vpending p = v->pending[--v->pending_count];
            v->cur = p.state;
            switch_path(v, p.parent);
            v->pc = p.pc;
            v->from = p.from;
        }
        /* A caller's own limit bounds the time too: each comparison with a kept state counts as a step. */
        bool own = v->opts && v->opts->max_steps;
        size_t most = own ? v->opts->max_steps : VERIFY_MAX_STEPS;
        if (++steps + (own ? v->compares : 0) > most) {
            vfail(v, "split the program into smaller functions or tail calls, or bound its loops by constants",
                  "program too complex: more than %zu instructions interpreted%s", most,
                  own ? " and kept states compared" : "");
            return -1;
        }
        int rc = 0;
        if (v->insn_flags[v->pc] & VI_PRUNE) {
            rc = visit(v);
            if (rc == -ENOMEM)
                return rc;
            if (rc < 0)
                return -1;
        }
        long next = rc == VISIT_PRUNED ? VSTEP_END : step(v);
        if (next == VSTEP_FAIL)
            return -1;
        if (next == -ENOMEM)
            return -ENOMEM;
        if (next == VSTEP_END) {
            path_done(v->parent);
            vstate_free(v, v->cur);
            v->cur = NULL;
            continue;
        }
        v->from = v->pc;
        v->pc = (uint32_t)next;
        v->res->insns_processed = steps;
    }
}

int verify_program(const struct verify_profile *profile, const struct verify_program *prog,
                   const struct verify_options *opts, struct verify_result *res)
{
    memset(res, 0, sizeof(*res));
    if (!profile || !prog || !prog->insns || !prog->insn_count) {
        snprintf(res->message, sizeof(res->message), "nothing to verify");
        return -EINVAL;
    }
    struct verifier v = {.profile = profile, .prog = prog, .opts = opts, .res = res, .from = UINT32_MAX};
    struct isa_error ierr;
    if (isa_validate(prog->insns, prog->insn_count, &ierr) != 0) {
        v.pc = (uint32_t)ierr.pc;
        vfail(&v, NULL, "%s", ierr.msg);
        return 0;
    }
    size_t count = prog->insn_count;
    int rc = -ENOMEM;
    v.insn_flags = calloc(count + 1, 1);
    v.stored = calloc(count + 1, sizeof(*v.stored));
    v.loops = calloc(count + 1, sizeof(*v.loops));
    if (v.insn_flags && v.stored && v.loops)
        rc = ctx_layout(&v);
    if (!rc)
        rc = scan(&v);
    if (!rc)
        rc = vfind_loops(&v);
    if (!rc)
        rc = vliveness(&v);
    if (!rc && !(v.cur = initial_state(&v)))
        rc = -ENOMEM;
    if (!rc) {
        rc = explore(&v);
        if (rc == -1 && v.failed) {
            log_path(&v);
            rc = 0;
        }
    }
    if (rc == -ENOMEM)
        snprintf(res->message, sizeof(res->message), "out of memory");
    res->accepted = rc == 0 && !v.failed;
    free_all(&v);
    return rc;
}

const struct verify_line *verify_line_of(const struct verify_program *prog, size_t insn)
{
    const struct verify_line *best = NULL;
    size_t lo = 0, hi = prog->line_count;
    while (lo < hi) { /* the last record at or before insn */
        size_t mid = (lo + hi) / 2;
        if (prog->lines[mid].insn <= insn) {
            best = &prog->lines[mid];
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return best;
}
