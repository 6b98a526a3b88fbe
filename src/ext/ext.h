/*
 * ext — extensions: program types and hooks on real operating-system
 * events. Each extension registers a program type with the core and owns
 * the event sources that feed its hooks.
 *
 * The process extension (ntosebpfext on Windows): program type "process",
 * context process_md_t of include/ebpf_ntos_hooks.h, helpers
 * bpf_process_get_image_path / _account_name / _account_domain. Event
 * sources, one hook each; attaching to a hook picks the source:
 *
 *   hook "process"              system-wide: creates that can be denied, with their
 *                               argv (fanotify), and deletes (proc connector)
 *   hook "process/fanotify"     system-wide enforcement only (fanotify FAN_OPEN_EXEC_PERM)
 *   hook "process/audit"        system-wide observation, exact argv (kernel audit + proc connector)
 *   hook "process/netlink"      system-wide observation (netlink proc connector, /proc)
 *   hook "process/tracepoint"   system-wide observation, exact argv (a kernel eBPF program
 *                               on the scheduler's tracepoints)
 *   hook "process/supervised/N" one supervised command tree (seccomp user notification)
 *
 * The network extension (netebpfext's bind hook): program type "bind",
 * context bind_md_t of include/ebpf_nethooks.h, no helpers of its own.
 *
 *   hook "bind"                 system-wide observation (kernel audit bind records)
 *   hook "bind/supervised/N"    the binds of a supervised command tree: deny, redirect
 *
 * A system-wide source starts with the first link attached to its hook and
 * stops with the last one detached. A supervised tree is run by
 * ext_supervisor_run(). Simulated events go through core_test_run() (the
 * type's context_create, see ext_process_test_input()).
 *
 * Errors are negative errno values. Layer 7: includes core and below.
 */
#ifndef BPFHOST_EXT_H
#define BPFHOST_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "ebpf_nethooks.h"
#include "ebpf_ntos_hooks.h"

/* Registers every built-in program type and system-wide hook (idempotent, thread-safe). */
int ext_register_builtin(void);

/* ------------------------------------------------------------------------ */
/* The process program type.                                                */

enum {
    EXT_PROCESS_TYPE_ID = 1000, /* BPF_PROG_TYPE_PROCESS */
    EXT_PROCESS_HELPER_GET_IMAGE_PATH = 0x10000,
    EXT_PROCESS_HELPER_GET_ACCOUNT_NAME = 0x10001,
    EXT_PROCESS_HELPER_GET_ACCOUNT_DOMAIN = 0x10002,
    EXT_PROCESS_HELPER_GET_CAUSE_PATH = 0x10100,
    EXT_PROCESS_HELPER_GET_IMAGE_SHA256 = 0x10101,
};

/* Bytes of a SHA-256 digest. */
#define EXT_SHA256_SIZE 32

/* Names of the system-wide hooks. */
#define EXT_PROCESS_HOOK "process"
#define EXT_PROCESS_HOOK_FANOTIFY "process/fanotify"
#define EXT_PROCESS_HOOK_AUDIT "process/audit"
#define EXT_PROCESS_HOOK_NETLINK "process/netlink"
#define EXT_PROCESS_HOOK_TRACEPOINT "process/tracepoint"
/* Prefix of the supervised trees' hooks. */
#define EXT_PROCESS_HOOK_SUPERVISED "process/supervised/"

/* Whether a denial on the process hook of that name stops the create (false for the observing hooks). */
bool ext_process_hook_can_deny(const char *hook_name);

/* The program type (registered by ext_register_builtin()). */
const struct core_prog_type *ext_process_type(void);

/*
 * One process event as a source reports it. md is the context programs get
 * (command_start/command_end are set from command_line at dispatch);
 * strings need not be NUL-terminated; NULL means unknown (empty).
 */
struct ext_process_event {
    process_md_t md;
    const char *command_line;
    size_t command_line_len;
    const char *image_path;
    size_t image_path_len;
    const char *cause_path; /* the file whose exec led to the image (see process_image_kind_t) */
    size_t cause_path_len;
    /* NUL-terminated path that opens the image file itself from the
     * dispatching thread (e.g. "/proc/self/fd/N"), for its digest; NULL: none. */
    const char *image_file;
    struct core_task task; /* who caused it: the creator of a create, the exiting process of a delete */
    /* CLOCK_MONOTONIC ns at which running programs are stopped (EXEC_ERR_DEADLINE); 0: none. */
    uint64_t deadline_ns;
    /* A create whose command line could not be read: the programs run on it without one, and a link
     * attached fail-closed denies it (what a program cannot see, it cannot check). */
    bool command_line_unread;
};

/* Fills md's account fields for uid and gid: uid, gid and the SID S-1-22-1-<uid>. */
void ext_process_set_account(process_md_t *md, uint32_t uid, uint32_t gid);

