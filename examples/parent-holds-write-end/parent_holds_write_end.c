/*
 * parent-holds-write-end: the parent waits for end-of-file on a pipe whose
 * write end it still holds itself.
 *
 * What happens.  main makes a pipe, forks a child whose stdout is the
 * pipe's write end, and reads the child's output until end-of-file.  The
 * child writes one line and exits.  main gets the line, then waits for
 * end-of-file, which never comes: main forgot to close its own copy of the
 * write end after fork, and as long as one write end is open anywhere, even
 * in the reader, a read on the pipe blocks instead of returning 0.  Here
 * main gives up after 0.5 s of silence (poll with a timeout), so that the
 * example ends; without that it would hang forever.
 *
 * Why.  fork() copies every fd: after it, the parent and the child both
 * hold both ends.  The child's copies close when it exits; the parent's
 * only when the parent closes them.
 *
 * The fix (parent_holds_write_end_fixed.c): close(p[1]) in the parent right
 * after fork (and the read end in the child), before reading.
 */
#define _GNU_SOURCE
#include <poll.h>
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
        printf("hello from child=%d\n", getpid());
        fflush(stdout);
        _exit(0);
    }
    /* The bug: no close(p[1]) here. */
    printf("main=%d started child=%d, reading its output to end-of-file\n", getpid(), child);

    char buf[256];
    for (;;) {
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        if (poll(&pfd, 1, 500) == 0) {
            printf("no end-of-file after 0.5 s of silence: giving up\n");
            break;
        }
        ssize_t n = read(p[0], buf, sizeof(buf));
        if (n <= 0) {
            printf("end-of-file\n");
            break;
        }
        printf("read: %.*s", (int)n, buf);
    }
    close(p[0]);
    close(p[1]);
    waitpid(child, NULL, 0);
    return 0;
}
