/* A per-CPU scratch record used as kernel programs use one: lookup, a
 * read-modify-write of the whole record, a check that nobody else wrote it
 * meanwhile, then an update; and a per-CPU run counter incremented without
 * atomics. Correct only if a run owns its CPU slot for the whole run. */
#include "sample_ctx.h"
#include "percpu_scratch.h"

struct scratch {
    uint64_t words[SCRATCH_WORDS]; /* token + i: one run's record */
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __type(key, uint32_t);
    __type(value, struct scratch);
    __uint(max_entries, 1);
} scratch SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
} runs SEC(".maps");

enum { CHECK_ROUNDS = 24 }; /* re-reads of the record: the window another run could write in */

/* True if the record holds token's words; volatile: each round reads the map again. */
static __always_inline int holds(const struct scratch *s, uint64_t token)
{
    const volatile uint64_t *w = s->words;
    int same = 1;
#pragma unroll
    for (int i = 0; i < SCRATCH_WORDS; i++)
        same &= w[i] == token + i;
    return same;
}

/* ctx->uint64_data: a token unique to this run, a multiple of SCRATCH_WORDS. */
SEC("sample")
int scratch_rmw(struct sample_ctx *ctx)
{
    uint32_t zero = 0;
    uint64_t token = ctx->uint64_data;
    uint32_t cpu = bpf_get_smp_processor_id();
    struct scratch *s = bpf_map_lookup_elem(&scratch, &zero);
    uint64_t *count = bpf_map_lookup_elem(&runs, &zero);
    if (!s || !count)
        return SCRATCH_MISSING;
    uint64_t seen = *count;
    int flags = holds(s, s->words[0]) ? 0 : SCRATCH_TORN;
    struct scratch mine;
#pragma unroll
    for (int i = 0; i < SCRATCH_WORDS; i++)
        mine.words[i] = token + i;
    *s = mine;
    for (int round = 0; round < CHECK_ROUNDS; round++)
        if (!holds(s, token))
            flags |= SCRATCH_CORRUPT;
    if (bpf_map_update_elem(&scratch, &zero, &mine, BPF_ANY) != 0)
        flags |= SCRATCH_MISSING;
    if (!holds(s, token))
        flags |= SCRATCH_CORRUPT;
    /* The update went to this run's slot, so a new lookup must find the record there. */
    struct scratch *again = bpf_map_lookup_elem(&scratch, &zero);
    if (!again || !holds(again, token))
        flags |= SCRATCH_OTHER_SLOT;
    *count = seen + 1;
    if (bpf_get_smp_processor_id() != cpu)
        flags |= SCRATCH_MOVED;
    return flags;
}

struct counters {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 1);
} counters_a SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __type(key, uint32_t);
    __uint(max_entries, 1);
    __array(values, struct counters);
} counter_sets SEC(".maps") = {.values = {[0] = &counters_a}};

/* Counts in a per-CPU map reached only through a map of maps: 0, or 1 if it is missing. */
SEC("sample")
int inner_count(struct sample_ctx *ctx)
{
    uint32_t zero = 0;
    void *inner = bpf_map_lookup_elem(&counter_sets, &zero);
    uint64_t *count = inner ? bpf_map_lookup_elem(inner, &zero) : 0;
    if (!count)
        return 1;
    *count += 1;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
