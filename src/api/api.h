/*
 * api — the libbpf-style user API: what an application calls to open an
 * object file, load it, attach its programs and work with maps, pins, ids
 * and ring buffers, with libbpf 1.x's names, signatures and conventions.
 * It stands in for <bpf/libbpf.h>, <bpf/bpf.h> and the parts of
 * <linux/bpf.h> they use (do not include <linux/bpf.h> with it); map
 * types and flags come from include/bpf_map_types.h, shared with programs.
 *
 * Errors, as libbpf 1.x. A function returning a pointer returns NULL and
 * sets errno (libbpf_get_error(ptr) is then -errno); one returning int
 * returns a negative errno value and sets errno too. Success leaves errno
 * alone. A NULL handle (object, program, map, link, ring buffer) is EINVAL;
 * a NULL buffer the call must read or write is EFAULT, as the kernel's
 * copy from or to user space; a malformed object file is EINVAL. Why an
 * open or a load failed (the verifier's reason, naming the program, the
 * instruction and its source line) goes to the print callback, see
 * libbpf_set_print().
 *
 * File descriptors. Programs, maps and links are named by int fds as with
 * libbpf, and each is a real descriptor of the process (a memfd of its
 * own, close-on-exec), so the numbers never collide with the
 * application's files. The library maps fd -> a reference to the object:
 *  - Fds from bpf_program__fd(), bpf_map__fd() and bpf_link__fd() belong
 *    to their object or link and are closed by bpf_object__close() and
 *    bpf_link__destroy(); every other fd returned (bpf_obj_get,
 *    bpf_*_get_fd_by_id, bpf_map_create) is the caller's, closed with
 *    close().
 *  - close() is invisible to the library, so the reference behind a
 *    closed fd is dropped later: when the library is handed the same
 *    number for a new fd (the entry is replaced), when the number is next
 *    used (EBADF), or by a sweep of the table, which runs in every
 *    bpf_*_get_next_id(), bpf_object__close() and bpf_link__destroy().
 *    Until then an object whose last fd was closed stays alive, a link
 *    stays attached: use bpf_link__destroy() or bpf_link__detach() to
 *    detach at once.
 *  - Every use checks that the number still refers to the library's own
 *    file (its inode), so a number closed and reused by the application
 *    is never taken for an object. EBADF: the fd is not open; EINVAL: it
 *    is open but not an object of the kind the call needs.
 *
 * Threads: the fd-based functions may be called from any thread; one
 * bpf_object or ring_buffer is used by one thread at a time (as libbpf).
 *
 * Layer 8: includes core (and the layers below it).
 */
#ifndef BPFHOST_API_H
#define BPFHOST_API_H

#include <linux/types.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "bpf_map_types.h" /* include/: enum bpf_map_type, BPF_ANY..., BPF_F_* */

/* ------------------------------------------------------------------------ */
/* Errors and messages.                                                     */

enum libbpf_print_level {
    LIBBPF_WARN,
    LIBBPF_INFO,
    LIBBPF_DEBUG,
};

/* Receives every message of the library (each ends with a newline). */
typedef int (*libbpf_print_fn_t)(enum libbpf_print_level level, const char *format, va_list args);

/* Sets the print callback (NULL: silence); returns the previous one. The
 * default prints warnings and info to stderr. */
libbpf_print_fn_t libbpf_set_print(libbpf_print_fn_t fn);

/* 0 if ptr is not NULL, else -errno (of the call that returned NULL). */
long libbpf_get_error(const void *ptr);

/* How many CPUs per-CPU maps hold a value for (sizes per-CPU buffers). */
int libbpf_num_possible_cpus(void);

/*
 * Options structs start with their own size, so old callers keep working
 * as fields are added: a field beyond sz reads as zero, and an sz larger
 * than the library knows is accepted only if the extra bytes are zero
 * (EINVAL otherwise). LIBBPF_OPTS declares one with sz set.
 */
#define LIBBPF_OPTS(TYPE, NAME, ...) struct TYPE NAME = {.sz = sizeof(struct TYPE), __VA_ARGS__}

/* Registers the program types built into bpfhost (once per process; the
 * object functions call it, so applications need not). */
void api_register_program_types(void);

/* ------------------------------------------------------------------------ */
/* Objects, programs, maps and links (libbpf.h).                            */

