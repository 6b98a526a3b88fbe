/*
 * Ring buffer: record layout and positions, submit order versus
 * reservation order, discard, full ring and drop counting, wrap-around
 * of a record past the end, early stop of the consumer, poll timeouts and
 * wake-up rules, and several producers racing a consumer: every record
 * arrives exactly once, in each producer's order, and produced ==
 * consumed + dropped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maps_test.h"

static uint32_t page(void)
{
    return (uint32_t)sysconf(_SC_PAGESIZE);
}

/* Collects what the consumer hands over. */
struct sink {
    unsigned n;
    size_t sizes[64];
    unsigned char first[64];
    int stop_after; /* return 7 from the record with this index, if > 0 */
};

static int collect(void *ctx, void *data, size_t size)
{
    struct sink *s = ctx;
    s->sizes[s->n] = size;
    s->first[s->n] = size ? *(unsigned char *)data : 0;
    s->n++;
    return s->stop_after && (int)s->n == s->stop_after ? 7 : 0;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void test_reserve_submit_consume(void **state)
{
    (void)state;
    struct map *rb = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, page(), 0);
    assert_int_equal(ringbuf_query(rb, RINGBUF_Q_RING_SIZE), page());
    assert_int_equal(ringbuf_query(rb, RINGBUF_Q_AVAIL_DATA), 0);
    assert_int_equal(ringbuf_query(rb, 99), 0);

    unsigned char *p = ringbuf_reserve(rb, 10, 0);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 8, 0);
    /* The header: length with BUSY until submitted. */
    uint32_t len;
    memcpy(&len, p - 8, 4);
    assert_int_equal(len, 10u | RINGBUF_BUSY_BIT);
    assert_true(map_value_contains(rb, (uintptr_t)p, 10, true));
    assert_int_equal(ringbuf_query(rb, RINGBUF_Q_PROD_POS), 24);
    assert_int_equal(ringbuf_query(rb, RINGBUF_Q_AVAIL_DATA), 24);

    struct sink s = {0};
    assert_int_equal(ringbuf_consume(rb, collect, &s), 0); /* still busy */
    memset(p, 0xAB, 10);
    ringbuf_submit(p, 0);
    assert_int_equal(ringbuf_consume(rb, collect, &s), 1);
    assert_int_equal(s.sizes[0], 10);
    assert_int_equal(s.first[0], 0xAB);
    assert_int_equal(ringbuf_query(rb, RINGBUF_Q_CONS_POS), 24);
    assert_int_equal(ringbuf_query(rb, RINGBUF_Q_AVAIL_DATA), 0);

    /* A zero-size record is a record too. */
    assert_int_equal(ringbuf_output(rb, NULL, 0, 0), 0);
    assert_int_equal(ringbuf_consume(rb, collect, &s), 1);
    assert_int_equal(s.sizes[1], 0);
    assert_int_equal(ringbuf_dropped(rb), 0);
    assert_int_equal(ringbuf_consume(rb, NULL, &s), -EINVAL);
    map_release(rb);
}

/* Records come out in reservation order; discarded ones are skipped. */
static void test_order_and_discard(void **state)
{
    (void)state;
    struct map *rb = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, page(), 0);
    unsigned char *a = ringbuf_reserve(rb, 1, 0);
    unsigned char *b = ringbuf_reserve(rb, 1, 0);
    unsigned char *c = ringbuf_reserve(rb, 1, 0);
    *a = 'a';
    *b = 'b';
    *c = 'c';
    ringbuf_submit(c, 0);
    ringbuf_discard(b, 0);
    struct sink s = {0};
    assert_int_equal(ringbuf_consume(rb, collect, &s), 0); /* a blocks b and c */
    ringbuf_submit(a, 0);
    assert_int_equal(ringbuf_consume(rb, collect, &s), 2);
    assert_int_equal(s.first[0], 'a');
    assert_int_equal(s.first[1], 'c');
    assert_int_equal(ringbuf_query(rb, RINGBUF_Q_CONS_POS), 3 * 16);
    map_release(rb);
}

