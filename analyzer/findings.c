#define _GNU_SOURCE
#include "findings.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>

#include "names.h"
#include "output.h"

/* ---- what each kind means ----------------------------------------------------- */

struct kind_text {
    const char *name;
    const char *explanation;
    const char *fix;
};

static const struct kind_text kinds[ET_FK_COUNT] = {
    [ET_FK_KILL_AFTER_REAP] =
        {"kill-after-reap",
         "Once a parent has reaped a child with wait, the child's pid is free and the kernel hands it to the next "
         "new process. A signal sent to that pid afterwards fails with ESRCH or, if the pid was reused, reaches an "
         "unrelated process. Nothing in the number tells the sender that the process it meant is gone.",
         "Keep one owner per child: the code that reaps it is the code that may signal it, and it stops signalling "
         "once wait has returned. To signal while something else may reap, open a pidfd when the child starts "
         "(pidfd_open, or clone with CLONE_PIDFD) and use pidfd_send_signal: a pidfd names the process, not the "
         "number, and fails with ESRCH once it has exited. Or reap with waitid(..., WNOWAIT) first, which keeps the "
         "pid taken until the owner is done."},
    [ET_FK_KILL_WAIT_RACE] =
        {"kill-wait-race",
         "One thread signals a child while another thread of the same process is blocked in a wait that can reap "
         "it. If the child exits just before the signal is sent, the waiting thread reaps it, the pid becomes free, "
         "and the signal can reach whatever process gets that pid next. The window is small, which is why this "
         "fails rarely, and mostly under load.",
         "Give each child one owner that both waits for it and signals it, or serialise the two (a lock, and a "
         "'reaped' flag checked under it before signalling). Better: signal through a pidfd (pidfd_open + "
         "pidfd_send_signal), which cannot reach a recycled pid, or wait with waitid(WNOWAIT) and reap only after "
         "the last signal."},
    [ET_FK_ORPHANED_DESCENDANTS] =
        {"orphaned-descendants",
         "Killing a process does not kill its children. They are reparented (to init, or to the nearest "
         "subreaper) and go on running, holding files, pipes, ports and locks, and doing work nobody waits for any "
         "more. A timeout that kills only the direct child leaves the grandchildren behind.",
         "Start the child in a process group or session of its own (setpgid(0, 0) or setsid() in the child; "
         "Python: start_new_session=True; Go: SysProcAttr{Setpgid: true}) and kill the whole group: kill(-pgid, "
         "sig), os.killpg(). For trees that may leave the group, use a cgroup, or make the supervisor a subreaper "
         "(PR_SET_CHILD_SUBREAPER) and kill what it collects."},
    [ET_FK_HELD_PIPE] =
        {"held-pipe",
         "A reader sees end-of-file only when every write end of the pipe is closed, in every process. A process "
         "given a pipe as its output passes the write end on to every child it starts. If it ends (or is killed) "
         "while they still run, or if another process got a copy by accident, the pipe stays open and the reader "
         "keeps waiting: communicate(), cmd.Wait(), a $(...) substitution hang until the last holder exits, "
         "which may be never.",
         "Make the holders end together: start the child in its own process group (setpgid, "
         "start_new_session=True, Setpgid) and kill the group, not only the child. Do not let background jobs "
         "inherit the pipe: redirect their output (cmd >/dev/null 2>&1 &). Create pipes close-on-exec "
         "(pipe2 with O_CLOEXEC; Python's close_fds=True) so unrelated children do not get copies. Go: set "
         "Cmd.WaitDelay so that Wait stops waiting for the pipe after the child is gone."},
    [ET_FK_PARENT_HOLDS_WRITE_END] =
        {"parent-holds-write-end",
         "After fork, parent and child both hold the pipe's write end. The child's copy closes when the child "
         "exits, the parent's only when the parent closes it, and while any write end is open the read end never "
         "sees end-of-file. A parent that reads to EOF while holding its own copy of the write end waits forever.",
         "Close the parent's copy of the write end right after fork or posix_spawn, before reading. Create pipes "
         "with pipe2(fds, O_CLOEXEC) so that programs the parent execs later do not inherit them either."},
    [ET_FK_ZOMBIE] =
        {"zombie",
         "A child that exits stays a zombie, keeping its pid and exit status, until its parent reaps it with "
         "wait. A parent that is slow to reap, or never does, fills the process table with zombies, and the pid "
         "cannot be reused until the zombie is gone.",
         "Reap every child: wait for it when you are done with it, or reap from a SIGCHLD handler with "
         "waitpid(-1, &status, WNOHANG) in a loop. If exit statuses are never needed, set SIGCHLD to SIG_IGN (or "
         "SA_NOCLDWAIT) and the kernel reaps for you."},
    [ET_FK_UNREAPED_AT_EXIT] =
        {"unreaped-at-exit",
         "The process exited without waiting for children it had started. Those still running were reparented to "
         "init or a subreaper and run unsupervised; those that had already exited were reaped by someone else. "
         "Their exit statuses are lost, and nothing waited for their work to finish.",
         "Wait for every child before exiting (kill them first if they are no longer needed). A child meant to "
         "outlive its parent should detach deliberately, with setsid() (a daemon), so that it is clear it is no "
         "longer the parent's responsibility."},
    [ET_FK_ECHILD] =
        {"echild",
         "wait and waitpid fail with ECHILD when the process has no child matching the request: the exit status "
         "of a child it started is gone. Either something else reaped it first (another thread, a SIGCHLD "
         "handler, a library), or SIGCHLD is set to SIG_IGN or SA_NOCLDWAIT, and then the kernel reaps children "
         "itself and wait can never report them.",
         "Reap each child in exactly one place: no SIGCHLD handler calling waitpid(-1) alongside explicit waits in "
         "the main code. Do not set SIGCHLD to SIG_IGN or SA_NOCLDWAIT in a program that waits for its children; "
         "a library that starts children should make sure SIGCHLD is SIG_DFL."},
    [ET_FK_KILL_BROADCAST] =
        {"kill-broadcast",
         "kill(-1, sig) signals every process the sender is allowed to signal; kill(0, sig) and killpg() signal a "
         "whole process group. A process that never made a group of its own shares the group of whoever started "
         "it (its parent, the shell, exectrace), so 'kill my group' kills them too.",
         "Make a group first: setpgid(0, 0) at the start (or in each child you start), then kill(0, sig) or "
         "killpg(getpgrp(), sig) reaches only that group. Never use kill(-1, ...) outside an init system."},
    [ET_FK_FD_LEAK_EXEC] =
        {"fd-leak-exec",
         "Fds survive exec unless they are close-on-exec. A pipe end that leaks into a program that does not use "
         "it keeps the pipe open for as long as that program runs (a reader waiting for end-of-file waits for "
         "it), and gives the program access it should not have.",
         "Create pipes with pipe2(fds, O_CLOEXEC) and open files with O_CLOEXEC; dup2 the ends a child is meant "
         "to have onto 0, 1 and 2, which clears close-on-exec for those only. Python: close_fds=True (the "
         "default), and pass_fds for what is meant to cross."},
    [ET_FK_UNTRACED] =
        {"untraced",
         "Some processes of the tree did not load exectrace's shim and were not recorded by its ptrace recorder, "
         "so their own calls are not in the trace: statically linked programs (Go, musl-static) ignore LD_PRELOAD, "
         "and set-user-ID programs run without it. What is known about them comes from their traced relatives: who "
         "started them, what they exec'd, how they ended.",
         "Nothing to fix in the program. Run it under `exectrace run` with the ptrace recorder (on unless "
         "--no-ptrace; it needs ptrace and seccomp to be allowed): it records static and Go programs too."},
    [ET_FK_PIPE_DEADLOCK] =
        {"pipe-deadlock",
         "A pipe holds 64 KiB. A child writing more than that into a pipe blocks until someone reads; a parent "
         "that waits for the child to exit before reading its output never reads. Each waits for the other, for "
         "ever. It works in testing, with small outputs, and hangs in production, with a large one.",
         "Read the pipe before waiting, to end-of-file, then wait: Python's communicate() does this (not "
         "wait() with stdout=PIPE), as does Go's cmd.Output() or reading StdoutPipe() to EOF before cmd.Wait(). "
         "With several pipes, read them concurrently (poll, threads), or send the output to a file."},
    [ET_FK_BLOCKED_ON_HELD_PIPE] =
        {"blocked-on-held-pipe",
         "The reader is waiting for end-of-file on a pipe, and the process it gave the pipe to is gone; but other "
         "processes still hold the write end (children it left behind, which inherited it, or a copy that leaked "
         "to an unrelated process). End-of-file comes only when the last of them closes it, which may be never.",
         "Kill the whole process group of the child, not just the child (start it with setpgid/setsid, "
         "start_new_session=True, SysProcAttr{Setpgid: true}, then kill(-pgid)). Keep background jobs off the "
         "pipe (cmd >/dev/null 2>&1 &). Create pipes with O_CLOEXEC so other children do not get copies. Go: set "
         "Cmd.WaitDelay; Node: listen for 'exit' rather than 'close' when grandchildren may linger."},
    [ET_FK_SELF_HELD_PIPE] =
        {"self-held-pipe",
         "The process is blocked reading a pipe whose write end it holds itself. End-of-file needs every write "
         "end closed, its own included, so the read can never end: usually the parent's copy of the write end, "
         "not closed after fork.",
         "Close your own copy of the write end once the child has it (right after fork or posix_spawn), before "
         "reading; create pipes with pipe2(O_CLOEXEC) so that exec'd programs do not keep copies either."},
    [ET_FK_STUCK_WAIT] =
        {"stuck-wait",
         "The process has been waiting for a child to exit for a long time, and the child is itself blocked, "
         "waiting for something in turn. The chain below ends at what everything is really waiting for.",
         "Follow the chain to its end and fix that wait: a pipe nobody will close, a read nobody will answer, a "
         "child nobody will reap. If the child may legitimately hang, bound the wait: a timeout, then kill the "
         "child's process group and reap it."},
};

