/*
 * kill-after-reap, fixed: the code that reaps a worker forgets its pid.
 *
 * The same pool as kill_after_reap.c: worker a finishes at once and main's
 * loop reaps it; then main shuts the pool down.  This time the loop clears
 * the reaped worker's entry (pid = 0) in the same place it reaps it, and
 * the shutdown signals and waits for only the workers whose pid is still
 * set: those are unreaped, so their pids cannot belong to anyone else.
 *
 * The rule behind it: one owner per child.  Whoever reaps a child is the
 * last one allowed to use its pid.
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
    pid_t pid; /* 0 once reaped */
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

/* Reaps one worker and forgets its pid, in one place. */
static void reap_one(struct worker *pool, int n)
{
    int status;
    pid_t done = waitpid(-1, &status, 0);
    for (int i = 0; i < n; i++) {
        if (done < 0 || pool[i].pid == done) {
            printf("reaped worker %c=%d\n", pool[i].name, done);
            pool[i].pid = 0;
        }
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct worker pool[2] = {{'a', start_worker(50)}, {'b', start_worker(3000)}};
    printf("main=%d started workers a=%d b=%d\n", getpid(), pool[0].pid, pool[1].pid);

    /* The main loop: reap whichever worker finishes. */
    reap_one(pool, 2);

    /* Shutdown: stop the workers not reaped yet, then wait for them. */
    for (int i = 0; i < 2; i++) {
        if (pool[i].pid == 0)
            continue; /* reaped: its pid is no longer its own */
        if (kill(pool[i].pid, SIGTERM) < 0)
            printf("kill(%d, SIGTERM) for worker %c: %s\n", pool[i].pid, pool[i].name, strerror(errno));
        else
            printf("kill(%d, SIGTERM) for worker %c: sent\n", pool[i].pid, pool[i].name);
    }
    while (pool[0].pid || pool[1].pid)
        reap_one(pool, 2);
    return 0;
}
