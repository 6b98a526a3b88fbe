/* What is known of each process, for its delete (see proc_tracker.h). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "ext/process/proc_tracker.h"

enum {
    TABLE_ENTRIES = 32768, /* the kernel's default pid_max */
    TABLE_BYTES = 64 << 20,
};

int proc_tracker_init(struct proc_tracker *t, struct ext_source_counters *counters, const char *trace_prefix)
{
    t->counters = counters;
    t->prefix = trace_prefix;
    return pid_table_create(TABLE_ENTRIES, TABLE_BYTES, &t->pids);
}

void proc_tracker_free(struct proc_tracker *t)
{
    pid_table_destroy(t->pids);
    t->pids = NULL;
}

bool proc_tracker_read_proc(struct proc_tracker *t, uint32_t pid, struct pid_record *rec)
{
    struct ext_proc_info *info = &t->info;
    if (ext_proc_read(pid, info) != 0)
        return false;
    *rec = (struct pid_record){.ppid = info->ppid, .uid = info->uid, .gid = info->gid,
                               .creation_time = info->start_filetime,
                               .image_path = info->image_path, .image_path_len = strlen(info->image_path),
                               .command_line = info->command_line, .command_line_len = info->command_line_len};
    memcpy(rec->comm, info->comm, sizeof(rec->comm));
    return true;
}

size_t proc_tracker_scan(struct proc_tracker *t)
{
    DIR *d = opendir("/proc");
    if (!d) {
        core_trace_printf("%scannot list /proc: %s; processes already running will have no identity", t->prefix,
                          strerror(errno));
        return 0;
    }
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        unsigned long pid = strtoul(e->d_name, &end, 10);
        struct pid_record rec;
        if (*end || pid == 0 || pid > UINT32_MAX || pid_table_get(t->pids, (uint32_t)pid))
            continue;
        if (proc_tracker_read_proc(t, (uint32_t)pid, &rec)) {
            proc_tracker_put(t, (uint32_t)pid, &rec);
            n++;
        }
    }
    closedir(d);
    return n;
}

const struct pid_record *proc_tracker_get(const struct proc_tracker *t, uint32_t pid)
{
    return pid_table_get(t->pids, pid);
}

void proc_tracker_put(struct proc_tracker *t, uint32_t pid, const struct pid_record *rec)
{
    int err = pid_table_put(t->pids, pid, rec);
    if (err) {
        atomic_fetch_add(&t->counters->errors, 1);
        core_trace_printf("%scannot keep what is known of pid %u: %s", t->prefix, pid, strerror(-err));
    }
}

void proc_tracker_fork(struct proc_tracker *t, const struct proc_event *ev)
{
    const struct fork_proc_event *f = &ev->event_data.fork;
    if (f->child_pid != f->child_tgid)
        return; /* a thread */
    uint32_t parent = (uint32_t)f->parent_tgid;
    struct pid_record from_proc;
    /* A parent not known (it started while the scan ran) is alive: it is forking. */
    if (!pid_table_get(t->pids, parent) && proc_tracker_read_proc(t, parent, &from_proc))
        proc_tracker_put(t, parent, &from_proc);
    const struct pid_record *p = pid_table_get(t->pids, parent);
    struct pid_record child = p ? *p : (struct pid_record){0};
    child.ppid = parent;
    child.creation_time = ext_filetime_from_monotonic_ns(ev->timestamp_ns);
    proc_tracker_put(t, (uint32_t)f->child_tgid, &child);
}