const char *et_finding_kind_name(unsigned kind)
{
    return kind < ET_FK_COUNT ? kinds[kind].name : "?";
}

const char *et_finding_explanation(unsigned kind)
{
    return kind < ET_FK_COUNT ? kinds[kind].explanation : "";
}

const char *et_finding_fix(unsigned kind)
{
    return kind < ET_FK_COUNT ? kinds[kind].fix : "";
}

/* The fix in Go's terms (os/exec, syscall), said first when a Go program
 * is among the processes of the finding. */
static const char *const go_fixes[ET_FK_COUNT] = {
    [ET_FK_HELD_PIPE] =
        "Go: start the command in a process group of its own, cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: "
        "true}, and kill the group when giving up, syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) (with "
        "CommandContext, Go 1.20+: cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, "
        "syscall.SIGKILL) }). Set cmd.WaitDelay (Go 1.20+) so that Wait stops waiting for the pipe once the child "
        "is gone.",
    [ET_FK_BLOCKED_ON_HELD_PIPE] =
        "Go: cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} and kill -pgid, not cmd.Process.Kill(); with "
        "CommandContext (Go 1.20+), cmd.Cancel kills the group and cmd.WaitDelay bounds the wait for the pipe.",
    [ET_FK_ORPHANED_DESCENDANTS] =
        "Go: cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}, then syscall.Kill(-cmd.Process.Pid, "
        "syscall.SIGKILL) instead of cmd.Process.Kill(), which signals the one process it started (with "
        "CommandContext, Go 1.20+: set cmd.Cancel to that group kill).",
    [ET_FK_ZOMBIE] = "Go: every cmd.Start() needs its cmd.Wait(); call it in a goroutine when the parent has other "
                     "work, so the child is reaped when it exits (cmd.Run and cmd.Output wait for you).",
    [ET_FK_UNREAPED_AT_EXIT] = "Go: call cmd.Wait() for every cmd.Start() before the program returns from main, "
                               "or kill the process group and then Wait.",
    [ET_FK_PIPE_DEADLOCK] = "Go: read cmd.StdoutPipe() to its end (io.ReadAll, a bufio.Scanner loop) before "
                            "cmd.Wait(), or let os/exec do both: cmd.Output(), or cmd.Stdout = &buf.",
    [ET_FK_STUCK_WAIT] = "Go: bound the wait with a context (exec.CommandContext) and, Go 1.20+, cmd.WaitDelay; "
                         "start the command with Setpgid so that the cancel can kill the whole chain.",
    [ET_FK_KILL_AFTER_REAP] = "Go: signal through cmd.Process (Kill, Signal), which knows when Wait has reaped the "
                              "child, never with syscall.Kill(pid) on a saved pid.",
    [ET_FK_KILL_WAIT_RACE] = "Go: signal through cmd.Process, whose Signal is ordered with Wait, not with "
                             "syscall.Kill(pid) from another goroutine.",
    [ET_FK_ECHILD] = "Go: do not ignore SIGCHLD (signal.Ignore(syscall.SIGCHLD)) in a program that uses os/exec: "
                     "the kernel then reaps the children and cmd.Wait fails with ECHILD.",
    [ET_FK_KILL_BROADCAST] = "Go: syscall.Kill(0, sig) signals the caller's own group; make the child a group "
                             "leader (Setpgid) and signal -cmd.Process.Pid.",
};