/* The outcome of one event's dispatch. */
struct ext_process_verdict {
    int programs;         /* how many programs ran */
    int denials;          /* how many returned non-zero on a create */
    int errors;           /* how many stopped with an error (a fault, the deadline) */
    int failed_closed;    /* of those, on a create, how many were attached fail-closed (each denies) */
    int late;             /* of those, how many were stopped at the event's deadline */
    bool denied;          /* the create is to be denied */
};

/*
 * Attach parameters of a process program (core_hook_attach()'s params;
 * without them the defaults). A program that faults (a bad memory access,
 * its instruction budget spent) has no return value: by default the create
 * goes on as if it had returned 0 (fail-open: a broken policy does not stop
 * every exec); EXT_PROCESS_FAIL_CLOSED makes its fault deny the create.
 */
struct ext_process_link_opts {
    uint32_t flags;
};
enum { EXT_PROCESS_FAIL_CLOSED = 1 };

/*
 * Runs every program attached to hook on ev, in attach order: every program
 * sees every event; on a create any non-zero return denies it, and so does
 * the fault of a program attached fail-closed; on a delete returns are
 * ignored. Each non-zero return on a create counts as a vote to deny in the
 * program's deny_count (core_prog_info), on every hook. Returns programs
 * run, or -errno.
 */
int ext_process_dispatch(struct core_hook *hook, const struct ext_process_event *ev,
                         struct ext_process_verdict *verdict);

/*
 * The test-run input for an event (what core_test_run() takes for a
 * process program): ctx is ev->md; data is the command line, then, if
 * there is an image or cause path, one NUL byte and the image path, then,
 * if there is a cause path, one NUL byte and the cause path. A test run's
 * image file (for its digest) is the image path on this host. Returns the
 * data's size (written into data, malloc'd, to be freed), or -ENOMEM.
 */
long ext_process_test_input(const struct ext_process_event *ev, uint8_t **data);

/*
 * Parses a simulated event from a JSON object naming process_md_t's fields
 * by their C names ("operation": "create"/"delete" or 0/1, "process_id",
 * "parent_process_id", "creating_process_id", "creating_thread_id",
 * "creation_time", "exit_time", "process_exit_code", "uid", "gid",
 * "image_kind" (a number or "program", "script_interpreter",
 * "elf_interpreter", "loaded_program"), "image_device", "image_inode") plus
 * "command_line", "image_path" and "cause_path" strings; absent fields are zero. The
 * event's strings point into *storage (malloc'd, to be freed by the
 * caller). Returns 0, or -EINVAL with the reason (naming the field) in err.
 */
int ext_process_event_from_json(const char *json, struct ext_process_event *ev, char **storage, char *err,
                                size_t errlen);

/* ------------------------------------------------------------------------ */
/* The bind program type (eBPF for Windows' netebpfext bind hook).          */

enum { EXT_BIND_TYPE_ID = BPF_PROG_TYPE_BIND };

/* The system-wide hook (observe: kernel audit) and the prefix of the supervised trees' hooks. */
#define EXT_BIND_HOOK "bind"
#define EXT_BIND_HOOK_SUPERVISED "bind/supervised/"

/* The program type (registered by ext_register_builtin()). */
const struct core_prog_type *ext_bind_type(void);

/* One bind event as a source reports it: md is the context (app_id_start/end are set from app_id at dispatch). */
struct ext_bind_event {
    bind_md_t md;
    const char *app_id; /* the process's image path, not NUL-terminated; NULL: unknown */
    size_t app_id_len;
    struct core_task task;
    uint64_t deadline_ns; /* CLOCK_MONOTONIC ns at which running programs are stopped; 0: none */
};

/* The outcome of one bind event's dispatch. */
struct ext_bind_verdict {
    int programs;      /* how many programs ran */
    int denials;       /* how many returned BIND_DENY on a BIND */
    int redirects;     /* how many returned BIND_REDIRECT on a BIND */
    int errors;        /* how many stopped with an error (a fault, the deadline) */
    int failed_closed; /* of those, on a BIND, how many were attached fail-closed (each denies) */
    int late;          /* of those, how many were stopped at the deadline */
    bool denied;       /* the bind is to fail with EACCES (any denial wins over a redirect) */
    bool redirected;   /* the bind is to go to the address in redirect (the first program's that redirected) */
    bind_md_t redirect;
};

/*
 * Runs every program attached to hook on ev, in attach order, each on the
 * event's own address (a program's rewrite is seen by no other). On a BIND,
 * BIND_DENY denies, and so does the fault of a program attached
 * fail-closed (struct ext_process_link_opts, EXT_PROCESS_FAIL_CLOSED);
 * BIND_REDIRECT takes the address the program left in its context; any
 * other return is a permit. Returns programs run, or -errno.
 */
