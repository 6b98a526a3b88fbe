/*
 * Starting a supervised command. The caller may be one thread of a larger
 * program (a test, process_monitor), and "child subreaper" is a property
 * of a whole process: making the caller a subreaper would hand it every
 * orphan of every child it has, on all its threads, for ever. So the
 * caller forks a helper process that alone is the subreaper:
 *
 *   caller ── helper (PR_SET_CHILD_SUBREAPER) ── command child ── its tree
 *
 * The command child installs the filter, sends the listener fd up the
 * channel and execs the command. The helper reaps the command and every
 * orphan of the tree (they are reparented to it, so the whole tree stays
 * descendants of the caller: Yama's ptrace_scope=1 lets the caller read
 * their memory) and reports each wait status; it exits when it has no
 * child left, i.e. when the whole tree is gone. The caller runs the
 * programs: maps live in its memory.
 *
 * Between fork and exec/_exit only async-signal-safe calls are made: the
 * caller may have other threads holding locks (malloc's, stdio's).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ext/supervise/supervise.h"

extern char **environ;

int sv_find_program(const char *argv0, char *path, size_t cap)
{
    if (!argv0 || !*argv0)
        return -ENOENT;
    if (strchr(argv0, '/')) {
        if (strlen(argv0) >= cap)
            return -ENAMETOOLONG;
        strcpy(path, argv0);
        return 0;
    }
    const char *dirs = getenv("PATH");
    if (!dirs)
        dirs = "/usr/local/bin:/usr/bin:/bin";
    for (const char *d = dirs;; d += strcspn(d, ":") + 1) {
        size_t len = strcspn(d, ":");
        /* An empty entry means the current directory. */
        int n = len ? snprintf(path, cap, "%.*s/%s", (int)len, d, argv0) : snprintf(path, cap, "%s", argv0);
        struct stat st;
        if (n > 0 && (size_t)n < cap && stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
            return 0;
        if (!d[len])
            return -ENOENT;
    }
}

