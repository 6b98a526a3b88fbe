/*
 * core — what turns loaded code into running policy: programs, maps and
 * links as reference-counted objects with ids and pins; the registries of
 * program types (context layout, helpers, return rule) and hooks; loading
 * from an object file (the only way to a runnable program, through
 * core_verify); dispatch of hook events to attached programs; test runs;
 * the general helpers and the trace pipe.
 *
 * Lifetimes. Every object handed out carries one reference the caller
 * drops with core_obj_release() (or the typed core_*_release()). Pins,
 * links (their program), loaded objects and prog_array slots hold
 * references too. A prog_array's slots are cleared once no user holds the
 * map any more (no handle, pin or loaded object: only programs), which
 * breaks the cycle of a program that tail-calls through a map it uses.
 *
 * Concurrency. Everything is thread-safe. A program run never locks
 * anything of the core's: it is a reader of one process-wide grace period
 * (a writer-preferring rwlock, read-held for the whole run). Whatever a run
 * may reach without a reference of its own (programs and inner maps read
 * from map slots, the list of a hook's links) is released only after the
 * grace period: detach, slot replacement and hook changes wait until every
 * run that could have seen the old state has finished. Consequently these
 * calls must never be made from inside a run (from a helper or a
 * core_hook_invoke() result callback); that is a programming error.
 *
 * Errors are negative errno values. Layer 6: includes isa, elf, verify, exec, maps.
 */
#ifndef BPFHOST_CORE_H
#define BPFHOST_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "elf/bpf_elf.h"
#include "exec/exec.h"
#include "maps/maps.h"
#include "verify/verify.h"

/* ------------------------------------------------------------------------ */
/* Helper prototypes (what the verifier checks calls against).              */

enum core_ret_kind {
    CORE_RET_INTEGER,             /* any 64-bit value */
    CORE_RET_VOID,                /* r0 is undefined after the call */
    CORE_RET_MAP_VALUE_OR_NULL,   /* a value of the map argument (inner map for maps of maps), or NULL */
    CORE_RET_RINGBUF_MEM_OR_NULL, /* a reserved record of the size argument, or NULL */
};

enum core_arg_kind {
    CORE_ARG_NONE = 0,         /* not an argument: ends the list */
    CORE_ARG_MAP_PTR,          /* one of the program's maps (an lddw map value) */
    CORE_ARG_MAP_KEY,          /* readable memory of the preceding map's key size */
    CORE_ARG_MAP_VALUE,        /* readable memory of the preceding map's value size */
    CORE_ARG_MAP_VALUE_OUT,    /* writable memory of the preceding map's value size */
    CORE_ARG_MEM_READ,         /* readable memory, sized by the next argument */
    CORE_ARG_MEM_READ_OR_NULL, /* the same, or NULL with a zero size */
    CORE_ARG_MEM_WRITE,        /* writable memory, sized by the next argument */
    CORE_ARG_MEM_WRITE_OR_NULL,
    CORE_ARG_CONST_SIZE,       /* size of the preceding pointer, > 0 */
    CORE_ARG_SIZE_OR_ZERO,     /* size of the preceding pointer, may be 0 */
    CORE_ARG_ALLOC_SIZE,       /* size of the memory the helper returns */
    CORE_ARG_CTX,              /* the program's context */
    CORE_ARG_SCALAR,           /* any value */
    CORE_ARG_CALLBACK,         /* a function of the program (code-address lddw) */
    CORE_ARG_CONST_STR,        /* NUL-terminated string in read-only memory */
    CORE_ARG_RINGBUF_MEM,      /* a record from ringbuf_reserve, released by the call */
};

struct core_helper {
    uint32_t id;
    const char *name;
    exec_helper_fn fn;
    enum core_ret_kind ret;
    enum core_arg_kind args[5]; /* r1..r5 */
};

struct core_prog_type;
struct core_test_input;

