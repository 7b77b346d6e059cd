/* Process groups, sessions and reaping under the shim: setpgid, setpgrp,
 * setsid, prctl, and SIGCHLD's disposition.  Exits non-zero with a message
 * when a call did not behave as libc's own would. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENTINEL EDOM

/* sigset is obsolescent but still called by old programs, which is why the
 * shim follows it. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define NO_SUCH_PID (1 << 30)

static void fail(const char *what)
{
    fprintf(stderr, "hooks_group: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

static void ok(int ret, const char *what)
{
    if (ret != 0)
        fail(what);
    if (errno != SENTINEL)
        fail("a successful call changed errno");
}

static void handler(int sig)
{
    (void)sig;
}

/* With SIGCHLD ignored or SA_NOCLDWAIT, the kernel reaps children itself:
 * a wait finds none.  Proves the disposition really reached the kernel. */
static void expect_autoreap(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0)
        _exit(0);
    if (waitpid(pid, NULL, 0) != -1 || errno != ECHILD)
        fail("the child was not reaped by the kernel");
}

int main(int argc, char **argv)
{
    if (argc != 2)
        fail("usage: hooks_group MODE");
    const char *mode = argv[1];
    printf("pid=%d\n", getpid());
    fflush(stdout);
    errno = SENTINEL;

    if (strcmp(mode, "setpgid") == 0) {
        ok(setpgid(0, 0), "setpgid(0, 0)");
        if (getpgrp() != getpid())
            fail("not a group leader after setpgid(0, 0)");
        if (setpgid(NO_SUCH_PID, 0) != -1 || errno != ESRCH)
            fail("setpgid of a missing pid did not fail with ESRCH");
    } else if (strcmp(mode, "setpgrp") == 0) {
        ok(setpgrp(), "setpgrp");
        if (getpgrp() != getpid())
            fail("not a group leader after setpgrp");
    } else if (strcmp(mode, "setsid") == 0) {
        pid_t c = fork();
        if (c < 0)
            fail("fork");
        if (c == 0) {
            errno = SENTINEL;
            pid_t sid = setsid();
            if (sid != getpid() || errno != SENTINEL || getsid(0) != getpid())
                _exit(1);
            /* A session leader cannot start another session. */
            if (setsid() != -1 || errno != EPERM)
                _exit(2);
            _exit(0);
        }
        printf("child=%d\n", c);
        int st;
        if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            fail("setsid misbehaved in the child");
    } else if (strcmp(mode, "prctl") == 0) {
        ok(prctl(PR_SET_CHILD_SUBREAPER, 1), "PR_SET_CHILD_SUBREAPER");
        int v = 0;
        ok(prctl(PR_GET_CHILD_SUBREAPER, &v), "PR_GET_CHILD_SUBREAPER");
        if (v != 1)
            fail("not a subreaper");
        ok(prctl(PR_SET_PDEATHSIG, SIGTERM), "PR_SET_PDEATHSIG");
        ok(prctl(PR_GET_PDEATHSIG, &v), "PR_GET_PDEATHSIG");
        if (v != SIGTERM)
            fail("parent-death signal not set");
        /* Options that are neither are not events. */
        ok(prctl(PR_SET_NAME, "hooks"), "PR_SET_NAME");
        if (prctl(PR_SET_PDEATHSIG, 1000) != -1 || errno != EINVAL)
            fail("PR_SET_PDEATHSIG with a bad signal did not fail with EINVAL");
    } else if (strcmp(mode, "signal_ign") == 0) {
        if (signal(SIGCHLD, SIG_IGN) != SIG_DFL || errno != SENTINEL)
            fail("signal(SIGCHLD, SIG_IGN) did not return SIG_DFL");
        expect_autoreap();
        errno = SENTINEL;
        if (signal(SIGCHLD, SIG_DFL) != SIG_IGN || errno != SENTINEL)
            fail("signal(SIGCHLD, SIG_DFL) did not return SIG_IGN");
    } else if (strcmp(mode, "sigaction_nocldwait") == 0) {
        struct sigaction sa, old;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = handler;
        sa.sa_flags = SA_NOCLDWAIT | SA_RESTART;
        sigemptyset(&sa.sa_mask);
        ok(sigaction(SIGCHLD, &sa, &old), "sigaction(SIGCHLD)");
        if (old.sa_handler != SIG_DFL)
            fail("the old action was not SIG_DFL");
        /* A query changes nothing and is not an event. */
        ok(sigaction(SIGCHLD, NULL, &old), "sigaction query");
        if (old.sa_handler != handler || !(old.sa_flags & SA_NOCLDWAIT))
            fail("the query did not return the action set");
        expect_autoreap();
    } else if (strcmp(mode, "sigset") == 0) {
        if (sigset(SIGCHLD, SIG_HOLD) != SIG_DFL || errno != SENTINEL)
            fail("sigset(SIGCHLD, SIG_HOLD) did not return SIG_DFL");
        sigset_t mask;
        if (sigprocmask(SIG_BLOCK, NULL, &mask) != 0 || !sigismember(&mask, SIGCHLD))
            fail("SIGCHLD is not held");
        if (sigset(SIGCHLD, SIG_DFL) != SIG_HOLD || errno != SENTINEL)
            fail("sigset(SIGCHLD, SIG_DFL) did not return SIG_HOLD");
    } else if (strcmp(mode, "other_signals") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = handler;
        ok(sigaction(SIGUSR1, &sa, NULL), "sigaction(SIGUSR1)");
        if (signal(SIGTERM, SIG_IGN) != SIG_DFL)
            fail("signal(SIGTERM)");
        if (sigset(SIGUSR2, SIG_IGN) != SIG_DFL)
            fail("sigset(SIGUSR2)");
        if (signal(SIGKILL, SIG_IGN) != SIG_ERR || errno != EINVAL)
            fail("signal(SIGKILL) did not fail with EINVAL");
    } else {
        fail("unknown mode");
    }
    return 0;
}
