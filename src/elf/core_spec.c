/* The local side of CO-RE relocations: access strings walked through the
 * object's BTF, and the value each kind has there (libbpf's definitions). */
#include <stdarg.h>
#include <stdio.h>

#include "elf/core_spec.h"

static const char *const kind_names[] = {
    "field byte offset", "field byte size", "field existence", "field signedness", "field left shift",
    "field right shift", "local type id",   "target type id",   "type existence",   "type size",
    "enum value existence", "enum value", "type match",
};

bool core_kind_is_field(uint32_t kind)
{
    return kind <= BPF_ELF_CORE_FIELD_RSHIFT_U64;
}

bool core_kind_is_enum(uint32_t kind)
{
    return kind == BPF_ELF_CORE_ENUMVAL_EXISTS || kind == BPF_ELF_CORE_ENUMVAL_VALUE;
}

const char *core_kind_name(uint32_t kind)
{
    return kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind] : NULL;
}

/* Parses "a:b:c" (decimal numbers joined by colons) into idx; -1 if malformed. */
static int parse_access(const char *s, uint32_t *idx, uint32_t *len)
{
    *len = 0;
    for (;;) {
        if (*len == CORE_ACCESS_MAX || *s < '0' || *s > '9')
            return -1;
        uint64_t v = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (uint64_t)(*s++ - '0');
            if (v > UINT32_MAX)
                return -1;
        }
        idx[(*len)++] = (uint32_t)v;
        if (*s != ':')
            return *s ? -1 : 0;
        s++;
    }
}

