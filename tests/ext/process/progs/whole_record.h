/*
 * What tests/ext/process/progs/whole_record.c reports of each event of a
 * watched process: every field, the image path, the command line's length
 * and as much of it as a program can read (the verifier proves accesses
 * to the first 65535 bytes of a command line, as Linux's to a packet's).
 * Shared with tests/ext/process/test_source_tracepoint.c. A process is
 * watched once the test has put its pid, or its parent's, into the map
 * "watched".
 */
#ifndef BPFHOST_TESTS_EXT_WHOLE_RECORD_H
#define BPFHOST_TESTS_EXT_WHOLE_RECORD_H

#if !defined(__bpf__)
#include <stdint.h>
#endif

#define WHOLE_RECORD_IMAGE 4096
#define WHOLE_RECORD_COMMAND 65535

/* One event as the program saw it (a record of the ring buffer "events"). */
struct whole_event {
    uint32_t process_id;
    uint32_t operation;
    uint64_t parent_process_id;
    uint64_t creating_process_id;
    uint64_t creating_thread_id;
    uint64_t creation_time;
    uint64_t exit_time;
    uint64_t image_device;
    uint64_t image_inode;
    uint32_t exit_code;
    uint32_t image_kind;
    uint32_t uid;
    uint32_t gid;
    uint64_t command_len;  /* command_end - command_start (copied: at most WHOLE_RECORD_COMMAND) */
    int32_t image_len;     /* bpf_process_get_image_path()'s return */
    uint32_t reserved;
    char image_path[WHOLE_RECORD_IMAGE];
    char command_line[WHOLE_RECORD_COMMAND];
};

#endif
