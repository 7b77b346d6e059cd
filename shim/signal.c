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

#include "shim.h"

static void record_signal(uint16_t kind, uint64_t ts, int target, int target_tid, int sig, int result, int err,
                          int pidfd)
{
    struct et_record *r = et_begin(ET_REC_SIGNAL, sizeof(struct et_signal), ts, result < 0 ? err : 0);
    if (!r)
        return;
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
    et_commit(r);
}

ET_EXPORT int kill(pid_t pid, int sig)
{
    if (!et_active())
        return ET_REAL(kill)(pid, sig);
    uint64_t ts = et_now_ns();
    int ret = et_real.kill(pid, sig);
    int saved = errno;
    record_signal(ET_SIGNAL_KILL, ts, pid, 0, sig, ret, saved, -1);
    errno = saved;
    return ret;
}

ET_EXPORT int killpg(pid_t pgrp, int sig)
{
    if (!et_active())
        return ET_REAL(killpg)(pgrp, sig);
    uint64_t ts = et_now_ns();
    int ret = et_real.killpg(pgrp, sig);
    int saved = errno;
    record_signal(ET_SIGNAL_KILLPG, ts, pgrp, 0, sig, ret, saved, -1);
    errno = saved;
    return ret;
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
    struct et_record *r = et_begin(ET_REC_PIDFD_OPEN, sizeof(struct et_pidfd_open), ts, fd < 0 ? saved : 0);
    if (r) {
        struct et_pidfd_open *b = et_record_body(r);
        b->pid = pid;
        b->flags = flags;
        b->result = fd;
        b->reserved = 0;
        et_commit(r);
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
