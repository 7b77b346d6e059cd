#include "output.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

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

/* STYLE_SCRIPT is JSON that can sit inside an HTML <script> element (no
 * "</script>" or "<!--" in it); STYLE_MARKUP is HTML/XML text, unquoted. */
enum style { STYLE_C, STYLE_JSON, STYLE_SCRIPT, STYLE_MARKUP };

static bool plain_byte(unsigned char c, enum style style)
{
    if (c < 0x20 || c >= 0x7f)
        return false;
    if (style == STYLE_MARKUP)
        return c != '&' && c != '<' && c != '>' && c != '"' && c != '\'';
    if (style == STYLE_SCRIPT && (c == '<' || c == '>' || c == '&'))
        return false;
    return c != '"' && c != '\\';
}

static void print_markup_byte(FILE *f, unsigned char c)
{
    switch (c) {
    case '&':
        fputs("&amp;", f);
        break;
    case '<':
        fputs("&lt;", f);
        break;
    case '>':
        fputs("&gt;", f);
        break;
    case '"':
        fputs("&quot;", f);
        break;
    case '\'':
        fputs("&#39;", f);
        break;
    default: /* a control byte: markup cannot hold most of them */
        fputs("\xef\xbf\xbd", f);
    }
}

/* Quotes s: valid UTF-8 passes through; control bytes are escaped, and
 * invalid bytes become \xNN (C style) or U+FFFD (JSON and markup, which
 * must be UTF-8). */
static void print_escaped(FILE *f, const char *s, size_t len, enum style style)
{
    const unsigned char *p = (const unsigned char *)s;
    if (style != STYLE_MARKUP)
        fputc('"', f);
    for (size_t i = 0; i < len;) {
        /* Printable ASCII, the common case, goes out in one write. */
        size_t plain = i;
        while (plain < len && plain_byte(p[plain], style))
            plain++;
        if (plain > i) {
            fwrite(p + i, 1, plain - i, f);
            i = plain;
            continue;
        }
        unsigned char c = p[i];
        size_t n = utf8_sequence(p + i, len - i);
        if (style == STYLE_MARKUP && (c < 0x80 || n == 0)) {
            print_markup_byte(f, n == 0 ? 0 : c);
        } else if (c == '<' || c == '>' || c == '&') {
            fprintf(f, "\\u%04x", c);
        } else if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
        } else if (c == '\n') {
            fputs("\\n", f);
        } else if (c == '\t') {
            fputs("\\t", f);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, style == STYLE_C ? "\\x%02x" : "\\u%04x", c);
        } else if (n == 0) {
            if (style != STYLE_C)
                fputs("\\ufffd", f);
            else
                fprintf(f, "\\x%02x", c);
        } else {
            fwrite(p + i, 1, n, f);
        }
        i += n ? n : 1;
    }
    if (style != STYLE_MARKUP)
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

void et_print_markup(FILE *f, const char *s, size_t len)
{
    print_escaped(f, s, len, STYLE_MARKUP);
}

/* ---- times ------------------------------------------------------------------ */

const char *et_format_seconds(char buf[ET_SECONDS_LEN], int64_t ns, unsigned digits, bool sign)
{
    static const uint64_t scale[] = {1000000000u, 100000000u, 10000000u, 1000000u, 100000u,
                                     10000u,      1000u,      100u,      10u,      1u};
    if (digits < 1)
        digits = 1;
    if (digits > 9)
        digits = 9;
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns; /* no -INT64_MIN */
    const char *prefix = ns < 0 ? "-" : sign ? "+" : "";
    snprintf(buf, ET_SECONDS_LEN, "%s%" PRIu64 ".%0*" PRIu64, prefix, mag / 1000000000u, (int)digits,
             mag % 1000000000u / scale[digits]);
    return buf;
}

const char *et_format_when(char buf[ET_SECONDS_LEN], uint64_t anchor_ns, uint64_t ts_ns)
{
    return et_format_seconds(buf, (int64_t)(ts_ns - anchor_ns), 6, true);
}

const char *et_format_duration(char buf[ET_SECONDS_LEN], uint64_t ns)
{
    if (ns >= 10000000000ull)
        snprintf(buf, ET_SECONDS_LEN, "%" PRIu64 " s", ns / 1000000000u);
    else if (ns >= 1000000000u)
        snprintf(buf, ET_SECONDS_LEN, "%" PRIu64 ".%" PRIu64 " s", ns / 1000000000u, ns % 1000000000u / 100000000u);
    else if (ns >= 1000000u)
        snprintf(buf, ET_SECONDS_LEN, "%" PRIu64 " ms", ns / 1000000u);
    else
        snprintf(buf, ET_SECONDS_LEN, "%" PRIu64 " us", ns / 1000u);
    return buf;
}

/* ---- JSON ------------------------------------------------------------------- */

void et_json_init(struct et_json *j, FILE *f)
{
    *j = (struct et_json){.f = f};
}

/* The separator before a value (or a key) at the current level. */
static void json_before_value(struct et_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth && j->depth <= ET_JSON_MAX_DEPTH) {
        if (j->nonempty[j->depth - 1])
            fputc(',', j->f);
        j->nonempty[j->depth - 1] = true;
    }
}

static void json_open(struct et_json *j, char c)
{
    json_before_value(j);
    fputc(c, j->f);
    if (j->depth < ET_JSON_MAX_DEPTH) {
        j->nonempty[j->depth] = false;
        j->open_kind[j->depth] = c;
    }
    j->depth++;
}

void et_json_object(struct et_json *j)
{
    json_open(j, '{');
}

void et_json_array(struct et_json *j)
{
    json_open(j, '[');
}

void et_json_end(struct et_json *j)
{
    if (!j->depth)
        return;
    j->depth--;
    fputc(j->depth < ET_JSON_MAX_DEPTH && j->open_kind[j->depth] == '[' ? ']' : '}', j->f);
}

void et_json_key(struct et_json *j, const char *key)
{
    /* Keys are the analyzer's own ASCII names: nothing to escape. */
    json_before_value(j);
    fputc('"', j->f);
    fputs(key, j->f);
    fputs("\":", j->f);
    j->after_key = true;
}

void et_json_int(struct et_json *j, int64_t v)
{
    json_before_value(j);
    fprintf(j->f, "%" PRId64, v);
}

void et_json_uint(struct et_json *j, uint64_t v)
{
    json_before_value(j);
    fprintf(j->f, "%" PRIu64, v);
}

void et_json_bool(struct et_json *j, bool v)
{
    json_before_value(j);
    fputs(v ? "true" : "false", j->f);
}

void et_json_null(struct et_json *j)
{
    json_before_value(j);
    fputs("null", j->f);
}

void et_json_str(struct et_json *j, const char *s, size_t len)
{
    json_before_value(j);
    print_escaped(j->f, s, len, j->in_script ? STYLE_SCRIPT : STYLE_JSON);
}

void et_json_cstr(struct et_json *j, const char *s)
{
    if (!s)
        et_json_null(j);
    else
        et_json_str(j, s, strlen(s));
}

void et_json_seconds(struct et_json *j, int64_t ns, unsigned digits)
{
    char buf[ET_SECONDS_LEN];
    json_before_value(j);
    fputs(et_format_seconds(buf, ns, digits, false), j->f);
}

void et_json_micros(struct et_json *j, uint64_t ns)
{
    json_before_value(j);
    fprintf(j->f, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}
