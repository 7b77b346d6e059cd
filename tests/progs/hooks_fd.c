/* Pipes and the fds that hold their ends, under the shim.  Prints the fds and
 * the pipe's inode (from fstat) as key=value lines.  Exits non-zero with a
 * message when a call did not behave as libc's own would. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SENTINEL EDOM

static void fail(const char *what)
{
    fprintf(stderr, "hooks_fd: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

static unsigned long long inode_of(int fd)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        fail("fstat");
    return (unsigned long long)st.st_ino;
}

/* A pipe, announced as NAME_read, NAME_write and NAME_inode. */
static void make_pipe(int p[2], const char *name, int flags)
{
    errno = SENTINEL;
    if ((flags ? pipe2(p, flags) : pipe(p)) != 0)
        fail("pipe");
    if (errno != SENTINEL)
        fail("pipe changed errno");
    unsigned long long ino = inode_of(p[0]);
    if (inode_of(p[1]) != ino)
        fail("the ends of one pipe have different inodes");
    printf("%s_read=%d\n%s_write=%d\n%s_inode=%llu\n", name, p[0], name, p[1], name, ino);
}

/* A regular file in the working directory (the test's temporary one). */
static int regular_file(const char *name)
{
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fail("open regular file");
    /* Still a regular file while open; nothing left behind in the directory. */
    if (unlink(name) != 0)
        fail("unlink");
    printf("%s=%d\n", name, fd);
    return fd;
}

static void ok(int ret, const char *what)
{
    if (ret != 0)
        fail(what);
    if (errno != SENTINEL)
        fail("a successful call changed errno");
}

static void expect_fd(int ret, int want, const char *what)
{
    if (ret != want)
        fail(what);
    if (errno != SENTINEL)
        fail("a successful call changed errno");
}

static int cloexec_of(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    if (flags < 0)
        fail("F_GETFD");
    return flags & FD_CLOEXEC;
}

ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);

/* Reads of a pipe's read end: quick ones, calls that cannot block, one
 * that waits 100 ms for a child, end-of-file twice; and a regular file.
 * Results and errno must be the kernel's. */
