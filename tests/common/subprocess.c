/* Runs a child with files for its standard streams (no pipe deadlocks). */
#include "common/subprocess.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
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
