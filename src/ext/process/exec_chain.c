/*
 * The files one exec opens for execution, in turn, so that a policy sees
 * every one of them (a rule on a file holds whichever way it is reached):
 * the program the exec names; for a "#!" script its interpreter (which
 * may be a script again, up to the kernel's depth); for a dynamic ELF
 * program its ELF interpreter (ld.so). And one file the kernel never
 * opens for execution: when the program (or a "#!" interpreter) is ld.so
 * run directly, "ld.so [OPTIONS] PROGRAM", ld.so maps PROGRAM with open
 * and mmap, so that program is added as what the exec really runs.
 *
 * Interpreters are looked up as the kernel does, in the exec'ing thread:
 * from its root, or its cwd for a relative path; so is the program ld.so
 * loads when its name has a '/'. A name without one, glibc's ld.so looks
 * up in /etc/ld.so.cache only (root's list of libraries; libc.so.6 runs
 * that way): we do not read the cache, so such a program is shown by its
 * name, with no file (its digest cannot be taken; a policy can refuse
 * that).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebpf_ntos_hooks.h"
#include "ext/process/exec_target.h"

/* The kernel reads a "#!" line from the first BINPRM_BUF_SIZE bytes. */
enum { BINPRM_BUF_SIZE = 256, LOADER_ARGS_MAX = 65536 };
/* Bytes of each file of the chain read at once: its "#!" line, or its ELF and program headers and
 * PT_INTERP when they lie there (one read instead of three, for most images). */
enum { HEAD_READ = 2048 };

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Index of the first byte of b[from..to] (inclusive) that is not blank, or -1. */
static int first_non_blank(const char *b, int from, int to)
{
    for (int i = from; i <= to; i++)
        if (!blank(b[i]))
            return i;
    return -1;
}

/* Index of the first blank or NUL of b[from..to] (inclusive), or -1. */
static int first_terminator(const char *b, int from, int to)
{
    for (int i = from; i <= to; i++)
        if (blank(b[i]) || !b[i])
            return i;
    return -1;
}

/*
 * A "#!" line exactly as the kernel's binfmt_script reads it from the
 * file's first BINPRM_BUF_SIZE bytes (zero-padded): any difference would
 * let a policy check another file than the kernel runs. The line ends at
 * the first newline; without one, at the last byte, and only if a blank or
 * NUL follows the interpreter's name (else the name may be cut: no exec).
 * Blanks before the end are dropped; the interpreter is the first word; the
 * optional argument starts at the next non-blank and ends at the line's end
 * or a NUL (blanks in it kept; it may be empty). false if the kernel would
 * find no interpreter.
 */
static bool script_line(const char *head, size_t len, char *interp, size_t cap, char *arg, size_t arg_cap,
                        bool *has_arg)
{
    char b[BINPRM_BUF_SIZE] = {0};
    memcpy(b, head, len < sizeof(b) ? len : sizeof(b));
    const int last = BINPRM_BUF_SIZE - 1;
    const char *newline = memchr(b, '\n', sizeof(b));
    int end;
    if (newline) {
        end = (int)(newline - b);
    } else {
        int name = first_non_blank(b, 2, last);
        if (name < 0 || first_terminator(b, name, last) < 0)
            return false;
        end = last;
    }
    while (end > 2 && blank(b[end - 1]))
        end--;
    int name = first_non_blank(b, 2, end);
    if (name < 0 || name == end)
        return false;
    int sep = first_terminator(b, name, end), at = -1;
    if (sep >= 0 && b[sep] != '\0')
        at = first_non_blank(b, sep, end);
    b[end] = '\0';
    if (at >= 0)
        b[sep] = '\0';
    size_t name_len = strlen(b + name);
    if (name_len >= cap)
        return false;
    memcpy(interp, b + name, name_len + 1);
    snprintf(arg, arg_cap, "%s", at >= 0 ? b + at : "");
    *has_arg = at >= 0; /* an empty argument is still one */
    return true;
}

/*
 * Opens file f (O_PATH, of the calling thread's file table) for reading,
 * if the kernel could execute it: a regular file with an execute bit.
 * Never anything else: opening a FIFO or a device as root has effects of
 * its own (a watchdog arms). fd or -errno.
 */