int ext_bind_dispatch(struct core_hook *hook, const struct ext_bind_event *ev, struct ext_bind_verdict *verdict);

/*
 * Parses a simulated bind event from a JSON object: "operation" ("bind",
 * "post_bind", "unbind" or 0..2), "process_id", "thread_id", "protocol" (a
 * number or "tcp", "udp"), "socket_type" (a number or "stream", "dgram"),
 * "bind_error", "address" (IPv4 dotted or IPv6 text), "port" (host order),
 * "ipv6_scope_id", "app_id"; absent fields are zero, no address is
 * 0.0.0.0. The event's app_id points into *storage (malloc'd, to be freed
 * by the caller). Returns 0, or -EINVAL with the reason (naming the field)
 * in err.
 */
int ext_bind_event_from_json(const char *json, struct ext_bind_event *ev, char **storage, char *err,
                             size_t errlen);

/* ------------------------------------------------------------------------ */
/* Event sources.                                                           */

/*
 * The deadline of a create that holds an exec (hooks "process" and
 * "process/fanotify"): the programs of one exec open get ms milliseconds
 * from when the source takes the event; a program still running then is
 * stopped (EXEC_ERR_DEADLINE), and if the dispatch has still not returned
 * (a helper blocking) the source answers without it. Such an event counts
 * in `errors`, writes a trace line, and is answered allow, or deny when
 * fail_closed. Default: EXT_DEADLINE_DEFAULT_MS, fail open. Programs on
 * the observing hooks (process/audit, process/netlink, the deletes of
 * process) are stopped at the same deadline (counted, traced).
 */
enum { EXT_DEADLINE_DEFAULT_MS = 200, EXT_DEADLINE_MAX_MS = 60000 };
struct ext_deadline {
    unsigned ms;      /* 1..EXT_DEADLINE_MAX_MS */
    bool fail_closed; /* deny a create whose programs passed the deadline */
};
/* Sets the deadline for every deny source of this process: 0, -EINVAL, or -ERANGE (ms out of range). */
int ext_process_set_deadline(const struct ext_deadline *d);
/* The deadline in force. */
void ext_process_get_deadline(struct ext_deadline *d);

/* Counters of a source (since its hook was registered). */
struct ext_source_stats {
    uint64_t events;  /* events dispatched */
    uint64_t lost;    /* events known lost (e.g. netlink buffer overruns), never silently */
    uint64_t denied;  /* creates denied */
    uint64_t errors;  /* internal errors (unreadable event, failed reply), each also on the trace pipe */
    bool running;     /* the source is started (some link attached) */
};

/* The counters of the source behind hook name: 0, or -ENOENT. */
int ext_source_stats(const char *hook, struct ext_source_stats *stats);

/*
 * A supervised command tree: a command and everything it starts run under
 * a seccomp filter whose user notifications stop every execve/execveat
 * before it happens; programs attached to the tree's hook see each exec as
 * a create (exact argv, resolved image path) and can fail it with EPERM,
 * and each exit as a delete. Needs no privilege.
 */
struct ext_supervisor;

/*
 * Creates a supervisor and its hooks, one per extension of the tree:
 * "process/supervised/N" (*hook, valid until destroyed) and
 * "bind/supervised/N" (ext_supervisor_hook()).
 */
int ext_supervisor_create(struct ext_supervisor **out, struct core_hook **hook);
/* The supervisor's hook for programs of that type ("process", "bind"), or NULL. */
struct core_hook *ext_supervisor_hook(const struct ext_supervisor *sv, const char *prog_type);
/*
 * Runs argv[0] (searched in PATH) with argv under supervision and returns
 * once the command and every process of its tree have exited; *exit_code is
 * the command's exit code, or 128+N if signal N killed it. Returns 0 or
 * -errno (the command could not be started; 127 in *exit_code if it could
 * not be executed).
 */
int ext_supervisor_run(struct ext_supervisor *sv, char *const argv[], int *exit_code);
/*
 * What became of one bind of a tree, for tools that print binds: the BIND
 * event the programs saw, their verdict, the address bound (the POST_BIND
 * event's; NULL when nothing was bound) and the call's result (0 or
 * -errno: EACCES when denied, the kernel's error when the bind failed).
 */
struct ext_bind_report {
    const struct ext_bind_event *event;
    const struct ext_bind_verdict *verdict;
    const bind_md_t *bound;
    int result;
};
typedef void ext_bind_report_fn(void *arg, const struct ext_bind_report *report);
/* Calls fn(arg, ...) (NULL: none) on a thread of the run, one call at a time, after each bind is answered. */
void ext_supervisor_on_bind(struct ext_supervisor *sv, ext_bind_report_fn *fn, void *arg);
/* The supervisor's counters (see ext_source_stats()). */
void ext_supervisor_stats(const struct ext_supervisor *sv, struct ext_source_stats *stats);
/* Unregisters the hook (detaching its links) and frees the supervisor (NULL is fine). */
void ext_supervisor_destroy(struct ext_supervisor *sv);

