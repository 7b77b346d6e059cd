/*
 * Record -> fields, one function per record type, chosen from a table.  A
 * new record type is a body struct and a line in the format header, and a
 * decoder here; every output gets it from that.
 */
#define _GNU_SOURCE
#include "decode.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "output.h"

/* ---- building fields ----------------------------------------------------- */

static struct et_field *add(struct et_decoded *d, const char *key, enum et_value_type type, enum et_text_place text)
{
    /* The decoders below add at most ET_MAX_FIELDS; a full table drops the
     * rest rather than write past it. */
    static struct et_field overflow;
    if (d->n == ET_MAX_FIELDS) {
        overflow = (struct et_field){0};
        return &overflow;
    }
    struct et_field *f = &d->f[d->n++];
    *f = (struct et_field){.key = key, .type = (uint8_t)type, .text = (uint8_t)text};
    return f;
}

/* Text made for this record, kept in its arena. */
__attribute__((format(printf, 2, 3))) static const char *make(struct et_decoded *d, const char *fmt, ...)
{
    size_t room = sizeof(d->arena) - d->used;
    char *at = d->arena + d->used;
    if (room == 0)
        return "";
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(at, room, fmt, ap);
    va_end(ap);
    size_t took = n < 0 ? 0 : (size_t)n + 1 > room ? room : (size_t)n + 1;
    d->used += took;
    if (n < 0)
        at[0] = 0;
    return at;
}

/* A copy of s kept in the arena: without the formatting of make(). */
static const char *keep(struct et_decoded *d, const char *s)
{
    size_t room = sizeof(d->arena) - d->used;
    size_t len = strlen(s);
    if (room == 0)
        return "";
    if (len >= room)
        len = room - 1;
    char *at = d->arena + d->used;
    memcpy(at, s, len);
    at[len] = 0;
    d->used += len + 1;
    return at;
}

static const char *flags(struct et_decoded *d, uint64_t value, const struct et_flag_name *names)
{
    if (value == 0)
        return "0";
    char buf[512];
    return keep(d, et_flags_string(value, names, buf, sizeof(buf)));
}

static const char *signal_name(struct et_decoded *d, int sig)
{
    char buf[32];
    return sig ? keep(d, et_signal_name(sig, buf, sizeof(buf))) : "0";
}

static void f_int(struct et_decoded *d, const char *key, int64_t v, enum et_text_place text)
{
    add(d, key, ET_V_INT, text)->v.i = v;
}

static void f_uint(struct et_decoded *d, const char *key, uint64_t v, enum et_text_place text)
{
    add(d, key, ET_V_UINT, text)->v.u = v;
}

static void f_hex(struct et_decoded *d, const char *key, uint64_t v, enum et_text_place text)
{
    add(d, key, ET_V_HEX, text)->v.u = v;
}

static struct et_field *f_name(struct et_decoded *d, const char *key, const char *name, enum et_text_place text)
{
    struct et_field *f = add(d, key, ET_V_NAME, text);
    f->v.s.s = name;
    f->v.s.len = strlen(name);
    return f;
}

static void f_str(struct et_decoded *d, const char *key, const char *s, size_t len, enum et_text_place text)
{
    struct et_field *f = add(d, key, ET_V_STR, text);
    f->v.s.s = s ? s : "";
    f->v.s.len = s ? len : 0;
}

static void f_bool(struct et_decoded *d, const char *key, bool v)
{
    add(d, key, ET_V_BOOL, ET_TEXT_NONE)->v.i = v;
}

static void f_errno(struct et_decoded *d, int err, enum et_text_place text)
{
    if (err)
        add(d, "errno", ET_V_ERRNO, text)->v.i = err;
}

/* " = 0", " = -1 ENOENT (No such file or directory)" */
static void f_result(struct et_decoded *d, int64_t result, int err)
{
    f_int(d, "result", result, ET_TEXT_RESULT);
    f_errno(d, err, ET_TEXT_RESULT);
}

static void f_status(struct et_decoded *d, const char *key, int status, enum et_text_place text)
{
    add(d, key, ET_V_STATUS, text)->v.i = status;
}

static void f_pipe(struct et_decoded *d, const char *key, const struct et_pipe_end *e)
{
    add(d, key, ET_V_PIPE, ET_TEXT_NONE)->v.pipe = e->fd >= 0 ? e : NULL;
}

/* An fd argument that may be a pipe end: the pipe end in text, the number
 * under `key` in JSON, and the pipe end under `pipe_key` (NULL: not in JSON). */
static void f_fd(struct et_decoded *d, const char *key, int fd, const struct et_pipe_end *e, const char *pipe_key)
{
    struct et_field *f = add(d, key, ET_V_FD, ET_TEXT_ARG);
    f->v.i = fd;
    f->fd_pipe = e && e->fd >= 0 ? e : NULL;
    if (pipe_key)
        f_pipe(d, pipe_key, e);
}

