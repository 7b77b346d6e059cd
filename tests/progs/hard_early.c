/*
 * The main program for libearly.so (tests/progs/lib/libearly.c), whose
 * constructor and destructor make hooked calls around the shim's own.
 *
 *   hard_early run     prints "main pid=P", makes a pipe, closes it, calls
 *                      kill(getpid(), 0) and returns 0 (so exit handlers and
 *                      destructors run)
 *   hard_early hog     libearly's constructor took every fd (HARD_EARLY=hog):
 *                      checks that none is free (open and pipe fail with
 *                      EMFILE), closes them, then pipe, fork and wait work;
 *                      then execs "hard_early after".  Prints what it saw
 *                      without pids, so that a run without the shim must
 *                      print exactly the same.
 *   hard_early after   kill(getpid(), 0), prints "after", returns 0.
 *   hard_early errno   prints "errno at main=N": C says errno is zero at
 *                      program startup, and nothing the shim does before
 *                      main may change that; exits 99 when it is not zero.
 *
 * Exits non-zero with a message when a call did not behave as libc's own
 * would.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENTINEL EDOM

static void fail(const char *what)
{
    fprintf(stderr, "hard_early: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

static int run(void)
{
    printf("main pid=%d\n", getpid());
    fflush(stdout);
    int p[2];
    errno = SENTINEL;
    if (pipe(p) != 0 || close(p[0]) != 0 || close(p[1]) != 0 || kill(getpid(), 0) != 0 || errno != SENTINEL)
        fail("pipe, close or kill");
    printf("main pipe=%d,%d\n", p[0], p[1]);
    fflush(stdout);
    return 0;
}

static int hog(char *self)
{
    const int *first = dlsym(RTLD_DEFAULT, "hard_early_hog_first");
    const int *count = dlsym(RTLD_DEFAULT, "hard_early_hog_count");
    if (!first || !count)
        fail("libearly.so is not loaded");
    printf("hog first=%d count=%d\n", *first, *count);
    if (*count <= 0)
        fail("libearly.so took no fd");

    errno = SENTINEL;
    int fd = open("/dev/null", O_RDONLY);
    printf("open while full: %d %s\n", fd, fd < 0 ? strerrorname_np(errno) : "-");
    int p[2] = {-1, -1};
    int ret = pipe(p);
    printf("pipe while full: %d %s\n", ret, ret < 0 ? strerrorname_np(errno) : "-");
    if (fd >= 0 || ret == 0)
        fail("an fd was free although libearly.so took them all");

    for (int i = 0; i < *count; i++) {
        errno = SENTINEL;
        if (close(*first + i) != 0 || errno != SENTINEL)
            fail("close of a hogged fd");
    }
    errno = SENTINEL;
    ret = pipe(p);
    printf("pipe after closing them: %d [%d %d]\n", ret, p[0], p[1]);
    if (ret != 0 || errno != SENTINEL || close(p[0]) != 0 || close(p[1]) != 0)
        fail("pipe after closing");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0)
        _exit(kill(getpid(), 0) == 0 ? 0 : 1);
    int st;
    if (waitpid(pid, &st, 0) != pid || errno != SENTINEL)
        fail("waitpid");
    printf("child: exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    fflush(stdout);
    /* The next image keeps its fds: tracing resumes there. */
    unsetenv("HARD_EARLY");
    execl(self, "hard_early", "after", (char *)NULL);
    fail("execl");
    return 99;
}

int main(int argc, char **argv)
{
    int errno_at_main = errno;
    if (argc == 2 && strcmp(argv[1], "errno") == 0) {
        printf("errno at main=%d\n", errno_at_main);
        return errno_at_main == 0 ? 0 : 99;
    }
    if (argc != 2)
        fail("usage: hard_early run|hog|after|errno");
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        fail("readlink /proc/self/exe");
    self[n] = 0;
    if (strcmp(argv[1], "run") == 0)
        return run();
    if (strcmp(argv[1], "hog") == 0)
        return hog(self);
    if (strcmp(argv[1], "after") == 0) {
        errno = SENTINEL;
        if (kill(getpid(), 0) != 0 || errno != SENTINEL)
            fail("kill");
        printf("after\n");
        return 0;
    }
    fail("unknown mode");
    return 99;
}
