/* Process creation under the shim: fork, _Fork, clone, vfork.  Run with one
 * mode; prints the pids the test needs as key=value lines, and exits non-zero
 * with a message when a call did not behave as libc's own would. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Any value no call here sets: a successful call must leave it alone. */
#define SENTINEL EDOM

static void fail(const char *what)
{
    fprintf(stderr, "hooks_create: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

static void expect_exit(pid_t pid, int code)
{
    int st;
    errno = SENTINEL;
    if (waitpid(pid, &st, 0) != pid)
        fail("waitpid did not return the child");
    if (errno != SENTINEL)
        fail("waitpid changed errno");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != code)
        fail("child did not exit with the expected code");
}

/* The child reports what it saw as its exit code: 0 when all is well. */
static int child_checks(pid_t parent)
{
    if (getppid() != parent)
        return 10;
    if (errno != SENTINEL)
        return 11;
    return 0;
}

static void do_fork(pid_t (*fn)(void))
{
    pid_t parent = getpid();
    errno = SENTINEL;
    pid_t pid = fn();
    if (pid < 0)
        fail("fork failed");
    if (pid == 0) {
        /* exit(), not _exit: the on_exit record must be the child's. */
        if (fn == fork)
            exit(child_checks(parent));
        _exit(child_checks(parent));
    }
    if (errno != SENTINEL)
        fail("fork changed errno in the parent");
    printf("child=%d\n", pid);
    expect_exit(pid, 0);
}

static pid_t parent_of_clone;

static int clone_child(void *arg)
{
    (void)arg;
    _exit(child_checks(parent_of_clone) ? 1 : 5);
}

static void do_clone(void)
{
    static char stack[256 * 1024] __attribute__((aligned(16)));
    parent_of_clone = getpid();
    errno = SENTINEL;
    pid_t pid = clone(clone_child, stack + sizeof(stack), SIGCHLD, NULL);
    if (pid < 0)
        fail("clone failed");
    if (errno != SENTINEL)
        fail("clone changed errno");
    printf("child=%d\n", pid);
    expect_exit(pid, 5);
}

static pid_t vfork_exit(void)
{
    errno = SENTINEL;
    pid_t pid = vfork();
    if (pid < 0)
        fail("vfork failed");
    if (pid == 0)
        _exit(3);
    if (errno != SENTINEL)
        fail("vfork changed errno in the parent");
    expect_exit(pid, 3);
    return pid;
}

static pid_t vfork_exec(void)
{
    errno = SENTINEL;
    pid_t pid = vfork();
    if (pid < 0)
        fail("vfork failed");
    if (pid == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    if (errno != SENTINEL)
        fail("vfork changed errno in the parent");
    expect_exit(pid, 0);
    return pid;
}

/* The child's exec fails: errno is then ENOENT in the parent too, as the
 * child wrote it in the memory they share (libc's own vfork does the same). */
static pid_t vfork_exec_fail(void)
{
    pid_t pid = vfork();
    if (pid < 0)
        fail("vfork failed");
    if (pid == 0) {
        execl("/nonexistent/hooks-missing", "missing", (char *)NULL);
        _exit(errno == ENOENT ? 127 : 126);
    }
    expect_exit(pid, 127);
    return pid;
}

/* The child rearranges its fds before exec; the parent's are untouched. */
static void vfork_fds(void)
{
    int p[2];
    if (pipe(p) != 0)
        fail("pipe");
    pid_t pid = vfork();
    if (pid < 0)
        fail("vfork failed");
    if (pid == 0) {
        if (dup2(p[1], 1) != 1 || close(p[0]) != 0 || close(p[1]) != 0)
            _exit(126);
        execl("/bin/echo", "echo", "through the pipe", (char *)NULL);
        _exit(127);
    }
    printf("child=%d\nread=%d\nwrite=%d\n", pid, p[0], p[1]);
    errno = SENTINEL;
    if (close(p[1]) != 0 || errno != SENTINEL)
        fail("close of the write end in the parent");
    char buf[64] = {0};
    size_t got = 0;
    ssize_t n;
    while ((n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
        got += (size_t)n;
    if (strcmp(buf, "through the pipe\n") != 0)
        fail("the child's output did not come through the pipe");
    expect_exit(pid, 0);
    if (close(p[0]) != 0 || errno != SENTINEL)
        fail("close of the read end in the parent");
    /* A later child inherits the parent's view of its fds. */
    fflush(stdout);
    pid_t later = fork();
    if (later < 0)
        fail("fork");
    if (later == 0)
        _exit(0);
    printf("later=%d\n", later);
    expect_exit(later, 0);
}

static int clone_vm_child(void *arg)
{
    (void)arg;
    execl("/bin/true", "true", (char *)NULL);
    _exit(127);
}

/* A CLONE_VM child shares the parent's memory, as posix_spawn's does. */
static void clone_vm_exec(void)
{
    static char stack[256 * 1024] __attribute__((aligned(16)));
    errno = SENTINEL;
    pid_t pid = clone(clone_vm_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
    if (pid < 0)
        fail("clone failed");
    if (errno != SENTINEL)
        fail("clone changed errno");
    printf("child=%d\n", pid);
    expect_exit(pid, 0);
}

/* What /proc says of the calling process: a line the test compares with
 * its start record.  No allocation: a vfork child calls it too. */
static void print_identity(void)
{
    char buf[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        _exit(19);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p)
        _exit(20);
    /* Fields 3 (state) onwards, after "pid (comm) ". */
    unsigned long long field[23] = {0};
    p += 2;
    for (int i = 3; i <= 22 && *p; i++) {
        field[i] = strtoull(p, &p, 10);
        while (*p == ' ' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
            p++;
    }
    char line[128];
    int len = snprintf(line, sizeof(line), "identity %d %llu %llu %llu %llu\n", getpid(), field[22], field[4],
                       field[5], field[6]);
    /* One write per line: the children's lines do not mix. */
    if (write(1, line, (size_t)len) != len)
        _exit(21);
}

static int clone_identity_child(void *arg)
{
    (void)arg;
    print_identity();
    _exit(0);
}

/* The child never returns from here, as a vfork child must not. */
static pid_t vfork_identity(void)
{
    pid_t pid = vfork();
    if (pid == 0) {
        print_identity();
        _exit(0);
    }
    return pid;
}

/* Many fork, vfork and clone children, each printing what /proc says of
 * it. */
static void fork_identity(void)
{
    static char stack[64 * 1024] __attribute__((aligned(16)));
    for (int i = 0; i < 300; i++) {
        pid_t pid = i % 3 == 0   ? fork()
                    : i % 3 == 1 ? vfork_identity()
                                 : clone(clone_identity_child, stack + sizeof(stack), SIGCHLD, NULL);
        if (pid < 0)
            fail("fork failed");
        if (pid == 0) {
            print_identity();
            _exit(0);
        }
        expect_exit(pid, 0);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2)
        fail("usage: hooks_create MODE");
    const char *mode = argv[1];
    printf("parent=%d\n", getpid());
    /* Nothing buffered for a child's exit() to write a second time. */
    fflush(stdout);
    if (strcmp(mode, "fork") == 0) {
        do_fork(fork);
    } else if (strcmp(mode, "_Fork") == 0) {
        do_fork(_Fork);
    } else if (strcmp(mode, "clone") == 0) {
        do_clone();
    } else if (strcmp(mode, "vfork_exit") == 0) {
        printf("child=%d\n", vfork_exit());
    } else if (strcmp(mode, "vfork_exec") == 0) {
        printf("child=%d\n", vfork_exec());
    } else if (strcmp(mode, "vfork_exec_fail") == 0) {
        printf("child=%d\n", vfork_exec_fail());
    } else if (strcmp(mode, "vfork_fds") == 0) {
        vfork_fds();
    } else if (strcmp(mode, "clone_vm_exec") == 0) {
        clone_vm_exec();
    } else if (strcmp(mode, "fork_identity") == 0) {
        fork_identity();
    } else if (strcmp(mode, "vfork_loop") == 0) {
        for (int i = 0; i < 50; i++) {
            vfork_exit();
            vfork_exec();
        }
    } else {
        fail("unknown mode");
    }
    /* A marker the parent records after everything else. */
    errno = SENTINEL;
    if (kill(getpid(), 0) != 0 || errno != SENTINEL)
        fail("kill(self, 0)");
    return 0;
}
