#define _GNU_SOURCE
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/close_range.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli.h"
#include "names.h"
#include "output.h"
#include "procmap.h"
#include "symbols.h"

struct collect {
    struct et_event_list *list;
    size_t cap;
    int failed;
};

static int collect_one(const struct et_record *r, uint64_t offset, void *ctx)
{
    struct collect *c = ctx;
    if (c->list->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 1024;
        struct et_event *v = realloc(c->list->v, cap * sizeof(*v));
        if (!v) {
            c->failed = -ENOMEM;
            return 1;
        }
        c->list->v = v;
        c->cap = cap;
    }
    c->list->v[c->list->n++] = (struct et_event){r, offset, -1, false};
    return 0;
}

static int by_time(const void *a, const void *b)
{
    const struct et_event *x = a, *y = b;
    if (x->r->ts_ns != y->r->ts_ns)
        return x->r->ts_ns < y->r->ts_ns ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Indexes ordered by process identity, then time: each process's own
 * sequence of events. */
static const struct et_event *sort_base;
static int by_process(const void *a, const void *b)
{
    const struct et_record *x = sort_base[*(const size_t *)a].r, *y = sort_base[*(const size_t *)b].r;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    if (x->start_time != y->start_time)
        return x->start_time < y->start_time ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* An exec ends either in its failure record or in the start record of the
 * image it made: same pid and start time (exec keeps both). */
static int link_exec_outcomes(struct et_event_list *list)
{
    size_t *idx = malloc((list->n ? list->n : 1) * sizeof(*idx));
    if (!idx)
        return -ENOMEM;
    for (size_t i = 0; i < list->n; i++)
        idx[i] = i;
    sort_base = list->v;
    qsort(idx, list->n, sizeof(*idx), by_process);

    int64_t pending = -1;
    for (size_t k = 0; k < list->n; k++) {
        struct et_event *e = &list->v[idx[k]];
        if (k > 0) {
            const struct et_record *prev = list->v[idx[k - 1]].r;
            if (prev->pid != e->r->pid || prev->start_time != e->r->start_time)
                pending = -1;
        }
        switch (e->r->type) {
        case ET_REC_EXEC:
            pending = (int64_t)idx[k];
            break;
        case ET_REC_EXEC_FAILED:
            if (pending >= 0) {
                list->v[pending].outcome = (int64_t)idx[k];
                e->merged = true;
                pending = -1;
            }
            break;
        case ET_REC_IMAGE_START:
            if (pending >= 0 && ((const struct et_image_start *)et_body(e->r))->origin == ET_ORIGIN_EXEC)
                list->v[pending].outcome = (int64_t)idx[k];
            pending = -1;
            break;
        default:
            break;
        }
    }
    free(idx);
    return 0;
}

int et_events_load(struct et_trace *t, struct et_event_list *list)
{
    list->v = NULL;
    list->n = 0;
    struct collect c = {list, 0, 0};
    et_trace_scan(t, collect_one, &c);
    if (c.failed)
        return c.failed;
    if (list->n)
        qsort(list->v, list->n, sizeof(*list->v), by_time);
    return link_exec_outcomes(list);
}

void et_events_free(struct et_event_list *list)
{
    free(list->v);
    list->v = NULL;
    list->n = 0;
}

size_t et_events_count_processes(const struct et_trace *t, const struct et_event_list *list)
{
    struct et_procmap seen;
    et_procmap_init(&seen);
    for (size_t i = 0; i < list->n; i++) {
        const struct et_record *r = list->v[i].r;
        if (t->hdr && r->pid == t->hdr->launcher_pid && r->start_time == t->hdr->launcher_start_time)
            continue;
        int inserted;
        et_procmap_get_or_put(&seen, r->pid, r->start_time, 0, &inserted);
    }
    size_t n = seen.count;
    et_procmap_free(&seen);
    return n;
}

/* ---- printing ------------------------------------------------------------ */

struct printer {
    FILE *out;
    const struct et_trace *t;
    const struct et_event_list *list;
    bool json;
    struct et_symbols *symbols; /* --stacks */
    char buf[256];
    char buf2[256];
};

static const char *errname(struct printer *p, int err)
{
    return et_errno_name(err, p->buf2, sizeof(p->buf2));
}

static const char *signame(struct printer *p, int sig)
{
    return et_signal_name(sig, p->buf2, sizeof(p->buf2));
}

/* "= 0", "= -1 ENOENT (No such file or directory)". */
static void text_result(struct printer *p, long result, int err)
{
    if (err)
        fprintf(p->out, " = %ld %s (%s)", result, errname(p, err), strerror(err));
    else
        fprintf(p->out, " = %ld", result);
}

static void text_pipe_end(struct printer *p, const struct et_pipe_end *e)
{
    const char *end = (e->flags & ET_PIPE_READ) && (e->flags & ET_PIPE_WRITE) ? "rw"
                      : (e->flags & ET_PIPE_READ)                             ? "r"
                                                                              : "w";
    fprintf(p->out, "%d %s:[%" PRIu64 "] %s%s", e->fd, (e->flags & ET_PIPE_FIFO) ? "fifo" : "pipe", e->inode, end,
            (e->flags & ET_PIPE_CLOEXEC) ? " cloexec" : "");
}

static void text_fd(struct printer *p, int fd, const struct et_pipe_end *e)
{
    if (e->fd >= 0)
        text_pipe_end(p, e);
    else
        fprintf(p->out, "%d", fd);
}

static void text_argv(struct printer *p, struct et_tail *tail, unsigned count, uint32_t argc, bool truncated)
{
    fputc('[', p->out);
    for (unsigned i = 0; i < count; i++) {
        const char *s;
        uint16_t len;
        if (!et_tail_str(tail, &s, &len))
            break;
        if (i)
            fputs(", ", p->out);
        et_print_quoted(p->out, s, len);
    }
    if (truncated || argc > count)
        fprintf(p->out, "%s... %u in all", count ? ", " : "", argc);
    fputc(']', p->out);
}

static void text_env(struct printer *p, unsigned flags)
{
    if (flags & (ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE | ET_ENV_ADDED_STACK_DEPTH))
        fprintf(p->out, " [put back into the environment: %s%s%s%s%s]",
                (flags & ET_ENV_ADDED_PRELOAD) ? "LD_PRELOAD" : "",
                (flags & ET_ENV_ADDED_PRELOAD) && (flags & ET_ENV_ADDED_FILE) ? ", " : "",
                (flags & ET_ENV_ADDED_FILE) ? "EXECTRACE_FILE" : "",
                (flags & ET_ENV_ADDED_STACK_DEPTH) && (flags & (ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE)) ? ", " : "",
                (flags & ET_ENV_ADDED_STACK_DEPTH) ? "EXECTRACE_STACK_DEPTH" : "");
    if (flags & ET_ENV_NOT_ADDED_SETUID)
        fputs(" [environment lacks the shim; not put back: set-id program]", p->out);
}

static void text_start(struct printer *p, const struct et_record *r)
{
    const struct et_image_start *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const struct et_pipe_end *pipes = et_tail_array(&tail, b->pipe_count, sizeof(*pipes));
    const char *exe;
    uint16_t exe_len;
    et_tail_str(&tail, &exe, &exe_len);

    fprintf(p->out, "start %s", et_origin_name(b->origin));
    if (b->origin == ET_ORIGIN_EXEC || b->origin == ET_ORIGIN_LAUNCHER) {
        fputc(' ', p->out);
        et_print_quoted(p->out, exe, exe_len);
        fputc(' ', p->out);
        text_argv(p, &tail, b->argv_count, b->argc, b->flags & ET_START_ARGV_TRUNCATED);
    }
    fprintf(p->out, " ppid=%u pgid=%u sid=%u", b->ppid, b->pgid, b->sid);
    if (b->uid != b->euid)
        fprintf(p->out, " uid=%u euid=%u", b->uid, b->euid);
    if (pipes && b->pipe_count) {
        fputs(" pipes=[", p->out);
        for (unsigned i = 0; i < b->pipe_count; i++) {
            if (i)
                fputs(", ", p->out);
            text_pipe_end(p, &pipes[i]);
        }
        fputc(']', p->out);
    }
    if (b->flags & ET_START_PIPES_TRUNCATED)
        fputs(" (more pipe ends than recorded)", p->out);
    if (b->flags & ET_START_NO_FD_SCAN)
        fputs(" (no /proc: fds 0-255 checked)", p->out);
    if (b->flags & ET_START_GO)
        fputs(" (a Go program)", p->out);
}

static void text_exec(struct printer *p, const struct et_record *r, const struct et_record *outcome)
{
    const struct et_exec *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const char *path;
    uint16_t path_len;
    et_tail_str(&tail, &path, &path_len);

    fprintf(p->out, "%s(", et_exec_kind_name(b->kind));
    if (b->kind == ET_EXEC_FEXECVE) {
        fprintf(p->out, "%d, ", b->fd);
    } else {
        if (b->kind == ET_EXEC_EXECVEAT)
            fprintf(p->out, "%d, ", b->fd);
        et_print_quoted(p->out, path, path_len);
        fputs(", ", p->out);
    }
    text_argv(p, &tail, b->argv_count, b->argc, b->flags & ET_EXEC_ARGV_TRUNCATED);
    fputc(')', p->out);
    if (!outcome)
        fputs(" = ? (no new image recorded: the program does not load the shim, or the process died)", p->out);
    else if (outcome->type == ET_REC_EXEC_FAILED)
        text_result(p, ((const struct et_exec_failed *)et_body(outcome))->result, outcome->err);
    else
        fputs(" = 0", p->out);
    text_env(p, b->flags);
}

/* A process state as /proc gives it: a letter; anything else from a
 * damaged file shows as '?'. */
static char printable_state(uint8_t c)
{
    return c >= 'A' && c <= 'z' ? (char)c : '?';
}

static const char *snapshot_reason(unsigned reason)
{
    static const char *const names[] = {"?", "hang", "requested", "interrupt"};
    return names[reason < 4 ? reason : 0];
}

/* "snapshot #1 (hang) S ppid=1 pgid=1 sid=1 "comm" threads=[1234 S read(3, ...) wchan anon_pipe_read]
 * pipes=[...]" */
static void text_snapshot(struct printer *p, const struct et_record *r)
{
    const struct et_snapshot *b = et_body(r);
    struct et_tail tail = et_tail_of(r);
    const struct et_snapshot_thread *threads = et_tail_array(&tail, b->thread_count, sizeof(*threads));
    const struct et_pipe_end *pipes = et_tail_array(&tail, b->pipe_count, sizeof(*pipes));
    const char *comm;
    uint16_t comm_len;
    et_tail_str(&tail, &comm, &comm_len);
    fprintf(p->out, "snapshot #%u (%s) state %c ppid=%u pgid=%u sid=%u ", b->snapshot, snapshot_reason(b->reason),
            printable_state(b->state), b->ppid, b->pgid, b->sid);
    et_print_quoted(p->out, comm, comm_len);
    if (threads && b->thread_count) {
        fputs(" threads=[", p->out);
        for (unsigned k = 0; k < b->thread_count; k++) {
            const struct et_snapshot_thread *t = &threads[k];
            const char *wchan;
            uint16_t wlen;
            et_tail_str(&tail, &wchan, &wlen);
            fprintf(p->out, "%s%d %c ", k ? ", " : "", t->tid, printable_state(t->state));
            const char *name = et_syscall_name(t->syscall);
            if (t->syscall == ET_SYSCALL_RUNNING)
                fputs("not in a system call", p->out);
            else if (t->syscall == ET_SYSCALL_UNKNOWN)
                fputs("system call unknown", p->out);
            else if (name && et_syscall_first_arg_is_int(t->syscall))
                fprintf(p->out, "%s(%d, 0x%" PRIx64 ", 0x%" PRIx64 ")", name, (int32_t)t->args[0], t->args[1],
                        t->args[2]);
            else if (name)
                fprintf(p->out, "%s(0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ")", name, t->args[0], t->args[1],
                        t->args[2]);
            else
                fprintf(p->out, "syscall %d", t->syscall);
            if (wlen) {
                fputs(" wchan ", p->out);
                et_print_quoted(p->out, wchan, wlen);
            }
        }
        fputc(']', p->out);
    }
    if (pipes && b->pipe_count) {
        fputs(" pipes=[", p->out);
        for (unsigned k = 0; k < b->pipe_count; k++) {
            if (k)
                fputs(", ", p->out);
            text_pipe_end(p, &pipes[k]);
        }
        fputc(']', p->out);
    }
}

static void text_wait_enter(struct printer *p, const struct et_record *r)
{
    const struct et_wait_enter *b = et_body(r);
    fprintf(p->out, "%s(", et_wait_kind_name(b->kind));
    if (b->kind == ET_WAIT_WAITID)
        fprintf(p->out, "%s, %" PRId64 ", %s", et_idtype_name(b->idtype), b->id,
                et_flags_string((unsigned)b->options, et_wait_option_names, p->buf, sizeof(p->buf)));
    else if (b->kind == ET_WAIT_WAIT)
        ;
    else if (b->kind == ET_WAIT_WAIT3)
        fprintf(p->out, "%s", et_flags_string((unsigned)b->options, et_wait_option_names, p->buf, sizeof(p->buf)));
    else
        fprintf(p->out, "%" PRId64 ", %s", b->id,
                et_flags_string((unsigned)b->options, et_wait_option_names, p->buf, sizeof(p->buf)));
    fputc(')', p->out);
}

static void text_wait_result(struct printer *p, const struct et_record *r)
{
    const struct et_wait_return *b = et_body(r);
    text_result(p, b->result, r->err);
    if (b->kind == ET_WAIT_WAITID) {
        if (b->result == 0 && b->info_pid)
            fprintf(p->out, " {pid %d, %s, %s %d}", b->info_pid, et_cld_code_name(b->info_code),
                    b->info_code == CLD_EXITED ? "status" : "signal", b->info_status);
        else if (b->result == 0)
            fputs(" {no child ready}", p->out);
    } else if (b->result > 0) {
        fprintf(p->out, " %s", et_wait_status_string(b->status, p->buf, sizeof(p->buf)));
    }
}

/* Under an event, with --stacks: its call site, a frame a line. */
static void text_stack(struct printer *p, const struct et_record *r)
{
    const uint64_t *pc;
    struct et_stack_trailer trailer;
    if (!et_record_stack(r, &pc, &trailer))
        return;
    if (trailer.frames == 0) {
        fprintf(p->out, "      (%s)\n", et_stack_missing_reason(r));
        return;
    }
    for (unsigned i = 0; i < trailer.frames; i++) {
        struct et_frame f;
        et_symbols_resolve(p->symbols, r, i, pc[i], &f);
        fputs(i ? "        called from " : "      at ", p->out);
        et_frame_print(p->out, &f);
        fputc('\n', p->out);
    }
    if (trailer.flags & ET_STACK_TRUNCATED)
        fputs("        ... (deeper frames not kept: EXECTRACE_STACK_DEPTH)\n", p->out);
}

/* One line for one record.  An exec is shown with its outcome (NULL: not
 * known); a wait's entry is shown with its return when that is given. */
static void text_record(struct printer *p, const struct et_record *r, const struct et_record *outcome,
                        const struct et_record *wait_return)
{
    const void *body = et_body(r);
    int64_t rel = (int64_t)(r->ts_ns - p->t->hdr->anchor_monotonic_ns);
    uint64_t mag = rel < 0 ? 0 - (uint64_t)rel : (uint64_t)rel; /* no -INT64_MIN */
    fprintf(p->out, "%c%" PRIu64 ".%06" PRIu64 " ", rel < 0 ? '-' : '+', mag / 1000000000u, mag % 1000000000u / 1000u);
    if (r->tid && r->tid != r->pid)
        fprintf(p->out, "[%u/%u] ", r->pid, r->tid);
    else
        fprintf(p->out, "[%u] ", r->pid);

    switch (r->type) {
    case ET_REC_IMAGE_START:
        text_start(p, r);
        break;
    case ET_REC_IMAGE_EXIT: {
        const struct et_image_exit *b = body;
        fprintf(p->out, "%s(%d)", et_exit_how_name(b->how), b->status);
        if (b->how == ET_EXIT_EXIT)
            fputs(" (exit or return from main)", p->out);
        break;
    }
    case ET_REC_FORK: {
        const struct et_fork *b = body;
        fprintf(p->out, "%s(", et_fork_kind_name(b->kind));
        if (b->kind == ET_FORK_CLONE)
            fputs(et_flags_string(b->clone_flags & ~0xffull, et_clone_flag_names, p->buf, sizeof(p->buf)), p->out);
        fputc(')', p->out);
        text_result(p, b->result, r->err);
        break;
    }
    case ET_REC_SPAWN: {
        const struct et_spawn *b = body;
        struct et_tail tail = et_tail_of(r);
        const char *path;
        uint16_t len;
        et_tail_str(&tail, &path, &len);
        fprintf(p->out, "%s(", et_spawn_kind_name(b->kind));
        et_print_quoted(p->out, path, len);
        fputs(", ", p->out);
        text_argv(p, &tail, b->argv_count, b->argc, b->flags & ET_SPAWN_ARGV_TRUNCATED);
        if (b->file_actions)
            fprintf(p->out, ", actions=0x%" PRIx64, b->file_actions);
        if (b->flags & ET_SPAWN_HAS_ATTR) {
            fprintf(p->out, ", flags=%s", et_flags_string(b->spawn_flags, et_spawn_flag_names, p->buf, sizeof(p->buf)));
            if (b->spawn_flags & POSIX_SPAWN_SETPGROUP)
                fprintf(p->out, ", pgroup=%d", b->pgroup);
        }
        fputc(')', p->out);
        if (b->result)
            fprintf(p->out, " = %s (%s)", errname(p, b->result), strerror(b->result));
        else
            fprintf(p->out, " = 0, child %d", b->child_pid);
        text_env(p, b->flags);
        break;
    }
    case ET_REC_SPAWN_ACTION: {
        const struct et_spawn_action *b = body;
        static const char *const ops[] = {"?", "addclose", "adddup2", "addclosefrom_np"};
        fprintf(p->out, "posix_spawn_file_actions_%s(0x%" PRIx64 ", ", ops[b->op < 4 ? b->op : 0], b->file_actions);
        text_fd(p, b->fd, &b->pipe);
        if (b->op == ET_SPAWN_ACTION_DUP2)
            fprintf(p->out, ", %d", b->newfd);
        fputc(')', p->out);
        if (b->result)
            fprintf(p->out, " = %s", errname(p, b->result));
        else
            fputs(" = 0", p->out);
        break;
    }
    case ET_REC_EXEC:
        text_exec(p, r, outcome);
        break;
    case ET_REC_EXEC_FAILED: {
        const struct et_exec_failed *b = body;
        fprintf(p->out, "<... %s returned>", et_exec_kind_name(b->kind));
        text_result(p, b->result, r->err);
        break;
    }
    case ET_REC_SIGNAL: {
        const struct et_signal *b = body;
        fprintf(p->out, "%s(", et_signal_kind_name(b->kind));
        if (b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL) {
            fprintf(p->out, "%d", b->pidfd);
            if (b->pidfd_pid >= 0)
                fprintf(p->out, " [pid %d]", b->pidfd_pid);
        } else if (b->kind == ET_SIGNAL_TGKILL) {
            fprintf(p->out, "%d, %d", b->target, b->target_tid);
        } else {
            fprintf(p->out, "%d", b->target);
        }
        fprintf(p->out, ", %s)", b->sig ? signame(p, b->sig) : "0");
        text_result(p, b->result, r->err);
        break;
    }
    case ET_REC_PIDFD_OPEN: {
        const struct et_pidfd_open *b = body;
        fprintf(p->out, "pidfd_open(%d, %u)", b->pid, b->flags);
        text_result(p, b->result, r->err);
        break;
    }
    case ET_REC_WAIT_ENTER: {
        text_wait_enter(p, r);
        if (wait_return)
            text_wait_result(p, wait_return);
        else
            fputs(" <unfinished ...>", p->out);
        break;
    }
    case ET_REC_WAIT_RETURN: {
        const struct et_wait_return *b = body;
        fprintf(p->out, "<... %s resumed>", et_wait_kind_name(b->kind));
        text_wait_result(p, r);
        break;
    }
    case ET_REC_PIPE: {
        const struct et_pipe *b = body;
        fprintf(p->out, "%s(", b->kind == ET_PIPE_PIPE2 ? "pipe2" : "pipe");
        if (b->result == 0)
            fprintf(p->out, "[%d r, %d w] pipe:[%" PRIu64 "]", b->read_fd, b->write_fd, b->inode);
        else
            fputs("...", p->out);
        if (b->kind == ET_PIPE_PIPE2)
            fprintf(p->out, ", %s", et_flags_string((unsigned)b->flags, et_open_flag_names, p->buf, sizeof(p->buf)));
        fputc(')', p->out);
        text_result(p, b->result, r->err);
        break;
    }
    case ET_REC_CLOSE: {
        const struct et_close *b = body;
        fputs("close(", p->out);
        text_fd(p, b->fd, &b->pipe);
        fputc(')', p->out);
        text_result(p, b->result, r->err);
        break;
    }
    case ET_REC_CLOSE_RANGE: {
        const struct et_close_range *b = body;
        struct et_tail tail = et_tail_of(r);
        const struct et_pipe_end *ends = et_tail_array(&tail, b->pipe_count, sizeof(*ends));
        if (b->kind == ET_CLOSEFROM) {
            fprintf(p->out, "closefrom(%u)", b->first);
        } else {
            fprintf(p->out, "close_range(%u, %u, %s)", b->first, b->last,
                    et_flags_string(b->flags, et_close_range_flag_names, p->buf, sizeof(p->buf)));
            text_result(p, b->result, r->err);
        }
        if (ends && b->pipe_count) {
            fputs((b->flags & CLOSE_RANGE_CLOEXEC) ? " marked close-on-exec [" : " closed [", p->out);
            for (unsigned i = 0; i < b->pipe_count; i++) {
                if (i)
                    fputs(", ", p->out);
                text_pipe_end(p, &ends[i]);
            }
            fputc(']', p->out);
        }
        break;
    }
    case ET_REC_DUP: {
        const struct et_dup *b = body;
        fprintf(p->out, "%s(", et_dup_kind_name(b->kind));
        text_fd(p, b->oldfd, &b->source);
        if (b->kind == ET_DUP_FCNTL_DUPFD || b->kind == ET_DUP_FCNTL_DUPFD_CLOEXEC)
            fprintf(p->out, ", %s, %d", b->kind == ET_DUP_FCNTL_DUPFD ? "F_DUPFD" : "F_DUPFD_CLOEXEC", b->newfd);
        if (b->kind == ET_DUP_DUP2 || b->kind == ET_DUP_DUP3) {
            fputs(", ", p->out);
            text_fd(p, b->newfd, &b->replaced);
        }
        if (b->kind == ET_DUP_DUP3)
            fprintf(p->out, ", %s", et_flags_string((unsigned)b->flags, et_open_flag_names, p->buf, sizeof(p->buf)));
        fputc(')', p->out);
        text_result(p, b->result, r->err);
        if (b->replaced.fd >= 0 && b->result >= 0)
            fputs(" (replaced a pipe end)", p->out);
        break;
    }
    case ET_REC_SET_CLOEXEC: {
        const struct et_set_cloexec *b = body;
        fputs("fcntl(", p->out);
        text_fd(p, b->fd, &b->pipe);
        fprintf(p->out, ", F_SETFD, %s)", (b->fd_flags & FD_CLOEXEC) ? "FD_CLOEXEC" : "0");
        text_result(p, b->result, r->err);
        break;
    }
    case ET_REC_SETPGID: {
        const struct et_setpgid *b = body;
        if (b->kind == ET_SETPGID_SETPGRP)
            fputs("setpgrp()", p->out);
        else
            fprintf(p->out, "setpgid(%d, %d)", b->pid, b->pgid);
        text_result(p, b->result, r->err);
        break;
    }
    case ET_REC_SETSID: {
        const struct et_setsid *b = body;
        fputs("setsid()", p->out);
        text_result(p, b->result, r->err);
        break;
    }
    case ET_REC_PRCTL: {
        const struct et_prctl *b = body;
        fprintf(p->out, "prctl(%s, ", et_prctl_option_name(b->option));
        if (b->option == PR_SET_PDEATHSIG && b->arg2)
            fputs(signame(p, (int)b->arg2), p->out);
        else
            fprintf(p->out, "%" PRIu64, b->arg2);
        fputc(')', p->out);
        text_result(p, b->result, r->err);
        break;
    }
    case ET_REC_SIGCHLD_ACTION: {
        const struct et_sigchld_action *b = body;
        if (b->call == ET_SIGCHLD_SIGACTION)
            fprintf(p->out, "sigaction(SIGCHLD, {%s, %s})", et_disposition_name(b->disposition),
                    et_flags_string(b->sa_flags & 0xffffffffu & ~0x04000000u /* SA_RESTORER */, et_sa_flag_names, p->buf,
                                    sizeof(p->buf)));
        else
            fprintf(p->out, "%s(SIGCHLD, %s)", et_sigchld_call_name(b->call), et_disposition_name(b->disposition));
        text_result(p, b->result, r->err);
        break;
    }
    case ET_REC_REAPED: {
        const struct et_reaped *b = body;
        fprintf(p->out, "exectrace reaped %d (%s) %s", b->pid, b->role == ET_REAPED_COMMAND ? "the command" : "orphan",
                et_wait_status_string(b->status, p->buf, sizeof(p->buf)));
        break;
    }
    case ET_REC_RUN_END: {
        const struct et_run_end *b = body;
        struct et_tail tail = et_tail_of(r);
        const int32_t *left = et_tail_array(&tail, b->left_running, sizeof(int32_t));
        fprintf(p->out, "exectrace stopped: command %d %s, %u orphans reaped", b->command_pid,
                et_wait_status_string(b->command_status, p->buf, sizeof(p->buf)), b->orphans_reaped);
        if (left && b->left_running) {
            fputs(", left running [", p->out);
            for (unsigned i = 0; i < b->left_running; i++)
                fprintf(p->out, "%s%d", i ? ", " : "", left[i]);
            fputc(']', p->out);
        }
        break;
    }
    case ET_REC_SNAPSHOT:
        text_snapshot(p, r);
        break;
    case ET_REC_MODULE: {
        const struct et_module *b = body;
        struct et_tail tail = et_tail_of(r);
        const uint8_t *id = et_tail_array(&tail, b->build_id_len, 1);
        const char *path;
        uint16_t len;
        et_tail_str(&tail, &path, &len);
        fputs("loaded ", p->out);
        et_print_quoted(p->out, path, len);
        fprintf(p->out, " at 0x%" PRIx64 "-0x%" PRIx64, b->start, b->end);
        if (b->flags & ET_MODULE_MAIN)
            fputs(" (the program)", p->out);
        if (id && b->build_id_len) {
            fputs(" build-id ", p->out);
            for (unsigned k = 0; k < b->build_id_len; k++)
                fprintf(p->out, "%02x", id[k]);
        }
        break;
    }
    case ET_REC_RECORDER: {
        const struct et_recorder *b = body;
        struct et_tail tail = et_tail_of(r);
        const char *why;
        uint16_t len;
        fprintf(p->out, "ptrace recorder %s", et_recorder_state_name(b->state));
        if (b->state == ET_RECORDER_ON && b->filter)
            fprintf(p->out, " (%s filter)", et_recorder_filter_name(b->filter));
        if (et_tail_str(&tail, &why, &len) && len) {
            fputs(": ", p->out);
            et_print_quoted(p->out, why, len);
        }
        break;
    }
    default:
        fprintf(p->out, "unknown record type %u (%u bytes)", r->type, r->size);
        break;
    }
    /* The process did not write it: the launcher saw the call stop. */
    if (r->flags & ET_RF_RECORDER)
        fputs("  (ptrace)", p->out);
    fputc('\n', p->out);
    if (p->symbols)
        text_stack(p, r);
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_key(struct printer *p, const char *key)
{
    fprintf(p->out, ",\"%s\":", key);
}

static void json_str(struct printer *p, const char *key, const char *s, size_t len)
{
    json_key(p, key);
    et_print_json_string(p->out, s, len);
}

static void json_cstr(struct printer *p, const char *key, const char *s)
{
    json_str(p, key, s, strlen(s));
}

static void json_int(struct printer *p, const char *key, long long v)
{
    fprintf(p->out, ",\"%s\":%lld", key, v);
}

static void json_bool(struct printer *p, const char *key, bool v)
{
    fprintf(p->out, ",\"%s\":%s", key, v ? "true" : "false");
}

static void json_errno(struct printer *p, int err)
{
    if (err)
        json_cstr(p, "errno", errname(p, err));
}

static void json_pipe_end_value(struct printer *p, const struct et_pipe_end *e)
{
    fprintf(p->out, "{\"fd\":%d,\"inode\":%" PRIu64 ",\"end\":\"%s\",\"cloexec\":%s,\"fifo\":%s}", e->fd, e->inode,
            (e->flags & ET_PIPE_READ) && (e->flags & ET_PIPE_WRITE) ? "rw"
            : (e->flags & ET_PIPE_READ)                             ? "r"
                                                                    : "w",
            (e->flags & ET_PIPE_CLOEXEC) ? "true" : "false", (e->flags & ET_PIPE_FIFO) ? "true" : "false");
}

static void json_pipe_end(struct printer *p, const char *key, const struct et_pipe_end *e)
{
    json_key(p, key);
    if (e->fd < 0)
        fputs("null", p->out);
    else
        json_pipe_end_value(p, e);
}

static void json_pipe_list(struct printer *p, const char *key, const struct et_pipe_end *ends, unsigned n)
{
    json_key(p, key);
    fputc('[', p->out);
    for (unsigned i = 0; ends && i < n; i++) {
        if (i)
            fputc(',', p->out);
        json_pipe_end_value(p, &ends[i]);
    }
    fputc(']', p->out);
}

static void json_argv(struct printer *p, struct et_tail *tail, unsigned count, uint32_t argc, bool truncated)
{
    json_key(p, "argv");
    fputc('[', p->out);
    for (unsigned i = 0; i < count; i++) {
        const char *s;
        uint16_t len;
        if (!et_tail_str(tail, &s, &len))
            break;
        if (i)
            fputc(',', p->out);
        et_print_json_string(p->out, s, len);
    }
    fputc(']', p->out);
    json_int(p, "argc", argc);
    json_bool(p, "argv_truncated", truncated || argc > count);
}

static void json_env(struct printer *p, unsigned flags)
{
    json_key(p, "env_added");
    fprintf(p->out, "[%s%s%s%s%s]", (flags & ET_ENV_ADDED_PRELOAD) ? "\"LD_PRELOAD\"" : "",
            (flags & ET_ENV_ADDED_PRELOAD) && (flags & ET_ENV_ADDED_FILE) ? "," : "",
            (flags & ET_ENV_ADDED_FILE) ? "\"EXECTRACE_FILE\"" : "",
            (flags & ET_ENV_ADDED_STACK_DEPTH) && (flags & (ET_ENV_ADDED_PRELOAD | ET_ENV_ADDED_FILE)) ? "," : "",
            (flags & ET_ENV_ADDED_STACK_DEPTH) ? "\"EXECTRACE_STACK_DEPTH\"" : "");
    if (flags & ET_ENV_NOT_ADDED_SETUID)
        json_bool(p, "env_not_added_setid", true);
}

static void json_status(struct printer *p, const char *key, int status)
{
    json_cstr(p, key, et_wait_status_string(status, p->buf, sizeof(p->buf)));
}

static void json_record(struct printer *p, const struct et_event *e)
{
    const struct et_record *r = e->r;
    const void *body = et_body(r);
    int64_t rel = (int64_t)(r->ts_ns - p->t->hdr->anchor_monotonic_ns);
    fprintf(p->out, "{\"t\":%.9f,\"ts_ns\":%" PRIu64 ",\"pid\":%u,\"tid\":%u,\"start_time\":%" PRIu64, (double)rel / 1e9,
            r->ts_ns, r->pid, r->tid, r->start_time);
    json_cstr(p, "event", et_record_type_name(r->type));
    if (r->flags & ET_RF_VFORK_CHILD)
        json_bool(p, "vfork_child", true);
    if (r->flags & ET_RF_RECORDER)
        json_bool(p, "recorder", true);

    switch (r->type) {
    case ET_REC_IMAGE_START: {
        const struct et_image_start *b = body;
        struct et_tail tail = et_tail_of(r);
        const struct et_pipe_end *pipes = et_tail_array(&tail, b->pipe_count, sizeof(*pipes));
        const char *exe;
        uint16_t len;
        et_tail_str(&tail, &exe, &len);
        json_cstr(p, "origin", et_origin_name(b->origin));
        json_int(p, "ppid", b->ppid);
        json_int(p, "pgid", b->pgid);
        json_int(p, "sid", b->sid);
        json_int(p, "uid", b->uid);
        json_int(p, "euid", b->euid);
        json_str(p, "exe", exe, len);
        json_argv(p, &tail, b->argv_count, b->argc, b->flags & ET_START_ARGV_TRUNCATED);
        json_pipe_list(p, "pipes", pipes, b->pipe_count);
        json_bool(p, "pipes_truncated", b->flags & ET_START_PIPES_TRUNCATED);
        if (b->flags & ET_START_GO)
            json_bool(p, "go", true);
        break;
    }
    case ET_REC_IMAGE_EXIT: {
        const struct et_image_exit *b = body;
        json_cstr(p, "call", et_exit_how_name(b->how));
        json_int(p, "status", b->status);
        break;
    }
    case ET_REC_FORK: {
        const struct et_fork *b = body;
        json_cstr(p, "call", et_fork_kind_name(b->kind));
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        if (b->kind == ET_FORK_CLONE)
            json_cstr(p, "clone_flags", et_flags_string(b->clone_flags, et_clone_flag_names, p->buf, sizeof(p->buf)));
        break;
    }
    case ET_REC_SPAWN: {
        const struct et_spawn *b = body;
        struct et_tail tail = et_tail_of(r);
        const char *path;
        uint16_t len;
        et_tail_str(&tail, &path, &len);
        json_cstr(p, "call", et_spawn_kind_name(b->kind));
        json_str(p, "path", path, len);
        json_argv(p, &tail, b->argv_count, b->argc, b->flags & ET_SPAWN_ARGV_TRUNCATED);
        json_int(p, "result", b->result);
        json_errno(p, b->result);
        json_int(p, "child_pid", b->child_pid);
        json_cstr(p, "spawn_flags", et_flags_string(b->spawn_flags, et_spawn_flag_names, p->buf, sizeof(p->buf)));
        json_int(p, "pgroup", b->pgroup);
        fprintf(p->out, ",\"file_actions\":\"0x%" PRIx64 "\"", b->file_actions);
        json_env(p, b->flags);
        break;
    }
    case ET_REC_SPAWN_ACTION: {
        const struct et_spawn_action *b = body;
        static const char *const ops[] = {"?", "addclose", "adddup2", "addclosefrom_np"};
        json_cstr(p, "call", ops[b->op < 4 ? b->op : 0]);
        fprintf(p->out, ",\"file_actions\":\"0x%" PRIx64 "\"", b->file_actions);
        json_int(p, "fd", b->fd);
        json_int(p, "newfd", b->newfd);
        json_int(p, "result", b->result);
        json_pipe_end(p, "pipe", &b->pipe);
        break;
    }
    case ET_REC_EXEC: {
        const struct et_exec *b = body;
        struct et_tail tail = et_tail_of(r);
        const char *path;
        uint16_t len;
        et_tail_str(&tail, &path, &len);
        json_cstr(p, "call", et_exec_kind_name(b->kind));
        json_str(p, "path", path, len);
        json_int(p, "fd", b->fd);
        json_argv(p, &tail, b->argv_count, b->argc, b->flags & ET_EXEC_ARGV_TRUNCATED);
        json_env(p, b->flags);
        if (e->outcome < 0) {
            json_cstr(p, "outcome", "unknown");
        } else {
            const struct et_record *o = p->list->v[e->outcome].r;
            json_cstr(p, "outcome", o->type == ET_REC_EXEC_FAILED ? "failed" : "success");
            json_int(p, "result", o->type == ET_REC_EXEC_FAILED ? -1 : 0);
            json_errno(p, o->type == ET_REC_EXEC_FAILED ? o->err : 0);
        }
        break;
    }
    case ET_REC_EXEC_FAILED: {
        const struct et_exec_failed *b = body;
        json_cstr(p, "call", et_exec_kind_name(b->kind));
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        break;
    }
    case ET_REC_SIGNAL: {
        const struct et_signal *b = body;
        json_cstr(p, "call", et_signal_kind_name(b->kind));
        json_int(p, "target", b->target);
        if (b->kind == ET_SIGNAL_TGKILL)
            json_int(p, "target_tid", b->target_tid);
        if (b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL) {
            json_int(p, "pidfd", b->pidfd);
            json_int(p, "pidfd_pid", b->pidfd_pid);
        }
        json_int(p, "signal", b->sig);
        json_cstr(p, "signal_name", b->sig ? signame(p, b->sig) : "0");
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        break;
    }
    case ET_REC_PIDFD_OPEN: {
        const struct et_pidfd_open *b = body;
        json_cstr(p, "call", "pidfd_open");
        json_int(p, "target", b->pid);
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        break;
    }
    case ET_REC_WAIT_ENTER: {
        const struct et_wait_enter *b = body;
        json_cstr(p, "call", et_wait_kind_name(b->kind));
        if (b->kind == ET_WAIT_WAITID)
            json_cstr(p, "idtype", et_idtype_name(b->idtype));
        json_int(p, "id", b->id);
        json_cstr(p, "options", et_flags_string((unsigned)b->options, et_wait_option_names, p->buf, sizeof(p->buf)));
        break;
    }
    case ET_REC_WAIT_RETURN: {
        const struct et_wait_return *b = body;
        json_cstr(p, "call", et_wait_kind_name(b->kind));
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        if (b->kind == ET_WAIT_WAITID && b->result == 0 && b->info_pid) {
            json_int(p, "child_pid", b->info_pid);
            json_cstr(p, "code", et_cld_code_name(b->info_code));
            json_int(p, "child_status", b->info_status);
        } else if (b->kind != ET_WAIT_WAITID && b->result > 0) {
            json_int(p, "status_raw", b->status);
            json_status(p, "status", b->status);
        }
        break;
    }
    case ET_REC_PIPE: {
        const struct et_pipe *b = body;
        json_cstr(p, "call", b->kind == ET_PIPE_PIPE2 ? "pipe2" : "pipe");
        json_int(p, "read_fd", b->read_fd);
        json_int(p, "write_fd", b->write_fd);
        json_int(p, "inode", (long long)b->inode);
        json_cstr(p, "flags", et_flags_string((unsigned)b->flags, et_open_flag_names, p->buf, sizeof(p->buf)));
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        break;
    }
    case ET_REC_CLOSE: {
        const struct et_close *b = body;
        json_int(p, "fd", b->fd);
        json_pipe_end(p, "pipe", &b->pipe);
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        break;
    }
    case ET_REC_CLOSE_RANGE: {
        const struct et_close_range *b = body;
        struct et_tail tail = et_tail_of(r);
        const struct et_pipe_end *ends = et_tail_array(&tail, b->pipe_count, sizeof(*ends));
        json_cstr(p, "call", b->kind == ET_CLOSEFROM ? "closefrom" : "close_range");
        json_int(p, "first", b->first);
        json_int(p, "last", b->last);
        json_cstr(p, "flags", et_flags_string(b->flags, et_close_range_flag_names, p->buf, sizeof(p->buf)));
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        json_pipe_list(p, "pipes", ends, ends ? b->pipe_count : 0);
        break;
    }
    case ET_REC_DUP: {
        const struct et_dup *b = body;
        json_cstr(p, "call", b->kind == ET_DUP_FCNTL_DUPFD          ? "fcntl(F_DUPFD)"
                             : b->kind == ET_DUP_FCNTL_DUPFD_CLOEXEC ? "fcntl(F_DUPFD_CLOEXEC)"
                                                                     : et_dup_kind_name(b->kind));
        json_int(p, "oldfd", b->oldfd);
        json_int(p, "newfd", b->newfd);
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        json_pipe_end(p, "source", &b->source);
        json_pipe_end(p, "replaced", &b->replaced);
        break;
    }
    case ET_REC_SET_CLOEXEC: {
        const struct et_set_cloexec *b = body;
        json_int(p, "fd", b->fd);
        json_bool(p, "cloexec", b->fd_flags & FD_CLOEXEC);
        json_pipe_end(p, "pipe", &b->pipe);
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        break;
    }
    case ET_REC_SETPGID: {
        const struct et_setpgid *b = body;
        json_cstr(p, "call", b->kind == ET_SETPGID_SETPGRP ? "setpgrp" : "setpgid");
        json_int(p, "target", b->pid);
        json_int(p, "pgid", b->pgid);
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        break;
    }
    case ET_REC_SETSID:
        json_int(p, "result", ((const struct et_setsid *)body)->result);
        json_errno(p, r->err);
        break;
    case ET_REC_PRCTL: {
        const struct et_prctl *b = body;
        json_cstr(p, "option", et_prctl_option_name(b->option));
        json_int(p, "arg2", (long long)b->arg2);
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        break;
    }
    case ET_REC_SIGCHLD_ACTION: {
        const struct et_sigchld_action *b = body;
        json_cstr(p, "call", et_sigchld_call_name(b->call));
        json_cstr(p, "disposition", et_disposition_name(b->disposition));
        json_cstr(p, "sa_flags", et_flags_string(b->sa_flags & ~0x04000000u, et_sa_flag_names, p->buf, sizeof(p->buf)));
        json_int(p, "result", b->result);
        json_errno(p, r->err);
        break;
    }
    case ET_REC_REAPED: {
        const struct et_reaped *b = body;
        json_int(p, "reaped_pid", b->pid);
        json_int(p, "reaped_start_time", (long long)b->start_time);
        json_cstr(p, "role", b->role == ET_REAPED_COMMAND ? "command" : "orphan");
        json_int(p, "status_raw", b->status);
        json_status(p, "status", b->status);
        break;
    }
    case ET_REC_RUN_END: {
        const struct et_run_end *b = body;
        struct et_tail tail = et_tail_of(r);
        const int32_t *left = et_tail_array(&tail, b->left_running, sizeof(int32_t));
        json_int(p, "command_pid", b->command_pid);
        json_status(p, "command_status", b->command_status);
        json_int(p, "orphans_reaped", b->orphans_reaped);
        json_key(p, "left_running");
        fputc('[', p->out);
        for (unsigned i = 0; left && i < b->left_running; i++)
            fprintf(p->out, "%s%d", i ? "," : "", left[i]);
        fputc(']', p->out);
        break;
    }
    case ET_REC_SNAPSHOT: {
        const struct et_snapshot *b = body;
        struct et_tail tail = et_tail_of(r);
        const struct et_snapshot_thread *threads = et_tail_array(&tail, b->thread_count, sizeof(*threads));
        const struct et_pipe_end *pipes = et_tail_array(&tail, b->pipe_count, sizeof(*pipes));
        const char *comm;
        uint16_t len;
        et_tail_str(&tail, &comm, &len);
        json_int(p, "snapshot", b->snapshot);
        json_cstr(p, "reason", snapshot_reason(b->reason));
        char state = printable_state(b->state);
        json_str(p, "state", &state, 1);
        json_int(p, "ppid", b->ppid);
        json_int(p, "pgid", b->pgid);
        json_int(p, "sid", b->sid);
        json_str(p, "comm", comm, len);
        json_key(p, "threads");
        fputc('[', p->out);
        for (unsigned k = 0; threads && k < b->thread_count; k++) {
            const struct et_snapshot_thread *t = &threads[k];
            const char *wchan;
            uint16_t wlen;
            et_tail_str(&tail, &wchan, &wlen);
            const char *name = et_syscall_name(t->syscall);
            fprintf(p->out, "%s{\"tid\":%d,\"state\":", k ? "," : "", t->tid);
            char tstate = printable_state(t->state);
            et_print_json_string(p->out, &tstate, 1);
            fprintf(p->out, ",\"syscall\":%d,\"syscall_name\":", t->syscall);
            if (name)
                et_print_json_string(p->out, name, strlen(name));
            else
                fputs("null", p->out);
            fprintf(p->out, ",\"args\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "],\"wchan\":", t->args[0], t->args[1],
                    t->args[2]);
            et_print_json_string(p->out, wchan, wlen);
            fputc('}', p->out);
        }
        fputc(']', p->out);
        json_pipe_list(p, "pipes", pipes, pipes ? b->pipe_count : 0);
        break;
    }
    case ET_REC_MODULE: {
        const struct et_module *b = body;
        struct et_tail tail = et_tail_of(r);
        const uint8_t *id = et_tail_array(&tail, b->build_id_len, 1);
        const char *path;
        uint16_t len;
        et_tail_str(&tail, &path, &len);
        json_str(p, "path", path, len);
        json_int(p, "start", (long long)b->start);
        json_int(p, "end", (long long)b->end);
        json_int(p, "load_bias", (long long)b->load_bias);
        json_bool(p, "main", b->flags & ET_MODULE_MAIN);
        json_key(p, "build_id");
        fputc('"', p->out);
        for (unsigned k = 0; id && k < b->build_id_len; k++)
            fprintf(p->out, "%02x", id[k]);
        fputc('"', p->out);
        break;
    }
    case ET_REC_RECORDER: {
        const struct et_recorder *b = body;
        struct et_tail tail = et_tail_of(r);
        const char *why;
        uint16_t len;
        json_cstr(p, "state", et_recorder_state_name(b->state));
        if (b->filter)
            json_cstr(p, "filter", et_recorder_filter_name(b->filter));
        if (et_tail_str(&tail, &why, &len) && len)
            json_str(p, "why", why, len);
        break;
    }
    default:
        json_int(p, "type", r->type);
        json_int(p, "size", r->size);
        break;
    }
    if (p->symbols && (r->flags & ET_RF_STACK)) {
        json_key(p, "stack");
        et_print_stack_json(p->out, p->symbols, r);
        const char *why = et_stack_missing_reason(r);
        if (why)
            json_cstr(p, "stack_missing", why);
    }
    fputs("}\n", p->out);
}

void et_print_event_line(FILE *out, const struct et_trace *t, const struct et_record *r,
                         const struct et_record *outcome, const struct et_record *wait_return)
{
    struct printer p = {.out = out, .t = t};
    text_record(&p, r, outcome, wait_return);
}

/* ---- the command ------------------------------------------------------------ */

static void events_usage(FILE *f)
{
    fputs("usage: exectrace events [--pid PID] [--json] [--stacks] FILE\n"
          "Prints every event of a trace, merged across processes in time order.\n"
          "  --pid PID   only the events of processes with this pid\n"
          "  --json      one JSON object per line\n"
          "  --stacks    each event's call site, resolved to function, file and\n"
          "              line, and the objects each program loaded\n",
          f);
}

int et_cmd_events(int argc, char **argv)
{
    static const struct option options[] = {
        {"pid", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
        {"stacks", no_argument, NULL, 's'},    {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    long pid = -1;
    bool json = false, stacks = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "+p:jh", options, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (et_parse_long(optarg, 1, INT32_MAX, &pid) < 0)
                return et_usage_error("events", "--pid takes a process id");
            break;
        case 'j':
            json = true;
            break;
        case 's':
            stacks = true;
            break;
        case 'h':
            events_usage(stdout);
            return 0;
        default:
            events_usage(stderr);
            return ET_EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        events_usage(stderr);
        return ET_EXIT_USAGE;
    }
    const char *path = argv[optind];

    struct et_trace t;
    if (et_trace_open(&t, path) < 0) {
        et_report_trace_problem(path, &t);
        return ET_EXIT_BAD_TRACE;
    }
    struct et_event_list list;
    if (et_events_load(&t, &list) < 0) {
        fprintf(stderr, "exectrace: %s: out of memory\n", path);
        et_trace_close(&t);
        return ET_EXIT_BAD_TRACE;
    }

    struct printer p = {.out = stdout, .t = &t, .list = &list, .json = json};
    if (stacks && !(p.symbols = et_symbols_load(&t))) {
        fprintf(stderr, "exectrace: %s: out of memory\n", path);
        et_events_free(&list);
        et_trace_close(&t);
        return ET_EXIT_BAD_TRACE;
    }
    for (size_t i = 0; i < list.n; i++) {
        const struct et_record *r = list.v[i].r;
        if (pid >= 0 && r->pid != (uint32_t)pid)
            continue;
        if (list.v[i].merged)
            continue;
        /* The map of loaded objects is for resolving stacks. */
        if (r->type == ET_REC_MODULE && !stacks)
            continue;
        if (json) {
            json_record(&p, &list.v[i]);
            continue;
        }
        const struct et_record *outcome = list.v[i].outcome >= 0 ? list.v[list.v[i].outcome].r : NULL;
        /* strace's habit: a call whose return is the very next line is shown
         * on one line. */
        const struct et_record *wait_return = NULL;
        if (r->type == ET_REC_WAIT_ENTER && i + 1 < list.n) {
            const struct et_record *next = list.v[i + 1].r;
            if (next->type == ET_REC_WAIT_RETURN && next->pid == r->pid && next->tid == r->tid &&
                next->start_time == r->start_time)
                wait_return = next;
        }
        text_record(&p, r, outcome, wait_return);
        if (wait_return)
            i++;
    }
    fflush(stdout);
    et_symbols_free(p.symbols);
    et_events_free(&list);
    return et_finish_trace_command(path, &t, 0);
}
