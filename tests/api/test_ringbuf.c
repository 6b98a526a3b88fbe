/* Ring buffers through the API: a producer program run many times while a
 * consumer thread polls, several rings in one consumer, callback results,
 * and the errors. */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include <cmocka.h>

#include "api_test.h"

struct event {
    uint32_t seq;
    uint32_t kind;
    uint64_t value;
};

enum { EVENTS = 5000, RING_SIZE = 16384 };

struct consumer {
    struct ring_buffer *rb;
    atomic_bool stop;
    atomic_uint records;
    uint32_t next_seq[3]; /* per kind: the seq expected next */
    bool bad;
};

/* Checks each record: kinds 1 and 2 each in order, values as produced. */
static int on_record(void *arg, void *data, size_t size)
{
    struct consumer *c = arg;
    const struct event *e = data;
    if (size != sizeof(*e) || e->kind < 1 || e->kind > 2 || e->seq != c->next_seq[e->kind] ||
        e->value != (uint64_t)e->seq * 3 * e->kind)
        c->bad = true;
    c->next_seq[e->kind & 3]++;
    atomic_fetch_add(&c->records, 1);
    return 0;
}

static void *consume(void *arg)
{
    struct consumer *c = arg;
    for (;;) {
        bool stopping = atomic_load(&c->stop);
        int n = ring_buffer__poll(c->rb, 10);
        if (n < 0)
            c->bad = true;
        if (stopping && n == 0)
            return NULL;
    }
}

/* Every record of every run arrives, in order, none lost. */
static void producer_runs_consumer_polls(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "ringbuf");
    struct consumer c = {.rb = NULL};
    c.rb = ring_buffer__new(map_fd(obj, "events"), on_record, &c, NULL);
    assert_non_null(c.rb);
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, consume, &c), 0);
    int prog = prog_fd(obj, "produce");
    for (uint32_t i = 0; i < EVENTS; i++) {
        /* Each run takes 3 * 24 bytes; keep at most 100 runs unread. */
        while (2 * i - atomic_load(&c.records) > 200)
            sched_yield();
        struct core_sample_ctx ctx = {.uint32_data = i, .uint64_data = (uint64_t)i * 3};
        assert_int_equal(run_on(prog, &ctx), 0);
    }
    atomic_store(&c.stop, true);
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_false(c.bad);
    assert_int_equal(atomic_load(&c.records), 2 * EVENTS);
    assert_int_equal(c.next_seq[1], EVENTS);
    assert_int_equal(c.next_seq[2], EVENTS);
    ring_buffer__free(c.rb);
    bpf_object__close(obj);
}

struct tally {
    int records;
    int result; /* what the callback returns */
};

static int count(void *arg, void *data, size_t size)
{
    struct tally *t = arg;
    (void)data;
    (void)size;
    t->records++;
    return t->result;
}

/* Two rings, each with its own callback; a poll that finds nothing times out. */
static void several_rings_one_consumer(void **state)
{
    (void)state;
    struct bpf_object *one = load_object(CORE_PROGS, "ringbuf"), *two = load_object(CORE_PROGS, "ringbuf");
    struct tally first = {0}, second = {0};
    struct ring_buffer *rb = ring_buffer__new(map_fd(one, "events"), count, &first, NULL);
    assert_non_null(rb);
    assert_int_equal(ring_buffer__add(rb, map_fd(two, "events"), count, &second), 0);
    assert_true(ring_buffer__epoll_fd(rb) >= 0);
    assert_int_equal(ring_buffer__poll(rb, 20), 0);
    assert_int_equal(ring_buffer__consume(rb), 0);
    assert_int_equal(run_simple(prog_fd(two, "produce")), 0);
    assert_int_equal(ring_buffer__poll(rb, 1000), 2);
    assert_int_equal(first.records, 0);
    assert_int_equal(second.records, 2);
    assert_int_equal(run_simple(prog_fd(one, "produce")), 0);
    assert_int_equal(run_simple(prog_fd(two, "produce")), 0);
    assert_int_equal(ring_buffer__consume(rb), 4);
    assert_int_equal(first.records, 2);
    assert_int_equal(second.records, 4);
    /* The consumer holds its maps: records outlive the objects. */
    assert_int_equal(run_simple(prog_fd(one, "produce")), 0);
    bpf_object__close(one);
    bpf_object__close(two);
    assert_int_equal(ring_buffer__consume(rb), 2);
    assert_int_equal(first.records, 4);
    ring_buffer__free(rb);
}

