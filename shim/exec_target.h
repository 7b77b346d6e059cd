/*
 * What an exec or a spawn will run, and the environment it gets (exec.c),
 * and the recorder's help for programs that make their own system calls
 * (seize_request.c).
 */
#ifndef EXECTRACE_SHIM_EXEC_TARGET_H
#define EXECTRACE_SHIM_EXEC_TARGET_H

#include <stdbool.h>
#include <stdint.h>

/* Environment re-injection for exec and posix_spawn (exec.c). */
struct et_envfix {
    char **envp;     /* what to pass on */
    uint16_t flags;  /* ET_ENV_* */
    void *mapping;   /* memory to release if the exec returns */
    unsigned long mapping_len;
};
/* The file an exec or spawn will run: path relative to dirfd (AT_FDCWD
 * for the plain calls; fexecve: the fd with an empty path and
 * AT_EMPTY_PATH), searched in PATH for the p variants. */
struct et_exec_target {
    int dirfd;
    const char *path;
    int at_flags;
    bool search_path;
};
void et_envfix_prepare(struct et_envfix *fix, char *const envp[], const struct et_exec_target *target);
/* The file an exec of target would run (found in PATH for the p variants,
 * copied into candidate, which has ET_MAX_PATH_BYTES), or NULL. */
const char *et_exec_target_file(const struct et_exec_target *target, char *candidate);
/* Does exec'ing it run with AT_SECURE (set-id, file capabilities)?  name
 * has ET_MAX_PATH_BYTES + 32 bytes. */
bool et_file_runs_secure(int dirfd, const char *path, int at_flags, char *name);
/* Before exec'ing or spawning target: if it makes its own system calls,
 * asks the launcher's ptrace recorder to trace this thread (seize_request.c). */
void et_recorder_before_exec(const struct et_exec_target *target);
void et_envfix_release(struct et_envfix *fix);

#endif
