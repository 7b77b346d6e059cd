#define _GNU_SOURCE
#include "findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

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

/* Each kind: what it means in a line, and the rule that sets its severity.
 * The README's tables say the same (tests/unit/test_catalogue.c checks the
 * severities). */
struct kind_rule {
    const char *summary;
    const char *levels;
};

static const struct kind_rule kind_rules[ET_FK_COUNT] = {
    [ET_FK_KILL_AFTER_REAP] = {"a signal sent to a pid after that process was reaped: it fails with ESRCH, or "
        "reaches whatever process got the pid (named when the trace shows it)",
        "error"},
    [ET_FK_KILL_WAIT_RACE] = {"one thread signals a child while another thread is in a wait that can reap it: if the "
        "child exits first, the signal can reach a recycled pid",
        "warning"},
    [ET_FK_ORPHANED_DESCENDANTS] = {"a process was killed while its descendants lived on (reparented), and for how "
        "long",
        "warning"},
    [ET_FK_HELD_PIPE] = {"after the process a pipe's write end was given to ended, others (its descendants, or "
        "processes that got a copy by accident) kept the pipe open, so the reader could see end-of-file only late, "
        "or never",
        "error when the reader was seen waiting past the writer's end, warning otherwise"},
    [ET_FK_PARENT_HOLDS_WRITE_END] = {"a process kept its own copy of a pipe's write end after giving the write end "
        "to a child: no reader can see end-of-file on the pipe until it lets go",
        "error when a reader was seen waiting, info when the reader records its reads and none waited, warning when "
        "its reads are not recorded"},
    [ET_FK_ZOMBIE] = {"a child exited and stayed unreaped for at least --zombie-ms while its parent lived",
        "warning"},
    [ET_FK_UNREAPED_AT_EXIT] = {"a process exited without waiting for children it had started",
        "warning"},
    [ET_FK_ECHILD] = {"a wait for a child the process started failed with ECHILD",
        "error when a wait for any child (a SIGCHLD handler, a reaping loop) took the status or SIGCHLD was ignored; "
        "warning when another wait for that very child had it, or what took it is not in the trace"},
    [ET_FK_KILL_BROADCAST] = {"kill(-1, ...), or a signal to a process group that also holds processes the sender "
        "did not start (such as its parent, or exectrace)",
        "warning"},
    [ET_FK_FD_LEAK_EXEC] = {"a pipe end at fd 3 or above, made inside the traced tree, crossed an exec without "
        "close-on-exec",
        "info"},
    [ET_FK_UNTRACED] = {"processes the shim could not see (static binaries, set-id programs)",
        "info"},
    [ET_FK_PIPE_DEADLOCK] = {"a parent waits for a child that is blocked writing into a full pipe only the parent "
        "would read (the 64 KiB stall), or a child reads its input to end-of-file while its waiting parent holds the "
        "write end",
        "error"},
    [ET_FK_BLOCKED_ON_HELD_PIPE] = {"a reader waits for end-of-file on a pipe whose write end is held only by "
        "processes it did not give it to (orphaned grandchildren, leaked copies), named with how they got it",
        "error"},
    [ET_FK_SELF_HELD_PIPE] = {"a process blocked reading a pipe whose write end it holds itself",
        "error"},
    [ET_FK_STUCK_WAIT] = {"a wait on a child that is itself blocked, with the chain of what waits on what down to "
        "its end",
        "warning"},
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

const char *et_finding_summary(unsigned kind)
{
    return kind < ET_FK_COUNT ? kind_rules[kind].summary : "";
}

const char *et_finding_levels(unsigned kind)
{
    return kind < ET_FK_COUNT ? kind_rules[kind].levels : "";
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

/* ---- the sink ------------------------------------------------------------------- */

void et_default_thresholds(struct et_thresholds *th)
{
    th->zombie_ns = 1000ull * 1000000u;
    th->held_pipe_ns = 100ull * 1000000u;
    th->orphan_ns = 100ull * 1000000u;
}

struct et_finding *et_findings_add(struct et_findings *out, uint16_t kind, uint8_t severity, const char *basis,
                                   uint64_t ts, int32_t subject, const char *fmt, ...)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        struct et_finding *v = realloc(out->v, cap * sizeof(*v));
        if (!v) {
            out->out_of_memory = true;
            return NULL;
        }
        out->v = v;
        out->cap = cap;
    }
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        out->out_of_memory = true;
        return NULL;
    }
    struct et_finding *f = &out->v[out->n++];
    *f = (struct et_finding){
        .kind = kind, .severity = severity, .basis = basis, .ts = ts, .subject = subject, .message = msg};
    et_finding_add_proc(f, subject);
    return f;
}

void et_finding_add_proc(struct et_finding *f, int32_t proc)
{
    if (proc == ET_NO_PROC)
        return;
    for (uint32_t i = 0; i < f->nprocs; i++)
        if (f->procs[i] == proc)
            return;
    if (f->nprocs < ET_FINDING_MAX_PROCS)
        f->procs[f->nprocs++] = proc;
}

void et_finding_add_evidence(struct et_finding *f, const struct et_record *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < f->nevidence; i++)
        if (f->evidence[i] == r)
            return;
    if (f->nevidence < ET_FINDING_MAX_EVIDENCE)
        f->evidence[f->nevidence++] = r;
}

const struct et_finding *et_findings_about(const struct et_findings *in, uint16_t kind, int32_t subject)
{
    for (size_t i = 0; i < in->n; i++)
        if (in->v[i].kind == kind && in->v[i].subject == subject)
            return &in->v[i];
    return NULL;
}

const struct et_finding *et_findings_involving(const struct et_findings *in, uint16_t kind, int32_t proc)
{
    for (size_t i = 0; i < in->n; i++)
        if (in->v[i].kind == kind)
            for (uint32_t k = 0; k < in->v[i].nprocs; k++)
                if (in->v[i].procs[k] == proc)
                    return &in->v[i];
    return NULL;
}

static int by_severity_then_time(const void *a, const void *b)
{
    const struct et_finding *x = a, *y = b;
    if (x->severity != y->severity)
        return x->severity > y->severity ? -1 : 1;
    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->kind < y->kind ? -1 : x->kind > y->kind;
}

static int evidence_by_time(const void *a, const void *b)
{
    const struct et_record *x = *(const struct et_record *const *)a, *y = *(const struct et_record *const *)b;
    if (x->ts_ns != y->ts_ns)
        return x->ts_ns < y->ts_ns ? -1 : 1;
    return x < y ? -1 : x > y;
}

void et_findings_sort(struct et_findings *in)
{
    if (!in->n)
        return; /* v is NULL then, and qsort wants an array */
    qsort(in->v, in->n, sizeof(*in->v), by_severity_then_time);
    for (size_t i = 0; i < in->n; i++)
        qsort(in->v[i].evidence, in->v[i].nevidence, sizeof(in->v[i].evidence[0]), evidence_by_time);
}

void et_findings_free(struct et_findings *in)
{
    for (size_t i = 0; i < in->n; i++)
        free(in->v[i].message);
    free(in->v);
    *in = (struct et_findings){0};
}
