/*
 * Compiled and loaded eBPF test programs: each <dir>/<name>.c is compiled
 * and opened once per test process, then loaded as often as a test wants.
 * Include after cmocka.h; failures fail the current test.
 */
#ifndef BPFHOST_TESTS_BPF_OBJECTS_H
#define BPFHOST_TESTS_BPF_OBJECTS_H

#include "core/core.h"

/* The ELF object of <dir>/<name>.c (e.g. "tests/core/progs", "hooked"), compiled on first use. */
struct bpf_elf_object *test_object_open(const char *dir, const char *name);
/* Loads <dir>/<name>.c with opts (NULL: defaults); must succeed. */
struct core_object *test_object_load(const char *dir, const char *name, const struct core_load_opts *opts);
/* Closes every opened object and removes the compiled files (a group teardown). */
int test_objects_close(void **state);
/* The program of that name in obj; must exist. */
struct core_prog *test_prog_of(const struct core_object *obj, const char *name);
/* The map of that name in obj; must exist. */
struct map *test_map_of(const struct core_object *obj, const char *name);

#endif
