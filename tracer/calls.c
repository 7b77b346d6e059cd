/*
 * A stopped call becomes the record the shim would have written for the
 * same call made through libc.  At its entry the tracee is stopped before
 * the kernel runs it; at its exit, after.  A record is written at the entry
 * when the call may never return (exec, exit_group, a signal that reaches
 * the caller) or when its start matters (a wait that blocks), at the exit
 * otherwise, always with the entry's time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "snapshot.h"
#include "tracee.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static struct et_record *begin(struct et_tracer *t, struct et_tthread *th, uint16_t type, uint32_t size, uint64_t ts,
                               int err)
{
    struct et_identity id;
    et_tracer_identity(th, &id);
    struct et_record *r = et_record_reserve(t->cfg.writer, type, size, &id, ts, err);
    if (!r)
        return NULL;
    r->flags = ET_RF_RECORDER | (th->proc->vfork_child ? ET_RF_VFORK_CHILD : 0);
    memset(et_record_body(r), 0, size);
    t->stats.records++;
    return r;
}

/* The records the shim gives a call site to get one here too, when the
 * program is a Go program (frame pointers). */
static struct et_record *begin_stacked(struct et_tracer *t, struct et_tthread *th, uint16_t type, uint32_t size,
                                       uint64_t ts, int err)
{
    if (!th->proc->go || !t->stack_depth)
        return begin(t, th, type, size, ts, err);
    uint64_t pc[ET_MAX_STACK_FRAMES];
    struct et_stack stack = {0, 0, pc};
    stack.frames = (uint16_t)et_go_stack(th->tid, th->proc, t->stack_depth, pc, &stack.flags);
    struct et_record *r = begin(t, th, type, size + et_stack_extra(size, &stack), ts, err);
    if (r)
        et_stack_put(r, &stack);
    return r;
}

/* fd as a pipe end of the tracee: from our table for the images we record,
 * from /proc for the shim's (whose table is in its own memory). */
static bool pipe_end_of(struct et_tthread *th, int fd, struct et_pipe_end *out)
{
    struct et_tproc *p = th->proc;
    if (fd < 0)
        return false;
    struct et_fd_entry *e = et_tp_fd(p, fd);
    if (e && !e->pidfd) {
        *out = (struct et_pipe_end){fd, e->flags, e->inode};
        return true;
    }
    if (p->cover == ET_COVER_SHIM)
        return et_live_fd_pipe_end("/proc", p->pid, fd, out);
    return false;
}

/* "Not a pipe end", as the records say it. */
static void no_end(struct et_pipe_end *e)
{
    *e = (struct et_pipe_end){-1, 0, 0};
}

static void follow_end(struct et_tproc *p, int fd, const struct et_pipe_end *end, bool cloexec)
{
    uint32_t flags = (end->flags & ~ET_PIPE_CLOEXEC) | (cloexec ? ET_PIPE_CLOEXEC : 0);
    et_tp_fd_set(p, &(struct et_fd_entry){.fd = fd, .flags = flags, .inode = end->inode});
}

/* The argv of an exec, read from the tracee into one buffer. */
struct argv_copy {
    char *strings;
    char **argv;
};

static void read_argv(pid_t pid, uint64_t addr, struct argv_copy *out)
{
    out->strings = malloc(ET_MAX_ARGV_BYTES);
    out->argv = calloc(ET_MAX_ARGV_STRINGS + 1, sizeof(char *));
    if (!out->strings || !out->argv)
        return;
    size_t used = 0;
    for (size_t i = 0; addr && i < ET_MAX_ARGV_STRINGS && used < ET_MAX_ARGV_BYTES; i++) {
        uint64_t ptr;
        if (et_read_memory(pid, addr + 8 * i, &ptr, sizeof(ptr)) < 0 || !ptr)
            break;
        bool truncated;
        if (et_read_string(pid, ptr, out->strings + used, ET_MAX_ARGV_BYTES - used, &truncated) < 0)
            break;
        out->argv[i] = out->strings + used;
        used += strlen(out->strings + used) + 1;
    }
}

