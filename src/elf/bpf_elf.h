/*
 * elf — loader of eBPF object files (ELF, as clang -target bpf writes them).
 *
 * Opening an object yields, ready for the verifier and the map layer:
 *  - programs: one per global function of every executable section other
 *    than .text (of .text when it is the only one), with the functions it
 *    calls (from .text or its own section)
 *    appended after it and every local call rewritten to reach the copy;
 *  - maps: BTF-defined maps (".maps"), legacy definitions ("maps"), and one
 *    single-entry array per global-data section (.data*, .rodata*, .bss*);
 *  - lddw instructions that name a map rewritten to EBPF_LDDW_MAP_IDX
 *    (imm = map index), those that name a global variable to
 *    EBPF_LDDW_MAP_VALUE_IDX (imm = map index, second imm = offset), those
 *    that name a function to EBPF_LDDW_CODE_ADDR (imm = relative offset);
 *  - license, version, raw BTF and BTF.ext, and per-instruction source lines;
 *  - CO-RE relocations, checked against the object's BTF, applied later
 *    against a target's types (bpf_elf_core_relocate).
 *
 * Every offset read from the file is bounds-checked: a malformed object gives
 * an error naming the file and the problem. Layer 2: includes only isa.
 */
#ifndef BPFHOST_BPF_ELF_H
#define BPFHOST_BPF_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf_map_types.h" /* include/: enum bpf_map_type, the one table of map types */
#include "isa/isa.h"

/* Values of a map's pinning (libbpf's). */
enum { BPF_ELF_PIN_NONE = 0, BPF_ELF_PIN_BY_NAME = 1 };

/* Map flag set on read-only global data (Linux's BPF_F_RDONLY_PROG). */
enum { BPF_ELF_F_RDONLY_PROG = 1u << 7 };

/* Where a map's definition came from. */
enum bpf_elf_map_kind {
    BPF_ELF_MAP_BTF,    /* a variable in SEC(".maps") */
    BPF_ELF_MAP_LEGACY, /* a struct bpf_map_def in SEC("maps") */
    BPF_ELF_MAP_DATA,   /* a .data or .data.* section */
    BPF_ELF_MAP_RODATA, /* a .rodata or .rodata.* section */
    BPF_ELF_MAP_BSS,    /* a .bss or .bss.* section */
};

struct bpf_elf_map_def {
    uint32_t type; /* Linux map type number */
    uint32_t key_size;
    uint32_t value_size;
    uint32_t max_entries;
    uint32_t map_flags;
    uint32_t pinning;       /* BPF_ELF_PIN_* */
    uint32_t key_type_id;   /* BTF type of the key, 0 if given only by size */
    uint32_t value_type_id; /* BTF type of the value, 0 if given only by size */
};

/* A statically initialised slot of a prog array or map-in-map. */
enum bpf_elf_slot_kind { BPF_ELF_SLOT_PROGRAM, BPF_ELF_SLOT_MAP };
struct bpf_elf_slot {
    uint32_t index; /* key of the slot */
    enum bpf_elf_slot_kind kind;
    size_t target;    /* index into programs or maps */
    const char *name; /* that program's or map's name */
};

struct bpf_elf_map {
    char *name;    /* variable name; "<object>.<section>" for global data */
    char *section; /* ".maps", "maps", ".data", ".rodata.str1.1", ... */
    enum bpf_elf_map_kind kind;
    struct bpf_elf_map_def def;
    uint32_t def_size;            /* legacy: bytes of its definition record (20, 28, 32, ...), else 0 */
    bool has_inner;               /* map-in-map: inner holds the inner maps' definition */
    struct bpf_elf_map_def inner; /* from __array(values, ...) or the legacy inner_map_idx */
    int inner_map;                /* legacy: index of the inner template in maps, else -1 */
    uint8_t *data;                /* global data: initial value (def.value_size bytes); NULL: zeros (.bss) */
    bool frozen;                  /* read-only after load (.rodata) */
    struct bpf_elf_slot *slots;   /* initial values, ascending index */
    size_t slot_count;
};

/* Source position of an instruction, from .BTF.ext line info. */
struct bpf_elf_line {
    size_t insn;      /* first instruction slot of the line's code */
    const char *file; /* as clang recorded it */
    const char *text; /* the source line itself ("" if not recorded) */
    uint32_t line;
    uint32_t column;
};

/* Start of a function in a program, from .BTF.ext func info. */
struct bpf_elf_func {
    size_t insn;
    const char *name;
    uint32_t type_id; /* BTF FUNC type */
};

/*
 * A CO-RE relocation (a .BTF.ext core_relo record, Linux's struct
 * bpf_core_relo): the instruction holds a value about a type of the
 * object's BTF (a field's offset, size or existence, a type's size or
 * existence, an enum value) that must be made the target's. Opening an
 * object checks each record against its BTF and its instruction; applying
 * them is bpf_elf_core_relocate().
 */
struct bpf_elf_core_relo {
    size_t insn;        /* slot in the program */
    uint32_t kind;      /* Linux's enum bpf_core_relo_kind, BPF_ELF_CORE_* */
    uint32_t type_id;   /* the root type, in the object's BTF */
    const char *access; /* the access string ("0:1:3"), in the object's BTF strings */
};

