/* Opening and closing objects: the ELF header, the section and symbol
 * tables, license and version, then the other steps in order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "elf/btf.h"
#include "elf/loader.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

/* Checks the ELF header: a 64-bit little-endian relocatable BPF object. */
static int check_header(struct loader *ld)
{
    if (ld->image_size < sizeof(Elf64_Ehdr))
        return ld_fail(ld, "%zu bytes, too short for an ELF header", ld->image_size);
    if (elf_version(EV_CURRENT) == EV_NONE)
        return ld_fail(ld, "libelf is unusable: %s", elf_errmsg(-1));
    ld->elf = elf_memory((char *)ld->image, ld->image_size);
    if (!ld->elf || elf_kind(ld->elf) != ELF_K_ELF)
        return ld_fail(ld, "not an ELF file");
    GElf_Ehdr eh;
    if (!gelf_getehdr(ld->elf, &eh))
        return ld_fail(ld, "bad ELF header: %s", elf_errmsg(-1));
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return ld_fail(ld, "not a 64-bit little-endian ELF file");
    /* Objects of older LLVM and iproute2 releases say EM_NONE. */
    if (eh.e_machine != EM_BPF && eh.e_machine != EM_NONE)
        return ld_fail(ld, "machine %u is not BPF (%u)", eh.e_machine, EM_BPF);
    if (eh.e_type != ET_REL)
        return ld_fail(ld, "ELF type %u is not a relocatable object", eh.e_type);
    /* libelf would show a truncated table as no sections at all. */
    if (eh.e_shnum && (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > ld->image_size ||
                       (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) > ld->image_size - eh.e_shoff))
        return ld_fail(ld, "section header table (offset %llu, %u entries of %u bytes) does not fit the file (%zu bytes)",
                       (unsigned long long)eh.e_shoff, eh.e_shnum, eh.e_shentsize, ld->image_size);
    return 0;
}

/* Reads every section header and name; checks contents lie inside the file. */
static int load_sections(struct loader *ld)
{
    size_t shstrndx;
    if (elf_getshdrnum(ld->elf, &ld->shnum) < 0 || elf_getshdrstrndx(ld->elf, &shstrndx) < 0)
        return ld_fail(ld, "bad section header table: %s", elf_errmsg(-1));
    if (ld->shnum == 0)
        return ld_fail(ld, "no sections");
    if (!(ld->secs = ld_calloc(ld, ld->shnum, sizeof *ld->secs)))
        return -1;
    ld->secs[0].name = "";
    for (size_t i = 1; i < ld->shnum; i++) {
        struct ld_section *s = &ld->secs[i];
        Elf_Scn *scn = elf_getscn(ld->elf, i);
        if (!scn || !gelf_getshdr(scn, &s->shdr))
            return ld_fail(ld, "section %zu: bad header: %s", i, elf_errmsg(-1));
        s->name = elf_strptr(ld->elf, shstrndx, s->shdr.sh_name);
        /* Programs, maps and data are known by their names; a section
         * outside them (debug information) may go unnamed, and is then
         * none of the sections this loader reads. */
        if (!s->name && (s->shdr.sh_flags & (SHF_ALLOC | SHF_EXECINSTR)))
            return ld_fail(ld, "section %zu: name offset %u is not in the section name table", i,
                           (unsigned)s->shdr.sh_name);
        if (!s->name)
            s->name = "";
        s->size = s->shdr.sh_size;
        if (s->shdr.sh_type == SHT_NOBITS || s->size == 0)
            continue;
        if (s->shdr.sh_offset > ld->image_size || s->size > ld->image_size - s->shdr.sh_offset)
            return ld_fail(ld, "section '%s' (offset %llu, %zu bytes) extends beyond the end of the file (%zu bytes)",
                           s->name, (unsigned long long)s->shdr.sh_offset, s->size, ld->image_size);
        s->data = ld->image + s->shdr.sh_offset;
    }
    return 0;
}

/* Reads the one symbol table, resolving names. */
static int load_symbols(struct loader *ld)
{
    size_t symtab = 0;
    for (size_t i = 1; i < ld->shnum; i++) {
        if (ld->secs[i].shdr.sh_type != SHT_SYMTAB)
            continue;
        if (symtab)
            return ld_fail(ld, "more than one symbol table");
        symtab = i;
    }
    if (!symtab)
        return ld_fail(ld, "no symbol table");
    const struct ld_section *s = &ld->secs[symtab];
    size_t strtab = s->shdr.sh_link;
    if (s->shdr.sh_entsize != sizeof(Elf64_Sym) || s->size % sizeof(Elf64_Sym) != 0)
        return ld_fail(ld, "symbol table: bad entry size %llu or table size %zu",
                       (unsigned long long)s->shdr.sh_entsize, s->size);
    if (strtab == 0 || strtab >= ld->shnum)
        return ld_fail(ld, "symbol table: string table index %zu out of range", strtab);
    Elf_Data *data = elf_getdata(elf_getscn(ld->elf, symtab), NULL);
    if (!data)
        return ld_fail(ld, "symbol table: %s", elf_errmsg(-1));
    ld->sym_count = s->size / sizeof(Elf64_Sym);
    if (!(ld->syms = ld_calloc(ld, ld->sym_count, sizeof *ld->syms)))
        return -1;
    for (size_t i = 0; i < ld->sym_count; i++) {
        GElf_Sym sym;
        if (!gelf_getsym(data, (int)i, &sym))
            return ld_fail(ld, "symbol %zu: %s", i, elf_errmsg(-1));
        struct ld_symbol *out = &ld->syms[i];
        /* As libbpf, a symbol's name and section are checked where they
         * are used (a function, a map, a relocation's target): damaged
         * symbols nothing uses (debug labels) do not stop the load. */
        out->name = elf_strptr(ld->elf, strtab, sym.st_name);
        out->bad_name = !out->name;
        if (!out->name)
            out->name = "";
        out->shndx = sym.st_shndx;
        out->value = sym.st_value;
        out->size = sym.st_size;
        out->type = GELF_ST_TYPE(sym.st_info);
        out->bind = GELF_ST_BIND(sym.st_info);
    }
    return 0;
}

