/*
 * How the analyzer writes what it read: strings from a trace (quoted for
 * people, or JSON), times and durations, and JSON documents.  Every printer
 * goes through these, so one time reads the same everywhere.
 */
#ifndef EXECTRACE_OUTPUT_H
#define EXECTRACE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Text built in memory, for output written line after line (`events`):
 * appending costs what the bytes cost, not what stdio's formatting does.
 * Start from {0}.  A buffer that could not grow stops taking text and says
 * so when it is written. */
struct et_buf {
    char *p;
    size_t len, cap;
    bool failed;
};
void et_buf_grow(struct et_buf *b, size_t more);
static inline void et_buf_mem(struct et_buf *b, const void *s, size_t n)
{
    if (b->cap - b->len < n) {
        et_buf_grow(b, n);
        if (b->failed)
            return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}
static inline void et_buf_str(struct et_buf *b, const char *s)
{
    et_buf_mem(b, s, strlen(s));
}
static inline void et_buf_char(struct et_buf *b, char c)
{
    et_buf_mem(b, &c, 1);
}
/* v in decimal at dst, without a NUL; returns its length, at most
 * ET_DECIMAL_MAX. */
#define ET_DECIMAL_MAX 20
size_t et_decimal(char *dst, uint64_t v);
void et_buf_u64(struct et_buf *b, uint64_t v);
void et_buf_i64(struct et_buf *b, int64_t v);
void et_buf_hex(struct et_buf *b, uint64_t v); /* lower case, no 0x */
/* et_print_quoted's text. */
void et_buf_quoted(struct et_buf *b, const char *s, size_t len);
/* Writes the text out and empties the buffer: false when text was lost
 * because the buffer could not grow. */
bool et_buf_write(struct et_buf *b, FILE *f);
void et_buf_free(struct et_buf *b);

/* "..." with C escapes for control bytes and invalid UTF-8. */
void et_print_quoted(FILE *f, const char *s, size_t len);
/* A JSON string; invalid UTF-8 becomes U+FFFD. */
void et_print_json_string(FILE *f, const char *s, size_t len);
/* Text for HTML or XML, element content or attribute value alike: & < > " '
 * as entities, control bytes and invalid UTF-8 as U+FFFD. */
void et_print_markup(FILE *f, const char *s, size_t len);

/* Seconds, truncated toward zero to `digits` decimals (1-9): "+1.280749",
 * "-0.000012"; the sign only when `sign` or negative.  Integer arithmetic:
 * the same nanoseconds always print the same digits. */
#define ET_SECONDS_LEN 32
const char *et_format_seconds(char buf[ET_SECONDS_LEN], int64_t ns, unsigned digits, bool sign);
/* A time of the trace as the text outputs show it: seconds since the trace
 * began, to the microsecond, "+1.280749". */
const char *et_format_when(char buf[ET_SECONDS_LEN], uint64_t anchor_ns, uint64_t ts_ns);
/* A length of time for people: "12 s", "2.0 s", "350 ms", "12 us". */
const char *et_format_duration(char buf[ET_SECONDS_LEN], uint64_t ns);

#define ET_WHEN(anchor, ts) et_format_when((char[ET_SECONDS_LEN]){0}, (anchor), (ts))
#define ET_DURATION(ns) et_format_duration((char[ET_SECONDS_LEN]){0}, (ns))

/* A JSON writer that places the commas: begin/end nest objects and arrays,
 * a key is followed by exactly one value.  Write errors are the stream's
 * (ferror) for the caller to check once at the end. */
#define ET_JSON_MAX_DEPTH 16
struct et_json {
    FILE *f;
    unsigned depth;
    bool after_key;
    bool in_script; /* inside an HTML <script>: < > & written as \u escapes */
    bool nonempty[ET_JSON_MAX_DEPTH];
    char open_kind[ET_JSON_MAX_DEPTH];
};

void et_json_init(struct et_json *j, FILE *f);
void et_json_object(struct et_json *j);
void et_json_array(struct et_json *j);
void et_json_end(struct et_json *j); /* of the innermost object or array */
void et_json_key(struct et_json *j, const char *key);
void et_json_int(struct et_json *j, int64_t v);
void et_json_uint(struct et_json *j, uint64_t v);
void et_json_bool(struct et_json *j, bool v);
void et_json_null(struct et_json *j);
void et_json_str(struct et_json *j, const char *s, size_t len);
void et_json_cstr(struct et_json *j, const char *s); /* NULL writes null */
/* A number of seconds, as et_format_seconds writes it (no sign when positive). */
void et_json_seconds(struct et_json *j, int64_t ns, unsigned digits);
/* Nanoseconds as microseconds, exactly: 1234567 -> 1234.567. */
void et_json_micros(struct et_json *j, uint64_t ns);

#endif