const char *et_finding_fix_for(const struct et_model *m, const struct et_finding *f, char *buf, size_t len)
{
    const char *generic = et_finding_fix(f->kind);
    const char *go = f->kind < ET_FK_COUNT ? go_fixes[f->kind] : NULL;
    bool in_go = false;
    /* A process of the finding, or the program that started it. */
    for (uint32_t k = 0; k < f->nprocs && !in_go; k++) {
        const struct et_proc *p = &m->procs[f->procs[k]];
        in_go = (p->flags & ET_PF_GO) || (p->parent != ET_NO_PROC && (m->procs[p->parent].flags & ET_PF_GO));
    }
    if (!go || !in_go)
        return generic;
    snprintf(buf, len, "%s In any language: %s", go, generic);
    return buf;
}

const char *et_severity_name(unsigned severity)
{
    static const char *const names[] = {"info", "warning", "error"};
    return severity < 3 ? names[severity] : "?";
}

int et_severity_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, et_severity_name((unsigned)i)) == 0)
            return i;
    return -1;
}

/* ---- helpers ------------------------------------------------------------------ */

#define WHEN(m, ts) ET_WHEN((m)->trace->hdr->anchor_monotonic_ns, (ts))
#define DURATION(ns) ET_DURATION(ns)

#define LABEL(m, i) et_proc_label((m), (i), (char[256]){0}, 256)

__attribute__((format(printf, 5, 6))) static struct et_finding *add(struct et_model *m, uint16_t kind,
                                                                    uint8_t severity, uint64_t ts, const char *fmt,
                                                                    ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        m->out_of_memory = true;
        return NULL;
    }
    struct et_finding *f = et_model_add_finding(m, kind, severity, ts, msg);
    free(msg);
    return f;
}

static const struct et_record *end_record(const struct et_proc *p)
{
    return p->exit_rec ? p->exit_rec : p->reap_rec;
}

/* ---- fd-leak-exec --------------------------------------------------------------- */

/* GNU make hands its jobserver pipe to every recipe on purpose. */
static bool made_by_make(const struct et_model *m, int32_t creator)
{
    if (creator == ET_NO_PROC)
        return false;
    const char *cmd = et_proc_command(&m->procs[creator]);
    const char *word_end = cmd + strcspn(cmd, " ");
    const char *base = cmd;
    for (const char *c = cmd; c < word_end; c++)
        if (*c == '/')
            base = c + 1;
    size_t len = (size_t)(word_end - base);
    return (len == 4 && strncmp(base, "make", 4) == 0) || (len == 5 && strncmp(base, "gmake", 5) == 0);
}

void et_rules_on_start(struct et_model *m, int32_t pi, const struct et_record *r)
{
    const struct et_image_start *b = et_body(r);
    if (b->origin != ET_ORIGIN_EXEC)
        return;
    struct et_tail tail = et_tail_of(r);
    const struct et_pipe_end *ends = et_tail_array(&tail, b->pipe_count, sizeof(*ends));
    char fds[256] = "";
    size_t used = 0;
    int32_t creator = ET_NO_PROC;
    const struct et_record *created = NULL;
    for (unsigned i = 0; ends && i < b->pipe_count; i++) {
        if (ends[i].fd < 3)
            continue;
        long pi_pipe = et_procmap_get(&m->pipe_by_inode, 0, ends[i].inode);
        if (pi_pipe < 0)
            continue;
        const struct et_model_pipe *pp = &m->pipes[pi_pipe];
        /* Only pipes made inside the traced tree: what the tree was started
         * with is its caller's business. */
        if (pp->creator == ET_NO_PROC || made_by_make(m, pp->creator))
            continue;
        int n = snprintf(fds + used, sizeof(fds) - used, "%s%d (pipe:[%" PRIu64 "] %s end)", used ? ", " : "",
                         ends[i].fd, ends[i].inode, (ends[i].flags & ET_PIPE_WRITE) ? "write" : "read");
        if (n > 0 && (size_t)n < sizeof(fds) - used)
            used += (size_t)n;
        if (creator == ET_NO_PROC) {
            creator = pp->creator;
            created = pp->created;
        }
    }
    if (!used)
        return;
    struct et_finding *f = add(m, ET_FK_FD_LEAK_EXEC, ET_SEV_INFO, r->ts_ns,
                               "%s started with pipe ends it did not ask for, left open across exec: fd %s",
                               LABEL(m, pi), fds);
    if (!f)
        return;
    et_finding_add_proc(f, pi);
    et_finding_add_proc(f, creator);
    et_finding_add_evidence(f, created);
    et_finding_add_evidence(f, r);
}

/* ---- signals: kill-after-reap, kill-wait-race, kill-broadcast -------------------- */

static bool wait_can_reap(const struct et_model *m, const struct et_record *enter, const struct et_proc *child)
{
    const struct et_wait_enter *w = et_body(enter);
    /* WNOWAIT leaves the child a zombie: its pid stays taken (the fix this
     * finding recommends). */
    if (w->options & WNOWAIT)
        return false;
    if (w->kind == ET_WAIT_WAITID) {
        switch (w->idtype) {
        case P_ALL:
            return true;
        case P_PID:
            return (uint32_t)w->id == child->pid;
        case P_PGID:
            return w->id == 0 || (uint32_t)w->id == child->pgid;
        default:
            return true; /* P_PIDFD: which pid is not recorded; assume it may */
        }
    }
    if (w->kind == ET_WAIT_WAIT || w->kind == ET_WAIT_WAIT3 || w->id == -1)
        return true;
    if (w->id > 0)
        return (uint32_t)w->id == child->pid;
    (void)m;
    return w->id == 0 || 0u - (uint32_t)w->id == child->pgid;
}

