/*
 * The tracer's loop: every ptrace stop of the tree is taken here, handed to
 * calls.c or image.c, and the tracee resumed at once.  Each way of getting
 * this wrong hangs a program, so every stop resumes, whatever it was:
 *
 * - a child's first stop can come before its creator's fork event: the
 *   child is adopted from /proc and the event finds it known;
 * - every signal is re-injected at its delivery stop;
 * - group-stops (SIGSTOP, Ctrl-Z) are answered with PTRACE_LISTEN, so the
 *   tracee stays stopped as it would untraced, and SIGCONT wakes it;
 * - the tracer learns of an exit before the real parent: it takes the exit
 *   at once, so the parent's wait sees what it would have seen;
 * - a process that ends is reaped here only if the launcher is its real
 *   parent; any other is only released to its parent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "procstat.h"
#include "tracee.h"

#ifndef PTRACE_EVENT_SECCOMP
#define PTRACE_EVENT_SECCOMP 7
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#define NBUCKETS (sizeof(((struct et_tracer *)0)->buckets) / sizeof(struct et_tthread *))

static size_t bucket_of(pid_t tid)
{
    return (size_t)tid % NBUCKETS;
}

struct et_tthread *et_tt_find(struct et_tracer *t, pid_t tid)
{
    for (struct et_tthread *th = t->buckets[bucket_of(tid)]; th; th = th->next)
        if (th->tid == tid)
            return th;
    return NULL;
}

struct et_tproc *et_tp_new(pid_t pid, uint8_t cover)
{
    struct et_tproc *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->pid = pid;
    p->cover = cover;
    return p;
}

void et_tp_put(struct et_tproc *p)
{
    if (p && --p->threads == 0) {
        free(p->fds);
        free(p);
    }
}

void et_tt_remove(struct et_tracer *t, struct et_tthread *th)
{
    struct et_tthread **link = &t->buckets[bucket_of(th->tid)];
    while (*link && *link != th)
        link = &(*link)->next;
    if (*link)
        *link = th->next;
    et_tp_put(th->proc);
    free(th);
}

/* A tid already in the table belonged to a thread that vanished without a
 * word (an exec from another thread kills the rest): the new one replaces
 * it. */
struct et_tthread *et_tt_add(struct et_tracer *t, pid_t tid, struct et_tproc *proc)
{
    struct et_tthread *old = et_tt_find(t, tid);
    if (old)
        et_tt_remove(t, old);
    struct et_tthread *th = calloc(1, sizeof(*th));
    if (!th)
        return NULL;
    th->tid = tid;
    th->proc = proc;
    th->fresh = true;
    proc->threads++;
    th->next = t->buckets[bucket_of(tid)];
    t->buckets[bucket_of(tid)] = th;
    return th;
}

/* The start time is read when a record first needs it: most processes of
 * a tree load the shim, and the recorder never writes a record of theirs. */
void et_tracer_identity(struct et_tthread *th, struct et_identity *id)
{
    if (!th->proc->start_time)
        th->proc->start_time = et_tracer_start_time(th->proc->pid);
    id->pid = (uint32_t)th->proc->pid;
    id->tid = (uint32_t)th->tid;
    id->start_time = th->proc->start_time;
}

void et_tracer_free(struct et_tracer *t)
{
    if (!t)
        return;
    for (size_t b = 0; b < NBUCKETS; b++)
        while (t->buckets[b])
            et_tt_remove(t, t->buckets[b]);
    free(t);
}

void et_tracer_stats(const struct et_tracer *t, struct et_tracer_stats *out)
{
    *out = t->stats;
}

#define SEIZE_OPTIONS                                                                                         \
    (PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |                 \
     PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL)

int et_tracer_seize(struct et_tracer *t, pid_t pid)
{
    if (ptrace(PTRACE_SEIZE, pid, 0, SEIZE_OPTIONS) < 0)
        return -errno;
    /* The command is exectrace's own child until its exec: its records are
     * the launcher's, written in run.c. */
    struct et_tproc *p = et_tp_new(pid, ET_COVER_SHIM);
    if (!p || !et_tt_add(t, pid, p)) {
        free(p);
        return -ENOMEM;
    }
    return 0;
}