static void test_full_and_dropped(void **state)
{
    (void)state;
    uint32_t size = page();
    struct map *rb = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, size, 0);
    unsigned char buf[64] = {0};
    /* Records of 56 + 8 bytes fill the ring exactly. */
    for (uint32_t i = 0; i < size / 64; i++)
        assert_int_equal(ringbuf_output(rb, buf, 56, 0), 0);
    assert_int_equal(ringbuf_output(rb, buf, 1, 0), -EAGAIN);
    assert_null(ringbuf_reserve(rb, 0, 0));
    assert_int_equal(ringbuf_dropped(rb), 2);
    /* Invalid calls are refused, not counted as drops. */
    assert_int_equal(ringbuf_output(rb, buf, 1, 4), -EINVAL);
    assert_null(ringbuf_reserve(rb, 1, 1));
    assert_int_equal(ringbuf_dropped(rb), 2);

    struct sink s = {.stop_after = 3};
    assert_int_equal(ringbuf_consume(rb, collect, &s), 7); /* stopped early */
    assert_int_equal(s.n, 3);
    assert_int_equal(ringbuf_query(rb, RINGBUF_Q_AVAIL_DATA), size - 3 * 64);
    struct sink rest = {0};
    int n = 0, got;
    while ((got = ringbuf_consume(rb, collect, &rest)) > 0) {
        n += got;
        rest.n = 0;
    }
    assert_int_equal(n, size / 64 - 3);

    /* Larger than the ring never fits; exactly the ring does. */
    assert_null(ringbuf_reserve(rb, size, 0));
    assert_null(ringbuf_reserve(rb, (uint64_t)UINT32_MAX + 1, 0));
    assert_int_equal(ringbuf_dropped(rb), 4);
    void *whole = ringbuf_reserve(rb, size - 8, 0);
    assert_non_null(whole);
    ringbuf_discard(whole, 0);
    assert_int_equal(ringbuf_consume(rb, collect, &rest), 0);
    assert_int_equal(ringbuf_query(rb, RINGBUF_Q_AVAIL_DATA), 0);
    map_release(rb);
}

/* A record crossing the end of the data area is contiguous. */
static int check_pattern(void *ctx, void *data, size_t size)
{
    unsigned *bad = ctx;
    for (size_t i = 0; i < size; i++)
        *bad += ((unsigned char *)data)[i] != (unsigned char)(i * 7);
    return 0;
}

static void test_wrap_around(void **state)
{
    (void)state;
    uint32_t size = page();
    struct map *rb = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, size, 0);
    unsigned char *data = malloc(size);
    for (uint32_t i = 0; i < size; i++)
        data[i] = (unsigned char)(i * 7);
    unsigned bad = 0;
    for (int round = 0; round < 20; round++) {
        uint32_t len = size / 2 + (uint32_t)round * 8 + 3;
        assert_int_equal(ringbuf_output(rb, data, len, 0), 0);
        assert_int_equal(ringbuf_consume(rb, check_pattern, &bad), 1);
    }
    assert_int_equal(bad, 0);
    assert_true(ringbuf_query(rb, RINGBUF_Q_CONS_POS) > 4 * size);
    free(data);
    map_release(rb);
}

static bool signalled(struct map *rb)
{
    struct pollfd p = {.fd = ringbuf_wakeup_fd(rb), .events = POLLIN};
    bool ready = poll(&p, 1, 0) == 1;
    uint64_t v;
    if (ready)
        assert_int_equal(read(p.fd, &v, sizeof(v)), sizeof(v));
    return ready;
}

