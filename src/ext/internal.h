/* What the files of the ext layer share; not for other layers. */
#ifndef BPFHOST_EXT_INTERNAL_H
#define BPFHOST_EXT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>
#include <time.h>

#include "ext/ext.h"

/* Counters a source updates from its threads (see struct ext_source_stats). */
struct ext_source_counters {
    _Atomic uint64_t events, lost, denied, errors;
};

/* Runs the programs of hook on an event observed after the fact (returns deny nothing), with the deadline; counts and traces. */
void ext_dispatch_observed(struct core_hook *hook, struct ext_source_counters *counters, struct ext_process_event *ev,
                           const char *trace_prefix);
/* deadline.c: the CLOCK_MONOTONIC deadline of an event taken now (ext_process_set_deadline()). */
uint64_t ext_deadline_from_now(void);
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
    const char *prog_type; /* the type its hook runs; NULL: "process" */
    /* Starts delivering events to hook, counting into counters; 0 or -errno. */
    int (*start)(struct core_hook *hook, struct ext_source_counters *counters, void **state);
    /* Stops: returns once the source dispatches no more events and has freed state. */
    void (*stop)(void *state);
};

/* source_netlink.c: the netlink proc connector (observe). */
extern const struct ext_source_ops ext_source_netlink;
/* source_fanotify.c: fanotify FAN_OPEN_EXEC_PERM (enforce). */
extern const struct ext_source_ops ext_source_fanotify;
/* source_audit.c: the kernel's audit execve records and the proc connector (observe, exact argv). */
extern const struct ext_source_ops ext_source_audit;
/* source_tracepoint.c: a kernel eBPF program on the scheduler's tracepoints (observe, exact argv). */
extern const struct ext_source_ops ext_source_tracepoint;
/* source_system.c: fanotify's creates and the proc connector's deletes (the hook "process"). */
extern const struct ext_source_ops ext_source_system;

/* net/source_audit_bind.c: the kernel's audit bind records (observe; hook "bind"). */
extern const struct ext_source_ops ext_source_audit_bind;

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
    const char *cause_path;
    size_t cause_path_len;
    const char *image_file; /* see struct ext_process_event */
};

/*
 * accounts.c: user names by uid and the host name for the process helpers,
 * cached (at most `capacity` uids, least recently used evicted; answers,
 * also "no such user", fresh for `ttl_ms`, then given while asked again)
 * and looked up on a resolver thread, never on the caller's: a uid never
 * answered waits at most `wait_ms` after its lookup was asked.
 */
enum { EXT_ACCOUNT_TEXT_MAX = 256 }; /* the longest name given: LOGIN_NAME_MAX; host names are shorter */

/* The cache's limits; defaults: 1024 uids, 60 s, 100 ms, 1 KiB. */
struct ext_accounts_config {
    size_t capacity;       /* uids kept */
    unsigned ttl_ms;       /* how long an answer is fresh */
    unsigned wait_ms;      /* how long a caller waits for a uid never answered */
    size_t initial_buffer; /* getpwuid_r's first buffer size; doubled on ERANGE */
};

/* What the cache did since it was last configured. */
struct ext_accounts_stats {
    uint64_t hits, stale, misses; /* answers fresh, answers past their time, uids not in the cache */
    uint64_t lookups;             /* getpwuid_r calls the resolver made */
    uint64_t grown;               /* doublings of getpwuid_r's buffer on ERANGE */
    uint64_t evicted;             /* entries dropped for others */
    size_t entries, capacity, buffer_size;
};

/*
 * uid's user name into name (no NUL): its length, -ENOENT (no such user),
 * -EAGAIN (the name service has not answered in time; asked in the
 * background), -ENAMETOOLONG (longer than EXT_ACCOUNT_TEXT_MAX) or -errno.
 */
long ext_account_name(uint32_t uid, char name[EXT_ACCOUNT_TEXT_MAX]);
/* Asks for uid's name in the background unless it is cached and fresh (for sources that learn a uid early). */
void ext_account_prefetch(uint32_t uid);
/* The host name into name (no NUL): its length or -errno; read again once ttl_ms has passed. */
long ext_account_domain(char name[EXT_ACCOUNT_TEXT_MAX]);
/* Empties the cache and sets its limits (NULL: the defaults): 0, -EINVAL or -ENOMEM. */
int ext_accounts_configure(const struct ext_accounts_config *cfg);
/* Copies the cache's counters and sizes out. */
void ext_accounts_stats(struct ext_accounts_stats *stats);

/* threads.c: a mutex and a condition variable whose timed waits use CLOCK_MONOTONIC. */
void ext_monotonic_cond_init(pthread_mutex_t *mutex, pthread_cond_t *cond);
/* threads.c: the timespec of a CLOCK_MONOTONIC time in ns. */
struct timespec ext_timespec_of(uint64_t ns);
/* threads.c: wakes a thread polling the eventfd fd (a trace line starting with trace_prefix if it cannot). */
void ext_wake(int fd, const char *trace_prefix);

/* thread_slice.c: the calling thread's scheduling attributes before ext_slice_shorten(). */
struct ext_slice {
    bool changed;
    unsigned char attr[56]; /* struct sched_attr (SCHED_ATTR_SIZE_VER1) */
};
/* thread_slice.c: asks a short time slice for the calling thread (one execs wait for); what it was goes in saved. */
void ext_slice_shorten(struct ext_slice *saved);
/* thread_slice.c: gives the calling thread back what ext_slice_shorten() saved. */
void ext_slice_restore(const struct ext_slice *saved);

/* json_event.c: reading the JSON simulated events of every extension. */
struct json_object;
/* Writes the message into err; returns -EINVAL. */
int ext_json_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The object the whole text holds (nothing after it but blanks); NULL after a message. */
struct json_object *ext_json_parse_object(const char *json, char *err, size_t errlen);
/* The unsigned integer v of at most max, or -EINVAL naming the field. */
int ext_json_uint(const char *name, struct json_object *v, uint64_t max, uint64_t *out, char *err, size_t errlen);
/* The string v (with no NUL inside), or -EINVAL naming the field. */
int ext_json_string(const char *name, struct json_object *v, const char **out, char *err, size_t errlen);
/* v as one of count names (values[i], or i when values is NULL) or as a number of at most max; -EINVAL naming
 * the field and the names otherwise. */
int ext_json_named(const char *name, struct json_object *v, const char *const *names, const uint64_t *values,
                   size_t count, uint64_t max, uint64_t *out, char *err, size_t errlen);

/* process_type.c: registers the process program type (once). */
int ext_process_type_register(void);

/* process_json.c: the process type's context_from_json (see struct core_prog_type). */
int ext_process_context_from_json(const char *json, struct core_test_input *in, char *err, size_t errlen);

/* target_read.c: the system's page size. */
size_t ext_page_size(void);
/* Reads up to len bytes at addr of process pid, page by page: bytes read (up to the first unreadable page), or -errno if none. */
ssize_t ext_target_read(pid_t pid, uint64_t addr, void *buf, size_t len);
/* Reads the NUL-terminated string at addr into buf: its length, -ENAMETOOLONG if cap is reached, or -errno (-EFAULT: a bad address). */
long ext_target_string(pid_t pid, uint64_t addr, char *buf, size_t cap);

#endif