int et_tracer_seize_thread(struct et_tracer *t, pid_t pid, pid_t tid)
{
    if (et_tt_find(t, tid))
        return 1;
    if (ptrace(PTRACE_SEIZE, tid, 0, SEIZE_OPTIONS) < 0)
        return -errno;
    /* Another of its threads may be traced already; else a process the
     * shim records until its exec. */
    struct et_tthread *sibling = et_tt_find(t, pid);
    struct et_tproc *p = sibling ? sibling->proc : et_tp_new(pid, ET_COVER_SHIM);
    struct et_tthread *th = p ? et_tt_add(t, tid, p) : NULL;
    if (!th) {
        if (!sibling)
            free(p);
        ptrace(PTRACE_DETACH, tid, 0, 0); /* no filter yet: it may go */
        return -ENOMEM;
    }
    /* Seizing does not stop it: no first stop will come to clear this. */
    th->fresh = false;
    t->stats.seized++;
    return 0;
}

static void resume(struct et_tthread *th, int sig)
{
    bool syscalls = th->in_call || th->proc->cover == ET_COVER_SYSCALLS;
    /* ESRCH: killed meanwhile; its exit comes through wait. */
    ptrace(syscalls ? PTRACE_SYSCALL : PTRACE_CONT, th->tid, 0, sig);
}

/* A fork child runs its parent's image, with a copy of its fds. */
static void inherit_image(struct et_tproc *child, const struct et_tproc *parent)
{
    child->go = parent->go;
    child->fds_known = parent->fds_known;
    child->exe_lo = parent->exe_lo;
    child->exe_hi = parent->exe_hi;
    et_tp_fds_copy(child, parent);
}

/* A tracee whose creator's event we have not seen yet.  /proc says whose
 * thread or child it is; the event, when it comes, finds it known. */
static struct et_tthread *adopt(struct et_tracer *t, pid_t tid)
{
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/status", tid);
    FILE *f = fopen(path, "re");
    long tgid = tid, ppid = 0;
    if (f) {
        while (fgets(buf, sizeof(buf), f)) {
            if (!strncmp(buf, "Tgid:", 5))
                tgid = strtol(buf + 5, NULL, 10);
            else if (!strncmp(buf, "PPid:", 5))
                ppid = strtol(buf + 5, NULL, 10);
        }
        fclose(f);
    }
    if (tgid != tid) {
        struct et_tthread *leader = et_tt_find(t, (pid_t)tgid);
        if (leader)
            return et_tt_add(t, tid, leader->proc);
    }
    struct et_tthread *parent = ppid > 0 ? et_tt_find(t, (pid_t)ppid) : NULL;
    struct et_tproc *p = et_tp_new((pid_t)tgid, parent ? parent->proc->cover : ET_COVER_FILTER);
    if (!p)
        return NULL;
    if (parent)
        inherit_image(p, parent->proc);
    struct et_tthread *th = et_tt_add(t, tid, p);
    if (!th)
        free(p);
    return th;
}

/* The flags of the clone a creation event came from: at an event stop
 * inside a call, the registers still hold its number and arguments.  A
 * fork or vfork call has none of its own. */
static uint64_t clone_flags_of(pid_t tid, int event)
{
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0) {
        if (regs.orig_rax == SYS_clone)
            return regs.rdi;
        uint64_t flags = 0;
        if (regs.orig_rax == SYS_clone3 && et_read_memory(tid, regs.rdi, &flags, sizeof(flags)) == 0)
            return flags;
    }
    if (event == PTRACE_EVENT_VFORK)
        return CLONE_VFORK | CLONE_VM | SIGCHLD;
    return event == PTRACE_EVENT_CLONE ? 0 : SIGCHLD;
}

static void on_created(struct et_tracer *t, struct et_tthread *th, int event)
{
    unsigned long msg = 0;
    if (ptrace(PTRACE_GETEVENTMSG, th->tid, 0, &msg) < 0 || msg == 0)
        return;
    pid_t child = (pid_t)msg;
    uint64_t flags = clone_flags_of(th->tid, event);
    bool is_thread = (flags & CLONE_THREAD) != 0;
    struct et_tthread *c = et_tt_find(t, child);
    if (!c) {
        if (is_thread) {
            c = et_tt_add(t, child, th->proc);
        } else {
            struct et_tproc *p = et_tp_new(child, th->proc->cover);
            if (p) {
                inherit_image(p, th->proc);
                c = et_tt_add(t, child, p);
                if (!c)
                    free(p);
            }
        }
    }
    if (c && !is_thread)
        c->proc->vfork_child = (flags & CLONE_VFORK) != 0;
    if (th->in_call && c && !is_thread) {
        et_call_created(t, th, c, flags);
        /* Recorded: resumed without the exit stop, which was asked for
         * only in case the call failed (then no event comes). */
        th->in_call = false;
    }
}