/* The general helpers every program type may call (count in *count). */
const struct core_helper *core_general_helpers(size_t *count);

/* The helper id means for programs of type (NULL: general only), or NULL. */
const struct core_helper *core_helper_find(const struct core_prog_type *type, uint32_t id);

/* ------------------------------------------------------------------------ */
/* Program types.                                                           */

/*
 * One field of a context: what a program may do with its bytes. Rights are
 * per byte: a program may touch bytes of declared fields with their rights
 * (narrower accesses and accesses spanning fields with the rights are
 * fine); padding is read-only and zeroed before each run. Fields must not
 * overlap, and the data/end pair is never writable.
 */
struct core_ctx_field {
    const char *name;
    uint32_t offset;
    uint32_t size;
    unsigned access; /* EXEC_READ | EXEC_WRITE */
};

enum core_retval_rule { CORE_RETVAL_ANY, CORE_RETVAL_RANGE };

/*
 * A program type, as an extension describes it. The descriptor (and all it
 * points to) must outlive its registration. At run time a program gets its
 * context (ctx_size bytes, with the rights of its fields) and, with
 * has_data, the memory between the pointers the host stored at data_offset
 * and data_end_offset of the context, with data_access. The core keeps its
 * own copy of that pair and writes it back before each run.
 */
struct core_prog_type {
    const char *name;     /* "sample", "process", "bind" */
    uint32_t type_id;     /* numeric program type */
    const char *const *section_prefixes; /* NULL-terminated; longest match wins */
    uint32_t ctx_size;
    const struct core_ctx_field *fields;
    size_t field_count;
    /* The context's C names (struct tag, typedef), NULL-terminated: CO-RE
     * relocations of this type's programs resolve against the fields above
     * by these names. NULL: every such relocation is refused. */
    const char *const *ctx_type_names;
    bool has_data;
    uint32_t data_offset;     /* offset of the data pointer in the context */
    uint32_t data_end_offset; /* offset of the end pointer */
    unsigned data_access;     /* EXEC_READ, or EXEC_READ | EXEC_WRITE */
    const struct core_helper *helpers; /* ids >= BPF_FUNC_PROGRAM_TYPE_BASE (0x10000) */
    size_t helper_count;
    enum core_retval_rule retval_rule;
    int64_t retval_min, retval_max; /* CORE_RETVAL_RANGE: allowed return values, inclusive */
    /*
     * Optional, for types whose helpers need more than the context (like
     * eBPF for Windows' context_create/destroy): builds a test run's
     * context from its inputs (ctx_in is at most ctx_size bytes) in memory
     * of the extension's, with the data/end pair set; returns 0 or -errno
     * (-EINVAL names bad input). NULL: the core copies ctx_in and points the
     * pair at a copy of data_in.
     */
    int (*context_create)(const void *ctx_in, size_t ctx_in_size, const void *data_in, size_t data_in_size,
                          void **ctx);
    /* Frees what context_create made. */
    void (*context_destroy)(void *ctx);
    /*
     * Optional: turns a simulated event of this type, a JSON object
     * (bpfhost test-run --ctx EVENT.json), into a test run's inputs.
     * Returns 0, -EINVAL with the reason (naming the field) in err, or
     * -ENOMEM. NULL: the type has no JSON events.
     */
    int (*context_from_json)(const char *json, struct core_test_input *in, char *err, size_t errlen);
};

/* Registers a type: -EEXIST if its name or id is taken, -EINVAL if malformed. */
int core_prog_type_register(const struct core_prog_type *type);
/* Unregisters a type: -ENOENT if unknown, -EBUSY while programs of it exist. */
int core_prog_type_unregister(const struct core_prog_type *type);
/* Fills types with up to max registered types; returns how many are registered. */
size_t core_prog_type_list(const struct core_prog_type **types, size_t max);
/* The registered type of that name, or NULL. */
const struct core_prog_type *core_prog_type_find_by_name(const char *name);
/* The registered type whose section prefix is the longest prefix of section, or NULL. */
const struct core_prog_type *core_prog_type_find_by_section(const char *section);

