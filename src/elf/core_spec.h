/*
 * The local side of a CO-RE relocation: what its access string reaches in
 * the object's own BTF and the value the instruction holds for it, as
 * Linux's libbpf defines them. Private to src/elf.
 */
#ifndef BPFHOST_ELF_CORE_SPEC_H
#define BPFHOST_ELF_CORE_SPEC_H

#include "elf/btf.h"

enum { CORE_ACCESS_MAX = 64 }; /* access indices in one string, as libbpf */

struct core_spec {
    struct btf_type root;     /* the record's type as named (a typedef keeps its name) */
    struct btf_type resolved; /* that type past typedefs and qualifiers */
    uint32_t resolved_id;
    uint32_t root_size; /* bytes of resolved; 0 if it has no size */
    uint32_t len;       /* access indices */
    uint32_t index0;    /* the first: an index over root objects, or an enumerator */
    /* Field kinds reaching into the root: its member on the path. */
    const char *member; /* NULL: the access is the root itself */
    uint32_t member_bit_off;
    uint32_t member_size; /* bytes (of the underlying type for a bit-field) */
    uint32_t member_bits; /* bit-field width; 0 if not one */
    uint64_t value;       /* the kind's value in the object */
    bool exact;           /* value is what the instruction must hold (not so for bit-fields) */
    char path[192];       /* "struct task_struct.comm[2]", for messages */
};

/* Works out r's local side against btf. Returns 0; -1 with an error
 * recorded (naming where, e.g. "instruction 3 of section 'kprobe/x'") if
 * the record does not fit the BTF. An unknown kind gets only its path. */
int core_spec_local(struct loader *ld, const struct btf *btf, const struct bpf_elf_core_relo *r, const char *where,
                    struct core_spec *out);

/* Whether kind is about a field (0..5), a type (6..9, 12) or an enum value (10, 11). */
bool core_kind_is_field(uint32_t kind);
bool core_kind_is_enum(uint32_t kind);

/* What a kind's value is, for messages ("field byte offset"), or NULL if unknown. */
const char *core_kind_name(uint32_t kind);

#endif
