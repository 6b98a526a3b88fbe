/*
 * CO-RE against this host's process context. The program declares
 * struct _process_md as another header might (its own order, fewer fields,
 * one field this host lacks) and reaches it only through relocations, so
 * it reads the right bytes only if the loader moves every offset to the
 * host's.
 */
#include <bpf_helpers.h>

/* A relocated read of ptr->field: the small cousin of libbpf's BPF_CORE_READ. */
#define CORE_READ(ptr, field) (*__builtin_preserve_access_index(&(ptr)->field))
#define FIELD_EXISTS(ptr, field) __builtin_preserve_field_info((ptr)->field, 2)
#define FIELD_SIZE(ptr, field) __builtin_preserve_field_info((ptr)->field, 1)
#define TYPE_EXISTS(type) __builtin_preserve_type_info(*(type *)0, 0)
#define TYPE_SIZE(type) __builtin_preserve_type_info(*(type *)0, 1)

struct _process_md {
    uint32_t uid;
    uint32_t gid;
    uint64_t process_id;
    uint32_t session_id; /* not on this host */
    uint8_t token_sid[68];
};

struct task_struct {
    int pid;
};

/* process_id * 1000 + uid * 100 + gid * 10 + token_sid[3], or a negative check number. */
SEC("process")
int relocated(struct _process_md *ctx)
{
    if (FIELD_EXISTS(ctx, session_id))
        return -1;
    if (!FIELD_EXISTS(ctx, gid))
        return -2;
    if (FIELD_SIZE(ctx, token_sid) != 68)
        return -3;
    if (TYPE_EXISTS(struct task_struct))
        return -4;
    return (int)(CORE_READ(ctx, process_id) * 1000 + CORE_READ(ctx, uid) * 100 + CORE_READ(ctx, gid) * 10 +
                 CORE_READ(ctx, token_sid[3]));
}

/* The host's size of the context. */
SEC("process")
int size(struct _process_md *ctx)
{
    (void)ctx;
    return TYPE_SIZE(struct _process_md);
}

char LICENSE[] SEC("license") = "GPL";
