/*
 * Four threads, each looping on a hooked call, kill(getpid(), 0), and
 * counting its completed calls in a file shared with the test (argv[1]).
 * The test SIGKILLs the process at some moment and compares, thread by
 * thread, the records in the trace with the counters: the shim commits its
 * record before the call returns and the counter moves after, so the trace
 * holds either exactly the counted calls or one more.
 *
 * Usage: crash_writer SHARED_FILE CALLS_PER_THREAD
 * Each thread stops calling after CALLS_PER_THREAD calls and sleeps until
 * killed.  The layout of the shared file is struct crash_shared, which
 * tests/integration/test_crash.c repeats.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CRASH_THREADS 4

struct crash_shared {
    int32_t pid;
    int32_t reserved;
    struct {
        int32_t tid;
        int32_t reserved;
        uint64_t calls; /* completed kill() calls */
    } thread[CRASH_THREADS];
};

static struct crash_shared *shared;
static uint64_t limit;

static void *caller(void *arg)
{
    int i = (int)(intptr_t)arg;
    pid_t self = getpid();
    __atomic_store_n(&shared->thread[i].tid, (int32_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
    for (uint64_t n = 1; n <= limit; n++) {
        kill(self, 0);
        __atomic_store_n(&shared->thread[i].calls, n, __ATOMIC_RELEASE);
    }
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: crash_writer SHARED_FILE CALLS_PER_THREAD\n");
        return 2;
    }
    limit = strtoull(argv[2], NULL, 10);
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
    pthread_t th[CRASH_THREADS];
    for (int i = 0; i < CRASH_THREADS; i++)
        if (pthread_create(&th[i], NULL, caller, (void *)(intptr_t)i) != 0) {
            fprintf(stderr, "crash_writer: cannot create a thread\n");
            return 1;
        }
    for (;;)
        pause();
}