static void test_wakeup_rules(void **state)
{
    (void)state;
    struct map *rb = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, page(), 0);
    struct sink s = {0};
    assert_true(ringbuf_wakeup_fd(rb) >= 0);
    assert_false(signalled(rb));
    /* Nobody sleeps on the ring: a caught-up consumer is not signalled... */
    assert_int_equal(ringbuf_output(rb, "w", 1, 0), 0);
    assert_false(signalled(rb));
    assert_int_equal(ringbuf_consume(rb, collect, &s), 1);
    ringbuf_sleeping(rb, true);
    /* ... but a sleeping one is: the first record wakes it... */
    assert_int_equal(ringbuf_output(rb, "x", 1, 0), 0);
    assert_true(signalled(rb));
    /* ... later ones while it lags do not ... */
    assert_int_equal(ringbuf_output(rb, "y", 1, 0), 0);
    assert_false(signalled(rb));
    /* ... unless forced. */
    assert_int_equal(ringbuf_output(rb, "z", 1, RINGBUF_F_FORCE_WAKEUP), 0);
    assert_true(signalled(rb));
    assert_int_equal(ringbuf_consume(rb, collect, &s), 3);
    /* Caught up again, but the producer asked for no wake-up. */
    void *p = ringbuf_reserve(rb, 1, 0);
    ringbuf_submit(p, RINGBUF_F_NO_WAKEUP);
    assert_false(signalled(rb));
    p = ringbuf_reserve(rb, 1, 0);
    ringbuf_discard(p, RINGBUF_F_FORCE_WAKEUP);
    assert_true(signalled(rb));
    ringbuf_sleeping(rb, false);
    map_release(rb);
}

/* Writes one record into the ring p from a thread of its own. */
static void *output_one(void *p)
{
    assert_int_equal(ringbuf_output(p, "t", 1, 0), 0);
    return NULL;
}

static void test_held_wakeups(void **state)
{
    (void)state;
    struct map *a = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, page(), 0);
    struct map *b = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, page(), 0);
    struct sink s = {0};
    ringbuf_sleeping(a, true);
    ringbuf_sleeping(b, true);
    ringbuf_hold_wakeups();
    /* Held: neither sleeping consumer is signalled yet, however many records come. */
    assert_int_equal(ringbuf_output(a, "x", 1, 0), 0);
    assert_int_equal(ringbuf_output(b, "y", 1, 0), 0);
    assert_int_equal(ringbuf_output(a, "z", 1, RINGBUF_F_FORCE_WAKEUP), 0);
    assert_false(signalled(a));
    assert_false(signalled(b));
    /* Only the calling thread's wake-ups are held: another thread's record on a caught-up ring signals at once. */
    assert_int_equal(ringbuf_consume(b, collect, &s), 1);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, output_one, b), 0);
    pthread_join(t, NULL);
    assert_true(signalled(b));
    assert_int_equal(ringbuf_consume(b, collect, &s), 1);
    assert_int_equal(ringbuf_output(b, "w", 1, 0), 0);
    /* A ring released by its owner meanwhile is kept until its wake-up goes (ASan checks the use). */
    ringbuf_sleeping(b, false);
    map_release(b);
    ringbuf_release_wakeups();
    /* Each ring once, then no longer held. */
    assert_true(signalled(a));
    assert_int_equal(ringbuf_consume(a, collect, &s), 2);
    assert_int_equal(ringbuf_output(a, "v", 1, 0), 0);
    assert_true(signalled(a));
    ringbuf_sleeping(a, false);
    map_release(a);
}

/* A long batch does not hold its wake-ups to its end: a sleeping consumer is signalled within 66 records. */
static void test_held_wakeups_go_within_a_batch(void **state)
{
    (void)state;
    struct map *a = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 4 * page(), 0);
    ringbuf_sleeping(a, true);
    ringbuf_hold_wakeups();
    int n = 0;
    while (!signalled(a) && n < 1000) {
        assert_int_equal(ringbuf_output(a, "x", 1, 0), 0);
        n++;
    }
    ringbuf_release_wakeups();
    assert_true(n > 1);
    assert_true(n <= 66);
    ringbuf_sleeping(a, false);
    map_release(a);
}

enum { TRICKLE = 3000 };