bool proc_tracker_exit(const struct proc_tracker *t, const struct proc_event *ev, struct ext_process_event *out)
{
    const struct exit_proc_event *x = &ev->event_data.exit;
    if (x->process_pid != x->process_tgid)
        return false; /* a thread, not the process */
    uint32_t tgid = (uint32_t)x->process_tgid;
    const struct pid_record *known = pid_table_get(t->pids, tgid);
    struct pid_record rec = known ? *known : (struct pid_record){0};
    uint64_t exit_time = ext_filetime_from_monotonic_ns(ev->timestamp_ns);
    *out = (struct ext_process_event){
        .md = {.operation = PROCESS_OPERATION_DELETE, .process_id = tgid,
               /* the kernel leaves the parent 0 if it reaped the child already */
               .parent_process_id = x->parent_tgid ? (uint32_t)x->parent_tgid : rec.ppid,
               .creation_time = rec.creation_time,
               /* two clocks read apart (and a /proc start time of 10 ms steps): never before the creation */
               .exit_time = exit_time > rec.creation_time ? exit_time : rec.creation_time,
               .process_exit_code = ext_exit_code((int)x->exit_code), .uid = rec.uid, .gid = rec.gid},
        .command_line = rec.command_line, .command_line_len = rec.command_line_len,
        .image_path = rec.image_path, .image_path_len = rec.image_path_len,
        .task = {.process_id = tgid, .thread_id = (uint32_t)x->process_pid, .uid = rec.uid, .gid = rec.gid},
    };
    memcpy(out->task.comm, rec.comm, sizeof(out->task.comm));
    return true;
}

void proc_tracker_forget(struct proc_tracker *t, uint32_t pid)
{
    pid_table_remove(t->pids, pid);
}

void proc_tracker_exec_from_proc(struct proc_tracker *t, struct core_hook *hook, const struct proc_event *ev)
{
    struct pid_record now;
    bool alive = proc_tracker_read_proc(t, (uint32_t)ev->event_data.exec.process_tgid, &now);
    proc_tracker_exec_read(t, hook, ev, alive ? &now : NULL);
}

void proc_tracker_exec_read(struct proc_tracker *t, struct core_hook *hook, const struct proc_event *ev,
                            const struct pid_record *now)
{
    uint32_t tgid = (uint32_t)ev->event_data.exec.process_tgid, tid = (uint32_t)ev->event_data.exec.process_pid;
    const struct pid_record *known = proc_tracker_get(t, tgid);
    struct pid_record rec = known ? *known : (struct pid_record){0};
    if (now) {
        rec.ppid = now->ppid ? now->ppid : rec.ppid;
        rec.uid = now->uid;
        rec.gid = now->gid;
        if (now->comm[0])
            memcpy(rec.comm, now->comm, sizeof(rec.comm));
    }
    if (!rec.creation_time) /* the fork's time if we saw it, else the start /proc tells, else now */
        rec.creation_time = now && now->creation_time ? now->creation_time
                                                      : ext_filetime_from_monotonic_ns(ev->timestamp_ns);
    rec.image_path = now ? now->image_path : NULL;
    rec.image_path_len = now ? now->image_path_len : 0;
    rec.command_line = now ? now->command_line : NULL;
    rec.command_line_len = now ? now->command_line_len : 0;

    /* The image is the process' executable for as long as it runs (after the fact: it may be gone, or a
     * snapshot's process may have exec'd again: then the file it saw is not there to open). */
    char exe[48];
    snprintf(exe, sizeof(exe), "/proc/%u/exe", tgid);
    struct stat st;
    bool have_exe = now && stat(exe, &st) == 0 &&
                    (!now->exe_inode || ((uint64_t)st.st_dev == now->exe_device && (uint64_t)st.st_ino == now->exe_inode));
    struct ext_process_event e = {
        .md = {.operation = PROCESS_OPERATION_CREATE, .process_id = tgid, .parent_process_id = rec.ppid,
               .creating_process_id = tgid, .creating_thread_id = tid, .creation_time = rec.creation_time,
               .image_kind = PROCESS_IMAGE_PROGRAM,
               .image_device = have_exe ? (uint64_t)st.st_dev : now ? now->exe_device : 0,
               .image_inode = have_exe ? (uint64_t)st.st_ino : now ? now->exe_inode : 0},
        .command_line = rec.command_line, .command_line_len = rec.command_line_len,
        .image_path = rec.image_path, .image_path_len = rec.image_path_len,
        .image_file = have_exe ? exe : NULL,
        .task = {.process_id = tgid, .thread_id = tid, .uid = rec.uid, .gid = rec.gid},
    };
    ext_process_set_account(&e.md, rec.uid, rec.gid);
    memcpy(e.task.comm, rec.comm, sizeof(e.task.comm));
    ext_dispatch_observed(hook, t->counters, &e, t->prefix);
    proc_tracker_put(t, tgid, &rec);
}
