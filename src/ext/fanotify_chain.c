/*
 * Which exec opens belong to an exec already reported. One execve opens
 * several files for execution, each a FAN_OPEN_EXEC_PERM event of the same
 * thread: the program; for a "#!" script its interpreter (which may be a
 * script again); for a dynamic ELF program its PT_INTERP (ld.so). The
 * kernel makes the next open only after we answered the previous one, and
 * still in the same execve. So when a thread's exec opens a file, we read
 * from that open file (pread: the kernel's file position is not ours to
 * move) which file it will open next, resolve that path as the kernel will
 * and keep its identity (device, inode) for the thread. The thread's next
 * exec open is a follow-up if it is that file.
 *
 * An expectation is used up by the thread's next exec open, whatever it
 * is, and expires after FOLLOWUP_WINDOW_NS (the exec failed half-way);
 * when the table is full the one closest to expiry goes. A follow-up not
 * recognised (table full, unusual interpreter resolution, binfmt_misc)
 * shows as one more create: the error goes towards reporting too much.
 */
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ext/fanotify.h"

/* How long after an exec open its follow-up may come (generous: the machine may be loaded). */
#define FOLLOWUP_WINDOW_NS (5 * 1000000000ull)

/* The kernel reads a "#!" line from the first BINPRM_BUF_SIZE bytes. */
enum { BINPRM_BUF_SIZE = 256, PROGRAM_HEADERS_MAX = 65536 };

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The slot of thread tid, or NULL. */
static struct fanotify_chain_slot *slot_of(struct fanotify_chain *c, pid_t tid)
{
    for (size_t i = 0; i < FANOTIFY_CHAIN_SLOTS; i++)
        if (c->slots[i].tid == tid)
            return &c->slots[i];
    return NULL;
}

bool fanotify_chain_is_followup(struct fanotify_chain *c, pid_t tid, dev_t dev, ino_t ino)
{
    struct fanotify_chain_slot *s = slot_of(c, tid);
    if (!s)
        return false;
    bool match = s->dev == dev && s->ino == ino && monotonic_ns() < s->deadline_ns;
    s->tid = 0;
    return match;
}

/* The interpreter of a "#!" line as binfmt_script reads it: after "#!" and blanks, up to a blank or line end. */
static bool script_interpreter(const char *head, size_t len, char *path, size_t cap)
{
    size_t i = 2;
    while (i < len && (head[i] == ' ' || head[i] == '\t'))
        i++;
    size_t start = i;
    while (i < len && head[i] != ' ' && head[i] != '\t' && head[i] != '\n' && head[i] != '\0')
        i++;
    if (i == start || i - start >= cap)
        return false;
    memcpy(path, head + start, i - start);
    path[i - start] = '\0';
    return true;
}

/* Reads an unaligned field of width bytes (2, 4 or 8) in host byte order. */
static uint64_t field(const unsigned char *p, size_t width)
{
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    switch (width) {
    case 2:
        memcpy(&v16, p, 2);
        return v16;
    case 4:
        memcpy(&v32, p, 4);
        return v32;
    default:
        memcpy(&v64, p, 8);
        return v64;
    }
}

/*
 * The PT_INTERP path of an ELF file of this host's byte order, 64- or
 * 32-bit (the class decides the offsets of the fields read). The first
 * PT_INTERP counts, as for the kernel.
 */
