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
#include "ext/exec_target.h"

/* The kernel reads a "#!" line from the first BINPRM_BUF_SIZE bytes. */
enum { BINPRM_BUF_SIZE = 256, LOADER_ARGS = 64, ARG_BYTES = 4096 };

/*
 * A "#!" line as binfmt_script reads it: the interpreter after "#!" and
 * blanks up to a blank or the line's end, then the optional argument: the
 * rest of the line without surrounding blanks. false if none.
 */
static bool script_line(const char *head, size_t len, char *interp, size_t cap, char *arg, size_t arg_cap)
{
    const char *end = memchr(head, '\n', len);
    len = end ? (size_t)(end - head) : len;
    size_t i = 2;
    while (i < len && (head[i] == ' ' || head[i] == '\t'))
        i++;
    size_t start = i;
    while (i < len && head[i] != ' ' && head[i] != '\t' && head[i] != '\0')
        i++;
    if (i == start || i - start >= cap)
        return false;
    memcpy(interp, head + start, i - start);
    interp[i - start] = '\0';
    while (i < len && (head[i] == ' ' || head[i] == '\t'))
        i++;
    size_t arg_end = len;
    const char *nul = memchr(head + i, '\0', len - i);
    if (nul)
        arg_end = (size_t)(nul - head);
    while (arg_end > i && (head[arg_end - 1] == ' ' || head[arg_end - 1] == '\t'))
        arg_end--;
    size_t n = arg_end - i < arg_cap - 1 ? arg_end - i : arg_cap - 1;
    memcpy(arg, head + i, n);
    arg[n] = '\0';
    return true;
}

/* Opens the O_PATH file fd (of the calling thread's file table) for reading; fd or -errno. */
static int open_readable(int opath_fd)
{
    char link[48];
    snprintf(link, sizeof(link), "/proc/thread-self/fd/%d", opath_fd);
    int fd = open(link, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

/* Appends a file to the chain (fd: O_PATH, taken over, or -1); false when full. */
static bool add_file(struct ext_exec_chain *c, uint32_t kind, int cause, int fd, const char *path)
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
    ssize_t n = fd >= 0 ? readlink(link, f->path, sizeof(f->path) - 1) : -1;
    if (n > 0 && (size_t)n < sizeof(f->path) - 1)
        f->path[n] = '\0';
    else
        snprintf(f->path, sizeof(f->path), "%s", path);
    if (fd >= 0 && fstat(fd, &st) == 0) {
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        /* Named by this thread's id: the fanotify reader's file table is its own. */
        snprintf(f->file, sizeof(f->file), "/proc/%d/task/%d/fd/%d", (int)getpid(), (int)gettid(), fd);
    }
    return true;
}

/* ld.so's arguments after its own name, as far as we read them. */
struct loader_argv {
    char *items[LOADER_ARGS];
    size_t count;
    bool complete; /* every argument is in items */
};

static void loader_argv_push(struct loader_argv *v, const char *s)
{
    if (v->count < LOADER_ARGS && (v->items[v->count] = strdup(s)))
        v->count++;
    else
        v->complete = false;
}

static void loader_argv_free(struct loader_argv *v)
{
    for (size_t i = 0; i < v->count; i++)
        free(v->items[i]);
}

/* Appends the exec's argv from index first on (as far as LOADER_ARGS goes). */
static void push_exec_argv(struct loader_argv *v, const struct ext_exec_args *args, size_t first)
{
    char buf[ARG_BYTES];
    for (size_t i = first;; i++) {
        long n = ext_target_vector_at(args->tid, args->argv, args->ptr_size, i, buf, sizeof(buf));
        if (n == -ENOENT)
            return;
        if (n < 0 || v->count == LOADER_ARGS) {
            v->complete = false;
            return;
        }
        loader_argv_push(v, buf);
    }
}

/*
 * The program glibc's ld.so (2.36), given argv (after its own name),
 * loads: its index, or -1 when it loads none (--help, --version, a usage
 * error such as "--"). -2 when the program lies beyond what was read.
 */
static int loader_program(const struct loader_argv *v)
{
    static const char *const flags[] = {"--list", "--verify", "--inhibit-cache"};
    static const char *const with_value[] = {"--library-path", "--inhibit-rpath", "--audit", "--preload",
                                             "--argv0", "--glibc-hwcaps-prepend", "--glibc-hwcaps-mask"};
    size_t i = 0;
    while (i < v->count) {
        const char *a = v->items[i];
        bool known = false;
        for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]) && !known; k++)
            known = strcmp(a, flags[k]) == 0;
        if (known) {
            i++;
            continue;
        }
        for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]) && !known; k++)
            known = strcmp(a, with_value[k]) == 0;
        if (known) {
            if (i + 1 >= v->count)
                return v->complete ? -1 : -2;
            i += 2;
            continue;
        }
        if (a[0] == '-' && a[1] == '-')
            return -1; /* --help, --version, --list-tunables, or a usage error ("--" too): nothing is loaded */
        break;
    }
    if (i < v->count)
        return (int)i;
    return v->complete ? -1 : -2;
}

