/*
 * libFuzzer harness: a trace file is untrusted input, and everything a user
 * can run over one must neither crash, hang, leak nor read out of bounds.
 *
 * Each input is one trace file.  It is copied into a buffer of exactly its
 * size (so that AddressSanitizer sees the first byte past it) and read the
 * way every command reads it: the reader (scan, runs, the time-ordered
 * stream), the event list and its text lines, the model and its findings,
 * and then the commands themselves, `events` (plain, --json, --stacks),
 * `report`, `report --json` and `tree`, with their output captured and checked:
 * text with no control bytes but the newline, JSON that parses.  The
 * commands open their file with et_trace_open; the fuzz build links with
 * -Wl,--wrap=et_trace_open, and the wrapper below hands them the fuzzer's
 * buffer instead of a mapping of a file.
 *
 * A custom mutator knows the file layout: it keeps a valid header and
 * mutates the chunk area, re-commits the records it touched (a record whose
 * commit word does not match is skipped by the reader, so blind mutations
 * of a record's type or size only ever test the skipping), moves records
 * between runs and processes, and builds small traces from scratch.
 *
 * `exectrace snapshot FILE` and `run` append to a trace: the writer is
 * attached to a writable copy of each input and appends records, which the
 * reader then reads back.
 *
 * Oracles besides the sanitizers (each one an abort with a message):
 * the stream, the event list and the model see exactly the records the scan
 * sees; every record lies inside the buffer; a line of `events` is one line;
 * printed text has no control bytes; JSON output parses and is UTF-8.
 * EXECTRACE_FUZZ_NO_TEXT_ORACLE=1 turns off the control-byte check of
 * text output (to go on fuzzing while such a bug is being fixed).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "cli.h"
#include "decode.h"
#include "emit.h"
#include "events.h"
#include "export.h"
#include "timeline_html.h"
#include "findings.h"
#include "model.h"
#include "rules.h"
#include "names.h"
#include "reader.h"
#include "report.h"
#include "snapshot.h"
#include "stream.h"
#include "writer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2, uint8_t *out,
                                 size_t max_out_size, unsigned int seed);
int __real_et_trace_open(struct et_trace *t, const char *path);
int __wrap_et_trace_open(struct et_trace *t, const char *path);

/* The path the commands are given: the wrapper serves it from memory. */
#define FUZZ_PATH "fuzz.trace"

static const uint8_t *cur_data;
static size_t cur_len;
static FILE *real_stderr;
static FILE *discard;
static bool text_oracle = true;
static bool debug; /* EXECTRACE_FUZZ_DEBUG=1: each command's status and output on stderr */
static bool plain;  /* EXECTRACE_FUZZ_PLAIN=1: libFuzzer's own mutations only (for -minimize_crash) */

/* ---- small helpers ---------------------------------------------------------------- */

__attribute__((format(printf, 1, 2), noreturn)) static void fail(const char *fmt, ...)
{
    FILE *f = real_stderr ? real_stderr : stderr;
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz_trace: oracle failed: ", f);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
    fflush(f);
    abort();
}

static ssize_t discard_write(void *cookie, const char *buf, size_t n)
{
    (void)cookie;
    (void)buf;
    return (ssize_t)n;
}

int __wrap_et_trace_open(struct et_trace *t, const char *path)
{
    if (cur_data && strcmp(path, FUZZ_PATH) == 0)
        return et_trace_from_buffer(t, cur_data, cur_len);
    return __real_et_trace_open(t, path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    real_stderr = stderr;
    discard = fopencookie(NULL, "w", (cookie_io_functions_t){.write = discard_write});
    if (!discard)
        abort();
    const char *e = getenv("EXECTRACE_FUZZ_NO_TEXT_ORACLE");
    text_oracle = !(e && *e && strcmp(e, "0") != 0);
    e = getenv("EXECTRACE_FUZZ_DEBUG");
    debug = e && *e && strcmp(e, "0") != 0;
    e = getenv("EXECTRACE_FUZZ_PLAIN");
    plain = e && *e && strcmp(e, "0") != 0;
    return 0;
}

/* ---- output checks ---------------------------------------------------------------- */

static void check_text(const char *what, const char *s, size_t n, bool allow_esc)
{
    if (!text_oracle)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n' && !(allow_esc && c == 0x1b)) || c == 0x7f)
            fail("%s: control byte 0x%02x at output offset %zu: \"%.*s\"", what, c, i,
                 (int)(n - i < 120 ? n - i : 120), s + (i > 40 ? i - 40 : 0));
    }
}

/* A minimal JSON parser (RFC 8259), for checking only. */
struct js {
    const unsigned char *p, *end;
    unsigned depth;
};

static void js_ws(struct js *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r' || *j->p == '\n'))
        j->p++;
}

static bool js_lit(struct js *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
        return false;
    j->p += n;
    return true;
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of the valid UTF-8 sequence at p, 0 if none. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

static bool js_string(struct js *j)
{
    if (j->p >= j->end || *j->p != '"')
        return false;
    j->p++;
    while (j->p < j->end) {
        unsigned char c = *j->p;
        if (c == '"') {
            j->p++;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c == '\\') {
            if (++j->p >= j->end)
                return false;
            c = *j->p;
            if (c == 'u') {
                if (j->end - j->p < 5)
                    return false;
                for (int i = 1; i <= 4; i++)
                    if (!is_hex(j->p[i]))
                        return false;
                j->p += 5;
            } else if (c && strchr("\"\\/bfnrt", c)) {
                j->p++;
            } else {
                return false;
            }
            continue;
        }
        size_t n = utf8_len(j->p, j->end);
        if (!n)
            return false;
        j->p += n;
    }
    return false;
}

static bool js_digits(struct js *j)
{
    const unsigned char *s = j->p;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        j->p++;
    return j->p > s;
}

static bool js_number(struct js *j)
{
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p < j->end && *j->p == '0')
        j->p++;
    else if (!js_digits(j))
        return false;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!js_digits(j))
            return false;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (!js_digits(j))
            return false;
    }
    return true;
}

