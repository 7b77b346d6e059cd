/*
 * Hooked calls on small stacks, as the shim must survive them:
 *
 *   hard_small_stack clone BYTES exit|execve|execl|execlp|close_range
 *       a clone() child on a BYTES stack (a guard page below it, as a
 *       thread's has) does that, then (but for exit) execs /bin/true;
 *   hard_small_stack thread BYTES
 *       a thread with a BYTES stack (at least PTHREAD_STACK_MIN) forks, and
 *       the child calls execl.
 *
 * Prints "child: exited N" or "child: killed by signal N" and exits 0 only
 * when the child exited 0.  Plain glibc needs a few hundred bytes for each
 * of these; so must the shim's hooks.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *what = "execl";

static void exec_true(void)
{
    if (strcmp(what, "execve") == 0) {
        char *args[] = {"true", NULL};
        execve("/bin/true", args, environ);
    } else if (strcmp(what, "execlp") == 0) {
        execlp("true", "true", (char *)NULL);
    } else {
        execl("/bin/true", "true", (char *)NULL);
    }
    _exit(127);
}

static int clone_child(void *arg)
{
    (void)arg;
    if (strcmp(what, "exit") == 0)
        _exit(0);
    if (strcmp(what, "close_range") == 0) {
        int p[2];
        if (pipe(p) != 0 || close_range(3, ~0U, 0) != 0)
            _exit(3);
    }
    exec_true();
    return 127;
}

static int report(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        perror("waitpid");
        return 2;
    }
    if (WIFEXITED(status))
        printf("child: exited %d\n", WEXITSTATUS(status));
    else
        printf("child: killed by signal %d\n", WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static int result = 2;

static void *thread_main(void *arg)
{
    (void)arg;
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return NULL;
    }
    if (pid == 0)
        exec_true();
    result = report(pid);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    size_t size = strtoul(argv[2], NULL, 0);
    long page = sysconf(_SC_PAGESIZE);
    if (strcmp(argv[1], "thread") == 0) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        if (size < (size_t)PTHREAD_STACK_MIN)
            size = (size_t)PTHREAD_STACK_MIN;
        if (pthread_attr_setstacksize(&attr, size) != 0)
            return 2;
        pthread_t t;
        if (pthread_create(&t, &attr, thread_main, NULL) != 0)
            return 2;
        pthread_join(t, NULL);
        return result;
    }
    if (argc > 3)
        what = argv[3];
    size = (size + (size_t)page - 1) / (size_t)page * (size_t)page;
    char *map = mmap(NULL, size + (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED || mprotect(map, (size_t)page, PROT_NONE) != 0) {
        perror("mmap");
        return 2;
    }
    pid_t pid = clone(clone_child, map + page + size, SIGCHLD, NULL);
    if (pid < 0) {
        perror("clone");
        return 2;
    }
    return report(pid);
}
