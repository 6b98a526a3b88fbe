/* Validation and decoding of the .BTF section (type and string tables). */
#include <stdlib.h>

#include "elf/btf.h"

enum {
    BTF_MAGIC = 0xeb9f,
    BTF_HEADER_SIZE = 24, /* magic, version, flags, hdr_len, 4 offsets/lengths */
    BTF_TYPE_SIZE = 12,   /* name_off, info, size_or_type */
};

/* Bytes of kind-specific data after a type's header, or -1 for an unknown kind. */
static int64_t extra_size(uint32_t kind, uint32_t vlen)
{
    switch (kind) {
    case BTF_KIND_INT:
    case BTF_KIND_VAR:
    case BTF_KIND_DECL_TAG:
        return 4;
    case BTF_KIND_ARRAY:
        return 12;
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_DATASEC:
    case BTF_KIND_ENUM64:
        return (int64_t)vlen * 12;
    case BTF_KIND_ENUM:
    case BTF_KIND_FUNC_PROTO:
        return (int64_t)vlen * 8;
    case BTF_KIND_PTR:
    case BTF_KIND_FWD:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_FUNC:
    case BTF_KIND_FLOAT:
    case BTF_KIND_TYPE_TAG:
        return 0;
    default:
        return -1;
    }
}

const char *btf_str(const struct btf *btf, uint32_t off)
{
    /* The section ends with a NUL (checked in btf_parse), so any offset
     * inside it starts a terminated string. */
    return off < btf->strs_len ? btf->strs + off : NULL;
}

void btf_type(const struct btf *btf, uint32_t id, struct btf_type *out)
{
    if (id == 0) {
        *out = (struct btf_type){.name = "", .kind = BTF_KIND_UNKN};
        return;
    }
    const uint8_t *p = btf->types + btf->offsets[id];
    uint32_t info = ld_u32(p + 4);
    out->name = btf_str(btf, ld_u32(p));
    out->vlen = info & 0xffff;
    out->kind = (info >> 24) & 0x1f;
    out->kind_flag = info >> 31;
    out->size_or_type = ld_u32(p + 8);
    out->extra = p + BTF_TYPE_SIZE;
}

void btf_member(const struct btf *btf, const struct btf_type *t, uint32_t i, struct btf_member *out)
{
    const uint8_t *p = t->extra + (size_t)i * 12;
    uint32_t offset = ld_u32(p + 8);
    out->name = btf_str(btf, ld_u32(p));
    out->type = ld_u32(p + 4);
    /* With kind_flag set, the top byte holds a bitfield size. */
    out->bit_offset = t->kind_flag ? offset & 0xffffff : offset;
    out->bitfield_size = t->kind_flag ? offset >> 24 : 0;
}

bool btf_is_signed(const struct btf_type *t)
{
    if (t->kind == BTF_KIND_INT)
        return (ld_u32(t->extra) >> 24) & 1; /* BTF_INT_SIGNED in the encoding */
    return (t->kind == BTF_KIND_ENUM || t->kind == BTF_KIND_ENUM64) && t->kind_flag;
}

void btf_array(const struct btf_type *t, struct btf_array *out)
{
    out->elem_type = ld_u32(t->extra);
    out->nelems = ld_u32(t->extra + 8);
}

void btf_secinfo(const struct btf_type *t, uint32_t i, struct btf_secinfo *out)
{
    const uint8_t *p = t->extra + (size_t)i * 12;
    out->type = ld_u32(p);
    out->offset = ld_u32(p + 4);
    out->size = ld_u32(p + 8);
}

/* Checks one type id found in type `owner`. */
static int check_ref(struct loader *ld, const struct btf *btf, uint32_t owner, uint32_t ref)
{
    if (ref >= btf->count)
        return ld_fail(ld, "BTF type %u refers to type %u, beyond the last type %u", owner, ref, btf->count - 1);
    return 0;
}

/* Checks a name offset found in type `owner`. */
static int check_name(struct loader *ld, const struct btf *btf, uint32_t owner, uint32_t off)
{
    if (!btf_str(btf, off))
        return ld_fail(ld, "BTF type %u has name offset %u beyond the string section (%u bytes)", owner, off,
                       btf->strs_len);
    return 0;
}

/* Checks every (name, type) pair of a member, param or enumerator list;
 * stride is the entry size, type_at the type's offset in an entry (0 for none). */
static int check_list(struct loader *ld, const struct btf *btf, uint32_t id, const struct btf_type *t,
                      size_t stride, size_t type_at)
{
    for (uint32_t i = 0; i < t->vlen; i++) {
        const uint8_t *p = t->extra + i * stride;
        if (check_name(ld, btf, id, ld_u32(p)) < 0)
            return -1;
        if (type_at && check_ref(ld, btf, id, ld_u32(p + type_at)) < 0)
            return -1;
    }
    return 0;
}

