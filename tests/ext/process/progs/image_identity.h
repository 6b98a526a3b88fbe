/* What tests/ext/process/progs/image_identity.c records; shared with its test. */
#ifndef BPFHOST_TESTS_EXT_IMAGE_IDENTITY_H
#define BPFHOST_TESTS_EXT_IMAGE_IDENTITY_H

struct image_identity {
    uint32_t kind;
    int32_t cause_len, sha256_result, short_digest;
    uint64_t device, inode;
    uint8_t cause[128];
    uint8_t sha256[32];
};

#endif
