/*
 * echild: waitpid() fails with ECHILD because another wait reaped the child.
 *
 * What happens.  main installs a SIGCHLD handler that reaps every child
 * that ends (waitpid(-1, ..., WNOHANG) in a loop: the usual way to avoid
 * zombies).  Elsewhere, main runs a command the ordinary way: fork, then
 * waitpid(pid) for its exit status.  The command ends with status 3 while
 * main is busy; the handler runs at once and reaps it.  When main gets to
 * its waitpid(pid), there is no such child any more: -1, ECHILD.  The
 * status 3 is lost: a failed command looks like a broken waitpid, or is
 * taken for success.
 *
 * Why.  A child's status can be collected once.  Two reapers, a handler
 * reaping any child and code waiting for a particular one, race for it;
 * whichever comes first wins, the other gets ECHILD.  Libraries that start
 * children (and wait for them) meet this in programs with such a handler.
 *
 * The fix (echild_fixed.c): reap each child in one place.  Here the handler
 * only notes that a child ended, and the code that started the command
 * waits for it by pid.  (Or the handler keeps every status it reaps in a
 * table and the code looks its pid up there, never calling waitpid.)  The
 * other cause of ECHILD, SIGCHLD set to SIG_IGN, is in
 * python_sigchld_ignored.py.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* "No zombies": reap whatever ended. */
static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = {.sa_handler = on_sigchld, .sa_flags = SA_RESTART | SA_NOCLDSTOP};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);

    pid_t cmd = fork();
    if (cmd == 0) {
        usleep(50 * 1000);
        _exit(3); /* the command fails */
    }
    printf("main=%d started command=%d\n", getpid(), cmd);
    usleep(300 * 1000); /* busy; the handler reaps the command meanwhile */

    int status;
    if (waitpid(cmd, &status, 0) < 0)
        printf("waitpid(%d): %s: its exit status is lost\n", cmd, strerror(errno));
    else
        printf("command=%d exited with status %d\n", cmd, WEXITSTATUS(status));
    return 0;
}
