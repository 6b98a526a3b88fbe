/*
 * Loads, stores and atomics, and the memory checks of helper arguments.
 * Every access must fall inside the region its pointer points into: the
 * context (declared fields with their rights; the packet pointers only as
 * whole fields), the stack of a frame (byte-precise initialisation,
 * pointers kept only as whole aligned 8-byte spills), a map value (its
 * size; read-only global data never written), the packet (only the bytes a
 * comparison with the end proved present) or a helper's memory (its size).
 * A pointer is never stored anywhere but the stack.
 */
#include <errno.h>
#include <string.h>

#include "verify/internal.h"

static const unsigned access_size[4] = {4, 2, 1, 8}; /* by EBPF_SIZE_* >> 3 */

static const char *region_hint(uint8_t type)
{
    switch (type) {
    case VT_MAP_VALUE_OR_NULL:
        return "check the value returned by bpf_map_lookup_elem against NULL before using it";
    case VT_MEM_OR_NULL:
        return "check the record returned by bpf_ringbuf_reserve against NULL before using it";
    default:
        return "only pointers to the context, the stack, map values, checked packet bytes or ring-buffer records "
               "can be dereferenced";
    }
}

/* An access through something that is no usable pointer. */
static int bad_base(struct verifier *v, int regno, const struct vreg *p)
{
    if (p->type == VT_NOT_INIT)
        return vfail(v, "assign the register before this instruction on every path", "r%d is used before it is set",
                     regno);
    if (p->type == VT_SCALAR && vnum_is_const(&p->off) && p->off.umin == 0)
        return vfail(v, region_hint(VT_MAP_VALUE_OR_NULL), "r%d is NULL here: dereferencing it", regno);
    if (vtype_is_or_null(p->type))
        return vfail(v, region_hint(p->type), "r%d may be NULL (%s): dereferenced without a NULL check", regno,
                     vtype_name(p->type));
    return vfail(v, region_hint(p->type), "r%d is a %s: it cannot be dereferenced", regno, vtype_name(p->type));
}

/* The offset range [lo, hi] of an access at off from p. */
static bool bounds(const struct vreg *p, int64_t off, int64_t *lo, int64_t *hi)
{
    if (p->off.smin < -(1LL << 40) || p->off.smax > (1LL << 40))
        return false;
    *lo = p->off.smin + off;
    *hi = p->off.smax + off;
    return true;
}

/* end + off as a message shows it: saturated, since an offset range may reach the ends of int64. */
static long long shown_end(int64_t end, int64_t off)
{
    int64_t sum;
    return __builtin_add_overflow(end, off, &sum) ? (off > 0 ? INT64_MAX : INT64_MIN) : sum;
}

/* A field of the context that yields a pointer and overlaps [lo, lo + size). */
static const struct verify_ctx_field *pointer_field(const struct verifier *v, int64_t lo, uint64_t size)
{
    for (size_t i = 0; i < v->profile->field_count; i++) {
        const struct verify_ctx_field *f = &v->profile->fields[i];
        if (f->kind != VERIFY_FIELD_PLAIN && lo < (int64_t)(f->offset + f->size) && (int64_t)f->offset < lo + (int64_t)size)
            return f;
    }
    return NULL;
}

