/* Legacy maps: an array of struct bpf_map_def in SEC("maps"), one per symbol.
 * As libbpf does, the definition size is the section size divided by the
 * number of symbols, so objects built with longer definitions still load
 * as long as the fields this loader does not know are zero. */
#include <stdlib.h>

#include "elf/loader.h"

enum {
    LEGACY_MIN_FIELDS = 5, /* type, key_size, value_size, max_entries, map_flags */
    LEGACY_FIELDS = 7,     /* + inner_map_idx, pinning (include/bpf_helpers.h) */
};

/* A symbol of section maps, sortable without a context. */
struct map_sym {
    uint64_t value;
    size_t sym;
};

static int compare_by_value(const void *a, const void *b)
{
    const struct map_sym *x = a, *y = b;
    return (x->value > y->value) - (x->value < y->value);
}

/* Reads the definition at data (def_size bytes) into map. */
static int read_def(struct loader *ld, const char *name, const uint8_t *data, size_t def_size,
                    struct bpf_elf_map *map, uint32_t *inner_idx)
{
    uint32_t f[LEGACY_FIELDS] = {0};
    for (size_t i = 0; i < LEGACY_FIELDS && (i + 1) * 4 <= def_size; i++)
        f[i] = ld_u32(data + i * 4);
    for (size_t i = LEGACY_FIELDS * 4; i < def_size; i++)
        if (data[i])
            return ld_fail(ld, "map '%s': definition has unknown non-zero fields after byte %d", name,
                           LEGACY_FIELDS * 4);
    map->kind = BPF_ELF_MAP_LEGACY;
    /* iproute2's definitions say 1 (object namespace) or 2 (global
     * namespace): both pin by name, which is what pinning 1 means here. */
    if (f[6] == 2)
        f[6] = BPF_ELF_PIN_BY_NAME;
    map->def = (struct bpf_elf_map_def){
        .type = f[0], .key_size = f[1], .value_size = f[2], .max_entries = f[3], .map_flags = f[4], .pinning = f[6]};
    *inner_idx = f[5];
    return ld_check_map_def(ld, name, &map->def);
}

/* Points every map of maps among the count maps from first at its inner template. */
static int link_inner(struct loader *ld, size_t first, size_t count, const uint32_t *inner_idx)
{
    for (size_t k = 0; k < count; k++) {
        struct bpf_elf_map *map = &ld->obj->maps[first + k];
        if (map->def.type != BPF_MAP_TYPE_ARRAY_OF_MAPS && map->def.type != BPF_MAP_TYPE_HASH_OF_MAPS)
            continue;
        if (inner_idx[k] >= count || inner_idx[k] == k)
            return ld_fail(ld, "map '%s': inner_map_idx %u does not name another map of section maps", map->name,
                           inner_idx[k]);
        map->inner_map = (int)(first + inner_idx[k]);
        map->has_inner = true;
        map->inner = ld->obj->maps[map->inner_map].def;
    }
    return 0;
}

/* Creates the maps of the symbols syms[0..n) (sorted by offset) of section shndx. */
static int read_defs(struct loader *ld, size_t shndx, const struct map_sym *syms, size_t n, uint32_t *inner_idx)
{
    const struct ld_section *s = &ld->secs[shndx];
    size_t def_size = s->size / n;
    if (s->size % n || def_size < LEGACY_MIN_FIELDS * 4)
        return ld_fail(ld, "section maps: %zu bytes do not hold %zu map definitions", s->size, n);
    size_t first = ld->obj->map_count;
    for (size_t k = 0; k < n; k++) {
        const struct ld_symbol *sym = &ld->syms[syms[k].sym];
        if (sym->value != k * def_size)
            return ld_fail(ld, "map '%s' is at offset %llu of section maps, not at a definition boundary", sym->name,
                           (unsigned long long)sym->value);
        struct bpf_elf_map *map = ld_add_map(ld, sym->name, "maps", shndx, sym->value, def_size);
        if (!map || read_def(ld, sym->name, s->data + sym->value, def_size, map, &inner_idx[k]) < 0)
            return -1;
    }
    return link_inner(ld, first, n, inner_idx);
}

int ld_load_legacy_maps(struct loader *ld)
{
    size_t shndx = ld_section_by_name(ld, "maps");
    if (!shndx)
        return 0;
    if (!ld->secs[shndx].data)
        return ld_fail(ld, "section maps has no contents");
    struct map_sym *syms = ld_calloc(ld, ld->sym_count, sizeof *syms);
    uint32_t *inner_idx = ld_calloc(ld, ld->sym_count, sizeof *inner_idx);
    int rc = -1;
    if (syms && inner_idx) {
        size_t n = 0;
        for (size_t i = 0; i < ld->sym_count; i++)
            if (ld->syms[i].shndx == shndx && ld->syms[i].type != STT_SECTION)
                syms[n++] = (struct map_sym){ld->syms[i].value, i};
        ld_sort(syms, n, sizeof *syms, compare_by_value);
        rc = n ? read_defs(ld, shndx, syms, n, inner_idx) : ld_fail(ld, "section maps has no map symbols");
    }
    free(syms);
    free(inner_idx);
    return rc;
}