static bool js_value(struct js *j)
{
    js_ws(j);
    if (j->p >= j->end)
        return false;
    switch (*j->p) {
    case '{':
    case '[': {
        char close = *j->p == '{' ? '}' : ']';
        bool object = close == '}';
        if (++j->depth > 64)
            return false;
        j->p++;
        js_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            j->depth--;
            return true;
        }
        for (;;) {
            if (object) {
                js_ws(j);
                if (!js_string(j))
                    return false;
                js_ws(j);
                if (j->p >= j->end || *j->p != ':')
                    return false;
                j->p++;
            }
            if (!js_value(j))
                return false;
            js_ws(j);
            if (j->p >= j->end)
                return false;
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p != close)
                return false;
            j->p++;
            j->depth--;
            return true;
        }
    }
    case '"':
        return js_string(j);
    case 't':
        return js_lit(j, "true");
    case 'f':
        return js_lit(j, "false");
    case 'n':
        return js_lit(j, "null");
    default:
        return js_number(j);
    }
}

/* One JSON document, nothing after it; fails with where it stopped. */
static void check_json(const char *what, const char *s, size_t n)
{
    struct js j = {(const unsigned char *)s, (const unsigned char *)s + n, 0};
    bool ok = js_value(&j);
    if (ok) {
        js_ws(&j);
        ok = j.p == j.end;
    }
    if (!ok) {
        size_t at = (size_t)((const char *)j.p - s);
        fail("%s: invalid JSON at offset %zu of %zu: ...%.*s<HERE>%.*s...", what, at, n, (int)(at < 80 ? at : 80),
             s + (at < 80 ? 0 : at - 80), (int)(n - at < 80 ? n - at : 80), s + at);
    }
}

static void check_json_lines(const char *what, const char *s, size_t n)
{
    while (n) {
        const char *nl = memchr(s, '\n', n);
        size_t len = nl ? (size_t)(nl - s) : n;
        if (!nl)
            fail("%s: last line has no newline", what);
        if (len == 0 || s[0] != '{')
            fail("%s: a line that is not a JSON object: \"%.*s\"", what, (int)(len < 80 ? len : 80), s);
        check_json(what, s, len);
        s += len + 1;
        n -= len + 1;
    }
}

/* ---- running the commands --------------------------------------------------------- */

typedef int (*command_fn)(int argc, char **argv);

/* getopt wants char *: the strings are never written. */
#define A(s) ((char *)(s))

/* Runs a command on the fuzz trace; its stdout in *out (free it), stderr
 * thrown away. */
static int run_command(command_fn cmd, char **argv, char **out, size_t *len)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    *out = NULL;
    *len = 0;
    FILE *mem = open_memstream(out, len);
    if (!mem)
        abort();
    FILE *saved_out = stdout, *saved_err = stderr;
    stdout = mem;
    stderr = discard;
    int status = cmd(argc, argv);
    fflush(discard);
    stdout = saved_out;
    stderr = saved_err;
    fclose(mem);
    if (debug)
        fprintf(real_stderr, "---- exectrace %s%s%s: status %d, %zu bytes of output\n%s", argv[0],
                argc > 2 ? " " : "", argc > 2 ? argv[1] : "", status, *len, *out);
    return status;
}

static void run_commands(bool readable)
{
    char *out;
    size_t len;

    char *events_text[] = {A("events"), A(FUZZ_PATH), NULL};
    run_command(et_cmd_events, events_text, &out, &len);
    check_text("events", out, len, false);
    if (!readable && len)
        fail("events printed %zu bytes for an unreadable trace", len);
    free(out);

    char *events_json[] = {A("events"), A("--json"), A(FUZZ_PATH), NULL};
    run_command(et_cmd_events, events_json, &out, &len);
    check_json_lines("events --json", out, len);
    free(out);

    /* Module records name files: only regular ones may be opened. */
    char *events_stacks[] = {A("events"), A("--stacks"), A(FUZZ_PATH), NULL};
    run_command(et_cmd_events, events_stacks, &out, &len);
    check_text("events --stacks", out, len, false);
    free(out);

    char *events_stacks_json[] = {A("events"), A("--stacks"), A("--json"), A(FUZZ_PATH), NULL};
    run_command(et_cmd_events, events_stacks_json, &out, &len);
    check_json_lines("events --stacks --json", out, len);
    free(out);

    if (!readable)
        return; /* the others open it the same way and stop there */

    char *report_text[] = {A("report"), A("--color"), A("always"), A(FUZZ_PATH), NULL};
    run_command(et_cmd_report, report_text, &out, &len);
    check_text("report", out, len, true);
    free(out);

    /* Every threshold at zero: every rule that can fire does. */
    char *report_json[] = {A("report"),       A("--json"), A("--zombie-ms"), A("0"),        A("--held-pipe-ms"),
                           A("0"),            A("--orphan-ms"), A("0"),   A(FUZZ_PATH), NULL};
    run_command(et_cmd_report, report_json, &out, &len);
    check_json("report --json", out, len);
    free(out);

    char *tree[] = {A("tree"), A(FUZZ_PATH), NULL};
    run_command(et_cmd_tree, tree, &out, &len);
    check_text("tree", out, len, false);
    free(out);

    /* The timeline, both ways (a terminal on stdout is refused: nothing to
     * check then). */
    char *chrome[] = {A("export"), A("--format"), A("chrome-json"), A(FUZZ_PATH), NULL};
    if (run_command(et_cmd_export, chrome, &out, &len) != 2 || len)
        check_json("export --format chrome-json", out, len);
    free(out);
    char *perfetto[] = {A("export"), A("--format"), A("perfetto"), A(FUZZ_PATH), NULL};
    run_command(et_cmd_export, perfetto, &out, &len);
    free(out);

    /* The HTML page: whole, no control bytes, and its data block is JSON. */
    char *timeline[] = {A("timeline"), A("-o"), A("-"), A(FUZZ_PATH), NULL};
    if (run_command(et_cmd_timeline, timeline, &out, &len) != 2 || len) {
        check_text("timeline", out, len, false);
        static const char end[] = "</html>\n", open_data[] = "id=\"data\">";
        if (len < sizeof(end) - 1 || memcmp(out + len - (sizeof(end) - 1), end, sizeof(end) - 1) != 0)
            fail("timeline: the page does not end with </html>");
        const char *data = memmem(out, len, open_data, sizeof(open_data) - 1);
        const char *data_end = data ? memmem(data, len - (size_t)(data - out), "</script>", 9) : NULL;
        if (!data || !data_end)
            fail("timeline: no data block");
        data += sizeof(open_data) - 1;
        check_json("timeline data", data, (size_t)(data_end - data));
    }
    free(out);
}

