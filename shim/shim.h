/*
 * State shared by the shim's hook families.
 *
 * Hooks share one shape: check that tracing is active (cheap), take the
 * timestamp, call the real function, save errno, record, restore errno,
 * return the real result.
 */
#ifndef EXECTRACE_SHIM_H
#define EXECTRACE_SHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "exectrace/seize_request.h"
#include "procstat.h"
#include "real.h"
#include "writer.h"

#define ET_EXPORT __attribute__((visibility("default")))
#define ET_TLS __thread __attribute__((tls_model("initial-exec")))
#define ET_LIKELY(x) __builtin_expect(!!(x), 1)
#define ET_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* The steps of a new process image's start, timed by the benchmark's build
 * of the shim (bench/image_steps.c); nothing in the real one. */
enum et_image_step {
    ET_STEP_BEGIN,
    ET_STEP_REAL_FUNCTIONS, /* dlsym of every wrapped function */
    ET_STEP_IDENTITY,       /* pid, tid, /proc/self/stat */
    ET_STEP_TRACE_FILE,     /* open, map, the header's page */
    ET_STEP_NAMES,          /* the library's and the program's paths */
    ET_STEP_INHERITED_FDS,  /* /proc/self/fd, and each fd's kind */
    ET_STEP_START_RECORD,   /* its first run claimed and mapped, the record */
    ET_STEP_COUNT
};
#ifdef ET_BENCH_IMAGE_STEPS
void et_image_step(enum et_image_step step);
#else
#define et_image_step(step) ((void)0)
#endif

enum et_state {
    ET_STATE_UNINIT = 0,
    ET_STATE_INITIALIZING = 1,
    ET_STATE_ACTIVE = 2,
    ET_STATE_INERT = 3, /* no trace file, AT_SECURE, or it could not be opened */
};

/* The environment variables that carry tracing across exec. */
#define ET_ENV_FILE "EXECTRACE_FILE"
#define ET_ENV_STACK_DEPTH "EXECTRACE_STACK_DEPTH"
#define ET_ENV_PRELOAD "LD_PRELOAD"
/* ET_ENV_RECORDER: exectrace/seize_request.h */
#define ET_ENV_BUF (ET_MAX_PATH_BYTES + 32)

struct et_process {
    int state;
    uint32_t pid;
    uint64_t start_time;
    /* Nanoseconds per clock tick, the unit of a start time (AT_CLKTCK),
     * and CLOCK_BOOTTIME minus CLOCK_MONOTONIC, never more than it is: what
     * a fork child needs to learn its start time without /proc. */
    uint64_t clock_tick_ns;
    uint64_t boot_offset_ns;
    struct et_writer writer;
    char trace_path[ET_MAX_PATH_BYTES];
    /* This library's absolute path, and "EXECTRACE_FILE=<absolute path>",
     * ready to be put back into an environment that lost them. */
    char library_path[ET_MAX_PATH_BYTES];
    char env_file_entry[ET_ENV_BUF];
    /* "EXECTRACE_STACK_DEPTH=N" when it was set, "" otherwise (stack.c). */
    char env_depth_entry[48];
    /* "EXECTRACE_RECORDER=<socket name>" under `exectrace run` with the
     * ptrace recorder, "" otherwise (seize_request.c). */
    char env_recorder_entry[128];
    /* A clone() child on a stack of unknown size: its records take no
     * stack (stack.c). */
    bool on_foreign_stack;
    /* It made a clone(CLONE_VM) child, which may run hooks on this
     * process's memory and a thread's TLS (stack.c). */
    bool made_clone_vm_child;
};
extern struct et_process et_proc;

#define ET_VFORK_NEST_MAX 2
#define ET_VFORK_FD_CHANGES 16

/* A vfork child has its own fd table in the kernel but shares the shim's
 * with its parent: its closes and dups go here instead, and vanish with it. */
struct et_vfork_child {
    struct et_identity id;
    uint32_t fd_change_count;
    uint32_t reserved;
    struct {
        int32_t fd;
        uint32_t reserved;
        uint64_t entry;
    } fd_changes[ET_VFORK_FD_CHANGES];
};

