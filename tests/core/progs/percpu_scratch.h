/* What tests/core/progs/percpu_scratch.c reports, shared with its test. */
#ifndef BPFHOST_TESTS_CORE_PERCPU_SCRATCH_H
#define BPFHOST_TESTS_CORE_PERCPU_SCRATCH_H

/* Bits of scratch_rmw's return value: each a way a run's per-CPU slot was not its own. */
enum {
    SCRATCH_MISSING = 1,    /* a lookup or the update failed */
    SCRATCH_TORN = 2,       /* the record read at the start mixed two runs' words */
    SCRATCH_CORRUPT = 4,    /* another run wrote the record between this run's write and its update */
    SCRATCH_OTHER_SLOT = 8, /* a second lookup in the run found a record not its own */
    SCRATCH_MOVED = 16,     /* bpf_get_smp_processor_id changed within the run */
};

enum { SCRATCH_WORDS = 8 }; /* a 64-byte record */

#endif
