/*
 * Which filesystems the fanotify source watches: executables can live on
 * any mounted filesystem, so every mount of our mount table is marked for
 * FAN_OPEN_EXEC_PERM. FAN_MARK_FILESYSTEM covers the mount's whole
 * filesystem (its other mounts and bind mounts too, in any mount
 * namespace); FAN_MARK_MOUNT, where that is refused (older kernels), that
 * mount only. Marking is idempotent, so a walk after the mount table
 * changed simply marks every mount again, which also covers a new
 * filesystem that reuses the device number of an unmounted one.
 * Filesystems that refuse permission events (proc, for one) are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>

#include "ext/process/fanotify.h"

/* Undoes mountinfo's octal escapes (\040 for a space, ...) in place. */
static void unescape(char *s)
{
    char *out = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
            *out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
}

/*
 * Splits a mountinfo line ("36 35 98:0 /root /mnt/point opts... - fstype
 * source superopts") into its mount id, mount point and filesystem type.
 */
static bool parse_mount(char *line, uint64_t *id, char **mount_point, char **fstype)
{
    char *save, *fields[5];
    for (int i = 0; i < 5; i++)
        if (!(fields[i] = strtok_r(i ? NULL : line, " \n", &save)))
            return false;
    char *tok;
    while ((tok = strtok_r(NULL, " \n", &save)) && strcmp(tok, "-") != 0)
        ;
    if (!tok || !(*fstype = strtok_r(NULL, " \n", &save)))
        return false;
    *id = strtoull(fields[0], NULL, 10);
    *mount_point = fields[4];
    unescape(*mount_point);
    return true;
}

/* Marks one mount's filesystem (or, failing that, the mount): 0 or -errno. */
static int mark(int fan_fd, const char *mount_point)
{
    unsigned flags = FAN_MARK_ADD | FAN_MARK_DONT_FOLLOW;
    if (fanotify_mark(fan_fd, flags | FAN_MARK_FILESYSTEM, FAN_OPEN_EXEC_PERM, AT_FDCWD, mount_point) == 0 ||
        fanotify_mark(fan_fd, flags | FAN_MARK_MOUNT, FAN_OPEN_EXEC_PERM, AT_FDCWD, mount_point) == 0)
        return 0;
    return -errno;
}

static bool contains(const uint64_t *ids, size_t count, uint64_t id)
{
    for (size_t i = 0; i < count; i++)
        if (ids[i] == id)
            return true;
    return false;
}

int fanotify_marks_walk(struct fanotify_marks *m, int fan_fd, fanotify_refused_fn *refused, void *arg,
                        size_t *mounts)
{
    FILE *f = fopen("/proc/thread-self/mountinfo", "re");
    if (!f)
        return -errno;
    uint64_t *now_refused = NULL;
    size_t refused_count = 0, cap = 0, marked = 0;
    *mounts = 0;
    char *line = NULL;
    size_t len = 0;
    while (getline(&line, &len, f) > 0) {
        uint64_t id;
        char *mount_point, *fstype;
        if (!parse_mount(line, &id, &mount_point, &fstype))
            continue;
        ++*mounts;
        int err = mark(fan_fd, mount_point);
        if (!err) {
            marked++;
            continue;
        }
        if (!contains(m->refused, m->refused_count, id))
            refused(arg, mount_point, fstype, err);
        if (refused_count == cap) {
            uint64_t *grown = realloc(now_refused, (cap ? cap * 2 : 16) * sizeof(*grown));
            if (!grown)
                continue; /* only costs a repeated report at the next walk */
            now_refused = grown;
            cap = cap ? cap * 2 : 16;
        }
        now_refused[refused_count++] = id;
    }
    free(line);
    fclose(f);
    free(m->refused);
    m->refused = now_refused;
    m->refused_count = refused_count;
    return (int)marked;
}

void fanotify_marks_free(struct fanotify_marks *m)
{
    free(m->refused);
    m->refused = NULL;
    m->refused_count = 0;
}
