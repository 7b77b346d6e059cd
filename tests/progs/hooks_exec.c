/* The exec family under the shim.  `hooks_exec MODE` makes one exec call;
 * the successful ones run this program again as `hooks_exec target ARGS...`,
 * which prints what it was given.  Exits non-zero with a message when a call
 * did not behave as libc's own would. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void fail(const char *what)
{
    fprintf(stderr, "hooks_exec: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

static char self[PATH_MAX];
static char self_dir[PATH_MAX];

/* The arguments every successful exec passes: an empty string and one with a
 * space check that argv is recorded exactly. */
#define TARGET_ARGS "target", "two words", ""

static void expect_failure(int ret, int err)
{
    if (ret != -1)
        fail("exec did not return -1");
    if (errno != err)
        fail("exec returned the wrong errno");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        fail("usage: hooks_exec MODE");
    const char *mode = argv[1];
    if (strcmp(mode, "target") == 0) {
        printf("target argc=%d", argc);
        for (int i = 0; i < argc; i++)
            printf(" [%s]", argv[i]);
        const char *mark = getenv("HOOKS_MARK");
        printf(" mark=%s\n", mark ? mark : "-");
        return 0;
    }

    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        fail("readlink /proc/self/exe");
    self[n] = 0;
    strcpy(self_dir, self);
    *strrchr(self_dir, '/') = 0;
    printf("pid=%d\n", getpid());
    fflush(stdout);

    char *const target_argv[] = {"hooks_exec", TARGET_ARGS, NULL};
    /* No LD_PRELOAD, no EXECTRACE_FILE: the shim has to put them back. */
    char *const bare_env[] = {"HOOKS_MARK=bare", NULL};

    if (strcmp(mode, "execve_enoent") == 0) {
        char *const args[] = {"missing", "arg one", NULL};
        expect_failure(execve("/nonexistent/hooks-missing", args, environ), ENOENT);
        return 0;
    }
    if (strcmp(mode, "execve_eacces") == 0) {
        char *const args[] = {"not-executable", NULL};
        expect_failure(execve("/etc/passwd", args, environ), EACCES);
        return 0;
    }
    if (strcmp(mode, "execvp_missing") == 0) {
        char *const args[] = {"hooks-no-such-program", NULL};
        expect_failure(execvp("hooks-no-such-program", args), ENOENT);
        return 0;
    }
    if (strcmp(mode, "execve") == 0)
        execve(self, target_argv, environ);
    else if (strcmp(mode, "execv") == 0)
        execv(self, target_argv);
    else if (strcmp(mode, "execl") == 0)
        execl(self, "hooks_exec", TARGET_ARGS, (char *)NULL);
    else if (strcmp(mode, "execle") == 0)
        execle(self, "hooks_exec", TARGET_ARGS, (char *)NULL, bare_env);
    else if (strcmp(mode, "execlp") == 0 || strcmp(mode, "execvp") == 0 || strcmp(mode, "execvpe") == 0) {
        /* Found only through PATH. */
        if (setenv("PATH", self_dir, 1) != 0)
            fail("setenv");
        if (strcmp(mode, "execlp") == 0)
            execlp("hooks_exec", "hooks_exec", TARGET_ARGS, (char *)NULL);
        else if (strcmp(mode, "execvp") == 0)
            execvp("hooks_exec", target_argv);
        else
            execvpe("hooks_exec", target_argv, bare_env);
    } else if (strcmp(mode, "fexecve") == 0) {
        int fd = open(self, O_RDONLY);
        if (fd < 0)
            fail("open self");
        printf("fd=%d\n", fd);
        fflush(stdout);
        fexecve(fd, target_argv, environ);
    } else if (strcmp(mode, "execveat") == 0) {
        int dirfd = open(self_dir, O_RDONLY | O_DIRECTORY);
        if (dirfd < 0)
            fail("open dir");
        printf("fd=%d\n", dirfd);
        fflush(stdout);
        execveat(dirfd, "hooks_exec", target_argv, environ, 0);
    } else {
        fail("unknown mode");
    }
    fail("exec returned");
}
