/*
 * Hooked calls made inside a shared library, for test_stacks.c: the stack
 * must cross from the library into the program that called it.  The test
 * finds each call's line by the SITE marker on it, so the lines may move.
 * Linked into stack_sites, and also loaded with dlopen as libsites_dl.so.
 */
#include <signal.h>
#include <unistd.h>

__attribute__((noinline)) int sites_lib_signal(int sig)
{
    return kill(getpid(), sig); /* SITE lib_kill */
}
