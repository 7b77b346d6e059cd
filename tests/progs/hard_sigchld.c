/*
 * A SIGCHLD handler that reaps with waitpid(-1, WNOHANG) in a loop, while the
 * main thread it interrupts is itself inside hooked calls: a loop of pipe,
 * dup2, close and kill(getpid(), 0), forking a child (which _exits at once)
 * every few iterations.  Both the handler's records and the main thread's
 * must all be in the trace, none torn.  Prints, for the test:
 *
 *   pid=P
 *   pipes=N dup2s=N closes=N kills=N forks=N
 *   handler_runs=N waitpid_calls=N reaped=N interrupted_in_call=N
 *   child=C reaped      (one line per child, in the order they were reaped)
 *
 * interrupted_in_call counts the handler runs that began while the main
 * thread was between the start and the return of one of its calls (that is,
 * possibly inside the shim), so the test can tell the case was exercised.
 *
 * Usage: hard_sigchld ITERATIONS FORK_EVERY
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENTINEL EDOM
#define MAX_CHILDREN 4096
#define DUP_TARGET 100

static volatile sig_atomic_t in_call;
static volatile sig_atomic_t handler_runs, waitpid_calls, reaped, interrupted_in_call, handler_failed;
static pid_t reaped_pids[MAX_CHILDREN];

static void on_sigchld(int sig)
{
    (void)sig;
    int saved = errno;
    handler_runs++;
    if (in_call)
        interrupted_in_call++;
    for (;;) {
        int st;
        errno = SENTINEL;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        waitpid_calls++;
        if (pid > 0) {
            if (errno != SENTINEL || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                handler_failed = 1;
            if (reaped < MAX_CHILDREN)
                reaped_pids[reaped] = pid;
            reaped++;
            continue;
        }
        if (pid == 0 && errno != SENTINEL)
            handler_failed = 2;
        if (pid < 0 && errno != ECHILD)
            handler_failed = 3;
        break;
    }
    errno = saved;
}

static void fail(const char *what)
{
    fprintf(stderr, "hard_sigchld: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        fail("usage: hard_sigchld ITERATIONS FORK_EVERY");
    long iterations = atol(argv[1]), fork_every = atol(argv[2]);
    alarm(40);
    printf("pid=%d\n", getpid());
    fflush(stdout);

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigchld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) != 0)
        fail("sigaction");

    pid_t self = getpid();
    long pipes = 0, dup2s = 0, closes = 0, kills = 0, forks = 0;
    for (long i = 0; i < iterations; i++) {
        if (fork_every > 0 && i % fork_every == 0 && forks < MAX_CHILDREN) {
            pid_t pid = fork();
            if (pid < 0)
                fail("fork");
            if (pid == 0)
                _exit(0);
            forks++;
        }
        int p[2];
        errno = SENTINEL;
        in_call = 1;
        int ret = pipe(p);
        in_call = 0;
        if (ret != 0 || errno != SENTINEL)
            fail("pipe");
        pipes++;
        in_call = 1;
        ret = dup2(p[1], DUP_TARGET);
        in_call = 0;
        if (ret != DUP_TARGET || errno != SENTINEL)
            fail("dup2");
        dup2s++;
        in_call = 1;
        ret = close(DUP_TARGET);
        in_call = 0;
        if (ret != 0 || errno != SENTINEL)
            fail("close of the copy");
        closes++;
        in_call = 1;
        ret = close(p[0]);
        in_call = 0;
        if (ret != 0 || errno != SENTINEL)
            fail("close of the read end");
        closes++;
        in_call = 1;
        ret = close(p[1]);
        in_call = 0;
        if (ret != 0 || errno != SENTINEL)
            fail("close of the write end");
        closes++;
        in_call = 1;
        ret = kill(self, 0);
        in_call = 0;
        if (ret != 0 || errno != SENTINEL)
            fail("kill");
        kills++;
    }

    /* The handler reaps everything; wait for it without a race. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    while (reaped < forks)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (handler_failed) {
        fprintf(stderr, "hard_sigchld: the handler's waitpid misbehaved (case %d)\n", (int)handler_failed);
        return 99;
    }
    if (reaped != forks) {
        fprintf(stderr, "hard_sigchld: %d children reaped, %ld forked\n", (int)reaped, forks);
        return 99;
    }

    printf("pipes=%ld dup2s=%ld closes=%ld kills=%ld forks=%ld\n", pipes, dup2s, closes, kills, forks);
    printf("handler_runs=%d waitpid_calls=%d reaped=%d interrupted_in_call=%d\n", (int)handler_runs, (int)waitpid_calls,
           (int)reaped, (int)interrupted_in_call);
    for (int i = 0; i < reaped && i < MAX_CHILDREN; i++)
        printf("child=%d reaped\n", reaped_pids[i]);
    return 0;
}