static struct et_field *f_pipes(struct et_decoded *d, const char *key, const struct et_pipe_end *v, unsigned n,
                                enum et_text_place text)
{
    struct et_field *f = add(d, key, ET_V_PIPES, text);
    f->v.list.v = v;
    f->v.list.n = v ? n : 0;
    return f;
}

static void f_argv(struct et_decoded *d, struct et_tail *tail, unsigned count, uint32_t argc, bool truncated,
                   enum et_text_place text)
{
    struct et_field *f = add(d, "argv", ET_V_ARGV, text);
    f->v.argv.tail = *tail;
    f->v.argv.count = count;
    f->v.argv.argc = argc;
    f->v.argv.truncated = truncated || argc > count;
    /* Step past the strings, for whatever the tail holds after them. */
    for (unsigned i = 0; i < count; i++) {
        const char *s;
        uint16_t len;
        if (!et_tail_str(tail, &s, &len))
            break;
    }
}

/* Text-only words in the line. */
static struct et_field *f_text(struct et_decoded *d, const char *text, enum et_text_place place)
{
    return f_name(d, NULL, text, place);
}

static const char *tail_str(struct et_tail *tail, size_t *len)
{
    const char *s;
    uint16_t n;
    if (!et_tail_str(tail, &s, &n)) {
        *len = 0;
        return NULL;
    }
    *len = n;
    return s;
}

/* The variables the shim put back into a child's environment. */
static void f_env(struct et_decoded *d, unsigned env)
{
    static const struct et_flag_name names[] = {{ET_ENV_ADDED_PRELOAD, "LD_PRELOAD"},
                                                {ET_ENV_ADDED_FILE, "EXECTRACE_FILE"},
                                                {ET_ENV_ADDED_STACK_DEPTH, "EXECTRACE_STACK_DEPTH"},
                                                {0, NULL}};
    unsigned added = env & (ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE | ET_ENV_ADDED_STACK_DEPTH);
    struct et_field *f = add(d, "env_added", ET_V_NAMES, added ? ET_TEXT_NOTE : ET_TEXT_NONE);
    f->v.u = added;
    f->names = names;
    f->label = "[put back into the environment: ";
    f->suffix = "]";
    if (env & ET_ENV_NOT_ADDED_SETUID) {
        f_bool(d, "env_not_added_setid", true);
        f_text(d, "[environment lacks the shim; not put back: set-id program]", ET_TEXT_NOTE);
    }
}

/* ---- one decoder per record type --------------------------------------------- */

typedef void decode_fn(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d);

static void decode_start(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_image_start *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const struct et_pipe_end *pipes = et_tail_array(&tail, b->pipe_count, sizeof(*pipes));
    size_t exe_len;
    const char *exe = tail_str(&tail, &exe_len);
    bool program = b->origin == ET_ORIGIN_EXEC || b->origin == ET_ORIGIN_LAUNCHER;

    d->head = make(d, "start %s", et_origin_name(b->origin));
    f_name(d, "origin", et_origin_name(b->origin), ET_TEXT_NONE);
    f_uint(d, "ppid", b->ppid, ET_TEXT_KEY);
    f_uint(d, "pgid", b->pgid, ET_TEXT_KEY);
    f_uint(d, "sid", b->sid, ET_TEXT_KEY);
    bool setid = b->uid != b->euid;
    f_uint(d, "uid", b->uid, setid ? ET_TEXT_KEY : ET_TEXT_NONE);
    f_uint(d, "euid", b->euid, setid ? ET_TEXT_KEY : ET_TEXT_NONE);
    f_str(d, "exe", exe, exe_len, program ? ET_TEXT_ARG : ET_TEXT_NONE);
    f_argv(d, &tail, b->argv_count, b->argc, b->flags & ET_START_ARGV_TRUNCATED,
           program ? ET_TEXT_ARG : ET_TEXT_NONE);
    f_pipes(d, "pipes", pipes, b->pipe_count, pipes && b->pipe_count ? ET_TEXT_KEY : ET_TEXT_NONE);
    f_bool(d, "pipes_truncated", b->flags & ET_START_PIPES_TRUNCATED);
    if (b->flags & ET_START_PIPES_TRUNCATED)
        f_text(d, "(more pipe ends than recorded)", ET_TEXT_NOTE);
    if (b->flags & ET_START_NO_FD_SCAN)
        f_text(d, "(no /proc: fds 0-255 checked)", ET_TEXT_NOTE);
    if (b->flags & ET_START_GO) {
        f_bool(d, "go", true);
        f_text(d, "(a Go program)", ET_TEXT_NOTE);
    }
}

