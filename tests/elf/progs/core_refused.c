/*
 * CO-RE relocations this host cannot resolve: a Linux kernel type, a
 * field its context lacks, a field of another size, an enum value.
 */
#include <bpf_helpers.h>

#define CORE_READ(ptr, field) (*__builtin_preserve_access_index(&(ptr)->field))
#define ENUM_VALUE(type, value) __builtin_preserve_enum_value(*(type *)value, 1)

struct task_struct {
    int pid;
    char comm[16];
};

struct _process_md {
    uint64_t uid;        /* 4 bytes on this host */
    uint32_t session_id; /* not on this host */
};

enum _process_operation { PROCESS_OPERATION_CREATE, PROCESS_OPERATION_DELETE };

SEC("kprobe/x")
int linux_task(void *ctx)
{
    struct task_struct *task = ctx;
    return CORE_READ(task, pid);
}

SEC("process")
int missing_field(struct _process_md *ctx)
{
    return (int)CORE_READ(ctx, session_id);
}

SEC("process")
int wrong_size(struct _process_md *ctx)
{
    return (int)CORE_READ(ctx, uid);
}

SEC("process")
int enum_value(void *ctx)
{
    (void)ctx;
    return ENUM_VALUE(enum _process_operation, PROCESS_OPERATION_DELETE);
}

char LICENSE[] SEC("license") = "GPL";
