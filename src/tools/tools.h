/*
 * tools — code shared by the command-line tools in src/tools/<tool>/.
 */
#ifndef BPFHOST_TOOLS_H
#define BPFHOST_TOOLS_H

#include "exec/exec.h"
#include "verify/verify.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The helpers the bpf_conformance suite's programs call, ids 0..5
 * (../shared/conformance/README.md). */
extern const struct exec_helper conformance_helpers[];
extern const size_t conformance_helper_count;

/* Runs a program the way the conformance suite does: input memory (may be
 * NULL) in r1 and its length in r2, the conformance helpers available.
 * Returns 0 with *r0 set, or -1 with a message in err. */
int conformance_run(const struct ebpf_insn *insns, size_t count, uint8_t *mem, size_t mem_len, uint64_t *r0,
                    char *err, size_t err_len);

/* Reads all of f into a malloc'd NUL-terminated buffer (length in *len if
 * not NULL); NULL on a read or allocation failure. */
char *tools_read_stream(FILE *f, size_t *len);

/* One row of a verifier corpus's list.tsv and the verdict on it. */
struct tools_corpus_row {
    const char *path, *section, *function, *expect, *set, *type; /* the row's fields */
    bool opened;              /* the object file could be read (else error says why) */
    bool found;               /* the program was found in it */
    char error[512];
    struct verify_result res; /* the verdict, when opened and found */
    uint64_t ns;              /* verification time */
};

/* Called for each row verified. */
typedef void (*tools_corpus_fn)(void *arg, const struct tools_corpus_row *row);

/*
 * Verifies every program listed in dir/list.tsv (the format of
 * ../shared/verifier/README.md: path, section, function, expect, set,
 * note, type) against the Linux profile of its type, without creating
 * maps, and reports each row to fn. Returns the number of rows, or -errno
 * if the list cannot be read.
 */
long tools_verify_corpus(const char *dir, tools_corpus_fn fn, void *arg);

#endif
