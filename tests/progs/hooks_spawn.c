/* posix_spawn and posix_spawnp under the shim, with file actions that put a
 * pipe's write end on the child's stdout.  Exits non-zero with a message when
 * a call did not behave as libc's own would. */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SENTINEL EDOM

extern char **environ;

static void fail(const char *what)
{
    fprintf(stderr, "hooks_spawn: %s (errno %d %s)\n", what, errno, strerror(errno));
    exit(99);
}

static void check(int ret, const char *what)
{
    if (ret != 0) {
        errno = ret;
        fail(what);
    }
}

static void spawn_into_pipe(bool search)
{
    int p[2];
    if (pipe(p) != 0)
        fail("pipe");
    struct stat st;
    if (fstat(p[0], &st) != 0)
        fail("fstat");
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    check(posix_spawn_file_actions_init(&fa), "file_actions_init");
    check(posix_spawnattr_init(&attr), "spawnattr_init");
    check(posix_spawn_file_actions_adddup2(&fa, p[1], 1), "adddup2");
    check(posix_spawn_file_actions_addclose(&fa, p[0]), "addclose");
    check(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP), "setflags");
    check(posix_spawnattr_setpgroup(&attr, 0), "setpgroup");

    char *const args[] = {"echo", "spawned", NULL};
    pid_t pid = -1;
    errno = SENTINEL;
    int ret = search ? posix_spawnp(&pid, "echo", &fa, &attr, args, environ)
                     : posix_spawn(&pid, "/bin/echo", &fa, &attr, args, environ);
    check(ret, "posix_spawn");
    /* posix_spawnp's search of PATH leaves errno set by libc itself. */
    if (!search && errno != SENTINEL)
        fail("posix_spawn changed errno");
    if (pid <= 0)
        fail("posix_spawn gave no pid");
    printf("read=%d\nwrite=%d\ninode=%llu\nchild=%d\nactions=%#llx\n", p[0], p[1], (unsigned long long)st.st_ino,
           pid, (unsigned long long)(uintptr_t)&fa);

    close(p[1]);
    char buf[64] = {0};
    ssize_t n = read(p[0], buf, sizeof(buf) - 1);
    if (n != 8 || strcmp(buf, "spawned\n") != 0)
        fail("the child's stdout did not reach the pipe");
    int wst;
    if (waitpid(pid, &wst, 0) != pid || !WIFEXITED(wst) || WEXITSTATUS(wst) != 0)
        fail("child did not exit 0");
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        fail("usage: hooks_spawn MODE");
    printf("pid=%d\n", getpid());
    if (strcmp(argv[1], "spawn") == 0) {
        spawn_into_pipe(false);
    } else if (strcmp(argv[1], "spawnp") == 0) {
        spawn_into_pipe(true);
    } else if (strcmp(argv[1], "spawnp_missing") == 0) {
        char *const args[] = {"hooks-no-such-program", NULL};
        pid_t pid = 12345;
        int ret = posix_spawnp(&pid, "hooks-no-such-program", NULL, NULL, args, environ);
        if (ret != ENOENT)
            fail("posix_spawnp of a missing program did not return ENOENT");
        if (pid != 12345)
            fail("a failed posix_spawnp changed *pid");
    } else {
        fail("unknown mode");
    }
    return 0;
}
