/*
 * The table of which fds are pipe ends (see shim.h).  Entries are single
 * 64-bit words read and written atomically, so hooks in different threads and
 * signal handlers never see half an entry.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "fd_table.h"
#include "record.h"
#include "sys.h"

static uint64_t fd_table[ET_FD_TABLE_SIZE];
static int fd_high_water = -1;
/* The fds whose read has returned end-of-file since their entry was set:
 * apart from the entries, which close compares whole. */
static uint64_t eof_seen[ET_FD_TABLE_SIZE / 64];

static void forget_eof(int fd)
{
    uint64_t bit = 1ull << (fd % 64);
    if (__atomic_load_n(&eof_seen[fd / 64], __ATOMIC_RELAXED) & bit)
        __atomic_fetch_and(&eof_seen[fd / 64], ~bit, __ATOMIC_RELAXED);
}

bool et_fd_first_eof(int fd)
{
    if ((unsigned)fd >= ET_FD_TABLE_SIZE)
        return false;
    /* A vfork child's marks would stay in its parent's table. */
    if (ET_UNLIKELY(et_thread.vfork_depth != 0))
        return true;
    uint64_t bit = 1ull << (fd % 64);
    return !(__atomic_fetch_or(&eof_seen[fd / 64], bit, __ATOMIC_RELAXED) & bit);
}

static struct et_vfork_child *vfork_child(void)
{
    uint32_t depth = et_thread.vfork_depth;
    return depth ? &et_thread.vfork_child[depth - 1] : NULL;
}

/* The newest change wins; a full overlay keeps what it has (the child's
 * view then drifts from the kernel's, the parent's never does). */
static bool overlay_get(const struct et_vfork_child *c, int fd, uint64_t *entry)
{
    for (uint32_t i = c->fd_change_count; i-- > 0;) {
        if (c->fd_changes[i].fd == fd) {
            *entry = c->fd_changes[i].entry;
            return true;
        }
    }
    return false;
}

static void overlay_put(struct et_vfork_child *c, int fd, uint64_t entry)
{
    if (c->fd_change_count == ET_VFORK_FD_CHANGES)
        return;
    c->fd_changes[c->fd_change_count].fd = fd;
    c->fd_changes[c->fd_change_count].entry = entry;
    c->fd_change_count++;
}

uint64_t et_fd_get(int fd)
{
    if ((unsigned)fd >= ET_FD_TABLE_SIZE)
        return 0;
    if (ET_UNLIKELY(et_thread.vfork_depth != 0)) {
        uint64_t entry;
        if (overlay_get(vfork_child(), fd, &entry))
            return entry;
    }
    return __atomic_load_n(&fd_table[fd], __ATOMIC_RELAXED);
}

void et_fd_set(int fd, uint64_t entry)
{
    if ((unsigned)fd >= ET_FD_TABLE_SIZE)
        return;
    if (ET_UNLIKELY(et_thread.vfork_depth != 0)) {
        overlay_put(vfork_child(), fd, entry);
        return;
    }
    __atomic_store_n(&fd_table[fd], entry, __ATOMIC_RELAXED);
    forget_eof(fd);
    int high = __atomic_load_n(&fd_high_water, __ATOMIC_RELAXED);
    while (fd > high && !__atomic_compare_exchange_n(&fd_high_water, &high, fd, true, __ATOMIC_RELAXED,
                                                     __ATOMIC_RELAXED))
        ;
}

void et_fd_clear(int fd)
{
    if ((unsigned)fd >= ET_FD_TABLE_SIZE)
        return;
    if (ET_UNLIKELY(et_thread.vfork_depth != 0)) {
        overlay_put(vfork_child(), fd, 0);
        return;
    }
    __atomic_store_n(&fd_table[fd], 0, __ATOMIC_RELAXED);
    forget_eof(fd);
}

void et_fd_clear_if(int fd, uint64_t expected)
{
    if ((unsigned)fd >= ET_FD_TABLE_SIZE)
        return;
    if (ET_UNLIKELY(et_thread.vfork_depth != 0)) {
        overlay_put(vfork_child(), fd, 0);
        return;
    }
    /* Another thread may have been given the same fd number for a new pipe
     * between the close and now: that entry is not ours to clear. */
    if (__atomic_compare_exchange_n(&fd_table[fd], &expected, 0, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        forget_eof(fd);
}

int et_fd_high_water(void)
{
    return __atomic_load_n(&fd_high_water, __ATOMIC_RELAXED);
}

void et_fd_forget_all(void)
{
    int high = et_fd_high_water();
    for (int fd = 0; fd <= high; fd++) {
        __atomic_store_n(&fd_table[fd], 0, __ATOMIC_RELAXED);
        forget_eof(fd);
    }
}

void et_fd_describe(int fd, uint64_t entry, struct et_pipe_end *out)
{
    if (!et_fd_is_pipe(entry)) {
        out->fd = -1;
        out->flags = 0;
        out->inode = 0;
        return;
    }
    out->fd = fd;
    out->flags = ((entry & ET_FDE_READ) ? ET_PIPE_READ : 0) | ((entry & ET_FDE_WRITE) ? ET_PIPE_WRITE : 0) |
                 ((entry & ET_FDE_CLOEXEC) ? ET_PIPE_CLOEXEC : 0) | ((entry & ET_FDE_FIFO) ? ET_PIPE_FIFO : 0);
    out->inode = entry & ET_FDE_VALUE_MASK;
}

int et_fd_list_pipes(struct et_pipe_end *out, int max, bool *truncated)
{
    int n = 0;
    int high = et_fd_high_water();
    for (int fd = 0; fd <= high; fd++) {
        uint64_t e = et_fd_get(fd);
        if (!et_fd_is_pipe(e))
            continue;
        if (n == max) {
            *truncated = true;
            break;
        }
        et_fd_describe(fd, e, &out[n++]);
    }
    return n;
}

uint64_t et_fd_probe(int fd)
{
    struct stat st;
    if (et_fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
        return 0;
    int fl = et_fcntl(fd, F_GETFL, 0);
    int fdfl = et_fcntl(fd, F_GETFD, 0);
    if (fl < 0 || fdfl < 0)
        return 0;
    uint64_t e = ET_FDE_VALID | ((uint64_t)st.st_ino & ET_FDE_VALUE_MASK);
    int mode = fl & O_ACCMODE;
    if (mode == O_RDONLY || mode == O_RDWR)
        e |= ET_FDE_READ;
    if (mode == O_WRONLY || mode == O_RDWR)
        e |= ET_FDE_WRITE;
    if (fdfl & FD_CLOEXEC)
        e |= ET_FDE_CLOEXEC;

    /* Anonymous pipes read back as "pipe:[inode]"; anything else is a named
     * FIFO.  Only FIFOs pay for this look. */
    char path[40] = "/proc/self/fd/";
    char digits[12];
    int n = 0, p = 14;
    unsigned v = (unsigned)fd;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        path[p++] = digits[--n];
    path[p] = 0;
    char link[8];
    long len = et_readlink(path, link, sizeof(link));
    if (len >= 5 && memcmp(link, "pipe:", 5) != 0)
        e |= ET_FDE_FIFO;
    return e;
}
