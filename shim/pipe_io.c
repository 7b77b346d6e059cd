/*
 * Readers of pipes: read, readv, poll, ppoll, select and pselect, and their
 * fortified forms.  What they add to the trace is the evidence that someone
 * was waiting for a pipe, not only holding it: a read of a pipe end that
 * returned end-of-file (pipe_eof), and a call on pipe ends that returned
 * ET_PIPE_WAIT_MIN_NS or more after it was made (pipe_wait).  Only the pipe
 * ends the fd table knows are looked at: for any other fd these hooks cost
 * one table lookup, and a call that cannot block (a zero timeout) none more.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sys/select.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fd_table.h"
#include "life.h"
#include "real.h"
#include "stack.h"

/* The fortified forms, which glibc's headers declare only to themselves. */
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen);
int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *sigmask,
                size_t fdslen);

/* A call on pipe ends starts with the precise clock (when a wait began is
 * evidence) and ends with the coarse one, a vDSO read of a few ns where the
 * precise one costs four times that: it lags by up to a kernel tick (4 ms
 * at 250 Hz), so a wait is recorded from ET_PIPE_WAIT_MIN_NS plus at most
 * that on.  The precise clock is read again only for what is recorded. */
static inline uint64_t coarse_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Signed: the coarse clock may read earlier than the precise start. */
static inline bool waited_long(uint64_t began)
{
    return (int64_t)(coarse_now_ns() - began) >= (int64_t)ET_PIPE_WAIT_MIN_NS;
}

static inline bool is_read_end(uint64_t entry)
{
    return et_fd_is_pipe(entry) && (entry & ET_FDE_READ);
}

/* The pipe ends one call waits for, the first ET_PIPE_WAIT_MAX_ENDS of them. */
struct waited {
    struct et_pipe_end ends[ET_PIPE_WAIT_MAX_ENDS];
    unsigned count;
    bool truncated;
};

static void add_end(struct waited *w, int fd, uint64_t entry)
{
    if (w->count == ET_PIPE_WAIT_MAX_ENDS) {
        w->truncated = true;
        return;
    }
    et_fd_describe(fd, entry, &w->ends[w->count++]);
}

static void record_wait(uint16_t call, uint64_t began, uint64_t now, int64_t result, int err,
                        const struct waited *w)
{
    uint32_t tail = w->count * (uint32_t)sizeof(struct et_pipe_end);
    struct et_record *r = et_begin_stacked(ET_REC_PIPE_WAIT, (uint32_t)sizeof(struct et_pipe_wait) + tail, now,
                                           result < 0 ? err : 0);
    if (!r)
        return;
    struct et_pipe_wait *b = et_record_body(r);
    b->began_ns = began;
    b->result = result;
    b->call = call;
    b->count = (uint16_t)w->count;
    b->flags = w->truncated ? ET_PIPE_WAIT_TRUNCATED : 0;
    b->reserved = 0;
    __builtin_memcpy(b + 1, w->ends, tail);
    et_commit(&et_proc.writer, r);
}

/* After a read of a known read end: end-of-file, the first time this fd
 * gives it, and a wait if the call took long. */
static void after_read(uint16_t call, int fd, uint64_t entry, uint64_t began, ssize_t ret, int err, size_t asked)
{
    bool waited = waited_long(began);
    bool eof = ret == 0 && asked > 0 && et_fd_first_eof(fd);
    if (ET_LIKELY(!waited && !eof))
        return;
    uint64_t now = et_now_ns();
    if (waited) {
        struct waited w = {.count = 0};
        add_end(&w, fd, entry);
        if (ret >= 0)
            w.ends[0].flags |= ET_PIPE_WAIT_READY;
        record_wait(call, began, now, ret, err, &w);
    }
    if (eof) {
        struct et_record *r = et_begin_stacked(ET_REC_PIPE_EOF, sizeof(struct et_pipe_eof), now, 0);
        if (r) {
            struct et_pipe_eof *b = et_record_body(r);
            b->call = call;
            b->reserved = 0;
            b->reserved2 = 0;
            et_fd_describe(fd, entry, &b->pipe);
            et_commit(&et_proc.writer, r);
        }
    }
}

