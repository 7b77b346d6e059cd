/*
 * self-held-pipe: reading to end-of-file on a pipe whose write end the
 * reader still holds.
 *
 * What happens.  main captures the output of a command (`echo`) the way
 * popen() does by hand: pipe(), fork(), the child puts the write end on its
 * stdout and exec's echo, and main reads until end-of-file.  main gets the
 * line, then waits for end-of-file for ever: it never closed its own copy
 * of the write end after fork().  While any write end is open, even the
 * reader's own, read() blocks instead of returning 0.  The child exited
 * long ago; nothing can ever close main's copy but main, and main is in
 * read().
 *
 * This example HANGS by design.  Run it under
 *     exectrace run --hang-after 1 --kill-after-report -- build/examples/self-held-pipe/self_held_pipe
 * The report says that main is blocked reading a pipe whose write end it
 * holds itself, with both fd numbers.  Run alone, it is bounded: alarm(30)
 * interrupts the read after 30 s (a SIGALRM handler installed without
 * SA_RESTART makes read() fail with EINTR), and main gives up.
 * (examples/parent-holds-write-end/ is the same mistake in a program that
 * gives up after 0.5 s of silence, seen after the fact in the trace.)
 *
 * Why.  fork() copies every fd: after it, parent and child both hold both
 * ends.  The child's copies close when it exits; the parent's only when
 * the parent closes them.
 *
 * The fix (self_held_pipe_fixed.c): close(p[1]) in the parent right after
 * fork(), before reading.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_alarm(int sig)
{
    (void)sig;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The bound: a read still blocked after 30 s fails with EINTR. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    alarm(30);

    int p[2];
    if (pipe(p) < 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        dup2(p[1], 1);
        close(p[1]);
        execlp("echo", "echo", "hello from echo", (char *)NULL);
        _exit(127);
    }
    /* The bug: no close(p[1]) here. */
    printf("main=%d started child=%d (echo), reading its output to end-of-file\n", getpid(), child);

    char buf[256];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof(buf))) > 0)
        printf("read: %.*s", (int)n, buf);
    if (n < 0 && errno == EINTR)
        printf("no end-of-file after 30 s: giving up\n");
    else
        printf("end-of-file\n");
    close(p[0]);
    close(p[1]);
    waitpid(child, NULL, 0);
    return 0;
}
