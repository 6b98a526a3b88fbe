/*
 * What tests/ext/process/progs/netlink_record.c reports of each event of a watched
 * process, shared with tests/ext/process/test_source_netlink.c. A process is
 * watched once the test has put its pid, or its parent's, into the map
 * "watched".
 */
#ifndef BPFHOST_TESTS_EXT_NETLINK_RECORD_H
#define BPFHOST_TESTS_EXT_NETLINK_RECORD_H

#if !defined(__bpf__)
#include <stdint.h>
#endif

#define NETLINK_RECORD_STR 256

/* One event as the program saw it (a record of the ring buffer "events"). */
struct netlink_event {
    uint32_t process_id;
    uint32_t operation;
    uint64_t parent_process_id;
    uint64_t creating_process_id;
    uint64_t creating_thread_id;
    uint64_t creation_time;
    uint64_t exit_time;
    uint64_t pid_tgid;       /* bpf_get_current_pid_tgid() in the program */
    uint32_t exit_code;
    uint32_t uid;
    uint32_t image_kind;
    uint32_t reserved;
    int32_t command_len;     /* command_end - command_start */
    int32_t image_len;       /* bpf_process_get_image_path()'s return */
    char command_line[NETLINK_RECORD_STR];
    char image_path[NETLINK_RECORD_STR];
    uint64_t seen_ns;        /* bpf_ktime_get_ns() when the program ran (CLOCK_MONOTONIC) */
};

#endif
