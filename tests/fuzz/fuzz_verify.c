/*
 * libFuzzer target: the verifier's soundness. The input becomes a program
 * of the sample type (prog_gen.h) and a context with data for it. A
 * program the verifier accepts (core_prog_load verifies every load) runs
 * from a hook on that context, and the interpreter checks each of its
 * accesses against the run's regions. Accepted must mean safe, else the
 * target aborts:
 * - the run ends normally: no access outside the regions, no misaligned
 *   atomic, no helper or call-depth error, and the instruction budget is
 *   not spent (the verifier proved the loops end; the generator's loops
 *   run at most 255 times, nest two deep, and bpf_loop calls back at most
 *   31 times, so a run takes far below the default budget of 10^8 unless
 *   a loop never ends);
 * - r0 holds no host address: nothing within 1 MiB of the context, the
 *   data, the thread's stack (the interpreter's frames are there), a map
 *   or its values; afterwards no map value and no byte of the context
 *   holds one either.
 * Programs are verified first through verify.h with a limit of STEPS
 * instructions interpreted (of the same profile and maps): some random
 * programs take the verifier seconds before it says "too complex", longer
 * than the fuzzer's timeout. Only those it accepts are loaded through core
 * (which may still refuse one: the interpreter wants every helper call
 * known, even in code no path reaches).
 * A number the input made can equal a host address (libFuzzer learns
 * addresses from the comparisons of the instrumented libraries), so a
 * suspect value is confirmed by a second run with every region elsewhere
 * (new context and data, a deeper stack, a second set of maps): a pointer
 * moves with them, a number does not.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "prog_gen.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { DATA_MAX = 96, SETS = 2, STACK_SHIFT = 64 * 1024, STEPS = 2000 };

static struct core_map *maps[SETS][GEN_MAP_COUNT];
static struct core_profile profile; /* the sample type's, for the first verification */
/* The maps as the verifier sees them (what core_verify() makes of maps[]). */
static const struct verify_map verify_maps[GEN_MAP_COUNT] = {
    [GEN_MAP_ARRAY] = {"array", VERIFY_MAP_ARRAY, 4, GEN_ARRAY_VALUE, GEN_ENTRIES, false, -1, NULL},
    [GEN_MAP_HASH] = {"hash", VERIFY_MAP_HASH, 4, 8, GEN_ENTRIES, false, -1, NULL},
    [GEN_MAP_RING] = {"ring", VERIFY_MAP_RINGBUF, 0, 0, 4096, false, -1, NULL},
    [GEN_MAP_PROGS] = {"progs", VERIFY_MAP_PROG_ARRAY, 4, 4, GEN_ENTRIES, false, -1, NULL},
    [GEN_MAP_RODATA] = {"rodata", VERIFY_MAP_ARRAY, 4, GEN_RODATA_VALUE, 1, true, -1, NULL},
};
static struct core_hook *hook;
static uintptr_t stack_lo, stack_hi; /* this thread's stack */
static unsigned long generated, accepted; /* programs, printed at exit */

static void print_counts(void)
{
    fprintf(stderr, "fuzz_verify: %lu programs generated, %lu accepted and run\n", generated, accepted);
}

static int attach_any(void *owner, struct core_link *link)
{
    (void)owner, (void)link;
    return 0;
}

static void detach_any(void *owner, struct core_link *link)
{
    (void)owner, (void)link;
}

static struct core_map *make_map(uint32_t type, uint32_t key, uint32_t value, uint32_t entries, uint32_t flags)
{
    char why[MAP_WHY_LEN];
    struct map_params p = {.type = type, .key_size = key, .value_size = value, .max_entries = entries,
                           .map_flags = flags, .why = why, .why_len = sizeof(why)};
    struct core_map *m;
    if (core_map_create(&p, &m) != 0)
        fuzz_fail("cannot create a map of type %u: %s", type, why);
    return m;
}

