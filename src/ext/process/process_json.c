/*
 * Simulated process events from JSON (bpfhost test-run PROG.o process
 * --ctx EVENT.json): process_md_t's fields by their C names plus the
 * strings the helpers and the data pair answer from. Unknown names are
 * errors, so a typo never silently leaves a field zero.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ext/internal.h"

struct strings {
    const char *command_line, *image_path, *cause_path;
};

/* Sets the field called name from v. */
static int set_field(const char *name, struct json_object *v, process_md_t *md, struct strings *str, char *err,
                     size_t errlen)
{
    static const struct {
        const char *name;
        size_t offset, size;
    } ints[] = {
#define INT_FIELD(f) {#f, offsetof(process_md_t, f), sizeof(((process_md_t *)0)->f)}
        INT_FIELD(process_id),          INT_FIELD(parent_process_id), INT_FIELD(creating_process_id),
        INT_FIELD(creating_thread_id),  INT_FIELD(creation_time),     INT_FIELD(exit_time),
        INT_FIELD(process_exit_code),   INT_FIELD(uid),               INT_FIELD(gid),
        INT_FIELD(image_device),        INT_FIELD(image_inode),
#undef INT_FIELD
    };
    static const char *const operations[] = {"create", "delete"}; /* process_operation_t */
    static const char *const image_kinds[] = {"program", "script_interpreter", "elf_interpreter",
                                              "loaded_program"}; /* process_image_kind_t */
    uint64_t named;
    if (strcmp(name, "operation") == 0) {
        int rc = ext_json_named(name, v, operations, NULL, 2, 1, &named, err, errlen);
        if (!rc)
            md->operation = (process_operation_t)named;
        return rc;
    }
    if (strcmp(name, "command_line") == 0)
        return ext_json_string(name, v, &str->command_line, err, errlen);
    if (strcmp(name, "image_path") == 0)
        return ext_json_string(name, v, &str->image_path, err, errlen);
    if (strcmp(name, "cause_path") == 0)
        return ext_json_string(name, v, &str->cause_path, err, errlen);
    if (strcmp(name, "image_kind") == 0) {
        int rc = ext_json_named(name, v, image_kinds, NULL, 4, 3, &named, err, errlen);
        if (!rc)
            md->image_kind = (uint32_t)named;
        return rc;
    }
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if (strcmp(name, ints[i].name) != 0)
            continue;
        uint64_t u;
        uint64_t max = ints[i].size == 8 ? UINT64_MAX : UINT32_MAX;
        int rc = ext_json_uint(name, v, max, &u, err, errlen);
        if (rc)
            return rc;
        if (ints[i].size == 8)
            memcpy((char *)md + ints[i].offset, &u, 8);
        else {
            uint32_t u32 = (uint32_t)u;
            memcpy((char *)md + ints[i].offset, &u32, 4);
        }
        return 0;
    }
    return ext_json_fail(err, errlen,
                         "unknown field \"%s\" (process_md_t's fields, command_line, image_path, cause_path)", name);
}

int ext_process_event_from_json(const char *json, struct ext_process_event *ev, char **storage, char *err,
                                size_t errlen)
{
    memset(ev, 0, sizeof(*ev));
    *storage = NULL;
    struct json_object *root = ext_json_parse_object(json, err, errlen);
    if (!root)
        return -EINVAL;
    int rc = 0;
    struct strings str = {0};
    json_object_object_foreach(root, key, val)
    {
        if (rc)
            break;
        rc = set_field(key, val, &ev->md, &str, err, errlen);
    }
    if (!rc) {
        /* The strings outlive the JSON tree in one block: each NUL-terminated, in turn. */
        size_t cmd = str.command_line ? strlen(str.command_line) : 0;
        size_t img = str.image_path ? strlen(str.image_path) : 0;
        size_t cause = str.cause_path ? strlen(str.cause_path) : 0;
        char *block = malloc(cmd + img + cause + 3);
        if (!block)
            rc = -ENOMEM;
        else {
            memcpy(block, str.command_line ? str.command_line : "", cmd + 1);
            memcpy(block + cmd + 1, str.image_path ? str.image_path : "", img + 1);
            memcpy(block + cmd + img + 2, str.cause_path ? str.cause_path : "", cause + 1);
            ev->command_line = block;
            ev->command_line_len = cmd;
            ev->image_path = str.image_path ? block + cmd + 1 : NULL;
            ev->image_path_len = img;
            ev->image_file = ev->image_path;
            ev->cause_path = str.cause_path ? block + cmd + img + 2 : NULL;
            ev->cause_path_len = cause;
            *storage = block;
            bool create = ev->md.operation == PROCESS_OPERATION_CREATE;
            if (create) /* as the real sources: the token SID comes with creates only */
                ext_process_set_account(&ev->md, ev->md.uid, ev->md.gid);
            ev->task.process_id = (uint32_t)(create ? ev->md.creating_process_id : ev->md.process_id);
            ev->task.thread_id = (uint32_t)(create ? ev->md.creating_thread_id : ev->md.process_id);
            ev->task.uid = ev->md.uid;
            ev->task.gid = ev->md.gid;
        }
    }
    json_object_put(root);
    return rc;
}

int ext_process_context_from_json(const char *json, struct core_test_input *in, char *err, size_t errlen)
{
    memset(in, 0, sizeof(*in));
    struct ext_process_event ev;
    char *storage;
    int rc = ext_process_event_from_json(json, &ev, &storage, err, errlen);
    if (rc)
        return rc;
    uint8_t *data = NULL;
    long n = ext_process_test_input(&ev, &data);
    in->ctx = malloc(sizeof(ev.md));
    free(storage);
    if (n < 0 || !in->ctx) {
        free(data);
        free(in->ctx);
        in->ctx = NULL;
        return -ENOMEM;
    }
    memcpy(in->ctx, &ev.md, sizeof(ev.md));
    in->ctx_size = sizeof(ev.md);
    in->data = n ? data : NULL;
    in->data_size = (size_t)n;
    if (!n)
        free(data);
    in->task = ev.task;
    return 0;
}
