/* Per-CPU values as user space sees them (one per CPU, 8-byte slots), and
 * LRU eviction under pressure, through the API. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_test.h"

/* Pins the calling thread to cpu. */
static void run_on_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
    assert_int_equal(sched_getcpu(), cpu);
}

/* Reads the per-CPU u64 values of key 0 of the map of fd into values. */
static void read_percpu(int fd, uint64_t *values)
{
    uint32_t key = 0;
    assert_int_equal(bpf_map_lookup_elem(fd, &key, values), 0);
}

/* Each CPU's runs land in its own slot of every per-CPU map. */
static void runs_counted_per_cpu(void **state)
{
    (void)state;
    int cpus = libbpf_num_possible_cpus();
    assert_int_equal(cpus, (int)sysconf(_SC_NPROCESSORS_CONF));
    cpu_set_t allowed;
    assert_int_equal(sched_getaffinity(0, sizeof(allowed), &allowed), 0);
    struct bpf_object *obj = load_object(CORE_PROGS, "maps_all");
    int prog = prog_fd(obj, "percpu_ops");
    uint64_t expected[CPU_SETSIZE] = {0};
    for (int cpu = 0; cpu < cpus; cpu++) {
        if (!CPU_ISSET(cpu, &allowed))
            continue;
        run_on_cpu(cpu);
        for (int i = 0; i < cpu + 2; i++)
            assert_int_equal(run_simple(prog), i + 1); /* this CPU's count so far */
        expected[cpu] = (uint64_t)cpu + 2;
    }
    assert_int_equal(sched_setaffinity(0, sizeof(allowed), &allowed), 0);
    uint64_t *values = calloc((size_t)cpus, sizeof(*values));
    const char *const maps[] = {"percpu", "percpu_hash", "lru_percpu"};
    for (size_t m = 0; m < 3; m++) {
        read_percpu(map_fd(obj, maps[m]), values);
        for (int cpu = 0; cpu < cpus; cpu++)
            assert_int_equal(values[cpu], expected[cpu]);
    }
    /* User space sets every CPU's value; a run adds one to its own CPU's. */
    int fd = map_fd(obj, "percpu");
    for (int cpu = 0; cpu < cpus; cpu++)
        values[cpu] = 1000u * (unsigned)(cpu + 1);
    uint32_t key = 0;
    assert_int_equal(bpf_map_update_elem(fd, &key, values, BPF_ANY), 0);
    int first = 0;
    while (!CPU_ISSET(first, &allowed))
        first++;
    run_on_cpu(first);
    assert_int_equal(run_simple(prog), 1000 * (first + 1) + 1);
    assert_int_equal(sched_setaffinity(0, sizeof(allowed), &allowed), 0);
    read_percpu(fd, values);
    for (int cpu = 0; cpu < cpus; cpu++)
        assert_int_equal(values[cpu], 1000u * (unsigned)(cpu + 1) + (cpu == first));
    free(values);
    bpf_object__close(obj);
}

/* A 4-byte value takes an 8-byte slot per CPU in user space's buffer. */
static void values_rounded_to_eight(void **state)
{
    (void)state;
    size_t cpus = (size_t)libbpf_num_possible_cpus();
    int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "small_values", 4, 4, 4, NULL);
    assert_true(fd >= 0);
    uint32_t *slots = calloc(cpus * 2, sizeof(*slots)), *out = calloc(cpus * 2, sizeof(*out));
    for (size_t cpu = 0; cpu < cpus; cpu++)
        slots[cpu * 2] = 7 + (uint32_t)cpu;
    uint32_t key = 42;
    assert_int_equal(bpf_map_update_elem(fd, &key, slots, BPF_NOEXIST), 0);
    assert_int_equal(bpf_map_lookup_elem(fd, &key, out), 0);
    for (size_t cpu = 0; cpu < cpus; cpu++)
        assert_int_equal(out[cpu * 2], 7 + cpu);
    memset(out, 0, cpus * 2 * sizeof(*out));
    assert_int_equal(bpf_map_lookup_and_delete_elem(fd, &key, out), 0);
    assert_int_equal(out[(cpus - 1) * 2], 7 + cpus - 1);
    assert_fails(bpf_map_lookup_elem(fd, &key, out), ENOENT);
    free(slots);
    free(out);
    close(fd);
}

/* The keys of an LRU map of u32 keys, as a bit set over 0..255. */
static void lru_keys(int fd, uint8_t present[256], int *count)
{
    memset(present, 0, 256);
    *count = 0;
    uint32_t key, next;
    for (const void *cursor = NULL; bpf_map_get_next_key(fd, cursor, &next) == 0; cursor = &key) {
        assert_true(next < 256);
        present[next] = 1;
        (*count)++;
        key = next;
    }
    assert_int_equal(errno, ENOENT);
}

static void lru_evicts_the_oldest(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "maps_all");
    int lru = map_fd(obj, "lru");
    /* 16 inserts into 8 places: none fails, the last 8 stay. */
    struct core_sample_ctx ctx = {.uint32_data = 100};
    assert_int_equal(run_on(prog_fd(obj, "lru_fill"), &ctx), 0);
    uint8_t present[256];
    int count;
    lru_keys(lru, present, &count);
    assert_int_equal(count, 8);
    for (uint32_t k = 100; k < 116; k++)
        assert_int_equal(present[k], k >= 108);
    uint64_t value;
    uint32_t key = 115;
    assert_int_equal(bpf_map_lookup_elem(lru, &key, &value), 0);
    assert_int_equal(value, 115);
    /* User space inserting into the full map evicts too, even with NOEXIST. */
    for (key = 200; key < 208; key++)
        assert_int_equal(bpf_map_update_elem(lru, &key, &(uint64_t){key}, BPF_NOEXIST), 0);
    lru_keys(lru, present, &count);
    assert_int_equal(count, 8);
    for (key = 200; key < 208; key++)
        assert_true(present[key]);
    bpf_object__close(obj);
}

struct filler {
    int prog;
    uint32_t base;
    int failures;
};

static void *fill_many(void *arg)
{
    struct filler *f = arg;
    for (int round = 0; round < 300; round++) {
        struct core_sample_ctx ctx = {.uint32_data = f->base + (uint32_t)(round % 4) * 16};
        LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
        if (bpf_prog_test_run_opts(f->prog, &opts) != 0 || opts.retval != 0)
            f->failures++;
    }
    return NULL;
}

/* Two threads keep inserting 4 times the capacity: no insert ever fails. */
static void lru_under_pressure(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "maps_all");
    struct filler fillers[2] = {{prog_fd(obj, "lru_fill"), 0, 0}, {prog_fd(obj, "lru_fill"), 128, 0}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, fill_many, &fillers[i]), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(fillers[i].failures, 0);
    }
    uint8_t present[256];
    int count;
    lru_keys(map_fd(obj, "lru"), present, &count);
    assert_int_equal(count, 8);
    bpf_object__close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runs_counted_per_cpu),
        cmocka_unit_test(values_rounded_to_eight),
        cmocka_unit_test(lru_evicts_the_oldest),
        cmocka_unit_test(lru_under_pressure),
    };
    return cmocka_run_group_tests(tests, setup_capture, remove_objects);
}
