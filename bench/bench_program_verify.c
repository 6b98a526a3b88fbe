/*
 * Every benchmark program goes through the verifier before it runs, as
 * every load does. A benchmark program is a function (mem, len) rather
 * than a program of some type, so it is verified behind a small entry
 * that passes it what the benchmark passes: r1 a map value of input_len
 * bytes (memory the program may read and write within its size, as the
 * run's region), r2 the length input_len.
 */
#include "bench.h"
#include "verify/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INSN(op, d, s, off, k) ((struct ebpf_insn){.opcode = (op), .dst = (d), .src = (s), .offset = (off), .imm = (k)})

int bench_program_verify(const char *name, const struct ebpf_insn *insns, size_t count, size_t input_len)
{
    /* The entry: look the input up in map 0 (key 0), then call the program with (value, input_len). */
    const struct ebpf_insn entry[] = {
        INSN(EBPF_CLS_ST | EBPF_MODE_MEM | EBPF_SIZE_W, EBPF_REG_FP, 0, -4, 0),
        INSN(EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_X, 2, EBPF_REG_FP, 0, 0),
        INSN(EBPF_CLS_ALU64 | EBPF_ALU_ADD | EBPF_SRC_K, 2, 0, 0, -4),
        INSN(EBPF_OP_LDDW, 1, EBPF_LDDW_MAP_IDX, 0, 0),
        INSN(0, 0, 0, 0, 0),
        INSN(EBPF_OP_CALL, 0, EBPF_CALL_HELPER, 0, 1),
        INSN(EBPF_CLS_JMP | EBPF_JMP_JEQ | EBPF_SRC_K, 0, 0, 4, 0),
        INSN(EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_X, 1, 0, 0, 0),
        INSN(EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_K, 2, 0, 0, (int32_t)input_len),
        INSN(EBPF_OP_CALL, 0, EBPF_CALL_LOCAL, 0, 3), /* the program, after the three below */
        INSN(EBPF_OP_EXIT, 0, 0, 0, 0),
        INSN(EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_K, 0, 0, 0, 0),
        INSN(EBPF_OP_EXIT, 0, 0, 0, 0),
    };
    enum { ENTRY = sizeof(entry) / sizeof(entry[0]) };
    struct ebpf_insn *all = malloc((ENTRY + count) * sizeof(*all));
    if (!all)
        return 1;
    memcpy(all, entry, sizeof(entry));
    memcpy(all + ENTRY, insns, count * sizeof(*insns));
    static const struct verify_helper lookup = {
        1, "bpf_map_lookup_elem", VERIFY_RET_MAP_VALUE_OR_NULL, {VERIFY_ARG_MAP_PTR, VERIFY_ARG_MAP_KEY}, 0, 0};
    const struct verify_profile profile = {.name = "bench", .helpers = &lookup, .helper_count = 1};
    const struct verify_map input = {"input", VERIFY_MAP_ARRAY, 4, (uint32_t)input_len, 1, false, -1, NULL};
    const struct verify_program prog = {name, all, ENTRY + count, &input, 1, NULL, 0};
    struct verify_result res;
    int rc = verify_program(&profile, &prog, NULL, &res);
    if (rc != 0 || !res.accepted) {
        char text[2048];
        verify_format(&prog, &res, text, sizeof(text));
        fprintf(stderr, "%s: rejected by the verifier (instruction numbers count the %d of the entry): %s\n", name,
                ENTRY, rc ? res.message : text);
    }
    free(all);
    return rc != 0 || !res.accepted;
}