/* ---- the library calls ------------------------------------------------------------- */

struct scan_state {
    const uint8_t *base;
    size_t len;
    uint64_t seen;
};

static void check_record(const uint8_t *base, size_t len, const struct et_record *r, const char *who)
{
    const uint8_t *p = (const uint8_t *)r;
    if (p < base || p + sizeof(*r) > base + len || r->size < sizeof(*r) || r->size > (size_t)(base + len - p))
        fail("%s: record at %td (size %u) is not inside the %zu-byte trace", who, p - base, r->size, len);
    if ((uintptr_t)p % 8)
        fail("%s: record at %td is not 8-byte aligned", who, p - base);
    if (r->size < sizeof(*r) + et_body_size(r->type))
        fail("%s: record at %td of type %u is %u bytes, shorter than its body", who, p - base, r->type, r->size);
}

static int on_record(const struct et_record *r, uint64_t offset, void *ctx)
{
    struct scan_state *s = ctx;
    if ((const uint8_t *)r != s->base + offset)
        fail("scan: offset %" PRIu64 " does not match the record", offset);
    check_record(s->base, s->len, r, "scan");
    s->seen++;
    return 0;
}

/* One event line, as `events` and the report's evidence print it. */
static void print_line(const struct et_trace *t, const struct et_record *r, const struct et_record *outcome,
                       const struct et_record *wait_return)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        abort();
    struct et_decode_links links = {.exec_outcome_known = r->type == ET_REC_EXEC, .exec_outcome = outcome,
                                    .wait_return = wait_return};
    struct et_decoded d;
    et_decode(r, &links, &d);
    et_emit_text_line(mem, t->hdr->anchor_monotonic_ns, &d, NULL);
    fclose(mem);
    if (len == 0 || buf[len - 1] != '\n' || memchr(buf, '\n', len - 1))
        fail("event line: not one line: \"%.*s\"", (int)(len < 200 ? len : 200), buf);
    check_text("event line", buf, len, false);
    free(buf);
    /* And as JSON: one object, valid by the same checks as the commands'. */
    buf = NULL;
    len = 0;
    mem = open_memstream(&buf, &len);
    if (!mem)
        abort();
    struct et_json j;
    et_json_init(&j, mem);
    et_decode(r, NULL, &d);
    et_emit_json_event(&j, t->hdr->anchor_monotonic_ns, &d, NULL);
    fclose(mem);
    if (len == 0 || buf[0] != '{' || buf[len - 1] != '}' || memchr(buf, '\n', len))
        fail("event JSON: not one object: \"%.*s\"", (int)(len < 200 ? len : 200), buf);
    check_text("event JSON", buf, len, true);
    check_json("event JSON", buf, len);
    free(buf);
}

static uint64_t stream_count(struct et_trace *t, size_t window)
{
    struct et_stream *s;
    if (et_stream_open(&s, t, window) < 0)
        return UINT64_MAX;
    uint64_t n = 0, offset;
    const struct et_record *r;
    while ((r = et_stream_next(s, &offset)) != NULL) {
        if ((const uint8_t *)r != t->data + offset)
            fail("stream: offset %" PRIu64 " does not match the record", offset);
        check_record(t->data, t->len, r, "stream");
        n++;
    }
    et_stream_close(s);
    return n;
}

static void exercise(const uint8_t *buf, size_t size)
{
    struct et_trace t;
    int ret = et_trace_from_buffer(&t, buf, size);
    if (ret < 0 && (!t.unreadable || t.hdr || !t.diag[0]))
        fail("an unreadable trace without its diagnosis");
    if (ret == 0 && !t.hdr)
        fail("a readable trace without a header");

    struct scan_state s = {buf, size, 0};
    et_trace_scan(&t, on_record, &s);
    if (s.seen != t.records)
        fail("scan: %" PRIu64 " records seen, %" PRIu64 " counted", s.seen, t.records);
    if (t.problems && !t.diag[0])
        fail("%" PRIu64 " problems and no diagnosis", t.problems);
    uint64_t records = t.records;

    /* The stream sees what the scan saw, whatever its window. */
    static const size_t windows[] = {1, 3, ET_STREAM_DEFAULT_WINDOW};
    for (size_t k = 0; k < sizeof(windows) / sizeof(windows[0]); k++) {
        uint64_t n = stream_count(&t, windows[k]);
        if (n != UINT64_MAX && n != records)
            fail("stream (window %zu): %" PRIu64 " records, the scan %" PRIu64, windows[k], n, records);
    }

    /* `events`: the list, and every line as the command prints it. */
    struct et_event_list list;
    if (et_events_load(&t, &list) == 0) {
        if (list.n != records)
            fail("events: %zu events, the scan %" PRIu64 " records", list.n, records);
        for (size_t i = 0; i < list.n; i++) {
            const struct et_event *e = &list.v[i];
            if (e->outcome >= (int64_t)list.n)
                fail("events: outcome %" PRId64 " of %zu", e->outcome, list.n);
            const struct et_record *outcome = e->outcome >= 0 ? list.v[e->outcome].r : NULL;
            const struct et_record *wait_return = NULL;
            if (e->r->type == ET_REC_WAIT_ENTER && i + 1 < list.n &&
                list.v[i + 1].r->type == ET_REC_WAIT_RETURN)
                wait_return = list.v[i + 1].r;
            print_line(&t, e->r, outcome, wait_return);
        }
        et_events_count_processes(&t, &list);
        et_events_free(&list);
    }

    /* `report` and `tree`: the model and its findings. */
    if (t.hdr) {
        /* Every threshold at zero (`report` has them at their defaults). */
        struct et_thresholds th;
        memset(&th, 0, sizeof(th));
        struct et_analysis a;
        if (et_analyze(&a, &t, &th) == 0) {
            const struct et_model *mp = &a.model;
            /* A wrapped ring's records before its complete history only
             * name processes. */
            if (mp->records + mp->records_before_history != records)
                fail("model: fed %" PRIu64 " records and noted %" PRIu64 ", the scan %" PRIu64, mp->records,
                     mp->records_before_history, records);
            char label[256];
            for (size_t i = 0; i < mp->nprocs; i++) {
                et_proc_label(mp, (int32_t)i, label, sizeof(label));
                check_text("et_proc_label", label, strlen(label), false);
                et_proc_is_descendant(mp, (int32_t)i, mp->launcher);
            }
            for (size_t i = 0; i < a.findings.n; i++) {
                const struct et_finding *f = &a.findings.v[i];
                if (f->kind >= ET_FK_COUNT || f->severity > ET_SEV_ERROR || !f->message)
                    fail("finding %zu: kind %u severity %u", i, f->kind, f->severity);
                /* One paragraph of text, wrapped by the report: not even a newline. */
                if (text_oracle && strpbrk(f->message, "\n"))
                    fail("finding %s: a newline in its message", et_finding_kind_name(f->kind));
                check_text("finding message", f->message, strlen(f->message), false);
                if (f->subject != ET_NO_PROC && (f->nprocs == 0 || f->procs[0] != f->subject))
                    fail("finding %s: its subject is not its first process", et_finding_kind_name(f->kind));
                for (uint32_t k = 0; k < f->nprocs; k++)
                    if (f->procs[k] < 0 || (size_t)f->procs[k] >= mp->nprocs)
                        fail("finding %s: process %d of %zu", et_finding_kind_name(f->kind), f->procs[k], mp->nprocs);
                for (uint32_t k = 0; k < f->nevidence; k++) {
                    check_record(t.data, t.len, f->evidence[k], "evidence");
                    print_line(&t, f->evidence[k], NULL, NULL);
                }
            }
        }
        et_analysis_free(&a);
    }
    et_trace_close(&t);

    /* The commands, on the same bytes. */
    cur_data = buf;
    cur_len = size;
    run_commands(ret == 0);
    cur_data = NULL;
    cur_len = 0;
}

