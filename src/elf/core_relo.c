/*
 * CO-RE relocations: read from .BTF.ext (each checked against the object's
 * BTF and against the instruction it patches), and applied against a
 * target's types by name, as libbpf applies them against a kernel's BTF.
 */
#include <stdio.h>
#include <stdlib.h>

#include "elf/core_spec.h"

/* Where an instruction keeps the value a relocation sets (libbpf's choice per class). */
enum value_slot {
    SLOT_IMM,   /* arithmetic with an immediate: imm */
    SLOT_OFF,   /* load or store: the offset */
    SLOT_IMM64, /* lddw: both halves */
};

/* Which part of insns[i] holds a relocated value; -1 if none does. */
static int slot_of(const struct ebpf_insn *insns, size_t count, size_t i, enum value_slot *slot)
{
    uint8_t op = insns[i].opcode, cls = op & 7;
    if ((cls == EBPF_CLS_ALU || cls == EBPF_CLS_ALU64) && !(op & EBPF_SRC_X))
        *slot = SLOT_IMM;
    else if (cls == EBPF_CLS_LDX || cls == EBPF_CLS_ST || cls == EBPF_CLS_STX)
        *slot = SLOT_OFF;
    else if (op == EBPF_OP_LDDW && i + 1 < count)
        *slot = SLOT_IMM64;
    else
        return -1;
    return 0;
}

static bool holds(const struct ebpf_insn *insns, size_t i, enum value_slot slot, uint64_t v)
{
    switch (slot) {
    case SLOT_IMM: return (uint32_t)insns[i].imm == (uint32_t)v;
    case SLOT_OFF: return (uint64_t)(int64_t)insns[i].offset == v;
    default: return (uint32_t)insns[i].imm == (uint32_t)v && (uint32_t)insns[i + 1].imm == (uint32_t)(v >> 32);
    }
}

/* Stores v; -1 if it does not fit the slot. */
static int put(struct ebpf_insn *insns, size_t i, enum value_slot slot, uint64_t v)
{
    switch (slot) {
    case SLOT_IMM:
        if (v > UINT32_MAX && (int64_t)v < INT32_MIN)
            return -1;
        insns[i].imm = (int32_t)(uint32_t)v;
        return 0;
    case SLOT_OFF:
        if (v > INT16_MAX)
            return -1;
        insns[i].offset = (int16_t)v;
        return 0;
    default:
        insns[i].imm = (int32_t)(uint32_t)v;
        insns[i + 1].imm = (int32_t)(uint32_t)(v >> 32);
        return 0;
    }
}

int ld_read_core_relo(struct loader *ld, struct ld_ext_sec *ext, size_t insn, const uint8_t *rec)
{
    const struct ld_code *code = ext->code;
    char where[160];
    snprintf(where, sizeof where, "instruction %zu of section '%s'", insn, code->name);
    struct bpf_elf_core_relo r = {.insn = insn, .type_id = ld_u32(rec + 4), .kind = ld_u32(rec + 12)};
    if (!(r.access = btf_str(ld->btf, ld_u32(rec + 8))))
        return ld_fail(ld, "%s: CO-RE access string offset %u is not in the BTF strings", where, ld_u32(rec + 8));
    struct core_spec spec;
    enum value_slot slot;
    if (core_spec_local(ld, ld->btf, &r, where, &spec) < 0)
        return -1;
    if (slot_of(code->insns, code->count, insn, &slot) < 0)
        return ld_fail(ld, "%s: CO-RE relocation on an instruction (opcode 0x%02x) that holds no value", where,
                       code->insns[insn].opcode);
    /* What the compiler wrote must be what the BTF says: else we would misread the object. */
    if (core_kind_name(r.kind) && spec.exact && !holds(code->insns, insn, slot, spec.value))
        return ld_fail(ld, "%s: the instruction does not hold the %s of %s (%llu) the object's BTF gives", where,
                       core_kind_name(r.kind), spec.path, (unsigned long long)spec.value);
    struct bpf_elf_core_relo *out = ld_push(ld, &ext->relos, &ext->relo_count, &ext->relo_cap, sizeof *out);
    if (!out)
        return -1;
    *out = r;
    return 0;
}

