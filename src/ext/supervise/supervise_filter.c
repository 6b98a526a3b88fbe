/*
 * The seccomp filter of a supervised tree: SECCOMP_RET_USER_NOTIF for
 * every call an extension claims (execve, execveat, bind, listen), allow
 * everything else. On i386, bind and listen also come through socketcall(SYS_BIND, SYS_LISTEN),
 * which libseccomp covers with the direct call. A 64-bit process can also
 * enter the kernel through its 32-bit ABIs (int 0x80 on x86-64, x32), so
 * the filter covers every ABI the machine runs (x32 only where the kernel runs it); libseccomp writes the
 * arch checks and per-ABI syscall numbers for us. The filter is built in
 * the caller (libseccomp allocates) and installed in the command child
 * with the raw system call, which is async-signal-safe after a fork of a
 * multi-threaded program.
 */
#include <errno.h>
#include <linux/net.h>
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

/* i386's direct bind and listen (Linux 4.3): libseccomp names them by socketcall's pseudo numbers, and
 * <asm/unistd_32.h> would redefine the native __NR_* of the rest of this file. */
enum { I386_NR_BIND = 361, I386_NR_LISTEN = 363 };

/* The socketcall(2) number of call, or -1 if it has none we claim. */
static int socketcall_of(const char *call)
{
    return !strcmp(call, "bind") ? SYS_BIND : !strcmp(call, "listen") ? SYS_LISTEN : -1;
}

/* The number of call on the ABI of token, or -1 (libseccomp's negative pseudo numbers: not a direct call). */
static int call_nr(uint32_t token, const char *call)
{
    int nr = seccomp_syscall_resolve_name_arch(token, call);
    if (token == SCMP_ARCH_X86 && socketcall_of(call) >= 0)
        nr = socketcall_of(call) == SYS_BIND ? I386_NR_BIND : I386_NR_LISTEN;
    return nr >= 0 ? nr : -1;
}

/*
 * Whether the kernel runs the x32 ABI (CONFIG_X86_X32_ABI, and not turned
 * off): an x32 call then is not ENOSYS. Without it, x32 stays out of the
 * filter: we would claim calls the kernel refuses, and perform them.
 */
static bool kernel_runs_x32(void)
{
    enum { X32_SYSCALL_BIT = 0x40000000, X86_64_NR_GETPID = 39 };
    errno = 0;
    return syscall(X32_SYSCALL_BIT | X86_64_NR_GETPID) >= 0 || errno != ENOSYS;
}

/* Adds an ABI to the context and the classification table. */
static int add_abi(scmp_filter_ctx ctx, struct sv_filter *f, uint32_t token)
{
    int err = seccomp_arch_add(ctx, token);
    if (err && err != -EEXIST)
        return err;
    struct sv_abi *abi = &f->abis[f->abi_count++];
    /* x32 shares x86-64's audit arch; its numbers carry the x32 bit. */
    abi->arch = token == SCMP_ARCH_X32 ? SCMP_ARCH_X86_64 : token;
    for (size_t i = 0; i < f->call_count; i++)
        abi->nr[i] = call_nr(token, f->calls[i]);
    abi->socketcall_nr = call_nr(token, "socketcall");
    abi->ptr_size = (token & 0x80000000u) ? 8 : 4; /* __AUDIT_ARCH_64BIT */
    return 0;
}

/* Lists the extensions' claims in f: 0, or -E2BIG (more than SV_MAX_CALLS). */
static int list_calls(struct sv_filter *f, const struct sv_extension *const exts[SV_EXTENSION_COUNT])
{
    for (int e = 0; e < SV_EXTENSION_COUNT; e++)
        for (const char *const *c = exts[e]->calls; *c; c++) {
            if (f->call_count == SV_MAX_CALLS)
                return -E2BIG;
            f->calls[f->call_count] = *c;
            f->owner[f->call_count++] = e;
        }
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

int sv_filter_build(struct sv_filter *f, const struct sv_extension *const exts[SV_EXTENSION_COUNT])
{
    memset(f, 0, sizeof(*f));
    int err = list_calls(f, exts);
    if (err)
        return err;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        return -ENOMEM;
    uint32_t native = seccomp_arch_native();
    /* An ABI left out (x32 where the kernel does not run it) gets the kernel's own answer, not a kill. */
    err = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
    if (!err)
        err = add_abi(ctx, f, native);
    for (size_t i = 0; !err && i < sizeof(compat_abis) / sizeof(compat_abis[0]); i++)
        for (size_t j = 0; !err && compat_abis[i].native == native && j < 2 && compat_abis[i].compat[j]; j++)
            if (compat_abis[i].compat[j] != SCMP_ARCH_X32 || kernel_runs_x32())
                err = add_abi(ctx, f, compat_abis[i].compat[j]);
    for (size_t i = 0; !err && i < f->call_count; i++) {
        int nr = seccomp_syscall_resolve_name(f->calls[i]);
        err = nr == __NR_SCMP_ERROR ? -EINVAL : seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, nr, 0);
    }
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

int sv_filter_classify(const struct sv_filter *f, const struct seccomp_notif *n, struct sv_call *call)
{
    *call = (struct sv_call){.n = n};
    for (size_t i = 0; i < f->abi_count; i++) {
        const struct sv_abi *a = &f->abis[i];
        if (a->arch != n->data.arch)
            continue;
        call->abi = a;
        for (size_t c = 0; c < f->call_count; c++) {
            int sub = socketcall_of(f->calls[c]);
            bool via_socketcall = sub >= 0 && a->socketcall_nr >= 0 && n->data.nr == a->socketcall_nr &&
                                  (uint32_t)n->data.args[0] == (uint32_t)sub;
            if (n->data.nr == a->nr[c] || via_socketcall) {
                call->name = f->calls[c];
                call->socketcall = via_socketcall;
                return f->owner[c];
            }
        }
    }
    return -1;
}
