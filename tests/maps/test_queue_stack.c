/*
 * queue and stack: FIFO and LIFO order, full and empty errors, the
 * overwrite-oldest push, the user-space mapping of operations (update =
 * push, lookup = peek, lookup-and-delete = pop), and concurrent pushers
 * and poppers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "maps_test.h"

static void push_range(struct map *m, uint32_t from, uint32_t to)
{
    for (uint32_t v = from; v <= to; v++)
        assert_int_equal(map_push_elem(m, &v, MAP_ANY), 0);
}

static void expect_pops(struct map *m, const uint32_t *want, size_t n)
{
    uint32_t v;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(map_pop_elem(m, &v), 0);
        assert_int_equal(v, want[i]);
    }
    assert_int_equal(map_pop_elem(m, &v), -ENOENT);
}

static void test_queue_fifo(void **state)
{
    (void)state;
    struct map *q = make_map(BPF_MAP_TYPE_QUEUE, 0, 4, 3, 0);
    uint32_t v = 9;
    assert_int_equal(map_pop_elem(q, &v), -ENOENT);
    assert_int_equal(map_peek_elem(q, &v), -ENOENT);
    push_range(q, 1, 3);
    assert_int_equal(map_push_elem(q, &v, MAP_ANY), -E2BIG);
    assert_int_equal(map_push_elem(q, &v, MAP_NOEXIST), -E2BIG);
    assert_int_equal(map_push_elem(q, &v, 3), -EINVAL);
    assert_int_equal(map_peek_elem(q, &v), 0);
    assert_int_equal(v, 1);
    v = 4; /* full + MAP_EXIST: the oldest (1) makes room */
    assert_int_equal(map_push_elem(q, &v, MAP_EXIST), 0);
    expect_pops(q, (const uint32_t[]){2, 3, 4}, 3);

    /* Wrap around the circular buffer many times. */
    for (uint32_t i = 0; i < 100; i++) {
        push_range(q, i, i + 1);
        expect_pops(q, (const uint32_t[]){i, i + 1}, 2);
    }
    map_release(q);
}

static void test_stack_lifo(void **state)
{
    (void)state;
    struct map *s = make_map(BPF_MAP_TYPE_STACK, 0, 4, 3, 0);
    push_range(s, 1, 3);
    uint32_t v = 4;
    assert_int_equal(map_push_elem(s, &v, MAP_ANY), -E2BIG);
    assert_int_equal(map_peek_elem(s, &v), 0);
    assert_int_equal(v, 3);
    v = 4; /* the bottom value (1) is the one dropped */
    assert_int_equal(map_push_elem(s, &v, MAP_EXIST), 0);
    expect_pops(s, (const uint32_t[]){4, 3, 2}, 3);
    for (uint32_t i = 0; i < 100; i++) {
        push_range(s, i, i + 2);
        expect_pops(s, (const uint32_t[]){i + 2, i + 1, i}, 3);
    }
    map_release(s);
}

static void test_user_space_view(void **state)
{
    (void)state;
    struct map *q = make_map(BPF_MAP_TYPE_QUEUE, 0, 8, 2, 0);
    uint64_t v = 5, out = 0;
    assert_int_equal(map_update_user(q, NULL, &v, MAP_ANY), 0);
    assert_int_equal(map_update_elem(q, NULL, &v, MAP_ANY), -EINVAL);
    assert_int_equal(map_lookup_copy(q, NULL, &out), 0);
    assert_int_equal(out, 5);
    assert_int_equal(map_delete_elem(q, NULL), -EINVAL);
    assert_int_equal(map_get_next_key(q, NULL, &out), -EINVAL);
    assert_null(map_lookup_elem(q, NULL));
    uintptr_t start;
    size_t len;
    assert_false(map_value_region(q, &start, &len));
    assert_false(map_value_contains(q, (uintptr_t)&out, 8, false));
    out = 0;
    assert_int_equal(map_lookup_and_delete(q, NULL, &out), 0);
    assert_int_equal(out, 5);
    assert_int_equal(map_lookup_and_delete(q, NULL, &out), -ENOENT);
    assert_int_equal(map_lookup_copy(q, NULL, &out), -ENOENT);
    map_release(q);
}

/*
 * Two pushers, two poppers: every value arrives exactly once, and each
 * popper sees each pusher's values in increasing order (FIFO).
 */
enum { PER_PUSHER = 50000, PUSHERS = 2 };

struct qs_shared {
    struct map *q;
    atomic_uint popped;
    unsigned char seen[PUSHERS][PER_PUSHER];
};

struct qs_thread {
    struct qs_shared *s;
    unsigned id;
    bool pusher;
    unsigned errors;
};

static void *qs_worker(void *p)
{
    struct qs_thread *t = p;
    struct qs_shared *s = t->s;
    if (t->pusher) {
        for (uint32_t i = 0; i < PER_PUSHER; i++) {
            uint32_t v = t->id << 24 | i;
            while (map_push_elem(s->q, &v, MAP_ANY) == -E2BIG)
                sched_yield();
        }
        return NULL;
    }
    int64_t last[PUSHERS] = {-1, -1};
    while (atomic_load(&s->popped) < PUSHERS * PER_PUSHER) {
        uint32_t v;
        if (map_pop_elem(s->q, &v) != 0) {
            sched_yield();
            continue;
        }
        atomic_fetch_add(&s->popped, 1);
        unsigned who = v >> 24, seq = v & 0xFFFFFF;
        t->errors += who >= PUSHERS || seq >= PER_PUSHER || (int64_t)seq <= last[who % PUSHERS];
        if (who < PUSHERS && seq < PER_PUSHER) {
            t->errors += s->seen[who][seq]++ != 0;
            last[who] = seq;
        }
    }
    return NULL;
}

static void test_concurrent_queue(void **state)
{
    (void)state;
    struct qs_shared *s = calloc(1, sizeof(*s));
    s->q = make_map(BPF_MAP_TYPE_QUEUE, 0, 4, 64, 0);
    struct qs_thread t[4] = {
        {.s = s, .id = 0, .pusher = true}, {.s = s, .id = 1, .pusher = true},
        {.s = s, .id = 2}, {.s = s, .id = 3}};
    run_threads(4, qs_worker, t, sizeof(t[0]));
    for (int i = 0; i < 4; i++)
        assert_int_equal(t[i].errors, 0);
    assert_int_equal(atomic_load(&s->popped), PUSHERS * PER_PUSHER);
    uint32_t v;
    assert_int_equal(map_pop_elem(s->q, &v), -ENOENT);
    map_release(s->q);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_fifo),
        cmocka_unit_test(test_stack_lifo),
        cmocka_unit_test(test_user_space_view),
        cmocka_unit_test(test_concurrent_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