static void record_exec(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c)
{
    bool at = c->nr == SYS_execveat;
    char path[ET_MAX_PATH_BYTES];
    bool truncated = false;
    if (et_read_string(th->tid, c->args[at ? 1 : 0], path, sizeof(path), &truncated) < 0)
        path[0] = 0;
    struct argv_copy argv = {0};
    read_argv(th->tid, c->args[at ? 2 : 1], &argv);
    char *empty[1] = {NULL};
    uint64_t pc[ET_MAX_STACK_FRAMES];
    struct et_stack stack = {0, 0, pc};
    if (th->proc->go && t->stack_depth)
        stack.frames = (uint16_t)et_go_stack(th->tid, th->proc, t->stack_depth, pc, &stack.flags);
    struct et_exec_info info = {.kind = at ? ET_EXEC_EXECVEAT : ET_EXEC_EXECVE,
                                .fd = at ? (int)c->args[0] : -1,
                                .at_flags = at ? (int)c->args[4] : 0,
                                .path = path,
                                .argv = argv.argv ? argv.argv : empty,
                                .stack = th->proc->go && t->stack_depth ? &stack : NULL};
    struct et_identity id;
    et_tracer_identity(th, &id);
    et_write_exec(t->cfg.writer, &id, c->ts, ET_RF_RECORDER | (th->proc->vfork_child ? ET_RF_VFORK_CHILD : 0),
                  &info);
    t->stats.records++;
    free(argv.strings);
    free(argv.argv);
}

static uint16_t signal_kind(long nr)
{
    switch (nr) {
    case SYS_tgkill:
    case SYS_tkill:
        return ET_SIGNAL_TGKILL;
    case SYS_rt_sigqueueinfo:
        return ET_SIGNAL_SIGQUEUE;
    case SYS_pidfd_send_signal:
        return ET_SIGNAL_PIDFD_SEND_SIGNAL;
    default:
        return ET_SIGNAL_KILL;
    }
}

/* The pid a pidfd names: ours if we saw it made, else the kernel's word. */
static int32_t pidfd_pid(struct et_tthread *th, int fd)
{
    struct et_fd_entry *e = et_tp_fd(th->proc, fd);
    if (e && e->pidfd)
        return (int32_t)e->pid;
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", th->proc->pid, fd);
    FILE *f = fopen(path, "re");
    int32_t pid = -1;
    if (f) {
        while (fgets(buf, sizeof(buf), f))
            if (!strncmp(buf, "Pid:", 4))
                pid = (int32_t)strtol(buf + 4, NULL, 10);
        fclose(f);
    }
    return pid;
}

/* A signal is recorded before it is sent: it may end the caller. */
static struct et_record *record_signal(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c)
{
    struct et_record *r = begin_stacked(t, th, ET_REC_SIGNAL, sizeof(struct et_signal), c->ts, 0);
    if (!r)
        return NULL;
    struct et_signal *b = et_record_body(r);
    b->kind = signal_kind(c->nr);
    b->pidfd = -1;
    b->pidfd_pid = -1;
    switch (c->nr) {
    case SYS_tgkill:
        b->target = (int32_t)c->args[0];
        b->target_tid = (int32_t)c->args[1];
        b->sig = (int32_t)c->args[2];
        break;
    case SYS_tkill:
        b->target = (int32_t)c->args[0];
        b->target_tid = (int32_t)c->args[0];
        b->sig = (int32_t)c->args[1];
        break;
    case SYS_pidfd_send_signal:
        b->pidfd = (int32_t)c->args[0];
        b->pidfd_pid = pidfd_pid(th, b->pidfd);
        b->target = b->pidfd_pid;
        b->sig = (int32_t)c->args[1];
        break;
    default:
        b->target = (int32_t)c->args[0];
        b->sig = (int32_t)c->args[1];
    }
    et_commit(t->cfg.writer, r);
    return r;
}

