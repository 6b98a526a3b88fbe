/* What the libFuzzer targets of tests/fuzz share. */
#ifndef BPFHOST_FUZZ_UTIL_H
#define BPFHOST_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* The input as a NUL-terminated string (malloc'd; aborts when out of memory). */
char *fuzz_text(const uint8_t *data, size_t size);

/* Reports a broken property of the code under test and aborts, which libFuzzer records as a crash. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Aborts unless a failed call left a message (bad input always gets a reason). */
void fuzz_require_reason(const char *what, const char *msg, size_t cap);

#endif
