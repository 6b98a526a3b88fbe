/*
 * Ring buffer: creation and the producer side (reserve, submit, discard,
 * output, query). Layout and the zeroed-free-space invariant: ringbuf.h.
 *
 * Reservation takes no lock: a producer advances the producer position
 * with a compare-and-swap, which hands it exclusive bytes, then writes
 * the record's header with BUSY set. Submit clears BUSY (DISCARD set for
 * a discard) with one atomic exchange; the consumer reads records in
 * position order and stops at the first one still BUSY, so records come
 * out in reservation order even when producers finish out of order.
 *
 * Wake-ups follow Linux: a submit signals the consumer only if the
 * consumer has caught up to this very record (it may be sleeping on it),
 * always with RINGBUF_F_FORCE_WAKEUP, never with RINGBUF_F_NO_WAKEUP.
 * One more condition than Linux: a consumer says when it sleeps
 * (ringbuf_sleeping), and a ring nobody sleeps on is not signalled, so a
 * consumer busy with a stream of records costs its producers no eventfd
 * write per record. A thread may hold its wake-ups back for a while
 * (ringbuf_hold_wakeups()), as Linux defers them to an irq_work: a
 * thread that answers a waiting process after its programs ran answers
 * first, then wakes each ring's consumer once.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "maps/ringbuf.h"

enum {
    RINGBUF_MAX_RECORD = UINT32_MAX >> 2, /* the length field minus its two flag bits */
};

static size_t page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

void *ringbuf_reserve(struct map *m, uint64_t size, uint64_t flags)
{
    struct ringbuf *rb = rb_of(m);
    if (!rb || flags)
        return NULL;
    uint64_t len = round8(size + RINGBUF_HDR_SIZE);
    struct rb_ctrl *c = rb->ctrl;
    uint64_t prod = atomic_load_explicit(&c->prod_pos, memory_order_relaxed);
    for (;;) {
        /* Acquire: the consumer zeroed the space before releasing it. */
        uint64_t cons = atomic_load_explicit(&c->cons_pos, memory_order_acquire);
        if (size > RINGBUF_MAX_RECORD || prod + len - cons > rb->size) {
            atomic_fetch_add_explicit(&c->dropped, 1, memory_order_relaxed);
            return NULL;
        }
        if (atomic_compare_exchange_weak_explicit(&c->prod_pos, &prod, prod + len,
                                                  memory_order_relaxed, memory_order_relaxed))
            break;
    }
    unsigned char *hdr = rb->data + (prod & rb->mask);
    union rb_hdr h = {.f = {.len = (uint32_t)size | RINGBUF_BUSY_BIT,
                            .pg_off = (uint32_t)((hdr - (unsigned char *)c) / page_size())}};
    atomic_store_explicit(rb_hdr_word(hdr), h.word, memory_order_release);
    return hdr + RINGBUF_HDR_SIZE;
}

static void signal_consumer(struct ringbuf *rb)
{
    uint64_t one = 1;
    if (write(rb->event_fd, &one, sizeof(one)) < 0) {
        /* EAGAIN: the counter is saturated, so a wake-up is pending anyway. */
    }
}

enum {
    HELD_MAX = 8,     /* rings a thread holds wake-ups for; past that it wakes at once */
    HELD_BATCH = 64,  /* records a thread submits while wake-ups are noted before they go: a long batch's
                         consumers read as it goes */
};

/* The wake-ups the calling thread holds back: each ring once, with a reference (a map may be closed meanwhile). */
static _Thread_local struct {
    bool on;
    size_t count, since; /* rings noted; records submitted since the first was noted */
    struct ringbuf *rb[HELD_MAX];
} held;

/* Signals the rings noted and forgets them. */
static void signal_held(void)
{
    for (size_t i = 0; i < held.count; i++) {
        signal_consumer(held.rb[i]);
        map_release(&held.rb[i]->map);
    }
    held.count = held.since = 0;
}

static void wake(struct ringbuf *rb)
{
    if (held.on) {
        for (size_t i = 0; i < held.count; i++)
            if (held.rb[i] == rb)
                return;
        if (held.count < HELD_MAX) {
            map_retain(&rb->map);
            held.rb[held.count++] = rb;
            return;
        }
    }
    signal_consumer(rb);
}

void ringbuf_hold_wakeups(void)
{
    held.on = true;
}

void ringbuf_release_wakeups(void)
{
    held.on = false;
    signal_held();
}

static void commit(void *sample, uint64_t flags, bool discard)
{
    unsigned char *hdr = (unsigned char *)sample - RINGBUF_HDR_SIZE;
    union rb_hdr h = {.word = atomic_load_explicit(rb_hdr_word(hdr), memory_order_relaxed)};
    /* Like Linux, find the ring from the header: the helper gets no map. */
    size_t page = page_size();
    uintptr_t hdr_page = (uintptr_t)hdr & ~(uintptr_t)(page - 1);
    struct rb_ctrl *c = (struct rb_ctrl *)(hdr_page - (uintptr_t)h.f.pg_off * page);
    struct ringbuf *rb = c->owner;

    h.f.len = (h.f.len & ~(uint32_t)RINGBUF_BUSY_BIT) | (discard ? RINGBUF_DISCARD_BIT : 0);
    /* Sequentially consistent, paired with the consumer's store of its
     * position, its count of sleepers and its load of this header: either
     * the consumer sees this record, or we see it asleep right here (or
     * about to be) and wake it. */
    atomic_exchange(rb_hdr_word(hdr), h.word);
    uint64_t rec_pos = (uint64_t)(hdr - rb->data);
    uint64_t cons = atomic_load(&c->cons_pos);
    if (held.count && ++held.since > HELD_BATCH)
        signal_held(); /* a long batch: its sleeping consumers read what is there so far */
    if ((flags & RINGBUF_F_FORCE_WAKEUP) ||
        (!(flags & RINGBUF_F_NO_WAKEUP) && (cons & rb->mask) == rec_pos && atomic_load(&c->sleepers)))
        wake(rb);
}

