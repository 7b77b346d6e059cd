/*
 * fd-leak-exec, fixed: the self-pipe is close-on-exec.
 *
 * The same program as fd_leak_exec.c, but the pipe is made with
 * pipe2(p, O_CLOEXEC | O_NONBLOCK).  The child inherits the ends at fork,
 * as every child does, and the exec of ls closes them: ls lists only 0, 1,
 * 2 and the directory it is reading.  One flag, at the one place the fds are
 * made, and no program main starts can hold the pipe open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int self_pipe[2];

static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno;
    if (write(self_pipe[1], "c", 1) < 0) {
        /* full: a wakeup is already pending */
    }
    errno = saved;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (pipe2(self_pipe, O_CLOEXEC | O_NONBLOCK) < 0) /* the fix: closed by exec */
        return 1;
    struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);

    pid_t child = fork();
    if (child == 0) {
        execlp("ls", "ls", "-l", "/proc/self/fd/", (char *)NULL);
        _exit(127);
    }
    printf("main=%d made its self-pipe on fds %d and %d, started child=%d: ls\n", getpid(), self_pipe[0],
           self_pipe[1], child);

    /* The event loop, reduced to waiting for SIGCHLD (at most 3 s). */
    struct pollfd pfd = {.fd = self_pipe[0], .events = POLLIN};
    if (poll(&pfd, 1, 3000) <= 0)
        kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    printf("child=%d ended\n", child);
    close(self_pipe[0]);
    close(self_pipe[1]);
    return 0;
}