static void check_kill_after_reap(struct et_model *m, int32_t pi, const struct et_record *r,
                                  const struct et_signal *b)
{
    /* A pidfd names a process, not a number: it cannot reach a newcomer. */
    if (b->target <= 0 || b->kind == ET_SIGNAL_KILLPG || b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL)
        return;
    long reaped = et_procmap_get(&m->reaped_by_pid, (uint32_t)b->target, 0);
    if (reaped < 0)
        return;
    const struct et_proc *old = &m->procs[reaped];
    if (old->reap_ts > r->ts_ns || (int32_t)reaped == pi)
        return;
    long cur = et_procmap_get(&m->by_pid, (uint32_t)b->target, 0);
    bool reused = cur >= 0 && cur != reaped && m->procs[cur].begin_ts >= old->reap_ts &&
                  m->procs[cur].begin_ts <= r->ts_ns;
    /* The sender's own new child, which fork handed the old number: the
     * sender means this one. */
    if (reused && m->procs[cur].parent == pi && m->procs[cur].created_by)
        return;
    char sig[32];
    const char *signame = b->sig ? et_signal_name(b->sig, sig, sizeof(sig)) : "signal 0";
    const char *who = old->reaped_by_kernel ? "the kernel (SIGCHLD ignored)" : LABEL(m, old->reaper);
    char outcome[320];
    if (reused)
        snprintf(outcome, sizeof(outcome), "the pid now belonged to %s, which %s", LABEL(m, (int32_t)cur),
                 b->result == 0 ? "received it" : "it did not reach");
    else if (b->result != 0 && r->err == ESRCH)
        snprintf(outcome, sizeof(outcome), "it failed with ESRCH: no process had the pid yet");
    else
        snprintf(outcome, sizeof(outcome), "%s", b->result == 0 ? "some process with that pid received it"
                                                                : "it failed");
    struct et_finding *f = add(m, ET_FK_KILL_AFTER_REAP, ET_SEV_ERROR, r->ts_ns,
                               "%s sent %s to pid %d at %s, %s after %s had been reaped by %s; %s",
                               LABEL(m, pi), signame, b->target, WHEN(m, r->ts_ns),
                               DURATION(r->ts_ns - old->reap_ts), LABEL(m, (int32_t)reaped), who, outcome);
    if (!f)
        return;
    et_finding_add_proc(f, pi);
    et_finding_add_proc(f, (int32_t)reaped);
    if (reused)
        et_finding_add_proc(f, (int32_t)cur);
    et_finding_add_evidence(f, end_record(old));
    et_finding_add_evidence(f, old->reap_rec);
    if (reused)
        et_finding_add_evidence(f, m->procs[cur].created_by);
    et_finding_add_evidence(f, r);
}

static void check_kill_wait_race(struct et_model *m, int32_t pi, const struct et_record *r,
                                 const struct et_signal *b)
{
    if (b->sig == 0 || b->kind == ET_SIGNAL_KILLPG || b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL || b->target <= 0)
        return;
    long ci = et_procmap_get(&m->by_pid, (uint32_t)b->target, 0);
    if (ci < 0 || m->procs[ci].parent != pi)
        return;
    const struct et_proc *p = &m->procs[pi];
    for (uint32_t k = 0; k < p->nwaits; k++) {
        const struct et_wait_call *w = &p->waits[k];
        if (w->tid == r->tid || !wait_can_reap(m, w->enter, &m->procs[ci]))
            continue;
        char sig[32];
        struct et_finding *f =
            add(m, ET_FK_KILL_WAIT_RACE, ET_SEV_WARNING, r->ts_ns,
                "%s %u of %s sent %s to its child %s at %s while thread %u was in %s since %s, able to reap "
                "it: had the child exited first, the signal could have reached a recycled pid",
                r->tid == m->procs[pi].pid ? "the main thread," : "thread", r->tid, LABEL(m, pi), et_signal_name(b->sig, sig, sizeof(sig)), LABEL(m, (int32_t)ci),
                WHEN(m, r->ts_ns), w->tid, et_wait_kind_name(((const struct et_wait_enter *)et_body(w->enter))->kind),
                WHEN(m, w->enter->ts_ns));
        if (!f)
            return;
        et_finding_add_proc(f, pi);
        et_finding_add_proc(f, (int32_t)ci);
        et_finding_add_evidence(f, w->enter);
        et_finding_add_evidence(f, r);
        return;
    }
}

static void check_kill_broadcast(struct et_model *m, int32_t pi, const struct et_record *r,
                                 const struct et_signal *b)
{
    if (b->sig == 0 || b->kind == ET_SIGNAL_PIDFD_SEND_SIGNAL || b->kind == ET_SIGNAL_TGKILL)
        return;
    char sig[32];
    const char *signame = et_signal_name(b->sig, sig, sizeof(sig));
    if (b->target == -1 && b->kind != ET_SIGNAL_KILLPG) {
        struct et_finding *f = add(m, ET_FK_KILL_BROADCAST, ET_SEV_WARNING, r->ts_ns,
                                   "%s sent %s to every process it may signal: kill(-1, %s)", LABEL(m, pi), signame,
                                   signame);
        if (f) {
            et_finding_add_proc(f, pi);
            et_finding_add_evidence(f, r);
        }
        return;
    }
    uint32_t group;
    if (b->kind == ET_SIGNAL_KILLPG)
        group = b->target > 0 ? (uint32_t)b->target : m->procs[pi].pgid;
    else if (b->target == 0)
        group = m->procs[pi].pgid;
    else if (b->target < -1)
        group = 0u - (uint32_t)b->target; /* INT32_MIN negates without overflow */
    else
        return;
    if (!group)
        return;
    /* Who else is in the group: anyone neither the sender nor started by it. */
    char outsiders[512] = "";
    size_t used = 0;
    int32_t first = ET_NO_PROC;
    unsigned count = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct et_proc *q = &m->procs[i];
        if ((int32_t)i == pi || (q->flags & (ET_PF_ENDED | ET_PF_PLACEHOLDER)) || q->pgid != group ||
            et_proc_is_descendant(m, (int32_t)i, pi))
            continue;
        count++;
        if (first == ET_NO_PROC)
            first = (int32_t)i;
        const char *rel = (int32_t)i == m->procs[pi].parent ? "its parent "
                          : (m->procs[i].flags & ET_PF_LAUNCHER) ? ""
                          : et_proc_is_descendant(m, pi, (int32_t)i) ? "its ancestor "
                                                                       : "";
        int n = snprintf(outsiders + used, sizeof(outsiders) - used, "%s%s%s", used ? ", " : "", rel,
                         LABEL(m, (int32_t)i));
        if (n > 0 && (size_t)n < sizeof(outsiders) - used)
            used += (size_t)n;
    }
    if (!count)
        return;
    struct et_finding *f =
        add(m, ET_FK_KILL_BROADCAST, ET_SEV_WARNING, r->ts_ns,
            "%s sent %s to process group %u, which also held %u process%s it did not start: %s", LABEL(m, pi),
            signame, group, count, count == 1 ? "" : "es", outsiders);
    if (!f)
        return;
    et_finding_add_proc(f, pi);
    et_finding_add_proc(f, first);
    et_finding_add_evidence(f, r);
}

void et_rules_on_signal(struct et_model *m, int32_t pi, const struct et_record *r)
{
    const struct et_signal *b = et_body(r);
    check_kill_after_reap(m, pi, r, b);
    check_kill_wait_race(m, pi, r, b);
    check_kill_broadcast(m, pi, r, b);
}

/* ---- echild ---------------------------------------------------------------------- */

