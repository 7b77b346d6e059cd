#define _GNU_SOURCE
#include "emit.h"

#include <inttypes.h>
#include <string.h>

#include "names.h"
#include "symbols.h"

/* ---- text --------------------------------------------------------------------- */

/* The text line is built in memory and written at once: `events` prints
 * millions of them, and stdio's formatting was most of its time. */

static void text_pipe_end(struct et_buf *out, const struct et_pipe_end *e)
{
    const char *end = (e->flags & ET_PIPE_READ) && (e->flags & ET_PIPE_WRITE) ? "rw"
                      : (e->flags & ET_PIPE_READ)                             ? "r"
                                                                              : "w";
    et_buf_i64(out, e->fd);
    et_buf_str(out, (e->flags & ET_PIPE_FIFO) ? " fifo:[" : " pipe:[");
    et_buf_u64(out, e->inode);
    et_buf_str(out, "] ");
    et_buf_str(out, end);
    if (e->flags & ET_PIPE_CLOEXEC)
        et_buf_str(out, " cloexec");
}

static void text_argv(struct et_buf *out, const struct et_field *f)
{
    struct et_tail tail = f->v.argv.tail;
    unsigned shown = 0;
    et_buf_char(out, '[');
    for (; shown < f->v.argv.count; shown++) {
        const char *s;
        uint16_t len;
        if (!et_tail_str(&tail, &s, &len))
            break;
        if (shown)
            et_buf_str(out, ", ");
        et_buf_quoted(out, s, len);
    }
    if (f->v.argv.truncated) {
        et_buf_str(out, shown ? ", ... " : "... ");
        et_buf_u64(out, f->v.argv.argc);
        et_buf_str(out, " in all");
    }
    et_buf_char(out, ']');
}

static void text_hex(struct et_buf *out, uint64_t v)
{
    et_buf_str(out, "0x");
    et_buf_hex(out, v);
}

/* "1234 S read(3, 0x7ffc, 0x1000) wchan "pipe_read"" */
static void text_thread(struct et_buf *out, const struct et_snapshot_thread *t, const char *wchan, size_t wlen)
{
    const char *name = et_syscall_name(t->syscall);
    et_buf_i64(out, t->tid);
    et_buf_char(out, ' ');
    et_buf_char(out, t->state >= 'A' && t->state <= 'z' ? (char)t->state : '?');
    et_buf_char(out, ' ');
    if (t->syscall == ET_SYSCALL_RUNNING) {
        et_buf_str(out, "not in a system call");
    } else if (t->syscall == ET_SYSCALL_UNKNOWN) {
        et_buf_str(out, "system call unknown");
    } else if (name) {
        et_buf_str(out, name);
        et_buf_char(out, '(');
        if (et_syscall_first_arg_is_int(t->syscall))
            et_buf_i64(out, (int32_t)t->args[0]);
        else
            text_hex(out, t->args[0]);
        et_buf_str(out, ", ");
        text_hex(out, t->args[1]);
        et_buf_str(out, ", ");
        text_hex(out, t->args[2]);
        et_buf_char(out, ')');
    } else {
        et_buf_str(out, "syscall ");
        et_buf_i64(out, t->syscall);
    }
    if (wlen) {
        et_buf_str(out, " wchan ");
        et_buf_quoted(out, wchan, wlen);
    }
}