static void decode_exit(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_image_exit *b = et_body(r);
    d->head = et_exit_how_name(b->how);
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    f_int(d, "status", b->status, ET_TEXT_ARG);
    if (b->how == ET_EXIT_EXIT)
        f_text(d, "(exit or return from main)", ET_TEXT_NOTE);
}

static void decode_fork(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_fork *b = et_body(r);
    d->head = et_fork_kind_name(b->kind);
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    if (b->kind == ET_FORK_CLONE) {
        /* The low byte is the exit signal, not a flag. */
        f_name(d, NULL, flags(d, b->clone_flags & ~0xffull, et_clone_flag_names), ET_TEXT_ARG);
        f_name(d, "clone_flags", flags(d, b->clone_flags, et_clone_flag_names), ET_TEXT_NONE);
    }
    f_result(d, b->result, r->err);
}

static void decode_spawn(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_spawn *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    size_t len;
    const char *path = tail_str(&tail, &len);
    d->head = et_spawn_kind_name(b->kind);
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    f_str(d, "path", path, len, ET_TEXT_ARG);
    f_argv(d, &tail, b->argv_count, b->argc, b->flags & ET_SPAWN_ARGV_TRUNCATED, ET_TEXT_ARG);
    /* posix_spawn returns the error rather than setting errno. */
    f_int(d, "result", b->result, b->result ? ET_TEXT_NONE : ET_TEXT_RESULT);
    f_errno(d, b->result, ET_TEXT_RESULT);
    struct et_field *child = add(d, "child_pid", ET_V_INT, b->result ? ET_TEXT_NONE : ET_TEXT_AFTER);
    child->v.i = b->child_pid;
    child->label = ", child ";
    const char *spawn_flags = flags(d, b->spawn_flags, et_spawn_flag_names);
    f_name(d, "spawn_flags", spawn_flags, ET_TEXT_NONE);
    f_int(d, "pgroup", b->pgroup, ET_TEXT_NONE);
    add(d, "file_actions", ET_V_HEX, b->file_actions ? ET_TEXT_ARG : ET_TEXT_NONE)->v.u = b->file_actions;
    d->f[d->n - 1].label = "actions=";
    if (b->flags & ET_SPAWN_HAS_ATTR) {
        f_name(d, NULL, spawn_flags, ET_TEXT_ARG)->label = "flags=";
        if (b->spawn_flags & ET_POSIX_SPAWN_SETPGROUP) {
            f_int(d, NULL, b->pgroup, ET_TEXT_ARG);
            d->f[d->n - 1].label = "pgroup=";
        }
    }
    f_env(d, b->flags);
}

static const char *spawn_action_name(unsigned op)
{
    static const char *const names[] = {"?", "addclose", "adddup2", "addclosefrom_np"};
    return names[op < 4 ? op : 0];
}

static void decode_spawn_action(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_spawn_action *b = et_body(r);
    d->head = make(d, "posix_spawn_file_actions_%s", spawn_action_name(b->op));
    d->call = true;
    f_name(d, "call", spawn_action_name(b->op), ET_TEXT_NONE);
    f_hex(d, "file_actions", b->file_actions, ET_TEXT_ARG);
    f_fd(d, "fd", b->fd, &b->pipe, "pipe");
    f_int(d, "newfd", b->newfd, b->op == ET_SPAWN_ACTION_DUP2 ? ET_TEXT_ARG : ET_TEXT_NONE);
    f_int(d, "result", b->result, b->result ? ET_TEXT_NONE : ET_TEXT_RESULT);
    f_errno(d, b->result, ET_TEXT_RESULT);
}

static void decode_exec(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    const struct et_exec *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    size_t len;
    const char *path = tail_str(&tail, &len);
    d->head = et_exec_kind_name(b->kind);
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    bool has_fd = b->kind == ET_EXEC_FEXECVE || b->kind == ET_EXEC_EXECVEAT;
    f_int(d, "fd", b->fd, has_fd ? ET_TEXT_ARG : ET_TEXT_NONE);
    f_str(d, "path", path, len, b->kind == ET_EXEC_FEXECVE ? ET_TEXT_NONE : ET_TEXT_ARG);
    f_argv(d, &tail, b->argv_count, b->argc, b->flags & ET_EXEC_ARGV_TRUNCATED, ET_TEXT_ARG);
    if (links && links->exec_outcome_known) {
        const struct et_record *o = links->exec_outcome;
        if (!o) {
            f_name(d, "outcome", "unknown", ET_TEXT_NONE);
            f_text(d, "?", ET_TEXT_RESULT);
            f_text(d, "(no new image recorded: the program does not load the shim, or the process died)",
                   ET_TEXT_RESULT);
        } else if (o->type == ET_REC_EXEC_FAILED) {
            f_name(d, "outcome", "failed", ET_TEXT_NONE);
            f_result(d, ((const struct et_exec_failed *)et_body(o))->result, o->err);
        } else {
            f_name(d, "outcome", "success", ET_TEXT_NONE);
            f_result(d, 0, 0);
        }
    }
    f_env(d, b->flags);
}

