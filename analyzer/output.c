#define _GNU_SOURCE /* the unlocked stdio writes */
#include "output.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
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

static void markup_byte(struct et_buf *b, unsigned char c)
{
    switch (c) {
    case '&':
        et_buf_str(b, "&amp;");
        break;
    case '<':
        et_buf_str(b, "&lt;");
        break;
    case '>':
        et_buf_str(b, "&gt;");
        break;
    case '"':
        et_buf_str(b, "&quot;");
        break;
    case '\'':
        et_buf_str(b, "&#39;");
        break;
    default: /* a control byte: markup cannot hold most of them */
        et_buf_str(b, "\xef\xbf\xbd");
    }
}

static void escape_hex(struct et_buf *b, const char *prefix, unsigned c, unsigned digits)
{
    static const char hex[] = "0123456789abcdef";
    et_buf_str(b, prefix);
    char d[4];
    for (unsigned i = 0; i < digits; i++)
        d[i] = hex[(c >> (4 * (digits - 1 - i))) & 0xf];
    et_buf_mem(b, d, digits);
}

/* Quotes s: valid UTF-8 passes through; control bytes are escaped, and
 * invalid bytes become \xNN (C style) or U+FFFD (JSON and markup, which
 * must be UTF-8). */
static void escape_into(struct et_buf *b, const char *s, size_t len, enum style style)
{
    const unsigned char *p = (const unsigned char *)s;
    if (style != STYLE_MARKUP)
        et_buf_char(b, '"');
    for (size_t i = 0; i < len;) {
        /* Printable ASCII, the common case, goes in at once. */
        size_t plain = i;
        while (plain < len && plain_byte(p[plain], style))
            plain++;
        if (plain > i) {
            et_buf_mem(b, p + i, plain - i);
            i = plain;
            continue;
        }
        unsigned char c = p[i];
        size_t n = utf8_sequence(p + i, len - i);
        if (style == STYLE_MARKUP && (c < 0x80 || n == 0)) {
            markup_byte(b, n == 0 ? 0 : c);
        } else if (c == '<' || c == '>' || c == '&') {
            escape_hex(b, "\\u", c, 4);
        } else if (c == '"' || c == '\\') {
            et_buf_char(b, '\\');
            et_buf_char(b, (char)c);
        } else if (c == '\n') {
            et_buf_str(b, "\\n");
        } else if (c == '\t') {
            et_buf_str(b, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            if (style == STYLE_C)
                escape_hex(b, "\\x", c, 2);
            else
                escape_hex(b, "\\u", c, 4);
        } else if (n == 0) {
            if (style != STYLE_C)
                et_buf_str(b, "\\ufffd");
            else
                escape_hex(b, "\\x", c, 2);
        } else {
            et_buf_mem(b, p + i, n);
        }
        i += n ? n : 1;
    }
    if (style != STYLE_MARKUP)
        et_buf_char(b, '"');
}

static void print_escaped(FILE *f, const char *s, size_t len, enum style style)
{
    static _Thread_local struct et_buf scratch;
    scratch.len = 0;
    escape_into(&scratch, s, len, style);
    et_buf_write(&scratch, f);
}

void et_buf_quoted(struct et_buf *b, const char *s, size_t len)
{
    escape_into(b, s, len, STYLE_C);
}

/* ---- text in memory ------------------------------------------------------- */

void et_buf_grow(struct et_buf *b, size_t more)
{
    if (b->failed)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more) {
        if (cap > SIZE_MAX / 2) {
            b->failed = true;
            return;
        }
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = true;
        return;
    }
    b->p = p;
    b->cap = cap;
}