/* A program of the sample type on map set `set`; NULL with the reason in err if refused. */
static struct core_prog *load(const struct ebpf_insn *insns, size_t count, int set, char *err, size_t errlen)
{
    struct core_prog_load_args args = {.name = "fuzz_verify", .type = core_prog_type_find_by_name("sample"),
                                       .insns = insns, .insn_count = count, .maps = maps[set],
                                       .map_count = GEN_MAP_COUNT};
    struct core_prog *prog;
    return core_prog_load(&args, &prog, err, errlen) == 0 ? prog : NULL;
}

static void make_maps(int set)
{
    struct core_map **m = maps[set];
    m[GEN_MAP_ARRAY] = make_map(BPF_MAP_TYPE_ARRAY, 4, GEN_ARRAY_VALUE, GEN_ENTRIES, 0);
    m[GEN_MAP_HASH] = make_map(BPF_MAP_TYPE_HASH, 4, 8, GEN_ENTRIES, 0);
    m[GEN_MAP_RING] = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096, 0);
    m[GEN_MAP_PROGS] = make_map(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, GEN_ENTRIES, 0);
    m[GEN_MAP_RODATA] = make_map(BPF_MAP_TYPE_ARRAY, 4, GEN_RODATA_VALUE, 1, MAP_F_RDONLY_PROG);
    char text[GEN_RODATA_VALUE] = GEN_RODATA_TEXT;
    uint32_t key = 0;
    if (map_update_user(core_map_map(m[GEN_MAP_RODATA]), &key, text, 0) != 0 ||
        map_freeze(core_map_map(m[GEN_MAP_RODATA])) != 0)
        fuzz_fail("cannot fill the read-only map");
    /* Slot 1 of the prog array: a program that reads the context and returns. */
    const struct ebpf_insn target[] = {{EBPF_CLS_LDX | EBPF_MODE_MEM | EBPF_SIZE_W, 0, 1, 32, 0},
                                       {EBPF_OP_EXIT, 0, 0, 0, 0}};
    char err[512];
    struct core_prog *tail = load(target, 2, set, err, sizeof(err));
    key = 1;
    if (!tail || map_update_obj(core_map_map(m[GEN_MAP_PROGS]), &key, tail, 0) != 0)
        fuzz_fail("cannot fill the prog array: %s", err);
    core_prog_release(tail);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    int rc = core_register_sample_type();
    if (rc != 0 && rc != -EEXIST)
        fuzz_fail("cannot register the sample type");
    struct core_hook_desc desc = {"fuzz_verify", "sample", NULL, attach_any, detach_any};
    if (core_hook_register(&desc, &hook) != 0)
        fuzz_fail("cannot register the hook");
    for (int set = 0; set < SETS; set++)
        make_maps(set);
    if (core_profile_init(&profile, core_prog_type_find_by_name("sample")) != 0)
        fuzz_fail("cannot make the sample type's profile");
    pthread_attr_t attr;
    void *addr;
    size_t len;
    if (pthread_getattr_np(pthread_self(), &attr) != 0 || pthread_attr_getstack(&attr, &addr, &len) != 0)
        fuzz_fail("cannot find this thread's stack");
    pthread_attr_destroy(&attr);
    stack_lo = (uintptr_t)addr;
    stack_hi = stack_lo + len;
    atexit(print_counts);
    return 0;
}

static int drop_record(void *ctx, void *data, size_t size)
{
    (void)ctx, (void)data, (void)size;
    return 0;
}

/* The maps of a set as every run starts with them: zeroed array values, hash keys 0-2, an empty ring buffer. */
static void reset_maps(int set)
{
    uint8_t zero[GEN_ARRAY_VALUE] = {0};
    for (uint32_t k = 0; k < GEN_ENTRIES; k++) {
        uint64_t v = k;
        map_update_user(core_map_map(maps[set][GEN_MAP_ARRAY]), &k, zero, 0);
        map_delete_elem(core_map_map(maps[set][GEN_MAP_HASH]), &k);
        if (k < 3)
            map_update_user(core_map_map(maps[set][GEN_MAP_HASH]), &k, &v, 0);
    }
    ringbuf_consume(core_map_map(maps[set][GEN_MAP_RING]), drop_record, NULL);
}

