/*
 * A bounded table pid -> what an event source learnt about a process while
 * it lived (at its fork and exec), for the event of its exit, when /proc
 * can no longer tell. Bounded in entries and bytes: when full, the oldest
 * record (least recently stored) is dropped. Not thread-safe: one owner.
 */
#ifndef BPFHOST_EXT_PID_TABLE_H
#define BPFHOST_EXT_PID_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* What is known of a process; strings need not be NUL-terminated, NULL is unknown. */
struct pid_record {
    uint32_t ppid;
    uint32_t uid, gid;
    uint64_t creation_time; /* FILETIME, 0 if unknown */
    char comm[16];
    uint64_t exe_device, exe_inode; /* the ELF file it runs (its /proc/PID/exe), 0 if unknown */
    const char *image_path;
    size_t image_path_len;
    const char *command_line;
    size_t command_line_len;
};

struct pid_table;

/* Creates a table of at most max_entries records and max_bytes of memory for them; 0 or -ENOMEM. */
int pid_table_create(size_t max_entries, size_t max_bytes, struct pid_table **out);
/* Frees the table and its records (NULL is fine). */
void pid_table_destroy(struct pid_table *t);
/* Stores a copy of rec (its strings too) for pid, replacing pid's record, dropping the oldest beyond the bounds; 0 or -ENOMEM. */
int pid_table_put(struct pid_table *t, uint32_t pid, const struct pid_record *rec);
/* The record of pid (valid until the next put or remove), or NULL. */
const struct pid_record *pid_table_get(const struct pid_table *t, uint32_t pid);
/* Forgets pid's record, if any. */
void pid_table_remove(struct pid_table *t, uint32_t pid);

#endif
