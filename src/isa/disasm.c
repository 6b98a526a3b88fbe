/*
 * Disassembler: prints instructions in the assembler's syntax (syntax.h) so
 * that assembling the text gives back the same bytes.
 *
 * Numbers: an immediate in [-4096, 4096] prints in decimal, any other as the
 * hex of its 32 bits (0xffffff80), which the assembler wraps back; jump and
 * call targets print relative to the next slot (+3, -2); memory offsets in
 * decimal ([%r10-8]); a 64-bit lddw value prints in hex.
 */
#include "isa/isa.h"
#include "isa/syntax.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DECIMAL_LIMIT 4096
#define LINE_LEN 320 /* room for an .invalid line with the decoder's message */

/* A caller's buffer being filled; text past its end is cut. */
struct text {
    char *buf;
    size_t len, pos;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
    if (t->pos + 1 >= t->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->buf + t->pos, t->len - t->pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->pos = t->pos + (size_t)n < t->len ? t->pos + (size_t)n : t->len - 1;
}

static void put_imm(struct text *t, int32_t imm)
{
    if (imm >= -DECIMAL_LIMIT && imm <= DECIMAL_LIMIT)
        put(t, "%" PRId32, imm);
    else
        put(t, "0x%" PRIx32, (uint32_t)imm);
}

static void put_memory(struct text *t, unsigned reg, int16_t offset)
{
    if (offset)
        put(t, "[%%r%u%+d]", reg, offset);
    else
        put(t, "[%%r%u]", reg);
}

/* Prints one operand described by a syntax.h letter. */
static void put_operand(struct text *t, char letter, const struct ebpf_insn *in)
{
    switch (letter) {
    case 'd': put(t, "%%r%u", (unsigned)in->dst); break;
    case 's': put(t, "%%r%u", (unsigned)in->src); break;
    case 'i': put_imm(t, in->imm); break;
    case 'M': put_memory(t, in->dst, in->offset); break;
    case 'm': put_memory(t, in->src, in->offset); break;
    case 'o': put(t, "%+d", in->offset); break;
    default: put(t, "%+" PRId32, in->imm); break; /* 't' */
    }
}

/* Prints the value of an lddw pair: a 64-bit number or a pseudo form. */
static void put_lddw_value(struct text *t, const struct ebpf_insn pair[2])
{
    unsigned src = pair[0].src;
    if (src == EBPF_LDDW_IMM64) {
        put(t, "0x%" PRIx64, (uint64_t)(uint32_t)pair[1].imm << 32 | (uint32_t)pair[0].imm);
        return;
    }
    put(t, "%s ", syntax_lddw_keyword(src));
    put_operand(t, src == EBPF_LDDW_CODE_ADDR ? 't' : 'i', &pair[0]);
    if (syntax_lddw_has_value_offset(src)) {
        put(t, ", ");
        put_imm(t, pair[1].imm);
    }
}

/* The decoder's reason without its "instruction N: " prefix. */
static const char *reason(const struct isa_error *e)
{
    const char *colon = strstr(e->msg, ": ");
    return colon ? colon + 2 : e->msg;
}

/* Prints the instruction at pc; returns its slot count, or -1 (see isa.h). */
int isa_disassemble_insn(const struct ebpf_insn *insns, size_t count, size_t pc, char *buf, size_t len)
{
    struct text t = {buf, len, 0};
    if (len)
        buf[0] = '\0';
    struct isa_error e;
    if (pc >= count) {
        put(&t, ".invalid # slot %zu is past the end of the program", pc);
        return -1;
    }
    const struct ebpf_insn *in = &insns[pc];
    if (isa_check_insn(insns, count, pc, &e) < 0) {
        put(&t, ".invalid 0x%02x 0x%02x 0x%04x 0x%08" PRIx32 " # %s", in->opcode, (unsigned)(in->src << 4 | in->dst),
            (uint16_t)in->offset, (uint32_t)in->imm, reason(&e));
        return -1;
    }
    const struct isa_form *f = isa_form_of(in);
    const char *letters = syntax_operands(f->operands);
    put(&t, "%s", f->mnemonic);
    for (size_t i = 0; letters[i]; i++) {
        put(&t, i ? ", " : " ");
        put_operand(&t, letters[i], in);
    }
    if (f->operands != ISA_OPS_LDDW)
        return 1;
    put(&t, ", ");
    put_lddw_value(&t, in);
    return 2;
}

/* Prints a whole program, one line per instruction (see isa.h). */
char *isa_disassemble(const struct ebpf_insn *insns, size_t count)
{
    size_t cap = LINE_LEN, used = 0;
    char *out = malloc(cap);
    for (size_t pc = 0; out && pc < count;) {
        char line[LINE_LEN];
        int slots = isa_disassemble_insn(insns, count, pc, line, sizeof(line));
        size_t n = strlen(line);
        if (used + n + 2 > cap) {
            char *grown = realloc(out, cap * 2 + n);
            if (!grown)
                free(out);
            out = grown;
            cap = cap * 2 + n;
        }
        if (out) {
            memcpy(out + used, line, n);
            used += n;
            out[used++] = '\n';
        }
        pc += slots > 0 ? (size_t)slots : 1;
    }
    if (out)
        out[used] = '\0';
    return out;
}
