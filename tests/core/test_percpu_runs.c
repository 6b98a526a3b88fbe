/*
 * A run's per-CPU slot is its own for the whole run: many more threads
 * than CPUs run one program from two hooks at once, and no run sees
 * another's writes in its scratch record, loses a counter increment or
 * changes CPU number. Only programs that need per-CPU state or the CPU
 * number wait for a slot.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "common/slot_holders.h"
#include "core_test.h"
#include "core/progs/percpu_scratch.h"

enum { THREADS = 16, RUNS_PER_THREAD = 1500, FLAG_KINDS = 5 };

struct worker {
    struct core_hook *hook;
    uint64_t index;
    unsigned runs, faults;
    unsigned flagged[FLAG_KINDS]; /* runs that set bit i of the return value */
};

static int tally(void *arg, const struct core_link *link, uint64_t retval, const struct exec_result *result)
{
    struct worker *w = arg;
    (void)link;
    w->runs++;
    if (result->status != EXEC_OK)
        w->faults++;
    for (int i = 0; i < FLAG_KINDS; i++)
        if (retval & (1u << i))
            w->flagged[i]++;
    return 0;
}

static void *worker_main(void *opaque)
{
    struct worker *w = opaque;
    struct core_sample_ctx ctx = {0};
    for (uint64_t i = 0; i < RUNS_PER_THREAD; i++) {
        ctx.uint64_data = ((w->index + 1) << 32) | (i * SCRATCH_WORDS); /* unique per run, with room for its words */
        core_hook_invoke(w->hook, &ctx, NULL, tally, w);
    }
    return NULL;
}

/* Gives every CPU's scratch record consistent words and the run counter key 0. */
static void prepare_maps(struct map *scratch, struct map *runs)
{
    size_t n = map_nr_cpus();
    uint64_t *values = calloc(n * SCRATCH_WORDS, sizeof(*values));
    assert_non_null(values);
    for (size_t i = 0; i < n * SCRATCH_WORDS; i++)
        values[i] = i % SCRATCH_WORDS;
    uint32_t key = 0;
    assert_int_equal(map_update_user(scratch, &key, values, MAP_ANY), 0);
    memset(values, 0, n * sizeof(*values));
    assert_int_equal(map_update_user(runs, &key, values, MAP_ANY), 0);
    free(values);
}

static void scratch_is_private_to_each_run(void **state)
{
    (void)state;
    struct core_object *obj = load("percpu_scratch", NULL);
    struct core_prog *prog = prog_of(obj, "scratch_rmw");
    prepare_maps(map_of(obj, "scratch"), map_of(obj, "runs"));
    struct core_hook_desc first = {"percpu first", "sample", NULL, NULL, NULL};
    struct core_hook_desc second = {"percpu second", "sample", NULL, NULL, NULL};
    struct core_hook *hooks[2];
    struct core_link *links[2];
    assert_int_equal(core_hook_register(&first, &hooks[0]), 0);
    assert_int_equal(core_hook_register(&second, &hooks[1]), 0);
    for (int h = 0; h < 2; h++)
        assert_int_equal(core_hook_attach(hooks[h], prog, NULL, 0, &links[h]), 0);

    struct worker workers[THREADS];
    pthread_t ids[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (struct worker){.hook = hooks[t % 2], .index = (uint64_t)t};
        assert_int_equal(pthread_create(&ids[t], NULL, worker_main, &workers[t]), 0);
    }
    struct worker total = {0};
    for (int t = 0; t < THREADS; t++) {
        assert_int_equal(pthread_join(ids[t], NULL), 0);
        total.runs += workers[t].runs;
        total.faults += workers[t].faults;
        for (int i = 0; i < FLAG_KINDS; i++)
            total.flagged[i] += workers[t].flagged[i];
    }
    print_message("%u runs on %u CPU slots: %u missing, %u torn, %u corrupted, %u other slot, %u moved\n",
                  total.runs, map_nr_cpus(), total.flagged[0], total.flagged[1], total.flagged[2], total.flagged[3],
                  total.flagged[4]);
    uint64_t counted = percpu_sum(map_of(obj, "runs"));
    print_message("per-CPU run counters sum to %llu\n", (unsigned long long)counted);
    assert_int_equal(total.runs, THREADS * RUNS_PER_THREAD);
    assert_int_equal(total.faults, 0);
    for (int i = 0; i < FLAG_KINDS; i++)
        assert_int_equal(total.flagged[i], 0);
    assert_int_equal(counted, THREADS * RUNS_PER_THREAD);

    for (int h = 0; h < 2; h++) {
        core_hook_unregister(hooks[h]);
        core_link_release(links[h]);
    }
    core_object_close(obj);
}

