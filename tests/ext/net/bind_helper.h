/*
 * Shared by the ext/net tests that bind real sockets: a temporary
 * directory with tests/ext/net/helpers/bind_helper.c compiled into it
 * (test data: no build rule) and the file its output goes to. Include
 * after cmocka.h.
 */
#ifndef BPFHOST_TESTS_EXT_NET_BIND_HELPER_H
#define BPFHOST_TESTS_EXT_NET_BIND_HELPER_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/bpf_compile.h"
#include "common/bpf_objects.h"
#include "common/subprocess.h"
#include "ext/ext.h"

/* The directory (realpath), the helper in it and its output file. */
static char dir[PATH_MAX], helper[PATH_MAX + 16], out[PATH_MAX + 16];

/* Group setup: registers the built-in types, makes the directory, compiles the helper. 0 or -1. */
static inline int bind_helper_setup(void)
{
    char tmp[] = "/tmp/bpfhost-bind-XXXXXX";
    if (ext_register_builtin() || !mkdtemp(tmp) || !realpath(tmp, dir))
        return -1;
    snprintf(helper, sizeof(helper), "%s/bind_helper", dir);
    snprintf(out, sizeof(out), "%s/out", dir);
    return subprocess_shell("cc -O1 -Wall -Werror -pthread -o %s %s/tests/ext/net/helpers/bind_helper.c", helper,
                            bpf_source_dir());
}

/* Group teardown: closes the test objects, removes the directory. */
static inline int bind_helper_teardown(void **state)
{
    test_objects_close(state);
    return dir[0] ? subprocess_shell("rm -rf %s", dir) : 0;
}

#endif