/* ------------------------------------------------------------------------ */
/* Objects: ids, references, enumeration.                                   */

enum core_obj_type { CORE_OBJ_PROG = 1, CORE_OBJ_MAP = 2, CORE_OBJ_LINK = 3 };

struct core_obj;
struct core_prog;
struct core_map;
struct core_link;

/* The object's id: per type, from 1, increasing, never reused in a process. */
uint32_t core_obj_id(const struct core_obj *obj);
/* The object's type. */
enum core_obj_type core_obj_type(const struct core_obj *obj);
/* Takes one more reference; returns obj. */
struct core_obj *core_obj_retain(struct core_obj *obj);
/* Drops a reference (NULL is fine); the last one frees the object. */
void core_obj_release(struct core_obj *obj);
/* The smallest id of that type above after (0: the first); -ENOENT if none. */
int core_obj_next_id(enum core_obj_type type, uint32_t after, uint32_t *next);
/* The live object of that type and id with a new reference, or NULL. */
struct core_obj *core_obj_get_by_id(enum core_obj_type type, uint32_t id);

/* Typed views of an object: NULL if obj is NULL or of another type. */
struct core_prog *core_obj_prog(struct core_obj *obj);
/* See core_obj_prog(). */
struct core_map *core_obj_map(struct core_obj *obj);
/* See core_obj_prog(). */
struct core_link *core_obj_link(struct core_obj *obj);
/* The object of a program. */
struct core_obj *core_prog_obj(struct core_prog *prog);
/* The object of a map. */
struct core_obj *core_map_obj(struct core_map *map);
/* The object of a link. */
struct core_obj *core_link_obj(struct core_link *link);
/* core_obj_release() of a program. */
void core_prog_release(struct core_prog *prog);
/* core_obj_release() of a map. */
void core_map_release(struct core_map *map);
/* core_obj_release() of a link. */
void core_link_release(struct core_link *link);

/* ------------------------------------------------------------------------ */
/* Pins: an in-process namespace of paths ("/sys/fs/bpf/x") naming objects. */

/* Pins obj at path (the pin holds a reference): -EEXIST if taken, -EINVAL for a bad path. */
int core_pin(const char *path, struct core_obj *obj);
/* The object pinned at path, with a new reference; -ENOENT if none. */
int core_pin_get(const char *path, struct core_obj **out);
/* Removes the pin at path and drops its reference; -ENOENT if none. */
int core_unpin(const char *path);
/* The first pinned path sorting after after (NULL: the first) into path; -ENOENT at the end. */
int core_pin_next(const char *after, char *path, size_t len);

/* ------------------------------------------------------------------------ */
/* Maps.                                                                    */

/*
 * Creates a map (prog_array and map-of-maps slots get the core's callbacks,
 * so user space fills them with map_update_obj() passing a struct
 * core_prog * or a struct map *). A map stored in a map-of-maps slot lives
 * as long as the slot holds it, but its id finds it only while a core_map
 * of it is held somewhere (a handle, a pin, a program using it).
 */
int core_map_create(const struct map_params *params, struct core_map **out);
/* The map itself, for the operations of maps.h (valid while map is held). */
struct map *core_map_map(const struct core_map *map);

struct core_map_info {
    uint32_t id;
    uint32_t type; /* enum bpf_map_type */
    uint32_t key_size, value_size, max_entries, map_flags;
    char name[MAP_NAME_LEN];
    bool frozen;
};

/* Describes a map. */
void core_map_info(const struct core_map *map, struct core_map_info *info);

/* ------------------------------------------------------------------------ */
/* Programs.                                                                */

