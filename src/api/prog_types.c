/*
 * The program types built into bpfhost, registered once per process
 * before the first object is opened. This table is the one place where a
 * built-in type is added: the extensions of the ext layer (process, bind,
 * file) put their registration functions here.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "api/internal.h"

static int (*const registrations[])(void) = {
    core_register_sample_type,
    /* ext layer: each extension's registration function goes here. */
};

static void register_all(void)
{
    for (size_t i = 0; i < sizeof(registrations) / sizeof(registrations[0]); i++) {
        int rc = registrations[i]();
        /* -EEXIST: the application registered it itself first, which is fine. */
        if (rc && rc != -EEXIST)
            api_print(LIBBPF_WARN, "cannot register a built-in program type (%s)", strerror(-rc));
    }
}

void api_register_program_types(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_all);
}
