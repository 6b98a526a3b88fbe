/* Programs: one per global function of each executable section other than
 * .text (of .text itself when no other section has code). A program is its own instructions followed by a copy of every
 * function it reaches through local calls or code addresses (bpf_loop
 * callbacks), found transitively; each call is rewritten to reach the copy.
 * Callees come from .text (through R_BPF_64_32 relocations) or from the
 * program's own section (calls clang resolved itself, without relocation). */
#include <stdlib.h>

#include "elf/loader.h"

/* A range of a code section copied into the program at slot out. */
struct piece {
    const struct ld_code *code;
    size_t start;
    size_t end;
    size_t out;
};

struct builder {
    struct loader *ld;
    struct bpf_elf_program *prog;
    size_t insn_cap;
    struct piece *pieces;
    size_t piece_count;
    size_t piece_cap;
};

/* Copies code[start, end) to the end of the program. */
static int append(struct builder *b, const struct ld_code *code, size_t start, size_t end)
{
    struct bpf_elf_program *prog = b->prog;
    size_t n = end - start;
    if (n > EBPF_MAX_INSNS - prog->insn_count)
        return ld_fail(b->ld, "program '%s' exceeds %d instructions with its callees", prog->name, EBPF_MAX_INSNS);
    if (prog->insn_count + n > b->insn_cap) {
        size_t cap = 2 * (prog->insn_count + n);
        struct ebpf_insn *grown = realloc(prog->insns, cap * sizeof *grown);
        if (!grown)
            return ld_fail(b->ld, "out of memory");
        prog->insns = grown;
        b->insn_cap = cap;
    }
    memcpy(prog->insns + prog->insn_count, code->insns + start, n * sizeof *code->insns);
    struct piece *p = ld_push(b->ld, &b->pieces, &b->piece_count, &b->piece_cap, sizeof *p);
    if (!p)
        return -1;
    *p = (struct piece){.code = code, .start = start, .end = end, .out = prog->insn_count};
    prog->insn_count += n;
    return ld_copy_ext(b->ld, prog, code, start, end, p->out);
}

/* The piece holding slot t of code, or NULL. */
static const struct piece *piece_at(const struct builder *b, const struct ld_code *code, size_t t)
{
    for (size_t i = 0; i < b->piece_count; i++) {
        const struct piece *p = &b->pieces[i];
        if (p->code == code && t >= p->start && t < p->end)
            return p;
    }
    return NULL;
}

/* The function of code holding slot t, or NULL. */
static const struct ld_func *func_at(const struct ld_code *code, size_t t)
{
    for (size_t i = 0; i < code->func_count; i++)
        if (t >= code->funcs[i].start && t < code->funcs[i].end)
            return &code->funcs[i];
    return NULL;
}

/* Where the call or code-address lddw at slot k of piece p leads: slot *t of *target. */
static int target_of(struct builder *b, const struct piece *p, size_t k, const struct ld_code **target, size_t *t)
{
    struct loader *ld = b->ld;
    const struct ebpf_insn *insn = &p->code->insns[k];
    const struct ld_reloc *r = ld_reloc_at(p->code, k);
    int64_t slot;
    if (!r) {
        *target = p->code; /* a call clang resolved within the section */
        slot = (int64_t)k + insn->imm + 1;
    } else {
        const struct ld_symbol *s = &ld->syms[r->sym];
        *target = ld_code_of(ld, s->shndx);
        /* A call's imm counts slots from the symbol, minus one; an lddw's
         * 64-bit immediate is a byte offset from it. */
        uint64_t bytes = s->value;
        if (insn->opcode == EBPF_OP_LDDW)
            bytes += (uint64_t)(uint32_t)insn[0].imm | (uint64_t)(uint32_t)insn[1].imm << 32;
        if (bytes % sizeof *insn || bytes / sizeof *insn >= (*target)->count)
            return ld_fail(ld, "instruction %zu of '%s' refers to '%s' at a byte offset that is no instruction", k,
                           p->code->name, ld_symbol_name(ld, s));
        slot = (int64_t)(bytes / sizeof *insn) + (insn->opcode == EBPF_OP_LDDW ? 0 : (int64_t)insn->imm + 1);
    }
    if (slot < 0 || (uint64_t)slot >= (*target)->count)
        return ld_fail(ld, "instruction %zu of '%s' calls slot %lld, outside section '%s'", k, p->code->name,
                       (long long)slot, (*target)->name);
    *t = (size_t)slot;
    return 0;
}

