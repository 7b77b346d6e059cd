/*
 * kill-after-reap: a child is signalled after it has been reaped.
 *
 * What happens.  main runs a small pool of two workers.  Worker a finishes
 * its job at once; main's loop reaps it with waitpid(-1).  Then main shuts
 * the pool down: it sends SIGTERM to every pid in its table and waits for
 * the workers still running.  The table still says a, so a is signalled
 * although it was reaped already.  Here kill() fails with ESRCH.  On a busy
 * machine a new process may have been given a's pid in between, and that
 * process gets the SIGTERM instead.
 *
 * Why.  A pid is only a number.  It names the worker from fork() until the
 * wait that reaps it, and nothing after: the kernel may hand it to the next
 * process that starts.  The code that reaps (the loop) and the code that
 * signals (the shutdown) did not agree on who owns the worker.
 *
 * The fix (kill_after_reap_fixed.c): the code that reaps a worker also
 * writes in the table that it is gone (pid = 0), and the shutdown signals
 * only the workers that are still unreaped.  A pidfd also works: see
 * ../kill-wait-race/kill_wait_race_fixed.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct worker {
    char name;
    pid_t pid;
};

static pid_t start_worker(unsigned job_ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        usleep(job_ms * 1000); /* the job; SIGTERM ends it early */
        _exit(0);
    }
    return pid;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct worker pool[2] = {{'a', start_worker(50)}, {'b', start_worker(3000)}};
    printf("main=%d started workers a=%d b=%d\n", getpid(), pool[0].pid, pool[1].pid);

    /* The main loop: reap whichever worker finishes. */
    int status;
    pid_t done = waitpid(-1, &status, 0);
    printf("reaped worker %d, exit status %d\n", done, WEXITSTATUS(status));
    /* The bug: the table still holds the reaped pid. */

    /* Shutdown: stop every worker in the table, then wait for them. */
    for (int i = 0; i < 2; i++) {
        if (kill(pool[i].pid, SIGTERM) < 0)
            printf("kill(%d, SIGTERM) for worker %c: %s\n", pool[i].pid, pool[i].name, strerror(errno));
        else
            printf("kill(%d, SIGTERM) for worker %c: sent\n", pool[i].pid, pool[i].name);
    }
    for (int i = 0; i < 2; i++)
        if (pool[i].pid != done)
            waitpid(pool[i].pid, &status, 0);
    return 0;
}
