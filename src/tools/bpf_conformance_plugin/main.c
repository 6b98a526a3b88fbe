/*
 * bpf_conformance_plugin: lets the public bpf_conformance runner drive
 * bpfhost. Protocol (../shared/conformance/README.md): the program arrives
 * on stdin as hex bytes; the input memory, if any, is the first argument as
 * hex bytes; options follow (--elf: the bytes are an ELF object). Prints r0 in hex and exits 0, or prints the
 * error on stderr and exits 1.
 */
#include "elf/bpf_elf.h"
#include "tools/tools.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: bpf_conformance_plugin [MEMORY_HEX] [--interpret | --jit | --native] [--elf]\n"
            "  Reads a program as hex bytes on standard input, runs it with MEMORY_HEX\n"
            "  (hex bytes) as input memory in r1/r2, and prints r0 in hex.\n"
            "  --interpret  run in the interpreter (default)\n"
            "  --jit        run JIT-compiled (not available yet)\n"
            "  --native     run as native code (not available yet)\n"
            "  --elf        standard input is an ELF object: its first program runs\n"
            "exit status: 0 r0 printed; 1 the program failed to load or run; 2 bad usage\n");
}

/* Parses whitespace-separated hex bytes; returns count or -1 on a bad token. */
static long parse_hex_bytes(const char *text, uint8_t **out)
{
    size_t cap = 64, n = 0;
    uint8_t *bytes = malloc(cap);
    const char *p = text;
    while (bytes) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        if (!*p)
            break;
        char *end;
        unsigned long v = strtoul(p, &end, 16);
        if (end == p || v > 0xff || (*end && !strchr(" \t\r\n", *end))) {
            free(bytes);
            return -1;
        }
        if (n == cap) {
            uint8_t *bigger = realloc(bytes, cap *= 2);
            if (!bigger)
                free(bytes);
            bytes = bigger;
            if (!bytes)
                break;
        }
        bytes[n++] = (uint8_t)v;
        p = end;
    }
    *out = bytes;
    return bytes ? (long)n : -1;
}

int main(int argc, char **argv)
{
    const char *memory_hex = NULL;
    bool elf = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--interpret")) {
            continue;
        } else if (!strcmp(argv[i], "--elf")) {
            elf = true;
        } else if (!strcmp(argv[i], "--jit") || !strcmp(argv[i], "--native")) {
            fprintf(stderr, "bpf_conformance_plugin: %s is not available yet\n", argv[i]);
            return 2;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "bpf_conformance_plugin: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!memory_hex) {
            memory_hex = argv[i];
        } else {
            fprintf(stderr, "bpf_conformance_plugin: unexpected argument %s\n", argv[i]);
            return 2;
        }
    }
    char *program_hex = tools_read_stream(stdin, NULL);
    uint8_t *code = NULL, *mem = NULL;
    long code_len = program_hex ? parse_hex_bytes(program_hex, &code) : -1;
    long mem_len = memory_hex ? parse_hex_bytes(memory_hex, &mem) : 0;
    free(program_hex);
    int status = 1;
    struct bpf_elf_object *obj = NULL;
    const struct ebpf_insn *insns = (const struct ebpf_insn *)code;
    size_t count = code_len > 0 ? (size_t)code_len / 8 : 0;
    char err[512];
    if (code_len < 0 || mem_len < 0) {
        fprintf(stderr, "bpf_conformance_plugin: %s is not a list of hex bytes\n",
                code_len < 0 ? "standard input" : "the memory argument");
    } else if (elf && bpf_elf_open_mem(code, (size_t)code_len, "stdin", &obj, err, sizeof(err)) != 0) {
        fprintf(stderr, "bpf_conformance_plugin: %s\n", err);
    } else if (elf && obj->program_count == 0) {
        fprintf(stderr, "bpf_conformance_plugin: the object has no program\n");
    } else if (!elf && (code_len == 0 || code_len % 8)) {
        fprintf(stderr, "bpf_conformance_plugin: program is %ld bytes, not a non-zero multiple of 8\n", code_len);
    } else {
        if (elf) {
            insns = obj->programs[0].insns;
            count = obj->programs[0].insn_count;
        }
        uint64_t r0;
        if (conformance_run(insns, count, mem, (size_t)mem_len, &r0, err, sizeof(err)) == 0) {
            printf("%" PRIx64 "\n", r0);
            status = 0;
        } else {
            fprintf(stderr, "%s\n", err);
        }
    }
    bpf_elf_close(obj);
    free(code);
    free(mem);
    return status;
}
