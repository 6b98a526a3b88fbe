/*
 * The tools' escaping (src/tools/escape.c): what reaches a terminal never
 * holds a control character, a bidirectional control or invalid UTF-8, and
 * the original bytes can be read back; JSON strings parse with json-c's
 * strict UTF-8-validating parser and decode to the input (invalid bytes to
 * U+FFFD, their raw bytes in the "_hex" sibling).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_strict.h"
#include "tools/tools.h"

/* Output captured from one of the writers. */
struct capture {
    FILE *f;
    char *text;
    size_t len;
};

static FILE *capture_open(struct capture *c)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
    return c->f;
}

/* Closes the stream; the text stays until free(c->text). */
static const char *capture_close(struct capture *c)
{
    fclose(c->f);
    return c->text;
}

static char *text_of(const char *s, size_t len, unsigned flags)
{
    struct capture c;
    tools_text_write(capture_open(&c), s, len, flags);
    capture_close(&c);
    return c.text;
}

static void assert_text(const char *s, size_t len, unsigned flags, const char *want)
{
    char *got = text_of(s, len, flags);
    assert_string_equal(got, want);
    free(got);
}

#define TEXT(lit, want) assert_text(lit, sizeof(lit) - 1, 0, want)

static void text_keeps_printable_text_and_utf8(void **state)
{
    (void)state;
    TEXT("ls -l /tmp", "ls -l /tmp");
    TEXT("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80");
    TEXT("", "");
}

static void text_escapes_controls_and_backslash(void **state)
{
    (void)state;
    /* A command line that would clear the screen, go back to the line's start and forge a line. */
    TEXT("x\x1b[2J\rdelete pid 1\n", "x\\x1b[2J\\x0ddelete pid 1\\x0a");
    TEXT("\x01\x07\x08\t\x7f", "\\x01\\x07\\x08\\x09\\x7f");
    TEXT("a\\x41", "a\\\\x41"); /* a literal backslash cannot pass for an escape */
    /* C1 CSI (U+009B), right-to-left override (U+202E), zero-width space, line separator, BOM. */
    TEXT("\xc2\x9b" "2J", "\\xc2\\x9b2J");
    TEXT("abc\xe2\x80\xae" "fdp.exe", "abc\\xe2\\x80\\xaefdp.exe");
    TEXT("\xe2\x80\x8b\xe2\x80\xa8\xef\xbb\xbf", "\\xe2\\x80\\x8b\\xe2\\x80\\xa8\\xef\\xbb\\xbf");
    /* NUL bytes inside a counted string. */
    assert_text("a\0b", 3, 0, "a\\x00b");
    /* Spaces only on request. */
    assert_text("/tmp/a b", 8, TOOLS_TEXT_SPACE, "/tmp/a\\x20b");
}