/* The writer on a copy: attaching checks the header, and what it appends
 * must land inside the file whatever the header claims.  A trace cut down
 * to its claimed chunks is given back the zeros it was cut from, so that
 * there is room to append. */
static void exercise_writer(const uint8_t *data, size_t size)
{
    size_t full = size;
    if (size >= ET_HEADER_SIZE) {
        uint64_t file_size;
        memcpy(&file_size, data + offsetof(struct et_file_header, file_size), sizeof(file_size));
        if (file_size > size && file_size <= size + 128 * 1024)
            full = (size_t)file_size;
    }
    uint8_t *copy = calloc(1, full ? full : 1);
    if (!copy)
        return;
    memcpy(copy, data, size);
    size = full;
    struct et_writer w;
    if (et_writer_attach(&w, copy, size, 4242) == 0) {
        struct et_identity id = {4242, 4242, 99};
        char *argv[] = {A("sh"), A("-c"), A("sleep 1 | cat"), NULL};
        struct et_pipe_end ends[] = {{3, ET_PIPE_READ, 77}, {4, ET_PIPE_WRITE | ET_PIPE_CLOEXEC, 77}};
        struct et_start_info info = {.origin = ET_ORIGIN_EXEC, .ppid = 1, .pgid = 4242, .sid = 4242, .exe = "/bin/sh",
                                     .argv = argv, .pipes = ends, .pipe_count = 2};
        et_write_start(&w, &id, 5, 0, &info);
        struct et_live_thread threads[] = {{4242, 0, {3, 0, 1}, 'S', "pipe_read"}, {4243, 61, {0, 0, 0}, 'S', ""}};
        struct et_live_proc proc = {.pid = 4242, .start_time = 99, .ppid = 1, .pgid = 4242, .sid = 4242, .state = 'S',
                                    .comm = "sh", .threads = threads, .nthreads = 2, .pipes = ends, .npipes = 2};
        struct et_live_tree tree = {&proc, 1};
        et_live_write(&w, et_live_next_snapshot_id(&w), ET_SNAP_REQUESTED, 6, &tree);
        struct et_trace t;
        if (et_trace_from_buffer(&t, copy, size) == 0) {
            struct scan_state st = {copy, size, 0};
            et_trace_scan(&t, on_record, &st);
            et_trace_close(&t);
        }
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly the input's size: the first byte past it is poisoned.
     * malloc aligns to 16, as a mapping would to a page. */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    exercise(buf, size);
    free(buf);
    exercise_writer(data, size);
    return 0;
}

/* ---- the structure-aware mutator -------------------------------------------------- */

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static uint32_t below(struct rng *r, uint32_t n)
{
    return n ? (uint32_t)(rnd(r) % n) : 0;
}

static uint16_t rd16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void wr16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, sizeof(v));
}

static void wr32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

static void wr64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, sizeof(v));
}

#define H_CHUNK_COUNT 32
#define H_FILE_SIZE 24
#define H_NEXT_CHUNK 128

static bool has_header(const uint8_t *d, size_t size)
{
    return size >= ET_HEADER_SIZE && memcmp(d, ET_MAGIC, ET_MAGIC_LEN) == 0;
}

#define MAX_RECS 4096
#define MAX_RUNS 512

struct rec_ref {
    uint32_t off, size;
    uint32_t run; /* index in runs[] */
};

struct layout {
    struct rec_ref recs[MAX_RECS];
    size_t nrecs;
    uint32_t runs[MAX_RUNS]; /* offset of each run header */
    uint32_t run_end[MAX_RUNS]; /* end of its chunks, bounded by the input */
    size_t nruns;
};

static struct layout L;

/* The runs and records the way a reader walks them, bounded and lenient:
 * records are followed by their size words. */
static void find_records(const uint8_t *d, size_t size)
{
    L.nrecs = L.nruns = 0;
    for (uint64_t chunk = 0;;) {
        uint64_t off = ET_HEADER_SIZE + chunk * ET_CHUNK_SIZE;
        if (off + sizeof(struct et_run_header) > size || L.nruns == MAX_RUNS)
            break;
        uint32_t tag = rd32(d + off);
        if (!ET_RUN_TAG_VALID(tag)) {
            chunk++;
            continue;
        }
        uint32_t n = ET_RUN_TAG_CHUNKS(tag);
        uint64_t run_end = off + (uint64_t)n * ET_CHUNK_SIZE;
        if (run_end > size)
            run_end = size;
        uint64_t end = off + sizeof(struct et_run_header) + rd32(d + off + 4);
        if (end > run_end)
            end = run_end;
        L.runs[L.nruns] = (uint32_t)off;
        L.run_end[L.nruns] = (uint32_t)run_end;
        for (uint64_t p = off + sizeof(struct et_run_header); p + 8 <= end && L.nrecs < MAX_RECS;) {
            uint32_t sz = rd32(d + p);
            if (sz < 8 || sz % 8 || sz > end - p)
                break;
            if (sz >= sizeof(struct et_record))
                L.recs[L.nrecs++] = (struct rec_ref){(uint32_t)p, sz, (uint32_t)L.nruns};
            p += sz;
        }
        L.nruns++;
        chunk += n;
    }
}

