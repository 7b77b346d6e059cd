/*
 * The life of a process image: attaching to the trace file, the start record
 * (identity, parentage, inherited pipe ends), and the exit record.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exectrace/seize_request.h"
#include "fd_table.h"
#include "image_kind.h"
#include "image_steps.h"
#include "life.h"
#include "real.h"
#include "stack.h"
#include "sys.h"

static void record_exit_on_exit(int status, void *unused);

/* Reads the pipe ends this image was started with from /proc/self/fd, and
 * enters them in the fd table.  Not inlined: its directory buffer would
 * otherwise be on the stack of every fork child's start record too, and a
 * clone child may run on a few kilobytes. */
static __attribute__((noinline)) void scan_inherited_fds(uint16_t *flags)
{
    int dirfd = et_openat(AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dirfd < 0) {
        /* No /proc (a chroot, say): look at the low fds directly. */
        *flags |= ET_START_NO_FD_SCAN;
        for (int fd = 0; fd < 256; fd++) {
            uint64_t e = et_fd_probe(fd);
            if (e)
                et_fd_set(fd, e);
        }
        return;
    }
    /* Room for about forty entries a call: most programs start with a
     * handful of fds, and a larger buffer would touch another page of a
     * new image's stack. */
    char buf[1024];
    for (;;) {
        long n = et_getdents64(dirfd, buf, sizeof(buf));
        if (n <= 0)
            break;
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            off += d->d_reclen;
            int fd = 0;
            const char *c = d->d_name;
            if (*c < '0' || *c > '9')
                continue;
            for (; *c >= '0' && *c <= '9'; c++)
                fd = fd * 10 + (*c - '0');
            if (fd == dirfd)
                continue;
            uint64_t e = et_fd_probe(fd);
            if (e)
                et_fd_set(fd, e);
        }
    }
    et_close(dirfd);
}

void et_record_image_start(uint16_t origin, const struct et_identity *id, const struct et_proc_stat *st,
                           char **argv, const char *exe, bool scan_fds, uint16_t flags)
{
    if (scan_fds) {
        scan_inherited_fds(&flags);
        et_image_step(ET_STEP_INHERITED_FDS);
    }
    struct et_pipe_end pipes[ET_MAX_PIPE_ENDS];
    bool pipes_truncated = false;
    int npipes = et_fd_list_pipes(pipes, ET_MAX_PIPE_ENDS, &pipes_truncated);
    struct et_start_info info = {
        .origin = origin,
        .flags = flags | (pipes_truncated ? ET_START_PIPES_TRUNCATED : 0),
        .ppid = st->ppid,
        .pgid = st->pgid,
        .sid = st->sid,
        .uid = (uint32_t)et_sys0(SYS_getuid),
        .euid = (uint32_t)et_sys0(SYS_geteuid),
        .exe = exe,
        .argv = argv,
        .pipes = pipes,
        .pipe_count = (uint16_t)npipes,
    };
    et_write_start(&et_proc.writer, id, et_now_ns(), origin == ET_ORIGIN_VFORK ? ET_RF_VFORK_CHILD : 0, &info);
    if (scan_fds)
        et_image_step(ET_STEP_START_RECORD);
}

/*
 * A fork (or non-CLONE_VM clone) child: a new process with a copy of the
 * parent's memory.  Only raw system calls and atomics here: the parent may
 * have had other threads holding locks at the moment of the fork.
 */
void et_fork_child_begin(uint16_t origin, uint64_t ts_before)
{
    struct et_identity id;
    struct et_proc_stat st = {0};
    et_clock_new_image();
    et_identity_after_fork(&id, &st, ts_before);
    et_proc.pid = id.pid;
    et_proc.start_time = id.start_time;
    et_thread.tid = id.tid;
    et_thread.vfork_depth = 0;
    et_stack_after_fork();
    et_writer_forget_run(&et_proc.writer, id.pid);
    et_record_image_start(origin, &id, &st, NULL, NULL, false, 0);
}

