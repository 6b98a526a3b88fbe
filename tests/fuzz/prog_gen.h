/*
 * A generator of mostly well-formed eBPF programs of the "sample" type from
 * fuzz input, for the verifier's soundness fuzzer: snippets of what real
 * programs do (context reads and writes, stack stores and loads, map
 * lookups with or without their NULL check, packet checks, bounded loops,
 * helper calls with arguments of their prototype's kinds or of any kind,
 * spills, ALU, forward and backward jumps, bpf_loop callbacks, local
 * calls, tail calls), each with parameters from the input, which sometimes
 * pick an offset, size or register a little off.
 */
#ifndef BPFHOST_FUZZ_PROG_GEN_H
#define BPFHOST_FUZZ_PROG_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "isa/isa.h"

/* The maps generated programs name (lddw map_by_idx), in this order. */
enum {
    GEN_MAP_ARRAY,  /* array, 4-byte key, GEN_ARRAY_VALUE-byte value, GEN_ENTRIES entries */
    GEN_MAP_HASH,   /* hash, 4-byte key, 8-byte value, GEN_ENTRIES entries */
    GEN_MAP_RING,   /* ring buffer */
    GEN_MAP_PROGS,  /* prog array of GEN_ENTRIES */
    GEN_MAP_RODATA, /* frozen single-entry array (GEN_RODATA_VALUE bytes) holding GEN_RODATA_TEXT */
    GEN_MAP_COUNT
};
enum { GEN_ENTRIES = 4, GEN_ARRAY_VALUE = 24, GEN_RODATA_VALUE = 16 };
#define GEN_RODATA_TEXT "%d fuzz %s"

enum { GEN_MAX_INSNS = 4096 };

/* Bytes of fuzz input, consumed from the front; zeroes once used up. */
struct gen_input {
    const uint8_t *p;
    size_t n;
};

/* The next byte of input (0 at the end). */
uint8_t gen_u8(struct gen_input *in);
/* The next 4 bytes of input, little-endian. */
uint32_t gen_u32(struct gen_input *in);

/*
 * Writes a program made from the input into out (room for GEN_MAX_INSNS);
 * returns its slot count. The program always passes isa_validate(): every
 * jump lands on an instruction, it ends with an exit.
 */
size_t gen_program(struct gen_input *in, struct ebpf_insn *out);

#endif
