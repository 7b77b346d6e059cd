/*
 * libearly.so: a library whose constructor and destructor make hooked calls,
 * for tests/progs/hard_early.c.  Preloaded beside the shim, its constructor
 * can run before the shim's (the loader runs the constructors of LD_PRELOAD
 * libraries in reverse order: with LD_PRELOAD="libexectrace.so libearly.so"
 * this one's runs first), and its destructor after the shim's exit record.
 *
 * What it does is chosen by HARD_EARLY, a comma-separated list:
 *   ctor_fork    the constructor forks a child (kill, pipe, close, _exit) and waits
 *   ctor_calls   the constructor calls pipe, close, close, kill(getpid(), 0)
 *   dtor         the destructor forks a child (kill, pipe, close, _exit), waits,
 *                and calls pipe, close, close
 *   atexit       the constructor registers an atexit handler that does the same
 *   hog          the constructor lowers RLIMIT_NOFILE to HOG_LIMIT and opens
 *                /dev/null until EMFILE, leaving no fd free for the shim's
 *                constructor; hard_early_hog_first/count say which fds
 *
 * Every step is checked; a failure prints "early: FAIL ..." and _exits 98.
 * Results go to stdout with write(2): "early: <where> child=PID pipe=R,W".
 * Only raw write(2) and snprintf: no stdio buffers to be copied by fork.
 *
 * Make rule (a shared library, so not built by the tests/progs/%.c rule):
 *   $(BUILD)/tests/progs/libearly.so: tests/progs/lib/libearly.c | $(BUILD)/tests/progs
 *       $(CC) -std=gnu11 -Wall -Wextra -Werror -O1 -g -shared -fPIC -o $@ $<
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOG_LIMIT 64
#define SENTINEL EDOM

__attribute__((visibility("default"))) int hard_early_hog_first = -1;
__attribute__((visibility("default"))) int hard_early_hog_count = 0;

static int has_mode(const char *name)
{
    const char *modes = getenv("HARD_EARLY");
    if (!modes)
        return 0;
    size_t n = strlen(name);
    for (const char *p = modes; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && memcmp(p, name, n) == 0)
            return 1;
        p += len;
        if (*p)
            p++;
    }
    return 0;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0 && write(1, buf, (size_t)n) < 0)
        _exit(97);
}

static void fail(const char *where, const char *what)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "early: FAIL %s: %s (errno %d)\n", where, what, errno);
    if (n > 0 && write(2, buf, (size_t)n) < 0)
        _exit(97);
    _exit(98);
}

/* pipe, close, close, with errno left alone. */
static void pipe_and_close(const char *where, int out[2])
{
    errno = SENTINEL;
    if (pipe(out) != 0 || errno != SENTINEL)
        fail(where, "pipe");
    if (close(out[0]) != 0 || close(out[1]) != 0 || errno != SENTINEL)
        fail(where, "close");
}

/* fork a child that makes hooked calls and _exits 0; wait for it. */
static pid_t fork_and_wait(const char *where)
{
    pid_t parent = getpid();
    errno = SENTINEL;
    pid_t pid = fork();
    if (pid < 0)
        fail(where, "fork");
    if (pid == 0) {
        int p[2];
        if (getppid() != parent || errno != SENTINEL)
            _exit(10);
        if (kill(getpid(), 0) != 0)
            _exit(11);
        if (pipe(p) != 0 || close(p[0]) != 0 || close(p[1]) != 0 || errno != SENTINEL)
            _exit(12);
        _exit(0);
    }
    if (errno != SENTINEL)
        fail(where, "fork changed errno");
    int st;
    if (waitpid(pid, &st, 0) != pid || errno != SENTINEL)
        fail(where, "waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail(where, "the child failed its checks");
    return pid;
}

static void fork_and_pipe(const char *where)
{
    pid_t child = fork_and_wait(where);
    int p[2];
    pipe_and_close(where, p);
    say("early: %s child=%d pipe=%d,%d\n", where, child, p[0], p[1]);
}

static void at_exit_handler(void)
{
    int saved = errno;
    fork_and_pipe("atexit");
    errno = saved;
}

/* Like any well-behaved library, it leaves errno as it found it. */
__attribute__((constructor)) static void early_constructor(void)
{
    int saved = errno;
    if (has_mode("hog")) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
            fail("hog", "getrlimit");
        rl.rlim_cur = HOG_LIMIT;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            fail("hog", "setrlimit");
        for (;;) {
            int fd = open("/dev/null", O_RDONLY);
            if (fd < 0) {
                if (errno != EMFILE)
                    fail("hog", "open failed with something else than EMFILE");
                break;
            }
            if (hard_early_hog_first < 0)
                hard_early_hog_first = fd;
            hard_early_hog_count++;
        }
    }
    if (has_mode("ctor_fork")) {
        pid_t child = fork_and_wait("ctor");
        say("early: ctor child=%d\n", child);
    }
    if (has_mode("ctor_calls")) {
        int p[2];
        pipe_and_close("ctor", p);
        errno = SENTINEL;
        if (kill(getpid(), 0) != 0 || errno != SENTINEL)
            fail("ctor", "kill");
        say("early: ctor pipe=%d,%d\n", p[0], p[1]);
    }
    if (has_mode("atexit") && atexit(at_exit_handler) != 0)
        fail("ctor", "atexit");
    errno = saved;
}

__attribute__((destructor)) static void early_destructor(void)
{
    int saved = errno;
    if (has_mode("dtor"))
        fork_and_pipe("dtor");
    errno = saved;
}
