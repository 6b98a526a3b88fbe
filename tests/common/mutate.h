/*
 * Mechanical unsafe variants of a program the verifier accepts, for its
 * mutation test. Mutation points come from a local analysis of the
 * instruction stream (what each register holds along straight code, from
 * the program type's context fields and helper prototypes), never from
 * the verifier itself, and each is kept only where the analysis shows the
 * variant really breaks a rule on some path (the dropped check's pointer
 * is dereferenced right after it, the widened check's access reaches the
 * byte it no longer proves, ...). Only the main function is mutated.
 */
#ifndef BPFHOST_TESTS_MUTATE_H
#define BPFHOST_TESTS_MUTATE_H

#include <stddef.h>

#include "verify/verify.h"

enum mutation_kind {
    MUTATE_NULL_CHECK,   /* a lookup's NULL check dropped: the NULL path dereferences the result */
    MUTATE_PACKET_BOUND, /* a packet check proves one byte less than the access after it needs */
    MUTATE_PACKET_CHECK, /* a packet check removed: the access after it is unproven */
    MUTATE_UNINIT_STACK, /* the only store to a stack slot removed: a later read sees no value */
    MUTATE_CTX_WRITE,    /* a load of a read-only context field turned into a store */
    MUTATE_LEAK_RETURN,  /* the value returned replaced by the stack pointer */
    MUTATE_LEAK_MAP,     /* a store into a map value stores the stack pointer instead */
    MUTATE_KINDS
};

/* One variant: the program with one slot replaced. */
struct mutation {
    enum mutation_kind kind;
    size_t pc;             /* the slot replaced */
    struct ebpf_insn insn; /* its replacement */
};

/* What a kind does, in a few words ("drop a NULL check", ...). */
const char *mutation_kind_name(enum mutation_kind kind);

/*
 * The variants of insns[0..count) under profile (its context fields and
 * helpers): at most max_per_kind of each kind, spread over the program.
 * out has room for MUTATE_KINDS * max_per_kind; returns how many it holds.
 */
size_t mutations_find(const struct ebpf_insn *insns, size_t count, const struct verify_profile *profile,
                      size_t max_per_kind, struct mutation *out);

#endif
