/*
 * What the tests of the system-wide sources keep per process from the
 * records of progs/netlink_record.c. Include after cmocka.h.
 */
#ifndef BPFHOST_TESTS_EXT_SEEN_PROCESS_H
#define BPFHOST_TESTS_EXT_SEEN_PROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "ext/process/progs/netlink_record.h"

struct seen_process {
    uint32_t pid;
    struct netlink_event create, delete; /* the last create (of kind program where a test keeps only those), the last delete */
    int creates, deletes;
    uint64_t create_at, delete_at;       /* the records' positions */
};

/* The entry of pid among seen[0..*count), added (of at most max) if it is not there. */
static inline struct seen_process *seen_process_of(struct seen_process *seen, size_t *count, size_t max, uint32_t pid)
{
    for (size_t i = 0; i < *count; i++)
        if (seen[i].pid == pid)
            return &seen[i];
    assert_true(*count < max);
    struct seen_process *p = &seen[(*count)++];
    p->pid = pid;
    return p;
}

#endif
