/*
 * A program that closes every fd above 2, as daemons and process launchers
 * do, then goes on making pipes, forking and exec'ing: the shim holds no fd
 * of its own, so tracing must go on.
 *
 *   hard_closeall close_range | closefrom | loop
 *
 * First makes pipe ends at fds it knows (a pipe, a copy of its write end at
 * fd 200, and in loop mode a copy of its read end at the highest fd the
 * limit allows), then closes everything from fd 3 up: close_range(3, ~0U, 0),
 * closefrom(3), or close(fd) for every fd below RLIMIT_NOFILE.  Checks with
 * /proc/self/fd that only 0, 1 and 2 are left, then makes a pipe (which must
 * get fds 3 and 4), forks twice and vforks once, each child exec'ing
 * "hard_closeall target", which makes a pipe, closes it and calls
 * kill(getpid(), 0).  Prints, for the test:
 *
 *   pid=P
 *   ends=R,W,C[,H]     the pipe ends it closed (read, write, copies)
 *   closed=N           (loop mode) how many close calls succeeded
 *   child=C            one per child
 *   after=R,W          the pipe made after closing everything
 *
 * Exits non-zero with a message when something did not behave as libc's own
 * would.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENTINEL EDOM
#define COPY_FD 200
#define LOOP_LIMIT_CAP (1 << 20)

static void fail(const char *what)
{
    fprintf(stderr, "hard_closeall: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

static int target(void)
{
    int p[2];
    errno = SENTINEL;
    if (pipe(p) != 0 || close(p[0]) != 0 || close(p[1]) != 0 || kill(getpid(), 0) != 0 || errno != SENTINEL)
        return 3;
    return 0;
}

/* The fds open now, other than the one reading the directory. */
static int count_open_fds(int *highest)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        fail("opendir /proc/self/fd");
    int n = 0;
    *highest = -1;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        int fd = atoi(e->d_name);
        if (fd == dirfd(d))
            continue;
        n++;
        if (fd > *highest)
            *highest = fd;
    }
    closedir(d);
    return n;
}

static void wait_ok(pid_t pid)
{
    int st;
    errno = SENTINEL;
    if (waitpid(pid, &st, 0) != pid || errno != SENTINEL)
        fail("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "hard_closeall: child %d ended with status 0x%x\n", pid, st);
        exit(99);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2)
        fail("usage: hard_closeall close_range|closefrom|loop|target");
    const char *mode = argv[1];
    if (strcmp(mode, "target") == 0)
        return target();

    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (len <= 0)
        fail("readlink /proc/self/exe");
    self[len] = 0;
    printf("pid=%d\n", getpid());
    fflush(stdout);

    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        fail("getrlimit");
    long limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > LOOP_LIMIT_CAP ? LOOP_LIMIT_CAP : (long)rl.rlim_cur;

    int p[2];
    errno = SENTINEL;
    if (pipe(p) != 0 || dup2(p[1], COPY_FD) != COPY_FD || errno != SENTINEL)
        fail("pipe or dup2");
    int high = -1;
    if (strcmp(mode, "loop") == 0) {
        high = (int)limit - 1;
        if (dup2(p[0], high) != high || errno != SENTINEL)
            fail("dup2 to the highest fd");
    }
    if (high >= 0)
        printf("ends=%d,%d,%d,%d\n", p[0], p[1], COPY_FD, high);
    else
        printf("ends=%d,%d,%d\n", p[0], p[1], COPY_FD);
    fflush(stdout);

    if (strcmp(mode, "close_range") == 0) {
        if (close_range(3, ~0U, 0) != 0 || errno != SENTINEL)
            fail("close_range");
    } else if (strcmp(mode, "closefrom") == 0) {
        closefrom(3);
        if (errno != SENTINEL)
            fail("closefrom changed errno");
    } else if (strcmp(mode, "loop") == 0) {
        long closed = 0;
        for (long fd = 3; fd < limit; fd++) {
            errno = SENTINEL;
            int ret = close((int)fd);
            if (ret == 0 && errno == SENTINEL)
                closed++;
            else if (ret != -1 || errno != EBADF)
                fail("close");
        }
        printf("closed=%ld\n", closed);
    } else {
        fail("unknown mode");
    }

    int highest;
    int open_fds = count_open_fds(&highest);
    if (open_fds != 3 || highest != 2) {
        fprintf(stderr, "hard_closeall: %d fds open after closing everything, the highest %d\n", open_fds, highest);
        return 99;
    }

    int q[2];
    errno = SENTINEL;
    if (pipe(q) != 0 || errno != SENTINEL)
        fail("pipe after closing everything");
    if (q[0] != 3 || q[1] != 4)
        fail("the pipe after closing everything did not get fds 3 and 4");
    if (close(q[0]) != 0 || close(q[1]) != 0)
        fail("close");

    for (int i = 0; i < 3; i++) {
        errno = SENTINEL;
        pid_t pid = i == 2 ? vfork() : fork();
        if (pid < 0)
            fail("fork");
        if (pid == 0) {
            execl(self, "hard_closeall", "target", (char *)NULL);
            _exit(127);
        }
        printf("child=%d\n", pid);
        wait_ok(pid);
    }
    printf("after=%d,%d\n", q[0], q[1]);
    return 0;
}
