/*
 * kill-broadcast: "signal my process group" reaches the parent too.
 *
 * What happens.  main (a supervisor) starts a service, a; a starts a worker
 * b.  To tell its workers to reload, a signals its whole process group:
 * kill(0, SIGUSR1).  But a never made a group of its own: it is in the
 * group it was born in, main's.  So the SIGUSR1 reaches main as well.
 * SIGUSR1's default action is to terminate: a supervisor that did not
 * expect it would have been killed by its own child.  (Here main blocks
 * SIGUSR1, so that it survives and can show that the signal arrived.  In a
 * shell, the same bug kills the shell, its other jobs, or your terminal
 * session's processes: whatever shares the group.)
 *
 * The example starts by making a process group of its own,
 * setpgid(0, 0) in main, so that even the bug cannot reach whoever ran it.
 *
 * Why.  kill(0, sig) and killpg(getpgrp(), sig) mean "every process in my
 * group", and a child starts in its parent's group.  Groups are made only
 * by setpgid() or setsid(), never by fork().
 *
 * The fix (kill_broadcast_fixed.c): a makes a group of its own,
 * setpgid(0, 0), before it starts workers; b inherits it, and kill(0, ...)
 * reaches a and b only.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Contain the example: nothing above main can be hit. */
    if (setpgid(0, 0) < 0 && getpgrp() != getpid()) {
        perror("setpgid");
        return 1;
    }

    /* Blocked in main, a and b: it stays pending where it arrives. */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);

    pid_t a = fork();
    if (a == 0) {
        /* The bug: no setpgid(0, 0) here. */
        pid_t b = fork();
        if (b == 0) {
            /* The worker: wait (at most 3 s) for the reload signal. */
            struct timespec limit = {3, 0};
            if (sigtimedwait(&usr1, NULL, &limit) == SIGUSR1)
                printf("worker b=%d: got SIGUSR1, reloading\n", getpid());
            _exit(0);
        }
        printf("service a=%d started worker b=%d, in process group %d\n", getpid(), b, getpgrp());
        usleep(100 * 1000);
        kill(0, SIGUSR1); /* "tell my workers to reload" */
        waitpid(b, NULL, 0);
        _exit(0);
    }
    printf("main=%d started service a=%d; main's process group is %d\n", getpid(), a, getpgrp());
    waitpid(a, NULL, 0);

    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGUSR1))
        printf("main=%d received SIGUSR1 too, meant for a's workers: unblocked, it would have been killed\n",
               getpid());
    else
        printf("main=%d did not receive SIGUSR1\n", getpid());
    return 0;
}
