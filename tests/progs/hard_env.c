/*
 * Environments that lost the shim at exec, and set-id programs.
 *
 *   hard_env empty           execve of "hard_env target" with an empty envp ({NULL})
 *   hard_env null            the same with envp NULL (Linux takes it as empty)
 *   hard_env exec PROG ENV HOW
 *                            runs "PROG secure" (a set-id copy of this program),
 *                            ENV: "keep" (environ) or "empty"; HOW: "execve",
 *                            "fexecve" (an fd of PROG) or "execveat" (PROG's
 *                            directory as dirfd and its base name)
 *   hard_env target          prints "target env=N preload=0|1 file=0|1 recorder=0|1"
 *   hard_env secure          prints "secure=S euid=U egid=G env=N preload=0|1
 *                            file=0|1", S being getauxval(AT_SECURE), and
 *                            checks that pipe, close and kill work
 *
 * env counts the environment's entries; preload and file say whether
 * LD_PRELOAD and EXECTRACE_FILE are among them.  Exits non-zero with a
 * message when a call did not behave as libc's own would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#define SENTINEL EDOM

extern char **environ;

static void fail(const char *what)
{
    fprintf(stderr, "hard_env: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

static void describe_environment(void)
{
    int n = 0, preload = 0, file = 0, recorder = 0;
    for (char **e = environ; e && *e; e++) {
        n++;
        if (strncmp(*e, "LD_PRELOAD=", 11) == 0)
            preload = 1;
        if (strncmp(*e, "EXECTRACE_FILE=", 15) == 0)
            file = 1;
        if (strncmp(*e, "EXECTRACE_RECORDER=", 19) == 0)
            recorder = 1;
    }
    printf("env=%d preload=%d file=%d recorder=%d\n", n, preload, file, recorder);
}

static int secure(void)
{
    printf("secure=%lu euid=%d egid=%d ", getauxval(AT_SECURE), (int)geteuid(), (int)getegid());
    describe_environment();
    int p[2];
    errno = SENTINEL;
    if (pipe(p) != 0 || close(p[0]) != 0 || close(p[1]) != 0 || kill(getpid(), 0) != 0 || errno != SENTINEL)
        fail("pipe, close or kill in the set-id program");
    return 0;
}

static void run_secure(const char *prog, const char *env, const char *how)
{
    char *const args[] = {"hard_env", "secure", NULL};
    char *const empty[] = {NULL};
    char *const *envp = strcmp(env, "empty") == 0 ? empty : environ;
    if (strcmp(env, "empty") != 0 && strcmp(env, "keep") != 0)
        fail("ENV is keep or empty");
    if (strcmp(how, "execve") == 0) {
        execve(prog, args, envp);
    } else if (strcmp(how, "fexecve") == 0) {
        int fd = open(prog, O_RDONLY);
        if (fd < 0)
            fail("open PROG");
        fexecve(fd, args, envp);
    } else if (strcmp(how, "execveat") == 0) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", prog);
        char *slash = strrchr(dir, '/');
        if (!slash)
            fail("PROG must be a path");
        *slash = 0;
        int dirfd = open(dir, O_RDONLY | O_DIRECTORY);
        if (dirfd < 0)
            fail("open PROG's directory");
        execveat(dirfd, slash + 1, args, envp, 0);
    } else {
        fail("HOW is execve, fexecve or execveat");
    }
    fail("exec of the set-id program");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        fail("usage: hard_env empty|null|exec PROG ENV HOW|target|secure");
    const char *mode = argv[1];
    if (strcmp(mode, "target") == 0) {
        printf("target ");
        describe_environment();
        return 0;
    }
    if (strcmp(mode, "secure") == 0)
        return secure();

    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        fail("readlink /proc/self/exe");
    self[n] = 0;
    printf("pid=%d\n", getpid());
    fflush(stdout);

    char *const target_argv[] = {"hard_env", "target", NULL};
    if (strcmp(mode, "empty") == 0) {
        char *const empty[] = {NULL};
        execve(self, target_argv, empty);
    } else if (strcmp(mode, "null") == 0) {
        execve(self, target_argv, NULL);
    } else if (strcmp(mode, "exec") == 0 && argc == 5) {
        run_secure(argv[2], argv[3], argv[4]);
    } else {
        fail("unknown mode");
    }
    fail("execve returned");
    return 99;
}
