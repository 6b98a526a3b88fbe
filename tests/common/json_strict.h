/* Reading the tools' JSON output as a strict reader would. */
#ifndef BPFHOST_TESTS_JSON_STRICT_H
#define BPFHOST_TESTS_JSON_STRICT_H

#include <json-c/json.h>
#include <stdint.h>

/*
 * Parses text as exactly one JSON value with json-c's strict parser that
 * also rejects invalid UTF-8; fails the current test (showing the text)
 * otherwise. The caller puts the result.
 */
struct json_object *assert_json(const char *text);

/* Parses each line of text with assert_json(); returns how many there were. Fills lines (up to max). */
size_t assert_json_lines(const char *text, struct json_object **lines, size_t max);

/* Member key of object o (a path "a.b" is not supported); fails the test if missing. */
struct json_object *json_member(struct json_object *o, const char *key);

/* The integer member key of o; fails the test if missing. */
int64_t json_int(struct json_object *o, const char *key);

#endif
