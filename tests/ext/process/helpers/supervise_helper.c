/*
 * The ways a process can exec, for tests/ext/process/test_supervisor.c (compiled
 * there at test time with cc). Usage:
 *
 *   supervise_helper OUT MODE PATH [ARG...]
 *
 * runs PATH with argv PATH ARG... the way MODE says, and appends one line
 * to the file OUT:
 *   vfork | clone3     a child execs: "MODE status N", N the child's exit
 *                      status (100 + errno if its exec failed)
 *   spawn              posix_spawn: "spawn errno N" (0: it ran), then waits
 *   thread | execveat | fexecve | devfd | int80 | nodump
 *                      this process execs (from a second thread; through a
 *                      directory fd and a relative name; from a memfd copy
 *                      of PATH; through /dev/fd/N of PATH opened; through
 *                      the i386 system call on x86-64; after making itself
 *                      non-dumpable, so unreadable):
 *                      nothing if it worked (PATH runs instead), else
 *                      "MODE errno N"
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *out_path;
static char **target; /* PATH ARG... NULL */

static void report(const char *mode, const char *what, int n)
{
    FILE *f = fopen(out_path, "a");
    if (!f)
        exit(2);
    fprintf(f, "%s %s %d\n", mode, what, n);
    fclose(f);
}

/* Waits for child and reports its exit status. */
static int report_child(const char *mode, pid_t child)
{
    int status;
    if (child < 0 || waitpid(child, &status, __WALL) != child)
        return 3;
    report(mode, "status", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}

static int by_vfork(void)
{
    pid_t child = vfork();
    if (child == 0) {
        execve(target[0], target, environ);
        _exit(100 + errno);
    }
    return report_child("vfork", child);
}

static int by_clone3(void)
{
    struct clone_args args;
    memset(&args, 0, sizeof(args));
    args.exit_signal = SIGCHLD;
    long child = syscall(SYS_clone3, &args, sizeof(args));
    if (child == 0) {
        execve(target[0], target, environ);
        _exit(100 + errno);
    }
    if (child < 0) {
        report("clone3", "errno", errno);
        return 0;
    }
    return report_child("clone3", (pid_t)child);
}

static int by_spawn(void)
{
    pid_t child;
    int err = posix_spawn(&child, target[0], NULL, NULL, target, environ);
    report("spawn", "errno", err);
    if (!err)
        waitpid(child, NULL, 0);
    return 0;
}

static void *exec_thread(void *arg)
{
    (void)arg;
    execve(target[0], target, environ);
    report("thread", "errno", errno);
    exit(1);
}

static int by_thread(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, exec_thread, NULL) != 0)
        return 3;
    pthread_join(t, NULL);
    return 1;
}

static int by_execveat(void)
{
    char *copy = strdup(target[0]);
    int dir = open(dirname(copy), O_PATH | O_DIRECTORY);
    char *name = strrchr(target[0], '/') + 1;
    syscall(SYS_execveat, dir, name, target, environ, 0);
    report("execveat", "errno", errno);
    return 1;
}

static int by_fexecve(void)
{
    int src = open(target[0], O_RDONLY), mem = memfd_create("copy", MFD_CLOEXEC);
    struct stat st;
    if (src < 0 || mem < 0 || fstat(src, &st) != 0 || sendfile(mem, src, NULL, (size_t)st.st_size) != st.st_size)
        return 3;
    fexecve(mem, target, environ);
    report("fexecve", "errno", errno);
    return 1;
}

static int by_devfd(void)
{
    char path[64];
    snprintf(path, sizeof(path), "/dev/fd/%d", open(target[0], O_RDONLY));
    execve(path, target, environ);
    report("devfd", "errno", errno);
    return 1;
}

static int by_int80(void)
{
#if defined(__x86_64__)
    /* The i386 ABI takes 32-bit pointers: path and argv below 4 GiB. */
    char *low = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED)
        return 3;
    uint32_t *argv32 = (uint32_t *)low;
    char *strings = low + 4096;
    size_t i = 0;
    for (; target[i] && i < 64; i++) {
        argv32[i] = (uint32_t)(uintptr_t)strings;
        strings = stpcpy(strings, target[i]) + 1;
    }
    argv32[i] = 0;
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(11), "b"(argv32[0]), "c"((uint32_t)(uintptr_t)argv32), "d"(0)
                     : "memory");
    report("int80", "errno", (int)-ret);
#else
    report("int80", "errno", ENOSYS);
#endif
    return 1;
}

static int by_nodump(void)
{
    prctl(PR_SET_DUMPABLE, 0);
    execve(target[0], target, environ);
    report("nodump", "errno", errno);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    out_path = argv[1];
    target = argv + 3;
    static const struct {
        const char *mode;
        int (*run)(void);
    } modes[] = {{"vfork", by_vfork},       {"clone3", by_clone3},   {"spawn", by_spawn}, {"thread", by_thread},
                 {"execveat", by_execveat}, {"fexecve", by_fexecve}, {"int80", by_int80},
                 {"devfd", by_devfd},       {"nodump", by_nodump}};
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (!strcmp(argv[2], modes[i].mode))
            return modes[i].run();
    return 2;
}
