/* Compiling the eBPF C programs of the tests with clang at run time. */
#ifndef BPFHOST_TESTS_BPF_COMPILE_H
#define BPFHOST_TESTS_BPF_COMPILE_H

/* Root of the source tree: $BPFHOST_SOURCE_DIR, else "." (tests run from it). */
const char *bpf_source_dir(void);

/*
 * Compiles <source dir>/<progs_dir>/<name>.c with clang (or $BPFHOST_CLANG)
 * -O2 -g -target bpf -Wall -Werror -I<source dir>/include plus the
 * NULL-terminated extra flags, into a temporary directory. Returns the
 * object's path (malloc'd), or NULL after printing clang's messages.
 */
char *bpf_compile(const char *progs_dir, const char *name, const char *const *extra);

/* Removes the temporary directory and every object compiled into it. */
void bpf_compile_cleanup(void);

#endif
