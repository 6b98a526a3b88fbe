/*
 * What the simulated events of every extension share (bpfhost test-run
 * PROG.o SECTION --ctx EVENT.json): the text is one JSON object and
 * nothing else, and each field is read with a message naming it, so a
 * typo or a value out of range is an error, never a silent zero.
 */
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ext/internal.h"

int ext_json_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

struct json_object *ext_json_parse_object(const char *json, char *err, size_t errlen)
{
    size_t len = strlen(json);
    struct json_tokener *tok = len <= INT_MAX ? json_tokener_new() : NULL;
    if (!tok) {
        ext_json_fail(err, errlen, "not JSON: %s", len <= INT_MAX ? "out of memory" : "too long");
        return NULL;
    }
    struct json_object *root = json_tokener_parse_ex(tok, json, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        json_object_put(root);
        ext_json_fail(err, errlen, "not JSON: %s",
                      jerr == json_tokener_continue ? "it ends inside a value" : json_tokener_error_desc(jerr));
        return NULL;
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        ext_json_fail(err, errlen, "a JSON event is one object ({...}), not an array or another value");
        return NULL;
    }
    while (isspace((unsigned char)json[end]))
        end++;
    if (json[end]) {
        json_object_put(root);
        ext_json_fail(err, errlen, "text after the JSON object, at byte %zu", end);
        return NULL;
    }
    return root;
}

int ext_json_uint(const char *name, struct json_object *v, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    if (!json_object_is_type(v, json_type_int))
        return ext_json_fail(err, errlen, "field \"%s\": expected an integer", name);
    errno = 0;
    uint64_t u = json_object_get_uint64(v);
    if (errno || json_object_get_int64(v) < 0 || u > max)
        return ext_json_fail(err, errlen, "field \"%s\": %s out of range 0..%llu", name,
                             json_object_to_json_string(v), (unsigned long long)max);
    *out = u;
    return 0;
}

int ext_json_string(const char *name, struct json_object *v, const char **out, char *err, size_t errlen)
{
    if (!json_object_is_type(v, json_type_string))
        return ext_json_fail(err, errlen, "field \"%s\": expected a string", name);
    *out = json_object_get_string(v);
    /* The strings reach programs as C strings: a NUL would silently cut them. */
    if (strlen(*out) != (size_t)json_object_get_string_len(v))
        return ext_json_fail(err, errlen, "field \"%s\": contains a NUL character (\\u0000)", name);
    return 0;
}

int ext_json_named(const char *name, struct json_object *v, const char *const *names, const uint64_t *values,
                   size_t count, uint64_t max, uint64_t *out, char *err, size_t errlen)
{
    if (!json_object_is_type(v, json_type_string))
        return ext_json_uint(name, v, max, out, err, errlen);
    const char *s = json_object_get_string(v);
    for (size_t i = 0; i < count; i++)
        if (strcmp(s, names[i]) == 0) {
            *out = values ? values[i] : i;
            return 0;
        }
    char list[256] = "";
    for (size_t i = 0, used = 0; i < count && used < sizeof(list); i++)
        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s\"%s\"", i ? ", " : "", names[i]);
    return ext_json_fail(err, errlen, "field \"%s\": \"%s\" is none of %s%s", name, s, list,
                         values ? " or a number" : "");
}
