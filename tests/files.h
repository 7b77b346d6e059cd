/* Files for the tests: read whole, with their length (binary safe). */
#ifndef EXECTRACE_TEST_FILES_H
#define EXECTRACE_TEST_FILES_H

#include <stddef.h>

/* The whole file, NUL-terminated, its length in *len (may be NULL); NULL
 * when it cannot be read.  Free it. */
char *read_whole_file_len(const char *path, size_t *len);
char *read_whole_file(const char *path);

#endif