void et_rules_on_wait_return(struct et_model *m, int32_t pi, const struct et_record *r, const struct et_record *enter)
{
    if (r->err != ECHILD || !enter)
        return;
    const struct et_proc *p = &m->procs[pi];
    const struct et_wait_enter *w = et_body(enter);
    bool specific = w->kind == ET_WAIT_WAITID ? w->idtype == P_PID
                                              : (w->kind == ET_WAIT_WAITPID || w->kind == ET_WAIT_WAIT4) && w->id > 0;
    int32_t child = ET_NO_PROC;
    if (specific) {
        long c = et_procmap_get(&m->reaped_by_pid, (uint32_t)w->id, 0);
        if (c < 0)
            c = et_procmap_get(&m->by_pid, (uint32_t)w->id, 0);
        if (c < 0 || m->procs[c].parent != pi || !m->procs[c].created_by)
            return; /* not a child this process started, as far as the trace shows */
        child = (int32_t)c;
    } else {
        /* wait(-1) answering ECHILD is how a loop learns it is done; only a
         * lost status is worth a word. */
        if (!(p->flags & ET_PF_SIGCHLD_IGNORED))
            return;
        for (int32_t c = p->first_child; c != ET_NO_PROC; c = m->procs[c].next_sibling)
            if (m->procs[c].created_by && m->procs[c].reaped_by_kernel)
                child = c;
        if (child == ET_NO_PROC)
            return;
    }

    const struct et_proc *c = &m->procs[child];
    char why[512];
    const struct et_record *cause = NULL;
    if (c->reaped_by_kernel || ((p->flags & ET_PF_SIGCHLD_IGNORED) && !(c->flags & ET_PF_REAPED))) {
        snprintf(why, sizeof(why),
                 "SIGCHLD is ignored (SIG_IGN or SA_NOCLDWAIT) in %s, so the kernel reaps its children itself",
                 LABEL(m, pi));
        cause = p->sigchld_rec;
    } else if ((c->flags & ET_PF_REAPED) && c->reaper == pi && c->reap_rec && c->reap_rec->tid != r->tid) {
        snprintf(why, sizeof(why), "thread %u of the same process had already reaped it at %s (a double wait)",
                 c->reap_rec->tid, WHEN(m, c->reap_ts));
        cause = c->reap_rec;
    } else if ((c->flags & ET_PF_REAPED) && c->reaper == pi) {
        snprintf(why, sizeof(why),
                 "an earlier wait in the same thread (a SIGCHLD handler, or a second wait) had already reaped it at "
                 "%s",
                 WHEN(m, c->reap_ts));
        cause = c->reap_rec;
    } else {
        snprintf(why, sizeof(why), "something exectrace does not see reaped it (a wait inside a library, or an "
                                   "untraced part of the process)");
    }
    struct et_finding *f = add(m, ET_FK_ECHILD, ET_SEV_WARNING, r->ts_ns,
                               "%s waited for its child %s and got ECHILD at %s: %s", LABEL(m, pi), LABEL(m, child),
                               WHEN(m, r->ts_ns), why);
    if (!f)
        return;
    et_finding_add_proc(f, pi);
    et_finding_add_proc(f, child);
    et_finding_add_evidence(f, c->created_by);
    et_finding_add_evidence(f, cause);
    et_finding_add_evidence(f, enter);
    et_finding_add_evidence(f, r);
}

/* ---- held-pipe and parent-holds-write-end ----------------------------------------- */

#define MAX_HOLDERS 8

struct et_pending_pipe_check {
    uint32_t pipe;
    int32_t writer;  /* the process the write end was given to, now ended */
    int32_t giver;   /* its parent, who made the pipe */
    int32_t reader;  /* a holder of the read end when the writer ended */
    uint64_t writer_end_ts;
    const struct et_record *writer_end;
    uint32_t nholders;
    struct {
        int32_t proc;
        int32_t fd;
        bool released;
        uint64_t released_ts;
        const struct et_record *release;
    } holders[MAX_HOLDERS];
    bool done;
    bool reported; /* a finding came of it */
};

static int32_t hold_fd(const struct et_proc *p, uint32_t pipe, bool write)
{
    for (uint32_t k = 0; k < p->nholds; k++)
        if (p->holds[k].pipe == pipe && (write ? p->holds[k].write : p->holds[k].read))
            return p->holds[k].fd;
    return -1;
}

/* Would this holder keep the reader waiting by mistake?  The parent who made
 * the pipe is checked separately; a sibling given the pipe as its own stdout
 * or stderr is meant to write to it. */
static bool unintended_holder(const struct et_model *m, int32_t h, int32_t writer, int32_t giver, int32_t fd)
{
    if (h == giver)
        return true;
    if (et_proc_is_descendant(m, h, writer))
        return true;
    return fd >= 3;
}

static bool held_at(const struct et_holding *e, uint64_t ts)
{
    return e->from <= ts && (e->until == 0 || e->until > ts);
}

static struct et_pending_pipe_check *new_check(struct et_model *m)
{
    if (m->npipe_checks == m->pipe_checks_cap) {
        size_t cap = m->pipe_checks_cap ? m->pipe_checks_cap * 2 : 16;
        struct et_pending_pipe_check *v = realloc(m->pipe_checks, cap * sizeof(*v));
        if (!v) {
            m->out_of_memory = true;
            return NULL;
        }
        m->pipe_checks = v;
        m->pipe_checks_cap = cap;
    }
    struct et_pending_pipe_check *ch = &m->pipe_checks[m->npipe_checks++];
    memset(ch, 0, sizeof(*ch));
    return ch;
}

static bool all_released(const struct et_pending_pipe_check *ch)
{
    for (uint32_t i = 0; i < ch->nholders; i++)
        if (!ch->holders[i].released)
            return false;
    return true;
}

static void report_pipe_check(struct et_model *m, struct et_pending_pipe_check *ch);
static void report_pipe_findings(struct et_model *m, struct et_pending_pipe_check *ch);

/* The pipes this process was given the write end of by its parent, who
 * made them: who else held them at the moment it ended?  Its death may be
 * learnt late (at its reap), so this looks back through each pipe's log. */
