/*
 * blocked-on-held-pipe, fixed: the helper closes the fds it does not use.
 *
 * The same program as blocked_on_held_pipe.c, with one change: the helper
 * closes both ends of the job's pipe as soon as it starts.  When the job
 * exits, the last write end closes and main sees end-of-file at once.  main
 * then stops the helper, its own child, and reaps it.
 *
 * A helper that exec's a program gets the same fix from pipe2(p,
 * O_CLOEXEC): exec closes every close-on-exec fd, and the job's dup2() onto
 * fd 1 makes a copy without the flag, so its stdout survives its own exec.
 */
#define _GNU_SOURCE
#include <signal.h>
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

static void helper_loop(void)
{
    for (int i = 0; i < 30; i++)
        sleep(1);
    _exit(0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int p[2];
    if (pipe(p) < 0)
        return 1;
    pid_t job = fork();
    if (job == 0) {
        close(p[0]);
        dup2(p[1], 1);
        close(p[1]);
        execlp("echo", "echo", "job done", (char *)NULL);
        _exit(127);
    }
    pid_t helper = fork();
    if (helper == 0) {
        close(p[0]); /* the fix: not the helper's pipe */
        close(p[1]);
        helper_loop();
    }
    close(p[1]);
    printf("main=%d started job=%d (echo) and helper=%d; reading the job's output\n", getpid(), job, helper);

    double t0 = now();
    char buf[256];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof(buf))) > 0)
        printf("job said: %.*s", (int)n, buf);
    close(p[0]);
    printf("end-of-file after %.1f s\n", now() - t0);
    waitpid(job, NULL, 0);
    kill(helper, SIGTERM); /* our child, not yet reaped: its pid is still ours */
    waitpid(helper, NULL, 0);
    return 0;
}
