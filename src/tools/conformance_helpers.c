/* The bpf_conformance suite's helpers and its way of running a program. */
#include "tools/tools.h"

#include <stdio.h>

static uint64_t gather_bytes(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct exec_env *env)
{
    (void)env;
    return ((a & 0xff) << 32) | ((b & 0xff) << 24) | ((c & 0xff) << 16) | ((d & 0xff) << 8) | (e & 0xff);
}

static uint64_t memfrob(uint64_t ptr, uint64_t len, uint64_t c, uint64_t d, uint64_t e, struct exec_env *env)
{
    (void)c, (void)d, (void)e;
    uint8_t *p = exec_env_mem(env, ptr, len, EXEC_READ | EXEC_WRITE);
    for (uint64_t i = 0; p && i < len; i++)
        p[i] ^= 42;
    return 0;
}

static uint64_t no_op(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct exec_env *env)
{
    (void)a, (void)b, (void)c, (void)d, (void)e, (void)env;
    return 0;
}

static uint64_t sqrti(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct exec_env *env)
{
    (void)b, (void)c, (void)d, (void)e, (void)env;
    /* Bitwise integer square root: exact for every 64-bit input. */
    uint64_t root = 0, bit = 1ULL << 62;
    while (bit > a)
        bit >>= 2;
    while (bit) {
        if (a >= root + bit) {
            a -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return root;
}

static uint64_t strcmp_ext(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct exec_env *env)
{
    (void)c, (void)d, (void)e;
    /* Byte by byte, so each byte read is checked against the granted memory. */
    for (uint64_t i = 0;; i++) {
        const uint8_t *x = exec_env_mem(env, a + i, 1, EXEC_READ);
        const uint8_t *y = exec_env_mem(env, b + i, 1, EXEC_READ);
        if (!x || !y)
            return 0;
        if (*x != *y || *x == 0)
            return (uint64_t)(int64_t)((int)*x - (int)*y);
    }
}

static uint64_t unwind(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct exec_env *env)
{
    (void)b, (void)c, (void)d, (void)e, (void)env;
    return a;
}

const struct exec_helper conformance_helpers[] = {
    {0, "gather_bytes", gather_bytes, false}, {1, "memfrob", memfrob, false},
    {2, "no_op", no_op, false},               {3, "sqrti", sqrti, false},
    {4, "strcmp_ext", strcmp_ext, false},     {5, "unwind", unwind, true},
};
const size_t conformance_helper_count = sizeof(conformance_helpers) / sizeof(conformance_helpers[0]);

int conformance_run(const struct ebpf_insn *insns, size_t count, uint8_t *mem, size_t mem_len, uint64_t *r0,
                    char *err, size_t err_len)
{
    struct exec_program *prog;
    struct isa_error ierr;
    if (exec_program_new(insns, count, conformance_helpers, conformance_helper_count, &prog, &ierr) != 0) {
        snprintf(err, err_len, "%s", ierr.msg);
        return -1;
    }
    struct exec_region region = {mem, mem_len, EXEC_READ | EXEC_WRITE, NULL, "memory"};
    struct exec_run_args args = {
        .args = {(uintptr_t)mem, mem_len},
        .regions = &region,
        .region_count = mem ? 1 : 0,
        .packet = mem,
        .packet_len = mem_len,
    };
    struct exec_result res;
    int rc = exec_run(prog, &args, &res);
    exec_program_free(prog);
    if (rc != 0) {
        snprintf(err, err_len, "%s", res.msg);
        return -1;
    }
    *r0 = res.r0;
    return 0;
}