static void recommit(uint8_t *d, uint32_t off)
{
    uint32_t size = rd32(d + off);
    wr32(d + off + 4, et_commit_word(rd16(d + off + 8), size));
}

static void recommit_all(uint8_t *d, size_t size)
{
    find_records(d, size);
    for (size_t i = 0; i < L.nrecs; i++)
        recommit(d, L.recs[i].off);
}

/* Values that mean something in a trace: small pids, signals, errnos, wait
 * statuses, the pids and times of the trace itself. */
static uint32_t interesting32(struct rng *r, const uint8_t *d)
{
    static const uint32_t values[] = {0,      1,          2,          3,          8,          9,
                                      10,     15,         17,         64,         0x7f,       0x80,
                                      0xff,   0x100,      0x8000,     0xffff,     0x10000,    0x7fffffff,
                                      0x80000000u, 0xfffffffeu, 0xffffffffu, 1024, 4096, 16384};
    switch (below(r, 3)) {
    case 0:
        return values[below(r, sizeof(values) / sizeof(values[0]))];
    case 1:
        if (L.nrecs) /* someone's pid */
            return rd32(d + L.recs[below(r, (uint32_t)L.nrecs)].off + offsetof(struct et_record, pid));
        return 1;
    default:
        return (uint32_t)rnd(r);
    }
}

static uint64_t interesting64(struct rng *r, const uint8_t *d)
{
    static const uint64_t values[] = {0, 1, UINT64_MAX, INT64_MAX, (uint64_t)INT64_MIN, 1000000000ull};
    switch (below(r, 4)) {
    case 0:
        return values[below(r, sizeof(values) / sizeof(values[0]))];
    case 1:
        if (L.nrecs) { /* someone's time */
            const uint8_t *rec = d + L.recs[below(r, (uint32_t)L.nrecs)].off;
            return rd64(rec + (below(r, 2) ? offsetof(struct et_record, ts_ns) : offsetof(struct et_record, start_time))) +
                   (uint64_t)(int64_t)(int32_t)(below(r, 2001) - 1000);
        }
        return 0;
    case 2:
        return interesting32(r, d);
    default:
        return rnd(r);
    }
}

/* A record of `type`: header, a body of words drawn from the pool, and for
 * the types with tails a tail that matches its counts.  Returns its size, 0
 * when it does not fit in room. */
static const uint32_t pool_pids[] = {100, 101, 102, 103, 104, 105};

static uint32_t pool_word(struct rng *r)
{
    switch (below(r, 6)) {
    case 0:
        return pool_pids[below(r, 6)];
    case 1:
        return below(r, 6); /* kinds, small fds, idtypes */
    case 2:
        return (uint32_t)-(int32_t)pool_pids[below(r, 6)]; /* a process group */
    case 3: {
        static const uint32_t v[] = {9, 15, 10, 3, 0x9, 0x100, 0x0f00, 0xffffffffu, 1000, 1001, 1002, 4};
        return v[below(r, sizeof(v) / sizeof(v[0]))];
    }
    case 4:
        return 0;
    default:
        return (uint32_t)rnd(r);
    }
}

static uint32_t put_str(uint8_t *p, uint8_t *end, struct rng *r)
{
    static const char *const strs[] = {"sh", "-c", "sleep 1", "/bin/sh", "make", "/usr/bin/python3", "",
                                       "caf\xc3\xa9", "\xff\xfe", "a\nb", "\x1b[31mred", "x y\tz"};
    const char *s = strs[below(r, sizeof(strs) / sizeof(strs[0]))];
    uint16_t n = (uint16_t)strlen(s);
    if ((size_t)(end - p) < 2u + n)
        return 0;
    wr16(p, n);
    memcpy(p + 2, s, n);
    return 2u + n;
}

