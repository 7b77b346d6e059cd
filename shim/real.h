/*
 * The functions the shim wraps, as the next object in the lookup order (libc)
 * defines them.  They are resolved all at once in the constructor; a hook that
 * runs earlier (from another library's constructor) resolves them lazily.
 */
#ifndef EXECTRACE_REAL_H
#define EXECTRACE_REAL_H

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

/* X(name, return type, parameter list) */
#define ET_REAL_FUNCTIONS(X)                                                                                   \
    X(fork, pid_t, (void))                                                                                     \
    X(_Fork, pid_t, (void))                                                                                    \
    X(clone, int, (int (*)(void *), void *, int, void *, ...))                                                 \
    X(posix_spawn, int,                                                                                        \
      (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const[],    \
       char *const[]))                                                                                         \
    X(posix_spawnp, int,                                                                                       \
      (pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *, char *const[],    \
       char *const[]))                                                                                         \
    X(posix_spawn_file_actions_addclose, int, (posix_spawn_file_actions_t *, int))                            \
    X(posix_spawn_file_actions_adddup2, int, (posix_spawn_file_actions_t *, int, int))                        \
    X(posix_spawn_file_actions_addclosefrom_np, int, (posix_spawn_file_actions_t *, int))                     \
    X(execve, int, (const char *, char *const[], char *const[]))                                               \
    X(execvpe, int, (const char *, char *const[], char *const[]))                                              \
    X(fexecve, int, (int, char *const[], char *const[]))                                                       \
    X(execveat, int, (int, const char *, char *const[], char *const[], int))                                   \
    X(kill, int, (pid_t, int))                                                                                 \
    X(killpg, int, (pid_t, int))                                                                               \
    X(sigqueue, int, (pid_t, int, const union sigval))                                                         \
    X(tgkill, int, (pid_t, pid_t, int))                                                                        \
    X(pidfd_open, int, (pid_t, unsigned int))                                                                  \
    X(pidfd_send_signal, int, (int, int, siginfo_t *, unsigned int))                                           \
    X(wait, pid_t, (int *))                                                                                    \
    X(waitpid, pid_t, (pid_t, int *, int))                                                                     \
    X(wait3, pid_t, (int *, int, struct rusage *))                                                             \
    X(wait4, pid_t, (pid_t, int *, int, struct rusage *))                                                      \
    X(waitid, int, (idtype_t, id_t, siginfo_t *, int))                                                         \
    X(pipe, int, (int[2]))                                                                                     \
    X(pipe2, int, (int[2], int))                                                                               \
    X(close, int, (int))                                                                                       \
    X(close_range, int, (unsigned int, unsigned int, int))                                                     \
    X(closefrom, void, (int))                                                                                  \
    X(dup, int, (int))                                                                                         \
    X(dup2, int, (int, int))                                                                                   \
    X(dup3, int, (int, int, int))                                                                              \
    X(fcntl, int, (int, int, ...))                                                                             \
    X(fcntl64, int, (int, int, ...))                                                                           \
    X(setpgid, int, (pid_t, pid_t))                                                                            \
    X(setpgrp, int, (void))                                                                                    \
    X(setsid, pid_t, (void))                                                                                   \
    X(prctl, int, (int, ...))                                                                                  \
    X(signal, sighandler_t, (int, sighandler_t))                                                               \
    X(sigset, sighandler_t, (int, sighandler_t))                                                               \
    X(__sysv_signal, sighandler_t, (int, sighandler_t))                                                        \
    X(sysv_signal, sighandler_t, (int, sighandler_t))                                                          \
    X(bsd_signal, sighandler_t, (int, sighandler_t))                                                           \
    X(sigaction, int, (int, const struct sigaction *, struct sigaction *))                                     \
    X(_exit, void, (int))                                                                                      \
    X(_Exit, void, (int))                                                                                      \
    X(dlclose, int, (void *))                                                                                  \
    X(read, ssize_t, (int, void *, size_t))                                                                    \
    X(__read_chk, ssize_t, (int, void *, size_t, size_t))                                                      \
    X(readv, ssize_t, (int, const struct iovec *, int))                                                        \
    X(poll, int, (struct pollfd *, nfds_t, int))                                                               \
    X(__poll_chk, int, (struct pollfd *, nfds_t, int, size_t))                                                 \
    X(ppoll, int, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))                        \
    X(__ppoll_chk, int, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t))          \
    X(select, int, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                                      \
    X(pselect, int, (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *))

#define ET_REAL_MEMBER(name, ret, params) ret(*name) params;
struct et_real_functions {
    ET_REAL_FUNCTIONS(ET_REAL_MEMBER)
};
#undef ET_REAL_MEMBER

extern struct et_real_functions et_real;

void et_resolve_real_functions(void);

/* The real function, resolving the table first if the constructor has not
 * run yet.  May be NULL when libc lacks the function. */
#define ET_REAL(name)                                                                                          \
    (__builtin_expect(et_real.name != NULL, 1) ? et_real.name : (et_resolve_real_functions(), et_real.name))

#endif