static int ctx_access(struct verifier *v, int regno, const struct vreg *p, int64_t off, uint64_t size,
                      unsigned rights, bool helper, struct vreg *loaded)
{
    /* Loads and stores go through the context pointer itself (fields are
     * known by their offset in the instruction); helpers may get &ctx->field. */
    if (!vnum_is_const(&p->off) || (p->off.umin != 0 && !helper))
        return vfail(v, "access context fields through the context pointer itself (ctx->field), not a moved copy",
                     "r%d: access through a modified context pointer (offset %s)", regno,
                     vnum_is_const(&p->off) ? "constant, not 0" : "variable");
    int64_t lo = off + (int64_t)p->off.umin;
    if (lo < 0 || (uint64_t)lo + size > v->profile->ctx_size)
        return vfail(v, "read only the fields the program type's context declares",
                     "context access at offset %lld, %llu bytes: outside the %u-byte context of '%s'", (long long)lo,
                     (unsigned long long)size, v->profile->ctx_size, v->profile->name);
    const struct verify_ctx_field *pf = pointer_field(v, lo, size);
    if (pf && helper && v->helper_pointers && !(rights & VERIFY_WRITE))
        pf = NULL; /* the bytes only reach the host */
    if (pf) {
        if (helper || (rights & VERIFY_WRITE))
            return vfail(v, "the packet pointers of the context are the host's: read them whole, never write them",
                         "%s the context's packet pointer field at offset %u", helper ? "passing to a helper" : "writing",
                         pf->offset);
        if ((int64_t)pf->offset != lo || pf->size != size)
            return vfail(v, "read the packet pointer field whole (its declared size)",
                         "partial read of the context's pointer field at offset %u (%u bytes): %llu bytes at %lld",
                         pf->offset, pf->size, (unsigned long long)size, (long long)lo);
        uint8_t t = pf->kind == VERIFY_FIELD_PACKET ? VT_PACKET
                    : pf->kind == VERIFY_FIELD_PACKET_END ? VT_PACKET_END : VT_PACKET_META;
        *loaded = (struct vreg){.type = t, .off = vnum_const(0)};
        if (t == VT_PACKET)
            loaded->range = v->cur->packet_known;
        return 0;
    }
    for (uint64_t b = 0; b < size; b++)
        if ((v->ctx_rights[lo + b] & rights) != rights)
            return vfail(v, rights & VERIFY_WRITE ? "this context field is read-only for this program type"
                                                  : "read only the fields the program type's context declares",
                         "context offset %lld is not %s for programs of type '%s'", (long long)(lo + b),
                         rights & VERIFY_WRITE ? "writable" : "readable", v->profile->name);
    if (loaded)
        loaded->type = VT_SCALAR;
    return 0;
}

/* Stack bytes [lo, hi) of frame f, as indexes into bytes[]. */
static int stack_range(struct verifier *v, int regno, const struct vreg *p, int64_t off, uint64_t size, int64_t *lo,
                       int64_t *hi)
{
    int64_t a = 0, b = 0;
    if (!bounds(p, off, &a, &b))
        return vfail(v, "check variable indexes against the array size before using them",
                     "r%d: stack access at an unbounded offset", regno);
    if (a < -EBPF_STACK_SIZE || b + (int64_t)size > 0)
        return vfail(v, "keep stack accesses inside the 512-byte frame (check variable indexes against the array size)",
                     "r%d: stack access fp%lld..fp%lld, %llu bytes, outside the frame [-512, 0)", regno, (long long)a,
                     (long long)b, (unsigned long long)size);
    *lo = a + EBPF_STACK_SIZE;
    *hi = b + EBPF_STACK_SIZE + (int64_t)size;
    return 0;
}

/* Reads stack bytes [lo, hi) of f into loaded (a number unless an exact fill). */
static int stack_read(struct verifier *v, int regno, struct vframe *f, int64_t lo, int64_t hi, bool exact, uint64_t size,
                      struct vreg *loaded, bool helper)
{
    int k = (int)(lo / 8);
    if (exact && vslot_spilled(f, k) && lo == k * 8 + f->spill_off[k] && size == f->spill_size[k]) {
        if (loaded)
            *loaded = f->spill[k];
        if (!helper || f->spill[k].type == VT_SCALAR)
            return 0;
    }
    bool all_zero = true;
    for (int64_t i = lo; i < hi; i++) {
        uint8_t b = f->bytes[i];
        if (b == VB_UNINIT)
            return vfail(v, "initialise the stack variable (or the whole buffer, e.g. with __builtin_memset) before "
                         "it is read or passed to a helper", "r%d: reads uninitialised stack at fp-%lld", regno,
                         (long long)(EBPF_STACK_SIZE - i));
        if (b == VB_SPILL && f->spill[i / 8].type != VT_SCALAR && !v->profile->allow_pointer_leaks &&
            !(helper && v->helper_pointers))
            return vfail(v, "a pointer kept on the stack can only be read back whole into a register",
                         "r%d: %s bytes of a %s spilled at fp-%lld", regno, helper ? "a helper reads" : "reads",
                         vtype_name(f->spill[i / 8].type), (long long)(EBPF_STACK_SIZE - (i & ~7LL)));
        if (b != VB_ZERO)
            all_zero = false;
    }
    if (loaded) {
        if (all_zero)
            vreg_const(loaded, 0);
        else
            vreg_unknown(loaded);
    }
    return 0;
}

