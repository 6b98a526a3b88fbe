/* Reader for the bpf_conformance suite's .data files (format in
 * ../shared/conformance/README.md), shared by the tests. */
#ifndef BPFHOST_TESTS_CONFORMANCE_FILE_H
#define BPFHOST_TESTS_CONFORMANCE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conformance_case {
    char *name;     /* file name without directory */
    char *asm_text; /* the "-- asm" section */
    uint8_t *mem;   /* the "-- mem" bytes, or NULL */
    size_t mem_len;
    uint64_t *raw;  /* the "-- raw" words, or NULL */
    size_t raw_count;
    bool has_result;
    uint64_t result;
    char *error; /* the "-- error" text, or NULL */
};

/* Parses one .data file; returns 0, or -1 with a message on stderr. */
int conformance_case_load(const char *path, struct conformance_case *out);

/* Frees what conformance_case_load allocated. */
void conformance_case_free(struct conformance_case *c);

/* Directory of the vectors (env BPFHOST_CONFORMANCE_DIR, else ../shared/conformance/tests). */
const char *conformance_dir(void);

/* Sorted malloc'd list of malloc'd paths of every .data file; returns count or -1. */
int conformance_list(char ***paths);

/* Frees a list from conformance_list. */
void conformance_list_free(char **paths, int count);

#endif