void et_record_exit(uint16_t how, int status)
{
    struct et_identity id;
    uint16_t flags;
    et_self_checked(&id, &flags);
    struct et_record *r =
        et_record_reserve(&et_proc.writer, ET_REC_IMAGE_EXIT, sizeof(struct et_image_exit), &id, et_now_ns(), 0);
    if (!r)
        return;
    r->flags = flags;
    struct et_image_exit *b = et_record_body(r);
    b->how = how;
    b->status = status;
    et_commit(&et_proc.writer, r);
}

static void record_exit_on_exit(int status, void *unused)
{
    (void)unused;
    if (et_active())
        et_record_exit(ET_EXIT_EXIT, status);
}

/* Copies the absolute name of a library loaded by a relative one.  Not
 * inlined: its buffer would deepen the stack of every process image. */
static __attribute__((noinline)) bool store_resolved_library_path(const char *name)
{
    char resolved[PATH_MAX];
    const char *lib = realpath(name, resolved) ? resolved : name;
    if (strlen(lib) >= sizeof(et_proc.library_path))
        return false;
    strcpy(et_proc.library_path, lib);
    return true;
}

/* Fills library_path and env_file_entry; false when they do not fit. */
static bool prepare_environment_entries(const char *trace_path)
{
    Dl_info info;
    if (!dladdr((void *)&et_init_lazily, &info) || !info.dli_fname)
        return false;
    /* ld.so loaded us by this name: absolute, it is good for LD_PRELOAD
     * as it is (realpath would cost a system call per path component in
     * every process image). */
    if (info.dli_fname[0] != '/') {
        if (!store_resolved_library_path(info.dli_fname))
            return false;
    } else if (strlen(info.dli_fname) < sizeof(et_proc.library_path)) {
        strcpy(et_proc.library_path, info.dli_fname);
    } else {
        return false;
    }
    size_t n = strlen(ET_ENV_FILE "=");
    if (n + strlen(trace_path) >= sizeof(et_proc.env_file_entry))
        return false;
    memcpy(et_proc.env_file_entry, ET_ENV_FILE "=", n);
    strcpy(et_proc.env_file_entry + n, trace_path);
    /* The recorder's socket goes wherever the trace file goes. */
    const char *recorder = getenv(ET_ENV_RECORDER);
    n = strlen(ET_ENV_RECORDER "=");
    if (recorder && *recorder && n + strlen(recorder) < sizeof(et_proc.env_recorder_entry)) {
        memcpy(et_proc.env_recorder_entry, ET_ENV_RECORDER "=", n);
        strcpy(et_proc.env_recorder_entry + n, recorder);
    }
    return true;
}

/* A Go program built with cgo loads the shim, yet makes its own system
 * calls (the ptrace recorder follows it): its start record says it is Go.
 * Its program headers and notes are in memory already: no system call. */
static bool image_is_go(void)
{
    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    unsigned long n = getauxval(AT_PHNUM);
    if (!ph || getauxval(AT_PHENT) != sizeof(Elf64_Phdr))
        return false;
    uintptr_t bias = 0;
    bool found_phdr = false;
    for (unsigned long i = 0; i < n; i++)
        if (ph[i].p_type == PT_PHDR) {
            bias = (uintptr_t)ph - ph[i].p_vaddr;
            found_phdr = true;
        }
    if (!found_phdr)
        return false;
    for (unsigned long i = 0; i < n; i++) {
        if (ph[i].p_type != PT_NOTE)
            continue;
        /* Read only what a loaded segment maps. */
        bool mapped = false;
        for (unsigned long k = 0; k < n && !mapped; k++)
            mapped = ph[k].p_type == PT_LOAD && ph[i].p_vaddr >= ph[k].p_vaddr &&
                     ph[i].p_vaddr + ph[i].p_filesz <= ph[k].p_vaddr + ph[k].p_filesz;
        if (mapped && et_notes_name_go((const uint8_t *)(bias + ph[i].p_vaddr), ph[i].p_filesz))
            return true;
    }
    return false;
}

