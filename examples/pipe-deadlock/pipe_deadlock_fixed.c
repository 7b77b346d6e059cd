/*
 * pipe-deadlock, fixed: read the output to end-of-file, then wait.
 *
 * The same program as pipe_deadlock.c, with the two steps the other way
 * round.  main reads seq's output as it comes, so the pipe never stays
 * full; end-of-file comes when seq exits (it held the only write end); then
 * waitpid() reaps it at once.  This is what Python's communicate() and Go's
 * cmd.Output() do.
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
        execlp("seq", "seq", "1", "200000", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    printf("main=%d started child=%d (seq 1 200000), reading its output\n", getpid(), child);

    /* The fix: read to end-of-file first... */
    char buf[65536];
    size_t total = 0;
    ssize_t n;
    while ((n = read(p[0], buf, sizeof(buf))) > 0)
        total += (size_t)n;
    close(p[0]);
    /* ...then reap. */
    int status;
    waitpid(child, &status, 0);
    printf("child=%d exited with status %d; read %zu bytes of output\n", child, WEXITSTATUS(status), total);
    return 0;
}