static void text_value(struct et_buf *out, const struct et_field *f)
{
    char buf[256];
    switch (f->type) {
    case ET_V_INT:
        et_buf_i64(out, f->v.i);
        break;
    case ET_V_UINT:
        et_buf_u64(out, f->v.u);
        break;
    case ET_V_HEX:
        text_hex(out, f->v.u);
        break;
    case ET_V_NAME:
        et_buf_mem(out, f->v.s.s, f->v.s.len);
        break;
    case ET_V_STR:
        et_buf_quoted(out, f->v.s.s, f->v.s.len);
        break;
    case ET_V_BOOL:
        et_buf_str(out, f->v.i ? "true" : "false");
        break;
    case ET_V_ERRNO:
        et_buf_str(out, et_errno_name((int)f->v.i, buf, sizeof(buf)));
        et_buf_str(out, " (");
        et_buf_str(out, strerror((int)f->v.i));
        et_buf_char(out, ')');
        break;
    case ET_V_STATUS:
        et_buf_str(out, et_wait_status_string((int)f->v.i, buf, sizeof(buf)));
        break;
    case ET_V_FD:
        if (f->fd_pipe)
            text_pipe_end(out, f->fd_pipe);
        else
            et_buf_i64(out, f->v.i);
        break;
    case ET_V_PIPE:
        if (f->v.pipe)
            text_pipe_end(out, f->v.pipe);
        else
            et_buf_str(out, "none");
        break;
    case ET_V_PIPES: {
        const struct et_pipe_end *v = f->v.list.v;
        et_buf_char(out, '[');
        for (unsigned i = 0; i < f->v.list.n; i++) {
            if (i)
                et_buf_str(out, ", ");
            text_pipe_end(out, &v[i]);
        }
        et_buf_char(out, ']');
        break;
    }
    case ET_V_PIDS: {
        const int32_t *v = f->v.list.v;
        et_buf_char(out, '[');
        for (unsigned i = 0; i < f->v.list.n; i++) {
            if (i)
                et_buf_str(out, ", ");
            et_buf_i64(out, v[i]);
        }
        et_buf_char(out, ']');
        break;
    }
    case ET_V_HEXBYTES: {
        static const char hex[] = "0123456789abcdef";
        const uint8_t *v = f->v.list.v;
        for (unsigned i = 0; i < f->v.list.n; i++) {
            et_buf_char(out, hex[v[i] >> 4]);
            et_buf_char(out, hex[v[i] & 0xf]);
        }
        break;
    }
    case ET_V_ARGV:
        text_argv(out, f);
        break;
    case ET_V_THREADS: {
        struct et_tail wchans = f->v.threads.wchans;
        et_buf_char(out, '[');
        for (unsigned i = 0; i < f->v.threads.n; i++) {
            const char *w = "";
            uint16_t wlen = 0;
            if (!et_tail_str(&wchans, &w, &wlen))
                wlen = 0;
            if (i)
                et_buf_str(out, ", ");
            text_thread(out, &f->v.threads.v[i], w, wlen);
        }
        et_buf_char(out, ']');
        break;
    }
    case ET_V_NAMES: {
        bool first = true;
        for (const struct et_flag_name *n = f->names; n && n->name; n++)
            if (f->v.u & n->value) {
                if (!first)
                    et_buf_str(out, ", ");
                et_buf_str(out, n->name);
                first = false;
            }
        break;
    }
    default:
        et_buf_char(out, '?');
        break;
    }
}

static void text_labelled(struct et_buf *out, const struct et_field *f)
{
    if (f->label)
        et_buf_str(out, f->label);
    text_value(out, f);
    if (f->suffix)
        et_buf_str(out, f->suffix);
}

static void text_body(struct et_buf *out, const struct et_decoded *d)
{
    et_buf_str(out, d->head);
    if (d->call)
        et_buf_char(out, '(');
    bool first = true;
    for (unsigned i = 0; i < d->n; i++) {
        if (d->f[i].text != ET_TEXT_ARG)
            continue;
        et_buf_str(out, first ? (d->call ? "" : " ") : (d->call ? ", " : " "));
        text_labelled(out, &d->f[i]);
        first = false;
    }
    if (d->call)
        et_buf_char(out, ')');
    first = true;
    for (unsigned i = 0; i < d->n; i++) {
        if (d->f[i].text != ET_TEXT_RESULT)
            continue;
        et_buf_str(out, first ? " = " : " ");
        text_labelled(out, &d->f[i]);
        first = false;
    }
    for (unsigned i = 0; i < d->n; i++) {
        if (d->f[i].text != ET_TEXT_AFTER)
            continue;
        if (!d->f[i].label)
            et_buf_char(out, ' ');
        text_labelled(out, &d->f[i]);
    }
    for (unsigned i = 0; i < d->n; i++) {
        if (d->f[i].text != ET_TEXT_KEY)
            continue;
        et_buf_char(out, ' ');
        et_buf_str(out, d->f[i].label ? d->f[i].label : d->f[i].key);
        et_buf_char(out, '=');
        text_value(out, &d->f[i]);
    }
    for (unsigned i = 0; i < d->n; i++) {
        if (d->f[i].text != ET_TEXT_NOTE)
            continue;
        et_buf_char(out, ' ');
        text_labelled(out, &d->f[i]);
    }
}

void et_emit_text_body(FILE *out, const struct et_decoded *d)
{
    struct et_buf b = {0};
    text_body(&b, d);
    if (!et_buf_write(&b, out))
        fputs("(out of memory)", out);
    et_buf_free(&b);
}

