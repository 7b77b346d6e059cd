/*
 * self-held-pipe, fixed: the parent closes its write end after fork().
 *
 * The same program as self_held_pipe.c, with close(p[1]) in the parent
 * right after fork().  The child's exit then closes the last write end, and
 * main's read() returns 0, end-of-file, at once.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int p[2];
    if (pipe(p) < 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        dup2(p[1], 1);
        close(p[1]);
        execlp("echo", "echo", "hello from echo", (char *)NULL);
        _exit(127);
    }
    close(p[1]); /* the fix */
    printf("main=%d started child=%d (echo), reading its output to end-of-file\n", getpid(), child);

    char buf[256];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof(buf))) > 0)
        printf("read: %.*s", (int)n, buf);
    printf("end-of-file\n");
    close(p[0]);
    waitpid(child, NULL, 0);
    return 0;
}