/* One run: where its memory is, and what it left. */
struct run {
    int set;
    const struct core_sample_ctx *ctx;
    const uint8_t *data;
    int outcomes;
    struct exec_result result;
    uint64_t r0;
    const char *r0_in;  /* the region r0 points near, or NULL */
    uint64_t stored;    /* a value stored into the context or a map ... */
    const char *stored_in; /* ... that points near this region, or NULL */
    char where[64];     /* where it was stored */
    const char *only_where; /* a second run: looks only there (where the first run found one) */
};

/*
 * Whether v is within 1 MiB of host memory the program could have a
 * pointer to. Not instrumented for coverage: libFuzzer would otherwise
 * learn these addresses from the comparisons and feed them to programs
 * as numbers.
 */
__attribute__((no_sanitize("coverage"))) static bool near(uint64_t v, uintptr_t start, size_t len)
{
    const uint64_t slack = 1 << 20;
    return v + slack >= start && v <= start + len + slack;
}

__attribute__((no_sanitize("coverage"))) static const char *host_address(uint64_t v, const struct run *run)
{
    if (near(v, (uintptr_t)run->ctx, sizeof(*run->ctx)))
        return "the context";
    if (near(v, (uintptr_t)run->data, DATA_MAX))
        return "the data";
    if (near(v, stack_lo, stack_hi - stack_lo))
        return "the stack";
    for (int i = 0; i < GEN_MAP_COUNT; i++) {
        struct map *m = core_map_map(maps[run->set][i]);
        uintptr_t start;
        size_t len;
        if (near(v, (uintptr_t)m, 256) || near(v, (uintptr_t)maps[run->set][i], 256))
            return "a map";
        if (map_value_region(m, &start, &len) && near(v, start, len))
            return "a map's values";
    }
    return NULL;
}

/*
 * Records the first 8 bytes at any offset of [p, p + len) that look like a
 * host address; on a second run only those at the first run's place: a
 * number the input put elsewhere may look like an address of the moved
 * regions, and only a value that moved at the same place is a pointer.
 */
static void look_for_address(struct run *run, const uint8_t *p, size_t len, const char *where, unsigned key)
{
    for (size_t i = 0; i + 8 <= len && !run->stored_in; i++) {
        snprintf(run->where, sizeof(run->where), "%s %u offset %zu", where, key, i);
        if (run->only_where && strcmp(run->where, run->only_where) != 0)
            continue;
        memcpy(&run->stored, p + i, 8);
        run->stored_in = host_address(run->stored, run);
    }
}

static int record(void *arg, const struct core_link *link, uint64_t retval, const struct exec_result *res)
{
    struct run *run = arg;
    (void)link;
    run->outcomes++;
    run->result = *res;
    run->r0 = retval;
    run->r0_in = host_address(retval, run);
    return 0;
}

/* Runs prog on copies of ctx and data; deeper: from STACK_SHIFT bytes further down the stack. */
__attribute__((noinline)) static void run_on(struct core_prog *prog, const struct core_sample_ctx *ctx_in,
                                             const uint8_t *data_in, size_t data_len, bool deeper, struct run *run)
{
    if (deeper) {
        volatile uint8_t pad[STACK_SHIFT];
        pad[0] = 0;
        run_on(prog, ctx_in, data_in, data_len, false, run);
        pad[STACK_SHIFT - 1] = pad[0];
        return;
    }
    struct core_sample_ctx *ctx = malloc(sizeof(*ctx));
    uint8_t *data = malloc(data_len ? data_len : 1); /* exactly the run's data: ASan sees any byte beyond */
    if (!ctx || !data)
        fuzz_fail("out of memory");
    memcpy(data, data_in, data_len);
    *ctx = *ctx_in;
    ctx->data = data;
    ctx->data_end = data + data_len;
    run->ctx = ctx;
    run->data = data;
    reset_maps(run->set);
    struct core_link *link;
    if (core_hook_attach(hook, prog, NULL, 0, &link) != 0)
        fuzz_fail("cannot attach");
    core_hook_invoke(hook, ctx, NULL, record, run);
    core_link_detach(link);
    core_link_release(link);
    if (run->outcomes != 1)
        fuzz_fail("the program did not run");
    /* The context but its data pair (the host's own pointers, read-only to programs), then the map values. */
    look_for_address(run, (const uint8_t *)&ctx->uint64_data,
                     sizeof(*ctx) - offsetof(struct core_sample_ctx, uint64_data), "context", 0);
    static const int with_values[] = {GEN_MAP_ARRAY, GEN_MAP_HASH};
    for (size_t i = 0; i < sizeof(with_values) / sizeof(with_values[0]); i++) {
        struct map *m = core_map_map(maps[run->set][with_values[i]]);
        for (uint32_t k = 0; k < GEN_ENTRIES; k++) {
            const uint8_t *v = map_lookup_elem(m, &k);
            if (v)
                look_for_address(run, v, map_value_size(m), i ? "hash key" : "array key", k);
        }
    }
    free(ctx);
    free(data);
}

