/* See bpf_objects.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/bpf_compile.h"
#include "common/bpf_objects.h"

enum { MAX_OBJECTS = 32 };

static struct {
    char *dir, *name;
    struct bpf_elf_object *elf;
} opened[MAX_OBJECTS];

struct bpf_elf_object *test_object_open(const char *dir, const char *name)
{
    size_t i = 0;
    while (i < MAX_OBJECTS && opened[i].name && (strcmp(opened[i].name, name) || strcmp(opened[i].dir, dir)))
        i++;
    assert_true(i < MAX_OBJECTS);
    if (!opened[i].name) {
        char *path = bpf_compile(dir, name, NULL);
        assert_non_null(path);
        char err[512];
        if (bpf_elf_open_file(path, &opened[i].elf, err, sizeof(err)) != 0)
            fail_msg("%s", err);
        free(path);
        opened[i].dir = strdup(dir);
        opened[i].name = strdup(name);
    }
    return opened[i].elf;
}

struct core_object *test_object_load(const char *dir, const char *name, const struct core_load_opts *opts)
{
    struct core_object *obj = NULL;
    char err[512] = "";
    if (core_object_load(test_object_open(dir, name), opts, &obj, err, sizeof(err)) != 0)
        fail_msg("loading %s/%s: %s", dir, name, err);
    return obj;
}

int test_objects_close(void **state)
{
    (void)state;
    for (size_t i = 0; i < MAX_OBJECTS && opened[i].name; i++) {
        bpf_elf_close(opened[i].elf);
        free(opened[i].dir);
        free(opened[i].name);
        opened[i].dir = opened[i].name = NULL;
    }
    bpf_compile_cleanup();
    return 0;
}

struct core_prog *test_prog_of(const struct core_object *obj, const char *name)
{
    struct core_prog *prog = core_object_find_prog(obj, name);
    if (!prog)
        fail_msg("no program %s", name);
    return prog;
}

struct map *test_map_of(const struct core_object *obj, const char *name)
{
    struct core_map *map = core_object_find_map(obj, name);
    if (!map)
        fail_msg("no map %s", name);
    return core_map_map(map);
}
