/*
 * Live state of a process tree, read from /proc: what each process is
 * blocked in, per thread, and which pipe ends it holds.  The trace alone
 * cannot say why a tree is stuck; the kernel can.  Also the processes that
 * never load the shim (a static Go parent) are seen here.
 *
 * Everything takes the /proc directory as a parameter, so that the reading
 * can be tested on recorded copies of /proc.
 */
#ifndef EXECTRACE_SNAPSHOT_H
#define EXECTRACE_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exectrace/trace_format.h"
#include "writer.h"

struct et_live_thread {
    int32_t tid;
    int32_t syscall; /* ET_SYSCALL_RUNNING, ET_SYSCALL_UNKNOWN, or the number */
    uint64_t args[3];
    char state;
    char wchan[64];
};

struct et_live_proc {
    int32_t pid;
    uint64_t start_time;
    uint32_t ppid, pgid, sid;
    char state;
    char comm[32];
    uint16_t flags; /* ET_SNAP_* */
    struct et_live_thread *threads;
    uint32_t nthreads;
    struct et_pipe_end *pipes;
    uint32_t npipes;
    /* Read for checkpoints only (et_live_read_command): the program's path
     * and its command line, NUL-separated; NULL when not read. */
    char *exe;
    char *cmdline;
    size_t cmdline_len;
};

struct et_live_tree {
    struct et_live_proc *procs;
    size_t n;
};

/* Reads a whole (small) file into buf, at most len - 1 bytes, and ends it
 * with a NUL; the bytes read, or -errno. */
ssize_t et_read_file(const char *path, char *buf, size_t len);

/* What fd is in pid's fd table: true and the end for a pipe end or a named
 * FIFO, false for anything else (or nothing). */
bool et_live_fd_pipe_end(const char *proc_root, int32_t pid, int32_t fd, struct et_pipe_end *out);

/* Reads one process; 0, or -errno (-ENOENT: it is gone). */
int et_live_read_proc(const char *proc_root, int32_t pid, struct et_live_proc *out);
void et_live_proc_free(struct et_live_proc *p);

/* Reads every descendant of root (not root itself), parents before their
 * children.  0 or -errno. */
int et_live_read_tree(const char *proc_root, int32_t root, struct et_live_tree *out);
void et_live_tree_free(struct et_live_tree *t);

/* Parses a /proc/PID/syscall line into a thread; false if it is not one. */
bool et_live_parse_syscall(const char *text, struct et_live_thread *t);

/* Reads p's program path and command line into it; 0 or -errno. */
int et_live_read_command(const char *proc_root, struct et_live_proc *p);

/* Appends one snapshot record per process (with its command line when it
 * was read); returns how many were written.
 * The snapshot number comes from the trace header, so that concurrent
 * snapshots of one trace never share one. */
uint32_t et_live_next_snapshot_id(struct et_writer *w);
size_t et_live_write(struct et_writer *w, uint32_t snapshot, uint16_t reason, uint64_t ts,
                     const struct et_live_tree *tree);

/* Reads root's descendants from /proc and appends them as the next
 * snapshot; returns its number (0 when nothing could be read) and how many
 * processes it holds. */
uint32_t et_take_snapshot(struct et_writer *w, const char *proc_root, int32_t root, uint16_t reason,
                          size_t *nprocs);

/* A ring trace's checkpoint (ET_SNAP_CHECKPOINT): root's descendants with
 * their command lines, command_pid's flagged ET_SNAP_COMMAND_PROC; how many
 * were written, or -errno. */
int et_take_checkpoint(struct et_writer *w, const char *proc_root, int32_t root, int32_t command_pid);

#endif
