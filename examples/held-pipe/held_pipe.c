/*
 * held-pipe: a daemon keeps the pipe its starter was given as stdout.
 *
 * What happens.  main runs a "start the service" command and reads its
 * output to end-of-file, the way $(...), popen() or Python's
 * subprocess.run(capture_output=True) do.  The starter forks the service
 * daemon (which detaches with setsid()), prints one line and exits.  main
 * gets that line at once, but not end-of-file: the daemon inherited the
 * starter's stdout, the write end of main's pipe, and never closed it.  The
 * read ends only when the daemon exits, here after 1 s; a real daemon runs
 * for days, and the caller hangs for days.
 *
 * Why.  A reader sees end-of-file only when every write end of the pipe is
 * closed, in every process.  fork() copies all of a process's fds into
 * the child, and setsid() does not close any: a new session is not a new
 * set of files.
 *
 * The fix (held_pipe_fixed.c): a daemon points its stdin, stdout and
 * stderr at /dev/null (or a log file) as part of detaching, before it runs;
 * that is what daemon(3) does.  Then the starter's exit closes the last
 * write end and main sees end-of-file at once.  python_timeout_holds_pipe.py,
 * beside this file, shows the other common way to hold a pipe: the
 * grandchild of a shell that was killed on timeout.
 */
#define _GNU_SOURCE
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
    pid_t d = fork();
    if (d == 0) {
        setsid(); /* detached from the starter's session... */
        /* ...but stdout is still the starter's: the bug. */
        sleep(1); /* the service's work, cut short for the example */
        _exit(0);
    }
    /* Wait until it has detached (a real starter waits for a readiness
     * notification, a pid file, sd_notify). */
    for (int i = 0; i < 3000 && getsid(d) != d; i++)
        usleep(1000);
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
