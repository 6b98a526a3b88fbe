/*
 * The lines process_monitor prints: one per event, readable text or one
 * JSON object. Strings come from the record as bytes, written through the
 * tools' escaping (tools.h): a process' command line and image path are
 * its own choice.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "ext/ext.h"
#include "monitor.h"
#include "process_monitor.h" /* examples/: the record layout */
#include "tools/tools.h"

void monitor_format_filetime(uint64_t filetime, char *buf, size_t len)
{
    if (filetime < EXT_FILETIME_UNIX_EPOCH) {
        snprintf(buf, len, "%s", "");
        return;
    }
    uint64_t units = filetime - EXT_FILETIME_UNIX_EPOCH;
    time_t secs = (time_t)(units / 10000000u);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char date[32];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%06uZ", date, (unsigned)(units % 10000000u / 10u));
}

/* The time the event happened: its exit for a delete, else now (the create is being reported). */
static void event_time(const struct process_monitor_event *e, char *buf, size_t len)
{
    if (e->operation == PROCESS_OPERATION_DELETE && e->exit_time) {
        monitor_format_filetime(e->exit_time, buf, len);
        return;
    }
    monitor_format_filetime(ext_filetime_now(), buf, len);
}

/* Writes ,"KEY":N. */
static void json_uint(FILE *out, const char *key, uint64_t value)
{
    fprintf(out, ",\"%s\":%" PRIu64, key, value);
}

/* Writes ,"KEY":"TIME", or null for an unknown time. */
static void json_time(FILE *out, const char *key, const char *time)
{
    fprintf(out, *time ? ",\"%s\":\"%s\"" : ",\"%s\":null", key, time);
}

static void print_json(FILE *out, const struct process_monitor_event *e, const char *time)
{
    bool del = e->operation == PROCESS_OPERATION_DELETE;
    char created[48], exited[48];
    monitor_format_filetime(e->creation_time, created, sizeof(created));
    monitor_format_filetime(del ? e->exit_time : 0, exited, sizeof(exited));
    fprintf(out, "{\"time\":\"%s\",\"operation\":\"%s\"", time, del ? "delete" : "create");
    json_uint(out, "pid", e->process_id);
    json_uint(out, "ppid", e->parent_process_id);
    json_uint(out, "creating_pid", e->creating_process_id);
    json_uint(out, "creating_tid", e->creating_thread_id);
    fputc(',', out);
    tools_json_field(out, "image", ":", e->strings + e->command_line_len, e->image_path_len);
    fputc(',', out);
    tools_json_field(out, "command_line", ":", e->strings, e->command_line_len);
    if (e->command_line_truncated)
        fprintf(out, ",\"command_line_truncated\":true");
    if (del)
        json_uint(out, "exit_code", e->exit_code);
    else
        fprintf(out, ",\"exit_code\":null");
    json_uint(out, "uid", e->uid);
    json_uint(out, "gid", e->gid);
    json_time(out, "creation_time", created);
    json_time(out, "exit_time", exited);
    fprintf(out, "}\n");
}

/* The image path has its spaces escaped, so the fields before the command line cannot be forged. */
static void print_text(FILE *out, const struct process_monitor_event *e, const char *time)
{
    bool del = e->operation == PROCESS_OPERATION_DELETE;
    fprintf(out, "%s %-6s pid %" PRIu64 " ppid %" PRIu64 " uid %u", time, del ? "delete" : "create", e->process_id,
            e->parent_process_id, e->uid);
    if (del)
        fprintf(out, " exit %u", e->exit_code);
    if (e->image_path_len) {
        fprintf(out, " image ");
        tools_text_write(out, e->strings + e->command_line_len, e->image_path_len, TOOLS_TEXT_SPACE);
    } else {
        fprintf(out, " image[none]");
    }
    if (e->command_line_truncated)
        fprintf(out, " command[cut at %u bytes] ", (unsigned)e->command_line_len);
    else
        fprintf(out, " command ");
    tools_text_write(out, e->strings, e->command_line_len, 0);
    fputc('\n', out);
}

int monitor_print_event(FILE *out, bool json, const void *record, size_t size)
{
    const struct process_monitor_event *e = record;
    if (size < PROCESS_MONITOR_EVENT_HEADER_SIZE ||
        size < PROCESS_MONITOR_EVENT_HEADER_SIZE + (size_t)e->command_line_len + e->image_path_len)
        return -1;
    char time[48];
    event_time(e, time, sizeof(time));
    if (json)
        print_json(out, e, time);
    else
        print_text(out, e, time);
    return 0;
}
