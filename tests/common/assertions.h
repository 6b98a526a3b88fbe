/* Assertions the tests share beyond cmocka's own. */
#ifndef BPFHOST_TESTS_ASSERTIONS_H
#define BPFHOST_TESTS_ASSERTIONS_H

/* Fails the current cmocka test unless text contains fragment. */
void assert_contains(const char *text, const char *fragment);

/* Fails the current test if text holds a byte a terminal acts on (a control but '\n', DEL) or the byte 0xff. */
void assert_no_terminal_controls(const char *text);

#endif
