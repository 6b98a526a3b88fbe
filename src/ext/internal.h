/* What the files of the ext layer share; not for other layers. */
#ifndef BPFHOST_EXT_INTERNAL_H
#define BPFHOST_EXT_INTERNAL_H

#include <stdatomic.h>

#include "ext/ext.h"

/* Counters a source updates from its threads (see struct ext_source_stats). */
struct ext_source_counters {
    _Atomic uint64_t events, lost, denied, errors;
};

/* Adds a dispatch's outcome to the counters. */
void ext_counters_add(struct ext_source_counters *c, const struct ext_process_verdict *v);
/* Copies the counters out. */
void ext_counters_read(const struct ext_source_counters *c, struct ext_source_stats *stats);

/*
 * A system-wide event source: started when the first link attaches to its
 * hook, stopped when the last one detaches. Both run with the core's hook
 * registry locked, so they must call no core_hook_* function themselves
 * (their threads call core_hook_invoke() through ext_process_dispatch(),
 * which is fine, and stop may wait for those threads).
 */
struct ext_source_ops {
    const char *hook_name;
    /* Starts delivering events to hook, counting into counters; 0 or -errno. */
    int (*start)(struct core_hook *hook, struct ext_source_counters *counters, void **state);
    /* Stops: returns once the source dispatches no more events and has freed state. */
    void (*stop)(void *state);
};

/* source_netlink.c: the netlink proc connector (observe). */
extern const struct ext_source_ops ext_source_netlink;
/* source_fanotify.c: fanotify FAN_OPEN_EXEC_PERM (enforce). */
extern const struct ext_source_ops ext_source_fanotify;

/* sources.c: registers the hook of a system-wide source (once). */
int ext_source_register(const struct ext_source_ops *ops);

/*
 * What a process program runs on: the context, then what its helpers
 * answer from. Helpers find it from the context pointer.
 */
struct ext_process_run {
    process_md_t md;
    const char *image_path;
    size_t image_path_len;
};

/* process_type.c: registers the process program type (once). */
int ext_process_type_register(void);

/* process_json.c: the process type's context_from_json (see struct core_prog_type). */
int ext_process_context_from_json(const char *json, struct core_test_input *in, char *err, size_t errlen);

#endif