static void on_exec(struct et_tracer *t, struct et_tthread *th)
{
    unsigned long former = 0;
    ptrace(PTRACE_GETEVENTMSG, th->tid, 0, &former);
    if (former && (pid_t)former != th->tid) {
        /* A thread other than the leader exec'd: it has taken the leader's
         * tid, and its call is the one in progress. */
        struct et_tthread *was = et_tt_find(t, (pid_t)former);
        if (was) {
            th->in_call = was->in_call;
            th->pending = was->pending;
            et_tt_remove(t, was);
        }
    }
    et_image_exec(t, th, et_now_ns());
}

static bool is_stop_signal(int sig)
{
    return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void on_call_stop(struct et_tracer *t, struct et_tthread *th, bool seccomp)
{
    struct __ptrace_syscall_info info;
    memset(&info, 0, sizeof(info));
    if (ptrace(PTRACE_GET_SYSCALL_INFO, th->tid, sizeof(info), &info) <= 0) {
        th->in_call = false;
        return;
    }
    struct et_tproc *p = th->proc;
    if (p->cover == ET_COVER_NONE)
        return;
    if (info.op == PTRACE_SYSCALL_INFO_SECCOMP || (info.op == PTRACE_SYSCALL_INFO_ENTRY && !seccomp)) {
        long nr = (long)(info.op == PTRACE_SYSCALL_INFO_SECCOMP ? info.seccomp.nr : info.entry.nr);
        const uint64_t *args = info.op == PTRACE_SYSCALL_INFO_SECCOMP ? info.seccomp.args : info.entry.args;
        if (p->cover == ET_COVER_SYSCALLS) {
            /* Every call stops at its entry: the seccomp stop of the same
             * call adds nothing. */
            if (info.op == PTRACE_SYSCALL_INFO_SECCOMP || !et_filter_traced_call(nr, args))
                return;
        } else if (info.op != PTRACE_SYSCALL_INFO_SECCOMP) {
            return; /* the entry stop of a call we let run */
        }
        /* Under the number filter, libc's calls stop too: the shim has
         * those.  (ptrace stops from anywhere, on purpose.) */
        if (p->cover == ET_COVER_SHIM && t->mode == ET_FILTER_NUMBERS && nr != SYS_ptrace &&
            !(info.instruction_pointer >= p->exe_lo && info.instruction_pointer < p->exe_hi))
            return;
        th->in_call = et_call_enter(t, th, nr, args, info.instruction_pointer);
    } else if (info.op == PTRACE_SYSCALL_INFO_EXIT) {
        if (th->in_call) {
            th->in_call = false;
            et_call_exit(t, th, (long)info.exit.rval, info.exit.is_error != 0);
        }
    }
}

static uint64_t status_mask(const char *text, const char *key)
{
    const char *at = strstr(text, key);
    return at ? strtoull(at + strlen(key), NULL, 16) : 0;
}

/*
 * Untraced, a signal the program ignores (SIGCHLD, SIGURG and SIGWINCH by
 * default, or any set to SIG_IGN) is dropped when it is sent.  A traced
 * process gets it all the same, to stop for its tracer, and a call it is
 * blocked in returns: those the kernel restarts when no handler runs come
 * back by themselves, but a few fail with EINTR (epoll_wait, among others)
 * that the program would never have seen.  At the stop, before the signal
 * is dropped, such a call is made to start again, as the kernel restarts
 * the others: its number back in rax, rip on the syscall instruction.
 */
static void restart_if_only_we_interrupted(pid_t tid, int sig)
{
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, tid, 0, &regs) < 0 || (long)regs.orig_rax < 0 || (long)regs.rax != -EINTR)
        return;
    char path[64], text[4096];
    snprintf(path, sizeof(path), "/proc/%d/status", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return;
    text[n] = 0;
    uint64_t bit = 1ull << (sig - 1);
    uint64_t ignored = status_mask(text, "SigIgn:"), caught = status_mask(text, "SigCgt:");
    uint64_t blocked = status_mask(text, "SigBlk:");
    uint64_t pending = status_mask(text, "SigPnd:") | status_mask(text, "ShdPnd:");
    const uint64_t ignored_by_default = (1ull << (SIGCHLD - 1)) | (1ull << (SIGURG - 1)) | (1ull << (SIGWINCH - 1)) |
                                        (1ull << (SIGCONT - 1));
    bool dropped = (ignored & bit) || (!(caught & bit) && (ignored_by_default & bit));
    /* Another signal on its way to a handler: the EINTR is its too. */
    if (!dropped || (pending & ~blocked & caught & ~bit))
        return;
    regs.rax = regs.orig_rax;
    regs.rip -= 2; /* the syscall instruction */
    ptrace(PTRACE_SETREGS, tid, 0, &regs);
}

