/*
 * The seccomp filter of a supervised tree: SECCOMP_RET_USER_NOTIF for
 * execve and execveat, allow everything else. A 64-bit process can also
 * enter the kernel through its 32-bit ABIs (int 0x80 on x86-64, x32), so
 * the filter covers every ABI the machine runs; libseccomp writes the
 * arch checks and per-ABI syscall numbers for us. The filter is built in
 * the caller (libseccomp allocates) and installed in the command child
 * with the raw system call, which is async-signal-safe after a fork of a
 * multi-threaded program.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ext/supervise/supervise.h"

/* The 32-bit ABIs a 64-bit machine also runs. */
static const struct {
    uint32_t native;
    uint32_t compat[2];
} compat_abis[] = {
    {SCMP_ARCH_X86_64, {SCMP_ARCH_X86, SCMP_ARCH_X32}},
    {SCMP_ARCH_AARCH64, {SCMP_ARCH_ARM, 0}},
};

/* Adds an ABI to the context and the classification table. */
static int add_abi(scmp_filter_ctx ctx, struct sv_filter *f, uint32_t token)
{
    int err = seccomp_arch_add(ctx, token);
    if (err && err != -EEXIST)
        return err;
    struct sv_abi *abi = &f->abis[f->abi_count++];
    /* x32 shares x86-64's audit arch; its numbers carry the x32 bit. */
    abi->arch = token == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : token;
    abi->execve_nr = seccomp_syscall_resolve_name_arch(token, "execve");
    abi->execveat_nr = seccomp_syscall_resolve_name_arch(token, "execveat");
    abi->ptr_size = (token & 0x80000000u) ? 8 : 4; /* __AUDIT_ARCH_64BIT */
    return 0;
}

/* Writes the filter's BPF into f->prog (through a memfd: libseccomp 2.5 exports only to an fd). */
static int export_filter(scmp_filter_ctx ctx, struct sv_filter *f)
{
    int fd = memfd_create("bpfhost-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    int err = seccomp_export_bpf(ctx, fd);
    struct stat st;
    if (!err && fstat(fd, &st) != 0)
        err = -errno;
    if (!err && (st.st_size == 0 || st.st_size % sizeof(struct sock_filter) || st.st_size > 0xffff * 8))
        err = -EINVAL;
    if (!err) {
        f->prog.filter = malloc((size_t)st.st_size);
        if (!f->prog.filter)
            err = -ENOMEM;
        else if (pread(fd, f->prog.filter, (size_t)st.st_size, 0) != st.st_size)
            err = -EIO;
        f->prog.len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
    }
    close(fd);
    return err;
}

int sv_filter_build(struct sv_filter *f)
{
    memset(f, 0, sizeof(*f));
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        return -ENOMEM;
    uint32_t native = seccomp_arch_native();
    int err = add_abi(ctx, f, native);
    for (size_t i = 0; !err && i < sizeof(compat_abis) / sizeof(compat_abis[0]); i++)
        for (size_t j = 0; !err && compat_abis[i].native == native && j < 2 && compat_abis[i].compat[j]; j++)
            err = add_abi(ctx, f, compat_abis[i].compat[j]);
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execve), 0);
    if (!err)
        err = seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(execveat), 0);
    if (!err)
        err = export_filter(ctx, f);
    seccomp_release(ctx);
    if (err)
        sv_filter_free(f);
    return err;
}

void sv_filter_free(struct sv_filter *f)
{
    free(f->prog.filter);
    memset(f, 0, sizeof(*f));
}

/* Installs the filter with a listener: its fd, or -errno. */
static int install(const struct sv_filter *f)
{
    /* WAIT_KILLABLE_RECV (Linux 5.19): once we have received a notification,
     * only a fatal signal interrupts the exec, so a signal does not make the
     * exec restart and come again as a second event. */
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                      SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &f->prog);
    if (fd < 0 && errno == EINVAL)
        fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &f->prog);
    return fd < 0 ? -errno : (int)fd;
}

int sv_filter_install(const struct sv_filter *f)
{
    /* With CAP_SYS_ADMIN a filter needs no no_new_privs, so setuid programs
     * keep working in a tree run by root; anyone else must set it. */
    int fd = install(f);
    if (fd != -EACCES)
        return fd;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    return install(f);
}

enum sv_syscall sv_filter_classify(const struct sv_filter *f, uint32_t arch, int nr, const struct sv_abi **abi)
{
    for (size_t i = 0; i < f->abi_count; i++) {
        const struct sv_abi *a = &f->abis[i];
        if (a->arch != arch || (nr != a->execve_nr && nr != a->execveat_nr))
            continue;
        *abi = a;
        return nr == a->execve_nr ? SV_EXECVE : SV_EXECVEAT;
    }
    *abi = NULL;
    return SV_OTHER;
}
