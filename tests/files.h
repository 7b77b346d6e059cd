/* Files for the tests: read whole, with their length (binary safe). */
#ifndef EXECTRACE_TEST_FILES_H
#define EXECTRACE_TEST_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The whole file, NUL-terminated, its length in *len (may be NULL); NULL
 * when it cannot be read.  Free it. */
char *read_whole_file_len(const char *path, size_t *len);
char *read_whole_file(const char *path);

/* Creates a trace file of `size` bytes at path (a ring when `ring` is
 * set) and maps it shared, writable; NULL on failure.  Its mapped length
 * in *mapped. */
void *map_new_trace(const char *path, uint64_t size, bool ring, uint32_t launcher_pid, uint64_t *mapped);

#endif
