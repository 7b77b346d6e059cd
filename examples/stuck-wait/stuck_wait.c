/*
 * stuck-wait: waiting for a child that waits for a lock its parent holds.
 *
 * What happens.  main takes an exclusive lock on its work directory
 * (flock on "."), as tools do so that two runs never work in one directory
 * at once.  Then it runs one step of its work in a child process and waits
 * for the child.  The step is code that is also run on its own, so it takes
 * the same lock first: it opens "." again and calls flock().  The lock is
 * held by main, so the step blocks; main is in waitpid() for the step, so it
 * never lets go of the lock.  Neither goes on.
 *
 * Nothing here is a pipe: the report's stuck-wait finding follows the chain
 * from the process that waits to what everything really waits for: main in
 * wait4(), on the step, in flock().
 *
 * This example HANGS by design.  Run it under
 *     exectrace run --hang-after 1 --kill-after-report -- build/examples/stuck-wait/stuck_wait
 * Run alone, it is bounded: the step calls alarm(30) before it takes the
 * lock, so after 30 s SIGALRM ends it and main's waitpid() returns.
 *
 * Why.  A flock() lock belongs to the open file (the open() call), not to
 * the process, and a second open() of the same file is another open file:
 * it waits like anyone else.  (A child that inherits the parent's fd shares
 * the lock instead; here the step opens the directory itself, as it does
 * when it runs alone.)
 *
 * The fix (stuck_wait_fixed.c): one owner for the lock.  The step is told
 * that its caller holds the lock (an argument, here a flag; an environment
 * variable between programs) and does not take it again.  The general
 * rule: never wait for a child while holding a lock the child may need.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

/* One step of the work, which must not run beside another run. */
static int step(void)
{
    alarm(30); /* the bound: the hang ends after 30 s */
    int fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) /* blocks: main holds the lock */
        return 1;
    printf("step=%d has the lock, working\n", getpid());
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
        close(lock); /* the step's own code does not know about main's fd */
        _exit(step());
    }
    printf("main=%d holds the lock on the work directory, started step=%d, waiting for it\n", getpid(), child);
    int status;
    waitpid(child, &status, 0);
    printf("step=%d ended\n", child);
    close(lock);
    return 0;
}
