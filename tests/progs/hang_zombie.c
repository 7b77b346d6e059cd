/*
 * A parent that never reaps its child, and never ends:
 *
 *   hang_zombie traced            the child exits at once (its exit is traced)
 *   hang_zombie untraced STATIC   the child execs STATIC exit, a static build
 *                                 of this program that does not load the shim
 *   hang_zombie exit              exit 0 at once (what STATIC is run with)
 *
 * Prints "main=PID job=PID"; then waits for a signal that never comes.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    if (strcmp(argv[1], "exit") == 0)
        return 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    pid_t job = fork();
    if (job < 0)
        return 2;
    if (job == 0) {
        if (strcmp(argv[1], "untraced") == 0 && argc > 2)
            execl(argv[2], argv[2], "exit", (char *)NULL);
        _exit(0);
    }
    printf("main=%d job=%d\n", getpid(), job);
    for (;;)
        pause();
}
