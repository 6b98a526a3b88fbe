/*
 * What the files of the ext layer that look into a thread stopped in an
 * exec share; not for other layers. One job each:
 *   target_mem.c   reading the exec's arguments from the thread's memory
 *   target_path.c  resolving a path as the thread would
 *   exec_chain.c   the files one exec opens for execution, in turn
 *   exec_elf.c     what an ELF image says: its interpreter, whether it is ld.so
 *   exec_args.c    which exec a stopped thread is in (/proc/TID/syscall)
 *   exec_name.c    a name an exec gave, as its own process means it
 * Both enforcing sources use them: the supervised tree (seccomp) and the
 * fanotify source; the observing sources that resolve a script's name
 * after the fact (audit, tracepoint) use exec_name.c.
 */
#ifndef BPFHOST_EXT_EXEC_TARGET_H
#define BPFHOST_EXT_EXEC_TARGET_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ext/internal.h" /* ext_target_read(), ext_target_string() */

/* ------------------------------------------------------------------------ */
/* target_mem.c                                                             */

/*
 * Bytes of the joined command line kept: the kernel's default ARG_MAX (a
 * quarter of an 8 MiB stack); and arguments read: what fits in that with
 * their pointers (an exec with more is cut, as one with a longer command
 * line, and the sources fail it: reading millions of empty strings would
 * hold the exec, under fanotify every exec, for seconds).
 */
enum { EXT_COMMAND_LINE_MAX = 2 << 20, EXT_ARGC_MAX = (2 << 20) / 8 };

/*
 * Reads the argv array at addr (pointers of ptr_size bytes) and joins its
 * strings with single spaces into buf (cap bytes, not NUL-terminated).
 * Returns the length (*truncated if cap bytes or EXT_ARGC_MAX arguments
 * were reached), or -errno (-EFAULT: a bad address, as the exec itself
 * will find).
 */
long ext_target_argv(pid_t pid, uint64_t addr, unsigned ptr_size, char *buf, size_t cap, bool *truncated);
/* Reads string i of the argv-style array at addr into buf (NUL-terminated): its length, -ENOENT past the end, or -errno. */
long ext_target_vector_at(pid_t pid, uint64_t addr, unsigned ptr_size, size_t i, char *buf, size_t cap);
/*
 * The image an exec of path by thread tid of process tgid (relative to its
 * dirfd, AT_FDCWD: its cwd; flags AT_EMPTY_PATH / AT_SYMLINK_NOFOLLOW as
 * execveat takes them) will run, symbolic links resolved, into out: 0
 * (the path as written if we may not look up what the target can), or
 * -errno. With fd not NULL, *fd is the file opened with O_PATH (or -1).
 */
int ext_target_image(pid_t tgid, pid_t tid, int dirfd, const char *path, int flags, char *out, size_t cap, int *fd);
/* Whether ext_target_image()'s error is the one the exec itself will fail with (ENOENT, ENOTDIR, ...). */
bool ext_target_exec_fails_with(int err);

/* ------------------------------------------------------------------------ */
/* exec_name.c                                                              */

/*
 * name (absolute) as process tgid means it, for a lookup made from another
 * process: a name of that process' own files (/dev/fd/N, /dev/std*,
 * /proc/self/, /proc/thread-self/) into out through /proc/<tgid>/ (true),
 * never through the caller's; false for other names (out untouched).
 */
bool ext_exec_name_in_proc(uint32_t tgid, const char *name, char *out, size_t cap);

/* ------------------------------------------------------------------------ */
/* target_path.c                                                            */

/* path (see ext_target_image()) opened with O_PATH as thread tid resolves it; fd or -errno. */
int ext_target_path_open(pid_t tgid, pid_t tid, int dirfd, const char *path, int flags);
/*
 * Until ext_target_root_release(), lookups of thread tid by the calling
 * thread (ext_target_path_open(), so ext_target_image() and the exec
 * chain's) start from tid's root opened once, here. Only while tid is
 * stopped in the exec they are for: its root is then the one its exec
 * resolves from (but for another thread of its process calling chroot()
 * meanwhile, as between any two lookups).
 */
void ext_target_root_hold(pid_t tid);
/* Closes the root ext_target_root_hold() opened, if any. */
void ext_target_root_release(void);

/* ------------------------------------------------------------------------ */
/* exec_args.c                                                              */

