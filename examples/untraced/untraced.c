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
 * The "fix" (untraced_fixed.c, the same code linked dynamically): with a
 * dynamic build, every call is traced and there is no finding.  For a static
 * program you cannot rebuild, run strace -f on it; the dynamic programs it
 * starts are traced by exectrace as usual.
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
