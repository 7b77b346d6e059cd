/*
 * zombie, fixed: a SIGCHLD handler reaps each child as soon as it ends.
 *
 * The same program as zombie.c: a 50 ms job, and 1.5 s of main's own work.
 * The kernel sends SIGCHLD to the parent when a child ends; here a handler
 * reaps every child that has ended, with waitpid(-1, &status, WNOHANG) in a
 * loop (one SIGCHLD may stand for several children), and keeps what it
 * learnt in variables main looks at later.  The job is reaped within
 * microseconds of its end, however long main's work takes.  The handler
 * saves and restores errno, since it can interrupt any code.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t reaped_pid, reaped_status;

static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno, status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        reaped_pid = pid;
        reaped_status = status;
    }
    errno = saved;
}

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
        usleep(10 * 1000); /* a SIGCHLD may cut one short: harmless */
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);

    pid_t job = fork();
    if (job == 0) {
        usleep(50 * 1000);
        _exit(0);
    }
    printf("main=%d started job=%d\n", getpid(), job);
    work(); /* the handler reaps the job when it ends */
    if (reaped_pid == job)
        printf("job=%d was reaped when it ended, exit status %d\n", job, WEXITSTATUS(reaped_status));
    return 0;
}
