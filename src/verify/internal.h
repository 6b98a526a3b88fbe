/*
 * Private to src/verify: the abstract domain (numbers, registers, stack,
 * states) and the analysis driver's interfaces. The layer's interface is
 * verify.h.
 */
#ifndef BPFHOST_VERIFY_INTERNAL_H
#define BPFHOST_VERIFY_INTERNAL_H

#include <string.h>

#include "verify/verify.h"

/* ------------------------------------------------------------------------ */
/* Numbers: known bits (tnum) and signed/unsigned 64-bit ranges.            */

struct vnum {
    int64_t smin, smax;
    uint64_t umin, umax;
    uint64_t tval, tmask; /* known bits: bit i is tval's where tmask's is 0 */
};

struct vnum vnum_const(uint64_t v);
struct vnum vnum_unknown(void);
struct vnum vnum_urange(uint64_t lo, uint64_t hi);
/* Tightens every view from the others; false if the value set is empty. */
bool vnum_sync(struct vnum *n);
bool vnum_is_const(const struct vnum *n);
/* True if every value of a is a value of b. */
bool vnum_within(const struct vnum *a, const struct vnum *b);
/* Smallest set holding both. */
struct vnum vnum_join(const struct vnum *a, const struct vnum *b);
/* Like join, but bounds that grew jump to the next threshold (sorted ascending). */
struct vnum vnum_widen(const struct vnum *old, const struct vnum *grown, const int64_t *thresholds, size_t count);
/* The value truncated to its low 32 bits, zero-extended. */
struct vnum vnum_zext32(const struct vnum *n);
/* The value's low 32 bits sign-extended. */
struct vnum vnum_sext32(const struct vnum *n);
/* ALU operation op (EBPF_ALU_*) on 64-bit values; 32-bit variants truncate after. */
struct vnum vnum_alu(uint8_t op, const struct vnum *a, const struct vnum *b, bool is64);
/* Byte swap / width truncation of EBPF_ALU_END with width bits. */
struct vnum vnum_end(const struct vnum *a, unsigned width, bool swap);
/* Sign-extension of the low `bits` bits (movsx, ldxs). */
struct vnum vnum_sext(const struct vnum *a, unsigned bits);
/* Writes "[lo, hi]" style text. */
int vnum_print(char *buf, size_t len, const struct vnum *n);

/*
 * Refines a and b knowing that (a OP b) is taken (taken) or not, for jump
 * op EBPF_JMP_*; 32-bit compares refine only values known to fit. False if
 * that outcome is impossible.
 */
bool vnum_refine(uint8_t op, bool is64, bool taken, struct vnum *a, struct vnum *b);
/* 1 if (a OP b) always holds, 0 if never, -1 if unknown. */
int vnum_compare(uint8_t op, bool is64, const struct vnum *a, const struct vnum *b);

/* ------------------------------------------------------------------------ */
/* Registers.                                                               */

enum { VTRACK = 3 }; /* nested loops whose termination is tracked at once */

enum vtype {
    VT_NOT_INIT = 0,
    VT_SCALAR,
    VT_CTX,
    VT_STACK,
    VT_MAP_PTR,
    VT_MAP_PTR_OR_NULL,
    VT_MAP_VALUE,
    VT_MAP_VALUE_OR_NULL,
    VT_PACKET,
    VT_PACKET_END,
    VT_PACKET_META,
    VT_MEM,         /* helper memory: ring-buffer record */
    VT_MEM_OR_NULL,
    VT_FUNC,        /* code address (callback) */
};

/*
 * A register's abstract value. Pointers: off is the offset (a number; for
 * packet pointers the variable part shared by pointers of the same id,
 * with the constant part in pkt_off). Scalars: off is the value.
 */
