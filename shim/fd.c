/*
 * Pipes and the fds that hold their ends: pipe, pipe2, close, close_range,
 * closefrom, dup, dup2, dup3 and fcntl (F_DUPFD, F_DUPFD_CLOEXEC, F_SETFD).
 * Only pipe ends are followed; for any other fd these hooks cost one table
 * lookup.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd_table.h"
#include "life.h"
#include "real.h"
#include "stack.h"
#include "sys.h"

static int pipe_common(uint16_t kind, int fds[2], int flags)
{
    if (!et_active())
        return kind == ET_PIPE_PIPE ? ET_REAL(pipe)(fds) : ET_REAL(pipe2)(fds, flags);
    uint64_t ts = et_now_ns();
    int ret = kind == ET_PIPE_PIPE ? et_real.pipe(fds) : et_real.pipe2(fds, flags);
    int saved = errno;
    uint64_t inode = 0;
    if (ret == 0) {
        /* The inode names the pipe in every process that holds an end. */
        struct stat st;
        if (et_fstat(fds[0], &st) == 0)
            inode = (uint64_t)st.st_ino & ET_FDE_VALUE_MASK;
        uint64_t common = ET_FDE_VALID | inode | ((flags & O_CLOEXEC) ? ET_FDE_CLOEXEC : 0);
        et_fd_set(fds[0], common | ET_FDE_READ);
        et_fd_set(fds[1], common | ET_FDE_WRITE);
    }
    struct et_record *r = et_begin_stacked(ET_REC_PIPE, sizeof(struct et_pipe), ts, ret < 0 ? saved : 0);
    if (r) {
        struct et_pipe *b = et_record_body(r);
        b->kind = kind;
        b->reserved = 0;
        b->read_fd = ret == 0 ? fds[0] : -1;
        b->write_fd = ret == 0 ? fds[1] : -1;
        b->flags = flags;
        b->result = ret;
        b->reserved2 = 0;
        b->inode = inode;
        et_commit(&et_proc.writer, r);
    }
    errno = saved;
    return ret;
}

ET_EXPORT int pipe(int fds[2])
{
    return pipe_common(ET_PIPE_PIPE, fds, 0);
}

ET_EXPORT int pipe2(int fds[2], int flags)
{
    /* libunwind checks addresses by writing them to a pipe of its own
     * (stack.c): that pipe is not the program's business. */
    if (ET_UNLIKELY(et_thread.in_stack_capture) && et_stack_is_unwinder(__builtin_return_address(0)))
        return et_stack_unwinder_pipe(fds, flags);
    return pipe_common(ET_PIPE_PIPE2, fds, flags);
}

ET_EXPORT int close(int fd)
{
    int (*real)(int) = ET_REAL(close);
    if (ET_UNLIKELY(!real))
        return et_close(fd) < 0 ? (errno = EBADF, -1) : 0; /* reached from inside dlsym */
    uint64_t entry = et_fd_get(fd);
    if (ET_LIKELY(!entry) || !et_active())
        return real(fd);
    uint64_t ts = et_now_ns();
    int ret = real(fd);
    int saved = errno;
    /* Linux releases the fd even when close reports EINTR or EIO. */
    if (ret == 0 || saved != EBADF)
        et_fd_clear_if(fd, entry);
    if (et_fd_is_pipe(entry)) {
        struct et_record *r = et_begin(ET_REC_CLOSE, sizeof(struct et_close), ts, ret < 0 ? saved : 0);
        if (r) {
            struct et_close *b = et_record_body(r);
            b->fd = fd;
            b->result = ret;
            et_fd_describe(fd, entry, &b->pipe);
            et_commit(&et_proc.writer, r);
        }
    }
    errno = saved;
    return ret;
}

/* The table entries a close_range/closefrom will affect, taken before the
 * call: afterwards another thread may already have new pipes at those
 * numbers. */
#define RANGE_MAX_ENTRIES 64
struct range_entries {
    uint16_t n;
    bool overflow; /* more than fit: fall back to the table after the call */
    struct {
        int32_t fd;
        uint64_t entry;
    } v[RANGE_MAX_ENTRIES];
};