static bool elf_interpreter(int fd, const unsigned char *head, size_t len, char *path, size_t cap)
{
    const unsigned char native = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
    if (len < sizeof(Elf64_Ehdr) || memcmp(head, ELFMAG, SELFMAG) != 0 || head[EI_DATA] != native)
        return false;
    bool is64 = head[EI_CLASS] == ELFCLASS64;
    if (!is64 && head[EI_CLASS] != ELFCLASS32)
        return false;
    uint64_t phoff = is64 ? field(head + offsetof(Elf64_Ehdr, e_phoff), 8)
                          : field(head + offsetof(Elf32_Ehdr, e_phoff), 4);
    size_t entsize = field(head + (is64 ? offsetof(Elf64_Ehdr, e_phentsize) : offsetof(Elf32_Ehdr, e_phentsize)), 2);
    size_t count = field(head + (is64 ? offsetof(Elf64_Ehdr, e_phnum) : offsetof(Elf32_Ehdr, e_phnum)), 2);
    if (entsize != (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) || count == 0 ||
        count * entsize > PROGRAM_HEADERS_MAX)
        return false;
    unsigned char *table = malloc(count * entsize);
    bool found = false;
    if (table && pread(fd, table, count * entsize, (off_t)phoff) == (ssize_t)(count * entsize)) {
        const unsigned char *ph = table;
        while (ph < table + count * entsize && field(ph, 4) != PT_INTERP)
            ph += entsize;
        if (ph < table + count * entsize) {
            uint64_t off = is64 ? field(ph + offsetof(Elf64_Phdr, p_offset), 8)
                                : field(ph + offsetof(Elf32_Phdr, p_offset), 4);
            uint64_t size = is64 ? field(ph + offsetof(Elf64_Phdr, p_filesz), 8)
                                 : field(ph + offsetof(Elf32_Phdr, p_filesz), 4);
            /* The kernel wants 2..PATH_MAX bytes ending with NUL. */
            found = size >= 2 && size <= cap && pread(fd, path, size, (off_t)off) == (ssize_t)size &&
                    path[size - 1] == '\0';
        }
    }
    free(table);
    return found;
}

/* The path of the file an exec of the file open as fd opens next, if any. */
static bool next_exec_path(int fd, char *path, size_t cap)
{
    char head[BINPRM_BUF_SIZE];
    ssize_t n = pread(fd, head, sizeof(head), 0);
    if (n >= 2 && head[0] == '#' && head[1] == '!')
        return script_interpreter(head, (size_t)n, path, cap);
    return n > 0 && elf_interpreter(fd, (const unsigned char *)head, (size_t)n, path, cap);
}

/*
 * The identity of path as thread tid's exec will open it: an absolute
 * path in the thread's root (its chroot or container, symlinks too), a
 * relative one from its working directory. O_PATH opens make no fanotify
 * events.
 */
static bool identify_in_thread(pid_t tid, const char *path, dev_t *dev, ino_t *ino)
{
    bool absolute = path[0] == '/';
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/%s", (int)tid, absolute ? "root" : "cwd");
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return false;
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = absolute ? RESOLVE_IN_ROOT : 0};
    int fd = (int)syscall(SYS_openat2, dfd, path, &how, sizeof(how));
    close(dfd);
    struct stat st;
    bool ok = fd >= 0 && fstat(fd, &st) == 0;
    if (fd >= 0)
        close(fd);
    if (ok) {
        *dev = st.st_dev;
        *ino = st.st_ino;
    }
    return ok;
}

/* A slot for thread tid: its own, else a free or expired one, else the one closest to expiry. */
static struct fanotify_chain_slot *claim_slot(struct fanotify_chain *c, pid_t tid, uint64_t now)
{
    struct fanotify_chain_slot *s = slot_of(c, tid);
    for (size_t i = 0; i < FANOTIFY_CHAIN_SLOTS && !s; i++)
        if (c->slots[i].tid == 0 || c->slots[i].deadline_ns <= now)
            s = &c->slots[i];
    if (!s) {
        s = &c->slots[0];
        for (size_t i = 1; i < FANOTIFY_CHAIN_SLOTS; i++)
            if (c->slots[i].deadline_ns < s->deadline_ns)
                s = &c->slots[i];
    }
    return s;
}

void fanotify_chain_expect(struct fanotify_chain *c, pid_t tid, int fd)
{
    char path[PATH_MAX];
    dev_t dev;
    ino_t ino;
    if (!next_exec_path(fd, path, sizeof(path)) || !identify_in_thread(tid, path, &dev, &ino))
        return;
    uint64_t now = monotonic_ns();
    struct fanotify_chain_slot *s = claim_slot(c, tid, now);
    *s = (struct fanotify_chain_slot){.tid = tid, .dev = dev, .ino = ino, .deadline_ns = now + FOLLOWUP_WINDOW_NS};
}
