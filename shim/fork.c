/*
 * Process creation: fork, _Fork, clone and vfork (whose entry point is the
 * assembly stub in vfork_x86_64.S; the C halves are here).
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdarg.h>
#include <unistd.h>

#include "life.h"
#include "real.h"
#include "stack.h"
#include "sys.h"

static void record_fork(uint16_t kind, uint64_t ts, pid_t result, int err, uint64_t clone_flags)
{
    struct et_record *r = et_begin_stacked(ET_REC_FORK, sizeof(struct et_fork), ts, result < 0 ? err : 0);
    if (!r)
        return;
    struct et_fork *b = et_record_body(r);
    b->kind = kind;
    b->result = result;
    b->clone_flags = clone_flags;
    et_commit(&et_proc.writer, r);
}

static pid_t fork_like(uint16_t kind, pid_t (*real)(void))
{
    if (ET_UNLIKELY(!real)) {
        errno = ENOSYS;
        return -1;
    }
    if (!et_active())
        return real();
    et_stack_before_fork();
    uint64_t ts = et_now_ns();
    pid_t pid = real();
    int saved = errno;
    if (pid == 0)
        et_fork_child_begin(ET_ORIGIN_FORK, ts);
    else
        record_fork(kind, ts, pid, saved, 0);
    /* Only if it changed: in the child, the store would copy the page it
     * is on, a fault the program would not have taken. */
    if (errno != saved)
        errno = saved;
    return pid;
}

ET_EXPORT pid_t fork(void)
{
    return fork_like(ET_FORK_FORK, ET_REAL(fork));
}

ET_EXPORT pid_t _Fork(void)
{
    return fork_like(ET_FORK__FORK, ET_REAL(_Fork));
}

/* clone's child starts in fn on a new stack.  Without CLONE_VM it has a copy
 * of our memory, so this frame's data reaches it through the copied stack. */
struct clone_start {
    int (*fn)(void *);
    void *arg;
    uint64_t ts_before;
};

static int clone_child_start(void *p)
{
    struct clone_start *start = p;
    et_stack_on_clone_child();
    et_fork_child_begin(ET_ORIGIN_CLONE, start->ts_before);
    return start->fn(start->arg);
}

ET_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    pid_t *parent_tid = va_arg(ap, pid_t *);
    void *tls = va_arg(ap, void *);
    pid_t *child_tid = va_arg(ap, pid_t *);
    va_end(ap);

    int (*real)(int (*)(void *), void *, int, void *, ...) = ET_REAL(clone);
    if (ET_UNLIKELY(!real)) {
        errno = ENOSYS;
        return -1;
    }
    /* A thread is not a process.  A CLONE_VM child shares our memory and
     * thread state, so it cannot be given its own; its exec or _exit is still
     * attributed correctly (et_self_checked), its other calls are not. */
    if ((flags & CLONE_THREAD) || !et_active())
        return real(fn, stack, flags, arg, parent_tid, tls, child_tid);

    uint64_t ts = et_now_ns();
    struct clone_start start = {fn, arg, ts};
    if (flags & CLONE_VM) {
        if (et_thread.tid == 0)
            et_thread.tid = (uint32_t)et_gettid();
        et_proc.made_clone_vm_child = true;
    }
    int pid;
    if (!(flags & CLONE_VM))
        et_stack_before_fork();
    if (flags & CLONE_VM)
        pid = real(fn, stack, flags, arg, parent_tid, tls, child_tid);
    else
        pid = real(clone_child_start, stack, flags, &start, parent_tid, tls, child_tid);
    int saved = errno;
    record_fork(ET_FORK_CLONE, ts, pid, saved, (uint64_t)(unsigned)flags);
    errno = saved;
    return pid;
}

/*
 * vfork.  The stub calls et_vfork_enter, makes the vfork system call itself
 * (keeping its return address in a register, as a vfork must), then calls
 * et_vfork_return in the child and again, later, in the parent.  The child
 * runs on the parent's memory and this thread's TLS: it marks the thread as
 * borrowed (vfork_depth) so its records carry its own identity, and the
 * parent's path restores the depth it saved, undoing whatever the child left.
 */
struct vfork_token {
    uint64_t ts;
    uint64_t saved_depth;
};

/* Called only from the stub. */
struct vfork_token et_vfork_enter(void);
long et_vfork_return(uint64_t ts, uint64_t saved_depth, long result);

struct vfork_token et_vfork_enter(void)
{
    struct vfork_token t = {0, et_thread.vfork_depth};
    if (et_active()) {
        /* The child's exec walks this stack, and records no objects. */
        if (t.saved_depth == 0)
            et_stack_before_fork();
        t.ts = et_now_ns();
    }
    return t;
}

long et_vfork_return(uint64_t ts, uint64_t saved_depth, long result)
{
    if (result == 0) {
        if (ts == 0 || saved_depth >= ET_VFORK_NEST_MAX)
            return 0;
        struct et_vfork_child *child = &et_thread.vfork_child[saved_depth];
        struct et_identity *id = &child->id;
        struct et_proc_stat st = {0};
        et_identity_after_fork(id, &st, ts);
        child->fd_change_count = 0;
        et_thread.vfork_depth = (uint32_t)saved_depth + 1;
        et_record_image_start(ET_ORIGIN_VFORK, id, &st, NULL, NULL, false, 0);
        return 0;
    }

    et_thread.vfork_depth = (uint32_t)saved_depth;
    int err = 0;
    if (result < 0) {
        err = (int)-result;
        result = -1;
    }
    if (ts)
        record_fork(ET_FORK_VFORK, ts, (pid_t)result, err, 0);
    if (err)
        errno = err;
    return result;
}
