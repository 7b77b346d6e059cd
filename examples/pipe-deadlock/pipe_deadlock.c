/*
 * pipe-deadlock: waiting for a child before reading its output.
 *
 * What happens.  main runs `seq 1 200000` with its stdout on a pipe, the
 * way a program captures a command's output, but it waits for the command
 * to exit (waitpid) before it reads anything.  seq writes about 1.3 MB.  A
 * pipe holds 64 KiB: once it is full, seq's write() blocks until someone
 * reads.  The only reader is main, and main is in waitpid(), waiting for seq
 * to exit.  Neither can go on, ever.  With a short output (seq 1 100) the
 * same code works, which is why this passes the tests and hangs in
 * production.
 *
 * This example HANGS by design.  Run it under
 *     exectrace run --hang-after 1 --kill-after-report -- build/examples/pipe-deadlock/pipe_deadlock
 * to see the diagnosis.  Run alone, it is bounded: main calls alarm(30), so
 * after 30 s SIGALRM ends main, the kernel closes its read end, and seq's
 * next write kills it with SIGPIPE.
 *
 * Why.  A write to a full pipe blocks; a pipe is a small kernel buffer, not
 * a file.  waitpid() returns when the child exits, and the child cannot exit
 * before its output has been read.
 *
 * The fix (pipe_deadlock_fixed.c): read the pipe to end-of-file first, then
 * waitpid().  With several pipes (stdout and stderr), read them together
 * (poll, or one thread each), or send the output to a file.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(30); /* the bound: the hang ends after 30 s */
    int p[2];
    if (pipe(p) < 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        dup2(p[1], 1);
        close(p[1]);
        execlp("seq", "seq", "1", "200000", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    printf("main=%d started child=%d (seq 1 200000), waiting for it to exit\n", getpid(), child);

    /* The bug: wait first... */
    int status;
    waitpid(child, &status, 0);
    /* ...read after.  Never reached with a large output. */
    char buf[65536];
    size_t total = 0;
    ssize_t n;
    while ((n = read(p[0], buf, sizeof(buf))) > 0)
        total += (size_t)n;
    close(p[0]);
    printf("child=%d exited; read %zu bytes of output\n", child, total);
    return 0;
}