/* Reads the "license" string and the "version" number, when present. */
static int load_license(struct loader *ld)
{
    size_t i = ld_section_by_name(ld, "license");
    if (i) {
        const struct ld_section *s = &ld->secs[i];
        if (!s->data || !memchr(s->data, '\0', s->size))
            return ld_fail(ld, "license section is not a NUL-terminated string");
        if (!(ld->obj->license = ld_strdup(ld, (const char *)s->data)))
            return -1;
    }
    i = ld_section_by_name(ld, "version");
    if (i) {
        const struct ld_section *s = &ld->secs[i];
        if (!s->data || s->size != sizeof(uint32_t))
            return ld_fail(ld, "version section is %zu bytes, not 4", s->size);
        ld->obj->has_version = true;
        ld->obj->version = ld_u32(s->data);
    }
    return 0;
}

/* The object's name: the file name without directories and extensions. */
static char *object_name(struct loader *ld, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strcspn(base, ".");
    if (len == 0)
        len = strlen(base); /* ".hidden.o": keep it whole */
    char *name = ld_calloc(ld, len + 1, 1);
    if (name)
        memcpy(name, base, len);
    return name;
}

static int load(struct loader *ld)
{
    if (!(ld->obj->name = object_name(ld, ld->name)))
        return -1;
    if (check_header(ld) < 0 || load_sections(ld) < 0 || load_symbols(ld) < 0 || ld_load_btf(ld) < 0 ||
        load_license(ld) < 0)
        return -1;
    if (ld_load_btf_maps(ld) < 0 || ld_load_legacy_maps(ld) < 0 || ld_load_globals(ld) < 0)
        return -1;
    if (ld_load_code(ld) < 0 || ld_load_btf_ext(ld) < 0 || ld_build_programs(ld) < 0)
        return -1;
    return ld_load_map_slots(ld);
}

/* Frees the loader's working state (not the object). */
static void loader_free(struct loader *ld)
{
    for (size_t i = 0; i < ld->code_count; i++) {
        free(ld->code[i].insns);
        free(ld->code[i].relocs);
        free(ld->code[i].funcs);
    }
    free(ld->code);
    ld_free_ext(ld);
    btf_free(ld->btf);
    free(ld->map_locs);
    free(ld->syms);
    free(ld->secs);
    if (ld->elf)
        elf_end(ld->elf);
    free(ld->image);
}

/* Loads from image (taken over) and frees it. */
static int open_image(uint8_t *image, size_t size, const char *name, struct bpf_elf_object **out, char *err,
                      size_t errlen)
{
    struct loader ld = {.name = name, .err = err, .errlen = errlen, .image = image, .image_size = size};
    *out = NULL;
    if (errlen)
        err[0] = '\0';
    int rc = (ld.obj = ld_calloc(&ld, 1, sizeof *ld.obj)) ? load(&ld) : -1;
    loader_free(&ld);
    if (rc < 0) {
        bpf_elf_close(ld.obj);
        return -1;
    }
    *out = ld.obj;
    return 0;
}

int bpf_elf_open_mem(const void *buf, size_t len, const char *name, struct bpf_elf_object **out, char *err,
                     size_t errlen)
{
    /* Our own copy: libelf reads it in place and the caller's may go away. */
    uint8_t *image = malloc(len ? len : 1);
    if (!image) {
        *out = NULL;
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    memcpy(image, buf, len);
    return open_image(image, len, name, out, err, errlen);
}

int bpf_elf_open_file(const char *path, struct bpf_elf_object **out, char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *image = malloc(size ? size : 1);
    bool ok = image && fread(image, 1, size, f) == size;
    fclose(f);
    if (!ok) {
        snprintf(err, errlen, "%s: %s", path, image ? "read failed" : "out of memory");
        free(image);
        return -1;
    }
    return open_image(image, size, path, out, err, errlen);
}

void bpf_elf_close(struct bpf_elf_object *obj)
{
    if (!obj)
        return;
    for (size_t i = 0; i < obj->program_count; i++) {
        struct bpf_elf_program *p = &obj->programs[i];
        free(p->name);
        free(p->section);
        free(p->insns);
        free(p->lines);
        free(p->funcs);
        free(p->core_relos);
    }
    for (size_t i = 0; i < obj->map_count; i++) {
        struct bpf_elf_map *m = &obj->maps[i];
        free(m->name);
        free(m->section);
        free(m->data);
        free(m->slots);
    }
    free(obj->programs);
    free(obj->maps);
    free(obj->name);
    free(obj->license);
    free(obj->btf);
    free(obj->btf_ext);
    free(obj);
}

const struct bpf_elf_program *bpf_elf_find_program(const struct bpf_elf_object *obj, const char *name)
{
    for (size_t i = 0; i < obj->program_count; i++)
        if (strcmp(obj->programs[i].name, name) == 0)
            return &obj->programs[i];
    return NULL;
}

int bpf_elf_find_map(const struct bpf_elf_object *obj, const char *name)
{
    for (size_t i = 0; i < obj->map_count; i++)
        if (strcmp(obj->maps[i].name, name) == 0)
            return (int)i;
    return -1;
}