/* Checks the ids and string offsets held by type id. */
static int check_type(struct loader *ld, const struct btf *btf, uint32_t id)
{
    const uint8_t *p = btf->types + btf->offsets[id];
    if (check_name(ld, btf, id, ld_u32(p)) < 0)
        return -1;
    struct btf_type t;
    btf_type(btf, id, &t);
    switch (t.kind) {
    case BTF_KIND_PTR:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT:
    case BTF_KIND_FUNC:
    case BTF_KIND_VAR:
    case BTF_KIND_DECL_TAG:
    case BTF_KIND_TYPE_TAG:
        return check_ref(ld, btf, id, t.size_or_type);
    case BTF_KIND_ARRAY:
        if (check_ref(ld, btf, id, ld_u32(t.extra)) < 0)
            return -1;
        return check_ref(ld, btf, id, ld_u32(t.extra + 4));
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
        return check_list(ld, btf, id, &t, 12, 4);
    case BTF_KIND_ENUM:
        return check_list(ld, btf, id, &t, 8, 0);
    case BTF_KIND_ENUM64:
        return check_list(ld, btf, id, &t, 12, 0);
    case BTF_KIND_FUNC_PROTO:
        if (check_ref(ld, btf, id, t.size_or_type) < 0)
            return -1;
        return check_list(ld, btf, id, &t, 8, 4);
    case BTF_KIND_DATASEC:
        for (uint32_t i = 0; i < t.vlen; i++) {
            struct btf_secinfo si;
            btf_secinfo(&t, i, &si);
            if (check_ref(ld, btf, id, si.type) < 0)
                return -1;
        }
        return 0;
    default:
        return 0;
    }
}

/* Walks the type section; with offsets non-NULL records where each type starts.
 * Returns the number of types (void excluded) or -1. */
static int64_t walk_types(struct loader *ld, const uint8_t *types, uint32_t len, uint32_t *offsets)
{
    uint32_t pos = 0;
    int64_t n = 0;
    while (pos < len) {
        if (len - pos < BTF_TYPE_SIZE)
            return ld_fail(ld, "BTF type %lld is cut off at the end of the type section", (long long)n + 1);
        uint32_t info = ld_u32(types + pos + 4);
        uint32_t kind = (info >> 24) & 0x1f;
        int64_t extra = extra_size(kind, info & 0xffff);
        if (extra < 0)
            return ld_fail(ld, "BTF type %lld has unknown kind %u", (long long)n + 1, kind);
        if ((uint64_t)BTF_TYPE_SIZE + (uint64_t)extra > len - pos)
            return ld_fail(ld, "BTF type %lld is cut off at the end of the type section", (long long)n + 1);
        if (offsets)
            offsets[n + 1] = pos;
        pos += BTF_TYPE_SIZE + (uint32_t)extra;
        n++;
    }
    return n;
}

int btf_parse(struct loader *ld, const uint8_t *raw, size_t size, struct btf **out)
{
    if (size < BTF_HEADER_SIZE)
        return ld_fail(ld, ".BTF: %zu bytes, too short for a header", size);
    uint16_t magic = (uint16_t)(raw[0] | raw[1] << 8);
    if (magic != BTF_MAGIC)
        return ld_fail(ld, ".BTF: bad magic 0x%04x", magic);
    if (raw[2] != 1)
        return ld_fail(ld, ".BTF: unsupported version %u", raw[2]);
    uint64_t hdr_len = ld_u32(raw + 4);
    uint64_t type_off = ld_u32(raw + 8), type_len = ld_u32(raw + 12);
    uint64_t str_off = ld_u32(raw + 16), str_len = ld_u32(raw + 20);
    if (hdr_len < BTF_HEADER_SIZE || hdr_len > size)
        return ld_fail(ld, ".BTF: header length %llu out of range", (unsigned long long)hdr_len);
    if (hdr_len + type_off + type_len > size)
        return ld_fail(ld, ".BTF: type section (offset %llu, %llu bytes) beyond the end", (unsigned long long)type_off,
                       (unsigned long long)type_len);
    if (hdr_len + str_off + str_len > size)
        return ld_fail(ld, ".BTF: string section (offset %llu, %llu bytes) beyond the end", (unsigned long long)str_off,
                       (unsigned long long)str_len);
    const uint8_t *strs = raw + hdr_len + str_off;
    if (str_len == 0 || strs[str_len - 1] != '\0')
        return ld_fail(ld, ".BTF: string section is empty or not NUL-terminated");

    struct btf *btf = ld_calloc(ld, 1, sizeof *btf);
    if (!btf)
        return -1;
    btf->types = raw + hdr_len + type_off;
    btf->strs = (const char *)strs;
    btf->strs_len = (uint32_t)str_len;
    int64_t n = walk_types(ld, btf->types, (uint32_t)type_len, NULL);
    if (n < 0 || !(btf->offsets = ld_calloc(ld, (size_t)n + 1, sizeof *btf->offsets))) {
        btf_free(btf);
        return -1;
    }
    walk_types(ld, btf->types, (uint32_t)type_len, btf->offsets);
    btf->count = (uint32_t)n + 1;
    for (uint32_t id = 1; id < btf->count; id++) {
        if (check_type(ld, btf, id) < 0) {
            btf_free(btf);
            return -1;
        }
    }
    *out = btf;
    return 0;
}