struct bpf_object;
struct bpf_program;
struct bpf_map;
struct bpf_link;

struct bpf_object_open_opts {
    size_t sz;
    const char *object_name;   /* instead of the file name (names global-data maps) */
    const char *pin_root_path; /* where maps pinned by name go; default "/sys/fs/bpf" */
};

/* Opens an object file (programs and maps known, nothing loaded yet). */
struct bpf_object *bpf_object__open_file(const char *path, const struct bpf_object_open_opts *opts);
/* Opens an object from memory (copied); named "<address>-<size>" unless opts says. */
struct bpf_object *bpf_object__open_mem(const void *obj_buf, size_t obj_buf_sz, const struct bpf_object_open_opts *opts);
/* Creates the maps and verifies and loads every program; once only (EINVAL after). */
int bpf_object__load(struct bpf_object *obj);
/* Closes the object's fds, drops its programs and maps (attached links keep theirs); NULL is fine. */
void bpf_object__close(struct bpf_object *obj);
/* The object's name. */
const char *bpf_object__name(const struct bpf_object *obj);
/* The program of that function name, or NULL (ENOENT). */
struct bpf_program *bpf_object__find_program_by_name(const struct bpf_object *obj, const char *name);
/* The map of that name (or section, for ".data", ".rodata", ".bss"), or NULL (ENOENT). */
struct bpf_map *bpf_object__find_map_by_name(const struct bpf_object *obj, const char *name);
/* The program after prog (NULL: the first), or NULL at the end. */
struct bpf_program *bpf_object__next_program(const struct bpf_object *obj, struct bpf_program *prog);
/* The map after map (NULL: the first), or NULL at the end. */
struct bpf_map *bpf_object__next_map(const struct bpf_object *obj, const struct bpf_map *map);

#define bpf_object__for_each_program(pos, obj)                                                               \
    for ((pos) = bpf_object__next_program((obj), NULL); (pos) != NULL;                                      \
         (pos) = bpf_object__next_program((obj), (pos)))

#define bpf_object__for_each_map(pos, obj)                                                                   \
    for ((pos) = bpf_object__next_map((obj), NULL); (pos) != NULL; (pos) = bpf_object__next_map((obj), (pos)))

/* Program type numbers: BPF_PROG_TYPE_SAMPLE is eBPF for Windows' test
 * type; an extension's types carry the number it registers them with. */
enum bpf_prog_type {
    BPF_PROG_TYPE_UNSPEC = 0,
    BPF_PROG_TYPE_SAMPLE = 999,
};

/* The program's function name. */
const char *bpf_program__name(const struct bpf_program *prog);
/* The ELF section it came from. */
const char *bpf_program__section_name(const struct bpf_program *prog);
/* The type its section names (BPF_PROG_TYPE_UNSPEC if no registered type claims it). */
enum bpf_prog_type bpf_program__type(const struct bpf_program *prog);
/* The loaded program's fd (the object's), or -ENOENT before a load. */
int bpf_program__fd(const struct bpf_program *prog);
/* Attaches to the hook named like the program's type: NULL with EOPNOTSUPP if there is none. */
struct bpf_link *bpf_program__attach(const struct bpf_program *prog);
/*
 * bpfhost's own: attaches to the hook of that name (e.g. "process/fanotify",
 * a supervised tree's "process/supervised/N"), as eBPF for Windows'
 * ebpf_program_attach() picks an attach type. NULL with EOPNOTSUPP if there
 * is no such hook, or the hook's error (EINVAL for a program of another type).
 */
struct bpf_link *bpf_program__attach_hook(const struct bpf_program *prog, const char *hook_name);

/* The link's fd (the link's own). */
int bpf_link__fd(const struct bpf_link *link);
/* Detaches the link now, whoever else holds it (ENOENT if already detached). */
int bpf_link__detach(struct bpf_link *link);
/* Closes the link's fd and frees it; it stays attached while pinned or held by other fds. NULL is fine. */
int bpf_link__destroy(struct bpf_link *link);

/* The map's fd (the object's), or -ENOENT before a load. */
int bpf_map__fd(const struct bpf_map *map);
/* The map's name in the object file ("<object>.data" and so on for global data). */
const char *bpf_map__name(const struct bpf_map *map);
/* The map's type. */
enum bpf_map_type bpf_map__type(const struct bpf_map *map);
/* Bytes of a key. */
__u32 bpf_map__key_size(const struct bpf_map *map);
/* Bytes of a value (of one CPU's value for per-CPU maps). */
__u32 bpf_map__value_size(const struct bpf_map *map);
/* Capacity. */
__u32 bpf_map__max_entries(const struct bpf_map *map);

