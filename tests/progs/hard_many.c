/*
 * Many hooked calls, with output, children and a chosen exit status: for a
 * trace file too small to hold them, and for a shim that cannot trace at
 * all.  Either way the program must behave exactly as it does untraced.
 *
 *   hard_many ITERATIONS
 *
 * Each iteration calls kill(getpid(), 0), makes a pipe and closes both ends;
 * every tenth of the way it prints a progress line, forks a child that execs
 * "hard_many child I" (which prints a line of its own), and waits for it.
 * Ends with exit(3).  Nothing it prints depends on pids.  Exits 99 with a
 * message when a call did not behave as libc's own would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENTINEL EDOM

static void fail(const char *what)
{
    fprintf(stderr, "hard_many: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "child") == 0) {
        printf("child %s: argc=%d\n", argv[2], argc);
        return 0;
    }
    if (argc != 2)
        fail("usage: hard_many ITERATIONS");
    long iterations = atol(argv[1]);
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        fail("readlink /proc/self/exe");
    self[n] = 0;

    pid_t me = getpid();
    long step = iterations >= 10 ? iterations / 10 : 1;
    for (long i = 0; i < iterations; i++) {
        int p[2];
        errno = SENTINEL;
        if (kill(me, 0) != 0 || pipe(p) != 0 || close(p[0]) != 0 || close(p[1]) != 0 || errno != SENTINEL)
            fail("kill, pipe or close");
        if (i % step == 0) {
            printf("progress %ld: pipe=[%d %d]\n", i, p[0], p[1]);
            fflush(stdout);
            pid_t pid = fork();
            if (pid < 0)
                fail("fork");
            if (pid == 0) {
                char arg[32];
                snprintf(arg, sizeof(arg), "%ld", i / step);
                execl(self, "hard_many", "child", arg, (char *)NULL);
                _exit(127);
            }
            int st;
            if (waitpid(pid, &st, 0) != pid || errno != SENTINEL)
                fail("waitpid");
            printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        }
    }
    printf("done %ld\n", iterations);
    fprintf(stderr, "hard_many: a line on stderr\n");
    exit(3);
}
