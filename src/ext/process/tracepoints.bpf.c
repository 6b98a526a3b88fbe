/*
 * The kernel half of the tracepoint source (hook "process/tracepoint"),
 * loaded into the running kernel by source_tracepoint.c with libbpf. It
 * runs on the scheduler's tracepoints and only copies: who forked, who
 * exited with which code, and what each exec ran with which arguments,
 * read from the new image's own memory in the exec'ing thread before it
 * returns to user space, so nothing races the process' exit. The policy
 * programs run in the host, on these records (tracepoint_record.h).
 *
 * Built with clang -target bpf against libbpf's headers. The kernel's
 * structures are declared with only the fields read; libbpf relocates
 * every access against the running kernel's BTF (CO-RE).
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "ext/process/tracepoint_record.h"

typedef struct { __u32 val; } kuid_t;
typedef struct { __u32 val; } kgid_t;
struct qstr { __u32 len; const unsigned char *name; } __attribute__((preserve_access_index));
struct dentry { struct dentry *d_parent; struct qstr d_name; } __attribute__((preserve_access_index));
struct vfsmount { struct dentry *mnt_root; } __attribute__((preserve_access_index));
struct mount { struct mount *mnt_parent; struct dentry *mnt_mountpoint; struct vfsmount mnt; }
    __attribute__((preserve_access_index));
struct path { struct vfsmount *mnt; struct dentry *dentry; } __attribute__((preserve_access_index));
struct super_block { __u32 s_dev; } __attribute__((preserve_access_index));
struct inode { unsigned long i_ino; struct super_block *i_sb; } __attribute__((preserve_access_index));
struct file { struct path f_path; struct inode *f_inode; } __attribute__((preserve_access_index));
struct fs_struct { struct path pwd; } __attribute__((preserve_access_index));
struct cred { kuid_t uid; kgid_t gid; } __attribute__((preserve_access_index));
struct mm_struct { unsigned long arg_start, arg_end; } __attribute__((preserve_access_index));
typedef struct { int counter; } atomic_t;
struct signal_struct { atomic_t live; int group_exit_code; unsigned int flags; } __attribute__((preserve_access_index));
struct task_struct {
    int pid, tgid, exit_code;
    struct task_struct *real_parent, *group_leader;
    struct signal_struct *signal;
    const struct cred *cred;
    struct mm_struct *mm;
    struct fs_struct *fs;
    char comm[16];
} __attribute__((preserve_access_index));
struct linux_binprm { struct file *file; const char *filename, *interp; } __attribute__((preserve_access_index));

char LICENSE[] SEC("license") = "GPL"; /* bpf_probe_read_* need it */

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, TP_RING_BYTES);
} events SEC(".maps");

/* A record being built, and a path being walked (backwards), per CPU: tracepoints run with preemption off. */
struct scratch {
    struct tp_record rec;
    char data[TP_CHUNK];
    char path[TP_PATH_BUF + TP_NAME_MAX + 1];
};
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct scratch);
} scratch SEC(".maps");

/*
 * The processes whose exit was sent, by tgid: threads exiting at once may
 * each find themselves the last; the first sends. A fork of the pid
 * removes it; the oldest go when it is full (a duplicate is only possible
 * within the microseconds threads exit together).
 */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 8192);
    __type(key, __u32);
    __type(value, __u8);
} exited SEC(".maps");

/* Forks, exits and execs whose record the ring had no room for, per CPU (the host adds them up). */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} lost SEC(".maps");

static __always_inline struct scratch *scratch_get(void)
{
    __u32 zero = 0;
    return bpf_map_lookup_elem(&scratch, &zero);
}

/* Starts a record of type for process tgid. */
static __always_inline void begin(struct scratch *s, __u32 type, __u32 tgid)
{
    __builtin_memset(&s->rec, 0, sizeof(s->rec));
    s->rec.type = type;
    s->rec.tgid = tgid;
    s->rec.time_ns = bpf_ktime_get_ns();
}

/*
 * Sends the record with len bytes of data (<= TP_CHUNK); false if the ring
 * is full. A lost fork, exit or exec is counted: the host adds up events,
 * and a lost part of an exec is told by the exec's TP_PARTS_LOST (the host
 * counts that exec). The ring wakes the host's reader only for a record
 * written when the reader had read everything before it.
 */
static __always_inline int send(struct scratch *s, __u32 len)
{
    if (len > TP_CHUNK)
        return 0;
    if (bpf_ringbuf_output(&events, &s->rec, sizeof(s->rec) + len, 0) == 0)
        return 1;
    if (s->rec.type == TP_EXEC_PATH || s->rec.type == TP_EXEC_ARGS)
        return 0;
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&lost, &zero);
    if (n)
        __sync_fetch_and_add(n, 1);
    return 0;
}