static void record_wait_enter(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c)
{
    struct et_record *r = begin_stacked(t, th, ET_REC_WAIT_ENTER, sizeof(struct et_wait_enter), c->ts, 0);
    if (!r)
        return;
    struct et_wait_enter *b = et_record_body(r);
    if (c->nr == SYS_waitid) {
        b->kind = ET_WAIT_WAITID;
        b->idtype = (int32_t)c->args[0];
        b->id = (int64_t)(int32_t)c->args[1];
        b->options = (int32_t)c->args[3];
    } else {
        b->kind = ET_WAIT_WAIT4;
        b->id = (int64_t)(int32_t)c->args[0];
        b->options = (int32_t)c->args[2];
    }
    et_commit(t->cfg.writer, r);
}

static void waited_without_info(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c,
                                struct et_wait_return *b)
{
    int options = (int)c->args[3];
    if (!(options & WEXITED) || (options & WNOHANG))
        return; /* with WNOHANG, 0 may as well mean that nothing was ready */
    pid_t pid = 0;
    if (c->args[0] == P_PID) {
        pid = (pid_t)c->args[1];
    } else if (c->args[0] == P_PIDFD) {
        const struct et_fd_entry *e = et_tp_fd(th->proc, (int)c->args[1]);
        pid = e && e->pidfd ? (pid_t)e->pid : 0;
    }
    int status;
    if (pid <= 0 || !et_tracer_exit_status(t, pid, &status))
        return;
    b->info_pid = pid;
    b->info_code = WIFEXITED(status) ? CLD_EXITED : WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED;
    b->info_status = WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status);
}

static void record_wait_return(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c, long rval,
                               int err)
{
    struct et_record *r = begin(t, th, ET_REC_WAIT_RETURN, sizeof(struct et_wait_return), et_now_ns(), err);
    if (!r)
        return;
    struct et_wait_return *b = et_record_body(r);
    b->result = err ? -1 : (int32_t)rval;
    if (c->nr == SYS_waitid) {
        b->kind = ET_WAIT_WAITID;
        b->options = (int32_t)c->args[3];
        siginfo_t si;
        if (!err && c->args[2] && et_read_memory(th->tid, c->args[2], &si, sizeof(si)) == 0) {
            b->info_pid = si.si_pid;
            b->info_code = si.si_code;
            b->info_status = si.si_status;
        } else if (!err && !c->args[2]) {
            /* No siginfo asked for (Go 1.22+ probing pidfd support): a
             * blocking wait for one process that returned took it, and the
             * tracer saw how it ended. */
            waited_without_info(t, th, c, b);
        }
    } else {
        b->kind = ET_WAIT_WAIT4;
        b->options = (int32_t)c->args[2];
        int status = 0;
        if (!err && rval > 0 && c->args[1] && et_read_memory(th->tid, c->args[1], &status, sizeof(status)) == 0)
            b->status = status;
        else if (!err && rval > 0 && !c->args[1] && et_tracer_exit_status(t, (pid_t)rval, &status))
            b->status = status; /* the caller did not ask; the kernel told us */
    }
    et_commit(t->cfg.writer, r);
}