/* Writes value (a number, or a pointer spilled whole) over stack bytes [lo, hi). */
static int stack_write(struct verifier *v, int regno, struct vframe *f, int64_t lo, int64_t hi, bool exact,
                       const struct vreg *value)
{
    bool ptr = value && vtype_is_pointer(value->type);
    int64_t size = hi - lo;
    if (ptr && !(exact && size == 8 && lo % 8 == 0) && !v->profile->allow_pointer_leaks)
        return vfail(v, "store pointers on the stack only whole (8 bytes) at 8-byte aligned offsets",
                     "r%d: partial or unaligned store of a %s on the stack", regno, vtype_name(value->type));
    for (int64_t k = lo / 8; k * 8 < hi; k++) {
        if (!vslot_spilled(f, (int)k))
            continue;
        /* A spilled register is (partly) overwritten: what is left of it is a
         * number's bytes, or unreadable if it was a pointer's. */
        uint8_t rest = f->spill[k].type == VT_SCALAR ? VB_MISC : VB_UNINIT;
        memset(&f->bytes[k * 8 + f->spill_off[k]], rest, f->spill_size[k]);
        f->spill_size[k] = 0;
    }
    /* Whole registers, and numbers at offsets aligned to their size, are kept as spills. */
    if (exact && value && (size == 8 || (!ptr && (size == 4 || size == 2 || size == 1))) && lo % size == 0) {
        int k = (int)(lo / 8);
        f->spill[k] = *value;
        f->spill_off[k] = (uint8_t)(lo % 8);
        f->spill_size[k] = (uint8_t)size;
        memset(&f->bytes[lo], VB_SPILL, (size_t)size);
        return 0;
    }
    bool zero = value && value->type == VT_SCALAR && vnum_is_const(&value->off) && value->off.umin == 0;
    for (int64_t i = lo; i < hi; i++) {
        if (!exact) /* a variable offset may write any of these bytes: none becomes known */
            f->bytes[i] = f->bytes[i] == VB_UNINIT ? VB_UNINIT : (zero && f->bytes[i] == VB_ZERO ? VB_ZERO : VB_MISC);
        else
            f->bytes[i] = zero ? VB_ZERO : VB_MISC;
    }
    return 0;
}

