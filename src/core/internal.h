/*
 * Private to src/core: the object structures, the grace period, the run
 * context helpers see, and the helper functions the general table lists.
 * The layer's interface is core.h.
 */
#ifndef BPFHOST_CORE_INTERNAL_H
#define BPFHOST_CORE_INTERNAL_H

#include <stdatomic.h>

#include "core/core.h"
/* The helper IDs programs are compiled with (include/ is not on the host's include path). */
#include "bpf_helper_ids.h" /* include/: shared with eBPF programs */

/*
 * Common head of programs, maps and links. refs counts every holder;
 * users counts the holders that stand for user space (handles, pins,
 * loaded objects): programs holding their maps and slots holding programs
 * take refs only, so that last_user can break reference cycles.
 */
struct core_obj {
    enum core_obj_type type;
    uint32_t id;
    atomic_long refs;
    atomic_long users;
    void (*last_user)(struct core_obj *obj); /* optional */
    void (*free)(struct core_obj *obj);      /* after removal from the id table */
};

/* objects.c: gives obj an id and one user reference; -ENOSPC when ids run out. */
int core_obj_init(struct core_obj *obj, enum core_obj_type type, void (*free)(struct core_obj *obj),
                  void (*last_user)(struct core_obj *obj));
/* Takes an internal (non-user) reference. */
void core_obj_hold(struct core_obj *obj);
/* Drops an internal reference. */
void core_obj_put(struct core_obj *obj);

struct core_map {
    struct core_obj obj;
    struct map *map;
};

/* ctx_layout.c: a run of context bytes. */
struct core_ctx_span {
    uint32_t offset, size;
};

/* ctx_layout.c: what programs of a type may do with each byte of its context. */
struct core_ctx_layout {
    uint8_t *rights;             /* ctx_size bytes of EXEC_READ | EXEC_WRITE */
    struct core_ctx_span *pads;  /* bytes no field names: readable, zeroed before each run */
    size_t pad_count;
};

/* Builds the layout of type's context; 0 or -ENOMEM. */
int core_ctx_layout_init(struct core_ctx_layout *layout, const struct core_prog_type *type);
/* Frees what init built. */
void core_ctx_layout_free(struct core_ctx_layout *layout);
/* Zeroes the padding of a context. */
void core_ctx_clear_padding(const struct core_ctx_layout *layout, void *ctx);

struct core_prog {
    struct core_obj obj;
    char *name;
    char *section;
    const struct core_prog_type *type;
    struct ebpf_insn *insns; /* as loaded: lddw name maps by index */
    size_t insn_count;
    struct core_map **maps; /* internal references */
    struct map **map_ptrs;  /* the same maps, as programs see them */
    size_t map_count;
    struct exec_helper *helpers; /* the table exec resolved calls against */
    struct exec_program *exec;
    bool needs_cpu_slot; /* runs claim a CPU slot (map_cpu_claim): per-CPU state or the CPU number */
    struct core_ctx_layout ctx;
    atomic_uint_fast64_t run_count, run_time_ns, error_count, deny_count;
    atomic_bool fault_claimed;  /* set by the first run that faulted */
    atomic_bool fault_recorded; /* first_fault is written */
    struct exec_result first_fault;
};

struct core_link {
    struct core_obj obj;
    struct core_prog *prog;  /* internal reference */
    struct core_hook *hook;  /* NULL once detached; guarded by the hook registry's lock */
    void *params;
    size_t params_size;
};

