/* Code sections: their instructions, functions and relocations. References
 * to maps and global variables are rewritten here, once per section; calls
 * and code addresses are kept for the program builder, which knows where
 * each callee ends up. */
#include <stdlib.h>

#include "elf/loader.h"

static bool is_code_section(const struct loader *ld, size_t shndx)
{
    if (shndx == 0 || shndx >= ld->shnum)
        return false;
    const GElf_Shdr *sh = &ld->secs[shndx].shdr;
    return sh->sh_type == SHT_PROGBITS && (sh->sh_flags & SHF_EXECINSTR);
}

static int compare_funcs(const void *a, const void *b)
{
    const struct ld_func *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

/* Collects the function symbols of code and works out their extents. */
static int load_funcs(struct loader *ld, struct ld_code *code)
{
    size_t cap = 0;
    for (size_t i = 0; i < ld->sym_count; i++) {
        const struct ld_symbol *s = &ld->syms[i];
        if (s->shndx != code->shndx || s->type != STT_FUNC)
            continue;
        if (s->bad_name)
            return ld_fail(ld, "function symbol %zu of section '%s' has a name outside the string table", i,
                           code->name);
        if (s->value % 8 || s->size % 8 || s->value / 8 >= code->count || s->size / 8 > code->count - s->value / 8)
            return ld_fail(ld, "function '%s' (offset %llu, %llu bytes) does not fit section '%s'", s->name,
                           (unsigned long long)s->value, (unsigned long long)s->size, code->name);
        struct ld_func *f = ld_push(ld, &code->funcs, &code->func_count, &cap, sizeof *f);
        if (!f)
            return -1;
        f->start = s->value / 8;
        f->end = s->size ? f->start + s->size / 8 : 0; /* 0: up to the next function */
        f->name = s->name;
        f->global = s->bind == STB_GLOBAL || s->bind == STB_WEAK;
    }
    ld_sort(code->funcs, code->func_count, sizeof *code->funcs, compare_funcs);
    for (size_t i = 0; i < code->func_count; i++) {
        struct ld_func *f = &code->funcs[i];
        size_t next = i + 1 < code->func_count ? code->funcs[i + 1].start : code->count;
        if (!f->end)
            f->end = next > f->start ? next : code->count;
        if (f->end > next)
            return ld_fail(ld, "functions '%s' and '%s' overlap in section '%s'", f->name, code->funcs[i + 1].name,
                           code->name);
    }
    return 0;
}

/* Rewrites the lddw at slot k, which refers to symbol s, to name a map or a
 * global variable by map index. */
static int relocate_data(struct loader *ld, struct ld_code *code, size_t k, const struct ld_symbol *s)
{
    struct ebpf_insn *insn = &code->insns[k];
    if (s->shndx == SHN_UNDEF)
        return ld_fail(ld, "instruction %zu of '%s' refers to the undefined symbol '%s' (externs are not supported)",
                       k, code->name, ld_symbol_name(ld, s));
    uint64_t addend = (uint64_t)(uint32_t)insn[0].imm | (uint64_t)(uint32_t)insn[1].imm << 32;
    uint64_t offset = s->value + addend;
    int m = s->shndx < ld->shnum ? ld_map_at(ld, s->shndx, offset) : -1;
    if (m < 0)
        return ld_fail(ld, "instruction %zu of '%s' refers to '%s' + %llu, which is not a map or a global variable", k,
                       code->name, ld_symbol_name(ld, s), (unsigned long long)addend);
    insn[0].imm = m;
    if (ld->obj->maps[m].kind >= BPF_ELF_MAP_DATA) {
        insn[0].src = EBPF_LDDW_MAP_VALUE_IDX;
        insn[1].imm = (int32_t)(uint32_t)offset;
    } else {
        insn[0].src = EBPF_LDDW_MAP_IDX;
        insn[1].imm = 0;
    }
    return 0;
}

/* A code section being read, and the capacity of its reloc array. */
struct reloc_ctx {
    struct ld_code *code;
    size_t cap;
};

/* Checks one relocation of a code section and applies or records it (an ld_rel_fn). */
static int add_reloc(struct loader *ld, uint64_t offset, uint32_t type, size_t sym, void *ctx)
{
    struct reloc_ctx *rc = ctx;
    struct ld_code *code = rc->code;
    const struct ld_symbol *s = &ld->syms[sym];
    if (offset % 8 || offset / 8 >= code->count)
        return ld_fail(ld, "section '%s': relocation offset %llu is not on an instruction", code->name,
                       (unsigned long long)offset);
    size_t k = offset / 8;
    const struct ebpf_insn *insn = &code->insns[k];
    bool lddw = insn->opcode == EBPF_OP_LDDW && k + 1 < code->count;
    bool call = insn->opcode == EBPF_OP_CALL && insn->src == EBPF_CALL_LOCAL;
    if (!(lddw && type == RELOC_BPF_64_64) && !(call && type == RELOC_BPF_64_32))
        return ld_fail(ld, "section '%s': relocation of type %u at instruction %zu is not on a whole lddw or local call",
                       code->name, type, k);
    /* clang emits plain lddws; a pseudo source means a second relocation here. */
    if (lddw && insn->src != EBPF_LDDW_IMM64)
        return ld_fail(ld, "section '%s': relocated lddw at instruction %zu has pseudo source %u", code->name, k,
                       insn->src);
    if (lddw && !is_code_section(ld, s->shndx))
        return relocate_data(ld, code, k, s);
    if (!is_code_section(ld, s->shndx))
        return ld_fail(ld, "section '%s': instruction %zu calls '%s', which is not code", code->name, k,
                       ld_symbol_name(ld, s));
    struct ld_reloc *r = ld_push(ld, &code->relocs, &code->reloc_count, &rc->cap, sizeof *r);
    if (!r)
        return -1;
    *r = (struct ld_reloc){.insn = k, .sym = sym};
    return 0;
}

static int compare_relocs(const void *a, const void *b)
{
    const struct ld_reloc *x = a, *y = b;
    return (x->insn > y->insn) - (x->insn < y->insn);
}

const struct ld_reloc *ld_reloc_at(const struct ld_code *code, size_t insn)
{
    struct ld_reloc key = {.insn = insn};
    if (!code->reloc_count)
        return NULL;
    return bsearch(&key, code->relocs, code->reloc_count, sizeof key, compare_relocs);
}

/* Reads code section shndx into code. */
static int load_section(struct loader *ld, size_t shndx, struct ld_code *code)
{
    const struct ld_section *s = &ld->secs[shndx];
    code->shndx = shndx;
    code->name = s->name;
    if (s->size % sizeof(struct ebpf_insn))
        return ld_fail(ld, "section '%s' is %zu bytes, not a whole number of instructions", s->name, s->size);
    code->count = s->size / sizeof(struct ebpf_insn);
    if (!(code->insns = ld_calloc(ld, code->count, sizeof *code->insns)))
        return -1;
    if (s->data)
        memcpy(code->insns, s->data, s->size);
    struct reloc_ctx rc = {.code = code};
    if (load_funcs(ld, code) < 0 || ld_for_each_rel(ld, shndx, add_reloc, &rc) < 0)
        return -1;
    ld_sort(code->relocs, code->reloc_count, sizeof *code->relocs, compare_relocs);
    for (size_t i = 1; i < code->reloc_count; i++)
        if (code->relocs[i].insn == code->relocs[i - 1].insn)
            return ld_fail(ld, "section '%s': two relocations at instruction %zu", s->name, code->relocs[i].insn);
    return 0;
}

int ld_load_code(struct loader *ld)
{
    size_t n = 0;
    for (size_t i = 1; i < ld->shnum; i++)
        n += is_code_section(ld, i);
    if (n && !(ld->code = ld_calloc(ld, n, sizeof *ld->code)))
        return -1;
    for (size_t i = 1; i < ld->shnum; i++) {
        if (!is_code_section(ld, i))
            continue;
        if (load_section(ld, i, &ld->code[ld->code_count++]) < 0)
            return -1;
    }
    return 0;
}
