/*
 * ebpf_ntos_hooks.h — the process program type (SEC("process")), as the
 * ntosebpfext extension of eBPF for Windows defines it, on bpfhost.
 *
 *   #include "bpf_helpers.h"
 *   #include "ebpf_ntos_hooks.h"
 *
 *   SEC("process") int handler(process_md_t *ctx) { ... return 0; }
 *
 * A program sees every process creation and deletion of the event source
 * it is attached to. On a create, a non-zero return (for instance
 * STATUS_ACCESS_DENIED) denies the creation: the exec fails with EPERM —
 * with the sources that can deny (hooks "process/fanotify" and a
 * supervised tree's); the default hook "process" (netlink) reports execs
 * after the fact and cannot. On a delete the return value is ignored.
 *
 * What "create" means here: a process starts running a new program image,
 * i.e. an execve()/execveat() (Linux's fork only clones the image; the
 * create event of the new program comes with its exec). process_id is the
 * pid that execs; parent_process_id its parent; creating_process_id and
 * creating_thread_id the process and thread that called exec (the same
 * process on Linux). "delete" is the exit of a process (all its threads).
 *
 * Strings are UTF-8, not UTF-16 as on Windows; lengths are in bytes. The
 * command line is the argv of the exec joined by single spaces, between
 * command_start and command_end, without a terminating NUL. With the
 * fanotify event source the command line is not known when the program
 * runs (the exec has not happened yet): command_start == command_end.
 *
 * Also used by host code (bpfhost's process extension), so the layout is
 * checked on both sides: pointers are 64-bit in eBPF and on every host
 * bpfhost supports.
 */
#ifndef BPFHOST_EBPF_NTOS_HOOKS_H
#define BPFHOST_EBPF_NTOS_HOOKS_H

#if !defined(__bpf__)
#include <stdint.h>
#endif

typedef enum _process_operation
{
    PROCESS_OPERATION_CREATE, ///< Process creation (an exec on Linux).
    PROCESS_OPERATION_DELETE, ///< Process deletion (its exit).
} process_operation_t;

/*
 * How an exec reached the file a create shows (bpfhost's own). One execve
 * may open several files for execution, and each is a create of its own,
 * so a policy on a file holds whichever way the file is reached:
 */
typedef enum _process_image_kind
{
    PROCESS_IMAGE_PROGRAM,            ///< The file the exec names (the process' new program).
    PROCESS_IMAGE_SCRIPT_INTERPRETER, ///< The "#!" interpreter of the script (or interpreter) before it.
    PROCESS_IMAGE_ELF_INTERPRETER,    ///< The ELF interpreter (PT_INTERP, ld.so) of the program before it.
    PROCESS_IMAGE_LOADED_PROGRAM,     ///< The program an ELF interpreter run directly ("ld.so PROGRAM") will load.
} process_image_kind_t;

/* The largest security identifier, in bytes (SECURITY_MAX_SID_SIZE). */
#define TOKEN_SID_MAX_SIZE 68

typedef struct _process_md
{
    uint8_t* command_start;            ///< Start of the command line (UTF-8).
    uint8_t* command_end;              ///< End of the command line (exclusive).
    uint64_t process_id;               ///< Process ID.
    uint64_t parent_process_id;        ///< Parent process ID.
    uint64_t creating_process_id;      ///< Creating process ID.
    uint64_t creating_thread_id;       ///< Creating thread ID.
    uint64_t creation_time;            ///< Process creation time (FILETIME: 100 ns since 1601-01-01 UTC).
    uint64_t exit_time;                ///< Process exit time (FILETIME). Set only for PROCESS_OPERATION_DELETE.
    uint32_t process_exit_code;        ///< Exit code, or 128+N for death by signal N (0xFFFFFFFF: unknown). Set only for PROCESS_OPERATION_DELETE.
    process_operation_t operation : 8; ///< Operation to do.
    /* ntosebpfext's later fields. */
    uint32_t token_sid_size;               ///< Size of token_sid in bytes. Set only for PROCESS_OPERATION_CREATE.
    uint8_t token_sid[TOKEN_SID_MAX_SIZE]; ///< The user's SID in binary form: S-1-22-1-<uid> (a Unix user).
    /* bpfhost's own fields: only ever appended after ntosebpfext's. */
    uint32_t uid; ///< Real user id of the process.
    uint32_t gid; ///< Real group id of the process.
    uint32_t image_kind;   ///< process_image_kind_t of the image. Set only for PROCESS_OPERATION_CREATE.
    uint64_t image_device; ///< Device of the image file (st_dev as Linux encodes it); 0 if unknown.
    uint64_t image_inode;  ///< Inode number of the image file; 0 if unknown.
} process_md_t;