void et_rules_on_process_end(struct et_model *m, int32_t ci)
{
    const struct et_proc *c = &m->procs[ci];
    int32_t giver = c->parent;
    if (giver == ET_NO_PROC)
        return;
    uint64_t died = c->end_ts;
    for (uint32_t k = 0; k < c->nholds; k++) {
        const struct et_hold *h = &c->holds[k];
        struct et_model_pipe *pp = &m->pipes[h->pipe];
        /* Both ends: a token pipe such as make's jobserver, not output. */
        if (!h->write || pp->creator != giver || hold_fd(c, h->pipe, false) >= 0)
            continue;
        bool seen = false;
        for (uint32_t j = 0; j < k; j++)
            seen = seen || (c->holds[j].pipe == h->pipe && c->holds[j].write);
        if (seen)
            continue; /* one check per pipe */

        struct et_pending_pipe_check ch = {.pipe = h->pipe,
                                           .writer = ci,
                                           .giver = giver,
                                           .reader = ET_NO_PROC,
                                           .writer_end_ts = died,
                                           .writer_end = c->exit_rec ? c->exit_rec : m->current};
        for (uint32_t e = 0; e < pp->nlog; e++) {
            const struct et_holding *hd = &pp->log[e];
            if (hd->proc == ci || !held_at(hd, died))
                continue;
            if (hd->read && ch.reader == ET_NO_PROC)
                ch.reader = hd->proc;
            if (!hd->write || !unintended_holder(m, hd->proc, ci, giver, hd->fd))
                continue;
            /* One entry per holder; released when its last copy went. */
            uint32_t i = 0;
            while (i < ch.nholders && ch.holders[i].proc != hd->proc)
                i++;
            if (i == ch.nholders) {
                if (ch.nholders == MAX_HOLDERS)
                    continue;
                ch.nholders++;
                ch.holders[i].proc = hd->proc;
                ch.holders[i].fd = hd->fd;
                ch.holders[i].released = true;
            }
            if (hd->until == 0)
                ch.holders[i].released = false;
            else if (hd->until > ch.holders[i].released_ts)
                ch.holders[i].released_ts = hd->until;
        }
        if (!ch.nholders || ch.reader == ET_NO_PROC)
            continue;
        /* Evidence of the releases already past: the holder's end. */
        for (uint32_t i = 0; i < ch.nholders; i++) {
            const struct et_proc *q = &m->procs[ch.holders[i].proc];
            if (ch.holders[i].released && (q->flags & ET_PF_ENDED) && q->end_ts == ch.holders[i].released_ts)
                ch.holders[i].release = q->exit_rec ? q->exit_rec : q->reap_rec;
        }
        struct et_pending_pipe_check *slot = new_check(m);
        if (!slot)
            return;
        *slot = ch;
        pp->checks++;
        if (all_released(slot))
            report_pipe_check(m, slot);
    }
}

static void report_pipe_check(struct et_model *m, struct et_pending_pipe_check *ch)
{
    ch->done = true;
    report_pipe_findings(m, ch);
    et_model_pipe_check_done(m, ch->pipe);
}

static void report_pipe_findings(struct et_model *m, struct et_pending_pipe_check *ch)
{
    const struct et_model_pipe *pp = &m->pipes[ch->pipe];
    uint64_t threshold = m->thresholds.held_pipe_ns;
    for (uint32_t i = 0; i < ch->nholders; i++) {
        typeof(ch->holders[0]) *h = &ch->holders[i];
        /* The writer's end may be an estimate (its reap): a holder that let
         * go before it is not late at all.  One still holding when the trace
         * ended counts only if that was long enough after. */
        uint64_t until = h->released ? h->released_ts : m->last_ts;
        bool left = !h->released && (m->procs[h->proc].flags & ET_PF_LEFT_RUNNING);
        if (!left && (until <= ch->writer_end_ts || until - ch->writer_end_ts < threshold))
            continue;
        uint64_t late = h->released ? h->released_ts - ch->writer_end_ts : 0;
        char how_long[160];
        if (h->released)
            snprintf(how_long, sizeof(how_long), "for %s more, until %s", DURATION(late), WHEN(m, h->released_ts));
        else
            snprintf(how_long, sizeof(how_long), "until the end of the trace, %s later",
                     DURATION(m->last_ts - ch->writer_end_ts));
        struct et_finding *f;
        const struct et_proc *w = &m->procs[ch->writer];
        char ended[64];
        snprintf(ended, sizeof(ended), "%s at %s", w->end_how == ET_END_KILLED ? "was killed" : "ended",
                 WHEN(m, ch->writer_end_ts));
        if (h->proc == ch->giver) {
            f = add(m, ET_FK_PARENT_HOLDS_WRITE_END, ET_SEV_ERROR, ch->writer_end_ts,
                    "%s made pipe:[%" PRIu64 "], gave its write end to %s and kept its own copy (fd %d). "
                    "When %u %s, the pipe stayed open %s: %u could not see end-of-file on its own read end",
                    LABEL(m, ch->giver), pp->inode, LABEL(m, ch->writer), h->fd, w->pid, ended, how_long,
                    m->procs[ch->giver].pid);
        } else {
            bool inherited = et_proc_is_descendant(m, h->proc, ch->writer);
            f = add(m, ET_FK_HELD_PIPE, ET_SEV_WARNING, ch->writer_end_ts,
                    "%s made pipe:[%" PRIu64 "] for the output of %s. When %u %s, %s still held the write end "
                    "(fd %d), %s, and kept the pipe open %s: %s, reading it, saw end-of-file %s",
                    LABEL(m, ch->giver), pp->inode, LABEL(m, ch->writer), w->pid, ended, LABEL(m, h->proc), h->fd,
                    inherited ? "inherited from it" : "a copy it was not meant to have", how_long,
                    LABEL(m, ch->reader), h->released ? "that late" : "never");
        }
        if (!f)
            return;
        ch->reported = true;
        et_finding_add_proc(f, h->proc == ch->giver ? ch->giver : h->proc);
        et_finding_add_proc(f, ch->writer);
        et_finding_add_proc(f, ch->giver);
        et_finding_add_proc(f, ch->reader);
        et_finding_add_evidence(f, pp->created);
        if (h->proc != ch->giver) {
            const struct et_proc *hp = &m->procs[h->proc];
            et_finding_add_evidence(f, hp->created_by);
        }
        et_finding_add_evidence(f, m->procs[ch->writer].killed_by);
        et_finding_add_evidence(f, ch->writer_end);
        et_finding_add_evidence(f, h->release);
    }
}

void et_rules_on_write_end_released(struct et_model *m, int32_t pi, uint32_t pipe, uint64_t ts)
{
    for (size_t k = 0; k < m->npipe_checks; k++) {
        struct et_pending_pipe_check *ch = &m->pipe_checks[k];
        if (ch->done || ch->pipe != pipe)
            continue;
        for (uint32_t i = 0; i < ch->nholders; i++) {
            if (ch->holders[i].proc == pi && !ch->holders[i].released) {
                ch->holders[i].released = true;
                ch->holders[i].released_ts = ts;
                ch->holders[i].release = m->current;
            }
        }
        if (all_released(ch))
            report_pipe_check(m, ch);
    }
}

/* ---- at the end: zombies, unreaped children, orphans, blind spots ------------------ */

/* When a process stopped running, if the trace says. */
static bool end_known(const struct et_proc *p, uint64_t *ts)
{
    if (!(p->flags & ET_PF_ENDED) || !p->end_ts_exact)
        return false;
    *ts = p->end_ts;
    return true;
}

