/*
 * Sending signals: kill, killpg, sigqueue, tgkill, pidfd_open and
 * pidfd_send_signal.  Every call is recorded, whatever the signal (signal 0
 * probes whether a pid exists, which matters to pid-reuse races too).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd_table.h"
#include "life.h"
#include "real.h"
#include "stack.h"

/* Inlined: one frame fewer for every stack taken under a signal call. */
static inline __attribute__((always_inline)) struct et_record *record_signal(uint16_t kind, uint64_t ts, int target,
                                                                             int target_tid, int sig, int result,
                                                                             int err, int pidfd)
{
    struct et_record *r = et_begin_stacked(ET_REC_SIGNAL, sizeof(struct et_signal), ts, result < 0 ? err : 0);
    if (!r)
        return NULL;
    struct et_signal *b = et_record_body(r);
    b->kind = kind;
    b->reserved = 0;
    b->target = target;
    b->target_tid = target_tid;
    b->sig = sig;
    b->result = result;
    b->pidfd = pidfd;
    b->pidfd_pid = -1;
    if (pidfd >= 0) {
        uint64_t e = et_fd_get(pidfd);
        if ((e & ET_FDE_VALID) && (e & ET_FDE_PIDFD))
            b->pidfd_pid = (int32_t)(e & ET_FDE_VALUE_MASK);
    }
    b->reserved2 = 0;
    et_commit(&et_proc.writer, r);
    return r;
}

/* Can this kill/killpg reach the caller itself?  Then the caller may be
 * dead before the call returns (timeout(1) ends with kill(0, SIGKILL)), so
 * the record is written first and its result filled in afterwards. */
static bool reaches_self(uint16_t kind, pid_t target, int sig)
{
    if (sig == 0)
        return false;
    if (kind == ET_SIGNAL_KILLPG)
        return target == 0 || target == getpgrp();
    return target == 0 || target == -1 || target == (pid_t)et_proc.pid || (target < -1 && -target == getpgrp());
}

static int signal_group(uint16_t kind, int (*real)(pid_t, int), pid_t target, int sig)
{
    if (!et_active())
        return real(target, sig);
    uint64_t ts = et_now_ns();
    if (reaches_self(kind, target, sig)) {
        struct et_record *r = record_signal(kind, ts, target, 0, sig, 0, 0, -1);
        int ret = real(target, sig);
        int saved = errno;
        if (r && ret != 0) {
            /* The reader accepts the record either way; it may see the
             * result before or after this update. */
            ((struct et_signal *)et_record_body(r))->result = ret;
            __atomic_store_n(&r->err, saved, __ATOMIC_RELAXED);
        }
        errno = saved;
        return ret;
    }
    int ret = real(target, sig);
    int saved = errno;
    record_signal(kind, ts, target, 0, sig, ret, saved, -1);
    errno = saved;
    return ret;
}

ET_EXPORT int kill(pid_t pid, int sig)
{
    return signal_group(ET_SIGNAL_KILL, ET_REAL(kill), pid, sig);
}

ET_EXPORT int killpg(pid_t pgrp, int sig)
{
    return signal_group(ET_SIGNAL_KILLPG, ET_REAL(killpg), pgrp, sig);
}

ET_EXPORT int sigqueue(pid_t pid, int sig, const union sigval value)
{
    if (!et_active())
        return ET_REAL(sigqueue)(pid, sig, value);
    uint64_t ts = et_now_ns();
    int ret = et_real.sigqueue(pid, sig, value);
    int saved = errno;
    record_signal(ET_SIGNAL_SIGQUEUE, ts, pid, 0, sig, ret, saved, -1);
    errno = saved;
    return ret;
}

ET_EXPORT int tgkill(pid_t tgid, pid_t tid, int sig)
{
    if (!ET_REAL(tgkill)) {
        errno = ENOSYS;
        return -1;
    }
    if (!et_active())
        return et_real.tgkill(tgid, tid, sig);
    uint64_t ts = et_now_ns();
    int ret = et_real.tgkill(tgid, tid, sig);
    int saved = errno;
    record_signal(ET_SIGNAL_TGKILL, ts, tgid, tid, sig, ret, saved, -1);
    errno = saved;
    return ret;
}

ET_EXPORT int pidfd_open(pid_t pid, unsigned int flags)
{
    if (!ET_REAL(pidfd_open)) {
        errno = ENOSYS;
        return -1;
    }
    if (!et_active())
        return et_real.pidfd_open(pid, flags);
    uint64_t ts = et_now_ns();
    int fd = et_real.pidfd_open(pid, flags);
    int saved = errno;
    if (fd >= 0)
        et_fd_set(fd, ET_FDE_VALID | ET_FDE_PIDFD | ET_FDE_CLOEXEC | ((uint64_t)(uint32_t)pid & ET_FDE_VALUE_MASK));
    struct et_record *r = et_begin_stacked(ET_REC_PIDFD_OPEN, sizeof(struct et_pidfd_open), ts, fd < 0 ? saved : 0);
    if (r) {
        struct et_pidfd_open *b = et_record_body(r);
        b->pid = pid;
        b->flags = flags;
        b->result = fd;
        b->reserved = 0;
        et_commit(&et_proc.writer, r);
    }
    errno = saved;
    return fd;
}

ET_EXPORT int pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned int flags)
{
    if (!ET_REAL(pidfd_send_signal)) {
        errno = ENOSYS;
        return -1;
    }
    if (!et_active())
        return et_real.pidfd_send_signal(pidfd, sig, info, flags);
    uint64_t ts = et_now_ns();
    int ret = et_real.pidfd_send_signal(pidfd, sig, info, flags);
    int saved = errno;
    record_signal(ET_SIGNAL_PIDFD_SEND_SIGNAL, ts, -1, 0, sig, ret, saved, pidfd);
    errno = saved;
    return ret;
}