static void record_pipe(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c, int err)
{
    int fds[2] = {-1, -1};
    if (!err && et_read_memory(th->tid, c->args[0], fds, sizeof(fds)) < 0)
        return;
    int flags = c->nr == SYS_pipe2 ? (int)c->args[1] : 0;
    struct et_pipe_end end = {fds[0], ET_PIPE_READ, 0};
    char path[64], link[64];
    snprintf(path, sizeof(path), "/proc/%d/fd/%d", th->proc->pid, fds[0]);
    ssize_t n = err ? -1 : readlink(path, link, sizeof(link) - 1);
    if (n > 0) {
        link[n] = 0;
        sscanf(link, "pipe:[%" SCNu64 "]", &end.inode);
    }
    if (end.inode) {
        bool cloexec = (flags & O_CLOEXEC) != 0;
        struct et_pipe_end w = {fds[1], ET_PIPE_WRITE, end.inode};
        follow_end(th->proc, fds[0], &end, cloexec);
        follow_end(th->proc, fds[1], &w, cloexec);
    }
    struct et_record *r = begin_stacked(t, th, ET_REC_PIPE, sizeof(struct et_pipe), c->ts, err);
    if (!r)
        return;
    struct et_pipe *b = et_record_body(r);
    b->kind = c->nr == SYS_pipe2 ? ET_PIPE_PIPE2 : ET_PIPE_PIPE;
    b->read_fd = fds[0];
    b->write_fd = fds[1];
    b->flags = flags;
    b->result = err ? -1 : 0;
    b->inode = end.inode;
    et_commit(t->cfg.writer, r);
}

static void record_fork(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c, int32_t result,
                        int err, uint64_t clone_flags)
{
    struct et_record *r = begin_stacked(t, th, ET_REC_FORK, sizeof(struct et_fork), c->ts, err);
    if (!r)
        return;
    struct et_fork *b = et_record_body(r);
    b->kind = c->nr == SYS_fork ? ET_FORK_FORK : c->nr == SYS_vfork ? ET_FORK_VFORK : ET_FORK_CLONE;
    b->result = result;
    b->clone_flags = b->kind == ET_FORK_CLONE ? clone_flags : 0;
    et_commit(t->cfg.writer, r);
}

void et_call_created(struct et_tracer *t, struct et_tthread *th, struct et_tthread *child, uint64_t clone_flags)
{
    struct et_pending_call *c = &th->pending;
    if (c->fork_recorded || (clone_flags & CLONE_THREAD))
        return;
    c->fork_recorded = true;
    record_fork(t, th, c, child->proc->pid, 0, clone_flags);
    /* CLONE_PIDFD: the kernel has stored the pidfd by now (clone's
     * parent_tid argument, clone3's pidfd field); it names this child. */
    int32_t pidfd = -1;
    if ((clone_flags & CLONE_PIDFD) && c->nr == SYS_clone)
        et_read_memory(th->tid, c->args[2], &pidfd, sizeof(pidfd));
    else if ((clone_flags & CLONE_PIDFD) && c->nr == SYS_clone3) {
        uint64_t where = 0;
        if (et_read_memory(th->tid, c->args[0] + 8, &where, sizeof(where)) == 0)
            et_read_memory(th->tid, where, &pidfd, sizeof(pidfd));
    }
    if (pidfd >= 0)
        et_tp_fd_set(th->proc, &(struct et_fd_entry){.fd = pidfd, .pid = (uint32_t)child->proc->pid, .pidfd = true});
    uint16_t origin = (clone_flags & CLONE_VFORK) ? ET_ORIGIN_VFORK
                      : c->nr == SYS_fork        ? ET_ORIGIN_FORK
                                                 : ET_ORIGIN_CLONE;
    et_image_fork_child(t, child, origin, c->ts);
}

