/*
 * What this machine lets a test do, found by trying the kernel feature
 * itself (never through bpfhost, so a probe cannot hide a bug of ours).
 * Each returns NULL when the feature works, else a sentence saying why it
 * does not (a static string, valid until the next call of that probe).
 * Probes that could crash or change the caller run in a child process.
 */
#ifndef BPFHOST_TESTS_PROBES_H
#define BPFHOST_TESTS_PROBES_H

#include <sys/types.h>

/* The effective user is root. */
const char *probe_root(void);

/* A 64-bit process reaches the kernel through `int $0x80` (a getpid through the i386 entry). */
const char *probe_i386_entry(void);

/* fanotify permission events on exec: fanotify_init(FAN_CLASS_CONTENT) and a FAN_OPEN_EXEC_PERM mark. */
const char *probe_fanotify_exec_perm(void);

/* The netlink proc connector answers PROC_CN_MCAST_LISTEN with success. */
const char *probe_proc_connector(void);

/* The kernel's audit answers AUDIT_GET (CONFIG_AUDIT, CAP_AUDIT_CONTROL) and is not locked. */
const char *probe_audit(void);

/*
 * The kernel runs eBPF programs on its tracepoints for us: we are in the
 * initial pid namespace, its BTF is at
 * /sys/kernel/btf/vmlinux, libbpf.so.1 opens, and a raw tracepoint program
 * loads (BPF_PROG_LOAD) and attaches to sched_process_exec.
 */
const char *probe_kernel_tracepoints(void);

/* A new network namespace can be made (unshare(CLONE_NEWNET) in a child). */
const char *probe_new_network_namespace(void);

/*
 * seccomp user notification with SECCOMP_USER_NOTIF_FLAG_CONTINUE: a child
 * traps one of its own system calls, receives it on the listener and lets
 * it continue.
 */
const char *probe_seccomp_notify_continue(void);

/*
 * A process of user uid (the caller's if uid is its own; else it switches,
 * which needs root) can read its child's memory with process_vm_readv, as
 * the supervisor does (Yama's ptrace_scope may forbid it).
 */
const char *probe_read_child_memory(uid_t uid);

/* What every supervised command tree needs: both of the above, as ourselves. */
const char *probe_supervision(void);

/* PIDFD_INFO_EXIT (Linux >= 6.15): a reaped child's exit status through its pidfd. */
const char *probe_pidfd_info_exit(void);

#endif