/* Sends a message, with fd attached if fd >= 0 (async-signal-safe). */
static int send_msg(int chan, int kind, int pid, int value, int fd)
{
    struct sv_msg msg = {kind, pid, value};
    struct iovec iov = {&msg, sizeof(msg)};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    memset(&control, 0, sizeof(control));
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof(control.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    ssize_t n;
    do
        n = sendmsg(chan, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof(msg) ? 0 : -1;
}

/* The command child: filter, listener up the channel, exec. Never returns. */
static void command_child(int chan, const struct sv_filter *f, const char *path, char *const argv[])
{
    int listener = sv_filter_install(f);
    if (listener < 0) {
        send_msg(chan, SV_MSG_SETUP_FAILED, getpid(), -listener, -1);
        _exit(127);
    }
    if (send_msg(chan, SV_MSG_LISTENER, getpid(), 0, listener) != 0)
        _exit(127); /* nobody would answer our exec */
    close(listener);
    execve(path, argv, environ);
    send_msg(chan, SV_MSG_EXEC_FAILED, getpid(), errno, -1);
    _exit(127);
}

/*
 * Runs the caller's signal handlers nowhere in the helper or the command:
 * handled signals go back to their default, ignored ones stay ignored (as
 * an exec would leave them), except SIGCHLD, which the helper must see to
 * wait for its children. Then unblocks everything.
 */
static void reset_signals(void)
{
    for (int sig = 1; sig < NSIG; sig++) {
        struct sigaction old;
        if (sigaction(sig, NULL, &old) == 0 && (old.sa_handler != SIG_IGN || sig == SIGCHLD) &&
            old.sa_handler != SIG_DFL)
            signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The helper: forks the command, then reaps and reports until no child is left. Never returns. */
static void helper(int chan, const struct sv_filter *f, const char *path, char *const argv[])
{
    /* If the caller's thread goes, so does the helper. (If the caller's
     * process goes, the listener closes with it: the tree's execs then fail
     * with ENOSYS, none escapes the policy.) */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        send_msg(chan, SV_MSG_SETUP_FAILED, 0, errno, -1);
        _exit(1);
    }
    /* The terminal's ^C, ^\ and hang-up are for the command (as with
     * system(3)); the helper must live on to report the tree's exits. Blocked
     * across the fork so the helper ignores them before any can arrive. */
    static const int terminal_signals[] = {SIGINT, SIGQUIT, SIGHUP};
    sigset_t term, old;
    sigemptyset(&term);
    for (size_t i = 0; i < sizeof(terminal_signals) / sizeof(terminal_signals[0]); i++)
        sigaddset(&term, terminal_signals[i]);
    sigprocmask(SIG_BLOCK, &term, &old);
    /* The helper is outside the filter and runs as the tree's user: a tree
     * that could ptrace it could make it bind (or exec) for it. Non-dumpable
     * before the fork, so there is no moment the tree runs while it is not;
     * the command child takes it back (its exec is checked by reading its
     * memory, and exec would reset it anyway). */
    prctl(PR_SET_DUMPABLE, 0);
    pid_t child = fork();
    if (child < 0) {
        send_msg(chan, SV_MSG_SETUP_FAILED, 0, errno, -1);
        _exit(1);
    }
    if (child == 0) {
        prctl(PR_SET_DUMPABLE, 1);
        sigprocmask(SIG_SETMASK, &old, NULL);
        command_child(chan, f, path, argv);
    }
    for (size_t i = 0; i < sizeof(terminal_signals) / sizeof(terminal_signals[0]); i++)
        signal(terminal_signals[i], SIG_IGN);
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* The command has the caller's descriptors; the helper needs none but its channel, and a copy
     * kept for the whole run would hold the caller's pipes and files open behind its back. */
    if (chan > 0)
        close_range(0, (unsigned)chan - 1, 0);
    close_range((unsigned)chan + 1, ~0u, 0);
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, __WALL);
        if (pid > 0)
            send_msg(chan, SV_MSG_EXIT, pid, status, -1);
        else if (errno == ECHILD)
            _exit(0);
    }
}

int sv_launch_start(const struct sv_filter *f, const char *path, char *const argv[], struct sv_launch *l)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -errno;
    sigset_t all, old;
    sigfillset(&all);
    /* No handler of the caller's may run in the helper: blocked until reset_signals(). */
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        reset_signals();
        helper(sv[1], f, path, argv);
    }
    int err = pid < 0 ? -errno : 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(sv[1]);
    if (err) {
        close(sv[0]);
        return err;
    }
    l->helper = pid;
    l->chan = sv[0];
    l->helper_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (l->helper_pidfd < 0 || fcntl(l->chan, F_SETFL, O_NONBLOCK) != 0) {
        err = -errno;
        kill(pid, SIGKILL);
        sv_launch_finish(l);
        return err;
    }
    return 0;
}

int sv_launch_recv(const struct sv_launch *l, struct sv_msg *msg, int *fd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } control;
    struct iovec iov = {msg, sizeof(*msg)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                        .msg_controllen = sizeof(control.buf)};
    *fd = -1;
    ssize_t n;
    do
        n = recvmsg(l->chan, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == EAGAIN ? 0 : -errno;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
        memcpy(fd, CMSG_DATA(c), sizeof(int));
    if (n == 0)
        return 0; /* every writer is gone */
    if (n != sizeof(*msg) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return -EPROTO;
    }
    return 1;
}

void sv_launch_finish(struct sv_launch *l)
{
    if (l->helper > 0)
        while (waitpid(l->helper, NULL, 0) < 0 && errno == EINTR)
            ;
    if (l->helper_pidfd >= 0)
        close(l->helper_pidfd);
    if (l->chan >= 0)
        close(l->chan);
    l->helper = 0;
    l->helper_pidfd = l->chan = -1;
}
