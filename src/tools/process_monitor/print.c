/*
 * The lines process_monitor prints: one per event, readable text or one
 * JSON object. Strings come from the record as bytes; JSON escaping (and
 * invalid UTF-8) is left to json-c.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <string.h>
#include <time.h>

#include "ext/ext.h"
#include "monitor.h"
#include "process_monitor.h" /* examples/: the record layout */

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

static void add_string(struct json_object *o, const char *key, const char *bytes, size_t len)
{
    json_object_object_add(o, key, json_object_new_string_len(bytes, (int)len));
}

static void add_uint(struct json_object *o, const char *key, uint64_t value)
{
    json_object_object_add(o, key, json_object_new_uint64(value));
}

static void print_json(FILE *out, const struct process_monitor_event *e, const char *time)
{
    bool del = e->operation == PROCESS_OPERATION_DELETE;
    char created[48], exited[48];
    monitor_format_filetime(e->creation_time, created, sizeof(created));
    monitor_format_filetime(e->exit_time, exited, sizeof(exited));
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "time", json_object_new_string(time));
    json_object_object_add(o, "operation", json_object_new_string(del ? "delete" : "create"));
    add_uint(o, "pid", e->process_id);
    add_uint(o, "ppid", e->parent_process_id);
    add_uint(o, "creating_pid", e->creating_process_id);
    add_uint(o, "creating_tid", e->creating_thread_id);
    add_string(o, "image", e->strings + e->command_line_len, e->image_path_len);
    add_string(o, "command_line", e->strings, e->command_line_len);
    if (e->command_line_truncated)
        json_object_object_add(o, "command_line_truncated", json_object_new_boolean(1));
    json_object_object_add(o, "exit_code", del ? json_object_new_int64(e->exit_code) : NULL);
    add_uint(o, "uid", e->uid);
    add_uint(o, "gid", e->gid);
    json_object_object_add(o, "creation_time", *created ? json_object_new_string(created) : NULL);
    json_object_object_add(o, "exit_time", del && *exited ? json_object_new_string(exited) : NULL);
    fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static void print_text(FILE *out, const struct process_monitor_event *e, const char *time)
{
    bool del = e->operation == PROCESS_OPERATION_DELETE;
    fprintf(out, "%s %-6s pid %" PRIu64 " ppid %" PRIu64 " uid %u", time, del ? "delete" : "create", e->process_id,
            e->parent_process_id, e->uid);
    if (del)
        fprintf(out, " exit %u", e->exit_code);
    fprintf(out, " image %.*s command %.*s%s\n", (int)e->image_path_len, e->strings + e->command_line_len,
            (int)e->command_line_len, e->strings, e->command_line_truncated ? "..." : "");
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