/*
 * The map operations below with the sizes checked against the map
 * (EINVAL on a mismatch; per-CPU values are libbpf_num_possible_cpus()
 * values of value_size rounded up to 8); ENOENT before a load.
 */

/* bpf_map_lookup_elem() with sizes checked; flags must be 0. */
int bpf_map__lookup_elem(const struct bpf_map *map, const void *key, size_t key_sz, void *value, size_t value_sz,
                         __u64 flags);
/* bpf_map_update_elem() with sizes checked. */
int bpf_map__update_elem(const struct bpf_map *map, const void *key, size_t key_sz, const void *value,
                         size_t value_sz, __u64 flags);
/* bpf_map_delete_elem() with the key size checked; flags must be 0. */
int bpf_map__delete_elem(const struct bpf_map *map, const void *key, size_t key_sz, __u64 flags);
/* bpf_map_lookup_and_delete_elem() with sizes checked; flags must be 0. */
int bpf_map__lookup_and_delete_elem(const struct bpf_map *map, const void *key, size_t key_sz, void *value,
                                    size_t value_sz, __u64 flags);
/* bpf_map_get_next_key() with the key size checked. */
int bpf_map__get_next_key(const struct bpf_map *map, const void *cur_key, void *next_key, size_t key_sz);

/* ------------------------------------------------------------------------ */
/* Maps by fd (bpf.h). Per-CPU maps take and return one value per CPU,   */
/* each rounded up to 8 bytes; prog_array and maps of maps take an fd as  */
/* the value and return the id of what the slot holds; queue and stack    */
/* take a NULL key (lookup peeks, lookup_and_delete pops, update pushes). */

struct bpf_map_create_opts {
    size_t sz;
    __u32 inner_map_fd; /* maps of maps: inner maps must be like this one */
    __u32 map_flags;    /* BPF_F_* */
};

/* Creates a map; returns its fd (the caller's). */
int bpf_map_create(enum bpf_map_type map_type, const char *map_name, __u32 key_size, __u32 value_size,
                   __u32 max_entries, const struct bpf_map_create_opts *opts);
/* Copies the value of key into value: ENOENT if absent. */
int bpf_map_lookup_elem(int fd, const void *key, void *value);
/* Inserts or replaces (BPF_ANY, BPF_NOEXIST: EEXIST, BPF_EXIST: ENOENT; full: E2BIG). */
int bpf_map_update_elem(int fd, const void *key, const void *value, __u64 flags);
/* Deletes key: ENOENT if absent (EINVAL for arrays). */
int bpf_map_delete_elem(int fd, const void *key);
/* The key after key (NULL or a missing key: the first) into next_key; ENOENT after the last. */
int bpf_map_get_next_key(int fd, const void *key, void *next_key);
/* Copies the value of key and deletes it (queue, stack: pops). */
int bpf_map_lookup_and_delete_elem(int fd, const void *key, void *value);

/* ------------------------------------------------------------------------ */
/* Pins, ids and descriptions (bpf.h).                                      */

/* Pins the object of fd at path (in this process's pin namespace): EEXIST if taken. */
int bpf_obj_pin(int fd, const char *pathname);
/* A new fd for the object pinned at path: ENOENT if none. */
int bpf_obj_get(const char *pathname);
/* Removes the pin at path (eBPF for Windows' call; Linux unlinks the file): ENOENT if none. */
int ebpf_object_unpin(const char *pathname);

/* The smallest program id above start_id into *next_id: ENOENT if none. */
int bpf_prog_get_next_id(__u32 start_id, __u32 *next_id);
/* The smallest map id above start_id into *next_id: ENOENT if none. */
int bpf_map_get_next_id(__u32 start_id, __u32 *next_id);
/* The smallest link id above start_id into *next_id: ENOENT if none. */
int bpf_link_get_next_id(__u32 start_id, __u32 *next_id);
/* A new fd for the program of that id: ENOENT if none. */
int bpf_prog_get_fd_by_id(__u32 id);
/* A new fd for the map of that id: ENOENT if none. */
int bpf_map_get_fd_by_id(__u32 id);
/* A new fd for the link of that id: ENOENT if none. */
int bpf_link_get_fd_by_id(__u32 id);

