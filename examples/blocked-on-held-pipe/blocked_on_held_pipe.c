/*
 * blocked-on-held-pipe: a helper process keeps a copy of the write end.
 *
 * What happens.  main makes a pipe for the output of a job (`echo`) and
 * starts the job.  Then it forks a helper that runs beside the job (here it
 * only sleeps; in real programs it ships logs, renews a lease, serves
 * metrics).  Then main closes its own write end and reads the job's output
 * to end-of-file.  The job prints its line and exits at once.  main gets the
 * line, but not end-of-file: the helper was forked while main still held
 * both ends of the pipe, fork() copied them, and the helper's code never
 * closed what it does not use.  The pipe stays open as long as the helper
 * runs, and main waits for it.
 *
 * This example HANGS by design.  Run it under
 *     exectrace run --hang-after 1 --kill-after-report -- build/examples/blocked-on-held-pipe/blocked_on_held_pipe
 * The report names main, blocked in read(), and the helper that holds the
 * write end.  Run alone, the hang is bounded: the helper stops after 30 s,
 * and main then gets end-of-file.
 *
 * Why.  A reader sees end-of-file only when every write end of the pipe is
 * closed, in every process.  fork() copies every fd.  The helper does not
 * know it holds fd 4; the kernel counts it all the same.
 *
 * The fix (blocked_on_held_pipe_fixed.c): a child closes the fds it does
 * not use, first thing: the helper closes both ends.  When the helper
 * exec's a program, create the pipe with pipe2(p, O_CLOEXEC) instead, and
 * exec closes the copy (Python's subprocess does that for you,
 * close_fds=True).
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

/* The helper's work, cut short: it stops by itself after 30 s. */
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
        /* The bug: no close(p[0]); close(p[1]); here. */
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