static void collect_range(struct range_entries *re, unsigned first, unsigned last)
{
    re->n = 0;
    re->overflow = false;
    int high = et_fd_high_water();
    /* 64-bit: first and last may be anything up to ~0U. */
    for (uint64_t fd = first; high >= 0 && fd <= (uint64_t)high && fd <= last; fd++) {
        uint64_t e = et_fd_get((int)fd);
        if (!e)
            continue;
        if (re->n == RANGE_MAX_ENTRIES) {
            re->overflow = true;
            return;
        }
        re->v[re->n].fd = (int32_t)fd;
        re->v[re->n].entry = e;
        re->n++;
    }
}

/* Applies a successful close_range/closefrom to the table and records the
 * pipe ends it affected, written straight into the record: close_range is
 * called in children on small stacks. */
static void record_range(uint16_t kind, uint64_t ts, unsigned first, unsigned last, int flags, int result, int err,
                         struct range_entries *re)
{
    uint16_t n = 0;
    if (result == 0) {
        if (re->overflow)
            collect_range(re, first, last); /* as good as it gets */
        for (uint16_t i = 0; i < re->n; i++)
            if (et_fd_is_pipe(re->v[i].entry) && n < ET_MAX_PIPE_ENDS)
                n++;
    }
    struct et_record *r = et_begin(ET_REC_CLOSE_RANGE,
                                   (uint32_t)(sizeof(struct et_close_range) + n * sizeof(struct et_pipe_end)), ts,
                                   result < 0 ? err : 0);
    struct et_close_range *b = r ? et_record_body(r) : NULL;
    struct et_pipe_end *ends = b ? (struct et_pipe_end *)(b + 1) : NULL;
    uint16_t described = 0;
    if (result == 0) {
        for (uint16_t i = 0; i < re->n; i++) {
            int fd = re->v[i].fd;
            uint64_t e = re->v[i].entry;
            if (ends && et_fd_is_pipe(e) && described < n)
                et_fd_describe(fd, e, &ends[described++]);
            if (flags & CLOSE_RANGE_CLOEXEC)
                et_fd_set(fd, e | ET_FDE_CLOEXEC);
            else
                et_fd_clear_if(fd, e);
        }
    }
    if (!r)
        return;
    b->kind = kind;
    b->pipe_count = n;
    b->first = first;
    b->last = last;
    b->flags = (uint32_t)flags;
    b->result = result;
    b->reserved = 0;
    et_commit(&et_proc.writer, r);
}

ET_EXPORT int close_range(unsigned int first, unsigned int last, int flags)
{
    if (!ET_REAL(close_range)) {
        errno = ENOSYS;
        return -1;
    }
    if (!et_active())
        return et_real.close_range(first, last, flags);
    uint64_t ts = et_now_ns();
    struct range_entries re;
    collect_range(&re, first, last);
    int ret = et_real.close_range(first, last, flags);
    int saved = errno;
    record_range(ET_CLOSE_RANGE, ts, first, last, flags, ret, saved, &re);
    errno = saved;
    return ret;
}

ET_EXPORT void closefrom(int lowfd)
{
    if (!ET_REAL(closefrom))
        return;
    if (!et_active()) {
        et_real.closefrom(lowfd);
        return;
    }
    uint64_t ts = et_now_ns();
    struct range_entries re;
    unsigned first = lowfd < 0 ? 0 : (unsigned)lowfd;
    collect_range(&re, first, ~0u);
    et_real.closefrom(lowfd);
    int saved = errno;
    record_range(ET_CLOSEFROM, ts, first, ~0u, 0, 0, 0, &re);
    errno = saved;
}

