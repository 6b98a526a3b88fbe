/* Registration of the built-in program types and system-wide hooks. */
#include <errno.h>
#include <pthread.h>

#include "ext/internal.h"
#include "ext/net/net.h"

static int builtin_err;

static void register_once(void)
{
    int err = core_register_sample_type();
    if (err == -EEXIST)
        err = 0;
    if (!err)
        err = ext_process_type_register();
    if (!err)
        err = ext_bind_type_register();
    if (!err)
        err = ext_source_register(&ext_source_netlink);
    if (!err)
        err = ext_source_register(&ext_source_system);
    if (!err)
        err = ext_source_register(&ext_source_fanotify);
    if (!err)
        err = ext_source_register(&ext_source_audit);
    if (!err)
        err = ext_source_register(&ext_source_tracepoint);
    if (!err)
        err = ext_source_register(&ext_source_audit_bind);
    builtin_err = err;
}

int ext_register_builtin(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, register_once);
    return builtin_err;
}
