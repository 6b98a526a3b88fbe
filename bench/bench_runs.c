/*
 * The cost of one program run through a hook (core_hook_invoke, the path
 * every event takes): the same counting program on a plain array and on a
 * per-CPU array, whose runs hold a CPU slot for the whole run. ns per run
 * per thread on 1, 2 and 4 threads (4 is more threads than this machine
 * may have CPUs), then what claiming and releasing a slot costs alone;
 * each figure the median of 5 interleaved rounds.
 */
#include "bench.h"
#include "core/core.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>

enum { RUNS = 400000, ROUNDS = 5, MAX_THREADS = 4 };

#define INSN(op, d, s, off, k) ((struct ebpf_insn){(uint8_t)(op), (d), (s), (off), (k)})

/* key = 0; v = lookup(map, &key); if (v) *v += 1; return 0; */
static const struct ebpf_insn counter_insns[] = {
    INSN(EBPF_CLS_ST | EBPF_MODE_MEM | EBPF_SIZE_W, 10, 0, -4, 0),
    INSN(EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_X, 2, 10, 0, 0),
    INSN(EBPF_CLS_ALU64 | EBPF_ALU_ADD | EBPF_SRC_K, 2, 0, 0, -4),
    INSN(EBPF_OP_LDDW, 1, EBPF_LDDW_MAP_IDX, 0, 0),
    INSN(0, 0, 0, 0, 0),
    INSN(EBPF_OP_CALL, 0, EBPF_CALL_HELPER, 0, 1), /* bpf_map_lookup_elem */
    INSN(EBPF_CLS_JMP | EBPF_JMP_JEQ | EBPF_SRC_K, 0, 0, 3, 0),
    INSN(EBPF_CLS_LDX | EBPF_MODE_MEM | EBPF_SIZE_DW, 1, 0, 0, 0),
    INSN(EBPF_CLS_ALU64 | EBPF_ALU_ADD | EBPF_SRC_K, 1, 0, 0, 1),
    INSN(EBPF_CLS_STX | EBPF_MODE_MEM | EBPF_SIZE_DW, 0, 1, 0, 0),
    INSN(EBPF_CLS_ALU64 | EBPF_ALU_MOV | EBPF_SRC_K, 0, 0, 0, 0),
    INSN(EBPF_OP_EXIT, 0, 0, 0, 0),
};

struct run_worker {
    struct core_hook *hook;
    uint64_t ns;
};

static void *run_worker_main(void *opaque)
{
    struct run_worker *w = opaque;
    struct core_sample_ctx ctx = {0};
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < RUNS; i++)
        core_hook_invoke(w->hook, &ctx, NULL, NULL, NULL);
    w->ns = bench_now_ns() - t0;
    return NULL;
}

/* ns per run per thread, threads invoking hook at once. */
static double time_runs(struct core_hook *hook, int threads)
{
    struct run_worker workers[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    for (int t = 0; t < threads; t++) {
        workers[t] = (struct run_worker){.hook = hook};
        pthread_create(&ids[t], NULL, run_worker_main, &workers[t]);
    }
    uint64_t total = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        total += workers[t].ns;
    }
    return (double)total / threads / RUNS;
}

struct counter_case {
    const char *name;
    uint32_t map_type;
    struct core_map *map;
    struct core_prog *prog;
    struct core_hook *hook;
    struct core_link *link;
};

/* Creates the case's map, program, hook and link; 0 or 1 (reason printed). */
static int counter_case_open(struct counter_case *c)
{
    struct map_params params = {.type = c->map_type, .key_size = 4, .value_size = 8, .max_entries = 1};
    if (core_map_create(&params, &c->map) != 0) {
        fprintf(stderr, "runs: %s: cannot create the map\n", c->name);
        return 1;
    }
    const struct core_prog_type *type = core_prog_type_find_by_name("sample");
    struct core_prog_load_args args = {.name = "counter", .type = type, .insns = counter_insns,
                                       .insn_count = sizeof(counter_insns) / sizeof(counter_insns[0]),
                                       .maps = &c->map, .map_count = 1};
    char err[512];
    if (core_prog_load(&args, &c->prog, err, sizeof(err)) != 0) {
        fprintf(stderr, "runs: %s: %s\n", c->name, err);
        return 1;
    }
    char hook_name[64];
    snprintf(hook_name, sizeof(hook_name), "bench %s", c->name);
    struct core_hook_desc desc = {hook_name, "sample", NULL, NULL, NULL};
    if (core_hook_register(&desc, &c->hook) != 0 || core_hook_attach(c->hook, c->prog, NULL, 0, &c->link) != 0) {
        fprintf(stderr, "runs: %s: cannot attach\n", c->name);
        return 1;
    }
    return 0;
}

static void counter_case_close(struct counter_case *c)
{
    if (c->hook)
        core_hook_unregister(c->hook);
    if (c->link)
        core_link_release(c->link);
    if (c->prog)
        core_prog_release(c->prog);
    if (c->map)
        core_map_release(c->map);
}

/* ns per map_cpu_claim() + map_cpu_release() on one thread, nobody else claiming: what a run pays for its slot. */
static double time_claims(void)
{
    enum { CLAIMS = 4000000 };
    uint64_t t0 = bench_now_ns();
    for (int i = 0; i < CLAIMS; i++) {
        if (map_cpu_claim(0) < 0)
            return -1;
        map_cpu_release();
    }
    return (double)(bench_now_ns() - t0) / CLAIMS;
}

int bench_runs(void)
{
    int rc = core_register_sample_type();
    if (rc != 0 && rc != -EEXIST) {
        fprintf(stderr, "runs: cannot register the sample type: %d\n", rc);
        return 1;
    }
    struct counter_case cases[] = {
        {.name = "array", .map_type = BPF_MAP_TYPE_ARRAY},
        {.name = "percpu_array", .map_type = BPF_MAP_TYPE_PERCPU_ARRAY},
    };
    enum { NCASES = sizeof(cases) / sizeof(cases[0]) };
    static const int thread_counts[] = {1, 2, 4};
    enum { NTHREADS = sizeof(thread_counts) / sizeof(thread_counts[0]) };
    int status = 0;
    for (int c = 0; c < NCASES && !status; c++)
        status = counter_case_open(&cases[c]);
    double ns[NCASES][NTHREADS][ROUNDS], claim_ns[ROUNDS];
    for (int r = 0; r < ROUNDS && !status; r++) {
        for (int t = 0; t < NTHREADS; t++)
            for (int c = 0; c < NCASES; c++)
                ns[c][t][r] = time_runs(cases[c].hook, thread_counts[t]);
        claim_ns[r] = time_claims();
    }
    if (!status) {
        printf("\nprogram runs through a hook (lookup + increment of a u64 counter, key 0; ns per run per thread, "
               "median of %d rounds of %d runs)\n", ROUNDS, RUNS);
        printf("%-22s %14s %14s %14s\n", "map", "1 thr", "2 thr", "4 thr");
        for (int c = 0; c < NCASES; c++)
            printf("%-22s %14.1f %14.1f %14.1f\n", cases[c].name, bench_median(ns[c][0], ROUNDS),
                   bench_median(ns[c][1], ROUNDS), bench_median(ns[c][2], ROUNDS));
        printf("%-22s %14.1f %14s %14s\n", "(slot claim+release)", bench_median(claim_ns, ROUNDS), "", "");
    }
    for (int c = 0; c < NCASES; c++)
        counter_case_close(&cases[c]);
    return status;
}
