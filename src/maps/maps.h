/*
 * maps — every eBPF map type, safe for concurrent programs and user-space
 * callers, and the ring buffer with its consumer API.
 *
 * Type numbers, flag values and error codes are Linux's, so objects built
 * for Linux load unchanged. Map types are enum bpf_map_type of
 * include/bpf_map_types.h, the one table of them that programs, the API
 * and the ELF loader share (so do not include <linux/bpf.h> with this
 * header). The other names carry a MAP_/RINGBUF_ prefix instead of BPF_
 * so that they never clash with the program-side headers in include/.
 *
 * Errors are negative errno values. Where Linux's kernel returns its
 * internal ENOTSUPP (524, unknown to user space), this layer returns
 * -EOPNOTSUPP (95) instead, so strerror() and callers understand it.
 *
 * Sizes and limits at creation are eBPF for Windows' (the host runs its
 * programs): an array's key may be longer than 4 bytes (its first 4 are
 * the index), per-CPU and other values have no size limit of their own,
 * one map's storage is capped at 128 GiB. Every refusal can say why,
 * naming the parameter and the limit (map_params.why).
 *
 * Memory model (the contract with the executor): every element of a map
 * is preallocated at creation in one pool that lives as long as the map.
 * A pointer returned by map_lookup_elem() therefore always points at valid
 * storage of the value's size, even if another thread deletes the element
 * meanwhile; the contents may then be reused by a later insert, exactly as
 * with Linux's preallocated maps. map_value_contains() lets the executor
 * check that a program's access stays inside one value.
 *
 * Layer 5: includes nothing of the project's but include/bpf_map_types.h.
 */
#ifndef BPFHOST_MAPS_H
#define BPFHOST_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf_map_types.h" /* include/: enum bpf_map_type */

/* Update flags (Linux's BPF_ANY, BPF_NOEXIST, BPF_EXIST). */
enum {
    MAP_ANY = 0,     /* create or replace */
    MAP_NOEXIST = 1, /* create only: -EEXIST if the key is there */
    MAP_EXIST = 2,   /* replace only: -ENOENT if it is not; push: overwrite oldest when full */
};

/* Creation flags (Linux's BPF_F_*), same bit values. */
enum {
    MAP_F_NO_PREALLOC = 1u << 0,   /* accepted; elements are always preallocated here */
    MAP_F_NO_COMMON_LRU = 1u << 1, /* LRU only: one LRU list and share of the elements per CPU */
    MAP_F_NUMA_NODE = 1u << 2,     /* accepted, ignored */
    MAP_F_RDONLY = 1u << 3,
    MAP_F_WRONLY = 1u << 4,
    MAP_F_ZERO_SEED = 1u << 6,     /* hash maps: deterministic hashing (tests) */
    MAP_F_RDONLY_PROG = 1u << 7,
    MAP_F_WRONLY_PROG = 1u << 8,
    MAP_F_MMAPABLE = 1u << 10,     /* arrays: accepted (values are host memory anyway) */
    MAP_F_INNER_MAP = 1u << 12,    /* inner array template: max_entries may differ */
};

enum { MAP_NAME_LEN = 16 }; /* BPF_OBJ_NAME_LEN, including the NUL */

/*
 * Callbacks for the objects stored in prog_array and map-of-maps slots.
 * The maps layer cannot know programs, so prog_array stores opaque
 * pointers; the core supplies how to hold and drop a reference and how to
 * name the object to user space (an id). Any callback may be NULL: retain
 * and release are then skipped, and lookups of the id fail with
 * -EOPNOTSUPP. For map-of-maps the default (obj_ops == NULL) is
 * map_retain / map_release / map_id.
 */
struct map_obj_ops {
    void *(*retain)(void *obj);
    void (*release)(void *obj);
    uint32_t (*id)(void *obj);
};

/*
 * What map_create() builds; mirrors Linux's BPF_MAP_CREATE attributes.
 * Like BPF_PROG_LOAD's log buffer, why (if not NULL) receives the reason
 * of a refusal: one sentence naming the parameter and the limit.
 */
struct map_params {
    uint32_t type;        /* enum bpf_map_type */
    uint32_t key_size;
    uint32_t value_size;
    uint32_t max_entries;
    uint32_t map_flags;   /* MAP_F_* */
    const char *name;     /* NULL or up to 15 chars of [A-Za-z0-9_.] */
    const struct map_params *inner;      /* map-of-maps: template inner maps must match */
    const struct map_obj_ops *obj_ops;   /* prog_array / map-of-maps, see above */
    char *why;            /* NULL, or why_len bytes for the reason of a refusal */
    size_t why_len;
};

enum { MAP_WHY_LEN = 192 }; /* room enough for any reason map_create() gives */

struct map;