/* Whether local (a C name of the object's) is one of names, ignoring a "___flavor" suffix. */
static bool named(const char *local, const char *const *names)
{
    if (!local || !*local || !names)
        return false;
    const char *flavor = strstr(local, "___");
    size_t len = flavor ? (size_t)(flavor - local) : strlen(local);
    for (; *names; names++)
        if (strlen(*names) == len && strncmp(*names, local, len) == 0)
            return true;
    return false;
}

static const struct bpf_elf_core_type *find_type(const struct core_spec *s, const struct bpf_elf_core_type *types,
                                                 size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (named(s->root.name, types[i].names) || named(s->resolved.name, types[i].names))
            return &types[i];
    return NULL;
}

static const struct bpf_elf_core_field *find_field(const struct bpf_elf_core_type *t, const char *name)
{
    for (size_t i = 0; i < t->field_count; i++)
        if (strcmp(t->fields[i].name, name) == 0)
            return &t->fields[i];
    return NULL;
}

static bool is_struct(const struct btf_type *t)
{
    return t->kind == BTF_KIND_STRUCT || t->kind == BTF_KIND_UNION;
}

/* Whether a member (bit offset, bytes, bit-field width) lies where the target's field does. */
static bool same_place(uint32_t bit_off, uint32_t size, uint32_t bits, const struct bpf_elf_core_field *f)
{
    if (bits) /* a bit-field: wholly inside the field, from its first bit */
        return bit_off == (uint64_t)f->offset * 8 && bits <= (uint64_t)f->size * 8;
    return bit_off == (uint64_t)f->offset * 8 && size == f->size;
}

/* Field kinds: the target's value, or why there is none. */
static const char *field_target(const struct core_spec *s, uint32_t kind, const struct bpf_elf_core_type *t,
                                uint64_t *value, char *why, size_t cap)
{
    bool exists = kind == BPF_ELF_CORE_FIELD_EXISTS;
    if (!t) {
        *value = 0;
        return exists ? NULL : "no such type on this host";
    }
    /* An index over root objects moves by the target's size. */
    int64_t shift = (int64_t)s->index0 * ((int64_t)t->size - (int64_t)s->root_size);
    if (s->len == 1) { /* the root itself */
        if (kind == BPF_ELF_CORE_FIELD_BYTE_OFFSET)
            *value = s->value + (uint64_t)shift;
        else if (kind == BPF_ELF_CORE_FIELD_BYTE_SIZE)
            *value = t->size;
        else if (exists || s->root_size == t->size)
            *value = s->value;
        else {
            snprintf(why, cap, "%u bytes in the program, %u on this host", s->root_size, t->size);
            return why;
        }
        return NULL;
    }
    if (!is_struct(&s->resolved) || !s->member)
        return "not a struct on this host";
    if (!*s->member)
        return "an anonymous member cannot be matched by name on this host";
    const struct bpf_elf_core_field *f = find_field(t, s->member);
    if (!f) {
        *value = 0;
        return exists ? NULL : "no such field on this host";
    }
    if (s->member_bits && (shift || !same_place(s->member_bit_off, 0, s->member_bits, f)))
        return "the bit-field does not match this host's layout";
    if (!s->member_bits && s->member_size != f->size) {
        snprintf(why, cap, "field %s is %u bytes in the program, %u on this host", s->member, s->member_size,
                 f->size);
        return why;
    }
    /* Inside the field the program's own layout holds (same size); only its place moves. */
    int64_t move = shift + (int64_t)f->offset - (int64_t)(s->member_bit_off / 8);
    *value = kind == BPF_ELF_CORE_FIELD_BYTE_OFFSET ? s->value + (uint64_t)move : s->value;
    return NULL;
}

/* TYPE_MATCHES against a target type: every named member of the object's
 * type lies where the target's field of that name does, sizes agree. */
