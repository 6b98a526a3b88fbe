/*
 * ring_buffer: one consumer over one or more ring-buffer maps. Each ring's
 * wake-up eventfd is in one epoll set, so a poll sleeps until any ring
 * has news. Producers signal a ring only while its consumer sleeps
 * (ringbuf_sleeping): a poll says so for its rings, reads them once more
 * (a record submitted before that signalled no one) and only then
 * sleeps. Once ring_buffer__epoll_fd() has handed the epoll set out, the
 * caller may sleep on it at any time: its rings count as slept on until
 * the ring_buffer is freed, and ring_buffer__consume() resets their
 * eventfds so a level-triggered epoll does not stay ready.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "api/internal.h"

struct ring {
    struct core_obj *obj; /* the map's reference */
    struct map *map;
    ring_buffer_sample_fn fn;
    void *ctx;
};

struct ring_buffer {
    struct ring *rings;
    size_t count;
    int epoll_fd;
    _Atomic bool watched; /* the epoll set was handed out: every ring counts as slept on */
};

/* libbpf's rule: only a negative result of the callback stops consuming. */
static int on_sample(void *arg, void *data, size_t size)
{
    struct ring *r = arg;
    int rc = r->fn(r->ctx, data, size);
    return rc < 0 ? rc : 0;
}

int ring_buffer__add(struct ring_buffer *rb, int map_fd, ring_buffer_sample_fn sample_cb, void *ctx)
{
    if (!rb || !sample_cb)
        return api_err(-EINVAL);
    struct core_obj *obj;
    int rc = api_fd_get(map_fd, CORE_OBJ_MAP, &obj);
    if (rc)
        return api_err(rc);
    struct map *map = core_map_map(core_obj_map(obj));
    struct ring *grown = NULL;
    if (map_type(map) != BPF_MAP_TYPE_RINGBUF)
        rc = -EINVAL;
    else if (!(grown = realloc(rb->rings, (rb->count + 1) * sizeof(*grown))))
        rc = -ENOMEM;
    else
        rb->rings = grown;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = rb->count};
    if (!rc && epoll_ctl(rb->epoll_fd, EPOLL_CTL_ADD, ringbuf_wakeup_fd(map), &ev) < 0)
        rc = -errno;
    if (rc) {
        core_obj_release(obj);
        return api_err(rc);
    }
    rb->rings[rb->count++] = (struct ring){obj, map, sample_cb, ctx};
    if (rb->watched)
        ringbuf_sleeping(map, true);
    return 0;
}

struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn sample_cb, void *ctx,
                                     const struct ring_buffer_opts *opts)
{
    if (!api_opts_valid(opts, sizeof(*opts), "ring_buffer_opts"))
        return api_err_ptr(-EINVAL);
    struct ring_buffer *rb = calloc(1, sizeof(*rb));
    if (!rb)
        return api_err_ptr(-ENOMEM);
    rb->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    int rc = rb->epoll_fd < 0 ? -errno : ring_buffer__add(rb, map_fd, sample_cb, ctx);
    if (rc) {
        ring_buffer__free(rb);
        return api_err_ptr(rc);
    }
    return rb;
}

/* Says every ring's consumer sleeps (asleep) or is awake. */
static void sleeping(const struct ring_buffer *rb, bool asleep)
{
    for (size_t i = 0; i < rb->count; i++)
        ringbuf_sleeping(rb->rings[i].map, asleep);
}

/* Resets every ring's wake-up counter. */
static void drain_wakeups(struct ring_buffer *rb)
{
    for (size_t i = 0; i < rb->count; i++) {
        uint64_t signals;
        if (read(ringbuf_wakeup_fd(rb->rings[i].map), &signals, sizeof(signals)) < 0) {
            /* EAGAIN: no wake-up pending. */
        }
    }
}

/* Consumes what every ring holds now: records consumed, or a callback's error. */
static int consume_all(struct ring_buffer *rb)
{
    long total = 0;
    for (size_t i = 0; i < rb->count; i++) {
        int n = ringbuf_consume(rb->rings[i].map, on_sample, &rb->rings[i]);
        if (n < 0)
            return n;
        total += n;
    }
    return total > INT_MAX ? INT_MAX : (int)total;
}

int ring_buffer__consume(struct ring_buffer *rb)
{
    if (!rb)
        return api_err(-EINVAL);
    drain_wakeups(rb);
    return api_err(consume_all(rb));
}

int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms)
{
    if (!rb)
        return api_err(-EINVAL);
    int n = consume_all(rb);
    if (n || !timeout_ms)
        return api_err(n);
    sleeping(rb, true);
    n = consume_all(rb); /* a record submitted before we said we sleep signalled no one */
    struct epoll_event events[8];
    int ready = n ? 0 : epoll_wait(rb->epoll_fd, events, 8, timeout_ms);
    int err = ready < 0 ? -errno : 0;
    sleeping(rb, false);
    if (n || err)
        return api_err(n ? n : err);
    if (ready > 0)
        drain_wakeups(rb);
    return api_err(consume_all(rb));
}

int ring_buffer__epoll_fd(const struct ring_buffer *rb)
{
    if (!rb)
        return api_err(-EINVAL);
    /* libbpf's signature takes a const pointer; the flag is this object's own state (never a const object). */
    struct ring_buffer *own = (struct ring_buffer *)rb;
    if (!atomic_exchange(&own->watched, true))
        sleeping(rb, true);
    return rb->epoll_fd;
}

void ring_buffer__free(struct ring_buffer *rb)
{
    if (!rb)
        return;
    if (rb->watched)
        sleeping(rb, false);
    for (size_t i = 0; i < rb->count; i++)
        core_obj_release(rb->rings[i].obj);
    if (rb->epoll_fd >= 0)
        close(rb->epoll_fd);
    free(rb->rings);
    free(rb);
}