/* Creates a map; returns 0 and *out with one reference, or -errno (and params->why). */
int map_create(const struct map_params *params, struct map **out);
/* Takes one more reference; returns map. */
struct map *map_retain(struct map *map);
/* Drops one reference; the last one frees the map and its pool. */
void map_release(struct map *map);
/* Makes the map read-only to programs and user space (-EBUSY if already). */
int map_freeze(struct map *map);
/* True once map_freeze() succeeded. */
bool map_is_frozen(const struct map *map);

/* The creation parameter of that name. */
uint32_t map_type(const struct map *map);
/* The key size in bytes. */
uint32_t map_key_size(const struct map *map);
/* The value size in bytes (per CPU for per-CPU maps). */
uint32_t map_value_size(const struct map *map);
/* The capacity. */
uint32_t map_max_entries(const struct map *map);
/* The creation flags (MAP_F_*). */
uint32_t map_flags(const struct map *map);
/* The name given at creation ("" if none). */
const char *map_name(const struct map *map);
/* Map of maps: the template its inner maps match (key and value sizes); else NULL. */
const struct map_params *map_inner_params(const struct map *map);
/* Records the id the core gave this map (reported by map-of-maps lookups). */
void map_set_id(struct map *map, uint32_t id);
/* The id set by map_set_id(), 0 if none. */
uint32_t map_id(const struct map *map);
/* Number of CPUs per-CPU maps keep a value for (the host's configured CPUs). */
unsigned map_nr_cpus(void);
/* Bytes map_lookup_copy() writes: nr_cpus * round_up(value_size, 8) for per-CPU maps. */
size_t map_user_value_size(const struct map *map);

/*
 * The storage programs may address: start and length of the pool that
 * holds every value (and, for hash maps, keys and headers in between).
 * Returns false for maps whose values programs never address directly
 * (queue, stack, prog_array, map-of-maps).
 */
bool map_value_region(const struct map *map, uintptr_t *start, size_t *len);
/*
 * True if [addr, addr+len) lies inside a single value slot (one CPU's slot
 * for per-CPU maps; the record area for a ring buffer) and, for a write,
 * the map is not frozen.
 */
bool map_value_contains(const struct map *map, uintptr_t addr, size_t len, bool write);

/*
 * CPU slots. A kernel program keeps its CPU for its whole run, so its
 * per-CPU values are its own; a user-space thread can be preempted or
 * migrated at any point. So a run that uses per-CPU state claims one of
 * map_nr_cpus() slots for the whole run: no other thread holds it until
 * it is released, and the program path's per-CPU accesses of the holding
 * thread use it wherever the thread runs. A claim prefers the slot of the
 * current CPU, else takes any free one, else waits: a freed slot goes to
 * whoever takes it first, the longest waiter woken to try, until a waiter
 * has waited 1 ms; then freed slots are handed over in queue order. A
 * thread that already holds a slot gets the same one again (nested runs
 * share it), so claims never deadlock; each claim needs its release.
 */

/* Claims a slot for the calling thread; the slot, or -ETIMEDOUT once deadline_ns (CLOCK_MONOTONIC, 0: none) passed. */
int map_cpu_claim(uint64_t deadline_ns);
/* Releases one claim of the calling thread (the slot is freed with the outermost one). */
void map_cpu_release(void);
/* The calling thread's slot, below map_nr_cpus(): the claimed one, else the current CPU's. */
unsigned map_this_cpu(void);
/* True for the map types that keep one value per CPU (percpu_hash, percpu_array, lru_percpu_hash, ...). */
bool map_type_is_percpu(uint32_t type);

/*
 * Program path (what helpers call). Per-CPU maps act on the slot of
 * map_this_cpu(): private to the run when the caller claimed it, else
 * shared with whoever else runs on that CPU.
 */

/* Pointer to the value for key, or NULL; map-of-maps return the inner map. */
void *map_lookup_elem(struct map *map, const void *key);
/* Inserts or replaces (flags MAP_ANY/NOEXIST/EXIST); 0 or -errno. */
long map_update_elem(struct map *map, const void *key, const void *value, uint64_t flags);
/* Deletes key (also the user-space delete); 0 or -errno. */
long map_delete_elem(struct map *map, const void *key);
/* Queue/stack push; MAP_EXIST overwrites the oldest value when full. */
long map_push_elem(struct map *map, const void *value, uint64_t flags);
/* Queue/stack: removes the next value into value_out; -ENOENT if empty. */
long map_pop_elem(struct map *map, void *value_out);
/* Queue/stack: copies the next value without removing it. */
long map_peek_elem(struct map *map, void *value_out);
/*
 * prog_array / array_of_maps slot for a tail call or inner-map lookup,
 * read lock-free (NULL if empty or out of range). The pointer is borrowed:
 * a concurrent replace or delete releases the old object at once, so the
 * core must keep every object reachable from a running program alive by
 * other means (e.g. free programs and maps only after a grace period in
 * which every dispatch that could have read them has finished, or supply
 * obj_ops whose release defers).
 */