static void append(struct core_spec *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends to the path for messages (cut if it grows too long). */
static void append(struct core_spec *s, const char *fmt, ...)
{
    size_t used = strlen(s->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->path + used, sizeof(s->path) - used, fmt, ap);
    va_end(ap);
}

static bool has_size(uint32_t kind)
{
    switch (kind) {
    case BTF_KIND_INT:
    case BTF_KIND_PTR:
    case BTF_KIND_ARRAY:
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
    case BTF_KIND_FLOAT:
        return true;
    default:
        return false;
    }
}

/* The root as C names it: "struct task_struct", "process_md_t" (a typedef). */
static void name_root(struct core_spec *s, uint32_t id)
{
    const struct btf_type *t = &s->root;
    const char *what = t->kind == BTF_KIND_STRUCT                                 ? "struct "
                       : t->kind == BTF_KIND_UNION                                ? "union "
                       : t->kind == BTF_KIND_ENUM || t->kind == BTF_KIND_ENUM64 ? "enum "
                                                                                  : "";
    if (id == 0)
        append(s, "void");
    else if (*t->name)
        append(s, "%s%s", what, t->name);
    else
        append(s, "%s(anonymous type %u)", what, id);
}

/* Where a field access ends: bit offset from the root's start, the type there, a bit-field's width. */
struct field_loc {
    uint64_t bit_off;
    uint32_t type_id; /* past typedefs and qualifiers */
    struct btf_type type;
    uint32_t bits;
};

/* Follows access indices 1.. through members and array elements. */
static int walk_field(struct loader *ld, const struct btf *btf, const uint32_t *idx, const char *where,
                      struct core_spec *s, struct field_loc *loc)
{
    if (s->index0 && !s->root_size)
        return ld_fail(ld, "%s: CO-RE access string indexes over %s, which has no size", where, s->path);
    if (s->index0)
        append(s, "[%u]", s->index0);
    *loc = (struct field_loc){.bit_off = (uint64_t)s->index0 * s->root_size * 8, .type_id = s->resolved_id,
                              .type = s->resolved};
    for (uint32_t k = 1; k < s->len; k++) {
        uint32_t i = idx[k], next;
        if (loc->bits)
            return ld_fail(ld, "%s: CO-RE access string reaches into bit-field %s", where, s->path);
        if (loc->type.kind == BTF_KIND_STRUCT || loc->type.kind == BTF_KIND_UNION) {
            if (i >= loc->type.vlen)
                return ld_fail(ld, "%s: CO-RE access to member %u of %s, which has %u", where, i, s->path,
                               loc->type.vlen);
            struct btf_member m;
            btf_member(btf, &loc->type, i, &m);
            append(s, ".%s", *m.name ? m.name : "(anonymous)");
            loc->bit_off += m.bit_offset;
            loc->bits = m.bitfield_size;
            next = m.type;
            if (k == 1) {
                s->member = m.name;
                s->member_bit_off = m.bit_offset;
                s->member_bits = m.bitfield_size;
                if (btf_size(ld, btf, m.type, &s->member_size) < 0)
                    return -1;
            }
        } else if (loc->type.kind == BTF_KIND_ARRAY) {
            struct btf_array a;
            uint32_t elem_size;
            btf_array(&loc->type, &a);
            /* A flexible array (no elements declared) may be indexed last. */
            if (i >= a.nelems && !(a.nelems == 0 && k == s->len - 1))
                return ld_fail(ld, "%s: CO-RE access to element %u of %s, which has %u", where, i, s->path,
                               a.nelems);
            if (btf_size(ld, btf, a.elem_type, &elem_size) < 0)
                return -1;
            append(s, "[%u]", i);
            loc->bit_off += (uint64_t)i * elem_size * 8;
            next = a.elem_type;
        } else {
            return ld_fail(ld, "%s: CO-RE access index %u into %s, which is no struct, union or array", where, i,
                           s->path);
        }
        if (btf_resolve(ld, btf, next, &loc->type_id, &loc->type) < 0)
            return -1;
    }
    return 0;
}

/* The value of a field kind at loc (libbpf's rules, bit-fields loaded whole in the smallest aligned int). */
static int field_value(struct loader *ld, const struct btf *btf, uint32_t kind, const char *where,
                       const struct field_loc *loc, struct core_spec *s)
{
    uint32_t byte_sz, bit_sz;
    if (btf_size(ld, btf, loc->type_id, &byte_sz) < 0)
        return -1;
    uint64_t byte_off;
    if (!loc->bits) {
        if (loc->bit_off % 8)
            return ld_fail(ld, "%s: CO-RE field %s does not start on a byte", where, s->path);
        byte_off = loc->bit_off / 8;
        bit_sz = byte_sz * 8;
    } else {
        if (byte_sz == 0)
            return ld_fail(ld, "%s: CO-RE bit-field %s has a type without size", where, s->path);
        bit_sz = loc->bits;
        byte_off = loc->bit_off / 8 / byte_sz * byte_sz;
        while (loc->bit_off + bit_sz - byte_off * 8 > (uint64_t)byte_sz * 8) {
            if (byte_sz >= 8)
                return ld_fail(ld, "%s: CO-RE bit-field %s does not fit one 8-byte load", where, s->path);
            byte_sz *= 2;
            byte_off = loc->bit_off / 8 / byte_sz * byte_sz;
        }
    }
    s->exact = !loc->bits; /* compilers place bit-field loads their own way */
    switch (kind) {
    case BPF_ELF_CORE_FIELD_BYTE_OFFSET: s->value = byte_off; break;
    case BPF_ELF_CORE_FIELD_BYTE_SIZE: s->value = byte_sz; break;
    case BPF_ELF_CORE_FIELD_EXISTS: s->value = 1; break;
    case BPF_ELF_CORE_FIELD_SIGNED: s->value = btf_is_signed(&loc->type); break;
    case BPF_ELF_CORE_FIELD_LSHIFT_U64: s->value = 64 - (loc->bit_off + bit_sz - byte_off * 8); break;
    default: s->value = 64 - bit_sz; break; /* BPF_ELF_CORE_FIELD_RSHIFT_U64 */
    }
    return 0;
}

/* Enum kinds: the enumerator index0 of the root enum. */
static int enum_value(struct loader *ld, const struct btf *btf, uint32_t kind, const char *where, struct core_spec *s)
{
    const struct btf_type *t = &s->resolved;
    if ((t->kind != BTF_KIND_ENUM && t->kind != BTF_KIND_ENUM64) || s->len != 1 || s->index0 >= t->vlen)
        return ld_fail(ld, "%s: CO-RE enum value relocation on %s names no enumerator of it", where, s->path);
    size_t stride = t->kind == BTF_KIND_ENUM ? 8 : 12;
    const uint8_t *e = t->extra + s->index0 * stride;
    append(s, "::%s", btf_str(btf, ld_u32(e)));
    uint64_t v = t->kind == BTF_KIND_ENUM64 ? ld_u32(e + 4) | (uint64_t)ld_u32(e + 8) << 32
                 : btf_is_signed(t)          ? (uint64_t)(int64_t)(int32_t)ld_u32(e + 4)
                                             : ld_u32(e + 4);
    s->value = kind == BPF_ELF_CORE_ENUMVAL_EXISTS ? 1 : v;
    s->exact = true;
    return 0;
}

/* Type kinds: the root itself. */
static int type_value(struct loader *ld, const struct bpf_elf_core_relo *r, const char *where, struct core_spec *s)
{
    if (s->len != 1 || s->index0 != 0)
        return ld_fail(ld, "%s: CO-RE type relocation on %s has access string \"%s\", not \"0\"", where, s->path,
                       r->access);
    switch (r->kind) {
    case BPF_ELF_CORE_TYPE_ID_LOCAL:
    case BPF_ELF_CORE_TYPE_ID_TARGET: s->value = r->type_id; break;
    case BPF_ELF_CORE_TYPE_SIZE:
        if (!s->root_size)
            return ld_fail(ld, "%s: CO-RE type size of %s, which has no size", where, s->path);
        s->value = s->root_size;
        break;
    default: s->value = 1; break; /* existence, match */
    }
    s->exact = true;
    return 0;
}

int core_spec_local(struct loader *ld, const struct btf *btf, const struct bpf_elf_core_relo *r, const char *where,
                    struct core_spec *out)
{
    *out = (struct core_spec){0};
    if (r->type_id >= btf->count || (r->type_id == 0 && r->kind != BPF_ELF_CORE_TYPE_ID_LOCAL))
        return ld_fail(ld, "%s: CO-RE relocation names BTF type %u, which it cannot", where, r->type_id);
    btf_type(btf, r->type_id, &out->root);
    if (btf_resolve(ld, btf, r->type_id, &out->resolved_id, &out->resolved) < 0)
        return -1;
    if (has_size(out->resolved.kind) && btf_size(ld, btf, out->resolved_id, &out->root_size) < 0)
        return -1;
    name_root(out, r->type_id);
    uint32_t idx[CORE_ACCESS_MAX];
    if (parse_access(r->access, idx, &out->len) < 0)
        return ld_fail(ld, "%s: CO-RE access string \"%.40s\" is malformed", where, r->access);
    out->index0 = idx[0];
    if (core_kind_is_field(r->kind)) {
        struct field_loc loc;
        if (walk_field(ld, btf, idx, where, out, &loc) < 0)
            return -1;
        return field_value(ld, btf, r->kind, where, &loc, out);
    }
    if (core_kind_is_enum(r->kind))
        return enum_value(ld, btf, r->kind, where, out);
    if (core_kind_name(r->kind))
        return type_value(ld, r, where, out);
    return 0; /* unknown kind: the target decides (and refuses it) */
}
