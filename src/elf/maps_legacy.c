/* Legacy maps: an array of struct bpf_map_def in SEC("maps"), one per symbol.
 * As libbpf does, the definition size is the section size divided by the
 * number of symbols, so objects built with longer definitions still load
 * as long as the fields this loader does not know are zero. Sections named
 * "maps/NAME" (one definition each, PREVAIL's and eBPF for Windows'
 * convention) are read the same way; a map of maps' inner_map_idx counts
 * the legacy maps of every such section, in section order. */
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
    map->def_size = (uint32_t)def_size;
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
            return ld_fail(ld, "map '%s': inner_map_idx %u does not name another legacy map", map->name,
                           inner_idx[k]);
        map->inner_map = (int)(first + inner_idx[k]);
        map->has_inner = true;
        map->inner = ld->obj->maps[map->inner_map].def;
    }
    return 0;
}

/* Creates the maps of the symbols syms[0..n) (sorted by offset) of section shndx; their inner_map_idx go to
 * inner_idx[0..n). */
static int read_defs(struct loader *ld, size_t shndx, const struct map_sym *syms, size_t n, uint32_t *inner_idx)
{
    const struct ld_section *s = &ld->secs[shndx];
    size_t def_size = s->size / n;
    if (s->size % n || def_size < LEGACY_MIN_FIELDS * 4)
        return ld_fail(ld, "section %s: %zu bytes do not hold %zu map definitions", s->name, s->size, n);
    for (size_t k = 0; k < n; k++) {
        const struct ld_symbol *sym = &ld->syms[syms[k].sym];
        if (sym->bad_name)
            return ld_fail(ld, "section %s: map symbol %zu has a name outside the string table", s->name,
                           syms[k].sym);
        if (sym->value != k * def_size)
            return ld_fail(ld, "map '%s' is at offset %llu of section %s, not at a definition boundary", sym->name,
                           (unsigned long long)sym->value, s->name);
        struct bpf_elf_map *map = ld_add_map(ld, sym->name, s->name, shndx, sym->value, def_size);
        if (!map || read_def(ld, sym->name, s->data + sym->value, def_size, map, &inner_idx[k]) < 0)
            return -1;
    }
    return 0;
}

/* True for a legacy map section: "maps" or "maps/NAME". */
static bool is_legacy_maps(const char *name)
{
    return strncmp(name, "maps", 4) == 0 && (name[4] == '\0' || name[4] == '/');
}

/* Reads the legacy map section shndx, appending its maps' inner_map_idx to inner_idx (*count of them so far). */
static int load_section(struct loader *ld, size_t shndx, struct map_sym *syms, uint32_t *inner_idx, size_t *count)
{
    const struct ld_section *s = &ld->secs[shndx];
    if (!s->data)
        return ld_fail(ld, "section %s has no contents", s->name);
    size_t n = 0;
    for (size_t i = 0; i < ld->sym_count; i++)
        if (ld->syms[i].shndx == shndx && ld->syms[i].type != STT_SECTION)
            syms[n++] = (struct map_sym){ld->syms[i].value, i};
    ld_sort(syms, n, sizeof *syms, compare_by_value);
    if (!n)
        return ld_fail(ld, "section %s has no map symbols", s->name);
    if (read_defs(ld, shndx, syms, n, inner_idx + *count) < 0)
        return -1;
    *count += n;
    return 0;
}

int ld_load_legacy_maps(struct loader *ld)
{
    size_t first = ld->obj->map_count, count = 0;
    struct map_sym *syms = ld_calloc(ld, ld->sym_count + 1, sizeof *syms);
    uint32_t *inner_idx = ld_calloc(ld, ld->sym_count + 1, sizeof *inner_idx);
    int rc = syms && inner_idx ? 0 : -1;
    for (size_t i = 1; i < ld->shnum && rc == 0; i++)
        if (is_legacy_maps(ld->secs[i].name))
            rc = load_section(ld, i, syms, inner_idx, &count);
    if (rc == 0)
        rc = link_inner(ld, first, count, inner_idx);
    free(syms);
    free(inner_idx);
    return rc;
}