static uint32_t make_record(uint8_t *p, uint32_t room, uint16_t type, const uint32_t identity_pid, uint64_t ts,
                            struct rng *r)
{
    uint32_t body = et_body_size(type);
    if (type >= ET_REC_TYPE_COUNT || !body)
        body = 8 * below(r, 4);
    uint32_t fixed = (uint32_t)sizeof(struct et_record) + body;
    if (room < fixed + 192)
        return 0;
    memset(p, 0, fixed + 192);
    for (uint32_t k = sizeof(struct et_record); k + 4 <= fixed; k += 4)
        wr32(p + k, pool_word(r));
    uint8_t *tail = p + fixed, *end = p + fixed + 192;
    uint8_t *b = p + sizeof(struct et_record);
    switch (type) {
    case ET_REC_IMAGE_START: {
        uint16_t pipes = (uint16_t)below(r, 3), argv = (uint16_t)below(r, 4);
        wr16(b + offsetof(struct et_image_start, origin), (uint16_t)(1 + below(r, 5)));
        wr16(b + offsetof(struct et_image_start, pipe_count), pipes);
        wr16(b + offsetof(struct et_image_start, argv_count), argv);
        wr32(b + offsetof(struct et_image_start, argc), argv + below(r, 2));
        for (uint16_t i = 0; i < pipes; i++, tail += 16) {
            wr32(tail, below(r, 6));
            wr32(tail + 4, below(r, 16));
            wr64(tail + 8, 1000 + below(r, 3));
        }
        for (uint16_t i = 0; i <= argv; i++)
            tail += put_str(tail, end, r);
        break;
    }
    case ET_REC_EXEC:
    case ET_REC_SPAWN: {
        uint16_t argv = (uint16_t)below(r, 4);
        size_t at = type == ET_REC_EXEC ? offsetof(struct et_exec, argv_count) : offsetof(struct et_spawn, argv_count);
        wr16(b + at, argv);
        for (uint16_t i = 0; i <= argv; i++)
            tail += put_str(tail, end, r);
        break;
    }
    case ET_REC_CLOSE_RANGE: {
        uint16_t pipes = (uint16_t)below(r, 4);
        wr16(b + offsetof(struct et_close_range, pipe_count), pipes);
        for (uint16_t i = 0; i < pipes; i++, tail += 16) {
            wr32(tail, below(r, 6));
            wr32(tail + 4, below(r, 16));
            wr64(tail + 8, 1000 + below(r, 3));
        }
        break;
    }
    case ET_REC_SNAPSHOT: {
        /* One snapshot, mostly: threads in the calls the hang rules know
         * (read, write, wait4, waitid, poll, futex), pipes of the pool. */
        static const int32_t calls[] = {0, 1, 61, 247, 7, 202, 232, ET_SYSCALL_RUNNING, ET_SYSCALL_UNKNOWN, 19, 999};
        static const char states[] = "SSSDRZTt\x1b";
        uint16_t threads = (uint16_t)below(r, 3), pipes = (uint16_t)below(r, 4);
        wr32(b + offsetof(struct et_snapshot, snapshot), below(r, 4) ? 1 : below(r, 3));
        wr16(b + offsetof(struct et_snapshot, reason), (uint16_t)below(r, 5));
        wr16(b + offsetof(struct et_snapshot, thread_count), threads);
        wr16(b + offsetof(struct et_snapshot, pipe_count), pipes);
        b[offsetof(struct et_snapshot, state)] = (uint8_t)states[below(r, sizeof(states) - 1)];
        for (uint16_t i = 0; i < threads && end - tail >= 40; i++, tail += 40) {
            wr32(tail, identity_pid + i);
            wr32(tail + 4, (uint32_t)calls[below(r, sizeof(calls) / sizeof(calls[0]))]);
            wr64(tail + 8, below(r, 2) ? below(r, 6) : (uint64_t)(int64_t)-(int32_t)pool_pids[below(r, 6)]);
            wr64(tail + 16, pool_pids[below(r, 6)]);
            wr64(tail + 24, below(r, 16));
            tail[32] = (uint8_t)states[below(r, sizeof(states) - 1)];
        }
        for (uint16_t i = 0; i < pipes && end - tail >= 16; i++, tail += 16) {
            wr32(tail, below(r, 6));
            wr32(tail + 4, below(r, 16));
            wr64(tail + 8, 1000 + below(r, 3));
        }
        for (uint16_t i = 0; i <= threads; i++)
            tail += put_str(tail, end, r);
        break;
    }
    case ET_REC_RUN_END: {
        uint16_t left = (uint16_t)below(r, 4);
        wr16(b + offsetof(struct et_run_end, left_running), left);
        for (uint16_t i = 0; i < left; i++, tail += 4)
            wr32(tail, pool_pids[below(r, 6)]);
        break;
    }
    default:
        break;
    }
    uint32_t size = (uint32_t)((tail - p + 7) & ~7);
    struct et_record h = {0};
    h.size = size;
    h.type = type;
    h.pid = identity_pid;
    h.tid = below(r, 4) ? identity_pid : identity_pid + 1000;
    h.ts_ns = ts;
    h.err = below(r, 4) ? 0 : (int32_t)pool_word(r) & 0xff;
    h.start_time = identity_pid * 10ull;
    h.commit = et_commit_word(type, size);
    memcpy(p, &h, sizeof(h));
    return size;
}

static void write_header(uint8_t *d, uint32_t chunks)
{
    struct et_file_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, ET_MAGIC, ET_MAGIC_LEN);
    h.version_major = ET_VERSION_MAJOR;
    h.version_minor = ET_VERSION_MINOR;
    h.endian_marker = ET_ENDIAN_MARKER;
    h.header_size = ET_HEADER_SIZE;
    h.chunk_size = ET_CHUNK_SIZE;
    h.chunk_count = chunks;
    h.file_size = ET_HEADER_SIZE + (uint64_t)chunks * ET_CHUNK_SIZE;
    h.launcher_pid = pool_pids[0];
    h.launcher_start_time = pool_pids[0] * 10ull;
    h.anchor_monotonic_ns = 1000000000ull;
    h.anchor_realtime_ns = 1700000000000000000ull;
    h.next_chunk = chunks;
    memcpy(d, &h, sizeof(h));
}

/* A small trace from nothing: a few runs of a few processes, records of
 * every type with related pids, times that mostly go forward. */
static size_t generate(uint8_t *d, size_t max_size, struct rng *r)
{
    uint32_t max_chunks = (uint32_t)((max_size - ET_HEADER_SIZE) / ET_CHUNK_SIZE);
    uint32_t nruns = 1 + below(r, 6);
    if (nruns * 2 > max_chunks)
        nruns = max_chunks / 2;
    if (!nruns)
        return 0;
    uint32_t chunk = 0;
    uint64_t ts = 1000000000ull + below(r, 1000);
    memset(d, 0, ET_HEADER_SIZE + (size_t)nruns * 2 * ET_CHUNK_SIZE);
    for (uint32_t k = 0; k < nruns; k++) {
        uint8_t *run = d + ET_HEADER_SIZE + (size_t)chunk * ET_CHUNK_SIZE;
        uint32_t pid = pool_pids[k < 6 ? k : below(r, 6)];
        uint32_t used = 0, room = 2 * ET_CHUNK_SIZE - sizeof(struct et_run_header);
        uint32_t nrec = 1 + below(r, 12);
        for (uint32_t i = 0; i < nrec; i++) {
            uint16_t type = i == 0 ? ET_REC_IMAGE_START : (uint16_t)(1 + below(r, ET_REC_TYPE_COUNT - 1));
            ts += below(r, 8) ? below(r, 200000000) : 0;
            uint8_t *p = run + sizeof(struct et_run_header) + used;
            uint32_t n = make_record(p, room - used, type, pid, ts, r);
            if (!n)
                break;
            if (i == 0 && k == 0) /* the launcher */
                wr16(p + sizeof(struct et_record) + offsetof(struct et_image_start, origin), ET_ORIGIN_LAUNCHER);
            used += n;
        }
        struct et_run_header rh = {ET_RUN_TAG(2), used, pid, 0};
        memcpy(run, &rh, sizeof(rh));
        chunk += 2;
    }
    write_header(d, below(r, 4) ? chunk : 64);
    wr64(d + H_NEXT_CHUNK, chunk);
    return ET_HEADER_SIZE + (size_t)chunk * ET_CHUNK_SIZE;
}

