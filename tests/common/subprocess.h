/* Running a tool as a child process in tests. */
#ifndef BPFHOST_TESTS_SUBPROCESS_H
#define BPFHOST_TESTS_SUBPROCESS_H

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

/* Path of a built tool: $BPFHOST_BIN_DIR/name (static buffer). */
const char *tool_path(const char *name);

#endif