static int open_readable(const struct ext_exec_file *f)
{
    if (!S_ISREG(f->mode) || !(f->mode & 0111))
        return -EACCES;
    char link[48];
    snprintf(link, sizeof(link), "/proc/thread-self/fd/%d", f->fd);
    int fd = open(link, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

/*
 * Appends a file to the chain (fd: O_PATH, taken over, or -1; path: the
 * path as written, or with resolved the file's own path); false when full.
 */
static bool add_file(struct ext_exec_chain *c, uint32_t kind, int cause, int fd, const char *path, bool resolved)
{
    if (c->count == EXT_EXEC_CHAIN_MAX) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    struct ext_exec_file *f = &c->files[c->count++];
    *f = (struct ext_exec_file){.kind = kind, .cause = cause, .fd = fd};
    struct stat st;
    char link[48];
    snprintf(link, sizeof(link), "/proc/thread-self/fd/%d", fd);
    ssize_t n = fd >= 0 && !resolved ? readlink(link, f->path, sizeof(f->path) - 1) : -1;
    if (n > 0 && (size_t)n < sizeof(f->path) - 1)
        f->path[n] = '\0';
    else
        snprintf(f->path, sizeof(f->path), "%s", path);
    if (fd >= 0 && fstat(fd, &st) == 0) {
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->mode = st.st_mode;
        /* Named by this thread's id: the fanotify reader's file table is its own. */
        snprintf(f->file, sizeof(f->file), "%s%d", c->fd_dir, fd);
    }
    return true;
}

/*
 * ld.so's arguments after its own name: for an ld.so run as the program,
 * the exec's argv from index 1; for one run as a "#!" interpreter, the
 * kernel's: the line's argument (if any), the script, then the exec's argv
 * from index 1. Read one at a time from the exec'ing thread's memory.
 */
struct loader_args {
    const char *prefix[2];
    size_t prefix_count;
    const struct ext_exec_args *exec; /* NULL: the exec's argv is unknown */
};

/* Argument i into buf: its length, -ENOENT past the last, or -errno (unknown, or longer than cap). */
static long loader_arg(const struct loader_args *la, size_t i, char *buf, size_t cap)
{
    if (i < la->prefix_count)
        return snprintf(buf, cap, "%s", la->prefix[i]) < (int)cap ? (long)strlen(buf) : -ENAMETOOLONG;
    if (!la->exec)
        return -EIO;
    const struct ext_exec_args *e = la->exec;
    return ext_target_vector_at(e->tid, e->argv, e->ptr_size, i - la->prefix_count + 1, buf, cap);
}

enum loader_outcome { LOADS_NOTHING, LOADS_PROGRAM, LOADS_UNKNOWN };

/*
 * What glibc's ld.so (2.36) loads given its arguments: nothing (--help,
 * --version, a usage error such as "--" or an option without its value),
 * the program named in name, or something we cannot tell (an argument we
 * cannot read, or beyond LOADER_ARGS_MAX).
 */
static enum loader_outcome loader_program(const struct loader_args *la, char *name, size_t cap)
{
    static const char *const flags[] = {"--list", "--verify", "--inhibit-cache"};
    static const char *const with_value[] = {"--library-path", "--inhibit-rpath", "--audit", "--preload",
                                             "--argv0", "--glibc-hwcaps-prepend", "--glibc-hwcaps-mask"};
    for (size_t i = 0; i < LOADER_ARGS_MAX;) {
        long n = loader_arg(la, i, name, cap);
        if (n == -ENOENT)
            return LOADS_NOTHING;
        if (n < 0)
            return LOADS_UNKNOWN; /* a program's name too long for a path fails in ld.so, but say unknown */
        bool known = false;
        for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]) && !known; k++)
            known = strcmp(name, flags[k]) == 0;
        if (known) {
            i++;
            continue;
        }
        for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]) && !known; k++)
            known = strcmp(name, with_value[k]) == 0;
        if (known) {
            char value[8];
            long v = loader_arg(la, i + 1, value, sizeof(value));
            if (v == -ENOENT)
                return LOADS_NOTHING; /* ld.so takes the bare option for an unknown one: a usage error */
            if (v < 0 && v != -ENAMETOOLONG)
                return LOADS_UNKNOWN;
            i += 2;
            continue;
        }
        return name[0] == '-' && name[1] == '-' ? LOADS_NOTHING : LOADS_PROGRAM;
    }
    return LOADS_UNKNOWN;
}

/* Adds the program the ld.so at index at loads, given its arguments, if any. */
static void add_loaded(struct ext_exec_chain *c, pid_t tgid, pid_t tid, int at, const struct loader_args *la)
{
    char name[PATH_MAX];
    enum loader_outcome what = loader_program(la, name, sizeof(name));
    if (what == LOADS_NOTHING)
        return;
    /* Unknown: shown with no path and no file, which a policy can refuse. */
    if (what == LOADS_UNKNOWN)
        name[0] = '\0';
    int fd = strchr(name, '/') ? ext_target_path_open(tgid, tid, AT_FDCWD, name, 0) : -ENOENT;
    add_file(c, PROCESS_IMAGE_LOADED_PROGRAM, at, fd >= 0 ? fd : -1, name, false);
}

/* Whether file i of the chain is the file (dev, ino) of until. */
static bool is_file(const struct ext_exec_chain *c, size_t i, const struct stat *until)
{
    return until && c->files[i].fd >= 0 && c->files[i].dev == until->st_dev && c->files[i].ino == until->st_ino;
}