/* With --stacks: the call site under the line, a frame a line. */
static void text_stack(FILE *out, struct et_symbols *symbols, const struct et_record *r)
{
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    if (!et_record_stack(r, &pc, &trailer))
        return;
    if (trailer.frames == 0) {
        fprintf(out, "      (%s)\n", et_stack_missing_reason(r));
        return;
    }
    for (unsigned i = 0; i < trailer.frames; i++) {
        struct et_frame f;
        et_symbols_resolve(symbols, r, i, pc[i], &f);
        fputs(i ? "        called from " : "      at ", out);
        et_frame_print(out, &f);
        fputc('\n', out);
    }
    if (trailer.flags & ET_STACK_PARTIAL) {
        const char *why = trailer.flags & ET_STACK_NO_UNWINDER ? "could not be loaded"
                          : trailer.flags & ET_STACK_SKIP_VFORK ? "a vfork child may not load"
                                                                : "a program with signal handlers does not load";
        fprintf(out, "        ... (the next frame needs libunwind, which %s)\n", why);
    } else if (trailer.flags & ET_STACK_TRUNCATED)
        fputs("        ... (deeper frames not kept: EXECTRACE_STACK_DEPTH)\n", out);
}

void et_emit_text_line_buf(struct et_buf *out, uint64_t anchor_ns, const struct et_decoded *d)
{
    const struct et_record *r = d->r;
    char when[ET_SECONDS_LEN];
    et_buf_str(out, et_format_when(when, anchor_ns, r->ts_ns));
    et_buf_str(out, " [");
    et_buf_u64(out, r->pid);
    if (r->tid && r->tid != r->pid) {
        et_buf_char(out, '/');
        et_buf_u64(out, r->tid);
    }
    et_buf_str(out, "] ");
    text_body(out, d);
    /* The process did not write it: the launcher saw the call stop. */
    if (r->flags & ET_RF_RECORDER)
        et_buf_str(out, "  (ptrace)");
    et_buf_char(out, '\n');
}

void et_emit_text_line(FILE *out, uint64_t anchor_ns, const struct et_decoded *d, struct et_symbols *symbols)
{
    struct et_buf b = {0};
    et_emit_text_line_buf(&b, anchor_ns, d);
    if (!et_buf_write(&b, out))
        fputs("(out of memory)\n", out);
    et_buf_free(&b);
    if (symbols)
        text_stack(out, symbols, d->r);
}

/* ---- JSON --------------------------------------------------------------------- */

static void json_pipe_end(struct et_json *j, const struct et_pipe_end *e)
{
    et_json_object(j);
    et_json_key(j, "fd");
    et_json_int(j, e->fd);
    et_json_key(j, "inode");
    et_json_uint(j, e->inode);
    et_json_key(j, "end");
    et_json_cstr(j, (e->flags & ET_PIPE_READ) && (e->flags & ET_PIPE_WRITE) ? "rw"
                    : (e->flags & ET_PIPE_READ)                             ? "r"
                                                                            : "w");
    et_json_key(j, "cloexec");
    et_json_bool(j, e->flags & ET_PIPE_CLOEXEC);
    et_json_key(j, "fifo");
    et_json_bool(j, e->flags & ET_PIPE_FIFO);
    et_json_end(j);
}

static void json_thread(struct et_json *j, const struct et_snapshot_thread *t, const char *wchan, size_t wlen)
{
    char state = t->state >= 'A' && t->state <= 'z' ? (char)t->state : '?';
    et_json_object(j);
    et_json_key(j, "tid");
    et_json_int(j, t->tid);
    et_json_key(j, "state");
    et_json_str(j, &state, 1);
    et_json_key(j, "syscall");
    et_json_int(j, t->syscall);
    et_json_key(j, "syscall_name");
    et_json_cstr(j, et_syscall_name(t->syscall));
    et_json_key(j, "args");
    et_json_array(j);
    for (int k = 0; k < 3; k++)
        et_json_uint(j, t->args[k]);
    et_json_end(j);
    et_json_key(j, "wchan");
    et_json_str(j, wchan, wlen);
    et_json_end(j);
}

