/*
 * Interpreter vs native: each program of bench/programs/ is verified,
 * then runs from its clang-compiled eBPF bytes in the interpreter and as
 * the same C compiled natively; both must return the same value.
 */
#include "bench.h"
#include "exec/exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t bench_native_checksum(uint8_t *mem, uint64_t len);
uint64_t bench_native_fnv_hash(uint8_t *mem, uint64_t len);
uint64_t bench_native_insertion_sort(uint8_t *mem, uint64_t len);
uint64_t bench_native_binary_search(uint8_t *mem, uint64_t len);
uint64_t bench_native_alu_mix(uint8_t *mem, uint64_t len);
uint64_t bench_native_call_chain(uint8_t *mem, uint64_t len);

enum input_kind { INPUT_RANDOM, INPUT_SORTED };

struct bench_program {
    const char *name;
    uint64_t (*native)(uint8_t *mem, uint64_t len);
    size_t input_len;
    enum input_kind input;
};

static const struct bench_program programs[] = {
    {"checksum", bench_native_checksum, 4096, INPUT_RANDOM},
    {"fnv_hash", bench_native_fnv_hash, 4096, INPUT_RANDOM},
    {"insertion_sort", bench_native_insertion_sort, 1024, INPUT_RANDOM},
    {"binary_search", bench_native_binary_search, 4096, INPUT_SORTED},
    {"alu_mix", bench_native_alu_mix, 64, INPUT_RANDOM},
    {"call_chain", bench_native_call_chain, 4096, INPUT_RANDOM},
};

static void fill_input(uint8_t *mem, size_t len, enum input_kind kind)
{
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        mem[i] = (uint8_t)x;
    }
    if (kind == INPUT_SORTED)
        for (size_t i = 0; i + 4 <= len; i += 4) {
            uint32_t v = (uint32_t)(i / 4 * 3);
            memcpy(mem + i, &v, 4);
        }
}

static struct ebpf_insn *read_program(const char *name, size_t *count)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s.bin", BENCH_PROGRAM_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    rewind(f);
    struct ebpf_insn *insns = size > 0 ? malloc((size_t)size) : NULL;
    if (insns && fread(insns, 1, (size_t)size, f) != (size_t)size) {
        free(insns);
        insns = NULL;
    }
    fclose(f);
    *count = (size_t)size / sizeof(struct ebpf_insn);
    return insns;
}

/* Repetitions that take roughly target_ns, from one timed run. */
static unsigned reps_for(uint64_t one_run_ns, uint64_t target_ns)
{
    uint64_t reps = one_run_ns ? target_ns / one_run_ns : 100000;
    return (unsigned)(reps < 10 ? 10 : reps > 1000000 ? 1000000 : reps);
}

static int bench_one(const struct bench_program *p)
{
    size_t count;
    struct ebpf_insn *insns = read_program(p->name, &count);
    if (!insns)
        return 1;
    if (bench_program_verify(p->name, insns, count, p->input_len) != 0) {
        free(insns);
        return 1;
    }
    struct exec_program *prog;
    struct isa_error err;
    if (exec_program_new(insns, count, NULL, 0, &prog, &err) != 0) {
        fprintf(stderr, "%s: %s\n", p->name, err.msg);
        free(insns);
        return 1;
    }
    uint8_t *mem = malloc(p->input_len);
    fill_input(mem, p->input_len, p->input);
    struct exec_region region = {mem, p->input_len, EXEC_READ | EXEC_WRITE, NULL, "input"};
    struct exec_run_args args = {.args = {(uintptr_t)mem, p->input_len}, .regions = &region, .region_count = 1};
    struct exec_result res;

    uint64_t t0 = bench_now_ns();
    int rc = exec_run(prog, &args, &res);
    unsigned reps = reps_for(bench_now_ns() - t0, 300000000ULL);
    t0 = bench_now_ns();
    for (unsigned i = 0; i < reps && rc == 0; i++)
        rc = exec_run(prog, &args, &res);
    double interp_ns = (double)(bench_now_ns() - t0) / reps;

    uint64_t (*volatile native)(uint8_t *, uint64_t) = p->native;
    uint64_t native_r0 = native(mem, p->input_len);
    t0 = bench_now_ns();
    native(mem, p->input_len);
    unsigned native_reps = reps_for(bench_now_ns() - t0, 300000000ULL);
    t0 = bench_now_ns();
    for (unsigned i = 0; i < native_reps; i++)
        native_r0 = native(mem, p->input_len);
    double native_ns = (double)(bench_now_ns() - t0) / native_reps;

    int status = 0;
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", p->name, res.msg);
        status = 1;
    } else if (res.r0 != native_r0) {
        fprintf(stderr, "%s: interpreter returned 0x%llx, native 0x%llx\n", p->name, (unsigned long long)res.r0,
                (unsigned long long)native_r0);
        status = 1;
    } else {
        printf("%-16s %8zu %12llu %14.0f %9.2f %13.0f %9.1fx\n", p->name, count,
               (unsigned long long)res.insns_executed, interp_ns, interp_ns / (double)res.insns_executed, native_ns,
               interp_ns / native_ns);
    }
    free(mem);
    exec_program_free(prog);
    free(insns);
    return status;
}

int bench_exec(void)
{
    printf("interpreter vs native C (same C source; eBPF built by clang -O2 -mcpu=v3, native by the host compiler)\n");
    printf("%-16s %8s %12s %14s %9s %13s %10s\n", "program", "insns", "executed/run", "interp ns/run", "ns/insn",
           "native ns/run", "ratio");
    int status = 0;
    for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
        status |= bench_one(&programs[i]);
    return status;
}