struct vreg {
    uint8_t type;
    uint8_t frame;   /* VT_STACK: the frame it points into */
    uint8_t dvalid;  /* bit i: the loop delta of tracking slot i is meaningful */
    uint8_t dwhere[VTRACK]; /* the place (register, or EBPF_REG_COUNT + stack slot) whose value at loop head i
                               the delta's lower end counts from: it moves with the value, so a copy's delta is
                               not the place's own */
    uint8_t dwhere_hi[VTRACK]; /* bounds.c: the place the upper end counts from (value <= its head value + dhi) */
    uint8_t dtwice;  /* bounds.c: bit i: both ends count from twice the places' head values (a sum of two) */
    uint8_t ge_at, le_at; /* bounds.c: register + 1 this number is >= (ge) or <= (le) of, plus ge_k / le_k, while
                             that register holds identity ge_id / le_id; 0 none */
    int32_t ge_k, le_k;
    uint32_t ge_id, le_id;
    uint32_t stride, srem; /* bounds.c: a number not negative that is srem modulo stride (stride >= 2); 0 none */
    uint32_t map;    /* map index (map pointers, map values); VT_FUNC: target slot */
    uint32_t id;     /* OR_NULL / packet variable-part / equal-scalars identity */
    uint32_t ref;    /* reference (ring-buffer record) this pointer carries, 0 none */
    int32_t pkt_off; /* VT_PACKET*: constant part */
    int32_t range;   /* VT_PACKET: bytes from data + off known before the end */
    uint32_t mem_size; /* VT_MEM*: size of the memory */
    int32_t pkt_len_of; /* VT_SCALAR: k + 1 when the number is at most end - (data + k); 0 unknown */
    int32_t dlo[VTRACK], dhi[VTRACK]; /* change since each tracked loop head's state (loop termination) */
    uint32_t lin;        /* relations.c: off = lin_k * anchor lin + lin_c (modulo 2^64); 0 none */
    int32_t lin_k;
    int64_t lin_c;
    struct vnum off;
};

bool vtype_is_pointer(uint8_t type);
bool vtype_is_or_null(uint8_t type);
const char *vtype_name(uint8_t type);

/* ------------------------------------------------------------------------ */
/* Stack and states.                                                        */

enum { VSLOTS = EBPF_STACK_SIZE / 8 };

/* What is known of a stack byte. */
enum vbyte { VB_UNINIT = 0, VB_MISC, VB_ZERO, VB_SPILL };

struct vframe {
    struct vreg regs[EBPF_REG_COUNT];
    uint8_t bytes[EBPF_STACK_SIZE]; /* enum vbyte; byte i is at fp - 512 + i */
    struct vreg spill[VSLOTS];      /* the register spilled in each 8-byte slot (VB_SPILL bytes) */
    uint8_t spill_off[VSLOTS];      /* where in the slot it starts */
    uint8_t spill_size[VSLOTS];     /* its size: 8, or 1, 2, 4 for numbers; 0 none */
    uint32_t callsite;              /* the call instruction that made this frame (not frame 0) */
    uint8_t callback;               /* a helper's callback: returns to the helper call itself */
};

enum { VREFS_MAX = 16, VLOOPS = 8 };

/* True if slot k of f holds a spilled register. */
static inline bool vslot_spilled(const struct vframe *f, int k)
{
    return f->spill_size[k] && f->bytes[k * 8 + f->spill_off[k]] == VB_SPILL;
}

/* The 8 stack bytes of slot k of f as one word. */
static inline uint64_t vslot_word(const struct vframe *f, int k)
{
    uint64_t w;
    memcpy(&w, &f->bytes[k * 8], 8);
    return w;
}

/* Bit 0 of each byte of word w (stack bytes) set where that byte is VB_SPILL (3: both bits set). */
static inline uint64_t vspill_bytes(uint64_t w)
{
    return w & (w >> 1) & 0x0101010101010101ULL;
}

struct vstate {
    uint32_t frame_count;
    uint32_t ref_count;
    uint32_t refs[VREFS_MAX]; /* outstanding references (ring-buffer records) */
    uint32_t loop_since[VTRACK]; /* the number of the first state stored in each tracked loop's current run */
    uint32_t loop_head[VTRACK]; /* pc + 1 of each tracked loop head, outermost first; 0 unused */
    uint8_t head_same[VTRACK][EBPF_REG_COUNT]; /* bounds.c: per tracked loop, the lowest register that held the
                                                 same number as each register at the head */
    int32_t packet_known;     /* bytes from the packet's start proven present (survives reloads of data) */
    uint32_t loop_pc[VLOOPS]; /* visits of loop heads on this path (pc + 1, count) */
    uint32_t loop_visits[VLOOPS];
    /* Per frame: the number of the first state stored since the path last came to a call that calls back
     * (not from the callback): a cycle there proves the callbacks reached a fixpoint only after it. */
    uint32_t callback_since[EBPF_MAX_CALL_DEPTH];
    struct vframe *frames[EBPF_MAX_CALL_DEPTH];
};

