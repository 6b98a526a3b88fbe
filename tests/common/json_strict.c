/* Strict JSON reading for the tests of the tools' output. */
#include "common/json_strict.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Parses len bytes of text strictly: the value, or NULL. */
static struct json_object *parse(const char *text, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    bool whole = o && json_tokener_get_error(tok) == json_tokener_success && json_tokener_get_parse_end(tok) == len;
    json_tokener_free(tok);
    if (!whole) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

struct json_object *assert_json(const char *text)
{
    struct json_object *o = parse(text, strlen(text));
    if (!o)
        fail_msg("not one strict JSON value (valid UTF-8): %s", text);
    return o;
}

size_t assert_json_lines(const char *text, struct json_object **lines, size_t max)
{
    size_t n = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        struct json_object *o = parse(line, len);
        if (!o)
            fail_msg("line %zu is not strict JSON (valid UTF-8): %.*s", n + 1, (int)len, line);
        if (n < max)
            lines[n] = o;
        else
            json_object_put(o);
        n++;
        line += len + (end != NULL);
    }
    return n;
}

struct json_object *json_member(struct json_object *o, const char *key)
{
    struct json_object *v;
    if (!json_object_object_get_ex(o, key, &v))
        fail_msg("no member \"%s\" in %s", key, json_object_to_json_string(o));
    return v;
}

int64_t json_int(struct json_object *o, const char *key)
{
    return json_object_get_int64(json_member(o, key));
}
