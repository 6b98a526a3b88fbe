/*
 * tools — code shared by the command-line tools in src/tools/<tool>/.
 */
#ifndef BPFHOST_TOOLS_H
#define BPFHOST_TOOLS_H

#include "elf/bpf_elf.h"
#include "exec/exec.h"
#include "verify/verify.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The helpers the bpf_conformance suite's programs call, ids 0..5
 * (../shared/conformance/README.md). */
extern const struct exec_helper conformance_helpers[];
extern const size_t conformance_helper_count;

/* Runs a program the way the conformance suite does: input memory (may be
 * NULL) in r1 and its length in r2, the conformance helpers available.
 * Returns 0 with *r0 set, or -1 with a message in err. */
int conformance_run(const struct ebpf_insn *insns, size_t count, uint8_t *mem, size_t mem_len, uint64_t *r0,
                    char *err, size_t err_len);

/* Reads all of f into a malloc'd NUL-terminated buffer (length in *len if
 * not NULL); NULL on a read or allocation failure. */
char *tools_read_stream(FILE *f, size_t *len);

/*
 * Writes why a run of p stopped, escaped: "PREFIX: program NAME (section
 * S) WHAT: REASON" (the reason names the instruction), then "  at
 * FILE:LINE: SOURCE" when the object has line info (built with -g).
 */
void tools_print_fault(FILE *out, const char *prefix, const struct bpf_elf_program *p, const struct exec_result *fault,
                       const char *what);

/* Parses a decimal count in 1..max (digits only: no sign, no blanks); 0, or -1 if text is not one. */
int tools_parse_count(const char *text, unsigned long long max, unsigned long long *out);

/*
 * Escaping. Every string that comes from outside the tool (command lines,
 * paths, account names, comm, map and section names, trace lines that
 * embed them) is written through these, in text and in JSON alike.
 *
 * Text: printable ASCII and valid UTF-8 of other printable characters as
 * they are; a backslash as "\\"; every byte of anything else as "\xHH":
 * C0 controls (ESC, CR, LF, ...), DEL, C1 controls, the bidirectional,
 * zero-width and line-separator characters, and each byte that is not part
 * of valid UTF-8. So a terminal never acts on a string and the bytes can be
 * read back.
 *
 * JSON: a string literal that is always valid UTF-8: '"' and '\\' escaped,
 * the characters text escapes as "\uXXXX", each byte that is not valid
 * UTF-8 as U+FFFD; tools_json_field() then adds "KEY_hex" with the raw
 * bytes in hex, so nothing is lost.
 */
enum { TOOLS_TEXT_SPACE = 1 }; /* also write ' ' as \x20: a field that ends at a space */

/* Writes len bytes of s as text (see above); flags: TOOLS_TEXT_SPACE or 0. */
void tools_text_write(FILE *out, const char *s, size_t len, unsigned flags);
/* tools_text_write() of a NUL-terminated string. */
void tools_text_puts(FILE *out, const char *s);
/* The escaped text of a NUL-terminated string, malloc'd (for printf widths); NULL if out of memory. */
char *tools_text_dup(const char *s, unsigned flags);
/* Formats like fprintf, then writes the result escaped, but a final newline as a newline. */
void tools_text_printf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes len bytes of s as a JSON string literal (see above); true if some byte was not valid UTF-8. */
bool tools_json_write(FILE *out, const char *s, size_t len);
/* tools_json_write() of a NUL-terminated string. */
bool tools_json_puts(FILE *out, const char *s);
/* Writes bytes as lowercase hex digits, two per byte. */
void tools_hex_write(FILE *out, const void *bytes, size_t len);
/* Writes "KEY"SEP"STRING", plus ,"KEY_hex"SEP"HEX" of the raw bytes if they were not valid UTF-8. */
void tools_json_field(FILE *out, const char *key, const char *sep, const char *s, size_t len);

/* One row of a verifier corpus's list.tsv and the verdict on it. */
struct tools_corpus_row {
    const char *path, *section, *function, *expect, *set, *note, *type; /* the row's fields */
    bool opened;              /* the object file could be read (else error says why) */
    bool found;               /* the program was found in it */
    char error[512];
    struct verify_result res; /* the verdict, when opened and found */
    uint64_t ns;              /* verification time */
    /* When found, during the callback only: the object, the program's index in it, its profile. */
    const struct bpf_elf_object *elf;
    size_t index;
    const struct verify_profile *profile;
};

/* Called for each row verified. */
typedef void (*tools_corpus_fn)(void *arg, const struct tools_corpus_row *row);

/*
 * Verifies every program listed in dir/list.tsv (the format of
 * ../shared/verifier/README.md: path, section, function, expect, set,
 * note, type) against the profile of its type on the object's platform
 * (core_object_platform(): Linux's, or eBPF for Windows' for an object
 * written for it), without creating maps, and reports each row to fn. Returns the number of rows, or -errno
 * if the list cannot be read.
 */
long tools_verify_corpus(const char *dir, tools_corpus_fn fn, void *arg);

#endif
