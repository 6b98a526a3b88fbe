/*
 * Shared by the core tests: the sample type, compiling and opening the
 * programs of tests/core/progs once per process, loading them, and test
 * runs on a sample context. Include after cmocka.h.
 */
#ifndef BPFHOST_TESTS_CORE_TEST_H
#define BPFHOST_TESTS_CORE_TEST_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/bpf_objects.h"
#include "core/core.h"

/* Registers the sample type (already registered is fine). */
static inline int register_sample(void **state)
{
    (void)state;
    int rc = core_register_sample_type();
    return rc == 0 || rc == -EEXIST ? 0 : -1;
}

/* The ELF object of tests/core/progs/<name>.c, compiled on first use. */
static inline struct bpf_elf_object *open_prog(const char *name)
{
    return test_object_open("tests/core/progs", name);
}

/* Group teardown: closes the objects and removes the compiled files. */
static inline int close_progs(void **state)
{
    return test_objects_close(state);
}

/* Loads tests/core/progs/<name>.c with opts (NULL: defaults); must succeed. */
static inline struct core_object *load(const char *name, const struct core_load_opts *opts)
{
    return test_object_load("tests/core/progs", name, opts);
}

/* Loads tests/core/progs/<name>.c with opts expecting failure with code; the reason must mention what. */
static inline void expect_load_error(const char *name, const struct core_load_opts *opts, int code, const char *what)
{
    struct core_object *obj = (void *)1;
    char err[1024] = "";
    assert_int_equal(core_object_load(open_prog(name), opts, &obj, err, sizeof(err)), code);
    assert_null(obj);
    if (!strstr(err, what))
        fail_msg("error '%s' does not mention '%s'", err, what);
}

/* The program of that name in obj; must exist. */
static inline struct core_prog *prog_of(const struct core_object *obj, const char *name)
{
    return test_prog_of(obj, name);
}

/* The map of that name in obj; must exist. */
static inline struct map *map_of(const struct core_object *obj, const char *name)
{
    return test_map_of(obj, name);
}

/* Test-runs prog once on ctx (in and out) with data (in and out, may be NULL);
 * returns core_test_run()'s result, the return value in *retval. */
static inline int run_ctx(struct core_prog *prog, struct core_sample_ctx *ctx, void *data, size_t len,
                          uint64_t *retval, struct exec_result *error)
{
    struct core_test_run r = {.ctx_in = ctx, .ctx_in_size = sizeof(*ctx), .ctx_out = ctx,
                              .ctx_out_size = sizeof(*ctx), .data_in = data, .data_in_size = len,
                              .data_out = data, .data_out_size = len};
    int rc = core_test_run(prog, &r);
    if (retval)
        *retval = r.retval;
    if (error)
        *error = r.error;
    return rc;
}

/* Runs prog on ctx (in and out, no data); must succeed; returns its value. */
static inline uint64_t run_on(struct core_prog *prog, struct core_sample_ctx *ctx)
{
    uint64_t retval;
    assert_int_equal(run_ctx(prog, ctx, NULL, 0, &retval, NULL), 0);
    return retval;
}

/* Runs prog on an empty sample context; must succeed; returns its value as an int. */
static inline int run_simple(struct core_prog *prog)
{
    struct core_sample_ctx ctx = {0};
    return (int)run_on(prog, &ctx);
}

/* Loads "r0 = value; exit" as a program of type (registered by the caller). */
static inline struct core_prog *load_constant(const struct core_prog_type *type, int32_t value)
{
    const struct ebpf_insn insns[] = {{EBPF_CLS_ALU64 | EBPF_ALU_MOV, 0, 0, 0, value}, {EBPF_OP_EXIT, 0, 0, 0, 0}};
    struct core_prog_load_args args = {.name = "constant", .type = type, .insns = insns, .insn_count = 2};
    struct core_prog *prog = NULL;
    char err[256];
    if (core_prog_load(&args, &prog, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return prog;
}

/* Sum of the per-CPU u64 values of key 0 of map. */
static inline uint64_t percpu_sum(struct map *map)
{
    uint32_t key = 0;
    size_t n = map_nr_cpus();
    uint64_t *values = calloc(n, sizeof(*values)), sum = 0;
    assert_non_null(values);
    assert_int_equal(map_lookup_copy(map, &key, values), 0);
    for (size_t i = 0; i < n; i++)
        sum += values[i];
    free(values);
    return sum;
}

#endif
