/* signal(SIGCHLD, SIG_IGN) in a program built for strict POSIX, as
 * `cc -D_POSIX_C_SOURCE=200809L` or `-std=c99` builds it: glibc's headers then
 * bind signal() to __sysv_signal, another entry point into libc than the
 * signal symbol of a default build.  Exits non-zero with a message when the
 * call did not behave as libc's own would. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void fail(const char *what)
{
    fprintf(stderr, "hooks_group_posix: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

int main(void)
{
    printf("pid=%d\n", (int)getpid());
    fflush(stdout);
    if (signal(SIGCHLD, SIG_IGN) == SIG_ERR)
        fail("signal(SIGCHLD, SIG_IGN)");
    /* The kernel reaps the child itself: proof that the call took effect. */
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0)
        _exit(0);
    if (waitpid(pid, NULL, 0) != -1 || errno != ECHILD)
        fail("the child was not reaped by the kernel");
    return 0;
}