/* The small records whose body is a few arguments and the result. */
static void record_simple(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c, long rval,
                          int err)
{
    int32_t result = err ? -1 : (int32_t)rval;
    struct et_record *r;
    switch (c->nr) {
    case SYS_setpgid:
        if (!(r = begin_stacked(t, th, ET_REC_SETPGID, sizeof(struct et_setpgid), c->ts, err)))
            return;
        *(struct et_setpgid *)et_record_body(r) =
            (struct et_setpgid){ET_SETPGID_SETPGID, 0, (int32_t)c->args[0], (int32_t)c->args[1], result};
        break;
    case SYS_setsid:
        if (!(r = begin_stacked(t, th, ET_REC_SETSID, sizeof(struct et_setsid), c->ts, err)))
            return;
        ((struct et_setsid *)et_record_body(r))->result = result;
        break;
    case SYS_prctl:
        if (!(r = begin_stacked(t, th, ET_REC_PRCTL, sizeof(struct et_prctl), c->ts, err)))
            return;
        *(struct et_prctl *)et_record_body(r) = (struct et_prctl){(int32_t)c->args[0], result, c->args[1]};
        break;
    case SYS_pidfd_open:
        if (!err)
            et_tp_fd_set(th->proc, &(struct et_fd_entry){.fd = (int)rval, .pid = (uint32_t)c->args[0], .pidfd = true});
        if (!(r = begin(t, th, ET_REC_PIDFD_OPEN, sizeof(struct et_pidfd_open), c->ts, err)))
            return;
        *(struct et_pidfd_open *)et_record_body(r) =
            (struct et_pidfd_open){(int32_t)c->args[0], (uint32_t)c->args[1], result, 0};
        break;
    default:
        return;
    }
    et_commit(t->cfg.writer, r);
}

static void record_sigchld(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c, long rval,
                           int err)
{
    /* The kernel's struct sigaction: handler, flags, restorer, mask. */
    uint64_t act[2];
    if (et_read_memory(th->tid, c->args[1], act, sizeof(act)) < 0)
        return;
    struct et_record *r = begin_stacked(t, th, ET_REC_SIGCHLD_ACTION, sizeof(struct et_sigchld_action), c->ts, err);
    if (!r)
        return;
    struct et_sigchld_action *b = et_record_body(r);
    b->call = ET_SIGCHLD_SIGACTION;
    b->sa_flags = (uint32_t)act[1];
    b->disposition = (act[1] & SA_SIGINFO) ? ET_DISP_HANDLER
                     : act[0] == (uint64_t)(uintptr_t)SIG_DFL ? ET_DISP_DEFAULT
                     : act[0] == (uint64_t)(uintptr_t)SIG_IGN ? ET_DISP_IGNORE
                                                             : ET_DISP_HANDLER;
    b->result = err ? -1 : (int32_t)rval;
    et_commit(t->cfg.writer, r);
}

static void record_exit_group(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c)
{
    struct et_record *r = begin(t, th, ET_REC_IMAGE_EXIT, sizeof(struct et_image_exit), c->ts, 0);
    if (!r)
        return;
    struct et_image_exit *b = et_record_body(r);
    b->how = ET_EXIT_EXIT_GROUP;
    b->status = (int32_t)(c->args[0] & 0xff);
    et_commit(t->cfg.writer, r);
}

/* close, dup and fcntl: only pipe ends are recorded, as by the shim. */
static void fd_call_exit(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c, long rval,
                         int err);

static bool fd_call_enter(struct et_tracer *t, struct et_tthread *th, struct et_pending_call *c)
{
    int fd = (int)c->args[0];
    struct et_fd_entry *e = et_tp_fd(th->proc, fd);
    switch (c->nr) {
    case SYS_close:
        if (e && e->pidfd) {
            et_tp_fd_drop(th->proc, fd);
            return false;
        }
        if (!pipe_end_of(th, fd, &c->ends[0]))
            return false;
        /* Linux frees an fd that is open whatever close returns (EINTR and
         * EIO included): recorded now, the call needs no second stop. */
        fd_call_exit(t, th, c, 0, 0);
        return false;
    case SYS_dup:
    case SYS_dup2:
    case SYS_dup3: {
        bool source = pipe_end_of(th, fd, &c->ends[0]);
        bool replaced = c->nr != SYS_dup && (int)c->args[1] != fd && pipe_end_of(th, (int)c->args[1], &c->ends[1]);
        if (!source)
            no_end(&c->ends[0]);
        if (!replaced)
            no_end(&c->ends[1]);
        /* A pidfd dup'd is followed too; nothing is recorded for it. */
        return source || replaced || (e && e->pidfd);
    }
    case SYS_fcntl:
        if ((int)c->args[1] == F_SETFD)
            return pipe_end_of(th, fd, &c->ends[0]);
        if (!pipe_end_of(th, fd, &c->ends[0])) {
            no_end(&c->ends[0]);
            return e && e->pidfd;
        }
        no_end(&c->ends[1]);
        return true;
    default:
        return false;
    }
}

