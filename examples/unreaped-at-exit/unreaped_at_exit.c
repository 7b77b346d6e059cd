/*
 * unreaped-at-exit: the parent exits without waiting for its child.
 *
 * What happens.  main starts a worker to do part of the job (here 100 ms of
 * it), does its own part (300 ms), prints "done" and returns from main.  It
 * never waits for the worker.  Nobody learns whether the worker succeeded:
 * its exit status goes to whoever adopts it, init or a subreaper (under
 * exectrace, exectrace).  Had the worker been slower, it would still be
 * running after main said "done", unsupervised, perhaps still writing the
 * file main's caller is about to read.
 *
 * Why.  Returning from main ends the process, not its children.  They are
 * reparented, and their statuses are collected by the new parent, which
 * does not know what they were for.
 *
 * The fix (unreaped_at_exit_fixed.c): wait for every child before exiting,
 * and use its status; kill the ones that are no longer needed, then wait
 * for them too.  A child meant to outlive its parent (a daemon) should
 * detach deliberately with setsid(); exectrace does not report those.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pid_t worker = fork();
    if (worker == 0) {
        usleep(100 * 1000); /* the worker's part */
        _exit(0);
    }
    printf("main=%d started worker=%d\n", getpid(), worker);
    usleep(300 * 1000); /* main's own part */
    printf("done\n");   /* the bug: no waitpid(worker) */
    return 0;
}
