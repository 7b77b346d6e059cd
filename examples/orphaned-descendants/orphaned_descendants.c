/*
 * orphaned-descendants: killing a child does not kill the children it started.
 *
 * What happens.  main starts a job, a; a starts a helper, b, and waits for
 * it.  After a timeout main gives up on the job and kills it:
 * kill(a, SIGKILL).  a dies, but b goes on running.  The kernel reparents
 * b (to init, or to the nearest subreaper: under exectrace, to exectrace)
 * and nobody is waiting for it any more.  Here b would have run for 3 s;
 * only so that the example leaves nothing behind, main kills it 0.3 s
 * later.  A real program does not know it should.
 *
 * Why.  A signal sent to a pid reaches that one process.  Children are not
 * part of their parent: they keep their files, pipes and locks, and their
 * work goes on.
 *
 * The fix (orphaned_descendants_fixed.c): a is started in a process group
 * of its own (setpgid, in the parent and in the child so that there is no
 * race), everything it starts inherits that group, and main kills the
 * group: kill(-a, SIGKILL).  a and b end together.
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
    kill(a, SIGKILL);   /* the bug: kills a, not what a started */
    waitpid(a, NULL, 0);
    printf("killed and reaped a=%d\n", a);

    usleep(300 * 1000);
    if (kill(-a, 0) == 0)
        printf("process group %d is not empty: a's helper is still running\n", a);
    kill(-a, SIGKILL); /* clean up, for the example's sake */
    return 0;
}
