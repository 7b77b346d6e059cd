/*
 * kill-wait-race: one thread signals a child that another thread may reap.
 *
 * What happens.  main starts a child and a waiter thread that blocks in
 * waitpid(child) to collect its status.  A little later main decides to
 * stop the child and calls kill(child, SIGTERM) from its own thread.  This
 * time it works: the child is still running, dies of the signal, and the
 * waiter reaps it.
 *
 * Why it is a bug anyway.  Had the child exited on its own just before the
 * kill, the waiter thread would have reaped it, its pid would have been
 * free, and main's SIGTERM would have gone to whatever process got that pid
 * next.  Nothing orders the kill in one thread against the reap in the
 * other.  The window is tiny, so this fails rarely: under load, in
 * production.
 *
 * The fix (kill_wait_race_fixed.c): name the child by a pidfd instead of a
 * pid.  main opens one right after fork (pidfd_open) and signals through it
 * (pidfd_send_signal); the waiter waits on it (waitid(P_PIDFD, ...)).  A
 * pidfd refers to the process itself: once the child is gone, sending
 * through it fails with ESRCH, it can never reach a newcomer.  Giving the
 * child one owner (the same thread kills, then waits) also fixes it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void *waiter(void *arg)
{
    (void)arg;
    int status;
    if (waitpid(child, &status, 0) == child && WIFSIGNALED(status))
        printf("waiter: child %d was killed by signal %d\n", child, WTERMSIG(status));
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    child = fork();
    if (child == 0) {
        sleep(3); /* works until told to stop, never longer than 3 s */
        _exit(0);
    }
    printf("main=%d started child=%d\n", getpid(), child);

    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    usleep(100 * 1000); /* the waiter is blocked in waitpid by now */

    /* The bug: a pid that another thread may reap at any moment. */
    kill(child, SIGTERM);
    pthread_join(t, NULL);
    return 0;
}
