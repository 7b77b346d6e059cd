/* posix_spawn(/bin/true) + waitpid, N times (default 500). */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500;
    char *child_argv[] = {"true", NULL};
    for (int i = 0; i < n; i++) {
        pid_t pid;
        int err = posix_spawn(&pid, "/bin/true", NULL, NULL, child_argv, environ);
        if (err) {
            fprintf(stderr, "posix_spawn: %s\n", strerror(err));
            return 1;
        }
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "spawn: child %d failed\n", (int)pid);
            return 1;
        }
    }
    return 0;
}