static ssize_t hooked_read(int fd, void *buf, size_t count)
{
    uint64_t entry = et_fd_get(fd);
    if (ET_LIKELY(!is_read_end(entry)) || !et_active())
        return ET_REAL(read)(fd, buf, count);
    uint64_t began = et_now_ns();
    ssize_t ret = et_real.read(fd, buf, count);
    int saved = errno;
    after_read(ET_SYS_read, fd, entry, began, ret, saved, count);
    errno = saved;
    return ret;
}

ET_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
    return hooked_read(fd, buf, count);
}

/* The fortified forms check their bound as glibc's do, which stop the
 * program past it, and are then the plain call. */
ET_EXPORT ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen)
{
    if (count > buflen)
        return ET_REAL(__read_chk)(fd, buf, count, buflen);
    return hooked_read(fd, buf, count);
}

ET_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    uint64_t entry = et_fd_get(fd);
    if (ET_LIKELY(!is_read_end(entry)) || !et_active())
        return ET_REAL(readv)(fd, iov, iovcnt);
    size_t asked = 0;
    for (int i = 0; i < iovcnt && iov; i++)
        asked += iov[i].iov_len;
    uint64_t began = et_now_ns();
    ssize_t ret = et_real.readv(fd, iov, iovcnt);
    int saved = errno;
    after_read(ET_SYS_readv, fd, entry, began, ret, saved, asked);
    errno = saved;
    return ret;
}

/* ---- poll and ppoll ---------------------------------------------------- */

/* The known pipe ends among fds: read ends polled for input, write ends
 * for room to write. */
static void polled_ends(const struct pollfd *fds, nfds_t nfds, struct waited *w, nfds_t *index)
{
    w->count = 0;
    w->truncated = false;
    for (nfds_t i = 0; fds && i < nfds; i++) {
        uint64_t entry = et_fd_get(fds[i].fd);
        if (!et_fd_is_pipe(entry))
            continue;
        bool reads = (entry & ET_FDE_READ) && (fds[i].events & (POLLIN | POLLRDNORM));
        bool writes = (entry & ET_FDE_WRITE) && (fds[i].events & (POLLOUT | POLLWRNORM));
        if (!reads && !writes)
            continue;
        if (w->count < ET_PIPE_WAIT_MAX_ENDS)
            index[w->count] = i;
        add_end(w, fds[i].fd, entry);
    }
}

static void after_poll(uint16_t call, const struct pollfd *fds, struct waited *w, const nfds_t *index,
                       uint64_t began, int ret, int err)
{
    if (!waited_long(began))
        return;
    uint64_t now = et_now_ns();
    for (unsigned k = 0; k < w->count && ret > 0; k++) {
        short revents = fds[index[k]].revents;
        if (revents & (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLHUP | POLLERR))
            w->ends[k].flags |= ET_PIPE_WAIT_READY;
        if (revents & POLLHUP)
            w->ends[k].flags |= ET_PIPE_WAIT_HANGUP;
    }
    record_wait(call, began, now, ret, err, w);
}

static bool zero_timespec(const struct timespec *t)
{
    return t && t->tv_sec == 0 && t->tv_nsec == 0;
}

/* poll with timeout_ms, or ppoll with timeout and sigmask. */
static int hooked_poll(bool is_ppoll, struct pollfd *fds, nfds_t nfds, int timeout_ms, const struct timespec *timeout,
                       const sigset_t *sigmask)
{
    /* glibc declares the array write-only; the caller filled it in. */
    const struct pollfd *asked = fds;
    __asm__("" : "+r"(asked));
    struct waited w;
    nfds_t index[ET_PIPE_WAIT_MAX_ENDS] = {0};
    bool cannot_block = is_ppoll ? zero_timespec(timeout) : timeout_ms == 0;
    if (cannot_block || (polled_ends(asked, nfds, &w, index), w.count == 0) || !et_active())
        return is_ppoll ? ET_REAL(ppoll)(fds, nfds, timeout, sigmask) : ET_REAL(poll)(fds, nfds, timeout_ms);
    uint64_t began = et_now_ns();
    int ret = is_ppoll ? et_real.ppoll(fds, nfds, timeout, sigmask) : et_real.poll(fds, nfds, timeout_ms);
    int saved = errno;
    after_poll(is_ppoll ? ET_SYS_ppoll : ET_SYS_poll, fds, &w, index, began, ret, saved);
    errno = saved;
    return ret;
}

