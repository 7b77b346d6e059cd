/*
 * held-pipe, fixed: the daemon lets go of its starter's stdout.
 *
 * The same starter and daemon as held_pipe.c, with one change: as part of
 * detaching, before it starts its work, the daemon points stdin, stdout and
 * stderr at /dev/null, as daemon(3) does (a real one might log to a file).
 * When the starter exits, the last write end of main's pipe closes with it,
 * and main sees end-of-file at once instead of when the daemon ends.
 *
 * The daemon still runs after main has its answer; main stops it at the
 * end, through a pidfd (it is not main's child), only so that the example
 * leaves nothing running.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The starter: forks the daemon, says so on stdout, exits. */
static void starter(void)
{
    /* The daemon says when it has detached, as a real one would with a
     * readiness notification (sd_notify, a pid file): polling getsid()
     * would tell the starter before the daemon's own code has gone on. */
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0)
        _exit(1);
    pid_t d = fork();
    if (d == 0) {
        /* The fix: let go of the starter's stdin, stdout and stderr. */
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        close(null);
        setsid();
        close(ready[0]);
        (void)!write(ready[1], "", 1);
        close(ready[1]);
        sleep(1); /* the service's work, cut short for the example */
        _exit(0);
    }
    close(ready[1]);
    char byte;
    (void)!read(ready[0], &byte, 1);
    close(ready[0]);
    printf("daemon=%d started\n", d);
    fflush(stdout);
    _exit(0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int p[2];
    if (pipe(p) < 0)
        return 1;
    double t0 = now();
    pid_t s = fork();
    if (s == 0) {
        close(p[0]);
        dup2(p[1], 1);
        close(p[1]);
        starter();
    }
    close(p[1]);
    printf("main=%d started starter=%d, reading its output to end-of-file\n", getpid(), s);

    char buf[256];
    size_t used = 0;
    ssize_t n;
    while ((n = read(p[0], buf + used, sizeof(buf) - 1 - used)) > 0)
        used += (size_t)n;
    buf[used] = 0;
    close(p[0]);
    printf("end-of-file after %.1f s; the starter said: %s", now() - t0, buf);
    waitpid(s, NULL, 0);

    /* Leave nothing behind: stop the daemon if it still runs.  Through a
     * pidfd, since it is not our child: its pid could be anyone's by now. */
    pid_t d = 0;
    sscanf(buf, "daemon=%d", &d);
    int fd = d > 0 ? pidfd_open(d, 0) : -1;
    if (fd >= 0) {
        pidfd_send_signal(fd, SIGTERM, NULL, 0);
        poll(&(struct pollfd){.fd = fd, .events = POLLIN}, 1, 3000);
        close(fd);
    }
    return 0;
}