/* Adds the program the ld.so at index at (run with argv v) loads, if any. */
static void add_loaded(struct ext_exec_chain *c, pid_t tgid, pid_t tid, int at, const struct loader_argv *v)
{
    int i = loader_program(v);
    if (i == -1)
        return;
    /* Unknown (beyond what we read): shown with no path and no file, which a policy can refuse. */
    const char *name = i >= 0 ? v->items[i] : "";
    int fd = strchr(name, '/') ? ext_target_path_open(tgid, tid, AT_FDCWD, name, 0) : -ENOENT;
    add_file(c, PROCESS_IMAGE_LOADED_PROGRAM, at, fd >= 0 ? fd : -1, name);
}

/* The arguments ld.so gets when the file at index at runs it: as the program, or as a "#!" interpreter. */
static void loader_args(const struct ext_exec_chain *c, int at, const char *script_arg, const char *path,
                        const struct ext_exec_args *args, struct loader_argv *v)
{
    v->complete = args != NULL;
    if (at > 0) { /* the kernel's argv for an interpreter: [optional argument,] the script, then argv[1..] */
        if (*script_arg)
            loader_argv_push(v, script_arg);
        loader_argv_push(v, c->files[at].cause == 0 ? path : c->files[c->files[at].cause].path);
    }
    if (args)
        push_exec_argv(v, args, 1);
}

void ext_exec_chain_build(struct ext_exec_chain *c, pid_t tgid, pid_t tid, int program_fd, const char *path,
                          const struct ext_exec_args *args)
{
    c->count = 0;
    add_file(c, PROCESS_IMAGE_PROGRAM, -1, program_fd, path);
    char script_arg[ARG_BYTES] = "";
    for (int cur = 0; c->files[cur].fd >= 0 && c->files[cur].kind != PROCESS_IMAGE_ELF_INTERPRETER;) {
        int fd = open_readable(c->files[cur].fd);
        if (fd < 0)
            return;
        char head[BINPRM_BUF_SIZE], next[PATH_MAX], arg[ARG_BYTES];
        ssize_t n = pread(fd, head, sizeof(head), 0);
        uint32_t kind = PROCESS_IMAGE_PROGRAM;
        if (n >= 2 && head[0] == '#' && head[1] == '!') {
            if (script_line(head, (size_t)n, next, sizeof(next), arg, sizeof(arg)))
                kind = PROCESS_IMAGE_SCRIPT_INTERPRETER;
        } else if (n > 0 && ext_elf_interpreter(fd, (const unsigned char *)head, (size_t)n, next, sizeof(next))) {
            kind = PROCESS_IMAGE_ELF_INTERPRETER;
        } else if (n > 0 && ext_elf_is_loader(fd, (const unsigned char *)head, (size_t)n)) {
            struct loader_argv v = {0};
            loader_args(c, cur, script_arg, path, args, &v);
            add_loaded(c, tgid, tid, cur, &v);
            loader_argv_free(&v);
        }
        close(fd);
        if (kind == PROCESS_IMAGE_PROGRAM)
            return;
        if (kind == PROCESS_IMAGE_SCRIPT_INTERPRETER)
            memcpy(script_arg, arg, sizeof(script_arg));
        int next_fd = ext_target_path_open(tgid, tid, AT_FDCWD, next, 0);
        if (!add_file(c, kind, cur, next_fd >= 0 ? next_fd : -1, next))
            return;
        cur = (int)c->count - 1;
    }
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
