/* Sending signals under the shim: kill, killpg, sigqueue, tgkill, pidfd_open
 * and pidfd_send_signal.  Each mode signals a child that waits in pause(),
 * and checks that it died of that signal.  Exits non-zero with a message when
 * a call did not behave as libc's own would. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENTINEL EDOM
/* Above any pid_max Linux allows (2^22): never a process. */
#define NO_SUCH_PID (1 << 30)

static void fail(const char *what)
{
    fprintf(stderr, "hooks_signal: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

static pid_t paused_child(void)
{
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        for (;;)
            pause();
    }
    printf("child=%d\n", pid);
    return pid;
}

static void expect_killed_by(pid_t pid, int sig)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        fail("waitpid");
    if (!WIFSIGNALED(st) || WTERMSIG(st) != sig)
        fail("child did not die of the signal sent");
}

static void expect_ok(int ret, const char *what)
{
    if (ret != 0)
        fail(what);
    if (errno != SENTINEL)
        fail("a successful call changed errno");
}

static void expect_esrch(int ret, const char *what)
{
    if (ret != -1 || errno != ESRCH)
        fail(what);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        fail("usage: hooks_signal MODE");
    const char *mode = argv[1];
    printf("pid=%d\n", getpid());
    fflush(stdout);
    if (strcmp(mode, "kill") == 0) {
        pid_t c = paused_child();
        errno = SENTINEL;
        expect_ok(kill(c, SIGTERM), "kill");
        expect_killed_by(c, SIGTERM);
    } else if (strcmp(mode, "killpg") == 0) {
        pid_t c = paused_child();
        if (setpgid(c, c) != 0)
            fail("setpgid");
        errno = SENTINEL;
        expect_ok(killpg(c, SIGKILL), "killpg");
        expect_killed_by(c, SIGKILL);
    } else if (strcmp(mode, "sigqueue") == 0) {
        pid_t c = paused_child();
        errno = SENTINEL;
        expect_ok(sigqueue(c, SIGUSR1, (union sigval){.sival_int = 42}), "sigqueue");
        expect_killed_by(c, SIGUSR1);
    } else if (strcmp(mode, "tgkill") == 0) {
        pid_t c = paused_child();
        errno = SENTINEL;
        expect_ok(tgkill(c, c, SIGUSR2), "tgkill");
        expect_killed_by(c, SIGUSR2);
    } else if (strcmp(mode, "pidfd") == 0) {
        pid_t c = paused_child();
        errno = SENTINEL;
        int fd = pidfd_open(c, 0);
        if (fd < 0 || errno != SENTINEL)
            fail("pidfd_open");
        printf("pidfd=%d\n", fd);
        expect_ok(pidfd_send_signal(fd, SIGTERM, NULL, 0), "pidfd_send_signal");
        expect_killed_by(c, SIGTERM);
        /* A pidfd is no pipe end: its close is not an event. */
        expect_ok(close(fd), "close pidfd");
    } else if (strcmp(mode, "pidfd_dup") == 0) {
        /* Moved to another fd number, as programs do with fds they keep. */
        pid_t c = paused_child();
        int fd = pidfd_open(c, 0);
        if (fd < 0)
            fail("pidfd_open");
        errno = SENTINEL;
        int moved = fcntl(fd, F_DUPFD_CLOEXEC, 40);
        if (moved != 40 || errno != SENTINEL)
            fail("F_DUPFD_CLOEXEC");
        expect_ok(close(fd), "close of the original pidfd");
        printf("pidfd=%d\n", moved);
        expect_ok(pidfd_send_signal(moved, SIGTERM, NULL, 0), "pidfd_send_signal");
        expect_killed_by(c, SIGTERM);
    } else if (strcmp(mode, "signal0") == 0) {
        errno = SENTINEL;
        expect_ok(kill(getpid(), 0), "kill(self, 0)");
    } else if (strcmp(mode, "esrch") == 0) {
        expect_esrch(kill(NO_SUCH_PID, 0), "kill of a missing pid");
        expect_esrch(kill(NO_SUCH_PID, SIGTERM), "kill of a missing pid");
        expect_esrch(killpg(NO_SUCH_PID, SIGTERM), "killpg of a missing group");
        expect_esrch(sigqueue(NO_SUCH_PID, SIGTERM, (union sigval){0}), "sigqueue to a missing pid");
        expect_esrch(tgkill(getpid(), NO_SUCH_PID, SIGTERM), "tgkill of a missing thread");
        expect_esrch(pidfd_open(NO_SUCH_PID, 0), "pidfd_open of a missing pid");
    } else if (strcmp(mode, "einval") == 0) {
        if (kill(getpid(), 1000) != -1 || errno != EINVAL)
            fail("kill with an invalid signal");
        if (pidfd_send_signal(0, SIGTERM, NULL, 0) != -1 || errno != EBADF)
            fail("pidfd_send_signal on a non-pidfd");
    } else {
        fail("unknown mode");
    }
    return 0;
}
