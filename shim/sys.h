/*
 * Raw system calls that never touch errno.  The shim uses them for its own
 * work so that the traced program's errno is left alone, and because they are
 * safe in a vfork child, after fork in a multithreaded program, and in signal
 * handlers (no locks, no libc state).  Results are the kernel's: >= 0, or
 * -errno.
 */
#ifndef EXECTRACE_SYS_H
#define EXECTRACE_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#if !defined(__x86_64__)
#error "exectrace's shim supports x86_64 only (raw syscalls and the vfork stub are per-architecture)"
#endif

static inline long et_sys0(long n)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n) : "rcx", "r11", "memory");
    return ret;
}

static inline long et_sys1(long n, long a)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a) : "rcx", "r11", "memory");
    return ret;
}

static inline long et_sys2(long n, long a, long b)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return ret;
}

static inline long et_sys3(long n, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}

static inline long et_sys4(long n, long a, long b, long c, long d)
{
    long ret;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return ret;
}

static inline long et_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline int et_getpid(void) { return (int)et_sys0(SYS_getpid); }
static inline int et_gettid(void) { return (int)et_sys0(SYS_gettid); }
static inline int et_openat(int dirfd, const char *path, int flags, int mode)
{
    return (int)et_sys4(SYS_openat, dirfd, (long)path, flags, mode);
}
static inline long et_read(int fd, void *buf, size_t len) { return et_sys3(SYS_read, fd, (long)buf, (long)len); }
static inline int et_close(int fd) { return (int)et_sys1(SYS_close, fd); }
static inline int et_fstat(int fd, struct stat *st) { return (int)et_sys2(SYS_fstat, fd, (long)st); }
static inline int et_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    return (int)et_sys4(SYS_newfstatat, dirfd, (long)path, (long)st, flags);
}
static inline int et_fcntl(int fd, int cmd, long arg) { return (int)et_sys3(SYS_fcntl, fd, cmd, arg); }
static inline long et_readlink(const char *path, char *buf, size_t len)
{
    return et_sys3(SYS_readlink, (long)path, (long)buf, (long)len);
}
static inline long et_getdents64(int fd, void *buf, size_t len)
{
    return et_sys3(SYS_getdents64, fd, (long)buf, (long)len);
}
static inline void *et_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
    return (void *)et_sys6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);
}
static inline int et_munmap(void *addr, size_t len) { return (int)et_sys2(SYS_munmap, (long)addr, (long)len); }
static inline int et_mmap_failed(const void *p) { return (unsigned long)p > -4096UL; }

/* A clock from the system call; 0 when it fails. */
static inline uint64_t et_clock_ns(int clock)
{
    struct timespec ts;
    if (et_sys2(SYS_clock_gettime, clock, (long)&ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
/* CLOCK_BOOTTIME is the clock the kernel stamps a new process with. */
static inline uint64_t et_boottime_ns(void) { return et_clock_ns(CLOCK_BOOTTIME); }
static inline uint64_t et_monotonic_ns(void) { return et_clock_ns(CLOCK_MONOTONIC); }

#endif
