/*
 * Process groups, sessions and reaping: setpgid, setpgrp, setsid,
 * prctl(PR_SET_CHILD_SUBREAPER / PR_SET_PDEATHSIG), and changes to SIGCHLD's
 * disposition (SIG_IGN or SA_NOCLDWAIT make the kernel reap children, so a
 * later wait fails with ECHILD).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "life.h"
#include "real.h"
#include "stack.h"

/* Declared by <signal.h> only in some modes; the shim defines them all. */
sighandler_t __sysv_signal(int sig, sighandler_t handler);
sighandler_t sysv_signal(int sig, sighandler_t handler);
sighandler_t bsd_signal(int sig, sighandler_t handler);

static void record_setpgid(uint16_t kind, uint64_t ts, pid_t pid, pid_t pgid, int result, int err)
{
    struct et_record *r = et_begin_stacked(ET_REC_SETPGID, sizeof(struct et_setpgid), ts, result < 0 ? err : 0);
    if (!r)
        return;
    struct et_setpgid *b = et_record_body(r);
    b->kind = kind;
    b->reserved = 0;
    b->pid = pid;
    b->pgid = pgid;
    b->result = result;
    et_commit(&et_proc.writer, r);
}

ET_EXPORT int setpgid(pid_t pid, pid_t pgid)
{
    if (!et_active())
        return ET_REAL(setpgid)(pid, pgid);
    uint64_t ts = et_now_ns();
    int ret = et_real.setpgid(pid, pgid);
    int saved = errno;
    record_setpgid(ET_SETPGID_SETPGID, ts, pid, pgid, ret, saved);
    errno = saved;
    return ret;
}

ET_EXPORT int setpgrp(void)
{
    if (!et_active())
        return ET_REAL(setpgrp)();
    uint64_t ts = et_now_ns();
    int ret = et_real.setpgrp();
    int saved = errno;
    record_setpgid(ET_SETPGID_SETPGRP, ts, 0, 0, ret, saved);
    errno = saved;
    return ret;
}

ET_EXPORT pid_t setsid(void)
{
    if (!et_active())
        return ET_REAL(setsid)();
    uint64_t ts = et_now_ns();
    pid_t ret = et_real.setsid();
    int saved = errno;
    struct et_record *r = et_begin_stacked(ET_REC_SETSID, sizeof(struct et_setsid), ts, ret < 0 ? saved : 0);
    if (r) {
        struct et_setsid *b = et_record_body(r);
        b->result = ret;
        b->reserved = 0;
        et_commit(&et_proc.writer, r);
    }
    errno = saved;
    return ret;
}

ET_EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long arg2 = va_arg(ap, unsigned long);
    unsigned long arg3 = va_arg(ap, unsigned long);
    unsigned long arg4 = va_arg(ap, unsigned long);
    unsigned long arg5 = va_arg(ap, unsigned long);
    va_end(ap);
    if (ET_UNLIKELY(!ET_REAL(prctl))) {
        errno = ENOSYS;
        return -1;
    }
    if ((option != PR_SET_CHILD_SUBREAPER && option != PR_SET_PDEATHSIG) || !et_active())
        return et_real.prctl(option, arg2, arg3, arg4, arg5);
    uint64_t ts = et_now_ns();
    int ret = et_real.prctl(option, arg2, arg3, arg4, arg5);
    int saved = errno;
    struct et_record *r = et_begin_stacked(ET_REC_PRCTL, sizeof(struct et_prctl), ts, ret < 0 ? saved : 0);
    if (r) {
        struct et_prctl *b = et_record_body(r);
        b->option = option;
        b->result = ret;
        b->arg2 = arg2;
        et_commit(&et_proc.writer, r);
    }
    errno = saved;
    return ret;
}

static uint16_t disposition_of(sighandler_t handler)
{
    if (handler == SIG_DFL)
        return ET_DISP_DEFAULT;
    if (handler == SIG_IGN)
        return ET_DISP_IGNORE;
    if (handler == SIG_HOLD)
        return ET_DISP_HOLD;
    return ET_DISP_HANDLER;
}

static void record_sigchld(uint16_t call, uint64_t ts, uint16_t disposition, uint32_t sa_flags, int result, int err)
{
    struct et_record *r =
        et_begin_stacked(ET_REC_SIGCHLD_ACTION, sizeof(struct et_sigchld_action), ts, result < 0 ? err : 0);
    if (!r)
        return;
    struct et_sigchld_action *b = et_record_body(r);
    b->call = call;
    b->disposition = disposition;
    b->sa_flags = sa_flags;
    b->result = result;
    b->reserved = 0;
    et_commit(&et_proc.writer, r);
}

static sighandler_t signal_common(uint16_t call, sighandler_t (*real)(int, sighandler_t), int sig,
                                  sighandler_t handler)
{
    if (ET_UNLIKELY(!real)) {
        errno = ENOSYS;
        return SIG_ERR;
    }
    if (handler != SIG_DFL && handler != SIG_IGN && handler != SIG_HOLD && handler != SIG_ERR)
        et_stack_note_handler();
    if (sig != SIGCHLD || !et_active())
        return real(sig, handler);
    uint64_t ts = et_now_ns();
    sighandler_t ret = real(sig, handler);
    int saved = errno;
    record_sigchld(call, ts, disposition_of(handler), 0, ret == SIG_ERR ? -1 : 0, saved);
    errno = saved;
    return ret;
}

ET_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
    return signal_common(ET_SIGCHLD_SIGNAL, ET_REAL(signal), sig, handler);
}

/* What signal() becomes in programs built for strict POSIX or SVID. */
ET_EXPORT sighandler_t __sysv_signal(int sig, sighandler_t handler)
{
    return signal_common(ET_SIGCHLD_SIGNAL, ET_REAL(__sysv_signal), sig, handler);
}

ET_EXPORT sighandler_t sysv_signal(int sig, sighandler_t handler)
{
    return signal_common(ET_SIGCHLD_SIGNAL, ET_REAL(sysv_signal), sig, handler);
}

ET_EXPORT sighandler_t bsd_signal(int sig, sighandler_t handler)
{
    return signal_common(ET_SIGCHLD_SIGNAL, ET_REAL(bsd_signal), sig, handler);
}

ET_EXPORT sighandler_t sigset(int sig, sighandler_t handler)
{
    return signal_common(ET_SIGCHLD_SIGSET, ET_REAL(sigset), sig, handler);
}

ET_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    if (act && ((act->sa_flags & SA_SIGINFO) || (act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN)))
        et_stack_note_handler();
    if (sig != SIGCHLD || !act || !et_active())
        return ET_REAL(sigaction)(sig, act, old);
    uint64_t ts = et_now_ns();
    int ret = et_real.sigaction(sig, act, old);
    int saved = errno;
    uint16_t disp = (act->sa_flags & SA_SIGINFO) ? ET_DISP_HANDLER : disposition_of(act->sa_handler);
    record_sigchld(ET_SIGCHLD_SIGACTION, ts, disp, (uint32_t)act->sa_flags, ret, saved);
    errno = saved;
    return ret;
}
