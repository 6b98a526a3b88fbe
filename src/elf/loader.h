/*
 * State shared by the loader's steps while one object is being opened.
 * Private to src/elf (the layer's public header is bpf_elf.h).
 */
#ifndef BPFHOST_ELF_LOADER_H
#define BPFHOST_ELF_LOADER_H

#include <gelf.h>
#include <string.h>

#include "elf/bpf_elf.h"

/* BPF relocation types (not every <elf.h> names them all). */
enum {
    RELOC_BPF_64_64 = 1,    /* lddw: 64-bit address of a map, variable or function */
    RELOC_BPF_64_ABS64 = 2, /* data: 64-bit address (map-in-map and prog-array slots) */
    RELOC_BPF_64_32 = 10,   /* call: instruction offset of a function */
};

/* One ELF section, its name and contents checked against the file size. */
struct ld_section {
    const char *name; /* "" when its offset is outside the name table (then it is no section the loader reads) */
    GElf_Shdr shdr;
    const uint8_t *data; /* NULL for SHT_NOBITS and empty sections */
    size_t size;
};

/* One symbol of the symbol table, with its name resolved. */
struct ld_symbol {
    const char *name; /* "" when unnamed */
    bool bad_name;    /* its name offset is outside the string table (name is ""): unusable as a function or map */
    size_t shndx;     /* SHN_UNDEF, a section index (maybe past the table: no section), or a reserved index */
    uint64_t value;
    uint64_t size;
    unsigned type; /* STT_* */
    unsigned bind; /* STB_* */
};

/* A call or code-address relocation, resolved by the program builder. */
struct ld_reloc {
    size_t insn; /* slot index within the section */
    size_t sym;
};

/* A function of a code section: slots [start, end). */
struct ld_func {
    size_t start;
    size_t end;
    const char *name;
    bool global;
};

/* An executable section, its map and global-data references already rewritten. */
struct ld_code {
    size_t shndx;
    const char *name;
    struct ebpf_insn *insns;
    size_t count;
    struct ld_reloc *relocs; /* calls and code addresses, ascending insn */
    size_t reloc_count;
    struct ld_func *funcs; /* ascending start */
    size_t func_count;
};

/* Where a map lives in the file, to resolve references to it. */
struct ld_map_loc {
    size_t shndx;
    uint64_t offset;     /* of the definition (0 for global data) */
    uint64_t size;       /* bytes of the definition or section */
    uint64_t values_off; /* offset of the __array(values) member, or UINT64_MAX */
};

/* BTF.ext records of one code section (insn = slot within the section). */
struct ld_ext_sec {
    const struct ld_code *code;
    struct bpf_elf_line *lines;
    size_t line_count;
    size_t line_cap;
    struct bpf_elf_func *funcs;
    size_t func_count;
    size_t func_cap;
    struct bpf_elf_core_relo *relos;
    size_t relo_count;
    size_t relo_cap;
};

struct btf;

struct loader {
    const char *name; /* for messages: the path or the caller's name */
    char *err;
    size_t errlen;
    bool failed;
    uint8_t *image; /* our copy of the file */
    size_t image_size;
    Elf *elf;
    struct ld_section *secs;
    size_t shnum;
    size_t maps_shndx; /* the .maps section, 0 if none */
    struct ld_symbol *syms;
    size_t sym_count;
    struct btf *btf; /* NULL without .BTF */
    struct ld_code *code;
    size_t code_count;
    struct ld_ext_sec *ext;
    size_t ext_count;
    size_t ext_cap;
    struct ld_map_loc *map_locs; /* parallel to obj->maps */
    size_t map_loc_cap;
    size_t map_cap;
    size_t program_cap;
    struct bpf_elf_object *obj;
};

/* Records "<name>: <message>" as the error (the first one wins); returns -1. */
int ld_fail(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* calloc that records an out-of-memory error. */
void *ld_calloc(struct loader *ld, size_t count, size_t size);

/* strdup that records an out-of-memory error. */
char *ld_strdup(struct loader *ld, const char *s);

/* Appends a zeroed element to a growable array; NULL (error recorded) if out of memory. */
void *ld_push(struct loader *ld, void *items_ptr, size_t *count, size_t *cap, size_t size);

/* qsort that accepts an empty (NULL) array. */
void ld_sort(void *items, size_t count, size_t size, int (*compare)(const void *, const void *));

/* A symbol's name for messages: its section's name when it has none. */
const char *ld_symbol_name(const struct loader *ld, const struct ld_symbol *sym);

/* Index of the section with the given name, or 0 if there is none. */
size_t ld_section_by_name(const struct loader *ld, const char *name);

/* The code section with the given section index, or NULL. */
struct ld_code *ld_code_of(const struct loader *ld, size_t shndx);

/* Appends a map found at (shndx, offset); NULL (error recorded) if out of memory. */
struct bpf_elf_map *ld_add_map(struct loader *ld, const char *name, const char *section, size_t shndx,
                               uint64_t offset, uint64_t size);

/* Index of the map defined exactly at (shndx, offset) or, for global data, the
 * map of section shndx; -1 if none. */
int ld_map_at(const struct loader *ld, size_t shndx, uint64_t offset);

/* Called for each relocation of a section; sym is a valid, non-null symbol index. */
typedef int (*ld_rel_fn)(struct loader *ld, uint64_t offset, uint32_t type, size_t sym, void *ctx);

/* Calls fn for every relocation that applies to section target; stops at the first error. */
int ld_for_each_rel(struct loader *ld, size_t target, ld_rel_fn fn, void *ctx);

/* Little-endian u32 at p (objects are little-endian; p may be unaligned). */
static inline uint32_t ld_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* The recorded call or code-address relocation at slot insn of code, or NULL. */
const struct ld_reloc *ld_reloc_at(const struct ld_code *code, size_t insn);

/* Steps of bpf_elf_open_mem, in the order they run; each returns 0 or -1. */
int ld_load_btf(struct loader *ld);
int ld_load_btf_maps(struct loader *ld);
int ld_load_legacy_maps(struct loader *ld);
int ld_load_globals(struct loader *ld);
int ld_load_code(struct loader *ld);
int ld_load_btf_ext(struct loader *ld);
int ld_build_programs(struct loader *ld);
int ld_load_map_slots(struct loader *ld);

/* Checks what every map definition needs (a known type, a known pinning); "what" names the map. */
int ld_check_map_def(struct loader *ld, const char *what, const struct bpf_elf_map_def *def);

/* core_relo.c: reads one CO-RE record of ext's section for slot insn, checking it
 * against the BTF and the instruction (a .BTF.ext record reader). */
int ld_read_core_relo(struct loader *ld, struct ld_ext_sec *ext, size_t insn, const uint8_t *rec);

/* Appends the BTF.ext records of code[start, end) to prog, shifted to start at out. */
int ld_copy_ext(struct loader *ld, struct bpf_elf_program *prog, const struct ld_code *code, size_t start,
                size_t end, size_t out);

/* Sorts prog's line and func records by instruction. */
void ld_sort_ext(struct bpf_elf_program *prog);

/* Frees the loader's BTF.ext tables. */
void ld_free_ext(struct loader *ld);

#endif
