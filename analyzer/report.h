/* `exectrace report` and `exectrace tree`. */
#ifndef EXECTRACE_REPORT_H
#define EXECTRACE_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "rules.h"

/* Opens a trace and analyzes it: 0, or -EINVAL (not a trace it can read)
 * or -ENOMEM, having said why on stderr and freed what it made. */
int et_load_analysis(const char *path, struct et_trace *t, struct et_analysis *a, const struct et_thresholds *th);
int et_cmd_report(int argc, char **argv);
enum et_report_format { ET_REPORT_TEXT, ET_REPORT_JSON, ET_REPORT_SARIF };
/* The report of a trace to `out`, with default thresholds; returns what
 * `exectrace report` would exit with: 1 when a finding reached fail_on
 * (ET_SEV_*, 3: never). */
int et_report_to(FILE *out, const char *path, int fail_on, enum et_report_format format);
int et_cmd_tree(int argc, char **argv);
int et_cmd_snapshot(int argc, char **argv);

#endif
