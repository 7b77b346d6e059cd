/* fork + execve(/bin/true) + waitpid, N times (default 500), passing on the
 * environment, or with `empty` an empty one (as `env -i` or Python's
 * env={} do, which makes exectrace's exec hook put its variables back). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500;
    char *child_argv[] = {"true", NULL};
    char *empty_env[] = {NULL};
    char **child_env = argc > 2 && strcmp(argv[2], "empty") == 0 ? empty_env : environ;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            execve("/bin/true", child_argv, child_env);
            _exit(127);
        }
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "fork_exec: child %d failed\n", (int)pid);
            return 1;
        }
    }
    return 0;
}
