/*
 * Attacks on the enforcing sources, for tests/ext/process/test_bypasses.c (compiled
 * there at test time with cc). Usage:
 *
 *   bypass_helper failed-exec PRIMER PATH [ARG...]
 *       execve(PRIMER) with a bad envp (the kernel opens PRIMER, then fails
 *       with EFAULT while copying envp; or a source denies it, EPERM), then
 *       execve(PATH, [PATH, ARG...])
 *   bypass_helper memfd PATH [ARG...]
 *       copies PATH into a memfd and runs it with fexecve
 *   bypass_helper many-args N PATH
 *       execve(PATH, [PATH, and N empty strings])
 *   bypass_helper reuse-pid PID PATH [ARG...]
 *       waits until process PID is gone, then forks until a child gets PID
 *       (through /proc/sys/kernel/ns_last_pid, needs root) and has that
 *       child run PATH; exits at once, leaving the child an orphan: 0 if a
 *       child got PID, 1 if not
 *
 * Exit status: PATH's when it ran; 100 + errno when the last exec failed;
 * 90 when the failed exec did not fail with EFAULT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int memfd_exec(char **argv)
{
    int in = open(argv[0], O_RDONLY | O_CLOEXEC);
    int mem = memfd_create("copy", MFD_CLOEXEC);
    struct stat st;
    if (in < 0 || mem < 0 || fstat(in, &st) != 0 || sendfile(mem, in, NULL, (size_t)st.st_size) != st.st_size)
        return 80;
    fexecve(mem, argv, environ);
    return 100 + errno;
}

static int reuse_pid(pid_t pid, char **argv)
{
    while (kill(pid, 0) == 0 || errno != ESRCH)
        usleep(10000);
    for (int attempt = 0; attempt < 200; attempt++) {
        int fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
        char text[32];
        int len = snprintf(text, sizeof(text), "%d", (int)pid - 1);
        if (fd < 0 || write(fd, text, (size_t)len) != len)
            return 1;
        close(fd);
        pid_t child = fork(); /* another process of the machine may take the pid first: try again */
        if (child == 0) {
            if (getpid() != pid)
                _exit(0);
            execv(argv[0], argv);
            _exit(100 + errno);
        }
        if (child == pid)
            return 0;
        waitpid(child, NULL, 0);
    }
    return 1;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "failed-exec") == 0) {
        char *primer[] = {argv[2], NULL};
        syscall(SYS_execve, argv[2], primer, (char **)1); /* a bad envp pointer */
        if (errno != EFAULT && errno != EPERM) /* EPERM: a source denied a file of it (then no trick either) */
            return 90;
        execve(argv[3], argv + 3, environ);
        return 100 + errno;
    }
    if (argc >= 3 && strcmp(argv[1], "memfd") == 0)
        return memfd_exec(argv + 2);
    if (argc == 4 && strcmp(argv[1], "many-args") == 0) {
        size_t n = (size_t)atol(argv[2]);
        char **args = calloc(n + 2, sizeof(*args));
        if (!args)
            return 80;
        args[0] = argv[3];
        for (size_t i = 1; i <= n; i++)
            args[i] = "";
        execve(argv[3], args, environ);
        return 100 + errno;
    }
    if (argc >= 4 && strcmp(argv[1], "reuse-pid") == 0)
        return reuse_pid((pid_t)atoi(argv[2]), argv + 3);
    fprintf(stderr, "usage: bypass_helper failed-exec PRIMER PATH [ARG...] | memfd PATH [ARG...] | "
                    "many-args N PATH | reuse-pid PID PATH [ARG...]\n");
    return 2;
}