/* Preloaded by hand, the first process creates the trace: of the size
 * EXECTRACE_RING names, as a ring, or else the default fixed size. */
static int create_trace_file(const char *path, const char **what)
{
    const char *ring = getenv(ET_ENV_RING);
    uint64_t size = ET_DEFAULT_FILE_SIZE;
    if (ring && *ring) {
        if (et_parse_size(ring, &size) < 0) {
            *what = "EXECTRACE_RING is not a size such as 64M";
            return -EINVAL;
        }
        return et_trace_create(path, size, true, 0, 0, false, NULL, what);
    }
    return et_trace_create(path, size, false, 0, 0, false, NULL, what);
}

/* Maps the trace file named by EXECTRACE_FILE, creating it if needed. */
static int attach_trace_file(void)
{
    const char *path = getenv(ET_ENV_FILE);
    if (!path || !*path)
        return -ENOENT;

    char abs[ET_MAX_PATH_BYTES];
    if (path[0] != '/') {
        /* A relative name would point elsewhere after a chdir: children get
         * the absolute one. */
        if (!getcwd(abs, sizeof(abs)) || strlen(abs) + 1 + strlen(path) >= sizeof(abs))
            return -ENAMETOOLONG;
        strcat(abs, "/");
        strcat(abs, path);
    } else {
        if (strlen(path) >= sizeof(abs))
            return -ENAMETOOLONG;
        strcpy(abs, path);
    }
    strcpy(et_proc.trace_path, abs);

    /* O_NOCTTY: were the path a terminal, a session leader opening it
     * would acquire it as its controlling terminal.  O_NONBLOCK: a FIFO
     * would block the open.  Either is refused below as not a regular
     * file. */
    const int open_flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    int fd = et_openat(AT_FDCWD, abs, open_flags, 0);
    if (fd == -ENOENT) {
        /* Preloaded by hand: the first process creates the file. */
        const char *what;
        int ret = create_trace_file(abs, &what);
        if (ret < 0 && ret != -EEXIST)
            return ret;
        fd = et_openat(AT_FDCWD, abs, open_flags, 0);
    }
    if (fd < 0)
        return fd;
    struct stat st;
    int ret = et_fstat(fd, &st);
    if (ret == 0 && (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < ET_HEADER_SIZE))
        ret = -EINVAL;
    void *base = NULL;
    if (ret == 0) {
        base = et_mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (et_mmap_failed(base))
            ret = (int)(long)base;
    }
    /* The mapping outlives the fd: nothing of ours stays in the fd table. */
    et_close(fd);
    if (ret < 0)
        return ret;
    ret = et_writer_attach(&et_proc.writer, base, (uint64_t)st.st_size, et_proc.pid);
    if (ret < 0)
        et_munmap(base, st.st_size);
    return ret;
}

static bool attach_and_start(char **argv);

/* Attaches to the trace; true when this process records.  Leaves errno as
 * it found it: the program may be in the middle of a call (lazy init), or
 * about to enter main, where errno must be 0. */
static bool init_process(char **argv)
{
    int saved = errno;
    bool ret = attach_and_start(argv);
    errno = saved;
    return ret;
}