/* Mutations that know the layout.  Returns the new size. */
static size_t mutate_structured(uint8_t *d, size_t size, size_t max_size, struct rng *r)
{
    find_records(d, size);
    uint32_t op = below(r, 21);
    if (!L.nrecs && op >= 8 && op <= 15)
        op = 0;
    const struct rec_ref *a = L.nrecs ? &L.recs[below(r, (uint32_t)L.nrecs)] : NULL;
    const struct rec_ref *b = L.nrecs ? &L.recs[below(r, (uint32_t)L.nrecs)] : NULL;
    switch (op) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5: { /* bytes of the chunk area, then (mostly) records made valid again */
        size_t n = LLVMFuzzerMutate(d + ET_HEADER_SIZE, size - ET_HEADER_SIZE, max_size - ET_HEADER_SIZE);
        size = ET_HEADER_SIZE + n;
        if (below(r, 3))
            recommit_all(d, size);
        return size;
    }
    case 6: /* anything, header included */
        return LLVMFuzzerMutate(d, size, max_size);
    case 7: { /* a header field */
        static const size_t fields[] = {H_FILE_SIZE,
                                        H_CHUNK_COUNT,
                                        H_NEXT_CHUNK,
                                        offsetof(struct et_file_header, launcher_pid),
                                        offsetof(struct et_file_header, launcher_start_time),
                                        offsetof(struct et_file_header, anchor_monotonic_ns),
                                        offsetof(struct et_file_header, flags),
                                        offsetof(struct et_file_header, records_dropped)};
        size_t f = fields[below(r, sizeof(fields) / sizeof(fields[0]))];
        uint64_t chunks = (size - ET_HEADER_SIZE) / ET_CHUNK_SIZE;
        uint64_t v = below(r, 2) ? interesting64(r, d) : chunks + below(r, 3) - 1;
        if (f == H_CHUNK_COUNT || f == offsetof(struct et_file_header, launcher_pid) ||
            f == offsetof(struct et_file_header, flags))
            wr32(d + f, (uint32_t)v);
        else
            wr64(d + f, v);
        return size;
    }
    case 8: /* another type, committed */
        wr16(d + a->off + offsetof(struct et_record, type), (uint16_t)(below(r, 8) ? 1 + below(r, ET_REC_TYPE_COUNT) : rnd(r)));
        recommit(d, a->off);
        return size;
    case 9: /* another process's identity */
        memcpy(d + a->off + offsetof(struct et_record, pid), d + b->off + offsetof(struct et_record, pid), 4);
        if (below(r, 2))
            memcpy(d + a->off + offsetof(struct et_record, start_time),
                   d + b->off + offsetof(struct et_record, start_time), 8);
        if (below(r, 2))
            memcpy(d + a->off + offsetof(struct et_record, tid), d + b->off + offsetof(struct et_record, tid), 4);
        return size;
    case 10: /* a time */
        wr64(d + a->off + offsetof(struct et_record, ts_ns), interesting64(r, d));
        return size;
    case 11: { /* a word of the body or tail */
        uint32_t words = (a->size - (uint32_t)sizeof(struct et_record)) / 4;
        uint32_t n = 1 + below(r, 3);
        for (uint32_t i = 0; i < n && words; i++) {
            uint8_t *w = d + a->off + sizeof(struct et_record) + 4 * below(r, words);
            if (below(r, 3))
                wr32(w, interesting32(r, d));
            else
                wr16(w + 2 * below(r, 2), (uint16_t)interesting32(r, d));
        }
        if (below(r, 4) == 0) /* err */
            wr32(d + a->off + offsetof(struct et_record, err), interesting32(r, d));
        return size;
    }
    case 12: { /* a record grows or shrinks over its neighbours, committed */
        uint32_t sz = a->size;
        uint32_t delta = 8 * (1 + below(r, 8));
        if (below(r, 2) && sz >= sizeof(struct et_record) + delta)
            sz -= delta;
        else
            sz += delta;
        wr32(d + a->off, sz);
        recommit(d, a->off);
        return size;
    }
    case 13: { /* a copy of b appended to a's run, or over the record after a */
        uint32_t run = L.runs[a->run];
        uint32_t used = rd32(d + run + 4);
        uint64_t at = (uint64_t)run + sizeof(struct et_run_header) + used;
        if (below(r, 2) && at + b->size <= L.run_end[a->run]) {
            memmove(d + at, d + b->off, b->size);
            wr32(d + run + 4, used + b->size);
        } else if ((uint64_t)a->off + a->size + b->size <= size) {
            memmove(d + a->off + a->size, d + b->off, b->size);
        }
        return size;
    }
    case 14: /* two records of one size change places */
        if (a->size == b->size && a != b) {
            uint8_t tmp[ET_MAX_RECORD_SIZE];
            if (a->size <= sizeof(tmp)) {
                memcpy(tmp, d + a->off, a->size);
                memmove(d + a->off, d + b->off, a->size);
                memcpy(d + b->off, tmp, a->size);
            }
        }
        return size;
    case 15: { /* a count or string length of the tail */
        uint32_t body = et_body_size(rd16(d + a->off + 8));
        uint32_t at = (uint32_t)sizeof(struct et_record) + body;
        if (a->size >= at + 2) {
            uint32_t k = at + 2 * below(r, (a->size - at) / 2);
            wr16(d + a->off + k, (uint16_t)interesting32(r, d));
        } else {
            wr16(d + a->off + sizeof(struct et_record) + body - 2, (uint16_t)interesting32(r, d));
        }
        return size;
    }
    case 16: /* cut short */
        return ET_HEADER_SIZE + below(r, (uint32_t)(size - ET_HEADER_SIZE + 1));
    case 17: { /* a new run of copies, claimed */
        uint64_t chunk = (size - ET_HEADER_SIZE + ET_CHUNK_SIZE - 1) / ET_CHUNK_SIZE;
        uint32_t k = 1 + below(r, 2);
        size_t new_size = ET_HEADER_SIZE + (chunk + k) * ET_CHUNK_SIZE;
        if (new_size > max_size || !L.nrecs)
            return size;
        memset(d + size, 0, new_size - size);
        uint8_t *run = d + ET_HEADER_SIZE + chunk * ET_CHUNK_SIZE;
        uint32_t used = 0, room = k * ET_CHUNK_SIZE - (uint32_t)sizeof(struct et_run_header);
        uint32_t pid = rd32(d + a->off + offsetof(struct et_record, pid));
        uint64_t st = rd64(d + a->off + offsetof(struct et_record, start_time));
        for (uint32_t i = 0, n = 1 + below(r, 8); i < n; i++) {
            const struct rec_ref *c = &L.recs[below(r, (uint32_t)L.nrecs)];
            if (c->size > room - used)
                break;
            uint8_t *p = run + sizeof(struct et_run_header) + used;
            memcpy(p, d + c->off, c->size);
            if (below(r, 2)) { /* the same process goes on */
                wr32(p + offsetof(struct et_record, pid), pid);
                wr64(p + offsetof(struct et_record, start_time), st);
            }
            used += c->size;
        }
        wr32(run, ET_RUN_TAG(k));
        wr32(run + 4, used);
        wr32(run + 8, pid);
        wr64(d + H_NEXT_CHUNK, chunk + k);
        if (rd32(d + H_CHUNK_COUNT) < chunk + k || below(r, 2)) {
            wr32(d + H_CHUNK_COUNT, (uint32_t)(chunk + k));
            wr64(d + H_FILE_SIZE, new_size);
        }
        return new_size;
    }
    case 18: { /* a run header: its chunk count or its used bytes */
        if (!L.nruns)
            return size;
        uint32_t run = L.runs[below(r, (uint32_t)L.nruns)];
        if (below(r, 2))
            wr32(d + run, ET_RUN_TAG(below(r, 4) ? 1 + below(r, 8) : (uint32_t)rnd(r)));
        else
            wr32(d + run + 4, below(r, 2) ? interesting32(r, d) : rd32(d + run + 4) + 8 * below(r, 8) - 32);
        return size;
    }
    case 19: { /* many processes: records (and start records' parents) get pids of their own */
        uint32_t base = 2 + below(r, 100000);
        uint32_t every = 1 + below(r, 3);
        for (size_t i = 0; i < L.nrecs; i++) {
            if (i % every)
                continue;
            uint8_t *rec = d + L.recs[i].off;
            wr32(rec + offsetof(struct et_record, pid), base + (uint32_t)i);
            wr32(rec + offsetof(struct et_record, tid), base + (uint32_t)i);
            wr64(rec + offsetof(struct et_record, start_time), 7 + i);
            if (rd16(rec + offsetof(struct et_record, type)) == ET_REC_IMAGE_START &&
                L.recs[i].size >= sizeof(struct et_record) + sizeof(struct et_image_start) && below(r, 2))
                wr32(rec + sizeof(struct et_record) + offsetof(struct et_image_start, ppid),
                     base + 50000 + (uint32_t)i);
        }
        return size;
    }
    default: { /* the header made to match the file: a trace without damage */
        uint64_t chunks = (size - ET_HEADER_SIZE) / ET_CHUNK_SIZE;
        wr32(d + H_CHUNK_COUNT, (uint32_t)chunks);
        wr64(d + H_FILE_SIZE, ET_HEADER_SIZE + chunks * ET_CHUNK_SIZE);
        wr64(d + H_NEXT_CHUNK, chunks);
        return ET_HEADER_SIZE + chunks * ET_CHUNK_SIZE;
    }
    }
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    if (plain)
        return LLVMFuzzerMutate(data, size, max_size);
    struct rng r = {((uint64_t)seed << 32 | seed) ^ 0x9e3779b97f4a7c15ull};
    rnd(&r);
    if (!has_header(data, size)) {
        /* Mostly a trace from scratch: raw bytes rarely pass the header. */
        if (max_size >= ET_HEADER_SIZE + 2 * ET_CHUNK_SIZE && below(&r, 4) != 0)
            return generate(data, max_size, &r);
        return LLVMFuzzerMutate(data, size, max_size);
    }
    if (below(&r, 16) == 0 && max_size >= ET_HEADER_SIZE + 2 * ET_CHUNK_SIZE)
        return generate(data, max_size, &r);
    size_t n = 1 + (below(&r, 4) == 0 ? below(&r, 4) : 0);
    for (size_t i = 0; i < n && has_header(data, size); i++)
        size = mutate_structured(data, size, max_size, &r);
    return size;
}

