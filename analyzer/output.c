#include "output.h"

#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t utf8_sequence(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

enum style { STYLE_C, STYLE_JSON };

/* Quotes s: valid UTF-8 passes through; control bytes are escaped, and
 * invalid bytes become \xNN (C style) or U+FFFD (JSON, which must be UTF-8). */
static void print_escaped(FILE *f, const char *s, size_t len, enum style style)
{
    const unsigned char *p = (const unsigned char *)s;
    fputc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        size_t n = utf8_sequence(p + i, len - i);
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, style == STYLE_JSON ? "\\u%04x" : "\\x%02x", c);
        } else if (n == 0) {
            if (style == STYLE_JSON)
                fputs("\\ufffd", f);
            else
                fprintf(f, "\\x%02x", c);
        } else {
            fwrite(p + i, 1, n, f);
        }
        i += n ? n : 1;
    }
    fputc('"', f);
}

void et_print_quoted(FILE *f, const char *s, size_t len)
{
    print_escaped(f, s, len, STYLE_C);
}

void et_print_json_string(FILE *f, const char *s, size_t len)
{
    print_escaped(f, s, len, STYLE_JSON);
}