/* After a successful dup of any kind: newfd now refers to what oldfd did. */
static void record_dup(uint16_t kind, uint64_t ts, int oldfd, int newfd, int flags, int result, int err,
                       uint64_t source, uint64_t replaced, bool cloexec)
{
    if (result >= 0 && result != oldfd) {
        /* The new fd is what the old one was: a pipe end, a pidfd, or
         * nothing the table follows. */
        if (source & ET_FDE_VALID)
            et_fd_set(result, (source & ~ET_FDE_CLOEXEC) | (cloexec ? ET_FDE_CLOEXEC : 0));
        else
            et_fd_clear(result);
    }
    if (!et_fd_is_pipe(source) && !et_fd_is_pipe(replaced))
        return;
    struct et_record *r = et_begin(ET_REC_DUP, sizeof(struct et_dup), ts, result < 0 ? err : 0);
    if (!r)
        return;
    struct et_dup *b = et_record_body(r);
    b->kind = kind;
    b->reserved = 0;
    b->oldfd = oldfd;
    b->newfd = newfd;
    b->flags = flags;
    b->result = result;
    b->reserved2 = 0;
    et_fd_describe(oldfd, source, &b->source);
    et_fd_describe(newfd, replaced, &b->replaced);
    et_commit(&et_proc.writer, r);
}

ET_EXPORT int dup(int oldfd)
{
    uint64_t source = et_fd_get(oldfd);
    if (ET_LIKELY(!source) || !et_active())
        return ET_REAL(dup)(oldfd);
    uint64_t ts = et_now_ns();
    int ret = et_real.dup(oldfd);
    int saved = errno;
    record_dup(ET_DUP_DUP, ts, oldfd, -1, 0, ret, saved, source, 0, false);
    errno = saved;
    return ret;
}

ET_EXPORT int dup2(int oldfd, int newfd)
{
    uint64_t source = et_fd_get(oldfd), replaced = et_fd_get(newfd);
    if (ET_LIKELY(!source && !replaced) || !et_active())
        return ET_REAL(dup2)(oldfd, newfd);
    uint64_t ts = et_now_ns();
    int ret = et_real.dup2(oldfd, newfd);
    int saved = errno;
    record_dup(ET_DUP_DUP2, ts, oldfd, newfd, 0, ret, saved, source, oldfd == newfd ? 0 : replaced, false);
    errno = saved;
    return ret;
}

ET_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    uint64_t source = et_fd_get(oldfd), replaced = et_fd_get(newfd);
    if (ET_LIKELY(!source && !replaced) || !et_active())
        return ET_REAL(dup3)(oldfd, newfd, flags);
    uint64_t ts = et_now_ns();
    int ret = et_real.dup3(oldfd, newfd, flags);
    int saved = errno;
    record_dup(ET_DUP_DUP3, ts, oldfd, newfd, flags, ret, saved, source, replaced, (flags & O_CLOEXEC) != 0);
    errno = saved;
    return ret;
}

static int fcntl_common(int (*real)(int, int, ...), int fd, int cmd, void *arg)
{
    if (ET_UNLIKELY(!real)) {
        errno = ENOSYS;
        return -1;
    }
    if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC && cmd != F_SETFD)
        return real(fd, cmd, arg);
    uint64_t entry = et_fd_get(fd);
    if (ET_LIKELY(!entry) || !et_active())
        return real(fd, cmd, arg);

    uint64_t ts = et_now_ns();
    int ret = real(fd, cmd, arg);
    int saved = errno;
    int value = (int)(intptr_t)arg;
    if (cmd == F_SETFD) {
        if (ret == 0)
            et_fd_set(fd, (entry & ~ET_FDE_CLOEXEC) | ((value & FD_CLOEXEC) ? ET_FDE_CLOEXEC : 0));
        if (et_fd_is_pipe(entry)) {
            struct et_record *r = et_begin(ET_REC_SET_CLOEXEC, sizeof(struct et_set_cloexec), ts, ret < 0 ? saved : 0);
            if (r) {
                struct et_set_cloexec *b = et_record_body(r);
                b->fd = fd;
                b->fd_flags = value;
                b->result = ret;
                b->reserved = 0;
                et_fd_describe(fd, entry, &b->pipe);
                et_commit(&et_proc.writer, r);
            }
        }
    } else {
        record_dup(cmd == F_DUPFD ? ET_DUP_FCNTL_DUPFD : ET_DUP_FCNTL_DUPFD_CLOEXEC, ts, fd, value, 0, ret, saved,
                   entry, 0, cmd == F_DUPFD_CLOEXEC);
    }
    errno = saved;
    return ret;
}

ET_EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_common(ET_REAL(fcntl), fd, cmd, arg);
}

ET_EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    return fcntl_common(ET_REAL(fcntl64), fd, cmd, arg);
}
