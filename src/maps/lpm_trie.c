/*
 * Longest-prefix-match trie (lpm_trie). Keys are {u32 prefixlen; u8
 * data[]} with data in big-endian bit order (bit 0 is the top bit of
 * data[0]), so an IPv4 prefix is stored as its address bytes.
 *
 * The structure follows Linux's: a binary, path-compressed trie where a
 * node stores a whole prefix; a node's children extend it by at least
 * one bit, chosen by the bit right after the node's prefix. Intermediate
 * nodes (no value) join two subtrees whose prefixes diverge; each has
 * exactly two children, so there are fewer of them than values. That
 * bounds the pool: max_entries value slots and 2 * max_entries nodes,
 * preallocated, so value pointers stay valid (see maps.h).
 *
 * Concurrency: a reader-writer lock preferring writers. Lookups share it;
 * updates, deletes and the iteration take it shared or exclusive as they
 * read or change the shape.
 *
 * get_next_key walks in post-order like Linux (more specific prefixes
 * before the prefixes that contain them; left, i.e. bit 0, first). Unlike
 * Linux, a key that is not exactly in the trie always restarts from the
 * first key. Like newer Linux, MAP_NOEXIST/MAP_EXIST are honoured and a
 * full trie (-ENOSPC) still accepts replacing an existing prefix.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "maps/internal.h"

enum {
    LPM_DATA_MAX = 256, /* bytes after prefixlen, Linux's LPM_DATA_SIZE_MAX */
    LPM_PREFIX_MAX = LPM_DATA_MAX * 8,
    LPM_KEY_MIN = 4 + 1,
    LPM_KEY_MAX = 4 + LPM_DATA_MAX,
};

struct lpm_node {
    uint32_t child[2];
    uint32_t prefixlen;
    uint32_t value; /* value slot, or MAP_INDEX_NONE for an intermediate node */
    unsigned char data[];
};

struct lpm_trie {
    struct map map;
    pthread_rwlock_t lock;
    uint32_t root;
    uint32_t n_entries;
    uint32_t data_size;
    uint32_t max_prefixlen;
    uint32_t value_size;
    size_t node_size;
    unsigned char *nodes;
    unsigned char *values;
    struct freelist free_nodes;
    struct freelist free_values;
};

/* A key as the trie reads it. */
struct lpm_key {
    uint32_t prefixlen;
    const unsigned char *data;
};

static struct lpm_trie *trie_of(struct map *m)
{
    return container_of(m, struct lpm_trie, map);
}

static struct lpm_node *node_at(const struct lpm_trie *t, uint32_t i)
{
    return (struct lpm_node *)(t->nodes + (size_t)i * t->node_size);
}

static unsigned char *value_at(const struct lpm_trie *t, uint32_t slot)
{
    return t->values + (size_t)slot * round8(t->value_size);
}

static struct lpm_key read_key(const void *key)
{
    struct lpm_key k;
    memcpy(&k.prefixlen, key, sizeof(k.prefixlen));
    k.data = (const unsigned char *)key + sizeof(k.prefixlen);
    return k;
}

static unsigned bit_at(const unsigned char *data, uint32_t i)
{
    return (data[i / 8] >> (7 - i % 8)) & 1;
}

/* Leading bits node and key share, at most the shorter prefix. */
static uint32_t match_len(const struct lpm_node *n, struct lpm_key k)
{
    uint32_t limit = n->prefixlen < k.prefixlen ? n->prefixlen : k.prefixlen;
    uint32_t len = 0;
    for (uint32_t byte = 0; len < limit; byte++) {
        unsigned diff = n->data[byte] ^ k.data[byte];
        if (diff) {
            len += (uint32_t)__builtin_clz(diff) - 24; /* leading zeros of a byte */
            break;
        }
        len += 8;
    }
    return len < limit ? len : limit;
}

/* The value node with the longest prefix matching key, or MAP_INDEX_NONE. */
static uint32_t longest_match(const struct lpm_trie *t, struct lpm_key k)
{
    uint32_t found = MAP_INDEX_NONE;
    for (uint32_t i = t->root; i != MAP_INDEX_NONE;) {
        const struct lpm_node *n = node_at(t, i);
        uint32_t len = match_len(n, k);
        if (len < n->prefixlen)
            break;
        if (n->value != MAP_INDEX_NONE)
            found = i;
        if (len == t->max_prefixlen)
            break;
        i = n->child[bit_at(k.data, n->prefixlen)];
    }
    return found;
}