/* What one execve/execveat asks for: addresses in the thread's memory. */
struct ext_exec_args {
    pid_t tid, tgid;
    bool at;            /* execveat: dirfd and flags count */
    int dirfd, flags;
    uint64_t path, argv, envp;
    unsigned ptr_size;  /* 4 for the 32-bit ABIs (i386, x32) */
};

/*
 * The exec thread tid of process tgid is stopped in, from
 * /proc/TID/syscall (execve and execveat of x86-64, i386 and x32): 0, or
 * -errno (-ENOEXEC: it is in no exec system call, e.g. an exec the kernel
 * started itself; -EBUSY: it did not go to sleep by CLOCK_MONOTONIC until_ns).
 * *syscall_fd: that file kept open from an earlier call for the same tid
 * (-1: none); the file read is left there for the next (the caller closes it).
 */
int ext_exec_args_read(pid_t tgid, pid_t tid, uint64_t until_ns, int *syscall_fd, struct ext_exec_args *args);

/* ------------------------------------------------------------------------ */
/* exec_elf.c                                                               */

/* The PT_INTERP path of the ELF image open as fd (head: its first len bytes) into path; false if none. */
bool ext_elf_interpreter(int fd, const unsigned char *head, size_t len, char *path, size_t cap);
/* Whether the ELF image open as fd (head: its first len bytes) is an ELF interpreter (ld.so). */
bool ext_elf_is_loader(int fd, const unsigned char *head, size_t len);

/* ------------------------------------------------------------------------ */
/* exec_chain.c                                                             */

/* Files one exec opens: the program, up to 4 nested "#!" interpreters (the kernel's limit), ld.so, a loaded program. */
enum { EXT_EXEC_CHAIN_MAX = 7 };

/* One file an exec opens for execution (or has ld.so load). */
struct ext_exec_file {
    uint32_t kind;   /* process_image_kind_t */
    int cause;       /* index of the file whose exec led here, -1 for the program */
    int fd;          /* O_PATH, -1 if the file was not found */
    dev_t dev;
    ino_t ino;
    mode_t mode;
    char path[PATH_MAX]; /* the path the source shows: resolved, or as written if not found */
    char file[64];       /* "/proc/PID/task/TID/fd/N": opens the file itself from any thread ("" without fd) */
};

struct ext_exec_chain {
    struct ext_exec_file files[EXT_EXEC_CHAIN_MAX];
    size_t count;
    char fd_dir[48];     /* "/proc/PID/task/TID/fd/" of the thread that built it */
};

/*
 * The chain of an exec whose program is open as program_fd (O_PATH, taken
 * over) at path: the program, each "#!" interpreter, the ELF interpreter
 * of the last one, and, if the program is an ELF interpreter run directly
 * ("ld.so [OPTIONS] PROGRAM", read from args when not NULL), the program
 * it will load. Interpreters are resolved as the kernel resolves them in
 * thread tid (its root, its cwd). Never fails: what cannot be read or
 * found ends the chain (or shows as its path as written, fd -1).
 */
void ext_exec_chain_build(struct ext_exec_chain *c, pid_t tgid, pid_t tid, int program_fd, const char *path,
                          const struct ext_exec_args *args);
/*
 * The same chain, followed only as far as the file opened (its stat) and
 * what that file loads: the index of that file, its first in the chain,
 * or -1 (then the chain is whole). What an exec open shows is the same as
 * with the whole chain; the files after it are not looked up.
 */
int ext_exec_chain_follow_to(struct ext_exec_chain *c, pid_t tgid, pid_t tid, int program_fd, const char *path,
                             const struct ext_exec_args *args, const struct stat *opened);
/* Closes the chain's files. */
void ext_exec_chain_close(struct ext_exec_chain *c);
/* The index of the file (dev, ino) in the chain, or -1. */
int ext_exec_chain_find(const struct ext_exec_chain *c, dev_t dev, ino_t ino);

/*
 * The create event of an exec by thread tid of process tgid (info: the
 * process before the exec) with its command line (strings point into the
 * arguments), of kind program with no image yet; ext_exec_event_image()
 * names the file.
 */
void ext_exec_event(struct ext_process_event *ev, pid_t tgid, pid_t tid, const struct ext_proc_info *info,
                    const char *command_line, size_t command_len);
/* Names file f of chain c as ev's image: kind, device, inode, path, cause and the file to hash. */
void ext_exec_event_image(struct ext_process_event *ev, const struct ext_exec_chain *c, const struct ext_exec_file *f);

#endif
