/* A program written for a Linux kernel type: its CO-RE relocation has no
 * target on this host, so loading it must fail, naming the relocation. */
#include <bpf_helpers.h>

struct task_struct {
    int tgid;
    int pid;
} __attribute__((preserve_access_index));

SEC("sample")
int linux_task(struct task_struct *task)
{
    return task->pid;
}

char LICENSE[] SEC("license") = "GPL";
