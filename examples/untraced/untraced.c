/*
 * untraced: a statically linked program does not load exectrace's shim.
 *
 * What happens.  This program is linked with -static (see
 * examples/examples.mk), like Go programs and musl-static builds.  It runs
 * `echo` in a child and waits for it.  exectrace traces a process by
 * preloading its shim (LD_PRELOAD), and the dynamic loader is what reads
 * LD_PRELOAD; a static program has no dynamic loader, so its own fork, exec
 * and wait are not in the trace.  The report says so (severity: info), and
 * what is known about the program comes from its relatives: exectrace
 * started it, and the child's `echo` (a dynamic program, which inherited
 * LD_PRELOAD in its environment) is traced and names it as its parent.
 *
 * Nothing is wrong with the program.  The finding says where the trace is
 * blind, so that nothing is concluded from an absence.
 *
 * Under `exectrace run` the ptrace recorder records this program anyway
 * (its calls stop in a seccomp filter), and there is no finding.  The
 * finding appears where the recorder cannot run: with --no-ptrace, where
 * ptrace or seccomp is refused (the finding says which), or when the shim
 * is preloaded by hand.
 *
 * The "fix" (untraced_fixed.c, the same code linked dynamically): with a
 * dynamic build, every call is traced and there is no finding.  For a static
 * program you cannot rebuild, run it under `exectrace run` with the ptrace
 * recorder on (the default).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("main=%d (statically linked)\n", getpid());
    pid_t child = fork();
    if (child == 0) {
        execlp("echo", "echo", "echo, run by a static program", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    printf("child=%d exited with status %d\n", child, WEXITSTATUS(status));
    return 0;
}