static void reads(void)
{
    int p[2];
    make_pipe(p, "p", 0);
    char buf[16];
    if (write(p[1], "ab", 2) != 2)
        fail("write");
    errno = SENTINEL;
    expect_fd((int)read(p[0], buf, 1), 1, "read of data waiting");
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    expect_fd(poll(&pfd, 1, 0), 1, "poll, zero timeout");
    expect_fd((int)read(p[0], buf, sizeof(buf)), 1, "read of the rest");
    if (fcntl(p[0], F_SETFL, O_NONBLOCK) != 0)
        fail("O_NONBLOCK");
    if (read(p[0], buf, sizeof(buf)) != -1 || errno != EAGAIN)
        fail("an empty non-blocking pipe gives EAGAIN");
    if (fcntl(p[0], F_SETFL, 0) != 0)
        fail("blocking again");
    errno = SENTINEL;
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(p[0], &rd);
    struct timeval zero = {0, 0};
    expect_fd(select(p[0] + 1, &rd, NULL, NULL, &zero), 0, "select, zero timeout");

    pid_t child = fork();
    if (child < 0)
        fail("fork");
    if (child == 0) {
        close(p[0]);
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        _exit(write(p[1], "late", 4) == 4 ? 0 : 1);
    }
    close(p[1]);
    printf("child=%d\n", child);
    /* The fortified read, as _FORTIFY_SOURCE builds call it. */
    expect_fd((int)__read_chk(p[0], buf, sizeof(buf), sizeof(buf)), 4, "the child's late write");
    expect_fd((int)read(p[0], buf, sizeof(buf)), 0, "end-of-file");
    expect_fd((int)read(p[0], buf, sizeof(buf)), 0, "end-of-file again");
    expect_fd((int)read(p[0], buf, 0), 0, "a read of nothing");
    int status;
    if (waitpid(child, &status, 0) != child || status != 0)
        fail("the child");
    int file = regular_file("reads_file");
    expect_fd((int)read(file, buf, sizeof(buf)), 0, "end of a regular file");
    close(file);
    close(p[0]);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        fail("usage: hooks_fd MODE");
    const char *mode = argv[1];
    int p[2], q[2];
    printf("pid=%d\n", getpid());

    if (strcmp(mode, "reads") == 0) {
        reads();
    } else if (strcmp(mode, "pipe") == 0) {
        make_pipe(p, "p", 0);
        if (cloexec_of(p[0]) || cloexec_of(p[1]))
            fail("pipe ends are close-on-exec");
    } else if (strcmp(mode, "pipe2") == 0) {
        make_pipe(p, "p", O_CLOEXEC);
        if (!cloexec_of(p[0]) || !cloexec_of(p[1]))
            fail("pipe2(O_CLOEXEC) ends are not close-on-exec");
        errno = SENTINEL;
        ok(close(p[1]), "close");
    } else if (strcmp(mode, "close") == 0) {
        make_pipe(p, "p", 0);
        int f = regular_file("file");
        errno = SENTINEL;
        ok(close(p[0]), "close of a pipe end");
        ok(close(f), "close of a regular file");
        if (close(-1) != -1 || errno != EBADF)
            fail("close(-1) did not fail with EBADF");
        /* Already closed: fails, and the shim has nothing to say about it. */
        if (close(p[0]) != -1 || errno != EBADF)
            fail("second close did not fail with EBADF");
    } else if (strcmp(mode, "dup") == 0) {
        make_pipe(p, "p", 0);
        errno = SENTINEL;
        int d = dup(p[1]);
        if (d < 0 || errno != SENTINEL)
            fail("dup");
        printf("dup=%d\n", d);
        ok(close(d), "close of the copy");
    } else if (strcmp(mode, "dup2") == 0) {
        make_pipe(p, "p", 0);
        errno = SENTINEL;
        expect_fd(dup2(p[0], 10), 10, "dup2");
        ok(close(10), "close of the copy");
    } else if (strcmp(mode, "dup3") == 0) {
        make_pipe(p, "p", 0);
        errno = SENTINEL;
        expect_fd(dup3(p[1], 11, O_CLOEXEC), 11, "dup3");
        if (!cloexec_of(11))
            fail("dup3(O_CLOEXEC) copy is not close-on-exec");
        ok(close(11), "close of the copy");
    } else if (strcmp(mode, "dupfd") == 0) {
        make_pipe(p, "p", 0);
        errno = SENTINEL;
        expect_fd(fcntl(p[0], F_DUPFD, 20), 20, "F_DUPFD");
        if (cloexec_of(20))
            fail("F_DUPFD copy is close-on-exec");
        ok(close(20), "close of the copy");
    } else if (strcmp(mode, "dupfd_cloexec") == 0) {
        make_pipe(p, "p", 0);
        errno = SENTINEL;
        expect_fd(fcntl(p[0], F_DUPFD_CLOEXEC, 30), 30, "F_DUPFD_CLOEXEC");
        if (!cloexec_of(30))
            fail("F_DUPFD_CLOEXEC copy is not close-on-exec");
        ok(close(30), "close of the copy");
    } else if (strcmp(mode, "dup_error") == 0) {
        make_pipe(p, "p", 0);
        if (dup2(p[0], -1) != -1 || errno != EBADF)
            fail("dup2 to -1 did not fail with EBADF");
    } else if (strcmp(mode, "dup2_file_over_pipe") == 0) {
        make_pipe(p, "p", 0);
        int f = regular_file("file");
        errno = SENTINEL;
        expect_fd(dup2(f, p[0]), p[0], "dup2 of a file over a pipe end");
        struct stat st;
        if (fstat(p[0], &st) != 0 || !S_ISREG(st.st_mode))
            fail("the fd does not hold the file");
        /* Now a regular file: its close is not an event. */
        ok(close(p[0]), "close of the replaced fd");
    } else if (strcmp(mode, "setfd") == 0) {
        make_pipe(p, "p", 0);
        int f = regular_file("file");
        errno = SENTINEL;
        ok(fcntl(p[0], F_SETFD, FD_CLOEXEC), "F_SETFD on a pipe end");
        if (!cloexec_of(p[0]))
            fail("F_SETFD did not set close-on-exec");
        ok(fcntl(f, F_SETFD, FD_CLOEXEC), "F_SETFD on a regular file");
        ok(close(p[0]), "close");
    } else if (strcmp(mode, "close_range") == 0 || strcmp(mode, "closefrom") == 0) {
        make_pipe(p, "p", 0);
        make_pipe(q, "q", O_CLOEXEC);
        regular_file("file");
        fflush(stdout);
        errno = SENTINEL;
        if (strcmp(mode, "closefrom") == 0) {
            closefrom(3);
            if (errno != SENTINEL)
                fail("closefrom changed errno");
        } else {
            ok(close_range(3, ~0U, 0), "close_range");
        }
        if (fcntl(p[0], F_GETFD) != -1 || fcntl(q[1], F_GETFD) != -1)
            fail("fds were left open");
        /* The table forgot them too: a second close is not an event. */
        if (close(p[0]) != -1 || errno != EBADF)
            fail("close after close_range did not fail with EBADF");
    } else if (strcmp(mode, "close_range_cloexec") == 0) {
        make_pipe(p, "p", 0);
        errno = SENTINEL;
        ok(close_range((unsigned)p[0], (unsigned)p[1], CLOSE_RANGE_CLOEXEC), "close_range(CLOEXEC)");
        if (!cloexec_of(p[0]) || !cloexec_of(p[1]))
            fail("close_range(CLOSE_RANGE_CLOEXEC) did not set close-on-exec");
        ok(close(p[0]), "close");
    } else if (strcmp(mode, "close_range_above_int_max") == 0) {
        /* Valid, and closes nothing: no fd is that high. */
        make_pipe(p, "p", 0);
        errno = SENTINEL;
        ok(close_range(~0U, ~0U, 0), "close_range(~0U, ~0U)");
        if (cloexec_of(p[0]) || cloexec_of(p[1]))
            fail("pipe ends changed");
        ok(close(p[0]), "close");
    } else if (strcmp(mode, "close_range_error") == 0) {
        if (close_range(5, 4, 0) != -1 || errno != EINVAL)
            fail("close_range with last < first did not fail with EINVAL");
    } else if (strcmp(mode, "reuse") == 0) {
        make_pipe(p, "p", 0);
        errno = SENTINEL;
        ok(close(p[0]), "close of the read end");
        int f = regular_file("file");
        if (f != p[0])
            fail("the file did not get the lowest free fd");
        ok(close(f), "close of the file");
    } else {
        fail("unknown mode");
    }
    return 0;
}