void btf_free(struct btf *btf)
{
    if (!btf)
        return;
    free(btf->offsets);
    free(btf);
}

int btf_resolve(struct loader *ld, const struct btf *btf, uint32_t id, uint32_t *out, struct btf_type *t)
{
    struct btf_type local;
    t = t ? t : &local;
    for (int hops = 0; hops < BTF_MAX_CHAIN; hops++) {
        btf_type(btf, id, t);
        switch (t->kind) {
        case BTF_KIND_TYPEDEF:
        case BTF_KIND_VOLATILE:
        case BTF_KIND_CONST:
        case BTF_KIND_RESTRICT:
        case BTF_KIND_TYPE_TAG:
            id = t->size_or_type;
            break;
        default:
            *out = id;
            return 0;
        }
    }
    return ld_fail(ld, "BTF type %u: chain of typedefs and qualifiers too long or cyclic", id);
}

/* btf_size, with depth counting nested arrays. */
static int size_at(struct loader *ld, const struct btf *btf, uint32_t id, int depth, uint32_t *out)
{
    struct btf_type t;
    if (depth > BTF_MAX_CHAIN)
        return ld_fail(ld, "BTF type %u: arrays nested too deeply or cyclic", id);
    if (btf_resolve(ld, btf, id, &id, &t) < 0)
        return -1;
    switch (t.kind) {
    case BTF_KIND_INT:
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
    case BTF_KIND_FLOAT:
    case BTF_KIND_DATASEC:
        *out = t.size_or_type;
        return 0;
    case BTF_KIND_PTR:
        *out = 8;
        return 0;
    case BTF_KIND_ARRAY: {
        struct btf_array a;
        uint32_t elem;
        btf_array(&t, &a);
        if (size_at(ld, btf, a.elem_type, depth + 1, &elem) < 0)
            return -1;
        uint64_t total = (uint64_t)elem * a.nelems;
        if (total > UINT32_MAX)
            return ld_fail(ld, "BTF type %u: array of %llu bytes is too large", id, (unsigned long long)total);
        *out = (uint32_t)total;
        return 0;
    }
    default:
        return ld_fail(ld, "BTF type %u (kind %u) has no size", id, t.kind);
    }
}

int btf_size(struct loader *ld, const struct btf *btf, uint32_t id, uint32_t *out)
{
    return size_at(ld, btf, id, 0, out);
}

uint32_t btf_find_datasec(const struct btf *btf, const char *name)
{
    for (uint32_t id = 1; id < btf->count; id++) {
        struct btf_type t;
        btf_type(btf, id, &t);
        if (t.kind == BTF_KIND_DATASEC && strcmp(t.name, name) == 0)
            return id;
    }
    return 0;
}

/* Copies the contents of section name, if there is one, into *copy. */
static int copy_section(struct loader *ld, const char *name, uint8_t **copy, size_t *size)
{
    size_t i = ld_section_by_name(ld, name);
    if (!i)
        return 0;
    const struct ld_section *s = &ld->secs[i];
    if (!s->data)
        return ld_fail(ld, "section '%s' has no contents", name);
    if (!(*copy = ld_calloc(ld, s->size, 1)))
        return -1;
    memcpy(*copy, s->data, s->size);
    *size = s->size;
    return 0;
}

int ld_load_btf(struct loader *ld)
{
    struct bpf_elf_object *obj = ld->obj;
    /* The object keeps its own copies: line records point into obj->btf. */
    if (copy_section(ld, ".BTF", &obj->btf, &obj->btf_size) < 0 ||
        copy_section(ld, ".BTF.ext", &obj->btf_ext, &obj->btf_ext_size) < 0)
        return -1;
    if (!obj->btf || ld_section_by_name(ld, ".maps"))
        return obj->btf ? btf_parse(ld, obj->btf, obj->btf_size, &ld->btf) : 0;
    /* As libbpf: only BTF-defined maps need the BTF. Without them a
     * damaged .BTF is dropped, with the .BTF.ext that depends on it, and
     * the programs load without source lines. */
    char why[128] = "";
    struct loader quiet = {.name = "", .err = why, .errlen = sizeof why};
    if (btf_parse(&quiet, obj->btf, obj->btf_size, &ld->btf) == 0)
        return 0;
    if (strstr(why, "out of memory"))
        return ld_fail(ld, "out of memory");
    free(obj->btf);
    free(obj->btf_ext);
    obj->btf = obj->btf_ext = NULL;
    obj->btf_size = obj->btf_ext_size = 0;
    return 0;
}
