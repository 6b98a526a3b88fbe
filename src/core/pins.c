/*
 * The pin namespace: paths naming objects inside this process, kept
 * sorted so that enumeration is stable. A pin holds a user reference, so
 * a pinned object outlives every handle to it. References are dropped
 * outside the lock: the last one may free a whole tree of objects.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

enum { PIN_PATH_MAX = 4096 };

struct pin {
    char *path;
    struct core_obj *obj;
};

static pthread_mutex_t pins_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pin *pins; /* ascending path */
static size_t pin_count, pin_cap;

/* Index of the first pin whose path sorts at or after path. */
static size_t lower_bound(const char *path)
{
    size_t lo = 0, hi = pin_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(pins[mid].path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool found_at(size_t i, const char *path)
{
    return i < pin_count && strcmp(pins[i].path, path) == 0;
}

static bool valid_path(const char *path)
{
    return path && path[0] == '/' && strnlen(path, PIN_PATH_MAX) < PIN_PATH_MAX;
}

int core_pin(const char *path, struct core_obj *obj)
{
    if (!valid_path(path) || !obj)
        return -EINVAL;
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    int err = 0;
    pthread_mutex_lock(&pins_lock);
    size_t i = lower_bound(path);
    if (found_at(i, path)) {
        err = -EEXIST;
    } else {
        err = core_grow((void **)&pins, &pin_cap, pin_count, sizeof(*pins));
    }
    if (!err) {
        memmove(&pins[i + 1], &pins[i], (pin_count - i) * sizeof(*pins));
        pins[i] = (struct pin){copy, core_obj_retain(obj)};
        pin_count++;
    }
    pthread_mutex_unlock(&pins_lock);
    if (err)
        free(copy);
    return err;
}

int core_pin_get(const char *path, struct core_obj **out)
{
    if (!valid_path(path) || !out)
        return -EINVAL;
    pthread_mutex_lock(&pins_lock);
    size_t i = lower_bound(path);
    *out = found_at(i, path) ? core_obj_retain(pins[i].obj) : NULL;
    pthread_mutex_unlock(&pins_lock);
    return *out ? 0 : -ENOENT;
}

int core_unpin(const char *path)
{
    if (!valid_path(path))
        return -EINVAL;
    struct pin gone = {0};
    pthread_mutex_lock(&pins_lock);
    size_t i = lower_bound(path);
    if (found_at(i, path)) {
        gone = pins[i];
        memmove(&pins[i], &pins[i + 1], (pin_count - i - 1) * sizeof(*pins));
        pin_count--;
    }
    pthread_mutex_unlock(&pins_lock);
    if (!gone.path)
        return -ENOENT;
    free(gone.path);
    core_obj_release(gone.obj);
    return 0;
}

int core_pin_next(const char *after, char *path, size_t len)
{
    int err = -ENOENT;
    pthread_mutex_lock(&pins_lock);
    size_t i = after ? lower_bound(after) : 0;
    if (after && found_at(i, after))
        i++;
    if (i < pin_count) {
        snprintf(path, len, "%s", pins[i].path);
        err = 0;
    }
    pthread_mutex_unlock(&pins_lock);
    return err;
}