/* Records one at a time, each after a pause of 0-63 us (spun): many land just as the consumer goes to sleep. */
static void *trickle(void *p)
{
    struct map *rb = p;
    for (uint32_t i = 0; i < TRICKLE; i++) {
        double until = now_ms() + (double)((i * 2654435761u >> 20) % 64) / 1e3;
        while (now_ms() < until) {
        }
        assert_int_equal(ringbuf_output(rb, &i, sizeof(i), 0), 0);
    }
    return NULL;
}

static int count_record(void *ctx, void *data, size_t size)
{
    (void)data, (void)size;
    ++*(unsigned *)ctx;
    return 0;
}

/* A consumer that sleeps between records is woken for each: no poll waits out its timeout. */
static void test_no_lost_wakeup(void **state)
{
    (void)state;
    struct map *rb = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 16 * page(), 0);
    pthread_t producer;
    assert_int_equal(pthread_create(&producer, NULL, trickle, rb), 0);
    unsigned seen = 0, polls = 0;
    double slowest = 0;
    while (seen < TRICKLE) {
        double t0 = now_ms();
        assert_true(ringbuf_poll(rb, count_record, &seen, 2000) > 0);
        double took = now_ms() - t0;
        slowest = took > slowest ? took : slowest;
        polls++;
    }
    assert_int_equal(pthread_join(producer, NULL), 0);
    print_message("ringbuf: %u records in %u polls, slowest poll %.1f ms\n", seen, polls, slowest);
    assert_true(slowest < 1000); /* a lost wake-up waits the whole 2 s */
    map_release(rb);
}

struct late_producer {
    struct map *rb;
    unsigned delay_ms;
};

static void *produce_later(void *p)
{
    struct late_producer *lp = p;
    usleep(lp->delay_ms * 1000);
    assert_int_equal(ringbuf_output(lp->rb, "late", 4, 0), 0);
    return NULL;
}

static void test_poll(void **state)
{
    (void)state;
    struct map *rb = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, page(), 0);
    struct sink s = {0};
    double t0 = now_ms();
    assert_int_equal(ringbuf_poll(rb, collect, &s, 60), 0);
    double waited = now_ms() - t0;
    assert_true(waited >= 55 && waited < 1000);
    assert_int_equal(ringbuf_poll(rb, collect, &s, 0), 0);

    /* Data already there: no waiting. */
    assert_int_equal(ringbuf_output(rb, "now", 3, 0), 0);
    t0 = now_ms();
    assert_int_equal(ringbuf_poll(rb, collect, &s, 5000), 1);
    assert_true(now_ms() - t0 < 1000);

    /* Sleeps until a producer submits. */
    struct late_producer lp = {.rb = rb, .delay_ms = 50};
    t0 = now_ms();
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, produce_later, &lp), 0);
    assert_int_equal(ringbuf_poll(rb, collect, &s, 5000), 1);
    waited = now_ms() - t0;
    pthread_join(t, NULL);
    assert_true(waited >= 40 && waited < 2000);
    assert_int_equal(s.sizes[s.n - 1], 4);
    assert_int_equal(ringbuf_poll(rb, NULL, &s, 0), -EINVAL);
    map_release(rb);
}

/*
 * Three producers (alternating reserve/submit and output) and one slow
 * consumer on a small ring.
 */
enum { PRODUCERS = 3, PER_PRODUCER = 100000 };

struct record {
    uint32_t producer;
    uint32_t seq;
    uint64_t check;
};

struct mp_shared {
    struct map *rb;
    atomic_uint producers_done;
    atomic_ulong produced_ok[PRODUCERS];
    uint64_t consumed[PRODUCERS];
    int64_t last_seq[PRODUCERS];
    unsigned errors;
    unsigned char seen[PRODUCERS][PER_PRODUCER];
};

struct mp_thread {
    struct mp_shared *s;
    uint32_t id;
};

