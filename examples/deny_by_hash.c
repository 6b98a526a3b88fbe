/*
 * A policy that names files by what they are, not where they are: it
 * denies the exec of any file whose SHA-256 is in the map denied_sha256,
 * whichever way the file is reached (its path, a copy, a hard link, a bind
 * mount, a memfd copy where the source sees memfds; as a program, a "#!"
 * interpreter, ld.so or the program a directly run ld.so loads).
 *
 * Fill denied_sha256 with the digests (key: the 32 bytes, value: anything)
 * and set config through the libbpf-style API before attaching. A file
 * whose digest cannot be computed (not found, not a regular file, over
 * 64 MiB, under a lease, changing) is denied: an attacker can arrange any
 * of these for a copy of a denied file. Flags:
 *   DENY_BY_HASH_FAIL_OPEN: allow such files instead;
 *   DENY_BY_HASH_ONLY_GID: apply only to processes of group gid
 *     (a way to try a policy system-wide on a few processes first).
 * The map counts holds [0] creates seen, [1] denied, [2] digests that
 * could not be computed.
 */
#include "bpf_helpers.h"
#include "ebpf_ntos_hooks.h"

#include "deny_by_hash.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(key_size, DENY_BY_HASH_DIGEST_SIZE);
    __uint(value_size, 1);
    __uint(max_entries, 1024);
} denied_sha256 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, struct deny_by_hash_config);
    __uint(max_entries, 1);
} config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __type(key, uint32_t);
    __type(value, uint64_t);
    __uint(max_entries, 3);
} counts SEC(".maps");

static void count(uint32_t which)
{
    uint64_t *n = bpf_map_lookup_elem(&counts, &which);
    if (n)
        __sync_fetch_and_add(n, 1);
}

SEC("process")
int deny_by_hash(process_md_t *ctx)
{
    uint32_t zero = 0;
    struct deny_by_hash_config *cfg = bpf_map_lookup_elem(&config, &zero);
    if (!cfg || ctx->operation != PROCESS_OPERATION_CREATE)
        return STATUS_SUCCESS;
    if ((cfg->flags & DENY_BY_HASH_ONLY_GID) && ctx->gid != cfg->gid)
        return STATUS_SUCCESS;
    count(0);
    uint8_t digest[DENY_BY_HASH_DIGEST_SIZE];
    if (bpf_process_get_image_sha256(ctx, digest, sizeof(digest)) != DENY_BY_HASH_DIGEST_SIZE) {
        count(2);
        if (cfg->flags & DENY_BY_HASH_FAIL_OPEN)
            return STATUS_SUCCESS;
        count(1);
        return STATUS_ACCESS_DENIED;
    }
    if (!bpf_map_lookup_elem(&denied_sha256, digest))
        return STATUS_SUCCESS;
    count(1);
    return STATUS_ACCESS_DENIED;
}

char LICENSE[] SEC("license") = "MIT";
