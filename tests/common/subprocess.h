/* Running a tool as a child process in tests. */
#ifndef BPFHOST_TESTS_SUBPROCESS_H
#define BPFHOST_TESTS_SUBPROCESS_H

#include <stddef.h>
#include <sys/types.h>

/* Output of a finished child. */
struct subprocess_result {
    int exit_code; /* exit status, or 128+N when killed by signal N */
    char *out;     /* standard output, NUL-terminated */
    char *err;     /* standard error, NUL-terminated */
};

/* Runs argv (argv[0] a path) with stdin_text on standard input; returns 0
 * once it has finished, -1 if it could not be started. */
int subprocess_run(char *const argv[], const char *stdin_text, struct subprocess_result *res);

/* Frees the captured output. */
void subprocess_result_free(struct subprocess_result *res);

/* Runs the printf-style command line with /bin/sh (setup work); its exit code, printing its output if not 0. */
int subprocess_shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A child running with its standard output and error read through pipes, as it writes them. */
struct subprocess_live {
    pid_t pid;
    int out_fd, err_fd; /* read ends */
    char *out, *err;    /* what was read so far, NUL-terminated */
    size_t out_len, err_len;
};

/* Starts argv (argv[0] a path) with stdin from /dev/null; 0, or -1 if it could not be started. */
int subprocess_start(char *const argv[], struct subprocess_live *live);

/* Reads the child's stdout (err: stderr) until needle is in it or `seconds` pass; whether it is. */
int subprocess_read_until(struct subprocess_live *live, int err, const char *needle, int seconds);

/* Sends sig, reads both streams to their end and reaps the child: its exit code (128+N for signal N). */
int subprocess_stop(struct subprocess_live *live, int sig);

/* Kills (SIGKILL) and reaps the child if still running, and frees what was read (safe to call twice). */
void subprocess_live_free(struct subprocess_live *live);

/* Path of a built tool: $BPFHOST_BIN_DIR/name (static buffer). */
const char *tool_path(const char *name);

#endif
