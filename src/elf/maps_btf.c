/* BTF-defined maps: the variables of SEC(".maps"), whose definition is
 * encoded in the BTF of each variable's anonymous struct (see __uint,
 * __type and __array in include/bpf_helpers.h), and the static initial
 * values of prog arrays and maps of maps, given by relocations in .maps. */
#include <stdlib.h>

#include "elf/btf.h"
#include "elf/loader.h"

/* What one definition struct said, before the fields are reconciled. */
struct fields {
    struct bpf_elf_map_def def;
    uint32_t key_type_size;   /* size of __type(key, ...), 0 if absent */
    uint32_t value_type_size; /* size of __type(value, ...), 0 if absent */
    uint32_t values_kind;     /* BTF kind of the __array(values) pointee, 0 if absent */
    uint32_t values_type;     /* that pointee's type id (an inner map struct) */
    uint64_t values_off;      /* byte offset of the values member */
};

/* If type_id (past typedefs and qualifiers) is a pointer: its target's id
 * in *target and the target, resolved, in *t. Returns 1, 0 if type_id is
 * not a pointer, -1 on error. */
static int pointee(struct loader *ld, uint32_t type_id, uint32_t *target, struct btf_type *t)
{
    uint32_t id;
    if (btf_resolve(ld, ld->btf, type_id, &id, t) < 0)
        return -1;
    if (t->kind != BTF_KIND_PTR)
        return 0;
    *target = t->size_or_type;
    return btf_resolve(ld, ld->btf, *target, &id, t) < 0 ? -1 : 1;
}

/* The value of a __uint field: the element count of the pointed-to array. */
static int uint_field(struct loader *ld, const char *what, const struct btf_member *m, uint32_t *out)
{
    struct btf_type t;
    uint32_t target;
    int rc = pointee(ld, m->type, &target, &t);
    if (rc < 0)
        return -1;
    if (rc == 0 || t.kind != BTF_KIND_ARRAY)
        return ld_fail(ld, "map '%s': field '%s' is not a __uint", what, m->name);
    struct btf_array a;
    btf_array(&t, &a);
    *out = a.nelems;
    return 0;
}

/* The type a __type field points to, and its size. */
static int type_field(struct loader *ld, const char *what, const struct btf_member *m, uint32_t *type,
                      uint32_t *size)
{
    struct btf_type t;
    int rc = pointee(ld, m->type, type, &t);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return ld_fail(ld, "map '%s': field '%s' is not a __type", what, m->name);
    return btf_size(ld, ld->btf, *type, size);
}

/* The __array(values, T) field: an array of pointers to an inner map struct
 * or to a function prototype (prog arrays). */
static int values_field(struct loader *ld, const char *what, const struct btf_member *m, struct fields *f)
{
    struct btf_type t;
    uint32_t id;
    if (btf_resolve(ld, ld->btf, m->type, &id, &t) < 0)
        return -1;
    if (t.kind == BTF_KIND_ARRAY) {
        struct btf_array a;
        btf_array(&t, &a);
        int rc = pointee(ld, a.elem_type, &f->values_type, &t);
        if (rc < 0)
            return -1;
        f->values_kind = rc == 1 ? t.kind : 0;
    }
    if (f->values_kind != BTF_KIND_STRUCT && f->values_kind != BTF_KIND_FUNC_PROTO)
        return ld_fail(ld, "map '%s': 'values' is not an __array of map definitions or programs", what);
    if (m->bit_offset % 8)
        return ld_fail(ld, "map '%s': 'values' is not byte-aligned", what);
    f->values_off = m->bit_offset / 8;
    return 0;
}

/* Reads one member of a definition struct into f. */
static int read_field(struct loader *ld, const char *what, const struct btf_member *m, struct fields *f)
{
    static const struct {
        const char *name;
        size_t offset;
    } uints[] = {
        {"type", offsetof(struct bpf_elf_map_def, type)},
        {"max_entries", offsetof(struct bpf_elf_map_def, max_entries)},
        {"map_flags", offsetof(struct bpf_elf_map_def, map_flags)},
        {"key_size", offsetof(struct bpf_elf_map_def, key_size)},
        {"value_size", offsetof(struct bpf_elf_map_def, value_size)},
        {"pinning", offsetof(struct bpf_elf_map_def, pinning)},
    };
    for (size_t i = 0; i < sizeof uints / sizeof uints[0]; i++)
        if (strcmp(m->name, uints[i].name) == 0)
            return uint_field(ld, what, m, (uint32_t *)((uint8_t *)&f->def + uints[i].offset));
    if (strcmp(m->name, "key") == 0)
        return type_field(ld, what, m, &f->def.key_type_id, &f->key_type_size);
    if (strcmp(m->name, "value") == 0)
        return type_field(ld, what, m, &f->def.value_type_id, &f->value_type_size);
    if (strcmp(m->name, "values") == 0)
        return values_field(ld, what, m, f);
    uint32_t ignored;
    /* Linux-only placement hints, accepted and ignored. */
    if (strcmp(m->name, "numa_node") == 0 || strcmp(m->name, "map_extra") == 0)
        return uint_field(ld, what, m, &ignored);
    return ld_fail(ld, "map '%s': unknown field '%s'", what, m->name);
}