/* ------------------------------------------------------------------------ */
/* The analysis.                                                            */

/* A state kept at a prune point. */
struct vstored {
    struct vkept *state;
    struct vstored *parent; /* the previous stored state on its path */
    struct vstored *next;   /* next at the same pc */
    uint32_t pc;
    uint32_t branches;      /* paths still being explored below it */
    uint8_t types[EBPF_REG_COUNT]; /* its innermost frame's register types, to rule states out quickly */
    uint8_t frame_count;
    uint32_t number;        /* states stored before it */
    bool on_path;           /* an ancestor of the path being explored (kept up to date as paths change) */
    uint32_t miss;          /* state.c: where the last state compared with it was not within it, 0 none */
};

/* A path waiting to be explored. */
struct vpending {
    struct vstate *state;
    struct vstored *parent;
    uint32_t pc;
    uint32_t from; /* the instruction that branched here */
};

enum { VPLACES = EBPF_REG_COUNT + VSLOTS, VMEASURE_RETURNS = 32 };

struct vloop {          /* termination evidence of a widened loop head */
    bool started;
    bool up[VPLACES], down[VPLACES];
    /* bounds.c: places that never moved the wrong way on any return (within a bounded range), and for each
     * distinct return seen, the places that moved strictly toward their bound on it */
    bool mono_up[VPLACES], mono_down[VPLACES];
    bool measure_failed; /* more distinct returns than kept, or one with no strict move */
    uint32_t return_count;
    uint64_t strict_up[VMEASURE_RETURNS][2], strict_down[VMEASURE_RETURNS][2];
};

struct verifier {
    size_t compares;         /* kept states compared with the current one (see verify_options.max_steps) */
    const struct verify_profile *profile;
    const struct verify_program *prog;
    const struct verify_options *opts;
    struct verify_result *res;
    uint8_t *ctx_rights;     /* ctx_size bytes */
    uint8_t *ctx_kind;       /* ctx_size bytes: enum verify_field_kind at a field's first byte, else 0xff */
    uint8_t *insn_flags;     /* per slot: VI_* */
    uint16_t *live;          /* per slot: registers read before written on some path from it */
    struct vstored **stored; /* per slot: states kept there */
    struct vloop **loops;    /* per slot: loop evidence, once widened */
    int64_t *thresholds;
    size_t threshold_count;
    struct vpending *pending;
    size_t pending_count, pending_cap;
    uint32_t next_id;
    size_t bytes_now;
    bool failed;
    bool helper_pointers; /* the helper being checked may read bytes of pointers */
    struct vframe **spare; /* state.c: freed frames, reused before allocating */
    struct vstate *scratch; /* kept.c: a kept state made whole again (vkept_expand) */
    size_t spare_count, spare_cap;
    /* The path being explored. */
    struct vstate *cur;
    struct vstored *parent;
    uint32_t pc;
    uint32_t from; /* the instruction executed before pc on this path */
};

/* insn_flags bits. */
enum {
    VI_PRUNE = 1,     /* a jump target or a call's return point: states are compared here */
    VI_LOOP_HEAD = 2, /* target of a backward edge */
    VI_LDDW2 = 4,     /* second slot of an lddw */
    VI_FUNC = 8,      /* first slot of a function (call or callback target) */
    VI_CALLBACK = 16, /* a helper call that calls back: the helper bounds how often */
    VI_BACK_NEXT = 32, /* the fall-through edge from here returns to a loop head */
    VI_BACK_JUMP = 64, /* the jump from here returns to a loop head */
};

enum {
    VERIFY_LOOP_UNROLL = 16,       /* visits of a loop head on one path before widening */
    VERIFY_HEAD_CROWDED = 64,      /* states kept at a loop head before any return to it is widened */
    VERIFY_MAX_ITERATIONS = 1 << 23, /* most iterations a proven loop may run */
    VERIFY_MAX_STEPS = 1000000,    /* instructions interpreted before "too complex" (Linux's limit) */
    VERIFY_MAX_KEPT = 64,          /* states kept at one point: later ones are compared, not kept */
    VERIFY_MAX_KEPT_HEAD = 4096,    /* the same at loop heads, where cycles are found */
    VERIFY_JOIN_AFTER = 8,         /* states kept at a point before new ones are joined into one */
};