/* Points the call or code-address lddw at slot k of piece pi at its target,
 * appending the target's function if it is not in the program yet. */
static int link_insn(struct builder *b, size_t pi, size_t k)
{
    const struct piece p = b->pieces[pi];
    const struct ld_code *target = NULL;
    size_t t = 0;
    if (p.code->insns[k].opcode == EBPF_OP_LDDW && k + 1 >= p.end)
        return ld_fail(b->ld, "lddw at slot %zu of '%s' is cut off at the end of a function", k, p.code->name);
    if (target_of(b, &p, k, &target, &t) < 0)
        return -1;
    const struct piece *tp = piece_at(b, target, t);
    if (!tp) {
        const struct ld_func *f = func_at(target, t);
        if (!f)
            return ld_fail(b->ld, "instruction %zu of '%s' calls slot %zu of '%s', which is in no function", k,
                           p.code->name, t, target->name);
        if (append(b, target, f->start, f->end) < 0)
            return -1;
        tp = &b->pieces[b->piece_count - 1];
    }
    size_t o = p.out + (k - p.start);
    struct ebpf_insn *insn = &b->prog->insns[o];
    insn->imm = (int32_t)((int64_t)(tp->out + (t - tp->start)) - (int64_t)o - 1);
    if (insn->opcode == EBPF_OP_LDDW) {
        insn[0].src = EBPF_LDDW_CODE_ADDR;
        insn[1].imm = 0;
    }
    return 0;
}

/* Links every call and code address of piece pi. */
static int link_piece(struct builder *b, size_t pi)
{
    const struct piece p = b->pieces[pi];
    for (size_t k = p.start; k < p.end; k++) {
        const struct ebpf_insn *insn = &p.code->insns[k];
        bool call = insn->opcode == EBPF_OP_CALL && insn->src == EBPF_CALL_LOCAL;
        bool lddw = insn->opcode == EBPF_OP_LDDW;
        if ((call || (lddw && ld_reloc_at(p.code, k))) && link_insn(b, pi, k) < 0)
            return -1;
        k += lddw; /* skip the second slot */
    }
    return 0;
}

/* Adds the program named name made of code[start, end) and its callees. */
static int build_program(struct loader *ld, const struct ld_code *code, size_t start, size_t end, const char *name)
{
    struct bpf_elf_object *obj = ld->obj;
    struct bpf_elf_program *prog = ld_push(ld, &obj->programs, &obj->program_count, &ld->program_cap, sizeof *prog);
    if (!prog || !(prog->name = ld_strdup(ld, name)) || !(prog->section = ld_strdup(ld, code->name)))
        return -1;
    struct builder b = {.ld = ld, .prog = prog};
    int rc = append(&b, code, start, end);
    prog->own_insn_count = end - start;
    /* Linking may append pieces, which are linked in turn. */
    for (size_t i = 0; i < b.piece_count && rc == 0; i++)
        rc = link_piece(&b, i);
    free(b.pieces);
    ld_sort_ext(prog);
    return rc;
}

/* Builds the programs of code sections other than .text, or of .text alone (text). */
static int build_sections(struct loader *ld, bool text)
{
    for (size_t i = 0; i < ld->code_count; i++) {
        const struct ld_code *code = &ld->code[i];
        if ((strcmp(code->name, ".text") == 0) != text)
            continue;
        size_t programs = 0;
        for (size_t f = 0; f < code->func_count; f++) {
            if (!code->funcs[f].global)
                continue;
            programs++;
            if (build_program(ld, code, code->funcs[f].start, code->funcs[f].end, code->funcs[f].name) < 0)
                return -1;
        }
        /* Hand-written objects may carry no symbols: the section is the program. */
        if (!programs && !code->func_count && code->count &&
            build_program(ld, code, 0, code->count, code->name) < 0)
            return -1;
    }
    return 0;
}

int ld_build_programs(struct loader *ld)
{
    if (build_sections(ld, false) < 0)
        return -1;
    /* An object whose only code is in .text (as PREVAIL's test objects):
     * its global functions are the programs. */
    return ld->obj->program_count ? 0 : build_sections(ld, true);
}
