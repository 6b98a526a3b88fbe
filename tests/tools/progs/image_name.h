/* For the tools' test programs: whether a create's image path ends with a name. */
#ifndef BPFHOST_TESTS_TOOLS_PROGS_IMAGE_NAME_H
#define BPFHOST_TESTS_TOOLS_PROGS_IMAGE_NAME_H

#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

/* Whether the image path of the create in ctx ends with suffix (suffix_len bytes, no NUL). */
static inline int image_ends_with(process_md_t *ctx, const char *suffix, int suffix_len)
{
    char image[256];
    int len = bpf_process_get_image_path(ctx, (uint8_t *)image, sizeof(image));
    if (ctx->operation != PROCESS_OPERATION_CREATE || len < suffix_len || len > (int)sizeof(image))
        return 0;
    return bpf_memcmp_s(image + len - suffix_len, suffix_len, suffix, suffix_len) == 0;
}

#endif