/*
 * Descent toward key's exact node: where it stopped (node, the slot
 * pointing at it, its parent) and, if stack is given, every node visited.
 */
struct lpm_walk {
    uint32_t *slot;
    uint32_t node;
    uint32_t matchlen;
    uint32_t *parent_slot;
    uint32_t parent;
    uint32_t depth;
};

static void walk_to(struct lpm_trie *t, struct lpm_key k, struct lpm_walk *w, uint32_t *stack)
{
    *w = (struct lpm_walk){.slot = &t->root, .parent = MAP_INDEX_NONE};
    while ((w->node = *w->slot) != MAP_INDEX_NONE) {
        struct lpm_node *n = node_at(t, w->node);
        if (stack)
            stack[w->depth] = w->node;
        w->depth++;
        w->matchlen = match_len(n, k);
        if (n->prefixlen != w->matchlen || n->prefixlen == k.prefixlen ||
            n->prefixlen == t->max_prefixlen)
            break;
        w->parent_slot = w->slot;
        w->parent = w->node;
        w->slot = &n->child[bit_at(k.data, n->prefixlen)];
    }
}

/* The node the walk stopped at holds exactly key's prefix (value or not). */
static bool walk_exact(const struct lpm_trie *t, const struct lpm_walk *w, struct lpm_key k)
{
    return w->node != MAP_INDEX_NONE && node_at(t, w->node)->prefixlen == k.prefixlen &&
           w->matchlen == k.prefixlen;
}

/* Walks to key; returns its exact node (maybe intermediate) or NULL. */
static struct lpm_node *find_exact(struct lpm_trie *t, struct lpm_key k, struct lpm_walk *w)
{
    walk_to(t, k, w, NULL);
    return walk_exact(t, w, k) ? node_at(t, w->node) : NULL;
}

static uint32_t new_node(struct lpm_trie *t, uint32_t prefixlen, const unsigned char *data,
                         uint32_t value)
{
    /* Cannot fail: the pool holds every node a full trie can need. */
    uint32_t i = freelist_pop(&t->free_nodes);
    struct lpm_node *n = node_at(t, i);
    n->child[0] = n->child[1] = MAP_INDEX_NONE;
    n->prefixlen = prefixlen;
    n->value = value;
    memcpy(n->data, data, t->data_size);
    return i;
}

static uint32_t new_value(struct lpm_trie *t, const void *src)
{
    uint32_t slot = freelist_pop(&t->free_values);
    memcpy(value_at(t, slot), src, t->value_size);
    t->n_entries++;
    return slot;
}

static void *lpm_lookup(struct map *m, const void *key)
{
    struct lpm_trie *t = trie_of(m);
    pthread_rwlock_rdlock(&t->lock);
    uint32_t i = longest_match(t, read_key(key));
    void *v = i == MAP_INDEX_NONE ? NULL : value_at(t, node_at(t, i)->value);
    pthread_rwlock_unlock(&t->lock);
    return v;
}

static int lpm_lookup_copy(struct map *m, const void *key, void *out)
{
    struct lpm_trie *t = trie_of(m);
    pthread_rwlock_rdlock(&t->lock);
    uint32_t i = longest_match(t, read_key(key));
    if (i != MAP_INDEX_NONE)
        memcpy(out, value_at(t, node_at(t, i)->value), t->value_size);
    pthread_rwlock_unlock(&t->lock);
    return i == MAP_INDEX_NONE ? -ENOENT : 0;
}

/* Links a new value node for k where the walk stopped (t->lock held). */
static void insert_node(struct lpm_trie *t, const struct lpm_walk *w, struct lpm_key k,
                        const void *value)
{
    uint32_t fresh = new_node(t, k.prefixlen, k.data, new_value(t, value));
    if (w->node == MAP_INDEX_NONE) {
        *w->slot = fresh;
        return;
    }
    const struct lpm_node *old = node_at(t, w->node);
    if (w->matchlen == k.prefixlen) {
        /* The new prefix contains the old node's: it becomes the parent. */
        node_at(t, fresh)->child[bit_at(old->data, k.prefixlen)] = w->node;
        *w->slot = fresh;
        return;
    }
    /* The prefixes diverge after matchlen bits: join them under an
     * intermediate node of that length. */
    uint32_t im = new_node(t, w->matchlen, old->data, MAP_INDEX_NONE);
    unsigned new_bit = bit_at(k.data, w->matchlen);
    node_at(t, im)->child[new_bit] = fresh;
    node_at(t, im)->child[!new_bit] = w->node;
    *w->slot = im;
}

