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

/* What a command's option parser returns when it printed --help. */
#define ET_HELP_SHOWN (-1000)

/* The command table (commands.c): dispatches argv[1]. */
int et_main(int argc, char **argv);
/* A command's usage text: for --help on stdout (returns 0, or
 * ET_EXIT_OUTPUT_FAILED), after a mistake on stderr (returns
 * ET_EXIT_USAGE).  "" is the list of commands. */
int et_help(const char *command);
int et_bad_usage(const char *command);
void et_show_usage(const char *command, FILE *f);

/* Each command's usage text, beside its options. */
extern const char et_usage_run[], et_usage_events[], et_usage_report[], et_usage_tree[], et_usage_snapshot[],
    et_usage_export[], et_usage_timeline[], et_usage_findings[];

int et_parse_long(const char *s, long min, long max, long *out);
/* "exectrace CMD: message (see 'exectrace CMD --help')": ET_EXIT_USAGE. */
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

/* `exectrace findings` (findings_cmd.c). */
int et_cmd_findings(int argc, char **argv);

#endif
