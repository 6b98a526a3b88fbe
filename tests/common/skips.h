/*
 * Skips that show: a test that cannot check something on this machine (a
 * failed probe, see probes.h) says so on stderr as one line
 *
 *   SKIPPED: <test program>: <test or check>: <reason>
 *
 * which `make check` counts and lists after the run (skips-summary.sh).
 */
#ifndef BPFHOST_TESTS_SKIPS_H
#define BPFHOST_TESTS_SKIPS_H

/* Records that check was not made, and why; the test goes on. */
void test_skip_check(const char *check, const char *reason);

/* Records that the whole current test is skipped, and why, then skips it (cmocka's skip()). */
void test_skip_named(const char *test, const char *reason);

/* Skips the calling cmocka test function, saying why. */
#define test_skip(reason) test_skip_named(__func__, (reason))

#endif
