/*
 * blocked-on-held-pipe, seen from a parent that exectrace cannot trace.
 *
 * What happens.  This program does what Go's exec.Command("sh", "-c",
 * "sleep 30 & echo started").Output() does: it runs a shell with its stdout
 * on a pipe and reads the pipe to end-of-file.  The shell starts `sleep 30`
 * in the background, prints one line and exits; `sleep` inherited the
 * shell's stdout, the write end of the pipe, so the read does not end until
 * `sleep` exits.  (Go's cmd.Wait() hangs the same way, unless Cmd.WaitDelay
 * is set.)
 *
 * The point of this example is how the hang is seen.  The program is meant
 * to be linked with -static, like Go programs: it does not load exectrace's
 * shim, and the trace has none of its own calls (no pipe, no fork, no
 * read).  The shell and `sleep`, dynamic programs, are traced as usual.
 * When the run hangs, exectrace reads every process's state from /proc,
 * the static one included: what it is blocked in (read on fd 3) and which
 * pipe ends it holds.  That is enough to name the hang:
 *
 *     exectrace run --hang-after 1 --kill-after-report -- ./static_parent
 *
 * reports blocked-on-held-pipe on this program and `sleep`, and untraced
 * (info) on this program.  Build it with
 *     cc -static -O1 -o static_parent examples/blocked-on-held-pipe/static_parent.c
 * (`make examples` builds it dynamically, as every example but
 * untraced/untraced; the hang is the same, only the trace sees more.)
 *
 * This example HANGS by design.  Run alone, it is bounded: `sleep 30`
 * exits after 30 s and the read sees end-of-file.
 *
 * The fix is the one in shell_background_in_substitution_fixed.sh: the
 * background job must not hold the pipe (`sleep 30 >/dev/null 2>&1 &`);
 * or start the shell in a process group of its own and kill the group when
 * it has exited; in Go, set Cmd.WaitDelay.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int p[2];
    if (pipe(p) < 0)
        return 1;
    pid_t shell = fork();
    if (shell == 0) {
        close(p[0]);
        dup2(p[1], 1);
        close(p[1]);
        execlp("sh", "sh", "-c", "sleep 30 & echo started", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    printf("main=%d started shell=%d, reading its output to end-of-file\n", getpid(), shell);

    double t0 = now();
    char buf[256];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof(buf))) > 0)
        printf("shell said: %.*s", (int)n, buf);
    close(p[0]);
    printf("end-of-file after %.1f s\n", now() - t0);
    int status;
    waitpid(shell, &status, 0);
    return 0;
}
