/*
 * libFuzzer target: assembler text (isa_assemble). Besides never crashing,
 * what the assembler accepts must survive the round trip through the
 * disassembler: every slot that decodes prints as a line that assembles
 * back to the same bytes, and a program whose every slot decodes prints
 * as text that assembles back to it and prints the same again.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isa/isa.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Assembles text that the disassembler printed, which must work. */
static struct ebpf_insn *reassemble(const char *text, size_t *count)
{
    struct ebpf_insn *insns = NULL;
    struct isa_error err = {0};
    if (isa_assemble(text, &insns, count, &err) < 0)
        fuzz_fail("the disassembler's text does not assemble: %s\n%s", err.msg, text);
    return insns;
}

/* Each decodable slot on its own: line -> slots -> the same slots. */
static void check_each_insn(const struct ebpf_insn *insns, size_t count)
{
    for (size_t pc = 0; pc < count;) {
        char line[320];
        int slots = isa_disassemble_insn(insns, count, pc, line, sizeof(line));
        if (slots > 0) {
            size_t n;
            struct ebpf_insn *again = reassemble(line, &n);
            if (n != (size_t)slots || memcmp(again, insns + pc, n * sizeof(*again)) != 0)
                fuzz_fail("slot %zu: '%s' assembles to other bytes", pc, line);
            free(again);
        }
        pc += slots > 0 ? (size_t)slots : 1;
    }
}

/* The whole program, if every slot decodes: bytes -> text -> bytes -> the same text. */
static void check_program(const struct ebpf_insn *insns, size_t count)
{
    char *text = isa_disassemble(insns, count);
    if (!text)
        fuzz_fail("out of memory");
    if (!strstr(text, ".invalid")) {
        size_t n;
        struct ebpf_insn *again = reassemble(text, &n);
        if (n != count || memcmp(again, insns, n * sizeof(*again)) != 0)
            fuzz_fail("the program's disassembly assembles to other bytes:\n%s", text);
        char *text_again = isa_disassemble(again, n);
        if (!text_again || strcmp(text, text_again) != 0)
            fuzz_fail("disassembling twice gives two texts:\n%s\n--\n%s", text, text_again ? text_again : "");
        free(text_again);
        free(again);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    struct ebpf_insn *insns = NULL;
    size_t count = 0;
    struct isa_error err = {0};
    if (isa_assemble(text, &insns, &count, &err) < 0)
        fuzz_require_reason("isa_assemble", err.msg, sizeof(err.msg));
    else {
        check_each_insn(insns, count);
        check_program(insns, count);
        free(insns);
    }
    free(text);
    return 0;
}
