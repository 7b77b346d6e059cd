/*
 * The shim's record layer: the state of this process image and of each
 * thread, who is calling (the process, or a vfork child borrowing the
 * thread), and the reservation of a record in its name.  Everything else in
 * the shim stands on this; it stands on the writer alone.
 */
#ifndef EXECTRACE_SHIM_RECORD_H
#define EXECTRACE_SHIM_RECORD_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "procstat.h"
#include "writer.h"

#define ET_EXPORT __attribute__((visibility("default")))
#define ET_TLS __thread __attribute__((tls_model("initial-exec")))
#define ET_LIKELY(x) __builtin_expect(!!(x), 1)
#define ET_UNLIKELY(x) __builtin_expect(!!(x), 0)

enum et_state {
    ET_STATE_UNINIT = 0,
    ET_STATE_INITIALIZING = 1,
    ET_STATE_ACTIVE = 2,
    ET_STATE_INERT = 3, /* no trace file, AT_SECURE, or it could not be opened */
};

/* The environment variables that carry tracing across exec. */
#define ET_ENV_FILE "EXECTRACE_FILE"
#define ET_ENV_STACK_DEPTH "EXECTRACE_STACK_DEPTH"
#define ET_ENV_RING "EXECTRACE_RING" /* preloaded by hand: create the trace as a ring of this size */
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
/* The identity of a new process forked after ts_before (see
 * et_fork_child_begin), from the clock when it can, else from the kernel. */
int et_identity_after_fork(struct et_identity *id, struct et_proc_stat *st, uint64_t ts_before);


#endif
