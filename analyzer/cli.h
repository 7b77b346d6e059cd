/* What the subcommands share: exit statuses, argument parsing, and how
 * trace problems are reported. */
#ifndef EXECTRACE_CLI_H
#define EXECTRACE_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "reader.h"

/* Exit statuses of the reading commands. */
#define ET_EXIT_USAGE 2
#define ET_EXIT_BAD_TRACE 2
#define ET_EXIT_OUTPUT_FAILED 2
/* `run` exits with the command's status; these are its own, as timeout(1)
 * and env(1) have them. */
#define ET_EXIT_RUN_FAILED 125
#define ET_EXIT_CANNOT_EXECUTE 126
#define ET_EXIT_NOT_FOUND 127

int et_parse_long(const char *s, long min, long max, long *out);
/* "64M", "1g", "65536": bytes.  0 or -1. */
int et_parse_size(const char *s, uint64_t *out);
int et_usage_error(const char *command, const char *message);

/* One line on stderr naming the first problem and its offset. */
void et_report_trace_problem(const char *path, const struct et_trace *t);
/* Notes that are not errors: records a writer never finished. */
void et_report_trace_notes(const char *path, const struct et_trace *t);
/* The end of a command that read a trace: reports its problems and notes,
 * closes it, and returns `status`, or ET_EXIT_BAD_TRACE if it was damaged. */
int et_finish_trace_command(const char *path, struct et_trace *t, int status);
/* Flushes what a command wrote: 0, or ET_EXIT_OUTPUT_FAILED with one line on
 * stderr when it could not be written (a full disk, a closed pipe). */
int et_finish_output(FILE *out, const char *command);

#endif
