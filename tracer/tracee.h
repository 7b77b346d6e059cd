/*
 * The tracer's own state: the processes and threads it follows, and what
 * the files of tracer/ share.
 */
#ifndef EXECTRACE_TRACEE_H
#define EXECTRACE_TRACEE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "exectrace/trace_format.h"
#include "tracer.h"

/* Who records a process image's lifecycle calls. */
enum et_image_cover {
    /* The shim: a dynamic image that loads it.  Only calls from the
     * program's own code are ours. */
    ET_COVER_SHIM = 1,
    /* Us: a static or Go image whose code lies in the filter's windows, so
     * its calls all stop there. */
    ET_COVER_FILTER = 2,
    /* Us, but its code lies outside the windows (static-pie, a dynamic
     * image without the shim): every system call stops (PTRACE_SYSCALL). */
    ET_COVER_SYSCALLS = 3,
    /* Nobody: a set-id image (AT_SECURE), which the shim does not enter
     * either.  Its stops are resumed, and nothing is recorded. */
    ET_COVER_NONE = 4,
};

struct et_fd_entry {
    int32_t fd;
    uint32_t flags;    /* ET_PIPE_* for a pipe end; 0 for a pidfd */
    uint64_t inode;    /* pipe end */
    uint32_t pid;      /* pidfd: its process, 0 if unknown */
    bool pidfd;
};

struct et_tproc {
    pid_t pid;
    uint64_t start_time;
    uint8_t cover;       /* enum et_image_cover */
    bool go;             /* a Go program: its frame pointers give its call sites */
    bool vfork_child;    /* a CLONE_VFORK child, before its exec */
    bool fds_known;      /* fds holds every pipe end: read from /proc once, followed since */
    uint32_t threads;    /* threads that point at it */
    /* The main executable's mapped range, for telling its own calls from
     * libc's when the filter stops both (ET_FILTER_NUMBERS). */
    uint64_t exe_lo, exe_hi;
    /* The fds we follow: pipe ends and pidfds, complete for images we
     * record, only those our records created for the shim's. */
    struct et_fd_entry *fds;
    uint32_t nfds, fds_cap;
};

/* A call stopped at its entry, waiting for its result. */
struct et_pending_call {
    long nr;
    uint64_t args[6];
    uint64_t ts;
    uint64_t ip;
    bool fork_recorded; /* the creation's record was written at its event */
    bool restart;       /* a wait interrupted by a signal, to be made again */
    struct et_pipe_end ends[2]; /* close/dup/fcntl: the source and the replaced end */
    struct et_pipe_end *range;  /* close_range: the ends in its range */
    uint32_t nrange;
    struct et_record *signal;   /* written at the entry; its result comes later */
};

struct et_tthread {
    pid_t tid;
    struct et_tproc *proc;
    bool in_call;        /* pending holds a call that waits for its exit stop */
    bool fresh;          /* has not stopped yet: its first stop is the attach stop */
    struct et_pending_call pending;
    struct et_tthread *next; /* hash chain */
};

/* What a new image's ELF file says. */
struct et_elf_facts {
    bool dynamic;         /* it has an interpreter */
    bool go;              /* a .go.buildinfo section: a Go program */
    uint64_t first_vaddr; /* of the lowest PT_LOAD: load bias = where it is mapped - this */
    uint8_t build_id[ET_MAX_BUILD_ID];
    uint16_t build_id_len; /* GNU build id, 0 if none (Go's own linker writes none) */
    uint64_t entry;        /* AT_ENTRY of the image: where its code is */
};

/* The facts of the programs exec'd lately, by file: a build or a test
 * suite execs the same few programs over and over. */
struct et_elf_cache_entry {
    uint64_t dev, ino, mtime_ns, size;
    struct et_elf_facts facts;
};
#define ET_ELF_CACHE 64

struct et_tracer {
    struct et_tracer_config cfg;
    enum et_filter_mode mode;
    /* The windows of the filter: high halves of a caller's address. */
    uint32_t pie_hi_lo, pie_hi_hi;
    struct et_tthread *buckets[1024];
    struct et_tracer_stats stats;
    bool told_ptrace; /* the one line about a tracee's own ptrace was said */
    unsigned stack_depth; /* EXECTRACE_STACK_DEPTH: 0 takes no call sites */
    /* The latest exits the tracer saw, which it sees before the parent
     * does: a wait that passed no status pointer still gets its status. */
    struct {
        pid_t pid;
        int status;
    } exits[256];
    unsigned next_exit;
    struct et_elf_cache_entry elf_cache[ET_ELF_CACHE];
    unsigned elf_cache_next;
    long clock_ticks;
    uint64_t boot_offset_ns; /* CLOCK_BOOTTIME - CLOCK_MONOTONIC */
};

/* tracer.c */
struct et_tthread *et_tt_find(struct et_tracer *t, pid_t tid);
struct et_tthread *et_tt_add(struct et_tracer *t, pid_t tid, struct et_tproc *proc);
void et_tt_remove(struct et_tracer *t, struct et_tthread *th);
struct et_tproc *et_tp_new(pid_t pid, uint8_t cover);
void et_tp_put(struct et_tproc *p);
void et_tracer_identity(struct et_tthread *th, struct et_identity *id);

/* fds.c: the fds we follow. */
struct et_fd_entry *et_tp_fd(struct et_tproc *p, int fd);
int et_tp_fd_set(struct et_tproc *p, const struct et_fd_entry *e);
void et_tp_fd_drop(struct et_tproc *p, int fd);
int et_tp_fds_copy(struct et_tproc *to, const struct et_tproc *from);
void et_tp_fds_exec(struct et_tproc *p);
/* Every pipe end pid holds, from /proc; the count, at most max. */
int et_proc_pipe_ends(pid_t pid, struct et_pipe_end *out, int max, bool *truncated);

/* image.c: a new process image, and reading a tracee's memory. */
void et_image_exec(struct et_tracer *t, struct et_tthread *th, uint64_t ts);
void et_image_fork_child(struct et_tracer *t, struct et_tthread *child, uint16_t origin, uint64_t ts);
int et_read_string(pid_t pid, uint64_t addr, char *buf, size_t len, bool *truncated);
int et_read_memory(pid_t pid, uint64_t addr, void *buf, size_t len);
uint64_t et_tracer_start_time(pid_t pid);

/* calls.c: a stopped call, at its entry and at its exit. */
/* Returns true when the call's exit stop is wanted. */
bool et_call_enter(struct et_tracer *t, struct et_tthread *th, long nr, const uint64_t args[6], uint64_t ip);
void et_call_exit(struct et_tracer *t, struct et_tthread *th, long rval, bool is_error);
/* A creation event (fork, vfork, clone) from a call of ours. */
void et_call_created(struct et_tracer *t, struct et_tthread *th, struct et_tthread *child, uint64_t clone_flags);

/* tracer.c: the status pid ended with, as the tracer saw it; false if
 * it is not among the latest exits. */
bool et_tracer_exit_status(const struct et_tracer *t, pid_t pid, int *status);

/* stack.c: a Go program's call site at a stop, from its frame pointers,
 * into pc (at most ET_MAX_STACK_FRAMES); the number of frames. */
unsigned et_go_stack(pid_t tid, const struct et_tproc *p, unsigned depth, uint64_t *pc, uint16_t *flags);
void et_image_write_module(struct et_tracer *t, struct et_tthread *th);

/* filter.c */
bool et_filter_own_code(const struct et_tracer *t, uint64_t ip);
/* The filter's choice by number and arguments, for images whose every call
 * stops. */
bool et_filter_traced_call(long nr, const uint64_t args[6]);

#endif