static void fd_call_exit(struct et_tracer *t, struct et_tthread *th, const struct et_pending_call *c, long rval,
                         int err)
{
    struct et_tproc *p = th->proc;
    int fd = (int)c->args[0];
    int32_t result = err ? -1 : (int32_t)rval;
    struct et_record *r;
    if (c->nr == SYS_close) {
        if (!err || err != EBADF)
            et_tp_fd_drop(p, fd);
        if (!(r = begin(t, th, ET_REC_CLOSE, sizeof(struct et_close), c->ts, err)))
            return;
        *(struct et_close *)et_record_body(r) = (struct et_close){fd, result, c->ends[0]};
        et_commit(t->cfg.writer, r);
        return;
    }
    if (c->nr == SYS_fcntl && (int)c->args[1] == F_SETFD) {
        bool cloexec = (c->args[2] & FD_CLOEXEC) != 0;
        if (!err)
            follow_end(p, fd, &c->ends[0], cloexec);
        if (!(r = begin(t, th, ET_REC_SET_CLOEXEC, sizeof(struct et_set_cloexec), c->ts, err)))
            return;
        *(struct et_set_cloexec *)et_record_body(r) =
            (struct et_set_cloexec){fd, (int32_t)c->args[2], result, 0, c->ends[0]};
        et_commit(t->cfg.writer, r);
        return;
    }
    /* A dup of some kind. */
    uint16_t kind;
    int32_t newfd = -1, flags = 0;
    bool cloexec = false;
    switch (c->nr) {
    case SYS_dup:
        kind = ET_DUP_DUP;
        break;
    case SYS_dup2:
        kind = ET_DUP_DUP2;
        newfd = (int32_t)c->args[1];
        break;
    case SYS_dup3:
        kind = ET_DUP_DUP3;
        newfd = (int32_t)c->args[1];
        flags = (int32_t)c->args[2];
        cloexec = (flags & O_CLOEXEC) != 0;
        break;
    default:
        cloexec = (int)c->args[1] == F_DUPFD_CLOEXEC;
        kind = cloexec ? ET_DUP_FCNTL_DUPFD_CLOEXEC : ET_DUP_FCNTL_DUPFD;
        newfd = (int32_t)c->args[2];
        break;
    }
    if (!err && result != fd) {
        struct et_fd_entry *e = et_tp_fd(p, fd);
        if (e && e->pidfd) {
            struct et_fd_entry copy = *e;
            copy.fd = result;
            et_tp_fd_set(p, &copy);
        } else if (c->ends[0].fd >= 0) {
            follow_end(p, result, &c->ends[0], cloexec);
        } else {
            et_tp_fd_drop(p, result);
        }
    }
    if (c->ends[0].fd < 0 && c->ends[1].fd < 0)
        return;
    if (!(r = begin(t, th, ET_REC_DUP, sizeof(struct et_dup), c->ts, err)))
        return;
    struct et_dup *b = et_record_body(r);
    b->kind = kind;
    b->oldfd = fd;
    b->newfd = newfd;
    b->flags = flags;
    b->result = result;
    b->source = c->ends[0];
    b->replaced = c->ends[1];
    et_commit(t->cfg.writer, r);
}

/* close_range: the pipe ends it closes (or marks close-on-exec), listed at
 * its entry, while they are still there to look at. */
