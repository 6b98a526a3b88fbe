/*
 * The record examples/process_monitor.c writes into its ring buffer for
 * each process event, shared by the eBPF program and the process_monitor
 * tool. The strings follow the fixed part: the command line, then the image
 * path, each without a NUL; a record is only as long as its strings need.
 */
#ifndef BPFHOST_EXAMPLES_PROCESS_MONITOR_H
#define BPFHOST_EXAMPLES_PROCESS_MONITOR_H

#define PROCESS_MONITOR_COMMAND_MAX 2048 /* bytes of command line kept (longer ones are cut) */
#define PROCESS_MONITOR_IMAGE_MAX 1024   /* bytes of image path kept (a longer one is left out) */

struct process_monitor_event {
    uint64_t process_id;
    uint64_t parent_process_id;
    uint64_t creating_process_id;
    uint64_t creating_thread_id;
    uint64_t creation_time; /* FILETIME */
    uint64_t exit_time;     /* FILETIME, deletes only */
    uint32_t exit_code;     /* deletes only */
    uint32_t uid;
    uint32_t gid;
    uint8_t operation;      /* process_operation_t */
    uint8_t command_line_truncated;
    uint16_t command_line_len;
    uint16_t image_path_len;
    uint16_t reserved;
    char strings[PROCESS_MONITOR_COMMAND_MAX + PROCESS_MONITOR_IMAGE_MAX];
};

/* Bytes before the strings. */
#define PROCESS_MONITOR_EVENT_HEADER_SIZE ((uint64_t)__builtin_offsetof(struct process_monitor_event, strings))

#endif
