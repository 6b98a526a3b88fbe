/* Compiling test programs: one temporary directory per test process. */
#include "common/bpf_compile.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/subprocess.h"

static char out_dir[] = "/tmp/bpfhost-progs-XXXXXX";
static bool out_dir_made;

const char *bpf_source_dir(void)
{
    const char *dir = getenv("BPFHOST_SOURCE_DIR");
    return dir && *dir ? dir : ".";
}

char *bpf_compile(const char *progs_dir, const char *name, const char *const *extra)
{
    if (!out_dir_made && !mkdtemp(out_dir))
        return NULL;
    out_dir_made = true;
    const char *clang = getenv("BPFHOST_CLANG");
    char include[4096], source[4096], *out = malloc(4096);
    snprintf(include, sizeof(include), "-I%s/include", bpf_source_dir());
    snprintf(source, sizeof(source), "%s/%s/%s.c", bpf_source_dir(), progs_dir, name);
    snprintf(out, 4096, "%s/%s.o", out_dir, name);
    char *argv[32] = {(char *)(clang && *clang ? clang : "/usr/bin/clang"), "-O2", "-g", "-target", "bpf", "-Wall",
                      "-Werror", include, "-c", source, "-o", out};
    size_t argc = 12;
    for (size_t i = 0; extra && extra[i] && argc < 31; i++)
        argv[argc++] = (char *)extra[i];
    struct subprocess_result res = {0};
    bool ok = subprocess_run(argv, "", &res) == 0 && res.exit_code == 0;
    if (!ok) {
        fprintf(stderr, "compiling %s failed:\n%s\n", source, res.err ? res.err : "(clang did not start)");
        free(out);
        out = NULL;
    }
    subprocess_result_free(&res);
    return out;
}

void bpf_compile_cleanup(void)
{
    if (!out_dir_made)
        return;
    char *argv[] = {"/bin/rm", "-rf", out_dir, NULL};
    struct subprocess_result res = {0};
    if (subprocess_run(argv, "", &res) == 0)
        subprocess_result_free(&res);
    out_dir_made = false;
}