/* errors.c: writes the printf-style message into err (if any) and returns code. */
int core_fail(char *err, size_t errlen, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* errors.c: makes room in *items (capacity *cap, count used, elements of size bytes) for one more; 0 or -ENOMEM. */
int core_grow(void **items, size_t *cap, size_t count, size_t size);

/*
 * platform.c: the load of program index, whose section no registered type
 * claims, refused: verified against the type its section names on the
 * object's platform (a rejection is the verifier's, -EINVAL), else
 * -EOPNOTSUPP saying the host cannot run that type; -EINVAL if the section
 * names no type at all. The reason goes to err.
 */
int core_refuse_unregistered(const struct bpf_elf_object *elf, size_t index, char *err, size_t errlen);

/* prog_types.c: counts a program of a registered type (-ENOENT if not registered). */
int core_prog_type_hold(const struct core_prog_type *type);
/* Uncounts it. */
void core_prog_type_drop(const struct core_prog_type *type);

/*
 * grace.c: the grace period. Runs are readers (re-entrant per thread);
 * core_grace_wait() returns once every run that was in progress has
 * ended. It must not be called from inside a run.
 */
void core_grace_enter(void);
/* Ends the calling thread's (outermost) run. */
void core_grace_exit(void);
/* Waits for the runs in progress. */
void core_grace_wait(void);

/* ------------------------------------------------------------------------ */
/* run.c: one run, as helpers see it through exec_env_host_ctx().           */

enum { CORE_RUN_INNER_MAX = 16, CORE_RUN_RESV_MAX = 16 };

/* A ring-buffer record reserved and not yet submitted or discarded. */
struct core_resv {
    uint8_t *rec;
    size_t len;
};

struct core_run {
    const struct core_prog *prog; /* the running program, as core_run_of() last found it */
    void *ctx;
    const struct core_task *task; /* NULL until asked for, when none was given */
    struct core_task own_task;    /* the calling thread, filled on first use */
    /* Inner maps looked up in this run: they may be passed to helpers. */
    struct map *inner[CORE_RUN_INNER_MAX];
    size_t inner_count;
    struct core_resv resv[CORE_RUN_RESV_MAX];
    size_t resv_count;
};

/*
 * The data a context's data/end pair points to, as the host set it. The host
 * keeps it in its own variables: a run never trusts the pair read back from
 * the context, which is memory programs are given.
 */
struct core_ctx_data {
    void *data;
    size_t size;
};

/* ctx_layout.c: reads the pair the host stored in ctx (before any program ran on it). */
struct core_ctx_data core_ctx_data_get(const struct core_prog_type *type, const void *ctx);
/* ctx_layout.c: stores the pair into ctx. */
void core_ctx_data_put(const struct core_prog_type *type, void *ctx, struct core_ctx_data data);

/* Runs prog on ctx (with data, the pair's truth) for task (NULL: the calling thread) until deadline_ns
 * (CLOCK_MONOTONIC, 0: none); exec_run()'s result. */
int core_run_prog(const struct core_prog *prog, void *ctx, struct core_ctx_data data, const struct core_task *task,
                  uint64_t deadline_ns, struct exec_result *res);
/* The run a helper is called from. */
struct core_run *core_run_of(struct exec_env *env);
/* The map ptr names if it is one the running program may use, else NULL (never dereferences ptr). */
struct map *core_run_map(const struct core_run *run, uint64_t ptr);
/* Records an inner map the program obtained, so it may pass it to helpers. */
void core_run_add_inner(struct core_run *run, struct map *inner);

/* maps_obj.c: the slot callbacks of prog_array and maps of maps. */
extern const struct map_obj_ops core_prog_slot_ops;
extern const struct map_obj_ops core_map_slot_ops;

/* ------------------------------------------------------------------------ */
/* Helpers (general table in helpers.c).                                    */

#define CORE_HELPER(fn) \
    uint64_t fn(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, struct exec_env *env)

/* helpers_maps.c */
CORE_HELPER(core_helper_map_lookup_elem);
CORE_HELPER(core_helper_map_update_elem);
CORE_HELPER(core_helper_map_delete_elem);
CORE_HELPER(core_helper_map_push_elem);
CORE_HELPER(core_helper_map_pop_elem);
CORE_HELPER(core_helper_map_peek_elem);
CORE_HELPER(core_helper_tail_call);
/* helpers_ringbuf.c */
CORE_HELPER(core_helper_ringbuf_output);
CORE_HELPER(core_helper_ringbuf_reserve);
CORE_HELPER(core_helper_ringbuf_submit);
CORE_HELPER(core_helper_ringbuf_discard);
CORE_HELPER(core_helper_ringbuf_query);
/* helpers_time.c */
CORE_HELPER(core_helper_ktime_get_ns);
CORE_HELPER(core_helper_ktime_get_boot_ns);
CORE_HELPER(core_helper_ktime_get_boot_ms);
CORE_HELPER(core_helper_ktime_get_ms);
CORE_HELPER(core_helper_get_prandom_u32);
CORE_HELPER(core_helper_get_smp_processor_id);
/* helpers_task.c */
CORE_HELPER(core_helper_get_current_pid_tgid);
CORE_HELPER(core_helper_get_current_uid_gid);
CORE_HELPER(core_helper_get_current_comm);
/* helpers_string.c */
CORE_HELPER(core_helper_strncmp);
CORE_HELPER(core_helper_snprintf);
CORE_HELPER(core_helper_loop);
/* helpers_windows.c */
CORE_HELPER(core_helper_memcmp_s);
CORE_HELPER(core_helper_memset);
CORE_HELPER(core_helper_memmove_s);
CORE_HELPER(core_helper_strncpy_s);
CORE_HELPER(core_helper_strncat_s);
CORE_HELPER(core_helper_strnlen_s);
/* trace.c */
CORE_HELPER(core_helper_trace_printk);
CORE_HELPER(core_helper_trace_printk2);
CORE_HELPER(core_helper_trace_printk3);
CORE_HELPER(core_helper_trace_printk4);


/* ------------------------------------------------------------------------ */
/* format.c: bpf_snprintf / bpf_trace_printk formatting.                    */

/*
 * Length of the string at program address addr, reading at most max bytes
 * the run may read: the offset of its NUL, max if none of the max bytes is
 * NUL, or -1 if a byte before either may not be read (the caller's helper
 * then returns an error; the program goes on).
 */
long core_env_strlen(struct exec_env *env, uint64_t addr, size_t max);

/*
 * Formats fmt (host memory, NUL-terminated) with args as Linux's
 * bpf_snprintf does: %d %i %u %x %X (with l / ll), %c, %s (a program
 * address), %p, %%; flags "-+ 0#", width and precision up to 1024. Writes
 * at most len bytes, NUL-terminated when len > 0, and returns the length
 * the whole output needs without the NUL, or -EINVAL (bad conversion, more
 * conversions than nargs, or a %s the program may not read).
 */
long core_format(struct exec_env *env, char *out, size_t len, const char *fmt, const uint64_t *args, size_t nargs);

#endif
