/*
 * Escaping of strings that come from outside (command lines, paths, names,
 * trace lines): a process chooses its own argv, a file its name, so none of
 * it may reach a terminal or a JSON reader as it is. One decoder decides
 * for both forms which characters are shown as they are.
 */
#include "tools/tools.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * Length of the valid UTF-8 sequence at s (at most len bytes) and its code
 * point, or 0 if s does not start one (a stray continuation byte, a
 * truncated or overlong sequence, a surrogate, a code point over U+10FFFF).
 */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t n;
    uint32_t min;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
        n = 2, min = 0x80, *cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 3, min = 0x800, *cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4, min = 0x10000, *cp = b & 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    bool surrogate = *cp >= 0xd800 && *cp <= 0xdfff;
    return *cp < min || *cp > 0x10ffff || surrogate ? 0 : n;
}

/*
 * Characters a terminal acts on or that change how the rest of a line
 * looks: C0 and C1 controls, DEL, the bidirectional controls (U+061C,
 * U+200E-F, U+202A-E, U+2066-9), zero-width and invisible characters
 * (U+200B-D, U+2060-5, U+FEFF), the line and paragraph separators and the
 * interlinear annotation marks.
 */
static bool is_hidden(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff ||
           (cp >= 0xfff9 && cp <= 0xfffb);
}

void tools_text_write(FILE *out, const char *s, size_t len, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n && cp == '\\') {
            fputs("\\\\", out);
            i++;
            continue;
        }
        if (n && !is_hidden(cp) && !(cp == ' ' && (flags & TOOLS_TEXT_SPACE))) {
            fwrite(p + i, 1, n, out);
            i += n;
            continue;
        }
        /* Every byte of what is not shown, so the original bytes can be read back. */
        for (size_t end = i + (n ? n : 1); i < end; i++)
            fprintf(out, "\\x%02x", p[i]);
    }
}

void tools_text_puts(FILE *out, const char *s)
{
    tools_text_write(out, s, strlen(s), 0);
}

char *tools_text_dup(const char *s, unsigned flags)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    tools_text_write(f, s, strlen(s), flags);
    return fclose(f) == 0 ? text : (free(text), NULL);
}

void tools_text_printf(FILE *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    bool newline = n > 0 && text[n - 1] == '\n';
    tools_text_write(out, text, (size_t)n - newline, 0);
    if (newline)
        fputc('\n', out);
    free(text);
}

bool tools_json_write(FILE *out, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    bool invalid = false;
    fputc('"', out);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (!n) {
            fputs("\\ufffd", out); /* U+REPLACEMENT CHARACTER, one per byte */
            invalid = true;
            i++;
        } else if (cp == '"' || cp == '\\') {
            fprintf(out, "\\%c", (char)cp);
            i++;
        } else if (is_hidden(cp)) {
            fprintf(out, "\\u%04x", (unsigned)cp); /* all of them are in the Basic Multilingual Plane */
            i += n;
        } else {
            fwrite(p + i, 1, n, out);
            i += n;
        }
    }
    fputc('"', out);
    return invalid;
}

bool tools_json_puts(FILE *out, const char *s)
{
    return tools_json_write(out, s, strlen(s));
}

void tools_hex_write(FILE *out, const void *bytes, size_t len)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < len; i++)
        fprintf(out, "%02x", p[i]);
}

void tools_json_field(FILE *out, const char *key, const char *sep, const char *s, size_t len)
{
    fprintf(out, "\"%s\"%s", key, sep);
    if (!tools_json_write(out, s, len))
        return;
    fprintf(out, ",%s\"%s_hex\"%s\"", strchr(sep, ' ') ? " " : "", key, sep); /* spaced like the caller's */
    tools_hex_write(out, s, len);
    fputc('"', out);
}