static bool waits_visible(const struct et_proc *p)
{
    return (p->flags & ET_PF_TRACED) && !(p->flags & (ET_PF_UNTRACED_EXEC | ET_PF_PLACEHOLDER | ET_PF_LAUNCHER));
}

/* A parent stuck reading a pipe that a held copy kept open cannot reap: up
 * to the moment the last holder let go, its child's time as a zombie is a
 * consequence of the pipe, not a reaping bug.  When the pipe was let go. */
static bool pipe_kept_parent_busy(const struct et_model *m, int32_t child, int32_t parent, uint64_t *until)
{
    bool found = false;
    for (size_t k = 0; k < m->npipe_checks; k++) {
        const struct et_pending_pipe_check *ch = &m->pipe_checks[k];
        if (ch->writer != child || ch->reader != parent)
            continue;
        for (uint32_t i = 0; i < ch->nholders; i++) {
            uint64_t t = ch->holders[i].released ? ch->holders[i].released_ts : m->last_ts;
            if (!found || t > *until)
                *until = t;
            found = true;
        }
    }
    return found;
}

static void check_zombies(struct et_model *m)
{
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct et_proc *c = &m->procs[i];
        uint64_t died;
        if (c->parent == ET_NO_PROC || c->reaped_by_kernel || !end_known(c, &died))
            continue;
        const struct et_proc *p = &m->procs[c->parent];
        if (!waits_visible(p) || (p->flags & ET_PF_SIGCHLD_IGNORED))
            continue;
        uint64_t parent_end = (p->flags & ET_PF_ENDED) ? p->end_ts : m->last_ts;
        if (parent_end < died)
            continue; /* the parent went first: not its zombie */
        bool already = false;
        for (size_t k = 0; k < m->nfindings && !already; k++)
            already = m->findings[k].kind == ET_FK_ZOMBIE && m->findings[k].nprocs &&
                      m->findings[k].procs[0] == (int32_t)i;
        if (already)
            continue; /* seen as a zombie in a snapshot */
        bool reaped_by_parent = (c->flags & ET_PF_REAPED) && c->reaper == c->parent;
        uint64_t until = reaped_by_parent ? c->reap_ts : parent_end;
        uint64_t busy_until = 0;
        uint64_t from = died;
        if (pipe_kept_parent_busy(m, (int32_t)i, c->parent, &busy_until) && busy_until > from)
            from = busy_until;
        if (until < from || until - from < m->thresholds.zombie_ns)
            continue;
        struct et_finding *f;
        if (reaped_by_parent)
            f = add(m, ET_FK_ZOMBIE, ET_SEV_WARNING, died,
                    "%s exited at %s and stayed a zombie for %s, until its parent %s reaped it at %s",
                    LABEL(m, (int32_t)i), WHEN(m, died), DURATION(until - died), LABEL(m, c->parent),
                    WHEN(m, c->reap_ts));
        else
            f = add(m, ET_FK_ZOMBIE, ET_SEV_WARNING, died,
                    "%s exited at %s and its parent %s never reaped it: it stayed a zombie for %s, until %s",
                    LABEL(m, (int32_t)i), WHEN(m, died), LABEL(m, c->parent), DURATION(until - died),
                    (p->flags & ET_PF_ENDED) ? "its parent ended" : "the end of the trace");
        if (!f)
            return;
        et_finding_add_proc(f, (int32_t)i);
        et_finding_add_proc(f, c->parent);
        et_finding_add_evidence(f, c->created_by);
        et_finding_add_evidence(f, c->exit_rec ? c->exit_rec : c->killed_by);
        et_finding_add_evidence(f, reaped_by_parent ? c->reap_rec : p->exit_rec);
    }
}

static void check_unreaped_at_exit(struct et_model *m)
{
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct et_proc *p = &m->procs[i];
        if (p->end_how != ET_END_EXITED || !waits_visible(p) || (p->flags & ET_PF_SIGCHLD_IGNORED))
            continue;
        char list[512] = "";
        size_t used = 0;
        unsigned running = 0, zombies = 0;
        struct et_finding tmp = {0};
        for (int32_t c = p->first_child; c != ET_NO_PROC; c = m->procs[c].next_sibling) {
            const struct et_proc *q = &m->procs[c];
            if (!q->created_by || (q->flags & ET_PF_DETACHED))
                continue;
            /* The middle of a double-fork daemon: it made a session of its
             * own to start the daemon in, and leaves it there on purpose. */
            if ((p->flags & ET_PF_DETACHED) && q->sid == p->pid)
                continue;
            if ((q->flags & ET_PF_REAPED) && q->reaper == (int32_t)i)
                continue;
            if ((q->flags & ET_PF_REAPED) && q->reap_ts <= p->end_ts)
                continue; /* reaped by someone else while p lived: not left to the next reaper */
            bool alive = !(q->flags & ET_PF_ENDED) || q->end_ts > p->end_ts;
            alive ? running++ : zombies++;
            int n = snprintf(list + used, sizeof(list) - used, "%s%s%s", used ? ", " : "", LABEL(m, c),
                             alive ? "" : " (already exited, a zombie)");
            if (n > 0 && (size_t)n < sizeof(list) - used)
                used += (size_t)n;
            et_finding_add_proc(&tmp, c);
            et_finding_add_evidence(&tmp, q->created_by);
        }
        if (!running && !zombies)
            continue;
        struct et_finding *f = add(m, ET_FK_UNREAPED_AT_EXIT, ET_SEV_WARNING, p->end_ts,
                                   "%s exited at %s without waiting for %u child%s it started: %s", LABEL(m, (int32_t)i),
                                   WHEN(m, p->end_ts), running + zombies, running + zombies == 1 ? "" : "ren", list);
        if (!f)
            return;
        et_finding_add_proc(f, (int32_t)i);
        for (uint32_t k = 0; k < tmp.nprocs; k++)
            et_finding_add_proc(f, tmp.procs[k]);
        for (uint32_t k = 0; k < tmp.nevidence; k++)
            et_finding_add_evidence(f, tmp.evidence[k]);
        et_finding_add_evidence(f, p->exit_rec);
    }
}