/* Relocation kinds (Linux's enum bpf_core_relo_kind). */
enum {
    BPF_ELF_CORE_FIELD_BYTE_OFFSET = 0,
    BPF_ELF_CORE_FIELD_BYTE_SIZE = 1,
    BPF_ELF_CORE_FIELD_EXISTS = 2,
    BPF_ELF_CORE_FIELD_SIGNED = 3,
    BPF_ELF_CORE_FIELD_LSHIFT_U64 = 4,
    BPF_ELF_CORE_FIELD_RSHIFT_U64 = 5,
    BPF_ELF_CORE_TYPE_ID_LOCAL = 6,
    BPF_ELF_CORE_TYPE_ID_TARGET = 7,
    BPF_ELF_CORE_TYPE_EXISTS = 8,
    BPF_ELF_CORE_TYPE_SIZE = 9,
    BPF_ELF_CORE_ENUMVAL_EXISTS = 10,
    BPF_ELF_CORE_ENUMVAL_VALUE = 11,
    BPF_ELF_CORE_TYPE_MATCHES = 12,
};

struct bpf_elf_program {
    char *name;    /* function name (the section name if the section has no symbols) */
    char *section; /* ELF section, e.g. "xdp", "process" */
    struct ebpf_insn *insns;
    size_t insn_count;      /* including appended callees */
    size_t own_insn_count;  /* the program's own instructions, before callees */
    struct bpf_elf_line *lines; /* ascending insn; empty without BTF.ext */
    size_t line_count;
    struct bpf_elf_func *funcs; /* ascending insn; empty without BTF.ext */
    size_t func_count;
    struct bpf_elf_core_relo *core_relos; /* ascending insn; instructions still hold the object's values */
    size_t core_relo_count;
};

struct bpf_elf_object {
    char *name;    /* file name without directories and extensions */
    char *license; /* NULL without a "license" section */
    bool has_version;
    uint32_t version;
    struct bpf_elf_program *programs; /* in section order, then offset order */
    size_t program_count;
    struct bpf_elf_map *maps; /* BTF maps, legacy maps, then global data */
    size_t map_count;
    uint8_t *btf; /* raw .BTF section, NULL if absent */
    size_t btf_size;
    uint8_t *btf_ext; /* raw .BTF.ext section, NULL if absent */
    size_t btf_ext_size;
};

/* Loads the object file at path; on failure returns -1 with "path: reason" in err. */
int bpf_elf_open_file(const char *path, struct bpf_elf_object **out, char *err, size_t errlen);

/* Loads an object from memory (copied); name labels errors and names global-data maps. */
int bpf_elf_open_mem(const void *buf, size_t len, const char *name, struct bpf_elf_object **out, char *err,
                     size_t errlen);

/* Frees an object and everything it owns; NULL is allowed. */
void bpf_elf_close(struct bpf_elf_object *obj);

/* The program with the given function name, or NULL. */
const struct bpf_elf_program *bpf_elf_find_program(const struct bpf_elf_object *obj, const char *name);

/* Index of the map with the given name, or -1. */
int bpf_elf_find_map(const struct bpf_elf_object *obj, const char *name);

/* The line-info record covering instruction insn_index (the nearest one at or before it), or NULL. */
const struct bpf_elf_line *bpf_elf_line_of(const struct bpf_elf_program *prog, size_t insn_index);

/*
 * The target of CO-RE relocations: the types a host (or, for offline
 * checks, a profile of another system) defines, each a struct with named
 * fields. A relocation names its type by the C names of the object's BTF
 * (a struct's tag or a typedef; a "___flavor" suffix is ignored, as
 * libbpf does) and its fields by name.
 */
struct bpf_elf_core_field {
    const char *name;
    uint32_t offset;
    uint32_t size;
};
struct bpf_elf_core_type {
    const char *const *names; /* the struct's tag and typedef names, NULL-terminated */
    uint32_t size;
    const struct bpf_elf_core_field *fields;
    size_t field_count;
};

/* bpf_elf_core_relocate(): a relocation needs a type, field or kind the target does not have. */
enum { BPF_ELF_CORE_UNRESOLVED = -2 };

/*
 * Applies prog's CO-RE relocations to insns (a copy of prog->insns) with the
 * values of the target types. Inside a field the target has, the program's
 * own types are trusted when the field's size is the same. An existence
 * check of a type or field the target lacks yields 0; any other relocation
 * it cannot resolve makes it return BPF_ELF_CORE_UNRESOLVED with "CO-RE
 * relocation at instruction N of SECTION: KIND of PATH: REASON" in err
 * (e.g. "field byte offset of struct task_struct.pid: no such type on this
 * host"). Returns 0, or -1 if out of memory.
 */
int bpf_elf_core_relocate(const struct bpf_elf_object *obj, const struct bpf_elf_program *prog,
                          const struct bpf_elf_core_type *types, size_t type_count, struct ebpf_insn *insns,
                          char *err, size_t errlen);

/*
 * Whether the struct prog's context argument points to (its first
 * parameter's type in BTF func info, through typedefs and qualifiers) has
 * a member named in members (NULL-terminated), directly or inside an
 * anonymous struct or union member; prog NULL: any program's of obj.
 * False without BTF func info.
 */
bool bpf_elf_ctx_has_member(const struct bpf_elf_object *obj, const struct bpf_elf_program *prog,
                            const char *const *members);

/* Linux's name of a map type ("hash", "array_of_maps", ...), or NULL if unknown;
 * the loader accepts every type named here. */
const char *bpf_elf_map_type_name(uint32_t type);

#endif
