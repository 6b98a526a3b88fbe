/* bpf_prog_test_run_opts: a test run of a program by fd, through the core's test run. */
#include <errno.h>
#include <stdint.h>

#include "api/internal.h"

int bpf_prog_test_run_opts(int prog_fd, struct bpf_test_run_opts *opts)
{
    if (!api_opts_valid(opts, sizeof(*opts), "bpf_test_run_opts"))
        return api_err(-EINVAL);
    int repeat = API_OPTS_GET(bpf_test_run_opts, opts, repeat, 0);
    if (repeat < 0)
        return api_err(-EINVAL);
    struct core_obj *obj;
    int rc = api_fd_get(prog_fd, CORE_OBJ_PROG, &obj);
    if (rc)
        return api_err(rc);
    struct core_prog *prog = core_obj_prog(obj);
    struct core_test_run run = {
        .ctx_in = API_OPTS_GET(bpf_test_run_opts, opts, ctx_in, NULL),
        .ctx_in_size = API_OPTS_GET(bpf_test_run_opts, opts, ctx_size_in, 0),
        .ctx_out = API_OPTS_GET(bpf_test_run_opts, opts, ctx_out, NULL),
        .ctx_out_size = API_OPTS_GET(bpf_test_run_opts, opts, ctx_size_out, 0),
        .data_in = API_OPTS_GET(bpf_test_run_opts, opts, data_in, NULL),
        .data_in_size = API_OPTS_GET(bpf_test_run_opts, opts, data_size_in, 0),
        .data_out = API_OPTS_GET(bpf_test_run_opts, opts, data_out, NULL),
        .data_out_size = API_OPTS_GET(bpf_test_run_opts, opts, data_size_out, 0),
        .repeat = (uint32_t)repeat,
    };
    struct core_prog_info info;
    core_prog_info(prog, &info);
    rc = core_test_run(prog, &run);
    if (rc == -EFAULT)
        api_print(LIBBPF_WARN, "program '%s' stopped: %s", info.name, run.error.msg);
    if (rc == 0 || rc == -ENOSPC) {
        API_OPTS_SET(bpf_test_run_opts, opts, retval, (__u32)run.retval);
        API_OPTS_SET(bpf_test_run_opts, opts, duration,
                     run.duration_ns > UINT32_MAX ? UINT32_MAX : (__u32)run.duration_ns);
        /* The data's size after the run (for a process program only the command line). */
        API_OPTS_SET(bpf_test_run_opts, opts, data_size_out,
                     (__u32)(run.data_out ? run.data_out_size : run.data_in_size));
        if (run.ctx_out) {
            /* Like the data: the whole context's size, ENOSPC if it did not fit. */
            API_OPTS_SET(bpf_test_run_opts, opts, ctx_size_out, info.type->ctx_size);
            if (!rc && run.ctx_out_size < info.type->ctx_size)
                rc = -ENOSPC;
        }
    }
    core_obj_release(obj);
    return api_err(rc);
}