/* ------------------------------------------------------------------------ */
/* What the sources share: reading /proc, times.                            */

/* 100 ns intervals between 1601-01-01 and 1970-01-01 (UTC): FILETIME of the Unix epoch. */
#define EXT_FILETIME_UNIX_EPOCH 116444736000000000ull

/* FILETIME (100 ns since 1601-01-01 UTC) of a CLOCK_REALTIME time in ns. */
uint64_t ext_filetime_from_unix_ns(uint64_t unix_ns);
/* FILETIME of a CLOCK_MONOTONIC time in ns (Linux's ktime_get_ns(), e.g. proc connector timestamps). */
uint64_t ext_filetime_from_monotonic_ns(uint64_t mono_ns);
/* FILETIME now. */
uint64_t ext_filetime_now(void);
/* CLOCK_MONOTONIC now, in ns. */
uint64_t ext_monotonic_ns(void);

/* What /proc tells of a process; fields it could not read stay zero/empty. */
struct ext_proc_info {
    uint32_t ppid;
    uint32_t uid, gid;          /* real ids */
    uint64_t start_filetime;    /* when the process started (its fork) */
    char comm[16];
    char image_path[4096];      /* /proc/PID/exe; "" if unreadable */
    char command_line[8192];    /* /proc/PID/cmdline, arguments joined by spaces */
    size_t command_line_len;
};

/* Reads /proc/<pid>: 0, or -ENOENT if the process is gone. */
int ext_proc_read(uint32_t pid, struct ext_proc_info *info);
/* Reads only the ids, times and comm of /proc/<pid> (image path and command line left empty): 0 or -ENOENT. */
int ext_proc_read_ids(uint32_t pid, struct ext_proc_info *info);

/* The thread group (process) of thread tid (a pidfd's PIDFD_GET_INFO, else /proc/<tid>/status): the tgid, or -errno (-ESRCH without one). */
int ext_proc_tgid(uint32_t tid);
/*
 * The process of thread tid in one pass: *tgid and the thread's real ids
 * (a pidfd's PIDFD_GET_INFO, else /proc/<tid>/status), ppid, start time
 * and comm from /proc/<tgid>/stat
 * (image path and command line left empty): 0, or -errno if tid is gone.
 */
int ext_proc_read_thread(uint32_t tid, uint32_t *tgid, struct ext_proc_info *info);
/* As ext_proc_read_thread() for process pid through pidfd, a pidfd of it: 0, or -errno (-ENOTTY: no PIDFD_GET_INFO). */
int ext_proc_read_leader(int pidfd, uint32_t pid, struct ext_proc_info *info);
/*
 * Files naming one thread and its process (a pidfd, /proc/<tgid>/stat),
 * kept to read them again: they name a task, not a number, so once it is
 * gone they fail (and are opened afresh), never reading another task that
 * took the number.
 */
struct ext_proc_thread {
    uint32_t tid, tgid;   /* 0: none kept */
    int pidfd, stat_fd;
};
/* Nothing kept. */
void ext_proc_thread_init(struct ext_proc_thread *t);
/* Closes what t keeps. */
void ext_proc_thread_close(struct ext_proc_thread *t);
/* As ext_proc_read_thread(), through t's files when they are thread tid's and it still runs, else opened afresh into t. */
int ext_proc_read_thread_kept(struct ext_proc_thread *t, uint32_t tid, uint32_t *tgid, struct ext_proc_info *info);

/* The exit code of a wait status: the code, or 128+N for death by signal N. */
uint32_t ext_exit_code(int status);

/*
 * The SHA-256 of the file that open_path opens (read-only, a regular file
 * of at most ext_image_sha256_max_size(), 64 MiB by default) into digest (EXT_SHA256_SIZE bytes), from a cache when
 * that version of the file (device, inode, size, change time) was hashed
 * before. Returns 0, or -errno (-EAGAIN: the file changed while read).
 */
struct ext_image_hash_stats {
    bool cached; /* the digest came from the cache */
};
int ext_image_sha256(const char *open_path, uint8_t *digest, struct ext_image_hash_stats *stats);

/* Files ext_image_sha256() hashes at most, by default: larger ones give -EFBIG. */
#define EXT_IMAGE_HASH_DEFAULT_MAX (64ull << 20)
/* Sets the largest file ext_image_sha256() hashes (0: only read it); returns the value before. */
uint64_t ext_image_sha256_max_size(uint64_t bytes);

/* Joins argv-style NUL-separated strings (len bytes) with spaces in place; returns len without a trailing NUL. */
size_t ext_join_args(char *args, size_t len);

#endif
