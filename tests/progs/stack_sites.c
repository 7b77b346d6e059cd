/*
 * Hooked calls on known lines, for test_stacks.c: each call carries a
 * SITE marker, and the test reads this file to learn the line it is on.
 *
 *   stack_sites DLOPEN_LIBRARY
 *   stack_sites --nocfi[-handler]  kill through a function without unwind
 *                          information (after installing a handler), then
 *                          prints whether libunwind is mapped
 *   stack_sites --fork-first  forks as its first call that takes a stack,
 *                          then execs /bin/true, which takes none
 *   stack_sites --fds      makes a call that takes a stack, prints the fds
 *                          it holds (below 4096), and exits
 *   stack_sites --loaded   prints whether libunwind is mapped, at start,
 *                          after a call that records its stack, and after
 *                          installing a signal handler
 *
 * Prints the fd that its first open() got (3 when the shim keeps out of
 * the way), then makes the calls: in main, in a function it calls, in a
 * shared library, in a signal handler, in a fork child, and in a library
 * loaded with dlopen after the program started, then unloaded and loaded
 * again.  Signals sent are 0 or ones that change nothing (SIGUSR2 ignored,
 * SIGCONT, SIGCHLD), so nothing dies; each call's signal number tells
 * the test which one it is.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int sites_lib_signal(int sig);

static void on_usr1(int sig)
{
    (void)sig;
    kill(getpid(), SIGWINCH); /* SITE handler_kill */
}

/* A function without unwind information, as hand-written assembly often
 * is: it keeps a frame pointer, which is all libunwind has to go on. */
int nocfi_kill(pid_t pid, int sig);
__asm__(".text\n"
        ".globl nocfi_kill\n"
        ".type nocfi_kill, @function\n"
        "nocfi_kill:\n"
        "    push %rbp\n"
        "    mov %rsp, %rbp\n"
        "    call kill@PLT\n"
        "    pop %rbp\n"
        "    ret\n"
        ".size nocfi_kill, .-nocfi_kill\n");

static int libunwind_mapped(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;
    while (f && fgets(line, sizeof(line), f))
        found |= strstr(line, "/libunwind.so") != NULL;
    if (f)
        fclose(f);
    return found;
}

/* A vfork child's exec, which fails: the child goes on to _exit. */
__attribute__((noinline)) static void start_vfork_child(void)
{
    pid_t pid = vfork();
    if (pid == 0) {
        execl("/nonexistent/exectrace-vfork-site", "x", (char *)NULL); /* SITE vfork_exec */
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

__attribute__((noinline)) static pid_t start_child(void)
{
    pid_t pid = fork(); /* SITE fork */
    if (pid == 0) {
        kill(getpid(), SIGURG); /* SITE child_kill */
        /* An exec that fails is recorded like one that works, and the
         * child goes on. */
        execl("/nonexistent/exectrace-stack-site", "x", (char *)NULL); /* SITE child_exec */
        _exit(0);
    }
    return pid;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: stack_sites DLOPEN_LIBRARY | --fds\n");
        return 2;
    }
    if (strcmp(argv[1], "--loaded") == 0) {
        printf("at start: %s\n", libunwind_mapped() ? "loaded" : "not loaded");
        kill(getpid(), 0);
        printf("after a stack: %s\n", libunwind_mapped() ? "loaded" : "not loaded");
        signal(SIGUSR1, on_usr1);
        printf("after a handler: %s\n", libunwind_mapped() ? "loaded" : "not loaded");
        return 0;
    }
    if (strcmp(argv[1], "--nocfi") == 0 || strcmp(argv[1], "--nocfi-handler") == 0) {
        /* A stack through a frame the shim's walker cannot describe, with
         * or without a signal handler installed first. */
        if (strcmp(argv[1], "--nocfi-handler") == 0)
            signal(SIGUSR1, on_usr1);
        nocfi_kill(getpid(), SIGURG);
        printf("libunwind %s\n", libunwind_mapped() ? "loaded" : "not loaded");
        return 0;
    }
    if (strcmp(argv[1], "--fork-first") == 0) {
        /* The first call that takes a stack is a fork; the program it then
         * runs takes none. */
        pid_t pid = fork();
        if (pid == 0) {
            kill(getpid(), 0); /* SITE fork_first_child_kill */
            _exit(0);
        }
        waitpid(pid, NULL, 0);
        execl("/bin/true", "true", (char *)NULL);
        return 1;
    }
    if (strcmp(argv[1], "--fds") == 0) {
        kill(getpid(), 0); /* a stack taken first, when stacks are on */
        for (int fd = 0; fd < 4096; fd++)
            if (fcntl(fd, F_GETFD) >= 0)
                printf("%d ", fd);
        printf("\n");
        return 0;
    }
    int fd = open("/dev/null", O_RDONLY);
    printf("first fd %d\n", fd);
    fflush(stdout);
    close(fd);

    signal(SIGWINCH, SIG_IGN);
    signal(SIGURG, SIG_IGN);
    signal(SIGUSR2, SIG_IGN);
    kill(getpid(), 0); /* SITE main_kill */

    sites_lib_signal(SIGUSR2); /* SITE call_lib */

    signal(SIGUSR1, on_usr1);
    raise(SIGUSR1); /* SITE raise */

    pid_t pid = start_child(); /* SITE call_start_child */
    waitpid(pid, NULL, 0); /* SITE waitpid */
    start_vfork_child(); /* SITE call_start_vfork_child */

    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) {
        fprintf(stderr, "stack_sites: %s\n", dlerror());
        return 1;
    }
    int (*dl_signal)(int) = (int (*)(int))dlsym(lib, "sites_lib_signal");
    if (!dl_signal) {
        fprintf(stderr, "stack_sites: %s\n", dlerror());
        return 1;
    }
    dl_signal(SIGCONT); /* SITE call_dl */
    /* Unloaded and loaded again (most often at the same addresses): the
     * walker forgets what it learnt of the library's code in between. */
    if (dlclose(lib) != 0) {
        fprintf(stderr, "stack_sites: dlclose: %s\n", dlerror());
        return 1;
    }
    lib = dlopen(argv[1], RTLD_NOW);
    dl_signal = lib ? (int (*)(int))dlsym(lib, "sites_lib_signal") : NULL;
    if (!dl_signal) {
        fprintf(stderr, "stack_sites: %s\n", dlerror());
        return 1;
    }
    dl_signal(SIGCHLD); /* SITE call_dl_again */
    return 0;
}
