/* Assertions the tests share beyond cmocka's own. */
#ifndef BPFHOST_TESTS_ASSERTIONS_H
#define BPFHOST_TESTS_ASSERTIONS_H

/* Fails the current cmocka test unless text contains fragment. */
void assert_contains(const char *text, const char *fragment);

#endif
