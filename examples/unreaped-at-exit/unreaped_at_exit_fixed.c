/*
 * unreaped-at-exit, fixed: wait for the worker, and look at its status,
 * before exiting.
 *
 * The same program as unreaped_at_exit.c: a worker does 100 ms of the job,
 * main 300 ms.  Before saying "done", main waits for the worker and checks
 * how it ended, so "done" means the whole job, and a failed worker makes
 * main fail too.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
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
    int status;
    if (waitpid(worker, &status, 0) != worker || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("worker=%d failed\n", worker);
        return 1;
    }
    printf("done\n");
    return 0;
}
