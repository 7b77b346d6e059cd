/*
 * What a ptrace recorder can get wrong, each as a program that says what it
 * saw.  Built static (and static-pie), so that its calls stop in the
 * recorder; run plainly, it prints the same.  Each mode ends by itself.
 *
 *   signals       handlers for SIGUSR1, SIGALRM, SIGTERM and SIGCHLD get
 *                 every signal, and blocking calls are not disturbed
 *   stop          a child stops (SIGSTOP, SIGTSTP); the parent sees it
 *                 stopped, continues it, sees it continued, reaps it
 *   kill-in-calls a child making traced calls in a loop is SIGKILLed
 *   exit-threads  exit_group while other threads are in traced calls
 *   vfork         vfork then exec
 *   thread-exec   a thread that is not the leader execs
 *   zombie        a child's exit is seen by its parent as it would be
 *                 untraced: a zombie until reaped, then gone
 *   ignored       an ignored SIGCHLD (a child's exit) does not interrupt
 *                 epoll_wait, which the kernel never restarts
 *   sleep         sleeps (for the tracer-death test), printing its pid
 *   exec PROG..   becomes PROG (a static parent's program under the filter)
 *   spawn PROG..  posix_spawn's PROG, waits, prints its status: the
 *                 dynamic build asks the recorder to follow a static PROG
 *   tracer        its TracerPid: 0 when nothing traces it
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <spawn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1, got_alrm, got_term, got_chld;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        got_usr1++;
    else if (sig == SIGALRM)
        got_alrm++;
    else if (sig == SIGTERM)
        got_term++;
    else if (sig == SIGCHLD)
        got_chld++;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* The state letter /proc shows for pid, '?' if none. */
static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    char state = '?';
    if (f && fgets(buf, sizeof(buf), f)) {
        char *paren = strrchr(buf, ')');
        if (paren)
            state = paren[2];
    }
    if (f)
        fclose(f);
    return state;
}

static int signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    int sigs[] = {SIGUSR1, SIGALRM, SIGTERM, SIGCHLD};
    for (int i = 0; i < 4; i++)
        sigaction(sigs[i], &sa, NULL);
    for (int i = 0; i < 5; i++) {
        kill(getpid(), SIGUSR1);
        kill(getpid(), SIGALRM);
        kill(getpid(), SIGTERM);
    }
    /* A child's exit while the parent blocks in read: SA_RESTART, so the
     * read goes on and gets the child's byte. */
    int fds[2];
    if (pipe(fds) < 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(50);
        if (write(fds[1], "x", 1) != 1)
            _exit(2);
        _exit(0);
    }
    close(fds[1]);
    char c = 0;
    ssize_t n = read(fds[0], &c, 1);
    int status;
    waitpid(child, &status, 0);
    printf("usr1=%d alrm=%d term=%d chld=%d read=%zd%c status=%d\n", (int)got_usr1, (int)got_alrm, (int)got_term,
           (int)got_chld, n, c, WEXITSTATUS(status));
    return 0;
}

static int stop(void)
{
    int seen = 0;
    int sigs[] = {SIGSTOP, SIGTSTP};
    for (int i = 0; i < 2; i++) {
        /* The child exits only once told, after the parent has seen it
         * continued: otherwise its exit could be what that wait sees. */
        int go[2];
        if (pipe(go) < 0)
            return 1;
        pid_t child = fork();
        if (child == 0) {
            close(go[1]);
            signal(SIGTSTP, SIG_DFL);
            raise(sigs[i]);
            char c;
            _exit(read(go[0], &c, 1) == 1 ? 7 : 8);
        }
        close(go[0]);
        int status;
        if (waitpid(child, &status, WUNTRACED) == child && WIFSTOPPED(status) && WSTOPSIG(status) == sigs[i])
            seen |= 1;
        /* Still stopped a while later: nothing woke it. */
        sleep_ms(50);
        char state = proc_state(child);
        /* 'T', or 't' under a tracer that keeps it stopped with
         * PTRACE_LISTEN: stopped either way. */
        if (state == 'T' || state == 't')
            seen |= 2;
        kill(child, SIGCONT);
        if (waitpid(child, &status, WCONTINUED) == child && WIFCONTINUED(status))
            seen |= 4;
        if (write(go[1], "x", 1) != 1)
            return 1;
        close(go[1]);
        if (waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 7)
            seen |= 8;
        printf("%s: stopped=%d still-stopped=%d continued=%d exit=%d\n", i ? "SIGTSTP" : "SIGSTOP", seen & 1,
               !!(seen & 2), !!(seen & 4), !!(seen & 8));
        seen = 0;
    }
    return 0;
}

