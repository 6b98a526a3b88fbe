/* Small services the loader's steps share: errors, allocation, look-ups. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "elf/loader.h"

int ld_fail(struct loader *ld, const char *fmt, ...)
{
    if (ld->failed)
        return -1;
    ld->failed = true;
    if (ld->errlen == 0)
        return -1;
    int n = snprintf(ld->err, ld->errlen, "%s: ", ld->name);
    if (n >= 0 && (size_t)n < ld->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void *ld_calloc(struct loader *ld, size_t count, size_t size)
{
    /* calloc(0, ...) may return NULL; callers treat NULL as failure. */
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        ld_fail(ld, "out of memory");
    return p;
}

char *ld_strdup(struct loader *ld, const char *s)
{
    char *p = strdup(s);
    if (!p)
        ld_fail(ld, "out of memory");
    return p;
}

void *ld_push(struct loader *ld, void *items_ptr, size_t *count, size_t *cap, size_t size)
{
    /* items_ptr is a T **; the pointer is copied, not type-punned. */
    void *items;
    memcpy(&items, items_ptr, sizeof items);
    if (*count == *cap) {
        size_t want = *cap ? *cap * 2 : 8;
        void *grown = realloc(items, want * size);
        if (!grown) {
            ld_fail(ld, "out of memory");
            return NULL;
        }
        items = grown;
        memcpy(items_ptr, &items, sizeof items);
        *cap = want;
    }
    uint8_t *slot = (uint8_t *)items + (*count)++ * size;
    memset(slot, 0, size);
    return slot;
}

void ld_sort(void *items, size_t count, size_t size, int (*compare)(const void *, const void *))
{
    if (count > 1)
        qsort(items, count, size, compare);
}

const char *ld_symbol_name(const struct loader *ld, const struct ld_symbol *sym)
{
    if (*sym->name || sym->shndx == 0 || sym->shndx >= ld->shnum)
        return sym->name;
    return ld->secs[sym->shndx].name;
}

size_t ld_section_by_name(const struct loader *ld, const char *name)
{
    for (size_t i = 1; i < ld->shnum; i++)
        if (strcmp(ld->secs[i].name, name) == 0)
            return i;
    return 0;
}

struct ld_code *ld_code_of(const struct loader *ld, size_t shndx)
{
    for (size_t i = 0; i < ld->code_count; i++)
        if (ld->code[i].shndx == shndx)
            return &ld->code[i];
    return NULL;
}

struct bpf_elf_map *ld_add_map(struct loader *ld, const char *name, const char *section, size_t shndx,
                               uint64_t offset, uint64_t size)
{
    struct bpf_elf_object *obj = ld->obj;
    size_t count = obj->map_count;
    struct ld_map_loc *loc = ld_push(ld, &ld->map_locs, &count, &ld->map_loc_cap, sizeof *loc);
    if (!loc)
        return NULL;
    *loc = (struct ld_map_loc){.shndx = shndx, .offset = offset, .size = size, .values_off = UINT64_MAX};
    count = obj->map_count;
    struct bpf_elf_map *map = ld_push(ld, &obj->maps, &count, &ld->map_cap, sizeof *map);
    if (!map)
        return NULL;
    obj->map_count = count;
    map->inner_map = -1;
    map->name = ld_strdup(ld, name);
    map->section = ld_strdup(ld, section);
    return map->name && map->section ? map : NULL;
}

int ld_map_at(const struct loader *ld, size_t shndx, uint64_t offset)
{
    for (size_t i = 0; i < ld->obj->map_count; i++) {
        const struct ld_map_loc *loc = &ld->map_locs[i];
        if (loc->shndx != shndx)
            continue;
        bool global = ld->obj->maps[i].kind >= BPF_ELF_MAP_DATA;
        if (global ? offset < loc->size : offset == loc->offset)
            return (int)i;
    }
    return -1;
}

/*
 * Calls fn for every relocation of the REL or RELA section rel. RELA
 * sections come from early LLVM releases (the Open vSwitch datapath):
 * their addends must be 0, and their type 0 stands for a 64-bit address.
 */
static int each_rel_in(struct loader *ld, size_t rel, ld_rel_fn fn, void *ctx)
{
    const struct ld_section *s = &ld->secs[rel];
    bool rela = s->shdr.sh_type == SHT_RELA;
    size_t entsize = rela ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
    if (s->shdr.sh_entsize != entsize || s->size % entsize != 0)
        return ld_fail(ld, "section '%s': bad entry size %llu or size %zu", s->name,
                       (unsigned long long)s->shdr.sh_entsize, s->size);
    Elf_Data *data = elf_getdata(elf_getscn(ld->elf, rel), NULL);
    if (!data)
        return ld_fail(ld, "section '%s': %s", s->name, elf_errmsg(-1));
    size_t count = s->size / entsize;
    for (size_t i = 0; i < count; i++) {
        GElf_Rel r;
        GElf_Rela ra;
        if (rela) {
            if (!gelf_getrela(data, (int)i, &ra))
                return ld_fail(ld, "section '%s': relocation %zu: %s", s->name, i, elf_errmsg(-1));
            if (ra.r_addend)
                return ld_fail(ld, "section '%s': relocation %zu has addend %lld; only 0 is supported", s->name, i,
                               (long long)ra.r_addend);
            r.r_offset = ra.r_offset;
            r.r_info = GELF_R_TYPE(ra.r_info) ? ra.r_info : GELF_R_INFO(GELF_R_SYM(ra.r_info), RELOC_BPF_64_64);
        } else if (!gelf_getrel(data, (int)i, &r)) {
            return ld_fail(ld, "section '%s': relocation %zu: %s", s->name, i, elf_errmsg(-1));
        }
        size_t sym = GELF_R_SYM(r.r_info);
        if (sym == 0 || sym >= ld->sym_count)
            return ld_fail(ld, "section '%s': relocation %zu names symbol %zu, outside the symbol table", s->name, i,
                           sym);
        if (fn(ld, r.r_offset, (uint32_t)GELF_R_TYPE(r.r_info), sym, ctx) < 0)
            return -1;
    }
    return 0;
}

int ld_for_each_rel(struct loader *ld, size_t target, ld_rel_fn fn, void *ctx)
{
    for (size_t i = 1; i < ld->shnum; i++) {
        const GElf_Shdr *sh = &ld->secs[i].shdr;
        if ((sh->sh_type != SHT_REL && sh->sh_type != SHT_RELA) || sh->sh_info != target)
            continue;
        if (each_rel_in(ld, i, fn, ctx) < 0)
            return -1;
    }
    return 0;
}