/* The chain, as far as the file until (NULL: to its end). */
static void build(struct ext_exec_chain *c, pid_t tgid, pid_t tid, int program_fd, const char *path,
                  const struct ext_exec_args *args, const struct stat *until)
{
    c->count = 0;
    snprintf(c->fd_dir, sizeof(c->fd_dir), "/proc/%d/task/%d/fd/", (int)getpid(), (int)gettid());
    add_file(c, PROCESS_IMAGE_PROGRAM, -1, program_fd, path, true); /* path: what program_fd resolves to */
    char script_arg[BINPRM_BUF_SIZE] = "";
    bool script_has_arg = false;
    for (int cur = 0; c->files[cur].fd >= 0 && c->files[cur].kind != PROCESS_IMAGE_ELF_INTERPRETER;) {
        int fd = open_readable(&c->files[cur]);
        if (fd < 0)
            return;
        char head[HEAD_READ], next[PATH_MAX], arg[BINPRM_BUF_SIZE];
        bool has_arg = false;
        ssize_t n = pread(fd, head, sizeof(head), 0);
        uint32_t kind = PROCESS_IMAGE_PROGRAM;
        if (n >= 2 && head[0] == '#' && head[1] == '!') {
            if (script_line(head, (size_t)n, next, sizeof(next), arg, sizeof(arg), &has_arg))
                kind = PROCESS_IMAGE_SCRIPT_INTERPRETER;
        } else if (n > 0 && ext_elf_interpreter(fd, (const unsigned char *)head, (size_t)n, next, sizeof(next))) {
            kind = PROCESS_IMAGE_ELF_INTERPRETER;
        } else if (n > 0 && ext_elf_is_loader(fd, (const unsigned char *)head, (size_t)n)) {
            struct loader_args la = {.exec = args};
            if (cur > 0) { /* a "#!" interpreter: [the line's argument,] the script, argv[1..] */
                if (script_has_arg)
                    la.prefix[la.prefix_count++] = script_arg;
                la.prefix[la.prefix_count++] = c->files[cur].cause == 0 ? path : c->files[c->files[cur].cause].path;
            }
            add_loaded(c, tgid, tid, cur, &la);
        }
        close(fd);
        /* Followed as far as asked: the file until and what it loads are in (what it leads to is not). */
        if (kind == PROCESS_IMAGE_PROGRAM || is_file(c, (size_t)cur, until))
            return;
        if (kind == PROCESS_IMAGE_SCRIPT_INTERPRETER) {
            memcpy(script_arg, arg, sizeof(script_arg));
            script_has_arg = has_arg;
        }
        int next_fd = ext_target_path_open(tgid, tid, AT_FDCWD, next, 0);
        if (!add_file(c, kind, cur, next_fd >= 0 ? next_fd : -1, next, false))
            return;
        cur = (int)c->count - 1;
    }
}

void ext_exec_chain_build(struct ext_exec_chain *c, pid_t tgid, pid_t tid, int program_fd, const char *path,
                          const struct ext_exec_args *args)
{
    build(c, tgid, tid, program_fd, path, args, NULL);
}

int ext_exec_chain_follow_to(struct ext_exec_chain *c, pid_t tgid, pid_t tid, int program_fd, const char *path,
                             const struct ext_exec_args *args, const struct stat *opened)
{
    build(c, tgid, tid, program_fd, path, args, opened);
    return ext_exec_chain_find(c, opened->st_dev, opened->st_ino);
}

void ext_exec_chain_close(struct ext_exec_chain *c)
{
    for (size_t i = 0; i < c->count; i++)
        if (c->files[i].fd >= 0)
            close(c->files[i].fd);
    c->count = 0;
}

int ext_exec_chain_find(const struct ext_exec_chain *c, dev_t dev, ino_t ino)
{
    for (size_t i = 0; i < c->count; i++)
        if (c->files[i].fd >= 0 && c->files[i].dev == dev && c->files[i].ino == ino)
            return (int)i;
    return -1;
}

void ext_exec_event(struct ext_process_event *ev, pid_t tgid, pid_t tid, const struct ext_proc_info *info,
                    const char *command_line, size_t command_len)
{
    memset(ev, 0, sizeof(*ev));
    ev->md = (process_md_t){.operation = PROCESS_OPERATION_CREATE,
                            .process_id = (uint64_t)tgid,
                            .parent_process_id = info->ppid,
                            .creating_process_id = (uint64_t)tgid,
                            .creating_thread_id = (uint64_t)tid,
                            .creation_time = info->start_filetime,
                            .image_kind = PROCESS_IMAGE_PROGRAM};
    ext_process_set_account(&ev->md, info->uid, info->gid);
    ev->command_line = command_line;
    ev->command_line_len = command_len;
    ev->task = (struct core_task){.process_id = (uint32_t)tgid, .thread_id = (uint32_t)tid, .uid = info->uid,
                                  .gid = info->gid};
    memcpy(ev->task.comm, info->comm, sizeof(ev->task.comm));
}

void ext_exec_event_image(struct ext_process_event *ev, const struct ext_exec_chain *c, const struct ext_exec_file *f)
{
    ev->md.image_kind = f->kind;
    ev->md.image_device = (uint64_t)f->dev;
    ev->md.image_inode = (uint64_t)f->ino;
    ev->image_path = f->path;
    ev->image_path_len = strlen(f->path);
    if (f->cause >= 0) {
        ev->cause_path = c->files[f->cause].path;
        ev->cause_path_len = strlen(ev->cause_path);
    }
    ev->image_file = f->file[0] ? f->file : NULL;
}