/* Whether the epoll set has news within timeout_ms. */
static bool epoll_ready(int epoll_fd, int timeout_ms)
{
    struct epoll_event ev;
    return epoll_wait(epoll_fd, &ev, 1, timeout_ms) == 1;
}

/* A caller that sleeps on the epoll set itself (ring_buffer__epoll_fd) is woken, also for a ring added later. */
static void caller_sleeps_on_epoll_fd(void **state)
{
    (void)state;
    struct bpf_object *one = load_object(CORE_PROGS, "ringbuf"), *two = load_object(CORE_PROGS, "ringbuf");
    struct tally t = {0};
    struct ring_buffer *rb = ring_buffer__new(map_fd(one, "events"), count, &t, NULL);
    assert_non_null(rb);
    int epoll_fd = ring_buffer__epoll_fd(rb);
    assert_true(epoll_fd >= 0);
    assert_false(epoll_ready(epoll_fd, 0));
    assert_int_equal(run_simple(prog_fd(one, "produce")), 0);
    assert_true(epoll_ready(epoll_fd, 1000));
    assert_int_equal(ring_buffer__consume(rb), 2);
    assert_false(epoll_ready(epoll_fd, 0)); /* consume reset the wake-up */
    assert_int_equal(ring_buffer__add(rb, map_fd(two, "events"), count, &t), 0);
    assert_int_equal(run_simple(prog_fd(two, "produce")), 0);
    assert_true(epoll_ready(epoll_fd, 1000));
    assert_int_equal(ring_buffer__consume(rb), 2);
    ring_buffer__free(rb);
    bpf_object__close(one);
    bpf_object__close(two);
}

/* libbpf's rule: a negative result stops consuming and is returned; a positive one is ignored. */
static void callback_results(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "ringbuf");
    struct tally t = {.result = -7};
    struct ring_buffer *rb = ring_buffer__new(map_fd(obj, "events"), count, &t, NULL);
    assert_non_null(rb);
    assert_int_equal(run_simple(prog_fd(obj, "produce")), 0);
    assert_fails(ring_buffer__consume(rb), 7);
    assert_int_equal(t.records, 1);
    t.result = 5;
    assert_int_equal(ring_buffer__poll(rb, 0), 1); /* the stopped-at record was consumed */
    assert_int_equal(run_simple(prog_fd(obj, "produce")), 0);
    assert_int_equal(ring_buffer__consume(rb), 2);
    assert_int_equal(t.records, 4);
    ring_buffer__free(rb);
    bpf_object__close(obj);
}

static void ring_buffer_errors(void **state)
{
    (void)state;
    struct bpf_object *obj = load_object(CORE_PROGS, "ringbuf");
    struct tally t = {0};
    int events = map_fd(obj, "events");
    assert_null_with(ring_buffer__new(map_fd(obj, "not_a_ring"), count, &t, NULL), EINVAL);
    assert_null_with(ring_buffer__new(prog_fd(obj, "produce"), count, &t, NULL), EINVAL);
    assert_null_with(ring_buffer__new(-1, count, &t, NULL), EBADF);
    assert_null_with(ring_buffer__new(events, NULL, &t, NULL), EINVAL);
    struct ring_buffer_opts bad_opts = {.sz = 1};
    assert_null_with(ring_buffer__new(events, count, &t, &bad_opts), EINVAL);
    LIBBPF_OPTS(ring_buffer_opts, opts);
    struct ring_buffer *rb = ring_buffer__new(events, count, &t, &opts);
    assert_non_null(rb);
    assert_fails(ring_buffer__add(rb, map_fd(obj, "not_a_ring"), count, &t), EINVAL);
    assert_fails(ring_buffer__add(rb, events, NULL, &t), EINVAL);
    assert_fails(ring_buffer__add(NULL, events, count, &t), EINVAL);
    /* The same ring twice is refused (its wake-up fd is in the set already). */
    assert_fails(ring_buffer__add(rb, events, count, &t), EEXIST);
    assert_fails(ring_buffer__poll(NULL, 0), EINVAL);
    assert_fails(ring_buffer__consume(NULL), EINVAL);
    assert_fails(ring_buffer__epoll_fd(NULL), EINVAL);
    ring_buffer__free(rb);
    ring_buffer__free(NULL);
    bpf_object__close(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(producer_runs_consumer_polls),
        cmocka_unit_test(several_rings_one_consumer),
        cmocka_unit_test(caller_sleeps_on_epoll_fd),
        cmocka_unit_test(callback_results),
        cmocka_unit_test(ring_buffer_errors),
    };
    return cmocka_run_group_tests(tests, setup_capture, remove_objects);
}