static void decode_exec_failed(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_exec_failed *b = et_body(r);
    d->head = make(d, "<... %s returned>", et_exec_kind_name(b->kind));
    f_name(d, "call", et_exec_kind_name(b->kind), ET_TEXT_NONE);
    f_result(d, b->result, r->err);
}

static void decode_signal(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_signal *b = et_body(r);
    d->head = et_signal_kind_name(b->kind);
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    if (b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL) {
        f_int(d, "pidfd", b->pidfd, ET_TEXT_ARG);
        if (b->pidfd_pid >= 0)
            d->f[d->n - 1].suffix = make(d, " [pid %d]", b->pidfd_pid);
        f_int(d, "pidfd_pid", b->pidfd_pid, ET_TEXT_NONE);
    }
    f_int(d, "target", b->target, b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL ? ET_TEXT_NONE : ET_TEXT_ARG);
    if (b->kind == ET_SIGNAL_TGKILL)
        f_int(d, "target_tid", b->target_tid, ET_TEXT_ARG);
    f_int(d, "signal", b->sig, ET_TEXT_NONE);
    f_name(d, "signal_name", signal_name(d, b->sig), ET_TEXT_ARG);
    f_result(d, b->result, r->err);
}

static void decode_pidfd_open(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_pidfd_open *b = et_body(r);
    d->head = "pidfd_open";
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    f_int(d, "target", b->pid, ET_TEXT_ARG);
    f_uint(d, NULL, b->flags, ET_TEXT_ARG);
    f_result(d, b->result, r->err);
}

/* The result of a wait: what it reaped, or the waitid siginfo. */
static void wait_result(const struct et_record *r, struct et_decoded *d)
{
    const struct et_wait_return *b = et_body(r);
    f_result(d, b->result, r->err);
    if (b->kind == ET_WAIT_WAITID) {
        if (b->result == 0 && b->info_pid) {
            f_int(d, "child_pid", b->info_pid, ET_TEXT_NONE);
            f_name(d, "code", et_cld_code_name(b->info_code), ET_TEXT_NONE);
            f_int(d, "child_status", b->info_status, ET_TEXT_NONE);
            f_text(d,
                   make(d, "{pid %d, %s, %s %d}", b->info_pid, et_cld_code_name(b->info_code),
                        b->info_code == ET_CLD_EXITED ? "status" : "signal", b->info_status),
                   ET_TEXT_AFTER);
        } else if (b->result == 0) {
            f_text(d, "{no child ready}", ET_TEXT_AFTER);
        }
    } else if (b->result > 0) {
        f_int(d, "status_raw", b->status, ET_TEXT_NONE);
        f_status(d, "status", b->status, ET_TEXT_AFTER);
    }
}

static void decode_wait_enter(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    const struct et_wait_enter *b = et_body(r);
    d->head = et_wait_kind_name(b->kind);
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    bool waitid = b->kind == ET_WAIT_WAITID;
    if (waitid)
        f_name(d, "idtype", et_idtype_name(b->idtype), ET_TEXT_ARG);
    f_int(d, "id", b->id, b->kind == ET_WAIT_WAIT || b->kind == ET_WAIT_WAIT3 ? ET_TEXT_NONE : ET_TEXT_ARG);
    f_name(d, "options", flags(d, (unsigned)b->options, et_wait_option_names),
           b->kind == ET_WAIT_WAIT ? ET_TEXT_NONE : ET_TEXT_ARG);
    if (links && links->wait_return) {
        /* Shown on one line, as strace does when nothing came between:
         * the return's fields are the text's only. */
        unsigned first = d->n;
        wait_result(links->wait_return, d);
        for (unsigned i = first; i < d->n; i++)
            d->f[i].key = NULL;
    } else {
        f_text(d, "<unfinished ...>", ET_TEXT_NOTE);
    }
}

static void decode_wait_return(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_wait_return *b = et_body(r);
    d->head = make(d, "<... %s resumed>", et_wait_kind_name(b->kind));
    f_name(d, "call", et_wait_kind_name(b->kind), ET_TEXT_NONE);
    wait_result(r, d);
}

static size_t put_int(char *p, int64_t v)
{
    if (v >= 0)
        return et_decimal(p, (uint64_t)v);
    *p = '-';
    return 1 + et_decimal(p + 1, 0 - (uint64_t)v);
}

