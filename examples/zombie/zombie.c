/*
 * zombie: a child that has exited stays in the process table until its
 * parent waits for it.
 *
 * What happens.  main starts a short job (it ends after 50 ms), then gets on
 * with its own work for 1.5 s and only then calls waitpid.  For the 1.45 s
 * in between, the job is a zombie: it has stopped running, but the kernel
 * keeps its pid and exit status for the parent to collect ("<defunct>" in
 * ps).  One zombie costs little; a server that starts a job per request
 * and reaps late fills the process table, and then fork() fails.
 *
 * Why.  Nothing reaps a child but its parent's wait (or the kernel, when the
 * parent ignores SIGCHLD).  A parent busy elsewhere does not reap.
 *
 * The fix (zombie_fixed.c): reap when the child ends, not when the parent
 * gets round to it: a SIGCHLD handler calls waitpid(-1, &status, WNOHANG)
 * in a loop.  (Or poll with WNOHANG from the main loop, as
 * python_popen_never_polled_fixed.py does.)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* main's own work: 1.5 s of it. */
static void work(void)
{
    double end = now() + 1.5;
    while (now() < end)
        usleep(10 * 1000);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pid_t job = fork();
    if (job == 0) {
        usleep(50 * 1000);
        _exit(0);
    }
    printf("main=%d started job=%d\n", getpid(), job);
    work(); /* the job ends meanwhile, and stays a zombie */
    int status;
    waitpid(job, &status, 0);
    printf("reaped job=%d at last, exit status %d\n", job, WEXITSTATUS(status));
    return 0;
}
