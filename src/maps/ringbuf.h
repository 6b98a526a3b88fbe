/*
 * Private to src/maps: the ring buffer's layout, shared by its producer
 * side (ringbuf.c) and consumer side (ringbuf_consumer.c).
 *
 * One mapping: a control page, then the data area mapped twice in a row
 * (the same memfd pages), so a record that wraps past the end is still
 * contiguous in memory, as with Linux's double-mapped ring.
 *
 * Positions only grow; a record at position p has its header at
 * data[p & mask]. Invariant that makes lock-free reservation safe: every
 * byte between the producer position and the consumer position plus the
 * ring size (the free space) is zero. The consumer zeroes each record it
 * passes before releasing the space, so a header word of 0 means "reserved
 * but its header not yet written" and is treated like BUSY. A written
 * header is never 0 because its page offset counts from the control page.
 */
#ifndef BPFHOST_MAPS_RINGBUF_H
#define BPFHOST_MAPS_RINGBUF_H

#include <pthread.h>
#include <stdalign.h>

#include "maps/internal.h"

/* The first page of the mapping; positions on their own cache lines. */
struct rb_ctrl {
    struct ringbuf *owner;
    alignas(64) _Atomic uint64_t cons_pos;
    alignas(64) _Atomic uint64_t prod_pos;
    alignas(64) _Atomic uint64_t dropped;
    _Atomic uint32_t sleepers;  /* consumers asleep (or watching from outside) on the eventfd */
};

struct ringbuf {
    struct map map;
    struct rb_ctrl *ctrl;       /* start of the mapping */
    unsigned char *data;        /* ctrl + one page; size bytes, mapped twice */
    uint64_t size;              /* max_entries, a power of 2 */
    uint64_t mask;
    size_t map_len;
    int event_fd;               /* signalled on submit unless NO_WAKEUP */
    pthread_mutex_t consumer;   /* one consumer at a time */
};

/* The 8-byte record header, read and written as one atomic word. */
union rb_hdr {
    struct {
        uint32_t len;    /* size | BUSY | DISCARD */
        uint32_t pg_off; /* pages from the control page to this header */
    } f;
    uint64_t word;
};

static inline _Atomic uint64_t *rb_hdr_word(unsigned char *hdr)
{
    return (_Atomic uint64_t *)(void *)hdr;
}

/* The ring of map m, or NULL if m is not a ring buffer. */
static inline struct ringbuf *rb_of(const struct map *m)
{
    return m->type == BPF_MAP_TYPE_RINGBUF ? container_of(m, struct ringbuf, map) : NULL;
}

#endif /* BPFHOST_MAPS_RINGBUF_H */
