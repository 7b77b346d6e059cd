/*
 * A multithreaded writer of many kinds of records, for the test that
 * SIGKILLs it (and everything it started) at random moments.
 *
 *   hard_crash SHARED_FILE
 *
 * CALLERS threads loop on kill(getpid(), 0), pipe, dup2 of the write end,
 * and three closes, counting their completed kill calls in SHARED_FILE
 * (struct crash_shared, repeated in tests/integration/test_hard.c); one more
 * thread forks children that exec "hard_crash child" (a pipe, two closes,
 * _exit) and waits for each.  The main thread only waits.  Each caller stops
 * after MAX_ITERATIONS, so the trace has a known bound.  Never exits by
 * itself.
 *
 * The shim commits a record before the call returns and the counter moves
 * after, so for each caller the trace holds either exactly the counted kill
 * calls or one more.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define CALLERS 4
#define MAX_ITERATIONS 10000

struct crash_shared {
    int32_t pid;
    int32_t forker_tid;
    struct {
        int32_t tid;
        int32_t reserved;
        uint64_t kills; /* completed kill() calls */
    } thread[CALLERS];
};

static struct crash_shared *shared;
static char self[PATH_MAX];

static void *caller(void *arg)
{
    int i = (int)(intptr_t)arg;
    pid_t me = getpid();
    __atomic_store_n(&shared->thread[i].tid, (int32_t)gettid(), __ATOMIC_RELEASE);
    for (uint64_t n = 1; n <= MAX_ITERATIONS; n++) {
        kill(me, 0);
        __atomic_store_n(&shared->thread[i].kills, n, __ATOMIC_RELEASE);
        int p[2];
        if (pipe(p) == 0) {
            dup2(p[1], 100 + i);
            close(100 + i);
            close(p[0]);
            close(p[1]);
        }
    }
    for (;;)
        pause();
    return NULL;
}

static void *forker(void *arg)
{
    (void)arg;
    __atomic_store_n(&shared->forker_tid, (int32_t)gettid(), __ATOMIC_RELEASE);
    for (;;) {
        pid_t pid = fork();
        if (pid == 0) {
            kill(getpid(), 0);
            execl(self, "hard_crash", "child", (char *)NULL);
            _exit(127);
        }
        if (pid > 0)
            waitpid(pid, NULL, 0);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "child") == 0) {
        int p[2];
        if (pipe(p) == 0) {
            close(p[0]);
            close(p[1]);
        }
        _exit(0);
    }
    if (argc != 2) {
        fprintf(stderr, "usage: hard_crash SHARED_FILE\n");
        return 2;
    }
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return 1;
    self[n] = 0;
    int fd = open(argv[1], O_RDWR);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shared == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    close(fd);
    __atomic_store_n(&shared->pid, (int32_t)getpid(), __ATOMIC_RELEASE);
    pthread_t th;
    for (int i = 0; i < CALLERS; i++)
        if (pthread_create(&th, NULL, caller, (void *)(intptr_t)i) != 0)
            return 1;
    if (pthread_create(&th, NULL, forker, NULL) != 0)
        return 1;
    for (;;)
        pause();
}
