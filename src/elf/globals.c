/* Global variables: each .data*, .rodata* and .bss* section becomes a
 * single-entry array map whose one value is the section's bytes, named
 * "<object name><section name>" (e.g. "prog.rodata"), as libbpf does. */
#include <stdio.h>
#include <stdlib.h>

#include "elf/loader.h"

/* The kind of global-data map section name stands for, or -1. */
static int global_kind(const char *name)
{
    static const struct {
        const char *prefix;
        enum bpf_elf_map_kind kind;
    } kinds[] = {{".data", BPF_ELF_MAP_DATA}, {".rodata", BPF_ELF_MAP_RODATA}, {".bss", BPF_ELF_MAP_BSS}};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        size_t len = strlen(kinds[i].prefix);
        if (strncmp(name, kinds[i].prefix, len) == 0 && (name[len] == '\0' || name[len] == '.'))
            return (int)kinds[i].kind;
    }
    return -1;
}

/* Creates the map of global-data section shndx. */
static int add_global(struct loader *ld, size_t shndx, enum bpf_elf_map_kind kind)
{
    const struct ld_section *s = &ld->secs[shndx];
    if (s->size > UINT32_MAX)
        return ld_fail(ld, "section '%s' is too large for a map value (%zu bytes)", s->name, s->size);
    char *name = ld_calloc(ld, strlen(ld->obj->name) + strlen(s->name) + 1, 1);
    if (!name)
        return -1;
    sprintf(name, "%s%s", ld->obj->name, s->name);
    struct bpf_elf_map *map = ld_add_map(ld, name, s->name, shndx, 0, s->size);
    free(name);
    if (!map)
        return -1;
    map->kind = kind;
    map->def = (struct bpf_elf_map_def){.type = BPF_MAP_TYPE_ARRAY,
                                        .key_size = sizeof(uint32_t),
                                        .value_size = (uint32_t)s->size,
                                        .max_entries = 1};
    if (kind == BPF_ELF_MAP_RODATA) {
        map->def.map_flags = BPF_ELF_F_RDONLY_PROG;
        map->frozen = true;
    }
    if (s->data) {
        if (!(map->data = ld_calloc(ld, s->size, 1)))
            return -1;
        memcpy(map->data, s->data, s->size);
    }
    return 0;
}

int ld_load_globals(struct loader *ld)
{
    for (size_t i = 1; i < ld->shnum; i++) {
        const struct ld_section *s = &ld->secs[i];
        int kind = global_kind(s->name);
        bool contents = s->shdr.sh_type == SHT_PROGBITS || s->shdr.sh_type == SHT_NOBITS;
        /* Empty sections hold no variable anything could refer to. */
        if (kind < 0 || !contents || !(s->shdr.sh_flags & SHF_ALLOC) || (s->shdr.sh_flags & SHF_EXECINSTR) ||
            s->size == 0)
            continue;
        if (add_global(ld, i, (enum bpf_elf_map_kind)kind) < 0)
            return -1;
    }
    return 0;
}
