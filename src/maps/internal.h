/*
 * Private to src/maps: the common map object, the per-type operation
 * table, and small shared tools (a spinlock, per-CPU helpers, a free list
 * of element indices). Nothing outside this folder includes this file;
 * the layer's interface is maps.h.
 */
#ifndef BPFHOST_MAPS_INTERNAL_H
#define BPFHOST_MAPS_INTERNAL_H

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "maps/maps.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

static inline size_t round8(size_t n) { return (n + 7) & ~(size_t)7; }

enum { MAP_INDEX_NONE = UINT32_MAX };

/* Flags every type with values programs address accepts for access control. */
enum {
    MAP_ARRAY_KEY_MIN = 4, /* an array's index is its key's first 4 bytes */
    MAP_F_ACCESS_MASK = MAP_F_RDONLY | MAP_F_WRONLY | MAP_F_RDONLY_PROG | MAP_F_WRONLY_PROG,
};

/* eBPF for Windows' cap on one map's storage (EBPF_MAP_MAXIMUM_ALLOCATION). */
#define MAP_STORAGE_MAX (UINT64_C(1) << 37)

/* Who performs an update: programs touch their CPU's slot, user space all. */
enum map_caller { MAP_CALLER_PROG, MAP_CALLER_USER };

/*
 * Where programs may read and write: value slots repeat every elem_stride
 * bytes from base; within an element, nvals slots of value_len bytes start
 * at value_off, value_stride apart. len == 0 means no program access.
 */
struct map_layout {
    uintptr_t base;
    size_t len;
    size_t elem_stride;
    size_t value_off;
    size_t value_stride;
    size_t value_len;
    uint32_t nvals;
};

struct map_ops;

struct map {
    const struct map_ops *ops;
    uint32_t type, key_size, value_size, max_entries, map_flags;
    char name[MAP_NAME_LEN];
    struct map_params inner;      /* map-of-maps template (its pointers cleared) */
    struct map_obj_ops obj_ops;   /* prog_array / map-of-maps slot objects */
    struct map_layout layout;     /* filled by the type's alloc */
    atomic_long refcnt;
    atomic_bool frozen;
    _Atomic uint32_t id;
};

/*
 * One table per family of types. check validates parameters like Linux
 * without allocating (so map-of-maps can vet a template); alloc builds the
 * type's object around a struct map and fills map->layout; map.c fills the
 * rest. A NULL operation means "not for this type": -EOPNOTSUPP.
 */
struct map_ops {
    int (*check)(const struct map_params *p);
    int (*alloc)(const struct map_params *p, struct map **out);
    void (*free)(struct map *m);
    void *(*lookup)(struct map *m, const void *key);
    long (*update)(struct map *m, const void *key, const void *value, uint64_t flags,
                   enum map_caller who);
    long (*remove)(struct map *m, const void *key);
    int (*lookup_copy)(struct map *m, const void *key, void *out);
    int (*lookup_and_delete)(struct map *m, const void *key, void *out);
    int (*get_next_key)(struct map *m, const void *key, void *next);
    long (*push)(struct map *m, const void *value, uint64_t flags);
    long (*pop)(struct map *m, void *out, bool remove);
    int (*update_obj)(struct map *m, const void *key, void *obj, uint64_t flags);
    void *(*get_obj)(struct map *m, uint32_t index);
};

extern const struct map_ops htab_ops;          /* hash.c: hash, percpu_hash, lru variants */
extern const struct map_ops hash_of_maps_ops;  /* map_in_map.c */
extern const struct map_ops array_ops;         /* array.c: array, percpu_array */
extern const struct map_ops fd_array_ops;      /* fd_array.c: prog_array, array_of_maps */
extern const struct map_ops lpm_trie_ops;      /* lpm_trie.c */
extern const struct map_ops queue_stack_ops;   /* queue_stack.c */
extern const struct map_ops ringbuf_ops;       /* ringbuf.c */

/* map.c: shared by the types. */
/* The operation table of a map type, NULL if the type is not provided. */
const struct map_ops *map_ops_for(uint32_t type);