/* Checks an access of size bytes at off from p (rights: VERIFY_READ and/or VERIFY_WRITE). */
static int region_access(struct verifier *v, int regno, const struct vreg *p, int64_t off, uint64_t size,
                         unsigned rights, bool helper, struct vreg *loaded)
{
    int64_t lo = 0, hi = 0; /* set where used; gcc -O3 cannot see it */
    switch (p->type) {
    case VT_CTX:
        return ctx_access(v, regno, p, off, size, rights, helper, loaded);
    case VT_STACK:
        return stack_range(v, regno, p, off, size, &lo, &hi);
    case VT_MAP_VALUE: {
        const struct verify_map *m = &v->prog->maps[p->map];
        if (!bounds(p, off, &lo, &hi) || lo < 0 || hi + (int64_t)size > (int64_t)m->value_size)
            return vfail(v, "check the index against the value's size before using it",
                         "r%d: map value access %lld..%lld (%llu bytes) outside the %u-byte value of map '%s'", regno,
                         shown_end(p->off.smin, off), shown_end(p->off.smax, off), (unsigned long long)size,
                         m->value_size, m->name);
        if ((rights & VERIFY_WRITE) && m->read_only)
            return vfail(v, "constants (.rodata) cannot be written", "r%d: write to read-only map '%s'", regno,
                         m->name);
        break;
    }
    case VT_MEM:
        if (!bounds(p, off, &lo, &hi) || lo < 0 || hi + (int64_t)size > (int64_t)p->mem_size)
            return vfail(v, "stay inside the reserved record", "r%d: access %lld..%lld (%llu bytes) outside the "
                         "%u-byte record", regno, shown_end(p->off.smin, off), shown_end(p->off.smax, off),
                         (unsigned long long)size, p->mem_size);
        break;
    case VT_PACKET:
    case VT_PACKET_META: {
        unsigned have = v->profile->packet_access;
        if ((have & rights) != rights)
            return vfail(v, "use the helpers of this program type to read or change the packet",
                         "r%d: programs of type '%s' may not %s the packet directly", regno, v->profile->name,
                         rights & VERIFY_WRITE && (have & VERIFY_READ) ? "write" : "read");
        int64_t start = (int64_t)p->pkt_off + off;
        /* Proven by a comparison of this pointer's group, or inside the bytes known from the start. */
        bool by_start = p->type == VT_PACKET && p->off.umax <= 0xffff &&
                        start + (int64_t)p->off.umax + (int64_t)size <= v->cur->packet_known;
        if (start < 0 || p->off.smin < 0 || (start + (int64_t)size > p->range && !by_start))
            return vfail(v, "compare the pointer plus the access size with data_end (if (p + n > data_end) return) "
                         "before the access", "r%d: packet access at offset %lld, %llu bytes, is not proven inside "
                         "the packet (checked: %d bytes)", regno, (long long)start, (unsigned long long)size,
                         p->range);
        break;
    }
    default:
        return bad_base(v, regno, p);
    }
    if (loaded)
        vreg_unknown(loaded);
    return 0;
}

/* Narrows a loaded number to its size (zero- or sign-extended). */
static void narrow(struct vreg *r, unsigned size, bool sext)
{
    if (r->type != VT_SCALAR || size == 8)
        return;
    if (sext || r->off.umax >> (size * 8))
        r->lin = 0; /* the loaded number may differ from the stored one */
    if (sext)
        r->off = vnum_sext(&r->off, size * 8);
    else
        r->off = vnum_end(&r->off, size * 8, false);
}

int vcheck_mem(struct verifier *v, int regno, const struct vreg *ptr, int64_t off, uint64_t size_max,
               unsigned rights, bool pointers)
{
    if (!size_max)
        return 0;
    v->helper_pointers = pointers;
    int rc = region_access(v, regno, ptr, off, size_max, rights, true, NULL);
    if (!rc && ptr->type == VT_STACK && (rights & VERIFY_READ)) {
        int64_t lo = 0, hi = 0; /* set where used; gcc -O3 cannot see it */
        rc = stack_range(v, regno, ptr, off, size_max, &lo, &hi);
        if (!rc)
            rc = stack_read(v, regno, v->cur->frames[ptr->frame], lo, hi, false, size_max, NULL, true);
    }
    v->helper_pointers = false;
    return rc;
}

void vmark_written(struct verifier *v, const struct vreg *ptr, uint64_t size_max)
{
    if (ptr->type != VT_STACK || !size_max)
        return;
    int64_t lo = ptr->off.smin + EBPF_STACK_SIZE, hi = ptr->off.smax + EBPF_STACK_SIZE + (int64_t)size_max;
    struct vreg misc;
    vreg_unknown(&misc);
    stack_write(v, 0, v->cur->frames[ptr->frame], lo, hi, vnum_is_const(&ptr->off), &misc);
}