static bool attach_and_start(char **argv)
{
    int expected = ET_STATE_UNINIT;
    if (!__atomic_compare_exchange_n(&et_proc.state, &expected, ET_STATE_INITIALIZING, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return expected == ET_STATE_ACTIVE;

    et_image_step(ET_STEP_BEGIN);
    et_resolve_real_functions();
    et_clock_new_image();
    et_image_step(ET_STEP_REAL_FUNCTIONS);

    int state = ET_STATE_INERT;
    struct et_identity id;
    struct et_proc_stat st = {0};
    uint16_t flags = 0;
    if (getauxval(AT_SECURE)) {
        /* setuid/setgid: the environment is not to be trusted, and ld.so
         * would not have loaded us from it anyway. */
        goto out;
    }
    et_identity_from_kernel(&id, &st);
    et_proc.pid = id.pid;
    et_proc.start_time = id.start_time;
    et_thread.tid = id.tid;
    unsigned long hz = getauxval(AT_CLKTCK);
    et_proc.clock_tick_ns = hz ? 1000000000u / hz : 0;
    /* Boot time first: read later, the monotonic clock has moved on, and
     * the offset can only come out smaller than it is.  Suspending the
     * machine later makes it larger, never smaller. */
    uint64_t boot = et_boottime_ns(), mono = et_monotonic_ns();
    et_proc.boot_offset_ns = boot > mono ? boot - mono : 0;
    et_image_step(ET_STEP_IDENTITY);
    if (attach_trace_file() < 0)
        goto out;
    et_image_step(ET_STEP_TRACE_FILE);
    if (!prepare_environment_entries(et_proc.trace_path))
        goto out;

    if (image_is_go())
        flags |= ET_START_GO;
    char exe[ET_MAX_PATH_BYTES];
    long n = et_readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = 0;
    et_image_step(ET_STEP_NAMES);
    __atomic_store_n(&et_proc.state, ET_STATE_ACTIVE, __ATOMIC_RELEASE);
    et_record_image_start(ET_ORIGIN_EXEC, &id, &st, argv, exe, true, flags);
    /* on_exit sees the status of exit() and of a return from main, including
     * exits made inside libc, which a hook on exit() would miss. */
    on_exit(record_exit_on_exit, NULL);
    return true;

out:
    __atomic_store_n(&et_proc.state, state, __ATOMIC_RELEASE);
    return false;
}

/* A hook ran before our constructor (from another library's constructor):
 * the command line comes from /proc. */
bool et_init_lazily(void)
{
    char buf[ET_MAX_ARGV_BYTES];
    char *argv[64];
    int argc = 0;
    int fd = et_openat(AT_FDCWD, "/proc/self/cmdline", O_RDONLY | O_CLOEXEC, 0);
    if (fd >= 0) {
        long n = et_read(fd, buf, sizeof(buf) - 1);
        et_close(fd);
        if (n > 0) {
            buf[n] = 0;
            for (long i = 0; i < n && argc < 63; i += (long)strlen(buf + i) + 1)
                argv[argc++] = buf + i;
        }
    }
    argv[argc] = NULL;
    return init_process(argv);
}

/* glibc passes argc, argv and envp to constructors. */
__attribute__((constructor)) static void exectrace_constructor(int argc, char **argv, char **envp)
{
    (void)argc;
    (void)envp;
    if (__atomic_load_n(&et_proc.state, __ATOMIC_ACQUIRE) == ET_STATE_UNINIT)
        init_process(argv);
    /* Here, even when a hook ran first: loading the unwinder needs dlopen,
     * which is not for the middle of another library's constructor. */
    if (__atomic_load_n(&et_proc.state, __ATOMIC_ACQUIRE) == ET_STATE_ACTIVE) {
        int saved = errno;
        et_stack_init();
        errno = saved;
    }
}

ET_EXPORT void _exit(int status)
{
    if (et_active())
        et_record_exit(ET_EXIT__EXIT, status);
    void (*real)(int) = ET_REAL(_exit);
    if (real)
        real(status);
    et_sys1(SYS_exit_group, status);
    __builtin_unreachable();
}

ET_EXPORT void _Exit(int status)
{
    if (et_active())
        et_record_exit(ET_EXIT__EXIT_C99, status);
    void (*real)(int) = ET_REAL(_Exit);
    if (real)
        real(status);
    et_sys1(SYS_exit_group, status);
    __builtin_unreachable();
}
