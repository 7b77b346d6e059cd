/*
 * echild, fixed: one place reaps each child.
 *
 * The same program as echild.c, but the SIGCHLD handler no longer reaps:
 * it only records that some child ended (a real program would wake its
 * event loop, which then waits for the children it knows).  The code that
 * started the command is the only one that waits for it, by pid, and gets
 * its status, 3.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t child_ended;

/* Note it, and leave the reaping to whoever started the child. */
static void on_sigchld(int sig)
{
    (void)sig;
    child_ended = 1;
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
    usleep(300 * 1000); /* busy; the command ends meanwhile */

    int status;
    if (waitpid(cmd, &status, 0) < 0)
        printf("waitpid(%d): %s: its exit status is lost\n", cmd, strerror(errno));
    else
        printf("command=%d exited with status %d%s\n", cmd, WEXITSTATUS(status),
               child_ended ? " (SIGCHLD had said so)" : "");
    return 0;
}
