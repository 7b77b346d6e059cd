/*
 * parent-holds-write-end, fixed: the parent closes its copy of the write end.
 *
 * The same program as parent_holds_write_end.c with one line added: right
 * after fork, the parent closes the write end it does not use, close(p[1]).
 * The child's copy is then the only one, it closes when the child exits,
 * and the parent's read returns 0 (end-of-file) at that moment.  The poll
 * timeout is still there but never fires.
 *
 * Better still, create the pipe with pipe2(p, O_CLOEXEC), so that programs
 * the parent runs later do not inherit these ends either.
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
    close(p[1]); /* the fix: only the child holds the write end now */
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
    waitpid(child, NULL, 0);
    return 0;
}