/* limits.c: what creation refuses, with the reason for p->why. */
/* Writes the reason (printf-style) to p->why, if any, and returns err. */
int map_refuse(const struct map_params *p, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Puts prefix before the reason already in p->why (for an inner map's). */
void map_refuse_prefix(const struct map_params *p, const char *prefix);
/* -EINVAL for flags outside allowed or contradictory access flags, else 0. */
int map_check_flags(const struct map_params *p, uint32_t allowed);
/* -EINVAL unless max_entries is not 0 and value_size is (not 0 when value_needed). */
int map_check_counts(const struct map_params *p, bool value_needed);
/* -E2BIG if entries of entry_size bytes exceed MAP_STORAGE_MAX, else 0. */
int map_check_storage(const struct map_params *p, uint64_t entries, uint64_t entry_size);
/* -EINVAL for a name Linux would refuse (over 15 chars, not [A-Za-z0-9_.]), else 0. */
int map_check_name(const struct map_params *p);
/* Delete where Linux answers -EINVAL (arrays, queues, stacks). */
long map_op_delete_einval(struct map *m, const void *key);
/* get_next_key where Linux answers -EINVAL (queues, stacks). */
int map_op_next_key_einval(struct map *m, const void *key, void *next);
/* Takes the map's reference on a slot object (obj_ops.retain, if any). */
void *map_obj_retain(const struct map *m, void *obj);
/* Drops the map's reference on a slot object; NULL is ignored. */
void map_obj_release(const struct map *m, void *obj);
/* Writes obj's u32 id to out: -ENOENT for an empty slot, -EOPNOTSUPP without an id callback. */
int map_obj_id(const struct map *m, void *obj, void *out);

/* map_in_map.c: inner-map templates and the default slot callbacks. */
extern const struct map_obj_ops map_inner_obj_ops;
/* Validates outer's map-of-maps template like map_create() would, without allocating. */
int map_inner_template_check(const struct map_params *outer);
/* 0 if map obj matches outer's template, else -EINVAL. */
int map_inner_accept(const struct map *outer, void *obj);

/* array.c: Linux's index iteration (get_next_key), shared with the fd arrays. */
int array_get_next_key(struct map *m, const void *key, void *next);
/* -EINVAL (with the reason) for a key too short to hold an array's index. */
int array_check_key(const struct map_params *p);

/* percpu.c: per-CPU value copies (map_this_cpu() in maps.h picks a program's slot). */
/* Copies a value into an element's CPU slots (all from user space, one from a program). */
void percpu_store(void *slots, const void *src, uint32_t value_size, enum map_caller who,
                  bool fresh);
/* Copies all CPU slots of an element out in the user-space layout. */
void percpu_load(void *dst, const void *slots, uint32_t value_size);

/*
 * A spinlock for short critical sections. It yields after a few spins:
 * in user space the holder can be preempted, and on a machine with few
 * cores pure spinning would burn the holder's time slice.
 */
struct bh_lock {
    atomic_int held;
};

static inline void bh_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static inline void bh_lock(struct bh_lock *l)
{
    unsigned spins = 0;
    while (atomic_exchange_explicit(&l->held, 1, memory_order_acquire)) {
        while (atomic_load_explicit(&l->held, memory_order_relaxed)) {
            if (++spins < 64)
                bh_cpu_relax();
            else
                sched_yield();
        }
    }
}

static inline void bh_unlock(struct bh_lock *l)
{
    atomic_store_explicit(&l->held, 0, memory_order_release);
}

/*
 * freelist.c: free element indices of a preallocated pool, in stripes
 * with their own locks so that threads on different CPUs rarely contend.
 */
struct freelist_stripe;
struct freelist {
    struct freelist_stripe *stripes;
    uint32_t *next; /* per index: the next free index in its stripe */
    uint32_t nstripes;
};

/* Makes indices 0..n-1 free over nstripes stripes; 0 or -ENOMEM. */
int freelist_init(struct freelist *fl, uint32_t n, uint32_t nstripes);
/* Frees the list's memory. */
void freelist_fini(struct freelist *fl);
/* A free index, or MAP_INDEX_NONE if none. */
uint32_t freelist_pop(struct freelist *fl);
/* Returns index to the free list. */
void freelist_push(struct freelist *fl, uint32_t index);

#endif /* BPFHOST_MAPS_INTERNAL_H */
