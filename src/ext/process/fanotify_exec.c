/*
 * What one exec open of the fanotify source is. A thread's execve opens
 * several files for execution (the program, "#!" interpreters, ld.so),
 * each a FAN_OPEN_EXEC_PERM event of that thread, and every one is shown
 * to programs as a create of its own: a policy on a file holds whichever
 * way the file is reached. Which file of the exec this open is, and so
 * its image_kind and cause, comes from the exec itself: the thread still
 * waits in execve with its old memory, so its path and argv are read
 * there (/proc/TID/syscall, process_vm_readv), the program resolved as
 * the thread resolves it and the chain of files followed from it, as far
 * as the file this open is (what that file loads included). No
 * state is kept from one event to the next: an exec that failed half-way
 * leaves nothing a later exec could use.
 *
 * An open that is no file of the chain (a binfmt_misc handler, a file
 * replaced while we looked) is shown as a program with no cause, and if it
 * is ld.so, followed by a loaded program with no path and no file (what it
 * loads is unknown: a policy can refuse it); a thread in no exec system
 * call we can read (an exec the kernel starts itself, a thread outside our
 * pid namespace) gets a program with no cause and no command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ext/process/fanotify.h"

int fanotify_exec_init(struct fanotify_exec *x)
{
    memset(x, 0, sizeof(*x));
    ext_proc_thread_init(&x->thread);
    x->syscall_fd = -1;
    x->command_line = malloc(EXT_COMMAND_LINE_MAX);
    return x->command_line ? 0 : -ENOMEM;
}

/* Closes the files kept of the last thread. */
static void forget_thread(struct fanotify_exec *x)
{
    ext_proc_thread_close(&x->thread);
    if (x->syscall_fd >= 0)
        close(x->syscall_fd);
    x->syscall_fd = -1;
}

void fanotify_exec_free(struct fanotify_exec *x)
{
    forget_thread(x);
    free(x->command_line);
    x->command_line = NULL;
}

/* Reads the exec's argv and follows its chain of files as far as the opened one (x->have_args set). */
static void read_exec(struct fanotify_exec *x)
{
    const struct ext_exec_args *a = &x->args;
    long n = ext_target_argv(a->tid, a->argv, a->ptr_size, x->command_line, EXT_COMMAND_LINE_MAX, &x->truncated);
    x->command_len = n > 0 ? (size_t)n : 0;
    char path[PATH_MAX], image[PATH_MAX];
    int program_fd = -1;
    if (ext_target_string(a->tid, a->path, path, sizeof(path)) < 0)
        return;
    ext_target_root_hold(a->tid); /* the thread waits for our answer: one root for the image's and the chain's lookups */
    if (ext_target_image(a->tgid, a->tid, a->dirfd, path, a->flags, image, sizeof(image), &program_fd) == 0 &&
        program_fd >= 0)
        x->at = ext_exec_chain_follow_to(&x->chain, a->tgid, a->tid, program_fd, image, a, &x->st);
    ext_target_root_release();
}

/* Appends a create of the exec at hand (its image still to name); returns it. */
static struct ext_process_event *add_event(struct fanotify_exec *x, pid_t tgid, pid_t tid)
{
    struct ext_process_event *ev = &x->events[x->event_count++];
    ext_exec_event(ev, tgid, tid, &x->info, x->command_line, x->command_len);
    return ev;
}

/* Whether the opened file is an ELF interpreter. */
static bool opened_is_loader(const struct fanotify_exec *x)
{
    int fd = open(x->opened_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return false;
    unsigned char head[512];
    ssize_t n = pread(fd, head, sizeof(head), 0);
    bool loader = n > 0 && ext_elf_is_loader(fd, head, (size_t)n);
    close(fd);
    return loader;
}

int fanotify_exec_begin(struct fanotify_exec *x, pid_t tid, const char *event_file)
{
    x->event_count = x->command_len = x->chain.count = 0;
    x->at = -1;
    x->truncated = false;
    x->tid = tid;
    x->tgid = 0;
    snprintf(x->opened_file, sizeof(x->opened_file), "%s", event_file);
    uint32_t tgid = 0;
    if (x->thread.tid != (uint32_t)tid || tid <= 0)
        forget_thread(x); /* another thread: its syscall file too */
    int err = tid > 0 ? ext_proc_read_thread_kept(&x->thread, (uint32_t)tid, &tgid, &x->info) : 0;
    if (tid <= 0)
        memset(&x->info, 0, offsetof(struct ext_proc_info, image_path));
    if (x->thread.tid != (uint32_t)tid && x->syscall_fd >= 0) {
        close(x->syscall_fd); /* its thread was gone: the number names another now */
        x->syscall_fd = -1;
    }
    x->tgid = (pid_t)tgid;
    return err;
}

int fanotify_exec_read(struct fanotify_exec *x, uint64_t until_ns)
{
    if (stat(x->opened_file, &x->st) != 0)
        return -errno;
    ssize_t len = readlink(x->opened_file, x->opened_path, sizeof(x->opened_path) - 1);
    if (len < 0)
        return -errno;
    x->opened_path[len] = '\0';
    /* The exec has not happened: the process still runs the old image, whose path and argv we do not need. */
    pid_t tgid = x->tgid, tid = x->tid;
    x->args_error = tid > 0 ? ext_exec_args_read(tgid, tid, until_ns, &x->syscall_fd, &x->args) : -ESRCH;
    x->have_args = x->args_error == 0;
    if (x->have_args)
        read_exec(x);
    const struct ext_exec_file *opened = x->at >= 0 ? &x->chain.files[x->at] : NULL;
    /* The file this event opens: kind and cause from the chain, the rest from the event's own descriptor. */
    struct ext_process_event *ev = add_event(x, tgid, tid);
    if (opened)
        ext_exec_event_image(ev, &x->chain, opened);
    ev->md.image_device = (uint64_t)x->st.st_dev;
    ev->md.image_inode = (uint64_t)x->st.st_ino;
    ev->image_path = x->opened_path;
    ev->image_path_len = strlen(x->opened_path);
    ev->image_file = x->opened_file;
    if (x->have_args && !opened && opened_is_loader(x)) {
        /* ld.so, in an exec whose files we could not follow to it (its path changed under us, a
         * sibling thread moved its cwd): what it loads is unknown, shown with no path and no file. */
        static const struct ext_exec_file unknown = {.kind = PROCESS_IMAGE_LOADED_PROGRAM, .cause = -1, .fd = -1};
        ext_exec_event_image(add_event(x, tgid, tid), &x->chain, &unknown);
    }
    /* ld.so run directly maps its program without an exec open: that program's create comes with ld.so's. */
    for (size_t i = 0; opened && i < x->chain.count; i++) {
        const struct ext_exec_file *f = &x->chain.files[i];
        if (f->kind == PROCESS_IMAGE_LOADED_PROGRAM && f->cause == x->at)
            ext_exec_event_image(add_event(x, tgid, tid), &x->chain, f);
    }
    return 0;
}

void fanotify_exec_done(struct fanotify_exec *x)
{
    ext_exec_chain_close(&x->chain);
}