/* loops.c: marks loop heads (VI_LOOP_HEAD) and the edges returning to them; 0 or -ENOMEM. */
int vfind_loops(struct verifier *v);
/* loops.c: true if the edge from -> to returns to a loop head (from may be past the program: none). */
bool vback_edge(const struct verifier *v, uint32_t from, uint32_t to);

/* relations.c: gives r (a number or pointer without one) a new anchor of its own; false if it cannot have one. */
bool vlin_anchor(struct verifier *v, struct vreg *r);
/* relations.c: r's relation after adding c to its number. */
void vlin_add(struct vreg *r, uint64_t c);
/* relations.c: r's relation after multiplying its number by m (dropped if it cannot be kept). */
void vlin_scale(struct vreg *r, int64_t m);
/* relations.c: narrows every related register's range from the others of its group. */
void vlin_narrow(struct vstate *s);
/* relations.c: true if n keeps every relation of o (and bound, bounds.c). */
bool vlin_within(const struct vstate *n, const struct vstate *o);
/* relations.c: the relations of w, the join of a and b (same shape): those holding in both (and their bounds,
 * bounds.c); false if a join that is no loop widening would merge states a comparison told apart. */
bool vlin_join(struct verifier *v, struct vstate *w, const struct vstate *a, const struct vstate *b, bool widen);

/* bounds.c: numbers bounded by loop-head values and by other registers, and strides.
 * Measures r's changes from now on in tracked loop slot (r is the value at place of frame of s), from its own
 * value (the same place for registers holding the same number). */
void vbound_reset(const struct vstate *s, uint32_t frame, struct vreg *r, int slot, int place);
/* bounds.c: the head-equality table of slot, from the registers' identities at the head (innermost frame). */
void vbound_head_same(struct vstate *s, int slot);
/* bounds.c: r = d OP src (numbers; r holds the result's range, its delta set for constant additions): keeps or
 * drops r's bounds and stride. */
void vbound_alu(struct vreg *r, const struct vreg *d, const struct vreg *src, uint8_t op, bool is64);
/* bounds.c: after a compare of two registers refined its outcomes: records what each proves (NULL: impossible). */
void vbound_compare(struct verifier *v, struct vstate *taken, struct vstate *fall, const struct ebpf_insn *in);
/* bounds.c: the outcome of the compare of two registers that their differences decide: 1 taken, 0 not, -1
 * unknown. */
int vbound_decide(const struct vstate *s, const struct ebpf_insn *in);
/* bounds.c: true if n keeps every bound of o (same shape). */
bool vbound_within(const struct vstate *n, const struct vstate *o);
/* bounds.c: w, the join of a and b, keeps the bounds holding in both. */
void vbound_join(struct verifier *v, struct vstate *w, const struct vstate *a, const struct vstate *b, bool widen);
/* bounds.c: true if a difference recorded in a or b puts them on opposite sides of a comparison. */
bool vbound_apart(const struct vstate *a, const struct vstate *b);
/* bounds.c: a return to tracked loop head pc (slot): records which values moved; false if no measure made of
 * values that only move toward their bounds shrinks on every return seen. */
bool vbound_measure(struct verifier *v, struct vloop *l, int slot);

/* strides.c: narrows the range of every number of s's innermost frame to the values its stride allows. */
void vstride_tighten(struct vstate *s);
/* strides.c: w's stride after the join of a and b: the largest step both sets of values keep. */
void vstride_join(struct vreg *w, const struct vreg *a, const struct vreg *b);
/* strides.c: whether n's values are among those o's stride allows. */
bool vstride_within(const struct vreg *n, const struct vreg *o);
/* strides.c: r's stride after its number moved by c (exactly, staying not negative). */
void vstride_add(struct vreg *r, int64_t c);

/* format.c: checks the format string of printf-like helper h (VERIFY_HELPER_FORMAT) against the values of the
 * call; 0 or -1 after vfail. */
int vcheck_format(struct verifier *v, const struct verify_helper *h);

/* liveness.c: computes live; 0 or -ENOMEM. */
int vliveness(struct verifier *v);
/* Forgets the registers of s no path from pc reads (in every frame). */
void vforget_dead(struct verifier *v, struct vstate *s, uint32_t pc);