static int load(struct verifier *v, const struct ebpf_insn *in)
{
    struct vframe *f = vcur(v->cur);
    struct vreg p = f->regs[in->src], loaded;
    unsigned size = access_size[ebpf_size(in->opcode) >> 3];
    vreg_unknown(&loaded);
    if (region_access(v, in->src, &p, in->offset, size, VERIFY_READ, false, &loaded))
        return -1;
    bool filled = false;
    if (p.type == VT_STACK) {
        int64_t lo = 0, hi = 0; /* set where used; gcc -O3 cannot see it */
        stack_range(v, in->src, &p, in->offset, size, &lo, &hi);
        struct vframe *sf = v->cur->frames[p.frame];
        int k = (int)(lo / 8);
        filled = vnum_is_const(&p.off) && vslot_spilled(sf, k) && lo == k * 8 + sf->spill_off[k] &&
                 size == sf->spill_size[k];
        if (stack_read(v, in->src, sf, lo, hi, vnum_is_const(&p.off), size, &loaded, false))
            return -1;
    }
    bool sext = ebpf_mode(in->opcode) == EBPF_MODE_MEMSX;
    if (loaded.type == VT_SCALAR && (!filled || sext)) { /* sign-extended, a fill is another number than the spill */
        loaded.dvalid = 0;
        loaded.id = 0;
        loaded.pkt_len_of = 0;
    }
    if (!filled || sext) {
        loaded.ge_at = loaded.le_at = 0; /* bounds.c: differences and strides hold for the spilled number only */
        loaded.stride = 0;
    }
    narrow(&loaded, size, sext);
    f->regs[in->dst] = loaded;
    return 0;
}

static int store(struct verifier *v, const struct ebpf_insn *in)
{
    struct vframe *f = vcur(v->cur);
    struct vreg p = f->regs[in->dst], value;
    unsigned size = access_size[ebpf_size(in->opcode) >> 3];
    if (ebpf_class(in->opcode) == EBPF_CLS_ST) {
        vreg_const(&value, (uint64_t)(int64_t)in->imm);
    } else {
        value = f->regs[in->src];
        if (value.type == VT_NOT_INIT)
            return vfail(v, "assign the register before storing it", "r%d is stored before it is set", in->src);
        if (value.type == VT_SCALAR && !value.id && !vnum_is_const(&value.off) && f->regs[in->dst].type == VT_STACK &&
            !(value.off.umax >> (access_size[ebpf_size(in->opcode) >> 3] * 8 - 1) >> 1)) {
            /* The spill and the register are one value: a check of either refines both. */
            value.id = vnew_id(v);
            f->regs[in->src].id = value.id;
        }
    }
    if (value.type == VT_SCALAR && size < 8 && value.off.umax >> (size * 8)) {
        value.off = vnum_end(&value.off, size * 8, false); /* truncated: no longer the register's value */
        value.id = 0;
        value.dvalid = 0;
        value.lin = 0;
        value.pkt_len_of = 0;
        value.ge_at = value.le_at = 0;
        value.stride = 0;
    }
    if (region_access(v, in->dst, &p, in->offset, size, VERIFY_WRITE, false, NULL))
        return -1;
    if (p.type == VT_STACK) {
        int64_t lo = 0, hi = 0; /* set where used; gcc -O3 cannot see it */
        stack_range(v, in->dst, &p, in->offset, size, &lo, &hi);
        return stack_write(v, in->src, v->cur->frames[p.frame], lo, hi, vnum_is_const(&p.off), &value);
    }
    if (vtype_is_pointer(value.type) && !v->profile->allow_pointer_leaks)
        return vfail(v, "store numbers, not addresses, outside the stack",
                     "r%d: storing a %s into %s would reveal a host address", in->src, vtype_name(value.type),
                     p.type == VT_MAP_VALUE ? "a map value" : p.type == VT_CTX ? "the context" : "shared memory");
    return 0;
}

