/*
 * fd exhaustion.  What the program sees must be exactly what it sees
 * without the shim: the same errors, the same fd numbers.  Everything it
 * prints is free of pids, so that the test can compare a traced run with an
 * untraced one line for line.
 *
 *   hard_fdlimit exhaust   lowers RLIMIT_NOFILE to LIMIT, opens /dev/null
 *                          (close-on-exec) until EMFILE; then pipe, dup and
 *                          open fail with EMFILE, pipe with one fd free
 *                          still fails, with two it succeeds; then, with
 *                          every fd taken again, forks: the child (which
 *                          has no fd free either) checks that pipe fails
 *                          with EMFILE and execs "hard_fdlimit target"
 *                          (exec frees the close-on-exec fds)
 *   hard_fdlimit one_free  opens /dev/null (inherited across exec) until
 *                          EMFILE, closes the highest, and execs
 *                          "hard_fdlimit in_one_free": the new image starts
 *                          with exactly one fd free, which the loader needs
 *                          to load its libraries (a dynamic program cannot
 *                          start with none free, with or without the shim),
 *                          and so does the shim's constructor, briefly
 *   hard_fdlimit in_one_free  checks that exactly that one fd is free: open
 *                          gets it, then open and pipe fail with EMFILE
 *   hard_fdlimit target    pipe, close, kill(getpid(), 0)
 *
 * Exits non-zero with a message when something did not behave as libc's own
 * would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIMIT 64
#define SENTINEL EDOM

static char self[PATH_MAX];

static void fail(const char *what)
{
    fprintf(stderr, "hard_fdlimit: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

static const char *err_name(int ret)
{
    return ret < 0 ? strerrorname_np(errno) : "-";
}

static void lower_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        fail("getrlimit");
    rl.rlim_cur = LIMIT;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        fail("setrlimit");
}

/* Opens /dev/null until EMFILE; returns the first fd it got, *last the last. */
static int fill(int flags, int *last)
{
    int first = -1;
    *last = -1;
    for (;;) {
        int fd = open("/dev/null", O_RDONLY | flags);
        if (fd < 0) {
            if (errno != EMFILE)
                fail("open failed with something else than EMFILE");
            return first;
        }
        if (first < 0)
            first = fd;
        *last = fd;
    }
}

static int exhaust(void)
{
    lower_limit();
    int last;
    int first = fill(O_CLOEXEC, &last);
    printf("filled %d..%d\n", first, last);

    int p[2] = {-1, -1};
    errno = SENTINEL;
    int ret = pipe(p);
    printf("pipe, none free: %d %s\n", ret, err_name(ret));
    ret = dup(0);
    printf("dup, none free: %d %s\n", ret, err_name(ret));
    ret = open("/dev/null", O_RDONLY);
    printf("open, none free: %d %s\n", ret, err_name(ret));

    if (close(last) != 0)
        fail("close");
    errno = SENTINEL;
    ret = pipe(p);
    printf("pipe, one free: %d %s\n", ret, err_name(ret));
    /* The failed pipe must not have taken the free fd. */
    ret = open("/dev/null", O_RDONLY | O_CLOEXEC);
    printf("open, one free: %d %s\n", ret, err_name(ret));
    if (ret != last)
        fail("the free fd was not the one closed");

    if (close(last) != 0 || close(last - 1) != 0)
        fail("close");
    errno = SENTINEL;
    ret = pipe2(p, O_CLOEXEC);
    printf("pipe, two free: %d [%d %d] %s\n", ret, p[0], p[1], err_name(ret));
    if (ret != 0 || errno != SENTINEL)
        fail("pipe with two fds free");
    /* Every fd taken again, by the pipe's two ends. */
    fflush(stdout);

    pid_t parent = getpid();
    errno = SENTINEL;
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        int q[2];
        if (getppid() != parent)
            _exit(10);
        if (pipe(q) != -1 || errno != EMFILE)
            _exit(11);
        errno = SENTINEL;
        if (kill(getpid(), 0) != 0 || errno != SENTINEL)
            _exit(12);
        execl(self, "hard_fdlimit", "target", (char *)NULL);
        _exit(13);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        fail("waitpid");
    printf("child: %s %d\n", WIFEXITED(st) ? "exited" : "killed by", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    errno = SENTINEL;
    ret = pipe(p);
    printf("pipe, none free, after the child: %d %s\n", ret, err_name(ret));
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 99;
}

static int one_free(void)
{
    lower_limit();
    int last;
    int first = fill(0, &last);
    if (close(last) != 0)
        fail("close");
    printf("filled %d..%d, %d free\n", first, last, last);
    fflush(stdout);
    char arg[16];
    snprintf(arg, sizeof(arg), "%d", last);
    execl(self, "hard_fdlimit", "in_one_free", arg, (char *)NULL);
    fail("execl");
    return 99;
}

static int in_one_free(int expected)
{
    errno = SENTINEL;
    int fd = open("/dev/null", O_RDONLY);
    printf("open: %d %s\n", fd, err_name(fd));
    int fd2 = open("/dev/null", O_RDONLY);
    printf("open again: %d %s\n", fd2, err_name(fd2));
    int p[2];
    int ret = pipe(p);
    printf("pipe: %d %s\n", ret, err_name(ret));
    if (fd != expected || fd2 != -1 || ret != -1)
        return 99;
    errno = SENTINEL;
    if (close(fd) != 0 || kill(getpid(), 0) != 0 || errno != SENTINEL)
        fail("close or kill");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        fail("usage: hard_fdlimit exhaust|one_free|in_one_free FD|target");
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        fail("readlink /proc/self/exe");
    self[n] = 0;
    const char *mode = argv[1];
    if (strcmp(mode, "exhaust") == 0)
        return exhaust();
    if (strcmp(mode, "one_free") == 0)
        return one_free();
    if (strcmp(mode, "in_one_free") == 0 && argc == 3)
        return in_one_free(atoi(argv[2]));
    if (strcmp(mode, "target") == 0) {
        int p[2];
        errno = SENTINEL;
        if (pipe(p) != 0 || close(p[0]) != 0 || close(p[1]) != 0 || kill(getpid(), 0) != 0 || errno != SENTINEL)
            fail("pipe, close or kill");
        printf("target ok\n");
        return 0;
    }
    fail("unknown mode");
    return 99;
}