/* NTSTATUS values a process program returns. */
#define STATUS_SUCCESS 0x00000000
#define STATUS_ACCESS_DENIED 0xC0000022

/*
 * The signature of a process program: returns STATUS_SUCCESS to permit the
 * operation, another value (e.g. STATUS_ACCESS_DENIED) to deny a creation.
 */
typedef int process_hook_t(process_md_t* context);

#if defined(__bpf__)
/* The process type's own helpers (program-type helpers start at 0xFFFF + 1). */
#ifndef EBPF_HELPER
#define EBPF_HELPER(return_type, name, args) typedef return_type(*const name##_t) args
#endif

/*
 * Copies the full path of the process' image file (UTF-8, no NUL appended)
 * into path. Returns its length in bytes, or < 0 (-EINVAL if it does not
 * fit in path_length bytes).
 */
EBPF_HELPER(int, bpf_process_get_image_path, (process_md_t * ctx, uint8_t* path, uint32_t path_length));
#define bpf_process_get_image_path ((bpf_process_get_image_path_t)0x10000)

/*
 * Copies the name of the process' user (UTF-8, no NUL appended) into name.
 * Returns its length in bytes, or < 0 (-EINVAL if too long for the buffer,
 * -ENOENT if the user has no name).
 */
EBPF_HELPER(int, bpf_process_get_account_name, (process_md_t * ctx, uint8_t* name, uint32_t name_length));
#define bpf_process_get_account_name ((bpf_process_get_account_name_t)0x10001)

/*
 * Copies the account's domain — on this host the machine's host name — into
 * domain. Returns its length in bytes, or < 0 as above.
 */
EBPF_HELPER(int, bpf_process_get_account_domain, (process_md_t * ctx, uint8_t* domain, uint32_t domain_length));
#define bpf_process_get_account_domain ((bpf_process_get_account_domain_t)0x10002)

/* bpfhost's own process helpers, in a block of their own (0x10100 up). */

/*
 * Copies the path of the file whose exec led to the image into path: the
 * script (PROCESS_IMAGE_SCRIPT_INTERPRETER), the program
 * (PROCESS_IMAGE_ELF_INTERPRETER) or the ELF interpreter run directly
 * (PROCESS_IMAGE_LOADED_PROGRAM); nothing (0) for PROCESS_IMAGE_PROGRAM.
 * Returns its length in bytes, or < 0 as bpf_process_get_image_path.
 */
EBPF_HELPER(int, bpf_process_get_cause_path, (process_md_t * ctx, uint8_t* path, uint32_t path_length));
#define bpf_process_get_cause_path ((bpf_process_get_cause_path_t)0x10100)

/*
 * Writes the SHA-256 of the image file's content (32 bytes) into digest, so
 * a policy can name a file by what it is rather than by its path (a copy, a
 * hard link, a bind mount and a memfd of a file have its digest). Returns
 * 32, or < 0: -EINVAL if digest_size < 32, -ENOENT if the source has no
 * file to read (a delete, an unresolved path), -EFBIG for a file over
 * 64 MiB, or the error of reading it.
 */
EBPF_HELPER(int, bpf_process_get_image_sha256, (process_md_t * ctx, uint8_t* digest, uint32_t digest_size));
#define bpf_process_get_image_sha256 ((bpf_process_get_image_sha256_t)0x10101)
#endif

#endif
