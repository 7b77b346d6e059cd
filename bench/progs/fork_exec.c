/* fork + execve(/bin/true) + waitpid, N times (default 500). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500;
    char *child_argv[] = {"true", NULL};
    char *child_env[] = {NULL};
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
