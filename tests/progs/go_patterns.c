/*
 * The raw system calls of Go's os/exec, in C, for machines whose Go is too
 * old to take these paths (Go 1.22+ uses pidfds).  Built static, so every
 * call stops in the ptrace recorder, as a Go program's do.
 *
 *   pidfd-kill   Go 1.22+: a probe of pidfd support first (pidfd_open of
 *                itself, waitid(P_PIDFD) on it fails with ECHILD,
 *                pidfd_send_signal(fd, 0)), then the child started with
 *                clone(CLONE_VFORK|CLONE_VM|CLONE_PIDFD), which execs
 *                sleep 5; the parent kills it through the pidfd
 *                (pidfd_send_signal, as CommandContext's cancel does) and
 *                reaps it with waitid(P_PIDFD).
 *   kill-reaped  Go 1.19: clone(CLONE_VFORK|CLONE_VM), then
 *                waitid(P_PID, WEXITED|WNOWAIT) and wait4, then
 *                kill(pid, SIGKILL) on the pid it has reaped
 *                (syscall.Kill on a saved pid): a kill-after-reap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* The child's side, as Go's forkAndExecInChild: raw calls only, on the
 * parent's memory. */
static long raw_vfork_exec(unsigned long extra_flags, int *pidfd, char *const argv[])
{
    /* clone's arguments on x86_64: flags, stack, parent_tid, child_tid, tls. */
    register long r10 __asm__("r10") = 0;
    register long r8 __asm__("r8") = 0;
    long ret;
    unsigned long flags = CLONE_VFORK | CLONE_VM | SIGCHLD | extra_flags;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(SYS_clone), "D"(flags), "S"(0), "d"(pidfd), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    if (ret == 0) {
        syscall(SYS_execve, argv[0], argv, (char *const[]){NULL});
        syscall(SYS_exit_group, 127);
    }
    return ret;
}

static int pidfd_kill(void)
{
    /* The probe: not a finding. */
    int self = (int)syscall(SYS_pidfd_open, getpid(), 0);
    siginfo_t si;
    long probe_wait = syscall(SYS_waitid, P_PIDFD, self, &si, WEXITED | WNOHANG, NULL);
    int probe_errno = errno;
    syscall(SYS_pidfd_send_signal, self, 0, NULL, 0);
    close(self);

    int pidfd = -1;
    char *argv[] = {"/bin/sleep", "5", NULL};
    long child = raw_vfork_exec(CLONE_PIDFD, &pidfd, argv);
    printf("main=%d child=%ld pidfd=%d probe=%ld/%s\n", getpid(), child, pidfd, probe_wait, strerrorname_np(probe_errno));
    usleep(100000);
    long sent = syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
    memset(&si, 0, sizeof(si));
    long waited = syscall(SYS_waitid, P_PIDFD, pidfd, &si, WEXITED, NULL);
    printf("sent=%ld waited=%ld pid=%d code=%d status=%d\n", sent, waited, si.si_pid, si.si_code, si.si_status);
    close(pidfd);
    return si.si_pid == child && si.si_code == CLD_KILLED ? 0 : 1;
}

static int kill_reaped(void)
{
    char *argv[] = {"/bin/true", NULL};
    long child = raw_vfork_exec(0, NULL, argv);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    syscall(SYS_waitid, P_PID, child, &si, WEXITED | WNOWAIT, NULL);
    int status = 0;
    syscall(SYS_wait4, child, &status, 0, NULL);
    printf("main=%d child=%ld status=%d\n", getpid(), child, WEXITSTATUS(status));
    long killed = syscall(SYS_kill, child, SIGKILL); /* the child is gone */
    printf("kill=%ld\n", killed);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && !strcmp(argv[1], "pidfd-kill"))
        return pidfd_kill();
    if (argc > 1 && !strcmp(argv[1], "kill-reaped"))
        return kill_reaped();
    fprintf(stderr, "usage: go_patterns pidfd-kill|kill-reaped\n");
    return 2;
}
