/*
 * Threads that hold CPU slots (map_cpu_claim) for tests of what waits for
 * one: each claims with a deadline, holds its slot until told, releases.
 * Include after cmocka.h; failures fail the current test.
 */
#ifndef BPFHOST_TESTS_SLOT_HOLDERS_H
#define BPFHOST_TESTS_SLOT_HOLDERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SLOT_HOLDER_MS UINT64_C(1000000) /* ns in a millisecond */

struct slot_holder {
    pthread_t thread;
    uint64_t deadline_ns; /* of its claim: CLOCK_MONOTONIC, 0 none */
    int slot;             /* map_cpu_claim()'s result */
    atomic_int state;     /* 0 claiming, 1 holding, 2 timed out */
    atomic_bool release;
    bool joined;
    atomic_uint *served;  /* NULL, or counts the claims granted ... */
    unsigned order;       /* ... and this one's rank among them */
};

/* CLOCK_MONOTONIC in ns. */
uint64_t slot_holder_now(void);
/* Starts a holder claiming with deadline_ns; served as in the struct. */
void slot_holder_start(struct slot_holder *h, uint64_t deadline_ns, atomic_uint *served);
/* Waits until h holds a slot (1) or its claim timed out (2); returns which. */
int slot_holder_settled(struct slot_holder *h);
/* Tells h to release its slot (if it has one) and joins it; again does nothing. */
void slot_holder_stop(struct slot_holder *h);
/*
 * Starts holders until one cannot get a slot within 20 ms, so that every
 * slot is held; returns how many hold one, in *count. The array (malloc'd)
 * goes to slot_holders_stop().
 */
struct slot_holder *slot_holders_fill(unsigned *count);
/* Stops the first count holders of hs and frees the array. */
void slot_holders_stop(struct slot_holder *hs, unsigned count);

#endif
