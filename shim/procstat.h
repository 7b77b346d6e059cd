/*
 * Reading /proc/PID/stat without libc: used in fork and vfork children, where
 * only raw system calls and local memory are safe, and by the launcher.
 */
#ifndef EXECTRACE_PROCSTAT_H
#define EXECTRACE_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

struct et_proc_stat {
    char state;
    uint32_t ppid;
    uint32_t pgid;
    uint32_t sid;
    uint64_t start_time; /* clock ticks after boot */
};

/* Parses the text of a stat file; 0 or -EINVAL. */
int et_proc_stat_parse(const char *text, size_t len, struct et_proc_stat *out);

/* How much of a stat file et_proc_stat_read reads: fields 1 to 22 fit in it
 * however wide each can be. */
#define ET_PROC_STAT_READ_BYTES 512

/* Parses the first bytes of a longer stat line, dropping the field the cut
 * went through rather than reading part of a number as its value. */
int et_proc_stat_parse_prefix(const char *text, size_t len, struct et_proc_stat *out);

/* Reads /proc/self/stat (pid 0) or /proc/PID/stat; 0 or -errno. */
int et_proc_stat_read(int pid, struct et_proc_stat *out);

#endif
