/* The wait family under the shim.  Each mode makes one kind of wait on a
 * child that exits with 7 or is killed by SIGTERM, and checks what libc
 * reports.  Exits non-zero with a message when a call did not behave as
 * libc's own would. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENTINEL EDOM

static void fail(const char *what)
{
    fprintf(stderr, "hooks_wait: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

static pid_t child_exiting_7(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0)
        _exit(7);
    printf("child=%d\n", pid);
    return pid;
}

/* Sent SIGTERM at once: whatever the child is doing then, it dies of it. */
static pid_t child_killed_by_sigterm(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        for (;;)
            pause();
    }
    printf("child=%d\n", pid);
    if (kill(pid, SIGTERM) != 0)
        fail("kill");
    return pid;
}

static void expect_exited_7(pid_t got, pid_t pid, int st)
{
    if (got != pid)
        fail("wait did not return the child");
    if (errno != SENTINEL)
        fail("a successful wait changed errno");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 7)
        fail("status is not an exit with 7");
}

static void expect_sigterm(pid_t got, pid_t pid, int st)
{
    if (got != pid)
        fail("wait did not return the child");
    if (errno != SENTINEL)
        fail("a successful wait changed errno");
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGTERM)
        fail("status is not a death by SIGTERM");
}

static void expect_info(const siginfo_t *info, pid_t pid, int code, int status)
{
    if (info->si_pid != pid || info->si_code != code || info->si_status != status)
        fail("waitid's siginfo is not what the child did");
}

int main(int argc, char **argv)
{
    if (argc != 2)
        fail("usage: hooks_wait MODE");
    const char *mode = argv[1];
    printf("pid=%d\n", getpid());
    int st = -1;
    struct rusage ru;
    siginfo_t info;
    memset(&info, 0, sizeof(info));

    if (strcmp(mode, "wait") == 0) {
        pid_t c = child_exiting_7();
        errno = SENTINEL;
        pid_t got = wait(&st);
        expect_exited_7(got, c, st);
    } else if (strcmp(mode, "waitpid") == 0) {
        pid_t c = child_killed_by_sigterm();
        errno = SENTINEL;
        pid_t got = waitpid(c, &st, 0);
        expect_sigterm(got, c, st);
    } else if (strcmp(mode, "wait3") == 0) {
        pid_t c = child_exiting_7();
        errno = SENTINEL;
        pid_t got = wait3(&st, 0, &ru);
        expect_exited_7(got, c, st);
    } else if (strcmp(mode, "wait4") == 0) {
        pid_t c = child_killed_by_sigterm();
        errno = SENTINEL;
        pid_t got = wait4(c, &st, 0, &ru);
        expect_sigterm(got, c, st);
    } else if (strcmp(mode, "waitid_pid") == 0) {
        pid_t c = child_exiting_7();
        errno = SENTINEL;
        if (waitid(P_PID, (id_t)c, &info, WEXITED) != 0 || errno != SENTINEL)
            fail("waitid(P_PID)");
        expect_info(&info, c, CLD_EXITED, 7);
    } else if (strcmp(mode, "waitid_all") == 0) {
        pid_t c = child_killed_by_sigterm();
        errno = SENTINEL;
        if (waitid(P_ALL, 0, &info, WEXITED) != 0 || errno != SENTINEL)
            fail("waitid(P_ALL)");
        expect_info(&info, c, CLD_KILLED, SIGTERM);
    } else if (strcmp(mode, "wnohang") == 0) {
        /* A child that only ends when told to: nothing is ready. */
        fflush(stdout);
        pid_t c = fork();
        if (c < 0)
            fail("fork");
        if (c == 0) {
            for (;;)
                pause();
        }
        printf("child=%d\n", c);
        info.si_pid = 12345;
        errno = SENTINEL;
        if (waitid(P_PID, (id_t)c, &info, WEXITED | WNOHANG) != 0 || errno != SENTINEL)
            fail("waitid(WNOHANG)");
        if (info.si_pid != 0)
            fail("waitid(WNOHANG) reported a child");
        if (waitpid(c, &st, WNOHANG) != 0 || errno != SENTINEL)
            fail("waitpid(WNOHANG)");
        if (kill(c, SIGKILL) != 0 || waitpid(c, &st, 0) != c)
            fail("could not end the child");
    } else if (strcmp(mode, "wnowait") == 0) {
        pid_t c = child_exiting_7();
        errno = SENTINEL;
        if (waitid(P_PID, (id_t)c, &info, WEXITED | WNOWAIT) != 0 || errno != SENTINEL)
            fail("waitid(WNOWAIT)");
        expect_info(&info, c, CLD_EXITED, 7);
        /* Still there to be reaped. */
        pid_t got = waitpid(c, &st, 0);
        expect_exited_7(got, c, st);
    } else if (strcmp(mode, "echild") == 0) {
        if (wait(&st) != -1 || errno != ECHILD)
            fail("wait without children");
        if (waitpid(-1, &st, 0) != -1 || errno != ECHILD)
            fail("waitpid without children");
        if (wait3(&st, WNOHANG, NULL) != -1 || errno != ECHILD)
            fail("wait3 without children");
        if (wait4(-1, &st, 0, NULL) != -1 || errno != ECHILD)
            fail("wait4 without children");
        if (waitid(P_ALL, 0, &info, WEXITED) != -1 || errno != ECHILD)
            fail("waitid without children");
    } else {
        fail("unknown mode");
    }
    return 0;
}