struct et_thread {
    uint32_t tid; /* 0 until the thread's first record */
    /* Nonzero while this thread's memory is borrowed by a vfork child: its
     * records are the child's.  Set on the child's path out of vfork, reset
     * on the parent's, so nothing the child does survives in the parent. */
    uint32_t vfork_depth;
    /* Set while this thread runs the unwinder: a hook reached from inside
     * it (libunwind's own pipe, a signal handler) does not unwind again. */
    uint32_t in_stack_capture; /* 1, or ET_LOADING_UNWINDER */
    struct et_vfork_child vfork_child[ET_VFORK_NEST_MAX];
};
extern ET_TLS struct et_thread et_thread;
#define ET_LOADING_UNWINDER 2

bool et_init_lazily(void);

/* True when this process records events. */
static inline bool et_active(void)
{
    int s = __atomic_load_n(&et_proc.state, __ATOMIC_ACQUIRE);
    if (ET_LIKELY(s == ET_STATE_ACTIVE))
        return true;
    return s == ET_STATE_UNINIT && et_init_lazily();
}

/* Who is calling: the process, or the vfork child borrowing this thread. */
void et_self(struct et_identity *id, uint16_t *record_flags);

/* Like et_self, but checks the pid with the kernel first: for the rare paths
 * (exec, _exit) that a child made by clone(CLONE_VM) or a raw fork syscall
 * may take with stale process state. */
void et_self_checked(struct et_identity *id, uint16_t *record_flags);

/* Reserves a record for the caller; NULL when it cannot be recorded. */
struct et_record *et_begin(uint16_t type, uint32_t body_size, uint64_t ts_ns, int err);

/* Reads the identity of the calling process from the kernel. */
int et_identity_from_kernel(struct et_identity *id, struct et_proc_stat *st);

/* Process images. */
void et_record_image_start(uint16_t origin, const struct et_identity *id, const struct et_proc_stat *st,
                           char **argv, const char *exe, bool scan_fds, uint16_t flags);
/* A fork or clone child's first steps.  ts_before: the parent's timestamp
 * (et_now_ns) from before the fork, or 0 to learn the start time from /proc. */
void et_fork_child_begin(uint16_t origin, uint64_t ts_before);
/* The identity of a new process forked after ts_before (see
 * et_fork_child_begin), from the kernel. */
int et_identity_after_fork(struct et_identity *id, struct et_proc_stat *st, uint64_t ts_before);
void et_record_exit(uint16_t how, int status);

/*
 * Which fds are pipe ends (and pidfds), so that close and dup of ordinary
 * files cost one lookup.  One 64-bit word per fd, updated atomically.  A vfork
 * child's changes go to its own overlay (struct et_vfork_child).
 */
#define ET_FD_TABLE_SIZE 65536
#define ET_FDE_VALID (1ull << 63)
#define ET_FDE_READ (1ull << 62)
#define ET_FDE_WRITE (1ull << 61)
#define ET_FDE_CLOEXEC (1ull << 60)
#define ET_FDE_FIFO (1ull << 59)
#define ET_FDE_PIDFD (1ull << 58)
#define ET_FDE_VALUE_MASK ((1ull << 58) - 1) /* the pipe's inode, or a pidfd's pid */

uint64_t et_fd_get(int fd);
void et_fd_set(int fd, uint64_t entry);
void et_fd_clear(int fd);
/* Clears fd's entry only if it is still `expected`. */
void et_fd_clear_if(int fd, uint64_t expected);
static inline bool et_fd_is_pipe(uint64_t entry)
{
    return (entry & ET_FDE_VALID) && !(entry & ET_FDE_PIDFD);
}
/* Fills a pipe end from a table entry; fd = -1 when it is not a pipe end. */
void et_fd_describe(int fd, uint64_t entry, struct et_pipe_end *out);
/* The pipe ends currently open, lowest fd first. */
int et_fd_list_pipes(struct et_pipe_end *out, int max, bool *truncated);
/* The highest fd that ever held an entry, for bounded scans. */
int et_fd_high_water(void);
/* Learns what fd is from the kernel; 0 when it is no pipe end. */
uint64_t et_fd_probe(int fd);
void et_fd_forget_all(void);

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