static int atomic(struct verifier *v, const struct ebpf_insn *in)
{
    struct vframe *f = vcur(v->cur);
    struct vreg p = f->regs[in->dst], value = f->regs[in->src];
    unsigned size = access_size[ebpf_size(in->opcode) >> 3];
    if (value.type != VT_SCALAR)
        return vfail(v, "atomic operations work on numbers", "r%d: atomic operand is a %s", in->src,
                     vtype_name(value.type));
    if (in->imm == EBPF_ATOMIC_CMPXCHG && f->regs[0].type != VT_SCALAR)
        return vfail(v, "set r0 to the expected number before a compare-exchange", "r0 is a %s, not a number",
                     vtype_name(f->regs[0].type));
    if (p.type != VT_STACK && p.type != VT_MAP_VALUE && p.type != VT_MEM)
        return p.type == VT_CTX || p.type == VT_PACKET
                   ? vfail(v, "atomic operations work on the stack and map values", "r%d: atomic access to the %s",
                           in->dst, vtype_name(p.type))
                   : bad_base(v, in->dst, &p);
    if (region_access(v, in->dst, &p, in->offset, size, VERIFY_READ | VERIFY_WRITE, false, NULL))
        return -1;
    if (p.type == VT_STACK) {
        int64_t lo = 0, hi = 0; /* set where used; gcc -O3 cannot see it */
        stack_range(v, in->dst, &p, in->offset, size, &lo, &hi);
        struct vframe *sf = v->cur->frames[p.frame];
        if (stack_read(v, in->dst, sf, lo, hi, vnum_is_const(&p.off), size, NULL, true))
            return -1;
        struct vreg misc;
        vreg_unknown(&misc);
        stack_write(v, in->src, sf, lo, hi, false, &misc);
    }
    if (in->imm & EBPF_ATOMIC_FETCH) {
        struct vreg *out = &f->regs[in->imm == EBPF_ATOMIC_CMPXCHG ? 0 : in->src];
        vreg_unknown(out);
        narrow(out, size, false);
    }
    return 0;
}

static int legacy_load(struct verifier *v, const struct ebpf_insn *in)
{
    struct vframe *f = vcur(v->cur);
    if (!v->profile->legacy_packet_loads)
        return vfail(v, "read the packet through the context's data pointers", "legacy packet loads (ldabs/ldind) "
                     "are not available to programs of type '%s'", v->profile->name);
    if (f->regs[6].type != VT_CTX || !vnum_is_const(&f->regs[6].off) || f->regs[6].off.umin)
        return vfail(v, "keep the context pointer in r6 for ldabs/ldind", "ldabs/ldind need the context in r6 (it "
                     "holds a %s)", vtype_name(f->regs[6].type));
    if (ebpf_mode(in->opcode) == EBPF_MODE_IND && f->regs[in->src].type != VT_SCALAR)
        return vfail(v, "the offset of ldind is a number", "r%d: ldind offset is a %s", in->src,
                     vtype_name(f->regs[in->src].type));
    if (v->cur->ref_count)
        return vfail(v, "submit or discard the reserved record first", "ldabs/ldind may end the program while a "
                     "ring-buffer record is reserved");
    for (int r = 1; r <= 5; r++)
        f->regs[r] = (struct vreg){.type = VT_NOT_INIT};
    vreg_unknown(&f->regs[0]);
    narrow(&f->regs[0], access_size[ebpf_size(in->opcode) >> 3], false);
    return 0;
}

long vstep_mem(struct verifier *v, const struct ebpf_insn *in)
{
    int rc;
    switch (ebpf_class(in->opcode)) {
    case EBPF_CLS_LD:
        rc = legacy_load(v, in);
        break;
    case EBPF_CLS_LDX:
        rc = load(v, in);
        break;
    default:
        rc = ebpf_mode(in->opcode) == EBPF_MODE_ATOMIC ? atomic(v, in) : store(v, in);
        break;
    }
    return rc ? VSTEP_FAIL : (long)v->pc + 1;
}
