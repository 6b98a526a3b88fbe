/*
 * Interpreter behaviour beyond the conformance vectors: the safety
 * boundary (memory regions, stack frames, r10, budget, call depth, helper
 * memory checks), error reports, and concurrent runs of one program.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exec/exec.h"
#include "tools/tools.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Assembles and loads text with the conformance helpers; fails the test on error. */
static struct exec_program *load(const char *text)
{
    struct ebpf_insn *insns;
    size_t count;
    struct isa_error err;
    if (isa_assemble(text, &insns, &count, &err) != 0)
        fail_msg("assemble: line %zu: %s", err.pc, err.msg);
    struct exec_program *prog;
    if (exec_program_new(insns, count, conformance_helpers, conformance_helper_count, &prog, &err) != 0)
        fail_msg("load: %s", err.msg);
    free(insns);
    return prog;
}

/* Loads text expecting a load error containing fragment. */
static void expect_load_error(const char *text, const char *fragment)
{
    struct ebpf_insn *insns;
    size_t count;
    struct isa_error err;
    assert_int_equal(isa_assemble(text, &insns, &count, &err), 0);
    struct exec_program *prog = NULL;
    assert_int_equal(exec_program_new(insns, count, conformance_helpers, conformance_helper_count, &prog, &err),
                     -1);
    assert_null(prog);
    if (!strstr(err.msg, fragment))
        fail_msg("error \"%s\" does not mention \"%s\"", err.msg, fragment);
    free(insns);
}

static int run(const char *text, const struct exec_run_args *args, struct exec_result *res)
{
    struct exec_program *prog = load(text);
    int rc = exec_run(prog, args, res);
    exec_program_free(prog);
    return rc;
}

