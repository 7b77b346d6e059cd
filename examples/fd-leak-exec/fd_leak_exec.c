/*
 * fd-leak-exec: a pipe end leaks into a program that never asked for it.
 *
 * What happens.  main uses the self-pipe trick to learn when its child
 * ends: a SIGCHLD handler writes a byte into a pipe, and main's event loop
 * poll()s the read end.  The pipe is made with plain pipe(), so its two
 * ends (fds 3 and 4) are inherited by the child and, since they are not
 * close-on-exec, survive the exec: the program the child runs, here
 * `ls -l /proc/self/fd`, starts with main's pipe ends open.  ls lists them:
 * 3 -> pipe:[...] and 4 -> pipe:[...].
 *
 * Why it matters.  ls does not care, but a long-running program would keep
 * the write end open for as long as it runs: anything reading that pipe to
 * end-of-file waits for it (see ../held-pipe).  And a leaked fd is access:
 * to a pipe, a socket, a file the program was never meant to have.
 *
 * The fix (fd_leak_exec_fixed.c): make the pipe close-on-exec,
 * pipe2(p, O_CLOEXEC) (likewise open(..., O_CLOEXEC), socket(...,
 * SOCK_CLOEXEC)).  The child still has the ends between fork and exec; exec
 * closes them.  An fd meant for the new program is dup2()'d onto 0, 1 or 2,
 * which clears close-on-exec on the copy only.
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
    if (pipe(self_pipe) < 0) /* the bug: not close-on-exec */
        return 1;
    fcntl(self_pipe[1], F_SETFL, O_NONBLOCK);
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
