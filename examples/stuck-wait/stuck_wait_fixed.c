/*
 * stuck-wait, fixed: the step does not take the lock its caller holds.
 *
 * The same program as stuck_wait.c.  The step learns that its caller holds
 * the lock (here a flag; between programs, an environment variable or an
 * option such as --lock-held) and does not take it again.  One lock, one
 * owner: main takes it, runs the step, waits for it, and lets go.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static int step(bool lock_held_by_caller)
{
    int fd = -1;
    if (!lock_held_by_caller) {
        fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || flock(fd, LOCK_EX) < 0)
            return 1;
    }
    printf("step=%d has the lock, working\n", getpid());
    if (fd >= 0)
        close(fd);
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int lock = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock < 0 || flock(lock, LOCK_EX) < 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        close(lock);
        _exit(step(true)); /* the fix: the caller holds the lock */
    }
    printf("main=%d holds the lock on the work directory, started step=%d, waiting for it\n", getpid(), child);
    int status;
    waitpid(child, &status, 0);
    printf("step=%d ended with status %d\n", child, WEXITSTATUS(status));
    close(lock);
    return 0;
}