size_t et_decimal(char *dst, uint64_t v)
{
    char d[ET_DECIMAL_MAX];
    size_t n = 0;
    do {
        d[sizeof(d) - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(dst, d + sizeof(d) - n, n);
    return n;
}

void et_buf_u64(struct et_buf *b, uint64_t v)
{
    char d[ET_DECIMAL_MAX];
    et_buf_mem(b, d, et_decimal(d, v));
}

void et_buf_i64(struct et_buf *b, int64_t v)
{
    if (v < 0) {
        et_buf_char(b, '-');
        et_buf_u64(b, 0 - (uint64_t)v);
    } else {
        et_buf_u64(b, (uint64_t)v);
    }
}

void et_buf_hex(struct et_buf *b, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    char d[16];
    unsigned n = 0;
    do {
        d[sizeof(d) - ++n] = hex[v & 0xf];
        v >>= 4;
    } while (v);
    et_buf_mem(b, d + sizeof(d) - n, n);
}

bool et_buf_write(struct et_buf *b, FILE *f)
{
    if (b->len)
        fwrite_unlocked(b->p, 1, b->len, f);
    b->len = 0;
    bool ok = !b->failed;
    b->failed = false;
    return ok;
}

void et_buf_free(struct et_buf *b)
{
    free(b->p);
    *b = (struct et_buf){0};
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
    /* By hand rather than snprintf: `events` prints one per line. */
    static const uint64_t scale[] = {1000000000u, 100000000u, 10000000u, 1000000u, 100000u,
                                     10000u,      1000u,      100u,      10u,      1u};
    if (digits < 1)
        digits = 1;
    if (digits > 9)
        digits = 9;
    uint64_t mag = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns; /* no -INT64_MIN */
    char *p = buf;
    if (ns < 0)
        *p++ = '-';
    else if (sign)
        *p++ = '+';
    p += et_decimal(p, mag / 1000000000u);
    *p++ = '.';
    uint64_t frac = mag % 1000000000u / scale[digits];
    for (unsigned i = digits; i-- > 0;) {
        p[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    p[digits] = 0;
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
            fputc_unlocked(',', j->f);
        j->nonempty[j->depth - 1] = true;
    }
}

static void json_open(struct et_json *j, char c)
{
    json_before_value(j);
    fputc_unlocked(c, j->f);
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
    fputc_unlocked(j->depth < ET_JSON_MAX_DEPTH && j->open_kind[j->depth] == '[' ? ']' : '}', j->f);
}

void et_json_key(struct et_json *j, const char *key)
{
    /* Keys are the analyzer's own ASCII names: nothing to escape. */
    json_before_value(j);
    size_t len = strlen(key);
    char quoted[64];
    if (len + 3 <= sizeof(quoted)) {
        quoted[0] = '"';
        memcpy(quoted + 1, key, len);
        memcpy(quoted + 1 + len, "\":", 2);
        fwrite_unlocked(quoted, 1, len + 3, j->f);
    } else {
        fputc_unlocked('"', j->f);
        fputs_unlocked(key, j->f);
        fputs_unlocked("\":", j->f);
    }
    j->after_key = true;
}

/* Numbers without stdio's formatting: `events --json` writes millions.
 * The writes here are stdio's unlocked ones: the analyzer prints from one
 * thread, and taking the stream's lock was half of `events --json`. */
static void json_number(struct et_json *j, bool negative, uint64_t mag)
{
    char d[1 + ET_DECIMAL_MAX];
    d[0] = '-';
    size_t n = et_decimal(d + 1, mag);
    fwrite_unlocked(negative ? d : d + 1, 1, negative ? n + 1 : n, j->f);
}

void et_json_int(struct et_json *j, int64_t v)
{
    json_before_value(j);
    json_number(j, v < 0, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

void et_json_uint(struct et_json *j, uint64_t v)
{
    json_before_value(j);
    json_number(j, false, v);
}

void et_json_bool(struct et_json *j, bool v)
{
    json_before_value(j);
    fputs_unlocked(v ? "true" : "false", j->f);
}

void et_json_null(struct et_json *j)
{
    json_before_value(j);
    fputs_unlocked("null", j->f);
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
    fputs_unlocked(et_format_seconds(buf, ns, digits, false), j->f);
}

void et_json_micros(struct et_json *j, uint64_t ns)
{
    json_before_value(j);
    fprintf(j->f, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}
