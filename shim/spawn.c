/*
 * posix_spawn and posix_spawnp.  libc creates the child internally (clone
 * and execve that no hook sees), so the spawn is recorded as one call with
 * what was asked for (flags, process group, file actions) and the child it
 * made; what the child really got shows in its image's start record.
 *
 * File actions that touch pipe ends are recorded when they are added,
 * keyed by the address of the file actions object.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <string.h>

#include "exec_target.h"
#include "fd_table.h"
#include "life.h"
#include "real.h"
#include "stack.h"

static int do_spawn(uint16_t kind, pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    int (*real)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                char *const[], char *const[]) =
        kind == ET_SPAWN_POSIX_SPAWNP ? ET_REAL(posix_spawnp) : ET_REAL(posix_spawn);
    if (ET_UNLIKELY(!real))
        return ENOSYS;
    if (!et_active())
        return real(pid, path, actions, attr, argv, envp);

    uint64_t ts = et_now_ns();
    struct et_envfix fix;
    struct et_exec_target target = {AT_FDCWD, path, 0, kind == ET_SPAWN_POSIX_SPAWNP};
    et_envfix_prepare(&fix, envp, &target);
    /* The spawning thread is traced from here on, so that the child is
     * traced from its first instruction. */
    et_recorder_before_exec(&target);
    pid_t child = -1;
    int ret = real(&child, path, actions, attr, argv, fix.envp);
    int saved = errno;
    et_envfix_release(&fix);
    if (pid && ret == 0)
        *pid = child;

    bool path_truncated = false;
    struct et_argv_summary args;
    uint32_t path_bytes = et_put_str(NULL, path, ET_MAX_PATH_BYTES, &path_truncated);
    uint32_t argv_bytes = et_put_argv(NULL, argv, &args);
    struct et_record *r =
        et_begin_stacked(ET_REC_SPAWN, (uint32_t)sizeof(struct et_spawn) + path_bytes + argv_bytes, ts, ret);
    if (r) {
        struct et_spawn *b = et_record_body(r);
        memset(b, 0, sizeof(*b));
        b->kind = kind;
        b->flags = fix.flags | (path_truncated ? ET_SPAWN_PATH_TRUNCATED : 0) |
                   (args.truncated ? ET_SPAWN_ARGV_TRUNCATED : 0);
        b->result = ret;
        b->child_pid = ret == 0 ? child : -1;
        if (attr) {
            short sflags = 0;
            pid_t pgroup = 0;
            posix_spawnattr_getflags(attr, &sflags);
            posix_spawnattr_getpgroup(attr, &pgroup);
            b->flags |= ET_SPAWN_HAS_ATTR;
            b->spawn_flags = (uint16_t)sflags;
            b->pgroup = pgroup;
        }
        b->argc = args.argc;
        b->argv_count = args.count;
        b->file_actions = (uint64_t)(uintptr_t)actions;
        uint8_t *tail = (uint8_t *)(b + 1);
        tail += et_put_str(tail, path, ET_MAX_PATH_BYTES, &path_truncated);
        et_put_argv(tail, argv, &args);
        et_commit(&et_proc.writer, r);
    }
    errno = saved;
    return ret;
}

ET_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return do_spawn(ET_SPAWN_POSIX_SPAWN, pid, path, actions, attr, argv, envp);
}

ET_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return do_spawn(ET_SPAWN_POSIX_SPAWNP, pid, file, actions, attr, argv, envp);
}

static void record_action(uint16_t op, posix_spawn_file_actions_t *actions, int fd, int newfd, int result,
                          uint64_t ts)
{
    struct et_record *r = et_begin(ET_REC_SPAWN_ACTION, sizeof(struct et_spawn_action), ts, result);
    if (!r)
        return;
    struct et_spawn_action *b = et_record_body(r);
    b->op = op;
    b->reserved = 0;
    b->fd = fd;
    b->newfd = newfd;
    b->result = result;
    b->file_actions = (uint64_t)(uintptr_t)actions;
    et_fd_describe(fd, et_fd_get(fd), &b->pipe);
    et_commit(&et_proc.writer, r);
}

ET_EXPORT int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *actions, int fd)
{
    int (*real)(posix_spawn_file_actions_t *, int) = ET_REAL(posix_spawn_file_actions_addclose);
    if (ET_UNLIKELY(!real))
        return ENOSYS;
    if (!et_active() || !et_fd_is_pipe(et_fd_get(fd)))
        return real(actions, fd);
    uint64_t ts = et_now_ns();
    int ret = real(actions, fd);
    int saved = errno;
    record_action(ET_SPAWN_ACTION_CLOSE, actions, fd, -1, ret, ts);
    errno = saved;
    return ret;
}

ET_EXPORT int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *actions, int fd, int newfd)
{
    int (*real)(posix_spawn_file_actions_t *, int, int) = ET_REAL(posix_spawn_file_actions_adddup2);
    if (ET_UNLIKELY(!real))
        return ENOSYS;
    if (!et_active() || (!et_fd_is_pipe(et_fd_get(fd)) && !et_fd_is_pipe(et_fd_get(newfd))))
        return real(actions, fd, newfd);
    uint64_t ts = et_now_ns();
    int ret = real(actions, fd, newfd);
    int saved = errno;
    record_action(ET_SPAWN_ACTION_DUP2, actions, fd, newfd, ret, ts);
    errno = saved;
    return ret;
}

ET_EXPORT int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from)
{
    int (*real)(posix_spawn_file_actions_t *, int) = ET_REAL(posix_spawn_file_actions_addclosefrom_np);
    if (ET_UNLIKELY(!real))
        return ENOSYS;
    if (!et_active())
        return real(actions, from);
    uint64_t ts = et_now_ns();
    int ret = real(actions, from);
    int saved = errno;
    record_action(ET_SPAWN_ACTION_CLOSEFROM, actions, from, -1, ret, ts);
    errno = saved;
    return ret;
}