static bool close_range_enter(struct et_tthread *th, struct et_pending_call *c)
{
    uint32_t first = (uint32_t)c->args[0], last = (uint32_t)c->args[1];
    struct et_pipe_end all[ET_MAX_PIPE_ENDS];
    int n;
    if (th->proc->cover == ET_COVER_SHIM) {
        bool truncated;
        n = et_proc_pipe_ends(th->proc->pid, all, ET_MAX_PIPE_ENDS, &truncated);
    } else {
        n = 0;
        for (uint32_t i = 0; i < th->proc->nfds && n < (int)ET_MAX_PIPE_ENDS; i++) {
            const struct et_fd_entry *e = &th->proc->fds[i];
            if (!e->pidfd)
                all[n++] = (struct et_pipe_end){e->fd, e->flags, e->inode};
        }
    }
    c->range = malloc(sizeof(struct et_pipe_end) * ET_MAX_PIPE_ENDS);
    c->nrange = 0;
    for (int i = 0; c->range && i < n; i++)
        if ((uint32_t)all[i].fd >= first && (uint32_t)all[i].fd <= last)
            c->range[c->nrange++] = all[i];
    return true;
}

static void close_range_exit(struct et_tracer *t, struct et_tthread *th, struct et_pending_call *c, long rval,
                             int err)
{
    uint32_t first = (uint32_t)c->args[0], last = (uint32_t)c->args[1], flags = (uint32_t)c->args[2];
    struct et_tproc *p = th->proc;
    if (!err) {
        for (uint32_t i = 0; i < p->nfds;) {
            struct et_fd_entry *e = &p->fds[i];
            if ((uint32_t)e->fd < first || (uint32_t)e->fd > last) {
                i++;
            } else if (flags & CLOSE_RANGE_CLOEXEC) {
                e->flags |= ET_PIPE_CLOEXEC;
                i++;
            } else {
                *e = p->fds[--p->nfds];
            }
        }
    }
    uint32_t n = c->range ? c->nrange : 0;
    struct et_record *r = begin(t, th, ET_REC_CLOSE_RANGE,
                                (uint32_t)(sizeof(struct et_close_range) + n * sizeof(struct et_pipe_end)), c->ts, err);
    if (r) {
        struct et_close_range *b = et_record_body(r);
        b->kind = ET_CLOSE_RANGE;
        b->pipe_count = (uint16_t)n;
        b->first = first;
        b->last = last;
        b->flags = flags;
        b->result = err ? -1 : (int32_t)rval;
        if (n)
            memcpy(b + 1, c->range, n * sizeof(struct et_pipe_end));
        et_commit(t->cfg.writer, r);
    }
    free(c->range);
    c->range = NULL;
}

bool et_call_enter(struct et_tracer *t, struct et_tthread *th, long nr, const uint64_t args[6], uint64_t ip)
{
    struct et_pending_call *c = &th->pending;
    if (c->restart) {
        /* The same wait again, after a signal handler: it goes on. */
        if (c->nr == nr && !memcmp(c->args, args, sizeof(c->args))) {
            c->restart = false;
            return true;
        }
        /* The interrupted wait failed with EINTR after all. */
        record_wait_return(t, th, c, -EINTR, EINTR);
    }
    free(c->range);
    memset(c, 0, sizeof(*c));
    c->nr = nr;
    memcpy(c->args, args, sizeof(c->args));
    c->ts = et_now_ns();
    c->ip = ip;
    switch (nr) {
    case SYS_clone3: {
        uint64_t flags = 0;
        if (et_read_memory(th->tid, args[0], &flags, sizeof(flags)) < 0 || (flags & CLONE_THREAD))
            return false;
        return true;
    }
    case SYS_clone:
    case SYS_fork:
    case SYS_vfork:
        return true;
    case SYS_execve:
    case SYS_execveat:
        record_exec(t, th, c);
        return true;
    case SYS_kill:
    case SYS_tgkill:
    case SYS_tkill:
    case SYS_rt_sigqueueinfo:
    case SYS_pidfd_send_signal:
        c->signal = record_signal(t, th, c);
        return c->signal != NULL;
    case SYS_wait4:
    case SYS_waitid:
        record_wait_enter(t, th, c);
        return true;
    case SYS_close:
    case SYS_dup:
    case SYS_dup2:
    case SYS_dup3:
    case SYS_fcntl:
        return fd_call_enter(t, th, c);
    case SYS_close_range:
        return close_range_enter(th, c);
    case SYS_rt_sigaction:
        /* A query changes nothing.  A change of SIGCHLD whose new action
         * could be read fails only if the old one cannot be stored: it is
         * recorded now, without a second stop. */
        if (args[1])
            record_sigchld(t, th, c, 0, 0);
        return false;
    case SYS_exit_group:
        record_exit_group(t, th, c);
        return false;
    case SYS_ptrace:
        return args[0] == PTRACE_TRACEME || args[0] == PTRACE_ATTACH || args[0] == PTRACE_SEIZE;
    default:
        return true;
    }
}