/* Runs an accepted program; aborts if the run faulted or revealed an address (confirmed by a second run). */
static void check_accepted(const struct ebpf_insn *insns, size_t count, struct core_prog *prog,
                           const struct core_sample_ctx *ctx, const uint8_t *data, size_t data_len)
{
    struct run first = {.set = 0};
    run_on(prog, ctx, data, data_len, false, &first);
    if (first.result.status != EXEC_OK)
        fuzz_fail("unsound: an accepted program stopped at instruction %zu (status %d): %s", first.result.pc,
                  first.result.status, first.result.msg);
    if (!first.r0_in && !first.stored_in)
        return;
    char err[1024];
    struct core_prog *moved = load(insns, count, 1, err, sizeof(err));
    if (!moved)
        fuzz_fail("accepted with one set of maps, refused with its twin: %s", err);
    struct run second = {.set = 1, .only_where = first.stored_in ? first.where : NULL};
    run_on(moved, ctx, data, data_len, true, &second);
    core_prog_release(moved);
    if (first.r0_in && second.r0_in && first.r0 != second.r0)
        fuzz_fail("unsound: an accepted program returned an address of %s", first.r0_in);
    if (first.stored_in && second.stored_in && first.stored != second.stored)
        fuzz_fail("unsound: an accepted program stored an address of %s into the %s", first.stored_in, first.where);
}

/* The program as text on stderr (FUZZ_VERIFY_PRINT set: to see what an artifact runs). */
static void print_program(const struct ebpf_insn *insns, size_t count)
{
    for (size_t pc = 0; pc < count; pc++) {
        char line[128];
        if (isa_disassemble_insn(insns, count, pc, line, sizeof(line)) >= 0)
            fprintf(stderr, "%5zu: %s\n", pc, line);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    struct gen_input in = {bytes, size};
    /* The context and data first, then the program from the rest. */
    uint8_t data[DATA_MAX];
    size_t data_len = gen_u8(&in) % DATA_MAX;
    for (size_t i = 0; i < data_len; i++)
        data[i] = gen_u8(&in);
    struct core_sample_ctx ctx = {NULL, NULL, gen_u32(&in), gen_u32(&in), gen_u32(&in), (uint16_t)gen_u32(&in), 0,
                                  gen_u32(&in), gen_u32(&in)};
    static struct ebpf_insn insns[GEN_MAX_INSNS];
    size_t count = gen_program(&in, insns);
    if (getenv("FUZZ_VERIFY_PRINT"))
        print_program(insns, count);
    generated++;
    struct verify_program vp = {"fuzz_verify", insns, count, verify_maps, GEN_MAP_COUNT, NULL, 0};
    struct verify_options opts = {.max_steps = STEPS};
    struct verify_result res;
    if (verify_program(&profile.profile, &vp, &opts, &res) != 0)
        fuzz_fail("verify_program failed: %s", res.message);
    if (!res.accepted) {
        fuzz_require_reason("verify_program", res.message, sizeof(res.message));
        return 0;
    }
    char err[1024];
    struct core_prog *prog = load(insns, count, 0, err, sizeof(err));
    if (!prog) {
        fuzz_require_reason("core_prog_load", err, sizeof(err));
        return 0;
    }
    accepted++;
    check_accepted(insns, count, prog, &ctx, data, data_len);
    core_prog_release(prog);
    return 0;
}