/* Reconciles a size given both by __uint(x_size) and by __type(x). */
static int reconcile_size(struct loader *ld, const char *what, const char *field, uint32_t *size,
                          uint32_t type_size, uint32_t type_id)
{
    if (!type_id)
        return 0;
    if (*size && *size != type_size)
        return ld_fail(ld, "map '%s': %s_size %u disagrees with the %u-byte %s type", what, field, *size, type_size,
                       field);
    *size = type_size;
    return 0;
}

/* Parses the definition struct type_id into f; nested says whether this is
 * an inner map's template, which may not itself hold values. */
static int parse_def(struct loader *ld, const char *what, uint32_t type_id, bool nested, struct fields *f)
{
    struct btf_type t;
    if (btf_resolve(ld, ld->btf, type_id, &type_id, &t) < 0)
        return -1;
    if (t.kind != BTF_KIND_STRUCT)
        return ld_fail(ld, "map '%s': definition is not a struct", what);
    for (uint32_t i = 0; i < t.vlen; i++) {
        struct btf_member m;
        btf_member(ld->btf, &t, i, &m);
        if (read_field(ld, what, &m, f) < 0)
            return -1;
    }
    if (reconcile_size(ld, what, "key", &f->def.key_size, f->key_type_size, f->def.key_type_id) < 0 ||
        reconcile_size(ld, what, "value", &f->def.value_size, f->value_type_size, f->def.value_type_id) < 0)
        return -1;
    if (nested && f->values_kind)
        return ld_fail(ld, "map '%s': an inner map definition may not have values", what);
    return ld_check_map_def(ld, what, &f->def);
}

/* Applies the __array(values) rules to an outer map and reads its inner template. */
static int read_values(struct loader *ld, const char *what, const struct fields *f, struct bpf_elf_map *map)
{
    uint32_t type = map->def.type;
    bool of_maps = type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
    if (!f->values_kind) {
        if (of_maps)
            return ld_fail(ld, "map '%s': a map of maps needs __array(values, <inner map>)", what);
        return 0;
    }
    if (f->values_kind == BTF_KIND_FUNC_PROTO && type != BPF_MAP_TYPE_PROG_ARRAY)
        return ld_fail(ld, "map '%s': an __array of programs needs a prog_array map", what);
    if (f->values_kind == BTF_KIND_STRUCT && !of_maps)
        return ld_fail(ld, "map '%s': an __array of maps needs an array_of_maps or hash_of_maps map", what);
    /* Slots hold 32-bit ids of programs or maps. */
    if (map->def.value_size && map->def.value_size != sizeof(uint32_t))
        return ld_fail(ld, "map '%s': value_size %u, but slots hold 4-byte ids", what, map->def.value_size);
    map->def.value_size = sizeof(uint32_t);
    if (f->values_kind == BTF_KIND_FUNC_PROTO)
        return 0;
    struct fields inner = {0};
    if (parse_def(ld, what, f->values_type, true, &inner) < 0)
        return -1;
    map->has_inner = true;
    map->inner = inner.def;
    return 0;
}

/* Offset of the symbol named name in section shndx. */
static int symbol_offset(struct loader *ld, size_t shndx, const char *name, uint64_t *out)
{
    for (size_t i = 0; i < ld->sym_count; i++) {
        if (ld->syms[i].shndx == shndx && strcmp(ld->syms[i].name, name) == 0) {
            *out = ld->syms[i].value;
            return 0;
        }
    }
    return ld_fail(ld, "map '%s' has no symbol in section '%s'", name, ld->secs[shndx].name);
}

