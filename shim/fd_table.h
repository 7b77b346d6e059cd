/*
 * The fd table (pipe_table.c).
 */
#ifndef EXECTRACE_SHIM_FD_TABLE_H
#define EXECTRACE_SHIM_FD_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "exectrace/trace_format.h"

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
/* True the first time a read of fd returns end-of-file since its entry was
 * last set or cleared (always in a vfork child, which keeps no marks). */
bool et_fd_first_eof(int fd);

#endif
