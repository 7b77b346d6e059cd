/*
 * kill-broadcast, fixed: the service makes its own process group first.
 *
 * The same supervisor, service and worker as kill_broadcast.c.  The service
 * a now calls setpgid(0, 0) before starting its worker: a becomes the
 * leader of a new group, the worker b is born in it, and kill(0, SIGUSR1)
 * reaches exactly a and b.  main, in its own group, gets nothing.
 *
 * (a's own SIGUSR1 stays pending, blocked, and is discarded when a exits.)
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
        setpgid(0, 0); /* the fix: a group of its own, for b to inherit */
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