/* "[3 r, 4 w] pipe:[1234]", without make()'s formatting: one per pipe call. */
static const char *pipe_pair(struct et_decoded *d, const struct et_pipe *b)
{
    char text[80]; /* the longest is 59 bytes */
    size_t n = 0;
    text[n++] = '[';
    n += put_int(text + n, b->read_fd);
    memcpy(text + n, " r, ", 4);
    n += 4;
    n += put_int(text + n, b->write_fd);
    memcpy(text + n, " w] pipe:[", 10);
    n += 10;
    n += et_decimal(text + n, b->inode);
    text[n++] = ']';
    text[n] = 0;
    return keep(d, text);
}

static void decode_pipe(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_pipe *b = et_body(r);
    d->head = b->kind == ET_PIPE_PIPE2 ? "pipe2" : "pipe";
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    f_int(d, "read_fd", b->read_fd, ET_TEXT_NONE);
    f_int(d, "write_fd", b->write_fd, ET_TEXT_NONE);
    f_uint(d, "inode", b->inode, ET_TEXT_NONE);
    f_text(d, b->result == 0 ? pipe_pair(d, b) : "...", ET_TEXT_ARG);
    f_name(d, "flags", flags(d, (unsigned)b->flags, et_open_flag_names),
           b->kind == ET_PIPE_PIPE2 ? ET_TEXT_ARG : ET_TEXT_NONE);
    f_result(d, b->result, r->err);
}

static void decode_close(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_close *b = et_body(r);
    d->head = "close";
    d->call = true;
    f_fd(d, "fd", b->fd, &b->pipe, "pipe");
    f_result(d, b->result, r->err);
}

static void decode_close_range(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_close_range *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const struct et_pipe_end *ends = et_tail_array(&tail, b->pipe_count, sizeof(*ends));
    bool closefrom = b->kind == ET_CLOSEFROM;
    d->head = closefrom ? "closefrom" : "close_range";
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    f_uint(d, "first", b->first, ET_TEXT_ARG);
    f_uint(d, "last", b->last, closefrom ? ET_TEXT_NONE : ET_TEXT_ARG);
    f_name(d, "flags", flags(d, b->flags, et_close_range_flag_names), closefrom ? ET_TEXT_NONE : ET_TEXT_ARG);
    /* closefrom returns nothing. */
    f_int(d, "result", b->result, closefrom ? ET_TEXT_NONE : ET_TEXT_RESULT);
    f_errno(d, r->err, closefrom ? ET_TEXT_NONE : ET_TEXT_RESULT);
    struct et_field *f = f_pipes(d, "pipes", ends, b->pipe_count, ends && b->pipe_count ? ET_TEXT_AFTER : ET_TEXT_NONE);
    f->label = (b->flags & ET_CLOSE_RANGE_CLOEXEC) ? " marked close-on-exec " : " closed ";
}

static void decode_dup(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_dup *b = et_body(r);
    bool fcntl = b->kind == ET_DUP_FCNTL_DUPFD || b->kind == ET_DUP_FCNTL_DUPFD_CLOEXEC;
    const char *command = b->kind == ET_DUP_FCNTL_DUPFD ? "F_DUPFD" : "F_DUPFD_CLOEXEC";
    d->head = et_dup_kind_name(b->kind);
    d->call = true;
    f_name(d, "call", fcntl ? make(d, "fcntl(%s)", command) : d->head, ET_TEXT_NONE);
    f_fd(d, "oldfd", b->oldfd, &b->source, NULL);
    if (fcntl) {
        f_text(d, command, ET_TEXT_ARG);
        f_int(d, "newfd", b->newfd, ET_TEXT_ARG);
    } else if (b->kind == ET_DUP_DUP2 || b->kind == ET_DUP_DUP3) {
        f_fd(d, "newfd", b->newfd, &b->replaced, NULL);
    } else {
        f_int(d, "newfd", b->newfd, ET_TEXT_NONE);
    }
    if (b->kind == ET_DUP_DUP3)
        f_name(d, "flags", flags(d, (unsigned)b->flags, et_open_flag_names), ET_TEXT_ARG);
    f_result(d, b->result, r->err);
    f_pipe(d, "source", &b->source);
    f_pipe(d, "replaced", &b->replaced);
    if (b->replaced.fd >= 0 && b->result >= 0)
        f_text(d, "(replaced a pipe end)", ET_TEXT_NOTE);
}

static void decode_set_cloexec(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_set_cloexec *b = et_body(r);
    d->head = "fcntl";
    d->call = true;
    f_fd(d, "fd", b->fd, &b->pipe, "pipe");
    f_text(d, "F_SETFD", ET_TEXT_ARG);
    bool cloexec = b->fd_flags & ET_FD_CLOEXEC;
    f_bool(d, "cloexec", cloexec);
    f_text(d, cloexec ? "FD_CLOEXEC" : "0", ET_TEXT_ARG);
    f_result(d, b->result, r->err);
}