int ld_load_btf_maps(struct loader *ld)
{
    size_t shndx = ld->maps_shndx = ld_section_by_name(ld, ".maps");
    if (!shndx)
        return 0;
    if (!ld->btf)
        return ld_fail(ld, "a .maps section needs BTF (compile with -g)");
    uint32_t ds = btf_find_datasec(ld->btf, ".maps");
    if (!ds)
        return ld_fail(ld, "the BTF does not describe the .maps section");
    struct btf_type sec;
    btf_type(ld->btf, ds, &sec);
    for (uint32_t i = 0; i < sec.vlen; i++) {
        struct btf_secinfo si;
        struct btf_type var;
        btf_secinfo(&sec, i, &si);
        btf_type(ld->btf, si.type, &var);
        if (var.kind != BTF_KIND_VAR)
            return ld_fail(ld, ".maps entry %u (BTF type %u) is not a variable", i, si.type);
        /* clang leaves datasec offsets to the linker: the symbol has it. */
        uint64_t offset = 0;
        if (symbol_offset(ld, shndx, var.name, &offset) < 0)
            return -1;
        if (offset > ld->secs[shndx].size || si.size > ld->secs[shndx].size - offset)
            return ld_fail(ld, "map '%s' (offset %llu, %u bytes) lies outside section .maps", var.name,
                           (unsigned long long)offset, si.size);
        struct bpf_elf_map *map = ld_add_map(ld, var.name, ".maps", shndx, offset, si.size);
        struct fields f = {0};
        if (!map || parse_def(ld, var.name, var.size_or_type, false, &f) < 0)
            return -1;
        map->kind = BPF_ELF_MAP_BTF;
        map->def = f.def;
        ld->map_locs[ld->obj->map_count - 1].values_off = f.values_off;
        if (read_values(ld, var.name, &f, map) < 0)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Static initial values: relocations in .maps inside a values array.       */

/* Index of the program whose function is symbol sym, or -1. */
static int program_of_symbol(const struct loader *ld, const struct ld_symbol *sym)
{
    const char *section = ld->secs[sym->shndx].name;
    for (size_t i = 0; i < ld->obj->program_count; i++) {
        const struct bpf_elf_program *p = &ld->obj->programs[i];
        if (strcmp(p->name, sym->name) == 0 && strcmp(p->section, section) == 0)
            return (int)i;
    }
    return -1;
}

/* Resolves the program or map that symbol sym puts in a slot of map. */
static int slot_target(struct loader *ld, const struct bpf_elf_map *map, const struct ld_symbol *sym,
                       struct bpf_elf_slot *slot)
{
    int target;
    if (map->def.type == BPF_MAP_TYPE_PROG_ARRAY) {
        if (sym->shndx >= ld->shnum || !ld_code_of(ld, sym->shndx) || (target = program_of_symbol(ld, sym)) < 0)
            return ld_fail(ld, "map '%s': slot %u names '%s', which is not a program", map->name, slot->index,
                           ld_symbol_name(ld, sym));
        slot->kind = BPF_ELF_SLOT_PROGRAM;
        slot->name = ld->obj->programs[target].name;
    } else {
        target = sym->shndx < ld->shnum ? ld_map_at(ld, sym->shndx, sym->value) : -1;
        if (target < 0 || ld->obj->maps[target].kind != BPF_ELF_MAP_BTF)
            return ld_fail(ld, "map '%s': slot %u names '%s', which is not a map", map->name, slot->index,
                           ld_symbol_name(ld, sym));
        slot->kind = BPF_ELF_SLOT_MAP;
        slot->name = ld->obj->maps[target].name;
    }
    slot->target = (size_t)target;
    return 0;
}

/* Adds the slot that a relocation in .maps initialises (an ld_rel_fn). */
static int add_slot(struct loader *ld, uint64_t offset, uint32_t type, size_t sym, void *ctx)
{
    size_t *slot_caps = ctx;
    if (type != RELOC_BPF_64_ABS64 && type != RELOC_BPF_64_64) /* older LLVM writes the latter */
        return ld_fail(ld, ".maps relocation at offset %llu has type %u, not a 64-bit address",
                       (unsigned long long)offset, type);
    int m = -1;
    for (size_t i = 0; i < ld->obj->map_count && m < 0; i++) {
        const struct ld_map_loc *loc = &ld->map_locs[i];
        if (loc->shndx == ld->maps_shndx && offset >= loc->offset && offset - loc->offset < loc->size)
            m = (int)i;
    }
    if (m < 0)
        return ld_fail(ld, ".maps relocation at offset %llu is outside every map", (unsigned long long)offset);
    struct bpf_elf_map *map = &ld->obj->maps[m];
    const struct ld_map_loc *loc = &ld->map_locs[m];
    uint64_t rel = offset - loc->offset;
    if (loc->values_off == UINT64_MAX || rel < loc->values_off || (rel - loc->values_off) % 8)
        return ld_fail(ld, "map '%s': relocation at offset %llu is not on a values slot", map->name,
                       (unsigned long long)offset);
    uint64_t index = (rel - loc->values_off) / 8;
    if (index >= map->def.max_entries)
        return ld_fail(ld, "map '%s': slot %llu is beyond max_entries %u", map->name, (unsigned long long)index,
                       map->def.max_entries);
    for (size_t i = 0; i < map->slot_count; i++)
        if (map->slots[i].index == index)
            return ld_fail(ld, "map '%s': slot %llu is initialised twice", map->name, (unsigned long long)index);
    struct bpf_elf_slot *slot = ld_push(ld, &map->slots, &map->slot_count, &slot_caps[m], sizeof *slot);
    if (!slot)
        return -1;
    slot->index = (uint32_t)index;
    return slot_target(ld, map, &ld->syms[sym], slot);
}

static int compare_slots(const void *a, const void *b)
{
    const struct bpf_elf_slot *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

int ld_load_map_slots(struct loader *ld)
{
    if (!ld->maps_shndx)
        return 0;
    size_t *slot_caps = ld_calloc(ld, ld->obj->map_count, sizeof *slot_caps);
    if (!slot_caps)
        return -1;
    int rc = ld_for_each_rel(ld, ld->maps_shndx, add_slot, slot_caps);
    free(slot_caps);
    for (size_t i = 0; i < ld->obj->map_count && rc == 0; i++)
        ld_sort(ld->obj->maps[i].slots, ld->obj->maps[i].slot_count, sizeof(struct bpf_elf_slot), compare_slots);
    return rc;
}