/* The header and first chunks of one trace, the later chunks of another:
 * the processes of two traces in one file, the claim covering both. */
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2, size_t size2, uint8_t *out,
                                 size_t max_out_size, unsigned int seed)
{
    struct rng r = {((uint64_t)seed << 32 | seed) ^ 0x2545f4914f6cdd1dull};
    rnd(&r);
    if (plain || !has_header(data1, size1) || size2 <= ET_HEADER_SIZE || max_out_size < ET_HEADER_SIZE) {
        size_t n = size1 < max_out_size ? size1 : max_out_size;
        memcpy(out, data1, n);
        return n;
    }
    uint32_t chunks1 = (uint32_t)((size1 - ET_HEADER_SIZE) / ET_CHUNK_SIZE);
    uint32_t chunks2 = (uint32_t)((size2 - ET_HEADER_SIZE + ET_CHUNK_SIZE - 1) / ET_CHUNK_SIZE);
    uint32_t keep = below(&r, chunks1 + 1);
    uint32_t from = below(&r, chunks2);
    size_t size = ET_HEADER_SIZE + (size_t)keep * ET_CHUNK_SIZE;
    if (size > max_out_size)
        size = max_out_size;
    memcpy(out, data1, size);
    size_t take = size2 - (ET_HEADER_SIZE + (size_t)from * ET_CHUNK_SIZE);
    if (take > max_out_size - size)
        take = max_out_size - size;
    memcpy(out + size, data2 + ET_HEADER_SIZE + (size_t)from * ET_CHUNK_SIZE, take);
    size += take;
    uint64_t chunks = (size - ET_HEADER_SIZE + ET_CHUNK_SIZE - 1) / ET_CHUNK_SIZE;
    wr64(out + H_NEXT_CHUNK, chunks);
    if (rd32(out + H_CHUNK_COUNT) < chunks) {
        wr32(out + H_CHUNK_COUNT, (uint32_t)chunks);
        wr64(out + H_FILE_SIZE, ET_HEADER_SIZE + chunks * ET_CHUNK_SIZE);
    }
    return size;
}