ET_EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout)
{
    return hooked_poll(false, fds, nfds, timeout, NULL, NULL);
}

ET_EXPORT int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen)
{
    if (fdslen / sizeof(*fds) < nfds)
        return ET_REAL(__poll_chk)(fds, nfds, timeout, fdslen);
    return hooked_poll(false, fds, nfds, timeout, NULL, NULL);
}

ET_EXPORT int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *sigmask)
{
    return hooked_poll(true, fds, nfds, 0, timeout, sigmask);
}

ET_EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *sigmask,
                          size_t fdslen)
{
    if (fdslen / sizeof(*fds) < nfds)
        return ET_REAL(__ppoll_chk)(fds, nfds, timeout, sigmask, fdslen);
    return hooked_poll(true, fds, nfds, 0, timeout, sigmask);
}

/* ---- select and pselect ------------------------------------------------ */

/* The known pipe ends in the sets: read ends among the fds to read, write
 * ends among those to write.  `writes` says which is which for after. */
static void selected_ends(int nfds, const fd_set *rd, const fd_set *wr, struct waited *w, int *fd_of)
{
    w->count = 0;
    w->truncated = false;
    if (nfds > FD_SETSIZE)
        nfds = FD_SETSIZE;
    for (int fd = 0; fd < nfds; fd++) {
        bool in_rd = rd && FD_ISSET(fd, rd);
        bool in_wr = wr && FD_ISSET(fd, wr);
        if (!in_rd && !in_wr)
            continue;
        uint64_t entry = et_fd_get(fd);
        if (!et_fd_is_pipe(entry) || !((in_rd && (entry & ET_FDE_READ)) || (in_wr && (entry & ET_FDE_WRITE))))
            continue;
        if (w->count < ET_PIPE_WAIT_MAX_ENDS)
            fd_of[w->count] = fd;
        add_end(w, fd, entry);
    }
}

static void after_select(uint16_t call, const fd_set *rd, const fd_set *wr, struct waited *w, const int *fd_of,
                         uint64_t began, int ret, int err)
{
    if (!waited_long(began))
        return;
    uint64_t now = et_now_ns();
    for (unsigned k = 0; k < w->count && ret > 0; k++) {
        bool ready = (rd && (w->ends[k].flags & ET_PIPE_READ) && FD_ISSET(fd_of[k], rd)) ||
                     (wr && (w->ends[k].flags & ET_PIPE_WRITE) && FD_ISSET(fd_of[k], wr));
        if (ready)
            w->ends[k].flags |= ET_PIPE_WAIT_READY;
    }
    record_wait(call, began, now, ret, err, w);
}

ET_EXPORT int select(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, struct timeval *timeout)
{
    struct waited w;
    int fd_of[ET_PIPE_WAIT_MAX_ENDS] = {0};
    if ((timeout && timeout->tv_sec == 0 && timeout->tv_usec == 0) ||
        (selected_ends(nfds, rd, wr, &w, fd_of), w.count == 0) || !et_active())
        return ET_REAL(select)(nfds, rd, wr, ex, timeout);
    uint64_t began = et_now_ns();
    int ret = et_real.select(nfds, rd, wr, ex, timeout);
    int saved = errno;
    after_select(ET_SYS_select, rd, wr, &w, fd_of, began, ret, saved);
    errno = saved;
    return ret;
}

ET_EXPORT int pselect(int nfds, fd_set *rd, fd_set *wr, fd_set *ex, const struct timespec *timeout,
                      const sigset_t *sigmask)
{
    struct waited w;
    int fd_of[ET_PIPE_WAIT_MAX_ENDS] = {0};
    if (zero_timespec(timeout) || (selected_ends(nfds, rd, wr, &w, fd_of), w.count == 0) || !et_active())
        return ET_REAL(pselect)(nfds, rd, wr, ex, timeout, sigmask);
    uint64_t began = et_now_ns();
    int ret = et_real.pselect(nfds, rd, wr, ex, timeout, sigmask);
    int saved = errno;
    after_select(ET_SYS_pselect6, rd, wr, &w, fd_of, began, ret, saved);
    errno = saved;
    return ret;
}
