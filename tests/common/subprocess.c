/* Runs a child with files for its standard streams (no pipe deadlocks). */
#include "common/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int temp_file(void)
{
    char name[] = "/tmp/bpfhost-test-XXXXXX";
    int fd = mkstemp(name);
    if (fd >= 0)
        unlink(name);
    return fd;
}

static char *slurp(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return NULL;
    char *buf = malloc((size_t)st.st_size + 1);
    if (!buf)
        return NULL;
    ssize_t n = pread(fd, buf, (size_t)st.st_size, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

int subprocess_run(char *const argv[], const char *stdin_text, struct subprocess_result *res)
{
    memset(res, 0, sizeof(*res));
    int in = temp_file(), out = temp_file(), err = temp_file();
    if (in < 0 || out < 0 || err < 0)
        return -1;
    size_t len = stdin_text ? strlen(stdin_text) : 0;
    if (len && write(in, stdin_text, len) != (ssize_t)len)
        return -1;
    lseek(in, 0, SEEK_SET);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        ;
    res->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    res->out = slurp(out);
    res->err = slurp(err);
    close(in);
    close(out);
    close(err);
    return 0;
}

void subprocess_result_free(struct subprocess_result *res)
{
    free(res->out);
    free(res->err);
    memset(res, 0, sizeof(*res));
}

int subprocess_start(char *const argv[], struct subprocess_live *live)
{
    memset(live, 0, sizeof(*live));
    live->pid = -1;
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(err, O_CLOEXEC) != 0) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    live->pid = fork();
    if (live->pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    live->out_fd = out[0];
    live->err_fd = err[0];
    live->out = calloc(1, 1);
    live->err = calloc(1, 1);
    return live->pid > 0 && live->out && live->err ? 0 : -1;
}

/* Reads what is there on one stream within timeout_ms: 1 if something came, -1 if nothing, 0 at its end (or on an error). */
static int read_some(int fd, char **buf, size_t *len, int timeout_ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0)
        return -1;
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n <= 0)
        return n < 0 && errno == EINTR;
    char *grown = realloc(*buf, *len + (size_t)n + 1);
    if (!grown)
        return 0;
    memcpy(grown + *len, chunk, (size_t)n);
    *len += (size_t)n;
    grown[*len] = '\0';
    *buf = grown;
    return 1;
}

int subprocess_read_until(struct subprocess_live *live, int err, const char *needle, int seconds)
{
    char **buf = err ? &live->err : &live->out;
    size_t *len = err ? &live->err_len : &live->out_len;
    int fd = err ? live->err_fd : live->out_fd;
    time_t deadline = time(NULL) + seconds;
    while (!strstr(*buf, needle) && time(NULL) < deadline)
        if (read_some(fd, buf, len, 200) == 0)
            break;
    return strstr(*buf, needle) != NULL;
}

int subprocess_stop(struct subprocess_live *live, int sig)
{
    if (live->pid <= 0)
        return -1;
    kill(live->pid, sig);
    bool out_open = true, err_open = true;
    for (time_t deadline = time(NULL) + 30; (out_open || err_open) && time(NULL) < deadline;) {
        out_open = out_open && read_some(live->out_fd, &live->out, &live->out_len, 100) != 0;
        err_open = err_open && read_some(live->err_fd, &live->err, &live->err_len, 100) != 0;
    }
    if (out_open || err_open) /* it did not end: its exit code says so */
        kill(live->pid, SIGKILL);
    int status;
    while (waitpid(live->pid, &status, 0) < 0 && errno == EINTR)
        ;
    live->pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void subprocess_live_free(struct subprocess_live *live)
{
    if (live->pid > 0) {
        kill(live->pid, SIGKILL);
        waitpid(live->pid, NULL, 0);
        live->pid = -1;
    }
    if (live->out_fd > 0)
        close(live->out_fd);
    if (live->err_fd > 0)
        close(live->err_fd);
    free(live->out);
    free(live->err);
    memset(live, 0, sizeof(*live));
}

const char *tool_path(const char *name)
{
    static char path[4096];
    const char *dir = getenv("BPFHOST_BIN_DIR");
    snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "build/bin", name);
    return path;
}

int subprocess_shell(const char *fmt, ...)
{
    char cmd[8 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    struct subprocess_result res;
    if (subprocess_run((char *[]){"/bin/sh", "-c", cmd, NULL}, NULL, &res) != 0)
        return -1;
    int rc = res.exit_code;
    if (rc)
        fprintf(stderr, "%s: exit %d: %s%s\n", cmd, rc, res.out, res.err);
    subprocess_result_free(&res);
    return rc;
}