/*
 * A program to load. In insns, lddw instructions name maps by index into
 * maps: EBPF_LDDW_MAP_IDX (imm = index) and EBPF_LDDW_MAP_VALUE_IDX
 * (imm = index of a single-entry array, next imm = offset in its value);
 * EBPF_LDDW_CODE_ADDR names a function of the program.
 */
struct core_prog_load_args {
    const char *name;
    const char *section; /* optional, reported by core_prog_info() */
    const struct core_prog_type *type;
    const struct ebpf_insn *insns;
    size_t insn_count;
    struct core_map *const *maps;
    size_t map_count;
    const struct bpf_elf_program *source; /* optional: line info for the verifier's messages */
};

/* Verifies and prepares a program (a reference in *out); errors: reason in err. */
int core_prog_load(const struct core_prog_load_args *args, struct core_prog **out, char *err, size_t errlen);

/*
 * THE place where programs are verified before they can run: the static
 * verifier (verify.h) with the type's profile, the program's maps and its
 * source lines. Returns 0, or -EINVAL with the reason (instruction, source
 * line, rule, registers, fix hint) in err.
 */
int core_verify(const struct core_prog_load_args *args, char *err, size_t errlen);

/* A program type as the verifier sees it (owns the arrays it points to). */
struct core_profile {
    struct verify_profile profile;
    struct verify_ctx_field *fields;
    struct verify_helper *helpers;
};

/* Translates a registered type's descriptor into a profile; 0 or -ENOMEM. */
int core_profile_init(struct core_profile *p, const struct core_prog_type *type);
/* Frees what core_profile_init() made. */
void core_profile_free(struct core_profile *p);
/* The line info of an object's program as the verifier takes it (malloc'd, *count entries), or NULL. */
struct verify_line *core_verify_lines(const struct bpf_elf_program *source, size_t *count);
/*
 * Verifies program index of an object file against profile without
 * creating its maps (an offline check: any map type the verifier knows is
 * fine). verify_program()'s result.
 */
int core_verify_elf_program(const struct bpf_elf_object *elf, size_t index, const struct verify_profile *profile,
                            const struct verify_options *opts, struct verify_result *res);

/* ------------------------------------------------------------------------ */
/* Whose program types an object's sections name (offline checks).          */

/* Where a program type comes from. */
enum core_platform {
    CORE_PLATFORM_HOST,    /* a type registered on this host (sample, process, bind) */
    CORE_PLATFORM_LINUX,   /* a Linux type, as libbpf names it */
    CORE_PLATFORM_WINDOWS, /* an eBPF for Windows type that Linux also names (cgroup_sock_addr, ...) */
};

/* "host", "linux", "windows". */
const char *core_platform_name(enum core_platform platform);

/*
 * The platform an object was written for, decided from the object alone:
 * CORE_PLATFORM_WINDOWS if a program's section is one only eBPF for
 * Windows defines (a registered host type's, "cgroup/recv_accept4",
 * "cgroup/recv_accept6", "bind", "process"), a legacy map definition is
 * eBPF for Windows' 32-byte record (type, key_size, value_size,
 * max_entries, inner_map_idx, pinning, id, inner_id), or a program's
 * context is declared (BTF) as a struct with a member only eBPF for
 * Windows' contexts have (bpf_sock_addr_t's compartment_id, ...); else
 * CORE_PLATFORM_LINUX.
 */
enum core_platform core_object_platform(const struct bpf_elf_object *elf);

/*
 * The type name program index of elf has for an object of platform: a
 * registered host type's section prefix first, then the platform's name
 * for the section (Linux's as libbpf names it; on Windows, a section eBPF
 * for Windows does not define keeps Linux's meaning); a numbered tail-call
 * section ("2/1") takes the type of the object's other programs. NULL if
 * none.
 */
const char *core_program_type_name(const struct bpf_elf_object *elf, size_t index, enum core_platform platform);