static void text_escapes_each_invalid_byte(void **state)
{
    (void)state;
    TEXT("\xff", "\\xff");
    TEXT("\x80x", "\\x80x");                     /* a stray continuation byte */
    TEXT("\xc3", "\\xc3");                       /* cut short at the end */
    TEXT("\xc3(", "\\xc3(");                     /* a lead byte without its continuation */
    TEXT("\xc0\xaf", "\\xc0\\xaf");              /* overlong '/' */
    TEXT("\xe0\x80\xaf", "\\xe0\\x80\\xaf");     /* overlong, three bytes */
    TEXT("\xed\xa0\x80", "\\xed\\xa0\\x80");     /* a UTF-16 surrogate */
    TEXT("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* over U+10FFFF */
    TEXT("\xe6\x97" "a", "\\xe6\\x97a");         /* a sequence broken by ASCII */
}

static void printf_escapes_all_but_the_final_newline(void **state)
{
    (void)state;
    struct capture c;
    tools_text_printf(capture_open(&c), "bpfhost: %s: %d\n", "bad\x1b]0;title\x07", 7);
    assert_string_equal(capture_close(&c), "bpfhost: bad\\x1b]0;title\\x07: 7\n");
    free(c.text);
    tools_text_printf(capture_open(&c), "%s", "two\nlines");
    assert_string_equal(capture_close(&c), "two\\x0alines");
    free(c.text);
}

/* Undoes the text escaping: \\ and \xHH. */
static size_t unescape(const char *in, char *out)
{
    size_t n = 0;
    while (*in) {
        if (in[0] == '\\' && in[1] == '\\') {
            out[n++] = '\\';
            in += 2;
        } else if (in[0] == '\\' && in[1] == 'x') {
            char hex[3] = {in[2], in[3], 0};
            out[n++] = (char)strtoul(hex, NULL, 16);
            in += 4;
        } else {
            out[n++] = *in++;
        }
    }
    return n;
}

static void random_bytes(char *s, size_t len, unsigned *seed)
{
    /* Mostly the bytes that matter: controls, UTF-8 lead and continuation bytes, ASCII. */
    static const unsigned char pool[] = {0x00, 0x01, 0x1b, 0x0d, 0x0a, 0x7f, 0x80, 0x9b, 0xbf, 0xc2, 0xc3, 0xe2,
                                         0xed, 0xef, 0xf0, 0xf4, 0xff, '\\', '"', ' ', 'a', '/'};
    for (size_t i = 0; i < len; i++)
        s[i] = (char)(rand_r(seed) % 3 ? pool[rand_r(seed) % sizeof(pool)] : rand_r(seed) % 256);
}

static void text_is_safe_and_reversible_for_any_bytes(void **state)
{
    (void)state;
    unsigned seed = 13;
    for (int round = 0; round < 2000; round++) {
        char s[64], back[64];
        size_t len = (size_t)rand_r(&seed) % sizeof(s);
        random_bytes(s, len, &seed);
        char *text = text_of(s, len, 0);
        for (const unsigned char *p = (const unsigned char *)text; *p; p++)
            assert_true(*p >= 0x20 && *p != 0x7f);
        /* Valid UTF-8 as a whole: what was not is escaped. */
        struct capture c;
        assert_false(tools_json_write(capture_open(&c), text, strlen(text)));
        capture_close(&c);
        free(c.text);
        assert_int_equal(unescape(text, back), len);
        assert_memory_equal(back, s, len);
        free(text);
    }
}

/* The JSON literal of s, parsed back. */
static struct json_object *json_of(const char *s, size_t len, bool *invalid)
{
    struct capture c;
    *invalid = tools_json_write(capture_open(&c), s, len);
    capture_close(&c);
    struct json_object *o = assert_json(c.text);
    free(c.text);
    assert_true(json_object_is_type(o, json_type_string));
    return o;
}

static void json_is_strict_utf8_and_decodes_to_the_input(void **state)
{
    (void)state;
    bool invalid;
    const char valid[] = "x\x1b[2J\r\"q\"\\ \xc3\xa9\xe2\x80\xae\xc2\x9b\x7f";
    struct json_object *o = json_of(valid, sizeof(valid) - 1, &invalid);
    assert_false(invalid);
    assert_int_equal(json_object_get_string_len(o), sizeof(valid) - 1);
    assert_memory_equal(json_object_get_string(o), valid, sizeof(valid) - 1);
    json_object_put(o);

    /* Controls and bidi characters never appear raw in the literal. */
    struct capture c;
    tools_json_write(capture_open(&c), valid, sizeof(valid) - 1);
    assert_string_equal(capture_close(&c), "\"x\\u001b[2J\\u000d\\\"q\\\"\\\\ \xc3\xa9\\u202e\\u009b\\u007f\"");
    free(c.text);

    /* Invalid bytes: one U+FFFD each. */
    o = json_of("a\xff\xc3(", 4, &invalid);
    assert_true(invalid);
    assert_string_equal(json_object_get_string(o), "a\xef\xbf\xbd\xef\xbf\xbd(");
    json_object_put(o);

    unsigned seed = 7;
    for (int round = 0; round < 2000; round++) {
        char s[64];
        size_t len = (size_t)rand_r(&seed) % sizeof(s);
        random_bytes(s, len, &seed);
        json_object_put(json_of(s, len, &invalid));
    }
}

static void json_field_adds_the_raw_bytes_when_invalid(void **state)
{
    (void)state;
    struct capture c;
    FILE *f = capture_open(&c);
    fputc('{', f);
    tools_json_field(f, "ok", ":", "fine", 4);
    fputc(',', f);
    tools_json_field(f, "bad", ":", "\xc3", 1);
    fputc(',', f);
    tools_json_field(f, "cmd", ": ", "a\xff", 2);
    fputc('}', f);
    assert_string_equal(capture_close(&c), "{\"ok\":\"fine\",\"bad\":\"\\ufffd\",\"bad_hex\":\"c3\",\"cmd\": \"a\\ufffd\", "
                                           "\"cmd_hex\": \"61ff\"}");
    struct json_object *o = assert_json(c.text);
    struct json_object *hex;
    assert_true(json_object_object_get_ex(o, "cmd_hex", &hex));
    assert_string_equal(json_object_get_string(hex), "61ff");
    json_object_put(o);
    free(c.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_keeps_printable_text_and_utf8),
        cmocka_unit_test(text_escapes_controls_and_backslash),
        cmocka_unit_test(text_escapes_each_invalid_byte),
        cmocka_unit_test(printf_escapes_all_but_the_final_newline),
        cmocka_unit_test(text_is_safe_and_reversible_for_any_bytes),
        cmocka_unit_test(json_is_strict_utf8_and_decodes_to_the_input),
        cmocka_unit_test(json_field_adds_the_raw_bytes_when_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