static void decode_setpgid(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_setpgid *b = et_body(r);
    bool setpgrp = b->kind == ET_SETPGID_SETPGRP;
    d->head = setpgrp ? "setpgrp" : "setpgid";
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    f_int(d, "target", b->pid, setpgrp ? ET_TEXT_NONE : ET_TEXT_ARG);
    f_int(d, "pgid", b->pgid, setpgrp ? ET_TEXT_NONE : ET_TEXT_ARG);
    f_result(d, b->result, r->err);
}

static void decode_setsid(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    d->head = "setsid";
    d->call = true;
    f_result(d, ((const struct et_setsid *)et_body(r))->result, r->err);
}

static void decode_prctl(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_prctl *b = et_body(r);
    d->head = "prctl";
    d->call = true;
    f_name(d, "option", et_prctl_option_name(b->option), ET_TEXT_ARG);
    if (b->option == ET_PR_SET_PDEATHSIG && b->arg2) {
        f_name(d, NULL, signal_name(d, (int)b->arg2), ET_TEXT_ARG);
        f_uint(d, "arg2", b->arg2, ET_TEXT_NONE);
    } else {
        f_uint(d, "arg2", b->arg2, ET_TEXT_ARG);
    }
    f_result(d, b->result, r->err);
}

static void decode_sigchld_action(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_sigchld_action *b = et_body(r);
    /* SA_RESTORER is libc's business, not the program's. */
    const char *sa_flags = flags(d, b->sa_flags & ~(uint32_t)ET_SA_RESTORER, et_sa_flag_names);
    d->head = et_sigchld_call_name(b->call);
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    f_text(d, "SIGCHLD", ET_TEXT_ARG);
    f_name(d, "disposition", et_disposition_name(b->disposition),
           b->call == ET_SIGCHLD_SIGACTION ? ET_TEXT_NONE : ET_TEXT_ARG);
    f_name(d, "sa_flags", sa_flags, ET_TEXT_NONE);
    if (b->call == ET_SIGCHLD_SIGACTION)
        f_text(d, make(d, "{%s, %s}", et_disposition_name(b->disposition), sa_flags), ET_TEXT_ARG);
    f_result(d, b->result, r->err);
}

/* read(3 pipe:[N] r) = 0 end-of-file */
static void decode_pipe_eof(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_pipe_eof *b = et_body(r);
    const char *call = et_syscall_name(b->call);
    d->head = call ? call : "read";
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    f_fd(d, "fd", b->pipe.fd, &b->pipe, "pipe");
    f_int(d, "result", 0, ET_TEXT_RESULT);
    f_text(d, "end-of-file", ET_TEXT_NOTE);
}

/* poll([3 pipe:[N] r]) = 1 after 2.013 s, ready: 3 */
static void decode_pipe_wait(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_pipe_wait *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const struct et_pipe_end *ends = et_tail_array(&tail, b->count, sizeof(*ends));
    const char *call = et_syscall_name(b->call);
    d->head = call ? call : "wait";
    d->call = true;
    f_name(d, "call", d->head, ET_TEXT_NONE);
    f_pipes(d, "pipes", ends, b->count, ET_TEXT_ARG);
    if (b->flags & ET_PIPE_WAIT_TRUNCATED)
        f_text(d, "...", ET_TEXT_ARG);
    f_bool(d, "truncated", b->flags & ET_PIPE_WAIT_TRUNCATED);
    f_result(d, b->result, r->err);
    f_uint(d, "began_ns", b->began_ns, ET_TEXT_NONE);
    uint64_t waited = r->ts_ns > b->began_ns ? r->ts_ns - b->began_ns : 0;
    f_uint(d, "waited_ns", waited, ET_TEXT_NONE);
    char ready[96] = "";
    size_t used = 0;
    for (unsigned i = 0; ends && i < b->count && used + 16 < sizeof(ready); i++)
        if (ends[i].flags & ET_PIPE_WAIT_READY)
            used += (size_t)snprintf(ready + used, sizeof(ready) - used, "%s%d%s", used ? " " : "", ends[i].fd,
                                     (ends[i].flags & ET_PIPE_WAIT_HANGUP) ? " (hangup)" : "");
    f_name(d, "ready", keep(d, ready), ET_TEXT_NONE);
    f_text(d, make(d, "after %.3f s blocked%s%s", (double)waited / 1e9, used ? ", ready: " : "", ready),
           ET_TEXT_NOTE);
}