static int kill_in_calls(void)
{
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            syscall(SYS_close, -1); /* a traced call, over and over */
    }
    sleep_ms(100);
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    printf("killed=%d\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return 0;
}

/* Starts PROG, kills it after 200 ms and reaps it: the only end it has. */
static int kill_exec(char **argv)
{
    pid_t child = fork();
    if (child == 0) {
        execv(argv[0], argv);
        _exit(127);
    }
    printf("child=%d\n", child);
    sleep_ms(200);
    kill(child, SIGKILL);
    int status;
    waitpid(child, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 1;
}

static void *busy(void *arg)
{
    (void)arg;
    for (;;) {
        syscall(SYS_close, -1);
        kill(getpid(), 0);
    }
    return NULL;
}

static int exit_threads(void)
{
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, busy, NULL);
    sleep_ms(50);
    printf("exiting with 3\n");
    fflush(stdout);
    syscall(SYS_exit_group, 3);
    return 1;
}

static int do_vfork(void)
{
    pid_t child = vfork();
    if (child == 0) {
        execl("/bin/sh", "sh", "-c", "exit 5", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    printf("vfork child=%d status=%d\n", child, WEXITSTATUS(status));
    return 0;
}

static void *exec_in_thread(void *arg)
{
    (void)arg;
    execl("/bin/echo", "echo", "thread-exec", "done", (char *)NULL);
    return NULL;
}

static int thread_exec(void)
{
    printf("leader=%d\n", getpid());
    fflush(stdout);
    pthread_t th;
    pthread_create(&th, NULL, exec_in_thread, NULL);
    pthread_join(th, NULL);
    return 1; /* not reached: the exec replaced every thread */
}

static int zombie(void)
{
    pid_t child = fork();
    if (child == 0)
        _exit(4);
    sleep_ms(200);
    char state = proc_state(child);
    int status;
    pid_t got = waitpid(child, &status, WNOHANG);
    printf("state=%c reaped=%d status=%d\n", state, got == child, WEXITSTATUS(status));
    return 0;
}

extern char **environ;

static int spawn_and_wait(char **argv)
{
    pid_t child;
    int err = posix_spawn(&child, argv[0], NULL, NULL, argv, environ);
    if (err) {
        printf("spawn: %s\n", strerror(err));
        return 1;
    }
    int status;
    if (waitpid(child, &status, 0) != child)
        return 1;
    printf("spawned status=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}

static int tracer_pid(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "TracerPid:", 10))
            printf("traced=%s\n", atoi(line + 10) ? "yes" : "no");
    if (f)
        fclose(f);
    return 0;
}

static int ignored(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    pid_t child = fork();
    if (child == 0) {
        sleep_ms(30);
        _exit(0);
    }
    struct epoll_event ev;
    int n = epoll_wait(ep, &ev, 1, 200);
    int err = n < 0 ? errno : 0;
    waitpid(child, NULL, 0);
    printf("epoll_wait=%d %s\n", n, err ? strerror(err) : "timed out");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "signals"))
        return signals();
    if (!strcmp(mode, "stop"))
        return stop();
    if (!strcmp(mode, "kill-in-calls"))
        return kill_in_calls();
    if (!strcmp(mode, "exit-threads"))
        return exit_threads();
    if (!strcmp(mode, "vfork"))
        return do_vfork();
    if (!strcmp(mode, "thread-exec"))
        return thread_exec();
    if (!strcmp(mode, "zombie"))
        return zombie();
    if (!strcmp(mode, "ignored"))
        return ignored();
    if (!strcmp(mode, "exec") && argc > 2) {
        execv(argv[2], argv + 2);
        perror("exec");
        return 127;
    }
    if (!strcmp(mode, "spawn") && argc > 2)
        return spawn_and_wait(argv + 2);
    if (!strcmp(mode, "kill-exec") && argc > 2)
        return kill_exec(argv + 2);
    if (!strcmp(mode, "tracer"))
        return tracer_pid();
    if (!strcmp(mode, "sleep")) {
        printf("pid=%d\n", getpid());
        sleep_ms(argc > 2 ? atol(argv[2]) : 10000);
        return 0;
    }
    fprintf(stderr, "usage: recorder_cases signals|stop|kill-in-calls|exit-threads|vfork|thread-exec|zombie|\n"
                    "       ignored|sleep|exec PROG [ARGS]|spawn PROG [ARGS]|kill-exec PROG [ARGS]|tracer\n");
    return 2;
}