/* A program type chosen for verification. */
struct core_type_choice {
    const char *name;                     /* the type's name */
    enum core_platform platform;          /* whose type it is */
    const struct verify_profile *profile; /* what programs of it are verified against */
    struct core_profile owned;            /* host and Windows types: the translated profile */
};

/*
 * Chooses the type called name for an object of platform: a registered
 * host type, else the platform's type of that name, else the other
 * platform's (a Windows type gets the host's general helpers added).
 * Returns 0, -ENOENT if no type has that name, or -ENOMEM; free with
 * core_type_choice_free().
 */
int core_type_choose(struct core_type_choice *c, const char *name, enum core_platform platform);
/* Frees what core_type_choose() made (a zeroed choice is fine). */
void core_type_choice_free(struct core_type_choice *c);

/* A profile of an eBPF for Windows type (verify_windows_profile()) with the host's general helpers added. */
int core_profile_init_windows(struct core_profile *p, const struct verify_profile *windows);

struct core_prog_info {
    uint32_t id;
    const char *name;      /* valid while the program is held */
    const char *section;   /* "" if not given */
    const struct core_prog_type *type;
    size_t insn_count;     /* instruction slots */
    size_t map_count;      /* maps it uses, see core_prog_map_ids() */
    uint64_t run_count;    /* runs by hooks (core_hook_invoke) */
    uint64_t run_time_ns;  /* their total duration */
    uint64_t error_count;  /* runs that stopped with an error (a fault) */
    uint64_t deny_count;   /* runs the hook's extension counted as a vote to deny (core_prog_count_denial) */
};

/* Describes a program. */
void core_prog_info(const struct core_prog *prog, struct core_prog_info *info);
/*
 * The first run by a hook that stopped with an error (its instruction and
 * reason): 0 with *fault set, or -ENOENT if no run has faulted. Kept for
 * the program's life, so a tool can report the first fault once.
 */
int core_prog_first_fault(const struct core_prog *prog, struct exec_result *fault);
/* For an extension's result callback: counts one run of prog as a vote to deny (see deny_count). */
void core_prog_count_denial(struct core_prog *prog);
/* Writes up to cap ids of the maps the program uses; returns how many it uses. */
size_t core_prog_map_ids(const struct core_prog *prog, uint32_t *ids, size_t cap);
/* The program as loaded, lddw naming maps by index into core_prog_map_ids(). */
const struct ebpf_insn *core_prog_insns(const struct core_prog *prog, size_t *count);

/* ------------------------------------------------------------------------ */
/* Loading an object file.                                                  */

struct core_load_opts {
    const char *pin_root;  /* where maps with pinning = by name are pinned; NULL: "/sys/fs/bpf" */
    const char *prog_type; /* every program's type by name; NULL: from each section */
};

/* A loaded object: element i belongs to the ELF object's programs[i] / maps[i]. */
struct core_object {
    struct core_prog **progs;
    size_t prog_count;
    struct core_map **maps;
    char **map_names; /* the object file's names (a map's own name is cut to 15 characters) */
    size_t map_count;
};

/*
 * Creates the maps (or reuses pinned ones), loads every program and fills
 * static slots. A program's CO-RE relocations are applied against its
 * type's context (ctx_type_names, fields); one that names a type, field or
 * relocation kind this host does not have fails the load with -EOPNOTSUPP
 * (only then), the message naming it ("program 'x': CO-RE relocation at
 * instruction 12 of kprobe/x: field byte offset of struct task_struct.pid:
 * no such type on this host"); the object stays open for offline tools.
 */
int core_object_load(const struct bpf_elf_object *elf, const struct core_load_opts *opts,
                     struct core_object **out, char *err, size_t errlen);
/* Drops the object's references (NULL is fine). */
void core_object_close(struct core_object *obj);
/* The loaded program of that name (borrowed), or NULL. */
struct core_prog *core_object_find_prog(const struct core_object *obj, const char *name);
/* The loaded map of that name (borrowed), or NULL. */
struct core_map *core_object_find_map(const struct core_object *obj, const char *name);

