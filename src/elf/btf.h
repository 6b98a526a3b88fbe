/*
 * A checked view of a .BTF section. Private to src/elf.
 *
 * btf_parse validates the whole section once (header, every type's extent,
 * every type id and string offset it holds), so the accessors below never
 * need to bounds-check. Chains of types may still loop (a typedef naming
 * itself); walks along them are bounded by BTF_MAX_CHAIN.
 */
#ifndef BPFHOST_ELF_BTF_H
#define BPFHOST_ELF_BTF_H

#include "elf/loader.h"

enum btf_kind {
    BTF_KIND_UNKN = 0,
    BTF_KIND_INT = 1,
    BTF_KIND_PTR = 2,
    BTF_KIND_ARRAY = 3,
    BTF_KIND_STRUCT = 4,
    BTF_KIND_UNION = 5,
    BTF_KIND_ENUM = 6,
    BTF_KIND_FWD = 7,
    BTF_KIND_TYPEDEF = 8,
    BTF_KIND_VOLATILE = 9,
    BTF_KIND_CONST = 10,
    BTF_KIND_RESTRICT = 11,
    BTF_KIND_FUNC = 12,
    BTF_KIND_FUNC_PROTO = 13,
    BTF_KIND_VAR = 14,
    BTF_KIND_DATASEC = 15,
    BTF_KIND_FLOAT = 16,
    BTF_KIND_DECL_TAG = 17,
    BTF_KIND_TYPE_TAG = 18,
    BTF_KIND_ENUM64 = 19,
};

/* Longest chain of modifiers, typedefs or nested arrays followed. */
enum { BTF_MAX_CHAIN = 32 };

struct btf {
    const uint8_t *types; /* type section */
    const char *strs;     /* string section, NUL-terminated */
    uint32_t strs_len;
    uint32_t *offsets; /* offsets[id] into types, for 1 <= id < count */
    uint32_t count;    /* number of type ids, void (0) included */
};

/* One type's common header, decoded. */
struct btf_type {
    const char *name;
    uint32_t kind;
    uint32_t vlen;
    bool kind_flag;
    uint32_t size_or_type; /* size for sized kinds, referenced type otherwise */
    const uint8_t *extra;  /* the kind-specific data that follows */
};

/* A struct/union member, an array description, a datasec entry. */
struct btf_member {
    const char *name;
    uint32_t type;
    uint32_t bit_offset;
    uint32_t bitfield_size; /* 0: not a bit-field (or one in the legacy encoding) */
};
struct btf_array {
    uint32_t elem_type;
    uint32_t nelems;
};
struct btf_secinfo {
    uint32_t type;
    uint32_t offset;
    uint32_t size;
};

/* Validates raw (which must outlive the result) and builds the view. */
int btf_parse(struct loader *ld, const uint8_t *raw, size_t size, struct btf **out);

/* Frees a view from btf_parse; NULL is allowed. */
void btf_free(struct btf *btf);

/* Decodes type id (< btf->count; id 0 is void, kind UNKN). */
void btf_type(const struct btf *btf, uint32_t id, struct btf_type *out);

/* The string at off, or NULL if off is outside the string section. */
const char *btf_str(const struct btf *btf, uint32_t off);

/* Member i of a struct or union. */
void btf_member(const struct btf *btf, const struct btf_type *t, uint32_t i, struct btf_member *out);

/* Whether an INT or an ENUM type is signed. */
bool btf_is_signed(const struct btf_type *t);

/* The element type and count of an array. */
void btf_array(const struct btf_type *t, struct btf_array *out);

/* Entry i of a datasec. */
void btf_secinfo(const struct btf_type *t, uint32_t i, struct btf_secinfo *out);

/* Follows typedefs and qualifiers from id to the underlying type: its id in
 * *out and, if t is not NULL, the type decoded in *t. */
int btf_resolve(struct loader *ld, const struct btf *btf, uint32_t id, uint32_t *out, struct btf_type *t);

/* Size in bytes of a value of type id. */
int btf_size(struct loader *ld, const struct btf *btf, uint32_t id, uint32_t *out);

/* Id of the datasec named name, or 0. */
uint32_t btf_find_datasec(const struct btf *btf, const char *name);

#endif
