/*
 * kill-wait-race, fixed: the child is named by a pidfd, not by its pid.
 *
 * The same two threads as kill_wait_race.c: a waiter thread waits for the
 * child while main decides when to stop it.  Right after fork, main opens a
 * pidfd for the child (pidfd_open).  The waiter waits on the pidfd
 * (waitid(P_PIDFD, ...)) and main signals through it (pidfd_send_signal).
 * If the child has exited and been reaped first, pidfd_send_signal fails
 * with ESRCH: the pidfd stays bound to the process it was opened for and
 * never reaches another process that got the same pid number.
 *
 * pidfd_open needs Linux 5.3, waitid(P_PIDFD) Linux 5.4.  Where they are
 * missing, give the child one owner instead: the thread that kills it is the
 * thread that waits for it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3 /* <linux/wait.h>; glibc 2.36's idtype_t lacks it */
#endif

static pid_t child;
static int child_fd;

static void *waiter(void *arg)
{
    (void)arg;
    siginfo_t info = {0};
    if (waitid((idtype_t)P_PIDFD, (id_t)child_fd, &info, WEXITED) == 0 && info.si_code == CLD_KILLED)
        printf("waiter: child %d was killed by signal %d\n", child, info.si_status);
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
    child_fd = pidfd_open(child, 0);
    if (child_fd < 0) {
        perror("pidfd_open");
        kill(child, SIGKILL); /* not reaped yet: the pid is still the child's */
        waitpid(child, NULL, 0);
        return 1;
    }
    printf("main=%d started child=%d\n", getpid(), child);

    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    usleep(100 * 1000);

    /* Through the pidfd: it cannot reach a recycled pid. */
    pidfd_send_signal(child_fd, SIGTERM, NULL, 0);
    pthread_join(t, NULL);
    close(child_fd);
    return 0;
}