/* Descendants of x that were running when it died and outlived it. */
static void collect_survivors(const struct et_model *m, int32_t x, int32_t root, uint64_t died, uint64_t margin,
                              struct et_finding *tmp, char *list, size_t *used, size_t cap, unsigned *count,
                              unsigned depth)
{
    if (depth > 64)
        return;
    for (int32_t c = m->procs[x].first_child; c != ET_NO_PROC; c = m->procs[c].next_sibling) {
        const struct et_proc *q = &m->procs[c];
        if (q->begin_ts < died && !(q->flags & ET_PF_PLACEHOLDER && !(q->flags & ET_PF_TRACED) && !q->created_by)) {
            bool running = !(q->flags & ET_PF_ENDED);
            uint64_t end = running ? m->last_ts : q->end_ts;
            /* Still running when the trace stopped: evidence only if that was
             * long enough after, or if exectrace saw it alive at its stop. */
            if (end > died + margin || (running && (q->flags & ET_PF_LEFT_RUNNING))) {
                (*count)++;
                char d[64];
                if (running)
                    snprintf(d, sizeof(d), "still running at the end of the trace, %s later",
                             DURATION(m->last_ts - died));
                else
                    snprintf(d, sizeof(d), "outlived it by %s", DURATION(q->end_ts - died));
                int n = snprintf(list + *used, cap - *used, "%s%s, %s", *used ? "; " : "", LABEL(m, c), d);
                if (n > 0 && (size_t)n < cap - *used)
                    *used += (size_t)n;
                et_finding_add_proc(tmp, c);
                et_finding_add_evidence(tmp, q->created_by);
                et_finding_add_evidence(tmp, end_record(q));
            }
        }
        collect_survivors(m, c, root, died, margin, tmp, list, used, cap, count, depth + 1);
    }
}

static void check_orphaned_descendants(struct et_model *m)
{
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct et_proc *x = &m->procs[i];
        if (x->end_how != ET_END_KILLED || !(x->flags & ET_PF_ENDED) || x->first_child == ET_NO_PROC)
            continue;
        uint64_t died = x->end_ts;
        char list[768] = "";
        size_t used = 0;
        unsigned count = 0;
        struct et_finding tmp = {0};
        collect_survivors(m, (int32_t)i, (int32_t)i, died, m->thresholds.orphan_ns, &tmp, list, &used, sizeof(list),
                          &count, 0);
        if (!count)
            continue;
        char sig[32];
        struct et_finding *f = add(m, ET_FK_ORPHANED_DESCENDANTS, ET_SEV_WARNING, died,
                                   "%s was killed by %s at %s while %u descendant%s lived on: %s",
                                   LABEL(m, (int32_t)i), et_signal_name(x->term_signal, sig, sizeof(sig)),
                                   WHEN(m, died), count, count == 1 ? "" : "s", list);
        if (!f)
            return;
        et_finding_add_proc(f, (int32_t)i);
        for (uint32_t k = 0; k < tmp.nprocs; k++)
            et_finding_add_proc(f, tmp.procs[k]);
        et_finding_add_evidence(f, x->killed_by);
        et_finding_add_evidence(f, x->reap_rec);
        for (uint32_t k = 0; k < tmp.nevidence; k++)
            et_finding_add_evidence(f, tmp.evidence[k]);
    }
}

/* Why a static program went unrecorded: the ptrace recorder was off, and
 * why, or the trace was made without exectrace run. */
static const char *unrecorded_why(const struct et_model *m, const struct et_proc *p, char *buf, size_t len)
{
    const struct et_record *said = p->recorder_refusal ? p->recorder_refusal : m->recorder;
    if (!said) {
        snprintf(buf, len, "the trace was made without the ptrace recorder of `exectrace run`");
        return buf;
    }
    const struct et_recorder *b = et_body(said);
    if (b->state == ET_RECORDER_ON && !b->err) {
        snprintf(buf, len, "the ptrace recorder was on, but does not record set-id programs");
        return buf;
    }
    struct et_tail tail = et_tail_of(said);
    const char *why = NULL;
    uint16_t n = 0;
    et_tail_str(&tail, &why, &n);
    /* The file's bytes: no control character reaches a terminal. */
    char text[200];
    size_t k = 0;
    for (; why && k < n && k + 1 < sizeof(text); k++)
        text[k] = (unsigned char)why[k] < 0x20 || why[k] == 0x7f ? '?' : why[k];
    text[k] = 0;
    snprintf(buf, len, "the ptrace recorder %s: %s", b->state == ET_RECORDER_ON ? "could not follow it" : "was off",
             k ? text : "no reason recorded");
    return buf;
}

static void check_untraced(struct et_model *m)
{
    char why[320];
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct et_proc *p = &m->procs[i];
        struct et_finding *f = NULL;
        if (p->flags & ET_PF_UNTRACED_EXEC) {
            const char *exe = p->last_image && p->last_image->exe ? p->last_image->exe : "?";
            f = add(m, ET_FK_UNTRACED, ET_SEV_INFO, p->pending_exec->ts_ns,
                    "%s exec'd %s, which did not load the shim (%s): its own calls are not in the trace; %s",
                    LABEL(m, (int32_t)i), exe,
                    (p->flags & ET_PF_SETID_EXEC) ? "a set-user-ID or set-group-ID program"
                                                  : "a static binary, a set-id program, or the process died at once",
                    unrecorded_why(m, p, why, sizeof(why)));
            if (f)
                et_finding_add_evidence(f, p->pending_exec);
        } else if (!(p->flags & (ET_PF_TRACED | ET_PF_LAUNCHER)) && p->created_by) {
            f = add(m, ET_FK_UNTRACED, ET_SEV_INFO, p->begin_ts,
                    "%s, started by %s at %s, wrote no records: the program does not load the shim (a static "
                    "binary or a set-id program); %s",
                    LABEL(m, (int32_t)i), LABEL(m, p->parent), WHEN(m, p->begin_ts),
                    unrecorded_why(m, p, why, sizeof(why)));
            if (f)
                et_finding_add_evidence(f, p->created_by);
        } else if (!(p->flags & (ET_PF_TRACED | ET_PF_LAUNCHER)) && p->first_child != ET_NO_PROC) {
            f = add(m, ET_FK_UNTRACED, ET_SEV_INFO, p->begin_ts,
                    "pid %u, the parent of %s, is not traced: it does not load the shim (a static binary, such as a "
                    "Go program), so only its traced children show what it did; %s",
                    p->pid, LABEL(m, p->first_child), unrecorded_why(m, p, why, sizeof(why)));
        }
        if (!f)
            continue;
        et_finding_add_proc(f, (int32_t)i);
        if (m->recorder)
            et_finding_add_evidence(f, m->recorder);
        if (m->out_of_memory)
            return;
    }
}

void et_rules_finish(struct et_model *m)
{

    for (size_t k = 0; k < m->npipe_checks; k++)
        if (!m->pipe_checks[k].done)
            report_pipe_check(m, &m->pipe_checks[k]);
    check_zombies(m);
    check_unreaped_at_exit(m);
    check_orphaned_descendants(m);
    check_untraced(m);
    if (m->snapshot && !m->hang_judged) {
        m->hang_judged = true;
        et_hang_rules(m);
    }
}

void et_rules_free(struct et_model *m)
{
    free(m->pipe_checks);
    m->pipe_checks = NULL;
    m->npipe_checks = m->pipe_checks_cap = 0;
}
