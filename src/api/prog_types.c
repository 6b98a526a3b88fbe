/*
 * The program types built into bpfhost, registered once per process
 * before the first object is opened: ext_register_builtin() is the one
 * place where a built-in type (and its hooks) is added.
 */
#include <pthread.h>
#include <string.h>

#include "api/internal.h"
#include "ext/ext.h"

static void register_all(void)
{
    int rc = ext_register_builtin();
    if (rc)
        api_print(LIBBPF_WARN, "cannot register the built-in program types (%s)", strerror(-rc));
}

void api_register_program_types(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_all);
}
