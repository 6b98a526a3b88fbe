/*
 * The records the kernel program of the tracepoint source
 * (tracepoints.bpf.c) sends to the host (source_tracepoint.c) through its
 * ring buffer. Shared by both sides: plain fixed-width types only.
 *
 * One exec sends, from the exec'ing thread before it returns to user space,
 * its parts (TP_EXEC_PATH records, TP_EXEC_ARGS chunks of its argv as the
 * kernel laid it out, NUL-separated) and then TP_EXEC, which says how many
 * bytes of argv there are. Other CPUs' records may come between them; an
 * exec's own come in order, before anything its process does next.
 */
#ifndef BPFHOST_EXT_TRACEPOINT_RECORD_H
#define BPFHOST_EXT_TRACEPOINT_RECORD_H

#include <linux/types.h>

enum tp_record_type {
    TP_FORK = 1,      /* a new process (not a thread): tgid the child, parent its parent */
    TP_EXIT = 2,      /* a process' last thread exits: value is its exit code (wait status) */
    TP_EXEC_PATH = 3, /* a path of the exec in data: value is a tp_path_kind */
    TP_EXEC_ARGS = 4, /* argv bytes [value, value + len) in data */
    TP_EXEC = 5,      /* the exec, after its parts: tid the thread that called it, args_len argv's bytes */
};

enum tp_path_kind {
    TP_PATH_EXE = 0,  /* the file the process now runs (for a script, its interpreter) */
    TP_PATH_NAME = 1, /* the file as the exec named it */
    TP_PATH_CWD = 2,  /* the working directory, sent when the name is relative */
};

enum tp_flags {
    TP_ARGS_CUT = 1,      /* argv is longer than TP_ARGS_MAX */
    TP_PATH_CUT = 2,      /* a path was longer than the kernel program walks */
    TP_PARTS_LOST = 4,    /* the ring was full for a part */
    TP_UNREADABLE = 8,    /* argv could not be read */
    TP_INTERPRETED = 16,  /* the named file is run by an interpreter (a #! script, binfmt_misc) */
};

enum {
    TP_CHUNK = 16384,         /* data bytes of one record */
    TP_ARGS_MAX = 2 << 20,    /* argv bytes sent (the host's command line bound) */
    TP_PATH_BUF = 4096,       /* bytes of a path walked */
    TP_NAME_MAX = 255,        /* bytes of one path component */
    TP_PATH_DEPTH = 64,       /* components of a path walked */
    TP_RING_BYTES = 16 << 20, /* the ring buffer */
};

struct tp_record {
    __u32 type;     /* enum tp_record_type */
    __u32 tgid;     /* the process */
    __u32 tid;      /* exec: the thread that called execve; fork, exit: the process (tgid) */
    __u32 parent;   /* the parent process (fork, exec, exit) */
    __u64 time_ns;  /* CLOCK_MONOTONIC */
    __u32 value;    /* see enum tp_record_type */
    __u32 len;      /* bytes of data */
    __u32 flags;    /* enum tp_flags (TP_EXEC; TP_PATH_CUT on a TP_EXEC_PATH) */
    __u32 uid, gid; /* real ids (TP_EXEC) */
    __u32 args_len; /* TP_EXEC */
    __u64 dev, ino; /* TP_EXEC: the file run; dev as the kernel encodes it (major << 20 | minor) */
    char comm[16];  /* TP_EXEC, TP_EXIT */
};                  /* followed by len bytes of data */

#endif
