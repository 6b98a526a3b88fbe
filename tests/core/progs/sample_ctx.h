/* What programs of the "sample" test type see: the context (the layout of
 * struct core_sample_ctx in src/core/core.h), its helper, and the errno
 * values helpers return. */
#ifndef BPFHOST_TESTS_CORE_SAMPLE_CTX_H
#define BPFHOST_TESTS_CORE_SAMPLE_CTX_H

#include <bpf_helpers.h>

struct sample_ctx {
    uint8_t *data;
    uint8_t *data_end;
    uint64_t uint64_data;
    uint64_t helper_data_1;
    uint32_t uint32_data;
    uint16_t uint16_data;
    uint16_t reserved;
    uint32_t pid;
    uint32_t tid;
};

/* Stores value in ctx->helper_data_1 and returns the previous value. */
EBPF_HELPER(long, bpf_sample_set_helper_data, (void *ctx, uint64_t value));
#define bpf_sample_set_helper_data ((bpf_sample_set_helper_data_t)BPF_FUNC_PROGRAM_TYPE_BASE)

enum { EPERM = 1, ENOENT = 2, E2BIG = 7, EFAULT = 14, EINVAL = 22, ERANGE = 34 };

#endif