static void decode_reaped(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_reaped *b = et_body(r);
    bool command = b->role == ET_REAPED_COMMAND;
    d->head = "exectrace reaped";
    f_int(d, "reaped_pid", b->pid, ET_TEXT_ARG);
    f_uint(d, "reaped_start_time", b->start_time, ET_TEXT_NONE);
    f_name(d, "role", command ? "command" : "orphan", ET_TEXT_NONE);
    f_text(d, command ? "(the command)" : "(orphan)", ET_TEXT_ARG);
    f_int(d, "status_raw", b->status, ET_TEXT_NONE);
    f_status(d, "status", b->status, ET_TEXT_ARG);
}

static void decode_run_end(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_run_end *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const int32_t *left = et_tail_array(&tail, b->left_running, sizeof(int32_t));
    d->head = "exectrace stopped: command";
    f_int(d, "command_pid", b->command_pid, ET_TEXT_ARG);
    f_status(d, "command_status", b->command_status, ET_TEXT_ARG);
    struct et_field *f = add(d, "orphans_reaped", ET_V_UINT, ET_TEXT_AFTER);
    f->v.u = b->orphans_reaped;
    f->label = ", ";
    f->suffix = " orphans reaped";
    f = add(d, "left_running", ET_V_PIDS, left && b->left_running ? ET_TEXT_AFTER : ET_TEXT_NONE);
    f->v.list.v = left;
    f->v.list.n = left ? b->left_running : 0;
    f->label = ", left running ";
}

/* A process state as /proc gives it: a letter; anything else from a
 * damaged file shows as '?'. */
static char state_letter(uint8_t c)
{
    return c >= 'A' && c <= 'z' ? (char)c : '?';
}

static const char *snapshot_reason(unsigned reason)
{
    static const char *const names[] = {"?", "hang", "requested", "interrupt", "checkpoint"};
    return names[reason < 5 ? reason : 0];
}

static void decode_snapshot(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_snapshot *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const struct et_snapshot_thread *threads = et_tail_array(&tail, b->thread_count, sizeof(*threads));
    const struct et_pipe_end *pipes = et_tail_array(&tail, b->pipe_count, sizeof(*pipes));
    size_t comm_len;
    const char *comm = tail_str(&tail, &comm_len);
    d->head = "snapshot";
    struct et_field *f = add(d, "snapshot", ET_V_UINT, ET_TEXT_ARG);
    f->v.u = b->snapshot;
    f->label = "#";
    f_name(d, "reason", snapshot_reason(b->reason), ET_TEXT_NONE);
    f_text(d, make(d, "(%s)", snapshot_reason(b->reason)), ET_TEXT_ARG);
    f_name(d, "state", make(d, "%c", state_letter(b->state)), ET_TEXT_ARG)->label = "state ";
    f_str(d, "comm", comm, comm_len, ET_TEXT_ARG);
    f_uint(d, "ppid", b->ppid, ET_TEXT_KEY);
    f_uint(d, "pgid", b->pgid, ET_TEXT_KEY);
    f_uint(d, "sid", b->sid, ET_TEXT_KEY);
    f = add(d, "threads", ET_V_THREADS, threads && b->thread_count ? ET_TEXT_KEY : ET_TEXT_NONE);
    f->v.threads.v = threads;
    f->v.threads.n = threads ? b->thread_count : 0;
    f->v.threads.wchans = tail;
    f_pipes(d, "pipes", pipes, b->pipe_count, pipes && b->pipe_count ? ET_TEXT_KEY : ET_TEXT_NONE);
    if (b->flags & ET_SNAP_COMMAND_PROC) {
        f_bool(d, "command", true);
        f_text(d, "(the command)", ET_TEXT_NOTE);
    }
    if (!(b->flags & ET_SNAP_HAS_COMMAND))
        return;
    /* A checkpoint's command line, after the threads' wchans. */
    for (unsigned k = 0; k < b->thread_count; k++)
        tail_str(&tail, &comm_len);
    size_t exe_len;
    const char *exe = tail_str(&tail, &exe_len);
    f_str(d, "exe", exe, exe_len, ET_TEXT_KEY);
    f_argv(d, &tail, b->argv_count, b->argv_count, b->flags & ET_SNAP_ARGV_TRUNCATED, ET_TEXT_KEY);
}

static void decode_module(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_module *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const uint8_t *id = et_tail_array(&tail, b->build_id_len, 1);
    size_t len;
    const char *path = tail_str(&tail, &len);
    d->head = "loaded";
    f_str(d, "path", path, len, ET_TEXT_ARG);
    f_text(d, make(d, "at 0x%" PRIx64 "-0x%" PRIx64, b->start, b->end), ET_TEXT_ARG);
    f_uint(d, "start", b->start, ET_TEXT_NONE);
    f_uint(d, "end", b->end, ET_TEXT_NONE);
    f_uint(d, "load_bias", b->load_bias, ET_TEXT_NONE);
    f_bool(d, "main", b->flags & ET_MODULE_MAIN);
    if (b->flags & ET_MODULE_MAIN)
        f_text(d, "(the program)", ET_TEXT_ARG);
    struct et_field *f = add(d, "build_id", ET_V_HEXBYTES, id && b->build_id_len ? ET_TEXT_AFTER : ET_TEXT_NONE);
    f->v.list.v = id;
    f->v.list.n = id ? b->build_id_len : 0;
    f->label = " build-id ";
}