/* The kernel's restart codes: the call is interrupted by a signal and will
 * be made again (SA_RESTART), or fail with EINTR. */
static bool restarting(long rval)
{
    return rval == -512 || rval == -513 || rval == -514 || rval == -516;
}

void et_call_exit(struct et_tracer *t, struct et_tthread *th, long rval, bool is_error)
{
    struct et_pending_call *c = &th->pending;
    int err = is_error ? (int)-rval : 0;
    if (is_error && restarting(rval))
        err = EINTR;
    switch (c->nr) {
    case SYS_clone:
    case SYS_clone3:
    case SYS_fork:
    case SYS_vfork:
        if (!c->fork_recorded)
            record_fork(t, th, c, err ? -1 : (int32_t)rval, err, c->nr == SYS_clone ? c->args[0] : 0);
        break;
    case SYS_execve:
    case SYS_execveat: {
        struct et_identity id;
        et_tracer_identity(th, &id);
        et_write_exec_failed(t->cfg.writer, &id, ET_RF_RECORDER | (th->proc->vfork_child ? ET_RF_VFORK_CHILD : 0),
                             c->nr == SYS_execveat ? ET_EXEC_EXECVEAT : ET_EXEC_EXECVE, -1, err);
        t->stats.records++;
        break;
    }
    case SYS_kill:
    case SYS_tgkill:
    case SYS_tkill:
    case SYS_rt_sigqueueinfo:
    case SYS_pidfd_send_signal:
        if (c->signal && err) {
            /* The reader accepts the record either way; it may see the
             * result before or after this update. */
            ((struct et_signal *)et_record_body(c->signal))->result = -1;
            __atomic_store_n(&c->signal->err, err, __ATOMIC_RELAXED);
        }
        break;
    case SYS_wait4:
    case SYS_waitid:
        if (is_error && restarting(rval))
            c->restart = true;
        else
            record_wait_return(t, th, c, rval, err);
        break;
    case SYS_pipe:
    case SYS_pipe2:
        record_pipe(t, th, c, err);
        break;
    case SYS_close:
    case SYS_dup:
    case SYS_dup2:
    case SYS_dup3:
    case SYS_fcntl:
        fd_call_exit(t, th, c, rval, err);
        break;
    case SYS_close_range:
        close_range_exit(t, th, c, rval, err);
        break;
    case SYS_rt_sigaction:
        record_sigchld(t, th, c, rval, err);
        break;
    case SYS_ptrace:
        if (err == EPERM && !t->told_ptrace) {
            /* A process has one tracer, and in this tree it is us. */
            t->told_ptrace = true;
            fprintf(stderr,
                    "exectrace: pid %d called ptrace(%s), which fails while exectrace's recorder traces the "
                    "tree (a process has one tracer): use exectrace run --no-ptrace to debug or strace inside it\n",
                    th->proc->pid,
                    c->args[0] == PTRACE_TRACEME ? "PTRACE_TRACEME"
                    : c->args[0] == PTRACE_ATTACH ? "PTRACE_ATTACH"
                                                  : "PTRACE_SEIZE");
        }
        break;
    default:
        record_simple(t, th, c, rval, err);
        break;
    }
}