void *map_fd_array_get(struct map *map, uint32_t index);

/*
 * User-space path: values are copied. For per-CPU maps the buffer holds
 * map_nr_cpus() values, each padded to 8 bytes, like Linux.
 */

/* Copies the value of key (queue/stack: peek; fd maps: the object's id). */
int map_lookup_copy(struct map *map, const void *key, void *value_out);
/* Inserts or replaces from user space (per-CPU: all CPUs; queue/stack: push). */
int map_update_user(struct map *map, const void *key, const void *value, uint64_t flags);
/* Next key after key; NULL or a missing key gives the first; -ENOENT at the end. */
int map_get_next_key(struct map *map, const void *key, void *next_key);
/* Copies then deletes (hash types), or pops (queue/stack; key ignored). */
int map_lookup_and_delete(struct map *map, const void *key, void *value_out);
/* Stores obj in a prog_array or map-of-maps slot (inner maps must match the template). */
int map_update_obj(struct map *map, const void *key, void *obj, uint64_t flags);

/*
 * Ring buffer (BPF_MAP_TYPE_RINGBUF). Records are 8-byte aligned, each after
 * an 8-byte header {u32 len with BUSY and DISCARD bits, u32 page offset}.
 * Producers reserve lock-free; the single logical consumer reads records
 * in reservation order, stopping at the first one not yet submitted.
 */
enum {
    RINGBUF_F_NO_WAKEUP = 1,    /* BPF_RB_NO_WAKEUP */
    RINGBUF_F_FORCE_WAKEUP = 2, /* BPF_RB_FORCE_WAKEUP */
};
enum {
    RINGBUF_Q_AVAIL_DATA = 0, /* BPF_RB_AVAIL_DATA */
    RINGBUF_Q_RING_SIZE = 1,
    RINGBUF_Q_CONS_POS = 2,
    RINGBUF_Q_PROD_POS = 3,
};
enum {
    RINGBUF_HDR_SIZE = 8,
    RINGBUF_BUSY_BIT = 1u << 31,
    RINGBUF_DISCARD_BIT = 1u << 30,
};

/* Called once per record; a non-zero return stops consuming and is returned. */
typedef int (*ringbuf_sample_fn)(void *ctx, void *data, size_t size);

/* Reserves size bytes (flags must be 0); NULL if it does not fit (counted as dropped). */
void *ringbuf_reserve(struct map *map, uint64_t size, uint64_t flags);
/* Publishes a reserved record; finds its ring from the header like bpf_ringbuf_submit. */
void ringbuf_submit(void *data, uint64_t flags);
/* Gives a reserved record back; the consumer skips it. */
void ringbuf_discard(void *data, uint64_t flags);
/* Copies data into a new record: 0, -EAGAIN if full, -EINVAL for bad flags. */
long ringbuf_output(struct map *map, const void *data, uint64_t size, uint64_t flags);
/* bpf_ringbuf_query(): RINGBUF_Q_* value, 0 for an unknown flag. */
uint64_t ringbuf_query(struct map *map, uint64_t flag);
/* Hands every submitted record to fn; returns records consumed or fn's non-zero result. */
int ringbuf_consume(struct map *map, ringbuf_sample_fn fn, void *ctx);
/* Like ringbuf_consume() but first waits up to timeout_ms (-1: forever) for data. */
int ringbuf_poll(struct map *map, ringbuf_sample_fn fn, void *ctx, int timeout_ms);
/* Records that did not fit since creation. */
uint64_t ringbuf_dropped(const struct map *map);
/*
 * An eventfd readable when producers signal new data (for epoll); -EINVAL
 * if no ring. Producers signal only while a consumer says it sleeps on it
 * (ringbuf_sleeping).
 */
int ringbuf_wakeup_fd(const struct map *map);
/*
 * A consumer about to sleep on the wakeup fd says so (asleep true), then
 * consumes once more before it sleeps (a record submitted before it said
 * so sent no signal), and says it is awake (false) when it wakes; one
 * that watches the fd all its life says so once at the start and once at
 * the end. Calls pair up.
 */
void ringbuf_sleeping(struct map *map, bool asleep);
/*
 * From now on the calling thread's submits do not signal a consumer at
 * once but note it (each ring once) until ringbuf_release_wakeups(),
 * which signals them: for a thread that should finish something first
 * (answer a waiting process, dispatch a batch of events) and wake the
 * consumer after. 64 records after the first wake-up was noted, those
 * noted go at once (a long batch's consumers read as it goes).
 */
void ringbuf_hold_wakeups(void);
/* Signals the consumers of the wake-ups held since ringbuf_hold_wakeups(), and holds no more. */
void ringbuf_release_wakeups(void);

#endif /* BPFHOST_MAPS_H */
