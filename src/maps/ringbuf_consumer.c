/*
 * Ring buffer consumer: hands submitted records to a callback in order,
 * skips discarded ones, and can sleep on the ring's eventfd until a
 * producer signals. One consumer runs at a time (a mutex), as with
 * libbpf's ring_buffer, which assumes a single consumer per ring.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "maps/ringbuf.h"

int ringbuf_consume(struct map *m, ringbuf_sample_fn fn, void *ctx)
{
    struct ringbuf *rb = rb_of(m);
    if (!rb || !fn)
        return -EINVAL;
    struct rb_ctrl *c = rb->ctrl;
    int count = 0, stop = 0;
    pthread_mutex_lock(&rb->consumer);
    uint64_t cons = atomic_load_explicit(&c->cons_pos, memory_order_relaxed);
    while (!stop && cons < atomic_load_explicit(&c->prod_pos, memory_order_acquire)) {
        unsigned char *hdr = rb->data + (cons & rb->mask);
        /* Sequentially consistent: pairs with the submit's exchange. */
        union rb_hdr h = {.word = atomic_load(rb_hdr_word(hdr))};
        if (!h.word || (h.f.len & RINGBUF_BUSY_BIT))
            break; /* reserved, not yet submitted: later records wait */
        uint32_t size = h.f.len & ~(uint32_t)(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);
        uint64_t total = round8((uint64_t)size + RINGBUF_HDR_SIZE);
        if (!(h.f.len & RINGBUF_DISCARD_BIT)) {
            stop = fn(ctx, hdr + RINGBUF_HDR_SIZE, size);
            if (count < INT_MAX)
                count++;
        }
        /* Zero the record before giving its space back (ringbuf.h). */
        memset(hdr, 0, total);
        cons += total;
        atomic_store(&c->cons_pos, cons);
    }
    pthread_mutex_unlock(&rb->consumer);
    return stop ? stop : count;
}

/* Milliseconds left of timeout_ms since start: -1 for no limit, 0 if over. */
static int remaining_ms(const struct timespec *start, int timeout_ms)
{
    if (timeout_ms < 0)
        return -1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long elapsed = (now.tv_sec - start->tv_sec) * 1000LL +
                        (now.tv_nsec - start->tv_nsec) / 1000000;
    return elapsed >= timeout_ms ? 0 : (int)(timeout_ms - elapsed);
}

int ringbuf_poll(struct map *m, ringbuf_sample_fn fn, void *ctx, int timeout_ms)
{
    struct ringbuf *rb = rb_of(m);
    if (!rb || !fn)
        return -EINVAL;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        /* Consume first: a wake-up may have been sent for data we already took. */
        int n = ringbuf_consume(m, fn, ctx);
        int wait = remaining_ms(&start, timeout_ms);
        if (n || !wait)
            return n;
        ringbuf_sleeping(m, true);
        /* Again: a record submitted before we said we sleep signalled no one. */
        n = ringbuf_consume(m, fn, ctx);
        if (n) {
            ringbuf_sleeping(m, false);
            return n;
        }
        struct pollfd pfd = {.fd = rb->event_fd, .events = POLLIN};
        int r = poll(&pfd, 1, wait);
        ringbuf_sleeping(m, false);
        if (r < 0 && errno != EINTR)
            return -errno;
        uint64_t signals;
        if (r > 0 && read(rb->event_fd, &signals, sizeof(signals)) < 0) {
            /* EAGAIN: another poller reset the counter first. */
        }
    }
}