static void out_of_bounds_read_names_instruction_and_address(void **state)
{
    (void)state;
    struct exec_run_args args = {0};
    struct exec_result res;
    assert_int_equal(run("mov %r1, 0\nldxw %r0, [%r1+16]\nexit\n", &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_MEMORY);
    assert_int_equal(res.pc, 1);
    assert_int_equal(res.addr, 16);
    assert_non_null(strstr(res.msg, "instruction 1"));
    assert_non_null(strstr(res.msg, "0x10"));
}

static void stack_ends_exactly_at_frame_edges(void **state)
{
    (void)state;
    struct exec_run_args args = {0};
    struct exec_result res;
    assert_int_equal(run("ldxb %r0, [%r10-512]\nexit\n", &args, &res), 0);
    assert_int_equal(run("ldxb %r0, [%r10-513]\nexit\n", &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_MEMORY);
    assert_int_equal(run("ldxb %r0, [%r10+0]\nexit\n", &args, &res), -1);
    assert_int_equal(run("ldxdw %r0, [%r10-4]\nexit\n", &args, &res), -1);
}

static void region_access_rights_are_enforced(void **state)
{
    (void)state;
    uint8_t buf[8] = {7};
    struct exec_region ro = {buf, sizeof(buf), EXEC_READ, NULL, "buffer"};
    struct exec_run_args args = {.args = {(uintptr_t)buf}, .regions = &ro, .region_count = 1};
    struct exec_result res;
    assert_int_equal(run("ldxb %r0, [%r1]\nexit\n", &args, &res), 0);
    assert_int_equal(res.r0, 7);
    assert_int_equal(run("stb [%r1], 1\nexit\n", &args, &res), -1);
    assert_non_null(strstr(res.msg, "write of 1 bytes"));
    assert_int_equal(buf[0], 7);
    assert_int_equal(run("ldxdw %r0, [%r1+1]\nexit\n", &args, &res), -1); /* straddles the end */
}

static bool admit_one_address(void *opaque, const void *owner, uintptr_t addr, size_t len, unsigned access)
{
    (void)owner, (void)access;
    return addr == (uintptr_t)opaque && len <= 8;
}

static void mem_check_callback_grants_extra_memory(void **state)
{
    (void)state;
    uint64_t value = 0x1234;
    struct exec_run_args args = {.args = {(uintptr_t)&value}, .mem_check = admit_one_address,
                                 .mem_check_opaque = &value};
    struct exec_result res;
    assert_int_equal(run("ldxdw %r0, [%r1]\nexit\n", &args, &res), 0);
    assert_int_equal(res.r0, 0x1234);
    assert_int_equal(run("ldxdw %r0, [%r1+8]\nexit\n", &args, &res), -1);
}

static void budget_stops_an_endless_loop(void **state)
{
    (void)state;
    struct exec_run_args args = {.budget = 1000};
    struct exec_result res;
    assert_int_equal(run("mov %r0, 0\nloop:\nadd %r0, 1\nja loop\n", &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_BUDGET);
    assert_int_equal(res.insns_executed, 1000);
    args.budget = 0; /* default budget: a short program counts its instructions exactly */
    assert_int_equal(run("mov %r0, 1\nadd %r0, 2\nexit\n", &args, &res), 0);
    assert_int_equal(res.insns_executed, 3);
    args.budget = 3; /* exactly enough */
    assert_int_equal(run("mov %r0, 1\nadd %r0, 2\nexit\n", &args, &res), 0);
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void deadline_stops_an_endless_loop_on_time(void **state)
{
    (void)state;
    const char *loop = "mov %r0, 0\nloop:\nadd %r0, 1\nja loop\n";
    uint64_t start = monotonic_ns();
    struct exec_run_args args = {.budget = UINT64_MAX, .deadline_ns = start + 20 * 1000000ull};
    struct exec_result res;
    assert_int_equal(run(loop, &args, &res), -1);
    uint64_t took = monotonic_ns() - start;
    assert_int_equal(res.status, EXEC_ERR_DEADLINE);
    assert_true(took >= 20 * 1000000ull);
    assert_true(took < 1000 * 1000000ull); /* one slice past the deadline, with room for a loaded machine */
    assert_true(res.insns_executed > EXEC_DEADLINE_SLICE);
    assert_non_null(strstr(res.msg, "deadline"));
    /* The budget still counts exactly across slices, and ends the run first when smaller. */
    args = (struct exec_run_args){.budget = 3 * EXEC_DEADLINE_SLICE + 7, .deadline_ns = monotonic_ns() + 60000000000ull};
    assert_int_equal(run(loop, &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_BUDGET);
    assert_int_equal(res.insns_executed, 3 * EXEC_DEADLINE_SLICE + 7);
    /* A deadline already passed stops a run at its first slice's end, never before: short programs finish. */
    args = (struct exec_run_args){.deadline_ns = 1};
    assert_int_equal(run("mov %r0, 1\nadd %r0, 2\nexit\n", &args, &res), 0);
    assert_int_equal(res.r0, 3);
    assert_int_equal(run(loop, &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_DEADLINE);
    assert_int_equal(res.insns_executed, EXEC_DEADLINE_SLICE);
}

static void unbounded_recursion_hits_call_depth(void **state)
{
    (void)state;
    struct exec_run_args args = {0};
    struct exec_result res;
    assert_int_equal(run("call local fn\nexit\nfn:\ncall local fn\nexit\n", &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_CALL_DEPTH);
    assert_int_equal(res.pc, 2); /* the call inside fn */
    assert_int_equal(res.insns_executed, EBPF_MAX_CALL_DEPTH);
}

static void callee_has_its_own_frame_and_sees_callers_by_pointer(void **state)
{
    (void)state;
    const char *text = "stdw [%r10-8], 1\n"
                       "mov %r1, %r10\n"
                       "sub %r1, 8\n"
                       "mov %r6, 66\n"
                       "call local fn\n"
                       "ldxdw %r2, [%r10-8]\n" /* caller's slot now 3: callee wrote through r1 */
                       "mov %r0, %r2\n"
                       "lsh %r0, 8\n"
                       "or %r0, %r6\n"        /* r6 preserved: 66 */
                       "exit\n"
                       "fn:\n"
                       "ldxdw %r3, [%r10-8]\n" /* callee's own slot: zero on first entry */
                       "stdw [%r10-8], 2\n"
                       "stdw [%r1], 3\n"
                       "mov %r6, 0\n"
                       "mov %r0, %r3\n"
                       "exit\n";
    struct exec_run_args args = {0};
    struct exec_result res;
    assert_int_equal(run(text, &args, &res), 0);
    assert_int_equal(res.r0, (3 << 8) | 66);
}

static void stack_starts_zeroed_each_run(void **state)
{
    (void)state;
    struct exec_program *writer = load("stdw [%r10-8], 0x55\nmov %r0, 0\nexit\n");
    struct exec_program *reader = load("ldxdw %r0, [%r10-8]\nexit\n");
    struct exec_run_args args = {0};
    struct exec_result res;
    assert_int_equal(exec_run(writer, &args, &res), 0);
    assert_int_equal(exec_run(reader, &args, &res), 0);
    assert_int_equal(res.r0, 0);
    exec_program_free(writer);
    exec_program_free(reader);
}

static void r10_is_read_only(void **state)
{
    (void)state;
    expect_load_error("mov %r10, 1\nexit\n", "r10");
    expect_load_error("ldxdw %r10, [%r1]\nexit\n", "r10");
    expect_load_error("lock fetch add [%r1], %r10\nexit\n", "r10");
}

static void helper_pointer_arguments_are_checked(void **state)
{
    (void)state;
    struct exec_run_args args = {0};
    struct exec_result res;
    /* memfrob(0x1000, 4): not granted memory, so the call stops the program. */
    assert_int_equal(run("mov %r1, 0x1000\nmov %r2, 4\ncall 1\nexit\n", &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_MEMORY);
    assert_int_equal(res.pc, 2);
    assert_int_equal(res.addr, 0x1000);
    /* memfrob on the stack is fine. */
    assert_int_equal(run("stb [%r10-1], 42\nmov %r1, %r10\nsub %r1, 1\nmov %r2, 1\ncall 1\n"
                         "ldxb %r0, [%r10-1]\nexit\n",
                         &args, &res),
                     0);
    assert_int_equal(res.r0, 0);
}

static void unknown_helpers_are_rejected(void **state)
{
    (void)state;
    expect_load_error("call 99\nexit\n", "unknown helper");
    struct exec_run_args args = {0};
    struct exec_result res;
    assert_int_equal(run("mov %r2, 99\ncallx %r2\nexit\n", &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_HELPER);
    assert_non_null(strstr(res.msg, "99"));
}

static void unresolved_references_are_rejected(void **state)
{
    (void)state;
    expect_load_error("lddw %r1, map_by_fd 3\nexit\n", "unresolved");
    expect_load_error("lddw %r1, map_value_by_idx 0, 8\nexit\n", "unresolved");
    expect_load_error("call btf 7\nexit\n", "BTF");
}

static void misaligned_atomic_is_an_error(void **state)
{
    (void)state;
    struct exec_run_args args = {0};
    struct exec_result res;
    assert_int_equal(run("mov %r1, 1\nlock add [%r10-7], %r1\nexit\n", &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_ALIGNMENT);
    assert_non_null(strstr(res.msg, "at r10-7 (the stack)"));
}

/* Runs code with r1 pointing at a named 16-byte region; asserts a memory fault whose message holds want. */
static void expect_fault_at(const char *code, const char *want)
{
    uint8_t mem[16];
    struct exec_region region = {mem, sizeof(mem), EXEC_READ | EXEC_WRITE, NULL, "input"};
    struct exec_run_args args = {.args = {(uintptr_t)mem}, .regions = &region, .region_count = 1};
    struct exec_result res;
    assert_int_equal(run(code, &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_MEMORY);
    if (!strstr(res.msg, want))
        fail_msg("'%s' not in '%s'", want, res.msg);
    /* No host address: neither the region's nor the stack's (a local of ours is near it). */
    char host[32];
    snprintf(host, sizeof(host), "%llx", (unsigned long long)(uintptr_t)mem >> 12);
    assert_null(strstr(res.msg, host));
    snprintf(host, sizeof(host), "%llx", (unsigned long long)(uintptr_t)&res >> 12);
    assert_null(strstr(res.msg, host));
}

static void fault_messages_name_offsets_not_host_addresses(void **state)
{
    (void)state;
    expect_fault_at("ldxdw %r0, [%r10-520]\nexit\n", "read of 8 bytes at r10-520 (the stack)");
    expect_fault_at("stw [%r10+8], 1\nexit\n", "write of 4 bytes at r10+8 (the stack)");
    expect_fault_at("ldxw %r0, [%r1+16]\nexit\n", "read of 4 bytes at input+16 (of 16 bytes)");
    expect_fault_at("ldxb %r0, [%r1-8]\nexit\n", "at input-8 (before it)");
    expect_fault_at("lddw %r2, 0x10000000\nadd %r1, %r2\nldxb %r0, [%r1]\nexit\n",
                    "at an address in no region of the run");
    expect_fault_at("mov %r1, 0\nldxw %r0, [%r1+16]\nexit\n", "at 0x10 is outside");
}

static void legacy_packet_loads(void **state)
{
    (void)state;
    uint8_t packet[4] = {0x12, 0x34, 0x56, 0x78};
    struct exec_run_args args = {.packet = packet, .packet_len = sizeof(packet)};
    struct exec_result res;
    assert_int_equal(run("ldabsw 0\nexit\n", &args, &res), 0);
    assert_int_equal(res.r0, 0x12345678);
    assert_int_equal(run("mov %r3, 2\nldindh %r3, 0\nexit\n", &args, &res), 0);
    assert_int_equal(res.r0, 0x5678);
    /* Out of the packet: the program ends with r0 = 0, as on Linux. */
    assert_int_equal(run("mov %r0, 9\nldabsh 3\nmov %r0, 7\nexit\n", &args, &res), 0);
    assert_int_equal(res.r0, 0);
}

static void too_many_regions_is_an_argument_error(void **state)
{
    (void)state;
    struct exec_region regions[EXEC_MAX_REGIONS + 1] = {{0}};
    struct exec_run_args args = {.regions = regions, .region_count = EXEC_MAX_REGIONS + 1};
    struct exec_result res;
    assert_int_equal(run("mov %r0, 0\nexit\n", &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_ARGS);
}

/* Sums the 64 bytes of its input; each thread checks its own answer. */
static const char *sum_program = "mov %r0, 0\n"
                                 "loop:\n"
                                 "jeq %r2, 0, done\n"
                                 "ldxb %r3, [%r1]\n"
                                 "add %r0, %r3\n"
                                 "add %r1, 1\n"
                                 "sub %r2, 1\n"
                                 "ja loop\n"
                                 "done:\n"
                                 "exit\n";

struct worker {
    struct exec_program *prog;
    uint8_t seed;
    int mismatches;
};

static void *worker_main(void *opaque)
{
    struct worker *w = opaque;
    uint8_t data[64];
    for (int iter = 0; iter < 20000; iter++) {
        uint64_t expected = 0;
        for (size_t i = 0; i < sizeof(data); i++)
            expected += data[i] = (uint8_t)(w->seed + iter + i);
        struct exec_region region = {data, sizeof(data), EXEC_READ, NULL, "data"};
        struct exec_run_args args = {.args = {(uintptr_t)data, sizeof(data)}, .regions = &region, .region_count = 1};
        struct exec_result res;
        if (exec_run(w->prog, &args, &res) != 0 || res.r0 != expected)
            w->mismatches++;
    }
    return NULL;
}

static void one_program_runs_on_many_threads(void **state)
{
    (void)state;
    struct exec_program *prog = load(sum_program);
    struct worker workers[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        workers[i] = (struct worker){prog, (uint8_t)(i * 37), 0};
        assert_int_equal(pthread_create(&threads[i], NULL, worker_main, &workers[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        assert_int_equal(workers[i].mismatches, 0);
    }
    exec_program_free(prog);
}

/* Helpers for tail-call and callback tests: 100 tail-calls host_ctx's
 * program; 101 runs the callback in r2 r1 times and sums what it returns;
 * 102 returns the number the running program's owner points to. */
static uint64_t tail_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct exec_env *env)
{
    (void)a, (void)b, (void)c, (void)d, (void)e;
    return (uint64_t)(int64_t)exec_env_tail_call(env, *(struct exec_program **)exec_env_host_ctx(env));
}

static uint64_t loop_helper(uint64_t n, uint64_t fn, uint64_t c, uint64_t d, uint64_t e, struct exec_env *env)
{
    (void)c, (void)d, (void)e;
    uint64_t sum = 0, r0;
    for (uint64_t i = 0; i < n; i++) {
        if (exec_env_call_function(env, fn, i, 0, 0, 0, 0, &r0) != 0)
            return 0;
        sum += r0;
    }
    return sum;
}

static uint64_t owner_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, struct exec_env *env)
{
    (void)a, (void)b, (void)c, (void)d, (void)e;
    const uint64_t *owner = exec_env_owner(env);
    return owner ? *owner : 0;
}

static const struct exec_helper control_helpers[] = {
    {100, "tail", tail_helper, false},
    {101, "loop", loop_helper, false},
    {102, "owner", owner_helper, false},
};

static struct exec_program *load_with_control_helpers(const char *text)
{
    struct ebpf_insn *insns;
    size_t count;
    struct isa_error err;
    assert_int_equal(isa_assemble(text, &insns, &count, &err), 0);
    struct exec_program *prog;
    if (exec_program_new(insns, count, control_helpers, sizeof(control_helpers) / sizeof(control_helpers[0]), &prog,
                         &err) != 0)
        fail_msg("load: %s", err.msg);
    free(insns);
    return prog;
}

static void tail_call_continues_in_the_next_program(void **state)
{
    (void)state;
    struct exec_program *first = load_with_control_helpers("stdw [%r10-8], 5\ncall 100\nmov %r0, 99\nexit\n");
    struct exec_program *second = load_with_control_helpers("ldxdw %r0, [%r10-8]\nadd %r0, %r1\nexit\n");
    struct exec_program *next = second;
    struct exec_run_args args = {.args = {40}, .host_ctx = &next};
    struct exec_result res;
    assert_int_equal(exec_run(first, &args, &res), 0);
    assert_int_equal(res.r0, 40); /* r1 kept, frame 0 zeroed for the new program */
    exec_program_free(first);
    exec_program_free(second);
}

static void tail_calls_stop_after_the_limit(void **state)
{
    (void)state;
    /* Counts its runs in *r1, then tail-calls itself; the 34th call fails. */
    struct exec_program *self = load_with_control_helpers("ldxdw %r2, [%r1]\nadd %r2, 1\nstxdw [%r1], %r2\n"
                                                          "call 100\nmov %r0, %r0\nexit\n");
    uint64_t runs = 0;
    struct exec_region region = {&runs, sizeof(runs), EXEC_READ | EXEC_WRITE, NULL, "runs"};
    struct exec_run_args args = {.args = {(uintptr_t)&runs}, .regions = &region, .region_count = 1,
                                 .host_ctx = &self};
    struct exec_result res;
    assert_int_equal(exec_run(self, &args, &res), 0);
    assert_int_equal(runs, EXEC_MAX_TAIL_CALLS + 1);
    assert_int_equal((int64_t)res.r0, -1);
    exec_program_free(self);
}

static const uint64_t caller_tag = 1, target_tag = 2;

/* The host variable only the caller's program (owner caller_tag) may read. */
static bool admit_for_the_caller(void *opaque, const void *owner, uintptr_t addr, size_t len, unsigned access)
{
    (void)access;
    return owner == &caller_tag && addr == (uintptr_t)opaque && len <= 8;
}

/*
 * Linux's semantics: the target replaces only the function that made the
 * call. It starts with r1 unchanged in that function's frame, zeroed; when it
 * exits, its r0 is the function's return value and the caller goes on with
 * its registers, its stack and its program (helpers and memory checks see
 * the caller's owner again). The code after the tail call never runs.
 */
static void tail_call_from_a_function_replaces_only_that_function(void **state)
{
    (void)state;
    struct exec_program *caller = load_with_control_helpers("mov %r6, 7\n"
                                                            "stdw [%r10-8], 100\n"
                                                            "mov %r7, %r1\n"
                                                            "mov %r1, 40\n"
                                                            "call local fn\n"
                                                            "ldxdw %r2, [%r10-8]\n" /* 100: the caller's frame */
                                                            "add %r0, %r2\n"
                                                            "mul %r6, 1000\n" /* r6 restored: 7 */
                                                            "add %r0, %r6\n"
                                                            "ldxdw %r3, [%r7]\n" /* only the caller may */
                                                            "add %r0, %r3\n"
                                                            "mov %r8, %r0\n"
                                                            "call 102\n" /* the caller's owner: 1 */
                                                            "mul %r0, 100000\n"
                                                            "add %r0, %r8\n"
                                                            "exit\n"
                                                            "fn:\n"
                                                            "stdw [%r10-8], 5\n"
                                                            "mov %r6, 0\n"
                                                            "call 100\n"
                                                            "mov %r0, 99\n" /* never runs */
                                                            "exit\n");
    struct exec_program *target = load_with_control_helpers("ldxdw %r0, [%r10-8]\n" /* zeroed: 0 */
                                                            "add %r0, %r1\n"         /* r1 kept: 40 */
                                                            "mov %r6, 0\n"
                                                            "mov %r9, %r0\n"
                                                            "call 102\n" /* the target's owner: 2 */
                                                            "mul %r0, 10\n"
                                                            "add %r0, %r9\n" /* 60 */
                                                            "exit\n");
    exec_program_set_owner(caller, &caller_tag);
    exec_program_set_owner(target, &target_tag);
    uint64_t secret = 20000;
    struct exec_program *next = target;
    struct exec_run_args args = {.args = {(uintptr_t)&secret}, .mem_check = admit_for_the_caller,
                                 .mem_check_opaque = &secret, .host_ctx = &next};
    struct exec_result res;
    if (exec_run(caller, &args, &res) != 0)
        fail_msg("%s", res.msg);
    assert_int_equal(res.r0, 1 * 100000 + 60 + 100 + 7000 + 20000);
    exec_program_free(caller);
    exec_program_free(target);
}

/* A failed tail call in a function returns to it, which goes on after the call. */
static void failed_tail_call_in_a_function_goes_on(void **state)
{
    (void)state;
    struct exec_program *prog = load_with_control_helpers("call local fn\nadd %r0, 1000\nexit\n"
                                                          "fn:\ncall 100\nmov %r1, %r0\nmov %r0, 5\n"
                                                          "jne %r1, -1, fail\nexit\nfail:\nmov %r0, 0\nexit\n");
    struct exec_program *next = NULL; /* the empty slot */
    struct exec_run_args args = {.host_ctx = &next};
    struct exec_result res;
    assert_int_equal(exec_run(prog, &args, &res), 0);
    assert_int_equal(res.r0, 1005);
    exec_program_free(prog);
}

/*
 * A dispatcher that tail-calls itself from a function, twice per run (the
 * pattern of Linux's selftest for counting across functions): the count is
 * the run's, so it runs 1 + 33 times, then every further tail call fails and
 * each level returns to its caller, which makes its second call.
 */
static void tail_call_limit_counts_across_functions(void **state)
{
    (void)state;
    struct exec_program *self = load_with_control_helpers("mov %r6, %r1\n"
                                                          "ldxdw %r2, [%r6]\n"
                                                          "add %r2, 1\n"
                                                          "stxdw [%r6], %r2\n"
                                                          "call local fn\n"
                                                          "mov %r1, %r6\n"
                                                          "call local fn\n"
                                                          "mov %r0, 1\n"
                                                          "exit\n"
                                                          "fn:\n"
                                                          "call 100\n"
                                                          "mov %r0, 0\n"
                                                          "exit\n");
    uint64_t runs = 0;
    struct exec_region region = {&runs, sizeof(runs), EXEC_READ | EXEC_WRITE, NULL, "runs"};
    struct exec_run_args args = {.args = {(uintptr_t)&runs}, .regions = &region, .region_count = 1,
                                 .host_ctx = &self};
    struct exec_result res;
    if (exec_run(self, &args, &res) != 0)
        fail_msg("%s", res.msg);
    assert_int_equal(runs, 1 + EXEC_MAX_TAIL_CALLS);
    assert_int_equal(res.r0, 1);
    exec_program_free(self);
}

/* Each program nests up to EBPF_MAX_CALL_DEPTH frames from its own first one. */
static void tail_called_program_has_its_own_call_depth(void **state)
{
    (void)state;
    struct exec_program *caller = load_with_control_helpers("call local fn\nexit\nfn:\ncall 100\nexit\n");
    struct exec_program *deep = load_with_control_helpers("call local f\nexit\nf:\ncall local f\nexit\n");
    struct exec_program *next = deep;
    struct exec_run_args args = {.host_ctx = &next};
    struct exec_result res;
    assert_int_equal(exec_run(caller, &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_CALL_DEPTH);
    assert_int_equal(res.insns_executed, 2 + EBPF_MAX_CALL_DEPTH); /* 7 calls in deep, then the refused one */
    assert_non_null(strstr(res.msg, "nested deeper than 8 frames"));
    exec_program_free(caller);
    exec_program_free(deep);
}

/* Frames tail calls leave behind add up; past the run's EXEC_MAX_FRAMES the program stops. */
static void frames_left_by_tail_calls_are_bounded(void **state)
{
    (void)state;
    /* Each level keeps two frames (main and f1) and tail-calls itself from f2. */
    struct exec_program *self = load_with_control_helpers("call local f1\nexit\n"
                                                          "f1:\ncall local f2\nexit\n"
                                                          "f2:\ncall 100\nexit\n");
    struct exec_run_args args = {.host_ctx = &self};
    struct exec_result res;
    assert_int_equal(exec_run(self, &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_CALL_DEPTH);
    assert_non_null(strstr(res.msg, "the run's 64 frames"));
    /* 31 levels of 3 instructions, then main and f1's refused call. */
    assert_int_equal(res.insns_executed, (EXEC_MAX_FRAMES / 2 - 1) * 3 + 2);
    exec_program_free(self);
}

/* A tail call in a callback replaces the callback: its r0 goes to the helper. */
static void tail_call_in_a_callback_replaces_the_callback(void **state)
{
    (void)state;
    struct exec_program *prog = load_with_control_helpers("mov %r1, 3\n"
                                                          "lddw %r2, code_addr cb\n"
                                                          "call 101\n"
                                                          "mov %r6, %r0\n"
                                                          "call 102\n" /* back in the caller's program */
                                                          "mul %r0, 1000\n"
                                                          "add %r0, %r6\n"
                                                          "exit\n"
                                                          "cb:\n"
                                                          "call 100\n"
                                                          "mov %r0, 99\n"
                                                          "exit\n");
    struct exec_program *triple = load_with_control_helpers("mov %r0, %r1\nmul %r0, 3\nexit\n");
    exec_program_set_owner(prog, &caller_tag);
    exec_program_set_owner(triple, &target_tag);
    struct exec_program *next = triple;
    struct exec_run_args args = {.host_ctx = &next};
    struct exec_result res;
    if (exec_run(prog, &args, &res) != 0)
        fail_msg("%s", res.msg);
    assert_int_equal(res.r0, 1000 + 3 * (0 + 1 + 2));
    exec_program_free(prog);
    exec_program_free(triple);
}

static void callbacks_run_in_their_own_frame(void **state)
{
    (void)state;
    struct exec_program *prog = load_with_control_helpers("stdw [%r10-8], 1000\n"
                                                          "mov %r1, 5\n"
                                                          "lddw %r2, code_addr cb\n"
                                                          "call 101\n"
                                                          "ldxdw %r1, [%r10-8]\n"
                                                          "add %r0, %r1\n"
                                                          "exit\n"
                                                          "cb:\n"
                                                          "stdw [%r10-8], 7\n"
                                                          "mov %r0, %r1\n"
                                                          "mul %r0, 2\n"
                                                          "exit\n");
    struct exec_run_args args = {0};
    struct exec_result res;
    assert_int_equal(exec_run(prog, &args, &res), 0);
    assert_int_equal(res.r0, 1000 + 2 * (0 + 1 + 2 + 3 + 4));
    exec_program_free(prog);
}

static void forged_or_runaway_callbacks_stop_the_program(void **state)
{
    (void)state;
    struct exec_result res;
    struct exec_run_args args = {.budget = 500};
    struct exec_program *forged = load_with_control_helpers("mov %r1, 1\nmov %r2, 3\ncall 101\nexit\n");
    assert_int_equal(exec_run(forged, &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_MEMORY);
    assert_int_equal(res.pc, 2);
    exec_program_free(forged);
    struct exec_program *runaway = load_with_control_helpers("mov %r1, 1\nlddw %r2, code_addr cb\ncall 101\n"
                                                             "exit\ncb:\nja cb\n");
    assert_int_equal(exec_run(runaway, &args, &res), -1);
    assert_int_equal(res.status, EXEC_ERR_BUDGET);
    assert_int_equal(res.insns_executed, 500);
    exec_program_free(runaway);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(out_of_bounds_read_names_instruction_and_address),
        cmocka_unit_test(stack_ends_exactly_at_frame_edges),
        cmocka_unit_test(region_access_rights_are_enforced),
        cmocka_unit_test(mem_check_callback_grants_extra_memory),
        cmocka_unit_test(budget_stops_an_endless_loop),
        cmocka_unit_test(deadline_stops_an_endless_loop_on_time),
        cmocka_unit_test(unbounded_recursion_hits_call_depth),
        cmocka_unit_test(callee_has_its_own_frame_and_sees_callers_by_pointer),
        cmocka_unit_test(stack_starts_zeroed_each_run),
        cmocka_unit_test(r10_is_read_only),
        cmocka_unit_test(helper_pointer_arguments_are_checked),
        cmocka_unit_test(unknown_helpers_are_rejected),
        cmocka_unit_test(unresolved_references_are_rejected),
        cmocka_unit_test(misaligned_atomic_is_an_error),
        cmocka_unit_test(fault_messages_name_offsets_not_host_addresses),
        cmocka_unit_test(legacy_packet_loads),
        cmocka_unit_test(too_many_regions_is_an_argument_error),
        cmocka_unit_test(one_program_runs_on_many_threads),
        cmocka_unit_test(tail_call_continues_in_the_next_program),
        cmocka_unit_test(tail_calls_stop_after_the_limit),
        cmocka_unit_test(tail_call_from_a_function_replaces_only_that_function),
        cmocka_unit_test(failed_tail_call_in_a_function_goes_on),
        cmocka_unit_test(tail_call_limit_counts_across_functions),
        cmocka_unit_test(tail_called_program_has_its_own_call_depth),
        cmocka_unit_test(frames_left_by_tail_calls_are_bounded),
        cmocka_unit_test(tail_call_in_a_callback_replaces_the_callback),
        cmocka_unit_test(callbacks_run_in_their_own_frame),
        cmocka_unit_test(forged_or_runaway_callbacks_stop_the_program),
    };
    return cmocka_run_group_tests_name("exec/interp", tests, NULL, NULL);
}