static long lpm_update(struct map *m, const void *key, const void *value, uint64_t flags,
                       enum map_caller who)
{
    (void)who;
    struct lpm_trie *t = trie_of(m);
    struct lpm_key k = read_key(key);
    if (flags > MAP_EXIST || k.prefixlen > t->max_prefixlen)
        return -EINVAL;
    long ret = 0;
    pthread_rwlock_wrlock(&t->lock);
    struct lpm_walk w;
    struct lpm_node *n = find_exact(t, k, &w);
    if (n && n->value != MAP_INDEX_NONE) {
        if (flags == MAP_NOEXIST)
            ret = -EEXIST;
        else
            memcpy(value_at(t, n->value), value, t->value_size);
    } else if (flags == MAP_EXIST) {
        ret = -ENOENT;
    } else if (t->n_entries == m->max_entries) {
        ret = -ENOSPC;
    } else if (n) {
        n->value = new_value(t, value); /* an intermediate node gains a value */
    } else {
        insert_node(t, &w, k, value);
    }
    pthread_rwlock_unlock(&t->lock);
    return ret;
}

static long lpm_remove(struct map *m, const void *key)
{
    struct lpm_trie *t = trie_of(m);
    struct lpm_key k = read_key(key);
    if (k.prefixlen > t->max_prefixlen)
        return -EINVAL;
    long ret = 0;
    pthread_rwlock_wrlock(&t->lock);
    struct lpm_walk w;
    struct lpm_node *n = find_exact(t, k, &w);
    if (!n || n->value == MAP_INDEX_NONE) {
        ret = -ENOENT;
        goto out;
    }
    freelist_push(&t->free_values, n->value);
    n->value = MAP_INDEX_NONE;
    t->n_entries--;
    bool left = n->child[0] != MAP_INDEX_NONE, right = n->child[1] != MAP_INDEX_NONE;
    if (left && right)
        goto out; /* it stays as an intermediate node */
    struct lpm_node *parent = w.parent == MAP_INDEX_NONE ? NULL : node_at(t, w.parent);
    if (parent && parent->value == MAP_INDEX_NONE && !left && !right) {
        /* A leaf under an intermediate node: the node and the parent go,
         * the sibling takes the parent's place. */
        *w.parent_slot = parent->child[parent->child[0] == w.node];
        freelist_push(&t->free_nodes, w.parent);
    } else {
        *w.slot = left ? n->child[0] : n->child[1];
    }
    freelist_push(&t->free_nodes, w.node);
out:
    pthread_rwlock_unlock(&t->lock);
    return ret;
}

/* The first value node in post-order below node i. */
static uint32_t leftmost(const struct lpm_trie *t, uint32_t i)
{
    uint32_t found = MAP_INDEX_NONE;
    while (i != MAP_INDEX_NONE) {
        const struct lpm_node *n = node_at(t, i);
        if (n->value == MAP_INDEX_NONE) {
            i = n->child[0]; /* intermediate nodes always have both children */
            continue;
        }
        found = i;
        i = n->child[0] != MAP_INDEX_NONE ? n->child[0] : n->child[1];
    }
    return found;
}

/* The value node after the one at stack[depth-1] in post-order. */
static uint32_t successor(const struct lpm_trie *t, const uint32_t *stack, uint32_t depth)
{
    for (uint32_t d = depth - 1; d > 0; d--) {
        const struct lpm_node *parent = node_at(t, stack[d - 1]);
        if (parent->child[0] == stack[d] && parent->child[1] != MAP_INDEX_NONE)
            return leftmost(t, parent->child[1]);
        if (parent->value != MAP_INDEX_NONE)
            return stack[d - 1];
    }
    return MAP_INDEX_NONE;
}

