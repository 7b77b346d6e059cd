/*
 * untraced, fixed: the same program, linked dynamically.
 *
 * The code is untraced.c's; only the build differs (examples/examples.mk
 * links untraced.c with -static, this one without).  A dynamically linked
 * program loads the shim through LD_PRELOAD, so its fork, exec and wait are
 * in the trace, and the report has nothing to say.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("main=%d (dynamically linked)\n", getpid());
    pid_t child = fork();
    if (child == 0) {
        execlp("echo", "echo", "echo, run by a dynamic program", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    printf("child=%d exited with status %d\n", child, WEXITSTATUS(status));
    return 0;
}
