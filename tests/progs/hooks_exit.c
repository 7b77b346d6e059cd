/* The ways a process image ends, under the shim: exit(), return from main,
 * _exit, _Exit, and exit() called from a thread other than main's. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *exit_from_thread(void *arg)
{
    (void)arg;
    printf("tid=%d\n", gettid());
    exit(8);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hooks_exit MODE\n");
        return 99;
    }
    const char *mode = argv[1];
    printf("pid=%d\n", getpid());
    fflush(stdout);
    if (strcmp(mode, "exit") == 0)
        exit(4);
    if (strcmp(mode, "return") == 0)
        return 9;
    if (strcmp(mode, "_exit") == 0)
        _exit(5);
    if (strcmp(mode, "_Exit") == 0)
        _Exit(6);
    if (strcmp(mode, "thread") == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, exit_from_thread, NULL) != 0) {
            fprintf(stderr, "hooks_exit: pthread_create failed\n");
            return 99;
        }
        /* Never returns: the thread's exit ends the process. */
        pthread_join(t, NULL);
        fprintf(stderr, "hooks_exit: the thread returned\n");
        return 99;
    }
    fprintf(stderr, "hooks_exit: unknown mode\n");
    return 99;
}