static void decode_recorder(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    (void)links;
    const struct et_recorder *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    size_t len;
    const char *why = tail_str(&tail, &len);
    d->head = "ptrace recorder";
    f_name(d, "state", et_recorder_state_name(b->state), ET_TEXT_ARG);
    if (b->filter) {
        f_name(d, "filter", et_recorder_filter_name(b->filter), ET_TEXT_NONE);
        if (b->state == ET_RECORDER_ON)
            f_text(d, make(d, "(%s filter)", et_recorder_filter_name(b->filter)), ET_TEXT_ARG);
    }
    if (why && len) {
        f_str(d, "why", why, len, ET_TEXT_AFTER);
        d->f[d->n - 1].label = ": ";
    }
}

static decode_fn *const decoders[ET_REC_TYPE_COUNT] = {
    [ET_REC_IMAGE_START] = decode_start,
    [ET_REC_IMAGE_EXIT] = decode_exit,
    [ET_REC_FORK] = decode_fork,
    [ET_REC_SPAWN] = decode_spawn,
    [ET_REC_SPAWN_ACTION] = decode_spawn_action,
    [ET_REC_EXEC] = decode_exec,
    [ET_REC_EXEC_FAILED] = decode_exec_failed,
    [ET_REC_SIGNAL] = decode_signal,
    [ET_REC_PIDFD_OPEN] = decode_pidfd_open,
    [ET_REC_WAIT_ENTER] = decode_wait_enter,
    [ET_REC_WAIT_RETURN] = decode_wait_return,
    [ET_REC_PIPE] = decode_pipe,
    [ET_REC_CLOSE] = decode_close,
    [ET_REC_CLOSE_RANGE] = decode_close_range,
    [ET_REC_DUP] = decode_dup,
    [ET_REC_SET_CLOEXEC] = decode_set_cloexec,
    [ET_REC_SETPGID] = decode_setpgid,
    [ET_REC_SETSID] = decode_setsid,
    [ET_REC_PRCTL] = decode_prctl,
    [ET_REC_SIGCHLD_ACTION] = decode_sigchld_action,
    [ET_REC_REAPED] = decode_reaped,
    [ET_REC_RUN_END] = decode_run_end,
    [ET_REC_SNAPSHOT] = decode_snapshot,
    [ET_REC_MODULE] = decode_module,
    [ET_REC_RECORDER] = decode_recorder,
    [ET_REC_PIPE_EOF] = decode_pipe_eof,
    [ET_REC_PIPE_WAIT] = decode_pipe_wait,
};

bool et_decoder_exists(unsigned type)
{
    return type < ET_REC_TYPE_COUNT && decoders[type];
}

void et_decode(const struct et_record *r, const struct et_decode_links *links, struct et_decoded *d)
{
    d->r = r;
    d->n = 0;
    d->used = 0;
    d->call = false;
    d->event = et_record_type_name(r->type);
    if (r->type < ET_REC_TYPE_COUNT && decoders[r->type]) {
        decoders[r->type](r, links, d);
        return;
    }
    /* A type this analyzer does not know: what the header says. */
    d->head = make(d, "unknown record type %u (%u bytes)", r->type, r->size);
    f_uint(d, "type", r->type, ET_TEXT_NONE);
    f_uint(d, "size", r->size, ET_TEXT_NONE);
}

bool et_wait_return_reaped(const struct et_record *r, int32_t *pid, int *status)
{
    const struct et_wait_return *b = et_body(r);
    if (b->kind == ET_WAIT_WAITID) {
        if (b->result != 0 || b->info_pid <= 0 || (b->options & ET_WNOWAIT) ||
            !(b->info_code == ET_CLD_EXITED || b->info_code == ET_CLD_KILLED || b->info_code == ET_CLD_DUMPED))
            return false;
        *pid = b->info_pid;
        /* The file's value is untrusted: only its low bits are shifted. */
        *status = b->info_code == ET_CLD_EXITED ? (b->info_status & 0xff) << 8
                                                : (b->info_status & 0x7f) | (b->info_code == ET_CLD_DUMPED ? 0x80 : 0);
        return true;
    }
    /* Exited (low 7 bits 0) or killed (neither 0 nor 0x7f, the stop mark). */
    int low = b->status & 0x7f;
    if (b->result <= 0 || low == 0x7f)
        return false;
    *pid = b->result;
    *status = b->status;
    return true;
}
