/* The ring-buffer helpers, with a consumer thread reading while programs produce. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core_test.h"
#include "core/internal.h" /* CORE_RUN_RESV_MAX */

struct event {
    uint32_t seq;
    uint32_t kind;
    uint64_t value;
};

enum { EVENTS = 2000 };

struct consumer {
    struct map *ring;
    atomic_bool stop;
    uint32_t next_seq[3]; /* per kind: the seq expected next */
    unsigned records;
    bool out_of_order;
};

static int on_record(void *arg, void *data, size_t size)
{
    struct consumer *c = arg;
    const struct event *e = data;
    if (size != sizeof(*e) || e->kind < 1 || e->kind > 2 || e->seq != c->next_seq[e->kind] ||
        e->value != (uint64_t)e->seq * e->kind * 3)
        c->out_of_order = true;
    c->next_seq[e->kind & 3]++;
    c->records++;
    return 0;
}

static void *consume(void *arg)
{
    struct consumer *c = arg;
    while (!atomic_load(&c->stop) || ringbuf_consume(c->ring, on_record, c) > 0)
        ringbuf_poll(c->ring, on_record, c, 10);
    return NULL;
}

static void producer_and_consumer_thread(void **state)
{
    (void)state;
    struct core_object *obj = load("ringbuf", NULL);
    struct consumer c = {.ring = map_of(obj, "events")};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, consume, &c), 0);
    struct core_prog *prog = prog_of(obj, "produce");
    for (uint32_t i = 0; i < EVENTS; i++) {
        struct core_sample_ctx ctx = {.uint32_data = i, .uint64_data = (uint64_t)i * 3};
        /* The ring is small: wait for the consumer to make room for a run's records. */
        while (ringbuf_query(c.ring, RINGBUF_Q_AVAIL_DATA) > 16384 - 256)
            sched_yield();
        assert_int_equal(run_on(prog, &ctx), 0);
    }
    atomic_store(&c.stop, true);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_false(c.out_of_order);
    assert_int_equal(c.records, 2 * EVENTS);
    core_object_close(obj);
}

static void unsubmitted_records_are_discarded(void **state)
{
    (void)state;
    struct core_object *obj = load("ringbuf", NULL);
    struct map *ring = map_of(obj, "events");
    struct core_sample_ctx ctx = {.uint32_data = 0};
    assert_int_equal(run_on(prog_of(obj, "produce"), &ctx), 0);
    struct consumer c = {.ring = ring};
    assert_int_equal(ringbuf_consume(ring, on_record, &c), 2);
    assert_false(c.out_of_order);
    assert_int_equal(run_simple(prog_of(obj, "ring_size")), 16384);
    assert_int_equal(ringbuf_consume(ring, on_record, &c), 0);
    assert_int_equal(ringbuf_query(ring, RINGBUF_Q_AVAIL_DATA), 0);
    core_object_close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(producer_and_consumer_thread),
        cmocka_unit_test(unsubmitted_records_are_discarded),
    };
    return cmocka_run_group_tests(tests, register_sample, close_progs);
}