static void on_stop(struct et_tracer *t, pid_t tid, int status)
{
    t->stats.stops++;
    struct et_tthread *th = et_tt_find(t, tid);
    if (!th)
        th = adopt(t, tid);
    if (!th) {
        /* Out of memory: let it run rather than hang it. */
        ptrace(PTRACE_CONT, tid, 0, 0);
        return;
    }
    bool fresh = th->fresh;
    th->fresh = false;
    int sig = WSTOPSIG(status);
    int event = (status >> 16) & 0xff;
    switch (event) {
    case PTRACE_EVENT_SECCOMP:
        on_call_stop(t, th, true);
        resume(th, 0);
        return;
    case PTRACE_EVENT_FORK:
    case PTRACE_EVENT_VFORK:
    case PTRACE_EVENT_CLONE:
        on_created(t, th, event);
        resume(th, 0);
        return;
    case PTRACE_EVENT_EXEC:
        on_exec(t, th);
        resume(th, 0);
        return;
    case PTRACE_EVENT_STOP:
        /* A new tracee's first stop, or a group-stop.  PTRACE_LISTEN keeps
         * a group-stopped tracee stopped until SIGCONT, as untraced. */
        if (!fresh && is_stop_signal(sig))
            ptrace(PTRACE_LISTEN, tid, 0, 0);
        else
            resume(th, 0);
        return;
    case 0:
        break;
    default:
        resume(th, 0);
        return;
    }
    if (sig == (SIGTRAP | 0x80)) {
        on_call_stop(t, th, false);
        resume(th, 0);
        return;
    }
    /* A signal on its way to the tracee: deliver it as it was. */
    restart_if_only_we_interrupted(tid, sig);
    resume(th, sig);
}

bool et_tracer_exit_status(const struct et_tracer *t, pid_t pid, int *status)
{
    const unsigned n = sizeof(t->exits) / sizeof(t->exits[0]);
    for (unsigned k = 1; k <= n && k <= t->next_exit; k++) {
        unsigned i = (t->next_exit - k) % n;
        if (t->exits[i].pid == pid) {
            *status = t->exits[i].status;
            return true;
        }
    }
    return false;
}

bool et_tracer_drain(struct et_tracer *t, et_reaped_fn on_reaped, void *ctx)
{
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        /* Peek first: an ended process's /proc entry (its parent, its start
         * time) is there only until it is taken. */
        if (waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT | __WALL) < 0) {
            if (errno == EINTR)
                continue;
            return errno != ECHILD;
        }
        if (si.si_pid == 0)
            return true;
        pid_t pid = si.si_pid;
        int status;
        if (si.si_code == CLD_TRAPPED || si.si_code == CLD_STOPPED) {
            if (waitpid(pid, &status, __WALL | WNOHANG) == pid && WIFSTOPPED(status))
                on_stop(t, pid, status);
            continue;
        }
        struct et_tthread *th = et_tt_find(t, pid);
        bool leader = !th || th->proc->pid == pid;
        struct et_proc_stat st;
        bool ours = false;
        uint64_t start_time = th ? th->proc->start_time : 0;
        if (leader && et_proc_stat_read(pid, &st) == 0) {
            ours = st.ppid == (uint32_t)t->cfg.launcher_pid;
            start_time = st.start_time;
        }
        pid_t got = waitpid(pid, &status, __WALL | WNOHANG);
        if (got != pid)
            continue;
        if (WIFSTOPPED(status)) {
            on_stop(t, pid, status);
            continue;
        }
        if (th)
            et_tt_remove(t, th);
        if (leader) {
            t->exits[t->next_exit % (sizeof(t->exits) / sizeof(t->exits[0]))].pid = pid;
            t->exits[t->next_exit % (sizeof(t->exits) / sizeof(t->exits[0]))].status = status;
            t->next_exit++;
        }
        if (ours && on_reaped)
            on_reaped(ctx, pid, status, start_time);
    }
}