static void *mp_producer(void *p)
{
    struct mp_thread *t = p;
    struct mp_shared *s = t->s;
    for (uint32_t i = 0; i < PER_PRODUCER; i++) {
        struct record r = {.producer = t->id, .seq = i, .check = (uint64_t)t->id * 1000003 + i};
        bool ok;
        if (i % 2) {
            ok = ringbuf_output(s->rb, &r, sizeof(r), 0) == 0;
        } else {
            struct record *slot = ringbuf_reserve(s->rb, sizeof(r) + i % 5, 0);
            ok = slot != NULL;
            if (ok) {
                *slot = r;
                ringbuf_submit(slot, 0);
            }
        }
        if (ok)
            atomic_fetch_add(&s->produced_ok[t->id], 1);
        else
            usleep(20); /* back off so that most records still get through */
    }
    atomic_fetch_add(&s->producers_done, 1);
    return NULL;
}

static int mp_record(void *ctx, void *data, size_t size)
{
    struct mp_shared *s = ctx;
    struct record r;
    if (size < sizeof(r)) {
        s->errors++;
        return 0;
    }
    memcpy(&r, data, sizeof(r));
    if (r.producer >= PRODUCERS || r.seq >= PER_PRODUCER ||
        r.check != (uint64_t)r.producer * 1000003 + r.seq || (int64_t)r.seq <= s->last_seq[r.producer] ||
        s->seen[r.producer][r.seq]++) {
        s->errors++;
        return 0;
    }
    s->last_seq[r.producer] = r.seq;
    s->consumed[r.producer]++;
    return 0;
}

static void *mp_consumer(void *p)
{
    struct mp_shared *s = p;
    unsigned rounds = 0;
    while (atomic_load(&s->producers_done) < PRODUCERS) {
        int n = ringbuf_poll(s->rb, mp_record, s, 10);
        if (n < 0)
            s->errors++;
        if (++rounds % 64 == 0)
            usleep(500); /* now and then too slow: producers drop */
    }
    while (ringbuf_consume(s->rb, mp_record, s) > 0) {
    }
    return NULL;
}

static void test_producers_and_consumer(void **state)
{
    (void)state;
    struct mp_shared *s = calloc(1, sizeof(*s));
    s->rb = make_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 2 * page(), 0);
    for (int i = 0; i < PRODUCERS; i++)
        s->last_seq[i] = -1;
    pthread_t consumer;
    assert_int_equal(pthread_create(&consumer, NULL, mp_consumer, s), 0);
    struct mp_thread t[PRODUCERS];
    for (uint32_t i = 0; i < PRODUCERS; i++)
        t[i] = (struct mp_thread){.s = s, .id = i};
    run_threads(PRODUCERS, mp_producer, t, sizeof(t[0]));
    assert_int_equal(pthread_join(consumer, NULL), 0);

    assert_int_equal(s->errors, 0);
    uint64_t consumed = 0;
    for (int i = 0; i < PRODUCERS; i++) {
        assert_int_equal(s->consumed[i], atomic_load(&s->produced_ok[i]));
        consumed += s->consumed[i];
    }
    print_message("ringbuf: %llu records consumed, %llu dropped\n",
                  (unsigned long long)consumed, (unsigned long long)ringbuf_dropped(s->rb));
    assert_int_equal(consumed + ringbuf_dropped(s->rb), (uint64_t)PRODUCERS * PER_PRODUCER);
    assert_true(consumed > 0);
    assert_int_equal(ringbuf_query(s->rb, RINGBUF_Q_AVAIL_DATA), 0);
    map_release(s->rb);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reserve_submit_consume),
        cmocka_unit_test(test_order_and_discard),
        cmocka_unit_test(test_full_and_dropped),
        cmocka_unit_test(test_wrap_around),
        cmocka_unit_test(test_wakeup_rules),
        cmocka_unit_test(test_held_wakeups),
        cmocka_unit_test(test_held_wakeups_go_within_a_batch),
        cmocka_unit_test(test_poll),
        cmocka_unit_test(test_no_lost_wakeup),
        cmocka_unit_test(test_producers_and_consumer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
