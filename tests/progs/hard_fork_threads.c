/*
 * fork from a busy multithreaded program.  Eight threads loop on hooked
 * calls (kill(getpid(), 0), pipe, close, close) while the main thread forks
 * FORKS times; each child makes a few hooked calls and _exits.  Prints, for
 * the test to compare with the trace:
 *
 *   pid=P
 *   child=C                      (one line per child, in fork order)
 *   thread=T kills=K pipes=N closes=M   (one line per thread)
 *   forks=F
 *
 * The threads are paced by the forks: each may run BURST iterations ahead of
 * the number of forks started, so they are in their calls while the main
 * thread forks, and the trace stays a known size (at most
 * THREADS * BURST * (FORKS + 1) iterations).
 *
 * With FORKS 0, the threads run BURST iterations each and nothing forks:
 * only the threads' pipes and closes, racing for the same fd numbers.
 *
 * Exits non-zero with a message when a call did not behave as libc's own
 * would; alarm() bounds it, so a deadlock ends in SIGALRM, not a hang.
 *
 * Usage: hard_fork_threads FORKS BURST
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 8
#define SENTINEL EDOM

struct counts {
    pid_t tid;
    unsigned long kills, pipes, closes;
    int failed; /* 0, or the line of the check that failed */
};

static struct counts counts[THREADS];
static int stop;
static unsigned long burst;
static unsigned forks_started; /* a futex word */

static void fail(const char *what)
{
    fprintf(stderr, "hard_fork_threads: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

#define CHECK_IN_THREAD(c, cond)                                                                                       \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            (c)->failed = __LINE__;                                                                                    \
            return NULL;                                                                                               \
        }                                                                                                              \
    } while (0)

static void *caller(void *arg)
{
    struct counts *c = arg;
    pid_t self = getpid();
    __atomic_store_n(&c->tid, gettid(), __ATOMIC_RELEASE);
    for (unsigned long n = 0; !__atomic_load_n(&stop, __ATOMIC_ACQUIRE); n++) {
        for (;;) {
            unsigned gen = __atomic_load_n(&forks_started, __ATOMIC_ACQUIRE);
            if (n < burst * (gen + 1) || __atomic_load_n(&stop, __ATOMIC_ACQUIRE))
                break;
            syscall(SYS_futex, &forks_started, FUTEX_WAIT_PRIVATE, gen, NULL, NULL, 0);
        }
        if (__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
            break;
        errno = SENTINEL;
        CHECK_IN_THREAD(c, kill(self, 0) == 0 && errno == SENTINEL);
        __atomic_store_n(&c->kills, c->kills + 1, __ATOMIC_RELEASE);
        int p[2];
        CHECK_IN_THREAD(c, pipe(p) == 0 && errno == SENTINEL);
        c->pipes++;
        CHECK_IN_THREAD(c, close(p[0]) == 0);
        c->closes++;
        CHECK_IN_THREAD(c, close(p[1]) == 0 && errno == SENTINEL);
        c->closes++;
    }
    return NULL;
}

/* The child: a few hooked calls, then _exit.  Its exit code says what it saw. */
static void child(pid_t parent)
{
    errno = SENTINEL;
    if (getppid() != parent)
        _exit(10);
    if (kill(getpid(), 0) != 0 || errno != SENTINEL)
        _exit(11);
    int p[2];
    if (pipe(p) != 0 || errno != SENTINEL)
        _exit(12);
    if (close(p[0]) != 0 || close(p[1]) != 0 || errno != SENTINEL)
        _exit(13);
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        fail("usage: hard_fork_threads FORKS BURST");
    int forks = atoi(argv[1]);
    burst = strtoul(argv[2], NULL, 10);
    alarm(40);

    pid_t self = getpid();
    printf("pid=%d\n", self);
    fflush(stdout);

    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&th[i], NULL, caller, &counts[i]) != 0)
            fail("pthread_create");
    /* Fork only once every thread is in its loop. */
    for (int i = 0; i < THREADS; i++)
        while (__atomic_load_n(&counts[i].kills, __ATOMIC_ACQUIRE) == 0 && !counts[i].failed)
            usleep(100);

    pid_t *children = calloc((size_t)forks, sizeof(*children));
    if (!children)
        fail("calloc");
    for (int i = 0; i < forks; i++) {
        __atomic_store_n(&forks_started, (unsigned)i + 1, __ATOMIC_RELEASE);
        syscall(SYS_futex, &forks_started, FUTEX_WAKE_PRIVATE, THREADS, NULL, NULL, 0);
        errno = SENTINEL;
        pid_t pid = fork();
        if (pid < 0)
            fail("fork");
        if (pid == 0)
            child(self);
        if (errno != SENTINEL)
            fail("fork changed errno in the parent");
        children[i] = pid;
        int st;
        if (waitpid(pid, &st, 0) != pid)
            fail("waitpid");
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "hard_fork_threads: child %d ended with status 0x%x\n", pid, st);
            exit(99);
        }
    }
    if (forks == 0)
        for (int i = 0; i < THREADS; i++)
            while (__atomic_load_n(&counts[i].kills, __ATOMIC_ACQUIRE) < burst && !counts[i].failed)
                usleep(1000);
    __atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&forks_started, (unsigned)forks + 1, __ATOMIC_RELEASE);
    syscall(SYS_futex, &forks_started, FUTEX_WAKE_PRIVATE, THREADS, NULL, NULL, 0);
    for (int i = 0; i < THREADS; i++)
        if (pthread_join(th[i], NULL) != 0)
            fail("pthread_join");
    for (int i = 0; i < THREADS; i++)
        if (counts[i].failed) {
            fprintf(stderr, "hard_fork_threads: thread %d failed the check at line %d\n", i, counts[i].failed);
            exit(99);
        }

    for (int i = 0; i < forks; i++)
        printf("child=%d\n", children[i]);
    for (int i = 0; i < THREADS; i++)
        printf("thread=%d kills=%lu pipes=%lu closes=%lu\n", counts[i].tid, counts[i].kills, counts[i].pipes,
               counts[i].closes);
    printf("forks=%d\n", forks);
    return 0;
}
