/* What tests/ext/process/progs/supervise_record.c writes to its ring buffer for each
 * event, and what supervise_deny.c reads from its config map; shared with
 * tests/ext/process/test_supervisor.c. */
#ifndef BPFHOST_TESTS_EXT_SUPERVISE_EVENT_H
#define BPFHOST_TESTS_EXT_SUPERVISE_EVENT_H

enum { SUPERVISE_TEXT_MAX = 256 };

struct supervise_event {
    uint32_t operation;
    uint32_t exit_code;
    uint64_t process_id, parent_process_id, creating_process_id, creating_thread_id;
    uint64_t creation_time, exit_time;
    uint32_t uid, gid;
    uint32_t command_len; /* the whole length; at most SUPERVISE_TEXT_MAX - 1 bytes kept */
    int32_t image_len;    /* bpf_process_get_image_path's result */
    uint32_t image_kind;
    int32_t cause_len;    /* bpf_process_get_cause_path's result */
    uint64_t image_device, image_inode;
    char command[SUPERVISE_TEXT_MAX];
    char image[SUPERVISE_TEXT_MAX];
    char cause[SUPERVISE_TEXT_MAX];
};

/* A deny rule: image paths equal to path (or starting with it if prefix). */
struct supervise_rule {
    uint32_t len;
    uint32_t prefix;
    char path[SUPERVISE_TEXT_MAX];
};

#endif