/* ------------------------------------------------------------------------ */
/* Runs: the task that caused an event, and what helpers of a type can see. */

/* Who a run is on behalf of (bpf_get_current_pid_tgid & co). */
struct core_task {
    uint32_t process_id; /* tgid */
    uint32_t thread_id;  /* pid in Linux's kernel terms */
    uint32_t uid, gid;
    char comm[16];
};

/* For type-specific helpers: the context the running program was given. */
void *core_run_ctx(const struct exec_env *env);
/* For helpers: the run's task (the hook's, else the calling thread). */
const struct core_task *core_run_task(struct exec_env *env);

/* ------------------------------------------------------------------------ */
/* Hooks and links.                                                         */

struct core_hook;

/*
 * A hook an extension provides. attach may refuse a link (a -errno); both
 * callbacks run under the lock of the hook registry, so they are
 * serialised, and must call no core_hook_* function but core_hook_invoke().
 */
struct core_hook_desc {
    const char *name;      /* unique */
    const char *prog_type; /* name of the program type it runs */
    void *owner;           /* handed to the callbacks */
    int (*attach)(void *owner, struct core_link *link);
    void (*detach)(void *owner, struct core_link *link);
};

/* Registers a hook (desc is copied): -EEXIST, -ENOENT for an unknown type. */
int core_hook_register(const struct core_hook_desc *desc, struct core_hook **out);
/* Detaches every link, waits for running dispatches, and frees the hook. */
void core_hook_unregister(struct core_hook *hook);
/* The hook of that name (valid until unregistered), or NULL. */
struct core_hook *core_hook_find(const char *name);
/* The hook's name. */
const char *core_hook_name(const struct core_hook *hook);
/* The name of the program type the hook runs. */
const char *core_hook_prog_type(const struct core_hook *hook);

/*
 * Attaches prog (of the hook's type, else -EINVAL) after the programs
 * already attached; params (copied) are for the hook's owner. The link is
 * attached until core_link_detach() or until its last reference is gone.
 */
int core_hook_attach(struct core_hook *hook, struct core_prog *prog, const void *params, size_t params_size,
                     struct core_link **out);
/* Detaches a link now (it stays an object); -ENOENT if already detached. */
int core_link_detach(struct core_link *link);
/* The attach parameters of a link. */
const void *core_link_params(const struct core_link *link, size_t *size);
/* The program of a link (borrowed). */
struct core_prog *core_link_prog(const struct core_link *link);

struct core_link_info {
    uint32_t id;
    uint32_t prog_id;
    char hook[64]; /* "" once detached */
};

/* Describes a link. */
void core_link_info(const struct core_link *link, struct core_link_info *info);

/* One program's outcome in a dispatch (the link ran its program); return non-zero to skip the rest. */
typedef int (*core_hook_result_fn)(void *arg, const struct core_link *link, uint64_t retval,
                                   const struct exec_result *result);

/*
 * Runs every program attached to hook, in attach order, on ctx (the
 * program type's context) on behalf of task (NULL: the calling thread),
 * and reports each outcome to fn (result->status != EXEC_OK: the program
 * stopped with an error, retval is then 0; the link's parameters say how
 * its owner wants it treated). The caller decides what the values mean.
 * Returns how many programs ran.
 */
int core_hook_invoke(struct core_hook *hook, void *ctx, const struct core_task *task, core_hook_result_fn fn,
                     void *arg);
/* core_hook_invoke() whose programs stop at deadline_ns (CLOCK_MONOTONIC; EXEC_ERR_DEADLINE; 0: none). */
int core_hook_invoke_until(struct core_hook *hook, void *ctx, const struct core_task *task, uint64_t deadline_ns,
                           core_hook_result_fn fn, void *arg);

/* ------------------------------------------------------------------------ */
/* Test runs (BPF_PROG_TEST_RUN).                                           */