static void json_field(struct et_json *j, const struct et_field *f)
{
    char buf[256];
    et_json_key(j, f->key);
    switch (f->type) {
    case ET_V_INT:
    case ET_V_FD:
        et_json_int(j, f->v.i);
        break;
    case ET_V_UINT:
        et_json_uint(j, f->v.u);
        break;
    case ET_V_HEX:
        snprintf(buf, sizeof(buf), "0x%" PRIx64, f->v.u);
        et_json_cstr(j, buf);
        break;
    case ET_V_NAME:
    case ET_V_STR:
        et_json_str(j, f->v.s.s, f->v.s.len);
        break;
    case ET_V_BOOL:
        et_json_bool(j, f->v.i);
        break;
    case ET_V_ERRNO:
        et_json_cstr(j, et_errno_name((int)f->v.i, buf, sizeof(buf)));
        break;
    case ET_V_STATUS:
        et_json_cstr(j, et_wait_status_string((int)f->v.i, buf, sizeof(buf)));
        break;
    case ET_V_PIPE:
        if (f->v.pipe)
            json_pipe_end(j, f->v.pipe);
        else
            et_json_null(j);
        break;
    case ET_V_PIPES: {
        const struct et_pipe_end *v = f->v.list.v;
        et_json_array(j);
        for (unsigned i = 0; i < f->v.list.n; i++)
            json_pipe_end(j, &v[i]);
        et_json_end(j);
        break;
    }
    case ET_V_PIDS: {
        const int32_t *v = f->v.list.v;
        et_json_array(j);
        for (unsigned i = 0; i < f->v.list.n; i++)
            et_json_int(j, v[i]);
        et_json_end(j);
        break;
    }
    case ET_V_HEXBYTES: {
        const uint8_t *v = f->v.list.v;
        char hex[2 * 255 + 1];
        unsigned n = f->v.list.n < 255 ? f->v.list.n : 255;
        for (unsigned i = 0; i < n; i++)
            snprintf(hex + 2 * i, 3, "%02x", v[i]);
        hex[2 * n] = 0;
        et_json_cstr(j, hex);
        break;
    }
    case ET_V_ARGV: {
        struct et_tail tail = f->v.argv.tail;
        et_json_array(j);
        for (unsigned i = 0; i < f->v.argv.count; i++) {
            const char *s;
            uint16_t len;
            if (!et_tail_str(&tail, &s, &len))
                break;
            et_json_str(j, s, len);
        }
        et_json_end(j);
        et_json_key(j, "argc");
        et_json_uint(j, f->v.argv.argc);
        et_json_key(j, "argv_truncated");
        et_json_bool(j, f->v.argv.truncated);
        break;
    }
    case ET_V_THREADS: {
        struct et_tail wchans = f->v.threads.wchans;
        et_json_array(j);
        for (unsigned i = 0; i < f->v.threads.n; i++) {
            const char *w = "";
            uint16_t wlen = 0;
            if (!et_tail_str(&wchans, &w, &wlen))
                wlen = 0;
            json_thread(j, &f->v.threads.v[i], w, wlen);
        }
        et_json_end(j);
        break;
    }
    case ET_V_NAMES:
        et_json_array(j);
        for (const struct et_flag_name *n = f->names; n && n->name; n++)
            if (f->v.u & n->value)
                et_json_cstr(j, n->name);
        et_json_end(j);
        break;
    default:
        et_json_null(j);
        break;
    }
}

void et_emit_json_fields(struct et_json *j, const struct et_decoded *d)
{
    for (unsigned i = 0; i < d->n; i++)
        if (d->f[i].key)
            json_field(j, &d->f[i]);
}

void et_emit_json_event(struct et_json *j, uint64_t anchor_ns, const struct et_decoded *d,
                        struct et_symbols *symbols)
{
    const struct et_record *r = d->r;
    et_json_object(j);
    et_json_key(j, "t");
    et_json_seconds(j, (int64_t)(r->ts_ns - anchor_ns), 9);
    et_json_key(j, "ts_ns");
    et_json_uint(j, r->ts_ns);
    et_json_key(j, "pid");
    et_json_uint(j, r->pid);
    et_json_key(j, "tid");
    et_json_uint(j, r->tid);
    et_json_key(j, "start_time");
    et_json_uint(j, r->start_time);
    et_json_key(j, "event");
    et_json_cstr(j, d->event);
    if (r->flags & ET_RF_VFORK_CHILD) {
        et_json_key(j, "vfork_child");
        et_json_bool(j, true);
    }
    if (r->flags & ET_RF_RECORDER) {
        et_json_key(j, "recorder");
        et_json_bool(j, true);
    }
    et_emit_json_fields(j, d);
    if (symbols && (r->flags & ET_RF_STACK)) {
        et_json_key(j, "stack");
        et_json_stack(j, symbols, r);
        const char *why = et_stack_missing_reason(r);
        if (why) {
            et_json_key(j, "stack_missing");
            et_json_cstr(j, why);
        }
    }
    et_json_end(j);
}