/* state.c */
struct vstate *vstate_new(struct verifier *v);
struct vstate *vstate_copy(struct verifier *v, const struct vstate *s);
void vstate_free(struct verifier *v, struct vstate *s);
/* Frees the frames kept for reuse. */
void vstate_free_spares(struct verifier *v);
/* Pushes a new frame (all registers uninitialised, stack uninitialised). */
struct vframe *vstate_push_frame(struct verifier *v, struct vstate *s);
void vstate_pop_frame(struct verifier *v, struct vstate *s);
/* Counts delta bytes more (or fewer) held for states (verify_result.peak_bytes). */
void vstate_account(struct verifier *v, long delta);
/* old joined with s (widened: grown bounds jump to the next threshold); NULL if their shapes differ or on
 * allocation failure. */
struct vstate *vstate_widen(struct verifier *v, const struct vkept *old, const struct vstate *s, bool widen);

/* kept.c: a state kept at a prune point, compact: of its registers and spilled registers only those that
 * hold something. */
struct vkept;
/* A kept copy of s; NULL if out of memory. */
struct vkept *vkept_make(struct verifier *v, const struct vstate *s);
void vkept_free(struct verifier *v, struct vkept *k);
/* The kept state's own fields (references, loop bookkeeping); its frames are not there. */
const struct vstate *vkept_head(const struct vkept *k);
/* The kept state whole, in v->scratch (valid until the next call); NULL if out of memory. */
struct vstate *vkept_expand(struct verifier *v, const struct vkept *k);
/* True if every concrete state of s is one of k (s can be pruned). *miss: 0, or where the last state compared
 * with k was not within it (checked first, then updated). Out of memory: false. */
bool vkept_within(struct verifier *v, const struct vstate *s, const struct vkept *k, uint32_t *miss);
static inline struct vframe *vcur(const struct vstate *s) { return s->frames[s->frame_count - 1]; }
/* Sets every register and spill of s with identity id to value (keeping their own offsets for pointers). */
void vstate_mark_id(struct vstate *s, uint32_t id, void (*fn)(struct vreg *r, void *arg), void *arg);
/* Calls fn on every register and spilled register of every frame. */
void vstate_each_reg(struct vstate *s, void (*fn)(struct vreg *r, void *arg), void *arg);

/* analyze.c: fails verification at the current pc with a message and a hint (printf formats). */
int vfail(struct verifier *v, const char *hint, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Queues the branch state s to continue at pc. 0 or -ENOMEM. */
int vpush(struct verifier *v, struct vstate *s, uint32_t pc);
uint32_t vnew_id(struct verifier *v);

/* step_*.c: each interprets the instruction at v->pc on v->cur; returns the next pc
 * (or VSTEP_END when the path ended, VSTEP_FAIL after vfail). */
enum { VSTEP_END = -1, VSTEP_FAIL = -2 };
long vstep_alu(struct verifier *v, const struct ebpf_insn *in);
long vstep_mem(struct verifier *v, const struct ebpf_insn *in);
long vstep_jump(struct verifier *v, const struct ebpf_insn *in);
long vstep_call(struct verifier *v, const struct ebpf_insn *in);
long vstep_exit(struct verifier *v);

/* step_mem.c: checks that [ptr + off, + size) is accessible with rights, for a helper argument
 * (pointers: the helper may read bytes of pointers, which then only reach the host). */
int vcheck_mem(struct verifier *v, int regno, const struct vreg *ptr, int64_t off, uint64_t size_max,
               unsigned rights, bool pointers);
/* step_mem.c: marks [ptr, + size_max) written by a helper (stack bytes become initialised). */
void vmark_written(struct verifier *v, const struct vreg *ptr, uint64_t size_max);

/* helper_calls.c: the helper id names for this profile, or NULL. */
const struct verify_helper *vhelper_find(const struct verifier *v, uint32_t id);

/* linux_helpers.c: Linux's name of helper id, or NULL. */
const char *vlinux_helper_name(uint32_t id);

/* report.c */
void vreport_reg(char *buf, size_t len, const struct verifier *v, const struct vreg *r);
void vreport_state(struct verifier *v, char *buf, size_t len, unsigned regs_mask);
const char *vhelper_name(const struct verifier *v, uint32_t id);

/* Sets r to an unknown number. */
static inline void vreg_unknown(struct vreg *r)
{
    *r = (struct vreg){.type = VT_SCALAR, .off = vnum_unknown()};
}
/* Sets r to a known number. */
static inline void vreg_const(struct vreg *r, uint64_t c)
{
    *r = (struct vreg){.type = VT_SCALAR, .off = vnum_const(c)};
}

#endif