static int lpm_get_next_key(struct map *m, const void *key, void *next)
{
    struct lpm_trie *t = trie_of(m);
    uint32_t stack[LPM_PREFIX_MAX + 1];
    pthread_rwlock_rdlock(&t->lock);
    uint32_t i = leftmost(t, t->root);
    if (key && read_key(key).prefixlen <= t->max_prefixlen) {
        struct lpm_key k = read_key(key);
        struct lpm_walk w;
        walk_to(t, k, &w, stack);
        if (walk_exact(t, &w, k) && node_at(t, w.node)->value != MAP_INDEX_NONE)
            i = successor(t, stack, w.depth);
    }
    if (i != MAP_INDEX_NONE) {
        const struct lpm_node *n = node_at(t, i);
        memcpy(next, &n->prefixlen, sizeof(n->prefixlen));
        memcpy((unsigned char *)next + sizeof(n->prefixlen), n->data, t->data_size);
    }
    pthread_rwlock_unlock(&t->lock);
    return i == MAP_INDEX_NONE ? -ENOENT : 0;
}

static int lpm_check(const struct map_params *p)
{
    /* Linux insists on BPF_F_NO_PREALLOC (its trie allocates nodes lazily);
     * eBPF for Windows has no such rule, and this trie preallocates anyway. */
    int err = map_check_flags(p, MAP_F_NO_PREALLOC | MAP_F_NUMA_NODE | MAP_F_ACCESS_MASK);
    if (!err)
        err = map_check_counts(p, true);
    if (err)
        return err;
    if (p->key_size < LPM_KEY_MIN || p->key_size > LPM_KEY_MAX)
        return map_refuse(p, -EINVAL, "key size %u is outside %d..%d: a 4-byte prefix length, then 1 to %d "
                          "bytes of data", p->key_size, LPM_KEY_MIN, LPM_KEY_MAX, LPM_DATA_MAX);
    /* Our own limit: node indices are u32 and the pool has 2 * max_entries. */
    if (p->max_entries >= UINT32_MAX / 2)
        return map_refuse(p, -E2BIG, "max_entries %u exceeds %u, the most an LPM trie holds", p->max_entries,
                          UINT32_MAX / 2 - 1);
    return map_check_storage(p, p->max_entries,
                             2 * round8(sizeof(struct lpm_node) + p->key_size - 4) + (uint64_t)round8(p->value_size));
}

static int lpm_alloc(const struct map_params *p, struct map **out)
{
    struct lpm_trie *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->root = MAP_INDEX_NONE;
    t->data_size = p->key_size - 4;
    t->max_prefixlen = t->data_size * 8;
    t->value_size = p->value_size;
    t->node_size = round8(sizeof(struct lpm_node) + t->data_size);
    t->nodes = calloc(2 * (size_t)p->max_entries, t->node_size);
    t->values = calloc(p->max_entries, round8(p->value_size));
    int err = t->nodes && t->values ? freelist_init(&t->free_nodes, 2 * p->max_entries, 1)
                                    : -ENOMEM;
    if (!err) {
        err = freelist_init(&t->free_values, p->max_entries, 1);
        if (err)
            freelist_fini(&t->free_nodes);
    }
    if (err) {
        free(t->nodes);
        free(t->values);
        free(t);
        return err;
    }
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    /* Programs look up constantly; updates must not starve behind them. */
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&t->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    t->map.layout = (struct map_layout){
        .base = (uintptr_t)t->values,
        .len = (size_t)p->max_entries * round8(p->value_size),
        .elem_stride = round8(p->value_size),
        .value_stride = round8(p->value_size),
        .value_len = p->value_size,
        .nvals = 1,
    };
    *out = &t->map;
    return 0;
}

static void lpm_free(struct map *m)
{
    struct lpm_trie *t = trie_of(m);
    pthread_rwlock_destroy(&t->lock);
    freelist_fini(&t->free_nodes);
    freelist_fini(&t->free_values);
    free(t->nodes);
    free(t->values);
    free(t);
}

const struct map_ops lpm_trie_ops = {
    .check = lpm_check,
    .alloc = lpm_alloc,
    .free = lpm_free,
    .lookup = lpm_lookup,
    .update = lpm_update,
    .remove = lpm_remove,
    .lookup_copy = lpm_lookup_copy,
    .get_next_key = lpm_get_next_key,
};