struct core_test_run {
    const void *ctx_in; /* NULL or up to the type's ctx_size bytes (the rest zeroed) */
    size_t ctx_in_size;
    void *ctx_out; /* NULL or a buffer for the context after the run (data pointers zeroed) */
    size_t ctx_out_size;
    const void *data_in; /* the data the context's data/end pair points to */
    size_t data_in_size;
    void *data_out;        /* NULL or a buffer for the data after the run */
    size_t data_out_size;  /* in: its size; out: the data's size (larger than in: -ENOSPC) */
    uint32_t repeat;       /* runs (0 means 1) */
    const struct core_task *task; /* NULL: the calling thread */
    /* Results. */
    uint64_t retval;
    uint64_t duration_ns;     /* average per run */
    struct exec_result error; /* status != EXEC_OK when a run stopped with an error */
};

/* Runs prog as asked: 0, -EINVAL for bad arguments, -EFAULT if a run failed (see error). */
int core_test_run(struct core_prog *prog, struct core_test_run *run);

/* A test run's inputs made from a simulated event (core_prog_type.context_from_json). */
struct core_test_input {
    void *ctx; /* malloc'd, at most the type's ctx_size bytes; the caller frees it */
    size_t ctx_size;
    void *data; /* malloc'd (NULL when data_size is 0); the caller frees it */
    size_t data_size;
    struct core_task task; /* who the event is on behalf of */
};

/* ------------------------------------------------------------------------ */
/* Trace pipe.                                                              */

/*
 * bpf_printk output: a ring of the last CORE_TRACE_LINES lines in this
 * process, each "comm-tid [cpu] seconds.micros: program: message" (the
 * host adds lines "bpfhost: program P on hook H stopped: why"). When the
 * environment variable BPFHOST_TRACE_PIPE names a file or FIFO, every line
 * is also written there with a newline: appended, opened when a line comes
 * (the variable is read for every line), lines that would block dropped;
 * a FIFO without a reader drops lines until one opens it (SIGPIPE is never
 * raised). So `mkfifo p; BPFHOST_TRACE_PIPE=p app & cat p` follows it live.
 */
enum { CORE_TRACE_LINES = 1024, CORE_TRACE_LINE_MAX = 512 };

/* Appends a line of the host's own (why a program stopped, an event source's trouble) to the trace pipe. */
void core_trace_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The sequence number the next line will get (follow from here for new lines only). */
uint64_t core_trace_tail(void);
/*
 * Copies the line numbered *cursor (or the oldest still kept after it)
 * into line, waiting up to timeout_ms (-1: forever), and advances *cursor
 * past it. Returns how many lines were lost to the ring's wrap before it,
 * or -ETIMEDOUT.
 */
int core_trace_follow(uint64_t *cursor, char *line, size_t len, int timeout_ms);

/* ------------------------------------------------------------------------ */
/* The "sample" program type, for tests.                                    */

/* Its context: data/data_end are a data pair (read-write). */
struct core_sample_ctx {
    uint8_t *data;
    uint8_t *data_end;
    uint64_t uint64_data;
    uint64_t helper_data_1; /* read-only to programs; bpf_sample_set_helper_data writes it */
    uint32_t uint32_data;
    uint16_t uint16_data;
    uint16_t reserved;
    uint32_t pid; /* read-only */
    uint32_t tid; /* read-only */
};

enum {
    CORE_SAMPLE_TYPE_ID = 999, /* BPF_PROG_TYPE_SAMPLE of eBPF for Windows */
    /* long bpf_sample_set_helper_data(void *ctx, uint64_t value): stores value in
     * ctx->helper_data_1 and returns the previous value (-EINVAL for another ctx). */
    CORE_SAMPLE_HELPER_SET_DATA = 0x10000,
};

/* Registers the "sample" type (section "sample"); -EEXIST if it already is. */
int core_register_sample_type(void);

#endif
