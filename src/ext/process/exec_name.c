/* A name an exec gave, as its own process means it (see exec_target.h). */
#include <stdio.h>
#include <string.h>

#include "ext/process/exec_target.h"

bool ext_exec_name_in_proc(uint32_t tgid, const char *name, char *out, size_t cap)
{
    static const struct {
        const char *prefix, *proc;
        bool whole; /* the name itself, not a directory */
    } own[] = {{"/dev/fd/", "fd/", false},   {"/proc/self/", "", false}, {"/proc/thread-self/", "", false},
               {"/dev/stdin", "fd/0", true}, {"/dev/stdout", "fd/1", true}, {"/dev/stderr", "fd/2", true}};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
        size_t n = strlen(own[i].prefix);
        if (own[i].whole ? strcmp(name, own[i].prefix) == 0 : strncmp(name, own[i].prefix, n) == 0) {
            snprintf(out, cap, "/proc/%u/%s%s", tgid, own[i].proc, name + n);
            return true;
        }
    }
    return false;
}