/* Puts one component "/name" before pos in s->path; the new pos, or 0 when it does not fit. */
static __always_inline __u32 prepend(struct scratch *s, __u32 pos, struct dentry *dentry)
{
    __u32 len = BPF_CORE_READ(dentry, d_name.len);
    const unsigned char *name = BPF_CORE_READ(dentry, d_name.name);
    if (len > TP_NAME_MAX || len + 1 >= pos)
        return 0;
    pos = (pos - len) & (TP_PATH_BUF - 1);
    bpf_probe_read_kernel(&s->path[pos], len & TP_NAME_MAX, name);
    /* masked, so every path through the walk ends in the same range and the verifier's states merge */
    pos = (pos - 1) & (TP_PATH_BUF - 1);
    s->path[pos] = '/';
    return pos;
}

/*
 * Sends the path of (vfsmnt, dentry) as the process' mount namespace names
 * it, walking up its dentries and mounts as d_path does (a chroot is not
 * stopped at). Returns TP_PATH_CUT if it was too long, TP_PARTS_LOST if
 * not sent. A global function: the verifier checks it once, on its own.
 */
__noinline __u32 send_path(__u32 tgid, __u32 kind, __u64 vfsmnt, __u64 dentry_addr)
{
    struct scratch *s = scratch_get();
    if (!s)
        return TP_PARTS_LOST;
    struct dentry *dentry = (void *)dentry_addr;
    struct mount *mnt = (void *)(vfsmnt - bpf_core_field_offset(struct mount, mnt));
    __u32 pos = TP_PATH_BUF, flags = TP_PATH_CUT;
    for (int i = 0; i < TP_PATH_DEPTH; i++) {
        struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
        if (dentry == BPF_CORE_READ(mnt, mnt.mnt_root)) {
            struct mount *up = BPF_CORE_READ(mnt, mnt_parent);
            if (up == mnt) {
                flags = 0; /* the namespace's root */
                break;
            }
            dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
            mnt = up;
            continue;
        }
        pos = prepend(s, pos, dentry);
        if (!pos)
            break;
        if (dentry == parent) {
            flags = 0; /* the root of a filesystem not mounted anywhere (a memfd's): its name alone */
            break;
        }
        dentry = parent;
    }
    if (!pos)
        pos = TP_PATH_BUF;
    if (pos == TP_PATH_BUF)
        s->path[--pos] = '/';
    __u32 len = TP_PATH_BUF - pos;
    begin(s, TP_EXEC_PATH, tgid);
    s->rec.value = kind;
    s->rec.len = len;
    s->rec.flags = flags;
    bpf_probe_read_kernel(s->data, len & (TP_PATH_BUF - 1), &s->path[pos & (TP_PATH_BUF - 1)]);
    return flags | (send(s, len & (TP_PATH_BUF - 1)) ? 0 : TP_PARTS_LOST);
}

/* Sends size bytes of argv at start in chunks; flags of what went wrong. A global function, as send_path. */
__noinline __u32 send_args(__u32 tgid, __u64 start, __u32 size)
{
    struct scratch *s = scratch_get();
    if (!s)
        return TP_PARTS_LOST;
    __u32 flags = 0;
    for (__u32 i = 0; i < TP_ARGS_MAX / TP_CHUNK; i++) {
        __u32 off = i * TP_CHUNK;
        if (off >= size)
            break;
        __u64 len = size - off;
        if (len > TP_CHUNK)
            len = TP_CHUNK;
        /* a bound the verifier sees whatever the compiler made of the one above */
        asm volatile("%[len] &= %[mask]" : [len] "+r"(len) : [mask] "i"(2 * TP_CHUNK - 1));
        begin(s, TP_EXEC_ARGS, tgid);
        s->rec.value = off;
        s->rec.len = len;
        if (bpf_probe_read_user(s->data, len, (void *)(start + off))) {
            flags |= TP_UNREADABLE;
            break;
        }
        if (!send(s, len))
            flags |= TP_PARTS_LOST;
    }
    return flags;
}

SEC("raw_tracepoint/sched_process_fork")
int on_fork(struct bpf_raw_tracepoint_args *ctx)
{
    struct task_struct *parent = (void *)ctx->args[0], *child = (void *)ctx->args[1];
    __u32 tgid = BPF_CORE_READ(child, tgid);
    if (BPF_CORE_READ(child, pid) != (int)tgid)
        return 0; /* a thread */
    bpf_map_delete_elem(&exited, &tgid);
    struct scratch *s = scratch_get();
    if (!s)
        return 0;
    begin(s, TP_FORK, tgid);
    s->rec.tid = tgid;
    s->rec.parent = BPF_CORE_READ(parent, tgid);
    send(s, 0);
    return 0;
}

