/* An exec whose arguments are slow to read, as if they lay in a FUSE file: for tests of what such an exec holds. */
#ifndef BPFHOST_TESTS_HELD_EXEC_H
#define BPFHOST_TESTS_HELD_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * In a child: execs path with an argument in a page registered with a
 * userfaultfd (missing, so any read of it waits for the fault to be
 * resolved), which a thread of the child resolves after hold_ms. A
 * source reading the arguments before the kernel does waits that long.
 * Never returns: exits 90 if the page could not be set up, 100 + errno if
 * the exec failed.
 */
void held_exec(const char *path, int hold_ms) __attribute__((noreturn));
/*
 * held_exec() by another user: uid (and gid uid) taken once the page is
 * held (needs root; (uid_t)-1: ours), then, if new_userns, in a user
 * namespace of its own, as an unprivileged user may make one. Exits 91 or
 * 92 if either fails.
 */
void held_exec_as(const char *path, int hold_ms, uid_t uid, bool new_userns) __attribute__((noreturn));
/* Why held_exec() cannot hold an exec here (no userfaultfd), or NULL. */
const char *held_exec_unavailable(void);

#endif
