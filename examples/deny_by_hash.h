/* The configuration of examples/deny_by_hash.c, shared with the programs that set it. */
#ifndef BPFHOST_EXAMPLES_DENY_BY_HASH_H
#define BPFHOST_EXAMPLES_DENY_BY_HASH_H

#define DENY_BY_HASH_DIGEST_SIZE 32

enum {
    DENY_BY_HASH_FAIL_OPEN = 1, /* allow a file whose digest cannot be computed (the default denies it) */
    DENY_BY_HASH_ONLY_GID = 2,  /* apply to processes of group gid only */
};

struct deny_by_hash_config {
    uint32_t flags;
    uint32_t gid;
};

#endif