/* Linux's flag of a group exit in signal_struct.flags (include/linux/sched/signal.h), stable since 2.6. */
#define SIGNAL_GROUP_EXIT 0x00000004

/*
 * A process ends with its last thread, which is not always its leader: a
 * leader may exit first (the process runs on), and an exec from another
 * thread kills the leader while the process lives on in the exec. do_exit
 * counts the live threads down before this tracepoint.
 */
SEC("raw_tracepoint/sched_process_exit")
int on_exit(struct bpf_raw_tracepoint_args *ctx)
{
    struct task_struct *task = (void *)ctx->args[0];
    if (BPF_CORE_READ(task, signal, live.counter) != 0)
        return 0; /* other threads run on */
    __u32 tgid = BPF_CORE_READ(task, tgid);
    __u8 one = 1;
    if (bpf_map_update_elem(&exited, &tgid, &one, BPF_NOEXIST) != 0 && bpf_map_lookup_elem(&exited, &tgid))
        return 0; /* another thread sent it */
    struct scratch *s = scratch_get();
    if (!s)
        return 0;
    begin(s, TP_EXIT, tgid);
    s->rec.tid = tgid;
    s->rec.parent = BPF_CORE_READ(task, real_parent, tgid);
    /* What the parent's wait gets: a group exit's code, else the leader's own (a thread's is not the process') */
    struct task_struct *leader = BPF_CORE_READ(task, group_leader);
    if (BPF_CORE_READ(task, signal, flags) & SIGNAL_GROUP_EXIT)
        s->rec.value = (__u32)BPF_CORE_READ(task, signal, group_exit_code);
    else
        s->rec.value = (__u32)BPF_CORE_READ(leader, exit_code);
    BPF_CORE_READ_STR_INTO(&s->rec.comm, leader, comm);
    send(s, 0);
    return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int on_exec(struct bpf_raw_tracepoint_args *ctx)
{
    struct task_struct *task = (void *)ctx->args[0];
    struct linux_binprm *bprm = (void *)ctx->args[2];
    struct scratch *s = scratch_get();
    if (!s)
        return 0;
    __u32 tgid = BPF_CORE_READ(task, tgid), flags = 0;
    struct file *file = BPF_CORE_READ(bprm, file);
    flags |= send_path(tgid, TP_PATH_EXE, (__u64)BPF_CORE_READ(file, f_path.mnt),
                       (__u64)BPF_CORE_READ(file, f_path.dentry));

    /* The name as the exec gave it; the working directory too when it is relative. */
    begin(s, TP_EXEC_PATH, tgid);
    s->rec.value = TP_PATH_NAME;
    long n = bpf_probe_read_kernel_str(s->data, TP_PATH_BUF, BPF_CORE_READ(bprm, filename));
    s->rec.len = n > 0 ? (__u32)n - 1 : 0;
    char first = s->data[0];
    if (!send(s, s->rec.len & (TP_PATH_BUF - 1)))
        flags |= TP_PARTS_LOST;
    if (n > 1 && first != '/')
        flags |= send_path(tgid, TP_PATH_CWD, (__u64)BPF_CORE_READ(task, fs, pwd.mnt),
                           (__u64)BPF_CORE_READ(task, fs, pwd.dentry));

    unsigned long start = BPF_CORE_READ(task, mm, arg_start), end = BPF_CORE_READ(task, mm, arg_end);
    unsigned long size = end > start ? end - start : 0;
    if (size > TP_ARGS_MAX) {
        size = TP_ARGS_MAX;
        flags |= TP_ARGS_CUT;
    }
    flags |= send_args(tgid, start, (__u32)size);

    /* binfmt_script and binfmt_misc point interp at the interpreter they run instead of the named file */
    if (BPF_CORE_READ(bprm, interp) != BPF_CORE_READ(bprm, filename))
        flags |= TP_INTERPRETED;
    begin(s, TP_EXEC, tgid);
    s->rec.tid = (__u32)ctx->args[1]; /* old_pid: the thread that called execve (now the leader) */
    s->rec.parent = BPF_CORE_READ(task, real_parent, tgid);
    s->rec.flags = flags;
    s->rec.uid = BPF_CORE_READ(task, cred, uid.val);
    s->rec.gid = BPF_CORE_READ(task, cred, gid.val);
    s->rec.args_len = (__u32)size;
    s->rec.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
    s->rec.ino = BPF_CORE_READ(file, f_inode, i_ino);
    BPF_CORE_READ_STR_INTO(&s->rec.comm, task, comm);
    send(s, 0);
    return 0;
}