enum { BPF_OBJ_NAME_LEN = 16 };

/*
 * What bpf_obj_get_info_by_fd() tells, with Linux's field names. Fields
 * marked "in" are read first: the caller's buffer and its capacity; the
 * call writes at most that much there and sets the count to the whole.
 */
struct bpf_prog_info {
    __u32 type; /* enum bpf_prog_type */
    __u32 id;
    __u32 xlated_prog_len;            /* in: bytes at xlated_prog_insns; out: bytes of the program */
    __aligned_u64 xlated_prog_insns;  /* in: where to copy the instructions (lddw name maps by index into map_ids) */
    __u32 nr_map_ids;                 /* in: room at map_ids; out: maps the program uses */
    __aligned_u64 map_ids;            /* in: where to copy their ids */
    char name[BPF_OBJ_NAME_LEN];
    __u64 run_time_ns; /* total time of the runs by hooks */
    __u64 run_cnt;     /* runs by hooks */
};

struct bpf_map_info {
    __u32 type; /* enum bpf_map_type */
    __u32 id;
    __u32 key_size;
    __u32 value_size;
    __u32 max_entries;
    __u32 map_flags;
    char name[BPF_OBJ_NAME_LEN];
};

struct bpf_link_info {
    __u32 id;
    __u32 prog_id;
};

/*
 * Describes the object of fd in the info struct of its kind, of which
 * *info_len bytes are given: fills what fits, sets *info_len to the bytes
 * written. E2BIG if the caller's struct is larger and its extra bytes are
 * not zero.
 */
int bpf_obj_get_info_by_fd(int bpf_fd, void *info, __u32 *info_len);

/* ------------------------------------------------------------------------ */
/* Test runs (bpf.h).                                                       */

struct bpf_test_run_opts {
    size_t sz;
    const void *data_in;  /* what the context's data/data_end pair points to */
    void *data_out;       /* optional */
    __u32 data_size_in;
    __u32 data_size_out;  /* in: room at data_out; out: bytes of data (ENOSPC if more than the room) */
    const void *ctx_in;   /* optional: up to the program type's context size, the rest zero */
    void *ctx_out;        /* optional */
    __u32 ctx_size_in;
    __u32 ctx_size_out;   /* in: room at ctx_out; out: bytes of context (ENOSPC if more than the room) */
    __u32 retval;         /* out: the program's return value */
    int repeat;           /* runs; 0 means 1 */
    __u32 duration;       /* out: average ns per run */
};

/*
 * Runs the program of prog_fd on the given context and data, like Linux's
 * BPF_PROG_TEST_RUN. A run that stops with an error (a bad memory access,
 * the instruction budget) fails with EFAULT, the reason printed as a
 * warning naming the instruction.
 */
int bpf_prog_test_run_opts(int prog_fd, struct bpf_test_run_opts *opts);

/* ------------------------------------------------------------------------ */
/* Ring buffers (libbpf.h).                                                 */

struct ring_buffer;

/* Called for each record; a negative return stops consuming and is returned. */
typedef int (*ring_buffer_sample_fn)(void *ctx, void *data, size_t size);

struct ring_buffer_opts {
    size_t sz;
};

/* A consumer of the ring-buffer map of map_fd (which it holds a reference to). */
struct ring_buffer *ring_buffer__new(int map_fd, ring_buffer_sample_fn sample_cb, void *ctx,
                                     const struct ring_buffer_opts *opts);
/* Adds the ring of map_fd, with its own callback, to rb. */
int ring_buffer__add(struct ring_buffer *rb, int map_fd, ring_buffer_sample_fn sample_cb, void *ctx);
/* Waits up to timeout_ms (-1: forever) for records, consumes them; returns how many. */
int ring_buffer__poll(struct ring_buffer *rb, int timeout_ms);
/* Consumes every record available now without waiting; returns how many. */
int ring_buffer__consume(struct ring_buffer *rb);
/* An epoll fd readable when a ring has new records (rb's own). */
int ring_buffer__epoll_fd(const struct ring_buffer *rb);
/* Frees rb; NULL is fine. */
void ring_buffer__free(struct ring_buffer *rb);

#endif
