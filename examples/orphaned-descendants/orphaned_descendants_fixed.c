/*
 * orphaned-descendants, fixed: kill the job's process group, not its pid.
 *
 * As in orphaned_descendants.c, the job a runs in a process group of its
 * own (setpgid(a, a), done by both parent and child so that the group exists
 * whichever runs first) and its helper b inherits that group.  On timeout
 * main kills the whole group, kill(-a, SIGKILL): a and b die together, and
 * nothing outlives the job.
 *
 * A group covers what the job starts unless something in it moves to
 * another group or session (a daemon does).  For those, use a cgroup, or
 * make the supervisor a subreaper (prctl(PR_SET_CHILD_SUBREAPER)) and kill
 * and reap what is reparented to it.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pid_t a = fork();
    if (a == 0) {
        setpgid(0, 0);
        pid_t b = fork();
        if (b == 0) {
            sleep(3); /* the helper's work */
            _exit(0);
        }
        printf("job a=%d started helper b=%d\n", getpid(), b);
        waitpid(b, NULL, 0);
        _exit(0);
    }
    setpgid(a, a);
    printf("main=%d started job a=%d in process group %d\n", getpid(), a, a);

    usleep(200 * 1000); /* the job takes too long: give up on it */
    kill(-a, SIGKILL);  /* the whole group: a and everything it started */
    waitpid(a, NULL, 0);
    printf("killed process group %d and reaped a=%d\n", a, a);
    return 0;
}