static bool type_matches(const struct btf *btf, const struct core_spec *s, const struct bpf_elf_core_type *t)
{
    if (!is_struct(&s->resolved) || s->root_size != t->size)
        return false;
    struct loader quiet = {.name = ""}; /* sizes were checked when the object was opened */
    for (uint32_t i = 0; i < s->resolved.vlen; i++) {
        struct btf_member m;
        uint32_t size = 0;
        btf_member(btf, &s->resolved, i, &m);
        const struct bpf_elf_core_field *f = *m.name ? find_field(t, m.name) : NULL;
        if (!f || (!m.bitfield_size && btf_size(&quiet, btf, m.type, &size) < 0) ||
            !same_place(m.bit_offset, size, m.bitfield_size, f))
            return false;
    }
    return true;
}

/* The target's value of relocation r (local side s), or why there is none. */
static const char *target_value(const struct btf *btf, const struct bpf_elf_core_relo *r, const struct core_spec *s,
                                const struct bpf_elf_core_type *t, uint64_t *value, char *why, size_t cap)
{
    if (core_kind_is_field(r->kind))
        return field_target(s, r->kind, t, value, why, cap);
    if (core_kind_is_enum(r->kind))
        return "this host describes no enum types";
    switch (r->kind) {
    case BPF_ELF_CORE_TYPE_ID_LOCAL:
        *value = s->value;
        return NULL;
    case BPF_ELF_CORE_TYPE_ID_TARGET: /* a host type's BTF is the object's own */
    case BPF_ELF_CORE_TYPE_SIZE:
        if (!t)
            return "no such type on this host";
        *value = r->kind == BPF_ELF_CORE_TYPE_SIZE ? t->size : s->value;
        return NULL;
    case BPF_ELF_CORE_TYPE_EXISTS:
        *value = t != NULL;
        return NULL;
    case BPF_ELF_CORE_TYPE_MATCHES:
        *value = t && type_matches(btf, s, t);
        return NULL;
    default:
        snprintf(why, cap, "unknown relocation kind %u", r->kind);
        return why;
    }
}

/* Applies one relocation to insns; 0, BPF_ELF_CORE_UNRESOLVED or -1. */
static int apply(struct loader *ld, const struct btf *btf, const struct bpf_elf_program *prog,
                 const struct bpf_elf_core_relo *r, const struct bpf_elf_core_type *types, size_t type_count,
                 struct ebpf_insn *insns)
{
    char where[160], why[128];
    snprintf(where, sizeof where, "instruction %zu of %s", r->insn, prog->section);
    struct core_spec s;
    enum value_slot slot;
    if (core_spec_local(ld, btf, r, where, &s) < 0)
        return -1;
    if (r->insn >= prog->insn_count || slot_of(insns, prog->insn_count, r->insn, &slot) < 0)
        return ld_fail(ld, "%s: CO-RE relocation on an instruction that holds no value", where);
    uint64_t value = 0;
    const char *reason = target_value(btf, r, &s, find_type(&s, types, type_count), &value, why, sizeof why);
    if (!reason && put(insns, r->insn, slot, value) < 0)
        reason = "the value does not fit the instruction";
    if (!reason)
        return 0;
    const char *kind = core_kind_name(r->kind);
    if (ld->errlen)
        snprintf(ld->err, ld->errlen, "CO-RE relocation at %s: %s of %s: %s", where, kind ? kind : "relocation",
                 s.path, reason);
    return BPF_ELF_CORE_UNRESOLVED;
}

int bpf_elf_core_relocate(const struct bpf_elf_object *obj, const struct bpf_elf_program *prog,
                          const struct bpf_elf_core_type *types, size_t type_count, struct ebpf_insn *insns,
                          char *err, size_t errlen)
{
    if (!prog->core_relo_count)
        return 0;
    struct loader ld = {.name = obj->name, .err = err, .errlen = errlen};
    struct btf *btf = NULL;
    /* Records exist only with a BTF that was checked when the object was opened. */
    if (!obj->btf || btf_parse(&ld, obj->btf, obj->btf_size, &btf) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < prog->core_relo_count && rc == 0; i++)
        rc = apply(&ld, btf, prog, &prog->core_relos[i], types, type_count, insns);
    btf_free(btf);
    return rc;
}