void ringbuf_submit(void *data, uint64_t flags)
{
    commit(data, flags, false);
}

void ringbuf_discard(void *data, uint64_t flags)
{
    commit(data, flags, true);
}

long ringbuf_output(struct map *m, const void *data, uint64_t size, uint64_t flags)
{
    if (!rb_of(m) || (flags & ~(uint64_t)(RINGBUF_F_NO_WAKEUP | RINGBUF_F_FORCE_WAKEUP)))
        return -EINVAL;
    void *rec = ringbuf_reserve(m, size, 0);
    if (!rec)
        return -EAGAIN;
    if (size) /* with size 0, data may be NULL (ARG_CONST_SIZE_OR_ZERO) */
        memcpy(rec, data, size);
    commit(rec, flags, false);
    return 0;
}

uint64_t ringbuf_query(struct map *m, uint64_t flag)
{
    struct ringbuf *rb = rb_of(m);
    if (!rb)
        return 0;
    uint64_t cons = atomic_load(&rb->ctrl->cons_pos);
    uint64_t prod = atomic_load(&rb->ctrl->prod_pos);
    switch (flag) {
    case RINGBUF_Q_AVAIL_DATA:
        return prod - cons;
    case RINGBUF_Q_RING_SIZE:
        return rb->size;
    case RINGBUF_Q_CONS_POS:
        return cons;
    case RINGBUF_Q_PROD_POS:
        return prod;
    default:
        return 0;
    }
}

uint64_t ringbuf_dropped(const struct map *m)
{
    struct ringbuf *rb = rb_of(m);
    return rb ? atomic_load(&rb->ctrl->dropped) : 0;
}

int ringbuf_wakeup_fd(const struct map *m)
{
    struct ringbuf *rb = rb_of(m);
    return rb ? rb->event_fd : -EINVAL;
}

void ringbuf_sleeping(struct map *m, bool asleep)
{
    struct ringbuf *rb = rb_of(m);
    if (!rb)
        return;
    if (asleep)
        atomic_fetch_add(&rb->ctrl->sleepers, 1);
    else
        atomic_fetch_sub(&rb->ctrl->sleepers, 1);
}

static int ringbuf_check(const struct map_params *p)
{
    int err = map_check_flags(p, MAP_F_NUMA_NODE);
    if (err)
        return err;
    if (p->key_size || p->value_size)
        return map_refuse(p, -EINVAL, "key size %u, value size %u: a ring buffer has neither (0, 0)",
                          p->key_size, p->value_size);
    uint32_t n = p->max_entries;
    if (!n || (n & (n - 1)) || n % page_size())
        return map_refuse(p, -EINVAL, "ring size %u (max_entries) is not a power of 2 and a multiple of the "
                          "page size (%zu)", n, page_size());
    return 0;
}

/* Maps the control page and the data area twice over one memfd. */
static int map_ring(struct ringbuf *rb)
{
    size_t page = page_size();
    rb->map_len = page + 2 * rb->size;
    void *base = mmap(NULL, rb->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return -errno;
    rb->ctrl = base;
    rb->data = (unsigned char *)base + page;
    int fd = memfd_create("bpfhost-ringbuf", MFD_CLOEXEC);
    int err = fd < 0 || ftruncate(fd, (off_t)rb->size) ? -errno : 0;
    for (int copy = 0; !err && copy < 2; copy++)
        if (mmap(rb->data + copy * rb->size, rb->size, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_FIXED, fd, 0) == MAP_FAILED)
            err = -errno;
    if (fd >= 0)
        close(fd);
    if (err)
        munmap(base, rb->map_len);
    return err;
}

static int ringbuf_alloc(const struct map_params *p, struct map **out)
{
    struct ringbuf *rb = calloc(1, sizeof(*rb));
    if (!rb)
        return -ENOMEM;
    rb->size = p->max_entries;
    rb->mask = rb->size - 1;
    int err = map_ring(rb);
    if (err) {
        free(rb);
        return err;
    }
    rb->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (rb->event_fd < 0) {
        err = -errno;
        munmap(rb->ctrl, rb->map_len);
        free(rb);
        return err;
    }
    rb->ctrl->owner = rb;
    pthread_mutex_init(&rb->consumer, NULL);
    /* Programs write into their reserved records, anywhere in the data area. */
    rb->map.layout = (struct map_layout){
        .base = (uintptr_t)rb->data,
        .len = 2 * rb->size,
        .elem_stride = 2 * rb->size,
        .value_stride = 2 * rb->size,
        .value_len = 2 * rb->size,
        .nvals = 1,
    };
    *out = &rb->map;
    return 0;
}

static void ringbuf_free(struct map *m)
{
    struct ringbuf *rb = rb_of(m);
    pthread_mutex_destroy(&rb->consumer);
    close(rb->event_fd);
    munmap(rb->ctrl, rb->map_len);
    free(rb);
}

/* Keyed operations do not apply to a ring buffer: all -EOPNOTSUPP. */
const struct map_ops ringbuf_ops = {
    .check = ringbuf_check,
    .alloc = ringbuf_alloc,
    .free = ringbuf_free,
};