/* What each run of a dispatch reported. */
struct statuses {
    enum exec_status status[8];
    char msg[8][200];
    int count;
};

static int record_status(void *arg, const struct core_link *link, uint64_t retval, const struct exec_result *result)
{
    struct statuses *st = arg;
    (void)link, (void)retval;
    st->status[st->count] = result->status;
    snprintf(st->msg[st->count], sizeof(st->msg[0]), "%s", result->msg);
    st->count++;
    return 0;
}

static void only_programs_with_cpu_state_wait(void **state)
{
    (void)state;
    struct core_object *objs[] = {load("hooked", NULL), load("maps_all", NULL), load("percpu_scratch", NULL),
                                  load("tail_calls", NULL), load("strings", NULL)};
    struct core_prog *progs[] = {
        /* No slot: */
        prog_of(objs[0], "first"),          /* a plain array */
        prog_of(objs[1], "map_in_map_ops"), /* maps of plain arrays */
        /* A slot: */
        prog_of(objs[2], "scratch_rmw"), /* per-CPU maps */
        prog_of(objs[2], "inner_count"), /* a map of per-CPU maps */
        prog_of(objs[3], "entry"),       /* a prog array: a tail call may reach per-CPU maps */
        prog_of(objs[4], "misc"),        /* bpf_get_smp_processor_id */
        prog_of(objs[4], "print"),       /* bpf_printk: its line names the CPU */
    };
    enum { NPROGS = sizeof(progs) / sizeof(progs[0]), SLOTLESS = 2 };
    prepare_maps(map_of(objs[2], "scratch"), map_of(objs[2], "runs"));
    struct core_hook_desc desc = {"percpu slotless", "sample", NULL, NULL, NULL};
    struct core_hook *hook;
    struct core_link *links[NPROGS];
    assert_int_equal(core_hook_register(&desc, &hook), 0);
    for (int i = 0; i < NPROGS; i++)
        assert_int_equal(core_hook_attach(hook, progs[i], NULL, 0, &links[i]), 0);

    unsigned held;
    struct slot_holder *holders = slot_holders_fill(&held);
    struct core_sample_ctx ctx = {0};
    struct statuses st = {0};
    uint64_t deadline = slot_holder_now() + 30 * SLOT_HOLDER_MS;
    assert_int_equal(core_hook_invoke_until(hook, &ctx, NULL, deadline, record_status, &st), NPROGS);
    for (int i = 0; i < SLOTLESS; i++)
        assert_int_equal(st.status[i], EXEC_OK);
    for (int i = SLOTLESS; i < NPROGS; i++) {
        assert_int_equal(st.status[i], EXEC_ERR_DEADLINE);
        assert_non_null(strstr(st.msg[i], "waiting for a CPU slot"));
    }
    slot_holders_stop(holders, held);

    st.count = 0;
    deadline = slot_holder_now() + 5000 * SLOT_HOLDER_MS;
    assert_int_equal(core_hook_invoke_until(hook, &ctx, NULL, deadline, record_status, &st), NPROGS);
    for (int i = 0; i < NPROGS; i++)
        assert_int_equal(st.status[i], EXEC_OK);
    core_hook_unregister(hook);
    for (int i = 0; i < NPROGS; i++)
        core_link_release(links[i]);
    for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++)
        core_object_close(objs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(scratch_is_private_to_each_run),
        cmocka_unit_test(only_programs_with_cpu_state_wait),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
